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
    abbreviation_expansions, abbreviations_of, canonical_spelling, given_name_count,
    is_abbreviation_pair, is_common_token, is_legal_form, is_weak_token, legal_form_phrase,
    normalize_name, starts_legal_form_phrase, NameToken, MAX_LEGAL_FORM_PHRASE,
};

/// Below this Jaro-Winkler similarity two tokens of 5+ letters are not paired.
pub const MIN_TOKEN_SIMILARITY: f64 = 0.85;
/// Below this similarity two tokens of which one has 4 letters or fewer are not paired.
pub const MIN_SHORT_TOKEN_SIMILARITY: f64 = 0.90;
/// The credit of an initial paired with a name starting with the same letter (`O.` ~ `Osama`).
pub const INITIAL_CREDIT: f64 = 0.6;
/// The highest weight of an initial (a one-letter token).
pub const INITIAL_WEIGHT: f64 = 0.3;

/// The credit of each of `count` query initials that pair, in order, with a person's given
/// names while the surname agrees (`A. P. Torshin` ~ `TORSHIN, Alexander Porfiryevich`):
/// `1 − (1 − INITIAL_CREDIT)^count`. One initial earns [`INITIAL_CREDIT`]; each more that
/// falls in place makes a coincidence less likely (two: 0.84, three: 0.936).
pub fn initials_credit(count: usize) -> f64 {
    let count = i32::try_from(count).unwrap_or(i32::MAX);
    1.0 - (1.0 - INITIAL_CREDIT).powi(count)
}

/// The similarity given to two different tokens with the same canonical spelling.
pub const SAME_SPELLING_SIMILARITY: f64 = 0.95;
/// The credit of two different legal forms paired (`LLC` ~ `Ltd`).
pub const LEGAL_FORM_CREDIT: f64 = 0.8;
/// The credit of a known abbreviation paired with the word it stands for (`trdg` ~ `trading`,
/// `mohd` ~ `muhammad`, `ltd` ~ `limited`).
pub const ABBREVIATION_CREDIT: f64 = 0.9;
/// The credit of adjacent tokens whose letters, joined, are those of one token of the other
/// name (`abdul rahman` ~ `abdulrahman`, `iran air` ~ `iranair`).
pub const JOINED_CREDIT: f64 = 0.95;
/// The credit of adjacent tokens that, joined, have the canonical spelling of one token of the
/// other name (`abdel rahman` ~ `abdelrahmen`): the credit of two tokens of the same spelling.
pub const JOINED_SPELLING_CREDIT: f64 = 0.875;
/// At most this many adjacent tokens are joined to pair with one token.
pub const MAX_JOINED_TOKENS: usize = 3;
/// How much a listed middle name the query leaves out costs, relative to its weight, when the
/// names' first and last tokens pair (the query is the listed name less middle names), instead
/// of [`UNPAIRED_LISTED_COST`].
pub const MIDDLE_NAME_LISTED_COST: f64 = 0.15;
/// How much a query middle name the listed name does not hold costs, relative to its weight,
/// when the names' first and last tokens pair (the listed name is the query less middle
/// names), instead of [`UNPAIRED_QUERY_COST`].
pub const MIDDLE_NAME_QUERY_COST: f64 = 0.2;
/// How much a query token the listed name does not explain costs, relative to its weight
/// (customer records often carry middle names and second surnames that lists omit).
pub const UNPAIRED_QUERY_COST: f64 = 0.6;
/// How much a listed token the query leaves out costs, relative to its weight.
pub const UNPAIRED_LISTED_COST: f64 = 0.4;

/// The similarity of two tokens that pair, or `None` when they do not pair.
///
/// Equal tokens give 1.0; a known abbreviation and its word pair as
/// [`TokenSimilarity::Abbreviation`]; two legal forms pair as [`TokenSimilarity::LegalForm`]; an initial
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
    /// Whether the token is a known abbreviation or a word with one.
    abbreviates: bool,
    /// Whether its spelling reads a word-initial `g` as `k` ([`canonical_spelling`]).
    initial_g: bool,
}

