//! The owned document tree and its builder (quick-xml tokens in, checked nodes out).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::text::{
    decode_attribute_value, first_illegal_char, is_ncname, is_xml_whitespace,
    normalize_line_endings, resolve_reference,
};
use super::work;
use super::{XMLNS_NS, XML_NS};
use crate::error::XmlError;

/// Bounds applied while parsing. Every limit is checked before the corresponding memory is used,
/// so a hostile document costs at most these amounts.
///
/// The defaults fit SAML responses with a wide margin (a real Okta response is about 8 KB, depth 6,
/// ~60 elements) and are what the SAML validator uses unless configured otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum document size in bytes (after base64 decoding). Default 256 KiB; at most 1 GiB.
    pub max_bytes: usize,
    /// Maximum element nesting depth (the root is depth 1). Default 64.
    pub max_depth: usize,
    /// Maximum number of nodes (elements, text runs, processing instructions). Default 20 000.
    pub max_nodes: usize,
    /// Maximum attributes on one element, namespace declarations included. Default 64.
    pub max_attributes_per_element: usize,
    /// Maximum attributes in the whole document. Default 20 000.
    pub max_attributes: usize,
    /// Maximum namespace declarations in the whole document. Default 20 000: Okta declares `xs`
    /// and `xsi` on every `AttributeValue`, so a user in a thousand groups brings two thousand.
    /// Lookups only walk the declarations in scope (bounded by depth and attributes per
    /// element), so the total bounds memory, not time.
    pub max_namespace_declarations: usize,
    /// Maximum namespace declarations in scope at any element (its own and its ancestors').
    /// Default 64 (an Okta response has fewer than ten). Every prefixed name is resolved by
    /// walking the declarations in scope, so this bounds the cost of each lookup.
    pub max_namespaces_in_scope: usize,
    /// Maximum length in bytes of an element or attribute name as written (`prefix:local`) and of
    /// a processing-instruction target. Default 256: SAML and XML-DSig names are under 40 bytes.
    pub max_name_bytes: usize,
    /// Maximum length in bytes of a namespace prefix. Default 64 (IdPs use `saml2p`, `ds`, `xs`).
    pub max_prefix_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 256 * 1024,
            max_depth: 64,
            max_nodes: 20_000,
            max_attributes_per_element: 64,
            max_attributes: 20_000,
            max_namespace_declarations: 20_000,
            max_namespaces_in_scope: 64,
            max_name_bytes: 256,
            max_prefix_bytes: 64,
        }
    }
}

impl Limits {
    /// The default limits with a different maximum size in bytes (capped at 1 GiB).
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Limits {
        self.max_bytes = max_bytes.min(HARD_MAX_BYTES);
        self
    }
}

const HARD_MAX_BYTES: usize = 1 << 30;
/// Entries in the builder's prefix cache.
const PREFIX_CACHE: usize = 64;
const NONE: u32 = u32::MAX;
const DECODED: u32 = 1 << 31;
/// The XML namespace, interned at the start of every document's decoded buffer.
const XML_NS_STR: Str = Str {
    start: DECODED,
    len: XML_NS.len() as u32,
};
/// The prefix `xml`, interned right after the XML namespace in the decoded buffer.
const XML_PREFIX_STR: Str = Str {
    start: DECODED | XML_NS.len() as u32,
    len: 3,
};

/// A string stored either in the (normalized) source or in the buffer of decoded text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Str {
    start: u32,
    len: u32,
}

impl Str {
    const EMPTY: Str = Str { start: 0, len: 0 };
    fn in_source(self) -> bool {
        self.start & DECODED == 0
    }
    fn end(self) -> u32 {
        self.start + self.len
    }
}

/// Identifies a node of one [`Document`]. Only meaningful with the document it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(u32);

#[derive(Debug)]
struct NodeData {
    parent: u32,
    next_sibling: u32,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Element(ElemData),
    Text(Str),
    Pi { target: Str, data: Str },
}

#[derive(Debug)]
struct ElemData {
    /// The name as written (`prefix:local`), contiguous in the source.
    qname: Str,
    prefix: Str,
    local: Str,
    ns: Str,
    /// Interned prefix ([`DEFAULT_PREFIX`] when unprefixed).
    pid: u32,
    first_child: u32,
    last_child: u32,
    attrs: (u32, u32),
    decls: (u32, u32),
    depth: u32,
}

#[derive(Debug)]
struct AttrData {
    qname: Str,
    prefix: Str,
    local: Str,
    ns: Str,
    /// Interned prefix ([`DEFAULT_PREFIX`] when unprefixed: such attributes are in no namespace).
    pid: u32,
    value: Str,
}

#[derive(Debug)]
struct DeclData {
    prefix: Str,
    uri: Str,
    /// [`prefix_key`] of the prefix: lookups compare this first.
    key: u64,
    /// Interned prefix.
    pid: u32,
}

/// The interned id of the empty prefix (the default namespace).
pub(crate) const DEFAULT_PREFIX: u32 = 0;
/// The interned id of the `xml` prefix.
pub(crate) const XML_PREFIX: u32 = 1;

/// The prefix's length and first seven bytes in one word: equal prefixes have equal keys, and
/// prefixes of up to seven bytes are equal exactly when their keys are.
fn prefix_key(prefix: &str) -> u64 {
    let b = prefix.as_bytes();
    let mut k = [0u8; 8];
    let n = b.len().min(7);
    k[..n].copy_from_slice(&b[..n]);
    k[7] = b.len().min(255) as u8;
    u64::from_le_bytes(k)
}

