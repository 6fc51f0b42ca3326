//! The `saml_inspect` example is a stable external contract: flags, JSON shape and exit codes.
//! `cargo test` builds the examples next to the test binaries; this test runs the real binary over
//! every manifest vector.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::{all_vectors, manifest, vectors_dir, Vector};
use serde_json::Value;

fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|p| p.parent()).unwrap();
    let bin = dir
        .join("examples")
        .join(format!("saml_inspect{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} not built (cargo test builds examples)",
        bin.display()
    );
    bin
}

fn args_for(v: &Vector, legacy: bool) -> Vec<String> {
    let mut a = vec![
        "--json".to_owned(),
        "--idp-cert".into(),
        v.dir.join(&v.idp_cert).display().to_string(),
        "--idp-issuer".into(),
        v.idp_issuer.clone(),
        "--sp-entity-id".into(),
        v.sp_entity_id.clone(),
        "--acs-url".into(),
        v.acs_url(),
        "--now".into(),
        v.now.clone(),
    ];
    for id in v.request_ids() {
        a.push("--request-id".into());
        a.push(id);
    }
    if let Some(e) = &v.email_attribute {
        a.push("--email-attribute".into());
        a.push(e.clone());
    }
    if v.email.is_none() && (v.expect == "valid" || v.expect_with_legacy.is_some()) {
        a.push("--no-require-email".into());
    }
    if legacy {
        a.push("--insecure-allow-sha1".into());
    }
    a.push(v.dir.join(&v.file).display().to_string());
    a
}

fn run(args: &[String]) -> (i32, Value, Output) {
    let out = Command::new(binary()).args(args).output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (code, json, out)
}

