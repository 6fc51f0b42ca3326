//! The SCIM User as a host sees it: [`ScimUser`], its parts, and its attribute table.

use super::etag;
use super::eval::{matches, sort_key, Item, Obj, Resource, SortKey, Val};
use super::filter::{AttrPath, Filter};
use super::ids::{AccountId, OrgId};
use super::schema::{AttrDef, SchemaDef, ENTERPRISE_USER, USER};
use crate::time::Timestamp;

/// One email of a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// The address.
    pub value: String,
    /// `type` (`work`, `home`, `other`, ...).
    pub kind: Option<String>,
    /// Whether it is the primary email.
    pub primary: bool,
}

/// The enterprise extension's manager.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manager {
    /// The manager's SCIM id.
    pub value: Option<String>,
    /// The manager's display name (read-only in SCIM; kept as received).
    pub display_name: Option<String>,
}

/// The enterprise extension (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Enterprise {
    /// employeeNumber.
    pub employee_number: Option<String>,
    /// costCenter.
    pub cost_center: Option<String>,
    /// organization.
    pub organization: Option<String>,
    /// division.
    pub division: Option<String>,
    /// department.
    pub department: Option<String>,
    /// manager.
    pub manager: Option<Manager>,
}

impl Enterprise {
    /// Whether no attribute is set.
    pub fn is_empty(&self) -> bool {
        self == &Enterprise::default()
    }
}

/// A SCIM user, as provisioned into an organization and as every store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimUser {
    /// Server-issued id.
    pub id: String,
    /// The organization.
    pub org: OrgId,
    /// The linked account.
    pub account: AccountId,
    /// userName (unique per organization by [`user_name_key`](super::user_name_key)).
    pub user_name: String,
    /// externalId (the IdP's id).
    pub external_id: Option<String>,
    /// name.givenName.
    pub given_name: Option<String>,
    /// name.familyName.
    pub family_name: Option<String>,
    /// name.formatted.
    pub formatted_name: Option<String>,
    /// displayName.
    pub display_name: Option<String>,
    /// locale.
    pub locale: Option<String>,
    /// emails.
    pub emails: Vec<Email>,
    /// active.
    pub active: bool,
    /// The enterprise extension.
    pub enterprise: Enterprise,
    /// meta.created.
    pub created: Timestamp,
    /// meta.lastModified.
    pub last_modified: Timestamp,
    /// meta.version (incremented by every update).
    pub version: u64,
}

impl ScimUser {
    /// The primary email: the one flagged primary, else the first.
    pub fn primary_email(&self) -> Option<&str> {
        self.emails
            .iter()
            .find(|e| e.primary)
            .or_else(|| self.emails.first())
            .map(|e| e.value.as_str())
    }
}

static USER_EXTENSIONS: [&SchemaDef; 1] = [&ENTERPRISE_USER];

/// A user with the `(id, displayName)` of the groups it belongs to, as filters see it.
struct UserView<'a> {
    user: &'a ScimUser,
    groups: &'a [(String, String)],
}

fn text(v: &Option<String>) -> Option<Val<'_>> {
    v.as_deref().map(Val::Str)
}

