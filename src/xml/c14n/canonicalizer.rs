//! The canonicalizer: per-prefix namespace state, undone as elements close.

use std::collections::HashSet;

mod repeat;

use super::sinks::{Phase, Sinks, STREAM_CHUNK};
use super::{write_pi, write_start_tag, C14nMethod};
use crate::error::XmlError;
use crate::xml::document::{Attribute, Children, Document, Element, Node, NodeId};
use crate::xml::text::escape_text;
use crate::xml::text::same;
use crate::xml::{work, DEFAULT_PREFIX, XML_NS, XML_PREFIX};
use repeat::Repeat;

/// The canonicalizer's working memory, reused by the canonicalizations of one document (a
/// validation canonicalizes three or four times; each would otherwise allocate a dozen buffers).
#[derive(Default)]
pub(crate) struct C14nBuffers<'d> {
    ns: Vec<PrefixState<'d>>,
    undo: Vec<Undo<'d>>,
    ns_out: Vec<(u32, &'d str, &'d str)>,
    attrs_out: Vec<Attribute<'d>>,
    stack: Vec<Open<'d>>,
    chain: Vec<Element<'d>>,
    repeat: Repeat<'d>,
    pub(super) stream: Vec<u8>,
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

/// An element being written: the children left, and whether a nested form was watched when it
/// started (what [`Canonicalizer::repeat_of_parent`] needs of it).
struct Open<'d> {
    el: Element<'d>,
    children: Children<'d>,
    watched: bool,
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
pub(super) struct Canonicalizer<'m, 'd> {
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
    stack: Vec<Open<'d>>,
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
    /// The previous sibling's start tag, for a sibling written the same.
    repeat: Repeat<'d>,
}

impl<'m, 'd> Canonicalizer<'m, 'd> {
    pub(super) fn new(doc: &'d Document, method: &'m C14nMethod, exclude: Option<NodeId>) -> Self {
        Canonicalizer::new_in(doc, method, exclude, C14nBuffers::default())
    }

    /// A canonicalizer working in `b` (cleared here; taken back with
    /// [`into_buffers`](Self::into_buffers)).
    pub(super) fn new_in(
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
        b.repeat.forget();
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
            repeat: b.repeat,
        }
    }

    /// Gives the working memory back, for the next canonicalization of the same document.
    pub(super) fn into_buffers(self, stream: Vec<u8>) -> C14nBuffers<'d> {
        C14nBuffers {
            ns: self.ns,
            undo: self.undo,
            ns_out: self.ns_out,
            attrs_out: self.attrs_out,
            stack: self.stack,
            chain: self.chain,
            repeat: self.repeat,
            stream,
        }
    }

    /// The whole document: the root's subtree, with the processing instructions around it.
    pub(super) fn document(
        &mut self,
        out: &mut Vec<u8>,
        sinks: &mut Sinks<'_>,
    ) -> Result<(), XmlError> {
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

    pub(super) fn subtree(
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
        stack.push(Open {
            el: apex,
            children: apex.children(),
            watched: self.watching,
        });
        while let Some(top) = stack.last_mut() {
            match top.children.next() {
                None => {
                    let el = top.el;
                    self.end(el, out);
                    stack.pop();
                    if sinks.nested.is_some() {
                        self.nested_end(el, out, sinks);
                    }
                }
                Some(Node::Text(t)) => escape_text(out, t),
                Some(Node::ProcessingInstruction { target, data }) => write_pi(out, target, data),
                Some(Node::Element(child)) => {
                    let nested = sinks.nested.as_ref().map(|n| (n.apex, n.exclude));
                    let (parent, parent_watched) = (top.el, top.watched);
                    // Unless it is left out, or written whole from the previous sibling's tag.
                    if Some(child.id()) != self.exclude && !self.leaf_repeat(child, nested, out) {
                        let watched = self.watching;
                        if self.repeat_of_parent(child, parent, parent_watched, nested, out) {
                            // Its tag is its parent's name alone.
                        } else if sinks.nested.is_some() {
                            self.nested_start(child, out, sinks)?;
                        } else {
                            self.start_child(child, out)?;
                        }
                        stack.push(Open {
                            el: child,
                            children: child.children(),
                            watched,
                        });
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
            return self.start_child(child, out);
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
        self.start_child(child, out)?;
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
        if !same(uri, self.ns[i].rendered) {
            self.ns_out.push((pid, prefix, uri));
        }
    }

    /// Opens `el`'s frame: counted as the next element, its declarations put in scope (undone
    /// when it closes).
    // Always: once per element, from the loop and its shortcuts.
    #[inline(always)]
    fn enter(&mut self, el: Element<'d>) {
        self.element_count = self.element_count.wrapping_add(1);
        self.undo.push(Undo::Frame);
        for (pid, _, uri) in el.declarations_with_prefix_ids() {
            let i = pid as usize;
            self.undo.push(Undo::Scope(pid, self.ns[i].scope));
            self.ns[i].scope = Some(uri);
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
        self.repeat.forget();
        self.enter(el);
        self.ns_out.clear();
        // The attributes are read once: collected for the tag and, for the exclusive method,
        // considered as visibly utilizing their prefixes.
        self.attrs_out.clear();
        let doc = el.document();
        match self.method {
            C14nMethod::Exclusive { .. } => {
                // Visibly utilized: the element's prefix and its attributes' prefixes.
                self.consider(el.prefix_id(), el.prefix());
                for (a, pid) in el.attributes_with_prefix_ids() {
                    if !a.prefix.is_empty() {
                        self.consider(pid, a.prefix);
                    }
                    self.attrs_out.push(a);
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
                self.attrs_out.extend(el.attributes());
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
                        if pid != XML_PREFIX && !same(uri, self.ns[pid as usize].rendered) {
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
                    value = crate::xml::base::resolve(&value, b);
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
