//! OFAC SDN legacy CSV: `sdn.csv` plus the companion `alt.csv` (aliases) and `add.csv` (addresses).
//!
//! No header; `-0-` (often followed by a space) means empty; the file may end with a DOS
//! end-of-file byte (0x1A). Individuals are written `SURNAME, Given Names`.

use super::{sha256_hex, split_csv_line, split_list, LineCounter, Parsed};
use crate::watchlist::entry::{Entry, ListedName, NameKind, SourceInfo};
use crate::watchlist::error::WatchlistError;
use crate::watchlist::facts::{
    country_code_of_name, is_matchable_id, normalize_id, BirthDate, IdDocument, IdKind, PartialDate,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The list name given to OFAC SDN entries.
pub(crate) const LIST_NAME: &str = "OFAC-SDN";

const SDN_COLUMNS: usize = 12;
const ALT_COLUMNS: usize = 4;
const ADD_COLUMNS: usize = 5;
const FORMAT: &str = "OFAC CSV";

/// Whether a lower-case file name is an OFAC companion file, never a list on its own.
pub(crate) fn is_companion_file_name(lower_name: &str) -> bool {
    matches!(lower_name, "alt.csv" | "add.csv" | "sdn_comments.csv")
}

/// Whether the first line looks like an `sdn.csv` row: a numeric ent_num then at least two fields.
pub(crate) fn looks_like_sdn_row(line: &str) -> bool {
    let fields = split_csv_line(line);
    fields.len() >= 3 && !fields[0].is_empty() && fields[0].bytes().all(|b| b.is_ascii_digit())
}

/// Parses `sdn.csv` and, when they sit beside it, `alt.csv` and `add.csv`.
pub(crate) fn load(path: &Path, text: &str) -> Result<Parsed, WatchlistError> {
    let mut warnings = Vec::new();
    let mut entries = Vec::new();
    for_each_record(path, text, |line, fields| {
        if let Some(entry) = parse_sdn_row(path, line, fields, &mut warnings) {
            entries.push(entry);
        }
    })?;
    let mut by_ent_num: HashMap<String, usize> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        if by_ent_num.insert(entry.id.clone(), i).is_some() {
            warnings.push(format!(
                "{}: ent_num {} appears more than once; aliases go to its last row",
                path.display(),
                entry.id
            ));
        }
    }
    let mut parsed = Parsed::new(entries, warnings);
    if let Some(alt) = companion(path, "alt.csv") {
        let record = read_companion(
            &alt,
            "OFAC alt.csv",
            |line, fields, entries, warnings| {
                apply_alias(&alt, line, fields, entries, &by_ent_num, warnings)
            },
            &mut parsed.entries,
        )?;
        parsed.companions.push(record);
    }
    if let Some(add) = companion(path, "add.csv") {
        let record = read_companion(
            &add,
            "OFAC add.csv",
            |line, fields, entries, warnings| {
                apply_address(&add, line, fields, entries, &by_ent_num, warnings)
            },
            &mut parsed.entries,
        )?;
        parsed.companions.push(record);
    }
    Ok(parsed)
}

/// Turns one `sdn.csv` row into an entry, or records why it was skipped.
fn parse_sdn_row(
    path: &Path,
    line: u64,
    fields: &[&str],
    warnings: &mut Vec<String>,
) -> Option<Entry> {
    let at = || format!("{}:{line}", path.display());
    if fields.len() < SDN_COLUMNS {
        warnings.push(format!(
            "{at}: expected {SDN_COLUMNS} columns (ent_num, name, type, programs, ...), found {}; row skipped",
            fields.len(),
            at = at()
        ));
        return None;
    }
    let ent_num = fields[0];
    if ent_num.is_empty() || !ent_num.bytes().all(|b| b.is_ascii_digit()) {
        warnings.push(format!(
            "{at}: expected a numeric ent_num, found {ent_num:?}; row skipped",
            at = at()
        ));
        return None;
    }
    let Some(name) = value(fields[1]) else {
        warnings.push(format!(
            "{at}: expected a name in column 2, found none; row skipped",
            at = at()
        ));
        return None;
    };
    let entry_type = match value(fields[2]).map(|t| t.to_lowercase()) {
        None => "entity".to_string(),
        Some(t) => t,
    };
    let programs = value(fields[3])
        .map(|p| split_list(&p.replace(['[', ']'], ";"), ';').join("; "))
        .unwrap_or_default();
    let mut countries = Vec::new();
    if let Some(flag) = value(fields[9]) {
        countries.push(flag);
    }
    let mut entry = Entry {
        list: LIST_NAME.to_string(),
        id: ent_num.to_string(),
        entry_type,
        programs,
        countries,
        names: vec![ListedName {
            text: name,
            kind: NameKind::Primary,
        }],
        ..Entry::default()
    };
    if let Some(remarks) = value(fields[11]) {
        apply_remarks(&mut entry, &remarks, &at, warnings);
    }
    Some(entry)
}

