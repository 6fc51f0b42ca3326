//! A token of organization A never reads or changes organization B; discovery endpoints publish
//! the narrowed schema and refuse other methods.

mod common;

use common::{assert_scim_error, block_on, Scim};
use serde_json::json;
use sso_scim::ScimTokens;

fn user(name: &str) -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
        "name": {"givenName": "G", "familyName": "F"}, "emails": [{"value": name, "primary": true}], "active": true})
}

#[test]
fn a_token_never_reaches_another_organization() {
    let a = Scim::new("org-a", &["a.example"]);
    let b_token = a.sibling("org-b");
    let b_org = sso_scim::OrgId::new("org-b").unwrap();
    block_on(a.service.claim_domain(&b_org, "b.example")).unwrap();

    let (status, ua, _) = a.call("POST", "/Users", Some(&user("ann@a.example")));
    assert_eq!(status, 201);
    let id = ua["id"].as_str().unwrap().to_owned();

    // B sees nothing of A.
    let (_, list, _) = a.call_with(&b_token, "GET", "/Users", None);
    assert_eq!(list["totalResults"], 0);
    for q in [
        "userName%20eq%20%22ann%40a.example%22",
        &format!("id%20eq%20%22{id}%22"),
        "externalId%20eq%20%22x%22",
    ] {
        let (_, found, _) = a.call_with(&b_token, "GET", &format!("/Users?filter={q}"), None);
        assert_eq!(found["totalResults"], 0, "{q}");
    }
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]});
    for (method, body) in [
        ("GET", None),
        ("PUT", Some(user("ann@a.example"))),
        ("PATCH", Some(patch)),
        ("DELETE", None),
    ] {
        let (status, err, _) =
            a.call_with(&b_token, method, &format!("/Users/{id}"), body.as_ref());
        assert_eq!(status, 404, "{method} with B's token");
        assert_scim_error(404, &err, "notFound");
    }
    // B cannot create users on A's domain either (A claimed it, not B).
    let (status, _, _) = a.call_with(&b_token, "POST", "/Users", Some(&user("eve@a.example")));
    assert_eq!(status, 400);
    // A's user is untouched.
    let (status, still, _) = a.call("GET", &format!("/Users/{id}"), None);
    assert_eq!((status, still), (200, ua));

    // The same userName may exist in both organizations only for different accounts: B's user on
    // B's domain works, and each sees only its own.
    let (status, ub, _) = a.call_with(&b_token, "POST", "/Users", Some(&user("bob@b.example")));
    assert_eq!(status, 201);
    let (_, list_a, _) = a.call("GET", "/Users", None);
    assert_eq!(list_a["totalResults"], 1);
    let (status, _, _) = a.call(
        "GET",
        &format!("/Users/{}", ub["id"].as_str().unwrap()),
        None,
    );
    assert_eq!(status, 404);
    // Revoking needs the right organization.
    let store = a.service.store();
    let b_token_id = block_on(store.tokens(&b_org)).unwrap()[0].id.clone();
    assert!(!block_on(a.service.revoke_token(&a.org, &b_token_id)).unwrap());
    assert_eq!(a.call_with(&b_token, "GET", "/Users", None).0, 200);
}

#[test]
fn discovery_endpoints() {
    let s = Scim::new("acme", &["a.example"]);
    let (status, spc, _) = s.call("GET", "/ServiceProviderConfig", None);
    assert_eq!(status, 200);
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], false);
    assert_eq!(
        spc["etag"]["supported"], true,
        "If-Match and If-None-Match work (tests/scim_query.rs)"
    );
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");

    let (_, rts, _) = s.call("GET", "/ResourceTypes", None);
    assert_eq!(rts["Resources"][0]["endpoint"], "/Users");
    assert_eq!(rts["Resources"][1]["endpoint"], "/Groups");
    let (status, rt, _) = s.call("GET", "/ResourceTypes/User", None);
    assert_eq!(
        (status, &rt["schema"]),
        (200, &json!(sso_scim::scim::USER_SCHEMA))
    );

    let (_, schemas, _) = s.call("GET", "/Schemas", None);
    let user_schema = &schemas["Resources"][0];
    assert_eq!(user_schema["id"], sso_scim::scim::USER_SCHEMA);
    let names: Vec<&str> = user_schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "userName",
            "name",
            "displayName",
            "locale",
            "active",
            "emails",
            "groups"
        ],
        "the narrowed schema"
    );
    let user_name = &user_schema["attributes"][0];
    assert_eq!(
        (
            user_name["required"].as_bool(),
            user_name["caseExact"].as_bool(),
            user_name["uniqueness"].as_str()
        ),
        (Some(true), Some(false), Some("server"))
    );
    let (status, one, _) = s.call(
        "GET",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
        None,
    );
    assert_eq!((status, &one["name"]), (200, &json!("User")));
    let (status, _, _) = s.call(
        "GET",
        "/Schemas/urn%3Aietf%3Aparams%3Ascim%3Aschemas%3Aextension%3Aenterprise%3A2.0%3AUser",
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(s.call("GET", "/Schemas/urn:nope", None).0, 404);

    for path in [
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/Schemas",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
    ] {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            let (status, err, _) = s.call(method, path, Some(&json!({})));
            assert_eq!(status, 405, "{method} {path}");
            assert_scim_error(405, &err, "methodNotAllowed");
        }
    }
    assert_eq!(s.call("DELETE", "/Users", None).0, 405);
    assert_eq!(s.call("GET", "/Nope", None).0, 404);
    // Outside the base path.
    let r = block_on(
        s.service
            .handle(&sso_scim::ScimRequest::new("GET", "/other/Users"), s.now),
    );
    assert_eq!(r.status, 404);
}
