//! Differential test against libxmlsec1 (feature `xmlsec`; `.ci/run` enables it).
//!
//! Every vector and thousands of mutated documents (elements removed, duplicated or moved,
//! attributes and text changed, bytes flipped, namespace prefixes renamed, whitespace added) go
//! through our validator, whose signature checks run libxmlsec1 as a second opinion, and through
//! libxmlsec1 alone, on the signature that is a direct child of the Response and of its
//! Assertion:
//! - whenever we accept, libxmlsec1 accepts that same Signature (a disagreement is a failure);
//! - every document whose signatures libxmlsec1 accepts and we refuse is explained by a named
//!   rule of our profile or of SAML (SHA-1, multiple assertions, ...): counted and reported. A
//!   refusal because the digest or the RSA signature does not verify, where libxmlsec1 verifies
//!   both, would be a canonicalization or crypto disagreement: a failure.

mod common;

#[cfg(not(feature = "xmlsec"))]
#[test]
fn differential_against_libxmlsec1() {
    common::skipped(
        "differential_against_libxmlsec1",
        "build with --features xmlsec (needs libxmlsec1-dev and libclang-dev); .ci/run does",
    );
}

#[cfg(feature = "xmlsec")]
#[test]
fn differential_against_libxmlsec1() {
    use std::collections::BTreeMap;

    use common::mutate::{mutations, noisy_mutations};
    use common::{all_vectors, Vector};
    use sso_scim::xml::{Document, Limits};
    use sso_scim::{libxmlsec_verifies, RequestState, SamlError, SignatureError, SignedPart};

    const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
    const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

    /// Which of the two signature positions hold a ds:Signature (our parser; libxml2 may see
    /// more or less, which the verdicts then reflect).
    fn positions(xml: &str) -> Vec<SignedPart> {
        let Ok(doc) = Document::parse(xml.as_bytes(), &Limits::default()) else {
            // Not parseable by us (e.g. a DOCTYPE): ask libxmlsec1 about both positions.
            return vec![SignedPart::Response, SignedPart::Assertion];
        };
        let root = doc.root();
        let mut parts = Vec::new();
        if root.children_named(DSIG, "Signature").next().is_some() {
            parts.push(SignedPart::Response);
        }
        if root
            .children_named(SAML, "Assertion")
            .any(|a| a.children_named(DSIG, "Signature").next().is_some())
        {
            parts.push(SignedPart::Assertion);
        }
        parts
    }

    fn named_rule(e: &SamlError) -> Option<String> {
        let allowed = [
            "legacy_algorithm",
            "multiple_assertions",
            "duplicate_id",
            "missing_assertion",
            "encrypted_assertion",
            "doctype",
            "malformed_xml",
            "limit_exceeded",
            "not_a_response",
            "missing_element",
            "malformed_saml",
            "issuer",
            "audience",
            "destination",
            "recipient",
            "time",
            "status",
            "in_response_to",
            "subject_confirmation",
            "unknown_condition",
            "missing_name_id",
            "missing_email",
            "ambiguous_email",
            "invalid_email",
        ];
        match e {
            SamlError::Signature(s) => match s {
                SignatureError::Profile { reason, .. } => {
                    // Group by the rule, not by the ids or names quoted in the message.
                    let mut rule = String::new();
                    let mut quoted = false;
                    for c in reason.chars() {
                        match c {
                            '"' => {
                                quoted = !quoted;
                                if quoted {
                                    rule.push('…');
                                }
                            }
                            '<' if !quoted => quoted = true,
                            '>' if quoted => {
                                quoted = false;
                                rule.push('…');
                            }
                            c if !quoted => rule.push(c),
                            _ => {}
                        }
                    }
                    Some(format!(
                        "signature profile: {}",
                        rule.split(" (").next().unwrap_or(&rule)
                    ))
                }
                SignatureError::Misplaced { .. } => {
                    Some("signature outside the Response/Assertion positions".into())
                }
                SignatureError::Multiple { .. } => Some("several signatures on one element".into()),
                SignatureError::UnsupportedAlgorithm { .. } => {
                    Some("algorithm outside the profile".into())
                }
                SignatureError::LegacyAlgorithm { .. } | SignatureError::WeakKey { .. } => {
                    Some("legacy_algorithm (SHA-1 / short key)".into())
                }
                // DigestMismatch, BadSignature, CrossCheck, Unsigned: not a profile rule.
                _ => None,
            },
            other if allowed.contains(&other.code()) => Some(other.code().to_owned()),
            _ => None,
        }
    }

    let mut docs: Vec<(Vector, String, String)> = Vec::new();
    for v in all_vectors() {
        if v.encoding.is_some() {
            continue;
        }
        let src = String::from_utf8_lossy(&v.bytes())
            .trim_start_matches('\u{feff}')
            .to_owned();
        docs.push((v.clone(), "original".into(), src.clone()));
        let structural = mutations(&src);
        let step = (structural.len() / 120).max(1);
        for m in structural.into_iter().step_by(step) {
            docs.push((v.clone(), m.what, m.xml));
        }
        for (i, m) in noisy_mutations(&src, v.file.len() as u64 * 7919 + 17, 40)
            .into_iter()
            .enumerate()
        {
            docs.push((v.clone(), format!("{} #{i}", m.what), m.xml));
        }
    }

    let (mut both_accept, mut both_refuse, mut we_refuse) =
        (0usize, 0usize, BTreeMap::<String, usize>::new());
    let mut failures = Vec::new();
    for (v, what, xml) in &docs {
        let legacy = false;
        let ids = v.request_ids();
        let ours = v.validator(legacy).validate_xml(
            xml.as_bytes(),
            &RequestState::outstanding(&ids),
            v.now(),
        );
        let certs: Vec<String> = v
            .config(legacy)
            .idp_certificates()
            .iter()
            .map(|c| c.to_pem())
            .collect();
        let parts = positions(xml);
        let theirs: Vec<bool> = parts
            .iter()
            .map(|p| libxmlsec_verifies(xml.as_bytes(), *p, &certs).unwrap_or(false))
            .collect();
        let xmlsec_accepts_all = !parts.is_empty() && theirs.iter().all(|ok| *ok);
        match &ours {
            Ok(_) => {
                if !xmlsec_accepts_all {
                    failures.push(format!("{} / {what}: we accept, libxmlsec1 does not ({parts:?} -> {theirs:?})", v.file));
                } else {
                    both_accept += 1;
                }
            }
            Err(SamlError::Signature(SignatureError::CrossCheck { part, reason })) => {
                failures.push(format!("{} / {what}: our verifier accepted the {part} signature, libxmlsec1 refused it: {reason}", v.file));
            }
            Err(e) if xmlsec_accepts_all => match named_rule(e) {
                Some(rule) => *we_refuse.entry(rule).or_default() += 1,
                None => failures.push(format!("{} / {what}: libxmlsec1 verifies every signature, we refuse without a profile rule: {} ({e})", v.file, e.code())),
            },
            Err(_) => both_refuse += 1,
        }
    }
    eprintln!("libxmlsec1 differential over {} documents: both accept {both_accept}, both refuse {both_refuse}", docs.len());
    eprintln!("libxmlsec1 accepts every signature, we refuse by a named rule:");
    for (rule, n) in &we_refuse {
        eprintln!("  {n:6}  {rule}");
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(docs.len() >= 5000, "only {} documents", docs.len());
    assert!(
        both_accept >= 30,
        "too few accepted documents: {both_accept}"
    );
}
