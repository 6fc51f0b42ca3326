//! The SCIM User resource: reading what clients send (POST, PUT, and the result of a PATCH) and
//! writing what we answer.

use serde_json::{json, Map, Value};

use super::error::ScimError;
use super::json::{self, get, string};
pub(crate) use crate::resource::etag;
use crate::resource::{
    Email, Enterprise, Manager, SchemaDef, ScimGroup, ScimUser, ENTERPRISE_SCHEMA, ENTERPRISE_USER,
    GROUP, GROUP_SCHEMA, USER, USER_SCHEMA,
};

/// At most this many emails per user.
const MAX_EMAILS: usize = 16;

/// A user as a client describes it (everything mutable; read-only parts ignored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UserInput {
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub formatted_name: Option<String>,
    pub display_name: Option<String>,
    pub locale: Option<String>,
    pub emails: Vec<Email>,
    pub active: bool,
    pub enterprise: Enterprise,
}

/// `schemas` must be an array of URNs that names `core` (RFC 7643 section 3). Extension URNs
/// are not required to be listed: Okta sends extension attributes without them.
pub(crate) fn require_schema(obj: &Map<String, Value>, core: &str) -> Result<(), ScimError> {
    let missing = || {
        ScimError::invalid_value(format!(
            "schemas must be an array of schema URNs that includes {core:?}"
        ))
    };
    match get(obj, "schemas")? {
        Some(Value::Array(s)) if s.len() <= 16 && s.iter().all(Value::is_string) => {
            if s.iter()
                .any(|x| x.as_str().is_some_and(|u| u.eq_ignore_ascii_case(core)))
            {
                Ok(())
            } else {
                Err(missing())
            }
        }
        _ => Err(missing()),
    }
}

fn required(v: Option<String>, attr: &str) -> Result<String, ScimError> {
    match v {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ScimError::invalid_value(format!("{attr} is required"))),
    }
}

fn object<'a>(
    v: Option<&'a Value>,
    attr: &str,
) -> Result<Option<&'a Map<String, Value>>, ScimError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(ScimError::invalid_value(format!(
            "{attr} must be an object, got {}",
            json::kind(other)
        ))),
    }
}

impl UserInput {
    /// Reads a User. `id`, `meta`, `groups`, `password` (write-only: accepted, never kept) and
    /// unknown attributes are ignored. userName, name.givenName, name.familyName and an email
    /// are required.
    pub(crate) fn from_json(obj: &Map<String, Value>) -> Result<UserInput, ScimError> {
        require_schema(obj, USER_SCHEMA)?;
        let user_name = required(string(obj, "userName", "userName")?, "userName")?;
        if user_name.trim() != user_name {
            return Err(ScimError::invalid_value(format!(
                "userName {user_name:?} has whitespace before or after it; send the userName alone"
            )));
        }
        if let Some(c) = user_name
            .chars()
            .find(|&c| crate::domain::is_invisible_char(c))
        {
            return Err(ScimError::invalid_value(format!(
                "userName contains the invisible character U+{:04X}; remove it",
                c as u32
            )));
        }
        let name = object(get(obj, "name")?, "name")?;
        let (given, family, formatted) = match name {
            Some(n) => (
                string(n, "givenName", "name.givenName")?,
                string(n, "familyName", "name.familyName")?,
                string(n, "formatted", "name.formatted")?,
            ),
            None => (None, None, None),
        };
        let given_name = required(given, "name.givenName")?;
        let family_name = required(family, "name.familyName")?;
        let emails = read_emails(get(obj, "emails")?)?;
        if emails.is_empty() {
            return Err(ScimError::invalid_value(
                "emails is required: at least one email with a value",
            ));
        }
        // `active` is published as required: a request without it is refused rather than
        // guessed (Okta and Entra always send it).
        let active = match get(obj, "active")? {
            None | Some(Value::Null) => {
                return Err(ScimError::invalid_value(
                    "active is required: true for a user who may use the organization, false to deactivate",
                ))
            }
            Some(v) => json::boolean(v, "active")?,
        };
        let enterprise = match object(get(obj, ENTERPRISE_SCHEMA)?, ENTERPRISE_SCHEMA)? {
            Some(e) => read_enterprise(e)?,
            None => Enterprise::default(),
        };
        Ok(UserInput {
            user_name,
            external_id: string(obj, "externalId", "externalId")?,
            given_name,
            family_name,
            formatted_name: formatted,
            display_name: string(obj, "displayName", "displayName")?,
            locale: string(obj, "locale", "locale")?,
            emails,
            active,
            enterprise,
        })
    }

