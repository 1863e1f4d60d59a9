//! The measures and detectors that compare a subject with its own past, as Spark SQL: counts of
//! values new to the subject ([`Measure::DistinctNew`]), counts against the subject's routine
//! over business days ([`Measure::CountAgainstRoutine`]), velocity spikes, changes of behaviour
//! and activity against the customer's declared volume. Each keeps the meaning of the Polars
//! engine's one-pass code (`src/rules/engine/windows.rs`, `temporal.rs`, `expected.rs`): the
//! cluster finds the windows that qualify, with the exact sums they were judged on; the hits
//! and their facts are made here by the Polars engine's own code.

use super::rules::{combined, condition_sql, measured_fields, selected_select, utc_day};
use crate::model::format_money_grouped;
use crate::rules::plan::{
    Combine, Condition, Detector, Field, Measure, Micros, RulePlan, Window, DAY, SEASON_SLACK,
    SEASON_YEAR,
};
use crate::rules::temporal::{add_window, ChangeLimits, Judged, Spike, SpikeLimits};
use crate::rules::{EngineContext, Hit, POOLED_ACCOUNTS_FACT};
use polars::prelude::DataFrame;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// The window frame of the subject's rows from `from` to `to` micros before the current row
/// (`None`: the current row, with its peers).
fn frame(from: Micros, to: Option<Micros>) -> String {
    let to = to.map_or_else(|| "CURRENT ROW".to_string(), |t| format!("{t} PRECEDING"));
    format!("(PARTITION BY subject ORDER BY ts_us RANGE BETWEEN {from} PRECEDING AND {to})")
}

/// Whether a business-day window's conditions need the subject's rows before the day.
pub fn needs_history(conditions: &[Condition]) -> bool {
    conditions.iter().any(|c| {
        matches!(
            c.measure,
            Measure::DistinctNew { .. } | Measure::CountAgainstRoutine { .. }
        )
    })
}

/// The column of each row's previous time with the same value of `field` for the subject, on a
/// business day (see [`business_day_hits`]).
fn previous_column(field: Field) -> String {
    format!("new_prev_{}", field.column())
}

/// The number of values of `field` new to the subject in a window: values held in the window
/// and not in the `baseline` before the window's start `s` (`[s - baseline, s)`). This is the
/// Polars engine's count of the rows `x` of the window with `prev_x + baseline < s`: only a
/// value's first row in the window can pass, and it does when the value's latest row before
/// `s` is before `s - baseline`.
///
/// Over a trailing window of `length` ending at `t` (`s = t - length`) it is the distinct values
/// in `[s - baseline, t]` less those in `[s - baseline, s)`, two frames. Over a business day
/// (`s` its local midnight, the column `day_start`) it is a count over the day's rows with
/// their previous time of the same value (see [`business_day_hits`]).
pub fn new_values(field: Field, baseline: Micros, window: &Window) -> String {
    let value = format!("nullif({}, '')", field.column());
    match window {
        Window::Trailing(length) => {
            let held = |from: Micros, to: Option<Micros>| {
                format!("size(collect_set({value}) OVER {})", frame(from, to))
            };
            if baseline <= 0 {
                return held(*length, None);
            }
            format!(
                "({} - {})",
                held(length + baseline, None),
                held(length + baseline, Some(length + 1))
            )
        }
        Window::BusinessDay { .. } => format!(
            "count_if({value} IS NOT NULL AND ({prev} IS NULL OR {prev} + {baseline} < day_start))",
            prev = previous_column(field)
        ),
    }
}

