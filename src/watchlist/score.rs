//! Scoring one query name against one listed name, with an explanation.
//!
//! Tokens are paired greedily, best pair first, by Jaro-Winkler similarity. A pair counts only
//! above a minimum similarity (stricter for short tokens) and earns a *credit* that falls fast
//! below 1.0, so two fuzzy tokens cost more than one. Each token has a *weight*: rare tokens
//! weigh up to 1.0; common names and company words, very short tokens and legal forms weigh
//! little. The score is
//!
//! ```text
//!            Σ paired  w · credit
//! score = ---------------------------------------------------------------
//!          Σ paired w + Σ unpaired query w + UNPAIRED_LISTED_COST · Σ unpaired listed w
//! ```
//!
//! where a pair's weight is the lesser of its two tokens' weights,
//! so unpaired tokens on either side pull it down (a query token that the list does not explain
//! costs more than a listed middle name the query leaves out).

use super::normalize::{is_common_token, is_legal_form, is_weak_token, normalize_name, NameToken};

/// Below this Jaro-Winkler similarity two tokens of 5+ letters are not paired.
pub const MIN_TOKEN_SIMILARITY: f64 = 0.85;
/// Below this similarity two tokens of which one has 4 letters or fewer are not paired.
pub const MIN_SHORT_TOKEN_SIMILARITY: f64 = 0.90;
/// The credit of an initial paired with a name starting with the same letter (`O.` ~ `Osama`).
pub const INITIAL_CREDIT: f64 = 0.6;
/// The credit of two different legal forms paired (`LLC` ~ `Ltd`).
pub const LEGAL_FORM_CREDIT: f64 = 0.8;
/// How much a listed token the query leaves out costs, relative to its weight.
pub const UNPAIRED_LISTED_COST: f64 = 0.4;

/// The similarity of two tokens that pair, or `None` when they do not pair.
///
/// Equal tokens give 1.0; two legal forms pair as [`TokenSimilarity::LegalForm`]; an initial
/// (one letter) against a token with the same first letter
/// gives [`INITIAL_CREDIT`] marked as an initial; otherwise Jaro-Winkler if it reaches the
/// minimum for the tokens' length.
pub fn token_similarity(query: &str, listed: &str) -> Option<TokenSimilarity> {
    if query == listed {
        return Some(TokenSimilarity::Exact);
    }
    if is_legal_form(query) && is_legal_form(listed) {
        return Some(TokenSimilarity::LegalForm);
    }
    if query.len() == 1 || listed.len() == 1 {
        return (query.as_bytes()[0] == listed.as_bytes()[0]).then_some(TokenSimilarity::Initial);
    }
    let floor = min_similarity(query.len(), listed.len());
    if jaro_winkler_bound(query, listed) < floor {
        return None;
    }
    let similarity = strsim::jaro_winkler(query, listed);
    (similarity >= floor).then_some(TokenSimilarity::Fuzzy(similarity))
}

/// An upper bound of the Jaro-Winkler similarity of two ASCII tokens, from the letters they
/// share (Jaro's matches can be no more) and their common prefix, to skip hopeless pairs cheaply.
pub fn jaro_winkler_bound(a: &str, b: &str) -> f64 {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut counts = [0i16; 128];
    for &c in a {
        counts[usize::from(c & 0x7f)] += 1;
    }
    let mut shared = 0usize;
    for &c in b {
        let slot = &mut counts[usize::from(c & 0x7f)];
        if *slot > 0 {
            *slot -= 1;
            shared += 1;
        }
    }
    if shared == 0 {
        return 0.0;
    }
    let m = shared as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + 1.0) / 3.0;
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count() as f64;
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
        0.3
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
    possible += unpaired_query
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
/// `"osama"~"usama" 0.87; "bin" = "bin"; "laden" = "laden"; unmatched: listed "awad"`.
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
    let q = normalize_name(query, false);
    let l = normalize_name(listed, listed_is_individual);
    let (q_text, q_weights) = texts_and_weights(&q);
    let (l_text, l_weights) = texts_and_weights(&l);
    let scored = score_tokens(
        WeightedTokens {
            tokens: &q_text,
            weights: &q_weights,
        },
        WeightedTokens {
            tokens: &l_text,
            weights: &l_weights,
        },
        |i, j| token_similarity(q_text[i], l_text[j]),
    );
    let explanation = explain(&q_text, &l_text, &scored);
    (scored.score, explanation)
}

fn texts_and_weights(tokens: &[NameToken]) -> (Vec<&str>, Vec<f64>) {
    let texts = tokens.iter().map(|t| t.text.as_str()).collect();
    let weights = tokens
        .iter()
        .map(|t| token_weight(&t.text, t.weak, 0))
        .collect();
    (texts, weights)
}
