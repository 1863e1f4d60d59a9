//! Mapping profiles: TOML files that adapt a foreign file layout to the canonical schema.
//!
//! ```toml
//! name = "ibm-amlworld"
//! description = "IBM AMLworld synthetic transactions"
//! timestamp_format = "%Y/%m/%d %H:%M"
//! timezone = "+00:00"
//! txn_id = { generate = "row" }
//!
//! [columns]
//! timestamp = "Timestamp"
//! orig_account = { concat = [2, 3], separator = "-" }   # From Bank + first "Account"
//! amount = "Amount Paid"
//!
//! [constants]
//! orig_country = ""
//!
//! [values.channel]
//! "Credit Card" = "CARD"
//! ```

use super::IngestError;
use crate::model::Channel;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

pub use crate::model::CANONICAL_COLUMNS;

/// Canonical columns that every input must provide.
pub const REQUIRED_COLUMNS: [&str; 5] = ["txn_id", "timestamp", "amount", "currency", "channel"];

/// A column of the source file: by header name, or by 1-based position where a header repeats.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum SourceColumn {
    /// A 1-based column position (`3` is the third column).
    Position(usize),
    /// A header name, matched exactly and then case-insensitively.
    Name(String),
}

/// Where a canonical column's value comes from.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ColumnSpec {
    /// `orig_account = "Account"`
    Name(String),
    /// `orig_account = { position = 3 }`
    Position(PositionSpec),
    /// `orig_account = { concat = ["From Bank", 3], separator = "-" }`
    Concat(ConcatSpec),
}

/// `{ position = 3 }`: a column by 1-based position.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PositionSpec {
    /// 1-based column position.
    pub position: usize,
}

/// `{ concat = [...], separator = "-" }`: columns joined.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConcatSpec {
    /// The columns joined, in order.
    pub concat: Vec<SourceColumn>,
    /// What goes between them.
    #[serde(default)]
    pub separator: String,
}

/// How transaction ids are produced when the source has none.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GeneratedId {
    /// Only `"row"` is supported: the id is `<file stem>-<data row number>`.
    pub generate: String,
}

/// A parsed mapping profile.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingProfile {
    /// Short name of the profile.
    pub name: String,
    /// What layout it reads.
    #[serde(default)]
    pub description: String,
    /// A chrono `strftime` pattern for the timestamp column; ISO 8601 when absent.
    #[serde(default)]
    pub timestamp_format: Option<String>,
    /// UTC offset of timestamps that carry none (`-05:00` for Jamaica); UTC when absent.
    #[serde(default)]
    pub timezone: Option<String>,
    /// CSV delimiter, one ASCII character; overridden by `--delimiter`.
    #[serde(default)]
    pub delimiter: Option<char>,
    /// Synthesise `txn_id` from the file name and row number.
    #[serde(default)]
    pub txn_id: Option<GeneratedId>,
    /// Canonical column → source column(s).
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnSpec>,
    /// Canonical column → a constant value for every row.
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// Canonical column → (source value → canonical value). Matching is exact, then
    /// case-insensitive; values not listed pass through unchanged.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

impl MappingProfile {
    /// Reads and checks a profile. Unknown keys, unknown canonical columns and value maps that
    /// produce an unknown channel are errors naming the file and line.
    pub fn load(path: &Path) -> Result<MappingProfile, IngestError> {
        Self::load_for(path, &CANONICAL_COLUMNS)
    }

