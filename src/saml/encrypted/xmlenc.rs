//! The accepted XML Encryption profile for an `EncryptedAssertion`: what Okta, ADFS, Shibboleth
//! and pysaml2 send, read into [`Parts`]. Nothing here is secret or trusted: it decides which
//! algorithms to run, and refuses anything else before any key is used.

use crate::error::EncryptionError;
use crate::xml::Element;

/// The XML Encryption 1.0 namespace.
pub(crate) const XENC_NS: &str = "http://www.w3.org/2001/04/xmlenc#";
/// The XML Encryption 1.1 namespace (GCM, `rsa-oaep`, MGF).
const XENC11_NS: &str = "http://www.w3.org/2009/xmlenc11#";
const DSIG_NS: &str = crate::dsig::DSIG_NS;
const TYPE_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
/// The most EncryptedKeys (and KeyInfo entries) read: each may cost an RSA decryption per SP key.
const MAX_KEYS: usize = 8;
const TYPE_ENCRYPTED_KEY: &str = "http://www.w3.org/2001/04/xmlenc#EncryptedKey";

/// How the content key is wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyTransport {
    /// RSA-OAEP; the digest and MGF1 digest are the same.
    Oaep(OaepDigest),
    /// RSA PKCS#1 v1.5 (`rsa-1_5`), only with the opt-in.
    Pkcs1,
}

/// The OAEP digest (also the MGF1 digest: mixed pairs are refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OaepDigest {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl OaepDigest {
    fn from_digest_uri(uri: &str) -> Option<OaepDigest> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => OaepDigest::Sha1,
            "http://www.w3.org/2001/04/xmlenc#sha256" => OaepDigest::Sha256,
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => OaepDigest::Sha384,
            "http://www.w3.org/2001/04/xmlenc#sha512" => OaepDigest::Sha512,
            _ => return None,
        })
    }

    fn from_mgf_uri(uri: &str) -> Option<OaepDigest> {
        Some(match uri {
            "http://www.w3.org/2009/xmlenc11#mgf1sha1" => OaepDigest::Sha1,
            "http://www.w3.org/2009/xmlenc11#mgf1sha256" => OaepDigest::Sha256,
            "http://www.w3.org/2009/xmlenc11#mgf1sha384" => OaepDigest::Sha384,
            "http://www.w3.org/2009/xmlenc11#mgf1sha512" => OaepDigest::Sha512,
            _ => return None,
        })
    }

    pub(crate) fn algorithm(self) -> &'static aws_lc_rs::rsa::OaepAlgorithm {
        use aws_lc_rs::rsa;
        match self {
            OaepDigest::Sha1 => &rsa::OAEP_SHA1_MGF1SHA1,
            OaepDigest::Sha256 => &rsa::OAEP_SHA256_MGF1SHA256,
            OaepDigest::Sha384 => &rsa::OAEP_SHA384_MGF1SHA384,
            OaepDigest::Sha512 => &rsa::OAEP_SHA512_MGF1SHA512,
        }
    }
}

/// How the assertion is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataCipher {
    Aes128Cbc,
    Aes256Cbc,
    Aes128Gcm,
    Aes256Gcm,
}

impl DataCipher {
    fn from_uri(uri: &str) -> Option<DataCipher> {
        Some(match uri {
            "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => DataCipher::Aes128Cbc,
            "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => DataCipher::Aes256Cbc,
            "http://www.w3.org/2009/xmlenc11#aes128-gcm" => DataCipher::Aes128Gcm,
            "http://www.w3.org/2009/xmlenc11#aes256-gcm" => DataCipher::Aes256Gcm,
            _ => return None,
        })
    }

    /// The content key's length in bytes.
    pub(crate) fn key_len(self) -> usize {
        match self {
            DataCipher::Aes128Cbc | DataCipher::Aes128Gcm => 16,
            DataCipher::Aes256Cbc | DataCipher::Aes256Gcm => 32,
        }
    }
}

/// One `EncryptedKey` that may hold the content key.
#[derive(Clone, Debug)]
pub(crate) struct WrappedKey {
    pub transport: KeyTransport,
    pub value: Vec<u8>,
}

/// An `EncryptedAssertion` within the profile, decoded.
#[derive(Clone, Debug)]
pub(crate) struct Parts {
    pub cipher: DataCipher,
    /// IV, ciphertext and (GCM) tag, as `CipherValue` holds them.
    pub data: Vec<u8>,
    /// The candidate wrapped keys, in document order.
    pub keys: Vec<WrappedKey>,
}

fn structure(reason: impl Into<String>) -> EncryptionError {
    EncryptionError::Structure {
        reason: reason.into(),
    }
}

