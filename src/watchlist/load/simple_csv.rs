//! A simple CSV list: a header with `name` and optionally `id`, `list`, `type`, `aliases`
//! (aliases separated by `;`), `birth_date` (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`), `nationality`
//! (codes or English names, `;`-separated) and `id_numbers` (`;`-separated). Column names are
//! matched case-insensitively; an unreadable date or country is a warning and left out.

use super::{split_csv_line, split_list, LineCounter, Parsed};
use crate::watchlist::entry::{Entry, ListedName, NameKind};
use crate::watchlist::error::WatchlistError;
use crate::watchlist::facts::{
    country_code, is_matchable_id, normalize_id, BirthDate, IdDocument, IdKind, PartialDate,
};
use std::path::Path;

/// Whether a first line is a header naming a `name` column.
pub(crate) fn looks_like_header(line: &str) -> bool {
    split_csv_line(line)
        .iter()
        .any(|c| c.eq_ignore_ascii_case("name"))
}

/// Parses the rows; a row without a name is skipped with a warning.
pub(crate) fn parse(path: &Path, text: &str, default_list: &str) -> Result<Parsed, WatchlistError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let malformed = |line: u64, message: String| WatchlistError::Malformed {
        path: path.to_path_buf(),
        line,
        format: "simple CSV",
        message,
    };
    let headers = reader
        .headers()
        .map_err(|e| malformed(1, format!("{e}; expected a header row")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let Some(name_col) = column("name") else {
        return Err(WatchlistError::MissingColumn {
            path: path.to_path_buf(),
            line: 1,
            column: "name".to_string(),
            expected: "`name` and optionally `id`, `list`, `type`, `aliases`".to_string(),
        });
    };
    let (id_col, list_col, type_col, aliases_col) = (
        column("id"),
        column("list"),
        column("type"),
        column("aliases"),
    );
    let (birth_col, nationality_col, ids_col) = (
        column("birth_date"),
        column("nationality"),
        column("id_numbers"),
    );
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut lines = LineCounter::new(text);
    for result in reader.records() {
        let record = result.map_err(|e| {
            malformed(
                e.position().map_or(0, |p| p.line()),
                format!("{e}; expected comma-separated fields"),
            )
        })?;
        let line = record
            .position()
            .map_or(0, |p| lines.record_line_at(p.byte() as usize));
        let field = |col: Option<usize>| {
            col.and_then(|c| record.get(c))
                .map(str::trim)
                .unwrap_or_default()
                .to_string()
        };
        let name = field(Some(name_col));
        if name.is_empty() {
            if record.iter().any(|f| !f.trim().is_empty()) {
                warnings.push(format!(
                    "{}:{line}: expected a value in column `name`, found none; row skipped",
                    path.display()
                ));
            }
            continue;
        }
        let mut names = vec![ListedName {
            text: name,
            kind: NameKind::Primary,
        }];
        for alias in split_list(&field(aliases_col), ';') {
            names.push(ListedName {
                text: alias,
                kind: NameKind::Aka,
            });
        }
        let id = Some(field(id_col))
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| format!("row-{line}"));
        let list = Some(field(list_col))
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| default_list.to_string());
        let entry_type = Some(field(type_col).to_lowercase())
            .filter(|t| !t.is_empty())
            .map(|t| {
                if t == "person" {
                    "individual".to_string()
                } else {
                    t
                }
            })
            .unwrap_or_else(|| "unknown".to_string());
        let at = format!("{}:{line}", path.display());
        let mut entry = Entry {
            list,
            id,
            entry_type,
            programs: String::new(),
            countries: Vec::new(),
            names,
            ..Entry::default()
        };
        for text in split_list(&field(birth_col), ';') {
            match PartialDate::parse(&text) {
                Ok(date) => entry.birth_dates.push(BirthDate::Exact(date)),
                Err(e) => warnings.push(format!("{at}: column `birth_date`: {e}; skipped")),
            }
        }
        for text in split_list(&field(nationality_col), ';') {
            match country_code(&text) {
                Some(code) if !entry.nationalities.iter().any(|c| c == code) => {
                    entry.nationalities.push(code.to_string())
                }
                Some(_) => {}
                None => warnings.push(format!(
                    "{at}: column `nationality`: {text:?} is neither an ISO 3166 code nor a known English country name; skipped"
                )),
            }
        }
        for text in split_list(&field(ids_col), ';') {
            let number = normalize_id(&text);
            if is_matchable_id(&number) {
                entry.documents.push(IdDocument {
                    kind: IdKind::Other,
                    number,
                    country: None,
                });
            } else {
                warnings.push(format!(
                    "{at}: column `id_numbers`: {text:?} has fewer than 5 letters and digits or no digit; skipped"
                ));
            }
        }
        entries.push(entry);
    }
    Ok(Parsed::new(entries, warnings))
}
