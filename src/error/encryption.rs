//! Why an EncryptedAssertion was refused (feature `encrypted-assertions`).

/// An EncryptedAssertion could not be used.
///
/// Everything about the ciphertext that the sender could have changed without the SP's private
/// key (the wrapped key, the IV, the ciphertext, the tag, and so whatever the plaintext turns
/// out to be) is reported as [`EncryptionError::Decryption`] alone, with one message, unless a
/// verified Response signature covers the ciphertext: a padding, tag or parse outcome that
/// differed would be an oracle on the plaintext.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncryptionError {
    /// The `EncryptedAssertion` is not the shape IdPs send (one `EncryptedData` of an element,
    /// its key in an `EncryptedKey` this crate can find).
    #[error("the EncryptedAssertion is outside the accepted XML Encryption profile: {reason}")]
    Structure {
        /// What is outside the profile.
        reason: String,
    },
    /// A key transport or data encryption algorithm (or digest, or MGF) that is not
    /// implemented, or refused (`rsa-1_5` without the opt-in).
    #[error("the EncryptedAssertion uses an unsupported algorithm {algorithm}")]
    UnsupportedAlgorithm {
        /// The algorithm URI.
        algorithm: String,
    },
    /// The assertion could not be decrypted and verified with the SP's keys. One error, one
    /// message, whatever went wrong (see the type's documentation).
    #[error(
        "the EncryptedAssertion could not be decrypted and verified with the SP decryption keys"
    )]
    Decryption,
}
