//! Temporal paths (cycles and chains) on Spark against the Polars engine, at their exact
//! boundaries (`tests/fixtures/spark/paths.csv`: the horizon, the retained share and the
//! growth, the hops, revisits, hubs, ties, parties without an account, chain heads, closing
//! chains, and the expansion cap in the search's depth-first order), and the shipped rules of
//! these kinds on the sample data.

use super::fired;
use super::{alerts_csv_of, options};
use crate::common::{fixture, root, temp_dir, write, HEADER};
use amlscreen::rules::plan::Detector;
use amlscreen::rules::{Rule, RuleSet};
use std::path::PathBuf;

/// Both engines' `alerts.csv` for the paths pack's rules `ids` on paths.csv, and the Polars
/// engine's alerts as (rule, subject, transactions).
fn on_paths_csv(ids: &[&str]) -> (String, String, Vec<(String, String, String)>) {
    on_input(ids, fixture("spark/paths.csv"))
}

/// Both engines' `alerts.csv` for the paths pack's rules `ids` on `input`, and the Polars
/// engine's alerts as (rule, subject, transactions).
fn on_input(ids: &[&str], input: PathBuf) -> (String, String, Vec<(String, String, String)>) {
    let set = RuleSet::load(&[fixture("spark/paths.toml")]).unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<&Rule> = set
        .rules()
        .filter(|r| ids.contains(&r.plan.rule_id.as_str()))
        .collect();
    assert_eq!(rules.len(), ids.len());
    for rule in &rules {
        assert!(matches!(rule.plan.detector, Detector::TemporalPath { .. }));
    }
    let (polars, spark) = alerts_csv_of(&set, &rules, &[input], &options(None, None));
    let fired = fired(&polars);
    (polars, spark, fired)
}

/// The transactions of each alert of `rule` on `subject`.
fn alerts(fired: &[(String, String, String)], rule: &str, subject: &str) -> Vec<String> {
    fired
        .iter()
        .filter(|(r, s, _)| r == rule && s == subject)
        .map(|(_, _, t)| t.clone())
        .collect()
}

#[test]
fn cycle_alerts_are_the_same_bytes_at_the_exact_boundaries() {
    let (polars, spark, fired) = on_paths_csv(&["loop", "loop3", "cycle_kind"]);
    assert_eq!(spark, polars);
    let one = |rule: &str, subject: &str, txns: &str| {
        assert_eq!(alerts(&fired, rule, subject), [txns], "{rule} on {subject}");
    };
    let none = |rule: &str, subject: &str| {
        assert!(
            alerts(&fired, rule, subject).is_empty(),
            "{rule} on {subject}"
        );
    };
    // back exactly 10 days later vs a second more; exactly 90% vs a micro-unit under; exactly
    // 105% vs a micro-unit over
    one("loop", "ACC-A1", "C1a;C1b");
    none("loop", "ACC-A2");
    one("loop", "ACC-A3", "C3a;C3b");
    none("loop", "ACC-A4");
    one("loop", "ACC-A5", "C5a;C5b");
    none("loop", "ACC-A6");
    // 4 hops (max_hops) vs 5; 3 hops (min_hops of loop3) vs 2
    one("loop", "ACC-A7", "C70;C71;C72;C73");
    none("loop", "ACC-A8");
    none("loop3", "ACC-A9");
    one("loop", "ACC-A9", "C9a;C9b");
    one("loop3", "ACC-AA", "CAa;CAb;CAc");
    // A -> B -> C -> B -> A revisits B: only B -> C -> B is a cycle
    none("loop", "ACC-AB");
    one("loop", "ACC-BB", "CBb;CBc");
    // six transfers on one day (ACH included) make a hub, five do not
    none("loop", "ACC-AC");
    one("loop", "ACC-AD", "CDa;CDb");
    one("cycle_kind", "ACC-AC", "CCa;CCb");
    // a return at the same time is not later; of two transfers at one time the first row
    // is searched first
    none("loop", "ACC-AI");
    one("loop", "ACC-AJ", "CJa;CJc;CJe");
    // a party without an account (written two ways) is a node; the cycle kind wants accounts
    one("loop", "ACC-AK", "CKa;CKb");
    none("cycle_kind", "ACC-AK");
    one("cycle_kind", "ACC-AL", "CLa;CLb");
}

#[test]
fn chain_alerts_are_the_same_bytes_at_the_exact_boundaries() {
    let (polars, spark, fired) = on_paths_csv(&["chain"]);
    assert_eq!(spark, polars);
    let one = |subject: &str, txns: &str| {
        assert_eq!(alerts(&fired, "chain", subject), [txns], "{subject}");
    };
    let none = |subject: &str| {
        assert!(alerts(&fired, "chain", subject).is_empty(), "{subject}");
    };
    // a hub passed through ends nothing; a chain may end at one; two hops are too few
    none("ACC-P4");
    one("ACC-P5", "H5a;H5b;H5c");
    none("ACC-PE");
    // reported once, from its head; a transfer in a second too early leads into nothing
    one("ACC-X9", "H9a;H9b;H9c;H9d");
    none("ACC-P9");
    one("ACC-PA", "HAb;HAc;HAd");
    none("ACC-XA");
    // a payment in from the next account is no predecessor; from that account the chain
    // comes back to its start and is no chain
    one("ACC-PB", "HBb;HBc;HBd");
    none("ACC-QB");
    // back to the start before going on: none; after max_hops (5): a chain of 5
    none("ACC-PC");
    one("ACC-PD", "HD0;HD1;HD2;HD3;HD4");
}

