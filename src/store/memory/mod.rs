//! `MemoryStore`: the embedded store, for one process, tests and demos.
//!
//! Users are kept packed ([`packed`]): one allocation of framed strings per user, the
//! organization as a number, and hash indexes that hold positions only ([`index`]); about
//! 0.65 KB per Okta-shaped user with its account (`benches/memory.rs`).

mod accounts;
mod fenwick;
mod groups;
mod index;
mod packed;
mod ports;
mod scan;
mod users;

use std::collections::HashMap;
use std::future::{ready, Future};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use accounts::{AccountRec, AccountTable, OrgNo};
use groups::OrgGroups;
use index::Keys;
use packed::PackedUser;
use users::OrgUsers;

use super::claims::DomainClaim;
use super::records::{
    email_key, Account, AccountLink, Conflict, GroupPage, Membership, OrgRole, Organization, Query,
    TokenRecord, TooMany, UserPage,
};
use super::{ScimDirectory, Storage};
use crate::domain::DomainName;
use crate::resource::{user_name_key, OrgId, ScimGroup, ScimUser, UserNameKey};
use crate::time::Timestamp;

/// A store in memory. Every write takes one lock, so each is atomic; lookups by id, userName
/// and externalId use hash indexes, and default-order paging uses an order-statistic index, so a
/// page costs O(page + log n) whatever the organization's size. A filter no index serves is
/// evaluated in batches of [`SCAN_BATCH`] users, releasing the lock and yielding to the
/// executor between batches, so a long scan delays no other request.
///
/// Nothing survives the process; several replicas need a shared store.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: RwLock<State>,
    replay: crate::saml::MemoryReplayCache,
    requests: crate::saml::MemoryAuthnRequests,
}

/// Users a scan examines per batch, between which it releases the lock and yields.
pub const SCAN_BATCH: usize = 512;

/// `MemoryStore` never fails; this type has no values.
pub type MemoryStoreError = std::convert::Infallible;

#[derive(Debug, Default)]
struct State {
    keys: Keys,
    settings: HashMap<OrgId, Organization>,
    /// Organizations by number (users, memberships and provisioning refer to them by number).
    org_ids: Vec<OrgId>,
    org_nos: HashMap<OrgId, OrgNo>,
    users: Vec<OrgUsers>,
    groups: HashMap<OrgId, OrgGroups>,
    claims: HashMap<OrgId, std::collections::BTreeMap<DomainName, DomainClaim>>,
    /// The verified claim's organization, per domain.
    verified: HashMap<DomainName, OrgId>,
    tokens: HashMap<String, TokenRecord>,
    org_tokens: HashMap<OrgId, Vec<String>>,
    accounts: AccountTable,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // No operation panics while holding the lock, so a poisoned lock still holds consistent data.
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    fn org_no(&self, org: &OrgId) -> Option<OrgNo> {
        self.org_nos.get(org).copied()
    }

    /// The number of `org`, assigned on first use.
    fn intern(&mut self, org: &OrgId) -> OrgNo {
        if let Some(no) = self.org_no(org) {
            return no;
        }
        let no = self.org_ids.len();
        self.org_ids.push(org.clone());
        self.org_nos.insert(org.clone(), no);
        self.users.push(OrgUsers::default());
        no
    }

    fn org_users(&self, org: &OrgId) -> Option<&OrgUsers> {
        self.org_no(org).and_then(|no| self.users.get(no))
    }

    fn account_record(&self, no: usize) -> Option<Account> {
        self.accounts.record(no, |o| self.org_ids.get(o).cloned())
    }

    /// The user at `pos` of `org`, as the ports carry it.
    fn unpack(&self, org: &OrgId, users: &OrgUsers, pos: usize) -> Option<ScimUser> {
        users.at(pos)?.unpack(org)
    }

