//! The small ports on PostgreSQL: organization settings, domain claims, tokens, the replay cache.

use tokio_postgres::Row;

use super::{db, PostgresError, PostgresStore};
use crate::resource::OrgId;
use crate::saml::{AuthnRequestStore, ReplayCache, ReplayKey, RequestId};
use crate::store::sql_rows::{ceil_secs, join_time, split_time};
use crate::store::{Conflict, OrgSettings, Organization, ScimTokens, Storage, TokenRecord};
use crate::time::Timestamp;

type Res<T> = Result<T, PostgresError>;

impl Storage for PostgresStore {
    type Error = PostgresError;
}

pub(super) fn corrupt(e: impl std::fmt::Display) -> PostgresError {
    PostgresError::Corrupt(e.to_string())
}

pub(super) fn org_id(s: String) -> Res<OrgId> {
    OrgId::new(s).map_err(corrupt)
}

impl OrgSettings for PostgresStore {
    async fn organization(&self, org: &OrgId) -> Res<Option<Organization>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT delete_on_deactivate, require_claimed_domain, settings, version FROM sso_scim_orgs WHERE id = $1",
                &[&org.as_str()],
            )
            .await
            .map_err(db)?;
        row.map(|r| {
            let mut o = Organization::new(org.clone())
                .with_delete_on_deactivate(r.get(0))
                .with_require_claimed_domain(r.get(1));
            crate::store::org_codec::decode_into(r.get(2), &mut o).map_err(corrupt)?;
            o.version = u64::try_from(r.get::<_, i64>(3)).map_err(corrupt)?;
            Ok(o)
        })
        .transpose()
    }

    async fn put_organization(&self, org: &Organization) -> Res<()> {
        let c = self.client().await?;
        let settings = crate::store::org_codec::encode(org);
        c.execute(
            "INSERT INTO sso_scim_orgs (id, delete_on_deactivate, require_claimed_domain, settings, version) \
             VALUES ($1, $2, $3, $4, 1) ON CONFLICT (id) DO UPDATE SET \
             delete_on_deactivate = EXCLUDED.delete_on_deactivate, \
             require_claimed_domain = EXCLUDED.require_claimed_domain, \
             settings = EXCLUDED.settings, version = sso_scim_orgs.version + 1",
            &[
                &org.id.as_str(),
                &org.delete_on_deactivate,
                &org.require_claimed_domain,
                &settings,
            ],
        )
        .await
        .map(|_| ())
        .map_err(db)
    }

    async fn update_organization(
        &self,
        org: &Organization,
        expected_version: u64,
    ) -> Res<Result<(), Conflict>> {
        let c = self.client().await?;
        let settings = crate::store::org_codec::encode(org);
        let expected = i64::try_from(expected_version).unwrap_or(i64::MAX);
        // One statement: the row's version decides, on every replica.
        let n = c
            .execute(
                "UPDATE sso_scim_orgs SET delete_on_deactivate = $2, require_claimed_domain = $3, \
                 settings = $4, version = version + 1 WHERE id = $1 AND version = $5",
                &[
                    &org.id.as_str(),
                    &org.delete_on_deactivate,
                    &org.require_claimed_domain,
                    &settings,
                    &expected,
                ],
            )
            .await
            .map_err(db)?;
        if n == 1 {
            return Ok(Ok(()));
        }
        let current = c
            .query_opt(
                "SELECT version FROM sso_scim_orgs WHERE id = $1",
                &[&org.id.as_str()],
            )
            .await
            .map_err(db)?
            .map(|r| r.get::<_, i64>(0));
        Ok(Err(match current {
            None => Conflict::NotFound,
            Some(v) => Conflict::Version {
                current: u64::try_from(v).unwrap_or(0),
            },
        }))
    }
}

const TOKEN_COLUMNS: &str = "id, org, secret_hash, label, created_s, created_n, revoked";

fn token_from_row(r: &Row) -> Res<TokenRecord> {
    let hash: Vec<u8> = r.get(2);
    Ok(TokenRecord {
        id: r.get(0),
        org: org_id(r.get(1))?,
        secret_hash: hash
            .try_into()
            .map_err(|_| corrupt("a token hash is not 32 bytes"))?,
        label: r.get(3),
        created: join_time(r.get(4), r.get(5)),
        revoked: r.get(6),
    })
}

