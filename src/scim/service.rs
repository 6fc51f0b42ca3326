//! `ScimService`: the framework-neutral SCIM 2.0 endpoint (method, path, query, headers, body in;
//! status, headers, body out) and the organization rules behind it.

use ring::rand::SystemRandom;
use serde_json::{json, Value};

use super::error::ScimError;
use super::filter::{parse_filter, CompValue, CompareOp, Filter};
use super::model::{
    user_case_exact, user_json, UserInput, ENTERPRISE_SCHEMA, LIST_SCHEMA, USER_SCHEMA,
};
use super::patch::{self, ResourceShape};
use super::schema::{self, MAX_RESULTS};
use super::token::{self, GeneratedToken, MAX_TOKEN_LEN, MIN_IMPORTED_LEN};
use crate::domain::{email_domain, normalize_domain, DomainError};
use crate::store::{
    email_key, user_name_key, Account, AccountId, AccountLink, ClaimOutcome, Conflict, OrgId,
    Organization, Store, TokenRecord, UserRecord,
};
use crate::time::Timestamp;

/// Largest request body accepted (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default page size of list responses.
const DEFAULT_COUNT: usize = 100;

/// A request, as any web framework can build it.
#[derive(Clone, Copy, Debug)]
pub struct ScimRequest<'a> {
    /// The HTTP method (`GET`, `POST`, ...).
    pub method: &'a str,
    /// The request path, including the service's base path (e.g. `/scim/v2/Users/42`).
    pub path: &'a str,
    /// The raw query string without `?` (e.g. `filter=userName+eq+%22a%40b.c%22`).
    pub query: &'a str,
    /// The request headers (names case-insensitive).
    pub headers: &'a [(&'a str, &'a str)],
    /// The request body.
    pub body: &'a [u8],
}

impl<'a> ScimRequest<'a> {
    /// A request with no query, headers or body.
    pub fn new(method: &'a str, path: &'a str) -> ScimRequest<'a> {
        ScimRequest {
            method,
            path,
            query: "",
            headers: &[],
            body: &[],
        }
    }

    /// With this query string.
    pub fn query(mut self, query: &'a str) -> Self {
        self.query = query;
        self
    }

    /// With these headers.
    pub fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }

    /// With this body.
    pub fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// A response to send as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimResponse {
    /// The HTTP status.
    pub status: u16,
    /// Headers (`Content-Type: application/scim+json` whenever there is a body).
    pub headers: Vec<(&'static str, String)>,
    /// The body (empty for 204).
    pub body: Vec<u8>,
    /// For the host's logs only, never sent: why a 500 happened.
    pub internal_error: Option<String>,
}

impl ScimResponse {
    pub(crate) fn json(status: u16, v: &Value) -> ScimResponse {
        ScimResponse {
            status,
            headers: vec![("Content-Type", "application/scim+json".to_owned())],
            body: serde_json::to_vec(v).unwrap_or_default(),
            internal_error: None,
        }
    }

    fn empty(status: u16) -> ScimResponse {
        ScimResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            internal_error: None,
        }
    }

    fn with_header(mut self, name: &'static str, value: String) -> ScimResponse {
        self.headers.push((name, value));
        self
    }

    /// The value of a response header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (for tests and tools).
    pub fn json_body(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
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
}

/// The SCIM 2.0 service provider for every organization of the host, over a [`Store`].
///
/// A request's organization is the one its bearer token was generated for; nothing of another
/// organization is ever read or changed with it.
///
/// ```
/// use sso_scim::{MemoryStore, OrgId, ScimRequest, ScimService, Store, Timestamp};
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
///   "name":{"givenName":"Jane","familyName":"Doe"},"emails":[{"value":"jane@example.com","primary":true}]}"#;
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
    store: S,
    base_url: String,
    base_path: String,
    rng: SystemRandom,
}

/// Why a base URL was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the SCIM base URL {0:?} must be an absolute http(s) URL without query or fragment")]
pub struct BaseUrlError(String);

pub(crate) static USER_SHAPE: ResourceShape = ResourceShape {
    extensions: &[ENTERPRISE_SCHEMA],
    core: USER_SCHEMA,
    multi_valued: &["emails"],
    read_only: &["id", "meta", "groups"],
    canonical: &[
        "userName",
        "externalId",
        "name",
        "givenName",
        "familyName",
        "formatted",
        "displayName",
        "locale",
        "active",
        "emails",
        "value",
        "type",
        "primary",
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "manager",
    ],
    case_exact: user_case_exact,
};

struct Query {
    filter: Option<String>,
    start_index: usize,
    count: usize,
}

