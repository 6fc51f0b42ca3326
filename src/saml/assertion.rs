//! What a validated response yields: a `PendingLogin`, which becomes a `VerifiedAssertion` only
//! once its assertion id has been consumed through a replay cache.

use super::attributes::{AttributeValues, Attributes};
use super::replay::{MemoryReplayCache, MemoryReplayError, ReplayCache, ReplayKey};
use super::requests::{AuthnRequestStore, RequestId};
use crate::error::{ReplayError, SignedPart};
use crate::time::Timestamp;

/// The facts of an assertion that passed every check, including replay protection.
///
/// Only [`PendingLogin::consume`] creates one, so a host cannot log a user in from an assertion
/// whose id it forgot to consume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedAssertion {
    pub(crate) issuer: String,
    pub(crate) assertion_id: String,
    pub(crate) name_id: String,
    pub(crate) name_id_format: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) attributes: Attributes,
    pub(crate) session_index: Option<String>,
    pub(crate) session_not_on_or_after: Option<Timestamp>,
    pub(crate) authn_instant: Option<Timestamp>,
    pub(crate) in_response_to: Option<String>,
    pub(crate) remember_until: Timestamp,
    pub(crate) verified_signatures: Vec<SignedPart>,
}

impl VerifiedAssertion {
    /// The IdP that issued the assertion (equal to the configured Issuer URL).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The assertion's ID.
    pub fn assertion_id(&self) -> &str {
        &self.assertion_id
    }

    /// The Subject's NameID value.
    pub fn name_id(&self) -> &str {
        &self.name_id
    }

    /// The NameID Format URI, if given (Okta: usually `...:nameid-format:emailAddress`).
    pub fn name_id_format(&self) -> Option<&str> {
        self.name_id_format.as_deref()
    }

    /// The user's email from the email attribute statement. Always present when the configuration
    /// requires it (the default).
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The email's domain, normalized by the crate's email rule (lowercase ASCII, punycode for
    /// an internationalized domain, as domain claims store it); `None` without an email.
    pub fn email_domain(&self) -> Option<String> {
        self.email
            .as_deref()
            .and_then(|e| crate::domain::email_domain(e).ok())
            .map(|d| d.as_str().to_owned())
    }

    /// First name from the first-name attribute statement, if present.
    pub fn first_name(&self) -> Option<&str> {
        self.first_name.as_deref()
    }

    /// Last name from the last-name attribute statement, if present.
    pub fn last_name(&self) -> Option<&str> {
        self.last_name.as_deref()
    }

    /// Every attribute statement: name to values (multi-valued attributes keep every value, in
    /// document order; attributes repeated under the same name are merged).
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// The values of attribute `name` (exact name), in document order.
    pub fn attribute(&self, name: &str) -> Option<AttributeValues<'_>> {
        self.attributes.get(name)
    }

    /// The AuthnStatement's SessionIndex, needed for single logout.
    pub fn session_index(&self) -> Option<&str> {
        self.session_index.as_deref()
    }

    /// The AuthnStatement's SessionNotOnOrAfter: the IdP asks that the host session end then.
    pub fn session_not_on_or_after(&self) -> Option<Timestamp> {
        self.session_not_on_or_after
    }

    /// When the user authenticated at the IdP.
    pub fn authn_instant(&self) -> Option<Timestamp> {
        self.authn_instant
    }

    /// The request this answers (`None` for IdP-initiated logins). The host should now forget
    /// that outstanding request id.
    pub fn in_response_to(&self) -> Option<&str> {
        self.in_response_to.as_deref()
    }

    /// The signatures that were verified (with the configured certificate): the Response's,
    /// the Assertion's, or both.
    pub fn verified_signatures(&self) -> &[SignedPart] {
        &self.verified_signatures
    }

    /// Until when the assertion id had to be remembered for replay protection (the assertion's
    /// latest NotOnOrAfter plus the clock skew).
    pub fn remember_until(&self) -> Timestamp {
        self.remember_until
    }
}

/// A response that passed every check except replay protection. It yields no login until
/// [`consume`](PendingLogin::consume)d once through a [`ReplayCache`].
#[derive(Debug)]
#[must_use = "a PendingLogin logs nobody in until it is consumed through a replay cache"]
pub struct PendingLogin {
    pub(crate) assertion: VerifiedAssertion,
    pub(crate) now: Timestamp,
    /// The AuthnRequest id to consume with the assertion id (validated with
    /// [`RequestState::stored`](crate::RequestState::stored) and answering a request).
    pub(crate) request_to_consume: Option<RequestId>,
}

