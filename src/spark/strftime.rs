//! A profile's `timestamp_format` (a chrono `strftime` pattern) as one Spark SQL expression that
//! reads exactly what `src/ingest/timestamp.rs` (`parse_pattern`, chrono 0.4's parser) reads.
//!
//! The pattern is cut into chrono's own items (`StrftimeItems`), and each item becomes a piece
//! of one Java regular expression that scans as chrono scans: numbers take as many digits as
//! their width allows and never give any back (possessive quantifiers: chrono does not
//! backtrack), whitespace before a number or an offset is skipped (`(?U)\s`, Rust's
//! `char::is_whitespace`), a space in the pattern matches any run of whitespace, literal text
//! matches exactly, and the text must be used up (`^…$`). The captured fields are then checked
//! as chrono's `Parsed` checks them (ranges, the leap second `60`, a two-digit year, 12-hour
//! times, the offset below a day) and made into a time by `try_make_timestamp_ntz`.
//!
//! Only specifiers whose reading is exact here are taken; any other is refused when the run
//! starts, naming it (weekday and week numbers, day of the year, ISO years, centuries, Unix
//! seconds, `%+`, fractions without a dot, `%#z`, a field written twice, a time without an
//! hour and a minute, a fraction without seconds).

use chrono::format::{Fixed, Item, Numeric, StrftimeItems};

/// A pattern made into SQL: `expr` is the time in UTC microseconds (BIGINT) of the trimmed
/// text `t_timestamp`, null where chrono would not read it.
#[derive(Debug, Clone)]
pub struct PatternSql {
    pub expr: String,
}

/// The fields a pattern sets (chrono's `Parsed` refuses a field set twice with two values;
/// a pattern setting one twice is refused here).
#[derive(Debug, Default)]
struct Groups {
    /// `%Y`: sign, digits after a sign, digits without one.
    year: Option<(usize, usize, usize)>,
    /// `%y`.
    year_mod_100: Option<usize>,
    /// a number, or a name (`%b`, `%B`: the name's group).
    month: Option<(usize, bool)>,
    day: Option<usize>,
    hour: Option<usize>,
    hour12: Option<usize>,
    ampm: Option<usize>,
    minute: Option<usize>,
    second: Option<usize>,
    /// `%f` (nanoseconds as written) or a fraction after a dot (`%.f`, `%.3f`...).
    nanos: Option<(usize, bool)>,
    /// sign, hours, minutes.
    offset: Option<(usize, usize, usize)>,
}

/// One specifier of the pattern (`%d`, `%.3f`, `%:z`) or a run of text.
fn tokens(pattern: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = pattern.as_bytes();
    let (mut i, mut start) = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        if start < i {
            out.push(&pattern[start..i]);
        }
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'-' | b'0' | b'_' | b'#')) {
            j += 1;
        }
        match bytes.get(j) {
            Some(b'.') => {
                j += 1;
                if matches!(bytes.get(j), Some(b'3' | b'6' | b'9')) {
                    j += 1;
                }
                j += 1;
            }
            Some(b':') => {
                while bytes.get(j) == Some(&b':') {
                    j += 1;
                }
                j += 1;
            }
            Some(b'3' | b'6' | b'9') => j += 2,
            Some(_) => {
                // one character (which may be more than one byte)
                let c = pattern[j..].chars().next().map_or(1, char::len_utf8);
                j += c;
            }
            None => {}
        }
        let j = j.min(bytes.len());
        out.push(&pattern[i..j]);
        i = j;
        start = j;
    }
    if start < bytes.len() {
        out.push(&pattern[start..]);
    }
    out
}

/// A literal for a Java regular expression: letters and digits as they are, every other
/// character as `\x{…}`.
fn literal(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("\\x{{{:X}}}", c as u32)
            }
        })
        .collect()
}

/// An ASCII letter either case, as chrono compares names (`byte | 32`).
fn letters(word: &str) -> String {
    word.chars()
        .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase()))
        .collect()
}

const MONTHS: [(&str, &str); 12] = [
    ("jan", "uary"),
    ("feb", "ruary"),
    ("mar", "ch"),
    ("apr", "il"),
    ("may", ""),
    ("jun", "e"),
    ("jul", "y"),
    ("aug", "ust"),
    ("sep", "tember"),
    ("oct", "ober"),
    ("nov", "ember"),
    ("dec", "ember"),
];

