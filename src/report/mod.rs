//! Outputs for people and regulators: the self-contained HTML report ([`html`]) and goAML XML
//! reports for the financial intelligence unit ([`goaml`]).

pub mod escape;
pub mod goaml;
pub mod html;

pub use goaml::{export_goaml, load_goaml_profile, GoamlExport, GoamlProfile};
pub use html::{render_html, write_html};

use crate::cases::Case;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// Why a report input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A line of `cases.jsonl` is not a case.
    #[error("{path}:{line}: expected one case as a JSON object: {message}")]
    CaseLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What the JSON parser expected there.
        message: String,
    },
    /// The goAML profile is not valid TOML or has a field of the wrong type.
    #[error("{path}: invalid goAML profile: {message}")]
    ProfileSyntax {
        /// The profile file.
        path: PathBuf,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// A goAML profile field has a value the schema does not accept.
    #[error("{path}: goAML profile field `{field}`: expected {expected}, found {found:?}")]
    ProfileField {
        /// The profile file.
        path: PathBuf,
        /// The field, as a TOML key path (`indicators.structuring`).
        field: String,
        /// What the schema accepts there.
        expected: String,
        /// The value found.
        found: String,
    },
    /// The schema a goAML profile names cannot be used to check its codes: it lies outside the
    /// profile's folder, cannot be read, is not an XML schema, or lacks a code list.
    #[error("{path}:{line}: goAML profile field `schema`: cannot use {schema:?}")]
    ProfileSchema {
        /// The profile file.
        path: PathBuf,
        /// 1-based line of the `schema` key.
        line: usize,
        /// The schema path as the profile gives it.
        schema: String,
        /// Why it cannot be used.
        #[source]
        source: Box<goaml::SchemaError>,
    },
    /// A goAML profile code is not in the schema's code list for the element it is written to.
    #[error(transparent)]
    ProfileCode(Box<goaml::UnlistedCode>),
}

/// Reads `cases.jsonl` (one case per line, as written by [`crate::cases::write_cases_jsonl`]).
/// Blank lines are skipped; the error names the first line that is not a case.
pub fn read_cases_jsonl(path: impl AsRef<Path>) -> Result<Vec<Case>, ReportError> {
    let path = path.as_ref();
    let io_error = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut cases = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io_error)?;
        if line.trim().is_empty() {
            continue;
        }
        let case = serde_json::from_str::<Case>(&line).map_err(|e| ReportError::CaseLine {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?;
        cases.push(case);
    }
    Ok(cases)
}
