//! Bipartite and stacked-bipartite layering over the money-flow graph (IBM AMLworld's
//! "bipartite" and "stacked bipartite" patterns).
//!
//! A **layer** is a many-to-many set of payments: senders each paying several of a set of
//! recipients, each recipient paid by several of the senders. Within one window of time the
//! selected transfers between non-hub parties are taken as a bipartite graph (a party's paying
//! side and its receiving side are separate vertices) and peeled like a k-core: a sender paying
//! fewer than `min_links` distinct remaining recipients is removed, and so is a recipient paid by
//! fewer than `min_links` distinct remaining senders, until every party left meets the bar.
//! Each connected component of what remains with at least `min_senders` senders, at least
//! `min_recipients` recipients and at most `max_accounts` accounts is a layer. A one-to-many
//! star (payroll, a customer paying suppliers) or a many-to-one collection peels away entirely.
//!
//! **Windows.** Windows of `window` start every half window on a fixed grid (multiples of half
//! the window since the Unix epoch), each closed at both ends, so a layer whose transfers span at
//! most half a window always lies whole in one, one spanning up to a whole window may, and no
//! layer spans more than a window within one. Layers found in overlapping windows that share a
//! transfer are merged into one episode (the union of two cores is a core).
//!
//! A **stack** (two layers) is a layer whose recipients then pay a second layer: their transfers
//! after their first receipt in the layer and within `horizon` of their last one, to parties
//! outside the first layer, peeled the same way with the first layer's recipients as the only
//! possible senders; the recipients that pay on (the intermediaries) must pass on at least
//! `min_forwarded_basis_points` of what they received in the first layer (each counted at most
//! up to what it received).
//!
//! **Bounds.** Hubs (more than `max_transfers_per_day` transfers on one UTC day) are never
//! senders, recipients or intermediaries. Each transfer lies in at most three windows and the
//! peeling is linear in a window's transfers after sorting its links, so the layer search is
//! `O(n log n)` in selected transfers. The second-layer search reads, for each of at most
//! `max_accounts` recipients of a layer, its transfers within the horizon, fewer than
//! `max_transfers_per_day` a day. Results are sorted, so they depend neither on the thread count
//! nor on the order of the input rows.

use super::graph::{Found, GraphView, Node};
use super::plan::{GraphLimits, Micros};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Limits of a bipartite search (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct BipartiteSearch {
    /// 1: one layer; 2: a layer whose recipients pay a second layer.
    pub layers: u8,
    pub min_senders: usize,
    pub min_recipients: usize,
    /// Distinct counterparties each sender pays and each recipient is paid by, within a layer.
    pub min_links: usize,
    pub window: Micros,
    /// For a stack: how long after its last receipt an intermediary may pay on.
    pub horizon: Micros,
    /// For a stack: the share of what the intermediaries received that they must pay on.
    pub min_forwarded_basis_points: i64,
    /// The most accounts (senders and recipients) a layer found in one window may have: a larger
    /// component is a community of ordinary trade, not a layer, and is not reported.
    pub max_accounts: usize,
    pub limits: GraphLimits,
}

/// A layered structure: the structure found and the sizes of the consecutive groups of its
/// `nodes` (senders and recipients; for a stack senders, the first layer's recipients and the
/// second layer's recipients).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Layered {
    pub found: Found,
    pub groups: Vec<usize>,
}

/// Bipartite layers (`layers = 1`) or stacks of two (`layers = 2`), sorted.
pub fn bipartite(view: &GraphView<'_>, search: BipartiteSearch) -> Vec<Layered> {
    let layers = layers(view, &search);
    layered(view, layers, &search)
}

/// The structures on `layers` (each its edges, view indices in time order): each layer itself
/// (`layers = 1`) or the stack on it, sorted. Shared with the Spark engine, which finds the
/// layers' candidate edges on a cluster and runs this search on them.
pub fn layered(
    view: &GraphView<'_>,
    layers: Vec<Vec<u32>>,
    search: &BipartiteSearch,
) -> Vec<Layered> {
    let search = *search;
    let mut out: Vec<Layered> = if search.layers >= 2 {
        layers
            .par_iter()
            .filter_map(|layer| stack_on(view, layer, &search))
            .collect()
    } else {
        layers.iter().map(|l| layer_found(view, l)).collect()
    };
    out.sort();
    out
}

