//! The `okta_sp` demo in a real browser: Debian's chromium, headless, driven through
//! chromedriver's WebDriver API. The test IdP is served on `localhost` and the application on
//! `127.0.0.1` (two sites), so the IdP's POST to the ACS is cross-site, as with a real IdP.
//! Checked: an SP-initiated round trip, an IdP-initiated login, a refused login showing its
//! code and hint, the require-SSO toggle refusing a member's password while the owner's works,
//! settings closed to members, and a SCIM token generated on the settings page then used
//! against `/scim/v2/Users`. Screenshots go to `target/okta_sp-screenshots/`.
//!
//! Needs the `demo` feature and `SSO_SCIM_BROWSER=1` with chromium and chromium-driver
//! installed (`.ci/run` does); otherwise it says it was skipped.

mod common;

#[cfg(not(feature = "demo"))]
#[test]
fn okta_sp_browser_needs_the_demo_feature() {
    common::skipped(
        "okta_sp_browser",
        "build with --features demo (cargo test --all-features does)",
    );
}

#[cfg(feature = "demo")]
mod browser {
    use std::io::{BufRead, BufReader};
    use std::net::{TcpListener, TcpStream};
    use std::path::PathBuf;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use serde_json::{json, Value};

    use super::common::http::http;

    use super::common::KillOnDrop as Kill;

    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    struct Driver {
        port: u16,
        session: String,
        _child: Kill,
    }

