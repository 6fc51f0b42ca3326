//! Repeated start tags build exactly what checking each in full builds, and fail exactly where
//! it fails: on hand-made cases where only the position differs, and on every committed input.

use std::cell::Cell;

use crate::error::XmlError;
use crate::xml::{Document, Limits};

thread_local! {
    /// Set by these tests: every tag is checked in full.
    pub(in crate::xml::builder) static DISABLED: Cell<bool> = const { Cell::new(false) };
}

/// Everything the parser built (or the error), as text.
pub(in crate::xml::builder) fn dump(r: &Result<Document, XmlError>) -> String {
    match r {
        Ok(d) => format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            d.nodes, d.attrs, d.decls, d.decoded, d.prefixes, d.root
        ),
        Err(e) => format!("error {e:?}"),
    }
}

fn both(input: &[u8], limits: &Limits) -> (String, String) {
    let with = dump(&Document::parse(input, limits));
    DISABLED.with(|d| d.set(true));
    let without = dump(&Document::parse(input, limits));
    DISABLED.with(|d| d.set(false));
    (with, without)
}

fn agree(input: &str, limits: &Limits) -> Result<Document, XmlError> {
    let (with, without) = both(input.as_bytes(), limits);
    assert_eq!(with, without, "{input}");
    Document::parse(input.as_bytes(), limits)
}

fn ok(input: &str) -> Document {
    agree(input, &Limits::default()).expect("parses")
}

