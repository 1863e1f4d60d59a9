//! Spark SQL text: literals, identifiers and the expressions that mirror small Rust functions
//! of the Polars engine exactly (`str::trim`, ASCII case folding).

/// A string literal: `'…'` with `\` and `'` escaped as Spark SQL's parser expects.
pub fn lit(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// An identifier in back-quotes (a back-quote inside doubled).
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `str::trim`: Unicode `White_Space` at both ends (Java's `\s` under `(?U)` is the same
/// property). The regex runs only on a value whose first or last character is white space
/// (a lookup in the set of them); any other value is its own trim, and most values are.
pub fn utrim(expr: &str) -> String {
    let spaces = white_space_list();
    format!(
        "CASE WHEN left({expr}, 1) IN ({spaces}) OR right({expr}, 1) IN ({spaces}) \
         THEN regexp_replace({expr}, r'(?U)^\\s+|\\s+$', '') ELSE {expr} END"
    )
}

/// Every character Rust's `char::is_whitespace` (the `White_Space` property `str::trim` uses)
/// holds, as Spark SQL literals (`'\uXXXX'`, which the parser unescapes).
fn white_space_list() -> &'static str {
    static LIST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        white_space_chars()
            .map(|c| format!("'\\u{:04X}'", u32::from(c)))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

fn white_space_chars() -> impl Iterator<Item = char> {
    (0..=0xFFFF_u32)
        .filter_map(char::from_u32)
        .filter(|c| c.is_whitespace())
}

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// `to_ascii_uppercase`: only `a`-`z` change (Spark's `upper` would change other letters too).
pub fn ascii_upper(expr: &str) -> String {
    format!("translate({expr}, '{LOWER}', '{UPPER}')")
}

/// `to_ascii_lowercase`.
pub fn ascii_lower(expr: &str) -> String {
    format!("translate({expr}, '{UPPER}', '{LOWER}')")
}

/// `expr IN (…)` over string literals; `false` for an empty list.
pub fn in_list<'a>(expr: &str, values: impl IntoIterator<Item = &'a str>) -> String {
    let list: Vec<String> = values.into_iter().map(lit).collect();
    if list.is_empty() {
        return "false".into();
    }
    format!("{expr} IN ({})", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_identifiers_are_escaped() {
        assert_eq!(lit("it's a \\ b"), r"'it\'s a \\ b'");
        assert_eq!(ident("we`ird"), "`we``ird`");
        assert_eq!(in_list("x", []), "false");
        assert_eq!(in_list("x", ["A", "B"]), "x IN ('A', 'B')");
    }

    #[test]
    fn the_trim_guard_lists_every_white_space_character() {
        // White_Space lies in the Basic Multilingual Plane: the guard's range misses none
        let beyond = (0x1_0000..=0x10_FFFF_u32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .count();
        assert_eq!(beyond, 0);
        let listed: Vec<char> = white_space_chars().collect();
        assert_eq!(listed.len(), 25, "{listed:?}");
        for c in [
            '\t', '\u{b}', ' ', '\u{85}', '\u{a0}', '\u{2007}', '\u{3000}',
        ] {
            assert!(listed.contains(&c), "{c:?}");
            assert!(white_space_list().contains(&format!("'\\u{:04X}'", u32::from(c))));
        }
        // zero-width space and the byte-order mark are not white space to str::trim
        assert!(!listed.contains(&'\u{200b}') && !listed.contains(&'\u{feff}'));
        let sql = utrim("x");
        assert!(
            sql.starts_with("CASE WHEN left(x, 1) IN ('\\u0009', "),
            "{sql}"
        );
        assert!(sql.contains("THEN regexp_replace(x, r'(?U)^\\s+|\\s+$', '') ELSE x END"));
    }
}
