//! Ingest: transaction files in, one canonical Polars frame and a quarantine list out.
//!
//! Every row read is either accepted into the canonical frame or quarantined with a reason, so
//! `rows_read == rows_accepted + rows_quarantined` holds for every input.
//!
//! The canonical frame has these columns: `txn_id` (str), `ts` (datetime µs, UTC), `amount`
//! (i64 micros in `currency`), `currency`, `base_amount` (i64 micros in the base currency),
//! `channel` (upper case), `orig_account`, `orig_name`, `orig_country`, `bene_account`,
//! `bene_name`, `bene_country`, `branch` (strings; empty when absent).

mod codes;
pub mod csv_scan;
mod dedup;
pub mod fx;
pub mod profile;
mod records;
pub mod source;
pub mod timestamp;
mod validate;

pub(crate) use validate::{column_as_text, find_header};

/// ISO 4217 codes, for the rule packs' `base_currency`.
pub(crate) use codes::is_currency;
/// The code lists, for engines that check codes themselves (the Spark engine).
#[cfg(feature = "spark")]
pub(crate) use codes::{countries, currencies};
pub use dedup::{id_hash as txn_id_fingerprint, FingerprintSet};
pub use fx::FxTable;
pub use profile::MappingProfile;
pub use records::{dense, empty_frame, for_each_record, frame_to_records, frame_to_shared_records};
pub use source::InputFormat;

use crate::model::InputSummary;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Errors that stop a run. Row-level problems are never errors: they are quarantined.
#[derive(Debug, Error)]
pub enum IngestError {
    /// The file cannot be read; `source` says why (an OS error, the Parquet or CSV reader's
    /// error, or a sentence of ours), kept as the error's cause.
    #[error("{file}: cannot read: {source}")]
    Unreadable {
        file: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{file}: the file is empty; expected a header line with the columns txn_id, timestamp, amount, currency, channel")]
    Empty { file: String },
    #[error("{file}: unknown format; expected CSV (optionally gzip), Parquet or Arrow IPC")]
    UnknownFormat { file: String },
    #[error(
        "{file}: missing required column `{column}`: expected {wanted}; the file has: {found}"
    )]
    MissingColumn {
        file: String,
        column: String,
        wanted: String,
        found: String,
    },
    #[error("no input files match `{pattern}`")]
    NoFiles { pattern: String },
    #[error("bad glob pattern `{pattern}`: {reason}")]
    BadGlob { pattern: String, reason: String },
    #[error("{file}:{line}: mapping profile: {message}")]
    BadProfile {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}:{line}: FX table: field `{field}`: expected {expected}")]
    BadFxFile {
        file: String,
        line: usize,
        field: String,
        expected: String,
    },
    #[error("the delimiter must be one ASCII character, got `{0}`")]
    BadDelimiter(String),
}

impl IngestError {
    /// `file` cannot be read, because of `cause` (kept as the error's source).
    pub fn unreadable(
        file: impl std::fmt::Display,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> IngestError {
        IngestError::Unreadable {
            file: file.to_string(),
            source: cause.into(),
        }
    }
}

pub use crate::model::QuarantineReason;

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    /// The input file as given on the command line.
    pub file: String,
    /// 1-based data row number (the header is not counted).
    pub row: u64,
    /// The row's transaction id, if it had one.
    pub txn_id: String,
    /// The canonical column at fault.
    pub column: &'static str,
    /// The raw value as read.
    pub value: String,
    pub reason: QuarantineReason,
}

/// Options that shape ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub profile: Option<MappingProfile>,
    pub fx: FxTable,
    /// CSV delimiter; `None` uses the profile's or `,`.
    pub delimiter: Option<u8>,
}

impl IngestOptions {
    /// The CSV delimiter in effect: the flag's, else the profile's, else `,`.
    pub fn effective_delimiter(&self) -> u8 {
        self.delimiter
            .or_else(|| {
                self.profile
                    .as_ref()
                    .and_then(|p| p.delimiter)
                    .map(|c| c as u8)
            })
            .unwrap_or(b',')
    }
}

/// The result of reading every input.
pub struct Ingested {
    /// Accepted rows of every input, in input order then row order.
    pub frame: DataFrame,
    pub quarantine: Vec<QuarantineRow>,
    pub inputs: Vec<InputSummary>,
}

