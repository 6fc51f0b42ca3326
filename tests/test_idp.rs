//! The test IdP (feature `test-idp`): its responses verify with the `xmlsec1` CLI (both
//! signatures, so not by our code alone), pass the validator, answer the AuthnRequest they were
//! given, and each fault gives the error a host must show.

mod common;

#[cfg(not(feature = "test-idp"))]
#[test]
fn test_idp_needs_its_feature() {
    common::skipped(
        "test_idp",
        "build with --features test-idp (cargo test --all-features does)",
    );
}

#[cfg(feature = "test-idp")]
mod with_feature {
    use std::process::Command;
    use std::sync::Arc;

    use super::common::{self, block_on};
    use sso_scim::saml::{AuthnRequestOptions, Outbound, RelayState, SpEndpoints};
    use sso_scim::test_idp::{Fault, ReceivedRequest, TestIdp, TestUser, TEST_IDP_CERT_PEM};
    use sso_scim::{
        AssertionValidator, MemoryReplayCache, MemoryStore, OrgId, Organizations, RequestState,
        Timestamp,
    };

    const ISSUER: &str = "http://localhost:9999/idp/metadata";
    const SSO: &str = "http://localhost:9999/idp/sso";
    const SIG: &str = "<ds:Signature xmlns";

    fn sp() -> SpEndpoints {
        SpEndpoints {
            entity_id: "http://127.0.0.1:3000/saml/demo/metadata".into(),
            acs_url: "http://127.0.0.1:3000/saml/demo/acs".into(),
        }
    }

    fn jane() -> TestUser {
        let mut u = TestUser::new("jane@example.com", "Jane", "Doe");
        u.attributes
            .push(("groups".into(), vec!["admins".into(), "R&D <core>".into()]));
        u
    }

    fn validator() -> AssertionValidator {
        let idp = TestIdp::new(ISSUER, SSO).unwrap();
        AssertionValidator::new(idp.idp_settings().sso_config(&sp()).unwrap())
    }

