//! `saml_inspect`: an admin's SAML debugging tool. It prints what a SAML response says (issuer,
//! destination, audience, times, the signatures found and what each covers) and the verdict of the
//! validator for a given configuration, with the hint naming the Okta setting to change.
//!
//! ```text
//! saml_inspect --idp-cert FILE [--idp-cert FILE2] --idp-issuer URL --sp-entity-id ID --acs-url URL
//!              [--idp-sso-url URL] [--now RFC3339] [--request-id ID]... [--email-attribute NAME]
//!              [--no-require-email] [--insecure-allow-sha1] [--sp-key FILE [--sp-cert FILE]]...
//!              [--json] RESPONSE
//! ```
//!
//! - certificate files are PEM or DER; RESPONSE is a file (or `-` for stdin) holding raw XML or
//!   the base64 `SAMLResponse` form value;
//! - without `--request-id` it behaves as a host that keeps no request state and allows
//!   IdP-initiated logins (InResponseTo is not judged); with one or more, InResponseTo must be one
//!   of them;
//! - `--now` defaults to the current time;
//! - an EncryptedAssertion is described without any key (algorithms, where each wrapped key
//!   sits, the SHA-256 of the certificate the IdP encrypted for); with `--sp-key` (built with
//!   `--features encrypted-assertions`) the validator decrypts with that SP key (repeat for a
//!   rotation: tried in order), each wrapped key's certificate is matched against the keys',
//!   and the decrypted assertion is shown. FILE holds the PEM private key and its certificate,
//!   or give the certificate as the `--sp-cert` that follows;
//! - `--json`: exit 0 and `{"valid":true,"name_id":..,"email":..,"attributes":{..},"assertion_id":..}`,
//!   or exit 1 and `{"valid":false,"error":"<code>","message":..,"hint":..}`;
//! - exit 2 on usage errors.

use std::io::Read;
use std::process::ExitCode;

use serde_json::json;
use sso_scim::{
    AssertionValidator, MemoryReplayCache, RequestState, ResponseOverview, SsoConfig, Timestamp,
};

const USAGE: &str = "usage: saml_inspect --idp-cert FILE [--idp-cert FILE2] --idp-issuer URL --sp-entity-id ID --acs-url URL [--idp-sso-url URL] [--now RFC3339] [--request-id ID]... [--email-attribute NAME] [--no-require-email] [--insecure-allow-sha1] [--sp-key FILE [--sp-cert FILE]]... [--json] RESPONSE";

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
    /// `--sp-key` files, each with the `--sp-cert` that followed it (if any).
    sp_keys: Vec<(String, Option<String>)>,
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
            "--sp-key" => a.sp_keys.push((value("--sp-key")?, None)),
            "--sp-cert" => {
                let cert = value("--sp-cert")?;
                match a.sp_keys.last_mut() {
                    Some((_, c @ None)) => *c = Some(cert),
                    _ => return Err("--sp-cert follows the --sp-key it belongs to".into()),
                }
            }
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

/// The SP keys given with `--sp-key`, with their certificates' SHA-256 fingerprints.
#[cfg(feature = "encrypted-assertions")]
type SpKeys = Vec<sso_scim::saml::SpDecryptionKey>;
#[cfg(not(feature = "encrypted-assertions"))]
type SpKeys = Vec<()>;

#[cfg(feature = "encrypted-assertions")]
fn load_keys(args: &Args) -> Result<SpKeys, String> {
    args.sp_keys
        .iter()
        .map(|(k, c)| {
            let text = |f: &str| std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"));
            let key = text(k)?;
            let cert = match c {
                Some(c) => text(c)?,
                None => key.clone(),
            };
            sso_scim::saml::SpDecryptionKey::from_pem(&key, &cert)
                .map_err(|e| format!("--sp-key {k}: {e}"))
        })
        .collect()
}

#[cfg(not(feature = "encrypted-assertions"))]
fn load_keys(args: &Args) -> Result<SpKeys, String> {
    match args.sp_keys.is_empty() {
        true => Ok(Vec::new()),
        false => {
            Err("--sp-key needs saml_inspect built with --features encrypted-assertions".into())
        }
    }
}

