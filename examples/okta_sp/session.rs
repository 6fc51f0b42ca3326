//! Sessions: random 256-bit ids in a cookie (HttpOnly, SameSite=Lax, Secure over https), kept in
//! memory on the server with a CSRF token each. Passwords (the fallback for owners and admins)
//! are PBKDF2-HMAC-SHA256 hashes in the same SQLite file (a real host uses its own, ideally
//! Argon2).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;

use ring::rand::{SecureRandom, SystemRandom};
use sso_scim::store::{AccountId, OrgRole};

/// What a logged-in browser is.
#[derive(Clone, Debug)]
pub struct Session {
    pub account: AccountId,
    pub email: String,
    pub role: OrgRole,
    pub csrf: String,
    pub method: &'static str,
    /// The verified facts of the SSO login, as rows to show.
    pub facts: Vec<(String, String)>,
}

#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    // The system generator failing is fatal for a web app: no session ids can be made.
    SystemRandom::new()
        .fill(&mut b)
        .unwrap_or_else(|_| std::process::abort());
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Sessions {
    pub fn create(&self, s: Session) -> String {
        let id = random_hex(32);
        self.lock().insert(id.clone(), s);
        id
    }

    pub fn get(&self, id: &str) -> Option<Session> {
        self.lock().get(id).cloned()
    }

    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Ends every session of `account` (SCIM deactivated or deleted it).
    pub fn end_account(&self, account: &AccountId) -> usize {
        let mut m = self.lock();
        let before = m.len();
        m.retain(|_, s| &s.account != account);
        before - m.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The session cookie for `id`.
pub fn cookie(id: &str, secure: bool) -> String {
    format!(
        "sid={id}; Path=/; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `sid` cookie of a request's `Cookie` header.
pub fn sid(cookie_header: Option<&str>) -> Option<String> {
    cookie_header?
        .split(';')
        .map(str::trim)
        .find_map(|c| c.strip_prefix("sid="))
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned)
}

/// Constant-time equality of two tokens.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

const ITERATIONS: u32 = 100_000;

/// PBKDF2 hash of `password` with `salt`.
pub fn hash_password(password: &str, salt: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let it = NonZeroU32::new(ITERATIONS).unwrap_or(NonZeroU32::MIN);
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        it,
        salt,
        password.as_bytes(),
        &mut out,
    );
    out
}

/// Does `password` match?
pub fn check_password(password: &str, salt: &[u8], hash: &[u8]) -> bool {
    let it = NonZeroU32::new(ITERATIONS).unwrap_or(NonZeroU32::MIN);
    ring::pbkdf2::verify(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        it,
        salt,
        password.as_bytes(),
        hash,
    )
    .is_ok()
}
