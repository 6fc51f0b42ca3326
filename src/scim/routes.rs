//! Routing: which endpoint a request names, and the methods each one allows.

use std::borrow::Cow;

use super::error::{ScimError, ScimErrorKind};
use super::query::ListParams;
use super::schema;
use super::service::{json_body, Fail, ScimRequest, ScimResponse, ScimService};
use crate::resource::ENTERPRISE_SCHEMA;
use crate::store::{OrgId, ScimStore};
use crate::time::Timestamp;

fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
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
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// 405 with the methods the endpoint allows (sent as `Allow`, RFC 9110 section 15.5.6).
pub(super) fn method_not_allowed(allow: &'static str) -> ScimError {
    ScimError::new(
        ScimErrorKind::MethodNotAllowed,
        format!("this endpoint allows {allow}"),
    )
    .with_allow(allow)
}

/// Discovery endpoints do not filter (RFC 7644 section 4: 403 rather than an answer a client
/// could read as filtered).
fn refuse_filter(req: &ScimRequest<'_>) -> Result<(), ScimError> {
    let filtered = req.query.split('&').any(|kv| {
        kv.split('=')
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("filter"))
    });
    if filtered {
        return Err(ScimError::new(
            ScimErrorKind::Forbidden,
            "discovery endpoints do not support filter; read the whole list",
        ));
    }
    Ok(())
}

impl<S: ScimStore> ScimService<S> {
    /// The path below the base path, or 404.
    pub(super) fn endpoint_path<'r>(&self, req: &ScimRequest<'r>) -> Result<&'r str, ScimError> {
        let path = req.path.split('?').next().unwrap_or("");
        path.strip_prefix(self.base_path.as_str())
            .filter(|r| r.is_empty() || r.starts_with('/'))
            .ok_or_else(|| ScimError::not_found(format!("no SCIM endpoint at {path}")))
    }

    pub(super) async fn dispatch(
        &self,
        org: &OrgId,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Result<ScimResponse, Fail<S>> {
        let path = req.path.split('?').next().unwrap_or("");
        let rest = self.endpoint_path(req)?;
        let segments: Vec<Cow<'_, str>> = rest
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let method = if req.method.bytes().any(|b| b.is_ascii_lowercase()) {
            Cow::Owned(req.method.to_ascii_uppercase())
        } else {
            Cow::Borrowed(req.method)
        };
        let seg: Vec<&str> = segments.iter().map(|s| s.as_ref()).collect();
        let is = |s: &str, name: &str| s.eq_ignore_ascii_case(name);
        let users = |s: &str| is(s, "Users");
        let groups = |s: &str| is(s, "Groups");
        let discovery = seg.first().is_some_and(|s| {
            is(s, "ServiceProviderConfig") || is(s, "ResourceTypes") || is(s, "Schemas")
        });
        if discovery && method == "GET" {
            refuse_filter(req)?;
        }
        match (seg.as_slice(), method.as_ref()) {
            // Users
            ([u], "GET") if users(u) => {
                self.list_users(
                    org,
                    &ListParams::from_query(req.query, &[ENTERPRISE_SCHEMA])?,
                )
                .await
            }
            ([u], "POST") if users(u) => {
                let settings = self.settings(org).await?;
                self.create_user(&settings, req, now).await
            }
            ([u, s], "POST") if users(u) && is(s, ".search") => {
                self.list_users(
                    org,
                    &ListParams::from_search(&json_body(req)?, &[ENTERPRISE_SCHEMA])?,
                )
                .await
            }
            ([u], _) if users(u) => Err(method_not_allowed("GET, POST").into()),
            ([u, id], "GET") if users(u) => self.get_user(org, id, req).await,
            ([u, id], "PUT") if users(u) => {
                let settings = self.settings(org).await?;
                self.put_user(&settings, id, req, now).await
            }
            ([u, id], "PATCH") if users(u) => {
                let settings = self.settings(org).await?;
                self.patch_user(&settings, id, req, now).await
            }
            ([u, id], "DELETE") if users(u) => self.delete_user(org, id, req, now).await,
            ([u, _], _) if users(u) => Err(method_not_allowed("GET, PUT, PATCH, DELETE").into()),
            // Groups
            ([g], "GET") if groups(g) => {
                self.list_groups(org, &ListParams::from_query(req.query, &[])?)
                    .await
            }
            ([g], "POST") if groups(g) => self.create_group(org, req, now).await,
            ([g, s], "POST") if groups(g) && is(s, ".search") => {
                self.list_groups(org, &ListParams::from_search(&json_body(req)?, &[])?)
                    .await
            }
            ([g], _) if groups(g) => Err(method_not_allowed("GET, POST").into()),
            ([g, id], "GET") if groups(g) => self.get_group(org, id, req).await,
            ([g, id], "PUT") if groups(g) => self.put_group(org, id, req, now).await,
            ([g, id], "PATCH") if groups(g) => self.patch_group(org, id, req, now).await,
            ([g, id], "DELETE") if groups(g) => self.delete_group(org, id, req, now).await,
            ([g, _], _) if groups(g) => Err(method_not_allowed("GET, PUT, PATCH, DELETE").into()),
            // Searching every resource type.
            ([s], "POST") if is(s, ".search") => {
                self.search_all(
                    org,
                    &ListParams::from_search(&json_body(req)?, &[ENTERPRISE_SCHEMA])?,
                )
                .await
            }
            ([s], _) if is(s, ".search") => Err(method_not_allowed("POST").into()),
            // Discovery
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
            // RFC 7644 section 3.11: a service without /Me answers 501.
            ([me, ..], _) if is(me, "Me") => Err(ScimError::new(
                ScimErrorKind::NotImplemented,
                "this service does not implement /Me: requests carry an organization's token, not a user's",
            )
            .into()),
            _ => Err(ScimError::not_found(format!("no SCIM endpoint at {path}")).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("urn%3Aa%3Ab%zz"), "urn:a:b%zz");
    }
}
