//! What stores keep beside the SCIM resources: organizations, accounts, memberships, tokens,
//! queries and the rules a store refuses to break.

use std::fmt;

use crate::error::ConfigError;
use crate::resource::{AccountId, AttrPath, Filter, OrgId, ScimGroup, ScimUser};
use crate::saml::{IdpSettings, SpEndpoints, SpMetadata, SpSigningKey, SsoConfig};
use crate::time::Timestamp;

/// The key under which an email is unique across accounts: for an address the email rule
/// accepts, [`EmailAddress::key`](crate::EmailAddress::key) (lowercase local part, normalized
/// domain); for other text, surrounding whitespace removed, then Unicode lowercase. Only
/// [`email_key`] makes one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailKey(String);

impl EmailKey {
    /// The key, as stores index it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The [`EmailKey`] of an email.
pub fn email_key(email: &str) -> EmailKey {
    let email = email.trim();
    // ASCII: the lowercase text, which is also the key of an accepted ASCII address.
    if email.is_ascii() {
        return EmailKey(email.to_ascii_lowercase());
    }
    match crate::domain::EmailAddress::parse(email) {
        Ok(e) => EmailKey(e.key()),
        Err(_) => EmailKey(email.to_lowercase()),
    }
}

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

/// An organization's settings that the crate's rules consult: provisioning rules, the login
/// policy, and the SAML setup (ours and the IdP's).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Organization {
    /// The organization.
    pub id: OrgId,
    /// Its display name (defaults to the id).
    pub name: String,
    /// Delete (rather than deactivate) a user when the IdP deactivates it: the SCIM user and the
    /// membership go, and the account too when provisioning created it and it has no other
    /// membership. Default `false`.
    pub delete_on_deactivate: bool,
    /// Provisioned userNames and emails must be on a domain the organization has claimed and
    /// verified. Default `true`; turn off only for conformance testers that invent userNames.
    pub require_claimed_domain: bool,
    /// "Require users to log in using SSO": password login is refused for members (owners and
    /// admins keep it, so a broken setup never locks the organization out). Default `false`.
    pub require_sso: bool,
    /// Create a member on the first SSO login of an email on a verified domain that has no
    /// account yet (just-in-time provisioning). Default `false`: SCIM or an invitation creates
    /// members.
    pub jit_provisioning: bool,
    /// Our SP entity id and ACS URL, once set.
    pub sp: Option<SpEndpoints>,
    /// The IdP's values, once SSO is configured.
    pub idp: Option<IdpSettings>,
    /// The SP signing key pair, when AuthnRequests are to be signed.
    pub sp_signing_key: Option<SpSigningKey>,
    /// The SP decryption key pairs (feature `encrypted-assertions`): with one, the IdP may
    /// encrypt assertions for its certificate; two during a rotation, tried in order.
    #[cfg(feature = "encrypted-assertions")]
    pub sp_decryption_keys: crate::saml::SpDecryptionKeys,
    /// The stored version (0 before the record is first stored): every write increments it, and
    /// [`OrgSettings::update_organization`](crate::store::OrgSettings::update_organization)
    /// writes only over the version it read.
    pub version: u64,
}

