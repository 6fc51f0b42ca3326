//! What an `EncryptedAssertion` says about how it was encrypted, read without any key: the
//! algorithms, where each wrapped key sits, and the certificate the IdP encrypted for (when it
//! names one). For `saml_inspect` and admin pages: "Okta encrypted for the old certificate".

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::config::IdpCertificate;
use crate::dsig::DSIG_NS;
use crate::xml::Element;

const XENC_NS: &str = "http://www.w3.org/2001/04/xmlenc#";
const XENC11_NS: &str = "http://www.w3.org/2009/xmlenc11#";
/// At most this many EncryptedKeys are described (the validator reads at most 8).
const MAX_DESCRIBED: usize = 16;

/// How one `EncryptedAssertion` was encrypted, read without any key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncryptionOverview {
    /// The data encryption algorithm (`EncryptedData/EncryptionMethod`).
    pub data_algorithm: Option<String>,
    /// The length of the decoded `CipherValue` (IV, ciphertext and any tag), in bytes.
    pub ciphertext_bytes: Option<usize>,
    /// Every `EncryptedKey`: inside the `EncryptedData`'s `KeyInfo`, then beside it.
    pub keys: Vec<EncryptedKeyOverview>,
    /// Why the validator would refuse its form before using any key (this build's profile), if
    /// it would.
    pub profile_error: Option<String>,
}

/// One `EncryptedKey`, read without any key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncryptedKeyOverview {
    /// In words: where it sits and how the data refers to it.
    pub location: String,
    /// The key transport algorithm (`EncryptionMethod`).
    pub algorithm: Option<String>,
    /// The OAEP digest (`ds:DigestMethod`), if named.
    pub digest_algorithm: Option<String>,
    /// The OAEP mask generation function (`xenc11:MGF`), if named.
    pub mgf_algorithm: Option<String>,
    /// The wrapped key's length in bits: the size of the RSA key it was encrypted for.
    pub wrapped_key_bits: Option<usize>,
    /// The SHA-256 fingerprint of the certificate the IdP encrypted for, when its `KeyInfo`
    /// holds one (Okta's does): compare it with the SP decryption keys' certificates.
    pub certificate_sha256: Option<String>,
    /// Its `Recipient` attribute.
    pub recipient: Option<String>,
}

fn attr(e: Option<Element<'_>>, name: &str) -> Option<String> {
    e.and_then(|e| e.attribute(name)).map(str::to_owned)
}

fn decoded_len(e: Element<'_>) -> Option<usize> {
    let value = e
        .children_named(XENC_NS, "CipherData")
        .next()?
        .children_named(XENC_NS, "CipherValue")
        .next()?;
    let text = value.text().ok()?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(compact.as_bytes()).ok().map(|v| v.len())
}

fn describe(k: Element<'_>, location: String) -> EncryptedKeyOverview {
    let method = k.children_named(XENC_NS, "EncryptionMethod").next();
    let child = |ns: &str, local: &str| method.and_then(|m| m.children_named(ns, local).next());
    let certificate_sha256 = k
        .children_named(DSIG_NS, "KeyInfo")
        .flat_map(|i| i.children_named(DSIG_NS, "X509Data"))
        .flat_map(|d| d.children_named(DSIG_NS, "X509Certificate"))
        .next()
        .and_then(|c| c.text().ok())
        .and_then(|t| IdpCertificate::parse(t.as_bytes()).ok())
        .map(|c| c.sha256_fingerprint());
    EncryptedKeyOverview {
        location,
        algorithm: attr(method, "Algorithm"),
        digest_algorithm: attr(child(DSIG_NS, "DigestMethod"), "Algorithm"),
        mgf_algorithm: attr(child(XENC11_NS, "MGF"), "Algorithm"),
        wrapped_key_bits: decoded_len(k).map(|n| n * 8),
        certificate_sha256,
        recipient: attr(Some(k), "Recipient"),
    }
}

impl EncryptionOverview {
    /// Describes `encrypted`, a `saml:EncryptedAssertion`.
    pub(crate) fn read(encrypted: Element<'_>) -> EncryptionOverview {
        let data = encrypted.children_named(XENC_NS, "EncryptedData").next();
        let mut keys = Vec::new();
        if let Some(info) = data.and_then(|d| d.children_named(DSIG_NS, "KeyInfo").next()) {
            for k in info.child_elements().take(MAX_DESCRIBED) {
                if k.is(XENC_NS, "EncryptedKey") {
                    keys.push(describe(k, "inside the EncryptedData's KeyInfo".into()));
                }
            }
        }
        let references: Vec<String> = data
            .and_then(|d| d.children_named(DSIG_NS, "KeyInfo").next())
            .map(|info| {
                info.child_elements()
                    .take(MAX_DESCRIBED)
                    .filter_map(|k| {
                        if k.is(DSIG_NS, "RetrievalMethod") {
                            k.attribute("URI").map(|u| format!("RetrievalMethod {u}"))
                        } else if k.is(DSIG_NS, "KeyName") {
                            k.text().ok().map(|t| format!("KeyName {:?}", t.trim()))
                        } else {
                            None
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        for k in encrypted
            .children_named(XENC_NS, "EncryptedKey")
            .take(MAX_DESCRIBED)
        {
            let id = attr(Some(k), "Id");
            let carried = k
                .children_named(XENC_NS, "CarriedKeyName")
                .next()
                .and_then(|c| c.text().ok())
                .map(|t| t.trim().to_owned());
            let mut where_ = "beside the EncryptedData".to_owned();
            if let Some(id) = &id {
                where_.push_str(&format!(", Id {id:?}"));
            }
            if let Some(c) = &carried {
                where_.push_str(&format!(", CarriedKeyName {c:?}"));
            }
            let named = references.iter().find(|r| {
                id.as_ref()
                    .is_some_and(|id| r.as_str() == format!("RetrievalMethod #{id}"))
                    || carried
                        .as_ref()
                        .is_some_and(|c| r.as_str() == format!("KeyName {c:?}"))
            });
            match named {
                Some(r) => where_.push_str(&format!(", named by the data's {r}")),
                None if !references.is_empty() => where_.push_str(", named by nothing"),
                None => {}
            }
            keys.push(describe(k, where_));
        }
        EncryptionOverview {
            data_algorithm: attr(
                data.and_then(|d| d.children_named(XENC_NS, "EncryptionMethod").next()),
                "Algorithm",
            ),
            ciphertext_bytes: data.and_then(decoded_len),
            keys,
            profile_error: profile_error(encrypted),
        }
    }
}

#[cfg(feature = "encrypted-assertions")]
fn profile_error(encrypted: Element<'_>) -> Option<String> {
    let max = crate::xml::Limits::default().max_bytes;
    super::encrypted::parse(encrypted, max, false)
        .err()
        .map(|e| e.to_string())
}

#[cfg(not(feature = "encrypted-assertions"))]
fn profile_error(_: Element<'_>) -> Option<String> {
    Some("this build does not decrypt assertions (feature encrypted-assertions)".into())
}
