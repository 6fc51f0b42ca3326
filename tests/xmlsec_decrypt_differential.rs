//! Differential test of decryption against libxmlsec1 (the `xmlsec1 --decrypt` CLI; feature
//! `encrypted-assertions`, and `SSO_SCIM_XMLSEC1=1`, which `.ci/run` sets after installing it).
//!
//! Every encrypted vector and changes of it (ciphertext, IV, tag and wrapped-key bytes flipped,
//! the ciphertext cut short, algorithm URIs swapped, the OAEP digest removed, the data of one
//! vector under the key of another) go through our decryption (`ResponseOverview::decrypting`),
//! our validator and libxmlsec1:
//! - whenever we accept a document, libxmlsec1 decrypts it to the same Assertion (ID and
//!   NameID), unless it is a form libxmlsec1 1.2.37 cannot read (`xmlenc11#rsa-oaep` with MGF,
//!   sibling EncryptedKeys), counted;
//! - whenever libxmlsec1 decrypts to an Assertion, we decrypt the same one, or refuse by a named
//!   refused algorithm of our profile (`rsa-1_5`), counted and reported. Any other refusal where
//!   libxmlsec1 decrypts (a `decryption` error: a crypto disagreement; a form error) fails.

mod common;

#[cfg(not(feature = "encrypted-assertions"))]
#[test]
fn decryption_against_libxmlsec1() {
    common::skipped(
        "decryption_against_libxmlsec1",
        "build with --features encrypted-assertions and set SSO_SCIM_XMLSEC1=1 (the xmlsec1 CLI); .ci/run does",
    );
}

