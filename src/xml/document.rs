//! The parsed document: a node arena in document order, and the handles that read it.

use std::borrow::Cow;
use std::fmt;

pub(super) use super::arena::{
    prefix_key, AttrData, DeclData, Depth, ElemData, Kind, NodeData, Str, DECODED, NONE,
    XML_NS_STR, XML_PREFIX_STR,
};
pub(crate) use super::arena::{DEFAULT_PREFIX, XML_PREFIX};
use super::text::same;
use super::XML_NS;
use crate::error::XmlError;

mod start_tag;

/// Identifies a node of one [`Document`]. Only meaningful with the document it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(u32);

/// A parsed, immutable XML document. It owns its text; handles borrow from it.
pub struct Document {
    pub(super) src: String,
    pub(super) decoded: String,
    pub(super) nodes: Vec<NodeData>,
    pub(super) attrs: Vec<AttrData>,
    pub(super) decls: Vec<DeclData>,
    /// Interned prefixes: the name of each prefix id, `""` and `xml` first.
    pub(super) prefixes: Vec<Str>,
    pub(super) root: u32,
    /// The first top-level node; the others follow through `next_sibling`.
    pub(super) first_top: u32,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("root", &self.root().qualified_name())
            .field("nodes", &self.nodes.len())
            .finish_non_exhaustive()
    }
}

impl Document {
    /// The document element.
    pub fn root(&self) -> Element<'_> {
        Element {
            doc: self,
            id: self.root,
        }
    }

    /// The element with this id, or `None` when `id` is not an element of this document.
    pub fn element(&self, id: NodeId) -> Option<Element<'_>> {
        match self.nodes.get(id.0 as usize) {
            Some(NodeData {
                kind: Kind::Element(_),
                ..
            }) => Some(Element {
                doc: self,
                id: id.0,
            }),
            _ => None,
        }
    }

    /// Top-level nodes in document order: processing instructions around the root, and the root.
    pub fn top_level(&self) -> impl Iterator<Item = Node<'_>> + '_ {
        Children {
            doc: self,
            next: self.first_top,
        }
    }

    /// Every element in document order.
    pub fn elements(&self) -> impl Iterator<Item = Element<'_>> + '_ {
        // Nodes are created in document order, so the arena order is document order.
        self.nodes
            .iter()
            .enumerate()
            .filter_map(move |(i, n)| match n.kind {
                Kind::Element(_) => Some(Element {
                    doc: self,
                    id: i as u32,
                }),
                _ => None,
            })
    }

    /// The document text after line-break normalization (and without a byte-order mark).
    pub fn source(&self) -> &str {
        &self.src
    }

    /// Number of nodes (elements, text runs and processing instructions).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of distinct namespace prefixes (ids `0..prefix_count()`; the empty prefix and
    /// `xml` are always there).
    pub(crate) fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }

    /// The name of prefix id `pid` (`""` when out of range).
    pub(crate) fn prefix_name(&self, pid: u32) -> &str {
        self.prefixes.get(pid as usize).map_or("", |&p| self.s(p))
    }

    // Always: the canonicalizer reads a name or a text run through it for every node.
    #[inline(always)]
    fn s(&self, s: Str) -> &str {
        let (buf, start) = if s.in_source() {
            (&self.src, s.start)
        } else {
            (&self.decoded, s.start & !DECODED)
        };
        // Spans are only ever created from char boundaries of these buffers.
        buf.get(start as usize..(start + s.len) as usize)
            .unwrap_or("")
    }

    #[inline(always)]
    fn node(&self, i: u32) -> Node<'_> {
        match &self.nodes[i as usize].kind {
            Kind::Element(_) => Node::Element(Element { doc: self, id: i }),
            Kind::Text(t) => Node::Text(self.s(*t)),
            Kind::Pi { target, data } => Node::ProcessingInstruction {
                target: self.s(*target),
                data: self.s(*data),
            },
        }
    }

    #[inline(always)]
    fn elem(&self, i: u32) -> &ElemData {
        match &self.nodes[i as usize].kind {
            Kind::Element(e) => e,
            _ => unreachable!("element handles only point at elements"),
        }
    }
}

