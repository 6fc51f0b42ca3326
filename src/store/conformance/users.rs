//! The directory's users: creation with new and existing accounts, updates, deletes, paging,
//! isolation, races, queries and their work bound.

use super::super::ScimStore;
use super::super::{
    email_key, user_name_key, AccountId, AccountLink, Conflict, Membership, OrgRole,
};
use super::{by_external_id, new_account, ok, org, sample_user, t};

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
    // An update names the wrong account: the link does not change.
    next.account = a2.id.clone();
    assert_eq!(
        ok("update", s.update_user(&next, &new_email, 1)).await,
        Ok(())
    );
    let stored = ok("user", s.user(&o, &u1.id)).await.unwrap();
    assert_eq!(
        stored.account, a1.id,
        "an update never moves the user to another account"
    );
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
