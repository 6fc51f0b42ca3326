//! The stores side by side: a `userName eq` lookup (the query Okta sends before every create), a
//! create, and a replay-cache consume, on MemoryStore, SqliteStore and (with `--features postgres`
//! and `SSO_SCIM_PG_URL`) PostgresStore, at 10k and 1M users in one organization.
//!
//! MemoryStore is loaded through its API; the SQL stores are bulk-loaded with SQL into the schema
//! the store created (the same rows the store writes), then used through the ports. Report each
//! figure and its ratio to MemoryStore's in the same run, and the 1M/10k ratio of each lookup
//! (must stay under 1.5: the lookup is an index probe).
//!
//! Run: `cargo bench --bench stores` (sizes with `SSO_SCIM_BENCH_SIZES=10000,1000000`).

use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use sso_scim::resource::parse_filter;
use sso_scim::saml::ReplayCache;
use sso_scim::store::{
    conformance::{consume_assertion_id, sample_user},
    Account, AccountId, AccountLink, Query, ScimDirectory, SqliteStore,
};
use sso_scim::{MemoryReplayCache, MemoryStore, OrgId};

const DATA: &str = r#"{"given_name":"Bench","family_name":"User","emails":[{"value":"EMAIL","kind":"work","primary":true}]}"#;

fn sizes() -> Vec<usize> {
    std::env::var("SSO_SCIM_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 1_000_000])
}

include!("data/support.rs");

fn org() -> OrgId {
    OrgId::new("bench").expect("org")
}

fn memory(n: usize, rt: &tokio::runtime::Runtime) -> MemoryStore {
    let store = MemoryStore::new();
    let org = org();
    for i in 0..n {
        let email = format!("user{i}@example.com");
        let account = Account {
            id: AccountId::new(format!("a{i}")).expect("id"),
            email: email.clone(),
            provisioned_by: Some(org.clone()),
        };
        let user = sample_user(&org, &format!("u{i}"), &account.id, &email, &email);
        rt.block_on(store.create_user(&user, &AccountLink::New(account)))
            .expect("store")
            .expect("created");
    }
    store
}

fn sqlite(n: usize) -> SqliteStore {
    let dir = std::env::temp_dir().join("sso-scim-bench");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("users-{n}.sqlite3"));
    if !path.exists() {
        drop(SqliteStore::open(&path).expect("create"));
        let c = rusqlite::Connection::open(&path).expect("open");
        c.execute_batch("PRAGMA synchronous = OFF; BEGIN")
            .expect("begin");
        c.execute(
            "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ?1)
             INSERT INTO accounts (id, email, email_key, provisioned_by)
             SELECT 'a' || i, 'user' || i || '@example.com', 'user' || i || '@example.com', 'bench' FROM s",
            [n as i64],
        )
        .expect("accounts");
        c.execute(
            "INSERT INTO memberships (org, account, role, active) SELECT 'bench', id, 0, 1 FROM accounts",
            [],
        )
        .expect("memberships");
        c.execute(
            "INSERT INTO users (org, id, account, user_name, user_name_key, external_id, active,
               created_s, created_n, modified_s, modified_n, version, data)
             SELECT 'bench', 'u' || substr(id, 2), id, email, email, NULL, 1, 1767225600, 0, 1767225600, 0, 1,
               replace(?1, 'EMAIL', email) FROM accounts ORDER BY rowid",
            [DATA],
        )
        .expect("users");
        c.execute(
            "INSERT INTO user_counts (org, n) VALUES ('bench', ?1)",
            [n as i64],
        )
        .expect("count");
        c.execute_batch("COMMIT").expect("commit");
    }
    SqliteStore::open(&path).expect("open")
}

#[cfg(feature = "postgres")]
fn postgres(n: usize, rt: &tokio::runtime::Runtime) -> Option<sso_scim::store::PostgresStore> {
    let url = std::env::var("SSO_SCIM_PG_URL").ok()?;
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(conn);
        let db = format!("sso_scim_bench_{n}");
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&db])
            .await
            .expect("query")
            .is_some();
        let (base, _) = url.rsplit_once('/').expect("url");
        let db_url = format!("{base}/{db}");
        if !exists {
            client
                .batch_execute(&format!("CREATE DATABASE {db}"))
                .await
                .expect("create database");
            drop(sso_scim::store::PostgresStore::connect(&db_url).await.expect("migrate"));
            let (c, conn) = tokio_postgres::connect(&db_url, tokio_postgres::NoTls)
                .await
                .expect("connect");
            tokio::spawn(conn);
            let n = n as i64;
            c.execute(
                "INSERT INTO sso_scim_accounts (id, email, email_key, provisioned_by)
                 SELECT 'a' || i, 'user' || i || '@example.com', 'user' || i || '@example.com', 'bench'
                 FROM generate_series(0::bigint, $1::bigint - 1) i",
                &[&n],
            )
            .await
            .expect("accounts");
            c.batch_execute(
                "INSERT INTO sso_scim_memberships (org, account, role, active)
                   SELECT 'bench', id, 0, TRUE FROM sso_scim_accounts;
                 INSERT INTO sso_scim_users (org, id, account, user_name, user_name_key, external_id, active,
                   created_s, created_n, modified_s, modified_n, version, data)
                   SELECT 'bench', 'u' || substr(id, 2), id, email, email, NULL, TRUE, 1767225600, 0,
                     1767225600, 0, 1, replace('DATA', 'EMAIL', email)
                   FROM sso_scim_accounts ORDER BY substr(id, 2)::bigint;
                 INSERT INTO sso_scim_user_emails (org, user_id, email_key)
                   SELECT 'bench', id, user_name_key FROM sso_scim_users;
                 ANALYZE;"
                    .replace("'DATA'", &format!("'{DATA}'"))
                    .as_str(),
            )
            .await
            .expect("users");
            c.execute(
                "INSERT INTO sso_scim_user_counts (org, n) VALUES ('bench', $1)",
                &[&n],
            )
            .await
            .expect("count");
        }
        Some(sso_scim::store::PostgresStore::connect(&db_url).await.expect("open"))
    })
}

