//! The blocking index: a vocabulary of listed tokens with weights, phonetic-key buckets over the
//! vocabulary, and postings from each token to the names that hold it.
//!
//! A query token is compared (Jaro-Winkler) only with vocabulary tokens that share one of its
//! blocking keys, and a query name is scored only against names that hold one of those tokens.

use super::entry::Entry;
use super::fast_hash::FastMap;
use super::normalize::{is_legal_form, normalize_name};
use super::phonetic::for_each_blocking_key;
use super::score::{prepared_similarity, token_weight, PreparedToken, TokenSimilarity};

/// One screened name of an entry, as vocabulary ids.
#[derive(Debug, Clone)]
pub(crate) struct IndexedName {
    /// Index of the entry in the screener's entry table.
    pub entry: u32,
    /// Index of the name in the entry's `names`.
    pub name: u32,
    /// Tokens, in reading order, as vocabulary ids.
    pub tokens: Vec<u32>,
}

/// A similar vocabulary token found for a query token.
pub(crate) type SimilarToken = (u32, TokenSimilarity);

/// The inverted index over every screened name of a watchlist set.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex {
    /// Token texts by id.
    pub vocabulary: Vec<String>,
    /// Whether each token is a legal form, by id.
    pub legal_forms: Vec<bool>,
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
}

impl NameIndex {
    /// Keeps only the names of the entries `keep` (by entry index) selects: the vocabulary, its
    /// weights and blocking keys stay those of every entry.
    pub fn keep_entries(&mut self, keep: &dyn Fn(usize) -> bool) {
        let (names, initials): (Vec<IndexedName>, Vec<u8>) = std::mem::take(&mut self.names)
            .into_iter()
            .zip(std::mem::take(&mut self.initials))
            .filter(|(n, _)| keep(n.entry as usize))
            .unzip();
        self.names = names;
        self.initials = initials;
        self.postings = vec![Vec::new(); self.vocabulary.len()];
        for (name_id, name) in self.names.iter().enumerate() {
            for &token in &name.tokens {
                let list = &mut self.postings[token as usize];
                if list.last() != Some(&(name_id as u32)) {
                    list.push(name_id as u32);
                }
            }
        }
    }

    /// Indexes every screened name of `entries` (weak aliases are left out; a name whose tokens
    /// repeat an earlier name of the same entry is indexed once).
    pub fn build(entries: &[Entry]) -> NameIndex {
        let mut index = NameIndex::default();
        let mut weak_flags: Vec<bool> = Vec::new();
        let mut document_frequency: Vec<u32> = Vec::new();
        for (entry_no, entry) in entries.iter().enumerate() {
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
                index.names.push(IndexedName {
                    entry: entry_no as u32,
                    name: name_no as u32,
                    tokens,
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
        index.prepared = index
            .vocabulary
            .iter()
            .map(|t| PreparedToken::new(t))
            .collect();
        for (id, (text, prepared)) in index.vocabulary.iter().zip(&index.prepared).enumerate() {
            if text.len() > 1 {
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

    /// Vocabulary tokens of two letters or more that pair with `token`, sorted by id. Initials
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