fn unsupported(uri: &str) -> EncryptionError {
    EncryptionError::UnsupportedAlgorithm {
        algorithm: uri.chars().take(200).collect(),
    }
}

/// The only child element `{ns}local` of `e`, refusing a second one.
fn one<'d>(e: Element<'d>, ns: &str, local: &str) -> Result<Option<Element<'d>>, EncryptionError> {
    let mut it = e.children_named(ns, local);
    let first = it.next();
    if it.next().is_some() {
        return Err(structure(format!(
            "{} has several {local} children",
            e.local_name()
        )));
    }
    Ok(first)
}

fn required<'d>(e: Element<'d>, ns: &str, local: &str) -> Result<Element<'d>, EncryptionError> {
    one(e, ns, local)?.ok_or_else(|| structure(format!("{} has no {local}", e.local_name())))
}

/// The decoded `CipherData/CipherValue` of `e` (`CipherReference` is refused: no fetching).
fn cipher_value(e: Element<'_>, max: usize) -> Result<Vec<u8>, EncryptionError> {
    let data = required(e, XENC_NS, "CipherData")?;
    if one(data, XENC_NS, "CipherReference")?.is_some() {
        return Err(structure(
            "CipherReference (ciphertext fetched from elsewhere) is refused",
        ));
    }
    let value = required(data, XENC_NS, "CipherValue")?;
    let text = value
        .text()
        .map_err(|_| structure("CipherValue holds elements"))?;
    if text.len() > max.saturating_mul(4) / 3 + 4 {
        return Err(structure(format!(
            "CipherValue is over the {max}-byte limit"
        )));
    }
    crate::b64::decode_lenient(text.as_bytes(), max)
        .map_err(|r| structure(format!("CipherValue: {r}")))
}

/// Reads the key transport of an `EncryptedKey` (`policy_pkcs1`: `rsa-1_5` is opted in).
fn transport(k: Element<'_>, allow_pkcs1: bool) -> Result<KeyTransport, EncryptionError> {
    let method = required(k, XENC_NS, "EncryptionMethod")?;
    let uri = method
        .attribute("Algorithm")
        .ok_or_else(|| structure("EncryptedKey's EncryptionMethod has no Algorithm"))?;
    let digest = match one(method, DSIG_NS, "DigestMethod")? {
        Some(d) => {
            let d = d.attribute("Algorithm").unwrap_or("");
            Some(OaepDigest::from_digest_uri(d).ok_or_else(|| unsupported(d))?)
        }
        None => None,
    };
    if let Some(p) = one(method, XENC_NS, "OAEPparams")? {
        if !p.text().map(|t| t.trim().is_empty()).unwrap_or(false) {
            return Err(unsupported("OAEPparams (an OAEP label)"));
        }
    }
    for c in method.child_elements() {
        let known =
            c.is(DSIG_NS, "DigestMethod") || c.is(XENC_NS, "OAEPparams") || c.is(XENC11_NS, "MGF");
        if !known {
            return Err(structure(format!(
                "unexpected {} in EncryptedKey's EncryptionMethod",
                c.local_name()
            )));
        }
    }
    match uri {
        "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p" => {
            if one(method, XENC11_NS, "MGF")?.is_some() {
                return Err(structure("rsa-oaep-mgf1p takes no MGF (its MGF1 is SHA-1)"));
            }
            match digest.unwrap_or(OaepDigest::Sha1) {
                OaepDigest::Sha1 => Ok(KeyTransport::Oaep(OaepDigest::Sha1)),
                // The digest of rsa-oaep-mgf1p with MGF1-SHA-1: a mixed pair.
                _ => Err(unsupported(
                    "rsa-oaep-mgf1p with a digest other than SHA-1 (MGF1 is SHA-1)",
                )),
            }
        }
        "http://www.w3.org/2009/xmlenc11#rsa-oaep" => {
            let digest = digest.unwrap_or(OaepDigest::Sha1);
            let mgf = match one(method, XENC11_NS, "MGF")? {
                Some(m) => {
                    let m = m.attribute("Algorithm").unwrap_or("");
                    OaepDigest::from_mgf_uri(m).ok_or_else(|| unsupported(m))?
                }
                None => OaepDigest::Sha1,
            };
            if mgf != digest {
                return Err(unsupported(
                    "rsa-oaep with different digest and MGF1 digests",
                ));
            }
            Ok(KeyTransport::Oaep(digest))
        }
        "http://www.w3.org/2001/04/xmlenc#rsa-1_5" if allow_pkcs1 => Ok(KeyTransport::Pkcs1),
        other => Err(unsupported(other)),
    }
}

