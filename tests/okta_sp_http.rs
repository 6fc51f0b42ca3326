//! The `okta_sp` demo's web security over plain HTTP: settings need an owner's or admin's
//! session and a valid CSRF token (nothing changes without it), the session cookie is
//! HttpOnly and SameSite=Lax, RelayState never redirects off the origin, and the ACS needs no
//! cookie (the IdP's POST is cross-site).

mod common;

#[cfg(not(feature = "demo"))]
#[test]
fn okta_sp_http_needs_the_demo_feature() {
    common::skipped(
        "okta_sp_http",
        "build with --features demo (cargo test --all-features does)",
    );
}

#[cfg(feature = "demo")]
mod demo {
    use std::io::{BufRead, BufReader};
    use std::path::PathBuf;
    use std::process::{Command, Stdio};

    use super::common::http::{exchange, header};

    use super::common::KillOnDrop as Kill;

    fn form(pairs: &[(&str, &str)]) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }

    /// The value of `<input ... name="NAME" value="...">` in a page (HTML-unescaped).
    fn input(html: &str, name: &str) -> String {
        let at = html
            .find(&format!("name=\"{name}\" value=\""))
            .unwrap_or_else(|| panic!("no {name} in {html}"));
        let rest = &html[at + name.len() + 15..];
        rest[..rest.find('"').unwrap()]
            .replace("&amp;", "&")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
    }

    #[test]
    fn settings_need_an_admin_and_a_csrf_token_and_relay_state_stays_home() {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("okta-sp-http");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let bin = super::common::admin_cli::binary("okta_sp");
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(dir.join("d.sqlite3"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let _guard = Kill(child);
        let (mut port, mut owner_pw, mut member_pw) = (0u16, String::new(), String::new());
        loop {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0);
            if let Some(u) = line.strip_prefix("Open:") {
                port = u
                    .trim()
                    .trim_end_matches('/')
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
            }
            if let Some(r) = line.strip_prefix("Password login: owner@example.com / ") {
                owner_pw = r.split(' ').next().unwrap().to_owned();
            }
            if let Some(r) = line.strip_prefix("Password login: member@example.com / ") {
                member_pw = r.split(' ').next().unwrap().to_owned();
            }
            if line.starts_with("Test IdP") {
                break;
            }
        }
        let post = |path: &str, body: &str, cookie: Option<&str>| {
            let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
            let c;
            if let Some(v) = cookie {
                c = format!("sid={v}");
                h.push(("Cookie", c.as_str()));
            }
            exchange(port, "POST", path, &h, body)
        };
        let get = |path: &str, cookie: Option<&str>| {
            let c = cookie.map(|v| format!("sid={v}"));
            let h: Vec<(&str, &str)> = c.iter().map(|c| ("Cookie", c.as_str())).collect();
            exchange(port, "GET", path, &h, "")
        };
        let session_of = |head: &str| -> String {
            let c = header(head, "set-cookie").expect("a session cookie");
            assert!(
                c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"),
                "{c}"
            );
            c.trim_start_matches("sid=")
                .split(';')
                .next()
                .unwrap()
                .to_owned()
        };

        // Without a session: settings refused, nothing changed.
        assert_eq!(get("/settings", None).0, 401);
        assert_eq!(
            post("/settings/require-sso", &form(&[("on", "on")]), None).0,
            401
        );
        // A member's session: refused.
        let (s, head, _) = post(
            "/password",
            &form(&[("email", "member@example.com"), ("password", &member_pw)]),
            None,
        );
        assert_eq!(s, 303);
        let member = session_of(&head);
        assert_eq!(get("/settings", Some(&member)).0, 403);
        // The owner's session without, or with a wrong, CSRF token: refused, nothing changed.
        let (_, head, _) = post(
            "/password",
            &form(&[("email", "owner@example.com"), ("password", &owner_pw)]),
            None,
        );
        let owner = session_of(&head);
        let (s, _, page) = get("/settings", Some(&owner));
        assert_eq!(s, 200);
        let token = input(&page, "csrf");
        assert_eq!(token.len(), 64);
        for bad in [
            form(&[("on", "on")]),
            form(&[("on", "on"), ("csrf", &"0".repeat(64))]),
        ] {
            assert_eq!(post("/settings/require-sso", &bad, Some(&owner)).0, 403);
        }
        assert!(get("/settings", Some(&owner))
            .2
            .contains("id=\"require-sso\">off<"));
        // The member's token is not the owner's.
        let (s, _, _) = post(
            "/settings/require-sso",
            &form(&[("on", "on"), ("csrf", &token)]),
            Some(&member),
        );
        assert_eq!(s, 403);
        let (s, _, page) = post(
            "/settings/require-sso",
            &form(&[("on", "on"), ("csrf", &token)]),
            Some(&owner),
        );
        assert_eq!(s, 200);
        assert!(page.contains("id=\"require-sso\">on<"));
        // Wrong passwords are refused the same way for known and unknown accounts.
        assert_eq!(
            post(
                "/password",
                &form(&[("email", "owner@example.com"), ("password", "nope")]),
                None
            )
            .0,
            401
        );
        assert_eq!(
            post(
                "/password",
                &form(&[("email", "ghost@example.com"), ("password", "nope")]),
                None
            )
            .0,
            401
        );

        // An SP-initiated login whose RelayState is changed to another origin on the way back,
        // posted to the ACS without any cookie: logged in, sent home, not away.
        let (s, head, _) = post("/login", &form(&[("email", "jane@example.com")]), None);
        assert_eq!(s, 303);
        let to = header(&head, "location").unwrap();
        let query = to.split_once('?').unwrap().1;
        let (_, _, idp_page) = exchange(port, "GET", &format!("/idp/sso?{query}"), &[], "");
        let q = input(&idp_page, "query");
        let (_, _, acs_page) = post(
            "/idp/sso",
            &form(&[
                ("query", &q),
                ("email", "jane@example.com"),
                ("first", "Jane"),
                ("last", "Doe"),
            ]),
            None,
        );
        let saml = input(&acs_page, "SAMLResponse");
        let mut logged_in = 0;
        for relay in [
            "//evil.example/x",
            "https://evil.example/",
            "/\\evil.example",
        ] {
            let (s, head, _) = post(
                "/saml/demo/acs",
                &form(&[("SAMLResponse", &saml), ("RelayState", relay)]),
                None,
            );
            // The first post logs in; the same response again is refused (its request is spent).
            if s == 303 {
                assert_eq!(header(&head, "location"), Some("/me"), "{relay}");
                session_of(&head);
                logged_in += 1;
            } else {
                assert_eq!(s, 403);
            }
        }
        assert_eq!(logged_in, 1);
        // A same-origin path is followed.
        let (_, head, _) = post("/login", &form(&[("email", "jane@example.com")]), None);
        let query = header(&head, "location")
            .unwrap()
            .split_once('?')
            .unwrap()
            .1
            .to_owned();
        let (_, _, idp_page) = exchange(port, "GET", &format!("/idp/sso?{query}"), &[], "");
        let (_, _, acs_page) = post(
            "/idp/sso",
            &form(&[
                ("query", &input(&idp_page, "query")),
                ("email", "jane@example.com"),
            ]),
            None,
        );
        let (s, head, _) = post(
            "/saml/demo/acs",
            &form(&[
                ("SAMLResponse", &input(&acs_page, "SAMLResponse")),
                ("RelayState", "/settings"),
            ]),
            None,
        );
        assert_eq!((s, header(&head, "location")), (303, Some("/settings")));
    }
}
