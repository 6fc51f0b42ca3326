//! A store that fails: the SCIM service answers 500 with a SCIM error body, hands the store's
//! own error to the host (`respond`), and nothing is changed.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use common::block_on;
use sso_scim::store::{
    Account, AccountLink, Accounts, ClaimConflict, Conflict, DomainClaim, DomainClaims, EmailKey,
    GroupPage, Membership, OrgSettings, Organization, Query, ScimDirectory, ScimTokens, Storage,
    TokenRecord, TooMany, UserNameKey, UserPage,
};
use sso_scim::{
    AccountId, DomainName, MemoryStore, OrgId, ScimGroup, ScimRequest, ScimService, ScimUser,
    Timestamp,
};

/// MemoryStore, whose directory writes fail while `down` is set.
#[derive(Default)]
struct Flaky {
    inner: MemoryStore,
    down: AtomicBool,
}

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("the database is down")]
struct Down;

fn ok<T>(r: Result<T, std::convert::Infallible>) -> Result<T, Down> {
    r.map_err(|e| match e {})
}

impl Flaky {
    fn check(&self) -> Result<(), Down> {
        if self.down.load(Ordering::SeqCst) {
            Err(Down)
        } else {
            Ok(())
        }
    }
}

impl Storage for Flaky {
    type Error = Down;
}

impl OrgSettings for Flaky {
    async fn organization(&self, org: &OrgId) -> Result<Option<Organization>, Down> {
        ok(self.inner.organization(org).await)
    }
    async fn put_organization(&self, org: &Organization) -> Result<(), Down> {
        ok(self.inner.put_organization(org).await)
    }
    async fn update_organization(
        &self,
        org: &Organization,
        v: u64,
    ) -> Result<Result<(), Conflict>, Down> {
        ok(self.inner.update_organization(org, v).await)
    }
}

impl DomainClaims for Flaky {
    async fn insert_claim(&self, c: &DomainClaim) -> Result<Result<(), ClaimConflict>, Down> {
        ok(self.inner.insert_claim(c).await)
    }
    async fn update_claim(
        &self,
        c: &DomainClaim,
        v: u64,
    ) -> Result<Result<(), ClaimConflict>, Down> {
        ok(self.inner.update_claim(c, v).await)
    }
    async fn claim(&self, org: &OrgId, d: &DomainName) -> Result<Option<DomainClaim>, Down> {
        ok(self.inner.claim(org, d).await)
    }
    async fn claims(&self, org: &OrgId) -> Result<Vec<DomainClaim>, Down> {
        ok(self.inner.claims(org).await)
    }
    async fn verified_owner(&self, d: &DomainName) -> Result<Option<OrgId>, Down> {
        ok(self.inner.verified_owner(d).await)
    }
    async fn delete_claim(&self, org: &OrgId, d: &DomainName) -> Result<bool, Down> {
        ok(self.inner.delete_claim(org, d).await)
    }
}

impl ScimTokens for Flaky {
    async fn insert_token(&self, t: &TokenRecord) -> Result<(), Down> {
        ok(self.inner.insert_token(t).await)
    }
    async fn token(&self, id: &str) -> Result<Option<TokenRecord>, Down> {
        ok(self.inner.token(id).await)
    }
    async fn tokens(&self, org: &OrgId) -> Result<Vec<TokenRecord>, Down> {
        ok(self.inner.tokens(org).await)
    }
    async fn revoke_token(&self, org: &OrgId, id: &str) -> Result<bool, Down> {
        ok(self.inner.revoke_token(org, id).await)
    }
}

impl Accounts for Flaky {
    async fn account_by_email(&self, k: &EmailKey) -> Result<Option<Account>, Down> {
        ok(self.inner.account_by_email(k).await)
    }
    async fn membership(&self, o: &OrgId, a: &AccountId) -> Result<Option<Membership>, Down> {
        ok(self.inner.membership(o, a).await)
    }
    async fn create_account(&self, a: &Account) -> Result<Result<(), Conflict>, Down> {
        ok(self.inner.create_account(a).await)
    }
    async fn account(&self, id: &AccountId) -> Result<Option<Account>, Down> {
        ok(self.inner.account(id).await)
    }
    async fn put_membership(
        &self,
        o: &OrgId,
        a: &AccountId,
        m: &Membership,
    ) -> Result<Result<(), Conflict>, Down> {
        ok(self.inner.put_membership(o, a, m).await)
    }
}

