//! Groups on PostgreSQL: each change one transaction with its member rows.

use tokio_postgres::{GenericClient, Transaction};

use super::db;
use super::ports::{corrupt, org_id};
use super::tx::{conflict_or, version, Res};
use crate::resource::{group_name_key, ScimGroup};
use crate::store::sql_rows::{join_time, split_time};
use crate::store::Conflict;

const GROUP_COLUMNS: &str =
    "org, id, display_name, external_id, created_s, created_n, modified_s, modified_n, version";

/// The members of each group of `ids` (of `org`), in order: one statement for all groups.
async fn members_of<C: GenericClient>(
    c: &C,
    org: &str,
    ids: &[String],
) -> Res<std::collections::HashMap<String, Vec<String>>> {
    let mut out: std::collections::HashMap<String, Vec<String>> = Default::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = c
        .query(
            "SELECT group_id, user_id FROM sso_scim_group_members \
             WHERE org = $1 AND group_id = ANY($2) ORDER BY group_id, pos",
            &[&org, &ids],
        )
        .await
        .map_err(db)?;
    for r in rows {
        out.entry(r.get(0)).or_default().push(r.get(1));
    }
    Ok(out)
}

pub(super) async fn groups_where<C: GenericClient>(
    c: &C,
    clause: &str,
    p: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    org: &str,
) -> Res<Vec<ScimGroup>> {
    let rows = c
        .query(
            &format!("SELECT {GROUP_COLUMNS} FROM sso_scim_groups WHERE {clause} ORDER BY seq"),
            p,
        )
        .await
        .map_err(db)?;
    let ids: Vec<String> = rows.iter().map(|r| r.get(1)).collect();
    let mut members = members_of(c, org, &ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.get(1);
        out.push(ScimGroup {
            org: org_id(r.get(0))?,
            members: members.remove(&id).unwrap_or_default(),
            id,
            display_name: r.get(2),
            external_id: r.get(3),
            created: join_time(r.get(4), r.get(5)),
            last_modified: join_time(r.get(6), r.get(7)),
            version: u64::try_from(r.get::<_, i64>(8)).map_err(corrupt)?,
        });
    }
    Ok(out)
}

/// Are all of `g`'s members users of its organization? One statement, whatever the group's
/// size (the members are locked against deletion until the transaction ends).
pub(super) async fn members_exist(tx: &Transaction<'_>, g: &ScimGroup) -> Res<bool> {
    if g.members.is_empty() {
        return Ok(true);
    }
    let rows = tx
        .query(
            "SELECT id FROM sso_scim_users WHERE org = $1 AND id = ANY($2) FOR SHARE",
            &[&g.org.as_str(), &g.members],
        )
        .await
        .map_err(db)?;
    let distinct: std::collections::HashSet<&String> = g.members.iter().collect();
    Ok(rows.len() == distinct.len())
}

/// Replaces the member rows of `g`: one statement for all of them; the users added or removed
/// get a new version and `g`'s modification time (their `groups` changed), in one more.
pub(super) async fn write_members(tx: &Transaction<'_>, g: &ScimGroup) -> Res<()> {
    let o = g.org.as_str();
    let (ms, mn) = split_time(g.last_modified);
    tx.execute(
        "UPDATE sso_scim_users SET version = version + 1, modified_s = $3, modified_n = $4 \
         WHERE org = $1 AND id IN ( \
           (SELECT user_id FROM sso_scim_group_members WHERE org = $1 AND group_id = $2 \
            EXCEPT SELECT unnest($5::text[])) \
           UNION \
           (SELECT unnest($5::text[]) \
            EXCEPT SELECT user_id FROM sso_scim_group_members WHERE org = $1 AND group_id = $2))",
        &[&o, &g.id, &ms, &mn, &g.members],
    )
    .await
    .map_err(db)?;
    tx.execute(
        "DELETE FROM sso_scim_group_members WHERE org = $1 AND group_id = $2",
        &[&o, &g.id],
    )
    .await
    .map_err(db)?;
    if g.members.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO sso_scim_group_members (org, group_id, user_id, pos) \
         SELECT $1, $2, m.user_id, (m.pos - 1)::integer FROM unnest($3::text[]) WITH ORDINALITY AS m(user_id, pos) \
         ON CONFLICT DO NOTHING",
        &[&o, &g.id, &g.members],
    )
    .await
    .map(|_| ())
    .map_err(db)
}

pub(super) async fn create_group_tx(
    tx: Transaction<'_>,
    g: &ScimGroup,
) -> Res<Result<(), Conflict>> {
    if !members_exist(&tx, g).await? {
        return Ok(Err(Conflict::UnknownMember));
    }
    let (cs, cn) = split_time(g.created);
    let (ms, mn) = split_time(g.last_modified);
    let key = group_name_key(&g.display_name);
    write!(tx.execute(
        "INSERT INTO sso_scim_groups (org, id, display_name, name_key, external_id, created_s, created_n, \
         modified_s, modified_n, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[&g.org.as_str(), &g.id, &g.display_name, &key.as_str(), &g.external_id, &cs, &cn, &ms, &mn, &version(g.version)],
    ));
    write_members(&tx, g).await?;
    tx.commit().await.map_err(db)?;
    Ok(Ok(()))
}

pub(super) async fn update_group_tx(
    tx: Transaction<'_>,
    g: &ScimGroup,
    expected: u64,
) -> Res<Result<(), Conflict>> {
    let o = g.org.as_str();
    let current = tx
        .query_opt(
            "SELECT version FROM sso_scim_groups WHERE org = $1 AND id = $2 FOR UPDATE",
            &[&o, &g.id],
        )
        .await
        .map_err(db)?;
    let Some(current) = current else {
        return Ok(Err(Conflict::NotFound));
    };
    let current = u64::try_from(current.get::<_, i64>(0)).unwrap_or(0);
    if current != expected {
        return Ok(Err(Conflict::Version { current }));
    }
    if !members_exist(&tx, g).await? {
        return Ok(Err(Conflict::UnknownMember));
    }
    let (ms, mn) = split_time(g.last_modified);
    let key = group_name_key(&g.display_name);
    write!(tx.execute(
        "UPDATE sso_scim_groups SET display_name = $3, name_key = $4, external_id = $5, modified_s = $6, \
         modified_n = $7, version = $8 WHERE org = $1 AND id = $2",
        &[&o, &g.id, &g.display_name, &key.as_str(), &g.external_id, &ms, &mn, &version(expected + 1)],
    ));
    write_members(&tx, g).await?;
    tx.commit().await.map_err(db)?;
    Ok(Ok(()))
}
