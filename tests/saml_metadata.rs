//! Metadata: real IdP metadata (Okta, ADFS, Entra ID, Google Workspace, Keycloak, Shibboleth,
//! two federation aggregates; tests/vectors/metadata, values computed by its own script) imports
//! as its manifest says; hostile or unusable metadata is refused with a typed error; our SP
//! metadata is valid against the OASIS SAML 2.0 metadata schema (xmllint, when the schemas of
//! the CI venv's pysaml2 are at hand).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use sso_scim::saml::{import_idp_metadata, sp_metadata, MetadataError, SpEndpoints, SpSigningKey};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/metadata")
}

#[test]
fn real_idp_metadata_imports_as_its_manifest_says() {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir().join("manifest.json")).unwrap()).unwrap();
    let entries = manifest.as_array().unwrap();
    assert!(entries.len() >= 12);
    let mut kinds = std::collections::BTreeSet::new();
    for e in entries {
        let file = e["file"].as_str().unwrap();
        let xml = std::fs::read(dir().join(file)).unwrap();
        let entity = e["entity_id"].as_str().unwrap();
        let pick = (e["entities"].as_u64().unwrap() > 1).then_some(entity);
        let idp = import_idp_metadata(&xml, pick).unwrap_or_else(|err| panic!("{file}: {err}"));
        assert_eq!(idp.issuer, entity, "{file}");
        let redirect = e["sso_redirect"].as_str();
        let post = e["sso_post"].as_str();
        assert_eq!(Some(idp.sso_url.as_str()), redirect.or(post), "{file}");
        assert_eq!(idp.sso_post_url.as_deref(), post, "{file}");
        assert_eq!(
            idp.certificates.len() as u64,
            e["signing_certs"].as_u64().unwrap(),
            "{file}"
        );
        assert_eq!(
            idp.want_authn_requests_signed,
            e["want_authn_requests_signed"].as_bool().unwrap_or(false),
            "{file}"
        );
        assert!(!idp.allow_idp_initiated);
        kinds.insert(e["idp"].as_str().unwrap().to_owned());
    }
    for k in [
        "okta",
        "adfs",
        "entra",
        "google",
        "keycloak",
        "shibboleth",
        "federation",
    ] {
        assert!(kinds.contains(k), "{k}");
    }
}

#[test]
fn unusable_or_hostile_metadata_is_refused_with_a_reason() {
    let fed = std::fs::read(dir().join("federation-sambi.xml")).unwrap();
    match import_idp_metadata(&fed, None) {
        Err(MetadataError::Ambiguous { count, .. }) => assert_eq!(count, 8),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        import_idp_metadata(&fed, Some("https://nope.example")),
        Err(MetadataError::NoIdp(_))
    ));
    let okta = std::fs::read_to_string(dir().join("okta-saml-kit.xml")).unwrap();
    for (what, bad) in [
        ("doctype", format!("<!DOCTYPE x [<!ENTITY e \"e\">]>{okta}")),
        ("truncated", okta[..okta.len() / 2].to_owned()),
        ("not metadata", "<x xmlns=\"urn:other\"/>".to_owned()),
        (
            "no idp",
            okta.replace("IDPSSODescriptor", "SPSSODescriptor"),
        ),
        (
            "no certificate",
            okta.replace("use=\"signing\"", "use=\"encryption\""),
        ),
        (
            "no sso",
            okta.replace("SingleSignOnService", "ArtifactResolutionService"),
        ),
        (
            "bad cert",
            okta.replacen("<ds:X509Certificate>", "<ds:X509Certificate>AAAA", 1),
        ),
    ] {
        assert!(import_idp_metadata(bad.as_bytes(), None).is_err(), "{what}");
    }
    // The same certificate named many times counts once.
    let start = okta.find("<md:KeyDescriptor").unwrap();
    let end = okta.find("</md:KeyDescriptor>").unwrap() + "</md:KeyDescriptor>".len();
    let repeated = okta.replacen(&okta[start..end], &okta[start..end].repeat(50), 1);
    assert_eq!(
        import_idp_metadata(repeated.as_bytes(), None)
            .unwrap()
            .certificates
            .len(),
        1
    );
    let huge = format!("<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">{}</md:EntityDescriptor>", " ".repeat(2 << 20));
    assert!(matches!(
        import_idp_metadata(huge.as_bytes(), None),
        Err(MetadataError::Xml(_))
    ));
}

fn sp_key() -> SpSigningKey {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/sp");
    SpSigningKey::from_pem(
        &std::fs::read_to_string(d.join("sp-key.pem")).unwrap(),
        &std::fs::read_to_string(d.join("sp-cert.pem")).unwrap(),
    )
    .unwrap()
}

fn sp() -> SpEndpoints {
    SpEndpoints {
        entity_id: "https://app.example.com/saml/acme/metadata?x=1&y=\"2\"".into(),
        acs_url: "https://app.example.com/saml/acme/acs".into(),
    }
}

#[test]
fn sp_metadata_says_what_we_do() {
    let plain = sp_metadata(&sp(), None);
    assert!(plain.contains("AuthnRequestsSigned=\"false\"") && !plain.contains("KeyDescriptor"));
    let signed = sp_metadata(&sp(), Some(&sp_key()));
    assert!(signed.contains("AuthnRequestsSigned=\"true\"") && signed.contains("use=\"signing\""));
    assert!(signed.contains(
        "entityID=\"https://app.example.com/saml/acme/metadata?x=1&amp;y=&quot;2&quot;\""
    ));
    let doc = sso_scim::xml::Document::parse(signed.as_bytes(), &Default::default()).unwrap();
    assert_eq!(
        doc.root().attribute("entityID"),
        Some(sp().entity_id.as_str())
    );
}

