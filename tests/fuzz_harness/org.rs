//! Fuzz target bodies for the organization lifecycle's untrusted inputs: domain-claim text and
//! DNS answers, IdP metadata, and what flows into an AuthnRequest (entity id, ACS URL,
//! RelayState).

use std::sync::OnceLock;

use base64::Engine;
use sso_scim::domain::{
    check_proof, ClaimRules, ClaimToken, DomainName, TxtAnswer, TxtRecord, MAX_TXT_BYTES,
    MAX_TXT_RECORDS,
};
use sso_scim::saml::{
    build_authn_request, import_idp_metadata, AuthnRequestOptions, Binding, Outbound, RelayState,
    RequestId, SpSigningKey,
};
use sso_scim::xml::{Document, Limits};
use sso_scim::{SsoConfig, Timestamp};

/// Target `domain_claim`: the first line is a domain to claim, the rest a TXT answer (records
/// split by 0xFF, character-strings by 0xFE).
pub fn domain_claim(data: &[u8]) {
    let (head, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(head);
    let Ok(domain) = DomainName::parse(&text) else {
        return;
    };
    // Normalization is idempotent, and the rules decide without panicking.
    assert_eq!(DomainName::parse(domain.as_str()).as_ref(), Ok(&domain));
    let _ = ClaimRules::new().check(&domain);
    let token = ClaimToken::from_random([7; 24]);
    let expected = TxtRecord::for_claim(&domain, &token);
    assert_eq!(
        expected.name,
        format!("_sso-scim-challenge.{}", domain.as_str())
    );
    let records: Vec<Vec<Vec<u8>>> = rest
        .split(|&b| b == 0xFF)
        .map(|r| r.split(|&b| b == 0xFE).map(<[u8]>::to_vec).collect())
        .collect();
    let matching = records.iter().take(MAX_TXT_RECORDS).any(|r| {
        r.iter().map(Vec::len).sum::<usize>() <= MAX_TXT_BYTES
            && r.concat() == expected.value.as_bytes()
    });
    let got = check_proof(&expected, Ok(&TxtAnswer::Records(records.clone())));
    assert_eq!(got.is_ok(), matching, "{got:?}");
    // The expected record first always verifies, whatever follows.
    let mut with = vec![vec![expected.value.as_bytes().to_vec()]];
    with.extend(records);
    assert_eq!(
        check_proof(&expected, Ok(&TxtAnswer::Records(with))),
        Ok(())
    );
}

/// Target `idp_metadata`: any bytes as IdP metadata, with and without an entity id to pick.
pub fn idp_metadata(data: &[u8]) {
    for pick in [None, Some("https://idp.example.org/metadata")] {
        if let Ok(idp) = import_idp_metadata(data, pick) {
            assert!(!idp.issuer.trim().is_empty());
            assert!(!idp.certificates.is_empty());
            assert!(!idp.sso_url.is_empty());
            if let Some(p) = pick {
                assert_eq!(idp.issuer, p);
            }
        }
    }
}

fn sp_key() -> &'static SpSigningKey {
    static K: OnceLock<SpSigningKey> = OnceLock::new();
    K.get_or_init(|| {
        SpSigningKey::from_pem(
            include_str!("../vectors/sp/sp-key.pem"),
            include_str!("../vectors/sp/sp-cert.pem"),
        )
        .expect("test SP key")
    })
}

fn inflate_query_value(url: &str, name: &str) -> Option<Vec<u8>> {
    let query = url.split_once('?')?.1;
    let raw = query
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))?;
    let text: String = url::form_urlencoded::parse(format!("v={raw}").as_bytes())
        .next()?
        .1
        .into_owned();
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    miniz_oxide::inflate::decompress_to_vec(&deflated).ok()
}

/// Target `authn_request`: the bytes split (by NUL) into an SP entity id, an ACS path and a
/// RelayState; every request built round-trips: the Redirect URL inflates back to the XML, the
/// XML parses with the crate's parser with the same ID and Issuer, the RelayState comes back
/// intact.
pub fn authn_request(data: &[u8]) {
    let mut parts = data
        .split(|&b| b == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let entity = parts.next().unwrap_or_default();
    let acs_path = parts.next().unwrap_or_default();
    let relay = parts.next();
    let Ok(config) = SsoConfig::builder()
        .idp_certificate(include_str!("../vectors/generated/idp-cert.pem"))
        .idp_sso_url("https://dev-123.okta.com/app/x/exkTEST/sso/saml")
        .idp_issuer("http://www.okta.com/exkTEST")
        .sp_entity_id(entity.clone())
        .acs_url(format!("https://sp.example.com/{acs_path}"))
        .build()
    else {
        return;
    };
    let relay = match relay.map(RelayState::new) {
        Some(Ok(r)) => Some(r),
        Some(Err(_)) => return,
        None => None,
    };
    let now = Timestamp::from_unix_seconds(1_768_471_230);
    let signed = data.first().is_some_and(|b| b & 1 == 1);
    for binding in [Binding::Redirect, Binding::Post] {
        let opts = AuthnRequestOptions {
            binding,
            ..Default::default()
        };
        let key = signed.then(sp_key);
        let req = build_authn_request(
            &config,
            key,
            RequestId::new("_fuzz"),
            relay.as_ref(),
            &opts,
            now,
        )
        .expect("a valid config always builds a request");
        let doc = Document::parse(req.xml.as_bytes(), &Limits::default()).expect("our XML parses");
        assert_eq!(doc.root().attribute("ID"), Some("_fuzz"));
        let issuer = doc.root().child_elements().next().expect("Issuer first");
        assert_eq!(
            issuer.text().expect("issuer text").as_ref(),
            config.sp_entity_id()
        );
        match &req.outbound {
            Outbound::Redirect { url } => {
                assert_eq!(
                    inflate_query_value(url, "SAMLRequest").as_deref(),
                    Some(req.xml.as_bytes())
                );
                if let Some(r) = &relay {
                    let query = url.split_once('?').map(|q| q.1).unwrap_or("");
                    let got = url::form_urlencoded::parse(query.as_bytes())
                        .find(|(k, _)| k == "RelayState")
                        .map(|(_, v)| v.into_owned());
                    assert_eq!(got.as_deref(), Some(r.as_str()));
                }
                assert_eq!(url.contains("&Signature="), signed);
            }
            Outbound::Post {
                saml_request,
                relay_state,
                ..
            } => {
                let xml = base64::engine::general_purpose::STANDARD
                    .decode(saml_request)
                    .expect("base64");
                assert_eq!(xml, req.xml.as_bytes());
                assert_eq!(
                    relay_state.as_deref(),
                    relay.as_ref().map(RelayState::as_str)
                );
                let html = req.post_form_html().expect("a form");
                assert!(!html.contains("<script"));
            }
        }
    }
}