    /// The primary email: the one flagged primary, else the first.
    pub(crate) fn primary_email(&self) -> &str {
        self.emails
            .iter()
            .find(|e| e.primary)
            .or_else(|| self.emails.first())
            .map(|e| e.value.as_str())
            .unwrap_or_default()
    }
}

fn read_emails(v: Option<&Value>) -> Result<Vec<Email>, ScimError> {
    let items = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "emails must be an array, got {}",
                json::kind(other)
            )))
        }
    };
    if items.len() > MAX_EMAILS {
        return Err(ScimError::invalid_value(format!(
            "at most {MAX_EMAILS} emails are accepted"
        )));
    }
    let mut out: Vec<Email> = Vec::new();
    for item in items {
        let Value::Object(m) = item else {
            return Err(ScimError::invalid_value(
                "each of emails must be an object with a value",
            ));
        };
        let Some(value) = string(m, "value", "emails.value")?.filter(|s| !s.trim().is_empty())
        else {
            continue;
        };
        if let Err(e) = crate::domain::EmailAddress::parse(&value) {
            return Err(ScimError::invalid_value(format!("emails.value {e}")));
        }
        let primary = match get(m, "primary")? {
            None | Some(Value::Null) => false,
            Some(p) => json::boolean(p, "emails.primary")?,
        };
        out.push(Email {
            value,
            kind: string(m, "type", "emails.type")?,
            primary,
        });
    }
    // When none is flagged the first counts as primary (see `primary_email`); what the client
    // sent is stored as sent.
    if out.iter().filter(|e| e.primary).count() > 1 {
        return Err(ScimError::invalid_value("at most one email may be primary"));
    }
    Ok(out)
}

fn read_enterprise(e: &Map<String, Value>) -> Result<Enterprise, ScimError> {
    let attr = |k: &str| string(e, k, &format!("{ENTERPRISE_SCHEMA}:{k}"));
    let manager = match get(e, "manager")? {
        None | Some(Value::Null) => None,
        // manager.displayName is readOnly: what a client sends is ignored (RFC 7643 section 7).
        Some(Value::Object(m)) => Some(Manager {
            value: string(m, "value", "manager.value")?,
            display_name: None,
        }),
        // Some clients send the manager's id as a plain string.
        Some(Value::String(s)) => Some(Manager {
            value: Some(s.clone()),
            display_name: None,
        }),
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "manager must be an object, got {}",
                json::kind(other)
            )))
        }
    };
    Ok(Enterprise {
        employee_number: attr("employeeNumber")?,
        cost_center: attr("costCenter")?,
        organization: attr("organization")?,
        division: attr("division")?,
        department: attr("department")?,
        manager: manager.filter(|m| m.value.is_some() || m.display_name.is_some()),
    })
}

fn put(m: &mut Map<String, Value>, k: &str, v: &Option<String>) {
    if let Some(v) = v {
        m.insert(k.to_owned(), Value::String(v.clone()));
    }
}

