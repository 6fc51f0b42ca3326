//! What a validated response yields: a `PendingLogin`, which becomes a `VerifiedAssertion` only
//! once its assertion id has been consumed through a replay cache.

use super::attributes::{AttributeValues, Attributes};
use super::replay::{MemoryReplayCache, MemoryReplayError, ReplayCache, ReplayKey};
use super::requests::{AuthnRequestStore, RequestId};
use std::fmt;

use crate::error::{ReplayError, SignedPart};
use crate::time::Timestamp;

/// The facts of an assertion that passed every check, including replay protection.
///
/// Only [`PendingLogin::consume`] creates one, so a host cannot log a user in from an assertion
/// whose id it forgot to consume.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    /// The text fields, in one buffer.
    pub(crate) text: Packed,
    pub(crate) attributes: Attributes,
    pub(crate) session_not_on_or_after: Option<Timestamp>,
    pub(crate) authn_instant: Option<Timestamp>,
    pub(crate) remember_until: Timestamp,
    pub(crate) verified_signatures: SignedParts,
}

/// The text fields of a [`VerifiedAssertion`].
#[derive(Clone, Copy)]
pub(crate) struct TextFields<'a> {
    pub issuer: &'a str,
    pub assertion_id: &'a str,
    pub name_id: &'a str,
    pub name_id_format: Option<&'a str>,
    pub email: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub session_index: Option<&'a str>,
    pub in_response_to: Option<&'a str>,
}

#[derive(Clone, Copy)]
enum Field {
    Issuer,
    AssertionId,
    NameId,
    NameIdFormat,
    Email,
    FirstName,
    LastName,
    SessionIndex,
    InResponseTo,
}

const FIELDS: usize = 9;

/// [`TextFields`] copied into one string: one allocation for all of them.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Packed {
    text: String,
    /// `(start, len)` per [`Field`]; `None` when absent.
    spans: [Option<(u32, u32)>; FIELDS],
}

impl Packed {
    pub(crate) fn new(f: &TextFields<'_>) -> Packed {
        let all = [
            Some(f.issuer),
            Some(f.assertion_id),
            Some(f.name_id),
            f.name_id_format,
            f.email,
            f.first_name,
            f.last_name,
            f.session_index,
            f.in_response_to,
        ];
        let mut text = String::with_capacity(all.iter().flatten().map(|v| v.len()).sum());
        let mut spans = [None; FIELDS];
        for (span, value) in spans.iter_mut().zip(all) {
            if let Some(v) = value {
                *span = Some((text.len() as u32, v.len() as u32));
                text.push_str(v);
            }
        }
        Packed { text, spans }
    }

    fn get(&self, field: Field) -> Option<&str> {
        let (start, len) = self.spans[field as usize]?;
        self.text.get(start as usize..(start + len) as usize)
    }

    fn required(&self, field: Field) -> &str {
        self.get(field).unwrap_or("")
    }
}

/// The signatures that were verified: one or two parts, without allocating.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct SignedParts {
    parts: [SignedPart; 2],
    len: u8,
}

impl SignedParts {
    pub(crate) fn new(response: bool, assertion: bool) -> SignedParts {
        let mut out = SignedParts {
            parts: [SignedPart::Response, SignedPart::Assertion],
            len: 0,
        };
        if !response {
            out.parts = [SignedPart::Assertion, SignedPart::Assertion];
        }
        out.len = u8::from(response) + u8::from(assertion);
        out
    }

    fn as_slice(&self) -> &[SignedPart] {
        &self.parts[..self.len as usize]
    }
}

impl fmt::Debug for VerifiedAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Field by field, as the facts read.
        f.debug_struct("VerifiedAssertion")
            .field("issuer", &self.issuer())
            .field("assertion_id", &self.assertion_id())
            .field("name_id", &self.name_id())
            .field("name_id_format", &self.name_id_format())
            .field("email", &self.email())
            .field("first_name", &self.first_name())
            .field("last_name", &self.last_name())
            .field("attributes", &self.attributes)
            .field("session_index", &self.session_index())
            .field("session_not_on_or_after", &self.session_not_on_or_after)
            .field("authn_instant", &self.authn_instant)
            .field("in_response_to", &self.in_response_to())
            .field("remember_until", &self.remember_until)
            .field("verified_signatures", &self.verified_signatures())
            .finish()
    }
}

impl VerifiedAssertion {
    /// The IdP that issued the assertion (equal to the configured Issuer URL).
    pub fn issuer(&self) -> &str {
        self.text.required(Field::Issuer)
    }

    /// The assertion's ID.
    pub fn assertion_id(&self) -> &str {
        self.text.required(Field::AssertionId)
    }

    /// The Subject's NameID value.
    pub fn name_id(&self) -> &str {
        self.text.required(Field::NameId)
    }

    /// The NameID Format URI, if given (Okta: usually `...:nameid-format:emailAddress`).
    pub fn name_id_format(&self) -> Option<&str> {
        self.text.get(Field::NameIdFormat)
    }

    /// The user's email from the email attribute statement. Always present when the configuration
    /// requires it (the default).
    pub fn email(&self) -> Option<&str> {
        self.text.get(Field::Email)
    }

    /// The email's domain, normalized by the crate's email rule (lowercase ASCII, punycode for
    /// an internationalized domain, as domain claims store it); `None` without an email.
    pub fn email_domain(&self) -> Option<String> {
        self.email()
            .and_then(|e| crate::domain::email_domain(e).ok())
            .map(|d| d.as_str().to_owned())
    }

    /// First name from the first-name attribute statement, if present.
    pub fn first_name(&self) -> Option<&str> {
        self.text.get(Field::FirstName)
    }

    /// Last name from the last-name attribute statement, if present.
    pub fn last_name(&self) -> Option<&str> {
        self.text.get(Field::LastName)
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
        self.text.get(Field::SessionIndex)
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
        self.text.get(Field::InResponseTo)
    }

    /// The signatures that were verified (with the configured certificate): the Response's,
    /// the Assertion's, or both.
    pub fn verified_signatures(&self) -> &[SignedPart] {
        self.verified_signatures.as_slice()
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
        self.assertion.assertion_id()
    }

    /// The issuing IdP.
    pub fn issuer(&self) -> &str {
        self.assertion.issuer()
    }

    /// The key under which the id is consumed.
    pub fn replay_key(&self) -> ReplayKey {
        ReplayKey::new(self.assertion.issuer(), self.assertion.assertion_id())
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
                issuer: self.assertion.issuer().to_owned(),
                assertion_id: self.assertion.assertion_id().to_owned(),
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
