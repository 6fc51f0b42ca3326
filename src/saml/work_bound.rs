//! Counted work: no hostile document costs more per byte than a real response (issue 8).
//!
//! The parser and the canonicalizer count units of work (`crate::xml::work`): a byte tokenized or
//! rendered, a name resolved, a namespace binding considered, an attribute compared. Each hostile
//! shape below is validated (and refused) while counting; its units per byte must stay within 4x
//! those of a real response of about the same size, validated in full. Timing is left to the
//! `validate` bench, which reports the same shapes' time ratio.

use base64::Engine;

use crate::xml::work;
use crate::{AssertionValidator, RequestState, SsoConfig, Timestamp};

/// The hostile documents, shared with the other side through `include!`.
mod hostile_shapes {
    include!("../../benches/data/hostile_shapes.rs");
}
use hostile_shapes::{
    filled_response, long_namespace_attributes, many_attributes, many_namespaces_in_scope,
    prefix_list_response, Filler, PrefixList, SignedAt,
};

const CERT: &str = include_str!("../../tests/vectors/generated/idp-cert.pem");
const OKTA_8K: &[u8] = include_bytes!("../../tests/vectors/generated/valid-both-signed.xml");
const OKTA_256K: &[u8] = include_bytes!("../../benches/data/large-256k.xml");

fn validator() -> AssertionValidator {
    let config = SsoConfig::builder()
        .idp_certificate(CERT)
        .idp_sso_url("https://dev-123.okta.com/app/x/exkTEST/sso/saml")
        .idp_issuer("http://www.okta.com/exkTEST")
        .sp_entity_id("https://sp.example.com/saml/metadata")
        .acs_url("https://sp.example.com/saml/acs")
        .allow_idp_initiated(true)
        .build()
        .expect("config");
    AssertionValidator::new(config)
}

fn now() -> Timestamp {
    Timestamp::parse("2026-01-15T10:00:30Z").expect("now")
}

/// Units of work per input byte, and whether the document validated.
fn units_per_byte(v: &AssertionValidator, xml: &[u8], as_form_value: bool) -> (f64, bool) {
    let none: [&str; 0] = [];
    work::take();
    let ok = if as_form_value {
        let form = base64::engine::general_purpose::STANDARD.encode(xml);
        v.validate(form, &RequestState::outstanding(&none), now())
            .is_ok()
    } else {
        v.validate_xml(xml, &RequestState::outstanding(&none), now())
            .is_ok()
    };
    (work::take() as f64 / xml.len() as f64, ok)
}

#[test]
fn hostile_shapes_cost_at_most_four_times_a_real_response_per_byte() {
    let v = validator();
    let (small, ok) = units_per_byte(&v, OKTA_8K, false);
    assert!(ok, "the real 8 KB response validates");
    let (large, ok) = units_per_byte(&v, OKTA_256K, false);
    assert!(ok, "the real 256 KiB response validates");
    // The real response nearest in size is the baseline.
    let baseline = |len: usize| if len < 64 * 1024 { small } else { large };

    let mut shapes: Vec<(String, String)> = Vec::new();
    for at in [SignedAt::Response, SignedAt::Assertion] {
        for (list, children) in [
            (PrefixList::Repeated(8_000), 2_500),
            (PrefixList::Repeated(90_000), 17_000),
            (PrefixList::Distinct(22_000), 18_000),
            // Within the accepted bound, every listed prefix declared in scope.
            (PrefixList::Distinct(64), 19_000),
            (PrefixList::Repeated(64), 19_000),
        ] {
            shapes.push((
                format!("{at:?} {list:?} x {children} children"),
                prefix_list_response(at, list, children),
            ));
        }
    }
    shapes.push((
        "many namespaces in scope".into(),
        many_namespaces_in_scope(OKTA_256K.len()),
    ));
    shapes.push(("many attributes".into(), many_attributes(OKTA_256K.len())));
    shapes.push((
        "long namespace, many attributes in it".into(),
        long_namespace_attributes(OKTA_256K.len()),
    ));
    for filler in [
        Filler::Deep,
        Filler::LongText,
        Filler::References,
        Filler::SmallElements,
        Filler::Comments,
        Filler::ProcessingInstructions,
    ] {
        shapes.push((
            format!("{filler:?}"),
            filled_response(filler, OKTA_256K.len()),
        ));
    }

    for (name, doc) in &shapes {
        assert!(doc.len() <= 256 * 1024, "{name}: {} bytes", doc.len());
        for form in [false, true] {
            let (units, ok) = units_per_byte(&v, doc.as_bytes(), form);
            assert!(!ok, "{name} must be refused");
            let bound = 4.0 * baseline(doc.len());
            eprintln!(
                "{name} form={form}: {units:.3} per byte, baseline {:.3}",
                baseline(doc.len())
            );
            assert!(
                units <= bound,
                "{name} ({} bytes, form value {form}): {units:.2} units per byte, bound {bound:.2}",
                doc.len()
            );
        }
    }
}

#[test]
fn long_prefix_lists_are_refused_before_any_canonicalization() {
    let v = validator();
    for at in [SignedAt::Response, SignedAt::Assertion] {
        let doc = prefix_list_response(at, PrefixList::Repeated(65), 10);
        let none: [&str; 0] = [];
        let e = v
            .validate_xml(doc.as_bytes(), &RequestState::outstanding(&none), now())
            .expect_err("refused");
        assert_eq!(e.code(), "signature");
        assert!(e.to_string().contains("PrefixList"), "{e}");
    }
}
