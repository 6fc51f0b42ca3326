//! What every store's list query shares: counting the resources it examines against
//! [`Query::max_examined`], and keeping only what the page needs.

use super::records::{Query, TooMany};
use crate::resource::{self, AttrPath, SortKey};

/// The matches of a query as a store finds them, in default order: all of them when the query
/// sorts (the sort needs them), else only those on the page; and how many there are.
pub(crate) struct Hits<'q, T> {
    q: &'q Query,
    kept: Vec<T>,
    total: usize,
    examined: usize,
}

impl<'q, T> Hits<'q, T> {
    pub fn new(q: &'q Query) -> Hits<'q, T> {
        Hits {
            q,
            kept: Vec::new(),
            total: 0,
            examined: 0,
        }
    }

    /// Counts `n` more examined resources; [`TooMany`] past the query's bound.
    pub fn examine(&mut self, n: usize) -> Result<(), TooMany> {
        self.examined = self.examined.saturating_add(n);
        if self.examined > self.q.max_examined {
            return Err(TooMany {
                limit: self.q.max_examined,
            });
        }
        Ok(())
    }

    /// Records the next match.
    pub fn add(&mut self, r: T) {
        let on_page = self.total >= self.q.start && self.total - self.q.start < self.q.count;
        if self.q.sort.is_some() || on_page {
            self.kept.push(r);
        }
        self.total += 1;
    }

    /// The page and the number of matches, sorted by `sort_key` when the query sorts.
    pub fn page(self, sort_key: impl Fn(&T, &AttrPath) -> Option<SortKey>) -> (Vec<T>, usize) {
        let Hits { q, kept, total, .. } = self;
        let page = match &q.sort {
            Some(sort) => resource::sort_by_key(kept, sort.descending, |r| sort_key(r, &sort.by))
                .into_iter()
                .skip(q.start)
                .take(q.count)
                .collect(),
            None => kept,
        };
        (page, total)
    }
}
