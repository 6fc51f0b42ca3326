//! The built-in **test IdP**'s pages (TEST ONLY): pick or type the user to log in as, optionally
//! a failure to produce, and post the signed response to the ACS, as an IdP does.

use std::collections::HashMap;

use axum::extract::{Form, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use sso_scim::test_idp::{Fault, ReceivedRequest, TestUser};
use sso_scim::Timestamp;

use crate::html::{esc, page};
use crate::login::html;
use crate::Shared;

fn user_form(query: &str, note: &str) -> String {
    format!(
        r#"<div class="box"><p><strong>TEST IdP.</strong> Its signing key is public: it proves nothing and is for demos and tests only.</p><p>{}</p>
<form method="post" action="/idp/sso"><input type="hidden" name="query" value="{}">
<label>Email <input type="email" name="email" id="idp-email" value="jane@example.com" required></label>
<label>First name <input type="text" name="first" id="idp-first" value="Jane"></label>
<label>Last name <input type="text" name="last" id="idp-last" value="Doe"></label>
<label>Groups (comma-separated) <input type="text" name="groups" value="engineering, admins"></label>
<label>Answer <select name="fault" id="idp-fault"><option value="">a valid response</option><option value="expired">expired</option><option value="audience">for another SP (wrong audience)</option><option value="unsigned">unsigned</option><option value="status">a status failure</option></select></label>
<button type="submit" id="idp-login">Log in as this user</button></form>
<p class="muted">Quick picks: jane@example.com, member@example.com, owner@example.com, or someone@not-verified.example.</p></div>"#,
        esc(note),
        esc(query)
    )
}

pub async fn sso_page(RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    match ReceivedRequest::from_redirect_query(&q) {
        Ok(r) => html(
            StatusCode::OK,
            "Test IdP: sign in",
            &user_form(&q, &format!("Login request {} from {}", r.id, r.issuer)),
        ),
        Err(e) => html(
            StatusCode::BAD_REQUEST,
            "Test IdP",
            &format!("<p>{}</p>", esc(&e.to_string())),
        ),
    }
}

pub async fn start_page() -> Response {
    html(
        StatusCode::OK,
        "Test IdP: IdP-initiated login",
        &user_form(
            "",
            "No login request: this starts an IdP-initiated login (like an Okta dashboard tile).",
        ),
    )
}

pub async fn answer(State(app): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let query = f.get("query").map(String::as_str).unwrap_or("");
    let request = if query.is_empty() {
        None
    } else {
        match ReceivedRequest::from_redirect_query(query) {
            Ok(r) => Some(r),
            Err(e) => {
                return html(
                    StatusCode::BAD_REQUEST,
                    "Test IdP",
                    &format!("<p>{}</p>", esc(&e.to_string())),
                )
            }
        }
    };
    let get = |k: &str| f.get(k).map(|s| s.trim().to_owned()).unwrap_or_default();
    let mut user = TestUser::new(&get("email"), &get("first"), &get("last"));
    let groups: Vec<String> = get("groups")
        .split(',')
        .map(|g| g.trim().to_owned())
        .filter(|g| !g.is_empty())
        .collect();
    if !groups.is_empty() {
        user.attributes.push(("groups".into(), groups));
    }
    let fault = match get("fault").as_str() {
        "expired" => Some(Fault::Expired),
        "audience" => Some(Fault::WrongAudience),
        "unsigned" => Some(Fault::Unsigned),
        "status" => Some(Fault::StatusFailure),
        _ => None,
    };
    let org = match app.orgs.organization(&app.org).await {
        Ok(o) => o,
        Err(e) => {
            return html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Test IdP",
                &esc(&e.to_string()),
            )
        }
    };
    let Some(sp) = org.sp else {
        return html(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Test IdP",
            "no SP values",
        );
    };
    let acs = request
        .as_ref()
        .and_then(|r| r.acs_url.clone())
        .unwrap_or_else(|| sp.acs_url.clone());
    let form_value =
        match app
            .idp
            .response_form_value(&sp, request.as_ref(), &user, fault, Timestamp::now())
        {
            Ok(v) => v,
            Err(e) => {
                return html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Test IdP",
                    &esc(&e.to_string()),
                )
            }
        };
    let relay = request
        .and_then(|r| r.relay_state)
        .map(|rs| {
            format!(
                r#"<input type="hidden" name="RelayState" value="{}">"#,
                esc(&rs)
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"<form method="post" action="{}" id="post-to-acs"><input type="hidden" name="SAMLResponse" value="{}">{relay}<noscript><button type="submit">Continue</button></noscript></form><script>document.getElementById('post-to-acs').submit()</script>"#,
        esc(&acs),
        esc(&form_value)
    );
    Html(page("Test IdP: posting to the application", &body)).into_response()
}