/// The User resource as answered (never with a password): `base` is the service's base URL (`""`
/// for internal use), `groups` the `(id, displayName)` of the groups it belongs to.
pub(crate) fn user_json(u: &ScimUser, base: &str, groups: &[(String, String)]) -> Value {
    let location = if base.is_empty() {
        String::new()
    } else {
        format!("{base}/Users/{}", u.id)
    };
    let mut m = Map::new();
    let mut schemas = vec![json!(USER_SCHEMA)];
    if !u.enterprise.is_empty() {
        schemas.push(json!(ENTERPRISE_SCHEMA));
    }
    m.insert("schemas".into(), Value::Array(schemas));
    m.insert("id".into(), json!(u.id));
    put(&mut m, "externalId", &u.external_id);
    m.insert("userName".into(), json!(u.user_name));
    let mut name = Map::new();
    put(&mut name, "givenName", &u.given_name);
    put(&mut name, "familyName", &u.family_name);
    put(&mut name, "formatted", &u.formatted_name);
    if !name.is_empty() {
        m.insert("name".into(), Value::Object(name));
    }
    put(&mut m, "displayName", &u.display_name);
    put(&mut m, "locale", &u.locale);
    m.insert("active".into(), json!(u.active));
    if !u.emails.is_empty() {
        let emails: Vec<Value> = u
            .emails
            .iter()
            .map(|e| {
                let mut o = Map::new();
                o.insert("value".into(), json!(e.value));
                put(&mut o, "type", &e.kind);
                o.insert("primary".into(), json!(e.primary));
                Value::Object(o)
            })
            .collect();
        m.insert("emails".into(), Value::Array(emails));
    }
    if !u.enterprise.is_empty() {
        let e = &u.enterprise;
        let mut o = Map::new();
        put(&mut o, "employeeNumber", &e.employee_number);
        put(&mut o, "costCenter", &e.cost_center);
        put(&mut o, "organization", &e.organization);
        put(&mut o, "division", &e.division);
        put(&mut o, "department", &e.department);
        if let Some(mgr) = &e.manager {
            let mut mo = Map::new();
            put(&mut mo, "value", &mgr.value);
            put(&mut mo, "displayName", &mgr.display_name);
            o.insert("manager".into(), Value::Object(mo));
        }
        m.insert(ENTERPRISE_SCHEMA.into(), Value::Object(o));
    }
    if !groups.is_empty() {
        let g: Vec<Value> = groups
            .iter()
            .map(|(id, name)| {
                let mut o = json!({"value": id, "display": name, "type": "direct"});
                if !base.is_empty() {
                    o["$ref"] = json!(format!("{base}/Groups/{id}"));
                }
                o
            })
            .collect();
        m.insert("groups".into(), Value::Array(g));
    }
    m.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": u.created.to_string(),
            "lastModified": u.last_modified.to_string(),
            "location": location,
            "version": etag(u.version),
        }),
    );
    Value::Object(m)
}

/// A group as a client describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupInput {
    pub display_name: String,
    pub external_id: Option<String>,
    /// Member user ids, without duplicates, in order.
    pub members: Vec<String>,
}

/// At most this many members per group.
pub(crate) const MAX_MEMBERS: usize = 100_000;

impl GroupInput {
    /// Reads a Group: displayName is required; members are users, identified by `value`.
    pub(crate) fn from_json(obj: &Map<String, Value>) -> Result<GroupInput, ScimError> {
        require_schema(obj, GROUP_SCHEMA)?;
        let display_name = required(string(obj, "displayName", "displayName")?, "displayName")?;
        let mut members: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        match get(obj, "members")? {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                if items.len() > MAX_MEMBERS {
                    return Err(ScimError::invalid_value(format!(
                        "at most {MAX_MEMBERS} members per group"
                    )));
                }
                for item in items {
                    let Value::Object(m) = item else {
                        return Err(ScimError::invalid_value(
                            "each of members must be an object with a value",
                        ));
                    };
                    if let Some(Value::String(t)) = get(m, "type")? {
                        if !t.eq_ignore_ascii_case("User") {
                            return Err(ScimError::invalid_value(format!(
                                "members of type {t:?} are not supported; members are users"
                            )));
                        }
                    }
                    let value = required(string(m, "value", "members.value")?, "members.value")?;
                    if seen.insert(value.clone()) {
                        members.push(value);
                    }
                }
            }
            Some(other) => {
                return Err(ScimError::invalid_value(format!(
                    "members must be an array, got {}",
                    json::kind(other)
                )))
            }
        }
        Ok(GroupInput {
            display_name,
            external_id: string(obj, "externalId", "externalId")?,
            members,
        })
    }
}

/// The Group resource as answered: members are `value` (the user id), `$ref` (its URI) and
/// `type` (always `User`), so a client reads back what it wrote.
pub(crate) fn group_json(g: &ScimGroup, base: &str) -> Value {
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|id| {
            let mut o = json!({"value": id, "type": "User"});
            if !base.is_empty() {
                o["$ref"] = json!(format!("{base}/Users/{id}"));
            }
            o
        })
        .collect();
    let mut m = Map::new();
    m.insert("schemas".into(), json!([GROUP_SCHEMA]));
    m.insert("id".into(), json!(g.id));
    put(&mut m, "externalId", &g.external_id);
    m.insert("displayName".into(), json!(g.display_name));
    m.insert("members".into(), Value::Array(members));
    let location = if base.is_empty() {
        String::new()
    } else {
        format!("{base}/Groups/{}", g.id)
    };
    m.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": g.created.to_string(),
            "lastModified": g.last_modified.to_string(),
            "location": location,
            "version": etag(g.version),
        }),
    );
    Value::Object(m)
}

