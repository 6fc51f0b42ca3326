//! Stage 2, verification: the signatures the shape found are verified against the configured
//! certificates, and the verified elements come out as [`Signed`] values. Every later stage reads
//! what it accepts through them.

use super::super::{ns, read};
use super::shape::Shape;
use super::AssertionValidator;
use crate::dsig::{self, Policy, Signed};
use crate::error::{SamlError, SignatureError, SignedPart, StructureError};
use crate::xml::{C14nBuffers, Document, Element};

/// What the signatures cover.
#[derive(Clone, Copy, Debug)]
pub(super) struct Verified<'d> {
    /// The Response, when its signature was verified.
    pub response: Option<Signed<'d>>,
    /// The Assertion, covered by its own verified signature or by the Response's.
    pub assertion: Signed<'d>,
    /// Whether the Assertion's own signature was verified (reported to the host).
    pub assertion_signed: bool,
}

impl AssertionValidator {
    /// Verifies the Response signature (if any), checks the status, then the Assertion's
    /// placement and signature: a Response is unsigned only when its Assertion is signed.
    pub(super) fn verify<'d>(
        &self,
        doc: &'d Document,
        shape: &Shape<'d>,
    ) -> Result<Verified<'d>, SamlError> {
        let policy = self.policy();
        let mut buffers = C14nBuffers::default();
        let root = shape.root;
        // When both are signed, the Assertion's signature is read now so that one pass over the
        // Response gives both digests; its errors are still reported in their turn, below.
        let mut early = None;
        let mut early_digest = None;
        let response = match shape.response_signature {
            Some(s) => {
                let parsed = dsig::parse(s, SignedPart::Response)?;
                let prepared =
                    dsig::prepare(parsed, SignedPart::Response, root, &self.keys, policy)?;
                early = match (shape.assertion_signature, shape.assertion) {
                    (Some(sa), Some(a)) if a.parent() == Some(root) => {
                        Some(dsig::parse(sa, SignedPart::Assertion).and_then(|p| {
                            dsig::prepare(p, SignedPart::Assertion, a, &self.keys, policy)
                        }))
                    }
                    _ => None,
                };
                let nested = early.as_ref().and_then(|r| r.as_ref().ok());
                let (digest, nested_digest) = prepared.digest(nested, &mut buffers)?;
                early_digest = nested_digest;
                let signed = prepared.finish(&digest, &mut buffers)?;
                self.cross_check(doc, SignedPart::Response)?;
                Some(signed)
            }
            None => None,
        };
        read::status(root)?;
        let assertion = shape.assertion.ok_or(StructureError::NoAssertion)?;
        if assertion.parent() != Some(root) {
            return Err(StructureError::MisplacedAssertion.into());
        }
        let (assertion, assertion_signed) = match (shape.assertion_signature, response) {
            (Some(s), _) => {
                let prepared = match early {
                    Some(result) => result?,
                    None => {
                        let parsed = dsig::parse(s, SignedPart::Assertion)?;
                        dsig::prepare(parsed, SignedPart::Assertion, assertion, &self.keys, policy)?
                    }
                };
                let digest = match early_digest {
                    Some(d) => d,
                    None => prepared.digest(None, &mut buffers)?.0,
                };
                let signed = prepared.finish(&digest, &mut buffers)?;
                self.cross_check(doc, SignedPart::Assertion)?;
                (signed, true)
            }
            (None, Some(response)) => (
                response
                    .child(assertion)
                    .ok_or(StructureError::MisplacedAssertion)?,
                false,
            ),
            (None, None) => return Err(SignatureError::Unsigned.into()),
        };
        debug_assert!(assertion.is(ns::SAML, "Assertion"));
        Ok(Verified {
            response,
            assertion,
            assertion_signed,
        })
    }

    /// The signature policy of the configuration.
    pub(super) fn policy(&self) -> Policy {
        Policy {
            insecure_allow_sha1: self.config.insecure_allow_sha1(),
        }
    }

    /// Verifies one signature, `signature` of `part`, over `covered` in `doc`, on its own (no
    /// nested digest): what a Signed value for `covered` is made of.
    #[cfg_attr(not(feature = "encrypted-assertions"), allow(dead_code))]
    pub(super) fn verify_one<'d>(
        &self,
        doc: &'d Document,
        signature: Element<'d>,
        part: SignedPart,
        covered: Element<'d>,
    ) -> Result<Signed<'d>, SamlError> {
        let mut buffers = C14nBuffers::default();
        let parsed = dsig::parse(signature, part)?;
        let prepared = dsig::prepare(parsed, part, covered, &self.keys, self.policy())?;
        let (digest, _) = prepared.digest(None, &mut buffers)?;
        let signed = prepared.finish(&digest, &mut buffers)?;
        self.cross_check(doc, part)?;
        Ok(signed)
    }

    /// With the `xmlsec` feature: libxmlsec1 must accept the signature we just verified.
    #[cfg(feature = "xmlsec")]
    pub(super) fn cross_check(
        &self,
        doc: &Document,
        part: SignedPart,
    ) -> Result<(), SignatureError> {
        let pems: Vec<String> = self
            .config
            .idp_certificates()
            .iter()
            .map(|c| c.to_pem())
            .collect();
        match dsig::libxmlsec_verifies(doc.source().as_bytes(), part, &pems) {
            Ok(true) => Ok(()),
            Ok(false) => Err(SignatureError::CrossCheck {
                part,
                reason: "libxmlsec1 does not verify this signature".into(),
            }),
            Err(reason) => Err(SignatureError::CrossCheck { part, reason }),
        }
    }

    #[cfg(not(feature = "xmlsec"))]
    pub(super) fn cross_check(
        &self,
        _doc: &Document,
        _part: SignedPart,
    ) -> Result<(), SignatureError> {
        Ok(())
    }
}
