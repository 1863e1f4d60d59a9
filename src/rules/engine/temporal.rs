//! Detectors that compare a subject with its own past: dormancy, velocity spikes and changes
//! of behaviour.
//!
//! Each walks each subject's time-ordered history (see [`super::history`]) once, in parallel
//! over subjects, with exact integer arithmetic.

use super::history::{per_subject, Histories};
use super::Hit;
use crate::model::format_money_grouped;
use crate::rules::plan::{describe_duration, Micros, DAY, SEASON_SLACK, SEASON_YEAR};
use polars::prelude::*;
use rayon::prelude::*;

/// A transaction that `matches` (by base row; all when `None`) by a subject with no activity at
/// all in the `min_gap` before it. `history` holds every transaction of every subject.
///
/// `last_seen` (`subject`, `last_seen` in µs) gives each account's last activity before the
/// frame begins, from a nightly run's state; without it, a subject's first row is never dormant.
pub fn dormancy(
    history: &Histories,
    matches: Option<&[bool]>,
    min_gap: Micros,
    last_seen: Option<&DataFrame>,
) -> PolarsResult<Vec<Hit>> {
    let before = per_subject(last_seen, "last_seen")?;
    let ts = &history.ts;
    let hits = history
        .par_subjects()
        .flat_map_iter(|(subject, rows)| {
            let mut found = Vec::new();
            let before = before.get(subject).copied();
            // the latest activity strictly before a time (transactions at the same moment are
            // not activity before each other), kept for the matching rows at that time
            let mut latest_before: Option<(i64, Option<i64>)> = None;
            for (k, &row) in rows.iter().enumerate() {
                // only matching rows are judged: the times of the others are read only when
                // looking back from one
                if matches.is_some_and(|m| !m[row as usize]) {
                    continue;
                }
                let now = ts[row as usize];
                let previous = match latest_before {
                    Some((at, previous)) if at == now => previous,
                    _ => {
                        let previous = rows[..k]
                            .iter()
                            .rev()
                            .map(|&earlier| ts[earlier as usize])
                            .find(|&t| t < now)
                            .or(before);
                        latest_before = Some((now, previous));
                        previous
                    }
                };
                let Some(previous) = previous else { continue };
                let gap = now - previous;
                if gap >= min_gap {
                    found.push(Hit {
                        subject: subject.to_string(),
                        start: now,
                        end: now,
                        rows: Some(vec![row]),
                        facts: vec![("gap", describe_duration(gap - gap % DAY))],
                    });
                }
            }
            found
        })
        .collect();
    Ok(hits)
}

/// Each base row's time and amount side by side: a subject's rows lie all over the frame, and
/// each read of one misses the cache once instead of twice.
fn events(history: &Histories) -> Vec<(i64, i64)> {
    history
        .ts
        .par_iter()
        .zip(history.amount.par_iter())
        .map(|(&t, &a)| (t, a))
        .collect()
}

/// The rows of a subject's history that match the rule's filter (`None`: all of them).
fn chosen<'a>(rows: &'a [u32], selected: Option<&[bool]>) -> std::borrow::Cow<'a, [u32]> {
    match selected {
        None => rows.into(),
        Some(m) => rows.iter().copied().filter(|&r| m[r as usize]).collect(),
    }
}

/// The limits of a velocity spike, in micros and basis points.
#[derive(Debug, Clone, Copy)]
pub struct SpikeLimits {
    /// The window whose volume is judged.
    pub window: Micros,
    /// The history before the window that sets the subject's normal volume.
    pub baseline: Micros,
    /// Window volume against the average volume per window in the baseline, in basis points.
    pub factor_basis_points: i64,
    /// The least window volume that can spike.
    pub min_volume: i64,
    /// The least number of transactions in the baseline.
    pub min_baseline_count: i64,
    /// The least share of the window's volume that must come in, and the least that must go
    /// out, in basis points (0: no condition): money passing through, not a one-way payment.
    pub min_each_direction_basis_points: i64,
}

