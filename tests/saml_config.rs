//! SsoConfig: every field validated on construction, errors naming the field and the Okta setting,
//! certificates in every form an admin pastes, warnings computed from an explicit `now`, serde
//! through the same validation.

use std::time::Duration;

use sso_scim::{
    CertificateError, ConfigField, ConfigWarning, IdpCertificate, KeyAlgorithm, SsoConfig,
    SsoConfigBuilder, Timestamp,
};

const PEM: &str = include_str!("vectors/generated/idp-cert.pem");
const ATTACKER_PEM: &str = include_str!("vectors/generated/attacker-cert.pem");
const LEGACY_PEM: &str = include_str!("vectors/external/python3-saml/idp_cert.pem");
const DER: &[u8] = include_bytes!("data/idp-cert.der");
const EC_PEM: &str = include_str!("data/ec-cert.pem");
const ED25519_PEM: &str = include_str!("data/ed25519-cert.pem");
const P521_PEM: &str = include_str!("data/ec-p521-cert.pem");
const SECP256K1_PEM: &str = include_str!("data/ec-secp256k1-cert.pem");

fn base() -> SsoConfigBuilder {
    SsoConfig::builder()
        .idp_certificate(PEM)
        .idp_sso_url("https://dev-123.okta.com/app/x/exkTEST/sso/saml")
        .idp_issuer("http://www.okta.com/exkTEST")
        .sp_entity_id("https://sp.example.com/saml/metadata")
        .acs_url("https://sp.example.com/saml/acs")
}

fn pem_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn defaults_are_the_documented_ones() {
    let c = base().build().unwrap();
    assert_eq!(c.clock_skew(), Duration::from_secs(180));
    assert!(!c.allows_idp_initiated());
    assert_eq!(c.email_attribute(), "email");
    assert!(c.require_email());
    assert_eq!(
        (c.first_name_attribute(), c.last_name_attribute()),
        ("firstName", "lastName")
    );
    assert!(!c.insecure_allow_sha1());
    assert_eq!(c.max_response_bytes(), 256 * 1024);
    assert_eq!(c.idp_certificates().len(), 1);
}

#[test]
fn certificates_in_every_form_parse_to_the_same_key() {
    let from_pem = IdpCertificate::parse(PEM.as_bytes()).unwrap();
    let from_b64 = IdpCertificate::parse(pem_body(PEM).as_bytes()).unwrap();
    let from_one_line = IdpCertificate::parse(pem_body(PEM).replace('\n', "").as_bytes()).unwrap();
    let from_der = IdpCertificate::parse(DER).unwrap();
    let crlf = PEM.replace('\n', "\r\n");
    let from_crlf = IdpCertificate::parse(format!("\u{feff}  {crlf}  ").as_bytes()).unwrap();
    for c in [&from_b64, &from_one_line, &from_der, &from_crlf] {
        assert_eq!(c, &from_pem);
    }
    assert_eq!(from_pem.der(), DER);
    assert_eq!(
        IdpCertificate::parse(from_pem.to_pem().as_bytes()).unwrap(),
        from_pem
    );
    assert_eq!(from_pem.key_bits(), 2048);
    assert_eq!(
        from_pem.not_before(),
        Timestamp::parse("2025-01-01T00:00:00Z").unwrap()
    );
    assert_eq!(
        from_pem.not_after(),
        Timestamp::parse("2045-01-01T00:00:00Z").unwrap()
    );
    assert!(from_pem.subject().contains("test-idp.example.com"));
    assert_eq!(from_pem.sha256_fingerprint().len(), 95);
}

#[test]
fn several_certificates_for_rollover() {
    let both = format!("{PEM}\n{ATTACKER_PEM}");
    assert_eq!(IdpCertificate::parse_all(both.as_bytes()).unwrap().len(), 2);
    assert!(
        IdpCertificate::parse(both.as_bytes()).is_err(),
        "parse() wants exactly one"
    );
    let c = base().idp_certificate(ATTACKER_PEM).build().unwrap();
    assert_eq!(c.idp_certificates().len(), 2);
    // The same certificate twice is kept once.
    let c = base().idp_certificate(DER).build().unwrap();
    assert_eq!(c.idp_certificates().len(), 1);
}