fn parse_query(q: &str) -> Result<Query, ScimError> {
    let mut out = Query {
        filter: None,
        start_index: 1,
        count: DEFAULT_COUNT,
    };
    let number = |k: &str, v: &str| -> Result<i64, ScimError> {
        v.trim()
            .parse::<i64>()
            .map_err(|_| ScimError::invalid_value(format!("{k} must be an integer, got {v:?}")))
    };
    for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
        match k.to_ascii_lowercase().as_str() {
            "filter" => out.filter = Some(v.into_owned()),
            // RFC 7644 3.4.2.4: below 1 means 1; a negative count means 0.
            "startindex" => {
                out.start_index = number("startIndex", &v)?
                    .max(1)
                    .try_into()
                    .unwrap_or(usize::MAX)
            }
            "count" => {
                out.count = usize::try_from(number("count", &v)?.max(0))
                    .unwrap_or(0)
                    .min(MAX_RESULTS)
            }
            _ => {}
        }
    }
    Ok(out)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() + 1 {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| (*c as char).to_digit(16)),
                b.get(i + 2).and_then(|c| (*c as char).to_digit(16)),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn uuid(rng: &SystemRandom) -> Option<String> {
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

fn method_not_allowed(allow: &'static str) -> ScimError {
    ScimError::new(
        405,
        "methodNotAllowed",
        format!("this endpoint allows {allow}"),
    )
}

/// An update attempt lost a race with another update: read again and retry.
enum Attempt {
    Done(Box<UserRecord>),
    Retry,
}

impl<S: Store> ScimService<S> {
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
        })
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

    /// Marks `domain` claimed by `org` (after the host verified the claim).
    pub async fn claim_domain(
        &self,
        org: &OrgId,
        domain: &str,
    ) -> Result<ClaimOutcome, AdminError<S::Error>> {
        let d = normalize_domain(domain)?;
        self.store
            .claim_domain(org, &d)
            .await
            .map_err(AdminError::Store)
    }

    // ----- the SCIM endpoint -----

    /// Answers one SCIM request at instant `now`. Never panics; storage failures become a 500
    /// (with [`ScimResponse::internal_error`] set for the host's logs) and change nothing.
    pub async fn handle(&self, req: &ScimRequest<'_>, now: Timestamp) -> ScimResponse {
        match self.dispatch(req, now).await {
            Ok(r) => r,
            Err(Failure::Scim(e)) => e.to_response(),
            Err(Failure::Store(msg)) => {
                let mut r = ScimError::internal().to_response();
                r.internal_error = Some(msg);
                r
            }
        }
    }

    async fn dispatch(
        &self,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Result<ScimResponse, Failure> {
        let path = req.path.split('?').next().unwrap_or("");
        let rest = path
            .strip_prefix(self.base_path.as_str())
            .filter(|r| r.is_empty() || r.starts_with('/'))
            .ok_or_else(|| ScimError::not_found(format!("no SCIM endpoint at {path}")))?;
        let segments: Vec<String> = rest
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let org = self.authenticate(req).await?;
        if req.body.len() > MAX_BODY_BYTES {
            return Err(ScimError::new(
                413,
                "tooLarge",
                format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
            )
            .into());
        }
        let method = req.method.to_ascii_uppercase();
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        let is = |s: &str, name: &str| s.eq_ignore_ascii_case(name);
        match (seg.as_slice(), method.as_str()) {
            ([u], "GET") if is(u, "Users") => self.list_users(&org, req).await,
            ([u], "POST") if is(u, "Users") => {
                let settings = self.settings(&org).await?;
                self.create_user(&settings, req, now).await
            }
            ([u], _) if is(u, "Users") => Err(method_not_allowed("GET, POST").into()),
            ([u, id], "GET") if is(u, "Users") => {
                let user = self.load(&org, id).await?;
                Ok(self.user_response(200, &user))
            }
            ([u, id], "PUT") if is(u, "Users") => {
                let settings = self.settings(&org).await?;
                let input = UserInput::from_json(&json_body(req)?)?;
                self.update(&settings, id, now, |_current| Ok(input.clone()))
                    .await
            }
            ([u, id], "PATCH") if is(u, "Users") => {
                let settings = self.settings(&org).await?;
                let ops = patch::parse(&json_body(req)?)?;
                let base = self.base_url.clone();
                self.update(&settings, id, now, move |current| {
                    let mut doc = user_json(current, &base);
                    patch::apply(&mut doc, &ops, &USER_SHAPE)?;
                    match &doc {
                        Value::Object(m) => UserInput::from_json(m),
                        _ => Err(ScimError::internal()),
                    }
                })
                .await
            }
            ([u, id], "DELETE") if is(u, "Users") => {
                if self
                    .store
                    .delete_user(&org, id, true)
                    .await
                    .map_err(store_failure)?
                {
                    Ok(ScimResponse::empty(204))
                } else {
                    Err(ScimError::not_found(format!("no user with id {id:?}")).into())
                }
            }
            ([u, _], _) if is(u, "Users") => {
                Err(method_not_allowed("GET, PUT, PATCH, DELETE").into())
            }
            ([s], "GET") if is(s, "ServiceProviderConfig") => Ok(ScimResponse::json(
                200,
                &schema::service_provider_config(&self.base_url),
            )),
            ([s], _) if is(s, "ServiceProviderConfig") => Err(method_not_allowed("GET").into()),
            ([s], "GET") if is(s, "ResourceTypes") => Ok(ScimResponse::json(
                200,
                &schema::list(schema::resource_types(&self.base_url)),
            )),
            ([s], "GET") if is(s, "Schemas") => Ok(ScimResponse::json(
                200,
                &schema::list(schema::schemas(&self.base_url)),
            )),
            ([s, id], "GET") if is(s, "ResourceTypes") || is(s, "Schemas") => {
                let docs = if is(s, "Schemas") {
                    schema::schemas(&self.base_url)
                } else {
                    schema::resource_types(&self.base_url)
                };
                docs.into_iter()
                    .find(|d| d["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(id)))
                    .map(|d| ScimResponse::json(200, &d))
                    .ok_or_else(|| ScimError::not_found(format!("no {s} {id:?}")).into())
            }
            ([s, ..], _) if is(s, "ResourceTypes") || is(s, "Schemas") => {
                Err(method_not_allowed("GET").into())
            }
            _ => Err(ScimError::not_found(format!("no SCIM endpoint at {path}")).into()),
        }
    }

    async fn authenticate(&self, req: &ScimRequest<'_>) -> Result<OrgId, Failure> {
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

    async fn settings(&self, org: &OrgId) -> Result<Organization, Failure> {
        Ok(self
            .store
            .organization(org)
            .await
            .map_err(store_failure)?
            .unwrap_or_else(|| Organization::new(org.clone())))
    }

    fn location(&self, id: &str) -> String {
        format!("{}/Users/{id}", self.base_url)
    }

    fn user_response(&self, status: u16, u: &UserRecord) -> ScimResponse {
        let location = self.location(&u.id);
        let r = ScimResponse::json(status, &user_json(u, &location))
            .with_header("ETag", super::model::etag(u.version));
        if status == 201 {
            r.with_header("Location", location)
        } else {
            r
        }
    }

    async fn load(&self, org: &OrgId, id: &str) -> Result<UserRecord, Failure> {
        self.store
            .user(org, id)
            .await
            .map_err(store_failure)?
            .ok_or_else(|| ScimError::not_found(format!("no user with id {id:?}")).into())
    }

    async fn list_users(
        &self,
        org: &OrgId,
        req: &ScimRequest<'_>,
    ) -> Result<ScimResponse, Failure> {
        let q = parse_query(req.query)?;
        let start = q.start_index - 1;
        let (users, total) = match &q.filter {
            None => {
                let page = self
                    .store
                    .list_users(org, start, q.count)
                    .await
                    .map_err(store_failure)?;
                (page.users, page.total)
            }
            Some(f) => {
                let all = self.lookup(org, &parse_filter(f)?).await?;
                let total = all.len();
                (all.into_iter().skip(start).take(q.count).collect(), total)
            }
        };
        let resources: Vec<Value> = users
            .iter()
            .map(|u| user_json(u, &self.location(&u.id)))
            .collect();
        Ok(ScimResponse::json(
            200,
            &json!({
                "schemas": [LIST_SCHEMA],
                "totalResults": total,
                "startIndex": q.start_index,
                "itemsPerPage": resources.len(),
                "Resources": resources,
            }),
        ))
    }

    /// Filters served from the store's indexes: `eq` on userName, externalId or id.
    async fn lookup(&self, org: &OrgId, f: &Filter) -> Result<Vec<UserRecord>, Failure> {
        let unsupported = || {
            Failure::Scim(ScimError::invalid_filter(
                "this service filters users with eq on userName, externalId or id (e.g. userName eq \"jane@example.com\")",
            ))
        };
        let Filter::Compare(path, CompareOp::Eq, CompValue::Str(v)) = f else {
            return Err(unsupported());
        };
        if path
            .schema
            .as_deref()
            .is_some_and(|s| !s.eq_ignore_ascii_case(USER_SCHEMA))
        {
            return Err(unsupported());
        }
        let s = &self.store;
        Ok(if path.is("userName") {
            s.user_by_user_name(org, &user_name_key(v))
                .await
                .map_err(store_failure)?
                .into_iter()
                .collect()
        } else if path.is("externalId") {
            s.users_by_external_id(org, v)
                .await
                .map_err(store_failure)?
        } else if path.is("id") {
            s.user(org, v)
                .await
                .map_err(store_failure)?
                .into_iter()
                .collect()
        } else {
            return Err(unsupported());
        })
    }

    /// Organization rule: userName and the primary email are on a domain the organization claimed.
    async fn check_domains(
        &self,
        settings: &Organization,
        input: &UserInput,
    ) -> Result<(), Failure> {
        if !settings.require_claimed_domain {
            return Ok(());
        }
        for (attr, value) in [
            ("userName", input.user_name.as_str()),
            ("the primary email", input.primary_email()),
        ] {
            let domain = email_domain(value).map_err(|_| {
                ScimError::invalid_value(format!(
                    "{attr} must be an email address on a domain this organization has claimed (got {value:?})"
                ))
            })?;
            let owner = self
                .store
                .domain_owner(&domain)
                .await
                .map_err(store_failure)?;
            if owner.as_ref() != Some(&settings.id) {
                return Err(ScimError::invalid_value(format!(
                    "the email domain {domain} of {attr} {value:?} is not claimed by this organization; an organization admin must claim and verify {domain} in the organization's settings before users on it can be provisioned"
                ))
                .into());
            }
        }
        Ok(())
    }

    fn record_from(&self, input: UserInput, base: UserRecord, now: Timestamp) -> UserRecord {
        UserRecord {
            user_name: input.user_name,
            external_id: input.external_id,
            given_name: Some(input.given_name),
            family_name: Some(input.family_name),
            formatted_name: input.formatted_name,
            display_name: input.display_name,
            locale: input.locale,
            emails: input.emails,
            active: input.active,
            enterprise: input.enterprise,
            last_modified: now,
            ..base
        }
    }

    async fn create_user(
        &self,
        settings: &Organization,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Result<ScimResponse, Failure> {
        let input = UserInput::from_json(&json_body(req)?)?;
        self.check_domains(settings, &input).await?;
        let org = &settings.id;
        // A user this organization provisioned and deactivated, POSTed again: restore it.
        if let Some(existing) = self
            .store
            .user_by_user_name(org, &user_name_key(&input.user_name))
            .await
            .map_err(store_failure)?
        {
            if existing.active {
                return Err(ScimError::uniqueness(format!(
                    "a user with userName {:?} already exists in this organization (id {})",
                    existing.user_name, existing.id
                ))
                .into());
            }
            let id = existing.id.clone();
            let restored = self
                .update(settings, &id, now, move |_| {
                    let mut i = input.clone();
                    i.active = true;
                    Ok(i)
                })
                .await?;
            let mut r = restored;
            r.status = 201;
            r.headers.push(("Location", self.location(&id)));
            return Ok(r);
        }
        let email = input.primary_email().to_owned();
        let link = match self
            .store
            .account_by_email(&email_key(&email))
            .await
            .map_err(store_failure)?
        {
            Some(account) => match self
                .store
                .membership(org, &account.id)
                .await
                .map_err(store_failure)?
            {
                Some(_) => AccountLink::Existing(account.id),
                None => return Err(not_member(&email).into()),
            },
            None => {
                let id = uuid(&self.rng)
                    .ok_or_else(|| Failure::Store("the system random generator failed".into()))?;
                AccountLink::New(Account {
                    id: AccountId::new(id).map_err(|e| Failure::Store(e.to_string()))?,
                    email: email.clone(),
                    provisioned_by: Some(org.clone()),
                })
            }
        };
        let account = match &link {
            AccountLink::Existing(a) => a.clone(),
            AccountLink::New(a) => a.id.clone(),
        };
        let id = uuid(&self.rng)
            .ok_or_else(|| Failure::Store("the system random generator failed".into()))?;
        let base = UserRecord {
            id,
            org: org.clone(),
            account,
            user_name: String::new(),
            external_id: None,
            given_name: None,
            family_name: None,
            formatted_name: None,
            display_name: None,
            locale: None,
            emails: Vec::new(),
            active: true,
            enterprise: Default::default(),
            created: now,
            last_modified: now,
            version: 1,
        };
        let record = self.record_from(input, base, now);
        match self.store.create_user(&record, &link).await.map_err(store_failure)? {
            Ok(()) => Ok(self.user_response(201, &record)),
            Err(Conflict::UserName) => Err(ScimError::uniqueness(format!("a user with userName {:?} already exists in this organization", record.user_name)).into()),
            Err(Conflict::Email) | Err(Conflict::NotMember) => Err(not_member(&email).into()),
            Err(Conflict::AccountLinked) => Err(ScimError::uniqueness(format!(
                "the account with email {email:?} is already provisioned in this organization under another userName"
            ))
            .into()),
            Err(other) => Err(Failure::Store(format!("unexpected conflict on create: {other}"))),
        }
    }

    /// Reads the user, computes its new state with `next`, and stores it (retrying when another
    /// update won a race), applying deactivation and the organization's delete setting.
    async fn update<F>(
        &self,
        settings: &Organization,
        id: &str,
        now: Timestamp,
        next: F,
    ) -> Result<ScimResponse, Failure>
    where
        F: Fn(&UserRecord) -> Result<UserInput, ScimError> + Send + Sync,
    {
        for _ in 0..4 {
            let current = self.load(&settings.id, id).await?;
            let input = next(&current)?;
            self.check_domains(settings, &input).await?;
            match self.try_update(settings, current, input, now).await? {
                Attempt::Done(u) => return Ok(self.user_response(200, &u)),
                Attempt::Retry => continue,
            }
        }
        Err(ScimError::new(
            409,
            "invalidVers",
            "the user was changed concurrently several times; retry",
        )
        .into())
    }

    async fn try_update(
        &self,
        settings: &Organization,
        current: UserRecord,
        input: UserInput,
        now: Timestamp,
    ) -> Result<Attempt, Failure> {
        let email = input.primary_email().to_owned();
        let version = current.version;
        let mut next = self.record_from(input, current, now);
        if !next.active && settings.delete_on_deactivate {
            self.store
                .delete_user(&settings.id, &next.id, true)
                .await
                .map_err(store_failure)?;
            return Ok(Attempt::Done(Box::new(next)));
        }
        match self.store.update_user(&next, &email, version).await.map_err(store_failure)? {
            Ok(()) => {
                next.version = version + 1;
                Ok(Attempt::Done(Box::new(next)))
            }
            Err(Conflict::Version { .. }) => Ok(Attempt::Retry),
            Err(Conflict::UserName) => Err(ScimError::uniqueness(format!("another user of this organization has userName {:?}", next.user_name)).into()),
            Err(Conflict::Email) => Err(ScimError::uniqueness(format!(
                "another account already has the email {email:?}; it cannot become this user's email"
            ))
            .into()),
            Err(Conflict::NotFound) => Err(ScimError::not_found(format!("no user with id {:?}", next.id)).into()),
            Err(other) => Err(Failure::Store(format!("unexpected conflict on update: {other}"))),
        }
    }
}

fn not_member(email: &str) -> ScimError {
    ScimError::uniqueness(format!(
        "an account with email {email:?} already exists and is not a member of this organization; invite it to the organization manually (the invitation links the account), then provisioning can update it"
    ))
}

fn json_body(req: &ScimRequest<'_>) -> Result<serde_json::Map<String, Value>, ScimError> {
    if let Some(ct) = req.header("content-type") {
        let ct = ct.to_ascii_lowercase();
        if !ct.contains("json") {
            return Err(ScimError::new(
                415,
                "unsupportedMediaType",
                format!("the body must be application/scim+json or application/json, not {ct}"),
            ));
        }
    }
    super::json::parse_object(req.body)
}

/// Internal: a SCIM error to answer, or a storage failure (500).
enum Failure {
    Scim(ScimError),
    Store(String),
}

impl From<ScimError> for Failure {
    fn from(e: ScimError) -> Failure {
        Failure::Scim(e)
    }
}

fn store_failure<E: std::error::Error>(e: E) -> Failure {
    Failure::Store(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters() {
        let q =
            parse_query("filter=userName+eq+%22test.user%40okta.local%22&startIndex=1&count=100")
                .unwrap();
        assert_eq!(
            q.filter.as_deref(),
            Some("userName eq \"test.user@okta.local\"")
        );
        assert_eq!((q.start_index, q.count), (1, 100));
        let q = parse_query("startIndex=-5&count=-1").unwrap();
        assert_eq!((q.start_index, q.count), (1, 0));
        assert_eq!(parse_query("count=100000").unwrap().count, MAX_RESULTS);
        assert!(parse_query("count=ten").is_err());
        assert_eq!(percent_decode("urn%3Aa%3Ab%zz"), "urn:a:b%zz");
    }
}
