//! Okta's provisioning sequences replayed against the SCIM service, with Okta's own recorded
//! requests (tests/scim-vectors/okta) where they exist: lookup, create, get, profile update by PUT,
//! deactivation and reactivation by PATCH, re-provisioning, and the organization rules.

mod common;

use common::{assert_scim_error, block_on, recording, Scim};
use serde_json::{json, Value};
use sso_scim::store::{
    email_key, Account, AccountId, Accounts, Membership, OrgRole, ScimDirectory, ScimTokens,
};

fn okta_user(user_name: &str) -> Value {
    let mut body = recording("okta/create_user.json").request.unwrap();
    body["userName"] = json!(user_name);
    body["emails"][0]["value"] = json!(user_name);
    body
}

fn membership(s: &Scim, email: &str) -> Option<Membership> {
    let store = s.service.store();
    let account = block_on(store.account_by_email(&email_key(email))).unwrap()?;
    block_on(store.membership(&s.org, &account.id)).unwrap()
}

#[test]
fn okta_full_lifecycle() {
    let s = Scim::new("acme", &["okta.local"]);

    // 1. Okta looks the user up first: 200 with an empty list, never 404.
    let lookup = recording("okta/user_exists.json");
    let (status, body, _) = s.call("GET", &lookup.path, None);
    assert_eq!(status, 200);
    assert_eq!(body["totalResults"], 0);
    assert_eq!(body["Resources"], json!([]));
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );

    // 2. Create, exactly as Okta sent it (with a password, groups and no id).
    let create = recording("okta/create_user.json");
    let (status, user, resp) = s.call("POST", "/Users", create.request.as_ref());
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(
        resp.header("Location"),
        Some(format!("https://app.example.com/scim/v2/Users/{id}").as_str())
    );
    assert_eq!(resp.header("Content-Type"), Some("application/scim+json"));
    assert_eq!(
        user["meta"]["location"],
        format!("https://app.example.com/scim/v2/Users/{id}")
    );
    assert_eq!(user["meta"]["resourceType"], "User");
    for field in [
        "userName",
        "name",
        "displayName",
        "locale",
        "externalId",
        "active",
    ] {
        assert_eq!(
            user[field],
            create.request.as_ref().unwrap()[field],
            "{field}"
        );
    }
    assert_eq!(user["emails"][0]["value"], "test.user@okta.local");
    assert!(user.get("password").is_none(), "password is write-only");
    assert!(
        !resp.body.windows(8).any(|w| w == b"1mz050nq"),
        "the password is never echoed"
    );
    assert_eq!(
        membership(&s, "test.user@okta.local"),
        Some(Membership {
            role: OrgRole::Member,
            active: true
        }),
        "provisioned users join as members"
    );

    // 3. Get it, and find it by userName in any case.
    let (status, got, _) = s.call("GET", &format!("/Users/{id}"), None);
    assert_eq!((status, &got), (200, &user));
    let (status, found, _) = s.call(
        "GET",
        "/Users?filter=userName+eq+%22TEST.USER%40OKTA.LOCAL%22&startIndex=1&count=100",
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    let (_, by_ext, _) = s.call(
        "GET",
        "/Users?filter=externalId%20eq%20%2200ujl29u0le5T6Aj10h7%22",
        None,
    );
    assert_eq!(by_ext["totalResults"], 1);

    // An admin makes the user an admin; Okta's later updates must not undo it.
    let store = s.service.store();
    let account = block_on(store.account_by_email(&email_key("test.user@okta.local")))
        .unwrap()
        .unwrap();
    let admin = Membership {
        role: OrgRole::Admin,
        active: true,
    };
    block_on(store.put_membership(&s.org, &account.id, &admin))
        .unwrap()
        .unwrap();

    // 4. Profile update: Okta PUTs the whole user (with id, meta and groups, which are ignored).
    let mut put = recording("okta/update_user.json").request.unwrap();
    put["id"] = json!(id);
    let (status, updated, resp) = s.call("PUT", &format!("/Users/{id}"), Some(&put));
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"]["givenName"], "Another");
    assert_eq!(updated["id"], id.as_str());
    assert!(resp.header("ETag").is_some());
    assert_eq!(
        membership(&s, "test.user@okta.local").map(|m| m.role),
        Some(OrgRole::Admin),
        "an admin's role change survives SCIM updates"
    );

    // 5. Deactivation, as Okta sends it (PATCH, no path).
    let deactivate = recording("okta/update_user_patch.json").request.unwrap();
    let (status, off, _) = s.call("PATCH", &format!("/Users/{id}"), Some(&deactivate));
    assert_eq!(status, 200, "{off}");
    assert_eq!(off["active"], false);
    assert_eq!(
        off["name"]["givenName"], "Another",
        "PATCH leaves other attributes alone"
    );
    assert_eq!(
        membership(&s, "test.user@okta.local"),
        Some(Membership {
            role: OrgRole::Admin,
            active: false
        })
    );

    // 6. Reactivation.
    let reactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": true}}]});
    let (status, on, _) = s.call("PATCH", &format!("/Users/{id}"), Some(&reactivate));
    assert_eq!((status, &on["active"]), (200, &json!(true)));
    assert_eq!(
        membership(&s, "test.user@okta.local"),
        Some(Membership {
            role: OrgRole::Admin,
            active: true
        })
    );

    // Deactivation by PUT with active=false works the same way.
    let mut put_off = put.clone();
    put_off["active"] = json!(false);
    let (status, off, _) = s.call("PUT", &format!("/Users/{id}"), Some(&put_off));
    assert_eq!((status, &off["active"]), (200, &json!(false)));
}

