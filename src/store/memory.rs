//! `MemoryStore`: the embedded store, for one process, tests and demos.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::{ready, Future};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::records::{
    email_key, Account, AccountLink, ClaimOutcome, Conflict, EmailKey, GroupPage, Membership,
    OrgRole, Organization, Query, TokenRecord, UserPage,
};
use super::{Accounts, DomainClaims, OrgSettings, ScimDirectory, ScimTokens, Storage};
use crate::domain::DomainName;
use crate::resource::{
    self, group_name_key, user_name_key, AccountId, CompValue, CompareOp, Filter, GroupNameKey,
    OrgId, ScimGroup, ScimUser, UserNameKey,
};

/// A store in memory. Every operation takes one lock, so each is atomic; lookups by id, userName
/// and externalId use hash indexes, and default-order paging uses an order-statistic index, so a
/// page costs O(page + log n) whatever the organization's size.
///
/// Nothing survives the process; several replicas need a shared store.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: RwLock<State>,
}

/// `MemoryStore` never fails; this type has no values.
pub type MemoryStoreError = std::convert::Infallible;

#[derive(Debug, Default)]
struct State {
    orgs: HashMap<OrgId, Organization>,
    domains: HashMap<DomainName, OrgId>,
    tokens: HashMap<String, TokenRecord>,
    org_tokens: HashMap<OrgId, Vec<String>>,
    accounts: HashMap<AccountId, Account>,
    account_by_email: HashMap<EmailKey, AccountId>,
    memberships: HashMap<(OrgId, AccountId), Membership>,
    account_orgs: HashMap<AccountId, HashSet<OrgId>>,
    users: HashMap<OrgId, OrgUsers>,
    groups: HashMap<OrgId, OrgGroups>,
}

#[derive(Debug, Default)]
struct OrgGroups {
    /// id -> (position in creation order, record)
    by_id: HashMap<String, (usize, ScimGroup)>,
    by_name: HashMap<GroupNameKey, String>,
    order: BTreeMap<usize, String>,
    next: usize,
    /// user id -> ids of the groups it is a member of
    of_user: HashMap<String, BTreeSet<String>>,
}

#[derive(Debug, Default)]
struct OrgUsers {
    /// id -> (position in creation order, record)
    by_id: HashMap<String, (usize, ScimUser)>,
    by_key: HashMap<UserNameKey, String>,
    by_account: HashMap<AccountId, String>,
    by_external: HashMap<String, BTreeSet<(usize, String)>>,
    /// position -> id, for the users that exist.
    order: BTreeMap<usize, String>,
    /// 1 where `order` has a user, 0 where one was deleted.
    present: Fenwick,
}

/// A Fenwick (binary indexed) tree over 0/1 flags: rank and select in O(log n).
#[derive(Debug, Default)]
struct Fenwick {
    tree: Vec<u32>,
}

impl Fenwick {
    fn len(&self) -> usize {
        self.tree.len()
    }

    /// Sum of flags at positions `0..i`.
    fn prefix(&self, mut i: usize) -> u32 {
        let mut s = 0;
        while i > 0 {
            s += self.tree[i - 1];
            i &= i - 1;
        }
        s
    }

    /// Appends a flag at position `len()`.
    fn push(&mut self, v: u32) {
        let i = self.tree.len() + 1; // 1-based index of the new cell
        let low = i & i.wrapping_neg();
        let covered = self.prefix(i - 1) - self.prefix(i - low);
        self.tree.push(v + covered);
    }

    /// Clears the flag at position `pos`.
    fn clear(&mut self, pos: usize) {
        let mut i = pos + 1;
        while i <= self.tree.len() {
            self.tree[i - 1] -= 1;
            i += i & i.wrapping_neg();
        }
    }

