//! RelayState: opaque to the IdP, returned with the response, bounded (SAML bindings §3.4.3:
//! at most 80 bytes), and a return path only when it is a relative path on our own origin.

use std::fmt;

/// Why a RelayState was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RelayStateError {
    /// Longer than 80 bytes (SAML bindings 2.0 §3.4.3 and §3.5.3).
    #[error("RelayState is {0} bytes; SAML allows at most 80")]
    TooLong(usize),
    /// Contains a control character.
    #[error("RelayState contains a control character")]
    ControlCharacter,
}

/// A RelayState value: at most 80 bytes, no control characters, otherwise opaque. What the IdP
/// returns with the response is compared byte for byte; use
/// [`return_path`](RelayState::return_path) before redirecting to it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RelayState(String);

impl fmt::Debug for RelayState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RelayState({:?})", self.0)
    }
}

/// The longest RelayState the bindings allow, in bytes.
pub const MAX_RELAY_STATE_BYTES: usize = 80;

impl RelayState {
    /// Checks `value` (at most 80 bytes, no control characters).
    pub fn new(value: impl Into<String>) -> Result<RelayState, RelayStateError> {
        let v = value.into();
        if v.len() > MAX_RELAY_STATE_BYTES {
            return Err(RelayStateError::TooLong(v.len()));
        }
        if v.chars().any(char::is_control) {
            return Err(RelayStateError::ControlCharacter);
        }
        Ok(RelayState(v))
    }

    /// The value, intact.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as a path to send the browser to after login, only when it is a relative
    /// path on this origin: it starts with one `/` (not `//`, which browsers read as another
    /// host), holds no backslash (which browsers read as `/`), no scheme, and resolves against
    /// any origin to that same origin. Otherwise `None` (send the user home instead): no open
    /// redirect through RelayState.
    ///
    /// ```
    /// use sso_scim::saml::RelayState;
    /// assert_eq!(RelayState::new("/reports?id=7").unwrap().return_path(), Some("/reports?id=7"));
    /// for evil in ["//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "reports"] {
    ///     assert_eq!(RelayState::new(evil).unwrap().return_path(), None, "{evil}");
    /// }
    /// ```
    pub fn return_path(&self) -> Option<&str> {
        safe_return_path(&self.0)
    }
}

/// [`RelayState::return_path`] for any text.
pub fn safe_return_path(p: &str) -> Option<&str> {
    let b = p.as_bytes();
    if b.first() != Some(&b'/') || b.get(1) == Some(&b'/') || p.contains('\\') {
        return None;
    }
    if p.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    let base = url::Url::parse("https://relay-state.invalid/").ok()?;
    let joined = base.join(p).ok()?;
    (joined.origin() == base.origin()).then_some(p)
}
