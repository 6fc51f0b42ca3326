//! Filters evaluated over typed resources (never over rendered JSON), with the types and the
//! case-exactness of the attribute tables; the sort keys of the same values.

use std::cmp::Ordering;

use super::filter::{AttrPath, CompValue, CompareOp, Filter, FilterError};
use super::keys::user_name_key;
use super::schema::{lookup, AttrDef, AttrType, SchemaDef};
use crate::time::Timestamp;

/// A simple value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val<'a> {
    /// A string kept by the resource.
    Str(&'a str),
    /// A string made for the comparison (an entity tag, a URI).
    Owned(String),
    /// A boolean.
    Bool(bool),
    /// A date-time.
    Time(Timestamp),
}

/// The most sub-attributes a complex attribute of our tables has.
pub(crate) const MAX_SUB: usize = 5;

/// A complex value: the value of each sub-attribute, by its position in the definition's `sub`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Obj<'a>(pub(crate) [Option<Val<'a>>; MAX_SUB]);

impl<'a> Obj<'a> {
    fn get(&self, parent: &AttrDef, sub: &AttrDef) -> Option<&Val<'a>> {
        let i = parent.sub.iter().position(|d| d.name == sub.name)?;
        self.0.get(i)?.as_ref()
    }
}

/// One value of an attribute.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Item<'a> {
    /// A simple value.
    Val(Val<'a>),
    /// A complex value.
    Obj(Obj<'a>),
}

/// A resource whose attributes a filter can read.
pub(crate) trait Resource {
    /// The core schema.
    fn schema(&self) -> &'static SchemaDef;
    /// The extension schemas.
    fn extensions(&self) -> &'static [&'static SchemaDef];
    /// Appends the values of `attr` (a top-level attribute of `schema`) to `out`; nothing when it
    /// has none.
    fn items<'s>(
        &'s self,
        schema: &'static SchemaDef,
        attr: &'static AttrDef,
        out: &mut Vec<Item<'s>>,
    );
}

/// Where a filter's paths are resolved: the resource, or one value of a multi-valued complex
/// attribute (inside `attr[filter]`).
enum Scope<'s, R: ?Sized> {
    Root(&'s R),
    Element(&'s Obj<'s>, &'static AttrDef),
    Simple,
}

/// The values `path` designates, and the definition that governs how they compare.
fn resolve<'s, R: Resource + ?Sized>(
    scope: &Scope<'s, R>,
    path: &AttrPath,
) -> Option<(Vec<Item<'s>>, &'static AttrDef, Option<&'static AttrDef>)> {
    match scope {
        Scope::Root(r) => {
            let (schema, def, sub) = lookup(
                r.schema(),
                r.extensions(),
                path.schema.as_deref(),
                &path.attr,
                path.sub.as_deref(),
            )?;
            let mut items = Vec::new();
            r.items(schema, def, &mut items);
            match sub {
                Some(s) => {
                    let vals = items
                        .into_iter()
                        .filter_map(|i| match i {
                            Item::Obj(o) => o.get(def, s).cloned().map(Item::Val),
                            Item::Val(_) => None,
                        })
                        .collect();
                    Some((vals, s, None))
                }
                None => Some((items, def, Some(def))),
            }
        }
        Scope::Element(obj, parent) => {
            if path.schema.is_some() || path.sub.is_some() {
                return None;
            }
            let s = parent.sub_attribute(&path.attr)?;
            let v = obj.get(parent, s).cloned().map(Item::Val);
            Some((v.into_iter().collect(), s, None))
        }
        Scope::Simple => None,
    }
}

