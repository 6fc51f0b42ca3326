//! The requests an outside probe of `scim_server` sent (issue "SCIM: what an outside probe
//! found"), each with the answer RFC 7643/7644 asks for; and the leniency decisions.

mod common;

use common::{assert_scim_error, Scim};
use serde_json::{json, Value};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn user_body(name: &str) -> Value {
    json!({"schemas": [USER], "userName": name, "name": {"givenName": "G", "familyName": "F"},
        "emails": [{"value": name, "type": "work", "primary": true}, {"value": format!("home.{name}"), "type": "home"}],
        "active": true})
}

fn create(s: &Scim, name: &str) -> Value {
    let (status, u, _) = s.call("POST", "/Users", Some(&user_body(name)));
    assert_eq!(status, 201, "{u}");
    u
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH], "Operations": ops})
}

fn primaries(u: &Value) -> Vec<String> {
    u["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == true)
        .map(|e| e["value"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_patch_setting_a_new_primary_email_demotes_the_old_one() {
    let s = Scim::new("acme", &["example.com"]);
    let u = create(&s, "ann@example.com");
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    let (status, u, _) = s.call(
        "PATCH",
        &path,
        Some(&patch(json!([{"op":"add","path":"emails","value":[{"value":"third@example.com","type":"other","primary":true}]}]))),
    );
    assert_eq!(status, 200, "{u}");
    assert_eq!(primaries(&u), ["third@example.com"]);
    assert_eq!(u["emails"].as_array().unwrap().len(), 3);

    let (status, u, _) = s.call(
        "PATCH",
        &path,
        Some(&patch(
            json!([{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}]),
        )),
    );
    assert_eq!(status, 200, "{u}");
    assert_eq!(primaries(&u), ["home.ann@example.com"]);

    // One operation that itself sets two primaries is refused, and changes nothing.
    let (status, err, _) = s.call(
        "PATCH",
        &path,
        Some(&patch(json!([{"op":"add","path":"emails","value":[
            {"value":"x@example.com","primary":true},{"value":"y@example.com","primary":true}]}]))),
    );
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "invalidValue");
    let (_, now, _) = s.call("GET", &path, None);
    assert_eq!(primaries(&now), ["home.ann@example.com"]);

    // Even when one of them was already primary.
    let (status, _, _) = s.call(
        "PATCH",
        &path,
        Some(&patch(json!([{"op":"replace","path":"emails","value":[
            {"value":"home.ann@example.com","primary":true},{"value":"z@example.com","primary":true}]}]))),
    );
    assert_eq!(status, 400, "a replace listing two primaries is refused");
    let (_, now, _) = s.call("GET", &path, None);
    assert_eq!(primaries(&now), ["home.ann@example.com"]);

    // Several primaries in one POST body stay a 400.
    let mut two = user_body("bob@example.com");
    two["emails"][1]["primary"] = json!(true);
    let (status, err, _) = s.call("POST", "/Users", Some(&two));
    assert_eq!(status, 400, "{err}");
}

#[test]
fn user_names_are_email_addresses_by_the_one_rule() {
    let s = Scim::new("acme", &["example.com"]);
    create(&s, "alice@example.com");
    for bad in [
        "boss@evil.com@example.com",
        "@@example.com",
        "<script>@example.com",
        "x2@ example.com",
        "x3@example.com\n",
        "nul\u{0}@example.com",
        "rtl\u{202e}@example.com",
        " alice@example.com",
        "alice@example.com ",
        "alice\u{ad}@example.com",
        "alice@ex%61mple.com",
        "alice@ｅｘａｍｐｌｅ.com",
    ] {
        let mut body = user_body("placeholder@example.com");
        body["userName"] = json!(bad);
        let (status, err, _) = s.call("POST", "/Users", Some(&body));
        assert_eq!(status, 400, "{bad:?} must be refused: {err}");
        assert_scim_error(400, &err, "invalidValue");
    }
    let (_, list, _) = s.call("GET", "/Users", None);
    assert_eq!(list["totalResults"], 1, "only alice exists: {list}");

    // A Unicode domain and its punycode are one claimed domain, and one userName.
    let idn = Scim::new("idn", &["bücher.example"]);
    let (status, u, _) = idn.call(
        "POST",
        "/Users",
        Some(&user_body("jo@xn--bcher-kva.example")),
    );
    assert_eq!(status, 201, "{u}");
    let (status, err, _) = idn.call("POST", "/Users", Some(&user_body("Jo@Bücher.example")));
    assert_eq!(status, 409, "the same mailbox spelled in Unicode: {err}");
    let (_, found, _) = idn.call(
        "GET",
        "/Users?filter=userName+eq+%22jo%40b%C3%BCcher.example%22",
        None,
    );
    assert_eq!(found["totalResults"], 1, "{found}");
}

#[test]
fn without_the_domain_rule_user_names_are_free_text_but_never_invisible_or_padded() {
    let s = Scim::new("testers", &[]);
    s.settings(|o| o.with_require_claimed_domain(false));
    let mut body = user_body("x@example.com");
    body["userName"] = json!("not-an-email");
    let (status, u, _) = s.call("POST", "/Users", Some(&body));
    assert_eq!(status, 201, "{u}");
    for bad in [
        " padded",
        "padded ",
        "nul\u{0}x",
        "rtl\u{202e}x",
        "zero\u{200b}width",
        "soft\u{ad}hyphen",
        "join\u{200d}er",
    ] {
        body["userName"] = json!(bad);
        let (status, err, _) = s.call("POST", "/Users", Some(&body));
        assert_eq!(status, 400, "{bad:?}: {err}");
    }
}

#[test]
fn control_and_bidi_characters_are_refused_in_every_string() {
    let s = Scim::new("acme", &["example.com"]);
    for (pointer, value) in [
        ("/displayName", "Ann\u{202e}"),
        ("/name/givenName", "A\u{0}"),
        ("/externalId", "00u\n1"),
        ("/locale", "en\u{2066}US"),
    ] {
        let mut body = user_body("ann@example.com");
        *body.pointer_mut(pointer).unwrap_or(&mut Value::Null) = json!(value);
        if body.pointer(pointer).is_none() {
            let key = pointer.trim_start_matches('/');
            body[key] = json!(value);
        }
        let (status, err, _) = s.call("POST", "/Users", Some(&body));
        assert_eq!(status, 400, "{pointer}: {err}");
        assert!(err["detail"].as_str().unwrap().contains("U+"), "{err}");
    }
    let (status, err, _) = s.call(
        "POST",
        "/Groups",
        Some(&json!({"schemas": [GROUP], "displayName": "Eng\u{202e}"})),
    );
    assert_eq!(status, 400, "{err}");
}

#[test]
fn a_user_etag_and_last_modified_follow_its_groups() {
    let mut s = Scim::new("acme", &["example.com"]);
    let u = create(&s, "ann@example.com");
    let id = u["id"].as_str().unwrap().to_owned();
    let path = format!("/Users/{id}");
    let (_, before, r) = s.call("GET", &path, None);
    let old_etag = r.header("ETag").unwrap().to_owned();

    s.now = sso_scim::Timestamp::parse("2026-02-01T10:00:00Z").unwrap();
    let (status, g, _) = s.call(
        "POST",
        "/Groups",
        Some(&json!({"schemas": [GROUP], "displayName": "Eng", "members": [{"value": id}]})),
    );
    assert_eq!(status, 201, "{g}");
    let auth = format!("Bearer {}", s.token);
    let full = format!("/scim/v2{path}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("If-None-Match", old_etag.as_str()),
    ];
    let r = common::block_on(s.service.handle(
        &sso_scim::ScimRequest::new("GET", &full).headers(&headers),
        s.now,
    ));
    assert_eq!(r.status, 200, "the old ETag no longer names the user");
    let after = r.json_body().unwrap();
    assert_ne!(r.header("ETag").unwrap(), old_etag);
    assert_eq!(after["groups"][0]["display"], "Eng");
    assert_eq!(after["meta"]["version"], r.header("ETag").unwrap());
    assert_ne!(
        after["meta"]["lastModified"],
        before["meta"]["lastModified"]
    );
    assert_eq!(after["meta"]["lastModified"], g["meta"]["lastModified"]);

    // A group losing a member to DELETE /Users/{id} changes at that instant.
    let gpath = format!("/Groups/{}", g["id"].as_str().unwrap());
    s.now = sso_scim::Timestamp::parse("2026-02-01T11:00:00Z").unwrap();
    let (status, _, _) = s.call("DELETE", &path, None);
    assert_eq!(status, 204);
    let (_, g2, _) = s.call("GET", &gpath, None);
    assert_ne!(g2["meta"]["version"], g["meta"]["version"]);
    assert_eq!(g2["meta"]["lastModified"], "2026-02-01T11:00:00Z");
    assert_eq!(g2["members"], json!([]));
}

#[test]
fn method_not_allowed_says_what_is_allowed_and_head_is_get_without_a_body() {
    let s = Scim::new("acme", &["example.com"]);
    let u = create(&s, "ann@example.com");
    for (method, path, allow) in [
        ("DELETE", "/Users", "GET, POST"),
        ("PUT", "/Groups", "GET, POST"),
        ("POST", "/Users/x", "GET, PUT, PATCH, DELETE"),
        ("DELETE", "/ServiceProviderConfig", "GET"),
        ("GET", "/.search", "POST"),
    ] {
        let (status, err, r) = s.call(method, path, None);
        assert_eq!(status, 405, "{method} {path}");
        assert_scim_error(405, &err, "methodNotAllowed");
        assert_eq!(r.header("Allow"), Some(allow), "{method} {path}");
    }
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    let (_, _, get) = s.call("GET", &path, None);
    let (status, _, head) = s.call("HEAD", &path, None);
    assert_eq!(status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("ETag"), get.header("ETag"));
    assert_eq!(head.header("Content-Type"), get.header("Content-Type"));
}

#[test]
fn discovery_is_truthful() {
    let s = Scim::new("acme", &["example.com"]);
    // active is published as required, and a POST without it is refused.
    let (_, schema, _) = s.call("GET", &format!("/Schemas/{USER}"), None);
    let active = schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "active")
        .unwrap();
    assert_eq!(active["required"], true);
    let mut body = user_body("ann@example.com");
    body.as_object_mut().unwrap().remove("active");
    let (status, err, _) = s.call("POST", "/Users", Some(&body));
    assert_scim_error(400, &err, "invalidValue");
    assert_eq!(status, 400);

    // manager.displayName is readOnly: what a client sends is not stored.
    let mut body = user_body("ann@example.com");
    body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
        json!({"manager": {"value": "m-1", "displayName": "Boss"}});
    let (status, u, _) = s.call("POST", "/Users", Some(&body));
    assert_eq!(status, 201, "{u}");
    let mgr = &u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"];
    assert_eq!(
        (mgr["value"].as_str(), mgr.get("displayName")),
        (Some("m-1"), None)
    );

    // Group members.type and members.display are declared.
    let (_, gs, _) = s.call("GET", &format!("/Schemas/{GROUP}"), None);
    let members = gs["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "members")
        .unwrap();
    let subs: Vec<&str> = members["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(
        subs.contains(&"type") && subs.contains(&"display"),
        "{subs:?}"
    );
    let ty = members["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "type")
        .unwrap();
    assert_eq!(ty["canonicalValues"], json!(["User"]));
    let id = u["id"].as_str().unwrap();
    let (status, g, _) = s.call(
        "POST",
        "/Groups",
        Some(&json!({"schemas": [GROUP], "displayName": "Eng", "members": [{"value": id, "type": "User", "display": "Ann"}]})),
    );
    assert_eq!(status, 201, "{g}");
    assert_eq!(g["members"][0]["type"], "User");
    assert!(
        g["members"][0].get("display").is_none(),
        "display is never returned"
    );

    // Discovery does not filter (RFC 7644 section 4: 403), and /Me is not implemented (501).
    for path in [
        "/Schemas?filter=id+eq+%22x%22",
        "/ResourceTypes?filter=name+eq+%22User%22",
        "/ServiceProviderConfig?filter=x+pr",
    ] {
        let (status, err, _) = s.call("GET", path, None);
        assert_eq!(status, 403, "{path}");
        assert_scim_error(403, &err, "forbidden");
    }
    let (status, err, _) = s.call("GET", "/Me", None);
    assert_eq!(status, 501);
    assert_scim_error(501, &err, "notImplemented");
}

#[test]
fn leniency_decisions() {
    let s = Scim::new("acme", &["example.com"]);
    let u = create(&s, "ann@example.com");
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    let (_, before, _) = s.call("GET", &path, None);

    // Strict: a path naming no attribute is invalidPath; the PatchOp schema is required;
    // a replace through a filter matching nothing is noTarget.
    let (status, err, _) = s.call(
        "PATCH",
        &path,
        Some(&patch(
            json!([{"op":"add","path":"favoriteColor","value":"red"}]),
        )),
    );
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "invalidPath");
    let (status, err, _) = s.call("PATCH", &path, Some(&patch(json!([{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:shoeSize","value":"9"}]))));
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "invalidPath");
    let (status, err, _) = s.call(
        "PATCH",
        &path,
        Some(&json!({"Operations": [{"op":"replace","value":{"active":false}}]})),
    );
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "invalidSyntax");
    let (status, err, _) = s.call("PATCH", &path, Some(&patch(json!([{"op":"replace","path":"emails[type eq \"other\"].value","value":"o@example.com"}]))));
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "noTarget");
    let (_, unchanged, _) = s.call("GET", &path, None);
    assert_eq!(unchanged, before, "refused PATCHes change nothing");

    // Kept for Entra's default attribute mappings: RFC User attributes not stored are ignored.
    let (status, u2, _) = s.call(
        "PATCH",
        &path,
        Some(&patch(json!([
        {"op":"Add","path":"title","value":"Engineer"},
        {"op":"Add","path":"phoneNumbers[type eq \"work\"].value","value":"+1 555 0100"},
        {"op":"Replace","path":"addresses[type eq \"work\"].locality","value":"Oslo"}]))),
    );
    assert_eq!(status, 200, "{u2}");
    assert!(u2.get("title").is_none() && u2.get("phoneNumbers").is_none());

    // An extension's object may echo `schemas` (scim2-models does): not an attribute.
    let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let (status, u3, _) = s.call(
        "PATCH",
        &path,
        Some(&patch(json!([
        {"op":"add","path":ext,"value":{"schemas":[ext],"employeeNumber":"42"}}]))),
    );
    assert_eq!(status, 200, "{u3}");
    assert_eq!(u3[ext]["employeeNumber"], "42");

    // Strict: POST without schemas, PUT without active, and a media type that merely contains "json".
    let mut body = user_body("bob@example.com");
    body.as_object_mut().unwrap().remove("schemas");
    let (status, err, _) = s.call("POST", "/Users", Some(&body));
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "invalidValue");
    let (_, off, _) = s.call(
        "PATCH",
        &path,
        Some(&patch(json!([{"op":"replace","value":{"active":false}}]))),
    );
    assert_eq!(off["active"], false);
    let mut put = user_body("ann@example.com");
    put.as_object_mut().unwrap().remove("active");
    let (status, err, _) = s.call("PUT", &path, Some(&put));
    assert_eq!(
        status, 400,
        "a PUT without active does not reactivate: {err}"
    );
    let (_, still, _) = s.call("GET", &path, None);
    assert_eq!(still["active"], false);

    let auth = format!("Bearer {}", s.token);
    let post_as = |ct: &str| {
        let headers = [("Authorization", auth.as_str()), ("Content-Type", ct)];
        let body = serde_json::to_vec(&user_body("cy@example.com")).unwrap();
        let req = sso_scim::ScimRequest::new("POST", "/scim/v2/Users")
            .headers(&headers)
            .body(&body);
        common::block_on(s.service.handle(&req, s.now)).status
    };
    for ct in [
        "application/jsonp",
        "text/json",
        "application/json-patch+json",
    ] {
        assert_eq!(post_as(ct), 415, "{ct}");
    }
    assert_eq!(
        post_as("application/scim+json; charset=utf-8"),
        201,
        "parameters after the media type are fine"
    );
}

#[test]
fn an_authorization_is_for_its_own_request() {
    let s = Scim::new("acme", &["example.com"]);
    let other = s.sibling("other-org");
    let (mine, theirs) = (format!("Bearer {}", s.token), format!("Bearer {other}"));
    let h = [("Authorization", mine.as_str())];
    let req = sso_scim::ScimRequest::new("GET", "/scim/v2/Users").headers(&h);
    let who = common::block_on(s.service.authorize(&req)).expect("a valid token");
    assert_eq!(who.org(), &s.org);
    let ok = common::block_on(s.service.respond_authorized(&who, &req, s.now));
    assert_eq!(ok.response.status, 200);
    // The same Authorized with another request: its header must be the one that was checked.
    for header in [theirs.as_str(), "Bearer forged-token-forged-token", ""] {
        let h2 = [("Authorization", header)];
        let req2 = sso_scim::ScimRequest::new("GET", "/scim/v2/Users").headers(&h2);
        let r = common::block_on(s.service.respond_authorized(&who, &req2, s.now));
        assert_eq!(r.response.status, 401, "{header:?}");
    }
    let bad = [("Authorization", "Bearer forged-token-forged-token")];
    let refused = common::block_on(
        s.service
            .authorize(&sso_scim::ScimRequest::new("GET", "/scim/v2/Users").headers(&bad)),
    );
    assert_eq!(refused.err().map(|r| r.response.status), Some(401));
}
