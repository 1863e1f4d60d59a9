//! Temporal paths on the cluster ([`Detector::TemporalPath`]: cycles and chains), with the
//! meaning of the Polars engine's depth-first search (`graph::path_from`, `Dfs::extend`).
//!
//! From each starting transfer the search scans, depth first and earliest first, the
//! transfers out of the last account after the last transfer and up to the deadline, counting
//! every transfer scanned (those that do not follow, revisits and hubs too) and giving up when
//! the count passes the cap per start. Here that search tree is built level by level, one join
//! per hop (`max_hops <= 8`): every scanned transfer is a node carrying its place as an array
//! of positions (its order among its parent's scanned transfers, by time then row, as
//! `out_of` lists them), so that a node's place in the depth-first order is the number of
//! nodes whose array is lexicographically smaller or equal (a prefix first). At each level the
//! count over the levels made so far is a lower bound of that rank, so nodes whose bound
//! passes the cap (and with them everything below) are dropped, which keeps each start's
//! level within the cap; among the nodes kept, the rank over all levels is exact for every
//! node the search reaches within the cap. A cycle is then the first closing node in that
//! order within the cap; a chain is the search's `best` (the first path reaching the longest
//! length before the search stops: at the cap, at a path of `max_hops`, or at a transfer back
//! to the start, which gives no chain). Only the chosen paths' transfers come back; covering
//! and facts are the Polars engine's own code ([`graph::covering_paths`],
//! [`graph::path_facts`]).

use super::alerts::{int_column, text_column, TxnNumbers};
use super::flow::{graph_edges_select, ChainView, GRAPH_VIEW};
use super::rules::utc_day;
use super::{Spark, SparkEngineError};
use crate::rules::graph;
use crate::rules::plan::{Detector, Micros, PathMode, RulePlan};
use crate::rules::{merge_hits, Episode, Hit};
use std::collections::BTreeMap;

/// A temporal-path plan's parameters (those of [`Detector::TemporalPath`] and its
/// `GraphLimits`).
#[derive(Debug, Clone, Copy)]
pub struct PathPlan {
    /// A cycle (back to the first payer) or a chain.
    pub mode: PathMode,
    /// The fewest transfers a path reported has.
    pub min_hops: usize,
    /// The most transfers a path has (at most 8).
    pub max_hops: usize,
    /// Every transfer within this of the first one.
    pub horizon: Micros,
    /// The least share of the previous transfer a transfer carries.
    pub min_retained_basis_points: i64,
    /// How much more than the previous transfer a transfer may carry.
    pub max_growth_basis_points: i64,
    /// The transfers scanned from one start before its search gives up.
    pub max_expansions_per_start: usize,
    /// More transfers than this on one UTC day make a hub.
    pub max_transfers_per_day: usize,
}

/// The money-flow graph's edges of the rule ([`graph_edges_select`]).
pub const TP_GRAPH_VIEW: &str = "aml_tp_graph";
/// The hubs: nodes with more than `max_transfers_per_day` edges of the whole graph on one
/// UTC day (`MoneyGraph::is_hub`).
pub const TP_HUBS_VIEW: &str = "aml_tp_hubs";
/// The selected edges (the Polars view), with each one's place in its payer's list (`oi`,
/// from 1, by time then row), how many of its payee's selected edges are no later (`lo`), and
/// whether its payer and payee are hubs.
pub const TP_EDGES_VIEW: &str = "aml_tp_e";

/// The columns of a level of the search tree: the start (`s`, its transaction), the origin,
/// the deadline, the node's depth (transfers on its path), its positions, its path
/// (transactions), the payers on its path (`froms`), its last payee, time and amount, its
/// last transfer's `lo`, the lower bound of its rank, and whether the search extends it
/// (`exp`), closes at it (`closing`), takes it as a chain (`acc`) or stops at it as a chain of
/// `max_hops` (`term`).
const LEVEL_COLUMNS: &str = "s, origin, deadline, depth, pos, path, froms, last_to, last_ts, last_amt, lo, bound, exp, closing, acc, term";

/// A node's key: `ext:id` (an account's number, or a party's key).
fn node(ext: &str, id: &str) -> String {
    format!("concat(CAST({ext} AS STRING), ':', {id})")
}

