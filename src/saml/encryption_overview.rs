//! What an `EncryptedAssertion` says about how it was encrypted, read without any key: the
//! algorithms, where each wrapped key sits, and the certificate the IdP encrypted for (when it
//! names one). For `saml_inspect` and admin pages: "Okta encrypted for the old certificate".

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

/// The decoded length of `e`'s `CipherData/CipherValue`, counted from its base64 text (nothing
/// is decoded: this only describes).
fn decoded_len(e: Element<'_>) -> Option<usize> {
    let value = e
        .children_named(XENC_NS, "CipherData")
        .next()?
        .children_named(XENC_NS, "CipherValue")
        .next()?;
    let text = value.text().ok()?;
    let symbols = text.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    let padding = text
        .bytes()
        .rev()
        .filter(|b| !b.is_ascii_whitespace())
        .take_while(|&b| b == b'=')
        .count();
    (symbols % 4 == 0 && padding <= 2).then(|| symbols / 4 * 3 - padding)
}

/// Attacker-written text shown in a description: at most 80 characters.
fn shown(s: &str) -> String {
    let mut out: String = s.trim().chars().take(80).collect();
    if s.trim().chars().nth(80).is_some() {
        out.push('…');
    }
    out
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
        // How the data's KeyInfo names keys beside it: RetrievalMethod URIs and KeyNames.
        let mut uris: Vec<&str> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        if let Some(info) = data.and_then(|d| d.children_named(DSIG_NS, "KeyInfo").next()) {
            for k in info.child_elements().take(MAX_DESCRIBED) {
                if k.is(DSIG_NS, "RetrievalMethod") {
                    uris.extend(k.attribute("URI"));
                } else if k.is(DSIG_NS, "KeyName") {
                    names.extend(k.text().ok().map(|t| t.trim().to_owned()));
                }
            }
        }
        for k in encrypted
            .children_named(XENC_NS, "EncryptedKey")
            .take(MAX_DESCRIBED)
        {
            let id = k.attribute("Id");
            let carried = k
                .children_named(XENC_NS, "CarriedKeyName")
                .next()
                .and_then(|c| c.text().ok())
                .map(|t| t.trim().to_owned());
            let mut where_ = "beside the EncryptedData".to_owned();
            if let Some(id) = id {
                where_.push_str(&format!(", Id {:?}", shown(id)));
            }
            if let Some(c) = &carried {
                where_.push_str(&format!(", CarriedKeyName {:?}", shown(c)));
            }
            let by_uri = id.is_some_and(|id| uris.iter().any(|u| u.strip_prefix('#') == Some(id)));
            let by_name = carried.as_ref().is_some_and(|c| names.contains(c));
            match (by_uri, by_name) {
                (true, _) => where_.push_str(", named by the data's RetrievalMethod"),
                (false, true) => where_.push_str(", named by the data's KeyName"),
                _ if !uris.is_empty() || !names.is_empty() => where_.push_str(", named by nothing"),
                _ => {}
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

#[cfg(test)]
mod tests {
    use crate::saml::ResponseOverview;

    /// A hostile description request: many EncryptedKeys and names, a 100 KB Id. What comes
    /// out is bounded (16 keys from each place, names cut at 80 characters), and reading it
    /// never decodes or trusts anything.
    #[test]
    fn descriptions_of_hostile_forms_are_bounded() {
        let key = |id: &str| {
            format!(
                "<xenc:EncryptedKey Id='{id}'><xenc:EncryptionMethod Algorithm='urn:x'/>\
                 <xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData>\
                 <xenc:CarriedKeyName>{id}</xenc:CarriedKeyName></xenc:EncryptedKey>"
            )
        };
        let long = "k".repeat(100_000);
        let inside: String = (0..40).map(|i| key(&format!("in{i}"))).collect();
        let names = "<ds:KeyName>side0</ds:KeyName><ds:KeyName>none</ds:KeyName>";
        let beside: String = (0..40).map(|i| key(&format!("side{i}"))).collect();
        let xml = format!(
            "<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol' \
             xmlns:saml='urn:oasis:names:tc:SAML:2.0:assertion' \
             xmlns:xenc='http://www.w3.org/2001/04/xmlenc#' \
             xmlns:ds='http://www.w3.org/2000/09/xmldsig#'>\
             <saml:EncryptedAssertion><xenc:EncryptedData>\
             <xenc:EncryptionMethod Algorithm='urn:y'/><ds:KeyInfo>{names}{inside}</ds:KeyInfo>\
             <xenc:CipherData><xenc:CipherValue>AAA=</xenc:CipherValue></xenc:CipherData>\
             </xenc:EncryptedData>{}{beside}</saml:EncryptedAssertion></samlp:Response>",
            key(&long)
        );
        let o = ResponseOverview::from_xml(xml.as_bytes()).expect("parses");
        let e = &o.encryption[0];
        // The first 16 KeyInfo entries (2 names, 14 keys), the first 16 keys beside the data.
        assert_eq!(e.keys.len(), 30);
        assert!(e.keys[..14].iter().all(|k| k.location.contains("inside")));
        assert_eq!(e.ciphertext_bytes, Some(2));
        assert_eq!(e.keys[0].wrapped_key_bits, Some(24));
        assert!(e.keys.iter().all(|k| k.location.len() < 300));
        let side = |i: usize| e.keys[i].location.as_str();
        assert!(side(14).contains('…'), "the 100 KB Id is cut: {}", side(14));
        assert!(side(14).ends_with("named by nothing"), "{}", side(14));
        assert!(
            side(15).ends_with("named by the data's KeyName"),
            "{}",
            side(15)
        );
        assert!(e.profile_error.is_some());
    }
}
