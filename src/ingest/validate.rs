//! Row validation: turns one raw table into typed canonical columns plus quarantine rows.
//!
//! Each canonical column is checked in one pass over the column (not row by row across
//! columns), and a row's first problem in schema order is the reason it is quarantined.

use super::dedup::{self, FingerprintSet};
use super::fx::FxTable;
use super::profile::{
    ColumnSpec, ConcatSpec, MappingProfile, PositionSpec, SourceColumn, CANONICAL_COLUMNS,
};
use super::timestamp::{parse_timestamp, TimestampFormat};
use super::{codes, IngestError, QuarantineReason, QuarantineRow};
use crate::model::{parse_money, parse_plain_money, Channel, MoneyError, MICROS_PER_UNIT};
use crate::text_stretches::{
    all_trimmed, any_blank, encode_stretches, fill_stretches, map_stretches, rows_through_tables,
    split_into, strictly_increasing_trimmed, StretchDictionary,
};
use polars::prelude::*;
use rayon::prelude::*;
use std::borrow::Cow;

/// Everything validation needs to know about one file.
pub struct FileContext<'a> {
    pub file: &'a str,
    pub file_stem: &'a str,
    pub profile: Option<&'a MappingProfile>,
    pub fx: &'a FxTable,
    pub timestamp_format: TimestampFormat,
    pub naive_offset_secs: i32,
    /// Text was decoded from bytes with undecodable sequences replaced by U+FFFD (CSV); typed
    /// formats hold valid UTF-8 only, so their rows are not scanned for replacements.
    pub decoded_lossily: bool,
    /// The data row number of each row of the raw table, when some records of the file were
    /// left out as malformed (`None`: row `i` is data row `i + 1`).
    pub row_numbers: Option<&'a [u64]>,
}

impl FileContext<'_> {
    /// The 1-based data row number of the raw table's row `row`.
    fn row_number(&self, row: usize) -> u64 {
        match self.row_numbers {
            Some(numbers) => numbers[row],
            None => row as u64 + 1,
        }
    }
}

/// Where one canonical column's text comes from.
enum Source {
    Text(StringChunked),
    /// A typed (non-text) column of a Parquet or Arrow file; formatted as text only for the
    /// few values a quarantine row reports.
    Typed(Series),
    Concat(Vec<StringChunked>, String),
    Constant(String),
    /// Ids generated from the data row numbers (given when malformed records were left out).
    RowNumber(Option<Vec<u64>>),
    Absent,
}

impl Source {
    fn get(&self, row: usize, file_stem: &str) -> Option<Cow<'_, str>> {
        match self {
            Source::Text(ca) => ca.get(row).map(Cow::Borrowed),
            Source::Typed(series) => match series.get(row) {
                Ok(AnyValue::Null) | Err(_) => None,
                Ok(AnyValue::String(v)) => Some(Cow::Owned(v.to_string())),
                Ok(v) => Some(Cow::Owned(typed_text(&v))),
            },
            Source::Concat(parts, sep) => {
                let values: Vec<&str> = parts.iter().map(|ca| ca.get(row).unwrap_or("")).collect();
                Some(Cow::Owned(values.join(sep)))
            }
            Source::Constant(v) => Some(Cow::Borrowed(v.as_str())),
            Source::RowNumber(numbers) => {
                let number = numbers.as_ref().map_or(row as u64 + 1, |n| n[row]);
                Some(Cow::Owned(format!("{file_stem}-{number}")))
            }
            Source::Absent => None,
        }
    }
}

/// A temporal value the calendar cannot hold (a datetime in the year 300,000, a date 2^31
/// days away, a time of day past midnight), as its raw number: Polars panics formatting it.
fn outside_calendar(value: &AnyValue) -> Option<i64> {
    use polars_arrow::temporal_conversions as tc;
    match value {
        AnyValue::Datetime(v, unit, _) | AnyValue::DatetimeOwned(v, unit, _) => {
            let inside = match unit {
                TimeUnit::Milliseconds => tc::timestamp_ms_to_datetime_opt(*v).is_some(),
                TimeUnit::Microseconds => tc::timestamp_us_to_datetime_opt(*v).is_some(),
                TimeUnit::Nanoseconds => tc::timestamp_ns_to_datetime_opt(*v).is_some(),
            };
            (!inside).then_some(*v)
        }
        // as Polars formats a date, without its overflow near i32::MAX (days from 1 CE)
        AnyValue::Date(d) => d
            .checked_add(719_163)
            .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
            .is_none()
            .then_some(i64::from(*d)),
        AnyValue::Time(t) => tc::time64ns_to_time_opt(*t).is_none().then_some(*t),
        _ => None,
    }
}

/// A typed value as text; a time outside the calendar as its raw number.
fn typed_text(value: &AnyValue) -> String {
    outside_calendar(value).map_or_else(|| value.to_string(), |raw| raw.to_string())
}

/// A temporal column as text, as Polars casts it; values outside the calendar as their raw
/// number (Polars' cast panics on them).
fn temporal_as_text(series: &Series) -> PolarsResult<Series> {
    let outside: Vec<Option<i64>> = series.iter().map(|v| outside_calendar(&v)).collect();
    if outside.iter().all(Option::is_none) {
        return series.cast(&DataType::String);
    }
    let physical = series.to_physical_repr().cast(&DataType::Int64)?;
    let inside: Int64Chunked = physical
        .i64()?
        .iter()
        .zip(&outside)
        .map(|(v, o)| if o.is_some() { None } else { v })
        .collect();
    let inside = inside
        .into_series()
        .cast(&series.dtype().to_physical())?
        .cast(series.dtype())?
        .cast(&DataType::String)?;
    let text: StringChunked = inside
        .str()?
        .iter()
        .zip(&outside)
        .map(|(t, o)| match o {
            Some(raw) => Some(raw.to_string()),
            None => t.map(str::to_string),
        })
        .collect();
    Ok(text.with_name(series.name().clone()).into_series())
}

/// Typed, validated columns of the accepted rows of one file.
pub struct ValidatedFile {
    pub frame: DataFrame,
    pub rows_read: u64,
    pub quarantine: Vec<QuarantineRow>,
    pub rows_with_replaced_bytes: u64,
}

