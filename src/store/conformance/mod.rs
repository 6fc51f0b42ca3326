//! The store conformance suite: every contract of the store ports, as a test any store can run.
//!
//! ```
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut f = std::pin::pin!(f);
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
//! # }
//! // In your store's tests (with your async runtime instead of block_on):
//! let store = sso_scim::MemoryStore::new();
//! block_on(sso_scim::store::conformance::run_all(&store, "conformance"));
//! ```
//!
//! Every check uses fresh organization, account and user ids derived from `prefix`, so the suite
//! can run against a shared, non-empty database (use a new prefix for each run). A violated
//! contract panics with a message naming it.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod claims;
pub mod fixtures;
mod groups;
mod queries;
mod saml;
mod users;

pub use claims::{domains, pending};
pub use groups::{group_changes_touch_users, groups};
pub use queries::{concurrent_creates, isolation, paging, queries, scan_bound};
pub use saml::{
    authn_requests, consume_assertion_id, consume_request_id, insert_request_id, replay,
};
pub use users::{create_existing_account, create_new_account, deletes, updates};

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{
    email_key, Account, AccountId, Conflict, Email, Membership, OrgId, OrgRole, Organization,
    Query, ScimUser, TokenRecord, TooMany,
};
use super::{Accounts, OrgSettings, ScimDirectory, ScimStore, ScimTokens};
use crate::resource::parse_filter;
use crate::time::Timestamp;

/// Polls many futures concurrently on the caller's task.
struct JoinAll<F: Future> {
    futures: Vec<Option<Pin<Box<F>>>>,
    outputs: Vec<Option<F::Output>>,
}

impl<F: Future> Future for JoinAll<F>
where
    F::Output: Unpin,
{
    type Output = Vec<F::Output>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut pending = false;
        for (slot, out) in this.futures.iter_mut().zip(this.outputs.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(this.outputs.iter_mut().filter_map(Option::take).collect())
        }
    }
}

fn join_all<F: Future>(futures: Vec<F>) -> JoinAll<F> {
    let n = futures.len();
    JoinAll {
        futures: futures.into_iter().map(|f| Some(Box::pin(f))).collect(),
        outputs: (0..n).map(|_| None).collect(),
    }
}

fn org(prefix: &str, name: &str) -> OrgId {
    OrgId::new(format!("{prefix}-{name}")).unwrap()
}

fn t(secs: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_800_000_000 + secs)
}

/// A user record for tests.
pub fn sample_user(
    org: &OrgId,
    id: &str,
    account: &AccountId,
    user_name: &str,
    email: &str,
) -> ScimUser {
    ScimUser {
        id: id.to_owned(),
        org: org.clone(),
        account: account.clone(),
        user_name: user_name.to_owned(),
        external_id: Some(format!("ext-{id}")),
        given_name: Some("Given".into()),
        family_name: Some("Family".into()),
        formatted_name: None,
        display_name: None,
        locale: None,
        emails: vec![Email {
            value: email.to_owned(),
            kind: Some("work".into()),
            primary: true,
        }],
        active: true,
        enterprise: Default::default(),
        created: t(0),
        last_modified: t(0),
        version: 1,
    }
}

fn new_account(prefix: &str, name: &str, email: &str, org: Option<&OrgId>) -> Account {
    Account {
        id: AccountId::new(format!("{prefix}-acct-{name}")).unwrap(),
        email: email.to_owned(),
        provisioned_by: org.cloned(),
    }
}

/// The users of `org` with this externalId (an indexed filter), in default order.
async fn by_external_id<S: ScimDirectory>(
    s: &S,
    org: &OrgId,
    external_id: &str,
) -> Result<Vec<ScimUser>, S::Error> {
    let q = Query::page(0, 100)
        .filtered(parse_filter(&format!("externalId eq {external_id:?}")).unwrap());
    s.query_users(org, &q).await.map(|p| found(p).users)
}

/// The page of a query the store answered (every query of the suite is within its bound but
/// those of [`scan_bound`]).
fn found<T>(r: Result<T, TooMany>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("the store refused a query within its bound: {e}"),
    }
}

