//! Outstanding AuthnRequest ids: each SP-initiated login answers exactly one request, once.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::Mutex;

use crate::time::Timestamp;

/// The ID of an AuthnRequest this host sent, as the response's `InResponseTo` names it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(String);

impl RequestId {
    /// Wraps a request id (what the host put in the AuthnRequest's `ID`).
    pub fn new(id: impl Into<String>) -> RequestId {
        RequestId(id.into())
    }

    /// A fresh random id: `_` and 40 hex digits (160 random bits; an XML NCName, as SAML's
    /// `ID` must be). `None` if the system random generator fails.
    pub fn generate() -> Option<RequestId> {
        use ring::rand::SecureRandom;
        let mut b = [0u8; 20];
        ring::rand::SystemRandom::new().fill(&mut b).ok()?;
        let mut s = String::with_capacity(41);
        s.push('_');
        for x in b {
            s.push_str(&format!("{x:02x}"));
        }
        Some(RequestId(s))
    }

    /// The key under which request `id` of `scope` (an organization) is stored: the scope, a
    /// NUL, the id. [`RequestState::stored_in`](crate::RequestState::stored_in) consumes it.
    pub fn scoped(scope: &str, id: &str) -> RequestId {
        RequestId(format!("{scope}\u{0}{id}"))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fixed-length (43 characters, URL-safe base64 of SHA-256) key for databases, so a store
    /// never indexes an attacker-length string.
    pub fn storage_key(&self) -> String {
        use base64::Engine;
        let d = ring::digest::digest(&ring::digest::SHA256, self.0.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({:?})", self.0)
    }
}

/// Storage of the AuthnRequest ids a host has outstanding.
///
/// # Contract
/// - [`consume_request`](AuthnRequestStore::consume_request) is **atomic and at most once**: of
///   concurrent consumes of one id (threads, tasks, replicas sharing the store) exactly one gets
///   `Ok(true)`, and only while the id is stored and `now` is before its expiry.
/// - An id is never consumable after its expiry; expired ids are purged with bounded work per
///   call.
/// - On error the login is refused (fail closed).
pub trait AuthnRequestStore: Sync {
    /// The store's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Records `id` as outstanding until `expires_at` (and may purge ids expired at `now`).
    fn insert_request(
        &self,
        id: &RequestId,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Consumes `id`: `Ok(true)` when it was outstanding and unexpired at `now` (and is no more),
    /// `Ok(false)` otherwise.
    fn consume_request(
        &self,
        id: &RequestId,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;
}

/// Outstanding request ids in memory, for one process. Bounded: at most `capacity` unexpired
/// ids; inserting more fails with [`MemoryRequestError::Full`].
#[derive(Debug)]
pub struct MemoryAuthnRequests {
    inner: Mutex<Requests>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Requests {
    ids: HashMap<RequestId, Timestamp>,
    by_expiry: BTreeSet<(Timestamp, RequestId)>,
}

/// Errors of [`MemoryAuthnRequests`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemoryRequestError {
    /// `capacity` unexpired request ids are held.
    #[error("too many outstanding login requests ({0})")]
    Full(usize),
}

impl Default for MemoryAuthnRequests {
    fn default() -> Self {
        MemoryAuthnRequests::with_capacity(100_000)
    }
}

/// Expired ids dropped per call, at most.
const PURGE_BATCH: usize = 64;

impl MemoryAuthnRequests {
    /// At most 100 000 outstanding ids.
    pub fn new() -> MemoryAuthnRequests {
        MemoryAuthnRequests::default()
    }

    /// At most `capacity` outstanding ids.
    pub fn with_capacity(capacity: usize) -> MemoryAuthnRequests {
        MemoryAuthnRequests {
            inner: Mutex::new(Requests::default()),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Requests> {
        // Nothing below panics half-way: a poisoned lock still holds consistent data.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn purge(r: &mut Requests, now: Timestamp) {
        for _ in 0..PURGE_BATCH {
            match r.by_expiry.first() {
                Some((exp, _)) if *exp <= now => {
                    if let Some((_, id)) = r.by_expiry.pop_first() {
                        r.ids.remove(&id);
                    }
                }
                _ => break,
            }
        }
    }
}

impl AuthnRequestStore for MemoryAuthnRequests {
    type Error = MemoryRequestError;

    fn insert_request(
        &self,
        id: &RequestId,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), MemoryRequestError>> + Send {
        let mut r = self.lock();
        MemoryAuthnRequests::purge(&mut r, now);
        let result = if r.ids.len() >= self.capacity && !r.ids.contains_key(id) {
            Err(MemoryRequestError::Full(self.capacity))
        } else {
            if let Some(old) = r.ids.insert(id.clone(), expires_at) {
                r.by_expiry.remove(&(old, id.clone()));
            }
            r.by_expiry.insert((expires_at, id.clone()));
            Ok(())
        };
        std::future::ready(result)
    }

    fn consume_request(
        &self,
        id: &RequestId,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, MemoryRequestError>> + Send {
        let mut r = self.lock();
        MemoryAuthnRequests::purge(&mut r, now);
        let ok = match r.ids.remove(id) {
            Some(exp) => {
                r.by_expiry.remove(&(exp, id.clone()));
                exp > now
            }
            None => false,
        };
        std::future::ready(Ok(ok))
    }
}
