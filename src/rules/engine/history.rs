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
    /// Every subject's base rows, one subject after the other, each sorted by time (ties: row
    /// order, a row's originator side first).
    rows: Vec<u32>,
    /// Each subject's account and where its rows start in `rows` (they end where the next
    /// subject's start).
    subjects: Vec<(String, usize)>,
    /// Each subject's account key, alongside `subjects`.
    keys: Vec<u32>,
}

impl Histories {
    /// The histories of `subject` over `base` (which carries row numbers and account keys),
    /// unfiltered.
    pub fn of(base: &DataFrame, subject: &Subject, accounts: &Accounts) -> PolarsResult<Self> {
        let ts = int_buffer(base, TS)?;
        let amount = int_buffer(base, BASE_AMOUNT)?;
        // (key, row) of every subject side in row order, each row's originator side first
        let (rows, starts) = match subject {
            Subject::Either => {
                let orig = base.column(ORIG_KEY)?.u32()?.rechunk();
                let bene = base.column(BENE_KEY)?.u32()?.rechunk();
                let (orig, bene) = (orig.cont_slice()?, bene.cont_slice()?);
                bucket_rows(orig.len(), accounts.key_count(), |rows| {
                    rows.flat_map(|row| [(orig[row], row as u32), (bene[row], row as u32)])
                })
            }
            other => {
                let keyed = with_subject(base.clone().lazy(), other)?
                    .select([col(SUBJECT), col(ROW).cast(DataType::UInt32)])
                    .collect()?;
                let keys = keyed.column(SUBJECT)?.u32()?.rechunk();
                let rows = keyed.column(ROW)?.u32()?.rechunk();
                let (keys, rows) = (keys.cont_slice()?, rows.cont_slice()?);
                bucket_rows(keys.len(), accounts.key_count(), |range| {
                    range.map(|i| (keys[i], rows[i]))
                })
            }
        };
        let keys = starts.iter().map(|(key, _)| *key).collect();
        let subjects = starts
            .into_iter()
            .map(|(key, start)| (accounts.name(key).to_string(), start))
            .collect();
        let mut histories = Self {
            ts,
            amount,
            rows,
            subjects,
            keys,
        };
        // rows in time order already are each subject's history; otherwise each is sorted
        // (stably: ties keep row order)
        if !histories.ts.windows(2).all(|pair| pair[0] <= pair[1]) {
            histories.sort_by_time();
        }
        Ok(histories)
    }

    /// Each subject's account and rows, in parallel.
    pub fn par_subjects(&self) -> impl IndexedParallelIterator<Item = (&str, &[u32])> {
        (0..self.subjects.len())
            .into_par_iter()
            .map(|k| self.subject(k))
    }

    /// Each subject's account key, account and rows, in parallel.
    pub fn par_subjects_keyed(&self) -> impl IndexedParallelIterator<Item = (u32, &str, &[u32])> {
        (0..self.subjects.len()).into_par_iter().map(|k| {
            let (account, rows) = self.subject(k);
            (self.keys[k], account, rows)
        })
    }

    /// The `k`-th subject's account and rows.
    fn subject(&self, k: usize) -> (&str, &[u32]) {
        (&self.subjects[k].0, &self.rows[self.span(k)])
    }

    /// Where the `k`-th subject's rows lie in `rows`: from its start to the next one's.
    fn span(&self, k: usize) -> std::ops::Range<usize> {
        let end = self.subjects.get(k + 1).map_or(self.rows.len(), |s| s.1);
        self.subjects[k].1..end
    }

    /// Sorts each subject's rows by time, stably.
    fn sort_by_time(&mut self) {
        let lengths: Vec<usize> = (0..self.subjects.len())
            .map(|k| self.span(k).len())
            .collect();
        let mut histories: Vec<&mut [u32]> = Vec::with_capacity(lengths.len());
        let mut rest = self.rows.as_mut_slice();
        for length in lengths {
            let (history, after) = std::mem::take(&mut rest).split_at_mut(length);
            histories.push(history);
            rest = after;
        }
        let ts = &self.ts;
        histories
            .par_iter_mut()
            .for_each(|rows| rows.sort_by_key(|&r| ts[r as usize]));
    }

