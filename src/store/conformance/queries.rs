//! The directory's reads: paging, isolation between organizations, racing creates, queries and
//! their work bound.

use super::super::ScimStore;
use super::super::{user_name_key, AccountLink, Conflict, Query, ScimGroup, Sort, TooMany};
use super::{by_external_id, found, join_all, new_account, ok, org, sample_user, t};
use crate::resource::{parse_filter, parse_patch_path, user_matches};

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
