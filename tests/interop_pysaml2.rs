//! Interop with an independent IdP: pysaml2 (through the xmlsec1 CLI) signs fresh Okta-like
//! responses at test time — Assertion signed, Response signed, and both — which must validate
//! through the public API and through `saml_inspect`, while a tampered copy must fail; and
//! (feature `encrypted-assertions`) encrypts them for our SP key as pysaml2 does.
//!
//! Runs when `SSO_SCIM_PYSAML2_PYTHON` names a Python with pysaml2 installed (and xmlsec1 is on
//! PATH); `.ci/run` sets it up. Otherwise it says it was skipped.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use sso_scim::{AssertionValidator, MemoryReplayCache, RequestState, SsoConfig, Timestamp};

const REQ_ID: &str = "ONELOGIN_4fee3b046395c4e751011e97f8900b5273d56685";
const ISSUER: &str = "http://www.okta.com/exk1fakeokta";
const SP: &str = "https://sp.example.com/saml/metadata";
const ACS: &str = "https://sp.example.com/saml/acs";

fn saml_inspect() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .and_then(|p| p.parent())
        .unwrap()
        .join("examples")
        .join("saml_inspect")
}

/// The Python with pysaml2 (`SSO_SCIM_PYSAML2_PYTHON`), or a visible skip of `test`.
fn pysaml2_python(test: &str) -> Option<String> {
    let python = std::env::var("SSO_SCIM_PYSAML2_PYTHON").ok();
    if python.is_none() {
        common::skipped(
            test,
            "set SSO_SCIM_PYSAML2_PYTHON to a Python with pysaml2 (and install xmlsec1); .ci/run does",
        );
    }
    python
}

/// Our configuration for the IdP pysaml2_idp.py made in `dir`.
fn config(dir: &Path) -> SsoConfig {
    SsoConfig::builder()
        .idp_certificate(std::fs::read(dir.join("idp.crt")).unwrap())
        .idp_sso_url("https://dev-123.okta.com/app/dev-123_sp_1/exk1fakeokta/sso/saml")
        .idp_issuer(ISSUER)
        .sp_entity_id(SP)
        .acs_url(ACS)
        .build()
        .unwrap()
}

/// Runs pysaml2_idp.py into a fresh directory named after `name`, signing `sign`, with the
/// extra environment `env` (the encryption options).
fn generate(python: &str, name: &str, sign: &str, env: &[(&str, &std::ffi::OsStr)]) -> PathBuf {
    let out = std::env::temp_dir().join(format!("sso-scim-pysaml2-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/pysaml2_idp.py");
    let status = Command::new(python)
        .arg(&script)
        .arg(&out)
        .env("PYSAML2_SIGN", sign)
        .envs(env.iter().copied())
        .status()
        .expect("run pysaml2_idp.py");
    assert!(status.success(), "pysaml2_idp.py failed for {name}");
    out
}

fn inspect(dir: &Path, file: &Path, request_id: Option<&str>) -> (i32, serde_json::Value) {
    let mut cmd = Command::new(saml_inspect());
    cmd.args(["--json", "--idp-cert"])
        .arg(dir.join("idp.crt"))
        .args([
            "--idp-issuer",
            ISSUER,
            "--sp-entity-id",
            SP,
            "--acs-url",
            ACS,
        ]);
    if let Some(id) = request_id {
        cmd.args(["--request-id", id]);
    }
    let out = cmd.arg(file).output().expect("run saml_inspect");
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or_default(),
    )
}

