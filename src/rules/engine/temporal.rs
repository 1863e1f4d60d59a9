//! Detectors that compare a subject with its own past: dormancy and velocity spikes.
//!
//! Both walk each subject's time-ordered history (see [`super::history`]) once, in parallel
//! over subjects, with exact integer arithmetic.

use super::history::{per_subject, Histories};
use super::Hit;
use crate::model::format_money_grouped;
use crate::rules::plan::{describe_duration, Micros, DAY};
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
}

/// Volume over `window` (inclusive at both ends) at least `factor_basis_points / 10_000` times
/// the subject's average volume per window over the `baseline` before it, at least
/// `min_volume`, with at least `min_baseline_count` transactions in the baseline. Only subjects
/// seen at least `window + baseline` before the transaction are judged, so the baseline is real
/// history; `first_seen` comes from the frame or, in a nightly run, from the state
/// (`known_accounts`: `subject`, `first_seen`). One hit per subject and distinct time.
pub fn velocity(
    history: &Histories,
    selected: Option<&[bool]>,
    limits: SpikeLimits,
    known_accounts: Option<&DataFrame>,
) -> PolarsResult<Vec<Hit>> {
    let seen_before = per_subject(known_accounts, "first_seen")?;
    // each row's time and amount side by side: a subject's rows lie all over the frame, and
    // each read of one misses the cache once instead of twice
    let events: Vec<(i64, i64)> = history
        .ts
        .par_iter()
        .zip(history.amount.par_iter())
        .map(|(&t, &a)| (t, a))
        .collect();
    let hits = history
        .par_subjects()
        .flat_map_iter(|(subject, rows)| {
            let chosen: std::borrow::Cow<[u32]> = match selected {
                None => rows.into(),
                Some(m) => rows.iter().copied().filter(|&r| m[r as usize]).collect(),
            };
            let (times, amounts): (Vec<i64>, Vec<i64>) =
                chosen.iter().map(|&r| events[r as usize]).unzip();
            let first_seen = seen_before.get(subject).copied();
            spikes(&times, &amounts, first_seen, limits)
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
struct Spike {
    first: usize,
    last: usize,
    end: i64,
    volume: i128,
    baseline_volume: i128,
}

impl Spike {
    fn into_hit(self, subject: &str, limits: SpikeLimits, rows: Vec<u32>) -> Hit {
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
        if now - first_seen >= limits.window + limits.baseline
            && baseline_volume > 0
            && baseline_count >= limits.min_baseline_count
            && volume >= i128::from(limits.min_volume)
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

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: SpikeLimits = SpikeLimits {
        window: 7 * DAY,
        baseline: 56 * DAY,
        factor_basis_points: 50_000,
        min_volume: 20_000,
        min_baseline_count: 3,
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
        assert_eq!(spikes(&t, &a, None, limits).len(), 1);
        let (t, a) = history(0, 4_999);
        assert!(spikes(&t, &a, None, limits).is_empty());
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
        let found = spikes(&t, &a, None, limits);
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
        let found = spikes(&t, &a, None, LIMITS);
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
        assert!(spikes(&t, &a, None, limits).is_empty());
        // a nightly state that saw the account earlier makes the history real
        assert_eq!(spikes(&t, &a, Some(0), limits).len(), 1);
    }
}