impl PreparedToken {
    /// Prepares a normalised token.
    pub fn new(text: &str) -> PreparedToken {
        let spelling = canonical_spelling(text);
        PreparedToken {
            abbreviates: !abbreviation_expansions(text).is_empty()
                || !abbreviations_of(text).is_empty(),
            initial_g: text.starts_with('g') && spelling.starts_with('k'),
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
    } else if both_legal_forms && is_abbreviation_pair(query, listed) {
        Some(TokenSimilarity::Abbreviation)
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
    if query.abbreviates && listed.abbreviates && is_abbreviation_pair(q, l) {
        return Some(TokenSimilarity::Abbreviation);
    }
    if query.spelling == listed.spelling {
        return Some(TokenSimilarity::SameSpelling);
    }
    let floor = min_similarity(q.len(), l.len());
    let raw = if jaro_winkler_bound(q, &query.letters, l, &listed.letters) < floor {
        0.0
    } else {
        strsim::jaro_winkler(q, l)
    };
    let (qs, ls) = (query.spelling.as_str(), listed.spelling.as_str());
    let mut spelled =
        if jaro_winkler_bound(qs, &query.spelling_letters, ls, &listed.spelling_letters) < floor {
            0.0
        } else {
            strsim::jaro_winkler(qs, ls)
        };
    if query.initial_g != listed.initial_g {
        // the initial `g` read as `k` only ever helps: a token whose `g` stays one (a typo
        // after it, `grermay` ~ `ghermay`) is also compared with the other's `g`
        let as_g = |s: &str| format!("g{}", &s[1..]);
        spelled = spelled.max(if query.initial_g {
            strsim::jaro_winkler(&as_g(qs), ls)
        } else {
            strsim::jaro_winkler(qs, &as_g(ls))
        });
    }
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
    /// A known abbreviation and the word it stands for (`intl` ~ `international`).
    Abbreviation,
    /// Different tokens with the same [`canonical_spelling`] (`nowin` ~ `novin`), valued as
    /// a Jaro-Winkler similarity of [`SAME_SPELLING_SIMILARITY`].
    SameSpelling,
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
            TokenSimilarity::Abbreviation => ABBREVIATION_CREDIT,
            TokenSimilarity::SameSpelling => {
                TokenSimilarity::Fuzzy(SAME_SPELLING_SIMILARITY).credit(query_len, listed_len)
            }
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

/// How a run of adjacent tokens on one side pairs with one token on the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupKind {
    /// The run's letters, joined, are the token's (`abdul rahman` ~ `abdulrahman`).
    Joined,
    /// The run, joined, has the token's canonical spelling (`abdel rahman` ~ `abdelrahmen`).
    JoinedSpelling,
    /// The run spells out the legal form the token abbreviates (`sociedad anonima` ~ `sa`).
    LegalFormSpelledOut,
    /// The run spells out a legal form, and the token is another legal form
    /// (`limited liability company` ~ `ltd`).
    OtherLegalFormSpelledOut,
}

impl GroupKind {
    /// The credit the pairing earns.
    pub fn credit(self) -> f64 {
        match self {
            GroupKind::Joined => JOINED_CREDIT,
            GroupKind::JoinedSpelling => JOINED_SPELLING_CREDIT,
            GroupKind::LegalFormSpelledOut => 1.0,
            GroupKind::OtherLegalFormSpelledOut => LEGAL_FORM_CREDIT,
        }
    }
}

/// A run of adjacent tokens of one name paired with one token of the other: one of the two
/// ranges holds a single token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupPair {
    /// First query token.
    pub query_start: usize,
    /// Number of query tokens.
    pub query_len: usize,
    /// First listed token.
    pub listed_start: usize,
    /// Number of listed tokens.
    pub listed_len: usize,
    /// How they pair.
    pub kind: GroupKind,
}

impl GroupPair {
    /// The query tokens.
    pub fn query_range(&self) -> std::ops::Range<usize> {
        self.query_start..self.query_start + self.query_len
    }

