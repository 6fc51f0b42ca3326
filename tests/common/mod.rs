//! Helpers shared by the integration tests: the vector manifest and a tiny executor.
#![allow(dead_code)]

pub mod admin_cli;
pub mod http;

/// Kills and reaps a child process (a server a test started) when dropped.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub mod mutate;

/// Data encryption algorithm URIs swapped for another (a tamper: the key length or mode no
/// longer matches what the ciphertext was made with).
pub const CIPHER_SWAPS: [(&str, &str); 6] = [
    ("xmlenc#aes256-cbc", "xmlenc#aes128-cbc"),
    ("xmlenc#aes128-cbc", "xmlenc#aes256-cbc"),
    ("xmlenc11#aes256-gcm", "xmlenc11#aes128-gcm"),
    ("xmlenc11#aes128-gcm", "xmlenc11#aes256-gcm"),
    ("2001/04/xmlenc#aes256-cbc", "2009/xmlenc11#aes256-gcm"),
    ("2009/xmlenc11#aes256-gcm", "2001/04/xmlenc#aes256-cbc"),
];

use std::future::Future;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sso_scim::{AssertionValidator, SsoConfig, Timestamp};

/// Says that a test is skipped, visibly: written to the stderr handle, which the test harness
/// does not capture (it captures `println!`/`eprintln!` of passing tests).
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// Polls a future to completion on this thread (the crate's in-memory stores never block).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

#[derive(Debug, Deserialize)]
pub struct Manifest {
    pub reject_checks: std::collections::BTreeMap<String, String>,
    pub vectors: Vec<Vector>,
}

#[derive(Debug, Deserialize, Clone)]
pub struct Vector {
    /// The manifest's folder (not in the JSON).
    #[serde(skip)]
    pub dir: PathBuf,
    pub file: String,
    pub idp_cert: String,
    pub sp_entity_id: String,
    pub acs_url: String,
    pub idp_issuer: String,
    pub now: String,
    pub in_response_to: Option<String>,
    pub expect: String,
    #[serde(default)]
    pub needs: Option<String>,
    #[serde(default)]
    pub expect_with_legacy: Option<String>,
    pub why: String,
    #[serde(default)]
    pub reject: Vec<String>,
    #[serde(default)]
    pub name_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_attribute: Option<String>,
    #[serde(default)]
    pub attributes: Option<std::collections::BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    pub parse_expect: Option<serde_json::Value>,
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub decodes_to: Option<String>,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub session_index: Option<String>,
    #[serde(default)]
    pub session_not_on_or_after: Option<String>,
}

/// The shared vectors (tests/vectors: real Okta, other libraries' attacks, xmlsec1-signed).
pub fn manifest() -> Manifest {
    manifest_in(vectors_dir())
}

/// The extra vectors (tests/vectors-extra: profile, canonicalization and claim cases, xmlsec1-signed).
pub fn extra_manifest() -> Manifest {
    manifest_in(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors-extra"))
}

/// Both manifests' vectors.
pub fn all_vectors() -> Vec<Vector> {
    let mut v = manifest().vectors;
    v.extend(extra_manifest().vectors);
    v
}

fn manifest_in(dir: PathBuf) -> Manifest {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
    let mut m: Manifest = serde_json::from_str(&text).expect("manifest parses");
    for v in &mut m.vectors {
        v.dir = dir.clone();
    }
    m
}

impl Vector {
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(self.dir.join(&self.file)).expect("vector file")
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::parse(&self.now).expect("manifest now")
    }

    /// Two vectors use the literal placeholders `{recipient}` / `{audience}` (their signatures verify
    /// with no certificate we have). `{recipient}` is not a URL, so the config gets a stand-in ACS URL;
    /// these vectors must fail on their signature whatever the ACS URL is.
    pub fn acs_url(&self) -> String {
        if url_ok(&self.acs_url) {
            self.acs_url.clone()
        } else {
            "https://placeholder.invalid/acs".into()
        }
    }

    pub fn config(&self, legacy: bool) -> SsoConfig {
        let cert = std::fs::read(self.dir.join(&self.idp_cert)).expect("cert");
        let mut b = SsoConfig::builder()
            .idp_certificate(cert)
            .idp_sso_url("https://idp.example.invalid/sso/saml")
            .idp_issuer(&self.idp_issuer)
            .sp_entity_id(&self.sp_entity_id)
            .acs_url(self.acs_url())
            .allow_idp_initiated(self.in_response_to.is_none())
            .insecure_allow_sha1(legacy);
        if let Some(a) = &self.email_attribute {
            b = b.email_attribute(a);
        }
        // Vectors whose expected claims have no email run with the email requirement off.
        let has_email =
            self.email.is_some() || self.expect == "invalid" && self.expect_with_legacy.is_none();
        b = b.require_email(has_email);
        b.build().expect("manifest config builds")
    }

    pub fn validator(&self, legacy: bool) -> AssertionValidator {
        AssertionValidator::new(self.config(legacy))
    }

    pub fn request_ids(&self) -> Vec<String> {
        self.in_response_to.iter().cloned().collect()
    }
}

