//! A scan (a filter no index serves) never stalls the rest of the service: parked midway, it
//! holds no lock, reader or connection, and a create, an indexed lookup and
//! `/ServiceProviderConfig` complete meanwhile. And one request's work is bounded.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::{block_on, skipped};
use sso_scim::store::{conformance::sample_user, Account, AccountId, AccountLink, ScimDirectory};
use sso_scim::{MemoryStore, OrgId, ScimRequest, ScimService, ScimStore, Timestamp};

/// Users in the organization: six batches of every store's scan.
const USERS: usize = 6 * sso_scim::store::SCAN_BATCH;

#[derive(Default)]
struct Flag {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        *self.woken.lock().unwrap() = true;
        self.cv.notify_all();
    }
}

impl Flag {
    /// Waits until the future asked to be polled again.
    fn wait(&self) {
        let mut w = self.woken.lock().unwrap();
        while !*w {
            let (g, t) = self.cv.wait_timeout(w, Duration::from_secs(30)).unwrap();
            assert!(!t.timed_out(), "the scan was never woken");
            w = g;
        }
        *w = false;
    }
}

fn load<S: ScimDirectory>(store: &S, org: &OrgId, prefix: &str) {
    for i in 0..USERS {
        let email = format!("{prefix}u{i}@example.com");
        let account = Account {
            id: AccountId::new(format!("{prefix}a{i}")).unwrap(),
            email: email.clone(),
            provisioned_by: Some(org.clone()),
        };
        let user = sample_user(org, &format!("{prefix}u{i}"), &account.id, &email, &email);
        block_on(store.create_user(&user, &AccountLink::New(account)))
            .ok()
            .unwrap()
            .unwrap();
    }
}

/// Runs `f` on another thread; its result, or a failure when it takes longer than 20 s (a
/// request stalled behind the parked scan).
fn completes<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    // The PostgreSQL store needs the runtime it was made on, also on this thread.
    let runtime = tokio::runtime::Handle::try_current().ok();
    std::thread::spawn(move || {
        let _inside = runtime.as_ref().map(|h| h.enter());
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("{what} did not complete while a scan was parked"))
}

fn parked_scan_stalls_nothing<S: ScimStore + 'static>(store: S, prefix: &str) {
    let org = OrgId::new(format!("{prefix}org")).unwrap();
    load(&store, &org, prefix);
    let service = Arc::new(ScimService::new(store, "https://app.example.com/scim/v2").unwrap());
    let now = Timestamp::parse("2026-02-01T09:00:00Z").unwrap();
    // The PostgreSQL database is shared between runs: a domain of this run.
    let domain = format!("{prefix}scan.example");
    block_on(service.claim_domain(&org, &domain)).unwrap();
    let token = block_on(service.generate_token(&org, "scan", now))
        .unwrap()
        .expose_secret()
        .to_owned();
    let auth = format!("Bearer {token}");

    let headers = [("Authorization", auth.as_str())];
    let req = ScimRequest::new("GET", "/scim/v2/Users")
        .query("filter=name.familyName+eq+%22nobody%22")
        .headers(&headers);
    let flag = Arc::new(Flag::default());
    let waker = Waker::from(Arc::clone(&flag));
    let mut cx = Context::from_waker(&waker);
    let mut scan = pin!(service.handle(&req, now));
    // Three rounds of polling: a store that scans in batches is still midway.
    for round in 0..3 {
        assert!(
            scan.as_mut().poll(&mut cx).is_pending(),
            "round {round}: the scan of {USERS} users finished at once; it must proceed in batches"
        );
        flag.wait();
    }

    // Parked: the scan future is not polled. Everything else goes on.
    let (svc, a, d) = (Arc::clone(&service), auth.clone(), domain.clone());
    let created = completes("a create", move || {
        let body = format!(
            r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"new@{d}","name":{{"givenName":"N","familyName":"Ew"}},"emails":[{{"value":"new@{d}"}}],"active":true}}"#
        );
        let h = [
            ("Authorization", a.as_str()),
            ("Content-Type", "application/scim+json"),
        ];
        block_on(
            svc.handle(
                &ScimRequest::new("POST", "/scim/v2/Users")
                    .headers(&h)
                    .body(body.as_bytes()),
                now,
            ),
        )
    });
    assert_eq!(created.status, 201, "{:?}", created.json_body());
    let q = format!("filter=userName+eq+%22{prefix}u7%40example.com%22");
    let (svc, a) = (Arc::clone(&service), auth.clone());
    let lookup = completes("an indexed lookup", move || {
        let h = [("Authorization", a.as_str())];
        block_on(
            svc.handle(
                &ScimRequest::new("GET", "/scim/v2/Users")
                    .query(&q)
                    .headers(&h),
                now,
            ),
        )
    });
    assert_eq!(lookup.json_body().unwrap()["totalResults"], 1);
    let (svc, a) = (Arc::clone(&service), auth.clone());
    let spc = completes("/ServiceProviderConfig", move || {
        let h = [("Authorization", a.as_str())];
        block_on(svc.handle(
            &ScimRequest::new("GET", "/scim/v2/ServiceProviderConfig").headers(&h),
            now,
        ))
    });
    assert_eq!(spc.status, 200);

    // Resumed, the scan completes with the right answer.
    let done = loop {
        if let Poll::Ready(r) = scan.as_mut().poll(&mut cx) {
            break r;
        }
        flag.wait();
    };
    assert_eq!(done.status, 200);
    assert_eq!(done.json_body().unwrap()["totalResults"], 0);
    let req = ScimRequest::new("GET", "/scim/v2/Users")
        .query("filter=name.familyName+eq+%22Family%22&count=1")
        .headers(&headers);
    let all = block_on(service.handle(&req, now));
    assert_eq!(all.json_body().unwrap()["totalResults"], USERS);
}

