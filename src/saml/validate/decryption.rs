//! Stage 2 for an EncryptedAssertion (feature `encrypted-assertions`): the Response signature,
//! when there is one, is verified before anything is decrypted; then the assertion is decrypted,
//! put back where the `EncryptedAssertion` was, and the rebuilt document is parsed with the same
//! parser and limits (so the assertion keeps the namespaces and `xml:` attributes in scope
//! there, as when the IdP signed it). The same rules then hold as for a plain Assertion: exactly
//! one, a direct child of the Response, signed itself or covered by the verified Response.
//!
//! Without a verified Response signature, the ciphertext may be anyone's: every failure from the
//! key unwrap to the inner assertion's verified signature is then the one
//! [`EncryptionError::Decryption`], so that nothing about the plaintext can be learned from
//! which step refused it.

use super::super::encrypted::{self, SpDecryptionKey};
use super::super::read;
use super::shape::{self, Shape};
use super::verification::Verified;
use super::AssertionValidator;
use crate::dsig::Signed;
use crate::error::{EncryptionError, SamlError, SignatureError, SignedPart, StructureError};
use crate::xml::{Document, Element};

/// The SP's decryption keys and the key transport opt-in of a validator.
#[derive(Clone, Debug, Default)]
pub(super) struct Decryption {
    pub keys: Vec<SpDecryptionKey>,
    pub insecure_allow_rsa1_5: bool,
}

/// A Response whose EncryptedAssertion was decrypted: the Response signature's result (verified
/// on the document as posted) and the document rebuilt with the plaintext.
pub(super) struct Decrypted<'d> {
    pub response: Option<Signed<'d>>,
    pub rebuilt: Document,
}

impl AssertionValidator {
    /// Verifies the Response signature (if any) and the status, then decrypts `encrypted` and
    /// rebuilds the document around its plaintext.
    pub(super) fn decrypt<'d>(
        &self,
        doc: &'d Document,
        shape: &Shape<'d>,
        encrypted: Element<'d>,
    ) -> Result<Decrypted<'d>, SamlError> {
        let root = shape.root;
        let response = match shape.response_signature {
            Some(s) => Some(self.verify_one(doc, s, SignedPart::Response, root)?),
            None => None,
        };
        read::status(root)?;
        if encrypted.parent() != Some(root) {
            return Err(StructureError::MisplacedAssertion.into());
        }
        let rebuilt = encrypted::decrypt_in_place(
            doc,
            encrypted,
            &self.decryption.keys,
            &self.limits,
            self.decryption.insecure_allow_rsa1_5,
        )?
        .map_err(|e| hide(response, e.into()))?;
        Ok(Decrypted { response, rebuilt })
    }

    /// Verifies the decrypted Assertion in `rebuilt`: its own signature, or else the Response's
    /// (`response`, verified on the document as posted; `covered` is the EncryptedAssertion
    /// inside what it covers).
    pub(super) fn verify_decrypted<'s>(
        &self,
        rebuilt: &'s Document,
        response: Option<Signed<'s>>,
        covered: Option<Signed<'s>>,
    ) -> Result<Verified<'s>, SamlError> {
        let verified = (|| {
            // Exactly one Assertion now, no second EncryptedAssertion inside the plaintext,
            // signatures only where SAML puts them.
            let shape = shape::shape(rebuilt, false)?;
            let assertion = shape.assertion.ok_or(StructureError::NoAssertion)?;
            if assertion.parent() != Some(shape.root) {
                return Err(StructureError::MisplacedAssertion.into());
            }
            match shape.assertion_signature {
                Some(s) => Ok(Verified {
                    response,
                    assertion: self.verify_one(rebuilt, s, SignedPart::Assertion, assertion)?,
                    assertion_signed: true,
                }),
                None => match covered {
                    Some(encrypted) => Ok(Verified {
                        response,
                        assertion: encrypted.decrypted(assertion),
                        assertion_signed: false,
                    }),
                    None => Err(SignatureError::Unsigned.into()),
                },
            }
        })();
        verified.map_err(|e| hide(response, e))
    }
}

/// `e` as it is when a verified Response signature covers the ciphertext; else the one
/// decryption error.
fn hide(response: Option<Signed<'_>>, e: SamlError) -> SamlError {
    match response {
        Some(_) => e,
        None => EncryptionError::Decryption.into(),
    }
}
