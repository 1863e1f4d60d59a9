//! The Spark engine against the Polars engine (built with `--features spark`). These tests need
//! a Spark Connect server: `scripts/test.sh` starts one (`scripts/spark-server.sh`) and sets
//! `AMLSCREEN_SPARK_TEST_REMOTE`; without it they fail and say how to start one.

use crate::common::{fixture, root, temp_dir, write, HEADER};
use amlscreen::engine::{choose, Engine, EngineEnv, EngineFlags, SparkTarget};
use amlscreen::ingest::{ingest, FxTable, IngestOptions, MappingProfile};
use amlscreen::spark::{Spark, SparkIngestOptions, SparkIngested};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod flow;
mod ingest;
mod layering;
#[path = "spark_measures.rs"]
mod measures;
mod paths;

/// Each alert of `alerts.csv` as (rule, subject, its transactions joined by `;`).
pub(crate) fn fired(alerts_csv: &str) -> Vec<(String, String, String)> {
    let mut reader = csv::Reader::from_reader(alerts_csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (rule, subject, txns) = (at("rule_id"), at("subject_account"), at("txn_ids"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[rule].to_string(),
                r[subject].to_string(),
                r[txns].to_string(),
            )
        })
        .collect()
}

/// The test server's address, from `AMLSCREEN_SPARK_TEST_REMOTE`.
fn target(out: Option<&str>) -> SparkTarget {
    let remote = std::env::var("AMLSCREEN_SPARK_TEST_REMOTE").unwrap_or_else(|_| {
        panic!(
            "AMLSCREEN_SPARK_TEST_REMOTE is not set: the Spark engine's tests need a Spark Connect server. \
             Run them through scripts/test.sh, or start one with `scripts/spark-server.sh start` and set \
             AMLSCREEN_SPARK_TEST_REMOTE=sc://127.0.0.1:15002"
        )
    });
    let flags = EngineFlags {
        engine: Some("spark"),
        remote: Some(&remote),
        out,
        state: false,
    };
    match choose(&flags, &EngineEnv::default(), true) {
        Ok(Engine::Spark(target)) => target,
        other => panic!("{remote}: {other:?}"),
    }
}

fn options(fx: Option<&Path>, profile: Option<&Path>) -> IngestOptions {
    IngestOptions {
        profile: profile.map(|p| MappingProfile::load(p).expect("profile")),
        fx: match fx {
            Some(path) => FxTable::load(path, "USD").expect("fx"),
            None => FxTable::base_only("USD"),
        },
        delimiter: None,
    }
}

/// What the Polars engine accepts and quarantines: the frame, and per file the counts.
fn on_polars(inputs: &[PathBuf], options: &IngestOptions) -> (DataFrame, Vec<FileCounts>) {
    let got = ingest(inputs, options, &mut Default::default()).expect("polars ingest");
    let counts = got
        .inputs
        .iter()
        .map(|i| FileCounts {
            path: i.path.clone(),
            rows_read: i.rows_read,
            rows_accepted: i.rows_accepted,
            by_reason: i.quarantined_by_reason.iter().cloned().collect(),
        })
        .collect();
    (got.frame, counts)
}

#[derive(Debug, PartialEq, Eq)]
struct FileCounts {
    path: String,
    rows_read: u64,
    rows_accepted: u64,
    by_reason: BTreeMap<String, u64>,
}

fn counts_of(ingested: &SparkIngested) -> Vec<FileCounts> {
    ingested
        .inputs
        .iter()
        .map(|i| FileCounts {
            path: i.path.clone(),
            rows_read: i.rows_read,
            rows_accepted: i.rows_accepted,
            by_reason: i.quarantined_by_reason.iter().cloned().collect(),
        })
        .collect()
}