/// Business days (local calendar days at the offset) whose conditions need the subject's rows
/// before the day: counts of new values (see [`new_values`]) and counts against the routine.
///
/// A count against the routine judges the day's count `c` against the subject's selected rows
/// `p` in `[midnight - baseline, midnight)`: `p = 0 or c × baseline × 10000 >= v × p × DAY`
/// (`against_routine` in `windows.rs`). The `usual` fact states, as `annotate_routine` does,
/// the subject's selected transactions (each once) in `[end - DAY - baseline, end - DAY)`, `end`
/// the day's last row. Both counts are running counts at marks placed among the subject's rows
/// (a mark at midnight and one at `end - DAY` per day), over the frame `[m - baseline, m)`:
/// linear, with no join of rows against rows.
pub fn business_day_hits(
    selected: &str,
    utc_offset_secs: i32,
    conditions: &[Condition],
    combine: Combine,
) -> String {
    let offset = i64::from(utc_offset_secs) * 1_000_000;
    let day = utc_day(&format!("(ts_us + {offset})"));
    let window = Window::BusinessDay { utc_offset_secs };
    let mut extra = String::new();
    for field in measured_fields(conditions) {
        let _ = write!(
            extra,
            ", lag(ts_us) OVER (PARTITION BY subject, nullif({c}, '') ORDER BY ts_us) AS {p}",
            c = field.column(),
            p = previous_column(field)
        );
    }
    let routines: Vec<(usize, Micros)> = conditions
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c.measure {
            Measure::CountAgainstRoutine { baseline } => Some((i, baseline)),
            _ => None,
        })
        .collect();
    if !routines.is_empty() {
        extra.push_str(
            ", row_number() OVER (PARTITION BY subject, txn_id ORDER BY ts_us) = 1 AS first_copy",
        );
    }
    let plain = |e: &str| e.to_string();
    let mut measures = String::new();
    let tests: Vec<String> = conditions
        .iter()
        .enumerate()
        .map(|(i, c)| match c.measure {
            Measure::CountAgainstRoutine { baseline } => format!(
                "(coalesce(p_{i}, 0) = 0 OR CAST(n AS DECIMAL(38, 0)) * {baseline} * 10000 >= CAST({v} AS DECIMAL(38, 0)) * p_{i} * {DAY})",
                v = c.value
            ),
            _ => {
                let _ = write!(measures, ", {} AS met_{i}", condition_sql(c, &window, &plain));
                format!("met_{i}")
            }
        })
        .collect();
    let days = format!(
        "sel AS (SELECT *, {day} AS bday, {day} * {DAY} - {offset} AS day_start{extra} FROM ({selected}) AS s), \
         bdays AS (SELECT subject, bday, min(day_start) AS day_start, min(ts_us) AS win_start, \
                  max(ts_us) AS win_end, count(*) AS n{measures} FROM sel AS r GROUP BY subject, bday)"
    );
    let Some(&(_, usual_baseline)) = routines.first() else {
        return format!(
            "WITH {days} SELECT subject, win_start, win_end, CAST(NULL AS STRING) AS txn_id FROM bdays AS b WHERE {}",
            combined(tests, combine)
        );
    };
    // marks: kind 0 the rows, 1 each day's midnight, 2 each day's last row less a day
    let mut counts = String::new();
    let mut joins = String::new();
    let mut picks = String::new();
    for (i, baseline) in &routines {
        let _ = write!(
            counts,
            ", sum(real) OVER (PARTITION BY subject ORDER BY t RANGE BETWEEN {baseline} PRECEDING AND 1 PRECEDING) AS c_{i}"
        );
        let _ = write!(picks, ", m.c_{i} AS p_{i}");
    }
    joins.push_str(
        " LEFT JOIN (SELECT * FROM counted AS c WHERE kind = 1) m ON m.subject = d.subject AND m.bday = d.bday",
    );
    joins.push_str(
        " LEFT JOIN (SELECT * FROM counted AS c WHERE kind = 2) u ON u.subject = d.subject AND u.bday = d.bday",
    );
    format!(
        "WITH {days}, \
         marks AS (SELECT subject, ts_us AS t, 1 AS real, CAST(first_copy AS INT) AS once, CAST(NULL AS BIGINT) AS bday, 0 AS kind FROM sel AS r \
                   UNION ALL SELECT subject, day_start, 0, 0, bday, 1 FROM bdays AS b \
                   UNION ALL SELECT subject, win_end - {DAY}, 0, 0, bday, 2 FROM bdays AS b), \
         counted AS (SELECT subject, bday, kind, \
                     sum(once) OVER (PARTITION BY subject ORDER BY t RANGE BETWEEN {usual_baseline} PRECEDING AND 1 PRECEDING) AS usual{counts} \
                     FROM marks AS k), \
         judged AS (SELECT d.*, coalesce(u.usual, 0) AS routine_p{picks} FROM bdays d{joins}) \
         SELECT subject, win_start, win_end, CAST(NULL AS STRING) AS txn_id, routine_p FROM judged AS j WHERE {}",
        combined(tests, combine)
    )
}

