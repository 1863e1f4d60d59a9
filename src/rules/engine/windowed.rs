//! Windowed measures per subject: the rows a windowed rule selects, the measures of its windows
//! (see [`super::windows`]) and the windows that meet its conditions.

use super::exprs::{BASE_AMOUNT, ROW, SUBJECT, TS};
use super::Hit;
use crate::rules::plan::{Combine, Condition, Measure, Window, DAY};
use polars::prelude::*;

pub(super) fn measure_name(m: &Measure) -> String {
    match m {
        Measure::Count => "m_count".into(),
        Measure::Sum => "m_sum".into(),
        Measure::Distinct(f) => format!("m_distinct_{}", f.column()),
        Measure::DistinctNew { field, baseline } => {
            format!("m_distinct_new_{}_{baseline}us", field.column())
        }
        Measure::CountAgainstRoutine { baseline } => format!("m_count_against_{baseline}us"),
        Measure::SpreadBasisPoints => "m_spread".into(),
    }
}

/// The Polars aggregations of a business day or a trailing window (the reference the one-pass
/// windows are tested against, and the business days before 1970). A distinct-new count and a
/// count against the routine need the subject's rows before the window, which a group-by does
/// not see: they are an error here.
fn aggregations(conditions: &[Condition]) -> PolarsResult<Vec<Expr>> {
    let mut aggs = vec![
        col(TS).min().alias("win_start"),
        col(TS).max().alias("win_end"),
    ];
    for c in conditions {
        let name = measure_name(&c.measure);
        let e = match c.measure {
            Measure::Count => len().cast(DataType::Int64),
            // exact: summed as i128, which cannot overflow with i64 amounts
            Measure::Sum => col(BASE_AMOUNT).cast(DataType::Int128).sum(),
            Measure::Distinct(f) => col(f.column())
                .filter(col(f.column()).neq(lit("")))
                .n_unique()
                .cast(DataType::Int64),
            Measure::DistinctNew { .. } | Measure::CountAgainstRoutine { .. } => {
                return Err(PolarsError::ComputeError(
                    format!(
                        "{name}: a measure against the subject's history is computed over trailing windows and business days from 1970 on only"
                    )
                    .into(),
                ))
            }
            Measure::SpreadBasisPoints => {
                aggs.push(col(BASE_AMOUNT).max().alias("m_max"));
                col(BASE_AMOUNT).min()
            }
        };
        aggs.push(e.alias(name.as_str()));
    }
    Ok(aggs)
}

pub(super) fn condition_expr(c: &Condition) -> Expr {
    let name = measure_name(&c.measure);
    match c.measure {
        // (max - min) * 10000 <= bp * max, exactly in i128
        Measure::SpreadBasisPoints => ((col("m_max") - col(name.as_str())).cast(DataType::Int128)
            * lit(10_000i64).cast(DataType::Int128))
        .lt_eq(col("m_max").cast(DataType::Int128) * lit(c.value).cast(DataType::Int128)),
        _ => col(name.as_str()).gt_eq(lit(c.value)),
    }
}

/// The rule's selected rows (with `subject`), collected once with only the columns that the
/// windows and the evidence need: `subject`, `ts`, `row_nr`, `base_amount` and the fields that
/// distinct-count measures name.
pub fn selected_rows(lf: LazyFrame, conditions: &[Condition]) -> PolarsResult<DataFrame> {
    let mut columns = vec![SUBJECT, TS, ROW, BASE_AMOUNT];
    for c in conditions {
        if let Measure::Distinct(field) | Measure::DistinctNew { field, .. } = c.measure {
            if !columns.contains(&field.column()) {
                columns.push(field.column());
            }
        }
    }
    lf.select(columns.into_iter().map(col).collect::<Vec<_>>())
        .collect()
}