struct Builder {
    regex: String,
    groups: usize,
    fields: Groups,
}

impl Builder {
    fn group(&mut self, body: &str) -> usize {
        self.groups += 1;
        self.regex.push('(');
        self.regex.push_str(body);
        self.regex.push(')');
        self.groups
    }

    /// A number as chrono scans it: whitespace skipped, 1 to `width` digits.
    fn number(&mut self, width: usize) -> usize {
        self.regex.push_str(r"\s*+");
        self.group(&format!("[0-9]{{1,{width}}}+"))
    }
}

/// Sets a field once; a second time is refused.
fn once<T>(slot: &mut Option<T>, value: T, spec: &str) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!(
            "`{spec}` sets a field the pattern already sets (chrono then requires both values to agree), which --engine spark does not read"
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// The item of a specifier, translated into `b`; `Err` names what cannot be read exactly.
fn item(b: &mut Builder, it: &Item, spec: &str) -> Result<(), String> {
    let refuse = || {
        Err(format!(
            "the specifier `{spec}` is not read by --engine spark (it reads %Y %y %m %d %e %b %h %B %H %k %I %l %p %P %M %S %f %.f %.3f %.6f %.9f %z %:z %Z %F %T %R %D %n %t %% and literal text)"
        ))
    };
    match it {
        Item::Literal(text) => b.regex.push_str(&literal(text)),
        Item::OwnedLiteral(text) => b.regex.push_str(&literal(text)),
        Item::Space(_) | Item::OwnedSpace(_) => b.regex.push_str(r"\s*+"),
        Item::Numeric(n, _) => match n {
            Numeric::Year => {
                b.regex.push_str(r"\s*+(?:");
                let sign = b.group("[+-]");
                let signed = b.group("[0-9]++");
                b.regex.push('|');
                let plain = b.group("[0-9]{1,4}+");
                b.regex.push(')');
                if b.fields.year_mod_100.is_some() {
                    return Err(format!("`{spec}` with `%y` is not read by --engine spark"));
                }
                once(&mut b.fields.year, (sign, signed, plain), spec)?;
            }
            Numeric::YearMod100 => {
                let g = b.number(2);
                if b.fields.year.is_some() {
                    return Err(format!("`{spec}` with `%Y` is not read by --engine spark"));
                }
                once(&mut b.fields.year_mod_100, g, spec)?;
            }
            Numeric::Month => {
                let g = b.number(2);
                once(&mut b.fields.month, (g, false), spec)?;
            }
            Numeric::Day => {
                let g = b.number(2);
                once(&mut b.fields.day, g, spec)?;
            }
            Numeric::Hour => {
                let g = b.number(2);
                once(&mut b.fields.hour, g, spec)?;
            }
            Numeric::Hour12 => {
                let g = b.number(2);
                once(&mut b.fields.hour12, g, spec)?;
            }
            Numeric::Minute => {
                let g = b.number(2);
                once(&mut b.fields.minute, g, spec)?;
            }
            Numeric::Second => {
                let g = b.number(2);
                once(&mut b.fields.second, g, spec)?;
            }
            Numeric::Nanosecond => {
                let g = b.number(9);
                once(&mut b.fields.nanos, (g, false), spec)?;
            }
            _ => return refuse(),
        },
        Item::Fixed(f) => match f {
            Fixed::ShortMonthName | Fixed::LongMonthName => {
                let long = matches!(f, Fixed::LongMonthName);
                let names: Vec<String> = MONTHS
                    .iter()
                    .map(|(short, suffix)| {
                        if long && !suffix.is_empty() {
                            format!("{}(?:{})?+", letters(short), letters(suffix))
                        } else {
                            letters(short)
                        }
                    })
                    .collect();
                let g = b.group(&names.join("|"));
                once(&mut b.fields.month, (g, true), spec)?;
            }
            Fixed::LowerAmPm | Fixed::UpperAmPm => {
                let g = b.group("[AaPp]");
                b.regex.push_str("[Mm]");
                once(&mut b.fields.ampm, g, spec)?;
            }
            Fixed::Nanosecond => {
                // a dot must be followed by digits (more than nine are skipped); no dot, no
                // fraction
                b.regex.push_str(r"(?:\.");
                let g = b.group("[0-9]{1,9}+");
                b.regex.push_str(r"[0-9]*+|(?!\.))");
                once(&mut b.fields.nanos, (g, true), spec)?;
            }
            Fixed::Nanosecond3 | Fixed::Nanosecond6 | Fixed::Nanosecond9 => {
                let n = match f {
                    Fixed::Nanosecond3 => 3,
                    Fixed::Nanosecond6 => 6,
                    _ => 9,
                };
                b.regex.push_str(r"(?:\.");
                let g = b.group(&format!("[0-9]{{{n}}}"));
                b.regex.push_str(r"|(?!\.))");
                once(&mut b.fields.nanos, (g, true), spec)?;
            }
            Fixed::TimezoneName => b.regex.push_str(r"\S*+"),
            Fixed::TimezoneOffset
            | Fixed::TimezoneOffsetColon
            | Fixed::TimezoneOffsetDoubleColon
            | Fixed::TimezoneOffsetTripleColon => {
                b.regex.push_str(r"\s*+");
                let sign = b.group(r"[+\-\x{2212}]");
                let hours = b.group("[0-9]{2}");
                b.regex.push_str(r"[:\s]*+");
                let minutes = b.group("[0-5][0-9]");
                once(&mut b.fields.offset, (sign, hours, minutes), spec)?;
            }
            _ => return refuse(),
        },
        Item::Error => return Err(format!("`{spec}` is not a chrono specifier")),
    }
    Ok(())
}

/// The pattern as SQL over `t_timestamp` (trimmed text), or why it cannot be read exactly;
/// `naive_offset_secs` is the profile's time zone (a time without offset is local there).
pub fn pattern_sql(pattern: &str, naive_offset_secs: i32) -> Result<PatternSql, String> {
    let mut b = Builder {
        regex: String::from("(?U)^"),
        groups: 0,
        fields: Groups::default(),
    };
    for token in tokens(pattern) {
        for it in StrftimeItems::new(token) {
            item(&mut b, &it, token)?;
        }
    }
    b.regex.push('$');
    let f = &b.fields;
    // as `parse_pattern`: the offset is used when the pattern names `%z`, `%:z` or `%#z`
    let with_offset = pattern.contains("%z") || pattern.contains("%:z") || pattern.contains("%#z");
    if f.year.is_none() && f.year_mod_100.is_none() || f.month.is_none() || f.day.is_none() {
        return Err(
            "it does not write the year, month and day with %Y or %y, %m, %b or %B, and %d or %e, which --engine spark needs".into(),
        );
    }
    if f.hour12.is_some() != f.ampm.is_some() || f.hour12.is_some() && f.hour.is_some() {
        return Err(
            "a 12-hour time needs both %I and %p (and no %H) to be read by --engine spark".into(),
        );
    }
    let hour = f.hour.or(f.hour12);
    let has_time = hour.is_some() || f.minute.is_some() || f.second.is_some() || f.nanos.is_some();
    if has_time && (hour.is_none() || f.minute.is_none()) {
        return Err(
            "a time without both the hour and the minute is not read by --engine spark".into(),
        );
    }
    if f.nanos.is_some() && f.second.is_none() {
        return Err("a fraction of a second without %S is not read by --engine spark".into());
    }
    let rx = format!("r'{}'", b.regex);
    debug_assert!(!b.regex.contains('\''));
    let g = |i: usize| format!("regexp_extract(t_timestamp, {rx}, {i})");
    // a number of at most `digits` digits (leading zeros dropped), else null
    let num = |e: String, digits: usize| {
        format!(
            "CASE WHEN length(regexp_replace({e}, '^0+', '')) <= {digits} THEN CAST(coalesce(nullif(regexp_replace({e}, '^0+', ''), ''), '0') AS BIGINT) END"
        )
    };
    let year = match (f.year, f.year_mod_100) {
        (Some((sign, signed, plain)), _) => format!(
            "CASE {s} WHEN '-' THEN NULL WHEN '+' THEN {a} ELSE {b} END",
            s = g(sign),
            a = num(g(signed), 6),
            b = num(g(plain), 4)
        ),
        (None, Some(r)) => format!(
            "CASE WHEN {v} < 70 THEN 2000 + {v} ELSE 1900 + {v} END",
            v = num(g(r), 2)
        ),
        (None, None) => unreachable!("checked above"),
    };
    let month = match f.month {
        Some((m, true)) => {
            let whens: Vec<String> = MONTHS
                .iter()
                .enumerate()
                .map(|(i, (short, _))| format!("WHEN '{short}' THEN {}", i + 1))
                .collect();
            format!("CASE lower(substr({}, 1, 3)) {} END", g(m), whens.join(" "))
        }
        Some((m, false)) => num(g(m), 2),
        None => unreachable!("checked above"),
    };
    let day = num(g(f.day.unwrap_or(0)), 2);
    // hour: 0-23, or 1-12 with am/pm (12 is 0)
    let hour = match (f.hour, f.hour12, f.ampm) {
        (Some(h), _, _) => num(g(h), 2),
        (None, Some(h), Some(p)) => format!(
            "CASE WHEN {v} BETWEEN 1 AND 12 THEN pmod({v}, 12) + CASE WHEN lower({p}) = 'p' THEN 12 ELSE 0 END END",
            v = num(g(h), 2),
            p = g(p)
        ),
        _ => "0".into(),
    };
    let minute = f.minute.map_or("0".into(), |m| num(g(m), 2));
    let second = f.second.map_or("0".into(), |s| num(g(s), 2));
    // nanoseconds: `%f` as written; after a dot, scaled to nine digits
    let nanos = match f.nanos {
        Some((n, false)) => num(g(n), 9),
        Some((n, true)) => format!(
            "CASE WHEN {e} = '' THEN 0 ELSE CAST(rpad({e}, 9, '0') AS BIGINT) END",
            e = g(n)
        ),
        None => "0".into(),
    };
    let offset = match (with_offset, f.offset) {
        (true, Some((sign, hours, minutes))) => format!(
            "CASE WHEN {h} * 3600 + {m} * 60 < 86400 THEN (CASE WHEN {s} = '+' THEN 1 ELSE -1 END) * ({h} * 3600 + {m} * 60) END",
            h = num(g(hours), 2),
            m = num(g(minutes), 2),
            s = g(sign)
        ),
        // a pattern naming %z without an offset item reads nothing
        (true, None) => "CAST(NULL AS BIGINT)".into(),
        (false, _) => naive_offset_secs.to_string(),
    };
    // the leap second 60 is 59 and a second more (chrono's nanosecond 1e9 + fraction)
    let local = format!(
        "CASE WHEN {second} <= 60 AND {nanos} <= 999999999 THEN unix_micros(CAST(try_make_timestamp_ntz({year}, {month}, {day}, {hour}, {minute}, CAST(least({second}, 59) AS DECIMAL(8, 6))) AS TIMESTAMP)) \
         + CASE WHEN {second} = 60 THEN 1000000 ELSE 0 END + ({nanos}) div 1000 END"
    );
    // with an offset there is no midnight fallback: a time is needed (`to_datetime`)
    let readable = if with_offset && !has_time {
        "false".to_string()
    } else {
        format!("t_timestamp RLIKE {rx}")
    };
    Ok(PatternSql {
        expr: format!("CASE WHEN {readable} THEN {local} - CAST({offset} AS BIGINT) * 1000000 END"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_cut_into_chrono_specifiers() {
        assert_eq!(
            tokens("%Y/%m/%d %H:%M%.3f%:z"),
            vec!["%Y", "/", "%m", "/", "%d", " ", "%H", ":", "%M", "%.3f", "%:z"]
        );
        assert_eq!(tokens("at %-d %%"), vec!["at ", "%-d", " ", "%%"]);
    }

    #[test]
    fn specifiers_that_cannot_be_read_exactly_are_named() {
        for (pattern, named) in [
            ("%Y-%m-%d %a", "%a"),
            ("%Y-%j", "%j"),
            ("%s", "%s"),
            ("%Y-%m-%d %H:%M:%S%3f", "%3f"),
            ("%Y-%m-%d %H:%M %#z", "%#z"),
            ("%Y-%m-%d %d", "%d"),
        ] {
            let err = pattern_sql(pattern, 0).unwrap_err();
            assert!(err.contains(&format!("`{named}`")), "{pattern}: {err}");
        }
        assert!(pattern_sql("%Y-%m-%d %H", 0).is_err());
        assert!(pattern_sql("%Y-%m-%d %H:%M%.f", 0).is_err());
        assert!(pattern_sql("%d/%m/%Y %I:%M", 0).is_err());
        assert!(pattern_sql("%d/%m/%Y %I:%M %p", 0).is_ok());
        assert!(pattern_sql("%F %T%.f %:z", 0).is_ok());
    }
}
