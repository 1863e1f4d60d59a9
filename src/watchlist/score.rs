//! Scoring one query name against one listed name, with an explanation.
//!
//! Tokens are paired greedily, best pair first, by Jaro-Winkler similarity. A pair counts only
//! above a minimum similarity (stricter for short tokens) and earns a *credit* that falls fast
//! below 1.0, so two fuzzy tokens cost more than one. Each token has a *weight*: rare tokens
//! weigh up to 1.0; common names and company words, very short tokens and legal forms weigh
//! little. The score is
//!
//! ```text
//!                                 Σ paired w · credit
//! score = -----------------------------------------------------------------------
//!          Σ paired w + QUERY_COST · Σ unpaired query w + LISTED_COST · Σ unpaired listed w
//! ```
//!
//! where a pair's weight is the lesser of its two tokens' weights, QUERY_COST is
//! [`UNPAIRED_QUERY_COST`] and LISTED_COST is [`UNPAIRED_LISTED_COST`]; unpaired tokens on
//! either side pull the score down (a query token that the list does not explain
//! costs more than a listed middle name the query leaves out).

use super::normalize::{
    canonical_spelling, is_common_token, is_legal_form, is_weak_token, normalize_name, NameToken,
};

/// Below this Jaro-Winkler similarity two tokens of 5+ letters are not paired.
pub const MIN_TOKEN_SIMILARITY: f64 = 0.85;
/// Below this similarity two tokens of which one has 4 letters or fewer are not paired.
pub const MIN_SHORT_TOKEN_SIMILARITY: f64 = 0.90;
/// The credit of an initial paired with a name starting with the same letter (`O.` ~ `Osama`).
pub const INITIAL_CREDIT: f64 = 0.6;
/// The highest weight of an initial (a one-letter token).
pub const INITIAL_WEIGHT: f64 = 0.3;
/// The similarity given to two different tokens with the same canonical spelling.
pub const SAME_SPELLING_SIMILARITY: f64 = 0.95;
/// The credit of two different legal forms paired (`LLC` ~ `Ltd`).
pub const LEGAL_FORM_CREDIT: f64 = 0.8;
/// How much a query token the listed name does not explain costs, relative to its weight
/// (customer records often carry middle names and second surnames that lists omit).
pub const UNPAIRED_QUERY_COST: f64 = 0.6;
/// How much a listed token the query leaves out costs, relative to its weight.
pub const UNPAIRED_LISTED_COST: f64 = 0.4;

/// The similarity of two tokens that pair, or `None` when they do not pair.
///
/// Equal tokens give 1.0; two legal forms pair as [`TokenSimilarity::LegalForm`]; an initial
/// (one letter) against a token with the same first letter gives [`INITIAL_CREDIT`] marked as
/// an initial; tokens with the same [`canonical_spelling`] give [`SAME_SPELLING_SIMILARITY`];
/// otherwise the better Jaro-Winkler similarity of the tokens and of their canonical
/// spellings, if it reaches the minimum for the tokens' length.
pub fn token_similarity(query: &str, listed: &str) -> Option<TokenSimilarity> {
    prepared_similarity(&PreparedToken::new(query), &PreparedToken::new(listed))
}

/// A token with what comparing it needs, computed once: its canonical spelling and the letter
/// counts of both forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedToken {
    /// The normalised token.
    pub text: String,
    /// Its [`canonical_spelling`].
    pub spelling: String,
    letters: LetterCounts,
    spelling_letters: LetterCounts,
}

impl PreparedToken {
    /// Prepares a normalised token.
    pub fn new(text: &str) -> PreparedToken {
        let spelling = canonical_spelling(text);
        PreparedToken {
            letters: LetterCounts::of(text),
            spelling_letters: LetterCounts::of(&spelling),
            text: text.to_string(),
            spelling,
        }
    }
}

/// The similarity of tokens that pair without Jaro-Winkler: equal tokens, two legal forms
/// (`both_legal_forms`, known to the caller) and an initial against a token starting with it.
pub fn direct_similarity(
    query: &str,
    listed: &str,
    both_legal_forms: bool,
) -> Option<TokenSimilarity> {
    if query == listed {
        Some(TokenSimilarity::Exact)
    } else if both_legal_forms {
        Some(TokenSimilarity::LegalForm)
    } else if (query.len() == 1 || listed.len() == 1) && !query.is_empty() && !listed.is_empty() {
        (query.as_bytes()[0] == listed.as_bytes()[0]).then_some(TokenSimilarity::Initial)
    } else {
        None
    }
}