async fn ok<T, E: std::fmt::Debug>(what: &str, r: impl Future<Output = Result<T, E>>) -> T {
    match r.await {
        Ok(v) => v,
        Err(e) => panic!("{what}: the store failed: {e:?}"),
    }
}

/// Runs every check.
pub async fn run_all<S: ScimStore>(store: &S, prefix: &str) {
    organizations(store, &format!("{prefix}-orgs")).await;
    domains(store, &format!("{prefix}-domains")).await;
    tokens(store, &format!("{prefix}-tokens")).await;
    accounts(store, &format!("{prefix}-accounts")).await;
    create_new_account(store, &format!("{prefix}-create")).await;
    create_existing_account(store, &format!("{prefix}-existing")).await;
    updates(store, &format!("{prefix}-update")).await;
    deletes(store, &format!("{prefix}-delete")).await;
    paging(store, &format!("{prefix}-paging")).await;
    isolation(store, &format!("{prefix}-isolation")).await;
    concurrent_creates(store, &format!("{prefix}-race")).await;
    queries(store, &format!("{prefix}-queries")).await;
    scan_bound(store, &format!("{prefix}-bound")).await;
    groups(store, &format!("{prefix}-groups")).await;
    group_changes_touch_users(store, &format!("{prefix}-touch")).await;
}

/// Organization settings are stored and replaced; every write increments the version, and
/// a compare-and-set update over a stale version changes nothing.
pub async fn organizations<S: OrgSettings>(s: &S, p: &str) {
    let o = org(p, "a");
    assert_eq!(
        ok("organization", s.organization(&o)).await,
        None,
        "unknown organizations are None"
    );
    let at = |mut org: Organization, v: u64| {
        org.version = v;
        org
    };
    let settings = Organization::new(o.clone()).with_delete_on_deactivate(true);
    assert_eq!(
        ok("update", s.update_organization(&settings, 0)).await,
        Err(Conflict::NotFound),
        "update needs a stored record"
    );
    ok("put_organization", s.put_organization(&settings)).await;
    assert_eq!(
        ok("organization", s.organization(&o)).await,
        Some(at(settings.clone(), 1))
    );
    let changed = settings.with_require_claimed_domain(false);
    ok("put_organization", s.put_organization(&changed)).await;
    assert_eq!(
        ok("organization", s.organization(&o)).await,
        Some(at(changed.clone(), 2)),
        "put_organization replaces"
    );
    // Compare-and-set: the stale writer loses, nothing of its change lands.
    let first = changed.clone().with_require_sso(true);
    let stale = changed.clone().with_jit_provisioning(true);
    assert_eq!(ok("update", s.update_organization(&first, 2)).await, Ok(()));
    assert_eq!(
        ok("update", s.update_organization(&stale, 2)).await,
        Err(Conflict::Version { current: 3 })
    );
    assert_eq!(
        ok("organization", s.organization(&o)).await,
        Some(at(first.clone(), 3))
    );
    // Every setting survives: the login policy, both sides of the SAML setup, the SP key.
    let cert = crate::saml::IdpCertificate::parse(fixtures::IDP_CERT_PEM.as_bytes()).unwrap();
    let mut idp = crate::saml::IdpSettings::new(
        "http://www.okta.com/exkCONFORMANCE",
        "https://dev-1.okta.com/app/x/exkCONFORMANCE/sso/saml",
        vec![cert.clone(), cert],
    );
    idp.sso_post_url = Some("https://dev-1.okta.com/app/x/exkCONFORMANCE/sso/saml/post".into());
    idp.want_authn_requests_signed = true;
    idp.allow_idp_initiated = true;
    let key =
        crate::saml::SpSigningKey::from_pem(fixtures::SP_KEY_PEM, fixtures::SP_CERT_PEM).unwrap();
    let full = first
        .with_name("Acme \"Ünïcode\" Inc.")
        .with_require_sso(true)
        .with_jit_provisioning(true)
        .with_sp(crate::saml::SpEndpoints {
            entity_id: "https://app.example.com/saml/o/metadata".into(),
            acs_url: "https://app.example.com/saml/o/acs".into(),
        })
        .with_idp(idp)
        .with_sp_signing_key(key);
    #[cfg(feature = "encrypted-assertions")]
    let full = full.with_sp_decryption_keys(
        crate::saml::SpDecryptionKeys::new([crate::saml::SpDecryptionKey::from_pem(
            fixtures::SP_KEY_PEM,
            fixtures::SP_CERT_PEM,
        )
        .unwrap()])
        .unwrap(),
    );
    assert_eq!(ok("update", s.update_organization(&full, 3)).await, Ok(()));
    let back = ok("organization", s.organization(&o)).await;
    assert_eq!(back.as_ref(), Some(&at(full, 4)), "every setting is stored");
    assert!(back.and_then(|b| b.sso_config()).is_some_and(|c| c.is_ok()));
}

