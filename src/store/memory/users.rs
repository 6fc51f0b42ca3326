//! One organization's users in `MemoryStore`: packed records in creation order, and the indexes
//! over them (id, userName key, account, externalId) that hold positions only.

use super::fenwick::Fenwick;
use super::index::{Index, Keys};
use super::packed::PackedUser;
use crate::resource::{user_name_key, UserNameKey};

/// The users of one organization. A user's position (its creation rank) never changes; a deleted
/// user leaves an empty slot, so positions stay valid for the indexes and for scans in progress.
#[derive(Debug, Default)]
pub(super) struct OrgUsers {
    slots: Vec<Option<PackedUser>>,
    present: Fenwick,
    live: usize,
    by_id: Index,
    by_key: Index,
    by_account: Index,
    by_external: Index,
}

/// Whether `user_name_key(user_name) == key`, without allocating for an ASCII name (the
/// common case; others take [`user_name_key`] itself).
fn has_key(user_name: &str, key: &UserNameKey) -> bool {
    if user_name.is_ascii() {
        let k = key.as_str().as_bytes();
        return user_name.len() == k.len()
            && user_name
                .bytes()
                .zip(k)
                .all(|(a, &b)| a.to_ascii_lowercase() == b);
    }
    user_name_key(user_name) == *key
}

fn key_hash(keys: &Keys, user_name: &str) -> u64 {
    keys.str(user_name_key(user_name).as_str())
}

impl OrgUsers {
    /// How many users there are.
    pub fn len(&self) -> usize {
        self.live
    }

    /// One past the last position ever used (scans run over `0..end()`).
    pub fn end(&self) -> usize {
        self.slots.len()
    }

    /// The user at `pos`, if it exists.
    pub fn at(&self, pos: usize) -> Option<&PackedUser> {
        self.slots.get(pos).and_then(Option::as_ref)
    }

    /// The user at `pos`, to change fields no index covers (version, modification time).
    pub fn at_mut(&mut self, pos: usize) -> Option<&mut PackedUser> {
        self.slots.get_mut(pos).and_then(Option::as_mut)
    }

    /// The position of user `id`.
    pub fn by_id(&self, keys: &Keys, id: &str) -> Option<usize> {
        self.by_id
            .get(keys.str(id), |p| self.at(p).is_some_and(|u| u.id() == id))
    }

    /// The position of the user whose userName has key `key`.
    pub fn by_key(&self, keys: &Keys, key: &UserNameKey) -> Option<usize> {
        self.by_key.get(keys.str(key.as_str()), |p| {
            self.at(p).is_some_and(|u| has_key(u.user_name(), key))
        })
    }

    /// The position of the user linked to account number `account`.
    pub fn by_account(&self, keys: &Keys, account: usize) -> Option<usize> {
        self.by_account.get(keys.pos(account), |p| {
            self.at(p).is_some_and(|u| u.account == account)
        })
    }

    /// The positions of the users with this externalId, in creation order.
    pub fn by_external(&self, keys: &Keys, external_id: &str) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .by_external
            .all(keys.str(external_id))
            .filter(|&p| {
                self.at(p)
                    .is_some_and(|u| u.external_id() == Some(external_id))
            })
            .collect();
        v.sort_unstable();
        v
    }

    /// The position of the `k`-th user in creation order (0-based).
    pub fn select(&self, k: usize) -> Option<usize> {
        self.present.select(k)
    }

    /// Adds a user at the next position (the caller checked uniqueness); returns the position.
    pub fn push(&mut self, keys: &Keys, user: PackedUser) -> usize {
        let pos = self.slots.len();
        self.slots.push(Some(user));
        self.present.push(1);
        self.live += 1;
        self.index(keys, pos);
        pos
    }

    /// Replaces the user at `pos` (same id and account; the caller checked uniqueness).
    pub fn replace(&mut self, keys: &Keys, pos: usize, user: PackedUser) {
        self.unindex(keys, pos);
        if let Some(slot) = self.slots.get_mut(pos) {
            *slot = Some(user);
        }
        self.index(keys, pos);
    }

    /// Removes the user at `pos`.
    pub fn remove(&mut self, keys: &Keys, pos: usize) -> Option<PackedUser> {
        self.at(pos)?;
        self.unindex(keys, pos);
        self.present.clear(pos);
        self.live -= 1;
        self.slots.get_mut(pos).and_then(Option::take)
    }

    fn index(&mut self, keys: &Keys, pos: usize) {
        let OrgUsers {
            slots,
            by_id,
            by_key,
            by_account,
            by_external,
            ..
        } = self;
        let rec = |p: usize| slots.get(p).and_then(Option::as_ref);
        let Some(u) = rec(pos) else { return };
        by_id.insert(keys.str(u.id()), pos, |p| {
            rec(p).map_or(0, |u| keys.str(u.id()))
        });
        by_key.insert(key_hash(keys, u.user_name()), pos, |p| {
            rec(p).map_or(0, |u| key_hash(keys, u.user_name()))
        });
        by_account.insert(keys.pos(u.account), pos, |p| {
            rec(p).map_or(0, |u| keys.pos(u.account))
        });
        if let Some(ext) = u.external_id() {
            by_external.insert(keys.str(ext), pos, |p| {
                rec(p).map_or(0, |u| keys.str(u.external_id().unwrap_or_default()))
            });
        }
    }

    fn unindex(&mut self, keys: &Keys, pos: usize) {
        let Some(u) = self.slots.get(pos).and_then(Option::as_ref) else {
            return;
        };
        let id = keys.str(u.id());
        let key = key_hash(keys, u.user_name());
        let account = keys.pos(u.account);
        let external = u.external_id().map(|e| keys.str(e));
        self.by_id.remove(id, pos);
        self.by_key.remove(key, pos);
        self.by_account.remove(account, pos);
        if let Some(ext) = external {
            self.by_external.remove(ext, pos);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::has_key;
    use crate::resource::user_name_key;

    #[test]
    fn comparing_keys_without_allocating_agrees_with_user_name_key() {
        for (name, other) in [
            ("Alice@Example.com", "alice@example.com"),
            ("ΟΔΟΣ@example.com", "οδος@example.com"),
            ("ΟΔΟΣ", "οδος"),
            ("İstanbul@example.com", "i̇stanbul@example.com"),
            ("ß@example.com", "ss@example.com"),
            ("", ""),
        ] {
            for candidate in [name, other] {
                assert_eq!(
                    has_key(name, &user_name_key(candidate)),
                    user_name_key(name) == user_name_key(candidate),
                    "{name} vs {candidate}"
                );
            }
            assert!(has_key(name, &user_name_key(name)), "{name}");
        }
    }
}
