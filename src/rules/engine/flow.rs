//! Flow-through: money in (one transaction, or a windowed sum), then a share of it out of the
//! same account within a horizon. Bulk cash placement and rapid movement both use this.

use super::exprs::{BASE_AMOUNT, ROW, SUBJECT, TS};
use super::keys::{Accounts, ORIG_KEY};
use super::Hit;
use crate::ingest::dense;
use crate::rules::plan::{Condition, Measure, Micros};
use polars::prelude::*;
use std::collections::HashMap;

/// The inflow side, as anchors: for each inflow, how much came in and since when (over a
/// trailing window, by the one-pass windows of [`super::windows`]).
fn anchors(
    inflows: &DataFrame,
    inflow_window: Option<Micros>,
    min_inflow: i64,
) -> PolarsResult<LazyFrame> {
    let anchored = match inflow_window {
        None => inflows.clone().lazy().select([
            col(SUBJECT),
            col(TS).cast(DataType::Int64).alias("anchor_ts"),
            col(TS).cast(DataType::Int64).alias("anchor_start"),
            col(BASE_AMOUNT).alias("inflow"),
        ]),
        Some(length) => {
            let sum = [Condition {
                measure: Measure::Sum,
                value: 0,
            }];
            // a trailing window ends at its row's own time
            super::windows::trailing(inflows, length, &sum, super::windowed::measure_name)?
                .lazy()
                .select([
                    col(SUBJECT),
                    col("win_end").alias("anchor_ts"),
                    col("win_start").alias("anchor_start"),
                    col(super::windowed::measure_name(&Measure::Sum)).alias("inflow"),
                ])
        }
    };
    Ok(anchored.filter(col("inflow").gt_eq(lit(min_inflow))))
}

/// A flow-through plan's limits, as the detector uses them.
pub struct FlowLimits {
    /// Inflows summed over this trailing window (`None`: one transaction).
    pub inflow_window: Option<Micros>,
    pub min_inflow: i64,
    pub min_out_basis_points: i64,
    pub horizon: Micros,
}

/// Runs the detector. `inflows` has `subject` (the receiving account's key), `ts`,
/// `base_amount`; `outflows` are the rows of the canonical frame that meet the outflow
/// predicates and have an originating account.
pub fn detect(
    inflows: &DataFrame,
    outflows: LazyFrame,
    limits: FlowLimits,
    accounts: &Accounts,
) -> PolarsResult<Vec<Hit>> {
    let FlowLimits {
        inflow_window,
        min_inflow,
        min_out_basis_points,
        horizon,
    } = limits;
    let outflows = outflows.select([
        col(ORIG_KEY).alias(SUBJECT),
        col(TS).cast(DataType::Int64).alias("out_ts"),
        col(BASE_AMOUNT).alias("out_amount"),
        col(ROW).cast(DataType::UInt32).alias("out_row"),
    ]);
    // every (inflow anchor, outflow within the horizon) pair
    let pairs = anchors(inflows, inflow_window, min_inflow)?
        .join(
            outflows,
            [col(SUBJECT)],
            [col(SUBJECT)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(
            col("out_ts")
                .gt(col("anchor_ts"))
                .and(col("out_ts").lt_eq(col("anchor_ts") + lit(horizon))),
        )
        .collect()?
        .lazy();
    let passing = pairs
        .clone()
        .group_by([
            col(SUBJECT),
            col("anchor_ts"),
            col("anchor_start"),
            col("inflow"),
        ])
        .agg([
            // exact: summed as i128, which cannot overflow with i64 amounts
            col("out_amount")
                .cast(DataType::Int128)
                .sum()
                .alias("outflow"),
            col("out_ts").max().alias("last_out"),
        ])
        // outflow * 10000 >= inflow * basis points, exactly in i128
        .filter(
            (col("outflow") * lit(10_000i64).cast(DataType::Int128)).gt_eq(
                col("inflow").cast(DataType::Int128)
                    * lit(min_out_basis_points).cast(DataType::Int128),
            ),
        )
        .select([
            col(SUBJECT),
            col("anchor_ts"),
            col("anchor_start").alias("win_start"),
            col("last_out").alias("win_end"),
        ])
        .collect()?;
    // the outflows each passing anchor counted are its evidence, exactly
    let counted = pairs
        .join(
            passing
                .clone()
                .lazy()
                .select([col(SUBJECT), col("anchor_ts")]),
            [col(SUBJECT), col("anchor_ts")],
            [col(SUBJECT), col("anchor_ts")],
            JoinArgs::new(JoinType::Semi),
        )
        .select([col(SUBJECT), col("anchor_ts"), col("out_row")])
        .collect()?;
    let mut rows_of: HashMap<(u32, i64), Vec<u32>> = HashMap::new();
    let (subjects, anchor_ts, out_rows) = (
        dense(counted.column(SUBJECT)?.u32()?)?,
        dense(counted.column("anchor_ts")?.i64()?)?,
        dense(counted.column("out_row")?.u32()?)?,
    );
    for i in 0..counted.height() {
        rows_of
            .entry((subjects[i], anchor_ts[i]))
            .or_default()
            .push(out_rows[i]);
    }
    let anchors_ts = dense(passing.column("anchor_ts")?.i64()?)?;
    let subject_keys = dense(passing.column(SUBJECT)?.u32()?)?;
    let mut hits = super::hits_from_frame(&passing, None, accounts)?;
    // the share moved on is not a fact of one anchor: it is computed from the merged
    // episode's own transactions when the alert is built (see `rules::alerts`)
    for (i, hit) in hits.iter_mut().enumerate() {
        let key = (subject_keys[i], anchors_ts[i]);
        let mut rows = rows_of.remove(&key).unwrap_or_default();
        rows.sort_unstable();
        hit.rows = Some(rows);
    }
    Ok(hits)
}
