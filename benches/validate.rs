//! Validation of a realistic Okta response against the cryptographic floor, in one group so the
//! ratio is measured in the same run.
//!
//! The response (tests/vectors/generated/valid-both-signed.xml, 8 KB) has both the Response and
//! the Assertion signed (RSA-2048, SHA-256, exclusive C14N with PrefixList="xs") and email,
//! firstName and lastName attributes; it was signed by the xmlsec1 CLI.
//!
//! - `validate_form_value`: base64 form value to `PendingLogin` (every check but the replay cache);
//! - `floor`: what no validator can avoid: two SHA-256 digests over the two canonical signed
//!   contents and two RSA-2048 PKCS#1 v1.5 verifications over the two canonical SignedInfo, with
//!   everything precomputed.
//!
//! A second group does the same for a response of about 256 KiB (benches/data/large-256k.xml,
//! 1 343 group values; made by benches/data/generate_large.py with xmlsec1).
//!
//! A third, `okta_240k_both_signed`, for benches/data/okta-240k.xml (1 250 values over two
//! attributes, every value declaring `xs` and `xsi` as Okta does; same generator).
//!
//! Then `parse_256k`, compares parsing that response with a hostile document of the
//! same size built to make namespace lookups slow.
//!
//! A fourth group, `hostile_validation`, validates the hostile shapes of the work-bound test
//! (benches/data/hostile_shapes.rs: the PrefixList shapes, many namespaces in scope, many
//! attributes) against the real 256 KiB response, per byte.
//!
//! Run: `cargo bench --bench validate`; report `validate_form_value / floor` per group,
//! `hostile_namespaces / large_response`, and each hostile shape's time per byte over
//! `large_response`'s in `hostile_validation`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use sso_scim::xml::{Document, Limits};
use sso_scim::{AssertionValidator, RequestState, Timestamp};

const XML: &[u8] = include_bytes!("../tests/vectors/generated/valid-both-signed.xml");
const FORM: &str = include_str!("../tests/vectors/generated/valid-both-signed.b64");
const CERT: &str = include_str!("../tests/vectors/generated/idp-cert.pem");

const LARGE_XML: &[u8] = include_bytes!("data/large-256k.xml");
const LARGE_FORM: &str = include_str!("data/large-256k.b64");
const OKTA_240K_XML: &[u8] = include_bytes!("data/okta-240k.xml");
const OKTA_240K_FORM: &str = include_str!("data/okta-240k.b64");

/// The floor's inputs, shared with the interleaved bench.
mod floor {
    include!("data/floor.rs");
}
use floor::floor_inputs;

include!("data/okta_config.rs");

/// The SP configuration every vector of the benches was made for, and the instant to validate at.
fn validator_and_now() -> (AssertionValidator, Timestamp) {
    let config = okta_test_config(CERT).build().expect("config");
    let now = Timestamp::parse("2026-01-15T10:00:30Z").expect("now");
    (AssertionValidator::new(config), now)
}

fn group(c: &mut Criterion, name: &str, xml: &[u8], form: &str) {
    let (validator, now) = validator_and_now();
    let none: [&str; 0] = [];
    let floor = floor_inputs(xml);
    assert_eq!(floor.signed.len(), 2);
    // Sanity: the floor computes what validation computes.
    for i in 0..2 {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &floor.spki)
            .verify(&floor.signed_info[i], &floor.signature_values[i])
            .expect("floor signature verifies");
    }
    let _checked = validator
        .validate(form, &RequestState::outstanding(&none), now)
        .expect("the bench response validates");

    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(1));
    g.bench_function("validate_form_value", |b| {
        b.iter(|| {
            validator
                .validate(
                    std::hint::black_box(form),
                    &RequestState::outstanding(&none),
                    now,
                )
                .expect("valid")
        })
    });
    g.bench_function("floor", |b| b.iter(|| floor.run()));
    g.finish();
}

