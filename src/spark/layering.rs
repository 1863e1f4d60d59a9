//! Layering structures on the cluster: scatter-gather and gather-scatter
//! ([`Detector::SplitMerge`]) and bipartite layers and their stacks ([`Detector::Bipartite`]),
//! with the meaning of the Polars engine's searches (`src/rules/graph.rs`,
//! `src/rules/bipartite.rs`) over the same money-flow graph: the same nodes (an account by its
//! number, a party without one by its key), the same hubs (more than `max_transfers_per_day`
//! edges of the whole graph on one UTC day), the same order of edges (time, then row).
//!
//! **Split and merge.** The Polars search slides a window over each subject's edges in order and,
//! when a window forms a structure, moves past it (a window that forms one is not searched
//! again). The cluster evaluates every window at once (each edge's window is a range join bounded
//! by `window`, the onward payments a join bounded by `horizon`, sums in exact decimals, the best
//! sink chosen by the Polars order) and only the windows that form a structure come back, as
//! `(subject, first position, position past the window)`. The walk over them (the first one, then
//! the first one at or past the end of the last one taken) is done here, and the details of the
//! windows taken (their accounts, transactions and figures) come back; the hits are built by the
//! Polars engine's own code ([`graph::split_facts`], `structure_hit`).
//!
//! **Bipartite.** Each selected edge between non-hubs goes to the windows that hold it (windows
//! of `window` every half window, as `bipartite::tiles` places them); the sender–recipient links
//! of each window are peeled on the cluster in rounds (a sender paying fewer than `min_links`
//! distinct remaining recipients of its window, or a recipient paid by fewer than `min_links`
//! remaining senders, is dropped with its links) until a round drops nothing: the k-core, which
//! does not depend on the order of peeling. Only the edges of the links that survive come back
//! (what is left of candidate layers), with their window; the Polars engine's own search then runs
//! on them here ([`bipartite::layers_in`]: components, `max_accounts`, merging across windows;
//! [`bipartite::layered`]), which gives the same layers since peeling a core again removes
//! nothing. For a stack, the layers' recipients (with their first and last receipt) and members
//! go to the cluster and each recipient's onward payments within the horizon come back; the
//! second layer is then found here by the same code.

use super::alerts::{int_column, text_column, TxnNumbers};
use super::flow::{graph_edges_select, text_lists, ChainView, GRAPH_VIEW};
use super::{Spark, SparkEngineError};
use crate::rules::bipartite::{self, BipartiteSearch};
use crate::rules::graph::{self, GraphBuilder, Party};
use crate::rules::plan::{Detector, FlowShape, GraphLimits, Micros, RulePlan, DAY};
use crate::rules::{layered_hits_by, merge_hits, structure_hit, Episode, Hit};
use spark_connect::row::{Row, Value};
use std::collections::{BTreeMap, HashMap};

/// The selected edges of the graph with their ends' keys (`fk`, `tk`: `ext:id`) and whether
/// each end is a hub.
const SELECTED_VIEW: &str = "aml_lay_sel";
/// The windows of a split-merge search that form a structure.
const SM_CANDIDATES_VIEW: &str = "aml_sm_cand";
/// The windows of a split-merge search taken by the walk.
const SM_CHOSEN_VIEW: &str = "aml_sm_chosen";
/// The layers' members and recipients, for the onward payments of a stack.
const BP_STACK_VIEW: &str = "aml_bp_stack";

/// `floor(a / b)` exactly, for negative `a` too (`b` > 0).
fn floor_div(a: &str, b: i64) -> String {
    format!("((({a}) - pmod({a}, {b})) div {b})")
}

