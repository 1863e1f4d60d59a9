//! Each subject's transactions in time order, for the detectors that compare a subject with its
//! own past (dormancy, velocity).
//!
//! The base rows are bucketed by the subject's account key (an integer per account, see
//! [`super::keys`]), without copying the frame; the detectors then walk each subject's short,
//! time-ordered history in plain Rust. A run builds the histories of a subject kind once and
//! shares them between rules (see [`HistoryCache`]); each rule's filter becomes a mask over the
//! base rows.

use super::exprs::{filter_expr, with_subject, BASE_AMOUNT, ROW, SUBJECT, TS};
use super::keys::{Accounts, BENE_KEY, NO_ACCOUNT, ORIG_KEY};
use crate::rules::plan::{Predicate, Subject};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Every transaction of every subject (each side once for [`Subject::Either`]), grouped by
/// subject and ordered by time.
pub struct Histories {
    /// Transaction time of each base row, UTC microseconds.
    pub ts: Vec<i64>,
    /// Amount in the base currency of each base row, micros.
    pub amount: Vec<i64>,
    /// Each subject's account and its base rows, sorted by time (ties: originator side first,
    /// then row order).
    pub subjects: Vec<(String, Vec<u32>)>,
}

impl Histories {
    /// The histories of `subject` over `base` (which carries row numbers and account keys),
    /// unfiltered.
    pub fn of(base: &DataFrame, subject: &Subject, accounts: &Accounts) -> PolarsResult<Self> {
        let ts = int_values(base, TS)?;
        let amount = int_values(base, BASE_AMOUNT)?;
        let mut by_key: Vec<Vec<u32>> = Vec::new();
        let mut add = |key: u32, row: u32| {
            if key == NO_ACCOUNT {
                return;
            }
            if by_key.len() <= key as usize {
                by_key.resize_with(key as usize + 1, Vec::new);
            }
            by_key[key as usize].push(row);
        };
        match subject {
            // the originator side first, so that ties in time keep it first
            Subject::Either => {
                for column in [ORIG_KEY, BENE_KEY] {
                    let keys = base.column(column)?.u32()?;
                    for (row, key) in keys.into_no_null_iter().enumerate() {
                        add(key, row as u32);
                    }
                }
            }
            other => {
                let keyed = with_subject(base.clone().lazy(), other)?
                    .select([col(SUBJECT), col(ROW).cast(DataType::UInt32)])
                    .collect()?;
                let keys = keyed.column(SUBJECT)?.u32()?;
                let rows = keyed.column(ROW)?.u32()?;
                for (key, row) in keys.into_no_null_iter().zip(rows.into_no_null_iter()) {
                    add(key, row);
                }
            }
        }
        let mut subjects: Vec<(String, Vec<u32>)> = by_key
            .into_iter()
            .enumerate()
            .filter(|(_, rows)| !rows.is_empty())
            .map(|(key, rows)| (accounts.name(key as u32).to_string(), rows))
            .collect();
        subjects
            .par_iter_mut()
            .for_each(|(_, rows)| rows.sort_by_key(|&r| ts[r as usize]));
        Ok(Self {
            ts,
            amount,
            subjects,
        })
    }
}

/// Histories built once per run and subject kind, shared by the rules of the run.
#[derive(Default)]
pub struct HistoryCache(Mutex<Vec<(Subject, Arc<Histories>)>>);

impl HistoryCache {
    /// The histories of `subject` over `base`, built on first use.
    ///
    /// The lock is not held while building: building runs parallel work, and a thread waiting
    /// for that work may pick up another rule that asks this cache (a lock held here would
    /// then deadlock). Two rules asking at once may both build; the first one stored is kept.
    pub fn get(
        &self,
        base: &DataFrame,
        subject: &Subject,
        accounts: &Accounts,
    ) -> PolarsResult<Arc<Histories>> {
        if let Some(found) = self.lookup(subject) {
            return Ok(found);
        }
        let built = Arc::new(Histories::of(base, subject, accounts)?);
        let mut cached = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, found)) = cached.iter().find(|(s, _)| s == subject) {
            return Ok(found.clone());
        }
        cached.push((subject.clone(), built.clone()));
        Ok(built)
    }

    fn lookup(&self, subject: &Subject) -> Option<Arc<Histories>> {
        let cached = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cached
            .iter()
            .find(|(s, _)| s == subject)
            .map(|(_, found)| found.clone())
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
