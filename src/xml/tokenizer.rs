//! The tokenizer: markup and character data, as written, from a document already known to be
//! UTF-8 without forbidden characters.
//!
//! It only finds where each construct starts and ends and that it is closed; names, attribute
//! lists, references and the tree are checked by the builder. Comments are checked (no `--`
//! inside, none ending in `-`) and dropped. A document type declaration is refused where it
//! starts: nothing here can load or expand an entity.
//!
//! Every delimiter searched for is ASCII, so every slice is on a character boundary of the
//! source.

use crate::error::XmlError;

/// One construct of the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Token<'a> {
    /// `<?xml ...?>`: the text after `xml` (the pseudo-attributes).
    Decl(&'a str),
    /// `<?target data?>` (not `xml`): the target, and what follows the whitespace after it.
    Pi { target: &'a str, data: &'a str },
    /// A start tag or an empty-element tag: the text between `<` and `>` (or `/>`), and its
    /// name (up to the first whitespace).
    Start {
        content: &'a str,
        name: &'a str,
        empty: bool,
        /// Written exactly as the previous start tag.
        repeat: bool,
    },
    /// An end tag: its name (whitespace before `>` dropped).
    End(&'a str),
    /// Character data between markup and references, as written.
    Text(&'a str),
    /// The content of a CDATA section.
    CData(&'a str),
    /// `&name;` or `&#...;`: what is between `&` and `;`.
    Ref(&'a str),
}

/// Reads [`Token`]s from the start of `src`.
pub(super) struct Tokenizer<'a> {
    src: &'a str,
    pos: usize,
    /// The last start tag, from its `<` to just past its `>`: a tag written the same ends at
    /// the same distance (the scan for its end reads the same bytes), so it is compared rather
    /// than scanned (Okta repeats one `AttributeValue` tag for every value).
    last_tag: (usize, usize),
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// Where the text starting at `start` ends: at the next `<` or `&`. Most runs between tags are
/// short (a group name, an ID): a plain loop finds their end before a vectorized search starts.
fn text_end(b: &[u8], start: usize) -> usize {
    let head = &b[start..b.len().min(start + 32)];
    match head.iter().position(|&c| c == b'<' || c == b'&') {
        Some(n) => start + n,
        None => memchr::memchr2(b'<', b'&', &b[start + head.len()..])
            .map_or(b.len(), |n| start + head.len() + n),
    }
}

/// The index of `pat` (a short delimiter: `?>`, `-->`) in `b` at or after `from`. Its first byte
/// is searched, then the rest compared: most constructs are short, and a substring search costs
/// more to set up than that (half of a processing instruction's time). Each byte is passed once.
fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    let (&first, rest) = pat.split_first()?;
    let mut at = from;
    loop {
        let i = at + memchr::memchr(first, b.get(at..)?)?;
        if b.get(i + 1..)?.starts_with(rest) {
            return Some(i);
        }
        at = i + 1;
    }
}

fn syntax(offset: usize, message: &str) -> XmlError {
    XmlError::Syntax {
        offset,
        message: message.to_owned(),
    }
}

impl<'a> Tokenizer<'a> {
    pub(super) fn new(src: &'a str) -> Tokenizer<'a> {
        Tokenizer {
            src,
            pos: 0,
            last_tag: (0, 0),
        }
    }

    /// Where the next token starts (the end of the document after the last one).
    pub(super) fn position(&self) -> usize {
        self.pos
    }

    /// The next token and where it starts, `None` at the end of the document.
    // Inlined into the builder's loop: returned through memory, the token was read back before
    // it was all stored (a stalled load per token).
    #[inline(always)]
    pub(super) fn next_token(&mut self) -> Result<Option<(usize, Token<'a>)>, XmlError> {
        loop {
            let start = self.pos;
            let b = self.src.as_bytes();
            let Some(&c) = b.get(start) else {
                return Ok(None);
            };
            let token = match c {
                b'<' => match self.markup(start)? {
                    Some(t) => t,
                    // A comment: nothing to give.
                    None => continue,
                },
                b'&' => self.reference(start)?,
                _ => {
                    let end = text_end(b, start);
                    self.pos = end;
                    Token::Text(self.slice(start, end))
                }
            };
            return Ok(Some((start, token)));
        }
    }

    #[inline(always)]
    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.src.get(from..to).unwrap_or("")
    }

    /// The index of `pat` at or after `from`.
    fn find(&self, from: usize, pat: &[u8]) -> Option<usize> {
        find(self.src.as_bytes(), from, pat)
    }

    fn reference(&mut self, start: usize) -> Result<Token<'a>, XmlError> {
        let b = self.src.as_bytes();
        // A reference is a name (or a character number) and ';': it ends before any markup,
        // whitespace or another reference would start.
        let rest = &b[start + 1..];
        let n = rest
            .iter()
            .position(|&c| matches!(c, b';' | b'<' | b'&') || is_ws(c));
        match n.map(|n| (n, rest[n])) {
            Some((n, b';')) => {
                self.pos = start + 1 + n + 1;
                Ok(Token::Ref(self.slice(start + 1, start + 1 + n)))
            }
            _ => Err(syntax(
                start,
                "'&' must start a reference ending with ';' (write '&amp;' for a literal '&')",
            )),
        }
    }

    /// The construct starting with `<` at `start`; `None` for a comment.
    // Inlined, with the start tag's case: the token is otherwise returned through memory.
    #[inline(always)]
    fn markup(&mut self, start: usize) -> Result<Option<Token<'a>>, XmlError> {
        let b = self.src.as_bytes();
        match b.get(start + 1) {
            Some(b'/') => self.end_tag(start).map(Some),
            Some(b'?') => self.processing_instruction(start).map(Some),
            Some(b'!') => self.bang(start),
            Some(_) => self.start_tag(start).map(Some),
            None => Err(syntax(start, "unclosed markup at the end of the document")),
        }
    }

    // Always, as the start tag's case: one per element.
    #[inline(always)]
    fn end_tag(&mut self, start: usize) -> Result<Token<'a>, XmlError> {
        let b = self.src.as_bytes();
        let name_start = start + 2;
        // Names are short: a plain loop finds their end.
        let mut i = name_start;
        while i < b.len() && b[i] != b'>' && !is_ws(b[i]) {
            i += 1;
        }
        let name_end = i;
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        match b.get(i) {
            Some(b'>') => {}
            Some(_) => return Err(syntax(start, "an end tag holds only the element's name")),
            None => return Err(syntax(start, "unclosed end tag")),
        }
        self.pos = i + 1;
        Ok(Token::End(self.slice(name_start, name_end)))
    }

    // Out of the tokenizer's loop, which stays small for the tags.
    #[inline(never)]
    fn processing_instruction(&mut self, start: usize) -> Result<Token<'a>, XmlError> {
        let body = start + 2;
        let close = self
            .find(body, b"?>")
            .ok_or_else(|| syntax(start, "unclosed processing instruction"))?;
        self.pos = close + 2;
        let inner = &self.src.as_bytes()[body..close];
        let target_len = inner.iter().position(|&c| is_ws(c)).unwrap_or(inner.len());
        let target = self.slice(body, body + target_len);
        let data_start = body
            + target_len
            + inner[target_len..]
                .iter()
                .take_while(|&&c| is_ws(c))
                .count();
        if target == "xml" {
            return Ok(Token::Decl(self.slice(body + target_len, close)));
        }
        Ok(Token::Pi {
            target,
            data: self.slice(data_start, close),
        })
    }

    /// `<!--`, `<![CDATA[`, or a document type declaration (refused).
    // Out of the tokenizer's loop, which stays small for the tags.
    #[inline(never)]
    fn bang(&mut self, start: usize) -> Result<Option<Token<'a>>, XmlError> {
        let b = self.src.as_bytes();
        let rest = &b[start..];
        if rest.starts_with(b"<!--") {
            let body = start + 4;
            let close = self
                .find(body, b"-->")
                .ok_or_else(|| syntax(start, "unclosed comment"))?;
            let inner = &b[body..close];
            if find(inner, 0, b"--").is_some() || inner.last() == Some(&b'-') {
                return Err(syntax(start, "'--' is not allowed inside a comment"));
            }
            self.pos = close + 3;
            return Ok(None);
        }
        if rest.starts_with(b"<![CDATA[") {
            let body = start + 9;
            let close = self
                .find(body, b"]]>")
                .ok_or_else(|| syntax(start, "unclosed CDATA section"))?;
            self.pos = close + 3;
            return Ok(Some(Token::CData(self.slice(body, close))));
        }
        if rest.len() >= 9 && rest[2..9].eq_ignore_ascii_case(b"DOCTYPE") {
            return Err(XmlError::Doctype { offset: start });
        }
        Err(syntax(
            start,
            "'<!' starts only a comment or a CDATA section here",
        ))
    }

    #[inline(always)]
    fn start_tag(&mut self, start: usize) -> Result<Token<'a>, XmlError> {
        let b = self.src.as_bytes();
        let body = start + 1;
        let (ls, le) = self.last_tag;
        let repeat = le > ls
            && match (b.get(start..start + (le - ls)), b.get(ls..le)) {
                // A short tag (`<c/>`) is compared here; a call to `memcmp` costs more.
                (Some(x), Some(y)) if x.len() <= 16 => x.iter().zip(y).all(|(p, q)| p == q),
                (x, y) => x.is_some() && x == y,
            };
        let gt = if repeat {
            start + (le - ls) - 1
        } else {
            self.scan_start_tag(start)?
        };
        self.last_tag = (start, gt + 1);
        self.pos = gt + 1;
        let empty = gt > body && b[gt - 1] == b'/';
        let end = if empty { gt - 1 } else { gt };
        let inner = &b[body..end];
        let name_len = inner.iter().position(|&c| is_ws(c)).unwrap_or(inner.len());
        Ok(Token::Start {
            content: self.slice(body, end),
            name: self.slice(body, body + name_len),
            empty,
            repeat,
        })
    }

    /// The index of the `>` that ends the start tag at `start`: the first outside a quoted
    /// value.
    fn scan_start_tag(&self, start: usize) -> Result<usize, XmlError> {
        let b = self.src.as_bytes();
        let mut at = start + 1;
        loop {
            let Some(n) = memchr::memchr3(b'>', b'"', b'\'', &b[at..]) else {
                return Err(syntax(start, "unclosed start tag"));
            };
            let i = at + n;
            match b[i] {
                b'>' => return Ok(i),
                quote => {
                    let close = memchr::memchr(quote, &b[i + 1..])
                        .ok_or_else(|| syntax(i, "unterminated attribute value"))?;
                    at = i + 1 + close + 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Result<Vec<(usize, Token<'_>)>, XmlError> {
        let mut t = Tokenizer::new(s);
        let mut v = Vec::new();
        while let Some(x) = t.next_token()? {
            v.push(x);
        }
        Ok(v)
    }

    #[test]
    fn finds_each_construct() {
        let s = r#"<?xml version="1.0"?><!-- c --><a b='>' c=">'">t&amp;u<![CDATA[<x>]]><?p  d ?></a ><e/>"#;
        let t: Vec<Token<'_>> = tokens(s).unwrap().into_iter().map(|x| x.1).collect();
        assert_eq!(
            t,
            [
                Token::Decl(r#" version="1.0""#),
                Token::Start {
                    content: r#"a b='>' c=">'""#,
                    name: "a",
                    empty: false,
                    repeat: false
                },
                Token::Text("t"),
                Token::Ref("amp"),
                Token::Text("u"),
                Token::CData("<x>"),
                Token::Pi {
                    target: "p",
                    data: "d "
                },
                Token::End("a"),
                Token::Start {
                    content: "e",
                    name: "e",
                    empty: true,
                    repeat: false
                },
            ]
        );
    }

    #[test]
    fn refuses_what_is_not_closed_or_not_allowed() {
        for bad in [
            "<a",
            "<a b=\"1>",
            "</a",
            "</a b>",
            "<!-- a -- b -->",
            "<!-- a --->",
            "<!-- a",
            "<![CDATA[ a",
            "<?p a",
            "<!ELEMENT a>",
            "a & b",
            "a &amp b",
            "a &amp<b/>;",
            "<",
        ] {
            assert!(tokens(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            tokens("<!DOCTYPE a [<!ENTITY x 'y'>]><a/>"),
            Err(XmlError::Doctype { offset: 0 })
        ));
        assert!(matches!(
            tokens("<a/><!doctype a>"),
            Err(XmlError::Doctype { offset: 4 })
        ));
    }
}
