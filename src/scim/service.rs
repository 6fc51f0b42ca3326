//! `ScimService`: the framework-neutral SCIM 2.0 endpoint (method, path, query, headers, body in;
//! status, headers, body out) and the organization rules behind it.

use ring::rand::SystemRandom;
use serde_json::{json, Value};

use super::error::{ScimError, ScimErrorKind};
pub use super::http::{ScimEvent, ScimRequest, ScimResponse};
use super::model::{group_case_exact, user_case_exact};
use super::patch::ResourceShape;
use super::query::ListParams;
use super::token::{self, GeneratedToken, MAX_TOKEN_LEN, MIN_IMPORTED_LEN};
use super::urn::LIST_SCHEMA;
use crate::domain::ClaimToken;
use crate::domain::{DomainError, DomainName};
use crate::resource::{ENTERPRISE_USER, GROUP, USER};
use crate::store::{
    ClaimConflict, ClaimStatus, DomainClaim, OrgId, Organization, ScimStore, TokenRecord,
};
use crate::time::Timestamp;

/// Largest request body accepted (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The default bound on the work of one list or search request: resources examined times the
/// comparisons made on each (the filter's terms, plus one for a sort). A filter no index serves
/// examines every resource of the organization, so for example a one-term filter is answered
/// over up to 2,000,000 users and a 100-term one over up to 20,000; past the bound the request
/// gets 400 `tooMany`. Indexed lookups (`userName eq`, `externalId eq`, `id eq`, `displayName
/// eq`) examine only their matches. Change it with [`ScimService::with_scan_work`].
pub const DEFAULT_SCAN_WORK: usize = 2_000_000;

/// What [`ScimService::respond`] returns: the response to send and, when it is a 500 because the
/// store failed, the store's error.
#[derive(Debug)]
pub struct Served<E> {
    /// Send this as it is.
    pub response: ScimResponse,
    /// The storage failure behind a 500, if that is what it is.
    pub storage_error: Option<E>,
}

/// Why an admin operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError<E: std::error::Error + 'static> {
    /// The store failed.
    #[error("storage failed: {0}")]
    Store(#[source] E),
    /// The domain is not a valid domain name.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A token to import is too short, too long or not printable.
    #[error("the token to import must be {MIN_IMPORTED_LEN} to {MAX_TOKEN_LEN} printable ASCII characters")]
    WeakToken,
    /// The system random generator failed.
    #[error("the system random generator failed")]
    Random,
    /// Another organization holds a verified claim of the domain.
    #[error("another organization ({0}) holds a verified claim of this domain")]
    ClaimedByOther(OrgId),
    /// The claim changed while it was being written; try again.
    #[error("the domain claim changed meanwhile ({0}); try again")]
    ClaimChanged(String),
    /// The token to import is already stored for another organization, or revoked.
    #[error("this token is already in use (by another organization, or revoked)")]
    TokenInUse,
}

/// The SCIM 2.0 service provider for every organization of the host, over a [`ScimStore`].
///
/// A request's organization is the one its bearer token was generated for; nothing of another
/// organization is ever read or changed with it.
///
/// ```
/// use sso_scim::{MemoryStore, OrgId, ScimRequest, ScimService, Timestamp};
/// # sso_scim_block_on(async {
/// let scim = ScimService::new(MemoryStore::new(), "https://app.example.com/scim/v2")?;
/// let org = OrgId::new("org_1")?;
/// let now = Timestamp::parse("2026-01-15T10:00:00Z")?;
/// scim.claim_domain(&org, "example.com").await?;
/// let token = scim.generate_token(&org, "Okta", now).await?; // show token.expose_secret() once
///
/// let auth = format!("Bearer {}", token.expose_secret());
/// let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/scim+json")];
/// let body = br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane@example.com",
///   "name":{"givenName":"Jane","familyName":"Doe"},"emails":[{"value":"jane@example.com","primary":true}],"active":true}"#;
/// let created = scim.handle(&ScimRequest::new("POST", "/scim/v2/Users").headers(&headers).body(body), now).await;
/// assert_eq!(created.status, 201);
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # fn sso_scim_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ScimService<S> {
    pub(super) store: S,
    pub(super) base_url: String,
    pub(super) base_path: String,
    pub(super) rng: SystemRandom,
    pub(super) scan_work: usize,
}

