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
use super::masks::RowMasks;
use crate::rules::plan::{Predicate, Subject};
use polars::prelude::*;
use polars_arrow::array::PrimitiveArray;
use polars_buffer::Buffer;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Every transaction of every subject (each side once for [`Subject::Either`]), grouped by
/// subject and ordered by time.
pub struct Histories {
    /// Transaction time of each base row, UTC microseconds (the frame's own buffer).
    pub ts: Buffer<i64>,
    /// Amount in the base currency of each base row, micros (the frame's own buffer).
    pub amount: Buffer<i64>,
    /// Each subject's account and its base rows, sorted by time (ties: row order, a row's
    /// originator side first).
    pub subjects: Vec<(String, Vec<u32>)>,
}

impl Histories {
    /// The histories of `subject` over `base` (which carries row numbers and account keys),
    /// unfiltered.
    pub fn of(base: &DataFrame, subject: &Subject, accounts: &Accounts) -> PolarsResult<Self> {
        let ts = int_buffer(base, TS)?;
        let amount = int_buffer(base, BASE_AMOUNT)?;
        // (key, row) of every subject side in row order, each row's originator side first
        let subjects = match subject {
            Subject::Either => {
                let orig = base.column(ORIG_KEY)?.u32()?.rechunk();
                let bene = base.column(BENE_KEY)?.u32()?.rechunk();
                let (orig, bene) = (orig.cont_slice()?, bene.cont_slice()?);
                bucket_rows(|| {
                    orig.iter()
                        .zip(bene)
                        .zip(0u32..)
                        .flat_map(|((&o, &b), row)| [(o, row), (b, row)])
                })
            }
            other => {
                let keyed = with_subject(base.clone().lazy(), other)?
                    .select([col(SUBJECT), col(ROW).cast(DataType::UInt32)])
                    .collect()?;
                let keys = keyed.column(SUBJECT)?.u32()?.rechunk();
                let rows = keyed.column(ROW)?.u32()?.rechunk();
                let (keys, rows) = (keys.cont_slice()?, rows.cont_slice()?);
                bucket_rows(|| keys.iter().copied().zip(rows.iter().copied()))
            }
        };
        let mut subjects: Vec<(String, Vec<u32>)> = subjects
            .into_iter()
            .map(|(key, rows)| (accounts.name(key).to_string(), rows))
            .collect();
        // rows in time order already are each subject's history; otherwise each is sorted
        // (stably: ties keep row order)
        if !ts.windows(2).all(|pair| pair[0] <= pair[1]) {
            subjects
                .par_iter_mut()
                .for_each(|(_, rows)| rows.sort_by_key(|&r| ts[r as usize]));
        }
        Ok(Self {
            ts,
            amount,
            subjects,
        })
    }
}

/// The rows of each key (except [`NO_ACCOUNT`]) in the order `pairs` yields `(key, row)`, by
/// counting sort: one pass to count, one to place, no per-key growth.
fn bucket_rows<I: Iterator<Item = (u32, u32)>>(pairs: impl Fn() -> I) -> Vec<(u32, Vec<u32>)> {
    let mut counts: Vec<u32> = Vec::new();
    for (key, _) in pairs() {
        if counts.len() <= key as usize {
            counts.resize(key as usize + 1, 0);
        }
        counts[key as usize] += 1;
    }
    let mut buckets: Vec<Vec<u32>> = counts
        .iter()
        .map(|&count| Vec::with_capacity(count as usize))
        .collect();
    for (key, row) in pairs() {
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

/// Which rows of `base` match `filter`, by row number; `None` when there is no filter. The
/// predicates that `masks` can test are tested there (and kept for the run), the others by
/// their expressions.
pub fn row_mask(
    masks: &RowMasks,
    base: &DataFrame,
    filter: &[Predicate],
) -> PolarsResult<Option<Vec<bool>>> {
    if filter.is_empty() {
        return Ok(None);
    }
    let (mask, rest) = masks.split(base, filter)?;
    let rest = if rest.is_empty() {
        None
    } else {
        let frame = base
            .clone()
            .lazy()
            .select([filter_expr(&rest).fill_null(lit(false)).alias("matches")])
            .collect()?;
        Some(frame.column("matches")?.bool()?.clone())
    };
    Ok(Some(match (mask, rest) {
        (Some(mask), None) => mask.iter().collect(),
        (mask, Some(rest)) => rest
            .iter()
            .zip(0..)
            .map(|(m, row)| m == Some(true) && mask.as_ref().is_none_or(|k| k.get_bit(row)))
            .collect(),
        (None, None) => unreachable!("a non-empty filter is tested somewhere"),
    }))
}

/// An integer column's values, shared with the frame when it is one chunk without nulls (else
/// copied, nulls as 0; the canonical frame has none in the columns used).
fn int_buffer(frame: &DataFrame, name: &str) -> PolarsResult<Buffer<i64>> {
    let column = frame.column(name)?.cast(&DataType::Int64)?;
    let values = column.i64()?;
    if values.null_count() == 0 {
        if let [one] = values.chunks().as_slice() {
            let array = one.as_any().downcast_ref::<PrimitiveArray<i64>>();
            if let Some(array) = array {
                return Ok(array.values().clone());
            }
        }
    }
    Ok(int_values(frame, name)?.into())
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
        let pairs = || keys.iter().copied().zip(rows.iter().copied());
        assert_eq!(
            bucket_rows(pairs),
            vec![(1, vec![12, 14]), (2, vec![10, 13, 15])]
        );
        assert!(bucket_rows(std::iter::empty).is_empty());
    }

    #[test]
    fn histories_are_in_time_order_whether_or_not_the_rows_are() {
        // (originator, beneficiary, time, amount); stored in time order, then shuffled
        let in_order = [
            ("A", "B", 1, 10),
            ("B", "", 2, 20),
            ("C", "A", 2, 30),
            ("A", "A", 5, 40),
            ("", "B", 9, 50),
        ];
        let histories = |transactions: &[(&str, &str, i64, i64)]| {
            let frame = df!(
                "orig_account" => transactions.iter().map(|t| t.0).collect::<Vec<_>>(),
                "bene_account" => transactions.iter().map(|t| t.1).collect::<Vec<_>>(),
                "channel" => vec!["WIRE"; transactions.len()],
                TS => transactions.iter().map(|t| t.2).collect::<Vec<_>>(),
                BASE_AMOUNT => transactions.iter().map(|t| t.3).collect::<Vec<_>>(),
            )
            .unwrap();
            let (frame, accounts) = super::super::keys::with_account_keys(frame).unwrap();
            let history = Histories::of(&frame, &Subject::Either, &accounts).unwrap();
            // each subject's (time, amount) in history order
            history
                .subjects
                .iter()
                .map(|(subject, rows)| {
                    let events: Vec<(i64, i64)> = rows
                        .iter()
                        .map(|&r| (history.ts[r as usize], history.amount[r as usize]))
                        .collect();
                    (subject.clone(), events)
                })
                .collect::<Vec<_>>()
        };
        let expected = vec![
            ("A".to_string(), vec![(1, 10), (2, 30), (5, 40), (5, 40)]),
            ("B".to_string(), vec![(1, 10), (2, 20), (9, 50)]),
            ("C".to_string(), vec![(2, 30)]),
        ];
        assert_eq!(histories(&in_order), expected);
        let shuffled = [3, 4, 2, 0, 1].map(|i| in_order[i]);
        assert_eq!(histories(&shuffled), expected);
    }
}
