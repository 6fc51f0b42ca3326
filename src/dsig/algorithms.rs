//! The algorithms of the profile: digests, and signature methods with the ring algorithm each
//! one takes for a given key.

use ring::digest;
use ring::signature as sig;

use super::{IdpKey, KeyAlgorithm};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DigestAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlg {
    pub(super) fn from_uri(uri: &str) -> Option<DigestAlg> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => DigestAlg::Sha1,
            "http://www.w3.org/2001/04/xmlenc#sha256" => DigestAlg::Sha256,
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => DigestAlg::Sha384,
            "http://www.w3.org/2001/04/xmlenc#sha512" => DigestAlg::Sha512,
            _ => return None,
        })
    }

    pub(crate) fn ring(self) -> &'static digest::Algorithm {
        match self {
            DigestAlg::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            DigestAlg::Sha256 => &digest::SHA256,
            DigestAlg::Sha384 => &digest::SHA384,
            DigestAlg::Sha512 => &digest::SHA512,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignatureAlg {
    RsaSha1,
    RsaSha256,
    RsaSha384,
    RsaSha512,
    EcdsaSha256,
    EcdsaSha384,
}

impl SignatureAlg {
    pub(super) fn from_uri(uri: &str) -> Option<SignatureAlg> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => SignatureAlg::RsaSha1,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => SignatureAlg::RsaSha256,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => SignatureAlg::RsaSha384,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => SignatureAlg::RsaSha512,
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => SignatureAlg::EcdsaSha256,
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => SignatureAlg::EcdsaSha384,
            _ => return None,
        })
    }

    /// The URI, for messages.
    pub(super) fn uri(self) -> &'static str {
        match self {
            SignatureAlg::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            SignatureAlg::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            SignatureAlg::RsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
            SignatureAlg::RsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            SignatureAlg::EcdsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            SignatureAlg::EcdsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
        }
    }

    pub(super) fn is_rsa(self) -> bool {
        !matches!(self, SignatureAlg::EcdsaSha256 | SignatureAlg::EcdsaSha384)
    }

    /// ring's verification algorithm for this SignatureMethod and `key`, if they fit together
    /// (the size rule for RSA keys is [`usable`]'s).
    pub(super) fn verification(
        self,
        key: &IdpKey,
    ) -> Option<&'static dyn sig::VerificationAlgorithm> {
        match (self, key.algorithm()) {
            (SignatureAlg::EcdsaSha256, KeyAlgorithm::EcdsaP256) => {
                Some(&sig::ECDSA_P256_SHA256_FIXED)
            }
            // ring has these two pairs for ASN.1 signatures only: the raw value is re-encoded
            // for them (in `Prepared::finish`).
            (SignatureAlg::EcdsaSha384, KeyAlgorithm::EcdsaP256) => {
                Some(&sig::ECDSA_P256_SHA384_ASN1)
            }
            (SignatureAlg::EcdsaSha256, KeyAlgorithm::EcdsaP384) => {
                Some(&sig::ECDSA_P384_SHA256_ASN1)
            }
            (SignatureAlg::EcdsaSha384, KeyAlgorithm::EcdsaP384) => {
                Some(&sig::ECDSA_P384_SHA384_FIXED)
            }
            (alg, KeyAlgorithm::Rsa { bits }) if alg.is_rsa() => alg
                .rsa_params(bits)
                .map(|p| p as &dyn sig::VerificationAlgorithm),
            _ => None,
        }
    }

    /// ring's verification parameters for this RSA algorithm and a key of `bits` bits, if any.
    pub(super) fn rsa_params(self, bits: usize) -> Option<&'static sig::RsaParameters> {
        let strong = bits >= 2048;
        Some(match (self, strong) {
            (SignatureAlg::RsaSha1, true) => &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            (SignatureAlg::RsaSha1, false) => &sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            (SignatureAlg::RsaSha256, true) => &sig::RSA_PKCS1_2048_8192_SHA256,
            (SignatureAlg::RsaSha256, false) => {
                &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
            }
            (SignatureAlg::RsaSha384, true) => &sig::RSA_PKCS1_2048_8192_SHA384,
            (SignatureAlg::RsaSha384, false) => return None,
            (SignatureAlg::RsaSha512, true) => &sig::RSA_PKCS1_2048_8192_SHA512,
            (SignatureAlg::RsaSha512, false) => {
                &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
            }
            (SignatureAlg::EcdsaSha256 | SignatureAlg::EcdsaSha384, _) => return None,
        })
    }
}

/// XML-DSig's raw ECDSA value `r || s` (each `coordinate` bytes) as the DER `ECDSA-Sig-Value`
/// ring's ASN.1 algorithms take; `None` when the value has another length.
pub(super) fn ecdsa_fixed_to_der(raw: &[u8], coordinate: usize) -> Option<Vec<u8>> {
    if raw.len() != 2 * coordinate {
        return None;
    }
    let (r, s) = raw.split_at(coordinate);
    let integer = |out: &mut Vec<u8>, v: &[u8]| {
        let v = match v.iter().position(|&b| b != 0) {
            Some(i) => &v[i..],
            None => &[0u8][..],
        };
        let pad = v.first().is_some_and(|&b| b & 0x80 != 0);
        out.push(0x02);
        out.push((v.len() + usize::from(pad)) as u8);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
    };
    let mut body = Vec::with_capacity(2 * coordinate + 6);
    integer(&mut body, r);
    integer(&mut body, s);
    // At most 2 * (2 + 1 + 48) = 102 bytes: a one-byte length.
    let mut der = Vec::with_capacity(body.len() + 2);
    der.push(0x30);
    der.push(body.len() as u8);
    der.extend_from_slice(&body);
    Some(der)
}
