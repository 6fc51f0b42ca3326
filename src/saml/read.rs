//! Small readers over the tree shared by the validator and the overview.

use std::collections::BTreeMap;

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
    let mut it = parent.children_named(ns, local);
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
    let t = e.text()?;
    Ok(t.trim_matches([' ', '\t', '\n', '\r']).to_owned())
}

/// An optional date-time attribute.
pub(crate) fn time_attr(
    e: Element<'_>,
    name: &str,
    what: &'static str,
) -> Result<Option<Timestamp>, StructureError> {
    e.attribute(name)
        .map(|v| Timestamp::parse(v).map_err(|source| StructureError::Time { what, source }))
        .transpose()
}

/// `Version="2.0"`.
pub(crate) fn version(e: Element<'_>, element: &'static str) -> Result<(), StructureError> {
    match e.attribute("Version") {
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

/// Every `AttributeStatement/Attribute` of the assertion: name to values, in document order.
/// A value with element children is refused (never read partially); `xsi:nil` values are empty.
pub(crate) fn attributes(
    assertion: Element<'_>,
) -> Result<BTreeMap<String, Vec<String>>, StructureError> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for st in assertion.children_named(ns::SAML, "AttributeStatement") {
        for a in st.children_named(ns::SAML, "Attribute") {
            let name = a.attribute("Name").ok_or(StructureError::Missing {
                what: "Attribute/@Name",
            })?;
            let values = out.entry(name.to_owned()).or_default();
            for v in a.children_named(ns::SAML, "AttributeValue") {
                let nil = matches!(v.attribute_ns(ns::XSI, "nil"), Some("true" | "1"));
                values.push(if nil { String::new() } else { text(v)? });
            }
        }
    }
    Ok(out)
}