impl Organization {
    /// An organization with the default settings.
    pub fn new(id: OrgId) -> Organization {
        Organization {
            name: id.as_str().to_owned(),
            id,
            delete_on_deactivate: false,
            require_claimed_domain: true,
            require_sso: false,
            jit_provisioning: false,
            sp: None,
            idp: None,
            sp_signing_key: None,
            #[cfg(feature = "encrypted-assertions")]
            sp_decryption_keys: crate::saml::SpDecryptionKeys::default(),
            version: 0,
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

    /// Sets [`name`](Organization::name).
    pub fn with_name(mut self, name: impl Into<String>) -> Organization {
        self.name = name.into();
        self
    }

    /// Sets [`require_sso`](Organization::require_sso).
    pub fn with_require_sso(mut self, on: bool) -> Organization {
        self.require_sso = on;
        self
    }

    /// Sets [`jit_provisioning`](Organization::jit_provisioning).
    pub fn with_jit_provisioning(mut self, on: bool) -> Organization {
        self.jit_provisioning = on;
        self
    }

    /// Sets [`sp`](Organization::sp).
    pub fn with_sp(mut self, sp: SpEndpoints) -> Organization {
        self.sp = Some(sp);
        self
    }

    /// Sets [`idp`](Organization::idp).
    pub fn with_idp(mut self, idp: IdpSettings) -> Organization {
        self.idp = Some(idp);
        self
    }

    /// Sets [`sp_signing_key`](Organization::sp_signing_key).
    pub fn with_sp_signing_key(mut self, key: SpSigningKey) -> Organization {
        self.sp_signing_key = Some(key);
        self
    }

    /// Sets [`sp_decryption_keys`](Organization::sp_decryption_keys).
    #[cfg(feature = "encrypted-assertions")]
    pub fn with_sp_decryption_keys(mut self, keys: crate::saml::SpDecryptionKeys) -> Organization {
        self.sp_decryption_keys = keys;
        self
    }

    /// Our SP metadata for this organization (its endpoints, the signing key's and the
    /// decryption keys' certificates): `None` until our entity id and ACS URL are set.
    pub fn sp_metadata(&self) -> Option<String> {
        let sp = self.sp.as_ref()?;
        let md = SpMetadata::new(sp).signing_key(self.sp_signing_key.as_ref());
        #[cfg(feature = "encrypted-assertions")]
        let md = md.decryption_keys(&self.sp_decryption_keys);
        Some(md.to_xml())
    }

    /// The organization's [`SsoConfig`]: `None` until both our values and the IdP's are set.
    pub fn sso_config(&self) -> Option<Result<SsoConfig, ConfigError>> {
        match (&self.sp, &self.idp) {
            (Some(sp), Some(idp)) => Some(idp.sso_config(sp)),
            _ => None,
        }
    }
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

/// A page of groups and the total count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupPage {
    /// The groups of the page.
    pub groups: Vec<ScimGroup>,
    /// How many groups matched.
    pub total: usize,
}

/// Sorting of a query.
#[derive(Clone, Debug, PartialEq)]
pub struct Sort {
    /// The attribute to sort by.
    pub by: AttrPath,
    /// Descending instead of ascending.
    pub descending: bool,
}

/// A list query: optional filter and sort, the page (0-based `start`, `count`), and how much
/// work the store may do for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// Only resources matching this filter.
    pub filter: Option<Filter>,
    /// The order; `None` is the default order (creation, then id).
    pub sort: Option<Sort>,
    /// The first result, 0-based.
    pub start: usize,
    /// At most this many results.
    pub count: usize,
    /// The most resources the store may examine for this query (candidates an index gave, or
    /// every resource of the organization when no index serves the filter or the sort). A query
    /// that needs more is answered with [`TooMany`] instead, after examining at most this many
    /// plus one batch.
    pub max_examined: usize,
}

impl Query {
    /// A query with no filter or sort, for `count` resources from `start`, and no work bound
    /// (`max_examined` = `usize::MAX`; the SCIM service always sets one).
    pub fn page(start: usize, count: usize) -> Query {
        Query {
            filter: None,
            sort: None,
            start,
            count,
            max_examined: usize::MAX,
        }
    }

    /// With this filter.
    pub fn filtered(mut self, filter: Filter) -> Query {
        self.filter = Some(filter);
        self
    }

    /// With this bound on the resources examined.
    pub fn examining_at_most(mut self, max_examined: usize) -> Query {
        self.max_examined = max_examined;
        self
    }
}

/// A query the store did not answer: it would have examined more than
/// [`Query::max_examined`] resources (the SCIM service answers 400 `tooMany`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("answering the query would examine more than {limit} resources")]
pub struct TooMany {
    /// The bound that was reached.
    pub limit: usize,
}

/// A page of users and the total count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPage {
    /// The users of the page, in default order.
    pub users: Vec<ScimUser>,
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
    fn email_keys_are_trimmed_and_case_insensitive() {
        assert_eq!(email_key("  Bob@Example.com ").as_str(), "bob@example.com");
    }
}
