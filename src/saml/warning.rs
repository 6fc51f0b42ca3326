//! `ConfigWarning`: what an admin should know about a configuration that still works.

use std::fmt;

use crate::time::Timestamp;

/// Something an admin should know about a configuration that still works.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigWarning {
    /// A configured certificate's validity ended (signatures still verify: the key is pinned).
    CertificateExpired {
        /// Certificate subject.
        subject: String,
        /// When it expired.
        not_after: Timestamp,
    },
    /// A configured certificate expires within 30 days.
    CertificateExpiresSoon {
        /// Certificate subject.
        subject: String,
        /// When it expires.
        not_after: Timestamp,
    },
    /// A configured certificate is not valid yet.
    CertificateNotYetValid {
        /// Certificate subject.
        subject: String,
        /// When it becomes valid.
        not_before: Timestamp,
    },
    /// A configured certificate's key is shorter than 2048 bits: its signatures are refused unless
    /// the insecure legacy opt-in is on.
    WeakKey {
        /// Certificate subject.
        subject: String,
        /// Key size in bits.
        bits: usize,
    },
    /// The insecure SHA-1 / short-key opt-in is enabled.
    InsecureSha1Allowed,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigWarning::CertificateExpired { subject, not_after } => write!(
                f,
                "the IdP certificate {subject} expired at {not_after}; Okta will sign with a new one: download it (Sign On > SAML Signing Certificates) and add it"
            ),
            ConfigWarning::CertificateExpiresSoon { subject, not_after } => write!(
                f,
                "the IdP certificate {subject} expires at {not_after}; in Okta generate the next certificate, add it here next to the current one, then activate it in Okta"
            ),
            ConfigWarning::CertificateNotYetValid { subject, not_before } => {
                write!(f, "the IdP certificate {subject} is valid only from {not_before}")
            }
            ConfigWarning::WeakKey { subject, bits } => write!(
                f,
                "the IdP certificate {subject} has a {bits}-bit key; signatures need at least 2048 bits (generate a new 2048-bit certificate in Okta)"
            ),
            ConfigWarning::InsecureSha1Allowed => f.write_str(
                "SHA-1 signatures and RSA keys under 2048 bits are accepted (insecure_allow_sha1): switch Okta to RSA-SHA256 and turn this off",
            ),
        }
    }
}
