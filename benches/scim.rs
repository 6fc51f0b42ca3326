//! SCIM on the in-memory store at 10k, 100k and 1M users in one organization: a `userName eq`
//! lookup, a PATCH, a filtered list (a filter no index serves, so a scan; up to 100k) and a create,
//! each through `ScimService::handle` as Okta would send them.
//!
//! Lookup, create and PATCH must cost the same whatever the size (indexes, O(page + log n)
//! paging); the scan grows linearly. Run: `cargo bench --bench scim`.

use std::cell::Cell;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use sso_scim::store::{conformance::sample_user, Account, AccountId, AccountLink};
use sso_scim::{MemoryStore, OrgId, ScimDirectory, ScimRequest, ScimService, Timestamp};

include!("data/support.rs");

struct Fixture {
    service: ScimService<MemoryStore>,
    auth: String,
    ids: Vec<String>,
    now: Timestamp,
}

fn fixture(n: usize) -> Fixture {
    let store = MemoryStore::new();
    let org = OrgId::new("bench").expect("org");
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("user{i}@example.com");
        let account = Account {
            id: AccountId::new(format!("a{i}")).expect("id"),
            email: email.clone(),
            provisioned_by: Some(org.clone()),
        };
        let id = format!("u{i}");
        let user = sample_user(&org, &id, &account.id, &email, &email);
        block_on(store.create_user(&user, &AccountLink::New(account)))
            .expect("store")
            .expect("created");
        ids.push(id);
    }
    let service = ScimService::new(store, "https://sp.example.com/scim/v2").expect("base URL");
    let now = Timestamp::parse("2026-02-01T09:00:00Z").expect("now");
    block_on(service.claim_domain(&org, "example.com")).expect("claim");
    let token = block_on(service.generate_token(&org, "bench", now)).expect("token");
    Fixture {
        service,
        auth: format!("Bearer {}", token.expose_secret()),
        ids,
        now,
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("scim_memory_store");
    g.sample_size(20);
    for n in [10_000usize, 100_000, 1_000_000] {
        let f = fixture(n);
        let headers = [
            ("Authorization", f.auth.as_str()),
            ("Content-Type", "application/scim+json"),
        ];
        let k = Cell::new(0usize);
        g.bench_with_input(BenchmarkId::new("lookup_userName_eq", n), &n, |b, &n| {
            b.iter(|| {
                let i = (k.get() * 7919) % n;
                k.set(k.get() + 1);
                let q = format!("filter=userName+eq+%22USER{i}%40example.com%22");
                let r = block_on(
                    f.service.handle(
                        &ScimRequest::new("GET", "/scim/v2/Users")
                            .query(&q)
                            .headers(&headers),
                        f.now,
                    ),
                );
                assert_eq!(r.status, 200);
                r
            })
        });
        let body = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"displayName":"Renamed","active":true}}]}"#;
        g.bench_with_input(BenchmarkId::new("patch", n), &n, |b, &n| {
            b.iter(|| {
                let i = (k.get() * 104_729) % n;
                k.set(k.get() + 1);
                let path = format!("/scim/v2/Users/{}", f.ids[i]);
                let r = block_on(
                    f.service.handle(
                        &ScimRequest::new("PATCH", &path)
                            .headers(&headers)
                            .body(body),
                        f.now,
                    ),
                );
                assert_eq!(r.status, 200);
                r
            })
        });
        if n <= 100_000 {
            g.bench_with_input(BenchmarkId::new("filtered_list_scan", n), &n, |b, _| {
                b.iter(|| {
                    let q =
                        "filter=name.givenName+eq+%22nobody%22+or+userName+sw+%22user1%22&count=10";
                    let r = block_on(
                        f.service.handle(
                            &ScimRequest::new("GET", "/scim/v2/Users")
                                .query(q)
                                .headers(&headers),
                            f.now,
                        ),
                    );
                    assert_eq!(r.status, 200);
                    r
                })
            });
        }
        // Last: creates grow the store, which must not change what the other measurements see.
        let created = Cell::new(0usize);
        g.bench_with_input(BenchmarkId::new("create", n), &n, |b, _| {
            b.iter(|| {
                let i = created.get();
                created.set(i + 1);
                let body = format!(
                    r#"{{"userName":"new{i}@example.com","name":{{"givenName":"N","familyName":"U"}},"emails":[{{"value":"new{i}@example.com","primary":true}}],"active":true}}"#
                );
                let r = block_on(f.service.handle(&ScimRequest::new("POST", "/scim/v2/Users").headers(&headers).body(body.as_bytes()), f.now));
                assert_eq!(r.status, 201);
                r
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
