//! PATCH (RFC 7644 section 3.5.2) applied to a resource's JSON form, all or nothing: the
//! operations change a copy, which is then read back through the same validation as PUT.
//!
//! Beyond the RFC, what real clients send is accepted: operation names in any case (`Replace`,
//! Entra), booleans as strings (`"False"`, Entra), no-path values whose keys are plain, dotted
//! (`name.givenName`) or URN-qualified, `add` on a single-valued attribute (a replace), removal
//! of multi-valued members by a value list (Entra's `Remove` of `members` with a value), an `add`
//! through a value filter that matches nothing creating that value (Entra adds
//! `phoneNumbers[type eq "work"].value` that way), and paths to RFC 7643 User attributes this
//! service does not store (`title`, `phoneNumbers`, `addresses`, ...: Entra's default attribute
//! mappings send them), which are ignored as they are in a POST or PUT.
//!
//! Strict where the RFC is and no client needs otherwise: `schemas` must name the PatchOp
//! message; a path naming no attribute at all is 400 `invalidPath`; a `replace` through a value
//! filter that matches nothing is 400 `noTarget` (RFC 7644 section 3.5.2.3).
//!
//! A value set `primary` demotes the others (section 3.5.2: the server sets `primary` to false
//! on the other values); an operation that itself sets two primaries is refused.

use serde_json::{Map, Value};

use super::error::ScimError;
use super::json::{self, get};
use super::json_filter::{matches, CaseExact};
use super::primary::{self, same_value};
use super::urn::PATCH_SCHEMA;
use crate::resource::{
    lookup, parse_patch_path, CompValue, CompareOp, Filter, Mutability, PatchPath, SchemaDef,
};

/// At most this many operations per request.
const MAX_OPERATIONS: usize = 256;

/// The operation kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Add,
    Remove,
    Replace,
}

/// One operation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Operation {
    pub op: Op,
    pub path: Option<(String, PatchPath)>,
    pub value: Option<Value>,
}

/// What the engine needs to know about a resource type.
pub(crate) struct ResourceShape {
    /// The core schema's attribute table.
    pub core: &'static SchemaDef,
    /// The extensions' tables; their attributes live in an object under the extension's URN.
    pub extensions: &'static [&'static SchemaDef],
    /// How values compare in value filters.
    pub case_exact: CaseExact,
    /// Attributes of the resource type's RFC 7643 schema that this service does not store:
    /// a PATCH naming them is ignored, as in a POST or PUT (lowercase, `a` or `a.b`).
    pub not_stored: &'static [&'static str],
}

impl ResourceShape {
    /// The URN of the extension `urn` names (case-insensitively).
    fn extension(&self, urn: &str) -> Option<&'static str> {
        self.extensions
            .iter()
            .find(|e| e.id.eq_ignore_ascii_case(urn))
            .map(|e| e.id)
    }

    /// A core attribute clients may not change (`schemas` aside, which clients echo).
    fn is_read_only(&self, name: &str) -> bool {
        !name.eq_ignore_ascii_case("schemas")
            && self
                .core
                .attribute(name)
                .is_some_and(|a| a.mutability == Mutability::ReadOnly)
    }

    /// A multi-valued core attribute.
    fn is_multi_valued(&self, name: &str) -> bool {
        !name.eq_ignore_ascii_case("schemas") && self.core.attribute(name).is_some_and(|a| a.multi)
    }

    /// The table's spelling of an attribute or sub-attribute name, for a new key.
    fn canonical(&self, name: &str) -> Option<&'static str> {
        std::iter::once(self.core)
            .chain(self.extensions.iter().copied())
            .flat_map(|s| s.attributes.iter())
            .flat_map(|a| std::iter::once(a).chain(a.sub.iter()))
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .map(|a| a.name)
    }
}