    /// Histories of the given subjects and rows (for tests of the detectors).
    #[cfg(test)]
    pub fn from_parts(ts: Vec<i64>, amount: Vec<i64>, subjects: Vec<(&str, Vec<u32>)>) -> Self {
        let mut rows = Vec::new();
        let subjects: Vec<(String, usize)> = subjects
            .into_iter()
            .map(|(account, history)| {
                let start = rows.len();
                rows.extend(history);
                (account.to_string(), start)
            })
            .collect();
        Self {
            ts: ts.into(),
            amount: amount.into(),
            rows,
            keys: (1..=subjects.len() as u32).collect(),
            subjects,
        }
    }
}

/// The rows of each key (except [`NO_ACCOUNT`]) in the order `pairs` yields `(key, row)` for
/// the base rows `0..rows`, as one array of every key's rows after each other and each key's
/// start in it, by a counting sort in parallel: each part of the base rows counts its keys,
/// then places its rows after those of the parts before it. `keys` bounds the keys.
fn bucket_rows<I: Iterator<Item = (u32, u32)>>(
    rows: usize,
    keys: usize,
    pairs: impl Fn(std::ops::Range<usize>) -> I + Sync,
) -> (Vec<u32>, Vec<(u32, usize)>) {
    let keys = keys.max(1);
    let parts = rayon::current_num_threads().max(1);
    let ranges: Vec<std::ops::Range<usize>> = (0..parts)
        .map(|p| rows * p / parts..rows * (p + 1) / parts)
        .collect();
    let mut counts: Vec<Vec<u32>> = ranges
        .par_iter()
        .map(|range| {
            let mut counts = vec![0u32; keys];
            for (key, _) in pairs(range.clone()) {
                counts[key as usize] += 1;
            }
            counts
        })
        .collect();
    // each part's first slot per key (its count turned into a cursor), and each key's start;
    // the rows of no account are counted but not kept
    let mut starts = Vec::new();
    let mut total = 0usize;
    for key in 0..keys {
        let start = total;
        for part in counts.iter_mut() {
            let count = part[key] as usize;
            part[key] = total as u32;
            if key as u32 != NO_ACCOUNT {
                total += count;
            }
        }
        if total > start {
            starts.push((key as u32, start));
        }
    }
    let mut placed = vec![0u32; total];
    let target = SharedSlots(placed.as_mut_ptr());
    counts
        .par_iter_mut()
        .zip(&ranges)
        .for_each(|(cursors, range)| {
            for (key, row) in pairs(range.clone()) {
                if key == NO_ACCOUNT {
                    continue;
                }
                let slot = &mut cursors[key as usize];
                // SAFETY: each part writes only its own slots (its count per key, from the
                // cursor set above), all below `total`, so no two writes meet
                unsafe { target.write(*slot as usize, row) };
                *slot += 1;
            }
        });
    (placed, starts)
}

/// Slots of one array written from several threads, each thread its own slots.
struct SharedSlots(*mut u32);

// SAFETY: the threads write disjoint slots (see `bucket_rows`)
unsafe impl Sync for SharedSlots {}

impl SharedSlots {
    /// # Safety
    /// `slot` is in bounds and no other thread writes it.
    unsafe fn write(&self, slot: usize, value: u32) {
        unsafe { *self.0.add(slot) = value };
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
        let keys = [2, 0, 1, 2, 1, 2, 4, 2];
        let rows = [10, 11, 12, 13, 14, 15, 16, 17];
        let pairs = |range: std::ops::Range<usize>| range.map(|i| (keys[i], rows[i]));
        // in parts of the base rows on several threads, placed in the order of the rows
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (placed, starts) = pool.install(|| bucket_rows(keys.len(), 5, pairs));
            assert_eq!(placed, [12, 14, 10, 13, 15, 17, 16]);
            assert_eq!(starts, [(1, 0), (2, 2), (4, 6)]);
        }
        let (placed, starts) = bucket_rows(0, 1, |_| std::iter::empty());
        assert!(placed.is_empty() && starts.is_empty());
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
                .par_subjects()
                .collect::<Vec<_>>()
                .into_iter()
                .map(|(subject, rows)| {
                    let events: Vec<(i64, i64)> = rows
                        .iter()
                        .map(|&r| (history.ts[r as usize], history.amount[r as usize]))
                        .collect();
                    (subject.to_string(), events)
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