/// Whether the amount `next` may follow `prev` on a path (`PathSearch::follows`, times
/// aside): between the retained share and the previous amount plus the growth, in decimals.
fn follows(p: &PathPlan, prev: &str, next: &str) -> String {
    let (n, q) = (
        format!("CAST({next} AS DECIMAL(38, 0))"),
        format!("CAST({prev} AS DECIMAL(38, 0))"),
    );
    format!(
        "({n} * 10000 >= {q} * {ret} AND {n} * 10000 <= {q} * {grow})",
        ret = p.min_retained_basis_points,
        grow = 10_000 + p.max_growth_basis_points
    )
}

/// The views a search reads, made in order (`Spark::checkpoint_chain`): the hubs (over the
/// whole graph, [`GRAPH_VIEW`]), the rule's graph (a plain view), the selected edges, and the
/// first level (the starts: selected transfers whose payer and
/// payee are not hubs; for a chain, only those no selected transfer within the horizon before
/// leads into, from another account than the payee).
pub fn path_views(plan: &RulePlan, p: &PathPlan) -> Vec<ChainView> {
    let leads_in = match p.mode {
        PathMode::Cycle => String::new(),
        PathMode::Chain => format!(
            " LEFT ANTI JOIN {TP_EDGES_VIEW} q ON q.tk = s.fk AND q.ts_us >= s.ts_us - {h} AND q.ts_us < s.ts_us \
               AND q.fk <> s.tk AND {f}",
            h = p.horizon,
            f = follows(p, "q.amt", "s.amt")
        ),
    };
    // the hubs read the whole graph, the same for every rule: first, so that rules with the
    // same limit share them whatever their filters
    vec![
        ChainView::materialized(
            TP_HUBS_VIEW,
            format!(
                "SELECT DISTINCT node FROM (SELECT node, {day} AS d FROM \
                   (SELECT {from} AS node, ts_us FROM {GRAPH_VIEW} UNION ALL SELECT {to}, ts_us FROM {GRAPH_VIEW}) AS s) AS s \
                 GROUP BY node, d HAVING count(*) > {max}",
                day = utc_day("ts_us"),
                from = node("from_ext", "from_id"),
                to = node("to_ext", "to_id"),
                max = p.max_transfers_per_day
            ),
        ),
        ChainView::plain(TP_GRAPH_VIEW, graph_edges_select(plan)),
        ChainView::materialized(
            TP_EDGES_VIEW,
            format!(
                "WITH g AS (SELECT {from} AS fk, {to} AS tk, from_label, to_label, ts_us, base_amount AS amt, txn_id, \
                   part_idx, file, row_idx FROM {TP_GRAPH_VIEW} WHERE sel), \
                 ev AS (SELECT fk AS node, ts_us, 0 AS kind, CAST(NULL AS STRING) AS txn_id FROM g \
                   UNION ALL SELECT tk, ts_us, 1, txn_id FROM g), \
                 l AS (SELECT txn_id, lo FROM (SELECT txn_id, kind, count_if(kind = 0) OVER (PARTITION BY node ORDER BY ts_us, kind \
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS lo FROM ev) AS x WHERE kind = 1) \
                 SELECT g.*, CAST(row_number() OVER (PARTITION BY g.fk ORDER BY g.ts_us, g.part_idx, g.file, g.row_idx) AS BIGINT) AS oi, \
                   CAST(l.lo AS BIGINT) AS lo, hf.node IS NOT NULL AS hub_from, ht.node IS NOT NULL AS hub_to \
                 FROM g JOIN l ON l.txn_id = g.txn_id \
                 LEFT JOIN {TP_HUBS_VIEW} hf ON hf.node = g.fk LEFT JOIN {TP_HUBS_VIEW} ht ON ht.node = g.tk",
                from = node("from_ext", "from_id"),
                to = node("to_ext", "to_id"),
            ),
        ),
        ChainView::materialized(
            level_view(1),
            format!(
                "SELECT s.txn_id AS s, s.fk AS origin, s.ts_us + {h} AS deadline, 1 AS depth, CAST(array() AS ARRAY<INT>) AS pos, \
                   array(s.txn_id) AS path, array(s.fk) AS froms, s.tk AS last_to, s.ts_us AS last_ts, s.amt AS last_amt, \
                   s.lo, 0 AS bound, true AS exp, false AS closing, true AS acc, false AS term \
                 FROM {TP_EDGES_VIEW} s{leads_in} WHERE NOT s.hub_from AND NOT s.hub_to",
                h = p.horizon
            ),
        ),
    ]
}

