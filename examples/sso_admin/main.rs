//! `sso_admin`: an operator's tool for the organization lifecycle, over the same SQLite file
//! (`--db PATH`) that `scim_server --store sqlite:PATH` and the demo read, so a token made here
//! authenticates there. `--store SPEC` (`sqlite:PATH`, or a `postgres://` URL when built with
//! `--features postgres`) is accepted instead. Needs the `dns` feature (for `domain verify`):
//!
//! ```text
//! cargo run --features dns --example sso_admin -- --db sso.sqlite3 org create acme
//! ```
//!
//! With `--json`, exactly one JSON object on stdout for every outcome, errors included
//! (`{"error": CODE, "message": ...}`). Exit 0 on success, 1 when refused (a failed
//! `domain verify` and a storage failure included), 2 on a usage error. Run without arguments
//! for the command list.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use sso_scim::domain::{DnsResolver, TxtResolver};
use sso_scim::saml::{
    import_idp_metadata, AuthnRequestOptions, IdpCertificate, IdpSettings, Outbound, RelayState,
    SpEndpoints, SpSigningKey,
};
use sso_scim::store::{OrgId, ScimStore, ScimTokens};
use sso_scim::{
    AuthnRequestStore, OrgError, Organizations, ReplayCache, ScimService, SqliteStore, Timestamp,
};

mod cli;
mod sso;

use cli::{cert_json, ok, org_fail, parse, read, refused, usage, Args, Fail, Out, USAGE};
use sso::{decryption_keys, show};

