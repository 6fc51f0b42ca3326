//! # sso-scim
//!
//! Okta SAML single sign-on (and, next, SCIM 2.0 provisioning) for multi-tenant Rust
//! applications, as a library: no framework, no I/O inside the checks, no clock read behind
//! your back.
//!
//! ## SAML in four steps
//!
//! 1. Per organization, build an [`SsoConfig`] from what the admin copies out of Okta
//!    (certificate, Authentication URL, Issuer URL) plus your SP entity id and ACS URL.
//! 2. When the browser posts `SAMLResponse` to your ACS URL, call
//!    [`AssertionValidator::validate`] with the form value, the login requests you have
//!    outstanding and the current time.
//! 3. That yields a [`PendingLogin`]. It logs nobody in until you
//!    [`consume`](PendingLogin::consume) it through a [`ReplayCache`], which guarantees each
//!    assertion is used once.
//! 4. Use the [`VerifiedAssertion`]: NameID, email, names, attributes, session index.
//!
//! ```
//! use sso_scim::{AssertionValidator, MemoryReplayCache, RequestState, SsoConfig, Timestamp};
//!
//! let config = SsoConfig::builder()
//!     .idp_certificate(include_str!("../tests/vectors/generated/idp-cert.pem"))
//!     .idp_sso_url("https://dev-123.okta.com/app/dev-123_app_1/exkTEST/sso/saml")
//!     .idp_issuer("http://www.okta.com/exkTEST")
//!     .sp_entity_id("https://sp.example.com/saml/metadata")
//!     .acs_url("https://sp.example.com/saml/acs")
//!     .allow_idp_initiated(true) // this sample response was started from the Okta dashboard
//!     .build()?;
//! let validator = AssertionValidator::new(config);
//! let replay = MemoryReplayCache::new();
//!
//! let form_value = include_str!("../tests/vectors/generated/valid-both-signed.b64");
//! let now = Timestamp::parse("2026-01-15T10:00:30Z")?; // in production: Timestamp::now()
//! let no_requests: &[&str] = &[];
//! let pending = validator.validate(form_value, &RequestState::outstanding(no_requests), now)?;
//! // Async hosts: `pending.consume(&any_replay_cache).await?`; in memory, synchronously:
//! let user = pending.consume_now(&replay)?;
//! assert_eq!(user.email(), Some("jane.doe@example.com"));
//! assert_eq!(user.first_name(), Some("Jane"));
//!
//! // The same post again is a replay.
//! let again = validator.validate(form_value, &RequestState::outstanding(no_requests), now)?;
//! let err = again.consume_now(&replay).unwrap_err();
//! assert_eq!(err.code(), "replay");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Organizations
//!
//! [`Organizations`] (feature `scim`, on by default) runs the rest of the Okta guide over the
//! store ports: domain claims proved by a DNS TXT record ([`domain`]), the IdP's values or
//! metadata ([`saml::import_idp_metadata`]), our SP metadata ([`saml::sp_metadata`]),
//! SP-initiated logins whose request ids are consumed with the assertion
//! ([`Organizations::start_login`], [`Organizations::finish_login`]) and the login policy
//! ([`org::decide_login`]: "require SSO" keeps owners' and admins' passwords).
//!
//! ## Security
//!
//! - **One parser, one tree.** The signature is verified over the canonical form of a node of
//!   our own [`xml`] tree and every claim is read from that same node. The signed element is
//!   found as the signature's parent, never by looking an ID up elsewhere; every ID in the
//!   document must be unique; exactly one Assertion is accepted.
//! - **A restricted XML-DSig profile**: one Reference to the signed element, transforms exactly
//!   enveloped-signature + one canonicalization without comments, RSA PKCS#1 v1.5 with
//!   SHA-256/384/512, keys of at least 2048 bits, from the configured certificates only (a
//!   certificate in the response's KeyInfo is never trusted). SHA-1 and 1024-bit keys only through
//!   the loudly named [`SsoConfigBuilder::insecure_allow_sha1`].
//! - **Strict XML**: no DOCTYPE, no entities beyond the predefined five, bounded size, depth and
//!   counts ([`xml::Limits`]); comments never split text.
//! - **Conditions**: Issuer, Destination, Recipient, Audience, time window with skew, status,
//!   InResponseTo, and replay, each failing with an error that names expected and found values
//!   and the Okta setting to change ([`SamlError::code`], [`SamlError::hint`]).
//!
//! Error codes are listed on [`SamlError::code`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod b64;
pub mod domain;
mod dsig;
mod error;
#[cfg(feature = "scim")]
pub mod org;
#[cfg(feature = "scim")]
pub mod resource;
pub mod saml;
#[cfg(feature = "scim")]
pub mod scim;
#[cfg(feature = "scim")]
pub mod store;
#[cfg(feature = "test-idp")]
pub mod test_idp;
mod time;
pub mod xml;

pub use error::{
    CertificateError, ClaimError, ConditionError, ConfigError, ConfigField, EncodingError,
    EncryptionError, ReplayError, SamlError, SignatureError, SignedPart, StructureError,
    UsageError, XmlError,
};
pub use saml::{
    AssertionOverview, AssertionValidator, AuthnRequestStore, ConfigWarning, IdpCertificate,
    KeyAlgorithm, MemoryAuthnRequests, MemoryReplayCache, MemoryReplayError, PendingLogin,
    ReplayCache, ReplayKey, RequestId, RequestState, ResponseOverview, SignatureOverview,
    SsoConfig, SsoConfigBuilder, VerifiedAssertion,
};
pub use time::{Timestamp, TimestampError};

/// With the `xmlsec` feature: ask libxmlsec1 whether it verifies a response's signature (the
/// validator already does this for every signature it relies on; this is for tools and tests).
#[cfg(feature = "xmlsec")]
pub use dsig::libxmlsec_verifies;

pub use domain::{
    email_domain, forbidden_char, is_forbidden_char, is_invisible_char, normalize_domain,
    DomainError, DomainName, EmailAddress, EmailError,
};
#[cfg(feature = "scim")]
pub use scim::{
    AdminError, Authorized, GeneratedToken, ScimError, ScimErrorKind, ScimEvent, ScimRequest,
    ScimResponse, ScimService, Served, DEFAULT_SCAN_WORK, MAX_BODY_BYTES,
};
#[cfg(feature = "scim")]
pub use store::{
    AccountId, Accounts, ClaimConflict, ClaimStatus, DomainClaim, DomainClaims, Membership,
    MemoryStore, OrgId, OrgRole, OrgSettings, Organization, ScimDirectory, ScimGroup, ScimStore,
    ScimTokens, ScimUser, Storage,
};

#[cfg(feature = "scim")]
pub use org::{LoggedIn, LoginError, OrgError, Organizations, Verification};
#[cfg(feature = "postgres")]
pub use store::PostgresStore;
#[cfg(feature = "sqlite")]
pub use store::SqliteStore;

/// Compiles the README's code blocks as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
