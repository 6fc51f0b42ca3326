//! The command line of `sso_admin`: arguments, outcomes and the refusal codes.

use serde_json::json;
use serde_json::Value;
use sso_scim::saml::IdpCertificate;
use sso_scim::store::OrgId;
use sso_scim::OrgError;

pub const USAGE: &str = "usage: sso_admin [--db PATH | --store SPEC] [--json] COMMAND
  org create ORG [--name NAME] [--sp-entity-id ID] [--acs-url URL] [--public-url URL]
  domain claim ORG DOMAIN            prints the TXT record name and value to publish
  domain verify ORG DOMAIN [--nameserver IP:PORT]...
  domain list ORG
  domain revoke ORG DOMAIN
  sso set ORG (--metadata FILE [--entity-id ID] | --idp-cert FILE... --idp-sso-url URL --idp-issuer URL) [--allow-idp-initiated]
  sso sp-key ORG --key FILE --cert FILE
  sso decryption-keys ORG (--key FILE --cert FILE)... | --none   (feature encrypted-assertions)
  sso show ORG
  sso require ORG on|off
  sp-metadata ORG
  login-url (ORG | --email EMAIL) [--relay-state S]
  scim token create ORG [--label LABEL]
  scim token list ORG
  scim token revoke ORG TOKEN_ID
--db defaults to ./sso_admin.sqlite3.";

/// A refusal (exit 1) or a usage error (exit 2), with its code.
pub struct Fail {
    pub code: &'static str,
    pub message: String,
}

pub fn usage(m: impl Into<String>) -> Fail {
    Fail {
        code: "usage",
        message: m.into(),
    }
}

pub fn refused(code: &'static str, m: impl std::fmt::Display) -> Fail {
    Fail {
        code,
        message: m.to_string(),
    }
}

pub fn org_fail<E: std::error::Error + 'static>(e: OrgError<E>) -> Fail {
    let code = match e.code() {
        "unknown_org" => "unknown_org",
        "org_exists" => "org_exists",
        "invalid_domain" | "invalid_email" => "invalid_domain",
        "public_suffix" => "public_suffix",
        "free_mail" => "free_mail",
        "claimed_by_other" => "claimed_by_other",
        "not_claimed" | "no_org_for_domain" => "not_verified",
        "sso_not_configured" | "invalid_config" | "invalid_request" => "invalid_metadata",
        _ => "storage",
    };
    refused(code, e)
}

/// The parsed command line.
pub struct Args {
    pub db: Option<String>,
    pub store: Option<String>,
    pub json: bool,
    pub words: Vec<String>,
    pub options: Vec<(String, String)>,
    pub flags: Vec<String>,
}

const VALUED: &[&str] = &[
    "--name",
    "--sp-entity-id",
    "--acs-url",
    "--public-url",
    "--nameserver",
    "--metadata",
    "--entity-id",
    "--idp-cert",
    "--idp-sso-url",
    "--idp-issuer",
    "--key",
    "--cert",
    "--email",
    "--relay-state",
    "--label",
];
const FLAGS: &[&str] = &["--allow-idp-initiated", "--none"];

pub fn parse(argv: Vec<String>) -> Result<Args, Fail> {
    let mut a = Args {
        db: None,
        store: None,
        json: false,
        words: Vec::new(),
        options: Vec::new(),
        flags: Vec::new(),
    };
    let mut it = argv.into_iter();
    while let Some(w) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| usage(format!("{name} needs a value")))
        };
        match w.as_str() {
            "--json" => a.json = true,
            "--db" => a.db = Some(value("--db")?),
            "--store" => a.store = Some(value("--store")?),
            "-h" | "--help" => return Err(usage(USAGE)),
            f if FLAGS.contains(&f) => a.flags.push(w),
            o if VALUED.contains(&o) => {
                let v = value(o)?;
                a.options.push((w, v));
            }
            o if o.starts_with("--") => return Err(usage(format!("unknown option {o}"))),
            _ => a.words.push(w),
        }
    }
    Ok(a)
}

impl Args {
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.options
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
    pub fn word(&self, i: usize, what: &str) -> Result<&str, Fail> {
        self.words
            .get(i)
            .map(String::as_str)
            .ok_or_else(|| usage(format!("missing {what}\n{USAGE}")))
    }
    pub fn org(&self, i: usize) -> Result<OrgId, Fail> {
        OrgId::new(self.word(i, "ORG")?).map_err(|e| usage(format!("ORG: {e}")))
    }
    pub fn no_more(&self, n: usize) -> Result<(), Fail> {
        match self.words.get(n) {
            Some(extra) => Err(usage(format!("unexpected argument {extra:?}"))),
            None => Ok(()),
        }
    }
}

pub fn read(path: &str) -> Result<Vec<u8>, Fail> {
    std::fs::read(path).map_err(|e| usage(format!("cannot read {path}: {e}")))
}

pub fn cert_json(c: &IdpCertificate) -> Value {
    json!({"sha256": c.sha256_fingerprint().replace(':', "").to_lowercase(), "not_after": c.not_after().to_string(), "subject": c.subject()})
}

/// What to print: the JSON object, and the text form.
pub struct Out {
    pub json: Value,
    pub text: String,
    pub ok: bool,
}

pub fn ok(json: Value, text: impl Into<String>) -> Out {
    Out {
        json,
        text: text.into(),
        ok: true,
    }
}
