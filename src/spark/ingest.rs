//! Ingest on Spark: the transaction files are read by the cluster, mapped by the profile and
//! checked with the same quarantine reasons, in the same precedence, as
//! `src/ingest/validate.rs`; amounts are converted to the base currency exactly as
//! [`crate::ingest::fx::Converter`] does. The accepted rows stay on the cluster (the view
//! [`ACCEPTED_VIEW`]); only counts come back, and the quarantined rows are written by the
//! cluster as Parquet.
//!
//! Each Rust check has its expression here, and a parity test (`tests/spark.rs`) holds the two
//! engines to the same accepted rows and the same counts by reason.

use super::sql::{ascii_lower, ascii_upper, ident, in_list, lit, utrim};
use crate::ingest::profile::{
    ColumnSpec, ConcatSpec, MappingProfile, PositionSpec, SourceColumn, CANONICAL_COLUMNS,
    REQUIRED_COLUMNS,
};
use crate::ingest::{FxTable, IngestError};
use crate::model::Channel;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The temporary view of every row read, with its outcome (`reason`, `column`: null when
/// accepted).
pub const CHECKED_VIEW: &str = "aml_checked";
/// The temporary view of the accepted rows in the canonical columns of
/// [`crate::ingest`] (`ts` as TIMESTAMP_NTZ, money as BIGINT micros).
pub const ACCEPTED_VIEW: &str = "aml_accepted";

/// How the cluster reads one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparkFormat {
    Csv,
    Parquet,
}

impl SparkFormat {
    /// The name `InputSummary.format` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SparkFormat::Csv => "csv",
            SparkFormat::Parquet => "parquet",
        }
    }
}

/// One read: a file (a local input, expanded here as the Polars engine expands it) or a URI the
/// cluster expands (`s3a://bucket/day=*/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparkInput {
    /// Its place in the run's order of reads (earlier reads keep a repeated id).
    pub part: usize,
    /// The path the cluster reads.
    pub uri: String,
    /// The file name quarantine rows and the manifest show: the path as given for a local
    /// file; `None`: each file's path as the cluster names it.
    pub label: Option<String>,
    pub format: SparkFormat,
}

/// The format of a path, from its name.
fn format_of(name: &str) -> Result<SparkFormat, IngestError> {
    let lower = name.to_ascii_lowercase();
    let lower = lower.trim_end_matches('/');
    if [".csv", ".csv.gz", ".tsv", ".txt", ".csv.bz2"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        Ok(SparkFormat::Csv)
    } else if [".parquet", ".pq"].iter().any(|e| lower.ends_with(e)) {
        Ok(SparkFormat::Parquet)
    } else if [".arrow", ".ipc", ".feather"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        Err(IngestError::unreadable(
            name,
            "Arrow IPC files are not read by Spark; give CSV or Parquet with --engine spark",
        ))
    } else {
        Err(IngestError::unreadable(
            name,
            "with --engine spark the format is taken from the name: expected it to end in .csv, .csv.gz, .tsv, .txt, .parquet or .pq (a folder or pattern too: s3a://bucket/day/*.parquet)",
        ))
    }
}

/// The reads of a run's inputs: local paths (no `scheme://`) are expanded here, in the Polars
/// engine's order, and handed to the cluster as `file://` URIs (so the cluster must see this
/// machine's files: a local Spark, or a shared file system); URIs go as they are.
pub fn plan_inputs(inputs: &[PathBuf]) -> Result<Vec<SparkInput>, IngestError> {
    let mut out = Vec::new();
    for input in inputs {
        let text = input.to_string_lossy().to_string();
        if crate::engine::has_scheme(&text) {
            out.push(SparkInput {
                part: out.len(),
                format: format_of(&text)?,
                uri: text,
                label: None,
            });
            continue;
        }
        for path in crate::ingest::source::expand_inputs(std::slice::from_ref(input))? {
            let absolute = std::path::absolute(&path)
                .map_err(|e| IngestError::unreadable(path.display().to_string(), e))?;
            out.push(SparkInput {
                part: out.len(),
                format: format_of(&path.to_string_lossy())?,
                uri: format!("file://{}", absolute.display()),
                label: Some(path.display().to_string()),
            });
        }
    }
    Ok(out)
}

/// The profile, FX table and bounds that shape the checks, as the Polars engine takes them.
pub struct CheckContext<'a> {
    pub profile: Option<&'a MappingProfile>,
    pub fx: &'a FxTable,
    /// The profile's time zone as seconds east of UTC (a time without zone is local there).
    pub naive_offset_secs: i32,
    /// The latest transaction time accepted, in micros (the Polars engine's is a day after
    /// its clock; both engines are given the same figure in tests).
    pub latest_micros: i64,
    /// The profile's `timestamp_format` as SQL over `t_timestamp`
    /// ([`super::strftime::pattern_sql`]); ISO 8601 when `None`.
    pub timestamp_sql: Option<String>,
}