impl Resource for UserView<'_> {
    fn schema(&self) -> &'static SchemaDef {
        &USER
    }

    fn extensions(&self) -> &'static [&'static SchemaDef] {
        &USER_EXTENSIONS
    }

    fn items<'s>(
        &'s self,
        schema: &'static SchemaDef,
        attr: &'static AttrDef,
        out: &mut Vec<Item<'s>>,
    ) {
        let u = self.user;
        let mut one = |v: Option<Val<'s>>| out.extend(v.map(Item::Val));
        if schema.id == ENTERPRISE_USER.id {
            let e = &u.enterprise;
            match attr.name {
                "employeeNumber" => one(text(&e.employee_number)),
                "costCenter" => one(text(&e.cost_center)),
                "organization" => one(text(&e.organization)),
                "division" => one(text(&e.division)),
                "department" => one(text(&e.department)),
                "manager" => {
                    if let Some(m) = &e.manager {
                        out.push(Item::Obj(Obj([
                            text(&m.value),
                            text(&m.display_name),
                            None,
                            None,
                            None,
                        ])));
                    }
                }
                _ => {}
            }
            return;
        }
        match attr.name {
            "schemas" => {
                one(Some(Val::Str(USER.id)));
                if !u.enterprise.is_empty() {
                    one(Some(Val::Str(ENTERPRISE_USER.id)));
                }
            }
            "id" => one(Some(Val::Str(&u.id))),
            "externalId" => one(text(&u.external_id)),
            "userName" => one(Some(Val::Str(&u.user_name))),
            "name"
                if u.given_name.is_some()
                    || u.family_name.is_some()
                    || u.formatted_name.is_some() =>
            {
                out.push(Item::Obj(Obj([
                    text(&u.given_name),
                    text(&u.family_name),
                    text(&u.formatted_name),
                    None,
                    None,
                ])));
            }
            "displayName" => one(text(&u.display_name)),
            "locale" => one(text(&u.locale)),
            "active" => one(Some(Val::Bool(u.active))),
            "emails" => out.extend(u.emails.iter().map(|e| {
                Item::Obj(Obj([
                    Some(Val::Str(&e.value)),
                    text(&e.kind),
                    Some(Val::Bool(e.primary)),
                    None,
                    None,
                ]))
            })),
            "groups" => out.extend(self.groups.iter().map(|(id, name)| {
                Item::Obj(Obj([
                    Some(Val::Str(id)),
                    Some(Val::Str(name)),
                    Some(Val::Str("direct")),
                    None,
                    None,
                ]))
            })),
            "meta" => out.push(Item::Obj(Obj([
                Some(Val::Str("User")),
                Some(Val::Time(u.created)),
                Some(Val::Time(u.last_modified)),
                None,
                Some(Val::Owned(etag(u.version))),
            ]))),
            _ => {}
        }
    }
}

/// Does `user`, a member of `groups` (`(id, displayName)`), match `filter`? The reference
/// semantics every store follows: attribute names case-insensitive, values compared with the
/// types and `caseExact` of [`USER`] and [`ENTERPRISE_USER`] (ids, `externalId`, `groups.value`,
/// `manager.value` and `meta.version` exactly; other strings case-insensitively; date-times as
/// instants). An invalid comparison counts as no match.
pub fn user_matches(filter: &Filter, user: &ScimUser, groups: &[(String, String)]) -> bool {
    matches(filter, &UserView { user, groups })
}

