//! sprig's certificate functions: `genCA`, `genSelfSignedCert`,
//! `genSignedCert` (and their `...WithKey` forms) and `buildCustomCert`,
//! returning sprig's `certificate{Cert, Key}` with PEM strings. Certificates
//! carry what sprig's template sets: the common name, IP and DNS names, a
//! random 128-bit serial, validity from now for `daysValid` days, key
//! usages, server and client auth, basic constraints.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};

use super::keys::PrivateKey;
use super::{ArgAccess, Result};
use crate::funcs::CallCx;
use crate::types::Kind;
use crate::value::func::FuncType;
use crate::value::object::GoObject;
use crate::value::{Repr, Value};

/// sprig's `certificate`.
#[derive(Clone, Debug)]
pub(crate) struct Certificate {
    cert: String,
    key: String,
}

impl GoObject for Certificate {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn type_name(&self) -> &'static str {
        "sprig.certificate"
    }

    fn kind(&self) -> Kind {
        Kind::Struct
    }

    fn method_type(&self, _: &str) -> Option<FuncType> {
        None
    }

    fn call_method<'a>(&self, name: &str, _: &[Value<'a>]) -> std::result::Result<Value<'a>, String> {
        Err(format!("sprig.certificate has no method {name}"))
    }

    fn fields<'a>(&self) -> Vec<(&'static str, Value<'a>)> {
        vec![
            ("Cert", Value::string(self.cert.clone().into_bytes())),
            ("Key", Value::string(self.key.clone().into_bytes())),
        ]
    }

    fn json(&self) -> Option<std::result::Result<Vec<u8>, String>> {
        let mut out = b"{\"Cert\":".to_vec();
        crate::encoding::json::write_json_string(&mut out, self.cert.as_bytes(), true);
        out.extend_from_slice(b",\"Key\":");
        crate::encoding::json::write_json_string(&mut out, self.key.as_bytes(), true);
        out.push(b'}');
        Some(Ok(out))
    }
}

fn certificate<'a>(cert: String, key: String) -> Value<'a> {
    Value::object(Certificate { cert, key })
}

fn text(a: &[Value<'_>], i: usize) -> String {
    String::from_utf8_lossy(a.str(i)).into_owned()
}

/// The strings of a `[]interface{}` argument (`getNetIPs`,
/// `getAlternateDNSStrs`), or sprig's error for a non-string.
fn strings(v: &Value<'_>, what: &str) -> std::result::Result<Vec<String>, String> {
    let v = v.clone().unbox();
    let n = v.len().unwrap_or(0);
    (0..n)
        .map(|i| {
            let item = v.index(i).unbox();
            match &item.repr {
                Repr::Str(s, _) => Ok(String::from_utf8_lossy(s.as_bytes()).into_owned()),
                _ => Err(format!(
                    "{what}: {} is not a string",
                    String::from_utf8_lossy(&crate::fmt::sprint(std::slice::from_ref(&item)))
                )),
            }
        })
        .collect()
}

/// `getBaseCertTemplate`.
fn template(cn: &str, ips: &Value<'_>, dns: &Value<'_>, days: i64) -> std::result::Result<CertificateParams, String> {
    let mut params = CertificateParams::default();
    let mut addresses = Vec::new();
    for ip in strings(ips, "error parsing ip")? {
        addresses.push(ip.parse::<std::net::IpAddr>().map_err(|_| format!("error parsing ip: {ip}"))?);
    }
    let names = strings(dns, "error processing alternate dns name")?;
    for name in names {
        let name = rcgen::string::Ia5String::try_from(name.as_str())
            .map_err(|e| format!("error processing alternate dns name: {e}"))?;
        params.subject_alt_names.push(SanType::DnsName(name));
    }
    params.subject_alt_names.extend(addresses.into_iter().map(SanType::IpAddress));
    let mut dn = DistinguishedName::new();
    if !cn.is_empty() {
        dn.push(DnType::CommonName, cn);
    }
    params.distinguished_name = dn;
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|e| e.to_string())?;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now;
    params.not_after = now.saturating_add(time::Duration::days(days));
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    params.is_ca = IsCa::ExplicitNoCa;
    Ok(params)
}

