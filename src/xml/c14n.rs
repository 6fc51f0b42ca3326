//! Canonical XML without comments: Exclusive C14N 1.0 and inclusive C14N 1.0 / 1.1.
//!
//! The output is what libxml2 produces for the same node set (our tests compare byte for byte
//! with fixtures made by `xmllint` and `xmlsec1`). A subtree is canonicalized with the namespace
//! context it has in its document: inclusive methods render every namespace in scope at the apex
//! (and, for C14N 1.0, inherit `xml:*` attributes from ancestors); the exclusive method renders a
//! namespace only where it is visibly used or listed in the inclusive prefix list.

use std::collections::HashSet;

use super::document::{Attribute, Document, Element, Node, NodeId};
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
    let mut sinks = Sinks {
        outer: Some(sink),
        nested: nested
            .filter(|_| matches!(method, C14nMethod::Exclusive { .. }))
            .map(|n| NestedState {
                apex: n.apex,
                exclude: n.exclude,
                sink: n.sink,
                phase: Phase::Before,
                differs: Vec::new(),
            }),
    };
    let mut buf = Vec::with_capacity(STREAM_CHUNK + 4096);
    let mut c = Canonicalizer::new(doc, method, exclude);
    match apex {
        Some(id) => {
            let apex = doc.element(id).ok_or(XmlError::UnknownNode)?;
            c.subtree(apex, &mut buf, &mut sinks)?;
        }
        None => c.document(&mut buf, &mut sinks)?,
    }
    sinks.flush(&mut buf);
    Ok(match sinks.nested {
        Some(NestedState {
            phase: Phase::Done, ..
        }) => NestedOutcome::Complete,
        _ => NestedOutcome::Abandoned,
    })
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
    /// Per prefix id: rendered differently by the outer and the nested apex, so an element that
    /// considers it inside the nested subtree makes the two forms differ.
    differs: Vec<bool>,
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

/// A change to the per-prefix state, undone when the element that made it closes.
enum Undo<'d> {
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
    /// Per prefix id: the namespace bound in scope (`Some("")` for `xmlns=""`).
    scope: Vec<Option<&'d str>>,
    /// Per prefix id: the namespace rendered by the nearest output ancestor (`""`: none).
    rendered: Vec<&'d str>,
    undo: Vec<Undo<'d>>,
    frames: Vec<usize>,
    /// Per prefix id: listed in the exclusive method's InclusiveNamespaces PrefixList.
    inclusive: Vec<bool>,
    /// The listed prefix ids (for the apex).
    inclusive_ids: Vec<u32>,
    /// Per prefix id: the element (by count) that last considered it, to consider it once.
    seen: Vec<u32>,
    element_count: u32,
    ns_out: Vec<(u32, &'d str, &'d str)>,
    attrs_out: Vec<Attribute<'d>>,
    /// The fixed-up `xml:base` of a C14N 1.1 apex, written instead of the attribute's value.
    base_fixup: Option<String>,
    /// While a nested form is produced: per prefix id, whether considering it breaks the nested
    /// form ([`NestedState::differs`]).
    watch: Option<Vec<bool>>,
    /// `watch`, put aside inside the nested excluded subtree.
    watch_saved: Option<Vec<bool>>,
    /// Set by [`consider`](Self::consider) when a watched prefix was considered.
    broken: bool,
}

impl<'m, 'd> Canonicalizer<'m, 'd> {
    fn new(doc: &'d Document, method: &'m C14nMethod, exclude: Option<NodeId>) -> Self {
        let n = doc.prefix_count();
        let mut inclusive = vec![false; n];
        let mut inclusive_ids = Vec::new();
        if let C14nMethod::Exclusive { inclusive_prefixes } = method {
            let listed: HashSet<&str> = inclusive_prefixes
                .iter()
                .map(|p| if p == "#default" { "" } else { p.as_str() })
                .collect();
            work::add(inclusive_prefixes.len() + n);
            for (pid, flag) in inclusive.iter_mut().enumerate() {
                if pid != XML_PREFIX as usize && listed.contains(doc.prefix_name(pid as u32)) {
                    *flag = true;
                    inclusive_ids.push(pid as u32);
                }
            }
        }
        Canonicalizer {
            doc,
            method,
            exclude,
            scope: vec![None; n],
            rendered: vec![""; n],
            undo: Vec::new(),
            frames: Vec::new(),
            inclusive,
            inclusive_ids,
            seen: vec![u32::MAX; n],
            element_count: 0,
            ns_out: Vec::new(),
            attrs_out: Vec::new(),
            base_fixup: None,
            watch: None,
            watch_saved: None,
            broken: false,
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
        // Seed the scope with the ancestors' declarations, outermost first.
        let mut chain = Vec::new();
        let mut cur = apex.parent();
        while let Some(a) = cur {
            chain.push(a);
            cur = a.parent();
        }
        for a in chain.iter().rev() {
            for (pid, _, uri) in a.declarations_with_prefix_ids() {
                work::add(1);
                self.scope[pid as usize] = Some(uri);
            }
        }
        self.start(apex, true, &chain, out)?;
        let mut stack = vec![(apex, apex.children())];
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
            let differs = self.nested_apex_tag(child, out);
            if let Some(n) = sinks.nested.as_mut() {
                n.sink.put(out);
                n.differs = differs;
                n.phase = Phase::Active;
            }
            out.clear();
            self.watch = sinks
                .nested
                .as_mut()
                .map(|n| std::mem::take(&mut n.differs));
            return Ok(());
        }
        if phase == Phase::Active && Some(child.id()) == exclude {
            sinks.flush(out);
            if let Some(n) = sinks.nested.as_mut() {
                n.phase = Phase::Excluded;
            }
            let watch = self.watch.take();
            self.start(child, false, &[], out)?;
            self.watch_saved = watch;
            return Ok(());
        }
        self.start(child, false, &[], out)?;
        if self.broken {
            self.broken = false;
            self.watch = None;
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
            self.watch = self.watch_saved.take();
        } else if phase == Phase::Active && el.id() == apex {
            sinks.flush(out);
            if let Some(n) = sinks.nested.as_mut() {
                n.phase = Phase::Done;
            }
            self.watch = None;
        }
    }

