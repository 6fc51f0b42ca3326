//! A user as `MemoryStore` keeps it: every string (the account's id included) in one
//! allocation, the organization as the table it sits in: about half the footprint of a
//! `ScimUser` and its `Account` held as values.

use crate::resource::{AccountId, Email, Enterprise, Manager, OrgId, ScimUser};
use crate::time::Timestamp;

/// One stored user. Its strings are framed back to back in `text` (see [`PackedUser::pack`]);
/// the organization is the table it sits in; the account is also a number in the account table
/// (for the account index and the membership rules).
#[derive(Debug)]
pub(super) struct PackedUser {
    text: Box<[u8]>,
    /// Index of the linked account in the store's account table.
    pub account: usize,
    pub created: Timestamp,
    pub last_modified: Timestamp,
    pub version: u64,
    pub active: bool,
}

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    // LEB128: seven bits per byte, high bit set on every byte but the last.
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// `None` is a zero length; `Some(s)` is `s.len() + 1`.
fn put_opt(out: &mut Vec<u8>, s: &Option<String>) {
    match s {
        None => out.push(0),
        Some(s) => {
            put_len(out, s.len() + 1);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

/// Reads what [`PackedUser::pack`] wrote, in the same order. The bytes were written from
/// `&str`s by this module, so they are well framed UTF-8; a reader past the end yields empty
/// values rather than panicking.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn len(&mut self) -> usize {
        let mut n = 0usize;
        let mut shift = 0;
        while let Some(&b) = self.bytes.get(self.at) {
            self.at += 1;
            if shift < usize::BITS {
                n |= usize::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        n
    }

    fn bytes(&mut self, n: usize) -> &'a str {
        let end = self.at.saturating_add(n).min(self.bytes.len());
        let s = self.bytes.get(self.at..end).unwrap_or_default();
        self.at = end;
        std::str::from_utf8(s).unwrap_or_default()
    }

    fn str(&mut self) -> &'a str {
        let n = self.len();
        self.bytes(n)
    }

    fn opt(&mut self) -> Option<&'a str> {
        match self.len() {
            0 => None,
            n => Some(self.bytes(n - 1)),
        }
    }

    fn owned(&mut self) -> Option<String> {
        self.opt().map(str::to_owned)
    }

    fn flag(&mut self) -> bool {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b != 0
    }
}

impl PackedUser {
    /// The packed form of `u`, linked to account number `account`.
    pub fn pack(u: &ScimUser, account: usize) -> PackedUser {
        let mut out = Vec::with_capacity(
            16 + u.id.len()
                + u.user_name.len()
                + u.emails.iter().map(|e| e.value.len() + 8).sum::<usize>(),
        );
        put_str(&mut out, &u.id);
        put_str(&mut out, &u.user_name);
        put_opt(&mut out, &u.external_id);
        // The account's id too (it is also in the account table): a lookup then reads one record.
        put_str(&mut out, u.account.as_str());
        for s in [
            &u.given_name,
            &u.family_name,
            &u.formatted_name,
            &u.display_name,
            &u.locale,
        ] {
            put_opt(&mut out, s);
        }
        put_len(&mut out, u.emails.len());
        for e in &u.emails {
            put_str(&mut out, &e.value);
            put_opt(&mut out, &e.kind);
            out.push(u8::from(e.primary));
        }
        let x = &u.enterprise;
        for s in [
            &x.employee_number,
            &x.cost_center,
            &x.organization,
            &x.division,
            &x.department,
        ] {
            put_opt(&mut out, s);
        }
        match &x.manager {
            None => out.push(0),
            Some(m) => {
                out.push(1);
                put_opt(&mut out, &m.value);
                put_opt(&mut out, &m.display_name);
            }
        }
        PackedUser {
            text: out.into_boxed_slice(),
            account,
            created: u.created,
            last_modified: u.last_modified,
            version: u.version,
            active: u.active,
        }
    }

    fn reader(&self) -> Reader<'_> {
        Reader {
            bytes: &self.text,
            at: 0,
        }
    }

    /// The SCIM id.
    pub fn id(&self) -> &str {
        self.reader().str()
    }

    /// The userName.
    pub fn user_name(&self) -> &str {
        let mut r = self.reader();
        r.str();
        r.str()
    }

    /// The externalId.
    pub fn external_id(&self) -> Option<&str> {
        let mut r = self.reader();
        r.str();
        r.str();
        r.opt()
    }

    /// The user, in `org` (`None` only if the record were not one this module wrote).
    pub fn unpack(&self, org: &OrgId) -> Option<ScimUser> {
        let mut r = self.reader();
        let id = r.str().to_owned();
        let user_name = r.str().to_owned();
        let external_id = r.owned();
        let account = AccountId::new(r.str()).ok()?;
        let given_name = r.owned();
        let family_name = r.owned();
        let formatted_name = r.owned();
        let display_name = r.owned();
        let locale = r.owned();
        let n = r.len();
        let mut emails = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            let value = r.str().to_owned();
            let kind = r.owned();
            let primary = r.flag();
            emails.push(Email {
                value,
                kind,
                primary,
            });
        }
        let enterprise = Enterprise {
            employee_number: r.owned(),
            cost_center: r.owned(),
            organization: r.owned(),
            division: r.owned(),
            department: r.owned(),
            manager: r.flag().then(|| Manager {
                value: r.owned(),
                display_name: r.owned(),
            }),
        };
        Some(ScimUser {
            id,
            org: org.clone(),
            account,
            user_name,
            external_id,
            given_name,
            family_name,
            formatted_name,
            display_name,
            locale,
            emails,
            active: self.active,
            enterprise,
            created: self.created,
            last_modified: self.last_modified,
            version: self.version,
        })
    }

    /// Records that the user's representation changed (its groups): a new version, modified
    /// at `at`.
    pub fn touch(&mut self, at: Timestamp) {
        self.version += 1;
        self.last_modified = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance::sample_user;

    #[test]
    fn packs_and_unpacks_every_field() {
        let org = OrgId::new("o").unwrap();
        let account = AccountId::new("a-1").unwrap();
        let mut u = sample_user(&org, "u-1", &account, "Ann@example.com", "ann@example.com");
        u.external_id = Some("00u1".into());
        u.formatted_name = Some("Ann Lee".into());
        u.display_name = Some("".into());
        u.locale = Some("é".repeat(100));
        u.emails.push(Email {
            value: "other@example.com".into(),
            kind: None,
            primary: false,
        });
        u.enterprise.department = Some("R&D".into());
        u.enterprise.manager = Some(Manager {
            value: Some("m-1".into()),
            display_name: None,
        });
        u.version = 7;
        let p = PackedUser::pack(&u, 3);
        assert_eq!(p.unpack(&org), Some(u.clone()));
        assert_eq!(
            (p.id(), p.user_name(), p.external_id()),
            ("u-1", "Ann@example.com", Some("00u1"))
        );
        assert_eq!(p.account, 3);
        u.enterprise.manager = None;
        u.external_id = None;
        let p = PackedUser::pack(&u, 0);
        assert_eq!(p.unpack(&org), Some(u.clone()));
        assert_eq!(p.external_id(), None);
    }
}
