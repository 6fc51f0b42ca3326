//! Every vector of tests/vectors/manifest.json gets the outcome the manifest lists: real Okta
//! responses, attack fixtures from other SAML libraries, and Okta-shaped responses signed by the
//! xmlsec1 CLI. No file name is hard-coded here.

mod common;

use common::{all_vectors, block_on, extra_manifest, manifest, Manifest, Vector};
use sso_scim::{MemoryReplayCache, RequestState, ResponseOverview, SamlError};

fn run(v: &Vector, legacy: bool) -> Result<sso_scim::VerifiedAssertion, SamlError> {
    let validator = v.validator(legacy);
    let ids = v.request_ids();
    let requests = RequestState::outstanding(&ids);
    let bytes = v.bytes();
    let pending = match v.encoding.as_deref() {
        Some(_) => validator.validate(&bytes, &requests, v.now()),
        None => validator.validate_xml(&bytes, &requests, v.now()),
    }?;
    let cache = MemoryReplayCache::new();
    Ok(block_on(pending.consume(&cache)).expect("fresh cache consumes once"))
}

fn check(v: &Vector, expect: &str, legacy: bool, failures: &mut Vec<String>) {
    let label = format!("{} (legacy opt-in: {legacy})", v.file);
    match (expect, run(v, legacy)) {
        ("valid", Ok(a)) => {
            if let Some(n) = &v.name_id {
                if a.name_id() != n {
                    failures.push(format!("{label}: name_id {:?} != {n:?}", a.name_id()));
                }
            }
            if a.email() != v.email.as_deref() {
                failures.push(format!("{label}: email {:?} != {:?}", a.email(), v.email));
            }
            if let Some(attrs) = &v.attributes {
                if a.attributes() != attrs {
                    failures.push(format!(
                        "{label}: attributes {:?} != {attrs:?}",
                        a.attributes()
                    ));
                }
            }
        }
        ("valid", Err(e)) => {
            failures.push(format!("{label}: expected valid, got {} ({e})", e.code()))
        }
        ("invalid", Ok(_)) => failures.push(format!(
            "{label}: expected invalid ({:?}), but it validated",
            v.reject
        )),
        ("invalid", Err(e)) => {
            let reject = &v.reject;
            if !reject.iter().any(|r| r == e.code()) {
                failures.push(format!(
                    "{label}: rejected with {} ({e}), expected one of {reject:?}",
                    e.code()
                ));
            }
        }
        (other, _) => failures.push(format!("{label}: unknown expectation {other}")),
    }
}

fn check_manifest(m: &Manifest, min: usize) {
    assert!(
        m.vectors.len() >= min,
        "manifest has {} vectors",
        m.vectors.len()
    );
    let mut failures = Vec::new();
    let (mut valid, mut invalid, mut legacy) = (0, 0, 0);
    for v in &m.vectors {
        for r in &v.reject {
            assert!(
                m.reject_checks.contains_key(r),
                "{}: unknown reject check {r}",
                v.file
            );
        }
        check(v, &v.expect, false, &mut failures);
        if v.expect == "valid" {
            valid += 1;
        } else {
            invalid += 1;
        }
        if v.needs.as_deref() == Some("legacy-sha1") {
            legacy += 1;
            let with = v
                .expect_with_legacy
                .as_deref()
                .expect("legacy entries say expect_with_legacy");
            check(v, with, true, &mut failures);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors misbehave:\n{}",
        failures.len(),
        m.vectors.len(),
        failures.join("\n")
    );
    eprintln!("{valid} valid, {invalid} invalid ({legacy} legacy re-checked with the opt-in)");
}

#[test]
fn every_manifest_vector_has_its_listed_outcome() {
    check_manifest(&manifest(), 36);
}

#[test]
fn every_extra_vector_has_its_listed_outcome() {
    check_manifest(&extra_manifest(), 30);
}

#[test]
fn valid_vectors_stay_valid_with_the_legacy_opt_in() {
    // The opt-in widens what is accepted; it must not change a strict verdict of "valid".
    for v in all_vectors().iter().filter(|v| v.expect == "valid") {
        let mut failures = Vec::new();
        check(v, "valid", true, &mut failures);
        assert!(failures.is_empty(), "{failures:?}");
    }
}

#[test]
fn encoded_vectors_decode_to_their_xml() {
    for v in manifest()
        .vectors
        .iter()
        .filter(|v| v.encoding.as_deref() == Some("base64"))
    {
        let target = v.decodes_to.as_ref().expect("decodes_to");
        let xml = std::fs::read(common::vectors_dir().join(target)).unwrap();
        let from_b64 = ResponseOverview::from_form_value(v.bytes()).unwrap();
        let from_xml = ResponseOverview::from_xml(&xml).unwrap();
        assert_eq!(from_b64, from_xml, "{}", v.file);
    }
}

#[test]
fn rejected_vectors_still_parse_their_full_text() {
    // VU#475445: comments and odd nodes must never truncate what is read.
    for v in manifest()
        .vectors
        .iter()
        .filter(|v| v.parse_expect.is_some())
    {
        let expect = v.parse_expect.as_ref().unwrap();
        let o = ResponseOverview::from_xml(&v.bytes()).unwrap();
        let a = o.assertion.expect("an assertion");
        if let Some(n) = expect.get("name_id").and_then(|n| n.as_str()) {
            assert_eq!(a.name_id.as_deref(), Some(n), "{}", v.file);
        }
        if let Some(attrs) = expect.get("attributes").and_then(|a| a.as_object()) {
            for (k, vals) in attrs {
                let want: Vec<String> = serde_json::from_value(vals.clone()).unwrap();
                assert_eq!(a.attributes.get(k), Some(&want), "{}: {k}", v.file);
            }
        }
    }
}

#[test]
fn vector_files_are_byte_exact_copies() {
    use std::fmt::Write;
    for v in all_vectors() {
        let Some(want) = &v.sha256 else { continue };
        let d = ring::digest::digest(&ring::digest::SHA256, &v.bytes());
        let got = d.as_ref().iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        assert_eq!(&got, want, "{} changed (line endings?)", v.file);
    }
}