/// A parsed, immutable XML document. It owns its text; handles borrow from it.
pub struct Document {
    src: String,
    decoded: String,
    nodes: Vec<NodeData>,
    attrs: Vec<AttrData>,
    decls: Vec<DeclData>,
    /// Interned prefixes: the name of each prefix id, `""` and `xml` first.
    prefixes: Vec<Str>,
    root: u32,
    top_level: Vec<u32>,
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
    /// Parses a complete document from bytes, applying `limits`.
    pub fn parse(input: &[u8], limits: &Limits) -> Result<Document, XmlError> {
        if input.len() > limits.max_bytes.min(HARD_MAX_BYTES) {
            return Err(XmlError::TooLarge {
                limit: limits.max_bytes,
                actual: input.len(),
            });
        }
        Document::parse_owned(input.to_vec(), limits)
    }

    /// Parses a complete document, taking ownership of the buffer (no copy).
    pub fn parse_owned(mut input: Vec<u8>, limits: &Limits) -> Result<Document, XmlError> {
        if input.len() > limits.max_bytes.min(HARD_MAX_BYTES) {
            return Err(XmlError::TooLarge {
                limit: limits.max_bytes,
                actual: input.len(),
            });
        }
        if input.starts_with(&[0xEF, 0xBB, 0xBF]) {
            input.drain(..3);
        } else if input.starts_with(&[0xFE, 0xFF])
            || input.starts_with(&[0xFF, 0xFE])
            || input.starts_with(&[0, b'<'])
            || input.starts_with(&[b'<', 0])
        {
            return Err(XmlError::UnsupportedEncoding {
                declared: "UTF-16".into(),
            });
        }
        normalize_line_endings(&mut input);
        let src = String::from_utf8(input).map_err(|e| XmlError::NotUtf8 {
            offset: e.utf8_error().valid_up_to(),
        })?;
        if let Some(offset) = first_illegal_char(&src) {
            return Err(XmlError::IllegalCharacter { offset });
        }
        // Tokenizing is linear: one unit per byte, plus the units of the work done per name.
        work::add(src.len());
        let mut b = Builder {
            src: &src,
            base: src.as_ptr() as usize,
            limits,
            decoded: format!("{XML_NS}xml"),
            nodes: Vec::with_capacity(src.len() / 48 + 4),
            attrs: Vec::with_capacity(src.len() / 64 + 4),
            decls: Vec::new(),
            in_scope: 0,
            binding: vec![NONE, NONE],
            shadowed: Vec::new(),
            prefix_cache: [(0, NONE); PREFIX_CACHE],
            prefixes: vec![Str::EMPTY, XML_PREFIX_STR],
            prefix_ids: HashMap::from([("".into(), DEFAULT_PREFIX), ("xml".into(), XML_PREFIX)]),
            stack: Vec::new(),
            root: NONE,
            top_level: Vec::new(),
            pending: Vec::new(),
        };
        b.run()?;
        let Builder {
            decoded,
            nodes,
            attrs,
            decls,
            prefixes,
            root,
            top_level,
            ..
        } = b;
        Ok(Document {
            decoded,
            nodes,
            attrs,
            decls,
            prefixes,
            root,
            top_level,
            src,
        })
    }

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
        self.top_level.iter().map(move |&i| self.node(i))
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
    fn data(&self) -> &'d ElemData {
        self.doc.elem(self.id)
    }

    /// This element's id, to find it again or to canonicalize it.
    pub fn id(&self) -> NodeId {
        NodeId(self.id)
    }

    /// The document this element belongs to.
    pub fn document(&self) -> &'d Document {
        self.doc
    }

    /// The local name (without prefix).
    pub fn local_name(&self) -> &'d str {
        self.doc.s(self.data().local)
    }

    /// The prefix as written, `""` when none.
    pub fn prefix(&self) -> &'d str {
        self.doc.s(self.data().prefix)
    }

    /// The name as written, `prefix:local` or `local`.
    pub fn qualified_name(&self) -> Cow<'d, str> {
        Cow::Borrowed(self.doc.s(self.data().qname))
    }

    /// The namespace URI, `""` when the element is in no namespace.
    pub fn namespace(&self) -> &'d str {
        self.doc.s(self.data().ns)
    }

    /// Is this the element `{namespace}local_name`?
    pub fn is(&self, namespace: &str, local_name: &str) -> bool {
        self.local_name() == local_name && self.namespace() == namespace
    }

    /// Nesting depth; the root element has depth 1.
    pub fn depth(&self) -> usize {
        self.data().depth as usize
    }

    /// The parent element, `None` for the root.
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

    /// The id of this element's prefix ([`DEFAULT_PREFIX`] when unprefixed).
    pub(crate) fn prefix_id(&self) -> u32 {
        self.data().pid
    }

    /// Namespace declarations made on this element: `(prefix id, prefix, uri)`.
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
        self.attributes()
            .find(|a| a.local_name == local_name && a.namespace == namespace)
            .map(|a| a.value)
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
    pub fn children(&self) -> Children<'d> {
        Children {
            doc: self.doc,
            next: self.data().first_child,
        }
    }

    /// Child elements in document order.
    pub fn child_elements(&self) -> impl Iterator<Item = Element<'d>> + 'd {
        self.children().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
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
    fn next(&mut self) -> Option<Node<'d>> {
        if self.next == NONE {
            return None;
        }
        let i = self.next;
        self.next = self.doc.nodes[i as usize].next_sibling;
        Some(self.doc.node(i))
    }
}

struct PendingAttr {
    qname: Str,
    prefix: Str,
    local: Str,
    value: Str,
    offset: usize,
}