/// Volume over `window` (inclusive at both ends) at least `factor_basis_points / 10_000` times
/// the subject's average volume per window over the `baseline` before it, at least
/// `min_volume`, with at least `min_baseline_count` transactions in the baseline. Only subjects
/// seen at least `window + baseline` before the transaction are judged, so the baseline is real
/// history; `first_seen` comes from the frame or, in a nightly run, from the state
/// (`known_accounts`: `subject`, `first_seen`). One hit per subject and distinct time.
///
/// With `limits.min_each_direction_basis_points`, `orig_keys` (each base row's originator key)
/// tells the money going out of the subject (it is the originator) from the money coming in.
pub fn velocity(
    history: &Histories,
    selected: Option<&[bool]>,
    limits: SpikeLimits,
    known_accounts: Option<&DataFrame>,
    orig_keys: Option<&[u32]>,
) -> PolarsResult<Vec<Hit>> {
    let seen_before = per_subject(known_accounts, "first_seen")?;
    let events = events(history);
    let hits = history
        .par_subjects_keyed()
        .flat_map_iter(|(key, subject, rows)| {
            let chosen = chosen(rows, selected);
            let (times, amounts): (Vec<i64>, Vec<i64>) =
                chosen.iter().map(|&r| events[r as usize]).unzip();
            let outgoing: Option<Vec<bool>> =
                orig_keys.map(|orig| chosen.iter().map(|&r| orig[r as usize] == key).collect());
            let first_seen = seen_before.get(subject).copied();
            spikes(&times, &amounts, outgoing.as_deref(), first_seen, limits)
                .into_iter()
                .map(move |spike| {
                    // the evidence: every selected transaction of the subject in the window
                    let evidence = chosen[spike.first..spike.last + 1].to_vec();
                    spike.into_hit(subject, limits, evidence)
                })
        })
        .collect();
    Ok(hits)
}

/// One window that spiked: its end, its volume and the volume of the baseline before it, and
/// the positions of its first and last transaction in the subject's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spike {
    pub(crate) first: usize,
    pub(crate) last: usize,
    pub(crate) end: i64,
    pub(crate) volume: i128,
    pub(crate) baseline_volume: i128,
}

impl Spike {
    /// The hit of a spike, with its facts (`factor`, `baseline`) and `rows` as its evidence.
    pub(crate) fn into_hit(self, subject: &str, limits: SpikeLimits, rows: Vec<u32>) -> Hit {
        let per_window =
            self.baseline_volume as f64 * limits.window as f64 / limits.baseline as f64;
        let factor = self.volume as f64 / per_window.max(1.0);
        Hit {
            subject: subject.to_string(),
            start: self.end - limits.window,
            end: self.end,
            rows: Some(rows),
            facts: vec![
                ("factor", format!("{factor:.1}x")),
                ("baseline", format_money_grouped(per_window.round() as i64)),
            ],
        }
    }
}