/// 1900-01-01T00:00:00Z in microseconds: the earliest transaction time accepted (as
/// `src/ingest/validate.rs`).
const EARLIEST_TIMESTAMP: i64 = -2_208_988_800 * 1_000_000;
/// i64::MAX micros as a decimal amount: the largest canonical amount.
const MAX_AMOUNT: &str = "9223372036854.775807";

/// Where one canonical column's text comes from in one read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A column of the file with its Spark type (`string`, `double`, `decimal(10,2)`,
    /// `timestamp`...).
    Column {
        name: String,
        dtype: String,
    },
    /// Columns (name, Spark type) as text joined by a separator (a missing value as empty
    /// text).
    Concat(Vec<(String, String)>, String),
    Constant(String),
    /// The profile's generated id: `<file stem>-<first 8 hex digits of the file's SHA-256>-<data
    /// row number>`, as `src/ingest/mod.rs` makes it (`aml_stem`, `aml_sha256` and `aml_row`
    /// are columns of the read).
    Generated,
    Absent,
}

impl Source {
    /// The value as text (null when absent or null).
    fn text(&self) -> String {
        match self {
            Source::Column { name, dtype } => column_text(name, dtype),
            Source::Concat(parts, sep) => {
                let parts: Vec<String> = parts
                    .iter()
                    .map(|(name, dtype)| format!("coalesce({}, '')", column_text(name, dtype)))
                    .collect();
                format!("concat_ws({}, {})", lit(sep), parts.join(", "))
            }
            Source::Constant(value) => lit(value),
            Source::Generated => {
                "concat(aml_stem, '-', substr(aml_sha256, 1, 8), '-', CAST(aml_row + 1 AS STRING))"
                    .into()
            }
            Source::Absent => "CAST(NULL AS STRING)".into(),
        }
    }
}

/// The Spark type of a CSV file's columns: text read as ISO-8859-1 (one character per byte),
/// decoded by [`utf8_lossy`].
pub const LATIN1: &str = "latin1";

/// A column of a read as text.
fn column_text(name: &str, dtype: &str) -> String {
    match dtype {
        "string" => ident(name),
        LATIN1 => utf8_lossy(&ident(name)),
        _ => format!("CAST({} AS STRING)", ident(name)),
    }
}

/// A well-formed UTF-8 sequence (Unicode Table 3-7), over text read as ISO-8859-1.
const UTF8_VALID: &str = r"[\x00-\x7F]|[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEC\xEE\xEF][\x80-\xBF]{2}|\xED[\x80-\x9F][\x80-\xBF]|\xF0[\x90-\xBF][\x80-\xBF]{2}|[\xF1-\xF3][\x80-\xBF]{3}|\xF4[\x80-\x8F][\x80-\xBF]{2}";

/// A maximal subpart of an ill-formed sequence (the start of a well-formed one cut short),
/// longest first, else any one byte: each is one U+FFFD in `String::from_utf8_lossy`.
const UTF8_SUBPART: &str = r"\xE0[\xA0-\xBF]|[\xE1-\xEC\xEE\xEF][\x80-\xBF]|\xED[\x80-\x9F]|\xF0[\x90-\xBF][\x80-\xBF]|\xF0[\x90-\xBF]|[\xF1-\xF3][\x80-\xBF]{2}|[\xF1-\xF3][\x80-\xBF]|\xF4[\x80-\x8F][\x80-\xBF]|\xF4[\x80-\x8F]|[\x80-\xFF]";

/// `String::from_utf8_lossy` (how the Polars engine decodes CSV text) of text read as
/// ISO-8859-1: each maximal subpart of an ill-formed sequence becomes the bytes of U+FFFD
/// (`\G` walks the well-formed sequences before it), then the bytes are decoded as UTF-8,
/// now well formed. Java's own decoder replaces some sequences differently (an encoded
/// surrogate `ED A0 80` is one U+FFFD there, three here), so Spark never decodes the file.
pub fn utf8_lossy(expr: &str) -> String {
    format!(
        "CASE WHEN {expr} RLIKE r'^[\\x00-\\x7F]*$' THEN {expr} \
         ELSE decode(encode(regexp_replace({expr}, r'\\G((?:{UTF8_VALID})*+)(?:{UTF8_SUBPART})', '$1\u{EF}\u{BF}\u{BD}'), 'ISO-8859-1'), 'UTF-8') END"
    )
}

