//! **TEST ONLY.** A SAML identity provider for a host's own integration tests and demos
//! (feature `test-idp`, off by default). Its signing key pair is committed in this crate and
//! public: anything it signs proves nothing. Never configure its certificate for a real
//! organization.
//!
//! It answers an AuthnRequest (or starts an IdP-initiated login) with an Okta-shaped Response:
//! Response and Assertion both signed, RSA-SHA256, exclusive C14N with `PrefixList="xs"`, the
//! `email`, `firstName` and `lastName` attribute statements, `xs`/`xsi` declared on every
//! AttributeValue as Okta does. It can also produce the failures a host must handle
//! ([`Fault`]): expired, wrong audience, unsigned, a status failure.

mod request;
mod response;

pub use request::{ReceivedRequest, TestIdpError};

use crate::saml::{IdpCertificate, IdpSettings, SpEndpoints, SpSigningKey};
use crate::time::Timestamp;

/// The test IdP's private key. **Public, test only.**
pub const TEST_IDP_KEY_PEM: &str = include_str!("test-idp-key.pem");
/// The test IdP's certificate (configure it only for test organizations).
pub const TEST_IDP_CERT_PEM: &str = include_str!("test-idp-cert.pem");

/// A user the test IdP logs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestUser {
    /// The email (NameID and the `email` attribute).
    pub email: String,
    /// `firstName`.
    pub first_name: String,
    /// `lastName`.
    pub last_name: String,
    /// More attribute statements: name and values.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl TestUser {
    /// A user with an email and names, no other attributes.
    pub fn new(email: &str, first_name: &str, last_name: &str) -> TestUser {
        TestUser {
            email: email.to_owned(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            attributes: Vec::new(),
        }
    }
}

/// A failure to produce on purpose, so a host can test its error pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The assertion's validity ended an hour ago.
    Expired,
    /// The Audience is another SP's.
    WrongAudience,
    /// Nothing is signed.
    Unsigned,
    /// Status `Responder` (the IdP refused the login), no assertion.
    StatusFailure,
}

/// **TEST ONLY.** The test identity provider.
#[derive(Clone, Debug)]
pub struct TestIdp {
    issuer: String,
    sso_url: String,
    key: SpSigningKey,
}

impl TestIdp {
    /// The test IdP with entity id (issuer) `issuer`, receiving AuthnRequests at `sso_url`.
    /// (Fails only if the built-in key pair does not load, which this crate's tests rule out.)
    pub fn new(issuer: &str, sso_url: &str) -> Result<TestIdp, TestIdpError> {
        let key = SpSigningKey::from_pem(TEST_IDP_KEY_PEM, TEST_IDP_CERT_PEM)
            .map_err(|e| TestIdpError::Signing(format!("the built-in test IdP key pair: {e}")))?;
        Ok(TestIdp {
            issuer: issuer.to_owned(),
            sso_url: sso_url.to_owned(),
            key,
        })
    }

    /// Its entity id.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Its SSO URL.
    pub fn sso_url(&self) -> &str {
        &self.sso_url
    }

    /// Its signing certificate.
    pub fn certificate(&self) -> IdpCertificate {
        self.key.certificate().clone()
    }

    /// The [`IdpSettings`] that trust it (for a **test** organization); IdP-initiated logins
    /// allowed.
    pub fn idp_settings(&self) -> IdpSettings {
        let mut s = IdpSettings::new(&self.issuer, &self.sso_url, vec![self.certificate()]);
        s.allow_idp_initiated = true;
        s
    }

    /// A signed Response for `user`, answering `request` (its ID, ACS URL and Issuer; the
    /// Destination, Recipient and Audience come from it and `sp`), or IdP-initiated when
    /// `request` is `None`; with `fault`, the failure asked for. Returns the XML.
    pub fn response_xml(
        &self,
        sp: &SpEndpoints,
        request: Option<&ReceivedRequest>,
        user: &TestUser,
        fault: Option<Fault>,
        now: Timestamp,
    ) -> Result<String, TestIdpError> {
        response::build(self, sp, request, user, fault, now)
    }

    /// [`response_xml`](TestIdp::response_xml) as the `SAMLResponse` form value (base64).
    pub fn response_form_value(
        &self,
        sp: &SpEndpoints,
        request: Option<&ReceivedRequest>,
        user: &TestUser,
        fault: Option<Fault>,
        now: Timestamp,
    ) -> Result<String, TestIdpError> {
        use base64::Engine;
        let xml = self.response_xml(sp, request, user, fault, now)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(xml))
    }

    pub(crate) fn key(&self) -> &SpSigningKey {
        &self.key
    }
}
