//! The name normaliser and the matcher on arbitrary Unicode: long names, combining marks,
//! right-to-left scripts, emoji, control characters.

use super::lists::findable;
use crate::common::root;
use crate::props::config;
use amlscreen::watchlist::normalize::{
    canonical_spelling, fold, is_weak_token, normalize_display, normalize_name,
    reorder_surname_first, MAX_MATCHED_NAME_CHARS,
};
use amlscreen::watchlist::score::score_names;
use amlscreen::watchlist::{
    load_watchlists, Entry, ListedName, NameKind, Screener, WatchlistSet, DEFAULT_THRESHOLD,
};
use proptest::prelude::*;
use std::sync::OnceLock;

/// One character from the scripts and classes that trouble name handling.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::char::range('a', 'z'),
        3 => prop::char::range('A', 'Z'),
        3 => Just(' '),
        1 => prop::sample::select(vec![',', '.', '\'', '-', '`', '\u{2019}', '&', '/', '(', ')']),
        2 => any::<char>(),
        1 => // combining marks
        prop::char::range('\u{300}', '\u{36f}'),
        1 => // Hebrew and Arabic, 1 => right to left
        prop::char::range('\u{590}', '\u{6ff}'),
        1 => // Cyrillic, 1 => Greek
        prop::char::range('\u{370}', '\u{4ff}'),
        1 => // CJK
        prop::char::range('\u{4e00}', '\u{9fff}'),
        1 => // emoji, 1 => and the joiners and selectors they use
        prop::char::range('\u{1f300}', '\u{1faff}'),
        1 => prop::sample::select(vec!['\u{200d}', '\u{fe0f}', '\u{200b}', '\u{feff}', '\u{202e}']),
        1 => // control characters
        prop::char::range('\0', '\u{1f}'),
        1 => prop::char::range('\u{7f}', '\u{9f}'),
        1 => // Latin with diacritics, 1 => ligatures, 1 => full-width forms, 1 => digits
        prop::char::range('\u{c0}', '\u{24f}'),
        1 => prop::char::range('\u{ff01}', '\u{ff5e}'),
        1 => prop::char::range('0', '9'),
    ]
}

/// A name of up to `max` characters.
fn hostile_name(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..max).prop_map(String::from_iter)
}

/// Names: mostly short, some very long.
fn any_name() -> impl Strategy<Value = String> {
    long_or_short(3000)
}

/// Names of up to 40 characters, and one in nine of up to `long` characters.
fn long_or_short(long: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        8 => hostile_name(40),
        1 => hostile_name(long),
    ]
}

proptest! {
    // 512 cases: about 0.9 s in a debug build
    #![proptest_config(config(512))]
    #[test]
    fn folding_is_idempotent_and_gives_lower_case_tokens(raw in any_name()) {
        let folded = fold(&raw);
        prop_assert!(
            folded.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' '),
            "{:?}",
            folded
        );
        prop_assert!(!folded.starts_with(' ') && !folded.ends_with(' ') && !folded.contains("  "));
        prop_assert_eq!(fold(&folded), folded.clone());
        for individual in [false, true] {
            let tokens = normalize_name(&raw, individual);
            let display = normalize_display(&raw, individual);
            // the display form is normalised already: normalising it changes nothing
            prop_assert_eq!(normalize_display(&display, individual), display.clone());
            prop_assert_eq!(normalize_display(&display, false), display.clone());
            let joined: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
            prop_assert_eq!(joined.join(" "), display.clone());
            for t in &tokens {
                prop_assert!(!t.text.is_empty());
                prop_assert_eq!(t.weak, is_weak_token(&t.text));
            }
            // reordering `SURNAME, Given` moves tokens; it neither adds nor drops one (within
            // the matched length: past it, other tokens are cut)
            if folded.len() > MAX_MATCHED_NAME_CHARS {
                continue;
            }
            let mut reordered: Vec<String> =
                normalize_name(&reorder_surname_first(&raw), false).into_iter().map(|t| t.text).collect();
            let mut plain: Vec<String> = normalize_name(&raw, false).into_iter().map(|t| t.text).collect();
            reordered.sort();
            plain.sort();
            prop_assert_eq!(reordered, plain);
        }
    }
}

proptest! {
    // 512 cases: about 0.6 s in a debug build
    #![proptest_config(config(512))]
    #[test]
    fn canonical_spellings_have_no_doubled_letters(raw in any_name()) {
        for token in normalize_name(&raw, false) {
            let spelling = canonical_spelling(&token.text);
            prop_assert!(!spelling.is_empty(), "{:?}", token);
            let bytes = spelling.as_bytes();
            prop_assert!(bytes.windows(2).all(|w| w[0] != w[1]), "{:?}", spelling);
        }
    }
}

