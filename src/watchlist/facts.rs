//! Identity facts of listed parties and of screened parties: birth dates (partial, approximate
//! or ranges, as lists write them), nationalities (ISO 3166-1 alpha-2) and identity documents,
//! and how a query's facts compare with an entry's.

use super::countries::{COUNTRY_CODES, COUNTRY_NAMES};
use std::fmt;

/// A date known to the year, the month or the day: `1965`, `1965-03`, `1965-03-10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartialDate {
    year: u16,
    month: Option<u8>,
    day: Option<u8>,
}

impl PartialDate {
    /// A date from its parts; `None` when the month or day is out of range (the day is checked
    /// against the month's length, February 29 only in leap years), or a day comes without a
    /// month, or the year is outside 1000..=2999.
    pub fn new(year: u16, month: Option<u8>, day: Option<u8>) -> Option<PartialDate> {
        if !(1000..=2999).contains(&year) {
            return None;
        }
        match (month, day) {
            (None, Some(_)) => return None,
            (Some(m), _) if !(1..=12).contains(&m) => return None,
            (Some(m), Some(d)) if d == 0 || d > days_in_month(year, m) => return None,
            _ => {}
        }
        Some(PartialDate { year, month, day })
    }

    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<PartialDate, String> {
        let text = text.trim();
        let fail = || format!("expected a date as YYYY, YYYY-MM or YYYY-MM-DD, found {text:?}");
        let parts: Vec<&str> = text.split('-').collect();
        let widths = [4, 2, 2];
        if parts.is_empty()
            || parts.len() > 3
            || parts
                .iter()
                .zip(widths)
                .any(|(p, w)| p.len() != w || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(fail());
        }
        let year: u16 = parts[0].parse().map_err(|_| fail())?;
        let month: Option<u8> = parts
            .get(1)
            .map(|m| m.parse())
            .transpose()
            .map_err(|_| fail())?;
        let day: Option<u8> = parts
            .get(2)
            .map(|d| d.parse())
            .transpose()
            .map_err(|_| fail())?;
        PartialDate::new(year, month, day).ok_or_else(|| {
            format!("{text:?} is not a calendar date (month 1-12, day within the month, year 1000-2999)")
        })
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month (1-12), when known.
    pub fn month(&self) -> Option<u8> {
        self.month
    }

    /// The day of the month, when known.
    pub fn day(&self) -> Option<u8> {
        self.day
    }

    /// How much of the date is known: 1 year, 2 month, 3 day.
    fn precision(&self) -> u8 {
        1 + u8::from(self.month.is_some()) + u8::from(self.day.is_some())
    }

    /// This date cut to `precision` (1 year, 2 month, 3 day).
    fn cut(&self, precision: u8) -> PartialDate {
        PartialDate {
            year: self.year,
            month: self.month.filter(|_| precision >= 2),
            day: self.day.filter(|_| precision >= 3),
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        Ok(())
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Years either side of a `circa` year that still agree with it.
pub const CIRCA_YEARS: u16 = 2;

/// A listed birth (or incorporation) date, as precise as the list gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BirthDate {
    /// A date known to the year, month or day (`DOB 10 Mar 1957`, UN `EXACT`).
    Exact(PartialDate),
    /// An approximate date (`DOB circa 1965`, UN `APPROXIMATELY`): agrees with dates within
    /// [`CIRCA_YEARS`] years.
    Circa(PartialDate),
    /// A range, both ends included at year precision (`DOB 1962 to 1965`, UN `BETWEEN`).
    Between(PartialDate, PartialDate),
}

impl BirthDate {
    /// The years this date agrees with, first and last.
    pub fn year_span(&self) -> (u16, u16) {
        match *self {
            BirthDate::Exact(d) => (d.year, d.year),
            BirthDate::Circa(d) => (
                d.year.saturating_sub(CIRCA_YEARS),
                d.year.saturating_add(CIRCA_YEARS),
            ),
            BirthDate::Between(a, b) => (a.year.min(b.year), a.year.max(b.year)),
        }
    }

    /// A range, or an exact date when both ends are the same.
    pub fn between(from: PartialDate, to: PartialDate) -> BirthDate {
        if from == to {
            BirthDate::Exact(from)
        } else {
            BirthDate::Between(from.min(to), from.max(to))
        }
    }
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BirthDate::Exact(d) => write!(f, "{d}"),
            BirthDate::Circa(d) => write!(f, "circa {d}"),
            BirthDate::Between(a, b) => write!(f, "{a} to {b}"),
        }
    }
}

/// What a query's fact says about an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Agreement {
    /// The fact contradicts the entry (a different birth year, another nationality).
    Contradicts,
    /// The fact neither confirms nor contradicts (same year, different day).
    Neutral,
    /// Agrees with an approximate date or a range of years.
    Loose,
    /// Agrees at year precision.
    Year,
    /// Agrees at month precision.
    Month,
    /// Agrees to the day.
    Day,
}

