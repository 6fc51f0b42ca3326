//! One organization's groups in `MemoryStore`, with the reverse index from users to groups.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::resource::{
    self, group_name_key, CompValue, CompareOp, Filter, GroupNameKey, ScimGroup,
};
use crate::store::records::{Conflict, GroupPage, Query, TooMany};
use crate::time::Timestamp;

#[derive(Debug, Default)]
pub(super) struct OrgGroups {
    /// id -> (position in creation order, record)
    by_id: HashMap<String, (usize, ScimGroup)>,
    by_name: HashMap<GroupNameKey, String>,
    order: BTreeMap<usize, String>,
    next: usize,
    /// user id -> ids of the groups it is a member of
    of_user: HashMap<String, BTreeSet<String>>,
}

impl OrgGroups {
    /// Whether creating `g` would break a rule (its name or id is taken).
    pub fn conflicts(&self, g: &ScimGroup) -> bool {
        self.by_name.contains_key(&group_name_key(&g.display_name))
            || self.by_id.contains_key(&g.id)
    }

    pub fn get(&self, id: &str) -> Option<ScimGroup> {
        self.by_id.get(id).map(|(_, g)| g.clone())
    }

    /// The `(id, displayName)` of the groups `user_id` is a member of.
    pub fn groups_of(&self, user_id: &str) -> Vec<(String, String)> {
        self.of_user
            .get(user_id)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| {
                        self.by_id
                            .get(id)
                            .map(|(_, g)| (g.id.clone(), g.display_name.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Adds `g` (the caller checked [`conflicts`](OrgGroups::conflicts) and the members).
    pub fn insert(&mut self, g: &ScimGroup) {
        let pos = self.next;
        self.next += 1;
        self.order.insert(pos, g.id.clone());
        self.by_name
            .insert(group_name_key(&g.display_name), g.id.clone());
        for m in &g.members {
            self.of_user
                .entry(m.clone())
                .or_default()
                .insert(g.id.clone());
        }
        self.by_id.insert(g.id.clone(), (pos, g.clone()));
    }

    /// The rules an update of `g` from version `expected` must keep (members aside).
    pub fn check_update(&self, g: &ScimGroup, expected: u64) -> Result<(), Conflict> {
        let (_, current) = self.by_id.get(&g.id).ok_or(Conflict::NotFound)?;
        if current.version != expected {
            return Err(Conflict::Version {
                current: current.version,
            });
        }
        if self
            .by_name
            .get(&group_name_key(&g.display_name))
            .is_some_and(|id| id != &g.id)
        {
            return Err(Conflict::DisplayName);
        }
        Ok(())
    }

    /// Replaces group `g.id` (checked by [`check_update`](OrgGroups::check_update)); returns
    /// the users added or removed.
    pub fn replace(&mut self, g: &ScimGroup, expected: u64) -> Vec<String> {
        let Some((pos, old)) = self.by_id.remove(&g.id) else {
            return Vec::new();
        };
        self.by_name.remove(&group_name_key(&old.display_name));
        self.by_name
            .insert(group_name_key(&g.display_name), g.id.clone());
        let before: BTreeSet<&String> = old.members.iter().collect();
        let after: BTreeSet<&String> = g.members.iter().collect();
        let changed: Vec<String> = before
            .symmetric_difference(&after)
            .map(|s| (*s).clone())
            .collect();
        for m in before.difference(&after) {
            if let Some(set) = self.of_user.get_mut(*m) {
                set.remove(&g.id);
                if set.is_empty() {
                    self.of_user.remove(*m);
                }
            }
        }
        for m in after.difference(&before) {
            self.of_user
                .entry((*m).clone())
                .or_default()
                .insert(g.id.clone());
        }
        let mut stored = g.clone();
        stored.created = old.created;
        stored.version = expected + 1;
        self.by_id.insert(g.id.clone(), (pos, stored));
        changed
    }

    /// Removes group `id`; its members, or `None` when there was no such group.
    pub fn remove(&mut self, id: &str) -> Option<Vec<String>> {
        let (pos, g) = self.by_id.remove(id)?;
        self.order.remove(&pos);
        self.by_name.remove(&group_name_key(&g.display_name));
        for m in &g.members {
            if let Some(set) = self.of_user.get_mut(m) {
                set.remove(id);
                if set.is_empty() {
                    self.of_user.remove(m);
                }
            }
        }
        Some(g.members)
    }

    /// Removes user `user_id` from every group, each changed at `now`.
    pub fn remove_member_everywhere(&mut self, user_id: &str, now: Timestamp) {
        for gid in self.of_user.remove(user_id).unwrap_or_default() {
            if let Some((_, g)) = self.by_id.get_mut(&gid) {
                g.members.retain(|m| m != user_id);
                g.version += 1;
                g.last_modified = now;
            }
        }
    }

    /// The page `q` asks for.
    pub fn query(&self, q: &Query) -> Result<GroupPage, TooMany> {
        let indexed = |f: &Filter| match f {
            Filter::Compare(p, CompareOp::Eq, CompValue::Str(v)) if p.is("displayName") => Some(
                self.by_name
                    .get(&group_name_key(v))
                    .and_then(|id| self.by_id.get(id))
                    .map(|(_, g)| g)
                    .into_iter()
                    .collect::<Vec<_>>(),
            ),
            Filter::Compare(p, CompareOp::Eq, CompValue::Str(v)) if p.is("id") => {
                Some(self.by_id.get(v).map(|(_, g)| g).into_iter().collect())
            }
            _ => None,
        };
        let mut hits: Vec<&ScimGroup> = match q.filter.as_ref().and_then(indexed) {
            Some(c) => c,
            None if q.filter.is_none() && q.sort.is_none() => {
                // Default order, no filter: only the page is read.
                let groups = self
                    .order
                    .values()
                    .skip(q.start)
                    .take(q.count)
                    .filter_map(|id| self.by_id.get(id).map(|(_, g)| g.clone()))
                    .collect();
                return Ok(GroupPage {
                    groups,
                    total: self.by_id.len(),
                });
            }
            None => {
                if self.by_id.len() > q.max_examined {
                    return Err(TooMany {
                        limit: q.max_examined,
                    });
                }
                self.order
                    .values()
                    .filter_map(|id| self.by_id.get(id).map(|(_, g)| g))
                    .collect()
            }
        };
        if let Some(f) = &q.filter {
            hits.retain(|g| resource::group_matches(f, g));
        }
        if let Some(sort) = &q.sort {
            hits = resource::sort_by_key(hits, sort.descending, |g| {
                resource::group_sort_key(g, &sort.by)
            });
        }
        let total = hits.len();
        let groups = hits
            .into_iter()
            .skip(q.start)
            .take(q.count)
            .cloned()
            .collect();
        Ok(GroupPage { groups, total })
    }
}