struct Builder<'a> {
    src: &'a str,
    base: usize,
    limits: &'a Limits,
    decoded: String,
    nodes: Vec<NodeData>,
    attrs: Vec<AttrData>,
    decls: Vec<DeclData>,
    /// Declarations made on the open elements (`stack`).
    in_scope: usize,
    /// For each prefix id, the index in `decls` of the declaration in scope (`NONE`: unbound).
    /// A prefix is resolved in constant time, whatever the depth or the number in scope.
    binding: Vec<u32>,
    /// For each declaration, the binding it shadows, restored when its element closes.
    shadowed: Vec<u32>,
    prefixes: Vec<Str>,
    prefix_ids: HashMap<Box<str>, u32>,
    /// A direct-mapped cache in front of `prefix_ids`: `(prefix_key, id)`.
    prefix_cache: [(u64, u32); PREFIX_CACHE],
    stack: Vec<u32>,
    root: u32,
    top_level: Vec<u32>,
    pending: Vec<PendingAttr>,
}

fn syntax(offset: usize, message: impl Into<String>) -> XmlError {
    XmlError::Syntax {
        offset,
        message: message.into(),
    }
}

/// Splits a QName into prefix and local part; `None` unless both are NCNames (a name with an
/// empty prefix such as `:x` is not a QName).
fn split_qname(q: &str) -> Option<(&str, &str)> {
    match memchr::memchr(b':', q.as_bytes()) {
        Some(i) => {
            let (p, l) = (&q[..i], &q[i + 1..]);
            (is_ncname(p) && is_ncname(l)).then_some((p, l))
        }
        None => is_ncname(q).then_some(("", q)),
    }
}

/// Only the characters RFC 3986 allows in a URI, and `%` only before two hex digits (libxml2
/// refuses to canonicalize a document with any other namespace name).
fn is_uri_reference(uri: &str) -> bool {
    let b = uri.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
            continue;
        }
        if !(c.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&c)) {
            return false;
        }
        i += 1;
    }
    true
}

