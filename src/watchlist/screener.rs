//! Screening names against an indexed watchlist set.

use super::entry::{Entry, WatchlistSet};
use super::fast_hash::FastMap;
use super::index::{NameIndex, NameRun, SimilarToken};
use super::normalize::{
    canonical_spelling, is_legal_form, is_legal_form_short, legal_form_phrase,
    normalize_name_bounded, NameToken, MAX_LEGAL_FORM_PHRASE, MAX_MATCHED_NAME_CHARS,
};
use super::score::{
    direct_similarity, ends_of, explain, initials_credit, joined_spelling, joined_text,
    pair_weight, phrase_kind, prepared_similarity, score_tokens, token_weight, GroupKind,
    GroupPair, PreparedToken, ScoredMatch, TokenSimilarity, WeightedTokens, INITIAL_CREDIT,
    INITIAL_WEIGHT, MAX_JOINED_TOKENS, MIDDLE_NAME_LISTED_COST, MIDDLE_NAME_QUERY_COST,
    UNPAIRED_LISTED_COST, UNPAIRED_QUERY_COST,
};
use rayon::prelude::*;

mod party;

pub use party::{
    FactBound, PartyQuery, BIRTH_DATE_PENALTY, MAX_FACT_BONUS, NATIONALITY_BONUS,
    NATIONALITY_PENALTY,
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
/// The screener scores a listed name only when the query *touches* it (see
/// `Screener::candidates`): a query token of two letters or more is similar to one of the
/// name's tokens (sharing a blocking key with it, equal to it, or a known abbreviation of it or
/// of its word, and similar by [`prepared_similarity`](super::score::prepared_similarity) with
/// the query's token as the query); or a query token is one of the name's
/// [`runs`](ReachName::runs) written as one token (by text or canonical spelling); or adjacent
/// query tokens joined (by text or canonical spelling) are one of the name's tokens. Apart from
/// names, a party born in one of `weak_alias_years` may match a weak alias, and one holding
/// one of `id_numbers` (after [`normalize_id`](crate::watchlist::normalize_id)) is a hit
/// whatever its name. A party that meets none of these gets no hit from the screener; for a
/// screener [`restricted`](Screener::restricted) to a few entries, that is most parties.
///
/// A name's score is `earned / possible` ([`score_tokens`]), where each pair earns at most its
/// listed token's weight and each listed token left unpaired adds at least its
/// [`least_cost`](ReachToken::least_cost); so a party that can pair only listed tokens of
/// weight `W` (those it touches, plus the [`free`](ReachToken::free) ones, plus one per initial
/// of its own, the heaviest) scores at most `W / (W + U + Q)`, `U` the least costs of the
/// others and `Q` those of its own tokens that can pair with none of the name's
/// ([`least_query_weight`](Reach::least_query_weight) times
/// [`query_rate`](ReachName::query_rate)).
#[derive(Debug, Clone)]
pub struct Reach<'a> {
    /// Listed tokens of two letters or more that a screened name holds, prepared as
    /// [`similar_tokens`](super::index::NameIndex::similar_tokens) compares them, in
    /// vocabulary order.
    pub tokens: Vec<&'a PreparedToken>,
    /// Every screened name.
    pub names: Vec<ReachName>,
    /// Birth years under which some entry's weak aliases are scored, ascending.
    pub weak_alias_years: Vec<u16>,
    /// Normalised identity numbers listed, ascending.
    pub id_numbers: Vec<&'a str>,
    screener: &'a Screener,
}

impl Reach<'_> {
    /// The weight the screener gives a query token of two letters or more (weak as the
    /// query's normalisation marks it): its listed weight when the lists hold it, else
    /// [`token_weight`] of it as never listed.
    pub fn least_query_weight(&self, token: &str, weak: bool) -> f64 {
        match self.screener.index.token_id(token) {
            Some(id) => self.screener.index.weights[id as usize],
            None => token_weight(token, weak, 0),
        }
    }
}

/// One screened name of a [`Reach`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReachName {
    /// The least rate at which a query token it cannot pair costs: a middle name's in a
    /// person's name, else [`UNPAIRED_QUERY_COST`].
    pub query_rate: f64,
    /// Its tokens, in reading order.
    pub tokens: Vec<ReachToken>,
    /// Each run of 2 to [`MAX_JOINED_TOKENS`] adjacent tokens: its first token, its length,
    /// its joined text and its joined spelling (a query token equal to either pairs the run).
    pub runs: Vec<(usize, usize, String, String)>,
    /// The most its entry's birth dates and nationalities can add to its score.
    pub facts: FactBound,
}

