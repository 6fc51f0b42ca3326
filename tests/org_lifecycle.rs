//! The organization lifecycle through `Organizations`: domain claims proved over a resolver
//! (pending, verified, taken over, revoked) and what they grant SCIM and SSO at once; the login
//! policy at the ACS step and for passwords; SP-initiated login requests whose ids are consumed
//! with the assertion. Responses are the xmlsec1-signed vectors of tests/vectors.

mod common;

use std::sync::Arc;

use common::block_on;
use sso_scim::domain::{DnsFailure, StaticResolver, TxtAnswer};
use sso_scim::saml::{
    AuthnRequestOptions, Binding, IdpCertificate, IdpSettings, Outbound, RelayState, RequestId,
    SpEndpoints, SpSigningKey,
};
use sso_scim::store::{
    Account, AccountId, Accounts, ClaimStatus, DomainClaims, Membership, OrgRole,
};
use sso_scim::{
    AuthnRequestStore, MemoryStore, OrgId, Organizations, ScimRequest, ScimService, Timestamp,
};

const ACS: &str = "https://sp.example.com/saml/acs";
const SP: &str = "https://sp.example.com/saml/metadata";
const ISSUER: &str = "http://www.okta.com/exkTEST";
const SSO_URL: &str = "https://dev-123.okta.com/app/dev-123_app_1/exkTEST/sso/saml";

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/vectors/generated/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn now() -> Timestamp {
    Timestamp::parse("2026-01-15T10:00:30Z").unwrap()
}

fn sp() -> SpEndpoints {
    SpEndpoints {
        entity_id: SP.into(),
        acs_url: ACS.into(),
    }
}

fn idp(allow_idp_initiated: bool) -> IdpSettings {
    let cert = IdpCertificate::parse(&vector("idp-cert.pem")).unwrap();
    let mut i = IdpSettings::new(ISSUER, SSO_URL, vec![cert]);
    i.allow_idp_initiated = allow_idp_initiated;
    i
}

struct World {
    store: Arc<MemoryStore>,
    orgs: Organizations<Arc<MemoryStore>>,
    scim: ScimService<Arc<MemoryStore>>,
}

fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    World {
        orgs: Organizations::new(store.clone()),
        scim: ScimService::new(store.clone(), "https://sp.example.com/scim/v2").unwrap(),
        store,
    }
}

fn org(id: &str) -> OrgId {
    OrgId::new(id).unwrap()
}

/// POSTs a user through SCIM with a token of `o`: the status.
fn provision(w: &World, o: &OrgId, email: &str) -> u16 {
    let token = block_on(w.scim.generate_token(o, "okta", now())).unwrap();
    let auth = format!("Bearer {}", token.expose_secret());
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/scim+json"),
    ];
    let body = format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{email}","name":{{"givenName":"J","familyName":"D"}},"emails":[{{"value":"{email}","primary":true}}],"active":true}}"#
    );
    block_on(
        w.scim.handle(
            &ScimRequest::new("POST", "/scim/v2/Users")
                .headers(&headers)
                .body(body.as_bytes()),
            now(),
        ),
    )
    .status
}