    /// The listed tokens.
    pub fn listed_range(&self) -> std::ops::Range<usize> {
        self.listed_start..self.listed_start + self.listed_len
    }
}

/// Adjacent tokens written as one: their texts concatenated.
pub fn joined_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts.into_iter().collect()
}

/// The canonical spelling of adjacent tokens written as one: their canonical spellings
/// concatenated, doubled letters collapsed (`abdul` + `lah` → `abdulah`, as `abdullah`).
pub fn joined_spelling<'a>(spellings: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for part in spellings {
        for ch in part.chars() {
            if !out.ends_with(ch) {
                out.push(ch);
            }
        }
    }
    out
}

/// How a spelled-out legal form (by its short form) pairs with a token.
pub fn phrase_kind(short: &str, token: &str) -> Option<GroupKind> {
    if short == token {
        Some(GroupKind::LegalFormSpelledOut)
    } else if is_legal_form(short) && is_legal_form(token) {
        Some(GroupKind::OtherLegalFormSpelledOut)
    } else {
        None
    }
}

/// A run of adjacent tokens of one name, as it may pair with one token of the other.
#[derive(Debug, Clone)]
struct Run {
    start: usize,
    len: usize,
    /// Joined text and spelling, for runs of up to [`MAX_JOINED_TOKENS`].
    joined: Option<(String, String)>,
    /// The short legal form the run spells out.
    phrase: Option<&'static str>,
}

impl Run {
    /// How the run pairs with `single`: joined, same spelling joined, or a legal form spelled
    /// out; `None` when it does not.
    fn kind(&self, single: &PreparedToken) -> Option<GroupKind> {
        if let Some((text, spelling)) = &self.joined {
            if *text == single.text {
                return Some(GroupKind::Joined);
            }
            if *spelling == single.spelling {
                return Some(GroupKind::JoinedSpelling);
            }
        }
        phrase_kind(self.phrase?, &single.text)
    }
}

/// The runs of 2 or more adjacent tokens of a name that can pair with one token.
fn runs_of(tokens: &[PreparedToken]) -> Vec<Run> {
    let mut runs = Vec::new();
    for len in 2..=MAX_JOINED_TOKENS.max(MAX_LEGAL_FORM_PHRASE) {
        for start in 0..tokens.len().saturating_sub(len - 1) {
            let run = &tokens[start..start + len];
            let joined = (len <= MAX_JOINED_TOKENS).then(|| {
                (
                    joined_text(run.iter().map(|t| t.text.as_str())),
                    joined_spelling(run.iter().map(|t| t.spelling.as_str())),
                )
            });
            let phrase = if starts_legal_form_phrase(&run[0].text) {
                let texts: Vec<&str> = run.iter().map(|t| t.text.as_str()).collect();
                legal_form_phrase(&texts)
            } else {
                None
            };
            if joined.is_some() || phrase.is_some() {
                runs.push(Run {
                    start,
                    len,
                    joined,
                    phrase,
                });
            }
        }
    }
    runs
}

/// Every run of 2 to [`MAX_JOINED_TOKENS`] adjacent tokens of either name that joins into one
/// token of the other, and every run that spells out a legal form (up to
/// [`MAX_LEGAL_FORM_PHRASE`] tokens) pairing with a token of the other.
pub fn find_groups(query: &[PreparedToken], listed: &[PreparedToken]) -> Vec<GroupPair> {
    groups_of_runs(query, &runs_of(query), listed, &runs_of(listed))
}