/// A name read as ISO-8859-1 (a CSV header's), decoded as [`utf8_lossy`] decodes values.
pub fn latin1_to_utf8(name: &str) -> String {
    let bytes: Vec<u8> = name.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `find_header`: the exact name, else the first whose trimmed name equals ignoring ASCII case.
fn find_header(columns: &[(String, String)], name: &str) -> Option<usize> {
    columns.iter().position(|(n, _)| n == name).or_else(|| {
        columns
            .iter()
            .position(|(n, _)| n.trim().eq_ignore_ascii_case(name.trim()))
    })
}

/// Each canonical column's source in a read whose columns (and Spark types) are `columns`, as
/// `resolve_sources` of the Polars engine finds them; a required column that is not there is the
/// same error.
fn resolve_sources(
    columns: &[(String, String)],
    sql_names: &[String],
    file: &str,
    profile: Option<&MappingProfile>,
) -> Result<Vec<Source>, IngestError> {
    let missing = |column: &str, wanted: String| IngestError::MissingColumn {
        file: file.to_string(),
        column: column.to_string(),
        wanted,
        found: columns
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    };
    let index = |column: &str, src: &SourceColumn| -> Result<usize, IngestError> {
        match src {
            SourceColumn::Position(p) if *p >= 1 && *p <= columns.len() => Ok(p - 1),
            SourceColumn::Position(p) => Err(missing(column, format!("column position {p}"))),
            SourceColumn::Name(n) => {
                find_header(columns, n).ok_or_else(|| missing(column, format!("header `{n}`")))
            }
        }
    };
    let column_at = |i: usize| Source::Column {
        name: sql_names[i].clone(),
        dtype: columns[i].1.clone(),
    };
    let mut sources = Vec::with_capacity(CANONICAL_COLUMNS.len());
    for column in CANONICAL_COLUMNS {
        let spec = profile.and_then(|p| p.columns.get(column));
        let constant = profile.and_then(|p| p.constants.get(column));
        let source = match (spec, constant) {
            (Some(ColumnSpec::Name(n)), _) => {
                column_at(index(column, &SourceColumn::Name(n.clone()))?)
            }
            (Some(ColumnSpec::Position(PositionSpec { position })), _) => {
                column_at(index(column, &SourceColumn::Position(*position))?)
            }
            (Some(ColumnSpec::Concat(ConcatSpec { concat, separator })), _) => {
                let mut parts = Vec::with_capacity(concat.len());
                for src in concat {
                    let i = index(column, src)?;
                    parts.push((sql_names[i].clone(), columns[i].1.clone()));
                }
                Source::Concat(parts, separator.clone())
            }
            (None, Some(value)) => Source::Constant(value.clone()),
            (None, None) if column == "txn_id" && profile.is_some_and(|p| p.txn_id.is_some()) => {
                Source::Generated
            }
            (None, None) => match find_header(columns, column) {
                Some(i) => column_at(i),
                None => Source::Absent,
            },
        };
        sources.push(source);
    }
    for required in REQUIRED_COLUMNS {
        let idx = CANONICAL_COLUMNS
            .iter()
            .position(|c| *c == required)
            .unwrap_or(0);
        if sources[idx] == Source::Absent {
            return Err(missing(required, format!("a `{required}` column")));
        }
    }
    Ok(sources)
}

/// `mapped` of the trimmed value in column `t`: mapped by the profile's value map of `column`
/// (the exact key, else the first key equal ignoring ASCII case, in key order) and trimmed
/// again.
fn mapped(profile: Option<&MappingProfile>, column: &str, t: &str) -> String {
    let Some(map) = profile
        .and_then(|p| p.values.get(column))
        .filter(|m| !m.is_empty())
    else {
        return t.to_string();
    };
    let mut case = String::from("CASE");
    for (from, to) in map {
        let _ = write!(case, " WHEN {t} = {} THEN {}", lit(from), lit(to));
    }
    for (from, to) in map {
        let _ = write!(
            case,
            " WHEN {} = {} THEN {}",
            ascii_lower(t),
            lit(&from.to_ascii_lowercase()),
            lit(to)
        );
    }
    let _ = write!(case, " ELSE {t} END");
    utrim(&case)
}

/// The ISO 8601 spellings `parse_iso8601` reads (on the trimmed text): date, optional time
/// (`T` or space, minutes required, seconds and a fraction optional), optional zone (`Z`, ±hh,
/// ±hhmm, ±hh:mm).
const ISO_PATTERN: &str = r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?)?(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?$";

/// The grammar of `parse_money` (on the trimmed text): a sign, digits (or 1-3 digits then
/// groups of three after commas), then a point and at most six digits.
const MONEY_PATTERN: &str = r"^([+-]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(\.([0-9]{0,6}))?$";

/// A raw-string SQL literal for a regular expression.
fn rx(pattern: &str) -> String {
    debug_assert!(!pattern.contains('\''));
    format!("r'{pattern}'")
}

/// One read as the cluster sees it: its place, how to name its files and its columns.
#[derive(Debug, Clone)]
pub struct ReadSpec<'a> {
    pub input: &'a SparkInput,
    /// The read's temporary view.
    pub view: String,
    /// Its columns and Spark types (for CSV, the header's names, all `string`; without the
    /// corrupt-record column).
    pub columns: Vec<(String, String)>,
    /// Each column's name in the read's view (a CSV file's columns are `aml_c0`, `aml_c1`...:
    /// its header, read as ISO-8859-1, is decoded here into `columns`).
    pub sql_names: Vec<String>,
    /// Each file's SHA-256 (lower-case hex) by the name the read gives it: the label of a local
    /// file, the cluster's `_metadata.file_path` for the files of a URI (a file without one is
    /// not listed).
    pub digests: Vec<(String, String)>,
}

