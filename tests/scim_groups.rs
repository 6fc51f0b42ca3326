//! Groups as Okta Group Push and Microsoft Entra use them, replayed from the recordings where they
//! exist: create, get, list by displayName, PUT, rename by PATCH whose value holds the id, members
//! added and removed by path filter and by value list, DELETE; membership seen from both sides.

mod common;

use common::{assert_scim_error, recording, Scim};
use serde_json::{json, Value};

fn user(s: &Scim, name: &str) -> String {
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "name": {"givenName": "G", "familyName": "F"}, "emails": [{"value": name}], "active": true});
    let (status, u, _) = s.call("POST", "/Users", Some(&body));
    assert_eq!(status, 201, "{u}");
    u["id"].as_str().unwrap().to_owned()
}

fn member_ids(g: &Value) -> Vec<String> {
    g["members"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

#[test]
fn okta_group_push_sequence() {
    let s = Scim::new("acme", &["okta.local"]);
    let alice = user(&s, "alice@okta.local");
    let bob = user(&s, "bob@okta.local");

    // Create (Okta's recorded body has empty members).
    let create = recording("okta/create_group.json");
    let (status, g, resp) = s.call("POST", "/Groups", create.request.as_ref());
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().unwrap().to_owned();
    assert_eq!(g["displayName"], "Test SCIMv2");
    assert!(resp
        .header("Location")
        .is_some_and(|l| l.ends_with(&format!("/Groups/{gid}"))));
    assert!(resp.header("ETag").is_some());

    // Okta's membership PATCH: remove by filter, add, replace the list.
    let mut ops = recording("okta/update_group_membership.json")
        .request
        .unwrap();
    ops["Operations"][0]["path"] = json!(format!("members[value eq \"{bob}\"]"));
    ops["Operations"][1]["value"][0]["value"] = json!(alice);
    ops["Operations"][2]["value"] = json!([{"value": alice}, {"value": bob}]);
    let (status, g, _) = s.call("PATCH", &format!("/Groups/{gid}"), Some(&ops));
    assert_eq!(status, 200, "{g}");
    assert_eq!(member_ids(&g), [alice.clone(), bob.clone()]);
    assert_eq!(
        g["members"][0]["$ref"],
        format!("{}/Users/{alice}", common::SCIM_BASE),
        "members carry their URI"
    );

    // The user sees its group (read-only attribute).
    let (_, a, _) = s.call("GET", &format!("/Users/{alice}"), None);
    assert_eq!(a["groups"][0]["value"], gid.as_str());
    assert_eq!(a["groups"][0]["display"], "Test SCIMv2");

    // Rename by PATCH whose value holds the id too (Okta).
    let mut rename = recording("okta/update_group_name.json").request.unwrap();
    rename["Operations"][0]["value"]["id"] = json!(gid);
    rename["Operations"][0]["value"]["displayName"] = json!("Engineering");
    let (status, g, _) = s.call("PATCH", &format!("/Groups/{gid}"), Some(&rename));
    assert_eq!(
        (status, &g["displayName"]),
        (200, &json!("Engineering")),
        "{g}"
    );
    assert_eq!(member_ids(&g).len(), 2, "renaming keeps members");
    // Changing the id is refused.
    let mut bad = rename.clone();
    bad["Operations"][0]["value"]["id"] = json!("another-id");
    let (status, err, _) = s.call("PATCH", &format!("/Groups/{gid}"), Some(&bad));
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "mutability");

    // Look it up by name, as Okta does before pushing.
    let (_, list, _) = s.call(
        "GET",
        "/Groups?filter=displayName%20eq%20%22engineering%22",
        None,
    );
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["id"], gid.as_str());

    // PUT replaces the whole group.
    let (status, g, _) = s.call(
        "PUT",
        &format!("/Groups/{gid}"),
        Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Eng", "members": [{"value": bob}]})),
    );
    assert_eq!(status, 200, "{g}");
    assert_eq!(member_ids(&g), [bob.as_str()]);
    let (_, a, _) = s.call("GET", &format!("/Users/{alice}"), None);
    assert!(a.get("groups").is_none(), "alice left the group: {a}");

    // Deleting a user removes it from its groups.
    assert_eq!(s.call("DELETE", &format!("/Users/{bob}"), None).0, 204);
    let (_, g, _) = s.call("GET", &format!("/Groups/{gid}"), None);
    assert!(member_ids(&g).is_empty());

    assert_eq!(s.call("DELETE", &format!("/Groups/{gid}"), None).0, 204);
    assert_eq!(s.call("GET", &format!("/Groups/{gid}"), None).0, 404);
}

