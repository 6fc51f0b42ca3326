//! Replays every committed fuzz input (fuzz/corpus/<target>/ and fuzz/artifacts/<target>/)
//! through the fuzz target bodies, so each crash ever found stays a regression test and the
//! seed corpora keep exercising the properties the targets assert.

mod fuzz_harness;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in ["corpus", "artifacts"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "fuzz input {} panics", f.display());
            count += 1;
        }
    }
    count
}

#[test]
fn validate_corpus() {
    assert!(replay("validate", fuzz_harness::validate) >= 30);
}

#[test]
fn c14n_corpus() {
    assert!(replay("c14n", fuzz_harness::c14n) >= 30);
}

#[test]
fn xml_tree_corpus() {
    assert!(replay("xml_tree", fuzz_harness::xml_tree) >= 30);
}

#[test]
fn scim_filter_corpus() {
    assert!(replay("scim_filter", fuzz_harness::scim_filter) >= 10);
}

#[test]
fn scim_patch_corpus() {
    assert!(replay("scim_patch", fuzz_harness::scim_patch) >= 5);
}

#[test]
fn email_corpus() {
    assert!(replay("email", fuzz_harness::email) >= 10);
}

#[test]
fn domain_claim_corpus() {
    assert!(replay("domain_claim", fuzz_harness::domain_claim) >= 10);
}

#[test]
fn idp_metadata_corpus() {
    assert!(replay("idp_metadata", fuzz_harness::idp_metadata) >= 10);
}

#[test]
fn authn_request_corpus() {
    assert!(replay("authn_request", fuzz_harness::authn_request) >= 10);
}

#[cfg(feature = "encrypted-assertions")]
#[test]
fn decrypt_corpus() {
    assert!(replay("decrypt", fuzz_harness::decrypt) >= 8);
    // The harness reaches both sides of its property: the IdP-signed assertion, encrypted by
    // the harness, validates; the same assertion changed is the one decryption error.
    let seed = |name: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus/decrypt")
            .join(name);
        std::fs::read(path).unwrap()[1..].to_vec()
    };
    assert_eq!(
        fuzz_harness::plaintext_outcome(&seed("plain-signed-assertion")),
        Ok("jane.doe@example.com".to_owned())
    );
    for refused in [
        "plain-changed-name-id",
        "plain-two-assertions",
        "plain-empty",
        "plain-doctype",
    ] {
        assert_eq!(
            fuzz_harness::plaintext_outcome(&seed(refused)),
            Err("decryption".to_owned()),
            "{refused}"
        );
    }
}

#[cfg(not(feature = "encrypted-assertions"))]
#[test]
fn decrypt_corpus() {
    eprintln!("SKIPPED decrypt_corpus: build with --features encrypted-assertions (.ci/run does)");
}
