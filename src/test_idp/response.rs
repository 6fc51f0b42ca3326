//! The test IdP's Response: written, then signed with the crate's own canonicalizer over the
//! parsed document (Assertion first, then the Response around it), as an IdP's signer does.

use std::fmt::Write as _;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::request::{ReceivedRequest, TestIdpError};
use super::{Fault, TestIdp, TestUser};
use crate::saml::SpEndpoints;
use crate::time::Timestamp;
use crate::xml::{canonicalize, C14nMethod, Document, Element, Limits};

const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn random_id() -> Result<String, TestIdpError> {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| TestIdpError::Signing("no randomness".into()))?;
    Ok(format!(
        "id{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ))
}

fn instant(t: Timestamp) -> String {
    // Okta writes milliseconds.
    let whole = Timestamp::from_unix_seconds(t.unix_seconds());
    let ms = t.subsec_nanos() / 1_000_000;
    let s = whole.to_string();
    format!("{}.{ms:03}Z", s.trim_end_matches('Z'))
}

fn attribute(name: &str, values: &[String]) -> String {
    let mut a = format!(
        "<saml2:Attribute Name=\"{}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified\">",
        esc(name)
    );
    for v in values {
        let _ = write!(
            a,
            "<saml2:AttributeValue xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"xs:string\">{}</saml2:AttributeValue>",
            esc(v)
        );
    }
    a.push_str("</saml2:Attribute>");
    a
}

fn signature_template(reference: &str, digest: &str, marker: &str, cert: &str) -> String {
    format!(
        "<ds:Signature xmlns:ds=\"{DS}\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{EXC}\"/><ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/><ds:Reference URI=\"#{reference}\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/><ds:Transform Algorithm=\"{EXC}\"><ec:InclusiveNamespaces xmlns:ec=\"{EXC}\" PrefixList=\"xs\"/></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>{marker}</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"
    )
}

fn fail(e: impl std::fmt::Display) -> TestIdpError {
    TestIdpError::Signing(e.to_string())
}

fn parse(xml: &str) -> Result<Document, TestIdpError> {
    Document::parse(xml.as_bytes(), &Limits::default().with_max_bytes(4 << 20)).map_err(fail)
}

/// The element with attribute `ID` = `id`.
fn by_id<'d>(doc: &'d Document, id: &str) -> Result<Element<'d>, TestIdpError> {
    doc.elements()
        .find(|e| e.attribute("ID") == Some(id))
        .ok_or_else(|| fail(format!("no element {id}")))
}

/// Signs the element `id` of `xml`: inserts an enveloped signature right after its Issuer
/// (`issuer_end` is the text that closes that Issuer, unique to this element).
fn sign(idp: &TestIdp, xml: &str, id: &str, issuer_end: &str) -> Result<String, TestIdpError> {
    let doc = parse(xml)?;
    let mut canonical = Vec::new();
    canonicalize(
        &doc,
        by_id(&doc, id)?.id(),
        &C14nMethod::exclusive_with_prefix_list("xs"),
        None,
        &mut canonical,
    )
    .map_err(fail)?;
    let digest = STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, &canonical));
    let marker = format!("SIGNATURE-VALUE-OF-{id}");
    let cert = STANDARD.encode(idp.key().certificate().der());
    let template = signature_template(id, &digest, &marker, &cert);
    let at = xml
        .find(issuer_end)
        .ok_or_else(|| fail("no Issuer to sign after"))?
        + issuer_end.len();
    let with = format!("{}{template}{}", &xml[..at], &xml[at..]);
    // SignedInfo, canonicalized in place (its inherited namespaces are part of it).
    let doc = parse(&with)?;
    let signed_element = by_id(&doc, id)?;
    let signed_info = signed_element
        .child_elements()
        .find(|e| e.is(DS, "Signature"))
        .and_then(|s| s.child_elements().find(|e| e.is(DS, "SignedInfo")))
        .ok_or_else(|| fail("no SignedInfo"))?;
    let mut si = Vec::new();
    canonicalize(
        &doc,
        signed_info.id(),
        &C14nMethod::exclusive(),
        None,
        &mut si,
    )
    .map_err(fail)?;
    let value = STANDARD.encode(idp.key().sign_rsa_sha256(&si).map_err(fail)?);
    Ok(with.replacen(&marker, &value, 1))
}

