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

/// Who signs the serving certificate.
pub enum Authority<'a> {
    /// A new CA, valid as long as the certificate.
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
    let not_after = time::Duration::try_from(validity)
        .ok()
        .and_then(|v| now.checked_add(v))
        .filter(|t| t.year() <= 9999)
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
            ca_params.not_after = not_after;
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
