//! SP-initiated login: the AuthnRequest, sent with the HTTP-Redirect binding (DEFLATE, base64,
//! URL; `SigAlg` and `Signature` over the exact query string when the SP signs) or the HTTP-POST
//! binding (base64 in an auto-submitted form; an enveloped XML signature when the SP signs).

use std::fmt::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::config::SsoConfig;
use super::relay_state::RelayState;
use super::requests::RequestId;
use super::sp_key::{SpKeyError, SpSigningKey};
use crate::time::Timestamp;
use crate::xml::{canonicalize, C14nMethod, Document, Limits};

const SIG_ALG_RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const EMAIL_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// How the AuthnRequest travels to the IdP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// HTTP-Redirect: a URL with the DEFLATEd request in its query (what Okta expects).
    Redirect,
    /// HTTP-POST: an HTML form posting the base64 request.
    Post,
}

/// Options of an AuthnRequest.
#[derive(Clone, Debug)]
pub struct AuthnRequestOptions {
    /// The binding. Default [`Binding::Redirect`].
    pub binding: Binding,
    /// Where to send it with the POST binding (the IdP's HTTP-POST `SingleSignOnService`);
    /// default: the configured SSO URL (Okta's accepts both bindings).
    pub post_url: Option<String>,
    /// Ask the IdP to authenticate the user again (`ForceAuthn`). Default `false`.
    pub force_authn: bool,
    /// How long the request id stays consumable. Default 10 minutes.
    pub lifetime: std::time::Duration,
}

impl Default for AuthnRequestOptions {
    fn default() -> Self {
        AuthnRequestOptions {
            binding: Binding::Redirect,
            post_url: None,
            force_authn: false,
            lifetime: std::time::Duration::from_secs(600),
        }
    }
}

/// What to send the browser, for one binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outbound {
    /// Redirect (302/303) the browser to this URL.
    Redirect {
        /// The IdP SSO URL with `SAMLRequest`, `RelayState`, `SigAlg`, `Signature`.
        url: String,
    },
    /// Serve [`LoginRequest::post_form_html`]: a form that posts these fields to `action`.
    Post {
        /// The IdP's POST SSO URL.
        action: String,
        /// The `SAMLRequest` field (base64 of the XML, signed when the SP signs).
        saml_request: String,
        /// The `RelayState` field.
        relay_state: Option<String>,
    },
}

/// A built AuthnRequest: its id (to store through an
/// [`AuthnRequestStore`](super::AuthnRequestStore) until `expires_at`), the XML, and what to
/// send the browser.
#[derive(Clone, Debug)]
pub struct LoginRequest {
    /// The request's `ID`: what the response's `InResponseTo` names.
    pub id: RequestId,
    /// When the id stops being consumable.
    pub expires_at: Timestamp,
    /// The request XML (before DEFLATE/base64).
    pub xml: String,
    /// What to send the browser.
    pub outbound: Outbound,
    /// Whether it was signed.
    pub signed: bool,
}

impl LoginRequest {
    /// For the POST binding: a minimal HTML page whose form posts itself (values escaped), with
    /// a button for browsers without JavaScript. `None` for the Redirect binding.
    pub fn post_form_html(&self) -> Option<String> {
        let Outbound::Post {
            action,
            saml_request,
            relay_state,
        } = &self.outbound
        else {
            return None;
        };
        let mut h = String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Signing in</title></head><body onload=\"document.forms[0].submit()\">");
        let _ = write!(
            h,
            "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"SAMLRequest\" value=\"{}\">",
            html_escape(action),
            html_escape(saml_request)
        );
        if let Some(rs) = relay_state {
            let _ = write!(
                h,
                "<input type=\"hidden\" name=\"RelayState\" value=\"{}\">",
                html_escape(rs)
            );
        }
        h.push_str(
            "<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        );
        Some(h)
    }
}

