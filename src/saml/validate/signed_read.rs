//! The readers of [`Signed`] elements: the same rules as `saml::read`, over signed content only.

use super::super::read;
use crate::dsig::Signed;
use crate::error::StructureError;
use crate::time::Timestamp;

/// The single signed child `{ns}local` of `parent`, if any; two or more is an error.
pub(super) fn one<'d>(
    parent: Signed<'d>,
    ns: &str,
    local: &'static str,
) -> Result<Option<Signed<'d>>, StructureError> {
    read::one_of(parent.children_named(ns, local), local)
}

/// The element's text with surrounding XML whitespace removed. Elements inside are refused.
pub(super) fn text(e: Signed<'_>) -> Result<String, StructureError> {
    Ok(read::trimmed(&e.text()?))
}

/// An optional date-time attribute.
pub(super) fn time_attr(
    e: Signed<'_>,
    name: &str,
    what: &'static str,
) -> Result<Option<Timestamp>, StructureError> {
    read::parse_time(e.attribute(name), what)
}

/// `Version="2.0"`.
pub(super) fn version(e: Signed<'_>, element: &'static str) -> Result<(), StructureError> {
    read::check_version(e.attribute("Version"), element)
}
