//! Filters over JSON values, for PATCH only: a value filter in a PATCH path
//! (`emails[type eq "work"].value`) selects values of the document being patched, which is JSON
//! until it is read back as a resource. Case-exactness comes from the attribute table. Store
//! queries never use this: they evaluate over typed records (`crate::resource`).

use serde_json::Value;

use super::error::ScimError;
use crate::resource::{AttrPath, CompValue, CompareOp, Filter, Val};

/// How values of an attribute compare: `case_exact(dotted_lowercase_name)`.
pub(crate) type CaseExact = fn(&str) -> bool;

/// The values `path` designates in `resource` (a JSON object), flattened over multi-valued
/// attributes. `extension_of` maps a schema URN (lowercased) to the key of its extension object
/// in the resource, or `None` for the core schema.
pub(crate) fn resolve<'v>(resource: &'v Value, path: &AttrPath) -> Vec<&'v Value> {
    let mut base = resource;
    if let Some(schema) = &path.schema {
        if let Some(ext) = find_key(resource, schema) {
            base = ext;
        }
    }
    let Some(top) = find_key(base, &path.attr) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut push = |v: &'v Value| match (&path.sub, v) {
        (Some(sub), Value::Object(_)) => {
            if let Some(x) = find_key(v, sub) {
                out.push(x);
            }
        }
        (Some(_), _) => {}
        (None, v) => out.push(v),
    };
    match top {
        Value::Array(items) => items.iter().for_each(&mut push),
        v => push(v),
    }
    out
}

fn find_key<'v>(obj: &'v Value, key: &str) -> Option<&'v Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Does `resource` match `filter`? `Err` for comparisons the RFC forbids (ordering booleans).
pub(crate) fn matches(
    filter: &Filter,
    resource: &Value,
    case_exact: CaseExact,
) -> Result<bool, ScimError> {
    Ok(match filter {
        Filter::And(a, b) => matches(a, resource, case_exact)? && matches(b, resource, case_exact)?,
        Filter::Or(a, b) => matches(a, resource, case_exact)? || matches(b, resource, case_exact)?,
        Filter::Not(a) => !matches(a, resource, case_exact)?,
        Filter::Present(p) => resolve(resource, p).into_iter().any(|v| match v {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => true,
        }),
        Filter::ValuePath(p, inner) => {
            let mut any = false;
            for element in resolve(resource, p) {
                if matches(inner, element, case_exact)? {
                    any = true;
                    break;
                }
            }
            any
        }
        // "ne" holds when no value equals.
        Filter::Compare(p, CompareOp::Ne, value) => !matches(
            &Filter::Compare(p.clone(), CompareOp::Eq, value.clone()),
            resource,
            case_exact,
        )?,
        Filter::Compare(p, op, value) => {
            let exact = case_exact(&p.dotted_lower());
            let values = resolve(resource, p);
            if matches!(value, CompValue::Null) {
                return match op {
                    CompareOp::Eq => Ok(values.iter().all(|v| v.is_null())),
                    _ => Err(ScimError::invalid_filter(format!(
                        "{op:?} cannot compare with null"
                    ))),
                };
            }
            let mut any = false;
            for v in values {
                // A complex multi-valued attribute compares through its "value" sub-attribute.
                let v = match v {
                    Value::Object(_) => match find_key(v, "value") {
                        Some(x) => x,
                        None => continue,
                    },
                    v => v,
                };
                if compare(v, *op, value, exact)? {
                    any = true;
                    break;
                }
            }
            any
        }
    })
}

/// Compares one JSON value as the typed evaluation compares the same value of a resource.
fn compare(
    actual: &Value,
    op: CompareOp,
    expected: &CompValue,
    exact: bool,
) -> Result<bool, ScimError> {
    let v = match actual {
        Value::String(s) => Val::Str(s),
        Value::Bool(b) => Val::Bool(*b),
        // No attribute of ours is a number.
        _ => return Ok(false),
    };
    crate::resource::compare_value(&v, op, expected, exact).map_err(ScimError::from)
}