    /// The position of the `k`-th set flag (0-based `k`), if there are more than `k`.
    fn select(&self, k: usize) -> Option<usize> {
        let mut remaining = u32::try_from(k).ok()? + 1;
        let mut pos = 0usize;
        let mut step = self.tree.len().checked_next_power_of_two().unwrap_or(0);
        if step > self.tree.len() {
            step /= 2;
        }
        while step > 0 {
            let next = pos + step;
            if next <= self.tree.len() && self.tree[next - 1] < remaining {
                pos = next;
                remaining -= self.tree[next - 1];
            }
            step /= 2;
        }
        (pos < self.tree.len()).then_some(pos)
    }
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
    fn org_users(&mut self, org: &OrgId) -> &mut OrgUsers {
        self.users.entry(org.clone()).or_default()
    }

    fn create_user(&mut self, user: &ScimUser, link: &AccountLink) -> Result<(), Conflict> {
        let key = user_name_key(&user.user_name);
        if self
            .users
            .get(&user.org)
            .is_some_and(|u| u.by_key.contains_key(&key))
        {
            return Err(Conflict::UserName);
        }
        let account_id = match link {
            AccountLink::Existing(id) => {
                if !self.accounts.contains_key(id) {
                    return Err(Conflict::NotFound);
                }
                if !self
                    .memberships
                    .contains_key(&(user.org.clone(), id.clone()))
                {
                    return Err(Conflict::NotMember);
                }
                if self
                    .users
                    .get(&user.org)
                    .is_some_and(|u| u.by_account.contains_key(id))
                {
                    return Err(Conflict::AccountLinked);
                }
                id.clone()
            }
            AccountLink::New(account) => {
                if self.accounts.contains_key(&account.id)
                    || self
                        .account_by_email
                        .contains_key(&email_key(&account.email))
                {
                    return Err(Conflict::Email);
                }
                account.id.clone()
            }
        };
        if account_id != user.account {
            return Err(Conflict::NotFound);
        }
        // Checks done: apply.
        if let AccountLink::New(account) = link {
            self.accounts.insert(account.id.clone(), account.clone());
            self.account_by_email
                .insert(email_key(&account.email), account.id.clone());
            self.memberships.insert(
                (user.org.clone(), account.id.clone()),
                Membership {
                    role: OrgRole::Member,
                    active: user.active,
                },
            );
            self.account_orgs
                .entry(account.id.clone())
                .or_default()
                .insert(user.org.clone());
        } else if let Some(m) = self
            .memberships
            .get_mut(&(user.org.clone(), account_id.clone()))
        {
            m.active = user.active;
        }
        let users = self.org_users(&user.org);
        let pos = users.present.len();
        users.present.push(1);
        users.order.insert(pos, user.id.clone());
        users.by_key.insert(key, user.id.clone());
        users.by_account.insert(account_id, user.id.clone());
        if let Some(ext) = &user.external_id {
            users
                .by_external
                .entry(ext.clone())
                .or_default()
                .insert((pos, user.id.clone()));
        }
        users.by_id.insert(user.id.clone(), (pos, user.clone()));
        Ok(())
    }

