//! Canonical XML without comments: Exclusive C14N 1.0 and inclusive C14N 1.0 / 1.1.
//!
//! The output is what libxml2 produces for the same node set (our tests compare byte for byte
//! with fixtures made by `xmllint` and `xmlsec1`). A subtree is canonicalized with the namespace
//! context it has in its document: inclusive methods render every namespace in scope at the apex
//! (and, for C14N 1.0, inherit `xml:*` attributes from ancestors); the exclusive method renders a
//! namespace only where it is visibly used or listed in the inclusive prefix list.

use std::collections::HashSet;

use super::document::{Attribute, Children, Document, Element, Node, NodeId};
use super::text::{escape_attribute, escape_text};
use super::{work, XML_NS};
use super::{DEFAULT_PREFIX, XML_PREFIX};
use crate::error::XmlError;

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

/// Where canonical bytes go when they are streamed (a digest, or a buffer).
pub trait Sink {
    /// Takes the next bytes of the canonical form.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// A subtree of the one being canonicalized whose own canonical form (by the same method, as
/// its own apex) is produced in the same pass.
pub struct Nested<'s> {
    /// The nested apex (a descendant of the outer apex).
    pub apex: NodeId,
    /// Left out of the nested form only (its enveloped signature).
    pub exclude: Option<NodeId>,
    /// Receives the nested canonical form.
    pub sink: &'s mut dyn Sink,
}

/// Whether the nested form was produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NestedOutcome {
    /// The nested sink holds the complete canonical form of the nested subtree.
    Complete,
    /// The nested form would differ below its apex from the outer form's bytes (a namespace the
    /// outer apex renders is used inside), or there was no nested apex: what the nested sink
    /// received is meaningless and the subtree must be canonicalized on its own.
    Abandoned,
}

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

/// Bytes buffered before they are streamed to the sinks.
const STREAM_CHUNK: usize = 16 * 1024;

/// Where the nested canonicalization is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Its apex is not reached yet.
    Before,
    /// Inside it: every byte goes to both sinks.
    Active,
    /// Inside its excluded subtree: bytes go to the outer sink only.
    Excluded,
    /// Its apex is closed: its sink is complete.
    Done,
    /// Given up (see [`NestedOutcome::Abandoned`]).
    Abandoned,
}

struct NestedState<'s> {
    apex: NodeId,
    exclude: Option<NodeId>,
    sink: &'s mut dyn Sink,
    phase: Phase,
}

/// The outputs of one pass: `outer: None` writes into the caller's buffer directly.
struct Sinks<'s> {
    outer: Option<&'s mut dyn Sink>,
    nested: Option<NestedState<'s>>,
}

impl<'s> Sinks<'s> {
    fn direct() -> Sinks<'s> {
        Sinks {
            outer: None,
            nested: None,
        }
    }

    /// Sends the buffered bytes to the sinks they belong to (none when writing directly).
    fn flush(&mut self, buf: &mut Vec<u8>) {
        let Some(outer) = self.outer.as_deref_mut() else {
            return;
        };
        outer.put(buf);
        if let Some(n) = &mut self.nested {
            if n.phase == Phase::Active {
                n.sink.put(buf);
            }
        }
        buf.clear();
    }

    fn maybe_flush(&mut self, buf: &mut Vec<u8>) {
        if buf.len() >= STREAM_CHUNK {
            self.flush(buf);
        }
    }

    fn phase(&self) -> Option<Phase> {
        self.nested.as_ref().map(|n| n.phase)
    }
}

/// Writes a start tag: the namespaces and attributes given, already sorted. `fixup` replaces the
/// value of `xml:base`; `omit_empty_base` leaves an empty one out (C14N 1.1 as libxml2 does it).
fn write_start_tag(
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

fn write_pi(out: &mut Vec<u8>, target: &str, data: &str) {
    out.extend_from_slice(b"<?");
    out.extend_from_slice(target.as_bytes());
    if !data.is_empty() {
        out.push(b' ');
        out.extend_from_slice(data.as_bytes());
    }
    out.extend_from_slice(b"?>");
}

/// The canonicalizer's working memory, reused by the canonicalizations of one document (a
/// validation canonicalizes three or four times; each would otherwise allocate a dozen buffers).
#[derive(Default)]
pub(crate) struct C14nBuffers<'d> {
    ns: Vec<PrefixState<'d>>,
    undo: Vec<Undo<'d>>,
    ns_out: Vec<(u32, &'d str, &'d str)>,
    attrs_out: Vec<Attribute<'d>>,
    stack: Vec<(Element<'d>, Children<'d>)>,
    chain: Vec<Element<'d>>,
    stream: Vec<u8>,
}