/// Reads the identity facts of a remarks field: `DOB 10 Mar 1957; alt. DOB 1958; nationality
/// Saudi Arabia; citizen Iraq; Passport A123456 (Iraq); National ID No. 123 (Pakistan)`
/// (`Nationality of Registration` of organisations counts as their nationality).
/// Items it does not know (places of birth, titles, tax ids, ...) are passed over; a date or
/// country it cannot read is a warning, never an error.
pub(crate) fn apply_remarks(
    entry: &mut Entry,
    remarks: &str,
    at: &dyn Fn() -> String,
    warnings: &mut Vec<String>,
) {
    for item in remarks.split(';') {
        let item = item.trim().trim_end_matches('.').trim();
        let item = strip_prefix_ci(item, "alt. ").unwrap_or(item);
        if let Some(text) = strip_prefix_ci(item, "DOB ") {
            match parse_ofac_birth_date(text) {
                Some(date) => {
                    if !entry.birth_dates.contains(&date) {
                        entry.birth_dates.push(date);
                    }
                }
                None => warnings.push(format!(
                    "{at}: remarks: cannot read {item:?} as a date of birth (expected `DOB 10 Mar 1957`, `DOB Mar 1957`, `DOB 1957`, `DOB circa 1957` or `DOB 1955 to 1957`); skipped",
                    at = at()
                )),
            }
            continue;
        }
        let country = ["nationality of registration ", "nationality ", "citizen "]
            .iter()
            .find_map(|p| strip_prefix_ci(item, p));
        if let Some(country) = country {
            match country_code_of_name(country) {
                Some(code) => {
                    if !entry.nationalities.iter().any(|c| c == code) {
                        entry.nationalities.push(code.to_string());
                    }
                }
                None => warnings.push(format!(
                    "{at}: remarks: {item:?} names no country known to the nationality table; skipped",
                    at = at()
                )),
            }
            continue;
        }
        if let Some(document) = parse_ofac_document(item) {
            if !entry.documents.iter().any(|d| d.number == document.number) {
                entry.documents.push(document);
            }
        }
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text[prefix.len()..].trim())
}

/// Document labels of OFAC remarks and their kinds, longest first where one starts another.
const DOCUMENT_LABELS: &[(&str, IdKind)] = &[
    ("Diplomatic Passport", IdKind::Passport),
    ("Passport No.", IdKind::Passport),
    ("Passport", IdKind::Passport),
    ("National ID No.", IdKind::NationalId),
    ("National ID", IdKind::NationalId),
    ("National Identification Number", IdKind::NationalId),
    ("Cedula No.", IdKind::NationalId),
    ("Identification Number", IdKind::NationalId),
    ("Personal ID Card", IdKind::NationalId),
    ("Identity Card", IdKind::NationalId),
    ("Identity Number", IdKind::NationalId),
    ("D.N.I.", IdKind::NationalId),
    ("C.U.R.P.", IdKind::NationalId),
    ("C.U.I.P.", IdKind::NationalId),
    ("Citizen's Card Number", IdKind::NationalId),
    ("Kenyan ID No.", IdKind::NationalId),
    ("Birth Certificate Number", IdKind::Other),
    ("Driver's License No.", IdKind::Other),
    ("SSN", IdKind::Other),
    ("Tax ID No.", IdKind::Other),
    ("R.F.C.", IdKind::Other),
    ("RFC", IdKind::Other),
    ("NIT #", IdKind::Other),
    ("RUC #", IdKind::Other),
    ("C.U.I.T.", IdKind::Other),
    ("Residency Number", IdKind::Other),
];