fn key_pair(key: &PrivateKey) -> std::result::Result<KeyPair, String> {
    let creating = |e: String| format!("error creating certificate: {e}");
    let algorithm = key
        .signature_algorithm()
        .ok_or_else(|| creating("x509: certificate private key does not implement crypto.Signer".to_owned()))?;
    let der = key.pkcs8().map_err(creating)?;
    KeyPair::from_pkcs8_der_and_sign_algo(&der.into(), algorithm).map_err(|e| creating(e.to_string()))
}

/// `getCertAndKey` for a self-signed certificate.
fn self_signed(params: CertificateParams, key: &PrivateKey) -> std::result::Result<(String, String), String> {
    let pair = key_pair(key)?;
    let cert = params.self_signed(&pair).map_err(|e| format!("error creating certificate: {e}"))?;
    Ok((cert.pem(), key.pem()?))
}

fn make_ca(cn: &str, days: i64, key: PrivateKey) -> std::result::Result<(String, String), String> {
    let mut params = template(cn, &Value::invalid(), &Value::invalid(), days)?;
    params.key_usages =
        vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment, KeyUsagePurpose::KeyCertSign];
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    self_signed(params, &key)
}

pub(super) fn gen_ca<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (cert, key) = make_ca(&text(a, 0), a.int(1), PrivateKey::rsa_2048()?)?;
    Ok(certificate(cert, key))
}

pub(super) fn gen_ca_with_key<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let key = PrivateKey::parse_pem(&text(a, 2)).map_err(|e| format!("parsing private key: {e}"))?;
    let (cert, key) = make_ca(&text(a, 0), a.int(1), key)?;
    Ok(certificate(cert, key))
}

pub(super) fn gen_self_signed_cert<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let key = PrivateKey::rsa_2048()?;
    let (cert, key) = self_signed(template(&text(a, 0), &a[1], &a[2], a.int(3))?, &key)?;
    Ok(certificate(cert, key))
}

pub(super) fn gen_self_signed_cert_with_key<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let key = PrivateKey::parse_pem(&text(a, 4)).map_err(|e| format!("parsing private key: {e}"))?;
    let (cert, key) = self_signed(template(&text(a, 0), &a[1], &a[2], a.int(3))?, &key)?;
    Ok(certificate(cert, key))
}

/// `generateSignedCertificateWithKeyInternal`.
fn signed(a: &[Value<'_>], key: PrivateKey) -> std::result::Result<(String, String), String> {
    let ca = a[4].as_go_object::<Certificate>().cloned().ok_or_else(|| "unable to decode certificate".to_owned())?;
    let Some((kind, ca_der)) = super::der::pem_decode(&ca.cert) else {
        return Err("unable to decode certificate".to_owned());
    };
    if kind != "CERTIFICATE" {
        return Err("error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate".to_owned());
    }
    let ca_key = PrivateKey::parse_pem(&ca.key).map_err(|e| format!("error parsing private key: {e}"))?;
    let params = template(&text(a, 0), &a[1], &a[2], a.int(3))?;
    let issuer = Issuer::from_ca_cert_der(&ca_der.into(), key_pair(&ca_key)?)
        .map_err(|e| format!("error parsing certificate: decodedSignerCert.Bytes: {e}"))?;
    let subject = match key.signature_algorithm() {
        Some(_) => key_pair(&key)?,
        None => return Err("error creating certificate: x509: unsupported public key type: *dsa.PublicKey".to_owned()),
    };
    let cert = params.signed_by(&subject, &issuer).map_err(|e| format!("error creating certificate: {e}"))?;
    Ok((cert.pem(), key.pem()?))
}

pub(super) fn gen_signed_cert<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (cert, key) = signed(a, PrivateKey::rsa_2048()?)?;
    Ok(certificate(cert, key))
}

