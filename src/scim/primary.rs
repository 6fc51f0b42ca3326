//! PATCH and `primary` (RFC 7644 section 3.5.2): at most one value of a multi-valued attribute is
//! primary, and a value an operation sets primary demotes the others.

use serde_json::Value;

use super::error::ScimError;
use crate::resource::SchemaDef;

/// Two values of a multi-valued attribute are the same when their `value` sub-attributes are
/// equal (or, for simple values, the values themselves).
pub(super) fn same_value(a: &Value, b: &Value) -> bool {
    let key = |v: &Value| match v {
        Value::Object(m) => m
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("value"))
            .map(|(_, v)| v.clone()),
        other => Some(other.clone()),
    };
    matches!((key(a), key(b)), (Some(x), Some(y)) if x == y)
}

/// Whether a `primary` sub-attribute value says true (Entra sends `"True"`).
fn is_primary(item: &Value) -> bool {
    item.as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("primary")))
        .is_some_and(|(_, v)| match v {
            Value::Bool(b) => *b,
            Value::String(s) => s.eq_ignore_ascii_case("true"),
            _ => false,
        })
}

/// Whether an operation's value itself flags more than one value primary (a list, or a list
/// under one key of a no-path object): refused, whatever was primary before.
pub(super) fn sets_several(value: Option<&Value>) -> bool {
    let several = |items: &Vec<Value>| items.iter().filter(|i| is_primary(i)).count() > 1;
    match value {
        Some(Value::Array(items)) => several(items),
        Some(Value::Object(m)) => m.values().any(|v| v.as_array().is_some_and(several)),
        _ => false,
    }
}

/// The multi-valued attributes with a `primary` sub-attribute, by the key `doc` uses, with the
/// values currently flagged primary.
pub(super) fn primaries(doc: &Value, core: &SchemaDef) -> Vec<(String, Vec<Value>)> {
    let Some(m) = doc.as_object() else {
        return Vec::new();
    };
    core.attributes
        .iter()
        .filter(|a| a.multi && a.sub_attribute("primary").is_some())
        .filter_map(|a| {
            let (k, v) = m.iter().find(|(k, _)| k.eq_ignore_ascii_case(a.name))?;
            let flagged = v
                .as_array()?
                .iter()
                .filter(|i| is_primary(i))
                .cloned()
                .collect();
            Some((k.clone(), flagged))
        })
        .collect()
}

/// After one operation: when an attribute has more than one primary value, those that were
/// primary before the operation are demoted; more than one left is the operation's own doing
/// and refused.
pub(super) fn settle(
    doc: &mut Value,
    before: &[(String, Vec<Value>)],
    core: &SchemaDef,
) -> Result<(), ScimError> {
    for (key, _) in primaries(doc, core) {
        let Some(Value::Array(items)) = doc.get_mut(&key) else {
            continue;
        };
        if items.iter().filter(|i| is_primary(i)).count() <= 1 {
            continue;
        }
        let old: &[Value] = before
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(&[], |(_, v)| v.as_slice());
        for item in items.iter_mut() {
            if is_primary(item) && old.iter().any(|o| same_value(o, item)) {
                if let Some(o) = item.as_object_mut() {
                    let k = o
                        .keys()
                        .find(|k| k.eq_ignore_ascii_case("primary"))
                        .cloned()
                        .unwrap_or_else(|| "primary".to_owned());
                    o.insert(k, Value::Bool(false));
                }
            }
        }
        if items.iter().filter(|i| is_primary(i)).count() > 1 {
            return Err(ScimError::invalid_value(format!(
                "at most one of {key} may be primary; this operation sets several"
            )));
        }
    }
    Ok(())
}
