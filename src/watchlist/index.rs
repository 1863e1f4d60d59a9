//! The blocking index: a vocabulary of listed tokens with weights, phonetic-key buckets over the
//! vocabulary, and postings from each token to the names that hold it.
//!
//! A query token is compared (Jaro-Winkler) only with vocabulary tokens that share one of its
//! blocking keys, and a query name is scored only against names that hold one of those tokens.

use super::entry::Entry;
use super::fast_hash::FastMap;
use super::normalize::{
    abbreviation_expansions, abbreviations_of, given_name_count, is_legal_form, legal_form_phrase,
    normalize_name, starts_legal_form_phrase, MAX_LEGAL_FORM_PHRASE,
};
use super::phonetic::for_each_blocking_key;
use super::score::{
    joined_spelling, joined_text, prepared_similarity, token_weight, ListedShape, PreparedToken,
    TokenSimilarity, MAX_JOINED_TOKENS,
};

/// One screened name of an entry, as vocabulary ids.
#[derive(Debug, Clone)]
pub(crate) struct IndexedName {
    /// Index of the entry in the screener's entry table.
    pub entry: u32,
    /// Index of the name in the entry's `names`.
    pub name: u32,
    /// Tokens, in reading order, as vocabulary ids.
    pub tokens: Vec<u32>,
    /// The name's structure: a person's, and how many given names when written
    /// `SURNAME, Given`.
    pub shape: ListedShape,
}

/// A run of adjacent tokens of an indexed name: name id, first token, number of tokens.
pub(crate) type NameRun = (u32, u8, u8);

/// A similar vocabulary token found for a query token.
pub(crate) type SimilarToken = (u32, TokenSimilarity);

/// The inverted index over every screened name of a watchlist set.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex {
    /// Token texts by id.
    pub vocabulary: Vec<String>,
    /// Whether each token is a legal form, by id.
    pub legal_forms: Vec<bool>,
    /// Whether each token is weak (a legal form, honorific or joining word), by id.
    pub weak: Vec<bool>,
    /// Tokens prepared for comparison, by id.
    pub prepared: Vec<PreparedToken>,
    /// Token weights by id (rarity over entries, capped for weak and common tokens).
    pub weights: Vec<f64>,
    ids: FastMap<String, u32>,
    buckets: FastMap<String, Vec<u32>>,
    /// Names holding each token, by token id: ascending, unique.
    pub postings: Vec<Vec<u32>>,
    /// Every screened name.
    pub names: Vec<IndexedName>,
    /// How many initials (one-letter tokens) each name (by id) holds.
    pub initials: Vec<u8>,
    /// Vocabulary ids by the [`spelling_key`] of their canonical spelling, sorted.
    spelling_ids: Vec<(u64, u32)>,
    /// Runs of 2 to [`MAX_JOINED_TOKENS`] adjacent tokens of every name by the [`text_key`] of
    /// their joined text, sorted (so by name id for one key).
    joined_runs: Vec<(u64, NameRun)>,
    /// The same runs by the [`spelling_key`] of their joined spelling, sorted.
    joined_spelling_runs: Vec<(u64, NameRun)>,
    /// Runs of a name that spell out a legal form, with its short form, by name id.
    pub phrase_runs: FastMap<u32, Vec<(u8, u8, &'static str)>>,
}

impl NameIndex {
    /// Indexes the runs of adjacent tokens of every name: joined (text and spelling) and
    /// legal forms spelled out.
    fn index_runs(&mut self) {
        self.joined_runs.clear();
        self.joined_spelling_runs.clear();
        self.phrase_runs.clear();
        for (name_id, name) in self.names.iter().enumerate() {
            let name_id = name_id as u32;
            let tokens = &name.tokens;
            // names hold few tokens; runs past the 255th token are not indexed
            let count = tokens.len().min(usize::from(u8::MAX));
            for len in 2..=MAX_JOINED_TOKENS.max(MAX_LEGAL_FORM_PHRASE) {
                for start in 0..count.saturating_sub(len - 1) {
                    let run = &tokens[start..start + len];
                    let run_key: NameRun = (name_id, start as u8, len as u8);
                    if len <= MAX_JOINED_TOKENS {
                        let text =
                            text_key(run.iter().map(|&t| self.vocabulary[t as usize].as_str()));
                        let spelling = spelling_key(
                            run.iter()
                                .map(|&t| self.prepared[t as usize].spelling.as_str()),
                        );
                        self.joined_runs.push((text, run_key));
                        self.joined_spelling_runs.push((spelling, run_key));
                    }
                    if !starts_legal_form_phrase(&self.vocabulary[run[0] as usize]) {
                        continue;
                    }
                    let texts: Vec<&str> = run
                        .iter()
                        .map(|&t| self.vocabulary[t as usize].as_str())
                        .collect();
                    if let Some(short) = legal_form_phrase(&texts) {
                        self.phrase_runs.entry(name_id).or_default().push((
                            start as u8,
                            len as u8,
                            short,
                        ));
                    }
                }
            }
        }
        self.joined_runs.sort_unstable();
        self.joined_spelling_runs.sort_unstable();
    }

