//! SCIM errors (RFC 7644 section 3.12): a status, a `scimType` keyword and a detail for humans.

use serde_json::json;

use super::http::ScimResponse;
use super::urn::ERROR_SCHEMA;

/// What went wrong, as SCIM answers it: each kind knows its HTTP status and `scimType`.
///
/// The RFC 7644 §3.12 keywords where they apply; for the other statuses a stable keyword of our
/// own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScimErrorKind {
    /// 400 `invalidValue`: a value is missing, malformed or not allowed.
    InvalidValue,
    /// 400 `invalidSyntax`: the request body is not what the endpoint reads.
    InvalidSyntax,
    /// 400 `invalidFilter`: the filter is malformed or compares what it cannot.
    InvalidFilter,
    /// 400 `invalidPath`: the PATCH path is malformed or names nothing known.
    InvalidPath,
    /// 400 `noTarget`: a PATCH path's filter matched nothing.
    NoTarget,
    /// 400 `mutability`: a read-only or immutable attribute was to change.
    Mutability,
    /// 400 `tooMany`: the request asks for more than the service does at once.
    TooMany,
    /// 409 `uniqueness`: the resource (or its email) exists.
    Uniqueness,
    /// 409 `invalidVers`: the resource changed concurrently.
    InvalidVers,
    /// 401 `unauthorized`: no valid bearer token.
    Unauthorized,
    /// 403 `forbidden`: what the request asks is refused (a filter on a discovery endpoint).
    Forbidden,
    /// 404 `notFound`.
    NotFound,
    /// 405 `methodNotAllowed` (with `Allow`).
    MethodNotAllowed,
    /// 412 `preconditionFailed`: `If-Match` names another version.
    PreconditionFailed,
    /// 413 `tooLarge`: the body is over the limit.
    TooLarge,
    /// 415 `unsupportedMediaType`.
    UnsupportedMediaType,
    /// 500 `internal`: storage or the system failed; nothing was changed.
    Internal,
    /// 501 `notImplemented`: the endpoint is not implemented (`/Me`).
    NotImplemented,
}

impl ScimErrorKind {
    /// The HTTP status.
    pub fn status(self) -> u16 {
        use ScimErrorKind::*;
        match self {
            InvalidValue | InvalidSyntax | InvalidFilter | InvalidPath | NoTarget | Mutability
            | TooMany => 400,
            Unauthorized => 401,
            Forbidden => 403,
            NotFound => 404,
            MethodNotAllowed => 405,
            Uniqueness | InvalidVers => 409,
            PreconditionFailed => 412,
            TooLarge => 413,
            UnsupportedMediaType => 415,
            Internal => 500,
            NotImplemented => 501,
        }
    }

    /// The `scimType` keyword.
    pub fn scim_type(self) -> &'static str {
        use ScimErrorKind::*;
        match self {
            InvalidValue => "invalidValue",
            InvalidSyntax => "invalidSyntax",
            InvalidFilter => "invalidFilter",
            InvalidPath => "invalidPath",
            NoTarget => "noTarget",
            Mutability => "mutability",
            TooMany => "tooMany",
            Uniqueness => "uniqueness",
            InvalidVers => "invalidVers",
            Unauthorized => "unauthorized",
            Forbidden => "forbidden",
            NotFound => "notFound",
            MethodNotAllowed => "methodNotAllowed",
            PreconditionFailed => "preconditionFailed",
            TooLarge => "tooLarge",
            UnsupportedMediaType => "unsupportedMediaType",
            Internal => "internal",
            NotImplemented => "notImplemented",
        }
    }
}

/// An error answered to a SCIM client: its [`ScimErrorKind`] and a detail for humans.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} {}: {detail}", .kind.status(), .kind.scim_type())]
pub struct ScimError {
    kind: ScimErrorKind,
    detail: String,
    /// For a 405: the methods the endpoint allows.
    allow: Option<&'static str>,
}

impl ScimError {
    pub(crate) fn new(kind: ScimErrorKind, detail: impl Into<String>) -> ScimError {
        ScimError {
            kind,
            detail: detail.into(),
            allow: None,
        }
    }

    pub(crate) fn with_allow(mut self, methods: &'static str) -> ScimError {
        self.allow = Some(methods);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ScimErrorKind {
        self.kind
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// The `scimType` keyword.
    pub fn scim_type(&self) -> &'static str {
        self.kind.scim_type()
    }

    /// The human-readable detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub(crate) fn invalid_value(detail: impl Into<String>) -> ScimError {
        ScimError::new(ScimErrorKind::InvalidValue, detail)
    }
    pub(crate) fn invalid_syntax(detail: impl Into<String>) -> ScimError {
        ScimError::new(ScimErrorKind::InvalidSyntax, detail)
    }
    pub(crate) fn invalid_filter(detail: impl Into<String>) -> ScimError {
        ScimError::new(ScimErrorKind::InvalidFilter, detail)
    }
    pub(crate) fn invalid_path(detail: impl Into<String>) -> ScimError {
        ScimError::new(ScimErrorKind::InvalidPath, detail)
    }
    pub(crate) fn no_target(detail: impl Into<String>) -> ScimError {
        ScimError::new(ScimErrorKind::NoTarget, detail)
    }
    pub(crate) fn mutability(detail: impl Into<String>) -> ScimError {
        ScimError::new(ScimErrorKind::Mutability, detail)
    }
    pub(crate) fn too_many(detail: impl Into<String>) -> ScimError {
        ScimError::new(ScimErrorKind::TooMany, detail)
    }
    pub(crate) fn uniqueness(detail: impl Into<String>) -> ScimError {
        ScimError::new(ScimErrorKind::Uniqueness, detail)
    }
    pub(crate) fn not_found(detail: impl Into<String>) -> ScimError {
        ScimError::new(ScimErrorKind::NotFound, detail)
    }
    pub(crate) fn unauthorized(detail: impl Into<String>) -> ScimError {
        ScimError::new(ScimErrorKind::Unauthorized, detail)
    }
    pub(crate) fn internal() -> ScimError {
        ScimError::new(
            ScimErrorKind::Internal,
            "the service could not complete the request; nothing was changed",
        )
    }

    /// The error as a SCIM response (`application/scim+json` error body).
    pub fn to_response(&self) -> ScimResponse {
        let body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status().to_string(),
            "scimType": self.scim_type(),
            "detail": self.detail,
        });
        let mut r = ScimResponse::json(self.status(), &body);
        if self.kind == ScimErrorKind::Unauthorized {
            r.headers
                .push(("WWW-Authenticate", "Bearer realm=\"SCIM\"".to_owned()));
        }
        if let Some(allow) = self.allow {
            r.headers.push(("Allow", allow.to_owned()));
        }
        r
    }
}

impl From<crate::resource::FilterError> for ScimError {
    fn from(e: crate::resource::FilterError) -> ScimError {
        let kind = match e {
            crate::resource::FilterError::InvalidPath(_) => ScimErrorKind::InvalidPath,
            _ => ScimErrorKind::InvalidFilter,
        };
        ScimError::new(kind, e.detail())
    }
}