struct ColumnSources {
    sources: Vec<Source>,
    /// A numeric or datetime amount column, when the file is typed (Parquet, Arrow).
    typed_amount: Option<Float64OrInt>,
    typed_timestamp: Option<Int64Chunked>,
}

/// A typed amount column, read exactly: floats as they are, any integer width widened to
/// `i128` (an unsigned 64-bit amount too), decimals as their unscaled `i128` and scale.
enum Float64OrInt {
    Float(Float64Chunked),
    Int(Int128Chunked),
    Decimal(Int128Chunked, usize),
}

/// An amount of `units · 10^-scale` as micros, exactly, or why it cannot be one: more than six
/// decimals that are not zeros, or too large for the canonical amount (about 9.2 trillion).
fn exact_micros(unscaled: i128, scale: usize) -> Result<i64, MoneyError> {
    if unscaled <= 0 {
        return Err(MoneyError::NotPositive);
    }
    let micros = if scale <= 6 {
        10i128
            .checked_pow(6 - scale as u32)
            .and_then(|f| unscaled.checked_mul(f))
    } else {
        let divisor = 10i128
            .checked_pow(scale as u32 - 6)
            .ok_or(MoneyError::Malformed)?;
        (unscaled % divisor == 0).then(|| unscaled / divisor)
    };
    micros
        .and_then(|m| i64::try_from(m).ok())
        .ok_or(MoneyError::Malformed)
}

pub(crate) fn find_header(frame: &DataFrame, name: &str) -> Option<usize> {
    let names = frame.get_column_names();
    names.iter().position(|n| n.as_str() == name).or_else(|| {
        names
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(name.trim()))
    })
}

/// The column as a source: text as it is, typed time and number columns kept typed (the
/// timestamp and amount checks read them natively), anything else cast to text.
fn column_source(frame: &DataFrame, idx: usize) -> Result<Source, PolarsError> {
    let series = frame.columns()[idx].as_materialized_series();
    let dtype = series.dtype();
    if dtype.is_temporal() || dtype.is_primitive_numeric() {
        return Ok(Source::Typed(series.clone()));
    }
    column_as_text(frame, idx).map(Source::Text)
}

pub(crate) fn column_as_text(frame: &DataFrame, idx: usize) -> Result<StringChunked, PolarsError> {
    let col = &frame.columns()[idx];
    let series = col.as_materialized_series();
    let text = if series.dtype() == &DataType::String {
        series.clone()
    } else if series.dtype().is_temporal() {
        temporal_as_text(series)?
    } else {
        series.cast(&DataType::String)?
    };
    Ok(text.str()?.clone())
}

fn resolve_sources(frame: &DataFrame, ctx: &FileContext) -> Result<ColumnSources, IngestError> {
    let width = frame.width();
    let header_list = || {
        let names = frame.get_column_names();
        let mut list = names
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        // one column whose name holds another separator: the file is delimited by it
        if let [only] = names.as_slice() {
            if let Some(sep) = [';', '\t', '|'].into_iter().find(|c| only.contains(*c)) {
                let shown = if sep == '\t' {
                    "tab".to_string()
                } else {
                    sep.to_string()
                };
                list.push_str(&format!(
                    " (one column: the header looks delimited by `{shown}`; give --delimiter '{shown}' or a profile's delimiter)"
                ));
            }
        }
        list
    };
    let missing = |column: &str, wanted: String| IngestError::MissingColumn {
        file: ctx.file.to_string(),
        column: column.to_string(),
        wanted,
        found: header_list(),
    };
    let polars_err = |e: PolarsError| IngestError::unreadable(ctx.file.to_string(), e);
    let source_index = |column: &str, src: &SourceColumn| -> Result<usize, IngestError> {
        match src {
            SourceColumn::Position(p) if *p >= 1 && *p <= width => Ok(p - 1),
            SourceColumn::Position(p) => Err(missing(column, format!("column position {p}"))),
            SourceColumn::Name(n) => {
                find_header(frame, n).ok_or_else(|| missing(column, format!("header `{n}`")))
            }
        }
    };
    let mut sources = Vec::with_capacity(CANONICAL_COLUMNS.len());
    let mut chosen_index: Vec<Option<usize>> = Vec::with_capacity(CANONICAL_COLUMNS.len());
    for column in CANONICAL_COLUMNS {
        let profile = ctx.profile;
        let spec = profile.and_then(|p| p.columns.get(column));
        let constant = profile.and_then(|p| p.constants.get(column));
        let generated = column == "txn_id" && profile.is_some_and(|p| p.txn_id.is_some());
        let (source, index) = if let Some(spec) = spec {
            match spec {
                ColumnSpec::Name(n) => {
                    let i = source_index(column, &SourceColumn::Name(n.clone()))?;
                    (column_source(frame, i).map_err(polars_err)?, Some(i))
                }
                ColumnSpec::Position(PositionSpec { position }) => {
                    let i = source_index(column, &SourceColumn::Position(*position))?;
                    (column_source(frame, i).map_err(polars_err)?, Some(i))
                }
                ColumnSpec::Concat(ConcatSpec { concat, separator }) => {
                    let mut parts = Vec::with_capacity(concat.len());
                    for src in concat {
                        let i = source_index(column, src)?;
                        parts.push(column_as_text(frame, i).map_err(polars_err)?);
                    }
                    (Source::Concat(parts, separator.clone()), None)
                }
            }
        } else if let Some(value) = constant {
            (Source::Constant(value.clone()), None)
        } else if generated {
            (
                Source::RowNumber(ctx.row_numbers.map(<[u64]>::to_vec)),
                None,
            )
        } else if let Some(i) = find_header(frame, column) {
            (column_source(frame, i).map_err(polars_err)?, Some(i))
        } else {
            (Source::Absent, None)
        };
        sources.push(source);
        chosen_index.push(index);
    }
    for required in super::profile::REQUIRED_COLUMNS {
        let idx = CANONICAL_COLUMNS
            .iter()
            .position(|c| *c == required)
            .unwrap_or(0);
        if matches!(sources[idx], Source::Absent) {
            return Err(missing(required, format!("a `{required}` column")));
        }
    }
    let typed = |canonical: &str| {
        let idx = CANONICAL_COLUMNS.iter().position(|c| *c == canonical)?;
        chosen_index[idx].map(|i| frame.columns()[i].as_materialized_series().clone())
    };
    let typed_amount = typed("amount").and_then(|s| match s.dtype() {
        DataType::Float32 | DataType::Float64 => s.cast(&DataType::Float64).ok().and_then(|c| {
            c.f64()
                .ok()
                .map(|ca| Float64OrInt::Float(ca.rechunk().into_owned()))
        }),
        dt if dt.is_integer() => s.cast(&DataType::Int128).ok().and_then(|c| {
            c.i128()
                .ok()
                .map(|ca| Float64OrInt::Int(ca.rechunk().into_owned()))
        }),
        DataType::Decimal(_, scale) => s
            .decimal()
            .ok()
            .map(|ca| Float64OrInt::Decimal(ca.physical().rechunk().into_owned(), *scale)),
        _ => None,
    });
    let typed_timestamp = typed("timestamp").and_then(|s| match s.dtype() {
        DataType::Datetime(_, _) => {
            let micros = s
                .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
                .ok()
                .and_then(|c| c.cast(&DataType::Int64).ok())
                .and_then(|c| c.i64().ok().cloned())?;
            if micros.null_count() == s.null_count() {
                return Some(micros);
            }
            // a time too far out to hold in microseconds casts to null: it is kept as a time
            // out of range (bad_timestamp), not taken for a missing one
            let present = s.is_not_null();
            Some(
                micros
                    .iter()
                    .zip(present.iter())
                    .map(|(v, present)| match (v, present) {
                        (None, Some(true)) => Some(i64::MIN),
                        (v, _) => v,
                    })
                    .collect(),
            )
        }
        _ => None,
    });
    Ok(ColumnSources {
        sources,
        typed_amount,
        typed_timestamp,
    })
}