/// [`find_groups`] with each name's runs ([`runs_of`]) computed before.
fn groups_of_runs(
    query: &[PreparedToken],
    query_runs: &[Run],
    listed: &[PreparedToken],
    listed_runs: &[Run],
) -> Vec<GroupPair> {
    let mut groups = Vec::new();
    for run in query_runs {
        for (j, single) in listed.iter().enumerate() {
            if let Some(kind) = run.kind(single) {
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
    for run in listed_runs {
        for (i, single) in query.iter().enumerate() {
            if let Some(kind) = run.kind(single) {
                groups.push(GroupPair {
                    query_start: i,
                    query_len: 1,
                    listed_start: run.start,
                    listed_len: run.len,
                    kind,
                });
            }
        }
    }
    groups
}

/// The first and the last token of a name that are not weak (legal forms, honorifics, joining
/// words): its given name and surname, or its first and last words. `None` for fewer than two.
pub fn name_ends(tokens: &[&str]) -> Option<(usize, usize)> {
    let weak: Vec<bool> = tokens.iter().map(|t| is_weak_token(t)).collect();
    ends_of(&weak)
}

/// [`name_ends`] of a name given whether each of its tokens is weak.
pub fn ends_of(weak: &[bool]) -> Option<(usize, usize)> {
    let first = weak.iter().position(|w| !w)?;
    let last = weak.iter().rposition(|w| !w)?;
    (first < last).then_some((first, last))
}

/// What is known of a listed name's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListedShape {
    /// Whether the name is a person's.
    pub individual: bool,
    /// How many of its first tokens are given names, when the list writes it
    /// `SURNAME, Given Names` ([`given_name_count`](super::normalize::given_name_count)).
    pub given_names: Option<usize>,
}

impl ListedShape {
    /// Whether listed token `j` is (part of) a person's surname: a token after the given
    /// names, or the last strong token (`last_strong`) when the given names are not known.
    fn is_surname(&self, j: usize, last_strong: Option<usize>) -> bool {
        self.individual
            && match self.given_names {
                Some(given) => j >= given,
                None => Some(j) == last_strong,
            }
    }

    /// Whether listed token `j` may be a middle name: a given name, or any token when the
    /// given names are not known.
    pub(crate) fn may_be_middle_name(&self, j: usize) -> bool {
        self.given_names.is_none_or(|given| j < given)
    }
}

/// One side of a comparison: tokens and their weights.
#[derive(Debug, Clone, Copy)]
pub struct WeightedTokens<'a> {
    /// Normalised token texts.
    pub tokens: &'a [&'a str],
    /// One weight per token.
    pub weights: &'a [f64],
    /// Whether each token is weak ([`is_weak_token`]).
    pub weak: &'a [bool],
}

/// The outcome of comparing two names.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredMatch {
    /// 0..1, rounded to 4 decimals.
    pub score: f64,
    /// Paired tokens: query index, listed index, similarity; in query order.
    pub pairs: Vec<(usize, usize, TokenSimilarity)>,
    /// Runs of tokens paired with one token, in query order.
    pub groups: Vec<GroupPair>,
    /// Query tokens left unpaired, in order.
    pub unpaired_query: Vec<usize>,
    /// Listed tokens left unpaired, in order.
    pub unpaired_listed: Vec<usize>,
    /// Whether the unpaired tokens were costed as middle names (see [`score_tokens`]).
    pub middle_names: bool,
    /// How many query initials paired, in order, with the given names, each earning
    /// [`initials_credit`] of that many (0 when the initials did not all fall in place).
    pub initials_in_order: usize,
}

/// One pairing considered by [`score_tokens`].
#[derive(Debug, Clone, Copy)]
struct Candidate {
    weighted: f64,
    credit: f64,
    weight: f64,
    query: usize,
    listed: usize,
    /// `None` for a single pair, else the index of the group.
    group: Option<usize>,
    similarity: Option<TokenSimilarity>,
}

