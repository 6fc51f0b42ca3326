//! What every store's list query shares: counting the resources it examines against
//! [`Query::max_examined`], and keeping only what the page needs.

use super::records::{Query, TooMany};
use crate::resource::{self, AttrPath, SortKey};

/// How a resource sorts by an attribute.
pub(crate) type SortKeyOf<T> = fn(&T, &AttrPath) -> Option<SortKey>;

/// The matches of a query as a store finds them, in default order, and how many there are.
/// Without a sort only the page's matches are kept; with one, at most twice the matches up to
/// the page's end (`start + count`): when that many accumulate they are sorted and the rest
/// dropped (the sort is stable, so ties keep creation order).
pub(crate) struct Hits<'q, T> {
    q: &'q Query,
    sort_key: SortKeyOf<T>,
    kept: Vec<T>,
    total: usize,
    examined: usize,
}

impl<'q, T> Hits<'q, T> {
    pub fn new(q: &'q Query, sort_key: SortKeyOf<T>) -> Hits<'q, T> {
        Hits {
            q,
            sort_key,
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

    /// The matches the page can come from, in the query's order.
    fn sorted(&mut self) {
        if let Some(sort) = &self.q.sort {
            let key = self.sort_key;
            let kept = std::mem::take(&mut self.kept);
            self.kept = resource::sort_by_key(kept, sort.descending, |r| key(r, &sort.by));
        }
    }

    /// Adds `r` to the kept records. The first one gets room for itself alone: a lookup (the
    /// most common query) keeps one record, and a record is large enough that the usual first
    /// growth (to four) would make it an allocation of kilobytes per request.
    fn keep(&mut self, r: T) {
        if self.kept.capacity() == 0 {
            self.kept.reserve_exact(1);
        }
        self.kept.push(r);
    }

    /// Records the next match.
    pub fn add(&mut self, r: T) {
        let q = self.q;
        self.total += 1;
        if q.sort.is_none() {
            let index = self.total - 1;
            if index >= q.start && index - q.start < q.count {
                self.keep(r);
            }
            return;
        }
        self.keep(r);
        let needed = q.start.saturating_add(q.count);
        if self.kept.len() >= needed.saturating_mul(2).max(1024) {
            self.sorted();
            self.kept.truncate(needed);
        }
    }

    /// Examines all of `candidates` (in default order) at once, keeping those `matches` accepts;
    /// [`TooMany`] when they are more than the query's bound.
    pub fn take_all(
        &mut self,
        candidates: Vec<T>,
        matches: impl Fn(&T) -> bool,
    ) -> Result<(), TooMany> {
        self.examine(candidates.len())?;
        for r in candidates {
            if matches(&r) {
                self.add(r);
            }
        }
        Ok(())
    }

    /// The page and the number of matches.
    pub fn page(mut self) -> (Vec<T>, usize) {
        self.sorted();
        let (q, total) = (self.q, self.total);
        let page = if q.sort.is_some() {
            self.kept.into_iter().skip(q.start).take(q.count).collect()
        } else {
            self.kept
        };
        (page, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::parse_patch_path;
    use crate::store::Sort;

    fn key(n: &u32, _: &AttrPath) -> Option<SortKey> {
        Some(SortKey::Str(format!("{:03}", n % 100)))
    }

    #[test]
    fn a_sorted_page_is_the_same_when_the_kept_matches_are_bounded() {
        let sort = Some(Sort {
            by: parse_patch_path("userName").unwrap().attr,
            descending: false,
        });
        for (start, count) in [(0, 10), (5, 3), (990, 20), (4000, 100), (0, 0)] {
            let q = Query {
                sort: sort.clone(),
                ..Query::page(start, count)
            };
            let mut hits = Hits::new(&q, key);
            let all: Vec<u32> = (0..5000).map(|i| (i * 7919) % 5000).collect();
            for &n in &all {
                hits.add(n);
                assert!(hits.kept.len() < (2 * (start + count)).max(1024));
            }
            let want: Vec<u32> =
                resource::sort_by_key(all.clone(), false, |n| key(n, &q.sort.as_ref().unwrap().by))
                    .into_iter()
                    .skip(start)
                    .take(count)
                    .collect();
            assert_eq!(hits.page(), (want, 5000), "start {start} count {count}");
        }
    }
}
