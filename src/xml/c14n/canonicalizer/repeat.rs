//! A start tag written like the previous sibling's is not canonicalized again.
//!
//! Okta writes every `AttributeValue` of a large response with the same start tag (the same two
//! declarations, the same `xsi:type`). Between two siblings the canonicalizer's state is what it
//! was before the first one started: the first one's changes are undone when it closes, and
//! nothing else may start in between (any other start replaces the kept tag). So a sibling
//! whose start tag is [written the same](crate::xml::Element::same_start_tag) gets the same
//! canonical start tag and the same state changes; only the declarations' scope is set from its
//! own declarations.

use super::{Canonicalizer, Undo};
use crate::error::XmlError;
use crate::xml::c14n::write_pi;
use crate::xml::document::{Element, Node, NodeId};
use crate::xml::text::{escape_text, same};
use crate::xml::work;

/// The start tag kept for the next sibling.
#[derive(Default)]
pub(in crate::xml::c14n) struct Repeat<'d> {
    /// The element last started through [`Canonicalizer::start_child`] (or written whole by
    /// [`Canonicalizer::leaf_repeat`]), while nothing else has started since; its tag is `tag`.
    last: Option<Element<'d>>,
    /// The canonicalizer's `watching` when it started.
    watching: bool,
    /// The namespaces it rendered (prefix id, URI).
    rendered: Vec<(u32, &'d str)>,
    /// Its canonical start tag.
    tag: Vec<u8>,
    /// `tag` followed by the end tag: the canonical form of a childless element with that start
    /// tag, written in one copy. Empty until a childless repeat needs it, emptied with `tag`.
    whole: Vec<u8>,
}

impl<'d> Repeat<'d> {
    /// Forgets the kept tag (another element started).
    pub(super) fn forget(&mut self) {
        self.last = None;
    }
}

/// Whether `child` may be written by a shortcut: not while the tests turn them off, and never
/// the nested form's apex or excluded element (`nested`), whose starts switch the sinks.
fn may_shortcut(child: Element<'_>, nested: Option<(NodeId, Option<NodeId>)>) -> bool {
    #[cfg(test)]
    if tests::DISABLED.with(std::cell::Cell::get) {
        return false;
    }
    nested.is_none_or(|(apex, exclude)| child.id() != apex && Some(child.id()) != exclude)
}

