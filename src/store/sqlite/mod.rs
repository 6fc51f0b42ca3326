//! `SqliteStore` (feature `sqlite`): every store port, and the replay cache, in one SQLite file.
//!
//! - **Durable**: WAL journal with `synchronous=FULL`, so a write the store acknowledged survives
//!   a crash of the process (and of the machine); each multi-step change is one transaction.
//! - **Off the executor**: SQLite is blocking, so the store runs it on its own threads (one writer,
//!   [`SqliteOptions::readers`] readers and one scanner, each with its own connection); an async
//!   caller only awaits a reply, on any runtime.
//! - **No SQLITE_BUSY**: all writes of a process go through the one writer connection; write
//!   transactions start with `BEGIN IMMEDIATE` and wait up to [`SqliteOptions::busy_timeout`] for
//!   another process holding the file.
//! - **Versioned migrations**, applied on open (idempotent, once even when several processes open
//!   the file at once); a file with a newer schema is refused ([`SqliteError::NewerSchema`]).
//! - **Indexes**: users by id, userName key, externalId and creation order; groups by id and
//!   displayName key; members by user. A filter no index serves scans the organization's users
//!   in batches of 128 on the scanner thread, so lookups and pages never queue behind a scan.
//!   Default-order pages walk the creation-order index to the page (`OFFSET`): O(start + page)
//!   index steps, never a table scan; totals are kept in a counter.
//!
//! Why rusqlite with the bundled SQLite rather than sqlx: the store needs a handful of plain
//! statements and its own threads, not a query builder or an async runtime; bundling means the
//! crate needs no system library, so the README's commands work on a fresh machine.

mod accounts;
mod claims;
mod codec;
mod directory;
mod groups;
mod ports;
mod reads;
mod schema;
mod tx;
mod workers;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use workers::Workers;

/// Why the SQLite store failed. No rule of the crate was broken: retry, or report a 500.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteError {
    /// SQLite reported an error.
    #[error("SQLite: {0}")]
    Database(String),
    /// The file was written by a newer version of this crate.
    #[error(
        "the database schema is version {found}; this version of sso-scim knows up to {supported}"
    )]
    NewerSchema {
        /// The file's schema version.
        found: i64,
        /// The newest this crate knows.
        supported: i64,
    },
    /// A stored value could not be read back.
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// A worker thread could not be started.
    #[error("cannot start a SQLite thread: {0}")]
    Thread(String),
    /// A worker thread ended before answering.
    #[error("the SQLite worker thread is gone")]
    WorkerGone,
}

pub(super) fn db(e: rusqlite::Error) -> SqliteError {
    SqliteError::Database(e.to_string())
}

/// How a [`SqliteStore`] opens its file.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// Reader threads (each with a connection). Default 2.
    pub readers: usize,
    /// How long a write waits for another process holding the file. Default 5 s.
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            readers: 2,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

impl SqliteOptions {
    /// With `n` reader threads.
    pub fn with_readers(mut self, n: usize) -> SqliteOptions {
        self.readers = n;
        self
    }

    /// With this busy timeout.
    pub fn with_busy_timeout(mut self, t: Duration) -> SqliteOptions {
        self.busy_timeout = t;
        self
    }
}

/// Every store port in one SQLite file. Cheap to share (`&SqliteStore` or an `Arc`); dropping
/// the last handle ends its threads after the queued work.
#[derive(Debug)]
pub struct SqliteStore {
    workers: Workers,
    path: PathBuf,
}

fn connect(path: &Path, options: &SqliteOptions) -> Result<Connection, SqliteError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    conn.busy_timeout(options.busy_timeout).map_err(db)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;",
    )
    .map_err(db)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating when missing) the database at `path` with the default options.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, SqliteError> {
        SqliteStore::open_with(path, SqliteOptions::default())
    }

    /// Opens (creating when missing) the database at `path`.
    pub fn open_with(
        path: impl AsRef<Path>,
        options: SqliteOptions,
    ) -> Result<SqliteStore, SqliteError> {
        let path = path.as_ref().to_path_buf();
        let mut writer = connect(&path, &options)?;
        schema::migrate(&mut writer)?;
        let readers = (0..options.readers.max(1))
            .map(|_| connect(&path, &options))
            .collect::<Result<Vec<_>, _>>()?;
        let scanner = connect(&path, &options)?;
        Ok(SqliteStore {
            workers: Workers::start(writer, readers, scanner)?,
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
