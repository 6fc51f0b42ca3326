//! The domain-claim lifecycle: start (a token and the TXT record), verify through a resolver,
//! re-verify, revoke.

use super::error::OrgError;
use super::Organizations;
use crate::domain::{check_proof, ClaimToken, DomainName, ProofFailure, TxtResolver};
use crate::resource::OrgId;
use crate::store::{ClaimConflict, ClaimStatus, DomainClaim, DomainClaims, OrgSettings};
use crate::time::Timestamp;

/// What a verification found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// The claim as stored afterwards.
    pub claim: DomainClaim,
    /// `Ok` when the TXT record was found; otherwise why not. A definite failure (NXDOMAIN,
    /// no TXT, another value) leaves a verified claim pending again, so SSO and SCIM stop for
    /// the domain at once; a failed lookup (SERVFAIL, timeout) changes nothing.
    pub result: Result<(), ProofFailure>,
    /// The organization whose verified claim was taken over: its TXT record was no longer
    /// published, so its claim went back to pending.
    pub took_over_from: Option<OrgId>,
}

impl<S: OrgSettings + DomainClaims> Organizations<S> {
    /// Starts `org`'s claim of `domain` (normalized: case, trailing dot, IDNA) and returns it:
    /// publish [`DomainClaim::txt_record`], then [`verify_claim`](Organizations::verify_claim).
    /// Idempotent for a pending or verified claim (same token); a revoked claim starts again
    /// with a new token. Refused: invalid domains, public suffixes, free-mail domains. Another
    /// organization's claim, even verified, does not block starting one.
    pub async fn start_claim(
        &self,
        org: &OrgId,
        domain: &str,
        now: Timestamp,
    ) -> Result<DomainClaim, OrgError<S::Error>> {
        let d = DomainName::parse(domain)?;
        self.rules.check(&d)?;
        self.require_org(org).await?;
        let token = ClaimToken::from_random(self.random()?);
        match self.store.claim(org, &d).await.map_err(OrgError::Store)? {
            Some(c) if c.status != ClaimStatus::Revoked => Ok(c),
            Some(old) => {
                let mut next = DomainClaim::pending(org.clone(), d.clone(), token, now);
                next.version = old.version;
                match self
                    .store
                    .update_claim(&next, old.version)
                    .await
                    .map_err(OrgError::Store)?
                {
                    Ok(()) => self.reload(org, &d).await,
                    Err(_) => Err(OrgError::ClaimChanged(format!("the claim of {d}"))),
                }
            }
            None => {
                let claim = DomainClaim::pending(org.clone(), d.clone(), token, now);
                match self
                    .store
                    .insert_claim(&claim)
                    .await
                    .map_err(OrgError::Store)?
                {
                    Ok(()) => Ok(claim),
                    Err(_) => Err(OrgError::ClaimChanged(format!("the claim of {d}"))),
                }
            }
        }
    }

    async fn reload(&self, org: &OrgId, d: &DomainName) -> Result<DomainClaim, OrgError<S::Error>> {
        self.store
            .claim(org, d)
            .await
            .map_err(OrgError::Store)?
            .ok_or_else(|| OrgError::NoClaim(d.to_string()))
    }

    /// Looks the claim's TXT record up through `resolver` and records the outcome (see
    /// [`Verification`]). When another organization holds the domain verified, its own record
    /// is looked up too: if it is definitely gone, its claim goes back to pending and this one
    /// is verified; otherwise this fails with [`OrgError::ClaimedByOther`].
    pub async fn verify_claim<R: TxtResolver>(
        &self,
        org: &OrgId,
        domain: &str,
        resolver: &R,
        now: Timestamp,
    ) -> Result<Verification, OrgError<S::Error>> {
        let d = DomainName::parse(domain)?;
        let claim = self
            .store
            .claim(org, &d)
            .await
            .map_err(OrgError::Store)?
            .ok_or_else(|| OrgError::NoClaim(d.to_string()))?;
        let record = claim.txt_record();
        let answer = resolver.lookup_txt(&record.name).await;
        let result = check_proof(&record, answer.as_ref());
        let mut next = claim.clone();
        next.checked_at = Some(now);
        match &result {
            Ok(()) => {
                next.status = ClaimStatus::Verified;
                next.verified_at = Some(now);
            }
            Err(f) if f.is_definite() && claim.status == ClaimStatus::Verified => {
                next.status = ClaimStatus::Pending;
            }
            Err(_) => {}
        }
        let mut took_over_from = None;
        let written = self
            .store
            .update_claim(&next, claim.version)
            .await
            .map_err(OrgError::Store)?;
        match written {
            Ok(()) => {}
            Err(ClaimConflict::VerifiedByOther(other)) => {
                self.release_stale(&other, &d, resolver, now).await?;
                took_over_from = Some(other);
                match self
                    .store
                    .update_claim(&next, claim.version)
                    .await
                    .map_err(OrgError::Store)?
                {
                    Ok(()) => {}
                    Err(ClaimConflict::VerifiedByOther(o)) => {
                        return Err(OrgError::ClaimedByOther {
                            domain: d.to_string(),
                            org: o,
                        })
                    }
                    Err(_) => return Err(OrgError::ClaimChanged(format!("the claim of {d}"))),
                }
            }
            Err(_) => return Err(OrgError::ClaimChanged(format!("the claim of {d}"))),
        }
        Ok(Verification {
            claim: self.reload(org, &d).await?,
            result,
            took_over_from,
        })
    }

    /// Demotes `other`'s verified claim of `d` if its TXT record is definitely gone.
    async fn release_stale<R: TxtResolver>(
        &self,
        other: &OrgId,
        d: &DomainName,
        resolver: &R,
        now: Timestamp,
    ) -> Result<(), OrgError<S::Error>> {
        let held = OrgError::ClaimedByOther {
            domain: d.to_string(),
            org: other.clone(),
        };
        let Some(theirs) = self.store.claim(other, d).await.map_err(OrgError::Store)? else {
            return Ok(());
        };
        let record = theirs.txt_record();
        let answer = resolver.lookup_txt(&record.name).await;
        match check_proof(&record, answer.as_ref()) {
            Err(f) if f.is_definite() => {
                let mut demoted = theirs.clone();
                demoted.status = ClaimStatus::Pending;
                demoted.checked_at = Some(now);
                match self
                    .store
                    .update_claim(&demoted, theirs.version)
                    .await
                    .map_err(OrgError::Store)?
                {
                    Ok(()) => Ok(()),
                    Err(_) => Err(held),
                }
            }
            _ => Err(held),
        }
    }

    /// Revokes `org`'s claim of `domain`: SSO and SCIM stop for it at once. It can be verified
    /// again later (same token) or started afresh.
    pub async fn revoke_claim(
        &self,
        org: &OrgId,
        domain: &str,
    ) -> Result<DomainClaim, OrgError<S::Error>> {
        let d = DomainName::parse(domain)?;
        let claim = self.reload(org, &d).await?;
        let mut next = claim.clone();
        next.status = ClaimStatus::Revoked;
        match self
            .store
            .update_claim(&next, claim.version)
            .await
            .map_err(OrgError::Store)?
        {
            Ok(()) => self.reload(org, &d).await,
            Err(_) => Err(OrgError::ClaimChanged(format!("the claim of {d}"))),
        }
    }

    /// Every claim of `org`, sorted by domain.
    pub async fn claims(&self, org: &OrgId) -> Result<Vec<DomainClaim>, OrgError<S::Error>> {
        self.store.claims(org).await.map_err(OrgError::Store)
    }
}
