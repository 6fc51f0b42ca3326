//! `okta_sp`: the whole product in a browser. An axum application on the SQLite store with one
//! organization (`demo`) set up on first start, a built-in **test IdP** (so it works without an
//! Okta tenant; test only), SP-initiated and IdP-initiated logins, the password fallback, the
//! organization's settings, and SCIM at `/scim/v2`.
//!
//! ```text
//! cargo run --features demo --example okta_sp [-- --listen 127.0.0.1:3000] [--public-url URL] [--db FILE]
//! ```
//!
//! The test IdP is served on `localhost` while the application is on `127.0.0.1`: two sites, so
//! the IdP's POST to the ACS is cross-site, as with a real IdP, and the login never depends on a
//! cookie sent with it (the pending login is bound server-side by its request id).

mod html;
mod idp;
mod login;
mod scim;
mod session;
mod settings;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{any, get, post};
use axum::Router;
use sso_scim::saml::SpEndpoints;
use sso_scim::store::{Account, AccountId, Accounts, Membership, OrgRole, OrgSettings};
use sso_scim::test_idp::TestIdp;
use sso_scim::{OrgId, Organizations, ScimService, SqliteStore, Timestamp};

use session::Sessions;

/// Everything the handlers share.
pub struct App {
    pub store: Arc<SqliteStore>,
    pub orgs: Organizations<Arc<SqliteStore>>,
    pub scim: ScimService<Arc<SqliteStore>>,
    pub idp: TestIdp,
    pub org: OrgId,
    /// The application's base URL (`--public-url`, or `http://127.0.0.1:PORT`).
    pub base: String,
    /// Where the test IdP is served (`http://localhost:PORT`).
    pub idp_base: String,
    pub sessions: Sessions,
    pub secure_cookies: bool,
    pub passwords: std::sync::Mutex<rusqlite::Connection>,
}

pub type Shared = Arc<App>;