/// What the `new_judged_on` fact of a windowed plan needs: its window, its conditions and the
/// time of the run's first transaction.
pub(super) type NewHistory = (Window, Vec<Condition>, Option<i64>);

impl super::Spark {
    /// For a windowed plan with a count of new values: its window, its conditions and the time
    /// of the run's first transaction (`data_start_for` of the Polars engine: every accepted
    /// row, `None` when there is none), for the `new_judged_on` fact.
    pub(super) fn new_history(
        &self,
        plan: &RulePlan,
    ) -> Result<Option<NewHistory>, super::SparkEngineError> {
        let Detector::Windowed {
            window, conditions, ..
        } = &plan.detector
        else {
            return Ok(None);
        };
        if !conditions
            .iter()
            .any(|c| matches!(c.measure, Measure::DistinctNew { .. }))
        {
            return Ok(None);
        }
        let what = "reading the time of the first transaction";
        let frame = self.query(
            what,
            &format!(
                "SELECT CAST(min(ts_us) AS BIGINT) AS data_start FROM {}",
                super::rules::ROWS_VIEW
            ),
        )?;
        let start = frame
            .column("data_start")
            .and_then(|c| c.cast(&polars::prelude::DataType::Int64))
            .map_err(|e| self.bad_result(what, e.to_string()))?;
        let start = start
            .i64()
            .map_err(|e| self.bad_result(what, e.to_string()))?
            .get(0);
        Ok(Some((*window, conditions.clone(), start)))
    }
}

/// The limits of a velocity spike plan.
fn spike_limits(detector: &Detector) -> Option<SpikeLimits> {
    match *detector {
        Detector::VelocitySpike {
            window,
            baseline,
            factor_basis_points,
            min_volume,
            min_baseline_count,
            min_each_direction_basis_points,
        } => Some(SpikeLimits {
            window,
            baseline,
            factor_basis_points,
            min_volume,
            min_baseline_count,
            min_each_direction_basis_points,
        }),
        _ => None,
    }
}

/// The limits of a behaviour change plan.
fn change_limits(detector: &Detector) -> Option<ChangeLimits> {
    match *detector {
        Detector::BehaviourChange {
            window,
            baseline,
            factor_basis_points,
            quiet_volume,
            min_count,
            seasonal_share_basis_points,
        } => Some(ChangeLimits {
            window,
            baseline,
            factor_basis_points,
            quiet_volume,
            min_count,
            seasonal_share_basis_points,
        }),
        _ => None,
    }
}

/// The subject's selected rows with their amount as `amt` (`BIGINT` micros in the base
/// currency, never negative) and the originator.
fn history_rows(plan: &RulePlan) -> String {
    format!(
        "SELECT *, base_amount AS amt FROM ({}) AS s",
        selected_select(plan, &[Field::OrigAccount])
    )
}

