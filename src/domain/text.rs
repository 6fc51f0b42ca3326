//! Characters no stored text may hold: they are invisible or change how the text around them is
//! displayed, so two values that look the same could differ (or one could hide what it is).

/// Whether `c` is refused in every string the crate stores or compares: control characters
/// (C0, DEL, C1: a NUL, a newline), bidirectional embeddings, overrides, isolates and marks
/// (U+202E turns `moc.elpmaxe` into what looks like `example.com`), zero-width characters, word
/// joiners, the byte-order mark, and the line and paragraph separators.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
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
            '\0', '\n', '\r', '\t', '\u{7f}', '\u{85}', '\u{200B}', '\u{200D}', '\u{200E}',
            '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{FEFF}', '\u{2028}', '\u{061C}',
        ] {
            assert!(is_forbidden_char(c), "{:?}", c);
        }
        for c in ['a', 'é', '例', ' ', '-', '\u{00A0}', '\u{2010}', '😀'] {
            assert!(!is_forbidden_char(c), "{:?}", c);
        }
        assert_eq!(forbidden_char("rtl\u{202e}@example.com"), Some('\u{202e}'));
        assert_eq!(forbidden_char("plain"), None);
    }
}