impl ScimTokens for PostgresStore {
    async fn insert_token(&self, token: &TokenRecord) -> Res<()> {
        let c = self.client().await?;
        let (s, n) = split_time(token.created);
        c.execute(
            "INSERT INTO sso_scim_tokens (id, org, secret_hash, label, created_s, created_n, revoked) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &token.id,
                &token.org.as_str(),
                &&token.secret_hash[..],
                &token.label,
                &s,
                &n,
                &token.revoked,
            ],
        )
        .await
        .map(|_| ())
        .map_err(db)
    }

    async fn token(&self, id: &str) -> Res<Option<TokenRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {TOKEN_COLUMNS} FROM sso_scim_tokens WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(db)?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn tokens(&self, org: &OrgId) -> Res<Vec<TokenRecord>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {TOKEN_COLUMNS} FROM sso_scim_tokens WHERE org = $1 ORDER BY seq"),
                &[&org.as_str()],
            )
            .await
            .map_err(db)?;
        rows.iter().map(token_from_row).collect()
    }

    async fn revoke_token(&self, org: &OrgId, id: &str) -> Res<bool> {
        let c = self.client().await?;
        c.execute(
            "UPDATE sso_scim_tokens SET revoked = TRUE WHERE id = $1 AND org = $2",
            &[&id, &org.as_str()],
        )
        .await
        .map(|n| n == 1)
        .map_err(db)
    }
}

/// Expired replay entries dropped per consume, at most: purging costs bounded work per call.
const PURGE_BATCH: i64 = 64;

impl ReplayCache for PostgresStore {
    type Error = PostgresError;

    async fn consume_once(
        &self,
        key: &ReplayKey,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Res<bool> {
        let k = key.storage_key();
        let (exp, now) = (ceil_secs(expires_at), now.unix_seconds());
        let c = self.client().await?;
        c.execute(
            "DELETE FROM sso_scim_replay WHERE key IN (SELECT key FROM sso_scim_replay \
             WHERE expires_s <= $1 ORDER BY expires_s LIMIT $2 FOR UPDATE SKIP LOCKED)",
            &[&now, &PURGE_BATCH],
        )
        .await
        .map_err(db)?;
        // One statement: a new key is inserted, an expired one taken over, a live one kept;
        // the primary key makes concurrent consumes of one key have one winner.
        let n = c
            .execute(
                "INSERT INTO sso_scim_replay (key, expires_s) VALUES ($1, $2) ON CONFLICT (key) \
                 DO UPDATE SET expires_s = EXCLUDED.expires_s WHERE sso_scim_replay.expires_s <= $3",
                &[&k, &exp, &now],
            )
            .await
            .map_err(db)?;
        Ok(n == 1)
    }
}

impl AuthnRequestStore for PostgresStore {
    type Error = PostgresError;

    async fn insert_request(
        &self,
        id: &RequestId,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Res<()> {
        let k = id.storage_key();
        let (exp, now) = (ceil_secs(expires_at), now.unix_seconds());
        let c = self.client().await?;
        c.execute(
            "DELETE FROM sso_scim_requests WHERE key IN (SELECT key FROM sso_scim_requests \
             WHERE expires_s <= $1 ORDER BY expires_s LIMIT $2 FOR UPDATE SKIP LOCKED)",
            &[&now, &PURGE_BATCH],
        )
        .await
        .map_err(db)?;
        c.execute(
            "INSERT INTO sso_scim_requests (key, expires_s) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET expires_s = EXCLUDED.expires_s",
            &[&k, &exp],
        )
        .await
        .map(|_| ())
        .map_err(db)
    }

    async fn consume_request(&self, id: &RequestId, now: Timestamp) -> Res<bool> {
        let k = id.storage_key();
        let now = now.unix_seconds();
        let c = self.client().await?;
        // One statement: of concurrent consumers, one deletes the row.
        c.execute(
            "DELETE FROM sso_scim_requests WHERE key = $1 AND expires_s > $2",
            &[&k, &now],
        )
        .await
        .map(|n| n == 1)
        .map_err(db)
    }
}
