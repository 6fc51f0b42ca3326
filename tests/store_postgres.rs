//! `PostgresStore` against the one conformance suite, with races between separate connections,
//! schema versions, and a second process sharing the database (as host replicas do).
//!
//! Needs a server: `SSO_SCIM_PG_URL=postgres://user@127.0.0.1:PORT/db` (`.ci/run` starts one
//! with `.ci/postgres.sh`). Without it each test prints a skip line, and fails when `CI=true`.

#[path = "store_races/mod.rs"]
mod store_races;

/// Says that a test is skipped, on the stderr handle (which the harness does not capture).
fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// The server's URL, or `None` after saying why the test is skipped.
fn pg_url(test: &str) -> Option<String> {
    if !cfg!(feature = "postgres") {
        skipped(
            test,
            "built without the postgres feature (cargo test --features postgres)",
        );
        return None;
    }
    match std::env::var("SSO_SCIM_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but SSO_SCIM_PG_URL is not set: the PostgreSQL tests must run in CI"
            );
            skipped(test, "SSO_SCIM_PG_URL is not set (see .ci/postgres.sh)");
            None
        }
    }
}

#[cfg(feature = "postgres")]
mod pg {
    use std::sync::Arc;

    use sso_scim::store::{
        conformance, PostgresError, PostgresOptions, PostgresStore, ScimDirectory,
    };
    use sso_scim::OrgId;

