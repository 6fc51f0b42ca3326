//! The directory and the accounts on PostgreSQL. Every change is one transaction; uniqueness is
//! the database's (a violated constraint rolls the transaction back and names the conflict).

use std::collections::HashMap;

use tokio_postgres::{GenericClient, Row, Transaction};

use super::groups::{create_group_tx, groups_where, update_group_tx};
use super::ports::{corrupt, org_id};
use super::{db, unique_violation, PostgresError, PostgresStore};
use crate::resource::{
    self, group_name_key, user_name_key, AccountId, CompValue, CompareOp, Filter, OrgId, ScimGroup,
    ScimUser, UserNameKey,
};
use crate::store::hits::Hits;
use crate::store::sql_rows::{decode_into, encode, join_time, split_time};
use crate::store::{
    email_key, AccountLink, Conflict, GroupPage, OrgRole, Query, ScimDirectory, TooMany, UserPage,
};
use crate::time::Timestamp;

pub(super) type Res<T> = Result<T, PostgresError>;

const USER_COLUMNS: &str =
    "org, id, account, user_name, external_id, active, created_s, created_n, \
     modified_s, modified_n, version, data";

fn user_from_row(r: &Row) -> Res<ScimUser> {
    let mut u = ScimUser {
        org: org_id(r.get(0))?,
        id: r.get(1),
        account: AccountId::new(r.get::<_, String>(2)).map_err(corrupt)?,
        user_name: r.get(3),
        external_id: r.get(4),
        given_name: None,
        family_name: None,
        formatted_name: None,
        display_name: None,
        locale: None,
        emails: Vec::new(),
        active: r.get(5),
        enterprise: Default::default(),
        created: join_time(r.get(6), r.get(7)),
        last_modified: join_time(r.get(8), r.get(9)),
        version: u64::try_from(r.get::<_, i64>(10)).map_err(corrupt)?,
    };
    decode_into(r.get(11), &mut u).map_err(corrupt)?;
    Ok(u)
}

pub(super) fn role_code(r: OrgRole) -> i16 {
    match r {
        OrgRole::Member => 0,
        OrgRole::Admin => 1,
        OrgRole::Owner => 2,
    }
}

pub(super) fn role(code: i16) -> Res<OrgRole> {
    Ok(match code {
        0 => OrgRole::Member,
        1 => OrgRole::Admin,
        2 => OrgRole::Owner,
        other => return Err(corrupt(format!("unknown role {other}"))),
    })
}

pub(super) fn version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A statement's error: a unique violation is the conflict it stands for (the transaction is
/// rolled back when dropped), anything else a storage failure.
pub(super) fn conflict_or(e: tokio_postgres::Error) -> Res<Conflict> {
    match unique_violation(&e).as_deref() {
        Some("sso_scim_users_name_key" | "sso_scim_users_pkey") => Ok(Conflict::UserName),
        Some("sso_scim_users_account_key") => Ok(Conflict::AccountLinked),
        Some("sso_scim_accounts_email_key" | "sso_scim_accounts_pkey") => Ok(Conflict::Email),
        Some("sso_scim_groups_name_key" | "sso_scim_groups_pkey") => Ok(Conflict::DisplayName),
        _ => Err(db(e)),
    }
}

