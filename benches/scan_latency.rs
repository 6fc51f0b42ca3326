//! Latency of an indexed lookup (`userName eq`, what Okta sends before every create) through
//! `ScimService`, alone and while long scans (a filter no index serves) run on the same service,
//! on a 2-worker tokio runtime: a scan must not stall the others. Baseline: the same lookups
//! with no scan running, in the same run. MemoryStore and SqliteStore.
//!
//! Run: `cargo bench --bench scan_latency` (`SSO_SCIM_BENCH_SCAN_USERS=200000` by default).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sso_scim::store::{
    conformance::sample_user, Account, AccountId, AccountLink, ScimDirectory, SqliteStore,
};
use sso_scim::{MemoryStore, OrgId, ScimRequest, ScimService, ScimStore, Timestamp};

fn load<S: ScimDirectory>(rt: &tokio::runtime::Runtime, store: &S, org: &OrgId, n: usize) {
    for i in 0..n {
        let email = format!("user{i}@example.com");
        let account = Account {
            id: AccountId::new(format!("a{i}")).expect("id"),
            email: email.clone(),
            provisioned_by: Some(org.clone()),
        };
        let user = sample_user(org, &format!("u{i}"), &account.id, &email, &email);
        let _ = rt.block_on(store.create_user(&user, &AccountLink::New(account)));
    }
}

include!("data/support.rs");

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn lookups<S: ScimStore>(
    svc: &ScimService<S>,
    auth: &str,
    n: usize,
    count: usize,
) -> Vec<Duration> {
    let now = Timestamp::now();
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let q = format!(
            "filter=userName+eq+%22user{}%40example.com%22",
            (k * 7919) % n
        );
        let h = [("Authorization", auth)];
        let t = Instant::now();
        let r = svc
            .handle(
                &ScimRequest::new("GET", "/scim/v2/Users")
                    .query(&q)
                    .headers(&h),
                now,
            )
            .await;
        out.push(t.elapsed());
        assert_eq!(r.status, 200);
    }
    out.sort();
    out
}

fn run<S: ScimStore + 'static>(name: &str, rt: &tokio::runtime::Runtime, store: S, n: usize) {
    let org = OrgId::new("bench").expect("org");
    let svc = Arc::new(
        ScimService::new(store, "https://app.example.com/scim/v2")
            .expect("url")
            .with_scan_work(usize::MAX),
    );
    let token = rt
        .block_on(svc.generate_token(&org, "bench", Timestamp::now()))
        .expect("token");
    let auth = Arc::new(format!("Bearer {}", token.expose_secret()));
    let count = 2000;

    let base = rt.block_on({
        let (svc, auth) = (Arc::clone(&svc), Arc::clone(&auth));
        async move { lookups(&svc, &auth, n, count).await }
    });

    let stop = Arc::new(AtomicBool::new(false));
    let scans = Arc::new(AtomicUsize::new(0));
    let scan_time = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (svc, auth, stop, scans, scan_time) = (
            Arc::clone(&svc),
            Arc::clone(&auth),
            Arc::clone(&stop),
            Arc::clone(&scans),
            Arc::clone(&scan_time),
        );
        tasks.push(rt.spawn(async move {
            let h = [("Authorization", auth.as_str())];
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let r = svc
                    .handle(
                        &ScimRequest::new("GET", "/scim/v2/Users")
                            .query("filter=name.familyName+eq+%22nobody%22")
                            .headers(&h),
                        Timestamp::now(),
                    )
                    .await;
                assert_eq!(r.status, 200);
                scans.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut v) = scan_time.lock() {
                    v.push(t.elapsed());
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(200));
    let during = rt.block_on({
        let (svc, auth) = (Arc::clone(&svc), Arc::clone(&auth));
        async move {
            tokio::spawn(async move { lookups(&svc, &auth, n, count).await })
                .await
                .expect("task")
        }
    });
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = rt.block_on(t);
    }
    let scan_ms: Vec<f64> = scan_time
        .lock()
        .map(|v| v.iter().map(|d| d.as_secs_f64() * 1e3).collect())
        .unwrap_or_default();
    let mean_scan = scan_ms.iter().sum::<f64>() / scan_ms.len().max(1) as f64;
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{name:<8} {n} users: lookup alone p50 {:>8.1} µs p99 {:>8.1} µs | during 2 scans p50 {:>8.1} µs p99 {:>8.1} µs max {:>9.1} µs | p99 ratio {:.2} | {} scans of {:.0} ms each",
        us(percentile(&base, 0.5)),
        us(percentile(&base, 0.99)),
        us(percentile(&during, 0.5)),
        us(percentile(&during, 0.99)),
        us(*during.last().unwrap_or(&Duration::ZERO)),
        us(percentile(&during, 0.99)) / us(percentile(&base, 0.99)),
        scans.load(Ordering::Relaxed),
        mean_scan
    );
}

fn main() {
    let n = std::env::var("SSO_SCIM_BENCH_SCAN_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let rt = runtime();
    let org = OrgId::new("bench").expect("org");
    let memory = MemoryStore::new();
    load(&rt, &memory, &org, n);
    run("memory", &rt, memory, n);
    let dir = std::env::temp_dir().join("sso-scim-bench");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("scan-{n}.sqlite3"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let sqlite = SqliteStore::open(&path).expect("open");
    load(&rt, &sqlite, &org, n.min(50_000));
    run("sqlite", &rt, sqlite, n.min(50_000));
}