    /// The runs of adjacent tokens of indexed names whose letters, joined, are `token`'s.
    pub fn runs_joined_into(&self, token: &str) -> Vec<NameRun> {
        keyed(&self.joined_runs, text_key([token]))
            .filter(|&(name, start, len)| {
                let run = self.run_tokens(name, start, len);
                joined_text(run.iter().map(|&t| self.vocabulary[t as usize].as_str())) == token
            })
            .collect()
    }

    /// The runs of adjacent tokens of indexed names whose joined spelling
    /// ([`joined_spelling`]) is `spelling`.
    pub fn runs_spelled_as(&self, spelling: &str) -> Vec<NameRun> {
        keyed(&self.joined_spelling_runs, spelling_key([spelling]))
            .filter(|&(name, start, len)| {
                let run = self.run_tokens(name, start, len);
                joined_spelling(
                    run.iter()
                        .map(|&t| self.prepared[t as usize].spelling.as_str()),
                ) == spelling
            })
            .collect()
    }

    /// The vocabulary tokens whose canonical spelling is `spelling`, ascending.
    pub fn ids_spelled_as(&self, spelling: &str) -> Vec<u32> {
        keyed(&self.spelling_ids, spelling_key([spelling]))
            .filter(|&id| self.prepared[id as usize].spelling == spelling)
            .collect()
    }

    fn run_tokens(&self, name: u32, start: u8, len: u8) -> &[u32] {
        let start = usize::from(start);
        &self.names[name as usize].tokens[start..start + usize::from(len)]
    }

    /// Indexes every screened name of `entries` (weak aliases are left out; a name whose tokens
    /// repeat an earlier name of the same entry is indexed once).
    pub fn build(entries: &[Entry]) -> NameIndex {
        NameIndex::build_kept(entries, &|_| true)
    }

