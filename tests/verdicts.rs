//! The parser, the canonicalizer and the validator give every committed input the verdict they
//! gave when `tests/data/verdicts.txt` was recorded: the same accepted tree, the same canonical
//! bytes, the same claims, or the same error (code and details, offsets included).
//!
//! The inputs are the fuzz corpora (`fuzz/corpus/{xml_tree,c14n,validate}`), the SAML vectors
//! (`tests/vectors`, `tests/vectors-extra`) and the benches' large response. The snapshot was
//! recorded before the validation path was rebuilt for speed (issue 13), so a rewrite that changes
//! any verdict fails here, naming the input. When a verdict changes on purpose, re-record with
//! `SSO_SCIM_WRITE_VERDICTS=1 cargo test --test verdicts` and explain the difference in the commit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sso_scim::xml::{canonicalize, canonicalize_document, C14nMethod, Document, Limits, Node};
use sso_scim::{AssertionValidator, RequestState, SsoConfig, Timestamp};

/// FNV-1a, 64 bits: a stable digest of a long verdict.
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// Every file under `dir`, depth first, sorted.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Everything the tree says about a document, as text.
fn tree_verdict(data: &[u8]) -> String {
    let doc = match Document::parse(data, &Limits::default()) {
        Ok(d) => d,
        Err(e) => return format!("err {e:?}"),
    };
    let mut s = String::new();
    for n in doc.top_level() {
        if let Node::ProcessingInstruction { target, data } = n {
            write!(s, "pi {target:?} {data:?};").unwrap();
        }
    }
    for e in doc.elements() {
        write!(
            s,
            "<{} {{{}}}{} p={:?} d={}",
            e.qualified_name(),
            e.namespace(),
            e.local_name(),
            e.prefix(),
            e.depth()
        )
        .unwrap();
        for (p, u) in e.namespace_declarations() {
            write!(s, " ns {p:?}={u:?}").unwrap();
        }
        for a in e.attributes() {
            write!(
                s,
                " @{} {{{}}}{}={:?}",
                a.qualified_name, a.namespace, a.local_name, a.value
            )
            .unwrap();
        }
        for c in e.children() {
            match c {
                Node::Element(c) => write!(s, " e{}", c.local_name()).unwrap(),
                Node::Text(t) => write!(s, " t{t:?}").unwrap(),
                Node::ProcessingInstruction { target, data } => {
                    write!(s, " pi{target:?}{data:?}").unwrap()
                }
            }
        }
        match e.text() {
            Ok(t) => write!(s, " text={t:?}").unwrap(),
            Err(err) => write!(s, " text-err={err:?}").unwrap(),
        }
        s.push('\n');
    }
    format!("ok nodes={} {:016x}", doc.node_count(), fnv(s.as_bytes()))
}

/// The canonical forms of the document and of its first 64 elements, by every method.
fn c14n_verdict(data: &[u8]) -> String {
    let doc = match Document::parse(data, &Limits::default()) {
        Ok(d) => d,
        Err(e) => return format!("err {e:?}"),
    };
    let methods = [
        C14nMethod::Inclusive10,
        C14nMethod::Inclusive11,
        C14nMethod::exclusive(),
        C14nMethod::exclusive_with_prefix_list("#default xs saml"),
    ];
    let mut all = Vec::new();
    for m in &methods {
        let mut out = Vec::new();
        match canonicalize_document(&doc, m, None, &mut out) {
            Ok(()) => all.extend_from_slice(&out),
            Err(e) => all.extend_from_slice(format!("err {e:?}").as_bytes()),
        }
        for e in doc.elements().take(64) {
            let mut sub = Vec::new();
            match canonicalize(&doc, e.id(), m, None, &mut sub) {
                Ok(()) => all.extend_from_slice(&sub),
                Err(e) => all.extend_from_slice(format!("err {e:?}").as_bytes()),
            }
            let first_child = e.child_elements().next().map(|c| c.id());
            let mut without = Vec::new();
            match canonicalize(&doc, e.id(), m, first_child, &mut without) {
                Ok(()) => all.extend_from_slice(&without),
                Err(e) => all.extend_from_slice(format!("err {e:?}").as_bytes()),
            }
        }
    }
    format!("ok {:016x} {}", fnv(&all), all.len())
}

