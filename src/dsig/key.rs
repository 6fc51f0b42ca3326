//! The IdP's RSA public key, taken once from a configured X.509 certificate.

use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::error::CertificateError;
use crate::time::Timestamp;

/// An RSA public key ready for verification (PKCS#1 `RSAPublicKey` DER, as ring takes it).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RsaKey {
    pkcs1: Vec<u8>,
    bits: usize,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaKey({} bits)", self.bits)
    }
}

impl RsaKey {
    pub(crate) fn bits(&self) -> usize {
        self.bits
    }
    pub(crate) fn pkcs1_der(&self) -> &[u8] {
        &self.pkcs1
    }
}

/// What the crate keeps from a certificate.
#[derive(Clone, Debug)]
pub(crate) struct CertificateFacts {
    pub key: RsaKey,
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

/// Reads an X.509 certificate (DER) and extracts its RSA key and validity window.
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
            RsaKey {
                pkcs1: spki.subject_public_key.data.to_vec(),
                bits,
            }
        }
        Ok(_) | Err(_) => {
            return Err(CertificateError::NotRsa {
                algorithm: spki.algorithm.algorithm.to_id_string(),
            })
        }
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
}
