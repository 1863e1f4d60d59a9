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
pub(crate) fn without_run_times(text: &str, manifest: &serde_json::Value) -> String {
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

/// The generated file with 40 copies of the trial's two flow-through reproductions appended
/// (accounts and ids renamed per copy, moved into February a day later per copy): overlapping episodes whose
/// hits tie on their window, where a merge that depends on group-by order shows.
fn with_overlapping_episodes(generated: &Path, dir: &Path) -> PathBuf {
    let mut text = std::fs::read_to_string(generated).unwrap();
    for name in ["rapid_nondeterminism.csv", "bulk_cash_nondeterminism.csv"] {
        let repro = std::fs::read_to_string(fixture(&format!("trust/{name}"))).unwrap();
        for copy in 0..40 {
            for line in repro.lines().skip(1) {
                let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
                fields[0] = format!("OV{copy}-{}-{}", &name[..4], fields[0]);
                // moved into February, a day later per copy (the rows span nine days)
                let day: u32 = fields[1][8..10].parse().unwrap();
                fields[1] = format!("2026-02-{:02}{}", day + copy % 15, &fields[1][10..]);
                for i in [5, 8] {
                    if !fields[i].is_empty() {
                        fields[i] = format!("OV{copy}-{}", fields[i]);
                    }
                }
                text.push_str(&fields.join(","));
                text.push('\n');
            }
        }
    }
    write(dir, "with-overlaps.csv", &text)
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
    let input = with_overlapping_episodes(&data.join("transactions.csv"), &dir);
    let rows = std::fs::read_to_string(&input).unwrap().lines().count() - 1;
    assert!(rows >= 200_000, "{rows} rows");
    // the example goAML profile with a fixed submission date, beside its schema
    let profiles = dir.join("profiles");
    std::fs::create_dir_all(profiles.join("schemas")).unwrap();
    std::fs::copy(
        root().join("profiles/schemas/goAMLSchema-5.0.2.xsd"),
        profiles.join("schemas/goAMLSchema-5.0.2.xsd"),
    )
    .unwrap();
    let profile = std::fs::read_to_string(root().join("profiles/goaml-example.toml"))
        .unwrap()
        .replace(
            "report_date = \"\"",
            "report_date = \"2026-03-31T00:00:00\"",
        );
    let profile = write(&profiles, "goaml.toml", &profile);
    let export = |out: &Path| -> BTreeMap<String, Vec<u8>> {
        let xml = out.join("goaml");
        let done = amlscreen(&[
            "export",
            "goaml",
            "--cases",
            out.join("cases.jsonl").to_str().unwrap(),
            "--profile",
            profile.to_str().unwrap(),
            "--out",
            xml.to_str().unwrap(),
        ]);
        assert_eq!(done.status.code(), Some(0), "{}", describe(&done));
        std::fs::read_dir(&xml)
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| {
                (
                    e.file_name().to_string_lossy().to_string(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect()
    };
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
                if k == 3 {
                    let (a, b) = (export(reference), export(&out));
                    assert!(a.len() > 10, "{} reports", a.len());
                    assert!(a == b, "goAML reports differ on run {k}");
                }
            }
        }
    }
}

#[test]
fn a_device_as_input_is_refused_at_once() {
    let dir = temp_dir("dev-zero");
    let out = run_on(Path::new("/dev/zero"), &dir.join("out"));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a regular file"),
        "{}",
        describe(&out)
    );
}

#[test]
fn a_nul_byte_is_a_problem_of_its_row_wherever_it_is() {
    let dir = temp_dir("nul");
    for at_row in [1, 200] {
        let mut text = format!("{HEADER}\n");
        for i in 1..=300 {
            let name = if i == at_row { "AL\0ICE" } else { "ALICE" };
            text.push_str(&format!(
                "T{i},2026-01-05T10:00:00Z,100.00,USD,CASH,A1,{name},JM,B1,BOB,JM,BR1\n"
            ));
        }
        let input = write(&dir, &format!("nul-{at_row}.csv"), &text);
        let out_dir = dir.join(format!("out-{at_row}"));
        let out = run_on(&input, &out_dir);
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        let m = manifest(&out_dir);
        assert_eq!(m["rows_read"].as_u64(), Some(300), "{m}");
        assert_eq!(m["rows_accepted"].as_u64(), Some(299), "{m}");
        let quarantine = csv_rows(&out_dir.join("quarantine.csv"));
        assert_eq!(quarantine[0]["reason"], "malformed_row");
        assert_eq!(quarantine[0]["row"], at_row.to_string());
    }
}