/// The `txn_id` column (duplicates are reported on it).
pub(super) const COL_TXN_ID: usize = 0;
const COL_TIMESTAMP: usize = 1;
const COL_AMOUNT: usize = 2;
const COL_CURRENCY: usize = 3;
const COL_CHANNEL: usize = 4;
const COL_ORIG_COUNTRY: usize = 7;
const COL_BENE_COUNTRY: usize = 10;
const TEXT_COLUMNS: [usize; 5] = [5, 6, 8, 9, 11];

impl Source {
    /// Calls `f(row, value)` for every row, sequentially (fast for plain text columns).
    fn visit(&self, n: usize, stem: &str, mut f: impl FnMut(usize, Option<&str>)) {
        match self {
            Source::Text(ca) => ca.iter().enumerate().for_each(|(i, v)| f(i, v)),
            Source::Constant(c) => (0..n).for_each(|i| f(i, Some(c.as_str()))),
            Source::Absent => (0..n).for_each(|i| f(i, None)),
            _ => (0..n).for_each(|i| f(i, self.get(i, stem).as_deref())),
        }
    }
}

/// One column's findings: a problem per row, or no entries at all when no row has one.
type Flags = Vec<Option<QuarantineReason>>;

/// A value of a code column (currency, country), dictionary-encoded.
struct Codes {
    dictionary: Vec<String>,
    /// Each row's index into `dictionary`; empty when nothing needs it (every accepted value
    /// is verbatim and the caller asked for no codes).
    per_row: Vec<u16>,
    flags: Flags,
    /// Every accepted value is already canonical as written (so the source column can be
    /// shared instead of rebuilt).
    verbatim: bool,
}

/// Each row's outcome of a check made once per distinct raw value, kept as the distinct
/// values' outcomes and each row's position among them, so that only the per-row results a
/// caller needs are ever built.
enum Outcomes<'a, T> {
    /// A text column, dictionary-encoded stretch by stretch (see [`encode_stretches`]), with
    /// each stretch's outcome per distinct value.
    Stretches(Vec<(StretchDictionary<'a>, Vec<T>)>),
    /// Any other source: one outcome per row.
    Rows(Vec<T>),
}

impl<T: Copy + Send + Sync> Outcomes<'_, T> {
    /// `f` of each row's outcome, in row order (stretches in parallel).
    fn per_row<U: Copy + Send + Sync>(&self, fill: U, f: impl Fn(T) -> U + Sync) -> Vec<U> {
        match self {
            Outcomes::Stretches(stretches) => {
                let dictionaries: Vec<&StretchDictionary> =
                    stretches.iter().map(|(d, _)| d).collect();
                rows_through_tables(&dictionaries, fill, |i| {
                    stretches[i].1.iter().map(|&o| f(o)).collect()
                })
            }
            Outcomes::Rows(rows) => rows.iter().map(|&o| f(o)).collect(),
        }
    }
}

/// Each row's outcome of `check`, called once per distinct raw value (in order of first
/// appearance), and every distinct value's outcome. A text column is dictionary-encoded
/// stretch by stretch in parallel (see [`encode_stretches`]); other sources keep a cache per
/// value. A missing value reads as the empty string.
fn per_distinct_value<'a, T: Copy + Send + Sync>(
    source: &'a Source,
    n: usize,
    stem: &str,
    mut check: impl FnMut(&str) -> T,
) -> (Outcomes<'a, T>, PlHashMap<String, T>) {
    let mut outcome_of: PlHashMap<String, T> = PlHashMap::default();
    let mut outcome = |raw: &str| -> T {
        if let Some(known) = outcome_of.get(raw) {
            return *known;
        }
        let found = check(raw);
        outcome_of.insert(raw.to_string(), found);
        found
    };
    let outcomes = match source {
        Source::Text(ca) => Outcomes::Stretches(
            encode_stretches(ca)
                .into_iter()
                .map(|stretch| {
                    let table = stretch.values.iter().map(|raw| outcome(raw)).collect();
                    (stretch, table)
                })
                .collect(),
        ),
        _ => {
            let mut per_row = Vec::with_capacity(n);
            source.visit(n, stem, |_, value| {
                per_row.push(outcome(value.unwrap_or("")))
            });
            Outcomes::Rows(per_row)
        }
    };
    (outcomes, outcome_of)
}

