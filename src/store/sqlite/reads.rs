//! The directory's reads on SQLite: lookups, default-order pages, and scans in batches.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::codec::{user_from_row, USER_COLUMNS};
use super::{db, SqliteError};
use crate::resource::{self, user_name_key, CompValue, CompareOp, Filter, OrgId, ScimUser};
use crate::store::hits::Hits;
use crate::store::{Query, TooMany, UserPage};

type Res<T> = Result<T, SqliteError>;

pub(super) fn load_user(c: &Connection, org: &str, id: &str) -> Res<Option<ScimUser>> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE org = ?1 AND id = ?2"
        ))
        .map_err(db)?;
    let mut rows = st.query(params![org, id]).map_err(db)?;
    match rows.next().map_err(db)? {
        Some(r) => user_from_row(r).map(Some),
        None => Ok(None),
    }
}

pub(super) fn users_where(
    c: &Connection,
    clause: &str,
    p: impl rusqlite::Params,
) -> Res<Vec<ScimUser>> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE {clause} ORDER BY seq"
        ))
        .map_err(db)?;
    let mut rows = st.query(p).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        out.push(user_from_row(r)?);
    }
    Ok(out)
}

pub(super) fn groups_of_user(
    c: &Connection,
    org: &str,
    user_id: &str,
) -> Res<Vec<(String, String)>> {
    let mut st = c
        .prepare_cached(
            "SELECT g.id, g.display_name FROM group_members m JOIN groups g \
             ON g.org = m.org AND g.id = m.group_id WHERE m.org = ?1 AND m.user_id = ?2 ORDER BY g.id",
        )
        .map_err(db)?;
    let rows = st
        .query_map(params![org, user_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db)?;
    rows.map(|r| r.map_err(db)).collect()
}

/// The groups of the users of `org` in the batch after `after_seq`, by user: for filters on
/// `groups`.
pub(super) fn memberships_in_batch(
    c: &Connection,
    org: &str,
    after_seq: i64,
) -> Res<HashMap<String, Vec<(String, String)>>> {
    let mut st = c
        .prepare_cached(
            "SELECT m.user_id, g.id, g.display_name FROM group_members m JOIN groups g \
             ON g.org = m.org AND g.id = m.group_id WHERE m.org = ?1 AND m.user_id IN \
             (SELECT id FROM users WHERE org = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3) ORDER BY g.id",
        )
        .map_err(db)?;
    let mut rows = st.query(params![org, after_seq, BATCH]).map_err(db)?;
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    while let Some(r) = rows.next().map_err(db)? {
        out.entry(r.get(0).map_err(db)?)
            .or_default()
            .push((r.get(1).map_err(db)?, r.get(2).map_err(db)?));
    }
    Ok(out)
}

/// The users an indexed filter designates (a superset of the matches), or `None` for a scan.
pub(super) fn indexed_users(c: &Connection, org: &str, f: &Filter) -> Res<Option<Vec<ScimUser>>> {
    match f {
        Filter::Compare(p, CompareOp::Eq, CompValue::Str(v))
            if p.sub.is_none()
                && p.schema
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case(resource::USER_SCHEMA)) =>
        {
            if p.is("userName") {
                let key = user_name_key(v);
                users_where(
                    c,
                    "org = ?1 AND user_name_key = ?2",
                    params![org, key.as_str()],
                )
                .map(Some)
            } else if p.is("externalId") {
                users_where(c, "org = ?1 AND external_id = ?2", params![org, v]).map(Some)
            } else if p.is("id") {
                users_where(c, "org = ?1 AND id = ?2", params![org, v]).map(Some)
            } else {
                Ok(None)
            }
        }
        Filter::And(a, b) => match indexed_users(c, org, a)? {
            Some(hits) => Ok(Some(hits)),
            None => indexed_users(c, org, b),
        },
        _ => Ok(None),
    }
}

pub(super) fn count_users(c: &Connection, org: &str) -> Res<usize> {
    let n: Option<i64> = c
        .query_row("SELECT n FROM user_counts WHERE org = ?1", [org], |r| {
            r.get(0)
        })
        .optional()
        .map_err(db)?;
    Ok(usize::try_from(n.unwrap_or(0)).unwrap_or(0))
}

