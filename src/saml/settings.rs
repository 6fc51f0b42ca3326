//! What an organization stores of its SAML setup: our two values (entity id, ACS URL) and the
//! IdP's (issuer, SSO URLs, signing certificates), from which an [`SsoConfig`] is built.

use super::config::{IdpCertificate, SsoConfig};
use crate::error::{ConfigError, ConfigField};

/// Our side: the values the admin pastes into Okta.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpEndpoints {
    /// Our SP entity id (Okta "Audience URI (SP Entity ID)").
    pub entity_id: String,
    /// Our postback URL (Okta "Single sign-on URL"), where the IdP posts SAMLResponse.
    pub acs_url: String,
}

impl SpEndpoints {
    /// Checks the values as [`SsoConfig`] does: an entity id XML can carry, no control
    /// characters, at most 1024 bytes; an absolute http(s) ACS URL without fragment or
    /// credentials.
    pub fn validate(&self) -> Result<(), ConfigError> {
        super::config::required(ConfigField::SpEntityId, Some(self.entity_id.clone()))?;
        super::config::http_url(ConfigField::AcsUrl, Some(self.acs_url.clone()))?;
        Ok(())
    }
}

/// The IdP's side: the three Okta fields (or what IdP metadata says).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdpSettings {
    /// Okta "Identity Provider Issuer" (metadata: `entityID`).
    pub issuer: String,
    /// Okta "Identity Provider Single Sign-On URL": where AuthnRequests go with the
    /// HTTP-Redirect binding (metadata: the HTTP-Redirect `SingleSignOnService`).
    pub sso_url: String,
    /// Where AuthnRequests go with the HTTP-POST binding, when the IdP names one.
    pub sso_post_url: Option<String>,
    /// Every signing certificate (several during a rollover).
    pub certificates: Vec<IdpCertificate>,
    /// The IdP asks for signed AuthnRequests (metadata `WantAuthnRequestsSigned`).
    pub want_authn_requests_signed: bool,
    /// Accept logins started at the IdP (the Okta dashboard), without an AuthnRequest.
    pub allow_idp_initiated: bool,
}

impl IdpSettings {
    /// The three Okta fields: certificates, SSO URL, issuer. IdP-initiated logins off.
    pub fn new(
        issuer: impl Into<String>,
        sso_url: impl Into<String>,
        certificates: Vec<IdpCertificate>,
    ) -> IdpSettings {
        IdpSettings {
            issuer: issuer.into(),
            sso_url: sso_url.into(),
            sso_post_url: None,
            certificates,
            want_authn_requests_signed: false,
            allow_idp_initiated: false,
        }
    }

    /// The [`SsoConfig`] for these IdP values and our `sp` values (default options
    /// otherwise; [`SsoConfig::edit`] changes them).
    pub fn sso_config(&self, sp: &SpEndpoints) -> Result<SsoConfig, ConfigError> {
        if self.certificates.is_empty() {
            return Err(ConfigError::new(
                ConfigField::IdpCertificate,
                "no signing certificate is configured",
            ));
        }
        let mut b = SsoConfig::builder();
        for c in &self.certificates {
            b = b.idp_certificate_parsed(c.clone());
        }
        b.idp_sso_url(self.sso_url.clone())
            .idp_issuer(self.issuer.clone())
            .sp_entity_id(sp.entity_id.clone())
            .acs_url(sp.acs_url.clone())
            .allow_idp_initiated(self.allow_idp_initiated)
            .build()
    }
}