#[cfg(feature = "encrypted-assertions")]
#[test]
fn decryption_against_libxmlsec1() {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use serde_json::Value;
    use sso_scim::saml::SpDecryptionKey;
    use sso_scim::{AssertionValidator, RequestState, ResponseOverview, SsoConfig, Timestamp};

    if std::env::var_os("SSO_SCIM_XMLSEC1").is_none() {
        common::skipped(
            "decryption_against_libxmlsec1",
            "set SSO_SCIM_XMLSEC1=1 with the xmlsec1 CLI installed; .ci/run does",
        );
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors-encrypted");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let keys: Vec<SpDecryptionKey> = [
        ("sp-key.pem", "sp-cert.pem"),
        ("sp2-key.pem", "sp2-cert.pem"),
    ]
    .iter()
    .map(|(k, c)| SpDecryptionKey::from_pem(&read(k), &read(c)).unwrap())
    .collect();
    let config = SsoConfig::builder()
        .idp_certificate(std::fs::read(dir.join("../vectors/generated/idp-cert.pem")).unwrap())
        .idp_sso_url("https://idp.example.invalid/sso/saml")
        .idp_issuer("http://www.okta.com/exkTEST")
        .sp_entity_id("https://sp.example.com/saml/metadata")
        .acs_url("https://sp.example.com/saml/acs")
        .allow_idp_initiated(true)
        .build()
        .unwrap();
    let validator = AssertionValidator::new(config).with_decryption_keys(keys.clone());
    let now = Timestamp::parse("2026-01-15T10:00:30Z").unwrap();
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("xmlsec-decrypt-differential");
    std::fs::create_dir_all(&scratch).unwrap();

    /// (Assertion ID, NameID) of the first Assertion of `xml`, by our parser.
    fn assertion_of(xml: &[u8]) -> Option<(String, String)> {
        let o = ResponseOverview::from_xml(xml).ok()?;
        let a = o.assertion?;
        Some((a.id?, a.name_id?))
    }

    // libxmlsec1's answer: the (ID, NameID) of the Assertion it decrypted, trying each SP key.
    let mut calls = 0usize;
    let mut theirs = |doc: &str| -> Option<(String, String)> {
        calls += 1;
        let f = scratch.join(format!("doc-{calls}.xml"));
        std::fs::write(&f, doc).unwrap();
        let mut found = None;
        for k in ["sp-key.pem", "sp2-key.pem"] {
            let out = Command::new("xmlsec1")
                .arg("--decrypt")
                .arg("--privkey-pem")
                .arg(dir.join(k))
                .arg(&f)
                .output()
                .expect("xmlsec1 (SSO_SCIM_XMLSEC1 is set)");
            if out.status.success() {
                found = assertion_of(&out.stdout);
                if found.is_some() {
                    break;
                }
            }
        }
        let _ = std::fs::remove_file(&f);
        found
    };

    /// The base64 text of the `nth` CipherValue of `doc`: its byte range.
    fn cipher_value(doc: &str, nth: usize) -> Option<std::ops::Range<usize>> {
        let tag = "<xenc:CipherValue>";
        let start = doc.match_indices(tag).nth(nth)?.0 + tag.len();
        Some(start..start + doc[start..].find('<')?)
    }
    fn with_bytes(doc: &str, nth: usize, change: impl Fn(&mut Vec<u8>)) -> Option<String> {
        let r = cipher_value(doc, nth)?;
        let mut bytes = STANDARD
            .decode(doc[r.clone()].replace(['\n', '\r'], ""))
            .ok()?;
        change(&mut bytes);
        Some(format!(
            "{}{}{}",
            &doc[..r.start],
            STANDARD.encode(bytes),
            &doc[r.end..]
        ))
    }

    let entries = manifest["vectors"].as_array().unwrap();
    let docs: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            let f = e["file"].as_str().unwrap().to_owned();
            let text = read(&f);
            (f, text)
        })
        .collect();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut compared = 0;
    let mut both_accept = 0;
    for (i, (file, doc)) in docs.iter().enumerate() {
        // The wrapped key's CipherValue comes first where it sits in KeyInfo; the data's is
        // the last one.
        let n = doc.matches("<xenc:CipherValue>").count();
        let data = n - 1;
        let mut variants: Vec<(String, String)> = vec![("as made".into(), doc.clone())];
        let flips = [0usize, 11, 15, 16, 17, usize::MAX / 2, usize::MAX];
        for at in flips {
            let v = with_bytes(doc, data, |b| {
                let p = if at == usize::MAX {
                    b.len() - 1
                } else if at == usize::MAX / 2 {
                    b.len() / 2
                } else {
                    at
                };
                b[p] ^= 0x01;
            });
            variants.extend(v.map(|v| (format!("data byte {at} flipped"), v)));
        }
        for nth in 0..data {
            let v = with_bytes(doc, nth, |b| b[0] ^= 0x80);
            variants.extend(v.map(|v| (format!("wrapped key {nth} flipped"), v)));
            let v = with_bytes(doc, nth, |b| {
                let l = b.len() - 1;
                b[l] ^= 0x01
            });
            variants.extend(v.map(|v| (format!("wrapped key {nth} last byte flipped"), v)));
        }
        variants.extend(
            with_bytes(doc, data, |b| b.truncate(b.len() - 16))
                .map(|v| ("data cut short".into(), v)),
        );
        for (from, to) in common::CIPHER_SWAPS.into_iter().chain([
            ("xmlenc#rsa-oaep-mgf1p", "xmlenc#rsa-1_5"),
            ("xmlenc#rsa-1_5", "xmlenc#rsa-oaep-mgf1p"),
        ]) {
            if doc.contains(from) {
                variants.push((format!("{from} -> {to}"), doc.replacen(from, to, 1)));
            }
        }
        if let Some(s) =
            doc.find("<ds:DigestMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha1\"/>")
        {
            if doc[..s]
                .rfind("<xenc:EncryptionMethod")
                .is_some_and(|m| m > doc[..s].rfind("<xenc:EncryptedKey").unwrap_or(0))
            {
                let mut v = doc.clone();
                v.replace_range(s..s + 69, "");
                variants.push(("OAEP DigestMethod removed".into(), v));
            }
        }
        // The data of the next vector under this vector's key.
        let (_, other) = &docs[(i + 1) % docs.len()];
        if let (Some(mine), Some(theirs_data)) = (
            cipher_value(doc, data),
            cipher_value(other, other.matches("<xenc:CipherValue>").count() - 1),
        ) {
            variants.push((
                "another vector's data".into(),
                format!(
                    "{}{}{}",
                    &doc[..mine.start],
                    &other[theirs_data],
                    &doc[mine.end..]
                ),
            ));
        }
        let unreadable_form = entries[i]["xmlsec1_decrypt"] == "FAIL";
        for (what, v) in variants {
            compared += 1;
            let ours = ResponseOverview::decrypting(v.as_bytes(), &keys);
            let ours_assertion = ours.as_ref().ok().and_then(|o| {
                let a = o.assertion.as_ref()?;
                Some((a.id.clone()?, a.name_id.clone()?))
            });
            let accepted = validator
                .validate_xml(v.as_bytes(), &RequestState::stateless(), now)
                .is_ok();
            let lib = theirs(&v);
            if accepted {
                match &lib {
                    Some(l) => {
                        assert_eq!(Some(l), ours_assertion.as_ref(), "{file} ({what})");
                        both_accept += 1;
                        if std::env::var_os("SSO_SCIM_DEBUG_DIFF").is_some() {
                            eprintln!("accepted alike: {file} ({what})");
                        }
                    }
                    None if unreadable_form => {
                        *counts
                            .entry("we accept a form libxmlsec1 1.2.37 cannot read".into())
                            .or_default() += 1
                    }
                    None => panic!("{file} ({what}): we accept, libxmlsec1 does not decrypt it"),
                }
            }
            match (&lib, &ours) {
                (Some(l), Ok(_)) => assert_eq!(
                    Some(l),
                    ours_assertion.as_ref(),
                    "{file} ({what}): a different plaintext"
                ),
                (Some(_), Err(e)) => {
                    // The only form libxmlsec1 reads and our profile refuses is a refused
                    // algorithm (rsa-1_5): anything else would be a disagreement.
                    assert_eq!(
                        e.code(),
                        "unsupported_algorithm",
                        "{file} ({what}): libxmlsec1 decrypts what we refuse: {e}"
                    );
                    *counts
                        .entry(format!(
                            "libxmlsec1 decrypts, our profile refuses: {}",
                            e.code()
                        ))
                        .or_default() += 1;
                }
                (None, Ok(_)) if unreadable_form => {
                    *counts
                        .entry("we decrypt a form libxmlsec1 1.2.37 cannot read".into())
                        .or_default() += 1
                }
                (None, Ok(_)) => panic!("{file} ({what}): we decrypt, libxmlsec1 does not"),
                (None, Err(_)) => *counts.entry("both refuse".into()).or_default() += 1,
            }
        }
    }
    eprintln!("decryption differential: {compared} documents, {both_accept} accepted by us and decrypted alike by libxmlsec1");
    for (k, n) in &counts {
        eprintln!("  {n:>4}  {k}");
    }
    assert!(compared >= 200, "{compared} documents");
    assert!(both_accept >= 10, "{both_accept} accepted alike");
}
