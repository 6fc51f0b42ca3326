//! The parser's behaviour: what it builds, what it refuses, the limits it holds.

use super::document::prefix_key;
use super::*;
use crate::error::XmlError;

fn parse(s: &str) -> Result<Document, XmlError> {
    Document::parse(s.as_bytes(), &Limits::default())
}

#[test]
fn builds_namespaced_tree() {
    let d = parse(r#"<?xml version="1.0" encoding="utf-8"?><p:r xmlns:p="urn:p" xmlns="urn:d" a="1" p:b="2"><c>x</c><p:d/></p:r>"#).unwrap();
    let r = d.root();
    assert!(r.is("urn:p", "r"));
    assert_eq!(r.prefix(), "p");
    assert_eq!(r.attribute("a"), Some("1"));
    assert_eq!(r.attribute_ns("urn:p", "b"), Some("2"));
    assert_eq!(r.attribute("b"), None);
    let kids: Vec<_> = r.child_elements().collect();
    assert!(kids[0].is("urn:d", "c"));
    assert_eq!(kids[0].text().unwrap(), "x");
    assert!(kids[1].is("urn:p", "d"));
    assert_eq!(kids[1].parent(), Some(r));
    assert_eq!(r.descendants().count(), 2);
    assert_eq!(kids[0].lookup_namespace(""), Some("urn:d"));
}

#[test]
fn text_is_never_truncated() {
    let d = parse("<a>admin@example.com<!-- x -->.evil.com<?pi x?>&amp;<![CDATA[<b>]]>&#x41;</a>")
        .unwrap();
    assert_eq!(d.root().text().unwrap(), "admin@example.com.evil.com&<b>A");
    let nested = parse("<a>x<b/>y</a>").unwrap();
    assert!(matches!(
        nested.root().text(),
        Err(XmlError::NotText { .. })
    ));
}

#[test]
fn line_endings_and_attribute_normalization() {
    let d = parse("<a x=\"1\r\n2\t3&#xA;\">l1\r\nl2\rl3&#13;</a>").unwrap();
    assert_eq!(d.root().attribute("x"), Some("1 2 3\n"));
    assert_eq!(d.root().text().unwrap(), "l1\nl2\nl3\r");
    let bom = Document::parse(b"\xEF\xBB\xBF<a/>", &Limits::default()).unwrap();
    assert_eq!(bom.root().local_name(), "a");
}

#[test]
fn refuses_what_it_must() {
    type Check = fn(&XmlError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>", |e| {
            matches!(e, XmlError::Doctype { .. })
        }),
        ("<a>&e;</a>", |e| {
            matches!(e, XmlError::UndefinedEntity { .. })
        }),
        ("<a>&#0;</a>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a>\u{1}</a>", |e| {
            matches!(e, XmlError::IllegalCharacter { .. })
        }),
        ("<p:a/>", |e| matches!(e, XmlError::UnboundPrefix { .. })),
        ("<a p:x='1'/>", |e| {
            matches!(e, XmlError::UnboundPrefix { .. })
        }),
        ("<a xmlns:p='u:1' xmlns:q='u:1' p:x='1' q:x='2'/>", |e| {
            matches!(e, XmlError::DuplicateAttribute { .. })
        }),
        ("<a x='1' x='2'/>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a xmlns:p=''/>", |e| {
            matches!(e, XmlError::Namespace { .. })
        }),
        ("<a xmlns:p='rel/ative'/>", |e| {
            matches!(e, XmlError::Namespace { .. })
        }),
        ("<a xmlns:p='http://www.\u{7f}3.org/'/>", |e| {
            matches!(e, XmlError::Namespace { .. })
        }),
        ("<a xmlns:p='urn:a b'/>", |e| {
            matches!(e, XmlError::Namespace { .. })
        }),
        ("<a xmlns:p='urn:%zz'/>", |e| {
            matches!(e, XmlError::Namespace { .. })
        }),
        ("<a xmlns:p='urn:é'/>", |e| {
            matches!(e, XmlError::Namespace { .. })
        }),
        ("<a xmlns:xml='urn:x'/>", |e| {
            matches!(e, XmlError::Namespace { .. })
        }),
        ("<a xmlns:xmlns='urn:x'/>", |e| {
            matches!(e, XmlError::Namespace { .. })
        }),
        ("<a/><b/>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a></b>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a>", |e| matches!(e, XmlError::Syntax { .. })),
        ("", |e| matches!(e, XmlError::Syntax { .. })),
        ("text<a/>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a/>text", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a>]]></a>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a x='<'/>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a x='&'/>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a>&</a>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a><!-- a -- b --></a>", |e| {
            matches!(e, XmlError::Syntax { .. })
        }),
        ("<?xml version='1.1'?><a/>", |e| {
            matches!(e, XmlError::Syntax { .. })
        }),
        ("<?xml version='1.0' encoding='ISO-8859-1'?><a/>", |e| {
            matches!(e, XmlError::UnsupportedEncoding { .. })
        }),
        ("<a/><?xml version='1.0'?>", |e| {
            matches!(e, XmlError::Syntax { .. })
        }),
        ("<1a/>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a:b:c xmlns:a='u:a'/>", |e| {
            matches!(e, XmlError::Syntax { .. })
        }),
        ("<xmlns:a/>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a x='1' :x='2'/>", |e| {
            matches!(e, XmlError::Syntax { .. })
        }),
        ("<:a/>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a: xmlns:a='u:a'/>", |e| {
            matches!(e, XmlError::Syntax { .. })
        }),
        ("<a xmlns:='u:a'/>", |e| {
            matches!(e, XmlError::Syntax { .. })
        }),
    ];
    for (input, ok) in cases {
        match parse(input) {
            Err(e) => assert!(ok(&e), "{input:?} gave {e:?}"),
            Ok(_) => panic!("{input:?} accepted"),
        }
    }
    assert!(matches!(
        Document::parse(&[0xFF, 0xFE, b'<', 0], &Limits::default()),
        Err(XmlError::UnsupportedEncoding { .. })
    ));
    assert!(matches!(
        Document::parse(b"<a>\xC3</a>", &Limits::default()),
        Err(XmlError::NotUtf8 { offset: 3 })
    ));
}

