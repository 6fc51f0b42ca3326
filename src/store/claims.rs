//! Domain claims as stored: who claimed which domain, with which token, and how far the proof
//! got.

use crate::domain::{ClaimToken, DomainName, TxtRecord};
use crate::resource::OrgId;
use crate::time::Timestamp;

/// Where a claim stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClaimStatus {
    /// Started: the TXT record is to be published, then verified. Grants nothing.
    Pending,
    /// The TXT record was found: SSO logins and SCIM users on this domain are this
    /// organization's. At most one organization holds a verified claim of a domain.
    Verified,
    /// Revoked by the organization (or by the host): grants nothing until verified again.
    Revoked,
}

impl ClaimStatus {
    /// `pending`, `verified` or `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Pending => "pending",
            ClaimStatus::Verified => "verified",
            ClaimStatus::Revoked => "revoked",
        }
    }

    /// The status named by [`as_str`](ClaimStatus::as_str).
    pub fn parse(s: &str) -> Option<ClaimStatus> {
        match s {
            "pending" => Some(ClaimStatus::Pending),
            "verified" => Some(ClaimStatus::Verified),
            "revoked" => Some(ClaimStatus::Revoked),
            _ => None,
        }
    }
}

/// One organization's claim of one domain.
///
/// Many organizations may hold a pending (or revoked) claim of the same domain, each with its
/// own token; only one can hold it verified. A claim covers exactly its domain, not its
/// subdomains (see [`ClaimRules`](crate::domain::ClaimRules)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainClaim {
    /// The claiming organization.
    pub org: OrgId,
    /// The domain, normalized.
    pub domain: DomainName,
    /// The token its TXT record must carry.
    pub token: ClaimToken,
    /// Where it stands.
    pub status: ClaimStatus,
    /// When it was started.
    pub created: Timestamp,
    /// When the proof was last found (`None` before the first success).
    pub verified_at: Option<Timestamp>,
    /// When DNS was last asked.
    pub checked_at: Option<Timestamp>,
    /// Incremented by every update (compare-and-set, like SCIM resources).
    pub version: u64,
}

impl DomainClaim {
    /// A new pending claim (version 1).
    pub fn pending(org: OrgId, domain: DomainName, token: ClaimToken, now: Timestamp) -> Self {
        DomainClaim {
            org,
            domain,
            token,
            status: ClaimStatus::Pending,
            created: now,
            verified_at: None,
            checked_at: None,
            version: 1,
        }
    }

    /// The TXT record that proves it.
    pub fn txt_record(&self) -> TxtRecord {
        TxtRecord::for_claim(&self.domain, &self.token)
    }

    /// Does it grant the domain (is it verified)?
    pub fn is_verified(&self) -> bool {
        self.status == ClaimStatus::Verified
    }
}

/// A claim write the store refused; nothing changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimConflict {
    /// The organization already has a claim of this domain.
    Exists,
    /// No such claim.
    NotFound,
    /// The stored claim changed since it was read.
    Version,
    /// Another organization holds a verified claim of the domain.
    VerifiedByOther(OrgId),
}
