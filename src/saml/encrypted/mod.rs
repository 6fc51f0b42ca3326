//! Encrypted assertions (feature `encrypted-assertions`): the SP's decryption keys, the XML
//! Encryption profile IdPs use, and the decryption path. The validator decrypts only after a
//! signed Response is verified, and parses what comes out with the same parser and limits.

mod decrypt;
mod key;
mod xmlenc;

pub use key::SpDecryptionKey;

pub(crate) use decrypt::decrypt;
pub(crate) use xmlenc::parse;
