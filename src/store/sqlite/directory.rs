//! The directory and the accounts on SQLite. Every multi-step change is one `BEGIN IMMEDIATE`
//! transaction: its checks and its writes see the same state, and a failure leaves nothing.

use std::future::Future;
use std::sync::Arc;

use rusqlite::{params, Connection};

use super::codec::{role_code, split_time, user_data};
use super::groups::{
    create_group_tx, delete_group_tx, groups_where, query_groups, update_group_tx,
};
use super::reads::{
    groups_of_user, list_users, load_user, query_without_scan, scan_batch, users_where,
};
use super::tx::{exists, immediate, Res};
use super::{db, SqliteStore};
use crate::resource::{self, user_name_key, OrgId, ScimGroup, ScimUser, UserNameKey};
use crate::store::hits::Hits;
use crate::store::{
    email_key, AccountLink, Conflict, GroupPage, OrgRole, Query, ScimDirectory, TooMany, UserPage,
};
use crate::time::Timestamp;

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
            // A scan: one job per batch on the scanner thread, so lookups, pages and writes
            // never wait behind it, and concurrent scans take turns batch by batch.
            let mut hits = Hits::new(&q, resource::user_sort_key);
            let mut after = 0i64;
            loop {
                let (o, batch_q) = (org.clone(), Arc::clone(&q));
                let batch = self
                    .workers
                    .scan(move |c| scan_batch(c, &o, &batch_q, after))
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
            let (users, total) = hits.page();
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
