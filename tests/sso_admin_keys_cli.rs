//! `sso_admin sso decryption-keys`: SP decryption key pairs stored in order, published in the SP
//! metadata as encryption KeyDescriptors, shown by `sso show`, removed with `--none`; refused
//! when over two, duplicated, mismatched or (without `encrypted-assertions`) unsupported.
//! Needs the `dns` feature (the CLI's).

mod common;

#[cfg(not(feature = "dns"))]
#[test]
fn sso_admin_needs_the_dns_feature() {
    common::skipped(
        "sso_admin_keys_cli",
        "build with --features dns (cargo test --all-features does)",
    );
}

#[cfg(feature = "dns")]
#[test]
fn decryption_keys_are_stored_published_and_removed() {
    use std::path::PathBuf;

    use common::admin_cli::{ok, refused, scratch};

    let db = scratch("decryption-keys").join("sso.sqlite3");
    ok(
        &db,
        &[
            "--json",
            "org",
            "create",
            "acme",
            "--acs-url",
            "https://app.example.com/saml/acme/acs",
            "--sp-entity-id",
            "https://app.example.com/saml/acme",
        ],
    );
    // SP decryption keys: stored in order, published as encryption KeyDescriptors, removed
    // with --none; refused when over two, duplicated, or built without the feature.
    let enc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors-encrypted");
    let pem = |f: &str| enc.join(f).to_str().unwrap().to_owned();
    let (k1, c1, k2, c2) = (
        pem("sp-key.pem"),
        pem("sp-cert.pem"),
        pem("sp2-key.pem"),
        pem("sp2-cert.pem"),
    );
    fn set<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<&'a str> {
        let mut args = vec!["--json", "sso", "decryption-keys", "acme"];
        for (k, c) in pairs {
            args.extend(["--key", k, "--cert", c]);
        }
        args
    }
    if cfg!(feature = "encrypted-assertions") {
        let stored = ok(&db, &set(&[(&k1, &c1), (&k2, &c2)]));
        assert_eq!(
            stored["sp_decryption_certificates"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let md = ok(&db, &["--json", "sp-metadata", "acme"]);
        let xml = md["xml"].as_str().unwrap();
        assert_eq!(
            xml.matches("<md:KeyDescriptor use=\"encryption\">").count(),
            2
        );
        assert!(xml.contains("xmlenc11#aes256-gcm") && xml.contains("rsa-oaep-mgf1p"));
        assert_eq!(
            ok(&db, &["--json", "sso", "show", "acme"])["sp_decryption_keys"],
            2
        );
        refused(&db, &set(&[(&k1, &c1), (&k1, &c1)]), "invalid_certificate");
        refused(
            &db,
            &set(&[(&k1, &c1), (&k2, &c2), (&k1, &c1)]),
            "invalid_certificate",
        );
        refused(&db, &set(&[(&k1, &c2)]), "invalid_certificate");
        ok(&db, &["--json", "sso", "decryption-keys", "acme", "--none"]);
        let md = ok(&db, &["--json", "sp-metadata", "acme"]);
        assert!(!md["xml"].as_str().unwrap().contains("use=\"encryption\""));
        refused(&db, &["--json", "sso", "decryption-keys", "acme"], "usage");
    } else {
        refused(&db, &set(&[(&k1, &c1)]), "unsupported");
    }
}
