//! Groups on SQLite: each change one `BEGIN IMMEDIATE` transaction with its member rows.

use std::collections::BTreeSet;

use rusqlite::{params, Connection, OptionalExtension};

use super::codec::{group_from_row, split_time, GROUP_COLUMNS};
use super::db;
use super::tx::{exists, immediate, Res};
use crate::resource::{self, group_name_key, CompValue, CompareOp, Filter, OrgId, ScimGroup};
use crate::store::hits::Hits;
use crate::store::{Conflict, GroupPage, Query, TooMany};

pub(super) fn members_of(c: &Connection, org: &str, group: &str) -> Res<Vec<String>> {
    let mut st = c
        .prepare_cached(
            "SELECT user_id FROM group_members WHERE org = ?1 AND group_id = ?2 ORDER BY pos",
        )
        .map_err(db)?;
    let rows = st
        .query_map(params![org, group], |r| r.get::<_, String>(0))
        .map_err(db)?;
    rows.map(|r| r.map_err(db)).collect()
}

pub(super) fn groups_where(
    c: &Connection,
    clause: &str,
    p: impl rusqlite::Params,
    org: &str,
) -> Res<Vec<ScimGroup>> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE {clause} ORDER BY seq"
        ))
        .map_err(db)?;
    let mut rows = st.query(p).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        let id: String = r.get(1).map_err(db)?;
        let members = members_of(c, org, &id)?;
        out.push(group_from_row(r, members)?);
    }
    Ok(out)
}