pub(super) fn list_users(c: &Connection, org: &str, start: usize, count: usize) -> Res<UserPage> {
    let total = count_users(c, org)?;
    let users = if count == 0 || start >= total {
        Vec::new()
    } else {
        let (limit, offset) = (
            i64::try_from(count).unwrap_or(i64::MAX),
            i64::try_from(start).unwrap_or(i64::MAX),
        );
        let mut st = c
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE org = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3"
            ))
            .map_err(db)?;
        let mut rows = st.query(params![org, limit, offset]).map_err(db)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(db)? {
            out.push(user_from_row(r)?);
        }
        out
    };
    Ok(UserPage { users, total })
}

/// Users a scan reads per job (a few milliseconds of work); between two jobs the scan holds no
/// connection.
pub(super) const BATCH: i64 = 128;

/// The first step of a query: its answer when no scan is needed (a default-order page, or the
/// candidates an index gave), else `None`; in one read transaction (one snapshot).
pub(super) fn query_without_scan(
    c: &mut Connection,
    org: &OrgId,
    q: &Query,
) -> Res<Option<Result<UserPage, TooMany>>> {
    let tx = c.transaction().map_err(db)?;
    let answer = query_without_scan_in(&tx, org, q)?;
    tx.finish().map_err(db)?;
    Ok(answer)
}

fn query_without_scan_in(
    c: &Connection,
    org: &OrgId,
    q: &Query,
) -> Res<Option<Result<UserPage, TooMany>>> {
    let o = org.as_str();
    let candidates = match &q.filter {
        None if q.sort.is_none() => return list_users(c, o, q.start, q.count).map(|p| Some(Ok(p))),
        None => return Ok(None),
        Some(f) => match indexed_users(c, o, f)? {
            Some(c) => c,
            None => return Ok(None),
        },
    };
    let mut hits = Hits::new(q, resource::user_sort_key);
    if let Err(e) = hits.examine(candidates.len()) {
        return Ok(Some(Err(e)));
    }
    let needs_groups = q.filter.as_ref().is_some_and(Filter::mentions_groups);
    for u in candidates {
        let groups = if needs_groups {
            groups_of_user(c, o, &u.id)?
        } else {
            Vec::new()
        };
        if q.filter
            .as_ref()
            .is_none_or(|f| resource::user_matches(f, &u, &groups))
        {
            hits.add(u);
        }
    }
    let (users, total) = hits.page();
    Ok(Some(Ok(UserPage { users, total })))
}

/// One batch of a scan: the users after `after_seq` (at most [`BATCH`]), how many were read,
/// those matching, and the last one's `seq` when there may be more.
pub(super) struct Batch {
    pub read: usize,
    pub matches: Vec<ScimUser>,
    pub next: Option<i64>,
}

/// One batch of a scan, its users and their memberships read in one transaction (one
/// snapshot: a user deleted meanwhile cannot shift the window between the two reads).
pub(super) fn scan_batch(c: &mut Connection, org: &OrgId, q: &Query, after_seq: i64) -> Res<Batch> {
    let tx = c.transaction().map_err(db)?;
    let batch = scan_batch_in(&tx, org, q, after_seq)?;
    tx.finish().map_err(db)?;
    Ok(batch)
}

fn scan_batch_in(c: &Connection, org: &OrgId, q: &Query, after_seq: i64) -> Res<Batch> {
    let o = org.as_str();
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS}, seq FROM users WHERE org = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
        ))
        .map_err(db)?;
    let mut rows = st.query(params![o, after_seq, BATCH]).map_err(db)?;
    let groups = match &q.filter {
        Some(f) if f.mentions_groups() => memberships_in_batch(c, o, after_seq)?,
        _ => HashMap::new(),
    };
    let seq_column = USER_COLUMNS.split(',').count();
    let (mut read, mut last, mut matches) = (0usize, after_seq, Vec::new());
    let none = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        let u = user_from_row(r)?;
        last = r.get(seq_column).map_err(db)?;
        read += 1;
        let member_of = groups.get(&u.id).unwrap_or(&none);
        if q.filter
            .as_ref()
            .is_none_or(|f| resource::user_matches(f, &u, member_of))
        {
            matches.push(u);
        }
    }
    let full = i64::try_from(read).unwrap_or(i64::MAX) >= BATCH;
    Ok(Batch {
        read,
        matches,
        next: full.then_some(last),
    })
}