/// The stem of a generated id's file, as `src/ingest/mod.rs` takes it: the file name up to its
/// first `.`.
pub fn id_stem(path: &str) -> String {
    let name = std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    name.split('.').next().unwrap_or("").to_string()
}

/// The corrupt-record column a CSV read is given (set on records Spark cannot read as rows).
pub const CORRUPT_COLUMN: &str = "_aml_corrupt_record";

/// The first stage of one read: where it is, each canonical column's raw text (`src_<column>`)
/// and, for typed amount and time columns of Parquet files, their outcome already (the other
/// stages are common to every read).
pub fn read_select(read: &ReadSpec, ctx: &CheckContext) -> Result<String, IngestError> {
    let input = read.input;
    let file_label = input.label.clone().unwrap_or_else(|| input.uri.clone());
    let sources = resolve_sources(&read.columns, &read.sql_names, &file_label, ctx.profile)?;
    let mut cols: Vec<String> = vec![format!("{} AS part_idx", input.part)];
    cols.push(match &input.label {
        Some(label) => format!("{} AS file", lit(label)),
        None => "aml_path AS file".into(),
    });
    cols.push(format!("{} AS lossy", input.format == SparkFormat::Csv));
    match input.format {
        SparkFormat::Csv => {
            // a record Spark cannot split into the header's fields, or one holding a NUL byte
            // anywhere (the Polars engine's scanner refuses those; Spark reads them)
            let nul: Vec<String> = read
                .sql_names
                .iter()
                .chain(std::iter::once(&CORRUPT_COLUMN.to_string()))
                .map(|c| format!("coalesce(instr({}, char(0)) > 0, false)", ident(c)))
                .collect();
            cols.push(format!(
                "({} IS NOT NULL OR {}) AS malformed",
                ident(CORRUPT_COLUMN),
                nul.join(" OR ")
            ));
            cols.push(format!(
                "coalesce({}, '') AS record_text",
                utf8_lossy(&ident(CORRUPT_COLUMN))
            ));
        }
        SparkFormat::Parquet => {
            cols.push("false AS malformed".into());
            cols.push("'' AS record_text".into());
        }
    }
    for (column, source) in CANONICAL_COLUMNS.iter().zip(&sources) {
        cols.push(format!("{} AS src_{column}", source.text()));
    }
    // typed amounts and times (Parquet): their outcome here, text ones later
    let amount = &sources[2];
    let (typed_micros, typed_problem) = typed_amount(amount);
    cols.push(format!("{} AS amount_typed", typed_micros.is_some()));
    cols.push(format!(
        "{} AS typed_amount_micros",
        typed_micros.unwrap_or("CAST(NULL AS BIGINT)".into())
    ));
    cols.push(format!(
        "{} AS typed_amount_problem",
        typed_problem.unwrap_or("CAST(NULL AS STRING)".into())
    ));
    let timestamp = &sources[1];
    let typed_ts = match timestamp {
        Source::Column { name, dtype } if dtype.starts_with("timestamp") => Some(format!(
            "unix_micros(CAST({} AS TIMESTAMP)) - {}",
            ident(name),
            i64::from(ctx.naive_offset_secs) * 1_000_000
        )),
        _ => None,
    };
    cols.push(format!("{} AS ts_typed", typed_ts.is_some()));
    cols.push(format!(
        "{} AS typed_ts_micros",
        typed_ts.unwrap_or("CAST(NULL AS BIGINT)".into())
    ));
    // the view holds each row's file (`aml_path`) and place (`aml_position`): Parquet numbers
    // the rows of a file; a CSV file is read whole by one task (multiLine), so the order of
    // its task's ids is the file's order
    cols.push("aml_row AS row_idx".into());
    let row = match input.format {
        SparkFormat::Parquet => "aml_position",
        SparkFormat::Csv => "row_number() OVER (PARTITION BY aml_path ORDER BY aml_position) - 1",
    };
    // the file's digest and the stem of its generated ids
    let (sha, stem) = match &input.label {
        Some(label) => (
            read.digests
                .iter()
                .find(|(f, _)| f == label)
                .map_or("CAST(NULL AS STRING)".to_string(), |(_, d)| lit(d)),
            lit(&id_stem(label)),
        ),
        None => (
            if read.digests.is_empty() {
                "CAST(NULL AS STRING)".to_string()
            } else {
                let pairs: Vec<String> = read
                    .digests
                    .iter()
                    .map(|(f, d)| format!("{}, {}", lit(f), lit(d)))
                    .collect();
                format!("try_element_at(map({}), aml_path)", pairs.join(", "))
            },
            "regexp_extract(aml_path, r'([^/.]*)[^/]*$', 1)".to_string(),
        ),
    };
    // a line of carriage returns alone is blank to the Polars scanner (not a row); Spark's
    // parser, which takes the line ending from the first line, reads `\r` in a file of `\n`
    // lines as a record
    let blank = match input.format {
        SparkFormat::Csv => {
            let first = read.sql_names.first().map_or("NULL".into(), |c| ident(c));
            let second = read.sql_names.get(1).map_or("NULL".into(), |c| ident(c));
            format!(
                "(SELECT * FROM {} WHERE NOT coalesce({} RLIKE r'^\\r+$' OR ({first} RLIKE r'^\\r+$' AND {second} IS NULL), false))",
                ident(&read.view),
                ident(CORRUPT_COLUMN)
            )
        }
        SparkFormat::Parquet => ident(&read.view),
    };
    Ok(format!(
        "SELECT {} FROM (SELECT *, {row} AS aml_row, {sha} AS aml_sha256, {stem} AS aml_stem FROM {blank} AS r) AS v",
        cols.join(",\n  "),
    ))
}