/// The views every layering search reads, made one after the other
/// ([`Spark::checkpoint_chain`]): the hubs (more than `max_transfers_per_day` edges of the whole
/// graph, [`GRAPH_VIEW`], on one UTC day), the rule's graph (a plain view) and the selected
/// edges ([`SELECTED_VIEW`]).
fn common_views(plan: &RulePlan, limits: &GraphLimits) -> Vec<ChainView> {
    let day = floor_div("ts_us", DAY);
    // the hubs read the whole graph, the same for every rule: first, so that rules with the
    // same limit share them whatever their filters
    vec![
        ChainView::materialized(
            "aml_lay_hubs",
            format!(
                "SELECT DISTINCT ext, id FROM (SELECT ext, id, {day} AS d FROM \
                   (SELECT from_ext AS ext, from_id AS id, ts_us FROM {GRAPH_VIEW} \
                    UNION ALL SELECT to_ext, to_id, ts_us FROM {GRAPH_VIEW}) AS s) AS s \
                 GROUP BY ext, id, d HAVING count(*) > {max}",
                max = limits.max_transfers_per_day
            ),
        ),
        ChainView::plain("aml_lay_graph", graph_edges_select(plan)),
        ChainView::materialized(
            SELECTED_VIEW,
            "SELECT g.ts_us, g.base_amount, g.txn_id, g.part_idx, g.file, g.row_idx, \
               g.from_ext, g.from_id, g.from_label, g.to_ext, g.to_id, g.to_label, \
               concat(g.from_ext, ':', g.from_id) AS fk, concat(g.to_ext, ':', g.to_id) AS tk, \
               fh.id IS NOT NULL AS from_hub, th.id IS NOT NULL AS to_hub \
             FROM aml_lay_graph g \
             LEFT JOIN aml_lay_hubs fh ON fh.ext = g.from_ext AND fh.id = g.from_id \
             LEFT JOIN aml_lay_hubs th ON th.ext = g.to_ext AND th.id = g.to_id \
             WHERE g.sel",
        ),
    ]
}

/// A split-merge plan's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Split {
    pub shape: FlowShape,
    pub min_intermediaries: usize,
    pub window: Micros,
    pub horizon: Micros,
    pub min_forwarded_basis_points: i64,
}

