//! OFAC SDN legacy CSV: `sdn.csv` plus the companion `alt.csv` (aliases) and `add.csv` (addresses).
//!
//! No header; `-0-` (often followed by a space) means empty; the file may end with a DOS
//! end-of-file byte (0x1A). Individuals are written `SURNAME, Given Names`.

use super::{sha256_hex, split_csv_line, split_list, LineCounter, Parsed};
use crate::watchlist::entry::{Entry, ListedName, NameKind, SourceInfo};
use crate::watchlist::error::WatchlistError;
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
    Some(Entry {
        list: LIST_NAME.to_string(),
        id: ent_num.to_string(),
        entry_type,
        programs,
        countries,
        names: vec![ListedName {
            text: name,
            kind: NameKind::Primary,
        }],
    })
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
