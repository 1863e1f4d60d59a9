//! Reading names to screen and writing hits.

use super::error::WatchlistError;
use super::screener::Hit;
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

fn names_from_csv(path: &Path, text: &str, column: usize) -> Result<Vec<String>, WatchlistError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut names = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| WatchlistError::Malformed {
            path: path.to_path_buf(),
            line: e.position().map_or(0, |p| p.line()),
            format: "names CSV",
            message: format!("{e}; expected comma-separated fields with a `name` column"),
        })?;
        if let Some(name) = record.get(column).map(str::trim).filter(|n| !n.is_empty()) {
            names.push(name.to_string());
        }
    }
    Ok(names)
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