#[test]
fn a_claim_grants_its_domain_only_while_verified_and_one_organization_holds_it() {
    let w = world();
    let (a, b) = (org("acme"), org("rival"));
    block_on(w.orgs.create(a.clone(), Some("Acme"), sp())).unwrap();
    block_on(w.orgs.create(b.clone(), None, sp())).unwrap();
    assert_eq!(
        block_on(w.orgs.create(a.clone(), None, sp()))
            .unwrap_err()
            .code(),
        "org_exists"
    );
    let bad = SpEndpoints {
        entity_id: "x\u{FFFF}".into(),
        acs_url: ACS.into(),
    };
    assert_eq!(
        block_on(w.orgs.create(org("bad"), None, bad))
            .unwrap_err()
            .code(),
        "invalid_config"
    );
    let bad = SpEndpoints {
        entity_id: SP.into(),
        acs_url: "javascript:alert(1)".into(),
    };
    assert_eq!(
        block_on(w.orgs.create(org("bad"), None, bad))
            .unwrap_err()
            .code(),
        "invalid_config"
    );

    let claim = block_on(w.orgs.start_claim(&a, "ACME.example.", now())).unwrap();
    assert_eq!(claim.status, ClaimStatus::Pending);
    let txt = claim.txt_record();
    assert_eq!(txt.name, "_sso-scim-challenge.acme.example");
    assert_eq!(
        block_on(w.orgs.start_claim(&a, "acme.example", now()))
            .unwrap()
            .token,
        claim.token,
        "starting again keeps the token"
    );
    assert_eq!(
        provision(&w, &a, "jane@acme.example"),
        400,
        "pending grants nothing"
    );

    // Every DNS outcome: nothing published, SERVFAIL, then the record (split in two strings).
    let nothing = StaticResolver::new();
    let v = block_on(w.orgs.verify_claim(&a, "acme.example", &nothing, now())).unwrap();
    assert_eq!(v.result.unwrap_err().code(), "nxdomain");
    assert_eq!(v.claim.status, ClaimStatus::Pending);
    let (left, right) = txt.value.split_at(7);
    let published = StaticResolver::new().with_answer(
        &txt.name,
        Ok(TxtAnswer::Records(vec![
            vec![b"v=spf1 -all".to_vec()],
            vec![left.as_bytes().to_vec(), right.as_bytes().to_vec()],
        ])),
    );
    let v = block_on(w.orgs.verify_claim(&a, "acme.example", &published, now())).unwrap();
    assert_eq!(v.result, Ok(()));
    assert_eq!(v.claim.status, ClaimStatus::Verified);
    assert_eq!(provision(&w, &a, "jane@acme.example"), 201);
    assert_eq!(
        block_on(w.orgs.org_for_email("Bob@ACME.example")).unwrap(),
        a
    );

    // A failed lookup changes nothing; a definite answer without the record un-verifies.
    let servfail = StaticResolver::new().with_answer(
        &txt.name,
        Err(DnsFailure::ServFail {
            name: txt.name.clone(),
        }),
    );
    let v = block_on(w.orgs.verify_claim(&a, "acme.example", &servfail, now())).unwrap();
    assert_eq!(v.result.unwrap_err().code(), "servfail");
    assert_eq!(
        v.claim.status,
        ClaimStatus::Verified,
        "a transient failure keeps the claim"
    );
    let gone = StaticResolver::new().with_answer(&txt.name, Ok(TxtAnswer::NoRecords));
    let v = block_on(w.orgs.verify_claim(&a, "acme.example", &gone, now())).unwrap();
    assert_eq!(v.result.unwrap_err().code(), "no_txt");
    assert_eq!(v.claim.status, ClaimStatus::Pending);
    assert_eq!(
        provision(&w, &a, "joe@acme.example"),
        400,
        "un-verified at once"
    );
    block_on(w.orgs.verify_claim(&a, "acme.example", &published, now())).unwrap();

    // Another organization may start a claim; it cannot verify while Acme's record stands.
    let rival = block_on(w.orgs.start_claim(&b, "acme.example", now())).unwrap();
    assert_ne!(rival.token, claim.token);
    let both = StaticResolver::new()
        .with_txt(&txt.name, &txt.value)
        .with_txt(&txt.name, &rival.txt_record().value);
    let e = block_on(w.orgs.verify_claim(&b, "acme.example", &both, now())).unwrap_err();
    assert_eq!(e.code(), "claimed_by_other");
    assert_eq!(
        block_on(w.store.verified_owner(&claim.domain)).unwrap(),
        Some(a.clone())
    );
    // The domain changed hands: only the rival's record is published. It takes over.
    let sold = StaticResolver::new().with_txt(&txt.name, &rival.txt_record().value);
    let v = block_on(w.orgs.verify_claim(&b, "acme.example", &sold, now())).unwrap();
    assert_eq!((v.result, v.took_over_from), (Ok(()), Some(a.clone())));
    assert_eq!(
        block_on(w.store.verified_owner(&claim.domain)).unwrap(),
        Some(b.clone())
    );
    assert_eq!(provision(&w, &a, "ann@acme.example"), 400);

    // Revocation stops it at once; a revoked claim starts again with a new token.
    let r = block_on(w.orgs.revoke_claim(&b, "acme.example")).unwrap();
    assert_eq!(r.status, ClaimStatus::Revoked);
    assert_eq!(
        block_on(w.store.verified_owner(&claim.domain)).unwrap(),
        None
    );
    assert_eq!(
        block_on(w.orgs.org_for_email("x@acme.example"))
            .unwrap_err()
            .code(),
        "no_org_for_domain"
    );
    let again = block_on(w.orgs.start_claim(&b, "acme.example", now())).unwrap();
    assert_eq!(again.status, ClaimStatus::Pending);
    assert_ne!(again.token, rival.token);

    // Refusals, each with its code.
    for (d, code) in [
        ("co.uk", "public_suffix"),
        ("github.io", "public_suffix"),
        ("s3.amazonaws.com", "public_suffix"),
        ("gmail.com", "free_mail"),
        ("outlook.com", "free_mail"),
        ("yahoo.com", "free_mail"),
        ("not a domain", "invalid_domain"),
        ("10.0.0.1", "invalid_domain"),
    ] {
        assert_eq!(
            block_on(w.orgs.start_claim(&a, d, now()))
                .unwrap_err()
                .code(),
            code,
            "{d}"
        );
    }
    assert_eq!(
        block_on(w.orgs.start_claim(&org("nobody"), "n.example", now()))
            .unwrap_err()
            .code(),
        "unknown_org"
    );
}

