//! The second opinion (feature `xmlsec`): libxmlsec1 verifies the same Signature element with the
//! pinned key only, over its own parse of the same document. Claims never come from it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use libxml::parser::{Parser, ParserOptions};
use libxml::tree::Node;
use xmlsec::{XmlSecDocumentExt, XmlSecKey, XmlSecKeyFormat, XmlSecSignatureContext};

use super::DSIG_NS;
use crate::error::SignedPart;
const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// libxml2 and libxmlsec1 keep global state; one check at a time.
static LOCK: Mutex<()> = Mutex::new(());

fn is(node: &Node, ns: &str, local: &str) -> bool {
    node.get_name() == local && node.get_namespace().is_some_and(|n| n.get_href() == ns)
}

fn only_child(parent: &Node, ns: &str, local: &str) -> Result<Node, String> {
    let mut found: Vec<Node> = parent
        .get_child_elements()
        .into_iter()
        .filter(|c| is(c, ns, local))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(format!("{n} {local} elements where one was expected")),
    }
}

/// Does libxmlsec1 accept the Signature of `part` (the one that is a direct child of the Response,
/// or of its Assertion) with one of the PEM certificates `certificates_pem`? IDs are registered explicitly on the Response
/// and its Assertion children; KeyInfo is never used (the key is set on the context).
pub fn libxmlsec_verifies(
    xml: &[u8],
    part: SignedPart,
    certificates_pem: &[String],
) -> Result<bool, String> {
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    catch_unwind(AssertUnwindSafe(|| verify(xml, part, certificates_pem)))
        .unwrap_or_else(|_| Err("the libxmlsec1 wrapper panicked".into()))
}

fn verify(xml: &[u8], part: SignedPart, certificates_pem: &[String]) -> Result<bool, String> {
    let options = ParserOptions {
        recover: false,
        no_net: true,
        no_error: true,
        no_warning: true,
        ..ParserOptions::default()
    };
    let doc = Parser::default()
        .parse_string_with_options(xml, options)
        .map_err(|e| format!("libxml2 refused the document: {e:?}"))?;
    let root = doc.get_root_element().ok_or("no root element")?;
    if !is(&root, SAMLP, "Response") {
        return Err("the root is not a samlp:Response".into());
    }
    doc.specify_idattr(
        "/samlp:Response | /samlp:Response/saml:Assertion",
        "ID",
        Some(&[("samlp", SAMLP), ("saml", SAML)]),
    )
    .map_err(|e| e.to_string())?;
    let target = match part {
        SignedPart::Response => root,
        SignedPart::Assertion => only_child(&root, SAML, "Assertion")?,
    };
    let signature = only_child(&target, DSIG_NS, "Signature")?;
    for pem in certificates_pem {
        let key = XmlSecKey::from_memory(pem.as_bytes(), XmlSecKeyFormat::CertPem, None)
            .map_err(|e| e.to_string())?;
        let mut ctx = XmlSecSignatureContext::new();
        ctx.insert_key(key);
        if let Ok(true) = ctx.verify_node(&signature) {
            return Ok(true);
        }
    }
    Ok(false)
}
