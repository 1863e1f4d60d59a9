//! Window measures computed in one forward pass per subject, in plain Rust.
//!
//! The selected rows are put in subject-then-time order once (a stable counting sort on the
//! integer subject key when the rows are already in time order, as a frame stored in time
//! order and narrowed to one side of each transaction is; otherwise a stable sort), then:
//!
//! - a **trailing window** of `length` for each row holds the subject's rows whose time lies
//!   in `[t - length, t]` (rows at the row's own time count, whichever side of it they are
//!   stored); two pointers slide over the subject's rows and keep the count, the sum, a count
//!   per distinct value and the smallest and largest amount (monotonic queues) up to date;
//! - a **business day** is a run of the subject's rows on the same local calendar day.
//!
//! A count of values new to the subject ([`Measure::DistinctNew`]) keeps, for each row, when its
//! value was last held by the subject before it (`prev`). In a window starting at `s` (a
//! trailing window's `t - length`, a business day's local midnight), the first row of each
//! value in the window is the one with `prev < s` (or none), and the value is new when that is
//! also before the baseline: `prev < s - baseline`. So the count is the number of rows in the
//! window with `prev + baseline < s`; rows wait in a queue by `prev + baseline` and count from
//! the first window whose start passes it until they leave, O(log n) each.
//!
//! A count against the subject's routine ([`Measure::CountAgainstRoutine`]) needs the number of
//! the subject's rows in the baseline `[s - baseline, s)` before a window starting at `s`: the
//! window's first row is the subject's first at or after `s`, so that is the rows between a
//! third pointer, which follows window starts, and the window's first row. O(1) per row.
//!
//! Each row costs O(1) on average (O(log n) with a count of new values). The measures are those of Polars' `rolling` (period
//! `length`, offset `-length`, both ends closed) and `group_by` on the day, which the tests
//! hold these to; Polars' group-by took 0.2 s for the 1.7M cash rows of a 10M-row file.
//!
//! Subjects never share a window, so runs of whole subjects are passed over in parallel. A pass
//! writes each window into a sink: every window's measures (the features frame that sweeps
//! test thresholds on), or, in a run, only the windows that meet the rule's conditions.

use super::exprs::{BASE_AMOUNT, SUBJECT, TS};
use crate::rules::plan::{Combine, Condition, Measure, DAY};
use crate::text_stretches::encode_stretches;
use polars::prelude::*;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::ops::Range;

/// The selected rows in subject-then-time order: what the measures read.
struct Ordered {
    subjects: Vec<u32>,
    times: Vec<i64>,
    amounts: Vec<i64>,
    /// Per distinct-count measure (by measure name): each row's value code, `None` for an
    /// empty or missing value (distinct counts skip them), and the number of codes.
    fields: Vec<Values>,
    /// Per count against the routine: the measure's name and its baseline.
    routines: Vec<(String, i64)>,
}

/// The values of one distinct-count measure, row by row in subject-then-time order.
struct Values {
    name: String,
    codes: Vec<Option<u32>>,
    count: usize,
    /// For a count of new values: per row, the latest window start before which the row's
    /// value is not new (its previous time for the subject plus the baseline; `i64::MIN` for
    /// the subject's first row of the value, always new). A row counts in a window starting
    /// at `s` when this is below `s`.
    new_after: Option<Vec<i64>>,
}

/// Per row, `prev + baseline` where `prev` is the time of the subject's previous row with the
/// same value (`i64::MIN` when there is none); rows in subject-then-time order.
fn new_after(
    subjects: &[u32],
    times: &[i64],
    codes: &[Option<u32>],
    count: usize,
    baseline: i64,
) -> Vec<i64> {
    let mut last: Vec<Option<(u32, i64)>> = vec![None; count];
    codes
        .iter()
        .enumerate()
        .map(|(row, code)| {
            let Some(code) = code else {
                return i64::MIN;
            };
            let seen = &mut last[*code as usize];
            let key = match *seen {
                Some((subject, t)) if subject == subjects[row] => t.saturating_add(baseline),
                _ => i64::MIN,
            };
            *seen = Some((subjects[row], times[row]));
            key
        })
        .collect()
}

impl Ordered {
    fn of(
        rows: &DataFrame,
        conditions: &[Condition],
        measure_name: &impl Fn(&Measure) -> String,
    ) -> PolarsResult<Self> {
        let subjects = rows.column(SUBJECT)?.u32()?;
        let times = rows.column(TS)?.cast(&DataType::Int64)?;
        let times = times.i64()?;
        let amounts = rows.column(BASE_AMOUNT)?.i64()?;
        if subjects.null_count() + times.null_count() + amounts.null_count() > 0 {
            return Err(PolarsError::ComputeError(
                "window measures need subject, time and amount on every row".into(),
            ));
        }
        let subjects: Vec<u32> = subjects.into_no_null_iter().collect();
        let times: Vec<i64> = times.into_no_null_iter().collect();
        let amounts: Vec<i64> = amounts.into_no_null_iter().collect();
        let order = subject_then_time_order(&subjects, &times);
        let gather = |values: &[i64]| order.par_iter().map(|&i| values[i as usize]).collect();
        let subjects: Vec<u32> = order.par_iter().map(|&i| subjects[i as usize]).collect();
        let times: Vec<i64> = gather(&times);
        let mut fields: Vec<Values> = Vec::new();
        for c in conditions {
            let (field, baseline) = match c.measure {
                Measure::Distinct(field) => (field, None),
                Measure::DistinctNew { field, baseline } => (field, Some(baseline)),
                _ => continue,
            };
            let name = measure_name(&c.measure);
            if fields.iter().all(|v| v.name != name) {
                let (codes, count) = value_codes(rows.column(field.column())?.str()?);
                let codes: Vec<Option<u32>> =
                    order.par_iter().map(|&i| codes[i as usize]).collect();
                let new_after = baseline.map(|b| new_after(&subjects, &times, &codes, count, b));
                fields.push(Values {
                    name,
                    codes,
                    count,
                    new_after,
                });
            }
        }
        let mut routines: Vec<(String, i64)> = Vec::new();
        for c in conditions {
            if let Measure::CountAgainstRoutine { baseline } = c.measure {
                let name = measure_name(&c.measure);
                if routines.iter().all(|(n, _)| *n != name) {
                    routines.push((name, baseline));
                }
            }
        }
        Ok(Self {
            subjects,
            times,
            amounts: gather(&amounts),
            fields,
            routines,
        })
    }

