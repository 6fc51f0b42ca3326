//! The schema, as versioned migrations the store owns and applies when it opens a file.
//!
//! Each migration runs once, in order, inside one `BEGIN IMMEDIATE` transaction together with the
//! version bump, so two processes opening one file at once migrate it exactly once (SQLite's
//! write lock is the advisory lock). A file whose schema is newer than this crate knows is refused.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::{db, SqliteError};

/// The migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
const MIGRATIONS: &[&str] = &[
    // 1: every port of the crate.
    "
    CREATE TABLE orgs (
        id TEXT PRIMARY KEY,
        delete_on_deactivate INTEGER NOT NULL,
        require_claimed_domain INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE domains (
        domain TEXT PRIMARY KEY,
        org TEXT NOT NULL
    ) STRICT;
    CREATE INDEX domains_by_org ON domains (org, domain);
    CREATE TABLE tokens (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org TEXT NOT NULL,
        secret_hash BLOB NOT NULL,
        label TEXT NOT NULL,
        created_s INTEGER NOT NULL,
        created_n INTEGER NOT NULL,
        revoked INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX tokens_by_org ON tokens (org, seq);
    CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL UNIQUE,
        provisioned_by TEXT
    ) STRICT;
    CREATE TABLE memberships (
        org TEXT NOT NULL,
        account TEXT NOT NULL,
        role INTEGER NOT NULL,
        active INTEGER NOT NULL,
        PRIMARY KEY (org, account)
    ) STRICT;
    CREATE INDEX memberships_by_account ON memberships (account);
    CREATE TABLE users (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        org TEXT NOT NULL,
        id TEXT NOT NULL,
        account TEXT NOT NULL,
        user_name TEXT NOT NULL,
        user_name_key TEXT NOT NULL,
        external_id TEXT,
        active INTEGER NOT NULL,
        created_s INTEGER NOT NULL,
        created_n INTEGER NOT NULL,
        modified_s INTEGER NOT NULL,
        modified_n INTEGER NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (org, id),
        UNIQUE (org, user_name_key),
        UNIQUE (org, account)
    ) STRICT;
    CREATE INDEX users_by_external_id ON users (org, external_id, seq);
    CREATE TABLE user_counts (
        org TEXT PRIMARY KEY,
        n INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE groups (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        org TEXT NOT NULL,
        id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        external_id TEXT,
        created_s INTEGER NOT NULL,
        created_n INTEGER NOT NULL,
        modified_s INTEGER NOT NULL,
        modified_n INTEGER NOT NULL,
        version INTEGER NOT NULL,
        UNIQUE (org, id),
        UNIQUE (org, name_key)
    ) STRICT;
    CREATE TABLE group_members (
        org TEXT NOT NULL,
        group_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        pos INTEGER NOT NULL,
        PRIMARY KEY (org, group_id, user_id)
    ) STRICT;
    CREATE INDEX group_members_by_user ON group_members (org, user_id);
    CREATE TABLE replay (
        key TEXT PRIMARY KEY,
        expires_s INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX replay_by_expiry ON replay (expires_s);
    ",
    // 2: outstanding AuthnRequest ids.
    "
    CREATE TABLE requests (
        key TEXT PRIMARY KEY,
        expires_s INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX requests_by_expiry ON requests (expires_s);
    ",
    // 3: creation order per organization, so default-order pages and scan batches walk an index
    // (without it SQLite sorted every user of the organization for each page).
    "
    CREATE INDEX users_by_seq ON users (org, seq);
    CREATE INDEX groups_by_seq ON groups (org, seq);
    ",
    // 4: an organization's login policy and SAML setup (`settings`, JSON), and domain claims
    // with a DNS proof (pending, verified, revoked). Claims made before are
    // kept as verified (they were granted without a proof), each with a fresh token for
    // re-verification.
    "
    CREATE TABLE claims (
        org TEXT NOT NULL,
        domain TEXT NOT NULL,
        token TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'revoked')),
        created_ns INTEGER NOT NULL,
        verified_ns INTEGER,
        checked_ns INTEGER,
        version INTEGER NOT NULL,
        PRIMARY KEY (org, domain)
    ) STRICT;
    CREATE UNIQUE INDEX claims_one_verified ON claims (domain) WHERE status = 'verified';
    INSERT INTO claims (org, domain, token, status, created_ns, verified_ns, checked_ns, version)
        SELECT org, domain, lower(hex(randomblob(16))), 'verified', 0, 0, NULL, 1 FROM domains;
    DROP TABLE domains;
    ALTER TABLE orgs ADD COLUMN settings TEXT NOT NULL DEFAULT '';
    ",
    // 5: organization settings are versioned (compare-and-set updates).
    "
    ALTER TABLE orgs ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    ",
];

/// The schema version this crate writes.
pub(super) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the file to [`LATEST`], or refuses a newer one.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), SqliteError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS sso_scim_schema (version INTEGER NOT NULL)")
        .map_err(db)?;
    let found: Option<i64> = tx
        .query_row("SELECT version FROM sso_scim_schema", [], |r| r.get(0))
        .optional()
        .map_err(db)?;
    let found = found.unwrap_or(0);
    if found > LATEST {
        return Err(SqliteError::NewerSchema {
            found,
            supported: LATEST,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql).map_err(db)?;
        let v = i as i64 + 1;
        if v == 1 {
            tx.execute("INSERT INTO sso_scim_schema (version) VALUES (?1)", [v])
                .map_err(db)?;
        } else {
            tx.execute("UPDATE sso_scim_schema SET version = ?1", [v])
                .map_err(db)?;
        }
    }
    tx.commit().map_err(db)
}