/// Metadata with the signing key and two decryption keys.
#[cfg(feature = "encrypted-assertions")]
fn encryption_metadata() -> String {
    use sso_scim::saml::{SpDecryptionKey, SpDecryptionKeys, SpMetadata};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors-encrypted");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let keys = SpDecryptionKeys::new(["sp", "sp2"].map(|k| {
        SpDecryptionKey::from_pem(
            &read(&format!("{k}-key.pem")),
            &read(&format!("{k}-cert.pem")),
        )
        .unwrap()
    }))
    .unwrap();
    let key = sp_key();
    SpMetadata::new(&sp())
        .signing_key(Some(&key))
        .decryption_keys(&keys)
        .to_xml()
}

#[cfg(feature = "encrypted-assertions")]
#[test]
fn sp_metadata_publishes_the_decryption_keys_in_order() {
    use sso_scim::saml::ENCRYPTION_METHODS;
    use sso_scim::xml::Document;
    let xml = encryption_metadata();
    let doc = Document::parse(xml.as_bytes(), &Default::default()).unwrap();
    let role = doc.root().child_elements().next().unwrap();
    let md = "urn:oasis:names:tc:SAML:2.0:metadata";
    let uses: Vec<&str> = role
        .children_named(md, "KeyDescriptor")
        .map(|k| k.attribute("use").unwrap())
        .collect();
    assert_eq!(uses, ["signing", "encryption", "encryption"]);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors-encrypted");
    let ds = "http://www.w3.org/2000/09/xmldsig#";
    for (kd, cert) in role
        .children_named(md, "KeyDescriptor")
        .skip(1)
        .zip(["sp-cert.pem", "sp2-cert.pem"])
    {
        let published = kd
            .descendants()
            .find(|e| e.is(ds, "X509Certificate"))
            .unwrap()
            .text()
            .unwrap()
            .into_owned();
        let expected = sso_scim::IdpCertificate::parse(
            std::fs::read_to_string(dir.join(cert)).unwrap().as_bytes(),
        )
        .unwrap();
        let got = sso_scim::IdpCertificate::parse(published.as_bytes()).unwrap();
        assert_eq!(got, expected, "{cert} is published in order");
        let methods: Vec<&str> = kd
            .children_named(md, "EncryptionMethod")
            .map(|m| m.attribute("Algorithm").unwrap())
            .collect();
        assert_eq!(methods, ENCRYPTION_METHODS);
    }
}

#[test]
fn sp_metadata_is_valid_against_the_oasis_schema() {
    let Ok(python) = std::env::var("SSO_SCIM_PYSAML2_PYTHON") else {
        common::skipped(
            "sp_metadata_is_valid_against_the_oasis_schema",
            "set SSO_SCIM_PYSAML2_PYTHON (a Python with pysaml2, whose package ships the OASIS XSDs) and install xmllint; .ci/run does",
        );
        return;
    };
    let out = Command::new(&python)
        .args(["-c", "import saml2, os; print(os.path.join(os.path.dirname(saml2.__file__), 'data', 'schemas'))"])
        .output()
        .expect("python");
    let schemas = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let tmp = std::env::temp_dir().join(format!("sso-scim-md-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let catalog = tmp.join("catalog.xml");
    std::fs::write(&catalog, format!(r#"<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <uri name="http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd" uri="file://{s}/xmldsig-core-schema.xsd"/>
  <uri name="http://www.w3.org/TR/2002/REC-xmlenc-core-20021210/xenc-schema.xsd" uri="file://{s}/xenc-schema.xsd"/>
  <uri name="http://www.w3.org/2001/xml.xsd" uri="file://{s}/xml.xsd"/>
</catalog>"#, s = schemas)).unwrap();
    // One schema for the metadata and XML Encryption 1.1 (the MGF of rsa-oaep is checked too).
    let xsd = tmp.join("driver.xsd");
    std::fs::write(&xsd, format!(r#"<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:sso-scim:test-driver">
  <xs:import namespace="urn:oasis:names:tc:SAML:2.0:metadata" schemaLocation="file://{s}/saml-schema-metadata-2.0.xsd"/>
  <xs:import namespace="http://www.w3.org/2009/xmlenc11#" schemaLocation="file://{s}/xenc-schema-11.xsd"/>
</xs:schema>"#, s = schemas)).unwrap();
    let xsd = xsd.to_str().unwrap().to_owned();
    let check = |name: &str, xml: &str| {
        let f = tmp.join(name);
        std::fs::write(&f, xml).unwrap();
        Command::new("xmllint")
            .env("XML_CATALOG_FILES", &catalog)
            .args(["--noout", "--nonet", "--schema", &xsd])
            .arg(&f)
            .output()
            .expect("xmllint (libxml2-utils)")
    };
    #[allow(unused_mut)]
    let mut documents = vec![
        ("plain.xml", sp_metadata(&sp(), None)),
        ("signed.xml", sp_metadata(&sp(), Some(&sp_key()))),
    ];
    #[cfg(feature = "encrypted-assertions")]
    documents.push(("encryption.xml", encryption_metadata()));
    for (name, xml) in documents {
        let out = check(name, &xml);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The check itself can fail: metadata with its elements out of schema order is refused.
    let wrong =
        sp_metadata(&sp(), None).replace("<md:NameIDFormat>", "<md:Bogus/><md:NameIDFormat>");
    assert!(!check("wrong.xml", &wrong).status.success());
}
