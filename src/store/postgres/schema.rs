//! The schema, as versioned migrations applied under an advisory lock.

use tokio_postgres::Client;

use super::{db, PostgresError};

const MIGRATIONS: &[&str] = &[
    // 1: every port of the crate.
    "
    CREATE TABLE sso_scim_orgs (
        id TEXT PRIMARY KEY,
        delete_on_deactivate BOOLEAN NOT NULL,
        require_claimed_domain BOOLEAN NOT NULL
    );
    CREATE TABLE sso_scim_domains (
        domain TEXT CONSTRAINT sso_scim_domains_pkey PRIMARY KEY,
        org TEXT NOT NULL
    );
    CREATE INDEX sso_scim_domains_by_org ON sso_scim_domains (org, domain);
    CREATE TABLE sso_scim_tokens (
        seq BIGSERIAL,
        id TEXT PRIMARY KEY,
        org TEXT NOT NULL,
        secret_hash BYTEA NOT NULL,
        label TEXT NOT NULL,
        created_s BIGINT NOT NULL,
        created_n BIGINT NOT NULL,
        revoked BOOLEAN NOT NULL
    );
    CREATE INDEX sso_scim_tokens_by_org ON sso_scim_tokens (org, seq);
    CREATE TABLE sso_scim_accounts (
        id TEXT CONSTRAINT sso_scim_accounts_pkey PRIMARY KEY,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL CONSTRAINT sso_scim_accounts_email_key UNIQUE,
        provisioned_by TEXT
    );
    CREATE TABLE sso_scim_memberships (
        org TEXT NOT NULL,
        account TEXT NOT NULL,
        role SMALLINT NOT NULL,
        active BOOLEAN NOT NULL,
        PRIMARY KEY (org, account)
    );
    CREATE INDEX sso_scim_memberships_by_account ON sso_scim_memberships (account);
    CREATE TABLE sso_scim_users (
        seq BIGSERIAL,
        org TEXT NOT NULL,
        id TEXT NOT NULL,
        account TEXT NOT NULL,
        user_name TEXT NOT NULL,
        user_name_key TEXT NOT NULL,
        external_id TEXT,
        active BOOLEAN NOT NULL,
        created_s BIGINT NOT NULL,
        created_n BIGINT NOT NULL,
        modified_s BIGINT NOT NULL,
        modified_n BIGINT NOT NULL,
        version BIGINT NOT NULL,
        data TEXT NOT NULL,
        CONSTRAINT sso_scim_users_pkey PRIMARY KEY (org, id),
        CONSTRAINT sso_scim_users_name_key UNIQUE (org, user_name_key),
        CONSTRAINT sso_scim_users_account_key UNIQUE (org, account)
    );
    CREATE INDEX sso_scim_users_by_seq ON sso_scim_users (org, seq);
    CREATE INDEX sso_scim_users_by_external_id ON sso_scim_users (org, external_id, seq);
    CREATE TABLE sso_scim_user_emails (
        org TEXT NOT NULL,
        user_id TEXT NOT NULL,
        email_key TEXT NOT NULL,
        PRIMARY KEY (org, user_id, email_key)
    );
    CREATE INDEX sso_scim_user_emails_by_email ON sso_scim_user_emails (org, email_key);
    CREATE TABLE sso_scim_user_counts (
        org TEXT PRIMARY KEY,
        n BIGINT NOT NULL
    );
    CREATE TABLE sso_scim_groups (
        seq BIGSERIAL,
        org TEXT NOT NULL,
        id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        external_id TEXT,
        created_s BIGINT NOT NULL,
        created_n BIGINT NOT NULL,
        modified_s BIGINT NOT NULL,
        modified_n BIGINT NOT NULL,
        version BIGINT NOT NULL,
        CONSTRAINT sso_scim_groups_pkey PRIMARY KEY (org, id),
        CONSTRAINT sso_scim_groups_name_key UNIQUE (org, name_key)
    );
    CREATE INDEX sso_scim_groups_by_seq ON sso_scim_groups (org, seq);
    CREATE TABLE sso_scim_group_members (
        org TEXT NOT NULL,
        group_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        pos INTEGER NOT NULL,
        PRIMARY KEY (org, group_id, user_id)
    );
    CREATE INDEX sso_scim_group_members_by_user ON sso_scim_group_members (org, user_id);
    CREATE TABLE sso_scim_replay (
        key TEXT PRIMARY KEY,
        expires_s BIGINT NOT NULL
    );
    CREATE INDEX sso_scim_replay_by_expiry ON sso_scim_replay (expires_s);
    ",
    // 2: outstanding AuthnRequest ids.
    "
    CREATE TABLE sso_scim_requests (
        key TEXT PRIMARY KEY,
        expires_s BIGINT NOT NULL
    );
    CREATE INDEX sso_scim_requests_by_expiry ON sso_scim_requests (expires_s);
    ",
    // 3: an organization's login policy and SAML setup (`settings`, JSON), and domain claims
    // with a DNS proof (pending, verified, revoked). Claims made before are
    // kept as verified (they were granted without a proof), each with a fresh token.
    "
    CREATE TABLE sso_scim_claims (
        org TEXT NOT NULL,
        domain TEXT NOT NULL,
        token TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'revoked')),
        created_ns BIGINT NOT NULL,
        verified_ns BIGINT,
        checked_ns BIGINT,
        version BIGINT NOT NULL,
        CONSTRAINT sso_scim_claims_pkey PRIMARY KEY (org, domain)
    );
    CREATE UNIQUE INDEX sso_scim_claims_one_verified ON sso_scim_claims (domain)
        WHERE status = 'verified';
    INSERT INTO sso_scim_claims (org, domain, token, status, created_ns, verified_ns, checked_ns, version)
        SELECT org, domain, substr(md5(random()::text || clock_timestamp()::text || domain), 1, 32),
               'verified', 0, 0, NULL, 1
        FROM sso_scim_domains;
    DROP TABLE sso_scim_domains;
    ALTER TABLE sso_scim_orgs ADD COLUMN settings TEXT NOT NULL DEFAULT '';
    ",
    // 4: organization settings are versioned (compare-and-set updates).
    "
    ALTER TABLE sso_scim_orgs ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
    ",
];

/// The schema version this crate writes.
pub(super) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`LATEST`] under an advisory lock, or refuses a newer schema.
pub(super) async fn migrate(client: &mut Client) -> Result<(), PostgresError> {
    let tx = client.transaction().await.map_err(db)?;
    // Replicas starting at once: the first migrates, the others wait here and find it done.
    tx.execute("SELECT pg_advisory_xact_lock(7418152093021555001)", &[])
        .await
        .map_err(db)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS sso_scim_schema (version BIGINT NOT NULL)")
        .await
        .map_err(db)?;
    let found: i64 = tx
        .query_opt("SELECT version FROM sso_scim_schema", &[])
        .await
        .map_err(db)?
        .map(|r| r.get(0))
        .unwrap_or(0);
    if found > LATEST {
        return Err(PostgresError::NewerSchema {
            found,
            supported: LATEST,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql).await.map_err(db)?;
        let v = i as i64 + 1;
        if v == 1 {
            tx.execute("INSERT INTO sso_scim_schema (version) VALUES ($1)", &[&v])
                .await
                .map_err(db)?;
        } else {
            tx.execute("UPDATE sso_scim_schema SET version = $1", &[&v])
                .await
                .map_err(db)?;
        }
    }
    tx.commit().await.map_err(db)
}