#[test]
fn bad_certificates_name_the_field_and_the_okta_setting() {
    type Check = fn(&CertificateError) -> bool;
    let cases: Vec<(Vec<u8>, Check)> = vec![
        (b"".to_vec(), |e| matches!(e, CertificateError::Empty)),
        (b"   \n".to_vec(), |e| matches!(e, CertificateError::Empty)),
        (
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_vec(),
            |e| matches!(e, CertificateError::WrongPemLabel { .. }),
        ),
        (b"-----BEGIN CERTIFICATE-----\nAAAA".to_vec(), |e| {
            matches!(e, CertificateError::Encoding { .. })
        }),
        (b"not base64 at all!".to_vec(), |e| {
            matches!(e, CertificateError::Encoding { .. })
        }),
        (b"AAAA".to_vec(), |e| {
            matches!(e, CertificateError::X509 { .. })
        }),
        (DER[..DER.len() - 10].to_vec(), |e| {
            matches!(e, CertificateError::X509 { .. })
        }),
        (
            ED25519_PEM.as_bytes().to_vec(),
            |e| matches!(e, CertificateError::NotRsa { algorithm } if algorithm == "1.3.101.112"),
        ),
        (
            P521_PEM.as_bytes().to_vec(),
            |e| matches!(e, CertificateError::UnsupportedCurve { curve } if curve == "1.3.132.0.35"),
        ),
        (
            SECP256K1_PEM.as_bytes().to_vec(),
            |e| matches!(e, CertificateError::UnsupportedCurve { curve } if curve == "1.3.132.0.10"),
        ),
        (vec![0x30; 2_000_000], |e| {
            matches!(e, CertificateError::TooLarge { .. })
        }),
    ];
    for (input, expected) in cases {
        let e = IdpCertificate::parse_all(&input).unwrap_err();
        assert!(
            expected(&e),
            "{:?} gave {e:?}",
            String::from_utf8_lossy(&input[..input.len().min(40)])
        );
        let err = SsoConfig::builder()
            .idp_certificate(&input)
            .idp_sso_url("https://x.okta.com/sso")
            .idp_issuer("i")
            .sp_entity_id("s")
            .acs_url("https://sp/acs")
            .build()
            .unwrap_err();
        assert_eq!(err.field(), ConfigField::IdpCertificate);
        assert!(
            err.hint().contains("Download certificate"),
            "{}",
            err.hint()
        );
    }
    let none = SsoConfig::builder()
        .idp_sso_url("https://x/")
        .idp_issuer("i")
        .sp_entity_id("s")
        .acs_url("https://sp/acs")
        .build()
        .unwrap_err();
    assert_eq!(none.field(), ConfigField::IdpCertificate);
}

#[test]
fn each_field_is_validated_and_named() {
    let cases: Vec<(SsoConfigBuilder, ConfigField, &str)> = vec![
        (
            base().idp_sso_url("not a url"),
            ConfigField::IdpSsoUrl,
            "Redirect Login URL",
        ),
        (
            base().idp_sso_url("ftp://okta.com/x"),
            ConfigField::IdpSsoUrl,
            "Redirect Login URL",
        ),
        (
            base().idp_sso_url("https://u:p@okta.com/x"),
            ConfigField::IdpSsoUrl,
            "Redirect Login URL",
        ),
        (
            base().idp_issuer(""),
            ConfigField::IdpIssuer,
            "Identity Provider Issuer",
        ),
        (
            base().idp_issuer("  \t"),
            ConfigField::IdpIssuer,
            "Identity Provider Issuer",
        ),
        (
            base().idp_issuer("http://www.okta.com/exk\nTEST"),
            ConfigField::IdpIssuer,
            "Identity Provider Issuer",
        ),
        (
            base().idp_issuer("x".repeat(2000)),
            ConfigField::IdpIssuer,
            "Identity Provider Issuer",
        ),
        (
            base().sp_entity_id(""),
            ConfigField::SpEntityId,
            "Audience URI (SP Entity ID)",
        ),
        (
            base().acs_url("/saml/acs"),
            ConfigField::AcsUrl,
            "Single sign-on URL",
        ),
        (
            base().acs_url("https://sp.example.com/acs#frag"),
            ConfigField::AcsUrl,
            "Single sign-on URL",
        ),
        (
            base().acs_url("mailto:a@b.c"),
            ConfigField::AcsUrl,
            "Single sign-on URL",
        ),
        (
            base().clock_skew(Duration::from_secs(3601)),
            ConfigField::ClockSkew,
            "seconds",
        ),
        (
            base().email_attribute(""),
            ConfigField::EmailAttribute,
            "Attribute Statements",
        ),
    ];
    for (b, field, hint) in cases {
        let e = b.build().unwrap_err();
        assert_eq!(e.field(), field, "{e}");
        assert!(e.to_string().starts_with(field.name()), "{e}");
        assert!(!e.reason().is_empty());
        assert!(e.hint().contains(hint), "{field}: {}", e.hint());
    }
    let missing = SsoConfig::builder()
        .idp_certificate(PEM)
        .build()
        .unwrap_err();
    assert_eq!(missing.field(), ConfigField::IdpSsoUrl);
}

