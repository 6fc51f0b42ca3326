//! What stores keep: plain records with public fields, and the key functions every store uses.

use std::fmt;

use crate::time::Timestamp;

/// The key under which a userName is unique in an organization: Unicode lowercase
/// (`str::to_lowercase`, locale-independent). Every store compares userNames only through it,
/// so `Alice@Example.com` and `alice@example.com` are the same user everywhere.
pub fn user_name_key(user_name: &str) -> String {
    user_name.to_lowercase()
}

/// The key under which an email is unique across accounts: surrounding whitespace removed, then
/// Unicode lowercase.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Why an identifier was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} must be 1 to 128 characters without control characters, got {value:?}")]
pub struct InvalidId {
    kind: &'static str,
    value: String,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps an identifier: 1 to 128 characters, no control characters.
            pub fn new(id: impl Into<String>) -> Result<$name, InvalidId> {
                let id = id.into();
                if id.is_empty() || id.len() > 128 || id.chars().any(char::is_control) {
                    return Err(InvalidId { kind: $kind, value: id.chars().take(140).collect() });
                }
                Ok($name(id))
            }

            /// The identifier.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                $name::new(s)
            }
        }
    };
}

id_type!(
    /// The host's identifier of an organization.
    OrgId,
    "an organization id"
);
id_type!(
    /// The identifier of an account (a user of the host application, across organizations).
    AccountId,
    "an account id"
);

/// A member's role in an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrgRole {
    /// A regular member: what SCIM provisioning creates.
    Member,
    /// An administrator.
    Admin,
    /// An owner.
    Owner,
}

/// An account's membership in an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The role; SCIM never changes it after creating the membership as `Member`.
    pub role: OrgRole,
    /// `false` while the organization's IdP has the user deactivated.
    pub active: bool,
}

/// An organization's settings that the crate's rules consult.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Organization {
    /// The organization.
    pub id: OrgId,
    /// Delete (rather than deactivate) a user when the IdP deactivates it: the SCIM user and the
    /// membership go, and the account too when provisioning created it and it has no other
    /// membership. Default `false`.
    pub delete_on_deactivate: bool,
    /// Provisioned userNames and emails must be on a domain the organization has claimed.
    /// Default `true`; turn off only for conformance testers that invent userNames.
    pub require_claimed_domain: bool,
}

impl Organization {
    /// An organization with the default settings.
    pub fn new(id: OrgId) -> Organization {
        Organization {
            id,
            delete_on_deactivate: false,
            require_claimed_domain: true,
        }
    }

    /// Sets [`delete_on_deactivate`](Organization::delete_on_deactivate).
    pub fn with_delete_on_deactivate(mut self, on: bool) -> Organization {
        self.delete_on_deactivate = on;
        self
    }

    /// Sets [`require_claimed_domain`](Organization::require_claimed_domain).
    pub fn with_require_claimed_domain(mut self, on: bool) -> Organization {
        self.require_claimed_domain = on;
        self
    }
}

/// The result of claiming a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The domain is now claimed by the organization.
    Claimed,
    /// The organization had already claimed it.
    AlreadyClaimed,
    /// Another organization holds it; nothing changed.
    ClaimedByOther(OrgId),
}

/// A SCIM bearer token as stored: never the token itself, only the SHA-256 of its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Public identifier, also embedded in the token.
    pub id: String,
    /// The organization the token acts for; it never reaches another organization's data.
    pub org: OrgId,
    /// SHA-256 of the token's secret part.
    pub secret_hash: [u8; 32],
    /// A label chosen by the admin ("Okta production").
    pub label: String,
    /// When it was generated.
    pub created: Timestamp,
    /// Revoked tokens are refused.
    pub revoked: bool,
}

impl fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRecord")
            .field("id", &self.id)
            .field("org", &self.org)
            .field("secret_hash", &"[redacted]")
            .field("label", &self.label)
            .field("created", &self.created)
            .field("revoked", &self.revoked)
            .finish()
    }
}

/// A user of the host application (across organizations).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// Its email, unique across accounts by [`email_key`].
    pub email: String,
    /// The organization whose provisioning created it, if any.
    pub provisioned_by: Option<OrgId>,
}

