//! Screening names against an indexed watchlist set.

use super::entry::{Entry, WatchlistSet};
use super::fast_hash::FastMap;
use super::index::{NameIndex, SimilarToken};
use super::normalize::{is_legal_form, normalize_name_bounded, NameToken, MAX_MATCHED_NAME_CHARS};
use super::score::{
    direct_similarity, explain, pair_weight, prepared_similarity, score_tokens, token_weight,
    PreparedToken, ScoredMatch, TokenSimilarity, WeightedTokens, INITIAL_CREDIT, INITIAL_WEIGHT,
    UNPAIRED_QUERY_COST,
};
use rayon::prelude::*;

mod party;

pub use party::{
    PartyQuery, BIRTH_DATE_PENALTY, MAX_FACT_BONUS, NATIONALITY_BONUS, NATIONALITY_PENALTY,
};

/// The default score threshold, chosen from the measured precision/recall curve (see
/// `docs/watchlist.md`): the lowest threshold, in steps of 0.05, whose precision on the OFAC
/// evaluation set of true variants and hard non-matches reaches 0.995 (the brute-force
/// rapidfuzz peer's level); recall there is about 0.90, against the peer's 0.76.
pub const DEFAULT_THRESHOLD: f64 = 0.85;

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
    /// `"osama"~"usama" 0.95; "bin" = "bin"; "laden"~"ladin" 0.91; unmatched: -`.
    pub explanation: String,
}

/// What a [`Screener`] can find, seen from the listed side, for looking up in an index of the
/// parties (customers) the only ones that can have a hit.
///
/// A party's name reaches a screened name only through a token of two letters or more that is
/// one of `tokens` or shares a blocking key with one and compares as similar to it (the
/// screener follows nothing else to a name). And it scores at most `W / (W + 0.4 (T - W))`
/// against the name, where `T` is the weight of all the name's tokens and `W` that of the ones
/// the party could pair: those its tokens are similar to, the name's initials and legal forms
/// (which pair without being similar), and for each initial of the party one more (the
/// heaviest left); a name for which that bound is below the threshold (less the facts' largest
/// bonus, for a party with a birth date or nationality) cannot be a hit. When the name has no
/// initials, each of the party's tokens similar to none of the name's adds
/// `0.6 × ` [`least_query_weight`](Reach::least_query_weight) to the denominator. Apart from names, a
/// party born in one of `weak_alias_years` may match a weak alias, and one holding one of
/// `id_numbers` (after [`normalize_id`](crate::watchlist::normalize_id)) is a hit whatever its
/// name. A party meeting none of these gets no hit from the screener; for a screener
/// [`restricted`](Screener::restricted) to a few entries, that is most parties.
#[derive(Debug, Clone)]
pub struct Reach<'a> {
    /// Listed tokens of two letters or more that a screened name holds, prepared as
    /// [`similar_tokens`](super::index::NameIndex::similar_tokens) compares them.
    pub tokens: Vec<&'a PreparedToken>,
    /// Every screened name, as its tokens in reading order.
    pub names: Vec<Vec<ReachToken>>,
    /// Birth years under which some entry's weak aliases are scored, ascending.
    pub weak_alias_years: Vec<u16>,
    /// Normalised identity numbers listed, ascending.
    pub id_numbers: Vec<&'a str>,
    screener: &'a Screener,
}

impl Reach<'_> {
    /// The least weight a query token of two letters or more can have in the screener: its
    /// listed weight when the lists hold it, else that of a weak token (the screener weighs it
    /// as weak or not by the query's context).
    pub fn least_query_weight(&self, token: &str) -> f64 {
        match self.screener.index.token_id(token) {
            Some(id) => self.screener.index.weights[id as usize],
            None => token_weight(token, true, 0),
        }
    }
}

/// One token of a screened name in a [`Reach`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReachToken {
    /// The token's place in [`Reach::tokens`]; `None` for an initial (one letter).
    pub token: Option<u32>,
    /// Its weight in the screener (what leaving it unpaired costs).
    pub weight: f64,
    /// Whether it is a legal form.
    pub legal_form: bool,
}

/// Screens names against a [`WatchlistSet`]. Build once, then screen many names in parallel.
#[derive(Debug, Clone)]
pub struct Screener {
    entries: Vec<Entry>,
    index: NameIndex,
    facts: party::FactIndex,
}

