//! The organization's settings (owners and admins only; every form carries the CSRF token): the
//! values to paste into Okta, Okta's three fields or its metadata, claimed domains with their TXT
//! record and a verify button, SCIM tokens (shown once), the require-SSO toggle.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sso_scim::domain::DnsResolver;
use sso_scim::saml::{import_idp_metadata, IdpCertificate, IdpSettings};
use sso_scim::{OrgId, Timestamp};

use crate::html::{csrf, esc};
use crate::login::{csrf_ok, current, html, is_admin, redirect};
use crate::session::Session;
use crate::Shared;

/// The admin's session, or the answer to give instead.
fn admin(app: &Shared, headers: &HeaderMap) -> Result<Session, Box<Response>> {
    match current(app, headers) {
        Some((_, s)) if is_admin(&s) => Ok(s),
        Some(_) => Err(Box::new(html(
            StatusCode::FORBIDDEN,
            "Settings",
            "<p>Only owners and admins of the organization see its settings.</p>",
        ))),
        None => Err(Box::new(html(
            StatusCode::UNAUTHORIZED,
            "Settings",
            "<p>Log in first (<a href=\"/password\">password</a> or <a href=\"/\">SSO</a>).</p>",
        ))),
    }
}

/// The admin's session for a form post with a valid CSRF token.
fn admin_post(
    app: &Shared,
    headers: &HeaderMap,
    f: &HashMap<String, String>,
) -> Result<Session, Box<Response>> {
    let s = admin(app, headers)?;
    if !csrf_ok(&s, f) {
        return Err(Box::new(html(
            StatusCode::FORBIDDEN,
            "Settings",
            "<p>The form's CSRF token is missing or wrong; reload the settings page.</p>",
        )));
    }
    Ok(s)
}

