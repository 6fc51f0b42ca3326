//! What the test IdP reads of an AuthnRequest (HTTP-Redirect or HTTP-POST binding).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::xml::{Document, Limits};

/// Why the test IdP could not read a request or build a response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TestIdpError {
    /// The request is malformed.
    #[error("the AuthnRequest cannot be read: {0}")]
    Request(String),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// What an AuthnRequest asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// Its `ID` (the response's InResponseTo).
    pub id: String,
    /// Its `Issuer` (the SP's entity id).
    pub issuer: String,
    /// Its `AssertionConsumerServiceURL`, if given.
    pub acs_url: Option<String>,
    /// The RelayState that came with it.
    pub relay_state: Option<String>,
}

fn bad(m: impl Into<String>) -> TestIdpError {
    TestIdpError::Request(m.into())
}

fn read_xml(xml: &[u8], relay_state: Option<String>) -> Result<ReceivedRequest, TestIdpError> {
    let doc = Document::parse(xml, &Limits::default()).map_err(|e| bad(e.to_string()))?;
    let root = doc.root();
    if !root.is("urn:oasis:names:tc:SAML:2.0:protocol", "AuthnRequest") {
        return Err(bad("not a samlp:AuthnRequest"));
    }
    let issuer = root
        .children_named("urn:oasis:names:tc:SAML:2.0:assertion", "Issuer")
        .next()
        .ok_or_else(|| bad("no Issuer"))?
        .text()
        .map_err(|e| bad(e.to_string()))?
        .trim()
        .to_owned();
    Ok(ReceivedRequest {
        id: root.attribute("ID").ok_or_else(|| bad("no ID"))?.to_owned(),
        issuer,
        acs_url: root
            .attribute("AssertionConsumerServiceURL")
            .map(str::to_owned),
        relay_state,
    })
}

impl ReceivedRequest {
    /// Reads the query string of an HTTP-Redirect binding request (`SAMLRequest`, `RelayState`;
    /// a signature is not checked: this is a test IdP).
    pub fn from_redirect_query(query: &str) -> Result<ReceivedRequest, TestIdpError> {
        let mut saml = None;
        let mut relay = None;
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "SAMLRequest" => saml = Some(v.into_owned()),
                "RelayState" => relay = Some(v.into_owned()),
                _ => {}
            }
        }
        let saml = saml.ok_or_else(|| bad("no SAMLRequest parameter"))?;
        let deflated = STANDARD
            .decode(saml.trim())
            .map_err(|e| bad(e.to_string()))?;
        let xml = miniz_oxide::inflate::decompress_to_vec_with_limit(&deflated, 256 * 1024)
            .map_err(|_| bad("SAMLRequest does not inflate (raw DEFLATE, at most 256 KiB)"))?;
        read_xml(&xml, relay)
    }

    /// Reads an HTTP-POST binding request: the `SAMLRequest` form value and the RelayState.
    pub fn from_post(
        saml_request: &str,
        relay_state: Option<&str>,
    ) -> Result<ReceivedRequest, TestIdpError> {
        let xml = crate::b64::decode_lenient(saml_request, 256 * 1024).map_err(bad)?;
        read_xml(&xml, relay_state.map(str::to_owned))
    }
}
