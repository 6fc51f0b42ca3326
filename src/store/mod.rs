//! Storage: the ports the crate calls (see [`ports`](self#ports)), the records they carry, the
//! stores the crate ships, and the conformance suite.
//!
//! The host keeps its own database: implement the ports it needs over it, run the
//! [`conformance`] suite against the implementation, and every rule of the crate holds. The
//! crate ships [`MemoryStore`] (embedded, for one process, tests and demos).
//!
//! # Ports
//! | port | what | who calls it |
//! |---|---|---|
//! | [`OrgSettings`] | an organization's settings | the SCIM service on every request |
//! | [`DomainClaims`] | domain claims, at most one verified per domain | SCIM rules, SSO, the admin |
//! | [`ScimTokens`] | SCIM bearer tokens, as hashes | SCIM authentication, the admin |
//! | [`Accounts`] | the host's accounts by email, and memberships | SCIM rules (read), the host (write) |
//! | [`ScimDirectory`] | SCIM users and groups, with their accounts in one transaction | the SCIM service |
//! | [`ReplayCache`](crate::ReplayCache) | consumed assertion ids | [`PendingLogin::consume`](crate::PendingLogin::consume) |
//!
//! [`ScimStore`] names all the ports the SCIM service needs. Every port shares the [`Storage`]
//! error type; keys reach a store already normalized, as types ([`UserNameKey`], [`EmailKey`],
//! [`DomainName`]) that only the crate's key functions make.

mod claims;
mod hits;
mod memory;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod org_codec;
mod ports;
#[cfg(feature = "postgres")]
mod postgres;
mod records;
mod shared;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql_rows;
#[cfg(feature = "sqlite")]
mod sqlite;

pub mod conformance;

pub use crate::domain::DomainName;
pub use crate::resource::{
    group_name_key, user_name_key, AccountId, Email, Enterprise, GroupNameKey, InvalidId, Manager,
    OrgId, ScimGroup, ScimUser, UserNameKey,
};
pub use claims::{ClaimConflict, ClaimStatus, DomainClaim};
pub use memory::{MemoryStore, MemoryStoreError, SCAN_BATCH};
pub use ports::{
    Accounts, DomainClaims, OrgSettings, ScimDirectory, ScimStore, ScimTokens, Storage,
};
#[cfg(feature = "postgres")]
pub use postgres::{PostgresError, PostgresOptions, PostgresStore};
pub use records::{
    email_key, Account, AccountLink, Conflict, EmailKey, GroupPage, Membership, OrgRole,
    Organization, Query, Sort, TokenRecord, TooMany, UserPage,
};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteError, SqliteOptions, SqliteStore};
