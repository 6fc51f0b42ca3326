//! Where canonical bytes go: the [`Sink`]s of one pass, and the state of a nested form.

use crate::xml::document::NodeId;

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

/// Bytes buffered before they are streamed to the sinks.
pub(super) const STREAM_CHUNK: usize = 16 * 1024;

/// Where the nested canonicalization is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
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

pub(super) struct NestedState<'s> {
    pub(super) apex: NodeId,
    pub(super) exclude: Option<NodeId>,
    pub(super) sink: &'s mut dyn Sink,
    pub(super) phase: Phase,
}

/// The outputs of one pass: `outer: None` writes into the caller's buffer directly.
pub(super) struct Sinks<'s> {
    pub(super) outer: Option<&'s mut dyn Sink>,
    pub(super) nested: Option<NestedState<'s>>,
}

impl<'s> Sinks<'s> {
    pub(super) fn direct() -> Sinks<'s> {
        Sinks {
            outer: None,
            nested: None,
        }
    }

    /// Sends the buffered bytes to the sinks they belong to (none when writing directly).
    pub(super) fn flush(&mut self, buf: &mut Vec<u8>) {
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

    pub(super) fn maybe_flush(&mut self, buf: &mut Vec<u8>) {
        if buf.len() >= STREAM_CHUNK {
            self.flush(buf);
        }
    }

    pub(super) fn phase(&self) -> Option<Phase> {
        self.nested.as_ref().map(|n| n.phase)
    }
}
