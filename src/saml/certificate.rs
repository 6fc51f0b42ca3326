//! `IdpCertificate`: an IdP signing certificate, parsed once (PEM, bare base64 or DER).

use std::fmt;

use crate::dsig::{IdpKey, KeyAlgorithm};
use crate::error::CertificateError;
use crate::time::Timestamp;

/// Largest certificate input accepted (PEM text, base64 or DER), per certificate field value.
pub(crate) const MAX_CERTIFICATE_INPUT: usize = 64 * 1024;

/// The IdP's X.509 signing certificate, parsed once; its key (RSA, or ECDSA on P-256 or P-384)
/// is what signatures are checked against (a certificate inside a response's KeyInfo is never
/// used).
///
/// The certificate's own signature, issuer and dates are not judged when verifying responses
/// (the key is pinned, as Okta's setup intends); [`SsoConfig::warnings`](crate::SsoConfig::warnings) reports the dates.
#[derive(Clone)]
pub struct IdpCertificate {
    der: Vec<u8>,
    key: IdpKey,
    not_before: Timestamp,
    not_after: Timestamp,
    subject: String,
    fingerprint: [u8; 32],
}

impl fmt::Debug for IdpCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpCertificate")
            .field("subject", &self.subject)
            .field("key_bits", &self.key.bits())
            .field("not_after", &self.not_after.to_string())
            .field("sha256", &self.sha256_fingerprint())
            .finish()
    }
}

impl PartialEq for IdpCertificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for IdpCertificate {}

impl IdpCertificate {
    /// Parses one certificate from DER bytes.
    pub fn from_der(der: &[u8]) -> Result<IdpCertificate, CertificateError> {
        if der.is_empty() {
            return Err(CertificateError::Empty);
        }
        if der.len() > MAX_CERTIFICATE_INPUT {
            return Err(CertificateError::TooLarge {
                limit: MAX_CERTIFICATE_INPUT,
                actual: der.len(),
            });
        }
        let facts = crate::dsig::certificate_facts(der)?;
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(digest.as_ref());
        Ok(IdpCertificate {
            der: der.to_vec(),
            key: facts.key,
            not_before: facts.not_before,
            not_after: facts.not_after,
            subject: facts.subject,
            fingerprint,
        })
    }

    /// Parses every certificate in `input`, which may be PEM (one or several `CERTIFICATE`
    /// blocks, as Okta's "Download certificate" gives), bare base64 (the body of a PEM block, or
    /// the `X509Certificate` text from IdP metadata) or DER.
    pub fn parse_all(input: &[u8]) -> Result<Vec<IdpCertificate>, CertificateError> {
        if input.len() > MAX_CERTIFICATE_INPUT * 4 {
            return Err(CertificateError::TooLarge {
                limit: MAX_CERTIFICATE_INPUT * 4,
                actual: input.len(),
            });
        }
        if input.first() == Some(&0x30) {
            return Ok(vec![IdpCertificate::from_der(input)?]);
        }
        let text = std::str::from_utf8(input).map_err(|_| CertificateError::Encoding {
            reason: "neither DER nor text".into(),
        })?;
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            return Err(CertificateError::Empty);
        }
        if !text.contains("-----BEGIN") {
            let der = crate::b64::decode_lenient(text, MAX_CERTIFICATE_INPUT)
                .map_err(|reason| CertificateError::Encoding { reason })?;
            return Ok(vec![IdpCertificate::from_der(&der)?]);
        }
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(begin) = rest.find("-----BEGIN ") {
            let after = &rest[begin + 11..];
            let label_end = after
                .find("-----")
                .ok_or_else(|| CertificateError::Encoding {
                    reason: "unterminated BEGIN line".into(),
                })?;
            let label = &after[..label_end];
            let body_start = &after[label_end + 5..];
            let end_marker = format!("-----END {label}-----");
            let body_end =
                body_start
                    .find(&end_marker)
                    .ok_or_else(|| CertificateError::Encoding {
                        reason: format!("no matching END line for {label:?}"),
                    })?;
            if label != "CERTIFICATE" {
                return Err(CertificateError::WrongPemLabel {
                    label: label.chars().take(40).collect(),
                });
            }
            let body = &body_start[..body_end];
            let der = crate::b64::decode_lenient(body, MAX_CERTIFICATE_INPUT)
                .map_err(|reason| CertificateError::Encoding { reason })?;
            out.push(IdpCertificate::from_der(&der)?);
            rest = &body_start[body_end + end_marker.len()..];
        }
        Ok(out)
    }

    /// Parses exactly one certificate (PEM, bare base64 or DER).
    pub fn parse(input: &[u8]) -> Result<IdpCertificate, CertificateError> {
        let mut all = IdpCertificate::parse_all(input)?;
        match all.len() {
            1 => Ok(all.remove(0)),
            0 => Err(CertificateError::Empty),
            n => Err(CertificateError::Encoding {
                reason: format!("{n} certificates where one was expected"),
            }),
        }
    }

    /// The certificate's DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate as PEM text.
    pub fn to_pem(&self) -> String {
        let b64 = crate::b64::encode(&self.der);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }

    /// The subject distinguished name, for display.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Start of the validity window.
    pub fn not_before(&self) -> Timestamp {
        self.not_before
    }

    /// End of the validity window.
    pub fn not_after(&self) -> Timestamp {
        self.not_after
    }

    /// The key size in bits: the RSA modulus, or the ECDSA curve's (256, 384).
    pub fn key_bits(&self) -> usize {
        self.key.bits()
    }

    /// The kind of key, which decides the `SignatureMethod`s it verifies.
    pub fn key_algorithm(&self) -> KeyAlgorithm {
        self.key.algorithm()
    }

    /// SHA-256 fingerprint of the DER, as colon-separated uppercase hex (as Okta shows it).
    pub fn sha256_fingerprint(&self) -> String {
        let mut s = String::with_capacity(95);
        for (i, b) in self.fingerprint.iter().enumerate() {
            if i > 0 {
                s.push(':');
            }
            s.push_str(&format!("{b:02X}"));
        }
        s
    }

    pub(crate) fn key(&self) -> &IdpKey {
        &self.key
    }
}
