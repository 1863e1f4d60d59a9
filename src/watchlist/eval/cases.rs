//! Making the labelled evaluation set and synthetic screening load from loaded lists.

use super::vocab::{Rng, COMPANY_WORDS, GENERIC_COMPANY_WORDS, GIVEN_NAMES, LEGAL_FORMS, SURNAMES};
use crate::watchlist::entry::{Entry, WatchlistSet};
use crate::watchlist::normalize::{fold, is_weak_token, normalize_name, reorder_surname_first};
use std::collections::HashSet;

/// One labelled query of the evaluation set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalCase {
    /// The name to screen.
    pub query: String,
    /// For a true variant, the list and entry id it was made from; `None` for a non-match.
    pub expected: Option<(String, String)>,
    /// How it was made (`typo`, `drop_middle`, `shared_given_name`, `george_bush`, ...).
    pub kind: String,
}

/// Ways of making a true variant of a listed name.
pub(super) const VARIANTS: &[&str] = &[
    "typo",
    "transposition",
    "drop_middle",
    "add_middle",
    "reorder",
    "transliteration",
    "legal_form",
    "initials",
    "case_accents",
];

/// Ways of making a hard non-match.
const NON_MATCHES: &[&str] = &[
    "shared_given_name",
    "shared_surname",
    "shared_company_word",
    "george_bush",
    "random_person",
];

/// Well-known people who are not listed but share a given name or a look with listed ones.
const FAMOUS_NON_MATCHES: &[&str] = &[
    "George Bush",
    "George W. Bush",
    "Barack Obama",
    "Tony Blair",
    "Hillary Clinton",
    "Angela Merkel",
    "Boris Johnson",
    "Emmanuel Macron",
];

/// Builds `positives` true variants of primary names and `negatives` hard non-matches from
/// `set`, deterministically from `seed`. Non-matches whose normalised form equals a listed
/// name are discarded, so a non-match is never a listed name.
pub fn build_eval_set(
    set: &WatchlistSet,
    positives: usize,
    negatives: usize,
    seed: u64,
) -> Vec<EvalCase> {
    let entries: Vec<&Entry> = set
        .entries()
        .iter()
        .filter(|e| !e.names.is_empty())
        .collect();
    if entries.is_empty() {
        return Vec::new();
    }
    let listed = listed_forms(set);
    let mut rng = Rng::new(seed);
    let mut cases = Vec::with_capacity(positives + negatives);
    let mut seen = HashSet::new();
    let mut attempts = 0;
    while cases.len() < positives && attempts < positives * 20 {
        attempts += 1;
        let entry = *rng.pick(&entries);
        let kind = *rng.pick(VARIANTS);
        if let Some(query) = make_variant(entry, entry.primary_name(), kind, &mut rng) {
            if seen.insert(query.clone()) {
                cases.push(EvalCase {
                    query,
                    expected: Some((entry.list.clone(), entry.id.clone())),
                    kind: kind.to_string(),
                });
            }
        }
    }
    let people: Vec<&Entry> = entries
        .iter()
        .copied()
        .filter(|e| e.is_individual())
        .collect();
    let companies: Vec<&Entry> = entries
        .iter()
        .copied()
        .filter(|e| e.entry_type == "entity")
        .collect();
    for famous in FAMOUS_NON_MATCHES.iter().take(negatives) {
        if !listed.contains(&sorted_form(famous)) && seen.insert(famous.to_string()) {
            cases.push(EvalCase {
                query: famous.to_string(),
                expected: None,
                kind: "famous".to_string(),
            });
        }
    }
    let target = positives.min(cases.len()) + negatives;
    attempts = 0;
    while cases.len() < target && attempts < negatives * 20 {
        attempts += 1;
        let kind = *rng.pick(NON_MATCHES);
        let query = make_non_match(kind, &people, &companies, &mut rng);
        if let Some(query) = query.filter(|q| !listed.contains(&sorted_form(q))) {
            if seen.insert(query.clone()) {
                cases.push(EvalCase {
                    query,
                    expected: None,
                    kind: kind.to_string(),
                });
            }
        }
    }
    cases
}