/// Pairs tokens greedily (best weighted credit first) using `similarity(i, j)` and the runs of
/// `groups`, and scores.
///
/// A run in `groups` pairs as one, with the weight [`pair_weight`] of its tokens' summed
/// weights and the single token's weight; a word of a run spelling out a legal form does not
/// pair on its own, as a legal form or abbreviation, with the token the run pairs with. When
/// the listed name is a person's, an initial never pairs with its surname ([`ListedShape`]).
///
/// Middle names: when the listed name is a person's, the first and last strong tokens (see
/// [`name_ends`]) of both names pair (in the same order, or the query's reversed) and agree in
/// spelling (equal, the same canonical spelling, an abbreviation or joined), and only one name
/// has strong tokens left unpaired (for the listed name, given names only, when known), those
/// cost [`MIDDLE_NAME_QUERY_COST`] or [`MIDDLE_NAME_LISTED_COST`] instead of
/// [`UNPAIRED_QUERY_COST`] or [`UNPAIRED_LISTED_COST`].
///
/// Initials: when the listed name is a person's and two or more query initials fall in place
/// among its given names, in order, with the surname agreeing (see [`initials_in_order`]),
/// they pair so, each earning [`initials_credit`] of their number instead of
/// [`INITIAL_CREDIT`].
pub fn score_tokens(
    query: WeightedTokens<'_>,
    listed: WeightedTokens<'_>,
    similarity: impl Fn(usize, usize) -> Option<TokenSimilarity>,
    groups: &[GroupPair],
    shape: ListedShape,
) -> ScoredMatch {
    let listed_ends = ends_of(listed.weak);
    let query_ends = ends_of(query.weak);
    let last_strong = listed.weak.iter().rposition(|w| !w);
    let mut candidates = Vec::new();
    for (i, q) in query.tokens.iter().enumerate() {
        for (j, l) in listed.tokens.iter().enumerate() {
            if let Some(sim) = similarity(i, j) {
                if sim == TokenSimilarity::Initial && shape.is_surname(j, last_strong) {
                    continue;
                }
                // a word of a legal form spelled out pairs with a legal form only as part of it
                // (`open joint stock company` ~ `oao`, not `company` ~ `oao` alone)
                if matches!(
                    sim,
                    TokenSimilarity::LegalForm | TokenSimilarity::Abbreviation
                ) && groups.iter().any(|g| {
                    matches!(
                        g.kind,
                        GroupKind::LegalFormSpelledOut | GroupKind::OtherLegalFormSpelledOut
                    ) && g.query_range().contains(&i)
                        && g.listed_range().contains(&j)
                }) {
                    continue;
                }
                let credit = sim.credit(q.len(), l.len());
                let weight = pair_weight(query.weights[i], listed.weights[j]);
                candidates.push(Candidate {
                    weighted: credit * weight,
                    credit,
                    weight,
                    query: i,
                    listed: j,
                    group: None,
                    similarity: Some(sim),
                });
            }
        }
    }
    for (k, g) in groups.iter().enumerate() {
        let weight = pair_weight(
            query.weights[g.query_range()].iter().sum(),
            listed.weights[g.listed_range()].iter().sum(),
        );
        let credit = g.kind.credit();
        candidates.push(Candidate {
            weighted: credit * weight,
            credit,
            weight,
            query: g.query_start,
            listed: g.listed_start,
            group: Some(k),
            similarity: None,
        });
    }
    candidates.sort_by(|a, b| {
        b.weighted
            .total_cmp(&a.weighted)
            .then(b.credit.total_cmp(&a.credit))
            .then(a.group.is_some().cmp(&b.group.is_some()))
            .then(a.query.cmp(&b.query))
            .then(a.listed.cmp(&b.listed))
            .then(a.group.cmp(&b.group))
    });
    let mut query_used = vec![false; query.tokens.len()];
    let mut listed_used = vec![false; listed.tokens.len()];
    let (mut earned, mut possible) = (0.0, 0.0);
    let mut pairs = Vec::new();
    let mut chosen_groups = Vec::new();
    for c in candidates {
        if c.weighted <= 0.0 {
            continue;
        }
        match (c.group, c.similarity) {
            (Some(k), _) => {
                let g = groups[k];
                if g.query_range().any(|i| query_used[i])
                    || g.listed_range().any(|j| listed_used[j])
                {
                    continue;
                }
                g.query_range().for_each(|i| query_used[i] = true);
                g.listed_range().for_each(|j| listed_used[j] = true);
                chosen_groups.push(g);
            }
            (None, Some(sim)) => {
                if query_used[c.query] || listed_used[c.listed] {
                    continue;
                }
                query_used[c.query] = true;
                listed_used[c.listed] = true;
                pairs.push((c.query, c.listed, sim));
            }
            (None, None) => continue,
        }
        earned += c.weighted;
        possible += c.weight;
    }
    // A word the listed name holds twice (`khan ... khan`): the query's last word pairs with
    // the listed name's last, its first with the first, when that one is free.
    if let (Some((q_first, q_last)), Some((l_first, l_last))) = (query_ends, listed_ends) {
        for (q_end, l_end) in [(q_first, l_first), (q_last, l_last)] {
            if listed_used[l_end] {
                continue;
            }
            if let Some(pair) = pairs.iter_mut().find(|p| p.0 == q_end) {
                if listed.tokens[pair.1] == listed.tokens[l_end] {
                    listed_used[pair.1] = false;
                    listed_used[l_end] = true;
                    pair.1 = l_end;
                }
            }
        }
    }
    // ... and a word a person's given names and surname both hold pairs with the surname's.
    if let (true, Some(given)) = (shape.individual, shape.given_names) {
        for pair in pairs.iter_mut().filter(|p| p.1 < given) {
            let free = (given..listed.tokens.len())
                .find(|&j| !listed_used[j] && listed.tokens[j] == listed.tokens[pair.1]);
            if let Some(j) = free {
                listed_used[pair.1] = false;
                listed_used[j] = true;
                pair.1 = j;
            }
        }
    }
    // Initials of the given names, in order, with the surname agreeing: each earns more.
    let chain = if shape.individual {
        initials_in_order(
            query.tokens,
            listed.tokens,
            (shape, last_strong),
            &pairs,
            &chosen_groups,
            &listed_used,
        )
    } else {
        None
    };
    let initials_in_order = chain.as_ref().map_or(0, Vec::len);
    if let Some(chain) = chain {
        let is_query_initial = |&(i, _, sim): &(usize, usize, TokenSimilarity)| {
            sim == TokenSimilarity::Initial && query.tokens[i].len() == 1
        };
        for &(i, j, _) in pairs.iter().filter(|p| is_query_initial(p)) {
            let weight = pair_weight(query.weights[i], listed.weights[j]);
            earned -= INITIAL_CREDIT * weight;
            possible -= weight;
            listed_used[j] = false;
        }
        pairs.retain(|p| !is_query_initial(p));
        let credit = initials_credit(chain.len());
        for (i, j) in chain {
            let weight = pair_weight(query.weights[i], listed.weights[j]);
            earned += credit * weight;
            possible += weight;
            query_used[i] = true;
            listed_used[j] = true;
            pairs.push((i, j, TokenSimilarity::Initial));
        }
    }
    pairs.sort_by_key(|&(i, j, _)| (i, j));
    chosen_groups.sort_by_key(|g| (g.query_start, g.listed_start));
    let unpaired_query: Vec<usize> = (0..query.tokens.len())
        .filter(|&i| !query_used[i])
        .collect();
    let unpaired_listed: Vec<usize> = (0..listed.tokens.len())
        .filter(|&j| !listed_used[j])
        .collect();
    let strong_query = unpaired_query.iter().any(|&i| !query.weak[i]);
    let mut strong_listed = unpaired_listed.iter().filter(|&&j| !listed.weak[j]);
    let middle_names = shape.individual
        && strong_query != strong_listed.clone().next().is_some()
        && strong_listed.all(|&j| shape.may_be_middle_name(j))
        && match (query_ends, listed_ends) {
            (Some((qf, ql)), Some((lf, ll))) => {
                // the tokens pair and agree in spelling
                let agree = |i: usize, j: usize| {
                    pairs.iter().any(|p| {
                        p.0 == i
                            && p.1 == j
                            && matches!(
                                p.2,
                                TokenSimilarity::Exact
                                    | TokenSimilarity::SameSpelling
                                    | TokenSimilarity::Abbreviation
                            )
                    }) || chosen_groups
                        .iter()
                        .any(|g| g.query_range().contains(&i) && g.listed_range().contains(&j))
                };
                (agree(qf, lf) && agree(ql, ll)) || (agree(qf, ll) && agree(ql, lf))
            }
            _ => false,
        };
    let cost = |weak: &[bool], weights: &[f64], idx: &[usize], usual: f64, middle: f64| {
        idx.iter()
            .map(|&k| {
                let rate = if middle_names && !weak[k] {
                    middle
                } else {
                    usual
                };
                rate * weights[k]
            })
            .sum::<f64>()
    };
    possible += cost(
        query.weak,
        query.weights,
        &unpaired_query,
        UNPAIRED_QUERY_COST,
        MIDDLE_NAME_QUERY_COST,
    );
    possible += cost(
        listed.weak,
        listed.weights,
        &unpaired_listed,
        UNPAIRED_LISTED_COST,
        MIDDLE_NAME_LISTED_COST,
    );
    let score = if possible > 0.0 {
        earned / possible
    } else {
        0.0
    };
    ScoredMatch {
        score: (score * 10_000.0).round() / 10_000.0,
        pairs,
        groups: chosen_groups,
        unpaired_query,
        unpaired_listed,
        middle_names,
        initials_in_order,
    }
}

