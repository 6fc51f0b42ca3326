//! Encrypted assertions (feature `encrypted-assertions`): every vector of
//! tests/vectors-encrypted/manifest.json (encrypted by the xmlsec1 or openssl CLIs) gets its
//! listed outcome, and every change to the ciphertext, the IV, the tag, the wrapped key or the
//! algorithm URIs is refused with the one `decryption` error, unless a verified Response
//! signature refuses it first.

mod common;

#[cfg(not(feature = "encrypted-assertions"))]
#[test]
fn encrypted_assertions() {
    common::skipped(
        "encrypted_assertions",
        "build with --features encrypted-assertions (aws-lc-rs; needs a C compiler); .ci/run does",
    );
}

#[cfg(feature = "encrypted-assertions")]
mod encrypted {
    use std::path::{Path, PathBuf};

    use base64::Engine as _;
    use serde::Deserialize;
    use sso_scim::{
        saml::SpDecryptionKey, AssertionValidator, EncryptionError, RequestState, SamlError,
        SsoConfig, Timestamp,
    };

    #[derive(Deserialize)]
    struct Manifest {
        vectors: Vec<Entry>,
    }

    #[derive(Deserialize, Clone)]
    struct Entry {
        file: String,
        idp_cert: String,
        sp_keys: Vec<String>,
        sp_certs: Vec<String>,
        sp_entity_id: String,
        acs_url: String,
        idp_issuer: String,
        now: String,
        expect: String,
        email: String,
        #[serde(default)]
        expect_with_rsa1_5: Option<String>,
    }

    fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors-encrypted")
    }

    fn manifest() -> Vec<Entry> {
        let text = std::fs::read_to_string(dir().join("manifest.json")).unwrap();
        let m: Manifest = serde_json::from_str(&text).unwrap();
        assert!(m.vectors.len() >= 19, "{} vectors", m.vectors.len());
        m.vectors
    }

    fn read(name: &str) -> String {
        std::fs::read_to_string(dir().join(name)).unwrap()
    }

    fn keys(e: &Entry) -> Vec<SpDecryptionKey> {
        e.sp_keys
            .iter()
            .zip(&e.sp_certs)
            .map(|(k, c)| SpDecryptionKey::from_pem(&read(k), &read(c)).unwrap())
            .collect()
    }

    fn validator(e: &Entry, rsa1_5: bool) -> AssertionValidator {
        let config = SsoConfig::builder()
            .idp_certificate(std::fs::read(dir().join(&e.idp_cert)).unwrap())
            .idp_sso_url("https://idp.example.invalid/sso/saml")
            .idp_issuer(&e.idp_issuer)
            .sp_entity_id(&e.sp_entity_id)
            .acs_url(&e.acs_url)
            .allow_idp_initiated(true)
            .build()
            .unwrap();
        AssertionValidator::new(config)
            .with_decryption_keys(keys(e))
            .insecure_allow_rsa1_5_key_transport(rsa1_5)
    }

    fn validate(e: &Entry, xml: &str, rsa1_5: bool) -> Result<String, SamlError> {
        let now = Timestamp::parse(&e.now).unwrap();
        let pending =
            validator(e, rsa1_5).validate_xml(xml.as_bytes(), &RequestState::stateless(), now)?;
        let replay = sso_scim::MemoryReplayCache::new();
        let user = crate::common::block_on(pending.consume(&replay)).unwrap();
        Ok(user.email().unwrap_or("").to_owned())
    }

    fn check(e: &Entry, expect: &str, rsa1_5: bool) {
        let xml = read(&e.file);
        match (expect, validate(e, &xml, rsa1_5)) {
            ("valid", Ok(email)) => assert_eq!(email, e.email, "{}", e.file),
            ("valid", Err(err)) => panic!("{}: refused: {err} ({err:?})", e.file),
            (code, Err(err)) => assert_eq!(err.code(), code, "{}: {err}", e.file),
            (code, Ok(_)) => panic!("{}: accepted, expected {code}", e.file),
        }
    }

    #[test]
    fn every_vector_has_its_listed_outcome() {
        for e in manifest() {
            check(&e, &e.expect, false);
            if let Some(with) = &e.expect_with_rsa1_5 {
                check(&e, with, true);
            }
        }
    }

    #[test]
    fn without_a_decryption_key_an_encrypted_assertion_is_refused_as_before() {
        let e = manifest().remove(0);
        let config = validator(&e, false).config().clone();
        let now = Timestamp::parse(&e.now).unwrap();
        let err = AssertionValidator::new(config)
            .validate_xml(read(&e.file).as_bytes(), &RequestState::stateless(), now)
            .unwrap_err();
        assert_eq!(err.code(), "encrypted_assertion", "{err}");
    }

    #[test]
    fn one_key_of_a_rotation_is_enough_in_either_order() {
        for e in manifest().into_iter().filter(|e| e.expect == "valid") {
            let mut reversed = e.clone();
            reversed.sp_keys.reverse();
            reversed.sp_certs.reverse();
            check(&reversed, "valid", false);
        }
        // Only the first key: the vector encrypted for the second is the one decryption error.
        let e = manifest()
            .into_iter()
            .find(|e| e.file.contains("second-sp-key"))
            .unwrap();
        let mut first_only = e.clone();
        first_only.sp_keys.truncate(1);
        first_only.sp_certs.truncate(1);
        check(&first_only, "decryption", false);
    }

    /// The base64 text of the `n`-th CipherValue (0: the EncryptedKey's in KeyInfo, for the
    /// xmlsec1 layout; the data's is the last).
    fn cipher_values(xml: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(i) = xml[at..].find("<xenc:CipherValue>") {
            let start = at + i + "<xenc:CipherValue>".len();
            let end = start + xml[start..].find("</xenc:CipherValue>").unwrap();
            out.push((start, end));
            at = end;
        }
        out
    }

    fn flip(xml: &str, (start, end): (usize, usize), byte: impl Fn(usize) -> usize) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        let text: String = xml[start..end].split_whitespace().collect();
        let mut raw = b64.decode(text).unwrap();
        let i = byte(raw.len());
        raw[i] ^= 0x80;
        format!("{}{}{}", &xml[..start], b64.encode(raw), &xml[end..])
    }

    #[test]
    fn every_change_to_the_ciphertext_is_the_one_decryption_error() {
        let mut tried = 0;
        for e in manifest().into_iter().filter(|e| e.expect == "valid") {
            let xml = read(&e.file);
            let values = cipher_values(&xml);
            let (key, data) = (values[0], *values.last().unwrap());
            let gcm = xml.contains("-gcm\"");
            let response_signed = matches!(
                (xml.find("<ds:Signature"), xml.find("<saml2:EncryptedAssertion")),
                (Some(s), Some(a)) if s < a
            );
            let mut changed = vec![
                ("first IV byte", flip(&xml, data, |_| 0)),
                (
                    "last IV byte",
                    flip(&xml, data, |_| if gcm { 11 } else { 15 }),
                ),
                (
                    "first ciphertext byte",
                    flip(&xml, data, |_| if gcm { 12 } else { 16 }),
                ),
                ("middle ciphertext byte", flip(&xml, data, |n| n / 2)),
                ("last byte (tag or padding)", flip(&xml, data, |n| n - 1)),
                ("last ciphertext block", flip(&xml, data, |n| n - 17)),
                ("wrapped key", flip(&xml, key, |n| n / 2)),
                ("wrapped key's last byte", flip(&xml, key, |n| n - 1)),
            ];
            for (from, to) in crate::common::CIPHER_SWAPS {
                if xml.contains(from) {
                    changed.push(("algorithm URI swapped", xml.replacen(from, to, 1)));
                }
            }
            for (what, doc) in changed {
                tried += 1;
                match validate(&e, &doc, false) {
                    Ok(_) => panic!("{}: {what}: accepted", e.file),
                    Err(err) if response_signed => {
                        // The Response signature covers the ciphertext: it refuses first.
                        assert_eq!(err.code(), "signature", "{}: {what}: {err}", e.file)
                    }
                    Err(err) => assert_eq!(
                        err,
                        SamlError::Encryption(EncryptionError::Decryption),
                        "{}: {what}",
                        e.file
                    ),
                }
            }
        }
        assert!(tried >= 100, "{tried} changes");
    }

    #[test]
    fn the_decryption_error_has_one_message() {
        let e = SamlError::Encryption(EncryptionError::Decryption);
        assert_eq!(
            e.to_string(),
            "the EncryptedAssertion could not be decrypted and verified with the SP decryption keys"
        );
        assert_eq!(e.code(), "decryption");
        assert!(e.hint().contains("Encryption Certificate"), "{}", e.hint());
    }

    #[test]
    fn sp_keys_are_checked_like_idp_keys() {
        let key = read("sp-key.pem");
        let cert = read("sp-cert.pem");
        assert!(SpDecryptionKey::from_pem(&key, &cert).is_ok());
        assert!(matches!(
            SpDecryptionKey::from_pem(&key, &read("sp2-cert.pem")),
            Err(sso_scim::saml::SpKeyError::Mismatch)
        ));
        let weak = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors-extra/rsa1024-key.pem"),
        )
        .unwrap();
        let weak_cert = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors-extra/rsa1024-cert.pem"),
        )
        .unwrap();
        // ring refuses keys under 2048 bits as it parses them.
        assert!(matches!(
            SpDecryptionKey::from_pem(&weak, &weak_cert),
            Err(sso_scim::saml::SpKeyError::WeakKey { bits: 1024 }
                | sso_scim::saml::SpKeyError::Key(_))
        ));
        // The same key as PKCS#1 (`RSA PRIVATE KEY`) decrypts too.
        let pkcs1 = std::process::Command::new("openssl")
            .args(["rsa", "-traditional", "-in"])
            .arg(dir().join("sp-key.pem"))
            .output();
        match pkcs1 {
            Ok(out) if out.status.success() => {
                let pem = String::from_utf8(out.stdout).unwrap();
                assert!(pem.contains("BEGIN RSA PRIVATE KEY"), "{pem}");
                let k = SpDecryptionKey::from_pem(&pem, &cert).unwrap();
                let mut e = manifest().remove(0);
                e.sp_keys.clear();
                e.sp_certs.clear();
                let v = validator(&e, false).with_decryption_keys([k]);
                let now = Timestamp::parse(&e.now).unwrap();
                let pending = v
                    .validate_xml(read(&e.file).as_bytes(), &RequestState::stateless(), now)
                    .unwrap();
                let replay = sso_scim::MemoryReplayCache::new();
                let user = crate::common::block_on(pending.consume(&replay)).unwrap();
                assert_eq!(user.email(), Some(e.email.as_str()));
            }
            _ => crate::common::skipped(
                "sp_keys_are_checked_like_idp_keys (PKCS#1 part)",
                "the openssl CLI is not installed",
            ),
        }
    }

    /// Every vector is described without a key; `ResponseOverview::decrypting` reads the
    /// plaintext only with the right key, and refuses the rest with the one error.
    #[test]
    fn the_overview_describes_every_vector_and_decrypts_only_with_its_key() {
        use sso_scim::ResponseOverview;
        let sp_cert = sso_scim::IdpCertificate::parse(read("sp-cert.pem").as_bytes()).unwrap();
        for e in manifest() {
            let xml = read(&e.file);
            let o = ResponseOverview::from_xml(xml.as_bytes()).unwrap();
            assert_eq!(o.encrypted_assertion_count, 1, "{}", e.file);
            let enc = &o.encryption[0];
            assert!(
                enc.data_algorithm.is_some() && !enc.keys.is_empty(),
                "{}",
                e.file
            );
            assert!(
                enc.keys.iter().all(|k| k.wrapped_key_bits == Some(2048)),
                "{}",
                e.file
            );
            assert_eq!(
                enc.profile_error.is_some(),
                e.expect == "unsupported_algorithm",
                "{}: {:?}",
                e.file,
                enc.profile_error
            );
            assert!(!o.decrypted && o.assertion.is_none(), "{}", e.file);
            let got = ResponseOverview::decrypting(xml.as_bytes(), &keys(&e));
            match e.expect.as_str() {
                "unsupported_algorithm" => assert_eq!(
                    got.unwrap_err().code(),
                    "unsupported_algorithm",
                    "{}",
                    e.file
                ),
                _ if e.file.contains("for-another-key") => {
                    assert_eq!(got.unwrap_err().code(), "decryption", "{}", e.file)
                }
                _ => {
                    let d = got.unwrap_or_else(|err| panic!("{}: {err}", e.file));
                    assert!(d.decrypted, "{}", e.file);
                    let name_id = d.assertion.and_then(|a| a.name_id);
                    assert!(
                        name_id.is_some_and(|n| n.ends_with("@example.com")),
                        "{}",
                        e.file
                    );
                }
            }
            // The wrong key alone never decrypts anything.
            if !e.file.contains("second-sp-key") && e.expect != "unsupported_algorithm" {
                let only_second =
                    [
                        SpDecryptionKey::from_pem(&read("sp2-key.pem"), &read("sp2-cert.pem"))
                            .unwrap(),
                    ];
                let err = ResponseOverview::decrypting(xml.as_bytes(), &only_second).unwrap_err();
                assert_eq!(err.code(), "decryption", "{}", e.file);
            }
        }
        // As Okta sends it: the wrapped key names the certificate it was encrypted for.
        let okta = read("valid-xmlsec-okta-certificate-in-keyinfo.xml");
        let o = ResponseOverview::from_xml(okta.as_bytes()).unwrap();
        let key = &o.encryption[0].keys[0];
        assert_eq!(key.certificate_sha256, Some(sp_cert.sha256_fingerprint()));
        assert!(key.location.contains("inside the EncryptedData's KeyInfo"));
        assert_eq!(
            key.algorithm.as_deref(),
            Some("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p")
        );
    }

    /// The wrapped keys read are bounded before any key is used: more than 8 EncryptedKeys,
    /// more than 8 KeyInfo entries, or names matching more than 8 candidates are refused
    /// (each candidate may cost an RSA decryption per SP key).
    #[test]
    fn wrapped_key_lists_are_bounded_before_any_key_is_used() {
        let e = manifest()
            .into_iter()
            .find(|e| e.file == "valid-openssl-carried-key-name.xml")
            .unwrap();
        let xml = read(&e.file);
        let start = xml.find("<xenc:EncryptedKey").unwrap();
        let end = xml.find("</xenc:EncryptedKey>").unwrap() + "</xenc:EncryptedKey>".len();
        let sibling = &xml[start..end];
        let name = "<ds:KeyName>sp-2026</ds:KeyName>";
        assert!(xml.contains(name));
        let refused = |doc: String, why: &str| {
            let err = validate(&e, &doc, false).unwrap_err();
            assert_eq!(err.code(), "encrypted_assertion", "{why}: {err}");
            assert!(err.to_string().contains(why), "{why}: {err}");
        };
        // The vector itself passes; 8 copies of its key beside the data still do.
        validate(&e, &xml, false).unwrap();
        let mut eight = xml.clone();
        eight.insert_str(end, &sibling.repeat(7));
        validate(&e, &eight, false).unwrap();
        let mut nine = xml.clone();
        nine.insert_str(end, &sibling.repeat(8));
        refused(nine, "more than 8 EncryptedKeys");
        refused(
            xml.replace(name, &name.repeat(9)),
            "more than 8 entries in KeyInfo",
        );
        // 3 names x 3 matching keys = 9 candidates.
        let mut many = xml.replace(name, &name.repeat(3));
        let end = many.find("</xenc:EncryptedKey>").unwrap() + "</xenc:EncryptedKey>".len();
        many.insert_str(end, &sibling.repeat(2));
        refused(many, "candidate EncryptedKeys (at most 8)");
    }

    /// A CipherValue whose last symbol leaves non-zero trailing bits is not the base64 any
    /// encoder writes: refused as the form (`encrypted_assertion`), before any key is used, and
    /// the same whatever the key. The form value reads as the raw XML does.
    #[test]
    fn non_canonical_base64_is_the_form_error_and_form_values_read_alike() {
        use sso_scim::ResponseOverview;
        let e = manifest()
            .into_iter()
            .find(|e| e.file == "valid-xmlsec-aes256-gcm-oaep-mgf1p.xml")
            .unwrap();
        let xml = read(&e.file);
        let end = xml.rfind("</xenc:CipherValue>").unwrap();
        let start = xml[..end].rfind('>').unwrap() + 1;
        let text = xml[start..end].trim_end();
        // The data is IV + ciphertext + tag; find a length whose last symbol carries spare bits.
        let pad = text.len() - text.trim_end_matches('=').len();
        assert!(pad > 0, "the vector's ciphertext length needs padding");
        let last = text.len() - pad - 1;
        let symbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let value = symbols.find(&text[last..last + 1]).unwrap();
        let spare = symbols.as_bytes()[value | 1] as char;
        let mut changed = xml.clone();
        changed.replace_range(start + last..start + last + 1, &spare.to_string());
        for rsa1_5 in [false, true] {
            let err = validate(&e, &changed, rsa1_5).unwrap_err();
            assert_eq!(err.code(), "encrypted_assertion", "{err}");
        }
        let form = base64::engine::general_purpose::STANDARD.encode(xml.as_bytes());
        let from_form = ResponseOverview::decrypting_form_value(&form, &keys(&e)).unwrap();
        assert_eq!(
            from_form,
            ResponseOverview::decrypting(xml.as_bytes(), &keys(&e)).unwrap()
        );
        assert!(from_form.decrypted);
    }
}
