//! Lists as generic SCIM clients use them: the full filter grammar, sorting, paging, attribute
//! projection, `.search`, and ETags.

mod common;

use common::{assert_scim_error, Scim};
use serde_json::{json, Value};

fn setup() -> (Scim, Vec<String>) {
    let s = Scim::new("acme", &["example.com"]);
    let people = [
        ("ann@example.com", "Ann", "Zeta", "work", "Sales", true),
        (
            "bob@example.com",
            "Bob",
            "Young",
            "home",
            "Engineering",
            true,
        ),
        ("cyd@example.com", "Cyd", "Xu", "work", "Engineering", false),
        ("dee@example.com", "Dee", "Walsh", "work", "Support", true),
    ];
    let mut ids = Vec::new();
    for (name, given, family, kind, dept, active) in people {
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "name": {"givenName": given, "familyName": family}, "active": active,
            "emails": [{"value": name, "type": kind, "primary": true}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": dept}});
        let (status, u, _) = s.call("POST", "/Users", Some(&body));
        assert_eq!(status, 201, "{u}");
        ids.push(u["id"].as_str().unwrap().to_owned());
    }
    (s, ids)
}

fn names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_owned())
        .collect()
}

fn enc(f: &str) -> String {
    url::form_urlencoded::byte_serialize(f.as_bytes()).collect()
}

#[test]
fn filters_over_the_full_grammar() {
    let (s, ids) = setup();
    let cases: &[(&str, &[&str])] = &[
        (r#"userName eq "BOB@example.com""#, &["bob@example.com"]),
        (
            r#"name.familyName co "a""#,
            &["ann@example.com", "dee@example.com"],
        ),
        (
            r#"userName sw "c" or userName ew "dee@example.com""#,
            &["cyd@example.com", "dee@example.com"],
        ),
        (
            r#"emails[type eq "work" and value co "@example"]"#,
            &["ann@example.com", "cyd@example.com", "dee@example.com"],
        ),
        (r#"emails.type eq "home""#, &["bob@example.com"]),
        ("active eq false", &["cyd@example.com"]),
        (
            r#"not (active eq false) and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "engineering""#,
            &["bob@example.com"],
        ),
        (
            r#"(name.givenName eq "Ann" or name.givenName eq "Bob") and active eq true"#,
            &["ann@example.com", "bob@example.com"],
        ),
        ("title pr", &[]),
        (
            r#"meta.created gt "2000-01-01T00:00:00Z""#,
            &[
                "ann@example.com",
                "bob@example.com",
                "cyd@example.com",
                "dee@example.com",
            ],
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ann@example.com""#,
            &["ann@example.com"],
        ),
    ];
    for (f, want) in cases {
        let (status, list, _) = s.call("GET", &format!("/Users?filter={}", enc(f)), None);
        assert_eq!(status, 200, "{f}: {list}");
        assert_eq!(names(&list), *want, "{f}");
        assert_eq!(list["totalResults"], want.len(), "{f}");
    }
    let (_, by_id, _) = s.call(
        "GET",
        &format!("/Users?filter={}", enc(&format!("id eq \"{}\"", ids[2]))),
        None,
    );
    assert_eq!(names(&by_id), ["cyd@example.com"]);
    // A random GUID probe (Entra) is 200 with an empty list.
    let (status, none, _) = s.call(
        "GET",
        &format!(
            "/Users?filter={}",
            enc(r#"userName eq "9f4e2c1a-0b7d-4c3e-8a1f-5d6e7f809a1b""#)
        ),
        None,
    );
    assert_eq!(
        (status, &none["totalResults"], &none["Resources"]),
        (200, &json!(0), &json!([]))
    );
    for bad in [
        "userName eq",
        "userName bogus \"x\"",
        "(userName eq \"a\"",
        "active gt true",
        "userName eq \"a\" and",
    ] {
        let (status, err, _) = s.call("GET", &format!("/Users?filter={}", enc(bad)), None);
        assert_eq!(status, 400, "{bad}");
        assert_scim_error(400, &err, "invalidFilter");
    }
}

#[test]
fn sorting_and_paging() {
    let (s, _) = setup();
    let (_, asc, _) = s.call("GET", "/Users?sortBy=name.familyName", None);
    assert_eq!(
        names(&asc),
        [
            "dee@example.com",
            "cyd@example.com",
            "bob@example.com",
            "ann@example.com"
        ]
    );
    let (_, desc, _) = s.call(
        "GET",
        "/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=2",
        None,
    );
    assert_eq!(names(&desc), ["cyd@example.com", "bob@example.com"]);
    assert_eq!(
        (
            desc["totalResults"].as_u64(),
            desc["startIndex"].as_u64(),
            desc["itemsPerPage"].as_u64()
        ),
        (Some(4), Some(2), Some(2))
    );
    let (_, filtered_page, _) = s.call(
        "GET",
        &format!(
            "/Users?filter={}&startIndex=2&count=1",
            enc("active eq true")
        ),
        None,
    );
    assert_eq!(
        (
            names(&filtered_page),
            filtered_page["totalResults"].as_u64()
        ),
        (vec!["bob@example.com".to_owned()], Some(3))
    );
    let (status, err, _) = s.call("GET", "/Users?sortOrder=upwards", None);
    assert_eq!(status, 400);
    assert_scim_error(400, &err, "invalidValue");
}

#[test]
fn attribute_projection_and_search() {
    let (s, ids) = setup();
    let (_, one, _) = s.call(
        "GET",
        &format!("/Users/{}?attributes=userName,name.givenName", ids[0]),
        None,
    );
    let keys: Vec<&str> = one
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "name", "schemas", "userName"], "{one}");
    assert_eq!(one["name"], json!({"givenName": "Ann"}));
    let (_, ex, _) = s.call("GET", &format!("/Users/{}?excludedAttributes=emails,meta,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", ids[0]), None);
    assert!(
        ex.get("emails").is_none()
            && ex.get("meta").is_none()
            && ex
                .get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
                .is_none()
    );
    assert_eq!(ex["id"], ids[0].as_str());
    let (_, list, _) = s.call("GET", "/Users?attributes=userName&count=2", None);
    assert!(list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u.get("emails").is_none() && u.get("userName").is_some()));

    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "active eq true",
        "sortBy": "userName", "sortOrder": "descending", "attributes": ["userName"], "startIndex": 1, "count": 2});
    let (status, found, _) = s.call("POST", "/Users/.search", Some(&search));
    assert_eq!(status, 200, "{found}");
    assert_eq!(names(&found), ["dee@example.com", "bob@example.com"]);
    assert_eq!(found["totalResults"], 3);
    // The root .search covers users and groups.
    let (_, _, _) = s.call("POST", "/Groups", Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Everyone"})));
    let all =
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 50});
    let (status, both, _) = s.call("POST", "/.search", Some(&all));
    assert_eq!((status, &both["totalResults"]), (200, &json!(5)));
    assert_eq!(s.call("GET", "/.search", None).0, 405);
}

