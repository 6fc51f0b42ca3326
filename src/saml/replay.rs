//! Replay protection: each assertion id logs in at most once.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::Mutex;

use crate::time::Timestamp;

/// Identifies an assertion for replay protection: the IdP issuer and the assertion's ID.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplayKey {
    issuer: String,
    assertion_id: String,
}

impl ReplayKey {
    pub(crate) fn new(issuer: &str, assertion_id: &str) -> ReplayKey {
        ReplayKey {
            issuer: issuer.to_owned(),
            assertion_id: assertion_id.to_owned(),
        }
    }

    /// The IdP issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The assertion ID.
    pub fn assertion_id(&self) -> &str {
        &self.assertion_id
    }

    /// A fixed-length (43 characters, URL-safe base64 of SHA-256) key for databases, so hosts do not
    /// need to store or index attacker-length strings.
    pub fn storage_key(&self) -> String {
        use base64::Engine;
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(self.issuer.as_bytes());
        ctx.update(&[0]);
        ctx.update(self.assertion_id.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ctx.finish())
    }
}

impl fmt::Display for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.issuer, self.assertion_id)
    }
}

/// Storage that remembers consumed assertion ids until they expire.
///
/// # Contract
/// - [`consume_once`](ReplayCache::consume_once) is **atomic**: when many callers (threads, tasks,
///   or host replicas sharing one store) consume the same key concurrently, exactly one gets
///   `Ok(true)`; every other gets `Ok(false)` until `expires_at` has passed.
/// - An entry may be forgotten only once `now >= expires_at`. Losing an entry earlier (eviction,
///   restart of a non-durable store shared by replicas) re-opens a replay window: a store must
///   rather return an error than forget.
/// - On error the login is refused (fail closed).
///
/// [`MemoryReplayCache`] implements it for one process; the storage layer provides shared ones.
pub trait ReplayCache: Sync {
    /// The store's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Records `key` until `expires_at` if it is not already recorded (and unexpired at `now`).
    /// Returns `Ok(true)` when this call recorded it (first use), `Ok(false)` when it was already
    /// there (a replay).
    fn consume_once(
        &self,
        key: &ReplayKey,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;
}

/// An in-process replay cache: a map from key to expiry plus an expiry index, so expired entries
/// are dropped in O(log n) each as new ones arrive.
///
/// Bounded: when `capacity` unexpired entries are held, new consumes fail with
/// [`MemoryReplayError::Full`] (refusing logins rather than forgetting ids). Only assertions that
/// passed signature verification reach the cache, so filling it requires the IdP's signatures.
///
/// Only suitable when a single process validates responses; several replicas need a shared store.
#[derive(Debug)]
pub struct MemoryReplayCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<ReplayKey, Timestamp>,
    by_expiry: BTreeSet<(Timestamp, ReplayKey)>,
}

/// Errors of [`MemoryReplayCache`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemoryReplayError {
    /// The cache holds `capacity` unexpired entries.
    #[error("the replay cache is full ({0} unexpired entries)")]
    Full(usize),
}

impl Default for MemoryReplayCache {
    fn default() -> Self {
        MemoryReplayCache::with_capacity(1_000_000)
    }
}

impl MemoryReplayCache {
    /// A cache holding at most 1 000 000 unexpired entries.
    pub fn new() -> MemoryReplayCache {
        MemoryReplayCache::default()
    }

    /// A cache holding at most `capacity` unexpired entries.
    pub fn with_capacity(capacity: usize) -> MemoryReplayCache {
        MemoryReplayCache {
            inner: Mutex::new(Inner::default()),
            capacity,
        }
    }

    /// Number of entries held (expired ones are removed lazily).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no entries are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // No operation below can panic half-way, so a poisoned lock still holds consistent data.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The synchronous operation behind [`ReplayCache::consume_once`].
    pub fn consume_once_now(
        &self,
        key: &ReplayKey,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool, MemoryReplayError> {
        let mut g = self.lock();
        while let Some(first) = g.by_expiry.first() {
            if first.0 > now {
                break;
            }
            if let Some((_, k)) = g.by_expiry.pop_first() {
                g.entries.remove(&k);
            }
        }
        if let Some(&exp) = g.entries.get(key) {
            if exp > now {
                return Ok(false);
            }
        }
        if g.entries.len() >= self.capacity {
            return Err(MemoryReplayError::Full(self.capacity));
        }
        g.entries.insert(key.clone(), expires_at);
        g.by_expiry.insert((expires_at, key.clone()));
        Ok(true)
    }
}

impl ReplayCache for MemoryReplayCache {
    type Error = MemoryReplayError;

    fn consume_once(
        &self,
        key: &ReplayKey,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        std::future::ready(self.consume_once_now(key, expires_at, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn consumes_once_until_expiry() {
        let c = MemoryReplayCache::with_capacity(2);
        let t0 = Timestamp::from_unix_seconds(1_000);
        let exp = t0.saturating_add(Duration::from_secs(60));
        let k = ReplayKey::new("idp", "a1");
        assert_eq!(c.consume_once_now(&k, exp, t0), Ok(true));
        assert_eq!(c.consume_once_now(&k, exp, t0), Ok(false));
        assert_eq!(
            c.consume_once_now(&k, exp, exp.saturating_sub(Duration::from_nanos(1))),
            Ok(false)
        );
        // Other issuer, same id: a different key.
        assert_eq!(
            c.consume_once_now(&ReplayKey::new("idp2", "a1"), exp, t0),
            Ok(true)
        );
        // Full: refuse rather than forget.
        assert_eq!(
            c.consume_once_now(&ReplayKey::new("idp", "a2"), exp, t0),
            Err(MemoryReplayError::Full(2))
        );
        // After expiry entries are dropped and space comes back.
        assert_eq!(
            c.consume_once_now(
                &ReplayKey::new("idp", "a2"),
                exp.saturating_add(Duration::from_secs(60)),
                exp
            ),
            Ok(true)
        );
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn concurrent_consumers_one_winner() {
        let c = std::sync::Arc::new(MemoryReplayCache::new());
        let t0 = Timestamp::from_unix_seconds(1_000);
        let exp = t0.saturating_add(Duration::from_secs(60));
        let wins: usize = (0..16)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || {
                    c.consume_once_now(&ReplayKey::new("i", "same"), exp, t0) == Ok(true)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| usize::from(h.join().unwrap_or(false)))
            .sum();
        assert_eq!(wins, 1);
    }

    #[test]
    fn storage_key_is_fixed_length_and_separates_fields() {
        let a = ReplayKey::new("ab", "c").storage_key();
        let b = ReplayKey::new("a", "bc").storage_key();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
    }
}