/// What the canonicalizer knows about one prefix (by interned id).
#[derive(Clone, Copy)]
struct PrefixState<'d> {
    /// The namespace bound in scope (`Some("")` for `xmlns=""`).
    scope: Option<&'d str>,
    /// The namespace rendered by the nearest output ancestor (`""`: none).
    rendered: &'d str,
    /// The element (by count) that last considered it, to consider it once.
    seen: u32,
    /// Listed in the exclusive method's InclusiveNamespaces PrefixList.
    inclusive: bool,
    /// Rendered differently by a nested apex and the outer form ([`NestedState`]).
    differs: bool,
}

impl PrefixState<'_> {
    const NEW: PrefixState<'static> = PrefixState {
        scope: None,
        rendered: "",
        seen: u32::MAX,
        inclusive: false,
        differs: false,
    };
}

impl C14nBuffers<'_> {
    /// The streaming buffer, emptied, for other canonical bytes between passes.
    pub(crate) fn take_stream(&mut self) -> Vec<u8> {
        let mut v = std::mem::take(&mut self.stream);
        v.clear();
        v
    }

    /// Gives the streaming buffer back.
    pub(crate) fn put_stream(&mut self, stream: Vec<u8>) {
        self.stream = stream;
    }
}

/// A change to the per-prefix state, undone when the element that made it closes; `Frame`
/// marks where an element's changes start.
enum Undo<'d> {
    Frame,
    Scope(u32, Option<&'d str>),
    Rendered(u32, &'d str),
}

/// Renders a subtree. Namespace state is kept per interned prefix id, so the work for one element
/// is proportional to its own name, attributes and declarations (plus, at the apex only, the
/// namespaces in scope and the inclusive prefix list): never a product of two document counts.
struct Canonicalizer<'m, 'd> {
    doc: &'d Document,
    method: &'m C14nMethod,
    exclude: Option<NodeId>,
    /// Per prefix id.
    ns: Vec<PrefixState<'d>>,
    undo: Vec<Undo<'d>>,
    /// The listed prefix ids (for the apex).
    element_count: u32,
    ns_out: Vec<(u32, &'d str, &'d str)>,
    attrs_out: Vec<Attribute<'d>>,
    stack: Vec<(Element<'d>, Children<'d>)>,
    chain: Vec<Element<'d>>,
    /// The fixed-up `xml:base` of a C14N 1.1 apex, written instead of the attribute's value.
    base_fixup: Option<String>,
    /// While a nested form is produced: considering a prefix whose
    /// [`PrefixState::differs`] is set breaks it.
    watching: bool,
    /// `watching`, put aside inside the nested excluded subtree.
    watching_saved: bool,
    /// Set by [`consider`](Self::consider) when a watched prefix was considered.
    broken: bool,
}

impl<'m, 'd> Canonicalizer<'m, 'd> {
    fn new(doc: &'d Document, method: &'m C14nMethod, exclude: Option<NodeId>) -> Self {
        Canonicalizer::new_in(doc, method, exclude, C14nBuffers::default())
    }

    /// A canonicalizer working in `b` (cleared here; taken back with
    /// [`into_buffers`](Self::into_buffers)).
    fn new_in(
        doc: &'d Document,
        method: &'m C14nMethod,
        exclude: Option<NodeId>,
        mut b: C14nBuffers<'d>,
    ) -> Self {
        let n = doc.prefix_count();
        b.ns.clear();
        b.ns.resize(n, PrefixState::NEW);
        if let C14nMethod::Exclusive { inclusive_prefixes } = method {
            let name = |p: &'m String| if p == "#default" { "" } else { p.as_str() };
            work::add(inclusive_prefixes.len() + n);
            let listed = |prefix: &str| inclusive_prefixes.iter().any(|p| name(p) == prefix);
            // Few listed prefixes (Okta lists one) are compared directly; many, through a set.
            let set: Option<HashSet<&str>> = (inclusive_prefixes.len() > 4)
                .then(|| inclusive_prefixes.iter().map(name).collect());
            for (pid, state) in b.ns.iter_mut().enumerate() {
                if inclusive_prefixes.is_empty() || pid == XML_PREFIX as usize {
                    continue;
                }
                let p = doc.prefix_name(pid as u32);
                let hit = match &set {
                    Some(set) => set.contains(p),
                    None => listed(p),
                };
                if hit {
                    state.inclusive = true;
                }
            }
        }
        // Room for a SAML response's depth and widths, so that the first use allocates once.
        b.undo.clear();
        b.undo.reserve(64);
        b.ns_out.clear();
        b.ns_out.reserve(8);
        b.attrs_out.clear();
        b.attrs_out.reserve(16);
        b.stack.clear();
        b.stack.reserve(32);
        b.chain.clear();
        Canonicalizer {
            doc,
            method,
            exclude,
            ns: b.ns,
            undo: b.undo,
            element_count: 0,
            ns_out: b.ns_out,
            attrs_out: b.attrs_out,
            stack: b.stack,
            chain: b.chain,
            base_fixup: None,
            watching: false,
            watching_saved: false,
            broken: false,
        }
    }

    /// Gives the working memory back, for the next canonicalization of the same document.
    fn into_buffers(self, stream: Vec<u8>) -> C14nBuffers<'d> {
        C14nBuffers {
            ns: self.ns,
            undo: self.undo,
            ns_out: self.ns_out,
            attrs_out: self.attrs_out,
            stack: self.stack,
            chain: self.chain,
            stream,
        }
    }

    /// The whole document: the root's subtree, with the processing instructions around it.
    fn document(&mut self, out: &mut Vec<u8>, sinks: &mut Sinks<'_>) -> Result<(), XmlError> {
        let doc = self.doc;
        let mut seen_root = false;
        for node in doc.top_level() {
            match node {
                Node::Element(e) => {
                    self.subtree(e, out, sinks)?;
                    seen_root = true;
                }
                Node::ProcessingInstruction { target, data } => {
                    if seen_root {
                        out.push(b'\n');
                    }
                    write_pi(out, target, data);
                    if !seen_root {
                        out.push(b'\n');
                    }
                }
                Node::Text(_) => {}
            }
        }
        Ok(())
    }

    fn subtree(
        &mut self,
        apex: Element<'d>,
        out: &mut Vec<u8>,
        sinks: &mut Sinks<'_>,
    ) -> Result<(), XmlError> {
        if Some(apex.id()) == self.exclude {
            return Ok(());
        }
        let mut written = out.len();
        // Seed the scope with the ancestors' declarations: the nearest declaration of a prefix
        // wins. The inclusive methods also need the ancestors themselves (nearest first).
        let mut chain = std::mem::take(&mut self.chain);
        chain.clear();
        let inclusive = !matches!(self.method, C14nMethod::Exclusive { .. });
        let mut cur = apex.parent();
        while let Some(a) = cur {
            if inclusive {
                chain.push(a);
            }
            for (pid, _, uri) in a.declarations_with_prefix_ids() {
                work::add(1);
                let state = &mut self.ns[pid as usize];
                if state.scope.is_none() {
                    state.scope = Some(uri);
                }
            }
            cur = a.parent();
        }
        self.start(apex, true, &chain, out)?;
        self.chain = chain;
        let mut stack = std::mem::take(&mut self.stack);
        stack.clear();
        stack.push((apex, apex.children()));
        while let Some((el, it)) = stack.last_mut() {
            match it.next() {
                None => {
                    let el = *el;
                    self.end(el, out);
                    stack.pop();
                    if sinks.nested.is_some() {
                        self.nested_end(el, out, sinks);
                    }
                }
                Some(Node::Text(t)) => escape_text(out, t),
                Some(Node::ProcessingInstruction { target, data }) => write_pi(out, target, data),
                Some(Node::Element(child)) => {
                    if Some(child.id()) != self.exclude {
                        if sinks.nested.is_some() {
                            self.nested_start(child, out, sinks)?;
                        } else {
                            self.start(child, false, &[], out)?;
                        }
                        stack.push((child, child.children()));
                    }
                }
            }
            if out.len() >= STREAM_CHUNK && sinks.outer.is_some() {
                work::add(out.len() - written);
                sinks.maybe_flush(out);
                written = out.len();
            }
        }
        self.stack = stack;
        work::add(out.len() - written);
        Ok(())
    }

    /// Starts `child` while a nested canonicalization may be under way: enters the nested apex
    /// or its excluded subtree, and gives the nested form up when the two forms would differ.
    fn nested_start(
        &mut self,
        child: Element<'d>,
        out: &mut Vec<u8>,
        sinks: &mut Sinks<'_>,
    ) -> Result<(), XmlError> {
        let Some(n) = sinks.nested.as_ref() else {
            return self.start(child, false, &[], out);
        };
        let (apex, exclude, phase) = (n.apex, n.exclude, n.phase);
        if phase == Phase::Before && child.id() == apex {
            // The outer form's tag goes to the outer sink only, the nested apex's own tag to the
            // nested sink only; from there on both receive the same bytes.
            sinks.flush(out);
            self.start(child, false, &[], out)?;
            sinks.flush(out);
            self.nested_apex_tag(child, out);
            if let Some(n) = sinks.nested.as_mut() {
                n.sink.put(out);
                n.phase = Phase::Active;
            }
            out.clear();
            self.watching = true;
            return Ok(());
        }
        if phase == Phase::Active && Some(child.id()) == exclude {
            sinks.flush(out);
            if let Some(n) = sinks.nested.as_mut() {
                n.phase = Phase::Excluded;
            }
            self.watching_saved = std::mem::replace(&mut self.watching, false);
            self.start(child, false, &[], out)?;
            return Ok(());
        }
        self.start(child, false, &[], out)?;
        if self.broken {
            self.broken = false;
            self.watching = false;
            if let Some(n) = sinks.nested.as_mut() {
                n.phase = Phase::Abandoned;
            }
        }
        Ok(())
    }

    /// After `el` is closed: leaves the nested excluded subtree or completes the nested form.
    fn nested_end(&mut self, el: Element<'d>, out: &mut Vec<u8>, sinks: &mut Sinks<'_>) {
        let Some(phase) = sinks.phase() else {
            return;
        };
        let n = sinks.nested.as_ref().map(|n| (n.apex, n.exclude));
        let Some((apex, exclude)) = n else {
            return;
        };
        if phase == Phase::Excluded && Some(el.id()) == exclude {
            sinks.flush(out);
            if let Some(n) = sinks.nested.as_mut() {
                n.phase = Phase::Active;
            }
            self.watching = self.watching_saved;
        } else if phase == Phase::Active && el.id() == apex {
            sinks.flush(out);
            if let Some(n) = sinks.nested.as_mut() {
                n.phase = Phase::Done;
            }
            self.watching = false;
        }
    }

    /// Writes the start tag `el` gets as the apex of its own exclusive canonicalization (every
    /// visibly used or listed namespace in scope is rendered), and returns, per prefix id,
    /// whether that apex renders it differently from the outer form (just started with
    /// [`start`](Self::start), which left `el`'s sorted attributes in `attrs_out`), in
    /// [`PrefixState::differs`].
    fn nested_apex_tag(&mut self, el: Element<'d>, out: &mut Vec<u8>) {
        let doc = self.doc;
        // The outer tag is written: its namespace list is free to reuse.
        let mut ns = std::mem::take(&mut self.ns_out);
        ns.clear();
        let mut add = |pid: u32, prefix: &'d str, states: &[PrefixState<'d>]| {
            work::add(1);
            if pid == XML_PREFIX || ns.iter().any(|n| n.0 == pid) {
                return;
            }
            if let Some(uri) = states[pid as usize].scope.filter(|u| !u.is_empty()) {
                ns.push((pid, prefix, uri));
            }
        };
        add(el.prefix_id(), el.prefix(), &self.ns);
        for (a, pid) in el.attributes_with_prefix_ids() {
            if !a.prefix.is_empty() {
                add(pid, a.prefix, &self.ns);
            }
        }
        for pid in 0..self.ns.len() as u32 {
            if self.ns[pid as usize].inclusive {
                add(pid, doc.prefix_name(pid), &self.ns);
            }
        }
        ns.sort_unstable_by(|a, b| a.1.cmp(b.1));
        work::add(self.ns.len());
        for state in &mut self.ns {
            state.differs = !state.rendered.is_empty();
        }
        for &(pid, _, uri) in &ns {
            let state = &mut self.ns[pid as usize];
            state.differs = state.rendered != uri;
        }
        write_start_tag(out, el, &ns, &self.attrs_out, None, false);
        self.ns_out = ns;
    }

    /// Adds `pid` to the namespaces rendered on this element when it is bound in scope to
    /// something other than what the nearest output ancestor rendered (exclusive method).
    fn consider(&mut self, pid: u32, prefix: &'d str) {
        work::add(1);
        let i = pid as usize;
        if self.watching && self.ns.get(i).is_none_or(|s| s.differs) {
            self.broken = true;
        }
        if pid == XML_PREFIX || self.ns[i].seen == self.element_count {
            return;
        }
        self.ns[i].seen = self.element_count;
        let uri = match self.ns[i].scope {
            Some(u) => u,
            None if pid == DEFAULT_PREFIX => "",
            None => return,
        };
        if uri != self.ns[i].rendered {
            self.ns_out.push((pid, prefix, uri));
        }
    }

    fn start(
        &mut self,
        el: Element<'d>,
        is_apex: bool,
        ancestors: &[Element<'d>],
        out: &mut Vec<u8>,
    ) -> Result<(), XmlError> {
        work::add(1);
        self.element_count = self.element_count.wrapping_add(1);
        self.undo.push(Undo::Frame);
        for (pid, _, uri) in el.declarations_with_prefix_ids() {
            let i = pid as usize;
            self.undo.push(Undo::Scope(pid, self.ns[i].scope));
            self.ns[i].scope = Some(uri);
        }
        self.ns_out.clear();
        let doc = el.document();
        match self.method {
            C14nMethod::Exclusive { .. } => {
                // Visibly utilized: the element's prefix and its attributes' prefixes.
                self.consider(el.prefix_id(), el.prefix());
                for (a, pid) in el.attributes_with_prefix_ids() {
                    if !a.prefix.is_empty() {
                        self.consider(pid, a.prefix);
                    }
                }
                // Listed prefixes: at the apex every one in scope; below it, a listed prefix can
                // only change where it is declared, so only this element's declarations count.
                if is_apex {
                    work::add(self.ns.len());
                    for pid in 0..self.ns.len() as u32 {
                        if !self.ns[pid as usize].inclusive {
                            continue;
                        }
                        self.consider(pid, doc.prefix_name(pid));
                    }
                } else {
                    for (pid, prefix, _) in el.declarations_with_prefix_ids() {
                        if self.ns[pid as usize].inclusive {
                            self.consider(pid, prefix);
                        }
                    }
                }
            }
            C14nMethod::Inclusive10 | C14nMethod::Inclusive11 => {
                if is_apex {
                    // Every namespace in scope: the apex's and its ancestors' declarations.
                    let own = std::iter::once(el);
                    for e in own.chain(ancestors.iter().copied()) {
                        for (pid, prefix, _) in e.declarations_with_prefix_ids() {
                            work::add(1);
                            let i = pid as usize;
                            if pid == XML_PREFIX || self.ns[i].seen == self.element_count {
                                continue;
                            }
                            self.ns[i].seen = self.element_count;
                            if let Some(uri) = self.ns[i].scope.filter(|u| !u.is_empty()) {
                                self.ns_out.push((pid, prefix, uri));
                            }
                        }
                    }
                } else {
                    for (pid, prefix, uri) in el.declarations_with_prefix_ids() {
                        work::add(1);
                        if pid != XML_PREFIX && uri != self.ns[pid as usize].rendered {
                            self.ns_out.push((pid, prefix, uri));
                        }
                    }
                }
            }
        }
        self.ns_out.sort_unstable_by(|a, b| a.1.cmp(b.1));
        for &(pid, _, uri) in &self.ns_out {
            let i = pid as usize;
            self.undo.push(Undo::Rendered(pid, self.ns[i].rendered));
            self.ns[i].rendered = uri;
        }

        self.attrs_out.clear();
        self.attrs_out.extend(el.attributes());
        if is_apex && !matches!(self.method, C14nMethod::Exclusive { .. }) {
            self.inherit_xml_attributes(ancestors)?;
        }
        self.attrs_out
            .sort_unstable_by(|a, b| (a.namespace, a.local_name).cmp(&(b.namespace, b.local_name)));

        let fixup = if is_apex {
            self.base_fixup.take()
        } else {
            None
        };
        let v11 = matches!(self.method, C14nMethod::Inclusive11);
        write_start_tag(
            out,
            el,
            &self.ns_out,
            &self.attrs_out,
            fixup.as_deref(),
            v11,
        );
        Ok(())
    }

    /// Inclusive C14N of a subtree carries the `xml:*` attributes in scope from ancestors onto the
    /// apex (C14N 1.0: all of them, nearest value; C14N 1.1: `xml:lang` and `xml:space`, never
    /// `xml:id`, and `xml:base` resolved through every ancestor's value into the apex's own).
    fn inherit_xml_attributes(&mut self, ancestors: &[Element<'d>]) -> Result<(), XmlError> {
        let v11 = matches!(self.method, C14nMethod::Inclusive11);
        // The apex's own xml:base, before inherited attributes are added to the list.
        let own_base = self
            .attrs_out
            .iter()
            .find(|x| x.namespace == XML_NS && x.local_name == "base")
            .map(|x| x.value);
        // `ancestors` is nearest first.
        for a in ancestors {
            for attr in a.attributes().filter(|x| x.namespace == XML_NS) {
                if v11 && !matches!(attr.local_name, "lang" | "space" | "base") {
                    continue;
                }
                if !self
                    .attrs_out
                    .iter()
                    .any(|x| x.namespace == XML_NS && x.local_name == attr.local_name)
                {
                    self.attrs_out.push(attr);
                }
            }
        }
        if v11 {
            let own = own_base;
            let mut bases = ancestors
                .iter()
                .rev()
                .filter_map(|a| a.attribute_ns(XML_NS, "base"))
                .peekable();
            if bases.peek().is_some() {
                let mut value = String::new();
                for b in bases.chain(own) {
                    value = super::base::resolve(&value, b);
                }
                self.base_fixup = Some(value);
            }
        }
        Ok(())
    }

    fn end(&mut self, el: Element<'d>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"</");
        out.extend_from_slice(el.qualified_name().as_bytes());
        out.push(b'>');
        while let Some(u) = self.undo.pop() {
            match u {
                Undo::Frame => break,
                Undo::Scope(pid, v) => self.ns[pid as usize].scope = v,
                Undo::Rendered(pid, v) => self.ns[pid as usize].rendered = v,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Limits;

    fn c14n(xml: &str, path: &[usize], m: &C14nMethod) -> String {
        let d = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
        let mut e = d.root();
        for &i in path {
            e = e.child_elements().nth(i).unwrap();
        }
        let mut out = Vec::new();
        canonicalize(&d, e.id(), m, None, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn exclusive_renders_only_utilized_and_listed() {
        let x = r#"<r xmlns="urn:d" xmlns:a="urn:a" xmlns:xs="urn:xs" xmlns:u="urn:u"><a:e xmlns:b="urn:b" b:x="1" t="xs:string"><c/></a:e></r>"#;
        assert_eq!(
            c14n(x, &[0], &C14nMethod::exclusive()),
            r#"<a:e xmlns:a="urn:a" xmlns:b="urn:b" t="xs:string" b:x="1"><c xmlns="urn:d"></c></a:e>"#
        );
        assert_eq!(
            c14n(
                x,
                &[0],
                &C14nMethod::exclusive_with_prefix_list("xs #default")
            ),
            r#"<a:e xmlns="urn:d" xmlns:a="urn:a" xmlns:b="urn:b" xmlns:xs="urn:xs" t="xs:string" b:x="1"><c></c></a:e>"#
        );
    }

    #[test]
    fn inclusive_renders_scope_and_undeclares_default() {
        let x = r#"<r xmlns="urn:d" xmlns:a="urn:a" xml:lang="en"><a:e z="1" a:y="2"><c xmlns=""/></a:e></r>"#;
        assert_eq!(
            c14n(x, &[0], &C14nMethod::Inclusive10),
            r#"<a:e xmlns="urn:d" xmlns:a="urn:a" z="1" xml:lang="en" a:y="2"><c xmlns=""></c></a:e>"#
        );
        assert_eq!(
            c14n(x, &[0], &C14nMethod::Inclusive11),
            r#"<a:e xmlns="urn:d" xmlns:a="urn:a" z="1" xml:lang="en" a:y="2"><c xmlns=""></c></a:e>"#
        );
        let base = r#"<r xml:base="http://e/a/"><e xml:base="../b"/></r>"#;
        let d = Document::parse(base.as_bytes(), &Limits::default()).unwrap();
        let e = d.root().child_elements().next().unwrap();
        let mut out = Vec::new();
        canonicalize(&d, e.id(), &C14nMethod::Inclusive11, None, &mut out).unwrap();
        assert_eq!(out, br#"<e xml:base="http://e/b"></e>"#);
    }

    #[test]
    fn excludes_a_subtree_and_escapes() {
        let x = "<r a=\"&#9;&quot;&lt;>\"><s><x/></s>t&amp;&#13;&gt;<?p  d ?></r>";
        let d = Document::parse(x.as_bytes(), &Limits::default()).unwrap();
        let s = d.root().child_elements().next().unwrap();
        let mut out = Vec::new();
        canonicalize(
            &d,
            d.root().id(),
            &C14nMethod::exclusive(),
            Some(s.id()),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<r a=\"&#x9;&quot;&lt;>\">t&amp;&#xD;&gt;<?p d ?></r>"
        );
    }

    fn one_pass(
        xml: &[u8],
        outer: &str,
        inner: &str,
        m: &C14nMethod,
    ) -> (NestedOutcome, Vec<u8>, Vec<u8>) {
        let d = Document::parse(xml, &Limits::default()).unwrap();
        let find = |name: &str| d.elements().find(|e| e.local_name() == name).unwrap();
        let (o, n) = (find(outer), find(inner));
        let sig_of = |e: Element<'_>| {
            e.child_elements()
                .find(|c| c.local_name() == "Signature")
                .map(|c| c.id())
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let outcome = canonicalize_into(
            &d,
            Some(o.id()),
            m,
            sig_of(o),
            &mut a,
            Some(Nested {
                apex: n.id(),
                exclude: sig_of(n),
                sink: &mut b,
            }),
        )
        .unwrap();
        let mut alone = Vec::new();
        canonicalize(&d, o.id(), m, sig_of(o), &mut alone).unwrap();
        assert_eq!(a, alone);
        let mut own = Vec::new();
        canonicalize(&d, n.id(), m, sig_of(n), &mut own).unwrap();
        (outcome, b, own)
    }

    #[test]
    fn one_pass_gives_an_okta_assertion_its_own_form() {
        let xml = include_bytes!("../../tests/vectors/generated/valid-both-signed.xml");
        let m = C14nMethod::exclusive_with_prefix_list("xs");
        let (outcome, nested, own) = one_pass(xml, "Response", "Assertion", &m);
        assert_eq!(outcome, NestedOutcome::Complete);
        assert_eq!(
            String::from_utf8(nested).unwrap(),
            String::from_utf8(own).unwrap()
        );
        let large = include_bytes!("../../benches/data/large-256k.xml");
        let (outcome, nested, own) = one_pass(large, "Response", "Assertion", &m);
        assert_eq!(outcome, NestedOutcome::Complete);
        assert!(nested == own);
    }

    #[test]
    fn one_pass_gives_up_when_a_namespace_rendered_above_is_used_inside() {
        // The outer apex renders p (for p:a); the nested apex does not, so p:y renders it only
        // in the nested form.
        let xml = br#"<r xmlns:p="urn:p" p:a="1"><x><Signature/><p:y/></x></r>"#;
        let (outcome, _, own) = one_pass(xml, "r", "x", &C14nMethod::exclusive());
        assert_eq!(outcome, NestedOutcome::Abandoned);
        assert_eq!(own, br#"<x><p:y xmlns:p="urn:p"></p:y></x>"#);
        // Inclusive methods are never nested.
        let (outcome, _, _) = one_pass(xml, "r", "x", &C14nMethod::Inclusive10);
        assert_eq!(outcome, NestedOutcome::Abandoned);
    }
}