    /// [`MappingProfile::load`] for a file of another canonical schema (`columns`: a customer
    /// file's, say); channel maps are checked only where the schema has a channel.
    pub fn load_for(path: &Path, columns: &[&str]) -> Result<MappingProfile, IngestError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| IngestError::unreadable(path.display().to_string(), e))?;
        let profile: MappingProfile =
            toml::from_str(&text).map_err(|e| IngestError::BadProfile {
                file: path.display().to_string(),
                line: e.span().map(|s| line_of(&text, s.start)).unwrap_or(0),
                message: toml_message(&e, &text),
            })?;
        profile.check(path, &text, columns)?;
        Ok(profile)
    }

    fn check(&self, path: &Path, text: &str, columns: &[&str]) -> Result<(), IngestError> {
        let bad = |key: &str, message: String| IngestError::BadProfile {
            file: path.display().to_string(),
            line: key_line(text, key)
                .or_else(|| text.find(key).map(|offset| line_of(text, offset)))
                .unwrap_or(0),
            message,
        };
        let known = |c: &str| columns.contains(&c);
        let sections = [
            ("columns", self.columns.keys().collect::<Vec<_>>()),
            ("constants", self.constants.keys().collect()),
            ("values", self.values.keys().collect()),
        ];
        for (section, keys) in sections {
            for key in keys {
                if !known(key) {
                    return Err(IngestError::BadProfile {
                        file: path.display().to_string(),
                        line: key_line_in(text, Some(section), key).unwrap_or(0),
                        message: format!(
                            "[{section}] names unknown column `{key}`; expected one of {}",
                            columns.join(", ")
                        ),
                    });
                }
            }
        }
        if let Some(id) = &self.txn_id {
            if id.generate != "row" {
                return Err(bad("generate", "txn_id.generate must be \"row\"".into()));
            }
        }
        if let Some(map) = self.values.get("channel") {
            for (from, to) in map {
                if Channel::parse(to).is_none() {
                    return Err(bad(
                        from,
                        format!("channel `{from}` maps to `{to}`, which is not a channel; expected one of CASH, WIRE, ACH, CHEQUE, CARD, MOBILE, CRYPTO, INTERNAL, OTHER"),
                    ));
                }
            }
        }
        if let Some(d) = self.delimiter {
            if !d.is_ascii() {
                return Err(bad(
                    "delimiter",
                    format!("delimiter `{d}` must be one ASCII character"),
                ));
            }
        }
        if let Some(pattern) = &self.timestamp_format {
            if let Err(why) = super::timestamp::check_pattern(pattern) {
                return Err(bad(
                    "timestamp_format",
                    format!("timestamp_format `{pattern}`: {why}; expected a strftime pattern with a date, such as \"%d/%m/%Y %H:%M\""),
                ));
            }
        }
        if let Some(tz) = &self.timezone {
            if super::timestamp::parse_utc_offset(tz).is_none() {
                return Err(bad(
                    "timezone",
                    format!("timezone `{tz}` is not an offset such as -05:00"),
                ));
            }
        }
        for spec in self.columns.values() {
            let positions: Vec<usize> = match spec {
                ColumnSpec::Position(PositionSpec { position }) => vec![*position],
                ColumnSpec::Concat(ConcatSpec { concat, .. }) => concat
                    .iter()
                    .filter_map(|c| match c {
                        SourceColumn::Position(p) => Some(*p),
                        SourceColumn::Name(_) => None,
                    })
                    .collect(),
                ColumnSpec::Name(_) => vec![],
            };
            if positions.contains(&0) {
                return Err(bad("position", "column positions start at 1".into()));
            }
        }
        Ok(())
    }

    /// Looks a value up in the profile's map for `column`, exactly and then ignoring case.
    pub fn map_value<'a>(&'a self, column: &str, value: &'a str) -> &'a str {
        let Some(map) = self.values.get(column) else {
            return value;
        };
        if let Some(v) = map.get(value) {
            return v;
        }
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(value))
            .map_or(value, |(_, v)| v.as_str())
    }
}

/// 1-based line of the first line that sets `key` (`key = …`, `"key" = …`) or opens a table
/// named by it (`[values.key]`).
fn key_line(text: &str, key: &str) -> Option<usize> {
    key_line_in(text, None, key)
}

/// [`key_line`] restricted to the lines of one `[section]` (its sub-tables included).
fn key_line_in(text: &str, section: Option<&str>, key: &str) -> Option<usize> {
    let mut inside = section.is_none();
    text.lines()
        .position(|line| {
            let t = line.trim_start();
            if let (Some(section), true) = (section, t.starts_with('[')) {
                let name = t.trim_end().trim_start_matches('[').trim_end_matches(']');
                inside = name == section || name.starts_with(&format!("{section}."));
            }
            let rest = t
                .strip_prefix(key)
                .or_else(|| t.strip_prefix(&format!("\"{key}\"")));
            inside
                && (rest.is_some_and(|r| r.trim_start().starts_with('='))
                    || (t.starts_with('[') && t.trim_end().ends_with(&format!(".{key}]"))))
        })
        .map(|i| i + 1)
}

/// What a TOML error says, or, where the parser says nothing (a file that ends after `key =`,
/// a NUL byte), what it stopped at.
pub(crate) fn toml_message(e: &toml::de::Error, text: &str) -> String {
    let message = e.message().trim();
    if !message.is_empty() {
        return message.to_string();
    }
    let at = e.span().map_or(text.len(), |s| s.start);
    match text.get(at..).and_then(|rest| rest.chars().next()) {
        None => "the file ends where a value was expected".to_string(),
        Some(c) => format!("unexpected character {c:?}; expected TOML"),
    }
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}
