//! `SsoConfig` through serde: every option with its default; deserialization goes through the
//! builder (the same validation, the same errors).

use super::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

fn default_skew() -> u64 {
    180
}
fn default_email() -> String {
    "email".into()
}
fn default_true() -> bool {
    true
}
fn default_first() -> String {
    "firstName".into()
}
fn default_last() -> String {
    "lastName".into()
}
fn default_max() -> usize {
    256 * 1024
}
fn default_expiry_warning() -> u64 {
    DEFAULT_EXPIRY_WARNING.as_secs()
}

/// The serialized form: certificates as PEM, every option with its default.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Repr {
    idp_certificates: Vec<String>,
    idp_sso_url: String,
    idp_issuer: String,
    sp_entity_id: String,
    acs_url: String,
    #[serde(default = "default_skew")]
    clock_skew_secs: u64,
    #[serde(default)]
    allow_idp_initiated: bool,
    #[serde(default = "default_email")]
    email_attribute: String,
    #[serde(default = "default_true")]
    require_email: bool,
    #[serde(default = "default_first")]
    first_name_attribute: String,
    #[serde(default = "default_last")]
    last_name_attribute: String,
    #[serde(default)]
    insecure_allow_sha1: bool,
    #[serde(default = "default_max")]
    max_response_bytes: usize,
    #[serde(default = "default_expiry_warning")]
    cert_expiry_warning_secs: u64,
}

impl Serialize for SsoConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Repr {
            idp_certificates: self
                .certificates
                .iter()
                .map(IdpCertificate::to_pem)
                .collect(),
            idp_sso_url: self.idp_sso_url.to_string(),
            idp_issuer: self.idp_issuer.clone(),
            sp_entity_id: self.sp_entity_id.clone(),
            acs_url: self.acs_url.clone(),
            clock_skew_secs: self.clock_skew.as_secs(),
            allow_idp_initiated: self.allow_idp_initiated,
            email_attribute: self.email_attribute.clone(),
            require_email: self.require_email,
            first_name_attribute: self.first_name_attribute.clone(),
            last_name_attribute: self.last_name_attribute.clone(),
            insecure_allow_sha1: self.insecure_allow_sha1,
            max_response_bytes: self.max_response_bytes,
            cert_expiry_warning_secs: self.expiry_warning.as_secs(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for SsoConfig {
    /// Goes through [`SsoConfigBuilder::build`]: the same validation, the same errors.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SsoConfig, D::Error> {
        let r = Repr::deserialize(d)?;
        let mut b = SsoConfig::builder();
        for c in &r.idp_certificates {
            b = b.idp_certificate(c);
        }
        b.idp_sso_url(r.idp_sso_url)
            .idp_issuer(r.idp_issuer)
            .sp_entity_id(r.sp_entity_id)
            .acs_url(r.acs_url)
            .clock_skew(Duration::from_secs(r.clock_skew_secs))
            .allow_idp_initiated(r.allow_idp_initiated)
            .email_attribute(r.email_attribute)
            .require_email(r.require_email)
            .first_name_attribute(r.first_name_attribute)
            .last_name_attribute(r.last_name_attribute)
            .insecure_allow_sha1(r.insecure_allow_sha1)
            .max_response_bytes(r.max_response_bytes)
            .cert_expiry_warning(Duration::from_secs(r.cert_expiry_warning_secs))
            .build()
            .map_err(serde::de::Error::custom)
    }
}