#[test]
fn an_internationalized_claim_matches_logins_in_either_form() {
    let w = world();
    let a = org("buecher");
    block_on(w.orgs.create(a.clone(), None, sp())).unwrap();
    let c = block_on(w.orgs.start_claim(&a, "Bücher.Example", now())).unwrap();
    assert_eq!(c.domain.as_str(), "xn--bcher-kva.example");
    assert_eq!(
        c.txt_record().name,
        "_sso-scim-challenge.xn--bcher-kva.example"
    );
    let r = StaticResolver::new().with_txt(&c.txt_record().name, &c.txt_record().value);
    block_on(w.orgs.verify_claim(&a, "xn--bcher-kva.example", &r, now()))
        .unwrap()
        .result
        .unwrap();
    assert_eq!(
        block_on(w.orgs.org_for_email("jane@bücher.example")).unwrap(),
        a
    );
    assert_eq!(
        block_on(w.orgs.org_for_email("jane@xn--bcher-kva.example")).unwrap(),
        a
    );
}

/// An organization with SSO set up for the vectors' IdP and example.com verified.
fn sso_world(allow_idp_initiated: bool) -> (World, OrgId) {
    let w = world();
    let o = org("example");
    block_on(w.orgs.create(o.clone(), None, sp())).unwrap();
    block_on(w.orgs.set_idp(&o, idp(allow_idp_initiated))).unwrap();
    block_on(w.scim.claim_domain(&o, "example.com")).unwrap();
    (w, o)
}

fn add_account(w: &World, o: &OrgId, email: &str, role: OrgRole, active: bool) {
    let id = AccountId::new(format!("acct-{email}")).unwrap();
    block_on(w.store.create_account(&Account {
        id: id.clone(),
        email: email.into(),
        provisioned_by: None,
    }))
    .unwrap()
    .unwrap();
    block_on(w.store.put_membership(o, &id, &Membership { role, active }))
        .unwrap()
        .unwrap();
}

