//! Tampering with every valid vector, with the canonical form as oracle.
//!
//! For each valid vector (legacy ones with the opt-in) we generate mutations of the raw XML:
//! elements removed, duplicated or swapped with their next sibling; attributes added, removed or
//! changed; text changed; whitespace added between elements; and syntactic changes that XML
//! canonicalization erases (quote style, whitespace inside tags, an unused namespace declaration).
//!
//! The oracle is the canonical form of every signed element (minus its own signature), of each
//! SignedInfo, and the decoded SignatureValue, computed on the original and on the mutated document:
//! - if any of them changed for an element that is still signed, validation must fail;
//! - a canonicalization-erased mutation that leaves them unchanged must validate, with the same claims;
//! - any other mutation that validates must yield exactly the original claims (unsigned content
//!   never changes what a login sees).

mod common;

use common::{all_vectors, block_on, Vector};
use sso_scim::xml::{canonicalize, C14nMethod, Document, Element, Limits, Node};
use sso_scim::{MemoryReplayCache, RequestState, VerifiedAssertion};

const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Erased by canonicalization: must validate when the oracle agrees.
    Benign,
    /// Changes content.
    Content,
}

struct Mutation {
    what: String,
    kind: Kind,
    xml: String,
}

struct Tag {
    start: usize,
    end: usize,
    name_end: usize,
    /// (attribute start, value start, value end, quote char)
    attrs: Vec<(usize, usize, usize, u8)>,
}

fn scan_attrs(src: &str, start: usize, end: usize) -> (usize, Vec<(usize, usize, usize, u8)>) {
    let b = src.as_bytes();
    let mut i = start + 1;
    while i < end && !b[i].is_ascii_whitespace() && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name_end = i;
    let mut attrs = Vec::new();
    loop {
        while i < end && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= end || b[i] == b'/' || b[i] == b'>' {
            break;
        }
        let a_start = i;
        while b[i] != b'=' {
            i += 1;
        }
        i += 1;
        while b[i].is_ascii_whitespace() {
            i += 1;
        }
        let q = b[i];
        let v_start = i + 1;
        i = v_start;
        while b[i] != q {
            i += 1;
        }
        attrs.push((a_start, v_start, i, q));
        i += 1;
    }
    (name_end, attrs)
}

/// Tags, element ranges and text runs of the raw XML.
type Ranges = Vec<(usize, usize)>;

fn tokens(src: &str) -> (Vec<Tag>, Ranges, Ranges) {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(src);
    let mut tags = Vec::new();
    let mut elements = Vec::new();
    let mut texts = Vec::new();
    let mut stack = Vec::new();
    loop {
        let before = r.buffer_position() as usize;
        let ev = r.read_event().expect("valid vectors parse");
        let after = r.buffer_position() as usize;
        match ev {
            Event::Start(_) | Event::Empty(_) => {
                let (name_end, attrs) = scan_attrs(src, before, after);
                tags.push(Tag {
                    start: before,
                    end: after,
                    name_end,
                    attrs,
                });
                if matches!(ev, Event::Start(_)) {
                    stack.push(before);
                } else {
                    elements.push((before, after));
                }
            }
            Event::End(_) => {
                let s = stack.pop().expect("balanced");
                elements.push((s, after));
            }
            Event::Text(_) if !stack.is_empty() => texts.push((before, after)),
            Event::Eof => break,
            _ => {}
        }
    }
    (tags, elements, texts)
}

fn splice(src: &str, start: usize, end: usize, with: &str) -> String {
    format!("{}{}{}", &src[..start], with, &src[end..])
}