/// A typed amount column's outcome, as `amount_column` of the Polars engine decides it: floats
/// as doubles (not finite or beyond 9e12 is `bad_amount`, then not positive, then more than six
/// decimals); integers and decimals exactly (not positive first, then decimals beyond six that
/// are not zeros, or beyond the largest amount). `(None, None)` for a text column.
fn typed_amount(source: &Source) -> (Option<String>, Option<String>) {
    let Source::Column { name, dtype } = source else {
        return (None, None);
    };
    let c = ident(name);
    match dtype.as_str() {
        "double" | "float" => {
            let f = format!("CAST({c} AS DOUBLE)");
            let m = format!("({f} * 1000000D)");
            (
                Some(format!(
                    "CASE WHEN isnan({f}) OR abs({f}) > 9.0E12 OR {f} <= 0 THEN NULL ELSE try_cast(round({m}) AS BIGINT) END"
                )),
                Some(format!(
                    "CASE WHEN {f} IS NULL THEN 'missing_required' \
                     WHEN isnan({f}) OR abs({f}) > 9.0E12 THEN 'bad_amount' \
                     WHEN {f} <= 0 THEN 'non_positive_amount' \
                     WHEN abs({m} - round({m})) > 0.001D THEN 'bad_amount' END"
                )),
            )
        }
        t if t.starts_with("decimal") || ["tinyint", "smallint", "int", "bigint"].contains(&t) => {
            let d = if t.starts_with("decimal") {
                c.clone()
            } else {
                format!("CAST({c} AS DECIMAL(20, 0))")
            };
            let problem = format!(
                "CASE WHEN {d} IS NULL THEN 'missing_required' \
                 WHEN {d} <= 0 THEN 'non_positive_amount' \
                 WHEN {d} <> round({d}, 6) OR {d} > {MAX_AMOUNT} THEN 'bad_amount' END"
            );
            (
                Some(format!(
                    "CASE WHEN ({problem}) IS NULL THEN try_cast(try_cast({d} AS DECIMAL(19, 6)) * 1000000 AS BIGINT) END"
                )),
                Some(problem),
            )
        }
        _ => (None, None),
    }
}