    fn create_user(&mut self, user: &ScimUser, link: &AccountLink) -> Result<(), Conflict> {
        let key = user_name_key(&user.user_name);
        let keys = &self.keys;
        let org_users = self.org_users(&user.org);
        if org_users
            .is_some_and(|u| u.by_key(keys, &key).is_some() || u.by_id(keys, &user.id).is_some())
        {
            return Err(Conflict::UserName);
        }
        let org = self.org_no(&user.org);
        let existing = match link {
            AccountLink::Existing(id) => {
                let no = self.accounts.by_id(keys, id).ok_or(Conflict::NotFound)?;
                let member = org.is_some_and(|o| {
                    self.accounts
                        .at(no)
                        .is_some_and(|a| a.membership(o).is_some())
                });
                if !member {
                    return Err(Conflict::NotMember);
                }
                if org_users.is_some_and(|u| u.by_account(keys, no).is_some()) {
                    return Err(Conflict::AccountLinked);
                }
                Some(no)
            }
            AccountLink::New(account) => {
                if self.accounts.by_id(keys, &account.id).is_some()
                    || self
                        .accounts
                        .by_email(keys, &email_key(&account.email))
                        .is_some()
                {
                    return Err(Conflict::Email);
                }
                None
            }
        };
        let linked_id = match link {
            AccountLink::Existing(id) => id,
            AccountLink::New(a) => &a.id,
        };
        if *linked_id != user.account {
            return Err(Conflict::NotFound);
        }
        // Checks done: apply.
        let org = self.intern(&user.org);
        let membership = Membership {
            role: OrgRole::Member,
            active: user.active,
        };
        let account_no = match (existing, link) {
            (Some(no), _) => {
                if let Some(a) = self.accounts.at_mut(no) {
                    let role = a.membership(org).map_or(OrgRole::Member, |m| m.role);
                    a.set_membership(
                        org,
                        Membership {
                            role,
                            active: user.active,
                        },
                    );
                }
                no
            }
            (None, AccountLink::New(account)) => {
                let provisioned_by = account.provisioned_by.as_ref().map(|o| self.intern(o));
                self.accounts.push(
                    &self.keys,
                    AccountRec {
                        id: account.id.clone(),
                        email: account.email.as_str().into(),
                        provisioned_by,
                        memberships: vec![(org, membership)],
                    },
                )
            }
            (None, AccountLink::Existing(_)) => return Err(Conflict::NotFound),
        };
        let State { keys, users, .. } = self;
        if let Some(u) = users.get_mut(org) {
            u.push(keys, PackedUser::pack(user, account_no));
        }
        Ok(())
    }

    fn update_user(
        &mut self,
        user: &ScimUser,
        account_email: &str,
        expected: u64,
    ) -> Result<(), Conflict> {
        let keys = &self.keys;
        let org = self.org_no(&user.org).ok_or(Conflict::NotFound)?;
        let users = self.users.get(org).ok_or(Conflict::NotFound)?;
        let pos = users.by_id(keys, &user.id).ok_or(Conflict::NotFound)?;
        let current = users.at(pos).ok_or(Conflict::NotFound)?;
        if current.version != expected {
            return Err(Conflict::Version {
                current: current.version,
            });
        }
        if users
            .by_key(keys, &user_name_key(&user.user_name))
            .is_some_and(|p| p != pos)
        {
            return Err(Conflict::UserName);
        }
        let account_no = current.account;
        if self
            .accounts
            .by_email(keys, &email_key(account_email))
            .is_some_and(|n| n != account_no)
        {
            return Err(Conflict::Email);
        }
        let created = current.created;
        // Checks done: apply.
        self.accounts
            .set_email(&self.keys, account_no, account_email);
        if let Some(a) = self.accounts.at_mut(account_no) {
            if let Some(m) = a.membership(org) {
                a.set_membership(
                    org,
                    Membership {
                        active: user.active,
                        ..m
                    },
                );
            }
        }
        // The link never changes: the stored account, whatever `user.account` says.
        let mut stored = match self.accounts.at(account_no) {
            Some(a) if a.id != user.account => PackedUser::pack(
                &ScimUser {
                    account: a.id.clone(),
                    ..user.clone()
                },
                account_no,
            ),
            _ => PackedUser::pack(user, account_no),
        };
        stored.created = created;
        stored.version = expected + 1;
        let State { keys, users, .. } = self;
        if let Some(u) = users.get_mut(org) {
            u.replace(keys, pos, stored);
        }
        Ok(())
    }