/// Is the attribute `dotted` (`attr` or `attr.sub`, lowercase, in `core` or an extension)
/// compared case-exactly? Read from the attribute tables.
fn case_exact_in(
    core: &'static SchemaDef,
    extensions: &[&'static SchemaDef],
    dotted: &str,
) -> bool {
    let (attr, sub) = match dotted.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (dotted, None),
    };
    std::iter::once(core)
        .chain(extensions.iter().copied())
        .find_map(|s| s.attribute(attr))
        .is_some_and(|d| match sub {
            Some(s) => d.sub_attribute(s).is_some_and(|x| x.case_exact),
            None => d.case_exact,
        })
}

/// How values of a User attribute compare in PATCH value filters (the table's `caseExact`).
pub(crate) fn user_case_exact(dotted: &str) -> bool {
    case_exact_in(&USER, &[&ENTERPRISE_USER], dotted)
}

/// How values of a Group attribute compare in PATCH value filters (the table's `caseExact`).
pub(crate) fn group_case_exact(dotted: &str) -> bool {
    case_exact_in(&GROUP, &[], dotted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: Value) -> Result<UserInput, ScimError> {
        UserInput::from_json(v.as_object().unwrap())
    }

    #[test]
    fn reads_okta_and_entra_users() {
        let okta = json!({"schemas": [USER_SCHEMA], "userName": "test.user@okta.local",
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
            "displayName": "Test User", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [], "password": "1mz050nq", "active": true, "id": "ignored", "meta": {"resourceType": "User"}});
        let u = input(okta).unwrap();
        assert_eq!(u.user_name, "test.user@okta.local");
        assert_eq!(u.primary_email(), "test.user@okta.local");
        assert!(u.active);
        let entra = json!({"schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA], "UserName": "x@testuser.com", "Active": "False",
            "name": {"formatted": "g f", "familyName": "f", "givenName": "g"},
            "emails": [{"type": "work", "value": "a@testuser.com"}, {"primary": "True", "type": "home", "value": "b@testuser.com"}],
            ENTERPRISE_SCHEMA: {"department": "R&D", "manager": {"value": "m1"}}});
        let u = input(entra).unwrap();
        assert!(!u.active);
        assert_eq!(u.primary_email(), "b@testuser.com");
        assert_eq!(u.enterprise.department.as_deref(), Some("R&D"));
    }

    #[test]
    fn required_attributes_are_named() {
        let base = json!({"schemas": [USER_SCHEMA], "userName": "a@b.co", "name": {"givenName": "A", "familyName": "B"}, "emails": [{"value": "a@b.co"}], "active": true});
        assert!(input(base.clone()).is_ok());
        for (path, detail) in [
            ("userName", "userName"),
            ("name", "name.givenName"),
            ("emails", "emails"),
            ("active", "active is required"),
            (
                "schemas",
                "schemas must be an array of schema URNs that includes",
            ),
        ] {
            let mut v = base.clone();
            v.as_object_mut().unwrap().remove(path);
            let e = input(v).unwrap_err();
            assert_eq!((e.status(), e.scim_type()), (400, "invalidValue"));
            assert!(e.detail().starts_with(detail), "{}", e.detail());
        }
        let mut v = base.clone();
        v["name"]["familyName"] = json!("  ");
        assert!(input(v)
            .unwrap_err()
            .detail()
            .starts_with("name.familyName"));
        let mut v = base.clone();
        v["emails"] = json!([{"value": "not-an-email"}]);
        assert!(input(v).unwrap_err().detail().contains("not an email"));
        let mut v = base.clone();
        v["emails"] =
            json!([{"value": "a@b.co", "primary": true}, {"value": "c@b.co", "primary": true}]);
        assert!(input(v).is_err());
        let mut v = base;
        v["active"] = json!("maybe");
        assert!(input(v).is_err());
    }
}
