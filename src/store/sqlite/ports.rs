//! The small ports on SQLite: organization settings, domain claims, tokens, the replay cache.

use std::future::Future;

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::codec::{split_time, token_from_row, TOKEN_COLUMNS};
use super::{db, SqliteError, SqliteStore};
use crate::resource::OrgId;
use crate::saml::{AuthnRequestStore, ReplayCache, ReplayKey, RequestId};
use crate::store::sql_rows::ceil_secs;
use crate::store::{Conflict, OrgSettings, Organization, ScimTokens, Storage, TokenRecord};
use crate::time::Timestamp;

impl Storage for SqliteStore {
    type Error = SqliteError;
}

impl OrgSettings for SqliteStore {
    fn organization(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<Option<Organization>, SqliteError>> + Send {
        let org = org.clone();
        self.workers.read(move |c| {
            let row = c
                .query_row(
                    "SELECT delete_on_deactivate, require_claimed_domain, settings, version FROM orgs WHERE id = ?1",
                    [org.as_str()],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                        ))
                    },
                )
                .optional()
                .map_err(db)?;
            row.map(|(del, req, settings, version)| {
                let mut o = Organization::new(org)
                    .with_delete_on_deactivate(del != 0)
                    .with_require_claimed_domain(req != 0);
                crate::store::org_codec::decode_into(&settings, &mut o)
                    .map_err(SqliteError::Corrupt)?;
                o.version = u64::try_from(version)
                    .map_err(|_| SqliteError::Corrupt("negative organization version".into()))?;
                Ok(o)
            })
            .transpose()
        })
    }

    fn put_organization(
        &self,
        org: &Organization,
    ) -> impl Future<Output = Result<(), SqliteError>> + Send {
        let org = org.clone();
        let settings = crate::store::org_codec::encode(&org);
        self.workers.write(move |c| {
            c.execute(
                "INSERT INTO orgs (id, delete_on_deactivate, require_claimed_domain, settings, version) VALUES (?1, ?2, ?3, ?4, 1) \
                 ON CONFLICT (id) DO UPDATE SET delete_on_deactivate = excluded.delete_on_deactivate, \
                 require_claimed_domain = excluded.require_claimed_domain, settings = excluded.settings, \
                 version = orgs.version + 1",
                params![
                    org.id.as_str(),
                    i64::from(org.delete_on_deactivate),
                    i64::from(org.require_claimed_domain),
                    settings
                ],
            )
            .map(|_| ())
            .map_err(db)
        })
    }

    fn update_organization(
        &self,
        org: &Organization,
        expected_version: u64,
    ) -> impl Future<Output = Result<Result<(), Conflict>, SqliteError>> + Send {
        let org = org.clone();
        let settings = crate::store::org_codec::encode(&org);
        self.workers.write(move |c| {
            let expected = i64::try_from(expected_version).unwrap_or(i64::MAX);
            let n = c
                .execute(
                    "UPDATE orgs SET delete_on_deactivate = ?2, require_claimed_domain = ?3, settings = ?4, \
                     version = version + 1 WHERE id = ?1 AND version = ?5",
                    params![
                        org.id.as_str(),
                        i64::from(org.delete_on_deactivate),
                        i64::from(org.require_claimed_domain),
                        settings,
                        expected
                    ],
                )
                .map_err(db)?;
            if n == 1 {
                return Ok(Ok(()));
            }
            let current: Option<i64> = c
                .query_row("SELECT version FROM orgs WHERE id = ?1", [org.id.as_str()], |r| r.get(0))
                .optional()
                .map_err(db)?;
            Ok(Err(match current {
                None => Conflict::NotFound,
                Some(v) => Conflict::Version {
                    current: u64::try_from(v).unwrap_or(0),
                },
            }))
        })
    }
}

