//! Filters over JSON values, for PATCH only: a value filter in a PATCH path
//! (`emails[type eq "work"].value`) selects values of the document being patched, which is JSON
//! until it is read back as a resource. Case-exactness comes from the attribute table. Store
//! queries never use this: they evaluate over typed records (`crate::resource`).

use serde_json::Value;

use super::error::ScimError;
use crate::resource::{AttrPath, CompValue, CompareOp, Filter};

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

fn compare(
    actual: &Value,
    op: CompareOp,
    expected: &CompValue,
    exact: bool,
) -> Result<bool, ScimError> {
    use std::cmp::Ordering;
    let ordering_op = matches!(
        op,
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
    );
    let ord_ok = |o: Ordering| match op {
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Ne => o != Ordering::Equal,
        _ => false,
    };
    Ok(match (actual, expected) {
        (Value::String(a), CompValue::Str(b)) => {
            let (a, b) = if exact {
                (a.clone(), b.clone())
            } else {
                (a.to_lowercase(), b.to_lowercase())
            };
            match op {
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                _ => ord_ok(a.cmp(&b)),
            }
        }
        (Value::Bool(a), CompValue::Bool(b)) => {
            if ordering_op || matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return Err(ScimError::invalid_filter(format!(
                    "{op:?} cannot compare booleans"
                )));
            }
            ord_ok(a.cmp(b))
        }
        // Entra and others send booleans as strings.
        (Value::String(a), CompValue::Bool(b))
            if a.eq_ignore_ascii_case("true") || a.eq_ignore_ascii_case("false") =>
        {
            if ordering_op {
                return Err(ScimError::invalid_filter(format!(
                    "{op:?} cannot compare booleans"
                )));
            }
            ord_ok(a.eq_ignore_ascii_case("true").cmp(b))
        }
        (Value::Number(a), CompValue::Num(b)) => match a.as_f64().and_then(|a| a.partial_cmp(b)) {
            Some(o) if !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) => ord_ok(o),
            _ => false,
        },
        _ => false,
    })
}