fn wrapped(k: Element<'_>, allow_pkcs1: bool) -> Result<WrappedKey, EncryptionError> {
    let transport = transport(k, allow_pkcs1)?;
    // A wrapped key is one RSA block: 8192-bit keys at most.
    let value = cipher_value(k, 1024)?;
    Ok(WrappedKey { transport, value })
}

/// Reads `encrypted` (a `saml:EncryptedAssertion`) within the profile: one `EncryptedData` of
/// `Type` Element, whose key is an `EncryptedKey` inside its `KeyInfo`, or a sibling
/// `EncryptedKey` named by `RetrievalMethod` (`URI="#id"`) or by `KeyName` (its
/// `CarriedKeyName`). `max` bounds the decoded ciphertext (and so the plaintext).
pub(crate) fn parse(
    encrypted: Element<'_>,
    max: usize,
    allow_pkcs1: bool,
) -> Result<Parts, EncryptionError> {
    let data = required(encrypted, XENC_NS, "EncryptedData")?;
    // At most MAX_KEYS EncryptedKeys beside the data and MAX_KEYS KeyInfo entries: matching
    // one list against the other never costs more than MAX_KEYS squared.
    let siblings: Vec<Element<'_>> = encrypted
        .children_named(XENC_NS, "EncryptedKey")
        .take(MAX_KEYS + 1)
        .collect();
    if siblings.len() > MAX_KEYS {
        return Err(structure(format!("more than {MAX_KEYS} EncryptedKeys")));
    }
    for c in encrypted.child_elements() {
        if !(c.is(XENC_NS, "EncryptedData") || c.is(XENC_NS, "EncryptedKey")) {
            return Err(structure(format!(
                "unexpected {} in EncryptedAssertion",
                c.local_name()
            )));
        }
    }
    if let Some(t) = data.attribute("Type") {
        if t != TYPE_ELEMENT {
            return Err(structure(format!(
                "EncryptedData Type {t:?} (an encrypted Element is expected)"
            )));
        }
    }
    let method = required(data, XENC_NS, "EncryptionMethod")?;
    let uri = method
        .attribute("Algorithm")
        .ok_or_else(|| structure("EncryptedData's EncryptionMethod has no Algorithm"))?;
    let cipher = DataCipher::from_uri(uri).ok_or_else(|| unsupported(uri))?;
    let mut keys = Vec::new();
    if let Some(info) = one(data, DSIG_NS, "KeyInfo")? {
        if info.child_elements().nth(MAX_KEYS).is_some() {
            return Err(structure(format!(
                "more than {MAX_KEYS} entries in KeyInfo"
            )));
        }
        for k in info.child_elements() {
            if k.is(XENC_NS, "EncryptedKey") {
                keys.push(wrapped(k, allow_pkcs1)?);
            } else if k.is(DSIG_NS, "RetrievalMethod") {
                if k.attribute("Type").is_some_and(|t| t != TYPE_ENCRYPTED_KEY) {
                    return Err(structure(
                        "RetrievalMethod of a Type other than EncryptedKey",
                    ));
                }
                let id = k
                    .attribute("URI")
                    .and_then(|u| u.strip_prefix('#'))
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| structure("RetrievalMethod URI is not a same-document #id"))?;
                let target = siblings
                    .iter()
                    .find(|s| s.attribute("Id") == Some(id))
                    .ok_or_else(|| {
                        structure(
                            "RetrievalMethod names no EncryptedKey of this EncryptedAssertion",
                        )
                    })?;
                keys.push(wrapped(*target, allow_pkcs1)?);
            } else if k.is(DSIG_NS, "KeyName") {
                let name = k.text().map_err(|_| structure("KeyName holds elements"))?;
                let name = name.trim();
                for s in &siblings {
                    let carried = one(*s, XENC_NS, "CarriedKeyName")?;
                    if let Some(c) = carried {
                        if c.text().is_ok_and(|t| t.trim() == name) {
                            keys.push(wrapped(*s, allow_pkcs1)?);
                        }
                    }
                }
            } else {
                return Err(structure(format!(
                    "unexpected {} in EncryptedData's KeyInfo (the key must be an EncryptedKey)",
                    k.local_name()
                )));
            }
        }
    } else {
        // No KeyInfo: the EncryptedKeys beside the EncryptedData (as some IdPs place them).
        for s in &siblings {
            keys.push(wrapped(*s, allow_pkcs1)?);
        }
    }
    if keys.is_empty() {
        return Err(structure("no EncryptedKey holds the content key"));
    }
    if keys.len() > MAX_KEYS {
        return Err(structure(format!(
            "{} candidate EncryptedKeys (at most {MAX_KEYS})",
            keys.len()
        )));
    }
    let data = cipher_value(data, max)?;
    Ok(Parts { cipher, data, keys })
}
