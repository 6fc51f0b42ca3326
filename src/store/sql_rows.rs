//! What both SQL stores write into rows: the parts of a [`ScimUser`] that no index needs, as one
//! JSON document (the `data` column), and instants as two integer columns.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::resource::{Email, Enterprise, Manager, ScimUser};
use crate::time::Timestamp;

/// An instant as `(unix seconds, nanoseconds)` columns.
pub(crate) fn split_time(t: Timestamp) -> (i64, i64) {
    (t.unix_seconds(), i64::from(t.subsec_nanos()))
}

/// The instant of `(unix seconds, nanoseconds)` columns.
pub(crate) fn join_time(secs: i64, nanos: i64) -> Timestamp {
    Timestamp::from_unix_seconds(secs)
        .saturating_add(Duration::from_nanos(u64::try_from(nanos).unwrap_or(0)))
}

/// The first whole second at or after `t` (an entry kept until `t` is kept at least that long).
pub(crate) fn ceil_secs(t: Timestamp) -> i64 {
    t.unix_seconds() + i64::from(t.subsec_nanos() > 0)
}

fn opt(m: &mut Map<String, Value>, k: &str, v: &Option<String>) {
    if let Some(v) = v {
        m.insert(k.to_owned(), Value::String(v.clone()));
    }
}

fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    m.get(k).and_then(Value::as_str).map(str::to_owned)
}

/// The document of `u`.
pub(crate) fn encode(u: &ScimUser) -> String {
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

/// Fills the document's parts into `u` (whose indexed fields the caller read from columns).
pub(crate) fn decode_into(doc: &str, u: &mut ScimUser) -> Result<(), String> {
    let doc: Value = serde_json::from_str(doc).map_err(|e| e.to_string())?;
    let m = doc.as_object().ok_or("user data is not an object")?;
    u.given_name = text(m, "given_name");
    u.family_name = text(m, "family_name");
    u.formatted_name = text(m, "formatted_name");
    u.display_name = text(m, "display_name");
    u.locale = text(m, "locale");
    u.emails = m
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
    u.enterprise = match m.get("enterprise").and_then(Value::as_object) {
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
    Ok(())
}

/// A timestamp as one integer: nanoseconds since the Unix epoch (saturating; good until 2262).
pub(crate) fn to_nanos(t: Timestamp) -> i64 {
    let (s, n) = split_time(t);
    s.saturating_mul(1_000_000_000).saturating_add(n)
}

/// The timestamp [`to_nanos`] made.
pub(crate) fn from_nanos(ns: i64) -> Timestamp {
    join_time(ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000))
}

/// A stored claim's fields back into a [`DomainClaim`](crate::store::DomainClaim).
#[allow(clippy::too_many_arguments)]
pub(crate) fn claim_from_parts(
    org: String,
    domain: String,
    token: String,
    status: String,
    created_ns: i64,
    verified_ns: Option<i64>,
    checked_ns: Option<i64>,
    version: i64,
) -> Result<crate::store::DomainClaim, String> {
    Ok(crate::store::DomainClaim {
        org: crate::resource::OrgId::new(org).map_err(|e| e.to_string())?,
        domain: crate::domain::DomainName::parse(&domain).map_err(|e| e.to_string())?,
        token: crate::domain::ClaimToken::parse(&token).map_err(|e| e.to_string())?,
        status: crate::store::ClaimStatus::parse(&status)
            .ok_or_else(|| format!("unknown claim status {status:?}"))?,
        created: from_nanos(created_ns),
        verified_at: verified_ns.map(from_nanos),
        checked_at: checked_ns.map(from_nanos),
        version: u64::try_from(version).map_err(|_| "negative claim version".to_owned())?,
    })
}