#[test]
fn limits_hold() {
    let small = Limits::default().with_max_bytes(10);
    assert!(matches!(
        Document::parse(b"<a>0123456789</a>", &small),
        Err(XmlError::TooLarge { .. })
    ));
    let deep = "<a>".repeat(65) + &"</a>".repeat(65);
    assert!(matches!(
        parse(&deep),
        Err(XmlError::LimitExceeded {
            what: "element depth",
            ..
        })
    ));
    let ok = "<a>".repeat(64) + &"</a>".repeat(64);
    assert!(parse(&ok).is_ok());
    let many = format!("<a>{}</a>", "<b/>".repeat(20_000));
    assert!(matches!(
        parse(&many),
        Err(XmlError::LimitExceeded { what: "nodes", .. })
    ));
    let attrs: String = (0..65).map(|i| format!(" a{i}='x'")).collect();
    assert!(matches!(
        parse(&format!("<a{attrs}/>")),
        Err(XmlError::LimitExceeded { .. })
    ));
}

#[test]
fn namespace_declarations_are_bounded_in_scope_not_per_sibling() {
    // Okta declares xs and xsi on every AttributeValue: thousands of siblings, few in scope.
    let value = r#"<v xmlns:xs="urn:xs" xmlns:xsi="urn:xsi" xsi:type="xs:string">g</v>"#;
    let doc = parse(&format!("<r>{}</r>", value.repeat(3_000))).unwrap();
    assert_eq!(doc.elements().count(), 3_001);
    // 64 in scope parse; the 65th is refused, however it is spread over the open elements.
    let decls = |from: usize, n: usize| -> String {
        (from..from + n)
            .map(|i| format!(" xmlns:p{i}='urn:{i}'"))
            .collect()
    };
    assert!(parse(&format!(
        "<a{}><b{}><p0:c/></b></a>",
        decls(0, 40),
        decls(40, 24)
    ))
    .is_ok());
    for doc in [
        format!("<a{}><b{}/></a>", decls(0, 40), decls(40, 25)),
        format!(
            "<a{}><b{}><c{}/></b></a>",
            decls(0, 1),
            decls(1, 63),
            decls(64, 1)
        ),
    ] {
        assert!(
            matches!(
                parse(&doc),
                Err(XmlError::LimitExceeded {
                    what: "namespace declarations in scope",
                    limit: 64,
                    ..
                })
            ),
            "{doc}"
        );
    }
    // Closing an element takes its declarations out of scope.
    let sibling = format!("<b{}/>", decls(0, 60));
    assert!(parse(&format!("<a>{}</a>", sibling.repeat(5))).is_ok());
    let open = format!("<b{}><c/></b>", decls(0, 60));
    assert!(parse(&format!("<a>{}</a>", open.repeat(5))).is_ok());
    // Total declarations stay bounded.
    let limits = Limits {
        max_namespace_declarations: 100,
        ..Limits::default()
    };
    let many = format!("<r>{}</r>", value.repeat(51));
    assert!(matches!(
        Document::parse(many.as_bytes(), &limits),
        Err(XmlError::LimitExceeded {
            what: "namespace declarations",
            limit: 100,
            ..
        })
    ));
}

#[test]
fn prefix_keys_separate_prefixes() {
    for (a, b) in [("a", "b"), ("ab", "a"), ("abcdefg", "abcdefgh"), ("", "a")] {
        assert_ne!(prefix_key(a), prefix_key(b), "{a} {b}");
    }
    assert_eq!(prefix_key("abcdefgXY"), prefix_key("abcdefgZW"));
    let d = parse("<r xmlns:abcdefgXY='urn:1' xmlns:abcdefgZW='urn:2'><abcdefgZW:x/></r>").unwrap();
    let x = d.elements().nth(1).unwrap();
    assert_eq!(x.namespace(), "urn:2");
}