#[test]
fn duplicate_create_is_409_and_unknown_id_404() {
    let s = Scim::new("acme", &["okta.local"]);
    let body = okta_user("dup@okta.local");
    assert_eq!(s.call("POST", "/Users", Some(&body)).0, 201);
    let mut again = body.clone();
    again["userName"] = json!("DUP@OKTA.LOCAL");
    let (status, err, _) = s.call("POST", "/Users", Some(&again));
    assert_eq!(status, 409);
    assert_scim_error(409, &err, "uniqueness");

    for method in ["GET", "PUT", "PATCH", "DELETE"] {
        let body = match method {
            "PUT" => Some(okta_user("dup@okta.local")),
            "PATCH" => Some(
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]}),
            ),
            _ => None,
        };
        let (status, err, _) = s.call(method, "/Users/no-such-id", body.as_ref());
        assert_eq!(status, 404, "{method}");
        assert_scim_error(404, &err, "notFound");
    }
}

#[test]
fn bad_tokens_are_401_with_an_error_body() {
    let s = Scim::new("acme", &["okta.local"]);
    let forged = format!("{}x", s.token);
    let tail = s.token.split('.').next_back().unwrap().to_owned();
    for token in ["", "nope", forged.as_str(), tail.as_str()] {
        let (status, err, resp) = s.call_with(token, "GET", "/Users", None);
        assert_eq!(status, 401, "{token:?}");
        assert_scim_error(401, &err, "unauthorized");
        assert!(resp
            .header("WWW-Authenticate")
            .is_some_and(|h| h.starts_with("Bearer")));
    }
    // No Authorization header at all, and the wrong scheme.
    for headers in [vec![], vec![("Authorization", "Basic dXNlcjpwYXNz")]] {
        let req = sso_scim::ScimRequest::new("GET", "/scim/v2/Users").headers(&headers);
        let r = block_on(s.service.handle(&req, s.now));
        assert_eq!(r.status, 401);
    }
    // A revoked token stops working at once.
    let store = s.service.store();
    let id = block_on(store.tokens(&s.org)).unwrap()[0].id.clone();
    assert!(block_on(s.service.revoke_token(&s.org, &id)).unwrap());
    assert_eq!(s.call("GET", "/Users", None).0, 401);
}

