//! A serving certificate for the webhook's Service, signed by a fresh CA
//! whose certificate becomes the `caBundle` of the webhook configuration
//! (`injit certs`; also what the end-to-end tests serve with).

use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};

/// A CA certificate and a serving certificate it signed, in PEM.
pub struct ServingCertificate {
    /// The CA's certificate: what clients (the API server) trust.
    pub ca: String,
    /// The CA's key, when the CA was made here (a CA given is not copied).
    pub ca_key: Option<String>,
    pub cert: String,
    pub key: String,
}

/// How long a new CA is valid (at least as long as the certificate it
/// signs): ten years, as the cert-manager overlay's, so that the caBundle
/// registered once stays trusted through every `--renew` (a CA that
/// expires with the first certificate fails every admission from then
/// on, whatever the renewed certificates say).
pub const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Who signs the serving certificate.
pub enum Authority<'a> {
    /// A new CA, valid for `CA_VALIDITY`.
    New,
    /// An existing CA, in PEM: renewing under it keeps every `caBundle`
    /// that holds it valid.
    Existing { cert: &'a str, key: &'a str },
}

/// The names the API server uses to reach `service` in `namespace`.
pub fn service_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        service.to_owned(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ]
}

fn error(what: &'static str) -> impl Fn(rcgen::Error) -> String {
    move |e| format!("{what}: {e}")
}

/// Issues a certificate for `names` (DNS names or IP addresses), valid
/// from an hour ago (clock skew) for `validity`, signed by `authority`.
pub fn issue(names: &[String], validity: Duration, authority: Authority<'_>) -> Result<ServingCertificate, String> {
    if validity.is_zero() {
        return Err("a certificate valid for no time has expired when issued".to_owned());
    }
    let now = time::OffsetDateTime::now_utc();
    let not_before = now - time::Duration::hours(1);
    // X.509 times end with the year 9999.
    let ends = |validity: Duration| {
        time::Duration::try_from(validity).ok().and_then(|v| now.checked_add(v)).filter(|t| t.year() <= 9999)
    };
    let not_after = ends(validity)
        .ok_or_else(|| format!("a validity of {} days ends past the year 9999", validity.as_secs() / 86400))?;

    let mut params = CertificateParams::new(names.to_vec()).map_err(error("the certificate's names"))?;
    let common_name = names.iter().find(|n| n.contains('.')).or(names.first()).cloned().unwrap_or_default();
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = not_after;
    let key = KeyPair::generate().map_err(error("the serving key"))?;

    match authority {
        Authority::New => {
            let mut ca_params = CertificateParams::new(Vec::new()).map_err(error("the CA"))?;
            ca_params.distinguished_name.push(DnType::CommonName, "injit webhook CA");
            ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
            ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            ca_params.not_before = not_before;
            ca_params.not_after = ends(CA_VALIDITY).map_or(not_after, |ca| ca.max(not_after));
            let ca_key = KeyPair::generate().map_err(error("the CA key"))?;
            let ca_key_pem = ca_key.serialize_pem();
            let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).map_err(error("the CA certificate"))?;
            let cert = params.signed_by(&key, &ca).map_err(error("the serving certificate"))?;
            Ok(ServingCertificate {
                ca: ca.pem(),
                ca_key: Some(ca_key_pem),
                cert: cert.pem(),
                key: key.serialize_pem(),
            })
        }
        Authority::Existing { cert: ca_pem, key: ca_key_pem } => {
            use rustls_pki_types::pem::PemObject;
            let ca_der = rustls_pki_types::CertificateDer::from_pem_slice(ca_pem.as_bytes())
                .map_err(|e| format!("the CA certificate: {e}"))?;
            let ca_expires = crate::tls::not_after(&ca_der).map_err(|e| format!("the CA certificate: {e}"))?;
            if not_after.unix_timestamp() > ca_expires {
                let when = time::OffsetDateTime::from_unix_timestamp(ca_expires)
                    .map_or_else(|_| ca_expires.to_string(), |t| t.date().to_string());
                return Err(format!(
                    "the CA certificate expires on {when}, before a certificate of {} days would: from then on the \
                     API server would refuse it; issue it for fewer days, or under a new CA",
                    validity.as_secs() / 86400
                ));
            }
            let ca_key = KeyPair::from_pem(ca_key_pem).map_err(error("the CA key"))?;
            let ca = rcgen::Issuer::from_ca_cert_pem(ca_pem, ca_key).map_err(error("the CA certificate"))?;
            let cert = params.signed_by(&key, &ca).map_err(error("the serving certificate"))?;
            let issued =
                ServingCertificate { ca: ca_pem.to_owned(), ca_key: None, cert: cert.pem(), key: key.serialize_pem() };
            // A key that is not the certificate's signs a certificate that
            // nothing trusts: say so now, not when the API server calls.
            verify_chain(&issued, names.first().map_or("", String::as_str))
                .map_err(|e| format!("the CA key does not sign for the CA certificate ({e})"))?;
            Ok(issued)
        }
    }
}