    /// The rows cut into runs of whole subjects, about `parts` of them.
    fn subject_runs(&self, parts: usize) -> Vec<Range<usize>> {
        let n = self.subjects.len();
        let mut runs = Vec::with_capacity(parts);
        let mut start = 0;
        for k in 1..parts {
            let mut cut = (n * k / parts).max(start);
            while cut > 0 && cut < n && self.subjects[cut] == self.subjects[cut - 1] {
                cut += 1;
            }
            if cut > start {
                runs.push(start..cut);
                start = cut;
            }
        }
        if start < n {
            runs.push(start..n);
        }
        runs
    }

    /// Runs `pass` over runs of whole subjects in parallel, each into its own copy of `empty`,
    /// and appends the sinks in row order: subjects are independent, and a rule's windows are
    /// otherwise one long sequential pass (a tenth of a second at 10M rows).
    fn by_subject_runs<S: WindowSink + Clone + Send + Sync>(
        &self,
        empty: S,
        pass: impl Fn(Range<usize>, &mut S) + Sync,
    ) -> S {
        const ROWS_PER_RUN: usize = 1 << 14;
        let parts = (self.subjects.len() / ROWS_PER_RUN).clamp(1, 4 * rayon::current_num_threads());
        self.in_runs(parts, empty, pass)
    }

    /// [`Ordered::by_subject_runs`] in about `parts` runs.
    fn in_runs<S: WindowSink + Clone + Send + Sync>(
        &self,
        parts: usize,
        empty: S,
        pass: impl Fn(Range<usize>, &mut S) + Sync,
    ) -> S {
        let sinks: Vec<S> = self
            .subject_runs(parts)
            .into_par_iter()
            .map(|rows| {
                let mut sink = empty.clone();
                pass(rows, &mut sink);
                sink
            })
            .collect();
        sinks.into_iter().fold(empty, |mut all, part| {
            all.append(part);
            all
        })
    }

    /// The end of the run of rows of the same subject that starts at `start`.
    fn subject_end(&self, start: usize) -> usize {
        let subject = self.subjects[start];
        start
            + self.subjects[start..]
                .iter()
                .take_while(|&&s| s == subject)
                .count()
    }
}

/// The measures of a window as rows enter and leave it (rows enter in time order).
struct Window<'a> {
    rows: &'a Ordered,
    spread: bool,
    count: i64,
    /// Exact: an `i128` cannot overflow with `i64` amounts.
    sum: i128,
    /// Per field: how many rows of the window hold each code, and how many codes are held
    /// (for a count of new values, no codes and the number of new values).
    held: Vec<(Vec<u32>, i64)>,
    /// Per field counting new values: which rows of the window count (front row first), and
    /// the rows that do not count yet, by the window start from which they would.
    fresh: Vec<Option<Fresh>>,
    /// The first row of the window, and how many rows it holds.
    front: usize,
    len: usize,
    smallest: VecDeque<usize>,
    largest: VecDeque<usize>,
    /// The window's length (a business day's is [`DAY`]), for counts against the routine.
    length: i64,
    /// Per count against the routine (as `Ordered::routines`): the first row in its baseline
    /// before the window (rows in between are the subject's in the baseline), and the window's
    /// count against the routine in basis points, as of the last window start.
    routines: Vec<(usize, i64)>,
}

/// `floor(count * baseline * 10_000 / (prior * length))`, or `i64::MAX` when that is over it
/// or `prior` is 0 (see [`Measure::CountAgainstRoutine`]); exact in `i128`.
fn against_routine(count: i64, prior: i64, baseline: i64, length: i64) -> i64 {
    let below = i128::from(prior).saturating_mul(i128::from(length));
    if below <= 0 {
        return i64::MAX;
    }
    let above = i128::from(count)
        .saturating_mul(i128::from(baseline))
        .saturating_mul(10_000);
    i64::try_from(above / below).unwrap_or(i64::MAX)
}

/// The rows of a window that count as new values, and those that may yet.
#[derive(Default)]
struct Fresh {
    counted: VecDeque<bool>,
    waiting: BinaryHeap<Reverse<(i64, usize)>>,
}

impl<'a> Window<'a> {
    /// An empty window over `rows`, whose first row to enter is `first`, of `length`.
    fn new(rows: &'a Ordered, first: usize, length: i64, spread: bool) -> Self {
        Self {
            rows,
            spread,
            count: 0,
            sum: 0,
            held: rows
                .fields
                .iter()
                .map(|v| match v.new_after {
                    None => (vec![0; v.count], 0),
                    Some(_) => (Vec::new(), 0),
                })
                .collect(),
            fresh: rows
                .fields
                .iter()
                .map(|v| v.new_after.as_ref().map(|_| Fresh::default()))
                .collect(),
            front: 0,
            len: 0,
            smallest: VecDeque::new(),
            largest: VecDeque::new(),
            length,
            routines: rows.routines.iter().map(|_| (first, 0)).collect(),
        }
    }

    fn enter(&mut self, row: usize) {
        let amount = self.rows.amounts[row];
        self.count += 1;
        self.sum += i128::from(amount);
        if self.len == 0 {
            self.front = row;
        }
        self.len += 1;
        for ((values, (held, distinct)), fresh) in self
            .rows
            .fields
            .iter()
            .zip(&mut self.held)
            .zip(&mut self.fresh)
        {
            match (fresh, &values.new_after) {
                (Some(fresh), Some(after)) => {
                    fresh.counted.push_back(false);
                    if values.codes[row].is_some() {
                        fresh.waiting.push(Reverse((after[row], row)));
                    }
                }
                _ => {
                    if let Some(code) = values.codes[row] {
                        held[code as usize] += 1;
                        if held[code as usize] == 1 {
                            *distinct += 1;
                        }
                    }
                }
            }
        }
        if self.spread {
            let amounts = &self.rows.amounts;
            while self.smallest.back().is_some_and(|&b| amounts[b] >= amount) {
                self.smallest.pop_back();
            }
            self.smallest.push_back(row);
            while self.largest.back().is_some_and(|&b| amounts[b] <= amount) {
                self.largest.pop_back();
            }
            self.largest.push_back(row);
        }
    }

