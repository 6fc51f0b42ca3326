//! PATCH as Okta and Microsoft Entra send it, replayed from tests/scim-vectors where recorded.

mod common;

use common::{assert_scim_error, recording, Scim};
use serde_json::{json, Value};

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

fn created(s: &Scim, body: &Value) -> String {
    let (status, u, _) = s.call("POST", "/Users", Some(body));
    assert_eq!(status, 201, "{u}");
    u["id"].as_str().unwrap().to_owned()
}

fn base_user() -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "pat@example.com",
        "name": {"givenName": "Pat", "familyName": "Lee"},
        "emails": [{"value": "pat@example.com", "type": "work", "primary": true}, {"value": "pat.home@example.com", "type": "home"}], "active": true})
}

#[test]
fn entra_recorded_user_sequence() {
    // Entra's test userNames are not emails: the organization runs with the domain rule off.
    let s = Scim::new("entra", &[]);
    s.settings(|o| o.with_require_claimed_domain(false));
    let create = recording("entra/create_user.json");
    let (status, user, _) = s.call("POST", "/Users", create.request.as_ref());
    assert_eq!(status, create.status, "{user}");
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(
        user["userName"],
        create.request.as_ref().unwrap()["userName"]
    );

    // Entra probes with a random userName first: 200 and an empty list.
    let probe = recording("entra/get_user_query_0.json");
    let (status, list, _) = s.call("GET", &probe.path, None);
    assert_eq!((status, &list["totalResults"]), (200, &json!(0)));

    // Its PATCH: capitalised ops, a filtered path, a sub-attribute, userName, and active=false.
    let update = recording("entra/update_user.json");
    let (status, patched, _) = s.call("PATCH", &format!("/Users/{id}"), update.request.as_ref());
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["emails"][0]["value"], "updatedEmail@microsoft.com");
    assert_eq!(patched["name"]["familyName"], "updatedFamilyName");
    assert_eq!(
        patched["userName"],
        "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    );
    assert_eq!(patched["active"], false);

    // Entra deletes.
    let (status, _, _) = s.call("DELETE", &format!("/Users/{id}"), None);
    assert_eq!(status, 204);
}

#[test]
fn string_booleans_dotted_and_urn_keys_without_path() {
    let s = Scim::new("acme", &["example.com"]);
    let id = created(&s, &base_user());
    let ops = patch(json!([
        {"op": "Replace", "value": {"active": "False", "name.givenName": "Patricia",
            "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Pat L.",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales"}},
        {"op": "Add", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "42"}}}
    ]));
    let (status, u, _) = s.call("PATCH", &format!("/Users/{id}"), Some(&ops));
    assert_eq!(status, 200, "{u}");
    assert_eq!(u["active"], false);
    assert_eq!(u["name"]["givenName"], "Patricia");
    assert_eq!(u["name"]["familyName"], "Lee");
    assert_eq!(u["displayName"], "Pat L.");
    let ext = &u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
    assert_eq!(
        (&ext["department"], &ext["employeeNumber"]),
        (&json!("Sales"), &json!("42"))
    );
    let (_, on, _) = s.call(
        "PATCH",
        &format!("/Users/{id}"),
        Some(&patch(
            json!([{"op": "replace", "path": "active", "value": "True"}]),
        )),
    );
    assert_eq!(on["active"], true);
}

