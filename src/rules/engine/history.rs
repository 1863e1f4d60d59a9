//! Each subject's transactions in time order, for the detectors that compare a subject with its
//! own past (dormancy, velocity).
//!
//! Polars groups the base rows by the subject's account column (hashing each account string
//! once, in parallel, without copying the frame); the detectors then walk each subject's short,
//! time-ordered history in plain Rust. A run builds the histories of a subject kind once and
//! shares them between rules (see [`HistoryCache`]); each rule's filter becomes a mask over the
//! base rows.

use super::exprs::{filter_expr, with_subject, BASE_AMOUNT, ROW, SUBJECT, TS};
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
    /// The histories of `subject` over `base` (which carries row numbers), unfiltered.
    pub fn of(base: &DataFrame, subject: &Subject) -> PolarsResult<Self> {
        let ts = int_values(base, TS)?;
        let amount = int_values(base, BASE_AMOUNT)?;
        let sides = match subject {
            Subject::Either => vec![
                rows_by_account(base, "orig_account")?,
                rows_by_account(base, "bene_account")?,
            ],
            other => {
                let keyed = with_subject(base.clone().lazy(), other)?
                    .select([col(SUBJECT), col(ROW).cast(DataType::UInt32)])
                    .collect()?;
                vec![rows_by_key(&keyed)?]
            }
        };
        let mut position: HashMap<String, usize> = HashMap::new();
        let mut subjects: Vec<(String, Vec<u32>)> = Vec::new();
        for side in sides {
            for (account, rows) in side {
                let at = *position.entry(account.clone()).or_insert_with(|| {
                    subjects.push((account, Vec::new()));
                    subjects.len() - 1
                });
                subjects[at].1.extend(rows);
            }
        }
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

/// Base rows per non-empty value of an account column, ascending; the frame is not copied.
fn rows_by_account(base: &DataFrame, column: &str) -> PolarsResult<Vec<(String, Vec<u32>)>> {
    let accounts = base.column(column)?.str()?.clone();
    let grouped = base.group_by([column])?;
    Ok(group_rows(grouped.get_groups())
        .into_iter()
        .filter_map(|rows| {
            let account = accounts.get(*rows.first()? as usize)?;
            (!account.is_empty()).then(|| (account.to_string(), rows))
        })
        .collect())
}

/// Base rows (from `row_nr`) per value of `subject` in a frame of (`subject`, `row_nr`).
fn rows_by_key(keyed: &DataFrame) -> PolarsResult<Vec<(String, Vec<u32>)>> {
    let names = keyed.column(SUBJECT)?.str()?.clone();
    let base_rows = keyed.column(ROW)?.u32()?.clone();
    let grouped = keyed.group_by([SUBJECT])?;
    Ok(group_rows(grouped.get_groups())
        .into_iter()
        .filter_map(|positions| {
            let name = names.get(*positions.first()? as usize)?.to_string();
            let rows = positions
                .iter()
                .filter_map(|&p| base_rows.get(p as usize))
                .collect();
            Some((name, rows))
        })
        .collect())
}

/// The row positions of each group, ascending.
fn group_rows(groups: &GroupPositions) -> Vec<Vec<u32>> {
    match &**groups {
        GroupsType::Idx(groups) => groups.all().iter().map(|g| g.to_vec()).collect(),
        GroupsType::Slice { groups, .. } => groups
            .iter()
            .map(|[first, len]| (*first..*first + *len).collect())
            .collect(),
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
    pub fn get(&self, base: &DataFrame, subject: &Subject) -> PolarsResult<Arc<Histories>> {
        if let Some(found) = self.lookup(subject) {
            return Ok(found);
        }
        let built = Arc::new(Histories::of(base, subject)?);
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
