//! The serving certificate, swappable while the server runs: new TLS
//! connections get the certificate loaded last; a certificate that fails
//! to load leaves the previous one in place.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::crypto::ring::sign::any_supported_type;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::metrics::Metrics;

/// A serving certificate expiring within this long is warned about at
/// load: time to renew it before the API server refuses it.
const EXPIRES_SOON: i64 = 7 * 24 * 3600;

/// Where the certificate and its key are read from.
#[derive(Clone, Debug)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A serving certificate or key that cannot be used: which file, and
/// why (the error underneath as `source()`).
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// A file that cannot be read, or is not PEM.
    #[error("{}: {source}", .path.display())]
    Pem { path: PathBuf, source: rustls_pki_types::pem::Error },
    #[error("{}: no certificate in the file", .path.display())]
    NoCertificate { path: PathBuf },
    /// A key of a kind rustls cannot sign with.
    #[error("{}: {source}", .path.display())]
    Key { path: PathBuf, source: rustls::Error },
    /// The key is not the certificate's.
    #[error("{} and {} do not match: {source}", .cert.display(), .key.display())]
    Mismatch { cert: PathBuf, key: PathBuf, source: rustls::Error },
}

impl CertFiles {
    /// Reads and checks the pair.
    pub fn load(&self) -> Result<CertifiedKey, CertError> {
        load(&self.cert, &self.key)
    }

    /// The files' bytes, to notice changes.
    pub fn contents(&self) -> Result<Vec<u8>, crate::config_files::ReadError> {
        let read = |path: &PathBuf| {
            std::fs::read(path).map_err(|source| crate::config_files::ReadError { path: path.clone(), source })
        };
        let mut bytes = read(&self.cert)?;
        bytes.extend(read(&self.key)?);
        Ok(bytes)
    }
}

fn load(cert: &Path, key: &Path) -> Result<CertifiedKey, CertError> {
    let pem = |path: &Path| {
        let path = path.to_owned();
        move |source| CertError::Pem { path, source }
    };
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(cert).map_err(pem(cert))?.collect::<Result<_, _>>().map_err(pem(cert))?;
    if chain.is_empty() {
        return Err(CertError::NoCertificate { path: cert.to_owned() });
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(pem(key))?;
    let signing = any_supported_type(&key_der).map_err(|source| CertError::Key { path: key.to_owned(), source })?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|source| CertError::Mismatch {
        cert: cert.to_owned(),
        key: key.to_owned(),
        source,
    })?;
    Ok(certified)
}

/// When the leaf certificate of `key` stops being valid, in seconds since
/// the Unix epoch.
pub fn expiry(key: &CertifiedKey) -> Result<i64, String> {
    let leaf = key.cert.first().ok_or("no certificate")?;
    not_after(leaf)
}

/// Exports the serving certificate's expiry and warns when it has expired
/// or expires soon: rustls serves an expired certificate without a word,
/// and the API server then refuses every connection.
pub(crate) fn report_expiry(metrics: &Metrics, key: &CertifiedKey, file: &Path) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    match expiry(key) {
        Ok(at) => {
            metrics.certificate_expiry.set(at);
            if let Some(warning) = expiry_warning(at, now) {
                tracing::warn!(kind = "certificate", expiry = at, "{}: {warning}", file.display());
            }
        }
        Err(e) => tracing::warn!(kind = "certificate", "{}: cannot read its expiry: {e}", file.display()),
    }
}

/// What to say about a certificate valid until `at`, at `now`.
fn expiry_warning(at: i64, now: i64) -> Option<String> {
    let when = time::OffsetDateTime::from_unix_timestamp(at).map_or_else(|_| at.to_string(), |t| t.to_string());
    let hours = |s: i64| s.unsigned_abs().div_ceil(3600);
    if at <= now {
        Some(format!("the serving certificate expired {} hours ago ({when}): clients refuse it", hours(now - at)))
    } else if at - now < EXPIRES_SOON {
        Some(format!("the serving certificate expires in {} hours ({when}): renew it", hours(at - now)))
    } else {
        None
    }
}

