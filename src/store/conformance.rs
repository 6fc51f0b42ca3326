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

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{
    email_key, user_name_key, Account, AccountId, AccountLink, ClaimOutcome, Conflict, Email,
    Membership, OrgId, OrgRole, Organization, Query, ScimGroup, ScimUser, Sort, TokenRecord,
    TooMany,
};
use super::{Accounts, DomainClaims, OrgSettings, ScimDirectory, ScimStore, ScimTokens};
use crate::domain::DomainName;
use crate::resource::{group_matches, parse_filter, parse_patch_path, user_matches};
use crate::saml::{AuthnRequestStore, ReplayCache, RequestId};
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

/// Organization settings are stored and replaced.
pub async fn organizations<S: OrgSettings>(s: &S, p: &str) {
    let o = org(p, "a");
    assert_eq!(
        ok("organization", s.organization(&o)).await,
        None,
        "unknown organizations are None"
    );
    let settings = Organization::new(o.clone()).with_delete_on_deactivate(true);
    ok("put_organization", s.put_organization(&settings)).await;
    assert_eq!(
        ok("organization", s.organization(&o)).await,
        Some(settings.clone())
    );
    let changed = settings.with_require_claimed_domain(false);
    ok("put_organization", s.put_organization(&changed)).await;
    assert_eq!(
        ok("organization", s.organization(&o)).await,
        Some(changed),
        "put_organization replaces"
    );
}