#[test]
fn reprovisioning_a_deactivated_user_restores_it() {
    let s = Scim::new("acme", &["okta.local"]);
    let body = okta_user("back@okta.local");
    let (_, created, _) = s.call("POST", "/Users", Some(&body));
    let id = created["id"].as_str().unwrap().to_owned();
    let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]});
    assert_eq!(s.call("PATCH", &format!("/Users/{id}"), Some(&off)).0, 200);
    let mut again = body.clone();
    again["name"]["givenName"] = json!("Returned");
    let (status, restored, resp) = s.call("POST", "/Users", Some(&again));
    assert_eq!(status, 201, "{restored}");
    assert_eq!(restored["id"], id.as_str(), "the same member is restored");
    assert_eq!(restored["active"], true);
    assert_eq!(restored["name"]["givenName"], "Returned");
    assert!(resp.header("Location").is_some_and(|l| l.ends_with(&id)));
    assert!(membership(&s, "back@okta.local").is_some_and(|m| m.active));
}

#[test]
fn unclaimed_domain_is_400_invalid_value() {
    let s = Scim::new("acme", &["okta.local"]);
    let (status, err, _) = s.call("POST", "/Users", Some(&okta_user("eve@elsewhere.example")));
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "invalidValue");
    assert!(
        err["detail"]
            .as_str()
            .unwrap()
            .contains("elsewhere.example"),
        "{err}"
    );
    // A userName that is not an email at all.
    let mut body = okta_user("ok@okta.local");
    body["userName"] = json!("not-an-email");
    let (status, err, _) = s.call("POST", "/Users", Some(&body));
    assert_eq!(status, 400);
    assert!(
        err["detail"].as_str().unwrap().contains("userName"),
        "{err}"
    );
    // A primary email on an unclaimed domain, even with a good userName.
    let mut body = okta_user("ok@okta.local");
    body["emails"][0]["value"] = json!("ok@gmail.com");
    assert_eq!(s.call("POST", "/Users", Some(&body)).0, 400);
    // A domain another organization claimed is not ours either.
    let other = sso_scim::OrgId::new("other").unwrap();
    block_on(s.service.claim_domain(&other, "taken.example")).unwrap();
    assert_eq!(
        s.call("POST", "/Users", Some(&okta_user("x@taken.example")))
            .0,
        400
    );
    // Changing the email to an unclaimed domain by PUT is refused too, and nothing changes.
    let (_, created, _) = s
        .call("POST", "/Users", Some(&okta_user("keep@okta.local")))
        .clone();
    let id = created["id"].as_str().unwrap();
    let mut put = okta_user("keep@okta.local");
    put["emails"][0]["value"] = json!("keep@gmail.com");
    assert_eq!(s.call("PUT", &format!("/Users/{id}"), Some(&put)).0, 400);
    assert_eq!(
        s.call("GET", &format!("/Users/{id}"), None).1["emails"][0]["value"],
        "keep@okta.local"
    );
}

#[test]
fn an_existing_outside_account_is_409_until_invited() {
    let s = Scim::new("acme", &["okta.local"]);
    let store = s.service.store();
    let account = Account {
        id: AccountId::new("host-account-1").unwrap(),
        email: "Outside@okta.local".into(),
        provisioned_by: None,
    };
    block_on(store.create_account(&account)).unwrap().unwrap();
    let (status, err, _) = s.call("POST", "/Users", Some(&okta_user("outside@okta.local")));
    assert_eq!(status, 409);
    assert_scim_error(409, &err, "uniqueness");
    assert!(err["detail"].as_str().unwrap().contains("invite"), "{err}");
    assert_eq!(
        block_on(store.list_users(&s.org, 0, 10)).unwrap().total,
        0,
        "nothing stored"
    );
    // Once invited (a membership), provisioning links the existing account and keeps its role.
    let m = Membership {
        role: OrgRole::Owner,
        active: true,
    };
    block_on(store.put_membership(&s.org, &account.id, &m))
        .unwrap()
        .unwrap();
    let (status, user, _) = s.call("POST", "/Users", Some(&okta_user("outside@okta.local")));
    assert_eq!(status, 201, "{user}");
    assert_eq!(
        block_on(store.membership(&s.org, &account.id)).unwrap(),
        Some(m)
    );
}

