//! The IdP's public key, taken once from a configured X.509 certificate: RSA, or ECDSA on
//! P-256 or P-384.

use std::fmt;

use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::error::CertificateError;
use crate::time::Timestamp;

/// The OID of the named curve P-256 (secp256r1, prime256v1).
const P256_OID: &str = "1.2.840.10045.3.1.7";
/// The OID of the named curve P-384 (secp384r1).
const P384_OID: &str = "1.3.132.0.34";

/// What kind of key a certificate holds, and so which `SignatureMethod`s it can verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// RSA (`rsa-sha256`, `rsa-sha384`, `rsa-sha512`; `rsa-sha1` only with the legacy opt-in).
    Rsa {
        /// The modulus size.
        bits: usize,
    },
    /// ECDSA on NIST P-256 (`ecdsa-sha256`, `ecdsa-sha384`).
    EcdsaP256,
    /// ECDSA on NIST P-384 (`ecdsa-sha256`, `ecdsa-sha384`).
    EcdsaP384,
}

impl KeyAlgorithm {
    /// The key size in bits: the RSA modulus, or the curve's order (256, 384).
    pub fn bits(self) -> usize {
        match self {
            KeyAlgorithm::Rsa { bits } => bits,
            KeyAlgorithm::EcdsaP256 => 256,
            KeyAlgorithm::EcdsaP384 => 384,
        }
    }

    /// An RSA key under 2048 bits (ECDSA keys on the supported curves are never weak).
    pub fn is_weak(self) -> bool {
        matches!(self, KeyAlgorithm::Rsa { bits } if bits < 2048)
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyAlgorithm::Rsa { bits } => write!(f, "RSA {bits}-bit"),
            KeyAlgorithm::EcdsaP256 => f.write_str("ECDSA P-256"),
            KeyAlgorithm::EcdsaP384 => f.write_str("ECDSA P-384"),
        }
    }
}

/// A public key ready for verification, as ring takes it: PKCS#1 `RSAPublicKey` DER for RSA,
/// the uncompressed point for ECDSA.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct IdpKey {
    public: Vec<u8>,
    algorithm: KeyAlgorithm,
}

impl fmt::Debug for IdpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.algorithm {
            // As this type printed when it held RSA keys only.
            KeyAlgorithm::Rsa { bits } => write!(f, "IdpKey({bits} bits)"),
            other => write!(f, "IdpKey({other})"),
        }
    }
}

impl IdpKey {
    pub(crate) fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }
    pub(crate) fn bits(&self) -> usize {
        self.algorithm.bits()
    }
    /// The key in ring's encoding (see the type).
    pub(crate) fn public_key_bytes(&self) -> &[u8] {
        &self.public
    }
}

/// What the crate keeps from a certificate.
#[derive(Clone, Debug)]
pub(crate) struct CertificateFacts {
    pub key: IdpKey,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub subject: String,
}

fn bit_length(be: &[u8]) -> usize {
    let trimmed: &[u8] = match be.iter().position(|&b| b != 0) {
        Some(i) => &be[i..],
        None => return 0,
    };
    (trimmed.len() - 1) * 8 + (8 - trimmed[0].leading_zeros() as usize)
}

/// Reads an X.509 certificate (DER) and extracts its key and validity window.
/// The certificate's own signature, issuer and dates are not judged: the key is pinned.
pub(crate) fn certificate_facts(der: &[u8]) -> Result<CertificateFacts, CertificateError> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| CertificateError::X509 {
        reason: e.to_string(),
    })?;
    if !rest.is_empty() {
        return Err(CertificateError::X509 {
            reason: format!("{} unexpected bytes after the certificate", rest.len()),
        });
    }
    let spki = cert.public_key();
    let unsupported = || CertificateError::NotRsa {
        algorithm: spki.algorithm.algorithm.to_id_string(),
    };
    let key = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let bits = bit_length(rsa.modulus);
            if bits > 8192 {
                return Err(CertificateError::X509 {
                    reason: format!("the RSA key has {bits} bits; at most 8192 are supported"),
                });
            }
            if bits < 1024 {
                return Err(CertificateError::X509 {
                    reason: format!("the RSA key has only {bits} bits"),
                });
            }
            IdpKey {
                public: spki.subject_public_key.data.to_vec(),
                algorithm: KeyAlgorithm::Rsa { bits },
            }
        }
        Ok(PublicKey::EC(point)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| oid.to_id_string());
            let (algorithm, coordinate) = match curve.as_deref() {
                Some(P256_OID) => (KeyAlgorithm::EcdsaP256, 32),
                Some(P384_OID) => (KeyAlgorithm::EcdsaP384, 48),
                other => {
                    return Err(CertificateError::UnsupportedCurve {
                        curve: other
                            .unwrap_or("(not a named curve)")
                            .chars()
                            .take(64)
                            .collect(),
                    })
                }
            };
            let data = point.data();
            // Uncompressed: 0x04, then both coordinates (ring refuses other forms).
            if data.len() != 1 + 2 * coordinate || data.first() != Some(&0x04) {
                return Err(CertificateError::X509 {
                    reason: format!(
                        "the {algorithm} public key is not an uncompressed point ({} bytes)",
                        data.len()
                    ),
                });
            }
            IdpKey {
                public: data.to_vec(),
                algorithm,
            }
        }
        Ok(_) | Err(_) => return Err(unsupported()),
    };
    let v = cert.validity();
    Ok(CertificateFacts {
        key,
        not_before: Timestamp::from_unix_seconds(v.not_before.timestamp()),
        not_after: Timestamp::from_unix_seconds(v.not_after.timestamp()),
        subject: cert.subject().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[0x00, 0x80, 0]), 16);
        assert_eq!(bit_length(&[0x01, 0]), 9);
        assert_eq!(bit_length(&[0, 0]), 0);
        let mut m = vec![0u8];
        m.extend([0xFF; 256]);
        assert_eq!(bit_length(&m), 2048);
    }

    #[test]
    fn weakness_is_an_rsa_notion() {
        assert!(KeyAlgorithm::Rsa { bits: 1024 }.is_weak());
        assert!(!KeyAlgorithm::Rsa { bits: 2048 }.is_weak());
        assert!(!KeyAlgorithm::EcdsaP256.is_weak());
        assert_eq!(KeyAlgorithm::EcdsaP384.bits(), 384);
    }
}
