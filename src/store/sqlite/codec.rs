//! Records to rows and back. Indexed attributes have columns; the rest of a user is one JSON
//! document in `data`, written and read only here.

use rusqlite::Row;

use super::{db, SqliteError};
use crate::resource::{AccountId, Enterprise, OrgId, ScimGroup, ScimUser};
use crate::store::{Account, Membership, OrgRole, TokenRecord};

pub(super) use crate::store::sql_rows::{join_time, split_time};

fn corrupt(what: impl Into<String>) -> SqliteError {
    SqliteError::Corrupt(what.into())
}

/// The `data` document of a user.
pub(super) fn user_data(u: &ScimUser) -> String {
    crate::store::sql_rows::encode(u)
}

/// The columns `SELECT`ed for a user, in the order [`user_from_row`] reads them.
pub(super) const USER_COLUMNS: &str = "org, id, account, user_name, external_id, active, \
     created_s, created_n, modified_s, modified_n, version, data";

fn ids(org: String, account: String) -> Result<(OrgId, AccountId), SqliteError> {
    Ok((
        OrgId::new(org).map_err(|e| corrupt(e.to_string()))?,
        AccountId::new(account).map_err(|e| corrupt(e.to_string()))?,
    ))
}

/// A user from a row of [`USER_COLUMNS`].
pub(super) fn user_from_row(r: &Row<'_>) -> Result<ScimUser, SqliteError> {
    let get_s = |i: usize| r.get::<_, String>(i).map_err(db);
    let get_i = |i: usize| r.get::<_, i64>(i).map_err(db);
    let (org, account) = ids(get_s(0)?, get_s(2)?)?;
    let data: String = get_s(11)?;
    let mut u = ScimUser {
        org,
        id: get_s(1)?,
        account,
        user_name: get_s(3)?,
        external_id: r.get(4).map_err(db)?,
        given_name: None,
        family_name: None,
        formatted_name: None,
        display_name: None,
        locale: None,
        emails: Vec::new(),
        active: get_i(5)? != 0,
        enterprise: Enterprise::default(),
        created: join_time(get_i(6)?, get_i(7)?),
        last_modified: join_time(get_i(8)?, get_i(9)?),
        version: u64::try_from(get_i(10)?).map_err(|_| corrupt("negative version"))?,
    };
    crate::store::sql_rows::decode_into(&data, &mut u).map_err(corrupt)?;
    Ok(u)
}

/// The columns `SELECT`ed for a group, in the order [`group_from_row`] reads them.
pub(super) const GROUP_COLUMNS: &str =
    "org, id, display_name, external_id, created_s, created_n, modified_s, modified_n, version";

/// A group from a row of [`GROUP_COLUMNS`] and its members (in order).
pub(super) fn group_from_row(r: &Row<'_>, members: Vec<String>) -> Result<ScimGroup, SqliteError> {
    let get_i = |i: usize| r.get::<_, i64>(i).map_err(db);
    Ok(ScimGroup {
        org: OrgId::new(r.get::<_, String>(0).map_err(db)?).map_err(|e| corrupt(e.to_string()))?,
        id: r.get(1).map_err(db)?,
        display_name: r.get(2).map_err(db)?,
        external_id: r.get(3).map_err(db)?,
        members,
        created: join_time(get_i(4)?, get_i(5)?),
        last_modified: join_time(get_i(6)?, get_i(7)?),
        version: u64::try_from(get_i(8)?).map_err(|_| corrupt("negative version"))?,
    })
}

/// An account from `id, email, provisioned_by`.
pub(super) fn account_from_row(r: &Row<'_>) -> Result<Account, SqliteError> {
    let id: String = r.get(0).map_err(db)?;
    let by: Option<String> = r.get(2).map_err(db)?;
    Ok(Account {
        id: AccountId::new(id).map_err(|e| corrupt(e.to_string()))?,
        email: r.get(1).map_err(db)?,
        provisioned_by: match by {
            Some(o) => Some(OrgId::new(o).map_err(|e| corrupt(e.to_string()))?),
            None => None,
        },
    })
}

pub(super) fn role_code(r: OrgRole) -> i64 {
    match r {
        OrgRole::Member => 0,
        OrgRole::Admin => 1,
        OrgRole::Owner => 2,
    }
}

/// A membership from `role, active`.
pub(super) fn membership_from_row(r: &Row<'_>) -> Result<Membership, SqliteError> {
    let role = match r.get::<_, i64>(0).map_err(db)? {
        0 => OrgRole::Member,
        1 => OrgRole::Admin,
        2 => OrgRole::Owner,
        other => return Err(corrupt(format!("unknown role {other}"))),
    };
    Ok(Membership {
        role,
        active: r.get::<_, i64>(1).map_err(db)? != 0,
    })
}

/// The columns `SELECT`ed for a token, in the order [`token_from_row`] reads them.
pub(super) const TOKEN_COLUMNS: &str = "id, org, secret_hash, label, created_s, created_n, revoked";

/// A token from a row of [`TOKEN_COLUMNS`].
pub(super) fn token_from_row(r: &Row<'_>) -> Result<TokenRecord, SqliteError> {
    let hash: Vec<u8> = r.get(2).map_err(db)?;
    Ok(TokenRecord {
        id: r.get(0).map_err(db)?,
        org: OrgId::new(r.get::<_, String>(1).map_err(db)?).map_err(|e| corrupt(e.to_string()))?,
        secret_hash: hash
            .try_into()
            .map_err(|_| corrupt("a token hash is not 32 bytes"))?,
        label: r.get(3).map_err(db)?,
        created: join_time(r.get(4).map_err(db)?, r.get(5).map_err(db)?),
        revoked: r.get::<_, i64>(6).map_err(db)? != 0,
    })
}