/// A normalised query with its token weights.
struct PreparedQuery {
    /// Whether the name was cut to [`MAX_MATCHED_NAME_CHARS`] for matching.
    cut: bool,
    tokens: Vec<NameToken>,
    weights: Vec<f64>,
    /// Whether each token is a legal form.
    legal_forms: Vec<bool>,
}

impl Screener {
    /// Indexes every screened name of `set`.
    pub fn new(set: &WatchlistSet) -> Screener {
        Screener {
            index: NameIndex::build(set.entries()),
            facts: party::FactIndex::build(set.entries()),
            entries: set.entries().to_vec(),
        }
    }

    /// A screener that finds only the entries `keep` selects, scoring them exactly as
    /// [`Screener::new`] over the whole `set` does: the words' rarity is the whole set's, so
    /// a name scores the same against a kept entry here as there. For screening a whole
    /// customer base against the entries that changed between two versions of the lists.
    pub fn restricted(set: &WatchlistSet, keep: impl Fn(&Entry) -> bool) -> Screener {
        let entries = set.entries();
        let kept: Vec<bool> = entries.iter().map(keep).collect();
        let mut index = NameIndex::build(entries);
        index.keep_entries(&|e| kept[e]);
        Screener {
            index,
            facts: party::FactIndex::build_for(entries, &|e| kept[e]),
            entries: entries.to_vec(),
        }
    }

