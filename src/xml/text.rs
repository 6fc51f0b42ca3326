//! Character-level rules: line endings, legal characters, names, references and escaping.

use std::borrow::Cow;

mod escape;

use escape::table;
pub(crate) use escape::{escape_attribute, escape_text};

/// Normalizes line breaks in place as XML 1.0 section 2.11 requires: `\r\n` and a lone `\r`
/// both become `\n`. Character references such as `&#13;` are untouched (they are not literal).
pub(crate) fn normalize_line_endings(buf: &mut Vec<u8>) {
    let Some(first) = memchr::memchr(b'\r', buf) else {
        return;
    };
    // Runs between carriage returns are moved in one piece each.
    let mut w = first;
    let mut r = first;
    while r < buf.len() {
        // buf[r] is a carriage return.
        buf[w] = b'\n';
        w += 1;
        r += 1;
        if buf.get(r) == Some(&b'\n') {
            r += 1;
        }
        let next = memchr::memchr(b'\r', &buf[r..]).map_or(buf.len(), |k| r + k);
        buf.copy_within(r..next, w);
        w += next - r;
        r = next;
    }
    buf.truncate(w);
}

/// The offset of the first character that XML 1.0 does not allow anywhere in a document
/// (C0 controls other than tab, LF and CR, and U+FFFE / U+FFFF). Surrogates cannot occur in a
/// Rust `str`. (The parser reads it from [`scan_document`], with the counts it needs.)
#[cfg(test)]
pub(crate) fn first_illegal_char(s: &str) -> Option<usize> {
    scan_document(s).illegal
}

/// What one pass over a document's text finds: the first character XML 1.0 forbids, and the
/// number of `<` and `=` (the parser sizes its arenas from them).
pub(crate) struct TextScan {
    /// See [`first_illegal_char`].
    pub(crate) illegal: Option<usize>,
    /// `<` characters (0 when `illegal` is set).
    pub(crate) lt: usize,
    /// `=` characters (0 when `illegal` is set).
    pub(crate) eq: usize,
}

/// [`TextScan`] of `s`. Blocks of 240 bytes (a multiple of the vector width) are read with
/// byte-wide counters and a flag the compiler vectorizes; a block with a control character or
/// `0xEF` (the lead byte of U+FFFE and U+FFFF, and of other characters) is looked at closely.
pub(crate) fn scan_document(s: &str) -> TextScan {
    const BLOCK: usize = 240;
    let b = s.as_bytes();
    let (mut lt, mut eq) = (0usize, 0usize);
    for (k, block) in b.chunks(BLOCK).enumerate() {
        let (mut l, mut e, mut odd) = (0u8, 0u8, 0u8);
        for &c in block {
            l += u8::from(c == b'<');
            e += u8::from(c == b'=');
            let control = u8::from(c < 0x20)
                & u8::from(c != b'\t')
                & u8::from(c != b'\n')
                & u8::from(c != b'\r');
            odd |= control | u8::from(c == 0xEF);
        }
        if odd != 0 {
            let from = k * BLOCK;
            if let Some(i) = first_illegal_in(b, from, from + block.len()) {
                return TextScan {
                    illegal: Some(i),
                    lt: 0,
                    eq: 0,
                };
            }
        }
        lt += usize::from(l);
        eq += usize::from(e);
    }
    TextScan {
        illegal: None,
        lt,
        eq,
    }
}

fn first_illegal_in(b: &[u8], from: usize, to: usize) -> Option<usize> {
    (from..to).find(|&i| {
        let c = b[i];
        (c < 0x20 && c != b'\t' && c != b'\n' && c != b'\r')
            || (c == 0xEF
                && b.get(i + 1) == Some(&0xBF)
                && matches!(b.get(i + 2), Some(0xBE | 0xBF)))
    })
}

/// Is `c` a character XML 1.0 allows (after decoding a character reference)?
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && is_xml_char(c) && !c.is_whitespace())
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == '-' || c == '.'
}

/// Byte classes for names: 0 never in a name, 1 a name character, 2 also a start character,
/// 3 part of a non-ASCII character (checked character by character).
static NAME_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b >= 128 {
            3
        } else if b.is_ascii_alphabetic() || b == b'_' {
            2
        } else if b.is_ascii_digit() || b == b'-' || b == b'.' {
            1
        } else {
            0
        };
        c += 1;
    }
    t
};

/// Splits a QName into prefix and local part; `None` unless both are NCNames (a name with an
/// empty prefix such as `:x` is not a QName).
///
/// An ASCII name is checked in one pass through [`NAME_CLASS`] (names are short: a plain loop
/// beats a vectorized search); any other goes through [`is_ncname`] part by part.
pub(crate) fn split_qname(q: &str) -> Option<(&str, &str)> {
    let b = q.as_bytes();
    let mut colon = None;
    let mut ascii = true;
    for (i, &c) in b.iter().enumerate() {
        match NAME_CLASS[c as usize] {
            0 if c == b':' && colon.is_none() => colon = Some(i),
            0 => return None,
            3 => ascii = false,
            _ => {}
        }
    }
    let (p, l) = match colon {
        Some(i) => (&q[..i], &q[i + 1..]),
        None => ("", q),
    };
    let starts = |s: &str| {
        s.as_bytes()
            .first()
            .is_some_and(|&c| NAME_CLASS[c as usize] == 2)
    };
    let ok = if ascii {
        (colon.is_none() || starts(p)) && starts(l)
    } else {
        (colon.is_none() || is_ncname(p)) && is_ncname(l)
    };
    ok.then_some((p, l))
}