/// The partners of a query's initials when they fall in place in a person's name: two or more
/// initials (one-letter query tokens), each paired, in the query's order, with a later given
/// name (not the surname, see [`ListedShape`]) of two letters or more starting with its letter
/// that is free or held by a query initial; and a surname token paired with a query token
/// that agrees in spelling (equal, the same canonical spelling, an abbreviation, or joined).
/// Each initial takes the first such given name after the previous one's, so the initials fall
/// in place whenever they can. `None` when they do not.
fn initials_in_order(
    query: &[&str],
    listed: &[&str],
    (shape, last_strong): (ListedShape, Option<usize>),
    pairs: &[(usize, usize, TokenSimilarity)],
    groups: &[GroupPair],
    listed_used: &[bool],
) -> Option<Vec<(usize, usize)>> {
    let initials: Vec<usize> = (0..query.len()).filter(|&i| query[i].len() == 1).collect();
    if initials.len() < 2 {
        return None;
    }
    let surname_agrees = (0..listed.len())
        .filter(|&j| shape.is_surname(j, last_strong))
        .any(|j| {
            pairs.iter().any(|p| {
                p.1 == j
                    && matches!(
                        p.2,
                        TokenSimilarity::Exact
                            | TokenSimilarity::SameSpelling
                            | TokenSimilarity::Abbreviation
                    )
            }) || groups.iter().any(|g| g.listed_range().contains(&j))
        });
    if !surname_agrees {
        return None;
    }
    let held_by_initial = |j: usize| {
        pairs
            .iter()
            .any(|p| p.1 == j && p.2 == TokenSimilarity::Initial && query[p.0].len() == 1)
    };
    let mut next = 0;
    let mut chain = Vec::with_capacity(initials.len());
    for i in initials {
        let letter = query[i].as_bytes()[0];
        let j = (next..listed.len()).find(|&j| {
            listed[j].len() > 1
                && listed[j].as_bytes()[0] == letter
                && !shape.is_surname(j, last_strong)
                && (!listed_used[j] || held_by_initial(j))
        })?;
        chain.push((i, j));
        next = j + 1;
    }
    Some(chain)
}