/// One token of a [`ReachName`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReachToken {
    /// Its place in [`Reach::tokens`]; `None` for an initial (one letter).
    pub token: Option<u32>,
    /// Its weight in the screener: the most a pair with it earns.
    pub weight: f64,
    /// The least that leaving it unpaired costs (a possible middle name's rate in a person's
    /// name, else [`UNPAIRED_LISTED_COST`](super::score::UNPAIRED_LISTED_COST)).
    pub least_cost: f64,
    /// Whether it may pair without the query touching it: an initial, a legal form, or a
    /// word of a legal form spelled out.
    pub free: bool,
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
    /// Runs of adjacent tokens that pair with a listed token as one.
    runs: Vec<QueryRun>,
    /// Per token: the runs of listed names it pairs with as one, sorted by name id.
    split_runs: Vec<Vec<(NameRun, GroupKind)>>,
    /// Whether each token belongs to a run spelling out a legal form.
    in_phrase: Vec<bool>,
    /// The first and last strong tokens ([`name_ends`](super::score::name_ends)).
    ends: Option<(usize, usize)>,
    /// Whether each token is weak.
    weak: Vec<bool>,
    /// Whether a token is a legal form, or the short form of one written out, so that it may
    /// pair with a listed legal form spelled out.
    may_pair_phrase: bool,
}

/// A run of adjacent query tokens that pairs with a listed token as one.
struct QueryRun {
    start: usize,
    len: usize,
    /// Listed tokens it joins into, and how.
    ids: Vec<(u32, GroupKind)>,
    /// The short legal form it spells out.
    phrase: Option<&'static str>,
}

