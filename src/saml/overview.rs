//! An admin's view of what a response *says*, read without verifying anything.

use std::collections::BTreeMap;

use super::encryption_overview::EncryptionOverview;
use super::ns;
use crate::dsig::{self, DSIG_NS};
use crate::error::{SamlError, SignedPart};
use crate::xml::{Document, Element, Limits};

/// What a SAML response says, **read without verifying anything**: for debugging a setup
/// (`saml_inspect` prints it next to the verdict). Never use these values to log anyone in; use
/// [`AssertionValidator`](crate::AssertionValidator).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseOverview {
    /// The root element, `{namespace}local`.
    pub root: String,
    /// The Response ID.
    pub id: Option<String>,
    /// The Response Issuer.
    pub issuer: Option<String>,
    /// The Response Destination.
    pub destination: Option<String>,
    /// The Response InResponseTo.
    pub in_response_to: Option<String>,
    /// The Response IssueInstant.
    pub issue_instant: Option<String>,
    /// The top-level StatusCode.
    pub status: Option<String>,
    /// The second-level StatusCode.
    pub status_detail: Option<String>,
    /// The StatusMessage.
    pub status_message: Option<String>,
    /// Number of `saml:Assertion` elements anywhere in the document.
    pub assertion_count: usize,
    /// Number of `saml:EncryptedAssertion` elements anywhere in the document.
    pub encrypted_assertion_count: usize,
    /// How each `saml:EncryptedAssertion` was encrypted (the first 8), read without any key.
    pub encryption: Vec<EncryptionOverview>,
    /// Whether [`assertion`](ResponseOverview::assertion) came out of the EncryptedAssertion
    /// ([`ResponseOverview::decrypting`]).
    pub decrypted: bool,
    /// The first Assertion in document order.
    pub assertion: Option<AssertionOverview>,
    /// Every `ds:Signature` in the document, in document order.
    pub signatures: Vec<SignatureOverview>,
}

/// What the (first) Assertion says, unverified.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssertionOverview {
    /// Assertion ID.
    pub id: Option<String>,
    /// Assertion Issuer.
    pub issuer: Option<String>,
    /// Subject NameID.
    pub name_id: Option<String>,
    /// NameID Format.
    pub name_id_format: Option<String>,
    /// Conditions NotBefore.
    pub not_before: Option<String>,
    /// Conditions NotOnOrAfter.
    pub not_on_or_after: Option<String>,
    /// Every Audience.
    pub audiences: Vec<String>,
    /// Recipient of each SubjectConfirmationData.
    pub recipients: Vec<String>,
    /// NotOnOrAfter of the first SubjectConfirmationData.
    pub confirmation_not_on_or_after: Option<String>,
    /// InResponseTo of the first SubjectConfirmationData.
    pub in_response_to: Option<String>,
    /// AuthnStatement SessionIndex.
    pub session_index: Option<String>,
    /// Attribute statements (values that contain elements are shown as `<elements>`).
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// One `ds:Signature` and what it covers, unverified.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureOverview {
    /// The element holding the signature (its qualified name).
    pub parent: String,
    /// That element's ID attribute.
    pub parent_id: Option<String>,
    /// The Reference URI.
    pub reference_uri: Option<String>,
    /// In words: what the reference covers.
    pub covers: String,
    /// SignedInfo canonicalization algorithm.
    pub canonicalization: Option<String>,
    /// SignatureMethod algorithm.
    pub signature_algorithm: Option<String>,
    /// DigestMethod algorithm.
    pub digest_algorithm: Option<String>,
    /// Why the signature is outside the accepted profile, if it is.
    pub profile_error: Option<String>,
}

fn trimmed(e: Element<'_>) -> Option<String> {
    e.text()
        .ok()
        .map(|t| t.trim_matches([' ', '\t', '\n', '\r']).to_owned())
}

fn first_child<'d>(e: Element<'d>, namespace: &str, local: &str) -> Option<Element<'d>> {
    e.children_named(namespace, local).next()
}

fn attr(e: Option<Element<'_>>, name: &str) -> Option<String> {
    e.and_then(|e| e.attribute(name)).map(str::to_owned)
}

