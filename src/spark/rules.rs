//! The rule compiler: engine-neutral plans ([`crate::rules::plan`]) as Spark SQL over the
//! accepted rows. The cluster finds each rule's hits (windows whose conditions hold); the hits,
//! few beside the transactions, come back and are merged into episodes and built into alerts
//! here by the Polars engine's own code ([`crate::rules::engine::merge_hits`],
//! [`crate::rules::alerts::build_alert`]), so that `alerts.csv` is the same bytes.
//!
//! Covered: [`Detector::PerTransaction`], [`Detector::Dormancy`] (without a nightly state) and
//! [`Detector::Windowed`] with trailing windows and
//! business days, the measures count, sum, distinct values, spread, the count against the
//! routine and the count of new values (those two in [`super::measures`]), conditions combined by
//! all or any, every predicate (segments derived from the data as the Polars engine derives
//! them) and segment variants; velocity spikes, changes of behaviour and activity against the
//! declared volume ([`super::measures`]). The graph detectors have their own queries:
//! flow-through, party fans and round trips in [`super::flow`], temporal paths in
//! [`super::paths`], scatter-gather, gather-scatter and bipartite layering in
//! [`super::layering`]. Every detector of the plan runs on Spark (see `docs/spark.md`).

use super::sql::{in_list, lit};
use crate::model::Channel;
use crate::rules::plan::{
    Combine, Condition, Detector, Field, Measure, Predicate, RulePlan, SegmentSide, Subject,
    Window, DAY,
};
use std::fmt::Write as _;

/// The view of the accepted rows the rules read: the canonical columns, `ts_us` (BIGINT
/// micros), `orig_segment`/`bene_segment` (empty for none) and the row's place.
pub const ROWS_VIEW: &str = "aml_rows";
/// The view of the accounts' derived segments (`account`, `segment`, `basis`).
pub const SEGMENTS_VIEW: &str = "aml_segments";

/// Whether a plan tests segments (its filter, or segment variants).
pub fn uses_segments(plan: &RulePlan) -> bool {
    !plan.segments.is_empty()
        || plan
            .filter
            .iter()
            .any(|p| matches!(p, Predicate::SegmentIn { .. }))
}

/// The derived segments, as [`crate::rules::engine`] derives them: each account's UTC days
/// from its first to its last transaction on either side (`span`), the distinct UTC days it
/// received cash, and [`crate::rules::segments::derived`]'s test on them.
pub fn segments_select(accepted: &str) -> String {
    use crate::rules::segments::{CASH_DAYS_MIN, CASH_DAYS_PERCENT, CASH_INTENSIVE_BUSINESS};
    let day = utc_day("ts_us");
    format!(
        "WITH r AS (SELECT orig_account, bene_account, channel, {day} AS d FROM (SELECT *, unix_micros(CAST(ts AS TIMESTAMP)) AS ts_us FROM {accepted}) AS a), \
         sides AS (SELECT orig_account AS account, d FROM r WHERE orig_account <> '' \
                   UNION ALL SELECT bene_account AS account, d FROM r WHERE bene_account <> ''), \
         span AS (SELECT account, max(d) - min(d) + 1 AS span_days FROM sides GROUP BY account), \
         cash AS (SELECT bene_account AS account, count(DISTINCT d) AS cash_days FROM r \
                  WHERE channel = 'CASH' AND bene_account <> '' GROUP BY bene_account) \
         SELECT account, {segment} AS segment, \
           concat('derived: cash deposits on ', cash_days, ' of the ', span_days, ' days it was active') AS basis \
         FROM cash JOIN span USING (account) \
         WHERE cash_days >= {CASH_DAYS_MIN} AND cash_days * 100 >= span_days * {CASH_DAYS_PERCENT}",
        segment = lit(CASH_INTENSIVE_BUSINESS)
    )
}

