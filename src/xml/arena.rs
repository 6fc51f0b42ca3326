//! The node arena's storage: spans into the text, and the records of elements, attributes and
//! namespace declarations that a [`Document`](super::Document) is made of.

use super::XML_NS;

pub(super) const NONE: u32 = u32::MAX;
pub(super) const DECODED: u32 = 1 << 31;
/// The XML namespace, interned at the start of every document's decoded buffer.
pub(super) const XML_NS_STR: Str = Str {
    start: DECODED,
    len: XML_NS.len() as u32,
};
/// The prefix `xml`, interned right after the XML namespace in the decoded buffer.
pub(super) const XML_PREFIX_STR: Str = Str {
    start: DECODED | XML_NS.len() as u32,
    len: 3,
};

/// A string stored either in the (normalized) source or in the buffer of decoded text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Str {
    pub(super) start: u32,
    pub(super) len: u32,
}

impl Str {
    pub(super) const EMPTY: Str = Str { start: 0, len: 0 };
    pub(super) fn in_source(self) -> bool {
        self.start & DECODED == 0
    }
    pub(super) fn end(self) -> u32 {
        self.start + self.len
    }
}

/// A node. Nodes are stored in document order, each one added when it starts, so an element's
/// first child, when it has one, is the node right after it: the element keeps no link to it
/// (nor to its last child, which only the builder needs, on its stack).
#[derive(Debug)]
pub(super) struct NodeData {
    pub(super) parent: u32,
    pub(super) next_sibling: u32,
    pub(super) kind: Kind,
}

#[derive(Debug)]
pub(super) enum Kind {
    Element(ElemData),
    Text(Str),
    Pi { target: Str, data: Str },
}

#[derive(Debug)]
pub(super) struct ElemData {
    /// The name as written (`prefix:local`), contiguous in the source.
    pub(super) qname: Str,
    /// The prefix's length in bytes within `qname` (0 when unprefixed): the prefix and the local
    /// name are the two sides of its colon, so the node need not hold them (smaller nodes are
    /// what element-heavy documents cost).
    pub(super) plen: u32,
    pub(super) ns: Str,
    /// Interned prefix ([`DEFAULT_PREFIX`] when unprefixed).
    pub(super) pid: u32,
    pub(super) attrs: (u32, u32),
    pub(super) decls: (u32, u32),
    pub(super) depth: Depth,
    /// The source offset just past the element's end tag (or empty-element tag).
    pub(super) end: u32,
}

/// An element's nesting depth, and whether its start tag is written byte for byte as the start
/// tag just before it in the document, that of its previous sibling element (so the two tags
/// mean the same, in the same scope). A depth never reaches 2^31 (each level takes at least
/// three bytes of a document of at most 1 GiB), so the flag is the top bit.
#[derive(Clone, Copy, Debug)]
pub(super) struct Depth(u32);

impl Depth {
    const REPEATS: u32 = 1 << 31;

    pub(super) fn new(depth: usize, repeats_sibling: bool) -> Depth {
        let d = u32::try_from(depth).unwrap_or(u32::MAX) & !Depth::REPEATS;
        Depth(if repeats_sibling {
            d | Depth::REPEATS
        } else {
            d
        })
    }

    pub(super) fn get(self) -> u32 {
        self.0 & !Depth::REPEATS
    }

    /// Written as the previous sibling element's start tag.
    pub(super) fn repeats_sibling(self) -> bool {
        self.0 & Depth::REPEATS != 0
    }
}

#[derive(Debug)]
pub(super) struct AttrData {
    pub(super) qname: Str,
    pub(super) prefix: Str,
    pub(super) local: Str,
    pub(super) ns: Str,
    /// Interned prefix ([`DEFAULT_PREFIX`] when unprefixed: such attributes are in no namespace).
    pub(super) pid: u32,
    pub(super) value: Str,
}

#[derive(Debug)]
pub(super) struct DeclData {
    pub(super) prefix: Str,
    pub(super) uri: Str,
    /// [`prefix_key`] of the prefix: lookups compare this first.
    pub(super) key: u64,
    /// `name_hash` of the URI, computed once where it is declared: the expanded-name check of
    /// every attribute in this namespace uses it instead of hashing the URI again (a long URI
    /// with many attributes would otherwise cost its length for each of them).
    pub(super) uri_hash: u64,
    /// Interned prefix.
    pub(super) pid: u32,
    /// While the builder has it in scope: the binding it shadows (restored when its element
    /// closes).
    pub(super) shadowed: u32,
}

/// The interned id of the empty prefix (the default namespace).
pub(crate) const DEFAULT_PREFIX: u32 = 0;
/// The interned id of the `xml` prefix.
pub(crate) const XML_PREFIX: u32 = 1;

/// The prefix's length and first seven bytes in one word: equal prefixes have equal keys, and
/// prefixes of up to seven bytes are equal exactly when their keys are.
///
/// Built in a register: copying the bytes into an array and loading it as a word stalls the
/// load on store forwarding (a third of a prefix lookup, measured).
pub(super) fn prefix_key(prefix: &str) -> u64 {
    let b = prefix.as_bytes();
    let mut k = (b.len().min(255) as u64) << 56;
    for (i, &c) in b.iter().take(7).enumerate() {
        k |= u64::from(c) << (8 * i);
    }
    k
}
