//! Round-tripping over the run's money-flow graph: money sent to a party (typically an offshore
//! company) that comes back to the sender from the same party or a related one (a sister company
//! with a similar name, or a company in the same jurisdiction) within a horizon, dressed as a
//! loan, an investment or a refund.
//!
//! A party is known by the name and country written on the transaction, so a payee at another
//! bank (no account number) and a payer with an account are compared the same way. The search
//! walks each sender's selected payments once; it is bounded by the horizon and skips hubs.

use super::graph::{money, Edge, Found, GraphView, Node};
use super::plan::{describe_duration, GraphLimits, Micros, DAY};
use crate::watchlist::normalize::{fold, is_common_token, is_weak_token};
use rayon::prelude::*;
use std::collections::BTreeSet;

/// How a party that pays back is related to the party that was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Related {
    /// Similar names: sharing a distinctive word (`ORION HOLDINGS LTD` and `Orion Capital Ltd`:
    /// not a legal form, joining word, company word or common name, at least three letters), or
    /// the same name once legal forms and company words are dropped (`ZHANG CAPITAL INC` and
    /// `Zhang Group Inc`).
    pub similar_name: bool,
    /// Both in the same country (the same offshore jurisdiction).
    pub same_country: bool,
}

/// The name and country of a party as written on one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyIdentity {
    /// Distinctive words of the name, folded to lower-case ASCII, sorted.
    pub words: Vec<String>,
    /// The name without legal forms, joining words and company words (`ZHANG CAPITAL INC` and
    /// `Zhang Group Inc` are both `zhang`), folded, in order.
    pub core: String,
    /// ISO country code as written (upper case), empty when unknown.
    pub country: String,
}

impl PartyIdentity {
    /// The identity of a name and country.
    pub fn new(name: &str, country: &str) -> Self {
        let folded = fold(name);
        let words: BTreeSet<String> = folded
            .split(' ')
            .filter(|w| w.len() >= 3 && !is_weak_token(w) && !is_common_token(w))
            .filter(|w| !COMPANY_WORDS.contains(w))
            .map(str::to_string)
            .collect();
        let core = folded
            .split(' ')
            .filter(|w| !w.is_empty() && !is_weak_token(w) && !COMPANY_WORDS.contains(w))
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            words: words.into_iter().collect(),
            core,
            country: country.trim().to_ascii_uppercase(),
        }
    }

    /// Whether `other` is related to this party under `related` (the same node is checked by
    /// the caller).
    fn related(&self, other: &PartyIdentity, related: Related) -> bool {
        (related.same_country && !self.country.is_empty() && self.country == other.country)
            || (related.similar_name
                && ((!self.core.is_empty() && self.core == other.core)
                    || self.words.iter().any(|w| other.words.contains(w))))
    }
}

/// Words that say what kind of company it is, not whose: dropped from the name's core, and never
/// a distinctive word.
const COMPANY_WORDS: &[&str] = &[
    "assets",
    "bank",
    "capital",
    "company",
    "consulting",
    "enterprises",
    "finance",
    "financial",
    "fund",
    "funds",
    "global",
    "group",
    "holding",
    "holdings",
    "industries",
    "international",
    "investment",
    "investments",
    "management",
    "offshore",
    "overseas",
    "partners",
    "properties",
    "resources",
    "services",
    "solutions",
    "trading",
    "trust",
    "ventures",
];

/// The limits of a round-trip search.
#[derive(Debug, Clone)]
pub struct RoundTripSearch {
    /// Countries the first payee must be in (empty: any).
    pub party_countries: Vec<String>,
    pub related: Related,
    /// Payments to the party (and its relations) within this window of the first are summed.
    pub out_window: Micros,
    /// The money must come back no sooner than this after the first payment out.
    pub min_gap: Micros,
    /// And no later than this after it.
    pub horizon: Micros,
    pub min_returned_basis_points: i64,
    pub max_returned_basis_points: i64,
    pub limits: GraphLimits,
}

/// Who was paid and who paid, per selected edge (by position in the view), as written.
pub struct EdgeParties {
    /// The payee's identity, per selected edge.
    pub payee: Vec<PartyIdentity>,
    /// The payer's identity, per selected edge.
    pub payer: Vec<PartyIdentity>,
}

/// Round trips: for each account sending selected payments, each payment to a party in
/// `party_countries` opens a trip; payments to that party or related ones within `out_window`
/// are summed, and payments back from it or related ones (after the last payment out, at least
/// `min_gap` after the first, within `horizon` of it) are summed in time order until they reach
/// `min_returned_basis_points` of the money sent. A trip is reported when that share is reached
/// without exceeding `max_returned_basis_points`. A payment already counted in a reported trip
/// opens no other.
pub fn round_trips(
    view: &GraphView<'_>,
    parties: &EdgeParties,
    search: &RoundTripSearch,
) -> Vec<Found> {
    let g = view.graph();
    let mut found: Vec<Found> = view
        .senders()
        .into_par_iter()
        .filter(|&n| g.is_account(n) && !g.is_hub(n, &search.limits))
        .flat_map_iter(|n| trips_of(view, parties, search, n))
        .collect();
    found.sort();
    found
}

