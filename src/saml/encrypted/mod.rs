//! Encrypted assertions (feature `encrypted-assertions`): the SP's decryption keys, the XML
//! Encryption profile IdPs use, and the decryption path. The validator decrypts only after a
//! signed Response is verified, and parses what comes out with the same parser and limits.

mod decrypt;
mod key;
mod xmlenc;

pub use key::{SpDecryptionKey, SpDecryptionKeys};

pub(crate) use xmlenc::parse;

use crate::error::{EncryptionError, XmlError};
use crate::xml::{Document, Element, Limits};

/// `doc` with `encrypted` (an `EncryptedAssertion` of it) replaced by its plaintext, parsed
/// with `limits`. The outer error is about the form (read before any key is used); the inner
/// one, that the plaintext did not parse, says nothing that may be told apart from a failed
/// decryption.
pub(crate) fn decrypt_in_place(
    doc: &Document,
    encrypted: Element<'_>,
    keys: &[SpDecryptionKey],
    limits: &Limits,
    allow_pkcs1: bool,
) -> Result<Result<Document, XmlError>, EncryptionError> {
    let parts = parse(encrypted, limits.max_bytes, allow_pkcs1)?;
    let plain = decrypt::decrypt(&parts, keys);
    let span = encrypted.source_span();
    let src = doc.source().as_bytes();
    let mut text = Vec::with_capacity(src.len().saturating_sub(span.len()) + plain.len());
    text.extend_from_slice(src.get(..span.start).unwrap_or_default());
    text.extend_from_slice(&plain);
    text.extend_from_slice(src.get(span.end..).unwrap_or_default());
    Ok(Document::parse_owned(text, limits))
}
