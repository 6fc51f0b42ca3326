//! The SP's signing key pair (an organization's optional setting): signs AuthnRequests. Held as
//! ring's parsed key plus the PEM it came from (so a store can persist it); `Debug` never shows
//! the private key.

use std::fmt;
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

use super::config::IdpCertificate;
use crate::error::CertificateError;

/// Why an SP key pair was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpKeyError {
    /// The private key is not a PEM `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1) block
    /// holding an RSA key ring accepts.
    #[error("the SP private key must be an RSA key in PEM (PRIVATE KEY or RSA PRIVATE KEY): {0}")]
    Key(String),
    /// The key is shorter than 2048 bits.
    #[error("the SP key has {bits} bits; use at least 2048")]
    WeakKey {
        /// Its size.
        bits: usize,
    },
    /// The certificate could not be read.
    #[error("the SP certificate: {0}")]
    Certificate(#[from] CertificateError),
    /// The certificate is for another key.
    #[error("the SP certificate does not belong to the SP private key (its public key differs)")]
    Mismatch,
    /// More SP decryption keys than a rotation needs.
    #[error("at most {max} SP decryption keys (the current one and the next, during a rotation)")]
    TooManyKeys {
        /// The most an organization keeps.
        max: usize,
    },
    /// The same certificate twice among the SP decryption keys.
    #[error("the SP decryption key with certificate SHA-256 {fingerprint} is listed twice")]
    DuplicateKey {
        /// Its certificate's SHA-256 fingerprint.
        fingerprint: String,
    },
}

/// An SP signing key pair: an RSA private key (at least 2048 bits) and its X.509 certificate,
/// which goes into SP metadata so the IdP can verify signed AuthnRequests.
#[derive(Clone)]
pub struct SpSigningKey {
    key: Arc<RsaKeyPair>,
    key_pem: Arc<str>,
    certificate: IdpCertificate,
}

impl fmt::Debug for SpSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpSigningKey")
            .field("private_key", &"[redacted]")
            .field("certificate", &self.certificate.sha256_fingerprint())
            .finish()
    }
}

impl PartialEq for SpSigningKey {
    fn eq(&self, other: &Self) -> bool {
        self.certificate == other.certificate && self.key_pem == other.key_pem
    }
}

impl Eq for SpSigningKey {}

/// The DER bodies of every PEM block labelled `label` in `text`.
pub(super) fn pem_bodies(text: &str, label: &str) -> Result<Vec<Vec<u8>>, String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(b) = rest.find(&begin) {
        let body = &rest[b + begin.len()..];
        let e = body
            .find(&end)
            .ok_or_else(|| format!("no END line for {label}"))?;
        out.push(crate::b64::decode_lenient(&body[..e], 64 * 1024)?);
        rest = &body[e + end.len()..];
    }
    Ok(out)
}

impl SpSigningKey {
    /// The key pair from PEM text: the private key (`PRIVATE KEY` PKCS#8 or `RSA PRIVATE KEY`
    /// PKCS#1, unencrypted) and its certificate (`CERTIFICATE`).
    pub fn from_pem(private_key: &str, certificate: &str) -> Result<SpSigningKey, SpKeyError> {
        let pkcs8 = pem_bodies(private_key, "PRIVATE KEY").map_err(SpKeyError::Key)?;
        let pkcs1 = pem_bodies(private_key, "RSA PRIVATE KEY").map_err(SpKeyError::Key)?;
        let key = match (pkcs8.as_slice(), pkcs1.as_slice()) {
            ([der], []) => RsaKeyPair::from_pkcs8(der),
            ([], [der]) => RsaKeyPair::from_der(der),
            ([], []) => {
                return Err(SpKeyError::Key(
                    "no PRIVATE KEY or RSA PRIVATE KEY block (an encrypted key must be decrypted first)".into(),
                ))
            }
            _ => return Err(SpKeyError::Key("several private keys".into())),
        }
        .map_err(|e| SpKeyError::Key(e.to_string()))?;
        let bits = key.public().modulus_len() * 8;
        if bits < 2048 {
            return Err(SpKeyError::WeakKey { bits });
        }
        let certificate = IdpCertificate::parse(certificate.as_bytes())?;
        if certificate.key().public_key_bytes() != key.public().as_ref() {
            return Err(SpKeyError::Mismatch);
        }
        Ok(SpSigningKey {
            key: Arc::new(key),
            key_pem: Arc::from(private_key.trim()),
            certificate,
        })
    }

    /// The certificate (published in SP metadata).
    pub fn certificate(&self) -> &IdpCertificate {
        &self.certificate
    }

    /// The private key's PEM, for a store to persist. Never log it.
    pub fn expose_private_key_pem(&self) -> &str {
        &self.key_pem
    }

    /// RSA PKCS#1 v1.5 SHA-256 signature of `message`.
    pub(crate) fn sign_rsa_sha256(&self, message: &[u8]) -> Result<Vec<u8>, SpKeyError> {
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .map_err(|_| SpKeyError::Key("signing failed".into()))?;
        Ok(sig)
    }
}