#[test]
fn json_verdicts_match_the_manifest() {
    let mut checked = 0;
    for v in all_vectors() {
        let mut runs = vec![(false, v.expect.clone())];
        if let Some(w) = &v.expect_with_legacy {
            runs.push((true, w.clone()));
        }
        for (legacy, expect) in runs {
            let (code, json, out) = run(&args_for(&v, legacy));
            let ctx = format!(
                "{} legacy={legacy}: {}",
                v.file,
                String::from_utf8_lossy(&out.stderr)
            );
            let obj = json
                .as_object()
                .unwrap_or_else(|| panic!("{ctx}: stdout is not a JSON object"));
            if expect == "valid" {
                assert_eq!(code, 0, "{ctx}");
                let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
                assert_eq!(
                    keys,
                    ["assertion_id", "attributes", "email", "name_id", "valid"],
                    "{ctx}"
                );
                assert_eq!(json["valid"], true, "{ctx}");
                if let Some(n) = &v.name_id {
                    assert_eq!(json["name_id"], *n, "{ctx}");
                }
                assert_eq!(json["email"].as_str(), v.email.as_deref(), "{ctx}");
                if let Some(attrs) = &v.attributes {
                    assert_eq!(
                        json["attributes"],
                        serde_json::to_value(attrs).unwrap(),
                        "{ctx}"
                    );
                }
                assert!(
                    json["assertion_id"].as_str().is_some_and(|s| !s.is_empty()),
                    "{ctx}"
                );
            } else {
                assert_eq!(code, 1, "{ctx}");
                let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
                assert_eq!(keys, ["error", "hint", "message", "valid"], "{ctx}");
                assert_eq!(json["valid"], false, "{ctx}");
                let code = json["error"].as_str().unwrap();
                assert!(
                    v.reject.iter().any(|r| r == code),
                    "{ctx}: error {code}, expected one of {:?}",
                    v.reject
                );
                assert!(
                    !json["hint"].as_str().unwrap().is_empty()
                        && !json["message"].as_str().unwrap().is_empty()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 75, "{checked}");
}

#[test]
fn reads_stdin_and_prints_a_human_report() {
    let v = manifest()
        .vectors
        .into_iter()
        .find(|v| v.file.ends_with("valid-both-signed.b64"))
        .unwrap();
    let mut args = args_for(&v, false);
    args.retain(|a| a != "--json");
    *args.last_mut().unwrap() = "-".into();
    let mut child = Command::new(binary())
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &v.bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    for needle in [
        "Destination",
        "Audience",
        "NotOnOrAfter",
        "Signature #1 in <saml2p:Response>",
        "Signature #2 in <saml2:Assertion>",
        "enveloped",
        "VALID",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn request_ids_are_judged_when_given() {
    let v = manifest()
        .vectors
        .into_iter()
        .find(|v| v.file.ends_with("valid-with-inresponseto.xml"))
        .unwrap();
    let mut args = args_for(&v, false);
    let i = args.iter().position(|a| a == "--request-id").unwrap();
    args[i + 1] = "_some-other-request".into();
    let (code, json, _) = run(&args);
    assert_eq!((code, json["error"].as_str()), (1, Some("in_response_to")));
    // Without --request-id: a host without request state that allows IdP-initiated logins.
    args.drain(i..i + 2);
    let (code, json, _) = run(&args);
    assert_eq!((code, json["valid"].as_bool()), (0, Some(true)));
}

#[test]
fn usage_errors_exit_2() {
    let v = manifest().vectors.into_iter().next().unwrap();
    let good = args_for(&v, false);
    let drop_flag = |flag: &str| {
        let mut a = good.clone();
        let i = a.iter().position(|x| x == flag).unwrap();
        a.drain(i..i + 2);
        a
    };
    let mut cases = vec![
        vec![],
        vec!["--bogus".to_owned()],
        drop_flag("--idp-cert"),
        drop_flag("--idp-issuer"),
        drop_flag("--sp-entity-id"),
        drop_flag("--acs-url"),
        good[..good.len() - 1].to_vec(),
    ];
    let mut bad_now = good.clone();
    let i = bad_now.iter().position(|x| x == "--now").unwrap();
    bad_now[i + 1] = "yesterday".into();
    cases.push(bad_now);
    let mut missing_file = good.clone();
    *missing_file.last_mut().unwrap() = "/nonexistent/response.xml".into();
    cases.push(missing_file);
    let mut bad_cert = good.clone();
    let i = bad_cert.iter().position(|x| x == "--idp-cert").unwrap();
    bad_cert[i + 1] = vectors_dir().join("manifest.json").display().to_string();
    cases.push(bad_cert);
    let mut bad_acs = good.clone();
    let i = bad_acs.iter().position(|x| x == "--acs-url").unwrap();
    bad_acs[i + 1] = "not a url".into();
    cases.push(bad_acs);
    for args in cases {
        let (code, _, out) = run(&args);
        assert_eq!(
            code,
            2,
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("usage:"),
            "{args:?}"
        );
    }
}

/// An encrypted response as Okta sends it: described without a key (the certificate it was
/// encrypted for included); with `--sp-key` (feature `encrypted-assertions`) decrypted,
/// matched against the key and validated; without the feature `--sp-key` is a usage error.
#[test]
fn describes_and_decrypts_an_encrypted_response() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors-encrypted");
    let p = |f: &str| dir.join(f).display().to_string();
    let mut args: Vec<String> = [
        "--idp-cert",
        &p("../vectors/generated/idp-cert.pem"),
        "--idp-issuer",
        "http://www.okta.com/exkTEST",
        "--sp-entity-id",
        "https://sp.example.com/saml/metadata",
        "--acs-url",
        "https://sp.example.com/saml/acs",
        "--now",
        "2026-01-15T10:00:30Z",
    ]
    .map(String::from)
    .to_vec();
    let fingerprint = sso_scim::IdpCertificate::parse(&std::fs::read(p("sp-cert.pem")).unwrap())
        .unwrap()
        .sha256_fingerprint();
    let vector = p("valid-xmlsec-okta-certificate-in-keyinfo.xml");
    let text = |args: &[String]| {
        let out = Command::new(binary()).args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let mut plain = args.clone();
    plain.push(vector.clone());
    let (code, out, _) = text(&plain);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("xmlenc#aes256-cbc") && out.contains("xmlenc#rsa-oaep-mgf1p"),
        "{out}"
    );
    assert!(
        out.contains(&format!("SHA-256 {fingerprint} (no --sp-key given)")),
        "{out}"
    );
    assert!(out.contains("2048 bits"), "{out}");
    assert!(out.contains("INVALID [encrypted_assertion]"), "{out}");
    args.extend([
        "--sp-key".into(),
        p("sp-key.pem"),
        "--sp-cert".into(),
        p("sp-cert.pem"),
    ]);
    let mut keyed = args.clone();
    keyed.push(vector.clone());
    let (code, out, err) = text(&keyed);
    if cfg!(feature = "encrypted-assertions") {
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains(&format!("SHA-256 {fingerprint} = --sp-key #1")),
            "{out}"
        );
        assert!(
            out.contains("came out of the EncryptedAssertion") && out.contains("VALID"),
            "{out}"
        );
        assert!(
            out.contains("NameID                 jane.doe@example.com"),
            "{out}"
        );
        // Only the second key: the certificate matches none, and the verdict is the one error.
        let mut other = args[..args.len() - 4].to_vec();
        other.extend([
            "--sp-key".into(),
            p("sp2-key.pem"),
            "--sp-cert".into(),
            p("sp2-cert.pem"),
            vector,
        ]);
        let (code, out, _) = text(&other);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("matches NO --sp-key") && out.contains("INVALID [decryption]"),
            "{out}"
        );
    } else {
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains("--features encrypted-assertions"), "{err}");
    }
    // --sp-cert must follow an --sp-key.
    let mut bad = args[..args.len() - 4].to_vec();
    bad.extend([
        "--sp-cert".into(),
        p("sp-cert.pem"),
        p("valid-xmlsec-aes128-cbc-oaep-mgf1p.xml"),
    ]);
    assert_eq!(text(&bad).0, 2);
}
