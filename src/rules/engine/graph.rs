//! The run's money-flow graph, built once from the frame and shared by the graph rules, and the
//! glue that turns the plain-Rust searches of [`crate::rules::graph`] into hits.

use super::exprs::{BASE_AMOUNT, ROW, TS};
use super::keys::{Accounts, BENE_KEY, ORIG_KEY};
use super::Hit;
use crate::rules::bipartite::Layered;
use crate::rules::graph::{Found, GraphBuilder, GraphView, MoneyGraph, Party};
use crate::rules::round_trip::{EdgeParties, PartyIdentity};
use polars::prelude::*;
use std::sync::{Arc, Mutex};

/// The graph of a run, built on first use.
#[derive(Default)]
pub struct GraphCache(Mutex<Option<Arc<MoneyGraph>>>);

impl GraphCache {
    /// The graph of `frame`. The lock is not held while building (building runs parallel work,
    /// see [`super::history::HistoryCache::get`]); two rules asking at once may both build, and
    /// the first one stored is kept.
    pub fn get(&self, frame: &DataFrame, accounts: &Accounts) -> PolarsResult<Arc<MoneyGraph>> {
        if let Some(g) = self.0.lock().ok().and_then(|g| g.clone()) {
            return Ok(g);
        }
        let built = Arc::new(build(frame, accounts)?);
        let mut slot = self
            .0
            .lock()
            .map_err(|_| PolarsError::ComputeError("graph cache poisoned".into()))?;
        Ok(slot.get_or_insert(built).clone())
    }
}

/// Every transaction between two identifiable parties becomes an edge: an account by its key, a
/// party without an account by its name and country.
fn build(frame: &DataFrame, accounts: &Accounts) -> PolarsResult<MoneyGraph> {
    let orig = frame.column(ORIG_KEY)?.u32()?;
    let bene = frame.column(BENE_KEY)?.u32()?;
    let ts = frame.column(TS)?.cast(&DataType::Int64)?;
    let ts = ts.i64()?;
    let amount = frame.column(BASE_AMOUNT)?.i64()?;
    let rows = frame.column(ROW)?.cast(&DataType::UInt32)?;
    let rows = rows.u32()?;
    let text =
        |name: &str| -> PolarsResult<StringChunked> { Ok(frame.column(name)?.str()?.clone()) };
    let (orig_name, orig_country) = (text("orig_name")?, text("orig_country")?);
    let (bene_name, bene_country) = (text("bene_name")?, text("bene_country")?);
    let mut builder = GraphBuilder::new(accounts.key_count() as u32);
    fn side<'a>(key: Option<u32>, name: Option<&'a str>, country: Option<&'a str>) -> Party<'a> {
        match (key, name) {
            (Some(k), _) if k != 0 => Party::Account(k),
            (_, Some(name)) => Party::Named {
                name,
                country: country.unwrap_or(""),
            },
            _ => Party::Account(0),
        }
    }
    // in one pass of iterators (a text column keeps the chunks it was read in, so indexing
    // row by row would search them)
    let sides = orig
        .iter()
        .zip(orig_name.iter().zip(orig_country.iter()))
        .zip(bene.iter().zip(bene_name.iter().zip(bene_country.iter())));
    let values = ts.iter().zip(amount.iter()).zip(rows.iter());
    for (((ok, (on, oc)), (bk, (bn, bc))), ((t, a), row)) in sides.zip(values) {
        let (Some(t), Some(a), Some(row)) = (t, a, row) else {
            continue;
        };
        builder.add(side(ok, on, oc), side(bk, bn, bc), t, a, row);
    }
    Ok(builder.build())
}

/// A node's name in alerts: its account number, or `NAME (CC)` for a party without one.
pub fn label(graph: &MoneyGraph, accounts: &Accounts, node: u32) -> String {
    match graph.external_label(node) {
        Some(l) => l.to_string(),
        None => accounts.name(node).to_string(),
    }
}

