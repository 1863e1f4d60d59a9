//! The money-flow graph of a run and the graph rules' searches over it, in plain Rust.
//!
//! Nodes are parties: every account number of the run, and every counterparty without an account
//! (a payee at another bank known by name and country only), keyed by its normalised name and
//! country. Edges are the run's transactions between two parties, timed, weighted by their
//! base-currency amount (micros) and carrying their row number as evidence. The graph is built
//! once per run and shared by every graph rule; each rule then looks only at the edges its filter
//! selects (a row mask).
//!
//! Every search here is bounded so that a run stays near-linear in transactions: a time horizon,
//! a hop limit, a cap on the extensions tried from one starting transfer, and hub accounts (more
//! than a set number of transfers on one UTC day: payroll, merchants, money service businesses)
//! that a search neither starts at nor passes through. Results are sorted with total orders, so
//! they do not depend on the thread count.

use super::plan::{FanDirection, FlowShape, GraphLimits, Micros, PathMode, DAY};
use crate::watchlist::fast_hash::FastMap;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A node of the graph: an account key, or an external party after the accounts.
pub type Node = u32;

/// One transaction between two parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: Node,
    pub to: Node,
    /// UTC microseconds.
    pub ts: i64,
    /// Base-currency micros.
    pub amount: i64,
    /// Row number of the transaction in the run's frame.
    pub row: u32,
}

/// The run's money-flow graph.
#[derive(Debug, Default)]
pub struct MoneyGraph {
    /// Nodes below this are account keys (node 0 is "no account" and has no edges).
    account_nodes: u32,
    /// Labels of the external parties, node `account_nodes + i` for entry `i`.
    external_labels: Vec<String>,
    /// Every edge, in time order (then row).
    edges: Vec<Edge>,
    /// Per node, the most transfers (in and out) it made on one UTC day.
    busiest_day: Vec<u32>,
}

/// The key of a party without an account: its name in upper case with runs of anything but
/// letters and digits turned into one space, and its country (`"JOHN O BRIEN|GB"`).
pub fn party_key(name: &str, country: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len() + 4);
    for word in name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_uppercase));
    }
    if out.is_empty() {
        return None;
    }
    out.push('|');
    out.push_str(country.trim());
    Some(out)
}

/// One side of a transaction, as the graph builder sees it.
pub enum Party<'a> {
    /// An account, by its key (0: none).
    Account(u32),
    /// No account: the party's name and country.
    Named { name: &'a str, country: &'a str },
}

/// Builds a graph from transactions given side by side.
pub struct GraphBuilder<'a> {
    account_nodes: u32,
    external: FastMap<String, u32>,
    /// Each name and country as written, and its party (none: no name to key it by), so that
    /// a name repeated on many rows is normalised once.
    written: FastMap<(&'a str, &'a str), Option<u32>>,
    raw: Vec<(u32, bool, u32, bool, i64, i64, u32)>,
}

impl<'a> GraphBuilder<'a> {
    /// A builder for a run whose account keys are all below `account_nodes`.
    pub fn new(account_nodes: u32) -> Self {
        Self {
            account_nodes,
            external: FastMap::default(),
            written: FastMap::default(),
            raw: Vec::new(),
        }
    }

    fn side(&mut self, party: Party<'a>) -> Option<(u32, bool)> {
        match party {
            Party::Account(0) => None,
            Party::Account(k) => Some((k, false)),
            Party::Named { name, country } => {
                if let Some(known) = self.written.get(&(name, country)) {
                    return known.map(|id| (id, true));
                }
                let id = party_key(name, country).map(|key| {
                    let next = self.external.len() as u32;
                    *self.external.entry(key).or_insert(next)
                });
                self.written.insert((name, country), id);
                id.map(|id| (id, true))
            }
        }
    }

    /// Adds one transaction; one without two identifiable parties is left out.
    pub fn add(&mut self, from: Party<'a>, to: Party<'a>, ts: i64, amount: i64, row: u32) {
        if let (Some(f), Some(t)) = (self.side(from), self.side(to)) {
            self.raw.push((f.0, f.1, t.0, t.1, ts, amount, row));
        }
    }