/// Records `reason` for `row` of an `n`-row column, allocating the flags on the first problem
/// (a column without any stays without entries).
fn flag(flags: &mut Flags, n: usize, row: usize, reason: QuarantineReason) {
    if flags.is_empty() {
        flags.resize(n, None);
    }
    flags[row] = Some(reason);
}

/// Writes the outcome of each of `values` (the rows of `part`, from `first_row` on) into
/// `part`, and returns the rows whose outcome is a problem: one task's share of a column
/// checked in parallel.
fn check_into<V>(
    first_row: usize,
    values: impl Iterator<Item = V>,
    part: &mut [i64],
    outcome: impl Fn(V) -> Result<i64, QuarantineReason>,
) -> Vec<(usize, QuarantineReason)> {
    let mut problems = Vec::new();
    for (i, (value, slot)) in values.zip(part.iter_mut()).enumerate() {
        match outcome(value) {
            Ok(checked) => *slot = checked,
            Err(reason) => problems.push((first_row + i, reason)),
        }
    }
    problems
}

/// Records the problems the tasks of [`check_into`] found.
fn flag_all(flags: &mut Flags, n: usize, problems: Vec<Vec<(usize, QuarantineReason)>>) {
    for (row, reason) in problems.into_iter().flatten() {
        flag(flags, n, row, reason);
    }
}

/// Whether a source column can be shared as the canonical column when its accepted values are
/// all written canonically (see `shared` in [`validate`]).
fn shareable(source: &Source) -> bool {
    matches!(source, Source::Text(ca) if ca.null_count() == 0)
}

/// Each row's problem, or no entries when no distinct value has one.
fn problems<T: Copy + Send + Sync>(
    outcomes: &Outcomes<'_, Result<T, QuarantineReason>>,
    distinct: &PlHashMap<String, Result<T, QuarantineReason>>,
) -> Flags {
    if distinct.values().all(Result::is_ok) {
        return Flags::new();
    }
    outcomes.per_row(None, |o| o.err())
}

/// Checks a code column once per distinct raw value (see [`per_distinct_value`]). `check`
/// turns a mapped, upper-cased value into a problem or not. `codes_needed`: each row's code
/// is wanted even when the column can be shared as written.
fn code_column(
    source: &Source,
    n: usize,
    ctx: &FileContext,
    column: usize,
    required: bool,
    codes_needed: bool,
    check: impl Fn(&str) -> Option<QuarantineReason>,
) -> Codes {
    let mut dictionary: Vec<String> = vec![String::new()];
    let (outcomes, distinct) = per_distinct_value(source, n, ctx.file_stem, |raw| {
        let code = mapped(ctx, column, raw).to_ascii_uppercase();
        if code.is_empty() {
            return if required {
                Err(QuarantineReason::MissingRequired)
            } else {
                Ok(0)
            };
        }
        if let Some(reason) = check(&code) {
            return Err(reason);
        }
        let idx = dictionary
            .iter()
            .position(|c| *c == code)
            .unwrap_or_else(|| {
                dictionary.push(code);
                dictionary.len() - 1
            });
        Ok(idx as u16)
    });
    let verbatim = distinct.iter().all(|(raw, outcome)| match outcome {
        Ok(idx) => dictionary[*idx as usize] == *raw,
        Err(_) => true,
    });
    let (per_row, flags) = rayon::join(
        || match codes_needed || !verbatim || !shareable(source) {
            true => outcomes.per_row(0, |o| o.unwrap_or(0)),
            false => Vec::new(),
        },
        || problems(&outcomes, &distinct),
    );
    Codes {
        dictionary,
        per_row,
        flags,
        verbatim,
    }
}

/// Each row's quick hash of its trimmed id (0: none), stretch by stretch in parallel for text.
fn id_hashes(source: &Source, n: usize, stem: &str) -> Vec<u64> {
    let hash = |id: Option<&str>| id.map_or(0, |id| dedup::quick_hash(id.trim()));
    match source {
        Source::Text(ca) => map_stretches(ca, |_, ids| ids.map(hash).collect::<Vec<_>>()).concat(),
        _ => (0..n)
            .into_par_iter()
            .map(|row| hash(source.get(row, stem).as_deref()))
            .collect(),
    }
}