/// A subject's running totals read at each of its distinct times `t` and at `t - offset` for
/// each of `offsets`, as the view `g`: `subject`, `ts_us`, `first_seen` (without a nightly
/// state, the subject's first selected row, as `temporal::velocity` takes it), and for the time
/// itself (`_0`) and each offset (`_1`, `_2`, ...) the rows `n_k`, the volume `v_k` and, with
/// `sent`, the volume sent by the subject `o_k` of the subject's rows at or before that time.
///
/// The sum over a frame `[t - a, t - b]` is then `v_b' - v_a'` with `b'` read at `t - b` and
/// `a'` at `t - a - 1` (times are whole micros). Each reading is a frame `RANGE BETWEEN
/// UNBOUNDED PRECEDING AND offset PRECEDING` over the subject's distinct times: a frame that
/// starts at the first row only grows as it moves, and Spark adds each row to it once
/// (`UnboundedPrecedingWindowFunctionFrame`), where a sliding frame `[t - a, t - b]` would be
/// summed again at every row (a subject's rows times its frame's rows). All the readings share
/// one partitioning and one order, so they are one sort and one pass over the distinct times,
/// after one shuffle of the rows by subject. An empty frame (before the subject's first row)
/// sums to null, read as 0.
///
/// The readings are exact: each amount (non-negative micros) is summed as two `BIGINT` parts,
/// `amount div 10^9` and `amount % 10^9`, and the parts are joined into `DECIMAL(38, 0)` only
/// when read (`h × 10^9 + l`): long sums cost far less than 38-digit decimal ones. A part's sum
/// can only overflow past about a billion rows of one subject, and Spark's ANSI mode (set on
/// the session) stops the run there rather than wrap.
fn running_totals(plan: &RulePlan, offsets: &[Micros], sent: bool) -> String {
    const PART: i64 = 1_000_000_000;
    let order = "PARTITION BY subject ORDER BY ts_us RANGE BETWEEN UNBOUNDED PRECEDING AND";
    let mut frames = format!("f0 AS ({order} CURRENT ROW)");
    for (k, offset) in offsets.iter().enumerate() {
        let _ = write!(frames, ", f{} AS ({order} {offset}L PRECEDING)", k + 1);
    }
    let volumes: &[&str] = if sent { &["v", "o"] } else { &["v"] };
    let mut readings = String::new();
    for k in 0..=offsets.len() {
        let _ = write!(readings, ", coalesce(sum(n) OVER f{k}, 0) AS n_{k}");
        for column in volumes {
            let _ = write!(
                readings,
                ", CAST(coalesce(sum({column}h) OVER f{k}, 0) AS DECIMAL(38, 0)) * {PART} \
                   + CAST(coalesce(sum({column}l) OVER f{k}, 0) AS DECIMAL(38, 0)) AS {column}_{k}"
            );
        }
    }
    let sent_sums = if sent {
        format!(
            ", sum(CASE WHEN orig_account = subject THEN amt div {PART} ELSE 0 END) AS oh, \
             sum(CASE WHEN orig_account = subject THEN amt % {PART} ELSE 0 END) AS ol"
        )
    } else {
        String::new()
    };
    // distributed by subject before grouping: the group and the readings need no second shuffle
    format!(
        "d AS (SELECT subject, ts_us, count(*) AS n, sum(amt div {PART}) AS vh, \
             sum(amt % {PART}) AS vl{sent_sums} \
           FROM (SELECT * FROM ({rows}) AS h DISTRIBUTE BY subject) AS h GROUP BY subject, ts_us), \
         g AS (SELECT subject, ts_us, min(ts_us) OVER f0 AS first_seen{readings} \
           FROM d WINDOW {frames})",
        rows = history_rows(plan),
    )
}