/// The view of the search tree's level `depth` (the starts are level 1).
pub fn level_view(depth: usize) -> String {
    format!("aml_tp_l{depth}")
}

/// The union of the levels below the starts made so far (`depth` 2 to `made`).
fn levels_union(made: usize) -> String {
    (2..=made)
        .map(|d| format!("SELECT {LEVEL_COLUMNS} FROM {}", level_view(d)))
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// Level `depth` from level `depth - 1`: every transfer scanned from each node the search
/// extends (its last payee's selected transfers after its last time, up to the deadline, at
/// most as many as the cap leaves after the node's bound), its position among them, and what
/// the search does with it (`Dfs::extend`); then its rank's lower bound over the levels made
/// so far, the nodes past the cap dropped, and the nodes after the first place the search
/// stops at found so far (a closing transfer; for a chain also a path of `max_hops`) dropped:
/// the search never reaches them.
pub fn level_select(p: &PathPlan, depth: usize) -> String {
    let cap = p.max_expansions_per_start;
    let f = follows(p, "p.last_amt", "c.amt");
    let (exp, closing, acc, term) = match p.mode {
        PathMode::Cycle => (
            format!(
                "fl AND NOT home AND NOT rev AND depth < {} AND NOT hub",
                p.max_hops
            ),
            format!("fl AND home AND depth >= {}", p.min_hops),
            "false".to_string(),
            "false".to_string(),
        ),
        PathMode::Chain => (
            format!(
                "fl AND NOT home AND NOT rev AND NOT hub AND depth < {}",
                p.max_hops
            ),
            "fl AND home".to_string(),
            "fl AND NOT home AND NOT rev".to_string(),
            format!("fl AND NOT home AND NOT rev AND depth = {}", p.max_hops),
        ),
    };
    let earlier = if depth > 2 {
        format!(
            "SELECT {LEVEL_COLUMNS}, false AS fresh FROM ({}) AS o UNION ALL ",
            levels_union(depth - 1)
        )
    } else {
        String::new()
    };
    format!(
        "WITH cand AS (SELECT p.s, p.origin, p.deadline, p.depth + 1 AS depth, concat(p.pos, array(CAST(c.oi - p.lo - 1 AS INT))) AS pos, \
           concat(p.path, array(c.txn_id)) AS path, concat(p.froms, array(c.fk)) AS froms, c.tk AS last_to, c.ts_us AS last_ts, \
           c.amt AS last_amt, c.lo, 0 AS bound, {f} AS fl, c.tk = p.origin AS home, array_contains(p.froms, c.tk) AS rev, c.hub_to AS hub \
           FROM {prev} p JOIN {TP_EDGES_VIEW} c ON c.fk = p.last_to AND c.oi > p.lo AND c.oi <= p.lo + ({cap} - p.bound) \
             AND c.ts_us <= p.deadline \
           WHERE p.exp), \
         n AS (SELECT s, origin, deadline, depth, pos, path, froms, last_to, last_ts, last_amt, lo, bound, \
           {exp} AS exp, {closing} AS closing, {acc} AS acc, {term} AS term FROM cand), \
         u AS ({earlier}SELECT {LEVEL_COLUMNS}, true AS fresh FROM n), \
         r AS (SELECT *, row_number() OVER (PARTITION BY s ORDER BY pos) AS rk, \
           min(CASE WHEN {stop} THEN pos END) OVER (PARTITION BY s) AS stop_pos FROM u) \
         SELECT s, origin, deadline, depth, pos, path, froms, last_to, last_ts, last_amt, lo, CAST(rk AS INT) AS bound, \
           exp, closing, acc, term FROM r WHERE fresh AND rk <= {cap} AND (stop_pos IS NULL OR pos <= stop_pos)",
        prev = level_view(depth - 1),
        stop = match p.mode {
            PathMode::Cycle => "closing",
            PathMode::Chain => "closing OR term",
        },
    )
}

/// The paths found (`s`, `i`, and the path's `i`-th transfer: `txn_id`, `ts_us`, `amt`,
/// `from_label`, `to_label`, `part_idx`, `file`, `row_idx`) over levels 2 to `made`: every
/// node's exact rank (within the cap) over all levels, then per start, for a cycle the first
/// closing node within the cap; for a chain, unless the search stops first at a transfer back
/// to the start, the first of the longest paths it takes before it stops, of at least
/// `min_hops`.
pub fn paths_select(p: &PathPlan, made: usize) -> String {
    let cap = p.max_expansions_per_start;
    let chosen = match p.mode {
        PathMode::Cycle => "SELECT s, min_by(path, pos) AS path FROM v WHERE closing GROUP BY s".to_string(),
        PathMode::Chain => format!(
            "SELECT s, min_by(path, named_struct('d', -depth, 'p', pos)) AS path FROM \
               (SELECT *, min(CASE WHEN closing OR term THEN named_struct('p', pos, 'c', closing) END) OVER (PARTITION BY s) AS stop \
                FROM v) AS w \
             WHERE acc AND (stop IS NULL OR (NOT stop.c AND pos <= stop.p)) \
             GROUP BY s HAVING max(depth) >= {}",
            p.min_hops
        ),
    };
    format!(
        "WITH a AS ({all}), r AS (SELECT *, row_number() OVER (PARTITION BY s ORDER BY pos) AS rk FROM a), \
         v AS (SELECT * FROM r WHERE rk <= {cap}), res AS ({chosen}), \
         x AS (SELECT s, posexplode(path) AS (i, id) FROM res) \
         SELECT x.s, x.i, e.txn_id, e.ts_us, e.amt, e.from_label, e.to_label, e.part_idx, e.file, e.row_idx \
         FROM x JOIN {TP_EDGES_VIEW} e ON e.txn_id = x.id",
        all = levels_union(made),
    )
}

/// One transfer of a path that came back, in the order the Polars view numbers edges.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct PathEdge {
    ts: i64,
    part: i64,
    file: String,
    row: i64,
    txn_id: String,
    amount: i64,
    from: String,
    to: String,
}