fn mutations(src: &str) -> Vec<Mutation> {
    let (tags, elements, texts) = tokens(src);
    let mut out = Vec::new();
    let mut push = |what: String, kind: Kind, xml: String| out.push(Mutation { what, kind, xml });
    for (i, &(s, e)) in elements.iter().enumerate() {
        if s == tags[0].start {
            continue; // the root
        }
        let snippet = &src[s..e.min(s + 40)];
        push(
            format!("remove element #{i} {snippet:?}"),
            Kind::Content,
            splice(src, s, e, ""),
        );
        push(
            format!("duplicate element #{i} {snippet:?}"),
            Kind::Content,
            splice(src, e, e, &src[s..e]),
        );
        // Swap with the next sibling element, if the next element starts right after (possibly
        // after whitespace) and is not nested.
        if let Some(&(ns, ne)) = elements
            .iter()
            .find(|&&(ns, _)| ns >= e && src[e..ns].trim().is_empty())
        {
            let swapped = format!(
                "{}{}{}{}{}",
                &src[..s],
                &src[ns..ne],
                &src[e..ns],
                &src[s..e],
                &src[ne..]
            );
            push(
                format!("swap element #{i} with its next sibling"),
                Kind::Content,
                swapped,
            );
        }
    }
    for (t, tag) in tags.iter().enumerate() {
        let at = tag.name_end;
        push(
            format!("add attribute to tag #{t}"),
            Kind::Content,
            splice(src, at, at, " mutated=\"x\""),
        );
        push(
            format!("unused namespace declaration on tag #{t}"),
            Kind::Benign,
            splice(src, at, at, " xmlns:unused=\"urn:example:unused\""),
        );
        if !tag.attrs.is_empty() {
            // Whitespace inside the tag: before every attribute and before the closing bracket.
            let mut x = src[..tag.start].to_owned();
            let mut last = tag.start;
            for &(a, _, _, _) in &tag.attrs {
                x.push_str(src[last..a].trim_end());
                x.push_str("\n\t  ");
                last = a;
            }
            let close = if src[..tag.end].ends_with("/>") {
                tag.end - 2
            } else {
                tag.end - 1
            };
            x.push_str(&src[last..close]);
            x.push_str("  ");
            x.push_str(&src[close..]);
            push(format!("whitespace inside tag #{t}"), Kind::Benign, x);
        }
        for (k, &(a, vs, ve, q)) in tag.attrs.iter().enumerate() {
            let value = &src[vs..ve];
            let name = &src[a..vs - 2];
            if !name.starts_with("xmlns") {
                push(
                    format!("remove attribute {name} of tag #{t}"),
                    Kind::Content,
                    splice(src, a - 1, ve + 1, ""),
                );
                push(
                    format!("change attribute {name} of tag #{t}"),
                    Kind::Content,
                    splice(src, ve, ve, "x"),
                );
            }
            let other = if q == b'"' { '\'' } else { '"' };
            if !value.contains(other) {
                let mut x = src.to_owned();
                x.replace_range(vs - 1..vs, &other.to_string());
                x.replace_range(ve..ve + 1, &other.to_string());
                push(
                    format!("quote style of attribute #{k} of tag #{t}"),
                    Kind::Benign,
                    x,
                );
            }
        }
    }
    for (i, &(s, e)) in texts.iter().enumerate() {
        let text = &src[s..e];
        if text.trim().is_empty() {
            push(
                format!("add whitespace to text run #{i}"),
                Kind::Content,
                splice(src, e, e, " "),
            );
        } else if let Some((j, c)) = text.char_indices().find(|(_, c)| c.is_ascii_alphanumeric()) {
            let repl = if c == 'A' { "B" } else { "A" };
            push(
                format!("change text run #{i} {:?}", &text[..text.len().min(30)]),
                Kind::Content,
                splice(src, s + j, s + j + 1, repl),
            );
        }
    }
    out
}

/// The oracle: for the Response and the Assertion, `None` when unsigned, else the canonical bytes of
/// the part (minus its signature), of its SignedInfo, and the signature value. The whole result is
/// `None` when the structure they depend on is gone (no single Assertion, repeated signatures, ...).
type PartState = Option<Vec<Vec<u8>>>;

