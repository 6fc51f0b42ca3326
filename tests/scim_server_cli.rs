//! The `scim_server` example over real HTTP: flags, token handling and the domain rule.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|p| p.parent()).unwrap();
    let bin = dir
        .join("examples")
        .join(format!("scim_server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} not built (cargo test builds examples)",
        bin.display()
    );
    bin
}

struct Server {
    child: Child,
    port: u16,
    first_lines: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(binary())
        .args(["--listen", &listen])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first_lines = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        first_lines.push(line.trim_end().to_owned());
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(&listen).is_err() {
        assert!(
            Instant::now() < deadline,
            "scim_server did not start: {first_lines:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        port,
        first_lines,
    }
}

fn http(port: u16, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

const TOKEN: &str = "a-conformance-tester-token-0123456789";

fn user(name: &str) -> String {
    format!(
        r#"{{"userName":"{name}","name":{{"givenName":"G","familyName":"F"}},"emails":[{{"value":"x@example.com"}}]}}"#
    )
}

#[test]
fn serves_scim_with_the_given_token_and_claimed_domains() {
    let srv = start(&["--token", TOKEN, "--claim-domain", "example.com"]);
    assert!(
        srv.first_lines[0].ends_with(&format!("127.0.0.1:{}/scim/v2", srv.port)),
        "{:?}",
        srv.first_lines
    );
    assert!(
        !srv.first_lines.join("\n").contains(TOKEN),
        "a given token is never printed"
    );
    let (status, body) = http(srv.port, "GET", "/scim/v2/ServiceProviderConfig", TOKEN, "");
    assert_eq!(status, 200, "{body}");
    let (status, _) = http(
        srv.port,
        "GET",
        "/scim/v2/Users",
        "wrong-token-value-0000000000",
        "",
    );
    assert_eq!(status, 401);
    let ok = user("x@example.com");
    let (status, body) = http(srv.port, "POST", "/scim/v2/Users", TOKEN, &ok);
    assert_eq!(status, 201, "{body}");
    let (status, _) = http(
        srv.port,
        "POST",
        "/scim/v2/Users",
        TOKEN,
        &user("not-an-email"),
    );
    assert_eq!(status, 400, "the domain rule is on by default");
}

#[test]
fn generates_a_token_and_any_domain_turns_the_rule_off() {
    let srv = start(&["--any-domain"]);
    let token_line = srv
        .first_lines
        .iter()
        .find(|l| l.starts_with("Bearer token:"))
        .unwrap();
    let token = token_line.split_whitespace().nth(2).unwrap().to_owned();
    assert!(token.starts_with("scim."), "{token_line}");
    assert!(
        srv.first_lines.iter().any(|l| l.contains("OFF")),
        "{:?}",
        srv.first_lines
    );
    let (status, body) = http(
        srv.port,
        "POST",
        "/scim/v2/Users",
        &token,
        &user("Test_User_ab6490ee"),
    );
    assert_eq!(status, 201, "{body}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec![],
        vec!["--listen", "nonsense"],
        vec!["--listen", "127.0.0.1:1", "--bogus"],
        vec!["--listen", "127.0.0.1:1", "--token", "short"],
    ] {
        let out = Command::new(binary()).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}
