//! `SsoConfig`: one organization's SAML settings, validated once when built.

use std::time::Duration;

use url::Url;

pub use super::certificate::IdpCertificate;
pub use super::warning::ConfigWarning;
use crate::dsig::IdpKey;
use crate::error::{CertificateError, ConfigError, ConfigField};
use crate::time::Timestamp;

/// Longest issuer, entity id or attribute name accepted.
const MAX_NAME: usize = 1024;
/// Certificates expiring within this window produce a warning.
/// The default [`SsoConfigBuilder::cert_expiry_warning`]: 30 days.
pub const DEFAULT_EXPIRY_WARNING: Duration = Duration::from_secs(30 * 86_400);
/// Largest clock skew accepted.
const MAX_SKEW: Duration = Duration::from_secs(3600);

/// One organization's SAML single sign-on settings, validated.
///
/// Built with [`SsoConfig::builder`] from the three values an admin copies from Okta (the
/// certificate, the Authentication URL and the Issuer URL) and our own SP entity id and postback
/// (ACS) URL. Construction never reads the clock; see [`SsoConfig::warnings`].
///
/// ```
/// use sso_scim::SsoConfig;
/// # let pem = include_str!("../../tests/vectors/generated/idp-cert.pem");
/// let config = SsoConfig::builder()
///     .idp_certificate(pem)
///     .idp_sso_url("https://dev-123.okta.com/app/dev-123_app_1/exkTEST/sso/saml")
///     .idp_issuer("http://www.okta.com/exkTEST")
///     .sp_entity_id("https://sp.example.com/saml/metadata")
///     .acs_url("https://sp.example.com/saml/acs")
///     .build()?;
/// assert_eq!(config.email_attribute(), "email");
/// assert!(config.require_email());
/// # Ok::<(), sso_scim::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SsoConfig {
    certificates: Vec<IdpCertificate>,
    idp_sso_url: Url,
    idp_issuer: String,
    sp_entity_id: String,
    acs_url: String,
    acs_url_parsed: Url,
    clock_skew: Duration,
    allow_idp_initiated: bool,
    email_attribute: String,
    require_email: bool,
    first_name_attribute: String,
    last_name_attribute: String,
    insecure_allow_sha1: bool,
    max_response_bytes: usize,
    expiry_warning: Duration,
}

/// Builder for [`SsoConfig`]; every value is checked in [`build`](SsoConfigBuilder::build).
#[derive(Clone, Debug)]
pub struct SsoConfigBuilder {
    certificates: Vec<Result<Vec<IdpCertificate>, CertificateError>>,
    idp_sso_url: Option<String>,
    idp_issuer: Option<String>,
    sp_entity_id: Option<String>,
    acs_url: Option<String>,
    clock_skew: Duration,
    allow_idp_initiated: bool,
    email_attribute: String,
    require_email: bool,
    first_name_attribute: String,
    last_name_attribute: String,
    insecure_allow_sha1: bool,
    max_response_bytes: usize,
    expiry_warning: Duration,
}

impl Default for SsoConfigBuilder {
    fn default() -> Self {
        SsoConfigBuilder {
            certificates: Vec::new(),
            idp_sso_url: None,
            idp_issuer: None,
            sp_entity_id: None,
            acs_url: None,
            clock_skew: Duration::from_secs(180),
            allow_idp_initiated: false,
            email_attribute: "email".into(),
            require_email: true,
            first_name_attribute: "firstName".into(),
            last_name_attribute: "lastName".into(),
            insecure_allow_sha1: false,
            max_response_bytes: 256 * 1024,
            expiry_warning: DEFAULT_EXPIRY_WARNING,
        }
    }
}

impl SsoConfigBuilder {
    /// Adds the IdP signing certificate(s): PEM as Okta's "Download certificate" gives it (several
    /// blocks allowed), bare base64, or DER. Call again to add more (certificate rollover):
    /// a signature is accepted when it verifies with any of them. Required.
    pub fn idp_certificate(mut self, certificate: impl AsRef<[u8]>) -> Self {
        self.certificates
            .push(IdpCertificate::parse_all(certificate.as_ref()));
        self
    }

    /// Adds an already parsed certificate.
    pub fn idp_certificate_parsed(mut self, certificate: IdpCertificate) -> Self {
        self.certificates.push(Ok(vec![certificate]));
        self
    }

