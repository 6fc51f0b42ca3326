//! The main demo: `cargo run --example quickstart` (no arguments, everything embedded).
//!
//! It configures SSO for one organization with a bundled test IdP (an Okta-shaped app whose
//! responses were signed by the xmlsec1 CLI), validates a posted SAMLResponse at the instant it was
//! issued, consumes it through the replay cache, shows that posting it again is refused, and prints
//! what a host application does next.

use sso_scim::store::SqliteStore;
use sso_scim::{
    AssertionValidator, MemoryReplayCache, OrgId, RequestState, ScimRequest, ScimService,
    SsoConfig, Timestamp,
};

/// Okta's "Download certificate" of the bundled test IdP.
const IDP_CERT_PEM: &str = include_str!("../tests/vectors/generated/idp-cert.pem");
/// The `SAMLResponse` form field as the browser posts it (IdP-initiated, both Response and
/// Assertion signed with RSA-SHA256, exclusive C14N with PrefixList="xs").
const POSTED_FORM_VALUE: &str = include_str!("../tests/vectors/generated/valid-both-signed.b64");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The organization admin pasted three values from Okta; we add our SP entity id and ACS URL.
    let config = SsoConfig::builder()
        .idp_certificate(IDP_CERT_PEM) // Okta: Sign On > SAML Signing Certificates > Download certificate
        .idp_sso_url("https://dev-123.okta.com/app/dev-123_app_1/exkTEST/sso/saml") // "Redirect Login URL"
        .idp_issuer("http://www.okta.com/exkTEST") // "Identity Provider Issuer"
        .sp_entity_id("https://sp.example.com/saml/metadata") // Okta "Audience URI (SP Entity ID)"
        .acs_url("https://sp.example.com/saml/acs") // Okta "Single sign-on URL"
        .allow_idp_initiated(true) // users may start from their Okta dashboard
        .build()?;
    let cert = &config.idp_certificates()[0];
    println!("SSO configured for issuer {}", config.idp_issuer());
    println!(
        "  certificate {} ({} bits, valid until {})",
        cert.subject(),
        cert.key_bits(),
        cert.not_after()
    );
    println!("  SHA-256 fingerprint {}", cert.sha256_fingerprint());

    // The bundled response was issued at 2026-01-15T10:00:00Z; a real host passes Timestamp::now().
    let now = Timestamp::parse("2026-01-15T10:00:30Z")?;
    for w in config.warnings(now) {
        println!("  warning: {w}");
    }

    // 2. Okta posts SAMLResponse to the ACS URL. Validate it (signature, issuer, audience,
    //    destination, recipient, time window, status, InResponseTo).
    let validator = AssertionValidator::new(config);
    let replay_cache = MemoryReplayCache::new();
    // This host sent no AuthnRequest for this browser (the login started at Okta).
    let outstanding: [&str; 0] = [];
    let pending = validator.validate(
        POSTED_FORM_VALUE,
        &RequestState::outstanding(&outstanding),
        now,
    )?;
    println!(
        "\nSignature and conditions hold for assertion {}",
        pending.assertion_id()
    );

    // 3. Nothing logs in until the assertion id is consumed once. (An async host awaits
    //    `pending.consume(&store)` with any `ReplayCache`; `consume_now` is the in-memory shortcut.)
    let user = pending.consume_now(&replay_cache)?;
    println!("Verified login:");
    println!(
        "  NameID     {} ({})",
        user.name_id(),
        user.name_id_format().unwrap_or("unspecified")
    );
    println!("  email      {}", user.email().unwrap_or("-"));
    println!(
        "  name       {} {}",
        user.first_name().unwrap_or(""),
        user.last_name().unwrap_or("")
    );
    for (name, values) in user.attributes() {
        println!("  attribute  {name} = {values:?}");
    }
    println!("  session    {}", user.session_index().unwrap_or("-"));

    // 4. An attacker who captured the POST replays it: same signature, same conditions, refused.
    let replayed = validator.validate(
        POSTED_FORM_VALUE,
        &RequestState::outstanding(&outstanding),
        now,
    )?;
    match replayed.consume_now(&replay_cache) {
        Err(e) => println!("\nReplaying the same post: refused [{}] {e}", e.code()),
        Ok(_) => return Err("a replayed assertion was accepted".into()),
    }

    // 5. A stale post (same response an hour later) fails with an admin-readable reason.
    let later = Timestamp::parse("2026-01-15T11:00:30Z")?;
    if let Err(e) = validator.validate(
        POSTED_FORM_VALUE,
        &RequestState::outstanding(&outstanding),
        later,
    ) {
        println!(
            "The same post an hour later: refused [{}] {e}\n  hint: {}",
            e.code(),
            e.hint()
        );
    }

    println!("\nWhat the host does next:");
    println!(
        "  - find the user of this organization by email ({}) and check that its domain",
        user.email().unwrap_or("-")
    );
    println!(
        "    ({}) is one the organization has claimed;",
        user.email_domain().unwrap_or_default()
    );
    println!("  - start a session, ending no later than SessionNotOnOrAfter if the IdP sent one;");
    println!("  - forget the outstanding AuthnRequest id it answered (here: none, IdP-initiated);");
    println!("  - keep replay state in storage shared by every replica (MemoryReplayCache is per process).");

    scim_step(now)
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    // The in-memory store never waits; a real host awaits these in its async handlers.
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// SCIM: the organization admin generates a token, Okta provisions a user with it.
fn scim_step(now: Timestamp) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n--- SCIM provisioning ---");
    // The SQLite store keeps organizations, tokens, claims and users in one file (here a fresh
    // temporary one); a host passes its own database behind the store ports instead.
    let path = std::env::temp_dir().join(format!(
        "sso-scim-quickstart-{}.sqlite3",
        std::process::id()
    ));
    let store = SqliteStore::open(&path)?;
    println!("Store: sqlite:{}", path.display());
    let scim = ScimService::new(store, "https://sp.example.com/scim/v2")?;
    let org = OrgId::new("org_acme")?;
    // The organization proved it owns example.com (DNS TXT); SCIM accepts users on it only.
    block_on(scim.claim_domain(&org, "example.com"))?;
    let token = block_on(scim.generate_token(&org, "Okta", now))?;
    println!(
        "Paste into Okta (Provisioning > Integration): base URL {} and API token",
        scim.base_url()
    );
    println!(
        "  {} (shown once; only its hash is stored)",
        token.expose_secret()
    );

    let auth = format!("Bearer {}", token.expose_secret());
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/scim+json"),
    ];
    // What Okta sends when a user is assigned to the app.
    let okta_create = br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane.doe@example.com",
        "name":{"givenName":"Jane","familyName":"Doe"},"emails":[{"primary":true,"value":"jane.doe@example.com","type":"work"}],
        "displayName":"Jane Doe","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}"#;
    let created = block_on(
        scim.handle(
            &ScimRequest::new("POST", "/scim/v2/Users")
                .headers(&headers)
                .body(okta_create),
            now,
        ),
    );
    println!(
        "POST /Users -> {} {}",
        created.status,
        created.header("Location").unwrap_or_default()
    );

    let listed = block_on(
        scim.handle(
            &ScimRequest::new("GET", "/scim/v2/Users")
                .query("filter=userName+eq+%22JANE.DOE%40example.com%22")
                .headers(&headers),
            now,
        ),
    );
    let body = listed.json_body().unwrap_or_default();
    println!(
        "GET /Users?filter=userName eq \"JANE.DOE@example.com\" -> {} ({} found)",
        listed.status, body["totalResults"]
    );
    for u in body["Resources"].as_array().into_iter().flatten() {
        println!(
            "  {} {} <{}> active={} id={}",
            u["name"]["givenName"].as_str().unwrap_or(""),
            u["name"]["familyName"].as_str().unwrap_or(""),
            u["userName"].as_str().unwrap_or(""),
            u["active"],
            u["id"].as_str().unwrap_or("")
        );
    }

    let elsewhere = br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"mallory@elsewhere.example","name":{"givenName":"M","familyName":"X"},"emails":[{"value":"mallory@elsewhere.example"}],"active":true}"#;
    let refused = block_on(
        scim.handle(
            &ScimRequest::new("POST", "/scim/v2/Users")
                .headers(&headers)
                .body(elsewhere),
            now,
        ),
    );
    let detail = refused.json_body().unwrap_or_default()["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    println!(
        "POST /Users for an unclaimed domain -> {}: {detail}",
        refused.status
    );
    drop(scim);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}