/// The spikes in one subject's history (`times` sorted, `amounts` alongside), judged at each
/// distinct time with every transaction at that time in the window.
fn spikes(
    times: &[i64],
    amounts: &[i64],
    outgoing: Option<&[bool]>,
    seen_before: Option<i64>,
    limits: SpikeLimits,
) -> Vec<Spike> {
    let Some(&first_in_frame) = times.first() else {
        return Vec::new();
    };
    let first_seen = seen_before.map_or(first_in_frame, |t| t.min(first_in_frame));
    // running sums in i128: a subject's total can exceed i64 micros even if no amount does
    let mut running: Vec<i128> = Vec::with_capacity(amounts.len() + 1);
    running.push(0);
    for &a in amounts {
        running.push(running.last().copied().unwrap_or(0) + i128::from(a));
    }
    // and of the money going out, when the direction matters
    let running_out: Option<Vec<i128>> = outgoing.map(|out| {
        let mut sums = Vec::with_capacity(amounts.len() + 1);
        sums.push(0i128);
        for (&a, &o) in amounts.iter().zip(out) {
            sums.push(sums.last().copied().unwrap_or(0) + if o { i128::from(a) } else { 0 });
        }
        sums
    });
    let (mut window_from, mut history_from) = (0usize, 0usize);
    let mut found = Vec::new();
    // a time is judged once the subject has been seen for the window and the baseline: the
    // times before are skipped (two-thirds of a 90-day file for an 8-week baseline), and the
    // window's bounds catch up at the first time judged
    let judged_from = times.partition_point(|&t| t - first_seen < limits.window + limits.baseline);
    for (k, &now) in times.iter().enumerate().skip(judged_from) {
        if times.get(k + 1) == Some(&now) {
            continue; // judge a time once, with all its transactions
        }
        while times[window_from] < now - limits.window {
            window_from += 1;
        }
        while times[history_from] < now - limits.window - limits.baseline {
            history_from += 1;
        }
        let end = k + 1;
        let volume = running[end] - running[window_from];
        let baseline_volume = running[window_from] - running[history_from];
        let baseline_count = (window_from - history_from) as i64;
        // volume / (baseline_volume * window / baseline) >= factor, exactly in integers
        // (saturating: absurd amounts must not wrap into a different answer); tested last,
        // as the costliest test
        let spiked = || {
            volume
                .saturating_mul(i128::from(limits.baseline))
                .saturating_mul(10_000)
                >= baseline_volume
                    .saturating_mul(i128::from(limits.window))
                    .saturating_mul(i128::from(limits.factor_basis_points))
        };
        // both directions carry their share of the volume (exact, in integers)
        let both_ways = || match &running_out {
            _ if limits.min_each_direction_basis_points == 0 => true,
            None => false,
            Some(sums) => {
                let out = sums[end] - sums[window_from];
                let share = volume * i128::from(limits.min_each_direction_basis_points);
                out * 10_000 >= share && (volume - out) * 10_000 >= share
            }
        };
        if now - first_seen >= limits.window + limits.baseline
            && baseline_volume > 0
            && baseline_count >= limits.min_baseline_count
            && volume >= i128::from(limits.min_volume)
            && both_ways()
            && spiked()
        {
            found.push(Spike {
                first: window_from,
                last: k,
                end: now,
                volume,
                baseline_volume,
            });
        }
    }
    found
}

/// The limits of a change of behaviour, in micros and basis points (see
/// [`crate::rules::plan::Detector::BehaviourChange`]).
#[derive(Debug, Clone, Copy)]
pub struct ChangeLimits {
    /// The recent window whose volume is judged.
    pub window: Micros,
    /// The history before the window that sets the subject's usual volume.
    pub baseline: Micros,
    /// Window volume against `max(usual per window, quiet_volume)`, in basis points.
    pub factor_basis_points: i64,
    /// The volume per window a quiet or dormant account is judged against.
    pub quiet_volume: i64,
    /// The least number of transactions in the window.
    pub min_count: i64,
    /// A window is routine when the same weeks a year earlier held this share of its volume.
    pub seasonal_share_basis_points: Option<i64>,
}

/// Changes of behaviour: at each distinct time of a selected transaction, the `window` ending
/// there (inclusive at both ends) holds at least `min_count` transactions and a volume `V` of
/// at least `factor` times `max(B, quiet_volume)`, where `B` is the
/// average volume per window over the `baseline` before the window; unless, with a seasonal
/// share, the same window a year earlier (widened by a week at both ends) held at least that
/// share of `V`. Only subjects seen at least `window + baseline` before are judged
/// (`known_accounts`: `subject`, `first_seen`, from a nightly state).
///
/// Overlapping windows that qualify are one episode and one hit, spanning them all, with the
/// facts of its strongest window (the largest factor; the earliest among equals).
pub fn behaviour_change(
    history: &Histories,
    selected: Option<&[bool]>,
    limits: ChangeLimits,
    known_accounts: Option<&DataFrame>,
) -> PolarsResult<Vec<Hit>> {
    let seen_before = per_subject(known_accounts, "first_seen")?;
    let events = events(history);
    let hits = history
        .par_subjects()
        .flat_map_iter(|(subject, rows)| {
            let chosen = chosen(rows, selected);
            let (times, amounts): (Vec<i64>, Vec<i64>) =
                chosen.iter().map(|&r| events[r as usize]).unzip();
            let first_seen = seen_before.get(subject).copied();
            changes(&times, &amounts, first_seen, limits)
                .into_iter()
                .map(move |change| {
                    let evidence = chosen[change.first..change.last + 1].to_vec();
                    change.into_hit(subject, limits, evidence)
                })
        })
        .collect();
    Ok(hits)
}