/// An NCName: a name without a colon. Non-ASCII letters are accepted broadly (XML allows most).
pub(crate) fn is_ncname(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    // The common case, all ASCII, in one pass through the table.
    let mut ok = NAME_CLASS[first as usize] == 2;
    for &c in &b[1..] {
        match NAME_CLASS[c as usize] {
            0 => return false,
            3 => ok = false,
            _ => {}
        }
    }
    if ok {
        return true;
    }
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if is_name_start(c)) && chars.all(is_name_char)
}

/// Resolves the name inside `&...;`: a predefined entity or a character reference.
/// Anything else is an undefined entity (there is no DTD, so nothing else can be defined).
pub(crate) fn resolve_reference(name: &str) -> Result<char, &'static str> {
    match name {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ => {
            let num = name.strip_prefix('#').ok_or("undefined entity")?;
            let (digits, radix) = match num.strip_prefix('x') {
                Some(hex) => (hex, 16),
                None => (num, 10),
            };
            if digits.is_empty() || digits.len() > 8 || !digits.chars().all(|c| c.is_digit(radix)) {
                return Err("malformed character reference");
            }
            let code =
                u32::from_str_radix(digits, radix).map_err(|_| "malformed character reference")?;
            match char::from_u32(code) {
                Some(c) if is_xml_char(c) => Ok(c),
                _ => Err("character reference to a character XML does not allow"),
            }
        }
    }
}

