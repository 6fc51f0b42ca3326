//! Canonicalization against known forms, and the one-pass nested form.

use super::*;
use crate::xml::Limits;

fn c14n(xml: &str, path: &[usize], m: &C14nMethod) -> String {
    let d = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
    let mut e = d.root();
    for &i in path {
        e = e.child_elements().nth(i).unwrap();
    }
    let mut out = Vec::new();
    canonicalize(&d, e.id(), m, None, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn exclusive_renders_only_utilized_and_listed() {
    let x = r#"<r xmlns="urn:d" xmlns:a="urn:a" xmlns:xs="urn:xs" xmlns:u="urn:u"><a:e xmlns:b="urn:b" b:x="1" t="xs:string"><c/></a:e></r>"#;
    assert_eq!(
        c14n(x, &[0], &C14nMethod::exclusive()),
        r#"<a:e xmlns:a="urn:a" xmlns:b="urn:b" t="xs:string" b:x="1"><c xmlns="urn:d"></c></a:e>"#
    );
    assert_eq!(
        c14n(
            x,
            &[0],
            &C14nMethod::exclusive_with_prefix_list("xs #default")
        ),
        r#"<a:e xmlns="urn:d" xmlns:a="urn:a" xmlns:b="urn:b" xmlns:xs="urn:xs" t="xs:string" b:x="1"><c></c></a:e>"#
    );
}

#[test]
fn inclusive_renders_scope_and_undeclares_default() {
    let x = r#"<r xmlns="urn:d" xmlns:a="urn:a" xml:lang="en"><a:e z="1" a:y="2"><c xmlns=""/></a:e></r>"#;
    assert_eq!(
        c14n(x, &[0], &C14nMethod::Inclusive10),
        r#"<a:e xmlns="urn:d" xmlns:a="urn:a" z="1" xml:lang="en" a:y="2"><c xmlns=""></c></a:e>"#
    );
    assert_eq!(
        c14n(x, &[0], &C14nMethod::Inclusive11),
        r#"<a:e xmlns="urn:d" xmlns:a="urn:a" z="1" xml:lang="en" a:y="2"><c xmlns=""></c></a:e>"#
    );
    let base = r#"<r xml:base="http://e/a/"><e xml:base="../b"/></r>"#;
    let d = Document::parse(base.as_bytes(), &Limits::default()).unwrap();
    let e = d.root().child_elements().next().unwrap();
    let mut out = Vec::new();
    canonicalize(&d, e.id(), &C14nMethod::Inclusive11, None, &mut out).unwrap();
    assert_eq!(out, br#"<e xml:base="http://e/b"></e>"#);
}

#[test]
fn excludes_a_subtree_and_escapes() {
    let x = "<r a=\"&#9;&quot;&lt;>\"><s><x/></s>t&amp;&#13;&gt;<?p  d ?></r>";
    let d = Document::parse(x.as_bytes(), &Limits::default()).unwrap();
    let s = d.root().child_elements().next().unwrap();
    let mut out = Vec::new();
    canonicalize(
        &d,
        d.root().id(),
        &C14nMethod::exclusive(),
        Some(s.id()),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "<r a=\"&#x9;&quot;&lt;>\">t&amp;&#xD;&gt;<?p d ?></r>"
    );
}

fn one_pass(
    xml: &[u8],
    outer: &str,
    inner: &str,
    m: &C14nMethod,
) -> (NestedOutcome, Vec<u8>, Vec<u8>) {
    let d = Document::parse(xml, &Limits::default()).unwrap();
    let find = |name: &str| d.elements().find(|e| e.local_name() == name).unwrap();
    let (o, n) = (find(outer), find(inner));
    let sig_of = |e: Element<'_>| {
        e.child_elements()
            .find(|c| c.local_name() == "Signature")
            .map(|c| c.id())
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let outcome = canonicalize_into(
        &d,
        Some(o.id()),
        m,
        sig_of(o),
        &mut a,
        Some(Nested {
            apex: n.id(),
            exclude: sig_of(n),
            sink: &mut b,
        }),
    )
    .unwrap();
    let mut alone = Vec::new();
    canonicalize(&d, o.id(), m, sig_of(o), &mut alone).unwrap();
    assert_eq!(a, alone);
    let mut own = Vec::new();
    canonicalize(&d, n.id(), m, sig_of(n), &mut own).unwrap();
    (outcome, b, own)
}

#[test]
fn one_pass_gives_an_okta_assertion_its_own_form() {
    let xml = include_bytes!("../../../tests/vectors/generated/valid-both-signed.xml");
    let m = C14nMethod::exclusive_with_prefix_list("xs");
    let (outcome, nested, own) = one_pass(xml, "Response", "Assertion", &m);
    assert_eq!(outcome, NestedOutcome::Complete);
    assert_eq!(
        String::from_utf8(nested).unwrap(),
        String::from_utf8(own).unwrap()
    );
    let large = include_bytes!("../../../benches/data/large-256k.xml");
    let (outcome, nested, own) = one_pass(large, "Response", "Assertion", &m);
    assert_eq!(outcome, NestedOutcome::Complete);
    assert!(nested == own);
}

#[test]
fn one_pass_gives_up_when_a_namespace_rendered_above_is_used_inside() {
    // The outer apex renders p (for p:a); the nested apex does not, so p:y renders it only
    // in the nested form.
    let xml = br#"<r xmlns:p="urn:p" p:a="1"><x><Signature/><p:y/></x></r>"#;
    let (outcome, _, own) = one_pass(xml, "r", "x", &C14nMethod::exclusive());
    assert_eq!(outcome, NestedOutcome::Abandoned);
    assert_eq!(own, br#"<x><p:y xmlns:p="urn:p"></p:y></x>"#);
    // Inclusive methods are never nested.
    let (outcome, _, _) = one_pass(xml, "r", "x", &C14nMethod::Inclusive10);
    assert_eq!(outcome, NestedOutcome::Abandoned);
}

#[test]
fn same_is_string_equality() {
    use crate::xml::text::same;
    let owned = String::from("urn:x");
    for (a, b) in [
        ("", ""),
        ("urn:x", "urn:x"),
        ("urn:x", owned.as_str()),
        ("", "a"),
        ("urn:x", "urn:y"),
        ("ab", "a"),
    ] {
        assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
    }
    // Every length around the word steps and the 64-byte switch, a difference at every place.
    for n in 0..=80 {
        let a: String = (0..n)
            .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
            .collect();
        assert!(same(&a, &a.clone()), "{n}");
        for i in 0..n {
            let mut b = a.clone().into_bytes();
            b[i] = b'A';
            let b = String::from_utf8(b).unwrap();
            assert!(!same(&a, &b), "{n} {i}");
        }
        assert!(!same(&a, &format!("{a}a")), "{n}");
    }
}