/// Velocity spikes (`temporal::velocity`), judged at each distinct time `t` of a subject's
/// selected rows seen for `window + baseline`: the volume `V` of `[t - window, t]` and `B` of
/// the baseline `[t - window - baseline, t - window)`, `B > 0`, at least `min_baseline_count`
/// rows in the baseline, `V >= min_volume`, with a share each way the money going out (the
/// subject is the originator) and in, and `V × baseline × 10000 >= B × window × factor`, all in
/// exact decimals (the sums from [`running_totals`]). The hit spans `[t - window, t]`; `volume`
/// and `baseline_volume` come back (as text, exact) for the facts.
pub fn velocity_hits(plan: &RulePlan) -> Option<String> {
    let l = spike_limits(&plan.detector)?;
    let (w, b) = (l.window, l.baseline);
    let both_ways = if l.min_each_direction_basis_points == 0 {
        "true".to_string()
    } else {
        let share = format!("vol * {}", l.min_each_direction_basis_points);
        format!("(vol_out * 10000 >= {share} AND (vol - vol_out) * 10000 >= {share})")
    };
    // readings: 1 at t - window - 1 (the window's start), 2 at t - window - baseline - 1
    Some(format!(
        "WITH {totals}, \
         w AS (SELECT subject, ts_us, first_seen, v_0 - v_1 AS vol, o_0 - o_1 AS vol_out, \
           v_1 - v_2 AS base_vol, n_1 - n_2 AS base_n FROM g) \
         SELECT subject, ts_us - {w} AS win_start, ts_us AS win_end, CAST(NULL AS STRING) AS txn_id, \
           CAST(vol AS STRING) AS volume, CAST(base_vol AS STRING) AS baseline_volume \
         FROM w AS v \
         WHERE ts_us - first_seen >= {wb} AND base_vol > 0 AND base_n >= {min_n} AND vol >= {min_v} \
           AND {both_ways} AND vol * {b} * 10000 >= base_vol * {w} * {factor}",
        totals = running_totals(plan, &[w + 1, w + b + 1], true),
        wb = w + b,
        min_n = l.min_baseline_count,
        min_v = l.min_volume,
        factor = l.factor_basis_points,
    ))
}

/// Changes of behaviour (`temporal::behaviour_change`): the windows that qualify, judged at each
/// distinct time `t` of a subject's selected rows seen for `window + baseline`: at least
/// `min_count` rows in `[t - window, t]`, their volume `V` with `V × baseline × 10000 >=
/// max(B × window, quiet × baseline) × factor` (`B` the baseline's volume), and with a seasonal
/// share, unless the subject was seen a year and the window and a week before and the same
/// weeks a year earlier (`[t - year - window - week, t - year + week]`, a third sum) held
/// that share of `V`. The sums come from [`running_totals`]. The windows come back with their
/// figures; they are joined into episodes here by the Polars engine's own code
/// ([`history_hits`]).
pub fn behaviour_windows(plan: &RulePlan) -> Option<String> {
    let l = change_limits(&plan.detector)?;
    let (w, b) = (l.window, l.baseline);
    let year_back = SEASON_YEAR + w + SEASON_SLACK;
    // readings: 1 at t - window - 1, 2 at t - window - baseline - 1, and with a seasonal share
    // 3 at t - year + slack and 4 at t - year_back - 1
    let mut offsets = vec![w + 1, w + b + 1];
    let (year, seasonal) = match l.seasonal_share_basis_points {
        None => (
            "CAST(NULL AS DECIMAL(38, 0))".to_string(),
            "false".to_string(),
        ),
        Some(share) => {
            offsets.extend([SEASON_YEAR - SEASON_SLACK, year_back + 1]);
            (
                format!("CASE WHEN ts_us - first_seen >= {year_back} THEN v_3 - v_4 END"),
                format!("(year_vol IS NOT NULL AND year_vol * 10000 >= vol * {share})"),
            )
        }
    };
    Some(format!(
        "WITH {totals}, \
         w AS (SELECT subject, ts_us, first_seen, n_0 - n_1 AS n, v_0 - v_1 AS vol, \
           v_1 - v_2 AS base_vol, {year} AS year_vol FROM g) \
         SELECT subject, ts_us - {w} AS win_start, ts_us AS win_end, CAST(NULL AS STRING) AS txn_id, \
           n AS count, CAST(vol AS STRING) AS volume, CAST(base_vol AS STRING) AS baseline_volume, \
           CAST(year_vol AS STRING) AS year_earlier \
         FROM w AS v \
         WHERE ts_us - first_seen >= {wb} AND n >= {min_n} \
           AND vol * {b} * 10000 >= greatest(base_vol * {w}, CAST({quiet} AS DECIMAL(38, 0)) * {b}) * {factor} \
           AND NOT {seasonal}",
        totals = running_totals(plan, &offsets, false),
        wb = w + b,
        min_n = l.min_count,
        quiet = l.quiet_volume,
        factor = l.factor_basis_points,
    ))
}

