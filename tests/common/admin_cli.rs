//! Running the `sso_admin` and `scim_server` example binaries from a test: each `--json` call
//! gives exactly one JSON object.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(|p| p.parent())
        .unwrap()
        .join("examples")
        .join(name);
    assert!(bin.exists(), "{} not built", bin.display());
    bin
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("sso-admin-cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `sso_admin` with `args`: (exit code, the one JSON object on stdout).
pub fn admin(db: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(binary("sso_admin"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|_| panic!("{args:?}: not one JSON object: {stdout:?}"));
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "exactly one line: {stdout}"
    );
    (out.status.code().unwrap(), v)
}

pub fn ok(db: &Path, args: &[&str]) -> Value {
    let (code, v) = admin(db, args);
    assert_eq!(code, 0, "{args:?}: {v}");
    assert!(v.get("error").is_none());
    v
}

pub fn refused(db: &Path, args: &[&str], code: &str) {
    let (exit, v) = admin(db, args);
    assert_eq!(
        (exit, v["error"].as_str()),
        (if code == "usage" { 2 } else { 1 }, Some(code)),
        "{args:?}: {v}"
    );
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
}
