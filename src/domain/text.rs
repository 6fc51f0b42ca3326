//! Characters no stored text may hold: they are invisible or change how the text around them is
//! displayed, so two values that look the same could differ (or one could hide what it is).

/// Whether `c` is refused in every string the crate stores or compares: control characters
/// (C0, DEL, C1: a NUL, a newline), bidirectional embeddings, overrides, isolates and marks
/// (U+202E turns `moc.elpmaxe` into what looks like `example.com`), the zero-width space, word
/// joiners and invisible operators, the byte-order mark, and the line and paragraph separators.
/// (The zero-width joiner and non-joiner stay allowed in names: see [`is_invisible_char`].)
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'
                | '\u{200E}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Whether `c` is refused in identifiers (userName, email addresses) on top of
/// [`is_forbidden_char`]: every other Unicode default-ignorable code point (soft hyphen, joiners,
/// variation selectors, Hangul fillers, tag characters, ...), which display as nothing, so
/// `admin\u{AD}@example.com` would look like `admin@example.com`. Display names may hold them
/// (ZWNJ in Persian, ZWJ and variation selectors in emoji).
pub fn is_invisible_char(c: char) -> bool {
    is_forbidden_char(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// The first forbidden character of `s` (see [`is_forbidden_char`]), if any.
pub fn forbidden_char(s: &str) -> Option<char> {
    s.chars().find(|&c| is_forbidden_char(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_invisible_and_reordering_characters() {
        for c in [
            '\0', '\n', '\r', '\t', '\u{7f}', '\u{85}', '\u{200B}', '\u{200E}', '\u{202A}',
            '\u{202E}', '\u{2066}', '\u{2069}', '\u{FEFF}', '\u{2028}', '\u{061C}',
        ] {
            assert!(is_forbidden_char(c), "{:?}", c);
        }
        for c in ['a', 'é', '例', ' ', '-', '\u{00A0}', '\u{2010}', '😀'] {
            assert!(!is_forbidden_char(c), "{:?}", c);
        }
        assert_eq!(forbidden_char("rtl\u{202e}@example.com"), Some('\u{202e}'));
        assert_eq!(forbidden_char("plain"), None);
        // Joiners and variation selectors are fine in names, not in identifiers.
        for c in [
            '\u{200C}',
            '\u{200D}',
            '\u{FE0F}',
            '\u{00AD}',
            '\u{E0041}',
            '\u{3164}',
        ] {
            assert!(!is_forbidden_char(c) && is_invisible_char(c), "{:?}", c);
        }
        assert!(is_invisible_char('\u{202E}') && !is_invisible_char('a'));
    }
}