/// [`token_similarity`] of two prepared tokens.
pub fn prepared_similarity(
    query: &PreparedToken,
    listed: &PreparedToken,
) -> Option<TokenSimilarity> {
    let (q, l) = (query.text.as_str(), listed.text.as_str());
    if q.is_empty() || l.is_empty() {
        return None;
    }
    let both_legal_forms = is_legal_form(q) && is_legal_form(l);
    if q == l || both_legal_forms || q.len() == 1 || l.len() == 1 {
        return direct_similarity(q, l, both_legal_forms);
    }
    if query.spelling == listed.spelling {
        return Some(TokenSimilarity::Fuzzy(SAME_SPELLING_SIMILARITY));
    }
    let floor = min_similarity(q.len(), l.len());
    let raw = if jaro_winkler_bound(q, &query.letters, l, &listed.letters) < floor {
        0.0
    } else {
        strsim::jaro_winkler(q, l)
    };
    let (qs, ls) = (query.spelling.as_str(), listed.spelling.as_str());
    let spelled =
        if jaro_winkler_bound(qs, &query.spelling_letters, ls, &listed.spelling_letters) < floor {
            0.0
        } else {
            strsim::jaro_winkler(qs, ls)
        };
    let similarity = raw.max(spelled);
    (similarity >= floor).then_some(TokenSimilarity::Fuzzy(similarity))
}

/// How many times each letter occurs in a token. Letters fold onto 32 slots (digits share
/// slots with letters): a shared slot can only overstate what two tokens share, so bounds
/// built on it stay bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LetterCounts([u8; 32]);

impl LetterCounts {
    fn of(token: &str) -> LetterCounts {
        let mut counts = [0u8; 32];
        for &c in token.as_bytes() {
            let slot = &mut counts[usize::from(c & 31)];
            *slot = slot.saturating_add(1);
        }
        LetterCounts(counts)
    }

    /// Letters two tokens have in common, counted with multiplicity (saturated counts only
    /// occur past 255 repeats, where the bound no longer matters).
    fn shared(&self, other: &LetterCounts) -> usize {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| usize::from(*a.min(b)))
            .sum()
    }
}

/// An upper bound of the Jaro-Winkler similarity of two tokens, from the letters they share
/// (Jaro's matches can be no more) and their common prefix, to skip hopeless pairs cheaply.
fn jaro_winkler_bound(a: &str, a_letters: &LetterCounts, b: &str, b_letters: &LetterCounts) -> f64 {
    let shared = a_letters.shared(b_letters);
    if shared == 0 || a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let m = shared.min(a.len()).min(b.len()) as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + 1.0) / 3.0;
    let prefix = a
        .bytes()
        .zip(b.bytes())
        .take(4)
        .take_while(|(x, y)| x == y)
        .count() as f64;
    if jaro > 0.7 {
        jaro + 0.1 * prefix * (1.0 - jaro)
    } else {
        jaro
    }
}

/// The minimum Jaro-Winkler similarity for tokens of these lengths to pair.
pub fn min_similarity(query_len: usize, listed_len: usize) -> f64 {
    if query_len.min(listed_len) <= 4 {
        MIN_SHORT_TOKEN_SIMILARITY
    } else {
        MIN_TOKEN_SIMILARITY
    }
}

/// How two paired tokens agree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TokenSimilarity {
    /// The same token.
    Exact,
    /// An initial against a token with that first letter.
    Initial,
    /// Two different legal forms (`llc` ~ `ltd`).
    LegalForm,
    /// Different tokens with this Jaro-Winkler similarity.
    Fuzzy(f64),
}

impl TokenSimilarity {
    /// The credit a pair earns (1.0 for equal tokens), after the length-difference penalty.
    pub fn credit(self, query_len: usize, listed_len: usize) -> f64 {
        match self {
            TokenSimilarity::Exact => 1.0,
            TokenSimilarity::Initial => INITIAL_CREDIT,
            TokenSimilarity::LegalForm => LEGAL_FORM_CREDIT,
            TokenSimilarity::Fuzzy(s) => {
                let length_gap = query_len.abs_diff(listed_len).saturating_sub(2) as f64;
                (1.0 - 2.5 * (1.0 - s) - 0.05 * length_gap).max(0.0)
            }
        }
    }
}

