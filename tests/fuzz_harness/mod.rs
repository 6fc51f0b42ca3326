//! The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs` and by
//! `tests/fuzz_corpus.rs`, which replays every committed corpus and crash file as a normal test.
//! Each function must never panic on any input; the assertions inside are properties that hold
//! for every input.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "encrypted-assertions")]
mod decrypt;
mod org;

use std::sync::OnceLock;

use sso_scim::xml::{
    canonicalize, canonicalize_document, canonicalize_into, C14nMethod, Document, Limits, Nested,
    NestedOutcome,
};
use sso_scim::{AssertionValidator, RequestState, SsoConfig, Timestamp};

#[cfg(feature = "encrypted-assertions")]
pub use decrypt::{decrypt, plaintext_outcome};
pub use org::{authn_request, domain_claim, idp_metadata};

/// The configuration the vectors were made for (IdP-initiated allowed).
fn config() -> SsoConfig {
    SsoConfig::builder()
        .idp_certificate(include_str!("../vectors/generated/idp-cert.pem"))
        .idp_sso_url("https://dev-123.okta.com/app/x/exkTEST/sso/saml")
        .idp_issuer("http://www.okta.com/exkTEST")
        .sp_entity_id("https://sp.example.com/saml/metadata")
        .acs_url("https://sp.example.com/saml/acs")
        .allow_idp_initiated(true)
        .build()
        .expect("fixed fuzz config builds")
}

fn validator() -> &'static AssertionValidator {
    static V: OnceLock<AssertionValidator> = OnceLock::new();
    V.get_or_init(|| AssertionValidator::new(config()))
}

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(1_768_471_230) // 2026-01-15T10:00:30Z, inside the vectors' window
}

/// Target `validate`: the posted form value (and the same bytes as raw XML) through the validator.
pub fn validate(data: &[u8]) {
    let v = validator();
    let ids = ["_4f1c2a9e-3b7d-4c1a-9e2f-6a8b0c1d2e3f"];
    for requests in [RequestState::stateless(), RequestState::outstanding(&ids)] {
        if let Err(e) = v.validate(data, &requests, now()) {
            assert!(!e.code().is_empty() && !e.hint().is_empty());
            let _ = e.to_string();
        }
        if let Err(e) = v.validate_xml(data, &requests, now()) {
            assert!(!e.code().is_empty() && !e.hint().is_empty());
        }
    }
}

/// Target `xml_tree`: the tree builder alone, then every accessor over the result.
pub fn xml_tree(data: &[u8]) {
    let limits = Limits::default();
    let Ok(doc) = Document::parse(data, &limits) else {
        return;
    };
    assert!(doc.node_count() <= limits.max_nodes);
    for e in doc.elements() {
        assert!(e.depth() <= limits.max_depth);
        let _ = e.text();
        let _ = e.qualified_name();
        for a in e.attributes() {
            assert!(!a.local_name.is_empty());
            // Prefixed attributes always resolve to a namespace.
            assert!(a.prefix.is_empty() || !a.namespace.is_empty());
        }
        for (p, uri) in e.namespace_declarations() {
            assert_eq!(
                e.lookup_namespace(p).unwrap_or(""),
                if p == "xml" {
                    sso_scim::xml::XML_NS
                } else {
                    uri
                }
            );
        }
        assert!(e.prefix().is_empty() || !e.namespace().is_empty());
        // Every name resolves to the declaration in scope, found here by an independent walk
        // up the tree (repeated start tags are not checked again in full: this holds them to
        // where they are), and no two attributes share an expanded name.
        assert_eq!(
            e.namespace(),
            e.lookup_namespace(e.prefix()).unwrap_or(""),
            "{}",
            e.qualified_name()
        );
        let mut names = Vec::new();
        for a in e.attributes() {
            let expected = match a.prefix {
                "" => None,
                p => e.lookup_namespace(p),
            };
            assert_eq!(a.namespace, expected.unwrap_or(""), "{}", a.qualified_name);
            names.push((a.namespace, a.local_name));
        }
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            count,
            "an expanded name twice on {}",
            e.qualified_name()
        );
        let _ = e.descendants().count();
    }
}

