//! Canonical bytes streamed into sinks, and a nested subtree's canonical form in the same pass.

use super::canonicalizer::{C14nBuffers, Canonicalizer};
use super::sinks::{Nested, NestedOutcome, NestedState, Phase, Sink, Sinks, STREAM_CHUNK};
use super::C14nMethod;
use crate::error::XmlError;
use crate::xml::document::{Document, NodeId};

/// Streams the canonical form of `apex` (the whole document when `None`) into `sink`, and, in
/// the same pass, the canonical form of `nested` into its sink when the method is exclusive and
/// the nested bytes below its apex are the outer ones. This is how a Response and the Assertion
/// inside it, signed with the same method, are digested in one pass.
///
/// ```
/// use sso_scim::xml::{canonicalize, canonicalize_into, C14nMethod, Document, Limits, Nested, NestedOutcome};
/// let doc = Document::parse(br#"<r xmlns:a="urn:a" ID="r"><a:x ID="x">t<s/></a:x></r>"#, &Limits::default())?;
/// let x = doc.root().child_elements().next().unwrap();
/// let s = x.child_elements().next().unwrap();
/// let m = C14nMethod::exclusive();
/// let (mut outer, mut inner) = (Vec::new(), Vec::new());
/// let nested = Nested { apex: x.id(), exclude: Some(s.id()), sink: &mut inner };
/// let outcome = canonicalize_into(&doc, Some(doc.root().id()), &m, None, &mut outer, Some(nested))?;
/// assert_eq!(outcome, NestedOutcome::Complete);
/// let mut alone = Vec::new();
/// canonicalize(&doc, x.id(), &m, Some(s.id()), &mut alone)?;
/// assert_eq!(inner, alone);
/// # Ok::<(), sso_scim::XmlError>(())
/// ```
pub fn canonicalize_into(
    doc: &Document,
    apex: Option<NodeId>,
    method: &C14nMethod,
    exclude: Option<NodeId>,
    sink: &mut dyn Sink,
    nested: Option<Nested<'_>>,
) -> Result<NestedOutcome, XmlError> {
    canonicalize_into_with(
        doc,
        apex,
        method,
        exclude,
        sink,
        nested,
        &mut C14nBuffers::default(),
    )
}

/// [`canonicalize_into`], working in `buffers`.
pub(crate) fn canonicalize_into_with<'d>(
    doc: &'d Document,
    apex: Option<NodeId>,
    method: &C14nMethod,
    exclude: Option<NodeId>,
    sink: &mut dyn Sink,
    nested: Option<Nested<'_>>,
    buffers: &mut C14nBuffers<'d>,
) -> Result<NestedOutcome, XmlError> {
    let mut sinks = Sinks {
        outer: Some(sink),
        nested: nested
            .filter(|_| matches!(method, C14nMethod::Exclusive { .. }))
            .map(|n| NestedState {
                apex: n.apex,
                exclude: n.exclude,
                sink: n.sink,
                phase: Phase::Before,
            }),
    };
    let mut b = std::mem::take(buffers);
    let mut buf = std::mem::take(&mut b.stream);
    buf.clear();
    buf.reserve(STREAM_CHUNK + 4096);
    let mut c = Canonicalizer::new_in(doc, method, exclude, b);
    match apex {
        Some(id) => {
            let apex = doc.element(id).ok_or(XmlError::UnknownNode)?;
            c.subtree(apex, &mut buf, &mut sinks)?;
        }
        None => c.document(&mut buf, &mut sinks)?,
    }
    sinks.flush(&mut buf);
    *buffers = c.into_buffers(buf);
    Ok(match sinks.nested {
        Some(NestedState {
            phase: Phase::Done, ..
        }) => NestedOutcome::Complete,
        _ => NestedOutcome::Abandoned,
    })
}
