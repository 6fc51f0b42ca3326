//! What every SQLite write shares: the result type, `BEGIN IMMEDIATE`, and existence checks.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::{db, SqliteError};

pub(super) type Res<T> = Result<T, SqliteError>;

pub(super) fn immediate(c: &mut Connection) -> Res<Transaction<'_>> {
    c.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)
}

pub(super) fn exists(tx: &Connection, sql: &str, p: impl rusqlite::Params) -> Res<bool> {
    tx.query_row(sql, p, |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
        .map_err(db)
}