fn signed_state(xml: &str) -> Option<Vec<PartState>> {
    let doc = Document::parse(xml.as_bytes(), &Limits::default()).ok()?;
    let root = doc.root();
    let assertions: Vec<Element<'_>> = doc.elements().filter(|e| e.is(SAML, "Assertion")).collect();
    let mut parts = vec![root];
    if let [a] = assertions.as_slice() {
        parts.push(*a);
    } else {
        return None;
    }
    let mut state = Vec::new();
    for part in parts {
        let sigs: Vec<Element<'_>> = part.children_named(DSIG, "Signature").collect();
        let sig = match sigs.as_slice() {
            [] => {
                state.push(None);
                continue;
            }
            [s] => *s,
            _ => return None,
        };
        let si = sig.children_named(DSIG, "SignedInfo").next()?;
        let transform = si
            .descendants()
            .filter(|e| e.is(DSIG, "Transform"))
            .nth(1)?;
        let method = c14n_of(transform)?;
        let cm = c14n_of(si.children_named(DSIG, "CanonicalizationMethod").next()?)?;
        let mut bytes = Vec::new();
        canonicalize(&doc, part.id(), &method, Some(sig.id()), &mut bytes).ok()?;
        let mut si_bytes = Vec::new();
        canonicalize(&doc, si.id(), &cm, None, &mut si_bytes).ok()?;
        let sv = sig
            .children_named(DSIG, "SignatureValue")
            .next()?
            .text()
            .ok()?;
        state.push(Some(vec![
            bytes,
            si_bytes,
            sv.split_whitespace().collect::<String>().into_bytes(),
        ]));
    }
    Some(state)
}

fn c14n_of(e: Element<'_>) -> Option<C14nMethod> {
    match e.attribute("Algorithm")? {
        "http://www.w3.org/2001/10/xml-exc-c14n#" => {
            let list = e
                .children()
                .find_map(|n| match n {
                    Node::Element(inc) => inc.attribute("PrefixList"),
                    _ => None,
                })
                .unwrap_or("");
            Some(C14nMethod::exclusive_with_prefix_list(list))
        }
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315" => Some(C14nMethod::Inclusive10),
        "http://www.w3.org/2006/12/xml-c14n11" => Some(C14nMethod::Inclusive11),
        _ => None,
    }
}

fn validate(v: &Vector, legacy: bool, xml: &str) -> Result<VerifiedAssertion, String> {
    let ids = v.request_ids();
    let pending = v
        .validator(legacy)
        .validate_xml(xml.as_bytes(), &RequestState::outstanding(&ids), v.now())
        .map_err(|e| format!("{}: {e}", e.code()))?;
    block_on(pending.consume(&MemoryReplayCache::new())).map_err(|e| e.to_string())
}

#[test]
fn tampering_with_signed_content_always_fails() {
    let mut seen = std::collections::HashSet::new();
    let (mut total, mut must_fail, mut benign_pass, mut other_pass) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for v in all_vectors() {
        let legacy = v.needs.is_some();
        let expect = if legacy {
            v.expect_with_legacy.clone().unwrap_or_default()
        } else {
            v.expect.clone()
        };
        if expect != "valid" || v.encoding.is_some() {
            continue;
        }
        let src = String::from_utf8(v.bytes()).expect("utf-8 vector");
        let src = src.trim_start_matches('\u{feff}').to_owned();
        if !seen.insert(src.clone()) {
            continue;
        }
        let original = validate(&v, legacy, &src).expect("valid vector validates");
        let base = signed_state(&src).expect("oracle reads the original");
        for m in mutations(&src) {
            total += 1;
            // Changed: a part that is signed in the mutated document differs from the original
            // part (a part whose signature was removed is judged by the claims check instead).
            let changed = signed_state(&m.xml).is_none_or(|s| {
                s.iter()
                    .zip(&base)
                    .any(|(now, before)| now.is_some() && now != before)
            });
            let result = validate(&v, legacy, &m.xml);
            match (&result, changed, m.kind) {
                (Ok(_), true, _) => failures.push(format!(
                    "{}: {} changed signed content but validated",
                    v.file, m.what
                )),
                (Err(_), true, _) => must_fail += 1,
                (Err(e), false, Kind::Benign) => failures.push(format!(
                    "{}: {} leaves the canonical form unchanged but failed: {e}",
                    v.file, m.what
                )),
                (Ok(a), false, kind) => {
                    if a != &original {
                        failures.push(format!(
                            "{}: {} validated with different claims",
                            v.file, m.what
                        ));
                    } else if kind == Kind::Benign {
                        benign_pass += 1;
                    } else {
                        other_pass += 1;
                    }
                }
                (Err(_), false, Kind::Content) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} mutations misbehave:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        must_fail > 1000 && benign_pass > 500,
        "too few mutations exercised: {must_fail} / {benign_pass}"
    );
    eprintln!("{total} mutations: {must_fail} changed signed content and failed, {benign_pass} erased by c14n and passed, {other_pass} outside signed content passed with identical claims");
}