/// The view of the accounts a customer file tells about (see [`Spark::send_customers`]):
/// `account`, its `customer` (null: none), the account its activity is `pooled` on (its
/// customer's first account by id in the run, else itself) and its `declared` monthly volume
/// (micros; null: none).
pub const CUSTOMERS_VIEW: &str = "aml_customer_accounts";

/// The rows an expected-activity plan measures (`run_one_plan` of the Polars engine): the
/// selected rows without transfers between two accounts of one customer, each on the account
/// its customer's activity is pooled on (`pool_by_customer`), with that account's declared
/// volume (`declared`, only accounts that declared more than zero).
pub fn expected_rows(plan: &RulePlan) -> String {
    let selected = selected_select(plan, &[Field::OrigAccount, Field::BeneAccount]);
    format!(
        "SELECT coalesce(p.pooled, s.subject) AS subject, s.ts_us, s.base_amount, s.txn_id \
         FROM ({selected}) AS s \
         LEFT JOIN {CUSTOMERS_VIEW} o ON o.account = s.orig_account \
         LEFT JOIN {CUSTOMERS_VIEW} b ON b.account = s.bene_account \
         LEFT JOIN {CUSTOMERS_VIEW} p ON p.account = s.subject \
         WHERE o.customer IS NULL OR b.customer IS NULL OR o.customer <> b.customer"
    )
}

/// Activity against the declared volume (`expected::expected_activity`): at each distinct time
/// `t` of a (pooled) subject that declared a volume `D > 0`, the sum `S` of `[t - window, t]`
/// with `S >= min_volume` and `S × 30 days × 10000 >= factor × D × window` in exact decimals.
/// The hit spans the window's first row to `t`; `declared` comes back for the facts.
pub fn expected_hits(plan: &RulePlan) -> Option<String> {
    let Detector::ExpectedActivity {
        window,
        factor_basis_points,
        min_volume,
    } = plan.detector
    else {
        return None;
    };
    let now = frame(window, None);
    Some(format!(
        "WITH w AS (SELECT r.subject, r.ts_us, d.declared, \
           sum(CAST(r.base_amount AS DECIMAL(38, 0))) OVER {now} AS total, min(r.ts_us) OVER {now} AS first_t \
           FROM ({rows}) AS r JOIN {CUSTOMERS_VIEW} d ON d.account = r.subject AND d.declared > 0) \
         SELECT DISTINCT subject, first_t AS win_start, ts_us AS win_end, CAST(NULL AS STRING) AS txn_id, declared \
         FROM w AS v \
         WHERE total >= {min_volume} \
           AND total * {month} * 10000 >= CAST({factor_basis_points} AS DECIMAL(38, 0)) * declared * {window}",
        rows = expected_rows(plan),
        month = 30 * DAY,
    ))
}

/// A text column of exact integers (sums as `DECIMAL(38, 0)` sent as text), `None` for null.
fn exact_column(frame: &DataFrame, name: &str) -> Result<Vec<Option<i128>>, String> {
    super::alerts::optional_text_column(frame, name)?
        .into_iter()
        .map(|v| {
            v.map(|text| {
                text.parse::<i128>()
                    .map_err(|e| format!("{name} {text:?}: {e}"))
            })
            .transpose()
        })
        .collect()
}

fn required(values: Vec<Option<i128>>, name: &str) -> Result<Vec<i128>, String> {
    values
        .into_iter()
        .map(|v| v.ok_or_else(|| format!("{name} is null")))
        .collect()
}