/// Writes the explanation of a match:
/// `"osama"~"usama" 0.95; "bin" = "bin"; "laden"~"ladin" 0.91; unmatched: listed "awad"`.
/// Runs paired with one token read `"abdul"+"rahman" = "abdulrahman" joined`; an
/// abbreviation `"intl"~"international" abbreviation`; initials of the given names in order
/// `"a"~"alexander" initial, in order`; middle names left unpaired are marked
/// `(middle names: first and last names pair)`.
pub fn explain(query: &[&str], listed: &[&str], scored: &ScoredMatch) -> String {
    let mut parts: Vec<(usize, usize, String)> = scored
        .pairs
        .iter()
        .map(|&(i, j, sim)| {
            let text = match sim {
                TokenSimilarity::Exact => format!("\"{}\" = \"{}\"", query[i], listed[j]),
                TokenSimilarity::Initial if scored.initials_in_order > 0 && query[i].len() == 1 => {
                    format!("\"{}\"~\"{}\" initial, in order", query[i], listed[j])
                }
                TokenSimilarity::Initial => {
                    format!("\"{}\"~\"{}\" initial", query[i], listed[j])
                }
                TokenSimilarity::LegalForm => {
                    format!("\"{}\"~\"{}\" legal form", query[i], listed[j])
                }
                TokenSimilarity::Abbreviation => {
                    format!("\"{}\"~\"{}\" abbreviation", query[i], listed[j])
                }
                TokenSimilarity::SameSpelling => format!(
                    "\"{}\"~\"{}\" {SAME_SPELLING_SIMILARITY:.2}",
                    query[i], listed[j]
                ),
                TokenSimilarity::Fuzzy(s) => {
                    format!("\"{}\"~\"{}\" {s:.2}", query[i], listed[j])
                }
            };
            (i, j, text)
        })
        .collect();
    let run = |tokens: &[&str], range: std::ops::Range<usize>| {
        tokens[range]
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join("+")
    };
    for g in &scored.groups {
        let (q, l) = (run(query, g.query_range()), run(listed, g.listed_range()));
        let text = match g.kind {
            GroupKind::Joined => format!("{q} = {l} joined"),
            GroupKind::JoinedSpelling => format!("{q}~{l} joined, same spelling"),
            GroupKind::LegalFormSpelledOut => format!("{q} = {l} legal form spelled out"),
            GroupKind::OtherLegalFormSpelledOut => format!("{q}~{l} legal form spelled out"),
        };
        parts.push((g.query_start, g.listed_start, text));
    }
    parts.sort_by_key(|p| (p.0, p.1));
    let mut parts: Vec<String> = parts.into_iter().map(|p| p.2).collect();
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
    let middle = if scored.middle_names {
        " (middle names: first and last names pair)"
    } else {
        ""
    };
    parts.push(format!("unmatched: {unmatched}{middle}"));
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
    weak: Vec<bool>,
    shape: ListedShape,
    runs: Vec<Run>,
}