/// The fingerprints of the SP keys' certificates, in order.
fn key_fingerprints(keys: &SpKeys) -> Vec<String> {
    #[cfg(feature = "encrypted-assertions")]
    {
        keys.iter()
            .map(|k| k.certificate().sha256_fingerprint())
            .collect()
    }
    #[cfg(not(feature = "encrypted-assertions"))]
    {
        let _ = keys;
        Vec::new()
    }
}

fn print_encryption(o: &ResponseOverview, keys: &SpKeys) {
    let prints = key_fingerprints(keys);
    for (i, e) in o.encryption.iter().enumerate() {
        println!(
            "EncryptedAssertion #{} (how it was encrypted; no key used):",
            i + 1
        );
        show("data encryption", &e.data_algorithm);
        if let Some(n) = e.ciphertext_bytes {
            println!("  {:<22} {n} bytes", "ciphertext");
        }
        if let Some(p) = &e.profile_error {
            println!("  {:<22} {p}", "outside profile");
        }
        for (j, k) in e.keys.iter().enumerate() {
            println!("  EncryptedKey #{} {}:", j + 1, k.location);
            show("  key transport", &k.algorithm);
            if k.digest_algorithm.is_some() || k.mgf_algorithm.is_some() {
                show("  OAEP digest", &k.digest_algorithm);
                show("  OAEP MGF", &k.mgf_algorithm);
            }
            if let Some(b) = k.wrapped_key_bits {
                println!(
                    "    {:<20} {b} bits (the RSA key it was encrypted for)",
                    "wrapped key"
                );
            }
            match &k.certificate_sha256 {
                Some(c) => {
                    let which = match prints.iter().position(|p| p == c) {
                        Some(n) => format!("= --sp-key #{}", n + 1),
                        None if prints.is_empty() => "(no --sp-key given)".to_owned(),
                        None => "matches NO --sp-key: upload the SP encryption certificate to the IdP (Okta: Assertion Encryption, Encryption Certificate)".to_owned(),
                    };
                    println!("    {:<20} SHA-256 {c} {which}", "for certificate");
                }
                None => println!("    {:<20} (not named)", "for certificate"),
            }
        }
    }
    if o.decrypted {
        println!("Decrypted with the --sp-key(s): the Assertion and signatures shown above came out of the EncryptedAssertion (NOT verified).");
    }
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

/// `o`, with the assertion read from the decrypted EncryptedAssertion when `keys` decrypt it
/// (unchanged otherwise: the verdict then says why).
fn decrypted_overview(
    o: ResponseOverview,
    input: &[u8],
    raw_xml: bool,
    keys: &SpKeys,
) -> ResponseOverview {
    #[cfg(feature = "encrypted-assertions")]
    if !keys.is_empty() && o.encrypted_assertion_count > 0 {
        let decrypted = if raw_xml {
            ResponseOverview::decrypting(input, keys)
        } else {
            ResponseOverview::decrypting_form_value(input, keys)
        };
        if let Ok(d) = decrypted {
            return d;
        }
    }
    let _ = (input, raw_xml, keys);
    o
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
    let keys = match load_keys(&args) {
        Ok(k) => k,
        Err(e) => return usage_error(&e),
    };

    if !args.json {
        let overview = if raw_xml {
            ResponseOverview::from_xml(&input)
        } else {
            ResponseOverview::from_form_value(&input)
        };
        match overview {
            Ok(o) => {
                let o = decrypted_overview(o, &input, raw_xml, &keys);
                print_overview(&o);
                print_encryption(&o, &keys);
            }
            Err(e) => println!("The response could not be read: {e}"),
        }
        for w in config.warnings(now) {
            println!("Configuration warning: {w}");
        }
        println!("Checked at {now}");
    }

    let validator = AssertionValidator::new(config);
    #[cfg(feature = "encrypted-assertions")]
    let validator = validator.with_decryption_keys(keys);
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
