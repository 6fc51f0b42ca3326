//! `RequestState`: how the validator judges a response's `InResponseTo`.

/// Which login requests the host has outstanding, to judge `InResponseTo`.
#[derive(Clone, Debug)]
pub struct RequestState<'a> {
    pub(super) mode: Mode<'a>,
}

#[derive(Clone, Debug)]
pub(super) enum Mode<'a> {
    Outstanding(Vec<&'a str>),
    Stateless,
    Stored(&'a str),
}

impl<'a> RequestState<'a> {
    /// The ids of the AuthnRequests this host sent and has not seen answered (for this browser
    /// session, typically kept in a cookie-bound server-side session). An empty list is fine:
    /// then only IdP-initiated responses (without InResponseTo) can pass, if allowed.
    pub fn outstanding<S: AsRef<str>>(ids: &'a [S]) -> RequestState<'a> {
        RequestState {
            mode: Mode::Outstanding(ids.iter().map(AsRef::as_ref).collect()),
        }
    }

    /// The host keeps no request state. Only accepted when IdP-initiated logins are allowed, and
    /// then InResponseTo is **not judged** at all: a response to any request (or none) passes.
    /// This is weaker than [`outstanding`](RequestState::outstanding): a response captured from
    /// another login flow can be posted here (it is still single-use, audience-bound and
    /// short-lived).
    pub fn stateless() -> RequestState<'static> {
        RequestState {
            mode: Mode::Stateless,
        }
    }

    /// The host stored each AuthnRequest id through an
    /// [`AuthnRequestStore`](crate::AuthnRequestStore) when it sent the request (as
    /// [`Organizations::start_login`](crate::Organizations::start_login) does). The response's
    /// InResponseTo is then consumed from that store, with the assertion id, by
    /// [`PendingLogin::consume_with`](crate::PendingLogin::consume_with): it must be outstanding and unexpired, and answers at most
    /// once. Responses without InResponseTo pass only when IdP-initiated logins are allowed.
    /// Needs no browser cookie, so it works for the IdP's cross-site POST to the ACS.
    pub fn stored() -> RequestState<'static> {
        RequestState {
            mode: Mode::Stored(""),
        }
    }

    /// As [`stored`](RequestState::stored), with the ids stored under `scope` (an organization
    /// id, say) as [`RequestId::scoped`](crate::RequestId::scoped) makes them: a response to a request started for
    /// another scope is refused at consume.
    pub fn stored_in(scope: &'a str) -> RequestState<'a> {
        RequestState {
            mode: Mode::Stored(scope),
        }
    }
}
