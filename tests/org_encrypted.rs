//! An organization's SP decryption keys (feature `encrypted-assertions`) through
//! `Organizations`: the ACS step decrypts with them (two during a rotation, tried in order),
//! refuses encrypted assertions without them, and the keys survive a SQLite store being closed
//! and reopened. Responses are the xmlsec1-encrypted vectors of tests/vectors-encrypted.

mod common;

#[cfg(not(feature = "encrypted-assertions"))]
#[test]
fn organization_decryption_keys() {
    common::skipped(
        "organization_decryption_keys",
        "build with --features encrypted-assertions (aws-lc-rs; needs a C compiler); .ci/run does",
    );
}

#[cfg(feature = "encrypted-assertions")]
mod org {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use super::common::block_on;
    use base64::Engine as _;
    use sso_scim::saml::{
        IdpCertificate, IdpSettings, SpDecryptionKey, SpDecryptionKeys, SpEndpoints,
    };
    use sso_scim::store::{Account, AccountId, Accounts, Membership, OrgRole};
    use sso_scim::{MemoryStore, OrgId, Organizations, ScimService, SqliteStore, Timestamp};

    fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors-encrypted")
    }

    fn read(f: &str) -> String {
        std::fs::read_to_string(dir().join(f)).unwrap()
    }

    fn key(name: &str) -> SpDecryptionKey {
        SpDecryptionKey::from_pem(
            &read(&format!("{name}-key.pem")),
            &read(&format!("{name}-cert.pem")),
        )
        .unwrap()
    }

    fn form(file: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .encode(std::fs::read(dir().join(file)).unwrap())
            .into_bytes()
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-01-15T10:00:30Z").unwrap()
    }

    /// `store` with organization `example`: SSO for the vectors' IdP (IdP-initiated allowed,
    /// as the vectors answer no request), example.com claimed and Jane a member.
    fn setup<S>(store: Arc<S>) -> (Organizations<Arc<S>>, OrgId)
    where
        S: sso_scim::store::ScimStore
            + sso_scim::ReplayCache
            + sso_scim::AuthnRequestStore
            + Send
            + Sync
            + 'static,
    {
        let orgs = Organizations::new(store.clone());
        let scim = ScimService::new(store.clone(), "https://sp.example.com/scim/v2").unwrap();
        let o = OrgId::new("example").unwrap();
        let sp = SpEndpoints {
            entity_id: "https://sp.example.com/saml/metadata".into(),
            acs_url: "https://sp.example.com/saml/acs".into(),
        };
        block_on(orgs.create(o.clone(), None, sp)).unwrap();
        let cert = IdpCertificate::parse(
            &std::fs::read(dir().join("../vectors/generated/idp-cert.pem")).unwrap(),
        )
        .unwrap();
        let mut idp = IdpSettings::new(
            "http://www.okta.com/exkTEST",
            "https://dev-123.okta.com/app/dev-123_app_1/exkTEST/sso/saml",
            vec![cert],
        );
        idp.allow_idp_initiated = true;
        block_on(orgs.set_idp(&o, idp)).unwrap();
        block_on(scim.claim_domain(&o, "example.com")).unwrap();
        let id = AccountId::new("acct-jane").unwrap();
        block_on(store.create_account(&Account {
            id: id.clone(),
            email: "jane.doe@example.com".into(),
            provisioned_by: None,
        }))
        .unwrap()
        .unwrap();
        block_on(store.put_membership(
            &o,
            &id,
            &Membership {
                role: OrgRole::Member,
                active: true,
            },
        ))
        .unwrap()
        .unwrap();
        (orgs, o)
    }

    #[test]
    fn the_acs_step_decrypts_with_the_organizations_keys() {
        let (orgs, o) = setup(Arc::new(MemoryStore::new()));
        let login = |file: &str| block_on(orgs.finish_login(&o, &form(file), now()));
        // No keys: refused as encrypted, and the metadata publishes no encryption key.
        let e = login("valid-xmlsec-aes256-cbc-oaep-mgf1p.xml").unwrap_err();
        assert_eq!(e.code(), "encrypted_assertion");
        let md = block_on(orgs.organization(&o))
            .unwrap()
            .sp_metadata()
            .unwrap();
        assert!(!md.contains("use=\"encryption\""));

        // The current key only: its vector logs in; one for the next key does not.
        block_on(orgs.set_sp_decryption_keys(&o, SpDecryptionKeys::new([key("sp")]).unwrap()))
            .unwrap();
        let ok = login("valid-xmlsec-aes256-cbc-oaep-mgf1p.xml").unwrap();
        assert_eq!(ok.assertion.email(), Some("jane.doe@example.com"));
        assert_eq!(
            login("valid-xmlsec-second-sp-key.xml").unwrap_err().code(),
            "decryption"
        );

        // A rotation: both keys, in order; both vectors log in (each assertion once).
        let both = SpDecryptionKeys::new([key("sp"), key("sp2")]).unwrap();
        let stored = block_on(orgs.set_sp_decryption_keys(&o, both.clone())).unwrap();
        assert_eq!(stored.sp_decryption_keys, both);
        login("valid-xmlsec-second-sp-key.xml").unwrap();
        assert_eq!(
            login("valid-xmlsec-aes256-cbc-oaep-mgf1p.xml")
                .unwrap_err()
                .code(),
            "replay",
            "the first login consumed that assertion"
        );
        let md = block_on(orgs.organization(&o))
            .unwrap()
            .sp_metadata()
            .unwrap();
        assert_eq!(md.matches("use=\"encryption\"").count(), 2);

        // Removed: refused as encrypted again.
        block_on(orgs.set_sp_decryption_keys(&o, SpDecryptionKeys::default())).unwrap();
        assert_eq!(
            login("valid-xmlsec-aes128-gcm-oaep-mgf1p.xml")
                .unwrap_err()
                .code(),
            "encrypted_assertion"
        );
    }

    #[test]
    fn the_keys_are_bounded_and_distinct() {
        let e = SpDecryptionKeys::new([key("sp"), key("sp2"), key("sp")]).unwrap_err();
        assert!(e.to_string().contains("at most 2"), "{e}");
        let e = SpDecryptionKeys::new([key("sp"), key("sp")]).unwrap_err();
        assert!(e.to_string().contains("listed twice"), "{e}");
        assert!(SpDecryptionKeys::new([key("sp2"), key("sp")]).is_ok());
    }

    #[test]
    fn the_keys_survive_a_sqlite_store_reopened() {
        let path = std::env::temp_dir().join(format!(
            "sso-scim-org-encrypted-{}.sqlite3",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        {
            let (orgs, o) = setup(Arc::new(SqliteStore::open(&path).unwrap()));
            let keys = SpDecryptionKeys::new([key("sp2"), key("sp")]).unwrap();
            block_on(orgs.set_sp_decryption_keys(&o, keys)).unwrap();
        }
        let store = Arc::new(SqliteStore::open(&path).unwrap());
        let orgs = Organizations::new(store);
        let o = OrgId::new("example").unwrap();
        let back = block_on(orgs.organization(&o)).unwrap();
        let certs: Vec<_> = back
            .sp_decryption_keys
            .iter()
            .map(|k| k.certificate().clone())
            .collect();
        assert_eq!(
            certs,
            [
                key("sp2").certificate().clone(),
                key("sp").certificate().clone()
            ],
            "both keys, in order"
        );
        let ok =
            block_on(orgs.finish_login(&o, &form("valid-xmlsec-aes256-gcm-oaep-mgf1p.xml"), now()))
                .unwrap();
        assert_eq!(ok.assertion.email(), Some("jane.doe@example.com"));
        drop(orgs);
        let _ = std::fs::remove_file(&path);
    }
}