impl ResponseOverview {
    /// Reads a posted `SAMLResponse` form value (base64).
    pub fn from_form_value(value: impl AsRef<[u8]>) -> Result<ResponseOverview, SamlError> {
        let limits = Limits::default();
        let xml = super::decode::form_value(value.as_ref(), limits.max_bytes)?;
        ResponseOverview::from_xml(&xml)
    }

    /// Reads raw XML.
    pub fn from_xml(xml: &[u8]) -> Result<ResponseOverview, SamlError> {
        let doc = Document::parse(xml, &Limits::default())?;
        Ok(ResponseOverview::from_document(&doc))
    }

    /// **For the holder of the SP keys only** (an admin's tool, never a request handler): reads
    /// the form value as [`from_form_value`](ResponseOverview::from_form_value) does, then decrypts the first
    /// EncryptedAssertion with `keys` and reads the assertion (and its signature) from the
    /// plaintext, **unverified**. Whether a ciphertext decrypts and parses is what an attacker
    /// who changes it wants to learn, so answering that for anyone else is a decryption
    /// oracle: the validator answers only with verified results and one error. Any failure
    /// after the form checks is [`EncryptionError::Decryption`](crate::EncryptionError).
    #[cfg(feature = "encrypted-assertions")]
    pub fn decrypting_form_value(
        value: impl AsRef<[u8]>,
        keys: &[super::SpDecryptionKey],
    ) -> Result<ResponseOverview, SamlError> {
        let xml = super::decode::form_value(value.as_ref(), Limits::default().max_bytes)?;
        ResponseOverview::decrypting(&xml, keys)
    }

    /// As [`decrypting_form_value`](ResponseOverview::decrypting_form_value), from raw XML.
    #[cfg(feature = "encrypted-assertions")]
    pub fn decrypting(
        xml: &[u8],
        keys: &[super::SpDecryptionKey],
    ) -> Result<ResponseOverview, SamlError> {
        let limits = Limits::default();
        let doc = Document::parse(xml, &limits)?;
        let mut o = ResponseOverview::from_document(&doc);
        let Some(encrypted) = doc
            .elements()
            .find(|e| e.is(ns::SAML, "EncryptedAssertion"))
        else {
            return Ok(o);
        };
        let rebuilt = super::encrypted::decrypt_in_place(&doc, encrypted, keys, &limits, false)?
            .map_err(|_| crate::error::EncryptionError::Decryption)?;
        let plain = ResponseOverview::from_document(&rebuilt);
        if plain.assertion.is_none() {
            // Nothing came out (a GCM tag that does not verify, say).
            return Err(crate::error::EncryptionError::Decryption.into());
        }
        o.assertion_count = plain.assertion_count;
        o.assertion = plain.assertion;
        o.signatures = plain.signatures;
        o.decrypted = true;
        Ok(o)
    }

    fn from_document(doc: &Document) -> ResponseOverview {
        let root = doc.root();
        let status = first_child(root, ns::SAMLP, "Status");
        let code = status.and_then(|s| first_child(s, ns::SAMLP, "StatusCode"));
        let mut o = ResponseOverview {
            root: format!("{{{}}}{}", root.namespace(), root.local_name()),
            id: attr(Some(root), "ID"),
            issuer: first_child(root, ns::SAML, "Issuer").and_then(trimmed),
            destination: attr(Some(root), "Destination"),
            in_response_to: attr(Some(root), "InResponseTo"),
            issue_instant: attr(Some(root), "IssueInstant"),
            status: attr(code, "Value"),
            status_detail: attr(
                code.and_then(|c| first_child(c, ns::SAMLP, "StatusCode")),
                "Value",
            ),
            status_message: status
                .and_then(|s| first_child(s, ns::SAMLP, "StatusMessage"))
                .and_then(trimmed),
            ..ResponseOverview::default()
        };
        for e in doc.elements() {
            if e.is(ns::SAML, "Assertion") {
                o.assertion_count += 1;
                if o.assertion.is_none() {
                    o.assertion = Some(AssertionOverview::read(e));
                }
            } else if e.is(ns::SAML, "EncryptedAssertion") {
                o.encrypted_assertion_count += 1;
                if o.encryption.len() < 8 {
                    o.encryption.push(EncryptionOverview::read(e));
                }
            } else if e.is(DSIG_NS, "Signature") {
                o.signatures.push(SignatureOverview::read(e));
            }
        }
        o
    }
}

