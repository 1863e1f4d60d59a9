//! Screening names against an indexed watchlist set.

use super::entry::{Entry, WatchlistSet};
use super::index::{NameIndex, SimilarToken};
use super::normalize::{is_legal_form, normalize_name, NameToken};
use super::score::{
    explain, pair_weight, score_tokens, token_similarity, token_weight, ScoredMatch,
    TokenSimilarity, WeightedTokens, INITIAL_CREDIT,
};
use rayon::prelude::*;
use std::collections::HashMap;

/// The default score threshold, chosen from the measured precision/recall curve
/// (see `docs/watchlist.md`): the lowest threshold whose precision on the hard evaluation set
/// stays at or above 0.98.
pub const DEFAULT_THRESHOLD: f64 = 0.80;

pub static DBG_CANDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
pub static DBG_FULL: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// One listed entry that a query name matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The list (`OFAC-SDN`, `UN`, `OPENSANCTIONS`, ...).
    pub list: String,
    /// The entry's id in its list.
    pub entry_id: String,
    /// `individual`, `entity`, `vessel`, `aircraft` or `unknown`.
    pub entry_type: String,
    /// Sanctions programmes, `; `-separated.
    pub programs: String,
    /// The listed name that matched best, exactly as the list writes it.
    pub matched_name: String,
    /// The entry's primary name, exactly as the list writes it.
    pub primary_name: String,
    /// 0..1, rounded to 4 decimals.
    pub score: f64,
    /// Which query tokens matched which listed tokens, and how well:
    /// `"osama"~"usama" 0.87; "bin" = "bin"; "laden" = "laden"; unmatched: -`.
    pub explanation: String,
}

/// Screens names against a [`WatchlistSet`]. Build once, then screen many names in parallel.
#[derive(Debug, Clone)]
pub struct Screener {
    entries: Vec<Entry>,
    index: NameIndex,
}

/// A normalised query with its token weights.
struct PreparedQuery {
    tokens: Vec<NameToken>,
    weights: Vec<f64>,
}

impl Screener {
    /// Indexes every screened name of `set`.
    pub fn new(set: &WatchlistSet) -> Screener {
        Screener {
            index: NameIndex::build(set.entries()),
            entries: set.entries().to_vec(),
        }
    }

    /// Number of distinct names indexed (weak aliases and repeated forms excluded).
    pub fn indexed_names(&self) -> usize {
        self.index.names.len()
    }

    /// Hits for one name: every entry scoring at least `threshold`, best first (ties by list,
    /// entry id, matched name), at most `top` (0 gives none). One hit per entry, on its
    /// best-matching name.
    pub fn screen(&self, query: &str, threshold: f64, top: usize) -> Vec<Hit> {
        let prepared = self.prepare(query);
        let similar: Vec<Vec<SimilarToken>> = prepared
            .tokens
            .iter()
            .map(|t| self.index.similar_tokens(&t.text))
            .collect();
        let similar: Vec<&[SimilarToken]> = similar.iter().map(Vec::as_slice).collect();
        self.screen_prepared(&prepared, &similar, threshold, top)
    }

    /// [`Screener::screen`] for many names, in parallel; one result per query, in order.
    /// Each distinct name and each distinct token is worked on once.
    pub fn screen_many(&self, queries: &[&str], threshold: f64, top: usize) -> Vec<Vec<Hit>> {
        let mut distinct: Vec<&str> = queries.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let prepared: Vec<PreparedQuery> = distinct.par_iter().map(|q| self.prepare(q)).collect();
        let mut tokens: Vec<&str> = prepared
            .iter()
            .flat_map(|p| p.tokens.iter().map(|t| t.text.as_str()))
            .collect();
        tokens.sort_unstable();
        tokens.dedup();
        let t0 = std::time::Instant::now();
        let similar: HashMap<&str, Vec<SimilarToken>> = tokens
            .par_iter()
            .map(|t| (*t, self.index.similar_tokens(t)))
            .collect();
        if std::env::var_os("WL_DEBUG").is_some() {
            eprintln!(
                "DBG cands {} full {}",
                DBG_CANDS.load(std::sync::atomic::Ordering::Relaxed),
                DBG_FULL.load(std::sync::atomic::Ordering::Relaxed)
            );
            let sims: usize = similar.values().map(Vec::len).sum();
            eprintln!(
                "PHASE tokens {} sims {} in {:.2}s",
                tokens.len(),
                sims,
                t0.elapsed().as_secs_f64()
            );
        }
        let results: Vec<Vec<Hit>> = prepared
            .par_iter()
            .map(|p| {
                let sims: Vec<&[SimilarToken]> = p
                    .tokens
                    .iter()
                    .map(|t| similar.get(t.text.as_str()).map_or(&[][..], Vec::as_slice))
                    .collect();
                self.screen_prepared(p, &sims, threshold, top)
            })
            .collect();
        let position: HashMap<&str, usize> =
            distinct.iter().enumerate().map(|(i, q)| (*q, i)).collect();
        queries
            .iter()
            .map(|q| results[position[q]].clone())
            .collect()
    }