/// The `notAfter` of a DER X.509 certificate (RFC 5280: Certificate ::=
/// SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
/// serialNumber, signature, issuer, validity SEQUENCE { notBefore,
/// notAfter } ... } ... }), in seconds since the Unix epoch.
pub(crate) fn not_after(der: &[u8]) -> Result<i64, String> {
    let (_, certificate, _) = tlv(der)?;
    let (_, tbs, _) = tlv(certificate)?;
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = tlv(rest)?.2;
    }
    for _ in ["serialNumber", "signature", "issuer"] {
        rest = tlv(rest)?.2;
    }
    let (tag, validity, _) = tlv(rest)?;
    if tag != 0x30 {
        return Err("the validity is not a SEQUENCE".into());
    }
    let after = tlv(validity)?.2;
    let (tag, text, _) = tlv(after)?;
    // Digits and `Z` only: a multi-byte character would not split where
    // the fields below do.
    let text = std::str::from_utf8(text).ok().filter(|t| t.is_ascii()).ok_or("notAfter is not ASCII text")?;
    // UTCTime (YYMMDDHHMMSSZ, years 1950-2049) or GeneralizedTime
    // (YYYYMMDDHHMMSSZ).
    let (year, rest) = match tag {
        0x17 if text.len() == 13 => {
            let yy: i32 = digits(&text[..2])?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        0x18 if text.len() == 15 => (digits(&text[..4])?, &text[4..]),
        _ => return Err(format!("notAfter {text:?} is neither UTCTime nor GeneralizedTime")),
    };
    if !rest.ends_with('Z') {
        return Err(format!("notAfter {text:?} is not in UTC"));
    }
    let field = |i: usize| digits::<u8>(&rest[i..i + 2]);
    let month = time::Month::try_from(field(0)?).map_err(|e| e.to_string())?;
    let date = time::Date::from_calendar_date(year, month, field(2)?).map_err(|e| e.to_string())?;
    let at = date.with_hms(field(4)?, field(6)?, field(8)?).map_err(|e| e.to_string())?;
    Ok(at.assume_utc().unix_timestamp())
}

fn digits<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("{text:?} is not a number"))
}

/// One DER tag-length-value: the tag, the value, and what follows it.
fn tlv(der: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
    let truncated = || "the certificate is truncated".to_owned();
    let (&tag, rest) = der.split_first().ok_or_else(truncated)?;
    let (&first, mut rest) = rest.split_first().ok_or_else(truncated)?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err("a DER length is malformed".into());
        }
        let len = rest[..n].iter().fold(0usize, |len, &b| len << 8 | usize::from(b));
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return Err(truncated());
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// Serves whichever certificate was stored last.
#[derive(Debug)]
pub struct Resolver {
    current: RwLock<Arc<CertifiedKey>>,
}

impl Resolver {
    pub fn new(key: CertifiedKey) -> Resolver {
        Resolver { current: RwLock::new(Arc::new(key)) }
    }

    pub fn store(&self, key: CertifiedKey) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(key);
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner())))
    }
}

/// A rustls server config over the resolver: TLS 1.2+, HTTP/2 and
/// HTTP/1.1 by ALPN.
pub fn server_config(resolver: Arc<Resolver>) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("ring supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expiry_is_read_from_the_certificate() {
        let names = vec!["localhost".to_owned()];
        let issued =
            crate::certs::issue(&names, std::time::Duration::from_secs(86400), crate::certs::Authority::New).unwrap();
        let der = CertificateDer::from_pem_slice(issued.cert.as_bytes()).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let at = not_after(&der).unwrap();
        assert!((at - (now + 86400)).abs() < 60, "{at} vs {now}");
        assert!(not_after(&der[..der.len() / 2]).unwrap_err().contains("truncated"));
        assert!(not_after(b"\x30\x84\xff").is_err());
    }

    /// A DER TLV with a short length.
    fn der(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
        let value = parts.concat();
        [vec![tag, u8::try_from(value.len()).unwrap()], value].concat()
    }

    /// A certificate's skeleton, as far as `not_after` reads, with
    /// `not_after` as its UTCTime.
    fn with_not_after(not_after: &[u8]) -> Vec<u8> {
        let validity = der(0x30, &[&der(0x17, &[b"250101000000Z"]), &der(0x17, &[not_after])]);
        let tbs = der(0x30, &[&der(0x02, &[b"\x01"]), &der(0x30, &[]), &der(0x30, &[]), &validity]);
        der(0x30, &[&tbs])
    }

    #[test]
    fn a_malformed_expiry_is_an_error_not_a_panic() {
        assert!(not_after(&with_not_after(b"350101000000Z")).is_ok());
        // 13 bytes, as a UTCTime has, but not 13 characters.
        let euro = "\u{20ac}101000000Z";
        assert_eq!(euro.len(), 13);
        assert_eq!(not_after(&with_not_after(euro.as_bytes())).unwrap_err(), "notAfter is not ASCII text");
        assert!(not_after(&with_not_after(b"35x101000000Z")).is_err());
    }

    #[test]
    fn expired_and_soon_expiring_certificates_are_warned_about() {
        let now = 1_800_000_000;
        let expired = expiry_warning(now - 7200, now).unwrap();
        assert!(expired.contains("expired 2 hours ago"), "{expired}");
        let soon = expiry_warning(now + 3600, now).unwrap();
        assert!(soon.contains("expires in 1 hours"), "{soon}");
        assert_eq!(expiry_warning(now + 30 * 86400, now), None);
    }
}
