//! Errors of [`Organizations`](super::Organizations): each with a stable code (the admin CLI's
//! `error` field) and what to change.

use crate::domain::{ClaimRefusal, DomainError, EmailError};
use crate::error::ConfigError;
use crate::resource::OrgId;
use crate::saml::AuthnRequestError;

/// Why an organization operation failed. `E` is the store's error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OrgError<E: std::error::Error + 'static> {
    /// The store failed; nothing was changed.
    #[error("storage failed: {0}")]
    Store(#[source] E),
    /// No such organization.
    #[error("no organization {0}")]
    UnknownOrg(OrgId),
    /// The organization exists already.
    #[error("organization {0} exists already")]
    OrgExists(OrgId),
    /// The domain is not a valid domain name.
    #[error(transparent)]
    InvalidDomain(#[from] DomainError),
    /// The email is not a valid address.
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    /// The domain cannot be claimed (public suffix, free mail).
    #[error(transparent)]
    Refused(#[from] ClaimRefusal),
    /// Another organization holds a verified claim of the domain (and its proof still stands).
    #[error("{domain} is verified by another organization ({org}); it stays theirs while their TXT record is published")]
    ClaimedByOther {
        /// The domain.
        domain: String,
        /// The organization holding it.
        org: OrgId,
    },
    /// The organization has no claim of this domain.
    #[error("this organization has no claim of {0}; start one first")]
    NoClaim(String),
    /// The claim (or the settings) changed while this operation ran (another admin action);
    /// try again.
    #[error("{0} changed meanwhile; try again")]
    ClaimChanged(String),
    /// No organization holds a verified claim of the email's domain.
    #[error("no organization has verified the domain {0}")]
    NoOrgForDomain(String),
    /// SSO is not configured for the organization (IdP values or our SP values missing).
    #[error("SSO is not configured for organization {0}: set the IdP's values (or import its metadata) and our entity id and ACS URL")]
    SsoNotConfigured(OrgId),
    /// The stored SSO configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The AuthnRequest could not be built.
    #[error(transparent)]
    Request(#[from] AuthnRequestError),
    /// The login request id could not be stored.
    #[error("the login request store failed: {0}")]
    Requests(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The system random generator failed.
    #[error("the system random generator failed")]
    Random,
}

impl<E: std::error::Error + 'static> OrgError<E> {
    /// A stable code: `storage`, `unknown_org`, `org_exists`, `invalid_domain`,
    /// `invalid_email`, `public_suffix`, `free_mail`, `claimed_by_other`, `not_claimed`,
    /// `claim_changed`, `no_org_for_domain`, `sso_not_configured`, `invalid_config`,
    /// `invalid_request`, `random`.
    pub fn code(&self) -> &'static str {
        match self {
            OrgError::Store(_) | OrgError::Requests(_) => "storage",
            OrgError::UnknownOrg(_) => "unknown_org",
            OrgError::OrgExists(_) => "org_exists",
            OrgError::InvalidDomain(_) => "invalid_domain",
            OrgError::InvalidEmail(_) => "invalid_email",
            OrgError::Refused(r) => r.code(),
            OrgError::ClaimedByOther { .. } => "claimed_by_other",
            OrgError::NoClaim(_) => "not_claimed",
            OrgError::ClaimChanged(_) => "claim_changed",
            OrgError::NoOrgForDomain(_) => "no_org_for_domain",
            OrgError::SsoNotConfigured(_) => "sso_not_configured",
            OrgError::Config(_) => "invalid_config",
            OrgError::Request(_) => "invalid_request",
            OrgError::Random => "random",
        }
    }
}
