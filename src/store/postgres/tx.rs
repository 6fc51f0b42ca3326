//! What every PostgreSQL write shares: the result type, role and version columns, conflict
//! mapping and existence checks.

use tokio_postgres::GenericClient;

use super::ports::corrupt;
use super::{db, unique_violation, PostgresError};
use crate::store::{Conflict, OrgRole};

pub(super) type Res<T> = Result<T, PostgresError>;

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