/// The rows view over the accepted rows, with segments joined when `segments` (the view of
/// [`segments_select`]).
pub fn rows_select(accepted: &str, segments: Option<&str>) -> String {
    match segments {
        None => format!(
            "SELECT *, unix_micros(CAST(ts AS TIMESTAMP)) AS ts_us, '' AS orig_segment, '' AS bene_segment FROM {accepted}"
        ),
        Some(seg) => format!(
            "SELECT a.*, unix_micros(CAST(a.ts AS TIMESTAMP)) AS ts_us, \
               coalesce(o.segment, '') AS orig_segment, coalesce(b.segment, '') AS bene_segment \
             FROM {accepted} a \
             LEFT JOIN {seg} o ON a.orig_account <> '' AND o.account = a.orig_account \
             LEFT JOIN {seg} b ON a.bene_account <> '' AND b.account = a.bene_account"
        ),
    }
}

/// `floor(t / DAY)` exactly, for negative times too.
pub(super) fn utc_day(t: &str) -> String {
    format!("(({t} - pmod({t}, {DAY})) div {DAY})")
}

fn channel_in(channels: &[Channel]) -> String {
    in_list("channel", channels.iter().map(|c| c.as_str()))
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// One predicate as a boolean SQL expression over [`ROWS_VIEW`] (the meaning of
/// `predicate_expr` in `src/rules/engine/exprs.rs`).
pub fn predicate_sql(p: &Predicate) -> String {
    match p {
        Predicate::ChannelIn(channels) => channel_in(channels),
        Predicate::ChannelNotIn(channels) => format!("NOT ({})", channel_in(channels)),
        Predicate::BaseAmountAtLeast(m) => format!("base_amount >= {m}"),
        Predicate::BaseAmountBelow(m) => format!("base_amount < {m}"),
        Predicate::AmountMultipleOf(step) => format!("amount % {step} = 0"),
        Predicate::FieldIn { field, values } => in_list(field.column(), strs(values)),
        Predicate::EitherCountryIn(values) => format!(
            "({} OR {})",
            in_list("orig_country", strs(values)),
            in_list("bene_country", strs(values))
        ),
        Predicate::CrossBorder(cross) => format!(
            "(orig_country <> '' AND bene_country <> '' AND orig_country {} bene_country)",
            if *cross { "<>" } else { "=" }
        ),
        Predicate::Present { field, present } => format!(
            "{} {} ''",
            field.column(),
            if *present { "<>" } else { "=" }
        ),
        Predicate::SegmentIn {
            side,
            segments,
            member,
        } => {
            let list = strs(segments);
            let test = match side {
                SegmentSide::Originator => in_list("orig_segment", list),
                SegmentSide::Beneficiary => in_list("bene_segment", list),
                SegmentSide::Account => format!(
                    "CASE WHEN bene_account <> '' THEN {} ELSE {} END",
                    in_list("bene_segment", list.clone()),
                    in_list("orig_segment", list)
                ),
            };
            if *member {
                format!("({test})")
            } else {
                format!("NOT ({test})")
            }
        }
        Predicate::SamePerson(same) => {
            // lower-cased names equal and the originator's not empty (`same_person`)
            let eq = "(orig_name <> '' AND lower(orig_name) = lower(bene_name))";
            if *same {
                eq.to_string()
            } else {
                format!("NOT {eq}")
            }
        }
    }
}

/// The plan's filter as one SQL condition over [`ROWS_VIEW`]'s columns (`true` without one); null
/// where a predicate reads a null, so a column of it is wrapped in `coalesce(.., false)`.
pub(super) fn plan_filter(plan: &RulePlan) -> String {
    if plan.filter.is_empty() {
        "true".to_string()
    } else {
        plan.filter
            .iter()
            .map(predicate_sql)
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

/// The selected rows of a plan with their subject: `subject`, `ts_us`, `base_amount`,
/// `txn_id` and the fields its measures count (`with_subject` of the Polars engine: rows without
/// a subject account are left out; [`Subject::Either`] gives each transaction once per side).
pub fn selected_select(plan: &RulePlan, fields: &[Field]) -> String {
    subject_rows(plan, fields, false)
}

/// The rows of a plan's subjects: with `all`, every row of the subject side with the filter as
/// the column `m` (a history, as `Histories` holds it: rows without a subject account left out);
/// else only the selected rows.
fn subject_rows(plan: &RulePlan, fields: &[Field], all: bool) -> String {
    let filter = plan_filter(plan);
    let extra: String = fields.iter().map(|f| format!(", {}", f.column())).collect();
    let side = |subject: &str| {
        if all {
            format!(
                "SELECT subject, ts_us, base_amount, txn_id, m{extra} FROM \
                 (SELECT *, {subject} AS subject, coalesce({filter}, false) AS m FROM {ROWS_VIEW}) AS r WHERE subject <> ''"
            )
        } else {
            format!(
                "SELECT subject, ts_us, base_amount, txn_id{extra} FROM \
                 (SELECT *, {subject} AS subject FROM {ROWS_VIEW} WHERE {filter}) AS r WHERE subject <> ''"
            )
        }
    };
    match &plan.subject {
        Subject::Originator => side("orig_account"),
        Subject::Beneficiary => side("bene_account"),
        Subject::Account => {
            side("CASE WHEN bene_account <> '' THEN bene_account ELSE orig_account END")
        }
        Subject::OppositeOfCountryIn(values) => side(&format!(
            "CASE WHEN {} THEN orig_account ELSE bene_account END",
            in_list(
                "bene_country",
                values.iter().map(String::as_str).collect::<Vec<_>>()
            )
        )),
        Subject::Either => format!(
            "{} UNION ALL {}",
            side("orig_account"),
            side("bene_account")
        ),
    }
}

/// The baseline of a plan's first count against the routine (the one its `usual` fact states).
pub fn routine_baseline(conditions: &[Condition]) -> Option<i64> {
    conditions.iter().find_map(|c| match c.measure {
        Measure::CountAgainstRoutine { baseline } => Some(baseline),
        _ => None,
    })
}

/// The fields a plan's distinct-value measures count.
pub(super) fn measured_fields(conditions: &[Condition]) -> Vec<Field> {
    let mut fields = Vec::new();
    for c in conditions {
        if let Measure::Distinct(f) | Measure::DistinctNew { field: f, .. } = c.measure {
            if !fields.contains(&f) {
                fields.push(f);
            }
        }
    }
    fields
}

/// The hits of a supported plan: `subject, win_start, win_end` and `txn_id` (a per-transaction
/// hit's transaction; null for a window, whose evidence is the subject's selected rows in it),
/// for dormancy `gap` (micros), and for a trailing window `routine_p` (the subject's selected
/// rows in the baseline before the window of a count against the routine; 0 without one).
pub fn hits_select(plan: &RulePlan) -> String {
    match &plan.detector {
        Detector::Windowed {
            window,
            conditions,
            combine,
        } => windowed_hits(plan, window, conditions, *combine),
        Detector::Dormancy { min_gap } => dormancy_hits(plan, *min_gap),
        Detector::VelocitySpike { .. } => super::measures::velocity_hits(plan).unwrap_or_default(),
        Detector::BehaviourChange { .. } => {
            super::measures::behaviour_windows(plan).unwrap_or_default()
        }
        Detector::ExpectedActivity { .. } => {
            super::measures::expected_hits(plan).unwrap_or_default()
        }
        _ => format!(
            "SELECT subject, ts_us AS win_start, ts_us AS win_end, txn_id FROM ({}) AS sel",
            selected_select(plan, &[])
        ),
    }
}

/// Dormancy (`temporal::dormancy`): a selected row of a subject whose latest activity strictly
/// before it (any row of the subject's side, selected or not) is at least `min_gap` earlier.
/// The hit is the row itself, with its `gap` (micros) for the fact. Without a nightly state there
/// is no activity before the data, so a subject's first time is never judged.
///
/// The latest activity strictly before a row is the running maximum of the subject's times over
/// `RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING` (times are whole micros): one shuffle and
/// one sort of the subject's rows, and a frame that grows as it goes (Spark computes it
/// incrementally), where the distinct times, a `lag` and a join back to the rows took four.
fn dormancy_hits(plan: &RulePlan, min_gap: i64) -> String {
    let history = subject_rows(plan, &[], true);
    format!(
        "SELECT subject, win_start, win_end, txn_id, gap FROM \
           (SELECT subject, ts_us AS win_start, ts_us AS win_end, txn_id, m, \
              ts_us - max(ts_us) OVER (PARTITION BY subject ORDER BY ts_us \
                RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS gap \
            FROM ({history}) AS h) AS t \
         WHERE m AND gap IS NOT NULL AND gap >= {min_gap}"
    )
}

/// The measure of one condition over the frame or group, and its test.
pub(super) fn condition_sql(
    c: &Condition,
    window: &Window,
    agg: &dyn Fn(&str) -> String,
) -> String {
    let v = c.value;
    match c.measure {
        Measure::Count => format!("{} >= {v}", agg("count(*)")),
        Measure::Sum => format!(
            "{} >= {v}",
            agg("sum(CAST(base_amount AS DECIMAL(38, 0)))")
        ),
        Measure::Distinct(field) => format!(
            "size({}) >= {v}",
            agg(&format!("collect_set(nullif({}, ''))", field.column()))
        ),
        // exact: (max - min) * 10000 <= bp * max
        Measure::SpreadBasisPoints => format!(
            "(CAST({max} AS DECIMAL(38, 0)) - {min}) * 10000 <= CAST({max} AS DECIMAL(38, 0)) * {v}",
            max = agg("max(base_amount)"),
            min = agg("min(base_amount)")
        ),
        // `floor(c * baseline * 10000 / (p * length)) >= v`, i64::MAX when p = 0: exactly
        // `p = 0 or c * baseline * 10000 >= v * p * length`; `routine_p` is the trailing
        // window's baseline count (see `windowed_hits`)
        Measure::CountAgainstRoutine { baseline } => format!(
            "(routine_p = 0 OR CAST({c} AS DECIMAL(38, 0)) * {baseline} * 10000 >= CAST({v} AS DECIMAL(38, 0)) * routine_p * routine_length)",
            c = agg("count(*)")
        ),
        Measure::DistinctNew { field, baseline } => format!(
            "{} >= {v}",
            super::measures::new_values(field, baseline, window)
        ),
    }
}

pub(super) fn combined(tests: Vec<String>, combine: Combine) -> String {
    if tests.is_empty() {
        return "true".into();
    }
    let joiner = match combine {
        Combine::All => " AND ",
        Combine::Any => " OR ",
    };
    format!("({})", tests.join(joiner))
}

/// Windowed hits. A trailing window of `length` ends at each selected row and holds the
/// subject's rows in `[t - length, t]` (rows at `t` itself, whichever side they are stored);
/// the hit spans its first row's time to `t`. A business day is a subject's rows on one local
/// calendar day at the offset; the hit spans its first to last row.
fn windowed_hits(
    plan: &RulePlan,
    window: &Window,
    conditions: &[Condition],
    combine: Combine,
) -> String {
    let fields = measured_fields(conditions);
    let selected = selected_select(plan, &fields);
    match window {
        Window::Trailing(length) => {
            let frame = format!(
                "OVER (PARTITION BY subject ORDER BY ts_us RANGE BETWEEN {length} PRECEDING AND CURRENT ROW)"
            );
            // a count against the routine: the subject's rows in the baseline
            // `[t - length - baseline, t - length)` before the window (integer micros)
            // (each row of the subject: a transfer to oneself twice for `either`); the `usual`
            // fact counts each transaction once, as `annotate_routine` does
            let (routine, usual, selected) = match routine_baseline(conditions) {
                None => ("0".to_string(), "0".to_string(), selected),
                Some(baseline) => {
                    let before = format!(
                        "OVER (PARTITION BY subject ORDER BY ts_us RANGE BETWEEN {} PRECEDING AND {} PRECEDING)",
                        length + baseline,
                        length + 1
                    );
                    (
                        format!("count(*) {before}"),
                        format!("coalesce(sum(CAST(first_copy AS INT)) {before}, 0)"),
                        format!(
                            "SELECT *, row_number() OVER (PARTITION BY subject, txn_id ORDER BY ts_us) = 1 AS first_copy \
                             FROM ({selected}) AS s0"
                        ),
                    )
                }
            };
            let over = |e: &str| format!("({e} {frame})");
            let mut measures = String::new();
            let tests: Vec<String> = conditions
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let _ = write!(measures, ", {} AS met_{i}", condition_sql(c, window, &over));
                    format!("met_{i}")
                })
                .collect();
            format!(
                "SELECT subject, win_start, win_end, CAST(NULL AS STRING) AS txn_id, routine_u AS routine_p FROM \
                 (SELECT subject, min(ts_us) {frame} AS win_start, ts_us AS win_end, routine_u{measures} FROM \
                   (SELECT *, {routine} AS routine_p, {usual} AS routine_u, {length} AS routine_length FROM ({selected}) AS sel) AS sel) AS win \
                 WHERE {}",
                combined(tests, combine)
            )
        }
        Window::BusinessDay { utc_offset_secs } if super::measures::needs_history(conditions) => {
            super::measures::business_day_hits(&selected, *utc_offset_secs, conditions, combine)
        }
        Window::BusinessDay { utc_offset_secs } => {
            let local = format!("(ts_us + {})", i64::from(*utc_offset_secs) * 1_000_000);
            let day = utc_day(&local);
            let plain = |e: &str| e.to_string();
            let tests: Vec<String> = conditions
                .iter()
                .map(|c| condition_sql(c, window, &plain))
                .collect();
            format!(
                "SELECT subject, min(ts_us) AS win_start, max(ts_us) AS win_end, CAST(NULL AS STRING) AS txn_id \
                 FROM ({selected}) AS sel GROUP BY subject, {day} HAVING {}",
                combined(tests, combine)
            )
        }
    }
}

/// The evidence of windowed episodes: for each episode (the view `episodes`: `ep`, `subject`,
/// `win_start`, `win_end`), the subject's selected rows in its span.
pub fn evidence_select(plan: &RulePlan, episodes: &str) -> String {
    // expected activity's evidence is the rows it measured: pooled, own transfers left out
    let rows = match plan.detector {
        Detector::ExpectedActivity { .. } => super::measures::expected_rows(plan),
        _ => selected_select(plan, &[]),
    };
    format!(
        "SELECT e.ep, s.txn_id FROM {episodes} e JOIN ({rows}) s \
         ON s.subject = e.subject AND s.ts_us >= e.win_start AND s.ts_us <= e.win_end"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_read_as_the_polars_expressions_do() {
        assert_eq!(
            predicate_sql(&Predicate::ChannelNotIn(vec![Channel::Cash])),
            "NOT (channel IN ('CASH'))"
        );
        assert_eq!(
            predicate_sql(&Predicate::CrossBorder(false)),
            "(orig_country <> '' AND bene_country <> '' AND orig_country = bene_country)"
        );
        assert_eq!(
            predicate_sql(&Predicate::FieldIn {
                field: Field::Branch,
                values: vec![]
            }),
            "false"
        );
        assert_eq!(utc_day("t"), format!("((t - pmod(t, {DAY})) div {DAY})"));
    }
}
