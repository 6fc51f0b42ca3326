//! `SpDecryptionKey`: the SP's RSA key pair that IdPs encrypt assertions for (its certificate is
//! uploaded to Okta as the "Encryption Certificate" and published in SP metadata).

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, Pkcs1PrivateDecryptingKey, PrivateDecryptingKey};
use ring::signature::{KeyPair, RsaKeyPair};

use super::super::config::IdpCertificate;
use super::super::sp_key::{pem_bodies, SpKeyError};

/// An SP decryption key pair: an RSA private key of at least 2048 bits and its X.509
/// certificate. An organization may configure two during a rotation; they are tried in order.
#[derive(Clone)]
pub struct SpDecryptionKey {
    key: Arc<PrivateDecryptingKey>,
    key_pem: Arc<str>,
    certificate: IdpCertificate,
}

impl fmt::Debug for SpDecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpDecryptionKey")
            .field("private_key", &"[redacted]")
            .field("certificate", &self.certificate.sha256_fingerprint())
            .finish()
    }
}

impl PartialEq for SpDecryptionKey {
    fn eq(&self, other: &Self) -> bool {
        self.certificate == other.certificate && self.key_pem == other.key_pem
    }
}

impl Eq for SpDecryptionKey {}

/// A PKCS#1 `RSAPrivateKey` wrapped as the PKCS#8 `PrivateKeyInfo` aws-lc-rs reads.
fn pkcs1_to_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    fn der(tag: u8, body: &[u8], out: &mut Vec<u8>) {
        out.push(tag);
        let n = body.len();
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let bytes = n.to_be_bytes();
            let skip = bytes.iter().take_while(|&&b| b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(body);
    }
    // version 0, AlgorithmIdentifier { rsaEncryption, NULL }, privateKey OCTET STRING.
    let mut body = vec![0x02, 0x01, 0x00];
    body.extend_from_slice(&[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ]);
    der(0x04, pkcs1, &mut body);
    let mut out = Vec::with_capacity(body.len() + 4);
    der(0x30, &body, &mut out);
    out
}

impl SpDecryptionKey {
    /// The key pair from PEM text: the private key (`PRIVATE KEY` PKCS#8 or `RSA PRIVATE KEY`
    /// PKCS#1, unencrypted, RSA of at least 2048 bits) and its certificate (`CERTIFICATE`),
    /// which must hold the same public key.
    pub fn from_pem(private_key: &str, certificate: &str) -> Result<SpDecryptionKey, SpKeyError> {
        let pkcs8 = pem_bodies(private_key, "PRIVATE KEY").map_err(SpKeyError::Key)?;
        let pkcs1 = pem_bodies(private_key, "RSA PRIVATE KEY").map_err(SpKeyError::Key)?;
        let (pkcs8, public) = match (pkcs8.as_slice(), pkcs1.as_slice()) {
            ([der], []) => (der.clone(), RsaKeyPair::from_pkcs8(der)),
            ([], [der]) => (pkcs1_to_pkcs8(der), RsaKeyPair::from_der(der)),
            ([], []) => {
                return Err(SpKeyError::Key(
                    "no PRIVATE KEY or RSA PRIVATE KEY block (an encrypted key must be decrypted first)".into(),
                ))
            }
            _ => return Err(SpKeyError::Key("several private keys".into())),
        };
        // ring checks the key's consistency and gives its public half (as the certificate has
        // it); aws-lc-rs, which decrypts, reads the same key.
        let public = public.map_err(|e| SpKeyError::Key(e.to_string()))?;
        let bits = public.public().modulus_len() * 8;
        if bits < 2048 {
            return Err(SpKeyError::WeakKey { bits });
        }
        let key =
            PrivateDecryptingKey::from_pkcs8(&pkcs8).map_err(|e| SpKeyError::Key(e.to_string()))?;
        let certificate = IdpCertificate::parse(certificate.as_bytes())?;
        if certificate.key().public_key_bytes() != public.public_key().as_ref() {
            return Err(SpKeyError::Mismatch);
        }
        Ok(SpDecryptionKey {
            key: Arc::new(key),
            key_pem: Arc::from(private_key.trim()),
            certificate,
        })
    }

    /// The certificate (uploaded to the IdP, and published in SP metadata as the encryption
    /// `KeyDescriptor`).
    pub fn certificate(&self) -> &IdpCertificate {
        &self.certificate
    }

    /// The private key's PEM, for a store to persist. Never log it.
    pub fn expose_private_key_pem(&self) -> &str {
        &self.key_pem
    }

    /// The key size in bytes (the length of a wrapped key).
    pub(crate) fn size_bytes(&self) -> usize {
        self.key.key_size_bytes()
    }

    /// RSA-OAEP decryption of `wrapped` into `out`; `None` on any failure.
    pub(crate) fn oaep<'o>(
        &self,
        algorithm: &'static aws_lc_rs::rsa::OaepAlgorithm,
        wrapped: &[u8],
        out: &'o mut [u8],
    ) -> Option<&'o [u8]> {
        let key = OaepPrivateDecryptingKey::new(PrivateDecryptingKey::clone(&self.key)).ok()?;
        key.decrypt(algorithm, wrapped, out, None).ok().map(|p| &*p)
    }

    /// RSA PKCS#1 v1.5 decryption (only with the `rsa-1_5` opt-in); `None` on any failure.
    pub(crate) fn pkcs1<'o>(&self, wrapped: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
        let key = Pkcs1PrivateDecryptingKey::new(PrivateDecryptingKey::clone(&self.key)).ok()?;
        key.decrypt(wrapped, out).ok().map(|p| &*p)
    }
}

/// An organization's SP decryption keys: none, one, or (during a rotation) two, with distinct
/// certificates, tried in order. The first is the one SP metadata lists first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpDecryptionKeys(Vec<SpDecryptionKey>);

impl SpDecryptionKeys {
    /// The most keys kept at once: the current one and the next.
    pub const MAX: usize = 2;

    /// The keys, in the order they are tried; refused when there are more than
    /// [`MAX`](SpDecryptionKeys::MAX) or a certificate appears twice.
    pub fn new(
        keys: impl IntoIterator<Item = SpDecryptionKey>,
    ) -> Result<SpDecryptionKeys, SpKeyError> {
        let mut out: Vec<SpDecryptionKey> = Vec::new();
        for k in keys {
            if out.len() == Self::MAX {
                return Err(SpKeyError::TooManyKeys { max: Self::MAX });
            }
            if out.iter().any(|o| o.certificate == k.certificate) {
                return Err(SpKeyError::DuplicateKey {
                    fingerprint: k.certificate.sha256_fingerprint(),
                });
            }
            out.push(k);
        }
        Ok(SpDecryptionKeys(out))
    }

    /// No keys: encrypted assertions are refused.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys, in the order they are tried.
    pub fn as_slice(&self) -> &[SpDecryptionKey] {
        &self.0
    }

    /// The keys, in the order they are tried.
    pub fn iter(&self) -> std::slice::Iter<'_, SpDecryptionKey> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a SpDecryptionKeys {
    type Item = &'a SpDecryptionKey;
    type IntoIter = std::slice::Iter<'a, SpDecryptionKey>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::pkcs1_to_pkcs8;

    #[test]
    fn wraps_with_long_lengths() {
        let inner = vec![0x30; 1200];
        let w = pkcs1_to_pkcs8(&inner);
        assert_eq!(&w[..4], &[0x30, 0x82, 0x04, 0xc6]);
        assert_eq!(w.len(), 4 + 0x4c6);
        assert!(w.ends_with(&inner));
    }
}