/// The views of a split-merge search after [`common_views`], materialized in order; the last is
/// [`SM_CANDIDATES_VIEW`]: each window that forms a structure, as `subj` (the subject's key),
/// `lo` (the position of its first edge among the subject's edges, from 1) and `hi` (the
/// position past its last), with what its details need.
///
/// A subject's edges are its selected outgoing edges (scatter-gather) or incoming ones
/// (gather-scatter), the subject not a hub, numbered in time then row order; the window at
/// position `lo` holds the edges from `lo` on no later than its first edge's time plus `window`
/// (`slide` of the Polars search: an earlier edge at the same time is not in it) and is searched
/// when it has at least `min_intermediaries` distinct other ends.
pub fn split_views(split: &Split) -> Vec<(String, String)> {
    let (subj, other, skip_hub) = match split.shape {
        FlowShape::ScatterGather => ("from", "to", "from_hub"),
        FlowShape::GatherScatter => ("to", "from", "to_hub"),
    };
    let (s, o) = (&subj[..1], &other[..1]);
    let min = split.min_intermediaries;
    let (window, horizon, bp) = (
        split.window,
        split.horizon,
        split.min_forwarded_basis_points,
    );
    let mut views = vec![
        (
            "aml_sm_l".to_string(),
            format!(
                "SELECT {s}k AS subj, {subj}_label AS s_label, {o}k AS ok, {other}_ext AS o_ext, {other}_id AS o_id, \
                   {other}_label AS o_label, {other}_hub AS o_hub, ts_us, base_amount, txn_id, \
                   row_number() OVER (PARTITION BY {s}k ORDER BY ts_us, part_idx, file, row_idx) AS pos \
                 FROM {SELECTED_VIEW} WHERE NOT {skip_hub}"
            ),
        ),
        (
            "aml_sm_r".to_string(),
            format!(
                "SELECT p.subj, p.s_label, p.pos AS lo, p.ts_us AS lo_ts, q.ok, q.o_ext, q.o_id, q.o_label, q.o_hub, \
                   q.ts_us, q.base_amount, q.txn_id \
                 FROM aml_sm_l p JOIN aml_sm_l q ON q.subj = p.subj AND q.ts_us >= p.ts_us \
                   AND q.ts_us <= p.ts_us + {window} AND q.pos >= p.pos"
            ),
        ),
    ];
    match split.shape {
        FlowShape::ScatterGather => views.extend([
            (
                // windows with enough distinct non-hub intermediaries to form a structure
                "aml_sm_w".to_string(),
                format!(
                    "SELECT subj, s_label, lo, count(*) AS cnt FROM aml_sm_r GROUP BY subj, s_label, lo \
                     HAVING count(DISTINCT CASE WHEN NOT o_hub THEN ok END) >= {min}"
                ),
            ),
            (
                // what each intermediary received from the subject in the window, and when first
                "aml_sm_recv".to_string(),
                "SELECT r.subj, r.lo, r.ok AS mk, r.o_ext AS m_ext, r.o_id AS m_id, r.o_label AS m_label, \
                   sum(CAST(r.base_amount AS DECIMAL(38, 0))) AS got, min(r.ts_us) AS first, max(r.ts_us) AS rlast, \
                   collect_list(r.txn_id) AS rtx \
                 FROM aml_sm_r r LEFT SEMI JOIN aml_sm_w w ON w.subj = r.subj AND w.lo = r.lo \
                 WHERE NOT r.o_hub GROUP BY r.subj, r.lo, r.ok, r.o_ext, r.o_id, r.o_label"
                    .to_string(),
            ),
            (
                // what each intermediary paid each sink after its first receipt, within the
                // horizon of it, the subject itself not a sink
                "aml_sm_fwd".to_string(),
                format!(
                    "SELECT v.subj, v.lo, v.mk, e.tk AS sk, e.to_ext AS k_ext, e.to_id AS k_id, e.to_label AS k_label, \
                       sum(CAST(e.base_amount AS DECIMAL(38, 0))) AS sent, max(e.ts_us) AS fmax, collect_list(e.txn_id) AS ftx \
                     FROM aml_sm_recv v JOIN {SELECTED_VIEW} e ON e.fk = v.mk AND e.ts_us > v.first \
                       AND e.ts_us <= v.first + {horizon} AND e.tk <> v.subj \
                     GROUP BY v.subj, v.lo, v.mk, e.tk, e.to_ext, e.to_id, e.to_label"
                ),
            ),
            (
                // per window the sink with the most intermediaries, then the most moved, then
                // the first node; a structure when its intermediaries passed on enough
                SM_CANDIDATES_VIEW.to_string(),
                format!(
                    "WITH k AS (SELECT f.subj, f.lo, f.sk, f.k_ext, f.k_id, f.k_label, count(*) AS n, \
                       sum(least(f.sent, v.got)) AS moved, sum(v.got) AS sent_in \
                       FROM aml_sm_fwd f JOIN aml_sm_recv v ON v.subj = f.subj AND v.lo = f.lo AND v.mk = f.mk \
                       GROUP BY f.subj, f.lo, f.sk, f.k_ext, f.k_id, f.k_label HAVING count(*) >= {min}), \
                     b AS (SELECT *, row_number() OVER (PARTITION BY subj, lo ORDER BY n DESC, moved DESC, k_ext, k_id) AS rk FROM k) \
                     SELECT b.subj, w.s_label, b.lo, b.lo + w.cnt AS hi, b.sk, b.k_label \
                     FROM b JOIN aml_sm_w w ON w.subj = b.subj AND w.lo = b.lo \
                     WHERE b.rk = 1 AND b.moved * 10000 >= b.sent_in * {bp}"
                ),
            ),
        ]),
        FlowShape::GatherScatter => views.extend([
            (
                // windows with enough distinct senders: what was gathered, from whom
                "aml_sm_w".to_string(),
                format!(
                    "SELECT subj, s_label, lo, lo_ts, count(*) AS cnt, max(ts_us) AS last_in, \
                       sum(CAST(base_amount AS DECIMAL(38, 0))) AS gathered, collect_list(txn_id) AS itx, \
                       array_sort(collect_set(named_struct('e', o_ext, 'k', o_id, 'l', o_label))) AS senders \
                     FROM aml_sm_r GROUP BY subj, s_label, lo, lo_ts HAVING count(DISTINCT ok) >= {min}"
                ),
            ),
            (
                // the subject's payments after the window's first edge, within the horizon of
                // its last
                SM_CANDIDATES_VIEW.to_string(),
                format!(
                    "WITH o AS (SELECT w.subj, w.lo, sum(CAST(e.base_amount AS DECIMAL(38, 0))) AS paid, \
                       max(e.ts_us) AS omax, collect_list(e.txn_id) AS otx, \
                       array_sort(collect_set(named_struct('e', e.to_ext, 'k', e.to_id, 'l', e.to_label))) AS recips \
                       FROM aml_sm_w w JOIN {SELECTED_VIEW} e ON e.fk = w.subj AND e.ts_us > w.lo_ts \
                         AND e.ts_us <= w.last_in + {horizon} GROUP BY w.subj, w.lo) \
                     SELECT w.subj, w.s_label, w.lo, w.lo + w.cnt AS hi, w.lo_ts, greatest(w.last_in, o.omax) AS last_ts, \
                       w.gathered, o.paid, w.itx, o.otx, w.senders, o.recips \
                     FROM aml_sm_w w JOIN o ON o.subj = w.subj AND o.lo = w.lo \
                     WHERE size(o.recips) >= {min} AND o.paid * 10000 >= w.gathered * {bp}"
                ),
            ),
        ]),
    }
    views
}

