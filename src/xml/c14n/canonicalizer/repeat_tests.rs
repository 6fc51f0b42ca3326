//! A start tag taken from the previous sibling is the tag canonicalizing it gives, byte for
//! byte: on hand-made cases where only the context differs, and on every committed input with
//! every method, alone and as the nested form of a one-pass digest.

use std::cell::Cell;

use crate::xml::c14n::{canonicalize, canonicalize_into, C14nMethod, Nested, NestedOutcome};
use crate::xml::{Document, Element, Limits};

thread_local! {
    /// Set by these tests: every start tag is canonicalized in full.
    pub(super) static DISABLED: Cell<bool> = const { Cell::new(false) };
    /// Start tags taken from the previous sibling.
    pub(super) static HITS: Cell<usize> = const { Cell::new(0) };
}

fn methods() -> [C14nMethod; 5] {
    [
        C14nMethod::exclusive(),
        C14nMethod::exclusive_with_prefix_list("xs"),
        C14nMethod::exclusive_with_prefix_list("xs xsi #default"),
        C14nMethod::Inclusive10,
        C14nMethod::Inclusive11,
    ]
}

/// `f`'s result with the repeat on, and with it off.
fn both<T>(mut f: impl FnMut() -> T) -> (T, T) {
    let with = f();
    DISABLED.with(|d| d.set(true));
    let without = f();
    DISABLED.with(|d| d.set(false));
    (with, without)
}

fn alone(doc: &Document, apex: Element<'_>, m: &C14nMethod, exclude: Option<Element<'_>>) {
    let run = || {
        let mut out = Vec::new();
        let r = canonicalize(doc, apex.id(), m, exclude.map(|e| e.id()), &mut out);
        (r, out)
    };
    let (with, without) = both(run);
    assert_eq!(with, without, "{apex:?} by {m:?}");
}

/// The outer form of `outer` with `inner` nested (its first child element excluded from it).
fn nested(doc: &Document, outer: Element<'_>, inner: Element<'_>, m: &C14nMethod) {
    let run = || {
        let (mut o, mut i) = (Vec::new(), Vec::new());
        let n = Nested {
            apex: inner.id(),
            exclude: inner.child_elements().next().map(|e| e.id()),
            sink: &mut i,
        };
        let r = canonicalize_into(doc, Some(outer.id()), m, None, &mut o, Some(n));
        (r, o, i)
    };
    let (with, without) = both(run);
    assert_eq!(with, without, "{inner:?} in {outer:?} by {m:?}");
    if with.0 == Ok(NestedOutcome::Complete) {
        let mut alone = Vec::new();
        let exclude = inner.child_elements().next().map(|e| e.id());
        canonicalize(doc, inner.id(), m, exclude, &mut alone).expect("canonicalizes");
        assert_eq!(with.2, alone, "{inner:?} in {outer:?} by {m:?}");
    }
}

fn doc(xml: &str) -> Document {
    Document::parse(xml.as_bytes(), &Limits::default()).expect("parses")
}

