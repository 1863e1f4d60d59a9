//! Rule packs: the shipped packs' golden edge cases, and bad packs that must be refused clearly.

use crate::common::{root, temp_dir, write};
use amlscreen::rules::{golden, RuleSet};
use std::path::PathBuf;

fn shipped() -> RuleSet {
    RuleSet::load(&[root().join("rules")]).expect("shipped packs load")
}

#[test]
fn shipped_packs_load_with_every_kind_and_typology() {
    let set = shipped();
    let ids: Vec<&str> = set.packs.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec!["cash", "geography", "movement", "network"]);
    let mut kinds: Vec<&str> = set.rules().map(|r| r.info.kind.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    let mut all = amlscreen::rules::kinds::KIND_NAMES.to_vec();
    all.sort();
    assert_eq!(kinds, all, "every kind is used by a shipped rule");
    for rule in set.rules() {
        assert!(
            !rule.info.references.is_empty(),
            "{} cites guidance",
            rule.info.rule_id
        );
        assert!(
            !rule.example.is_empty(),
            "{} has an example",
            rule.info.rule_id
        );
    }
}

/// The edge cases (9,999.99 against 10,000.00, exactly 7 days against 7 days and a second,
/// N-1 against N counterparties, K+1 hops, merged windows) live in the packs' golden files.
#[test]
fn golden_cases_of_every_shipped_pack_pass() {
    let set = shipped();
    let mut total = 0;
    for pack in &set.packs {
        let results = golden::run_pack_tests(pack).expect("golden tests run");
        assert!(!results.is_empty(), "pack {} has golden tests", pack.id);
        for r in results {
            total += 1;
            assert!(
                r.failures.is_empty(),
                "{} :: {}:\n{}",
                pack.id,
                r.name,
                r.failures.join("\n")
            );
        }
    }
    assert!(total >= 20, "only {total} golden cases");
}

#[test]
fn a_golden_case_that_expects_the_wrong_thing_fails() {
    let dir = temp_dir("golden-fails");
    std::fs::copy(root().join("rules/cash.toml"), dir.join("cash.toml")).unwrap();
    write(
        &dir,
        "cash.tests.toml",
        &format!(
            "[[case]]\nname = \"wrong\"\ntransactions = \"\"\"\n{}\nT1,2026-03-02T10:00:00Z,9999.99,USD,CASH,,A,JM,ACC-1,A,JM,K\n\"\"\"\nexpect = [{{ rule = \"cash_threshold\", subject = \"ACC-1\" }}]\n",
            crate::common::HEADER
        ),
    );
    let set = RuleSet::load(&[dir.join("cash.toml")]).unwrap();
    let results = golden::run_pack_tests(&set.packs[0]).unwrap();
    assert_eq!(results.len(), 1);
    assert!(results[0].failures[0].contains("expected an alert of `cash_threshold` on ACC-1"));
}

const GOOD_RULE: &str = r#"
[pack]
id = "t"
version = "1"
description = "test"
base_currency = "USD"

[lists]
hot = "hot.toml"

[[rule]]
id = "r1"
title = "t"
typology = "structuring"
kind = "structuring"
subject = "beneficiary"
severity = "high"
score = 70
summary = "{count} deposits"
detects = "d"
why = "w"
[rule.filter]
channels = ["CASH"]
[rule.params]
lower = "8000"
threshold = "10000"
min_count = 3
window = "7d"
"#;

const LIST: &str = "[list]\nid = \"hot\"\ntitle = \"t\"\nsource = \"s\"\nas_of = \"2026-01-01\"\nkind = \"country\"\nvalues = [\"KP\"]\n";

