//! The SAML ports: the replay cache and outstanding AuthnRequest ids.

use crate::saml::{AuthnRequestStore, ReplayCache, RequestId};
use crate::time::Timestamp;

use super::ok;

fn replay_key(prefix: &str, id: &str) -> crate::saml::ReplayKey {
    crate::saml::ReplayKey::new(&format!("https://idp.example/{prefix}"), id)
}

/// Consumes assertion id `id` of a conformance IdP for an hour from now: `true` the first time.
/// (For races: call it from many tasks at once.)
pub async fn consume_assertion_id<R: ReplayCache>(cache: &R, id: &str) -> bool {
    let now = Timestamp::now();
    cache
        .consume_once(
            &replay_key("races", id),
            now.saturating_add(std::time::Duration::from_secs(3600)),
            now,
        )
        .await
        .unwrap()
}

/// The replay cache contract: consume once until expiry, then the id may be taken again; other
/// ids and issuers are independent.
pub async fn replay<R: ReplayCache>(cache: &R, p: &str) {
    let (k, other) = (replay_key(p, "id-1"), replay_key(p, "id-2"));
    let t0 = Timestamp::now();
    let exp = t0.saturating_add(std::time::Duration::from_secs(60));
    assert!(ok("consume", cache.consume_once(&k, exp, t0)).await);
    assert!(
        !ok("consume", cache.consume_once(&k, exp, t0)).await,
        "a second consume before expiry is a replay"
    );
    let later = t0.saturating_add(std::time::Duration::from_secs(30));
    assert!(!ok("consume", cache.consume_once(&k, exp, later)).await);
    assert!(ok("consume", cache.consume_once(&other, exp, t0)).await);
    let other_issuer = crate::saml::ReplayKey::new("https://other-idp.example", "id-1");
    assert!(
        ok("consume", cache.consume_once(&other_issuer, exp, t0)).await,
        "keys are per issuer"
    );
    let after = t0.saturating_add(std::time::Duration::from_secs(61));
    let exp2 = after.saturating_add(std::time::Duration::from_secs(60));
    assert!(
        ok("consume", cache.consume_once(&k, exp2, after)).await,
        "an expired entry may be taken again"
    );
    assert!(!ok("consume", cache.consume_once(&k, exp2, after)).await);
}

/// Records request id `id` for an hour from now (for races: then consume it from many tasks).
pub async fn insert_request_id<R: AuthnRequestStore>(store: &R, id: &str) {
    let now = Timestamp::now();
    store
        .insert_request(
            &RequestId::new(id),
            now.saturating_add(std::time::Duration::from_secs(3600)),
            now,
        )
        .await
        .unwrap();
}

/// Consumes request id `id` now: `true` for the one consumer that got it.
pub async fn consume_request_id<R: AuthnRequestStore>(store: &R, id: &str) -> bool {
    store
        .consume_request(&RequestId::new(id), Timestamp::now())
        .await
        .unwrap()
}

/// The AuthnRequest-id contract: consumed at most once, never after expiry, unknown ids never;
/// expired ids are purged by later calls.
pub async fn authn_requests<R: AuthnRequestStore>(store: &R, p: &str) {
    let t0 = Timestamp::now();
    let hour = std::time::Duration::from_secs(3600);
    let (a, b, c) = (
        RequestId::new(format!("{p}-a")),
        RequestId::new(format!("{p}-b")),
        RequestId::new(format!("{p}-unknown")),
    );
    ok(
        "insert",
        store.insert_request(&a, t0.saturating_add(hour), t0),
    )
    .await;
    ok(
        "insert",
        store.insert_request(
            &b,
            t0.saturating_add(std::time::Duration::from_secs(60)),
            t0,
        ),
    )
    .await;
    assert!(
        !ok("consume", store.consume_request(&c, t0)).await,
        "an unknown id is not outstanding"
    );
    assert!(ok("consume", store.consume_request(&a, t0)).await);
    assert!(
        !ok("consume", store.consume_request(&a, t0)).await,
        "an id is consumed once"
    );
    let late = t0.saturating_add(std::time::Duration::from_secs(120));
    assert!(
        !ok("consume", store.consume_request(&b, late)).await,
        "an expired id is not consumable"
    );
}
