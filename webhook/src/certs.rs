//! A serving certificate for the webhook's Service, signed by a fresh CA
//! whose certificate becomes the `caBundle` of the webhook configuration
//! (`injit certs`; also what the end-to-end tests serve with).

use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};

/// A CA certificate and a serving certificate it signed, in PEM.
pub struct ServingCertificate {
    /// The CA's certificate: what clients (the API server) trust.
    pub ca: String,
    pub cert: String,
    pub key: String,
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
/// from an hour ago (clock skew) for `validity`.
pub fn issue(names: &[String], validity: Duration) -> Result<ServingCertificate, String> {
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

    let mut ca_params = CertificateParams::new(Vec::new()).map_err(error("the CA"))?;
    ca_params.distinguished_name.push(DnType::CommonName, "injit webhook CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_key = KeyPair::generate().map_err(error("the CA key"))?;
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).map_err(error("the CA certificate"))?;

    let mut params = CertificateParams::new(names.to_vec()).map_err(error("the certificate's names"))?;
    let common_name = names.iter().find(|n| n.contains('.')).or(names.first()).cloned().unwrap_or_default();
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = not_after;
    let key = KeyPair::generate().map_err(error("the serving key"))?;
    let cert = params.signed_by(&key, &ca).map_err(error("the serving certificate"))?;
    Ok(ServingCertificate { ca: ca.pem(), cert: cert.pem(), key: key.serialize_pem() })
}
