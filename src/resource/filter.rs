//! SCIM filters (RFC 7644 section 3.4.2.2) and PATCH paths (section 3.5.2): the syntax tree and a
//! parser for the full grammar, with positions in its errors.
//!
//! Precedence: `not` binds tighter than `and`, which binds tighter than `or`; parentheses group.
//! Attribute names and operators are case-insensitive. Inputs are bounded: at most
//! [`MAX_FILTER_LEN`] characters, [`MAX_DEPTH`] levels of nesting and [`MAX_LOGICAL_OPERATORS`]
//! `and`/`or` operators, so the tree (and the recursion that evaluates and drops it) stays shallow.

/// Why a filter or a PATCH path was refused; each maps to its SCIM `scimType`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The filter is not valid (`invalidFilter`).
    #[error("{0}")]
    InvalidFilter(String),
    /// The PATCH path is not valid (`invalidPath`).
    #[error("{0}")]
    InvalidPath(String),
}

impl FilterError {
    pub(crate) fn invalid_filter(detail: impl Into<String>) -> FilterError {
        FilterError::InvalidFilter(detail.into())
    }

    pub(crate) fn invalid_path(detail: impl Into<String>) -> FilterError {
        FilterError::InvalidPath(detail.into())
    }

    /// The SCIM `scimType`: `invalidFilter` or `invalidPath`.
    pub fn scim_type(&self) -> &'static str {
        match self {
            FilterError::InvalidFilter(_) => "invalidFilter",
            FilterError::InvalidPath(_) => "invalidPath",
        }
    }

    /// What was wrong, with its position.
    pub fn detail(&self) -> &str {
        match self {
            FilterError::InvalidFilter(d) | FilterError::InvalidPath(d) => d,
        }
    }
}

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

fn err(pos: usize, what: impl std::fmt::Display) -> FilterError {
    FilterError::invalid_filter(format!("{what} at position {pos}"))
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Result<Parser<'a>, FilterError> {
        if s.len() > MAX_FILTER_LEN {
            return Err(FilterError::invalid_filter(format!(
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

    fn operator(&mut self) -> Result<(), FilterError> {
        self.operators += 1;
        if self.operators > MAX_LOGICAL_OPERATORS {
            return Err(err(
                self.pos,
                format!("more than {MAX_LOGICAL_OPERATORS} and/or operators; split the query"),
            ));
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(self.pos, format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    fn filter(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and_term()?;
        while self.keyword("or") {
            self.operator()?;
            let right = self.and_term()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_term(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.factor()?;
        while self.keyword("and") {
            self.operator()?;
            let right = self.factor()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Filter, FilterError> {
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

    fn expect(&mut self, c: u8) -> Result<(), FilterError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(err(self.pos, format!("expected '{}'", c as char)))
        }
    }

    /// `[URN ":"] name ["." name]`
    fn attr_path(&mut self) -> Result<AttrPath, FilterError> {
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

    fn comp_value(&mut self) -> Result<CompValue, FilterError> {
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
pub fn parse_filter(s: &str) -> Result<Filter, FilterError> {
    let mut p = Parser::new(s)?;
    let f = p.filter()?;
    if !p.at_end() {
        return Err(err(p.pos, "unexpected text after the filter"));
    }
    Ok(f)
}

/// Parses a PATCH `path` (errors are `invalidPath`).
pub fn parse_patch_path(s: &str) -> Result<PatchPath, FilterError> {
    let to_path_error =
        |e: FilterError| FilterError::invalid_path(format!("invalid path {s:?}: {}", e.detail()));
    let mut p = Parser::new(s).map_err(to_path_error)?;
    let attr = p.attr_path().map_err(to_path_error)?;
    let mut filter = None;
    let mut sub_after_filter = None;
    if p.peek() == Some(b'[') {
        if attr.sub.is_some() {
            return Err(FilterError::invalid_path(format!(
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
                return Err(FilterError::invalid_path(format!(
                    "invalid path {s:?}: expected a sub-attribute after '.'"
                )));
            }
            p.pos += w.len();
            sub_after_filter = Some(w.to_owned());
        }
    }
    if !p.at_end() {
        return Err(FilterError::invalid_path(format!(
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

impl Filter {
    /// Whether the filter reads a user's `groups` (a store then needs the memberships).
    pub fn mentions_groups(&self) -> bool {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => a.mentions_groups() || b.mentions_groups(),
            Filter::Not(a) => a.mentions_groups(),
            Filter::ValuePath(p, _) | Filter::Present(p) | Filter::Compare(p, _, _) => {
                p.attr.eq_ignore_ascii_case("groups")
            }
        }
    }

    /// How many comparisons the filter makes per resource (its leaves): the unit of scan work.
    pub fn terms(&self) -> usize {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => a.terms() + b.terms(),
            Filter::Not(a) => a.terms(),
            Filter::ValuePath(_, f) => 1 + f.terms(),
            Filter::Present(_) | Filter::Compare(..) => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn logical_operators_are_bounded() {
        let most = MAX_LOGICAL_OPERATORS;
        assert!(parse_filter(&("a pr or ".repeat(most) + "a pr")).is_ok());
        for over in [
            "a pr or ".repeat(most + 1) + "a pr",
            "a pr and ".repeat(most / 2) + &"a pr or ".repeat(most / 2 + 1) + "a pr",
        ] {
            let e = parse_filter(&over).unwrap_err();
            assert_eq!(e.scim_type(), "invalidFilter");
            assert!(e.detail().contains("and/or operators"), "{}", e.detail());
        }
    }
}