#[test]
fn etags_and_preconditions() {
    let (s, ids) = setup();
    let path = format!("/Users/{}", ids[0]);
    let (_, u, resp) = s.call("GET", &path, None);
    let tag = resp.header("ETag").unwrap().to_owned();
    assert_eq!(u["meta"]["version"], tag.as_str());

    let auth = format!("Bearer {}", s.token);
    let call = |method: &str, header: (&str, &str), body: Option<&Value>| {
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/scim+json"),
            header,
        ];
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        let full = format!("/scim/v2{path}");
        let req = sso_scim::ScimRequest::new(method, &full)
            .headers(&headers)
            .body(&bytes);
        common::block_on(s.service.handle(&req, s.now))
    };
    assert_eq!(call("GET", ("If-None-Match", &tag), None).status, 304);
    assert_eq!(
        call("GET", ("If-None-Match", "W/\"999\""), None).status,
        200
    );
    let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "A"}]});
    let stale = call("PATCH", ("If-Match", "W/\"999\""), Some(&off));
    assert_eq!(stale.status, 412);
    assert_scim_error(412, &stale.json_body().unwrap(), "preconditionFailed");
    let ok = call("PATCH", ("If-Match", &tag), Some(&off));
    assert_eq!(ok.status, 200);
    let new_tag = ok.header("ETag").unwrap().to_owned();
    assert_ne!(new_tag, tag, "the version changes with each update");
    assert_eq!(
        call("DELETE", ("If-Match", &tag), None).status,
        412,
        "a stale delete is refused"
    );
    assert_eq!(call("DELETE", ("If-Match", &new_tag), None).status, 204);
    let (_, spc, _) = s.call("GET", "/ServiceProviderConfig", None);
    assert_eq!(
        (
            spc["etag"]["supported"].as_bool(),
            spc["sort"]["supported"].as_bool()
        ),
        (Some(true), Some(true))
    );
}

#[test]
fn removing_required_attributes_is_refused() {
    let (s, ids) = setup();
    let path = format!("/Users/{}", ids[0]);
    for attr in ["active", "userName", "name.familyName", "emails"] {
        let ops = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "remove", "path": attr}]});
        let (status, err, _) = s.call("PATCH", &path, Some(&ops));
        assert_eq!(status, 400, "{attr}: {err}");
        assert_scim_error(400, &err, "invalidValue");
    }
    // An email without the primary flag stays as the client sent it.
    let ops = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "emails", "value": [{"value": "ann@example.com", "type": "work", "primary": false}]}]});
    let (status, u, _) = s.call("PATCH", &path, Some(&ops));
    assert_eq!(
        (status, &u["emails"][0]["primary"]),
        (200, &json!(false)),
        "{u}"
    );
}

#[test]
fn root_search_pages_across_users_then_groups() {
    let (s, _) = setup();
    for g in ["G1", "G2", "G3"] {
        assert_eq!(
            s.call("POST", "/Groups", Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": g})))
                .0,
            201
        );
    }
    let search = |start: usize, count: usize| {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "startIndex": start, "count": count});
        let (status, list, _) = s.call("POST", "/.search", Some(&body));
        assert_eq!(status, 200);
        let ids: Vec<String> = list["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["userName"]
                    .as_str()
                    .or(r["displayName"].as_str())
                    .unwrap()
                    .to_owned()
            })
            .collect();
        (ids, list["totalResults"].as_u64().unwrap())
    };
    assert_eq!(
        search(3, 3),
        (
            vec![
                "cyd@example.com".into(),
                "dee@example.com".into(),
                "G1".into()
            ],
            7
        )
    );
    assert_eq!(search(6, 5), (vec!["G2".into(), "G3".into()], 7));
    assert_eq!(search(9, 5), (vec![], 7));
    assert_eq!(search(1, 0), (vec![], 7));
}
