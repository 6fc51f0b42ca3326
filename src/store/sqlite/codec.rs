//! Records to rows and back. Indexed attributes have columns; the rest of a user is one JSON
//! document in `data`, written and read only here.

use std::time::Duration;

use rusqlite::Row;
use serde_json::{json, Map, Value};

use super::{db, SqliteError};
use crate::resource::{AccountId, Email, Enterprise, Manager, OrgId, ScimGroup, ScimUser};
use crate::store::{Account, Membership, OrgRole, TokenRecord};
use crate::time::Timestamp;

/// A timestamp as two integer columns.
pub(super) fn split_time(t: Timestamp) -> (i64, i64) {
    (t.unix_seconds(), i64::from(t.subsec_nanos()))
}

pub(super) fn join_time(secs: i64, nanos: i64) -> Timestamp {
    Timestamp::from_unix_seconds(secs)
        .saturating_add(Duration::from_nanos(u64::try_from(nanos).unwrap_or(0)))
}

fn corrupt(what: impl Into<String>) -> SqliteError {
    SqliteError::Corrupt(what.into())
}

fn opt(m: &mut Map<String, Value>, k: &str, v: &Option<String>) {
    if let Some(v) = v {
        m.insert(k.to_owned(), Value::String(v.clone()));
    }
}

/// The `data` document of a user.
pub(super) fn user_data(u: &ScimUser) -> String {
    let mut m = Map::new();
    opt(&mut m, "given_name", &u.given_name);
    opt(&mut m, "family_name", &u.family_name);
    opt(&mut m, "formatted_name", &u.formatted_name);
    opt(&mut m, "display_name", &u.display_name);
    opt(&mut m, "locale", &u.locale);
    let emails: Vec<Value> = u
        .emails
        .iter()
        .map(|e| json!({"value": e.value, "kind": e.kind, "primary": e.primary}))
        .collect();
    m.insert("emails".into(), Value::Array(emails));
    let e = &u.enterprise;
    if !e.is_empty() {
        let mut x = Map::new();
        opt(&mut x, "employee_number", &e.employee_number);
        opt(&mut x, "cost_center", &e.cost_center);
        opt(&mut x, "organization", &e.organization);
        opt(&mut x, "division", &e.division);
        opt(&mut x, "department", &e.department);
        if let Some(mgr) = &e.manager {
            x.insert(
                "manager".into(),
                json!({"value": mgr.value, "display_name": mgr.display_name}),
            );
        }
        m.insert("enterprise".into(), Value::Object(x));
    }
    Value::Object(m).to_string()
}

fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    m.get(k).and_then(Value::as_str).map(str::to_owned)
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
    let doc: Value = serde_json::from_str(&data).map_err(|e| corrupt(e.to_string()))?;
    let m = doc
        .as_object()
        .ok_or_else(|| corrupt("user data is not an object"))?;
    let emails = m
        .get("emails")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_object)
                .map(|e| Email {
                    value: text(e, "value").unwrap_or_default(),
                    kind: text(e, "kind"),
                    primary: e.get("primary").and_then(Value::as_bool).unwrap_or(false),
                })
                .collect()
        })
        .unwrap_or_default();
    let enterprise = match m.get("enterprise").and_then(Value::as_object) {
        Some(x) => Enterprise {
            employee_number: text(x, "employee_number"),
            cost_center: text(x, "cost_center"),
            organization: text(x, "organization"),
            division: text(x, "division"),
            department: text(x, "department"),
            manager: x
                .get("manager")
                .and_then(Value::as_object)
                .map(|g| Manager {
                    value: text(g, "value"),
                    display_name: text(g, "display_name"),
                }),
        },
        None => Enterprise::default(),
    };
    Ok(ScimUser {
        org,
        id: get_s(1)?,
        account,
        user_name: get_s(3)?,
        external_id: r.get(4).map_err(db)?,
        given_name: text(m, "given_name"),
        family_name: text(m, "family_name"),
        formatted_name: text(m, "formatted_name"),
        display_name: text(m, "display_name"),
        locale: text(m, "locale"),
        emails,
        active: get_i(5)? != 0,
        enterprise,
        created: join_time(get_i(6)?, get_i(7)?),
        last_modified: join_time(get_i(8)?, get_i(9)?),
        version: u64::try_from(get_i(10)?).map_err(|_| corrupt("negative version"))?,
    })
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