fn form(d: &Document, m: &C14nMethod) -> String {
    let mut out = Vec::new();
    canonicalize(d, d.root().id(), m, None, &mut out).expect("canonicalizes");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn a_repeated_tag_is_written_for_its_context() {
    // Written the same, but the first one renders the namespace its parent left unrendered and
    // the second one is inside an element that rendered it.
    let d = doc(r#"<r xmlns:a="urn:a"><a:x a:v="1"/><a:x a:v="1"/><a:s><a:x a:v="1"/></a:s></r>"#);
    HITS.with(|n| n.set(0));
    assert_eq!(
        form(&d, &C14nMethod::exclusive()),
        r#"<r><a:x xmlns:a="urn:a" a:v="1"></a:x><a:x xmlns:a="urn:a" a:v="1"></a:x><a:s xmlns:a="urn:a"><a:x a:v="1"></a:x></a:s></r>"#
    );
    assert_eq!(HITS.with(Cell::get), 1);
    // Its own declarations are in scope inside it and not after it.
    let d = doc(
        r#"<r><v xmlns:t="urn:t" t:k="1"><t:c/></v><v xmlns:t="urn:t" t:k="1"><t:c/></v><t:c xmlns:t="urn:u"/></r>"#,
    );
    assert_eq!(
        form(&d, &C14nMethod::exclusive()),
        r#"<r><v xmlns:t="urn:t" t:k="1"><t:c></t:c></v><v xmlns:t="urn:t" t:k="1"><t:c></t:c></v><t:c xmlns:t="urn:u"></t:c></r>"#
    );
    // A copy of an empty sibling that has children: what it renders and declares holds for them.
    let d = doc(
        r#"<r><a:x xmlns:a="urn:a" xmlns:t="urn:t"/><a:x xmlns:a="urn:a" xmlns:t="urn:t"><a:c/><t:c/></a:x></r>"#,
    );
    HITS.with(|n| n.set(0));
    assert_eq!(
        form(&d, &C14nMethod::exclusive()),
        r#"<r><a:x xmlns:a="urn:a"></a:x><a:x xmlns:a="urn:a"><a:c></a:c><t:c xmlns:t="urn:t"></t:c></a:x></r>"#
    );
    assert_eq!(
        form(&d, &C14nMethod::Inclusive10),
        r#"<r><a:x xmlns:a="urn:a" xmlns:t="urn:t"></a:x><a:x xmlns:a="urn:a" xmlns:t="urn:t"><a:c></a:c><t:c></t:c></a:x></r>"#
    );
    assert_eq!(HITS.with(Cell::get), 2);
    // The same text with a different prefix binding in scope is another tag.
    let d = doc(
        r#"<r xmlns:p="urn:1"><x p:a="1"/><x p:a="1"/><s xmlns:p="urn:2"><x p:a="1"/><x p:a="1"/></s></r>"#,
    );
    assert_eq!(
        form(&d, &C14nMethod::Inclusive10),
        r#"<r xmlns:p="urn:1"><x p:a="1"></x><x p:a="1"></x><s xmlns:p="urn:2"><x p:a="1"></x><x p:a="1"></x></s></r>"#
    );
    // An element holding only text and processing instructions is written whole from the
    // kept tag, whatever lies between it and the sibling it repeats.
    let d = doc(
        r#"<r xmlns:a="urn:a"><a:v a:k="1">t&amp;<?p d?></a:v><a:v a:k="1">u<?q?>v</a:v><?z?> <a:v a:k="1"/></r>"#,
    );
    HITS.with(|n| n.set(0));
    assert_eq!(
        form(&d, &C14nMethod::exclusive()),
        r#"<r><a:v xmlns:a="urn:a" a:k="1">t&amp;<?p d?></a:v><a:v xmlns:a="urn:a" a:k="1">u<?q?>v</a:v><?z?> <a:v xmlns:a="urn:a" a:k="1"></a:v></r>"#
    );
    assert_eq!(HITS.with(Cell::get), 2);
    // Childless repeats are written whole from a kept copy: it is the latest tag's, after runs
    // of other tags, of elements with children, and of the same name with another attribute.
    let d = doc(
        r#"<r><c/><c/><c/><d k="1"/><d k="1"/><c/><c/><d k="1">t</d><d k="1"/><d k="2"/><d k="2"/><e><c/><c/></e><e><c/></e></r>"#,
    );
    HITS.with(|n| n.set(0));
    assert_eq!(
        form(&d, &C14nMethod::exclusive()),
        r#"<r><c></c><c></c><c></c><d k="1"></d><d k="1"></d><c></c><c></c><d k="1">t</d><d k="1"></d><d k="2"></d><d k="2"></d><e><c></c><c></c></e><e><c></c></e></r>"#
    );
    // Two `<c/>` and one `<d k="1"/>` in the first runs, one `<c/>`, the `<d k="1"/>` after its
    // text-holding sibling, one `<d k="2"/>`, the second `<c/>` in `<e>`.
    assert_eq!(HITS.with(Cell::get), 7);
    for m in methods() {
        alone(&d, d.root(), &m, None);
    }
    // A left-out element is not a sibling to take a tag from, even when the next one repeats it.
    let d = doc(r#"<r><a k="1"/><s k="2"/><s k="2"/></r>"#);
    let left_out = d.root().child_elements().nth(1).map(|e| e.id());
    let mut out = Vec::new();
    canonicalize(
        &d,
        d.root().id(),
        &C14nMethod::exclusive(),
        left_out,
        &mut out,
    )
    .expect("canonicalizes");
    assert_eq!(out, br#"<r><a k="1"></a><s k="2"></s></r>"#);
    // A tag that is only its parent's name is the name alone, in every method, nested or not;
    // one with an attribute, a declaration or another name is canonicalized in full.
    let d = doc(
        r#"<r xmlns:a="urn:a"><a:d><a:d><a:d/></a:d></a:d><d><d><d k="1"><d><d xmlns:a="urn:b"><a:d/></d></d></d></d></d></r>"#,
    );
    for m in methods() {
        alone(&d, d.root(), &m, None);
        for c in d.root().child_elements() {
            nested(&d, d.root(), c, &m);
        }
    }
    HITS.with(|n| n.set(0));
    assert_eq!(
        form(&d, &C14nMethod::exclusive()),
        r#"<r><a:d xmlns:a="urn:a"><a:d><a:d></a:d></a:d></a:d><d><d><d k="1"><d><d><a:d xmlns:a="urn:b"></a:d></d></d></d></d></d></r>"#
    );
    // The two `a:d` below the first, and the `d` below the first `d` (not `<d k="1">`, nor the
    // `d` below it, whose parent holds an attribute, nor the one that declares).
    assert_eq!(HITS.with(Cell::get), 3);
    // A decoded value counts by its decoded text.
    let d = doc(r#"<r><x a="&amp;"/><x a="&#38;"/><x a="&lt;"/></r>"#);
    assert_eq!(
        form(&d, &C14nMethod::exclusive()),
        r#"<r><x a="&amp;"></x><x a="&amp;"></x><x a="&lt;"></x></r>"#
    );
}

#[test]
fn a_nested_form_is_given_up_or_kept_as_without_it() {
    // Siblings around the nested apex; the one after it uses a prefix the nested apex renders
    // differently from the outer form.
    let x = r#"<r xmlns:a="urn:a" xmlns:b="urn:b"><a:x/><a:x/><n><s/><a:x/><a:x/><b:y/><b:y/></n><a:x/><a:x/></r>"#;
    let d = doc(x);
    let n = d.root().child_elements().nth(2).expect("n");
    for m in methods() {
        nested(&d, d.root(), n, &m);
    }
    // Elements named as their parents, inside the nested apex and its excluded child, and the
    // nested apex named as its own parent (its child starts the watch).
    let x = r#"<r xmlns:a="urn:a" xmlns:b="urn:b"><n><a:d><a:d/></a:d><a:d><a:d><a:d/></a:d></a:d><b:y><b:y/></b:y></n><n><n><n/></n></n></r>"#;
    let d = doc(x);
    let apexes: Vec<_> = d.elements().filter(|e| e.local_name() == "n").collect();
    for m in methods() {
        for &apex in &apexes {
            let parent = apex.parent().expect("inside r");
            nested(&d, parent, apex, &m);
        }
    }
}

/// Every committed input, every method: the root alone, each of its children alone (without
/// its first child element, as an enveloped signature is left out), and each child of the root
/// nested in the root's form.
#[test]
fn every_committed_input_canonicalizes_the_same() {
    let mut hits = 0;
    let mut documents = 0;
    for p in crate::xml::committed_inputs::paths() {
        let input = std::fs::read(&p).expect("readable");
        let Ok(d) = Document::parse(&input, &Limits::default()) else {
            continue;
        };
        documents += 1;
        HITS.with(|n| n.set(0));
        for m in methods() {
            alone(&d, d.root(), &m, None);
            for c in d.root().child_elements() {
                alone(&d, c, &m, c.child_elements().next());
                nested(&d, d.root(), c, &m);
            }
        }
        hits += usize::from(HITS.with(Cell::get) > 0);
    }
    assert!(documents > 1_000, "{documents} documents");
    // The comparison covers the case it is about.
    assert!(hits > 100, "{hits} documents repeat a start tag");
}

/// The Okta-shaped bench response: every group value after the first takes its tag.
#[test]
fn okta_values_take_the_previous_tag() {
    let xml = include_str!("../../../../benches/data/okta-240k.xml");
    let d = doc(xml);
    HITS.with(|n| n.set(0));
    let mut out = Vec::new();
    let m = C14nMethod::exclusive_with_prefix_list("xs");
    canonicalize(&d, d.root().id(), &m, None, &mut out).expect("canonicalizes");
    let values = d
        .elements()
        .filter(|e| e.local_name() == "AttributeValue")
        .count();
    assert!(values > 1_000);
    // One miss per attribute (its first value).
    assert!(HITS.with(Cell::get) >= values - 10, "{values}");
}
