//! Row validation: turns one raw table into typed canonical columns plus quarantine rows.
//!
//! Each canonical column is checked in one pass over the column (not row by row across
//! columns), and a row's first problem in schema order is the reason it is quarantined.

use super::fx::FxTable;
use super::profile::{
    ColumnSpec, ConcatSpec, MappingProfile, PositionSpec, SourceColumn, CANONICAL_COLUMNS,
};
use super::timestamp::{parse_timestamp, TimestampFormat};
use super::{codes, IngestError, QuarantineReason, QuarantineRow};
use crate::model::{parse_money, Channel, MoneyError, MICROS_PER_UNIT};
use polars::prelude::*;
use std::borrow::Cow;
use std::collections::HashSet;

/// Everything validation needs to know about one file.
pub struct FileContext<'a> {
    pub file: &'a str,
    pub file_stem: &'a str,
    pub profile: Option<&'a MappingProfile>,
    pub fx: &'a FxTable,
    pub timestamp_format: TimestampFormat,
    pub naive_offset_secs: i32,
}

/// Where one canonical column's text comes from.
enum Source {
    Text(StringChunked),
    Concat(Vec<StringChunked>, String),
    Constant(String),
    RowNumber,
    Absent,
}

impl Source {
    fn get(&self, row: usize, file_stem: &str) -> Option<Cow<'_, str>> {
        match self {
            Source::Text(ca) => ca.get(row).map(Cow::Borrowed),
            Source::Concat(parts, sep) => {
                let values: Vec<&str> = parts.iter().map(|ca| ca.get(row).unwrap_or("")).collect();
                Some(Cow::Owned(values.join(sep)))
            }
            Source::Constant(v) => Some(Cow::Borrowed(v.as_str())),
            Source::RowNumber => Some(Cow::Owned(format!("{file_stem}-{}", row + 1))),
            Source::Absent => None,
        }
    }
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

enum Float64OrInt {
    Float(Float64Chunked),
    Int(Int64Chunked),
}

fn find_header(frame: &DataFrame, name: &str) -> Option<usize> {
    let names = frame.get_column_names();
    names.iter().position(|n| n.as_str() == name).or_else(|| {
        names
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(name.trim()))
    })
}

fn column_as_text(frame: &DataFrame, idx: usize) -> Result<StringChunked, PolarsError> {
    let col = &frame.columns()[idx];
    let series = col.as_materialized_series();
    let text = if series.dtype() == &DataType::String {
        series.clone()
    } else {
        series.cast(&DataType::String)?
    };
    Ok(text.str()?.rechunk().into_owned())
}

fn resolve_sources(frame: &DataFrame, ctx: &FileContext) -> Result<ColumnSources, IngestError> {
    let width = frame.width();
    let header_list = || {
        frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let missing = |column: &str, wanted: String| IngestError::MissingColumn {
        file: ctx.file.to_string(),
        column: column.to_string(),
        wanted,
        found: header_list(),
    };
    let polars_err = |e: PolarsError| IngestError::Unreadable {
        file: ctx.file.to_string(),
        reason: e.to_string(),
    };
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
                    (
                        Source::Text(column_as_text(frame, i).map_err(polars_err)?),
                        Some(i),
                    )
                }
                ColumnSpec::Position(PositionSpec { position }) => {
                    let i = source_index(column, &SourceColumn::Position(*position))?;
                    (
                        Source::Text(column_as_text(frame, i).map_err(polars_err)?),
                        Some(i),
                    )
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
            (Source::RowNumber, None)
        } else if let Some(i) = find_header(frame, column) {
            (
                Source::Text(column_as_text(frame, i).map_err(polars_err)?),
                Some(i),
            )
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
        dt if dt.is_integer() => s.cast(&DataType::Int64).ok().and_then(|c| {
            c.i64()
                .ok()
                .map(|ca| Float64OrInt::Int(ca.rechunk().into_owned()))
        }),
        _ => None,
    });
    let typed_timestamp = typed("timestamp").and_then(|s| match s.dtype() {
        DataType::Datetime(_, _) => s
            .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
            .ok()
            .and_then(|c| c.cast(&DataType::Int64).ok())
            .and_then(|c| c.i64().ok().map(|ca| ca.rechunk().into_owned())),
        _ => None,
    });
    Ok(ColumnSources {
        sources,
        typed_amount,
        typed_timestamp,
    })
}