#[test]
fn the_acs_step_consumes_the_request_id_and_applies_the_policy() {
    let (w, o) = sso_world(false);
    add_account(&w, &o, "jane.doe@example.com", OrgRole::Member, true);
    let answered = vector("valid-with-inresponseto.xml");
    let form = base64_form(&answered);
    // Not outstanding: refused before anything else is consumed.
    let e = block_on(w.orgs.finish_login(&o, &form, now())).unwrap_err();
    assert_eq!(e.code(), "in_response_to");
    // Outstanding for another organization: refused too.
    let id = "_4f1c2a9e-3b7d-4c1a-9e2f-6a8b0c1d2e3f";
    let later = now().saturating_add(std::time::Duration::from_secs(600));
    block_on(
        w.store
            .insert_request(&RequestId::scoped("other-org", id), later, now()),
    )
    .unwrap();
    assert_eq!(
        block_on(w.orgs.finish_login(&o, &form, now()))
            .unwrap_err()
            .code(),
        "in_response_to"
    );
    block_on(
        w.store
            .insert_request(&RequestId::scoped(o.as_str(), id), later, now()),
    )
    .unwrap();
    let ok = block_on(w.orgs.finish_login(&o, &form, now())).unwrap();
    assert_eq!(ok.assertion.email(), Some("jane.doe@example.com"));
    assert_eq!((ok.membership.role, ok.created), (OrgRole::Member, false));
    assert_eq!(ok.assertion.in_response_to(), Some(id));
    // The same response again: its request id is gone.
    assert_eq!(
        block_on(w.orgs.finish_login(&o, &form, now()))
            .unwrap_err()
            .code(),
        "in_response_to"
    );

    // IdP-initiated: refused unless allowed.
    let unsolicited = base64_form(&vector("valid-both-signed.xml"));
    assert_eq!(
        block_on(w.orgs.finish_login(&o, &unsolicited, now()))
            .unwrap_err()
            .code(),
        "in_response_to"
    );
}

#[test]
fn sso_logins_need_a_verified_domain_an_active_membership_or_jit() {
    let (w, o) = sso_world(true);
    let form = base64_form(&vector("valid-both-signed.xml"));
    // No account: refused, or created as a member with just-in-time provisioning.
    assert_eq!(
        block_on(w.orgs.finish_login(&o, &form, now()))
            .unwrap_err()
            .code(),
        "not_a_member"
    );
    block_on(w.orgs.update(&o, |s| s.jit_provisioning = true)).unwrap();
    let form2 = base64_form(&vector("valid-assertion-signed.xml"));
    let created = block_on(w.orgs.finish_login(&o, &form2, now())).unwrap();
    assert!(created.created);
    assert_eq!(
        created.membership,
        Membership {
            role: OrgRole::Member,
            active: true
        }
    );
    assert_eq!(created.account.provisioned_by.as_ref(), Some(&o));

    // Deactivated by SCIM: refused.
    let (w, o) = sso_world(true);
    add_account(&w, &o, "jane.doe@example.com", OrgRole::Owner, false);
    assert_eq!(
        block_on(w.orgs.finish_login(&o, &form, now()))
            .unwrap_err()
            .code(),
        "deactivated"
    );

    // The domain's claim revoked: refused at once.
    let (w, o) = sso_world(true);
    add_account(&w, &o, "jane.doe@example.com", OrgRole::Member, true);
    block_on(w.orgs.revoke_claim(&o, "example.com")).unwrap();
    let e = block_on(w.orgs.finish_login(&o, &form, now())).unwrap_err();
    assert_eq!(e.code(), "domain_not_verified");
    assert!(e.hint().contains("verify"));
}