impl ScimDirectory for Flaky {
    async fn create_user(
        &self,
        u: &ScimUser,
        l: &AccountLink,
    ) -> Result<Result<(), Conflict>, Down> {
        self.check()?;
        ok(self.inner.create_user(u, l).await)
    }
    async fn user(&self, o: &OrgId, id: &str) -> Result<Option<ScimUser>, Down> {
        ok(self.inner.user(o, id).await)
    }
    async fn user_by_user_name(
        &self,
        o: &OrgId,
        k: &UserNameKey,
    ) -> Result<Option<ScimUser>, Down> {
        ok(self.inner.user_by_user_name(o, k).await)
    }
    async fn update_user(
        &self,
        u: &ScimUser,
        e: &str,
        v: u64,
    ) -> Result<Result<(), Conflict>, Down> {
        self.check()?;
        ok(self.inner.update_user(u, e, v).await)
    }
    async fn delete_user(
        &self,
        o: &OrgId,
        id: &str,
        d: bool,
        now: Timestamp,
    ) -> Result<bool, Down> {
        self.check()?;
        ok(self.inner.delete_user(o, id, d, now).await)
    }
    async fn list_users(&self, o: &OrgId, s: usize, c: usize) -> Result<UserPage, Down> {
        ok(self.inner.list_users(o, s, c).await)
    }
    async fn query_users(&self, o: &OrgId, q: &Query) -> Result<Result<UserPage, TooMany>, Down> {
        ok(self.inner.query_users(o, q).await)
    }
    async fn groups_of_user(&self, o: &OrgId, id: &str) -> Result<Vec<(String, String)>, Down> {
        ok(self.inner.groups_of_user(o, id).await)
    }
    async fn create_group(&self, g: &ScimGroup) -> Result<Result<(), Conflict>, Down> {
        self.check()?;
        ok(self.inner.create_group(g).await)
    }
    async fn group(&self, o: &OrgId, id: &str) -> Result<Option<ScimGroup>, Down> {
        ok(self.inner.group(o, id).await)
    }
    async fn update_group(&self, g: &ScimGroup, v: u64) -> Result<Result<(), Conflict>, Down> {
        self.check()?;
        ok(self.inner.update_group(g, v).await)
    }
    async fn delete_group(&self, o: &OrgId, id: &str, now: Timestamp) -> Result<bool, Down> {
        self.check()?;
        ok(self.inner.delete_group(o, id, now).await)
    }
    async fn query_groups(&self, o: &OrgId, q: &Query) -> Result<Result<GroupPage, TooMany>, Down> {
        ok(self.inner.query_groups(o, q).await)
    }
}

#[test]
fn a_failing_store_gives_a_scim_500_its_own_error_and_changes_nothing() {
    let service = ScimService::new(Flaky::default(), "https://sp.example.com/scim/v2").unwrap();
    let org = OrgId::new("flaky").unwrap();
    let now = Timestamp::parse("2026-02-01T09:00:00Z").unwrap();
    block_on(service.claim_domain(&org, "example.com")).unwrap();
    let token = block_on(service.generate_token(&org, "t", now)).unwrap();
    let auth = format!("Bearer {}", token.expose_secret());
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/scim+json"),
    ];
    let body = br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"pat@example.com","name":{"givenName":"Pat","familyName":"Lee"},"emails":[{"value":"pat@example.com"}],"active":true}"#;
    let created = block_on(
        service.handle(
            &ScimRequest::new("POST", "/scim/v2/Users")
                .headers(&headers)
                .body(body),
            now,
        ),
    );
    assert_eq!(created.status, 201);
    let id = created.json_body().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = block_on(service.store().user(&org, &id)).unwrap().unwrap();

    service.store().down.store(true, Ordering::SeqCst);
    let patch = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}"#;
    let served = block_on(
        service.respond(
            &ScimRequest::new("PATCH", &format!("/scim/v2/Users/{id}"))
                .headers(&headers)
                .body(patch),
            now,
        ),
    );
    assert_eq!(served.response.status, 500);
    assert_eq!(
        served.storage_error,
        Some(Down),
        "the host gets the store's own error"
    );
    let body = served.response.json_body().unwrap();
    assert_eq!(body["scimType"], "internal");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert!(
        !body.to_string().contains("database is down"),
        "the storage error is not sent to the client"
    );
    assert_eq!(
        served.response.internal_error.as_deref(),
        Some("storage: the database is down")
    );
    let second = block_on(service.handle(&ScimRequest::new("POST", "/scim/v2/Users").headers(&headers).body(
        br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"kim@example.com","name":{"givenName":"Kim","familyName":"Lee"},"emails":[{"value":"kim@example.com"}],"active":true}"#,
    ), now));
    assert_eq!(second.status, 500);

    service.store().down.store(false, Ordering::SeqCst);
    assert_eq!(
        block_on(service.store().user(&org, &id)).unwrap().unwrap(),
        before,
        "nothing changed"
    );
    let kim = block_on(
        service
            .store()
            .user_by_user_name(&org, &sso_scim::store::user_name_key("kim@example.com")),
    )
    .unwrap();
    assert!(kim.is_none(), "the failed create left nothing");
    assert!(block_on(
        service
            .store()
            .account_by_email(&sso_scim::store::email_key("kim@example.com"))
    )
    .unwrap()
    .is_none());
}
