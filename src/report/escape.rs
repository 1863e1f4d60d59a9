//! Escaping of input data for HTML, XML and JSON embedded in a `<script>` element.

/// Escapes text for HTML element content and quoted attribute values.
pub fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Escapes text for XML element content and attribute values, dropping characters XML 1.0 cannot
/// carry at all (control characters other than tab, newline and carriage return).
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Makes JSON safe to place inside `<script type="application/json">`: `<`, `>` and `&` become
/// `\u003c`, `\u003e` and `\u0026` (still the same JSON value), so no `</script>` or `<!--` can
/// appear. U+2028 and U+2029 are escaped as well.
pub fn json_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    // the text between escapes is copied in one piece; every escaped character starts at a
    // byte that begins a character (ASCII, or 0xE2 0x80 0xA8/0xA9 for U+2028/U+2029)
    let bytes = json.as_bytes();
    let mut copied_up_to = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape = match byte {
            b'<' => "\\u003c",
            b'>' => "\\u003e",
            b'&' => "\\u0026",
            0xE2 if bytes.get(at + 1) == Some(&0x80) => match bytes.get(at + 2) {
                Some(0xA8) => "\\u2028",
                Some(0xA9) => "\\u2029",
                _ => continue,
            },
            _ => continue,
        };
        out.push_str(&json[copied_up_to..at]);
        out.push_str(escape);
        copied_up_to = at + if byte == 0xE2 { 3 } else { 1 };
    }
    out.push_str(&json[copied_up_to..]);
    out
}

#[cfg(test)]
mod tests {
    use super::json_for_script;

    #[test]
    fn script_json_escapes_markup_and_line_separators_and_keeps_other_text() {
        let json = "[\"</script><!-- & \u{2028}\u{2029}\",\"é € … Ω\"]";
        assert_eq!(
            json_for_script(json),
            "[\"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028\\u2029\",\"é € … Ω\"]"
        );
        assert_eq!(json_for_script("plain"), "plain");
        assert_eq!(json_for_script("ends with \u{2029}"), "ends with \\u2029");
    }
}