impl PreparedQuery {
    /// The cost rate of leaving token `i` unpaired in a name at best: a token between the
    /// query's first and last strong tokens may be costed as a middle name in an individual's.
    fn least_cost_rate(&self, i: usize, individual: bool) -> f64 {
        match self.ends {
            Some((first, last)) if individual && first < i && i < last => MIDDLE_NAME_QUERY_COST,
            _ => UNPAIRED_QUERY_COST,
        }
    }
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
        Screener {
            index: NameIndex::build_kept(entries, &|e| kept[e]),
            facts: party::FactIndex::build_for(entries, &|e| kept[e]),
            entries: entries.to_vec(),
        }
    }

    /// What this screener can find, seen from the listed side (see [`Reach`]).
    pub fn reach(&self) -> Reach<'_> {
        let index = &self.index;
        let mut slot: Vec<Option<u32>> = vec![None; index.vocabulary.len()];
        let mut tokens: Vec<&PreparedToken> = Vec::new();
        for (id, slot) in slot.iter_mut().enumerate() {
            if index.vocabulary[id].len() > 1 && !index.postings[id].is_empty() {
                *slot = Some(tokens.len() as u32);
                tokens.push(&index.prepared[id]);
            }
        }
        let names = index
            .names
            .iter()
            .enumerate()
            .map(|(name_id, name)| {
                let mut in_phrase = vec![false; name.tokens.len()];
                for &(start, len, _) in index
                    .phrase_runs
                    .get(&(name_id as u32))
                    .map_or(&[][..], Vec::as_slice)
                {
                    let start = usize::from(start);
                    in_phrase[start..start + usize::from(len)].fill(true);
                }
                let reach_tokens = name
                    .tokens
                    .iter()
                    .enumerate()
                    .map(|(j, &id)| {
                        let id = id as usize;
                        let weight = index.weights[id];
                        let rate = if name.shape.individual && name.shape.may_be_middle_name(j) {
                            MIDDLE_NAME_LISTED_COST.min(UNPAIRED_LISTED_COST)
                        } else {
                            UNPAIRED_LISTED_COST
                        };
                        ReachToken {
                            token: slot[id],
                            weight,
                            least_cost: rate * weight,
                            free: index.vocabulary[id].len() == 1
                                || index.legal_forms[id]
                                || in_phrase[j],
                        }
                    })
                    .collect();
                let mut runs = Vec::new();
                for len in 2..=MAX_JOINED_TOKENS {
                    for (start, run) in name.tokens.windows(len).enumerate() {
                        runs.push((
                            start,
                            len,
                            joined_text(run.iter().map(|&t| index.vocabulary[t as usize].as_str())),
                            joined_spelling(
                                run.iter()
                                    .map(|&t| index.prepared[t as usize].spelling.as_str()),
                            ),
                        ));
                    }
                }
                ReachName {
                    query_rate: if name.shape.individual {
                        MIDDLE_NAME_QUERY_COST.min(UNPAIRED_QUERY_COST)
                    } else {
                        UNPAIRED_QUERY_COST
                    },
                    tokens: reach_tokens,
                    runs,
                    facts: FactBound::of(&self.entries[name.entry as usize]),
                }
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
        let legal_forms: Vec<bool> = tokens.iter().map(|t| is_legal_form(&t.text)).collect();
        let texts: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
        let spellings: Vec<std::borrow::Cow<'_, str>> = texts
            .iter()
            .map(|t| match self.index.token_id(t) {
                Some(id) => {
                    std::borrow::Cow::Borrowed(self.index.prepared[id as usize].spelling.as_str())
                }
                None => std::borrow::Cow::Owned(canonical_spelling(t)),
            })
            .collect();
        let mut runs = Vec::new();
        let mut in_phrase = vec![false; texts.len()];
        for len in 2..=MAX_JOINED_TOKENS.max(MAX_LEGAL_FORM_PHRASE) {
            for start in 0..texts.len().saturating_sub(len - 1) {
                let mut ids = Vec::new();
                if len <= MAX_JOINED_TOKENS {
                    let exact = self
                        .index
                        .token_id(&joined_text(texts[start..start + len].iter().copied()));
                    ids.extend(exact.map(|id| (id, GroupKind::Joined)));
                    let spelling =
                        joined_spelling(spellings[start..start + len].iter().map(|s| s.as_ref()));
                    ids.extend(
                        self.index
                            .ids_spelled_as(&spelling)
                            .into_iter()
                            .filter(|&id| Some(id) != exact)
                            .map(|id| (id, GroupKind::JoinedSpelling)),
                    );
                }
                let phrase = legal_form_phrase(&texts[start..start + len]);
                if phrase.is_some() {
                    in_phrase[start..start + len].fill(true);
                }
                if !ids.is_empty() || phrase.is_some() {
                    runs.push(QueryRun {
                        start,
                        len,
                        ids,
                        phrase,
                    });
                }
            }
        }
        let split_runs = texts
            .iter()
            .zip(&spellings)
            .map(|(text, spelling)| {
                let exact = self.index.runs_joined_into(text);
                let mut found: Vec<(NameRun, GroupKind)> =
                    exact.iter().map(|&r| (r, GroupKind::Joined)).collect();
                found.extend(
                    self.index
                        .runs_spelled_as(spelling)
                        .into_iter()
                        .filter(|r| !exact.contains(r))
                        .map(|r| (r, GroupKind::JoinedSpelling)),
                );
                found.sort_unstable();
                found
            })
            .collect();
        let weak: Vec<bool> = tokens.iter().map(|t| t.weak).collect();
        let ends = ends_of(&weak);
        let may_pair_phrase =
            legal_forms.iter().any(|&l| l) || texts.iter().any(|t| is_legal_form_short(t));
        PreparedQuery {
            may_pair_phrase,
            weak,
            cut,
            legal_forms,
            runs,
            split_runs,
            in_phrase,
            ends,
            tokens,
            weights,
        }
    }

    /// The runs of adjacent tokens, on either side, that pair with one token of the other:
    /// query runs joined into a token of the name or spelling out a legal form it holds, and
    /// query tokens the name writes as a run.
    fn name_groups(&self, query: &PreparedQuery, name_id: u32) -> Vec<GroupPair> {
        let name = &self.index.names[name_id as usize];
        let mut groups = Vec::new();
        for run in &query.runs {
            for (j, &token) in name.tokens.iter().enumerate() {
                let joined = run.ids.iter().find(|(id, _)| *id == token).map(|p| p.1);
                let kind = joined.or_else(|| {
                    run.phrase.and_then(|short| {
                        phrase_kind(short, &self.index.vocabulary[token as usize])
                    })
                });
                if let Some(kind) = kind {
                    groups.push(GroupPair {
                        query_start: run.start,
                        query_len: run.len,
                        listed_start: j,
                        listed_len: 1,
                        kind,
                    });
                }
            }
        }
        for (i, runs) in query.split_runs.iter().enumerate() {
            let from = runs.partition_point(|(r, _)| r.0 < name_id);
            for &((_, start, len), kind) in runs[from..].iter().take_while(|(r, _)| r.0 == name_id)
            {
                groups.push(GroupPair {
                    query_start: i,
                    query_len: 1,
                    listed_start: usize::from(start),
                    listed_len: usize::from(len),
                    kind,
                });
            }
        }
        if !query.may_pair_phrase {
            return groups;
        }
        if let Some(phrases) = self.index.phrase_runs.get(&name_id) {
            for &(start, len, short) in phrases {
                for (i, token) in query.tokens.iter().enumerate() {
                    if let Some(kind) = phrase_kind(short, &token.text) {
                        groups.push(GroupPair {
                            query_start: i,
                            query_len: 1,
                            listed_start: usize::from(start),
                            listed_len: usize::from(len),
                            kind,
                        });
                    }
                }
            }
        }
        groups
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
        // tokens would not be a candidate for itself); so are the words of a legal form
        // spelled out, which pair outside the index like legal forms
        let mut assumed: Vec<bool> = query
            .tokens
            .iter()
            .zip(&query.legal_forms)
            .enumerate()
            .map(|(i, (t, &legal))| t.text.len() == 1 || legal || query.in_phrase[i] || i >= 64)
            .collect();
        let mut assumed_gain: f64 = (0..count).filter(|&i| assumed[i]).map(|i| weights[i]).sum();
        // the least a name can charge for the followed tokens it leaves unpaired
        let least_cost = |i: usize| query.least_cost_rate(i, true) * weights[i];
        let mut followed_cost: f64 = (0..count).filter(|&i| !assumed[i]).map(least_cost).sum();
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
            let unpaired = followed_cost - least_cost(i);
            if gained / (gained + unpaired) < threshold - ROUNDING_SLACK {
                assumed[i] = true;
                assumed_gain = gained;
                followed_cost -= least_cost(i);
            }
        }
        // followed tokens, and those between the query's first and last strong tokens
        let followed_mask = (0..count.min(64))
            .filter(|&i| !assumed[i])
            .fold(0u64, |bits, i| bits | (1u64 << i));
        let inner_mask = match query.ends {
            Some((first, last)) => {
                (first + 1..last.min(64)).fold(0u64, |bits, i| bits | (1u64 << i))
            }
            None => 0,
        };
        let bits_of = |range: std::ops::Range<usize>| {
            range
                .filter(|&i| i < 64)
                .fold(0u64, |bits, i| bits | (1u64 << i))
        };
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            scratch.prepare(self.index.names.len());
            for i in (0..weights.len()).filter(|&i| !assumed[i]) {
                let bit = bits_of(i..i + 1);
                let q_len = query.tokens[i].text.len();
                for &(id, sim) in similar[i] {
                    let listed_len = self.index.vocabulary[id as usize].len();
                    let gain = pair_weight(weights[i], self.index.weights[id as usize])
                        * sim.credit(q_len, listed_len);
                    for &name in &self.index.postings[id as usize] {
                        scratch.add(name, gain, bit);
                    }
                }
                // the token written as a run of a name's tokens: it earns at most its weight
                let gain = GroupKind::Joined.credit() * weights[i];
                for &((name, _, _), _) in &query.split_runs[i] {
                    scratch.add(name, gain, bit);
                }
            }
            // runs of query tokens joined into one listed token
            for run in &query.runs {
                let range = run.start..run.start + run.len;
                if range.clone().all(|i| assumed[i]) {
                    continue;
                }
                let run_weight: f64 = weights[range.clone()].iter().sum();
                let bits = bits_of(range);
                for &(id, kind) in &run.ids {
                    let gain =
                        kind.credit() * pair_weight(run_weight, self.index.weights[id as usize]);
                    for &name in &self.index.postings[id as usize] {
                        scratch.add(name, gain, bits);
                    }
                }
            }
            let mut names: Vec<u32> = scratch
                .touched
                .iter()
                .copied()
                .filter(|&name| {
                    let (gained, mask) = scratch.totals[name as usize];
                    let mut gained = gained + assumed_gain;
                    let unpaired_mask = followed_mask & !mask;
                    let sum_bits = |mut bits: u64| {
                        let mut sum = 0.0;
                        while bits != 0 {
                            sum += weights[bits.trailing_zeros() as usize];
                            bits &= bits - 1;
                        }
                        sum
                    };
                    // an unpaired token between the query's first and last strong tokens may
                    // cost less in an individual's name (looked up only then)
                    // only when the query's first and last strong tokens may pair
                    let may_pair = |i: usize| i >= 64 || assumed[i] || mask & (1 << i) != 0;
                    let ends_pair = query.ends.is_some_and(|(f, l)| may_pair(f) && may_pair(l));
                    let inner_rate = if unpaired_mask & inner_mask != 0
                        && ends_pair
                        && self.index.names[name as usize].shape.individual
                    {
                        MIDDLE_NAME_QUERY_COST
                    } else {
                        UNPAIRED_QUERY_COST
                    };
                    let individual = inner_rate == MIDDLE_NAME_QUERY_COST;
                    let unpaired_tokens =
                        || (0..count.min(64)).filter(|&i| !assumed[i] && mask & (1 << i) == 0);
                    let mut unpaired = UNPAIRED_QUERY_COST * sum_bits(unpaired_mask & !inner_mask)
                        + inner_rate * sum_bits(unpaired_mask & inner_mask);
                    let initials = usize::from(self.index.initials[name as usize]);
                    if initials > 0 && unpaired > 0.0 {
                        // Followed tokens left unpaired might still pair with the name's
                        // initials: assume the heaviest ones do, and the costliest ones go.
                        // (weight, least cost) of each
                        let mut left: Vec<(f64, f64)> = unpaired_tokens()
                            .map(|i| {
                                (
                                    weights[i],
                                    query.least_cost_rate(i, individual) * weights[i],
                                )
                            })
                            .collect();
                        left.sort_by(|a, b| b.0.total_cmp(&a.0));
                        for &(w, _) in left.iter().take(initials) {
                            gained += INITIAL_CREDIT * w.min(INITIAL_WEIGHT);
                        }
                        left.sort_by(|a, b| b.1.total_cmp(&a.1));
                        for &(_, c) in left.iter().take(initials) {
                            unpaired -= c;
                        }
                        unpaired = unpaired.max(0.0);
                    }
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
            let groups = self.name_groups(query, name_id);
            if self.upper_bound(query, &q_text, similar, name_id, &groups)
                < threshold - ROUNDING_SLACK
            {
                continue;
            }
            let scored = self.score_name(query, &q_text, similar, name_id, &groups);
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
    /// name's tokens (a run of `groups` counting in full for each of its query tokens),
    /// ignoring that two query tokens may want the same listed token; an unpaired token costs
    /// the least it can (a middle name's, between the query's first and last strong tokens).
    fn upper_bound(
        &self,
        query: &PreparedQuery,
        q_text: &[&str],
        similar: &[&[SimilarToken]],
        name_id: u32,
        groups: &[GroupPair],
    ) -> f64 {
        let name = &self.index.names[name_id as usize];
        // query initials may fall in place among a person's given names and earn more
        let initials = q_text.iter().filter(|q| q.len() == 1).count();
        let initial_credit = if name.shape.individual {
            initials_credit(initials)
        } else {
            INITIAL_CREDIT
        };
        let mut best_gains = Vec::with_capacity(q_text.len());
        for (i, q) in q_text.iter().enumerate() {
            let mut best = name
                .tokens
                .iter()
                .filter_map(|&id| {
                    let listed = self.index.vocabulary[id as usize].as_str();
                    let both_legal = query.legal_forms[i] && self.index.legal_forms[id as usize];
                    let sim = pair_similarity(q, listed, similar[i], id, both_legal)?;
                    let weight = pair_weight(query.weights[i], self.index.weights[id as usize]);
                    let credit = if sim == TokenSimilarity::Initial && q.len() == 1 {
                        initial_credit
                    } else {
                        sim.credit(q.len(), listed.len())
                    };
                    Some(weight * credit)
                })
                .fold(0.0, f64::max);
            for g in groups.iter().filter(|g| g.query_range().contains(&i)) {
                let listed_weight: f64 = name.tokens[g.listed_range()]
                    .iter()
                    .map(|&id| self.index.weights[id as usize])
                    .sum();
                let query_weight: f64 = query.weights[g.query_range()].iter().sum();
                best = best.max(g.kind.credit() * pair_weight(query_weight, listed_weight));
            }
            best_gains.push(best);
        }
        // middle names need the query's first and last strong tokens paired
        let individual = name.shape.individual
            && query
                .ends
                .is_some_and(|(f, l)| best_gains[f] > 0.0 && best_gains[l] > 0.0);
        let (mut earned, mut unpaired) = (0.0, 0.0);
        for (i, &best) in best_gains.iter().enumerate() {
            if best > 0.0 {
                earned += best;
            } else {
                unpaired += query.least_cost_rate(i, individual) * query.weights[i];
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
        groups: &[GroupPair],
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
        let l_weak: Vec<bool> = name
            .tokens
            .iter()
            .map(|&id| self.index.weak[id as usize])
            .collect();
        score_tokens(
            WeightedTokens {
                tokens: q_text,
                weights: &query.weights,
                weak: &query.weak,
            },
            WeightedTokens {
                tokens: &l_text,
                weights: &l_weights,
                weak: &l_weak,
            },
            |i, j| {
                let id = name.tokens[j];
                let both_legal = query.legal_forms[i] && self.index.legal_forms[id as usize];
                pair_similarity(q_text[i], l_text[j], similar[i], id, both_legal)
            },
            groups,
            name.shape,
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
