//! The tree builder: tokens in (from [`tokenizer`](super::tokenizer)), checked nodes out.

use std::collections::HashMap;

use super::document::{
    AttrData, DeclData, Document, Kind, NodeData, Str, DECODED, NONE, XML_PREFIX_STR,
};
use super::limits::{Limits, HARD_MAX_BYTES};
use super::text::{normalize_line_endings, scan_document, split_qname, TextScan};
use super::tokenizer::{Token, Tokenizer};
use super::work;
use super::XML_NS;
use crate::error::XmlError;

/// Entries in the builder's prefix cache.
const PREFIX_CACHE: usize = 64;

mod element;
mod memo;
mod namespaces;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod tokenizer_tests;
mod tokens;

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
        let scan = scan_document(&src);
        if let Some(offset) = scan.illegal {
            return Err(XmlError::IllegalCharacter { offset });
        }
        // Tokenizing is linear: one unit per byte, plus the units of the work done per name.
        work::add(src.len());
        // The arenas are sized from the text, so that they are allocated once and not much
        // larger than needed: every node but a text run starts with '<', and every attribute
        // or declaration has an '='.
        let size = Sizes::of(&scan, limits);
        let mut decoded = String::with_capacity(XML_NS.len() + 3 + 256);
        decoded.push_str(XML_NS);
        decoded.push_str("xml");
        let mut prefixes = Vec::with_capacity(16);
        prefixes.extend([Str::EMPTY, XML_PREFIX_STR]);
        let mut binding = Vec::with_capacity(16);
        binding.extend([NONE, NONE]);
        let mut b = Builder {
            src: &src,
            base: src.as_ptr() as usize,
            limits,
            decoded,
            nodes: Vec::with_capacity(size.nodes),
            attrs: Vec::with_capacity(size.attributes),
            decls: Vec::with_capacity(size.declarations),
            in_scope: 0,
            binding,
            prefix_cache: [(0, NONE); PREFIX_CACHE],
            prefixes,
            prefix_ids: None,
            stack: Vec::with_capacity(16),
            root: NONE,
            first_top: NONE,
            last_top: NONE,
            pending: Vec::with_capacity(16),
            attr_hashes: Vec::new(),
            good_uris: [""; GOOD_URIS],
            good_next: 0,
            memo: [memo::TagMemo::EMPTY; memo::MEMO_SLOTS],
            memo_last: None,
            last_element: NONE,
        };
        #[cfg(test)]
        if reference::QUICK_XML.with(std::cell::Cell::get) {
            b.run_quick_xml()?;
        } else {
            b.run()?;
        }
        #[cfg(not(test))]
        b.run()?;
        let Builder {
            decoded,
            nodes,
            mut attrs,
            mut decls,
            prefixes,
            root,
            first_top,
            ..
        } = b;
        // Their capacities were upper bounds (one per '=' or per tag): where much was not used,
        // it goes back before the document is read (a shrinking reallocation stays in place).
        const SLACK: usize = 16 * 1024;
        if (attrs.capacity() - attrs.len()) * std::mem::size_of::<AttrData>() > SLACK {
            attrs.shrink_to_fit();
        }
        if (decls.capacity() - decls.len()) * std::mem::size_of::<DeclData>() > SLACK {
            decls.shrink_to_fit();
        }
        Ok(Document {
            decoded,
            nodes,
            attrs,
            decls,
            prefixes,
            root,
            first_top,
            src,
        })
    }
}

struct PendingAttr {
    /// [`name_hash`] of the qualified name: the duplicate check compares it first.
    hash: u64,
    qname: Str,
    prefix: Str,
    local: Str,
    value: Str,
    offset: usize,
}

