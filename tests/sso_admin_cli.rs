//! `sso_admin`, the admin CLI, as an external contract: its `--json` output for every command
//! and outcome, exit codes, global flags on either side of the subcommand, and the DNS proof
//! checked against a real DNS server (dnsmasq on 127.0.0.1, started here) for every outcome:
//! found (also split into several strings, among many records), NXDOMAIN, no TXT record, an
//! oversized record, a server that never answers. A token it creates authenticates in
//! `scim_server` on the same file.
//!
//! Needs the `dns` feature (the CLI's `domain verify`); the DNS part needs dnsmasq
//! (`SSO_SCIM_DNSMASQ=1`, which `.ci/run` sets after installing `dnsmasq-base`).

mod common;

#[cfg(not(feature = "dns"))]
#[test]
fn sso_admin_needs_the_dns_feature() {
    common::skipped(
        "sso_admin_cli",
        "build with --features dns (cargo test --all-features does)",
    );
}

#[cfg(feature = "dns")]
mod cli {
    use std::net::{TcpListener, UdpSocket};
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::time::{Duration, Instant};

    use serde_json::Value;

    use super::common::admin_cli::{admin, binary, ok, refused, scratch};

    fn vectors() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
    }

    #[test]
    fn every_command_keeps_its_json_contract() {
        let dir = scratch("contract");
        let db = dir.join("sso.sqlite3");
        let created = ok(
            &db,
            &[
                "org",
                "create",
                "acme",
                "--json",
                "--name",
                "Acme",
                "--acs-url",
                "https://app.example.com/saml/acme/acs",
                "--sp-entity-id",
                "https://app.example.com/saml/acme",
            ],
        );
        assert_eq!(
            created,
            serde_json::json!({"org": "acme", "sp_entity_id": "https://app.example.com/saml/acme", "acs_url": "https://app.example.com/saml/acme/acs"})
        );
        refused(&db, &["--json", "org", "create", "acme"], "org_exists");
        refused(
            &db,
            &[
                "--json",
                "org",
                "create",
                "bad",
                "--acs-url",
                "ftp://x.example/acs",
            ],
            "usage",
        );
        refused(
            &db,
            &["--json", "domain", "claim", "nobody", "x.example"],
            "unknown_org",
        );
        refused(
            &db,
            &["--json", "domain", "claim", "acme", "co.uk"],
            "public_suffix",
        );
        refused(
            &db,
            &["--json", "domain", "claim", "acme", "gmail.com"],
            "free_mail",
        );
        refused(
            &db,
            &["--json", "domain", "claim", "acme", "not a domain"],
            "invalid_domain",
        );
        refused(&db, &["--json", "frobnicate"], "usage");
        refused(&db, &["--json", "sso", "require", "acme", "maybe"], "usage");
        refused(
            &db,
            &["--json", "domain", "verify", "acme", "acme.example"],
            "not_verified",
        );

        let claim = ok(&db, &["--json", "domain", "claim", "acme", "Acme.Example."]);
        assert_eq!(claim["domain"], "acme.example");
        assert_eq!(claim["txt_name"], "_sso-scim-challenge.acme.example");
        assert!(claim["txt_value"]
            .as_str()
            .unwrap()
            .starts_with("sso-scim-verification="));
        let list = ok(&db, &["domain", "list", "acme", "--json"]);
        assert_eq!(list["domains"][0]["status"], "pending");
        assert_eq!(list["domains"][0]["txt_value"], claim["txt_value"]);

        // SSO from Okta's metadata, then the three fields; the stored config and certificates.
        let md = vectors().join("metadata/okta-oktapreview-crewjam.xml");
        let shown = ok(
            &db,
            &[
                "--json",
                "sso",
                "set",
                "acme",
                "--metadata",
                md.to_str().unwrap(),
            ],
        );
        let manifest: Value = serde_json::from_slice(
            &std::fs::read(vectors().join("metadata/manifest.json")).unwrap(),
        )
        .unwrap();
        let entry = manifest
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["file"] == "okta-oktapreview-crewjam.xml")
            .unwrap();
        assert_eq!(shown["idp_issuer"], entry["entity_id"]);
        assert_eq!(shown["idp_sso_url"], entry["sso_redirect"]);
        let cert = vectors().join("generated/idp-cert.pem");
        let shown = ok(
            &db,
            &[
                "--json",
                "sso",
                "set",
                "acme",
                "--idp-cert",
                cert.to_str().unwrap(),
                "--idp-sso-url",
                "https://dev-1.okta.com/app/x/exkTEST/sso/saml",
                "--idp-issuer",
                "http://www.okta.com/exkTEST",
            ],
        );
        let shown2 = ok(&db, &["--json", "sso", "show", "acme"]);
        assert_eq!(shown, shown2);
        assert_eq!(
            shown["idp_sso_url"],
            "https://dev-1.okta.com/app/x/exkTEST/sso/saml"
        );
        assert_eq!(shown["require_sso"], false);
        let c = &shown["certificates"][0];
        let sha = c["sha256"].as_str().unwrap();
        assert!(
            sha.len() == 64
                && sha
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        let der = {
            let pem = std::fs::read_to_string(&cert).unwrap();
            let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap()
        };
        let digest = ring::digest::digest(&ring::digest::SHA256, &der);
        assert_eq!(
            sha,
            digest
                .as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        assert!(c["not_after"].as_str().unwrap().ends_with('Z'));
        refused(
            &db,
            &[
                "--json",
                "sso",
                "set",
                "acme",
                "--idp-cert",
                md.to_str().unwrap(),
                "--idp-sso-url",
                "https://x.example/sso",
                "--idp-issuer",
                "x",
            ],
            "invalid_certificate",
        );
        let junk = dir.join("junk.xml");
        std::fs::write(&junk, "<html/>").unwrap();
        refused(
            &db,
            &[
                "--json",
                "sso",
                "set",
                "acme",
                "--metadata",
                junk.to_str().unwrap(),
            ],
            "invalid_metadata",
        );

        assert_eq!(
            ok(&db, &["--json", "sso", "require", "acme", "on"]),
            serde_json::json!({"require_sso": true})
        );
        assert_eq!(
            ok(&db, &["--json", "sso", "show", "acme"])["require_sso"],
            true
        );

        // SP metadata: XML without --json, {"xml"} with it; signed once the SP key is set.
        let out = Command::new(binary("sso_admin"))
            .arg("--db")
            .arg(&db)
            .args(["sp-metadata", "acme"])
            .output()
            .unwrap();
        let xml = String::from_utf8(out.stdout).unwrap();
        assert!(xml.starts_with("<?xml") && xml.contains("AuthnRequestsSigned=\"false\""));
        let sp = vectors().join("sp");
        ok(
            &db,
            &[
                "--json",
                "sso",
                "sp-key",
                "acme",
                "--key",
                sp.join("sp-key.pem").to_str().unwrap(),
                "--cert",
                sp.join("sp-cert.pem").to_str().unwrap(),
            ],
        );
        refused(
            &db,
            &[
                "--json",
                "sso",
                "sp-key",
                "acme",
                "--key",
                sp.join("sp-key.pem").to_str().unwrap(),
                "--cert",
                sp.join("other-cert.pem").to_str().unwrap(),
            ],
            "invalid_certificate",
        );
        let md = ok(&db, &["--json", "sp-metadata", "acme"]);
        assert!(md["xml"]
            .as_str()
            .unwrap()
            .contains("AuthnRequestsSigned=\"true\""));

        // A login URL for the organization, signed; by email only once the domain is verified.
        let login = ok(
            &db,
            &["--json", "login-url", "acme", "--relay-state", "/home"],
        );
        let url = login["url"].as_str().unwrap();
        assert!(url.starts_with("https://dev-1.okta.com/app/x/exkTEST/sso/saml?SAMLRequest="));
        assert!(url.contains("&RelayState=%2Fhome&SigAlg=") && url.contains("&Signature="));
        assert!(login["request_id"].as_str().unwrap().starts_with('_'));
        refused(
            &db,
            &["--json", "login-url", "--email", "jane@acme.example"],
            "not_verified",
        );
        refused(
            &db,
            &[
                "--json",
                "login-url",
                "acme",
                "--relay-state",
                &"x".repeat(81),
            ],
            "usage",
        );

        // SCIM tokens: shown once, listed without the secret, revoked.
        let t1 = ok(&db, &["--json", "scim", "token", "create", "acme"]);
        let t2 = ok(&db, &["scim", "token", "create", "acme", "--json"]);
        assert_ne!(t1["token"], t2["token"]);
        let listed = ok(&db, &["--json", "scim", "token", "list", "acme"]);
        assert_eq!(listed["tokens"].as_array().unwrap().len(), 2);
        assert!(!listed.to_string().contains(t1["token"].as_str().unwrap()));
        let id = t1["token_id"].as_str().unwrap();
        assert_eq!(
            ok(&db, &["--json", "scim", "token", "revoke", "acme", id])["revoked"],
            true
        );
        refused(
            &db,
            &["--json", "scim", "token", "revoke", "acme", "no-such-token"],
            "unknown_org",
        );

        // The token authenticates in scim_server on the same file; the revoked one does not.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Command::new(binary("scim_server"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--store"])
            .arg(format!("sqlite:{}", db.display()))
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let get = |token: &str| -> u16 {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                    use std::io::{Read, Write};
                    write!(s, "GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
                    let mut r = String::new();
                    s.read_to_string(&mut r).unwrap();
                    return r
                        .split(' ')
                        .nth(1)
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(0);
                }
                assert!(Instant::now() < deadline, "scim_server did not start");
                std::thread::sleep(Duration::from_millis(50));
            }
        };
        let live = get(t2["token"].as_str().unwrap());
        let dead = get(t1["token"].as_str().unwrap());
        let _ = server.kill();
        let _ = server.wait();
        assert_eq!((live, dead), (200, 401));
        // scim_server kept the organization's SSO settings.
        assert_eq!(
            ok(&db, &["--json", "sso", "show", "acme"])["require_sso"],
            true
        );
    }

    use super::common::KillOnDrop as Dnsmasq;

    fn free_udp_port() -> u16 {
        UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    fn dnsmasq(port: u16, extra: &[String]) -> Dnsmasq {
        let child = Command::new("dnsmasq")
            .args([
                "--keep-in-foreground",
                &format!("--port={port}"),
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--no-resolv",
                "--no-hosts",
                "--log-facility=-",
                "--local=/acme.test/",
                "--pid-file=",
            ])
            .args(extra)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("dnsmasq (Debian package dnsmasq-base)");
        // Ready when it answers (a TXT query for anything).
        let deadline = Instant::now() + Duration::from_secs(10);
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let query = [
            0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, b'a', b'c', b'm', b'e', 4, b't', b'e',
            b's', b't', 0, 0, 16, 0, 1,
        ];
        loop {
            let _ = sock.send_to(&query, ("127.0.0.1", port));
            let mut buf = [0u8; 512];
            if sock.recv_from(&mut buf).is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "dnsmasq did not start");
        }
        Dnsmasq(child)
    }

    #[test]
    fn domain_verify_reads_a_real_dns_server() {
        if std::env::var("SSO_SCIM_DNSMASQ").is_err() {
            super::common::skipped(
                "domain_verify_reads_a_real_dns_server",
                "set SSO_SCIM_DNSMASQ=1 with dnsmasq installed (Debian dnsmasq-base); .ci/run does",
            );
            return;
        }
        let dir = scratch("dns");
        let db = dir.join("sso.sqlite3");
        ok(&db, &["--json", "org", "create", "acme"]);
        ok(&db, &["--json", "org", "create", "rival"]);
        let mut claims = Vec::new();
        for d in [
            "acme.test",
            "split.acme.test",
            "many.acme.test",
            "missing.acme.test",
            "notxt.acme.test",
            "big.acme.test",
        ] {
            let c = ok(&db, &["--json", "domain", "claim", "acme", d]);
            claims.push((
                d,
                c["txt_name"].as_str().unwrap().to_owned(),
                c["txt_value"].as_str().unwrap().to_owned(),
            ));
        }
        let rival = ok(&db, &["--json", "domain", "claim", "rival", "acme.test"]);
        let value = |d: &str| claims.iter().find(|c| c.0 == d).unwrap().2.clone();
        let name = |d: &str| claims.iter().find(|c| c.0 == d).unwrap().1.clone();
        let split = value("split.acme.test");
        let mut records = vec![
            format!("--txt-record={},{}", name("acme.test"), value("acme.test")),
            format!(
                "--txt-record={},{},{}",
                name("split.acme.test"),
                &split[..12],
                &split[12..]
            ),
            // Both organizations' records are published: the first to verify holds the domain.
            format!(
                "--txt-record={},{}",
                name("acme.test"),
                rival["txt_value"].as_str().unwrap()
            ),
            "--host-record=_sso-scim-challenge.notxt.acme.test,127.0.0.9".to_owned(),
        ];
        for i in 0..20 {
            records.push(format!("--txt-record={},noise-{i}", name("many.acme.test")));
        }
        records.push(format!(
            "--txt-record={},{}",
            name("many.acme.test"),
            value("many.acme.test")
        ));
        // 1,200 bytes in 255-byte strings (more than a 512-byte UDP answer: TCP fallback).
        let big: Vec<String> = (0..5).map(|i| format!("{i}").repeat(240)).collect();
        records.push(format!(
            "--txt-record={},{}",
            name("big.acme.test"),
            big.join(",")
        ));
        let port = free_udp_port();
        let _dns = dnsmasq(port, &records);
        let ns = format!("127.0.0.1:{port}");
        let verify = |org: &str, d: &str| {
            admin(
                &db,
                &["--json", "domain", "verify", org, d, "--nameserver", &ns],
            )
        };

        for d in ["acme.test", "split.acme.test", "many.acme.test"] {
            let (code, v) = verify("acme", d);
            assert_eq!((code, &v["verified"]), (0, &Value::Bool(true)), "{d}: {v}");
            assert_eq!(v["reason"], Value::Null);
        }
        for (d, why) in [
            ("missing.acme.test", "NXDOMAIN"),
            ("notxt.acme.test", "no TXT record"),
            ("big.acme.test", "none of the 1 TXT records"),
        ] {
            let (code, v) = verify("acme", d);
            assert_eq!((code, &v["verified"]), (1, &Value::Bool(false)), "{d}: {v}");
            assert!(v["reason"].as_str().unwrap().contains(why), "{d}: {v}");
        }
        let listed = ok(&db, &["--json", "domain", "list", "acme"]);
        let status: Vec<(String, String)> = listed["domains"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["domain"].as_str().unwrap().to_owned(),
                    d["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(status.contains(&("acme.test".into(), "verified".into())));
        assert!(status.contains(&("missing.acme.test".into(), "pending".into())));

        // Another organization may claim a verified domain but not verify it while the record stands.
        assert_ne!(rival["txt_value"], value("acme.test"));
        refused(
            &db,
            &[
                "--json",
                "domain",
                "verify",
                "rival",
                "acme.test",
                "--nameserver",
                &ns,
            ],
            "claimed_by_other",
        );
        // Revoked: the domain stops routing logins at once.
        assert_eq!(
            ok(&db, &["--json", "domain", "revoke", "acme", "acme.test"])["status"],
            "revoked"
        );
        refused(
            &db,
            &["--json", "login-url", "--email", "jane@acme.test"],
            "not_verified",
        );

        // A server that never answers: a timeout, reported, nothing changed.
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let silent_ns = silent.local_addr().unwrap().to_string();
        let started = Instant::now();
        let (code, v) = admin(
            &db,
            &[
                "--json",
                "domain",
                "verify",
                "acme",
                "split.acme.test",
                "--nameserver",
                &silent_ns,
            ],
        );
        assert_eq!((code, &v["verified"]), (1, &Value::Bool(false)), "{v}");
        assert!(v["reason"].as_str().unwrap().contains("timed out"), "{v}");
        assert_eq!(v["status"], "verified", "a failed lookup keeps the claim");
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
