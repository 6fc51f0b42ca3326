//! One declarative attribute table per resource (RFC 7643 §7): discovery (`/Schemas`), filter
//! evaluation (case-exactness, types), sorting and projection all read these tables, so what the
//! service publishes is what it does.

/// An attribute's data type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    /// `string`
    String,
    /// `boolean`
    Boolean,
    /// `dateTime`
    DateTime,
    /// `reference`
    Reference,
    /// `complex`
    Complex,
}

impl AttrType {
    /// The name RFC 7643 gives the type.
    pub fn name(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::DateTime => "dateTime",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }
}

/// Whether and how a client may change an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutability {
    /// `readOnly`: set by the service; ignored on input.
    ReadOnly,
    /// `readWrite`
    ReadWrite,
    /// `immutable`: set once.
    Immutable,
}

impl Mutability {
    /// The name RFC 7643 gives it.
    pub fn name(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
        }
    }
}

/// When an attribute is returned (RFC 7643 §7 `returned`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returned {
    /// Always, whatever `attributes` / `excludedAttributes` ask (`id`).
    Always,
    /// By default, unless excluded.
    Default,
    /// Never: accepted on input (and ignored), never answered.
    Never,
}

impl Returned {
    /// The name RFC 7643 gives it.
    pub fn name(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Default => "default",
            Returned::Never => "never",
        }
    }
}

/// An attribute definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrDef {
    /// The name, as published (`userName`); matched case-insensitively.
    pub name: &'static str,
    /// The type.
    pub kind: AttrType,
    /// Multi-valued.
    pub multi: bool,
    /// Required.
    pub required: bool,
    /// Values compare case-sensitively (strings and references only).
    pub case_exact: bool,
    /// Mutability.
    pub mutability: Mutability,
    /// `server` when unique in the organization.
    pub unique: bool,
    /// When it is returned.
    pub returned: Returned,
    /// Published description.
    pub description: &'static str,
    /// Sub-attributes of a complex attribute.
    pub sub: &'static [AttrDef],
    /// For references: the resource types referenced.
    pub reference_types: &'static [&'static str],
    /// The values the attribute takes (`canonicalValues`); empty when any value goes.
    pub canonical_values: &'static [&'static str],
    /// Published in `/Schemas` (common attributes such as `id` and `meta` are not, RFC 7643 §3.1).
    pub published: bool,
}

const fn attr(name: &'static str, kind: AttrType, description: &'static str) -> AttrDef {
    AttrDef {
        name,
        kind,
        multi: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        unique: false,
        returned: Returned::Default,
        description,
        sub: &[],
        reference_types: &[],
        canonical_values: &[],
        published: true,
    }
}

impl AttrDef {
    const fn required(mut self) -> AttrDef {
        self.required = true;
        self
    }
    const fn exact(mut self) -> AttrDef {
        self.case_exact = true;
        self
    }
    const fn multi(mut self) -> AttrDef {
        self.multi = true;
        self
    }
    const fn read_only(mut self) -> AttrDef {
        self.mutability = Mutability::ReadOnly;
        self
    }
    const fn immutable(mut self) -> AttrDef {
        self.mutability = Mutability::Immutable;
        self
    }
    const fn unique(mut self) -> AttrDef {
        self.unique = true;
        self
    }
    const fn sub(mut self, sub: &'static [AttrDef]) -> AttrDef {
        self.sub = sub;
        self
    }
    const fn references(mut self, types: &'static [&'static str]) -> AttrDef {
        self.reference_types = types;
        self
    }
    const fn canonical(mut self, values: &'static [&'static str]) -> AttrDef {
        self.canonical_values = values;
        self
    }
    const fn always(mut self) -> AttrDef {
        self.returned = Returned::Always;
        self
    }
    const fn never_returned(mut self) -> AttrDef {
        self.returned = Returned::Never;
        self
    }
    const fn common(mut self) -> AttrDef {
        self.published = false;
        self
    }

    /// The sub-attribute `name` (case-insensitively).
    pub fn sub_attribute(&self, name: &str) -> Option<&'static AttrDef> {
        self.sub.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// A schema: its URN and attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchemaDef {
    /// The schema URN.
    pub id: &'static str,
    /// Its name (`User`).
    pub name: &'static str,
    /// Published description.
    pub description: &'static str,
    /// The attributes, common ones (`id`, `externalId`, `meta`, `schemas`) included.
    pub attributes: &'static [AttrDef],
}

impl SchemaDef {
    /// The attributes returned whatever a request's `attributes` say (`id`).
    pub fn always_returned(&self) -> Vec<&'static str> {
        self.attributes
            .iter()
            .filter(|a| a.returned == Returned::Always)
            .map(|a| a.name)
            .collect()
    }

    /// The attribute `name` (case-insensitively).
    pub fn attribute(&self, name: &str) -> Option<&'static AttrDef> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension.
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

use AttrType::{Boolean, Complex, DateTime, Reference, String as Str};