/// What the Spark engine accepts (read back in input order) and its counts.
fn on_spark(
    inputs: &[PathBuf],
    options: &IngestOptions,
    out: Option<&str>,
) -> (DataFrame, Vec<FileCounts>, SparkIngested) {
    let spark = Spark::connect(&target(out)).unwrap_or_else(|e| panic!("{e}"));
    let ingested = spark
        .ingest(
            inputs,
            &SparkIngestOptions {
                options,
                latest_micros: amlscreen::spark::latest_accepted_micros(),
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let frame = spark.accepted_rows().unwrap_or_else(|e| panic!("{e}"));
    (frame, counts_of(&ingested), ingested)
}

/// Both engines on the same inputs: the same accepted rows in the same order, and the same
/// counts per file and reason. Returns the counts.
fn assert_parity(inputs: &[PathBuf], options: &IngestOptions) -> Vec<FileCounts> {
    let (polars_frame, polars_counts) = on_polars(inputs, options);
    let (spark_frame, spark_counts, _) = on_spark(inputs, options, None);
    assert_eq!(spark_counts, polars_counts, "counts per file and reason");
    assert_eq!(
        spark_frame.schema(),
        polars_frame.schema(),
        "the canonical columns and types"
    );
    if !spark_frame.equals_missing(&polars_frame) {
        for column in polars_frame.get_column_names() {
            let a = polars_frame.column(column).unwrap();
            let b = spark_frame.column(column).unwrap();
            if !a.equals_missing(b) {
                panic!(
                    "column {column} differs:\npolars {:?}\nspark  {:?}",
                    a.as_materialized_series(),
                    b.as_materialized_series()
                );
            }
        }
        panic!("frames differ");
    }
    polars_counts
}

#[test]
fn every_quarantine_reason_as_the_polars_engine_decides_it() {
    let reasons = fixture("spark/reasons.csv");
    let fx = fixture("spark/fx-edges.csv");
    let counts = assert_parity(&[reasons], &options(Some(&fx), None));
    // the fixture holds each reason once (two malformed records), so parity covers all ten
    let by_reason = &counts[0].by_reason;
    for reason in amlscreen::model::QuarantineReason::ALL {
        assert!(
            by_reason.contains_key(reason.as_str()),
            "{} missing from {by_reason:?}",
            reason.as_str()
        );
    }
    assert_eq!(by_reason["malformed_row"], 2);
    assert_eq!(counts[0].rows_accepted, 2);
}

#[test]
fn amounts_times_codes_and_fx_edges_match_the_polars_engine() {
    let edges = fixture("spark/edges.csv");
    let fx = fixture("spark/fx-edges.csv");
    let counts = assert_parity(&[edges], &options(Some(&fx), None));
    // the fixture is meant to exercise both outcomes of most checks
    let c = &counts[0];
    assert!(c.rows_accepted >= 15, "{c:?}");
    for reason in [
        "bad_amount",
        "bad_timestamp",
        "non_positive_amount",
        "missing_required",
    ] {
        assert!(c.by_reason.get(reason).copied().unwrap_or(0) >= 2, "{c:?}");
    }
}

#[test]
fn repeated_ids_across_files_and_failed_conversions_match_the_polars_engine() {
    // X1 fails FX in day 1, so day 2 owns it and day 3 repeats it; X4 repeats within day 1
    // after a first occurrence that fails FX (still a duplicate: ids are checked before FX),
    // and neither of day 1's X4 rows is accepted, so day 2's is
    let inputs = [
        fixture("spark/day1.csv"),
        fixture("spark/day2.csv"),
        fixture("spark/day3.csv"),
    ];
    let counts = assert_parity(&inputs, &options(None, None));
    assert_eq!(counts[0].by_reason.get("duplicate_txn_id"), Some(&1));
    // day 2: only X2 was accepted before (X1 and X4 were not, X3 was refused)
    assert_eq!(counts[1].by_reason.get("duplicate_txn_id"), Some(&1));
    assert_eq!(counts[2].by_reason.get("duplicate_txn_id"), Some(&2));
}

#[test]
fn a_mapping_profile_is_applied_as_the_polars_engine_applies_it() {
    let csv = fixture("spark/foreign.csv");
    let profile = fixture("spark/foreign.toml");
    let fx = fixture("spark/foreign-fx.csv");
    let counts = assert_parity(&[csv], &options(Some(&fx), Some(&profile)));
    // R3's channel and R4's currency are mapped by no value map and are refused
    assert_eq!(counts[0].rows_accepted, 2, "{:?}", counts[0]);
    assert_eq!(counts[0].by_reason.get("unknown_channel"), Some(&1));
    assert_eq!(counts[0].by_reason.get("bad_currency"), Some(&1));
}

#[test]
fn the_sample_data_is_ingested_row_for_row_as_the_polars_engine_does() {
    let data = root().join("sample-data");
    let counts = assert_parity(
        &[data.join("transactions.csv")],
        &options(Some(&data.join("fx.csv")), None),
    );
    assert!(counts[0].rows_accepted > 20_000, "{:?}", counts[0]);
}

/// `csv` read by Polars and written as Parquet: every column as text, or with the amount as
/// a float, integer or decimal and the time as a datetime.
fn as_parquet(csv: &Path, parquet: &Path, typed: bool) {
    let mut frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(csv.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap();
    if typed {
        let ts = frame
            .column("timestamp")
            .unwrap()
            .str()
            .unwrap()
            .as_datetime(
                Some("%Y-%m-%dT%H:%M:%SZ"),
                TimeUnit::Microseconds,
                false,
                false,
                None,
                &StringChunked::from_iter(std::iter::once("raise")),
            )
            .unwrap()
            .into_series();
        frame.with_column(ts.into_column()).unwrap();
    }
    ParquetWriter::new(std::fs::File::create(parquet).unwrap())
        .with_row_group_size(Some(4))
        .finish(&mut frame)
        .unwrap();
}

#[test]
fn parquet_text_and_typed_columns_match_the_polars_engine() {
    let dir = temp_dir("spark-parquet");
    let mut text = format!("{HEADER}\n");
    for (i, amount) in [
        "10.25",
        "-1",
        "0",
        "12.1234567",
        "9000000000000",
        "3",
        "7.5",
        "1e3",
    ]
    .iter()
    .enumerate()
    {
        let ts = if i == 5 {
            "1899-01-01T00:00:00Z"
        } else {
            "2026-03-01T10:00:00Z"
        };
        text.push_str(&format!("P{i},{ts},{amount},USD,WIRE,X,,JM,Y,,US,\n"));
    }
    let csv = write(&dir, "typed.csv", &text);
    let as_text = dir.join("text.parquet");
    as_parquet(&csv, &as_text, false);
    assert_parity(&[as_text], &options(None, None));
    let typed = dir.join("typed.parquet");
    as_parquet(&csv, &typed, true);
    assert_parity(std::slice::from_ref(&typed), &options(None, None));
    // amounts as float, integer and decimal columns
    let frame = ParquetReader::new(std::fs::File::open(&typed).unwrap())
        .finish()
        .unwrap();
    for dtype in [DataType::Float64, DataType::Int64, DataType::Decimal(20, 3)] {
        let amounts: Vec<Option<&str>> = vec![
            Some("10.25"),
            Some("-1"),
            Some("0"),
            Some("12.5"),
            None,
            Some("3"),
            Some("7.125"),
            Some("1000"),
        ];
        let mut frame = frame.clone();
        let column = StringChunked::from_iter_options("amount".into(), amounts.into_iter())
            .into_series()
            .cast(&DataType::Float64)
            .unwrap()
            .cast(&dtype)
            .unwrap();
        frame.with_column(column.into_column()).unwrap();
        let path = dir.join(format!(
            "amount-{}.parquet",
            dtype
                .to_string()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "")
        ));
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut frame)
            .unwrap();
        assert_parity(&[path], &options(None, None));
    }
}

#[test]
fn quarantined_rows_are_written_by_the_cluster_as_parquet() {
    let dir = temp_dir("spark-out");
    let out = format!("file://{}", dir.join("night").display());
    let input = fixture("spark/reasons.csv");
    let fx = fixture("spark/fx-edges.csv");
    let (_, counts, ingested) = on_spark(
        std::slice::from_ref(&input),
        &options(Some(&fx), None),
        Some(&out),
    );
    let uri = ingested.quarantine_uri.expect("written");
    assert_eq!(uri, format!("{out}/quarantine"));
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir.join("night/quarantine"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    parts.sort();
    let mut written = DataFrame::empty();
    for part in parts {
        let frame = ParquetReader::new(std::fs::File::open(&part).unwrap())
            .finish()
            .unwrap();
        if written.width() == 0 {
            written = frame;
        } else {
            written.vstack_mut_owned(frame).unwrap();
        }
    }
    let quarantined: u64 = counts[0].by_reason.values().sum();
    assert_eq!(written.height() as u64, quarantined);
    let reasons = written.column("reason").unwrap().str().unwrap().clone();
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    for r in reasons.iter().flatten() {
        *by_reason.entry(r.to_string()).or_default() += 1;
    }
    assert_eq!(by_reason, counts[0].by_reason);
    let columns: Vec<String> = written
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        columns,
        ["file", "row", "txn_id", "column", "value", "reason"]
    );
    // each row as the Polars engine quarantines it: its number, id, column, raw value (the
    // problems found after the rows are shuffled by id among them) and reason; a malformed
    // record's value is its text here, the scanner's message there (docs/spark.md)
    let text = |name: &str| -> Vec<String> {
        let column = written
            .column(name)
            .unwrap()
            .cast(&DataType::String)
            .unwrap();
        let column = column.str().unwrap();
        column.iter().map(|v| v.unwrap_or("").to_string()).collect()
    };
    let (row, txn, column, value, reason) = (
        text("row"),
        text("txn_id"),
        text("column"),
        text("value"),
        text("reason"),
    );
    let mut on_cluster: Vec<[String; 5]> = (0..written.height())
        .map(|i| {
            [
                row[i].clone(),
                txn[i].clone(),
                column[i].clone(),
                value[i].clone(),
                reason[i].clone(),
            ]
        })
        .filter(|q: &[String; 5]| q[4] != "malformed_row")
        .collect();
    on_cluster.sort();
    let polars = ingest(&[input], &options(Some(&fx), None), &mut Default::default())
        .expect("polars ingest");
    let mut here: Vec<[String; 5]> = polars
        .quarantine
        .iter()
        .map(|q| {
            [
                q.row.to_string(),
                q.txn_id.clone(),
                q.column.to_string(),
                q.value.clone(),
                q.reason.as_str().to_string(),
            ]
        })
        .filter(|q| q[4] != "malformed_row")
        .collect();
    here.sort();
    assert_eq!(on_cluster, here);
    for late in ["duplicate_txn_id", "no_fx_rate"] {
        assert!(
            here.iter().any(|q| q[4] == late && !q[3].is_empty()),
            "the fixture quarantines a row as {late}, with its value"
        );
    }
}

/// The parity pack's rules (per-transaction and windowed kinds).
fn parity_rules() -> amlscreen::rules::RuleSet {
    let set = amlscreen::rules::RuleSet::load(&[fixture("spark/rules.toml")])
        .unwrap_or_else(|e| panic!("{e}"));
    set
}

/// `alerts.csv` as each engine writes it for `inputs` under the parity pack.
fn alerts_csv_both(inputs: &[PathBuf], options: &IngestOptions) -> (String, String) {
    let set = parity_rules();
    let rules: Vec<&amlscreen::rules::Rule> = set.rules().collect();
    alerts_csv_of(&set, &rules, inputs, options)
}

/// `alerts.csv` as each engine writes it for `inputs` under `rules` (of `set`).
fn alerts_csv_of(
    set: &amlscreen::rules::RuleSet,
    rules: &[&amlscreen::rules::Rule],
    inputs: &[PathBuf],
    options: &IngestOptions,
) -> (String, String) {
    alerts_csv_at(set, rules, inputs, options, None, None, false)
}

/// [`alerts_csv_of`] with the Spark session's `spark.sql.shuffle.partitions` set to
/// `partitions` (the test server's own, 4, when `None`), and with `pieces` = `(batch_rows,
/// chunk_rows)`: results sent back in Arrow batches of at most `batch_rows` rows and the hits
/// merged about `chunk_rows` at a time (then the evidence comes in more than one piece and some
/// rule's hits in more than one chunk, or the test fails). `twice`: the rules are run a second
/// time on the same session (its cached tables replaced), to the same alerts.
fn alerts_csv_at(
    set: &amlscreen::rules::RuleSet,
    rules: &[&amlscreen::rules::Rule],
    inputs: &[PathBuf],
    options: &IngestOptions,
    partitions: Option<u32>,
    pieces: Option<(usize, usize)>,
    twice: bool,
) -> (String, String) {
    let rules = rules.to_vec();
    let base = set.base_currency();
    let write = |alerts: &[amlscreen::model::Alert]| {
        let mut bytes = Vec::new();
        amlscreen::output::write_alerts_csv(&mut bytes, alerts).unwrap();
        String::from_utf8(bytes).unwrap()
    };
    let (frame, _) = on_polars(inputs, options);
    let polars = amlscreen::rules::run_rules(&frame, &rules, &base).unwrap();
    let mut spark = Spark::connect(&target(None)).unwrap_or_else(|e| panic!("{e}"));
    if let Some((batch_rows, chunk_rows)) = pieces {
        spark
            .execute(
                "setting the rows of an Arrow batch",
                &format!("SET spark.sql.execution.arrow.maxRecordsPerBatch={batch_rows}"),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        spark.set_hit_chunk_rows(chunk_rows);
    }
    if let Some(n) = partitions {
        spark
            .execute(
                "setting the shuffle partitions",
                &format!("SET spark.sql.shuffle.partitions={n}"),
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }
    spark
        .ingest(
            inputs,
            &SparkIngestOptions {
                options,
                latest_micros: amlscreen::spark::latest_accepted_micros(),
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let (alerts, evidence) = spark
        .run_rules(&rules, &base)
        .unwrap_or_else(|e| panic!("{e}"));
    if pieces.is_some() {
        assert!(
            spark.evidence_pieces_read() > 1,
            "the evidence in one piece"
        );
        assert!(
            spark.hit_chunks_merged() > 1,
            "each rule's hits merged at once"
        );
        // the network pack's layering rules share one filter and one hub limit: one graph
        assert!(spark.views_reused() > 0, "each rule built its graph again");
    }
    if twice {
        let (again, _) = spark
            .run_rules(&rules, &base)
            .unwrap_or_else(|e| panic!("the second run: {e}"));
        assert_eq!(
            write(&again),
            write(&alerts),
            "the second run on the session"
        );
    }
    let mut polars_ids: Vec<&str> = polars.evidence.keys().map(String::as_str).collect();
    polars_ids.sort();
    assert_eq!(evidence.txn_ids(), polars_ids, "evidence transactions");
    // the Spark engine's records are spilled to a file: each reads back as the Polars engine's
    for id in polars_ids {
        let spilled = evidence.get(id).unwrap().unwrap();
        assert_eq!(*spilled, *polars.evidence[id], "evidence record {id}");
    }
    (write(&polars.alerts), write(&alerts))
}

#[test]
fn per_transaction_and_windowed_alerts_are_the_same_bytes_at_the_exact_thresholds() {
    let inputs = [fixture("spark/thresholds.csv")];
    let fx = root().join("sample-data/fx.csv");
    let (polars, spark) = alerts_csv_both(&inputs, &options(Some(&fx), None));
    assert_eq!(spark, polars);
    let mut reader = csv::Reader::from_reader(polars.as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (rule_at, subject_at) = (at("rule_id"), at("subject_account"));
    let fired: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[rule_at].to_string(), r[subject_at].to_string())
        })
        .collect();
    let has = |rule: &str, subject: &str| fired.iter().any(|(r, s)| r == rule && s == subject);
    // 10,000.00 and J$1,562,500.00 (exactly US$10,000.00) report; a cent less does not
    assert!(has("cash_threshold", "ACC-1") && has("cash_threshold", "ACC-3"));
    assert!(!has("cash_threshold", "ACC-2") && !has("cash_threshold", "ACC-4"));
    // one business day at UTC-5 holds 18:30 and 22:30 local; 23:30 and 00:30 are two days
    assert!(has("cash_aggregation", "ACC-5") && !has("cash_aggregation", "ACC-6"));
    // exactly 48 hours is inside the window, a second more is not
    assert!(has("wire_burst", "ACC-7") && !has("wire_burst", "ACC-11"));
    assert!(has("round_amounts", "ACC-7") && has("round_amounts", "ACC-11"));
    // amounts within 60% of the largest; 60.0005% is not
    assert!(has("fan_out", "ACC-20") && !has("fan_out", "ACC-16"));
    assert!(has("watched_geography", "ACC-12") && !has("watched_geography", "ACC-15"));
    // exactly 20 days without activity wakes an account; a second less does not (and the
    // account paid on 1 March wakes both its own side and none of its counterparties')
    assert!(has("dormant_reactivation", "ACC-21") && !has("dormant_reactivation", "ACC-24"));
    assert!(!has("dormant_reactivation", "ACC-23") && !has("dormant_reactivation", "ACC-26"));
    // structuring against the routine: 3 deposits in 7 days (exactly) against 12 in the 90
    // days before is 270 >= 252 (alert), against 13 it is 270 < 273 (none)
    assert!(has("structuring", "ACC-30") && has("structuring", "ACC-32"));
    assert!(!has("structuring", "ACC-31"));
    // a transfer between an account and itself counts once for it
    assert!(has("dormant_reactivation", "ACC-27"));
}

#[test]
fn the_sample_data_gives_the_same_alerts_csv_on_both_engines_for_the_compiled_kinds() {
    let data = root().join("sample-data");
    let (polars, spark) = alerts_csv_both(
        &[data.join("transactions.csv")],
        &options(Some(&data.join("fx.csv")), None),
    );
    assert!(polars.lines().count() > 20, "{polars}");
    // the derived segments matter on this data: a segment filter and a segment's own threshold
    assert!(
        polars.contains(",business_cash,"),
        "no cash-intensive business alert"
    );
    assert!(
        polars.contains(",dormant_reactivation,"),
        "no dormancy alert"
    );
    assert!(
        polars.contains("(threshold 3,000.00)"),
        "no segment variant alert"
    );
    assert!(
        polars.contains("(threshold 9,000.00)"),
        "no alert of the rule's own threshold"
    );
    assert_eq!(spark, polars);
}

/// No result of the engine may depend on how the cluster splits its work: the shipped packs on
/// the sample data give the Polars engine's `alerts.csv` with the session at one shuffle
/// partition and at 29 (the test server runs at 4; the whole run at 4 is checked by
/// `the_readme_run_with_the_shipped_packs_writes_the_same_outputs_on_both_engines`), and at 29
/// with results sent in Arrow batches of 97 rows (the evidence spilled here a batch at a time,
/// its records the Polars engine's) and the hits merged a few subjects at a time (13 hits). At one
/// partition the rules run twice on the session, to the same alerts.
#[test]
fn the_shipped_packs_give_the_same_alerts_at_one_and_at_29_shuffle_partitions() {
    let data = root().join("sample-data");
    let set = amlscreen::rules::RuleSet::load(&[]).unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<&amlscreen::rules::Rule> = set.rules().collect();
    for (partitions, pieces, twice) in [(1, None, true), (29, Some((97, 13)), false)] {
        let (polars, spark) = alerts_csv_at(
            &set,
            &rules,
            &[data.join("transactions.csv")],
            &options(Some(&data.join("fx.csv")), None),
            Some(partitions),
            pieces,
            twice,
        );
        for rule in [
            "velocity_spike",
            "gather_scatter",
            "scatter_gather",
            "cycle_long",
        ] {
            assert!(polars.contains(&format!(",{rule},")), "no {rule} alert");
        }
        assert_eq!(spark, polars, "at {partitions} shuffle partitions");
    }
}

#[test]
fn inspect_on_spark_reports_what_the_polars_engine_reports() {
    let remote = std::env::var("AMLSCREEN_SPARK_TEST_REMOTE").unwrap_or_default();
    let reasons = "tests/fixtures/spark/reasons.csv";
    let args = |engine: &[&'static str]| {
        let mut a = vec![
            "inspect",
            reasons,
            "--fx",
            "tests/fixtures/spark/fx-edges.csv",
        ];
        a.extend_from_slice(engine);
        a
    };
    let polars = crate::common::amlscreen(&args(&[]));
    assert!(
        polars.status.success(),
        "{}",
        crate::common::describe(&polars)
    );
    let mut spark_args = args(&["--engine", "spark", "--spark-remote"]);
    spark_args.push(&remote);
    let spark = crate::common::amlscreen(&spark_args);
    assert!(
        spark.status.success(),
        "{}",
        crate::common::describe(&spark)
    );
    // the Polars engine's lines about what was read and accepted, the same on Spark
    let stdout = String::from_utf8_lossy(&spark.stdout).to_string();
    for line in String::from_utf8_lossy(&polars.stdout).lines() {
        let shared = line.contains(": read ")
            || line.starts_with("  quarantined ")
            || line.starts_with("date range")
            || line.starts_with("amounts in")
            || line.starts_with("channels")
            || line.starts_with("total:");
        if shared {
            assert!(stdout.contains(line), "{line:?} missing from:\n{stdout}");
        }
    }
    // a run with a nightly state is refused, naming why
    let mut with_state = vec![
        "run",
        reasons,
        "--engine",
        "spark",
        "--spark-remote",
        &remote,
        "--state",
        "/nonexistent-state",
    ];
    with_state.push("--out");
    with_state.push("/nonexistent-out");
    let refused = crate::common::amlscreen(&with_state);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "{}",
        crate::common::describe(&refused)
    );
    assert!(String::from_utf8_lossy(&refused.stderr)
        .contains("--state is not supported with --engine spark"));
}

/// Amount and time spellings built from pieces (a fixed pseudo-random sequence): both engines
/// must accept and refuse the same ones, with the same values.
#[test]
fn generated_amount_and_time_spellings_match_the_polars_engine() {
    let mut state: u64 = 0x5eed_2026;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as usize) % n
    };
    let mut pick = |options: &[&'static str]| options[next(options.len())];
    let mut text = format!("{HEADER}\n");
    for row in 0..1500 {
        let amount = [
            pick(&["", "", " ", "\u{a0}"]),
            pick(&["", "", "", "-", "+"]),
            pick(&[
                "0",
                "1",
                "12",
                "1,234",
                "12,34",
                "9223372036854",
                "9223372036855",
                "000012",
                "",
                "٣",
            ]),
            pick(&["", "", ".5", ".", ".123456", ".1234567", ".000001", "e3"]),
            pick(&["", "", "", " ", "x"]),
        ]
        .concat();
        // a well-formed shape most of the time, with one part drawn from spellings that are
        // not (or are only just) valid
        let shape = pick(&["0", "1", "2", "3"]).parse::<u8>().unwrap_or(3);
        let time = [
            pick(&["", "", "", " "]),
            pick(&[
                "2026-03-01",
                "2026-03-01",
                "2024-02-29",
                "2025-02-29",
                "1899-12-31",
                "2026-13-01",
                "2026-3-01",
            ]),
            match shape {
                0 => "",
                3 => pick(&["", "T", " ", "t"]),
                _ => pick(&["T", " "]),
            },
            match shape {
                0 => "",
                3 => pick(&["", "00:00", "24:00", "12:3"]),
                _ => pick(&["00:00", "23:59", "09:30"]),
            },
            match shape {
                0 | 1 => "",
                3 => pick(&[":60", ":5", ""]),
                _ => pick(&[":00", ":59"]),
            },
            match shape {
                0 | 1 => "",
                3 => pick(&[".", ",5", ""]),
                _ => pick(&["", ".123456789", ",5", ".000001"]),
            },
            pick(&[
                "", "", "Z", "z", "+05:30", "-0800", "+23", "+24:00", "-05:61", "+05:",
            ]),
        ]
        .concat();
        let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
        text.push_str(&format!(
            "G{row},{},{},USD,WIRE,A{},,JM,B,,US,\n",
            quote(&time),
            quote(&amount),
            row % 7
        ));
    }
    let dir = temp_dir("spark-generated");
    let csv = write(&dir, "generated.csv", &text);
    let counts = assert_parity(&[csv], &options(None, None));
    // the pieces make every outcome common
    let c = &counts[0];
    assert!(c.rows_accepted >= 20, "{c:?}");
    for reason in ["bad_amount", "bad_timestamp", "non_positive_amount"] {
        assert!(c.by_reason.get(reason).copied().unwrap_or(0) >= 10, "{c:?}");
    }
}

/// README's main command (the shipped packs, every rule kind, on the sample data with its
/// watchlists, FX table and customer file) on both engines: the same alerts, cases, customer
/// files and manifest counts; the graph kinds among the alerts.
#[test]
fn the_readme_run_with_the_shipped_packs_writes_the_same_outputs_on_both_engines() {
    let data = root().join("sample-data");
    let config = amlscreen::pipeline::RunConfig {
        inputs: vec![data.join("transactions.csv")],
        watchlists: vec![data.join("watchlists")],
        fx: Some(data.join("fx.csv")),
        customers: Some(data.join("customers.csv")),
        ..Default::default()
    };
    let (polars, spark) = run_both(config, "spark-run-shipped");
    let alerts = assert_same_outputs(&polars, &spark);
    let set = amlscreen::rules::RuleSet::load(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.rules().filter(|r| r.enabled).count(), 25);
    for rule in [
        "structuring",
        "smurfing",
        "fan_in",
        "velocity_spike",
        "behaviour_change",
        "rapid_movement",
        "round_trip_offshore",
        "cycle_long",
        "layering_chain",
        "scatter_gather",
        "gather_scatter",
        "bipartite_layer",
        "stacked_bipartite",
        "sanctions_screening",
    ] {
        assert!(alerts.contains(&format!(",{rule},")), "no {rule} alert");
    }
    let _ = std::fs::remove_dir_all(polars.parent().unwrap());
}

/// The manifest's fields that differ between engines by nature: the times (`started_at`,
/// `finished_at`, `stage_seconds`). Everything else, every count and each input's `sha256`
/// included, must be the same.
const MANIFEST_FIELDS_THAT_DIFFER: [&str; 3] = ["started_at", "finished_at", "stage_seconds"];

/// The manifest without [`MANIFEST_FIELDS_THAT_DIFFER`].
fn comparable_manifest(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("manifest.json")).expect("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_str(&text).expect("manifest json");
    let object = manifest.as_object_mut().expect("manifest object");
    for field in MANIFEST_FIELDS_THAT_DIFFER {
        assert!(object.remove(field).is_some(), "no {field} in the manifest");
    }
    for input in object["inputs"].as_array().expect("inputs") {
        assert_eq!(input["sha256"].as_str().map(str::len), Some(64), "{input}");
    }
    manifest
}

/// `run` on both engines with `config` (its engine replaced), each into its own folder; the
/// folders, Polars first.
fn run_both(config: amlscreen::pipeline::RunConfig, label: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(label);
    let (polars_out, spark_out) = (dir.join("polars"), dir.join("spark"));
    amlscreen::pipeline::run(&amlscreen::pipeline::RunConfig {
        engine: Engine::Polars,
        out_dir: polars_out.clone(),
        ..config.clone()
    })
    .unwrap_or_else(|e| panic!("polars run: {e}"));
    // an earlier run's quarantine.csv in the folder is not the Spark run's
    std::fs::create_dir_all(&spark_out).unwrap();
    std::fs::write(spark_out.join("quarantine.csv"), "stale").unwrap();
    amlscreen::pipeline::run(&amlscreen::pipeline::RunConfig {
        engine: Engine::Spark(target(None)),
        out_dir: spark_out.clone(),
        ..config
    })
    .unwrap_or_else(|e| panic!("spark run: {e}"));
    (polars_out, spark_out)
}

/// The two runs' outputs: the same bytes for every file both write but `report.html` (it shows
/// the manifest's times and digests), the same manifest but for the fields that differ by
/// nature; the Spark run writes no `quarantine.csv` (its quarantined rows are on the cluster).
/// Returns the Polars run's `alerts.csv`.
fn assert_same_outputs(polars: &Path, spark: &Path) -> String {
    let read = |dir: &Path, name: &str| std::fs::read(dir.join(name)).ok();
    for name in [
        "alerts.csv",
        "cases.jsonl",
        "alerts.parquet",
        "customers_hits.csv",
        "customers_risk.csv",
        "customers_quarantine.csv",
    ] {
        let (a, b) = (read(polars, name), read(spark, name));
        assert_eq!(
            a.is_some(),
            b.is_some(),
            "{name} written by one engine only"
        );
        if let (Some(a), Some(b)) = (a, b) {
            if a != b {
                panic!(
                    "{name} differs:\npolars:\n{}\nspark:\n{}",
                    String::from_utf8_lossy(&a),
                    String::from_utf8_lossy(&b)
                );
            }
        }
    }
    assert_eq!(
        comparable_manifest(spark),
        comparable_manifest(polars),
        "manifest"
    );
    assert!(spark.join("report.html").exists());
    assert!(polars.join("quarantine.csv").exists());
    assert!(!spark.join("quarantine.csv").exists());
    String::from_utf8(std::fs::read(polars.join("alerts.csv")).unwrap()).unwrap()
}

/// The sample data with the parity pack, its watchlists and its customer file: `run --engine
/// spark` writes the same alerts, cases, customer files and manifest counts as the Polars run
/// (transaction and customer sanctions alerts, the namesake's hits cleared, the customer
/// file's segments over the derived ones, the rating's activity figures).
#[test]
fn run_on_spark_writes_what_the_polars_run_writes_on_the_sample_data() {
    let data = root().join("sample-data");
    let config = amlscreen::pipeline::RunConfig {
        inputs: vec![data.join("transactions.csv")],
        rules: vec![fixture("spark/rules.toml")],
        watchlists: vec![data.join("watchlists")],
        fx: Some(data.join("fx.csv")),
        customers: Some(data.join("customers.csv")),
        ..Default::default()
    };
    let (polars, spark) = run_both(config, "spark-run-sample");
    let alerts = assert_same_outputs(&polars, &spark);
    for rule in [
        ",sanctions_screening,",
        ",customer_sanctions_match,",
        ",business_cash,",
        ",dormant_reactivation,",
    ] {
        assert!(alerts.contains(rule), "no {rule} alert");
    }
    let manifest = comparable_manifest(&spark);
    let customers = &manifest["customers"];
    assert!(customers["transaction_hits_cleared"].as_u64().unwrap() > 0);
    assert_eq!(customers["risk_levels"][0][0], "high");
    assert!(customers["risk_levels"][0][1].as_u64().unwrap() > 0);
    let _ = std::fs::remove_dir_all(polars.parent().unwrap());
}

const CUSTOMERS_HEADER: &str = "customer_id,accounts,name,type,birth_date,nationality,country,id_numbers,segment,expected_monthly_volume,onboarded";

/// A small run with every kind of sanctions alert and a customer file: a listed customer on two
/// accounts (its facts confirm the entry), its namesake (facts discount it: the name-only hits on
/// its own transactions are cleared), a listed customer without transactions, a listed row
/// quarantined for its birth date, one naming no account, a listed company; a walk-in cash
/// depositor whose listed name is a hit on the account it pays into; an account the customer
/// file calls a cash-intensive business (so a segment filter selects it, though the data would
/// not derive it); quarantined transactions. Both engines write the same files.
#[test]
fn run_on_spark_with_sanctions_hits_and_a_customer_file_writes_what_the_polars_run_writes() {
    let dir = temp_dir("spark-run-crafted");
    let customers = write(
        &dir,
        "customers.csv",
        &format!(
            "{CUSTOMERS_HEADER}\n\
             L1,ACC-L1;ACC-L2,Karim Abdul Hassan,person,1965-04-02,Iraq,JM,A123456,retail,,\n\
             N1,ACC-N1,Karim Abdul Hassan,person,1990-05-01,JM,JM,N555,retail,,\n\
             M1,ACC-M1,Jose Luis Morales,person,1963-07-09,Colombia,JM,,retail,,\n\
             G1,ACC-G1,Maria Garcia,person,1971-02-30,,,,,,\n\
             P1,,Chol Su Park,person,,,,,,,\n\
             E1,ACC-E1,Alpha Trading LLC,entity,2001-06-30,,Panama,12345678;REG-9,business,,\n\
             S1,ACC-S1,Corner Shop Ltd,entity,,,JM,REG-77,cash_intensive_business,1000.00,\n\
             R1,ACC-R1,Ann Bo,person,1980,JM,JM,,retail,500.00,\n"
        ),
    );
    let transactions = write(
        &dir,
        "t.csv",
        &format!(
            "{HEADER}\n\
             T1,2026-03-02T10:00:00Z,2500.00,USD,WIRE,ACC-L1,K Hassan,JM,EXT-1,Bob Smith,US,KIN-01\n\
             T2,2026-03-03T11:00:00Z,12000.00,USD,CASH,,Ann Lee,JM,ACC-L2,K Hassan,JM,KIN-01\n\
             T3,2026-03-04T12:00:00Z,300.00,USD,WIRE,ACC-N1,Karim Abdul Hassan,JM,EXT-2,Cy Dunn,US,KIN-01\n\
             T4,2026-03-05T13:00:00Z,200.00,USD,WIRE,EXT-3,Dee Fox,US,ACC-N1,Karim Abdul Hassan,JM,KIN-01\n\
             T5,2026-03-06T14:00:00Z,150.00,USD,WIRE,ACC-R1,Ann Bo,JM,EXT-2,Cy Dunn,US,KIN-01\n\
             T6,2026-03-06T15:00:00Z,4000.00,USD,CASH,,Jose Luis Morales,,ACC-X1,Xavier Young,JM,KIN-02\n\
             T7,2026-03-07T09:00:00Z,3500.00,USD,CASH,,,,ACC-S1,Corner Shop Ltd,JM,KIN-02\n\
             T8,2026-03-07T10:00:00Z,9500.00,USD,CASH,,,,ACC-R1,Ann Bo,JM,KIN-02\n\
             T9,2026-03-08T10:00:00Z,700.00,USD,WIRE,ACC-E1,ALPHA TRADING LLC,PA,ACC-S1,Corner Shop Ltd,JM,KIN-02\n\
             T10,2026-03-08T11:00:00Z,-5.00,USD,WIRE,ACC-R1,Ann Bo,JM,EXT-2,Cy Dunn,US,KIN-01\n\
             T11,not a time,5.00,USD,WIRE,ACC-R1,Ann Bo,JM,EXT-2,Cy Dunn,US,KIN-01\n\
             T1,2026-03-09T10:00:00Z,5.00,USD,WIRE,ACC-R1,Ann Bo,JM,EXT-2,Cy Dunn,US,KIN-01\n"
        ),
    );
    let config = amlscreen::pipeline::RunConfig {
        inputs: vec![transactions],
        rules: vec![fixture("spark/rules.toml")],
        watchlists: vec![root().join("tests/fixtures/watchlists/facts/ofac/sdn.csv")],
        customers: Some(customers),
        ..Default::default()
    };
    let (polars, spark) = run_both(config, "spark-run-crafted");
    let alerts = assert_same_outputs(&polars, &spark);
    let cases = amlscreen::report::read_cases_jsonl(spark.join("cases.jsonl")).unwrap();
    let all: Vec<&amlscreen::model::Alert> = cases.iter().flat_map(|c| &c.alerts).collect();
    let fired = |rule: &str, subject: &str| {
        all.iter()
            .any(|a| a.rule_id == rule && a.subject_account == subject)
    };
    // customer alerts: confirmed, without transactions, quarantined rows, a company
    for (subject, customer) in [
        ("ACC-L1", "L1"),
        ("ACC-M1", "M1"),
        ("ACC-G1", "G1"),
        ("customer:P1", "P1"),
        ("ACC-E1", "E1"),
    ] {
        assert!(
            fired("customer_sanctions_match", subject),
            "{customer}: {alerts}"
        );
    }
    // the walk-in's listed name alerts on the account it paid into; the namesake's own
    // transactions do not alert, and its hits are counted as cleared
    assert!(fired("sanctions_screening", "ACC-X1"), "{alerts}");
    assert!(!fired("sanctions_screening", "ACC-N1"), "{alerts}");
    let manifest = comparable_manifest(&spark);
    assert!(
        manifest["customers"]["transaction_hits_cleared"]
            .as_u64()
            .unwrap()
            > 0
    );
    // the customer file's segment selects the shop (the data alone would not derive it)
    assert!(fired("business_cash", "ACC-S1"), "{alerts}");
    assert!(fired("personal_cash", "ACC-R1"), "{alerts}");
    assert_eq!(manifest["rows_quarantined"].as_u64(), Some(3), "{manifest}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(polars.parent().unwrap());
}

/// A customer file's segments go to the cluster in pieces: with more segmented accounts than
/// one piece holds, the last account (in the second piece) still has its segment, and a run
/// writes what the Polars run writes. The first piece (about 2 MB) is larger than the test
/// server's 1 MiB message limit, so it goes up as a cached artifact.
#[test]
fn a_customer_file_larger_than_one_upload_piece_keeps_every_segment() {
    let dir = temp_dir("spark-run-pieces");
    let pieces = amlscreen::spark::run::UPLOAD_ROWS;
    let mut customers = format!("{CUSTOMERS_HEADER}\n");
    for i in 0..pieces {
        customers.push_str(&format!(
            "C{i:06},ACC-{i:06},Person {i},person,,,JM,,retail,,\n"
        ));
    }
    customers.push_str("S1,ZZZ-SHOP,Corner Shop Ltd,entity,,,JM,,cash_intensive_business,,\n");
    let customers = write(&dir, "customers.csv", &customers);
    let transactions = write(
        &dir,
        "t.csv",
        &format!(
            "{HEADER}\n\
             T1,2026-03-07T09:00:00Z,3500.00,USD,CASH,,,,ZZZ-SHOP,Corner Shop Ltd,JM,KIN-02\n\
             T2,2026-03-07T10:00:00Z,3500.00,USD,CASH,,,,ACC-000001,Person 1,JM,KIN-02\n"
        ),
    );
    let config = amlscreen::pipeline::RunConfig {
        inputs: vec![transactions],
        rules: vec![fixture("spark/rules.toml")],
        customers: Some(customers),
        ..Default::default()
    };
    let (polars, spark) = run_both(config, "spark-run-pieces");
    let alerts = assert_same_outputs(&polars, &spark);
    assert!(alerts.contains(",business_cash,"), "{alerts}");
    assert_eq!(alerts.matches(",business_cash,").count(), 1, "{alerts}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(polars.parent().unwrap());
}

/// The session's setting `key` (the test server's limits: `scripts/test.sh` starts it with
/// small ones).
fn session_setting(spark: &Spark, key: &str) -> String {
    let got = spark
        .query("reading a setting", &format!("SET {key}"))
        .unwrap_or_else(|e| panic!("{e}"));
    got.column("value")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap_or_default()
        .to_string()
}

/// A local relation larger than half the server's message size limit goes up as a cached
/// artifact in chunks instead of inside the plan, and reads back whole; a small one goes inside
/// the plan. The test server's limit is 1 MiB (scripts/test.sh), so 120,000 ids (about 2 MB)
/// would be refused in one message: at 100M rows, the evidence's ids would pass Spark's default
/// 128 MiB the same way.
#[test]
fn a_local_relation_larger_than_the_servers_message_limit_goes_up_as_a_cached_artifact() {
    let spark = Spark::connect(&target(None)).unwrap_or_else(|e| panic!("{e}"));
    let limit = session_setting(&spark, "spark.connect.grpc.maxInboundMessageSize");
    assert_eq!(
        limit, "1m",
        "the test server should limit messages to 1 MiB (scripts/test.sh)"
    );
    let small: Vec<String> = (0..100).map(|k| format!("TX-{k:09}")).collect();
    spark
        .text_view(
            "small",
            "aml_test_small",
            "txn_id",
            small.iter().map(String::as_str),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spark.relations_cached(), 0, "100 ids fit in a plan");
    let ids: Vec<String> = (0..120_000).map(|k| format!("TX-{k:09}")).collect();
    spark
        .text_view(
            "large",
            "aml_test_large",
            "txn_id",
            ids.iter().map(String::as_str),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        spark.relations_cached(),
        1,
        "120,000 ids go up as an artifact"
    );
    let got = spark
        .query(
            "reading back",
            "SELECT count(*) AS n, count(DISTINCT txn_id) AS d, min(txn_id) AS lo, \
             max(txn_id) AS hi, sum(CAST(substring(txn_id, 4) AS BIGINT)) AS total \
             FROM aml_test_large",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let int = |name: &str| {
        got.column(name)
            .unwrap()
            .cast(&DataType::Int64)
            .unwrap()
            .i64()
            .unwrap()
            .get(0)
            .unwrap()
    };
    let text = |name: &str| {
        got.column(name)
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .unwrap()
            .to_string()
    };
    assert_eq!(int("n"), 120_000);
    assert_eq!(int("d"), 120_000);
    assert_eq!(text("lo"), "TX-000000000");
    assert_eq!(text("hi"), "TX-000119999");
    assert_eq!(int("total"), 119_999 * 120_000 / 2);
}

/// The engine's session runs with adaptive query execution off, whatever the cluster's default
/// (the test server leaves Spark's, on): with it on, a 1M-row run at 32 shuffle partitions gave
/// a different gather-scatter alert from run to run (BENCHMARKS.md, nineteenth session). Too
/// large for a test here, so this checks that the session turns it off.
#[test]
fn the_engine_turns_adaptive_query_execution_off_for_its_session() {
    let spark = Spark::connect(&target(None)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        session_setting(&spark, "spark.sql.adaptive.enabled"),
        "false"
    );
}

/// The ingest checks set `spark.sql.codegen.hugeMethodLimit` for their own step only: after
/// ingest the session has the server's value again.
#[test]
fn the_checks_leave_the_sessions_code_generation_limit_as_the_server_sets_it() {
    let spark = Spark::connect(&target(None)).unwrap_or_else(|e| panic!("{e}"));
    let before = session_setting(&spark, "spark.sql.codegen.hugeMethodLimit");
    let inputs = [root().join("sample-data/transactions.csv")];
    let fx = root().join("sample-data/fx.csv");
    spark
        .ingest(
            &inputs,
            &SparkIngestOptions {
                options: &options(Some(&fx), None),
                latest_micros: amlscreen::spark::latest_accepted_micros(),
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(
        before, "8000",
        "the test server must not set the limit itself"
    );
    assert_eq!(
        session_setting(&spark, "spark.sql.codegen.hugeMethodLimit"),
        before
    );
}

/// Asserts that the test server ends result streams early, as `scripts/test.sh` starts it, so
/// that the tests below and every other result cross several streams.
fn assert_small_stream_limits(spark: &Spark) {
    let size = session_setting(
        spark,
        "spark.connect.execute.reattachable.senderMaxStreamSize",
    );
    let duration = session_setting(
        spark,
        "spark.connect.execute.reattachable.senderMaxStreamDuration",
    );
    assert!(
        size == "64k" && duration == "10s",
        "the test server must end result streams after 64k and 10s (scripts/test.sh starts it with \
         SPARK_MAX_STREAM_SIZE=64k SPARK_MAX_STREAM_DURATION=10s); it has {size:?} and {duration:?}"
    );
}

#[test]
fn a_result_larger_than_the_servers_stream_limit_comes_back_whole() {
    let spark = Spark::connect(&target(None)).unwrap_or_else(|e| panic!("{e}"));
    assert_small_stream_limits(&spark);
    let before = spark.streams_reattached();
    // about 3 MB in batches of 10,000 rows: the server ends the stream after 64 KB each time
    let got = spark
        .query(
            "a large result",
            "SELECT id, repeat('x', 20) AS pad FROM range(0, 100000) ORDER BY id",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.height(), 100_000);
    let ids: Vec<i64> = got
        .column("id")
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert!(ids.iter().copied().eq(0..100_000), "every row, in order");
    assert!(
        spark.streams_reattached() >= before + 5,
        "the result crossed several streams: {} reattached",
        spark.streams_reattached() - before
    );
}

#[test]
fn a_query_slower_than_the_servers_stream_limit_still_returns_its_rows() {
    let spark = Spark::connect(&target(None)).unwrap_or_else(|e| panic!("{e}"));
    assert_small_stream_limits(&spark);
    let before = spark.streams_reattached();
    // computes for 12 s before its one row: the server ends the first stream after 10 s with
    // nothing sent, and the execution goes on
    let got = spark
        .query(
            "a slow query",
            "SELECT reflect('java.lang.Thread', 'sleep', CAST(12000 AS BIGINT)) AS slept, 7 AS n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.height(), 1);
    assert_eq!(got.column("n").unwrap().i32().unwrap().get(0), Some(7));
    assert!(
        spark.streams_reattached() > before,
        "the stream was resumed"
    );
    // a statement that runs as long is waited for too
    spark
        .execute(
            "a slow statement",
            "CACHE TABLE aml_slow AS SELECT reflect('java.lang.Thread', 'sleep', CAST(11000 AS BIGINT)) AS slept",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let cached = spark
        .query("reading it", "SELECT count(*) AS n FROM aml_slow")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cached.column("n").unwrap().i64().unwrap().get(0), Some(1));
}