    /// The window starts at `start` (its rows have entered and left): rows of new values count
    /// from the first window start past their previous time plus the baseline. Window starts
    /// never go back while a subject's rows are in the window. The window's first row is the
    /// subject's first at or after `start`: those before it are the subject's earlier rows.
    fn starts_at(&mut self, start: i64) {
        let (subjects, times) = (&self.rows.subjects, &self.rows.times);
        for ((_, baseline), (from, measure)) in self.rows.routines.iter().zip(&mut self.routines) {
            let since = start.saturating_sub(*baseline);
            while *from < self.front
                && (subjects[*from] != subjects[self.front] || times[*from] < since)
            {
                *from += 1;
            }
            let prior = (self.front - *from) as i64;
            *measure = against_routine(self.count, prior, *baseline, self.length);
        }
        for (fresh, (_, distinct)) in self.fresh.iter_mut().zip(&mut self.held) {
            let Some(fresh) = fresh else { continue };
            while let Some(&Reverse((after, row))) = fresh.waiting.peek() {
                if after >= start {
                    break;
                }
                fresh.waiting.pop();
                // a row that has left the window no longer counts
                if row >= self.front {
                    fresh.counted[row - self.front] = true;
                    *distinct += 1;
                }
            }
        }
    }

    /// `row` leaves; rows leave in the order they entered.
    fn leave(&mut self, row: usize) {
        self.count -= 1;
        self.sum -= i128::from(self.rows.amounts[row]);
        debug_assert_eq!(row, self.front, "rows leave in the order they entered");
        self.front += 1;
        self.len -= 1;
        for ((values, (held, distinct)), fresh) in self
            .rows
            .fields
            .iter()
            .zip(&mut self.held)
            .zip(&mut self.fresh)
        {
            match fresh {
                Some(fresh) => {
                    if fresh.counted.pop_front() == Some(true) {
                        *distinct -= 1;
                    }
                    if self.len == 0 {
                        // the subject's last row: its waiting rows never count
                        fresh.waiting.clear();
                    }
                }
                None => {
                    if let Some(code) = values.codes[row] {
                        held[code as usize] -= 1;
                        if held[code as usize] == 0 {
                            *distinct -= 1;
                        }
                    }
                }
            }
        }
        if self.smallest.front() == Some(&row) {
            self.smallest.pop_front();
        }
        if self.largest.front() == Some(&row) {
            self.largest.pop_front();
        }
    }
}

/// One output column per measure, filled window by window.
#[derive(Clone)]
struct Measures {
    subject: Vec<u32>,
    start: Vec<i64>,
    end: Vec<i64>,
    count: Vec<i64>,
    sum: Vec<i128>,
    distinct: Vec<Vec<i64>>,
    routine: Vec<Vec<i64>>,
    smallest: Vec<i64>,
    largest: Vec<i64>,
}

impl Measures {
    fn new(fields: usize, routines: usize) -> Self {
        Self {
            subject: Vec::new(),
            start: Vec::new(),
            end: Vec::new(),
            count: Vec::new(),
            sum: Vec::new(),
            distinct: vec![Vec::new(); fields],
            routine: vec![Vec::new(); routines],
            smallest: Vec::new(),
            largest: Vec::new(),
        }
    }

    /// `subject`, `win_start`, `win_end` and the measures the conditions name.
    fn into_frame(
        self,
        rows: &Ordered,
        conditions: &[Condition],
        measure_name: &impl Fn(&Measure) -> String,
    ) -> PolarsResult<DataFrame> {
        let height = self.subject.len();
        let mut columns = vec![
            Column::new(SUBJECT.into(), self.subject),
            Column::new("win_start".into(), self.start),
            Column::new("win_end".into(), self.end),
        ];
        // each measure once, however many conditions name it
        let mut add = |column: Column| {
            if columns.iter().all(|c| c.name() != column.name()) {
                columns.push(column);
            }
        };
        for c in conditions {
            let name = measure_name(&c.measure);
            match c.measure {
                Measure::Count => add(Column::new(name.into(), &self.count)),
                // exact sums, as i128
                Measure::Sum => add(Column::new(name.into(), &self.sum)),
                Measure::Distinct(_) | Measure::DistinctNew { .. } => {
                    if let Some(k) = rows.fields.iter().position(|v| v.name == name) {
                        add(Column::new(name.into(), &self.distinct[k]));
                    }
                }
                Measure::CountAgainstRoutine { .. } => {
                    if let Some(k) = rows.routines.iter().position(|(n, _)| *n == name) {
                        add(Column::new(name.into(), &self.routine[k]));
                    }
                }
                Measure::SpreadBasisPoints => {
                    add(Column::new("m_max".into(), &self.largest));
                    add(Column::new(name.into(), &self.smallest));
                }
            }
        }
        DataFrame::new(height, columns)
    }
}

/// Where a pass over the windows puts each window: every window's measures (a features frame,
/// which sweeps test many thresholds on), or only the windows that meet a rule's conditions.
trait WindowSink {
    fn record(&mut self, subject: u32, start: i64, end: i64, window: &Window);
    /// Appends the windows of a later run of rows.
    fn append(&mut self, later: Self);
}

impl WindowSink for Measures {
    fn append(&mut self, mut later: Self) {
        self.subject.append(&mut later.subject);
        self.start.append(&mut later.start);
        self.end.append(&mut later.end);
        self.count.append(&mut later.count);
        self.sum.append(&mut later.sum);
        for (values, mut more) in self.distinct.iter_mut().zip(later.distinct) {
            values.append(&mut more);
        }
        for (values, mut more) in self.routine.iter_mut().zip(later.routine) {
            values.append(&mut more);
        }
        self.smallest.append(&mut later.smallest);
        self.largest.append(&mut later.largest);
    }

    fn record(&mut self, subject: u32, start: i64, end: i64, window: &Window) {
        self.subject.push(subject);
        self.start.push(start);
        self.end.push(end);
        self.count.push(window.count);
        self.sum.push(window.sum);
        for (values, (_, distinct)) in self.distinct.iter_mut().zip(&window.held) {
            values.push(*distinct);
        }
        for (values, (_, measure)) in self.routine.iter_mut().zip(&window.routines) {
            values.push(*measure);
        }
        if window.spread {
            let amounts = &window.rows.amounts;
            self.smallest
                .push(window.smallest.front().map_or(0, |&i| amounts[i]));
            self.largest
                .push(window.largest.front().map_or(0, |&i| amounts[i]));
        }
    }
}

fn has_spread(conditions: &[Condition]) -> bool {
    conditions
        .iter()
        .any(|c| matches!(c.measure, Measure::SpreadBasisPoints))
}

