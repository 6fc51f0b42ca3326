//! The attribute list of a start tag, as written.

/// Attributes of a start tag, as written: `(name, raw value)` pairs, each preceded by whitespace,
/// `name = "value"` or `name = 'value'`. Errors carry the offset within the scanned text.
pub(super) struct AttrScanner<'a> {
    pub(super) s: &'a str,
    pub(super) pos: usize,
}

impl<'a> AttrScanner<'a> {
    #[allow(clippy::type_complexity)]
    pub(super) fn next(&mut self) -> Result<Option<(&'a str, &'a str)>, (usize, &'static str)> {
        let b = self.s.as_bytes();
        let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
        let start = self.pos;
        while self.pos < b.len() && ws(b[self.pos]) {
            self.pos += 1;
        }
        if self.pos == b.len() {
            return Ok(None);
        }
        if self.pos == start {
            return Err((self.pos, "attributes must be separated by whitespace"));
        }
        let name_start = self.pos;
        while self.pos < b.len() && !ws(b[self.pos]) && b[self.pos] != b'=' {
            self.pos += 1;
        }
        let name = &self.s[name_start..self.pos];
        while self.pos < b.len() && ws(b[self.pos]) {
            self.pos += 1;
        }
        if b.get(self.pos) != Some(&b'=') {
            return Err((self.pos, "expected '=' after an attribute name"));
        }
        self.pos += 1;
        while self.pos < b.len() && ws(b[self.pos]) {
            self.pos += 1;
        }
        let quote = match b.get(self.pos) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return Err((self.pos, "an attribute value must be quoted")),
        };
        let value_start = self.pos + 1;
        // Most values are short (`xs:string`, an ID): a plain loop finds their end before a
        // vectorized search would have started.
        let rest = &b[value_start..];
        let head = &rest[..rest.len().min(16)];
        let len = match head.iter().position(|&c| c == quote) {
            Some(n) => n,
            None => {
                memchr::memchr(quote, rest).ok_or((self.pos, "unterminated attribute value"))?
            }
        };
        self.pos = value_start + len + 1;
        Ok(Some((name, &self.s[value_start..value_start + len])))
    }
}
