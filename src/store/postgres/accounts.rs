//! The host's accounts and memberships on PostgreSQL (the `Accounts` port).

use tokio_postgres::Row;

use super::ports::{corrupt, org_id};
use super::tx::{conflict_or, exists, role, role_code, Res};
use super::{db, PostgresStore};
use crate::resource::{AccountId, OrgId};
use crate::store::{email_key, Account, Accounts, Conflict, EmailKey, Membership};

impl Accounts for PostgresStore {
    async fn account_by_email(&self, key: &EmailKey) -> Res<Option<Account>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT id, email, provisioned_by FROM sso_scim_accounts WHERE email_key = $1",
                &[&key.as_str()],
            )
            .await
            .map_err(db)?;
        row.map(|r| account_from_row(&r)).transpose()
    }

    async fn membership(&self, org: &OrgId, account: &AccountId) -> Res<Option<Membership>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT role, active FROM sso_scim_memberships WHERE org = $1 AND account = $2",
                &[&org.as_str(), &account.as_str()],
            )
            .await
            .map_err(db)?;
        row.map(|r| {
            Ok(Membership {
                role: role(r.get(0))?,
                active: r.get(1),
            })
        })
        .transpose()
    }

    async fn create_account(&self, account: &Account) -> Res<Result<(), Conflict>> {
        let c = self.client().await?;
        let r = c
            .execute(
                "INSERT INTO sso_scim_accounts (id, email, email_key, provisioned_by) VALUES ($1, $2, $3, $4)",
                &[&account.id.as_str(), &account.email, &email_key(&account.email).as_str(), &account.provisioned_by.as_ref().map(OrgId::as_str)],
            )
            .await;
        match r {
            Ok(_) => Ok(Ok(())),
            Err(e) => conflict_or(e).map(Err),
        }
    }

    async fn account(&self, id: &AccountId) -> Res<Option<Account>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT id, email, provisioned_by FROM sso_scim_accounts WHERE id = $1",
                &[&id.as_str()],
            )
            .await
            .map_err(db)?;
        row.map(|r| account_from_row(&r)).transpose()
    }

    async fn put_membership(
        &self,
        org: &OrgId,
        account: &AccountId,
        membership: &Membership,
    ) -> Res<Result<(), Conflict>> {
        let mut c = self.client().await?;
        let tx = tokio_postgres::Client::transaction(&mut c)
            .await
            .map_err(db)?;
        if !exists(
            &tx,
            "SELECT 1 FROM sso_scim_accounts WHERE id = $1 FOR SHARE",
            &[&account.as_str()],
        )
        .await?
        {
            return Ok(Err(Conflict::NotFound));
        }
        tx.execute(
            "INSERT INTO sso_scim_memberships (org, account, role, active) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org, account) DO UPDATE SET role = EXCLUDED.role, active = EXCLUDED.active",
            &[&org.as_str(), &account.as_str(), &role_code(membership.role), &membership.active],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Ok(()))
    }
}

fn account_from_row(r: &Row) -> Res<Account> {
    Ok(Account {
        id: AccountId::new(r.get::<_, String>(0)).map_err(corrupt)?,
        email: r.get(1),
        provisioned_by: r.get::<_, Option<String>>(2).map(org_id).transpose()?,
    })
}
