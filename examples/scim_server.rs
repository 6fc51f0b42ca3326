//! `scim_server`: a SCIM 2.0 endpoint for one organization on the in-memory store, served by axum.
//!
//! ```text
//! scim_server --listen 127.0.0.1:8080 [--token TOKEN] [--claim-domain example.com]... [--any-domain]
//! ```
//!
//! - serves `http://LISTEN/scim/v2/...` (Users, ServiceProviderConfig, ResourceTypes, Schemas);
//! - without `--token` it generates a bearer token and prints it once;
//! - `--claim-domain` marks a domain claimed by the organization (repeatable): provisioned
//!   userNames and emails must be on one of them;
//! - `--any-domain` turns that rule off, for conformance testers that invent userNames which are
//!   not emails on a claimed domain. Never use it for a real organization.
//!
//! The adapter is the dozen lines of `scim`: any framework can do the same with
//! `ScimService::handle`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use sso_scim::{
    MemoryStore, OrgId, OrgSettings, Organization, ScimRequest, ScimService, Timestamp,
};

type Service = Arc<ScimService<MemoryStore>>;

/// The whole framework adapter: request parts in, SCIM response out.
async fn scim(
    State(service): State<Service>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    let req = ScimRequest {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers: &headers,
        body: &body,
    };
    let r = service.handle(&req, Timestamp::now()).await;
    if let Some(e) = &r.internal_error {
        eprintln!("scim_server: internal error: {e}");
    }
    let mut out = (
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        r.body,
    )
        .into_response();
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            out.headers_mut().insert(k, v);
        }
    }
    out
}

struct Args {
    listen: SocketAddr,
    token: Option<String>,
    domains: Vec<String>,
    any_domain: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut listen = None;
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
            "--token" => token = Some(it.next().ok_or("--token needs a value")?),
            "--claim-domain" => domains.push(it.next().ok_or("--claim-domain needs a domain")?),
            "--any-domain" => any_domain = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        listen: listen.ok_or("--listen is required")?,
        token,
        domains,
        any_domain,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("scim_server: {e}");
            }
            eprintln!("usage: scim_server --listen 127.0.0.1:8080 [--token TOKEN] [--claim-domain example.com]... [--any-domain]");
            return ExitCode::from(2);
        }
    };
    let base_url = format!("http://{}/scim/v2", args.listen);
    let service = match ScimService::new(MemoryStore::new(), &base_url) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("scim_server: {e}");
            return ExitCode::from(2);
        }
    };
    let org = OrgId::new("scim-server").unwrap_or_else(|_| unreachable!("a valid literal id"));
    let now = Timestamp::now();
    let settings = Organization::new(org.clone()).with_require_claimed_domain(!args.any_domain);
    if let Err(e) = service.store().put_organization(&settings).await {
        match e {}
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
        None => match service.generate_token(&org, "scim_server", now).await {
            Ok(t) => format!("{} (shown once)", t.expose_secret()),
            Err(e) => {
                eprintln!("scim_server: {e}");
                return ExitCode::from(2);
            }
        },
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
    let app = Router::new().fallback(scim).with_state(service);
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
