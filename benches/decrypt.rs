//! The cost of an encrypted assertion against the same response unencrypted, in one group per
//! document so the ratio comes from one run (feature `encrypted-assertions`).
//!
//! The documents are the validate bench's Okta 8 KB response and its 256 KiB one (1,343 group
//! values), with the Response signature taken off so that only the Assertion is signed (Okta's
//! default when encrypting). The bench encrypts that Assertion in place for the test SP key
//! with aws-lc-rs: a random AES-256 content key wrapped with RSA-OAEP (`rsa-oaep-mgf1p`),
//! the data in AES-256-CBC or AES-256-GCM.
//!
//! - `unencrypted`: `validate_xml` of the response as signed;
//! - `aes256_cbc`, `aes256_gcm`: `validate_xml` of the same response, encrypted;
//! - `rsa_oaep_unwrap`: one RSA-2048 OAEP decryption with aws-lc-rs, the floor of the extra cost.
//!
//! Run: `cargo bench --features encrypted-assertions --bench decrypt`; report
//! `aes256_* / unencrypted` per group.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::cipher::{PaddedBlockEncryptingKey, UnboundCipherKey, AES_256};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
    OAEP_SHA1_MGF1SHA1,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sso_scim::saml::SpDecryptionKey;
use sso_scim::{AssertionValidator, IdpCertificate, RequestState, Timestamp};

const OKTA_8K: &str = include_str!("../tests/vectors/generated/valid-both-signed.xml");
const LARGE_256K: &str = include_str!("data/large-256k.xml");
const CERT: &str = include_str!("../tests/vectors/generated/idp-cert.pem");
const SP_KEY: &str = include_str!("../tests/vectors-encrypted/sp-key.pem");
const SP_CERT: &str = include_str!("../tests/vectors-encrypted/sp-cert.pem");

/// `xml` without its Response signature (the first `ds:Signature`, before the Assertion).
fn assertion_signed_only(xml: &str) -> String {
    let start = xml.find("<ds:Signature").expect("a signature");
    assert!(start < xml.find("<saml2:Assertion").expect("an assertion"));
    let end = start + xml[start..].find("</ds:Signature>").expect("closed") + 15;
    format!("{}{}", &xml[..start], &xml[end..])
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    SystemRandom::new().fill(&mut b).expect("random");
    b
}

/// `xml` with its Assertion encrypted for the SP certificate (`gcm`: AES-256-GCM, else CBC).
fn encrypted(xml: &str, gcm: bool) -> String {
    let start = xml.find("<saml2:Assertion").expect("an assertion");
    let end = xml.find("</saml2:Assertion>").expect("closed") + "</saml2:Assertion>".len();
    let plain = &xml.as_bytes()[start..end];
    let cek: [u8; 32] = random();
    let data = if gcm {
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).expect("key"));
        let nonce: [u8; 12] = random();
        let mut body = plain.to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut body)
            .expect("seal");
        [nonce.as_slice(), &body].concat()
    } else {
        let key = PaddedBlockEncryptingKey::cbc_pkcs7(
            UnboundCipherKey::new(&AES_256, &cek).expect("key"),
        )
        .expect("cbc");
        let mut body = plain.to_vec();
        let context = key.encrypt(&mut body).expect("encrypt");
        let iv: &[u8] = (&context).try_into().expect("an IV");
        [iv, &body].concat()
    };
    let cert = IdpCertificate::parse(SP_CERT.as_bytes()).expect("SP certificate");
    let (_, x509) = x509_parser::parse_x509_certificate(cert.der()).expect("x509");
    let public = PublicEncryptingKey::from_der(x509.public_key().raw).expect("SPKI");
    let oaep = OaepPublicEncryptingKey::new(public).expect("oaep");
    let mut wrapped = vec![0u8; oaep.ciphertext_size()];
    let wrapped = oaep
        .encrypt(&OAEP_SHA1_MGF1SHA1, &cek, &mut wrapped, None)
        .expect("wrap")
        .to_vec();
    let alg = if gcm {
        "http://www.w3.org/2009/xmlenc11#aes256-gcm"
    } else {
        "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
    };
    format!(
        concat!(
            "{}",
            r#"<saml2:EncryptedAssertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">"#,
            r#"<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">"#,
            r#"<xenc:EncryptionMethod Algorithm="{}"/>"#,
            r#"<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>"#,
            r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml2:EncryptedAssertion>"#,
            "{}"
        ),
        &xml[..start],
        alg,
        STANDARD.encode(&wrapped),
        STANDARD.encode(&data),
        &xml[end..]
    )
}

include!("data/okta_config.rs");

fn validator() -> AssertionValidator {
    let config = okta_test_config(CERT)
        // The 256 KiB response is 343 KB once encrypted (base64): over the default limit.
        .max_response_bytes(512 * 1024)
        .build()
        .expect("config");
    let key = SpDecryptionKey::from_pem(SP_KEY, SP_CERT).expect("SP key");
    AssertionValidator::new(config).with_decryption_keys([key])
}

fn group(c: &mut Criterion, name: &str, signed: &str) {
    let v = validator();
    let now = Timestamp::parse("2026-01-15T10:00:30Z").expect("now");
    let plain = assertion_signed_only(signed);
    let cbc = encrypted(&plain, false);
    let gcm = encrypted(&plain, true);
    for doc in [&plain, &cbc, &gcm] {
        let p = v
            .validate_xml(doc.as_bytes(), &RequestState::stateless(), now)
            .expect("the bench documents validate");
        let user = p
            .consume_now(&sso_scim::MemoryReplayCache::new())
            .expect("a fresh cache");
        assert_eq!(user.email(), Some("jane.doe@example.com"));
    }
    let key = PrivateDecryptingKey::from_pkcs8(
        &STANDARD
            .decode(
                SP_KEY
                    .lines()
                    .skip_while(|l| !l.starts_with("-----BEGIN"))
                    .filter(|l| !l.starts_with("-----"))
                    .collect::<String>(),
            )
            .expect("PEM"),
    )
    .expect("PKCS#8");
    let oaep = OaepPrivateDecryptingKey::new(key).expect("oaep");
    let wrapped = {
        let s = cbc.find("<xenc:CipherValue>").expect("wrapped key") + 18;
        let e = s + cbc[s..].find('<').expect("closed");
        STANDARD.decode(&cbc[s..e]).expect("base64")
    };
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(plain.len() as u64));
    for (label, doc) in [
        ("unencrypted", &plain),
        ("aes256_cbc", &cbc),
        ("aes256_gcm", &gcm),
    ] {
        g.bench_function(label, |b| {
            b.iter(|| {
                v.validate_xml(
                    std::hint::black_box(doc.as_bytes()),
                    &RequestState::stateless(),
                    now,
                )
                .expect("validates")
            })
        });
    }
    g.bench_function("rsa_oaep_unwrap", |b| {
        let mut out = [0u8; 256];
        b.iter(|| {
            oaep.decrypt(
                &OAEP_SHA1_MGF1SHA1,
                std::hint::black_box(&wrapped),
                &mut out,
                None,
            )
            .expect("unwraps")
            .len()
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    group(c, "encrypted_okta_8k", OKTA_8K);
    group(c, "encrypted_256k", LARGE_256K);
}

criterion_group!(benches, bench);
criterion_main!(benches);
