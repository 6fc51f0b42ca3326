//! The host's accounts and memberships on SQLite (the `Accounts` port).

use std::future::Future;

use rusqlite::params;

use super::codec::{account_from_row, membership_from_row, role_code};
use super::tx::{exists, immediate, Res};
use super::{db, SqliteStore};
use crate::resource::{AccountId, OrgId};
use crate::store::{email_key, Account, Accounts, Conflict, EmailKey, Membership};

impl Accounts for SqliteStore {
    fn account_by_email(
        &self,
        key: &EmailKey,
    ) -> impl Future<Output = Res<Option<Account>>> + Send {
        let key = key.clone();
        self.workers.read(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT id, email, provisioned_by FROM accounts WHERE email_key = ?1",
                )
                .map_err(db)?;
            let mut rows = st.query([key.as_str()]).map_err(db)?;
            match rows.next().map_err(db)? {
                Some(r) => account_from_row(r).map(Some),
                None => Ok(None),
            }
        })
    }

    fn membership(
        &self,
        org: &OrgId,
        account: &AccountId,
    ) -> impl Future<Output = Res<Option<Membership>>> + Send {
        let (org, account) = (org.clone(), account.clone());
        self.workers.read(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT role, active FROM memberships WHERE org = ?1 AND account = ?2",
                )
                .map_err(db)?;
            let mut rows = st
                .query(params![org.as_str(), account.as_str()])
                .map_err(db)?;
            match rows.next().map_err(db)? {
                Some(r) => membership_from_row(r).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create_account(
        &self,
        account: &Account,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        let a = account.clone();
        self.workers.write(move |c| {
            let tx = immediate(c)?;
            let key = email_key(&a.email);
            if exists(
                &tx,
                "SELECT 1 FROM accounts WHERE id = ?1 OR email_key = ?2",
                params![a.id.as_str(), key.as_str()],
            )? {
                return Ok(Err(Conflict::Email));
            }
            tx.execute(
                "INSERT INTO accounts (id, email, email_key, provisioned_by) VALUES (?1, ?2, ?3, ?4)",
                params![a.id.as_str(), a.email, key.as_str(), a.provisioned_by.as_ref().map(OrgId::as_str)],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(Ok(()))
        })
    }

    fn account(&self, id: &AccountId) -> impl Future<Output = Res<Option<Account>>> + Send {
        let id = id.clone();
        self.workers.read(move |c| {
            let mut st = c
                .prepare_cached("SELECT id, email, provisioned_by FROM accounts WHERE id = ?1")
                .map_err(db)?;
            let mut rows = st.query([id.as_str()]).map_err(db)?;
            match rows.next().map_err(db)? {
                Some(r) => account_from_row(r).map(Some),
                None => Ok(None),
            }
        })
    }

    fn put_membership(
        &self,
        org: &OrgId,
        account: &AccountId,
        membership: &Membership,
    ) -> impl Future<Output = Res<Result<(), Conflict>>> + Send {
        let (org, account, m) = (org.clone(), account.clone(), *membership);
        self.workers.write(move |c| {
            let tx = immediate(c)?;
            if !exists(&tx, "SELECT 1 FROM accounts WHERE id = ?1", [account.as_str()])? {
                return Ok(Err(Conflict::NotFound));
            }
            tx.execute(
                "INSERT INTO memberships (org, account, role, active) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (org, account) DO UPDATE SET role = excluded.role, active = excluded.active",
                params![org.as_str(), account.as_str(), role_code(m.role), i64::from(m.active)],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(Ok(()))
        })
    }
}
