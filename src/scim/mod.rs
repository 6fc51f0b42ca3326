//! SCIM 2.0 provisioning (RFC 7643/7644) for every organization of the host, behind each
//! organization's bearer tokens, with the organization rules of the product:
//!
//! - a provisioned user joins as a *member*; a later role change by an admin survives updates;
//! - userName and the primary email must be on a domain the organization has claimed;
//! - an account with that email that exists and is not a member gives 409 (invite it first);
//! - a user the organization provisioned and deactivated, created again, is restored;
//! - `active=false` deactivates, or deletes where the organization's setting says so.
//!
//! [`ScimService::handle`] takes a framework-neutral [`ScimRequest`] and returns a
//! [`ScimResponse`]; see `examples/scim_server.rs` for an axum adapter in a dozen lines.

mod error;
mod groups;
mod http;
mod json;
mod json_filter;
mod model;
mod patch;
mod primary;
mod query;
mod routes;
mod schema;
mod service;
mod token;
mod urn;
mod user_writer;
mod users;

pub use crate::resource::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
pub use error::{ScimError, ScimErrorKind};
pub use service::{
    AdminError, Authorized, BaseUrlError, ScimEvent, ScimRequest, ScimResponse, ScimService,
    Served, DEFAULT_SCAN_WORK, MAX_BODY_BYTES,
};
pub use token::GeneratedToken;
pub use urn::{ERROR_SCHEMA, LIST_SCHEMA, PATCH_SCHEMA, SEARCH_SCHEMA};