    /// Number of indexed names [`Screener::screen`] would score for `query` at `threshold`.
    pub fn candidate_count(&self, query: &str, threshold: f64) -> usize {
        let prepared = self.prepare(query);
        let similar: Vec<Vec<SimilarToken>> = prepared
            .tokens
            .iter()
            .map(|t| self.index.similar_tokens(&t.text))
            .collect();
        let similar: Vec<&[SimilarToken]> = similar.iter().map(Vec::as_slice).collect();
        self.candidates(&prepared, &similar, threshold).len()
    }

    fn prepare(&self, query: &str) -> PreparedQuery {
        let tokens = normalize_name(query, false);
        let weights = tokens
            .iter()
            .map(|t| match self.index.token_id(&t.text) {
                Some(id) => self.index.weights[id as usize],
                None => token_weight(&t.text, t.weak, 0),
            })
            .collect();
        PreparedQuery { tokens, weights }
    }

    /// The names that can reach `threshold`. Every query token's similar listed tokens are
    /// followed to the names holding them, summing per name the most each pair could earn and
    /// noting which query tokens found a partner; a name is kept when that optimistic score
    /// reaches the threshold. Query initials and legal forms fetch no names and are assumed to
    /// pair; a query word pairing only with a listed initial is not counted, so a name matched
    /// through initials alone is not looked at.
    fn candidates(
        &self,
        query: &PreparedQuery,
        similar: &[&[SimilarToken]],
        threshold: f64,
    ) -> Vec<u32> {
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            scratch.prepare(self.index.names.len());
            // Initials and legal forms pair outside the index: assume they pair in every name.
            let outside: Vec<bool> = query
                .tokens
                .iter()
                .map(|t| t.text.len() == 1 || is_legal_form(&t.text))
                .collect();
            let is_initial = |i: usize| outside[i];
            // Weight of the query tokens each mask bit stands for (0 for those assumed paired).
            let bit_weights: Vec<f64> = (0..query.tokens.len().min(64))
                .map(|i| if outside[i] { 0.0 } else { query.weights[i] })
                .collect();
            let initials_gain: f64 = (0..query.tokens.len())
                .filter(|&i| is_initial(i))
                .map(|i| query.weights[i])
                .sum();
            let total_weight: f64 = (0..query.tokens.len())
                .filter(|&i| !is_initial(i))
                .map(|i| query.weights[i])
                .sum();
            for (i, token) in query.tokens.iter().enumerate() {
                let bit = if i < 64 { 1u64 << i } else { 0 };
                let q_len = token.text.len();
                for &(id, sim) in similar[i] {
                    let listed_len = self.index.vocabulary[id as usize].len();
                    let gain = pair_weight(query.weights[i], self.index.weights[id as usize])
                        * sim.credit(q_len, listed_len);
                    for &name in &self.index.postings[id as usize] {
                        scratch.add(name, gain, bit);
                    }
                }
            }
            let mut names: Vec<u32> = scratch
                .touched
                .iter()
                .copied()
                .filter(|&name| {
                    let (gained, mask) = scratch.totals[name as usize];
                    let gained = gained + initials_gain;
                    let mut paired_weight = 0.0;
                    let mut bits = mask;
                    while bits != 0 {
                        paired_weight += bit_weights[bits.trailing_zeros() as usize];
                        bits &= bits - 1;
                    }
                    let unpaired = (total_weight - paired_weight).max(0.0);
                    gained / (gained + unpaired) >= threshold
                })
                .collect();
            names.sort_unstable();
            names
        })
    }

    fn screen_prepared(
        &self,
        query: &PreparedQuery,
        similar: &[&[SimilarToken]],
        threshold: f64,
        top: usize,
    ) -> Vec<Hit> {
        if top == 0 || query.tokens.is_empty() {
            return Vec::new();
        }
        let q_text: Vec<&str> = query.tokens.iter().map(|t| t.text.as_str()).collect();
        // Best name per entry: (score, name id, scored match).
        let mut best: HashMap<u32, (u32, ScoredMatch)> = HashMap::new();
        let cands = self.candidates(query, similar, threshold);
        DBG_CANDS.fetch_add(cands.len(), std::sync::atomic::Ordering::Relaxed);
        for name_id in cands {
            if self.upper_bound(query, &q_text, similar, name_id) < threshold {
                continue;
            }
            DBG_FULL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let scored = self.score_name(query, &q_text, similar, name_id);
            if scored.score < threshold || scored.score <= 0.0 {
                continue;
            }
            let entry = self.index.names[name_id as usize].entry;
            let better = match best.get(&entry) {
                None => true,
                Some((other_id, other)) => {
                    scored.score > other.score
                        || (scored.score == other.score && name_id < *other_id)
                }
            };
            if better {
                best.insert(entry, (name_id, scored));
            }
        }
        let mut hits: Vec<Hit> = best
            .into_values()
            .map(|(name_id, scored)| self.hit(&q_text, name_id, &scored))
            .collect();
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.list.cmp(&b.list))
                .then_with(|| a.entry_id.cmp(&b.entry_id))
                .then_with(|| a.matched_name.cmp(&b.matched_name))
        });
        hits.truncate(top);
        hits
    }

    /// A cheap bound on the score of one name: each query token paired at its best with the
    /// name's tokens, ignoring that two query tokens may want the same listed token.
    fn upper_bound(
        &self,
        query: &PreparedQuery,
        q_text: &[&str],
        similar: &[&[SimilarToken]],
        name_id: u32,
    ) -> f64 {
        let name = &self.index.names[name_id as usize];
        let (mut earned, mut unpaired) = (0.0, 0.0);
        for (i, q) in q_text.iter().enumerate() {
            let best = name
                .tokens
                .iter()
                .filter_map(|&id| {
                    let listed = self.index.vocabulary[id as usize].as_str();
                    let sim = pair_similarity(q, listed, similar[i], id)?;
                    let weight = pair_weight(query.weights[i], self.index.weights[id as usize]);
                    Some(weight * sim.credit(q.len(), listed.len()))
                })
                .fold(0.0, f64::max);
            if best > 0.0 {
                earned += best;
            } else {
                unpaired += query.weights[i];
            }
        }
        if earned + unpaired > 0.0 {
            earned / (earned + unpaired)
        } else {
            0.0
        }
    }

    fn score_name(
        &self,
        query: &PreparedQuery,
        q_text: &[&str],
        similar: &[&[SimilarToken]],
        name_id: u32,
    ) -> ScoredMatch {
        let name = &self.index.names[name_id as usize];
        let l_text: Vec<&str> = name
            .tokens
            .iter()
            .map(|&id| self.index.vocabulary[id as usize].as_str())
            .collect();
        let l_weights: Vec<f64> = name
            .tokens
            .iter()
            .map(|&id| self.index.weights[id as usize])
            .collect();
        score_tokens(
            WeightedTokens {
                tokens: q_text,
                weights: &query.weights,
            },
            WeightedTokens {
                tokens: &l_text,
                weights: &l_weights,
            },
            |i, j| pair_similarity(q_text[i], l_text[j], similar[i], name.tokens[j]),
        )
    }

    fn hit(&self, q_text: &[&str], name_id: u32, scored: &ScoredMatch) -> Hit {
        let name = &self.index.names[name_id as usize];
        let entry = &self.entries[name.entry as usize];
        let l_text: Vec<&str> = name
            .tokens
            .iter()
            .map(|&id| self.index.vocabulary[id as usize].as_str())
            .collect();
        Hit {
            list: entry.list.clone(),
            entry_id: entry.id.clone(),
            entry_type: entry.entry_type.clone(),
            programs: entry.programs.clone(),
            matched_name: entry.names[name.name as usize].text.clone(),
            primary_name: entry.primary_name().to_string(),
            score: scored.score,
            explanation: explain(q_text, &l_text, scored),
        }
    }
}

