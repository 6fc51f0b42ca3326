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
    check_unique_ids(doc)?;

    let mut assertion = None;
    let mut encrypted = None;
    let mut assertions = 0;
    for e in doc.elements() {
        if e.namespace() == ns::SAML {
            match e.local_name() {
                "Assertion" => {
                    assertion = assertion.or(Some(e));
                    assertions += 1;
                }
                "EncryptedAssertion" if accept_encrypted => {
                    encrypted = encrypted.or(Some(e));
                    assertions += 1;
                }
                "EncryptedAssertion" => return Err(StructureError::EncryptedAssertion.into()),
                _ => {}
            }
        }
    }
    if assertions > 1 {
        return Err(StructureError::MultipleAssertions { count: assertions }.into());
    }
    let (mut response_signature, mut assertion_signature) = (None, None);
    for s in doc.elements().filter(|e| e.is(DSIG_NS, "Signature")) {
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

/// Every ID-like attribute value (`ID`, `Id`, `id`, `xml:id`) must be unique in the document, so
/// that no reference can be resolved to a second element.
fn check_unique_ids(doc: &Document) -> Result<(), StructureError> {
    // A response has a handful of IDs: a short list (on the stack) is searched, a long one
    // hashed.
    let mut few: [&str; 16] = [""; 16];
    let mut count = 0;
    let mut many: Option<HashSet<&str>> = None;
    for e in doc.elements() {
        for a in e.attributes() {
            let id_like = match a.namespace {
                "" => matches!(a.local_name, "ID" | "Id" | "id"),
                XML_NS => a.local_name == "id",
                _ => false,
            };
            if !id_like {
                continue;
            }
            let repeated = match &mut many {
                Some(set) => !set.insert(a.value),
                None if few[..count].contains(&a.value) => true,
                None if count < few.len() => {
                    few[count] = a.value;
                    count += 1;
                    false
                }
                None => {
                    let mut set: HashSet<&str> = few.iter().copied().collect();
                    let repeated = !set.insert(a.value);
                    many = Some(set);
                    repeated
                }
            };
            if repeated {
                return Err(StructureError::DuplicateId {
                    id: a.value.chars().take(80).collect(),
                });
            }
        }
    }
    Ok(())
}