pub(super) fn check_members(tx: &Connection, g: &ScimGroup) -> Res<bool> {
    for m in &g.members {
        if !exists(
            tx,
            "SELECT 1 FROM users WHERE org = ?1 AND id = ?2",
            params![g.org.as_str(), m],
        )? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Marks users `ids` of `org` changed at `at` (their groups changed): a new version.
pub(super) fn touch_users<'a>(
    tx: &Connection,
    org: &str,
    ids: impl Iterator<Item = &'a String>,
    at: crate::time::Timestamp,
) -> Res<()> {
    let (ms, mn) = split_time(at);
    let mut st = tx
        .prepare_cached(
            "UPDATE users SET version = version + 1, modified_s = ?3, modified_n = ?4 \
             WHERE org = ?1 AND id = ?2",
        )
        .map_err(db)?;
    for id in ids {
        st.execute(params![org, id, ms, mn]).map_err(db)?;
    }
    Ok(())
}

/// Replaces the member rows of `g`, and touches the users added or removed.
pub(super) fn write_members(tx: &Connection, g: &ScimGroup) -> Res<()> {
    let o = g.org.as_str();
    let before: BTreeSet<String> = members_of(tx, o, &g.id)?.into_iter().collect();
    let after: BTreeSet<String> = g.members.iter().cloned().collect();
    touch_users(tx, o, before.symmetric_difference(&after), g.last_modified)?;
    tx.execute(
        "DELETE FROM group_members WHERE org = ?1 AND group_id = ?2",
        params![o, g.id],
    )
    .map_err(db)?;
    let mut st = tx
        .prepare_cached(
            "INSERT INTO group_members (org, group_id, user_id, pos) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(db)?;
    for (i, m) in g.members.iter().enumerate() {
        st.execute(params![o, g.id, m, i64::try_from(i).unwrap_or(i64::MAX)])
            .map_err(db)?;
    }
    Ok(())
}

pub(super) fn create_group_tx(c: &mut Connection, g: &ScimGroup) -> Res<Result<(), Conflict>> {
    let tx = immediate(c)?;
    let o = g.org.as_str();
    let key = group_name_key(&g.display_name);
    if exists(
        &tx,
        "SELECT 1 FROM groups WHERE org = ?1 AND (name_key = ?2 OR id = ?3)",
        params![o, key.as_str(), g.id],
    )? {
        return Ok(Err(Conflict::DisplayName));
    }
    if !check_members(&tx, g)? {
        return Ok(Err(Conflict::UnknownMember));
    }
    let (cs, cn) = split_time(g.created);
    let (ms, mn) = split_time(g.last_modified);
    tx.execute(
        "INSERT INTO groups (org, id, display_name, name_key, external_id, created_s, created_n, \
         modified_s, modified_n, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            o,
            g.id,
            g.display_name,
            key.as_str(),
            g.external_id,
            cs,
            cn,
            ms,
            mn,
            i64::try_from(g.version).unwrap_or(i64::MAX)
        ],
    )
    .map_err(db)?;
    write_members(&tx, g)?;
    tx.commit().map_err(db)?;
    Ok(Ok(()))
}

pub(super) fn update_group_tx(
    c: &mut Connection,
    g: &ScimGroup,
    expected: u64,
) -> Res<Result<(), Conflict>> {
    let tx = immediate(c)?;
    let o = g.org.as_str();
    let current: Option<i64> = tx
        .query_row(
            "SELECT version FROM groups WHERE org = ?1 AND id = ?2",
            params![o, g.id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    let Some(current) = current else {
        return Ok(Err(Conflict::NotFound));
    };
    let current = u64::try_from(current).unwrap_or(0);
    if current != expected {
        return Ok(Err(Conflict::Version { current }));
    }
    let key = group_name_key(&g.display_name);
    if exists(
        &tx,
        "SELECT 1 FROM groups WHERE org = ?1 AND name_key = ?2 AND id <> ?3",
        params![o, key.as_str(), g.id],
    )? {
        return Ok(Err(Conflict::DisplayName));
    }
    if !check_members(&tx, g)? {
        return Ok(Err(Conflict::UnknownMember));
    }
    let (ms, mn) = split_time(g.last_modified);
    tx.execute(
        "UPDATE groups SET display_name = ?3, name_key = ?4, external_id = ?5, modified_s = ?6, \
         modified_n = ?7, version = ?8 WHERE org = ?1 AND id = ?2",
        params![
            o,
            g.id,
            g.display_name,
            key.as_str(),
            g.external_id,
            ms,
            mn,
            i64::try_from(expected + 1).unwrap_or(i64::MAX)
        ],
    )
    .map_err(db)?;
    write_members(&tx, g)?;
    tx.commit().map_err(db)?;
    Ok(Ok(()))
}

pub(super) fn delete_group_tx(
    c: &mut Connection,
    org: &OrgId,
    id: &str,
    now: crate::time::Timestamp,
) -> Res<bool> {
    let tx = immediate(c)?;
    let o = org.as_str();
    let members = members_of(&tx, o, id)?;
    touch_users(&tx, o, members.iter(), now)?;
    let n = tx
        .execute(
            "DELETE FROM groups WHERE org = ?1 AND id = ?2",
            params![o, id],
        )
        .map_err(db)?;
    tx.execute(
        "DELETE FROM group_members WHERE org = ?1 AND group_id = ?2",
        params![o, id],
    )
    .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok(n == 1)
}

pub(super) fn query_groups(
    c: &Connection,
    org: &OrgId,
    q: &Query,
) -> Res<Result<GroupPage, TooMany>> {
    let o = org.as_str();
    let indexed = match &q.filter {
        Some(Filter::Compare(p, CompareOp::Eq, CompValue::Str(v))) if p.is("displayName") => {
            let key = group_name_key(v);
            Some(groups_where(
                c,
                "org = ?1 AND name_key = ?2",
                params![o, key.as_str()],
                o,
            )?)
        }
        Some(Filter::Compare(p, CompareOp::Eq, CompValue::Str(v))) if p.is("id") => {
            Some(groups_where(c, "org = ?1 AND id = ?2", params![o, v], o)?)
        }
        _ => None,
    };
    let candidates = match indexed {
        Some(c) => c,
        None if q.filter.is_none() && q.sort.is_none() => {
            return Ok(Ok(group_page(c, o, q)?));
        }
        None => {
            let n: i64 = c
                .query_row("SELECT COUNT(*) FROM groups WHERE org = ?1", [o], |r| {
                    r.get(0)
                })
                .map_err(db)?;
            if usize::try_from(n).unwrap_or(usize::MAX) > q.max_examined {
                return Ok(Err(TooMany {
                    limit: q.max_examined,
                }));
            }
            groups_where(c, "org = ?1", [o], o)?
        }
    };
    let mut hits = Hits::new(q, resource::group_sort_key);
    let matches = |g: &ScimGroup| {
        q.filter
            .as_ref()
            .is_none_or(|f| resource::group_matches(f, g))
    };
    if let Err(e) = hits.take_all(candidates, matches) {
        return Ok(Err(e));
    }
    let (groups, total) = hits.page();
    Ok(Ok(GroupPage { groups, total }))
}

/// A default-order page of groups (no filter, no sort): only the page is read.
fn group_page(c: &Connection, o: &str, q: &Query) -> Res<GroupPage> {
    let total: i64 = c
        .query_row("SELECT COUNT(*) FROM groups WHERE org = ?1", [o], |r| {
            r.get(0)
        })
        .map_err(db)?;
    let (limit, offset) = (
        i64::try_from(q.count).unwrap_or(i64::MAX),
        i64::try_from(q.start).unwrap_or(i64::MAX),
    );
    let groups = groups_where(
        c,
        "org = ?1 AND seq IN (SELECT seq FROM groups WHERE org = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3)",
        params![o, limit, offset],
        o,
    )?;
    Ok(GroupPage {
        groups,
        total: usize::try_from(total).unwrap_or(0),
    })
}
