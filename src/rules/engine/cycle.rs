//! Cycle search: temporal paths that return funds to their first originator.
//!
//! Edges are the filtered transfers. From each edge `a → b` the search extends only along later
//! transfers out of the current account, within the horizon, each keeping between the retained
//! share and all of the previous amount, never revisiting an account, and at most `max_hops`
//! deep. This explores temporal paths over the filtered edge set, not all paths in the graph.

use super::keys::Accounts;
use super::Hit;
use crate::rules::plan::Micros;
use rayon::prelude::*;
use std::collections::HashMap;

/// One transfer.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: u32,
    pub to: u32,
    pub ts: i64,
    pub amount: i64,
    pub row: u32,
}

/// Search limits.
#[derive(Debug, Clone, Copy)]
pub struct CycleLimits {
    pub min_hops: usize,
    pub max_hops: usize,
    pub horizon: Micros,
    pub min_retained_basis_points: i64,
}

/// Paths explored from one starting edge before giving up on it (guards hub accounts).
const MAX_EXPANSIONS_PER_START: usize = 20_000;

/// Finds cycles between account keys (`accounts` names them). Returns one hit per cycle found,
/// whose subject is the first originator and whose evidence is the cycle's transfers.
pub fn find_cycles(edges: &[Edge], accounts: &Accounts, limits: CycleLimits) -> Vec<Hit> {
    let mut out_edges: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, e) in edges.iter().enumerate() {
        out_edges.entry(e.from).or_default().push(i);
    }
    for list in out_edges.values_mut() {
        list.sort_by_key(|&i| (edges[i].ts, edges[i].row));
    }
    let found: Vec<Hit> = (0..edges.len())
        .into_par_iter()
        .filter_map(|start| search_from(start, edges, &out_edges, limits))
        .map(|path| {
            let first = &edges[path[0]];
            let last = &edges[*path.last().unwrap_or(&path[0])];
            let retained = last.amount as f64 * 100.0 / first.amount.max(1) as f64;
            Hit {
                subject: accounts.name(first.from).to_string(),
                start: first.ts,
                end: last.ts,
                rows: Some(path.iter().map(|&i| edges[i].row).collect()),
                facts: vec![
                    ("hops", path.len().to_string()),
                    ("moved_percent", format!("{:.0}%", retained.floor())),
                ],
            }
        })
        .collect();
    found
}

/// Depth-first search from one starting edge; returns the first (earliest-closing) cycle.
fn search_from(
    start: usize,
    edges: &[Edge],
    out_edges: &HashMap<u32, Vec<usize>>,
    limits: CycleLimits,
) -> Option<Vec<usize>> {
    let origin = edges[start].from;
    if edges[start].to == origin {
        return None;
    }
    let deadline = edges[start].ts + limits.horizon;
    let mut path = vec![start];
    let mut expansions = 0usize;
    fn extend(
        path: &mut Vec<usize>,
        origin: u32,
        deadline: i64,
        edges: &[Edge],
        out_edges: &HashMap<u32, Vec<usize>>,
        limits: CycleLimits,
        expansions: &mut usize,
    ) -> bool {
        let last = &edges[*path.last().unwrap_or(&0)];
        let Some(candidates) = out_edges.get(&last.to) else {
            return false;
        };
        let first_later = candidates.partition_point(|&i| edges[i].ts <= last.ts);
        for &next in &candidates[first_later..] {
            let e = &edges[next];
            if e.ts > deadline {
                break;
            }
            *expansions += 1;
            if *expansions > MAX_EXPANSIONS_PER_START {
                return false;
            }
            let keeps_enough = i128::from(e.amount) * 10_000
                >= i128::from(last.amount) * i128::from(limits.min_retained_basis_points);
            if !keeps_enough || e.amount > last.amount {
                continue;
            }
            let hops = path.len() + 1;
            if e.to == origin {
                if hops >= limits.min_hops {
                    path.push(next);
                    return true;
                }
                continue;
            }
            if hops >= limits.max_hops
                || e.to == e.from
                || path.iter().any(|&p| edges[p].from == e.to)
            {
                continue;
            }
            path.push(next);
            if extend(path, origin, deadline, edges, out_edges, limits, expansions) {
                return true;
            }
            path.pop();
        }
        false
    }
    extend(
        &mut path,
        origin,
        deadline,
        edges,
        out_edges,
        limits,
        &mut expansions,
    )
    .then_some(path)
}