/// SHA-256 of a file, as lower-case hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The digests of a run's inputs, computed before they are read (a nightly state needs the
/// night's digest to open): each expanded input's SHA-256 in input order, and the night's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputDigests {
    /// SHA-256 over each input's SHA-256, in input order; a nightly state records it to
    /// recognise a retry of the same night.
    pub night: String,
    /// Each expanded input and its SHA-256, in input order.
    pub files: Vec<(PathBuf, String)>,
}

/// Hashes every input (see [`InputDigests`]); [`ingest_digested`] then reads them without
/// hashing them again.
pub fn inputs_digest(inputs: &[PathBuf]) -> Result<InputDigests, IngestError> {
    use sha2::{Digest, Sha256};
    let paths = source::expand_inputs(inputs)?;
    let files: Vec<(PathBuf, String)> = paths
        .into_iter()
        .map(|p| {
            let digest =
                sha256_file(&p).map_err(|e| IngestError::unreadable(p.display().to_string(), e))?;
            Ok((p, digest))
        })
        .collect::<Result<_, IngestError>>()?;
    let mut hasher = Sha256::new();
    for (_, d) in &files {
        hasher.update(d.as_bytes());
        hasher.update(b"\n");
    }
    let night = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(InputDigests { night, files })
}

/// Reads, maps and validates every input. `known_ids` holds transaction ids accepted before
/// (for example from history); rows repeating one are quarantined as `duplicate_txn_id`.
pub fn ingest(
    inputs: &[PathBuf],
    options: &IngestOptions,
    known_ids: &mut FingerprintSet,
) -> Result<Ingested, IngestError> {
    ingest_digested(inputs, options, known_ids, None)
}

/// [`ingest`] with the inputs' digests already computed (by [`inputs_digest`]), so that each
/// file is hashed once; a file they do not list is hashed as it is read.
pub fn ingest_digested(
    inputs: &[PathBuf],
    options: &IngestOptions,
    known_ids: &mut FingerprintSet,
    digests: Option<&InputDigests>,
) -> Result<Ingested, IngestError> {
    let paths = source::expand_inputs(inputs)?;
    let delimiter = options.effective_delimiter();
    let timestamp_format = match options
        .profile
        .as_ref()
        .and_then(|p| p.timestamp_format.clone())
    {
        Some(pattern) => timestamp::TimestampFormat::Pattern(pattern),
        None => timestamp::TimestampFormat::Iso8601,
    };
    let naive_offset_secs = options
        .profile
        .as_ref()
        .and_then(|p| p.timezone.as_deref())
        .and_then(timestamp::parse_utc_offset)
        .unwrap_or(0);
    let mut frames = Vec::with_capacity(paths.len());
    let mut quarantine = Vec::new();
    let mut summaries = Vec::with_capacity(paths.len());
    for (index, path) in paths.iter().enumerate() {
        let file = path.display().to_string();
        // the digest reads the file a second time: on another core, while it is parsed
        let known = digests
            .and_then(|d| d.files.iter().find(|(p, _)| p == path))
            .map(|(_, d)| d.clone());
        let (raw, sha256) = match known {
            Some(digest) => (source::read_raw(path, delimiter), Ok(digest)),
            None => rayon::join(|| source::read_raw(path, delimiter), || sha256_file(path)),
        };
        let raw = raw?;
        let sha256 = sha256.map_err(|e| IngestError::unreadable(file.clone(), e))?;
        // generated ids: file name and the first 8 hex digits of its digest, so the same name
        // delivered on another day with other content gives other ids, and a re-delivered
        // identical file gives the same ids (and is quarantined as duplicates)
        let stem = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let stem = format!("{}-{}", stem.split('.').next().unwrap_or(""), &sha256[..8]);
        let ctx = validate::FileContext {
            file: &file,
            file_stem: &stem,
            profile: options.profile.as_ref(),
            fx: &options.fx,
            timestamp_format: timestamp_format.clone(),
            naive_offset_secs,
            decoded_lossily: matches!(raw.format, InputFormat::Csv | InputFormat::CsvGzip),
            row_numbers: raw.row_numbers.as_deref(),
        };
        // the ids accepted here matter only to the files after this one
        let more_files_follow = index + 1 < paths.len();
        let checked = validate::validate(&raw.frame, &ctx, known_ids, more_files_follow)?;
        // records that could not be read as rows come first in their file's quarantine, in
        // row order with the rows that were read and refused
        let mut file_quarantine: Vec<QuarantineRow> = raw
            .malformed
            .iter()
            .map(|m| QuarantineRow {
                file: file.clone(),
                row: m.row,
                txn_id: String::new(),
                column: "(record)",
                value: format!("line {}: {}", m.line, m.problem),
                reason: QuarantineReason::MalformedRow,
            })
            .collect();
        let rows_read = checked.rows_read + file_quarantine.len() as u64;
        if !file_quarantine.is_empty() {
            file_quarantine.extend(checked.quarantine);
            file_quarantine.sort_by_key(|q| q.row);
        } else {
            file_quarantine = checked.quarantine;
        }
        let mut by_reason: BTreeMap<&str, u64> = BTreeMap::new();
        for q in &file_quarantine {
            *by_reason.entry(q.reason.as_str()).or_default() += 1;
        }
        summaries.push(InputSummary {
            path: file.clone(),
            format: raw.format.as_str().to_string(),
            sha256,
            rows_read,
            rows_accepted: checked.frame.height() as u64,
            rows_quarantined: file_quarantine.len() as u64,
            quarantined_by_reason: by_reason
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            rows_with_replaced_bytes: checked.rows_with_replaced_bytes,
        });
        quarantine.extend(file_quarantine);
        frames.push(checked.frame);
    }
    let frame = concat_frames(frames).map_err(|e| IngestError::unreadable("(all inputs)", e))?;
    Ok(Ingested {
        frame,
        quarantine,
        inputs: summaries,
    })
}