/// Each bad pack: (what to change, expected line, expected words in the message).
#[test]
fn bad_packs_are_refused_with_file_line_and_expectation() {
    let cases: Vec<(&str, String, usize, &str)> = vec![
        (
            "unknown kind",
            GOOD_RULE.replace("kind = \"structuring\"", "kind = \"structurin\""),
            15,
            "unknown kind `structurin`; expected one of threshold",
        ),
        (
            "missing parameter",
            GOOD_RULE.replace("min_count = 3\n", ""),
            24,
            "missing field `min_count`",
        ),
        (
            "negative window",
            GOOD_RULE.replace("window = \"7d\"", "window = \"-7d\""),
            28,
            "negative",
        ),
        (
            "list not there",
            GOOD_RULE.replace("hot = \"hot.toml\"", "hot = \"cold.toml\""),
            9,
            "list file `cold.toml` is not there",
        ),
        (
            "typo in a field name",
            GOOD_RULE.replace("[rule.filter]\nchannels", "[rule.filter]\nchanels"),
            23,
            "unknown field `chanels`, expected one of",
        ),
        (
            "typo in a rule key",
            GOOD_RULE.replace("severity = \"high\"", "severty = \"high\""),
            17,
            "unknown field `severty`",
        ),
        (
            "unknown typology",
            GOOD_RULE.replace("typology = \"structuring\"", "typology = \"smurf\""),
            14,
            "unknown typology `smurf`",
        ),
        (
            "float money",
            GOOD_RULE.replace("lower = \"8000\"", "lower = 7999.99"),
            25,
            "is a float",
        ),
        (
            "unknown channel",
            GOOD_RULE.replace("[\"CASH\"]", "[\"CASHH\"]"),
            23,
            "unknown channel `CASHH`",
        ),
        (
            "unknown placeholder",
            GOOD_RULE.replace("{count} deposits", "{cuont} deposits"),
            19,
            "unknown placeholder `{cuont}`",
        ),
        (
            "placeholder of another kind",
            GOOD_RULE.replace("{count} deposits", "{count} deposits in {hops} hops"),
            19,
            "does not provide",
        ),
        (
            "empty rule id",
            GOOD_RULE.replace("id = \"r1\"", "id = \"\""),
            12,
            "rule id is empty; expected a name of letters, digits, `_` or `-`",
        ),
        (
            "rule id with a space",
            GOOD_RULE.replace("id = \"r1\"", "id = \"r 1\""),
            12,
            "rule id `r 1` holds ' '; expected letters, digits",
        ),
        (
            "empty pack id",
            GOOD_RULE.replace("id = \"t\"", "id = \"\""),
            3,
            "pack id is empty",
        ),
        (
            "base currency not in ISO 4217",
            GOOD_RULE.replace("base_currency = \"USD\"", "base_currency = \"ZZZ\""),
            6,
            "base_currency `ZZZ` is not an ISO 4217 currency code",
        ),
        (
            "the ISO 4217 code for no currency",
            GOOD_RULE.replace("base_currency = \"USD\"", "base_currency = \"XXX\""),
            6,
            "base_currency `XXX` is not an ISO 4217 currency code",
        ),
        (
            "the ISO 4217 code for tests",
            GOOD_RULE.replace("base_currency = \"USD\"", "base_currency = \"XTS\""),
            6,
            "base_currency `XTS` is not an ISO 4217 currency code",
        ),
        (
            "an unknown segment",
            format!("{GOOD_RULE}[rule.segments.casino]\nmin_count = 5\n"),
            29,
            "rule `r1` segments: unknown segment `casino`; expected one of retail, business, cash_intensive_business",
        ),
        (
            "a segment parameter the kind does not know",
            format!("{GOOD_RULE}[rule.segments.msb]\nmin_cnt = 5\n"),
            29,
            "rule `r1` segments: `msb`: unknown field `min_cnt`",
        ),
        (
            "a segment parameter of the wrong type",
            format!("{GOOD_RULE}[rule.segments.msb]\nmin_count = \"five\"\n"),
            29,
            "rule `r1` segments: `msb`:",
        ),
        (
            "segment parameters on a rule of either side",
            format!("{GOOD_RULE}[rule.segments.msb]\nmin_count = 5\n")
                .replace("subject = \"beneficiary\"", "subject = \"either\""),
            29,
            "segment parameters need a subject of one account per transaction",
        ),
        (
            "segment parameters on a graph kind",
            GOOD_RULE.replace("kind = \"structuring\"", "kind = \"temporal_path\"")
                .replace("subject = \"beneficiary\"", "subject = \"originator\"")
                .replace(
                    "lower = \"8000\"\nthreshold = \"10000\"\nmin_count = 3\nwindow = \"7d\"\n",
                    "mode = \"cycle\"\nmin_hops = 2\nmax_hops = 4\nwithin = \"7d\"\nmin_retained_percent = 90\n[rule.segments.msb]\nmax_hops = 3\n",
                ),
            30,
            "kind `temporal_path` takes no segment parameters",
        ),
        (
            "a pass-through routine without its count",
            GOOD_RULE.replace("kind = \"structuring\"", "kind = \"rapid_movement\"").replace(
                "lower = \"8000\"\nthreshold = \"10000\"\nmin_count = 3\nwindow = \"7d\"\n",
                "min_inflow = \"10000\"\nmin_outflow_percent = 80\nwithin = \"48h\"\noutflow_channels = [\"WIRE\"]\nunusual_over = \"90d\"\n",
            ),
            24,
            "unusual_over and routine_count go together",
        ),
        (
            "new senders over the money-flow graph",
            GOOD_RULE.replace("kind = \"structuring\"", "kind = \"fan_in\"").replace(
                "lower = \"8000\"\nthreshold = \"10000\"\nmin_count = 3\nwindow = \"7d\"\n",
                "window = \"5d\"\nmin_counterparties = 8\ncounterparties = \"parties\"\nnew_within = \"90d\"\n",
            ),
            24,
            "`new_within` cannot be used with counterparties = \"parties\"",
        ),
        (
            "new conductors without a conductor count",
            GOOD_RULE.replace("kind = \"structuring\"", "kind = \"smurfing\"").replace(
                "lower = \"8000\"\nthreshold = \"10000\"\nmin_count = 3\nwindow = \"7d\"\n",
                "window = \"3d\"\nmin_branches = 3\nnew_within = \"90d\"\n",
            ),
            24,
            "`new_within` needs min_conductors",
        ),
        (
            "an unusual count without its factor",
            GOOD_RULE.replace("window = \"7d\"\n", "window = \"7d\"\nunusual_over = \"90d\"\n"),
            24,
            "`unusual_over` and `unusual_factor` go together",
        ),
        (
            "an unusual count over less than the window",
            GOOD_RULE.replace(
                "window = \"7d\"\n",
                "window = \"7d\"\nunusual_over = \"6d\"\nunusual_factor = 3\n",
            ),
            24,
            "`unusual_over` (6 days) must be at least as long as the window (7 days)",
        ),
        (
            "an unusual count with a sum",
            GOOD_RULE.replace(
                "window = \"7d\"\n",
                "window = \"7d\"\nmin_sum = \"20000\"\nunusual_over = \"90d\"\nunusual_factor = 3\n",
            ),
            24,
            "`unusual_over` cannot be combined with min_sum",
        ),
        (
            "an unusual aggregate count with combine any",
            GOOD_RULE.replace("kind = \"structuring\"", "kind = \"aggregate\"").replace(
                "lower = \"8000\"\nthreshold = \"10000\"\nmin_count = 3\nwindow = \"7d\"\n",
                "window = \"7d\"\nmin_count = 3\nmin_sum = \"20000\"\ncombine = \"any\"\nunusual_over = \"90d\"\nunusual_factor = 3\n",
            ),
            24,
            "`unusual_over` needs min_count and combine = \"all\"",
        ),
        (
            "list outside the pack folder",
            GOOD_RULE.replace("hot = \"hot.toml\"", "hot = \"../hot.toml\""),
            9,
            "outside the pack's folder",
        ),
    ];
    let mut problems = Vec::new();
    for (label, text, line, expected) in cases {
        let dir = temp_dir("bad-pack");
        write(&dir, "hot.toml", LIST);
        write(dir.parent().unwrap(), "hot.toml", LIST);
        let pack = write(&dir, "pack.toml", &text);
        let Some(err) = RuleSet::load(std::slice::from_ref(&pack)).err() else {
            problems.push(format!("{label}: was accepted"));
            continue;
        };
        let err = err.to_string();
        let location = format!("{}:{line}:", pack.display());
        if !err.starts_with(&location) || !err.contains(expected) {
            problems.push(format!(
                "{label}: expected `{location}` and `{expected}` in `{err}`"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The shipped fan-in and smurfing rules count only counterparties new to the account in the 90
/// days before the window, and a nightly state keeps the window and that baseline.
#[test]
fn shipped_fan_in_and_smurfing_count_new_counterparties_and_keep_their_baseline() {
    use amlscreen::rules::plan::{Detector, Field, Measure, DAY};
    let set = shipped();
    for (id, field, window) in [
        ("fan_in", Field::OrigAccount, 5 * DAY),
        ("smurfing", Field::OrigName, 3 * DAY),
    ] {
        let rule = set
            .rules()
            .find(|r| r.info.rule_id == id)
            .expect("shipped rule");
        let Detector::Windowed { conditions, .. } = &rule.plan.detector else {
            panic!("{id} is windowed");
        };
        assert_eq!(
            conditions[0].measure,
            Measure::DistinctNew {
                field,
                baseline: 90 * DAY
            },
            "{id}"
        );
        assert_eq!(rule.plan.lookback(), window + 90 * DAY, "{id}");
        assert!(rule
            .info
            .parameters
            .iter()
            .any(|(k, v)| k == "new_within" && v == "90 days"));
    }
}

/// The shipped structuring rule counts deposits in the band only when unusual for the account
/// over the 90 days before the window, and a nightly state keeps the window and that baseline.
#[test]
fn shipped_structuring_asks_for_an_unusual_count_and_keeps_its_baseline() {
    use amlscreen::rules::plan::{Combine, Condition, Detector, Measure, DAY};
    let set = shipped();
    let rule = set.rule("structuring").expect("shipped rule");
    let Detector::Windowed {
        conditions,
        combine,
        ..
    } = &rule.plan.detector
    else {
        panic!("structuring is windowed");
    };
    assert_eq!(
        conditions,
        &vec![
            Condition {
                measure: Measure::Count,
                value: 3
            },
            Condition {
                measure: Measure::CountAgainstRoutine { baseline: 90 * DAY },
                value: 30_000
            },
        ]
    );
    assert_eq!(*combine, Combine::All);
    assert_eq!(rule.plan.lookback(), 7 * DAY + 90 * DAY);
    for (k, v) in [("unusual_over", "90 days"), ("unusual_factor", "3x")] {
        assert!(
            rule.info.parameters.iter().any(|(a, b)| a == k && b == v),
            "{k} = {v} in {:?}",
            rule.info.parameters
        );
    }
}

/// `aggregate` takes the routine on its count too: a business day is one day long.
#[test]
fn an_aggregate_count_can_be_asked_to_be_unusual() {
    use amlscreen::rules::plan::{Condition, Detector, Measure, DAY};
    let dir = temp_dir("unusual-aggregate");
    write(&dir, "hot.toml", LIST);
    let text = GOOD_RULE
        .replace("kind = \"structuring\"", "kind = \"aggregate\"")
        .replace(
            "lower = \"8000\"\nthreshold = \"10000\"\nmin_count = 3\nwindow = \"7d\"\n",
            "window = \"business_day\"\nmin_count = 4\nunusual_over = \"30d\"\nunusual_factor = 2.5\n",
        );
    let pack = write(&dir, "pack.toml", &text);
    let set = RuleSet::load(&[pack]).expect("loads");
    let rule = set.rule("r1").unwrap();
    let Detector::Windowed { conditions, .. } = &rule.plan.detector else {
        panic!("aggregate is windowed");
    };
    assert_eq!(
        conditions[1],
        Condition {
            measure: Measure::CountAgainstRoutine { baseline: 30 * DAY },
            value: 25_000
        }
    );
    assert_eq!(rule.plan.lookback(), DAY + 30 * DAY);
}

#[test]
fn the_good_pack_used_above_loads() {
    let dir = temp_dir("good-pack");
    write(&dir, "hot.toml", LIST);
    let pack = write(&dir, "pack.toml", GOOD_RULE);
    let set = RuleSet::load(&[pack]).expect("loads");
    assert_eq!(set.rules().count(), 1);
}

#[test]
fn explain_documents_a_rule_fully() {
    let set = shipped();
    let text = amlscreen::rules::explain(set.rule("structuring").unwrap());
    for section in [
        "What it detects",
        "Why it matters",
        "Parameters",
        "band = [8,000.00, 10,000.00)",
        "Example",
        "References",
        "31 U.S.C. 5324",
    ] {
        assert!(text.contains(section), "missing {section} in\n{text}");
    }
}

#[test]
fn a_folder_without_packs_is_an_error() {
    let dir = temp_dir("no-packs");
    let err = RuleSet::load(&[PathBuf::from(&dir)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("no rule packs"), "{err}");
}

/// Every file of `rules/` (packs, lists, golden tests) is built into the binary as it is on
/// disk, and nothing else is: a pack added to the folder and not to `builtin.rs` fails here.
#[test]
fn the_built_in_files_are_the_rules_folder() {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut on_disk = Vec::new();
    walk(&root().join("rules"), &mut on_disk);
    let mut on_disk: Vec<String> = on_disk
        .iter()
        .map(|p| {
            p.strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    on_disk.sort();
    let mut built_in: Vec<&str> = amlscreen::rules::builtin::files().map(|(n, _)| n).collect();
    built_in.sort();
    assert_eq!(built_in, on_disk);
    for (name, text) in amlscreen::rules::builtin::files() {
        assert_eq!(
            text,
            std::fs::read_to_string(root().join(name)).unwrap(),
            "{name}"
        );
    }
}

/// No paths load the built-in packs: the same packs, rules, lists and digests as the folder,
/// named `builtin:rules/…`; their golden tests run from the binary too.
#[test]
fn no_paths_load_the_built_in_packs() {
    let builtin = RuleSet::load(&[]).expect("built-in packs load");
    let folder = shipped();
    assert_eq!(builtin.packs.len(), folder.packs.len());
    for (b, f) in builtin.packs.iter().zip(&folder.packs) {
        assert_eq!(
            (&b.id, &b.version, &b.sha256),
            (&f.id, &f.version, &f.sha256)
        );
        let name = f.path.file_name().unwrap().to_string_lossy();
        assert_eq!(b.path, PathBuf::from(format!("builtin:rules/{name}")));
        let ids = |p: &amlscreen::rules::Pack| -> Vec<String> {
            p.rules.iter().map(|r| r.plan.rule_id.clone()).collect()
        };
        assert_eq!(ids(b), ids(f));
        let lists = |p: &amlscreen::rules::Pack| -> Vec<(String, Vec<String>)> {
            p.lists
                .iter()
                .map(|l| (l.id.clone(), l.values.clone()))
                .collect()
        };
        assert_eq!(lists(b), lists(f));
        let results = golden::run_pack_tests(b).unwrap();
        assert!(!results.is_empty(), "{} has golden tests", b.id);
        assert!(results.iter().all(|r| r.failures.is_empty()), "{results:?}");
    }
    let sha = |path: &str| {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(std::fs::read(root().join(path)).unwrap());
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(builtin.packs[0].sha256, sha("rules/cash.toml"));
}

#[test]
fn rules_diff_shows_what_a_pack_change_gains_and_loses() {
    use crate::common::{amlscreen, describe, root, temp_dir};
    let dir = temp_dir("rules-diff");
    let data = dir.join("data");
    let generated = amlscreen(&[
        "generate",
        "--accounts",
        "1500",
        "--days",
        "60",
        "--seed",
        "5",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert_eq!(generated.status.code(), Some(0), "{}", describe(&generated));
    // the new packs: structuring needs four deposits instead of three
    let new = dir.join("new");
    std::fs::create_dir_all(new.join("lists")).unwrap();
    for entry in std::fs::read_dir(root().join("rules/lists")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), new.join("lists").join(entry.file_name())).unwrap();
    }
    for pack in ["cash.toml", "geography.toml", "movement.toml"] {
        let mut text = std::fs::read_to_string(root().join("rules").join(pack)).unwrap();
        if pack == "cash.toml" {
            let at = text.find("id = \"structuring\"").unwrap();
            let count = at + text[at..].find("min_count = 3").unwrap();
            text.replace_range(count..count + "min_count = 3".len(), "min_count = 4");
        }
        std::fs::write(new.join(pack), text).unwrap();
    }
    let json = dir.join("diff.json");
    let out = amlscreen(&[
        "rules",
        "diff",
        "rules",
        new.to_str().unwrap(),
        "--input",
        data.join("transactions.csv").to_str().unwrap(),
        "--fx",
        data.join("fx.csv").to_str().unwrap(),
        "--labels",
        data.join("labels.csv").to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("structuring lost:"), "{text}");
    let recall_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("structuring ") && l.contains(" -> "))
        .unwrap_or_else(|| panic!("no recall line for structuring: {text}"));
    assert!(recall_line.ends_with("LOWER"), "{recall_line}");
    let diff: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let rules = diff["rules"].as_array().unwrap();
    let rule = |id: &str| rules.iter().find(|r| r["rule_id"] == id).unwrap().clone();
    let structuring = rule("structuring");
    assert!(structuring["lost"].as_u64().unwrap() > 0, "{structuring}");
    assert_eq!(structuring["gained"].as_u64(), Some(0), "{structuring}");
    // the other rules did not change
    let fan_in = rule("fan_in");
    assert_eq!(fan_in["old_alerts"], fan_in["unchanged"], "{fan_in}");
    assert_eq!(fan_in["lost"].as_u64(), Some(0));
    let recall = diff["recall"].as_array().unwrap();
    let structuring_recall = recall
        .iter()
        .find(|r| r["typology"] == "structuring")
        .unwrap();
    assert!(
        structuring_recall["new_found"].as_u64() < structuring_recall["old_found"].as_u64(),
        "{structuring_recall}"
    );
}

/// Runs the built-in packs over one CSV file; returns the output folder beside it.
fn run_csv(input: &std::path::Path) -> PathBuf {
    let out = input.with_file_name("out");
    let run = crate::common::amlscreen(&[
        "run",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", crate::common::describe(&run));
    out
}

/// The round trip and the cash moved through the holder's own account, run end to end: the
/// alert names the structure and counts the money that went abroad, not the transfer between the
/// holder's own accounts.
#[test]
fn round_trips_and_own_account_placements_explain_their_structure() {
    let dir = temp_dir("structures");
    let input = write(
        &dir,
        "t.csv",
        "txn_id,timestamp,amount,currency,channel,orig_account,orig_name,orig_country,bene_account,bene_name,bene_country,branch
R1,2026-03-01T10:00:00Z,150000.00,USD,WIRE,ACC-7,Seven Ltd,JM,,Orion Holdings Ltd,KY,
R2,2026-03-04T10:00:00Z,100000.00,USD,WIRE,ACC-7,Seven Ltd,JM,,ORION HOLDINGS LTD.,KY,
R3,2026-04-10T10:00:00Z,240000.00,USD,WIRE,,Orion Capital Limited,KY,ACC-7,Seven Ltd,JM,
O1,2026-03-01T09:00:00Z,6000.00,USD,CASH,,Ola Ade,JM,ACC-20,Ola Ade,JM,KIN-01
O2,2026-03-03T09:00:00Z,6000.00,USD,CASH,,Ola Ade,JM,ACC-20,Ola Ade,JM,KIN-01
O3,2026-03-10T10:00:00Z,11500.00,USD,INTERNAL,ACC-20,Ola Ade,JM,EXT-JM-5,OLA ADE,JM,
O4,2026-03-27T10:00:00Z,7000.00,USD,WIRE,EXT-JM-5,Ola Ade,JM,PA-1,Pan Co,PA,
",
    );
    let out = run_csv(&input);
    let alerts = std::fs::read_to_string(out.join("alerts.csv")).unwrap();
    assert!(
        alerts.contains("\"250,000.00 USD sent offshore and 240,000.00 USD (96%) back from the same or a related party after 40 days\""),
        "{alerts}"
    );
    assert!(
        alerts.contains("\"Cash placed (12,000.00 USD), then 7,000.00 USD wired abroad within 27 days (58% of the cash; 4 transactions)\""),
        "{alerts}"
    );
    let cases = std::fs::read_to_string(out.join("cases.jsonl")).unwrap();
    assert!(
        cases.contains("ACC-7 -> ORION HOLDINGS LTD (KY) -> ORION CAPITAL LIMITED (KY) -> ACC-7"),
        "{cases}"
    );
    assert!(cases.contains("\"ACC-20, EXT-JM-5\""), "{cases}");
}

/// Senders are "new" only against the history the data holds: an alert in the first weeks of a
/// file says how much history it was judged on, and its case counts it at half.
#[test]
fn new_counterparties_at_the_start_of_the_data_are_marked_and_weigh_less() {
    let dir = temp_dir("new-history");
    let mut csv = String::from("txn_id,timestamp,amount,currency,channel,orig_account,orig_name,orig_country,bene_account,bene_name,bene_country,branch\n");
    // ACC-1: eight new senders on the first two days of the data
    for k in 0..8 {
        csv.push_str(&format!(
            "A{k},2026-01-0{}T10:00:00Z,1500.00,USD,MOBILE,S-{k},Sender {k},JM,ACC-1,Hub One,JM,\n",
            1 + k % 2
        ));
    }
    // ACC-2: one steady payer from January, then eight new senders in mid-May (more than 90
    // days of data before their window)
    for m in 1..=5 {
        csv.push_str(&format!(
            "P{m},2026-0{m}-01T10:00:00Z,100.00,USD,MOBILE,P-1,Payer,JM,ACC-2,Hub Two,JM,\n"
        ));
    }
    for k in 0..8 {
        csv.push_str(&format!(
            "B{k},2026-05-1{}T10:00:00Z,1500.00,USD,MOBILE,T-{k},Newcomer {k},JM,ACC-2,Hub Two,JM,\n",
            k % 3
        ));
    }
    let input = write(&dir, "t.csv", &csv);
    let out = run_csv(&input);
    let cases = amlscreen::report::read_cases_jsonl(out.join("cases.jsonl")).unwrap();
    let fan = |account: &str| {
        cases
            .iter()
            .find(|c| c.subject.accounts.iter().any(|a| a == account))
            .unwrap_or_else(|| panic!("a case on {account}"))
    };
    let early = fan("ACC-1");
    let judged: Vec<&str> = early.alerts[0]
        .details
        .iter()
        .filter(|(k, _)| k == amlscreen::rules::NEW_HISTORY_FACT)
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(judged, ["0 days of the 90 days asked"]);
    let later = fan("ACC-2");
    assert!(later.alerts[0]
        .details
        .iter()
        .all(|(k, _)| k != amlscreen::rules::NEW_HISTORY_FACT));
    // the same rule, half the weight and no floor when the newness is unproven
    assert!(
        early.score < later.score,
        "{} vs {}",
        early.score,
        later.score
    );
    let fan_in = |c: &amlscreen::cases::Case| {
        c.alerts
            .iter()
            .find(|a| a.rule_id == "fan_in")
            .cloned()
            .expect("a fan_in alert")
    };
    let score_of = |a: &amlscreen::model::Alert| {
        amlscreen::cases::score::explain_case_score([(a, a.severity.as_str())])
    };
    let (early_score, reasons) = score_of(&fan_in(early));
    let (later_score, _) = score_of(&fan_in(later));
    // 55 at half weight, no evidence points, no floor; against 55 + 10 for 8 transactions
    assert_eq!(early_score, 27.5);
    assert_eq!(later_score, 65.0);
    assert!(reasons.iter().any(|r| r
        .text
        .contains("new only against 0 days of the 90 days asked")));
}

/// A structuring alert judged against the account's routine states that routine.
#[test]
fn structuring_alerts_state_the_routine_they_were_judged_against() {
    let dir = temp_dir("routine-fact");
    let csv = "txn_id,timestamp,amount,currency,channel,orig_account,orig_name,orig_country,bene_account,bene_name,bene_country,branch
E1,2026-01-10T10:00:00Z,8500.00,USD,CASH,,Ada Lo,JM,ACC-1,Ada Lo,JM,KIN-01
E2,2026-02-10T10:00:00Z,8600.00,USD,CASH,,Ada Lo,JM,ACC-1,Ada Lo,JM,KIN-01
S1,2026-04-01T10:00:00Z,9100.00,USD,CASH,,Ada Lo,JM,ACC-1,Ada Lo,JM,KIN-01
S2,2026-04-02T10:00:00Z,9200.00,USD,CASH,,Ada Lo,JM,ACC-1,Ada Lo,JM,KIN-02
S3,2026-04-03T10:00:00Z,9300.00,USD,CASH,,Ada Lo,JM,ACC-1,Ada Lo,JM,KIN-03
";
    let input = write(&dir, "t.csv", csv);
    let out = run_csv(&input);
    let cases = amlscreen::report::read_cases_jsonl(out.join("cases.jsonl")).unwrap();
    let alert = cases
        .iter()
        .flat_map(|c| &c.alerts)
        .find(|a| a.rule_id == "structuring")
        .expect("a structuring alert");
    assert_eq!(alert.txn_ids, ["S1", "S2", "S3"]);
    let usual: Vec<&str> = alert
        .details
        .iter()
        .filter(|(k, _)| k == amlscreen::rules::ROUTINE_FACT)
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(usual, ["2 in the 90 days before"]);
}

/// A shop that banks its takings most days is a cash-intensive business by its own history:
/// run end to end, its band deposits are judged by that segment's parameters (5 in a week), and
/// the alert says so and why; a person's 3 band deposits are judged by the rule's own. The
/// documentation shows the segment's parameters.
#[test]
fn a_cash_intensive_business_is_judged_by_its_segment_end_to_end() {
    let dir = temp_dir("segments");
    let mut csv = String::from(crate::common::HEADER);
    csv.push('\n');
    // SHOP: 2,000.00 in cash every day from 1 January to 28 February (59 days), then 4 band
    // deposits on 2–5 March (no alert for a cash-intensive business) and 5 on 20–24 March
    let day = |d: u32| {
        let (month, dom) = if d < 31 {
            (1, d + 1)
        } else if d < 59 {
            (2, d - 30)
        } else {
            (3, d - 58)
        };
        format!("2026-{month:02}-{dom:02}")
    };
    for d in 0..59 {
        csv.push_str(&format!(
            "D{d},{}T18:00:00Z,2000.00,USD,CASH,,Till,JM,SHOP,Corner Shop Ltd,JM,KIN-01\n",
            day(d)
        ));
    }
    for (i, dom) in [2, 3, 4, 5].iter().enumerate() {
        csv.push_str(&format!(
            "F{i},2026-03-{dom:02}T18:00:00Z,9{i}00.00,USD,CASH,,Till,JM,SHOP,Corner Shop Ltd,JM,KIN-01\n"
        ));
    }
    for (i, dom) in [20, 21, 22, 23, 24].iter().enumerate() {
        csv.push_str(&format!(
            "B{i},2026-03-{dom:02}T18:00:00Z,9{i}00.00,USD,CASH,,Till,JM,SHOP,Corner Shop Ltd,JM,KIN-01\n"
        ));
    }
    for (i, dom) in [2, 3, 4].iter().enumerate() {
        csv.push_str(&format!(
            "P{i},2026-03-{dom:02}T10:00:00Z,9{i}00.00,USD,CASH,,Ada Lo,JM,PERSON,Ada Lo,JM,KIN-01\n"
        ));
    }
    let input = write(&dir, "t.csv", &csv);
    let out = run_csv(&input);
    let cases = amlscreen::report::read_cases_jsonl(out.join("cases.jsonl")).unwrap();
    let structuring: Vec<_> = cases
        .iter()
        .flat_map(|c| &c.alerts)
        .filter(|a| a.rule_id == "structuring")
        .collect();
    let on = |account: &str| -> Vec<_> {
        structuring
            .iter()
            .filter(|a| a.subject_account == account)
            .collect()
    };
    assert_eq!(on("PERSON").len(), 1);
    assert!(on("PERSON")[0].details.iter().all(|(k, _)| k != "segment"));
    let shop = on("SHOP");
    assert_eq!(shop.len(), 1, "{shop:?}");
    assert_eq!(shop[0].txn_ids, ["B0", "B1", "B2", "B3", "B4"]);
    let detail = |k: &str| {
        shop[0]
            .details
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        detail("segment").as_deref(),
        Some("cash_intensive_business")
    );
    assert_eq!(
        detail("segment_basis").as_deref(),
        Some("derived: cash deposits on 68 of the 83 days it was active")
    );
    let explained = crate::common::amlscreen(&["rules", "explain", "structuring"]);
    assert!(
        explained.status.success(),
        "{}",
        crate::common::describe(&explained)
    );
    assert!(String::from_utf8_lossy(&explained.stdout)
        .contains("for segment cash_intensive_business: min_count = 5, unusual_factor = 5x"));
}

/// A trading company passing its buyers' wires on to its suppliers every ten days: the first
/// four pass-throughs alert, and state how many came before; from the fifth it is the account's
/// routine.
#[test]
fn passing_money_on_as_a_routine_stops_alerting_after_four_times() {
    let dir = temp_dir("pass-through-routine");
    let mut csv = String::from(crate::common::HEADER);
    csv.push('\n');
    for i in 0..8u32 {
        let dom = 1 + 3 * i;
        csv.push_str(&format!(
            "I{i},2026-03-{dom:02}T09:00:00Z,30000.00,USD,WIRE,US-9,Buyer Inc,US,TRD,Trade Ltd,JM,\n\
             O{i},2026-03-{dom:02}T20:00:00Z,27000.00,USD,WIRE,TRD,Trade Ltd,JM,DE-9,Maker GmbH,DE,\n"
        ));
    }
    let input = write(&dir, "t.csv", &csv);
    let out = run_csv(&input);
    let cases = amlscreen::report::read_cases_jsonl(out.join("cases.jsonl")).unwrap();
    let mut rapid: Vec<_> = cases
        .iter()
        .flat_map(|c| &c.alerts)
        .filter(|a| a.rule_id == "rapid_movement")
        .collect();
    rapid.sort_by(|a, b| a.window_start.cmp(&b.window_start));
    let cited: Vec<&str> = rapid
        .iter()
        .map(|a| a.txn_ids.get(0).unwrap_or_default())
        .collect();
    assert_eq!(cited, ["I0", "I1", "I2", "I3"]);
    let usual: Vec<&str> = rapid
        .iter()
        .flat_map(|a| &a.details)
        .filter(|(k, _)| k == amlscreen::rules::ROUTINE_FACT)
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        usual,
        [
            "0 passed on in the 90 days before",
            "1 passed on in the 90 days before",
            "2 passed on in the 90 days before",
            "3 passed on in the 90 days before"
        ]
    );
}