/// The weight of a token: `1 / (1 + ln(1 + df/16))` for a token in `df` list entries, capped
/// at 0.15 for weak tokens, 0.35 for common words, 0.3 for initials and 0.5 for two letters.
pub fn token_weight(token: &str, weak: bool, document_frequency: u32) -> f64 {
    let rarity = 1.0 / (1.0 + (1.0 + f64::from(document_frequency) / 16.0).ln());
    let cap = if weak || is_weak_token(token) {
        0.15
    } else if token.len() == 1 {
        INITIAL_WEIGHT
    } else if is_common_token(token) {
        0.35
    } else if token.len() == 2 {
        0.5
    } else {
        1.0
    };
    rarity.min(cap)
}

/// The weight of a pair: the lesser of its two tokens' weights, so a common query word gains
/// little from pairing with a rare listed look-alike (`ali` ~ `alia`).
pub fn pair_weight(query_weight: f64, listed_weight: f64) -> f64 {
    query_weight.min(listed_weight)
}

/// One side of a comparison: tokens and their weights.
#[derive(Debug, Clone, Copy)]
pub struct WeightedTokens<'a> {
    /// Normalised token texts.
    pub tokens: &'a [&'a str],
    /// One weight per token.
    pub weights: &'a [f64],
}

/// The outcome of comparing two names.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredMatch {
    /// 0..1, rounded to 4 decimals.
    pub score: f64,
    /// Paired tokens: query index, listed index, similarity; in query order.
    pub pairs: Vec<(usize, usize, TokenSimilarity)>,
    /// Query tokens left unpaired, in order.
    pub unpaired_query: Vec<usize>,
    /// Listed tokens left unpaired, in order.
    pub unpaired_listed: Vec<usize>,
}

/// Pairs tokens greedily (best weighted credit first) using `similarity(i, j)` and scores.
pub fn score_tokens(
    query: WeightedTokens<'_>,
    listed: WeightedTokens<'_>,
    similarity: impl Fn(usize, usize) -> Option<TokenSimilarity>,
) -> ScoredMatch {
    let mut candidates = Vec::new();
    for (i, q) in query.tokens.iter().enumerate() {
        for (j, l) in listed.tokens.iter().enumerate() {
            if let Some(sim) = similarity(i, j) {
                let credit = sim.credit(q.len(), l.len());
                let weight = pair_weight(query.weights[i], listed.weights[j]);
                candidates.push((credit * weight, credit, weight, i, j, sim));
            }
        }
    }
    candidates.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.3.cmp(&b.3))
            .then(a.4.cmp(&b.4))
    });
    let mut query_used = vec![false; query.tokens.len()];
    let mut listed_used = vec![false; listed.tokens.len()];
    let (mut earned, mut possible) = (0.0, 0.0);
    let mut pairs = Vec::new();
    for (weighted_credit, _, weight, i, j, sim) in candidates {
        if query_used[i] || listed_used[j] || weighted_credit <= 0.0 {
            continue;
        }
        query_used[i] = true;
        listed_used[j] = true;
        earned += weighted_credit;
        possible += weight;
        pairs.push((i, j, sim));
    }
    pairs.sort_by_key(|&(i, j, _)| (i, j));
    let unpaired_query: Vec<usize> = (0..query.tokens.len())
        .filter(|&i| !query_used[i])
        .collect();
    let unpaired_listed: Vec<usize> = (0..listed.tokens.len())
        .filter(|&j| !listed_used[j])
        .collect();
    possible += UNPAIRED_QUERY_COST
        * unpaired_query
            .iter()
            .map(|&i| query.weights[i])
            .sum::<f64>();
    possible += UNPAIRED_LISTED_COST
        * unpaired_listed
            .iter()
            .map(|&j| listed.weights[j])
            .sum::<f64>();
    let score = if possible > 0.0 {
        earned / possible
    } else {
        0.0
    };
    ScoredMatch {
        score: (score * 10_000.0).round() / 10_000.0,
        pairs,
        unpaired_query,
        unpaired_listed,
    }
}

