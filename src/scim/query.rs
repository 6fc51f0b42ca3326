//! List parameters (RFC 7644 3.4.2): filter, sort, paging and attribute projection, read from a
//! query string or a `.search` body; and the projection itself.

use serde_json::{Map, Value};

use super::error::ScimError;
use super::json::{self, get};
use super::schema::MAX_RESULTS;
use crate::resource::{parse_filter, parse_patch_path, AttrPath, Filter};
use crate::store::Sort;

/// Default page size of list responses.
pub(crate) const DEFAULT_COUNT: usize = 100;

/// An attribute named in `attributes` / `excludedAttributes`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Named {
    /// A whole extension object, named by its schema URN.
    Extension(String),
    /// An attribute (possibly URN-qualified, possibly with a sub-attribute).
    Attr(AttrPath),
}

/// What to return of each resource.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Projection {
    pub attributes: Vec<Named>,
    pub excluded: Vec<Named>,
}

/// Parameters of a list or search.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ListParams {
    pub filter: Option<Filter>,
    pub start_index: usize,
    pub count: usize,
    pub sort: Option<Sort>,
    pub projection: Projection,
}

impl ListParams {
    /// What the store is asked for: the filter, the order, the 0-based page, and how many
    /// resources it may examine: `scan_work` divided by the comparisons made per resource (the
    /// filter's terms, plus one for a sort).
    pub(crate) fn store_query(&self, scan_work: usize) -> crate::store::Query {
        let per_resource =
            self.filter.as_ref().map_or(0, Filter::terms) + usize::from(self.sort.is_some());
        crate::store::Query {
            filter: self.filter.clone(),
            sort: self.sort.clone(),
            start: self.start_index - 1,
            count: self.count,
            max_examined: scan_work / per_resource.max(1),
        }
    }
}

impl Default for ListParams {
    fn default() -> Self {
        ListParams {
            filter: None,
            start_index: 1,
            count: DEFAULT_COUNT,
            sort: None,
            projection: Projection::default(),
        }
    }
}

fn named(text: &str, extensions: &[&str]) -> Result<Named, ScimError> {
    let t = text.trim();
    if let Some(e) = extensions.iter().find(|e| t.eq_ignore_ascii_case(e)) {
        return Ok(Named::Extension((*e).to_owned()));
    }
    let p = parse_patch_path(t)
        .map_err(|e| ScimError::invalid_value(format!("attribute {t:?}: {}", e.detail())))?;
    if p.filter.is_some() {
        return Err(ScimError::invalid_value(format!(
            "attribute {t:?}: value filters are not allowed here"
        )));
    }
    Ok(Named::Attr(p.attr))
}

/// Most names `attributes` / `excludedAttributes` may list (the schemas have fewer than 50
/// attributes and sub-attributes); each is compared with every attribute of every result.
const MAX_NAMES: usize = 100;

fn named_list(
    items: impl Iterator<Item = String>,
    extensions: &[&str],
) -> Result<Vec<Named>, ScimError> {
    let mut out = Vec::new();
    for s in items.filter(|s| !s.trim().is_empty()) {
        if out.len() == MAX_NAMES {
            return Err(ScimError::invalid_value(format!(
                "attributes and excludedAttributes list at most {MAX_NAMES} names"
            )));
        }
        out.push(named(&s, extensions)?);
    }
    Ok(out)
}

fn sort_order(v: &str) -> Result<bool, ScimError> {
    match v.to_ascii_lowercase().as_str() {
        "ascending" => Ok(false),
        "descending" => Ok(true),
        _ => Err(ScimError::invalid_value(format!(
            "sortOrder must be ascending or descending, got {v:?}"
        ))),
    }
}

fn sort_by(v: &str) -> Result<AttrPath, ScimError> {
    let p = parse_patch_path(v.trim())
        .map_err(|e| ScimError::invalid_value(format!("sortBy {v:?}: {}", e.detail())))?;
    if p.filter.is_some() {
        return Err(ScimError::invalid_value(format!(
            "sortBy {v:?} cannot have a value filter"
        )));
    }
    Ok(p.attr)
}

