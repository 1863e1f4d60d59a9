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
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// One transaction in a subject's history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Event {
    /// Transaction time, UTC microseconds.
    pub ts: i64,
    /// Amount in the base currency, micros.
    pub amount: i64,
    /// The base row.
    pub row: u32,
}

/// Every transaction of every subject (each side once for [`Subject::Either`]), grouped by
/// subject and ordered by time, in one array: a detector walks a subject's history in
/// memory order instead of looking each row's time and amount up in the frame.
pub struct Histories {
    /// The events of every subject, subject after subject (in account key order), each
    /// subject's in time order (ties: originator side first, then row order).
    pub events: Vec<Event>,
    /// Each subject's account and the range of its events.
    pub subjects: Vec<(String, Range<usize>)>,
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
        Ok(Self::from_keyed(&keys, &rows, &ts, &amount, accounts))
    }

    /// Groups the `(key, row)` pairs by key (except [`NO_ACCOUNT`]) with a counting sort of
    /// the rows (one pass to count, one to place, keeping the order given within a key), then
    /// gathers each subject's events and sorts them by time, stably, subject by subject in
    /// parallel.
    fn from_keyed(
        keys: &[u32],
        rows: &[u32],
        ts: &[i64],
        amount: &[i64],
        accounts: &Accounts,
    ) -> Self {
        let width = keys.iter().max().map_or(0, |&k| k as usize + 1);
        let mut counts = vec![0usize; width];
        for &key in keys {
            counts[key as usize] += 1;
        }
        counts[..width.min(1)].fill(0); // NO_ACCOUNT has no history
        let mut next = Vec::with_capacity(width);
        let mut total = 0;
        for &count in &counts {
            next.push(total);
            total += count;
        }
        let subjects: Vec<(String, Range<usize>)> = (0..width)
            .filter(|&key| counts[key] > 0)
            .map(|key| {
                let name = accounts.name(key as u32).to_string();
                (name, next[key]..next[key] + counts[key])
            })
            .collect();
        // 4-byte rows are placed (random writes), not whole events
        let mut grouped_rows = vec![0u32; total];
        for (&key, &row) in keys.iter().zip(rows) {
            if key != NO_ACCOUNT {
                let at = &mut next[key as usize];
                grouped_rows[*at] = row;
                *at += 1;
            }
        }
        let mut events = vec![Event::default(); total];
        // the subjects' ranges follow each other: cut the events into one slice per subject
        let mut slices: Vec<(&mut [Event], &[u32])> = Vec::with_capacity(subjects.len());
        let mut rest: &mut [Event] = &mut events;
        for (_, range) in &subjects {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(range.len());
            slices.push((head, &grouped_rows[range.clone()]));
            rest = tail;
        }
        slices.par_iter_mut().for_each(|(events, rows)| {
            for (event, &row) in events.iter_mut().zip(rows.iter()) {
                *event = Event {
                    ts: ts[row as usize],
                    amount: amount[row as usize],
                    row,
                };
            }
            if !events.is_sorted_by_key(|e| e.ts) {
                events.sort_by_key(|e| e.ts);
            }
        });
        Self { events, subjects }
    }

    /// Each subject's account and events, in parallel.
    pub fn par_subjects(&self) -> impl ParallelIterator<Item = (&str, &[Event])> {
        self.subjects
            .par_iter()
            .map(|(name, range)| (name.as_str(), &self.events[range.clone()]))
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
    fn events_are_grouped_by_key_in_time_order_and_rows_without_an_account_are_left_out() {
        let (frame, accounts) = super::super::keys::with_account_keys(
            df!("orig_account" => ["A", "B"], "bene_account" => ["", ""]).unwrap(),
        )
        .unwrap();
        assert_eq!(frame.height(), 2);
        let (a, b) = (accounts.key("A").unwrap(), accounts.key("B").unwrap());
        // rows 0..3 on one side, 0..3 on the other; row 1's time ties row 0's on B
        let keys = [b, NO_ACCOUNT, a, b, a, NO_ACCOUNT];
        let rows = [0, 1, 2, 0, 1, 2];
        let ts = [30, 30, 10];
        let amount = [300, 200, 100];
        let histories = Histories::from_keyed(&keys, &rows, &ts, &amount, &accounts);
        let event = |ts, amount, row| Event { ts, amount, row };
        let by_subject: Vec<(&str, Vec<Event>)> = histories
            .subjects
            .iter()
            .map(|(name, range)| (name.as_str(), histories.events[range.clone()].to_vec()))
            .collect();
        assert_eq!(
            by_subject,
            vec![
                ("A", vec![event(10, 100, 2), event(30, 200, 1)]),
                // row 0 on both sides of B at one time: the first side given stays first
                ("B", vec![event(30, 300, 0), event(30, 300, 0)]),
            ]
        );
    }
}
