//! Stage 1, shape: the document is one Response with at most one Assertion, unique IDs, and
//! signatures only where SAML puts them. Nothing here is trusted; it only decides what the
//! verification stage must verify.

use std::collections::HashSet;

use super::super::{ns, read};
use crate::dsig::DSIG_NS;
use crate::error::{SamlError, SignatureError, SignedPart, StructureError};
use crate::xml::{Document, Element, XML_NS};

/// Where the Assertion and the signatures sit (all unverified).
#[derive(Clone, Copy, Debug)]
pub(super) struct Shape<'d> {
    /// The `samlp:Response` document element.
    pub root: Element<'d>,
    /// The one `saml:Assertion`, anywhere in the document (its placement is checked after the
    /// Response signature and the status, so those errors come first).
    pub assertion: Option<Element<'d>>,
    /// The `ds:Signature` child of the Response.
    pub response_signature: Option<Element<'d>>,
    /// The `ds:Signature` child of the Assertion (when the Assertion is a child of the Response).
    pub assertion_signature: Option<Element<'d>>,
    /// The one `saml:EncryptedAssertion` (only when encrypted assertions are accepted; then it
    /// is instead of an Assertion).
    pub encrypted: Option<Element<'d>>,
}

/// Reads the shape of `doc`, refusing anything but one Response with at most one Assertion,
/// plain or (when `accept_encrypted`) encrypted.
pub(super) fn shape(doc: &Document, accept_encrypted: bool) -> Result<Shape<'_>, SamlError> {
    let root = doc.root();
    if !root.is(ns::SAMLP, "Response") {
        return Err(StructureError::NotAResponse {
            found: format!("{{{}}}{}", root.namespace(), root.local_name()),
        }
        .into());
    }
    read::version(root, "Response")?;

    // One pass over the elements: the IDs (a repeated one is refused first, wherever it is),
    // the assertions, and the first three signatures (two places exist for them, so a third
    // is an error by the time it is looked at, as any later one would be).
    let mut ids = Ids::default();
    let mut assertion = None;
    let mut encrypted = None;
    let mut refused_encrypted = false;
    let mut assertions = 0;
    let mut signatures: [Option<Element<'_>>; 3] = [None; 3];
    let mut signature_count = 0;
    for e in doc.elements() {
        ids.check(e)?;
        // The local name is read once, and only when its length is one of the three names'
        // (most elements are passed over by that); the namespace only for these three names.
        let len = e.local_name_len();
        if len != "Assertion".len() && len != "EncryptedAssertion".len() && len != "Signature".len()
        {
            continue;
        }
        let local = e.local_name();
        if !matches!(local, "Assertion" | "EncryptedAssertion" | "Signature") {
            continue;
        }
        match (local, e.namespace()) {
            ("Assertion", ns::SAML) => {
                assertion = assertion.or(Some(e));
                assertions += 1;
            }
            ("EncryptedAssertion", ns::SAML) => {
                if accept_encrypted {
                    encrypted = encrypted.or(Some(e));
                    assertions += 1;
                } else {
                    refused_encrypted = true;
                }
            }
            ("Signature", DSIG_NS) => {
                if let Some(slot) = signatures.get_mut(signature_count) {
                    *slot = Some(e);
                }
                signature_count += 1;
            }
            _ => {}
        }
    }
    if refused_encrypted {
        return Err(StructureError::EncryptedAssertion.into());
    }
    if assertions > 1 {
        return Err(StructureError::MultipleAssertions { count: assertions }.into());
    }
    let (mut response_signature, mut assertion_signature) = (None, None);
    for s in signatures.into_iter().flatten() {
        let parent = s.parent();
        let slot = match (parent, assertion) {
            (Some(p), _) if p == root => (&mut response_signature, SignedPart::Response),
            (Some(p), Some(a)) if p == a && a.parent() == Some(root) => {
                (&mut assertion_signature, SignedPart::Assertion)
            }
            _ => {
                return Err(SignatureError::Misplaced {
                    parent: parent
                        .map(|p| p.qualified_name().into_owned())
                        .unwrap_or_default(),
                }
                .into())
            }
        };
        if slot.0.replace(s).is_some() {
            return Err(SignatureError::Multiple {
                part: slot.1,
                count: 2,
            }
            .into());
        }
    }
    Ok(Shape {
        root,
        assertion,
        response_signature,
        assertion_signature,
        encrypted,
    })
}

/// The IDs seen so far: every ID-like attribute value (`ID`, `Id`, `id`, `xml:id`) must be
/// unique in the document, so that no reference can be resolved to a second element. A response
/// has a handful: a short list (on the stack) is searched, a long one hashed.
#[derive(Default)]
struct Ids<'d> {
    few: [&'d str; 16],
    count: usize,
    many: Option<HashSet<&'d str>>,
}

impl<'d> Ids<'d> {
    /// Adds `e`'s ID-like attributes (`ID`, `Id`, `id`, `xml:id`); a value seen before is refused.
    fn check(&mut self, e: Element<'d>) -> Result<(), StructureError> {
        for a in e.attributes() {
            let id_like = match a.namespace {
                "" => matches!(a.local_name, "ID" | "Id" | "id"),
                XML_NS => a.local_name == "id",
                _ => false,
            };
            if !id_like {
                continue;
            }
            let repeated = match &mut self.many {
                Some(set) => !set.insert(a.value),
                None if self.few[..self.count].contains(&a.value) => true,
                None if self.count < self.few.len() => {
                    self.few[self.count] = a.value;
                    self.count += 1;
                    false
                }
                None => {
                    let mut set: HashSet<&str> = self.few.iter().copied().collect();
                    let repeated = !set.insert(a.value);
                    self.many = Some(set);
                    repeated
                }
            };
            if repeated {
                return Err(StructureError::DuplicateId {
                    id: a.value.chars().take(80).collect(),
                });
            }
        }
        Ok(())
    }
}