/// The single layers, merged across overlapping windows; each is its edges (view indices, in
/// time order).
fn layers(view: &GraphView<'_>, search: &BipartiteSearch) -> Vec<Vec<u32>> {
    let g = view.graph();
    let eligible: Vec<u32> = view
        .edges()
        .iter()
        .enumerate()
        .filter(|(_, e)| !g.is_hub(e.from, &search.limits) && !g.is_hub(e.to, &search.limits))
        .map(|(i, _)| i as u32)
        .collect();
    let tiles = tiles(view, &eligible, search.window);
    let least = search.min_senders * search.min_links;
    let windows: Vec<Vec<u32>> = tiles
        .into_iter()
        .filter(|(lo, hi)| hi - lo >= least)
        .map(|(lo, hi)| eligible[lo..hi].to_vec())
        .collect();
    layers_in(view, windows, search)
}

/// The layers in `windows` (each a window's eligible edges, view indices in time order): the
/// cores of each, merged across windows when they share a transfer.
pub fn layers_in(
    view: &GraphView<'_>,
    windows: Vec<Vec<u32>>,
    search: &BipartiteSearch,
) -> Vec<Vec<u32>> {
    let candidates: Vec<Vec<u32>> = windows
        .into_par_iter()
        .flat_map_iter(|edges| cores(view, &edges, search))
        .collect();
    merge(candidates)
}

/// The windows over `eligible` (edge indices in time order) as index ranges: windows
/// `[k * stride, k * stride + window]` with `stride` half the window, empty ones skipped and a
/// window holding the same transfers as the previous one dropped.
fn tiles(view: &GraphView<'_>, eligible: &[u32], window: Micros) -> Vec<(usize, usize)> {
    let window = window.max(1);
    let stride = (window / 2).max(1);
    let ts = |p: usize| view.edge(eligible[p]).ts;
    let n = eligible.len();
    let mut out: Vec<(usize, usize)> = Vec::new();
    if n == 0 {
        return out;
    }
    // the first window holding the first transfer
    let mut k = (ts(0) - window + stride - 1).div_euclid(stride);
    let (mut lo, mut hi) = (0usize, 0usize);
    loop {
        let start = k * stride;
        while lo < n && ts(lo) < start {
            lo += 1;
        }
        if lo == n {
            break;
        }
        let end = start + window;
        if ts(lo) > end {
            // jump to the first window holding the next transfer
            k = (ts(lo) - window + stride - 1).div_euclid(stride);
            continue;
        }
        hi = hi.max(lo);
        while hi < n && ts(hi) <= end {
            hi += 1;
        }
        if out.last() != Some(&(lo, hi)) {
            out.push((lo, hi));
        }
        k += 1;
    }
    out
}

