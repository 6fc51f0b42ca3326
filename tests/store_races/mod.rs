//! Races every shared store must win the same way: each contender is its own task on a
//! multi-threaded runtime, with its own store handle (so its own connections).
#![allow(dead_code)]

use std::sync::Arc;

use sso_scim::saml::{AuthnRequestStore, ReplayCache};
use sso_scim::store::{
    conformance, Account, AccountId, AccountLink, ClaimConflict, ClaimStatus, Conflict,
    DomainClaims, ScimDirectory,
};
use sso_scim::{DomainName, OrgId};

async fn all<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

/// 32 creates of one userName in different letter cases: one user, 31 conflicts, one account.
pub async fn one_user_name<S>(stores: &[Arc<S>], org: &OrgId)
where
    S: ScimDirectory + Send + Sync + 'static,
{
    let tasks = stores
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (s, org) = (s.clone(), org.clone());
            tokio::spawn(async move {
                let email = format!("r{i}@{}.example", org.as_str());
                let account = Account {
                    id: AccountId::new(format!("{}-a{i}", org.as_str())).unwrap(),
                    email: email.clone(),
                    provisioned_by: Some(org.clone()),
                };
                let name = ["Same@Example.com", "same@example.com", "SAME@EXAMPLE.COM"][i % 3];
                let user = conformance::sample_user(
                    &org,
                    &format!("{}-u{i}", org.as_str()),
                    &account.id,
                    name,
                    &email,
                );
                s.create_user(&user, &AccountLink::New(account))
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let results: Vec<Result<Result<(), Conflict>, String>> = all(tasks).await;
    let results: Vec<Result<(), Conflict>> = results.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(Conflict::UserName))),
        "{results:?}"
    );
    let page = stores[0].list_users(org, 0, 100).await.unwrap();
    assert_eq!((page.total, page.users.len()), (1, 1));
    let mut accounts = 0;
    for i in 0..stores.len() {
        let id = AccountId::new(format!("{}-a{i}", org.as_str())).unwrap();
        if stores[0].account(&id).await.unwrap().is_some() {
            accounts += 1;
        }
    }
    assert_eq!(accounts, 1, "the losers' accounts were not created");
}

/// 32 organizations with a pending claim of one domain verify it at once: one holds it
/// verified, every other is refused naming the winner, and the winner is the verified owner.
pub async fn one_domain_owner<S>(stores: &[Arc<S>], domain: &str)
where
    S: DomainClaims + Send + Sync + 'static,
{
    let d = DomainName::parse(domain).unwrap();
    let mut claims = Vec::new();
    for i in 0..stores.len() {
        let org = OrgId::new(format!("{domain}-claimant-{i}")).unwrap();
        let c = conformance::pending(&org, &d, i as u8);
        assert_eq!(stores[0].insert_claim(&c).await.unwrap(), Ok(()));
        claims.push(c);
    }
    let tasks = stores
        .iter()
        .zip(claims)
        .map(|(s, c)| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut v = c.clone();
                v.status = ClaimStatus::Verified;
                let r = s
                    .update_claim(&v, c.version)
                    .await
                    .map_err(|e| e.to_string());
                (c.org, r)
            })
        })
        .collect();
    let outcomes: Vec<(OrgId, Result<(), ClaimConflict>)> = all(tasks)
        .await
        .into_iter()
        .map(|(o, r)| (o, r.unwrap()))
        .collect();
    let winners: Vec<&OrgId> = outcomes
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(o, _)| o)
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    let winner = winners[0].clone();
    for (_, r) in &outcomes {
        match r {
            Ok(()) => {}
            Err(ClaimConflict::VerifiedByOther(o)) => assert_eq!(o, &winner),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(stores[0].verified_owner(&d).await.unwrap(), Some(winner));
}

/// 32 consumes of one assertion id: one login.
pub async fn one_consume<S>(stores: &[Arc<S>], id: &str)
where
    S: ReplayCache + Send + Sync + 'static,
{
    let tasks = stores
        .iter()
        .map(|s| {
            let (s, id) = (s.clone(), id.to_owned());
            tokio::spawn(async move { conformance::consume_assertion_id(&*s, &id).await })
        })
        .collect();
    let consumed = all(tasks).await;
    assert_eq!(consumed.iter().filter(|c| **c).count(), 1, "{consumed:?}");
}

/// One outstanding request id, 32 consumers: one login answers it.
pub async fn one_request_consume<S>(stores: &[Arc<S>], id: &str)
where
    S: AuthnRequestStore + Send + Sync + 'static,
{
    conformance::insert_request_id(&*stores[0], id).await;
    let tasks = stores
        .iter()
        .map(|s| {
            let (s, id) = (s.clone(), id.to_owned());
            tokio::spawn(async move { conformance::consume_request_id(&*s, &id).await })
        })
        .collect();
    let consumed = all(tasks).await;
    assert_eq!(consumed.iter().filter(|c| **c).count(), 1, "{consumed:?}");
}