impl Agreement {
    /// Whether the fact confirms the entry.
    pub fn confirms(self) -> bool {
        self > Agreement::Neutral
    }
}

/// Compares a query's birth date with one listed date; the text is the explanation
/// (`born 1965 = 1965`, `born 1971 ≠ 1965`, `born 1964 ~ circa 1965`).
pub fn compare_birth_date(query: &PartialDate, listed: &BirthDate) -> (Agreement, String) {
    match listed {
        BirthDate::Exact(d) => {
            if query.year != d.year {
                return (Agreement::Contradicts, format!("born {query} ≠ {d}"));
            }
            let precision = query.precision().min(d.precision());
            if query.cut(precision) != d.cut(precision) {
                return (
                    Agreement::Neutral,
                    format!("born {query} ≠ {d} (same year)"),
                );
            }
            let agreement = match precision {
                3 => Agreement::Day,
                2 => Agreement::Month,
                _ => Agreement::Year,
            };
            (agreement, format!("born {} = {}", query.cut(precision), d))
        }
        BirthDate::Circa(_) | BirthDate::Between(..) => {
            let (from, to) = listed.year_span();
            if (from..=to).contains(&query.year) {
                (Agreement::Loose, format!("born {query} ~ {listed}"))
            } else {
                (Agreement::Contradicts, format!("born {query} ≠ {listed}"))
            }
        }
    }
}

/// Compares a query's birth date with every listed date of an entry: the best agreement, or
/// `None` when the entry lists none. An entry contradicts only when every listed date does.
pub fn compare_birth_dates(
    query: &PartialDate,
    listed: &[BirthDate],
) -> Option<(Agreement, String)> {
    let mut best: Option<(Agreement, String)> = None;
    for date in listed {
        let (agreement, text) = compare_birth_date(query, date);
        if best.as_ref().is_none_or(|(b, _)| agreement > *b) {
            best = Some((agreement, text));
        }
    }
    best
}

/// The kind of an identity document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    /// A passport (diplomatic and service passports included).
    Passport,
    /// A national identity number or card (cedula, D.N.I., C.U.R.P., personal ID card, ...).
    NationalId,
    /// Another identifier (tax number, registration number, driving licence, ...).
    Other,
}

impl IdKind {
    /// `passport`, `national id` or `id`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Passport => "passport",
            IdKind::NationalId => "national id",
            IdKind::Other => "id",
        }
    }
}

/// One identity document of a listed party.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdDocument {
    /// Passport, national id or other.
    pub kind: IdKind,
    /// The number, normalised by [`normalize_id`].
    pub number: String,
    /// The issuing country (alpha-2), when the list gives it.
    pub country: Option<String>,
}

/// An identity number as compared: ASCII letters upper-cased and digits, everything else
/// (spaces, dashes, dots, slashes) dropped; other letters are folded to ASCII first.
pub fn normalize_id(number: &str) -> String {
    let folded = if number.is_ascii() {
        std::borrow::Cow::Borrowed(number)
    } else {
        std::borrow::Cow::Owned(deunicode::deunicode(number))
    };
    folded
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Splits an identity number a query gives into its kind, when it is written with one
/// (`passport:AB1234567`, `national_id:123-45-678`, `id:TX98765`; the prefix in any case,
/// `national id` also accepted), and the number. Without a known prefix the whole text is the
/// number and its kind is unknown.
pub fn split_id_kind(text: &str) -> (Option<IdKind>, &str) {
    if let Some((prefix, number)) = text.split_once(':') {
        let kind = match prefix.trim().to_ascii_lowercase().as_str() {
            "passport" => Some(IdKind::Passport),
            "national_id" | "national id" => Some(IdKind::NationalId),
            "id" => Some(IdKind::Other),
            _ => None,
        };
        if kind.is_some() {
            return (kind, number.trim());
        }
    }
    (None, text.trim())
}

/// Whether a query's number of kind `query` (`None`: not said) can be the listed document of
/// kind `listed`: a passport is compared with passports, a national id with national ids, and
/// either with a listed document of no stated kind ([`IdKind::Other`]); another identifier
/// only with those.
pub fn id_kinds_agree(query: Option<IdKind>, listed: IdKind) -> bool {
    match query {
        None => true,
        Some(kind) => listed == kind || listed == IdKind::Other,
    }
}

/// Identifiers shorter than this (normalised) are kept but never matched: `123` says little.
pub const MIN_ID_CHARS: usize = 5;

/// Whether a normalised number can identify a party: at least [`MIN_ID_CHARS`] characters, at
/// least one digit.
pub fn is_matchable_id(normalized: &str) -> bool {
    normalized.len() >= MIN_ID_CHARS && normalized.bytes().any(|b| b.is_ascii_digit())
}

/// The ISO 3166-1 alpha-2 code of a country written as an alpha-2 or alpha-3 code (any case) or
/// as an English name (`Iraq`, `Korea, North`, `Iran (Islamic Republic of)`, `Türkiye`,
/// `possibly Palestinian`); `None` when it is neither. Kosovo is `XK`.
pub fn country_code(text: &str) -> Option<&'static str> {
    let trimmed = text.trim();
    if trimmed.len() == 2 || trimmed.len() == 3 {
        let upper = trimmed.to_ascii_uppercase();
        let by_code = if trimmed.len() == 2 {
            COUNTRY_CODES
                .binary_search_by(|(a2, _)| (*a2).cmp(upper.as_str()))
                .ok()
        } else {
            COUNTRY_CODES.iter().position(|(_, a3)| *a3 == upper)
        };
        if let Some(k) = by_code {
            return Some(COUNTRY_CODES[k].0);
        }
    }
    country_code_of_name(trimmed)
}