/// Per-row first problem, in schema order.
struct RowProblems {
    first: Vec<Option<(usize, QuarantineReason)>>,
}

impl RowProblems {
    fn flag(&mut self, row: usize, column: usize, reason: QuarantineReason) {
        if self.first[row].is_none() {
            self.first[row] = Some((column, reason));
        }
    }
    fn ok(&self, row: usize) -> bool {
        self.first[row].is_none()
    }
}

const COL_TXN_ID: usize = 0;
const COL_TIMESTAMP: usize = 1;
const COL_AMOUNT: usize = 2;
const COL_CURRENCY: usize = 3;
const COL_CHANNEL: usize = 4;
const COL_ORIG_COUNTRY: usize = 7;
const COL_BENE_COUNTRY: usize = 10;
const TEXT_COLUMNS: [usize; 5] = [5, 6, 8, 9, 11];

/// Validates one file. `seen_ids` carries the accepted transaction ids of earlier files (and
/// history), so a later duplicate is quarantined.
pub fn validate(
    raw: &DataFrame,
    ctx: &FileContext,
    seen_ids: &mut HashSet<u128>,
) -> Result<ValidatedFile, IngestError> {
    let n = raw.height();
    let cols = resolve_sources(raw, ctx)?;
    let stem = ctx.file_stem;
    let mapped = |column: usize, value: Cow<'_, str>| -> String {
        let trimmed = value.trim();
        match ctx.profile {
            Some(p) => p
                .map_value(CANONICAL_COLUMNS[column], trimmed)
                .trim()
                .to_string(),
            None => trimmed.to_string(),
        }
    };
    let mut problems = RowProblems {
        first: vec![None; n],
    };

    // txn_id
    for row in 0..n {
        let empty = cols.sources[COL_TXN_ID]
            .get(row, stem)
            .is_none_or(|v| v.trim().is_empty());
        if empty {
            problems.flag(row, COL_TXN_ID, QuarantineReason::MissingRequired);
        }
    }

    // timestamp
    let latest_allowed = chrono::Utc::now().timestamp_micros() + 86_400 * 1_000_000;
    let mut timestamps = vec![0i64; n];
    for (row, ts_out) in timestamps.iter_mut().enumerate() {
        let parsed = match &cols.typed_timestamp {
            // a typed datetime without zone is local time at the profile's offset
            Some(typed) => typed
                .get(row)
                .map(|v| Some(v - i64::from(ctx.naive_offset_secs) * 1_000_000)),
            None => match cols.sources[COL_TIMESTAMP].get(row, stem) {
                Some(v) if !v.trim().is_empty() => Some(parse_timestamp(
                    &v,
                    &ctx.timestamp_format,
                    ctx.naive_offset_secs,
                )),
                _ => None,
            },
        };
        match parsed {
            // more than a day in the future is a data error, not a transaction
            Some(Some(ts)) if ts <= latest_allowed => *ts_out = ts,
            Some(_) => problems.flag(row, COL_TIMESTAMP, QuarantineReason::BadTimestamp),
            None => problems.flag(row, COL_TIMESTAMP, QuarantineReason::MissingRequired),
        }
    }

    // amount
    let mut amounts = vec![0i64; n];
    for (row, amount_out) in amounts.iter_mut().enumerate() {
        let parsed: Option<Result<i64, MoneyError>> = match &cols.typed_amount {
            Some(Float64OrInt::Float(ca)) => ca.get(row).map(|f| {
                if !f.is_finite() || f.abs() > 9.0e12 {
                    Err(MoneyError::Malformed)
                } else if f <= 0.0 {
                    Err(MoneyError::NotPositive)
                } else {
                    Ok((f * MICROS_PER_UNIT as f64).round() as i64)
                }
            }),
            Some(Float64OrInt::Int(ca)) => ca.get(row).map(|i| {
                if i <= 0 {
                    Err(MoneyError::NotPositive)
                } else {
                    i.checked_mul(MICROS_PER_UNIT).ok_or(MoneyError::Malformed)
                }
            }),
            None => match cols.sources[COL_AMOUNT].get(row, stem) {
                Some(v) if !v.trim().is_empty() => Some(parse_money(&v)),
                _ => None,
            },
        };
        match parsed {
            Some(Ok(m)) if m > 0 => *amount_out = m,
            Some(Ok(_)) | Some(Err(MoneyError::NotPositive)) => {
                problems.flag(row, COL_AMOUNT, QuarantineReason::NonPositiveAmount)
            }
            Some(Err(MoneyError::Malformed)) => {
                problems.flag(row, COL_AMOUNT, QuarantineReason::BadAmount)
            }
            None => problems.flag(row, COL_AMOUNT, QuarantineReason::MissingRequired),
        }
    }

    // currency: dictionary-encoded while checking
    let mut currency_codes: Vec<String> = Vec::new();
    let mut currencies = vec![0u16; n];
    for (row, code_out) in currencies.iter_mut().enumerate() {
        let Some(raw_value) = cols.sources[COL_CURRENCY].get(row, stem) else {
            problems.flag(row, COL_CURRENCY, QuarantineReason::MissingRequired);
            continue;
        };
        let code = mapped(COL_CURRENCY, raw_value).to_ascii_uppercase();
        if code.is_empty() {
            problems.flag(row, COL_CURRENCY, QuarantineReason::MissingRequired);
        } else if !codes::is_currency(&code) {
            problems.flag(row, COL_CURRENCY, QuarantineReason::BadCurrency);
        } else {
            let idx = match currency_codes.iter().position(|c| *c == code) {
                Some(i) => i,
                None => {
                    currency_codes.push(code);
                    currency_codes.len() - 1
                }
            };
            *code_out = idx as u16;
        }
    }

    // channel
    let mut channels = vec![Channel::Other; n];
    for (row, channel_out) in channels.iter_mut().enumerate() {
        match cols.sources[COL_CHANNEL].get(row, stem) {
            Some(v) if !v.trim().is_empty() => match Channel::parse(&mapped(COL_CHANNEL, v)) {
                Some(c) => *channel_out = c,
                None => problems.flag(row, COL_CHANNEL, QuarantineReason::UnknownChannel),
            },
            _ => problems.flag(row, COL_CHANNEL, QuarantineReason::MissingRequired),
        }
    }

    // countries: empty allowed, otherwise ISO 3166-1 alpha-2
    let mut countries: [Vec<String>; 2] = [vec![String::new(); n], vec![String::new(); n]];
    for (out, column) in countries
        .iter_mut()
        .zip([COL_ORIG_COUNTRY, COL_BENE_COUNTRY])
    {
        for (row, country_out) in out.iter_mut().enumerate() {
            let Some(v) = cols.sources[column].get(row, stem) else {
                continue;
            };
            let code = mapped(column, v).to_ascii_uppercase();
            if !code.is_empty() && !codes::is_country(&code) {
                problems.flag(row, column, QuarantineReason::BadCountry);
            }
            *country_out = code;
        }
    }

    // duplicates: a later occurrence (earlier file or history, then earlier row) is
    // quarantined; checked before FX because txn_id comes first in the schema
    let mut ids = vec![0u128; n];
    let mut in_this_file: HashSet<u128> = HashSet::new();
    for (row, fingerprint) in ids.iter_mut().enumerate() {
        if !problems.ok(row) {
            continue;
        }
        if let Some(id) = cols.sources[COL_TXN_ID].get(row, stem) {
            *fingerprint = id_hash(id.trim());
            if seen_ids.contains(fingerprint) || !in_this_file.insert(*fingerprint) {
                problems.flag(row, COL_TXN_ID, QuarantineReason::DuplicateTxnId);
            }
        }
    }

    // FX to base currency
    let mut base_amounts = vec![0i64; n];
    for row in 0..n {
        if !problems.ok(row) {
            continue;
        }
        let currency = &currency_codes[currencies[row] as usize];
        match ctx.fx.to_base(currency, amounts[row]) {
            Some(b) => base_amounts[row] = b,
            None => problems.flag(row, COL_CURRENCY, QuarantineReason::NoFxRate),
        }
    }
    seen_ids.extend((0..n).filter(|&row| problems.ok(row)).map(|row| ids[row]));

    // quarantine rows
    let mut quarantine = Vec::new();
    let mut accepted: Vec<usize> = Vec::with_capacity(n);
    for row in 0..n {
        match problems.first[row] {
            None => accepted.push(row),
            Some((column, reason)) => {
                let raw_value = if column == COL_TIMESTAMP && cols.typed_timestamp.is_some() {
                    String::new()
                } else {
                    cols.sources[column]
                        .get(row, stem)
                        .map(|v| v.into_owned())
                        .unwrap_or_default()
                };
                quarantine.push(QuarantineRow {
                    file: ctx.file.to_string(),
                    row: row as u64 + 1,
                    txn_id: cols.sources[COL_TXN_ID]
                        .get(row, stem)
                        .map(|v| v.trim().to_string())
                        .unwrap_or_default(),
                    column: CANONICAL_COLUMNS[column],
                    value: raw_value,
                    reason,
                });
            }
        }
    }

    // typed output for accepted rows
    let text_of = |column: usize| -> StringChunked {
        StringChunked::from_iter_values(
            CANONICAL_COLUMNS[column].into(),
            accepted.iter().map(|&row| {
                cols.sources[column]
                    .get(row, stem)
                    .map(|v| mapped(column, v))
                    .unwrap_or_default()
            }),
        )
    };
    let mut replaced = 0u64;
    let text_columns: Vec<StringChunked> = TEXT_COLUMNS.iter().map(|&c| text_of(c)).collect();
    for (i, _) in accepted.iter().enumerate() {
        if text_columns
            .iter()
            .any(|ca| ca.get(i).is_some_and(|v| v.contains('\u{FFFD}')))
        {
            replaced += 1;
        }
    }
    let pick_i64 = |values: &[i64], name: &str| {
        Int64Chunked::from_iter_values(name.into(), accepted.iter().map(|&r| values[r]))
    };
    let ts = pick_i64(&timestamps, "ts")
        .into_series()
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .map_err(|e| IngestError::Unreadable {
            file: ctx.file.to_string(),
            reason: e.to_string(),
        })?;
    let [orig_account, orig_name, bene_account, bene_name, branch]: [StringChunked; 5] =
        text_columns.try_into().unwrap_or_else(|_| unreachable!());
    let columns: Vec<Column> = vec![
        text_of(COL_TXN_ID).into_series().into(),
        ts.into(),
        pick_i64(&amounts, "amount").into_series().into(),
        StringChunked::from_iter_values(
            "currency".into(),
            accepted
                .iter()
                .map(|&r| currency_codes[currencies[r] as usize].as_str()),
        )
        .into_series()
        .into(),
        pick_i64(&base_amounts, "base_amount").into_series().into(),
        StringChunked::from_iter_values(
            "channel".into(),
            accepted.iter().map(|&r| channels[r].as_str()),
        )
        .into_series()
        .into(),
        orig_account.into_series().into(),
        orig_name.into_series().into(),
        StringChunked::from_iter_values(
            "orig_country".into(),
            accepted.iter().map(|&r| countries[0][r].as_str()),
        )
        .into_series()
        .into(),
        bene_account.into_series().into(),
        bene_name.into_series().into(),
        StringChunked::from_iter_values(
            "bene_country".into(),
            accepted.iter().map(|&r| countries[1][r].as_str()),
        )
        .into_series()
        .into(),
        branch.into_series().into(),
    ];
    let frame = DataFrame::new(accepted.len(), columns).map_err(|e| IngestError::Unreadable {
        file: ctx.file.to_string(),
        reason: e.to_string(),
    })?;
    Ok(ValidatedFile {
        frame,
        rows_read: n as u64,
        quarantine,
        rows_with_replaced_bytes: replaced,
    })
}

/// A 128-bit fingerprint of a transaction id, so the duplicate set does not hold the strings.
pub fn id_hash(id: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut a);
    let mut fnv: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        fnv ^= u64::from(b);
        fnv = fnv.wrapping_mul(0x0100_0000_01b3);
    }
    (u128::from(a.finish()) << 64) | u128::from(fnv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_fingerprints_differ_and_repeat() {
        assert_eq!(id_hash("T1"), id_hash("T1"));
        assert_ne!(id_hash("T1"), id_hash("T2"));
    }
}