/// The sort key of `user` for `path` (see [`user_matches`] for the values it reads).
pub(crate) fn user_sort_key(user: &ScimUser, path: &AttrPath) -> Option<SortKey> {
    sort_key(&UserView { user, groups: &[] }, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::filter::{parse_filter, MAX_DEPTH, MAX_LOGICAL_OPERATORS};

    fn alice() -> ScimUser {
        let t = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        ScimUser {
            id: "u1".into(),
            org: OrgId::new("o").unwrap(),
            account: AccountId::new("a").unwrap(),
            user_name: "Alice@Example.com".into(),
            external_id: Some("Ext-1".into()),
            given_name: Some("Alice".into()),
            family_name: Some("Smith".into()),
            formatted_name: None,
            display_name: None,
            locale: None,
            emails: vec![
                Email {
                    value: "a@work.com".into(),
                    kind: Some("work".into()),
                    primary: false,
                },
                Email {
                    value: "a@home.com".into(),
                    kind: Some("home".into()),
                    primary: true,
                },
            ],
            active: true,
            enterprise: Enterprise {
                department: Some("R&D".into()),
                manager: Some(Manager {
                    value: Some("Boss-1".into()),
                    display_name: None,
                }),
                ..Enterprise::default()
            },
            created: t,
            last_modified: t,
            version: 3,
        }
    }

    #[test]
    fn evaluates_over_the_typed_user() {
        let user = alice();
        let groups = vec![("G-1".to_owned(), "Engineering".to_owned())];
        let t = |f: &str| user_matches(&parse_filter(f).unwrap(), &user, &groups);
        assert!(t(r#"username eq "alice@example.com""#));
        assert!(t(r#"emails[type eq "work" and value ew "@work.com"]"#));
        assert!(!t(r#"emails[type eq "work" and value ew "@home.com"]"#));
        assert!(t(r#"emails co "home.com""#));
        assert!(t(r#"emails.type eq "home""#));
        assert!(t(r#"emails[primary eq true and value eq "a@home.com"]"#));
        assert!(t(r#"name.givenName sw "al""#));
        assert!(t("active eq true") && !t("active eq false"));
        assert!(t(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "r&d""#
        ));
        // Extension attributes need their schema URN.
        assert!(!t(r#"department eq "r&d""#));
        assert!(t("title eq null") && !t("title pr") && t("userName pr"));
        assert!(t(
            r#"not (userName eq "bob") and (active eq false or name.givenName pr)"#
        ));
        assert!(t(r#"userName ne "bob""#) && !t(r#"userName ne "ALICE@example.com""#));
        assert!(t(r#"meta.version eq "W/\"3\"""#));
        assert!(t(r#"meta.created lt "2026-01-01T00:00:01.5+00:00""#));
        assert!(!t(r#"meta.created gt "2026-01-01T00:00:00Z""#));
        assert!(t(
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#
        ));
    }

    #[test]
    fn groups_are_part_of_the_user() {
        // Before the typed evaluation, users were rendered without their groups.
        let user = alice();
        let groups = vec![("G-1".to_owned(), "Engineering".to_owned())];
        let f = parse_filter(r#"groups.value eq "G-1""#).unwrap();
        assert!(user_matches(&f, &user, &groups));
        assert!(!user_matches(&f, &user, &[]));
        let d = parse_filter(r#"groups[display eq "engineering"]"#).unwrap();
        assert!(user_matches(&d, &user, &groups));
    }

    #[test]
    fn case_exactness_is_the_published_one() {
        let user = alice();
        let groups = vec![("G-1".to_owned(), "Engineering".to_owned())];
        let t = |f: &str| user_matches(&parse_filter(f).unwrap(), &user, &groups);
        // caseExact: true in the table.
        assert!(t(r#"externalId eq "Ext-1""#) && !t(r#"externalId eq "ext-1""#));
        assert!(t(r#"id eq "u1""#) && !t(r#"id eq "U1""#));
        assert!(!t(r#"groups.value eq "g-1""#));
        let mgr = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value";
        assert!(t(&format!(r#"{mgr} eq "Boss-1""#)) && !t(&format!(r#"{mgr} eq "boss-1""#)));
        // caseExact: false.
        assert!(t(r#"emails.value eq "A@WORK.COM""#));
        for (attr, def) in [
            ("externalId", USER.attribute("externalId")),
            ("userName", USER.attribute("userName")),
        ] {
            assert!(def.is_some(), "{attr}");
        }
        assert!(USER
            .attribute("groups")
            .and_then(|g| g.sub_attribute("value"))
            .is_some_and(|v| v.case_exact));
    }

    #[test]
    fn sort_keys_follow_the_table() {
        let user = alice();
        let key = |p: &str| {
            let crate::resource::filter::Filter::Present(path) =
                parse_filter(&format!("{p} pr")).unwrap()
            else {
                panic!()
            };
            user_sort_key(&user, &path)
        };
        assert_eq!(
            key("userName"),
            Some(SortKey::Str("alice@example.com".into()))
        );
        assert_eq!(key("externalId"), Some(SortKey::Str("Ext-1".into())));
        // A multi-valued attribute sorts by its primary value.
        assert_eq!(key("emails"), Some(SortKey::Str("a@home.com".into())));
        assert_eq!(key("title"), None);
    }

    #[test]
    fn the_largest_filters_evaluate_and_drop_on_a_small_stack() {
        // `and`/`or` chains build one tree level per operator, so their number is bounded: the
        // deepest filters accepted must parse, evaluate and drop on a quarter of the stack a tokio
        // worker has (2 MiB), even unoptimized.
        let most = MAX_LOGICAL_OPERATORS;
        let nested = |n: usize| format!("{}a pr{}", "not (".repeat(n), ")".repeat(n));
        let chains = [
            "a pr or ".repeat(most) + "a pr",
            "a pr and ".repeat(most) + "userName pr",
            format!("emails[{}value pr]", "a pr or ".repeat(most)),
            format!("{} or userName pr", nested(MAX_DEPTH - 1)) + &" or a pr".repeat(most - 1),
        ];
        let results = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || {
                let user = alice();
                chains
                    .iter()
                    .map(|c| user_matches(&parse_filter(c).unwrap(), &user, &[]))
                    .collect::<Vec<bool>>()
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(results, [false, false, true, true]);
    }
}
