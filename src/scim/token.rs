//! SCIM bearer tokens: random, shown once, stored only as a hash, compared in constant time,
//! scoped to one organization.
//!
//! A generated token reads `scim.<id>.<secret>`: a public 128-bit id (to find the record) and a
//! 256-bit secret, both URL-safe base64. The store keeps the id, the organization and
//! SHA-256(secret). Tokens created elsewhere can be imported; their record id is then derived
//! from the token's hash.

use std::borrow::Cow;
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use crate::store::{OrgId, TokenRecord};
use crate::time::Timestamp;

const PREFIX: &str = "scim.";
/// Shortest imported token accepted (a guessable token would defeat the rest).
pub(crate) const MIN_IMPORTED_LEN: usize = 20;
/// Longest token accepted anywhere.
pub(crate) const MAX_TOKEN_LEN: usize = 512;

/// A freshly generated token: the secret is shown to the admin once and never stored.
#[derive(Clone)]
pub struct GeneratedToken {
    secret: String,
    record: TokenRecord,
}

impl fmt::Debug for GeneratedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedToken")
            .field("token", &"[redacted]")
            .field("record", &self.record)
            .finish()
    }
}

impl GeneratedToken {
    /// The bearer token to paste into Okta's SCIM connector ("API Token"). Show it once; it cannot
    /// be recovered later.
    pub fn expose_secret(&self) -> &str {
        &self.secret
    }

    /// The stored record (id, organization, hash, label, creation time).
    pub fn record(&self) -> &TokenRecord {
        &self.record
    }
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Random bytes, or `None` if the system generator fails.
pub(crate) fn random<const N: usize>(rng: &SystemRandom) -> Option<[u8; N]> {
    let mut b = [0u8; N];
    rng.fill(&mut b).ok()?;
    Some(b)
}

pub(crate) fn generate(
    rng: &SystemRandom,
    org: &OrgId,
    label: &str,
    now: Timestamp,
) -> Option<GeneratedToken> {
    let id = URL_SAFE_NO_PAD.encode(random::<16>(rng)?);
    let secret = URL_SAFE_NO_PAD.encode(random::<32>(rng)?);
    let token = format!("{PREFIX}{id}.{secret}");
    Some(GeneratedToken {
        record: TokenRecord {
            id,
            org: org.clone(),
            secret_hash: sha256(secret.as_bytes()),
            label: label.to_owned(),
            created: now,
            revoked: false,
        },
        secret: token,
    })
}

/// The record id and the secret part of a presented token.
pub(crate) fn split(token: &str) -> (Cow<'_, str>, &str) {
    if let Some(rest) = token.strip_prefix(PREFIX) {
        if let Some((id, secret)) = rest.split_once('.') {
            if id.len() == 22 && !secret.is_empty() {
                return (Cow::Borrowed(id), secret);
            }
        }
    }
    // An imported token: its id is derived from the whole token.
    let mut h = sha256(format!("sso-scim imported token id\0{token}").as_bytes()).to_vec();
    h.truncate(16);
    (
        Cow::Owned(format!("imported-{}", URL_SAFE_NO_PAD.encode(h))),
        token,
    )
}

/// A record for a token made elsewhere (e.g. a token an admin already configured in Okta).
pub(crate) fn import(org: &OrgId, token: &str, label: &str, now: Timestamp) -> TokenRecord {
    let (id, secret) = split(token);
    TokenRecord {
        id: id.into_owned(),
        org: org.clone(),
        secret_hash: sha256(secret.as_bytes()),
        label: label.to_owned(),
        created: now,
        revoked: false,
    }
}

/// Does `secret` match the record? Constant time in the secret.
pub(crate) fn verify(record: &TokenRecord, secret: &str) -> bool {
    let presented = sha256(secret.as_bytes());
    // Compare every byte regardless of where they differ.
    let diff = presented
        .iter()
        .zip(record.secret_hash.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    diff == 0 && !record.revoked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_verify_and_differ() {
        let rng = SystemRandom::new();
        let org = OrgId::new("o").unwrap();
        let t = generate(&rng, &org, "okta", Timestamp::from_unix_seconds(0)).unwrap();
        let u = generate(&rng, &org, "okta", Timestamp::from_unix_seconds(0)).unwrap();
        assert_ne!(t.expose_secret(), u.expose_secret());
        assert!(
            t.expose_secret().starts_with("scim.") && t.expose_secret().len() == 5 + 22 + 1 + 43
        );
        let (id, secret) = split(t.expose_secret());
        assert_eq!(id, t.record().id);
        assert!(verify(t.record(), secret));
        let first = secret.chars().next().unwrap();
        let flipped = format!("{}{}", if first == 'x' { 'y' } else { 'x' }, &secret[1..]);
        assert!(!verify(t.record(), &flipped));
        assert!(!verify(u.record(), secret));
        assert!(!format!("{t:?}").contains(secret));
        let mut revoked = t.record().clone();
        revoked.revoked = true;
        assert!(!verify(&revoked, secret));
    }

    #[test]
    fn imported_tokens_verify() {
        let org = OrgId::new("o").unwrap();
        let r = import(
            &org,
            "an-okta-configured-secret-token",
            "",
            Timestamp::from_unix_seconds(0),
        );
        let (id, secret) = split("an-okta-configured-secret-token");
        assert_eq!(id, r.id);
        assert!(verify(&r, secret));
        let (other, _) = split("another-okta-configured-token");
        assert_ne!(other, r.id);
    }
}
