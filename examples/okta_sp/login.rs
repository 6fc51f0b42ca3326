//! The login page, SP-initiated logins, the ACS, the password fallback, and who is logged in.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use sso_scim::saml::{safe_return_path, AuthnRequestOptions, Outbound, RelayState};
use sso_scim::store::{email_key, OrgRole};
use sso_scim::{SignedPart, Timestamp};

use crate::html::{csrf, error_box, esc, page};
use crate::session::{self, Session};
use crate::{App, Shared};

pub fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

pub fn html(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(page(title, body)),
    )
        .into_response()
}

/// The session of a request, if its cookie names one.
pub fn current(app: &App, headers: &HeaderMap) -> Option<(String, Session)> {
    let id = session::sid(headers.get(header::COOKIE).and_then(|v| v.to_str().ok()))?;
    app.sessions.get(&id).map(|s| (id, s))
}

/// Is the posted CSRF token the session's?
pub fn csrf_ok(s: &Session, form: &HashMap<String, String>) -> bool {
    form.get("csrf").is_some_and(|t| session::same(t, &s.csrf))
}

pub async fn home(State(_app): State<Shared>) -> Response {
    html(
        StatusCode::OK,
        "Log in",
        r#"<form method="post" action="/login" class="box"><label>Work email <input type="email" name="email" id="email" required autofocus placeholder="jane@example.com"></label>
<button type="submit" id="continue">Continue with SSO</button></form>
<p class="muted">An email on a domain an organization verified starts an SP-initiated login with that organization's IdP
(the built-in <strong>test IdP</strong> here, until a real Okta is configured in the settings).
Owners and admins can also use a <a href="/password">password</a>.</p>"#,
    )
}

pub async fn start(State(app): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let email = f.get("email").map(String::as_str).unwrap_or("");
    let org = match app.orgs.org_for_email(email).await {
        Ok(o) => o,
        Err(e) => {
            return html(StatusCode::BAD_REQUEST, "Log in", &format!("{}<p><a href=\"/\">Back</a></p>", error_box(e.code(), &e.to_string(), "Use an email on a domain your organization has verified (the demo organization verified example.com).")))
        }
    };
    let relay = RelayState::new("/me").ok();
    match app
        .orgs
        .start_login(
            &org,
            relay.as_ref(),
            &AuthnRequestOptions::default(),
            Timestamp::now(),
        )
        .await
    {
        Ok(req) => match req.outbound {
            Outbound::Redirect { url } => redirect(&url),
            Outbound::Post { .. } => match req.post_form_html() {
                Some(h) => Html(h).into_response(),
                None => html(StatusCode::INTERNAL_SERVER_ERROR, "Log in", "no form"),
            },
        },
        Err(e) => html(
            StatusCode::BAD_REQUEST,
            "Log in",
            &error_box(
                e.code(),
                &e.to_string(),
                "An organization admin must finish the SSO setup.",
            ),
        ),
    }
}

fn facts(a: &sso_scim::VerifiedAssertion) -> Vec<(String, String)> {
    let mut f = vec![
        ("NameID".to_owned(), a.name_id().to_owned()),
        (
            "NameID format".to_owned(),
            a.name_id_format().unwrap_or("-").to_owned(),
        ),
        ("Email".to_owned(), a.email().unwrap_or("-").to_owned()),
        (
            "First name".to_owned(),
            a.first_name().unwrap_or("-").to_owned(),
        ),
        (
            "Last name".to_owned(),
            a.last_name().unwrap_or("-").to_owned(),
        ),
        ("Issuer".to_owned(), a.issuer().to_owned()),
        ("Assertion ID".to_owned(), a.assertion_id().to_owned()),
        (
            "Session index".to_owned(),
            a.session_index().unwrap_or("-").to_owned(),
        ),
        (
            "Authenticated at".to_owned(),
            a.authn_instant().map(|t| t.to_string()).unwrap_or_default(),
        ),
        (
            "In response to".to_owned(),
            a.in_response_to().unwrap_or("(IdP-initiated)").to_owned(),
        ),
        (
            "Signatures verified".to_owned(),
            a.verified_signatures()
                .iter()
                .map(|p| match p {
                    SignedPart::Response => "Response",
                    SignedPart::Assertion => "Assertion",
                    _ => "other",
                })
                .collect::<Vec<_>>()
                .join(" and "),
        ),
    ];
    for (k, v) in a.attributes() {
        f.push((format!("Attribute {k}"), v.collect::<Vec<_>>().join(", ")));
    }
    f
}