    /// xmlsec1 verifies the first signature in document order; with the Response signature
    /// removed, the Assertion's is the first. `None` when xmlsec1 is not installed.
    fn xmlsec1_verifies(xml: &str) -> Option<(bool, bool)> {
        if Command::new("xmlsec1").arg("--version").output().is_err() {
            return None;
        }
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A directory per call: the tests run in parallel.
        let dir =
            std::env::temp_dir().join(format!("sso-scim-test-idp-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = dir.join("cert.pem");
        std::fs::write(&cert, TEST_IDP_CERT_PEM).unwrap();
        let run = |name: &str, doc: &str| {
            let f = dir.join(name);
            std::fs::write(&f, doc).unwrap();
            Command::new("xmlsec1")
                .args([
                    "--verify",
                    "--id-attr:ID",
                    "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                    "--id-attr:ID",
                    "urn:oasis:names:tc:SAML:2.0:protocol:Response",
                    "--pubkey-cert-pem",
                ])
                .arg(&cert)
                .arg(&f)
                .output()
                .unwrap()
                .status
                .success()
        };
        let response_ok = run("both.xml", xml);
        if xml.matches(SIG).count() < 2 {
            return Some((response_ok, false));
        }
        let start = xml.find(SIG).unwrap();
        let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        let assertion_first = format!("{}{}", &xml[..start], &xml[end..]);
        assert!(assertion_first.contains(SIG), "the Assertion keeps its own");
        let assertion_ok = run("assertion.xml", &assertion_first);
        Some((response_ok, assertion_ok))
    }

    #[test]
    fn responses_are_okta_shaped_and_verify_with_xmlsec1() {
        let idp = TestIdp::new(ISSUER, SSO).unwrap();
        let now = Timestamp::now();
        let xml = idp.response_xml(&sp(), None, &jane(), None, now).unwrap();
        assert_eq!(xml.matches(SIG).count(), 2);
        assert!(xml.contains("PrefixList=\"xs\""));
        assert_eq!(
            xml.matches("xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"")
                .count(),
            5,
            "on every AttributeValue"
        );
        match xmlsec1_verifies(&xml) {
            Some(both) => assert_eq!(both, (true, true), "xmlsec1 verifies both signatures"),
            None => common::skipped(
                "xmlsec1 check of the test IdP",
                "install xmlsec1 (.ci/run does)",
            ),
        }
        let tampered = xml.replacen(">Jane<", ">Jana<", 1);
        assert_ne!(tampered, xml);
        if let Some(both) = xmlsec1_verifies(&tampered) {
            assert_eq!(both, (false, false), "a changed name breaks both");
        }
        let v = validator();
        let user = v
            .validate_xml(xml.as_bytes(), &RequestState::stateless(), now)
            .unwrap()
            .consume_now(&MemoryReplayCache::new())
            .unwrap();
        assert_eq!(user.email(), Some("jane@example.com"));
        assert_eq!(
            (user.first_name(), user.last_name()),
            (Some("Jane"), Some("Doe"))
        );
        assert_eq!(user.attribute("groups").unwrap(), ["admins", "R&D <core>"]);
        assert!(user.session_index().is_some());
        assert_eq!(
            user.verified_signatures(),
            [
                sso_scim::SignedPart::Response,
                sso_scim::SignedPart::Assertion
            ]
        );
    }

    #[test]
    fn faults_give_the_errors_hosts_must_show() {
        let idp = TestIdp::new(ISSUER, SSO).unwrap();
        let now = Timestamp::now();
        for (fault, code) in [
            (Fault::Expired, "time"),
            (Fault::WrongAudience, "audience"),
            (Fault::Unsigned, "signature"),
            (Fault::StatusFailure, "status"),
        ] {
            let xml = idp
                .response_xml(&sp(), None, &jane(), Some(fault), now)
                .unwrap();
            let e = validator()
                .validate_xml(xml.as_bytes(), &RequestState::stateless(), now)
                .unwrap_err();
            assert_eq!(e.code(), code, "{fault:?}: {e}");
            assert!(!e.hint().is_empty());
            if fault != Fault::Unsigned {
                if let Some((response_ok, _)) = xmlsec1_verifies(&xml) {
                    assert!(
                        response_ok,
                        "{fault:?}: the failure itself is correctly signed"
                    );
                }
            }
        }
    }

    #[test]
    fn it_answers_the_request_an_organization_started() {
        let idp = TestIdp::new(ISSUER, SSO).unwrap();
        let store = Arc::new(MemoryStore::new());
        let orgs = Organizations::new(store.clone());
        let scim =
            sso_scim::ScimService::new(store.clone(), "http://127.0.0.1:3000/scim/v2").unwrap();
        let org = OrgId::new("demo").unwrap();
        block_on(orgs.create(org.clone(), None, sp())).unwrap();
        block_on(orgs.set_idp(&org, idp.idp_settings())).unwrap();
        block_on(orgs.update(&org, |o| o.jit_provisioning = true)).unwrap();
        block_on(scim.claim_domain(&org, "example.com")).unwrap();
        let now = Timestamp::now();
        let rs = RelayState::new("/me").unwrap();
        let login =
            block_on(orgs.start_login(&org, Some(&rs), &AuthnRequestOptions::default(), now))
                .unwrap();
        let Outbound::Redirect { url } = &login.outbound else {
            panic!()
        };
        let received =
            ReceivedRequest::from_redirect_query(url.split_once('?').unwrap().1).unwrap();
        assert_eq!(received.id, login.id.as_str());
        assert_eq!(received.relay_state.as_deref(), Some("/me"));
        assert_eq!(received.acs_url.as_deref(), Some(sp().acs_url.as_str()));
        let form = idp
            .response_form_value(&sp(), Some(&received), &jane(), None, now)
            .unwrap();
        let ok = block_on(orgs.finish_login(&org, form.as_bytes(), now)).unwrap();
        assert_eq!(ok.assertion.in_response_to(), Some(login.id.as_str()));
        assert!(ok.created, "just-in-time provisioning made the member");
        // The same answer again: its request is gone.
        assert_eq!(
            block_on(orgs.finish_login(&org, form.as_bytes(), now))
                .unwrap_err()
                .code(),
            "in_response_to"
        );
        // IdP-initiated works too (the test IdP's settings allow it).
        let unsolicited = idp
            .response_form_value(&sp(), None, &jane(), None, now)
            .unwrap();
        assert!(block_on(orgs.finish_login(&org, unsolicited.as_bytes(), now)).is_ok());
    }
}
