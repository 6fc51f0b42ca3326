//! Logins: SP-initiated (from an email typed on the login page, or an organization), the ACS
//! step, and the password fallback, each under the login policy.

use super::error::OrgError;
use super::policy::{decide_login, LoginAttempt, LoginDecision, LoginRefusal};
use super::Organizations;
use crate::domain::EmailAddress;
use crate::error::{ReplayError, SamlError};
use crate::resource::{AccountId, OrgId};
use crate::saml::{
    build_authn_request, AssertionValidator, AuthnRequestOptions, AuthnRequestStore, LoginRequest,
    RelayState, ReplayCache, RequestId, RequestState, VerifiedAssertion,
};
use crate::store::{
    email_key, Account, Accounts, Conflict, DomainClaims, Membership, OrgRole, OrgSettings,
    Organization,
};
use crate::time::Timestamp;

/// A replay cache's or request store's failure, as its message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreFailure(pub String);

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError<E: std::error::Error + 'static> {
    /// The organization or its SSO setup is missing, or storage failed.
    #[error(transparent)]
    Org(#[from] OrgError<E>),
    /// The SAML response failed validation ([`SamlError::code`], [`SamlError::hint`]).
    #[error(transparent)]
    Saml(#[from] SamlError),
    /// Replay protection or the request id refused it, or their stores failed.
    #[error(transparent)]
    Replay(ReplayError<StoreFailure>),
    /// The login policy refused it ([`LoginRefusal::hint`]).
    #[error(transparent)]
    Refused(#[from] LoginRefusal),
    /// The verified assertion carries no usable email (the `email` attribute statement is
    /// required).
    #[error("the assertion carries no valid email")]
    NoEmail,
}

impl<E: std::error::Error + 'static> LoginError<E> {
    /// A stable code: the SAML, replay, policy or organization error's own code.
    pub fn code(&self) -> &'static str {
        match self {
            LoginError::Org(e) => e.code(),
            LoginError::Saml(e) => e.code(),
            LoginError::Replay(e) => e.code(),
            LoginError::Refused(r) => r.code(),
            LoginError::NoEmail => "missing_email",
        }
    }

    /// What to change (for an admin: which Okta field), when known.
    pub fn hint(&self) -> &'static str {
        match self {
            LoginError::Saml(e) => e.hint(),
            LoginError::Replay(e) => e.hint(),
            LoginError::Refused(r) => r.hint(),
            LoginError::Org(_) => "An organization admin must finish the SSO setup (the IdP's values or metadata, our entity id and ACS URL).",
            LoginError::NoEmail => "Okta: add the attribute statement `email` = user.email to the app's SAML settings.",
        }
    }
}

fn boxed<E: std::error::Error + Send + Sync + 'static>(
    e: ReplayError<E>,
) -> ReplayError<StoreFailure> {
    match e {
        ReplayError::Cache(c) => ReplayError::Cache(StoreFailure(c.to_string())),
        ReplayError::Replayed {
            issuer,
            assertion_id,
        } => ReplayError::Replayed {
            issuer,
            assertion_id,
        },
        ReplayError::UnknownRequest { in_response_to } => {
            ReplayError::UnknownRequest { in_response_to }
        }
        ReplayError::RequestStoreNeeded { in_response_to } => {
            ReplayError::RequestStoreNeeded { in_response_to }
        }
        ReplayError::Requests(r) => ReplayError::Requests(r),
    }
}

/// A login that passed every check.
#[derive(Clone, Debug)]
pub struct LoggedIn {
    /// The verified facts (NameID, email, names, attributes, session index).
    pub assertion: VerifiedAssertion,
    /// The account to log in.
    pub account: Account,
    /// Its membership in the organization.
    pub membership: Membership,
    /// Whether just-in-time provisioning created the account on this login.
    pub created: bool,
}

