//! The accounts `MemoryStore` keeps (the host's users, across organizations) and their
//! memberships, indexed by id and by email key.

use super::index::{Index, Keys};
use crate::resource::AccountId;
use crate::store::records::{email_key, Account, EmailKey, Membership};

/// An organization as a number (its position in the store's organization table).
pub(super) type OrgNo = usize;

/// One account.
#[derive(Debug)]
pub(super) struct AccountRec {
    pub id: AccountId,
    pub email: Box<str>,
    pub provisioned_by: Option<OrgNo>,
    /// The account's memberships, by organization number (few per account).
    pub memberships: Vec<(OrgNo, Membership)>,
}

impl AccountRec {
    /// The membership in organization `org`.
    pub fn membership(&self, org: OrgNo) -> Option<Membership> {
        self.memberships
            .iter()
            .find(|(o, _)| *o == org)
            .map(|(_, m)| *m)
    }

    /// Creates or replaces the membership in `org`.
    pub fn set_membership(&mut self, org: OrgNo, m: Membership) {
        match self.memberships.iter_mut().find(|(o, _)| *o == org) {
            Some(slot) => slot.1 = m,
            None => {
                self.memberships.reserve_exact(1);
                self.memberships.push((org, m));
            }
        }
    }
}

/// Every account, by number, with the id and email-key indexes.
#[derive(Debug, Default)]
pub(super) struct AccountTable {
    slots: Vec<Option<AccountRec>>,
    by_id: Index,
    by_email: Index,
}

fn email_hash(keys: &Keys, email: &str) -> u64 {
    keys.str(email_key(email).as_str())
}

impl AccountTable {
    pub fn at(&self, no: usize) -> Option<&AccountRec> {
        self.slots.get(no).and_then(Option::as_ref)
    }

    pub fn at_mut(&mut self, no: usize) -> Option<&mut AccountRec> {
        self.slots.get_mut(no).and_then(Option::as_mut)
    }

    /// The number of account `id`.
    pub fn by_id(&self, keys: &Keys, id: &AccountId) -> Option<usize> {
        self.by_id.get(keys.str(id.as_str()), |n| {
            self.at(n).is_some_and(|a| a.id == *id)
        })
    }

    /// The number of the account whose email has key `key`.
    pub fn by_email(&self, keys: &Keys, key: &EmailKey) -> Option<usize> {
        self.by_email.get(keys.str(key.as_str()), |n| {
            self.at(n).is_some_and(|a| email_key(&a.email) == *key)
        })
    }

    /// The account as the ports carry it, its provisioning organization resolved by `org`.
    pub fn record(
        &self,
        no: usize,
        org: impl Fn(OrgNo) -> Option<crate::resource::OrgId>,
    ) -> Option<Account> {
        self.at(no).map(|a| Account {
            id: a.id.clone(),
            email: a.email.to_string(),
            provisioned_by: a.provisioned_by.and_then(org),
        })
    }

    /// Adds an account (the caller checked that its id and email are free); returns its number.
    pub fn push(&mut self, keys: &Keys, rec: AccountRec) -> usize {
        let no = self.slots.len();
        let (id_hash, mail_hash) = (keys.str(rec.id.as_str()), email_hash(keys, &rec.email));
        self.slots.push(Some(rec));
        let AccountTable {
            slots,
            by_id,
            by_email,
        } = self;
        let rec = |n: usize| slots.get(n).and_then(Option::as_ref);
        by_id.insert(id_hash, no, |n| {
            rec(n).map_or(0, |a| keys.str(a.id.as_str()))
        });
        by_email.insert(mail_hash, no, |n| {
            rec(n).map_or(0, |a| email_hash(keys, &a.email))
        });
        no
    }

    /// Changes account `no`'s email (the caller checked that the new key is free).
    pub fn set_email(&mut self, keys: &Keys, no: usize, email: &str) {
        let Some(a) = self.at(no) else { return };
        if *a.email == *email {
            return;
        }
        let old = email_hash(keys, &a.email);
        self.by_email.remove(old, no);
        if let Some(a) = self.at_mut(no) {
            a.email = email.into();
        }
        let AccountTable {
            slots, by_email, ..
        } = self;
        let rec = |n: usize| slots.get(n).and_then(Option::as_ref);
        by_email.insert(email_hash(keys, email), no, |n| {
            rec(n).map_or(0, |a| email_hash(keys, &a.email))
        });
    }

    /// Removes account `no`.
    pub fn remove(&mut self, keys: &Keys, no: usize) {
        let Some(a) = self.at(no) else { return };
        let (id_hash, mail_hash) = (keys.str(a.id.as_str()), email_hash(keys, &a.email));
        self.by_id.remove(id_hash, no);
        self.by_email.remove(mail_hash, no);
        if let Some(slot) = self.slots.get_mut(no) {
            *slot = None;
        }
    }
}