    /// The IdP's Authentication URL (Okta: "Identity Provider Single Sign-On URL", shown as the
    /// "Redirect Login URL"), where SP-initiated logins send the user. Absolute http(s) URL. Required.
    pub fn idp_sso_url(mut self, url: impl Into<String>) -> Self {
        self.idp_sso_url = Some(url.into());
        self
    }

    /// The IdP's Issuer URL (Okta: "Identity Provider Issuer", e.g. `http://www.okta.com/exk...`).
    /// Compared exactly with the Issuer of every response. Required.
    pub fn idp_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.idp_issuer = Some(issuer.into());
        self
    }

    /// Our SP entity id: the Audience every assertion must name (Okta: "Audience URI (SP Entity
    /// ID)"). Any non-empty string; real configurations use URLs or short values such as `123`.
    /// Required.
    pub fn sp_entity_id(mut self, entity_id: impl Into<String>) -> Self {
        self.sp_entity_id = Some(entity_id.into());
        self
    }

    /// Our postback (ACS) URL, where Okta posts the SAMLResponse (Okta: "Single sign-on URL").
    /// Destination and Recipient must equal it. Absolute http(s) URL. Required.
    pub fn acs_url(mut self, url: impl Into<String>) -> Self {
        self.acs_url = Some(url.into());
        self
    }

    /// Clock difference tolerated on NotBefore/NotOnOrAfter. Default 3 minutes; at most 1 hour.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// Accept logins the IdP started (from the Okta dashboard), whose responses answer no
    /// request. Default `false`. When enabled, a response without InResponseTo is accepted; replay
    /// protection still applies.
    pub fn allow_idp_initiated(mut self, allow: bool) -> Self {
        self.allow_idp_initiated = allow;
        self
    }

    /// Name of the attribute statement holding the user's email, matched ASCII-case-insensitively.
    /// Default `email`.
    pub fn email_attribute(mut self, name: impl Into<String>) -> Self {
        self.email_attribute = name.into();
        self
    }

    /// Whether the email attribute is required. Default `true` (the product needs an email to
    /// match the user to a claimed domain).
    pub fn require_email(mut self, require: bool) -> Self {
        self.require_email = require;
        self
    }

    /// Name of the first-name attribute statement (case-insensitive). Default `firstName`.
    pub fn first_name_attribute(mut self, name: impl Into<String>) -> Self {
        self.first_name_attribute = name.into();
        self
    }

    /// Name of the last-name attribute statement (case-insensitive). Default `lastName`.
    pub fn last_name_attribute(mut self, name: impl Into<String>) -> Self {
        self.last_name_attribute = name.into();
        self
    }

    /// **Insecure.** Accept RSA-SHA1 signatures, SHA-1 digests and RSA keys from 1024 bits.
    /// Only for legacy IdPs that cannot be changed; SHA-1 collisions are practical. Default `false`.
    pub fn insecure_allow_sha1(mut self, allow: bool) -> Self {
        self.insecure_allow_sha1 = allow;
        self
    }

    /// Largest decoded response accepted, in bytes. Default 256 KiB (a real Okta response is ~8 KB);
    /// kept between 1 KiB and 16 MiB. An encrypted assertion is about a third larger than the
    /// assertion (its ciphertext is base64): raise this for large encrypted responses (users
    /// in a thousand groups).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// How long before a certificate's expiry [`SsoConfig::warnings`] reports it
    /// ([`ConfigWarning::CertificateExpiresSoon`]). Default 30 days
    /// ([`DEFAULT_EXPIRY_WARNING`]); a rollover in Okta takes an admin some days to plan.
    pub fn cert_expiry_warning(mut self, window: Duration) -> Self {
        self.expiry_warning = window;
        self
    }

    /// Validates every field and builds the configuration.
    pub fn build(self) -> Result<SsoConfig, ConfigError> {
        let mut certificates = Vec::new();
        for (i, parsed) in self.certificates.into_iter().enumerate() {
            let list = parsed.map_err(|e| {
                ConfigError::new(
                    ConfigField::IdpCertificate,
                    format!("certificate #{}: {e}", i + 1),
                )
            })?;
            for c in list {
                if !certificates.contains(&c) {
                    certificates.push(c);
                }
            }
        }
        if certificates.is_empty() {
            return Err(ConfigError::new(
                ConfigField::IdpCertificate,
                "no IdP signing certificate is configured",
            ));
        }
        let idp_sso_url = http_url(ConfigField::IdpSsoUrl, self.idp_sso_url)?.1;
        let idp_issuer = name(ConfigField::IdpIssuer, self.idp_issuer)?;
        let sp_entity_id = name(ConfigField::SpEntityId, self.sp_entity_id)?;
        let (acs_url, acs_url_parsed) = http_url(ConfigField::AcsUrl, self.acs_url)?;
        if self.clock_skew > MAX_SKEW {
            return Err(ConfigError::new(
                ConfigField::ClockSkew,
                format!(
                    "{} seconds is more than the maximum of 3600",
                    self.clock_skew.as_secs()
                ),
            ));
        }
        let email_attribute = name(ConfigField::EmailAttribute, Some(self.email_attribute))?;
        let first_name_attribute = name(
            ConfigField::FirstNameAttribute,
            Some(self.first_name_attribute),
        )?;
        let last_name_attribute = name(
            ConfigField::LastNameAttribute,
            Some(self.last_name_attribute),
        )?;
        Ok(SsoConfig {
            certificates,
            idp_sso_url,
            idp_issuer,
            sp_entity_id,
            acs_url,
            acs_url_parsed,
            clock_skew: self.clock_skew,
            allow_idp_initiated: self.allow_idp_initiated,
            email_attribute,
            require_email: self.require_email,
            first_name_attribute,
            last_name_attribute,
            insecure_allow_sha1: self.insecure_allow_sha1,
            max_response_bytes: self.max_response_bytes.clamp(1024, 16 * 1024 * 1024),
            expiry_warning: self.expiry_warning,
        })
    }
}

