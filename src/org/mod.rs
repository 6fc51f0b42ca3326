//! Organizations: the lifecycle the Okta guide walks an admin through — create the organization,
//! claim and verify its domains, configure SSO (the three Okta fields or IdP metadata), require
//! it, and log users in (SP- or IdP-initiated) under the login policy. A service over the store
//! ports, like [`ScimService`](crate::ScimService).

mod claims;
mod error;
mod login;
mod policy;

pub use claims::Verification;
pub use error::OrgError;
pub use login::{LoggedIn, LoginError, StoreFailure};
pub use policy::{decide_login, LoginAttempt, LoginDecision, LoginRefusal};

use ring::rand::{SecureRandom, SystemRandom};

use crate::domain::ClaimRules;
use crate::resource::OrgId;
use crate::saml::{IdpSettings, SpEndpoints, SpSigningKey};
use crate::store::{OrgSettings, Organization};

/// The organization lifecycle over a store (any type implementing the ports each method
/// names; [`SqliteStore`](crate::SqliteStore), [`PostgresStore`](crate::PostgresStore) and
/// [`MemoryStore`](crate::MemoryStore) implement them all).
#[derive(Debug)]
pub struct Organizations<S> {
    store: S,
    rules: ClaimRules,
    rng: SystemRandom,
}

impl<S> Organizations<S> {
    /// The service over `store`, with the default [`ClaimRules`].
    pub fn new(store: S) -> Organizations<S> {
        Organizations {
            store,
            rules: ClaimRules::new(),
            rng: SystemRandom::new(),
        }
    }

    /// Replaces the domain-claim rules (to allow a listed free-mail domain).
    pub fn with_claim_rules(mut self, rules: ClaimRules) -> Organizations<S> {
        self.rules = rules;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    fn random<const N: usize, E: std::error::Error + 'static>(
        &self,
    ) -> Result<[u8; N], OrgError<E>> {
        let mut b = [0u8; N];
        self.rng.fill(&mut b).map_err(|_| OrgError::Random)?;
        Ok(b)
    }
}

impl<S: OrgSettings> Organizations<S> {
    /// Creates organization `id` with our SP values (checked: [`SpEndpoints::validate`]);
    /// [`OrgError::OrgExists`] if it exists.
    pub async fn create(
        &self,
        id: OrgId,
        name: Option<&str>,
        sp: SpEndpoints,
    ) -> Result<Organization, OrgError<S::Error>> {
        sp.validate()?;
        if self
            .store
            .organization(&id)
            .await
            .map_err(OrgError::Store)?
            .is_some()
        {
            return Err(OrgError::OrgExists(id));
        }
        let mut org = Organization::new(id).with_sp(sp);
        if let Some(n) = name {
            org = org.with_name(n);
        }
        self.store
            .put_organization(&org)
            .await
            .map_err(OrgError::Store)?;
        Ok(org)
    }

    /// The organization's settings; [`OrgError::UnknownOrg`] if there is none.
    pub async fn organization(&self, id: &OrgId) -> Result<Organization, OrgError<S::Error>> {
        self.require_org(id).await
    }

    async fn require_org(&self, id: &OrgId) -> Result<Organization, OrgError<S::Error>> {
        self.store
            .organization(id)
            .await
            .map_err(OrgError::Store)?
            .ok_or_else(|| OrgError::UnknownOrg(id.clone()))
    }

    /// Changes the organization's settings with `f` and stores them, compare-and-set on the
    /// version read: when another change landed in between, `f` is applied again to the new
    /// settings (at most 16 tries), so no concurrent change is lost.
    pub async fn update(
        &self,
        id: &OrgId,
        f: impl Fn(&mut Organization),
    ) -> Result<Organization, OrgError<S::Error>> {
        for _ in 0..16 {
            let mut org = self.require_org(id).await?;
            let read = org.version;
            f(&mut org);
            match self
                .store
                .update_organization(&org, read)
                .await
                .map_err(OrgError::Store)?
            {
                Ok(()) => {
                    org.version = read.saturating_add(1);
                    return Ok(org);
                }
                Err(crate::store::Conflict::NotFound) => {
                    return Err(OrgError::UnknownOrg(id.clone()))
                }
                Err(_) => continue,
            }
        }
        Err(OrgError::ClaimChanged(format!("the settings of {id}")))
    }

    /// Sets the IdP's values (the three Okta fields, or imported metadata), checking that they
    /// build a valid [`SsoConfig`](crate::SsoConfig) with our SP values.
    pub async fn set_idp(
        &self,
        id: &OrgId,
        idp: IdpSettings,
    ) -> Result<Organization, OrgError<S::Error>> {
        let org = self.require_org(id).await?;
        let sp = org
            .sp
            .clone()
            .ok_or_else(|| OrgError::SsoNotConfigured(id.clone()))?;
        idp.sso_config(&sp)?;
        self.update(id, |o| o.idp = Some(idp.clone())).await
    }

    /// Sets (or with `None` removes) the SP signing key pair.
    pub async fn set_sp_signing_key(
        &self,
        id: &OrgId,
        key: Option<SpSigningKey>,
    ) -> Result<Organization, OrgError<S::Error>> {
        self.update(id, |o| o.sp_signing_key = key.clone()).await
    }

    /// Sets the SP decryption key pairs (feature `encrypted-assertions`; empty to stop
    /// accepting encrypted assertions). During a rotation, list the new key after the current
    /// one until the IdP encrypts for the new certificate, then remove the old one.
    #[cfg(feature = "encrypted-assertions")]
    pub async fn set_sp_decryption_keys(
        &self,
        id: &OrgId,
        keys: crate::saml::SpDecryptionKeys,
    ) -> Result<Organization, OrgError<S::Error>> {
        self.update(id, |o| o.sp_decryption_keys = keys.clone())
            .await
    }

    /// Turns "Require users to log in using SSO" on or off.
    pub async fn set_require_sso(
        &self,
        id: &OrgId,
        on: bool,
    ) -> Result<Organization, OrgError<S::Error>> {
        self.update(id, |o| o.require_sso = on).await
    }
}
