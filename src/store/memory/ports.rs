//! `MemoryStore`'s organization settings, domain claims, tokens and accounts.

use std::future::{ready, Future};

use super::accounts::AccountRec;
use super::{MemoryStore, Res, State};
use crate::domain::DomainName;
use crate::resource::{AccountId, OrgId};
use crate::store::records::{
    email_key, Account, Conflict, EmailKey, Membership, Organization, TokenRecord,
};
use crate::store::{Accounts, ClaimConflict, DomainClaim, DomainClaims, OrgSettings, ScimTokens};

impl OrgSettings for MemoryStore {
    fn organization(&self, org: &OrgId) -> impl Future<Output = Res<Option<Organization>>> + Send {
        ready(Ok(self.read().settings.get(org).cloned()))
    }

    fn put_organization(&self, org: &Organization) -> impl Future<Output = Res<()>> + Send {
        let mut s = self.write();
        let mut next = org.clone();
        next.version = s
            .settings
            .get(&org.id)
            .map_or(1, |o| o.version.saturating_add(1));
        s.settings.insert(org.id.clone(), next);
        ready(Ok(()))
    }

    fn update_organization(
        &self,
        org: &Organization,
        expected_version: u64,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        let mut s = self.write();
        let r = match s.settings.get(&org.id).map(|o| o.version) {
            None => Err(Conflict::NotFound),
            Some(v) if v != expected_version => Err(Conflict::Version { current: v }),
            Some(_) => {
                let mut next = org.clone();
                next.version = expected_version.saturating_add(1);
                s.settings.insert(org.id.clone(), next);
                Ok(())
            }
        };
        ready(Ok(r))
    }
}

impl DomainClaims for MemoryStore {
    fn insert_claim(
        &self,
        claim: &DomainClaim,
    ) -> impl Future<Output = Res<Result<(), ClaimConflict>>> + Send {
        let mut s = self.write();
        let exists = s
            .claims
            .get(&claim.org)
            .is_some_and(|m| m.contains_key(&claim.domain));
        let r = if exists {
            Err(ClaimConflict::Exists)
        } else if let Some(other) = verified_by_other(&s, claim) {
            Err(ClaimConflict::VerifiedByOther(other))
        } else {
            if claim.is_verified() {
                s.verified.insert(claim.domain.clone(), claim.org.clone());
            }
            s.claims
                .entry(claim.org.clone())
                .or_default()
                .insert(claim.domain.clone(), claim.clone());
            Ok(())
        };
        ready(Ok(r))
    }

    fn update_claim(
        &self,
        claim: &DomainClaim,
        expected_version: u64,
    ) -> impl Future<Output = Res<Result<(), ClaimConflict>>> + Send {
        let mut s = self.write();
        let stored = s
            .claims
            .get(&claim.org)
            .and_then(|m| m.get(&claim.domain))
            .map(|c| c.version);
        let r = match stored {
            None => Err(ClaimConflict::NotFound),
            Some(v) if v != expected_version => Err(ClaimConflict::Version),
            Some(_) => match verified_by_other(&s, claim) {
                Some(other) => Err(ClaimConflict::VerifiedByOther(other)),
                None => {
                    let mut next = claim.clone();
                    next.version = expected_version.saturating_add(1);
                    if next.is_verified() {
                        s.verified.insert(next.domain.clone(), next.org.clone());
                    } else if s.verified.get(&next.domain) == Some(&next.org) {
                        s.verified.remove(&next.domain);
                    }
                    s.claims
                        .entry(next.org.clone())
                        .or_default()
                        .insert(next.domain.clone(), next);
                    Ok(())
                }
            },
        };
        ready(Ok(r))
    }

    fn claim(
        &self,
        org: &OrgId,
        domain: &DomainName,
    ) -> impl Future<Output = Res<Option<DomainClaim>>> + Send {
        let s = self.read();
        ready(Ok(s.claims.get(org).and_then(|m| m.get(domain)).cloned()))
    }

    fn claims(&self, org: &OrgId) -> impl Future<Output = Res<Vec<DomainClaim>>> + Send {
        let s = self.read();
        let v = s
            .claims
            .get(org)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        ready(Ok(v))
    }

    fn verified_owner(
        &self,
        domain: &DomainName,
    ) -> impl Future<Output = Res<Option<OrgId>>> + Send {
        ready(Ok(self.read().verified.get(domain).cloned()))
    }

    fn delete_claim(
        &self,
        org: &OrgId,
        domain: &DomainName,
    ) -> impl Future<Output = Res<bool>> + Send {
        let mut s = self.write();
        let removed = s
            .claims
            .get_mut(org)
            .and_then(|m| m.remove(domain))
            .is_some();
        if removed && s.verified.get(domain) == Some(org) {
            s.verified.remove(domain);
        }
        ready(Ok(removed))
    }
}

