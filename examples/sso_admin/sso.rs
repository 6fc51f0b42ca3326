//! `sso decryption-keys` and `sso show`.

use std::sync::Arc;

use serde_json::{json, Value};
use sso_scim::store::{OrgId, ScimStore};
use sso_scim::{AuthnRequestStore, Organizations, ReplayCache, Timestamp};

#[cfg(not(feature = "encrypted-assertions"))]
use crate::cli::refused;
use crate::cli::{cert_json, ok, org_fail, Args, Fail, Out};
#[cfg(feature = "encrypted-assertions")]
use crate::cli::{read, refused, usage};

/// `sso decryption-keys`: the SP decryption key pairs, in the order they are tried.
#[cfg(feature = "encrypted-assertions")]
pub async fn decryption_keys<S>(orgs: &Organizations<Arc<S>>, a: &Args) -> Result<Out, Fail>
where
    S: ScimStore + ReplayCache + AuthnRequestStore + Send + Sync + 'static,
{
    use sso_scim::saml::{SpDecryptionKey, SpDecryptionKeys};
    let org = a.org(2)?;
    let (keys, certs) = (a.all("--key"), a.all("--cert"));
    if a.flag("--none") != keys.is_empty() || keys.len() != certs.len() {
        return Err(usage(
            "sso decryption-keys needs --key FILE --cert FILE (twice during a rotation), or --none",
        ));
    }
    let text = |f: &str| -> Result<String, Fail> {
        String::from_utf8(read(f)?)
            .map_err(|_| refused("invalid_certificate", format!("{f} is not PEM text")))
    };
    let mut pairs = Vec::new();
    for (k, c) in keys.iter().zip(&certs) {
        pairs.push(
            SpDecryptionKey::from_pem(&text(k)?, &text(c)?)
                .map_err(|e| refused("invalid_certificate", e))?,
        );
    }
    let keys = SpDecryptionKeys::new(pairs).map_err(|e| refused("invalid_certificate", e))?;
    let o = orgs
        .set_sp_decryption_keys(&org, keys)
        .await
        .map_err(org_fail)?;
    let certs: Vec<Value> = o
        .sp_decryption_keys
        .iter()
        .map(|k| cert_json(k.certificate()))
        .collect();
    let text = if certs.is_empty() {
        "SP decryption keys removed; encrypted assertions are refused from now on".to_owned()
    } else {
        format!(
            "{} SP decryption key(s) stored; upload the first certificate to the IdP as its encryption certificate (Okta: Assertion Encryption, Encryption Certificate)",
            certs.len()
        )
    };
    Ok(ok(json!({"sp_decryption_certificates": certs}), text))
}

/// `sso decryption-keys` without the feature.
#[cfg(not(feature = "encrypted-assertions"))]
pub async fn decryption_keys<S>(_: &Organizations<Arc<S>>, _: &Args) -> Result<Out, Fail>
where
    S: ScimStore + ReplayCache + AuthnRequestStore + Send + Sync + 'static,
{
    Err(refused(
        "unsupported",
        "this sso_admin was built without the encrypted-assertions feature",
    ))
}

pub async fn show<S>(orgs: &Organizations<Arc<S>>, org: &OrgId, now: Timestamp) -> Result<Out, Fail>
where
    S: ScimStore + ReplayCache + AuthnRequestStore + Send + Sync + 'static,
{
    let o = orgs.organization(org).await.map_err(org_fail)?;
    let idp = o.idp.as_ref();
    let certs: Vec<Value> = idp
        .map(|i| i.certificates.iter().map(cert_json).collect())
        .unwrap_or_default();
    let warnings: Vec<String> = match o.sso_config() {
        Some(Ok(c)) => c.warnings(now).iter().map(ToString::to_string).collect(),
        _ => Vec::new(),
    };
    let json = json!({
        "idp_issuer": idp.map(|i| i.issuer.clone()),
        "idp_sso_url": idp.map(|i| i.sso_url.clone()),
        "require_sso": o.require_sso,
        "certificates": certs,
        "sp_entity_id": o.sp.as_ref().map(|s| s.entity_id.clone()),
        "acs_url": o.sp.as_ref().map(|s| s.acs_url.clone()),
        "sp_signing": o.sp_signing_key.is_some(),
        "sp_decryption_keys": decryption_count(&o),
        "warnings": warnings,
    });
    let text = serde_json::to_string_pretty(&json).unwrap_or_default();
    Ok(ok(json, text))
}

/// How many SP decryption keys the organization has.
fn decryption_count(o: &sso_scim::store::Organization) -> usize {
    #[cfg(feature = "encrypted-assertions")]
    {
        o.sp_decryption_keys.iter().count()
    }
    #[cfg(not(feature = "encrypted-assertions"))]
    {
        let _ = o;
        0
    }
}