/// The alpha-2 code of an English country name only (codes are not accepted: a list's `na`
/// means "not available", not Namibia).
///
/// A name written `Name, Qualifier` is also tried as `Qualifier Name` (`Man, Isle of`).
/// A historic state (`former Soviet Union`) has no code.
pub fn country_code_of_name(name: &str) -> Option<&'static str> {
    let lookup = |name: &str| {
        let key = country_key(name);
        let key = key.strip_prefix("possibly ").unwrap_or(&key);
        let key = key.strip_prefix("the ").unwrap_or(key);
        COUNTRY_NAMES
            .binary_search_by(|(n, _)| (*n).cmp(key))
            .ok()
            .map(|k| COUNTRY_NAMES[k].1)
    };
    lookup(name).or_else(|| {
        let (head, qualifier) = name.split_once(',')?;
        lookup(&format!("{qualifier} {head}"))
    })
}

/// A name folded as the table's keys: ASCII lower case, apostrophes dropped, other punctuation
/// as single spaces; `X (Y)` reads as `X Y`.
fn country_key(name: &str) -> String {
    let ascii = deunicode::deunicode(name).to_lowercase();
    let mut out = String::with_capacity(ascii.len());
    let mut space = false;
    for c in ascii.chars() {
        if c == '\'' || c == '\u{2019}' {
            continue;
        }
        if c.is_ascii_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> PartialDate {
        PartialDate::parse(text).unwrap()
    }

    #[test]
    fn partial_dates_parse_and_refuse_bad_values() {
        assert_eq!(date("1965").to_string(), "1965");
        assert_eq!(date("1965-03").to_string(), "1965-03");
        assert_eq!(date("1965-03-10").to_string(), "1965-03-10");
        assert_eq!(date("2000-02-29").day(), Some(29));
        for bad in [
            "",
            "65",
            "1965-3",
            "1965-13",
            "1965-02-30",
            "1900-02-29",
            "1965-00",
            "10/03/1965",
            "1965-03-10-01",
            "0999",
            "abcd",
        ] {
            assert!(PartialDate::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn birth_dates_compare_at_the_precision_both_sides_have() {
        let listed = BirthDate::Exact(date("1965-03-10"));
        assert_eq!(
            compare_birth_date(&date("1965"), &listed),
            (Agreement::Year, "born 1965 = 1965-03-10".to_string())
        );
        assert_eq!(
            compare_birth_date(&date("1965-03"), &listed).0,
            Agreement::Month
        );
        assert_eq!(
            compare_birth_date(&date("1965-03-10"), &listed).0,
            Agreement::Day
        );
        assert_eq!(
            compare_birth_date(&date("1965-10-03"), &listed),
            (
                Agreement::Neutral,
                "born 1965-10-03 ≠ 1965-03-10 (same year)".to_string()
            )
        );
        assert_eq!(
            compare_birth_date(&date("1971-03-10"), &listed),
            (
                Agreement::Contradicts,
                "born 1971-03-10 ≠ 1965-03-10".to_string()
            )
        );
        // a year-only listing agrees with any date of that year
        let year_only = BirthDate::Exact(date("1965"));
        assert_eq!(
            compare_birth_date(&date("1965-12-31"), &year_only).0,
            Agreement::Year
        );
        assert_eq!(
            compare_birth_date(&date("1964-12-31"), &year_only).0,
            Agreement::Contradicts
        );
    }

    #[test]
    fn circa_and_ranges_agree_loosely_within_their_years() {
        let circa = BirthDate::Circa(date("1965"));
        assert_eq!(
            compare_birth_date(&date("1963"), &circa).0,
            Agreement::Loose
        );
        assert_eq!(
            compare_birth_date(&date("1967-05-01"), &circa).0,
            Agreement::Loose
        );
        assert_eq!(
            compare_birth_date(&date("1968"), &circa).0,
            Agreement::Contradicts
        );
        assert_eq!(
            compare_birth_date(&date("1962"), &circa).0,
            Agreement::Contradicts
        );
        let range = BirthDate::between(date("1962"), date("1965"));
        assert_eq!(
            compare_birth_date(&date("1962"), &range),
            (Agreement::Loose, "born 1962 ~ 1962 to 1965".to_string())
        );
        assert_eq!(
            compare_birth_date(&date("1965"), &range).0,
            Agreement::Loose
        );
        assert_eq!(
            compare_birth_date(&date("1966"), &range).0,
            Agreement::Contradicts
        );
        assert_eq!(
            compare_birth_date(&date("1961"), &range).0,
            Agreement::Contradicts
        );
        assert_eq!(
            BirthDate::between(date("1965"), date("1965")),
            BirthDate::Exact(date("1965"))
        );
    }

    #[test]
    fn several_listed_dates_contradict_only_when_all_do() {
        let listed = [
            BirthDate::Exact(date("1957-03-10")),
            BirthDate::Exact(date("1958")),
        ];
        assert_eq!(
            compare_birth_dates(&date("1958"), &listed).unwrap().0,
            Agreement::Year
        );
        assert_eq!(
            compare_birth_dates(&date("1957-03-10"), &listed).unwrap().0,
            Agreement::Day
        );
        assert_eq!(
            compare_birth_dates(&date("1960"), &listed).unwrap().0,
            Agreement::Contradicts
        );
        assert_eq!(compare_birth_dates(&date("1960"), &[]), None);
    }

    #[test]
    fn identity_numbers_normalise_to_upper_case_letters_and_digits() {
        assert_eq!(normalize_id("a-123.456 7"), "A1234567");
        assert_eq!(normalize_id("78.865.882"), "78865882");
        assert_eq!(normalize_id("35200-5407888-5"), "3520054078885");
        assert_eq!(normalize_id("92/664"), "92664");
        assert!(is_matchable_id("A1234"));
        assert!(!is_matchable_id("1234"));
        assert!(!is_matchable_id("ABCDEF"));
    }

    #[test]
    fn country_names_and_codes_map_to_alpha_2() {
        for (text, code) in [
            ("Iraq", "IQ"),
            ("iq", "IQ"),
            ("IRQ", "IQ"),
            ("Afghanistan", "AF"),
            ("Korea, North", "KP"),
            ("Democratic People's Republic of Korea", "KP"),
            ("Iran (Islamic Republic of)", "IR"),
            ("Congo, Democratic Republic of the", "CD"),
            ("Macedonia, The Former Yugoslav Republic of", "MK"),
            ("United Kingdom of Great Britain and Northern Ireland", "GB"),
            ("Türkiye", "TR"),
            ("The Gambia", "GM"),
            ("possibly Palestinian", "PS"),
            ("State of Palestine", "PS"),
            ("Kosovo", "XK"),
            ("Burma", "MM"),
            ("Russian Federation", "RU"),
            ("Syrian Arab Republic", "SY"),
            ("United Republic of Tanzania", "TZ"),
            ("Cabo Verde", "CV"),
            ("Guinea-Bissau", "GW"),
            ("Hong Kong", "HK"),
            ("Man, Isle of", "IM"),
            ("Virgin Islands, British", "VG"),
        ] {
            assert_eq!(country_code(text), Some(code), "{text}");
        }
        assert_eq!(country_code("Atlantis"), None);
        assert_eq!(country_code_of_name("na"), None);
        assert_eq!(country_code("na"), Some("NA"));
    }

    #[test]
    fn the_country_tables_are_sorted_for_binary_search() {
        assert!(COUNTRY_NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(COUNTRY_CODES.windows(2).all(|w| w[0].0 < w[1].0));
        for (name, code) in COUNTRY_NAMES {
            assert!(
                COUNTRY_CODES.iter().any(|(a2, _)| a2 == code),
                "{name} maps to unknown code {code}"
            );
            assert_eq!(country_key(name), *name);
        }
    }
}