#[test]
fn requiring_sso_refuses_member_passwords_and_keeps_admins_and_owners() {
    let (w, o) = sso_world(false);
    add_account(&w, &o, "member@example.com", OrgRole::Member, true);
    add_account(&w, &o, "admin@example.com", OrgRole::Admin, true);
    add_account(&w, &o, "owner@example.com", OrgRole::Owner, true);
    for e in [
        "member@example.com",
        "admin@example.com",
        "owner@example.com",
    ] {
        assert!(block_on(w.orgs.password_login(&o, e)).is_ok(), "{e}");
    }
    block_on(w.orgs.set_require_sso(&o, true)).unwrap();
    assert_eq!(
        block_on(w.orgs.password_login(&o, "member@example.com"))
            .unwrap_err()
            .code(),
        "sso_required"
    );
    assert!(block_on(w.orgs.password_login(&o, "ADMIN@example.com")).is_ok());
    assert!(block_on(w.orgs.password_login(&o, "owner@example.com")).is_ok());
    assert_eq!(
        block_on(w.orgs.password_login(&o, "stranger@example.com"))
            .unwrap_err()
            .code(),
        "not_a_member"
    );
}

fn base64_form(xml: &[u8]) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .encode(xml)
        .into_bytes()
}

fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    url.split_once('?')?
        .1
        .split('&')
        .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
}

#[test]
fn sp_initiated_requests_are_stored_signed_and_bounded() {
    let (w, o) = sso_world(false);
    let rs = RelayState::new("/reports?id=7").unwrap();
    let req = block_on(
        w.orgs
            .start_login(&o, Some(&rs), &AuthnRequestOptions::default(), now()),
    )
    .unwrap();
    let Outbound::Redirect { url } = &req.outbound else {
        panic!("redirect")
    };
    assert!(url.starts_with(&format!("{SSO_URL}?SAMLRequest=")));
    assert_eq!(query_param(url, "RelayState"), Some("%2Freports%3Fid%3D7"));
    assert!(
        query_param(url, "Signature").is_none(),
        "no SP key, no signature"
    );
    assert!(req.xml.contains(&format!("ID=\"{}\"", req.id.as_str())));
    assert!(req.xml.contains(&format!("Destination=\"{SSO_URL}\"")));
    assert!(req
        .xml
        .contains(&format!("AssertionConsumerServiceURL=\"{ACS}\"")));
    // The id is outstanding for this organization, once.
    let key = RequestId::scoped(o.as_str(), req.id.as_str());
    assert!(block_on(w.store.consume_request(&key, now())).unwrap());
    assert!(!block_on(w.store.consume_request(&key, now())).unwrap());

    // With an SP key: SigAlg and Signature over the exact query string, RSA-SHA256.
    let dir = format!("{}/tests/vectors/sp", env!("CARGO_MANIFEST_DIR"));
    let key = SpSigningKey::from_pem(
        &std::fs::read_to_string(format!("{dir}/sp-key.pem")).unwrap(),
        &std::fs::read_to_string(format!("{dir}/sp-cert.pem")).unwrap(),
    )
    .unwrap();
    block_on(w.orgs.set_sp_signing_key(&o, Some(key.clone()))).unwrap();
    let req = block_on(
        w.orgs
            .start_login(&o, Some(&rs), &AuthnRequestOptions::default(), now()),
    )
    .unwrap();
    let Outbound::Redirect { url } = &req.outbound else {
        panic!("redirect")
    };
    let query = url.split_once('?').unwrap().1;
    let (signed, sig) = query.rsplit_once("&Signature=").unwrap();
    assert!(
        signed.ends_with("&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256")
    );
    let sig: String = url::form_urlencoded::parse(format!("s={sig}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned();
    use base64::Engine;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(sig)
        .unwrap();
    let spki = x509_spki_rsa(key.certificate().der());
    let pk =
        ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, spki);
    assert!(
        pk.verify(signed.as_bytes(), &sig).is_ok(),
        "the signature covers the query"
    );
    assert!(pk
        .verify(signed.replace("reports", "r3ports").as_bytes(), &sig)
        .is_err());

    // The POST binding: an enveloped signature the crate's own verifier accepts with the SP cert.
    let opts = AuthnRequestOptions {
        binding: Binding::Post,
        ..Default::default()
    };
    let post = block_on(w.orgs.start_login(&o, Some(&rs), &opts, now())).unwrap();
    let html = post.post_form_html().unwrap();
    assert!(html.contains("name=\"SAMLRequest\"") && html.contains("value=\"/reports?id=7\""));
    assert!(post.signed && post.xml.contains("<ds:Signature"));
}

/// The RSAPublicKey inside a certificate's SubjectPublicKeyInfo (what ring verifies with).
fn x509_spki_rsa(der: &[u8]) -> Vec<u8> {
    use x509_parser::prelude::FromDer;
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der).unwrap();
    cert.public_key().subject_public_key.data.to_vec()
}

