//! The ratios of `cargo bench --bench validate`, measured the other way: in every round each
//! case runs in turn, once to warm up and then for about 2 ms, the mean of which is one sample;
//! each case's minimum and median sample are reported. On a shared, noisy machine criterion's
//! estimate for one case moves with what the machine is doing while that case runs; here every
//! case sees the same moments, and the minimum is the figure least disturbed by the neighbours.
//!
//! Cases: the three signed-twice responses (form value to `PendingLogin`) with their floor (two
//! SHA-256 digests and two RSA verifications, precomputed, as in `validate`), and the hostile
//! shapes of `validate`'s `hostile_validation` group against the 256 KiB response, per byte.
//!
//! Run: `cargo bench --bench validate_interleaved` (`-- ROUNDS`, default 300).

use std::time::Instant;

use sso_scim::{AssertionValidator, RequestState, Timestamp};

mod floor {
    include!("data/floor.rs");
}
mod hostile_shapes {
    include!("data/hostile_shapes.rs");
}
include!("data/okta_config.rs");

use floor::{floor_inputs, Floor};
use hostile_shapes::{
    filled_response, long_namespace_attributes, many_attributes, many_namespaces_in_scope,
    prefix_list_response, Filler, PrefixList, SignedAt,
};

/// What one case runs.
enum Work {
    Form(&'static str),
    Floor(Floor),
    Xml(Vec<u8>),
}

struct Case {
    name: &'static str,
    work: Work,
    /// Runs per sample, after the warm-up run.
    reps: usize,
    times: Vec<f64>,
}

impl Case {
    fn new(name: &'static str, work: Work) -> Case {
        Case {
            name,
            work,
            reps: 1,
            times: Vec::new(),
        }
    }

    fn min(&self) -> f64 {
        self.times.iter().copied().fold(f64::INFINITY, f64::min)
    }

    fn median(&self) -> f64 {
        let mut t = self.times.clone();
        t.sort_by(f64::total_cmp);
        t.get(t.len() / 2).copied().unwrap_or(f64::NAN)
    }

    fn bytes(&self) -> usize {
        match &self.work {
            Work::Xml(x) => x.len(),
            _ => 0,
        }
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    let config = okta_test_config(include_str!("../tests/vectors/generated/idp-cert.pem"))
        .build()
        .expect("config");
    let validator = AssertionValidator::new(config);
    let now = Timestamp::parse("2026-01-15T10:00:30Z").expect("now");
    let none: [&str; 0] = [];
    let large: &[u8] = include_bytes!("data/large-256k.xml");

    let mut cases = vec![
        Case::new(
            "8k validate_form_value",
            Work::Form(include_str!(
                "../tests/vectors/generated/valid-both-signed.b64"
            )),
        ),
        Case::new(
            "8k floor",
            Work::Floor(floor_inputs(include_bytes!(
                "../tests/vectors/generated/valid-both-signed.xml"
            ))),
        ),
        Case::new(
            "256k validate_form_value",
            Work::Form(include_str!("data/large-256k.b64")),
        ),
        Case::new("256k floor", Work::Floor(floor_inputs(large))),
        Case::new(
            "240k validate_form_value",
            Work::Form(include_str!("data/okta-240k.b64")),
        ),
        Case::new(
            "240k floor",
            Work::Floor(floor_inputs(include_bytes!("data/okta-240k.xml"))),
        ),
        Case::new("large_response", Work::Xml(large.to_vec())),
    ];
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
            many_namespaces_in_scope(large.len()),
        ),
        ("many_attributes", many_attributes(large.len())),
        (
            "long_namespace_attributes",
            long_namespace_attributes(large.len()),
        ),
        ("deep_nesting", filled_response(Filler::Deep, large.len())),
        ("long_text", filled_response(Filler::LongText, large.len())),
        (
            "many_references",
            filled_response(Filler::References, large.len()),
        ),
        (
            "many_small_elements",
            filled_response(Filler::SmallElements, large.len()),
        ),
        (
            "many_comments",
            filled_response(Filler::Comments, large.len()),
        ),
        (
            "many_processing_instructions",
            filled_response(Filler::ProcessingInstructions, large.len()),
        ),
    ];
    for (name, doc) in shapes {
        cases.push(Case::new(name, Work::Xml(doc.into_bytes())));
    }

    let run = |case: &Case| match &case.work {
        Work::Form(form) => {
            let r = validator.validate(
                std::hint::black_box(form),
                &RequestState::outstanding(&none),
                now,
            );
            assert!(r.is_ok(), "{}: {r:?}", case.name);
        }
        Work::Floor(f) => f.run(),
        Work::Xml(xml) => {
            let r = validator.validate_xml(
                std::hint::black_box(xml),
                &RequestState::outstanding(&none),
                now,
            );
            // The real response is accepted; every hostile shape is refused.
            assert_eq!(r.is_ok(), case.name == "large_response", "{}", case.name);
        }
    };
    for case in &mut cases {
        let t = Instant::now();
        run(case);
        let once = t.elapsed().as_secs_f64() * 1e6;
        case.reps = ((2000.0 / once.max(1.0)) as usize).clamp(2, 100);
    }
    for _ in 0..rounds {
        for case in &mut cases {
            run(case);
            let t = Instant::now();
            for _ in 0..case.reps {
                run(case);
            }
            case.times
                .push(t.elapsed().as_secs_f64() * 1e6 / case.reps as f64);
        }
    }

    println!("{rounds} rounds; times in µs, minimum and median");
    for pair in cases[..6].chunks(2) {
        let (v, f) = (&pair[0], &pair[1]);
        println!(
            "{:<26} {:>9.1} / floor {:>7.1} = {:.2}x (min)   {:>9.1} / {:>7.1} = {:.2}x (median)",
            v.name,
            v.min(),
            f.min(),
            v.min() / f.min(),
            v.median(),
            f.median(),
            v.median() / f.median()
        );
    }
    let base = &cases[6];
    let per_byte = |c: &Case, t: f64| t / c.bytes() as f64;
    let (base_min, base_med) = (per_byte(base, base.min()), per_byte(base, base.median()));
    println!(
        "hostile shapes, time per byte over large_response's ({:.2} / {:.2} ns per byte):",
        base_min * 1e3,
        base_med * 1e3
    );
    for c in &cases[7..] {
        println!(
            "  {:<30} {:>7} B {:>8.1} µs  {:.2}x (min)  {:.2}x (median)",
            c.name,
            c.bytes(),
            c.min(),
            per_byte(c, c.min()) / base_min,
            per_byte(c, c.median()) / base_med
        );
    }
}