    fn delete_user(&mut self, org: &OrgId, id: &str, delete_account: bool, now: Timestamp) -> bool {
        let Some(org_no) = self.org_no(org) else {
            return false;
        };
        let State {
            keys,
            users,
            groups,
            accounts,
            ..
        } = self;
        let Some(users) = users.get_mut(org_no) else {
            return false;
        };
        let Some(pos) = users.by_id(keys, id) else {
            return false;
        };
        let Some(user) = users.remove(keys, pos) else {
            return false;
        };
        if let Some(gs) = groups.get_mut(org) {
            gs.remove_member_everywhere(id, now);
        }
        let orphan = match accounts.at_mut(user.account) {
            Some(a) => {
                a.memberships.retain(|(o, _)| *o != org_no);
                a.memberships.is_empty() && a.provisioned_by.is_some()
            }
            None => false,
        };
        if delete_account && orphan {
            accounts.remove(keys, user.account);
        }
        true
    }

    fn groups_of_user(&self, org: &OrgId, user_id: &str) -> Vec<(String, String)> {
        self.groups
            .get(org)
            .map(|g| g.groups_of(user_id))
            .unwrap_or_default()
    }

    /// Marks the users `ids` of `org` changed at `at` (their groups changed).
    fn touch_users<'a>(
        &mut self,
        org: &OrgId,
        ids: impl Iterator<Item = &'a String>,
        at: Timestamp,
    ) {
        let Some(no) = self.org_no(org) else { return };
        let State { keys, users, .. } = self;
        let Some(users) = users.get_mut(no) else {
            return;
        };
        for id in ids {
            if let Some(pos) = users.by_id(keys, id) {
                if let Some(u) = users.at_mut(pos) {
                    u.touch(at);
                }
            }
        }
    }

    fn check_members(&self, g: &ScimGroup) -> Result<(), Conflict> {
        let users = self.org_users(&g.org);
        if g.members
            .iter()
            .all(|m| users.is_some_and(|u| u.by_id(&self.keys, m).is_some()))
        {
            Ok(())
        } else {
            Err(Conflict::UnknownMember)
        }
    }

    fn create_group(&mut self, g: &ScimGroup) -> Result<(), Conflict> {
        if self.groups.get(&g.org).is_some_and(|gs| gs.conflicts(g)) {
            return Err(Conflict::DisplayName);
        }
        self.check_members(g)?;
        self.groups.entry(g.org.clone()).or_default().insert(g);
        self.touch_users(&g.org, g.members.iter(), g.last_modified);
        Ok(())
    }

    fn update_group(&mut self, g: &ScimGroup, expected: u64) -> Result<(), Conflict> {
        let gs = self.groups.get(&g.org).ok_or(Conflict::NotFound)?;
        gs.check_update(g, expected)?;
        self.check_members(g)?;
        let changed = self
            .groups
            .get_mut(&g.org)
            .map(|gs| gs.replace(g, expected))
            .unwrap_or_default();
        self.touch_users(&g.org, changed.iter(), g.last_modified);
        Ok(())
    }

    fn delete_group(&mut self, org: &OrgId, id: &str, now: Timestamp) -> bool {
        let Some(members) = self.groups.get_mut(org).and_then(|gs| gs.remove(id)) else {
            return false;
        };
        self.touch_users(org, members.iter(), now);
        true
    }

    fn list_users(&self, org: &OrgId, start: usize, count: usize) -> UserPage {
        let Some(users) = self.org_users(org) else {
            return UserPage {
                users: Vec::new(),
                total: 0,
            };
        };
        let total = users.len();
        let mut out = Vec::new();
        // Each user of the page by rank: O(count log n), however many were deleted in between.
        for rank in start..start.saturating_add(count).min(total) {
            let Some(pos) = users.select(rank) else { break };
            if let Some(u) = self.unpack(org, users, pos) {
                out.push(u);
            }
        }
        UserPage { users: out, total }
    }
}

