//! Escaping of caller text for HTML and SVG (which share XML's rules for text and attributes).

/// Escapes `text` for use both as element content and inside a double- or single-quoted
/// attribute. Control characters that XML 1.0 forbids are replaced by a space, so that a
/// chart stays well-formed XML when it is saved on its own.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to at most `max` characters, with an ellipsis when it was cut. Counts chars, not
/// bytes, so it never splits a code point.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    let max = max.max(2);
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// An identifier safe for `id` and `href="#…"`: ASCII letters, digits, `-` and `_`; other
/// characters become `-`. Empty input becomes `fallback`.
pub(crate) fn slug(text: &str, fallback: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    if out.is_empty() {
        fallback.to_string()
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        // An id may start with a digit in HTML5, but a CSS selector for it may not; keep both working.
        format!("s-{out}")
    } else {
        out.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn replaces_control_characters() {
        assert_eq!(escape("a\u{0}b\u{1b}c\nd"), "a b c\nd");
    }

    #[test]
    fn truncates_by_chars() {
        assert_eq!(truncate("überweisung", 5), "über…");
        assert_eq!(truncate("card", 5), "card");
        assert_eq!(truncate("", 5), "");
    }

    #[test]
    fn slugs_are_safe() {
        assert_eq!(slug("CSAT drivers", "x"), "CSAT-drivers");
        assert_eq!(slug("\"><script>", "x"), "script");
        assert_eq!(slug("  ", "section-1"), "section-1");
        assert_eq!(slug("2026 drift", "x"), "s-2026-drift");
    }
}
