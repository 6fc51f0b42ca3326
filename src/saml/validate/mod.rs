//! `AssertionValidator`: from the posted SAMLResponse to a `PendingLogin`, in four stages.
//!
//! 1. [`shape`]: one Response, at most one Assertion, unique IDs, signatures where SAML puts
//!    them (nothing trusted yet);
//! 2. [`verification`]: the signatures are verified and the covered elements come out as
//!    [`Signed`](crate::dsig::Signed) values, which only signature verification constructs;
//! 3. [`conditions`]: issuer, destination, time, audience, bearer confirmation, InResponseTo;
//! 4. [`claims`]: the user, read through `Signed` only.

mod claims;
mod conditions;
#[cfg(feature = "encrypted-assertions")]
mod decryption;
mod shape;
mod signed_read;
mod verification;

use super::assertion::{Packed, PendingLogin, SignedParts, TextFields, VerifiedAssertion};
use super::config::SsoConfig;
use super::request_state::{Mode, RequestState};
use super::requests::RequestId;
use crate::dsig::IdpKey;
use crate::error::{SamlError, UsageError};
use crate::time::Timestamp;
use crate::xml::{Document, Limits};
use conditions::ResponseInResponseTo;

/// Validates SAML responses for one organization's [`SsoConfig`].
///
/// ```no_run
/// # async fn demo(config: sso_scim::SsoConfig, form_value: &str, ids: &[String]) -> Result<(), Box<dyn std::error::Error>> {
/// use sso_scim::{AssertionValidator, MemoryReplayCache, RequestState, Timestamp};
/// let validator = AssertionValidator::new(config);
/// let replay = MemoryReplayCache::new();
/// let pending = validator.validate(form_value, &RequestState::outstanding(ids), Timestamp::now())?;
/// let user = pending.consume(&replay).await?;
/// println!("log in {}", user.email().unwrap_or(user.name_id()));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AssertionValidator {
    config: SsoConfig,
    keys: Vec<IdpKey>,
    limits: Limits,
    #[cfg(feature = "encrypted-assertions")]
    decryption: decryption::Decryption,
}

impl AssertionValidator {
    /// A validator for `config`. Cheap: the certificates' keys were parsed when the config was built.
    pub fn new(config: SsoConfig) -> AssertionValidator {
        let keys = config.keys();
        let limits = Limits::default().with_max_bytes(config.max_response_bytes());
        AssertionValidator {
            config,
            keys,
            limits,
            #[cfg(feature = "encrypted-assertions")]
            decryption: decryption::Decryption::default(),
        }
    }

    /// Decrypts `EncryptedAssertion`s with `keys` (the SP's decryption key pairs, tried in
    /// order: two during a rotation). Without keys an encrypted assertion is refused
    /// (`encrypted_assertion`). Key transport RSA-OAEP (`xmlenc#rsa-oaep-mgf1p`, or
    /// `xmlenc11#rsa-oaep` with the same digest and MGF1 digest), data encryption AES-128/256 in
    /// CBC or GCM mode.
    #[cfg(feature = "encrypted-assertions")]
    pub fn with_decryption_keys(
        mut self,
        keys: impl IntoIterator<Item = super::SpDecryptionKey>,
    ) -> AssertionValidator {
        self.decryption.keys = keys.into_iter().collect();
        self
    }

    /// **Insecure**: also accept RSA PKCS#1 v1.5 key transport (`xmlenc#rsa-1_5`), which admits
    /// Bleichenbacher's attack on the SP's key wherever an attacker can observe decryption
    /// outcomes. Refused by default; enable only for an IdP that cannot send RSA-OAEP.
    #[cfg(feature = "encrypted-assertions")]
    pub fn insecure_allow_rsa1_5_key_transport(mut self, allow: bool) -> AssertionValidator {
        self.decryption.insecure_allow_rsa1_5 = allow;
        self
    }