pub(super) async fn exists<C: GenericClient>(
    c: &C,
    sql: &str,
    p: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Res<bool> {
    c.query_opt(sql, p).await.map(|r| r.is_some()).map_err(db)
}

async fn users_where<C: GenericClient>(
    c: &C,
    clause: &str,
    p: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Res<Vec<ScimUser>> {
    let rows = c
        .query(
            &format!("SELECT {USER_COLUMNS} FROM sso_scim_users WHERE {clause} ORDER BY seq"),
            p,
        )
        .await
        .map_err(db)?;
    rows.iter().map(user_from_row).collect()
}

async fn write_emails(tx: &Transaction<'_>, u: &ScimUser) -> Res<()> {
    let o = u.org.as_str();
    tx.execute(
        "DELETE FROM sso_scim_user_emails WHERE org = $1 AND user_id = $2",
        &[&o, &u.id],
    )
    .await
    .map_err(db)?;
    for e in &u.emails {
        tx.execute(
            "INSERT INTO sso_scim_user_emails (org, user_id, email_key) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            &[&o, &u.id, &e.value.to_lowercase()],
        )
        .await
        .map_err(db)?;
    }
    Ok(())
}

async fn create_user_tx(
    tx: Transaction<'_>,
    user: &ScimUser,
    link: &AccountLink,
) -> Res<Result<(), Conflict>> {
    let org = user.org.as_str();
    let account = match link {
        AccountLink::Existing(id) => {
            let a = id.as_str();
            if !exists(
                &tx,
                "SELECT 1 FROM sso_scim_accounts WHERE id = $1 FOR SHARE",
                &[&a],
            )
            .await?
            {
                return Ok(Err(Conflict::NotFound));
            }
            if !exists(
                &tx,
                "SELECT 1 FROM sso_scim_memberships WHERE org = $1 AND account = $2 FOR UPDATE",
                &[&org, &a],
            )
            .await?
            {
                return Ok(Err(Conflict::NotMember));
            }
            id.clone()
        }
        AccountLink::New(a) => a.id.clone(),
    };
    if account != user.account {
        return Ok(Err(Conflict::NotFound));
    }
    if let AccountLink::New(a) = link {
        write!(tx.execute(
            "INSERT INTO sso_scim_accounts (id, email, email_key, provisioned_by) VALUES ($1, $2, $3, $4)",
            &[&a.id.as_str(), &a.email, &email_key(&a.email).as_str(), &a.provisioned_by.as_ref().map(OrgId::as_str)],
        ));
        tx.execute(
            "INSERT INTO sso_scim_memberships (org, account, role, active) VALUES ($1, $2, $3, $4)",
            &[
                &org,
                &a.id.as_str(),
                &role_code(OrgRole::Member),
                &user.active,
            ],
        )
        .await
        .map_err(db)?;
    } else {
        tx.execute(
            "UPDATE sso_scim_memberships SET active = $3 WHERE org = $1 AND account = $2",
            &[&org, &account.as_str(), &user.active],
        )
        .await
        .map_err(db)?;
    }
    let (cs, cn) = split_time(user.created);
    let (ms, mn) = split_time(user.last_modified);
    let key = user_name_key(&user.user_name);
    write!(tx.execute(
        "INSERT INTO sso_scim_users (org, id, account, user_name, user_name_key, external_id, active, \
         created_s, created_n, modified_s, modified_n, version, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[&org, &user.id, &account.as_str(), &user.user_name, &key.as_str(), &user.external_id,
          &user.active, &cs, &cn, &ms, &mn, &version(user.version), &encode(user)],
    ));
    tx.execute(
        "INSERT INTO sso_scim_user_counts (org, n) VALUES ($1, 1) ON CONFLICT (org) DO UPDATE SET n = sso_scim_user_counts.n + 1",
        &[&org],
    )
    .await
    .map_err(db)?;
    write_emails(&tx, user).await?;
    tx.commit().await.map_err(db)?;
    Ok(Ok(()))
}

async fn update_user_tx(
    tx: Transaction<'_>,
    user: &ScimUser,
    account_email: &str,
    expected: u64,
) -> Res<Result<(), Conflict>> {
    let org = user.org.as_str();
    let current = tx
        .query_opt(
            &format!(
                "SELECT {USER_COLUMNS} FROM sso_scim_users WHERE org = $1 AND id = $2 FOR UPDATE"
            ),
            &[&org, &user.id],
        )
        .await
        .map_err(db)?;
    let Some(current) = current.as_ref().map(user_from_row).transpose()? else {
        return Ok(Err(Conflict::NotFound));
    };
    if current.version != expected {
        return Ok(Err(Conflict::Version {
            current: current.version,
        }));
    }
    let ek = email_key(account_email);
    write!(tx.execute(
        "UPDATE sso_scim_accounts SET email = $2, email_key = $3 WHERE id = $1",
        &[&current.account.as_str(), &account_email, &ek.as_str()],
    ));
    tx.execute(
        "UPDATE sso_scim_memberships SET active = $3 WHERE org = $1 AND account = $2",
        &[&org, &current.account.as_str(), &user.active],
    )
    .await
    .map_err(db)?;
    let (ms, mn) = split_time(user.last_modified);
    let key = user_name_key(&user.user_name);
    let mut stored = user.clone();
    stored.account = current.account.clone();
    stored.created = current.created;
    stored.version = expected + 1;
    write!(tx.execute(
        "UPDATE sso_scim_users SET user_name = $3, user_name_key = $4, external_id = $5, active = $6, \
         modified_s = $7, modified_n = $8, version = $9, data = $10 WHERE org = $1 AND id = $2",
        &[&org, &user.id, &user.user_name, &key.as_str(), &user.external_id, &user.active,
          &ms, &mn, &version(stored.version), &encode(&stored)],
    ));
    write_emails(&tx, &stored).await?;
    tx.commit().await.map_err(db)?;
    Ok(Ok(()))
}

async fn delete_user_tx(
    tx: Transaction<'_>,
    org: &OrgId,
    id: &str,
    delete_account: bool,
    now: Timestamp,
) -> Res<bool> {
    let o = org.as_str();
    let row = tx
        .query_opt(
            "DELETE FROM sso_scim_users WHERE org = $1 AND id = $2 RETURNING account",
            &[&o, &id],
        )
        .await
        .map_err(db)?;
    let Some(row) = row else {
        return Ok(false);
    };
    let account: String = row.get(0);
    tx.execute(
        "UPDATE sso_scim_user_counts SET n = n - 1 WHERE org = $1",
        &[&o],
    )
    .await
    .map_err(db)?;
    tx.execute(
        "DELETE FROM sso_scim_user_emails WHERE org = $1 AND user_id = $2",
        &[&o, &id],
    )
    .await
    .map_err(db)?;
    let (ms, mn) = split_time(now);
    tx.execute(
        "UPDATE sso_scim_groups SET version = version + 1, modified_s = $3, modified_n = $4 \
         WHERE org = $1 AND id IN \
         (SELECT group_id FROM sso_scim_group_members WHERE org = $1 AND user_id = $2)",
        &[&o, &id, &ms, &mn],
    )
    .await
    .map_err(db)?;
    tx.execute(
        "DELETE FROM sso_scim_group_members WHERE org = $1 AND user_id = $2",
        &[&o, &id],
    )
    .await
    .map_err(db)?;
    tx.execute(
        "DELETE FROM sso_scim_memberships WHERE org = $1 AND account = $2",
        &[&o, &account],
    )
    .await
    .map_err(db)?;
    if delete_account
        && !exists(
            &tx,
            "SELECT 1 FROM sso_scim_memberships WHERE account = $1",
            &[&account],
        )
        .await?
    {
        tx.execute(
            "DELETE FROM sso_scim_accounts WHERE id = $1 AND provisioned_by IS NOT NULL",
            &[&account],
        )
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(true)
}

/// `emails.value eq "x"` or `emails[value eq "x"]`: the email an index finds.
fn email_lookup(f: &Filter) -> Option<&str> {
    match f {
        Filter::Compare(p, CompareOp::Eq, CompValue::Str(v))
            if p.schema.is_none()
                && p.attr.eq_ignore_ascii_case("emails")
                && p.sub
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("value")) =>
        {
            Some(v)
        }
        Filter::ValuePath(p, inner) if p.attr.eq_ignore_ascii_case("emails") && p.sub.is_none() => {
            match inner.as_ref() {
                Filter::Compare(q, CompareOp::Eq, CompValue::Str(v))
                    if q.schema.is_none()
                        && q.sub.is_none()
                        && q.attr.eq_ignore_ascii_case("value") =>
                {
                    Some(v)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The users an indexed filter designates (a superset of the matches), or `None` for a scan.
async fn indexed_users<C: GenericClient>(
    c: &C,
    org: &str,
    f: &Filter,
) -> Res<Option<Vec<ScimUser>>> {
    if let Some(email) = email_lookup(f) {
        let k = email.to_lowercase();
        return users_where(
            c,
            "org = $1 AND id IN (SELECT user_id FROM sso_scim_user_emails WHERE org = $1 AND email_key = $2)",
            &[&org, &k],
        )
        .await
        .map(Some);
    }
    match f {
        Filter::Compare(p, CompareOp::Eq, CompValue::Str(v))
            if p.sub.is_none()
                && p.schema
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case(resource::USER_SCHEMA)) =>
        {
            if p.is("userName") {
                let key = user_name_key(v);
                users_where(c, "org = $1 AND user_name_key = $2", &[&org, &key.as_str()])
                    .await
                    .map(Some)
            } else if p.is("externalId") {
                users_where(c, "org = $1 AND external_id = $2", &[&org, v])
                    .await
                    .map(Some)
            } else if p.is("id") {
                users_where(c, "org = $1 AND id = $2", &[&org, v])
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        }
        Filter::And(a, b) => match Box::pin(indexed_users(c, org, a)).await? {
            Some(hits) => Ok(Some(hits)),
            None => Box::pin(indexed_users(c, org, b)).await,
        },
        _ => Ok(None),
    }
}

/// Users a scan reads per statement; between two statements it holds no connection.
const BATCH: i64 = 512;

/// The groups of the users of `org` with these ids, by user: for filters on `groups`.
async fn memberships_of<C: GenericClient>(
    c: &C,
    org: &str,
    ids: &[&str],
) -> Res<HashMap<String, Vec<(String, String)>>> {
    let rows = c
        .query(
            "SELECT m.user_id, g.id, g.display_name FROM sso_scim_group_members m JOIN sso_scim_groups g \
             ON g.org = m.org AND g.id = m.group_id WHERE m.org = $1 AND m.user_id = ANY($2) ORDER BY g.id",
            &[&org, &ids],
        )
        .await
        .map_err(db)?;
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for r in rows {
        out.entry(r.get(0)).or_default().push((r.get(1), r.get(2)));
    }
    Ok(out)
}

/// Examines `users` for `hits`: those matching the query's filter are kept.
async fn examine<C: GenericClient>(
    c: &C,
    org: &str,
    q: &Query,
    users: Vec<ScimUser>,
    hits: &mut Hits<'_, ScimUser>,
) -> Res<Result<(), TooMany>> {
    if let Err(e) = hits.examine(users.len()) {
        return Ok(Err(e));
    }
    let groups = match &q.filter {
        Some(f) if f.mentions_groups() => {
            let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
            memberships_of(c, org, &ids).await?
        }
        _ => HashMap::new(),
    };
    let none = Vec::new();
    for u in users {
        let member_of = groups.get(&u.id).unwrap_or(&none);
        if q.filter
            .as_ref()
            .is_none_or(|f| resource::user_matches(f, &u, member_of))
        {
            hits.add(u);
        }
    }
    Ok(Ok(()))
}

async fn list_users<C: GenericClient>(
    c: &C,
    org: &str,
    start: usize,
    count: usize,
) -> Res<UserPage> {
    let total: i64 = c
        .query_opt("SELECT n FROM sso_scim_user_counts WHERE org = $1", &[&org])
        .await
        .map_err(db)?
        .map(|r| r.get(0))
        .unwrap_or(0);
    let total = usize::try_from(total).unwrap_or(0);
    if count == 0 || start >= total {
        return Ok(UserPage {
            users: Vec::new(),
            total,
        });
    }
    let (limit, offset) = (
        i64::try_from(count).unwrap_or(i64::MAX),
        i64::try_from(start).unwrap_or(i64::MAX),
    );
    let rows = c
        .query(
            &format!("SELECT {USER_COLUMNS} FROM sso_scim_users WHERE org = $1 ORDER BY seq LIMIT $2 OFFSET $3"),
            &[&org, &limit, &offset],
        )
        .await
        .map_err(db)?;
    let users = rows.iter().map(user_from_row).collect::<Res<Vec<_>>>()?;
    Ok(UserPage { users, total })
}

impl ScimDirectory for PostgresStore {
    async fn create_user(&self, user: &ScimUser, link: &AccountLink) -> Res<Result<(), Conflict>> {
        let mut c = self.client().await?;
        let tx = tokio_postgres::Client::transaction(&mut c)
            .await
            .map_err(db)?;
        create_user_tx(tx, user, link).await
    }

    async fn user(&self, org: &OrgId, id: &str) -> Res<Option<ScimUser>> {
        let c = self.client().await?;
        Ok(
            users_where(&**c, "org = $1 AND id = $2", &[&org.as_str(), &id])
                .await?
                .into_iter()
                .next(),
        )
    }

    async fn user_by_user_name(&self, org: &OrgId, key: &UserNameKey) -> Res<Option<ScimUser>> {
        let c = self.client().await?;
        Ok(users_where(
            &**c,
            "org = $1 AND user_name_key = $2",
            &[&org.as_str(), &key.as_str()],
        )
        .await?
        .into_iter()
        .next())
    }

    async fn update_user(
        &self,
        user: &ScimUser,
        account_email: &str,
        expected_version: u64,
    ) -> Res<Result<(), Conflict>> {
        let mut c = self.client().await?;
        let tx = tokio_postgres::Client::transaction(&mut c)
            .await
            .map_err(db)?;
        update_user_tx(tx, user, account_email, expected_version).await
    }

    async fn delete_user(
        &self,
        org: &OrgId,
        id: &str,
        delete_account_if_orphan: bool,
        now: Timestamp,
    ) -> Res<bool> {
        let mut c = self.client().await?;
        let tx = tokio_postgres::Client::transaction(&mut c)
            .await
            .map_err(db)?;
        delete_user_tx(tx, org, id, delete_account_if_orphan, now).await
    }

    async fn list_users(&self, org: &OrgId, start: usize, count: usize) -> Res<UserPage> {
        let c = self.client().await?;
        list_users(&**c, org.as_str(), start, count).await
    }

    async fn query_users(&self, org: &OrgId, q: &Query) -> Res<Result<UserPage, TooMany>> {
        let o = org.as_str();
        let mut hits = Hits::new(q);
        {
            let c = self.client().await?;
            let indexed = match &q.filter {
                None if q.sort.is_none() => {
                    return list_users(&**c, o, q.start, q.count).await.map(Ok);
                }
                None => None,
                Some(f) => indexed_users(&**c, o, f).await?,
            };
            if let Some(candidates) = indexed {
                if let Err(e) = examine(&**c, o, q, candidates, &mut hits).await? {
                    return Ok(Err(e));
                }
                let (users, total) = hits.page(resource::user_sort_key);
                return Ok(Ok(UserPage { users, total }));
            }
        }
        // A scan: one statement per batch, each on a connection taken from the pool and
        // returned before the next, so a long scan holds no connection others wait for.
        let mut after = 0i64;
        loop {
            let c = self.client().await?;
            let rows = c
                .query(
                    &format!(
                        "SELECT {USER_COLUMNS}, seq FROM sso_scim_users \
                         WHERE org = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                    ),
                    &[&o, &after, &BATCH],
                )
                .await
                .map_err(db)?;
            let seq_column = USER_COLUMNS.split(',').count();
            let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) >= BATCH;
            if let Some(last) = rows.last() {
                after = last.get(seq_column);
            }
            let users = rows.iter().map(user_from_row).collect::<Res<Vec<_>>>()?;
            if let Err(e) = examine(&**c, o, q, users, &mut hits).await? {
                return Ok(Err(e));
            }
            drop(c);
            if !full {
                break;
            }
        }
        let (users, total) = hits.page(resource::user_sort_key);
        Ok(Ok(UserPage { users, total }))
    }

    async fn groups_of_user(&self, org: &OrgId, user_id: &str) -> Res<Vec<(String, String)>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT g.id, g.display_name FROM sso_scim_group_members m JOIN sso_scim_groups g \
                 ON g.org = m.org AND g.id = m.group_id WHERE m.org = $1 AND m.user_id = $2 ORDER BY g.id",
                &[&org.as_str(), &user_id],
            )
            .await
            .map_err(db)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn create_group(&self, group: &ScimGroup) -> Res<Result<(), Conflict>> {
        let mut c = self.client().await?;
        let tx = tokio_postgres::Client::transaction(&mut c)
            .await
            .map_err(db)?;
        create_group_tx(tx, group).await
    }

    async fn group(&self, org: &OrgId, id: &str) -> Res<Option<ScimGroup>> {
        let c = self.client().await?;
        let o = org.as_str();
        Ok(groups_where(&**c, "org = $1 AND id = $2", &[&o, &id], o)
            .await?
            .into_iter()
            .next())
    }

    async fn update_group(
        &self,
        group: &ScimGroup,
        expected_version: u64,
    ) -> Res<Result<(), Conflict>> {
        let mut c = self.client().await?;
        let tx = tokio_postgres::Client::transaction(&mut c)
            .await
            .map_err(db)?;
        update_group_tx(tx, group, expected_version).await
    }

    async fn delete_group(&self, org: &OrgId, id: &str, now: Timestamp) -> Res<bool> {
        let mut c = self.client().await?;
        let tx = tokio_postgres::Client::transaction(&mut c)
            .await
            .map_err(db)?;
        let o = org.as_str();
        let (ms, mn) = split_time(now);
        tx.execute(
            "UPDATE sso_scim_users SET version = version + 1, modified_s = $3, modified_n = $4 \
             WHERE org = $1 AND id IN \
             (SELECT user_id FROM sso_scim_group_members WHERE org = $1 AND group_id = $2)",
            &[&o, &id, &ms, &mn],
        )
        .await
        .map_err(db)?;
        let n = tx
            .execute(
                "DELETE FROM sso_scim_groups WHERE org = $1 AND id = $2",
                &[&o, &id],
            )
            .await
            .map_err(db)?;
        tx.execute(
            "DELETE FROM sso_scim_group_members WHERE org = $1 AND group_id = $2",
            &[&o, &id],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(n == 1)
    }

    async fn query_groups(&self, org: &OrgId, q: &Query) -> Res<Result<GroupPage, TooMany>> {
        let c = self.client().await?;
        let o = org.as_str();
        let candidates = match &q.filter {
            Some(Filter::Compare(p, CompareOp::Eq, CompValue::Str(v))) if p.is("displayName") => {
                let key = group_name_key(v);
                groups_where(&**c, "org = $1 AND name_key = $2", &[&o, &key.as_str()], o).await?
            }
            Some(Filter::Compare(p, CompareOp::Eq, CompValue::Str(v))) if p.is("id") => {
                let v: &str = v;
                groups_where(&**c, "org = $1 AND id = $2", &[&o, &v], o).await?
            }
            None if q.sort.is_none() => {
                let total: i64 = c
                    .query_one("SELECT COUNT(*) FROM sso_scim_groups WHERE org = $1", &[&o])
                    .await
                    .map_err(db)?
                    .get(0);
                let (limit, offset) = (
                    i64::try_from(q.count).unwrap_or(i64::MAX),
                    i64::try_from(q.start).unwrap_or(i64::MAX),
                );
                let groups = groups_where(
                    &**c,
                    "org = $1 AND seq IN (SELECT seq FROM sso_scim_groups WHERE org = $1 ORDER BY seq LIMIT $2 OFFSET $3)",
                    &[&o, &limit, &offset],
                    o,
                )
                .await?;
                return Ok(Ok(GroupPage {
                    groups,
                    total: usize::try_from(total).unwrap_or(0),
                }));
            }
            _ => {
                let n: i64 = c
                    .query_one("SELECT COUNT(*) FROM sso_scim_groups WHERE org = $1", &[&o])
                    .await
                    .map_err(db)?
                    .get(0);
                if usize::try_from(n).unwrap_or(usize::MAX) > q.max_examined {
                    return Ok(Err(TooMany {
                        limit: q.max_examined,
                    }));
                }
                groups_where(&**c, "org = $1", &[&o], o).await?
            }
        };
        let mut hits = Hits::new(q);
        if let Err(e) = hits.examine(candidates.len()) {
            return Ok(Err(e));
        }
        for g in candidates {
            if q.filter
                .as_ref()
                .is_none_or(|f| resource::group_matches(f, &g))
            {
                hits.add(g);
            }
        }
        let (groups, total) = hits.page(resource::group_sort_key);
        Ok(Ok(GroupPage { groups, total }))
    }
}
