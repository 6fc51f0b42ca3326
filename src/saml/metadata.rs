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
/// then published with `use="signing"`) and `WantAssertionsSigned="true"`. The same as
/// [`SpMetadata::new`]`(sp).signing_key(signing_key).to_xml()`; [`SpMetadata`] also publishes
/// encryption keys.
pub fn sp_metadata(sp: &SpEndpoints, signing_key: Option<&SpSigningKey>) -> String {
    SpMetadata::new(sp).signing_key(signing_key).to_xml()
}

/// The algorithms an IdP may encrypt for us, in our order of preference (authenticated GCM
/// first), as `md:EncryptionMethod` entries of an encryption `KeyDescriptor`.
pub const ENCRYPTION_METHODS: [&str; 6] = [
    "http://www.w3.org/2009/xmlenc11#aes256-gcm",
    "http://www.w3.org/2009/xmlenc11#aes128-gcm",
    "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
    "http://www.w3.org/2009/xmlenc11#rsa-oaep",
    "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
];
const XENC11_NS: &str = "http://www.w3.org/2009/xmlenc11#";

/// Our SP metadata, from what an organization configured: the endpoints, the signing key (its
/// certificate published with `use="signing"`, and `AuthnRequestsSigned="true"`) and, with
/// the `encrypted-assertions` feature, the decryption keys (each certificate published with
/// `use="encryption"` and the [`ENCRYPTION_METHODS`] we decrypt; `xmlenc11#rsa-oaep` with
/// SHA-256 as digest and MGF1 digest).
///
/// ```
/// use sso_scim::saml::{SpEndpoints, SpMetadata};
/// let sp = SpEndpoints {
///     entity_id: "https://app.example.com/saml/acme/metadata".into(),
///     acs_url: "https://app.example.com/saml/acme/acs".into(),
/// };
/// let xml = SpMetadata::new(&sp).to_xml();
/// assert!(xml.contains("AssertionConsumerService"));
/// ```
#[derive(Clone, Debug)]
pub struct SpMetadata<'a> {
    sp: &'a SpEndpoints,
    signing_key: Option<&'a SpSigningKey>,
    encryption: Vec<&'a IdpCertificate>,
}

impl<'a> SpMetadata<'a> {
    /// Metadata for `sp`, with no keys.
    pub fn new(sp: &'a SpEndpoints) -> SpMetadata<'a> {
        SpMetadata {
            sp,
            signing_key: None,
            encryption: Vec::new(),
        }
    }

    /// Publishes the SP signing key's certificate (AuthnRequests are then signed).
    pub fn signing_key(mut self, key: Option<&'a SpSigningKey>) -> SpMetadata<'a> {
        self.signing_key = key;
        self
    }

    /// Publishes the certificates of the SP decryption keys, in their order.
    #[cfg(feature = "encrypted-assertions")]
    pub fn decryption_keys(mut self, keys: &'a super::SpDecryptionKeys) -> SpMetadata<'a> {
        self.encryption = keys.iter().map(|k| k.certificate()).collect();
        self
    }

    /// The metadata document.
    pub fn to_xml(&self) -> String {
        let mut x = String::with_capacity(2048 + 2048 * self.encryption.len());
        x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = write!(
            x,
            "<md:EntityDescriptor xmlns:md=\"{MD_NS}\" entityID=\"{}\">\n  <md:SPSSODescriptor AuthnRequestsSigned=\"{}\" WantAssertionsSigned=\"true\" protocolSupportEnumeration=\"{PROTOCOL}\">\n",
            xml_attr(&self.sp.entity_id),
            self.signing_key.is_some()
        );
        if let Some(k) = self.signing_key {
            key_descriptor(&mut x, "signing", k.certificate());
            x.push_str("    </md:KeyDescriptor>\n");
        }
        for c in &self.encryption {
            key_descriptor(&mut x, "encryption", c);
            for m in ENCRYPTION_METHODS {
                if m == "http://www.w3.org/2009/xmlenc11#rsa-oaep" {
                    let _ = write!(
                        x,
                        "      <md:EncryptionMethod Algorithm=\"{m}\">\n        <ds:DigestMethod xmlns:ds=\"{DS_NS}\" Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n        <xenc11:MGF xmlns:xenc11=\"{XENC11_NS}\" Algorithm=\"http://www.w3.org/2009/xmlenc11#mgf1sha256\"/>\n      </md:EncryptionMethod>\n"
                    );
                } else {
                    let _ = writeln!(x, "      <md:EncryptionMethod Algorithm=\"{m}\"/>");
                }
            }
            x.push_str("    </md:KeyDescriptor>\n");
        }
        let _ = write!(
            x,
            "    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n    <md:AssertionConsumerService Binding=\"{POST}\" Location=\"{}\" index=\"0\" isDefault=\"true\"/>\n  </md:SPSSODescriptor>\n</md:EntityDescriptor>\n",
            xml_attr(&self.sp.acs_url)
        );
        x
    }
}

/// An open `KeyDescriptor` of `use` holding `cert` (the caller closes it).
fn key_descriptor(x: &mut String, usage: &str, cert: &IdpCertificate) {
    let _ = write!(
        x,
        "    <md:KeyDescriptor use=\"{usage}\">\n      <ds:KeyInfo xmlns:ds=\"{DS_NS}\">\n        <ds:X509Data>\n          <ds:X509Certificate>{}</ds:X509Certificate>\n        </ds:X509Data>\n      </ds:KeyInfo>\n",
        STANDARD.encode(cert.der())
    );
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