pub async fn acs(
    State(app): State<Shared>,
    Path(org): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Ok(org) = sso_scim::OrgId::new(org) else {
        return html(StatusCode::NOT_FOUND, "Login", "no such organization");
    };
    let form_value = f.get("SAMLResponse").map(String::as_str).unwrap_or("");
    match app
        .orgs
        .finish_login(&org, form_value.as_bytes(), Timestamp::now())
        .await
    {
        Ok(login) => {
            let s = Session {
                account: login.account.id.clone(),
                email: login.account.email.clone(),
                role: login.membership.role,
                csrf: session::random_hex(32),
                method: if login.created {
                    "SSO (account created just in time)"
                } else {
                    "SSO"
                },
                facts: facts(&login.assertion),
            };
            let id = app.sessions.create(s);
            let to = f
                .get("RelayState")
                .and_then(|r| safe_return_path(r))
                .unwrap_or("/me")
                .to_owned();
            (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, to),
                    (header::SET_COOKIE, session::cookie(&id, app.secure_cookies)),
                ],
            )
                .into_response()
        }
        Err(e) => html(
            StatusCode::FORBIDDEN,
            "Login refused",
            &format!(
                "{}<p><a href=\"/\">Try again</a></p>",
                error_box(e.code(), &e.to_string(), e.hint())
            ),
        ),
    }
}

pub async fn me(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let Some((_, s)) = current(&app, &headers) else {
        return html(
            StatusCode::UNAUTHORIZED,
            "Not logged in",
            "<p>Nobody is logged in. <a href=\"/\">Log in</a>.</p>",
        );
    };
    let rows: String = s
        .facts
        .iter()
        .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v)))
        .collect();
    let facts = if rows.is_empty() {
        String::new()
    } else {
        format!("<h2>Verified facts</h2><table id=\"facts\">{rows}</table>")
    };
    html(
        StatusCode::OK,
        "Logged in",
        &format!(
            "<div class=\"box ok\"><p>Logged in as <strong id=\"who\">{}</strong> ({:?}) with {}.</p></div>{facts}<form method=\"post\" action=\"/logout\">{}<button id=\"logout\">Log out</button></form>",
            esc(&s.email),
            s.role,
            esc(s.method),
            csrf(&s.csrf)
        ),
    )
}

pub async fn logout(
    State(app): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if let Some((id, s)) = current(&app, &headers) {
        if csrf_ok(&s, &f) {
            app.sessions.remove(&id);
        }
    }
    redirect("/")
}

pub async fn password_page() -> Response {
    html(
        StatusCode::OK,
        "Password login",
        r#"<form method="post" action="/password" class="box"><label>Email <input type="email" name="email" id="pw-email" required></label>
<label>Password <input type="password" name="password" id="pw-password" required></label><button type="submit" id="pw-submit">Log in</button></form>
<p class="muted">When the organization requires SSO, members are refused here; owners and admins keep their password so a broken SSO setup never locks the organization out.</p>"#,
    )
}

pub fn set_password(app: &App, email: &str, password: &str) -> Result<(), String> {
    let salt = session::random_hex(16);
    let hash = session::hash_password(password, salt.as_bytes());
    let c = app.passwords.lock().unwrap_or_else(|p| p.into_inner());
    c.execute(
        "INSERT INTO demo_passwords (email_key, salt, hash) VALUES (?1, ?2, ?3) ON CONFLICT (email_key) DO UPDATE SET salt = excluded.salt, hash = excluded.hash",
        rusqlite::params![email_key(email).as_str(), salt.as_bytes(), hash.as_slice()],
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

fn password_matches(app: &App, email: &str, password: &str) -> bool {
    let c = app.passwords.lock().unwrap_or_else(|p| p.into_inner());
    let row: Option<(Vec<u8>, Vec<u8>)> = c
        .query_row(
            "SELECT salt, hash FROM demo_passwords WHERE email_key = ?1",
            [email_key(email).as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    match row {
        Some((salt, hash)) => session::check_password(password, &salt, &hash),
        None => {
            // Same work for unknown accounts.
            let _ = session::hash_password(password, b"unknown-account-salt");
            false
        }
    }
}

pub async fn password_login(
    State(app): State<Shared>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let email = f.get("email").map(String::as_str).unwrap_or("");
    let password = f.get("password").map(String::as_str).unwrap_or("");
    // PBKDF2 (100,000 rounds) and the SQLite read run on a blocking thread: a burst of login
    // attempts must not stall the executor's other requests.
    let matches = {
        let (app, email, password) = (app.clone(), email.to_owned(), password.to_owned());
        tokio::task::spawn_blocking(move || password_matches(&app, &email, &password))
            .await
            .unwrap_or(false)
    };
    if !matches {
        return html(
            StatusCode::UNAUTHORIZED,
            "Password login",
            &error_box(
                "bad_password",
                "Wrong email or password.",
                "Check both, or log in with SSO.",
            ),
        );
    }
    match app.orgs.password_login(&app.org, email).await {
        Ok((account, membership)) => {
            let s = Session {
                account: account.id,
                email: account.email,
                role: membership.role,
                csrf: session::random_hex(32),
                method: "a password",
                facts: Vec::new(),
            };
            let id = app.sessions.create(s);
            (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, "/me".to_owned()),
                    (header::SET_COOKIE, session::cookie(&id, app.secure_cookies)),
                ],
            )
                .into_response()
        }
        Err(e) => html(
            StatusCode::FORBIDDEN,
            "Password login",
            &error_box(e.code(), &e.to_string(), e.hint()),
        ),
    }
}

/// Owners and admins only.
pub fn is_admin(s: &Session) -> bool {
    matches!(s.role, OrgRole::Owner | OrgRole::Admin)
}