pub(super) fn build(
    idp: &TestIdp,
    sp: &SpEndpoints,
    request: Option<&ReceivedRequest>,
    user: &TestUser,
    fault: Option<Fault>,
    now: Timestamp,
) -> Result<String, TestIdpError> {
    let acs = request
        .and_then(|r| r.acs_url.clone())
        .unwrap_or_else(|| sp.acs_url.clone());
    let audience = match fault {
        Some(Fault::WrongAudience) => "https://another-sp.example/saml/metadata".to_owned(),
        _ => request
            .map(|r| r.issuer.clone())
            .unwrap_or_else(|| sp.entity_id.clone()),
    };
    let base = match fault {
        Some(Fault::Expired) => now.saturating_sub(Duration::from_secs(3600)),
        _ => now,
    };
    let not_before = base.saturating_sub(Duration::from_secs(300));
    let not_after = base.saturating_add(Duration::from_secs(300));
    let (response_id, assertion_id) = (random_id()?, random_id()?);
    let irt = request
        .map(|r| format!(" InResponseTo=\"{}\"", esc(&r.id)))
        .unwrap_or_default();
    let issuer = esc(idp.issuer());
    let mut x = format!(
        "<saml2p:Response xmlns:saml2p=\"{SAMLP}\" Destination=\"{}\" ID=\"{response_id}\"{irt} IssueInstant=\"{}\" Version=\"2.0\"><saml2:Issuer xmlns:saml2=\"{SAML}\" Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">{issuer}</saml2:Issuer>",
        esc(&acs),
        instant(base),
    );
    if fault == Some(Fault::StatusFailure) {
        x.push_str("<saml2p:Status><saml2p:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Responder\"/><saml2p:StatusMessage>The test IdP refused this login (Fault::StatusFailure)</saml2p:StatusMessage></saml2p:Status></saml2p:Response>");
        return sign(idp, &x, &response_id, &format!("{issuer}</saml2:Issuer>"));
    }
    let email = esc(&user.email);
    let _ = write!(
        x,
        "<saml2p:Status><saml2p:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></saml2p:Status><saml2:Assertion xmlns:saml2=\"{SAML}\" ID=\"{assertion_id}\" IssueInstant=\"{}\" Version=\"2.0\"><saml2:Issuer Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">{issuer}</saml2:Issuer><saml2:Subject><saml2:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">{email}</saml2:NameID><saml2:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"><saml2:SubjectConfirmationData{irt} NotOnOrAfter=\"{}\" Recipient=\"{}\"/></saml2:SubjectConfirmation></saml2:Subject><saml2:Conditions NotBefore=\"{}\" NotOnOrAfter=\"{}\"><saml2:AudienceRestriction><saml2:Audience>{}</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions><saml2:AuthnStatement AuthnInstant=\"{}\" SessionIndex=\"{assertion_id}\"><saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement><saml2:AttributeStatement>",
        instant(base),
        instant(not_after),
        esc(&acs),
        instant(not_before),
        instant(not_after),
        esc(&audience),
        instant(base),
    );
    x.push_str(&attribute("email", std::slice::from_ref(&user.email)));
    x.push_str(&attribute(
        "firstName",
        std::slice::from_ref(&user.first_name),
    ));
    x.push_str(&attribute(
        "lastName",
        std::slice::from_ref(&user.last_name),
    ));
    for (name, values) in &user.attributes {
        x.push_str(&attribute(name, values));
    }
    x.push_str("</saml2:AttributeStatement></saml2:Assertion></saml2p:Response>");
    if fault == Some(Fault::Unsigned) {
        return Ok(x);
    }
    let assertion_issuer_end = format!(
        "<saml2:Issuer Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">{issuer}</saml2:Issuer>"
    );
    let x = sign(idp, &x, &assertion_id, &assertion_issuer_end)?;
    // The Response's Issuer comes first in the document.
    sign(idp, &x, &response_id, &format!("{issuer}</saml2:Issuer>"))
}
