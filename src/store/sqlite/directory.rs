//! The directory and the accounts on SQLite. Every multi-step change is one `BEGIN IMMEDIATE`
//! transaction: its checks and its writes see the same state, and a failure leaves nothing.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::codec::{role_code, split_time, user_data, user_from_row, USER_COLUMNS};
use super::groups::{
    create_group_tx, delete_group_tx, groups_where, query_groups, update_group_tx,
};
use super::{db, SqliteError, SqliteStore};
use crate::resource::{
    self, user_name_key, CompValue, CompareOp, Filter, OrgId, ScimGroup, ScimUser, UserNameKey,
};
use crate::store::hits::Hits;
use crate::store::{
    email_key, AccountLink, Conflict, GroupPage, OrgRole, Query, ScimDirectory, TooMany, UserPage,
};
use crate::time::Timestamp;

pub(super) type Res<T> = Result<T, SqliteError>;

pub(super) fn immediate(c: &mut Connection) -> Res<Transaction<'_>> {
    c.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)
}

pub(super) fn exists(tx: &Connection, sql: &str, p: impl rusqlite::Params) -> Res<bool> {
    tx.query_row(sql, p, |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
        .map_err(db)
}

fn load_user(c: &Connection, org: &str, id: &str) -> Res<Option<ScimUser>> {
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

fn users_where(c: &Connection, clause: &str, p: impl rusqlite::Params) -> Res<Vec<ScimUser>> {
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

fn write_user(tx: &Connection, u: &ScimUser, insert: bool) -> Res<()> {
    let (cs, cn) = split_time(u.created);
    let (ms, mn) = split_time(u.last_modified);
    let key = user_name_key(&u.user_name);
    let version = i64::try_from(u.version).unwrap_or(i64::MAX);
    if insert {
        tx.execute(
            "INSERT INTO users (org, id, account, user_name, user_name_key, external_id, active, \
             created_s, created_n, modified_s, modified_n, version, data) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                u.org.as_str(),
                u.id,
                u.account.as_str(),
                u.user_name,
                key.as_str(),
                u.external_id,
                i64::from(u.active),
                cs,
                cn,
                ms,
                mn,
                version,
                user_data(u)
            ],
        )
        .map_err(db)?;
        tx.execute(
            "INSERT INTO user_counts (org, n) VALUES (?1, 1) ON CONFLICT (org) DO UPDATE SET n = n + 1",
            [u.org.as_str()],
        )
        .map_err(db)?;
    } else {
        tx.execute(
            "UPDATE users SET user_name = ?3, user_name_key = ?4, external_id = ?5, active = ?6, \
             modified_s = ?7, modified_n = ?8, version = ?9, data = ?10 WHERE org = ?1 AND id = ?2",
            params![
                u.org.as_str(),
                u.id,
                u.user_name,
                key.as_str(),
                u.external_id,
                i64::from(u.active),
                ms,
                mn,
                version,
                user_data(u)
            ],
        )
        .map_err(db)?;
    }
    Ok(())
}

fn set_membership_active(tx: &Connection, org: &str, account: &str, active: bool) -> Res<()> {
    tx.execute(
        "UPDATE memberships SET active = ?3 WHERE org = ?1 AND account = ?2",
        params![org, account, i64::from(active)],
    )
    .map(|_| ())
    .map_err(db)
}

fn create_user_tx(
    c: &mut Connection,
    user: &ScimUser,
    link: &AccountLink,
) -> Res<Result<(), Conflict>> {
    let tx = immediate(c)?;
    let org = user.org.as_str();
    let key = user_name_key(&user.user_name);
    if exists(
        &tx,
        "SELECT 1 FROM users WHERE org = ?1 AND (user_name_key = ?2 OR id = ?3)",
        params![org, key.as_str(), user.id],
    )? {
        return Ok(Err(Conflict::UserName));
    }
    let account = match link {
        AccountLink::Existing(id) => {
            if !exists(&tx, "SELECT 1 FROM accounts WHERE id = ?1", [id.as_str()])? {
                return Ok(Err(Conflict::NotFound));
            }
            if !exists(
                &tx,
                "SELECT 1 FROM memberships WHERE org = ?1 AND account = ?2",
                params![org, id.as_str()],
            )? {
                return Ok(Err(Conflict::NotMember));
            }
            if exists(
                &tx,
                "SELECT 1 FROM users WHERE org = ?1 AND account = ?2",
                params![org, id.as_str()],
            )? {
                return Ok(Err(Conflict::AccountLinked));
            }
            id.clone()
        }
        AccountLink::New(a) => {
            if exists(
                &tx,
                "SELECT 1 FROM accounts WHERE id = ?1 OR email_key = ?2",
                params![a.id.as_str(), email_key(&a.email).as_str()],
            )? {
                return Ok(Err(Conflict::Email));
            }
            a.id.clone()
        }
    };
    if account != user.account {
        return Ok(Err(Conflict::NotFound));
    }
    if let AccountLink::New(a) = link {
        tx.execute(
            "INSERT INTO accounts (id, email, email_key, provisioned_by) VALUES (?1, ?2, ?3, ?4)",
            params![
                a.id.as_str(),
                a.email,
                email_key(&a.email).as_str(),
                a.provisioned_by.as_ref().map(OrgId::as_str)
            ],
        )
        .map_err(db)?;
        tx.execute(
            "INSERT INTO memberships (org, account, role, active) VALUES (?1, ?2, ?3, ?4)",
            params![
                org,
                a.id.as_str(),
                role_code(OrgRole::Member),
                i64::from(user.active)
            ],
        )
        .map_err(db)?;
    } else {
        set_membership_active(&tx, org, account.as_str(), user.active)?;
    }
    write_user(&tx, user, true)?;
    tx.commit().map_err(db)?;
    Ok(Ok(()))
}

fn update_user_tx(
    c: &mut Connection,
    user: &ScimUser,
    account_email: &str,
    expected: u64,
) -> Res<Result<(), Conflict>> {
    let tx = immediate(c)?;
    let org = user.org.as_str();
    let Some(current) = load_user(&tx, org, &user.id)? else {
        return Ok(Err(Conflict::NotFound));
    };
    if current.version != expected {
        return Ok(Err(Conflict::Version {
            current: current.version,
        }));
    }
    let key = user_name_key(&user.user_name);
    if exists(
        &tx,
        "SELECT 1 FROM users WHERE org = ?1 AND user_name_key = ?2 AND id <> ?3",
        params![org, key.as_str(), user.id],
    )? {
        return Ok(Err(Conflict::UserName));
    }
    let ek = email_key(account_email);
    if exists(
        &tx,
        "SELECT 1 FROM accounts WHERE email_key = ?1 AND id <> ?2",
        params![ek.as_str(), current.account.as_str()],
    )? {
        return Ok(Err(Conflict::Email));
    }
    tx.execute(
        "UPDATE accounts SET email = ?2, email_key = ?3 WHERE id = ?1",
        params![current.account.as_str(), account_email, ek.as_str()],
    )
    .map_err(db)?;
    set_membership_active(&tx, org, current.account.as_str(), user.active)?;
    let mut stored = user.clone();
    stored.account = current.account.clone();
    stored.created = current.created;
    stored.version = expected + 1;
    write_user(&tx, &stored, false)?;
    tx.commit().map_err(db)?;
    Ok(Ok(()))
}

fn delete_user_tx(
    c: &mut Connection,
    org: &OrgId,
    id: &str,
    delete_account: bool,
    now: Timestamp,
) -> Res<bool> {
    let tx = immediate(c)?;
    let o = org.as_str();
    let Some(user) = load_user(&tx, o, id)? else {
        return Ok(false);
    };
    tx.execute(
        "DELETE FROM users WHERE org = ?1 AND id = ?2",
        params![o, id],
    )
    .map_err(db)?;
    tx.execute("UPDATE user_counts SET n = n - 1 WHERE org = ?1", [o])
        .map_err(db)?;
    let (ms, mn) = split_time(now);
    tx.execute(
        "UPDATE groups SET version = version + 1, modified_s = ?3, modified_n = ?4 \
         WHERE org = ?1 AND id IN \
         (SELECT group_id FROM group_members WHERE org = ?1 AND user_id = ?2)",
        params![o, id, ms, mn],
    )
    .map_err(db)?;
    tx.execute(
        "DELETE FROM group_members WHERE org = ?1 AND user_id = ?2",
        params![o, id],
    )
    .map_err(db)?;
    let account = user.account.as_str();
    tx.execute(
        "DELETE FROM memberships WHERE org = ?1 AND account = ?2",
        params![o, account],
    )
    .map_err(db)?;
    if delete_account
        && !exists(
            &tx,
            "SELECT 1 FROM memberships WHERE account = ?1",
            [account],
        )?
    {
        tx.execute(
            "DELETE FROM accounts WHERE id = ?1 AND provisioned_by IS NOT NULL",
            [account],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)?;
    Ok(true)
}

fn groups_of_user(c: &Connection, org: &str, user_id: &str) -> Res<Vec<(String, String)>> {
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
fn memberships_in_batch(
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
fn indexed_users(c: &Connection, org: &str, f: &Filter) -> Res<Option<Vec<ScimUser>>> {
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

fn count_users(c: &Connection, org: &str) -> Res<usize> {
    let n: Option<i64> = c
        .query_row("SELECT n FROM user_counts WHERE org = ?1", [org], |r| {
            r.get(0)
        })
        .optional()
        .map_err(db)?;
    Ok(usize::try_from(n.unwrap_or(0)).unwrap_or(0))
}

fn list_users(c: &Connection, org: &str, start: usize, count: usize) -> Res<UserPage> {
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

/// Users a scan reads per job; between two jobs the scan holds no reader.
const BATCH: i64 = 512;

/// The first step of a query: its answer when no scan is needed (a default-order page, or the
/// candidates an index gave), else `None`.
fn query_without_scan(
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
    let mut hits = Hits::new(q);
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
    let (users, total) = hits.page(resource::user_sort_key);
    Ok(Some(Ok(UserPage { users, total })))
}

/// One batch of a scan: the users after `after_seq` (at most [`BATCH`]), how many were read,
/// those matching, and the last one's `seq` when there may be more.
struct Batch {
    read: usize,
    matches: Vec<ScimUser>,
    next: Option<i64>,
}

fn scan_batch(c: &Connection, org: &OrgId, q: &Query, after_seq: i64) -> Res<Batch> {
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

impl ScimDirectory for SqliteStore {
    fn create_user(
        &self,
        user: &ScimUser,
        link: &AccountLink,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        let (u, l) = (user.clone(), link.clone());
        self.workers.write(move |c| create_user_tx(c, &u, &l))
    }

    fn user(&self, org: &OrgId, id: &str) -> impl Future<Output = Res<Option<ScimUser>>> + Send {
        let (org, id) = (org.clone(), id.to_owned());
        self.workers.read(move |c| load_user(c, org.as_str(), &id))
    }

    fn user_by_user_name(
        &self,
        org: &OrgId,
        key: &UserNameKey,
    ) -> impl Future<Output = Res<Option<ScimUser>>> + Send {
        let (org, key) = (org.clone(), key.clone());
        self.workers.read(move |c| {
            users_where(
                c,
                "org = ?1 AND user_name_key = ?2",
                params![org.as_str(), key.as_str()],
            )
            .map(|v| v.into_iter().next())
        })
    }

    fn update_user(
        &self,
        user: &ScimUser,
        account_email: &str,
        expected_version: u64,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        let (u, e) = (user.clone(), account_email.to_owned());
        self.workers
            .write(move |c| update_user_tx(c, &u, &e, expected_version))
    }

    fn delete_user(
        &self,
        org: &OrgId,
        id: &str,
        delete_account_if_orphan: bool,
        now: Timestamp,
    ) -> impl Future<Output = Res<bool>> + Send {
        let (org, id) = (org.clone(), id.to_owned());
        self.workers
            .write(move |c| delete_user_tx(c, &org, &id, delete_account_if_orphan, now))
    }

    fn list_users(
        &self,
        org: &OrgId,
        start: usize,
        count: usize,
    ) -> impl Future<Output = Res<UserPage>> + Send {
        let org = org.clone();
        self.workers
            .read(move |c| list_users(c, org.as_str(), start, count))
    }

    fn query_users(
        &self,
        org: &OrgId,
        query: &Query,
    ) -> impl Future<Output = Res<Result<UserPage, TooMany>>> + Send {
        let (org, q) = (org.clone(), Arc::new(query.clone()));
        async move {
            let (o, first) = (org.clone(), Arc::clone(&q));
            if let Some(answer) = self
                .workers
                .read(move |c| query_without_scan(c, &o, &first))
                .await?
            {
                return Ok(answer);
            }
            // A scan: one reader job per batch, so other reads and every write go on between.
            let mut hits = Hits::new(&q);
            let mut after = 0i64;
            loop {
                let (o, batch_q) = (org.clone(), Arc::clone(&q));
                let batch = self
                    .workers
                    .read(move |c| scan_batch(c, &o, &batch_q, after))
                    .await?;
                if let Err(e) = hits.examine(batch.read) {
                    return Ok(Err(e));
                }
                for u in batch.matches {
                    hits.add(u);
                }
                match batch.next {
                    Some(seq) => after = seq,
                    None => break,
                }
            }
            let (users, total) = hits.page(resource::user_sort_key);
            Ok(Ok(UserPage { users, total }))
        }
    }

    fn groups_of_user(
        &self,
        org: &OrgId,
        user_id: &str,
    ) -> impl Future<Output = Res<Vec<(String, String)>>> + Send {
        let (org, id) = (org.clone(), user_id.to_owned());
        self.workers
            .read(move |c| groups_of_user(c, org.as_str(), &id))
    }

    fn create_group(
        &self,
        group: &ScimGroup,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        let g = group.clone();
        self.workers.write(move |c| create_group_tx(c, &g))
    }

    fn group(&self, org: &OrgId, id: &str) -> impl Future<Output = Res<Option<ScimGroup>>> + Send {
        let (org, id) = (org.clone(), id.to_owned());
        self.workers.read(move |c| {
            let o = org.as_str();
            groups_where(c, "org = ?1 AND id = ?2", params![o, id], o).map(|v| v.into_iter().next())
        })
    }

    fn update_group(
        &self,
        group: &ScimGroup,
        expected_version: u64,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        let g = group.clone();
        self.workers
            .write(move |c| update_group_tx(c, &g, expected_version))
    }

    fn delete_group(
        &self,
        org: &OrgId,
        id: &str,
        now: Timestamp,
    ) -> impl Future<Output = Res<bool>> + Send {
        let (org, id) = (org.clone(), id.to_owned());
        self.workers
            .write(move |c| delete_group_tx(c, &org, &id, now))
    }

    fn query_groups(
        &self,
        org: &OrgId,
        query: &Query,
    ) -> impl Future<Output = Res<Result<GroupPage, TooMany>>> + Send {
        let (org, q) = (org.clone(), query.clone());
        self.workers.read(move |c| query_groups(c, &org, &q))
    }
}
