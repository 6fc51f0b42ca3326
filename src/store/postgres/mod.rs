//! `PostgresStore` (feature `postgres`): every store port, and the replay cache, in PostgreSQL,
//! for hosts with several replicas sharing one database.
//!
//! - **The database enforces the rules**: userName unique per organization, an email per
//!   account, a domain per organization, a replay id consumed once are unique constraints, not
//!   check-then-insert; a violated constraint becomes the port's `Conflict` or `false`, so the
//!   rules hold across every replica and connection.
//! - **One transaction per change**: a SCIM create writes the account, the membership and the
//!   user together or not at all; a lost connection rolls back.
//! - **Indexes** serve `id`, `userName eq`, `externalId eq` and `emails.value eq` lookups and
//!   default-order pages (`OFFSET` walks the creation-order index: O(start + page)); totals are
//!   kept in a counter. A filter no index serves scans the organization's users.
//! - **Migrations** are versioned, applied under an advisory lock (replicas starting at once
//!   migrate once), and a schema newer than the crate knows is refused. Tables are prefixed
//!   `sso_scim_`, so they can live in the host's own database.
//! - A connection pool (deadpool) on the tokio runtime.

/// Runs a write; a unique violation returns early from the enclosing function as that conflict.
macro_rules! write {
    ($e:expr) => {
        match $e.await {
            Ok(n) => n,
            Err(e) => return conflict_or(e).map(Err),
        }
    };
}

mod accounts;
mod claims;
mod directory;
mod groups;
mod ports;
mod reads;
mod schema;
mod tx;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

/// Why the PostgreSQL store failed. No rule of the crate was broken: retry, or report a 500.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresError {
    /// PostgreSQL (or the connection) reported an error.
    #[error("PostgreSQL: {0}")]
    Database(String),
    /// No connection could be had from the pool.
    #[error("PostgreSQL connection pool: {0}")]
    Pool(String),
    /// The URL is not a PostgreSQL connection string.
    #[error("invalid PostgreSQL URL: {0}")]
    Url(String),
    /// The database was migrated by a newer version of this crate.
    #[error(
        "the database schema is version {found}; this version of sso-scim knows up to {supported}"
    )]
    NewerSchema {
        /// The database's schema version.
        found: i64,
        /// The newest this crate knows.
        supported: i64,
    },
    /// A stored value could not be read back.
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
}

pub(super) fn db(e: tokio_postgres::Error) -> PostgresError {
    PostgresError::Database(e.to_string())
}

/// The name of the unique constraint `e` violated, if that is what it is.
pub(super) fn unique_violation(e: &tokio_postgres::Error) -> Option<String> {
    if e.code() != Some(&SqlState::UNIQUE_VIOLATION) {
        return None;
    }
    Some(
        e.as_db_error()
            .and_then(|d| d.constraint())
            .unwrap_or("")
            .to_owned(),
    )
}

/// How a [`PostgresStore`] connects.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// Most connections in the pool. Default 16.
    pub max_connections: usize,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            max_connections: 16,
        }
    }
}

impl PostgresOptions {
    /// With at most `n` connections in the pool.
    pub fn with_max_connections(mut self, n: usize) -> PostgresOptions {
        self.max_connections = n;
        self
    }
}

/// Every store port in PostgreSQL. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/db`) with the default options, and
    /// migrates the schema.
    pub async fn connect(url: &str) -> Result<PostgresStore, PostgresError> {
        PostgresStore::connect_with(url, PostgresOptions::default()).await
    }

    /// Connects to `url` and migrates the schema.
    pub async fn connect_with(
        url: &str,
        options: PostgresOptions,
    ) -> Result<PostgresStore, PostgresError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| PostgresError::Url(e.to_string()))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .build()
            .map_err(|e| PostgresError::Pool(e.to_string()))?;
        let store = PostgresStore { pool };
        let mut client = store.client().await?;
        schema::migrate(&mut client).await?;
        Ok(store)
    }

    pub(super) async fn client(&self) -> Result<deadpool_postgres::Object, PostgresError> {
        self.pool
            .get()
            .await
            .map_err(|e| PostgresError::Pool(e.to_string()))
    }
}
