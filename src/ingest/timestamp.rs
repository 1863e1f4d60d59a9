//! Timestamp parsing: ISO 8601 in its common spellings, or a profile's own `strftime` format.

use crate::model::TimestampMicros;
use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// How timestamps in one input are written.
#[derive(Debug, Clone, Default)]
pub enum TimestampFormat {
    /// ISO 8601: `2026-03-01T14:22:05`, a space for `T`, optional fraction, `Z` or an offset.
    /// A timestamp without offset is taken to be UTC plus `default_offset_secs`.
    #[default]
    Iso8601,
    /// A chrono `strftime` pattern such as `%Y/%m/%d %H:%M`.
    Pattern(String),
}

/// Parses one timestamp into UTC microseconds. `naive_offset_secs` is the UTC offset assumed for
/// timestamps that carry none (0 for UTC, -18000 for Jamaica).
pub fn parse_timestamp(
    text: &str,
    format: &TimestampFormat,
    naive_offset_secs: i32,
) -> Option<TimestampMicros> {
    let t = text.trim();
    match format {
        TimestampFormat::Iso8601 => parse_iso8601(t, naive_offset_secs),
        TimestampFormat::Pattern(p) => parse_pattern(t, p, naive_offset_secs),
    }
}

/// Checks a profile's strftime pattern: every directive known, and a time it writes read back
/// as the same time (so a pattern without a full date, which would quarantine every row, is
/// refused when the profile is loaded).
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(pattern).any(|item| matches!(item, Item::Error)) {
        return Err("it holds an unknown or incomplete % directive".into());
    }
    let sample = NaiveDate::from_ymd_opt(2026, 3, 1)
        .and_then(|d| d.and_hms_opt(14, 22, 5))
        .ok_or("no sample date")?
        .and_utc();
    let mut written = String::new();
    use std::fmt::Write;
    write!(written, "{}", sample.format(pattern))
        .map_err(|_| "it cannot format a time".to_string())?;
    match parse_pattern(&written, pattern, 0) {
        Some(t) if t / 86_400_000_000 == sample.timestamp_micros() / 86_400_000_000 => Ok(()),
        _ => Err(format!(
            "a time written with it (`{written}`) cannot be read back as the same day"
        )),
    }
}

fn parse_pattern(text: &str, pattern: &str, naive_offset_secs: i32) -> Option<TimestampMicros> {
    if pattern.contains("%z") || pattern.contains("%:z") || pattern.contains("%#z") {
        return DateTime::parse_from_str(text, pattern)
            .ok()
            .map(|dt| dt.timestamp_micros());
    }
    let naive = NaiveDateTime::parse_from_str(text, pattern)
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, pattern)
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    Some(naive.and_utc().timestamp_micros() - i64::from(naive_offset_secs) * 1_000_000)
}

fn digits(bytes: &[u8], start: usize, len: usize) -> Option<u32> {
    let slice = bytes.get(start..start + len)?;
    let mut value = 0u32;
    for &b in slice {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some(value)
}

/// Parses `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM[:SS[.fraction]]`, and
/// optionally by `Z`, `±HH:MM`, `±HHMM` or `±HH`.
fn parse_iso8601(text: &str, naive_offset_secs: i32) -> Option<TimestampMicros> {
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date =
        NaiveDate::from_ymd_opt(digits(b, 0, 4)? as i32, digits(b, 5, 2)?, digits(b, 8, 2)?)?;
    let (mut hour, mut minute, mut second, mut micros) = (0, 0, 0, 0u32);
    let mut pos = 10;
    if pos < b.len() && (b[pos] == b'T' || b[pos] == b' ') && b.len() >= pos + 6 {
        hour = digits(b, pos + 1, 2)?;
        if b[pos + 3] != b':' {
            return None;
        }
        minute = digits(b, pos + 4, 2)?;
        pos += 6;
        if pos < b.len() && b[pos] == b':' {
            second = digits(b, pos + 1, 2)?;
            pos += 3;
            if pos < b.len() && (b[pos] == b'.' || b[pos] == b',') {
                pos += 1;
                let start = pos;
                while pos < b.len() && b[pos].is_ascii_digit() {
                    if pos - start < 6 {
                        micros = micros * 10 + u32::from(b[pos] - b'0');
                    }
                    pos += 1;
                }
                let n = pos - start;
                if n == 0 {
                    return None;
                }
                for _ in n..6 {
                    micros *= 10;
                }
            }
        }
    }
    let offset_secs: i64 = match &b[pos..] {
        [] => i64::from(naive_offset_secs),
        [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest.len() {
                2 => (digits(rest, 0, 2)?, 0),
                4 => (digits(rest, 0, 2)?, digits(rest, 2, 2)?),
                5 if rest[2] == b':' => (digits(rest, 0, 2)?, digits(rest, 3, 2)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let secs = i64::from(h * 3600 + m * 60);
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    let naive = date.and_hms_micro_opt(hour, minute, second, micros)?;
    Some(naive.and_utc().timestamp_micros() - offset_secs * 1_000_000)
}

/// Parses a UTC offset written `+05:00`, `-0500`, `Z` or `UTC` into seconds east of UTC.
pub fn parse_utc_offset(text: &str) -> Option<i32> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") || t.is_empty() {
        return Some(0);
    }
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None if rest.len() == 4 && rest.is_ascii() => {
            (rest[..2].parse().ok()?, rest[2..].parse().ok()?)
        }
        None => (rest.parse().ok()?, 0),
    };
    if !(0..=23).contains(&h) || !(0..=59).contains(&m) {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_772_374_925_000_000; // 2026-03-01T14:22:05Z

    #[test]
    fn iso_spellings() {
        let f = TimestampFormat::Iso8601;
        for (text, want) in [
            ("2026-03-01T14:22:05", Some(T0)),
            ("2026-03-01 14:22:05", Some(T0)),
            ("2026-03-01T14:22:05Z", Some(T0)),
            ("2026-03-01T14:22:05.250Z", Some(T0 + 250_000)),
            ("2026-03-01T09:22:05-05:00", Some(T0)),
            ("2026-03-01T15:22:05+0100", Some(T0)),
            ("2026-03-01T14:22", Some(T0 - 5_000_000)),
            ("2026-02-30T14:22:05", None),
            ("2026-03-01T25:22:05", None),
            ("01/03/2026", None),
            ("2026-03-01T14:22:05 junk", None),
        ] {
            assert_eq!(parse_timestamp(text, &f, 0), want, "{text}");
        }
    }

    #[test]
    fn pattern_and_naive_offset() {
        let f = TimestampFormat::Pattern("%Y/%m/%d %H:%M".into());
        assert_eq!(
            parse_timestamp("2026/03/01 14:22", &f, 0),
            Some(T0 - 5_000_000)
        );
        assert_eq!(
            parse_timestamp("2026-03-01T09:22:05", &TimestampFormat::Iso8601, -18_000),
            Some(T0)
        );
        assert_eq!(parse_utc_offset("-05:00"), Some(-18_000));
        assert_eq!(parse_utc_offset("+0530"), Some(19_800));
        assert_eq!(parse_utc_offset("later"), None);
        assert_eq!(parse_utc_offset("+1é2"), None);
    }
}