pub(super) fn gen_signed_cert_with_key<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let key = PrivateKey::parse_pem(&text(a, 5)).map_err(|e| format!("parsing private key: {e}"))?;
    let (cert, key) = signed(a, key)?;
    Ok(certificate(cert, key))
}

/// `genPrivateKey`: the PEM text, or sprig's message as the result.
pub(super) fn gen_private_key<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let text = match PrivateKey::generate(&text(a, 0)) {
        Ok(key) => key.pem().unwrap_or_else(|e| format!("failed to generate private key: {e}")),
        Err(e) if e.starts_with("Unknown type") => e,
        Err(e) => format!("failed to generate private key: {e}"),
    };
    Ok(Value::string(text.into_bytes()))
}

/// `buildCustomCert`: a certificate and key given as base64 PEM, checked.
pub(super) fn build_custom_cert<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let cert =
        crate::encoding::base64::decode(a.str(0)).map_err(|_| "unable to decode base64 certificate".to_owned())?;
    let key =
        crate::encoding::base64::decode(a.str(1)).map_err(|_| "unable to decode base64 private key".to_owned())?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let Some((_, der)) = super::der::pem_decode(&cert) else {
        return Err("unable to decode certificate".to_owned());
    };
    x509_parser::parse_x509_certificate(&der)
        .map_err(|e| format!("error parsing certificate: decodedCert.Bytes: x509: {e}"))?;
    PrivateKey::parse_pem(&key).map_err(|e| format!("error parsing private key: {e}"))?;
    Ok(certificate(cert, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Type;

    fn fields(v: &Value<'_>) -> (String, String) {
        let c = v.as_go_object::<Certificate>().expect("a certificate");
        (c.cert.clone(), c.key.clone())
    }

    #[test]
    fn a_ca_signs_a_certificate_with_sans() {
        let cx = CallCx::default();
        let key = PrivateKey::generate("ecdsa").unwrap().pem().unwrap();
        let ca =
            gen_ca_with_key(&cx, &[Value::string(b"my-ca".to_vec()), Value::int(30), Value::string(key.into_bytes())])
                .unwrap();
        let ips = Value::slice(vec![Value::string(b"10.0.0.1".to_vec()).boxed()], Type::AnySlice);
        let dns = Value::slice(vec![Value::string(b"svc.ns.svc".to_vec()).boxed()], Type::AnySlice);
        let leaf_key = PrivateKey::generate("ed25519").unwrap().pem().unwrap();
        let args = [
            Value::string(b"leaf".to_vec()),
            ips,
            dns,
            Value::int(10),
            ca.clone(),
            Value::string(leaf_key.into_bytes()),
        ];
        let leaf = gen_signed_cert_with_key(&cx, &args).unwrap();
        let (cert, _) = fields(&leaf);
        let (_, der) = super::super::der::pem_decode(&cert).unwrap();
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert_eq!(parsed.issuer().to_string(), "CN=my-ca");
        assert_eq!(parsed.subject().to_string(), "CN=leaf");
        let san = parsed.subject_alternative_name().unwrap().unwrap().value.general_names.len();
        assert_eq!(san, 2);
        let (ca_cert, ca_key) = fields(&ca);
        let b64 = |s: String| Value::string(crate::encoding::base64::encode(s.as_bytes()).into_bytes());
        assert!(build_custom_cert(&cx, &[b64(ca_cert), b64(ca_key)]).is_ok());
        let bad_ip = Value::slice(vec![Value::int(5).boxed()], Type::AnySlice);
        let err = gen_self_signed_cert(&cx, &[Value::string(b"x".to_vec()), bad_ip, Value::invalid(), Value::int(1)])
            .unwrap_err();
        assert_eq!(err, "error parsing ip: 5 is not a string");
    }
}
