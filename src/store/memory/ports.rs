//! `MemoryStore`'s organization settings, domain claims, tokens and accounts.

use std::future::{ready, Future};

use super::accounts::AccountRec;
use super::{MemoryStore, Res, State};
use crate::domain::DomainName;
use crate::resource::{AccountId, OrgId};
use crate::store::records::{
    email_key, Account, ClaimOutcome, Conflict, EmailKey, Membership, Organization, TokenRecord,
};
use crate::store::{Accounts, DomainClaims, OrgSettings, ScimTokens};

impl OrgSettings for MemoryStore {
    fn organization(&self, org: &OrgId) -> impl Future<Output = Res<Option<Organization>>> + Send {
        ready(Ok(self.read().settings.get(org).cloned()))
    }

    fn put_organization(&self, org: &Organization) -> impl Future<Output = Res<()>> + Send {
        self.write().settings.insert(org.id.clone(), org.clone());
        ready(Ok(()))
    }
}

impl DomainClaims for MemoryStore {
    fn claim_domain(
        &self,
        org: &OrgId,
        domain: &DomainName,
    ) -> impl Future<Output = Res<ClaimOutcome>> + Send {
        let mut s = self.write();
        let outcome = match s.domains.get(domain) {
            Some(o) if o == org => ClaimOutcome::AlreadyClaimed,
            Some(o) => ClaimOutcome::ClaimedByOther(o.clone()),
            None => {
                s.domains.insert(domain.clone(), org.clone());
                ClaimOutcome::Claimed
            }
        };
        ready(Ok(outcome))
    }

    fn release_domain(
        &self,
        org: &OrgId,
        domain: &DomainName,
    ) -> impl Future<Output = Res<bool>> + Send {
        let mut s = self.write();
        let held = s.domains.get(domain) == Some(org);
        if held {
            s.domains.remove(domain);
        }
        ready(Ok(held))
    }

    fn domain_owner(&self, domain: &DomainName) -> impl Future<Output = Res<Option<OrgId>>> + Send {
        ready(Ok(self.read().domains.get(domain).cloned()))
    }

    fn claimed_domains(&self, org: &OrgId) -> impl Future<Output = Res<Vec<DomainName>>> + Send {
        let s = self.read();
        let mut v: Vec<DomainName> = s
            .domains
            .iter()
            .filter(|(_, o)| *o == org)
            .map(|(d, _)| d.clone())
            .collect();
        v.sort();
        ready(Ok(v))
    }
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