/// A domain is claimed by at most one organization.
pub async fn domains<S: DomainClaims>(s: &S, p: &str) {
    let (a, b) = (org(p, "a"), org(p, "b"));
    let name = format!(
        "{}.example",
        p.to_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    let d = DomainName::parse(&name).unwrap();
    let d2 = DomainName::parse(&format!("z{name}")).unwrap();
    assert_eq!(
        ok("claim", s.claim_domain(&a, &d)).await,
        ClaimOutcome::Claimed
    );
    assert_eq!(
        ok("claim", s.claim_domain(&a, &d)).await,
        ClaimOutcome::AlreadyClaimed
    );
    assert_eq!(
        ok("claim", s.claim_domain(&b, &d)).await,
        ClaimOutcome::ClaimedByOther(a.clone()),
        "claims are unique across organizations"
    );
    assert_eq!(
        ok("owner", s.domain_owner(&d)).await,
        Some(a.clone()),
        "a refused claim changes nothing"
    );
    assert_eq!(
        ok("claim", s.claim_domain(&a, &d2)).await,
        ClaimOutcome::Claimed
    );
    assert_eq!(
        ok("claimed", s.claimed_domains(&a)).await,
        vec![d.clone(), d2.clone()],
        "claimed_domains is sorted"
    );
    assert!(
        !ok("release", s.release_domain(&b, &d)).await,
        "another organization cannot release a claim"
    );
    assert!(ok("release", s.release_domain(&a, &d)).await);
    assert_eq!(ok("owner", s.domain_owner(&d)).await, None);
    assert_eq!(
        ok("claim", s.claim_domain(&b, &d)).await,
        ClaimOutcome::Claimed,
        "a released domain can be claimed again"
    );
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

/// Creating a user with a new account is atomic and userName is unique case-insensitively.
pub async fn create_new_account<S: ScimStore>(s: &S, p: &str) {
    let o = org(p, "a");
    let email = format!("bo@{p}.example");
    let acc = new_account(p, "bo", &email, Some(&o));
    let u = sample_user(&o, &format!("{p}-u1"), &acc.id, "Bo@Example.com", &email);
    assert_eq!(
        ok(
            "create_user",
            s.create_user(&u, &AccountLink::New(acc.clone()))
        )
        .await,
        Ok(())
    );
    assert_eq!(ok("user", s.user(&o, &u.id)).await, Some(u.clone()));
    assert_eq!(
        ok("account", s.account(&acc.id)).await,
        Some(acc.clone()),
        "the new account is stored with the user"
    );
    assert_eq!(
        ok("membership", s.membership(&o, &acc.id)).await,
        Some(Membership {
            role: OrgRole::Member,
            active: true
        }),
        "provisioning creates a member"
    );
    assert_eq!(
        ok(
            "by userName",
            s.user_by_user_name(&o, &user_name_key("BO@EXAMPLE.COM"))
        )
        .await,
        Some(u.clone()),
        "userName lookups are case-insensitive"
    );
    assert_eq!(
        ok(
            "by externalId",
            by_external_id(s, &o, &format!("ext-{p}-u1"))
        )
        .await,
        vec![u.clone()]
    );

    // Same userName in another case: refused, and nothing of it is stored.
    let email2 = format!("cy@{p}.example");
    let acc2 = new_account(p, "cy", &email2, Some(&o));
    let u2 = sample_user(&o, &format!("{p}-u2"), &acc2.id, "bo@example.COM", &email2);
    assert_eq!(
        ok(
            "create_user",
            s.create_user(&u2, &AccountLink::New(acc2.clone()))
        )
        .await,
        Err(Conflict::UserName)
    );
    assert_eq!(ok("user", s.user(&o, &u2.id)).await, None);
    assert_eq!(
        ok("account", s.account(&acc2.id)).await,
        None,
        "a refused create leaves no account behind"
    );
    assert_eq!(
        ok("account_by_email", s.account_by_email(&email_key(&email2))).await,
        None
    );

    // A new account whose email is taken: refused.
    let acc3 = new_account(p, "bo2", &email.to_uppercase(), Some(&o));
    let u3 = sample_user(
        &o,
        &format!("{p}-u3"),
        &acc3.id,
        "other@example.com",
        &email,
    );
    assert_eq!(
        ok("create_user", s.create_user(&u3, &AccountLink::New(acc3))).await,
        Err(Conflict::Email)
    );
    assert_eq!(ok("user", s.user(&o, &u3.id)).await, None);
}

/// Linking an existing account requires its membership, once.
pub async fn create_existing_account<S: ScimStore>(s: &S, p: &str) {
    let o = org(p, "a");
    let email = format!("dee@{p}.example");
    let acc = new_account(p, "dee", &email, None);
    assert_eq!(ok("create_account", s.create_account(&acc)).await, Ok(()));
    let u = sample_user(&o, &format!("{p}-u1"), &acc.id, "dee@example.com", &email);
    assert_eq!(
        ok(
            "create_user",
            s.create_user(&u, &AccountLink::Existing(acc.id.clone()))
        )
        .await,
        Err(Conflict::NotMember),
        "an outside account is not linked"
    );
    assert_eq!(ok("user", s.user(&o, &u.id)).await, None);
    let admin = Membership {
        role: OrgRole::Admin,
        active: true,
    };
    assert_eq!(
        ok("put_membership", s.put_membership(&o, &acc.id, &admin)).await,
        Ok(())
    );
    assert_eq!(
        ok(
            "create_user",
            s.create_user(&u, &AccountLink::Existing(acc.id.clone()))
        )
        .await,
        Ok(())
    );
    assert_eq!(
        ok("membership", s.membership(&o, &acc.id))
            .await
            .map(|m| m.role),
        Some(OrgRole::Admin),
        "linking keeps the member's role"
    );
    let again = sample_user(&o, &format!("{p}-u2"), &acc.id, "dee2@example.com", &email);
    assert_eq!(
        ok(
            "create_user",
            s.create_user(&again, &AccountLink::Existing(acc.id.clone()))
        )
        .await,
        Err(Conflict::AccountLinked)
    );
    let ghost = AccountId::new(format!("{p}-ghost")).unwrap();
    let orphan = sample_user(
        &o,
        &format!("{p}-u3"),
        &ghost,
        "g@example.com",
        "g@example.com",
    );
    assert_eq!(
        ok(
            "create_user",
            s.create_user(&orphan, &AccountLink::Existing(ghost))
        )
        .await,
        Err(Conflict::NotFound)
    );
}

/// Updates are versioned, all-or-nothing, keep uniqueness, and carry email and active state.
pub async fn updates<S: ScimStore>(s: &S, p: &str) {
    let o = org(p, "a");
    let (e1, e2) = (format!("eve@{p}.example"), format!("fay@{p}.example"));
    let (a1, a2) = (
        new_account(p, "eve", &e1, Some(&o)),
        new_account(p, "fay", &e2, Some(&o)),
    );
    let u1 = sample_user(&o, &format!("{p}-u1"), &a1.id, "eve@example.com", &e1);
    let u2 = sample_user(&o, &format!("{p}-u2"), &a2.id, "fay@example.com", &e2);
    assert_eq!(
        ok("create", s.create_user(&u1, &AccountLink::New(a1.clone()))).await,
        Ok(())
    );
    assert_eq!(
        ok("create", s.create_user(&u2, &AccountLink::New(a2.clone()))).await,
        Ok(())
    );
    let admin = Membership {
        role: OrgRole::Admin,
        active: true,
    };
    assert_eq!(
        ok("put_membership", s.put_membership(&o, &a1.id, &admin)).await,
        Ok(())
    );

    let mut next = u1.clone();
    next.given_name = Some("Evelyn".into());
    assert_eq!(
        ok("update", s.update_user(&next, &e1, 7)).await,
        Err(Conflict::Version { current: 1 }),
        "a stale version is refused"
    );
    next.user_name = "FAY@example.com".into();
    assert_eq!(
        ok("update", s.update_user(&next, &e1, 1)).await,
        Err(Conflict::UserName),
        "userName stays unique on update"
    );
    next.user_name = "evelyn@example.com".into();
    assert_eq!(
        ok("update", s.update_user(&next, &e2.to_uppercase(), 1)).await,
        Err(Conflict::Email),
        "account emails stay unique on update"
    );
    assert_eq!(
        ok("user", s.user(&o, &u1.id)).await,
        Some(u1.clone()),
        "refused updates change nothing"
    );

    let new_email = format!("evelyn@{p}.example");
    next.active = false;
    assert_eq!(
        ok("update", s.update_user(&next, &new_email, 1)).await,
        Ok(())
    );
    let stored = ok("user", s.user(&o, &u1.id)).await.unwrap();
    assert_eq!(stored.version, 2, "an update increments the version");
    assert_eq!(stored.given_name.as_deref(), Some("Evelyn"));
    assert_eq!(stored.created, u1.created, "created never changes");
    assert_eq!(
        ok("account", s.account(&a1.id)).await.unwrap().email,
        new_email,
        "the account email follows"
    );
    assert_eq!(
        ok("by old email", s.account_by_email(&email_key(&e1))).await,
        None
    );
    let m = ok("membership", s.membership(&o, &a1.id)).await.unwrap();
    assert_eq!(
        m,
        Membership {
            role: OrgRole::Admin,
            active: false
        },
        "deactivation keeps the admin's role"
    );
    assert_eq!(
        ok(
            "by old userName",
            s.user_by_user_name(&o, &user_name_key("eve@example.com"))
        )
        .await,
        None,
        "the old userName is free"
    );
    assert!(ok(
        "by new userName",
        s.user_by_user_name(&o, &user_name_key("Evelyn@Example.com"))
    )
    .await
    .is_some());
    next.active = true;
    assert_eq!(
        ok("update", s.update_user(&next, &new_email, 2)).await,
        Ok(())
    );
    assert!(
        ok("membership", s.membership(&o, &a1.id))
            .await
            .unwrap()
            .active,
        "reactivation"
    );
    let missing = sample_user(
        &o,
        &format!("{p}-nope"),
        &a1.id,
        "x@example.com",
        "x@example.com",
    );
    assert_eq!(
        ok("update", s.update_user(&missing, "x@example.com", 1)).await,
        Err(Conflict::NotFound)
    );
}

/// Deleting removes the user and membership; orphaned provisioned accounts optionally.
pub async fn deletes<S: ScimStore>(s: &S, p: &str) {
    let (o, other) = (org(p, "a"), org(p, "b"));
    let e = |n: &str| format!("{n}@{p}.example");
    let provisioned = new_account(p, "gus", &e("gus"), Some(&o));
    let u = sample_user(
        &o,
        &format!("{p}-u1"),
        &provisioned.id,
        "gus@example.com",
        &e("gus"),
    );
    assert_eq!(
        ok(
            "create",
            s.create_user(&u, &AccountLink::New(provisioned.clone()))
        )
        .await,
        Ok(())
    );
    assert!(
        !ok("delete", s.delete_user(&other, &u.id, true, t(9))).await,
        "another organization cannot delete"
    );
    assert!(ok("delete", s.delete_user(&o, &u.id, true, t(9))).await);
    assert!(
        !ok("delete", s.delete_user(&o, &u.id, true, t(9))).await,
        "deleting twice finds nothing"
    );
    assert_eq!(ok("user", s.user(&o, &u.id)).await, None);
    assert_eq!(
        ok("membership", s.membership(&o, &provisioned.id)).await,
        None
    );
    assert_eq!(
        ok("account", s.account(&provisioned.id)).await,
        None,
        "an orphaned provisioned account is deleted"
    );
    assert_eq!(
        ok(
            "by userName",
            s.user_by_user_name(&o, &user_name_key("gus@example.com"))
        )
        .await,
        None
    );

    // Kept: an account with another membership, and an account not created by provisioning.
    let shared = new_account(p, "hal", &e("hal"), Some(&o));
    let uh = sample_user(
        &o,
        &format!("{p}-u2"),
        &shared.id,
        "hal@example.com",
        &e("hal"),
    );
    assert_eq!(
        ok(
            "create",
            s.create_user(&uh, &AccountLink::New(shared.clone()))
        )
        .await,
        Ok(())
    );
    let member = Membership {
        role: OrgRole::Member,
        active: true,
    };
    assert_eq!(
        ok(
            "put_membership",
            s.put_membership(&other, &shared.id, &member)
        )
        .await,
        Ok(())
    );
    assert!(ok("delete", s.delete_user(&o, &uh.id, true, t(9))).await);
    assert!(
        ok("account", s.account(&shared.id)).await.is_some(),
        "an account with another membership is kept"
    );
    assert_eq!(
        ok("membership", s.membership(&other, &shared.id)).await,
        Some(member)
    );

    let own = new_account(p, "ivy", &e("ivy"), None);
    assert_eq!(ok("create_account", s.create_account(&own)).await, Ok(()));
    assert_eq!(
        ok("put_membership", s.put_membership(&o, &own.id, &member)).await,
        Ok(())
    );
    let ui = sample_user(
        &o,
        &format!("{p}-u3"),
        &own.id,
        "ivy@example.com",
        &e("ivy"),
    );
    assert_eq!(
        ok(
            "create",
            s.create_user(&ui, &AccountLink::Existing(own.id.clone()))
        )
        .await,
        Ok(())
    );
    assert!(ok("delete", s.delete_user(&o, &ui.id, true, t(9))).await);
    assert!(
        ok("account", s.account(&own.id)).await.is_some(),
        "an account the host created is kept"
    );
    // The userName can be provisioned again.
    let again = new_account(p, "gus2", &e("gus"), Some(&o));
    let ug = sample_user(
        &o,
        &format!("{p}-u4"),
        &again.id,
        "GUS@example.com",
        &e("gus"),
    );
    assert_eq!(
        ok("create", s.create_user(&ug, &AccountLink::New(again))).await,
        Ok(())
    );
}

/// Default-order pages: creation order, stable under deletes, with totals.
pub async fn paging<S: ScimStore>(s: &S, p: &str) {
    let o = org(p, "a");
    let mut ids = Vec::new();
    for i in 0..25 {
        let email = format!("user{i}@{p}.example");
        let acc = new_account(p, &format!("u{i}"), &email, Some(&o));
        let mut u = sample_user(
            &o,
            &format!("{p}-u{i:02}"),
            &acc.id,
            &format!("user{i}@example.com"),
            &email,
        );
        u.created = t(i);
        assert_eq!(
            ok("create", s.create_user(&u, &AccountLink::New(acc))).await,
            Ok(())
        );
        ids.push(u.id);
    }
    let o_ref = &o;
    let page = |start, count| async move {
        let pg = ok("list", s.list_users(o_ref, start, count)).await;
        (
            pg.users.into_iter().map(|u| u.id).collect::<Vec<_>>(),
            pg.total,
        )
    };
    assert_eq!(page(0, 10).await, (ids[..10].to_vec(), 25));
    assert_eq!(page(20, 10).await, (ids[20..].to_vec(), 25));
    assert_eq!(page(25, 10).await, (vec![], 25));
    assert_eq!(page(3, 0).await, (vec![], 25));
    for i in [0usize, 5, 6, 24] {
        assert!(ok("delete", s.delete_user(&o, &ids[i], true, t(9))).await);
    }
    let rest: Vec<String> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| ![0, 5, 6, 24].contains(i))
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(
        page(0, 100).await,
        (rest.clone(), 21),
        "order is stable under deletes"
    );
    assert_eq!(page(4, 3).await, (rest[4..7].to_vec(), 21));
    // Paging stays stable while users are inserted: new users come after every existing one, so
    // a client paging through meets each existing user once, in order.
    let mut seen = page(0, 7).await.0;
    for i in 25..31 {
        let email = format!("user{i}@{p}.example");
        let acc = new_account(p, &format!("u{i}"), &email, Some(&o));
        let mut u = sample_user(
            &o,
            &format!("{p}-u{i:02}"),
            &acc.id,
            &format!("user{i}@example.com"),
            &email,
        );
        u.created = t(i);
        assert_eq!(
            ok("create", s.create_user(&u, &AccountLink::New(acc))).await,
            Ok(())
        );
        let next = page(seen.len(), 7).await.0;
        seen.extend(next);
    }
    while seen.len() < 27 {
        let next = page(seen.len(), 7).await.0;
        assert!(!next.is_empty(), "paging ended early");
        seen.extend(next);
    }
    assert_eq!(
        &seen[..rest.len()],
        &rest[..],
        "every existing user once, in order, while inserting"
    );
    assert_eq!(seen.len(), 27, "no user twice");
    // Updates do not move users.
    let mut first = ok("user", s.user(&o, &rest[0])).await.unwrap();
    first.display_name = Some("moved?".into());
    let email = first.primary_email().unwrap_or_default().to_owned();
    assert_eq!(ok("update", s.update_user(&first, &email, 1)).await, Ok(()));
    assert_eq!(page(0, 1).await.0, vec![rest[0].clone()]);
}

/// Nothing of one organization is visible through another.
pub async fn isolation<S: ScimStore>(s: &S, p: &str) {
    let (a, b) = (org(p, "a"), org(p, "b"));
    let email = format!("jo@{p}.example");
    let acc = new_account(p, "jo", &email, Some(&a));
    let u = sample_user(&a, &format!("{p}-u1"), &acc.id, "jo@example.com", &email);
    assert_eq!(
        ok("create", s.create_user(&u, &AccountLink::New(acc.clone()))).await,
        Ok(())
    );
    assert_eq!(ok("user", s.user(&b, &u.id)).await, None);
    assert_eq!(
        ok(
            "by userName",
            s.user_by_user_name(&b, &user_name_key("jo@example.com"))
        )
        .await,
        None
    );
    assert_eq!(
        ok(
            "by externalId",
            by_external_id(s, &b, &format!("ext-{p}-u1"))
        )
        .await,
        vec![]
    );
    assert_eq!(ok("list", s.list_users(&b, 0, 100)).await.total, 0);
    let mut foreign = u.clone();
    foreign.org = b.clone();
    assert_eq!(
        ok("update", s.update_user(&foreign, &email, 1)).await,
        Err(Conflict::NotFound)
    );
    // The same userName may exist in another organization (for another account).
    let email_b = format!("jo.b@{p}.example");
    let acc_b = new_account(p, "job", &email_b, Some(&b));
    let ub = sample_user(
        &b,
        &format!("{p}-u2"),
        &acc_b.id,
        "jo@example.com",
        &email_b,
    );
    assert_eq!(
        ok("create", s.create_user(&ub, &AccountLink::New(acc_b))).await,
        Ok(()),
        "userName is unique per organization only"
    );
    assert_eq!(ok("user", s.user(&a, &u.id)).await, Some(u));
}

/// 32 concurrent creates of one userName (in different cases): exactly one wins.
pub async fn concurrent_creates<S: ScimStore>(s: &S, p: &str) {
    let o = org(p, "a");
    let futures: Vec<_> = (0..32)
        .map(|i| {
            let o = o.clone();
            async move {
                let email = format!("racer{i}@{p}.example");
                let acc = new_account(p, &format!("r{i}"), &email, Some(&o));
                let name = if i % 2 == 0 {
                    "Racer@Example.com"
                } else {
                    "racer@example.COM"
                };
                let u = sample_user(&o, &format!("{p}-u{i}"), &acc.id, name, &email);
                ok("create", s.create_user(&u, &AccountLink::New(acc))).await
            }
        })
        .collect();
    let results = join_all(futures).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(
        wins, 1,
        "exactly one of 32 concurrent creates of the same userName wins: {results:?}"
    );
    assert!(results
        .iter()
        .all(|r| matches!(r, Ok(()) | Err(Conflict::UserName))));
    assert_eq!(ok("list", s.list_users(&o, 0, 100)).await.total, 1);
}

/// `query_users` gives exactly what the reference evaluation gives, sorted and paged.
pub async fn queries<S: ScimStore>(s: &S, p: &str) {
    let o = org(p, "a");
    let names = ["Zoe", "adam", "Mia", "bob", "Eve", "carl"];
    let mut all = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let email = format!("{}@{p}.example", n.to_lowercase());
        let acc = new_account(p, &format!("q{i}"), &email, Some(&o));
        let mut u = sample_user(
            &o,
            &format!("{p}-u{i}"),
            &acc.id,
            &format!("{n}@Example.com"),
            &email,
        );
        u.given_name = Some((*n).to_owned());
        u.active = i % 2 == 0;
        u.created = t(i as i64);
        assert_eq!(
            ok("create", s.create_user(&u, &AccountLink::New(acc))).await,
            Ok(())
        );
        all.push(u);
    }
    let filters = [
        r#"userName eq "MIA@example.com""#,
        r#"name.givenName sw "e" or name.givenName co "o""#,
        "active eq true",
        r#"not (active eq true) and userName ew "example.com""#,
        r#"emails[type eq "work" and value co "@"]"#,
        "title pr",
    ];
    for f in filters {
        let filter = parse_filter(f).unwrap();
        let want: Vec<&str> = all
            .iter()
            .filter(|u| user_matches(&filter, u, &[]))
            .map(|u| u.id.as_str())
            .collect();
        let q = Query::page(0, 100).filtered(filter);
        let page = found(ok("query_users", s.query_users(&o, &q)).await);
        let got: Vec<&str> = page.users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(
            got, want,
            "query_users({f}) must equal the reference evaluation, in default order"
        );
        assert_eq!(page.total, want.len());
    }
    let sorted = |by: &str, descending| Query {
        filter: None,
        sort: Some(Sort {
            by: parse_patch_path(by).unwrap().attr,
            descending,
        }),
        start: 1,
        count: 3,
        max_examined: usize::MAX,
    };
    let page = found(
        ok(
            "query_users",
            s.query_users(&o, &sorted("name.givenName", false)),
        )
        .await,
    );
    let got: Vec<&str> = page
        .users
        .iter()
        .map(|u| u.given_name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(
        got,
        ["bob", "carl", "Eve"],
        "sorting is case-insensitive for caseExact=false attributes, then paged"
    );
    assert_eq!(page.total, 6);
    let page = found(ok("query_users", s.query_users(&o, &sorted("userName", true))).await);
    let got: Vec<&str> = page
        .users
        .iter()
        .map(|u| u.given_name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(got, ["Mia", "Eve", "carl"], "descending order");
}

/// Groups: unique names, members from the organization only, versioned updates, both directions.
pub async fn groups<S: ScimStore>(s: &S, p: &str) {
    let (o, other) = (org(p, "a"), org(p, "b"));
    let mut users = Vec::new();
    for i in 0..3 {
        let email = format!("g{i}@{p}.example");
        let acc = new_account(p, &format!("g{i}"), &email, Some(&o));
        let u = sample_user(
            &o,
            &format!("{p}-u{i}"),
            &acc.id,
            &format!("g{i}@example.com"),
            &email,
        );
        assert_eq!(
            ok("create", s.create_user(&u, &AccountLink::New(acc))).await,
            Ok(())
        );
        users.push(u.id);
    }
    let group = |id: &str, name: &str, members: &[String]| ScimGroup {
        id: format!("{p}-{id}"),
        org: o.clone(),
        display_name: name.to_owned(),
        external_id: None,
        members: members.to_vec(),
        created: t(0),
        last_modified: t(0),
        version: 1,
    };
    let eng = group("g1", "Engineering", &users[..2]);
    assert_eq!(ok("create_group", s.create_group(&eng)).await, Ok(()));
    assert_eq!(ok("group", s.group(&o, &eng.id)).await, Some(eng.clone()));
    assert_eq!(
        ok(
            "create_group",
            s.create_group(&group("g2", "ENGINEERING", &[]))
        )
        .await,
        Err(Conflict::DisplayName),
        "names are unique case-insensitively"
    );
    let ghost = group("g3", "Ghosts", &["nobody".to_owned()]);
    assert_eq!(
        ok("create_group", s.create_group(&ghost)).await,
        Err(Conflict::UnknownMember)
    );
    assert_eq!(
        ok("group", s.group(&o, &ghost.id)).await,
        None,
        "a refused group is not stored"
    );
    let mut foreign = group("g4", "Foreign", &users[..1]);
    foreign.org = other.clone();
    assert_eq!(
        ok("create_group", s.create_group(&foreign)).await,
        Err(Conflict::UnknownMember),
        "members come from the same organization"
    );
    assert_eq!(
        ok("groups_of_user", s.groups_of_user(&o, &users[0])).await,
        vec![(eng.id.clone(), "Engineering".to_owned())]
    );

    let mut next = eng.clone();
    next.display_name = "Eng".into();
    next.members = vec![users[2].clone()];
    assert_eq!(
        ok("update_group", s.update_group(&next, 9)).await,
        Err(Conflict::Version { current: 1 })
    );
    assert_eq!(ok("update_group", s.update_group(&next, 1)).await, Ok(()));
    let stored = ok("group", s.group(&o, &eng.id)).await.unwrap();
    assert_eq!((stored.version, stored.display_name.as_str()), (2, "Eng"));
    assert!(
        ok("groups_of_user", s.groups_of_user(&o, &users[0]))
            .await
            .is_empty(),
        "removed members lose the group"
    );
    assert_eq!(
        ok("groups_of_user", s.groups_of_user(&o, &users[2]))
            .await
            .len(),
        1
    );
    // A deleted user leaves its groups.
    assert!(ok("delete_user", s.delete_user(&o, &users[2], true, t(9))).await);
    assert!(ok("group", s.group(&o, &eng.id))
        .await
        .unwrap()
        .members
        .is_empty());

    let filter = parse_filter(r#"displayName eq "eng""#).unwrap();
    let q = Query::page(0, 10).filtered(filter.clone());
    let page = found(ok("query_groups", s.query_groups(&o, &q)).await);
    assert_eq!(
        page.groups
            .iter()
            .map(|g| g.id.as_str())
            .collect::<Vec<_>>(),
        [eng.id.as_str()]
    );
    assert!(page.groups.iter().all(|g| group_matches(&filter, g)));
    assert_eq!(
        found(ok("query_groups", s.query_groups(&other, &q)).await).total,
        0,
        "groups are scoped by organization"
    );
    assert!(!ok("delete_group", s.delete_group(&other, &eng.id, t(9))).await);
    assert!(ok("delete_group", s.delete_group(&o, &eng.id, t(9))).await);
    assert_eq!(ok("group", s.group(&o, &eng.id)).await, None);
}

/// A query examines at most `max_examined` resources: a scan past it is refused with
/// [`TooMany`], an indexed lookup is not a scan.
pub async fn scan_bound<S: ScimStore>(s: &S, p: &str) {
    let o = org(p, "a");
    for i in 0..5 {
        let email = format!("b{i}@{p}.example");
        let acc = new_account(p, &format!("b{i}"), &email, Some(&o));
        let u = sample_user(&o, &format!("{p}-u{i}"), &acc.id, &email, &email);
        assert_eq!(
            ok("create", s.create_user(&u, &AccountLink::New(acc))).await,
            Ok(())
        );
    }
    let scan = |max| {
        Query::page(0, 10)
            .filtered(parse_filter(r#"name.familyName eq "nobody""#).unwrap())
            .examining_at_most(max)
    };
    assert_eq!(
        ok("query_users", s.query_users(&o, &scan(3))).await,
        Err(TooMany { limit: 3 }),
        "a scan of 5 users is refused under a bound of 3"
    );
    assert_eq!(
        found(ok("query_users", s.query_users(&o, &scan(5))).await).total,
        0
    );
    let sorted = Query {
        sort: Some(Sort {
            by: parse_patch_path("userName").unwrap().attr,
            descending: false,
        }),
        ..Query::page(0, 10).examining_at_most(4)
    };
    assert_eq!(
        ok("query_users", s.query_users(&o, &sorted)).await,
        Err(TooMany { limit: 4 }),
        "sorting examines every user"
    );
    let lookup = Query::page(0, 10)
        .filtered(parse_filter(&format!(r#"userName eq "b3@{p}.example""#)).unwrap())
        .examining_at_most(1);
    assert_eq!(
        found(ok("query_users", s.query_users(&o, &lookup)).await).total,
        1,
        "an indexed lookup examines its matches only"
    );
    assert_eq!(
        ok(
            "list",
            s.query_users(&o, &Query::page(0, 2).examining_at_most(0))
        )
        .await,
        Ok(ok("list", s.list_users(&o, 0, 2)).await),
        "a default-order page is not a scan"
    );
    let group = ScimGroup {
        id: format!("{p}-g"),
        org: o.clone(),
        display_name: "Bound".into(),
        external_id: None,
        members: Vec::new(),
        created: t(0),
        last_modified: t(0),
        version: 1,
    };
    assert_eq!(ok("create_group", s.create_group(&group)).await, Ok(()));
    let groups = Query::page(0, 10)
        .filtered(parse_filter(r#"externalId pr"#).unwrap())
        .examining_at_most(0);
    assert_eq!(
        ok("query_groups", s.query_groups(&o, &groups)).await,
        Err(TooMany { limit: 0 })
    );
}

/// A user's representation includes its groups: every change of its memberships gives it a
/// new version and `last_modified`, and a group losing a member to a user deletion changes too.
pub async fn group_changes_touch_users<S: ScimStore>(s: &S, p: &str) {
    let o = org(p, "a");
    let mut ids = Vec::new();
    for i in 0..3 {
        let email = format!("t{i}@{p}.example");
        let acc = new_account(p, &format!("t{i}"), &email, Some(&o));
        let u = sample_user(&o, &format!("{p}-u{i}"), &acc.id, &email, &email);
        assert_eq!(
            ok("create", s.create_user(&u, &AccountLink::New(acc))).await,
            Ok(())
        );
        ids.push(u.id);
    }
    let stamp = |u: Option<ScimUser>| u.map(|u| (u.version, u.last_modified));
    let user = |i: usize| s.user(&o, &ids[i]);
    let mut g = ScimGroup {
        id: format!("{p}-g"),
        org: o.clone(),
        display_name: "Touch".into(),
        external_id: None,
        members: vec![ids[0].clone(), ids[1].clone()],
        created: t(50),
        last_modified: t(50),
        version: 1,
    };
    assert_eq!(ok("create_group", s.create_group(&g)).await, Ok(()));
    assert_eq!(
        stamp(ok("user", user(0)).await),
        Some((2, t(50))),
        "added by create_group"
    );
    assert_eq!(
        stamp(ok("user", user(2)).await),
        Some((1, t(0))),
        "not a member: untouched"
    );
    g.members = vec![ids[1].clone(), ids[2].clone()];
    g.last_modified = t(60);
    assert_eq!(ok("update_group", s.update_group(&g, 1)).await, Ok(()));
    assert_eq!(
        stamp(ok("user", user(0)).await),
        Some((3, t(60))),
        "removed by update_group"
    );
    assert_eq!(
        stamp(ok("user", user(1)).await),
        Some((2, t(50))),
        "stays a member: untouched"
    );
    assert_eq!(
        stamp(ok("user", user(2)).await),
        Some((2, t(60))),
        "added by update_group"
    );
    assert!(ok("delete_user", s.delete_user(&o, &ids[2], true, t(70))).await);
    let stored = ok("group", s.group(&o, &g.id)).await.unwrap();
    assert_eq!(
        (stored.version, stored.last_modified, stored.members.clone()),
        (3, t(70), vec![ids[1].clone()]),
        "a group losing a member to a user deletion changes at that instant"
    );
    assert!(ok("delete_group", s.delete_group(&o, &g.id, t(80))).await);
    assert_eq!(
        stamp(ok("user", user(1)).await),
        Some((3, t(80))),
        "its group was deleted"
    );
}

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