fn lookup_query(i: usize) -> Query {
    Query::page(0, 1)
        .filtered(parse_filter(&format!("userName eq \"USER{i}@example.com\"")).expect("filter"))
}

fn bench_store<S: ScimDirectory + ReplayCache>(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    name: &str,
    n: usize,
    store: &S,
) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let org = org();
    let mut g = c.benchmark_group(format!("stores/{name}"));
    let mut i = 0usize;
    g.bench_function(BenchmarkId::new("user_name_lookup", n), |b| {
        b.iter(|| {
            i = (i * 7919 + 13) % n;
            let page = rt
                .block_on(store.query_users(&org, &lookup_query(i)))
                .expect("query")
                .expect("within the bound");
            assert_eq!(page.users.len(), 1);
        })
    });
    g.bench_function(BenchmarkId::new("create", n), |b| {
        b.iter(|| {
            let k = NEXT.fetch_add(1, Ordering::Relaxed);
            let email = format!("new{k}-{n}-{}@example.com", std::process::id());
            let account = Account {
                id: AccountId::new(format!("new-{n}-{k}-{}", std::process::id())).expect("id"),
                email: email.clone(),
                provisioned_by: Some(org.clone()),
            };
            let user = sample_user(&org, &account.id.to_string(), &account.id, &email, &email);
            rt.block_on(store.create_user(&user, &AccountLink::New(account)))
                .expect("store")
                .expect("created");
        })
    });
    g.bench_function(BenchmarkId::new("replay_consume", n), |b| {
        b.iter(|| {
            let k = NEXT.fetch_add(1, Ordering::Relaxed);
            assert!(rt.block_on(consume_assertion_id(
                store,
                &format!("bench-{n}-{k}-{}", std::process::id())
            )));
        })
    });
    g.finish();
}

/// MemoryStore keeps its replay cache apart: the pair as one value for the bench.
struct MemoryPair(MemoryStore, MemoryReplayCache);

fn bench(c: &mut Criterion) {
    let rt = runtime();
    for n in sizes() {
        let m = memory(n, &rt);
        let replay = MemoryReplayCache::with_capacity(50_000_000);
        bench_memory(c, &rt, n, &MemoryPair(m, replay));
        let s = sqlite(n);
        bench_store(c, &rt, "sqlite", n, &s);
        #[cfg(feature = "postgres")]
        if let Some(p) = postgres(n, &rt) {
            bench_store(c, &rt, "postgres", n, &p);
        }
    }
}

fn bench_memory(c: &mut Criterion, rt: &tokio::runtime::Runtime, n: usize, m: &MemoryPair) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let org = org();
    let mut g = c.benchmark_group("stores/memory");
    let mut i = 0usize;
    g.bench_function(BenchmarkId::new("user_name_lookup", n), |b| {
        b.iter(|| {
            i = (i * 7919 + 13) % n;
            let page = rt
                .block_on(m.0.query_users(&org, &lookup_query(i)))
                .expect("query")
                .expect("within the bound");
            assert_eq!(page.users.len(), 1);
        })
    });
    g.bench_function(BenchmarkId::new("create", n), |b| {
        b.iter(|| {
            let k = NEXT.fetch_add(1, Ordering::Relaxed);
            let email = format!("new{k}@example.com");
            let account = Account {
                id: AccountId::new(format!("new-{k}")).expect("id"),
                email: email.clone(),
                provisioned_by: Some(org.clone()),
            };
            let user = sample_user(&org, &account.id.to_string(), &account.id, &email, &email);
            rt.block_on(m.0.create_user(&user, &AccountLink::New(account)))
                .expect("store")
                .expect("created");
        })
    });
    g.bench_function(BenchmarkId::new("replay_consume", n), |b| {
        b.iter(|| {
            let k = NEXT.fetch_add(1, Ordering::Relaxed);
            assert!(rt.block_on(consume_assertion_id(&m.1, &format!("bench-{k}"))));
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