/// RFC 7644 3.4.2.4: a startIndex below 1 means 1, a negative count means 0.
fn clamp(start_index: i64, count: i64) -> (usize, usize) {
    (
        usize::try_from(start_index.max(1)).unwrap_or(usize::MAX),
        usize::try_from(count.max(0)).unwrap_or(0).min(MAX_RESULTS),
    )
}

impl ListParams {
    /// From a query string (`filter`, `startIndex`, `count`, `sortBy`, `sortOrder`, `attributes`,
    /// `excludedAttributes`; names case-insensitive; others ignored).
    pub(crate) fn from_query(q: &str, extensions: &[&str]) -> Result<ListParams, ScimError> {
        let mut out = ListParams::default();
        let (mut start, mut count) = (1i64, DEFAULT_COUNT as i64);
        let (mut by, mut descending) = (None, false);
        let number = |k: &str, v: &str| -> Result<i64, ScimError> {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ScimError::invalid_value(format!("{k} must be an integer, got {v:?}")))
        };
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            let is = |name: &str| k.eq_ignore_ascii_case(name);
            if is("filter") {
                out.filter = Some(parse_filter(&v)?);
            } else if is("startIndex") {
                start = number("startIndex", &v)?;
            } else if is("count") {
                count = number("count", &v)?;
            } else if is("sortBy") {
                by = Some(sort_by(&v)?);
            } else if is("sortOrder") {
                descending = sort_order(&v)?;
            } else if is("attributes") {
                out.projection.attributes =
                    named_list(v.split(',').map(str::to_owned), extensions)?;
            } else if is("excludedAttributes") {
                out.projection.excluded = named_list(v.split(',').map(str::to_owned), extensions)?;
            }
        }
        (out.start_index, out.count) = clamp(start, count);
        out.sort = by.map(|by| Sort { by, descending });
        Ok(out)
    }

    /// From a `POST .search` body (RFC 7644 3.4.3).
    pub(crate) fn from_search(
        body: &Map<String, Value>,
        extensions: &[&str],
    ) -> Result<ListParams, ScimError> {
        if let Some(Value::Array(s)) = get(body, "schemas")? {
            if !s.iter().any(|x| {
                x.as_str()
                    .is_some_and(|x| x.eq_ignore_ascii_case(super::urn::SEARCH_SCHEMA))
            }) {
                return Err(ScimError::invalid_syntax(format!(
                    "a search body must have schemas [{:?}]",
                    super::urn::SEARCH_SCHEMA
                )));
            }
        }
        let int = |k: &str, default: i64| -> Result<i64, ScimError> {
            match get(body, k)? {
                None | Some(Value::Null) => Ok(default),
                Some(Value::Number(n)) => n
                    .as_i64()
                    .ok_or_else(|| ScimError::invalid_value(format!("{k} must be an integer"))),
                Some(other) => Err(ScimError::invalid_value(format!(
                    "{k} must be an integer, got {}",
                    json::kind(other)
                ))),
            }
        };
        let strings = |k: &str| -> Result<Vec<String>, ScimError> {
            match get(body, k)? {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str().map(str::to_owned).ok_or_else(|| {
                            ScimError::invalid_value(format!("{k} must be an array of strings"))
                        })
                    })
                    .collect(),
                Some(Value::String(s)) => Ok(s.split(',').map(str::to_owned).collect()),
                Some(other) => Err(ScimError::invalid_value(format!(
                    "{k} must be an array of strings, got {}",
                    json::kind(other)
                ))),
            }
        };
        let text = |k: &str| -> Result<Option<String>, ScimError> { json::string(body, k, k) };
        let (start_index, count) =
            clamp(int("startIndex", 1)?, int("count", DEFAULT_COUNT as i64)?);
        let descending = match text("sortOrder")? {
            Some(v) => sort_order(&v)?,
            None => false,
        };
        Ok(ListParams {
            filter: text("filter")?.map(|f| parse_filter(&f)).transpose()?,
            start_index,
            count,
            sort: text("sortBy")?
                .map(|b| sort_by(&b))
                .transpose()?
                .map(|by| Sort { by, descending }),
            projection: Projection {
                attributes: named_list(strings("attributes")?.into_iter(), extensions)?,
                excluded: named_list(strings("excludedAttributes")?.into_iter(), extensions)?,
            },
        })
    }
}

