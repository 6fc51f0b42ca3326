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
use crate::dsig::{self, Policy, Signed};
use crate::error::{EncryptionError, SamlError, SignatureError, SignedPart, StructureError};
use crate::xml::{C14nBuffers, Document, Element};

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
    fn policy(&self) -> Policy {
        Policy {
            insecure_allow_sha1: self.config.insecure_allow_sha1(),
        }
    }

    /// Verifies the Response signature (if any) and the status, then decrypts `encrypted` and
    /// rebuilds the document around its plaintext.
    pub(super) fn decrypt<'d>(
        &self,
        doc: &'d Document,
        shape: &Shape<'d>,
        encrypted: Element<'d>,
    ) -> Result<Decrypted<'d>, SamlError> {
        let root = shape.root;
        let mut buffers = C14nBuffers::default();
        let response = match shape.response_signature {
            Some(s) => {
                let parsed = dsig::parse(s, SignedPart::Response)?;
                let prepared = dsig::prepare(
                    parsed,
                    SignedPart::Response,
                    root,
                    &self.keys,
                    self.policy(),
                )?;
                let (digest, _) = prepared.digest(None, &mut buffers)?;
                let signed = prepared.finish(&digest, &mut buffers)?;
                self.cross_check(doc, SignedPart::Response)?;
                Some(signed)
            }
            None => None,
        };
        read::status(root)?;
        if encrypted.parent() != Some(root) {
            return Err(StructureError::MisplacedAssertion.into());
        }
        let limits = &self.limits;
        let parts = encrypted::parse(
            encrypted,
            limits.max_bytes,
            self.decryption.insecure_allow_rsa1_5,
        )?;
        let plain = encrypted::decrypt(&parts, &self.decryption.keys);
        let span = encrypted.source_span();
        let src = doc.source().as_bytes();
        let mut text = Vec::with_capacity(src.len().saturating_sub(span.len()) + plain.len());
        text.extend_from_slice(src.get(..span.start).unwrap_or_default());
        text.extend_from_slice(&plain);
        text.extend_from_slice(src.get(span.end..).unwrap_or_default());
        let rebuilt = Document::parse_owned(text, limits).map_err(|e| hide(response, e.into()))?;
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
                Some(s) => {
                    let mut buffers = C14nBuffers::default();
                    let parsed = dsig::parse(s, SignedPart::Assertion)?;
                    let prepared = dsig::prepare(
                        parsed,
                        SignedPart::Assertion,
                        assertion,
                        &self.keys,
                        self.policy(),
                    )?;
                    let (digest, _) = prepared.digest(None, &mut buffers)?;
                    let signed = prepared.finish(&digest, &mut buffers)?;
                    self.cross_check(rebuilt, SignedPart::Assertion)?;
                    Ok(Verified {
                        response,
                        assertion: signed,
                        assertion_signed: true,
                    })
                }
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
