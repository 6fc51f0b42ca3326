//! `scim_server`: a SCIM 2.0 endpoint for one organization, served by axum, on a durable store.
//!
//! ```text
//! scim_server --listen 127.0.0.1:8080 [--store SPEC] [--token TOKEN] [--claim-domain example.com]... [--any-domain]
//! ```
//!
//! - `--store SPEC`: `memory`, `sqlite:PATH` (a file, relative to the working directory, created
//!   when missing) or a `postgres://` / `postgresql://` URL; default `sqlite:./scim_server.sqlite3`.
//!   The first line printed is `Store: SPEC` (a password in a URL is redacted). On SQLite a
//!   restart keeps every user, group, token and claim;
//! - serves `http://LISTEN/scim/v2/...` (Users, Groups, ServiceProviderConfig, ResourceTypes,
//!   Schemas);
//! - `--token T` registers the bearer token `T` (accepted again after a restart); without it a
//!   token is generated and printed once, but only when the organization has no token yet;
//! - `--claim-domain` records a *verified* claim of a domain by the organization (repeatable): a
//!   shortcut for tests and demos, which skips the DNS proof a real organization must give;
//! - `--any-domain` turns the claimed-domain rule off, for conformance testers that invent
//!   userNames which are not emails on a claimed domain. Never use it for a real organization.
//!
//! The adapter is the two dozen lines of `scim` and `send`: any framework can do the same with
//! `ScimService::authorize` and `respond_authorized` (or `handle`, when the framework has read
//! the body already).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use sso_scim::store::SqliteStore;
use sso_scim::{
    MemoryStore, OrgId, Organization, ScimRequest, ScimResponse, ScimService, ScimStore, Timestamp,
    MAX_BODY_BYTES,
};

/// The whole framework adapter: request parts in, SCIM response out. The token is checked
/// before the body is read, and at most `MAX_BODY_BYTES` of it are read: an unauthenticated
/// request gets 401 whatever its size, an authenticated one over the limit a SCIM 413.
async fn scim<S: ScimStore>(
    State(service): State<Arc<ScimService<S>>>,
    req: Request<Body>,
) -> Response {
    let (parts, body) = req.into_parts();
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    let mut req = ScimRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body: &[],
    };
    let who = match service.authorize(&req).await {
        Ok(who) => who,
        Err(refused) => return send(refused.response),
    };
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return send(service.body_too_large());
    };
    req.body = &body;
    let served = service
        .respond_authorized(&who, &req, Timestamp::now())
        .await;
    send(served.response)
}

/// A SCIM response as axum's: the service's headers only (no content type on 204 or 304).
fn send(r: ScimResponse) -> Response {
    if let Some(e) = &r.internal_error {
        eprintln!("scim_server: internal error: {e}");
    }
    let mut out = Response::new(Body::from(r.body));
    *out.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            out.headers_mut().insert(k, v);
        }
    }
    out
}

struct Args {
    listen: SocketAddr,
    store: StoreSpec,
    token: Option<String>,
    domains: Vec<String>,
    any_domain: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut listen = None;
    let mut store = StoreSpec::parse("sqlite:./scim_server.sqlite3")?;
    let mut token = None;
    let mut domains = Vec::new();
    let mut any_domain = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--listen" => {
                listen = Some(
                    it.next()
                        .ok_or("--listen needs an address")?
                        .parse()
                        .map_err(|e| format!("--listen: {e}"))?,
                )
            }
            "--store" => store = StoreSpec::parse(&it.next().ok_or("--store needs a SPEC")?)?,
            "--token" => token = Some(it.next().ok_or("--token needs a value")?),
            "--claim-domain" => domains.push(it.next().ok_or("--claim-domain needs a domain")?),
            "--any-domain" => any_domain = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        listen: listen.ok_or("--listen is required")?,
        store,
        token,
        domains,
        any_domain,
    })
}

/// Where the data lives.
enum StoreSpec {
    Memory,
    Sqlite(String),
    Postgres(String),
}

