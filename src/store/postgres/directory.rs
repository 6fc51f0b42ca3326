//! The directory and the accounts on PostgreSQL. Every change is one transaction; uniqueness is
//! the database's (a violated constraint rolls the transaction back and names the conflict).

use tokio_postgres::Transaction;

use super::groups::{create_group_tx, groups_where, update_group_tx};
use super::reads::{list_users, query_users, user_from_row, users_where, USER_COLUMNS};
use super::tx::{conflict_or, exists, role_code, version, Res};
use super::{db, PostgresStore};
use crate::resource::{
    self, group_name_key, user_name_key, CompValue, CompareOp, Filter, OrgId, ScimGroup, ScimUser,
    UserNameKey,
};
use crate::store::hits::Hits;
use crate::store::sql_rows::{encode, split_time};
use crate::store::{
    email_key, AccountLink, Conflict, GroupPage, OrgRole, Query, ScimDirectory, TooMany, UserPage,
};
use crate::time::Timestamp;

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
    // Lock order: groups before users, as a group update takes them (else a PATCH of a group
    // racing the deletion of one of its members could deadlock).
    tx.execute(
        "SELECT 1 FROM sso_scim_groups WHERE org = $1 AND id IN \
         (SELECT group_id FROM sso_scim_group_members WHERE org = $1 AND user_id = $2) \
         ORDER BY id FOR UPDATE",
        &[&o, &id],
    )
    .await
    .map_err(db)?;
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
        query_users(self, org, q).await
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
        // The group first, then its members (the lock order of every group change).
        let n = tx
            .execute(
                "DELETE FROM sso_scim_groups WHERE org = $1 AND id = $2",
                &[&o, &id],
            )
            .await
            .map_err(db)?;
        let (ms, mn) = split_time(now);
        tx.execute(
            "UPDATE sso_scim_users SET version = version + 1, modified_s = $3, modified_n = $4 \
             WHERE org = $1 AND id IN \
             (SELECT user_id FROM sso_scim_group_members WHERE org = $1 AND group_id = $2)",
            &[&o, &id, &ms, &mn],
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
}