    /// The graph: external parties numbered in the order of their keys, edges in time order.
    pub fn build(self) -> MoneyGraph {
        let mut keys: Vec<(String, u32)> = self.external.into_iter().collect();
        keys.sort_unstable();
        let mut renumber = vec![0u32; keys.len()];
        for (position, (_, provisional)) in keys.iter().enumerate() {
            renumber[*provisional as usize] = self.account_nodes + position as u32;
        }
        let node = |k: u32, external: bool| {
            if external {
                renumber[k as usize]
            } else {
                k
            }
        };
        let mut edges: Vec<Edge> = self
            .raw
            .into_iter()
            .map(|(f, fe, t, te, ts, amount, row)| Edge {
                from: node(f, fe),
                to: node(t, te),
                ts,
                amount,
                row,
            })
            .filter(|e| e.from != e.to)
            .collect();
        // rows usually come in time order already: then there is nothing to sort
        if !edges.is_sorted_by_key(|e| (e.ts, e.row)) {
            edges.par_sort_unstable_by_key(|e| (e.ts, e.row));
        }
        let node_count = self.account_nodes as usize + keys.len();
        // each node's largest number of transfers on one UTC day, in one pass over the edges
        // in time order (days only move forward)
        let mut busiest_day = vec![0u32; node_count];
        let mut today = vec![(i64::MIN, 0u32); node_count];
        for e in &edges {
            let day = e.ts.div_euclid(DAY);
            for node in [e.from, e.to] {
                let (d, n) = &mut today[node as usize];
                if *d != day {
                    (*d, *n) = (day, 0);
                }
                *n += 1;
                let best = &mut busiest_day[node as usize];
                *best = (*best).max(*n);
            }
        }
        MoneyGraph {
            account_nodes: self.account_nodes,
            external_labels: keys
                .into_iter()
                .map(|(k, _)| match k.split_once('|') {
                    Some((name, "")) => name.to_string(),
                    Some((name, country)) => format!("{name} ({country})"),
                    None => k,
                })
                .collect(),
            edges,
            busiest_day,
        }
    }
}

impl MoneyGraph {
    /// Every edge, in time order.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// Whether a node is an account (else an external party known by name and country).
    pub fn is_account(&self, node: Node) -> bool {
        node < self.account_nodes
    }

    /// An external node's label (`JOHN SMITH (US)`); `None` for an account node.
    pub fn external_label(&self, node: Node) -> Option<&str> {
        node.checked_sub(self.account_nodes)
            .and_then(|i| self.external_labels.get(i as usize))
            .map(String::as_str)
    }

    /// Whether a node is a hub under `limits` (more transfers than allowed on one UTC day).
    pub(crate) fn is_hub(&self, node: Node, limits: &GraphLimits) -> bool {
        self.busiest_day.get(node as usize).copied().unwrap_or(0) as usize
            > limits.max_transfers_per_day
    }

    /// The edges a rule selects, with adjacency by node, each list in time order.
    pub fn view(&self, selected: Option<&[bool]>) -> GraphView<'_> {
        let edges: Vec<Edge> = self
            .edges
            .iter()
            .filter(|e| selected.is_none_or(|m| m.get(e.row as usize).copied().unwrap_or(false)))
            .copied()
            .collect();
        let n = self.account_nodes as usize + self.external_labels.len() + 1;
        let csr = |key: &dyn Fn(&Edge) -> Node| -> (Vec<u32>, Vec<u32>) {
            let mut offsets = vec![0u32; n + 1];
            for e in &edges {
                offsets[key(e) as usize + 1] += 1;
            }
            for i in 0..n {
                offsets[i + 1] += offsets[i];
            }
            let mut fill = offsets.clone();
            let mut list = vec![0u32; edges.len()];
            // edges are in time order, so each node's list is too
            for (i, e) in edges.iter().enumerate() {
                let slot = &mut fill[key(e) as usize];
                list[*slot as usize] = i as u32;
                *slot += 1;
            }
            (offsets, list)
        };
        let (out_offsets, out_list) = csr(&|e| e.from);
        let (in_offsets, in_list) = csr(&|e| e.to);
        GraphView {
            graph: self,
            edges,
            out_offsets,
            out_list,
            in_offsets,
            in_list,
        }
    }
}

/// The edges one rule looks at, indexed by node.
pub struct GraphView<'g> {
    graph: &'g MoneyGraph,
    edges: Vec<Edge>,
    out_offsets: Vec<u32>,
    out_list: Vec<u32>,
    in_offsets: Vec<u32>,
    in_list: Vec<u32>,
}

