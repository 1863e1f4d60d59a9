//! Reading names to screen and writing hits.

use super::error::WatchlistError;
use super::facts::{country_code, PartialDate};
use super::screener::{Hit, PartyQuery};
use crate::output::spreadsheet_safe;
use std::io::Write;
use std::path::Path;

/// Reads the names to screen: a CSV whose header has a `name` column (any case), or else one
/// name per line. Blank names are skipped; the rest are returned as written (trimmed), in file
/// order, repeats included. A file without any name is an error.
pub fn read_names_file(path: &Path) -> Result<Vec<String>, WatchlistError> {
    let bytes = std::fs::read(path).map_err(|e| WatchlistError::io(path, e))?;
    let text = super::load::text_of(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let first_line = text.lines().next().unwrap_or_default();
    let names = match name_column(first_line) {
        Some(column) => names_from_csv(path, text, column)?,
        None => text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    };
    if names.is_empty() {
        return Err(WatchlistError::Empty {
            path: path.to_path_buf(),
            line: super::load::count_lines(text),
            what: "names",
        });
    }
    Ok(names)
}

/// The index of the `name` column when `line` is a CSV header that has one.
fn name_column(line: &str) -> Option<usize> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    let header = reader.records().next()?.ok()?;
    if header.len() < 2 && !header.get(0)?.trim().eq_ignore_ascii_case("name") {
        return None;
    }
    header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case("name"))
}

/// A names file's record that the CSV reader could not read, with its line.
fn malformed_names_csv(path: &Path, e: &csv::Error) -> WatchlistError {
    WatchlistError::Malformed {
        path: path.to_path_buf(),
        line: e.position().map_or(0, |p| p.line()),
        format: "names CSV",
        message: format!("{e}; expected comma-separated fields with a `name` column"),
    }
}

fn names_from_csv(path: &Path, text: &str, column: usize) -> Result<Vec<String>, WatchlistError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut names = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| malformed_names_csv(path, &e))?;
        if let Some(name) = record.get(column).map(str::trim).filter(|n| !n.is_empty()) {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

/// Reads the parties to screen: [`read_names_file`], plus the optional CSV columns
/// `birth_date` (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`), `nationality` (an ISO 3166 code or an
/// English country name) and `id_numbers` (`;`-separated). A value that cannot be read is an
/// error naming the file, line and column; blank cells are unknown facts. Rows without a name
/// are skipped.
pub fn read_parties_file(path: &Path) -> Result<Vec<PartyQuery>, WatchlistError> {
    let bytes = std::fs::read(path).map_err(|e| WatchlistError::io(path, e))?;
    let text = super::load::text_of(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let first_line = text.lines().next().unwrap_or_default();
    let Some(name_col) = name_column(first_line) else {
        return Ok(read_names_file(path)?
            .into_iter()
            .map(PartyQuery::name)
            .collect());
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| WatchlistError::Malformed {
            path: path.to_path_buf(),
            line: 1,
            format: "names CSV",
            message: format!("{e}; expected a header row"),
        })?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (birth_col, nationality_col, ids_col) = (
        column("birth_date"),
        column("nationality"),
        column("id_numbers"),
    );
    let mut lines = super::load::LineCounter::new(text);
    let mut parties = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| malformed_names_csv(path, &e))?;
        let line = record
            .position()
            .map_or(0, |p| lines.record_line_at(p.byte() as usize));
        let cell = |col: Option<usize>| col.and_then(|c| record.get(c)).map_or("", str::trim);
        let name = cell(Some(name_col));
        if name.is_empty() {
            continue;
        }
        let bad = |column: &'static str, message: String| WatchlistError::BadValue {
            path: path.to_path_buf(),
            line,
            column,
            message,
        };
        let birth = cell(birth_col);
        let birth_date = if birth.is_empty() {
            None
        } else {
            Some(PartialDate::parse(birth).map_err(|e| bad("birth_date", e))?)
        };
        let country = cell(nationality_col);
        let nationality = if country.is_empty() {
            None
        } else {
            let code = country_code(country).ok_or_else(|| {
                bad(
                    "nationality",
                    format!(
                        "expected an ISO 3166 code or an English country name, found {country:?}"
                    ),
                )
            })?;
            Some(code.to_string())
        };
        let mut id_numbers = Vec::new();
        for number in super::load::split_list(cell(ids_col), ';') {
            let normal = super::facts::normalize_id(super::facts::split_id_kind(&number).1);
            if !super::facts::is_matchable_id(&normal) {
                return Err(bad(
                    "id_numbers",
                    format!("expected identity numbers of at least {} letters and digits with a digit, `;`-separated, found {number:?}", super::facts::MIN_ID_CHARS),
                ));
            }
            id_numbers.push(number);
        }
        parties.push(PartyQuery {
            name: name.to_string(),
            birth_date,
            nationality,
            id_numbers,
        });
    }
    if parties.is_empty() {
        return Err(WatchlistError::Empty {
            path: path.to_path_buf(),
            line: super::load::count_lines(text),
            what: "names",
        });
    }
    Ok(parties)
}

/// Writes hits as CSV with the header `query,list,entry_id,matched_name,score,explanation`;
/// the query exactly as given, the score with 4 decimals. Text cells pass
/// [`spreadsheet_safe`](crate::output::spreadsheet_safe).
pub fn write_hits_csv(w: impl Write, rows: &[(String, Hit)]) -> Result<(), WatchlistError> {
    let failed = |e: csv::Error| WatchlistError::Write {
        what: "hits CSV",
        source: e,
    };
    let mut writer = csv::Writer::from_writer(w);
    writer
        .write_record([
            "query",
            "list",
            "entry_id",
            "matched_name",
            "score",
            "explanation",
        ])
        .map_err(failed)?;
    for (query, hit) in rows {
        writer
            .write_record([
                &*spreadsheet_safe(query),
                &spreadsheet_safe(&hit.list),
                &spreadsheet_safe(&hit.entry_id),
                &spreadsheet_safe(&hit.matched_name),
                &format!("{:.4}", hit.score),
                &spreadsheet_safe(&hit.explanation),
            ])
            .map_err(failed)?;
    }
    writer.flush().map_err(|e| WatchlistError::Write {
        what: "hits CSV",
        source: e.into(),
    })
}
