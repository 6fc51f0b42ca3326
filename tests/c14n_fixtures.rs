//! Our canonicalization against libxml2's, byte for byte: every entry of
//! tests/c14n/manifest.json (outputs made by xmllint and xmlsec1, see tests/c14n/README.md).

use std::path::Path;

use serde::Deserialize;
use sso_scim::xml::{canonicalize, canonicalize_document, C14nMethod, Document, Limits};

#[derive(Deserialize)]
struct Entry {
    case: String,
    scope: String,
    method: String,
    #[serde(default)]
    prefixes: Vec<String>,
    expected: String,
    producer: String,
}

#[test]
fn canonical_forms_match_libxml2() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c14n");
    let entries: Vec<Entry> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert!(entries.len() > 300, "only {} fixtures", entries.len());
    let mut failures = Vec::new();
    let mut by_method = std::collections::BTreeMap::new();
    for e in &entries {
        let input = std::fs::read(dir.join(&e.case)).unwrap();
        let expected = std::fs::read(dir.join(&e.expected)).unwrap();
        let doc = Document::parse(&input, &Limits::default())
            .unwrap_or_else(|err| panic!("{}: {err}", e.case));
        let method = match e.method.as_str() {
            "exc" => C14nMethod::Exclusive {
                inclusive_prefixes: e.prefixes.clone(),
            },
            "c14n10" => C14nMethod::Inclusive10,
            "c14n11" => C14nMethod::Inclusive11,
            m => panic!("unknown method {m}"),
        };
        let mut out = Vec::new();
        let result = match e.scope.as_str() {
            "document" => canonicalize_document(&doc, &method, None, &mut out),
            "subtree" => {
                let target = doc
                    .elements()
                    .find(|x| x.attribute("ID") == Some("target"))
                    .expect("ID=target");
                canonicalize(&doc, target.id(), &method, None, &mut out)
            }
            s => panic!("unknown scope {s}"),
        };
        *by_method
            .entry(format!("{}/{}", e.scope, e.method))
            .or_insert(0) += 1;
        match result {
            Err(err) => failures.push(format!("{} ({}): error {err}", e.expected, e.producer)),
            Ok(()) if out != expected => failures.push(format!(
                "{} ({}):\n  want {:?}\n  got  {:?}",
                e.expected,
                e.producer,
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&out)
            )),
            Ok(()) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ:\n{}",
        failures.len(),
        entries.len(),
        failures.join("\n")
    );
    eprintln!("{} fixtures match: {by_method:?}", entries.len());
}
