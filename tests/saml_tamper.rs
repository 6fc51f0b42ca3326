//! Tampering with every valid vector, with the canonical form as oracle.
//!
//! For each valid vector (legacy ones with the opt-in) we generate mutations of the raw XML:
//! elements removed, duplicated or swapped with their next sibling; attributes added, removed or
//! changed; text changed; whitespace added between elements; and syntactic changes that XML
//! canonicalization erases (quote style, whitespace inside tags, an unused namespace declaration).
//!
//! The oracle is the canonical form of every signed element (minus its own signature), of each
//! SignedInfo, and the decoded SignatureValue, computed on the original and on the mutated document:
//! - if any of them changed for an element that is still signed, validation must fail;
//! - a canonicalization-erased mutation that leaves them unchanged must validate, with the same claims;
//! - any other mutation that validates must yield exactly the original claims (unsigned content
//!   never changes what a login sees).

mod common;

use common::mutate::{mutations, Kind};
use common::{all_vectors, block_on, Vector};
use sso_scim::xml::{canonicalize, C14nMethod, Document, Element, Limits, Node};
use sso_scim::{MemoryReplayCache, RequestState, VerifiedAssertion};

const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// The oracle: for the Response and the Assertion, `None` when unsigned, else the canonical bytes of
/// the part (minus its signature), of its SignedInfo, and the signature value. The whole result is
/// `None` when the structure they depend on is gone (no single Assertion, repeated signatures, ...).
type PartState = Option<Vec<Vec<u8>>>;

fn signed_state(xml: &str) -> Option<Vec<PartState>> {
    let doc = Document::parse(xml.as_bytes(), &Limits::default()).ok()?;
    let root = doc.root();
    let assertions: Vec<Element<'_>> = doc.elements().filter(|e| e.is(SAML, "Assertion")).collect();
    let mut parts = vec![root];
    if let [a] = assertions.as_slice() {
        parts.push(*a);
    } else {
        return None;
    }
    let mut state = Vec::new();
    for part in parts {
        let sigs: Vec<Element<'_>> = part.children_named(DSIG, "Signature").collect();
        let sig = match sigs.as_slice() {
            [] => {
                state.push(None);
                continue;
            }
            [s] => *s,
            _ => return None,
        };
        let si = sig.children_named(DSIG, "SignedInfo").next()?;
        let transform = si
            .descendants()
            .filter(|e| e.is(DSIG, "Transform"))
            .nth(1)?;
        let method = c14n_of(transform)?;
        let cm = c14n_of(si.children_named(DSIG, "CanonicalizationMethod").next()?)?;
        let mut bytes = Vec::new();
        canonicalize(&doc, part.id(), &method, Some(sig.id()), &mut bytes).ok()?;
        let mut si_bytes = Vec::new();
        canonicalize(&doc, si.id(), &cm, None, &mut si_bytes).ok()?;
        let sv = sig
            .children_named(DSIG, "SignatureValue")
            .next()?
            .text()
            .ok()?;
        state.push(Some(vec![
            bytes,
            si_bytes,
            sv.split_whitespace().collect::<String>().into_bytes(),
        ]));
    }
    Some(state)
}

fn c14n_of(e: Element<'_>) -> Option<C14nMethod> {
    match e.attribute("Algorithm")? {
        "http://www.w3.org/2001/10/xml-exc-c14n#" => {
            let list = e
                .children()
                .find_map(|n| match n {
                    Node::Element(inc) => inc.attribute("PrefixList"),
                    _ => None,
                })
                .unwrap_or("");
            Some(C14nMethod::exclusive_with_prefix_list(list))
        }
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315" => Some(C14nMethod::Inclusive10),
        "http://www.w3.org/2006/12/xml-c14n11" => Some(C14nMethod::Inclusive11),
        _ => None,
    }
}

/// Everything a VerifiedAssertion says about the user and the login.
fn claims(a: &VerifiedAssertion) -> String {
    format!(
        "{:?} {:?}",
        (
            a.issuer(),
            a.assertion_id(),
            a.name_id(),
            a.name_id_format(),
            a.email(),
            a.first_name(),
            a.last_name(),
        ),
        (
            a.attributes(),
            a.session_index(),
            a.session_not_on_or_after(),
            a.authn_instant(),
            a.in_response_to(),
            a.remember_until(),
        )
    )
}

fn validate(v: &Vector, legacy: bool, xml: &str) -> Result<VerifiedAssertion, String> {
    let ids = v.request_ids();
    let pending = v
        .validator(legacy)
        .validate_xml(xml.as_bytes(), &RequestState::outstanding(&ids), v.now())
        .map_err(|e| format!("{}: {e}", e.code()))?;
    block_on(pending.consume(&MemoryReplayCache::new())).map_err(|e| e.to_string())
}

#[test]
fn tampering_with_signed_content_always_fails() {
    let mut seen = std::collections::HashSet::new();
    let (mut total, mut must_fail, mut benign_pass, mut other_pass) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for v in all_vectors() {
        let legacy = v.needs.is_some();
        let expect = if legacy {
            v.expect_with_legacy.clone().unwrap_or_default()
        } else {
            v.expect.clone()
        };
        if expect != "valid" || v.encoding.is_some() {
            continue;
        }
        let src = String::from_utf8(v.bytes()).expect("utf-8 vector");
        let src = src.trim_start_matches('\u{feff}').to_owned();
        if !seen.insert(src.clone()) {
            continue;
        }
        let original = validate(&v, legacy, &src).expect("valid vector validates");
        let base = signed_state(&src).expect("oracle reads the original");
        for m in mutations(&src) {
            total += 1;
            // Changed: a part that is signed in the mutated document differs from the original
            // part (a part whose signature was removed is judged by the claims check instead).
            let changed = signed_state(&m.xml).is_none_or(|s| {
                s.iter()
                    .zip(&base)
                    .any(|(now, before)| now.is_some() && now != before)
            });
            let result = validate(&v, legacy, &m.xml);
            match (&result, changed, m.kind) {
                (Ok(_), true, _) => failures.push(format!(
                    "{}: {} changed signed content but validated",
                    v.file, m.what
                )),
                (Err(_), true, _) => must_fail += 1,
                (Err(e), false, Kind::Benign) => failures.push(format!(
                    "{}: {} leaves the canonical form unchanged but failed: {e}",
                    v.file, m.what
                )),
                (Ok(a), false, kind) => {
                    // The claims must be the original's; which signatures were verified may
                    // differ (removing the Response signature of a both-signed response leaves
                    // the Assertion's, and that is reported).
                    let signed_subset = !a.verified_signatures().is_empty()
                        && a.verified_signatures()
                            .iter()
                            .all(|p| original.verified_signatures().contains(p));
                    if claims(a) != claims(&original) {
                        failures.push(format!(
                            "{}: {} validated with different claims",
                            v.file, m.what
                        ));
                    } else if !signed_subset {
                        failures.push(format!(
                            "{}: {} reports signatures the original did not have",
                            v.file, m.what
                        ));
                    } else if kind == Kind::Benign {
                        benign_pass += 1;
                    } else {
                        other_pass += 1;
                    }
                }
                (Err(_), false, Kind::Content) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} mutations misbehave:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        must_fail > 1000 && benign_pass > 500,
        "too few mutations exercised: {must_fail} / {benign_pass}"
    );
    eprintln!("{total} mutations: {must_fail} changed signed content and failed, {benign_pass} erased by c14n and passed, {other_pass} outside signed content passed with identical claims");
}
