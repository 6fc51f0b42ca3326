//! Escaping text and attribute values as canonical XML writes them.

/// Appends `s` with the bytes `table` marks replaced; clean runs are copied in one piece.
fn escape_with(
    out: &mut Vec<u8>,
    s: &str,
    table: &[u8; 256],
    replacement: fn(u8) -> &'static [u8],
) {
    let b = s.as_bytes();
    let mut start = 0;
    while let Some(off) = b[start..].iter().position(|&c| table[c as usize] != 0) {
        let i = start + off;
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(replacement(b[i]));
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
}

/// A byte table marking the bytes of `special`.
pub(super) const fn table(special: &[u8]) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = 1;
        i += 1;
    }
    t
}

static TEXT_SPECIAL: [u8; 256] = table(b"&<>\r");
static ATTR_SPECIAL: [u8; 256] = table(b"&<\"\t\n\r");

/// Strings at least this long are escaped by vectorized searches, shorter ones through the
/// table (a search's setup costs more than a short string's bytes).
const LONG_TEXT: usize = 64;

/// Appends `s` with the bytes `a`, `b`, `c` replaced, when it holds none of the other special
/// bytes `others` (checked first, by a vectorized search): the clean runs between them are found
/// by a vectorized search too. `false` (nothing appended) when one of `others` is in `s`.
fn escape_three(
    out: &mut Vec<u8>,
    s: &[u8],
    (a, b, c): (u8, u8, u8),
    others: &[u8],
    replacement: fn(u8) -> &'static [u8],
) -> bool {
    let clean = match others {
        [] => true,
        [x] => memchr::memchr(*x, s).is_none(),
        [x, y] => memchr::memchr2(*x, *y, s).is_none(),
        [x, y, z] => memchr::memchr3(*x, *y, *z, s).is_none(),
        _ => false,
    };
    if !clean {
        return false;
    }
    let mut start = 0;
    for i in memchr::memchr3_iter(a, b, c, s) {
        out.extend_from_slice(s.get(start..i).unwrap_or_default());
        out.extend_from_slice(replacement(s[i]));
        start = i + 1;
    }
    out.extend_from_slice(s.get(start..).unwrap_or_default());
    true
}

/// Appends `s` escaped as canonical XML text content.
pub(crate) fn escape_text(out: &mut Vec<u8>, s: &str) {
    // Long text (a certificate, a signature value) by vectorized searches: `\r` is only ever
    // in decoded text, so it is looked for once and the runs are split at `&`, `<` and `>`.
    if s.len() >= LONG_TEXT
        && escape_three(
            out,
            s.as_bytes(),
            (b'&', b'<', b'>'),
            b"\r",
            text_replacement,
        )
    {
        return;
    }
    escape_with(out, s, &TEXT_SPECIAL, text_replacement)
}

fn text_replacement(c: u8) -> &'static [u8] {
    match c {
        b'&' => b"&amp;",
        b'<' => b"&lt;",
        b'>' => b"&gt;",
        _ => b"&#xD;",
    }
}

/// Appends `s` escaped as a canonical XML attribute value (inside double quotes).
pub(crate) fn escape_attribute(out: &mut Vec<u8>, s: &str) {
    // A long value by vectorized searches: tabs, line feeds and carriage returns are only in
    // values written with character references, looked for once.
    if s.len() >= LONG_TEXT
        && escape_three(
            out,
            s.as_bytes(),
            (b'&', b'<', b'"'),
            b"\t\n\r",
            attribute_replacement,
        )
    {
        return;
    }
    escape_with(out, s, &ATTR_SPECIAL, attribute_replacement)
}

fn attribute_replacement(c: u8) -> &'static [u8] {
    match c {
        b'&' => b"&amp;",
        b'<' => b"&lt;",
        b'"' => b"&quot;",
        b'\t' => b"&#x9;",
        b'\n' => b"&#xA;",
        _ => b"&#xD;",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        let mut o = Vec::new();
        escape_text(&mut o, "a&b<c>d\re\"f\tg\n");
        assert_eq!(o, b"a&amp;b&lt;c&gt;d&#xD;e\"f\tg\n");
        o.clear();
        escape_attribute(&mut o, "a&b<c>d\re\"f\tg\n");
        assert_eq!(o, b"a&amp;b&lt;c>d&#xD;e&quot;f&#x9;g&#xA;");
    }

    /// The vectorized escapes of long strings write what the byte-by-byte one writes, for every
    /// special byte at every place around the switch length, alone, twice, and with the bytes
    /// that send it back to the byte-by-byte loop.
    #[test]
    fn long_strings_escape_as_byte_by_byte() {
        let by_table = |s: &str, table: &[u8; 256], r: fn(u8) -> &'static [u8]| {
            let mut out = Vec::new();
            escape_with(&mut out, s, table, r);
            out
        };
        let mut cases = 0;
        for len in [LONG_TEXT - 1, LONG_TEXT, LONG_TEXT + 1, 200] {
            for special in ["&", "<", ">", "\"", "\t", "\n", "\r", "'", "é"] {
                for at in (0..len).step_by(7).chain([len - 1]) {
                    let mut s: String = (0..len)
                        .map(|i| char::from(b'a' + (i % 26) as u8))
                        .collect();
                    s.replace_range(at..at + 1, special);
                    let twice = format!("{s}{special}{s}");
                    for s in [s.as_str(), twice.as_str()] {
                        let mut text = Vec::new();
                        escape_text(&mut text, s);
                        assert_eq!(text, by_table(s, &TEXT_SPECIAL, text_replacement), "{s:?}");
                        let mut attr = Vec::new();
                        escape_attribute(&mut attr, s);
                        assert_eq!(
                            attr,
                            by_table(s, &ATTR_SPECIAL, attribute_replacement),
                            "{s:?}"
                        );
                        cases += 1;
                    }
                }
            }
        }
        assert!(cases > 1000, "{cases}");
    }
}
