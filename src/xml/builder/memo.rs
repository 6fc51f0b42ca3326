//! Start tags written exactly like an earlier one.
//!
//! Okta writes the same start tag for every attribute value (`<saml2:AttributeValue
//! xmlns:xs=".." xmlns:xsi=".." xsi:type="xs:string">`, some 140 bytes with two declarations and
//! an attribute): a user in a thousand groups sends it a thousand times. Everything the builder
//! checks in a start tag follows from its text, except what depends on where it is: the limits
//! on counts over the whole document, and the bindings of the prefixes it does not declare
//! itself. So when a tag's text equals that of an earlier tag which passed, its attributes and
//! declarations are those of the earlier tag moved to where this one is written, and only the
//! position-dependent checks are made again. Whenever one of those would fail (or could come out
//! differently), the tag is checked from the start instead, so that errors are exactly those of
//! the full check.

use super::Builder;
use crate::xml::document::{AttrData, DeclData, Str, NONE};
use crate::xml::work;

/// Remembered tags, by their length (a direct-mapped cache: SAML repeats few distinct tags).
pub(super) const MEMO_SLOTS: usize = 8;

/// What checking a start tag yields, for its element node.
pub(super) struct Tag {
    pub(super) qname: Str,
    pub(super) plen: u32,
    pub(super) ns: Str,
    pub(super) pid: u32,
    pub(super) attrs: (u32, u32),
    pub(super) decls: (u32, u32),
}

/// A start tag that passed every check: where its text is, and what it yielded.
#[derive(Clone, Copy)]
pub(super) struct TagMemo {
    /// The tag's text (name and attributes, between `<` and `>`); length 0: an empty slot.
    text: Str,
    qname: Str,
    plen: u32,
    /// The element's prefix id (the attributes' are theirs).
    pid: u32,
    attrs: (u32, u32),
    decls: (u32, u32),
}

impl TagMemo {
    pub(super) const EMPTY: TagMemo = TagMemo {
        text: Str::EMPTY,
        qname: Str::EMPTY,
        plen: 0,
        pid: 0,
        attrs: (0, 0),
        decls: (0, 0),
    };
}

/// Is `s` the empty string of no position ([`Str::EMPTY`], as for no prefix) or a span of the
/// source inside `text` (an empty value has a position too)?
fn inside(s: Str, text: Str) -> bool {
    s == Str::EMPTY || (s.in_source() && s.start >= text.start && s.end() <= text.end())
}

/// `s` moved by `delta` bytes ([`Str::EMPTY`] stays as it is: a tag's text never starts at 0).
fn moved(s: Str, delta: u32) -> Str {
    if s == Str::EMPTY {
        return s;
    }
    Str {
        start: s.start + delta,
        len: s.len,
    }
}

