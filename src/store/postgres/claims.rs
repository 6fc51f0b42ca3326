//! Domain claims on PostgreSQL: one row per (organization, domain); the partial unique index
//! `sso_scim_claims_one_verified` keeps a domain verified for at most one organization, across
//! every replica.

use tokio_postgres::{GenericClient, Row};

use super::ports::{corrupt, org_id};
use super::tx::{version, Res};
use super::{db, unique_violation, PostgresStore};
use crate::domain::DomainName;
use crate::resource::OrgId;
use crate::store::sql_rows::{claim_from_parts, to_nanos};
use crate::store::{ClaimConflict, DomainClaim, DomainClaims};

const COLUMNS: &str = "org, domain, token, status, created_ns, verified_ns, checked_ns, version";
const ONE_VERIFIED: &str = "sso_scim_claims_one_verified";

fn from_row(r: &Row) -> Res<DomainClaim> {
    claim_from_parts(
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        r.get(5),
        r.get(6),
        r.get(7),
    )
    .map_err(corrupt)
}

async fn verified_owner_of<C: GenericClient>(c: &C, domain: &str) -> Res<Option<OrgId>> {
    let row = c
        .query_opt(
            "SELECT org FROM sso_scim_claims WHERE domain = $1 AND status = 'verified'",
            &[&domain],
        )
        .await
        .map_err(db)?;
    row.map(|r| org_id(r.get(0))).transpose()
}

/// Runs a write; a violation of the one-verified index becomes `VerifiedByOther`.
async fn write<C: GenericClient>(
    c: &C,
    claim: &DomainClaim,
    stored_version: u64,
    insert: bool,
) -> Res<Result<(), ClaimConflict>> {
    let sql = if insert {
        "INSERT INTO sso_scim_claims (org, domain, token, status, created_ns, verified_ns, checked_ns, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    } else {
        "UPDATE sso_scim_claims SET token = $3, status = $4, created_ns = $5, verified_ns = $6, \
         checked_ns = $7, version = $8 WHERE org = $1 AND domain = $2"
    };
    let r = c
        .execute(
            sql,
            &[
                &claim.org.as_str(),
                &claim.domain.as_str(),
                &claim.token.as_str(),
                &claim.status.as_str(),
                &to_nanos(claim.created),
                &claim.verified_at.map(to_nanos),
                &claim.checked_at.map(to_nanos),
                &version(stored_version),
            ],
        )
        .await;
    match r {
        Ok(_) => Ok(Ok(())),
        Err(e) => match unique_violation(&e).as_deref() {
            Some(ONE_VERIFIED) => Ok(Err(ClaimConflict::VerifiedByOther(
                OrgId::new("unknown").map_err(corrupt)?,
            ))),
            Some("sso_scim_claims_pkey") => Ok(Err(ClaimConflict::Exists)),
            _ => Err(db(e)),
        },
    }
}

impl PostgresStore {
    /// Fills in who holds the verified claim after a refused write (read outside the
    /// rolled-back transaction).
    async fn name_other(
        &self,
        r: Result<(), ClaimConflict>,
        domain: &str,
    ) -> Res<Result<(), ClaimConflict>> {
        if let Err(ClaimConflict::VerifiedByOther(_)) = r {
            let c = self.client().await?;
            let owner = verified_owner_of(&**c, domain).await?;
            return Ok(Err(ClaimConflict::VerifiedByOther(
                owner.unwrap_or(OrgId::new("unknown").map_err(corrupt)?),
            )));
        }
        Ok(r)
    }
}

impl DomainClaims for PostgresStore {
    async fn insert_claim(&self, claim: &DomainClaim) -> Res<Result<(), ClaimConflict>> {
        let r = {
            let c = self.client().await?;
            write(&**c, claim, claim.version, true).await?
        };
        self.name_other(r, claim.domain.as_str()).await
    }

    async fn update_claim(
        &self,
        claim: &DomainClaim,
        expected_version: u64,
    ) -> Res<Result<(), ClaimConflict>> {
        let r = {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(db)?;
            let stored = tx
                .query_opt(
                    "SELECT version FROM sso_scim_claims WHERE org = $1 AND domain = $2 FOR UPDATE",
                    &[&claim.org.as_str(), &claim.domain.as_str()],
                )
                .await
                .map_err(db)?
                .map(|r| r.get::<_, i64>(0));
            match stored {
                None => Err(ClaimConflict::NotFound),
                Some(v) if u64::try_from(v).ok() != Some(expected_version) => {
                    Err(ClaimConflict::Version)
                }
                Some(_) => {
                    let r = write(&*tx, claim, expected_version.saturating_add(1), false).await?;
                    if r.is_ok() {
                        tx.commit().await.map_err(db)?;
                    }
                    r
                }
            }
        };
        self.name_other(r, claim.domain.as_str()).await
    }

    async fn claim(&self, org: &OrgId, domain: &DomainName) -> Res<Option<DomainClaim>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {COLUMNS} FROM sso_scim_claims WHERE org = $1 AND domain = $2"),
                &[&org.as_str(), &domain.as_str()],
            )
            .await
            .map_err(db)?;
        row.as_ref().map(from_row).transpose()
    }

    async fn claims(&self, org: &OrgId) -> Res<Vec<DomainClaim>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {COLUMNS} FROM sso_scim_claims WHERE org = $1 ORDER BY domain"),
                &[&org.as_str()],
            )
            .await
            .map_err(db)?;
        rows.iter().map(from_row).collect()
    }

    async fn verified_owner(&self, domain: &DomainName) -> Res<Option<OrgId>> {
        let c = self.client().await?;
        verified_owner_of(&**c, domain.as_str()).await
    }

    async fn delete_claim(&self, org: &OrgId, domain: &DomainName) -> Res<bool> {
        let c = self.client().await?;
        c.execute(
            "DELETE FROM sso_scim_claims WHERE org = $1 AND domain = $2",
            &[&org.as_str(), &domain.as_str()],
        )
        .await
        .map(|n| n == 1)
        .map_err(db)
    }
}