/// Trailing windows of `length` micros, one per selected row.
pub fn trailing(
    rows: &DataFrame,
    length: i64,
    conditions: &[Condition],
    measure_name: impl Fn(&Measure) -> String,
) -> PolarsResult<DataFrame> {
    let ordered = Ordered::of(rows, conditions, &measure_name)?;
    let spread = has_spread(conditions);
    let out = ordered.by_subject_runs(
        Measures::new(ordered.fields.len(), ordered.routines.len()),
        |rows, out| trailing_into(&ordered, rows, length, spread, out),
    );
    out.into_frame(&ordered, conditions, &measure_name)
}

/// The trailing windows of `length` micros that meet `conditions` (combined by `combine`), as
/// (subject key, window start, window end): [`trailing`] then a filter, without the frame of
/// every window's measures.
pub fn trailing_meeting(
    rows: &DataFrame,
    length: i64,
    conditions: &[Condition],
    combine: Combine,
    measure_name: impl Fn(&Measure) -> String,
) -> PolarsResult<Vec<(u32, i64, i64)>> {
    let ordered = Ordered::of(rows, conditions, &measure_name)?;
    let spread = has_spread(conditions);
    let empty = Meeting::new(&ordered, conditions, combine, &measure_name)?;
    let out = ordered.by_subject_runs(empty, |rows, out| {
        trailing_into(&ordered, rows, length, spread, out)
    });
    Ok(out.found)
}

/// The trailing windows of the subjects of `rows` (whole subjects).
fn trailing_into(
    ordered: &Ordered,
    rows: Range<usize>,
    length: i64,
    spread: bool,
    out: &mut impl WindowSink,
) {
    let times = &ordered.times;
    // one window for every subject: a subject's rows leave it before the next one's enter
    let mut window = Window::new(ordered, rows.start, length, spread);
    let mut start = rows.start;
    while start < rows.end {
        let end = ordered.subject_end(start);
        let (mut first, mut past_last) = (start, start);
        for row in start..end {
            let now = times[row];
            while past_last < end && times[past_last] <= now {
                window.enter(past_last);
                past_last += 1;
            }
            while times[first] < now.saturating_sub(length) {
                window.leave(first);
                first += 1;
            }
            window.starts_at(now.saturating_sub(length));
            out.record(
                ordered.subjects[row],
                times[first],
                times[past_last - 1],
                &window,
            );
        }
        (first..past_last).for_each(|row| window.leave(row));
        start = end;
    }
}

/// Business days (local calendar days at `utc_offset_secs`), one per subject and day with
/// rows; `None` when a local time falls before 1970, where the day is left to Polars.
pub fn business_days(
    rows: &DataFrame,
    utc_offset_secs: i32,
    conditions: &[Condition],
    measure_name: impl Fn(&Measure) -> String,
) -> PolarsResult<Option<DataFrame>> {
    let ordered = Ordered::of(rows, conditions, &measure_name)?;
    if !ordered.local_days_known(utc_offset_secs) {
        return Ok(None);
    }
    let spread = has_spread(conditions);
    let out = ordered.by_subject_runs(
        Measures::new(ordered.fields.len(), ordered.routines.len()),
        |rows, out| business_days_into(&ordered, rows, utc_offset_secs, spread, out),
    );
    out.into_frame(&ordered, conditions, &measure_name)
        .map(Some)
}

/// The business days that meet `conditions` (see [`trailing_meeting`]); `None` as for
/// [`business_days`].
pub fn business_days_meeting(
    rows: &DataFrame,
    utc_offset_secs: i32,
    conditions: &[Condition],
    combine: Combine,
    measure_name: impl Fn(&Measure) -> String,
) -> PolarsResult<Option<Vec<(u32, i64, i64)>>> {
    let ordered = Ordered::of(rows, conditions, &measure_name)?;
    if !ordered.local_days_known(utc_offset_secs) {
        return Ok(None);
    }
    let spread = has_spread(conditions);
    let empty = Meeting::new(&ordered, conditions, combine, &measure_name)?;
    let out = ordered.by_subject_runs(empty, |rows, out| {
        business_days_into(&ordered, rows, utc_offset_secs, spread, out)
    });
    Ok(Some(out.found))
}

/// The local calendar day of a time at `utc_offset_secs`; `None` before 1970.
fn local_day(t: i64, utc_offset_secs: i32) -> Option<i64> {
    t.checked_add(i64::from(utc_offset_secs) * 1_000_000)
        .filter(|l| *l >= 0)
        .map(|l| l / DAY)
}

impl Ordered {
    /// Whether every row's local day is known (none falls before 1970).
    fn local_days_known(&self, utc_offset_secs: i32) -> bool {
        self.times
            .iter()
            .all(|&t| local_day(t, utc_offset_secs).is_some())
    }
}

/// The business days of the subjects of `rows` (whole subjects), every local day known.
fn business_days_into(
    ordered: &Ordered,
    rows: Range<usize>,
    utc_offset_secs: i32,
    spread: bool,
    out: &mut impl WindowSink,
) {
    let times = &ordered.times;
    let mut window = Window::new(ordered, rows.start, DAY, spread);
    // a business day is a run of rows of one subject on one local day
    let day_of = |row: usize| {
        (
            ordered.subjects[row],
            local_day(times[row], utc_offset_secs),
        )
    };
    let mut start = rows.start;
    while start < rows.end {
        let day = day_of(start);
        let end = (start..rows.end)
            .find(|&row| day_of(row) != day)
            .unwrap_or(rows.end);
        (start..end).for_each(|row| window.enter(row));
        if let (_, Some(local)) = day {
            // local midnight, in UTC
            window.starts_at(local * DAY - i64::from(utc_offset_secs) * 1_000_000);
        }
        out.record(
            ordered.subjects[start],
            times[start],
            times[end - 1],
            &window,
        );
        (start..end).for_each(|row| window.leave(row));
        start = end;
    }
}

/// One condition on a window, as [`Meeting`] tests it.
#[derive(Clone, Copy)]
enum Test {
    Count,
    Sum,
    /// Distinct values of the `Ordered::fields` entry at this position.
    Distinct(usize),
    /// The count against the routine of the `Ordered::routines` entry at this position.
    Routine(usize),
    SpreadBasisPoints,
}

/// Keeps the windows that meet a rule's conditions. Each test is the one the rule's Polars
/// filter on a features frame makes (see `windowed::hits`), in the same arithmetic: a measure
/// at least the condition's value; a spread compared in f64 as `(max - min) * 10000 <=
/// basis points * max`.
#[derive(Clone)]
struct Meeting {
    tests: Vec<(Test, i64)>,
    combine: Combine,
    found: Vec<(u32, i64, i64)>,
}