#[test]
fn the_expansion_cap_stops_the_search_where_the_polars_engine_stops() {
    let (polars, spark, fired) = on_paths_csv(&["loop", "loop_capped", "chain", "chain_capped"]);
    assert_eq!(spark, polars);
    let has = |rule: &str, subject: &str| !alerts(&fired, rule, subject).is_empty();
    // the return is the 6th transfer scanned (5 small payments first) vs the 7th
    assert!(has("loop_capped", "ACC-AE"));
    assert!(!has("loop_capped", "ACC-AF"));
    assert!(has("loop", "ACC-AF"));
    // a subtree of 3 scanned before the return (depth first) vs one of 5
    assert!(has("loop_capped", "ACC-AG"));
    assert!(!has("loop_capped", "ACC-AH"));
    assert!(has("loop", "ACC-AH"));
    // a chain's third hop is the 6th transfer scanned vs the 7th
    assert!(has("chain_capped", "ACC-P6"));
    assert!(!has("chain_capped", "ACC-P7"));
    assert!(has("chain", "ACC-P7"));
    // the longest chain found when the cap is reached stands
    assert_eq!(alerts(&fired, "chain_capped", "ACC-P8"), ["H8a;H8b;H8c"]);
    assert_eq!(alerts(&fired, "chain", "ACC-P8"), ["H8a;H8b;H8c;H8d"]);
}

/// A dense graph: 800 wires among 30 accounts over 10 days, at whole hours (many at one time),
/// amounts of 1,000.00 to 1,100.00 (most follow one another), a third of them sent by two busy
/// accounts (hubs on most days), from a fixed pseudo-random sequence.
fn dense_graph() -> String {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let mut text = format!("{HEADER}\n");
    for i in 0..800 {
        let from = if next(3) == 0 { next(2) } else { next(30) };
        let mut to = next(30);
        if to == from {
            to = (to + 1) % 30;
        }
        let (day, hour) = (next(10), next(24));
        let cents = 100_000 + next(10_001);
        text.push_str(&format!(
            "D{i:03},2026-05-{:02}T{hour:02}:00:00Z,{}.{:02},USD,WIRE,ACC-D{from:02},Holder {from},US,ACC-D{to:02},Holder {to},US,B1\n",
            day + 1,
            cents / 100,
            cents % 100
        ));
    }
    text
}

#[test]
fn a_dense_graph_searched_under_a_small_cap_gives_the_same_paths() {
    let dir = temp_dir("spark-dense-paths");
    let input = write(&dir, "dense.csv", &dense_graph());
    let (polars, spark, capped) = on_input(&["loop_dense", "chain_dense"], input.clone());
    assert_eq!(spark, polars);
    // the cap binds: the same rules without it (also at parity) find other paths
    let set = RuleSet::load(&[fixture("spark/paths.toml")]).unwrap_or_else(|e| panic!("{e}"));
    let free: Vec<Rule> = set
        .rules()
        .filter(|r| r.plan.rule_id.ends_with("_dense"))
        .map(|r| {
            let mut r = (*r).clone();
            if let Detector::TemporalPath { limits, .. } = &mut r.plan.detector {
                limits.max_expansions_per_start = 20_000;
            }
            r
        })
        .collect();
    let free_refs: Vec<&Rule> = free.iter().collect();
    let (uncapped, uncapped_spark) =
        alerts_csv_of(&set, &free_refs, &[input], &options(None, None));
    assert_eq!(uncapped_spark, uncapped);
    let uncapped = fired(&uncapped);
    for rule in ["loop_dense", "chain_dense"] {
        let n = |f: &[(String, String, String)]| f.iter().filter(|(r, _, _)| r == rule).count();
        assert!(n(&capped) > 0, "no {rule} alert");
        assert_ne!(
            capped
                .iter()
                .filter(|(r, _, _)| r == rule)
                .collect::<Vec<_>>(),
            uncapped
                .iter()
                .filter(|(r, _, _)| r == rule)
                .collect::<Vec<_>>(),
            "the cap does not bind for {rule}"
        );
    }
}

#[test]
fn the_shipped_temporal_path_rules_give_the_same_alerts_csv_on_the_sample_data() {
    let set = RuleSet::load(&[]).unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<&Rule> = set
        .rules()
        .filter(|r| r.enabled && matches!(r.plan.detector, Detector::TemporalPath { .. }))
        .collect();
    let ids: Vec<&str> = rules.iter().map(|r| r.plan.rule_id.as_str()).collect();
    assert_eq!(ids, ["cycle", "cycle_long", "layering_chain"]);
    let data = root().join("sample-data");
    let (polars, spark) = alerts_csv_of(
        &set,
        &rules,
        &[data.join("transactions.csv")],
        &options(Some(&data.join("fx.csv")), None),
    );
    let fired = fired(&polars);
    // the sample data's planted loops and chains (`cycle`, of WIREs of 5,000.00 or more
    // between accounts, finds none there: it is held to parity over every transfer searched)
    for id in ["cycle_long", "layering_chain"] {
        assert!(fired.iter().any(|(r, _, _)| r == id), "no {id} alert");
    }
    assert_eq!(spark, polars);
}