    fn update_user(
        &mut self,
        user: &ScimUser,
        account_email: &str,
        expected: u64,
    ) -> Result<(), Conflict> {
        let Some(users) = self.users.get(&user.org) else {
            return Err(Conflict::NotFound);
        };
        let Some((_, current)) = users.by_id.get(&user.id) else {
            return Err(Conflict::NotFound);
        };
        if current.version != expected {
            return Err(Conflict::Version {
                current: current.version,
            });
        }
        let new_key = user_name_key(&user.user_name);
        if users.by_key.get(&new_key).is_some_and(|id| id != &user.id) {
            return Err(Conflict::UserName);
        }
        let account_id = current.account.clone();
        let new_email_key = email_key(account_email);
        if self
            .account_by_email
            .get(&new_email_key)
            .is_some_and(|a| a != &account_id)
        {
            return Err(Conflict::Email);
        }
        // Checks done: apply.
        if let Some(account) = self.accounts.get_mut(&account_id) {
            let old = email_key(&account.email);
            if old != new_email_key {
                self.account_by_email.remove(&old);
                self.account_by_email
                    .insert(new_email_key, account_id.clone());
            }
            account.email = account_email.to_owned();
        }
        if let Some(m) = self
            .memberships
            .get_mut(&(user.org.clone(), account_id.clone()))
        {
            m.active = user.active;
        }
        let users = self.org_users(&user.org);
        let Some((pos, current)) = users.by_id.get(&user.id).cloned() else {
            return Err(Conflict::NotFound);
        };
        users.by_key.remove(&user_name_key(&current.user_name));
        users.by_key.insert(new_key, user.id.clone());
        if let Some(ext) = &current.external_id {
            if let Some(set) = users.by_external.get_mut(ext) {
                set.remove(&(pos, user.id.clone()));
                if set.is_empty() {
                    users.by_external.remove(ext);
                }
            }
        }
        if let Some(ext) = &user.external_id {
            users
                .by_external
                .entry(ext.clone())
                .or_default()
                .insert((pos, user.id.clone()));
        }
        let mut stored = user.clone();
        stored.account = account_id;
        stored.created = current.created;
        stored.version = expected + 1;
        users.by_id.insert(user.id.clone(), (pos, stored));
        Ok(())
    }

    fn delete_user(&mut self, org: &OrgId, id: &str, delete_account: bool) -> bool {
        let Some(users) = self.users.get_mut(org) else {
            return false;
        };
        let Some((pos, user)) = users.by_id.remove(id) else {
            return false;
        };
        users.by_key.remove(&user_name_key(&user.user_name));
        users.by_account.remove(&user.account);
        if let Some(ext) = &user.external_id {
            if let Some(set) = users.by_external.get_mut(ext) {
                set.remove(&(pos, user.id.clone()));
                if set.is_empty() {
                    users.by_external.remove(ext);
                }
            }
        }
        users.order.remove(&pos);
        users.present.clear(pos);
        if let Some(groups) = self.groups.get_mut(org) {
            for gid in groups.of_user.remove(&user.id).unwrap_or_default() {
                if let Some((_, g)) = groups.by_id.get_mut(&gid) {
                    g.members.retain(|m| m != &user.id);
                    g.version += 1;
                }
            }
        }
        self.memberships
            .remove(&(org.clone(), user.account.clone()));
        let orphan = match self.account_orgs.get_mut(&user.account) {
            Some(set) => {
                set.remove(org);
                set.is_empty()
            }
            None => true,
        };
        if delete_account && orphan {
            if let Some(a) = self.accounts.get(&user.account) {
                if a.provisioned_by.is_some() {
                    self.account_by_email.remove(&email_key(&a.email));
                    self.accounts.remove(&user.account);
                    self.account_orgs.remove(&user.account);
                }
            }
        }
        true
    }

