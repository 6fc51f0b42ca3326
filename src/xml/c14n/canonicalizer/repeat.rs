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
use crate::xml::document::Element;
use crate::xml::work;

/// The start tag kept for the next sibling.
#[derive(Default)]
pub(in crate::xml::c14n) struct Repeat<'d> {
    /// The element last started through [`Canonicalizer::start_child`], while nothing else has
    /// started since.
    last: Option<Element<'d>>,
    /// The canonicalizer's `watching` when it started.
    watching: bool,
    /// The namespaces it rendered (prefix id, URI).
    rendered: Vec<(u32, &'d str)>,
    /// Its canonical start tag.
    tag: Vec<u8>,
}

impl<'d> Repeat<'d> {
    /// Forgets the kept tag (another element started).
    pub(super) fn forget(&mut self) {
        self.last = None;
    }
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
            if self.repeat.watching == self.watching
                && prev.parent() == child.parent()
                && prev.same_start_tag(&child)
            {
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
        }
        Ok(())
    }

    /// What [`start`](Canonicalizer::start) would do for `child`, from the kept tag.
    fn replay(&mut self, child: Element<'d>, out: &mut Vec<u8>) {
        work::add(1 + self.repeat.rendered.len());
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
