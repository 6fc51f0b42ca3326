//! The baseline of `benches/scim_http.sh`: an axum server (the same axum, tokio runtime and
//! fallback routing as `examples/scim_server.rs`) that answers every request with one constant
//! body, the bytes `scim_server` answers the measured lookup with, and the same headers.
//!
//! Run by the script: `http_constant --serve 127.0.0.1:PORT BODY_FILE`. Run by `cargo bench`
//! (no `--serve`), it only says so and exits.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(i) = args.iter().position(|a| a == "--serve") else {
        println!("http_constant: the baseline server of benches/scim_http.sh (run that script)");
        return;
    };
    let (Some(addr), Some(file)) = (args.get(i + 1), args.get(i + 2)) else {
        eprintln!("usage: http_constant --serve ADDR BODY_FILE");
        std::process::exit(2);
    };
    let body: &'static [u8] = Box::leak(std::fs::read(file).expect("body file").into_boxed_slice());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let app = Router::new().fallback(move || async move {
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = StatusCode::OK;
            r.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("application/scim+json"),
            );
            r
        });
        let listener = tokio::net::TcpListener::bind(addr.as_str())
            .await
            .expect("bind");
        println!("listening on {addr}");
        axum::serve(listener, app).await.expect("serve");
    });
}