/// Sends one SCIM request with a fresh token of `o`.
fn scim(w: &World, o: &OrgId, method: &str, path: &str, body: &str) -> sso_scim::ScimResponse {
    let token = block_on(w.scim.generate_token(o, "okta", now())).unwrap();
    let auth = format!("Bearer {}", token.expose_secret());
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/scim+json"),
    ];
    block_on(
        w.scim.handle(
            &ScimRequest::new(method, path)
                .headers(&headers)
                .body(body.as_bytes()),
            now(),
        ),
    )
}

#[test]
fn scim_deactivations_and_deletions_are_reported_and_end_sso_logins() {
    use sso_scim::ScimEvent;
    let (w, o) = sso_world(true);
    let created = scim(
        &w,
        &o,
        "POST",
        "/scim/v2/Users",
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane.doe@example.com","name":{"givenName":"Jane","familyName":"Doe"},"emails":[{"value":"jane.doe@example.com","primary":true}],"active":true}"#,
    );
    assert_eq!(created.status, 201);
    assert!(created.events.is_empty());
    let user: serde_json::Value = serde_json::from_slice(&created.body).unwrap();
    let id = user["id"].as_str().unwrap();
    let path = format!("/scim/v2/Users/{id}");
    let account = block_on(
        w.store
            .account_by_email(&sso_scim::store::email_key("jane.doe@example.com")),
    )
    .unwrap()
    .unwrap()
    .id;
    let deactivate = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}"#;
    let r = scim(&w, &o, "PATCH", &path, deactivate);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.events,
        vec![ScimEvent::Deactivated {
            org: o.clone(),
            user_id: id.to_owned(),
            account: account.clone()
        }]
    );
    // The deactivated member's SSO login is refused.
    let form = base64_form(&vector("valid-both-signed.xml"));
    assert_eq!(
        block_on(w.orgs.finish_login(&o, &form, now()))
            .unwrap_err()
            .code(),
        "deactivated"
    );
    // Deactivating again reports nothing new; reactivating is reported.
    assert!(scim(&w, &o, "PATCH", &path, deactivate).events.is_empty());
    let r = scim(&w, &o, "PATCH", &path, &deactivate.replace("false", "true"));
    assert_eq!(
        r.events,
        vec![ScimEvent::Reactivated {
            org: o.clone(),
            user_id: id.to_owned(),
            account: account.clone()
        }]
    );
    let form = base64_form(&vector("valid-assertion-signed.xml"));
    assert!(block_on(w.orgs.finish_login(&o, &form, now())).is_ok());
    let r = scim(&w, &o, "DELETE", &path, "");
    assert_eq!(r.status, 204);
    assert_eq!(
        r.events,
        vec![ScimEvent::Deleted {
            org: o.clone(),
            user_id: id.to_owned(),
            account
        }]
    );

    // Where the organization deletes on deactivation, the deactivation is a deletion.
    let (w, o) = sso_world(true);
    block_on(w.orgs.update(&o, |s| s.delete_on_deactivate = true)).unwrap();
    let created = scim(
        &w,
        &o,
        "POST",
        "/scim/v2/Users",
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane.doe@example.com","name":{"givenName":"Jane","familyName":"Doe"},"emails":[{"value":"jane.doe@example.com","primary":true}],"active":true}"#,
    );
    let id = serde_json::from_slice::<serde_json::Value>(&created.body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = scim(&w, &o, "PATCH", &format!("/scim/v2/Users/{id}"), deactivate);
    assert!(matches!(r.events.as_slice(), [ScimEvent::Deleted { user_id, .. }] if *user_id == id));
}
