//! SAML 2.0 metadata: our SP metadata out (valid against the OASIS `saml-schema-metadata-2.0`
//! schema), and IdP metadata in (the alternative to pasting Okta's three fields).
//!
//! Imported metadata is untrusted input: it goes through the crate's strict XML parser and
//! limits (no DOCTYPE, bounded size and counts). Its own `ds:Signature` is not verified (the
//! admin uploading it vouches for it, as for pasted values), and a certificate in it becomes a
//! configured signing certificate only through this explicit import.

use std::fmt::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::config::IdpCertificate;
use super::settings::{IdpSettings, SpEndpoints};
use super::sp_key::SpSigningKey;
use crate::error::{CertificateError, XmlError};
use crate::xml::{Document, Element, Limits};

/// The SAML 2.0 metadata namespace.
pub const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// Most signing certificates one IdP role may name (a rollover needs two or three).
pub const MAX_SIGNING_CERTIFICATES: usize = 16;
/// Largest metadata document imported.
pub const MAX_METADATA_BYTES: usize = 1024 * 1024;

fn xml_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// Our SP metadata: entityID, one AssertionConsumerService (HTTP-POST), NameIDFormat
/// emailAddress, `AuthnRequestsSigned` (true when `signing_key` is given, whose certificate is
/// then published with `use="signing"`) and `WantAssertionsSigned="true"`.
pub fn sp_metadata(sp: &SpEndpoints, signing_key: Option<&SpSigningKey>) -> String {
    let mut x = String::with_capacity(2048);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        x,
        "<md:EntityDescriptor xmlns:md=\"{MD_NS}\" entityID=\"{}\">\n  <md:SPSSODescriptor AuthnRequestsSigned=\"{}\" WantAssertionsSigned=\"true\" protocolSupportEnumeration=\"{PROTOCOL}\">\n",
        xml_attr(&sp.entity_id),
        signing_key.is_some()
    );
    if let Some(k) = signing_key {
        let _ = write!(
            x,
            "    <md:KeyDescriptor use=\"signing\">\n      <ds:KeyInfo xmlns:ds=\"{DS_NS}\">\n        <ds:X509Data>\n          <ds:X509Certificate>{}</ds:X509Certificate>\n        </ds:X509Data>\n      </ds:KeyInfo>\n    </md:KeyDescriptor>\n",
            STANDARD.encode(k.certificate().der())
        );
    }
    let _ = write!(
        x,
        "    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n    <md:AssertionConsumerService Binding=\"{POST}\" Location=\"{}\" index=\"0\" isDefault=\"true\"/>\n  </md:SPSSODescriptor>\n</md:EntityDescriptor>\n",
        xml_attr(&sp.acs_url)
    );
    x
}

/// Why IdP metadata could not be imported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// Not well-formed, or over the limits.
    #[error("the metadata is not acceptable XML: {0}")]
    Xml(#[from] XmlError),
    /// The root is neither `md:EntityDescriptor` nor `md:EntitiesDescriptor`.
    #[error(
        "the metadata's root element is {0}, not md:EntityDescriptor or md:EntitiesDescriptor"
    )]
    NotMetadata(String),
    /// No entity with a SAML 2.0 IdP role (or none with the requested entity id).
    #[error("{0}")]
    NoIdp(String),
    /// Several IdP entities and no entity id to pick one.
    #[error("the metadata describes {count} identity providers; pick one by entity id: {}", .ids.join(", "))]
    Ambiguous {
        /// How many.
        count: usize,
        /// Their entity ids (the first 20).
        ids: Vec<String>,
    },
    /// The IdP role lacks something the SSO setup needs.
    #[error("the IdP metadata has no {0}")]
    Missing(&'static str),
    /// More than [`MAX_SIGNING_CERTIFICATES`] distinct signing certificates.
    #[error("the IdP metadata names more than {0} signing certificates")]
    TooManyCertificates(usize),
    /// A signing certificate could not be read.
    #[error("a signing certificate in the metadata: {0}")]
    Certificate(#[from] CertificateError),
}

fn limits() -> Limits {
    let mut l = Limits::default().with_max_bytes(MAX_METADATA_BYTES);
    l.max_nodes = 100_000;
    l.max_attributes = 100_000;
    l.max_namespace_declarations = 100_000;
    l
}

fn entities<'d>(e: Element<'d>, out: &mut Vec<Element<'d>>) {
    if e.is(MD_NS, "EntityDescriptor") {
        out.push(e);
    } else if e.is(MD_NS, "EntitiesDescriptor") {
        for c in e.child_elements() {
            entities(c, out);
        }
    }
}

