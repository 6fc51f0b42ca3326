//! A small, strict, namespace-aware XML tree and its canonicalization (C14N).
//!
//! This is the one parser the SAML validator uses end to end: the signature is verified over the
//! canonical form of a node of this tree, and the claims are then read from that same node. It is
//! public so that it can be fuzzed and benchmarked on its own and used by hosts that want to look at
//! a document, but most users never touch it.
//!
//! What it accepts is deliberately narrow:
//! - UTF-8 only (an optional byte-order mark and an `encoding="UTF-8"` declaration are fine),
//!   XML 1.0, line breaks normalized (`\r\n` and `\r` become `\n`) as XML requires;
//! - no `<!DOCTYPE ...>` at all (so no entity definitions, no external entities, no entity
//!   expansion); only the five predefined entities and character references are decoded;
//! - namespace well-formedness is enforced (every prefix bound, no duplicate expanded attribute
//!   names, no relative namespace URIs);
//! - size, depth, node, attribute and namespace-declaration counts are bounded by [`Limits`].
//!
//! Comments are dropped while parsing and never split text: `a<!---->b` is the text `ab`.
//! Processing instructions are kept (canonical XML keeps them) but are skipped when an element is
//! read as text. CDATA sections and character references are decoded into the text.
//!
//! ```
//! use sso_scim::xml::{canonicalize, C14nMethod, Document, Limits};
//! let doc = Document::parse(
//!     br#"<r xmlns:a="urn:a" xmlns:b="urn:b"><a:x b='1'>t<!-- c -->u</a:x></r>"#,
//!     &Limits::default(),
//! )?;
//! let x = doc.root().child_elements().next().unwrap();
//! assert_eq!(x.text()?, "tu");
//! let mut out = Vec::new();
//! canonicalize(&doc, x.id(), &C14nMethod::exclusive(), None, &mut out)?;
//! assert_eq!(out, br#"<a:x xmlns:a="urn:a" b="1">tu</a:x>"#);
//! # Ok::<(), sso_scim::XmlError>(())
//! ```

mod arena;
mod attr_scan;
mod base;
mod builder;
mod c14n;
#[cfg(test)]
mod committed_inputs;
mod document;
mod limits;
mod text;
mod tokenizer;
#[cfg(test)]
mod tree_tests;
mod uri;
pub(crate) mod work;

pub use c14n::{
    canonicalize, canonicalize_document, canonicalize_into, C14nMethod, Nested, NestedOutcome, Sink,
};
pub(crate) use c14n::{canonicalize_into_with, canonicalize_with, C14nBuffers};
pub(crate) use text::{is_ncname, is_xml_whitespace};

/// Algorithm URIs of the canonicalization methods.
pub(crate) mod uris {
    pub(crate) use super::c14n::{C14N_10, C14N_11, EXC_C14N as EXC};
}
pub use document::{Attribute, Children, Document, Element, Node, NodeId};
pub(crate) use document::{DEFAULT_PREFIX, XML_PREFIX};
pub use limits::Limits;

/// The XML namespace (`xml:` prefix), bound implicitly in every document.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of namespace declarations (`xmlns:` prefix); never bound explicitly.
pub const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";
