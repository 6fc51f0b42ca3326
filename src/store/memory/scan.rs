//! User queries on `MemoryStore`: answered from an index when the filter names one, else by a
//! scan in batches that releases the lock and yields to the executor between batches.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::users::OrgUsers;
use super::{MemoryStore, State, SCAN_BATCH};
use crate::resource::{self, user_name_key, CompValue, CompareOp, Filter, OrgId, ScimUser};
use crate::store::hits::Hits;
use crate::store::records::{Query, TooMany, UserPage};

/// Returns `Pending` once (after asking to be polled again), then `Ready`: lets the executor run
/// other tasks between two batches of a scan.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl State {
    /// The positions an indexable filter designates (`userName`, `externalId` or `id` eq,
    /// possibly and-ed with more), or `None` when the filter needs a scan.
    fn indexed(&self, users: &OrgUsers, f: &Filter) -> Option<Vec<usize>> {
        match f {
            Filter::Compare(p, CompareOp::Eq, CompValue::Str(v))
                if p.schema
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case(resource::USER_SCHEMA)) =>
            {
                if p.is("userName") {
                    Some(
                        users
                            .by_key(&self.keys, &user_name_key(v))
                            .into_iter()
                            .collect(),
                    )
                } else if p.is("externalId") {
                    Some(users.by_external(&self.keys, v))
                } else if p.is("id") {
                    Some(users.by_id(&self.keys, v).into_iter().collect())
                } else {
                    None
                }
            }
            Filter::And(a, b) => self.indexed(users, a).or_else(|| self.indexed(users, b)),
            _ => None,
        }
    }

    /// Examines the users at `positions` of `org` for `hits`.
    fn examine(
        &self,
        q: &Query,
        org: &OrgId,
        users: &OrgUsers,
        positions: impl Iterator<Item = usize>,
        hits: &mut Hits<'_, ScimUser>,
    ) -> Result<(), TooMany> {
        let with_groups = q.filter.as_ref().is_some_and(Filter::mentions_groups);
        for pos in positions {
            let Some(u) = self.unpack(org, users, pos) else {
                continue;
            };
            hits.examine(1)?;
            let keep = match &q.filter {
                None => true,
                Some(f) => {
                    let groups = if with_groups {
                        self.groups_of_user(org, &u.id)
                    } else {
                        Vec::new()
                    };
                    resource::user_matches(f, &u, &groups)
                }
            };
            if keep {
                hits.add(u);
            }
        }
        Ok(())
    }
}

impl MemoryStore {
    pub(super) async fn scan_users(&self, org: &OrgId, q: &Query) -> Result<UserPage, TooMany> {
        if q.filter.is_none() && q.sort.is_none() {
            return Ok(self.read().list_users(org, q.start, q.count));
        }
        let mut hits = Hits::new(q, resource::user_sort_key);
        {
            let s = self.read();
            let Some(users) = s.org_users(org) else {
                return Ok(page(hits));
            };
            if let Some(positions) = q.filter.as_ref().and_then(|f| s.indexed(users, f)) {
                s.examine(q, org, users, positions.into_iter(), &mut hits)?;
                return Ok(page(hits));
            }
        }
        let mut cursor: usize = 0;
        loop {
            let more = {
                let s = self.read();
                let Some(users) = s.org_users(org) else {
                    break;
                };
                let end = cursor.saturating_add(SCAN_BATCH).min(users.end());
                s.examine(q, org, users, cursor..end, &mut hits)?;
                cursor = end;
                end < users.end()
            };
            if !more {
                break;
            }
            YieldNow(false).await;
        }
        Ok(page(hits))
    }
}

fn page(hits: Hits<'_, ScimUser>) -> UserPage {
    let (users, total) = hits.page();
    UserPage { users, total }
}
