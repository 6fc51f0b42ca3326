//! Pages: every value is HTML-escaped on the way in ([`esc`]); forms that change anything carry
//! the session's CSRF token.

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A whole page.
pub fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{t} · okta_sp</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:58rem;margin:2rem auto;padding:0 1rem;color:#1d232a}}
h1{{font-size:1.5rem}} h2{{font-size:1.15rem;margin-top:2rem}} code,pre{{background:#f2f4f7;padding:.1rem .3rem;border-radius:4px}}
pre{{padding:.6rem;overflow:auto}} table{{border-collapse:collapse}} td,th{{border:1px solid #d0d5dd;padding:.3rem .6rem;text-align:left;vertical-align:top}}
.box{{border:1px solid #d0d5dd;border-radius:8px;padding:1rem;margin:1rem 0}} .err{{border-color:#d92d20;background:#fef3f2}}
.ok{{border-color:#039855;background:#ecfdf3}} input[type=text],input[type=email],input[type=password],textarea{{width:100%;padding:.35rem;box-sizing:border-box}}
button{{padding:.4rem .9rem;margin-top:.4rem}} nav a{{margin-right:1rem}} .muted{{color:#667085}}
</style></head><body><nav><a href="/">Log in</a><a href="/me">Me</a><a href="/settings">Settings</a><a href="/password">Password login</a></nav>
<h1>{t}</h1>{body}</body></html>"#,
        t = esc(title)
    )
}

/// A CSRF hidden field.
pub fn csrf(token: &str) -> String {
    format!(
        r#"<input type="hidden" name="csrf" value="{}">"#,
        esc(token)
    )
}

/// An error box: code, message, hint.
pub fn error_box(code: &str, message: &str, hint: &str) -> String {
    format!(
        r#"<div class="box err" id="error"><p><strong>Login refused</strong> (<code id="error-code">{}</code>)</p><p id="error-message">{}</p><p><strong>What to change:</strong> <span id="error-hint">{}</span></p></div>"#,
        esc(code),
        esc(message),
        esc(hint)
    )
}
