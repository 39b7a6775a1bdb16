//! Untrusted text made safe to print.
//!
//! Tag values, input keys and values, and AWS messages come from outside. Printed raw, an
//! escape sequence would recolour or rewrite the terminal, and a newline would forge a line
//! of the report (`account skipped: …` followed by a made-up `status: succeeded`). [`escape`]
//! is the one function every renderer applies to such text.

use std::borrow::Cow;

/// `s` with every control character (C0, DEL, C1: ESC, NUL, newline, …) and every Unicode
/// bidirectional control written as a Rust-style escape (`\n`, `\u{1b}`, `\u{202e}`), so it
/// prints on one line and as what it is. A string without them is returned as it is.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            escape("eu-west-1\u{1b}[2J\nstatus: succeeded\0"),
            "eu-west-1\\u{1b}[2J\\nstatus: succeeded\\u{0}"
        );
        assert_eq!(escape("a\tb\r\u{7f}\u{9b}"), "a\\tb\\r\\u{7f}\\u{9b}");
        assert_eq!(escape("abc\u{202e}def"), "abc\\u{202e}def");
        assert!(matches!(
            escape("büro zeiten: 08:00"),
            Cow::Borrowed("büro zeiten: 08:00")
        ));
    }
}
