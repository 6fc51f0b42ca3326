//! `saml_inspect`: an admin's SAML debugging tool. It prints what a SAML response says (issuer,
//! destination, audience, times, the signatures found and what each covers) and the verdict of the
//! validator for a given configuration, with the hint naming the Okta setting to change.
//!
//! ```text
//! saml_inspect --idp-cert FILE [--idp-cert FILE2] --idp-issuer URL --sp-entity-id ID --acs-url URL
//!              [--idp-sso-url URL] [--now RFC3339] [--request-id ID]... [--email-attribute NAME]
//!              [--no-require-email] [--insecure-allow-sha1] [--json] RESPONSE
//! ```
//!
//! - certificate files are PEM or DER; RESPONSE is a file (or `-` for stdin) holding raw XML or
//!   the base64 `SAMLResponse` form value;
//! - without `--request-id` it behaves as a host that keeps no request state and allows
//!   IdP-initiated logins (InResponseTo is not judged); with one or more, InResponseTo must be one
//!   of them;
//! - `--now` defaults to the current time;
//! - `--json`: exit 0 and `{"valid":true,"name_id":..,"email":..,"attributes":{..},"assertion_id":..}`,
//!   or exit 1 and `{"valid":false,"error":"<code>","message":..,"hint":..}`;
//! - exit 2 on usage errors.

use std::io::Read;
use std::process::ExitCode;

use serde_json::json;
use sso_scim::{
    AssertionValidator, MemoryReplayCache, RequestState, ResponseOverview, SsoConfig, Timestamp,
};

const USAGE: &str = "usage: saml_inspect --idp-cert FILE [--idp-cert FILE2] --idp-issuer URL --sp-entity-id ID --acs-url URL [--idp-sso-url URL] [--now RFC3339] [--request-id ID]... [--email-attribute NAME] [--no-require-email] [--insecure-allow-sha1] [--json] RESPONSE";

#[derive(Default)]
struct Args {
    certs: Vec<String>,
    issuer: Option<String>,
    entity_id: Option<String>,
    acs_url: Option<String>,
    sso_url: Option<String>,
    now: Option<String>,
    request_ids: Vec<String>,
    email_attribute: Option<String>,
    no_require_email: bool,
    insecure_allow_sha1: bool,
    json: bool,
    response: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--idp-cert" => a.certs.push(value("--idp-cert")?),
            "--idp-issuer" => a.issuer = Some(value("--idp-issuer")?),
            "--sp-entity-id" => a.entity_id = Some(value("--sp-entity-id")?),
            "--acs-url" => a.acs_url = Some(value("--acs-url")?),
            "--idp-sso-url" => a.sso_url = Some(value("--idp-sso-url")?),
            "--now" => a.now = Some(value("--now")?),
            "--request-id" => a.request_ids.push(value("--request-id")?),
            "--email-attribute" => a.email_attribute = Some(value("--email-attribute")?),
            "--no-require-email" => a.no_require_email = true,
            "--insecure-allow-sha1" => a.insecure_allow_sha1 = true,
            "--json" => a.json = true,
            "-h" | "--help" => return Err(String::new()),
            "-" => a.response = Some(arg),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ if a.response.is_some() => return Err(format!("unexpected argument {arg}")),
            _ => a.response = Some(arg),
        }
    }
    if a.certs.is_empty() {
        return Err("--idp-cert is required".into());
    }
    for (flag, v) in [
        ("--idp-issuer", &a.issuer),
        ("--sp-entity-id", &a.entity_id),
        ("--acs-url", &a.acs_url),
    ] {
        if v.is_none() {
            return Err(format!("{flag} is required"));
        }
    }
    if a.response.is_none() {
        return Err("RESPONSE (a file, or - for stdin) is required".into());
    }
    Ok(a)
}

fn usage_error(msg: &str) -> ExitCode {
    if !msg.is_empty() {
        eprintln!("saml_inspect: {msg}");
    }
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn read_input(path: &str) -> Result<Vec<u8>, String> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("stdin: {e}"))?;
        Ok(buf)
    } else {
        std::fs::read(path).map_err(|e| format!("{path}: {e}"))
    }
}

/// Raw XML starts with `<` (after an optional byte-order mark and whitespace); anything else is
/// taken as the base64 form value.
fn is_raw_xml(bytes: &[u8]) -> bool {
    let b = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    b.trim_ascii_start().first() == Some(&b'<')
}

fn show(label: &str, v: &Option<String>) {
    println!("  {label:<22} {}", v.as_deref().unwrap_or("(absent)"));
}