#[test]
fn paths_with_filters_urns_and_sub_attributes() {
    let s = Scim::new("acme", &["example.com"]);
    let id = created(&s, &base_user());
    let path = format!("/Users/{id}");
    let cases = [
        (
            json!({"op": "replace", "path": "emails[type eq \"home\"].value", "value": "pl@example.com"}),
            "/emails/1/value",
            json!("pl@example.com"),
        ),
        (
            json!({"op": "replace", "path": "name.familyName", "value": "Li"}),
            "/name/familyName",
            json!("Li"),
        ),
        (
            json!({"op": "add", "path": "displayName", "value": "P"}),
            "/displayName",
            json!("P"),
        ),
        (
            json!({"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:locale", "value": "fr-FR"}),
            "/locale",
            json!("fr-FR"),
        ),
        (
            json!({"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "value": "m-1"}),
            "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/manager/value",
            json!("m-1"),
        ),
        (
            json!({"op": "add", "path": "emails", "value": [{"value": "third@example.com", "type": "other"}]}),
            "/emails/2/value",
            json!("third@example.com"),
        ),
        (
            json!({"op": "remove", "path": "emails[value eq \"third@example.com\"]"}),
            "/emails/2",
            Value::Null,
        ),
        (
            json!({"op": "remove", "path": "displayName"}),
            "/displayName",
            Value::Null,
        ),
    ];
    for (op, pointer, expected) in cases {
        let (status, u, _) = s.call("PATCH", &path, Some(&patch(json!([op.clone()]))));
        assert_eq!(status, 200, "{op}: {u}");
        assert_eq!(
            u.pointer(pointer).cloned().unwrap_or(Value::Null),
            expected,
            "{op}"
        );
    }
    // A filtered replace that matches nothing is the RFC's noTarget and changes nothing; an add
    // through the same filter creates the described value (what Entra sends for a new value).
    let (_, before, _) = s.call("GET", &path, None);
    let (status, err, _) = s.call("PATCH", &path, Some(&patch(json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "o@example.com"}]))));
    assert_scim_error(400, &err, "noTarget");
    assert_eq!(status, 400);
    let (_, after, _) = s.call("GET", &path, None);
    assert_eq!(before, after, "a refused PATCH changes nothing");
    let (status, u, _) = s.call("PATCH", &path, Some(&patch(json!([{"op": "add", "path": "emails[type eq \"other\"].value", "value": "o@example.com"}]))));
    assert_eq!(status, 200, "{u}");
    assert!(
        u["emails"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "other" && e["value"] == "o@example.com"),
        "{u}"
    );
}

#[test]
fn patch_errors_change_nothing() {
    let s = Scim::new("acme", &["example.com"]);
    let id = created(&s, &base_user());
    let path = format!("/Users/{id}");
    let (_, before, _) = s.call("GET", &path, None);
    let cases = [
        (json!([{"op": "remove"}]), 400, "noTarget"),
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            400,
            "mutability",
        ),
        (
            json!([{"op": "replace", "path": "meta.created", "value": "x"}]),
            400,
            "mutability",
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]),
            400,
            "invalidPath",
        ),
        (
            json!([{"op": "replace", "path": "name[givenName eq \"x\"]", "value": "x"}]),
            400,
            "invalidPath",
        ),
        (
            json!([{"op": "move", "path": "userName", "value": "x"}]),
            400,
            "invalidSyntax",
        ),
        (
            json!([{"op": "replace", "path": "active"}]),
            400,
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "value": "not an object"}]),
            400,
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "active", "value": "perhaps"}]),
            400,
            "invalidValue",
        ),
        (
            json!([{"op": "remove", "path": "userName"}]),
            400,
            "invalidValue",
        ),
        // All or nothing: a valid first operation is not applied when the second fails.
        (
            json!([{"op": "replace", "path": "displayName", "value": "changed"}, {"op": "remove", "path": "name.givenName"}]),
            400,
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "pat@unclaimed.example"}]),
            400,
            "invalidValue",
        ),
        (json!([]), 400, "invalidSyntax"),
    ];
    for (ops, status, kind) in cases {
        let (got, err, _) = s.call("PATCH", &path, Some(&patch(ops.clone())));
        assert_eq!(got, status, "{ops}: {err}");
        assert_scim_error(status, &err, kind);
        assert_eq!(
            s.call("GET", &path, None).1,
            before,
            "{ops} changed the user"
        );
    }
    let (status, err, _) = s.call("PATCH", &path, Some(&json!({"schemas": ["urn:wrong"], "Operations": [{"op": "add", "path": "displayName", "value": "x"}]})));
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "invalidSyntax");
}