#[test]
fn document_order_and_top_level() {
    let d = parse("<?a x?><r><b><c/></b><d/></r><?z?>").unwrap();
    let names: Vec<_> = d.elements().map(|e| e.local_name().to_owned()).collect();
    assert_eq!(names, ["r", "b", "c", "d"]);
    assert_eq!(d.top_level().count(), 3);
    let b = d.root().child_elements().next().unwrap();
    assert_eq!(
        b.descendants().map(|e| e.local_name()).collect::<Vec<_>>(),
        ["c"]
    );
}

#[test]
fn duplicates_are_found_among_many_attributes_of_one_length() {
    // The checks compare name hashes first: every pair must still be seen.
    let many: String = (0..60).map(|i| format!(" n{i:03}=''")).collect();
    assert!(parse(&format!("<a{many}/>")).is_ok());
    for dup in ["n000", "n031", "n059"] {
        let e = parse(&format!("<a{many} {dup}='x'/>")).unwrap_err();
        assert!(matches!(e, XmlError::Syntax { .. }), "{dup}: {e:?}");
    }
    let prefixed: String = (0..30).map(|i| format!(" p:n{i:03}=''")).collect();
    let distinct = format!("<a xmlns:p='u:1' xmlns:q='u:2'{prefixed} q:n007='' n007=''/>");
    assert!(parse(&distinct).is_ok());
    for dup in ["n000", "n017", "n029"] {
        let same_ns = format!("<a xmlns:p='u:1' xmlns:q='u:1'{prefixed} q:{dup}=''/>");
        let e = parse(&same_ns).unwrap_err();
        assert!(
            matches!(e, XmlError::DuplicateAttribute { .. }),
            "{dup}: {e:?}"
        );
    }
}

#[test]
fn same_start_tag_compares_what_a_canonical_form_sees() {
    let d = Document::parse(
        br#"<r xmlns:p="urn:p"><p:x xmlns:q="urn:q" q:a="1" b="2"/><p:x xmlns:q="urn:q" q:a="1" b="2">t</p:x><p:x xmlns:q="urn:q" q:a="1" b="3"/><p:x xmlns:q="urn:Q" q:a="1" b="2"/><p:x xmlns:q="urn:q" q:a="1"  b="2"/><p:x xmlns:q="urn:q" q:a="&#49;" b="2"/><p:y xmlns:q="urn:q" q:a="1" b="2"/><p:x b="2" xmlns:q="urn:q" q:a="1"/></r>"#,
        &Limits::default(),
    )
    .unwrap();
    let e: Vec<_> = d.root().child_elements().collect();
    let same: Vec<bool> = e.iter().map(|x| e[0].same_start_tag(x)).collect();
    // Itself; a copy (content does not count); another value; another namespace URI; one more
    // space (the strings compared one by one); a reference with the same value; another name;
    // another order.
    assert_eq!(same, [true, true, false, false, true, true, false, false]);
    // Across documents, string by string.
    let o = Document::parse(
        br#"<p:x xmlns:p="urn:p" xmlns:q="urn:q" q:a="1" b="2"/>"#,
        &Limits::default(),
    )
    .unwrap();
    let other = Document::parse(
        br#"<s xmlns:p="urn:p"><p:x xmlns:q="urn:q" q:a="1" b="2"/></s>"#,
        &Limits::default(),
    )
    .unwrap();
    let inner = other.root().child_elements().next().unwrap();
    assert!(e[0].same_start_tag(&inner));
    assert!(!e[0].same_start_tag(&o.root()), "declares p itself");
}

#[test]
fn a_start_tag_written_as_its_previous_siblings_is_marked() {
    let d = parse(
        r#"<r><x a="1"/> <x a="1"/><x a="1">t</x><x a="1"/><?p?>t<x a="1"/><s><x a="1"/></s><x a="1"/><x a='1'/></r>"#,
    )
    .unwrap();
    let marks: Vec<bool> = d.elements().map(|e| e.marked_as_repeat()).collect();
    // `<x a="1"/>` and `<x a="1">` are written differently; the `x` in `s` follows `<s>`; the
    // `x` after `s` follows a start tag that was not its sibling's; quotes differ in the last.
    assert_eq!(
        marks,
        [false, false, true, false, false, true, false, false, false, false]
    );
    // Depths are unchanged by the mark.
    let depths: Vec<usize> = d.elements().map(|e| e.depth()).collect();
    assert_eq!(depths, [1, 2, 2, 2, 2, 2, 2, 3, 2, 2]);
    // The same start tag (by the mark or by comparison), however many nodes lie between: the
    // first five `x`, siblings written with the same quotes.
    let x: Vec<Element<'_>> = d.elements().filter(|e| e.local_name() == "x").collect();
    for w in x[..5].windows(2) {
        assert!(w[0].same_start_tag(&w[1]), "{:?}", w[1]);
    }
}
