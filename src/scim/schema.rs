//! Discovery documents (RFC 7643 sections 5-7): what this service really supports, narrowed to
//! the attributes it stores.

use serde_json::{json, Value};

use super::model::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, LIST_SCHEMA, USER_SCHEMA};

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RT_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// Most resources one list response returns.
pub(crate) const MAX_RESULTS: usize = 200;

struct A {
    name: &'static str,
    kind: &'static str,
    multi: bool,
    required: bool,
    case_exact: bool,
    mutability: &'static str,
    uniqueness: &'static str,
    description: &'static str,
    sub: Vec<A>,
    reference_types: &'static [&'static str],
}

fn a(name: &'static str, kind: &'static str, description: &'static str) -> A {
    A {
        name,
        kind,
        multi: false,
        required: false,
        case_exact: false,
        mutability: "readWrite",
        uniqueness: "none",
        description,
        sub: Vec::new(),
        reference_types: &[],
    }
}

impl A {
    fn required(mut self) -> A {
        self.required = true;
        self
    }
    fn exact(mut self) -> A {
        self.case_exact = true;
        self
    }
    fn multi(mut self) -> A {
        self.multi = true;
        self
    }
    fn read_only(mut self) -> A {
        self.mutability = "readOnly";
        self
    }
    fn unique(mut self, u: &'static str) -> A {
        self.uniqueness = u;
        self
    }
    fn sub(mut self, s: Vec<A>) -> A {
        self.sub = s;
        self
    }
    fn immutable(mut self) -> A {
        self.mutability = "immutable";
        self
    }
    fn references(mut self, types: &'static [&'static str]) -> A {
        self.reference_types = types;
        self
    }
    fn json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": self.kind,
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
            "mutability": self.mutability,
            "returned": "default",
        });
        if self.kind == "string" || self.kind == "reference" {
            v["caseExact"] = json!(self.case_exact);
            v["uniqueness"] = json!(self.uniqueness);
        }
        if !self.sub.is_empty() {
            v["subAttributes"] = Value::Array(self.sub.iter().map(A::json).collect());
        }
        if !self.reference_types.is_empty() {
            v["referenceTypes"] = json!(self.reference_types);
        }
        v
    }
}

fn user_attributes() -> Vec<A> {
    vec![
        a("userName", "string", "Unique identifier for the user in this organization, an email on a claimed domain; compared case-insensitively.").required().unique("server"),
        a("name", "complex", "The user's name.").sub(vec![
            a("givenName", "string", "Given (first) name.").required(),
            a("familyName", "string", "Family (last) name.").required(),
            a("formatted", "string", "The full name, formatted for display."),
        ]).required(),
        a("displayName", "string", "The name displayed to end users."),
        a("locale", "string", "Default location for localization, e.g. en-US."),
                a("active", "boolean", "Whether the user may use the organization; false deactivates (or deletes, by organization setting). Defaults to true on creation; cannot be removed.").required(),
        a("emails", "complex", "Email addresses; the primary (else the first) is the account's email and must be on a claimed domain.").multi().required().sub(vec![
            a("value", "string", "The email address.").required(),
            a("type", "string", "work, home or other."),
                        a("primary", "boolean", "Whether this is the primary email."),
        ]),
        a("groups", "complex", "The groups the user is a direct member of (change membership through /Groups).").multi().read_only().sub(vec![
            a("value", "string", "The group's id.").exact().read_only(),
            a("display", "string", "The group's displayName.").read_only(),
            a("type", "string", "Always direct.").read_only(),
                        a("$ref", "reference", "The group's URI.").read_only().references(&["Group"]),
        ]),
    ]
}

fn group_attributes() -> Vec<A> {
    vec![
        a(
            "displayName",
            "string",
            "The group's name, unique in the organization (case-insensitively).",
        )
        .required()
        .unique("server"),
        a(
            "members",
            "complex",
            "The group's members: users of the organization.",
        )
        .multi()
        .sub(vec![
            a("value", "string", "The member's user id.")
                .exact()
                .required()
                .immutable(),
            a(
                "$ref",
                "reference",
                "The member's URI (ignored on input: members are identified by value).",
            )
            .immutable()
            .references(&["User"]),
        ]),
    ]
}

fn enterprise_attributes() -> Vec<A> {
    vec![
        a("employeeNumber", "string", "Employee number."),
        a("costCenter", "string", "Cost center."),
        a("organization", "string", "Organization."),
        a("division", "string", "Division."),
        a("department", "string", "Department."),
        a("manager", "complex", "The user's manager.").sub(vec![
            a("value", "string", "The manager's id.").exact(),
            a("displayName", "string", "The manager's display name.").read_only(),
        ]),
    ]
}

fn schema_doc(base: &str, id: &str, name: &str, description: &str, attrs: Vec<A>) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attrs.iter().map(A::json).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

/// Every schema document.
pub(crate) fn schemas(base: &str) -> Vec<Value> {
    vec![
        schema_doc(
            base,
            USER_SCHEMA,
            "User",
            "User account (narrowed to the attributes this service stores)",
            user_attributes(),
        ),
        schema_doc(
            base,
            ENTERPRISE_SCHEMA,
            "EnterpriseUser",
            "Enterprise user",
            enterprise_attributes(),
        ),
        schema_doc(
            base,
            GROUP_SCHEMA,
            "Group",
            "Group of users (narrowed to the attributes this service stores)",
            group_attributes(),
        ),
    ]
}

/// Every resource type document.
pub(crate) fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RT_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User account",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": false}],
                    "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": [RT_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Group of users",
            "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

/// The service provider configuration.
pub(crate) fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://docs.rs/sso-scim",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
                "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A bearer token generated by an organization admin (Authorization: Bearer <token>)",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

/// A ListResponse of documents (discovery lists are never paged).
pub(crate) fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}