#[test]
fn real_world_values_are_accepted() {
    // Entity ids are any non-empty string; a real Okta config uses `"123"`, quotes included.
    for id in [
        "123",
        "\"123\"",
        "urn:example:sp",
        "https://sp.example.com/saml/metadata",
    ] {
        assert_eq!(base().sp_entity_id(id).build().unwrap().sp_entity_id(), id);
    }
    // Pasted with surrounding spaces: trimmed.
    let c = base()
        .idp_issuer("  http://www.okta.com/exkTEST \n")
        .build()
        .unwrap();
    assert_eq!(c.idp_issuer(), "http://www.okta.com/exkTEST");
    assert!(base()
        .acs_url("http://localhost:8080/v1/_saml_callback")
        .build()
        .is_ok());
}

#[test]
fn warnings_use_the_given_instant() {
    let at = |s: &str| Timestamp::parse(s).unwrap();
    let c = base().build().unwrap();
    assert_eq!(c.warnings(at("2030-01-01T00:00:00Z")), vec![]);
    assert!(matches!(
        c.warnings(at("2046-01-01T00:00:00Z"))[..],
        [ConfigWarning::CertificateExpired { .. }]
    ));
    assert!(matches!(
        c.warnings(at("2044-12-15T00:00:00Z"))[..],
        [ConfigWarning::CertificateExpiresSoon { .. }]
    ));
    assert!(matches!(c.warnings(at("2044-11-15T00:00:00Z"))[..], []));
    assert!(matches!(
        c.warnings(at("2024-06-01T00:00:00Z"))[..],
        [ConfigWarning::CertificateNotYetValid { .. }]
    ));
    let legacy = base()
        .idp_certificate(LEGACY_PEM)
        .insecure_allow_sha1(true)
        .build()
        .unwrap();
    let w = legacy.warnings(at("2030-01-01T00:00:00Z"));
    assert!(
        w.iter()
            .any(|w| matches!(w, ConfigWarning::WeakKey { bits: 1024, .. })),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| matches!(w, ConfigWarning::CertificateExpired { .. })),
        "{w:?}"
    );
    assert!(w.contains(&ConfigWarning::InsecureSha1Allowed));
    for warning in w {
        assert!(!warning.to_string().is_empty());
    }
}

#[test]
fn edit_rebuilds_with_a_change() {
    let c = base().build().unwrap();
    let d = c.edit().allow_idp_initiated(true).build().unwrap();
    assert!(d.allows_idp_initiated());
    assert_eq!(d.idp_certificates(), c.idp_certificates());
    assert_eq!(d.edit().allow_idp_initiated(false).build().unwrap(), c);
}