#[test]
fn deactivation_deletes_where_the_organization_says_so() {
    let s = Scim::new("acme", &["okta.local"]);
    s.settings(|o| o.with_delete_on_deactivate(true));
    let (_, created, _) = s.call("POST", "/Users", Some(&okta_user("gone@okta.local")));
    let id = created["id"].as_str().unwrap().to_owned();
    let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let (status, body, _) = s.call("PATCH", &format!("/Users/{id}"), Some(&off));
    assert_eq!((status, &body["active"]), (200, &json!(false)));
    assert_eq!(
        s.call("GET", &format!("/Users/{id}"), None).0,
        404,
        "deleted"
    );
    assert!(
        block_on(
            s.service
                .store()
                .account_by_email(&email_key("gone@okta.local"))
        )
        .unwrap()
        .is_none(),
        "the provisioned account went with it"
    );
    // Provisioned again later: a new user.
    let (status, again, _) = s.call("POST", "/Users", Some(&okta_user("gone@okta.local")));
    assert_eq!(status, 201);
    assert_ne!(again["id"], id.as_str());
}

#[test]
fn required_attributes_and_malformed_bodies_are_400() {
    let s = Scim::new("acme", &["okta.local"]);
    let base = okta_user("req@okta.local");
    for (remove, attr) in [
        ("userName", "userName"),
        ("name", "name.givenName"),
        ("emails", "emails"),
    ] {
        let mut b = base.clone();
        b.as_object_mut().unwrap().remove(remove);
        let (status, err, _) = s.call("POST", "/Users", Some(&b));
        assert_eq!(status, 400);
        assert_scim_error(400, &err, "invalidValue");
        assert!(err["detail"].as_str().unwrap().contains(attr), "{err}");
    }
    let mut no_family = base.clone();
    no_family["name"]
        .as_object_mut()
        .unwrap()
        .remove("familyName");
    assert!(s.call("POST", "/Users", Some(&no_family)).1["detail"]
        .as_str()
        .unwrap()
        .contains("familyName"));

    let auth = format!("Bearer {}", s.token);
    for (ct, body, status, kind) in [
        ("application/json", &b"{not json"[..], 400, "invalidSyntax"),
        ("application/scim+json", &b"[1,2]"[..], 400, "invalidSyntax"),
        ("application/scim+json", &b""[..], 400, "invalidSyntax"),
        ("text/plain", &b"{}"[..], 415, "unsupportedMediaType"),
    ] {
        let headers = [("Authorization", auth.as_str()), ("Content-Type", ct)];
        let req = sso_scim::ScimRequest::new("POST", "/scim/v2/Users")
            .headers(&headers)
            .body(body);
        let r = block_on(s.service.handle(&req, s.now));
        assert_eq!(r.status, status, "{ct} {body:?}");
        assert_scim_error(status, &r.json_body().unwrap(), kind);
    }
    let huge = vec![b' '; sso_scim::scim::MAX_BODY_BYTES + 1];
    let headers = [("Authorization", auth.as_str())];
    let r = block_on(
        s.service.handle(
            &sso_scim::ScimRequest::new("POST", "/scim/v2/Users")
                .headers(&headers)
                .body(&huge),
            s.now,
        ),
    );
    assert_eq!(r.status, 413);
    // application/json is accepted like application/scim+json.
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json; charset=utf-8"),
    ];
    let body = serde_json::to_vec(&base).unwrap();
    let r = block_on(
        s.service.handle(
            &sso_scim::ScimRequest::new("POST", "/scim/v2/Users")
                .headers(&headers)
                .body(&body),
            s.now,
        ),
    );
    assert_eq!(r.status, 201);
}

