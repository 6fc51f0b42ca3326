//! An [`Organization`]'s settings beyond the provisioning flags, as one JSON document (the SQL
//! stores' `settings` column), written and read only here. Certificates and the SP key are PEM.

use serde_json::{json, Map, Value};

use super::records::Organization;
use crate::saml::{IdpCertificate, IdpSettings, SpEndpoints, SpSigningKey};

/// The `settings` document of `org`.
pub(crate) fn encode(org: &Organization) -> String {
    let mut m = Map::new();
    m.insert("name".into(), json!(org.name));
    m.insert("require_sso".into(), json!(org.require_sso));
    m.insert("jit_provisioning".into(), json!(org.jit_provisioning));
    if let Some(sp) = &org.sp {
        m.insert(
            "sp".into(),
            json!({"entity_id": sp.entity_id, "acs_url": sp.acs_url}),
        );
    }
    if let Some(idp) = &org.idp {
        m.insert(
            "idp".into(),
            json!({
                "issuer": idp.issuer,
                "sso_url": idp.sso_url,
                "sso_post_url": idp.sso_post_url,
                "certificates": idp.certificates.iter().map(IdpCertificate::to_pem).collect::<Vec<_>>(),
                "want_authn_requests_signed": idp.want_authn_requests_signed,
                "allow_idp_initiated": idp.allow_idp_initiated,
            }),
        );
    }
    if let Some(k) = &org.sp_signing_key {
        m.insert(
            "sp_signing_key".into(),
            json!({"private_key": k.expose_private_key_pem(), "certificate": k.certificate().to_pem()}),
        );
    }
    #[cfg(feature = "encrypted-assertions")]
    if !org.sp_decryption_keys.is_empty() {
        m.insert(
            DECRYPTION_KEYS.into(),
            org.sp_decryption_keys
                .iter()
                .map(|k| json!({"private_key": k.expose_private_key_pem(), "certificate": k.certificate().to_pem()}))
                .collect(),
        );
    }
    Value::Object(m).to_string()
}

/// The settings entry of the SP decryption keys.
const DECRYPTION_KEYS: &str = "sp_decryption_keys";

fn text<'a>(v: &'a Value, k: &str) -> Result<&'a str, String> {
    v.get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("settings: {k} is missing or not text"))
}

fn flag(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool).unwrap_or(false)
}

/// Fills `org` (made with its id and provisioning flags) from a `settings` document.
pub(crate) fn decode_into(doc: &str, org: &mut Organization) -> Result<(), String> {
    if doc.trim().is_empty() {
        return Ok(());
    }
    let v: Value = serde_json::from_str(doc).map_err(|e| format!("settings: {e}"))?;
    if let Some(n) = v.get("name").and_then(Value::as_str) {
        org.name = n.to_owned();
    }
    org.require_sso = flag(&v, "require_sso");
    org.jit_provisioning = flag(&v, "jit_provisioning");
    if let Some(sp) = v.get("sp").filter(|s| !s.is_null()) {
        org.sp = Some(SpEndpoints {
            entity_id: text(sp, "entity_id")?.to_owned(),
            acs_url: text(sp, "acs_url")?.to_owned(),
        });
    }
    if let Some(idp) = v.get("idp").filter(|s| !s.is_null()) {
        let certificates = idp
            .get("certificates")
            .and_then(Value::as_array)
            .ok_or("settings: idp.certificates is missing")?
            .iter()
            .map(|c| {
                let pem = c.as_str().ok_or("settings: a certificate is not text")?;
                IdpCertificate::parse(pem.as_bytes()).map_err(|e| format!("settings: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        org.idp = Some(IdpSettings {
            issuer: text(idp, "issuer")?.to_owned(),
            sso_url: text(idp, "sso_url")?.to_owned(),
            sso_post_url: idp
                .get("sso_post_url")
                .and_then(Value::as_str)
                .map(str::to_owned),
            certificates,
            want_authn_requests_signed: flag(idp, "want_authn_requests_signed"),
            allow_idp_initiated: flag(idp, "allow_idp_initiated"),
        });
    }
    if let Some(k) = v.get("sp_signing_key").filter(|s| !s.is_null()) {
        let key = SpSigningKey::from_pem(text(k, "private_key")?, text(k, "certificate")?)
            .map_err(|e| format!("settings: {e}"))?;
        org.sp_signing_key = Some(key);
    }
    let stored = v
        .get(DECRYPTION_KEYS)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    #[cfg(feature = "encrypted-assertions")]
    {
        // Counted before any key is parsed (each parse is an RSA key check).
        if stored.len() > crate::saml::SpDecryptionKeys::MAX {
            return Err(format!(
                "settings: {} SP decryption keys (at most {})",
                stored.len(),
                crate::saml::SpDecryptionKeys::MAX
            ));
        }
        let keys = stored
            .iter()
            .map(|k| {
                crate::saml::SpDecryptionKey::from_pem(
                    text(k, "private_key")?,
                    text(k, "certificate")?,
                )
                .map_err(|e| format!("settings: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        org.sp_decryption_keys =
            crate::saml::SpDecryptionKeys::new(keys).map_err(|e| format!("settings: {e}"))?;
    }
    #[cfg(not(feature = "encrypted-assertions"))]
    if !stored.is_empty() {
        // Reading on without them would lose them at the next write, and every login of the
        // organization would fail anyway.
        return Err(
            "settings: the organization has SP decryption keys; build sso-scim with the encrypted-assertions feature"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::decode_into;
    use crate::resource::OrgId;
    use crate::store::Organization;

    fn decode(doc: &str) -> Result<Organization, String> {
        let mut org = Organization::new(OrgId::new("o").expect("id"));
        decode_into(doc, &mut org).map(|()| org)
    }

    #[cfg(feature = "encrypted-assertions")]
    #[test]
    fn too_many_stored_decryption_keys_are_refused_before_any_is_parsed() {
        // Not PEM at all: the count refuses them before the first parse would.
        let k = r#"{"private_key":"junk","certificate":"junk"}"#;
        let e = decode(&format!(r#"{{"sp_decryption_keys":[{k},{k},{k}]}}"#)).unwrap_err();
        assert!(e.contains("3 SP decryption keys (at most 2)"), "{e}");
        let e = decode(&format!(r#"{{"sp_decryption_keys":[{k}]}}"#)).unwrap_err();
        assert!(e.contains("SP private key"), "{e}");
        assert!(decode(r#"{"sp_decryption_keys":[]}"#).is_ok());
    }

    #[cfg(not(feature = "encrypted-assertions"))]
    #[test]
    fn stored_decryption_keys_are_not_dropped_by_a_build_without_the_feature() {
        let k = r#"{"private_key":"junk","certificate":"junk"}"#;
        let e = decode(&format!(r#"{{"sp_decryption_keys":[{k}]}}"#)).unwrap_err();
        assert!(e.contains("encrypted-assertions feature"), "{e}");
        assert!(decode(r#"{"sp_decryption_keys":[]}"#).is_ok());
        assert!(decode(r#"{"name":"x"}"#).is_ok());
    }
}
