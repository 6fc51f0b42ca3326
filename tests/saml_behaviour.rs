//! Validator behaviour beyond the manifest's single verdicts: request state, clock skew, the form
//! encoding, email matching, key rollover, replay under concurrency, limits and hints.

mod common;

use std::time::Duration;

use common::{block_on, manifest, vectors_dir, Vector};
use sso_scim::{
    AssertionValidator, MemoryReplayCache, RequestState, SamlError, SsoConfig, Timestamp,
};

fn vector(name: &str) -> Vector {
    manifest()
        .vectors
        .into_iter()
        .find(|v| v.file.ends_with(name))
        .unwrap()
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(vectors_dir().join(rel)).unwrap()
}

fn code(r: Result<sso_scim::PendingLogin, SamlError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn request_state_rules() {
    let v = vector("generated/valid-with-inresponseto.xml");
    let xml = v.bytes();
    let irt = v.in_response_to.clone().unwrap();
    let strict = AssertionValidator::new(
        v.config(false)
            .edit()
            .allow_idp_initiated(false)
            .build()
            .unwrap(),
    );
    let lenient = AssertionValidator::new(
        v.config(false)
            .edit()
            .allow_idp_initiated(true)
            .build()
            .unwrap(),
    );
    let now = v.now();
    let none: [&str; 0] = [];
    // Caller misuse is not blamed on the IdP.
    assert_eq!(
        code(strict.validate_xml(&xml, &RequestState::stateless(), now)),
        "request_state"
    );
    assert_eq!(
        code(strict.validate_xml(&xml, &RequestState::outstanding(&[irt.as_str()]), now)),
        "ok"
    );
    assert_eq!(
        code(strict.validate_xml(
            &xml,
            &RequestState::outstanding(&["_other", irt.as_str()]),
            now
        )),
        "ok"
    );
    assert_eq!(
        code(strict.validate_xml(&xml, &RequestState::outstanding(&none), now)),
        "in_response_to"
    );
    assert_eq!(
        code(lenient.validate_xml(&xml, &RequestState::outstanding(&["_other"]), now)),
        "in_response_to"
    );
    // Stateless + IdP-initiated allowed: not judged, but reported.
    let p = lenient
        .validate_xml(&xml, &RequestState::stateless(), now)
        .unwrap();
    let a = block_on(p.consume(&MemoryReplayCache::new())).unwrap();
    assert_eq!(a.in_response_to(), Some(irt.as_str()));

    // An unsolicited response needs allow_idp_initiated.
    let u = vector("generated/valid-both-signed.xml");
    let unsolicited = u.bytes();
    assert_eq!(
        code(strict.validate_xml(
            &unsolicited,
            &RequestState::outstanding(&[irt.as_str()]),
            now
        )),
        "in_response_to"
    );
    let p = lenient
        .validate_xml(
            &unsolicited,
            &RequestState::outstanding(&[irt.as_str()]),
            now,
        )
        .unwrap();
    assert_eq!(
        block_on(p.consume(&MemoryReplayCache::new()))
            .unwrap()
            .in_response_to(),
        None
    );
}

#[test]
fn clock_skew_is_applied_on_both_edges() {
    let v = vector("generated/valid-both-signed.xml");
    let xml = v.bytes();
    let validator = v.validator(false);
    let none: [&str; 0] = [];
    let req = RequestState::outstanding(&none);
    // Conditions: 09:55:00.123 .. 10:05:00.123; SubjectConfirmationData until 10:05:00.123; skew 180 s.
    let t = |s: &str| Timestamp::parse(s).unwrap();
    assert_eq!(
        code(validator.validate_xml(&xml, &req, t("2026-01-15T09:52:00.123Z"))),
        "ok"
    );
    assert_eq!(
        code(validator.validate_xml(&xml, &req, t("2026-01-15T09:52:00.122Z"))),
        "time"
    );
    assert_eq!(
        code(validator.validate_xml(&xml, &req, t("2026-01-15T10:08:00.122Z"))),
        "ok"
    );
    assert_eq!(
        code(validator.validate_xml(&xml, &req, t("2026-01-15T10:08:00.123Z"))),
        "time"
    );
    let tight = AssertionValidator::new(
        v.config(false)
            .edit()
            .clock_skew(Duration::ZERO)
            .build()
            .unwrap(),
    );
    assert_eq!(
        code(tight.validate_xml(&xml, &req, t("2026-01-15T10:05:00.122Z"))),
        "ok"
    );
    assert_eq!(
        code(tight.validate_xml(&xml, &req, t("2026-01-15T10:05:00.123Z"))),
        "time"
    );
    // The replay memory lasts until the latest NotOnOrAfter plus the skew.
    let p = validator.validate_xml(&xml, &req, v.now()).unwrap();
    assert_eq!(p.remember_until(), t("2026-01-15T10:08:00.123Z"));
}

#[test]
fn form_value_encoding() {
    let v = vector("generated/valid-both-signed.b64");
    let validator = v.validator(false);
    let none: [&str; 0] = [];
    let req = RequestState::outstanding(&none);
    let b64 = String::from_utf8(v.bytes()).unwrap();
    let compact: String = b64.split_whitespace().collect();
    let wrapped: String = compact
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n");
    for form in [&b64, &compact, &wrapped, &format!("  {wrapped}\n")] {
        assert_eq!(code(validator.validate(form, &req, v.now())), "ok");
    }
    // Raw XML is not the form value; DEFLATE is the Redirect binding; URL-encoding must be undone.
    let xml = read("generated/valid-both-signed.xml");
    assert_eq!(code(validator.validate(&xml, &req, v.now())), "encoding");
    assert_eq!(
        code(validator.validate(compact.replace('+', "%2B"), &req, v.now())),
        "encoding"
    );
    assert_eq!(
        code(validator.validate(
            read("generated/valid-both-signed.deflate.b64"),
            &req,
            v.now()
        )),
        "encoding"
    );
    assert_eq!(code(validator.validate("", &req, v.now())), "encoding");
    assert_eq!(
        code(validator.validate(&compact[..compact.len() - 3], &req, v.now())),
        "encoding"
    );
}

#[test]
fn email_attribute_is_case_insensitive_and_required_by_default() {
    // exampleBase64_2.xml carries `Email`; the default configured name is `email`.
    let v = vector("external/gosaml2/exampleBase64_2.xml");
    let c = v
        .config(false)
        .edit()
        .email_attribute("email")
        .build()
        .unwrap();
    let ids = v.request_ids();
    let p = AssertionValidator::new(c)
        .validate_xml(&v.bytes(), &RequestState::outstanding(&ids), v.now())
        .unwrap();
    let a = block_on(p.consume(&MemoryReplayCache::new())).unwrap();
    assert_eq!(a.email(), Some("phoebe.simon@scaleft.com"));
    assert_eq!(a.email_domain().as_deref(), Some("scaleft.com"));

    // okta_response.xml has no email attribute at all.
    let v = vector("external/gosaml2/okta_response.xml");
    let ids = v.request_ids();
    let required =
        AssertionValidator::new(v.config(false).edit().require_email(true).build().unwrap());
    let e = required
        .validate_xml(&v.bytes(), &RequestState::outstanding(&ids), v.now())
        .unwrap_err();
    assert_eq!(e.code(), "missing_email");
    assert!(e.hint().contains("user.email"), "{}", e.hint());
    // First and last names come from their (case-insensitive) attributes.
    let v = vector("external/gosaml2/exampleBase64_2.xml");
    let ids = v.request_ids();
    let c = v
        .config(false)
        .edit()
        .first_name_attribute("firstname")
        .last_name_attribute("LASTNAME")
        .build()
        .unwrap();
    let p = AssertionValidator::new(c)
        .validate_xml(&v.bytes(), &RequestState::outstanding(&ids), v.now())
        .unwrap();
    let a = block_on(p.consume(&MemoryReplayCache::new())).unwrap();
    assert_eq!(
        (a.first_name(), a.last_name()),
        (Some("Phoebe"), Some("Simon"))
    );
}

#[test]
fn key_rollover_and_pinned_keys() {
    let v = vector("generated/wrong-key.xml");
    let none: [&str; 0] = [];
    let attacker = read("generated/attacker-cert.pem");
    // Only the configured key counts: with the attacker's certificate configured as well, the
    // document verifies (that is what rollover means); with only the IdP's it never does.
    let both = AssertionValidator::new(
        v.config(false)
            .edit()
            .idp_certificate(&attacker)
            .build()
            .unwrap(),
    );
    assert_eq!(
        code(both.validate_xml(&v.bytes(), &RequestState::outstanding(&none), v.now())),
        "ok"
    );
    assert_eq!(
        code(v.validator(false).validate_xml(
            &v.bytes(),
            &RequestState::outstanding(&none),
            v.now()
        )),
        "signature"
    );
    let good = vector("generated/valid-both-signed.xml");
    assert_eq!(
        code(both.validate_xml(&good.bytes(), &RequestState::outstanding(&none), v.now())),
        "ok"
    );
}

#[test]
fn replay_is_refused_under_concurrency() {
    let v = vector("generated/valid-both-signed.xml");
    let validator = v.validator(false);
    let cache = std::sync::Arc::new(MemoryReplayCache::new());
    let xml = v.bytes();
    let pendings: Vec<_> = (0..32)
        .map(|_| {
            let none: [&str; 0] = [];
            validator
                .validate_xml(&xml, &RequestState::outstanding(&none), v.now())
                .unwrap()
        })
        .collect();
    let handles: Vec<_> = pendings
        .into_iter()
        .map(|p| {
            let cache = cache.clone();
            std::thread::spawn(move || {
                block_on(p.consume(&*cache))
                    .map(|a| a.assertion_id().to_owned())
                    .map_err(|e| e.code())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|c| *c == "replay"));
    assert_eq!(cache.len(), 1);
}

#[test]
fn oversized_and_deep_documents_are_refused_early() {
    let v = vector("generated/valid-both-signed.xml");
    let small = AssertionValidator::new(
        v.config(false)
            .edit()
            .max_response_bytes(4096)
            .build()
            .unwrap(),
    );
    let none: [&str; 0] = [];
    let req = RequestState::outstanding(&none);
    assert_eq!(
        code(small.validate_xml(&v.bytes(), &req, v.now())),
        "limit_exceeded"
    );
    let b64 = String::from_utf8(read("generated/valid-both-signed.b64")).unwrap();
    assert_eq!(code(small.validate(&b64, &req, v.now())), "encoding");
    let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
    assert_eq!(
        code(
            v.validator(false)
                .validate_xml(deep.as_bytes(), &req, v.now())
        ),
        "limit_exceeded"
    );
    let wide = format!("<r>{}</r>", "<a/>".repeat(30_000));
    assert_eq!(
        code(
            v.validator(false)
                .validate_xml(wide.as_bytes(), &req, v.now())
        ),
        "limit_exceeded"
    );
}

#[test]
fn a_user_in_a_thousand_groups_validates_with_the_defaults() {
    // 256 KiB response signed by the xmlsec1 CLI (benches/data/generate_large.py): 1 343 group
    // values, each declaring xs and xsi the way Okta does, so 2 686 namespace declarations.
    let v = vector("generated/valid-both-signed.xml");
    let form = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/large-256k.b64"),
    )
    .unwrap();
    let none: [&str; 0] = [];
    let ok = v
        .validator(false)
        .validate(&form, &RequestState::outstanding(&none), v.now())
        .unwrap()
        .consume_now(&MemoryReplayCache::new())
        .unwrap();
    let groups = ok.attribute("groups").unwrap();
    assert_eq!(groups.len(), 1_343);
    assert_eq!(groups.get(1_342), Some("group-01342-engineering"));
    assert_eq!(ok.email(), v.email.as_deref());
    assert!(v.email.is_some());
}

#[test]
fn every_error_code_has_a_specific_hint() {
    let generic = "See the error message.";
    let mut seen = std::collections::BTreeSet::new();
    for v in manifest().vectors {
        let ids = v.request_ids();
        let b = v.bytes();
        let validator = v.validator(false);
        let r = if v.encoding.is_some() {
            validator.validate(&b, &RequestState::outstanding(&ids), v.now())
        } else {
            validator.validate_xml(&b, &RequestState::outstanding(&ids), v.now())
        };
        if let Err(e) = r {
            assert_ne!(e.hint(), generic, "{}", e.code());
            assert!(!e.to_string().is_empty());
            seen.insert(e.code());
        }
    }
    assert!(seen.len() >= 12, "{seen:?}");
    let aud = vector("generated/wrong-audience.xml");
    let e = aud
        .validator(false)
        .validate_xml(
            &aud.bytes(),
            &RequestState::outstanding(&aud.request_ids()),
            aud.now(),
        )
        .unwrap_err();
    assert!(e.hint().contains("Audience URI (SP Entity ID)"));
    assert!(
        e.to_string()
            .contains("https://other-sp.example.com/saml/metadata")
            && e.to_string()
                .contains("https://sp.example.com/saml/metadata")
    );
}

#[test]
fn a_config_for_another_organization_refuses_the_response() {
    // Same IdP key, but this organization's Okta app has another issuer and entity id.
    let v = vector("generated/valid-both-signed.xml");
    let other = SsoConfig::builder()
        .idp_certificate(read("generated/idp-cert.pem"))
        .idp_sso_url("https://dev-123.okta.com/sso")
        .idp_issuer("http://www.okta.com/exkOTHER")
        .sp_entity_id("https://sp.example.com/saml/metadata/org-2")
        .acs_url("https://sp.example.com/saml/acs/org-2")
        .allow_idp_initiated(true)
        .build()
        .unwrap();
    let none: [&str; 0] = [];
    let e = AssertionValidator::new(other)
        .validate_xml(&v.bytes(), &RequestState::outstanding(&none), v.now())
        .unwrap_err();
    assert_eq!(e.code(), "issuer");
}
