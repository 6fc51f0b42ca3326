//! Memory per user in `MemoryStore`, by a counting allocator: Okta-shaped users (UUID id and
//! account, userName and email on the organization's domain, externalId, name, displayName,
//! locale, one work email) loaded into one organization, then the live heap divided by the
//! number of users. The baseline, measured in the same run, is the same users held as plain
//! `ScimUser` and `Account` values in two vectors (no index at all).
//!
//! Reported: requested bytes per user, live allocations per user, and bytes with the
//! allocator's overhead estimated at 16 bytes per allocation; then the same through
//! `ScimService` (POST /Users, as Okta sends it) for a smaller organization.
//!
//! Run: `cargo bench --bench memory` (`SSO_SCIM_BENCH_USERS=1000000` by default;
//! `SSO_SCIM_BENCH_SERVICE_USERS=50000`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use sso_scim::resource::parse_filter;
use sso_scim::store::{
    conformance::sample_user, Account, AccountId, AccountLink, Query, ScimDirectory,
};
use sso_scim::{MemoryStore, OrgId, ScimRequest, ScimService, ScimUser, Timestamp};

struct Counting;

static BYTES: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);
/// Every allocation made (never decremented): allocations per request.
static MADE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        BYTES.fetch_add(l.size() as isize, Ordering::Relaxed);
        BLOCKS.fetch_add(1, Ordering::Relaxed);
        MADE.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        BYTES.fetch_sub(l.size() as isize, Ordering::Relaxed);
        BLOCKS.fetch_sub(1, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        BYTES.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        MADE.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> (isize, isize) {
    (
        BYTES.load(Ordering::Relaxed),
        BLOCKS.load(Ordering::Relaxed),
    )
}

fn hex_id(i: usize, salt: u64) -> String {
    // UUID-shaped, distinct per user.
    let x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt;
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0xfff,
        (x >> 52) & 0xfff,
        x.wrapping_mul(31) & 0xffff_ffff_ffff
    )
}

fn okta_user(org: &OrgId, i: usize) -> (ScimUser, Account) {
    let email = format!("first{i}.last{i}@example.com");
    let account = Account {
        id: AccountId::new(hex_id(i, 0x5eed)).expect("id"),
        email: email.clone(),
        provisioned_by: Some(org.clone()),
    };
    let mut u = sample_user(org, &hex_id(i, 0xabcd), &account.id, &email, &email);
    u.external_id = Some(format!("00u{:017x}", i as u64 * 7919));
    u.given_name = Some(format!("First{i}"));
    u.family_name = Some(format!("Last{i}"));
    u.display_name = Some(format!("First{i} Last{i}"));
    u.locale = Some("en-US".into());
    (u, account)
}

fn per_user(label: &str, n: usize, before: (isize, isize), after: (isize, isize)) -> f64 {
    let bytes = (after.0 - before.0) as f64 / n as f64;
    let blocks = (after.1 - before.1) as f64 / n as f64;
    let with_overhead = bytes + 16.0 * blocks;
    println!(
        "{label:<44} {bytes:>8.0} B/user  {blocks:>5.2} allocations/user  ~{with_overhead:>6.0} B/user with allocator overhead"
    );
    with_overhead
}

include!("data/support.rs");

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let n = env("SSO_SCIM_BENCH_USERS", 1_000_000);
    let org = OrgId::new("bench").expect("org");

    let before = live();
    let mut plain_users = Vec::with_capacity(n);
    let mut plain_accounts = Vec::with_capacity(n);
    for i in 0..n {
        let (u, a) = okta_user(&org, i);
        plain_users.push(u);
        plain_accounts.push(a);
    }
    let baseline = per_user("baseline: Vec<ScimUser> + Vec<Account>", n, before, live());
    drop((plain_users, plain_accounts));

    let before = live();
    let store = MemoryStore::new();
    for i in 0..n {
        let (u, a) = okta_user(&org, i);
        block_on(store.create_user(&u, &AccountLink::New(a)))
            .expect("store")
            .expect("created");
    }
    let packed = per_user(&format!("MemoryStore, {n} users"), n, before, live());
    println!("ratio MemoryStore / baseline: {:.2}", packed / baseline);
    drop(store);

    let m = env("SSO_SCIM_BENCH_SERVICE_USERS", 50_000);
    let before = live();
    let scim =
        ScimService::new(MemoryStore::new(), "https://app.example.com/scim/v2").expect("url");
    let now = Timestamp::parse("2026-01-15T10:00:00Z").expect("time");
    block_on(scim.claim_domain(&org, "example.com")).expect("claim");
    let token = block_on(scim.generate_token(&org, "bench", now)).expect("token");
    let auth = format!("Bearer {}", token.expose_secret());
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/scim+json"),
    ];
    let start = live();
    for i in 0..m {
        let body = format!(
            r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"first{i}.last{i}@example.com","name":{{"givenName":"First{i}","familyName":"Last{i}"}},"emails":[{{"primary":true,"value":"first{i}.last{i}@example.com","type":"work"}}],"displayName":"First{i} Last{i}","locale":"en-US","externalId":"00u{:017x}","groups":[],"password":"1mz050nq","active":true}}"#,
            i * 7919
        );
        let r = block_on(
            scim.handle(
                &ScimRequest::new("POST", "/scim/v2/Users")
                    .headers(&headers)
                    .body(body.as_bytes()),
                now,
            ),
        );
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }
    let _ = before;
    per_user(
        &format!("ScimService over MemoryStore, {m} POSTs"),
        m,
        start,
        live(),
    );

    // Okta's lookup before every push: GET /Users?filter=userName eq "...". Reallocations count
    // as allocations. The baseline is the store's own query (what any adapter must call).
    let lookups = 10_000usize;
    let made = MADE.load(Ordering::Relaxed);
    for k in 0..lookups {
        let i = (k * 7919) % m;
        let q = format!("filter=userName+eq+%22first{i}.last{i}%40example.com%22");
        let r = block_on(
            scim.handle(
                &ScimRequest::new("GET", "/scim/v2/Users")
                    .query(&q)
                    .headers(&headers),
                now,
            ),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let service = (MADE.load(Ordering::Relaxed) - made) as f64 / lookups as f64 - 1.0;
    let queries: Vec<Query> = (0..lookups)
        .map(|k| {
            let i = (k * 7919) % m;
            Query::page(0, 1).filtered(
                parse_filter(&format!("userName eq \"first{i}.last{i}@example.com\""))
                    .expect("filter"),
            )
        })
        .collect();
    let made = MADE.load(Ordering::Relaxed);
    for q in &queries {
        let page = block_on(scim.store().query_users(&org, q))
            .expect("store")
            .expect("within the bound");
        assert_eq!(page.users.len(), 1);
    }
    let store = (MADE.load(Ordering::Relaxed) - made) as f64 / lookups as f64;
    println!(
        "userName eq lookup, allocations per request: ScimService::handle {service:.1}, the store's query alone {store:.1} (the query string's own allocation not counted; the store's query is built beforehand)"
    );
}