impl Spark {
    /// The episodes of a temporal-path plan; `None` for another detector.
    pub(super) fn path_episodes(
        &self,
        plan: &RulePlan,
        txn_ids: &mut TxnNumbers,
    ) -> Result<Option<Vec<Episode>>, SparkEngineError> {
        let Detector::TemporalPath {
            mode,
            min_hops,
            max_hops,
            horizon,
            min_retained_basis_points,
            max_growth_basis_points,
            limits,
        } = &plan.detector
        else {
            return Ok(None);
        };
        let p = PathPlan {
            mode: *mode,
            min_hops: *min_hops,
            max_hops: *max_hops,
            horizon: *horizon,
            min_retained_basis_points: *min_retained_basis_points,
            max_growth_basis_points: *max_growth_basis_points,
            max_expansions_per_start: limits.max_expansions_per_start,
            max_transfers_per_day: limits.max_transfers_per_day,
        };
        self.graph_view()?;
        let what = format!("finding the hits of {}", plan.rule_id);
        self.checkpoint_chain(&what, "temporal paths", &path_views(plan, &p))?;
        let mut made = 1;
        while made < p.max_hops {
            let next = made + 1;
            self.checkpoint_view(&what, &level_view(next), &level_select(&p, next))?;
            made = next;
            let open = self.query(
                &what,
                &format!("SELECT count(*) AS n FROM {} WHERE exp", level_view(made)),
            )?;
            let open = int_column(&open, "n").map_err(|e| self.bad_result(&what, e))?;
            if open.first().copied().unwrap_or(0) == 0 {
                break;
            }
        }
        let frame = self.query(&what, &paths_select(&p, made))?;
        let bad = |e: String| self.bad_result(&what, e);
        let starts = text_column(&frame, "s").map_err(bad)?;
        let places = int_column(&frame, "i").map_err(bad)?;
        let ids = text_column(&frame, "txn_id").map_err(bad)?;
        let times = int_column(&frame, "ts_us").map_err(bad)?;
        let amounts = int_column(&frame, "amt").map_err(bad)?;
        let froms = text_column(&frame, "from_label").map_err(bad)?;
        let tos = text_column(&frame, "to_label").map_err(bad)?;
        let parts = int_column(&frame, "part_idx").map_err(bad)?;
        let files = text_column(&frame, "file").map_err(bad)?;
        let rows = int_column(&frame, "row_idx").map_err(bad)?;
        // each start's path, its transfers in order
        let mut by_start: BTreeMap<&str, Vec<(i64, PathEdge)>> = BTreeMap::new();
        for i in 0..frame.height() {
            by_start.entry(starts[i].as_str()).or_default().push((
                places[i],
                PathEdge {
                    ts: times[i],
                    part: parts[i],
                    file: files[i].clone(),
                    row: rows[i],
                    txn_id: ids[i].clone(),
                    amount: amounts[i],
                    from: froms[i].clone(),
                    to: tos[i].clone(),
                },
            ));
        }
        // the transfers numbered as the Polars view numbers them (time, then row)
        let mut edges: Vec<PathEdge> = by_start
            .values()
            .flat_map(|path| path.iter().map(|(_, e)| e.clone()))
            .collect();
        edges.sort();
        edges.dedup();
        let index =
            |e: &PathEdge| -> u32 { edges.binary_search(e).map(|i| i as u32).unwrap_or(u32::MAX) };
        let paths: Vec<Vec<u32>> = by_start
            .into_values()
            .map(|mut path| {
                path.sort_by_key(|(i, _)| *i);
                path.iter().map(|(_, e)| index(e)).collect()
            })
            .collect();
        if paths.iter().flatten().any(|&i| i == u32::MAX) {
            return Err(self.bad_result(&what, "a path's transfer is not numbered".into()));
        }
        let searched = plan.detector.bounds();
        let hits: Vec<Hit> = graph::covering_paths(paths, |i| edges[i as usize].ts)
            .into_iter()
            .map(|path| {
                let first = &edges[path[0] as usize];
                let last = &edges[path[path.len() - 1] as usize];
                let mut labels: Vec<&str> = path
                    .iter()
                    .map(|&i| edges[i as usize].from.as_str())
                    .collect();
                labels.push(last.to.as_str());
                let mut rows: Vec<u32> = path
                    .iter()
                    .map(|&i| txn_ids.number(&edges[i as usize].txn_id))
                    .collect();
                rows.sort_unstable();
                let mut facts = graph::path_facts(path.len(), first.amount, last.amount);
                facts.push(("accounts", labels.join(" -> ")));
                facts.push(("searched", searched.clone()));
                Hit {
                    subject: first.from.clone(),
                    start: first.ts,
                    end: last.ts,
                    rows: Some(rows),
                    facts,
                }
            })
            .collect();
        Ok(Some(merge_hits(hits)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(mode: PathMode) -> PathPlan {
        PathPlan {
            mode,
            min_hops: 2,
            max_hops: 4,
            horizon: 10,
            min_retained_basis_points: 8_000,
            max_growth_basis_points: 100,
            max_expansions_per_start: 20_000,
            max_transfers_per_day: 50,
        }
    }

    #[test]
    fn amounts_are_compared_in_decimals_and_levels_count_only_scanned_transfers() {
        let f = follows(&plan(PathMode::Cycle), "a", "b");
        assert_eq!(
            f,
            "(CAST(b AS DECIMAL(38, 0)) * 10000 >= CAST(a AS DECIMAL(38, 0)) * 8000 \
             AND CAST(b AS DECIMAL(38, 0)) * 10000 <= CAST(a AS DECIMAL(38, 0)) * 10100)"
        );
        let second = level_select(&plan(PathMode::Cycle), 2);
        assert!(second.contains("FROM aml_tp_l1 p JOIN aml_tp_e c"));
        assert!(second.contains("c.oi <= p.lo + (20000 - p.bound)"));
        // the starts are not scanned transfers: not in the ranks
        assert!(!second.contains("FROM aml_tp_l1 UNION"));
        let third = level_select(&plan(PathMode::Chain), 3);
        assert!(third.contains("SELECT s, origin, deadline, depth, pos, path, froms, last_to, last_ts, last_amt, lo, bound, exp, closing, acc, term FROM aml_tp_l2"));
        assert!(third.contains("depth = 4"));
    }
}