/// Reads a PatchOp request body.
pub(crate) fn parse(body: &Map<String, Value>) -> Result<Vec<Operation>, ScimError> {
    let names_patch_op = match get(body, "schemas")? {
        Some(Value::Array(s)) => s.iter().any(|x| {
            x.as_str()
                .is_some_and(|x| x.eq_ignore_ascii_case(PATCH_SCHEMA))
        }),
        _ => false,
    };
    if !names_patch_op {
        return Err(ScimError::invalid_syntax(format!(
            "a PATCH body must have schemas [{PATCH_SCHEMA:?}]"
        )));
    }
    let ops = match get(body, "Operations")? {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) => return Err(ScimError::invalid_syntax("Operations is empty")),
        _ => {
            return Err(ScimError::invalid_syntax(
                "a PATCH body must have an Operations array",
            ))
        }
    };
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::too_many(format!(
            "at most {MAX_OPERATIONS} operations per PATCH"
        )));
    }
    let mut out = Vec::with_capacity(ops.len());
    for (i, o) in ops.iter().enumerate() {
        let Value::Object(o) = o else {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{i}] must be an object"
            )));
        };
        let op = match get(o, "op")?
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("add") => Op::Add,
            Some("remove") => Op::Remove,
            Some("replace") => Op::Replace,
            Some(other) => {
                return Err(ScimError::invalid_syntax(format!(
                    "Operations[{i}].op {other:?} is not add, remove or replace"
                )))
            }
            None => {
                return Err(ScimError::invalid_syntax(format!(
                    "Operations[{i}] has no op"
                )))
            }
        };
        let path = match get(o, "path")? {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) if p.trim().is_empty() => None,
            Some(Value::String(p)) => Some((p.clone(), parse_patch_path(p)?)),
            Some(other) => {
                return Err(ScimError::invalid_path(format!(
                    "Operations[{i}].path must be a string, got {}",
                    json::kind(other)
                )))
            }
        };
        let value = get(o, "value")?.cloned();
        if op != Op::Remove && value.is_none() {
            return Err(ScimError::invalid_value(format!(
                "Operations[{i}] ({op:?}) needs a value"
            )));
        }
        if op == Op::Remove && path.is_none() {
            return Err(ScimError::no_target(format!(
                "Operations[{i}]: remove needs a path"
            )));
        }
        out.push(Operation { op, path, value });
    }
    Ok(out)
}

/// Applies `ops` to `doc` (a JSON object), or leaves it unchanged on error.
pub(crate) fn apply(
    doc: &mut Value,
    ops: &[Operation],
    shape: &ResourceShape,
) -> Result<(), ScimError> {
    let mut work = doc.clone();
    for op in ops {
        if primary::sets_several(op.value.as_ref()) {
            return Err(ScimError::invalid_value(
                "at most one value may be primary; this operation sets several",
            ));
        }
        let before = primary::primaries(&work, shape.core);
        apply_one(&mut work, op, shape)?;
        primary::settle(&mut work, &before, shape.core)?;
    }
    *doc = work;
    Ok(())
}

/// Applies one operation to `work`.
fn apply_one(work: &mut Value, op: &Operation, shape: &ResourceShape) -> Result<(), ScimError> {
    {
        match &op.path {
            // The path is an extension's URN itself: its whole object.
            Some((text, _)) if shape.extension(text).is_some() => {
                let ext = shape.extension(text).unwrap_or_default();
                match (op.op, &op.value) {
                    (Op::Remove, _) => {
                        if let Some(m) = work.as_object_mut() {
                            let k = key_for(m, ext, shape);
                            m.remove(&k);
                        }
                    }
                    (_, Some(Value::Object(inner))) => {
                        // Clients echo `schemas` inside the extension's object: not an attribute.
                        for (k, iv) in inner
                            .iter()
                            .filter(|(k, _)| !k.eq_ignore_ascii_case("schemas"))
                        {
                            let text = format!("{ext}:{k}");
                            let p = parse_patch_path(&text)?;
                            apply_path(work, op.op, &text, &p, Some(iv), shape)?;
                        }
                    }
                    _ => {
                        return Err(ScimError::invalid_value(format!(
                            "the value for {ext} must be an object"
                        )))
                    }
                }
            }
            Some((text, path)) => apply_path(work, op.op, text, path, op.value.as_ref(), shape)?,
            None => {
                let Some(Value::Object(values)) = &op.value else {
                    return Err(ScimError::invalid_value(
                        "an operation without a path needs an object value",
                    ));
                };
                for (key, v) in values {
                    if shape.is_read_only(key) || key.eq_ignore_ascii_case("schemas") {
                        // Clients echo read-only attributes (Okta sends the group's id): ignore
                        // them when unchanged, refuse a change.
                        let current = work
                            .as_object()
                            .and_then(|m| get(m, key).ok().flatten())
                            .cloned();
                        if key.eq_ignore_ascii_case("id") && current.as_ref() != Some(v) {
                            return Err(ScimError::mutability(format!("{key} is read-only")));
                        }
                        continue;
                    }
                    if let Some(ext) = shape.extension(key) {
                        // The extension object itself: merge its attributes.
                        let Value::Object(inner) = v else {
                            return Err(ScimError::invalid_value(format!(
                                "{ext} must be an object"
                            )));
                        };
                        // Clients echo `schemas` inside the extension's object: not an attribute.
                        for (k, iv) in inner
                            .iter()
                            .filter(|(k, _)| !k.eq_ignore_ascii_case("schemas"))
                        {
                            let text = format!("{ext}:{k}");
                            let p = parse_patch_path(&text)?;
                            apply_path(work, op.op, &text, &p, Some(iv), shape)?;
                        }
                        continue;
                    }
                    let p = parse_patch_path(key)?;
                    apply_path(work, op.op, key, &p, Some(v), shape)?;
                }
            }
        }
    }
    Ok(())
}