fn present(items: &[Item<'_>]) -> bool {
    items.iter().any(|i| match i {
        Item::Val(Val::Str(s)) => !s.is_empty(),
        Item::Val(Val::Owned(s)) => !s.is_empty(),
        _ => true,
    })
}

fn eval<R: Resource + ?Sized>(f: &Filter, scope: &Scope<'_, R>) -> Result<bool, FilterError> {
    Ok(match f {
        Filter::And(a, b) => eval(a, scope)? && eval(b, scope)?,
        Filter::Or(a, b) => eval(a, scope)? || eval(b, scope)?,
        Filter::Not(a) => !eval(a, scope)?,
        Filter::Present(p) => resolve(scope, p).is_some_and(|(items, _, _)| present(&items)),
        Filter::ValuePath(p, inner) => {
            let Some((items, def, _)) = resolve(scope, p) else {
                return Ok(false);
            };
            for item in &items {
                let hit = match item {
                    Item::Obj(o) => eval::<R>(inner, &Scope::Element(o, def))?,
                    Item::Val(_) => eval::<R>(inner, &Scope::Simple)?,
                };
                if hit {
                    return Ok(true);
                }
            }
            false
        }
        // "ne" holds when no value equals.
        Filter::Compare(p, CompareOp::Ne, value) => !eval(
            &Filter::Compare(p.clone(), CompareOp::Eq, value.clone()),
            scope,
        )?,
        Filter::Compare(p, op, value) => {
            let (items, def, complex) = resolve(scope, p).unwrap_or((Vec::new(), &NONE, None));
            if matches!(value, CompValue::Null) {
                return match op {
                    CompareOp::Eq => Ok(items.is_empty()),
                    _ => Err(FilterError::invalid_filter(format!(
                        "{op:?} cannot compare with null"
                    ))),
                };
            }
            // userName equality is equality of keys (so an email's Unicode domain equals its
            // punycode), as the stores' uniqueness is.
            if let (CompareOp::Eq, CompValue::Str(b), true) = (op, value, is_user_name(def)) {
                let want = user_name_key(b);
                return Ok(items
                    .iter()
                    .any(|i| matches!(i, Item::Val(Val::Str(a)) if user_name_key(a) == want)));
            }
            for item in &items {
                let (v, exact) = match item {
                    Item::Val(v) => (v, def.case_exact),
                    // A complex value compares through its "value" sub-attribute.
                    Item::Obj(o) => {
                        let Some(parent) = complex else { continue };
                        let Some(vd) = parent.sub_attribute("value") else {
                            continue;
                        };
                        match o.get(parent, vd) {
                            Some(v) => (v, vd.case_exact),
                            None => continue,
                        }
                    }
                };
                if compare(v, *op, value, exact)? {
                    return Ok(true);
                }
            }
            false
        }
    })
}

/// Whether `def` is the User's userName.
fn is_user_name(def: &AttrDef) -> bool {
    def.unique && def.name == "userName"
}

/// Stands for an attribute the tables do not know: it has no values.
static NONE: AttrDef = AttrDef {
    name: "",
    kind: AttrType::String,
    multi: false,
    required: false,
    case_exact: false,
    mutability: super::schema::Mutability::ReadOnly,
    unique: false,
    returned: super::schema::Returned::Default,
    description: "",
    sub: &[],
    reference_types: &[],
    canonical_values: &[],
    published: false,
};

fn ordered(op: CompareOp, o: Ordering) -> bool {
    match op {
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Ne => o != Ordering::Equal,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn compare_strings(a: &str, op: CompareOp, b: &str, exact: bool) -> bool {
    let (a, b) = if exact {
        (a.to_owned(), b.to_owned())
    } else {
        (a.to_lowercase(), b.to_lowercase())
    };
    match op {
        CompareOp::Co => a.contains(&b),
        CompareOp::Sw => a.starts_with(&b),
        CompareOp::Ew => a.ends_with(&b),
        _ => ordered(op, a.cmp(&b)),
    }
}

/// Compares one value with a filter's literal (`exact`: case-sensitively).
pub(crate) fn compare(
    actual: &Val<'_>,
    op: CompareOp,
    expected: &CompValue,
    exact: bool,
) -> Result<bool, FilterError> {
    let ordering = matches!(
        op,
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
    );
    let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    let bool_error = || FilterError::invalid_filter(format!("{op:?} cannot compare booleans"));
    Ok(match (actual, expected) {
        (Val::Str(a), CompValue::Str(b)) => compare_strings(a, op, b, exact),
        (Val::Owned(a), CompValue::Str(b)) => compare_strings(a, op, b, exact),
        (Val::Time(t), CompValue::Str(b)) => match Timestamp::parse(b) {
            Ok(when) if !substring => ordered(op, t.cmp(&when)),
            _ => compare_strings(&t.to_string(), op, b, false),
        },
        (Val::Bool(a), CompValue::Bool(b)) => {
            if ordering || substring {
                return Err(bool_error());
            }
            ordered(op, a.cmp(b))
        }
        // Entra and others send booleans as strings.
        (Val::Str(a), CompValue::Bool(b))
            if a.eq_ignore_ascii_case("true") || a.eq_ignore_ascii_case("false") =>
        {
            if ordering {
                return Err(bool_error());
            }
            ordered(op, a.eq_ignore_ascii_case("true").cmp(b))
        }
        _ => false,
    })
}

/// Does `r` match `f`? An invalid comparison (the service refuses those before querying)
/// counts as no match.
pub(crate) fn matches<R: Resource + ?Sized>(f: &Filter, r: &R) -> bool {
    eval(f, &Scope::Root(r)).unwrap_or(false)
}

/// Refuses filters the RFC makes invalid for the attribute types: ordering (`gt`, `ge`, `lt`,
/// `le`) or substring operators on booleans, also inside `attr[filter]`.
pub(crate) fn check_types(
    f: &Filter,
    core: &'static SchemaDef,
    extensions: &[&'static SchemaDef],
) -> Result<(), FilterError> {
    check(f, core, extensions, None)
}

fn check(
    f: &Filter,
    core: &'static SchemaDef,
    ext: &[&'static SchemaDef],
    within: Option<&'static AttrDef>,
) -> Result<(), FilterError> {
    match f {
        Filter::And(a, b) | Filter::Or(a, b) => {
            check(a, core, ext, within)?;
            check(b, core, ext, within)
        }
        Filter::Not(a) => check(a, core, ext, within),
        Filter::ValuePath(p, a) => {
            let parent = lookup(core, ext, p.schema.as_deref(), &p.attr, None).map(|(_, d, _)| d);
            check(a, core, ext, parent)
        }
        Filter::Present(_) => Ok(()),
        Filter::Compare(p, op, v) => {
            let def = match within {
                Some(parent) => parent.sub_attribute(&p.attr),
                None => lookup(core, ext, p.schema.as_deref(), &p.attr, p.sub.as_deref())
                    .map(|(_, d, s)| s.unwrap_or(d)),
            };
            let boolean =
                def.is_some_and(|d| d.kind == AttrType::Boolean) || matches!(v, CompValue::Bool(_));
            if boolean && !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(FilterError::invalid_filter(format!(
                    "{op:?} cannot compare the boolean attribute {}",
                    p.attr
                )));
            }
            Ok(())
        }
    }
}

/// A value to sort by.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
pub(crate) enum SortKey {
    Bool(bool),
    Time(Timestamp),
    Str(String),
}

/// The sort key of `r` for `path`: the attribute's value (for a multi-valued complex attribute,
/// the primary value, else the first); `None` when it has none.
pub(crate) fn sort_key<R: Resource + ?Sized>(r: &R, path: &AttrPath) -> Option<SortKey> {
    let (items, def, complex) = resolve(&Scope::Root(r), path)?;
    let (v, exact) = match complex {
        Some(parent) if parent.kind == AttrType::Complex => {
            let vd = parent.sub_attribute("value")?;
            let primary = parent.sub_attribute("primary");
            let objs: Vec<&Obj<'_>> = items
                .iter()
                .filter_map(|i| match i {
                    Item::Obj(o) => Some(o),
                    Item::Val(_) => None,
                })
                .collect();
            let pick = objs
                .iter()
                .find(|o| primary.and_then(|p| o.get(parent, p)) == Some(&Val::Bool(true)))
                .or(objs.first())?;
            (pick.get(parent, vd)?.clone(), vd.case_exact)
        }
        _ => match items.into_iter().next()? {
            Item::Val(v) => (v, def.case_exact),
            Item::Obj(_) => return None,
        },
    };
    Some(match v {
        Val::Str(s) if exact => SortKey::Str(s.to_owned()),
        Val::Str(s) => SortKey::Str(s.to_lowercase()),
        Val::Owned(s) if exact => SortKey::Str(s),
        Val::Owned(s) => SortKey::Str(s.to_lowercase()),
        Val::Bool(b) => SortKey::Bool(b),
        Val::Time(t) => SortKey::Time(t),
    })
}

/// Sorts `items` by the keys `key` gives (resources without a value last when ascending, first
/// when descending; ties keep their previous order).
pub(crate) fn sort_by_key<T>(
    items: Vec<T>,
    descending: bool,
    key: impl Fn(&T) -> Option<SortKey>,
) -> Vec<T> {
    let mut keyed: Vec<(Option<SortKey>, usize, T)> = items
        .into_iter()
        .enumerate()
        .map(|(i, t)| (key(&t), i, t))
        .collect();
    keyed.sort_by(|(a, ia, _), (b, ib, _)| {
        let o = match (a, b) {
            (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        (if descending { o.reverse() } else { o }).then(ia.cmp(ib))
    });
    keyed.into_iter().map(|(_, _, t)| t).collect()
}