/// `count` distinct synthetic names for load tests: about a third are variants of listed names
/// (any name kind), the rest made-up people and companies, a fifth of them with a typo.
pub fn synthetic_names(set: &WatchlistSet, count: usize, seed: u64) -> Vec<String> {
    let entries: Vec<&Entry> = set
        .entries()
        .iter()
        .filter(|e| !e.names.is_empty())
        .collect();
    let mut rng = Rng::new(seed);
    let mut seen = HashSet::with_capacity(count);
    let mut names = Vec::with_capacity(count);
    let mut attempts = 0;
    while names.len() < count && attempts < count * 10 {
        attempts += 1;
        let name = if !entries.is_empty() && rng.chance(33) {
            let entry = *rng.pick(&entries);
            let listed = &rng.pick(&entry.names).text;
            let kind = *rng.pick(VARIANTS);
            make_variant(entry, listed, kind, &mut rng)
        } else if rng.chance(25) {
            Some(random_company(&mut rng))
        } else {
            let mut name = random_person(&mut rng);
            if rng.chance(20) {
                name = typo(&name, &mut rng).unwrap_or(name);
            }
            Some(name)
        };
        if let Some(name) = name {
            if seen.insert(name.clone()) {
                names.push(name);
            }
        }
    }
    names
}

/// Every screened listed name as its sorted normalised tokens.
fn listed_forms(set: &WatchlistSet) -> HashSet<String> {
    set.entries()
        .iter()
        .flat_map(|e| e.names.iter().map(move |n| (e, n)))
        .map(|(e, n)| {
            let mut tokens: Vec<String> = normalize_name(&n.text, e.is_individual())
                .into_iter()
                .map(|t| t.text)
                .collect();
            tokens.sort();
            tokens.join(" ")
        })
        .collect()
}

pub(super) fn sorted_form(query: &str) -> String {
    let mut tokens: Vec<String> = fold(query).split(' ').map(str::to_string).collect();
    tokens.sort();
    tokens.join(" ")
}

/// The name in reading order, split on spaces.
pub(super) fn reading_tokens(entry: &Entry, name: &str) -> Vec<String> {
    let text = if entry.is_individual() {
        reorder_surname_first(name)
    } else {
        name.to_string()
    };
    text.split_whitespace().map(str::to_string).collect()
}

/// One true variant of `name` of the given kind, or `None` when the kind does not apply.
pub(super) fn make_variant(entry: &Entry, name: &str, kind: &str, rng: &mut Rng) -> Option<String> {
    let tokens = reading_tokens(entry, name);
    let person = entry.is_individual();
    let joined = tokens.join(" ");
    let variant = match kind {
        "typo" => typo(&joined, rng),
        "transposition" => transposition(&joined, rng),
        "drop_middle" if person && tokens.len() >= 3 => {
            let mut t = tokens.clone();
            t.remove(1 + rng.below(tokens.len() - 2));
            Some(t.join(" "))
        }
        "add_middle" if person && tokens.len() >= 2 => {
            let mut t = tokens.clone();
            t.insert(1, rng.pick(GIVEN_NAMES).to_string());
            Some(t.join(" "))
        }
        "reorder" if person && tokens.len() >= 2 => {
            let mut t = tokens.clone();
            t.rotate_right(1);
            Some(t.join(" "))
        }
        "transliteration" => transliterate(&joined, rng),
        "legal_form" if entry.entry_type == "entity" => Some(change_legal_form(&tokens, rng)),
        "initials" if person && tokens.len() >= 3 => {
            let mut t = tokens.clone();
            let initial = t[0].chars().next()?;
            t[0] = format!("{initial}.");
            Some(t.join(" "))
        }
        "case_accents" => Some(accents(&joined.to_lowercase())),
        _ => None,
    }?;
    (fold(&variant) != fold(&joined) || kind == "case_accents" || kind == "reorder")
        .then_some(variant)
        .filter(|v| !fold(v).is_empty())
}

/// Replaces one letter (not the first) of the longest word of 5+ letters.
fn typo(name: &str, rng: &mut Rng) -> Option<String> {
    edit_longest_word(name, rng, |chars, at, rng| {
        let letters = b"abcdefghiklmnoprstuy";
        let mut replacement = letters[rng.below(letters.len())] as char;
        if replacement == chars[at].to_ascii_lowercase() {
            replacement = if replacement == 'a' { 'e' } else { 'a' };
        }
        chars[at] = if chars[at].is_uppercase() {
            replacement.to_ascii_uppercase()
        } else {
            replacement
        };
    })
}

/// Swaps two neighbouring letters (not the first) of the longest word of 5+ letters.
fn transposition(name: &str, rng: &mut Rng) -> Option<String> {
    edit_longest_word(name, rng, |chars, at, _| {
        let next = (at + 1).min(chars.len() - 1);
        chars.swap(at.min(next - 1), next);
    })
}

fn edit_longest_word(
    name: &str,
    rng: &mut Rng,
    edit: impl Fn(&mut Vec<char>, usize, &mut Rng),
) -> Option<String> {
    let mut words: Vec<String> = name.split(' ').map(str::to_string).collect();
    let (index, word) = words
        .iter()
        .enumerate()
        .filter(|(_, w)| w.chars().count() >= 5 && w.chars().all(char::is_alphabetic))
        .max_by_key(|(i, w)| (w.chars().count(), usize::MAX - i))?;
    let mut chars: Vec<char> = word.chars().collect();
    let at = 1 + rng.below(chars.len() - 2);
    edit(&mut chars, at, rng);
    words[index] = chars.into_iter().collect();
    Some(words.join(" "))
}