fn obj_mut<'a>(v: &'a mut Value, what: &str) -> Result<&'a mut Map<String, Value>, ScimError> {
    v.as_object_mut()
        .ok_or_else(|| ScimError::invalid_value(format!("{what} is not a complex attribute")))
}

/// The existing key matching `name` case-insensitively, or the canonical spelling for a new one.
fn key_for(m: &Map<String, Value>, name: &str, shape: &ResourceShape) -> String {
    if let Some(k) = m.keys().find(|k| k.eq_ignore_ascii_case(name)) {
        return k.clone();
    }
    shape
        .canonical(name)
        .map_or_else(|| name.to_owned(), str::to_owned)
}

fn apply_path(
    doc: &mut Value,
    op: Op,
    text: &str,
    path: &PatchPath,
    value: Option<&Value>,
    shape: &ResourceShape,
) -> Result<(), ScimError> {
    let attr = &path.attr;
    // Which object holds the attribute: the resource, or an extension's object.
    let container_key = match &attr.schema {
        Some(s) if s.eq_ignore_ascii_case(shape.core.id) => None,
        Some(s) => match shape.extension(s) {
            Some(e) => Some(e),
            None => {
                return Err(ScimError::invalid_path(format!(
                    "unknown schema in path {text:?}"
                )))
            }
        },
        None => None,
    };
    let lower = attr.attr.to_ascii_lowercase();
    let schema = container_key.unwrap_or(shape.core.id);
    if lookup(
        shape.core,
        shape.extensions,
        Some(schema),
        &attr.attr,
        attr.sub.as_deref(),
    )
    .is_none()
    {
        let dotted = match &attr.sub {
            Some(s) => format!("{lower}.{}", s.to_ascii_lowercase()),
            None => lower.clone(),
        };
        if container_key.is_none()
            && (shape.not_stored.contains(&lower.as_str())
                || shape.not_stored.contains(&dotted.as_str()))
        {
            return Ok(());
        }
        return Err(ScimError::invalid_path(format!(
            "the path {text:?} names no attribute of the {} schema",
            shape.core.name
        )));
    }
    if container_key.is_none() && shape.is_read_only(&lower) {
        return Err(ScimError::mutability(format!("{} is read-only", attr.attr)));
    }
    let root = obj_mut(doc, "the resource")?;
    let container: &mut Map<String, Value> = match container_key {
        None => root,
        Some(ext) => {
            let k = key_for(root, ext, shape);
            if op == Op::Remove && !root.contains_key(&k) {
                return Ok(());
            }
            let entry = root.entry(k).or_insert_with(|| Value::Object(Map::new()));
            if entry.is_null() {
                *entry = Value::Object(Map::new());
            }
            obj_mut(entry, ext)?
        }
    };
    let key = key_for(container, &attr.attr, shape);
    let multi = container_key.is_none() && shape.is_multi_valued(&lower);

    if let Some(filter) = &path.filter {
        if !multi {
            return Err(ScimError::invalid_path(format!(
                "{} is not multi-valued; a value filter cannot apply to it",
                attr.attr
            )));
        }
        return apply_filtered(
            container,
            &key,
            op,
            filter,
            path.sub_after_filter.as_deref(),
            value,
            shape,
        );
    }

    match (&attr.sub, op) {
        // name.givenName and the like.
        (Some(sub), _) if !multi => {
            if op == Op::Remove {
                if let Some(Value::Object(inner)) = container.get_mut(&key) {
                    let sk = key_for(inner, sub, shape);
                    inner.remove(&sk);
                }
                return Ok(());
            }
            let entry = container
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if entry.is_null() {
                *entry = Value::Object(Map::new());
            }
            let inner = obj_mut(entry, &attr.attr)?;
            let sk = key_for(inner, sub, shape);
            inner.insert(sk, value.cloned().unwrap_or(Value::Null));
            Ok(())
        }
        // emails.type: every value's sub-attribute.
        (Some(sub), _) => {
            if let Some(Value::Array(items)) = container.get_mut(&key) {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    let sk = key_for(item, sub, shape);
                    match op {
                        Op::Remove => {
                            item.remove(&sk);
                        }
                        _ => {
                            item.insert(sk, value.cloned().unwrap_or(Value::Null));
                        }
                    }
                }
            }
            Ok(())
        }
        (None, Op::Remove) if multi => {
            match value {
                // Entra: remove the listed values of a multi-valued attribute.
                Some(v) => {
                    let listed = as_list(v);
                    if let Some(Value::Array(items)) = container.get_mut(&key) {
                        items.retain(|item| !listed.iter().any(|l| same_value(item, l)));
                        if items.is_empty() {
                            container.remove(&key);
                        }
                    }
                }
                None => {
                    container.remove(&key);
                }
            }
            Ok(())
        }
        (None, Op::Remove) => {
            container.remove(&key);
            Ok(())
        }
        (None, Op::Add) if multi => {
            let entry = container
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()));
            if !entry.is_array() {
                *entry = Value::Array(Vec::new());
            }
            if let (Value::Array(items), Some(v)) = (entry, value) {
                for new in as_list(v) {
                    if !items.iter().any(|i| same_value(i, &new)) {
                        items.push(new);
                    }
                }
            }
            Ok(())
        }
        (None, Op::Replace) if multi => {
            container.insert(key, Value::Array(value.map(as_list).unwrap_or_default()));
            Ok(())
        }
        // Single-valued (add is a replace); complex values merge their sub-attributes.
        (None, _) => {
            match (container.get_mut(&key), value) {
                (Some(Value::Object(existing)), Some(Value::Object(new))) => {
                    for (k, v) in new {
                        let sk = key_for(existing, k, shape);
                        existing.insert(sk, v.clone());
                    }
                }
                (_, v) => {
                    container.insert(key, v.cloned().unwrap_or(Value::Null));
                }
            }
            Ok(())
        }
    }
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