impl Meeting {
    fn new(
        ordered: &Ordered,
        conditions: &[Condition],
        combine: Combine,
        measure_name: &impl Fn(&Measure) -> String,
    ) -> PolarsResult<Self> {
        let tests = conditions
            .iter()
            .map(|c| {
                let test = match c.measure {
                    Measure::Count => Test::Count,
                    Measure::Sum => Test::Sum,
                    Measure::Distinct(_) | Measure::DistinctNew { .. } => {
                        // Ordered::of makes one field per distinct-count measure name
                        let name = measure_name(&c.measure);
                        let k = ordered.fields.iter().position(|v| v.name == name);
                        Test::Distinct(k.ok_or_else(|| {
                            PolarsError::ComputeError(format!("no values for {name}").into())
                        })?)
                    }
                    Measure::CountAgainstRoutine { .. } => {
                        let name = measure_name(&c.measure);
                        let k = ordered.routines.iter().position(|(n, _)| *n == name);
                        Test::Routine(k.ok_or_else(|| {
                            PolarsError::ComputeError(format!("no routine for {name}").into())
                        })?)
                    }
                    Measure::SpreadBasisPoints => Test::SpreadBasisPoints,
                };
                Ok((test, c.value))
            })
            .collect::<PolarsResult<_>>()?;
        Ok(Self {
            tests,
            combine,
            found: Vec::new(),
        })
    }

    fn meets(&self, window: &Window) -> bool {
        let holds = |(test, value): &(Test, i64)| match *test {
            Test::Count => window.count >= *value,
            Test::Sum => window.sum >= i128::from(*value),
            Test::Distinct(k) => window.held[k].1 >= *value,
            Test::Routine(k) => window.routines[k].1 >= *value,
            Test::SpreadBasisPoints => {
                let amounts = &window.rows.amounts;
                let smallest = window.smallest.front().map_or(0, |&i| amounts[i]);
                let largest = window.largest.front().map_or(0, |&i| amounts[i]);
                // exact: (max - min) * 10000 <= bp * max, in i128
                i128::from(largest - smallest) * 10_000 <= i128::from(largest) * i128::from(*value)
            }
        };
        match self.combine {
            Combine::All => self.tests.iter().all(holds),
            Combine::Any => self.tests.is_empty() || self.tests.iter().any(holds),
        }
    }
}

impl WindowSink for Meeting {
    fn append(&mut self, mut later: Self) {
        self.found.append(&mut later.found);
    }

    fn record(&mut self, subject: u32, start: i64, end: i64, window: &Window) {
        if self.meets(window) {
            self.found.push((subject, start, end));
        }
    }
}

/// Positions of the rows in subject-then-time order (ties keep row order).
fn subject_then_time_order(subjects: &[u32], times: &[i64]) -> Vec<IdxSize> {
    let mut order: Vec<IdxSize> = (0..subjects.len() as IdxSize).collect();
    let in_time_order = times.windows(2).all(|pair| pair[0] <= pair[1]);
    let Some(&largest) = subjects.iter().max() else {
        return order;
    };
    if !in_time_order {
        order.sort_by_key(|&i| (subjects[i as usize], times[i as usize]));
        return order;
    }
    // counting sort: each subject's first position, then every row after the ones before it
    let mut next = vec![0 as IdxSize; largest as usize + 2];
    for &subject in subjects {
        next[subject as usize + 1] += 1;
    }
    for k in 1..next.len() {
        next[k] += next[k - 1];
    }
    for (row, &subject) in subjects.iter().enumerate() {
        let slot = &mut next[subject as usize];
        order[*slot as usize] = row as IdxSize;
        *slot += 1;
    }
    order
}

/// Each row's code for a text column's value (`None` for an empty or missing value: a missing
/// one reads as empty), and the number of codes.
fn value_codes(column: &StringChunked) -> (Vec<Option<u32>>, usize) {
    let mut code_of: PlHashMap<&str, u32> = PlHashMap::default();
    let mut codes: Vec<Option<u32>> = Vec::with_capacity(column.len());
    for stretch in encode_stretches(column) {
        let table: Vec<Option<u32>> = stretch
            .values
            .iter()
            .map(|value| {
                (!value.is_empty()).then(|| {
                    let next = code_of.len() as u32;
                    *code_of.entry(value).or_insert(next)
                })
            })
            .collect();
        codes.extend(stretch.codes.iter().map(|&c| table[c as usize]));
    }
    (codes, code_of.len())
}

#[cfg(test)]
mod tests {
    use super::super::windowed::{features_by_polars, measure_name};
    use super::*;
    use crate::rules::plan::Field;

