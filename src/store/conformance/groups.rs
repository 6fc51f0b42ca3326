//! The directory's groups, and what their changes do to their members.

use super::super::ScimStore;
use super::super::{AccountLink, Conflict, Query, ScimGroup, ScimUser};
use super::{found, new_account, ok, org, sample_user, t};
use crate::resource::{group_matches, parse_filter};

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
