//! Tests of the sanctions-screening module: loaders, normalisation, scoring, screening,
//! names files, hit output and evaluation.

use amlscreen::watchlist::eval::{
    build_eval_set, default_thresholds, evaluate, render_markdown, synthetic_names, write_eval_csv,
};
use amlscreen::watchlist::{load_watchlists, Screener, WatchlistSet};
use std::path::PathBuf;
use std::time::Instant;

/// The shared reference data (`../shared/data/watchlists`), or `WATCHLIST_DATA` when set.
fn shared_data() -> PathBuf {
    std::env::var_os("WATCHLIST_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/watchlists"),
        PathBuf::from,
    )
}

/// Measures quality and speed on the full shared lists; writes the evaluation set and the
/// synthetic names to `WATCHLIST_OUT` (default `target/watchlist-eval`) for the Python peer.
/// Run: `cargo test --release --test main -- --ignored --nocapture measure_on_full_lists`.
#[test]
#[ignore = "needs ../shared/data and a release build; prints the figures for docs/watchlist.md"]
fn measure_on_full_lists() {
    let data = shared_data();
    let out = std::env::var_os("WATCHLIST_OUT").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/watchlist-eval"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&out).unwrap();
    let ofac_path = data.join("ofac-sdn-2021/sdn.csv");
    let un_path = data.join("un/consolidated.xml");

    let started = Instant::now();
    let ofac = load_watchlists(std::slice::from_ref(&ofac_path)).unwrap();
    let both = load_watchlists(&[ofac_path, un_path]).unwrap();
    println!(
        "load OFAC+UN twice: {:.2}s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let ofac_screener = Screener::new(&ofac);
    let screener = Screener::new(&both);
    println!(
        "index: {:.2}s, {} names indexed (OFAC+UN)",
        started.elapsed().as_secs_f64(),
        screener.indexed_names()
    );

    let cases = build_eval_set(&primary_only(&ofac), 2000, 2000, 42);
    write_eval_csv(
        std::fs::File::create(out.join("eval-ofac.csv")).unwrap(),
        &cases,
    )
    .unwrap();
    let started = Instant::now();
    let evaluation = evaluate(&ofac_screener, &cases, &default_thresholds());
    println!(
        "## OFAC eval ({:.2}s)\n{}",
        started.elapsed().as_secs_f64(),
        render_markdown(&evaluation)
    );
    let cases_both = build_eval_set(&both, 2000, 2000, 7);
    let evaluation = evaluate(&screener, &cases_both, &default_thresholds());
    println!("## OFAC+UN eval\n{}", render_markdown(&evaluation));

    let names = synthetic_names(&both, 300_000, 2026);
    let mut file = String::from("name\n");
    for n in &names {
        file.push('"');
        file.push_str(&n.replace('"', "\"\""));
        file.push_str("\"\n");
    }
    std::fs::write(out.join("names-300k.csv"), file).unwrap();
    let queries: Vec<&str> = names.iter().map(String::as_str).collect();
    for _ in 0..3 {
        let (started, cpu) = (Instant::now(), process_cpu_seconds());
        let results = screener.screen_many(&queries, amlscreen::watchlist::DEFAULT_THRESHOLD, 10);
        let flagged = results.iter().filter(|h| !h.is_empty()).count();
        println!(
            "screen_many {} distinct names vs OFAC+UN: {:.2}s wall, {:.2}s CPU, {} flagged",
            queries.len(),
            started.elapsed().as_secs_f64(),
            process_cpu_seconds() - cpu,
            flagged
        );
    }
}

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`; 0 elsewhere).
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |k: usize| {
        fields
            .get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of the stat line (utime, stime) are 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// The OFAC entries with their primary names only, as the Python peer sees them.
fn primary_only(set: &WatchlistSet) -> WatchlistSet {
    let entries = set
        .entries()
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.names.truncate(1);
            e
        })
        .collect();
    WatchlistSet::from_entries(entries)
}

use amlscreen::watchlist::normalize::{fold, normalize_display, normalize_name};
use amlscreen::watchlist::phonetic::{blocking_keys, consonant_skeleton};
use amlscreen::watchlist::score::score_names;
use amlscreen::watchlist::{
    read_names_file, write_hits_csv, Hit, NameKind, WatchlistError, DEFAULT_THRESHOLD,
};
use std::path::Path;

fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/watchlists")
        .join(relative)
}

fn load(relative: &str) -> WatchlistSet {
    load_watchlists(&[fixture(relative)]).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn load_err(relative: &str) -> WatchlistError {
    match load_watchlists(&[fixture(relative)]) {
        Ok(set) => panic!(
            "{relative}: expected an error, loaded {} entries",
            set.entries().len()
        ),
        Err(e) => e,
    }
}

fn entry<'a>(set: &'a WatchlistSet, id: &str) -> &'a amlscreen::watchlist::Entry {
    set.entries()
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no entry {id}"))
}

/// A fresh, empty scratch folder under the system temp folder.
fn scratch_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("amlscreen-watchlist-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixture_screener() -> Screener {
    Screener::new(
        &load_watchlists(&[fixture("ofac/sdn.csv"), fixture("un/consolidated.xml")]).unwrap(),
    )
}

// ---------------------------------------------------------------- loaders

#[test]
fn ofac_loads_entries_with_aliases_types_programs_and_companion_sources() {
    let set = load("ofac/sdn.csv");
    assert_eq!(
        set.entries().len(),
        33,
        "33 rows; the trailing 0x1A byte is no entry"
    );
    let formats: Vec<&str> = set.sources().iter().map(|s| s.format.as_str()).collect();
    assert_eq!(formats, ["OFAC legacy CSV", "OFAC alt.csv", "OFAC add.csv"]);
    assert!(
        set.sources().iter().all(|s| s.warnings.is_empty()),
        "{:?}",
        set.sources()
    );
    assert_eq!(set.sources()[0].entries, 33);
    assert_eq!(set.sources()[1].names, 47, "alt.csv adds its 47 aliases");

    let ladin = entry(&set, "6365");
    assert_eq!(ladin.list, "OFAC-SDN");
    assert_eq!(ladin.entry_type, "individual");
    assert_eq!(ladin.programs, "SDGT");
    assert_eq!(
        ladin.primary_name(),
        "BIN LADIN, Usama bin Muhammad bin Awad"
    );
    assert!(ladin
        .names
        .iter()
        .any(|n| n.text == "BIN LADEN, Osama" && n.kind == NameKind::Aka));
    assert_eq!(
        entry(&set, "36").entry_type,
        "entity",
        "-0- type is an entity"
    );
    assert_eq!(entry(&set, "4234").entry_type, "vessel");
    assert_eq!(
        entry(&set, "173").primary_name(),
        "ANGLO-CARIBBEAN CO., LTD."
    );
    let fka = entry(&set, "4307")
        .names
        .iter()
        .find(|n| n.text == "CORTEZ, Oliverio Abril");
    assert_eq!(fka.map(|n| n.kind), Some(NameKind::Fka));
    let nka = entry(&set, "8244")
        .names
        .iter()
        .find(|n| n.text == "NUEVO CONTINENTE S.A.");
    assert_eq!(nka.map(|n| n.kind), Some(NameKind::Nka));
    assert!(
        entry(&set, "306")
            .countries
            .contains(&"Switzerland".to_string()),
        "add.csv country"
    );
}

#[test]
fn sources_carry_the_sha256_of_each_file_and_convert_to_manifest_digests() {
    use sha2::Digest;
    let set = load("ofac/sdn.csv");
    for source in set.sources() {
        let bytes = std::fs::read(&source.path).unwrap();
        let expected: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(source.sha256, expected, "{}", source.path);
        assert_eq!(source.list, "OFAC-SDN");
    }
    let digest = set.sources()[0].digest();
    assert_eq!(digest.id, "OFAC-SDN");
    assert_eq!(digest.entries, set.sources()[0].names);
    assert!(digest.path.ends_with("sdn.csv"));
}

#[test]
fn un_xml_loads_individuals_entities_and_alias_qualities() {
    let set = load("un/consolidated.xml");
    let individuals = set
        .entries()
        .iter()
        .filter(|e| e.entry_type == "individual")
        .count();
    let entities = set
        .entries()
        .iter()
        .filter(|e| e.entry_type == "entity")
        .count();
    assert_eq!((individuals, entities), (5, 3));
    assert_eq!(set.sources()[0].format, "UN XML");
    assert_eq!(set.sources()[0].list, "UN");
    let hamza = entry(&set, "QDi.421");
    assert_eq!(hamza.primary_name(), "HAMZA USAMA MUHAMMAD BIN LADEN");
    assert_eq!(hamza.programs, "Al-Qaida");
    let organisation = entry(&set, "QDe.004");
    assert_eq!(organisation.entry_type, "entity");
    let low: Vec<&str> = set
        .entries()
        .iter()
        .flat_map(|e| e.names.iter())
        .filter(|n| n.kind == NameKind::Weak)
        .map(|n| n.text.as_str())
        .collect();
    assert!(
        !low.is_empty(),
        "low-quality aliases are kept as weak names"
    );
    assert!(set
        .entries()
        .iter()
        .all(|e| e.names[0].kind == NameKind::Primary));
}

#[test]
fn ftm_json_lines_load_parties_with_names_aliases_and_weak_aliases() {
    let set = load("opensanctions/t1.entities.ftm.json");
    assert_eq!(
        set.entries().len(),
        6,
        "4 persons and 2 organisations; the address is no party"
    );
    assert!(set.entries().iter().all(|e| e.list == "OPENSANCTIONS"));
    let zala = load("opensanctions/zala-excerpt.entities.ftm.json");
    let cst = entry(&zala, "NK-abdzbEBkqyT29GyREbiURZ");
    assert_eq!(cst.entry_type, "entity");
    assert_eq!(cst.primary_name(), "LLC CST");
    let weak: Vec<&str> = cst
        .names
        .iter()
        .filter(|n| n.kind == NameKind::Weak)
        .map(|n| n.text.as_str())
        .collect();
    assert!(weak.contains(&"ZALA"), "{weak:?}");
    let person = entry(&zala, "NK-aU5ybkbRFJucf8YMwsJvDw");
    assert_eq!(person.entry_type, "individual");
    assert!(person
        .names
        .iter()
        .any(|n| n.text == "Александр Вячеславович Захаров"));
}

#[test]
fn simple_csv_loads_names_aliases_defaults_and_warns_on_a_row_without_name() {
    let set = load("simple/list.csv");
    assert_eq!(set.entries().len(), 3);
    let acme = entry(&set, "L-1");
    assert_eq!(acme.list, "INTERNAL");
    assert_eq!(acme.entry_type, "entity");
    let names: Vec<&str> = acme.names.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(
        names,
        [
            "ACME Trading LLC",
            "ACME General Trading",
            "Acme Holdings Ltd."
        ]
    );
    assert_eq!(entry(&set, "L-2").entry_type, "individual");
    let muller = entry(&set, "L-4");
    assert_eq!(
        (muller.list.as_str(), muller.entry_type.as_str()),
        ("LIST", "unknown")
    );
    let warnings = &set.sources()[0].warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("list.csv:4") && warnings[0].contains("name"),
        "{}",
        warnings[0]
    );
}

#[test]
fn a_folder_loads_each_list_once_sorted_with_ofac_companions_not_standalone() {
    let set =
        load_watchlists(
            &[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/watchlists")],
        )
        .unwrap();
    let files: Vec<String> = set
        .sources()
        .iter()
        .map(|s| {
            Path::new(&s.path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        files,
        ["sdn.csv", "alt.csv", "add.csv", "un-consolidated.xml"]
    );
    assert!(set.entries().len() > 300);
    assert_eq!(set.warning_count(), 0);
}

// ------------------------------------------------------------ bad input

#[test]
fn ofac_short_rows_bad_ids_and_missing_names_are_skipped_with_counted_warnings() {
    let set = load("bad/short-row/sdn.csv");
    assert_eq!(set.entries().len(), 1);
    let sdn = &set.sources()[0].warnings;
    assert_eq!(sdn.len(), 3, "{sdn:?}");
    assert!(
        sdn[0].contains("sdn.csv:2") && sdn[0].contains("expected 12 columns"),
        "{}",
        sdn[0]
    );
    assert!(
        sdn[1].contains("sdn.csv:3") && sdn[1].contains("numeric ent_num"),
        "{}",
        sdn[1]
    );
    assert!(
        sdn[2].contains("sdn.csv:4") && sdn[2].contains("expected a name"),
        "{}",
        sdn[2]
    );
    let alt = &set.sources()[1].warnings;
    assert_eq!(alt.len(), 3, "{alt:?}");
    assert!(alt[0].contains("alt.csv:2") && alt[0].contains("does not list"));
    assert!(alt[1].contains("alt.csv:3") && alt[1].contains("aka, fka or nka"));
    assert!(alt[2].contains("alt.csv:4") && alt[2].contains("columns"));
    let names: Vec<&str> = set.entries()[0]
        .names
        .iter()
        .map(|n| n.text.as_str())
        .collect();
    assert_eq!(names, ["GOOD ENTRY, Name", "GOOD ALIAS", "ODD TYPE ALIAS"]);
    assert_eq!(set.warning_count(), 6);
}

#[test]
fn a_file_whose_every_row_is_skipped_is_an_error_not_an_empty_list() {
    let message = load_err("bad/all-short/sdn.csv").to_string();
    assert!(
        message.contains("all-short/sdn.csv") && message.contains("no watchlist entries"),
        "{message}"
    );
}

#[test]
fn an_empty_file_is_an_error_naming_it() {
    let error = load_err("bad/empty.csv");
    assert!(matches!(error, WatchlistError::Empty { .. }), "{error:?}");
    assert!(error.to_string().contains("empty.csv"), "{error}");
}

#[test]
fn a_csv_without_name_column_is_an_unknown_format_at_line_1() {
    let error = load_err("bad/no-name-column.csv");
    assert!(
        matches!(error, WatchlistError::UnknownFormat { line: 1, .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("no-name-column.csv:1: unrecognised"),
        "{error}"
    );
}

#[test]
fn broken_xml_is_an_error_naming_file_and_line() {
    let truncated = load_err("bad/truncated.xml");
    let text = truncated.to_string();
    assert!(
        text.contains("truncated.xml:") && text.contains("expected"),
        "{text}"
    );
    assert!(
        matches!(truncated, WatchlistError::Malformed { line, .. } if line > 1),
        "{truncated:?}"
    );
    let mismatched = load_err("bad/mismatched.xml");
    assert!(
        matches!(mismatched, WatchlistError::Malformed { line: 7, .. }),
        "{mismatched:?}"
    );
    let wrong_root = load_err("bad/wrong-root.xml").to_string();
    assert!(
        wrong_root.contains("wrong-root.xml:") && wrong_root.contains("CONSOLIDATED_LIST"),
        "{wrong_root}"
    );
}

#[test]
fn un_record_without_name_is_skipped_with_a_warning() {
    let set = load("bad/missing-name.xml");
    assert_eq!(set.entries().len(), 1);
    let warnings = &set.sources()[0].warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("missing-name.xml:4") && warnings[0].contains("XXi.001"),
        "{}",
        warnings[0]
    );
}

#[test]
fn ftm_bad_lines_and_weak_alias_only_parties_are_skipped_with_warnings() {
    let set = load("bad/mixed.ftm.json");
    let ids: Vec<&str> = set.entries().iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["p-1"]);
    let warnings = &set.sources()[0].warnings;
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings[0].contains("mixed.ftm.json:2"));
    assert!(warnings[1].contains("mixed.ftm.json:3") && warnings[1].contains("weakAlias"));
    assert!(warnings[2].contains("mixed.ftm.json:5") && warnings[2].contains("id"));
}

#[test]
fn missing_paths_and_empty_folders_are_errors() {
    let missing = load_watchlists(&[fixture("no/such/file.csv")]).unwrap_err();
    assert!(matches!(missing, WatchlistError::Io { .. }), "{missing:?}");
    assert!(
        missing.to_string().contains("no/such/file.csv"),
        "{missing}"
    );
    let dir = scratch_dir("empty-folder");
    let empty = load_watchlists(std::slice::from_ref(&dir)).unwrap_err();
    assert!(matches!(empty, WatchlistError::Empty { .. }), "{empty:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

// ---------------------------------------------------------- normalisation

#[test]
fn folding_transliterates_and_removes_punctuation() {
    let cases = [
        ("Müller-Lüdenscheidt", "muller ludenscheidt"),
        ("S.A. de C.V.", "sa de cv"),
        ("O'Brien  &  Sons", "obrien sons"),
        ("ANGLO-CARIBBEAN CO., LTD.", "anglo caribbean co ltd"),
        ("Осама бин Ладен", "osama bin laden"),
        ("Ζάλα", "zala"),
        ("  ", ""),
    ];
    for (raw, expected) in cases {
        assert_eq!(fold(raw), expected, "{raw}");
    }
    assert!(fold("أسامة بن لادن")
        .chars()
        .all(|c| c.is_ascii_lowercase() || c == ' '));
}

#[test]
fn individuals_written_surname_first_are_reordered_and_entities_are_not() {
    let cases = [
        (
            "BIN LADIN, Usama bin Muhammad bin Awad",
            true,
            "usama bin muhammad bin awad bin ladin",
        ),
        ("HABBASH, George", true, "george habbash"),
        ("ANGLO-CARIBBEAN CO., LTD.", false, "anglo caribbean co ltd"),
        ("Eric Badege", true, "eric badege"),
        (", Nobody", true, "nobody"),
    ];
    for (raw, individual, expected) in cases {
        assert_eq!(normalize_display(raw, individual), expected, "{raw}");
    }
}

#[test]
fn legal_forms_and_honorifics_are_kept_as_weak_tokens() {
    for form in ["AO", "OAO", "ZAO", "PAO", "OOO", "JSC", "PJSC", "TOV"] {
        let tokens = normalize_name(&format!("GAZPROMBANK {form}"), false);
        assert!(tokens[1].weak && !tokens[0].weak, "{form}: {tokens:?}");
    }
    let tokens = normalize_name("Sheikh Ahmed ACME TRADING L.L.C.", false);
    let flags: Vec<(&str, bool)> = tokens.iter().map(|t| (t.text.as_str(), t.weak)).collect();
    assert_eq!(
        flags,
        [
            ("sheikh", true),
            ("ahmed", false),
            ("acme", false),
            ("trading", false),
            ("llc", true)
        ]
    );
}

#[test]
fn phonetic_skeleton_merges_transliterations() {
    assert_eq!(consonant_skeleton("qaddafi"), "ktf");
    assert_eq!(consonant_skeleton("gadhafi"), "ktf");
    assert_eq!(consonant_skeleton("usama"), consonant_skeleton("osama"));
    assert_ne!(consonant_skeleton("laden"), consonant_skeleton("smith"));
    assert_eq!(consonant_skeleton("aia"), "a", "vowels only: first letter");
    let keys = blocking_keys("muhammad");
    assert!(
        keys.contains(&format!("s:{}", consonant_skeleton("mohamed"))),
        "{keys:?}"
    );
}

#[test]
fn romanisations_of_the_qaf_the_dhal_and_korean_initials_share_a_spelling() {
    use amlscreen::watchlist::normalize::canonical_spelling;
    // the same spelling, so the same `c:` blocking key
    let same = |a: &str, b: &str| {
        assert_eq!(canonical_spelling(a), canonical_spelling(b), "{a} / {b}");
        let keys = blocking_keys(b);
        assert!(
            blocking_keys(a).iter().any(|k| keys.contains(k)),
            "{a} / {b}"
        );
    };
    // the qaf written Q, G, K (Persian GH); the dhal and dad written DH, DD, D
    for variant in ["gaddafi", "kadhafi", "gadhafi", "qaddafi", "kadafi"] {
        same("qadhafi", variant);
    }
    same("qasim", "gasim");
    same("ghasemi", "qasemi");
    same("ramadan", "ramadhan");
    same("fadil", "fadhil");
    // Korean initials G or K, GW or KW; the French OU and the Turkish H for KH, as before
    same("kim", "gim");
    same("kwang", "gwang");
    same("youssouf", "yusuf");
    same("khalil", "halil");
    // `gh` and `g` still agree; only a word-initial G before a vowel or W is read as K
    same("ghazi", "gazi");
    assert_eq!(canonical_spelling("green"), "grin");
    assert_eq!(canonical_spelling("bagir"), "bagir");
    assert_ne!(canonical_spelling("gamal"), canonical_spelling("jamal"));
}

// ------------------------------------------------------------------ scoring

#[test]
fn scoring_table() {
    // (query, listed, listed is an individual, lowest score, highest score)
    let cases = [
        ("Osama bin Laden", "BIN LADEN, Osama", true, 1.0, 1.0),
        ("John Smith", "SMITH, John", true, 1.0, 1.0),
        ("Osama bin Laden", "BIN LADIN, Usama", true, 0.75, 0.95),
        ("Acme Trading LLC", "ACME TRADING LTD.", false, 0.9, 0.99),
        ("Acme Trading", "ACME TRADING LTD.", false, 0.9, 0.99),
        (
            "Sirajuddin Haqqani",
            "HAQQANI, Sirajuddin Jallaloudine",
            true,
            0.9,
            0.95,
        ),
        ("George Bush", "HABBASH, George", true, 0.0, 0.4),
        ("Sunrise Trading", "BLUEWATER TRADING", false, 0.0, 0.3),
        (
            "Apex Group Holding",
            "SUMMIT GROUP HOLDING",
            false,
            0.0,
            0.5,
        ),
        ("Mohammed Ali Hassan", "KHAN, Mohammed Ali", true, 0.0, 0.7),
        ("Iiad ag Ghali", "GHALI, Iyad ag", true, 0.85, 1.0),
        (
            "Grin Leaf General Trading LLC",
            "GREEN LEAF GENERAL TRADING LLC",
            false,
            0.85,
            1.0,
        ),
        (
            "Martin Dawid Hodwalker",
            "HODWALKER MARTINEZ, Martin David",
            true,
            0.75,
            1.0,
        ),
        ("Maria Garcia", "GARCIA LOPEZ, Juan", true, 0.0, 0.5),
        ("LLC", "ACME TRADING LLC", false, 0.0, 0.25),
        ("", "ACME", false, 0.0, 0.0),
    ];
    for (query, listed, individual, low, high) in cases {
        let (score, explanation) = score_names(query, listed, individual);
        assert!(
            (low..=high).contains(&score),
            "{query} vs {listed}: {score} not in {low}..={high} ({explanation})"
        );
    }
}

#[test]
fn a_fuzzier_name_never_scores_higher() {
    let listed = "BIN LADIN, Usama bin Muhammad bin Awad";
    let exact = score_names("Usama bin Muhammad bin Awad bin Ladin", listed, true).0;
    let one_typo = score_names("Usama bin Muhammad bin Awad bin Ladun", listed, true).0;
    let two_typos = score_names("Usama bin Muhammed bin Awad bin Ladun", listed, true).0;
    let dropped = score_names("Usama bin Ladin", listed, true).0;
    assert!(
        exact > one_typo && one_typo > two_typos,
        "{exact} {one_typo} {two_typos}"
    );
    assert!(exact > dropped, "{exact} {dropped}");
}

#[test]
fn explanation_names_each_pair_and_the_unmatched_tokens() {
    let (_, explanation) = score_names("Osama bin Laden", "BIN LADIN, Usama", true);
    assert_eq!(
        explanation,
        "\"osama\"~\"usama\" 0.95; \"bin\" = \"bin\"; \"laden\"~\"ladin\" 0.91; unmatched: -"
    );
    let (_, explanation) = score_names("George Bush", "HABBASH, George", true);
    assert_eq!(
        explanation,
        "\"george\" = \"george\"; unmatched: query \"bush\"; listed \"habbash\""
    );
    let (_, explanation) = score_names("O. bin Laden", "BIN LADEN, Osama", true);
    assert!(
        explanation.starts_with("\"o\"~\"osama\" initial;"),
        "{explanation}"
    );
}

/// Scores `query` against `listed` and checks the score's side of `DEFAULT_THRESHOLD` and
/// whether the explanation holds `said` (or not, with `!` in front).
fn check_treatment(query: &str, listed: &str, individual: bool, hit: bool, said: &str) {
    let (score, explanation) = score_names(query, listed, individual);
    assert_eq!(
        score >= DEFAULT_THRESHOLD,
        hit,
        "{query} vs {listed}: {score} ({explanation})"
    );
    match said.strip_prefix('!') {
        Some(absent) => assert!(!explanation.contains(absent), "{query}: {explanation}"),
        None => assert!(explanation.contains(said), "{query}: {explanation}"),
    }
}

#[test]
fn a_left_out_or_added_middle_name_costs_little_when_first_and_last_names_agree() {
    let middle = "(middle names: first and last names pair)";
    // dropped and added middle names
    check_treatment(
        "Sergey Aksyonov",
        "AKSYONOV, Sergey Valeryevich",
        true,
        true,
        middle,
    );
    check_treatment("Ajay Kumar Gupta", "GUPTA, Ajay", true, true, middle);
    check_treatment(
        "Usama bin Ladin",
        "BIN LADIN, Usama bin Muhammad bin Awad",
        true,
        true,
        middle,
    );
    // surname first in the query
    check_treatment(
        "Aksyonov Sergey",
        "AKSYONOV, Sergey Valeryevich",
        true,
        true,
        middle,
    );
    // near misses: another surname, a second surname left out, a middle name changed
    check_treatment(
        "John Smith",
        "SMYTH-JONES, John",
        true,
        false,
        "!middle names",
    );
    // (a common second surname costs little anyway: this one is a hit on its own)
    check_treatment(
        "Sergio Lopez",
        "RODRIGUEZ LOPEZ, Sergio",
        true,
        true,
        "!middle names",
    );
    check_treatment(
        "Ali Hassan Khalil",
        "KHALIL, Ali Mahmoud",
        true,
        false,
        "!middle names",
    );
    check_treatment(
        "Sergey Ivanov",
        "AKSYONOV, Sergey Valeryevich",
        true,
        false,
        "!middle names",
    );
    // first and last names that agree only fuzzily do not make the rest middle names
    check_treatment(
        "Pedro Martin",
        "MARIN, Pedro Antonio",
        true,
        false,
        "!middle names",
    );
    // a company's words are not middle names
    check_treatment(
        "Bank Iran",
        "BANK SEPAH IRAN",
        false,
        false,
        "!middle names",
    );
    // dropping a middle name never scores above the full name
    let listed = "AKSYONOV, Sergey Valeryevich";
    assert!(
        score_names("Sergey Valeryevich Aksyonov", listed, true).0
            > score_names("Sergey Aksyonov", listed, true).0
    );
}

#[test]
fn adjacent_tokens_joined_pair_with_one_token_of_the_other_name() {
    check_treatment(
        "Abdulrahman Hassan",
        "HASSAN, Abdul Rahman",
        true,
        true,
        "\"abdulrahman\" = \"abdul\"+\"rahman\" joined",
    );
    check_treatment(
        "Gholam Reza Mahmoudi",
        "MAHMOUDI, Gholamreza",
        true,
        true,
        "\"gholam\"+\"reza\" = \"gholamreza\" joined",
    );
    check_treatment("IRANAIR", "IRAN AIR", false, true, "joined");
    check_treatment("Al Qaida", "ALQAIDA", false, true, "joined");
    // the same spelling once joined (doubled letters, transliteration)
    check_treatment(
        "Abdul Lah Ahmed",
        "AHMED, Abdulah",
        true,
        true,
        "\"abdul\"+\"lah\"~\"abdulah\" joined, same spelling",
    );
    // near misses: tokens not adjacent, or joined in the other order, do not join
    check_treatment(
        "Rahman Abdul Hassan",
        "HASSAN, Abdulrahman",
        true,
        false,
        "!joined",
    );
    check_treatment(
        "Abdul Hassan Rahman",
        "HASSAN, Abdulrahman",
        true,
        false,
        "!joined",
    );
    check_treatment("AIR IRAN", "IRANAIR", false, false, "!joined");
}

#[test]
fn an_initial_pairs_with_a_given_name_but_never_with_the_surname() {
    check_treatment(
        "O. bin Laden",
        "BIN LADEN, Osama",
        true,
        true,
        "\"o\"~\"osama\" initial",
    );
    check_treatment("Vladimir T.", "TORSHIN, Vladimir", true, false, "!initial");
    check_treatment(
        "Vladimir T.",
        "TORSHIN, Vladimir",
        true,
        false,
        "unmatched: query \"t\"; listed \"torshin\"",
    );
    // without the comma, the surname is the last word
    check_treatment("Ramzan K.", "RAMZAN KADYROV", true, false, "!initial");
    // nor does it when the other initials fall in place
    check_treatment(
        "A. T. Porfiryevich",
        "TORSHIN, Alexander Porfiryevich",
        true,
        false,
        "!\"t\"~",
    );
    // an entity's last word is no surname
    let (_, explanation) = score_names("ACME T.", "ACME TRADING", false);
    assert!(
        explanation.contains("\"t\"~\"trading\" initial"),
        "{explanation}"
    );
}

#[test]
fn initials_of_several_given_names_in_order_with_the_surname_agreeing_are_a_hit() {
    let listed = "TORSHIN, Alexander Porfiryevich";
    let in_order = "\"a\"~\"alexander\" initial, in order";
    check_treatment("A. P. Torshin", listed, true, true, in_order);
    check_treatment("Torshin A. P.", listed, true, true, in_order);
    check_treatment(
        "V. I. Yakunin",
        "YAKUNIN, Vladimir Ivanovich",
        true,
        true,
        "\"i\"~\"ivanovich\" initial, in order",
    );
    // a given name that is also the surname: the initials still fall in place
    check_treatment(
        "M. M. Matuq",
        "MATUQ, Matuq Mohammed",
        true,
        true,
        "\"m\"~\"matuq\" initial, in order",
    );
    // initials mixed with a given name written out
    check_treatment(
        "Abdul K. I. Mohamed",
        "MOHAMED, Abdul Kader Ibrahim",
        true,
        true,
        "\"k\"~\"kader\" initial, in order",
    );
    // near misses: a wrong initial, initials out of order, another surname, a surname that
    // agrees only fuzzily, too few given names
    check_treatment("B. P. Torshin", listed, true, false, "!in order");
    let (in_order_score, _) = score_names("A. P. Torshin", listed, true);
    let (out_of_order, explanation) = score_names("P. A. Torshin", listed, true);
    assert!(
        out_of_order < in_order_score && !explanation.contains("in order"),
        "{out_of_order} {explanation}"
    );
    check_treatment("A. P. Ivanov", listed, true, false, "!in order");
    check_treatment("A. P. Torshina", listed, true, false, "!in order");
    check_treatment(
        "A. P. Torshin",
        "TORSHIN, Alexander",
        true,
        false,
        "!in order",
    );
    // one initial earns what it did; an entity's words are no given names
    let (one, _) = score_names("A. Torshin", listed, true);
    let (two, _) = score_names("A. P. Torshin", listed, true);
    assert!(one < two && one < DEFAULT_THRESHOLD, "{one} {two}");
    check_treatment(
        "A. T. Holding",
        "ACME TRADING HOLDING",
        false,
        false,
        "!in order",
    );
}

#[test]
fn romanisation_variants_of_a_name_pair_as_the_same_spelling() {
    check_treatment(
        "Ayesha Gaddafi",
        "QADHAFI, Ayesha",
        true,
        true,
        "\"gaddafi\"~\"qadhafi\" 0.95",
    );
    check_treatment(
        "Muammar Kadhafi",
        "QADHAFI, Muammar",
        true,
        true,
        "\"kadhafi\"~\"qadhafi\" 0.95",
    );
    check_treatment(
        "Usamah Ramadhan Malaikah",
        "MALA'IKAH, Usamah Ramadan",
        true,
        true,
        "\"ramadhan\"~\"ramadan\" 0.95",
    );
    check_treatment(
        "Mun Chol Gim",
        "KIM, Mun Chol",
        true,
        true,
        "\"gim\"~\"kim\" 0.95",
    );
    // a typo right after an initial G (it stays a G) is compared as before the rule
    check_treatment(
        "Ermias Grermay",
        "GHERMAY, Ermias",
        true,
        true,
        "\"grermay\"~\"ghermay\" 0.91",
    );
    // near misses: different people sharing only the surname so spelled
    check_treatment(
        "Muammar Gaddafi",
        "QADHAFI, Ayesha",
        true,
        false,
        "unmatched: query \"muammar\"; listed \"ayesha\"",
    );
    check_treatment(
        "Saadi Qaddafi",
        "GADDAFI, Saif Al-Arab",
        true,
        false,
        "0.95",
    );
    check_treatment("Su Il Gim", "KIM, Kwang-Il", true, false, "\"gim\"~\"kim\"");
}

#[test]
fn known_abbreviations_pair_with_their_words() {
    check_treatment(
        "LEADER INTL TRDG LIMITED",
        "LEADER INTERNATIONAL TRADING LIMITED",
        false,
        true,
        "\"trdg\"~\"trading\" abbreviation",
    );
    check_treatment(
        "Mohd Rafi Osman",
        "OSMAN, Muhammad Rafi",
        true,
        true,
        "\"mohd\"~\"muhammad\" abbreviation",
    );
    check_treatment(
        "KOREA ACHIM SHPG CO",
        "KOREA ACHIM SHIPPING CO",
        false,
        true,
        "abbreviation",
    );
    // near misses: an abbreviation of another word, a contraction the table does not know
    check_treatment(
        "LEADER INTL",
        "LEADER INDUSTRIES",
        false,
        false,
        "!abbreviation",
    );
    check_treatment("ACHIM TRG", "ACHIM TRADING", false, false, "!abbreviation");
}

#[test]
fn a_legal_form_spelled_out_pairs_with_its_short_form() {
    check_treatment(
        "BIESTRA SOCIEDAD ANONIMA",
        "BIESTRA S.A.",
        false,
        true,
        "\"sociedad\"+\"anonima\" = \"sa\" legal form spelled out",
    );
    check_treatment(
        "SUN PROPERTIES LLC",
        "SUN PROPERTIES LIMITED LIABILITY COMPANY",
        false,
        true,
        "\"llc\" = \"limited\"+\"liability\"+\"company\" legal form spelled out",
    );
    // near misses: the legal form alone, or words that only look like a legal form
    check_treatment(
        "SOCIEDAD ANONIMA",
        "BIESTRA S.A.",
        false,
        false,
        "!biestra\" =",
    );
    check_treatment(
        "BIESTRA SOCIEDAD",
        "BIESTRA S.A.",
        false,
        false,
        "!spelled out",
    );
}

#[test]
fn russian_and_ukrainian_legal_forms_pair_with_their_english_and_spelled_out_forms() {
    check_treatment(
        "JSC GAZPROMBANK",
        "GAZPROMBANK AO",
        false,
        true,
        "\"jsc\"~\"ao\" legal form",
    );
    check_treatment(
        "AO GAZPROMBANK",
        "GAZPROMBANK, AO",
        false,
        true,
        "\"ao\" = \"ao\"",
    );
    check_treatment(
        "AKTSIONERNOE OBSHCHESTVO GAZPROMBANK",
        "GAZPROMBANK JSC",
        false,
        true,
        "\"aktsionernoe\"+\"obshchestvo\"~\"jsc\" legal form spelled out",
    );
    check_treatment(
        "OTKRYTOE AKTSIONERNOE OBSHCHESTVO NAFTAN",
        "NAFTAN OAO",
        false,
        true,
        "\"otkrytoe\"+\"aktsionernoe\"+\"obshchestvo\" = \"oao\" legal form spelled out",
    );
    check_treatment(
        "ZAKRYTOE AKTSIONERNOE OBSHCHESTVO IFDK",
        "IFDK, ZAO",
        false,
        true,
        "= \"zao\" legal form spelled out",
    );
    check_treatment(
        "PAO ZVEZDA",
        "PUBLICHNOE AKTSIONERNOE OBSHCHESTVO ZVEZDA",
        false,
        true,
        "\"pao\" = \"publichnoe\"+\"aktsionernoe\"+\"obshchestvo\" legal form spelled out",
    );
    check_treatment(
        "SKEPTIK TOVARYSTVO Z OBMEZHENOYU VIDPOVIDALNISTYU",
        "SKEPTIK TOV",
        false,
        true,
        "= \"tov\" legal form spelled out",
    );
    // an English form spelled out pairs with the Russian short form as a whole, not by its
    // last word alone
    check_treatment(
        "OPEN JOINT STOCK COMPANY NAFTAN",
        "NAFTAN OAO",
        false,
        true,
        "\"open\"+\"joint\"+\"stock\"+\"company\"~\"oao\" legal form spelled out",
    );
    check_treatment(
        "ONERBANK CLOSED JOINT STOCK COMPANY",
        "ONERBANK ZAO",
        false,
        true,
        "legal form spelled out; unmatched: -",
    );
    // near misses: the legal form alone, another company of the same legal form
    check_treatment("AO", "GAZPROMBANK AO", false, false, "\"ao\" = \"ao\"");
    check_treatment(
        "PUBLICHNOE AKTSIONERNOE OBSHCHESTVO",
        "GAZPROMBANK PAO",
        false,
        false,
        "spelled out",
    );
    check_treatment(
        "AO GAZPROM",
        "GAZPROMBANK AO",
        false,
        false,
        "\"ao\" = \"ao\"",
    );
}

/// A small list with a name for each of the matcher's treatments.
fn treatments_screener() -> Screener {
    let entries: Vec<amlscreen::watchlist::Entry> = [
        ("1", "entity", "IRAN AIR"),
        ("2", "individual", "HASSAN, Abdul Rahman"),
        ("3", "entity", "LEADER INTERNATIONAL TRADING LIMITED"),
        ("4", "entity", "BIESTRA S.A."),
        ("5", "individual", "AKSYONOV, Sergey Valeryevich"),
        ("6", "entity", "IRAN TRADING COMPANY"),
        ("7", "individual", "TORSHIN, Alexander Porfiryevich"),
        ("8", "individual", "QADHAFI, Ayesha"),
        ("9", "entity", "GAZPROMBANK AO"),
        ("10", "entity", "NAFTAN OAO"),
        ("11", "individual", "TORSHIN, Boris"),
    ]
    .into_iter()
    .map(|(id, kind, name)| amlscreen::watchlist::Entry {
        list: "T".into(),
        id: id.into(),
        entry_type: kind.into(),
        names: vec![amlscreen::watchlist::ListedName {
            text: name.into(),
            kind: amlscreen::watchlist::NameKind::Primary,
        }],
        ..amlscreen::watchlist::Entry::default()
    })
    .collect();
    Screener::new(&WatchlistSet::from_entries(entries))
}

#[test]
fn joined_tokens_abbreviations_and_middle_names_are_found_through_the_index() {
    let screener = treatments_screener();
    for (query, id, said) in [
        ("IRANAIR", "1", "joined"),
        ("Abdulrahman Hassan", "2", "joined"),
        ("LEADER INTL TRDG LTD", "3", "abbreviation"),
        ("BIESTRA SOCIEDAD ANONIMA", "4", "legal form spelled out"),
        ("Sergey Aksyonov", "5", "middle names"),
        ("A. P. Torshin", "7", "initial, in order"),
        ("Ayesha Gaddafi", "8", "\"gaddafi\"~\"qadhafi\" 0.95"),
        ("JSC GAZPROMBANK", "9", "legal form"),
        (
            "OPEN JOINT STOCK COMPANY NAFTAN",
            "10",
            "legal form spelled out",
        ),
    ] {
        let hits = screener.screen(query, DEFAULT_THRESHOLD, usize::MAX);
        assert_eq!(
            hits,
            screener.screen_exhaustive(query, DEFAULT_THRESHOLD, usize::MAX),
            "{query}"
        );
        let top = hits.first().unwrap_or_else(|| panic!("{query}: no hit"));
        assert_eq!(top.entry_id, id, "{query}: {hits:?}");
        assert!(
            top.explanation.contains(said),
            "{query}: {}",
            top.explanation
        );
    }
}

/// The score bound that skips names must never skip one that reaches the threshold: raising
/// the threshold drops exactly the hits scoring below it (initials falling in place earn more
/// than an initial alone, and the bound counts that).
#[test]
fn a_higher_threshold_drops_exactly_the_hits_below_it() {
    let screener = treatments_screener();
    for query in [
        "A. P. Torshin Qwertyuiop Zxcvbnm",
        "A. P. Torshin Petrov",
        "Torshin A. P. B.",
        "Ayesha Gaddafi Zxcvbnm Qwertyuiop",
        "OPEN JOINT STOCK COMPANY NAFTAN INTERNATIONAL",
        "Sergey V. Aksyonov Qwertyuiop",
    ] {
        let all = screener.screen(query, 0.0, usize::MAX);
        assert!(!all.is_empty(), "{query}");
        for step in 0..=140 {
            let threshold = 0.3 + f64::from(step) * 0.005;
            let expected: Vec<_> = all
                .iter()
                .filter(|h| h.score >= threshold)
                .cloned()
                .collect();
            assert_eq!(
                screener.screen(query, threshold, usize::MAX),
                expected,
                "{query} at {threshold}"
            );
        }
    }
}

// ---------------------------------------------------------------- screening

#[test]
fn screening_finds_variants_with_the_listed_name_as_written() {
    let screener = fixture_screener();
    let hits = screener.screen("Usama bin Ladin", DEFAULT_THRESHOLD, 5);
    let top = hits.first().expect("a hit");
    assert_eq!(
        (top.list.as_str(), top.entry_id.as_str()),
        ("OFAC-SDN", "6365")
    );
    assert_eq!(top.matched_name, "BIN LADIN, Usama");
    assert_eq!(top.primary_name, "BIN LADIN, Usama bin Muhammad bin Awad");
    assert_eq!(
        (top.entry_type.as_str(), top.programs.as_str()),
        ("individual", "SDGT")
    );
    assert!(
        top.explanation.contains("\"ladin\" = \"ladin\""),
        "{}",
        top.explanation
    );
    let typo = screener.screen("Usama bin Ladn", DEFAULT_THRESHOLD, 5);
    assert_eq!(
        typo.first().map(|h| h.entry_id.as_str()),
        Some("6365"),
        "{typo:?}"
    );
}

#[test]
fn george_bush_is_not_george_habbash() {
    let screener = fixture_screener();
    assert!(screener
        .screen("George Bush", DEFAULT_THRESHOLD, 10)
        .is_empty());
    let low = screener.screen("George Bush", 0.01, 10);
    let habbash = low
        .iter()
        .find(|h| h.entry_id == "2680")
        .expect("scored at a tiny threshold");
    assert!(habbash.score < DEFAULT_THRESHOLD / 2.0, "{habbash:?}");
    let control = screener.screen("George Habbash", DEFAULT_THRESHOLD, 10);
    assert_eq!(control.first().map(|h| h.entry_id.as_str()), Some("2680"));
}

#[test]
fn weak_aliases_are_never_matched_on_their_own() {
    let zala = Screener::new(&load("opensanctions/zala-excerpt.entities.ftm.json"));
    assert!(
        zala.screen("ZALA", 0.9, 10).is_empty(),
        "ZALA is only a weak alias"
    );
    let control = zala.screen("Zala Aero Group", 0.9, 10);
    assert_eq!(
        control.first().map(|h| h.entry_id.as_str()),
        Some("NK-abdzbEBkqyT29GyREbiURZ")
    );
    let mixed = Screener::new(&load("bad/mixed.ftm.json"));
    assert!(mixed.screen("Vanya", 0.5, 10).is_empty());
    assert_eq!(mixed.screen("Ivana Testova", 0.5, 10).len(), 1);
    let un = Screener::new(&load("bad/missing-name.xml"));
    assert!(
        un.screen("Nicky", 0.5, 10).is_empty(),
        "UN low-quality alias"
    );
    assert_eq!(un.screen("Named Person", 0.5, 10).len(), 1);
}

#[test]
fn threshold_and_top_limit_the_hits_which_come_best_first() {
    let screener = fixture_screener();
    let all = screener.screen("Usama bin Laden", 0.3, usize::MAX);
    assert!(all.len() >= 4, "{all:?}");
    assert!(all.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(all.iter().all(|h| h.score >= 0.3));
    let above = screener.screen("Usama bin Laden", 0.8, usize::MAX);
    assert!(above.len() < all.len() && above.iter().all(|h| h.score >= 0.8));
    assert_eq!(
        above[..],
        all[..above.len()],
        "a higher threshold cuts the same list"
    );
    assert_eq!(screener.screen("Usama bin Laden", 0.3, 2)[..], all[..2]);
    assert!(screener.screen("Usama bin Laden", 0.3, 0).is_empty());
    let exact = screener.screen("Usama bin Laden", 1.0, usize::MAX);
    assert!(exact.iter().all(|h| h.score == 1.0) && !exact.is_empty());
}

#[test]
fn equal_scores_are_ordered_by_list_then_entry_id() {
    let screener = fixture_screener();
    let hits = screener.screen("Usama bin Laden Organization", DEFAULT_THRESHOLD, 10);
    let ids: Vec<(&str, &str)> = hits
        .iter()
        .map(|h| (h.list.as_str(), h.entry_id.as_str()))
        .collect();
    assert_eq!(
        ids[..2],
        [("OFAC-SDN", "6366"), ("UN", "QDe.004")],
        "{hits:?}"
    );
    assert_eq!(hits[0].score, hits[1].score);
}

#[test]
fn screen_many_is_deterministic_and_equals_screen_per_query() {
    let screener = fixture_screener();
    let queries = [
        "Usama bin Laden",
        "George Bush",
        "Banco Nacional de Cuba",
        "Usama bin Laden",
        "Hamza bin Ladin",
        "",
    ];
    let first = screener.screen_many(&queries, 0.5, 10);
    let mut reversed = queries;
    reversed.reverse();
    let second = screener.screen_many(&reversed, 0.5, 10);
    for (i, query) in queries.iter().enumerate() {
        let single = screener.screen(query, 0.5, 10);
        assert_eq!(first[i], single, "{query}");
        assert_eq!(second[queries.len() - 1 - i], single, "{query}");
    }
    assert!(!first[2].is_empty() && first[5].is_empty());
}

// --------------------------------------------------------- names and hits I/O

#[test]
fn names_file_is_a_csv_with_a_name_column_or_one_name_per_line() {
    let dir = scratch_dir("names");
    let csv_path = dir.join("names.csv");
    std::fs::write(
        &csv_path,
        "id,Name\n1,\"BIN LADIN, Usama\"\n2,\n3,José Müller\n",
    )
    .unwrap();
    assert_eq!(
        read_names_file(&csv_path).unwrap(),
        ["BIN LADIN, Usama", "José Müller"]
    );
    let lines_path = dir.join("names.txt");
    std::fs::write(&lines_path, "Usama bin Ladin\r\n\r\nGeorge Bush\n").unwrap();
    assert_eq!(
        read_names_file(&lines_path).unwrap(),
        ["Usama bin Ladin", "George Bush"]
    );
    let empty_path = dir.join("empty.txt");
    std::fs::write(&empty_path, "\n\n").unwrap();
    let error = read_names_file(&empty_path).unwrap_err();
    assert!(
        error.to_string().contains("empty.txt") && error.to_string().contains("no names"),
        "{error}"
    );
    assert!(matches!(
        read_names_file(&dir.join("absent.txt")),
        Err(WatchlistError::Io { .. })
    ));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn hits_csv_has_the_agreed_columns_and_the_query_as_given() {
    let hit = Hit {
        list: "OFAC-SDN".into(),
        entry_id: "6365".into(),
        entry_type: "individual".into(),
        programs: "SDGT".into(),
        matched_name: "BIN LADIN, Usama".into(),
        primary_name: "BIN LADIN, Usama bin Muhammad bin Awad".into(),
        score: 0.92114,
        explanation: "\"usama\" = \"usama\"; unmatched: -".into(),
    };
    let mut out = Vec::new();
    write_hits_csv(&mut out, &[("  Usáma, bin Ladin ".to_string(), hit)]).unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "query",
            "list",
            "entry_id",
            "matched_name",
            "score",
            "explanation"
        ]
    );
    let row: Vec<String> = reader
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        row,
        [
            "  Usáma, bin Ladin ",
            "OFAC-SDN",
            "6365",
            "BIN LADIN, Usama",
            "0.9211",
            "\"usama\" = \"usama\"; unmatched: -"
        ]
    );
}

// --------------------------------------------------------------- evaluation

#[test]
fn evaluation_set_is_deterministic_labelled_and_never_a_listed_name() {
    let set =
        load_watchlists(
            &[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/watchlists")],
        )
        .unwrap();
    let cases = build_eval_set(&set, 200, 200, 1);
    assert_eq!(cases, build_eval_set(&set, 200, 200, 1));
    assert_ne!(cases, build_eval_set(&set, 200, 200, 2));
    let positives = cases.iter().filter(|c| c.expected.is_some()).count();
    assert_eq!((positives, cases.len()), (200, 400));
    let listed: std::collections::HashSet<String> = set
        .entries()
        .iter()
        .flat_map(|e| {
            e.names
                .iter()
                .map(move |n| normalize_display(&n.text, e.is_individual()))
        })
        .collect();
    for case in cases.iter().filter(|c| c.expected.is_none()) {
        assert!(
            !listed.contains(&normalize_display(&case.query, false)),
            "{case:?}"
        );
    }
    assert!(cases
        .iter()
        .any(|c| c.kind == "famous" && c.query == "George Bush"));
    let mut out = Vec::new();
    write_eval_csv(&mut out, &cases).unwrap();
    assert!(String::from_utf8(out)
        .unwrap()
        .starts_with("query,label,expected_list,expected_entry_id,kind\n"));
}

#[test]
fn evaluation_curve_is_monotone_and_renders_as_markdown() {
    let set =
        load_watchlists(
            &[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/watchlists")],
        )
        .unwrap();
    let screener = Screener::new(&set);
    let cases = build_eval_set(&set, 150, 150, 3);
    let evaluation = evaluate(&screener, &cases, &default_thresholds());
    assert_eq!((evaluation.positives, evaluation.negatives), (150, 150));
    assert_eq!(evaluation.curve.len(), 11);
    for pair in evaluation.curve.windows(2) {
        assert!(
            pair[0].recall >= pair[1].recall && pair[0].false_positives >= pair[1].false_positives
        );
    }
    let at_default = evaluation
        .curve
        .iter()
        .find(|p| (p.threshold - DEFAULT_THRESHOLD).abs() < 1e-9)
        .unwrap();
    assert!(
        at_default.recall > 0.8 && at_default.precision > 0.95,
        "{at_default:?}"
    );
    let markdown = render_markdown(&evaluation);
    assert!(markdown.contains("| threshold | precision | recall |"));
    assert_eq!(
        markdown
            .lines()
            .filter(|l| l.starts_with("| 0.") || l.starts_with("| 1."))
            .count(),
        11
    );
    let names = synthetic_names(&set, 500, 9);
    assert_eq!(names.len(), 500);
    assert_eq!(names, synthetic_names(&set, 500, 9));
}

#[test]
fn the_blocking_index_finds_every_hit_an_exhaustive_scan_finds() {
    let set = load_watchlists(&[
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/watchlists"),
        fixture("opensanctions/zala-excerpt.entities.ftm.json"),
    ])
    .unwrap();
    let screener = Screener::new(&set);
    let cases = build_eval_set(&set, 150, 150, 11);
    let mut compared = 0;
    for case in &cases {
        for threshold in [0.8, DEFAULT_THRESHOLD] {
            let indexed = screener.screen(&case.query, threshold, usize::MAX);
            let exhaustive = screener.screen_exhaustive(&case.query, threshold, usize::MAX);
            assert_eq!(indexed, exhaustive, "{} at {threshold}", case.query);
            compared += exhaustive.len();
        }
    }
    assert!(compared > 200, "the comparison saw only {compared} hits");
}

/// Megabyte-long pseudo-random lower-case letters, in words of `word` letters (0: one word).
fn long_name(bytes: usize, word: usize) -> String {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..bytes)
        .map(|i| {
            if word > 0 && i % (word + 1) == word {
                return ' ';
            }
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(b'a' + ((state >> 33) % 26) as u8)
        })
        .collect()
}

/// Names are matched on at most `MAX_MATCHED_NAME_CHARS` folded characters: whole tokens from
/// the start, a single longer token cut; shorter names are untouched. This bounds the work of
/// blocking keys, which grows with the square of a token's length.
#[test]
fn a_name_longer_than_the_limit_is_matched_on_its_first_characters() {
    use amlscreen::watchlist::normalize::{normalize_name_bounded, MAX_MATCHED_NAME_CHARS};
    let joined = |tokens: &[amlscreen::watchlist::normalize::NameToken]| {
        tokens
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    // one token of a megabyte: cut to the limit
    let one = long_name(1 << 20, 0);
    let (tokens, cut) = normalize_name_bounded(&one, false);
    assert!(cut);
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].text, one[..MAX_MATCHED_NAME_CHARS]);
    // a megabyte of words: the first whole words that fit
    let words = long_name(1 << 20, 9);
    let (tokens, cut) = normalize_name_bounded(&words, true);
    let kept = joined(&tokens);
    assert!(cut);
    assert!(kept.len() <= MAX_MATCHED_NAME_CHARS && kept.len() > MAX_MATCHED_NAME_CHARS - 10);
    assert!(words.starts_with(&format!("{kept} ")), "whole words only");
    // at the limit nothing is cut; one character more is
    let exact = long_name(MAX_MATCHED_NAME_CHARS, 0);
    assert_eq!(
        normalize_name_bounded(&exact, false),
        (normalize_name(&exact, false), false)
    );
    assert_eq!(
        normalize_name(&exact, false)[0].text.len(),
        MAX_MATCHED_NAME_CHARS
    );
    assert!(normalize_name_bounded(&long_name(MAX_MATCHED_NAME_CHARS + 1, 0), false).1);
    // screening such a name finishes and finds nothing to match
    assert!(fixture_screener().screen(&one, 0.5, 5).is_empty());
}

// ---------------------------------------------------------------- identity facts

use amlscreen::watchlist::{
    country_code, BirthDate, IdDocument, IdKind, PartialDate, PartyQuery, BIRTH_DATE_PENALTY,
    NATIONALITY_PENALTY,
};

fn date(text: &str) -> PartialDate {
    PartialDate::parse(text).unwrap()
}

fn doc(kind: IdKind, number: &str, country: Option<&str>) -> IdDocument {
    IdDocument {
        kind,
        number: number.to_string(),
        country: country.map(str::to_string),
    }
}

#[test]
fn ofac_remarks_give_birth_dates_nationalities_and_documents() {
    let set = load("facts/ofac/sdn.csv");
    let ladin = entry(&set, "6365");
    assert_eq!(
        ladin.birth_dates,
        [
            BirthDate::Exact(date("1957-07-30")),
            BirthDate::Exact(date("1958"))
        ]
    );
    assert!(ladin.nationalities.is_empty() && ladin.documents.is_empty());
    let hassan = entry(&set, "9001");
    assert_eq!(hassan.birth_dates, [BirthDate::Circa(date("1965"))]);
    assert_eq!(hassan.nationalities, ["IQ"]);
    assert_eq!(
        hassan.documents,
        [
            doc(IdKind::Passport, "A123456", Some("IQ")),
            doc(IdKind::Passport, "B765432", Some("JO"))
        ]
    );
    let morales = entry(&set, "9002");
    assert_eq!(
        morales.birth_dates,
        [BirthDate::Between(date("1962"), date("1965"))]
    );
    assert_eq!(morales.nationalities, ["CO"]);
    assert_eq!(
        morales.documents,
        [
            doc(IdKind::NationalId, "16247821", Some("CO")),
            doc(IdKind::Other, "8001234567", Some("CO"))
        ]
    );
    let park = entry(&set, "9003");
    assert_eq!(
        park.birth_dates,
        [BirthDate::Between(date("1960-01-01"), date("1962-12-31"))]
    );
    assert_eq!(park.nationalities, ["KP"]);
    assert_eq!(
        park.documents,
        [doc(IdKind::NationalId, "66000073767", Some("KP"))]
    );
    // an unreadable date and an unknown country are warnings; a 2-digit passport is left out
    let garcia = entry(&set, "9004");
    assert_eq!(garcia.birth_dates, [BirthDate::Exact(date("1971-03"))]);
    assert!(garcia.nationalities.is_empty());
    assert_eq!(
        garcia.documents,
        [doc(IdKind::NationalId, "78865882", Some("ES"))]
    );
    let warnings = &set.sources()[0].warnings;
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("sdn.csv:5: remarks: cannot read \"DOB sometime in spring\""));
    assert!(warnings[1].contains("sdn.csv:5: remarks: \"nationality Atlantis\""));
    assert!(entry(&set, "9005").documents.is_empty());
}

#[test]
fn un_xml_gives_birth_dates_nationalities_and_documents() {
    let set = load("facts/un/consolidated.xml");
    let zahed = entry(&set, "QDi.900");
    assert_eq!(
        zahed.birth_dates,
        [
            BirthDate::Exact(date("1961-01-01")),
            BirthDate::Circa(date("1963"))
        ]
    );
    assert_eq!(zahed.nationalities, ["AF", "IR"]);
    assert_eq!(
        zahed.documents,
        [
            doc(IdKind::Passport, "OA0243318", Some("AF")),
            doc(IdKind::NationalId, "178094462180", None)
        ]
    );
    let ngudjolo = entry(&set, "CDi.901");
    assert_eq!(
        ngudjolo.birth_dates,
        [BirthDate::Between(date("1968"), date("1970"))]
    );
    assert_eq!(ngudjolo.nationalities, ["CD"]);
    assert_eq!(
        ngudjolo.documents,
        [doc(IdKind::Passport, "D00000898", None)]
    );
    // `na` is no nationality, an empty date no date, an impossible date a warning
    let undated = entry(&set, "CDi.902");
    assert!(undated.birth_dates.is_empty() && undated.nationalities.is_empty());
    let warnings = &set.sources()[0].warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("INDIVIDUAL_DATE_OF_BIRTH") && warnings[0].contains("1975-02-30"));
    assert!(entry(&set, "QDe.903").birth_dates.is_empty());
}

#[test]
fn ftm_gives_birth_and_incorporation_dates_nationalities_and_numbers() {
    let set = load("facts/parties.ftm.json");
    let ivan = entry(&set, "P-1");
    assert_eq!(ivan.birth_dates, [BirthDate::Exact(date("1971-01-22"))]);
    assert_eq!(ivan.nationalities, ["RU", "BY"]);
    assert_eq!(
        ivan.documents,
        [
            doc(IdKind::Passport, "089132114", None),
            doc(IdKind::NationalId, "183116181362", None)
        ]
    );
    let company = entry(&set, "C-1");
    assert_eq!(
        company.birth_dates,
        [
            BirthDate::Exact(date("2002-12-31")),
            BirthDate::Exact(date("2002"))
        ]
    );
    assert_eq!(
        company.documents,
        [doc(IdKind::Other, "1091841000624", None)]
    );
    let warnings = &set.sources()[0].warnings;
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("\"suhh\""));
    assert!(warnings[1].contains(":3: `birthDate`"));
}

#[test]
fn simple_csv_reads_optional_fact_columns_and_warns_on_bad_values() {
    let set = load("facts/list.csv");
    let jane = entry(&set, "L-1");
    assert_eq!(
        jane.birth_dates,
        [
            BirthDate::Exact(date("1980-05")),
            BirthDate::Exact(date("1981"))
        ]
    );
    assert_eq!(jane.nationalities, ["GB", "FR"]);
    assert_eq!(jane.documents, [doc(IdKind::Other, "AB123456", None)]);
    let warnings = &set.sources()[0].warnings;
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings[0].contains("list.csv:2: column `id_numbers`: \"77\""));
    assert!(warnings[1].contains("list.csv:3: column `nationality`: \"Atlantis\""));
    assert!(warnings[2].contains("list.csv:4: column `birth_date`"));
}

#[test]
fn every_nationality_of_the_shared_lists_has_a_country_code() {
    let data = shared_data();
    let ofac = data.join("ofac-sdn-2021/sdn.csv");
    let un = data.join("un/consolidated.xml");
    if !ofac.exists() || !un.exists() {
        eprintln!("skipped: {} not present", data.display());
        return;
    }
    let set = load_watchlists(&[ofac, un]).unwrap();
    let unknown: Vec<&String> = set
        .sources()
        .iter()
        .flat_map(|s| &s.warnings)
        .filter(|w| w.contains("nationality") || w.contains("NATIONALITY"))
        .filter(|w| !w.contains("\"former Soviet Union\""))
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}");
    let with_facts = set
        .entries()
        .iter()
        .filter(|e| !e.birth_dates.is_empty() && !e.nationalities.is_empty())
        .count();
    assert!(
        with_facts > 1000,
        "{with_facts} entries with birth date and nationality"
    );
    assert_eq!(country_code("Korea, North"), Some("KP"));
}

fn facts_screener() -> Screener {
    Screener::new(
        &load_watchlists(&[
            fixture("facts/ofac/sdn.csv"),
            fixture("facts/un/consolidated.xml"),
            fixture("facts/parties.ftm.json"),
        ])
        .unwrap(),
    )
}

fn party(name: &str, birth: Option<&str>, nationality: Option<&str>, ids: &[&str]) -> PartyQuery {
    PartyQuery {
        name: name.to_string(),
        birth_date: birth.map(date),
        nationality: nationality.map(str::to_string),
        id_numbers: ids.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn a_matching_birth_date_or_nationality_lets_a_weaker_name_through() {
    let screener = facts_screener();
    // "Karim Abdul" leaves out the surname: below the threshold on the name alone (a left-out
    // middle name costs little since issue #23, a left-out surname does not)
    let name_only = screener.screen("Karim Abdul", DEFAULT_THRESHOLD, 5);
    assert!(
        name_only.iter().all(|h| h.entry_id != "9001"),
        "{name_only:?}"
    );
    let plain_score = screener.screen("Karim Abdul", 0.5, 5)[0].score;
    let hits = screener.screen_party(
        &party("Karim Abdul", Some("1966-04-02"), Some("IQ"), &[]),
        DEFAULT_THRESHOLD,
        5,
    );
    assert_eq!(hits[0].entry_id, "9001", "{hits:?}");
    assert!(hits[0].score > plain_score && hits[0].score <= plain_score + 0.15 + 1e-9);
    assert!(
        hits[0]
            .explanation
            .contains("facts: born 1966-04-02 ~ circa 1965 (+0.04), nationality IQ = IQ (+0.05)"),
        "{}",
        hits[0].explanation
    );
}

#[test]
fn a_contradicting_birth_date_or_nationality_discounts_a_same_name_person() {
    let screener = facts_screener();
    let name = "Abdul Rahman Zahed";
    assert_eq!(screener.screen(name, DEFAULT_THRESHOLD, 5)[0].score, 1.0);
    let agree = screener.screen_party(&party(name, Some("1961"), Some("AF"), &[]), 0.85, 5);
    assert_eq!(agree[0].score, 1.0);
    assert!(agree[0]
        .explanation
        .contains("born 1961 = 1961-01-01 (+0.08)"));
    for (birth, nationality, says) in [
        (Some("1971"), None, "born 1971 ≠ 1961-01-01 (-0.40)"),
        (
            Some("1961-01-01"),
            Some("FR"),
            "nationality FR ≠ AF/IR (-0.40)",
        ),
        (Some("1990"), Some("DE"), "nationality DE ≠ AF/IR"),
    ] {
        let query = party(name, birth, nationality, &[]);
        assert!(screener
            .screen_party(&query, DEFAULT_THRESHOLD, 5)
            .is_empty());
        let low = screener.screen_party(&query, 0.0, 5);
        assert!(low[0].explanation.contains(says), "{}", low[0].explanation);
        assert!(low[0].score <= 1.0 - BIRTH_DATE_PENALTY.min(NATIONALITY_PENALTY) + 0.12 + 1e-9);
    }
    // a circa 1963 listing agrees with 1965 but not with 1966; a range holds its ends
    assert_eq!(
        screener
            .screen_party(&party(name, Some("1965"), None, &[]), 0.85, 5)
            .len(),
        1
    );
    assert!(screener
        .screen_party(&party("Mathieu Ngudjolo", Some("1971"), None, &[]), 0.85, 5)
        .is_empty());
    assert_eq!(
        screener
            .screen_party(
                &party("Mathieu Ngudjolo", Some("1970-12-31"), None, &[]),
                0.85,
                5
            )
            .len(),
        1
    );
    // an entry without nationality is neither confirmed nor contradicted by one
    let ladin = screener.screen_party(&party("Usama bin Ladin", None, Some("IQ"), &[]), 0.5, 5);
    assert_eq!(ladin[0].entry_id, "6365");
    assert_eq!(ladin, screener.screen("Usama bin Ladin", 0.5, 5));
    assert!(!ladin[0].explanation.contains("facts"));
}

#[test]
fn an_identity_number_is_a_hit_on_its_own() {
    let screener = facts_screener();
    let hits = screener.screen_party(&party("Somebody Else", None, None, &["a 123-456"]), 0.85, 5);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!((hits[0].entry_id.as_str(), hits[0].score), ("9001", 1.0));
    assert!(hits[0]
        .explanation
        .starts_with("passport A123456 = A123456 (IQ): a hit on its own; name "));
    let national = screener.screen_party(&party("X", None, None, &["1-78-09-44621-80"]), 0.85, 5);
    assert_eq!(national[0].entry_id, "QDi.900");
    assert!(national[0]
        .explanation
        .starts_with("national id 178094462180 = "));
    // a number listed nowhere, or too short to identify, finds nothing
    for ids in [&["A123457"][..], &["1234"][..]] {
        assert!(screener
            .screen_party(&party("Somebody Else", None, None, ids), 0.85, 5)
            .is_empty());
    }
}

#[test]
fn an_identity_number_of_a_stated_kind_is_compared_with_documents_of_that_kind() {
    let screener = facts_screener();
    // the listed A123456 is a passport; the listed 178094462180 a national id
    let passport = screener.screen_party(&party("X", None, None, &["Passport: A123456"]), 0.85, 5);
    assert_eq!(passport[0].entry_id, "9001", "{passport:?}");
    assert!(passport[0]
        .explanation
        .starts_with("passport A123456 = A123456"));
    let national = screener.screen_party(
        &party("X", None, None, &["national_id:1-78-09-44621-80"]),
        0.85,
        5,
    );
    assert_eq!(national[0].entry_id, "QDi.900");
    // the same numbers said to be of the other kind are not the listed documents
    for ids in [
        &["national_id:A123456"][..],
        &["passport:1-78-09-44621-80"][..],
        &["id:A123456"][..],
    ] {
        let hits = screener.screen_party(&party("X", None, None, ids), 0.85, 5);
        assert!(hits.is_empty(), "{ids:?}: {hits:?}");
    }
    // a name hit with facts and a listed number: the facts are said once
    let both = screener.screen_party(
        &party(
            "Karim Abdul Hassan",
            Some("1966-04-02"),
            Some("IQ"),
            &["A123456"],
        ),
        0.85,
        5,
    );
    assert_eq!(both[0].entry_id, "9001");
    assert_eq!(
        both[0].explanation.matches("facts:").count(),
        1,
        "{}",
        both[0].explanation
    );
    // an unknown prefix is part of the number
    assert!(screener
        .screen_party(&party("X", None, None, &["visa:A123456"]), 0.85, 5)
        .is_empty());
    assert_eq!(
        amlscreen::watchlist::split_id_kind(" PASSPORT : A 123"),
        (Some(amlscreen::watchlist::IdKind::Passport), "A 123")
    );
}

#[test]
fn weak_aliases_count_only_when_the_birth_date_confirms() {
    let screener = facts_screener();
    assert!(screener.screen("Abu Zahed", 0.85, 5).is_empty());
    assert!(screener
        .screen_party(&party("Abu Zahed", None, Some("AF"), &[]), 0.85, 5)
        .is_empty());
    assert!(screener
        .screen_party(&party("Abu Zahed", Some("1975"), None, &[]), 0.85, 5)
        .is_empty());
    let hits = screener.screen_party(&party("Abu Zahed", Some("1961-01-01"), None, &[]), 0.85, 5);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].matched_name, "Abu Zahed");
    assert!(hits[0]
        .explanation
        .contains("weak alias, counted as the birth date confirms"));
    // FtM weak aliases too
    let vanya = screener.screen_party(&party("Vanya", Some("1971-01-22"), None, &[]), 0.85, 5);
    assert_eq!(vanya[0].entry_id, "P-1");
}

#[test]
fn parties_without_facts_screen_exactly_as_names() {
    let screener = fixture_screener();
    let names = [
        "Usama bin Ladin",
        "Banco Nacional de Cuba",
        "George Bush",
        "CIMEX",
        "Usama bin Ladin",
    ];
    let parties: Vec<PartyQuery> = names.iter().map(|n| PartyQuery::name(*n)).collect();
    for threshold in [0.5, DEFAULT_THRESHOLD] {
        let plain = screener.screen_many(&names, threshold, 5);
        assert_eq!(screener.screen_parties(&parties, threshold, 5), plain);
        for (p, hits) in parties.iter().zip(&plain) {
            assert_eq!(&screener.screen_party(p, threshold, 5), hits);
        }
    }
    // mixed batches keep each query's result in place
    let facts = facts_screener();
    let mixed = vec![
        PartyQuery::name("Usama bin Ladin"),
        party("Abdul Rahman Zahed", Some("1971"), None, &[]),
        PartyQuery::name("Abdul Rahman Zahed"),
    ];
    let results = facts.screen_parties(&mixed, DEFAULT_THRESHOLD, 5);
    assert_eq!(
        results[0],
        facts.screen("Usama bin Ladin", DEFAULT_THRESHOLD, 5)
    );
    assert!(results[1].is_empty());
    assert_eq!(results[2][0].entry_id, "QDi.900");
}

#[test]
fn screen_names_reads_fact_columns_and_explains_their_effect() {
    let dir = scratch_dir("facts-cli");
    let names = dir.join("parties.csv");
    std::fs::write(
        &names,
        "name,birth_date,nationality,id_numbers\n\
         Abdul Rahman Zahed,1961,Afghanistan,\n\
         Abdul Rahman Zahed,1990,,\n\
         Somebody Else,,,A-123456;XY99999\n",
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_amlscreen"))
        .arg("screen-names")
        .arg(&names)
        .arg("--watchlist")
        .arg(fixture("facts/ofac/sdn.csv"))
        .arg("--watchlist")
        .arg(fixture("facts/un/consolidated.xml"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0].starts_with("Abdul Rahman Zahed,UN,QDi.900,"));
    assert!(
        rows[0].contains("facts: born 1961 = 1961-01-01 (+0.08), nationality AF = AF/IR (+0.05)")
    );
    assert!(rows[1].starts_with("Somebody Else,OFAC-SDN,9001,"));
    assert!(rows[1].contains("passport A123456 = A123456 (IQ): a hit on its own"));
    for (content, says) in [
        ("name,birth_date\nA B,1961-13\n", ":2: column `birth_date`: \"1961-13\" is not a calendar date"),
        ("name,nationality\nA B,\nC D,Atlantis\n", ":3: column `nationality`: expected an ISO 3166 code or an English country name, found \"Atlantis\""),
        ("name,id_numbers\nA B,12\n", ":2: column `id_numbers`"),
    ] {
        std::fs::write(&names, content).unwrap();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_amlscreen"))
            .arg("screen-names")
            .arg(&names)
            .arg("--watchlist")
            .arg(fixture("facts/ofac/sdn.csv"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("parties.csv{says}")), "{stderr}");
    }
}

#[test]
fn the_facts_evaluation_separates_listed_people_from_look_alikes() {
    use amlscreen::watchlist::eval::{
        build_party_eval_set, evaluate_parties, render_party_markdown,
    };
    let set = load_watchlists(&[
        fixture("facts/ofac/sdn.csv"),
        fixture("facts/un/consolidated.xml"),
    ])
    .unwrap();
    let screener = Screener::new(&set);
    let cases = build_party_eval_set(&set, &screener, 40, 80, 7);
    assert_eq!(cases, build_party_eval_set(&set, &screener, 40, 80, 7));
    let positives = cases.iter().filter(|c| c.expected.is_some()).count();
    assert!(
        positives >= 20 && cases.len() - positives >= 40,
        "{cases:?}"
    );
    let evaluation = evaluate_parties(&screener, &cases, &[DEFAULT_THRESHOLD]);
    let (plain, with) = (&evaluation.points[0], &evaluation.points[1]);
    assert!(with.recall >= plain.recall, "{evaluation:?}");
    assert!(with.false_hit_rate < plain.false_hit_rate, "{evaluation:?}");
    assert!(render_party_markdown(&evaluation).contains("| 0.85 | with facts |"));
}

/// The labelled name pairs of `tests/fixtures/name-pairs.csv` (built by
/// `scripts/name-pairs.py` from the OFAC SDN list and public transliteration and legal-form
/// tables), scored by the screener at the default threshold.
///
/// Issue #23 asks for F1 >= 0.85 here. The matcher measured F1 0.7781 (precision 1.0000,
/// recall 0.6368) when the set was built; the treatments of docs/watchlist.md raised it. This
/// test asserts the measured floor so that any regression fails.
#[test]
fn the_name_pairs_set_keeps_the_measured_f1_at_the_default_threshold() {
    use amlscreen::watchlist::eval::{evaluate_pairs, pair_thresholds, read_name_pairs};
    use amlscreen::watchlist::DEFAULT_THRESHOLD;
    let pairs = read_name_pairs(&crate::common::fixture("name-pairs.csv")).unwrap();
    assert!(
        pairs.len() >= 800,
        "{} pairs; expected at least 800",
        pairs.len()
    );
    let positives = pairs.iter().filter(|p| p.is_match).count();
    let share = positives as f64 / pairs.len() as f64;
    assert!(
        (0.45..=0.55).contains(&share),
        "{positives} of {} pairs match; expected 45-55%",
        pairs.len()
    );
    let persons = pairs.iter().filter(|p| p.person).count();
    assert!(
        persons >= 300 && pairs.len() - persons >= 300,
        "{persons} person pairs"
    );
    for category in [
        "reordered",
        "dropped_middle",
        "added_middle",
        "transliteration",
        "legal_form",
        "concatenation",
        "abbreviation/initials",
        "typo",
    ] {
        let n = pairs
            .iter()
            .filter(|p| p.is_match && p.category == category)
            .count();
        assert!(n >= 60, "{category}: {n} pairs; expected at least 60");
    }
    // the hard non-matches of the initials and romanisation treatments
    for category in [
        "wrong_initial",
        "shared_surname_initials",
        "shared_name_romanised",
    ] {
        let n = pairs
            .iter()
            .filter(|p| !p.is_match && p.category == category)
            .count();
        assert!(n >= 20, "{category}: {n} pairs; expected at least 20");
    }
    let evaluation = evaluate_pairs(&pairs, &pair_thresholds(), DEFAULT_THRESHOLD);
    let at = &evaluation.at_threshold;
    assert_eq!(at.true_positives + at.false_negatives, positives);
    // measured: F1 0.9766, precision 1.0000, recall 0.9543 (on the 1145 pairs before the rows
    // added with the initials, romanisation and Russian legal-form fixes: F1 0.9746; before those
    // fixes F1 0.9618)
    assert!(
        at.f1 >= 0.97 && at.precision >= 0.999,
        "F1 {:.4} precision {:.4} recall {:.4}; expected F1 >= 0.97 and precision >= 0.999",
        at.f1,
        at.precision,
        at.recall
    );
    // higher thresholds never flag more pairs
    for w in evaluation.curve.windows(2) {
        assert!(
            w[1].true_positives + w[1].false_positives
                <= w[0].true_positives + w[0].false_positives
        );
    }
    // deterministic: a second run gives the same scores
    assert_eq!(
        evaluate_pairs(&pairs, &pair_thresholds(), DEFAULT_THRESHOLD).scores,
        evaluation.scores
    );
}

/// The held-out set, built the same way from the UN consolidated list after the matcher's
/// treatments were final (`scripts/name-pairs.py --un`): its measured F1 is the floor.
#[test]
fn the_held_out_un_name_pairs_keep_the_measured_f1_at_the_default_threshold() {
    use amlscreen::watchlist::eval::{evaluate_pairs, pair_thresholds, read_name_pairs};
    use amlscreen::watchlist::DEFAULT_THRESHOLD;
    let pairs = read_name_pairs(&crate::common::fixture("name-pairs-un.csv")).unwrap();
    assert!(pairs.len() >= 800, "{} pairs", pairs.len());
    assert!(pairs.iter().all(|p| p.source.starts_with("UN ent")));
    let evaluation = evaluate_pairs(&pairs, &pair_thresholds(), DEFAULT_THRESHOLD);
    let at = &evaluation.at_threshold;
    // measured: F1 0.9716, precision 1.0000, recall 0.9447 (before the initials, romanisation
    // and Russian legal-form fixes: F1 0.9567, recall 0.9171)
    assert!(
        at.f1 >= 0.97 && at.precision >= 0.999,
        "F1 {:.4} precision {:.4} recall {:.4}; expected F1 >= 0.97 and precision >= 0.999",
        at.f1,
        at.precision,
        at.recall
    );
}

#[test]
fn screen_eval_pairs_prints_the_curve_and_the_categories_and_rejects_bad_rows() {
    use crate::common::{amlscreen, describe, temp_dir, write};
    let dir = temp_dir("pairs");
    let good = write(
        &dir,
        "pairs.csv",
        "left,right,kind,match,category,source\n\
         Usama Bin Ladin,\"BIN LADIN, Usama\",person,true,reordered,test\n\
         Usama Bin Ladin,\"BIN LADIN, Usama\",person,true,typo,test\n\
         Acme Trading Ltd,ACME TRADING LIMITED,entity,true,legal_form,test\n\
         Maria Lopez,\"QADHAFI, Ayesha\",person,false,unrelated,test\n",
    );
    let out = amlscreen(&[
        "screen-eval",
        "--pairs",
        good.to_str().unwrap(),
        "--threshold",
        "0.8",
        "--errors",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("4 name pairs: 3 matches, 1 non-matches"),
        "{text}"
    );
    assert!(
        text.contains("| 0.80 (chosen) | 1.0000 | 1.0000 | 1.0000 | 3 | 0 | 0 | 1 |"),
        "{text}"
    );
    assert!(
        text.contains("| legal_form | true | 1 | 0 | 1 | 1 | 1.000 |"),
        "{text}"
    );
    assert!(
        text.contains("| unrelated | false | 1 | 1 | 0 | 0 | 1.000 |"),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("| FN |") || l.starts_with("| FP |")),
        "{text}"
    );
    let bad = write(
        &dir,
        "bad.csv",
        "left,right,kind,match,category,source\n\
         A B,\"B, A\",person,true,reordered,test\n\
         A B,C D,vessel,false,unrelated,test\n",
    );
    let out = amlscreen(&["screen-eval", "--pairs", bad.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:3: column `kind`: `vessel`; expected `person` or `entity`"),
        "{err}"
    );
    let missing = write(
        &dir,
        "missing.csv",
        "left,right,kind,category\nA,B,person,x\n",
    );
    let out = amlscreen(&["screen-eval", "--pairs", missing.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing column `match`"));
}

/// A screener restricted to some entries scores a query against them exactly as the screener
/// of the whole set does (the words' rarity is the whole set's), and finds nothing else, even
/// for queries made of the left-out entries' words. `rescreen` relies on it.
#[test]
fn a_restricted_screener_scores_its_entries_as_the_whole_screener_does() {
    let set =
        load_watchlists(
            &[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/watchlists")],
        )
        .unwrap();
    let kept: std::collections::BTreeSet<(String, String)> = set
        .entries()
        .iter()
        .enumerate()
        .filter(|(k, _)| k % 3 == 0)
        .map(|(_, e)| (e.list.clone(), e.id.clone()))
        .collect();
    let whole = Screener::new(&set);
    let restricted = Screener::restricted(&set, |e| kept.contains(&(e.list.clone(), e.id.clone())));
    let mut queries: Vec<String> = Vec::new();
    let names: Vec<&str> = set
        .entries()
        .iter()
        .flat_map(|e| e.names.iter().map(|n| n.text.as_str()))
        .collect();
    for (k, name) in names.iter().enumerate() {
        queries.push(name.to_string());
        let words: Vec<&str> = name.split_whitespace().collect();
        // reordered, a letter doubled, and mixed with the words of the next name
        queries.push(words.iter().rev().copied().collect::<Vec<_>>().join(" "));
        // the middle letter doubled: found through the blocking buckets, not by its text
        let letters: Vec<char> = name.chars().collect();
        let mid = letters.len() / 2;
        if mid < letters.len() {
            queries.push(letters[..=mid].iter().chain(&letters[mid..]).collect());
        }
        if let (Some(first), Some(next)) = (words.first(), names.get(k + 1)) {
            let other: Vec<&str> = next.split_whitespace().collect();
            queries.push(format!("{first} {}", other.last().unwrap_or(&"")));
        }
    }
    let mut compared = 0;
    let mut found = 0;
    for query in &queries {
        for threshold in [0.7, 0.9] {
            let expected: Vec<_> = whole
                .screen(query, threshold, usize::MAX)
                .into_iter()
                .filter(|h| kept.contains(&(h.list.clone(), h.entry_id.clone())))
                .collect();
            let got = restricted.screen(query, threshold, usize::MAX);
            assert_eq!(got, expected, "query {query:?} at {threshold}");
            compared += 1;
            found += got.len();
        }
    }
    // with birth dates and nationalities, as `rescreen` screens customers
    let parties: Vec<PartyQuery> = queries
        .iter()
        .enumerate()
        .map(|(k, q)| {
            let born = ["1965", "1970-01-01", "1981-05"][k % 3];
            party(q, Some(born), Some(["IQ", "AF", "JM"][k % 3]), &[])
        })
        .collect();
    for threshold in [0.7, 0.85] {
        let whole_hits = whole.screen_parties(&parties, threshold, usize::MAX);
        let got = restricted.screen_parties(&parties, threshold, usize::MAX);
        for ((query, all), got) in parties.iter().zip(whole_hits).zip(got) {
            let expected: Vec<_> = all
                .into_iter()
                .filter(|h| kept.contains(&(h.list.clone(), h.entry_id.clone())))
                .collect();
            assert_eq!(got, expected, "party {query:?} at {threshold}");
            found += got.len();
        }
    }
    assert!(
        compared > 1000 && found > 600,
        "{compared} queries, {found} hits"
    );
}
