//! Detectors that compare a subject with its own past: dormancy and velocity spikes.

use super::exprs::{duration_us, filter_expr, BASE_AMOUNT, ROW, SUBJECT, TS};
use super::Hit;
use crate::model::format_money_grouped;
use crate::rules::plan::{describe_duration, Micros, Predicate, DAY};
use polars::prelude::*;

/// The rows of `frame` whose subject appears in `subjects` (a one-column frame).
fn only_subjects(frame: LazyFrame, subjects: LazyFrame) -> LazyFrame {
    frame.join(
        subjects,
        [col(SUBJECT)],
        [col(SUBJECT)],
        JoinArgs::new(JoinType::Semi),
    )
}

/// A transaction matching `filter` by a subject with no activity at all in the `min_gap` before
/// it. `activity` holds every transaction of every subject (both sides), with `subject`.
///
/// `last_seen` (`subject`, `last_seen` in µs) gives each account's last activity before the
/// frame begins, from a nightly run's state; without it, a subject's first row is never dormant.
pub fn dormancy(
    activity: LazyFrame,
    filter: &[Predicate],
    min_gap: Micros,
    last_seen: Option<&DataFrame>,
) -> PolarsResult<Vec<Hit>> {
    // only subjects with at least one transaction matching the filter can reactivate: keep
    // the activity of those subjects alone (most accounts never move the minimum amount)
    let candidates = activity
        .clone()
        .filter(filter_expr(filter))
        .select([col(SUBJECT)])
        .unique(None, UniqueKeepStrategy::Any);
    let mut sorted = only_subjects(activity, candidates)
        .sort(
            [TS],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .with_column(
            col(TS)
                .cast(DataType::Int64)
                .shift(lit(1))
                .over([col(SUBJECT)])?
                .alias("prev_ts"),
        );
    if let Some(seen) = last_seen {
        sorted = sorted
            .join(
                seen.clone().lazy().select([col(SUBJECT), col("last_seen")]),
                [col(SUBJECT)],
                [col(SUBJECT)],
                JoinArgs::new(JoinType::Left),
            )
            .with_column(
                when(col("prev_ts").is_null())
                    .then(col("last_seen"))
                    .otherwise(col("prev_ts"))
                    .alias("prev_ts"),
            );
    }
    let frame = sorted
        .filter(
            filter_expr(filter)
                .and(col("prev_ts").is_not_null())
                .and((col(TS).cast(DataType::Int64) - col("prev_ts")).gt_eq(lit(min_gap))),
        )
        .select([
            col(SUBJECT),
            col(TS).cast(DataType::Int64).alias("win_start"),
            col(TS).cast(DataType::Int64).alias("win_end"),
            col(ROW),
            col("prev_ts"),
        ])
        .collect()?;
    let prev = frame.column("prev_ts")?.i64()?.clone();
    let mut hits = super::hits_from_frame(&frame, Some(ROW))?;
    for (hit, p) in hits.iter_mut().zip(prev.iter()) {
        let gap = hit.start - p.unwrap_or(hit.start);
        hit.facts.push(("gap", describe_duration(gap - gap % DAY)));
    }
    Ok(hits)
}

/// Volume over `window` at least `factor_bp / 10_000` times the subject's average volume per
/// window over the `baseline` before it, at least `min_volume`, with at least
/// `min_baseline_count` transactions in the baseline. Only subjects seen at least
/// `window + baseline` before the transaction are judged, so the baseline is real history;
/// `first_seen` comes from the frame or, in a nightly run, from the state (`last_seen` frame).
pub fn velocity(
    activity: LazyFrame,
    window: Micros,
    baseline: Micros,
    factor_bp: i64,
    min_volume: i64,
    min_baseline_count: i64,
    known_accounts: Option<&DataFrame>,
) -> PolarsResult<Vec<Hit>> {
    let roll = |length: Micros| RollingOptionsDynamicWindow {
        window_size: duration_us(length),
        min_periods: 1,
        closed_window: ClosedWindow::Both,
        fn_params: None,
    };
    let ts_int = col(TS).cast(DataType::Int64);
    // the three columns this detector reads, computed once for the branches below
    let activity = activity
        .select([col(SUBJECT), col(TS), col(BASE_AMOUNT)])
        .collect()?
        .lazy();
    // a subject whose whole volume is below min_volume, or with too few transactions for a
    // baseline, can never spike: drop it before any window is computed
    let possible = activity
        .clone()
        .group_by([col(SUBJECT)])
        .agg([col(BASE_AMOUNT).sum().alias("total"), len().alias("n")])
        .filter(
            col("total")
                .gt_eq(lit(min_volume))
                .and(col("n").cast(DataType::Int64).gt(lit(min_baseline_count))),
        )
        .select([col(SUBJECT)]);
    let sorted = only_subjects(activity, possible).sort(
        [TS],
        SortMultipleOptions::default().with_maintain_order(true),
    );
    // only subjects that reach min_volume in some window can spike: find them with one rolling
    // sum, and compute the baseline measures for those subjects alone
    let candidates = sorted
        .clone()
        .select([
            col(SUBJECT),
            col(BASE_AMOUNT)
                .rolling_sum_by(col(TS), roll(window))
                .over([col(SUBJECT)])?
                .alias("vol_window"),
        ])
        .filter(col("vol_window").gt_eq(lit(min_volume)))
        .select([col(SUBJECT)])
        .unique(None, UniqueKeepStrategy::Any);
    let mut measured = only_subjects(sorted, candidates)
        .with_column(lit(1i64).alias("one"))
        .with_columns([
            col(BASE_AMOUNT)
                .rolling_sum_by(col(TS), roll(window))
                .over([col(SUBJECT)])?
                .alias("vol_window"),
            col(BASE_AMOUNT)
                .rolling_sum_by(col(TS), roll(window + baseline))
                .over([col(SUBJECT)])?
                .alias("vol_total"),
            col("one")
                .rolling_sum_by(col(TS), roll(window))
                .over([col(SUBJECT)])?
                .alias("n_window"),
            col("one")
                .rolling_sum_by(col(TS), roll(window + baseline))
                .over([col(SUBJECT)])?
                .alias("n_total"),
            ts_int
                .clone()
                .min()
                .over([col(SUBJECT)])?
                .alias("first_seen"),
        ]);
    if let Some(known) = known_accounts {
        measured = measured
            .join(
                known
                    .clone()
                    .lazy()
                    .select([col(SUBJECT), col("first_seen").alias("first_seen_before")]),
                [col(SUBJECT)],
                [col(SUBJECT)],
                JoinArgs::new(JoinType::Left),
            )
            .with_column(
                when(col("first_seen_before").lt(col("first_seen")))
                    .then(col("first_seen_before"))
                    .otherwise(col("first_seen"))
                    .alias("first_seen"),
            );
    }
    let frame = measured
        .with_columns([
            (col("vol_total") - col("vol_window")).alias("vol_baseline"),
            (col("n_total") - col("n_window")).alias("n_baseline"),
        ])
        .filter(
            (ts_int.clone() - col("first_seen"))
                .gt_eq(lit(window + baseline))
                .and(col("vol_baseline").gt(lit(0i64)))
                .and(col("n_baseline").gt_eq(lit(min_baseline_count)))
                .and(col("vol_window").gt_eq(lit(min_volume)))
                // vol_window / (vol_baseline * window / baseline) >= factor, as a ratio of floats
                .and(
                    (col("vol_window").cast(DataType::Float64)
                        * lit(baseline as f64)
                        * lit(10_000.0))
                    .gt_eq(
                        col("vol_baseline").cast(DataType::Float64)
                            * lit(window as f64)
                            * lit(factor_bp as f64),
                    ),
                ),
        )
        .select([
            col(SUBJECT),
            (ts_int.clone() - lit(window)).alias("win_start"),
            ts_int.alias("win_end"),
            col("vol_window"),
            col("vol_baseline"),
        ])
        .collect()?;
    let vol = frame.column("vol_window")?.i64()?.clone();
    let base = frame.column("vol_baseline")?.i64()?.clone();
    let mut hits = super::hits_from_frame(&frame, None)?;
    for ((hit, v), b) in hits.iter_mut().zip(vol.iter()).zip(base.iter()) {
        let per_window = b.unwrap_or(0) as f64 * window as f64 / baseline as f64;
        let factor = v.unwrap_or(0) as f64 / per_window.max(1.0);
        hit.facts.push(("factor", format!("{factor:.1}x")));
        hit.facts
            .push(("baseline", format_money_grouped(per_window.round() as i64)));
    }
    Ok(hits)
}