async fn run<S>(store: Arc<S>, a: &Args) -> Result<Out, Fail>
where
    S: ScimStore + ReplayCache + AuthnRequestStore + Send + Sync + 'static,
{
    let orgs = Organizations::new(store.clone());
    let now = Timestamp::now();
    let words: Vec<&str> = a.words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["org", "create", ..] => {
            a.no_more(3)?;
            let org = a.org(2)?;
            let base = a
                .opt("--public-url")
                .unwrap_or("http://localhost:3000")
                .trim_end_matches('/');
            let sp = SpEndpoints {
                entity_id: a
                    .opt("--sp-entity-id")
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{base}/saml/{org}/metadata")),
                acs_url: a
                    .opt("--acs-url")
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{base}/saml/{org}/acs")),
            };
            let o = orgs
                .create(org.clone(), a.opt("--name"), sp.clone())
                .await
                .map_err(|e| match e {
                    OrgError::Config(c) => usage(format!("--sp-entity-id / --acs-url: {c}")),
                    other => org_fail(other),
                })?;
            Ok(ok(
                json!({"org": o.id.as_str(), "sp_entity_id": sp.entity_id, "acs_url": sp.acs_url}),
                format!("created {org}\nIn Okta: Single sign-on URL = {}\n         Audience URI (SP Entity ID) = {}", sp.acs_url, sp.entity_id),
            ))
        }
        ["domain", "claim", ..] => {
            a.no_more(4)?;
            let c = orgs
                .start_claim(&a.org(2)?, a.word(3, "DOMAIN")?, now)
                .await
                .map_err(org_fail)?;
            let t = c.txt_record();
            Ok(ok(
                json!({"domain": c.domain.as_str(), "txt_name": t.name, "txt_value": t.value}),
                format!(
                    "Publish this DNS record, then run `domain verify`:\n  {} TXT \"{}\"",
                    t.name, t.value
                ),
            ))
        }
        ["domain", "verify", ..] => {
            a.no_more(4)?;
            let (org, domain) = (a.org(2)?, a.word(3, "DOMAIN")?);
            let servers = a
                .all("--nameserver")
                .iter()
                .map(|s| {
                    s.parse::<SocketAddr>()
                        .map_err(|_| usage(format!("--nameserver {s:?}: expected IP:PORT")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let resolver = if servers.is_empty() {
                DnsResolver::system()
            } else {
                DnsResolver::with_nameservers(&servers, Duration::from_secs(3))
            }
            .map_err(|e| refused("storage", e))?;
            verify(&orgs, &org, domain, &resolver, now).await
        }
        ["domain", "list", ..] => {
            a.no_more(3)?;
            let org = a.org(2)?;
            orgs.organization(&org).await.map_err(org_fail)?;
            let claims = orgs.claims(&org).await.map_err(org_fail)?;
            let list: Vec<Value> = claims
                .iter()
                .map(|c| {
                    let t = c.txt_record();
                    json!({"domain": c.domain.as_str(), "status": c.status.as_str(), "txt_name": t.name, "txt_value": t.value})
                })
                .collect();
            let text = claims
                .iter()
                .map(|c| format!("{} {}", c.domain, c.status.as_str()))
                .collect::<Vec<_>>()
                .join("\n");
            Ok(ok(json!({"domains": list}), text))
        }
        ["domain", "revoke", ..] => {
            a.no_more(4)?;
            let c = orgs
                .revoke_claim(&a.org(2)?, a.word(3, "DOMAIN")?)
                .await
                .map_err(org_fail)?;
            Ok(ok(
                json!({"domain": c.domain.as_str(), "status": c.status.as_str()}),
                format!("{} revoked", c.domain),
            ))
        }
        ["sso", "set", ..] => {
            a.no_more(3)?;
            let org = a.org(2)?;
            let mut idp = match (a.opt("--metadata"), a.all("--idp-cert").as_slice()) {
                (Some(file), []) => import_idp_metadata(&read(file)?, a.opt("--entity-id"))
                    .map_err(|e| match e {
                        sso_scim::saml::MetadataError::Certificate(c) => refused("invalid_certificate", c),
                        other => refused("invalid_metadata", other),
                    })?,
                (None, certs) if !certs.is_empty() => {
                    let mut parsed = Vec::new();
                    for f in certs {
                        parsed.extend(IdpCertificate::parse_all(&read(f)?).map_err(|e| refused("invalid_certificate", format!("{f}: {e}")))?);
                    }
                    let (Some(url), Some(issuer)) = (a.opt("--idp-sso-url"), a.opt("--idp-issuer")) else {
                        return Err(usage("--idp-cert needs --idp-sso-url and --idp-issuer"));
                    };
                    IdpSettings::new(issuer, url, parsed)
                }
                _ => return Err(usage("sso set needs --metadata FILE, or --idp-cert FILE with --idp-sso-url and --idp-issuer")),
            };
            idp.allow_idp_initiated = a.flag("--allow-idp-initiated");
            orgs.set_idp(&org, idp).await.map_err(|e| match e {
                OrgError::Config(c) if c.field() == sso_scim::ConfigField::IdpCertificate => {
                    refused("invalid_certificate", c)
                }
                other => org_fail(other),
            })?;
            show(&orgs, &org, now).await
        }
        ["sso", "sp-key", ..] => {
            a.no_more(3)?;
            let org = a.org(2)?;
            let (Some(k), Some(c)) = (a.opt("--key"), a.opt("--cert")) else {
                return Err(usage("sso sp-key needs --key FILE and --cert FILE"));
            };
            let text = |f: &str| -> Result<String, Fail> {
                String::from_utf8(read(f)?)
                    .map_err(|_| refused("invalid_certificate", format!("{f} is not PEM text")))
            };
            let key = SpSigningKey::from_pem(&text(k)?, &text(c)?)
                .map_err(|e| refused("invalid_certificate", e))?;
            let cert = cert_json(key.certificate());
            orgs.set_sp_signing_key(&org, Some(key))
                .await
                .map_err(org_fail)?;
            Ok(ok(json!({"sp_certificate": cert}), "SP signing key stored; AuthnRequests are signed from now on (re-upload the SP metadata to the IdP)"))
        }
        ["sso", "decryption-keys", ..] => {
            a.no_more(3)?;
            decryption_keys(&orgs, a).await
        }
        ["sso", "show", ..] => {
            a.no_more(3)?;
            show(&orgs, &a.org(2)?, now).await
        }
        ["sso", "require", _, state] => {
            let on = match *state {
                "on" => true,
                "off" => false,
                other => return Err(usage(format!("sso require takes on or off, not {other:?}"))),
            };
            let o = orgs
                .set_require_sso(&a.org(2)?, on)
                .await
                .map_err(org_fail)?;
            Ok(ok(
                json!({"require_sso": o.require_sso}),
                format!(
                    "require SSO: {}",
                    if on {
                        "on (owners and admins keep their password)"
                    } else {
                        "off"
                    }
                ),
            ))
        }
        ["sp-metadata", ..] => {
            a.no_more(2)?;
            let o = orgs.organization(&a.org(1)?).await.map_err(org_fail)?;
            let xml = o.sp_metadata().ok_or_else(|| {
                refused(
                    "invalid_metadata",
                    "the organization has no SP entity id and ACS URL",
                )
            })?;
            Ok(ok(json!({"xml": xml}), xml.trim_end().to_owned()))
        }
        ["login-url", ..] => {
            let org = match a.opt("--email") {
                Some(email) => {
                    a.no_more(1)?;
                    orgs.org_for_email(email).await.map_err(org_fail)?
                }
                None => {
                    a.no_more(2)?;
                    a.org(1)?
                }
            };
            let rs = a
                .opt("--relay-state")
                .map(RelayState::new)
                .transpose()
                .map_err(|e| usage(format!("--relay-state: {e}")))?;
            let req = orgs
                .start_login(&org, rs.as_ref(), &AuthnRequestOptions::default(), now)
                .await
                .map_err(org_fail)?;
            let Outbound::Redirect { url } = &req.outbound else {
                return Err(refused("storage", "unexpected binding"));
            };
            Ok(ok(
                json!({"url": url, "request_id": req.id.as_str()}),
                url.clone(),
            ))
        }
        ["scim", "token", "create", ..] => {
            a.no_more(4)?;
            let org = a.org(3)?;
            orgs.organization(&org).await.map_err(org_fail)?;
            let scim = ScimService::new(store.clone(), "http://localhost/scim/v2")
                .map_err(|e| refused("storage", e))?;
            let t = scim
                .generate_token(&org, a.opt("--label").unwrap_or("sso_admin"), now)
                .await
                .map_err(|e| refused("storage", e))?;
            Ok(ok(
                json!({"token": t.expose_secret(), "token_id": t.record().id}),
                format!(
                    "{}\n(shown once; paste it into Okta's SCIM connector as the API token)",
                    t.expose_secret()
                ),
            ))
        }
        ["scim", "token", "list", ..] => {
            a.no_more(4)?;
            let org = a.org(3)?;
            orgs.organization(&org).await.map_err(org_fail)?;
            let tokens = store
                .tokens(&org)
                .await
                .map_err(|e| refused("storage", e))?;
            let list: Vec<Value> = tokens.iter().map(|t| json!({"token_id": t.id, "label": t.label, "created": t.created.to_string(), "revoked": t.revoked})).collect();
            let text = tokens
                .iter()
                .map(|t| {
                    format!(
                        "{} {} {}{}",
                        t.id,
                        t.created,
                        t.label,
                        if t.revoked { " (revoked)" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(ok(json!({"tokens": list}), text))
        }
        ["scim", "token", "revoke", ..] => {
            a.no_more(5)?;
            let org = a.org(3)?;
            let id = a.word(4, "TOKEN_ID")?;
            orgs.organization(&org).await.map_err(org_fail)?;
            let scim = ScimService::new(store.clone(), "http://localhost/scim/v2")
                .map_err(|e| refused("storage", e))?;
            if !scim
                .revoke_token(&org, id)
                .await
                .map_err(|e| refused("storage", e))?
            {
                return Err(refused(
                    "unknown_org",
                    format!("organization {org} has no token {id}"),
                ));
            }
            Ok(ok(
                json!({"token_id": id, "revoked": true}),
                format!("{id} revoked"),
            ))
        }
        [] => Err(usage(USAGE)),
        _ => Err(usage(format!(
            "unknown command {:?}\n{USAGE}",
            a.words.join(" ")
        ))),
    }
}

async fn verify<S, R>(
    orgs: &Organizations<Arc<S>>,
    org: &OrgId,
    domain: &str,
    resolver: &R,
    now: Timestamp,
) -> Result<Out, Fail>
where
    S: ScimStore + ReplayCache + AuthnRequestStore + Send + Sync + 'static,
    R: TxtResolver,
{
    let v = orgs
        .verify_claim(org, domain, resolver, now)
        .await
        .map_err(org_fail)?;
    let (verified, reason) = match &v.result {
        Ok(()) => (true, Value::Null),
        Err(f) => (false, json!(f.to_string())),
    };
    let text = match &v.result {
        Ok(()) => format!("{} verified", v.claim.domain),
        Err(f) => format!("{} not verified: {f}", v.claim.domain),
    };
    Ok(Out {
        json: json!({"domain": v.claim.domain.as_str(), "verified": verified, "reason": reason, "status": v.claim.status.as_str()}),
        text,
        ok: verified,
    })
}
fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let json_mode = argv.iter().any(|a| a == "--json");
    let result = parse(argv).and_then(|a| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| refused("storage", e))?;
        rt.block_on(async {
            match (&a.db, &a.store) {
                (Some(_), Some(_)) => Err(usage("give --db or --store, not both")),
                (_, Some(spec))
                    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") =>
                {
                    postgres(spec, &a).await
                }
                (_, Some(spec)) => match spec.strip_prefix("sqlite:") {
                    Some(p) if !p.is_empty() => sqlite(p, &a).await,
                    _ => Err(usage("--store takes sqlite:PATH or a postgres:// URL")),
                },
                (db, None) => sqlite(db.as_deref().unwrap_or("./sso_admin.sqlite3"), &a).await,
            }
        })
    });
    let code = match result {
        Ok(out) => {
            if json_mode {
                println!("{}", out.json);
            } else {
                println!("{}", out.text);
            }
            if out.ok {
                0
            } else {
                1
            }
        }
        Err(f) => {
            if json_mode {
                println!("{}", json!({"error": f.code, "message": f.message}));
            } else {
                eprintln!("sso_admin: {}", f.message);
            }
            if f.code == "usage" {
                2
            } else {
                1
            }
        }
    };
    std::process::exit(code);
}

async fn sqlite(path: &str, a: &Args) -> Result<Out, Fail> {
    let store = SqliteStore::open(path).map_err(|e| refused("storage", e))?;
    run(Arc::new(store), a).await
}

#[cfg(feature = "postgres")]
async fn postgres(url: &str, a: &Args) -> Result<Out, Fail> {
    let store = sso_scim::PostgresStore::connect(url)
        .await
        .map_err(|e| refused("storage", e))?;
    run(Arc::new(store), a).await
}

#[cfg(not(feature = "postgres"))]
async fn postgres(_url: &str, _a: &Args) -> Result<Out, Fail> {
    Err(usage(
        "this build has no PostgreSQL store: build with --features postgres",
    ))
}
