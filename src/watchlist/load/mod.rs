//! Reading watchlist files: format detection, folders, digests and warnings.
//!
//! Four formats are recognised from their content, not their names:
//! - OFAC SDN legacy CSV (`sdn.csv`, no header, 12 columns), with `alt.csv` and `add.csv` read
//!   from the same folder when present;
//! - the UN Security Council consolidated list XML (`<CONSOLIDATED_LIST>`);
//! - OpenSanctions FollowTheMoney entities, one JSON object a line;
//! - a simple CSV with a header holding `name` and optionally `id`, `list`, `type`, `aliases`.

mod ftm;
mod ofac;
mod simple_csv;
mod un_xml;

use super::entry::{Entry, SourceInfo, WatchlistSet};
use super::error::WatchlistError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Loads every list named in `paths` (files or folders) into one set.
///
/// A folder contributes every recognised list directly inside it, sorted by file name; `alt.csv`
/// and `add.csv` are read only as companions of an `sdn.csv`. A malformed entry is skipped and
/// recorded as a warning in its [`SourceInfo`]; a file that is unreadable, structurally broken or
/// holds no entry at all is an error.
pub fn load_watchlists(paths: &[PathBuf]) -> Result<WatchlistSet, WatchlistError> {
    let mut set = WatchlistSet::default();
    for path in paths {
        if path.is_dir() {
            let files = list_folder(path)?;
            if files.is_empty() {
                return Err(WatchlistError::Empty {
                    path: path.clone(),
                    line: 0,
                    what: "recognised watchlist files (.csv, .xml, .json, .jsonl)",
                });
            }
            for file in files {
                load_file(&file, &mut set)?;
            }
        } else {
            load_file(path, &mut set)?;
        }
    }
    Ok(set)
}

/// What one parser returns for one file.
pub(crate) struct Parsed {
    pub entries: Vec<Entry>,
    pub warnings: Vec<String>,
    /// Records for companion files read along (OFAC `alt.csv`, `add.csv`).
    pub companions: Vec<SourceInfo>,
}

impl Parsed {
    /// A result without companion files.
    pub fn new(entries: Vec<Entry>, warnings: Vec<String>) -> Parsed {
        Parsed {
            entries,
            warnings,
            companions: Vec::new(),
        }
    }
}

/// The files of `folder` that may be lists, sorted by name, without OFAC companion files.
fn list_folder(folder: &Path) -> Result<Vec<PathBuf>, WatchlistError> {
    let reader = std::fs::read_dir(folder).map_err(|e| WatchlistError::io(folder, e))?;
    let mut files = Vec::new();
    for item in reader {
        let path = item.map_err(|e| WatchlistError::io(folder, e))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let is_list = [".csv", ".xml", ".json", ".jsonl", ".ndjson"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if path.is_file() && is_list && !ofac::is_companion_file_name(&name) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The formats [`detect_format`] knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    OfacCsv,
    UnXml,
    FtmJsonLines,
    SimpleCsv,
}

const EXPECTED_FORMATS: &str = "OFAC SDN legacy CSV, UN consolidated XML, \
    OpenSanctions FtM JSON lines, or a CSV with a `name` header";

/// Reads, digests, parses and appends one file (and, for OFAC, its companions).
fn load_file(path: &Path, set: &mut WatchlistSet) -> Result<(), WatchlistError> {
    let bytes = std::fs::read(path).map_err(|e| WatchlistError::io(path, e))?;
    let text = text_of(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let (format, list, parsed) = match detect_format(path, text)? {
        Format::OfacCsv => {
            let loaded = ofac::load(path, text)?;
            ("OFAC legacy CSV", ofac::LIST_NAME.to_string(), loaded)
        }
        Format::UnXml => (
            "UN XML",
            un_xml::LIST_NAME.to_string(),
            un_xml::parse(path, text)?,
        ),
        Format::FtmJsonLines => (
            "FtM JSON lines",
            ftm::LIST_NAME.to_string(),
            ftm::parse(path, text)?,
        ),
        Format::SimpleCsv => {
            let default_list = default_list_name(path);
            let parsed = simple_csv::parse(path, text, &default_list)?;
            ("simple CSV", default_list, parsed)
        }
    };
    if parsed.entries.is_empty() {
        return Err(WatchlistError::Empty {
            path: path.to_path_buf(),
            line: count_lines(text),
            what: "watchlist entries",
        });
    }
    let names = parsed.entries.iter().map(|e| e.names.len() as u64).sum();
    let list = parsed
        .entries
        .first()
        .map_or(list, |first| first.list.clone());
    set.sources.push(SourceInfo {
        path: path.display().to_string(),
        sha256: sha256_hex(&bytes),
        list,
        format: format.to_string(),
        entries: parsed.entries.len() as u64,
        names,
        warnings: parsed.warnings,
    });
    set.sources.extend(parsed.companions);
    set.entries.extend(parsed.entries);
    Ok(())
}

/// Decides the format from the first meaningful characters and line.
fn detect_format(path: &Path, text: &str) -> Result<Format, WatchlistError> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(WatchlistError::Empty {
            path: path.to_path_buf(),
            line: count_lines(text),
            what: "watchlist entries",
        });
    }
    let first_line_no = line_of_offset(text, text.len() - trimmed.len());
    if trimmed.starts_with('<') {
        return Ok(Format::UnXml);
    }
    if trimmed.starts_with('{') {
        return Ok(Format::FtmJsonLines);
    }
    let first_line = trimmed.lines().next().unwrap_or_default();
    if simple_csv::looks_like_header(first_line) {
        return Ok(Format::SimpleCsv);
    }
    if ofac::looks_like_sdn_row(first_line) {
        return Ok(Format::OfacCsv);
    }
    Err(WatchlistError::UnknownFormat {
        path: path.to_path_buf(),
        line: first_line_no,
        expected: EXPECTED_FORMATS.to_string(),
    })
}

/// The file stem, upper-cased, as the list name of a simple CSV without a `list` column.
fn default_list_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().to_uppercase())
        .unwrap_or_else(|| "LIST".to_string())
}

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Number of lines in `text` (a final line without a newline counts).
pub(crate) fn count_lines(text: &str) -> u64 {
    count_newlines(text.as_bytes()) + u64::from(!text.is_empty() && !text.ends_with('\n'))
}

