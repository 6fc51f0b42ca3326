//! The store conformance suite against MemoryStore, plus a race with real threads (the suite's
//! own race polls futures on one task, which for an in-memory store is sequential).

mod common;
#[path = "store_races/mod.rs"]
mod store_races;

use std::sync::Arc;

use common::block_on;
use sso_scim::store::{conformance, AccountId, AccountLink, Accounts, Conflict, ScimDirectory};
use sso_scim::{MemoryStore, OrgId};

#[test]
fn memory_store_passes_the_conformance_suite() {
    let store = MemoryStore::new();
    block_on(conformance::run_all(&store, "memory"));
    // The suite only adds fresh ids: running it twice in one store must pass as well
    // (that is how it runs against a shared database).
    block_on(conformance::run_all(&store, "memory-again"));
}

#[test]
fn thirty_two_threads_creating_one_user_name_one_wins() {
    let store = Arc::new(MemoryStore::new());
    let org = OrgId::new("race").unwrap();
    let handles: Vec<_> = (0..32)
        .map(|i| {
            let (store, org) = (store.clone(), org.clone());
            std::thread::spawn(move || {
                let email = format!("r{i}@race.example");
                let account = sso_scim::store::Account {
                    id: AccountId::new(format!("a{i}")).unwrap(),
                    email: email.clone(),
                    provisioned_by: Some(org.clone()),
                };
                let name = ["Same@Example.com", "same@example.com", "SAME@EXAMPLE.COM"][i % 3];
                let user =
                    conformance::sample_user(&org, &format!("u{i}"), &account.id, name, &email);
                block_on(store.create_user(&user, &AccountLink::New(account))).unwrap()
            })
        })
        .collect();
    let results: Vec<Result<(), Conflict>> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(results
        .iter()
        .all(|r| matches!(r, Ok(()) | Err(Conflict::UserName))));
    let page = block_on(store.list_users(&org, 0, 100)).unwrap();
    assert_eq!(page.total, 1);
    // Exactly one account exists: the losers' accounts were not created.
    let accounts = (0..32)
        .filter(|i| {
            block_on(store.account(&AccountId::new(format!("a{i}")).unwrap()))
                .unwrap()
                .is_some()
        })
        .count();
    assert_eq!(accounts, 1);
}

#[test]
fn memory_caches_keep_the_replay_and_request_contracts() {
    block_on(conformance::replay(
        &sso_scim::MemoryReplayCache::new(),
        "memory",
    ));
    block_on(conformance::authn_requests(
        &sso_scim::MemoryAuthnRequests::new(),
        "memory",
    ));
    // MemoryStore carries both, for the organization service's logins.
    let store = MemoryStore::new();
    block_on(conformance::replay(&store, "memory-store"));
    block_on(conformance::authn_requests(&store, "memory-store"));
}

#[test]
fn memory_races_on_a_multi_threaded_runtime_have_one_winner() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let store = Arc::new(MemoryStore::new());
    let stores: Vec<Arc<MemoryStore>> = (0..32).map(|_| store.clone()).collect();
    rt.block_on(store_races::one_user_name(
        &stores,
        &OrgId::new("memory-race").unwrap(),
    ));
    rt.block_on(store_races::one_domain_owner(
        &stores,
        "memory-race.example",
    ));
    let cache = Arc::new(sso_scim::MemoryReplayCache::new());
    let caches: Vec<_> = (0..32).map(|_| cache.clone()).collect();
    rt.block_on(store_races::one_consume(&caches, "memory-race"));
    let requests = Arc::new(sso_scim::MemoryAuthnRequests::new());
    let all: Vec<_> = (0..32).map(|_| requests.clone()).collect();
    rt.block_on(store_races::one_request_consume(&all, "memory-race"));
}