proptest! {
    // 256 cases: about 0.7 s in a debug build
    #![proptest_config(config(256))]
    #[test]
    fn name_scores_lie_in_0_to_1_and_a_name_scores_1_against_itself(
        // a long name scored against itself compares every pair of its tokens: 600
        // characters (about 100 tokens) keep that to milliseconds
        a in long_or_short(600),
        b in hostile_name(60),
        individual in any::<bool>(),
    ) {
        for (q, l) in [(&a, &b), (&b, &a), (&a, &a)] {
            let (score, explanation) = score_names(q, l, individual);
            prop_assert!((0.0..=1.0).contains(&score), "{} for {:?} ~ {:?}", score, q, l);
            prop_assert!(explanation.contains("unmatched:"));
        }
        let (same, _) = score_names(&a, &a, false);
        let expected = if normalize_name(&a, false).is_empty() { 0.0 } else { 1.0 };
        prop_assert_eq!(same, expected);
    }
}

/// Decoys listed beside the generated name.
fn decoys() -> Vec<Entry> {
    [
        ("D-1", "individual", "BIN LADIN, Usama"),
        ("D-2", "entity", "ACME TRADING LLC"),
        ("D-3", "individual", "HABBASH, George"),
        ("D-4", "entity", "BANCO NACIONAL DE CUBA"),
    ]
    .into_iter()
    .map(|(id, kind, name)| Entry {
        list: "DECOYS".into(),
        id: id.into(),
        entry_type: kind.into(),
        programs: String::new(),
        countries: Vec::new(),
        names: vec![ListedName {
            text: name.into(),
            kind: NameKind::Primary,
        }],
        ..Entry::default()
    })
    .collect()
}

proptest! {
    // 256 cases: about 1.6 s in a debug build
    #![proptest_config(config(256))]
    #[test]
    fn a_listed_name_screened_as_written_is_a_hit_scoring_1(
        name in any_name(),
        individual in any::<bool>(),
    ) {
        let mut entries = decoys();
        entries.push(Entry {
            list: "PROPS".into(),
            id: "X-1".into(),
            entry_type: if individual { "individual" } else { "entity" }.into(),
            programs: String::new(),
            countries: Vec::new(),
            names: vec![ListedName { text: name.clone(), kind: NameKind::Primary }],
            ..Entry::default()
        });
        let screener = Screener::new(&WatchlistSet::from_entries(entries));
        let hits = screener.screen(&name, DEFAULT_THRESHOLD, usize::MAX);
        for hit in &hits {
            prop_assert!((DEFAULT_THRESHOLD..=1.0).contains(&hit.score), "{:?}", hit);
        }
        if findable(&name) {
            let own = hits.iter().find(|h| h.entry_id == "X-1");
            prop_assert!(own.is_some_and(|h| h.score == 1.0), "{:?}: {:?}", name, hits);
        }
        let many = screener.screen_many(&[name.as_str(), "", name.as_str()], DEFAULT_THRESHOLD, usize::MAX);
        prop_assert_eq!(&many[0], &hits);
        prop_assert_eq!(&many[2], &hits);
        prop_assert!(many[1].is_empty());
    }
}

/// A screener over the sample lists, built once.
fn sample_screener() -> &'static Screener {
    static SCREENER: OnceLock<Screener> = OnceLock::new();
    SCREENER.get_or_init(|| {
        let set = load_watchlists(&[root().join("sample-data/watchlists")]).unwrap();
        Screener::new(&set)
    })
}

proptest! {
    // 512 cases: about 1 s in a debug build
    #![proptest_config(config(512))]
    #[test]
    fn any_name_screened_against_the_sample_lists_scores_within_0_to_1(
        name in any_name(),
        threshold in prop_oneof![Just(DEFAULT_THRESHOLD), 0.0f64..=1.0, Just(0.0), Just(f64::NAN)],
        top in prop_oneof![Just(usize::MAX), 0usize..5],
    ) {
        let hits = sample_screener().screen(&name, threshold, top);
        prop_assert!(hits.len() <= top);
        if threshold.is_nan() {
            prop_assert!(hits.is_empty());
        }
        for hit in &hits {
            prop_assert!(hit.score > 0.0 && hit.score <= 1.0, "{:?}", hit);
            prop_assert!(hit.score >= threshold, "{:?}", hit);
        }
        prop_assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    }
}