/// The other organization holding a verified claim of `claim.domain`, when `claim` is verified.
fn verified_by_other(s: &State, claim: &DomainClaim) -> Option<OrgId> {
    if !claim.is_verified() {
        return None;
    }
    s.verified
        .get(&claim.domain)
        .filter(|o| **o != claim.org)
        .cloned()
}

impl ScimTokens for MemoryStore {
    fn insert_token(&self, token: &TokenRecord) -> impl Future<Output = Res<()>> + Send {
        let mut s = self.write();
        s.org_tokens
            .entry(token.org.clone())
            .or_default()
            .push(token.id.clone());
        s.tokens.insert(token.id.clone(), token.clone());
        ready(Ok(()))
    }

    fn token(&self, id: &str) -> impl Future<Output = Res<Option<TokenRecord>>> + Send {
        ready(Ok(self.read().tokens.get(id).cloned()))
    }

    fn tokens(&self, org: &OrgId) -> impl Future<Output = Res<Vec<TokenRecord>>> + Send {
        let s = self.read();
        let v = s
            .org_tokens
            .get(org)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| s.tokens.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default();
        ready(Ok(v))
    }

    fn revoke_token(&self, org: &OrgId, id: &str) -> impl Future<Output = Res<bool>> + Send {
        let mut s = self.write();
        let found = match s.tokens.get_mut(id) {
            Some(t) if &t.org == org => {
                t.revoked = true;
                true
            }
            _ => false,
        };
        ready(Ok(found))
    }
}

impl Accounts for MemoryStore {
    fn account_by_email(
        &self,
        key: &EmailKey,
    ) -> impl Future<Output = Res<Option<Account>>> + Send {
        let s = self.read();
        ready(Ok(s
            .accounts
            .by_email(&s.keys, key)
            .and_then(|no| s.account_record(no))))
    }

    fn membership(
        &self,
        org: &OrgId,
        account: &AccountId,
    ) -> impl Future<Output = Res<Option<Membership>>> + Send {
        let s = self.read();
        let m = s.org_no(org).and_then(|o| {
            s.accounts
                .by_id(&s.keys, account)
                .and_then(|no| s.accounts.at(no))
                .and_then(|a| a.membership(o))
        });
        ready(Ok(m))
    }

    fn create_account(
        &self,
        account: &Account,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        let mut s = self.write();
        let taken = s
            .accounts
            .by_email(&s.keys, &email_key(&account.email))
            .is_some()
            || s.accounts.by_id(&s.keys, &account.id).is_some();
        let r = if taken {
            Err(Conflict::Email)
        } else {
            let provisioned_by = account.provisioned_by.as_ref().map(|o| s.intern(o));
            let State { keys, accounts, .. } = &mut *s;
            accounts.push(
                keys,
                AccountRec {
                    id: account.id.clone(),
                    email: account.email.as_str().into(),
                    provisioned_by,
                    memberships: Vec::new(),
                },
            );
            Ok(())
        };
        ready(Ok(r))
    }

    fn account(&self, id: &AccountId) -> impl Future<Output = Res<Option<Account>>> + Send {
        let s = self.read();
        ready(Ok(s
            .accounts
            .by_id(&s.keys, id)
            .and_then(|no| s.account_record(no))))
    }

    fn put_membership(
        &self,
        org: &OrgId,
        account: &AccountId,
        membership: &Membership,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        let mut s = self.write();
        let r = match s.accounts.by_id(&s.keys, account) {
            Some(no) => {
                let o = s.intern(org);
                if let Some(a) = s.accounts.at_mut(no) {
                    a.set_membership(o, *membership);
                }
                Ok(())
            }
            None => Err(Conflict::NotFound),
        };
        ready(Ok(r))
    }
}

impl crate::saml::ReplayCache for MemoryStore {
    type Error = crate::saml::MemoryReplayError;

    fn consume_once(
        &self,
        key: &crate::saml::ReplayKey,
        expires_at: crate::time::Timestamp,
        now: crate::time::Timestamp,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        ready(self.replay.consume_once_now(key, expires_at, now))
    }
}

impl crate::saml::AuthnRequestStore for MemoryStore {
    type Error = crate::saml::MemoryRequestError;

    fn insert_request(
        &self,
        id: &crate::saml::RequestId,
        expires_at: crate::time::Timestamp,
        now: crate::time::Timestamp,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.requests.insert_request(id, expires_at, now)
    }

    fn consume_request(
        &self,
        id: &crate::saml::RequestId,
        now: crate::time::Timestamp,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        self.requests.consume_request(id, now)
    }
}