impl<S> Organizations<S>
where
    S: OrgSettings + DomainClaims + Accounts + ReplayCache + AuthnRequestStore,
{
    /// The organization that verified `email`'s domain (to route an email typed on the login
    /// page): [`OrgError::NoOrgForDomain`] when none has.
    pub async fn org_for_email(
        &self,
        email: &str,
    ) -> Result<OrgId, OrgError<<S as crate::store::Storage>::Error>> {
        let e = EmailAddress::parse(email)?;
        self.store
            .verified_owner(e.domain())
            .await
            .map_err(OrgError::Store)?
            .ok_or_else(|| OrgError::NoOrgForDomain(e.domain().to_string()))
    }

    /// Starts an SP-initiated login for `org`: builds the AuthnRequest (signed with the
    /// organization's SP key, if it has one), stores its id (scoped to `org`) until it
    /// expires, and returns what to send the browser. The ACS step
    /// ([`finish_login`](Organizations::finish_login)) consumes that id once.
    pub async fn start_login(
        &self,
        org: &OrgId,
        relay_state: Option<&RelayState>,
        options: &AuthnRequestOptions,
        now: Timestamp,
    ) -> Result<LoginRequest, OrgError<<S as crate::store::Storage>::Error>> {
        let o = self.require_org(org).await?;
        let config = o
            .sso_config()
            .ok_or_else(|| OrgError::SsoNotConfigured(org.clone()))??;
        let id = RequestId::generate().ok_or(OrgError::Random)?;
        let mut options = options.clone();
        if options.post_url.is_none() {
            options.post_url = o.idp.as_ref().and_then(|i| i.sso_post_url.clone());
        }
        let request = build_authn_request(
            &config,
            o.sp_signing_key.as_ref(),
            id,
            relay_state,
            &options,
            now,
        )?;
        let key = RequestId::scoped(org.as_str(), request.id.as_str());
        self.store
            .insert_request(&key, request.expires_at, now)
            .await
            .map_err(|e| OrgError::Requests(Box::new(e)))?;
        Ok(request)
    }

    /// The ACS step for `org`: validates the posted `SAMLResponse` form value against the
    /// organization's SSO setup, consumes its request id (when it answers one) and assertion id
    /// once, and applies the login policy (a verified claim of the email's domain, the
    /// account's membership and state, just-in-time provisioning). IdP-initiated responses pass
    /// only when the organization allows them.
    pub async fn finish_login(
        &self,
        org: &OrgId,
        saml_response: &[u8],
        now: Timestamp,
    ) -> Result<LoggedIn, LoginError<<S as crate::store::Storage>::Error>> {
        let o = self.require_org(org).await?;
        let config = o
            .sso_config()
            .ok_or_else(|| OrgError::SsoNotConfigured(org.clone()))?
            .map_err(OrgError::from)?;
        let validator = AssertionValidator::new(config);
        #[cfg(feature = "encrypted-assertions")]
        let validator = validator.with_decryption_keys(o.sp_decryption_keys.iter().cloned());
        let pending =
            validator.validate(saml_response, &RequestState::stored_in(org.as_str()), now)?;
        let assertion = pending
            .consume_with(&self.store, &self.store)
            .await
            .map_err(|e| LoginError::Replay(boxed(e)))?;
        let email = assertion
            .email()
            .and_then(|e| EmailAddress::parse(e).ok())
            .ok_or(LoginError::NoEmail)?;
        let owner = self
            .store
            .verified_owner(email.domain())
            .await
            .map_err(OrgError::Store)?;
        let attempt = LoginAttempt::Sso {
            email_on_verified_claim: owner.as_ref() == Some(org),
        };
        let (account, membership) = self.account_of(org, email.as_str()).await?;
        match decide_login(&o, membership, attempt)? {
            LoginDecision::Allow => match (account, membership) {
                (Some(account), Some(membership)) => Ok(LoggedIn {
                    assertion,
                    account,
                    membership,
                    created: false,
                }),
                _ => Err(LoginRefusal::NotAMember.into()),
            },
            LoginDecision::CreateMember => {
                let (account, membership) = self.create_member(&o, email.as_str()).await?;
                Ok(LoggedIn {
                    assertion,
                    account,
                    membership,
                    created: true,
                })
            }
        }
    }

    /// The password fallback: may the account with this email (whose password the host has
    /// checked) log in to `org`? Owners and admins may even when SSO is required.
    pub async fn password_login(
        &self,
        org: &OrgId,
        email: &str,
    ) -> Result<(Account, Membership), LoginError<<S as crate::store::Storage>::Error>> {
        let o = self.require_org(org).await?;
        let (account, membership) = self.account_of(org, email).await?;
        decide_login(&o, membership, LoginAttempt::Password)?;
        match (account, membership) {
            (Some(a), Some(m)) => Ok((a, m)),
            _ => Err(LoginRefusal::NotAMember.into()),
        }
    }

    async fn account_of(
        &self,
        org: &OrgId,
        email: &str,
    ) -> Result<(Option<Account>, Option<Membership>), OrgError<<S as crate::store::Storage>::Error>>
    {
        let account = self
            .store
            .account_by_email(&email_key(email))
            .await
            .map_err(OrgError::Store)?;
        let membership = match &account {
            Some(a) => self
                .store
                .membership(org, &a.id)
                .await
                .map_err(OrgError::Store)?,
            None => None,
        };
        Ok((account, membership))
    }

    async fn create_member(
        &self,
        org: &Organization,
        email: &str,
    ) -> Result<(Account, Membership), LoginError<<S as crate::store::Storage>::Error>> {
        let raw: [u8; 16] = self.random()?;
        let id = AccountId::new(format!(
            "acct_{}",
            raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ))
        .map_err(|_| OrgError::<<S as crate::store::Storage>::Error>::Random)?;
        let account = Account {
            id,
            email: email.to_owned(),
            provisioned_by: Some(org.id.clone()),
        };
        let membership = Membership {
            role: OrgRole::Member,
            active: true,
        };
        match self
            .store
            .create_account(&account)
            .await
            .map_err(OrgError::Store)?
        {
            Ok(()) => {}
            // Created concurrently by another login or by SCIM: log in only if it is a member.
            Err(Conflict::Email) => {
                let (a, m) = self.account_of(&org.id, email).await?;
                return match (a, m) {
                    (Some(a), Some(m)) if m.active => Ok((a, m)),
                    _ => Err(LoginRefusal::NotAMember.into()),
                };
            }
            Err(_) => return Err(LoginRefusal::NotAMember.into()),
        }
        match self
            .store
            .put_membership(&org.id, &account.id, &membership)
            .await
            .map_err(OrgError::Store)?
        {
            Ok(()) => Ok((account, membership)),
            Err(_) => Err(LoginRefusal::NotAMember.into()),
        }
    }
}