/// A file's bytes as text: borrowed when they are valid UTF-8 (checked by the fast validator),
/// else with each undecodable sequence replaced by U+FFFD.
pub(crate) fn text_of(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The 1-based line holding byte `offset` of `text`.
pub(crate) fn line_of_offset(text: &str, offset: usize) -> u64 {
    let end = offset.min(text.len());
    1 + count_newlines(&text.as_bytes()[..end])
}

/// Number of `\n` bytes in `bytes`, counted in blocks whose 32-bit sums the compiler turns
/// into vector instructions (a byte-by-byte `filter().count()` ran at about 1 GB/s).
pub(crate) fn count_newlines(bytes: &[u8]) -> u64 {
    bytes
        .chunks(1 << 16)
        .map(|block| u64::from(block.iter().map(|&b| u32::from(b == b'\n')).sum::<u32>()))
        .sum()
}

/// Finds 1-based line numbers of increasing byte offsets in one pass over the text.
pub(crate) struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    /// A counter at the start of `text`.
    pub fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of the CSV record starting at `offset` (the csv crate may point at the `\n`
    /// that ends the previous line's `\r\n`).
    pub fn record_line_at(&mut self, offset: usize) -> u64 {
        let mut offset = offset.min(self.text.len());
        while offset < self.text.len() && matches!(self.text[offset], b'\r' | b'\n') {
            offset += 1;
        }
        self.line_at(offset)
    }

    /// The line of byte `offset`; offsets before the last one asked for restart the count.
    pub fn line_at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            (self.offset, self.line) = (0, 1);
        }
        self.line += count_newlines(&self.text[self.offset..offset]);
        self.offset = offset;
        self.line
    }
}

/// Splits an optional text into trimmed, non-empty parts on `separator`.
pub(crate) fn split_list(text: &str, separator: char) -> Vec<String> {
    text.split(separator)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Splits one CSV line into trimmed fields (for format detection).
pub(crate) fn split_csv_line(line: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    reader
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(|f| f.trim().to_string()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_are_counted_across_blocks() {
        // 70,000 lines cross the 64 KiB blocks that are summed separately
        let text = "a\n".repeat(70_000) + "b\r\nc";
        assert_eq!(count_newlines(text.as_bytes()), 70_001);
        assert_eq!(count_lines(&text), 70_002);
        assert_eq!(line_of_offset(&text, text.len()), 70_002);
        let mut lines = LineCounter::new(&text);
        assert_eq!(lines.line_at(2 * 65_536 + 1), 65_537);
        assert_eq!(lines.line_at(text.len()), 70_002);
    }
}
