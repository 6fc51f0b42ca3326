//! SCIM resources as the host and every store see them, below both the SCIM service and the
//! stores (this module imports neither):
//!
//! - [`ScimUser`] and [`ScimGroup`], the records, with their identifiers ([`OrgId`],
//!   [`AccountId`]) and the key functions uniqueness is computed with ([`user_name_key`],
//!   [`group_name_key`]);
//! - one declarative attribute table per resource ([`USER`], [`ENTERPRISE_USER`], [`GROUP`]):
//!   discovery, filters, sorting and projection read it, so they cannot disagree;
//! - the filter and PATCH-path syntax ([`Filter`], [`parse_filter`], [`parse_patch_path`]) and
//!   its evaluation over typed records ([`user_matches`], [`group_matches`]).

mod eval;
mod filter;
mod group;
mod ids;
mod keys;
mod schema;
mod user;

pub(crate) use eval::{check_types, compare as compare_value, sort_by_key, SortKey, Val};
pub use filter::{
    parse_filter, parse_patch_path, AttrPath, CompValue, CompareOp, Filter, FilterError, PatchPath,
    MAX_DEPTH, MAX_FILTER_LEN, MAX_LOGICAL_OPERATORS,
};
pub(crate) use group::group_sort_key;
pub use group::{group_matches, group_name_key, GroupNameKey, ScimGroup};
pub use ids::{AccountId, InvalidId, OrgId};
pub use keys::{user_name_key, UserNameKey};
pub use schema::{
    lookup, AttrDef, AttrType, Mutability, Returned, SchemaDef, ENTERPRISE_SCHEMA, ENTERPRISE_USER,
    GROUP, GROUP_SCHEMA, USER, USER_SCHEMA,
};
pub(crate) use user::user_sort_key;
pub use user::{user_matches, Email, Enterprise, Manager, ScimUser};

/// The weak entity tag of a resource version (`W/"3"`), as `meta.version` and `ETag` carry it.
pub(crate) fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}