/// One window judged: its volume, transactions, the baseline's volume, and the year-earlier
/// volume (`None`: the subject's history does not reach back far enough, or no seasonal test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Judged {
    pub(crate) end: i64,
    pub(crate) volume: i128,
    pub(crate) count: i64,
    pub(crate) baseline_volume: i128,
    pub(crate) year_earlier: Option<i128>,
}

impl Judged {
    /// `max(B * window, quiet * baseline)`: the bar's denominator, scaled by `baseline` so that
    /// the comparison stays in integers.
    fn usual_scaled(&self, limits: ChangeLimits) -> i128 {
        self.baseline_volume
            .saturating_mul(i128::from(limits.window))
            .max(i128::from(limits.quiet_volume).saturating_mul(i128::from(limits.baseline)))
    }

    /// `V * baseline * 10_000`, to compare with `factor * usual_scaled`.
    fn volume_scaled(&self, limits: ChangeLimits) -> i128 {
        self.volume
            .saturating_mul(i128::from(limits.baseline))
            .saturating_mul(10_000)
    }
}

/// An episode of one subject: the first and last position of its evidence in the subject's
/// history, the ends of its first and last window, and its strongest window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Change {
    first: usize,
    last: usize,
    first_end: i64,
    last_end: i64,
    peak: Judged,
}

impl Change {
    /// The hit of an episode, with the facts of its strongest window and `rows` as its
    /// evidence.
    pub(crate) fn into_hit(self, subject: &str, limits: ChangeLimits, rows: Vec<u32>) -> Hit {
        let peak = self.peak;
        // the factor in tenths, rounded down: exact, and never more than what was compared
        let usual = peak.usual_scaled(limits).max(1);
        let tenths = peak
            .volume
            .saturating_mul(i128::from(limits.baseline))
            .saturating_mul(10)
            / usual;
        // the usual volume per window (the bar's own test: at least the quiet volume), shown
        // to the nearest cent (10,000 micros)
        let usual_is_higher = peak
            .baseline_volume
            .saturating_mul(i128::from(limits.window))
            >= i128::from(limits.quiet_volume).saturating_mul(i128::from(limits.baseline));
        let per_window = (peak
            .baseline_volume
            .saturating_mul(i128::from(limits.window))
            / i128::from(limits.baseline)
            + 5_000)
            / 10_000
            * 10_000;
        let window = describe_duration(limits.window);
        let baseline = describe_duration(limits.baseline);
        let against = if usual_is_higher {
            format!(
                "its usual {} per {window} over the preceding {baseline}",
                format_money_grouped(per_window)
            )
        } else {
            format!(
                "the {} per {window} a quiet account is judged against (its usual over the preceding {baseline}: {})",
                format_money_grouped(i128::from(limits.quiet_volume)),
                format_money_grouped(per_window)
            )
        };
        let mut facts = vec![
            ("volume", format_money_grouped(peak.volume)),
            ("payments", peak.count.to_string()),
            ("factor", format!("{}.{}x", tenths / 10, tenths % 10)),
            ("baseline", format_money_grouped(per_window)),
            ("against", against),
        ];
        if let Some(share) = limits.seasonal_share_basis_points {
            facts.push((
                "year_earlier",
                match peak.year_earlier {
                    Some(v) => format!(
                        "{} in the same weeks a year earlier, under {}% of the window's volume: not seasonal",
                        format_money_grouped(v),
                        share as f64 / 100.0
                    ),
                    None => "not checked: the account's history does not reach back a year"
                        .to_string(),
                },
            ));
        }
        Hit {
            subject: subject.to_string(),
            start: self.first_end - limits.window,
            end: self.last_end,
            rows: Some(rows),
            facts,
        }
    }
}

