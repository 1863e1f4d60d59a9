//! Flow-through: money in (one transaction, or a windowed sum), then a share of it out of the
//! same account within a horizon. Bulk cash placement and rapid movement both use this.

use super::exprs::{BASE_AMOUNT, ROW, SUBJECT, TS};
use super::keys::{Accounts, ORIG_KEY};
use super::Hit;
use crate::ingest::dense;
use crate::rules::plan::{Condition, FlowRoutine, Measure, Micros};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The column holding an account's own-accounts group.
const GROUP: &str = "own_group";

/// Accounts of one customer, linked by transfers between them whose originator and beneficiary
/// are the same person: each account's group (the smallest key of its group), and the linking
/// transfers (group, time, row), which are evidence of how money moved between them.
#[derive(Debug, Default)]
pub struct OwnAccounts {
    group: BTreeMap<u32, u32>,
    links: Vec<(u32, i64, u32)>,
}

impl OwnAccounts {
    /// Groups accounts from same-person transfers (`orig_key`, `bene_key`, `ts`, `row`); groups
    /// of more than `max_size` accounts are dropped (strangers sharing a common name).
    pub fn link(transfers: &[(u32, u32, i64, u32)], max_size: usize) -> Self {
        let mut parent: BTreeMap<u32, u32> = BTreeMap::new();
        fn find(parent: &mut BTreeMap<u32, u32>, k: u32) -> u32 {
            let mut root = k;
            while let Some(&p) = parent.get(&root) {
                if p == root {
                    break;
                }
                root = p;
            }
            parent.insert(k, root);
            root
        }
        for &(a, b, _, _) in transfers {
            parent.entry(a).or_insert(a);
            parent.entry(b).or_insert(b);
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra != rb {
                // the smaller key is the root, so a group is named by its smallest account
                parent.insert(ra.max(rb), ra.min(rb));
            }
        }
        let keys: Vec<u32> = parent.keys().copied().collect();
        let mut group = BTreeMap::new();
        let mut sizes: BTreeMap<u32, usize> = BTreeMap::new();
        for k in keys {
            let root = find(&mut parent, k);
            group.insert(k, root);
            *sizes.entry(root).or_default() += 1;
        }
        group.retain(|_, root| sizes[root] <= max_size);
        let mut links: Vec<(u32, i64, u32)> = transfers
            .iter()
            .filter_map(|&(a, _, ts, row)| group.get(&a).map(|&g| (g, ts, row)))
            .collect();
        links.sort_unstable();
        Self { group, links }
    }

    /// The group of an account (itself when it has no other account).
    pub fn group_of(&self, key: u32) -> u32 {
        self.group.get(&key).copied().unwrap_or(key)
    }

    /// `(key, group)` for every account in a group, as a frame to join on.
    fn frame(&self, key_name: &str) -> PolarsResult<DataFrame> {
        let (keys, groups): (Vec<u32>, Vec<u32>) = self.group.iter().map(|(k, g)| (*k, *g)).unzip();
        DataFrame::new(
            keys.len(),
            vec![
                Column::new(key_name.into(), keys),
                Column::new(GROUP.into(), groups),
            ],
        )
    }

    /// The rows of transfers within a group between two times.
    fn links_between(&self, group: u32, from: i64, to: i64) -> impl Iterator<Item = u32> + '_ {
        let start = self.links.partition_point(|l| (l.0, l.1) < (group, from));
        self.links[start..]
            .iter()
            .take_while(move |l| l.0 == group && l.1 <= to)
            .map(|l| l.2)
    }
}

/// Adds [`GROUP`] to `frame` from `key_column`: the key's own-accounts group, or the key itself.
fn with_group(
    frame: LazyFrame,
    key_column: &str,
    own: Option<&OwnAccounts>,
) -> PolarsResult<LazyFrame> {
    Ok(match own {
        None => frame.with_column(col(key_column).alias(GROUP)),
        Some(own) => {
            let lookup = own.frame("group_key")?.lazy();
            frame
                .join(
                    lookup,
                    [col(key_column)],
                    [col("group_key")],
                    JoinArgs::new(JoinType::Left),
                )
                .with_column(col(GROUP).fill_null(col(key_column)))
        }
    })
}