/// The stages common to every read, over the union of the reads' first stages (`reads`):
/// trimmed and mapped text, each column's outcome, the first problem in schema order, repeated
/// ids and the conversion to the base currency. The result has one row per row read, with
/// `reason` and `column` null for an accepted row.
pub fn checked_select(reads: &[String], ctx: &CheckContext) -> String {
    let union = reads
        .iter()
        .map(|r| format!("({r})"))
        .collect::<Vec<_>>()
        .join("\nUNION ALL\n");
    // stage 1: trimmed, mapped text
    let mut s1 = vec!["*".to_string()];
    for column in CANONICAL_COLUMNS {
        let t = utrim(&format!("coalesce(src_{column}, '')"));
        s1.push(format!("{t} AS t_{column}"));
    }
    let s1 = format!("SELECT {} FROM ({union}) AS u", s1.join(",\n  "));
    let mut s2 = vec!["*".to_string()];
    for column in CANONICAL_COLUMNS {
        s2.push(format!(
            "{} AS m_{column}",
            mapped(ctx.profile, column, &format!("t_{column}"))
        ));
    }
    // the text patterns are matched only where the column is text (a typed Parquet column
    // never reads them: stage 3 takes the typed value first), so typed inputs cost no regexes
    let iso = rx(ISO_PATTERN);
    for i in 1..=11 {
        s2.push(format!(
            "CASE WHEN NOT ts_typed THEN regexp_extract(t_timestamp, {iso}, {i}) END AS ts_g{i}"
        ));
    }
    s2.push(format!(
        "CASE WHEN NOT ts_typed THEN t_timestamp RLIKE {iso} END AS ts_match"
    ));
    let money = rx(MONEY_PATTERN);
    for i in 1..=4 {
        s2.push(format!(
            "CASE WHEN NOT amount_typed THEN regexp_extract(t_amount, {money}, {i}) END AS am_g{i}"
        ));
    }
    s2.push(format!(
        "CASE WHEN NOT amount_typed THEN t_amount RLIKE {money} END AS am_match"
    ));
    let s2 = format!("SELECT {} FROM ({s1}) AS s1", s2.join(",\n  "));

    // stage 3: outcomes
    let naive = ctx.naive_offset_secs;
    let num = |g: &str| format!("CAST(coalesce(nullif({g}, ''), '0') AS INT)");
    let offset_secs = format!(
        "CASE WHEN ts_g8 <> '' THEN 0 \
         WHEN ts_g9 <> '' THEN CASE WHEN {oh} > 23 OR {om} > 59 THEN NULL \
           ELSE (CASE WHEN ts_g9 = '-' THEN -1 ELSE 1 END) * ({oh} * 3600 + {om} * 60) END \
         ELSE {naive} END",
        oh = num("ts_g10"),
        om = num("ts_g11"),
    );
    let local = format!(
        "CASE WHEN {sec} < 60 THEN try_make_timestamp_ntz({y}, {mo}, {d}, {h}, {mi}, \
         CAST(concat(ts_g6_or0, '.', rpad(substr(ts_g7, 1, 6), 6, '0')) AS DECIMAL(8, 6))) END",
        sec = num("ts_g6"),
        y = num("ts_g1"),
        mo = num("ts_g2"),
        d = num("ts_g3"),
        h = num("ts_g4"),
        mi = num("ts_g5"),
    )
    .replace("ts_g6_or0", "coalesce(nullif(ts_g6, ''), '0')");
    let text_ts = match &ctx.timestamp_sql {
        Some(pattern) => pattern.clone(),
        None => format!(
            "CASE WHEN ts_match THEN unix_micros(CAST({local} AS TIMESTAMP)) - CAST({offset_secs} AS BIGINT) * 1000000 END"
        ),
    };
    let digits = "regexp_replace(regexp_replace(am_g2, ',', ''), '^0+', '')";
    // try_cast: a value that does not fit is refused by the length check before it is used
    let value = format!(
        "try_cast(concat(coalesce(nullif({digits}, ''), '0'), '.', rpad(am_g4, 6, '0')) AS DECIMAL(19, 6))"
    );
    let text_amount_problem = format!(
        "CASE WHEN t_amount = '' THEN 'missing_required' \
         WHEN NOT am_match OR (am_g2 = '' AND am_g4 = '') OR length({digits}) > 13 THEN 'bad_amount' \
         WHEN {value} > {MAX_AMOUNT} THEN 'bad_amount' \
         WHEN am_g1 = '-' OR {value} = 0 THEN 'non_positive_amount' END"
    );
    let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    let code = |column: &str| ascii_upper(&format!("m_{column}"));
    let mut s3 = vec!["*".to_string()];
    s3.push(format!(
        "CASE WHEN ts_typed THEN typed_ts_micros ELSE {text_ts} END AS ts_micros"
    ));
    s3.push(format!(
        "CASE WHEN amount_typed THEN typed_amount_problem ELSE {text_amount_problem} END AS amount_problem"
    ));
    s3.push(format!(
        "CASE WHEN amount_typed THEN typed_amount_micros \
         WHEN ({text_amount_problem}) IS NULL THEN try_cast({value} * 1000000 AS BIGINT) END AS amount_micros"
    ));
    s3.push(format!("{} AS currency", code("currency")));
    s3.push(format!("{} AS channel", ascii_upper("m_channel")));
    s3.push(format!("{} AS orig_country", code("orig_country")));
    s3.push(format!("{} AS bene_country", code("bene_country")));
    let s3 = format!("SELECT {} FROM ({s2}) AS s2", s3.join(",\n  "));

    // stage 4: each column's problem and the first in schema order
    let currencies = in_list("currency", crate::ingest::currencies().iter().copied());
    let country = |c: &str| {
        format!(
            "CASE WHEN {c} <> '' AND NOT {} THEN 'bad_country' END",
            in_list(c, crate::ingest::countries().iter().copied())
        )
    };
    let checks: [(&str, String); 8] = [
        ("(record)", "CASE WHEN malformed THEN 'malformed_row' END".into()),
        (
            "txn_id",
            "CASE WHEN t_txn_id = '' THEN 'missing_required' END".into(),
        ),
        (
            "timestamp",
            format!(
                "CASE WHEN ts_typed AND typed_ts_micros IS NULL THEN 'missing_required' \
                 WHEN NOT ts_typed AND t_timestamp = '' THEN 'missing_required' \
                 WHEN ts_micros IS NULL OR ts_micros < {EARLIEST_TIMESTAMP} OR ts_micros > {} THEN 'bad_timestamp' END",
                ctx.latest_micros
            ),
        ),
        ("amount", "amount_problem".into()),
        (
            "currency",
            format!(
                "CASE WHEN currency = '' THEN 'missing_required' WHEN NOT {currencies} THEN 'bad_currency' END"
            ),
        ),
        (
            "channel",
            format!(
                "CASE WHEN m_channel = '' THEN 'missing_required' WHEN NOT {} THEN 'unknown_channel' END",
                in_list("channel", channels.iter().copied())
            ),
        ),
        ("orig_country", country("orig_country")),
        ("bene_country", country("bene_country")),
    ];
    // each check is a column of its own, evaluated once: the first problem and its column
    // read them (written inline, each check would be evaluated up to four times a row)
    let problems: Vec<String> = checks
        .iter()
        .enumerate()
        .map(|(i, (_, check))| format!("{check} AS problem_{i}"))
        .collect();
    let mut column = String::from("CASE");
    for (i, (name, _)) in checks.iter().enumerate() {
        let _ = write!(column, " WHEN problem_{i} IS NOT NULL THEN {}", lit(name));
    }
    column.push_str(" END");
    let reason = format!(
        "coalesce({})",
        (0..checks.len())
            .map(|i| format!("problem_{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // the raw text goes on through the shuffle below only where the quarantine may show it:
    // a row with a problem already, or the columns of the problems found after the shuffle
    // (a repeated id, a currency without a rate, an amount too large to convert); the rest is
    // dropped here, before the rows are shuffled
    let raw: Vec<String> = CANONICAL_COLUMNS
        .iter()
        .map(|c| {
            if ["txn_id", "currency", "amount"].contains(c) {
                format!("src_{c} AS raw_{c}")
            } else {
                format!("CASE WHEN pre_reason IS NOT NULL THEN src_{c} END AS raw_{c}")
            }
        })
        .collect();
    let s4 = format!(
        "SELECT *, {} FROM (SELECT *, {reason} AS pre_reason, {column} AS pre_column \
         FROM (SELECT *, {} FROM ({s3}) AS s3) AS s3p) AS s4r",
        raw.join(", "),
        problems.join(", ")
    );

    // stage 5: repeated ids and FX. Within a file, a clean row repeating the id of an earlier
    // clean row is a duplicate (before FX, as in validate.rs). Across files, an id belongs to
    // the first file whose first clean occurrence also converts; later files repeat it.
    //
    // Both windows run on one shuffle: the rows are distributed by id once, and the first
    // window's keys begin with the id, so its sort also serves the second (an id's rows are
    // already together and in order). Distributing by the first window's own keys would
    // shuffle every row a second time for the other.
    let fx = fx_values(ctx.fx);
    let s5 = format!(
        "SELECT s.*, fx.rate AS fx_rate, fx.max_micros AS fx_max, \
           CASE WHEN pre_reason IS NULL THEN row_number() OVER (PARTITION BY t_txn_id, part_idx, file, pre_reason IS NULL ORDER BY row_idx) END AS id_rank \
         FROM (SELECT * FROM ({s4}) AS s4 DISTRIBUTE BY t_txn_id) s LEFT JOIN ({fx}) fx ON fx.code = s.currency"
    );
    let s6 = format!(
        "SELECT *, min(CASE WHEN pre_reason IS NULL AND id_rank = 1 AND fx_rate IS NOT NULL AND amount_micros <= fx_max \
             THEN named_struct('p', part_idx, 'f', file) END) OVER (PARTITION BY t_txn_id) AS id_owner \
         FROM ({s5}) AS s5"
    );
    let s7 = format!(
        "SELECT *, \
           CASE WHEN pre_reason IS NOT NULL THEN pre_reason \
                WHEN id_rank > 1 OR named_struct('p', part_idx, 'f', file) > id_owner THEN 'duplicate_txn_id' \
                WHEN fx_rate IS NULL THEN 'no_fx_rate' \
                WHEN amount_micros > fx_max THEN 'bad_amount' END AS reason, \
           CASE WHEN pre_reason IS NOT NULL THEN pre_column \
                WHEN id_rank > 1 OR named_struct('p', part_idx, 'f', file) > id_owner THEN 'txn_id' \
                WHEN fx_rate IS NULL THEN 'currency' \
                WHEN amount_micros > fx_max THEN 'amount' END AS column \
         FROM ({s6}) AS s6"
    );
    // the cached table keeps only what the accepted rows, the quarantine and the counts read
    // (not the stages' working columns); the raw text is kept for quarantined rows only. The
    // base currency (rate 10^12) converts to itself, with no decimal division.
    let raw: Vec<String> = CANONICAL_COLUMNS
        .iter()
        .map(|c| format!("CASE WHEN reason IS NOT NULL THEN raw_{c} END AS src_{c}"))
        .collect();
    format!(
        "SELECT part_idx, file, row_idx, reason, column, lossy, ts_typed, t_txn_id, \
           CASE WHEN reason IS NOT NULL THEN record_text END AS record_text, {raw}, \
           m_txn_id, ts_micros, amount_micros, currency, channel, m_orig_account, m_orig_name, \
           orig_country, m_bene_account, m_bene_name, bene_country, m_branch, \
           CASE WHEN reason IS NULL THEN \
             CASE WHEN fx_rate = 1000000000000 THEN amount_micros \
             ELSE CAST((CAST(amount_micros AS DECIMAL(19, 0)) * fx_rate + 500000000000) div 1000000000000 AS BIGINT) END \
           END AS base_amount \
         FROM ({s7}) AS s7",
        raw = raw.join(", ")
    )
}

/// The FX table as rows `code, rate` (rate × 10^12, DECIMAL(38, 0)) and `max_micros`, the
/// largest amount whose conversion fits the canonical amount (a larger one is `bad_amount`, as
/// [`crate::ingest::fx::Converter::apply`] decides); the base currency at rate 1.
fn fx_values(fx: &FxTable) -> String {
    const SCALE: i128 = 1_000_000_000_000;
    let mut rows: Vec<(String, i128)> = fx
        .scaled_rates()
        .map(|(code, rate)| (code.to_string(), rate))
        .collect();
    if !rows.iter().any(|(code, _)| code == fx.base()) {
        rows.push((fx.base().to_string(), SCALE));
    }
    let values: Vec<String> = rows
        .iter()
        .map(|(code, rate)| {
            // the largest a with round(a · rate / 10^12) <= i64::MAX, found on the converter
            let converter = fx.converter(code);
            let fits = |a: i128| converter.is_some_and(|c| c.apply(a as i64).is_some());
            let (mut lo, mut hi) = (0i128, i128::from(i64::MAX));
            while lo < hi {
                let mid = lo + (hi - lo + 1) / 2;
                if fits(mid) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            // a rate beyond 38 digits converts no amount: its largest amount is 0
            let rate = if rate.unsigned_abs() >= 10u128.pow(38) {
                0
            } else {
                *rate
            };
            format!(
                "({}, CAST('{rate}' AS DECIMAL(38, 0)), CAST({lo} AS BIGINT))",
                lit(code)
            )
        })
        .collect();
    format!(
        "SELECT * FROM VALUES {} AS fx(code, rate, max_micros)",
        values.join(", ")
    )
}

/// The accepted rows in the canonical columns (`ts` as TIMESTAMP_NTZ; text columns trimmed,
/// mapped, empty when absent), with their place in input order.
pub fn accepted_select() -> String {
    format!(
        "SELECT m_txn_id AS txn_id, CAST(timestamp_micros(ts_micros) AS TIMESTAMP_NTZ) AS ts, \
           amount_micros AS amount, currency, base_amount, channel, \
           m_orig_account AS orig_account, m_orig_name AS orig_name, orig_country, \
           m_bene_account AS bene_account, m_bene_name AS bene_name, bene_country, m_branch AS branch, \
           part_idx, file, row_idx \
         FROM {CHECKED_VIEW} WHERE reason IS NULL"
    )
}

/// The quarantined rows as the cluster writes them: `file, row, txn_id, column, value, reason`
/// (the row number counts data rows from 1; the value is the raw text of the column at fault).
pub fn quarantine_select() -> String {
    let value = CANONICAL_COLUMNS
        .iter()
        .map(|c| {
            let raw = if *c == "timestamp" {
                "CASE WHEN ts_typed THEN '' ELSE coalesce(src_timestamp, '') END".to_string()
            } else {
                format!("coalesce(src_{c}, '')")
            };
            format!("WHEN {} THEN {raw}", lit(c))
        })
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "SELECT file, row_idx + 1 AS row, t_txn_id AS txn_id, column, \
           CASE column WHEN '(record)' THEN record_text {value} END AS value, reason \
         FROM {CHECKED_VIEW} WHERE reason IS NOT NULL"
    )
}

/// Rows read, accepted and quarantined by reason, per file: `part_idx, file, reason, n`.
pub fn counts_select() -> String {
    // rows_with_replaced_bytes: accepted rows of text files with a U+FFFD in one of the text
    // columns the Polars engine scans (`TEXT_COLUMNS` of validate.rs, trimmed and mapped); the
    // cluster decodes a CSV file as the Polars engine does, each undecodable sequence replaced
    let text = [
        "orig_account",
        "orig_name",
        "bene_account",
        "bene_name",
        "branch",
    ]
    .iter()
    .map(|c| format!("instr(m_{c}, {}) > 0", lit("\u{FFFD}")))
    .collect::<Vec<_>>()
    .join(" OR ");
    format!(
        "SELECT part_idx, file, reason, count(*) AS n, \
           count_if(reason IS NULL AND lossy AND ({text})) AS replaced \
         FROM {CHECKED_VIEW} GROUP BY part_idx, file, reason"
    )
}