fn validator() -> AssertionValidator {
    let config = SsoConfig::builder()
        .idp_certificate(include_str!("vectors/generated/idp-cert.pem"))
        .idp_sso_url("https://dev-123.okta.com/app/x/exkTEST/sso/saml")
        .idp_issuer("http://www.okta.com/exkTEST")
        .sp_entity_id("https://sp.example.com/saml/metadata")
        .acs_url("https://sp.example.com/saml/acs")
        .allow_idp_initiated(true)
        .build()
        .expect("config");
    AssertionValidator::new(config)
}

/// The validator's verdict on the bytes as a form value and as raw XML, with and without an
/// outstanding request.
fn validate_verdict(v: &AssertionValidator, data: &[u8]) -> String {
    let now = Timestamp::from_unix_seconds(1_768_471_230);
    let ids = ["_4f1c2a9e-3b7d-4c1a-9e2f-6a8b0c1d2e3f"];
    let mut s = String::new();
    for requests in [RequestState::stateless(), RequestState::outstanding(&ids)] {
        for raw in [false, true] {
            let r = if raw {
                v.validate_xml(data, &requests, now)
            } else {
                v.validate(data, &requests, now)
            };
            match r {
                Ok(p) => write!(s, "ok {p:?};").unwrap(),
                Err(e) => write!(s, "{} {e:?};", e.code()).unwrap(),
            }
        }
    }
    // Short verdicts stay readable in the snapshot; long ones are digested.
    if s.len() <= 160 {
        s
    } else {
        let kinds: Vec<&str> = s
            .split(';')
            .filter(|p| !p.is_empty())
            .map(|p| p.split(' ').next().unwrap_or(""))
            .collect();
        format!("{} {:016x}", kinds.join(","), fnv(s.as_bytes()))
    }
}

fn record() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let v = validator();
    let mut out = String::new();
    let rel = |p: &Path| p.strip_prefix(root).unwrap().display().to_string();
    for f in files(&root.join("fuzz/corpus/xml_tree")) {
        let data = std::fs::read(&f).unwrap();
        writeln!(out, "{} tree {}", rel(&f), tree_verdict(&data)).unwrap();
    }
    for f in files(&root.join("fuzz/corpus/c14n")) {
        let data = std::fs::read(&f).unwrap();
        writeln!(out, "{} c14n {}", rel(&f), c14n_verdict(&data)).unwrap();
    }
    let mut saml = files(&root.join("fuzz/corpus/validate"));
    for dir in ["tests/vectors/generated", "tests/vectors-extra"] {
        saml.extend(files(&root.join(dir)));
    }
    saml.extend(walk(&root.join("tests/vectors/external")));
    saml.push(root.join("benches/data/large-256k.xml"));
    saml.push(root.join("benches/data/large-256k.b64"));
    for f in saml {
        let data = std::fs::read(&f).unwrap();
        writeln!(out, "{} saml {}", rel(&f), validate_verdict(&v, &data)).unwrap();
        if f.extension().is_some_and(|e| e == "xml") {
            writeln!(out, "{} tree {}", rel(&f), tree_verdict(&data)).unwrap();
            writeln!(out, "{} c14n {}", rel(&f), c14n_verdict(&data)).unwrap();
        }
    }
    out
}

#[test]
fn every_recorded_input_keeps_its_verdict() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/verdicts.txt");
    let now = record();
    if std::env::var_os("SSO_SCIM_WRITE_VERDICTS").is_some() {
        std::fs::write(&path, &now).unwrap();
        eprintln!(
            "recorded {} verdicts in {}",
            now.lines().count(),
            path.display()
        );
        return;
    }
    let before = std::fs::read_to_string(&path).expect("tests/data/verdicts.txt is committed");
    let mut changed = Vec::new();
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = now.lines().collect();
    assert!(
        new.len() >= old.len(),
        "inputs went missing: {} verdicts recorded, {} now",
        old.len(),
        new.len()
    );
    for (o, n) in old.iter().zip(&new) {
        if o != n {
            changed.push(format!("  was: {o}\n  now: {n}"));
        }
    }
    assert!(
        changed.is_empty(),
        "{} of {} verdicts changed:\n{}",
        changed.len(),
        old.len(),
        changed
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(old.len() > 5_000, "only {} verdicts recorded", old.len());
}