/// A node of the tree, as seen while walking children.
#[derive(Clone, Copy, Debug)]
pub enum Node<'d> {
    /// An element.
    Element(Element<'d>),
    /// A run of character data (text, CDATA and references, already decoded and merged).
    Text(&'d str),
    /// A processing instruction `<?target data?>`.
    ProcessingInstruction {
        /// The target name.
        target: &'d str,
        /// Everything after the target and the whitespace that follows it.
        data: &'d str,
    },
}

/// An attribute of an element (namespace declarations are not attributes here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attribute<'d> {
    /// The name as written, `prefix:local` or `local`.
    pub qualified_name: &'d str,
    /// The prefix as written (`""` when none).
    pub prefix: &'d str,
    /// The local name.
    pub local_name: &'d str,
    /// The namespace URI (`""` for unprefixed attributes, which are in no namespace).
    pub namespace: &'d str,
    /// The normalized, decoded value.
    pub value: &'d str,
}

/// A handle to an element of a [`Document`].
#[derive(Clone, Copy)]
pub struct Element<'d> {
    doc: &'d Document,
    id: u32,
}

impl fmt::Debug for Element<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.qualified_name())
    }
}

impl PartialEq for Element<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.doc, other.doc) && self.id == other.id
    }
}

impl<'d> Element<'d> {
    #[inline]
    fn data(&self) -> &'d ElemData {
        self.doc.elem(self.id)
    }

    /// This element's id, to find it again or to canonicalize it.
    #[inline]
    pub fn id(&self) -> NodeId {
        NodeId(self.id)
    }

    /// Where the element is written in [`Document::source`]: from its `<` to just past its end
    /// tag.
    #[cfg_attr(not(feature = "encrypted-assertions"), allow(dead_code))]
    pub(crate) fn source_span(&self) -> std::ops::Range<usize> {
        let d = self.data();
        (d.qname.start as usize).saturating_sub(1)..d.end as usize
    }

    /// The document this element belongs to.
    pub fn document(&self) -> &'d Document {
        self.doc
    }

    /// The local name (without prefix).
    #[inline]
    pub fn local_name(&self) -> &'d str {
        let d = self.data();
        let qname = self.doc.s(d.qname);
        match d.plen {
            0 => qname,
            n => qname.get(n as usize + 1..).unwrap_or(""),
        }
    }

    /// The local name's length in bytes, from the node alone (no text is read): a walk that
    /// looks for a few names passes over the others by their length.
    #[inline]
    pub(crate) fn local_name_len(&self) -> usize {
        let d = self.data();
        match d.plen {
            0 => d.qname.len as usize,
            n => (d.qname.len as usize).saturating_sub(n as usize + 1),
        }
    }

    /// The prefix as written, `""` when none.
    #[inline]
    pub fn prefix(&self) -> &'d str {
        let d = self.data();
        match d.plen {
            0 => "",
            n => self.doc.s(d.qname).get(..n as usize).unwrap_or(""),
        }
    }

    /// The name as written, `prefix:local` or `local`.
    #[inline]
    pub fn qualified_name(&self) -> Cow<'d, str> {
        Cow::Borrowed(self.doc.s(self.data().qname))
    }

    /// The namespace URI, `""` when the element is in no namespace.
    #[inline]
    pub fn namespace(&self) -> &'d str {
        self.doc.s(self.data().ns)
    }

    /// Is this the element `{namespace}local_name`?
    #[inline]
    pub fn is(&self, namespace: &str, local_name: &str) -> bool {
        // Lengths first, from the node itself: most elements asked about are another element.
        let d = self.data();
        let local_len = match d.plen {
            0 => d.qname.len,
            n => d.qname.len.saturating_sub(n + 1),
        };
        local_len as usize == local_name.len()
            && d.ns.len as usize == namespace.len()
            && same(self.local_name(), local_name)
            && same(self.namespace(), namespace)
    }

    /// Nesting depth; the root element has depth 1.
    pub fn depth(&self) -> usize {
        self.data().depth.get() as usize
    }

    /// The parent element, `None` for the root.
    #[inline]
    pub fn parent(&self) -> Option<Element<'d>> {
        let p = self.doc.nodes[self.id as usize].parent;
        (p != NONE).then_some(Element {
            doc: self.doc,
            id: p,
        })
    }

    /// All attributes, in document order (namespace declarations excluded).
    pub fn attributes(&self) -> impl ExactSizeIterator<Item = Attribute<'d>> + 'd {
        self.attributes_with_prefix_ids().map(|(a, _)| a)
    }

    /// The attributes with the ids of their prefixes ([`DEFAULT_PREFIX`] when unprefixed).
    pub(crate) fn attributes_with_prefix_ids(
        &self,
    ) -> impl ExactSizeIterator<Item = (Attribute<'d>, u32)> + 'd {
        let doc = self.doc;
        let (start, len) = self.data().attrs;
        doc.attrs[start as usize..(start + len) as usize]
            .iter()
            .map(move |a| {
                (
                    Attribute {
                        qualified_name: doc.s(a.qname),
                        prefix: doc.s(a.prefix),
                        local_name: doc.s(a.local),
                        namespace: doc.s(a.ns),
                        value: doc.s(a.value),
                    },
                    a.pid,
                )
            })
    }

    /// Whether the element has no child node at all (`<c/>`, `<c></c>`).
    #[inline]
    pub(crate) fn is_childless(&self) -> bool {
        self.first_child() == NONE
    }

    /// The first child node's index, `NONE` when there is none: the node after this one, when
    /// that is its child (nodes are in document order, each added where it starts).
    #[inline]
    fn first_child(&self) -> u32 {
        let next = self.id.wrapping_add(1);
        match self.doc.nodes.get(next as usize) {
            Some(n) if n.parent == self.id => next,
            _ => NONE,
        }
    }

    /// Whether the start tag is only a name: no attribute, no namespace declaration.
    #[inline]
    pub(crate) fn is_plain(&self) -> bool {
        let d = self.data();
        d.attrs.1 == 0 && d.decls.1 == 0
    }

    /// The id of this element's prefix ([`DEFAULT_PREFIX`] when unprefixed).
    #[inline]
    pub(crate) fn prefix_id(&self) -> u32 {
        self.data().pid
    }

    /// Namespace declarations made on this element: `(prefix id, prefix, uri)`.
    #[inline]
    pub(crate) fn declarations_with_prefix_ids(
        &self,
    ) -> impl ExactSizeIterator<Item = (u32, &'d str, &'d str)> + 'd {
        let doc = self.doc;
        let (start, len) = self.data().decls;
        doc.decls[start as usize..(start + len) as usize]
            .iter()
            .map(move |d| (d.pid, doc.s(d.prefix), doc.s(d.uri)))
    }

    /// The value of the unprefixed attribute `local_name` (in no namespace).
    pub fn attribute(&self, local_name: &str) -> Option<&'d str> {
        self.attribute_ns("", local_name)
    }

    /// The value of attribute `{namespace}local_name`.
    pub fn attribute_ns(&self, namespace: &str, local_name: &str) -> Option<&'d str> {
        // Compared on the stored spans, lengths first: no string is made for another attribute.
        let doc = self.doc;
        let (start, len) = self.data().attrs;
        doc.attrs[start as usize..(start + len) as usize]
            .iter()
            .find(|a| {
                a.local.len as usize == local_name.len()
                    && a.ns.len as usize == namespace.len()
                    && same(doc.s(a.local), local_name)
                    && same(doc.s(a.ns), namespace)
            })
            .map(|a| doc.s(a.value))
    }

    /// Namespace declarations made on this element: `(prefix, uri)`, prefix `""` for the default
    /// namespace, uri `""` for an undeclaration (`xmlns=""`).
    pub fn namespace_declarations(&self) -> impl ExactSizeIterator<Item = (&'d str, &'d str)> + 'd {
        let doc = self.doc;
        let (start, len) = self.data().decls;
        doc.decls[start as usize..(start + len) as usize]
            .iter()
            .map(move |d| (doc.s(d.prefix), doc.s(d.uri)))
    }

    /// Child nodes in document order.
    #[inline]
    pub fn children(&self) -> Children<'d> {
        Children {
            doc: self.doc,
            next: self.first_child(),
        }
    }

    /// Child elements in document order.
    pub fn child_elements(&self) -> impl Iterator<Item = Element<'d>> + 'd {
        // Walks the sibling links without making the text runs it skips into strings.
        let doc = self.doc;
        let mut next = self.first_child();
        std::iter::from_fn(move || {
            while next != NONE {
                let id = next;
                let n = &doc.nodes[id as usize];
                next = n.next_sibling;
                if matches!(n.kind, Kind::Element(_)) {
                    return Some(Element { doc, id });
                }
            }
            None
        })
    }

    /// Child elements named `{namespace}local_name`.
    pub fn children_named<'a>(
        &self,
        namespace: &'a str,
        local_name: &'a str,
    ) -> impl Iterator<Item = Element<'d>> + 'a
    where
        'd: 'a,
    {
        self.child_elements()
            .filter(move |e| e.is(namespace, local_name))
    }

    /// Every descendant element (not this one), in document order.
    pub fn descendants(&self) -> impl Iterator<Item = Element<'d>> + 'd {
        let doc = self.doc;
        let me = self.id;
        // Descendants are a contiguous run of the arena right after the element.
        doc.nodes[(me as usize + 1)..]
            .iter()
            .enumerate()
            .map(move |(k, n)| (me + 1 + k as u32, n))
            .take_while(move |(i, _)| doc.is_descendant(*i, me))
            .filter_map(move |(i, n)| match n.kind {
                Kind::Element(_) => Some(Element { doc, id: i }),
                _ => None,
            })
    }

    /// The element's character content, read as text: the concatenation of its text children
    /// (comments never split it; processing instructions are skipped).
    ///
    /// An element that has element children is not text and gives [`XmlError::NotText`]: this is
    /// how a signed value can never be read partially.
    pub fn text(&self) -> Result<Cow<'d, str>, XmlError> {
        // The common shapes, no child or one text run, without the general walk.
        let first = self.first_child();
        let Some(n) = self.doc.nodes.get(first as usize) else {
            return Ok(Cow::Borrowed(""));
        };
        if let (Kind::Text(t), NONE) = (&n.kind, n.next_sibling) {
            return Ok(Cow::Borrowed(self.doc.s(*t)));
        }
        let mut out: Option<Cow<'d, str>> = None;
        for child in self.children() {
            match child {
                Node::Element(_) => {
                    return Err(XmlError::NotText {
                        element: self.qualified_name().into_owned(),
                    })
                }
                Node::Text(t) => {
                    out = Some(match out {
                        None => Cow::Borrowed(t),
                        Some(prev) => Cow::Owned(prev.into_owned() + t),
                    })
                }
                Node::ProcessingInstruction { .. } => {}
            }
        }
        Ok(out.unwrap_or(Cow::Borrowed("")))
    }

    /// The namespace URI bound to `prefix` (`""` = default namespace) in scope at this element.
    pub fn lookup_namespace(&self, prefix: &str) -> Option<&'d str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        let mut cur = Some(*self);
        while let Some(e) = cur {
            if let Some((_, uri)) = e.namespace_declarations().find(|(p, _)| *p == prefix) {
                return (!uri.is_empty()).then_some(uri);
            }
            cur = e.parent();
        }
        None
    }
}

impl Document {
    fn is_descendant(&self, mut i: u32, ancestor: u32) -> bool {
        while i != NONE {
            let p = self.nodes[i as usize].parent;
            if p == ancestor {
                return true;
            }
            i = p;
        }
        false
    }
}

/// Iterator over the children of an element.
#[derive(Clone)]
pub struct Children<'d> {
    doc: &'d Document,
    next: u32,
}

impl<'d> Iterator for Children<'d> {
    type Item = Node<'d>;
    // Always: the canonicalizer's loop calls it once per node.
    #[inline(always)]
    fn next(&mut self) -> Option<Node<'d>> {
        if self.next == NONE {
            return None;
        }
        let i = self.next;
        self.next = self.doc.nodes[i as usize].next_sibling;
        Some(self.doc.node(i))
    }
}
