//! Domain claims on SQLite: one row per (organization, domain); a partial unique index on
//! verified claims keeps a domain verified for at most one organization.

use std::future::Future;

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::tx::{immediate, Res};
use super::{db, SqliteError, SqliteStore};
use crate::domain::DomainName;
use crate::resource::OrgId;
use crate::store::sql_rows::{claim_from_parts, to_nanos};
use crate::store::{ClaimConflict, DomainClaim, DomainClaims};

const COLUMNS: &str = "org, domain, token, status, created_ns, verified_ns, checked_ns, version";

fn from_row(r: &Row<'_>) -> Res<DomainClaim> {
    claim_from_parts(
        r.get(0).map_err(db)?,
        r.get(1).map_err(db)?,
        r.get(2).map_err(db)?,
        r.get(3).map_err(db)?,
        r.get(4).map_err(db)?,
        r.get(5).map_err(db)?,
        r.get(6).map_err(db)?,
        r.get(7).map_err(db)?,
    )
    .map_err(SqliteError::Corrupt)
}

fn org_id(s: String) -> Res<OrgId> {
    OrgId::new(s).map_err(|e| SqliteError::Corrupt(e.to_string()))
}

/// The organization other than `claim.org` holding a verified claim of its domain, when
/// `claim` is verified.
fn verified_other(c: &Connection, claim: &DomainClaim) -> Res<Option<OrgId>> {
    if !claim.is_verified() {
        return Ok(None);
    }
    let other: Option<String> = c
        .query_row(
            "SELECT org FROM claims WHERE domain = ?1 AND status = 'verified' AND org <> ?2",
            params![claim.domain.as_str(), claim.org.as_str()],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    other.map(org_id).transpose()
}

fn write_row(c: &Connection, claim: &DomainClaim, version: u64, insert: bool) -> Res<()> {
    let sql = if insert {
        "INSERT INTO claims (org, domain, token, status, created_ns, verified_ns, checked_ns, version) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    } else {
        "UPDATE claims SET token = ?3, status = ?4, created_ns = ?5, verified_ns = ?6, \
         checked_ns = ?7, version = ?8 WHERE org = ?1 AND domain = ?2"
    };
    c.execute(
        sql,
        params![
            claim.org.as_str(),
            claim.domain.as_str(),
            claim.token.as_str(),
            claim.status.as_str(),
            to_nanos(claim.created),
            claim.verified_at.map(to_nanos),
            claim.checked_at.map(to_nanos),
            i64::try_from(version).unwrap_or(i64::MAX),
        ],
    )
    .map(|_| ())
    .map_err(db)
}

impl DomainClaims for SqliteStore {
    fn insert_claim(
        &self,
        claim: &DomainClaim,
    ) -> impl Future<Output = Res<Result<(), ClaimConflict>>> + Send {
        let claim = claim.clone();
        self.workers.write(move |c| {
            let tx = immediate(c)?;
            let exists = super::tx::exists(
                &tx,
                "SELECT 1 FROM claims WHERE org = ?1 AND domain = ?2",
                params![claim.org.as_str(), claim.domain.as_str()],
            )?;
            if exists {
                return Ok(Err(ClaimConflict::Exists));
            }
            if let Some(other) = verified_other(&tx, &claim)? {
                return Ok(Err(ClaimConflict::VerifiedByOther(other)));
            }
            write_row(&tx, &claim, claim.version, true)?;
            tx.commit().map_err(db)?;
            Ok(Ok(()))
        })
    }

    fn update_claim(
        &self,
        claim: &DomainClaim,
        expected_version: u64,
    ) -> impl Future<Output = Res<Result<(), ClaimConflict>>> + Send {
        let claim = claim.clone();
        self.workers.write(move |c| {
            let tx = immediate(c)?;
            let stored: Option<i64> = tx
                .query_row(
                    "SELECT version FROM claims WHERE org = ?1 AND domain = ?2",
                    params![claim.org.as_str(), claim.domain.as_str()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            match stored {
                None => return Ok(Err(ClaimConflict::NotFound)),
                Some(v) if u64::try_from(v).ok() != Some(expected_version) => {
                    return Ok(Err(ClaimConflict::Version))
                }
                Some(_) => {}
            }
            if let Some(other) = verified_other(&tx, &claim)? {
                return Ok(Err(ClaimConflict::VerifiedByOther(other)));
            }
            write_row(&tx, &claim, expected_version.saturating_add(1), false)?;
            tx.commit().map_err(db)?;
            Ok(Ok(()))
        })
    }

    fn claim(
        &self,
        org: &OrgId,
        domain: &DomainName,
    ) -> impl Future<Output = Res<Option<DomainClaim>>> + Send {
        let (org, domain) = (org.clone(), domain.clone());
        self.workers.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM claims WHERE org = ?1 AND domain = ?2"
                ))
                .map_err(db)?;
            let mut rows = st
                .query(params![org.as_str(), domain.as_str()])
                .map_err(db)?;
            match rows.next().map_err(db)? {
                Some(r) => from_row(r).map(Some),
                None => Ok(None),
            }
        })
    }

    fn claims(&self, org: &OrgId) -> impl Future<Output = Res<Vec<DomainClaim>>> + Send {
        let org = org.clone();
        self.workers.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM claims WHERE org = ?1 ORDER BY domain"
                ))
                .map_err(db)?;
            let mut rows = st.query([org.as_str()]).map_err(db)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(db)? {
                out.push(from_row(r)?);
            }
            Ok(out)
        })
    }

    fn verified_owner(
        &self,
        domain: &DomainName,
    ) -> impl Future<Output = Res<Option<OrgId>>> + Send {
        let domain = domain.clone();
        self.workers.read(move |c| {
            let owner: Option<String> = c
                .query_row(
                    "SELECT org FROM claims WHERE domain = ?1 AND status = 'verified'",
                    [domain.as_str()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            owner.map(org_id).transpose()
        })
    }

    fn delete_claim(
        &self,
        org: &OrgId,
        domain: &DomainName,
    ) -> impl Future<Output = Res<bool>> + Send {
        let (org, domain) = (org.clone(), domain.clone());
        self.workers.write(move |c| {
            c.execute(
                "DELETE FROM claims WHERE org = ?1 AND domain = ?2",
                params![org.as_str(), domain.as_str()],
            )
            .map(|n| n == 1)
            .map_err(db)
        })
    }
}