#[cfg(feature = "serde")]
#[test]
fn serde_goes_through_the_same_validation() {
    let c = base()
        .idp_certificate(ATTACKER_PEM)
        .email_attribute("Email")
        .build()
        .unwrap();
    let json = serde_json::to_string(&c).unwrap();
    let back: SsoConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);

    // Minimal form: defaults fill the rest.
    let minimal = serde_json::json!({
        "idp_certificates": [PEM],
        "idp_sso_url": "https://dev-123.okta.com/sso",
        "idp_issuer": "http://www.okta.com/exkTEST",
        "sp_entity_id": "123",
        "acs_url": "https://sp.example.com/saml/acs",
    });
    let m: SsoConfig = serde_json::from_value(minimal.clone()).unwrap();
    assert_eq!(m.clock_skew(), Duration::from_secs(180));
    assert!(m.require_email());

    let mut bad = minimal.clone();
    bad["acs_url"] = "relative/acs".into();
    let e = serde_json::from_value::<SsoConfig>(bad)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("acs_url:"), "{e}");
    let mut bad = minimal.clone();
    bad["idp_certificates"] = serde_json::json!(["garbage"]);
    assert!(serde_json::from_value::<SsoConfig>(bad)
        .unwrap_err()
        .to_string()
        .starts_with("idp_certificates:"));
    let mut bad = minimal.clone();
    bad["idp_certificates"] = serde_json::json!([]);
    assert!(serde_json::from_value::<SsoConfig>(bad).is_err());
    let mut unknown = minimal;
    unknown["insecure"] = true.into();
    assert!(serde_json::from_value::<SsoConfig>(unknown).is_err());
}

#[test]
fn the_expiry_warning_window_is_configurable_and_survives_serialization() {
    let at = |s: &str| Timestamp::parse(s).unwrap();
    // The certificate expires 2045-01-01: 47 days after 2044-11-15.
    let default = base().build().unwrap();
    assert_eq!(
        default.cert_expiry_warning(),
        sso_scim::saml::DEFAULT_EXPIRY_WARNING
    );
    assert!(default.warnings(at("2044-11-15T00:00:00Z")).is_empty());
    let wide = base()
        .cert_expiry_warning(std::time::Duration::from_secs(60 * 86_400))
        .build()
        .unwrap();
    assert!(matches!(
        wide.warnings(at("2044-11-15T00:00:00Z"))[..],
        [ConfigWarning::CertificateExpiresSoon { .. }]
    ));
    assert!(wide.warnings(at("2044-10-15T00:00:00Z")).is_empty());
    let narrow = base()
        .cert_expiry_warning(std::time::Duration::from_secs(7 * 86_400))
        .build()
        .unwrap();
    assert!(narrow.warnings(at("2044-12-15T00:00:00Z")).is_empty());
    let json = serde_json::to_string(&wide).unwrap();
    let back: sso_scim::SsoConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back.cert_expiry_warning(), wide.cert_expiry_warning());
}

#[test]
fn names_xml_cannot_carry_are_refused() {
    // Found by the authn_request fuzz target: an entity id with U+FFFF made unparsable requests.
    for bad in ["x\u{FFFF}", "urn:sp:\u{FFFE}"] {
        let e = base().sp_entity_id(bad).build().unwrap_err();
        assert_eq!(e.field(), sso_scim::ConfigField::SpEntityId, "{bad:?}");
        let e = base().idp_issuer(bad).build().unwrap_err();
        assert_eq!(e.field(), sso_scim::ConfigField::IdpIssuer, "{bad:?}");
    }
    assert!(base()
        .sp_entity_id("urn:sp:\u{FFFD}\u{10FFFF}")
        .build()
        .is_ok());
}

#[test]
fn ecdsa_certificates_are_accepted_on_p256_and_p384() {
    let p256 = IdpCertificate::parse(EC_PEM.as_bytes()).unwrap();
    assert_eq!(p256.key_algorithm(), KeyAlgorithm::EcdsaP256);
    assert_eq!(p256.key_bits(), 256);
    let p384 = IdpCertificate::parse(include_bytes!("vectors-extra/ec-p384-cert.pem")).unwrap();
    assert_eq!(p384.key_algorithm(), KeyAlgorithm::EcdsaP384);
    assert_eq!(p384.key_algorithm().to_string(), "ECDSA P-384");
    let rsa = IdpCertificate::parse(PEM.as_bytes()).unwrap();
    assert_eq!(rsa.key_algorithm(), KeyAlgorithm::Rsa { bits: 2048 });
    // An ECDSA key is not "weak" for being 256 bits: no warning.
    let config = base().idp_certificate(EC_PEM).build().unwrap();
    let now = Timestamp::parse("2026-01-15T10:00:00Z").unwrap();
    assert!(
        !config
            .warnings(now)
            .iter()
            .any(|w| matches!(w, ConfigWarning::WeakKey { .. })),
        "{:?}",
        config.warnings(now)
    );
}