/// Common transliteration differences, tried from a random starting rule.
const TRANSLITERATIONS: &[(&str, &str)] = &[
    ("MUHAMMAD", "MOHAMMED"),
    ("MOHAMMED", "MUHAMMAD"),
    ("MOHAMMAD", "MUHAMMED"),
    ("OU", "U"),
    ("KH", "H"),
    ("PH", "F"),
    ("EE", "I"),
    ("Y", "I"),
    ("Q", "K"),
    ("DH", "D"),
    ("SH", "SCH"),
    ("J", "DJ"),
    ("V", "W"),
    ("X", "KS"),
    ("IA", "YA"),
    ("U", "OU"),
];

fn transliterate(name: &str, rng: &mut Rng) -> Option<String> {
    let upper = name.to_uppercase();
    let start = rng.below(TRANSLITERATIONS.len());
    (0..TRANSLITERATIONS.len())
        .map(|k| TRANSLITERATIONS[(start + k) % TRANSLITERATIONS.len()])
        .find(|(from, _)| upper.contains(from))
        .map(|(from, to)| upper.replacen(from, to, 1))
}

/// Replaces the trailing legal form with another, or adds one when there is none.
fn change_legal_form(tokens: &[String], rng: &mut Rng) -> String {
    let mut kept: Vec<String> = tokens.to_vec();
    while kept.len() > 1 && kept.last().is_some_and(|t| is_weak_token(&fold(t))) {
        kept.pop();
    }
    let form = rng.pick(LEGAL_FORMS);
    let mut changed = kept.join(" ");
    if kept.len() == tokens.len() || rng.chance(70) {
        changed = format!("{changed} {form}");
    }
    changed
}

/// Lower case with a few accented vowels (`josé`), which folding must undo.
fn accents(name: &str) -> String {
    name.replacen('e', "é", 1)
        .replacen('a', "á", 1)
        .replacen('o', "ö", 1)
}

/// One hard non-match of the given kind.
fn make_non_match(
    kind: &str,
    people: &[&Entry],
    companies: &[&Entry],
    rng: &mut Rng,
) -> Option<String> {
    match kind {
        "shared_given_name" if !people.is_empty() => {
            let entry = *rng.pick(people);
            let tokens = reading_tokens(entry, entry.primary_name());
            (tokens.len() >= 2).then(|| format!("{} {}", tokens[0], rng.pick(SURNAMES)))
        }
        "shared_surname" if !people.is_empty() => {
            let entry = *rng.pick(people);
            let tokens = reading_tokens(entry, entry.primary_name());
            (tokens.len() >= 2)
                .then(|| format!("{} {}", rng.pick(GIVEN_NAMES), tokens[tokens.len() - 1]))
        }
        "shared_company_word" => {
            let generic = rng.pick(GENERIC_COMPANY_WORDS);
            let legal = companies
                .get(rng.below(companies.len().max(1)))
                .and_then(|c| {
                    c.primary_name()
                        .split_whitespace()
                        .last()
                        .map(str::to_string)
                })
                .filter(|t| is_weak_token(&fold(t)))
                .unwrap_or_else(|| rng.pick(LEGAL_FORMS).to_string());
            Some(format!("{} {generic} {legal}", rng.pick(COMPANY_WORDS)))
        }
        "george_bush" if !people.is_empty() => {
            let entry = *rng.pick(people);
            let tokens = reading_tokens(entry, entry.primary_name());
            let surname = fold(tokens.last()?);
            // A different surname that looks a little alike but is not a spelling of it.
            let similar = SURNAMES.iter().find(|s| {
                let sim = strsim::jaro_winkler(&fold(s), &surname);
                (0.55..0.8).contains(&sim) && rng.chance(30)
            })?;
            (tokens.len() >= 2).then(|| format!("{} {similar}", tokens[0]))
        }
        "random_person" => Some(random_person(rng)),
        _ => None,
    }
}

pub(super) fn random_person(rng: &mut Rng) -> String {
    let given = rng.pick(GIVEN_NAMES);
    let surname = rng.pick(SURNAMES);
    if rng.chance(30) {
        format!("{given} {} {surname}", rng.pick(GIVEN_NAMES))
    } else {
        format!("{given} {surname}")
    }
}

fn random_company(rng: &mut Rng) -> String {
    let words = [
        *rng.pick(COMPANY_WORDS),
        *rng.pick(GENERIC_COMPANY_WORDS),
        *rng.pick(LEGAL_FORMS),
    ];
    words.join(" ")
}