/// Computes, for every window, the measures the conditions name (plus `win_start`/`win_end`),
/// before any threshold is applied. The input has `subject`, `ts`, `base_amount` and the fields
/// the measures name. Sweeps reuse this frame for every threshold setting. Windows are
/// computed in one pass per subject (see [`super::windows`]); a business day before 1970 is
/// left to a Polars group-by.
pub fn features(
    rows: &DataFrame,
    window: &Window,
    conditions: &[Condition],
) -> PolarsResult<DataFrame> {
    match window {
        Window::Trailing(length) => {
            super::windows::trailing(rows, *length, conditions, measure_name)
        }
        Window::BusinessDay { utc_offset_secs } => {
            match super::windows::business_days(rows, *utc_offset_secs, conditions, measure_name)? {
                Some(days) => Ok(days),
                None => business_days_by_polars(rows, *utc_offset_secs, conditions),
            }
        }
    }
}

/// The windows that meet the conditions, computed in the same one pass per subject as
/// [`features`] without a frame of every window's measures; the same hits as [`features`]
/// followed by [`hits`] (a business day before 1970 goes that way).
pub fn meeting(
    rows: &DataFrame,
    window: &Window,
    conditions: &[Condition],
    combine: Combine,
    accounts: &super::keys::Accounts,
) -> PolarsResult<Vec<Hit>> {
    let found = match window {
        Window::Trailing(length) => {
            super::windows::trailing_meeting(rows, *length, conditions, combine, measure_name)?
        }
        Window::BusinessDay { utc_offset_secs } => match super::windows::business_days_meeting(
            rows,
            *utc_offset_secs,
            conditions,
            combine,
            measure_name,
        )? {
            Some(found) => found,
            None => {
                let days = business_days_by_polars(rows, *utc_offset_secs, conditions)?;
                return hits(&days, conditions, combine, accounts);
            }
        },
    };
    Ok(found
        .into_iter()
        .map(|(subject, start, end)| Hit {
            subject: accounts.name(subject).to_string(),
            start,
            end,
            rows: None,
            facts: Vec::new(),
        })
        .collect())
}

/// Business-day features by a Polars group-by on the local calendar day.
pub(super) fn business_days_by_polars(
    rows: &DataFrame,
    utc_offset_secs: i32,
    conditions: &[Condition],
) -> PolarsResult<DataFrame> {
    rows.clone()
        .lazy()
        .with_column({
            // local time, then the start of its day: a key for the business day
            let local = col(TS).cast(DataType::Int64) + lit(i64::from(utc_offset_secs) * 1_000_000);
            (local.clone() - local % lit(DAY)).alias("business_day")
        })
        .group_by([col(SUBJECT), col("business_day")])
        .agg(aggregations(conditions)?)
        .with_columns([
            col("win_start").cast(DataType::Int64),
            col("win_end").cast(DataType::Int64),
        ])
        .collect()
}

/// Trailing-window features by Polars' `rolling`: the reference that the one-pass windows
/// are tested against.
#[cfg(test)]
pub(super) fn features_by_polars(
    rows: &DataFrame,
    length: crate::rules::plan::Micros,
    conditions: &[Condition],
) -> PolarsResult<DataFrame> {
    use super::exprs::duration_us;
    rows.clone()
        .lazy()
        .sort([SUBJECT, TS], SortMultipleOptions::default())
        .rolling(
            col(TS),
            [col(SUBJECT)],
            RollingGroupOptions {
                index_column: TS.into(),
                period: duration_us(length),
                offset: duration_us(-length),
                closed_window: ClosedWindow::Both,
            },
        )
        .agg(aggregations(conditions)?)
        .with_columns([
            col("win_start").cast(DataType::Int64),
            col("win_end").cast(DataType::Int64),
        ])
        .collect()
}

/// The windows of a features frame that meet the conditions.
pub fn hits(
    features: &DataFrame,
    conditions: &[Condition],
    combine: Combine,
    accounts: &super::keys::Accounts,
) -> PolarsResult<Vec<Hit>> {
    let condition = conditions
        .iter()
        .map(condition_expr)
        .reduce(|a, b| match combine {
            Combine::All => a.and(b),
            Combine::Any => a.or(b),
        })
        .unwrap_or_else(|| lit(true));
    let selected = features
        .clone()
        .lazy()
        .filter(condition)
        .select([col(SUBJECT), col("win_start"), col("win_end")])
        .collect()?;
    super::hits_from_frame(&selected, None, accounts)
}