/// Writes the explanation of a match:
/// `"osama"~"usama" 0.95; "bin" = "bin"; "laden" = "laden"; unmatched: listed "awad"`.
pub fn explain(query: &[&str], listed: &[&str], scored: &ScoredMatch) -> String {
    let mut parts: Vec<String> = scored
        .pairs
        .iter()
        .map(|&(i, j, sim)| match sim {
            TokenSimilarity::Exact => format!("\"{}\" = \"{}\"", query[i], listed[j]),
            TokenSimilarity::Initial => format!("\"{}\"~\"{}\" initial", query[i], listed[j]),
            TokenSimilarity::LegalForm => {
                format!("\"{}\"~\"{}\" legal form", query[i], listed[j])
            }
            TokenSimilarity::Fuzzy(s) => format!("\"{}\"~\"{}\" {s:.2}", query[i], listed[j]),
        })
        .collect();
    let quote = |tokens: &[&str], idx: &[usize]| {
        idx.iter()
            .map(|&k| format!("\"{}\"", tokens[k]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let unmatched = match (
        scored.unpaired_query.is_empty(),
        scored.unpaired_listed.is_empty(),
    ) {
        (true, true) => "-".to_string(),
        (false, true) => format!("query {}", quote(query, &scored.unpaired_query)),
        (true, false) => format!("listed {}", quote(listed, &scored.unpaired_listed)),
        (false, false) => format!(
            "query {}; listed {}",
            quote(query, &scored.unpaired_query),
            quote(listed, &scored.unpaired_listed)
        ),
    };
    parts.push(format!("unmatched: {unmatched}"));
    parts.join("; ")
}

/// Compares two names on their own, weighting tokens with the built-in vocabularies only (no
/// list frequencies). Returns the score and its explanation. The [`Screener`](super::Screener)
/// uses the same rules with weights learnt from the loaded lists.
pub fn score_names(query: &str, listed: &str, listed_is_individual: bool) -> (f64, String) {
    let q = PreparedName::new(query, false);
    let l = PreparedName::new(listed, listed_is_individual);
    let scored = score_prepared_names(&q, &l);
    let explanation = explain_prepared_names(&q, &l, &scored);
    (scored.score, explanation)
}

/// A name normalised, weighted (built-in vocabularies only) and prepared for comparison once,
/// for names compared with many others.
#[derive(Debug, Clone)]
pub struct PreparedName {
    tokens: Vec<PreparedToken>,
    weights: Vec<f64>,
}

impl PreparedName {
    /// Normalises and prepares `name` (`individual`: a list's `SURNAME, Given` is reordered).
    pub fn new(name: &str, individual: bool) -> PreparedName {
        let tokens = normalize_name(name, individual);
        let (texts, weights) = texts_and_weights(&tokens);
        PreparedName {
            tokens: texts.iter().map(|t| PreparedToken::new(t)).collect(),
            weights,
        }
    }
}

/// The match of two prepared names, as [`score_names`] scores it.
pub fn score_prepared_names(query: &PreparedName, listed: &PreparedName) -> ScoredMatch {
    let (q_prepared, l_prepared) = (&query.tokens, &listed.tokens);
    let q_text: Vec<&str> = q_prepared.iter().map(|t| t.text.as_str()).collect();
    let l_text: Vec<&str> = l_prepared.iter().map(|t| t.text.as_str()).collect();
    score_tokens(
        WeightedTokens {
            tokens: &q_text,
            weights: &query.weights,
        },
        WeightedTokens {
            tokens: &l_text,
            weights: &listed.weights,
        },
        |i, j| prepared_similarity(&q_prepared[i], &l_prepared[j]),
    )
}

/// The explanation of a match of two prepared names (see [`explain`]).
pub fn explain_prepared_names(
    query: &PreparedName,
    listed: &PreparedName,
    scored: &ScoredMatch,
) -> String {
    let q_text: Vec<&str> = query.tokens.iter().map(|t| t.text.as_str()).collect();
    let l_text: Vec<&str> = listed.tokens.iter().map(|t| t.text.as_str()).collect();
    explain(&q_text, &l_text, scored)
}

fn texts_and_weights(tokens: &[NameToken]) -> (Vec<&str>, Vec<f64>) {
    let texts = tokens.iter().map(|t| t.text.as_str()).collect();
    let weights = tokens
        .iter()
        .map(|t| token_weight(&t.text, t.weak, 0))
        .collect();
    (texts, weights)
}
