//! The store ports: small traits, each with its contract, that the crate calls. A host
//! implements only the ports it uses (an SSO-only host: the replay cache and the AuthnRequest
//! ids of [`crate::saml`]); one type may implement all of them.
//!
//! Every method is async (`fn m(&self, ..) -> impl Future<Output = ..> + Send`, used as a
//! generic, never `dyn`) and returns `Err` only when storage itself fails: the crate then answers
//! with an error and changes nothing else. A rule the store refused to break is
//! `Ok(Err(Conflict))`.

use std::future::Future;

use super::claims::{ClaimConflict, DomainClaim};
use super::records::{
    Account, AccountLink, Conflict, EmailKey, GroupPage, Membership, Organization, Query,
    TokenRecord, TooMany, UserPage,
};
use crate::domain::DomainName;
use crate::resource::{AccountId, OrgId, ScimGroup, ScimUser, UserNameKey};
use crate::time::Timestamp;

/// What every port shares: the store's error type, which reaches the host as it is.
pub trait Storage: Send + Sync {
    /// The storage failure type.
    type Error: std::error::Error + Send + Sync + 'static;
}

/// An organization's settings ([`Organization`]), which the SCIM rules consult on every request.
///
/// # Contract
/// - `put_organization` creates or replaces the whole record, atomically; `organization` returns
///   the last one written (read-your-writes, also across replicas sharing one store).
/// - Every write stores [`Organization::version`] one above the stored one (1 for a new
///   record); [`update_organization`](OrgSettings::update_organization) writes only over the
///   version it expects (compare-and-set), so concurrent changes are never lost.
pub trait OrgSettings: Storage {
    /// An organization's settings.
    fn organization(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<Option<Organization>, Self::Error>> + Send;

    /// Creates or replaces an organization's settings (whatever is stored).
    fn put_organization(
        &self,
        org: &Organization,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Replaces organization `org.id` if its stored version is `expected_version`, storing
    /// `org` with version `expected_version + 1`. [`Conflict::NotFound`] when there is none,
    /// [`Conflict::Version`] when it changed meanwhile; then nothing changes.
    fn update_organization(
        &self,
        org: &Organization,
        expected_version: u64,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send;
}

/// Domain claims ([`DomainClaim`]): which organization is proving or has proved which domain.
///
/// # Contract
/// - At most one claim per (organization, domain); any number of organizations may hold a
///   pending or revoked claim of one domain.
/// - **At most one organization holds a verified claim of a domain**, enforced by the store
///   itself (a unique key on verified claims, never check-then-write): of concurrent writes
///   making two organizations' claims verified, exactly one succeeds and the others get
///   [`ClaimConflict::VerifiedByOther`].
/// - Writes are compare-and-set on [`DomainClaim::version`]; a refused write changes nothing.
/// - [`verified_owner`](DomainClaims::verified_owner) reads the latest write (read-your-writes,
///   across replicas sharing one store): a revocation takes effect on the next request.
/// - Keys are [`DomainName`]s, normalized before they reach the store.
pub trait DomainClaims: Storage {
    /// Stores a new claim as given. [`ClaimConflict::Exists`] when the organization has a claim
    /// of the domain; [`ClaimConflict::VerifiedByOther`] when `claim` is verified and another
    /// organization's verified claim exists.
    fn insert_claim(
        &self,
        claim: &DomainClaim,
    ) -> impl Future<Output = Result<Result<(), ClaimConflict>, Self::Error>> + Send;

    /// Replaces `claim.org`'s claim of `claim.domain` if its stored version is
    /// `expected_version`, storing `claim` with version `expected_version + 1`. Conflicts:
    /// [`ClaimConflict::NotFound`], [`ClaimConflict::Version`],
    /// [`ClaimConflict::VerifiedByOther`].
    fn update_claim(
        &self,
        claim: &DomainClaim,
        expected_version: u64,
    ) -> impl Future<Output = Result<Result<(), ClaimConflict>, Self::Error>> + Send;

    /// `org`'s claim of `domain`, in any status.
    fn claim(
        &self,
        org: &OrgId,
        domain: &DomainName,
    ) -> impl Future<Output = Result<Option<DomainClaim>, Self::Error>> + Send;

    /// Every claim of `org`, sorted by domain.
    fn claims(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<Vec<DomainClaim>, Self::Error>> + Send;

    /// The organization holding a verified claim of `domain`, if any. Called on every SSO login
    /// and SCIM write: O(1) or O(log n).
    fn verified_owner(
        &self,
        domain: &DomainName,
    ) -> impl Future<Output = Result<Option<OrgId>, Self::Error>> + Send;

    /// Deletes `org`'s claim of `domain`; `false` when there was none.
    fn delete_claim(
        &self,
        org: &OrgId,
        domain: &DomainName,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;
}

/// SCIM bearer tokens, stored as hashes ([`TokenRecord`]); the token itself is never stored.
///
/// # Contract
/// - Token ids are unique; `token` finds a record by id in O(1) or O(log n) (every SCIM request
///   does this); a revoked token stays revoked.
/// - A token of one organization is never revoked or listed through another.
pub trait ScimTokens: Storage {
    /// Stores a new token record. Token ids are unique (random 128-bit).
    fn insert_token(
        &self,
        token: &TokenRecord,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The token record with this id, revoked or not.
    fn token(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<TokenRecord>, Self::Error>> + Send;

    /// Every token of `org` (revoked ones included), oldest first.
    fn tokens(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<Vec<TokenRecord>, Self::Error>> + Send;

    /// Marks `org`'s token `id` revoked; `false` when `org` has no such token. A token of another
    /// organization is never revoked through this call.
    fn revoke_token(
        &self,
        org: &OrgId,
        id: &str,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;
}

/// A narrow look at the host's accounts (its user table) and their memberships.
///
/// # Contract
/// - An email belongs to **at most one account** across organizations, by [`EmailKey`], enforced
///   by the store's own unique key.
/// - `create_account` and `put_membership` are the host's (sign-up, invitation, role change);
///   the crate only reads through this port, and writes accounts only through
///   [`ScimDirectory`], in the same transaction as the directory change.
pub trait Accounts: Storage {
    /// The account whose email has this [`email_key`](crate::store::email_key).
    fn account_by_email(
        &self,
        key: &EmailKey,
    ) -> impl Future<Output = Result<Option<Account>, Self::Error>> + Send;

    /// The membership of `account` in `org`.
    fn membership(
        &self,
        org: &OrgId,
        account: &AccountId,
    ) -> impl Future<Output = Result<Option<Membership>, Self::Error>> + Send;

    /// Creates an account (outside SCIM: sign-up, invitation). Conflicts with [`Conflict::Email`]
    /// when an account has that email (compared by [`email_key`](crate::store::email_key)).
    fn create_account(
        &self,
        account: &Account,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send;

    /// The account with this id.
    fn account(
        &self,
        id: &AccountId,
    ) -> impl Future<Output = Result<Option<Account>, Self::Error>> + Send;

    /// Creates or replaces the membership of an existing account (invitation, role change by an
    /// admin). [`Conflict::NotFound`] when the account does not exist.
    fn put_membership(
        &self,
        org: &OrgId,
        account: &AccountId,
        membership: &Membership,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send;
}

/// The SCIM directory: users and groups, scoped by organization. A directory also keeps the
/// accounts its users are linked to ([`Accounts`] is a supertrait): creating a user can create
/// its account and membership, deleting one removes the membership, and each such change
/// **commits in one transaction** with the directory write, or not at all.
///
/// # Contract
/// - **Atomic create-if-absent**: [`create_user`](ScimDirectory::create_user) stores the user
///   (and, for a new account, the account and its membership) or nothing, and reports a
///   [`Conflict`].
/// - **userName is unique per organization, case-insensitively**, by [`UserNameKey`]; group
///   displayNames likewise by [`GroupNameKey`](crate::resource::GroupNameKey).
/// - **Updates are all-or-nothing and versioned**: they apply only when the stored version is the
///   expected one.
/// - **Nothing crosses organizations**: every read and write is scoped by [`OrgId`].
/// - Lookups by id and by userName key, and default-order pages, never scan; a filter no index
///   serves may.
pub trait ScimDirectory: Accounts {
    /// Atomically creates `user` in `user.org`, linked to an account:
    /// - [`AccountLink::Existing`]: the account must exist ([`Conflict::NotFound`]), be a member
    ///   of the organization ([`Conflict::NotMember`]) and not be linked to another SCIM user of it
    ///   ([`Conflict::AccountLinked`]);
    /// - [`AccountLink::New`]: the account is created ([`Conflict::Email`] if its email is taken)
    ///   with a `member` membership.
    ///
    /// The membership's `active` flag follows `user.active`. [`Conflict::UserName`] when the
    /// organization has a user with the same [`user_name_key`](crate::resource::user_name_key). On any conflict nothing is stored.
    fn create_user(
        &self,
        user: &ScimUser,
        link: &AccountLink,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send;

    /// The user `id` of `org`.
    fn user(
        &self,
        org: &OrgId,
        id: &str,
    ) -> impl Future<Output = Result<Option<ScimUser>, Self::Error>> + Send;

    /// The user of `org` whose userName has this [`user_name_key`](crate::resource::user_name_key). Never a scan.
    fn user_by_user_name(
        &self,
        org: &OrgId,
        key: &UserNameKey,
    ) -> impl Future<Output = Result<Option<ScimUser>, Self::Error>> + Send;

    /// Atomically replaces the user `user.id` of `user.org` if its stored version is
    /// `expected_version`, storing `user` with version `expected_version + 1`; updates the linked
    /// account's email to `account_email` and the membership's `active` flag to `user.active`.
    /// Conflicts: [`Conflict::NotFound`], [`Conflict::Version`], [`Conflict::UserName`],
    /// [`Conflict::Email`]; on any of them nothing changes.
    fn update_user(
        &self,
        user: &ScimUser,
        account_email: &str,
        expected_version: u64,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send;

    /// Deletes the user `id` of `org`, its group memberships, and the account's membership in
    /// `org`; with
    /// `delete_account_if_orphan`, also the account when it has no membership left and was created
    /// by provisioning. Every group the user was a member of changes with it: its version is
    /// incremented and its `last_modified` set to `now`. `false` when there was no such user.
    fn delete_user(
        &self,
        org: &OrgId,
        id: &str,
        delete_account_if_orphan: bool,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// A page of `org`'s users in the default order (creation, then id): users number
    /// `start..start + count` (0-based) and the total. Costs O(count + log n), never a scan.
    fn list_users(
        &self,
        org: &OrgId,
        start: usize,
        count: usize,
    ) -> impl Future<Output = Result<UserPage, Self::Error>> + Send;

    /// The users of `org` matching `query.filter` (all when `None`), ordered by `query.sort`
    /// (default order when `None`), paged, with the total number of matches. A store evaluates
    /// the filter as it likes (indexes, a query language, or a scan with
    /// [`crate::resource::user_matches`]) but must return exactly the users that function
    /// accepts.
    ///
    /// **Bounded and never stalling**: a store examines at most [`Query::max_examined`]
    /// resources (plus one batch) and answers [`TooMany`] past that; a scan proceeds in batches
    /// and holds no lock, reader or connection that other requests wait on between them (a
    /// query future that is not polled delays nothing else).
    fn query_users(
        &self,
        org: &OrgId,
        query: &Query,
    ) -> impl Future<Output = Result<Result<UserPage, TooMany>, Self::Error>> + Send;

    /// The groups user `user_id` of `org` is a direct member of: `(group id, displayName)`.
    fn groups_of_user(
        &self,
        org: &OrgId,
        user_id: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, Self::Error>> + Send;

    /// Atomically creates `group`: [`Conflict::DisplayName`] when the organization has a group
    /// with the same [`group_name_key`](crate::resource::group_name_key), [`Conflict::UnknownMember`] when a member is not a user of
    /// the organization. On conflict nothing is stored.
    ///
    /// **A user's representation includes its groups**, so in the same transaction every member
    /// gets its version incremented and its `last_modified` set to the group's (an `ETag` a
    /// client holds for the user no longer matches).
    fn create_group(
        &self,
        group: &ScimGroup,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send;

    /// The group `id` of `org`.
    fn group(
        &self,
        org: &OrgId,
        id: &str,
    ) -> impl Future<Output = Result<Option<ScimGroup>, Self::Error>> + Send;

    /// Atomically replaces group `group.id` of `group.org` if its version is `expected_version`
    /// (storing `expected_version + 1`). Conflicts: [`Conflict::NotFound`], [`Conflict::Version`],
    /// [`Conflict::DisplayName`], [`Conflict::UnknownMember`]; on any of them nothing changes.
    /// Every user added or removed changes with it, as for
    /// [`create_group`](ScimDirectory::create_group); members that stay are untouched.
    fn update_group(
        &self,
        group: &ScimGroup,
        expected_version: u64,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send;

    /// Deletes group `id` of `org`; `false` when there was none. Its members change with it
    /// (their `groups`): as for [`update_group`](ScimDirectory::update_group), with `now` as
    /// their `last_modified`.
    fn delete_group(
        &self,
        org: &OrgId,
        id: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// The groups of `org` matching `query` (as [`ScimDirectory::query_users`], bounded the
    /// same way; filters are evaluated as [`crate::resource::group_matches`] does). The default
    /// order is creation order.
    fn query_groups(
        &self,
        org: &OrgId,
        query: &Query,
    ) -> impl Future<Output = Result<Result<GroupPage, TooMany>, Self::Error>> + Send;
}

/// Everything the SCIM service needs, in one bound.
pub trait ScimStore: ScimDirectory + ScimTokens + DomainClaims + OrgSettings {}

impl<T: ScimDirectory + ScimTokens + DomainClaims + OrgSettings> ScimStore for T {}
