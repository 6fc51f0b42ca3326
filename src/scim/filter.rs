//! SCIM filters (RFC 7644 section 3.4.2.2) and PATCH paths (section 3.5.2): a parser for the full
//! grammar, with positions in its errors, and an evaluator over a resource's JSON form.
//!
//! Precedence: `not` binds tighter than `and`, which binds tighter than `or`; parentheses group.
//! Attribute names and operators are case-insensitive. Inputs are bounded: at most
//! [`MAX_FILTER_LEN`] characters, [`MAX_DEPTH`] levels of nesting and [`MAX_LOGICAL_OPERATORS`]
//! `and`/`or` operators, so the tree (and the recursion that evaluates and drops it) stays shallow.

use serde_json::Value;

use super::error::ScimError;

/// Longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses, `not` and value filters accepted.
pub const MAX_DEPTH: usize = 32;
/// Most `and`/`or` operators accepted in one filter (each adds a level to the filter's tree).
/// Okta and Entra send one or two; a client looking up many ids at once can send 100.
pub const MAX_LOGICAL_OPERATORS: usize = 100;

/// `[schema URN ":"] attr ["." sub]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN when the path was qualified, as written.
    pub schema: Option<String>,
    /// The attribute name, as written.
    pub attr: String,
    /// The sub-attribute name, as written.
    pub sub: Option<String>,
}

impl AttrPath {
    /// Is this `attr` (case-insensitively), with no sub-attribute?
    pub fn is(&self, attr: &str) -> bool {
        self.sub.is_none() && self.attr.eq_ignore_ascii_case(attr)
    }

    /// The dotted name in lowercase (`name.givenname`), without the schema.
    pub fn dotted_lower(&self) -> String {
        match &self.sub {
            Some(s) => format!(
                "{}.{}",
                self.attr.to_ascii_lowercase(),
                s.to_ascii_lowercase()
            ),
            None => self.attr.to_ascii_lowercase(),
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// equal
    Eq,
    /// not equal
    Ne,
    /// contains
    Co,
    /// starts with
    Sw,
    /// ends with
    Ew,
    /// greater than
    Gt,
    /// greater than or equal
    Ge,
    /// less than
    Lt,
    /// less than or equal
    Le,
}

/// A literal in a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum CompValue {
    /// A JSON string.
    Str(String),
    /// A JSON number.
    Num(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// `attrPath op value`
    Compare(AttrPath, CompareOp, CompValue),
    /// `attrPath pr`
    Present(AttrPath),
    /// `a and b`
    And(Box<Filter>, Box<Filter>),
    /// `a or b`
    Or(Box<Filter>, Box<Filter>),
    /// `not (a)`
    Not(Box<Filter>),
    /// `attrPath[filter]`: some value of the multi-valued attribute matches.
    ValuePath(AttrPath, Box<Filter>),
}

/// A PATCH `path`: `attrPath`, or `attrPath[valFilter]` optionally followed by `.subAttr`.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchPath {
    /// The attribute (with its sub-attribute when written `a.b`).
    pub attr: AttrPath,
    /// The value filter, for `attr[filter]`.
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter: `emails[type eq "work"].value`.
    pub sub_after_filter: Option<String>,
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: usize,
    operators: usize,
}

fn err(pos: usize, what: impl std::fmt::Display) -> ScimError {
    ScimError::invalid_filter(format!("{what} at position {pos}"))
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Result<Parser<'a>, ScimError> {
        if s.len() > MAX_FILTER_LEN {
            return Err(ScimError::invalid_filter(format!(
                "the filter is longer than {MAX_FILTER_LEN} bytes"
            )));
        }
        Ok(Parser {
            s,
            b: s.as_bytes(),
            pos: 0,
            depth: 0,
            operators: 0,
        })
    }

