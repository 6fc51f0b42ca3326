//! Small readers over the tree shared by the validator and the overview.

use super::ns;
use crate::error::{ConditionError, SamlError, StructureError};
use crate::time::Timestamp;
use crate::xml::Element;

/// The single child `{ns}local` of `parent`, if any; two or more is an error.
pub(crate) fn one<'d>(
    parent: Element<'d>,
    ns: &str,
    local: &'static str,
) -> Result<Option<Element<'d>>, StructureError> {
    one_of(parent.children_named(ns, local), local)
}

/// The single item of `it` (the children named `local`), if any; two or more is an error.
pub(crate) fn one_of<T>(
    mut it: impl Iterator<Item = T>,
    local: &'static str,
) -> Result<Option<T>, StructureError> {
    let first = it.next();
    let more = it.count();
    if more > 0 {
        return Err(StructureError::Repeated {
            what: local,
            count: more + 1,
        });
    }
    Ok(first)
}

/// The element's text with surrounding XML whitespace removed. Elements inside are refused.
pub(crate) fn text(e: Element<'_>) -> Result<String, StructureError> {
    Ok(trimmed(&e.text()?))
}

/// `t` without surrounding XML whitespace.
pub(crate) fn trimmed(t: &str) -> String {
    t.trim_matches([' ', '\t', '\n', '\r']).to_owned()
}

/// An optional date-time value (`what` names it in the error).
pub(crate) fn parse_time(
    value: Option<&str>,
    what: &'static str,
) -> Result<Option<Timestamp>, StructureError> {
    value
        .map(|v| Timestamp::parse(v).map_err(|source| StructureError::Time { what, source }))
        .transpose()
}

/// `Version="2.0"`.
pub(crate) fn version(e: Element<'_>, element: &'static str) -> Result<(), StructureError> {
    check_version(e.attribute("Version"), element)
}

/// `Version="2.0"`, given the attribute's value.
pub(crate) fn check_version(
    found: Option<&str>,
    element: &'static str,
) -> Result<(), StructureError> {
    match found {
        Some("2.0") => Ok(()),
        found => Err(StructureError::Version {
            element,
            found: found.map(str::to_owned),
        }),
    }
}

/// The Response's top-level status must be Success.
pub(crate) fn status(root: Element<'_>) -> Result<(), SamlError> {
    let status = one(root, ns::SAMLP, "Status")?.ok_or(StructureError::Missing {
        what: "Response/Status",
    })?;
    let code = one(status, ns::SAMLP, "StatusCode")?.ok_or(StructureError::Missing {
        what: "Status/StatusCode",
    })?;
    let value = code.attribute("Value").unwrap_or("");
    if value == ns::STATUS_SUCCESS {
        return Ok(());
    }
    let second_level = one(code, ns::SAMLP, "StatusCode")?
        .and_then(|c| c.attribute("Value"))
        .map(str::to_owned);
    let message = match one(status, ns::SAMLP, "StatusMessage")? {
        Some(m) => Some(text(m)?.chars().take(500).collect()),
        None => None,
    };
    Err(ConditionError::Status {
        code: value.chars().take(200).collect(),
        second_level,
        message,
    }
    .into())
}
