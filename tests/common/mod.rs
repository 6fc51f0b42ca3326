//! Helpers shared by the integration tests: the vector manifest and a tiny executor.
#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sso_scim::{AssertionValidator, SsoConfig, Timestamp};

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
