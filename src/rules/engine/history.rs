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
        // (key, row) of every subject side; the originator side first, so that ties in time
        // keep it first
        let (keys, rows): (Vec<u32>, Vec<u32>) = match subject {
            Subject::Either => {
                let orig = base.column(ORIG_KEY)?.u32()?;
                let bene = base.column(BENE_KEY)?.u32()?;
                let n = base.height() as u32;
                (
                    orig.into_no_null_iter()
                        .chain(bene.into_no_null_iter())
                        .collect(),
                    (0..n).chain(0..n).collect(),
                )
            }
            other => {
                let keyed = with_subject(base.clone().lazy(), other)?
                    .select([col(SUBJECT), col(ROW).cast(DataType::UInt32)])
                    .collect()?;
                (
                    keyed.column(SUBJECT)?.u32()?.into_no_null_iter().collect(),
                    keyed.column(ROW)?.u32()?.into_no_null_iter().collect(),
                )
            }
        };
        let mut subjects: Vec<(String, Vec<u32>)> = bucket_rows(&keys, &rows)
            .into_iter()
            .map(|(key, rows)| (accounts.name(key).to_string(), rows))
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

/// The rows of each key (except [`NO_ACCOUNT`]) in the order given, by counting sort: one pass
/// to count, one to place, no per-key growth.
fn bucket_rows(keys: &[u32], rows: &[u32]) -> Vec<(u32, Vec<u32>)> {
    let width = keys.iter().max().map_or(0, |&k| k as usize + 1);
    let mut counts = vec![0u32; width];
    for &key in keys {
        counts[key as usize] += 1;
    }
    let mut buckets: Vec<Vec<u32>> = counts
        .iter()
        .map(|&count| Vec::with_capacity(count as usize))
        .collect();
    for (&key, &row) in keys.iter().zip(rows) {
        buckets[key as usize].push(row);
    }
    buckets
        .into_iter()
        .enumerate()
        .filter(|(key, rows)| *key as u32 != NO_ACCOUNT && !rows.is_empty())
        .map(|(key, rows)| (key as u32, rows))
        .collect()
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
    let values = column.i64()?;
    Ok(match values.cont_slice() {
        Ok(slice) => slice.to_vec(),
        Err(_) => values.iter().map(|v| v.unwrap_or(0)).collect(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_keep_the_given_order_and_skip_rows_without_an_account() {
        let keys = [2, 0, 1, 2, 1, 2];
        let rows = [10, 11, 12, 13, 14, 15];
        assert_eq!(
            bucket_rows(&keys, &rows),
            vec![(1, vec![12, 14]), (2, vec![10, 13, 15])]
        );
        assert!(bucket_rows(&[], &[]).is_empty());
    }
}