/// Stacks canonical frames vertically (an empty list gives an empty canonical frame).
pub fn concat_frames(frames: Vec<DataFrame>) -> PolarsResult<DataFrame> {
    let mut iter = frames.into_iter();
    let Some(mut first) = iter.next() else {
        return Ok(empty_frame());
    };
    for f in iter {
        first.vstack_mut_owned(f)?;
    }
    // numbers and times become one chunk each; text columns keep the chunks they were read
    // in, because a view column's rechunk writes 16 bytes per value to fresh memory (2 GB and
    // 2 s at 10M rows), and Polars works on chunked text as it is
    let columns = first
        .columns()
        .iter()
        .map(|c| match c.dtype() {
            DataType::String => c.clone(),
            _ => c.rechunk(),
        })
        .collect::<Vec<_>>();
    let first = DataFrame::new(first.height(), columns)?;
    Ok(first)
}

/// Writes `quarantine.csv`: `file,row,txn_id,column,value,reason`; the file, id and value
/// cells pass [`crate::output::spreadsheet_safe`].
pub fn write_quarantine_csv<W: std::io::Write>(w: W, rows: &[QuarantineRow]) -> csv::Result<()> {
    write_rejected_rows_csv(
        w,
        "txn_id",
        rows.iter().map(|q| {
            (
                q.file.as_str(),
                q.row,
                q.txn_id.as_str(),
                q.column,
                q.value.as_str(),
                q.reason.as_str(),
            )
        }),
    )
}

/// One rejected row as a quarantine file writes it: file, row, id, column, value, reason.
pub(crate) type RejectedRow<'a> = (&'a str, u64, &'a str, &'a str, &'a str, &'a str);

/// Writes a quarantine file, `file,row,<id_column>,column,value,reason`; the file, id and
/// value cells pass [`crate::output::spreadsheet_safe`]. Shared by the transaction and the
/// customer quarantine.
pub(crate) fn write_rejected_rows_csv<'a, W: std::io::Write>(
    w: W,
    id_column: &str,
    rows: impl IntoIterator<Item = RejectedRow<'a>>,
) -> csv::Result<()> {
    use crate::output::spreadsheet_safe;
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["file", "row", id_column, "column", "value", "reason"])?;
    for (file, row, id, column, value, reason) in rows {
        out.write_record([
            &*spreadsheet_safe(file),
            &row.to_string(),
            &spreadsheet_safe(id),
            column,
            &spreadsheet_safe(value),
            reason,
        ])?;
    }
    out.flush()?;
    Ok(())
}
