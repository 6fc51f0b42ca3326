//! The SCIM Group: [`ScimGroup`] and its attribute table.

use super::etag;
use super::eval::{matches, sort_key, Item, Obj, Resource, SortKey, Val};
use super::filter::{AttrPath, Filter};
use super::ids::OrgId;
use super::schema::{AttrDef, SchemaDef, GROUP};
use crate::time::Timestamp;

/// A SCIM group of an organization, as every store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimGroup {
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

/// The key under which a group's displayName is unique in an organization (Unicode lowercase);
/// only [`group_name_key`] makes one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupNameKey(String);

impl GroupNameKey {
    /// The key, as stores index it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The [`GroupNameKey`] of a displayName.
pub fn group_name_key(display_name: &str) -> GroupNameKey {
    GroupNameKey(display_name.to_lowercase())
}

impl Resource for ScimGroup {
    fn schema(&self) -> &'static SchemaDef {
        &GROUP
    }

    fn extensions(&self) -> &'static [&'static SchemaDef] {
        &[]
    }

    fn items<'s>(
        &'s self,
        _schema: &'static SchemaDef,
        attr: &'static AttrDef,
        out: &mut Vec<Item<'s>>,
    ) {
        match attr.name {
            "schemas" => out.push(Item::Val(Val::Str(GROUP.id))),
            "id" => out.push(Item::Val(Val::Str(&self.id))),
            "externalId" => out.extend(self.external_id.as_deref().map(|v| Item::Val(Val::Str(v)))),
            "displayName" => out.push(Item::Val(Val::Str(&self.display_name))),
            "members" => out.extend(
                self.members
                    .iter()
                    .map(|m| Item::Obj(Obj([Some(Val::Str(m)), None, None, None, None]))),
            ),
            "meta" => out.push(Item::Obj(Obj([
                Some(Val::Str("Group")),
                Some(Val::Time(self.created)),
                Some(Val::Time(self.last_modified)),
                None,
                Some(Val::Owned(etag(self.version))),
            ]))),
            _ => {}
        }
    }
}

/// Does `group` match `filter`? As [`user_matches`](super::user_matches), with the types and
/// `caseExact` of [`GROUP`] (ids and `members.value` exactly, `displayName` not).
pub fn group_matches(filter: &Filter, group: &ScimGroup) -> bool {
    matches(filter, group)
}

/// The sort key of `group` for `path`.
pub(crate) fn group_sort_key(group: &ScimGroup, path: &AttrPath) -> Option<SortKey> {
    sort_key(group, path)
}