/// The changes in one subject's history (`times` sorted, `amounts` alongside), judged at each
/// distinct time with every transaction at that time in the window.
fn changes(
    times: &[i64],
    amounts: &[i64],
    seen_before: Option<i64>,
    limits: ChangeLimits,
) -> Vec<Change> {
    let Some(&first_in_frame) = times.first() else {
        return Vec::new();
    };
    let first_seen = seen_before.map_or(first_in_frame, |t| t.min(first_in_frame));
    let mut running: Vec<i128> = Vec::with_capacity(amounts.len() + 1);
    running.push(0);
    for &a in amounts {
        running.push(running.last().copied().unwrap_or(0) + i128::from(a));
    }
    // the year-earlier span of a window ending at `now`: [now - year - window - slack,
    // now - year + slack]
    let year_back = SEASON_YEAR + limits.window + SEASON_SLACK;
    let (mut window_from, mut history_from) = (0usize, 0usize);
    let (mut year_from, mut year_to) = (0usize, 0usize);
    let mut found: Vec<Change> = Vec::new();
    let judged_from = times.partition_point(|&t| t - first_seen < limits.window + limits.baseline);
    for (k, &now) in times.iter().enumerate().skip(judged_from) {
        if times.get(k + 1) == Some(&now) {
            continue; // judge a time once, with all its transactions
        }
        while times[window_from] < now - limits.window {
            window_from += 1;
        }
        while times[history_from] < now - limits.window - limits.baseline {
            history_from += 1;
        }
        let count = (k + 1 - window_from) as i64;
        let volume = running[k + 1] - running[window_from];
        if count < limits.min_count {
            continue;
        }
        let mut judged = Judged {
            end: now,
            volume,
            count,
            baseline_volume: running[window_from] - running[history_from],
            year_earlier: None,
        };
        let bar = judged
            .usual_scaled(limits)
            .saturating_mul(i128::from(limits.factor_basis_points));
        if judged.volume_scaled(limits) < bar {
            continue;
        }
        if let Some(share) = limits.seasonal_share_basis_points {
            if now - first_seen >= year_back {
                while year_from < times.len() && times[year_from] < now - year_back {
                    year_from += 1;
                }
                while year_to < times.len() && times[year_to] <= now - SEASON_YEAR + SEASON_SLACK {
                    year_to += 1;
                }
                let earlier = running[year_to] - running[year_from.min(year_to)];
                if earlier.saturating_mul(10_000) >= volume.saturating_mul(i128::from(share)) {
                    continue; // the same weeks a year earlier were as busy: routine
                }
                judged.year_earlier = Some(earlier);
            }
        }
        add_window(&mut found, judged, (window_from, k), limits);
    }
    found
}

