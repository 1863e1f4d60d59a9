//! Watchlist loaders: OFAC legacy CSV (with `alt.csv` and `add.csv`), UN consolidated XML,
//! OpenSanctions FtM JSON lines and the simple CSV, from edited fixtures, truncated files and
//! random bytes.

use crate::common::fixture;
use crate::props::{apply_byte_edits, byte_edits, config, Scratch};
use amlscreen::watchlist::normalize::{is_legal_form, normalize_name};
use amlscreen::watchlist::{load_watchlists, Screener, WatchlistSet, DEFAULT_THRESHOLD};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// The fixture lists: (folder under `tests/fixtures/watchlists`, files, the file to load).
const SETS: [(&str, &[&str], &str); 4] = [
    ("ofac", &["sdn.csv", "alt.csv", "add.csv"], "sdn.csv"),
    ("un", &["consolidated.xml"], "consolidated.xml"),
    (
        "opensanctions",
        &["t1.entities.ftm.json"],
        "t1.entities.ftm.json",
    ),
    ("simple", &["list.csv"], "list.csv"),
];

/// Whether a name can be found by screening it exactly: it holds a token that is followed in
/// the index (two letters or more, not a legal form). Names of initials and legal forms only
/// are left to the exhaustive screen (see `Screener::candidates`).
/// A name is findable as written when it has a token of two letters or more that is not a
/// legal form, and it is within the matched length: a longer name is matched on its first
/// `MAX_MATCHED_NAME_CHARS` folded characters, and an individual's reordered `SURNAME, Given`
/// keeps other tokens there than the name as written.
pub fn findable(name: &str) -> bool {
    amlscreen::watchlist::normalize::fold(name).len()
        <= amlscreen::watchlist::normalize::MAX_MATCHED_NAME_CHARS
        && normalize_name(name, false)
            .iter()
            .any(|t| t.text.len() > 1 && !is_legal_form(&t.text))
}

/// What every loaded set must hold, and what screening it must give: each entry has a name
/// that is screened, warnings name their file, and each entry's primary name screened as it is
/// written finds that entry with a score of 1.
pub fn check_set(set: &WatchlistSet, dir: &Path) -> Result<(), TestCaseError> {
    prop_assert!(!set.entries().is_empty());
    for entry in set.entries() {
        prop_assert!(!entry.id.is_empty());
        prop_assert!(
            entry.names.iter().any(|n| n.kind.is_screened()),
            "{:?}",
            entry
        );
    }
    for source in set.sources() {
        for warning in &source.warnings {
            prop_assert!(
                warning.starts_with(&dir.display().to_string()),
                "{}",
                warning
            );
        }
    }
    let screener = Screener::new(set);
    for entry in set.entries() {
        let primary = entry.primary_name();
        let hits = screener.screen(primary, DEFAULT_THRESHOLD, usize::MAX);
        for hit in &hits {
            prop_assert!((DEFAULT_THRESHOLD..=1.0).contains(&hit.score), "{:?}", hit);
        }
        if findable(primary) {
            let own = hits
                .iter()
                .find(|h| h.entry_id == entry.id && h.list == entry.list);
            prop_assert!(
                own.is_some_and(|h| h.score == 1.0),
                "{:?} not found by its own name: {:?}",
                primary,
                hits
            );
        }
    }
    Ok(())
}

/// Loads `target` (a file or the folder) and checks the outcome: a set, or an error naming
/// the file and no longer than a screen.
fn check_load(dir: &Path, target: &Path) -> Result<(), TestCaseError> {
    match load_watchlists(&[target.to_path_buf()]) {
        Ok(set) => check_set(&set, dir)?,
        Err(e) => {
            let message = e.to_string();
            prop_assert!(message.contains(&dir.display().to_string()), "{}", message);
            prop_assert!(message.len() < 2_000, "{}", message);
        }
    }
    Ok(())
}

fn write_set(dir: &Path, set: usize, edited: &[(usize, Vec<u8>)]) -> PathBuf {
    let (folder, files, main) = SETS[set];
    for (k, name) in files.iter().enumerate() {
        let bytes = match edited.iter().find(|(j, _)| *j == k) {
            Some((_, b)) => b.clone(),
            None => std::fs::read(fixture(&format!("watchlists/{folder}/{name}"))).unwrap(),
        };
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    dir.join(main)
}

proptest! {
    // 256 cases: about 1.3 s in a debug build (each loaded set is indexed and screened)
    #![proptest_config(config(256))]
    #[test]
    fn edited_watchlists_load_or_fail_naming_the_file(
        set in 0..SETS.len(),
        file in any::<prop::sample::Index>(),
        edits in byte_edits(),
        whole_folder in any::<bool>(),
    ) {
        let (folder, files, _) = SETS[set];
        let k = file.index(files.len());
        let original = std::fs::read(fixture(&format!("watchlists/{folder}/{}", files[k]))).unwrap();
        let edited = apply_byte_edits(&original, &edits);
        let dir = Scratch::new("prop-list");
        let main = write_set(&dir, set, &[(k, edited)]);
        check_load(&dir, if whole_folder { &dir } else { main.as_path() })?;
    }
}

proptest! {
    // 256 cases: about 1.1 s in a debug build
    #![proptest_config(config(256))]
    #[test]
    fn truncated_or_random_watchlists_load_or_fail_naming_the_file(
        set in 0..SETS.len(),
        cut in any::<prop::sample::Index>(),
        random in prop::option::weighted(0.3, prop::collection::vec(any::<u8>(), 0..600)),
        prefix in prop::sample::select(vec![&b""[..], b"<", b"{", b"name\n", b"1,", b"\xef\xbb\xbf"]),
    ) {
        let (folder, files, main) = SETS[set];
        let original = std::fs::read(fixture(&format!("watchlists/{folder}/{main}"))).unwrap();
        let bytes = match random {
            Some(random) => [prefix, &random[..]].concat(),
            None => original[..cut.index(original.len() + 1)].to_vec(),
        };
        let k = files.iter().position(|f| *f == main).unwrap();
        let dir = Scratch::new("prop-list-cut");
        let main = write_set(&dir, set, &[(k, bytes)]);
        check_load(&dir, &main)?;
    }
}