#[test]
fn a_repeated_tag_resolves_where_it_is() {
    // A tag that is only a name, repeated by a sibling, a child, or neither (a nephew after its
    // uncle, who declares the prefix again).
    let d = ok(
        r#"<r xmlns:p="urn:1"><p:c/><p:c/><p:d><p:d><p:d/></p:d></p:d><s xmlns:p="urn:2"><p:c/><p:c/></s><p:c/><p:d><s xmlns:p="urn:3"><p:d>t</p:d></s><p:d/></p:d></r>"#,
    );
    let ns: Vec<_> = d.elements().map(|e| e.namespace()).collect();
    assert_eq!(
        ns,
        [
            "", "urn:1", "urn:1", "urn:1", "urn:1", "urn:1", "", "urn:2", "urn:2", "urn:1",
            "urn:1", "", "urn:3", "urn:1"
        ]
    );
    // An attribute prefix bound differently around the second copy.
    let d = ok(r#"<r xmlns:a="urn:1"><x a:v="1"/><s xmlns:a="urn:2"><x a:v="1"/></s></r>"#);
    let xs: Vec<_> = d
        .root()
        .descendants()
        .filter(|e| e.local_name() == "x")
        .collect();
    assert_eq!(xs[0].attribute_ns("urn:1", "v"), Some("1"));
    assert_eq!(xs[1].attribute_ns("urn:2", "v"), Some("1"));
    assert_eq!(xs[1].attribute_ns("urn:1", "v"), None);
    // The element's own prefix, and the default namespace.
    let d =
        ok(r#"<r xmlns:p="urn:1"><p:x/><s xmlns:p="urn:2" xmlns="urn:d"><p:x/><y/></s><y/></r>"#);
    let names: Vec<_> = d
        .root()
        .descendants()
        .map(|e| format!("{{{}}}{}", e.namespace(), e.local_name()))
        .collect();
    assert_eq!(
        names,
        ["{urn:1}x", "{urn:d}s", "{urn:2}x", "{urn:d}y", "{}y"]
    );
    // Its own declarations, moved with it (and in scope only inside it).
    let d = ok(r#"<r><v xmlns:t="urn:t" t:k="1">a</v><v xmlns:t="urn:t" t:k="1">b</v></r>"#);
    let vs: Vec<_> = d.root().child_elements().collect();
    assert_eq!(vs[1].attribute_ns("urn:t", "k"), Some("1"));
    assert_eq!(
        vs[1].namespace_declarations().collect::<Vec<_>>(),
        [("t", "urn:t")]
    );
    assert_eq!(d.root().lookup_namespace("t"), None);
}

#[test]
fn a_repeated_tag_fails_where_it_would() {
    // Two attributes that clash by expanded name only around the second copy.
    let e = agree(
        r#"<r xmlns:a="urn:1" xmlns:b="urn:2"><x a:v="1" b:v="2"/><s xmlns:b="urn:1"><x a:v="1" b:v="2"/></s></r>"#,
        &Limits::default(),
    );
    assert!(
        matches!(e, Err(XmlError::DuplicateAttribute { .. })),
        "{e:?}"
    );
    // A prefix bound around the first copy only.
    let e = agree(
        r#"<r><s xmlns:a="urn:1"><x a:v="1"/></s><x a:v="1"/></r>"#,
        &Limits::default(),
    );
    assert!(matches!(e, Err(XmlError::UnboundPrefix { .. })), "{e:?}");
    let e = agree(
        r#"<r><s xmlns:a="urn:1"><a:x/></s><a:x/></r>"#,
        &Limits::default(),
    );
    assert!(matches!(e, Err(XmlError::UnboundPrefix { .. })), "{e:?}");
}

#[test]
fn document_wide_limits_hold_for_repeated_tags() {
    let many = format!(
        "<r>{}</r>",
        r#"<x xmlns:a="urn:a" a:v="1" w="2"/>"#.repeat(40)
    );
    let nested = format!(
        "<r>{}{}</r>",
        r#"<x xmlns:a="urn:a" a:v="1">"#.repeat(30),
        "</x>".repeat(30)
    );
    for n in 1..45 {
        for (what, limits) in [
            (
                "declarations",
                Limits {
                    max_namespace_declarations: n,
                    ..Limits::default()
                },
            ),
            (
                "in scope",
                Limits {
                    max_namespaces_in_scope: n,
                    ..Limits::default()
                },
            ),
            (
                "attributes",
                Limits {
                    max_attributes: n,
                    ..Limits::default()
                },
            ),
            (
                "nodes",
                Limits {
                    max_nodes: n,
                    ..Limits::default()
                },
            ),
        ] {
            for doc in [&many, &nested] {
                let (with, without) = both(doc.as_bytes(), &limits);
                assert_eq!(with, without, "{what} {n}");
            }
        }
    }
    let tight = Limits {
        max_namespace_declarations: 10,
        ..Limits::default()
    };
    let e = agree(&many, &tight);
    assert!(matches!(
        e,
        Err(XmlError::LimitExceeded {
            what: "namespace declarations",
            ..
        })
    ));
}

#[test]
fn values_with_references_are_decoded_each_time() {
    let d = ok(r#"<r><x a="&amp;&#x41;"/><x a="&amp;&#x41;"/><x a="b"/><x a="b"/></r>"#);
    let values: Vec<_> = d
        .root()
        .child_elements()
        .map(|e| e.attribute("a"))
        .collect();
    assert_eq!(values, [Some("&A"), Some("&A"), Some("b"), Some("b")]);
}

/// Every committed input the parser sees (the fuzz corpora, the SAML vectors, the bench
/// responses), with the default limits and with tight ones.
#[test]
fn every_committed_input_parses_the_same() {
    let inputs = crate::xml::committed_inputs::paths();
    let tight = Limits {
        max_namespace_declarations: 24,
        max_namespaces_in_scope: 12,
        max_attributes: 64,
        ..Limits::default()
    };
    let mut repeated = 0;
    for p in &inputs {
        let input = std::fs::read(p).expect("readable");
        for limits in [&Limits::default(), &tight] {
            let (with, without) = both(&input, limits);
            assert_eq!(with, without, "{}", p.display());
        }
        repeated += usize::from(has_repeated_tag(&input));
    }
    // The comparison covers the case it is about.
    assert!(repeated > 100, "{repeated} inputs repeat a start tag");
}

/// Does some start tag with an attribute occur twice, written the same?
fn has_repeated_tag(input: &[u8]) -> bool {
    let s = String::from_utf8_lossy(input);
    let mut seen = std::collections::HashSet::new();
    s.split('<')
        .filter_map(|t| t.split('>').next())
        .filter(|t| t.contains('=') && !t.starts_with(['/', '?', '!']))
        .any(|t| !seen.insert(t.trim_end_matches('/').to_owned()))
}

/// A namespace URI is hashed once where it is declared, not once per attribute in it: 64
/// prefixed attributes in a 100 KB namespace, on 200 distinct elements, hash about the document
/// once (it was 64 x 100 KB per element: 0.38 s for this 250 KB document).
#[test]
fn long_namespace_uris_are_hashed_once() {
    let uri = format!("urn:{}", "x".repeat(100_000));
    let attrs: String = (0..64).map(|i| format!(" p:a{i}=\"1\"")).collect();
    let body: String = (0..200).map(|n| format!("<e{n}{attrs}/>")).collect();
    let doc = format!("<r xmlns:p=\"{uri}\">{body}</r>");
    super::super::HASHED.with(|n| n.set(0));
    let d = Document::parse(doc.as_bytes(), &Limits::default()).expect("parses");
    let hashed = super::super::HASHED.with(Cell::get);
    assert_eq!(d.root().child_elements().count(), 200);
    assert!(
        hashed <= doc.len(),
        "{hashed} bytes hashed for {} bytes",
        doc.len()
    );
    // Two attributes with one expanded name are still found, through two prefixes.
    let e = Document::parse(
        format!(r#"<r xmlns:p="{uri}" xmlns:q="{uri}"><e p:a="1" q:a="2"/></r>"#).as_bytes(),
        &Limits::default(),
    );
    assert!(
        matches!(e, Err(XmlError::DuplicateAttribute { .. })),
        "{e:?}"
    );
}