/// A hash of `parts` (with a separator), eight bytes a step: duplicate-name checks compare
/// these first, so that an element's attributes (64 at most, hostile ones all of one length)
/// cost a string comparison only where the names are equal. Any hash would be correct (equal
/// hashes are always compared as strings); this one is quick on short names.
fn name_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        #[cfg(test)]
        HASHED.with(|n| n.set(n.get() + part.len()));
        let mut chunks = part.as_bytes().chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h ^ u64::from_le_bytes(w))
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .rotate_left(29);
        }
        let mut tail = 0u64;
        for (i, &c) in chunks.remainder().iter().enumerate() {
            tail |= u64::from(c) << (8 * i);
        }
        // The length closes each part, so that ("ab", "c") and ("a", "bc") differ.
        h = (h ^ tail ^ ((part.len() as u64) << 56))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
    h
}

/// A set of 256 buckets of [`name_hash`] values, for the duplicate checks of one tag's
/// attributes: a hash whose bucket is empty was certainly not added, so most names are not
/// compared with the earlier ones at all (64 names cost 2 016 comparisons by pairs). Names
/// made to share a bucket fall back to those comparisons, no slower than without the set.
#[derive(Default)]
struct HashFilter([u64; 4]);

impl HashFilter {
    /// Adds `hash`; whether its bucket was already taken (an equal hash may have been added).
    #[inline]
    fn insert(&mut self, hash: u64) -> bool {
        // The hash ends with a multiplication, whose high byte mixes all of the input, then
        // a rotation by 29 that puts that byte at bits 21 to 28.
        let bucket = ((hash >> 21) & 0xff) as usize;
        let (word, bit) = (bucket / 64, 1u64 << (bucket % 64));
        let Some(w) = self.0.get_mut(word) else {
            return true;
        };
        let taken = *w & bit != 0;
        *w |= bit;
        taken
    }
}