fn apply_filtered(
    container: &mut Map<String, Value>,
    key: &str,
    op: Op,
    filter: &Filter,
    sub: Option<&str>,
    value: Option<&Value>,
    shape: &ResourceShape,
) -> Result<(), ScimError> {
    let items = match container.get_mut(key) {
        Some(Value::Array(items)) => items,
        _ => {
            match op {
                Op::Remove => return Ok(()),
                Op::Replace => {
                    return Err(ScimError::no_target(format!(
                        "the value filter on {key} matches no value (the user has none); use add to create one"
                    )))
                }
                Op::Add => {}
            }
            container.insert(key.to_owned(), Value::Array(Vec::new()));
            match container.get_mut(key) {
                Some(Value::Array(items)) => items,
                _ => return Err(ScimError::internal()),
            }
        }
    };
    let mut hits = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if matches(filter, item, shape.case_exact)? {
            hits.push(i);
        }
    }
    match op {
        Op::Remove => {
            match sub {
                Some(s) => {
                    for &i in &hits {
                        if let Some(o) = items[i].as_object_mut() {
                            let sk = key_for(o, s, shape);
                            o.remove(&sk);
                        }
                    }
                }
                None => {
                    let mut i = 0;
                    items.retain(|_| {
                        let keep = !hits.contains(&i);
                        i += 1;
                        keep
                    });
                }
            }
            if items.is_empty() {
                container.remove(key);
            }
            Ok(())
        }
        Op::Add | Op::Replace => {
            let v = value.cloned().unwrap_or(Value::Null);
            if hits.is_empty() && op == Op::Replace {
                return Err(ScimError::no_target(format!(
                    "the value filter on {key} matches no value; use add to create one"
                )));
            }
            if hits.is_empty() {
                // Create the value the filter describes (`type eq "work"`), when it is that simple.
                let Filter::Compare(fp, CompareOp::Eq, CompValue::Str(s)) = filter else {
                    return Err(ScimError::no_target(format!(
                        "the value filter on {key} matches no value"
                    )));
                };
                let mut new = Map::new();
                new.insert(fp.attr.clone(), Value::String(s.clone()));
                match sub {
                    Some(sub) => {
                        new.insert(sub.to_owned(), v);
                    }
                    None => match v {
                        Value::Object(m) => new.extend(m),
                        _ => {
                            return Err(ScimError::invalid_value(format!(
                                "the value for {key}[...] must be an object"
                            )))
                        }
                    },
                }
                items.push(Value::Object(new));
                return Ok(());
            }
            for &i in &hits {
                match (sub, items[i].as_object_mut()) {
                    (Some(s), Some(o)) => {
                        let sk = key_for(o, s, shape);
                        o.insert(sk, v.clone());
                    }
                    (None, Some(o)) => match &v {
                        Value::Object(m) => {
                            for (k, x) in m {
                                let sk = key_for(o, k, shape);
                                o.insert(sk, x.clone());
                            }
                        }
                        _ => {
                            return Err(ScimError::invalid_value(format!(
                                "the value for {key}[...] must be an object"
                            )))
                        }
                    },
                    (_, None) => items[i] = v.clone(),
                }
            }
            Ok(())
        }
    }
}
