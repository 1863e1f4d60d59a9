//! Trust: identical reruns, no lost rows or alerts, no panic. Each reproduction of the hostile
//! trial (`tests/fixtures/trust/`, copied from the trial's `bugs/trust/`) has a test here.

use crate::common::{amlscreen, describe, fixture, root, temp_dir, write, HEADER};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `amlscreen run INPUT --fx sample-data/fx.csv --out OUT` with the shipped packs.
fn run_on(input: &Path, out: &Path) -> Output {
    amlscreen(&[
        "run",
        input.to_str().unwrap(),
        "--fx",
        "sample-data/fx.csv",
        "--out",
        out.to_str().unwrap(),
    ])
}

/// The rows of a CSV output as maps of column to value.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn a_decimal_amount_column_is_read_exactly_not_a_panic() {
    let dir = temp_dir("decimal");
    let input = fixture("trust/decimal_amount.parquet");
    let out = run_on(&input, &dir.join("out"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let m = manifest(&dir.join("out"));
    assert!(m["rows_accepted"].as_u64().unwrap() > 0, "{m}");
    assert_eq!(m["rows_quarantined"].as_u64(), Some(0), "{m}");
    let inspected = amlscreen(&["inspect", input.to_str().unwrap()]);
    assert_eq!(inspected.status.code(), Some(0), "{}", describe(&inspected));
    let text = String::from_utf8_lossy(&inspected.stdout);
    assert!(text.contains("decimal"), "{text}");
}

#[test]
fn a_quote_left_open_quarantines_its_lines_and_keeps_the_rows_after_it() {
    let dir = temp_dir("quote-open");
    let out = run_on(&fixture("trust/quote_swallows_rows.csv"), &dir.join("out"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let m = manifest(&dir.join("out"));
    assert_eq!(m["rows_read"].as_u64(), Some(5), "{m}");
    assert_eq!(m["rows_accepted"].as_u64(), Some(3), "{m}");
    let quarantine = csv_rows(&dir.join("out/quarantine.csv"));
    let found: Vec<(&str, &str, &str)> = quarantine
        .iter()
        .map(|q| (q["row"].as_str(), q["reason"].as_str(), q["value"].as_str()))
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "2");
    assert_eq!(found[0].1, "malformed_row");
    assert!(found[0].2.starts_with("line 3:"), "{found:?}");
    assert_eq!(found[1].0, "4");
    assert!(found[1].2.starts_with("line 5:"), "{found:?}");
    // T3's 15,000 in cash is no longer swallowed: it is reported
    let alerts = csv_rows(&dir.join("out/alerts.csv"));
    assert!(
        alerts
            .iter()
            .any(|a| a["rule_id"] == "cash_threshold" && a["txn_ids"].contains("T3")),
        "{alerts:?}"
    );
}

/// A 20,000-row file with one odd row at row 15,001.
fn file_with_odd_row(dir: &Path, odd_name: &str) -> PathBuf {
    let mut text = String::with_capacity(1_400_000);
    text.push_str(HEADER);
    text.push('\n');
    for i in 1..=20_000 {
        let name = if i == 15_001 { odd_name } else { "ALICE" };
        text.push_str(&format!(
            "T{i},2026-01-05T10:00:00Z,100.00,USD,CASH,A{},{name},JM,B1,BOB,JM,BR1\n",
            i % 50
        ));
    }
    write(dir, "odd.csv", &text)
}

#[test]
fn a_stray_quote_in_a_name_is_kept_and_the_night_goes_on() {
    let dir = temp_dir("stray-quote");
    let input = file_with_odd_row(&dir, "12\" PIPE SUPPLY LTD");
    let out = run_on(&input, &dir.join("out"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let m = manifest(&dir.join("out"));
    assert_eq!(m["rows_read"].as_u64(), Some(20_000), "{m}");
    assert_eq!(m["rows_accepted"].as_u64(), Some(20_000), "{m}");
}

#[test]
fn an_unbalanced_quote_quarantines_one_row_and_echoes_no_data() {
    let dir = temp_dir("unbalanced-quote");
    let input = file_with_odd_row(&dir, "\"OPEN QUOTE LTD");
    let out = run_on(&input, &dir.join("out"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(out.stderr.len() < 4_000, "{}", describe(&out));
    let m = manifest(&dir.join("out"));
    assert_eq!(m["rows_read"].as_u64(), Some(20_000), "{m}");
    assert_eq!(m["rows_accepted"].as_u64(), Some(19_999), "{m}");
    let quarantine = csv_rows(&dir.join("out/quarantine.csv"));
    assert_eq!(quarantine.len(), 1);
    assert_eq!(quarantine[0]["reason"], "malformed_row");
    assert_eq!(quarantine[0]["row"], "15001");
    assert!(quarantine[0]["value"].starts_with("line 15002:"));
}

#[test]
fn sums_of_valid_amounts_do_not_wrap() {
    let dir = temp_dir("overflow");
    let input = fixture("trust/sum_overflow.csv");
    let out = run_on(&input, &dir.join("out"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let alerts = csv_rows(&dir.join("out/alerts.csv"));
    let windowed: Vec<_> = alerts
        .iter()
        .filter(|a| a["txn_ids"].split(';').count() == 4)
        .collect();
    assert!(!windowed.is_empty(), "{alerts:?}");
    for a in windowed {
        assert_eq!(a["total_amount"], "20000000000000.00", "{a:?}");
    }
    // two 9e12 rows: a positive total
    let two = write(
        &dir,
        "two.csv",
        &format!(
            "{HEADER}\nT1,2026-01-05T11:00:00Z,9000000000000,USD,CASH,A1,ALICE,JM,B1,BOB,JM,BR1\nT2,2026-01-05T12:00:00Z,9000000000000,USD,CASH,A1,ALICE,JM,B1,BOB,JM,BR1\n"
        ),
    );
    let inspected = amlscreen(&["inspect", two.to_str().unwrap()]);
    assert_eq!(inspected.status.code(), Some(0), "{}", describe(&inspected));
    let text = String::from_utf8_lossy(&inspected.stdout);
    assert!(text.contains("total 18,000,000,000,000.00"), "{text}");
}

/// Runs the binary with `threads` rayon threads.
fn run_threads(input: &Path, out: &Path, threads: usize, fx: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amlscreen"))
        .args(["run", input.to_str().unwrap(), "--fx", fx.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .env("RAYON_NUM_THREADS", threads.to_string())
        .current_dir(root())
        .output()
        .unwrap()
}

#[test]
fn flow_summaries_are_the_same_on_every_run_and_never_above_100_percent() {
    let dir = temp_dir("flow-determinism");
    for name in ["rapid_nondeterminism.csv", "bulk_cash_nondeterminism.csv"] {
        let input = fixture(&format!("trust/{name}"));
        let mut seen: Option<Vec<u8>> = None;
        for (k, threads) in [1, 1, 2, 2, 4, 4, 1, 2].into_iter().enumerate() {
            let out = dir.join(format!("{name}-{k}"));
            let done = run_threads(&input, &out, threads, &root().join("sample-data/fx.csv"));
            assert_eq!(done.status.code(), Some(0), "{}", describe(&done));
            let alerts = std::fs::read(out.join("alerts.csv")).unwrap();
            match &seen {
                None => seen = Some(alerts),
                Some(first) => assert!(
                    first == &alerts,
                    "{name}: run {k} ({threads} threads) differs"
                ),
            }
        }
        let rows = csv_rows(&dir.join(format!("{name}-0/alerts.csv")));
        let flows: Vec<_> = rows
            .iter()
            .filter(|a| a["rule_id"] == "rapid_movement" || a["rule_id"] == "bulk_cash")
            .collect();
        assert!(!flows.is_empty(), "{name}: {rows:?}");
        for a in flows {
            let summary = &a["summary"];
            let before = summary
                .split("% of")
                .next()
                .unwrap_or_else(|| panic!("no percent in {summary}"));
            let digits: String = before
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let percent: u32 = digits
                .parse()
                .unwrap_or_else(|_| panic!("no percent in {summary}"));
            assert!(percent <= 100, "{summary}");
        }
    }
}

/// `text` with the run's own clock readings blanked: every ISO time (`2026-12-06T02:41:53Z`)
/// at or after the manifest's `started_at` (the data's times are all earlier). Everything else
/// a run writes must be the same on every run.
fn without_run_times(text: &str, manifest: &serde_json::Value) -> String {
    let started = manifest["started_at"].as_str().unwrap();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let candidate = text.get(i..i + 20).unwrap_or("");
        let shaped = candidate.len() == 20
            && candidate.as_bytes()[4] == b'-'
            && candidate.as_bytes()[10] == b'T'
            && candidate.ends_with('Z')
            && candidate.as_bytes()[..4].iter().all(u8::is_ascii_digit);
        if shaped && candidate >= started {
            out.push_str("<run time>");
            i += 20;
        } else {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[test]
fn the_whole_pipeline_is_byte_identical_on_1_2_and_4_threads() {
    let dir = temp_dir("determinism");
    let data = dir.join("data");
    let generated = amlscreen(&[
        "generate",
        "--accounts",
        "3300",
        "--days",
        "60",
        "--seed",
        "19",
        "--instances",
        "12",
        "--bad-rows",
        "40",
        "--watchlist",
        "sample-data/watchlists",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert_eq!(generated.status.code(), Some(0), "{}", describe(&generated));
    let input = data.join("transactions.csv");
    let rows = std::fs::read_to_string(&input).unwrap().lines().count() - 1;
    assert!(rows >= 200_000, "{rows} rows");
    let mut first: Option<(PathBuf, serde_json::Value)> = None;
    for (k, threads) in [1, 2, 4, 1, 2, 4].into_iter().enumerate() {
        let out = dir.join(format!("run-{k}-{threads}"));
        let done = Command::new(env!("CARGO_BIN_EXE_amlscreen"))
            .args(["run", input.to_str().unwrap()])
            .args(["--fx", data.join("fx.csv").to_str().unwrap()])
            .args(["--watchlist", "sample-data/watchlists"])
            .args(["--out", out.to_str().unwrap()])
            .env("RAYON_NUM_THREADS", threads.to_string())
            .current_dir(root())
            .output()
            .unwrap();
        assert_eq!(done.status.code(), Some(0), "{}", describe(&done));
        let m = manifest(&out);
        match &first {
            None => {
                assert!(m["alerts_total"].as_u64().unwrap() > 100, "{m}");
                assert!(m["rows_quarantined"].as_u64().unwrap() >= 40, "{m}");
                first = Some((out, m));
            }
            Some((reference, reference_manifest)) => {
                for file in [
                    "alerts.csv",
                    "alerts.parquet",
                    "cases.jsonl",
                    "quarantine.csv",
                ] {
                    assert!(
                        std::fs::read(reference.join(file)).unwrap()
                            == std::fs::read(out.join(file)).unwrap(),
                        "{file} differs on run {k} ({threads} threads)"
                    );
                }
                let report = |dir: &Path, m: &serde_json::Value| {
                    without_run_times(
                        &std::fs::read_to_string(dir.join("report.html")).unwrap(),
                        m,
                    )
                };
                assert!(
                    report(reference, reference_manifest) == report(&out, &m),
                    "report.html differs on run {k} ({threads} threads) beyond the run's time"
                );
                let counts = |m: &serde_json::Value| {
                    let mut m = m.clone();
                    for key in ["started_at", "finished_at", "stage_seconds"] {
                        m.as_object_mut().unwrap().remove(key);
                    }
                    m
                };
                assert_eq!(counts(reference_manifest), counts(&m), "manifest, run {k}");
            }
        }
    }
}
