//! Target `decrypt` (feature `encrypted-assertions`): the decryption path. Anyone can encrypt
//! anything for the SP's public key, so the plaintext is attacker-chosen: the first byte picks
//! what the rest is.
//!
//! - `0`: a plaintext, encrypted here (AES-256-GCM under a fixed content key whose RSA-OAEP
//!   wrapping for the test SP key was made once with `openssl pkeyutl`) into the Okta-shaped
//!   Response of `valid-xmlsec-aes256-cbc-oaep-mgf1p.xml`, whose Response is unsigned. It
//!   validates only as the IdP-signed user; every refusal is the one `decryption` error.
//! - `1`: a whole document, validated with the SP key and read by both overviews.
//! - `2`, `3`: (offset, xor) byte pairs applied to that vector's ciphertext (`2`) or wrapped
//!   key (`3`): any change is the one `decryption` error.

use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use sso_scim::saml::SpDecryptionKey;
use sso_scim::{AssertionValidator, RequestState, ResponseOverview, Timestamp};

/// The content key (TEST ONLY) and its RSA-OAEP (mgf1p) wrapping for `sp-cert.pem`.
const CEK: &[u8; 32] = b"fuzz-harness content key, TEST O";
const WRAPPED: &str = "jzV2QPZmGZUgsYG5DdNSsSoXru6UHXaD2TMyNBN1j173HCHHtqdkBRyen/pPdRU41ZyCymn9PZJ8UunGeCcTluNpmMRHPiQcMAs7QOFqIi8QXLRWTEH7RLPtaBTgEn64dy3tjXFO9sP6QAz/JcHoPyFcDgW0e21tz0iSBJo7LVcb74BaU8xAJx2Stq/Ep54DMx4kfL382SkZbSEATKfOF71HDV+J3BMsohAncA4O7sxPXNh5zG5RLDnr5xJvksUxM9A5GnwDWV77NDXd0OVrXb/Y62/13OTAJ8jP1chLgdCRZGhirD3QVYjzTi3oI1nhX0tiYI4DtCY8YKl4ubbb9Q==";
const VECTOR: &str = include_str!("../vectors-encrypted/valid-xmlsec-aes256-cbc-oaep-mgf1p.xml");
const EMAIL: &str = "jane.doe@example.com";

fn validator() -> &'static AssertionValidator {
    static V: OnceLock<AssertionValidator> = OnceLock::new();
    V.get_or_init(|| {
        AssertionValidator::new(super::config()).with_decryption_keys(keys().iter().cloned())
    })
}

fn keys() -> &'static [SpDecryptionKey] {
    static K: OnceLock<Vec<SpDecryptionKey>> = OnceLock::new();
    K.get_or_init(|| {
        vec![SpDecryptionKey::from_pem(
            include_str!("../vectors-encrypted/sp-key.pem"),
            include_str!("../vectors-encrypted/sp-cert.pem"),
        )
        .expect("the test SP key")]
    })
}

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(1_768_471_230) // 2026-01-15T10:00:30Z
}

/// The vector's text before and after its EncryptedAssertion.
fn around() -> (&'static str, &'static str) {
    let start = VECTOR
        .find("<saml2:EncryptedAssertion")
        .expect("the vector has an EncryptedAssertion");
    let close = "</saml2:EncryptedAssertion>";
    let end = VECTOR.find(close).expect("closed") + close.len();
    (&VECTOR[..start], &VECTOR[end..])
}

/// `plain` encrypted under [`CEK`], as an EncryptedAssertion.
fn encrypted_assertion(plain: &[u8]) -> String {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, CEK).expect("a 32-byte key"));
    let nonce = [7u8; 12];
    let mut body = plain.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut body)
        .expect("seal");
    let mut data = nonce.to_vec();
    data.extend_from_slice(&body);
    format!(
        concat!(
            r#"<saml2:EncryptedAssertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">"#,
            r#"<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">"#,
            r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>"#,
            r#"<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>"#,
            r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml2:EncryptedAssertion>"#
        ),
        WRAPPED,
        STANDARD.encode(data)
    )
}

/// Mode `0`'s outcome for `plain`: the email, or the error code (for the corpus test that
/// shows the harness reaches both sides of its property).
pub fn plaintext_outcome(plain: &[u8]) -> Result<String, String> {
    let (before, after) = around();
    let xml = format!("{before}{}{after}", encrypted_assertion(plain));
    validator()
        .validate_xml(xml.as_bytes(), &RequestState::stateless(), now())
        .map_err(|e| e.code().to_owned())
        .and_then(|p| {
            p.consume_now(&sso_scim::MemoryReplayCache::new())
                .map(|u| u.email().unwrap_or("").to_owned())
                .map_err(|e| e.to_string())
        })
}

/// The property of every document whose Response is unsigned: it validates only as the
/// IdP-signed user, and every refusal is the one decryption error.
fn only_signed_user_or_one_error(xml: &str) {
    match validator().validate_xml(xml.as_bytes(), &RequestState::stateless(), now()) {
        Ok(p) => {
            let user = p.consume_now(&sso_scim::MemoryReplayCache::new());
            let user = user.expect("a fresh cache");
            assert_eq!(
                user.email(),
                Some(EMAIL),
                "only what the IdP signed validates"
            );
        }
        Err(e) => assert_eq!(e.code(), "decryption", "{e}"),
    }
}

/// The vector with the (offset, xor) pairs of `data` applied to the bytes of its `nth`
/// CipherValue; `None` when the bytes come out unchanged.
fn flipped(data: &[u8], nth: usize) -> Option<String> {
    let tag = "<xenc:CipherValue>";
    let start = VECTOR.match_indices(tag).nth(nth)?.0 + tag.len();
    let end = start + VECTOR[start..].find('<')?;
    let mut bytes = STANDARD
        .decode(VECTOR[start..end].replace(['\n', '\r', ' '], ""))
        .ok()?;
    let original = bytes.clone();
    for pair in data.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([pair[0], pair[1]])) % bytes.len();
        bytes[at] ^= pair[2];
    }
    // Flips of one byte may cancel out.
    (bytes != original).then(|| {
        format!(
            "{}{}{}",
            &VECTOR[..start],
            STANDARD.encode(bytes),
            &VECTOR[end..]
        )
    })
}

/// Target `decrypt`.
pub fn decrypt(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            let (before, after) = around();
            only_signed_user_or_one_error(&format!("{before}{}{after}", encrypted_assertion(rest)));
        }
        1 => {
            if let Err(e) = validator().validate_xml(rest, &RequestState::stateless(), now()) {
                assert!(!e.code().is_empty() && !e.hint().is_empty());
            }
            if let Ok(o) = ResponseOverview::from_xml(rest) {
                assert!(o.encryption.len() <= o.encrypted_assertion_count);
            }
            if let Ok(o) = ResponseOverview::decrypting(rest, keys()) {
                assert!(o.decrypted || o.encrypted_assertion_count == 0);
            }
        }
        m => {
            // The data's CipherValue is the vector's last; the wrapped key's, its first.
            let nth = if m == 2 { 1 } else { 0 };
            if let Some(xml) = flipped(rest, nth) {
                match validator().validate_xml(xml.as_bytes(), &RequestState::stateless(), now()) {
                    Ok(_) => panic!("a changed ciphertext validated"),
                    Err(e) => assert_eq!(e.code(), "decryption", "{e}"),
                }
            }
        }
    }
}
