//! ECDSA signatures (P-256 and P-384, SHA-256 and SHA-384), on responses the xmlsec1 CLI signed
//! (tests/vectors-extra/generate.py): the manifest's outcomes are checked by saml_vectors.rs;
//! here, what an admin reads when the certificate and the signature do not fit, and tampering
//! with the signature value itself.

mod common;

use common::{extra_manifest, Vector};
use sso_scim::{RequestState, SamlError, SignatureError, SignedPart};

fn vector(file: &str) -> Vector {
    extra_manifest()
        .vectors
        .into_iter()
        .find(|v| v.file == file)
        .unwrap_or_else(|| panic!("{file} is in tests/vectors-extra/manifest.json"))
}

fn validate(v: &Vector, xml: &[u8]) -> Result<(), SamlError> {
    let ids = v.request_ids();
    v.validator(false)
        .validate_xml(xml, &RequestState::outstanding(&ids), v.now())
        .map(|_| ())
}

#[test]
fn a_signature_no_configured_key_can_verify_says_which_keys_there_are() {
    let v = vector("invalid-ecdsa-with-rsa-cert.xml");
    let e = validate(&v, &v.bytes()).unwrap_err();
    match &e {
        SamlError::Signature(SignatureError::KeyMismatch {
            algorithm, keys, ..
        }) => {
            assert_eq!(
                algorithm,
                "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
            );
            assert_eq!(keys, "RSA 2048-bit");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.code(), "signature");
    assert!(
        e.to_string()
            .contains("which no configured certificate can verify (they hold RSA 2048-bit)"),
        "{e}"
    );

    let v = vector("invalid-rsa-with-ecdsa-cert.xml");
    match validate(&v, &v.bytes()).unwrap_err() {
        SamlError::Signature(SignatureError::KeyMismatch {
            algorithm, keys, ..
        }) => {
            assert_eq!(
                algorithm,
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
            );
            assert_eq!(keys, "ECDSA P-256");
        }
        other => panic!("{other:?}"),
    }

    // Same kind of key, another key: the signature does not verify.
    let v = vector("invalid-ecdsa-other-p256-key.xml");
    assert!(matches!(
        validate(&v, &v.bytes()),
        Err(SamlError::Signature(SignatureError::BadSignature { .. }))
    ));
}

/// Where the first SignatureValue's text is.
fn signature_value(xml: &str) -> (usize, usize) {
    let start = xml.find("<ds:SignatureValue>").expect("a SignatureValue") + 19;
    let end = start + xml[start..].find("</ds:SignatureValue>").expect("closed");
    (start, end)
}

#[test]
fn a_changed_or_resized_signature_value_never_verifies() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for file in [
        "valid-ecdsa-p256-sha256.xml",
        "valid-ecdsa-p384-sha384.xml",
        "valid-ecdsa-p256-sha384.xml",
        "valid-ecdsa-p384-sha256.xml",
    ] {
        let v = vector(file);
        let xml = String::from_utf8(v.bytes()).unwrap();
        validate(&v, xml.as_bytes()).unwrap_or_else(|e| panic!("{file}: {e}"));
        let (start, end) = signature_value(&xml);
        let text: String = xml[start..end].split_whitespace().collect();
        let raw = b64.decode(&text).unwrap();
        assert!(
            raw.len() == 64 || raw.len() == 96,
            "{file}: raw r||s, {} bytes",
            raw.len()
        );
        let mut variants = Vec::new();
        for i in [0, raw.len() / 2 - 1, raw.len() / 2, raw.len() - 1] {
            let mut r = raw.clone();
            r[i] ^= 0x01;
            variants.push(("one bit flipped", r));
        }
        // s = r, s = 0, r = 0, an ASN.1 encoding of the same value, a value one byte short
        // or long: each must be refused, never panic.
        let half = raw.len() / 2;
        let (r, s) = raw.split_at(half);
        variants.push(("s = r", [r, r].concat()));
        variants.push(("zero s", [r, &vec![0; half][..]].concat()));
        variants.push(("zero r", [&vec![0; half][..], s].concat()));
        variants.push(("one byte short", raw[..raw.len() - 1].to_vec()));
        variants.push(("one byte long", [&raw[..], &[0]].concat()));
        variants.push(("empty", Vec::new()));
        let mut der = vec![0x30, (raw.len() + 4) as u8, 0x02, half as u8];
        der.extend_from_slice(r);
        der.extend_from_slice(&[0x02, half as u8]);
        der.extend_from_slice(s);
        variants.push(("ASN.1 instead of raw", der));
        for (what, value) in variants {
            let changed = format!("{}{}{}", &xml[..start], b64.encode(&value), &xml[end..]);
            match validate(&v, changed.as_bytes()) {
                Err(SamlError::Signature(SignatureError::BadSignature { part, .. })) => {
                    // The first SignatureValue is the Response's when the Response is signed.
                    let first = if xml.find("<ds:Signature") < xml.find("<saml2:Assertion") {
                        SignedPart::Response
                    } else {
                        SignedPart::Assertion
                    };
                    assert_eq!(part, first, "{file}: {what}");
                }
                // An empty value is refused before any key is tried.
                Err(SamlError::Signature(_)) if value.is_empty() => {}
                other => panic!("{file}, {what}: {other:?}"),
            }
        }
    }
}

#[test]
fn ecdsa_with_sha512_or_sha1_is_refused_by_name() {
    let v = vector("valid-ecdsa-p256-sha256.xml");
    let xml = String::from_utf8(v.bytes()).unwrap();
    for (uri, code) in [
        (
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
            "signature",
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
            "signature",
        ),
    ] {
        let changed = xml.replace("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", uri);
        let e = validate(&v, changed.as_bytes()).unwrap_err();
        assert!(
            matches!(
                &e,
                SamlError::Signature(SignatureError::UnsupportedAlgorithm { algorithm, .. })
                    if algorithm == uri
            ),
            "{uri}: {e:?}"
        );
        assert_eq!(e.code(), code);
    }
}