/// A document item: a known label, the number, then optionally `(Country)` and trailing words
/// (`issued 1968`, `expires 30 Oct 2012`).
fn parse_ofac_document(item: &str) -> Option<IdDocument> {
    // the label and a space (no string made per label and item: remarks hold many items)
    let (rest, kind) = DOCUMENT_LABELS.iter().find_map(|(label, kind)| {
        let rest = strip_prefix_ci(item, label)?;
        item[label.len()..]
            .starts_with(' ')
            .then_some((rest, *kind))
    })?;
    let (number, tail) = match rest.find('(') {
        Some(open) => (&rest[..open], &rest[open + 1..]),
        None => (
            ["issued", "expires", "Issue Date", "Expiration"]
                .iter()
                .filter_map(|w| rest.find(w))
                .min()
                .map_or(rest, |end| &rest[..end]),
            "",
        ),
    };
    let number = normalize_id(number);
    if !is_matchable_id(&number) {
        return None;
    }
    let country = tail
        .split(')')
        .next()
        .and_then(country_code_of_name)
        .map(str::to_string);
    Some(IdDocument {
        kind,
        number,
        country,
    })
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// An OFAC date of birth: `10 Mar 1957`, `Mar 1957`, `1957`, `circa 1957`, `circa 10 Jul 1960`,
/// `circa 1958-1960`, `1962 to 1965`, `01 Jan 1960 to 31 Dec 1962`.
pub(crate) fn parse_ofac_birth_date(text: &str) -> Option<BirthDate> {
    let text = text.trim();
    if let Some(rest) = strip_prefix_ci(text, "circa ") {
        return match parse_ofac_birth_date(rest)? {
            BirthDate::Exact(d) => Some(BirthDate::Circa(d)),
            range => Some(range),
        };
    }
    let range = text.split_once(" to ").or_else(|| {
        text.split_once('-')
            .filter(|(a, b)| a.len() == 4 && b.len() == 4)
    });
    if let Some((from, to)) = range {
        return Some(BirthDate::between(
            parse_ofac_date(from)?,
            parse_ofac_date(to)?,
        ));
    }
    parse_ofac_date(text).map(BirthDate::Exact)
}

/// `10 Mar 1957`, `Mar 1957` or `1957`.
fn parse_ofac_date(text: &str) -> Option<PartialDate> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let month = |m: &str| {
        let m = m.trim_end_matches('.').to_ascii_lowercase();
        let short = m
            .get(..3)
            .filter(|_| m.bytes().all(|b| b.is_ascii_alphabetic()))?;
        MONTHS
            .iter()
            .position(|name| *name == short)
            .map(|k| k as u8 + 1)
    };
    let year = |y: &str| (y.len() == 4).then(|| y.parse::<u16>().ok()).flatten();
    match parts.as_slice() {
        [y] => PartialDate::new(year(y)?, None, None),
        [m, y] => PartialDate::new(year(y)?, Some(month(m)?), None),
        [d, m, y] => PartialDate::new(year(y)?, Some(month(m)?), Some(d.parse().ok()?)),
        _ => None,
    }
}

/// Adds one `alt.csv` alias to its entry.
fn apply_alias(
    path: &Path,
    line: u64,
    fields: &[&str],
    entries: &mut [Entry],
    by_ent_num: &HashMap<String, usize>,
    warnings: &mut Vec<String>,
) -> u64 {
    let at = || format!("{}:{line}", path.display());
    if fields.len() < ALT_COLUMNS {
        warnings.push(format!(
            "{at}: expected {ALT_COLUMNS}+ columns (ent_num, alt_num, alt_type, alt_name), found {}; alias skipped",
            fields.len(),
            at = at()
        ));
        return 0;
    }
    let Some(&index) = by_ent_num.get(fields[0]) else {
        warnings.push(format!(
            "{at}: alias for ent_num {:?}, which sdn.csv does not list; alias skipped",
            fields[0],
            at = at()
        ));
        return 0;
    };
    let Some(name) = value(fields[3]) else {
        warnings.push(format!(
            "{at}: expected an alias name in column 4; alias skipped",
            at = at()
        ));
        return 0;
    };
    let kind = match value(fields[2]).map(|t| t.to_lowercase()).as_deref() {
        Some("fka") => NameKind::Fka,
        Some("nka") => NameKind::Nka,
        Some("aka") => NameKind::Aka,
        other => {
            warnings.push(format!(
                "{at}: expected alias type aka, fka or nka, found {other:?}; kept as aka",
                at = at()
            ));
            NameKind::Aka
        }
    };
    entries[index].names.push(ListedName { text: name, kind });
    1
}

/// Adds the country of one `add.csv` address to its entry.
fn apply_address(
    path: &Path,
    line: u64,
    fields: &[&str],
    entries: &mut [Entry],
    by_ent_num: &HashMap<String, usize>,
    warnings: &mut Vec<String>,
) -> u64 {
    let at = || format!("{}:{line}", path.display());
    if fields.len() < ADD_COLUMNS {
        warnings.push(format!(
            "{at}: expected {ADD_COLUMNS}+ columns (ent_num, add_num, address, city, country), found {}; address skipped",
            fields.len(),
            at = at()
        ));
        return 0;
    }
    let Some(&index) = by_ent_num.get(fields[0]) else {
        warnings.push(format!(
            "{at}: address for ent_num {:?}, which sdn.csv does not list; address skipped",
            fields[0],
            at = at()
        ));
        return 0;
    };
    if let Some(country) = value(fields[4]) {
        if !entries[index].countries.contains(&country) {
            entries[index].countries.push(country);
        }
    }
    0
}