    /// What this screener can find, seen from the listed side (see [`Reach`]).
    pub fn reach(&self) -> Reach<'_> {
        let mut slot: Vec<Option<u32>> = vec![None; self.index.vocabulary.len()];
        let mut tokens: Vec<&PreparedToken> = Vec::new();
        for (id, slot) in slot.iter_mut().enumerate() {
            if self.index.vocabulary[id].len() > 1 && !self.index.postings[id].is_empty() {
                *slot = Some(tokens.len() as u32);
                tokens.push(&self.index.prepared[id]);
            }
        }
        let names = self
            .index
            .names
            .iter()
            .map(|name| {
                name.tokens
                    .iter()
                    .map(|&id| ReachToken {
                        token: slot[id as usize],
                        weight: self.index.weights[id as usize],
                        legal_form: self.index.legal_forms[id as usize],
                    })
                    .collect()
            })
            .collect();
        let mut weak_alias_years: Vec<u16> = self.facts.weak_by_year.keys().copied().collect();
        weak_alias_years.sort_unstable();
        let mut id_numbers: Vec<&str> = self.facts.ids.keys().map(String::as_str).collect();
        id_numbers.sort_unstable();
        Reach {
            tokens,
            names,
            weak_alias_years,
            id_numbers,
            screener: self,
        }
    }

    /// Number of distinct names indexed (weak aliases and repeated forms excluded).
    pub fn indexed_names(&self) -> usize {
        self.index.names.len()
    }

    /// Hits for one name: every entry scoring at least `threshold`, best first (ties by list,
    /// entry id, matched name), at most `top` (0 gives none; `usize::MAX` for all). One hit per
    /// entry, on its best-matching name. A NaN threshold gives no hits.
    pub fn screen(&self, query: &str, threshold: f64, top: usize) -> Vec<Hit> {
        let prepared = self.prepare(query);
        warn_of_cut_names(std::iter::once((query, &prepared)));
        let similar: Vec<Vec<SimilarToken>> = prepared
            .tokens
            .iter()
            .map(|t| self.index.similar_tokens(&t.text))
            .collect();
        let similar: Vec<&[SimilarToken]> = similar.iter().map(Vec::as_slice).collect();
        self.screen_prepared(&prepared, &similar, threshold, top)
            .into_iter()
            .map(|(_, hit)| hit)
            .collect()
    }

    /// [`Screener::screen`] for many names, in parallel; one result per query, in order.
    /// Each distinct name and each distinct token is worked on once.
    pub fn screen_many(&self, queries: &[&str], threshold: f64, top: usize) -> Vec<Vec<Hit>> {
        self.screen_batch(queries, threshold, top)
            .into_iter()
            .map(|hits| hits.into_iter().map(|(_, hit)| hit).collect())
            .collect()
    }

    /// [`Screener::screen_many`] with each hit's entry index.
    fn screen_batch(&self, queries: &[&str], threshold: f64, top: usize) -> Vec<Vec<(u32, Hit)>> {
        // Distinct names, in first-seen order, and each query's slot among them.
        let mut slot_of: FastMap<&str, usize> = FastMap::default();
        let mut distinct: Vec<&str> = Vec::new();
        let slots: Vec<usize> = queries
            .iter()
            .map(|q| {
                *slot_of.entry(q).or_insert_with(|| {
                    distinct.push(q);
                    distinct.len() - 1
                })
            })
            .collect();
        let prepared: Vec<PreparedQuery> = distinct.par_iter().map(|q| self.prepare(q)).collect();
        warn_of_cut_names(distinct.iter().copied().zip(&prepared));
        // Distinct tokens, and each query token's slot among them.
        let mut token_slot: FastMap<&str, usize> = FastMap::default();
        let mut tokens: Vec<&str> = Vec::new();
        let query_token_slots: Vec<Vec<usize>> = prepared
            .iter()
            .map(|p| {
                p.tokens
                    .iter()
                    .map(|t| {
                        *token_slot.entry(t.text.as_str()).or_insert_with(|| {
                            tokens.push(t.text.as_str());
                            tokens.len() - 1
                        })
                    })
                    .collect()
            })
            .collect();
        let similar: Vec<Vec<SimilarToken>> = tokens
            .par_iter()
            .map(|t| self.index.similar_tokens(t))
            .collect();
        let results: Vec<Vec<(u32, Hit)>> = prepared
            .par_iter()
            .zip(&query_token_slots)
            .map(|(p, token_slots)| {
                let sims: Vec<&[SimilarToken]> =
                    token_slots.iter().map(|&k| similar[k].as_slice()).collect();
                self.screen_prepared(p, &sims, threshold, top)
            })
            .collect();
        slots.iter().map(|&k| results[k].clone()).collect()
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
        let (tokens, cut) = normalize_name_bounded(query, false);
        let weights = tokens
            .iter()
            .map(|t| match self.index.token_id(&t.text) {
                Some(id) => self.index.weights[id as usize],
                None => token_weight(&t.text, t.weak, 0),
            })
            .collect();
        let legal_forms = tokens.iter().map(|t| is_legal_form(&t.text)).collect();
        PreparedQuery {
            cut,
            tokens,
            weights,
            legal_forms,
        }
    }

    /// The names that can reach `threshold`.
    ///
    /// Each query token's similar listed tokens are followed to the names holding them,
    /// summing per name the most each pair could earn and noting which query tokens found a
    /// partner; a name is kept when that optimistic score reaches the threshold. Query initials
    /// and legal forms pair outside the index, and common tokens with long postings would cost
    /// much to follow: they are *assumed* to pair in every name instead, as long as a name
    /// pairing only assumed tokens could not reach the threshold. In a name holding initials,
    /// as many unpaired query tokens (the heaviest) are assumed to pair with them. So every name
    /// that can reach the threshold is kept, except a name pairing nothing but initials and
    /// assumed tokens (legal forms, very common words), which rarely scores high.
    fn candidates(
        &self,
        query: &PreparedQuery,
        similar: &[&[SimilarToken]],
        threshold: f64,
    ) -> Vec<u32> {
        let weights = &query.weights;
        let count = weights.len();
        // a query token past the 64th has no bit to mark it paired below: it is assumed to
        // pair (else a name holding it would count it as unpaired, and a listed name of 80
        // tokens would not be a candidate for itself)
        let mut assumed: Vec<bool> = query
            .tokens
            .iter()
            .zip(&query.legal_forms)
            .enumerate()
            .map(|(i, (t, &legal))| t.text.len() == 1 || legal || i >= 64)
            .collect();
        let mut assumed_gain: f64 = (0..count).filter(|&i| assumed[i]).map(|i| weights[i]).sum();
        let mut followed_weight: f64 = (0..count)
            .filter(|&i| !assumed[i])
            .map(|i| weights[i])
            .sum();
        // Tokens leading to very many names (common words) are assumed to pair too, as long as
        // names pairing only assumed tokens could not reach the threshold.
        let mut by_reach: Vec<(usize, usize, f64)> = (0..count)
            .filter(|&i| !assumed[i])
            .map(|i| {
                let q_len = query.tokens[i].text.len();
                let (mut reach, mut gain) = (0, 0.0_f64);
                for &(id, sim) in similar[i] {
                    reach += self.index.postings[id as usize].len();
                    let listed_len = self.index.vocabulary[id as usize].len();
                    gain = gain.max(
                        pair_weight(weights[i], self.index.weights[id as usize])
                            * sim.credit(q_len, listed_len),
                    );
                }
                (reach, i, gain)
            })
            .filter(|&(reach, _, gain)| reach >= ASSUME_ABOVE_REACH && gain > 0.0)
            .collect();
        by_reach.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, i, gain) in by_reach {
            let gained = assumed_gain + gain;
            let unpaired = UNPAIRED_QUERY_COST * (followed_weight - weights[i]);
            if gained / (gained + unpaired) < threshold - ROUNDING_SLACK {
                assumed[i] = true;
                assumed_gain = gained;
                followed_weight -= weights[i];
            }
        }
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            scratch.prepare(self.index.names.len());
            for i in (0..weights.len()).filter(|&i| !assumed[i]) {
                let bit = if i < 64 { 1u64 << i } else { 0 };
                let q_len = query.tokens[i].text.len();
                for &(id, sim) in similar[i] {
                    let listed_len = self.index.vocabulary[id as usize].len();
                    let gain = pair_weight(weights[i], self.index.weights[id as usize])
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
                    let gained = gained + assumed_gain;
                    let mut paired_weight = 0.0;
                    let mut bits = mask;
                    while bits != 0 {
                        paired_weight += weights[bits.trailing_zeros() as usize];
                        bits &= bits - 1;
                    }
                    let mut unpaired = (followed_weight - paired_weight).max(0.0);
                    let mut gained = gained;
                    let initials = usize::from(self.index.initials[name as usize]);
                    if initials > 0 {
                        // Followed tokens left unpaired might still pair with the name's
                        // initials: assume the heaviest ones do.
                        let mut left: Vec<f64> = (0..count.min(64))
                            .filter(|&i| !assumed[i] && mask & (1 << i) == 0)
                            .map(|i| weights[i])
                            .collect();
                        left.sort_by(|a, b| b.total_cmp(a));
                        for w in left.into_iter().take(initials) {
                            gained += INITIAL_CREDIT * w.min(INITIAL_WEIGHT);
                            unpaired -= w;
                        }
                        unpaired = unpaired.max(0.0);
                    }
                    let unpaired = UNPAIRED_QUERY_COST * unpaired;
                    gained / (gained + unpaired) >= threshold - ROUNDING_SLACK
                })
                .collect();
            names.sort_unstable();
            names
        })
    }

    /// [`Screener::screen`] without the blocking index: every query token is compared with
    /// every listed token and every name is scored. Slow; for tests and audits of the index.
    pub fn screen_exhaustive(&self, query: &str, threshold: f64, top: usize) -> Vec<Hit> {
        let prepared = self.prepare(query);
        let similar: Vec<Vec<SimilarToken>> = prepared
            .tokens
            .iter()
            .map(|t| {
                let token = PreparedToken::new(&t.text);
                (0..self.index.vocabulary.len() as u32)
                    .filter(|_| t.text.len() > 1)
                    .filter_map(|id| {
                        prepared_similarity(&token, &self.index.prepared[id as usize])
                            .map(|sim| (id, sim))
                    })
                    .collect()
            })
            .collect();
        let similar: Vec<&[SimilarToken]> = similar.iter().map(Vec::as_slice).collect();
        let every_name: Vec<u32> = (0..self.index.names.len() as u32).collect();
        self.screen_names(&prepared, &similar, every_name, threshold, top)
    }

    fn screen_prepared(
        &self,
        query: &PreparedQuery,
        similar: &[&[SimilarToken]],
        threshold: f64,
        top: usize,
    ) -> Vec<(u32, Hit)> {
        if top == 0 || query.tokens.is_empty() || threshold.is_nan() {
            return Vec::new();
        }
        let candidates = self.candidates(query, similar, threshold);
        self.screen_names_of_entries(query, similar, candidates, threshold, top)
    }

    /// Scores `candidates` (name ids) and returns the best hit per entry, sorted and cut.
    fn screen_names(
        &self,
        query: &PreparedQuery,
        similar: &[&[SimilarToken]],
        candidates: Vec<u32>,
        threshold: f64,
        top: usize,
    ) -> Vec<Hit> {
        self.screen_names_of_entries(query, similar, candidates, threshold, top)
            .into_iter()
            .map(|(_, hit)| hit)
            .collect()
    }

    /// [`Screener::screen_names`] with each hit's entry index.
    fn screen_names_of_entries(
        &self,
        query: &PreparedQuery,
        similar: &[&[SimilarToken]],
        candidates: Vec<u32>,
        threshold: f64,
        top: usize,
    ) -> Vec<(u32, Hit)> {
        if top == 0 || query.tokens.is_empty() || threshold.is_nan() {
            return Vec::new();
        }
        let q_text: Vec<&str> = query.tokens.iter().map(|t| t.text.as_str()).collect();
        // Best name per entry: (name id, scored match).
        let mut best: FastMap<u32, (u32, ScoredMatch)> = FastMap::default();
        for name_id in candidates {
            if self.upper_bound(query, &q_text, similar, name_id) < threshold - ROUNDING_SLACK {
                continue;
            }
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
        let mut hits: Vec<(u32, Hit)> = best
            .into_iter()
            .map(|(entry, (name_id, scored))| (entry, self.hit(&q_text, name_id, &scored)))
            .collect();
        hits.sort_by(|(_, a), (_, b)| hit_order(a, b));
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
                    let both_legal = query.legal_forms[i] && self.index.legal_forms[id as usize];
                    let sim = pair_similarity(q, listed, similar[i], id, both_legal)?;
                    let weight = pair_weight(query.weights[i], self.index.weights[id as usize]);
                    Some(weight * sim.credit(q.len(), listed.len()))
                })
                .fold(0.0, f64::max);
            if best > 0.0 {
                earned += best;
            } else {
                unpaired += UNPAIRED_QUERY_COST * query.weights[i];
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
            |i, j| {
                let id = name.tokens[j];
                let both_legal = query.legal_forms[i] && self.index.legal_forms[id as usize];
                pair_similarity(q_text[i], l_text[j], similar[i], id, both_legal)
            },
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

/// The order of hits: best score first, then list, entry id and matched name.
fn hit_order(a: &Hit, b: &Hit) -> std::cmp::Ordering {
    b.score
        .total_cmp(&a.score)
        .then_with(|| a.list.cmp(&b.list))
        .then_with(|| a.entry_id.cmp(&b.entry_id))
        .then_with(|| a.matched_name.cmp(&b.matched_name))
}

/// One warning for the names of a batch that were cut to [`MAX_MATCHED_NAME_CHARS`] for
/// matching: how many, and the start of the first.
fn warn_of_cut_names<'a>(queries: impl Iterator<Item = (&'a str, &'a PreparedQuery)>) {
    let mut cut = queries.filter(|(_, p)| p.cut).map(|(q, _)| q);
    let Some(first) = cut.next() else {
        return;
    };
    let count = 1 + cut.count();
    let start: String = first.chars().take(40).collect();
    tracing::warn!(
        "{count} name(s) longer than {MAX_MATCHED_NAME_CHARS} characters were matched on their first {MAX_MATCHED_NAME_CHARS} characters only; the first starts \"{start}\" ({} characters)",
        first.chars().count()
    );
}

/// Query tokens whose similar tokens lead to at least this many names may be assumed to pair
/// rather than followed (see [`Screener::candidates`]).
const ASSUME_ABOVE_REACH: usize = 512;

/// Scores are rounded to 4 decimals, so a bound within half a unit below the threshold may
/// still round up to it.
const ROUNDING_SLACK: f64 = 0.000_05;

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
    both_legal_forms: bool,
) -> Option<TokenSimilarity> {
    if query.len() == 1 || listed.len() == 1 || both_legal_forms {
        return direct_similarity(query, listed, both_legal_forms);
    }
    similar
        .binary_search_by_key(&listed_id, |&(id, _)| id)
        .ok()
        .map(|k| similar[k].1)
}