/// A request's accepted bearer token: the organization it acts for. Only
/// [`ScimService::authorize`] makes one, for the request it checked; it also holds the SHA-256
/// of that request's `Authorization` header, and
/// [`respond_authorized`](ScimService::respond_authorized) answers 401 to a request whose header
/// differs (an `Authorized` reused for another request never lends it its token).
#[derive(Clone, PartialEq, Eq)]
pub struct Authorized {
    org: OrgId,
    header_digest: [u8; 32],
}

impl std::fmt::Debug for Authorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorized")
            .field("org", &self.org)
            .finish_non_exhaustive()
    }
}

/// SHA-256 of a request's `Authorization` header (empty when absent).
fn header_digest(req: &ScimRequest<'_>) -> [u8; 32] {
    let h = req.header("authorization").unwrap_or("").trim();
    let d = ring::digest::digest(&ring::digest::SHA256, h.as_bytes());
    d.as_ref().try_into().unwrap_or([0u8; 32])
}

impl Authorized {
    /// The organization the request acts for.
    pub fn org(&self) -> &OrgId {
        &self.org
    }
}

/// Why a base URL was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the SCIM base URL {0:?} must be an absolute http(s) URL without query or fragment")]
pub struct BaseUrlError(String);

/// The User as PATCH sees it: the attribute tables.
pub(crate) static USER_SHAPE: ResourceShape = ResourceShape {
    core: &USER,
    extensions: &[&ENTERPRISE_USER],
    case_exact: user_case_exact,
    not_stored: &[
        "title",
        "nickname",
        "profileurl",
        "usertype",
        "preferredlanguage",
        "timezone",
        "password",
        "phonenumbers",
        "ims",
        "photos",
        "addresses",
        "entitlements",
        "roles",
        "x509certificates",
        "name.middlename",
        "name.honorificprefix",
        "name.honorificsuffix",
        "emails.display",
    ],
};

