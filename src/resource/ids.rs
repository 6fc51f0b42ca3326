//! Identifiers shared by every layer: organizations and accounts. Checked once, by `new`.

use std::fmt;

/// Why an identifier was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} must be 1 to 128 characters without control characters, got {value:?}")]
pub struct InvalidId {
    kind: &'static str,
    value: String,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps an identifier: 1 to 128 characters, no control characters.
            pub fn new(id: impl Into<String>) -> Result<$name, InvalidId> {
                let id = id.into();
                if id.is_empty() || id.len() > 128 || id.chars().any(char::is_control) {
                    return Err(InvalidId { kind: $kind, value: id.chars().take(140).collect() });
                }
                Ok($name(id))
            }

            /// The identifier.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                $name::new(s)
            }
        }
    };
}

id_type!(
    /// The host's identifier of an organization.
    OrgId,
    "an organization id"
);
id_type!(
    /// The identifier of an account (a user of the host application, across organizations).
    AccountId,
    "an account id"
);