impl<'d> Canonicalizer<'_, 'd> {
    /// Starts `child` (not an apex), from the previous sibling's canonical start tag when the two
    /// are written the same.
    pub(super) fn start_child(
        &mut self,
        child: Element<'d>,
        out: &mut Vec<u8>,
    ) -> Result<(), XmlError> {
        #[cfg(test)]
        if tests::DISABLED.with(std::cell::Cell::get) {
            return self.start(child, false, &[], out);
        }
        if let Some(prev) = self.repeat.last {
            if self.repeat.watching == self.watching && child.sibling_with_start_tag_of(&prev) {
                self.replay(child, out);
                #[cfg(test)]
                tests::HITS.with(|n| n.set(n.get() + 1));
                return Ok(());
            }
        }
        let at = out.len();
        self.start(child, false, &[], out)?;
        // A start that gave up a nested form is not kept: the next one must give it up too.
        if !self.broken {
            let r = &mut self.repeat;
            r.last = Some(child);
            r.watching = self.watching;
            r.rendered.clear();
            r.rendered
                .extend(self.ns_out.iter().map(|&(pid, _, uri)| (pid, uri)));
            r.tag.clear();
            r.tag.extend_from_slice(out.get(at..).unwrap_or_default());
            r.whole.clear();
        }
        Ok(())
    }

    /// Writes all of `child` when its start tag is the kept one and it holds no element (an
    /// Okta `AttributeValue`, a `<c/>`): the frame it would open is closed again before anything
    /// reads it, so only the bytes are written. `nested`: the nested form's apex and excluded
    /// element, which are never taken this way. `false` (and nothing done) otherwise.
    pub(super) fn leaf_repeat(
        &mut self,
        child: Element<'d>,
        nested: Option<(NodeId, Option<NodeId>)>,
        out: &mut Vec<u8>,
    ) -> bool {
        if !may_shortcut(child, nested) {
            return false;
        }
        let Some(prev) = self.repeat.last else {
            return false;
        };
        let childless = child.is_childless();
        if (!childless && child.children().any(|n| matches!(n, Node::Element(_))))
            || self.repeat.watching != self.watching
            || !child.sibling_with_start_tag_of(&prev)
        {
            return false;
        }
        self.repeat.last = Some(child);
        // What the replay and the close would count.
        work::add(1 + self.repeat.rendered.len());
        self.element_count = self.element_count.wrapping_add(1);
        let r = &mut self.repeat;
        if childless {
            // `<c/>` repeated: the whole element in one copy, kept from the first repeat.
            if r.whole.is_empty() {
                r.whole.extend_from_slice(&r.tag);
                r.whole.extend_from_slice(b"</");
                r.whole.extend_from_slice(child.qualified_name().as_bytes());
                r.whole.push(b'>');
            }
            out.extend_from_slice(&r.whole);
        } else {
            out.extend_from_slice(&r.tag);
            for node in child.children() {
                match node {
                    Node::Text(t) => escape_text(out, t),
                    Node::ProcessingInstruction { target, data } => write_pi(out, target, data),
                    Node::Element(_) => {}
                }
            }
            out.extend_from_slice(b"</");
            out.extend_from_slice(child.qualified_name().as_bytes());
            out.push(b'>');
        }
        #[cfg(test)]
        tests::HITS.with(|n| n.set(n.get() + 1));
        true
    }

    /// Starts `child` when its tag is only a name, the same as its parent's, which declares
    /// nothing either (`<d>` in `<d>`): its name resolves as the parent's did, and whatever it
    /// visibly uses the parent rendered or found rendered, so every method writes `<name>` and
    /// changes nothing but the count. A watched nested form is not broken by it when the parent
    /// started while watched (its own start considered the same prefix without breaking it); a
    /// parent that started before the watch (the nested apex) leaves the check to the full start.
    /// `false` (and nothing done) otherwise.
    pub(super) fn repeat_of_parent(
        &mut self,
        child: Element<'d>,
        parent: Element<'d>,
        parent_watched: bool,
        nested: Option<(NodeId, Option<NodeId>)>,
        out: &mut Vec<u8>,
    ) -> bool {
        if !may_shortcut(child, nested) {
            return false;
        }
        if (self.watching && !parent_watched) || !child.is_plain() || !parent.is_plain() {
            return false;
        }
        let name = child.qualified_name();
        if child.prefix_id() != parent.prefix_id() || !same(&name, &parent.qualified_name()) {
            return false;
        }
        work::add(1);
        self.repeat.forget();
        self.enter(child);
        out.push(b'<');
        out.extend_from_slice(name.as_bytes());
        out.push(b'>');
        #[cfg(test)]
        tests::HITS.with(|n| n.set(n.get() + 1));
        true
    }

    /// What [`start`](Canonicalizer::start) would do for `child`, from the kept tag.
    fn replay(&mut self, child: Element<'d>, out: &mut Vec<u8>) {
        work::add(1 + self.repeat.rendered.len());
        // Its tag is the kept one: the next sibling is compared with it.
        self.repeat.last = Some(child);
        self.enter(child);
        for &(pid, uri) in &self.repeat.rendered {
            let i = pid as usize;
            self.undo.push(Undo::Rendered(pid, self.ns[i].rendered));
            self.ns[i].rendered = uri;
        }
        out.extend_from_slice(&self.repeat.tag);
    }
}

#[cfg(test)]
#[path = "repeat_tests.rs"]
mod tests;