const META: AttrDef = attr("meta", Complex, "Resource metadata.")
    .read_only()
    .common()
    .sub(&[
        attr("resourceType", Str, "The resource type.")
            .exact()
            .read_only(),
        attr("created", DateTime, "When the resource was created.").read_only(),
        attr("lastModified", DateTime, "When it was last changed.").read_only(),
        attr("location", Reference, "Its URI.").exact().read_only(),
        attr("version", Str, "Its version (weak entity tag).")
            .exact()
            .read_only(),
    ]);
const ID: AttrDef = attr("id", Str, "Server-issued identifier.")
    .exact()
    .read_only()
    .always()
    .common();
const EXTERNAL_ID: AttrDef = attr("externalId", Str, "The IdP's identifier.")
    .exact()
    .common();
const SCHEMAS: AttrDef = attr("schemas", Reference, "The resource's schema URNs.")
    .exact()
    .multi()
    .read_only()
    .common();

/// The User resource (narrowed to what is stored).
pub static USER: SchemaDef = SchemaDef {
    id: USER_SCHEMA,
    name: "User",
    description: "User account (narrowed to the attributes this service stores)",
    attributes: &[
        SCHEMAS,
        ID,
        EXTERNAL_ID,
        attr("userName", Str, "Unique identifier for the user in this organization, an email on a claimed domain; compared case-insensitively.").required().unique(),
        attr("name", Complex, "The user's name.").required().sub(&[
            attr("givenName", Str, "Given (first) name.").required(),
            attr("familyName", Str, "Family (last) name.").required(),
            attr("formatted", Str, "The full name, formatted for display."),
        ]),
        attr("displayName", Str, "The name displayed to end users."),
        attr("locale", Str, "Default location for localization, e.g. en-US."),
        attr("active", Boolean, "Whether the user may use the organization; false deactivates (or deletes, by organization setting). Defaults to true on creation; cannot be removed.").required(),
        attr("emails", Complex, "Email addresses; the primary (else the first) is the account's email and must be on a claimed domain.").multi().required().sub(&[
            attr("value", Str, "The email address.").required(),
            attr("type", Str, "work, home or other."),
            attr("primary", Boolean, "Whether this is the primary email."),
        ]),
        attr("groups", Complex, "The groups the user is a direct member of (change membership through /Groups).").multi().read_only().sub(&[
            attr("value", Str, "The group's id.").exact().read_only(),
            attr("display", Str, "The group's displayName.").read_only(),
            attr("type", Str, "Always direct.").read_only(),
            attr("$ref", Reference, "The group's URI.").read_only().references(&["Group"]),
        ]),
        META,
    ],
};

/// The enterprise User extension.
pub static ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: ENTERPRISE_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise user",
    attributes: &[
        attr("employeeNumber", Str, "Employee number."),
        attr("costCenter", Str, "Cost center."),
        attr("organization", Str, "Organization."),
        attr("division", Str, "Division."),
        attr("department", Str, "Department."),
        attr("manager", Complex, "The user's manager.").sub(&[
            attr("value", Str, "The manager's id.").exact(),
            attr("displayName", Str, "The manager's display name.").read_only(),
        ]),
    ],
};

/// The Group resource.
pub static GROUP: SchemaDef = SchemaDef {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "Group of users (narrowed to the attributes this service stores)",
    attributes: &[
        SCHEMAS,
        ID,
        EXTERNAL_ID,
        attr(
            "displayName",
            Str,
            "The group's name, unique in the organization (case-insensitively).",
        )
        .required()
        .unique(),
        attr(
            "members",
            Complex,
            "The group's members: users of the organization.",
        )
        .multi()
        .sub(&[
            attr("value", Str, "The member's user id.")
                .exact()
                .required()
                .immutable(),
            attr(
                "$ref",
                Reference,
                "The member's URI (ignored on input: members are identified by value).",
            )
            .immutable()
            .references(&["User"]),
            attr(
                "type",
                Str,
                "The member's resource type: User (members are users; any other type is refused).",
            )
            .exact()
            .immutable()
            .canonical(&["User"]),
            attr(
                "display",
                Str,
                "The member's display name: accepted and ignored on input (the user's own attributes are authoritative), never returned.",
            )
            .read_only()
            .never_returned(),
        ]),
        META,
    ],
};

/// The definition an attribute path names in `core` or one of its `extensions`: the top-level
/// attribute and, for `a.b`, the sub-attribute. A schema URN on the path selects the schema.
pub fn lookup(
    core: &'static SchemaDef,
    extensions: &[&'static SchemaDef],
    schema: Option<&str>,
    attr: &str,
    sub: Option<&str>,
) -> Option<(
    &'static SchemaDef,
    &'static AttrDef,
    Option<&'static AttrDef>,
)> {
    // An unqualified name is a core attribute; an extension's attributes need its URN.
    let s = match schema {
        Some(urn) => std::iter::once(core)
            .chain(extensions.iter().copied())
            .find(|s| s.id.eq_ignore_ascii_case(urn))?,
        None => core,
    };
    let a = s.attribute(attr)?;
    match sub {
        Some(name) => Some((s, a, Some(a.sub_attribute(name)?))),
        None => Some((s, a, None)),
    }
}