    /// Indexes the screened names of the entries `keep` selects (by entry index); the
    /// vocabulary and its weights are those of every entry, so a kept name scores as it
    /// would in [`NameIndex::build`]. Only the tokens of kept names are in the blocking
    /// buckets: a query token finds no other (it would lead to no name).
    pub fn build_kept(entries: &[Entry], keep: &dyn Fn(usize) -> bool) -> NameIndex {
        let mut index = NameIndex::default();
        let mut weak_flags: Vec<bool> = Vec::new();
        let mut document_frequency: Vec<u32> = Vec::new();
        for (entry_no, entry) in entries.iter().enumerate() {
            let kept = keep(entry_no);
            let mut seen_forms: Vec<Vec<u32>> = Vec::new();
            let mut entry_tokens: Vec<u32> = Vec::new();
            for (name_no, name) in entry.names.iter().enumerate() {
                if !name.kind.is_screened() {
                    continue;
                }
                let tokens: Vec<u32> = normalize_name(&name.text, entry.is_individual())
                    .into_iter()
                    .map(|t| {
                        let id = index.intern(&t.text);
                        if id as usize == weak_flags.len() {
                            weak_flags.push(t.weak);
                            document_frequency.push(0);
                        }
                        id
                    })
                    .collect();
                let mut form = tokens.clone();
                form.sort_unstable();
                if tokens.is_empty() || seen_forms.contains(&form) {
                    continue;
                }
                seen_forms.push(form);
                entry_tokens.extend(&tokens);
                if !kept {
                    continue;
                }
                index.names.push(IndexedName {
                    entry: entry_no as u32,
                    name: name_no as u32,
                    tokens,
                    shape: ListedShape {
                        individual: entry.is_individual(),
                        given_names: if entry.is_individual() {
                            given_name_count(&name.text)
                        } else {
                            None
                        },
                    },
                });
            }
            entry_tokens.sort_unstable();
            entry_tokens.dedup();
            for id in entry_tokens {
                document_frequency[id as usize] += 1;
            }
        }
        index.initials = index
            .names
            .iter()
            .map(|n| {
                let count = n
                    .tokens
                    .iter()
                    .filter(|&&t| index.vocabulary[t as usize].len() == 1);
                count.count().min(usize::from(u8::MAX)) as u8
            })
            .collect();
        index.postings = vec![Vec::new(); index.vocabulary.len()];
        for (name_id, name) in index.names.iter().enumerate() {
            for &token in &name.tokens {
                let list = &mut index.postings[token as usize];
                if list.last() != Some(&(name_id as u32)) {
                    list.push(name_id as u32);
                }
            }
        }
        index.weights = index
            .vocabulary
            .iter()
            .enumerate()
            .map(|(id, text)| token_weight(text, weak_flags[id], document_frequency[id]))
            .collect();
        index.legal_forms = index.vocabulary.iter().map(|t| is_legal_form(t)).collect();
        index.weak = weak_flags;
        index.prepared = index
            .vocabulary
            .iter()
            .map(|t| PreparedToken::new(t))
            .collect();
        index.spelling_ids = index
            .prepared
            .iter()
            .enumerate()
            .map(|(id, prepared)| (spelling_key([prepared.spelling.as_str()]), id as u32))
            .collect();
        index.spelling_ids.sort_unstable();
        index.index_runs();
        for (id, (text, prepared)) in index.vocabulary.iter().zip(&index.prepared).enumerate() {
            if text.len() > 1 && !index.postings[id].is_empty() {
                let id = id as u32;
                let buckets = &mut index.buckets;
                // ids arrive in order, so a key a token yields twice is caught by the last id
                for_each_blocking_key(text, &prepared.spelling, |key| match buckets.get_mut(key) {
                    Some(bucket) if bucket.last() == Some(&id) => {}
                    Some(bucket) => bucket.push(id),
                    None => {
                        buckets.insert(key.to_string(), vec![id]);
                    }
                });
            }
        }
        index
    }

    fn intern(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.ids.get(token) {
            return id;
        }
        let id = self.vocabulary.len() as u32;
        self.vocabulary.push(token.to_string());
        self.ids.insert(token.to_string(), id);
        id
    }

    /// The id of a token in the vocabulary.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    /// Vocabulary tokens of two letters or more that pair with `token` (a known abbreviation
    /// with its words, and back), sorted by id. Initials
    /// (one letter) on either side are compared directly at scoring time.
    pub fn similar_tokens(&self, token: &str) -> Vec<SimilarToken> {
        if token.len() <= 1 {
            return Vec::new();
        }
        let prepared = PreparedToken::new(token);
        let mut candidates: Vec<u32> = Vec::new();
        for_each_blocking_key(token, &prepared.spelling, |key| {
            if let Some(bucket) = self.buckets.get(key) {
                candidates.extend(bucket);
            }
        });
        candidates.extend(self.token_id(token));
        // known abbreviations pair with their words, whatever their blocking keys
        for other in abbreviation_expansions(token)
            .iter()
            .chain(abbreviations_of(token))
        {
            candidates.extend(self.token_id(other));
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .filter_map(|id| {
                prepared_similarity(&prepared, &self.prepared[id as usize]).map(|sim| (id, sim))
            })
            .collect()
    }
}

/// The values of a sorted `(key, value)` table under `key`, in order.
fn keyed<T: Copy>(table: &[(u64, T)], key: u64) -> impl Iterator<Item = T> + '_ {
    let from = table.partition_point(|e| e.0 < key);
    table[from..]
        .iter()
        .take_while(move |e| e.0 == key)
        .map(|e| e.1)
}

/// FNV-1a offset basis and prime.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// A 64-bit key of the concatenation of `parts` ([`joined_text`]), computed without building
/// it: equal texts give equal keys (matches are checked on the texts).
fn text_key<'a>(parts: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut hash = FNV_OFFSET;
    for part in parts {
        for &b in part.as_bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
    }
    hash
}

/// A 64-bit key of [`joined_spelling`] of `parts` (concatenated, doubled letters collapsed),
/// computed without building it.
fn spelling_key<'a>(parts: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut hash = FNV_OFFSET;
    let mut last = None;
    for part in parts {
        for &b in part.as_bytes() {
            if last != Some(b) {
                hash = (hash ^ u64::from(b)).wrapping_mul(FNV_PRIME);
                last = Some(b);
            }
        }
    }
    hash
}