/// Token records are stored by id, listed per organization, and revoked only by their organization.
pub async fn tokens<S: ScimTokens>(s: &S, p: &str) {
    let (a, b) = (org(p, "a"), org(p, "b"));
    let rec = |id: &str, o: &OrgId, secs| TokenRecord {
        id: format!("{p}-{id}"),
        org: o.clone(),
        secret_hash: [7; 32],
        label: id.into(),
        created: t(secs),
        revoked: false,
    };
    for r in [rec("t1", &a, 1), rec("t2", &a, 2), rec("t3", &b, 3)] {
        ok("insert_token", s.insert_token(&r)).await;
    }
    assert_eq!(
        ok("token", s.token(&format!("{p}-t1"))).await,
        Some(rec("t1", &a, 1))
    );
    assert_eq!(ok("token", s.token(&format!("{p}-nope"))).await, None);
    let ids: Vec<String> = ok("tokens", s.tokens(&a))
        .await
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(
        ids,
        [format!("{p}-t1"), format!("{p}-t2")],
        "tokens are per organization, oldest first"
    );
    assert!(
        !ok("revoke", s.revoke_token(&b, &format!("{p}-t1"))).await,
        "a token is never revoked by another organization"
    );
    assert!(
        !ok("token", s.token(&format!("{p}-t1")))
            .await
            .unwrap()
            .revoked
    );
    assert!(ok("revoke", s.revoke_token(&a, &format!("{p}-t1"))).await);
    assert!(
        ok("token", s.token(&format!("{p}-t1")))
            .await
            .unwrap()
            .revoked
    );
}

/// Account emails are unique across organizations, case-insensitively.
pub async fn accounts<S: Accounts>(s: &S, p: &str) {
    let o = org(p, "a");
    let acc = new_account(p, "1", &format!("Ann@{p}.example"), None);
    assert_eq!(ok("create_account", s.create_account(&acc)).await, Ok(()));
    let dup = new_account(p, "2", &format!("ann@{}.EXAMPLE", p), None);
    assert_eq!(
        ok("create_account", s.create_account(&dup)).await,
        Err(Conflict::Email),
        "account emails are unique, case-insensitively"
    );
    assert_eq!(
        ok("account", s.account(&dup.id)).await,
        None,
        "a refused account is not stored"
    );
    assert_eq!(
        ok(
            "account_by_email",
            s.account_by_email(&email_key(&format!("ANN@{p}.example")))
        )
        .await,
        Some(acc.clone())
    );
    let ghost = AccountId::new(format!("{p}-ghost")).unwrap();
    let m = Membership {
        role: OrgRole::Admin,
        active: true,
    };
    assert_eq!(
        ok("put_membership", s.put_membership(&o, &ghost, &m)).await,
        Err(Conflict::NotFound)
    );
    assert_eq!(
        ok("put_membership", s.put_membership(&o, &acc.id, &m)).await,
        Ok(())
    );
    assert_eq!(ok("membership", s.membership(&o, &acc.id)).await, Some(m));
}