#[test]
fn pysaml2_signed_responses_validate_and_tampering_fails() {
    let Some(python) = pysaml2_python("pysaml2 interop") else {
        return;
    };
    for sign in ["assertion", "response", "both"] {
        let dir = generate(&python, sign, sign, &[]);
        let xml = std::fs::read(dir.join("response.xml")).unwrap();
        let b64 = std::fs::read_to_string(dir.join("response.b64")).unwrap();
        let config = config(&dir);
        let validator = AssertionValidator::new(config);
        let now = Timestamp::now();
        let requests = RequestState::outstanding(&[REQ_ID]);

        // The public API, from the form value.
        let pending = validator
            .validate(&b64, &requests, now)
            .unwrap_or_else(|e| panic!("{sign}: {} {e}", e.code()));
        let user = pending.consume_now(&MemoryReplayCache::new()).unwrap();
        assert_eq!(user.email(), Some("alice@example.com"), "{sign}");
        assert_eq!(user.name_id(), "alice@example.com");
        assert_eq!(user.in_response_to(), Some(REQ_ID));

        // saml_inspect, from the raw XML and from the base64 file.
        for file in ["response.xml", "response.b64"] {
            let (code, json) = inspect(&dir, &dir.join(file), Some(REQ_ID));
            assert_eq!(code, 0, "{sign} {file}: {json}");
            assert_eq!(json["email"], "alice@example.com");
        }
        let (code, json) = inspect(&dir, &dir.join("response.xml"), Some("_another_request"));
        assert_eq!(
            (code, json["error"].as_str()),
            (1, Some("in_response_to")),
            "{sign}"
        );

        // A tampered copy: the user changed after signing.
        let tampered = String::from_utf8(xml)
            .unwrap()
            .replace("alice@example.com", "mallory@example.com");
        let e = validator
            .validate_xml(tampered.as_bytes(), &requests, now)
            .unwrap_err();
        assert_eq!(e.code(), "signature", "{sign}: {e}");
        let path = dir.join("tampered.xml");
        std::fs::write(&path, tampered).unwrap();
        let (code, json) = inspect(&dir, &path, Some(REQ_ID));
        assert_eq!(
            (code, json["error"].as_str()),
            (1, Some("signature")),
            "{sign}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// pysaml2 encrypts the (signed) Assertion for our SP certificate as it does for any SP: the
/// EncryptedKey inside KeyInfo naming the certificate, RSA-OAEP (mgf1p), through xmlsec1. With
/// AES (CBC or GCM) it validates with our SP key; with pysaml2's default, 3DES-CBC, it is refused
/// as `unsupported_algorithm`; a changed ciphertext is refused.
#[cfg(feature = "encrypted-assertions")]
#[test]
fn pysaml2_encrypted_responses_decrypt() {
    use sso_scim::saml::SpDecryptionKey;
    let Some(python) = pysaml2_python("pysaml2 encrypted interop") else {
        return;
    };
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors-encrypted");
    let read = |f: &str| std::fs::read_to_string(keys.join(f)).unwrap();
    let key = SpDecryptionKey::from_pem(&read("sp-key.pem"), &read("sp-cert.pem")).unwrap();
    for sign in ["assertion", "response"] {
        for alg in ["aes256-cbc", "aes128-cbc", "aes256-gcm", ""] {
            let cert = keys.join("sp-cert.pem");
            let out = generate(
                &python,
                &format!("enc-{sign}-{alg}"),
                sign,
                &[
                    ("PYSAML2_ENCRYPT_CERT", cert.as_os_str()),
                    ("PYSAML2_ENCRYPT_ALG", alg.as_ref()),
                ],
            );
            let xml = std::fs::read_to_string(out.join("response.xml")).unwrap();
            assert!(xml.contains("EncryptedAssertion") && !xml.contains("alice@example.com"));
            let config = config(&out);
            let validator = AssertionValidator::new(config).with_decryption_keys([key.clone()]);
            let requests = RequestState::outstanding(&[REQ_ID]);
            let result = validator.validate_xml(xml.as_bytes(), &requests, Timestamp::now());
            if alg.is_empty() {
                let e = result.unwrap_err();
                assert_eq!(e.code(), "unsupported_algorithm", "{sign} 3DES: {e}");
                assert!(e.to_string().contains("tripledes-cbc"), "{e}");
            } else {
                let user = result
                    .unwrap_or_else(|e| panic!("{sign} {alg}: {} {e}", e.code()))
                    .consume_now(&MemoryReplayCache::new())
                    .unwrap();
                assert_eq!(user.email(), Some("alice@example.com"), "{sign} {alg}");
                // One byte of the data's ciphertext (its last CipherValue) flipped.
                let end = xml.rfind("</ns0:CipherValue>").expect("pysaml2's prefixes");
                let start = xml[..end].rfind('>').unwrap() + 1;
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::STANDARD;
                let mut data = b64
                    .decode(xml[start..end].replace(['\n', '\r'], ""))
                    .unwrap();
                let middle = data.len() / 2;
                data[middle] ^= 0x01;
                let mut changed = xml.clone();
                changed.replace_range(start..end, &b64.encode(&data));
                let e = validator
                    .validate_xml(changed.as_bytes(), &requests, Timestamp::now())
                    .unwrap_err();
                let expected = if sign == "response" {
                    "signature"
                } else {
                    "decryption"
                };
                assert_eq!(e.code(), expected, "{sign} {alg}: {e}");
            }
            let _ = std::fs::remove_dir_all(&out);
        }
    }
}
