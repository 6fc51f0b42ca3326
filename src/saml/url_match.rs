//! How a Destination or Recipient is compared with the configured ACS URL.
//!
//! As OpenSAML and python3-saml do: the exact string, except that the scheme and the host are
//! compared case-insensitively and an explicit default port (`:443` for https, `:80` for http)
//! equals none. Nothing else is normalized: no dot segments, no percent-decoding, no trimming, no
//! backslash or tab repair. A URL parser would do all of those, and then `/x/../saml/acs`,
//! `\saml\acs` or `" https://…"` would name our ACS URL although the IdP wrote something else.

/// An absolute `scheme://authority/rest` URL split into its three parts (none of them decoded).
struct Parts<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<&'a str>,
    rest: &'a str,
}

fn split(url: &str) -> Option<Parts<'_>> {
    let (scheme, after) = url.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return None;
    }
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    // A literal IPv6 host keeps its colons inside the brackets.
    let port_sep = match authority.rfind(']') {
        Some(close) => authority[close..].find(':').map(|i| close + i),
        None => authority.rfind(':'),
    };
    let (host, port) = match port_sep {
        Some(i) => (&authority[..i], Some(&authority[i + 1..])),
        None => (authority, None),
    };
    Some(Parts {
        scheme,
        host,
        port,
        rest,
    })
}

fn default_port(scheme: &str) -> Option<&'static str> {
    if scheme.eq_ignore_ascii_case("https") {
        Some("443")
    } else if scheme.eq_ignore_ascii_case("http") {
        Some("80")
    } else {
        None
    }
}

/// The port as compared: an explicit default port counts as none.
fn effective_port<'a>(p: &Parts<'a>) -> Option<&'a str> {
    match p.port {
        Some(port) if Some(port) == default_port(p.scheme) => None,
        other => other,
    }
}

/// Does `got` (from the IdP's document) name the configured URL `configured`?
pub(crate) fn same_url(configured: &str, got: &str) -> bool {
    if configured == got {
        return true;
    }
    let (Some(a), Some(b)) = (split(configured), split(got)) else {
        return false;
    };
    a.scheme.eq_ignore_ascii_case(b.scheme)
        && a.host.eq_ignore_ascii_case(b.host)
        && effective_port(&a) == effective_port(&b)
        && a.rest == b.rest
}

#[cfg(test)]
mod tests {
    use super::same_url;

    const ACS: &str = "https://sp.example.com/saml/acs";

    #[test]
    fn equal_forms() {
        for ok in [
            ACS,
            "HTTPS://SP.Example.COM/saml/acs",
            "https://sp.example.com:443/saml/acs",
        ] {
            assert!(same_url(ACS, ok), "{ok}");
        }
        assert!(same_url(
            "http://h.example/a?x=1",
            "http://H.EXAMPLE:80/a?x=1"
        ));
        assert!(same_url("https://[::1]:8443/acs", "https://[::1]:8443/acs"));
        assert!(same_url("https://sp.example.com:443/saml/acs", ACS));
    }

    #[test]
    fn everything_else_differs() {
        for bad in [
            "https://sp.example.com/x/../saml/acs",
            "https://sp.example.com/saml/./acs",
            "https://sp.example.com\\saml\\acs",
            "https://sp.example.com/saml\\acs",
            "https://sp.example.com/saml/\tacs",
            "https://sp.example.com/saml/acs\n",
            " https://sp.example.com/saml/acs",
            "https://sp.example.com/saml/acs ",
            "https://sp.example.com/SAML/acs",
            "https://sp.example.com/saml/acs/",
            "https://sp.example.com/saml/%61cs",
            "https://sp.example.com:8443/saml/acs",
            "https://sp.example.com:/saml/acs",
            "http://sp.example.com/saml/acs",
            "https://user@sp.example.com/saml/acs",
            "https://sp.example.com/saml/acs?x",
            "https://sp.example.com/saml/acs#f",
            "https://sp.example.com.evil.com/saml/acs",
            "https:/sp.example.com/saml/acs",
            "sp.example.com/saml/acs",
            "",
        ] {
            assert!(!same_url(ACS, bad), "{bad:?}");
        }
    }
}
