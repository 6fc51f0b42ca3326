//! SCIM errors (RFC 7644 section 3.12): a status, a `scimType` keyword and a detail for humans.

use serde_json::json;

use super::http::ScimResponse;
use super::urn::ERROR_SCHEMA;

/// An error answered to a SCIM client.
///
/// Every error carries a `scimType` keyword: the RFC 7644 keywords (`invalidFilter`, `tooMany`,
/// `uniqueness`, `mutability`, `invalidSyntax`, `invalidPath`, `noTarget`, `invalidValue`,
/// `invalidVers`, `sensitive`) where they apply, and for the other statuses a stable keyword of
/// our own (`unauthorized`, `notFound`, `methodNotAllowed`, `unsupportedMediaType`,
/// `tooLarge`, `internal`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status} {scim_type}: {detail}")]
pub struct ScimError {
    status: u16,
    scim_type: &'static str,
    detail: String,
}

impl ScimError {
    pub(crate) fn new(
        status: u16,
        scim_type: &'static str,
        detail: impl Into<String>,
    ) -> ScimError {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `scimType` keyword.
    pub fn scim_type(&self) -> &'static str {
        self.scim_type
    }

    /// The human-readable detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub(crate) fn invalid_value(detail: impl Into<String>) -> ScimError {
        ScimError::new(400, "invalidValue", detail)
    }
    pub(crate) fn invalid_syntax(detail: impl Into<String>) -> ScimError {
        ScimError::new(400, "invalidSyntax", detail)
    }
    pub(crate) fn invalid_filter(detail: impl Into<String>) -> ScimError {
        ScimError::new(400, "invalidFilter", detail)
    }
    pub(crate) fn invalid_path(detail: impl Into<String>) -> ScimError {
        ScimError::new(400, "invalidPath", detail)
    }
    pub(crate) fn no_target(detail: impl Into<String>) -> ScimError {
        ScimError::new(400, "noTarget", detail)
    }
    pub(crate) fn mutability(detail: impl Into<String>) -> ScimError {
        ScimError::new(400, "mutability", detail)
    }
    pub(crate) fn too_many(detail: impl Into<String>) -> ScimError {
        ScimError::new(400, "tooMany", detail)
    }
    pub(crate) fn uniqueness(detail: impl Into<String>) -> ScimError {
        ScimError::new(409, "uniqueness", detail)
    }
    pub(crate) fn not_found(detail: impl Into<String>) -> ScimError {
        ScimError::new(404, "notFound", detail)
    }
    pub(crate) fn unauthorized(detail: impl Into<String>) -> ScimError {
        ScimError::new(401, "unauthorized", detail)
    }
    pub(crate) fn internal() -> ScimError {
        ScimError::new(
            500,
            "internal",
            "the service could not complete the request; nothing was changed",
        )
    }

    /// The error as a SCIM response (`application/scim+json` error body).
    pub fn to_response(&self) -> ScimResponse {
        let body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "scimType": self.scim_type,
            "detail": self.detail,
        });
        let mut r = ScimResponse::json(self.status, &body);
        if self.status == 401 {
            r.headers
                .push(("WWW-Authenticate", "Bearer realm=\"SCIM\"".to_owned()));
        }
        r
    }
}

impl From<crate::resource::FilterError> for ScimError {
    fn from(e: crate::resource::FilterError) -> ScimError {
        ScimError::new(400, e.scim_type(), e.detail())
    }
}