/// Target `c14n`: every method over the whole document and over subtrees. Canonical XML is
/// itself a document whose canonical form is unchanged (idempotence).
pub fn c14n(data: &[u8]) {
    let Ok(doc) = Document::parse(data, &Limits::default()) else {
        return;
    };
    let methods = [
        C14nMethod::Inclusive10,
        C14nMethod::Inclusive11,
        C14nMethod::exclusive(),
        C14nMethod::exclusive_with_prefix_list("#default xs saml"),
    ];
    for m in &methods {
        let mut out = Vec::new();
        if canonicalize_document(&doc, m, None, &mut out).is_err() {
            continue;
        }
        let again = Document::parse(&out, &Limits::default().with_max_bytes(out.len() + 1))
            .expect("canonical XML parses");
        let mut twice = Vec::new();
        canonicalize_document(&again, m, None, &mut twice).expect("canonical XML canonicalizes");
        assert_eq!(out, twice, "canonicalization is not idempotent");
        for e in doc.elements().take(64) {
            let mut sub = Vec::new();
            if canonicalize(&doc, e.id(), m, None, &mut sub).is_ok() {
                Document::parse(&sub, &Limits::default().with_max_bytes(sub.len() + 1))
                    .expect("a canonical subtree parses");
                let mut without = Vec::new();
                let first_child = e.child_elements().next().map(|c| c.id());
                let _ = canonicalize(&doc, e.id(), m, first_child, &mut without);
                nested_matches_alone(&doc, e, m, &sub);
            }
        }
    }
}

/// The one-pass canonicalization of an element and a nested one gives the same outer bytes as
/// canonicalizing the element alone, and, when it says the nested form is complete, exactly the
/// nested element's own canonical form (with its first child element excluded).
fn nested_matches_alone(
    doc: &Document,
    e: sso_scim::xml::Element<'_>,
    m: &C14nMethod,
    alone: &[u8],
) {
    for inner in e.descendants().take(8) {
        let exclude = inner.child_elements().next().map(|c| c.id());
        let (mut outer, mut nested) = (Vec::new(), Vec::new());
        let outcome = canonicalize_into(
            doc,
            Some(e.id()),
            m,
            None,
            &mut outer,
            Some(Nested {
                apex: inner.id(),
                exclude,
                sink: &mut nested,
            }),
        )
        .expect("canonicalizes as canonicalize did");
        assert_eq!(outer, alone, "the outer form changes with a nested one");
        if outcome == NestedOutcome::Complete {
            let mut own = Vec::new();
            canonicalize(doc, inner.id(), m, exclude, &mut own).expect("nested canonicalizes");
            assert_eq!(
                String::from_utf8_lossy(&nested),
                String::from_utf8_lossy(&own),
                "a complete nested form differs from the element's own"
            );
        }
    }
}

/// Target `scim_filter`: the filter and PATCH-path parsers, and the typed evaluation of what
/// parses against a user (with a group) and a group.
pub fn scim_filter(data: &[u8]) {
    use sso_scim::resource::{
        group_matches, parse_filter, parse_patch_path, user_matches, AccountId, Email, Enterprise,
        OrgId, ScimGroup, ScimUser,
    };
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let t = sso_scim::Timestamp::parse("2026-01-01T00:00:00Z").expect("instant");
    let user = ScimUser {
        id: "1".into(),
        org: OrgId::new("o").expect("org"),
        account: AccountId::new("a").expect("account"),
        user_name: "Alice@Example.com".into(),
        external_id: None,
        given_name: Some("Alice".into()),
        family_name: Some("Smith".into()),
        formatted_name: None,
        display_name: None,
        locale: None,
        emails: vec![
            Email {
                value: "a@work.com".into(),
                kind: Some("work".into()),
                primary: true,
            },
            Email {
                value: "a@home.com".into(),
                kind: None,
                primary: false,
            },
        ],
        active: true,
        enterprise: Enterprise {
            department: Some("R&D".into()),
            ..Enterprise::default()
        },
        created: t,
        last_modified: t,
        version: 1,
    };
    let group = ScimGroup {
        id: "g".into(),
        org: OrgId::new("o").expect("org"),
        display_name: "Engineering".into(),
        external_id: None,
        members: vec!["1".into()],
        created: t,
        last_modified: t,
        version: 1,
    };
    match parse_filter(text) {
        Ok(f) => {
            let groups = [("g".to_owned(), "Engineering".to_owned())];
            let _ = user_matches(&f, &user, &groups);
            let _ = group_matches(&f, &group);
        }
        Err(e) => assert_eq!(e.scim_type(), "invalidFilter"),
    }
    if let Err(e) = parse_patch_path(text) {
        assert_eq!(e.scim_type(), "invalidPath");
    }
}

