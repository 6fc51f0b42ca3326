//! The framework-neutral request and response the service speaks: what any web framework can
//! build from its own request, and send back as it is.

use serde_json::Value;

use crate::resource::{AccountId, OrgId};

/// A request, as any web framework can build it.
#[derive(Clone, Copy, Debug)]
pub struct ScimRequest<'a> {
    /// The HTTP method (`GET`, `POST`, ...).
    pub method: &'a str,
    /// The request path, including the service's base path (e.g. `/scim/v2/Users/42`).
    pub path: &'a str,
    /// The raw query string without `?` (e.g. `filter=userName+eq+%22a%40b.c%22`).
    pub query: &'a str,
    /// The request headers (names case-insensitive).
    pub headers: &'a [(&'a str, &'a str)],
    /// The request body.
    pub body: &'a [u8],
}

impl<'a> ScimRequest<'a> {
    /// A request with no query, headers or body.
    pub fn new(method: &'a str, path: &'a str) -> ScimRequest<'a> {
        ScimRequest {
            method,
            path,
            query: "",
            headers: &[],
            body: &[],
        }
    }

    /// With this query string.
    pub fn query(mut self, query: &'a str) -> Self {
        self.query = query;
        self
    }

    /// With these headers.
    pub fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }

    /// With this body.
    pub fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    pub(crate) fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// A response to send as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimResponse {
    /// The HTTP status.
    pub status: u16,
    /// Headers (`Content-Type: application/scim+json` whenever there is a body).
    pub headers: Vec<(&'static str, String)>,
    /// The body (empty for 204).
    pub body: Vec<u8>,
    /// For the host's logs only, never sent: why a 500 happened.
    pub internal_error: Option<String>,
    /// What this request did that the host must act on, never sent: a user deactivated or
    /// deleted by the IdP (end that account's sessions in this organization now), or
    /// reactivated.
    pub events: Vec<ScimEvent>,
}

/// A change to a user that the host must act on (see [`ScimResponse::events`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScimEvent {
    /// The IdP deactivated the user: end its sessions in the organization; logins are refused.
    Deactivated {
        /// The organization.
        org: OrgId,
        /// The SCIM user's id.
        user_id: String,
        /// The host account it is linked to.
        account: AccountId,
    },
    /// The user was deleted (a DELETE, or a deactivation where the organization deletes):
    /// its membership is gone; end its sessions in the organization.
    Deleted {
        /// The organization.
        org: OrgId,
        /// The SCIM user's id.
        user_id: String,
        /// The host account it was linked to.
        account: AccountId,
    },
    /// The IdP reactivated the user.
    Reactivated {
        /// The organization.
        org: OrgId,
        /// The SCIM user's id.
        user_id: String,
        /// The host account it is linked to.
        account: AccountId,
    },
}

impl ScimResponse {
    pub(crate) fn json(status: u16, v: &Value) -> ScimResponse {
        ScimResponse {
            status,
            headers: vec![("Content-Type", "application/scim+json".to_owned())],
            body: serde_json::to_vec(v).unwrap_or_default(),
            internal_error: None,
            events: Vec::new(),
        }
    }

    /// A JSON body already serialized.
    pub(crate) fn json_bytes(status: u16, body: Vec<u8>) -> ScimResponse {
        ScimResponse {
            status,
            headers: vec![("Content-Type", "application/scim+json".to_owned())],
            body,
            internal_error: None,
            events: Vec::new(),
        }
    }

    pub(crate) fn empty(status: u16) -> ScimResponse {
        ScimResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            internal_error: None,
            events: Vec::new(),
        }
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> ScimResponse {
        self.headers.push((name, value));
        self
    }

    /// The value of a response header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (for tests and tools).
    pub fn json_body(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}