fn print_overview(o: &ResponseOverview) {
    println!("What the response says (NOT verified):");
    println!("  {:<22} {}", "root", o.root);
    show("ID", &o.id);
    show("Issuer", &o.issuer);
    show("Destination", &o.destination);
    show("InResponseTo", &o.in_response_to);
    show("IssueInstant", &o.issue_instant);
    show("Status", &o.status);
    if o.status_detail.is_some() || o.status_message.is_some() {
        show("Status detail", &o.status_detail);
        show("StatusMessage", &o.status_message);
    }
    println!(
        "  {:<22} {} (encrypted: {})",
        "Assertions", o.assertion_count, o.encrypted_assertion_count
    );
    if let Some(a) = &o.assertion {
        println!("Assertion:");
        show("ID", &a.id);
        show("Issuer", &a.issuer);
        show("NameID", &a.name_id);
        show("NameID Format", &a.name_id_format);
        println!("  {:<22} {:?}", "Audience", a.audiences);
        show("NotBefore", &a.not_before);
        show("NotOnOrAfter", &a.not_on_or_after);
        println!("  {:<22} {:?}", "Recipient", a.recipients);
        show("Confirmation until", &a.confirmation_not_on_or_after);
        show("Confirmation answers", &a.in_response_to);
        show("SessionIndex", &a.session_index);
        for (k, v) in &a.attributes {
            println!("  attribute {k:<12} {v:?}");
        }
    }
    if o.signatures.is_empty() {
        println!("Signatures: none");
    }
    for (i, s) in o.signatures.iter().enumerate() {
        println!("Signature #{} in <{}>:", i + 1, s.parent);
        println!("  {:<22} {}", "covers", s.covers);
        show("canonicalization", &s.canonicalization);
        show("signature algorithm", &s.signature_algorithm);
        show("digest algorithm", &s.digest_algorithm);
        if let Some(p) = &s.profile_error {
            println!("  {:<22} {p}", "outside profile");
        }
    }
}

fn refuse(json: bool, code: &str, message: &str, hint: &str) -> ExitCode {
    if json {
        println!(
            "{}",
            json!({"valid": false, "error": code, "message": message, "hint": hint})
        );
    } else {
        println!("INVALID [{code}] {message}\n  hint: {hint}");
    }
    ExitCode::from(1)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => return usage_error(&e),
    };
    let now = match &args.now {
        Some(s) => match Timestamp::parse(s) {
            Ok(t) => t,
            Err(e) => return usage_error(&format!("--now: {e}")),
        },
        None => Timestamp::now(),
    };
    let mut builder = SsoConfig::builder()
        .idp_issuer(args.issuer.clone().unwrap_or_default())
        .sp_entity_id(args.entity_id.clone().unwrap_or_default())
        .acs_url(args.acs_url.clone().unwrap_or_default())
        .idp_sso_url(
            args.sso_url
                .clone()
                .unwrap_or_else(|| "https://idp-sso-url.invalid/".into()),
        )
        .allow_idp_initiated(args.request_ids.is_empty())
        .require_email(!args.no_require_email)
        .insecure_allow_sha1(args.insecure_allow_sha1);
    for path in &args.certs {
        match std::fs::read(path) {
            Ok(bytes) => builder = builder.idp_certificate(bytes),
            Err(e) => return usage_error(&format!("--idp-cert {path}: {e}")),
        }
    }
    if let Some(a) = &args.email_attribute {
        builder = builder.email_attribute(a);
    }
    let config = match builder.build() {
        Ok(c) => c,
        Err(e) => return usage_error(&format!("{e}\n  hint: {}", e.hint())),
    };
    let input = match read_input(args.response.as_deref().unwrap_or("-")) {
        Ok(b) => b,
        Err(e) => return usage_error(&e),
    };
    let raw_xml = is_raw_xml(&input);

    if !args.json {
        let overview = if raw_xml {
            ResponseOverview::from_xml(&input)
        } else {
            ResponseOverview::from_form_value(&input)
        };
        match &overview {
            Ok(o) => print_overview(o),
            Err(e) => println!("The response could not be read: {e}"),
        }
        for w in config.warnings(now) {
            println!("Configuration warning: {w}");
        }
        println!("Checked at {now}");
    }

    let validator = AssertionValidator::new(config);
    let requests = if args.request_ids.is_empty() {
        RequestState::stateless()
    } else {
        RequestState::outstanding(&args.request_ids)
    };
    let result = if raw_xml {
        validator.validate_xml(&input, &requests, now)
    } else {
        validator.validate(&input, &requests, now)
    };
    let cache = MemoryReplayCache::new();
    let verified = result.map(|pending| pending.consume_now(&cache));
    match verified {
        Ok(Ok(a)) => {
            if args.json {
                println!(
                    "{}",
                    json!({
                        "valid": true,
                        "name_id": a.name_id(),
                        "email": a.email(),
                        "attributes": a.attributes(),
                        "assertion_id": a.assertion_id(),
                    })
                );
            } else {
                println!("VALID");
                println!("  {:<22} {}", "NameID", a.name_id());
                println!("  {:<22} {}", "email", a.email().unwrap_or("(none)"));
                println!(
                    "  {:<22} {} {}",
                    "name",
                    a.first_name().unwrap_or(""),
                    a.last_name().unwrap_or("")
                );
                println!("  {:<22} {}", "assertion id", a.assertion_id());
                println!("  {:<22} {}", "remember id until", a.remember_until());
                if let Some(s) = a.session_index() {
                    println!("  {:<22} {s}", "SessionIndex");
                }
            }
            ExitCode::SUCCESS
        }
        // A fresh cache never reports a replay; a cache error is reported like any refusal.
        Ok(Err(e)) => refuse(args.json, e.code(), &e.to_string(), e.hint()),
        Err(e) => refuse(args.json, e.code(), &e.to_string(), e.hint()),
    }
}