/// How a new SCIM user is linked to an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountLink {
    /// An account that exists and is already a member of the organization.
    Existing(AccountId),
    /// A new account, created with the user (as a `member`).
    New(Account),
}

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

/// A SCIM user as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    /// Server-issued id.
    pub id: String,
    /// The organization.
    pub org: OrgId,
    /// The linked account.
    pub account: AccountId,
    /// userName (unique per organization by [`user_name_key`]).
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

impl UserRecord {
    /// The primary email: the one flagged primary, else the first.
    pub fn primary_email(&self) -> Option<&str> {
        self.emails
            .iter()
            .find(|e| e.primary)
            .or_else(|| self.emails.first())
            .map(|e| e.value.as_str())
    }
}

/// A SCIM group as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRecord {
    /// Server-issued id.
    pub id: String,
    /// The organization.
    pub org: OrgId,
    /// displayName (unique per organization by [`group_name_key`]).
    pub display_name: String,
    /// externalId.
    pub external_id: Option<String>,
    /// Member user ids (users of the same organization), in the order they were added.
    pub members: Vec<String>,
    /// meta.created.
    pub created: Timestamp,
    /// meta.lastModified.
    pub last_modified: Timestamp,
    /// meta.version.
    pub version: u64,
}

/// The key under which a group's displayName is unique in an organization (Unicode lowercase).
pub fn group_name_key(display_name: &str) -> String {
    display_name.to_lowercase()
}

/// A page of groups and the total count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupPage {
    /// The groups of the page.
    pub groups: Vec<GroupRecord>,
    /// How many groups matched.
    pub total: usize,
}

/// Sorting of a query.
#[derive(Clone, Debug, PartialEq)]
pub struct Sort {
    /// The attribute to sort by.
    pub by: crate::scim::filter::AttrPath,
    /// Descending instead of ascending.
    pub descending: bool,
}

/// A list query: optional filter and sort, and the page (0-based `start`, `count`).
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// Only resources matching this filter.
    pub filter: Option<crate::scim::filter::Filter>,
    /// The order; `None` is the default order (creation, then id).
    pub sort: Option<Sort>,
    /// The first result, 0-based.
    pub start: usize,
    /// At most this many results.
    pub count: usize,
}

/// A page of users and the total count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPage {
    /// The users of the page, in default order.
    pub users: Vec<UserRecord>,
    /// How many users the organization has.
    pub total: usize,
}

/// A rule a store refused to break. Nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Conflict {
    /// The organization has a user with this userName (case-insensitively).
    #[error("the organization already has a user with this userName")]
    UserName,
    /// Another account has this email.
    #[error("another account has this email")]
    Email,
    /// The account is not a member of the organization.
    #[error("the account is not a member of the organization")]
    NotMember,
    /// The account is already linked to another SCIM user of the organization.
    #[error("the account is already linked to another user of the organization")]
    AccountLinked,
    /// The record does not exist.
    #[error("not found")]
    NotFound,
    /// The organization has a group with this displayName (case-insensitively).
    #[error("the organization already has a group with this displayName")]
    DisplayName,
    /// A group member is not a user of the organization.
    #[error("a member is not a user of the organization")]
    UnknownMember,
    /// The stored version differs from the expected one.
    #[error("the record changed concurrently (stored version {current})")]
    Version {
        /// The stored version.
        current: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_in_unicode() {
        assert_eq!(user_name_key("Alice@Example.COM"), "alice@example.com");
        assert_eq!(user_name_key("ÉLODIE@exemple.fr"), "élodie@exemple.fr");
        assert_eq!(email_key("  Bob@Example.com "), "bob@example.com");
    }

    #[test]
    fn ids_are_checked() {
        assert!(OrgId::new("org_1").is_ok());
        assert!(OrgId::new("").is_err());
        assert!(OrgId::new("a\nb").is_err());
        assert!(AccountId::new("x".repeat(129)).is_err());
        assert_eq!(OrgId::new("o").unwrap().to_string(), "o");
    }
}
