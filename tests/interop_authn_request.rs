//! AuthnRequests the crate builds, parsed by an independent IdP: pysaml2's
//! `Server.parse_authn_request` (tests/interop/pysaml2_authn_request.py), with the
//! HTTP-Redirect signature verified over the exact query string and the HTTP-POST enveloped
//! signature verified by xmlsec1, both against the certificate in our SP metadata; tampered
//! requests are refused by it.
//!
//! Runs when `SSO_SCIM_PYSAML2_PYTHON` names a Python with pysaml2 (and xmlsec1 is on PATH);
//! `.ci/run` sets it up. Otherwise it says it was skipped.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::block_on;
use sso_scim::saml::{
    sp_metadata, AuthnRequestOptions, Binding, IdpCertificate, IdpSettings, LoginRequest, Outbound,
    RelayState, SpEndpoints, SpSigningKey,
};
use sso_scim::{MemoryStore, OrgId, Organizations, Timestamp};

const SSO_URL: &str = "https://idp.example.org/sso/redirect";

fn run(
    python: &str,
    metadata: &Path,
    require_signed: bool,
    req: &LoginRequest,
    tamper: Option<(&str, &str)>,
) -> (i32, serde_json::Value) {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/pysaml2_authn_request.py");
    let mut cmd = Command::new(python);
    cmd.arg(&script).arg("--sp-metadata").arg(metadata).args([
        "--idp-entity-id",
        "https://idp.example.org/metadata",
        "--idp-sso-url",
        SSO_URL,
    ]);
    if require_signed {
        cmd.arg("--require-signed");
    }
    match &req.outbound {
        Outbound::Redirect { url } => {
            let url = match tamper {
                Some((from, to)) => url.replacen(from, to, 1),
                None => url.clone(),
            };
            cmd.args(["--redirect-url", &url]);
        }
        Outbound::Post {
            saml_request,
            relay_state,
            ..
        } => {
            let value = match tamper {
                Some((from, to)) => {
                    use base64::Engine;
                    let e = base64::engine::general_purpose::STANDARD;
                    let xml = String::from_utf8(e.decode(saml_request).unwrap()).unwrap();
                    e.encode(xml.replacen(from, to, 1))
                }
                None => saml_request.clone(),
            };
            cmd.args(["--post-form-value", &value]);
            if let Some(rs) = relay_state {
                cmd.args(["--relay-state", rs]);
            }
        }
    }
    let out = cmd.output().expect("run pysaml2_authn_request.py");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "no JSON: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn pysaml2_parses_and_verifies_our_authn_requests() {
    let Ok(python) = std::env::var("SSO_SCIM_PYSAML2_PYTHON") else {
        common::skipped(
            "pysaml2_parses_and_verifies_our_authn_requests",
            "set SSO_SCIM_PYSAML2_PYTHON to a Python with pysaml2 (and install xmlsec1); .ci/run does",
        );
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let key = SpSigningKey::from_pem(
        &std::fs::read_to_string(root.join("tests/vectors/sp/sp-key.pem")).unwrap(),
        &std::fs::read_to_string(root.join("tests/vectors/sp/sp-cert.pem")).unwrap(),
    )
    .unwrap();
    let sp = SpEndpoints {
        entity_id: "https://sp.example.com/saml/acme/metadata".into(),
        acs_url: "https://sp.example.com/saml/acme/acs".into(),
    };
    let store = Arc::new(MemoryStore::new());
    let orgs = Organizations::new(store);
    let org = OrgId::new("acme").unwrap();
    block_on(orgs.create(org.clone(), None, sp.clone())).unwrap();
    let cert = IdpCertificate::parse(
        &std::fs::read(root.join("tests/vectors/generated/idp-cert.pem")).unwrap(),
    )
    .unwrap();
    block_on(orgs.set_idp(
        &org,
        IdpSettings::new("https://idp.example.org/metadata", SSO_URL, vec![cert]),
    ))
    .unwrap();

    let tmp = std::env::temp_dir().join(format!("sso-scim-authnreq-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let signed_md = tmp.join("sp-signed.xml");
    std::fs::write(&signed_md, sp_metadata(&sp, Some(&key))).unwrap();
    let plain_md = tmp.join("sp-plain.xml");
    std::fs::write(&plain_md, sp_metadata(&sp, None)).unwrap();

    let now = Timestamp::now();
    let rs = RelayState::new("/reports?id=7&q=a b~c*").unwrap();
    let redirect = AuthnRequestOptions::default();
    let post = AuthnRequestOptions {
        binding: Binding::Post,
        ..Default::default()
    };

    // Unsigned requests: parsed, not signed; refused when the IdP requires signatures.
    let unsigned = block_on(orgs.start_login(&org, Some(&rs), &redirect, now)).unwrap();
    let (code, v) = run(&python, &plain_md, false, &unsigned, None);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["id"], unsigned.id.as_str());
    assert_eq!(v["signed"], false);
    assert_eq!(v["acs_url"], sp.acs_url.as_str());
    assert_eq!(v["destination"], SSO_URL);
    assert_eq!(v["issuer"], sp.entity_id.as_str());
    assert_eq!(v["relay_state"], rs.as_str());
    assert_eq!(run(&python, &plain_md, true, &unsigned, None).0, 1);

    // Signed, both bindings: verified by pysaml2 with the certificate from our metadata.
    block_on(orgs.set_sp_signing_key(&org, Some(key))).unwrap();
    for opts in [&redirect, &post] {
        let req = block_on(orgs.start_login(&org, Some(&rs), opts, now)).unwrap();
        let (code, v) = run(&python, &signed_md, true, &req, None);
        assert_eq!(code, 0, "{:?}: {v}", opts.binding);
        assert_eq!(v["signed"], true);
        assert_eq!(v["id"], req.id.as_str());
        assert_eq!(v["relay_state"], rs.as_str());
        assert_eq!(
            v["name_id_policy_format"],
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
        );
        // Tampered after signing: refused.
        let tamper = match opts.binding {
            Binding::Redirect => ("RelayState=%2F", "RelayState=%2Fx"),
            Binding::Post => ("acme/acs", "evil/acs"),
        };
        let (code, v) = run(&python, &signed_md, true, &req, Some(tamper));
        assert_eq!(code, 1, "{:?} tampered must fail: {v}", opts.binding);
        // Checked against another key (the plain metadata has none): refused.
        assert_eq!(run(&python, &plain_md, true, &req, None).0, 1);
    }
}