impl PendingLogin {
    /// The assertion id that will be consumed.
    pub fn assertion_id(&self) -> &str {
        &self.assertion.assertion_id
    }

    /// The issuing IdP.
    pub fn issuer(&self) -> &str {
        &self.assertion.issuer
    }

    /// The key under which the id is consumed.
    pub fn replay_key(&self) -> ReplayKey {
        ReplayKey::new(&self.assertion.issuer, &self.assertion.assertion_id)
    }

    /// Until when the id must be remembered.
    pub fn remember_until(&self) -> Timestamp {
        self.assertion.remember_until
    }

    /// [`consume`](PendingLogin::consume) for a [`MemoryReplayCache`], without an async runtime
    /// (for synchronous hosts, tools and tests).
    pub fn consume_now(
        self,
        cache: &MemoryReplayCache,
    ) -> Result<VerifiedAssertion, ReplayError<MemoryReplayError>> {
        self.needs_no_request()?;
        let key = self.replay_key();
        let first = cache
            .consume_once_now(&key, self.assertion.remember_until, self.now)
            .map_err(ReplayError::Cache)?;
        self.finish(first)
    }

    /// The AuthnRequest id [`consume_with`](PendingLogin::consume_with) will consume, if any.
    pub fn request_to_consume(&self) -> Option<&RequestId> {
        self.request_to_consume.as_ref()
    }

    fn needs_no_request<E: std::error::Error + 'static>(&self) -> Result<(), ReplayError<E>> {
        match &self.request_to_consume {
            Some(id) => Err(ReplayError::RequestStoreNeeded {
                in_response_to: id.as_str().rsplit('\0').next().unwrap_or("").to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// Consumes the AuthnRequest id the response answers in `requests` (when it answers one:
    /// it must be outstanding and unexpired, and is consumed once), then the assertion id in
    /// `cache`, and yields the verified facts. Use with
    /// [`RequestState::stored`](crate::RequestState::stored): the request id and the assertion
    /// id are each consumed exactly once, so neither a replayed response nor a second response
    /// to one request logs anyone in. A store failure refuses the login.
    pub async fn consume_with<C: ReplayCache, R: AuthnRequestStore>(
        self,
        cache: &C,
        requests: &R,
    ) -> Result<VerifiedAssertion, ReplayError<C::Error>> {
        if let Some(id) = &self.request_to_consume {
            let outstanding = requests
                .consume_request(id, self.now)
                .await
                .map_err(|e| ReplayError::Requests(Box::new(e)))?;
            if !outstanding {
                return Err(ReplayError::UnknownRequest {
                    in_response_to: id.as_str().rsplit('\0').next().unwrap_or("").to_owned(),
                });
            }
        }
        let key = self.replay_key();
        let first = cache
            .consume_once(&key, self.assertion.remember_until, self.now)
            .await
            .map_err(ReplayError::Cache)?;
        self.finish(first)
    }

    fn finish<E: std::error::Error + 'static>(
        self,
        first: bool,
    ) -> Result<VerifiedAssertion, ReplayError<E>> {
        if first {
            Ok(self.assertion)
        } else {
            Err(ReplayError::Replayed {
                issuer: self.assertion.issuer,
                assertion_id: self.assertion.assertion_id,
            })
        }
    }

    /// Consumes the assertion id in `cache` (atomically, once) and yields the verified facts.
    /// A second consume of the same assertion, with any cache sharing that state, gives
    /// [`ReplayError::Replayed`]; a failing cache gives [`ReplayError::Cache`] (fail closed).
    ///
    /// When the validator was given [`RequestState::stored`](crate::RequestState::stored) and
    /// the response answers a request, this refuses with [`ReplayError::RequestStoreNeeded`]
    /// (consuming nothing): use [`consume_with`](PendingLogin::consume_with).
    pub async fn consume<C: ReplayCache>(
        self,
        cache: &C,
    ) -> Result<VerifiedAssertion, ReplayError<C::Error>> {
        self.needs_no_request()?;
        let key = self.replay_key();
        let first = cache
            .consume_once(&key, self.assertion.remember_until, self.now)
            .await
            .map_err(ReplayError::Cache)?;
        self.finish(first)
    }
}