    /// Rows of 4 subjects with many equal times, empty and missing names, in time order or not.
    fn rows(in_time_order: bool) -> DataFrame {
        let mut state: u64 = 7;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) % m
        };
        let n = 400;
        let mut times: Vec<i64> = (0..n)
            .map(|_| 10 * DAY + next(40) as i64 * DAY / 4)
            .collect();
        if in_time_order {
            times.sort_unstable();
        }
        let subjects: Vec<u32> = (0..n).map(|_| next(4) as u32 + 1).collect();
        let amounts: Vec<i64> = (0..n).map(|_| next(5) as i64 * 1_000 + 1).collect();
        let names: Vec<Option<&str>> = (0..n)
            .map(|_| [Some("A"), Some("B"), Some("C"), Some(""), None][next(5) as usize])
            .collect();
        let mut frame = df!(
            SUBJECT => subjects,
            BASE_AMOUNT => amounts,
            "orig_name" => names,
        )
        .unwrap();
        let ts = Int64Chunked::from_vec(TS.into(), times)
            .into_datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC));
        frame.with_column(ts.into_column()).unwrap();
        frame
    }

    fn conditions() -> Vec<Condition> {
        [
            Measure::Count,
            Measure::Sum,
            Measure::Distinct(Field::OrigName),
            Measure::SpreadBasisPoints,
        ]
        .into_iter()
        .map(|measure| Condition { measure, value: 1 })
        .collect()
    }

    /// The frame's windows as sorted tuples of every column but the subject's first.
    fn windows(frame: &DataFrame) -> Vec<Vec<i64>> {
        let mut columns = vec![SUBJECT, "win_start", "win_end"];
        columns.extend([
            "m_count",
            "m_sum",
            "m_distinct_orig_name",
            "m_max",
            "m_spread",
        ]);
        let values: Vec<Vec<i64>> = columns
            .iter()
            .map(|c| {
                let column = frame.column(c).unwrap().cast(&DataType::Int64).unwrap();
                column.i64().unwrap().into_no_null_iter().collect()
            })
            .collect();
        let mut rows: Vec<Vec<i64>> = (0..frame.height())
            .map(|i| values.iter().map(|v| v[i]).collect())
            .collect();
        rows.sort_unstable();
        rows
    }

    #[test]
    fn trailing_windows_are_those_of_polars_rolling() {
        for in_time_order in [true, false] {
            let rows = rows(in_time_order);
            for length in [1, DAY / 4, DAY, 3 * DAY] {
                let ours = trailing(&rows, length, &conditions(), measure_name).unwrap();
                let polars = features_by_polars(&rows, length, &conditions()).unwrap();
                assert_eq!(ours.height(), rows.height());
                assert_eq!(windows(&ours), windows(&polars), "length {length}");
            }
        }
    }

    /// The windows of a features frame that pass the rule's Polars filter, sorted.
    fn filtered_by_polars(
        features: DataFrame,
        conditions: &[Condition],
        combine: Combine,
    ) -> Vec<(u32, i64, i64)> {
        let condition = conditions
            .iter()
            .map(super::super::windowed::condition_expr)
            .reduce(|a, b| match combine {
                Combine::All => a.and(b),
                Combine::Any => a.or(b),
            })
            .unwrap_or_else(|| lit(true));
        let kept = features.lazy().filter(condition).collect().unwrap();
        let column = |name: &str| kept.column(name).unwrap().i64().unwrap().clone();
        let subjects = kept.column(SUBJECT).unwrap().u32().unwrap().clone();
        let (starts, ends) = (column("win_start"), column("win_end"));
        let mut found: Vec<(u32, i64, i64)> = (0..kept.height())
            .map(|i| {
                let at = |c: &Int64Chunked| c.get(i).unwrap();
                (subjects.get(i).unwrap(), at(&starts), at(&ends))
            })
            .collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn windows_meeting_the_conditions_are_those_the_polars_filter_keeps() {
        let each = |measure, value| vec![Condition { measure, value }];
        let mixed = |value| {
            vec![
                Condition {
                    measure: Measure::Count,
                    value: 3,
                },
                Condition {
                    measure: Measure::Distinct(Field::OrigName),
                    value: 2,
                },
                Condition {
                    measure: Measure::SpreadBasisPoints,
                    value,
                },
            ]
        };
        let cases = [
            vec![],
            each(Measure::Count, 4),
            each(Measure::Sum, 9_000),
            each(Measure::Distinct(Field::OrigName), 3),
            each(Measure::SpreadBasisPoints, 5_000),
            each(
                Measure::DistinctNew {
                    field: Field::OrigName,
                    baseline: DAY,
                },
                2,
            ),
            each(Measure::CountAgainstRoutine { baseline: 3 * DAY }, 30_000),
            vec![
                Condition {
                    measure: Measure::Count,
                    value: 3,
                },
                Condition {
                    measure: Measure::CountAgainstRoutine { baseline: 2 * DAY },
                    value: 15_000,
                },
            ],
            mixed(2_500),
            mixed(7_500),
        ];
        let mut kept_some = false;
        for in_time_order in [true, false] {
            let rows = rows(in_time_order);
            for conditions in &cases {
                for combine in [Combine::All, Combine::Any] {
                    let features = trailing(&rows, DAY, conditions, measure_name).unwrap();
                    let mut ours =
                        trailing_meeting(&rows, DAY, conditions, combine, measure_name).unwrap();
                    ours.sort_unstable();
                    let polars = filtered_by_polars(features, conditions, combine);
                    assert_eq!(ours, polars, "{conditions:?} {combine:?}");
                    kept_some |= !ours.is_empty() && ours.len() < rows.height();

                    let offset = -5 * 3600;
                    let days = business_days(&rows, offset, conditions, measure_name).unwrap();
                    let mut ours =
                        business_days_meeting(&rows, offset, conditions, combine, measure_name)
                            .unwrap()
                            .unwrap();
                    ours.sort_unstable();
                    let polars = filtered_by_polars(days.unwrap(), conditions, combine);
                    assert_eq!(ours, polars, "{conditions:?} {combine:?} by day");
                }
            }
        }
        assert!(
            kept_some,
            "the conditions should keep some windows and drop others"
        );

        // a spread of exactly the limit: 1,000 to 2,000 is 5,000 basis points of 2,000
        let mut exact = df!(
            SUBJECT => [1u32, 1],
            BASE_AMOUNT => [1_000i64, 2_000],
            "orig_name" => ["A", "B"],
        )
        .unwrap();
        let ts = Int64Chunked::from_vec(TS.into(), vec![DAY, DAY + 1])
            .into_datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC));
        exact.with_column(ts.into_column()).unwrap();
        for (limit, kept) in [(5_000, 2), (4_999, 1)] {
            let spread = each(Measure::SpreadBasisPoints, limit);
            let ours = trailing_meeting(&exact, DAY, &spread, Combine::All, measure_name).unwrap();
            assert_eq!(ours.len(), kept, "limit {limit}");
            let features = trailing(&exact, DAY, &spread, measure_name).unwrap();
            assert_eq!(ours, filtered_by_polars(features, &spread, Combine::All));
        }
    }

    /// Each row's subject key and time.
    fn subjects_and_times(frame: &DataFrame) -> (Vec<u32>, Vec<i64>) {
        let subjects = frame.column(SUBJECT).unwrap().u32().unwrap();
        let ts = frame.column(TS).unwrap().cast(&DataType::Int64).unwrap();
        (
            subjects.into_no_null_iter().collect(),
            ts.i64().unwrap().into_no_null_iter().collect(),
        )
    }

    /// `(subject, window start, window end, new values)` of a frame's windows, sorted.
    fn new_counts(frame: &DataFrame, name: &str) -> Vec<(u32, i64, i64, i64)> {
        let int = |c: &str| -> Vec<i64> {
            let column = frame.column(c).unwrap().cast(&DataType::Int64).unwrap();
            column.i64().unwrap().into_no_null_iter().collect()
        };
        let subjects: Vec<u32> = frame
            .column(SUBJECT)
            .unwrap()
            .u32()
            .unwrap()
            .into_no_null_iter()
            .collect();
        let (starts, ends, counts) = (int("win_start"), int("win_end"), int(name));
        let mut out: Vec<_> = (0..frame.height())
            .map(|i| (subjects[i], starts[i], ends[i], counts[i]))
            .collect();
        out.sort_unstable();
        out
    }

    /// Every value of the subject in `[from, to]` that it did not hold in `[from - baseline,
    /// from)`, by brute force over all rows; with the window's first and last times.
    fn brute_new(
        rows: &[(u32, i64, Option<String>)],
        subject: u32,
        from: i64,
        to: i64,
        baseline: i64,
    ) -> (i64, i64, i64) {
        let of = |lo: i64, hi_excl: i64| -> std::collections::BTreeSet<&str> {
            rows.iter()
                .filter(|(s, t, v)| *s == subject && *t >= lo && *t < hi_excl && v.is_some())
                .map(|(_, _, v)| v.as_deref().unwrap())
                .filter(|v| !v.is_empty())
                .collect()
        };
        let before = of(from - baseline, from);
        let new = of(from, to + 1).difference(&before).count() as i64;
        let times: Vec<i64> = rows
            .iter()
            .filter(|(s, t, _)| *s == subject && *t >= from && *t <= to)
            .map(|(_, t, _)| *t)
            .collect();
        let (first, last) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
        (first, last, new)
    }

    #[test]
    fn new_values_are_those_not_held_in_the_baseline_before_the_window() {
        for in_time_order in [true, false] {
            let frame = rows(in_time_order);
            let (subjects, times) = subjects_and_times(&frame);
            let names: Vec<Option<String>> = frame
                .column("orig_name")
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect();
            let all: Vec<(u32, i64, Option<String>)> = (0..frame.height())
                .map(|i| (subjects[i], times[i], names[i].clone()))
                .collect();
            let mut counted_some_old = false;
            for baseline in [1, DAY / 4, DAY, 5 * DAY] {
                let measure = Measure::DistinctNew {
                    field: Field::OrigName,
                    baseline,
                };
                let conditions = [Condition { measure, value: 1 }];
                let name = measure_name(&measure);
                for length in [1, DAY / 4, DAY, 3 * DAY] {
                    let ours = trailing(&frame, length, &conditions, measure_name).unwrap();
                    let mut expected: Vec<_> = all
                        .iter()
                        .map(|(s, t, _)| {
                            let (first, last, new) = brute_new(&all, *s, t - length, *t, baseline);
                            (*s, first, last, new)
                        })
                        .collect();
                    expected.sort_unstable();
                    assert_eq!(
                        new_counts(&ours, &name),
                        expected,
                        "length {length} baseline {baseline}"
                    );
                    let plain = trailing(
                        &frame,
                        length,
                        &[Condition {
                            measure: Measure::Distinct(Field::OrigName),
                            value: 1,
                        }],
                        measure_name,
                    )
                    .unwrap();
                    counted_some_old |= new_counts(&plain, "m_distinct_orig_name") != expected;
                }
                for offset in [0, -5 * 3600, 9 * 3600] {
                    let days = business_days(&frame, offset, &conditions, measure_name)
                        .unwrap()
                        .unwrap();
                    let shift = i64::from(offset) * 1_000_000;
                    let mut expected: Vec<_> = all
                        .iter()
                        .map(|(s, t, _)| {
                            let midnight = (t + shift) / DAY * DAY - shift;
                            (*s, midnight)
                        })
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .map(|(s, midnight)| {
                            let (first, last, new) =
                                brute_new(&all, s, midnight, midnight + DAY - 1, baseline);
                            (s, first, last, new)
                        })
                        .collect();
                    expected.sort_unstable();
                    assert_eq!(
                        new_counts(&days, &name),
                        expected,
                        "offset {offset} baseline {baseline}"
                    );
                }
            }
            assert!(counted_some_old, "some values should not be new");
        }
    }

    #[test]
    fn a_value_is_new_again_only_when_last_seen_more_than_the_baseline_before_the_window() {
        // "A" at day 0; windows of 1 day at day 1 + 5 days (baseline 5 days)
        let case = |second: i64| {
            let mut frame = df!(
                SUBJECT => [1u32, 1],
                BASE_AMOUNT => [1i64, 1],
                "orig_name" => ["A", "A"],
            )
            .unwrap();
            let ts = Int64Chunked::from_vec(TS.into(), vec![DAY, second])
                .into_datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC));
            frame.with_column(ts.into_column()).unwrap();
            let measure = Measure::DistinctNew {
                field: Field::OrigName,
                baseline: 5 * DAY,
            };
            let conditions = [Condition { measure, value: 1 }];
            let ours = trailing(&frame, DAY, &conditions, measure_name).unwrap();
            new_counts(&ours, &measure_name(&measure))[1].3
        };
        // the window of the second row starts a day before it: the first row at exactly the
        // baseline before that start is in the baseline, a microsecond earlier it is not
        assert_eq!(case(DAY + 6 * DAY), 0);
        assert_eq!(case(DAY + 6 * DAY + 1), 1);
        // within the window, a repeat is one value
        assert_eq!(case(DAY + DAY / 2), 1);
    }

    /// `floor(c * baseline * 10_000 / (p * length))` or `i64::MAX`, by brute force over all
    /// rows: `c` the subject's rows in `[from, to]`, `p` those in `[from - baseline, from)`.
    fn brute_routine(
        rows: &[(u32, i64)],
        subject: u32,
        (from, to): (i64, i64),
        baseline: i64,
        length: i64,
    ) -> (i64, i64, i64) {
        let times = |lo: i64, hi: i64| -> Vec<i64> {
            rows.iter()
                .filter(|(s, t)| *s == subject && *t >= lo && *t <= hi)
                .map(|(_, t)| *t)
                .collect()
        };
        let window = times(from, to);
        let prior = times(from - baseline, from - 1).len() as i128;
        let count = window.len() as i128;
        let measure = if prior == 0 {
            i64::MAX
        } else {
            i64::try_from(count * i128::from(baseline) * 10_000 / (prior * i128::from(length)))
                .unwrap_or(i64::MAX)
        };
        let (first, last) = (*window.iter().min().unwrap(), *window.iter().max().unwrap());
        (first, last, measure)
    }

    #[test]
    fn counts_against_the_routine_are_those_of_a_brute_force_count() {
        for in_time_order in [true, false] {
            let frame = rows(in_time_order);
            let (subjects, times) = subjects_and_times(&frame);
            let all: Vec<(u32, i64)> = subjects.into_iter().zip(times).collect();
            let mut judged_some = false;
            for baseline in [1, DAY / 4, DAY, 5 * DAY] {
                let measure = Measure::CountAgainstRoutine { baseline };
                let conditions = [Condition { measure, value: 1 }];
                let name = measure_name(&measure);
                for length in [1, DAY / 4, DAY, 3 * DAY] {
                    let ours = trailing(&frame, length, &conditions, measure_name).unwrap();
                    let mut expected: Vec<_> = all
                        .iter()
                        .map(|(s, t)| {
                            let (first, last, m) =
                                brute_routine(&all, *s, (t - length, *t), baseline, length);
                            (*s, first, last, m)
                        })
                        .collect();
                    expected.sort_unstable();
                    judged_some |= expected.iter().any(|w| w.3 < i64::MAX);
                    assert_eq!(
                        new_counts(&ours, &name),
                        expected,
                        "length {length} baseline {baseline}"
                    );
                }
                for offset in [0, -5 * 3600, 9 * 3600] {
                    let days = business_days(&frame, offset, &conditions, measure_name)
                        .unwrap()
                        .unwrap();
                    let shift = i64::from(offset) * 1_000_000;
                    let mut expected: Vec<_> = all
                        .iter()
                        .map(|(s, t)| (*s, (t + shift) / DAY * DAY - shift))
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .map(|(s, midnight)| {
                            let day = (midnight, midnight + DAY - 1);
                            let (first, last, m) = brute_routine(&all, s, day, baseline, DAY);
                            (s, first, last, m)
                        })
                        .collect();
                    expected.sort_unstable();
                    assert_eq!(
                        new_counts(&days, &name),
                        expected,
                        "offset {offset} baseline {baseline}"
                    );
                }
            }
            assert!(
                judged_some,
                "some windows should have a routine before them"
            );
        }
    }

    #[test]
    fn a_count_exactly_the_factor_times_its_routine_is_unusual_and_just_under_is_not() {
        // one deposit a day at noon on days 0 to 89, then `burst` at the end of day 90
        let case = |burst: usize, factor: i64| {
            let mut times: Vec<i64> = (0..90).map(|d| d * DAY + DAY / 2).collect();
            times.extend(std::iter::repeat_n(91 * DAY, burst));
            let n = times.len();
            let mut frame = df!(
                SUBJECT => vec![1u32; n],
                BASE_AMOUNT => vec![9_000i64; n],
            )
            .unwrap();
            let ts = Int64Chunked::from_vec(TS.into(), times)
                .into_datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC));
            frame.with_column(ts.into_column()).unwrap();
            let conditions = [Condition {
                measure: Measure::CountAgainstRoutine { baseline: 90 * DAY },
                value: factor,
            }];
            let found = trailing_meeting(&frame, DAY, &conditions, Combine::All, measure_name);
            // the burst's window [day 90, day 91] holds only the burst; its baseline
            // [day 0, day 90) holds 90 rows, 1 a window
            found.unwrap().last().map(|w| w.2) == Some(91 * DAY)
        };
        // 3 against 1 a window: exactly 3x
        assert!(case(3, 30_000));
        assert!(!case(3, 30_001));
        assert!(!case(2, 30_000));
        // nothing before the window: nothing is routine
        let mut first = df!(SUBJECT => [1u32], BASE_AMOUNT => [9_000i64]).unwrap();
        let ts = Int64Chunked::from_vec(TS.into(), vec![DAY])
            .into_datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC));
        first.with_column(ts.into_column()).unwrap();
        let conditions = [Condition {
            measure: Measure::CountAgainstRoutine { baseline: 90 * DAY },
            value: i64::MAX,
        }];
        let found = trailing_meeting(&first, DAY, &conditions, Combine::All, measure_name);
        assert_eq!(found.unwrap().len(), 1);
    }

    #[test]
    fn windows_computed_in_runs_of_whole_subjects_are_those_of_one_pass() {
        // with a count of new values and a count against the routine too
        let mut conditions = conditions();
        conditions.push(Condition {
            measure: Measure::DistinctNew {
                field: Field::OrigName,
                baseline: DAY,
            },
            value: 1,
        });
        conditions.push(Condition {
            measure: Measure::CountAgainstRoutine { baseline: 2 * DAY },
            value: 1,
        });
        for in_time_order in [true, false] {
            let rows = rows(in_time_order);
            let ordered = Ordered::of(&rows, &conditions, &measure_name).unwrap();
            let frame_in = |parts: usize, by_day: bool| {
                let empty = Measures::new(ordered.fields.len(), ordered.routines.len());
                let out = ordered.in_runs(parts, empty, |rows, out| {
                    if by_day {
                        business_days_into(&ordered, rows, -5 * 3600, true, out)
                    } else {
                        trailing_into(&ordered, rows, DAY, true, out)
                    }
                });
                out.into_frame(&ordered, &conditions, &measure_name)
                    .unwrap()
            };
            // 4 subjects: 7 parts are cut at subject boundaries into at most 4 runs
            assert_eq!(ordered.subject_runs(1).len(), 1);
            let runs = ordered.subject_runs(7);
            assert!(runs.len() > 1 && runs.len() <= 4, "{runs:?}");
            assert!(runs.windows(2).all(|w| w[0].end == w[1].start
                && ordered.subjects[w[0].end - 1] != ordered.subjects[w[1].start]));
            for by_day in [false, true] {
                assert!(
                    frame_in(1, by_day).equals(&frame_in(7, by_day)),
                    "by day {by_day}"
                );
            }
        }
    }

    #[test]
    fn business_days_are_those_of_a_group_by_on_the_local_day() {
        for in_time_order in [true, false] {
            let rows = rows(in_time_order);
            for offset in [0, -5 * 3600, 9 * 3600] {
                let ours = business_days(&rows, offset, &conditions(), measure_name)
                    .unwrap()
                    .unwrap();
                let polars =
                    super::super::windowed::business_days_by_polars(&rows, offset, &conditions())
                        .unwrap();
                assert_eq!(windows(&ours), windows(&polars), "offset {offset}");
            }
        }
        // a local time before 1970 is left to Polars
        let early = rows(true)
            .lazy()
            .with_column(col(TS) - lit(Duration::parse("10d")))
            .collect()
            .unwrap();
        assert!(business_days(&early, -3600, &conditions(), measure_name)
            .unwrap()
            .is_none());
    }
}