#[test]
fn paging_and_list_responses() {
    let s = Scim::new("acme", &["okta.local"]);
    let mut ids = Vec::new();
    for i in 0..7 {
        let (_, u, _) = s.call(
            "POST",
            "/Users",
            Some(&okta_user(&format!("p{i}@okta.local"))),
        );
        ids.push(u["id"].as_str().unwrap().to_owned());
    }
    let (_, page, _) = s.call("GET", "/Users?startIndex=3&count=2", None);
    assert_eq!(
        (
            page["totalResults"].as_u64(),
            page["startIndex"].as_u64(),
            page["itemsPerPage"].as_u64()
        ),
        (Some(7), Some(3), Some(2))
    );
    let got: Vec<&str> = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        [ids[2].as_str(), ids[3].as_str()],
        "default order is creation order"
    );
    let (_, all, _) = s.call("GET", "/Users", None);
    assert_eq!(all["Resources"].as_array().unwrap().len(), 7);
    let (_, none, _) = s.call("GET", "/Users?count=0", None);
    assert_eq!(
        (
            none["totalResults"].as_u64(),
            none["Resources"].as_array().unwrap().len()
        ),
        (Some(7), 0)
    );
    let (status, err, _) = s.call("GET", "/Users?count=many", None);
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "invalidValue");
    let (status, err, _) = s.call("GET", "/Users?filter=userName%20eq", None);
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "invalidFilter");
    assert!(
        err["detail"].as_str().unwrap().contains("position"),
        "{err}"
    );
}

#[test]
fn delete_is_204_then_404() {
    let s = Scim::new("acme", &["okta.local"]);
    let (_, u, _) = s.call("POST", "/Users", Some(&okta_user("del@okta.local")));
    let id = u["id"].as_str().unwrap();
    let (status, _, resp) = s.call("DELETE", &format!("/Users/{id}"), None);
    assert_eq!(status, 204);
    assert!(resp.body.is_empty());
    assert_eq!(s.call("GET", &format!("/Users/{id}"), None).0, 404);
    assert_eq!(s.call("DELETE", &format!("/Users/{id}"), None).0, 404);
}

#[test]
fn several_tokens_per_organization_for_rotation() {
    let s = Scim::new("acme", &["okta.local"]);
    let second = block_on(s.service.generate_token(&s.org, "rotation", s.now)).unwrap();
    let imported = block_on(s.service.import_token(
        &s.org,
        "token-configured-in-okta-earlier",
        "legacy",
        s.now,
    ))
    .unwrap();
    assert_eq!(
        s.call_with(second.expose_secret(), "GET", "/Users", None).0,
        200
    );
    assert_eq!(
        s.call_with("token-configured-in-okta-earlier", "GET", "/Users", None)
            .0,
        200
    );
    // Retire the first token: the others keep working.
    let first_id = block_on(s.service.store().tokens(&s.org)).unwrap()[0]
        .id
        .clone();
    assert!(block_on(s.service.revoke_token(&s.org, &first_id)).unwrap());
    assert_eq!(s.call("GET", "/Users", None).0, 401);
    assert_eq!(
        s.call_with(second.expose_secret(), "GET", "/Users", None).0,
        200
    );
    assert!(block_on(s.service.revoke_token(&s.org, &imported.id)).unwrap());
    assert_eq!(
        s.call_with("token-configured-in-okta-earlier", "GET", "/Users", None)
            .0,
        401
    );
    // Stored records never contain the token.
    for r in block_on(s.service.store().tokens(&s.org)).unwrap() {
        assert!(!format!("{r:?}").contains(second.expose_secret()));
    }
    assert!(
        block_on(s.service.import_token(&s.org, "short", "", s.now)).is_err(),
        "guessable tokens are refused"
    );
}
