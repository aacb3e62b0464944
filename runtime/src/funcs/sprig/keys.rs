//! Private keys as sprig makes and reads them: `genPrivateKey` (RSA 4096,
//! DSA L2048N256, ECDSA P-256, Ed25519) in the PEM forms Go's `x509`
//! writes (PKCS#1, OpenSSL DSA, SEC1, PKCS#8), and `parsePrivateKeyPEM`
//! for the `...WithKey` certificate functions.

use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::rand_core::OsRng;

use super::der::{self, BIT_STRING, OCTET_STRING, OID, SEQUENCE};

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// An elliptic curve sprig's keys may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

impl Curve {
    fn oid(self) -> &'static [u8] {
        match self {
            Curve::P256 => OID_P256,
            Curve::P384 => OID_P384,
        }
    }
}

/// A private key.
pub(crate) enum PrivateKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    Dsa(Box<dsa::SigningKey>),
    Ecdsa { curve: Curve, secret: Vec<u8>, public: Vec<u8> },
    Ed25519 { seed: [u8; 32] },
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes)
}

impl PrivateKey {
    /// A new key of sprig's type name (`""` and `rsa` mean RSA).
    pub(crate) fn generate(kind: &str) -> Result<PrivateKey, String> {
        Ok(match kind {
            "" | "rsa" => {
                PrivateKey::Rsa(Box::new(rsa::RsaPrivateKey::new(&mut OsRng, 4096).map_err(|e| e.to_string())?))
            }
            "dsa" => {
                let components = dsa::Components::generate(&mut OsRng, dsa::KeySize::DSA_2048_256);
                PrivateKey::Dsa(Box::new(dsa::SigningKey::generate(&mut OsRng, components)))
            }
            "ecdsa" => {
                let rng = ring::rand::SystemRandom::new();
                let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(
                    &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                    &rng,
                )
                .map_err(|e| e.to_string())?;
                PrivateKey::from_pkcs8(pkcs8.as_ref())?
            }
            "ed25519" => PrivateKey::Ed25519 { seed: random()? },
            other => return Err(format!("Unknown type {other}")),
        })
    }

    /// A 2048-bit RSA key, what sprig's certificate functions generate.
    pub(crate) fn rsa_2048() -> Result<PrivateKey, String> {
        let key = rsa::RsaPrivateKey::new(&mut OsRng, 2048).map_err(|e| format!("error generating rsa key: {e}"))?;
        Ok(PrivateKey::Rsa(Box::new(key)))
    }

    /// `pemBlockForKey`.
    pub(crate) fn pem(&self) -> Result<String, String> {
        Ok(match self {
            PrivateKey::Rsa(k) => der::pem("RSA PRIVATE KEY", k.to_pkcs1_der().map_err(|e| e.to_string())?.as_bytes()),
            PrivateKey::Dsa(k) => {
                let c = k.verifying_key().components();
                let int = |n: &dsa::BigUint| der::unsigned(&n.to_bytes_be());
                let body = der::sequence(&[
                    der::small_int(0),
                    int(c.p()),
                    int(c.q()),
                    int(c.g()),
                    int(k.verifying_key().y()),
                    int(k.x()),
                ]);
                der::pem("DSA PRIVATE KEY", &body)
            }
            PrivateKey::Ecdsa { .. } => der::pem("EC PRIVATE KEY", &self.sec1()),
            PrivateKey::Ed25519 { .. } => der::pem("PRIVATE KEY", &self.pkcs8()?),
        })
    }

    /// SEC1 `ECPrivateKey` with the curve and public key, as
    /// `x509.MarshalECPrivateKey` writes it.
    fn sec1(&self) -> Vec<u8> {
        let PrivateKey::Ecdsa { curve, secret, public } = self else { return Vec::new() };
        let mut bits = vec![0u8];
        bits.extend_from_slice(public);
        der::sequence(&[
            der::small_int(1),
            der::tlv(OCTET_STRING, secret),
            der::tlv(0xa0, &der::tlv(OID, curve.oid())),
            der::tlv(0xa1, &der::tlv(BIT_STRING, &bits)),
        ])
    }