/// Why an AuthnRequest could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthnRequestError {
    /// Signing failed.
    #[error(transparent)]
    Key(#[from] SpKeyError),
    /// The IdP's SSO URL for the chosen binding is not an absolute http(s) URL.
    #[error("the IdP SSO URL {0:?} is not an absolute http(s) URL")]
    Url(String),
}

fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Escapes an attribute value as canonical XML writes it.
fn attr(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '"' => o.push_str("&quot;"),
            '\t' => o.push_str("&#x9;"),
            '\n' => o.push_str("&#xA;"),
            '\r' => o.push_str("&#xD;"),
            c => o.push(c),
        }
    }
    o
}

/// Escapes text content as canonical XML writes it.
fn text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '\r' => o.push_str("&#xD;"),
            c => o.push(c),
        }
    }
    o
}

/// Percent-encodes a query value: RFC 3986 unreserved characters stay, a space is `+`, every
/// other byte is `%XX` (upper case). The signature covers these exact bytes; they are also what
/// `urllib.parse.quote_plus` writes, so IdPs that re-encode before verifying (pysaml2) agree.
fn url_encode(s: &str) -> String {
    let mut o = String::with_capacity(s.len() * 3 / 2);
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                o.push(char::from(b))
            }
            b' ' => o.push('+'),
            _ => {
                let _ = write!(o, "%{b:02X}");
            }
        }
    }
    o
}

/// The AuthnRequest XML, in canonical form (exclusive C14N), with `signature` (a whole
/// `ds:Signature` element) after the Issuer when given.
fn request_xml(
    config: &SsoConfig,
    id: &RequestId,
    destination: &str,
    issue_instant: Timestamp,
    force_authn: bool,
    signature: Option<&str>,
) -> String {
    let mut x = String::with_capacity(1024);
    // Attributes in canonical order (namespace declaration, then by local name).
    let _ = write!(
        x,
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" AssertionConsumerServiceURL=\"{}\" Destination=\"{}\"{} ID=\"{}\" IssueInstant=\"{}\" ProtocolBinding=\"{POST_BINDING}\" Version=\"2.0\">",
        attr(config.acs_url()),
        attr(destination),
        if force_authn { " ForceAuthn=\"true\"" } else { "" },
        attr(id.as_str()),
        issue_instant,
    );
    let _ = write!(
        x,
        "<saml:Issuer xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">{}</saml:Issuer>",
        text(config.sp_entity_id())
    );
    if let Some(sig) = signature {
        x.push_str(sig);
    }
    let _ = write!(
        x,
        "<samlp:NameIDPolicy AllowCreate=\"true\" Format=\"{EMAIL_FORMAT}\"></samlp:NameIDPolicy></samlp:AuthnRequest>"
    );
    x
}

/// The exclusive-C14N bytes of the request's root, computed by the crate's own canonicalizer
/// over the parsed XML (not trusted from the writer).
fn canonical_root(xml: &str) -> Result<Vec<u8>, AuthnRequestError> {
    let doc = Document::parse(xml.as_bytes(), &Limits::default())
        .map_err(|e| AuthnRequestError::Key(SpKeyError::Key(format!("request XML: {e}"))))?;
    let mut out = Vec::with_capacity(xml.len());
    canonicalize(
        &doc,
        doc.root().id(),
        &C14nMethod::exclusive(),
        None,
        &mut out,
    )
    .map_err(|e| AuthnRequestError::Key(SpKeyError::Key(format!("request XML: {e}"))))?;
    Ok(out)
}

