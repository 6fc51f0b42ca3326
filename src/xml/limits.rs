//! The bounds every parse applies.

/// Bounds applied while parsing. Every limit is checked before the corresponding memory is used,
/// so a hostile document costs at most these amounts.
///
/// The defaults fit SAML responses with a wide margin (a real Okta response is about 8 KB, depth 6,
/// ~60 elements) and are what the SAML validator uses unless configured otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum document size in bytes (after base64 decoding). Default 256 KiB; at most 1 GiB.
    pub max_bytes: usize,
    /// Maximum element nesting depth (the root is depth 1). Default 64.
    pub max_depth: usize,
    /// Maximum number of nodes (elements, text runs, processing instructions). Default 20 000.
    pub max_nodes: usize,
    /// Maximum attributes on one element, namespace declarations included. Default 64.
    pub max_attributes_per_element: usize,
    /// Maximum attributes in the whole document. Default 20 000.
    pub max_attributes: usize,
    /// Maximum namespace declarations in the whole document. Default 20 000: Okta declares `xs`
    /// and `xsi` on every `AttributeValue`, so a user in a thousand groups brings two thousand.
    /// Lookups only walk the declarations in scope (bounded by depth and attributes per
    /// element), so the total bounds memory, not time.
    pub max_namespace_declarations: usize,
    /// Maximum namespace declarations in scope at any element (its own and its ancestors').
    /// Default 64 (an Okta response has fewer than ten). Every prefixed name is resolved by
    /// walking the declarations in scope, so this bounds the cost of each lookup.
    pub max_namespaces_in_scope: usize,
    /// Maximum length in bytes of an element or attribute name as written (`prefix:local`) and of
    /// a processing-instruction target. Default 256: SAML and XML-DSig names are under 40 bytes.
    pub max_name_bytes: usize,
    /// Maximum length in bytes of a namespace prefix. Default 64 (IdPs use `saml2p`, `ds`, `xs`).
    pub max_prefix_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 256 * 1024,
            max_depth: 64,
            max_nodes: 20_000,
            max_attributes_per_element: 64,
            max_attributes: 20_000,
            max_namespace_declarations: 20_000,
            max_namespaces_in_scope: 64,
            max_name_bytes: 256,
            max_prefix_bytes: 64,
        }
    }
}

impl Limits {
    /// The default limits with a different maximum size in bytes (capped at 1 GiB).
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Limits {
        self.max_bytes = max_bytes.min(HARD_MAX_BYTES);
        self
    }
}

pub(super) const HARD_MAX_BYTES: usize = 1 << 30;