impl ScimTokens for SqliteStore {
    fn insert_token(
        &self,
        token: &TokenRecord,
    ) -> impl Future<Output = Result<(), SqliteError>> + Send {
        let t = token.clone();
        self.workers.write(move |c| {
            let (s, n) = split_time(t.created);
            c.execute(
                "INSERT INTO tokens (id, org, secret_hash, label, created_s, created_n, revoked) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    t.id,
                    t.org.as_str(),
                    &t.secret_hash[..],
                    t.label,
                    s,
                    n,
                    i64::from(t.revoked)
                ],
            )
            .map(|_| ())
            .map_err(db)
        })
    }

    fn token(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<TokenRecord>, SqliteError>> + Send {
        let id = id.to_owned();
        self.workers.read(move |c| {
            let mut st = c
                .prepare_cached(&format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1"))
                .map_err(db)?;
            let mut rows = st.query([id]).map_err(db)?;
            match rows.next().map_err(db)? {
                Some(r) => token_from_row(r).map(Some),
                None => Ok(None),
            }
        })
    }

    fn tokens(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<Vec<TokenRecord>, SqliteError>> + Send {
        let org = org.clone();
        self.workers.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM tokens WHERE org = ?1 ORDER BY seq"
                ))
                .map_err(db)?;
            let mut rows = st.query([org.as_str()]).map_err(db)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(db)? {
                out.push(token_from_row(r)?);
            }
            Ok(out)
        })
    }

    fn revoke_token(
        &self,
        org: &OrgId,
        id: &str,
    ) -> impl Future<Output = Result<bool, SqliteError>> + Send {
        let (org, id) = (org.clone(), id.to_owned());
        self.workers.write(move |c| {
            c.execute(
                "UPDATE tokens SET revoked = 1 WHERE id = ?1 AND org = ?2",
                params![id, org.as_str()],
            )
            .map(|n| n == 1)
            .map_err(db)
        })
    }
}

/// Expired entries dropped per call, at most: purging costs bounded work per call.
const PURGE_BATCH: i64 = 64;

/// Drops at most [`PURGE_BATCH`] entries of `table` (`replay` or `requests`) expired at `now`.
fn purge_expired(tx: &rusqlite::Transaction<'_>, table: &str, now: i64) -> Result<(), SqliteError> {
    tx.execute(
        &format!(
            "DELETE FROM {table} WHERE key IN \
             (SELECT key FROM {table} WHERE expires_s <= ?1 ORDER BY expires_s LIMIT ?2)"
        ),
        params![now, PURGE_BATCH],
    )
    .map(|_| ())
    .map_err(db)
}

impl ReplayCache for SqliteStore {
    type Error = SqliteError;

    fn consume_once(
        &self,
        key: &ReplayKey,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, SqliteError>> + Send {
        let k = key.storage_key();
        let (exp, now) = (ceil_secs(expires_at), now.unix_seconds());
        self.workers.write(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            purge_expired(&tx, "replay", now)?;
            // Inserts a new key, or takes over an expired one; an unexpired key stays as it is.
            let n = tx
                .execute(
                    "INSERT INTO replay (key, expires_s) VALUES (?1, ?2) ON CONFLICT (key) \
                     DO UPDATE SET expires_s = excluded.expires_s WHERE replay.expires_s <= ?3",
                    params![k, exp, now],
                )
                .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(n == 1)
        })
    }
}

impl AuthnRequestStore for SqliteStore {
    type Error = SqliteError;

    fn insert_request(
        &self,
        id: &RequestId,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), SqliteError>> + Send {
        let k = id.storage_key();
        let (exp, now) = (ceil_secs(expires_at), now.unix_seconds());
        self.workers.write(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            purge_expired(&tx, "requests", now)?;
            tx.execute(
                "INSERT INTO requests (key, expires_s) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET expires_s = excluded.expires_s",
                params![k, exp],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
    }

    fn consume_request(
        &self,
        id: &RequestId,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, SqliteError>> + Send {
        let k = id.storage_key();
        let now = now.unix_seconds();
        // One statement: the row goes, or was not there (or expired); one consumer sees it go.
        self.workers.write(move |c| {
            c.execute(
                "DELETE FROM requests WHERE key = ?1 AND expires_s > ?2",
                params![k, now],
            )
            .map(|n| n == 1)
            .map_err(db)
        })
    }
}