/// The details of the windows taken ([`SM_CHOSEN_VIEW`]: `subj`, `lo`): `subject` (its label),
/// `win_start`, `win_end`, `txns`, `n` (intermediaries or senders), `sent`, `moved` (exact, as
/// text), `nodes` (the labels listed after the subject, in node order within each group) and
/// `recipients` (gather-scatter; 0 otherwise).
pub fn split_details(shape: FlowShape) -> String {
    let labels = |a: &str| format!("transform({a}, x -> x.l)");
    match shape {
        FlowShape::ScatterGather => format!(
            "WITH m AS (SELECT c.subj, c.lo, c.s_label, c.k_label, v.m_ext, v.m_id, v.m_label, v.got, \
               least(f.sent, v.got) AS fw, v.first, greatest(v.rlast, f.fmax) AS last_ts, concat(v.rtx, f.ftx) AS tx \
               FROM {SM_CANDIDATES_VIEW} c LEFT SEMI JOIN {SM_CHOSEN_VIEW} h ON h.subj = c.subj AND h.lo = c.lo \
               JOIN aml_sm_fwd f ON f.subj = c.subj AND f.lo = c.lo AND f.sk = c.sk \
               JOIN aml_sm_recv v ON v.subj = c.subj AND v.lo = c.lo AND v.mk = f.mk) \
             SELECT s_label AS subject, min(first) AS win_start, max(last_ts) AS win_end, flatten(collect_list(tx)) AS txns, \
               count(*) AS n, CAST(sum(got) AS STRING) AS sent, CAST(sum(fw) AS STRING) AS moved, \
               concat({mids}, array(k_label)) AS nodes, 0 AS recipients \
             FROM m GROUP BY subj, lo, s_label, k_label",
            mids = labels("array_sort(collect_list(named_struct('e', m_ext, 'k', m_id, 'l', m_label)))"),
        ),
        FlowShape::GatherScatter => format!(
            "SELECT c.s_label AS subject, c.lo_ts AS win_start, c.last_ts AS win_end, concat(c.itx, c.otx) AS txns, \
               size(c.senders) AS n, CAST(c.gathered AS STRING) AS sent, CAST(least(c.paid, c.gathered) AS STRING) AS moved, \
               concat({senders}, array(c.s_label), {recips}) AS nodes, size(c.recips) AS recipients \
             FROM {SM_CANDIDATES_VIEW} c LEFT SEMI JOIN {SM_CHOSEN_VIEW} h ON h.subj = c.subj AND h.lo = c.lo",
            senders = labels("c.senders"),
            recips = labels("c.recips"),
        ),
    }
}

/// The walk of the Polars search over a subject's windows that form a structure (`lo`, `hi`, in
/// order of `lo`): the first, then the first at or past the end of the last one taken.
pub fn walk(windows: &[(i64, i64)]) -> Vec<i64> {
    let mut next = i64::MIN;
    let mut taken = Vec::new();
    for &(lo, hi) in windows {
        if lo >= next {
            taken.push(lo);
            next = hi;
        }
    }
    taken
}

/// The windows (`k`) holding an edge at `ts_us`: windows `[k * stride, k * stride + window]`,
/// `stride` half the window (`bipartite::tiles`).
fn tile_range(window: Micros) -> (String, String) {
    let window = window.max(1);
    let stride = (window / 2).max(1);
    (
        format!("(-{})", floor_div(&format!("{window} - ts_us"), stride)),
        floor_div("ts_us", stride),
    )
}

/// One edge brought back for the local part of a bipartite search.
#[derive(Debug, Clone)]
struct LocalEdge {
    from: (i64, String),
    from_label: String,
    to: (i64, String),
    to_label: String,
    ts: i64,
    amount: i64,
    place: (i64, String, i64),
}

/// The columns of an edge brought back ([`LocalEdge`]), from alias `e`.
const EDGE_COLUMNS: &str = "e.txn_id, e.ts_us, e.base_amount, e.part_idx, e.file, e.row_idx, \
    CAST(e.from_ext AS BIGINT) AS from_ext, e.from_id, e.from_label, CAST(e.to_ext AS BIGINT) AS to_ext, e.to_id, e.to_label";