pub(super) fn uuid(rng: &SystemRandom) -> Option<String> {
    let mut b = token::random::<16>(rng)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// The Group as PATCH sees it.
pub(crate) static GROUP_SHAPE: ResourceShape = ResourceShape {
    core: &GROUP,
    extensions: &[],
    case_exact: group_case_exact,
    not_stored: &[],
};

impl<S: ScimStore> ScimService<S> {
    /// A service answering at `base_url` (e.g. `https://app.example.com/scim/v2`: the URL an admin
    /// enters in Okta as "SCIM connector base URL"; its path is the prefix requests arrive under).
    pub fn new(store: S, base_url: &str) -> Result<ScimService<S>, BaseUrlError> {
        let u = url::Url::parse(base_url).map_err(|_| BaseUrlError(base_url.to_owned()))?;
        if !matches!(u.scheme(), "http" | "https")
            || u.query().is_some()
            || u.fragment().is_some()
            || u.host_str().is_none()
        {
            return Err(BaseUrlError(base_url.to_owned()));
        }
        let base_url = u.as_str().trim_end_matches('/').to_owned();
        let base_path = u.path().trim_end_matches('/').to_owned();
        Ok(ScimService {
            store,
            base_url,
            base_path,
            rng: SystemRandom::new(),
            scan_work: DEFAULT_SCAN_WORK,
        })
    }

    /// With another bound on the work of one list or search request (see
    /// [`DEFAULT_SCAN_WORK`]; at least 1).
    pub fn with_scan_work(mut self, scan_work: usize) -> ScimService<S> {
        self.scan_work = scan_work.max(1);
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The base URL resources are located under.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    // ----- admin operations (called by the host's settings pages, not over SCIM) -----

    /// Generates a bearer token for `org` and stores its hash. Show
    /// [`GeneratedToken::expose_secret`] to the admin once.
    pub async fn generate_token(
        &self,
        org: &OrgId,
        label: &str,
        now: Timestamp,
    ) -> Result<GeneratedToken, AdminError<S::Error>> {
        let t = token::generate(&self.rng, org, label, now).ok_or(AdminError::Random)?;
        self.store
            .insert_token(t.record())
            .await
            .map_err(AdminError::Store)?;
        Ok(t)
    }

    /// Registers a token made elsewhere (at least 20 printable ASCII characters) for `org`.
    /// Importing a token already stored for `org` returns the stored record; one stored for another
    /// organization, or revoked, is refused with [`AdminError::TokenInUse`].
    pub async fn import_token(
        &self,
        org: &OrgId,
        token: &str,
        label: &str,
        now: Timestamp,
    ) -> Result<TokenRecord, AdminError<S::Error>> {
        if token.len() < MIN_IMPORTED_LEN
            || token.len() > MAX_TOKEN_LEN
            || !token.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(AdminError::WeakToken);
        }
        let r = token::import(org, token, label, now);
        // Importing the same token again (a restart with the same configuration) is a no-op.
        if let Some(stored) = self.store.token(&r.id).await.map_err(AdminError::Store)? {
            return if stored.org == *org && token::verify(&stored, token::split(token).1) {
                Ok(stored)
            } else {
                Err(AdminError::TokenInUse)
            };
        }
        self.store
            .insert_token(&r)
            .await
            .map_err(AdminError::Store)?;
        Ok(r)
    }

    /// Revokes `org`'s token `id`; `false` when `org` has no such token.
    pub async fn revoke_token(&self, org: &OrgId, id: &str) -> Result<bool, AdminError<S::Error>> {
        self.store
            .revoke_token(org, id)
            .await
            .map_err(AdminError::Store)
    }

    /// Records a **verified** claim of `domain` by `org` without a DNS proof: for hosts that
    /// verified ownership another way (and for tests). Organizations prove their domains with
    /// [`Organizations::start_claim`](crate::Organizations::start_claim) and
    /// [`verify_claim`](crate::Organizations::verify_claim). Idempotent; refused with
    /// [`AdminError::ClaimedByOther`] when another organization holds it verified.
    pub async fn claim_domain(
        &self,
        org: &OrgId,
        domain: &str,
    ) -> Result<(), AdminError<S::Error>> {
        let d = DomainName::parse(domain)?;
        let random = crate::scim::token::random::<24>(&self.rng).ok_or(AdminError::Random)?;
        let now = Timestamp::now();
        let mut claim =
            DomainClaim::pending(org.clone(), d.clone(), ClaimToken::from_random(random), now);
        claim.status = ClaimStatus::Verified;
        claim.verified_at = Some(now);
        let r = match self.store.claim(org, &d).await.map_err(AdminError::Store)? {
            None => self.store.insert_claim(&claim).await,
            Some(existing) if existing.is_verified() => return Ok(()),
            Some(existing) => {
                let mut next = existing.clone();
                next.status = ClaimStatus::Verified;
                next.verified_at = Some(now);
                self.store.update_claim(&next, existing.version).await
            }
        };
        match r.map_err(AdminError::Store)? {
            Ok(()) => Ok(()),
            Err(ClaimConflict::VerifiedByOther(o)) => Err(AdminError::ClaimedByOther(o)),
            Err(other) => Err(AdminError::ClaimChanged(format!("{other:?}"))),
        }
    }

    // ----- the SCIM endpoint -----

    /// Answers one SCIM request at instant `now`. Never panics; storage failures become a 500
    /// (with [`ScimResponse::internal_error`] set for the host's logs) and change nothing.
    pub async fn handle(&self, req: &ScimRequest<'_>, now: Timestamp) -> ScimResponse {
        self.respond(req, now).await.response
    }

    /// As [`handle`](ScimService::handle), and on a storage failure (a 500 with a SCIM error
    /// body; nothing was changed) also the store's own error, typed, for the host's logs and
    /// alerts.
    pub async fn respond(&self, req: &ScimRequest<'_>, now: Timestamp) -> Served<S::Error> {
        match self.authorized_org(req).await {
            // Authorized on this very request: no header to compare again.
            Ok(org) => self.respond_to(&org, req, now).await,
            Err(refused) => refused,
        }
    }

    /// The first half of [`respond`](ScimService::respond), for adapters that read the body
    /// only once the request is authenticated: checks the path and the bearer token of `req`
    /// (whose body is not read) and returns the organization it acts for, or the answer to give
    /// at once (404 outside the base path, 401 without a valid token). Then read at most
    /// [`MAX_BODY_BYTES`] of the body: past that, answer [`ScimService::body_too_large`]; else
    /// call [`respond_authorized`](ScimService::respond_authorized) with the whole request.
    pub async fn authorize(&self, req: &ScimRequest<'_>) -> Result<Authorized, Served<S::Error>> {
        self.authorized_org(req).await.map(|org| Authorized {
            org,
            header_digest: header_digest(req),
        })
    }

    /// The organization `req`'s path and bearer token act for, or the answer to give at once.
    async fn authorized_org(&self, req: &ScimRequest<'_>) -> Result<OrgId, Served<S::Error>> {
        let r = async {
            self.endpoint_path(req)?;
            self.authenticate(req).await
        };
        r.await.map_err(|e| self.served(Err(e)))
    }

    /// The second half of [`respond`](ScimService::respond): answers `req` for the organization
    /// `who` was authorized for (by [`authorize`](ScimService::authorize) on this request).
    pub async fn respond_authorized(
        &self,
        who: &Authorized,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Served<S::Error> {
        if header_digest(req) != who.header_digest {
            return self.served(Err(Failure::Scim(ScimError::unauthorized(
                "this request's Authorization header is not the one that was authorized",
            ))));
        }
        self.respond_to(&who.org, req, now).await
    }

    /// Answers `req`, already authenticated as acting for `org`.
    async fn respond_to(
        &self,
        org: &OrgId,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Served<S::Error> {
        if req.body.len() > MAX_BODY_BYTES {
            return Served {
                response: self.body_too_large(),
                storage_error: None,
            };
        }
        // HEAD answers as GET would, without the body (RFC 9110 section 9.3.2).
        if req.method.eq_ignore_ascii_case("HEAD") {
            let get = ScimRequest {
                method: "GET",
                ..*req
            };
            let mut served = self.served(self.dispatch(org, &get, now).await);
            served.response.body.clear();
            return served;
        }
        self.served(self.dispatch(org, req, now).await)
    }

    /// The answer to a request whose body is over [`MAX_BODY_BYTES`]: 413 with a SCIM error.
    pub fn body_too_large(&self) -> ScimResponse {
        ScimError::new(
            ScimErrorKind::TooLarge,
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        )
        .to_response()
    }

    fn served(&self, r: Result<ScimResponse, Fail<S>>) -> Served<S::Error> {
        match r {
            Ok(response) => Served {
                response,
                storage_error: None,
            },
            Err(Failure::Scim(e)) => Served {
                response: e.to_response(),
                storage_error: None,
            },
            Err(Failure::Store(e)) => {
                let mut response = ScimError::internal().to_response();
                response.internal_error = Some(format!("storage: {e}"));
                Served {
                    response,
                    storage_error: Some(e),
                }
            }
            Err(Failure::Internal(why)) => {
                let mut response = ScimError::internal().to_response();
                response.internal_error = Some(why);
                Served {
                    response,
                    storage_error: None,
                }
            }
        }
    }

    pub(super) async fn authenticate(&self, req: &ScimRequest<'_>) -> Result<OrgId, Fail<S>> {
        let refuse = || {
            Failure::Scim(ScimError::unauthorized("a valid bearer token is required (Authorization: Bearer <token>); generate one in the organization's SCIM settings"))
        };
        let header = req.header("authorization").ok_or_else(refuse)?.trim();
        let (scheme, presented) = header.split_once(' ').ok_or_else(refuse)?;
        let presented = presented.trim();
        if !scheme.eq_ignore_ascii_case("bearer")
            || presented.is_empty()
            || presented.len() > MAX_TOKEN_LEN
        {
            return Err(refuse());
        }
        let (id, secret) = token::split(presented);
        let record = self
            .store
            .token(&id)
            .await
            .map_err(store_failure)?
            .ok_or_else(refuse)?;
        if !token::verify(&record, secret) {
            return Err(refuse());
        }
        Ok(record.org)
    }

    pub(super) async fn settings(&self, org: &OrgId) -> Result<Organization, Fail<S>> {
        Ok(self
            .store
            .organization(org)
            .await
            .map_err(store_failure)?
            .unwrap_or_else(|| Organization::new(org.clone())))
    }

    /// `POST /.search`: users then groups matching the filter, one page over both.
    pub(super) async fn search_all(
        &self,
        org: &OrgId,
        params: &ListParams,
    ) -> Result<ScimResponse, Fail<S>> {
        // The users come first, then the groups: fetch only the part of each the page covers.
        let offset = params.start_index - 1;
        let counting = ListParams {
            count: 0,
            ..params.clone()
        };
        let users_total = self.user_resources(org, &counting).await?.1;
        let from_users = users_total.saturating_sub(offset).min(params.count);
        let users = if from_users > 0 {
            let page = ListParams {
                count: from_users,
                ..params.clone()
            };
            self.user_resources(org, &page).await?.0
        } else {
            Vec::new()
        };
        let group_page = ListParams {
            start_index: offset.saturating_sub(users_total) + 1,
            count: params.count - from_users,
            ..params.clone()
        };
        let (groups, groups_total) = self.group_resources(org, &group_page).await?;
        let all: Vec<Value> = users.into_iter().chain(groups).collect();
        Ok(list_response(
            all,
            users_total + groups_total,
            params.start_index,
        ))
    }
}

/// A ListResponse.
pub(super) fn list_response(
    resources: Vec<Value>,
    total: usize,
    start_index: usize,
) -> ScimResponse {
    ScimResponse::json(
        200,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

/// A resource's representation with its `ETag`, and for a creation (201) its `Location`
/// (`{base}/{kind}/{id}`).
pub(super) fn resource_response(
    status: u16,
    body: &Value,
    version: u64,
    location: (&str, &str, &str),
) -> ScimResponse {
    let r = ScimResponse::json(status, body).with_header("ETag", super::model::etag(version));
    if status == 201 {
        let (base, kind, id) = location;
        r.with_header("Location", format!("{base}/{kind}/{id}"))
    } else {
        r
    }
}

/// Whether an entity-tag list from `If-Match` / `If-None-Match` is `*` or names the current
/// version (a weak and a strong tag of the same version compare equal).
fn names_version(list: &str, version: u64) -> bool {
    let current = super::model::etag(version);
    let strong = current.trim_start_matches("W/");
    list.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == current || t.trim_start_matches("W/") == strong)
}

/// The `If-Match` precondition (RFC 7644 3.14): when given, one of its entity tags (or `*`) must
/// be the resource's current one, else 412 and nothing changes.
pub(super) fn check_if_match(req: &ScimRequest<'_>, version: u64) -> Result<(), ScimError> {
    let Some(h) = req.header("if-match") else {
        return Ok(());
    };
    if names_version(h, version) {
        Ok(())
    } else {
        let current = super::model::etag(version);
        Err(ScimError::new(
            ScimErrorKind::PreconditionFailed,
            format!(
                "the resource's version is {current}, not {h}; read it again before changing it"
            ),
        ))
    }
}

/// `If-None-Match` on a read: true when the client's copy is current (answer 304).
pub(super) fn not_modified(req: &ScimRequest<'_>, version: u64) -> bool {
    req.header("if-none-match")
        .is_some_and(|h| names_version(h, version))
}

/// The answer to a query the store refused as too much work.
pub(super) fn too_many(e: crate::store::TooMany, scan_work: usize) -> ScimError {
    ScimError::too_many(format!(
        "this filter or sort would examine more than {} resources (the service's bound is {scan_work} comparisons per request); filter on an indexed attribute (userName, externalId or id eq; displayName eq for groups) or narrow it with one",
        e.limit
    ))
}

pub(super) fn not_member(email: &str) -> ScimError {
    ScimError::uniqueness(format!(
        "an account with email {email:?} already exists and is not a member of this organization; invite it to the organization manually (the invitation links the account), then provisioning can update it"
    ))
}

pub(super) fn json_body(
    req: &ScimRequest<'_>,
) -> Result<serde_json::Map<String, Value>, ScimError> {
    if let Some(ct) = req.header("content-type") {
        // The media type itself (parameters such as charset aside), exactly.
        let media = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if media != "application/scim+json" && media != "application/json" {
            return Err(ScimError::new(
                ScimErrorKind::UnsupportedMediaType,
                format!(
                    "the body must be application/scim+json or application/json, not {:?}",
                    ct.chars().take(100).collect::<String>()
                ),
            ));
        }
    }
    super::json::parse_object(req.body)
}

/// Internal: a SCIM error to answer, or a storage failure (500).
/// Why a request failed: a SCIM error to answer, or the store's own error (answered as a 500).
pub(super) enum Failure<E> {
    Scim(ScimError),
    Store(E),
    /// Not the store's fault, still nothing the client can change (the random generator).
    Internal(String),
}

/// The failure of a request to the service over `S`.
pub(super) type Fail<S> = Failure<<S as crate::store::Storage>::Error>;

impl<E> From<ScimError> for Failure<E> {
    fn from(e: ScimError) -> Failure<E> {
        Failure::Scim(e)
    }
}

pub(super) fn store_failure<E>(e: E) -> Failure<E> {
    Failure::Store(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        let h = [("If-Match", "W/\"3\"")];
        let req = ScimRequest::new("PUT", "/x").headers(&h);
        assert!(check_if_match(&req, 3).is_ok());
        assert_eq!(check_if_match(&req, 4).unwrap_err().status(), 412);
        let star = [("if-match", "*")];
        assert!(check_if_match(&ScimRequest::new("PUT", "/x").headers(&star), 9).is_ok());
        let none = [("If-None-Match", "\"7\", W/\"8\"")];
        assert!(not_modified(
            &ScimRequest::new("GET", "/x").headers(&none),
            8
        ));
        assert!(!not_modified(
            &ScimRequest::new("GET", "/x").headers(&none),
            9
        ));
    }
}
