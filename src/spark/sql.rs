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
/// property).
pub fn utrim(expr: &str) -> String {
    format!("regexp_replace({expr}, r'(?U)^\\s+|\\s+$', '')")
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
}