/// Whether `issued.cert` is valid for `name` under `issued.ca`, as a TLS
/// client that trusts only the CA sees it.
pub fn verify_chain(issued: &ServingCertificate, name: &str) -> Result<(), String> {
    use rustls::client::danger::ServerCertVerifier;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(issued.ca.as_bytes()) {
        roots
            .add(ca.map_err(|e| format!("the CA certificate: {e}"))?)
            .map_err(|e| format!("the CA certificate: {e}"))?;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(std::sync::Arc::new(roots), provider)
        .build()
        .map_err(|e| e.to_string())?;
    let cert = CertificateDer::from_pem_slice(issued.cert.as_bytes()).map_err(|e| format!("the certificate: {e}"))?;
    let server = ServerName::try_from(name.to_owned()).map_err(|e| format!("{name}: {e}"))?;
    verifier.verify_server_cert(&cert, &[], &server, &[], UnixTime::now()).map(|_| ()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expiry(pem: &str) -> i64 {
        use rustls_pki_types::pem::PemObject;
        crate::tls::not_after(&rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()).unwrap()
    }

    const DAY: u64 = 24 * 3600;

    #[test]
    fn a_new_ca_outlives_the_certificates_renewed_under_it() {
        let names = service_names("injit-webhook", "istio-system");
        let first = issue(&names, Duration::from_secs(2 * DAY), Authority::New).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert!(expiry(&first.ca) >= now + CA_VALIDITY.as_secs() as i64 - 60, "ten years");
        let key = first.ca_key.as_deref().unwrap();
        let renewed =
            issue(&names, Duration::from_secs(365 * DAY), Authority::Existing { cert: &first.ca, key }).unwrap();
        assert!(expiry(&renewed.cert) <= expiry(&first.ca));
        // A certificate asked for longer than ten years takes its CA along.
        let long = issue(&names, Duration::from_secs(20 * 365 * DAY), Authority::New).unwrap();
        assert!(expiry(&long.ca) >= expiry(&long.cert));
    }

    #[test]
    fn a_certificate_outliving_its_ca_is_refused() {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, "a short CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(2);
        let key = KeyPair::generate().unwrap();
        let key_pem = key.serialize_pem();
        let ca = params.self_signed(&key).unwrap();
        let names = service_names("injit-webhook", "istio-system");
        let ca_pem = ca.pem();
        let authority = || Authority::Existing { cert: &ca_pem, key: &key_pem };
        let refused = issue(&names, Duration::from_secs(365 * DAY), authority()).err().unwrap();
        assert!(refused.starts_with("the CA certificate expires on "), "{refused}");
        assert!(refused.contains("before a certificate of 365 days would"), "{refused}");
        assert!(issue(&names, Duration::from_secs(DAY), authority()).is_ok(), "within the CA's life");
    }
}