struct Args {
    listen: SocketAddr,
    public_url: Option<String>,
    db: String,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        listen: "127.0.0.1:0".parse().map_err(|_| "listen")?,
        public_url: None,
        db: "./okta_sp.sqlite3".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(w) = it.next() {
        let mut v = || it.next().ok_or(format!("{w} needs a value"));
        match w.as_str() {
            "--listen" => {
                a.listen = v()?
                    .parse()
                    .map_err(|_| "--listen takes IP:PORT".to_owned())?
            }
            "--public-url" => a.public_url = Some(v()?.trim_end_matches('/').to_owned()),
            "--db" => a.db = v()?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(a)
}

/// First start: the organization, its verified example.com domain, the test IdP, two accounts
/// with passwords (printed once).
async fn first_start(app: &App) -> Result<Option<Vec<(String, String, OrgRole)>>, String> {
    if app
        .store
        .organization(&app.org)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(None);
    }
    let sp = SpEndpoints {
        entity_id: format!("{}/saml/{}/metadata", app.base, app.org),
        acs_url: format!("{}/saml/{}/acs", app.base, app.org),
    };
    app.orgs
        .create(app.org.clone(), Some("Demo organization"), sp)
        .await
        .map_err(|e| e.to_string())?;
    app.orgs
        .set_idp(&app.org, app.idp.idp_settings())
        .await
        .map_err(|e| e.to_string())?;
    app.orgs
        .update(&app.org, |o| o.jit_provisioning = true)
        .await
        .map_err(|e| e.to_string())?;
    // A demo shortcut: example.com is recorded as verified without a DNS proof.
    app.scim
        .claim_domain(&app.org, "example.com")
        .await
        .map_err(|e| e.to_string())?;
    let mut made = Vec::new();
    for (email, role) in [
        ("owner@example.com", OrgRole::Owner),
        ("member@example.com", OrgRole::Member),
    ] {
        let id = AccountId::new(format!("acct-{}", session::random_hex(8)))
            .map_err(|e| e.to_string())?;
        let account = Account {
            id: id.clone(),
            email: email.into(),
            provisioned_by: None,
        };
        app.store
            .create_account(&account)
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        app.store
            .put_membership(&app.org, &id, &Membership { role, active: true })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let password = session::random_hex(8);
        login::set_password(app, email, &password)?;
        made.push((email.to_owned(), password, role));
    }
    Ok(Some(made))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("okta_sp: {e}");
            }
            eprintln!("usage: okta_sp [--listen IP:PORT] [--public-url URL] [--db FILE]");
            return std::process::ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("okta_sp: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let base = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{port}"));
    let idp_base = format!("http://localhost:{port}");
    let path = std::path::absolute(&args.db).map_err(|e| e.to_string())?;
    let store = Arc::new(
        SqliteStore::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?,
    );
    let passwords = rusqlite::Connection::open(&path).map_err(|e| e.to_string())?;
    passwords
        .execute_batch("CREATE TABLE IF NOT EXISTS demo_passwords (email_key TEXT PRIMARY KEY, salt BLOB NOT NULL, hash BLOB NOT NULL)")
        .map_err(|e| e.to_string())?;
    let app = Arc::new(App {
        orgs: Organizations::new(store.clone()),
        scim: ScimService::new(store.clone(), &format!("{base}/scim/v2"))
            .map_err(|e| e.to_string())?,
        store,
        idp: TestIdp::new(
            &format!("{idp_base}/idp/metadata"),
            &format!("{idp_base}/idp/sso"),
        )
        .map_err(|e| e.to_string())?,
        org: OrgId::new("demo").map_err(|e| e.to_string())?,
        secure_cookies: base.starts_with("https://"),
        base: base.clone(),
        idp_base,
        sessions: Sessions::default(),
        passwords: std::sync::Mutex::new(passwords),
    });
    let made = first_start(&app).await?;
    // Every start: our SP values follow the current base URL, and the test IdP (when it is the
    // configured IdP) its current address.
    let test_cert = app.idp.certificate();
    let (sp_now, idp_now) = (
        SpEndpoints {
            entity_id: format!("{}/saml/{}/metadata", app.base, app.org),
            acs_url: format!("{}/saml/{}/acs", app.base, app.org),
        },
        app.idp.idp_settings(),
    );
    let org = app
        .orgs
        .update(&app.org, |o| {
            o.sp = Some(sp_now.clone());
            if o.idp
                .as_ref()
                .is_some_and(|i| i.certificates.contains(&test_cert))
            {
                o.idp = Some(idp_now.clone());
            }
        })
        .await
        .map_err(|e| e.to_string())?;
    let sp = org.sp.clone().ok_or("the organization has no SP values")?;
    println!("Database: {}", path.display());
    println!("Open:     {base}/");
    println!("Paste into Okta (General > SAML Settings):");
    println!("  Single sign-on URL:          {}", sp.acs_url);
    println!("  Audience URI (SP Entity ID): {}", sp.entity_id);
    println!("  SCIM connector base URL:     {base}/scim/v2");
    println!("SP metadata: {base}/saml/{}/metadata", app.org);
    match made {
        Some(accounts) => {
            for (email, password, role) in accounts {
                println!("Password login: {email} / {password} ({role:?})");
            }
        }
        None => println!(
            "Password login: the accounts made on first start (delete the database to start over)"
        ),
    }
    println!(
        "Test IdP (TEST ONLY, its key is public): {}/idp/start",
        app.idp_base
    );
    let _ = Timestamp::now();
    let router = Router::new()
        .route("/", get(login::home))
        .route("/login", post(login::start))
        .route(
            "/password",
            get(login::password_page).post(login::password_login),
        )
        .route("/me", get(login::me))
        .route("/logout", post(login::logout))
        .route("/saml/{org}/acs", post(login::acs))
        .route("/saml/{org}/metadata", get(settings::sp_metadata))
        .route("/idp/sso", get(idp::sso_page).post(idp::answer))
        .route("/idp/start", get(idp::start_page))
        .route("/settings", get(settings::page))
        .route("/settings/idp", post(settings::set_idp))
        .route("/settings/metadata", post(settings::set_metadata))
        .route("/settings/domains", post(settings::claim))
        .route("/settings/domains/verify", post(settings::verify))
        .route("/settings/require-sso", post(settings::require_sso))
        .route("/settings/scim-token", post(settings::scim_token))
        .route("/scim/v2", any(scim::serve))
        .route("/scim/v2/{*rest}", any(scim::serve))
        .with_state(app);
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}