/// The hostile documents, shared with the other side through `include!`.
mod hostile_shapes {
    include!("data/hostile_shapes.rs");
}
use hostile_shapes::{
    filled_response, long_namespace_attributes, many_attributes, many_namespaces_in_scope,
    prefix_list_response, Filler, PrefixList, SignedAt,
};

/// Parsing cost per byte: the legitimate 256 KiB response against a hostile document of the same
/// size made to make name lookups slow.
fn hostile(c: &mut Criterion) {
    let doc = many_namespaces_in_scope(LARGE_XML.len());
    Document::parse(doc.as_bytes(), &Limits::default()).expect("within the default limits");
    let mut g = c.benchmark_group("parse_256k");
    g.throughput(Throughput::Bytes(LARGE_XML.len() as u64));
    g.bench_function("large_response", |b| {
        b.iter(|| Document::parse(std::hint::black_box(LARGE_XML), &Limits::default()))
    });
    g.throughput(Throughput::Bytes(doc.len() as u64));
    g.bench_function("hostile_namespaces", |b| {
        b.iter(|| Document::parse(std::hint::black_box(doc.as_bytes()), &Limits::default()))
    });
    g.finish();
}

/// Whole validation per byte: the real 256 KiB response (accepted) against each hostile shape of
/// the work-bound test (refused). Report each shape's time per byte over `large_response`'s.
fn hostile_validation(c: &mut Criterion) {
    let (validator, now) = validator_and_now();
    let none: [&str; 0] = [];
    let shapes = [
        (
            "prefix_list_repeated_90k",
            prefix_list_response(SignedAt::Response, PrefixList::Repeated(90_000), 17_000),
        ),
        (
            "prefix_list_distinct_22k",
            prefix_list_response(SignedAt::Assertion, PrefixList::Distinct(22_000), 18_000),
        ),
        (
            "prefix_list_64_in_scope",
            prefix_list_response(SignedAt::Response, PrefixList::Distinct(64), 19_000),
        ),
        (
            "many_namespaces_in_scope",
            many_namespaces_in_scope(LARGE_XML.len()),
        ),
        ("many_attributes", many_attributes(LARGE_XML.len())),
        (
            "long_namespace_attributes",
            long_namespace_attributes(LARGE_XML.len()),
        ),
        (
            "deep_nesting",
            filled_response(Filler::Deep, LARGE_XML.len()),
        ),
        (
            "long_text",
            filled_response(Filler::LongText, LARGE_XML.len()),
        ),
        (
            "many_references",
            filled_response(Filler::References, LARGE_XML.len()),
        ),
        (
            "many_small_elements",
            filled_response(Filler::SmallElements, LARGE_XML.len()),
        ),
        (
            "many_comments",
            filled_response(Filler::Comments, LARGE_XML.len()),
        ),
        (
            "many_processing_instructions",
            filled_response(Filler::ProcessingInstructions, LARGE_XML.len()),
        ),
    ];
    let mut g = c.benchmark_group("hostile_validation");
    g.throughput(Throughput::Bytes(LARGE_XML.len() as u64));
    g.bench_function("large_response", |b| {
        b.iter(|| {
            validator
                .validate_xml(
                    std::hint::black_box(LARGE_XML),
                    &RequestState::outstanding(&none),
                    now,
                )
                .expect("valid")
        })
    });
    for (name, doc) in &shapes {
        g.throughput(Throughput::Bytes(doc.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| {
                validator
                    .validate_xml(
                        std::hint::black_box(doc.as_bytes()),
                        &RequestState::outstanding(&none),
                        now,
                    )
                    .expect_err("refused")
            })
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    group(c, "okta_8k_both_signed", XML, FORM);
    group(c, "large_256k_both_signed", LARGE_XML, LARGE_FORM);
    group(c, "okta_240k_both_signed", OKTA_240K_XML, OKTA_240K_FORM);
    hostile(c);
    hostile_validation(c);
}

criterion_group!(benches, bench);
criterion_main!(benches);