/// An absolute URI starts with a scheme: a letter, then letters, digits, `+`, `-` or `.`, then `:`.
fn has_scheme(uri: &str) -> bool {
    match uri.split_once(':') {
        Some((scheme, _)) => {
            let mut c = scheme.chars();
            matches!(c.next(), Some(f) if f.is_ascii_alphabetic())
                && c.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

impl<'a> Builder<'a> {
    fn s(&self, s: Str) -> &str {
        let (buf, start) = if s.in_source() {
            (self.src, s.start)
        } else {
            (self.decoded.as_str(), s.start & !DECODED)
        };
        buf.get(start as usize..(start + s.len) as usize)
            .unwrap_or("")
    }

    /// The text of a span of the source (names and prefixes always are).
    fn src_str(&self, s: Str) -> &'a str {
        let src = self.src;
        if !s.in_source() {
            return "";
        }
        src.get(s.start as usize..s.end() as usize).unwrap_or("")
    }

    /// The span of `s`, which normally borrows from the source; anything else is copied.
    fn span(&mut self, s: &str) -> Str {
        let p = s.as_ptr() as usize;
        if p >= self.base && p + s.len() <= self.base + self.src.len() {
            Str {
                start: (p - self.base) as u32,
                len: s.len() as u32,
            }
        } else {
            self.owned(s)
        }
    }

    fn owned(&mut self, s: &str) -> Str {
        let start = self.decoded.len() as u32 | DECODED;
        self.decoded.push_str(s);
        Str {
            start,
            len: s.len() as u32,
        }
    }

    fn offset_of(&self, s: &str) -> usize {
        (s.as_ptr() as usize)
            .saturating_sub(self.base)
            .min(self.src.len())
    }

    fn run(&mut self) -> Result<(), XmlError> {
        let src = self.src;
        let mut reader = Reader::from_str(src);
        {
            let c = reader.config_mut();
            c.check_comments = true;
            c.check_end_names = true;
            c.expand_empty_elements = false;
            c.trim_text_start = false;
            c.trim_text_end = false;
            c.allow_dangling_amp = false;
            c.allow_unmatched_ends = false;
        }
        let mut first = true;
        loop {
            let pos = reader.buffer_position() as usize;
            let event = reader.read_event().map_err(|e| {
                let at = reader.error_position() as usize;
                syntax(at, e.to_string())
            })?;
            let was_first = std::mem::replace(&mut first, false);
            match event {
                Event::Decl(d) => {
                    if !was_first {
                        return Err(syntax(pos, "XML declaration not at the start"));
                    }
                    let version = d.version().map_err(|e| syntax(pos, e.to_string()))?;
                    if &*version != "1.0" {
                        return Err(syntax(
                            pos,
                            format!("XML version {version} (only 1.0 is accepted)"),
                        ));
                    }
                    if let Some(enc) = d.encoding() {
                        let enc = enc.map_err(|e| syntax(pos, e.to_string()))?;
                        if !enc.eq_ignore_ascii_case("utf-8") {
                            return Err(XmlError::UnsupportedEncoding {
                                declared: enc.chars().take(40).collect(),
                            });
                        }
                    }
                }
                Event::DocType(_) => return Err(XmlError::Doctype { offset: pos }),
                Event::PI(pi) => {
                    let target = pi.target();
                    self.check_name(target, pos)?;
                    if target.eq_ignore_ascii_case("xml") || !is_ncname(target) {
                        return Err(syntax(
                            pos,
                            format!("invalid processing instruction target {target:?}"),
                        ));
                    }
                    let data = pi.content().trim_start_matches([' ', '\t', '\n', '\r']);
                    let target = self.span(target);
                    let data = self.span(data);
                    self.add_node(Kind::Pi { target, data }, pos)?;
                }
                Event::Comment(_) => {}
                Event::Start(e) => self.start(&e, pos, false)?,
                Event::Empty(e) => self.start(&e, pos, true)?,
                Event::End(_) => {
                    if let Some(open) = self.stack.pop() {
                        if let Kind::Element(e) = &self.nodes[open as usize].kind {
                            let decls = e.decls;
                            self.unbind(decls);
                        }
                    }
                }
                Event::Text(t) => {
                    let raw = t.into_inner();
                    let raw: &str = &raw;
                    if self.stack.is_empty() {
                        if !is_xml_whitespace(raw) {
                            return Err(syntax(pos, "text outside the root element"));
                        }
                        continue;
                    }
                    if memchr::memchr(b']', raw.as_bytes()).is_some() {
                        if let Some(i) = raw.find("]]>") {
                            return Err(syntax(pos + i, "']]>' is not allowed in text"));
                        }
                    }
                    let s = self.span(raw);
                    self.append_text(s, None, pos)?;
                }
                Event::CData(c) => {
                    if self.stack.is_empty() {
                        return Err(syntax(pos, "CDATA outside the root element"));
                    }
                    let raw = c.into_inner();
                    let s = self.span(&raw);
                    self.append_text(s, None, pos)?;
                }
                Event::GeneralRef(r) => {
                    if self.stack.is_empty() {
                        return Err(syntax(pos, "reference outside the root element"));
                    }
                    let name: &str = &r;
                    let c = resolve_reference(name).map_err(|m| {
                        if m == "undefined entity" {
                            XmlError::UndefinedEntity {
                                name: name.chars().take(40).collect(),
                                offset: pos,
                            }
                        } else {
                            syntax(pos, m)
                        }
                    })?;
                    let mut buf = [0u8; 4];
                    self.append_text(Str::EMPTY, Some(c.encode_utf8(&mut buf)), pos)?;
                }
                Event::Eof => break,
            }
        }
        if !self.stack.is_empty() {
            return Err(syntax(
                src.len(),
                "unclosed element at the end of the document",
            ));
        }
        if self.root == NONE {
            return Err(syntax(src.len(), "no root element"));
        }
        Ok(())
    }

    fn add_node(&mut self, kind: Kind, pos: usize) -> Result<u32, XmlError> {
        if self.nodes.len() >= self.limits.max_nodes {
            return Err(XmlError::LimitExceeded {
                what: "nodes",
                limit: self.limits.max_nodes,
                offset: pos,
            });
        }
        let id = self.nodes.len() as u32;
        let parent = self.stack.last().copied().unwrap_or(NONE);
        self.nodes.push(NodeData {
            parent,
            next_sibling: NONE,
            kind,
        });
        if parent == NONE {
            self.top_level.push(id);
        } else {
            let prev_last = match &mut self.nodes[parent as usize].kind {
                Kind::Element(p) => {
                    let prev = p.last_child;
                    p.last_child = id;
                    if prev == NONE {
                        p.first_child = id;
                    }
                    prev
                }
                _ => NONE,
            };
            if prev_last != NONE {
                self.nodes[prev_last as usize].next_sibling = id;
            }
        }
        Ok(id)
    }

    /// Appends character data to the current element, merging with a preceding text run so that
    /// comments and references never split text. `s` is a source span, or `owned` is new text.
    fn append_text(&mut self, s: Str, owned: Option<&str>, pos: usize) -> Result<(), XmlError> {
        let len = owned.map_or(s.len as usize, str::len);
        if len == 0 {
            return Ok(());
        }
        let Some(&parent) = self.stack.last() else {
            return Err(syntax(pos, "character data outside the root element"));
        };
        let last = match &self.nodes[parent as usize].kind {
            Kind::Element(p) => p.last_child,
            _ => NONE,
        };
        let prev = match self.nodes.get(last as usize) {
            Some(NodeData {
                kind: Kind::Text(t),
                ..
            }) => Some(*t),
            _ => None,
        };
        let Some(t) = prev else {
            let s = match owned {
                Some(o) => self.owned(o),
                None => s,
            };
            self.add_node(Kind::Text(s), pos)?;
            return Ok(());
        };
        let merged = if owned.is_none() && t.in_source() && s.in_source() && t.end() == s.start {
            Str {
                start: t.start,
                len: t.len + s.len,
            }
        } else {
            let at_end = !t.in_source() && (t.end() & !DECODED) as usize == self.decoded.len();
            let start = if at_end {
                t.start
            } else {
                let copy = self.s(t).to_owned();
                self.owned(&copy).start
            };
            match owned {
                Some(o) => self.decoded.push_str(o),
                None => {
                    let src = self.src;
                    let start = s.start as usize;
                    self.decoded
                        .push_str(src.get(start..start + s.len as usize).unwrap_or(""));
                }
            }
            let end = self.decoded.len() as u32;
            Str {
                start,
                len: end - (start & !DECODED),
            }
        };
        self.nodes[last as usize].kind = Kind::Text(merged);
        Ok(())
    }

    /// The id of `prefix`, if any declaration ever named it.
    fn prefix_id(&mut self, prefix: &str) -> Option<u32> {
        work::add(1);
        match prefix {
            "" => return Some(DEFAULT_PREFIX),
            "xml" => return Some(XML_PREFIX),
            _ => {}
        }
        let key = prefix_key(prefix);
        let slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize % PREFIX_CACHE;
        let (k, id) = self.prefix_cache[slot];
        if id != NONE
            && k == key
            && (prefix.len() <= 7 || self.s(self.prefixes[id as usize]) == prefix)
        {
            return Some(id);
        }
        let id = *self.prefix_ids.get(prefix)?;
        self.prefix_cache[slot] = (key, id);
        Some(id)
    }

    /// The id of `prefix`, interning it on first sight (`span` is where it is written).
    fn intern(&mut self, prefix: &str, span: Str) -> u32 {
        if let Some(id) = self.prefix_id(prefix) {
            return id;
        }
        let id = self.prefixes.len() as u32;
        self.prefixes.push(span);
        self.binding.push(NONE);
        self.prefix_ids.insert(prefix.into(), id);
        id
    }

    /// Puts the declarations `decls` (made on one element) in scope.
    fn bind(&mut self, decls: (u32, u32)) {
        for i in decls.0..decls.0 + decls.1 {
            let pid = self.decls[i as usize].pid as usize;
            self.shadowed.push(self.binding[pid]);
            self.binding[pid] = i;
        }
        self.in_scope += decls.1 as usize;
        work::add(decls.1 as usize);
    }

    /// Takes the declarations `decls` out of scope again (innermost element first).
    fn unbind(&mut self, decls: (u32, u32)) {
        for i in (decls.0..decls.0 + decls.1).rev() {
            let pid = self.decls[i as usize].pid as usize;
            self.binding[pid] = self.shadowed[i as usize];
        }
        self.in_scope -= decls.1 as usize;
    }

    /// The binding of `prefix` in scope: `(uri, prefix id)`.
    fn lookup(&mut self, prefix: &str) -> Option<(Str, u32)> {
        let pid = self.prefix_id(prefix)?;
        match self.binding.get(pid as usize) {
            Some(&d) if d != NONE => Some((self.decls[d as usize].uri, pid)),
            _ => None,
        }
    }

    /// Resolves a name's prefix with the declarations in scope (own ones already bound).
    fn resolve(
        &mut self,
        prefix: &str,
        offset: usize,
        is_attr: bool,
    ) -> Result<(Str, u32), XmlError> {
        match prefix {
            "xml" => Ok((XML_NS_STR, XML_PREFIX)),
            "xmlns" => Err(syntax(offset, "the prefix xmlns cannot be used for names")),
            "" if is_attr => Ok((Str::EMPTY, DEFAULT_PREFIX)),
            "" => Ok(self
                .lookup("")
                .map_or((Str::EMPTY, DEFAULT_PREFIX), |(u, _)| (u, DEFAULT_PREFIX))),
            p => match self.lookup(p) {
                Some(u) if u.0.len > 0 => Ok(u),
                _ => Err(XmlError::UnboundPrefix {
                    prefix: p.chars().take(40).collect(),
                    offset,
                }),
            },
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, pos: usize, empty: bool) -> Result<(), XmlError> {
        if self.stack.is_empty() && self.root != NONE {
            return Err(syntax(pos, "a second root element"));
        }
        let depth = self.stack.len() + 1;
        if depth > self.limits.max_depth {
            return Err(XmlError::LimitExceeded {
                what: "element depth",
                limit: self.limits.max_depth,
                offset: pos,
            });
        }
        let qname = e.name().0;
        self.check_name(qname, pos)?;
        let (prefix, local) = split_qname(qname)
            .ok_or_else(|| syntax(pos, format!("invalid element name {:?}", truncate(qname))))?;
        self.check_prefix(prefix, pos)?;
        work::add(1);
        let decl_start = self.decls.len() as u32;
        self.pending.clear();
        let raw_attrs = e.attributes_raw();
        let mut scan = AttrScanner {
            s: raw_attrs,
            pos: 0,
        };
        let mut count = 0usize;
        while let Some((key, raw)) = scan
            .next()
            .map_err(|(i, m)| syntax(self.offset_of(raw_attrs) + i, m))?
        {
            count += 1;
            if count > self.limits.max_attributes_per_element {
                return Err(XmlError::LimitExceeded {
                    what: "attributes on one element",
                    limit: self.limits.max_attributes_per_element,
                    offset: pos,
                });
            }
            let at = self.offset_of(raw);
            self.check_name(key, at)?;
            let (ap, al) = split_qname(key)
                .ok_or_else(|| syntax(at, format!("invalid attribute name {:?}", truncate(key))))?;
            self.check_prefix(ap, at)?;
            work::add(1);
            let value = decode_attribute_value(raw).map_err(|(i, m)| syntax(at + i, m))?;
            let value_span = match &value {
                Cow::Borrowed(v) => self.span(v),
                Cow::Owned(v) => self.owned(v),
            };
            let decl_prefix = if key == "xmlns" {
                Some("")
            } else if ap == "xmlns" {
                Some(al)
            } else {
                None
            };
            if let Some(dp) = decl_prefix {
                self.check_declaration(dp, &value, at)?;
                if self.decls.len() >= self.limits.max_namespace_declarations {
                    return Err(XmlError::LimitExceeded {
                        what: "namespace declarations",
                        limit: self.limits.max_namespace_declarations,
                        offset: at,
                    });
                }
                if self.in_scope + (self.decls.len() - decl_start as usize)
                    >= self.limits.max_namespaces_in_scope
                {
                    return Err(XmlError::LimitExceeded {
                        what: "namespace declarations in scope",
                        limit: self.limits.max_namespaces_in_scope,
                        offset: at,
                    });
                }
                let prefix = if dp.is_empty() {
                    Str::EMPTY
                } else {
                    self.span(dp)
                };
                self.check_prefix(dp, at)?;
                let key = prefix_key(dp);
                let decls = &self.decls[decl_start as usize..];
                work::add(decls.len());
                if decls.iter().any(|d| d.key == key && self.s(d.prefix) == dp) {
                    return Err(syntax(
                        at,
                        format!("namespace prefix {dp:?} declared twice on one element"),
                    ));
                }
                let pid = self.intern(dp, prefix);
                self.decls.push(DeclData {
                    prefix,
                    uri: value_span,
                    key,
                    pid,
                });
            } else {
                work::add(self.pending.len());
                if self.pending.iter().any(|p| self.s(p.qname) == key) {
                    return Err(syntax(
                        at,
                        format!("duplicate attribute {:?}", truncate(key)),
                    ));
                }
                let prefix = if ap.is_empty() {
                    Str::EMPTY
                } else {
                    self.span(ap)
                };
                let local = self.span(al);
                let qname = self.span(key);
                self.pending.push(PendingAttr {
                    qname,
                    prefix,
                    local,
                    value: value_span,
                    offset: at,
                });
            }
        }
        let decls = (decl_start, self.decls.len() as u32 - decl_start);
        self.bind(decls);
        let (ns, pid) = self.resolve(prefix, pos, false)?;
        if self.attrs.len() + self.pending.len() > self.limits.max_attributes {
            return Err(XmlError::LimitExceeded {
                what: "attributes",
                limit: self.limits.max_attributes,
                offset: pos,
            });
        }
        let attr_start = self.attrs.len() as u32;
        let pending = std::mem::take(&mut self.pending);
        for p in &pending {
            let (ans, apid) = self.resolve(self.src_str(p.prefix), p.offset, true)?;
            self.attrs.push(AttrData {
                qname: p.qname,
                prefix: p.prefix,
                local: p.local,
                ns: ans,
                pid: apid,
                value: p.value,
            });
        }
        self.pending = pending;
        let attrs = (attr_start, self.attrs.len() as u32 - attr_start);
        // Namespace well-formedness: no two attributes with the same expanded name.
        let list = &self.attrs[attr_start as usize..];
        for (i, a) in list.iter().enumerate() {
            if a.ns.len == 0 {
                continue;
            }
            work::add(list.len() - i);
            for b in &list[i + 1..] {
                if self.s(a.local) == self.s(b.local) && self.s(a.ns) == self.s(b.ns) {
                    return Err(XmlError::DuplicateAttribute {
                        name: format!("{{{}}}{}", self.s(a.ns), self.s(a.local)),
                        offset: pos,
                    });
                }
            }
        }
        let prefix = if prefix.is_empty() {
            Str::EMPTY
        } else {
            self.span(prefix)
        };
        let local = self.span(local);
        let qname = self.span(qname);
        let id = self.add_node(
            Kind::Element(ElemData {
                qname,
                prefix,
                local,
                ns,
                pid,
                first_child: NONE,
                last_child: NONE,
                attrs,
                decls,
                depth: depth as u32,
            }),
            pos,
        )?;
        if self.stack.is_empty() {
            self.root = id;
        }
        if empty {
            self.unbind(decls);
        } else {
            self.stack.push(id);
        }
        Ok(())
    }

    fn check_name(&self, name: &str, at: usize) -> Result<(), XmlError> {
        if name.len() > self.limits.max_name_bytes {
            return Err(XmlError::LimitExceeded {
                what: "name length in bytes",
                limit: self.limits.max_name_bytes,
                offset: at,
            });
        }
        Ok(())
    }

    fn check_prefix(&self, prefix: &str, at: usize) -> Result<(), XmlError> {
        if prefix.len() > self.limits.max_prefix_bytes {
            return Err(XmlError::LimitExceeded {
                what: "namespace prefix length in bytes",
                limit: self.limits.max_prefix_bytes,
                offset: at,
            });
        }
        Ok(())
    }

    fn check_declaration(&self, prefix: &str, uri: &str, at: usize) -> Result<(), XmlError> {
        let bad = |m: &str| {
            Err(XmlError::Namespace {
                message: m.to_owned(),
                offset: at,
            })
        };
        if prefix == "xmlns" {
            return bad("the prefix xmlns cannot be declared");
        }
        if prefix == "xml" {
            return if uri == XML_NS {
                Ok(())
            } else {
                bad("the prefix xml cannot be bound to another namespace")
            };
        }
        if uri == XML_NS || uri == XMLNS_NS {
            return bad("the XML and XMLNS namespaces cannot be bound to another prefix");
        }
        if uri.is_empty() {
            return if prefix.is_empty() {
                Ok(())
            } else {
                bad("a prefix cannot be undeclared in XML 1.0 (xmlns:p=\"\")")
            };
        }
        if !has_scheme(uri) {
            return bad("relative namespace URIs are not accepted");
        }
        if !is_uri_reference(uri) {
            return bad("a namespace name must be a URI (RFC 3986 characters only)");
        }
        Ok(())
    }
}

/// Attributes of a start tag, as written: `(name, raw value)` pairs, each preceded by whitespace,
/// `name = "value"` or `name = 'value'`. Errors carry the offset within the scanned text.
struct AttrScanner<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> AttrScanner<'a> {
    #[allow(clippy::type_complexity)]
    fn next(&mut self) -> Result<Option<(&'a str, &'a str)>, (usize, &'static str)> {
        let b = self.s.as_bytes();
        let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
        let start = self.pos;
        while self.pos < b.len() && ws(b[self.pos]) {
            self.pos += 1;
        }
        if self.pos == b.len() {
            return Ok(None);
        }
        if self.pos == start {
            return Err((self.pos, "attributes must be separated by whitespace"));
        }
        let name_start = self.pos;
        while self.pos < b.len() && !ws(b[self.pos]) && b[self.pos] != b'=' {
            self.pos += 1;
        }
        let name = &self.s[name_start..self.pos];
        while self.pos < b.len() && ws(b[self.pos]) {
            self.pos += 1;
        }
        if b.get(self.pos) != Some(&b'=') {
            return Err((self.pos, "expected '=' after an attribute name"));
        }
        self.pos += 1;
        while self.pos < b.len() && ws(b[self.pos]) {
            self.pos += 1;
        }
        let quote = match b.get(self.pos) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return Err((self.pos, "an attribute value must be quoted")),
        };
        let value_start = self.pos + 1;
        let len = memchr::memchr(quote, &b[value_start..])
            .ok_or((self.pos, "unterminated attribute value"))?;
        self.pos = value_start + len + 1;
        Ok(Some((name, &self.s[value_start..value_start + len])))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Document, XmlError> {
        Document::parse(s.as_bytes(), &Limits::default())
    }

    #[test]
    fn builds_namespaced_tree() {
        let d = parse(r#"<?xml version="1.0" encoding="utf-8"?><p:r xmlns:p="urn:p" xmlns="urn:d" a="1" p:b="2"><c>x</c><p:d/></p:r>"#).unwrap();
        let r = d.root();
        assert!(r.is("urn:p", "r"));
        assert_eq!(r.prefix(), "p");
        assert_eq!(r.attribute("a"), Some("1"));
        assert_eq!(r.attribute_ns("urn:p", "b"), Some("2"));
        assert_eq!(r.attribute("b"), None);
        let kids: Vec<_> = r.child_elements().collect();
        assert!(kids[0].is("urn:d", "c"));
        assert_eq!(kids[0].text().unwrap(), "x");
        assert!(kids[1].is("urn:p", "d"));
        assert_eq!(kids[1].parent(), Some(r));
        assert_eq!(r.descendants().count(), 2);
        assert_eq!(kids[0].lookup_namespace(""), Some("urn:d"));
    }

    #[test]
    fn text_is_never_truncated() {
        let d =
            parse("<a>admin@example.com<!-- x -->.evil.com<?pi x?>&amp;<![CDATA[<b>]]>&#x41;</a>")
                .unwrap();
        assert_eq!(d.root().text().unwrap(), "admin@example.com.evil.com&<b>A");
        let nested = parse("<a>x<b/>y</a>").unwrap();
        assert!(matches!(
            nested.root().text(),
            Err(XmlError::NotText { .. })
        ));
    }

    #[test]
    fn line_endings_and_attribute_normalization() {
        let d = parse("<a x=\"1\r\n2\t3&#xA;\">l1\r\nl2\rl3&#13;</a>").unwrap();
        assert_eq!(d.root().attribute("x"), Some("1 2 3\n"));
        assert_eq!(d.root().text().unwrap(), "l1\nl2\nl3\r");
        let bom = Document::parse(b"\xEF\xBB\xBF<a/>", &Limits::default()).unwrap();
        assert_eq!(bom.root().local_name(), "a");
    }

    #[test]
    fn refuses_what_it_must() {
        type Check = fn(&XmlError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>", |e| {
                matches!(e, XmlError::Doctype { .. })
            }),
            ("<a>&e;</a>", |e| {
                matches!(e, XmlError::UndefinedEntity { .. })
            }),
            ("<a>&#0;</a>", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a>\u{1}</a>", |e| {
                matches!(e, XmlError::IllegalCharacter { .. })
            }),
            ("<p:a/>", |e| matches!(e, XmlError::UnboundPrefix { .. })),
            ("<a p:x='1'/>", |e| {
                matches!(e, XmlError::UnboundPrefix { .. })
            }),
            ("<a xmlns:p='u:1' xmlns:q='u:1' p:x='1' q:x='2'/>", |e| {
                matches!(e, XmlError::DuplicateAttribute { .. })
            }),
            ("<a x='1' x='2'/>", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a xmlns:p=''/>", |e| {
                matches!(e, XmlError::Namespace { .. })
            }),
            ("<a xmlns:p='rel/ative'/>", |e| {
                matches!(e, XmlError::Namespace { .. })
            }),
            ("<a xmlns:p='http://www.\u{7f}3.org/'/>", |e| {
                matches!(e, XmlError::Namespace { .. })
            }),
            ("<a xmlns:p='urn:a b'/>", |e| {
                matches!(e, XmlError::Namespace { .. })
            }),
            ("<a xmlns:p='urn:%zz'/>", |e| {
                matches!(e, XmlError::Namespace { .. })
            }),
            ("<a xmlns:p='urn:é'/>", |e| {
                matches!(e, XmlError::Namespace { .. })
            }),
            ("<a xmlns:xml='urn:x'/>", |e| {
                matches!(e, XmlError::Namespace { .. })
            }),
            ("<a xmlns:xmlns='urn:x'/>", |e| {
                matches!(e, XmlError::Namespace { .. })
            }),
            ("<a/><b/>", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a></b>", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a>", |e| matches!(e, XmlError::Syntax { .. })),
            ("", |e| matches!(e, XmlError::Syntax { .. })),
            ("text<a/>", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a/>text", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a>]]></a>", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a x='<'/>", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a x='&'/>", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a>&</a>", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a><!-- a -- b --></a>", |e| {
                matches!(e, XmlError::Syntax { .. })
            }),
            ("<?xml version='1.1'?><a/>", |e| {
                matches!(e, XmlError::Syntax { .. })
            }),
            ("<?xml version='1.0' encoding='ISO-8859-1'?><a/>", |e| {
                matches!(e, XmlError::UnsupportedEncoding { .. })
            }),
            ("<a/><?xml version='1.0'?>", |e| {
                matches!(e, XmlError::Syntax { .. })
            }),
            ("<1a/>", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a:b:c xmlns:a='u:a'/>", |e| {
                matches!(e, XmlError::Syntax { .. })
            }),
            ("<xmlns:a/>", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a x='1' :x='2'/>", |e| {
                matches!(e, XmlError::Syntax { .. })
            }),
            ("<:a/>", |e| matches!(e, XmlError::Syntax { .. })),
            ("<a: xmlns:a='u:a'/>", |e| {
                matches!(e, XmlError::Syntax { .. })
            }),
            ("<a xmlns:='u:a'/>", |e| {
                matches!(e, XmlError::Syntax { .. })
            }),
        ];
        for (input, ok) in cases {
            match parse(input) {
                Err(e) => assert!(ok(&e), "{input:?} gave {e:?}"),
                Ok(_) => panic!("{input:?} accepted"),
            }
        }
        assert!(matches!(
            Document::parse(&[0xFF, 0xFE, b'<', 0], &Limits::default()),
            Err(XmlError::UnsupportedEncoding { .. })
        ));
        assert!(matches!(
            Document::parse(b"<a>\xC3</a>", &Limits::default()),
            Err(XmlError::NotUtf8 { offset: 3 })
        ));
    }

    #[test]
    fn limits_hold() {
        let small = Limits::default().with_max_bytes(10);
        assert!(matches!(
            Document::parse(b"<a>0123456789</a>", &small),
            Err(XmlError::TooLarge { .. })
        ));
        let deep = "<a>".repeat(65) + &"</a>".repeat(65);
        assert!(matches!(
            parse(&deep),
            Err(XmlError::LimitExceeded {
                what: "element depth",
                ..
            })
        ));
        let ok = "<a>".repeat(64) + &"</a>".repeat(64);
        assert!(parse(&ok).is_ok());
        let many = format!("<a>{}</a>", "<b/>".repeat(20_000));
        assert!(matches!(
            parse(&many),
            Err(XmlError::LimitExceeded { what: "nodes", .. })
        ));
        let attrs: String = (0..65).map(|i| format!(" a{i}='x'")).collect();
        assert!(matches!(
            parse(&format!("<a{attrs}/>")),
            Err(XmlError::LimitExceeded { .. })
        ));
    }

    #[test]
    fn namespace_declarations_are_bounded_in_scope_not_per_sibling() {
        // Okta declares xs and xsi on every AttributeValue: thousands of siblings, few in scope.
        let value = r#"<v xmlns:xs="urn:xs" xmlns:xsi="urn:xsi" xsi:type="xs:string">g</v>"#;
        let doc = parse(&format!("<r>{}</r>", value.repeat(3_000))).unwrap();
        assert_eq!(doc.elements().count(), 3_001);
        // 64 in scope parse; the 65th is refused, however it is spread over the open elements.
        let decls = |from: usize, n: usize| -> String {
            (from..from + n)
                .map(|i| format!(" xmlns:p{i}='urn:{i}'"))
                .collect()
        };
        assert!(parse(&format!(
            "<a{}><b{}><p0:c/></b></a>",
            decls(0, 40),
            decls(40, 24)
        ))
        .is_ok());
        for doc in [
            format!("<a{}><b{}/></a>", decls(0, 40), decls(40, 25)),
            format!(
                "<a{}><b{}><c{}/></b></a>",
                decls(0, 1),
                decls(1, 63),
                decls(64, 1)
            ),
        ] {
            assert!(
                matches!(
                    parse(&doc),
                    Err(XmlError::LimitExceeded {
                        what: "namespace declarations in scope",
                        limit: 64,
                        ..
                    })
                ),
                "{doc}"
            );
        }
        // Closing an element takes its declarations out of scope.
        let sibling = format!("<b{}/>", decls(0, 60));
        assert!(parse(&format!("<a>{}</a>", sibling.repeat(5))).is_ok());
        let open = format!("<b{}><c/></b>", decls(0, 60));
        assert!(parse(&format!("<a>{}</a>", open.repeat(5))).is_ok());
        // Total declarations stay bounded.
        let limits = Limits {
            max_namespace_declarations: 100,
            ..Limits::default()
        };
        let many = format!("<r>{}</r>", value.repeat(51));
        assert!(matches!(
            Document::parse(many.as_bytes(), &limits),
            Err(XmlError::LimitExceeded {
                what: "namespace declarations",
                limit: 100,
                ..
            })
        ));
    }

    #[test]
    fn prefix_keys_separate_prefixes() {
        for (a, b) in [("a", "b"), ("ab", "a"), ("abcdefg", "abcdefgh"), ("", "a")] {
            assert_ne!(prefix_key(a), prefix_key(b), "{a} {b}");
        }
        assert_eq!(prefix_key("abcdefgXY"), prefix_key("abcdefgZW"));
        let d =
            parse("<r xmlns:abcdefgXY='urn:1' xmlns:abcdefgZW='urn:2'><abcdefgZW:x/></r>").unwrap();
        let x = d.elements().nth(1).unwrap();
        assert_eq!(x.namespace(), "urn:2");
    }

    #[test]
    fn document_order_and_top_level() {
        let d = parse("<?a x?><r><b><c/></b><d/></r><?z?>").unwrap();
        let names: Vec<_> = d.elements().map(|e| e.local_name().to_owned()).collect();
        assert_eq!(names, ["r", "b", "c", "d"]);
        assert_eq!(d.top_level().count(), 3);
        let b = d.root().child_elements().next().unwrap();
        assert_eq!(
            b.descendants().map(|e| e.local_name()).collect::<Vec<_>>(),
            ["c"]
        );
    }
}