#[test]
fn parquet_columns_of_every_numeric_type_are_read_or_named() {
    use polars::prelude::*;
    let dir = temp_dir("parquet-types");
    let n = 3;
    let text = |v: &str| Column::new("x".into(), vec![v; n]);
    let named = |name: &str, c: Column| c.with_name(name.into());
    let mut frame = DataFrame::new(
        n,
        vec![
            named("txn_id", Column::new("x".into(), ["P1", "P2", "P3"])),
            named("timestamp", text("2026-01-05T10:00:00Z")),
            // a u64 amount, one above i64::MAX units: refused as bad_amount, not a panic
            named(
                "amount",
                Column::new("x".into(), [15_000u64, 250, u64::MAX]),
            ),
            named("currency", text("USD")),
            named("channel", text("CASH")),
            named("orig_account", text("A1")),
            named("orig_name", text("ALICE")),
            named("orig_country", text("JM")),
            named("bene_account", text("B1")),
            named("bene_name", text("BOB")),
            named("bene_country", text("JM")),
            named("branch", text("BR1")),
            // unused columns of odd types
            named("flags_u8", Column::new("x".into(), [1u8, 2, 3])),
            named("score_i16", Column::new("x".into(), [1i16, -2, 3])),
            named("ratio_f32", Column::new("x".into(), [0.5f32, 1.5, 2.5])),
        ],
    )
    .unwrap();
    let path = dir.join("types.parquet");
    let mut file = std::fs::File::create(&path).unwrap();
    ParquetWriter::new(&mut file).finish(&mut frame).unwrap();
    let out = run_on(&path, &dir.join("out"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let m = manifest(&dir.join("out"));
    assert_eq!(m["rows_accepted"].as_u64(), Some(2), "{m}");
    let quarantine = csv_rows(&dir.join("out/quarantine.csv"));
    assert_eq!(quarantine.len(), 1);
    assert_eq!(quarantine[0]["reason"], "bad_amount");
    assert_eq!(quarantine[0]["txn_id"], "P3");
}

#[test]
fn an_extreme_parquet_timestamp_is_a_bad_timestamp() {
    use polars::prelude::*;
    let dir = temp_dir("parquet-extreme-time");
    let n = 2;
    let text = |name: &str, v: &str| Column::new(name.into(), vec![v; n]);
    let ts = Int64Chunked::from_vec(
        "timestamp".into(),
        vec![1_767_607_200_000_000, -62_000_000_000_000_000],
    )
    .into_datetime(TimeUnit::Microseconds, None)
    .into_column();
    let mut frame = DataFrame::new(
        n,
        vec![
            Column::new("txn_id".into(), ["E1", "E2"]),
            ts,
            text("amount", "100.00"),
            text("currency", "USD"),
            text("channel", "CASH"),
            text("orig_account", "A1"),
            text("orig_name", "ALICE"),
            text("orig_country", "JM"),
            text("bene_account", "B1"),
            text("bene_name", "BOB"),
            text("bene_country", "JM"),
            text("branch", "BR1"),
        ],
    )
    .unwrap();
    let path = dir.join("extreme.parquet");
    let mut file = std::fs::File::create(&path).unwrap();
    ParquetWriter::new(&mut file).finish(&mut frame).unwrap();
    let out = run_on(&path, &dir.join("out"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let quarantine = csv_rows(&dir.join("out/quarantine.csv"));
    assert_eq!(quarantine.len(), 1, "{quarantine:?}");
    assert_eq!(quarantine[0]["txn_id"], "E2");
    assert_eq!(quarantine[0]["reason"], "bad_timestamp");
}

#[test]
fn two_rates_for_one_currency_are_refused_with_both_lines() {
    let dir = temp_dir("fx-duplicate");
    let fx = write(
        &dir,
        "fx.csv",
        "currency,rate_to_base\nJMD,0.0064\nUSD,1\nJMD,0.0070\n",
    );
    let input = fixture("trust/sum_overflow.csv");
    let out = amlscreen(&[
        "run",
        input.to_str().unwrap(),
        "--fx",
        fx.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("fx.csv:4") && stderr.contains("line 2"),
        "{stderr}"
    );
}

#[test]
fn a_timestamp_pattern_that_cannot_read_a_date_is_refused_on_load() {
    let dir = temp_dir("bad-pattern");
    for pattern in ["%Q%", "%H:%M"] {
        let profile = write(
            &dir,
            "profile.toml",
            &format!("timestamp_format = \"{pattern}\"\n"),
        );
        let out = amlscreen(&[
            "run",
            fixture("trust/sum_overflow.csv").to_str().unwrap(),
            "--profile",
            profile.to_str().unwrap(),
            "--out",
            dir.join("out").to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{pattern}: {}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("profile.toml:1"), "{stderr}");
    }
}

#[test]
fn a_file_in_another_dialect_gets_a_message_that_says_how_to_read_it() {
    let dir = temp_dir("dialects");
    let row = "T1,2026-01-05T10:00:00Z,15000,USD,CASH,A1,ALICE,JM,B1,BOB,JM,BR1";
    let semicolons = write(
        &dir,
        "semi.csv",
        &format!("{}\n{}\n", HEADER.replace(',', ";"), row.replace(',', ";")),
    );
    let out = run_on(&semicolons, &dir.join("out"));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--delimiter ';'"),
        "{}",
        describe(&out)
    );
    let classic_mac = write(&dir, "cr.csv", &format!("{HEADER}\r{row}\r"));
    let out = run_on(&classic_mac, &dir.join("out"));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("carriage return alone"),
        "{}",
        describe(&out)
    );
    // a byte-order mark before the header is not part of the first column's name
    let bom = write(&dir, "bom.csv", &format!("\u{feff}{HEADER}\n{row}\n"));
    let out = run_on(&bom, &dir.join("out-bom"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}