impl StoreSpec {
    fn parse(spec: &str) -> Result<StoreSpec, String> {
        if spec == "memory" {
            Ok(StoreSpec::Memory)
        } else if let Some(path) = spec.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err("--store sqlite: needs a path (sqlite:./data.sqlite3)".into());
            }
            Ok(StoreSpec::Sqlite(path.to_owned()))
        } else if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            Ok(StoreSpec::Postgres(spec.to_owned()))
        } else {
            Err(format!(
                "--store {spec:?}: expected memory, sqlite:PATH or a postgres:// URL"
            ))
        }
    }

    /// The spec as printed: a URL's password is never shown.
    fn display(&self) -> String {
        match self {
            StoreSpec::Memory => "memory".into(),
            StoreSpec::Sqlite(p) => format!("sqlite:{p}"),
            StoreSpec::Postgres(url) => redact_password(url),
        }
    }
}

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`; a `password=` parameter is
/// masked too. The userinfo ends at the *last* `@`, so a password with `/`, `#` or `@` is still
/// masked whole.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let rest = match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => rest.to_owned(),
    };
    let masked: Vec<String> = rest
        .split('&')
        .map(|part| match part.find("password=") {
            Some(i) if i == 0 || part[..i].ends_with('?') => format!("{}password=***", &part[..i]),
            _ => part.to_owned(),
        })
        .collect();
    format!("{scheme}://{}", masked.join("&"))
}

fn usage() -> ExitCode {
    eprintln!("usage: scim_server --listen 127.0.0.1:8080 [--store memory|sqlite:PATH|postgres://URL] [--token TOKEN] [--claim-domain example.com]... [--any-domain]");
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("scim_server: {e}");
            }
            return usage();
        }
    };
    println!("Store: {}", args.store.display());
    match &args.store {
        StoreSpec::Memory => serve(MemoryStore::new(), &args).await,
        StoreSpec::Sqlite(path) => match SqliteStore::open(path) {
            Ok(store) => serve(store, &args).await,
            Err(e) => {
                eprintln!("scim_server: cannot open {path}: {e}");
                ExitCode::from(1)
            }
        },
        #[cfg(feature = "postgres")]
        StoreSpec::Postgres(url) => match sso_scim::store::PostgresStore::connect(url).await {
            Ok(store) => serve(store, &args).await,
            Err(e) => {
                eprintln!("scim_server: cannot use {}: {e}", args.store.display());
                ExitCode::from(1)
            }
        },
        #[cfg(not(feature = "postgres"))]
        StoreSpec::Postgres(_) => {
            eprintln!("scim_server: built without the postgres feature (cargo run --features postgres --example scim_server)");
            ExitCode::from(2)
        }
    }
}

async fn serve<S: ScimStore + 'static>(store: S, args: &Args) -> ExitCode {
    let base_url = format!("http://{}/scim/v2", args.listen);
    let service = match ScimService::new(store, &base_url) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("scim_server: {e}");
            return ExitCode::from(2);
        }
    };
    let org = OrgId::new("scim-server").unwrap_or_else(|_| unreachable!("a valid literal id"));
    let now = Timestamp::now();
    // Keep whatever else is stored for the organization (its SSO setup, made by sso_admin or
    // the demo on the same file); set only the claimed-domain rule.
    let settings = match service.store().organization(&org).await {
        Ok(existing) => existing
            .unwrap_or_else(|| Organization::new(org.clone()))
            .with_require_claimed_domain(!args.any_domain),
        Err(e) => {
            eprintln!("scim_server: storage: {e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = service.store().put_organization(&settings).await {
        eprintln!("scim_server: storage: {e}");
        return ExitCode::from(1);
    }
    for d in &args.domains {
        if let Err(e) = service.claim_domain(&org, d).await {
            eprintln!("scim_server: --claim-domain {d}: {e}");
            return ExitCode::from(2);
        }
    }
    let token_line = match &args.token {
        Some(t) => match service.import_token(&org, t, "--token", now).await {
            Ok(_) => "the token given with --token".to_owned(),
            Err(e) => {
                eprintln!("scim_server: --token: {e}");
                return ExitCode::from(2);
            }
        },
        None => {
            let existing = match service.store().tokens(&org).await {
                Ok(list) => list.into_iter().filter(|t| !t.revoked).count(),
                Err(e) => {
                    eprintln!("scim_server: storage: {e}");
                    return ExitCode::from(1);
                }
            };
            if existing > 0 {
                format!("(the organization has {existing} token(s) from an earlier start; none generated)")
            } else {
                match service.generate_token(&org, "scim_server", now).await {
                    Ok(t) => format!("{} (shown once)", t.expose_secret()),
                    Err(e) => {
                        eprintln!("scim_server: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("scim_server: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(1);
        }
    };
    println!("SCIM base URL: {base_url}");
    println!("Bearer token:  {token_line}");
    if args.any_domain {
        println!("Domain rule:   OFF (--any-domain): any userName is accepted; for conformance testing only");
    } else {
        println!(
            "Claimed domains: {}",
            if args.domains.is_empty() {
                "(none: every create will be refused)".to_owned()
            } else {
                args.domains.join(", ")
            }
        );
    }
    let app = Router::new().fallback(scim::<S>).with_state(service);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scim_server: {e}");
            ExitCode::from(1)
        }
    }
}
