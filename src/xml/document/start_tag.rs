//! Whether two elements have the same start tag: what lets the canonicalizer write a sibling's
//! tag again. The builder's mark answers for a sibling written byte for byte as the previous
//! start tag; otherwise the spans are compared.

use super::{Element, Kind, Str};
use crate::xml::text::same;

impl Element<'_> {
    /// Whether `other` has the same start tag as this element, as far as a canonical form can
    /// tell: the same name and namespace, the same attributes (name, namespace and decoded
    /// value) in the same order, and the same namespace declarations in the same order. Two
    /// siblings for which this holds get the same canonical start tag. `true` is certain;
    /// `false` may also be said of two tags that differ only in how they are written (quotes,
    /// spaces, references).
    #[inline]
    pub(crate) fn same_start_tag(&self, other: &Element<'_>) -> bool {
        other.repeats(self) || self.same_start_tag_compared(other)
    }

    /// Whether `prev`, an element started before this one, is a sibling of it with the
    /// [same start tag](Self::same_start_tag). The builder's mark answers without reading
    /// either parent.
    #[inline]
    pub(crate) fn sibling_with_start_tag_of(&self, prev: &Element<'_>) -> bool {
        // On the second path the mark is looked at again: a bit test, cheaper than a branch
        // around it.
        self.repeats(prev) || (prev.parent() == self.parent() && prev.same_start_tag(self))
    }

    /// [`same_start_tag`](Self::same_start_tag) by comparing the two tags.
    fn same_start_tag_compared(&self, other: &Element<'_>) -> bool {
        let (a, b) = (self.data(), other.data());
        if a.plen != b.plen || a.attrs.1 != b.attrs.1 || a.decls.1 != b.decls.1 {
            return false;
        }
        match self.same_tag_text(other) {
            Some(same) => same,
            None => self.same_tag_strings(other),
        }
    }

    /// The builder's mark: written as the previous start tag, a sibling's.
    #[cfg(test)]
    pub(in crate::xml) fn marked_as_repeat(&self) -> bool {
        self.data().depth.repeats_sibling()
    }

    /// Whether this element's start tag is written byte for byte as `prev`'s, the start tag just
    /// before it, `prev` being the previous sibling element: the builder's mark
    /// ([`Depth::repeats_sibling`](super::Depth::repeats_sibling)), checked here to be about
    /// `prev` (at most one text run or processing instruction between them). Then the tags are
    /// the same in the same scope.
    #[inline]
    fn repeats(&self, prev: &Element<'_>) -> bool {
        if !std::ptr::eq(self.doc, prev.doc) || !self.data().depth.repeats_sibling() {
            return false;
        }
        let nodes = &self.doc.nodes;
        let Some(mut next) = nodes.get(prev.id as usize).map(|n| n.next_sibling) else {
            return false;
        };
        if next != self.id {
            match nodes.get(next as usize) {
                Some(n) if !matches!(n.kind, Kind::Element(_)) => next = n.next_sibling,
                _ => return false,
            }
        }
        next == self.id
    }

    /// [`same_start_tag`](Self::same_start_tag) by one comparison of source text, when every
    /// string of both tags is in the source at the same distance past the name (or, for a
    /// namespace, is the same span): the text from the name to the last string's end then holds
    /// all of them. `None` when they are not laid out so.
    fn same_tag_text(&self, other: &Element<'_>) -> Option<bool> {
        if !std::ptr::eq(self.doc, other.doc) {
            return None;
        }
        let doc = self.doc;
        let (a, b) = (self.data(), other.data());
        let (sa, sb) = (a.qname.start, b.qname.start);
        let mut end = a.qname.end();
        let mut placed = |x: Str, y: Str| {
            let ok = x.len == y.len
                && x.in_source()
                && y.in_source()
                && x.start >= sa
                && y.start >= sb
                && x.start - sa == y.start - sb;
            end = end.max(x.end());
            ok
        };
        let mut ok = a.qname.in_source() && b.qname.in_source() && a.qname.len == b.qname.len;
        ok &= a.ns == b.ns || placed(a.ns, b.ns);
        let (xa, ya) = (
            &doc.attrs[a.attrs.0 as usize..],
            &doc.attrs[b.attrs.0 as usize..],
        );
        for (x, y) in xa[..a.attrs.1 as usize]
            .iter()
            .zip(&ya[..b.attrs.1 as usize])
        {
            ok &= placed(x.qname, y.qname) && placed(x.value, y.value);
            ok &= x.ns == y.ns || placed(x.ns, y.ns);
        }
        let (xd, yd) = (
            &doc.decls[a.decls.0 as usize..],
            &doc.decls[b.decls.0 as usize..],
        );
        for (x, y) in xd[..a.decls.1 as usize]
            .iter()
            .zip(&yd[..b.decls.1 as usize])
        {
            ok &= placed(x.prefix, y.prefix) && placed(x.uri, y.uri);
        }
        if !ok {
            return None;
        }
        let len = (end - sa) as usize;
        let text = doc.src.as_bytes();
        let (x, y) = (sa as usize, sb as usize);
        let (Some(x), Some(y)) = (text.get(x..x + len), text.get(y..y + len)) else {
            return None;
        };
        // A short name (`<c/>`) is compared here; a call to `memcmp` costs more.
        Some(if len <= 16 {
            x.iter().zip(y).all(|(p, q)| p == q)
        } else {
            x == y
        })
    }

    /// [`same_start_tag`](Self::same_start_tag) string by string.
    fn same_tag_strings(&self, other: &Element<'_>) -> bool {
        let (doc, od) = (self.doc, other.doc);
        let (a, b) = (self.data(), other.data());
        let text = |x: Str, y: Str| x.len == y.len && same(doc.s(x), od.s(y));
        if !text(a.qname, b.qname) || !text(a.ns, b.ns) {
            return false;
        }
        let (xa, ya) = (
            &doc.attrs[a.attrs.0 as usize..],
            &od.attrs[b.attrs.0 as usize..],
        );
        for (x, y) in xa[..a.attrs.1 as usize]
            .iter()
            .zip(&ya[..b.attrs.1 as usize])
        {
            if !text(x.qname, y.qname) || !text(x.value, y.value) || !text(x.ns, y.ns) {
                return false;
            }
        }
        let (xd, yd) = (
            &doc.decls[a.decls.0 as usize..],
            &od.decls[b.decls.0 as usize..],
        );
        for (x, y) in xd[..a.decls.1 as usize]
            .iter()
            .zip(&yd[..b.decls.1 as usize])
        {
            if !text(x.prefix, y.prefix) || !text(x.uri, y.uri) {
                return false;
            }
        }
        true
    }
}
