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
    match crate::domain::EmailAddress::parse(user_name) {
        Ok(e) => UserNameKey(e.key()),
        Err(_) => UserNameKey(user_name.to_lowercase()),
    }
}