/// A structure found: its subject node, time span, evidence rows (sorted), the nodes involved in
/// the order the alert lists them, and its facts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub subject: Node,
    pub start: i64,
    pub end: i64,
    pub rows: Vec<u32>,
    /// Every node of the structure in listing order: a path's nodes in order (a cycle's first
    /// node again at the end), a split's source, intermediaries (by node) and sink.
    pub nodes: Vec<Node>,
    /// Facts for the alert (`hops`, `moved_percent`, `reached`, …).
    pub facts: Vec<(&'static str, String)>,
}

impl<'g> GraphView<'g> {
    /// The graph this view selects from.
    pub(crate) fn graph(&self) -> &'g MoneyGraph {
        self.graph
    }

    /// A node's selected outgoing edges (indices into the view), in time order.
    pub(crate) fn out_of(&self, node: Node) -> &[u32] {
        let n = node as usize;
        match (self.out_offsets.get(n), self.out_offsets.get(n + 1)) {
            (Some(&a), Some(&b)) => &self.out_list[a as usize..b as usize],
            _ => &[],
        }
    }

    /// A node's selected incoming edges (indices into the view), in time order.
    pub(crate) fn in_of(&self, node: Node) -> &[u32] {
        let n = node as usize;
        match (self.in_offsets.get(n), self.in_offsets.get(n + 1)) {
            (Some(&a), Some(&b)) => &self.in_list[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The selected edges, in time order (an edge's index is its position here).
    pub(crate) fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The view's edge at an index.
    pub(crate) fn edge(&self, i: u32) -> &Edge {
        &self.edges[i as usize]
    }

    /// Nodes that pay at least one selected edge, in order.
    pub(crate) fn senders(&self) -> Vec<Node> {
        self.nodes_with(&self.out_offsets)
    }

    /// Nodes that have selected edges, in order.
    pub(crate) fn nodes_with(&self, offsets: &[u32]) -> Vec<Node> {
        (0..offsets.len().saturating_sub(1))
            .filter(|&n| offsets[n + 1] > offsets[n])
            .map(|n| n as Node)
            .collect()
    }
}

/// Limits of a temporal-path search.
#[derive(Debug, Clone, Copy)]
pub struct PathSearch {
    pub mode: PathMode,
    pub min_hops: usize,
    pub max_hops: usize,
    pub horizon: Micros,
    pub min_retained_basis_points: i64,
    pub max_growth_basis_points: i64,
    pub limits: GraphLimits,
}

impl PathSearch {
    /// Whether `next` may follow `prev` on a path: later, and carrying between the retained
    /// share and the previous amount plus the allowed growth (exact, in i128).
    fn follows(&self, prev: &Edge, next: &Edge) -> bool {
        next.ts > prev.ts
            && i128::from(next.amount) * 10_000
                >= i128::from(prev.amount) * i128::from(self.min_retained_basis_points)
            && i128::from(next.amount) * 10_000
                <= i128::from(prev.amount) * i128::from(10_000 + self.max_growth_basis_points)
    }
}

/// Temporal paths (cycles or chains). One result per path kept: paths are taken longest first
/// (then earliest), and a path whose transfers all belong to a path already kept is dropped,
/// so a chain is not reported again from each of its later hops.
pub fn temporal_paths(view: &GraphView<'_>, search: PathSearch) -> Vec<Found> {
    let paths: Vec<Vec<u32>> = (0..view.edges.len() as u32)
        .into_par_iter()
        .filter_map(|start| path_from(view, start, &search))
        .collect();
    covering_paths(paths, |i| view.edge(i).ts)
        .into_iter()
        .map(|path| {
            let first = *view.edge(path[0]);
            let last = *view.edge(*path.last().unwrap_or(&path[0]));
            let mut nodes: Vec<Node> = path.iter().map(|&i| view.edge(i).from).collect();
            nodes.push(last.to);
            let mut rows: Vec<u32> = path.iter().map(|&i| view.edge(i).row).collect();
            rows.sort_unstable();
            Found {
                subject: first.from,
                start: first.ts,
                end: last.ts,
                rows,
                nodes,
                facts: path_facts(path.len(), first.amount, last.amount),
            }
        })
        .collect()
}

/// The paths kept of those found, each a list of edges numbered in the view's order (time,
/// then row): longest first, then earliest first transfer, then by their edges; a path whose
/// transfers all belong to paths kept before it is dropped. Shared by both engines (the Spark
/// engine numbers the edges of the paths it brings back in the same order).
pub(crate) fn covering_paths(mut paths: Vec<Vec<u32>>, ts: impl Fn(u32) -> i64) -> Vec<Vec<u32>> {
    paths.sort_by(|a, b| {
        b.len()
            .cmp(&a.len())
            .then_with(|| ts(a[0]).cmp(&ts(b[0])))
            .then_with(|| a.cmp(b))
    });
    let mut covered: HashSet<u32> = HashSet::new();
    paths.retain(|path| {
        if path.iter().all(|i| covered.contains(i)) {
            return false;
        }
        covered.extend(path.iter().copied());
        true
    });
    paths
}

/// A temporal path's facts: its hops, the share of the first amount its last transfer carries
/// (whole percent, at most 100%) and that last amount.
pub(crate) fn path_facts(
    hops: usize,
    first_amount: i64,
    last_amount: i64,
) -> Vec<(&'static str, String)> {
    let percent = i128::from(last_amount) * 100 / i128::from(first_amount.max(1));
    vec![
        ("hops", hops.to_string()),
        ("moved_percent", format!("{}%", percent.min(100))),
        ("reached", crate::model::format_money_grouped(last_amount)),
    ]
}

/// The path search from one starting transfer: for a cycle, the first (depth-first,
/// earliest-first) path back to the origin; for a chain, the longest path found, only from a
/// transfer that no earlier selected transfer leads into (the head of a chain).
fn path_from(view: &GraphView<'_>, start: u32, search: &PathSearch) -> Option<Vec<u32>> {
    let g = view.graph;
    let first = *view.edge(start);
    let origin = first.from;
    if g.is_hub(origin, &search.limits) || g.is_hub(first.to, &search.limits) {
        return None;
    }
    if search.mode == PathMode::Chain {
        let leads_in = view.in_of(origin).iter().any(|&p| {
            let prev = view.edge(p);
            prev.ts >= first.ts - search.horizon
                && prev.from != first.to
                && search.follows(prev, &first)
        });
        if leads_in {
            return None;
        }
    }
    let deadline = first.ts + search.horizon;
    let mut state = Dfs {
        view,
        search,
        origin,
        deadline,
        expansions: 0,
        path: vec![start],
        best: Vec::new(),
        closes: false,
    };
    let done = state.extend();
    match search.mode {
        PathMode::Cycle => done.then_some(state.path),
        PathMode::Chain => {
            (!state.closes && state.best.len() >= search.min_hops).then_some(state.best)
        }
    }
}

struct Dfs<'a, 'g> {
    view: &'a GraphView<'g>,
    search: &'a PathSearch,
    origin: Node,
    deadline: i64,
    expansions: usize,
    path: Vec<u32>,
    best: Vec<u32>,
    closes: bool,
}

impl Dfs<'_, '_> {
    /// Extends the current path; `true` when the search is finished (a cycle closed, or a
    /// chain of `max_hops`).
    fn extend(&mut self) -> bool {
        let last = *self.view.edge(*self.path.last().unwrap_or(&0));
        if self.search.mode == PathMode::Chain && self.path.len() > self.best.len() {
            self.best = self.path.clone();
            if self.path.len() >= self.search.max_hops {
                return true;
            }
        }
        let g = self.view.graph;
        let candidates = self.view.out_of(last.to);
        let from = candidates.partition_point(|&i| self.view.edge(i).ts <= last.ts);
        for &next in &candidates[from..] {
            let e = *self.view.edge(next);
            if e.ts > self.deadline {
                break;
            }
            self.expansions += 1;
            if self.expansions > self.search.limits.max_expansions_per_start {
                return self.search.mode == PathMode::Chain;
            }
            if !self.search.follows(&last, &e) {
                continue;
            }
            let hops = self.path.len() + 1;
            if e.to == self.origin {
                match self.search.mode {
                    PathMode::Cycle if hops >= self.search.min_hops => {
                        self.path.push(next);
                        return true;
                    }
                    PathMode::Cycle => continue,
                    // a chain that returns to its start is a cycle, left to the cycle rules
                    PathMode::Chain => {
                        self.closes = true;
                        return true;
                    }
                }
            }
            let revisits = self.path.iter().any(|&p| self.view.edge(p).from == e.to);
            let room = match self.search.mode {
                PathMode::Cycle => hops < self.search.max_hops,
                PathMode::Chain => hops <= self.search.max_hops,
            };
            // a chain may end at a hub, but never passes through one
            let through_hub = g.is_hub(e.to, &self.search.limits)
                && (self.search.mode == PathMode::Cycle || hops < self.search.max_hops);
            if revisits || !room {
                continue;
            }
            if through_hub {
                if self.search.mode == PathMode::Chain && hops > self.best.len() {
                    self.path.push(next);
                    self.best = self.path.clone();
                    self.path.pop();
                }
                continue;
            }
            self.path.push(next);
            if self.extend() {
                return true;
            }
            self.path.pop();
        }
        false
    }
}

/// Limits of a scatter-gather or gather-scatter search.
#[derive(Debug, Clone, Copy)]
pub struct SplitSearch {
    pub shape: FlowShape,
    pub min_intermediaries: usize,
    pub window: Micros,
    pub horizon: Micros,
    pub min_forwarded_basis_points: i64,
    pub limits: GraphLimits,
}

/// Scatter-gather or gather-scatter structures, one per episode of a subject (a window that
/// forms one is not searched again).
pub fn split_merge(view: &GraphView<'_>, search: SplitSearch) -> Vec<Found> {
    let subjects = match search.shape {
        FlowShape::ScatterGather => view.nodes_with(&view.out_offsets),
        FlowShape::GatherScatter => view.nodes_with(&view.in_offsets),
    };
    let mut found: Vec<Found> = subjects
        .into_par_iter()
        .filter(|&n| !view.graph.is_hub(n, &search.limits))
        .flat_map_iter(|n| match search.shape {
            FlowShape::ScatterGather => scatter_gather_of(view, n, &search),
            FlowShape::GatherScatter => gather_scatter_of(view, n, &search),
        })
        .collect();
    found.sort();
    found
}

/// Slides a window over `list` (edge indices in time order); at each start whose window holds at
/// least `min` distinct other-side nodes, `try_at(range)` may find a structure, after which the
/// slide moves past the window.
fn slide(
    view: &GraphView<'_>,
    list: &[u32],
    window: Micros,
    min: usize,
    other: impl Fn(&Edge) -> Node,
    mut try_at: impl FnMut(std::ops::Range<usize>) -> Option<Found>,
) -> Vec<Found> {
    let mut out = Vec::new();
    let mut counts: HashMap<Node, u32> = HashMap::new();
    let (mut lo, mut hi) = (0usize, 0usize);
    while lo < list.len() {
        let limit = view.edge(list[lo]).ts + window;
        while hi < list.len() && view.edge(list[hi]).ts <= limit {
            *counts.entry(other(view.edge(list[hi]))).or_default() += 1;
            hi += 1;
        }
        let mut next = lo + 1;
        if counts.len() >= min {
            if let Some(f) = try_at(lo..hi) {
                out.push(f);
                next = hi;
            }
        }
        while lo < next {
            let key = other(view.edge(list[lo]));
            if let Some(c) = counts.get_mut(&key) {
                *c -= 1;
                if *c == 0 {
                    counts.remove(&key);
                }
            }
            lo += 1;
        }
        if hi < lo {
            hi = lo;
            counts.clear();
        }
    }
    out
}

pub(crate) fn money(v: i128) -> String {
    crate::model::format_money_grouped(v)
}

fn scatter_gather_of(view: &GraphView<'_>, source: Node, search: &SplitSearch) -> Vec<Found> {
    let g = view.graph;
    let list = view.out_of(source);
    slide(
        view,
        list,
        search.window,
        search.min_intermediaries,
        |e| e.to,
        |range| {
            // what each intermediary received from the source in the window, and when first
            let mut received: BTreeMap<Node, (i128, i64, Vec<u32>)> = BTreeMap::new();
            for &i in &list[range] {
                let e = view.edge(i);
                if g.is_hub(e.to, &search.limits) {
                    continue;
                }
                let slot = received.entry(e.to).or_insert((0, e.ts, Vec::new()));
                slot.0 += i128::from(e.amount);
                slot.2.push(e.row);
            }
            // per sink: the intermediaries that forwarded to it, and how much (at most what each
            // received)
            let mut sinks: BTreeMap<Node, Vec<(Node, i128, Vec<u32>)>> = BTreeMap::new();
            for (&mid, (got, first, _)) in &received {
                let mut per_sink: BTreeMap<Node, (i128, Vec<u32>)> = BTreeMap::new();
                for &i in view.out_of(mid) {
                    let e = view.edge(i);
                    if e.ts <= *first || e.to == source {
                        continue;
                    }
                    if e.ts > first + search.horizon {
                        break;
                    }
                    let slot = per_sink.entry(e.to).or_default();
                    slot.0 += i128::from(e.amount);
                    slot.1.push(e.row);
                }
                for (sink, (sent, rows)) in per_sink {
                    sinks
                        .entry(sink)
                        .or_default()
                        .push((mid, sent.min(*got), rows));
                }
            }
            let (sink, mids) = sinks
                .into_iter()
                .filter(|(_, mids)| mids.len() >= search.min_intermediaries)
                .max_by(|a, b| {
                    let moved = |m: &[(Node, i128, Vec<u32>)]| m.iter().map(|x| x.1).sum::<i128>();
                    (a.1.len(), moved(&a.1), std::cmp::Reverse(a.0)).cmp(&(
                        b.1.len(),
                        moved(&b.1),
                        std::cmp::Reverse(b.0),
                    ))
                })?;
            let sent: i128 = mids.iter().map(|(m, _, _)| received[m].0).sum();
            let moved: i128 = mids.iter().map(|(_, f, _)| *f).sum();
            if moved * 10_000 < sent * i128::from(search.min_forwarded_basis_points) {
                return None;
            }
            let mut rows: Vec<u32> = Vec::new();
            for (mid, _, forwarded) in &mids {
                rows.extend(&received[mid].2);
                rows.extend(forwarded);
            }
            Some(found_of(
                view,
                source,
                rows,
                {
                    let mut nodes = vec![source];
                    nodes.extend(mids.iter().map(|m| m.0));
                    nodes.push(sink);
                    nodes
                },
                mids.len(),
                sent,
                moved,
            ))
        },
    )
}

fn gather_scatter_of(view: &GraphView<'_>, hub: Node, search: &SplitSearch) -> Vec<Found> {
    let list = view.in_of(hub);
    slide(
        view,
        list,
        search.window,
        search.min_intermediaries,
        |e| e.from,
        |range| {
            let ins = &list[range];
            let first = view.edge(ins[0]).ts;
            let last_in = view.edge(ins[ins.len() - 1]).ts;
            let gathered: i128 = ins.iter().map(|&i| i128::from(view.edge(i).amount)).sum();
            let senders: BTreeMap<Node, ()> =
                ins.iter().map(|&i| (view.edge(i).from, ())).collect();
            let mut recipients: BTreeMap<Node, ()> = BTreeMap::new();
            let mut rows: Vec<u32> = ins.iter().map(|&i| view.edge(i).row).collect();
            let mut paid = 0i128;
            for &i in view.out_of(hub) {
                let e = view.edge(i);
                if e.ts <= first {
                    continue;
                }
                if e.ts > last_in + search.horizon {
                    break;
                }
                recipients.insert(e.to, ());
                rows.push(e.row);
                paid += i128::from(e.amount);
            }
            if recipients.len() < search.min_intermediaries
                || paid * 10_000 < gathered * i128::from(search.min_forwarded_basis_points)
            {
                return None;
            }
            let mut nodes: Vec<Node> = senders.keys().copied().collect();
            nodes.push(hub);
            nodes.extend(recipients.keys().copied());
            let moved = paid.min(gathered);
            let mut f = found_of(view, hub, rows, nodes, senders.len(), gathered, moved);
            f.facts.push(("recipients", recipients.len().to_string()));
            Some(f)
        },
    )
}

fn found_of(
    view: &GraphView<'_>,
    subject: Node,
    mut rows: Vec<u32>,
    nodes: Vec<Node>,
    intermediaries: usize,
    sent: i128,
    moved: i128,
) -> Found {
    rows.sort_unstable();
    rows.dedup();
    let times: Vec<i64> = view
        .edges
        .iter()
        .filter(|e| rows.binary_search(&e.row).is_ok())
        .map(|e| e.ts)
        .collect();
    Found {
        subject,
        start: times.iter().copied().min().unwrap_or(0),
        end: times.iter().copied().max().unwrap_or(0),
        rows,
        nodes,
        facts: split_facts(intermediaries, sent, moved),
    }
}

/// The facts of a scatter-gather or gather-scatter structure: its intermediaries (or senders),
/// the money sent in, the money that reached the far side and its share in whole percent
/// (shared with the Spark engine, which finds the same structures on a cluster).
pub fn split_facts(intermediaries: usize, sent: i128, moved: i128) -> Vec<(&'static str, String)> {
    let percent = if sent > 0 { moved * 100 / sent } else { 0 };
    vec![
        ("intermediaries", intermediaries.to_string()),
        ("inflow", money(sent)),
        ("reached", money(moved)),
        ("moved_percent", format!("{}%", percent.min(100))),
    ]
}

/// Fans: windows of `window` in which an account has at least `min_counterparties` distinct
/// counterparties on one side; overlapping qualifying windows make one result.
pub fn party_fans(
    view: &GraphView<'_>,
    direction: FanDirection,
    window: Micros,
    min_counterparties: usize,
) -> Vec<Found> {
    let g = view.graph;
    let (offsets, other): (&[u32], fn(&Edge) -> Node) = match direction {
        FanDirection::In => (&view.in_offsets, |e| e.from),
        FanDirection::Out => (&view.out_offsets, |e| e.to),
    };
    let subjects: Vec<Node> = view
        .nodes_with(offsets)
        .into_iter()
        .filter(|&n| g.is_account(n))
        .collect();
    let mut found: Vec<Found> = subjects
        .into_par_iter()
        .flat_map_iter(|n| {
            let list = match direction {
                FanDirection::In => view.in_of(n),
                FanDirection::Out => view.out_of(n),
            };
            let mut out = Vec::new();
            let mut counts: HashMap<Node, u32> = HashMap::new();
            let mut lo = 0usize;
            // the current episode: edge positions [from, to)
            let mut episode: Option<(usize, usize)> = None;
            for hi in 0..list.len() {
                let t = view.edge(list[hi]).ts;
                *counts.entry(other(view.edge(list[hi]))).or_default() += 1;
                while view.edge(list[lo]).ts < t - window {
                    let key = other(view.edge(list[lo]));
                    if let Some(c) = counts.get_mut(&key) {
                        *c -= 1;
                        if *c == 0 {
                            counts.remove(&key);
                        }
                    }
                    lo += 1;
                }
                if counts.len() >= min_counterparties {
                    episode = match episode {
                        Some((from, to)) if lo < to => Some((from, hi + 1)),
                        Some(done) => {
                            out.push(fan_found(view, n, &list[done.0..done.1], other));
                            Some((lo, hi + 1))
                        }
                        None => Some((lo, hi + 1)),
                    };
                }
            }
            if let Some((from, to)) = episode {
                out.push(fan_found(view, n, &list[from..to], other));
            }
            out
        })
        .collect();
    found.sort();
    found
}

fn fan_found(view: &GraphView<'_>, subject: Node, list: &[u32], other: fn(&Edge) -> Node) -> Found {
    let parties: std::collections::BTreeSet<Node> =
        list.iter().map(|&i| other(view.edge(i))).collect();
    let unbanked = parties
        .iter()
        .filter(|&&p| !view.graph.is_account(p))
        .count();
    let total: i128 = list.iter().map(|&i| i128::from(view.edge(i).amount)).sum();
    let mut rows: Vec<u32> = list.iter().map(|&i| view.edge(i).row).collect();
    rows.sort_unstable();
    let mut nodes = vec![subject];
    nodes.extend(parties.iter().copied());
    Found {
        subject,
        start: view.edge(list[0]).ts,
        end: view.edge(list[list.len() - 1]).ts,
        rows,
        nodes,
        facts: vec![
            ("counterparties", parties.len().to_string()),
            ("unbanked_counterparties", unbanked.to_string()),
            ("reached", money(total)),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(u32, u32, i64, i64)]) -> MoneyGraph {
        let mut b = GraphBuilder::new(100);
        for (row, &(f, t, day, amount)) in edges.iter().enumerate() {
            b.add(
                Party::Account(f),
                Party::Account(t),
                day * DAY,
                amount,
                row as u32,
            );
        }
        b.build()
    }

    fn search(mode: PathMode, min_hops: usize) -> PathSearch {
        PathSearch {
            mode,
            min_hops,
            max_hops: 8,
            horizon: 30 * DAY,
            min_retained_basis_points: 9_000,
            max_growth_basis_points: 0,
            limits: GraphLimits::DEFAULT,
        }
    }

    #[test]
    fn a_cycle_with_fees_is_found_once_and_a_broken_one_is_not() {
        let g = graph(&[
            (1, 2, 0, 1000),
            (2, 3, 2, 970),
            (3, 4, 9, 950),
            (4, 1, 20, 930),
            // 5 -> 6 -> 5 loses 20% on the way back
            (5, 6, 0, 1000),
            (6, 5, 1, 800),
        ]);
        let found = temporal_paths(&g.view(None), search(PathMode::Cycle, 2));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].nodes, vec![1, 2, 3, 4, 1]);
        assert_eq!(found[0].rows, vec![0, 1, 2, 3]);
        assert!(found[0].facts.contains(&("moved_percent", "93%".into())));
    }

    #[test]
    fn a_chain_is_reported_once_from_its_head() {
        let g = graph(&[
            (1, 2, 0, 1000),
            (2, 3, 1, 980),
            (3, 4, 2, 960),
            (4, 5, 3, 940),
            (5, 6, 4, 920),
        ]);
        let found = temporal_paths(&g.view(None), search(PathMode::Chain, 4));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].nodes, vec![1, 2, 3, 4, 5, 6]);
        let short = graph(&[(1, 2, 0, 1000), (2, 3, 1, 980), (3, 4, 2, 960)]);
        assert!(temporal_paths(&short.view(None), search(PathMode::Chain, 4)).is_empty());
    }

    #[test]
    fn hubs_are_not_passed_through() {
        let mut edges = vec![(1, 2, 0, 1000), (2, 3, 1, 990), (3, 1, 2, 980)];
        // account 2 makes 60 small payments on day 5
        edges.extend((0..60).map(|k| (2, 10 + k as u32, 5, 10)));
        let g = graph(&edges);
        assert!(temporal_paths(&g.view(None), search(PathMode::Cycle, 2)).is_empty());
    }

    #[test]
    fn scatter_gather_names_every_account_and_gather_scatter_mirrors_it() {
        let mut edges = Vec::new();
        for k in 0..4u32 {
            edges.push((1, 10 + k, 0, 1000));
            edges.push((10 + k, 20, 3, 960));
        }
        let g = graph(&edges);
        let s = SplitSearch {
            shape: FlowShape::ScatterGather,
            min_intermediaries: 4,
            window: 2 * DAY,
            horizon: 10 * DAY,
            min_forwarded_basis_points: 9_000,
            limits: GraphLimits::DEFAULT,
        };
        let found = split_merge(&g.view(None), s);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].nodes, vec![1, 10, 11, 12, 13, 20]);
        assert!(found[0].facts.contains(&("moved_percent", "96%".into())));
        let five = SplitSearch {
            min_intermediaries: 5,
            ..s
        };
        assert!(split_merge(&g.view(None), five).is_empty());
        let mut mirror = Vec::new();
        for k in 0..4u32 {
            mirror.push((10 + k, 1, 0, 1000));
            mirror.push((1, 20 + k, 3, 960));
        }
        let g = graph(&mirror);
        let gs = SplitSearch {
            shape: FlowShape::GatherScatter,
            ..s
        };
        let found = split_merge(&g.view(None), gs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].subject, 1);
        assert_eq!(found[0].nodes.len(), 9);
    }

    #[test]
    fn fans_count_unbanked_parties_by_name_and_country() {
        let mut b = GraphBuilder::new(10);
        let names = ["Ann Lee", "ANN  LEE", "Bo Chen", "Ann Lee"];
        let countries = ["US", "US", "US", "GB"];
        for (k, (name, country)) in names.iter().zip(countries).enumerate() {
            b.add(
                Party::Account(1),
                Party::Named { name, country },
                k as i64 * 7 * DAY,
                5_000,
                k as u32,
            );
        }
        let g = b.build();
        let view = g.view(None);
        let three = party_fans(&view, FanDirection::Out, 28 * DAY, 3);
        assert_eq!(three.len(), 1);
        assert!(three[0].facts.contains(&("counterparties", "3".into())));
        assert!(party_fans(&view, FanDirection::Out, 28 * DAY, 4).is_empty());
        assert_eq!(g.external_label(10), Some("ANN LEE (GB)"));
    }
}