fn saml2_idp(entity: Element<'_>) -> Option<Element<'_>> {
    entity.children_named(MD_NS, "IDPSSODescriptor").find(|d| {
        d.attribute("protocolSupportEnumeration")
            .is_some_and(|p| p.split_ascii_whitespace().any(|x| x == PROTOCOL))
    })
}

/// Imports IdP metadata: an `EntityDescriptor`, or an `EntitiesDescriptor` (nested ones too)
/// from which `entity_id` picks one (needed only when it holds several IdPs). Takes every
/// signing certificate (KeyDescriptor `use="signing"` or without `use`; several during a
/// rollover, duplicates once), the HTTP-Redirect and HTTP-POST SingleSignOnService locations
/// (the Redirect one is the SSO URL; without one, the POST one), and `WantAuthnRequestsSigned`.
/// IdP-initiated logins stay off (set [`IdpSettings::allow_idp_initiated`] to allow them).
pub fn import_idp_metadata(
    xml: &[u8],
    entity_id: Option<&str>,
) -> Result<IdpSettings, MetadataError> {
    let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    let doc = Document::parse(xml, &limits())?;
    let root = doc.root();
    if !(root.is(MD_NS, "EntityDescriptor") || root.is(MD_NS, "EntitiesDescriptor")) {
        return Err(MetadataError::NotMetadata(
            format!("{{{}}}{}", root.namespace(), root.local_name())
                .chars()
                .take(120)
                .collect(),
        ));
    }
    let mut all = Vec::new();
    entities(root, &mut all);
    let idps: Vec<(Element<'_>, Element<'_>)> = all
        .into_iter()
        .filter_map(|e| saml2_idp(e).map(|d| (e, d)))
        .collect();
    let (entity, role) = match entity_id {
        Some(want) => idps
            .iter()
            .find(|(e, _)| e.attribute("entityID") == Some(want))
            .copied()
            .ok_or_else(|| {
                MetadataError::NoIdp(format!(
                    "no SAML 2.0 identity provider with entity id {:?} in the metadata",
                    want.chars().take(200).collect::<String>()
                ))
            })?,
        None => match idps.as_slice() {
            [one] => *one,
            [] => {
                return Err(MetadataError::NoIdp(
                    "the metadata has no SAML 2.0 identity provider (IDPSSODescriptor)".into(),
                ))
            }
            many => {
                return Err(MetadataError::Ambiguous {
                    count: many.len(),
                    ids: many
                        .iter()
                        .take(20)
                        .map(|(e, _)| e.attribute("entityID").unwrap_or("").to_owned())
                        .collect(),
                })
            }
        },
    };
    let issuer = entity
        .attribute("entityID")
        .filter(|s| !s.trim().is_empty())
        .ok_or(MetadataError::Missing("entityID"))?
        .to_owned();
    let mut certificates: Vec<IdpCertificate> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for kd in role.children_named(MD_NS, "KeyDescriptor") {
        if !matches!(kd.attribute("use"), None | Some("signing")) {
            continue;
        }
        for ki in kd.children_named(DS_NS, "KeyInfo") {
            for data in ki.children_named(DS_NS, "X509Data") {
                for c in data.children_named(DS_NS, "X509Certificate") {
                    let cert = IdpCertificate::parse(c.text()?.as_bytes())?;
                    if seen.insert(cert.sha256_fingerprint()) {
                        if certificates.len() == MAX_SIGNING_CERTIFICATES {
                            return Err(MetadataError::TooManyCertificates(
                                MAX_SIGNING_CERTIFICATES,
                            ));
                        }
                        certificates.push(cert);
                    }
                }
            }
        }
    }
    if certificates.is_empty() {
        return Err(MetadataError::Missing(
            "signing certificate (KeyDescriptor use=\"signing\" with an X509Certificate)",
        ));
    }
    let mut redirect = None;
    let mut post = None;
    for s in role.children_named(MD_NS, "SingleSignOnService") {
        let loc = s.attribute("Location").map(|l| l.trim().to_owned());
        match s.attribute("Binding") {
            Some(REDIRECT) if redirect.is_none() => redirect = loc,
            Some(POST) if post.is_none() => post = loc,
            _ => {}
        }
    }
    let sso_url = redirect
        .or_else(|| post.clone())
        .ok_or(MetadataError::Missing(
            "SingleSignOnService for the HTTP-Redirect or HTTP-POST binding",
        ))?;
    let want_signed = matches!(
        role.attribute("WantAuthnRequestsSigned").map(str::trim),
        Some("true" | "1")
    );
    Ok(IdpSettings {
        issuer,
        sso_url,
        sso_post_url: post,
        certificates,
        want_authn_requests_signed: want_signed,
        allow_idp_initiated: false,
    })
}