pub async fn page(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let s = match admin(&app, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    render(&app, &s, "").await
}

async fn render(app: &Shared, s: &Session, notice: &str) -> Response {
    let org = match app.orgs.organization(&app.org).await {
        Ok(o) => o,
        Err(e) => {
            return html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Settings",
                &esc(&e.to_string()),
            )
        }
    };
    let t = csrf(&s.csrf);
    let sp = org.sp.clone();
    let (acs, entity) = sp
        .as_ref()
        .map(|s| (s.acs_url.clone(), s.entity_id.clone()))
        .unwrap_or_default();
    let idp = org.idp.as_ref();
    let certs: String = idp
        .map(|i| {
            i.certificates
                .iter()
                .map(|c| {
                    format!(
                        "<li><code>{}</code> {} (until {})</li>",
                        esc(&c.sha256_fingerprint()),
                        esc(c.subject()),
                        c.not_after()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let warnings: String = match org.sso_config() {
        Some(Ok(c)) => c
            .warnings(Timestamp::now())
            .iter()
            .map(|w| format!("<li>{}</li>", esc(&w.to_string())))
            .collect(),
        _ => String::new(),
    };
    let claims = app.orgs.claims(&app.org).await.unwrap_or_default();
    let domains: String = claims
        .iter()
        .map(|c| {
            let r = c.txt_record();
            format!(
                "<tr><td>{}</td><td id=\"status-{}\">{}</td><td><code>{}</code> TXT <code>{}</code></td><td><form method=\"post\" action=\"/settings/domains/verify\">{t}<input type=\"hidden\" name=\"domain\" value=\"{}\"><button>Verify</button></form></td></tr>",
                esc(c.domain.as_str()), esc(c.domain.as_str()), c.status.as_str(), esc(&r.name), esc(&r.value), esc(c.domain.as_str())
            )
        })
        .collect();
    let body = format!(
        r#"{notice}
<h2>Paste into Okta (General &gt; SAML Settings)</h2><table>
<tr><th>Single sign-on URL</th><td><code id="acs">{acs}</code></td></tr>
<tr><th>Audience URI (SP Entity ID)</th><td><code id="entity">{entity}</code></td></tr>
<tr><th>SP metadata</th><td><a href="/saml/{org}/metadata">/saml/{org}/metadata</a></td></tr>
<tr><th>SCIM connector base URL</th><td><code>{base}/scim/v2</code></td></tr></table>
<h2>Okta's values (Sign On &gt; View SAML setup instructions)</h2>
<p>Now: issuer <code>{issuer}</code>, SSO URL <code>{sso}</code></p><ul>{certs}</ul><ul>{warnings}</ul>
<form method="post" action="/settings/idp" class="box">{t}
<label>Identity Provider Issuer <input type="text" name="issuer" required></label>
<label>Identity Provider Single Sign-On URL <input type="text" name="sso_url" required></label>
<label>X.509 Certificate (PEM) <textarea name="certificate" rows="6" required></textarea></label>
<button>Save Okta's values</button></form>
<form method="post" action="/settings/metadata" class="box">{t}
<label>Or upload the IdP metadata file <input type="file" id="metadata-file" accept=".xml,application/samlmetadata+xml,text/xml" onchange="const f=this.files[0];if(f){{f.text().then(t=>{{document.getElementById('metadata').value=t}})}}"></label>
<label>or paste its XML <textarea name="metadata" id="metadata" rows="6" required></textarea></label>
<label>Entity id to pick (for a federation file) <input type="text" name="entity_id"></label>
<button id="import-metadata">Import metadata</button></form>
<h2>Claimed domains</h2>
<table id="domains"><tr><th>Domain</th><th>Status</th><th>Publish this DNS record</th><th></th></tr>{domains}</table>
<form method="post" action="/settings/domains" class="box">{t}<label>Domain <input type="text" name="domain" required></label><button>Claim</button></form>
<h2>Login policy</h2>
<form method="post" action="/settings/require-sso" class="box">{t}
<p>Require users to log in using SSO: <strong id="require-sso">{require}</strong></p>
<input type="hidden" name="on" value="{toggle}"><button id="toggle-require-sso">Turn {toggle_word}</button>
<p class="muted">Owners and admins keep their password, so a broken setup never locks the organization out.</p></form>
<h2>SCIM provisioning</h2>
<form method="post" action="/settings/scim-token" class="box">{t}<button id="new-scim-token">Generate a SCIM token</button>
<p class="muted">Shown once; older tokens stay valid.</p></form>"#,
        acs = esc(&acs),
        entity = esc(&entity),
        org = esc(app.org.as_str()),
        base = esc(&app.base),
        issuer = esc(idp.map(|i| i.issuer.as_str()).unwrap_or("-")),
        sso = esc(idp.map(|i| i.sso_url.as_str()).unwrap_or("-")),
        require = if org.require_sso { "on" } else { "off" },
        toggle = if org.require_sso { "off" } else { "on" },
        toggle_word = if org.require_sso { "off" } else { "on" },
    );
    html(StatusCode::OK, "Organization settings", &body)
}

fn notice(ok: bool, text: &str) -> String {
    format!(
        "<div class=\"box {}\" id=\"notice\">{}</div>",
        if ok { "ok" } else { "err" },
        esc(text)
    )
}

pub async fn set_idp(
    State(app): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match admin_post(&app, &headers, &f) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let get = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let msg = match IdpCertificate::parse_all(get("certificate").as_bytes()) {
        Ok(certs) => {
            let mut idp = IdpSettings::new(get("issuer"), get("sso_url"), certs);
            idp.allow_idp_initiated = true;
            match app.orgs.set_idp(&app.org, idp).await {
                Ok(_) => notice(true, "Saved Okta's values."),
                Err(e) => notice(false, &e.to_string()),
            }
        }
        Err(e) => notice(false, &format!("The certificate: {e}")),
    };
    render(&app, &s, &msg).await
}

pub async fn set_metadata(
    State(app): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match admin_post(&app, &headers, &f) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let pick = f
        .get("entity_id")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty());
    let msg = match import_idp_metadata(
        f.get("metadata").map(String::as_bytes).unwrap_or_default(),
        pick,
    ) {
        Ok(mut idp) => {
            idp.allow_idp_initiated = true;
            match app.orgs.set_idp(&app.org, idp).await {
                Ok(_) => notice(true, "Imported the IdP metadata."),
                Err(e) => notice(false, &e.to_string()),
            }
        }
        Err(e) => notice(false, &e.to_string()),
    };
    render(&app, &s, &msg).await
}

pub async fn claim(
    State(app): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match admin_post(&app, &headers, &f) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let d = f.get("domain").map(String::as_str).unwrap_or("");
    let msg = match app.orgs.start_claim(&app.org, d, Timestamp::now()).await {
        Ok(c) => notice(
            true,
            &format!(
                "Publish {} TXT \"{}\", then press Verify.",
                c.txt_record().name,
                c.txt_record().value
            ),
        ),
        Err(e) => notice(false, &e.to_string()),
    };
    render(&app, &s, &msg).await
}

pub async fn verify(
    State(app): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match admin_post(&app, &headers, &f) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let d = f.get("domain").map(String::as_str).unwrap_or("");
    let msg = match DnsResolver::system() {
        Err(e) => notice(false, &e.to_string()),
        Ok(r) => match app
            .orgs
            .verify_claim(&app.org, d, &r, Timestamp::now())
            .await
        {
            Ok(v) => match v.result {
                Ok(()) => notice(true, &format!("{} is verified.", v.claim.domain)),
                Err(e) => notice(false, &e.to_string()),
            },
            Err(e) => notice(false, &e.to_string()),
        },
    };
    render(&app, &s, &msg).await
}

pub async fn require_sso(
    State(app): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match admin_post(&app, &headers, &f) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let on = f.get("on").map(String::as_str) == Some("on");
    let msg = match app.orgs.set_require_sso(&app.org, on).await {
        Ok(_) => notice(
            true,
            if on {
                "SSO is now required for members."
            } else {
                "SSO is no longer required."
            },
        ),
        Err(e) => notice(false, &e.to_string()),
    };
    render(&app, &s, &msg).await
}

pub async fn scim_token(
    State(app): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match admin_post(&app, &headers, &f) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let msg = match app.scim.generate_token(&app.org, "settings page", Timestamp::now()).await {
        Ok(t) => format!(
            "<div class=\"box ok\" id=\"notice\"><p>Paste this token into Okta's SCIM connector (API Token). It is shown once:</p><pre id=\"scim-token\">{}</pre></div>",
            esc(t.expose_secret())
        ),
        Err(e) => notice(false, &e.to_string()),
    };
    render(&app, &s, &msg).await
}

pub async fn sp_metadata(State(app): State<Shared>, Path(org): Path<String>) -> Response {
    let Ok(id) = OrgId::new(org) else {
        return redirect("/");
    };
    match app.orgs.organization(&id).await {
        Ok(o) => match o.sp_metadata() {
            Some(xml) => (
                [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
                xml,
            )
                .into_response(),
            None => html(StatusCode::NOT_FOUND, "Metadata", "no SP values"),
        },
        Err(_) => html(StatusCode::NOT_FOUND, "Metadata", "no such organization"),
    }
}
