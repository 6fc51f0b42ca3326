// The cryptographic floor of a response signed twice (shared through `include!` by the
// validation benches): its two canonical signed contents, its two canonical SignedInfo, their
// signature values and the IdP's public key, all computed once, so that timing the floor times
// only two SHA-256 digests and two RSA verifications.

use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use sso_scim::xml::{canonicalize, C14nMethod, Document, Element, Limits};
use sso_scim::IdpCertificate;

const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const CERT: &str = include_str!("../../tests/vectors/generated/idp-cert.pem");

pub struct Floor {
    pub signed: Vec<Vec<u8>>,
    pub signed_info: Vec<Vec<u8>>,
    pub signature_values: Vec<Vec<u8>>,
    pub spki: Vec<u8>,
}

impl Floor {
    /// The floor: both digests and both verifications.
    pub fn run(&self) {
        for i in 0..2 {
            let d = ring::digest::digest(&ring::digest::SHA256, std::hint::black_box(&self.signed[i]));
            std::hint::black_box(d);
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.spki)
                .verify(&self.signed_info[i], &self.signature_values[i])
                .expect("verifies");
        }
    }
}

fn b64(s: &str) -> Vec<u8> {
    use base64::Engine;
    let compact: String = s.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .expect("base64")
}

pub fn floor_inputs(xml: &[u8]) -> Floor {
    let doc = Document::parse(xml, &Limits::default()).expect("parses");
    let sigs: Vec<Element<'_>> = doc.elements().filter(|e| e.is(DSIG, "Signature")).collect();
    let mut f = Floor {
        signed: Vec::new(),
        signed_info: Vec::new(),
        signature_values: Vec::new(),
        spki: Vec::new(),
    };
    for s in sigs {
        let parent = s.parent().expect("enveloped");
        let mut c = Vec::new();
        canonicalize(
            &doc,
            parent.id(),
            &C14nMethod::exclusive_with_prefix_list("xs"),
            Some(s.id()),
            &mut c,
        )
        .expect("c14n");
        f.signed.push(c);
        let si = s
            .children_named(DSIG, "SignedInfo")
            .next()
            .expect("SignedInfo");
        let mut c = Vec::new();
        canonicalize(&doc, si.id(), &C14nMethod::exclusive(), None, &mut c).expect("c14n");
        f.signed_info.push(c);
        let sv = s
            .children_named(DSIG, "SignatureValue")
            .next()
            .expect("SignatureValue");
        f.signature_values.push(b64(&sv.text().expect("text")));
    }
    let cert = IdpCertificate::parse(CERT.as_bytes()).expect("cert");
    let (_, x509) = x509_parser::parse_x509_certificate(cert.der()).expect("x509");
    f.spki = x509.public_key().subject_public_key.data.to_vec();
    f
}