pub(crate) fn required(field: ConfigField, v: Option<String>) -> Result<String, ConfigError> {
    let v = v.ok_or_else(|| ConfigError::new(field, "is required but was not set"))?;
    let t = v.trim();
    if t.is_empty() {
        return Err(ConfigError::new(field, "is empty"));
    }
    if t.len() > MAX_NAME {
        return Err(ConfigError::new(
            field,
            format!("is longer than {MAX_NAME} characters"),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(ConfigError::new(
            field,
            "contains control characters (a line break pasted by accident?)",
        ));
    }
    // XML 1.0 cannot carry U+FFFE or U+FFFF: an entity id with one would make every
    // AuthnRequest and our SP metadata unparsable (found by the authn_request fuzz target).
    if t.chars().any(|c| matches!(c, '\u{FFFE}' | '\u{FFFF}')) {
        return Err(ConfigError::new(
            field,
            "contains U+FFFE or U+FFFF, which XML cannot carry",
        ));
    }
    Ok(t.to_owned())
}

fn name(field: ConfigField, v: Option<String>) -> Result<String, ConfigError> {
    required(field, v)
}

pub(crate) fn http_url(
    field: ConfigField,
    v: Option<String>,
) -> Result<(String, Url), ConfigError> {
    let s = required(field, v)?;
    let u = Url::parse(&s)
        .map_err(|e| ConfigError::new(field, format!("{s:?} is not an absolute URL ({e})")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(ConfigError::new(
            field,
            format!("{s:?} must be an http or https URL"),
        ));
    }
    if u.host_str().unwrap_or("").is_empty() {
        return Err(ConfigError::new(field, format!("{s:?} has no host")));
    }
    if u.fragment().is_some() {
        return Err(ConfigError::new(
            field,
            format!("{s:?} must not have a #fragment"),
        ));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(ConfigError::new(
            field,
            format!("{s:?} must not contain credentials"),
        ));
    }
    Ok((s, u))
}

impl SsoConfig {
    /// Starts a builder with the defaults documented on each method.
    pub fn builder() -> SsoConfigBuilder {
        SsoConfigBuilder::default()
    }

    /// The configured IdP certificates (at least one).
    pub fn idp_certificates(&self) -> &[IdpCertificate] {
        &self.certificates
    }

    /// The IdP's Authentication URL.
    pub fn idp_sso_url(&self) -> &Url {
        &self.idp_sso_url
    }

    /// The IdP's Issuer URL.
    pub fn idp_issuer(&self) -> &str {
        &self.idp_issuer
    }

    /// Our SP entity id (the expected Audience).
    pub fn sp_entity_id(&self) -> &str {
        &self.sp_entity_id
    }

    /// Our ACS URL, as configured.
    pub fn acs_url(&self) -> &str {
        &self.acs_url
    }

    /// Allowed clock skew.
    pub fn clock_skew(&self) -> Duration {
        self.clock_skew
    }

    /// Whether IdP-initiated logins are accepted.
    pub fn allows_idp_initiated(&self) -> bool {
        self.allow_idp_initiated
    }

    /// The email attribute name.
    pub fn email_attribute(&self) -> &str {
        &self.email_attribute
    }

    /// Whether the email attribute is required.
    pub fn require_email(&self) -> bool {
        self.require_email
    }

    /// The first-name attribute name.
    pub fn first_name_attribute(&self) -> &str {
        &self.first_name_attribute
    }

    /// The last-name attribute name.
    pub fn last_name_attribute(&self) -> &str {
        &self.last_name_attribute
    }

    /// Whether the insecure SHA-1 / short-key opt-in is on.
    pub fn insecure_allow_sha1(&self) -> bool {
        self.insecure_allow_sha1
    }

    /// Largest decoded response accepted, in bytes.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// Does `value` (a Destination or Recipient) name our ACS URL? Exact match, or equal after URL
    /// normalization (scheme and host case, default port).
    pub(crate) fn is_acs_url(&self, value: &str) -> bool {
        super::url_match::same_url(&self.acs_url, value)
    }

    pub(crate) fn keys(&self) -> Vec<IdpKey> {
        self.certificates.iter().map(|c| c.key().clone()).collect()
    }

    /// What an admin should know at `now`: expired, expiring (within
    /// [`cert_expiry_warning`](SsoConfigBuilder::cert_expiry_warning), 30 days by default) or not-yet-valid
    /// certificates, weak keys, and the insecure opt-in. The host shows these on its settings page.
    pub fn warnings(&self, now: Timestamp) -> Vec<ConfigWarning> {
        let mut w = Vec::new();
        for c in &self.certificates {
            let subject = c.subject().to_owned();
            if c.not_after() <= now {
                w.push(ConfigWarning::CertificateExpired {
                    subject: subject.clone(),
                    not_after: c.not_after(),
                });
            } else if c.not_after() <= now.saturating_add(self.expiry_warning) {
                w.push(ConfigWarning::CertificateExpiresSoon {
                    subject: subject.clone(),
                    not_after: c.not_after(),
                });
            }
            if c.not_before() > now {
                w.push(ConfigWarning::CertificateNotYetValid {
                    subject: subject.clone(),
                    not_before: c.not_before(),
                });
            }
            if c.key_algorithm().is_weak() {
                w.push(ConfigWarning::WeakKey {
                    subject,
                    bits: c.key_bits(),
                });
            }
        }
        if self.insecure_allow_sha1 {
            w.push(ConfigWarning::InsecureSha1Allowed);
        }
        w
    }

    fn to_builder(&self) -> SsoConfigBuilder {
        SsoConfigBuilder {
            certificates: vec![Ok(self.certificates.clone())],
            idp_sso_url: Some(self.idp_sso_url.to_string()),
            idp_issuer: Some(self.idp_issuer.clone()),
            sp_entity_id: Some(self.sp_entity_id.clone()),
            acs_url: Some(self.acs_url.clone()),
            clock_skew: self.clock_skew,
            allow_idp_initiated: self.allow_idp_initiated,
            email_attribute: self.email_attribute.clone(),
            require_email: self.require_email,
            first_name_attribute: self.first_name_attribute.clone(),
            last_name_attribute: self.last_name_attribute.clone(),
            insecure_allow_sha1: self.insecure_allow_sha1,
            max_response_bytes: self.max_response_bytes,
            expiry_warning: self.expiry_warning,
        }
    }

    /// How long before expiry a certificate is reported ([`SsoConfigBuilder::cert_expiry_warning`]).
    pub fn cert_expiry_warning(&self) -> Duration {
        self.expiry_warning
    }

    /// A builder holding this configuration, to change a setting and build again.
    pub fn edit(&self) -> SsoConfigBuilder {
        self.to_builder()
    }
}

#[cfg(feature = "serde")]
#[path = "config_serde.rs"]
mod serde_impl;
