//! The domain-claims port: pending claims by many, a verified claim by one, compare-and-set.

use crate::domain::{ClaimToken, DomainName};
use crate::store::{ClaimConflict, ClaimStatus, DomainClaim, DomainClaims};
use crate::time::Timestamp;

use super::{ok, org};

fn domain_for(p: &str, prefix: &str) -> DomainName {
    let name = format!(
        "{prefix}{}.example",
        p.to_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    DomainName::parse(&name).unwrap()
}

/// A pending claim of `domain` by organization `o` of the suite, with token bytes `seed`.
pub fn pending(o: &crate::resource::OrgId, domain: &DomainName, seed: u8) -> DomainClaim {
    DomainClaim::pending(
        o.clone(),
        domain.clone(),
        ClaimToken::from_random([seed; 24]),
        Timestamp::from_unix_seconds(1_700_000_000),
    )
}

fn verified(c: &DomainClaim) -> DomainClaim {
    let mut v = c.clone();
    v.status = ClaimStatus::Verified;
    v.verified_at = Some(Timestamp::from_unix_seconds(1_700_000_100));
    v.checked_at = v.verified_at;
    v
}

/// Claims: many pending, one verified; updates compare versions; revocation and deletion take
/// the domain back at once; everything read is what was written.
pub async fn domains<S: DomainClaims>(s: &S, p: &str) {
    let (a, b) = (org(p, "a"), org(p, "b"));
    let d = domain_for(p, "");
    let d2 = domain_for(p, "z");
    let ca = pending(&a, &d, 1);
    let cb = pending(&b, &d, 2);
    assert_eq!(ok("insert", s.insert_claim(&ca)).await, Ok(()));
    assert_eq!(
        ok("insert", s.insert_claim(&ca)).await,
        Err(ClaimConflict::Exists),
        "one claim per organization and domain"
    );
    assert_eq!(
        ok("insert", s.insert_claim(&cb)).await,
        Ok(()),
        "a pending claim does not block another organization"
    );
    assert_eq!(ok("claim", s.claim(&a, &d)).await, Some(ca.clone()));
    assert_eq!(
        ok("owner", s.verified_owner(&d)).await,
        None,
        "pending grants nothing"
    );

    let va = verified(&ca);
    assert_eq!(ok("update", s.update_claim(&va, 1)).await, Ok(()));
    let mut stored = va.clone();
    stored.version = 2;
    assert_eq!(ok("claim", s.claim(&a, &d)).await, Some(stored.clone()));
    assert_eq!(ok("owner", s.verified_owner(&d)).await, Some(a.clone()));
    assert_eq!(
        ok("update", s.update_claim(&va, 1)).await,
        Err(ClaimConflict::Version),
        "updates compare versions"
    );
    assert_eq!(
        ok("update", s.update_claim(&verified(&cb), 1)).await,
        Err(ClaimConflict::VerifiedByOther(a.clone())),
        "at most one organization holds a verified claim"
    );
    assert_eq!(
        ok("claim", s.claim(&b, &d)).await.map(|c| c.status),
        Some(ClaimStatus::Pending),
        "a refused update changes nothing"
    );
    let mut vb_new = verified(&pending(&b, &d2, 3));
    assert_eq!(ok("insert", s.insert_claim(&vb_new)).await, Ok(()));
    vb_new.domain = d.clone();
    assert_eq!(
        ok(
            "insert",
            s.insert_claim(&verified(&pending(&org(p, "c"), &d, 4)))
        )
        .await,
        Err(ClaimConflict::VerifiedByOther(a.clone())),
        "inserting a verified claim is held to the same rule"
    );
    assert_eq!(
        ok("update", s.update_claim(&pending(&a, &d2, 1), 1)).await,
        Err(ClaimConflict::NotFound)
    );

    // Revocation takes the domain back at once, and frees it for another organization.
    let mut revoked = stored.clone();
    revoked.status = ClaimStatus::Revoked;
    assert_eq!(ok("update", s.update_claim(&revoked, 2)).await, Ok(()));
    assert_eq!(ok("owner", s.verified_owner(&d)).await, None);
    assert_eq!(
        ok("update", s.update_claim(&verified(&cb), 1)).await,
        Ok(())
    );
    assert_eq!(ok("owner", s.verified_owner(&d)).await, Some(b.clone()));

    let listed = ok("claims", s.claims(&b)).await;
    assert_eq!(
        listed.iter().map(|c| c.domain.clone()).collect::<Vec<_>>(),
        vec![d.clone(), d2.clone()],
        "claims are sorted by domain"
    );
    assert!(listed.iter().all(|c| c.org == b));
    assert!(
        !ok("delete", s.delete_claim(&org(p, "c"), &d)).await,
        "no claim, nothing deleted"
    );
    assert!(ok("delete", s.delete_claim(&b, &d)).await);
    assert_eq!(
        ok("owner", s.verified_owner(&d)).await,
        None,
        "deleting a verified claim frees the domain"
    );
    assert_eq!(ok("claim", s.claim(&b, &d)).await, None);
    assert_eq!(
        ok("claim", s.claim(&a, &d)).await.map(|c| c.status),
        Some(ClaimStatus::Revoked)
    );
}