    /// Writes the start tag `el` gets as the apex of its own exclusive canonicalization (every
    /// visibly used or listed namespace in scope is rendered), and returns, per prefix id,
    /// whether that apex renders it differently from the outer form (just started with
    /// [`start`](Self::start), which left `el`'s sorted attributes in `attrs_out`).
    fn nested_apex_tag(&mut self, el: Element<'d>, out: &mut Vec<u8>) -> Vec<bool> {
        let doc = self.doc;
        let mut ns: Vec<(u32, &'d str, &'d str)> = Vec::new();
        let mut add = |pid: u32, prefix: &'d str, scope: &[Option<&'d str>]| {
            work::add(1);
            if pid == XML_PREFIX || ns.iter().any(|n| n.0 == pid) {
                return;
            }
            if let Some(uri) = scope[pid as usize].filter(|u| !u.is_empty()) {
                ns.push((pid, prefix, uri));
            }
        };
        add(el.prefix_id(), el.prefix(), &self.scope);
        for (a, pid) in el.attributes_with_prefix_ids() {
            if !a.prefix.is_empty() {
                add(pid, a.prefix, &self.scope);
            }
        }
        for &pid in &self.inclusive_ids {
            add(pid, doc.prefix_name(pid), &self.scope);
        }
        ns.sort_unstable_by(|a, b| a.1.cmp(b.1));
        work::add(self.rendered.len());
        let mut differs: Vec<bool> = self.rendered.iter().map(|r| !r.is_empty()).collect();
        for &(pid, _, uri) in &ns {
            differs[pid as usize] = self.rendered[pid as usize] != uri;
        }
        write_start_tag(out, el, &ns, &self.attrs_out, None, false);
        differs
    }

    /// Adds `pid` to the namespaces rendered on this element when it is bound in scope to
    /// something other than what the nearest output ancestor rendered (exclusive method).
    fn consider(&mut self, pid: u32, prefix: &'d str) {
        work::add(1);
        let i = pid as usize;
        if let Some(w) = &self.watch {
            if w.get(i).copied().unwrap_or(true) {
                self.broken = true;
            }
        }
        if pid == XML_PREFIX || self.seen[i] == self.element_count {
            return;
        }
        self.seen[i] = self.element_count;
        let uri = match self.scope[i] {
            Some(u) => u,
            None if pid == DEFAULT_PREFIX => "",
            None => return,
        };
        if uri != self.rendered[i] {
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
        self.frames.push(self.undo.len());
        for (pid, _, uri) in el.declarations_with_prefix_ids() {
            let i = pid as usize;
            self.undo.push(Undo::Scope(pid, self.scope[i]));
            self.scope[i] = Some(uri);
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
                    for k in 0..self.inclusive_ids.len() {
                        let pid = self.inclusive_ids[k];
                        self.consider(pid, doc.prefix_name(pid));
                    }
                } else {
                    for (pid, prefix, _) in el.declarations_with_prefix_ids() {
                        if self.inclusive[pid as usize] {
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
                            if pid == XML_PREFIX || self.seen[i] == self.element_count {
                                continue;
                            }
                            self.seen[i] = self.element_count;
                            if let Some(uri) = self.scope[i].filter(|u| !u.is_empty()) {
                                self.ns_out.push((pid, prefix, uri));
                            }
                        }
                    }
                } else {
                    for (pid, prefix, uri) in el.declarations_with_prefix_ids() {
                        work::add(1);
                        if pid != XML_PREFIX && uri != self.rendered[pid as usize] {
                            self.ns_out.push((pid, prefix, uri));
                        }
                    }
                }
            }
        }
        self.ns_out.sort_unstable_by(|a, b| a.1.cmp(b.1));
        for &(pid, _, uri) in &self.ns_out {
            let i = pid as usize;
            self.undo.push(Undo::Rendered(pid, self.rendered[i]));
            self.rendered[i] = uri;
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
        let mark = self.frames.pop().unwrap_or(0);
        while self.undo.len() > mark {
            match self.undo.pop() {
                Some(Undo::Scope(pid, v)) => self.scope[pid as usize] = v,
                Some(Undo::Rendered(pid, v)) => self.rendered[pid as usize] = v,
                None => break,
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