#[test]
fn a_parked_memory_scan_stalls_nothing() {
    parked_scan_stalls_nothing(MemoryStore::new(), "m");
}

#[test]
fn a_parked_sqlite_scan_stalls_nothing() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scim-scan");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = sso_scim::store::SqliteStore::open(dir.join("scan.sqlite3")).unwrap();
    parked_scan_stalls_nothing(store, "s");
}

#[test]
fn a_parked_postgres_scan_stalls_nothing() {
    let test = "a_parked_postgres_scan_stalls_nothing";
    #[cfg(not(feature = "postgres"))]
    skipped(
        test,
        "built without the postgres feature (cargo test --features postgres)",
    );
    #[cfg(feature = "postgres")]
    {
        let Ok(url) = std::env::var("SSO_SCIM_PG_URL") else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but SSO_SCIM_PG_URL is not set"
            );
            skipped(test, "SSO_SCIM_PG_URL is not set (see .ci/postgres.sh)");
            return;
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let _inside = rt.enter();
        let store = rt
            .block_on(sso_scim::store::PostgresStore::connect_with(
                &url,
                sso_scim::store::PostgresOptions::default().with_max_connections(2),
            ))
            .unwrap();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        parked_scan_stalls_nothing(store, &format!("p{nanos}-"));
    }
}

#[test]
fn one_request_does_a_bounded_amount_of_work() {
    let store = MemoryStore::new();
    let org = OrgId::new("bound").unwrap();
    load(&store, &org, "b");
    // Room for USERS one-term comparisons, not for USERS two-term ones.
    let service = ScimService::new(store, "https://app.example.com/scim/v2")
        .unwrap()
        .with_scan_work(USERS);
    let now = Timestamp::parse("2026-02-01T09:00:00Z").unwrap();
    let token = block_on(service.generate_token(&org, "bound", now)).unwrap();
    let auth = format!("Bearer {}", token.expose_secret());
    let headers = [("Authorization", auth.as_str())];
    let get = |q: &str| {
        let r = block_on(
            service.handle(
                &ScimRequest::new("GET", "/scim/v2/Users")
                    .query(q)
                    .headers(&headers),
                now,
            ),
        );
        (r.status, r.json_body().unwrap())
    };
    let (status, body) = get("filter=name.familyName+eq+%22nobody%22");
    assert_eq!(
        (status, &body["totalResults"]),
        (200, &serde_json::json!(0))
    );
    let (status, body) =
        get("filter=name.familyName+eq+%22nobody%22+or+name.givenName+eq+%22nobody%22");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["scimType"], "tooMany");
    assert!(
        body["detail"].as_str().unwrap().contains("indexed"),
        "{body}"
    );
    let (status, body) = get("filter=name.givenName+pr");
    assert_eq!(
        (status, &body["totalResults"]),
        (200, &serde_json::json!(USERS))
    );
    let (status, _) = get("filter=name.givenName+pr&sortBy=userName");
    assert_eq!(
        status, 400,
        "sorting the matches is one more comparison per user"
    );
    let (status, body) =
        get("filter=userName+eq+%22bu3%40example.com%22+or+name.givenName+eq+%22x%22");
    assert_eq!(status, 400, "an or of an indexed term still scans: {body}");
    let (status, body) = get("filter=userName+eq+%22bu3%40example.com%22+and+name.givenName+pr");
    assert_eq!(
        (status, &body["totalResults"]),
        (200, &serde_json::json!(1)),
        "{body}"
    );
    let (status, body) = get("startIndex=3000&count=2");
    assert_eq!(
        (status, &body["itemsPerPage"]),
        (200, &serde_json::json!(2)),
        "paging is never a scan"
    );
}
