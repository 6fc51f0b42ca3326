//! The directory's reads on PostgreSQL: lookups, default-order pages, and scans in batches.

use std::collections::HashMap;

use tokio_postgres::{GenericClient, Row};

use super::ports::{corrupt, org_id};
use super::{db, PostgresError, PostgresStore};
use crate::resource::{
    self, user_name_key, AccountId, CompValue, CompareOp, Filter, OrgId, ScimUser,
};
use crate::store::hits::Hits;
use crate::store::sql_rows::{decode_into, join_time};
use crate::store::{Query, TooMany, UserPage};

type Res<T> = Result<T, PostgresError>;

pub(super) const USER_COLUMNS: &str =
    "org, id, account, user_name, external_id, active, created_s, created_n, \
     modified_s, modified_n, version, data";

pub(super) fn user_from_row(r: &Row) -> Res<ScimUser> {
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

pub(super) async fn users_where<C: GenericClient>(
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

/// `emails.value eq "x"` or `emails[value eq "x"]`: the email an index finds.
pub(super) fn email_lookup(f: &Filter) -> Option<&str> {
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
pub(super) async fn indexed_users<C: GenericClient>(
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
pub(super) const BATCH: i64 = 512;

/// The groups of the users of `org` with these ids, by user: for filters on `groups`.
pub(super) async fn memberships_of<C: GenericClient>(
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
pub(super) async fn examine<C: GenericClient>(
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

pub(super) async fn list_users<C: GenericClient>(
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

/// Users of `org` matching `q`: from an index when the filter names one, else by a scan in
/// batches, each on a connection taken from the pool and given back before the next.
pub(super) async fn query_users(
    store: &PostgresStore,
    org: &OrgId,
    q: &Query,
) -> Res<Result<UserPage, TooMany>> {
    let o = org.as_str();
    let mut hits = Hits::new(q, resource::user_sort_key);
    {
        let c = store.client().await?;
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
            let (users, total) = hits.page();
            return Ok(Ok(UserPage { users, total }));
        }
    }
    // A scan: one statement per batch, each on a connection taken from the pool and
    // returned before the next, so a long scan holds no connection others wait for.
    let mut after = 0i64;
    loop {
        let c = store.client().await?;
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
    let (users, total) = hits.page();
    Ok(Ok(UserPage { users, total }))
}