/// Per-thread accumulators for [`Screener::candidates`], reused from query to query.
#[derive(Default)]
struct Scratch {
    /// Per name: optimistic gain and the query tokens (bits) that found a partner.
    totals: Vec<(f64, u64)>,
    /// Names with a non-zero total, in first-touch order.
    touched: Vec<u32>,
}

impl Scratch {
    /// Clears the previous query's totals and fits the table to `names`.
    fn prepare(&mut self, names: usize) {
        for &name in &self.touched {
            self.totals[name as usize] = (0.0, 0);
        }
        self.touched.clear();
        if self.totals.len() != names {
            self.totals = vec![(0.0, 0); names];
        }
    }

    fn add(&mut self, name: u32, gain: f64, bit: u64) {
        let slot = &mut self.totals[name as usize];
        if slot.1 == 0 && slot.0 == 0.0 {
            self.touched.push(name);
        }
        slot.0 += gain;
        slot.1 |= bit;
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// The similarity of a query token and a listed token: initials and legal forms directly,
/// others from the query token's precomputed similar tokens.
fn pair_similarity(
    query: &str,
    listed: &str,
    similar: &[SimilarToken],
    listed_id: u32,
) -> Option<TokenSimilarity> {
    if query.len() == 1 || listed.len() == 1 || (is_legal_form(query) && is_legal_form(listed)) {
        return token_similarity(query, listed);
    }
    similar
        .binary_search_by_key(&listed_id, |&(id, _)| id)
        .ok()
        .map(|k| similar[k].1)
}