    /// Whether an EncryptedAssertion can be read (keys are configured).
    fn accepts_encrypted(&self) -> bool {
        #[cfg(feature = "encrypted-assertions")]
        {
            !self.decryption.keys.is_empty()
        }
        #[cfg(not(feature = "encrypted-assertions"))]
        {
            false
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SsoConfig {
        &self.config
    }

    /// Validates the `SAMLResponse` form value as posted to the ACS URL (base64; whitespace and
    /// line breaks tolerated; never DEFLATE) at instant `now`.
    pub fn validate(
        &self,
        saml_response: impl AsRef<[u8]>,
        requests: &RequestState<'_>,
        now: Timestamp,
    ) -> Result<PendingLogin, SamlError> {
        let xml =
            super::decode::form_value(saml_response.as_ref(), self.config.max_response_bytes())?;
        let doc = Document::parse_owned(xml, &self.limits)?;
        self.validate_document(&doc, requests, now)
    }

    /// Validates a response given as raw XML bytes (for tools and tests; browsers post base64).
    pub fn validate_xml(
        &self,
        xml: &[u8],
        requests: &RequestState<'_>,
        now: Timestamp,
    ) -> Result<PendingLogin, SamlError> {
        let doc = Document::parse(xml, &self.limits)?;
        self.validate_document(&doc, requests, now)
    }

    fn validate_document(
        &self,
        doc: &Document,
        requests: &RequestState<'_>,
        now: Timestamp,
    ) -> Result<PendingLogin, SamlError> {
        let cfg = &self.config;
        if matches!(requests.mode, Mode::Stateless) && !cfg.allows_idp_initiated() {
            return Err(UsageError::NoRequestState.into());
        }
        let shape = shape::shape(doc, self.accepts_encrypted())?;
        #[cfg(feature = "encrypted-assertions")]
        let decrypted;
        let verified = match shape.encrypted {
            #[cfg(feature = "encrypted-assertions")]
            Some(encrypted) => {
                decrypted = self.decrypt(doc, &shape, encrypted)?;
                let covered = decrypted.response.and_then(|r| r.child(encrypted));
                self.verify_decrypted(&decrypted.rebuilt, decrypted.response, covered)?
            }
            _ => self.verify(doc, &shape)?,
        };
        let assertion = verified.assertion;

        self.check_issuers_and_destination(shape.root, &verified)?;
        signed_read::version(assertion, "Assertion")?;
        let assertion_id = claims::assertion_id(assertion)?;
        let conditions_end = self.check_conditions(assertion, now)?;
        let subject = claims::subject(assertion)?;
        let response_irt = ResponseInResponseTo::of(shape.root, &verified);
        let confirmation = self.check_confirmations(subject.element, response_irt, now)?;
        let in_response_to = self.check_in_response_to(response_irt, &confirmation, requests)?;
        let latest = match conditions_end {
            Some(t) if t > confirmation.not_on_or_after => t,
            _ => confirmation.not_on_or_after,
        };

        let attributes = claims::attributes(assertion)?;
        let user = self.user_claims(&attributes)?;
        let session = claims::session(assertion)?;
        // A session the IdP already ended is no login (python3-saml refuses it too).
        self.check_window(
            "AuthnStatement/@SessionNotOnOrAfter",
            None,
            session.not_on_or_after,
            now,
        )?;
        let remember_until = latest.saturating_add(cfg.clock_skew());

        let text = Packed::new(&TextFields {
            issuer: cfg.idp_issuer(),
            assertion_id,
            name_id: &subject.name_id,
            name_id_format: subject.name_id_format,
            email: user.email,
            first_name: user.first_name,
            last_name: user.last_name,
            session_index: session.index,
            in_response_to,
        });
        Ok(PendingLogin {
            assertion: VerifiedAssertion {
                text,
                attributes,
                session_not_on_or_after: session.not_on_or_after,
                authn_instant: session.authn_instant,
                remember_until,
                verified_signatures: SignedParts::new(
                    verified.response.is_some(),
                    verified.assertion_signed,
                ),
            },
            now,
            request_to_consume: match requests.mode {
                Mode::Stored("") => in_response_to.map(RequestId::new),
                Mode::Stored(scope) => in_response_to.map(|id| RequestId::scoped(scope, id)),
                _ => None,
            },
        })
    }
}