impl Builder<'_> {
    /// The span of `s` when it is a slice of the source (nothing is copied).
    pub(super) fn source_span(&self, s: &str) -> Option<Str> {
        let p = (s.as_ptr() as usize).checked_sub(self.base)?;
        (p + s.len() <= self.src.len()).then_some(Str {
            start: p as u32,
            len: s.len() as u32,
        })
    }

    /// Remembers a tag that passed every check, when all it yielded is written inside its text
    /// (no value was decoded from a reference).
    pub(super) fn remember_tag(&mut self, content: &str, tag: &Tag) {
        let Some(text) = self.source_span(content) else {
            return;
        };
        if text.len == 0 || !inside(tag.qname, text) {
            return;
        }
        let (ds, dn) = tag.decls;
        let decls_inside = self.decls[ds as usize..(ds + dn) as usize]
            .iter()
            .all(|d| inside(d.prefix, text) && inside(d.uri, text));
        let (a0, an) = tag.attrs;
        let attrs_inside = self.attrs[a0 as usize..(a0 + an) as usize].iter().all(|a| {
            inside(a.qname, text)
                && inside(a.prefix, text)
                && inside(a.local, text)
                && inside(a.value, text)
        });
        if decls_inside && attrs_inside {
            self.memo_last = Some(text);
            self.memo[text.len as usize % MEMO_SLOTS] = TagMemo {
                text,
                qname: tag.qname,
                plen: tag.plen,
                pid: tag.pid,
                attrs: tag.attrs,
                decls: tag.decls,
            };
        }
    }

    /// The tag written as `content`, when an earlier tag had the same text and every check that
    /// depends on the position passes here too: its declarations are added and put in scope, its
    /// attributes added. `None` (and nothing changed) when it must be checked in full.
    /// `repeat`: `content` is written as the previous start tag was (so, when that tag is
    /// [`memo_last`](Builder::memo_last), the texts need not be compared again).
    pub(super) fn repeat_tag(&mut self, content: &str, repeat: bool) -> Option<Tag> {
        #[cfg(test)]
        if tests::DISABLED.with(std::cell::Cell::get) {
            return None;
        }
        let text = self.source_span(content)?;
        // The comparison below reads the tag's bytes once more: linear, like the tokenizing.
        work::add(1);
        let m = self.memo[text.len as usize % MEMO_SLOTS];
        if m.text.len == 0 || m.text.len != text.len {
            return None;
        }
        if !(repeat && self.memo_last == Some(m.text)) {
            let earlier = self.src.get(m.text.start as usize..m.text.end() as usize)?;
            if earlier != content {
                return None;
            }
        }
        let delta = text.start.checked_sub(m.text.start)?;
        let (ds, dn) = m.decls;
        // The document-wide counts, as the full check would find them before each addition.
        let limits = self.limits;
        if self.decls.len() + dn as usize > limits.max_namespace_declarations
            || self.in_scope + dn as usize > limits.max_namespaces_in_scope
            || self.attrs.len() + m.attrs.1 as usize > limits.max_attributes
        {
            return None;
        }
        let decl_start = self.decls.len() as u32;
        for i in ds..ds + dn {
            let d = &self.decls[i as usize];
            let copy = DeclData {
                prefix: moved(d.prefix, delta),
                uri: moved(d.uri, delta),
                key: d.key,
                uri_hash: d.uri_hash,
                pid: d.pid,
                shadowed: NONE,
            };
            self.decls.push(copy);
        }
        let decls = (decl_start, dn);
        self.bind(decls);
        let attr_start = self.attrs.len();
        let tag = self.repeat_names(&m, delta, decls);
        match tag {
            Some(_) => self.memo_last = Some(m.text),
            None => {
                self.attrs.truncate(attr_start);
                self.unbind(decls);
                self.decls.truncate(decl_start as usize);
            }
        }
        tag
    }

    /// The rest of [`repeat_tag`](Self::repeat_tag), with the declarations in scope: the names
    /// resolved, the attributes added. `None` when a name does not resolve here as it did.
    // Inlined (one caller) for the same reason as `add_node`: the tag it returns is large.
    #[inline(always)]
    fn repeat_names(&mut self, m: &TagMemo, delta: u32, decls: (u32, u32)) -> Option<Tag> {
        let qname = moved(m.qname, delta);
        // By prefix id: the prefixes are the earlier tag's. Unbound ones are the full check's to
        // report.
        let (ns, pid) = self.resolve_id(m.pid, false)?;
        let (a0, an) = m.attrs;
        let attr_start = self.attrs.len() as u32;
        for i in a0..a0 + an {
            let a = &self.attrs[i as usize];
            let (earlier_ns, p) = (a.ns, moved(a.prefix, delta));
            let (ans, apid) = self.resolve_id(a.pid, true)?;
            // Two attributes clash by expanded name only through their namespaces: with each
            // namespace the same text as before, the earlier tag's check holds here.
            let same_ns = ans == earlier_ns
                || (inside(earlier_ns, m.text) && ans == moved(earlier_ns, delta))
                || self.s(ans) == self.s(earlier_ns);
            if !same_ns {
                return None;
            }
            let a = &self.attrs[i as usize];
            let copy = AttrData {
                qname: moved(a.qname, delta),
                prefix: p,
                local: moved(a.local, delta),
                ns: ans,
                pid: apid,
                value: moved(a.value, delta),
            };
            self.attrs.push(copy);
        }
        Some(Tag {
            qname,
            plen: m.plen,
            ns,
            pid,
            attrs: (attr_start, an),
            decls,
        })
    }
}

#[cfg(test)]
#[path = "memo_tests.rs"]
pub(super) mod tests;