    use super::{pg_url, store_races};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap()
    }

    /// A prefix no earlier run used: the database is shared between runs.
    fn fresh(name: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        format!("{name}-{nanos}-{}", std::process::id())
    }

    /// A new, empty database on the same server; its URL.
    async fn new_database(url: &str, name: &str) -> String {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let db = name.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
        client
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .await
            .unwrap();
        let (base, _) = url.rsplit_once('/').unwrap();
        format!("{base}/{db}")
    }

    #[test]
    fn postgres_store_passes_the_conformance_suite() {
        let Some(url) = pg_url("postgres_store_passes_the_conformance_suite") else {
            return;
        };
        runtime().block_on(async {
            let store = PostgresStore::connect(&url).await.unwrap();
            let p = fresh("pg");
            conformance::run_all(&store, &p).await;
            conformance::run_all(&store, &format!("{p}-again")).await;
            conformance::replay(&store, &p).await;
            conformance::authn_requests(&store, &p).await;
        });
    }

    #[test]
    fn thirty_two_connections_race_and_each_race_has_one_winner() {
        let Some(url) = pg_url("thirty_two_connections_race_and_each_race_has_one_winner") else {
            return;
        };
        runtime().block_on(async {
            let mut stores = Vec::new();
            for _ in 0..32 {
                let s = PostgresStore::connect_with(
                    &url,
                    PostgresOptions::default().with_max_connections(1),
                )
                .await
                .unwrap();
                stores.push(Arc::new(s));
            }
            let p = fresh("race");
            store_races::one_user_name(&stores, &OrgId::new(&p).unwrap()).await;
            store_races::one_domain_owner(&stores, &format!("{p}.example")).await;
            store_races::one_consume(&stores, &p).await;
            store_races::one_request_consume(&stores, &p).await;
        });
    }

    #[test]
    fn a_newer_schema_is_refused_and_replicas_migrate_once() {
        let Some(url) = pg_url("a_newer_schema_is_refused_and_replicas_migrate_once") else {
            return;
        };
        runtime().block_on(async {
            let db = new_database(&url, &fresh("schema")).await;
            // Eight replicas starting at once: one migrates, the others find it done.
            let mut starts = Vec::new();
            for _ in 0..8 {
                let db = db.clone();
                starts.push(tokio::spawn(async move {
                    PostgresStore::connect(&db).await.map(drop)
                }));
            }
            for s in starts {
                s.await.unwrap().unwrap();
            }
            let (client, conn) = tokio_postgres::connect(&db, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            let rows = client
                .query("SELECT version FROM sso_scim_schema", &[])
                .await
                .unwrap();
            assert_eq!(
                rows.iter().map(|r| r.get::<_, i64>(0)).collect::<Vec<_>>(),
                [4]
            );
            client
                .execute("UPDATE sso_scim_schema SET version = 999", &[])
                .await
                .unwrap();
            match PostgresStore::connect(&db).await {
                Err(PostgresError::NewerSchema { found, supported }) => {
                    assert_eq!((found, supported), (999, 4))
                }
                other => panic!("a newer schema must be refused, got {other:?}"),
            }
        });
    }

    /// The second process of the replica test: consumes the assertion id it is given and prints
    /// whether that was the first use.
    #[test]
    #[ignore = "the child process of an_assertion_consumed_by_one_process_is_a_replay_in_another"]
    fn replica_child() {
        let (Ok(url), Ok(id)) = (
            std::env::var("SSO_SCIM_PG_URL"),
            std::env::var("SSO_SCIM_PG_CHILD_ID"),
        ) else {
            return;
        };
        let first = runtime().block_on(async {
            let store = PostgresStore::connect(&url).await.unwrap();
            conformance::consume_assertion_id(&store, &id).await
        });
        println!("first use: {first}");
    }

    #[test]
    fn an_assertion_consumed_by_one_process_is_a_replay_in_another() {
        let Some(url) = pg_url("an_assertion_consumed_by_one_process_is_a_replay_in_another")
        else {
            return;
        };
        let id = fresh("replica-assertion");
        let first = runtime().block_on(async {
            let store = PostgresStore::connect(&url).await.unwrap();
            conformance::consume_assertion_id(&store, &id).await
        });
        assert!(first);
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "pg::replica_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("SSO_SCIM_PG_URL", &url)
            .env("SSO_SCIM_PG_CHILD_ID", &id)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("first use: false"),
            "the other process must see a replay: {stdout}"
        );
        // And a fresh id in that other process is a first use (the child really consumed).
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "pg::replica_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("SSO_SCIM_PG_URL", &url)
            .env("SSO_SCIM_PG_CHILD_ID", format!("{id}-other"))
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("first use: true"));
    }

    #[test]
    fn lookups_are_served_by_indexes() {
        let Some(url) = pg_url("lookups_are_served_by_indexes") else {
            return;
        };
        runtime().block_on(async {
            let _store = PostgresStore::connect(&url).await.unwrap();
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            client.batch_execute("SET enable_seqscan = off").await.unwrap();
            for (what, sql) in [
                ("id", "SELECT * FROM sso_scim_users WHERE org = 'o' AND id = 'x'"),
                ("userName", "SELECT * FROM sso_scim_users WHERE org = 'o' AND user_name_key = 'x'"),
                ("externalId", "SELECT * FROM sso_scim_users WHERE org = 'o' AND external_id = 'x' ORDER BY seq"),
                ("emails.value", "SELECT user_id FROM sso_scim_user_emails WHERE org = 'o' AND email_key = 'x'"),
                ("default order", "SELECT * FROM sso_scim_users WHERE org = 'o' ORDER BY seq LIMIT 10 OFFSET 5"),
            ] {
                let plan: Vec<String> = client
                    .query(&format!("EXPLAIN {sql}"), &[])
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.get::<_, String>(0))
                    .collect();
                let plan = plan.join("\n");
                assert!(plan.contains("Index"), "{what} lookups need an index:\n{plan}");
                assert!(!plan.contains("Seq Scan"), "{what}:\n{plan}");
            }
            let users = _store.list_users(&OrgId::new("nobody").unwrap(), 0, 10).await.unwrap();
            assert_eq!(users.total, 0);
        });
    }
}

#[cfg(not(feature = "postgres"))]
#[test]
fn postgres_tests_need_the_feature() {
    assert!(pg_url("the PostgreSQL store tests").is_none());
}