fn signed_info(id: &RequestId, digest_b64: &str, with_ns: bool) -> String {
    format!(
        "<ds:SignedInfo{}><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"{SIG_ALG_RSA_SHA256}\"></ds:SignatureMethod><ds:Reference URI=\"#{}\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"></ds:Transform><ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"></ds:DigestMethod><ds:DigestValue>{digest_b64}</ds:DigestValue></ds:Reference></ds:SignedInfo>",
        if with_ns { " xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"" } else { "" },
        attr(id.as_str()),
    )
}

fn absolute(url: &str) -> Result<url::Url, AuthnRequestError> {
    let u = url::Url::parse(url).map_err(|_| AuthnRequestError::Url(url.to_owned()))?;
    if !matches!(u.scheme(), "https" | "http") || u.host().is_none() {
        return Err(AuthnRequestError::Url(url.to_owned()));
    }
    Ok(u)
}

/// Builds the AuthnRequest `id` for `config` at `now`, signed with `key` when given.
///
/// The Destination is the IdP URL the request is sent to; the ACS URL and entity id are ours;
/// the NameID policy asks for an email address (what the Okta guide configures).
pub fn build_authn_request(
    config: &SsoConfig,
    key: Option<&SpSigningKey>,
    id: RequestId,
    relay_state: Option<&RelayState>,
    options: &AuthnRequestOptions,
    now: Timestamp,
) -> Result<LoginRequest, AuthnRequestError> {
    let issue_instant = Timestamp::from_unix_seconds(now.unix_seconds());
    let expires_at = now.saturating_add(options.lifetime);
    match options.binding {
        Binding::Redirect => {
            let dest = config.idp_sso_url().as_str().to_owned();
            absolute(&dest)?;
            let xml = request_xml(config, &id, &dest, issue_instant, options.force_authn, None);
            let deflated = miniz_oxide::deflate::compress_to_vec(xml.as_bytes(), 6);
            let mut query = format!("SAMLRequest={}", url_encode(&STANDARD.encode(deflated)));
            if let Some(rs) = relay_state {
                let _ = write!(query, "&RelayState={}", url_encode(rs.as_str()));
            }
            if let Some(k) = key {
                let _ = write!(query, "&SigAlg={}", url_encode(SIG_ALG_RSA_SHA256));
                let sig = k.sign_rsa_sha256(query.as_bytes())?;
                let _ = write!(query, "&Signature={}", url_encode(&STANDARD.encode(sig)));
            }
            let sep = if dest.contains('?') { '&' } else { '?' };
            Ok(LoginRequest {
                id,
                expires_at,
                xml,
                outbound: Outbound::Redirect {
                    url: format!("{dest}{sep}{query}"),
                },
                signed: key.is_some(),
            })
        }
        Binding::Post => {
            let action = options
                .post_url
                .clone()
                .unwrap_or_else(|| config.idp_sso_url().as_str().to_owned());
            absolute(&action)?;
            let unsigned = request_xml(
                config,
                &id,
                &action,
                issue_instant,
                options.force_authn,
                None,
            );
            let xml = match key {
                None => unsigned,
                Some(k) => {
                    let canonical = canonical_root(&unsigned)?;
                    let digest = ring::digest::digest(&ring::digest::SHA256, &canonical);
                    let digest_b64 = STANDARD.encode(digest);
                    // SignedInfo as exclusive C14N renders it on its own (with xmlns:ds).
                    let to_sign = signed_info(&id, &digest_b64, true);
                    let sig = STANDARD.encode(k.sign_rsa_sha256(to_sign.as_bytes())?);
                    let cert = STANDARD.encode(k.certificate().der());
                    let signature = format!(
                        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">{}<ds:SignatureValue>{sig}</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>",
                        signed_info(&id, &digest_b64, false)
                    );
                    request_xml(
                        config,
                        &id,
                        &action,
                        issue_instant,
                        options.force_authn,
                        Some(&signature),
                    )
                }
            };
            Ok(LoginRequest {
                id,
                expires_at,
                outbound: Outbound::Post {
                    action,
                    saml_request: STANDARD.encode(xml.as_bytes()),
                    relay_state: relay_state.map(|r| r.as_str().to_owned()),
                },
                xml,
                signed: key.is_some(),
            })
        }
    }
}