impl PreparedName {
    /// Normalises and prepares `name` (`individual`: a list's `SURNAME, Given` is reordered,
    /// and the name is a person's when listed).
    pub fn new(name: &str, individual: bool) -> PreparedName {
        let tokens = normalize_name(name, individual);
        let (texts, weights) = texts_and_weights(&tokens);
        let prepared: Vec<PreparedToken> = texts.iter().map(|t| PreparedToken::new(t)).collect();
        PreparedName {
            runs: runs_of(&prepared),
            tokens: prepared,
            weights,
            weak: tokens.iter().map(|t| t.weak).collect(),
            shape: ListedShape {
                individual,
                given_names: if individual {
                    given_name_count(name)
                } else {
                    None
                },
            },
        }
    }
}

/// The match of two prepared names, as [`score_names`] scores it.
pub fn score_prepared_names(query: &PreparedName, listed: &PreparedName) -> ScoredMatch {
    let (q_prepared, l_prepared) = (&query.tokens, &listed.tokens);
    let q_text: Vec<&str> = q_prepared.iter().map(|t| t.text.as_str()).collect();
    let l_text: Vec<&str> = l_prepared.iter().map(|t| t.text.as_str()).collect();
    let groups = groups_of_runs(q_prepared, &query.runs, l_prepared, &listed.runs);
    score_tokens(
        WeightedTokens {
            tokens: &q_text,
            weights: &query.weights,
            weak: &query.weak,
        },
        WeightedTokens {
            tokens: &l_text,
            weights: &listed.weights,
            weak: &listed.weak,
        },
        |i, j| prepared_similarity(&q_prepared[i], &l_prepared[j]),
        &groups,
        listed.shape,
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
