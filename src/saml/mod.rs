//! SAML 2.0 Web Browser SSO, service-provider side: configuration, validation of the posted
//! Response, replay protection.

mod assertion;
mod config;
mod decode;
mod overview;
mod read;
mod replay;
mod requests;
mod url_match;
mod validator;
#[cfg(test)]
mod work_bound;

pub use assertion::{PendingLogin, VerifiedAssertion};
pub use config::{ConfigWarning, IdpCertificate, SsoConfig, SsoConfigBuilder};
pub use overview::{AssertionOverview, ResponseOverview, SignatureOverview};
pub use replay::{MemoryReplayCache, MemoryReplayError, ReplayCache, ReplayKey};
pub use requests::{AuthnRequestStore, MemoryAuthnRequests, MemoryRequestError, RequestId};
pub use validator::{AssertionValidator, RequestState};

/// SAML namespaces and constants.
pub(crate) mod ns {
    pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
    pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
    pub const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
    pub const ENTITY_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
}