/// The many-to-many cores among `edges` (view indices in time order): each connected component
/// left after peeling that has enough senders and recipients and not too many accounts, as its
/// edges in time order.
fn cores(view: &GraphView<'_>, edges: &[u32], search: &BipartiteSearch) -> Vec<Vec<u32>> {
    let mut links: Vec<(Node, Node)> = edges
        .iter()
        .map(|&i| {
            let e = view.edge(i);
            (e.from, e.to)
        })
        .collect();
    links.sort_unstable();
    links.dedup();
    let mut senders: Vec<Node> = links.iter().map(|l| l.0).collect();
    senders.dedup();
    let mut recipients: Vec<Node> = links.iter().map(|l| l.1).collect();
    recipients.sort_unstable();
    recipients.dedup();
    let ns = senders.len();
    let vertices = ns + recipients.len();
    // a sender is vertex i, a recipient ns + j
    let sender = |n: Node| senders.binary_search(&n).ok();
    let recipient = |n: Node| recipients.binary_search(&n).ok().map(|j| ns + j);
    let ends: Vec<(usize, usize)> = links
        .iter()
        .filter_map(|&(f, t)| Some((sender(f)?, recipient(t)?)))
        .collect();
    let mut adjacent: Vec<Vec<usize>> = vec![Vec::new(); vertices];
    for (k, &(a, b)) in ends.iter().enumerate() {
        adjacent[a].push(k);
        adjacent[b].push(k);
    }
    // peel: a vertex below the bar is removed with its links, which may bring others below it
    let mut degree: Vec<usize> = adjacent.iter().map(Vec::len).collect();
    let mut removed: Vec<bool> = degree.iter().map(|&d| d < search.min_links).collect();
    let mut queue: Vec<usize> = (0..vertices).filter(|&v| removed[v]).collect();
    let mut live = vec![true; ends.len()];
    while let Some(v) = queue.pop() {
        for &k in &adjacent[v] {
            if !live[k] {
                continue;
            }
            live[k] = false;
            let (a, b) = ends[k];
            let other = if a == v { b } else { a };
            degree[other] -= 1;
            if !removed[other] && degree[other] < search.min_links {
                removed[other] = true;
                queue.push(other);
            }
        }
    }
    // connected components of what is left
    let mut parent: Vec<usize> = (0..vertices).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (k, &(a, b)) in ends.iter().enumerate() {
        if live[k] {
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut sizes: HashMap<usize, (usize, usize)> = HashMap::new();
    for v in (0..vertices).filter(|&v| !removed[v]) {
        let slot = sizes.entry(root(&mut parent, v)).or_default();
        if v < ns {
            slot.0 += 1;
        } else {
            slot.1 += 1;
        }
    }
    let mut found: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    for &i in edges {
        let e = view.edge(i);
        let (Some(a), Some(b)) = (sender(e.from), recipient(e.to)) else {
            continue;
        };
        // both ends kept: their link is kept
        if removed[a] || removed[b] {
            continue;
        }
        let r = root(&mut parent, a);
        let (s, t) = sizes.get(&r).copied().unwrap_or_default();
        if s >= search.min_senders && t >= search.min_recipients && s + t <= search.max_accounts {
            found.entry(r).or_default().push(i);
        }
    }
    found.into_values().collect()
}

/// Merges candidate layers that share a transfer; each result sorted (time order).
fn merge(candidates: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
    let mut parent: Vec<usize> = (0..candidates.len()).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut owner: HashMap<u32, usize> = HashMap::new();
    for (c, edges) in candidates.iter().enumerate() {
        for &i in edges {
            if let Some(&o) = owner.get(&i) {
                let (ra, rb) = (root(&mut parent, c), root(&mut parent, o));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            } else {
                owner.insert(i, c);
            }
        }
    }
    let mut merged: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    for (c, edges) in candidates.into_iter().enumerate() {
        merged
            .entry(root(&mut parent, c))
            .or_default()
            .extend(edges);
    }
    let mut out: Vec<Vec<u32>> = merged
        .into_values()
        .map(|mut e| {
            e.sort_unstable();
            e.dedup();
            e
        })
        .collect();
    out.sort();
    out
}

/// A layer's senders in the order of their first payment and its recipients in the order of
/// their first receipt (ties by node, which orders accounts by number).
fn sides(view: &GraphView<'_>, edges: &[u32]) -> (Vec<Node>, Vec<Node>) {
    let mut first_out: BTreeMap<Node, i64> = BTreeMap::new();
    let mut first_in: BTreeMap<Node, i64> = BTreeMap::new();
    for &i in edges {
        let e = view.edge(i);
        first_out.entry(e.from).or_insert(e.ts);
        first_in.entry(e.to).or_insert(e.ts);
    }
    let ordered = |m: BTreeMap<Node, i64>| {
        let mut v: Vec<(i64, Node)> = m.into_iter().map(|(n, t)| (t, n)).collect();
        v.sort_unstable();
        v.into_iter().map(|(_, n)| n).collect::<Vec<Node>>()
    };
    (ordered(first_out), ordered(first_in))
}

fn money(v: i128) -> String {
    crate::model::format_money_grouped(v)
}

/// The rows, first and last time of some edges.
fn evidence(view: &GraphView<'_>, edges: &[u32]) -> (Vec<u32>, i64, i64) {
    let mut rows: Vec<u32> = edges.iter().map(|&i| view.edge(i).row).collect();
    rows.sort_unstable();
    rows.dedup();
    let times = edges.iter().map(|&i| view.edge(i).ts);
    let start = times.clone().min().unwrap_or(0);
    let end = times.max().unwrap_or(0);
    (rows, start, end)
}

fn layer_found(view: &GraphView<'_>, edges: &[u32]) -> Layered {
    let (senders, recipients) = sides(view, edges);
    let links: BTreeSet<(Node, Node)> = edges
        .iter()
        .map(|&i| (view.edge(i).from, view.edge(i).to))
        .collect();
    let total: i128 = edges.iter().map(|&i| i128::from(view.edge(i).amount)).sum();
    let (rows, start, end) = evidence(view, edges);
    let groups = vec![senders.len(), recipients.len()];
    let facts = vec![
        ("senders", senders.len().to_string()),
        ("recipients", recipients.len().to_string()),
        ("links", links.len().to_string()),
        ("reached", money(total)),
    ];
    let mut nodes = senders;
    nodes.extend(recipients);
    Layered {
        found: Found {
            subject: nodes[0],
            start,
            end,
            rows,
            nodes,
            facts,
        },
        groups,
    }
}

/// The stack on a layer: its recipients paying a second layer, or `None`.
fn stack_on(view: &GraphView<'_>, layer: &[u32], search: &BipartiteSearch) -> Option<Layered> {
    let g = view.graph();
    let (senders, recipients) = sides(view, layer);
    let members: BTreeSet<Node> = senders.iter().chain(&recipients).copied().collect();
    // per recipient: received, first and last receipt
    let mut received: BTreeMap<Node, (i128, i64, i64)> = BTreeMap::new();
    for &i in layer {
        let e = view.edge(i);
        let slot = received.entry(e.to).or_insert((0, e.ts, e.ts));
        slot.0 += i128::from(e.amount);
        slot.2 = e.ts;
    }
    let mut onward: Vec<u32> = Vec::new();
    for (&r, &(_, first, last)) in &received {
        let list = view.out_of(r);
        let from = list.partition_point(|&i| view.edge(i).ts <= first);
        for &i in &list[from..] {
            let e = view.edge(i);
            if e.ts > last + search.horizon {
                break;
            }
            if members.contains(&e.to) || g.is_hub(e.to, &search.limits) {
                continue;
            }
            onward.push(i);
        }
    }
    onward.sort_unstable();
    let second: Vec<u32> = {
        let mut s: Vec<u32> = cores(view, &onward, search).concat();
        s.sort_unstable();
        s
    };
    if second.is_empty() {
        return None;
    }
    let (middles, last) = sides(view, &second);
    let mut sent: BTreeMap<Node, i128> = BTreeMap::new();
    for &i in &second {
        let e = view.edge(i);
        *sent.entry(e.from).or_default() += i128::from(e.amount);
    }
    let inflow: i128 = middles.iter().map(|m| received[m].0).sum();
    let forwarded: i128 = middles.iter().map(|m| sent[m].min(received[m].0)).sum();
    if inflow <= 0 || forwarded * 10_000 < inflow * i128::from(search.min_forwarded_basis_points) {
        return None;
    }
    let all: Vec<u32> = layer.iter().chain(&second).copied().collect();
    let (rows, start, end) = evidence(view, &all);
    let groups = vec![senders.len(), recipients.len(), last.len()];
    let facts = vec![
        ("senders", senders.len().to_string()),
        ("intermediaries", middles.len().to_string()),
        ("recipients", last.len().to_string()),
        ("inflow", money(inflow)),
        ("reached", money(forwarded)),
        (
            "moved_percent",
            format!("{}%", (forwarded * 100 / inflow).min(100)),
        ),
    ];
    let mut nodes = senders;
    nodes.extend(recipients);
    nodes.extend(last);
    Some(Layered {
        found: Found {
            subject: nodes[0],
            start,
            end,
            rows,
            nodes,
            facts,
        },
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::graph::{GraphBuilder, MoneyGraph, Party};
    use crate::rules::plan::DAY;

    fn graph(edges: &[(u32, u32, i64, i64)]) -> MoneyGraph {
        let mut b = GraphBuilder::new(1000);
        for (row, &(f, t, hour, amount)) in edges.iter().enumerate() {
            b.add(
                Party::Account(f),
                Party::Account(t),
                hour * DAY / 24,
                amount * 1_000_000,
                row as u32,
            );
        }
        b.build()
    }

    fn search(layers: u8) -> BipartiteSearch {
        BipartiteSearch {
            layers,
            min_senders: 3,
            min_recipients: 3,
            min_links: 2,
            window: 14 * DAY,
            horizon: 14 * DAY,
            min_forwarded_basis_points: 8_000,
            max_accounts: 40,
            limits: GraphLimits::DEFAULT,
        }
    }

    /// Senders 1, 2, 3 each pay two of 11, 12, 13 (a six-cycle), from `hour` on.
    fn layer(out: &mut Vec<(u32, u32, i64, i64)>, s: [u32; 3], r: [u32; 3], hour: i64) {
        for (k, &(a, b)) in [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 0)]
            .iter()
            .enumerate()
        {
            out.push((s[a], r[b], hour + 5 * k as i64, 5_000));
        }
    }

    #[test]
    fn a_three_by_three_layer_is_found_once_and_a_star_is_not() {
        let mut edges = Vec::new();
        layer(&mut edges, [1, 2, 3], [11, 12, 13], 0);
        // payroll: one employer paying 20 people
        edges.extend((0..20).map(|k| (50, 60 + k, 24, 3_000)));
        let g = graph(&edges);
        let found = bipartite(&g.view(None), search(1));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].found.nodes, vec![1, 2, 3, 11, 12, 13]);
        assert_eq!(found[0].groups, vec![3, 3]);
        assert_eq!(found[0].found.rows, vec![0, 1, 2, 3, 4, 5]);
        assert!(found[0]
            .found
            .facts
            .contains(&("reached", "30,000.00".into())));
        // one link fewer: sender 3 pays one recipient, recipient 11 then has one sender
        let g = graph(&edges[..5]);
        assert!(bipartite(&g.view(None), search(1)).is_empty());
    }

    #[test]
    fn a_layer_across_a_window_edge_is_found_and_merged_and_input_order_does_not_matter() {
        // starting at every hour of two days: every position relative to the window grid
        for start in (0..48).step_by(5) {
            let mut edges = Vec::new();
            layer(&mut edges, [7, 8, 9], [21, 22, 23], 24 * 7 * 3 + start);
            let g = graph(&edges);
            let got = bipartite(&g.view(None), search(1));
            assert_eq!(got.len(), 1, "start {start}");
            let mut reversed = edges.clone();
            reversed.reverse();
            let g2 = graph(&reversed);
            let again = bipartite(&g2.view(None), search(1));
            assert_eq!(again[0].found.nodes, got[0].found.nodes);
            assert_eq!(again[0].found.rows.len(), 6);
        }
    }

    #[test]
    fn hubs_are_never_part_of_a_layer() {
        let mut edges = Vec::new();
        layer(&mut edges, [1, 2, 3], [11, 12, 13], 0);
        // recipient 13 takes 60 payments on day 3
        edges.extend((0..60).map(|k| (200 + k, 13, 72, 10)));
        let g = graph(&edges);
        assert!(bipartite(&g.view(None), search(1)).is_empty());
    }

    #[test]
    fn a_stack_passes_most_of_the_money_on_and_a_weak_one_does_not() {
        let mut edges = Vec::new();
        layer(&mut edges, [1, 2, 3], [11, 12, 13], 0);
        // each middle received 10,000 and pays 4,850 to two of 31, 32, 33
        for (k, &(m, t)) in [(11, 31), (11, 32), (12, 32), (12, 33), (13, 33), (13, 31)]
            .iter()
            .enumerate()
        {
            edges.push((m, t, 60 + 3 * k as i64, 4_850));
        }
        let g = graph(&edges);
        let found = bipartite(&g.view(None), search(2));
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(f.groups, vec![3, 3, 3]);
        assert_eq!(f.found.nodes, vec![1, 2, 3, 11, 12, 13, 31, 32, 33]);
        assert_eq!(f.found.rows.len(), 12);
        assert!(f.found.facts.contains(&("moved_percent", "97%".into())));
        assert!(f.found.facts.contains(&("intermediaries", "3".into())));
        // passing on 3,000 of each 10,000 is not enough
        for e in edges.iter_mut().skip(6) {
            e.3 = 3_000;
        }
        let g = graph(&edges);
        assert!(bipartite(&g.view(None), search(2)).is_empty());
        // and a layer alone is no stack
        let g = graph(&edges[..6]);
        assert!(bipartite(&g.view(None), search(2)).is_empty());
    }

    #[test]
    fn tiles_cover_every_transfer_and_skip_gaps() {
        let mut edges = Vec::new();
        for day in [0i64, 1, 2, 40, 41, 400] {
            edges.push((1, 2, day * 24, 100));
        }
        let g = graph(&edges);
        let view = g.view(None);
        let eligible: Vec<u32> = (0..edges.len() as u32).collect();
        let t = tiles(&view, &eligible, 4 * DAY);
        for p in 0..edges.len() {
            assert!(t.iter().any(|&(lo, hi)| lo <= p && p < hi), "{p}: {t:?}");
        }
        assert!(t.len() <= 9, "{t:?}");
    }
}