/// Reads a companion file and applies each row with `apply` (which returns names added).
fn read_companion(
    path: &Path,
    format: &str,
    mut apply: impl FnMut(u64, &[&str], &mut [Entry], &mut Vec<String>) -> u64,
    entries: &mut [Entry],
) -> Result<SourceInfo, WatchlistError> {
    let bytes = std::fs::read(path).map_err(|e| WatchlistError::io(path, e))?;
    let text = super::text_of(&bytes);
    let mut warnings = Vec::new();
    let mut names = 0;
    for_each_record(path, &text, |line, fields| {
        names += apply(line, fields, entries, &mut warnings);
    })?;
    Ok(SourceInfo {
        path: path.display().to_string(),
        sha256: sha256_hex(&bytes),
        list: LIST_NAME.to_string(),
        format: format.to_string(),
        entries: 0,
        names,
        warnings,
    })
}

/// The companion file `name` in the folder of `sdn`, matched case-insensitively.
fn companion(sdn: &Path, name: &str) -> Option<PathBuf> {
    let folder = sdn.parent().filter(|p| !p.as_os_str().is_empty())?;
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(name))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// Calls `visit(line, fields)` for each data row of an OFAC CSV, with its 1-based line number
/// and its fields trimmed, without the EOF byte (the fields borrow one reused record).
fn for_each_record(
    path: &Path,
    text: &str,
    mut visit: impl FnMut(u64, &[&str]),
) -> Result<(), WatchlistError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = LineCounter::new(text);
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader
            .read_record(&mut record)
            .map_err(|e| WatchlistError::Malformed {
                path: path.to_path_buf(),
                line: e.position().map_or(0, |p| p.line()),
                format: FORMAT,
                message: format!("{e}; expected comma-separated, double-quoted fields"),
            })?;
        if !more {
            return Ok(());
        }
        let line = record
            .position()
            .map_or(0, |p| lines.record_line_at(p.byte() as usize));
        let fields: Vec<&str> = record
            .iter()
            .map(|f| f.trim_matches(|c: char| c.is_whitespace() || c == '\u{1a}'))
            .collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        visit(line, &fields);
    }
}

/// A field's value, or `None` for OFAC's empty marker `-0-` and blank fields.
fn value(field: &str) -> Option<String> {
    let v = field.trim();
    (!v.is_empty() && v != "-0-").then(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> PartialDate {
        PartialDate::parse(text).unwrap()
    }

    #[test]
    fn ofac_dates_of_birth_read_every_form_the_list_uses() {
        let exact = |t: &str| Some(BirthDate::Exact(date(t)));
        assert_eq!(parse_ofac_birth_date("10 Mar 1957"), exact("1957-03-10"));
        assert_eq!(parse_ofac_birth_date("Mar 1957"), exact("1957-03"));
        assert_eq!(parse_ofac_birth_date("1957"), exact("1957"));
        assert_eq!(
            parse_ofac_birth_date("circa 1965"),
            Some(BirthDate::Circa(date("1965")))
        );
        assert_eq!(
            parse_ofac_birth_date("circa 10 Jul 1960"),
            Some(BirthDate::Circa(date("1960-07-10")))
        );
        assert_eq!(
            parse_ofac_birth_date("1962 to 1965"),
            Some(BirthDate::Between(date("1962"), date("1965")))
        );
        assert_eq!(
            parse_ofac_birth_date("circa 1958-1960"),
            Some(BirthDate::Between(date("1958"), date("1960")))
        );
        assert_eq!(
            parse_ofac_birth_date("01 Jan 1960 to 31 Dec 1962"),
            Some(BirthDate::Between(date("1960-01-01"), date("1962-12-31")))
        );
        assert_eq!(
            parse_ofac_birth_date("01 Jan 1960 to 01 Jan 1960"),
            exact("1960-01-01")
        );
        for bad in [
            "sometime",
            "31 Feb 1960",
            "10 Foo 1957",
            "57",
            "Mär 1957",
            "",
        ] {
            assert_eq!(parse_ofac_birth_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ofac_documents_keep_kind_normalised_number_and_country() {
        let doc = parse_ofac_document("Passport A-123.456 (Iraq) issued 2001").unwrap();
        assert_eq!(
            (doc.kind, doc.number.as_str(), doc.country.as_deref()),
            (IdKind::Passport, "A123456", Some("IQ"))
        );
        let doc = parse_ofac_document("National ID No. 050 796 318 3954").unwrap();
        assert_eq!(
            (doc.kind, doc.number.as_str(), doc.country),
            (IdKind::NationalId, "0507963183954", None)
        );
        let doc =
            parse_ofac_document("Identification Number AO 2879097 (Italy) expires 30 Oct 2012")
                .unwrap();
        assert_eq!(
            (doc.number.as_str(), doc.country.as_deref()),
            ("AO2879097", Some("IT"))
        );
        assert_eq!(parse_ofac_document("Passport 12 (Spain)"), None);
        assert_eq!(parse_ofac_document("POB Riyadh, Saudi Arabia"), None);
    }
}