#[cfg(test)]
thread_local! {
    /// Bytes given to [`name_hash`] on this thread (tests bound it by the document's length).
    pub(super) static HASHED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
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
    prefixes: Vec<Str>,
    /// Prefix ids by name (the names borrow from the source).
    /// Built once there are more than [`FEW_PREFIXES`]; until then the few are searched.
    prefix_ids: Option<HashMap<&'a str, u32>>,
    /// A direct-mapped cache in front of `prefix_ids`: `(prefix_key, id)`.
    prefix_cache: [(u64, u32); PREFIX_CACHE],
    /// The open elements, innermost last.
    stack: Vec<Open>,
    root: u32,
    /// The first and last top-level nodes (linked through `next_sibling`).
    first_top: u32,
    last_top: u32,
    pending: Vec<PendingAttr>,
    /// Scratch for the expanded-name duplicate check of one element's attributes.
    attr_hashes: Vec<u64>,
    /// Namespace URIs already found valid (Okta declares the same two on every value): a
    /// declaration of one of these skips the character checks.
    good_uris: [&'a str; GOOD_URIS],
    good_next: usize,
    /// Start tags that passed, to recognize the same text written again ([`memo`]).
    memo: [memo::TagMemo; memo::MEMO_SLOTS],
    /// The remembered text the previous start tag is written as (it took that tag, or was
    /// remembered as it): a tag written as the previous one is that text too.
    memo_last: Option<Str>,
    /// The element of the previous start tag.
    last_element: u32,
}

/// An open element, and its last child node so far (`NONE` before the first), which the next
/// child is linked after.
struct Open {
    id: u32,
    last_child: u32,
}

/// Initial capacities of the arenas, estimated from the text in one pass.
struct Sizes {
    nodes: usize,
    attributes: usize,
    declarations: usize,
}

impl Sizes {
    /// Capacities from the counts of `<` and `=`: about one node per tag (an element and its
    /// text), and at most one attribute or declaration per `=`. A declaration and an attribute
    /// both have one: each arena gets the smaller of that and one per tag (Okta's values hold
    /// two declarations and one attribute each, so neither grows), and grows if it must.
    fn of(scan: &TextScan, limits: &Limits) -> Sizes {
        let per_tag = scan.eq.min(scan.lt);
        Sizes {
            nodes: scan.lt.min(limits.max_nodes).max(4),
            attributes: per_tag.min(limits.max_attributes),
            declarations: per_tag.min(limits.max_namespace_declarations),
        }
    }
}

/// Prefixes searched one by one before a map is built.
const FEW_PREFIXES: usize = 16;

/// The text of a span of the source (prefixes always are).
fn src_str(src: &str, s: Str) -> &str {
    if !s.in_source() {
        return "";
    }
    src.get(s.start as usize..s.end() as usize).unwrap_or("")
}

/// Entries in the builder's cache of valid namespace URIs.
const GOOD_URIS: usize = 8;

fn syntax(offset: usize, message: impl Into<String>) -> XmlError {
    XmlError::Syntax {
        offset,
        message: message.into(),
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
        let mut tokens = Tokenizer::new(src);
        while let Some((pos, token)) = tokens.next_token()? {
            match token {
                Token::Decl(content) => self.declaration(content, pos)?,
                Token::Pi { target, data } => self.processing_instruction(target, data, pos)?,
                Token::Start {
                    content,
                    name,
                    empty,
                    repeat,
                } => {
                    // An empty-element tag's element ends with it.
                    let end = if empty {
                        u32::try_from(tokens.position()).unwrap_or(u32::MAX)
                    } else {
                        NONE
                    };
                    self.start(content, name, pos, empty, repeat, end)?;
                }
                Token::End(name) => self.end(name, pos, tokens.position() as u64)?,
                Token::Text(raw) => self.text(raw, pos)?,
                Token::CData(raw) => self.cdata(raw, pos)?,
                Token::Ref(name) => self.reference(name, pos)?,
            }
        }
        self.finish()
    }

    // Inlined, so that the node is written where it goes: built by the caller and passed by
    // reference, it was read back before its parts were stored (a stalled load per node).
    #[inline(always)]
    fn add_node(&mut self, kind: Kind, pos: usize) -> Result<u32, XmlError> {
        if self.nodes.len() >= self.limits.max_nodes {
            return Err(XmlError::LimitExceeded {
                what: "nodes",
                limit: self.limits.max_nodes,
                offset: pos,
            });
        }
        let id = self.nodes.len() as u32;
        // Its first child is the node after it (see `NodeData`): only its siblings are linked.
        let (parent, prev) = match self.stack.last_mut() {
            Some(open) => (open.id, std::mem::replace(&mut open.last_child, id)),
            None => (NONE, std::mem::replace(&mut self.last_top, id)),
        };
        self.nodes.push(NodeData {
            parent,
            next_sibling: NONE,
            kind,
        });
        match self.nodes.get_mut(prev as usize) {
            Some(p) => p.next_sibling = id,
            None if parent == NONE => self.first_top = id,
            None => {}
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
        let Some(last) = self.stack.last().map(|o| o.last_child) else {
            return Err(syntax(pos, "character data outside the root element"));
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
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod filter_tests {
    use super::{name_hash, HashFilter};

    #[test]
    fn a_hash_added_is_always_found_again() {
        let mut f = HashFilter::default();
        let names: Vec<String> = (0..2000).map(|i| format!("p{i}:n{}", i * 7)).collect();
        for n in &names {
            f.insert(name_hash(&[n]));
        }
        for n in &names {
            assert!(f.insert(name_hash(&[n])), "{n}");
        }
    }

    #[test]
    fn the_duplicate_tests_names_share_buckets() {
        // tree_tests' duplicate checks use these 60 names: some must share a bucket, or the
        // comparisons behind the set would go untested there.
        let mut f = HashFilter::default();
        let shared = (0..60)
            .filter(|i| f.insert(name_hash(&[&format!("n{i:03}")])))
            .count();
        assert!(shared > 0 && shared < 30, "{shared}");
    }
}