/// The inflow side, as anchors: for each inflow, how much came in and since when (over a
/// trailing window, by the one-pass windows of [`super::windows`]); identical anchors once.
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
    // one anchor per (subject, time, start, inflow): two inflows at one time with one amount
    // are one anchor, or the outflows after them would be summed once for each
    Ok(anchored
        .filter(col("inflow").gt_eq(lit(min_inflow)))
        .unique_stable(None, UniqueKeepStrategy::First))
}

/// A flow-through plan's limits, as the detector uses them.
pub struct FlowLimits {
    /// Inflows summed over this trailing window (`None`: one transaction).
    pub inflow_window: Option<Micros>,
    pub min_inflow: i64,
    pub min_out_basis_points: i64,
    pub horizon: Micros,
    pub routine: Option<FlowRoutine>,
}

/// Runs the detector. `inflows` has `subject` (the receiving account's key), `ts`,
/// `base_amount`; `outflows` are the rows of the canonical frame that meet the outflow
/// predicates and have an originating account.
pub fn detect(
    inflows: &DataFrame,
    outflows: LazyFrame,
    limits: FlowLimits,
    accounts: &Accounts,
    own: Option<&OwnAccounts>,
) -> PolarsResult<Vec<Hit>> {
    let FlowLimits {
        inflow_window,
        min_inflow,
        min_out_basis_points,
        horizon,
        routine,
    } = limits;
    let outflows = with_group(
        outflows.select([
            col(ORIG_KEY).alias("out_key"),
            col(TS).cast(DataType::Int64).alias("out_ts"),
            col(BASE_AMOUNT).alias("out_amount"),
            col(ROW).cast(DataType::UInt32).alias("out_row"),
        ]),
        "out_key",
        own,
    )?;
    // every (inflow anchor, outflow within the horizon) pair: outflows of the subject, or of
    // the subject's own other accounts
    let pairs = with_group(anchors(inflows, inflow_window, min_inflow)?, SUBJECT, own)?
        .join(
            outflows,
            [col(GROUP)],
            [col(GROUP)],
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
        .select([
            col(SUBJECT),
            col("anchor_ts"),
            col("out_row"),
            col("out_key"),
        ])
        .collect()?;
    let mut rows_of: HashMap<(u32, i64), Vec<u32>> = HashMap::new();
    let mut others_of: HashMap<(u32, i64), BTreeSet<u32>> = HashMap::new();
    let (subjects, anchor_ts, out_rows, out_keys) = (
        dense(counted.column(SUBJECT)?.u32()?)?,
        dense(counted.column("anchor_ts")?.i64()?)?,
        dense(counted.column("out_row")?.u32()?)?,
        dense(counted.column("out_key")?.u32()?)?,
    );
    for i in 0..counted.height() {
        let key = (subjects[i], anchor_ts[i]);
        rows_of.entry(key).or_default().push(out_rows[i]);
        if out_keys[i] != subjects[i] {
            others_of.entry(key).or_default().insert(out_keys[i]);
        }
    }
    let anchors_ts = dense(passing.column("anchor_ts")?.i64()?)?;
    let subject_keys = dense(passing.column(SUBJECT)?.u32()?)?;
    let mut hits = super::hits_from_frame(&passing, None, accounts)?;
    let ends = dense(passing.column("win_end")?.cast(&DataType::Int64)?.i64()?)?;
    let earlier = routine.map(|r| earlier_passing(&subject_keys, &anchors_ts, &ends, r.baseline));
    // the share moved on is not a fact of one anchor: it is computed from the merged
    // episode's own transactions when the alert is built (see `rules::alerts`)
    for (i, hit) in hits.iter_mut().enumerate() {
        let key = (subject_keys[i], anchors_ts[i]);
        let mut rows = rows_of.remove(&key).unwrap_or_default();
        if let (Some(others), Some(own)) = (others_of.remove(&key), own) {
            // the money left from the holder's other accounts: the transfers between them in
            // the episode are evidence, and the accounts are named
            let group = own.group_of(subject_keys[i]);
            rows.extend(own.links_between(group, hit.start, hit.end));
            hit.facts.push((
                "own_accounts",
                std::iter::once(subject_keys[i])
                    .chain(others)
                    .map(|k| accounts.name(k).to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
        rows.sort_unstable();
        rows.dedup();
        hit.rows = Some(rows);
        if let (Some(earlier), Some(r)) = (&earlier, routine) {
            hit.facts.push((
                super::ROUTINE_FACT,
                format!(
                    "{} passed on in the {} before",
                    earlier[i],
                    crate::rules::plan::describe_duration(r.baseline)
                ),
            ));
        }
    }
    // an account's routine is no alert: the inflows it passed on at least `count` times
    // before within the baseline are dropped (after their evidence, which is per hit)
    if let (Some(earlier), Some(r)) = (earlier, routine) {
        let mut i = 0;
        hits.retain(|_| {
            let keep = earlier[i] < r.count as usize;
            i += 1;
            keep
        });
    }
    Ok(hits)
}

/// For each passing inflow (subject key, anchor time `t`), on how many distinct UTC days the
/// same subject had inflows in `[t - baseline, t)` that were passed on, their pass-on done before
/// `t`: a burst of inflows on one day is one time, and an inflow whose money was still leaving
/// when this one came is not yet a precedent.
fn earlier_passing(
    subjects: &[u32],
    anchors: &[i64],
    ends: &[i64],
    baseline: Micros,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..subjects.len()).collect();
    order.sort_unstable_by_key(|&i| (subjects[i], anchors[i], ends[i]));
    let mut counts = vec![0; subjects.len()];
    for run in order.chunk_by(|&a, &b| subjects[a] == subjects[b]) {
        let times: Vec<i64> = run.iter().map(|&i| anchors[i]).collect();
        for &i in run {
            let t = anchors[i];
            let from = times.partition_point(|&a| a < t.saturating_sub(baseline));
            let to = times.partition_point(|&a| a < t);
            let mut days: Vec<i64> = run[from..to]
                .iter()
                .filter(|&&j| ends[j] < t)
                .map(|&j| anchors[j].div_euclid(crate::rules::plan::DAY))
                .collect();
            days.dedup();
            counts[i] = days.len();
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::{earlier_passing, OwnAccounts};

    #[test]
    fn earlier_passing_counts_days_of_finished_pass_throughs_in_the_baseline() {
        use crate::rules::plan::DAY;
        let h = DAY / 24;
        // subject 1: inflows on days 0, 10, 20 (twice: one day), 30; each passed on within an
        // hour, except the second on day 20, still leaving on day 31; subject 2 on day 10
        let subjects = [1, 2, 1, 1, 1, 1];
        let anchors = [20 * DAY, 10 * DAY, 0, 30 * DAY, 10 * DAY, 20 * DAY + h];
        let ends = [
            20 * DAY + h,
            10 * DAY + h,
            h,
            30 * DAY + h,
            10 * DAY + h,
            31 * DAY,
        ];
        // at day 30 with a baseline of 20 days: [10, 30) holds days 10 and 20 (the inflow of
        // 20 still leaving does not count, the other makes day 20 count once)
        assert_eq!(
            earlier_passing(&subjects, &anchors, &ends, 20 * DAY),
            vec![2, 0, 0, 2, 1, 1]
        );
        // exactly the baseline before counts: at day 20, [0, 20) holds days 0 and 10; an hour
        // later, [1 h, 20 days 1 h) holds day 10 and the first inflow of day 20, whose money
        // left exactly then (not before): one day
    }

    #[test]
    fn own_accounts_group_transitively_and_drop_groups_of_strangers() {
        // 1-2-3 linked through 2; 10..=19 a chain of ten accounts sharing one common name
        let mut transfers = vec![(2, 1, 100, 7), (3, 2, 50, 8)];
        transfers.extend((10..19).map(|k| (k, k + 1, 10, k)));
        let own = OwnAccounts::link(&transfers, 8);
        assert_eq!(
            [own.group_of(1), own.group_of(2), own.group_of(3)],
            [1, 1, 1]
        );
        assert_eq!(own.group_of(4), 4, "an unlinked account is its own group");
        assert_eq!(own.group_of(15), 15, "a group of ten is not one customer");
        // the links of a group, by time
        assert_eq!(own.links_between(1, 0, 100).collect::<Vec<_>>(), vec![8, 7]);
        assert_eq!(own.links_between(1, 60, 100).collect::<Vec<_>>(), vec![7]);
    }
}