/// Whether [`history_hits`] makes `plan`'s hits (velocity, behaviour change, expected
/// activity), whose evidence is then looked up on the cluster.
pub(super) fn makes_history_hits(plan: &RulePlan) -> bool {
    spike_limits(&plan.detector).is_some()
        || change_limits(&plan.detector).is_some()
        || matches!(plan.detector, Detector::ExpectedActivity { .. })
}

/// The hits of the detectors that compare a subject with its own past in other ways than a
/// windowed measure (velocity spikes, changes of behaviour, activity against the declared
/// volume), made from the cluster's windows by the Polars engine's own code, with their facts;
/// `None` for other detectors. `frame` holds each of its subjects' windows whole. `pools`: the
/// accounts pooled on each account ([`Spark::send_customers`]).
pub(super) fn history_hits(
    plan: &RulePlan,
    frame: &DataFrame,
    pools: &HashMap<String, Vec<String>>,
) -> Result<Option<Vec<Hit>>, String> {
    use super::alerts::{int_column, text_column};
    let subjects = || text_column(frame, "subject");
    let ends = || int_column(frame, "win_end");
    if let Some(limits) = spike_limits(&plan.detector) {
        let (subjects, ends) = (subjects()?, ends()?);
        let volumes = required(exact_column(frame, "volume")?, "volume")?;
        let baselines = required(exact_column(frame, "baseline_volume")?, "baseline_volume")?;
        let hits = (0..frame.height())
            .map(|i| {
                let spike = Spike {
                    first: 0,
                    last: 0,
                    end: ends[i],
                    volume: volumes[i],
                    baseline_volume: baselines[i],
                };
                Hit {
                    rows: None,
                    ..spike.into_hit(&subjects[i], limits, Vec::new())
                }
            })
            .collect();
        return Ok(Some(hits));
    }
    if let Some(limits) = change_limits(&plan.detector) {
        let (subjects, ends) = (subjects()?, ends()?);
        let counts = int_column(frame, "count")?;
        let volumes = required(exact_column(frame, "volume")?, "volume")?;
        let baselines = required(exact_column(frame, "baseline_volume")?, "baseline_volume")?;
        let earlier = exact_column(frame, "year_earlier")?;
        // each subject's windows in time order, joined into episodes as `changes` joins them
        let mut by_subject: BTreeMap<&str, Vec<Judged>> = BTreeMap::new();
        for i in 0..frame.height() {
            by_subject.entry(&subjects[i]).or_default().push(Judged {
                end: ends[i],
                volume: volumes[i],
                count: counts[i],
                baseline_volume: baselines[i],
                year_earlier: earlier[i],
            });
        }
        let mut hits = Vec::new();
        for (subject, mut windows) in by_subject {
            windows.sort_by_key(|j| j.end);
            let mut found = Vec::new();
            for judged in windows {
                add_window(&mut found, judged, (0, 0), limits);
            }
            hits.extend(found.into_iter().map(|change| Hit {
                rows: None,
                ..change.into_hit(subject, limits, Vec::new())
            }));
        }
        return Ok(Some(hits));
    }
    if matches!(plan.detector, Detector::ExpectedActivity { .. }) {
        let (subjects, ends) = (subjects()?, ends()?);
        let starts = int_column(frame, "win_start")?;
        let declared = int_column(frame, "declared")?;
        let hits = (0..frame.height())
            .map(|i| {
                let mut facts = vec![("expected", format_money_grouped(i128::from(declared[i])))];
                if let Some(pool) = pools.get(&subjects[i]) {
                    facts.push((POOLED_ACCOUNTS_FACT, pool.join("; ")));
                }
                Hit {
                    subject: subjects[i].clone(),
                    start: starts[i],
                    end: ends[i],
                    rows: None,
                    facts,
                }
            })
            .collect();
        return Ok(Some(hits));
    }
    Ok(None)
}

