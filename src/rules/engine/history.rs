//! Each subject's transactions in time order, for the detectors that compare a subject with its
//! own past (dormancy, velocity).
//!
//! Polars groups the rows by subject (hashing each subject string once, in parallel); the
//! detectors then walk each subject's short, time-ordered history in plain Rust. A run builds
//! the histories of a subject kind once and shares them between rules (see [`HistoryCache`]);
//! each rule's filter becomes a mask over the base rows instead of a new frame.

use super::exprs::{filter_expr, with_subject, BASE_AMOUNT, ROW, SUBJECT, TS};
use crate::rules::plan::{Predicate, Subject};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Every transaction of every subject (each side once for [`Subject::Either`]), grouped by
/// subject and ordered by time.
pub struct Histories {
    names: StringChunked,
    /// Transaction time of each entry, UTC microseconds.
    pub ts: Vec<i64>,
    /// Amount in the base currency of each entry, micros.
    pub amount: Vec<i64>,
    /// Row number in the base frame of each entry.
    pub row: Vec<u32>,
    /// Entries per subject, sorted by time; entries at the same time keep frame order.
    pub subjects: Vec<Vec<IdxSize>>,
}

impl Histories {
    /// The histories of `subject` over `base` (which carries row numbers), unfiltered.
    pub fn of(base: &DataFrame, subject: &Subject) -> PolarsResult<Self> {
        let frame = with_subject(base.clone().lazy(), subject)?
            .select([
                col(SUBJECT),
                col(TS).cast(DataType::Int64),
                col(BASE_AMOUNT).cast(DataType::Int64),
                col(ROW).cast(DataType::UInt32),
            ])
            .collect()?;
        let ts = int_values(&frame, TS)?;
        let amount = int_values(&frame, BASE_AMOUNT)?;
        let row = frame
            .column(ROW)?
            .u32()?
            .iter()
            .map(|r| r.unwrap_or(0))
            .collect();
        let grouped = frame.group_by([SUBJECT])?;
        let mut subjects: Vec<Vec<IdxSize>> = match &**grouped.get_groups() {
            GroupsType::Idx(groups) => groups.all().iter().map(|g| g.to_vec()).collect(),
            GroupsType::Slice { groups, .. } => groups
                .iter()
                .map(|[first, len]| (*first..*first + *len).collect())
                .collect(),
        };
        subjects
            .par_iter_mut()
            .for_each(|entries| entries.sort_by_key(|&e| ts[e as usize]));
        Ok(Self {
            names: frame.column(SUBJECT)?.str()?.clone(),
            ts,
            amount,
            row,
            subjects,
        })
    }

    /// The subject of an entry.
    pub fn name(&self, entry: IdxSize) -> &str {
        self.names.get(entry as usize).unwrap_or("")
    }
}

/// Histories built once per run and subject kind, shared by the rules of the run.
#[derive(Default)]
pub struct HistoryCache(Mutex<Vec<(Subject, Arc<Histories>)>>);

impl HistoryCache {
    /// The histories of `subject` over `base`, built on first use.
    pub fn get(&self, base: &DataFrame, subject: &Subject) -> PolarsResult<Arc<Histories>> {
        let mut cached = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, found)) = cached.iter().find(|(s, _)| s == subject) {
            return Ok(found.clone());
        }
        let built = Arc::new(Histories::of(base, subject)?);
        cached.push((subject.clone(), built.clone()));
        Ok(built)
    }
}

/// Which rows of `base` match `filter`, by row number; `None` when there is no filter.
pub fn row_mask(base: &DataFrame, filter: &[Predicate]) -> PolarsResult<Option<Vec<bool>>> {
    if filter.is_empty() {
        return Ok(None);
    }
    let frame = base
        .clone()
        .lazy()
        .select([filter_expr(filter).fill_null(lit(false)).alias("matches")])
        .collect()?;
    let matches = frame.column("matches")?.bool()?;
    Ok(Some(matches.iter().map(|m| m == Some(true)).collect()))
}

/// An integer column as a vector (nulls as 0; the canonical frame has none in the columns used).
pub fn int_values(frame: &DataFrame, name: &str) -> PolarsResult<Vec<i64>> {
    let column = frame.column(name)?.cast(&DataType::Int64)?;
    Ok(column.i64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

/// `subject` → value of `column` from a frame of per-account facts (a nightly state's accounts).
pub fn per_subject(frame: Option<&DataFrame>, column: &str) -> PolarsResult<HashMap<String, i64>> {
    let Some(frame) = frame else {
        return Ok(HashMap::new());
    };
    let subjects = frame.column(SUBJECT)?.str()?.clone();
    let values = int_values(frame, column)?;
    Ok(subjects
        .iter()
        .zip(values)
        .filter_map(|(s, v)| s.map(|s| (s.to_string(), v)))
        .collect())
}