impl AssertionOverview {
    fn read(a: Element<'_>) -> AssertionOverview {
        let subject = first_child(a, ns::SAML, "Subject");
        let name_id = subject.and_then(|s| first_child(s, ns::SAML, "NameID"));
        let conditions = first_child(a, ns::SAML, "Conditions");
        let confirmations: Vec<Element<'_>> = subject
            .into_iter()
            .flat_map(|s| s.children_named(ns::SAML, "SubjectConfirmation"))
            .filter_map(|c| first_child(c, ns::SAML, "SubjectConfirmationData"))
            .collect();
        let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for st in a.children_named(ns::SAML, "AttributeStatement") {
            for at in st.children_named(ns::SAML, "Attribute") {
                let values = attributes
                    .entry(at.attribute("Name").unwrap_or("").to_owned())
                    .or_default();
                for v in at.children_named(ns::SAML, "AttributeValue") {
                    values.push(trimmed(v).unwrap_or_else(|| "<elements>".into()));
                }
            }
        }
        AssertionOverview {
            id: attr(Some(a), "ID"),
            issuer: first_child(a, ns::SAML, "Issuer").and_then(trimmed),
            name_id: name_id.and_then(trimmed),
            name_id_format: attr(name_id, "Format"),
            not_before: attr(conditions, "NotBefore"),
            not_on_or_after: attr(conditions, "NotOnOrAfter"),
            audiences: conditions
                .into_iter()
                .flat_map(|c| c.children_named(ns::SAML, "AudienceRestriction"))
                .flat_map(|r| r.children_named(ns::SAML, "Audience"))
                .filter_map(trimmed)
                .collect(),
            recipients: confirmations
                .iter()
                .filter_map(|c| c.attribute("Recipient").map(str::to_owned))
                .collect(),
            confirmation_not_on_or_after: attr(confirmations.first().copied(), "NotOnOrAfter"),
            in_response_to: attr(confirmations.first().copied(), "InResponseTo"),
            session_index: attr(first_child(a, ns::SAML, "AuthnStatement"), "SessionIndex"),
            attributes,
        }
    }
}

impl SignatureOverview {
    fn read(s: Element<'_>) -> SignatureOverview {
        let parent = s.parent();
        let parent_id = attr(parent, "ID");
        let signed_info = first_child(s, DSIG_NS, "SignedInfo");
        let reference = signed_info.and_then(|si| first_child(si, DSIG_NS, "Reference"));
        let reference_uri = attr(reference, "URI");
        let parent_name = parent
            .map(|p| p.qualified_name().into_owned())
            .unwrap_or_default();
        let covers = match (&reference_uri, &parent_id) {
            (Some(u), Some(id)) if u.strip_prefix('#') == Some(id.as_str()) => {
                format!("its parent <{parent_name} ID=\"{id}\"> and everything inside, minus this signature (enveloped)")
            }
            (Some(u), _) if u.is_empty() && parent.is_some_and(|p| p.parent().is_none()) => {
                "the whole document, minus this signature (enveloped)".to_owned()
            }
            (Some(u), _) => format!("{u:?}, which is NOT its parent <{parent_name}>: refused"),
            (None, _) => "nothing (no Reference URI)".to_owned(),
        };
        let part = if parent.is_some_and(|p| p.is(ns::SAML, "Assertion")) {
            SignedPart::Assertion
        } else {
            SignedPart::Response
        };
        let alg = |e: Option<Element<'_>>| attr(e, "Algorithm");
        SignatureOverview {
            parent: parent_name,
            parent_id,
            reference_uri,
            covers,
            canonicalization: alg(
                signed_info.and_then(|si| first_child(si, DSIG_NS, "CanonicalizationMethod"))
            ),
            signature_algorithm: alg(
                signed_info.and_then(|si| first_child(si, DSIG_NS, "SignatureMethod"))
            ),
            digest_algorithm: alg(reference.and_then(|r| first_child(r, DSIG_NS, "DigestMethod"))),
            profile_error: dsig::parse(s, part).err().map(|e| e.to_string()),
        }
    }
}