/// Turns found structures into hits: the subject by its label, the nodes listed in `accounts`
/// (joined by `joiner`), and the search's bounds stated in `searched`.
pub fn hits(
    graph: &MoneyGraph,
    accounts: &Accounts,
    found: Vec<Found>,
    joiner: &str,
    searched: &str,
) -> Vec<Hit> {
    found
        .into_iter()
        .map(|f| {
            let listed = f
                .nodes
                .iter()
                .map(|&n| label(graph, accounts, n))
                .collect::<Vec<_>>()
                .join(joiner);
            structure_hit(
                label(graph, accounts, f.subject),
                f.start,
                f.end,
                f.rows,
                f.facts,
                listed,
                searched,
            )
        })
        .collect()
}

/// A structure's hit: its facts, then the accounts it lists and the search's bounds (shared
/// with the Spark engine, which finds the structures on a cluster).
pub(crate) fn structure_hit(
    subject: String,
    start: i64,
    end: i64,
    rows: Vec<u32>,
    mut facts: Vec<(&'static str, String)>,
    listed: String,
    searched: &str,
) -> Hit {
    facts.push(("accounts", listed));
    facts.push(("searched", searched.to_string()));
    Hit {
        subject,
        start,
        end,
        rows: Some(rows),
        facts,
    }
}

/// The payer's and payee's names and countries as written on each edge of a view, for the
/// searches that compare parties (round trips).
pub fn edge_parties(frame: &DataFrame, view: &GraphView<'_>) -> PolarsResult<EdgeParties> {
    let rows: Vec<IdxSize> = view.edges().iter().map(|e| e.row as IdxSize).collect();
    let taken = frame
        .select(["orig_name", "orig_country", "bene_name", "bene_country"])?
        .take(&IdxCa::from_vec("rows".into(), rows))?;
    let text =
        |name: &str| -> PolarsResult<StringChunked> { Ok(taken.column(name)?.str()?.clone()) };
    let (orig_name, orig_country) = (text("orig_name")?, text("orig_country")?);
    let (bene_name, bene_country) = (text("bene_name")?, text("bene_country")?);
    let identities = |names: &StringChunked, countries: &StringChunked| -> Vec<PartyIdentity> {
        names
            .iter()
            .zip(countries.iter())
            .map(|(n, c)| PartyIdentity::new(n.unwrap_or(""), c.unwrap_or("")))
            .collect()
    };
    Ok(EdgeParties {
        payer: identities(&orig_name, &orig_country),
        payee: identities(&bene_name, &bene_country),
    })
}

/// Turns layered structures into hits as [`hits`] does, with `accounts` listing each group of
/// nodes (senders, recipients, a second layer's recipients) joined by `, ` and the groups by
/// ` => `.
pub fn layered_hits(
    graph: &MoneyGraph,
    accounts: &Accounts,
    found: Vec<Layered>,
    searched: &str,
) -> Vec<Hit> {
    layered_hits_by(found, searched, &|n| label(graph, accounts, n))
}

/// [`layered_hits`] with the nodes named by `label` (the Spark engine's nodes are its own).
pub(crate) fn layered_hits_by(
    found: Vec<Layered>,
    searched: &str,
    label: &dyn Fn(u32) -> String,
) -> Vec<Hit> {
    found
        .into_iter()
        .map(|l| {
            let mut groups: Vec<String> = Vec::with_capacity(l.groups.len());
            let mut at = 0usize;
            for &size in &l.groups {
                let end = (at + size).min(l.found.nodes.len());
                groups.push(
                    l.found.nodes[at..end]
                        .iter()
                        .map(|&n| label(n))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                at = end;
            }
            structure_hit(
                label(l.found.subject),
                l.found.start,
                l.found.end,
                l.found.rows,
                l.found.facts,
                groups.join(" => "),
                searched,
            )
        })
        .collect()
}