impl Spark {
    /// The episodes of a split-merge or bipartite plan; `None` for another detector.
    pub(super) fn layering_episodes(
        &self,
        plan: &RulePlan,
        txn_ids: &mut TxnNumbers,
    ) -> Result<Option<Vec<Episode>>, SparkEngineError> {
        match &plan.detector {
            Detector::SplitMerge {
                shape,
                min_intermediaries,
                window,
                horizon,
                min_forwarded_basis_points,
                limits,
            } => {
                let split = Split {
                    shape: *shape,
                    min_intermediaries: *min_intermediaries,
                    window: *window,
                    horizon: *horizon,
                    min_forwarded_basis_points: *min_forwarded_basis_points,
                };
                self.split_merge(plan, &split, limits, txn_ids).map(Some)
            }
            Detector::Bipartite {
                layers,
                min_senders,
                min_recipients,
                min_links,
                window,
                horizon,
                min_forwarded_basis_points,
                max_accounts,
                limits,
            } => {
                let search = BipartiteSearch {
                    layers: *layers,
                    min_senders: *min_senders,
                    min_recipients: *min_recipients,
                    min_links: *min_links,
                    window: *window,
                    horizon: *horizon,
                    min_forwarded_basis_points: *min_forwarded_basis_points,
                    max_accounts: *max_accounts,
                    limits: *limits,
                };
                self.bipartite(plan, &search, txn_ids).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn common_views(
        &self,
        what: &str,
        plan: &RulePlan,
        limits: &GraphLimits,
    ) -> Result<(), SparkEngineError> {
        self.graph_view()?;
        self.checkpoint_chain(what, "layering", &common_views(plan, limits))
    }

    /// Scatter-gather or gather-scatter (`graph::split_merge`): the windows that form a
    /// structure found on the cluster ([`split_views`]), walked here ([`walk`]), the details of
    /// those taken brought back ([`split_details`]) and built into hits by the Polars engine's
    /// code.
    fn split_merge(
        &self,
        plan: &RulePlan,
        split: &Split,
        limits: &GraphLimits,
        txn_ids: &mut TxnNumbers,
    ) -> Result<Vec<Episode>, SparkEngineError> {
        let what = format!("finding the hits of {}", plan.rule_id);
        self.common_views(&what, plan, limits)?;
        for (name, select) in split_views(split) {
            self.checkpoint_view(&what, &name, &select)?;
        }
        let frame = self.query(
            &what,
            &format!("SELECT subj, lo, hi FROM {SM_CANDIDATES_VIEW}"),
        )?;
        let bad = |e: String| self.bad_result(&what, e);
        let subjects = text_column(&frame, "subj").map_err(bad)?;
        let los = int_column(&frame, "lo").map_err(bad)?;
        let his = int_column(&frame, "hi").map_err(bad)?;
        let mut windows: BTreeMap<&str, Vec<(i64, i64)>> = BTreeMap::new();
        for i in 0..frame.height() {
            windows
                .entry(subjects[i].as_str())
                .or_default()
                .push((los[i], his[i]));
        }
        let names: Vec<String> = ["subj", "lo"].map(String::from).to_vec();
        let mut chosen: Vec<Row> = Vec::new();
        for (subject, mut list) in windows {
            list.sort_unstable();
            for lo in walk(&list) {
                chosen.push(Row::new(
                    names.clone(),
                    vec![Value::String(subject.to_string()), Value::Long(lo)],
                ));
            }
        }
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        self.rows_view(
            &what,
            SM_CHOSEN_VIEW,
            &[("subj", "STRING"), ("lo", "BIGINT")],
            chosen,
        )?;
        let frame = self.query(&what, &split_details(split.shape))?;
        let bad = |e: String| self.bad_result(&what, e);
        let subjects = text_column(&frame, "subject").map_err(bad)?;
        let starts = int_column(&frame, "win_start").map_err(bad)?;
        let ends = int_column(&frame, "win_end").map_err(bad)?;
        let txns = text_lists(&frame, "txns").map_err(bad)?;
        let counts = int_column(&frame, "n").map_err(bad)?;
        let sent = text_column(&frame, "sent").map_err(bad)?;
        let moved = text_column(&frame, "moved").map_err(bad)?;
        let nodes = text_lists(&frame, "nodes").map_err(bad)?;
        let recipients = int_column(&frame, "recipients").map_err(bad)?;
        let searched = plan.detector.bounds();
        let amount = |v: &str| -> Result<i128, SparkEngineError> {
            v.parse()
                .map_err(|e| self.bad_result(&what, format!("amount {v}: {e}")))
        };
        let mut hits: Vec<Hit> = Vec::with_capacity(frame.height());
        for i in 0..frame.height() {
            let mut facts =
                graph::split_facts(counts[i] as usize, amount(&sent[i])?, amount(&moved[i])?);
            if split.shape == FlowShape::GatherScatter {
                facts.push(("recipients", recipients[i].to_string()));
            }
            let mut rows: Vec<u32> = txns[i].iter().map(|id| txn_ids.number(id)).collect();
            rows.sort_unstable();
            rows.dedup();
            let listed = match split.shape {
                // the source, the intermediaries, the sink
                FlowShape::ScatterGather => std::iter::once(subjects[i].as_str())
                    .chain(nodes[i].iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(", "),
                // the senders, the subject, the recipients
                FlowShape::GatherScatter => nodes[i].join(", "),
            };
            hits.push(structure_hit(
                subjects[i].clone(),
                starts[i],
                ends[i],
                rows,
                facts,
                listed,
                &searched,
            ));
        }
        Ok(merge_hits(hits))
    }

    /// Bipartite layers and stacks (`bipartite::bipartite`): each window's links peeled on the
    /// cluster in rounds to their core, the surviving edges brought back, and the Polars search
    /// run on them here (see the module documentation).
    fn bipartite(
        &self,
        plan: &RulePlan,
        search: &BipartiteSearch,
        txn_ids: &mut TxnNumbers,
    ) -> Result<Vec<Episode>, SparkEngineError> {
        let what = format!("finding the hits of {}", plan.rule_id);
        self.common_views(&what, plan, &search.limits)?;
        let (klo, khi) = tile_range(search.window);
        let least = search.min_senders * search.min_links;
        self.checkpoint_view(
            &what,
            "aml_bp_t",
            &format!(
                "SELECT * FROM (SELECT explode(sequence({klo}, {khi})) AS k, * FROM {SELECTED_VIEW} \
                 WHERE NOT from_hub AND NOT to_hub) AS t \
                 LEFT SEMI JOIN (SELECT k FROM (SELECT explode(sequence({klo}, {khi})) AS k FROM {SELECTED_VIEW} \
                   WHERE NOT from_hub AND NOT to_hub) AS c GROUP BY k HAVING count(*) >= {least}) AS n ON n.k = t.k"
            ),
        )?;
        // the links of each window, peeled until a round drops none
        let m = search.min_links;
        let mut current = "aml_bp_la";
        self.checkpoint_view(&what, current, "SELECT DISTINCT k, fk, tk FROM aml_bp_t")?;
        let count = |view: &str| -> Result<i64, SparkEngineError> {
            let frame = self.query(&what, &format!("SELECT count(*) AS n FROM {view}"))?;
            int_column(&frame, "n")
                .map_err(|e| self.bad_result(&what, e))?
                .first()
                .copied()
                .ok_or_else(|| self.bad_result(&what, "no count".into()))
        };
        let mut links = count(current)?;
        while links > 0 {
            let next = if current == "aml_bp_la" {
                "aml_bp_lb"
            } else {
                "aml_bp_la"
            };
            self.checkpoint_view(
                &what,
                next,
                &format!(
                    "SELECT l.k, l.fk, l.tk FROM {current} l \
                     JOIN (SELECT k, fk, count(*) AS d FROM {current} GROUP BY k, fk) s ON s.k = l.k AND s.fk = l.fk \
                     JOIN (SELECT k, tk, count(*) AS d FROM {current} GROUP BY k, tk) r ON r.k = l.k AND r.tk = l.tk \
                     WHERE s.d >= {m} AND r.d >= {m}"
                ),
            )?;
            current = next;
            let left = count(current)?;
            if left == links {
                break;
            }
            links = left;
        }
        if links == 0 {
            return Ok(Vec::new());
        }
        let frame = self.query(
            &what,
            &format!(
                "SELECT e.k, {EDGE_COLUMNS} FROM aml_bp_t e \
                 LEFT SEMI JOIN {current} l ON l.k = e.k AND l.fk = e.fk AND l.tk = e.tk"
            ),
        )?;
        let mut edges: BTreeMap<String, LocalEdge> = BTreeMap::new();
        let tiled = self.local_edges(&what, &frame, &mut edges)?;
        let mut windows: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        let ks = int_column(&frame, "k").map_err(|e| self.bad_result(&what, e))?;
        for (k, id) in ks.into_iter().zip(tiled) {
            windows.entry(k).or_default().push(id);
        }
        let local = Local::new(&edges);
        let layers = local.layers(&windows, search);
        if search.layers >= 2 {
            if layers.is_empty() {
                return Ok(Vec::new());
            }
            // the layers' recipients, with their first and last receipt, and members
            let names: Vec<String> = ["layer", "nk", "recipient", "first_ts", "last_ts"]
                .map(String::from)
                .to_vec();
            let mut rows = Vec::new();
            for (n, layer) in layers.iter().enumerate() {
                let mut received: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
                let mut members: BTreeMap<&str, ()> = BTreeMap::new();
                for id in layer {
                    let e = &edges[id];
                    let slot = received.entry(local.key_of(&e.to)).or_insert((e.ts, e.ts));
                    slot.0 = slot.0.min(e.ts);
                    slot.1 = slot.1.max(e.ts);
                    members.insert(local.key_of(&e.from), ());
                    members.insert(local.key_of(&e.to), ());
                }
                for (key, _) in members {
                    let (recipient, (first, last)) = match received.get(key) {
                        Some(&span) => (true, span),
                        None => (false, (0, 0)),
                    };
                    rows.push(Row::new(
                        names.clone(),
                        vec![
                            Value::Long(n as i64),
                            Value::String(key.to_string()),
                            Value::Long(i64::from(recipient)),
                            Value::Long(first),
                            Value::Long(last),
                        ],
                    ));
                }
            }
            self.rows_view(
                &what,
                BP_STACK_VIEW,
                &[
                    ("layer", "BIGINT"),
                    ("nk", "STRING"),
                    ("recipient", "BIGINT"),
                    ("first_ts", "BIGINT"),
                    ("last_ts", "BIGINT"),
                ],
                rows,
            )?;
            let frame = self.query(
                &what,
                &format!(
                    "SELECT DISTINCT {EDGE_COLUMNS} FROM \
                       (SELECT s.layer, x.* FROM {SELECTED_VIEW} x JOIN {BP_STACK_VIEW} s ON s.recipient = 1 AND x.fk = s.nk \
                         AND x.ts_us > s.first_ts AND x.ts_us <= s.last_ts + {horizon} WHERE NOT x.to_hub) AS e \
                     LEFT ANTI JOIN {BP_STACK_VIEW} m ON m.layer = e.layer AND m.nk = e.tk",
                    horizon = search.horizon
                ),
            )?;
            self.local_edges(&what, &frame, &mut edges)?;
        }
        // the Polars search on the edges brought back
        let local = Local::new(&edges);
        let layers = local.layers(&windows, search);
        let view = local.graph.view(None);
        let by_view: HashMap<&str, u32> = view
            .edges()
            .iter()
            .enumerate()
            .map(|(i, e)| (local.ids[e.row as usize].as_str(), i as u32))
            .collect();
        let layers: Vec<Vec<u32>> = layers
            .iter()
            .map(|l| {
                let mut v: Vec<u32> = l.iter().map(|id| by_view[id.as_str()]).collect();
                v.sort_unstable();
                v
            })
            .collect();
        let found = bipartite::layered(&view, layers, search);
        let searched = plan.detector.bounds();
        let mut hits = layered_hits_by(found, &searched, &|n| local.labels[n as usize].clone());
        for hit in &mut hits {
            if let Some(rows) = hit.rows.as_mut() {
                *rows = rows
                    .iter()
                    .map(|&r| txn_ids.number(&local.ids[r as usize]))
                    .collect();
                rows.sort_unstable();
            }
        }
        Ok(merge_hits(hits))
    }

    /// Reads edges brought back ([`EDGE_COLUMNS`]) into `edges` by transaction id; the ids in
    /// the frame's order.
    fn local_edges(
        &self,
        what: &str,
        frame: &polars::prelude::DataFrame,
        edges: &mut BTreeMap<String, LocalEdge>,
    ) -> Result<Vec<String>, SparkEngineError> {
        let bad = |e: String| self.bad_result(what, e);
        let ids = text_column(frame, "txn_id").map_err(bad)?;
        let ts = int_column(frame, "ts_us").map_err(bad)?;
        let amounts = int_column(frame, "base_amount").map_err(bad)?;
        let parts = int_column(frame, "part_idx").map_err(bad)?;
        let files = text_column(frame, "file").map_err(bad)?;
        let rows = int_column(frame, "row_idx").map_err(bad)?;
        let from_ext = int_column(frame, "from_ext").map_err(bad)?;
        let from_id = text_column(frame, "from_id").map_err(bad)?;
        let from_label = text_column(frame, "from_label").map_err(bad)?;
        let to_ext = int_column(frame, "to_ext").map_err(bad)?;
        let to_id = text_column(frame, "to_id").map_err(bad)?;
        let to_label = text_column(frame, "to_label").map_err(bad)?;
        for i in 0..frame.height() {
            edges.entry(ids[i].clone()).or_insert_with(|| LocalEdge {
                from: (from_ext[i], from_id[i].clone()),
                from_label: from_label[i].clone(),
                to: (to_ext[i], to_id[i].clone()),
                to_label: to_label[i].clone(),
                ts: ts[i],
                amount: amounts[i],
                place: (parts[i], files[i].clone(), rows[i]),
            });
        }
        Ok(ids)
    }
}

/// A small money-flow graph of edges brought back: nodes numbered in the run graph's order
/// (accounts by number, then parties by key), rows in the run's row order, so that the Polars
/// search orders them as it orders the whole graph's.
struct Local {
    graph: graph::MoneyGraph,
    /// Each local row's transaction id.
    ids: Vec<String>,
    /// Each local node's label (node 0: none).
    labels: Vec<String>,
    /// Each node's key (`ext:id`, as [`SELECTED_VIEW`] writes it) by its identity.
    keys: BTreeMap<(i64, String), String>,
}

impl Local {
    fn new(edges: &BTreeMap<String, LocalEdge>) -> Self {
        let mut nodes: BTreeMap<(i64, String), String> = BTreeMap::new();
        for e in edges.values() {
            nodes.insert(e.from.clone(), e.from_label.clone());
            nodes.insert(e.to.clone(), e.to_label.clone());
        }
        let number: BTreeMap<&(i64, String), u32> = nodes
            .keys()
            .enumerate()
            .map(|(i, k)| (k, i as u32 + 1))
            .collect();
        let mut labels = vec![String::new()];
        labels.extend(nodes.values().cloned());
        let mut ordered: Vec<(&(i64, String, i64), &String, &LocalEdge)> =
            edges.iter().map(|(id, e)| (&e.place, id, e)).collect();
        ordered.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let mut builder = GraphBuilder::new(labels.len() as u32);
        let mut ids = Vec::with_capacity(ordered.len());
        for (row, (_, id, e)) in ordered.into_iter().enumerate() {
            builder.add(
                Party::Account(number[&e.from]),
                Party::Account(number[&e.to]),
                e.ts,
                e.amount,
                row as u32,
            );
            ids.push(id.clone());
        }
        let keys = nodes
            .keys()
            .map(|k| (k.clone(), format!("{}:{}", k.0, k.1)))
            .collect();
        Local {
            graph: builder.build(),
            ids,
            labels,
            keys,
        }
    }

    fn key_of(&self, node: &(i64, String)) -> &str {
        self.keys.get(node).map(String::as_str).unwrap_or_default()
    }

    /// The layers among the windows' edges (transaction ids), each as its transaction ids.
    fn layers(
        &self,
        windows: &BTreeMap<i64, Vec<String>>,
        search: &BipartiteSearch,
    ) -> Vec<Vec<String>> {
        let view = self.graph.view(None);
        let by_id: HashMap<&str, u32> = view
            .edges()
            .iter()
            .enumerate()
            .map(|(i, e)| (self.ids[e.row as usize].as_str(), i as u32))
            .collect();
        let tiles: Vec<Vec<u32>> = windows
            .values()
            .map(|ids| {
                let mut v: Vec<u32> = ids
                    .iter()
                    .filter_map(|id| by_id.get(id.as_str()).copied())
                    .collect();
                v.sort_unstable();
                v
            })
            .collect();
        bipartite::layers_in(&view, tiles, search)
            .into_iter()
            .map(|l| {
                l.into_iter()
                    .map(|i| self.ids[view.edge(i).row as usize].clone())
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_takes_the_first_window_then_the_first_past_it() {
        // windows at 1 (to 4), 2 (to 5), 4 (to 6), 6 (to 7): 1, then 4, then 6
        assert_eq!(walk(&[(1, 4), (2, 5), (4, 6), (6, 7)]), vec![1, 4, 6]);
        assert_eq!(walk(&[]), Vec::<i64>::new());
    }

    #[test]
    fn an_edge_is_in_every_window_that_holds_it() {
        let (klo, khi) = tile_range(4 * DAY);
        assert_eq!(
            khi,
            format!("(((ts_us) - pmod(ts_us, {s})) div {s})", s = 2 * DAY)
        );
        assert!(klo.starts_with(&format!("(-((({} - ts_us)", 4 * DAY)));
    }
}