/// Decodes a raw attribute value as XML 1.0 section 3.3.3 requires for CDATA attributes: each
/// literal tab or line feed becomes a space (line endings are already normalized), then references
/// are decoded. Characters that came from references (`&#10;`) are kept as they are.
/// Returns the offset within `raw` of the first problem.
pub(crate) fn decode_attribute_value(raw: &str) -> Result<Cow<'_, str>, (usize, &'static str)> {
    // One pass decides: a clean value (the common case) is borrowed as is.
    if !may_have_attr_special(raw.as_bytes()) {
        return Ok(Cow::Borrowed(raw));
    }
    match raw.bytes().position(|c| ATTR_RAW_SPECIAL[c as usize] != 0) {
        None => return Ok(Cow::Borrowed(raw)),
        Some(_) => {
            if let Some(i) = raw.find('<') {
                return Err((i, "'<' is not allowed in an attribute value"));
            }
        }
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    let mut pos = 0;
    while let Some(i) = rest.find(['&', '\t', '\n']) {
        out.push_str(&rest[..i]);
        if rest.as_bytes()[i] == b'&' {
            let after = &rest[i + 1..];
            let end = after
                .find(';')
                .filter(|&e| e <= 10)
                .ok_or((pos + i, "'&' that does not start a reference"))?;
            let c = resolve_reference(&after[..end]).map_err(|m| (pos + i, m))?;
            out.push(c);
            pos += i + 2 + end;
            rest = &after[end + 1..];
        } else {
            out.push(' ');
            pos += i + 1;
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// Whether `b` may hold a byte that changes when an attribute value is decoded (`<`, `&`, tab,
/// line feed). Eight bytes at a time; never false when there is one (a true answer is checked
/// byte by byte).
fn may_have_attr_special(b: &[u8]) -> bool {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(LOW) & !x & HIGH;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        let w = u64::from_le_bytes(a);
        // Bytes below 0x0B (tab and line feed; other controls never reach here), '<', '&'.
        let below = w.wrapping_sub(LOW * 0x0B) & !w & HIGH;
        if below | zero_byte(w ^ (LOW * u64::from(b'<'))) | zero_byte(w ^ (LOW * u64::from(b'&')))
            != 0
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&c| ATTR_RAW_SPECIAL[c as usize] != 0)
}

static ATTR_RAW_SPECIAL: [u8; 256] = table(b"<&\t\n");

/// XML whitespace: space, tab, line feed, carriage return.
pub(crate) fn is_xml_whitespace(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// `a == b`, without calling `memcmp` for empty strings: an empty literal's pointer is dangling,
/// and glibc's AVX-512 `memcmp` reads it with a masked load whose suppressed fault costs
/// hundreds of cycles (measured here: 99 ns against 1.8 ns per comparison; a hostile document of 19 000
/// empty elements spent 43% of its validation there).
///
/// Strings of up to [`SHORT`] bytes (most names) are compared here, a byte at a time: a call
/// to `memcmp` for a one-byte name cost more than the rest of the end tag's check (8% of a
/// document of nested one-letter elements, measured).
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// [`same`] for bytes.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() <= SHORT {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    a.as_ptr() == b.as_ptr() || a == b
}

/// The length up to which [`same`] compares without calling `memcmp`.
const SHORT: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings() {
        let mut v = b"a\r\nb\rc\n\r\r\nd\r".to_vec();
        normalize_line_endings(&mut v);
        assert_eq!(v, b"a\nb\nc\n\n\nd\n");
        let mut same = b"no breaks".to_vec();
        normalize_line_endings(&mut same);
        assert_eq!(same, b"no breaks");
    }

    #[test]
    fn references() {
        assert_eq!(resolve_reference("lt"), Ok('<'));
        assert_eq!(resolve_reference("#x20AC"), Ok('€'));
        assert_eq!(resolve_reference("#13"), Ok('\r'));
        for bad in [
            "",
            "#",
            "#x",
            "#0",
            "#x1",
            "#xFFFE",
            "#xD800",
            "#x110000",
            "nbsp",
            "#-1",
            "#x+1",
            "#123456789",
        ] {
            assert!(resolve_reference(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn attribute_values() {
        assert!(matches!(
            decode_attribute_value("plain"),
            Ok(Cow::Borrowed("plain"))
        ));
        assert_eq!(decode_attribute_value("a\tb\nc").unwrap(), "a b c");
        assert_eq!(
            decode_attribute_value("a&#9;b&#xA;c&#xD;").unwrap(),
            "a\tb\nc\r"
        );
        assert_eq!(
            decode_attribute_value("&lt;&amp;&quot;&apos;&gt;").unwrap(),
            "<&\"'>"
        );
        assert_eq!(decode_attribute_value("x<y").unwrap_err().0, 1);
        assert_eq!(decode_attribute_value("ab&c").unwrap_err().0, 2);
        assert_eq!(decode_attribute_value("ab&bogus;").unwrap_err().0, 2);
    }

    #[test]
    fn illegal_chars() {
        assert_eq!(first_illegal_char("ok\t\n\r é 中"), None);
        assert_eq!(first_illegal_char("a\u{1}"), Some(1));
        assert_eq!(first_illegal_char("ab\u{FFFE}"), Some(2));
        assert_eq!(first_illegal_char("\u{FFFD}"), None);
        assert!(is_ncname("saml2p") && is_ncname("_a.b-c") && is_ncname("é"));
        assert!(!is_ncname("") && !is_ncname("1a") && !is_ncname("a:b") && !is_ncname("a b"));
    }

    /// The one-pass split agrees with splitting at the first colon and checking both parts,
    /// over every string of up to four characters from an alphabet of each class.
    #[test]
    fn split_qname_agrees_with_part_by_part() {
        fn reference(q: &str) -> Option<(&str, &str)> {
            match q.find(':') {
                Some(i) => {
                    let (p, l) = (&q[..i], &q[i + 1..]);
                    (is_ncname(p) && is_ncname(l)).then_some((p, l))
                }
                None => is_ncname(q).then_some(("", q)),
            }
        }
        let alphabet = [
            "a", "Z", "_", "1", "-", ".", ":", " ", "é", "\u{B7}", "中", "\u{2000}", "<",
        ];
        let mut words = vec![String::new()];
        let mut level = vec![String::new()];
        for _ in 0..4 {
            level = level
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            words.extend(level.iter().cloned());
        }
        assert!(words.len() > 30_000);
        for w in &words {
            assert_eq!(split_qname(w), reference(w), "{w:?}");
        }
        assert_eq!(split_qname("saml2p:Response"), Some(("saml2p", "Response")));
        assert_eq!(split_qname("a:b:c"), None);
        assert_eq!(split_qname(":a"), None);
        assert_eq!(split_qname("a:"), None);
    }

    /// Every position of the word-at-a-time scan: each illegal character is found where it is,
    /// after any run of legal ones (tabs and line feeds too, which make a word suspect).
    #[test]
    fn scan_counts_markup_across_blocks() {
        let doc: String = (0..700)
            .map(|i| match i % 7 {
                0 => "<a b=\"1\">",
                1 => "\u{FF71}",
                2 => "=",
                3 => "\n",
                _ => "x",
            })
            .collect();
        let scan = scan_document(&doc);
        assert_eq!(scan.illegal, None);
        assert_eq!(scan.lt, doc.matches('<').count());
        assert_eq!(scan.eq, doc.matches('=').count());
    }

    #[test]
    fn illegal_chars_at_every_offset() {
        for bad in ["\u{0}", "\u{1F}", "\u{FFFE}", "\u{FFFF}"] {
            for len in 0..80 {
                let filler: String = (0..len).map(|i| ['a', '\n', 'é', '\t'][i % 4]).collect();
                let s = format!("{filler}{bad}zz");
                assert_eq!(
                    first_illegal_char(&s),
                    Some(filler.len()),
                    "{bad:?} after {len}"
                );
                assert_eq!(first_illegal_char(&filler), None);
            }
        }
        // U+FFFD and U+EFBF (lead byte 0xEF, legal) stay legal at every offset.
        for len in 0..80 {
            let s = format!("{}\u{FFFD}\u{EFBF}\u{FEFF}", "x".repeat(len));
            assert_eq!(first_illegal_char(&s), None);
        }
    }
}