    /// The users an indexable filter designates (`userName`, `externalId` or `id` eq, possibly
    /// and-ed with more), or `None` when the filter needs a scan.
    fn indexed_users<'s>(users: &'s OrgUsers, f: &Filter) -> Option<Vec<&'s ScimUser>> {
        match f {
            Filter::Compare(p, CompareOp::Eq, CompValue::Str(v))
                if p.schema
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case(crate::resource::USER_SCHEMA)) =>
            {
                let get = |id: &String| users.by_id.get(id).map(|(_, u)| u);
                if p.is("userName") {
                    Some(
                        users
                            .by_key
                            .get(&user_name_key(v))
                            .and_then(get)
                            .into_iter()
                            .collect(),
                    )
                } else if p.is("externalId") {
                    Some(
                        users
                            .by_external
                            .get(v)
                            .map(|set| set.iter().filter_map(|(_, id)| get(id)).collect())
                            .unwrap_or_default(),
                    )
                } else if p.is("id") {
                    Some(get(v).into_iter().collect())
                } else {
                    None
                }
            }
            Filter::And(a, b) => {
                Self::indexed_users(users, a).or_else(|| Self::indexed_users(users, b))
            }
            _ => None,
        }
    }

    fn query_users(&self, org: &OrgId, q: &Query) -> UserPage {
        if q.filter.is_none() && q.sort.is_none() {
            return self.list_users(org, q.start, q.count);
        }
        let Some(users) = self.users.get(org) else {
            return UserPage {
                users: Vec::new(),
                total: 0,
            };
        };
        let all = || {
            users
                .order
                .values()
                .filter_map(|id| users.by_id.get(id).map(|(_, u)| u))
                .collect::<Vec<_>>()
        };
        let hits: Vec<&ScimUser> = match &q.filter {
            Some(f) => Self::indexed_users(users, f).unwrap_or_else(all),
            None => all(),
        };
        let (users, total) = page(
            hits,
            q,
            |f, u| resource::user_matches(f, u, &self.groups_of_user(org, &u.id)),
            resource::user_sort_key,
        );
        UserPage { users, total }
    }

    fn groups_of_user(&self, org: &OrgId, user_id: &str) -> Vec<(String, String)> {
        let Some(groups) = self.groups.get(org) else {
            return Vec::new();
        };
        groups
            .of_user
            .get(user_id)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| {
                        groups
                            .by_id
                            .get(id)
                            .map(|(_, g)| (g.id.clone(), g.display_name.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn check_members(&self, g: &ScimGroup) -> Result<(), Conflict> {
        let users = self.users.get(&g.org);
        if g.members
            .iter()
            .all(|m| users.is_some_and(|u| u.by_id.contains_key(m)))
        {
            Ok(())
        } else {
            Err(Conflict::UnknownMember)
        }
    }

    fn create_group(&mut self, g: &ScimGroup) -> Result<(), Conflict> {
        let key = group_name_key(&g.display_name);
        if self
            .groups
            .get(&g.org)
            .is_some_and(|gs| gs.by_name.contains_key(&key) || gs.by_id.contains_key(&g.id))
        {
            return Err(Conflict::DisplayName);
        }
        self.check_members(g)?;
        let gs = self.groups.entry(g.org.clone()).or_default();
        let pos = gs.next;
        gs.next += 1;
        gs.order.insert(pos, g.id.clone());
        gs.by_name.insert(key, g.id.clone());
        for m in &g.members {
            gs.of_user
                .entry(m.clone())
                .or_default()
                .insert(g.id.clone());
        }
        gs.by_id.insert(g.id.clone(), (pos, g.clone()));
        Ok(())
    }

    fn update_group(&mut self, g: &ScimGroup, expected: u64) -> Result<(), Conflict> {
        let Some((_, current)) = self.groups.get(&g.org).and_then(|gs| gs.by_id.get(&g.id)) else {
            return Err(Conflict::NotFound);
        };
        if current.version != expected {
            return Err(Conflict::Version {
                current: current.version,
            });
        }
        let key = group_name_key(&g.display_name);
        if self
            .groups
            .get(&g.org)
            .and_then(|gs| gs.by_name.get(&key))
            .is_some_and(|id| id != &g.id)
        {
            return Err(Conflict::DisplayName);
        }
        self.check_members(g)?;
        let gs = self.groups.entry(g.org.clone()).or_default();
        let Some((pos, old)) = gs.by_id.get(&g.id).cloned() else {
            return Err(Conflict::NotFound);
        };
        gs.by_name.remove(&group_name_key(&old.display_name));
        gs.by_name.insert(key, g.id.clone());
        for m in &old.members {
            if let Some(set) = gs.of_user.get_mut(m) {
                set.remove(&g.id);
            }
        }
        for m in &g.members {
            gs.of_user
                .entry(m.clone())
                .or_default()
                .insert(g.id.clone());
        }
        let mut stored = g.clone();
        stored.created = old.created;
        stored.version = expected + 1;
        gs.by_id.insert(g.id.clone(), (pos, stored));
        Ok(())
    }

    fn delete_group(&mut self, org: &OrgId, id: &str) -> bool {
        let Some(gs) = self.groups.get_mut(org) else {
            return false;
        };
        let Some((pos, g)) = gs.by_id.remove(id) else {
            return false;
        };
        gs.order.remove(&pos);
        gs.by_name.remove(&group_name_key(&g.display_name));
        for m in &g.members {
            if let Some(set) = gs.of_user.get_mut(m) {
                set.remove(id);
            }
        }
        true
    }

    fn query_groups(&self, org: &OrgId, q: &Query) -> GroupPage {
        let Some(gs) = self.groups.get(org) else {
            return GroupPage {
                groups: Vec::new(),
                total: 0,
            };
        };
        let indexed = |f: &Filter| match f {
            Filter::Compare(p, CompareOp::Eq, CompValue::Str(v)) if p.is("displayName") => Some(
                gs.by_name
                    .get(&group_name_key(v))
                    .and_then(|id| gs.by_id.get(id))
                    .map(|(_, g)| g)
                    .into_iter()
                    .collect::<Vec<_>>(),
            ),
            Filter::Compare(p, CompareOp::Eq, CompValue::Str(v)) if p.is("id") => {
                Some(gs.by_id.get(v).map(|(_, g)| g).into_iter().collect())
            }
            _ => None,
        };
        let hits: Vec<&ScimGroup> = match q.filter.as_ref().and_then(indexed) {
            Some(c) => c,
            None => gs
                .order
                .values()
                .filter_map(|id| gs.by_id.get(id).map(|(_, g)| g))
                .collect(),
        };
        let (groups, total) = page(hits, q, resource::group_matches, resource::group_sort_key);
        GroupPage { groups, total }
    }

    fn list_users(&self, org: &OrgId, start: usize, count: usize) -> UserPage {
        let Some(users) = self.users.get(org) else {
            return UserPage {
                users: Vec::new(),
                total: 0,
            };
        };
        let total = users.by_id.len();
        let mut out = Vec::new();
        if count > 0 && start < total {
            if let Some(first) = users.present.select(start) {
                for (_, id) in users.order.range(first..).take(count) {
                    if let Some((_, u)) = users.by_id.get(id) {
                        out.push(u.clone());
                    }
                }
            }
        }
        UserPage { users: out, total }
    }
}

type Res<T> = Result<T, MemoryStoreError>;

impl Storage for MemoryStore {
    type Error = MemoryStoreError;
}

impl OrgSettings for MemoryStore {
    fn organization(&self, org: &OrgId) -> impl Future<Output = Res<Option<Organization>>> + Send {
        ready(Ok(self.read().orgs.get(org).cloned()))
    }

    fn put_organization(&self, org: &Organization) -> impl Future<Output = Res<()>> + Send {
        self.write().orgs.insert(org.id.clone(), org.clone());
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
            .account_by_email
            .get(key)
            .and_then(|id| s.accounts.get(id))
            .cloned()))
    }

    fn membership(
        &self,
        org: &OrgId,
        account: &AccountId,
    ) -> impl Future<Output = Res<Option<Membership>>> + Send {
        ready(Ok(self
            .read()
            .memberships
            .get(&(org.clone(), account.clone()))
            .copied()))
    }

    fn create_account(
        &self,
        account: &Account,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        let mut s = self.write();
        let key = email_key(&account.email);
        let r = if s.account_by_email.contains_key(&key) || s.accounts.contains_key(&account.id) {
            Err(Conflict::Email)
        } else {
            s.account_by_email.insert(key, account.id.clone());
            s.accounts.insert(account.id.clone(), account.clone());
            Ok(())
        };
        ready(Ok(r))
    }

    fn account(&self, id: &AccountId) -> impl Future<Output = Res<Option<Account>>> + Send {
        ready(Ok(self.read().accounts.get(id).cloned()))
    }

    fn put_membership(
        &self,
        org: &OrgId,
        account: &AccountId,
        membership: &Membership,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        let mut s = self.write();
        let r = if s.accounts.contains_key(account) {
            s.memberships
                .insert((org.clone(), account.clone()), *membership);
            s.account_orgs
                .entry(account.clone())
                .or_default()
                .insert(org.clone());
            Ok(())
        } else {
            Err(Conflict::NotFound)
        };
        ready(Ok(r))
    }
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
        ready(Ok(s
            .users
            .get(org)
            .and_then(|u| u.by_id.get(id))
            .map(|(_, r)| r.clone())))
    }

    fn user_by_user_name(
        &self,
        org: &OrgId,
        key: &UserNameKey,
    ) -> impl Future<Output = Res<Option<ScimUser>>> + Send {
        let s = self.read();
        let r = s
            .users
            .get(org)
            .and_then(|u| u.by_key.get(key).and_then(|id| u.by_id.get(id)))
            .map(|(_, r)| r.clone());
        ready(Ok(r))
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
    ) -> impl Future<Output = Res<bool>> + Send {
        ready(Ok(self.write().delete_user(
            org,
            id,
            delete_account_if_orphan,
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

    fn query_users(
        &self,
        org: &OrgId,
        query: &Query,
    ) -> impl Future<Output = Res<UserPage>> + Send {
        ready(Ok(self.read().query_users(org, query)))
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
        let s = self.read();
        ready(Ok(s
            .groups
            .get(org)
            .and_then(|g| g.by_id.get(id))
            .map(|(_, g)| g.clone())))
    }

    fn update_group(
        &self,
        group: &ScimGroup,
        expected_version: u64,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        ready(Ok(self.write().update_group(group, expected_version)))
    }

    fn delete_group(&self, org: &OrgId, id: &str) -> impl Future<Output = Res<bool>> + Send {
        ready(Ok(self.write().delete_group(org, id)))
    }

    fn query_groups(
        &self,
        org: &OrgId,
        query: &Query,
    ) -> impl Future<Output = Res<GroupPage>> + Send {
        ready(Ok(self.read().query_groups(org, query)))
    }
}

/// The page `q` asks for from candidate resources (a superset of the matches, in creation
/// order): the filter keeps the matches, the sort orders them, and the total counts them all.
fn page<T: Clone>(
    mut hits: Vec<&T>,
    q: &Query,
    matches: impl Fn(&Filter, &T) -> bool,
    sort_key: impl Fn(&T, &resource::AttrPath) -> Option<resource::SortKey>,
) -> (Vec<T>, usize) {
    if let Some(f) = &q.filter {
        hits.retain(|r| matches(f, r));
    }
    if let Some(sort) = &q.sort {
        hits = resource::sort_by_key(hits, sort.descending, |r| sort_key(r, &sort.by));
    }
    let total = hits.len();
    let out = hits
        .into_iter()
        .skip(q.start)
        .take(q.count)
        .cloned()
        .collect();
    (out, total)
}

#[cfg(test)]
mod tests {
    use super::Fenwick;

    #[test]
    fn fenwick_select_matches_a_scan() {
        let mut f = Fenwick::default();
        let mut flags: Vec<bool> = Vec::new();
        for i in 0..1000usize {
            f.push(1);
            flags.push(true);
            let victim = (i * 7919) % flags.len();
            if i % 3 == 0 && flags[victim] {
                f.clear(victim);
                flags[victim] = false;
            }
            let set: Vec<usize> = flags
                .iter()
                .enumerate()
                .filter(|(_, &b)| b)
                .map(|(i, _)| i)
                .collect();
            for (k, &pos) in set.iter().enumerate() {
                assert_eq!(f.select(k), Some(pos), "k={k} after {i}");
            }
            assert_eq!(f.select(set.len()), None);
            assert_eq!(f.prefix(flags.len()) as usize, set.len());
        }
    }
}