/// Adds a qualifying window (ending at `judged.end`, its evidence the subject's history
/// positions `rows`) to a subject's episodes so far (`found`, in time order): a window
/// overlapping the last episode's last window joins it, and becomes its peak when stronger.
pub(crate) fn add_window(
    found: &mut Vec<Change>,
    judged: Judged,
    (window_from, k): (usize, usize),
    limits: ChangeLimits,
) {
    let now = judged.end;
    match found.last_mut() {
        // overlapping the episode's last window: the same episode
        Some(change) if now - limits.window <= change.last_end => {
            change.last = k;
            change.last_end = now;
            let (a, b) = (judged, change.peak);
            // a stronger window: V_a / usual_a > V_b / usual_b, cross-multiplied
            if a.volume.saturating_mul(b.usual_scaled(limits))
                > b.volume.saturating_mul(a.usual_scaled(limits))
            {
                change.peak = judged;
            }
        }
        _ => found.push(Change {
            first: window_from,
            last: k,
            first_end: now,
            last_end: now,
            peak: judged,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: SpikeLimits = SpikeLimits {
        window: 7 * DAY,
        baseline: 56 * DAY,
        factor_basis_points: 50_000,
        min_volume: 20_000,
        min_baseline_count: 3,
        min_each_direction_basis_points: 0,
    };

    /// Weekly 1,000 for eight weeks from `first_day`, then `last` on day 63.
    fn history(first_day: i64, last: i64) -> (Vec<i64>, Vec<i64>) {
        let mut times: Vec<i64> = (0..8).map(|w| (w * 7 + first_day) * DAY).collect();
        let mut amounts = vec![1_000; 8];
        times.push(63 * DAY);
        amounts.push(last);
        (times, amounts)
    }

    #[test]
    fn a_spike_of_exactly_the_factor_is_found_and_one_unit_less_is_not() {
        // baseline: 8,000 over 56 days = 1,000 per 7-day window; factor 5 → 5,000
        let limits = SpikeLimits {
            min_volume: 5_000,
            ..LIMITS
        };
        let (t, a) = history(0, 5_000);
        assert_eq!(spikes(&t, &a, None, None, limits).len(), 1);
        let (t, a) = history(0, 4_999);
        assert!(spikes(&t, &a, None, None, limits).is_empty());
    }

    #[test]
    fn the_window_includes_its_start_and_every_transaction_at_its_end() {
        // two transactions at the same time count together, once
        let limits = SpikeLimits {
            min_volume: 5_000,
            ..LIMITS
        };
        let (mut t, mut a) = history(0, 2_500);
        t.push(63 * DAY);
        a.push(2_500);
        let found = spikes(&t, &a, None, None, limits);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].volume, 5_000);
    }

    #[test]
    fn dormancy_measures_the_gap_to_activity_strictly_before_not_to_a_tie() {
        // ACC-1: active on day 0; on day 100 a small and a large transaction at the same time,
        // the small one first; only the large one matches the filter
        let history = Histories::from_parts(
            vec![0, 100 * DAY, 100 * DAY],
            vec![1, 1, 50_000],
            vec![("ACC-1", vec![0, 1, 2])],
        );
        let matches = [false, false, true];
        let hits = dormancy(&history, Some(&matches), 90 * DAY, None).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].rows, Some(vec![2]));
        // one day less of silence than the minimum: nothing
        let hits = dormancy(&history, Some(&matches), 101 * DAY, None).unwrap();
        assert!(hits.is_empty());
    }

    #[test]
    fn dormancy_without_earlier_rows_measures_from_the_state_and_ties_share_their_gap() {
        // ACC-1: two matching transactions at day 100 and one at day 101; the state last saw
        // the account on day 0
        let history = Histories::from_parts(
            vec![100 * DAY, 100 * DAY, 101 * DAY],
            vec![50_000; 3],
            vec![("ACC-1", vec![0, 1, 2])],
        );
        let last_seen =
            df!(super::super::exprs::SUBJECT => ["ACC-1"], "last_seen" => [0i64]).unwrap();
        let hits = dormancy(&history, None, 90 * DAY, Some(&last_seen)).unwrap();
        let rows: Vec<_> = hits.iter().map(|h| h.rows.clone()).collect();
        assert_eq!(rows, [Some(vec![0]), Some(vec![1])]);
        assert!(hits
            .iter()
            .all(|h| h.facts[0].1 == describe_duration(100 * DAY)));
        // without the state, the first day in the frame has nothing before it
        assert!(dormancy(&history, None, 90 * DAY, None).unwrap().is_empty());
    }

    #[test]
    fn volumes_beyond_i64_neither_wrap_nor_panic() {
        // a baseline of eight ordinary weeks, then two amounts whose sum exceeds i64::MAX
        let (mut t, mut a) = history(0, i64::MAX);
        t.push(63 * DAY);
        a.push(i64::MAX);
        let found = spikes(&t, &a, None, None, LIMITS);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].volume, 2 * i128::from(i64::MAX));
    }

    #[test]
    fn a_subject_without_enough_history_is_not_judged() {
        let limits = SpikeLimits {
            min_volume: 5_000,
            ..LIMITS
        };
        let (t, a) = history(1, 50_000);
        // history from day 1: 62 days before the spike, and window + baseline is 63
        assert!(spikes(&t, &a, None, None, limits).is_empty());
        // a nightly state that saw the account earlier makes the history real
        assert_eq!(spikes(&t, &a, None, Some(0), limits).len(), 1);
    }

    #[test]
    fn a_spike_must_pass_through_when_each_direction_needs_a_share() {
        let limits = SpikeLimits {
            min_each_direction_basis_points: 2_000,
            ..LIMITS
        };
        // eight weeks of 1,000 in, then 30,000 on day 63 and 7,500 on day 64
        let (mut t, mut a) = history(0, 30_000);
        t.push(64 * DAY);
        a.push(7_500);
        let mut out = vec![false; t.len()];
        // one-way: both large amounts go out, nothing comes in within the window
        out[8] = true;
        out[9] = true;
        assert!(spikes(&t, &a, Some(&out), None, limits).is_empty());
        // 7,500 of 37,500 coming in on day 64 is exactly 20%: that window passes through (the
        // day-63 window, 30,000 out and nothing in, still does not)
        out[9] = false;
        let found = spikes(&t, &a, Some(&out), None, limits);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].end, 64 * DAY);
        // 7,499 of 37,499 is not 20%
        a[9] = 7_499;
        assert!(spikes(&t, &a, Some(&out), None, limits).is_empty());
        // without the condition both windows spike
        assert_eq!(spikes(&t, &a, None, None, LIMITS).len(), 2);
    }

    const CHANGE: ChangeLimits = ChangeLimits {
        window: 28 * DAY,
        baseline: 180 * DAY,
        factor_basis_points: 50_000,
        quiet_volume: 2_000,
        min_count: 15,
        seasonal_share_basis_points: Some(5_000),
    };

    /// One transaction of `early` on day 0, then `count` of `each` a day apart from `from`.
    fn burst(early: i64, from: i64, count: i64, each: i64) -> (Vec<i64>, Vec<i64>) {
        let mut times = vec![0];
        let mut amounts = vec![early];
        for i in 0..count {
            times.push((from + i) * DAY);
            amounts.push(each);
        }
        (times, amounts)
    }

    #[test]
    fn a_dormant_account_is_judged_against_the_quiet_volume_exactly() {
        // day 0 then silence: B = 0 (day 0 is outside every baseline from day 209), so the bar
        // is 5 x 2,000 = 10,000 from 15 transactions
        let (t, a) = burst(1, 300, 15, 667);
        let found = changes(&t, &a, None, CHANGE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].peak.volume, 10_005);
        assert_eq!(found[0].peak.count, 15);
        let (t, a) = burst(1, 300, 15, 666);
        assert!(changes(&t, &a, None, CHANGE).is_empty(), "9,990 < 10,000");
        // 14 transactions of a larger amount: not enough payments
        let (t, a) = burst(1, 300, 14, 5_000);
        assert!(changes(&t, &a, None, CHANGE).is_empty());
    }

    #[test]
    fn an_account_is_judged_against_its_own_average_when_above_the_quiet_volume() {
        // 100 a day on days 0..=465, then 15 transactions within one moment of day 480; the
        // window ending there starts just after day 452 (13 days of 100 in it) and its
        // baseline holds days 273..=452: 18,000, i.e. 2,800 per 28 days, so the bar is 14,000
        let mut times: Vec<i64> = (0..466).map(|d| d * DAY).collect();
        let mut amounts = vec![100; 466];
        times.extend((0..15).map(|i| 480 * DAY + i));
        amounts.extend(vec![847; 14]);
        amounts.push(842);
        let strict = ChangeLimits {
            seasonal_share_basis_points: None,
            ..CHANGE
        };
        // 1,300 + 14 x 847 + 842 = 14,000: exactly the bar
        let found = changes(&times, &amounts, None, strict);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].peak.volume, 14_000);
        assert_eq!(found[0].peak.baseline_volume, 18_000);
        let hit = found[0].into_hit("ACC-1", strict, vec![]);
        assert!(hit.facts.contains(&("factor", "5.0x".to_string())));
        // 2,800 micros per window, shown to the cent
        assert!(hit.facts.contains(&("baseline", "0.00".to_string())));
        let against = &hit.facts.iter().find(|f| f.0 == "against").unwrap().1;
        assert!(against.starts_with("its usual"), "{against}");
        *amounts.last_mut().unwrap() -= 1;
        assert!(changes(&times, &amounts, None, strict).is_empty());
    }

    #[test]
    fn the_same_weeks_a_year_earlier_make_a_burst_routine() {
        // the same burst on days 40.. and 405..: the second one has a year of history
        let (mut t, mut a) = burst(1, 40, 20, 1_000);
        t.extend((405..425).map(|d| d * DAY));
        a.extend(vec![1_000; 20]);
        assert!(changes(&t, &a, None, CHANGE).is_empty());
        // half the volume a year earlier is still routine at a 50% share; one unit less is not
        let mut half = a.clone();
        for v in &mut half[1..21] {
            *v = 500;
        }
        assert!(changes(&t, &half, None, CHANGE).is_empty());
        half[1] -= 1;
        let found = changes(&t, &half, None, CHANGE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].peak.year_earlier, Some(9_999));
        // without the seasonal test the burst is a change
        let plain = ChangeLimits {
            seasonal_share_basis_points: None,
            ..CHANGE
        };
        assert_eq!(changes(&t, &a, None, plain).len(), 1);
    }

    #[test]
    fn without_a_year_of_history_seasonality_is_not_claimed() {
        let (t, a) = burst(1, 300, 20, 1_000);
        let found = changes(&t, &a, None, CHANGE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].peak.year_earlier, None);
        let hit = found[0].into_hit("ACC-1", CHANGE, vec![]);
        let fact = |k: &str| hit.facts.iter().find(|f| f.0 == k).unwrap().1.clone();
        assert!(fact("year_earlier").starts_with("not checked"));
        assert_eq!(fact("volume"), format_money_grouped(20_000i64));
        assert_eq!(fact("payments"), "20");
    }

    #[test]
    fn a_long_burst_is_one_episode_with_its_strongest_window() {
        // 40 days of 1,000: windows qualify from the 15th day on and overlap throughout
        let (t, a) = burst(1, 300, 40, 1_000);
        let found = changes(&t, &a, None, CHANGE);
        assert_eq!(found.len(), 1);
        let change = found[0];
        assert_eq!(change.first, 1);
        assert_eq!(change.last, 40);
        assert_eq!(change.first_end, 314 * DAY);
        assert_eq!(change.last_end, 339 * DAY);
        // the strongest window is the first full one: 29 days (both ends included), baseline 0
        assert_eq!(change.peak.count, 29);
        assert_eq!(change.peak.end, 328 * DAY);
    }

    #[test]
    fn a_subject_seen_too_recently_is_not_judged_unless_the_state_saw_it_earlier() {
        // first seen on day 120: the burst of days 300..=319 ends 199 days later, under 208
        let (mut t, a) = burst(1, 300, 20, 1_000);
        t[0] = 120 * DAY;
        assert!(changes(&t, &a, None, CHANGE).is_empty());
        assert_eq!(changes(&t, &a, Some(0), CHANGE).len(), 1);
    }

    #[test]
    fn behaviour_change_hits_are_the_same_on_any_number_of_threads() {
        let (t, a) = burst(1, 300, 20, 1_000);
        let n = t.len() as u32;
        let history = Histories::from_parts(
            [t.clone(), t].concat(),
            [a.clone(), a].concat(),
            vec![("ACC-1", (0..n).collect()), ("ACC-2", (n..2 * n).collect())],
        );
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut hits = pool.install(|| behaviour_change(&history, None, CHANGE, None).unwrap());
            hits.sort_by(|x, y| x.subject.cmp(&y.subject));
            hits.iter()
                .map(|h| {
                    (
                        h.subject.clone(),
                        h.start,
                        h.end,
                        h.rows.clone(),
                        h.facts.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let one = run(1);
        assert_eq!(one.len(), 2);
        assert_eq!(one, run(3));
    }
}