    fn skip_ws(&mut self) {
        while self.pos < self.b.len() && self.b[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos >= self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// The next bare word (letters, digits, `-`, `_`), without consuming it.
    fn peek_word(&self) -> &'a str {
        let start = self.pos;
        let mut end = start;
        while end < self.b.len() && is_name_char(self.b[end]) {
            end += 1;
        }
        &self.s[start..end]
    }

    fn keyword(&mut self, kw: &str) -> bool {
        self.skip_ws();
        let w = self.peek_word();
        if w.eq_ignore_ascii_case(kw) {
            self.pos += w.len();
            true
        } else {
            false
        }
    }

    fn operator(&mut self) -> Result<(), ScimError> {
        self.operators += 1;
        if self.operators > MAX_LOGICAL_OPERATORS {
            return Err(err(
                self.pos,
                format!("more than {MAX_LOGICAL_OPERATORS} and/or operators; split the query"),
            ));
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<(), ScimError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(self.pos, format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    fn filter(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.and_term()?;
        while self.keyword("or") {
            self.operator()?;
            let right = self.and_term()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_term(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.factor()?;
        while self.keyword("and") {
            self.operator()?;
            let right = self.factor()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Filter, ScimError> {
        self.skip_ws();
        let save = self.pos;
        if self.keyword("not") {
            self.skip_ws();
            if self.peek() == Some(b'(') {
                self.enter()?;
                self.pos += 1;
                let inner = self.filter()?;
                self.expect(b')')?;
                self.depth -= 1;
                return Ok(Filter::Not(Box::new(inner)));
            }
            // An attribute that happens to be called "not".
            self.pos = save;
        }
        if self.peek() == Some(b'(') {
            self.enter()?;
            self.pos += 1;
            let inner = self.filter()?;
            self.expect(b')')?;
            self.depth -= 1;
            return Ok(inner);
        }
        let path = self.attr_path()?;
        if self.peek() == Some(b'[') {
            if path.sub.is_some() {
                return Err(err(
                    self.pos,
                    "a value filter cannot follow a sub-attribute",
                ));
            }
            self.enter()?;
            self.pos += 1;
            let inner = self.filter()?;
            self.expect(b']')?;
            self.depth -= 1;
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        self.skip_ws();
        let op_pos = self.pos;
        let op = self.peek_word();
        self.pos += op.len();
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            "" => {
                return Err(err(
                    op_pos,
                    "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)",
                ))
            }
            other => return Err(err(op_pos, format!("unknown operator {other:?}"))),
        };
        let value = self.comp_value()?;
        Ok(Filter::Compare(path, op, value))
    }

    fn expect(&mut self, c: u8) -> Result<(), ScimError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(err(self.pos, format!("expected '{}'", c as char)))
        }
    }

    /// `[URN ":"] name ["." name]`
    fn attr_path(&mut self) -> Result<AttrPath, ScimError> {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.b.len()
            && !matches!(
                self.b[self.pos],
                b' ' | b'\t' | b'\r' | b'\n' | b'[' | b']' | b'(' | b')' | b'"'
            )
        {
            self.pos += 1;
        }
        let token = &self.s[start..self.pos];
        parse_attr_path(token).map_err(|what| err(start, what))
    }

    fn comp_value(&mut self) -> Result<CompValue, ScimError> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                // A JSON string: find its end honouring escapes, then let serde_json decode it.
                let mut i = self.pos + 1;
                while i < self.b.len() {
                    match self.b[i] {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                if i >= self.b.len() {
                    return Err(err(start, "unterminated string"));
                }
                let lit = &self.s[start..=i];
                let s: String = serde_json::from_str(lit)
                    .map_err(|e| err(start, format!("invalid string ({e})")))?;
                self.pos = i + 1;
                Ok(CompValue::Str(s))
            }
            Some(_) => {
                let mut end = self.pos;
                while end < self.b.len()
                    && (is_name_char(self.b[end]) || matches!(self.b[end], b'.' | b'+'))
                {
                    end += 1;
                }
                let word = &self.s[self.pos..end];
                let v = match word {
                    "true" => CompValue::Bool(true),
                    "false" => CompValue::Bool(false),
                    "null" => CompValue::Null,
                    _ => match word.parse::<f64>() {
                        Ok(n)
                            if n.is_finite()
                                && word
                                    .bytes()
                                    .next()
                                    .is_some_and(|c| c.is_ascii_digit() || c == b'-') =>
                        {
                            CompValue::Num(n)
                        }
                        _ => {
                            return Err(err(
                                start,
                                "expected a value: a \"string\", a number, true, false or null",
                            ))
                        }
                    },
                };
                self.pos = end;
                Ok(v)
            }
            None => Err(err(start, "expected a value after the operator")),
        }
    }
}

/// Parses `[URN ":"] name ["." name]`. The URN part is everything up to the last `:`.
fn parse_attr_path(token: &str) -> Result<AttrPath, String> {
    if token.is_empty() {
        return Err("expected an attribute name".into());
    }
    let (schema, rest) = match token.rfind(':') {
        Some(i) => {
            let schema = &token[..i];
            if !schema.to_ascii_lowercase().starts_with("urn:") {
                return Err(format!("{token:?} is not an attribute path"));
            }
            (Some(schema.to_owned()), &token[i + 1..])
        }
        None => (None, token),
    };
    let (attr, sub) = match rest.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (rest, None),
    };
    let valid = |n: &str| {
        n.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) && n.bytes().all(is_name_char)
    };
    if !valid(attr) || sub.is_some_and(|s| !valid(s)) {
        return Err(format!("{token:?} is not a valid attribute path"));
    }
    Ok(AttrPath {
        schema,
        attr: attr.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

/// Parses a filter expression.
pub fn parse_filter(s: &str) -> Result<Filter, ScimError> {
    let mut p = Parser::new(s)?;
    let f = p.filter()?;
    if !p.at_end() {
        return Err(err(p.pos, "unexpected text after the filter"));
    }
    Ok(f)
}

/// Parses a PATCH `path` (errors are `invalidPath`).
pub fn parse_patch_path(s: &str) -> Result<PatchPath, ScimError> {
    let to_path_error =
        |e: ScimError| ScimError::invalid_path(format!("invalid path {s:?}: {}", e.detail()));
    let mut p = Parser::new(s).map_err(to_path_error)?;
    let attr = p.attr_path().map_err(to_path_error)?;
    let mut filter = None;
    let mut sub_after_filter = None;
    if p.peek() == Some(b'[') {
        if attr.sub.is_some() {
            return Err(ScimError::invalid_path(format!(
                "invalid path {s:?}: a value filter cannot follow a sub-attribute"
            )));
        }
        p.pos += 1;
        p.depth = 1;
        filter = Some(p.filter().map_err(to_path_error)?);
        p.expect(b']').map_err(to_path_error)?;
        if p.peek() == Some(b'.') {
            p.pos += 1;
            let w = p.peek_word();
            if !w.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
                return Err(ScimError::invalid_path(format!(
                    "invalid path {s:?}: expected a sub-attribute after '.'"
                )));
            }
            p.pos += w.len();
            sub_after_filter = Some(w.to_owned());
        }
    }
    if !p.at_end() {
        return Err(ScimError::invalid_path(format!(
            "invalid path {s:?}: unexpected text at position {}",
            p.pos
        )));
    }
    Ok(PatchPath {
        attr,
        filter,
        sub_after_filter,
    })
}

/// How values of an attribute compare: `case_exact(dotted_lowercase_name)`.
pub type CaseExact = fn(&str) -> bool;

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
pub fn matches(
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn never_exact(_: &str) -> bool {
        false
    }

    #[test]
    fn parses_the_grammar_with_precedence() {
        let f = parse_filter(r#"userName Eq "a" or title pr and not (x eq 1)"#).unwrap();
        let Filter::Or(a, b) = f else {
            panic!("or at the top: {f:?}")
        };
        assert!(matches!(
            *a,
            Filter::Compare(_, CompareOp::Eq, CompValue::Str(_))
        ));
        let Filter::And(c, d) = *b else {
            panic!("and binds tighter")
        };
        assert!(matches!(*c, Filter::Present(_)));
        assert!(matches!(*d, Filter::Not(_)));
        let v = parse_filter(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap();
        assert!(matches!(v, Filter::ValuePath(_, _)));
        let urn = parse_filter(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x""#,
        )
        .unwrap();
        let Filter::Compare(p, _, _) = urn else {
            panic!()
        };
        assert_eq!(
            p.schema.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(
            (p.attr.as_str(), p.sub.as_deref()),
            ("manager", Some("value"))
        );
        assert!(parse_filter(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#).is_ok());
        assert!(parse_filter(r#"userName eq "quote \" inside""#).is_ok());
        assert!(parse_filter("age ge -1.5e3").is_ok());
    }

    #[test]
    fn errors_have_positions() {
        for (bad, pos) in [
            ("userName", 8),
            ("userName zz \"a\"", 9),
            ("userName eq", 11),
            ("userName eq \"a", 12),
            ("(userName eq \"a\"", 16),
            ("userName eq \"a\" extra", 16),
            ("1abc eq \"a\"", 0),
            ("userName eq bare", 12),
        ] {
            let e = parse_filter(bad).unwrap_err();
            assert_eq!(e.scim_type(), "invalidFilter");
            assert!(
                e.detail().ends_with(&format!("position {pos}")),
                "{bad}: {}",
                e.detail()
            );
        }
        let deep = format!("{}a pr{}", "(".repeat(40), ")".repeat(40));
        assert!(parse_filter(&deep)
            .unwrap_err()
            .detail()
            .contains("nesting"));
        assert!(parse_filter(&"a".repeat(5000)).is_err());
    }

    #[test]
    fn the_largest_filters_parse_evaluate_and_drop_on_a_small_stack() {
        // `and`/`or` chains build one tree level per operator, so their number is bounded: the
        // deepest filters accepted must parse, evaluate and drop on a quarter of the stack a tokio
        // worker has (2 MiB), even unoptimized. Before the bound, a 4 KiB filter overflowed it.
        let most = MAX_LOGICAL_OPERATORS;
        let user = json!({"userName": "bob", "emails": [{"value": "b@x.com"}]});
        let nested = |n: usize| format!("{}a pr{}", "not (".repeat(n), ")".repeat(n));
        let chains = [
            "a pr or ".repeat(most) + "a pr",
            "a pr and ".repeat(most) + "userName pr",
            format!("emails[{}value pr]", "a pr or ".repeat(most)),
            format!("{} or userName pr", nested(MAX_DEPTH - 1)) + &" or a pr".repeat(most - 1),
        ];
        let results = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || {
                chains
                    .iter()
                    .map(|c| {
                        let f = parse_filter(c).unwrap();
                        matches(&f, &user, never_exact).unwrap()
                    })
                    .collect::<Vec<bool>>()
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(results, [false, false, true, true]);
        for over in [
            "a pr or ".repeat(most + 1) + "a pr",
            "a pr and ".repeat(most / 2) + &"a pr or ".repeat(most / 2 + 1) + "a pr",
        ] {
            let e = parse_filter(&over).unwrap_err();
            assert_eq!(e.scim_type(), "invalidFilter");
            assert!(e.detail().contains("and/or operators"), "{}", e.detail());
        }
    }

    #[test]
    fn evaluates_over_json() {
        let user = json!({
            "userName": "Alice@Example.com",
            "active": true,
            "emails": [{"value": "a@work.com", "type": "work"}, {"value": "a@home.com", "type": "home"}],
            "name": {"givenName": "Alice"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}
        });
        let t = |f: &str| matches(&parse_filter(f).unwrap(), &user, never_exact).unwrap();
        assert!(t(r#"username eq "alice@example.com""#));
        assert!(t(r#"emails[type eq "work" and value ew "@work.com"]"#));
        assert!(!t(r#"emails[type eq "work" and value ew "@home.com"]"#));
        assert!(t(r#"emails co "home.com""#));
        assert!(t(r#"emails.type eq "home""#));
        assert!(t(r#"name.givenName sw "al""#));
        assert!(t("active eq true"));
        assert!(t(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "r&d""#
        ));
        assert!(t("title eq null") && !t("title pr") && t("userName pr"));
        assert!(t(
            r#"not (userName eq "bob") and (active eq false or name.givenName pr)"#
        ));
        assert!(t(r#"userName ne "bob""#) && !t(r#"userName ne "ALICE@example.com""#));
        assert!(matches(&parse_filter("active gt true").unwrap(), &user, never_exact).is_err());
    }

    #[test]
    fn patch_paths() {
        let p = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
        assert!(p.attr.is("emails"));
        assert_eq!(p.sub_after_filter.as_deref(), Some("value"));
        assert!(p.filter.is_some());
        let q = parse_patch_path("name.familyName").unwrap();
        assert_eq!(q.attr.sub.as_deref(), Some("familyName"));
        let u = parse_patch_path("urn:ietf:params:scim:schemas:core:2.0:User:userName").unwrap();
        assert!(u.attr.is("userName"));
        for bad in [
            "",
            "emails[",
            "emails[type eq \"work\"]x",
            "a.b[c pr]",
            "emails[type eq \"w\"].",
            "9a",
        ] {
            assert_eq!(
                parse_patch_path(bad).unwrap_err().scim_type(),
                "invalidPath",
                "{bad}"
            );
        }
    }
}

/// Does user `u` match `f`? The reference semantics every store must follow: `f` is evaluated
/// over the user's SCIM representation (case-insensitive names; `id`, `externalId` and
/// `meta.version` compare case-exactly, everything else case-insensitively). An invalid
/// comparison counts as no match (the service refuses such filters before querying).
pub fn user_matches(f: &Filter, u: &crate::store::UserRecord) -> bool {
    matches(
        f,
        &super::model::user_json(u, "", &[]),
        super::model::user_case_exact,
    )
    .unwrap_or(false)
}

/// Does group `g` match `f`? As [`user_matches`], over the group's representation.
pub fn group_matches(f: &Filter, g: &crate::store::GroupRecord) -> bool {
    matches(
        f,
        &super::model::group_json(g, ""),
        super::model::group_case_exact,
    )
    .unwrap_or(false)
}

/// A value to sort by.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
pub(crate) enum SortKey {
    Bool(bool),
    Num(f64),
    Str(String),
}

/// The sort key of `resource` for `path`: the attribute's value (for a multi-valued attribute,
/// the primary value, else the first); `None` when it has none.
pub(crate) fn sort_key(
    resource: &Value,
    path: &AttrPath,
    case_exact: CaseExact,
) -> Option<SortKey> {
    let values = resolve(resource, path);
    let pick = values
        .iter()
        .find(|v| v.get("primary").and_then(Value::as_bool) == Some(true))
        .or(values.first())?;
    let v = match pick {
        Value::Object(_) => find_key(pick, "value")?,
        v => v,
    };
    Some(match v {
        Value::String(s) if case_exact(&path.dotted_lower()) => SortKey::Str(s.clone()),
        Value::String(s) => SortKey::Str(s.to_lowercase()),
        Value::Number(n) => SortKey::Num(n.as_f64()?),
        Value::Bool(b) => SortKey::Bool(*b),
        _ => return None,
    })
}

/// Sorts `items` by the keys `key` gives (resources without a value last when ascending, first
/// when descending; ties keep their previous order).
pub(crate) fn sort_by_key<T>(
    items: Vec<T>,
    descending: bool,
    key: impl Fn(&T) -> Option<SortKey>,
) -> Vec<T> {
    use std::cmp::Ordering;
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

/// Refuses filters the RFC says are invalid for the resource's attribute types: ordering
/// (`gt`, `ge`, `lt`, `le`) or substring operators on boolean attributes.
pub(crate) fn check_types(f: &Filter, is_boolean: fn(&str) -> bool) -> Result<(), ScimError> {
    match f {
        Filter::And(a, b) | Filter::Or(a, b) => {
            check_types(a, is_boolean)?;
            check_types(b, is_boolean)
        }
        Filter::Not(a) | Filter::ValuePath(_, a) => check_types(a, is_boolean),
        Filter::Present(_) => Ok(()),
        Filter::Compare(p, op, v) => {
            let boolean = is_boolean(&p.dotted_lower()) || matches!(v, CompValue::Bool(_));
            if boolean && !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(ScimError::invalid_filter(format!(
                    "{op:?} cannot compare the boolean attribute {}",
                    p.attr
                )));
            }
            Ok(())
        }
    }
}

/// The sort key of a user for `path` (see [`sort_key`]).
pub(crate) fn user_sort_key(u: &crate::store::UserRecord, path: &AttrPath) -> Option<SortKey> {
    sort_key(
        &super::model::user_json(u, "", &[]),
        path,
        super::model::user_case_exact,
    )
}

/// The sort key of a group for `path` (see [`sort_key`]).
pub(crate) fn group_sort_key(g: &crate::store::GroupRecord, path: &AttrPath) -> Option<SortKey> {
    sort_key(
        &super::model::group_json(g, ""),
        path,
        super::model::group_case_exact,
    )
}