fn key_of<'a>(m: &'a Map<String, Value>, name: &str) -> Option<&'a String> {
    m.keys().find(|k| k.eq_ignore_ascii_case(name))
}

impl Projection {
    /// Whether nothing is projected.
    pub(crate) fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Applies the projection to a resource's JSON: `always` attributes (and `schemas`) stay.
    pub(crate) fn apply(&self, resource: &mut Value, core: &str, always: &[&str]) {
        let Value::Object(m) = resource else { return };
        let keep_always = |k: &str| {
            k.eq_ignore_ascii_case("schemas") || always.iter().any(|a| k.eq_ignore_ascii_case(a))
        };
        // Where a named attribute lives: the resource, or an extension object.
        let container = |p: &AttrPath| -> Option<String> {
            match &p.schema {
                Some(s) if !s.eq_ignore_ascii_case(core) => Some(s.clone()),
                _ => None,
            }
        };
        if !self.attributes.is_empty() {
            let mut out = Map::new();
            for (k, v) in m.iter() {
                if keep_always(k) {
                    out.insert(k.clone(), v.clone());
                }
            }
            for n in &self.attributes {
                match n {
                    Named::Extension(urn) => {
                        if let Some(k) = key_of(m, urn) {
                            out.insert(k.clone(), m[k].clone());
                        }
                    }
                    Named::Attr(p) => {
                        let (src, dst) = match container(p) {
                            None => (Some(&*m), &mut out),
                            Some(urn) => {
                                let Some(k) = key_of(m, &urn).cloned() else {
                                    continue;
                                };
                                let dst = out
                                    .entry(k.clone())
                                    .or_insert_with(|| Value::Object(Map::new()));
                                let Value::Object(dst) = dst else { continue };
                                (m.get(&k).and_then(Value::as_object), dst)
                            }
                        };
                        let Some(src) = src else { continue };
                        let Some(k) = key_of(src, &p.attr) else {
                            continue;
                        };
                        match (&p.sub, &src[k]) {
                            (None, v) => {
                                dst.insert(k.clone(), v.clone());
                            }
                            (Some(sub), Value::Object(inner)) => {
                                if let Some(sk) = key_of(inner, sub) {
                                    let entry = dst
                                        .entry(k.clone())
                                        .or_insert_with(|| Value::Object(Map::new()));
                                    if let Value::Object(e) = entry {
                                        e.insert(sk.clone(), inner[sk].clone());
                                    }
                                }
                            }
                            (Some(sub), Value::Array(items)) => {
                                let picked: Vec<Value> = items
                                    .iter()
                                    .filter_map(|it| {
                                        let o = it.as_object()?;
                                        let sk = key_of(o, sub)?;
                                        let mut one = Map::new();
                                        one.insert(sk.clone(), o[sk].clone());
                                        Some(Value::Object(one))
                                    })
                                    .collect();
                                dst.insert(k.clone(), Value::Array(picked));
                            }
                            _ => {}
                        }
                    }
                }
            }
            *m = out;
        }
        for n in &self.excluded {
            match n {
                Named::Extension(urn) => {
                    if let Some(k) = key_of(m, urn).cloned() {
                        m.remove(&k);
                    }
                }
                Named::Attr(p) => {
                    let target = match container(p) {
                        None => Some(&mut *m),
                        Some(urn) => match key_of(m, &urn).cloned() {
                            Some(k) => m.get_mut(&k).and_then(Value::as_object_mut),
                            None => None,
                        },
                    };
                    let Some(t) = target else { continue };
                    let Some(k) = key_of(t, &p.attr).cloned() else {
                        continue;
                    };
                    if p.sub.is_none() && keep_always(&k) && container(p).is_none() {
                        continue;
                    }
                    match &p.sub {
                        None => {
                            t.remove(&k);
                        }
                        Some(sub) => match t.get_mut(&k) {
                            Some(Value::Object(inner)) => {
                                if let Some(sk) = key_of(inner, sub).cloned() {
                                    inner.remove(&sk);
                                }
                            }
                            Some(Value::Array(items)) => {
                                for it in items.iter_mut().filter_map(Value::as_object_mut) {
                                    if let Some(sk) = key_of(it, sub).cloned() {
                                        it.remove(&sk);
                                    }
                                }
                            }
                            _ => {}
                        },
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EXT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

    fn user() -> Value {
        json!({"schemas": [CORE], "id": "1", "userName": "a", "displayName": "A", "name": {"givenName": "G", "familyName": "F"},
               "emails": [{"value": "a@x.co", "type": "work"}], "meta": {"resourceType": "User"}, EXT: {"department": "D", "division": "V"}})
    }

    #[test]
    fn attribute_lists_are_bounded() {
        let names = |n: usize| vec!["userName"; n].join(",");
        let ok = ListParams::from_query(&format!("attributes={}", names(MAX_NAMES)), &[]).unwrap();
        assert_eq!(ok.projection.attributes.len(), MAX_NAMES);
        for q in [
            format!("attributes={}", names(MAX_NAMES + 1)),
            format!("excludedAttributes={}", names(100_000)),
        ] {
            let e = ListParams::from_query(&q, &[]).unwrap_err();
            assert_eq!(e.status(), 400);
            assert!(e.detail().contains("at most 100 names"), "{}", e.detail());
        }
        let body = json!({"attributes": vec!["userName"; MAX_NAMES + 1]});
        let e = ListParams::from_search(body.as_object().unwrap(), &[]).unwrap_err();
        assert!(e.detail().contains("at most 100 names"), "{}", e.detail());
    }

    #[test]
    fn attributes_and_exclusions() {
        let p = ListParams::from_query("attributes=userName,name.givenName,emails.value,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", &[EXT]).unwrap();
        let mut u = user();
        p.projection.apply(&mut u, CORE, &["id"]);
        assert_eq!(
            u,
            json!({"schemas": [CORE], "id": "1", "userName": "a", "name": {"givenName": "G"}, "emails": [{"value": "a@x.co"}], EXT: {"department": "D"}})
        );
        let p = ListParams::from_query("excludedAttributes=displayName,id,name.familyName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", &[EXT]).unwrap();
        let mut u = user();
        p.projection.apply(&mut u, CORE, &["id"]);
        assert!(
            u.get("displayName").is_none()
                && u.get(EXT).is_none()
                && u["name"].get("familyName").is_none()
        );
        assert_eq!(u["id"], "1", "id is always returned");
    }

    #[test]
    fn parameters() {
        let p = ListParams::from_query("sortBy=name.familyName&sortOrder=descending&startIndex=0&count=-3&filter=userName%20pr", &[]).unwrap();
        assert_eq!((p.start_index, p.count), (1, 0));
        assert!(p.sort.as_ref().unwrap().descending);
        assert!(p.filter.is_some());
        assert!(ListParams::from_query("sortOrder=sideways", &[]).is_err());
        assert!(ListParams::from_query("sortBy=emails[type eq \"w\"]", &[]).is_err());
        let body = json!({"schemas": [super::super::urn::SEARCH_SCHEMA], "filter": "userName sw \"a\"", "startIndex": 2, "count": 5, "attributes": ["userName"]});
        let s = ListParams::from_search(body.as_object().unwrap(), &[]).unwrap();
        assert_eq!(
            (s.start_index, s.count, s.projection.attributes.len()),
            (2, 5, 1)
        );
        assert!(
            ListParams::from_search(json!({"schemas": ["urn:x"]}).as_object().unwrap(), &[])
                .is_err()
        );
    }
}
