//! Reading client JSON as SCIM says: attribute names are case-insensitive, and clients send
//! booleans as strings ("True") more often than the RFC would like.

use serde_json::{Map, Value};

use super::error::ScimError;

/// The value of `key` in `obj`, matched case-insensitively. Two keys that differ only in case are
/// refused: the client's intent is ambiguous.
pub(crate) fn get<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a Value>, ScimError> {
    let mut found = None;
    for (k, v) in obj {
        if k.eq_ignore_ascii_case(key) {
            if found.is_some() {
                return Err(ScimError::invalid_syntax(format!(
                    "the attribute {key:?} is given twice (names are case-insensitive)"
                )));
            }
            found = Some(v);
        }
    }
    Ok(found)
}

/// A string attribute; `null` and absence are `None`. Strings are bounded to 1024 characters
/// (SCIM strings here are names, ids and addresses) and hold no control, bidirectional-override
/// or invisible character ([`crate::is_forbidden_char`]).
pub(crate) fn string(
    obj: &Map<String, Value>,
    key: &str,
    attr: &str,
) -> Result<Option<String>, ScimError> {
    match get(obj, key)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            if s.chars().count() > 1024 {
                return Err(ScimError::invalid_value(format!(
                    "{attr} is longer than 1024 characters"
                )));
            }
            if let Some(c) = crate::domain::forbidden_char(s) {
                return Err(ScimError::invalid_value(format!(
                    "{attr} contains the invisible or control character U+{:04X}; remove it",
                    c as u32
                )));
            }
            Ok(Some(s.clone()))
        }
        Some(other) => Err(ScimError::invalid_value(format!(
            "{attr} must be a string, got {}",
            kind(other)
        ))),
    }
}

/// A boolean attribute, accepting `"true"`/`"false"` strings in any case (Microsoft Entra sends
/// `"True"` and `"False"`).
pub(crate) fn boolean(v: &Value, attr: &str) -> Result<bool, ScimError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(ScimError::invalid_value(format!(
            "{attr} must be a boolean, got {}",
            kind(other)
        ))),
    }
}

/// The JSON kind of a value, for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses a request body: at most `max` bytes (checked by the caller), UTF-8 JSON, an object.
pub(crate) fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ScimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax(
            "the request body is empty; a JSON object is expected",
        ));
    }
    // serde_json refuses nesting deeper than 128 levels, so hostile depth cannot overflow the stack.
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(ScimError::invalid_syntax(format!(
            "the request body must be a JSON object, got {}",
            kind(&other)
        ))),
        Err(e) => Err(ScimError::invalid_syntax(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn case_insensitive_and_tolerant() {
        let v = json!({"UserName": "a", "ACTIVE": "False"});
        let m = v.as_object().unwrap();
        assert_eq!(
            string(m, "userName", "userName").unwrap().as_deref(),
            Some("a")
        );
        assert!(!boolean(get(m, "active").unwrap().unwrap(), "active").unwrap());
        let dup = json!({"userName": "a", "username": "b"});
        assert!(get(dup.as_object().unwrap(), "USERNAME").is_err());
        assert!(boolean(&json!("yes"), "active").is_err());
        assert!(string(json!({"a": 1}).as_object().unwrap(), "a", "a").is_err());
        assert!(parse_object(b"[1]").is_err());
        assert!(parse_object(b"{").is_err());
        assert!(parse_object(b"  ").is_err());
        let deep = "[".repeat(100_000);
        assert!(parse_object(deep.as_bytes()).is_err());
    }
}