fn url_ok(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// A SCIM service over a MemoryStore with one organization and its token.
pub struct Scim {
    pub service: sso_scim::ScimService<sso_scim::MemoryStore>,
    pub org: sso_scim::OrgId,
    pub token: String,
    pub now: Timestamp,
}

pub const SCIM_BASE: &str = "https://app.example.com/scim/v2";

impl Scim {
    /// An organization `org` that claimed `domains`.
    pub fn new(org: &str, domains: &[&str]) -> Scim {
        let service = sso_scim::ScimService::new(sso_scim::MemoryStore::new(), SCIM_BASE).unwrap();
        Scim::with_service(service, org, domains)
    }

    pub fn with_service(
        service: sso_scim::ScimService<sso_scim::MemoryStore>,
        org: &str,
        domains: &[&str],
    ) -> Scim {
        let org = sso_scim::OrgId::new(org).unwrap();
        let now = Timestamp::parse("2026-02-01T09:00:00Z").unwrap();
        for d in domains {
            block_on(service.claim_domain(&org, d)).unwrap();
        }
        let token = block_on(service.generate_token(&org, "test", now))
            .unwrap()
            .expose_secret()
            .to_owned();
        Scim {
            service,
            org,
            token,
            now,
        }
    }

    /// Another organization on the same service (and store), with its own token.
    pub fn sibling(&self, org: &str) -> String {
        let org = sso_scim::OrgId::new(org).unwrap();
        block_on(self.service.generate_token(&org, "other", self.now))
            .unwrap()
            .expose_secret()
            .to_owned()
    }

    pub fn settings(&self, f: impl FnOnce(sso_scim::Organization) -> sso_scim::Organization) {
        use sso_scim::OrgSettings;
        let s = f(sso_scim::Organization::new(self.org.clone()));
        block_on(self.service.store().put_organization(&s)).unwrap();
    }

    /// Sends a request with this organization's token.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value, sso_scim::ScimResponse) {
        self.call_with(&self.token.clone(), method, path, body)
    }

    /// Sends a request with `token` (path may carry `?query`).
    pub fn call_with(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value, sso_scim::ScimResponse) {
        let auth = format!("Bearer {token}");
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/scim+json"),
        ];
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        let (p, q) = path.split_once('?').unwrap_or((path, ""));
        let full = format!("/scim/v2{p}");
        let req = sso_scim::ScimRequest::new(method, &full)
            .query(q)
            .headers(&headers)
            .body(&bytes);
        let resp = block_on(self.service.handle(&req, self.now));
        let json = resp.json_body().unwrap_or(serde_json::Value::Null);
        (resp.status, json, resp)
    }
}

/// A recorded SCIM exchange from tests/scim-vectors.
#[derive(Debug, Deserialize)]
pub struct Recording {
    pub method: String,
    pub path: String,
    #[serde(rename = "statusCode")]
    pub status: u16,
    pub request: Option<serde_json::Value>,
    pub response: Option<serde_json::Value>,
}

pub fn recording(name: &str) -> Recording {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scim-vectors")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Asserts a SCIM error body: Error schema, status as a string, a scimType, a detail.
pub fn assert_scim_error(status: u16, body: &serde_json::Value, scim_type: &str) {
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{body}"
    );
    assert_eq!(body["status"], status.to_string(), "{body}");
    assert_eq!(body["scimType"], scim_type, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}