/// A value without surrounding white space, borrowed when it was.
fn trimmed(value: Cow<'_, str>) -> Cow<'_, str> {
    match value {
        Cow::Borrowed(v) => Cow::Borrowed(v.trim()),
        Cow::Owned(v) => Cow::Owned(v.trim().to_string()),
    }
}

/// A value as the profile maps it, trimmed; no allocation.
fn mapped<'a>(ctx: &FileContext<'a>, column: usize, value: &'a str) -> &'a str {
    let trimmed = value.trim();
    match ctx.profile {
        Some(p) if p.values.contains_key(CANONICAL_COLUMNS[column]) => {
            p.map_value(CANONICAL_COLUMNS[column], trimmed).trim()
        }
        _ => trimmed,
    }
}

/// 1900-01-01T00:00:00Z in microseconds: the earliest transaction time accepted.
const EARLIEST_TIMESTAMP: i64 = -2_208_988_800 * 1_000_000;

fn timestamp_column(cols: &ColumnSources, n: usize, ctx: &FileContext) -> (Vec<i64>, Flags) {
    let latest_allowed = chrono::Utc::now().timestamp_micros() + 86_400 * 1_000_000;
    let mut out = vec![0i64; n];
    let mut flags = Flags::new();
    // more than a day in the future is a data error, not a transaction; so is a time before
    // 1900 (an extreme typed value that no calendar formats)
    let outcome = |parsed: Option<Option<i64>>| match parsed {
        Some(Some(ts)) if (EARLIEST_TIMESTAMP..=latest_allowed).contains(&ts) => Ok(ts),
        Some(_) => Err(QuarantineReason::BadTimestamp),
        None => Err(QuarantineReason::MissingRequired),
    };
    match &cols.typed_timestamp {
        // a typed datetime without zone is local time at the profile's offset; its chunks (a
        // Parquet file's row groups) are checked in parallel, each writing its own rows
        Some(typed) => {
            let offset = i64::from(ctx.naive_offset_secs) * 1_000_000;
            let chunks: Vec<_> = typed.downcast_iter().collect();
            let first_rows: Vec<usize> = chunks
                .iter()
                .scan(0, |row, chunk| {
                    let first = *row;
                    *row += chunk.len();
                    Some(first)
                })
                .collect();
            let parts = split_into(&mut out, chunks.iter().map(|c| c.len()));
            let problems: Vec<Vec<(usize, QuarantineReason)>> = first_rows
                .into_par_iter()
                .zip(chunks)
                .zip(parts)
                .map(|((first_row, chunk), part)| {
                    let values = chunk
                        .iter()
                        .map(|value| value.map(|&v| Some(v.saturating_sub(offset))));
                    check_into(first_row, values, part, outcome)
                })
                .collect();
            flag_all(&mut flags, n, problems);
        }
        None => cols.sources[COL_TIMESTAMP].visit(n, ctx.file_stem, |row, v| {
            let parsed = match v {
                Some(v) if !v.trim().is_empty() => Some(parse_timestamp(
                    v,
                    &ctx.timestamp_format,
                    ctx.naive_offset_secs,
                )),
                _ => None,
            };
            match outcome(parsed) {
                Ok(ts) => out[row] = ts,
                Err(reason) => flag(&mut flags, n, row, reason),
            }
        }),
    }
    (out, flags)
}

fn amount_column(cols: &ColumnSources, n: usize, ctx: &FileContext) -> (Vec<i64>, Flags) {
    let mut out = vec![0i64; n];
    let mut flags = Flags::new();
    let mut record =
        |row: usize, parsed: Option<Result<i64, MoneyError>>| match amount_outcome(parsed) {
            Ok(m) => out[row] = m,
            Err(reason) => flag(&mut flags, n, row, reason),
        };
    match &cols.typed_amount {
        Some(Float64OrInt::Float(ca)) => ca.iter().enumerate().for_each(|(row, f)| {
            record(
                row,
                f.map(|f| {
                    let micros = f * MICROS_PER_UNIT as f64;
                    if !f.is_finite() || f.abs() > 9.0e12 {
                        Err(MoneyError::Malformed)
                    } else if f <= 0.0 {
                        Err(MoneyError::NotPositive)
                    } else if (micros - micros.round()).abs() > 1e-3 {
                        // more than six decimals cannot be held exactly
                        Err(MoneyError::Malformed)
                    } else {
                        Ok(micros.round() as i64)
                    }
                }),
            )
        }),
        Some(Float64OrInt::Int(ca)) => ca
            .iter()
            .enumerate()
            .for_each(|(row, i)| record(row, i.map(|i| exact_micros(i, 0)))),
        Some(Float64OrInt::Decimal(ca, scale)) => ca
            .iter()
            .enumerate()
            .for_each(|(row, i)| record(row, i.map(|i| exact_micros(i, *scale)))),
        None => match &cols.sources[COL_AMOUNT] {
            // text in Polars chunks: parsed stretch by stretch in parallel, each stretch
            // writing its own rows and listing its problems
            Source::Text(ca) => {
                let problems = fill_stretches(ca, &mut out, |first_row, values, part| {
                    let values = values.map(|value| value.and_then(parse_amount_text));
                    check_into(first_row, values, part, amount_outcome)
                });
                flag_all(&mut flags, n, problems);
            }
            source => source.visit(n, ctx.file_stem, |row, v| {
                record(row, v.and_then(parse_amount_text))
            }),
        },
    }
    (out, flags)
}

/// An amount as written: plain money first (the common case), then the general parser; a
/// blank value is missing (`None`), not malformed.
fn parse_amount_text(text: &str) -> Option<Result<i64, MoneyError>> {
    match parse_plain_money(text.as_bytes()) {
        Some(parsed) => Some(parsed),
        None => (!text.trim().is_empty()).then(|| parse_money(text)),
    }
}

/// A parsed amount's outcome: the amount if positive, else why the row is quarantined
/// (`None`: the value is missing).
fn amount_outcome(parsed: Option<Result<i64, MoneyError>>) -> Result<i64, QuarantineReason> {
    match parsed {
        Some(Ok(m)) if m > 0 => Ok(m),
        Some(Ok(_)) | Some(Err(MoneyError::NotPositive)) => {
            Err(QuarantineReason::NonPositiveAmount)
        }
        Some(Err(MoneyError::Malformed)) => Err(QuarantineReason::BadAmount),
        None => Err(QuarantineReason::MissingRequired),
    }
}

/// Each row's channel (empty when every accepted value is written canonically, so the column
/// is shared as it is) and problem, and whether every accepted value is written canonically.
fn channel_column(source: &Source, n: usize, ctx: &FileContext) -> (Vec<Channel>, Flags, bool) {
    let (outcomes, distinct) = per_distinct_value(source, n, ctx.file_stem, |raw| {
        let v = mapped(ctx, COL_CHANNEL, raw);
        if v.is_empty() {
            Err(QuarantineReason::MissingRequired)
        } else {
            Channel::parse(v).ok_or(QuarantineReason::UnknownChannel)
        }
    });
    let verbatim = distinct.iter().all(|(raw, outcome)| match outcome {
        Ok(channel) => channel.as_str() == raw,
        Err(_) => true,
    });
    let (channels, flags) = rayon::join(
        || match verbatim && shareable(source) {
            true => Vec::new(),
            false => outcomes.per_row(Channel::Other, |o| o.unwrap_or(Channel::Other)),
        },
        || problems(&outcomes, &distinct),
    );
    (channels, flags, verbatim)
}

/// Each row's problem if its value is missing or blank (no entries when none is).
fn missing_flags(source: &Source, n: usize, stem: &str) -> Flags {
    if let Source::Text(ca) = source {
        if !any_blank(ca) {
            return Flags::new();
        }
    }
    let mut flags: Flags = vec![None; n];
    source.visit(n, stem, |row, v| {
        if v.is_none_or(|v| v.trim().is_empty()) {
            flags[row] = Some(QuarantineReason::MissingRequired);
        }
    });
    flags
}

/// Validates one file. `seen_ids` carries the accepted transaction ids of earlier files (and
/// history), so a later duplicate is quarantined.
pub fn validate(
    raw: &DataFrame,
    ctx: &FileContext,
    seen_ids: &mut FingerprintSet,
    remember_ids: bool,
) -> Result<ValidatedFile, IngestError> {
    let n = raw.height();
    let cols = resolve_sources(raw, ctx)?;
    let stem = ctx.file_stem;
    let src = |c: usize| &cols.sources[c];

    // the column checks are independent: run them on both cores
    let (
        (id_flags, (timestamps, ts_flags)),
        ((amounts, amount_flags), (currency, (channel, countries))),
    ) = rayon::join(
        || {
            rayon::join(
                || missing_flags(src(COL_TXN_ID), n, stem),
                || timestamp_column(&cols, n, ctx),
            )
        },
        || {
            rayon::join(
                || amount_column(&cols, n, ctx),
                || {
                    rayon::join(
                        || {
                            code_column(src(COL_CURRENCY), n, ctx, COL_CURRENCY, true, true, |c| {
                                (!codes::is_currency(c)).then_some(QuarantineReason::BadCurrency)
                            })
                        },
                        || {
                            rayon::join(
                                || channel_column(src(COL_CHANNEL), n, ctx),
                                || {
                                    [COL_ORIG_COUNTRY, COL_BENE_COUNTRY].map(|column| {
                                        code_column(
                                            src(column),
                                            n,
                                            ctx,
                                            column,
                                            false,
                                            false,
                                            |c| {
                                                (!codes::is_country(c))
                                                    .then_some(QuarantineReason::BadCountry)
                                            },
                                        )
                                    })
                                },
                            )
                        },
                    )
                },
            )
        },
    );
    let (channels, channel_flags, channel_verbatim) = channel;
    let [orig_countries, bene_countries] = countries;
    // a row's first problem in schema order
    let columns_in_order: [(usize, &Flags); 7] = [
        (COL_TXN_ID, &id_flags),
        (COL_TIMESTAMP, &ts_flags),
        (COL_AMOUNT, &amount_flags),
        (COL_CURRENCY, &currency.flags),
        (COL_CHANNEL, &channel_flags),
        (COL_ORIG_COUNTRY, &orig_countries.flags),
        (COL_BENE_COUNTRY, &bene_countries.flags),
    ];
    // columns with no problem at all have no entries
    let flagged: Vec<(usize, &Flags)> = columns_in_order
        .into_iter()
        .filter(|(_, flags)| !flags.is_empty())
        .collect();
    // filled in parallel: a column-sized vector written by one thread page-faults on one core
    let mut first: Vec<Option<(usize, QuarantineReason)>> = (0..n)
        .into_par_iter()
        .map(|row| {
            flagged
                .iter()
                .find_map(|(c, flags)| flags[row].map(|r| (*c, r)))
        })
        .collect();

    // duplicates: a later occurrence (earlier file or history, then earlier row) is
    // quarantined; checked before FX because txn_id comes first in the schema
    // ids that strictly increase (or are generated from row numbers) cannot repeat in the
    // file, and with no earlier ids to meet and none to remember, there is nothing to hash
    let ids_are_new = seen_ids.is_empty()
        && !remember_ids
        && match src(COL_TXN_ID) {
            Source::Text(ids) => strictly_increasing_trimmed(ids),
            Source::RowNumber(_) => true,
            _ => false,
        };
    let fingerprints = if ids_are_new {
        Vec::new()
    } else {
        let hashes = id_hashes(src(COL_TXN_ID), n, stem);
        dedup::flag_duplicates(&hashes, &mut first, seen_ids, remember_ids, |row| {
            src(COL_TXN_ID).get(row, stem).map(trimmed)
        })
    };
    let base_amounts = to_base_amounts(&mut first, &amounts, &currency, ctx);
    if remember_ids {
        seen_ids.extend(
            fingerprints
                .iter()
                .filter(|(_, row)| first[*row as usize].is_none())
                .map(|(id, _)| *id),
        );
    }

    let quarantined: Vec<(usize, (usize, QuarantineReason))> = first
        .par_iter()
        .enumerate()
        .filter_map(|(row, problem)| problem.map(|problem| (row, problem)))
        .collect();
    drop(first);
    let quarantine: Vec<QuarantineRow> = quarantined
        .iter()
        .map(|&(row, (column, reason))| {
            let raw_value = if column == COL_TIMESTAMP && cols.typed_timestamp.is_some() {
                String::new()
            } else {
                src(column)
                    .get(row, stem)
                    .map(|v| v.into_owned())
                    .unwrap_or_default()
            };
            QuarantineRow {
                file: ctx.file.to_string(),
                row: ctx.row_number(row),
                txn_id: src(COL_TXN_ID)
                    .get(row, stem)
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default(),
                column: CANONICAL_COLUMNS[column],
                value: raw_value,
                reason,
            }
        })
        .collect();
    // the accepted rows: their number, which they are (only listed when some row was
    // quarantined) and a mask of them
    let accepted_count = n - quarantined.len();
    let mut keep = vec![true; n];
    for &(row, _) in &quarantined {
        keep[row] = false;
    }
    let accepted: Vec<usize> = if accepted_count == n {
        Vec::new()
    } else {
        (0..n).filter(|&row| keep[row]).collect()
    };

    // typed output for accepted rows: text shared with the source arrays where possible
    let polars_err = |e: PolarsError| IngestError::unreadable(ctx.file.to_string(), e);
    // the mask that filters a source column down to the accepted rows (none: all accepted)
    let keep_mask = (accepted_count < n).then(|| BooleanChunked::from_slice("keep".into(), &keep));
    let text_columns: Vec<StringChunked> = [COL_TXN_ID]
        .into_iter()
        .chain(TEXT_COLUMNS)
        .collect::<Vec<_>>()
        .par_iter()
        .map(|&c| text_column(src(c), n, ctx, c, &keep, keep_mask.as_ref(), accepted_count))
        .collect::<PolarsResult<_>>()
        .map_err(polars_err)?;
    let replaced = if ctx.decoded_lossily {
        rows_with_replacement_characters(&text_columns[1..])
    } else {
        0
    };
    // a typed column of the accepted rows (the values as they are when all were accepted)
    let pick_i64 = |values: Vec<i64>, name: &str| {
        if accepted_count == n {
            Int64Chunked::from_vec(name.into(), values)
        } else {
            Int64Chunked::from_iter_values(name.into(), accepted.iter().map(|&r| values[r]))
        }
    };
    let ts = pick_i64(timestamps, "ts")
        .into_series()
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .map_err(polars_err)?;
    // code columns: gather from their short dictionaries (no per-row string building)
    let decode = |name: &str, dictionary: Vec<&str>, code_of: &(dyn Fn(usize) -> usize + Sync)| {
        let dictionary = StringChunked::from_iter_values(name.into(), dictionary.into_iter());
        let code = |row: usize| code_of(row) as IdxSize;
        let idx = IdxCa::from_vec(
            "idx".into(),
            if accepted_count == n {
                (0..n).into_par_iter().map(code).collect()
            } else {
                accepted.par_iter().map(|&row| code(row)).collect()
            },
        );
        dictionary.take(&idx).map(|c| c.into_series().into_column())
    };
    // a column whose accepted values are all canonical as written is shared with the source
    let shared = |column: usize, verbatim: bool| match src(column) {
        Source::Text(ca) if verbatim && shareable(src(column)) => Some(match &keep_mask {
            None => Ok(ca.clone()),
            Some(mask) => ca.filter(mask),
        }),
        _ => None,
    };
    let shared_or_decoded =
        |name: &str,
         column: usize,
         verbatim: bool,
         dictionary: Vec<&str>,
         code_of: &(dyn Fn(usize) -> usize + Sync)| {
            match shared(column, verbatim) {
                Some(ca) => ca.map(|ca| ca.with_name(name.into()).into_series().into_column()),
                None => decode(name, dictionary, code_of),
            }
        };
    let decode_codes = |name: &str, column: usize, codes: &Codes| {
        shared_or_decoded(name, column, codes.verbatim, dictionary_of(codes), &|r| {
            codes.per_row[r] as usize
        })
    };
    let channel_names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    let channel_code = |r: usize| {
        Channel::ALL
            .iter()
            .position(|c| *c == channels[r])
            .unwrap_or(0)
    };
    let [txn_id, orig_account, orig_name, bene_account, bene_name, branch]: [StringChunked; 6] =
        text_columns.try_into().unwrap_or_else(|_| unreachable!());
    let columns: Vec<Column> = vec![
        txn_id.into_series().into(),
        ts.into(),
        pick_i64(amounts, "amount").into_series().into(),
        decode_codes("currency", COL_CURRENCY, &currency).map_err(polars_err)?,
        pick_i64(base_amounts, "base_amount").into_series().into(),
        shared_or_decoded(
            "channel",
            COL_CHANNEL,
            channel_verbatim,
            channel_names,
            &channel_code,
        )
        .map_err(polars_err)?,
        orig_account.into_series().into(),
        orig_name.into_series().into(),
        decode_codes("orig_country", COL_ORIG_COUNTRY, &orig_countries).map_err(polars_err)?,
        bene_account.into_series().into(),
        bene_name.into_series().into(),
        decode_codes("bene_country", COL_BENE_COUNTRY, &bene_countries).map_err(polars_err)?,
        branch.into_series().into(),
    ];
    let frame = DataFrame::new(accepted_count, columns).map_err(polars_err)?;
    Ok(ValidatedFile {
        frame,
        rows_read: n as u64,
        quarantine,
        rows_with_replaced_bytes: replaced,
    })
}

/// Each row's amount in the base currency; a row whose currency has no rate is flagged
/// `no_fx_rate`, one whose converted amount does not fit is flagged `bad_amount`. Rates are looked up once per currency.
fn to_base_amounts(
    first: &mut [Option<(usize, QuarantineReason)>],
    amounts: &[i64],
    currency: &Codes,
    ctx: &FileContext,
) -> Vec<i64> {
    let converters: Vec<_> = currency
        .dictionary
        .iter()
        .map(|code| ctx.fx.converter(code))
        .collect();
    let mut base_amounts = vec![0i64; amounts.len()];
    base_amounts
        .par_iter_mut()
        .zip(first.par_iter_mut())
        .enumerate()
        .for_each(|(row, (base, problem))| {
            if problem.is_some() {
                return;
            }
            let converter = converters[currency.per_row[row] as usize];
            match converter.map(|c| c.apply(amounts[row])) {
                Some(Some(b)) => *base = b,
                // a rate, but the converted amount does not fit: the amount is at fault
                Some(None) => *problem = Some((COL_AMOUNT, QuarantineReason::BadAmount)),
                None => *problem = Some((COL_CURRENCY, QuarantineReason::NoFxRate)),
            }
        });
    base_amounts
}

/// A code column's dictionary as string slices.
fn dictionary_of(codes: &Codes) -> Vec<&str> {
    codes.dictionary.iter().map(String::as_str).collect()
}

/// How many rows hold a U+FFFD replacement character (undecodable input bytes) in any of
/// `columns`.
fn rows_with_replacement_characters(columns: &[StringChunked]) -> u64 {
    let per_column: Vec<Vec<usize>> = columns
        .par_iter()
        .map(|ca| {
            ca.iter()
                .enumerate()
                .filter(|(_, v)| v.is_some_and(|v| v.contains('\u{FFFD}')))
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let mut rows: Vec<usize> = per_column.into_iter().flatten().collect();
    rows.sort_unstable();
    rows.dedup();
    rows.len() as u64
}

/// The accepted rows of a text column, trimmed and mapped by the profile. Plain text sources
/// that need no trimming or mapping are filtered by `keep_mask` (`None`: every row was
/// accepted), sharing the source's string buffers, rather than copied value by value.
fn text_column(
    source: &Source,
    n: usize,
    ctx: &FileContext,
    column: usize,
    keep: &[bool],
    keep_mask: Option<&BooleanChunked>,
    accepted: usize,
) -> PolarsResult<StringChunked> {
    let name = CANONICAL_COLUMNS[column];
    let has_value_map = ctx
        .profile
        .is_some_and(|p| p.values.contains_key(CANONICAL_COLUMNS[column]));
    Ok(match source {
        // fast path: nothing to map, trim or fill: share the source array
        Source::Text(ca) if !has_value_map && ca.null_count() == 0 && all_trimmed(ca) => {
            match keep_mask {
                None => ca.clone().with_name(name.into()),
                Some(mask) => ca.filter(mask)?.with_name(name.into()),
            }
        }
        Source::Text(ca) => StringChunked::from_iter_values(
            name.into(),
            ca.iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(v, _)| mapped(ctx, column, v.unwrap_or(""))),
        ),
        _ => {
            let mut values: Vec<String> = Vec::with_capacity(accepted);
            source.visit(n, ctx.file_stem, |row, v| {
                if keep[row] {
                    values.push(mapped(ctx, column, v.unwrap_or("")).to_string());
                }
            });
            StringChunked::from_iter_values(name.into(), values.iter().map(String::as_str))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(fx: &FxTable) -> FileContext<'_> {
        FileContext {
            file: "t.parquet",
            file_stem: "t",
            profile: None,
            fx,
            timestamp_format: TimestampFormat::Iso8601,
            naive_offset_secs: 0,
            decoded_lossily: false,
            row_numbers: None,
        }
    }

    /// A text column in one chunk per value, with views shared between equal values of a
    /// chunk (as a Parquet reader decodes a dictionary column).
    fn chunked(values: &[&str]) -> StringChunked {
        let mut column = StringChunked::from_slice("c".into(), &values[..1]);
        for value in &values[1..] {
            let one = StringChunked::from_slice("c".into(), &[*value]);
            let repeated = one.take(&IdxCa::from_vec("i".into(), vec![0, 0])).unwrap();
            column.append(&repeated).unwrap();
        }
        column
    }

    #[test]
    fn code_columns_are_checked_once_per_value_and_every_row_gets_its_own_outcome() {
        let fx = FxTable::base_only("USD");
        let ctx = context(&fx);
        let source = Source::Text(chunked(&["jm", "JM", "", "XX", "us", "JM"]));
        let n = 11; // one row, then two per value
        let codes = code_column(&source, n, &ctx, COL_ORIG_COUNTRY, false, false, |c| {
            (!codes::is_country(c)).then_some(QuarantineReason::BadCountry)
        });
        let decoded: Vec<&str> = codes
            .per_row
            .iter()
            .map(|&i| codes.dictionary[i as usize].as_str())
            .collect();
        assert_eq!(
            decoded,
            ["JM", "JM", "JM", "", "", "", "", "US", "US", "JM", "JM"]
        );
        let bad = Some(QuarantineReason::BadCountry);
        let mut flags = vec![None; n];
        flags[5] = bad;
        flags[6] = bad;
        assert_eq!(codes.flags, flags);
        // "jm" and "us" are not written as their canonical codes
        assert!(!codes.verbatim);
        let canonical = Source::Text(chunked(&["JM", "US", "JM"]));
        let codes = code_column(&canonical, 5, &ctx, COL_ORIG_COUNTRY, true, false, |_| None);
        assert!(codes.verbatim);
        // shared as written, with no problem: no per-row codes or flags are built
        assert!(codes.per_row.is_empty() && codes.flags.is_empty());
        // unless the caller needs the codes (currencies, for the FX rates)
        let codes = code_column(&canonical, 5, &ctx, COL_ORIG_COUNTRY, true, true, |_| None);
        assert_eq!(codes.per_row, [1, 2, 2, 1, 1]);
        assert!(codes.flags.is_empty());
        // a column with nulls cannot be shared, so its codes are built
        let with_null = Source::Text(StringChunked::new("c".into(), [Some("JM"), None]));
        let codes = code_column(&with_null, 2, &ctx, COL_ORIG_COUNTRY, false, false, |_| {
            None
        });
        assert_eq!(codes.per_row, [1, 0]);
    }

    #[test]
    fn blank_ids_are_flagged_and_a_column_without_them_has_no_flags() {
        let ids = |values: &[Option<&str>]| Source::Text(StringChunked::new("c".into(), values));
        assert!(missing_flags(&ids(&[Some("T1"), Some("a b")]), 2, "t").is_empty());
        let missing = Some(QuarantineReason::MissingRequired);
        assert_eq!(
            missing_flags(&ids(&[Some("T1"), Some(" \t"), None, Some("")]), 4, "t"),
            [None, missing, missing, missing]
        );
        assert_eq!(
            missing_flags(&ids(&[Some(" T1"), Some("\u{a0}")]), 2, "t"),
            [None, missing]
        );
    }

    #[test]
    fn channels_are_parsed_once_per_value_and_unknown_ones_flagged() {
        let fx = FxTable::base_only("USD");
        let ctx = context(&fx);
        let source = Source::Text(chunked(&["CASH", "wire", "", "CARRIER PIGEON"]));
        let (channels, flags, verbatim) = channel_column(&source, 7, &ctx);
        assert_eq!(channels[0], Channel::Cash);
        assert_eq!(channels[1..3], [Channel::Wire, Channel::Wire]);
        assert_eq!(flags[3..5], [Some(QuarantineReason::MissingRequired); 2]);
        assert_eq!(flags[5..7], [Some(QuarantineReason::UnknownChannel); 2]);
        assert_eq!(flags[..3], [None; 3]);
        assert!(!verbatim, "`wire` is not written canonically");
        // canonical and all known: shared as written, no per-row channels or flags built
        let canonical = Source::Text(chunked(&["CASH", "WIRE"]));
        let (channels, flags, verbatim) = channel_column(&canonical, 3, &ctx);
        assert!(verbatim && channels.is_empty() && flags.is_empty());
    }
}