impl super::Spark {
    /// Sends what a customer file tells about the run's accounts, for expected-activity plans,
    /// as the view [`CUSTOMERS_VIEW`], and returns the accounts pooled on each account (of
    /// customers with more than one account in the run), as `pool_by_customer` pools them: a
    /// customer's accounts in the run (found on the cluster among the file's accounts, either
    /// side of any accepted row) in id order, the first holding the others' activity.
    pub(super) fn send_customers(
        &self,
        context: &EngineContext,
    ) -> Result<HashMap<String, Vec<String>>, super::SparkEngineError> {
        use spark_connect::row::{Row, Value};
        let what = "sending the customer file's accounts";
        let customer_of = context.customer_of.as_deref();
        let volumes = context.expected_monthly_volume.as_deref();
        let mut known: BTreeMap<&str, (Option<&str>, Option<i64>)> = BTreeMap::new();
        for (account, customer) in customer_of.into_iter().flatten() {
            known.entry(account).or_default().0 = Some(customer);
        }
        for (account, volume) in volumes.into_iter().flatten() {
            known.entry(account).or_default().1 = Some(*volume);
        }
        known.remove("");
        let columns: Vec<String> = ["account", "customer", "pooled", "declared"]
            .map(String::from)
            .to_vec();
        let schema = spark_connect::DataType::from_ddl(
            "account STRING, customer STRING, pooled STRING, declared BIGINT",
        )
        .map_err(|e| self.err(what, e))?;
        let send = |rows: Vec<Row>| -> Result<(), super::SparkEngineError> {
            if rows.is_empty() {
                return self.execute(
                    what,
                    &format!(
                        "CREATE OR REPLACE TEMPORARY VIEW {CUSTOMERS_VIEW} AS \
                         SELECT CAST(NULL AS STRING) AS account, CAST(NULL AS STRING) AS customer, \
                           CAST(NULL AS STRING) AS pooled, CAST(NULL AS BIGINT) AS declared WHERE false"
                    ),
                );
            }
            self.local_view(what, CUSTOMERS_VIEW, &rows, &schema)
        };
        let row = |account: &str, customer: Option<&str>, pooled: &str, declared: Option<i64>| {
            Row::new(
                columns.clone(),
                vec![
                    Value::String(account.to_string()),
                    customer.map_or(Value::Null, |c| Value::String(c.to_string())),
                    Value::String(pooled.to_string()),
                    declared.map_or(Value::Null, Value::Long),
                ],
            )
        };
        // first every account as its own, to find which of them the run holds
        send(known.iter().map(|(a, (c, d))| row(a, *c, a, *d)).collect())?;
        let found = self.query(
            what,
            &format!(
                "SELECT account FROM {CUSTOMERS_VIEW} AS c LEFT SEMI JOIN \
                 (SELECT orig_account AS a FROM {rows} UNION SELECT bene_account AS a FROM {rows}) AS r ON r.a = c.account",
                rows = super::rules::ROWS_VIEW
            ),
        )?;
        let in_run =
            super::alerts::text_column(&found, "account").map_err(|e| self.bad_result(what, e))?;
        let mut members: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for account in &in_run {
            if let Some((Some(customer), _)) = known.get(account.as_str()) {
                members.entry(customer).or_default().push(account);
            }
        }
        let mut pooled_on: BTreeMap<&str, &str> = BTreeMap::new();
        let mut pools = HashMap::new();
        for accounts in members.values_mut() {
            accounts.sort_unstable();
            for account in accounts.iter() {
                pooled_on.insert(account, accounts[0]);
            }
            if accounts.len() > 1 {
                pools.insert(
                    accounts[0].to_string(),
                    accounts.iter().map(|a| a.to_string()).collect(),
                );
            }
        }
        let in_run: std::collections::BTreeSet<&str> = in_run.iter().map(String::as_str).collect();
        send(
            known
                .iter()
                .filter(|(a, _)| in_run.contains(*a))
                .map(|(a, (c, d))| row(a, *c, pooled_on.get(a).copied().unwrap_or(a), *d))
                .collect(),
        )?;
        Ok(pools)
    }
}
