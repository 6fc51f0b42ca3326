//! The key userNames are unique and compared under.

/// The key under which a userName is unique in an organization: for an email address (by the
/// crate's email rule) its [`EmailAddress::key`](crate::EmailAddress::key), so a Unicode domain
/// and its punycode are one; for other text, Unicode lowercase (`str::to_lowercase`,
/// locale-independent). Every store compares userNames only through it, so `Alice@Example.com`
/// and `alice@example.com` are the same user everywhere; only [`user_name_key`] makes one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserNameKey(String);

impl UserNameKey {
    /// The key, as stores index it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The [`UserNameKey`] of a userName.
pub fn user_name_key(user_name: &str) -> UserNameKey {
    // ASCII text: the email rule accepts an ASCII domain only as written (lowercase aside), so
    // the key is the lowercase text either way; this is the lookup's hot path.
    if user_name.is_ascii() {
        return UserNameKey(user_name.to_ascii_lowercase());
    }
    match crate::domain::EmailAddress::parse(user_name) {
        Ok(e) => UserNameKey(e.key()),
        Err(_) => UserNameKey(user_name.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::user_name_key;
    use crate::domain::EmailAddress;

    #[test]
    fn the_ascii_shortcut_is_the_email_rule_key() {
        for name in [
            "Alice@Example.COM",
            "jo@XN--BCHER-KVA.example",
            "a.b+c@sub.example.org",
            "not-an-email",
            "x@xn--a.example",
            "a@b@c.example",
        ] {
            let full = match EmailAddress::parse(name) {
                Ok(e) => e.key(),
                Err(_) => name.to_lowercase(),
            };
            assert_eq!(user_name_key(name).as_str(), full, "{name}");
        }
        assert_eq!(
            user_name_key("Jo@Bücher.example"),
            user_name_key("jo@xn--bcher-kva.example")
        );
    }
}
