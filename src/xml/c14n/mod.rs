//! Canonical XML without comments: Exclusive C14N 1.0 and inclusive C14N 1.0 / 1.1.
//!
//! The output is what libxml2 produces for the same node set (our tests compare byte for byte
//! with fixtures made by `xmllint` and `xmlsec1`). A subtree is canonicalized with the namespace
//! context it has in its document: inclusive methods render every namespace in scope at the apex
//! (and, for C14N 1.0, inherit `xml:*` attributes from ancestors); the exclusive method renders a
//! namespace only where it is visibly used or listed in the inclusive prefix list.

mod canonicalizer;
mod sinks;
mod stream;
#[cfg(test)]
mod tests;

pub(crate) use canonicalizer::C14nBuffers;
pub use sinks::{Nested, NestedOutcome, Sink};
pub use stream::canonicalize_into;
pub(crate) use stream::canonicalize_into_with;

use super::document::{Attribute, Document, Element, NodeId};
use super::text::escape_attribute;
use super::XML_NS;
use crate::error::XmlError;
use canonicalizer::Canonicalizer;
use sinks::Sinks;

/// Algorithm URI of Exclusive XML Canonicalization 1.0 (without comments).
pub(crate) const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// Algorithm URI of Canonical XML 1.0 (without comments).
pub(crate) const C14N_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
/// Algorithm URI of Canonical XML 1.1 (without comments).
pub(crate) const C14N_11: &str = "http://www.w3.org/2006/12/xml-c14n11";

/// A canonicalization method. Comments are never included.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum C14nMethod {
    /// Exclusive XML Canonicalization 1.0. `inclusive_prefixes` is the `InclusiveNamespaces
    /// PrefixList` (Okta sends `xs`): those prefixes are rendered as inclusive C14N would.
    /// `#default` stands for the default namespace.
    Exclusive {
        /// Prefixes treated inclusively.
        inclusive_prefixes: Vec<String>,
    },
    /// Canonical XML 1.0 (inclusive).
    Inclusive10,
    /// Canonical XML 1.1 (inclusive). The apex of a subtree gets the `xml:base` of its ancestors
    /// resolved into its own (the 1.1 "fix-up"); `xml:id` is not inherited.
    Inclusive11,
}

impl C14nMethod {
    /// Exclusive C14N with no inclusive prefixes.
    pub fn exclusive() -> C14nMethod {
        C14nMethod::Exclusive {
            inclusive_prefixes: Vec::new(),
        }
    }

    /// Exclusive C14N with an `InclusiveNamespaces PrefixList` (whitespace-separated).
    pub fn exclusive_with_prefix_list(list: &str) -> C14nMethod {
        C14nMethod::Exclusive {
            inclusive_prefixes: list.split_ascii_whitespace().map(str::to_owned).collect(),
        }
    }

    /// The method's algorithm URI (without comments).
    pub fn algorithm(&self) -> &'static str {
        match self {
            C14nMethod::Exclusive { .. } => EXC_C14N,
            C14nMethod::Inclusive10 => C14N_10,
            C14nMethod::Inclusive11 => C14N_11,
        }
    }
}

/// Appends the canonical form of the subtree rooted at `apex` to `out`, leaving out the subtree
/// rooted at `exclude` (the enveloped signature), if any.
///
/// Returns [`XmlError::UnknownNode`] when `apex` is not an element of `doc`.
pub fn canonicalize(
    doc: &Document,
    apex: NodeId,
    method: &C14nMethod,
    exclude: Option<NodeId>,
    out: &mut Vec<u8>,
) -> Result<(), XmlError> {
    let apex = doc.element(apex).ok_or(XmlError::UnknownNode)?;
    let mut sinks = Sinks::direct();
    Canonicalizer::new(doc, method, exclude).subtree(apex, out, &mut sinks)
}

/// Appends the canonical form of the whole document (the `URI=""` same-document reference):
/// processing instructions outside the root element are kept, each on its own line.
pub fn canonicalize_document(
    doc: &Document,
    method: &C14nMethod,
    exclude: Option<NodeId>,
    out: &mut Vec<u8>,
) -> Result<(), XmlError> {
    let mut sinks = Sinks::direct();
    Canonicalizer::new(doc, method, exclude).document(out, &mut sinks)
}

/// [`canonicalize`] into `out`, working in `buffers`.
pub(crate) fn canonicalize_with<'d>(
    doc: &'d Document,
    apex: NodeId,
    method: &C14nMethod,
    exclude: Option<NodeId>,
    out: &mut Vec<u8>,
    buffers: &mut C14nBuffers<'d>,
) -> Result<(), XmlError> {
    let apex = doc.element(apex).ok_or(XmlError::UnknownNode)?;
    let mut sinks = Sinks::direct();
    let stream = std::mem::take(&mut buffers.stream);
    let b = std::mem::take(buffers);
    let mut c = Canonicalizer::new_in(doc, method, exclude, b);
    c.subtree(apex, out, &mut sinks)?;
    *buffers = c.into_buffers(stream);
    Ok(())
}

/// Writes a start tag: the namespaces and attributes given, already sorted. `fixup` replaces the
/// value of `xml:base`; `omit_empty_base` leaves an empty one out (C14N 1.1 as libxml2 does it).
pub(super) fn write_start_tag(
    out: &mut Vec<u8>,
    el: Element<'_>,
    ns: &[(u32, &str, &str)],
    attrs: &[Attribute<'_>],
    fixup: Option<&str>,
    omit_empty_base: bool,
) {
    out.push(b'<');
    out.extend_from_slice(el.qualified_name().as_bytes());
    for &(_, p, u) in ns {
        if p.is_empty() {
            out.extend_from_slice(b" xmlns=\"");
        } else {
            out.extend_from_slice(b" xmlns:");
            out.extend_from_slice(p.as_bytes());
            out.extend_from_slice(b"=\"");
        }
        escape_attribute(out, u);
        out.push(b'"');
    }
    for a in attrs {
        let mut value = a.value;
        if a.namespace == XML_NS && a.local_name == "base" {
            if let Some(v) = fixup {
                value = v;
            }
            if omit_empty_base && value.is_empty() {
                continue;
            }
        }
        out.push(b' ');
        out.extend_from_slice(a.qualified_name.as_bytes());
        out.extend_from_slice(b"=\"");
        escape_attribute(out, value);
        out.push(b'"');
    }
    out.push(b'>');
}

pub(super) fn write_pi(out: &mut Vec<u8>, target: &str, data: &str) {
    out.extend_from_slice(b"<?");
    out.extend_from_slice(target.as_bytes());
    if !data.is_empty() {
        out.push(b' ');
        out.extend_from_slice(data.as_bytes());
    }
    out.extend_from_slice(b"?>");
}
