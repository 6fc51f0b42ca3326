//! Hash indexes that hold only record positions: a key is derived again from its record when it
//! is compared or rehashed, so no key string is stored twice.

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

/// Hashes index keys with a per-store random seed (no chosen-collision flooding).
#[derive(Debug, Default)]
pub(super) struct Keys(RandomState);

impl Keys {
    /// The hash of a string key.
    pub fn str(&self, key: &str) -> u64 {
        self.0.hash_one(key)
    }

    /// The hash of a position-valued key.
    pub fn pos(&self, key: usize) -> u64 {
        self.0.hash_one(key)
    }
}

/// An index from keys to positions in a record table. A position appears at most once;
/// several positions may share a key (then [`Index::all`] lists them).
#[derive(Debug, Default)]
pub(super) struct Index(HashTable<usize>);

impl Index {
    /// The first position with key hash `hash` that `is` accepts.
    pub fn get(&self, hash: u64, mut is: impl FnMut(usize) -> bool) -> Option<usize> {
        self.0.find(hash, |&p| is(p)).copied()
    }

    /// Every position whose key hashes to `hash` (filter them with the record's key).
    pub fn all(&self, hash: u64) -> impl Iterator<Item = usize> + '_ {
        self.0.iter_hash(hash).copied()
    }

    /// Adds `pos` under `hash`; `rehash` gives the hash of any indexed position (for growth).
    pub fn insert(&mut self, hash: u64, pos: usize, rehash: impl Fn(usize) -> u64) {
        self.0.insert_unique(hash, pos, |&p| rehash(p));
    }

    /// Removes `pos` from under `hash`.
    pub fn remove(&mut self, hash: u64, pos: usize) {
        if let Ok(e) = self.0.find_entry(hash, |&p| p == pos) {
            e.remove();
        }
    }
}