fn trips_of(
    view: &GraphView<'_>,
    parties: &EdgeParties,
    search: &RoundTripSearch,
    sender: Node,
) -> Vec<Found> {
    let g = view.graph();
    let outs = view.out_of(sender);
    let ins = view.in_of(sender);
    let mut used: BTreeSet<u32> = BTreeSet::new();
    let mut found = Vec::new();
    for (k, &first) in outs.iter().enumerate() {
        if used.contains(&first) {
            continue;
        }
        let opening = *view.edge(first);
        let party = &parties.payee[first as usize];
        if g.is_hub(opening.to, &search.limits)
            || !(search.party_countries.is_empty()
                || search.party_countries.contains(&party.country))
        {
            continue;
        }
        let same_side = |node: Node, identity: &PartyIdentity| {
            node == opening.to || party.related(identity, search.related)
        };
        // the money sent: this payment and later ones to the party or its relations
        let mut sent: Vec<u32> = vec![first];
        for &next in &outs[k + 1..] {
            let e = view.edge(next);
            if e.ts > opening.ts + search.out_window {
                break;
            }
            if !used.contains(&next) && same_side(e.to, &parties.payee[next as usize]) {
                sent.push(next);
            }
        }
        let total_sent: i128 = sent.iter().map(|&i| i128::from(view.edge(i).amount)).sum();
        let last_out = view.edge(*sent.last().unwrap_or(&first)).ts;
        let earliest = (opening.ts + search.min_gap).max(last_out + 1);
        let latest = opening.ts + search.horizon;
        // the money back, in time order, until it reaches the share
        let from = ins.partition_point(|&i| view.edge(i).ts < earliest);
        let mut back: Vec<u32> = Vec::new();
        let mut total_back: i128 = 0;
        let min = total_sent * i128::from(search.min_returned_basis_points);
        for &i in &ins[from..] {
            let e = view.edge(i);
            if e.ts > latest {
                break;
            }
            if !same_side(e.from, &parties.payer[i as usize]) {
                continue;
            }
            back.push(i);
            total_back += i128::from(e.amount);
            if total_back * 10_000 >= min {
                break;
            }
        }
        if back.is_empty()
            || total_back * 10_000 < min
            || total_back * 10_000 > total_sent * i128::from(search.max_returned_basis_points)
        {
            continue;
        }
        used.extend(sent.iter().copied());
        found.push(trip(view, sender, &sent, &back, total_sent, total_back));
    }
    found
}

fn trip(
    view: &GraphView<'_>,
    sender: Node,
    sent: &[u32],
    back: &[u32],
    total_sent: i128,
    total_back: i128,
) -> Found {
    let edges: Vec<&Edge> = sent.iter().chain(back).map(|&i| view.edge(i)).collect();
    let mut rows: Vec<u32> = edges.iter().map(|e| e.row).collect();
    rows.sort_unstable();
    rows.dedup();
    // the sender, every party paid, every party paying back (first appearance), the sender
    let mut nodes: Vec<Node> = vec![sender];
    for e in sent.iter().map(|&i| view.edge(i).to) {
        if !nodes.contains(&e) {
            nodes.push(e);
        }
    }
    for e in back.iter().map(|&i| view.edge(i).from) {
        if !nodes[1..].contains(&e) {
            nodes.push(e);
        }
    }
    nodes.push(sender);
    let start = view.edge(sent[0]).ts;
    let returned_at = view.edge(*back.last().unwrap_or(&sent[0])).ts;
    let end = edges.iter().map(|e| e.ts).max().unwrap_or(start);
    let gap = returned_at - start;
    Found {
        subject: sender,
        start,
        end,
        rows,
        nodes,
        facts: vec![
            ("sent", money(total_sent)),
            ("returned", money(total_back)),
            ("reached", money(total_back)),
            (
                "returned_percent",
                format!("{}%", total_back * 100 / total_sent.max(1)),
            ),
            ("gap", describe_duration(gap - gap % DAY)),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinctive_words_skip_legal_forms_and_company_words() {
        let a = PartyIdentity::new("ORION HOLDINGS LTD.", "vg");
        assert_eq!(a.words, vec!["orion"]);
        assert_eq!(a.country, "VG");
        let b = PartyIdentity::new("Orion Capital Limited", "KY");
        let c = PartyIdentity::new("Global Investments Ltd", "VG");
        let by_name = Related {
            similar_name: true,
            same_country: false,
        };
        let by_country = Related {
            similar_name: false,
            same_country: true,
        };
        assert!(a.related(&b, by_name));
        assert!(!a.related(&c, by_name));
        assert!(a.related(&c, by_country));
        assert!(!a.related(&b, by_country));
        // a common name is not distinctive, but the same name apart from company words is
        let zhang = PartyIdentity::new("ZHANG CAPITAL INC", "BS");
        assert!(zhang.words.is_empty());
        assert!(zhang.related(&PartyIdentity::new("Zhang Group Inc.", "MU"), by_name));
        assert!(!zhang.related(&PartyIdentity::new("Zhang Wei Trading", "MU"), by_name));
        // no country is never the same country
        let d = PartyIdentity::new("Someone", "");
        assert!(!d.related(&PartyIdentity::new("Else", ""), by_country));
    }
}
