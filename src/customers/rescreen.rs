//! Continuous re-screening: when the lists change, screen the whole customer base against what
//! changed only, and report the hits that appeared and the hits that went away.
//!
//! Entries are matched across the two versions by list and id. An entry only in the new
//! version was *added*, one only in the old *removed*, one in both whose names, birth dates,
//! nationalities, documents or programmes differ *changed*. The customers are screened against
//! the new versions of the added and changed entries, and against the old versions of the
//! removed and changed ones, each with the words' rarity of its whole list version (see
//! [`Screener::restricted`]), so a customer scores against a changed entry exactly as a full
//! screening of that version would score it. A hit of the new side that the old side did not
//! have is *new*; one of the old side that the new side does not have *went away* (a
//! delisting, or a change that no longer matches).
//!
//! A hit on an entry that did not change, whose score moved only because the change altered
//! how rare some of its words are, is not reported; `rescreen --full` screens both whole
//! versions and reports those too.

use super::{party_query, Customers};
use crate::watchlist::{Entry, Hit, Screener, WatchlistSet};
use std::collections::{BTreeMap, BTreeSet};

/// What changed between two versions of the lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListDelta {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// One hit that appeared or went away.
#[derive(Debug, Clone, PartialEq)]
pub struct RescreenHit {
    pub customer_id: String,
    pub name: String,
    /// `added`, `changed` or `removed`: what happened to the entry (`unchanged` only with a
    /// full re-screening).
    pub entry_change: &'static str,
    pub hit: Hit,
}

/// The outcome of a re-screening.
#[derive(Debug, Clone, Default)]
pub struct Rescreened {
    pub delta: ListDelta,
    /// Hits on the new versions that the old versions did not have.
    pub new_hits: Vec<RescreenHit>,
    /// Hits on the old versions that the new versions do not have.
    pub gone_hits: Vec<RescreenHit>,
}

fn key(e: &Entry) -> (String, String) {
    (e.list.clone(), e.id.clone())
}

/// Re-screens `customers` against what changed from `previous` to `current`; with `full`,
/// against both whole versions (the same hits on changed entries, plus those on unchanged
/// entries whose words' rarity the change moved).
pub fn rescreen(
    customers: &Customers,
    previous: &WatchlistSet,
    current: &WatchlistSet,
    threshold: f64,
    top: usize,
    full: bool,
) -> Rescreened {
    let old: BTreeMap<(String, String), &Entry> =
        previous.entries().iter().map(|e| (key(e), e)).collect();
    let new: BTreeMap<(String, String), &Entry> =
        current.entries().iter().map(|e| (key(e), e)).collect();
    let mut change: BTreeMap<(String, String), &'static str> = BTreeMap::new();
    let mut delta = ListDelta::default();
    for (k, e) in &new {
        match old.get(k) {
            None => {
                delta.added += 1;
                change.insert(k.clone(), "added");
            }
            Some(before) if *before != *e => {
                delta.changed += 1;
                change.insert(k.clone(), "changed");
            }
            Some(_) => delta.unchanged += 1,
        }
    }
    for k in old.keys() {
        if !new.contains_key(k) {
            delta.removed += 1;
            change.insert(k.clone(), "removed");
        }
    }
    let queries: Vec<_> = customers.list.iter().map(party_query).collect();
    let screen = |set: &WatchlistSet| -> Vec<Vec<Hit>> {
        let screener = if full {
            Screener::new(set)
        } else {
            Screener::restricted(set, |e| change.contains_key(&key(e)))
        };
        // every hit is compared: a cut before comparing would turn a rank change into a change
        screener.screen_parties(&queries, threshold, usize::MAX)
    };
    let (now, before) = rayon::join(|| screen(current), || screen(previous));
    let pairs = |hits: &[Vec<Hit>]| -> BTreeSet<(usize, String, String)> {
        hits.iter()
            .enumerate()
            .flat_map(|(c, hs)| {
                hs.iter()
                    .map(move |h| (c, h.list.clone(), h.entry_id.clone()))
            })
            .collect()
    };
    let (now_pairs, before_pairs) = (pairs(&now), pairs(&before));
    let collect = |hits: &[Vec<Hit>], other: &BTreeSet<(usize, String, String)>| {
        let mut out = Vec::new();
        for (c, hs) in hits.iter().enumerate() {
            // at most `top` per customer, best first
            for h in hs
                .iter()
                .filter(|h| !other.contains(&(c, h.list.clone(), h.entry_id.clone())))
                .take(top)
            {
                let customer = &customers.list[c];
                out.push(RescreenHit {
                    customer_id: customer.customer_id.clone(),
                    name: customer.name.clone(),
                    entry_change: change
                        .get(&(h.list.clone(), h.entry_id.clone()))
                        .copied()
                        .unwrap_or("unchanged"),
                    hit: h.clone(),
                });
            }
        }
        out
    };
    Rescreened {
        delta,
        new_hits: collect(&now, &before_pairs),
        gone_hits: collect(&before, &now_pairs),
    }
}

/// Writes new or gone hits: `customer_id,name,entry_change,list,entry_id,matched_name,
/// primary_name,score,explanation`; text cells pass [`crate::output::spreadsheet_safe`].
pub fn write_rescreen_csv<W: std::io::Write>(w: W, hits: &[RescreenHit]) -> csv::Result<()> {
    use crate::output::spreadsheet_safe;
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "customer_id",
        "name",
        "entry_change",
        "list",
        "entry_id",
        "matched_name",
        "primary_name",
        "score",
        "explanation",
    ])?;
    for h in hits {
        out.write_record([
            &*spreadsheet_safe(&h.customer_id),
            &spreadsheet_safe(&h.name),
            h.entry_change,
            &spreadsheet_safe(&h.hit.list),
            &spreadsheet_safe(&h.hit.entry_id),
            &spreadsheet_safe(&h.hit.matched_name),
            &spreadsheet_safe(&h.hit.primary_name),
            &format!("{:.4}", h.hit.score),
            &spreadsheet_safe(&h.hit.explanation),
        ])?;
    }
    out.flush()?;
    Ok(())
}