#[test]
fn entra_group_sequence() {
    let s = Scim::new("entra", &[]);
    s.settings(|o| o.with_require_claimed_domain(false));
    let u = user(&s, "member@testuser.com");
    let create = recording("entra/create_group.json");
    let (status, g, _) = s.call("POST", "/Groups", create.request.as_ref());
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().unwrap().to_owned();
    assert_eq!(
        g["externalId"],
        create.request.as_ref().unwrap()["externalId"]
    );

    // Entra's PATCH: capitalised ops, rename, add a member, then remove it by value list.
    let mut update = recording("entra/update_group.json").request.unwrap();
    update["Operations"][1]["value"][0]["value"] = json!(u);
    update["Operations"][2]["value"][0]["value"] = json!(u);
    let (status, g, _) = s.call("PATCH", &format!("/Groups/{gid}"), Some(&update));
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["displayName"], update["Operations"][0]["value"]);
    assert!(
        member_ids(&g).is_empty(),
        "added then removed by value list: {g}"
    );

    // Add again, remove by path filter.
    let (_, g, _) = s.call(
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(&patch(
            json!([{"op": "Add", "path": "members", "value": [{"value": u}]}]),
        )),
    );
    assert_eq!(member_ids(&g), [u.as_str()]);
    let (_, g, _) = s.call(
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(&patch(
            json!([{"op": "Remove", "path": format!("members[value eq \"{u}\"]")}]),
        )),
    );
    assert!(member_ids(&g).is_empty());

    // Entra finds groups by displayName.
    let name = update["Operations"][0]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, list, _) = s.call(
        "GET",
        &format!("/Groups?filter=displayName+eq+%22{name}%22"),
        None,
    );
    assert_eq!(list["totalResults"], 1);
    assert_eq!(s.call("DELETE", &format!("/Groups/{gid}"), None).0, 204);
}

#[test]
fn group_rules() {
    let s = Scim::new("acme", &["a.example"]);
    let (status, _, _) = s.call("POST", "/Groups", Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales"})));
    assert_eq!(status, 201);
    let (status, err, _) = s.call("POST", "/Groups", Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "SALES"})));
    assert_eq!(status, 409, "displayName is unique case-insensitively");
    assert_scim_error(409, &err, "uniqueness");
    let (status, err, _) = s.call(
        "POST",
        "/Groups",
        Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ghosts", "members": [{"value": "no-such-user"}]})),
    );
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "invalidValue");
    let (status, err, _) = s.call(
        "POST",
        "/Groups",
        Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "members": []})),
    );
    assert_eq!(status, 400);
    assert!(err["detail"].as_str().unwrap().contains("displayName"));
    let (status, _, _) = s.call(
        "POST",
        "/Groups",
        Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Nested", "members": [{"value": "x", "type": "Group"}]})),
    );
    assert_eq!(status, 400, "members are users");

    // A group of organization A is invisible to B's token, and A's users cannot be B's members.
    let b_token = s.sibling("org-b");
    let (_, list, _) = s.call("GET", "/Groups", None);
    let gid = list["Resources"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        s.call_with(&b_token, "GET", &format!("/Groups/{gid}"), None)
            .0,
        404
    );
    assert_eq!(
        s.call_with(&b_token, "DELETE", &format!("/Groups/{gid}"), None)
            .0,
        404
    );
    let a_user = user(&s, "ann@a.example");
    let (status, _, _) = s.call_with(
        &b_token,
        "POST",
        "/Groups",
        Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Steal", "members": [{"value": a_user}]})),
    );
    assert_eq!(status, 400);
}
