//! SAML 2.0 Web Browser SSO, service-provider side: configuration, validation of the posted
//! Response, replay protection.

mod assertion;
mod attributes;
mod authn_request;
mod certificate;
mod config;
mod decode;
#[cfg(feature = "encrypted-assertions")]
mod encrypted;
mod encryption_overview;
mod metadata;
mod overview;
mod read;
mod relay_state;
mod replay;
mod request_state;
mod requests;
mod settings;
mod sp_key;
mod url_match;
mod validate;
mod warning;
#[cfg(test)]
mod work_bound;

pub use crate::dsig::KeyAlgorithm;
pub use assertion::{PendingLogin, VerifiedAssertion};
pub use attributes::{AttributeValues, Attributes};
pub use authn_request::{
    build_authn_request, AuthnRequestError, AuthnRequestOptions, Binding, LoginRequest, Outbound,
};
pub use config::{
    ConfigWarning, IdpCertificate, SsoConfig, SsoConfigBuilder, DEFAULT_EXPIRY_WARNING,
};
#[cfg(feature = "encrypted-assertions")]
pub use encrypted::{SpDecryptionKey, SpDecryptionKeys};
pub use encryption_overview::{EncryptedKeyOverview, EncryptionOverview};
pub use metadata::{
    import_idp_metadata, sp_metadata, MetadataError, SpMetadata, ENCRYPTION_METHODS,
    MAX_METADATA_BYTES, MAX_SIGNING_CERTIFICATES, MD_NS,
};
pub use overview::{AssertionOverview, ResponseOverview, SignatureOverview};
pub use relay_state::{safe_return_path, RelayState, RelayStateError, MAX_RELAY_STATE_BYTES};
pub use replay::{MemoryReplayCache, MemoryReplayError, ReplayCache, ReplayKey};
pub use request_state::RequestState;
pub use requests::{AuthnRequestStore, MemoryAuthnRequests, MemoryRequestError, RequestId};
pub use settings::{IdpSettings, SpEndpoints};
pub use sp_key::{SpKeyError, SpSigningKey};
pub use validate::AssertionValidator;

/// SAML namespaces and constants.
pub(crate) mod ns {
    pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
    pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
    pub const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
    pub const ENTITY_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
}