    /// PKCS#8, for signing (DSA keys cannot sign certificates, in Go either).
    pub(crate) fn pkcs8(&self) -> Result<Vec<u8>, String> {
        match self {
            PrivateKey::Rsa(k) => Ok(k.to_pkcs8_der().map_err(|e| e.to_string())?.as_bytes().to_vec()),
            PrivateKey::Ecdsa { curve, .. } => Ok(der::sequence(&[
                der::small_int(0),
                der::sequence(&[der::tlv(OID, OID_EC_PUBLIC_KEY), der::tlv(OID, curve.oid())]),
                der::tlv(OCTET_STRING, &self.sec1()),
            ])),
            PrivateKey::Ed25519 { seed } => Ok(der::sequence(&[
                der::small_int(0),
                der::sequence(&[der::tlv(OID, OID_ED25519)]),
                der::tlv(OCTET_STRING, &der::tlv(OCTET_STRING, seed)),
            ])),
            PrivateKey::Dsa(_) => Err("x509: certificate private key does not implement crypto.Signer".to_owned()),
        }
    }

    /// The certificate signature algorithm Go picks for the key.
    pub(crate) fn signature_algorithm(&self) -> Option<&'static rcgen::SignatureAlgorithm> {
        Some(match self {
            PrivateKey::Rsa(_) => &rcgen::PKCS_RSA_SHA256,
            PrivateKey::Ecdsa { curve: Curve::P256, .. } => &rcgen::PKCS_ECDSA_P256_SHA256,
            PrivateKey::Ecdsa { curve: Curve::P384, .. } => &rcgen::PKCS_ECDSA_P384_SHA384,
            PrivateKey::Ed25519 { .. } => &rcgen::PKCS_ED25519,
            PrivateKey::Dsa(_) => return None,
        })
    }

    /// `parsePrivateKeyPEM`, with sprig's messages.
    pub(crate) fn parse_pem(text: &str) -> Result<PrivateKey, String> {
        let Some((kind, bytes)) = der::pem_decode(text) else {
            return Err("no PEM data in input".to_owned());
        };
        if kind == "PRIVATE KEY" {
            return PrivateKey::from_pkcs8(&bytes).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
        }
        let Some(algorithm) = kind.strip_suffix(" PRIVATE KEY") else {
            return Err(format!("no private key data in PEM block of type {kind}"));
        };
        match algorithm {
            "RSA" => rsa::RsaPrivateKey::from_pkcs1_der(&bytes)
                .map(|k| PrivateKey::Rsa(Box::new(k)))
                .map_err(|e| format!("parsing RSA private key from PEM: x509: failed to parse private key: {e}")),
            "EC" => PrivateKey::from_sec1(&bytes, None).map_err(|e| format!("parsing EC private key from PEM: {e}")),
            "DSA" => PrivateKey::from_dsa(&bytes).map_err(|e| format!("parsing DSA private key from PEM: {e}")),
            _ => Err(format!("invalid private key type {kind}")),
        }
    }

    /// `x509.ParsePKCS8PrivateKey` for RSA, EC and Ed25519 keys.
    fn from_pkcs8(bytes: &[u8]) -> Result<PrivateKey, String> {
        let malformed = || "x509: failed to parse private key".to_owned();
        let (outer, _) = der::read(bytes).filter(|(e, _)| e.tag == SEQUENCE).ok_or_else(malformed)?;
        let parts = der::elements(outer.contents).ok_or_else(malformed)?;
        let algorithm = parts.get(1).and_then(|a| der::elements(a.contents)).ok_or_else(malformed)?;
        let key = parts.get(2).filter(|k| k.tag == OCTET_STRING).ok_or_else(malformed)?;
        match algorithm.first().map(|o| o.contents) {
            Some(OID_RSA) => rsa::RsaPrivateKey::from_pkcs8_der(bytes)
                .map(|k| PrivateKey::Rsa(Box::new(k)))
                .map_err(|e| e.to_string()),
            Some(OID_EC_PUBLIC_KEY) => {
                let curve = match algorithm.get(1).map(|o| o.contents) {
                    Some(OID_P256) => Curve::P256,
                    Some(OID_P384) => Curve::P384,
                    _ => return Err("x509: unsupported elliptic curve".to_owned()),
                };
                PrivateKey::from_sec1(key.contents, Some(curve))
            }
            Some(OID_ED25519) => {
                let (inner, _) =
                    der::read(key.contents).filter(|(e, _)| e.tag == OCTET_STRING).ok_or_else(malformed)?;
                let seed: [u8; 32] =
                    inner.contents.try_into().map_err(|_| "x509: invalid Ed25519 private key length".to_owned())?;
                Ok(PrivateKey::Ed25519 { seed })
            }
            _ => Err("x509: PKCS#8 wrapping contained private key with unknown algorithm".to_owned()),
        }
    }

    /// A SEC1 `ECPrivateKey` (the curve from its parameters, or given).
    fn from_sec1(bytes: &[u8], curve: Option<Curve>) -> Result<PrivateKey, String> {
        let malformed = || "x509: failed to parse EC private key".to_owned();
        let (outer, _) = der::read(bytes).filter(|(e, _)| e.tag == SEQUENCE).ok_or_else(malformed)?;
        let parts = der::elements(outer.contents).ok_or_else(malformed)?;
        let secret = parts.get(1).filter(|p| p.tag == OCTET_STRING).ok_or_else(malformed)?.contents.to_vec();
        let mut curve = curve;
        let mut public = None;
        for part in &parts[2..] {
            match part.tag {
                0xa0 => {
                    curve = match der::read(part.contents).map(|(o, _)| o.contents) {
                        Some(OID_P256) => Some(Curve::P256),
                        Some(OID_P384) => Some(Curve::P384),
                        _ => return Err("x509: unknown elliptic curve".to_owned()),
                    }
                }
                0xa1 => {
                    let (bits, _) =
                        der::read(part.contents).filter(|(b, _)| b.tag == BIT_STRING).ok_or_else(malformed)?;
                    public = bits.contents.get(1..).map(<[u8]>::to_vec);
                }
                _ => {}
            }
        }
        let curve = curve.ok_or_else(|| "x509: unknown elliptic curve".to_owned())?;
        let public = public.ok_or_else(|| "injit: EC private keys need their public key".to_owned())?;
        Ok(PrivateKey::Ecdsa { curve, secret, public })
    }

    /// OpenSSL's DSA key: `SEQUENCE { version, p, q, g, y, x }`.
    fn from_dsa(bytes: &[u8]) -> Result<PrivateKey, String> {
        let malformed = || "asn1: structure error".to_owned();
        let (outer, _) = der::read(bytes).filter(|(e, _)| e.tag == SEQUENCE).ok_or_else(malformed)?;
        let parts = der::elements(outer.contents).ok_or_else(malformed)?;
        if parts.len() != 6 {
            return Err(malformed());
        }
        let n = |i: usize| dsa::BigUint::from_bytes_be(parts[i].contents);
        let components = dsa::Components::from_components(n(1), n(2), n(3)).map_err(|e| e.to_string())?;
        let public = dsa::VerifyingKey::from_components(components, n(4)).map_err(|e| e.to_string())?;
        let key = dsa::SigningKey::from_components(public, n(5)).map_err(|e| e.to_string())?;
        Ok(PrivateKey::Dsa(Box::new(key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_pem() {
        for kind in ["ecdsa", "ed25519"] {
            let key = PrivateKey::generate(kind).unwrap();
            let pem = key.pem().unwrap();
            let again = PrivateKey::parse_pem(&pem).unwrap();
            assert_eq!(again.pem().unwrap(), pem, "{kind}");
            assert!(again.signature_algorithm().is_some());
        }
        assert!(PrivateKey::parse_pem("nothing").err().unwrap().contains("no PEM data"));
        assert_eq!(
            PrivateKey::parse_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").err().unwrap(),
            "no private key data in PEM block of type CERTIFICATE"
        );
        assert!(matches!(PrivateKey::generate("foo"), Err(e) if e == "Unknown type foo"));
    }
}