/// Target `scim_patch`: arbitrary PATCH bodies against a provisioned user, through the service.
/// A successful PATCH always leaves a user that satisfies the required attributes.
pub fn scim_patch(data: &[u8]) {
    use sso_scim::{MemoryStore, OrgId, ScimRequest, ScimService};
    let service =
        ScimService::new(MemoryStore::new(), "https://sp.example.com/scim/v2").expect("base URL");
    let org = OrgId::new("fuzz").expect("org id");
    let run = async {
        service
            .claim_domain(&org, "example.com")
            .await
            .expect("claim");
        let token = service
            .import_token(&org, "fuzzing-token-0123456789", "", now())
            .await
            .expect("token");
        let _ = token;
        let auth = "Bearer fuzzing-token-0123456789";
        let headers = [("Authorization", auth)];
        let create = br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"pat@example.com","active":true,"name":{"givenName":"Pat","familyName":"Lee"},"emails":[{"value":"pat@example.com","type":"work"},{"value":"p2@example.com","type":"home"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D"}}"#;
        let created = service
            .handle(
                &ScimRequest::new("POST", "/scim/v2/Users")
                    .headers(&headers)
                    .body(create),
                now(),
            )
            .await;
        assert_eq!(created.status, 201);
        let id = created.json_body().expect("json")["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let path = format!("/scim/v2/Users/{id}");
        let patched = service
            .handle(
                &ScimRequest::new("PATCH", &path)
                    .headers(&headers)
                    .body(data),
                now(),
            )
            .await;
        assert!(
            patched.internal_error.is_none(),
            "{:?}",
            patched.internal_error
        );
        let body = patched.json_body().expect("every answer is JSON");
        if patched.status == 200 {
            for required in [
                "/userName",
                "/name/givenName",
                "/name/familyName",
                "/emails/0/value",
            ] {
                assert!(
                    body.pointer(required)
                        .and_then(|v| v.as_str())
                        .is_some_and(|s| !s.trim().is_empty()),
                    "{required} missing after PATCH: {body}"
                );
            }
        } else {
            assert!(body["scimType"].is_string());
            // A refused PATCH changed nothing.
            let after = service
                .handle(&ScimRequest::new("GET", &path).headers(&headers), now())
                .await;
            let before = created.json_body().expect("json");
            let after = after.json_body().expect("json");
            if after != serde_json::Value::Null {
                assert_eq!(after["meta"]["version"], before["meta"]["version"]);
            }
        }
    };
    block_on(run);
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// The email rule on any text: never panics, and what it accepts holds the rule's promises
/// (exactly one `@`, the text kept as given, a lowercase ASCII domain that parses again to
/// itself, no whitespace or forbidden character, within the length bounds).
pub fn email(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The allocation-free check and the full parse always agree.
    assert_eq!(
        sso_scim::EmailAddress::is_valid(text),
        sso_scim::EmailAddress::parse(text).is_ok(),
        "{text:?}"
    );
    let Ok(e) = sso_scim::EmailAddress::parse(text) else {
        return;
    };
    assert_eq!(e.as_str(), text);
    assert_eq!(text.matches('@').count(), 1, "{text:?}");
    assert!(text.len() <= 254 && e.local_part().len() <= 64, "{text:?}");
    assert!(!e.local_part().is_empty());
    assert!(
        !text
            .chars()
            .any(|c| c.is_whitespace() || sso_scim::is_forbidden_char(c)),
        "{text:?}"
    );
    let d = e.domain().as_str();
    assert!(
        d.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'),
        "{d:?}"
    );
    assert_eq!(
        sso_scim::DomainName::parse(d)
            .map(|x| x.as_str().to_owned())
            .as_deref(),
        Ok(d)
    );
    assert_eq!(sso_scim::email_domain(text).ok().as_ref(), Some(e.domain()));
}