type Res<T> = Result<T, MemoryStoreError>;

impl Storage for MemoryStore {
    type Error = MemoryStoreError;
}

impl ScimDirectory for MemoryStore {
    fn create_user(
        &self,
        user: &ScimUser,
        link: &AccountLink,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        ready(Ok(self.write().create_user(user, link)))
    }

    fn user(&self, org: &OrgId, id: &str) -> impl Future<Output = Res<Option<ScimUser>>> + Send {
        let s = self.read();
        let u = s.org_users(org).and_then(|users| {
            users
                .by_id(&s.keys, id)
                .and_then(|pos| s.unpack(org, users, pos))
        });
        ready(Ok(u))
    }

    fn user_by_user_name(
        &self,
        org: &OrgId,
        key: &UserNameKey,
    ) -> impl Future<Output = Res<Option<ScimUser>>> + Send {
        let s = self.read();
        let u = s.org_users(org).and_then(|users| {
            users
                .by_key(&s.keys, key)
                .and_then(|pos| s.unpack(org, users, pos))
        });
        ready(Ok(u))
    }

    fn update_user(
        &self,
        user: &ScimUser,
        account_email: &str,
        expected_version: u64,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        ready(Ok(self.write().update_user(
            user,
            account_email,
            expected_version,
        )))
    }

    fn delete_user(
        &self,
        org: &OrgId,
        id: &str,
        delete_account_if_orphan: bool,
        now: Timestamp,
    ) -> impl Future<Output = Res<bool>> + Send {
        ready(Ok(self.write().delete_user(
            org,
            id,
            delete_account_if_orphan,
            now,
        )))
    }

    fn list_users(
        &self,
        org: &OrgId,
        start: usize,
        count: usize,
    ) -> impl Future<Output = Res<UserPage>> + Send {
        ready(Ok(self.read().list_users(org, start, count)))
    }

    async fn query_users(&self, org: &OrgId, query: &Query) -> Res<Result<UserPage, TooMany>> {
        Ok(self.scan_users(org, query).await)
    }

    fn groups_of_user(
        &self,
        org: &OrgId,
        user_id: &str,
    ) -> impl Future<Output = Res<Vec<(String, String)>>> + Send {
        ready(Ok(self.read().groups_of_user(org, user_id)))
    }

    fn create_group(
        &self,
        group: &ScimGroup,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        ready(Ok(self.write().create_group(group)))
    }

    fn group(&self, org: &OrgId, id: &str) -> impl Future<Output = Res<Option<ScimGroup>>> + Send {
        ready(Ok(self.read().groups.get(org).and_then(|g| g.get(id))))
    }

    fn update_group(
        &self,
        group: &ScimGroup,
        expected_version: u64,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        ready(Ok(self.write().update_group(group, expected_version)))
    }

    fn delete_group(
        &self,
        org: &OrgId,
        id: &str,
        now: Timestamp,
    ) -> impl Future<Output = Res<bool>> + Send {
        ready(Ok(self.write().delete_group(org, id, now)))
    }

    fn query_groups(
        &self,
        org: &OrgId,
        query: &Query,
    ) -> impl Future<Output = Res<Result<GroupPage, TooMany>>> + Send {
        let s = self.read();
        let page = match s.groups.get(org) {
            Some(gs) => gs.query(query),
            None => Ok(GroupPage {
                groups: Vec::new(),
                total: 0,
            }),
        };
        ready(Ok(page))
    }
}
