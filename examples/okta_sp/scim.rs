//! SCIM at `/scim/v2`, as `scim_server` serves it: the token is checked on the request head,
//! then at most `MAX_BODY_BYTES` of the body is read. Deactivations and deletions end the
//! user's sessions at once.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use sso_scim::{ScimEvent, ScimRequest, ScimResponse, Timestamp, MAX_BODY_BYTES};

use crate::Shared;

fn send(r: ScimResponse, app: &Shared) -> Response {
    for e in &r.events {
        match e {
            ScimEvent::Deactivated { account, .. } | ScimEvent::Deleted { account, .. } => {
                app.sessions.end_account(account);
            }
            _ => {}
        }
    }
    let mut out = Response::new(Body::from(r.body));
    *out.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            out.headers_mut().append(k, v);
        }
    }
    out
}

pub async fn serve(State(app): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let head = ScimRequest::new(parts.method.as_str(), &path)
        .query(&query)
        .headers(&header_refs);
    let who = match app.scim.authorize(&head).await {
        Ok(w) => w,
        Err(refused) => return send(refused.response, &app),
    };
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return send(app.scim.body_too_large(), &app),
    };
    let full = head.body(&bytes);
    let served = app
        .scim
        .respond_authorized(&who, &full, Timestamp::now())
        .await;
    if served.response.status == 500 {
        eprintln!("okta_sp: SCIM 500: {:?}", served.response.internal_error);
    }
    send(served.response, &app)
}