    impl Driver {
        fn start() -> Driver {
            let port = free_port();
            let child = Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver (Debian chromium-driver)");
            let deadline = Instant::now() + Duration::from_secs(30);
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < deadline, "chromedriver did not start");
                std::thread::sleep(Duration::from_millis(100));
            }
            let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,1300", "--disable-dev-shm-usage"]}}}});
            let (_, body) = http(
                port,
                "POST",
                "/session",
                &[("Content-Type", "application/json")],
                &caps.to_string(),
            );
            let v: Value = serde_json::from_str(&body).unwrap();
            let session = v["value"]["sessionId"]
                .as_str()
                .unwrap_or_else(|| panic!("no session: {v}"))
                .to_owned();
            Driver {
                port,
                session,
                _child: Kill(child),
            }
        }

        fn call(&self, method: &str, path: &str, body: Value) -> Value {
            let p = format!("/session/{}{path}", self.session);
            let body = if body.is_null() {
                String::new()
            } else {
                body.to_string()
            };
            let (status, text) = http(
                self.port,
                method,
                &p,
                &[("Content-Type", "application/json")],
                &body,
            );
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            assert!(status < 300, "{method} {path}: {status} {v}");
            v["value"].clone()
        }

        fn goto(&self, url: &str) {
            self.call("POST", "/url", json!({"url": url}));
        }

        fn url(&self) -> String {
            self.call("GET", "/url", Value::Null)
                .as_str()
                .unwrap_or("")
                .to_owned()
        }

        fn source(&self) -> String {
            self.call("GET", "/source", Value::Null)
                .as_str()
                .unwrap_or("")
                .to_owned()
        }

        fn find(&self, css: &str) -> String {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let p = format!("/session/{}/element", self.session);
                let (status, text) = http(
                    self.port,
                    "POST",
                    &p,
                    &[("Content-Type", "application/json")],
                    &json!({"using": "css selector", "value": css}).to_string(),
                );
                if status < 300 {
                    let v: Value = serde_json::from_str(&text).unwrap();
                    let obj = v["value"].as_object().unwrap();
                    return obj.values().next().unwrap().as_str().unwrap().to_owned();
                }
                assert!(
                    Instant::now() < deadline,
                    "no element {css} on {}",
                    self.url()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }

        fn click(&self, css: &str) {
            let e = self.find(css);
            self.call("POST", &format!("/element/{e}/click"), json!({}));
        }

        fn type_in(&self, css: &str, text: &str) {
            let e = self.find(css);
            self.call("POST", &format!("/element/{e}/clear"), json!({}));
            self.call(
                "POST",
                &format!("/element/{e}/value"),
                json!({"text": text}),
            );
        }

        fn text(&self, css: &str) -> String {
            let e = self.find(css);
            self.call("GET", &format!("/element/{e}/text"), Value::Null)
                .as_str()
                .unwrap_or("")
                .to_owned()
        }

        /// Waits until the page's URL starts with `prefix`.
        fn wait_url(&self, prefix: &str) {
            let deadline = Instant::now() + Duration::from_secs(20);
            while !self.url().starts_with(prefix) {
                assert!(
                    Instant::now() < deadline,
                    "still at {} (waiting for {prefix}): {}",
                    self.url(),
                    self.source()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }

        fn wait_text(&self, needle: &str) {
            let deadline = Instant::now() + Duration::from_secs(20);
            while !self.source().contains(needle) {
                assert!(
                    Instant::now() < deadline,
                    "{needle:?} never shown at {}: {}",
                    self.url(),
                    self.source()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }

        fn screenshot(&self, name: &str) {
            use base64::Engine;
            let png = self.call("GET", "/screenshot", Value::Null);
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(png.as_str().unwrap())
                .unwrap();
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/okta_sp-screenshots");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
        }
    }

    impl Drop for Driver {
        fn drop(&mut self) {
            let _ = http(
                self.port,
                "DELETE",
                &format!("/session/{}", self.session),
                &[],
                "",
            );
        }
    }

    struct Demo {
        port: u16,
        passwords: Vec<(String, String)>,
        _child: Kill,
    }

    fn start_demo(fresh: bool) -> Demo {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("okta-sp-browser");
        if fresh {
            let _ = std::fs::remove_dir_all(&dir);
        }
        std::fs::create_dir_all(&dir).unwrap();
        let bin = super::common::admin_cli::binary("okta_sp");
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(dir.join("demo.sqlite3"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (mut port, mut passwords) = (0, Vec::new());
        for _ in 0..12 {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            if let Some(url) = line.strip_prefix("Open:") {
                port = url
                    .trim()
                    .trim_end_matches('/')
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
            }
            if let Some(rest) = line.strip_prefix("Password login: ") {
                if let Some((email, tail)) = rest.split_once(" / ") {
                    passwords.push((email.to_owned(), tail.split(' ').next().unwrap().to_owned()));
                }
            }
            if line.starts_with("Test IdP") {
                break;
            }
        }
        assert!(
            port > 0 && passwords.len() == if fresh { 2 } else { 0 },
            "{passwords:?}"
        );
        Demo {
            port,
            passwords,
            _child: Kill(child),
        }
    }

    #[test]
    fn the_demo_works_end_to_end_in_chromium() {
        if std::env::var("SSO_SCIM_BROWSER").is_err() {
            super::common::skipped(
                "the_demo_works_end_to_end_in_chromium",
                "set SSO_SCIM_BROWSER=1 with chromium and chromium-driver installed; .ci/run does",
            );
            return;
        }
        let demo = start_demo(true);
        let app = format!("http://127.0.0.1:{}", demo.port);
        let idp = format!("http://localhost:{}", demo.port);
        let d = Driver::start();
        let password = |email: &str| {
            demo.passwords
                .iter()
                .find(|(e, _)| e == email)
                .unwrap()
                .1
                .clone()
        };

        // 1. SP-initiated: the login page, the test IdP on the other site, the ACS, who I am.
        d.goto(&format!("{app}/"));
        d.screenshot("01-login");
        d.type_in("#email", "jane@example.com");
        d.click("#continue");
        d.wait_url(&format!("{idp}/idp/sso?SAMLRequest="));
        d.screenshot("02-test-idp");
        d.click("#idp-login");
        d.wait_url(&format!("{app}/me"));
        assert_eq!(d.text("#who"), "jane@example.com");
        let facts = d.text("#facts");
        assert!(facts.contains("Response and Assertion"), "{facts}");
        assert!(facts.contains("engineering, admins"), "{facts}");
        assert!(!facts.contains("(IdP-initiated)"), "{facts}");
        d.screenshot("03-logged-in");
        let cookies = d.call("GET", "/cookie", Value::Null);
        let sid = cookies
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "sid")
            .expect("a session cookie");
        assert_eq!(
            (sid["httpOnly"].as_bool(), sid["sameSite"].as_str()),
            (Some(true), Some("Lax"))
        );

        // 2. IdP-initiated.
        d.goto(&format!("{idp}/idp/start"));
        d.type_in("#idp-email", "kim@example.com");
        d.click("#idp-login");
        d.wait_url(&format!("{app}/me"));
        assert_eq!(d.text("#who"), "kim@example.com");
        assert!(d.text("#facts").contains("(IdP-initiated)"));

        // 3. A refused login shows its code and the hint.
        d.goto(&format!("{app}/"));
        d.type_in("#email", "jane@example.com");
        d.click("#continue");
        d.wait_url(&format!("{idp}/idp/sso"));
        d.click("#idp-fault option[value=expired]");
        d.click("#idp-login");
        d.wait_text("error-code");
        assert_eq!(d.text("#error-code"), "time");
        assert!(
            d.text("#error-hint").contains("clock"),
            "{}",
            d.text("#error-hint")
        );
        d.screenshot("04-refused");

        // 4. Settings are for owners and admins: jane (a member, by SSO) is refused.
        d.goto(&format!("{app}/settings"));
        d.wait_text("Only owners and admins");

        // 5. The owner logs in with a password, requires SSO; a member's password is then refused.
        let login = |email: &str, pw: &str| {
            d.goto(&format!("{app}/password"));
            d.type_in("#pw-email", email);
            d.type_in("#pw-password", pw);
            d.click("#pw-submit");
        };
        login("member@example.com", &password("member@example.com"));
        d.wait_url(&format!("{app}/me"));
        assert_eq!(d.text("#who"), "member@example.com");
        login("owner@example.com", &password("owner@example.com"));
        d.wait_url(&format!("{app}/me"));
        d.goto(&format!("{app}/settings"));
        assert_eq!(d.text("#require-sso"), "off");
        assert!(d.text("#acs").ends_with("/saml/demo/acs"));
        d.screenshot("05-settings");
        d.click("#toggle-require-sso");
        d.wait_text("SSO is now required");
        assert_eq!(d.text("#require-sso"), "on");
        login("member@example.com", &password("member@example.com"));
        d.wait_text("error-code");
        assert_eq!(d.text("#error-code"), "sso_required");
        login("owner@example.com", &password("owner@example.com"));
        d.wait_url(&format!("{app}/me"));
        assert_eq!(d.text("#who"), "owner@example.com");

        // 6. A SCIM token made on the settings page works against /scim/v2/Users.
        d.goto(&format!("{app}/settings"));
        d.click("#new-scim-token");
        d.wait_text("scim-token");
        let token = d.text("#scim-token");
        assert!(token.starts_with("scim."), "{token}");
        let auth = format!("Bearer {token}");
        let (status, body) = http(
            demo.port,
            "GET",
            "/scim/v2/Users?filter=userName%20eq%20%22jane@example.com%22",
            &[("Authorization", &auth)],
            "",
        );
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["totalResults"], 0, "JIT accounts are not SCIM users: {v}");
        let (status, _) = http(
            demo.port,
            "GET",
            "/scim/v2/Users",
            &[("Authorization", "Bearer scim.wrong.token")],
            "",
        );
        assert_eq!(status, 401);

        // 7. Restarted on another port with the same file: the stored setup follows, logins work.
        drop(demo);
        let again = start_demo(false);
        let (app, idp) = (
            format!("http://127.0.0.1:{}", again.port),
            format!("http://localhost:{}", again.port),
        );
        d.goto(&format!("{app}/"));
        d.type_in("#email", "jane@example.com");
        d.click("#continue");
        d.wait_url(&format!("{idp}/idp/sso"));
        d.click("#idp-login");
        d.wait_url(&format!("{app}/me"));
        assert_eq!(d.text("#who"), "jane@example.com");
        let (status, _) = http(
            again.port,
            "GET",
            "/scim/v2/Users",
            &[("Authorization", &auth)],
            "",
        );
        assert_eq!(status, 200, "the token survives the restart");
    }
}
