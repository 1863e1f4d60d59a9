//! The real binary, end to end: `run`, `inspect` and `rules`, exit codes and outputs.

use crate::common::{amlscreen, describe, root, temp_dir, write, HEADER};
use std::path::Path;

const OUTPUTS: [&str; 6] = [
    "alerts.csv",
    "alerts.parquet",
    "cases.jsonl",
    "quarantine.csv",
    "manifest.json",
    "report.html",
];

fn small_day(dir: &Path) -> std::path::PathBuf {
    write(
        dir,
        "day.csv",
        &format!(
            "{HEADER}
T1,2026-03-02T10:00:00Z,10000.00,USD,CASH,,Ann Lee,JM,ACC-1,Ann Lee,JM,KIN-01
T2,2026-03-02T11:00:00Z,9999.99,USD,CASH,,Bob Ray,JM,ACC-2,Bob Ray,JM,KIN-01
T3,2026-03-02T12:00:00Z,12.3x,USD,CASH,,Bob Ray,JM,ACC-2,Bob Ray,JM,KIN-01
"
        ),
    )
}

fn run_ok(args: &[&str]) -> std::process::Output {
    let out = amlscreen(args);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    out
}

#[test]
fn run_writes_every_output_and_counts_add_up() {
    let dir = temp_dir("cli-run");
    let input = small_day(&dir);
    let out_dir = dir.join("out");
    run_ok(&[
        "run",
        input.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    for name in OUTPUTS {
        assert!(out_dir.join(name).is_file(), "{name} written");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("manifest.json")).unwrap()).unwrap();
    let input_summary = &manifest["inputs"][0];
    assert_eq!(input_summary["rows_read"], 3);
    assert_eq!(input_summary["rows_accepted"], 2);
    assert_eq!(input_summary["rows_quarantined"], 1);
    assert_eq!(input_summary["sha256"].as_str().unwrap().len(), 64);
    let alerts = std::fs::read_to_string(out_dir.join("alerts.csv")).unwrap();
    let mut lines = alerts.lines();
    assert_eq!(
        lines.next().unwrap(),
        "alert_id,rule_id,pack,typology,subject_account,subject_name,window_start,window_end,txn_count,total_amount,currency,score,txn_ids,summary"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(
        rows.len(),
        1,
        "only 10,000.00 meets the threshold:\n{alerts}"
    );
    assert!(
        rows[0].contains(",cash_threshold,cash,cash_threshold,ACC-1,Ann Lee,2026-03-02T10:00:00Z,"),
        "{}",
        rows[0]
    );
    assert!(rows[0].contains(
        "Cash transaction of 10,000.00 USD, at or over the 10,000.00 USD reporting threshold"
    ));
    let quarantine = std::fs::read_to_string(out_dir.join("quarantine.csv")).unwrap();
    assert!(
        quarantine.contains(",3,T3,amount,12.3x,bad_amount"),
        "{quarantine}"
    );
}

#[test]
fn a_stopping_error_exits_2_with_one_message_and_no_output() {
    let dir = temp_dir("cli-missing");
    let input = write(
        &dir,
        "bad.csv",
        "txn_id,timestamp,currency,channel\nT1,2026-03-01T10:00:00Z,USD,CASH\n",
    );
    let out_dir = dir.join("out");
    let out = amlscreen(&[
        "run",
        input.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_stopped(
        &out,
        &out_dir,
        &["bad.csv", "missing required column `amount`"],
    );
}

/// The run stopped with exit 2 and one line of error naming every one of `names`, and wrote
/// no output folder.
fn assert_stopped(out: &std::process::Output, out_dir: &Path, names: &[&str]) {
    assert_eq!(out.status.code(), Some(2), "{}", describe(out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(names.iter().all(|n| stderr.contains(n)), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!out_dir.exists(), "no partial output");
}

/// The watchlists load in their own thread while the transactions are read: an error there
/// still stops the run with exit 2, names the list, and leaves no output.
#[test]
fn a_broken_watchlist_stops_the_run_from_its_loading_thread() {
    let dir = temp_dir("cli-bad-list");
    let list = write(
        &dir,
        "list.xml",
        "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>",
    );
    let out_dir = dir.join("out");
    let out = amlscreen(&[
        "run",
        "sample-data/transactions.csv",
        "--fx",
        "sample-data/fx.csv",
        "--watchlist",
        list.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_stopped(&out, &out_dir, &["list.xml"]);

    // both broken: the input's error is the one reported (as when the stages ran in turn)
    let input = write(
        &dir,
        "bad.csv",
        "txn_id,timestamp\nT1,2026-03-01T10:00:00Z\n",
    );
    let out = amlscreen(&[
        "run",
        input.to_str().unwrap(),
        "--watchlist",
        list.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_stopped(&out, &out_dir, &["bad.csv"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("list.xml"));
}

#[test]
fn usage_errors_exit_2() {
    let out = amlscreen(&["run"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let out = amlscreen(&["run", "x.csv", "--sanctions-threshold", "3"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
}

#[test]
fn inspect_shows_schema_counts_dates_and_quarantine() {
    let dir = temp_dir("cli-inspect");
    let input = small_day(&dir);
    let out = run_ok(&["inspect", input.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "(csv): 3 rows",
        "1:txn_id[str]",
        "accepted 2, quarantined 1",
        "quarantined bad_amount: 1",
        "date range: 2026-03-02T10:00:00Z to 2026-03-02T11:00:00Z",
        "channels: CASH 2",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in\n{text}");
    }
}

#[test]
fn rules_commands_check_test_list_and_explain() {
    let out = run_ok(&["rules", "check"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("geography@2026.11"));
    let out = run_ok(&["rules", "test"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(" 0 failed"), "{text}");
    let out = run_ok(&["rules", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("velocity_spike"));
    let out = run_ok(&["rules", "explain", "bulk_cash"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Why it matters"));
    let out = amlscreen(&["rules", "explain", "no_such_rule"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn rules_check_refuses_a_bad_pack_with_exit_2() {
    let dir = temp_dir("cli-bad-pack");
    let text = std::fs::read_to_string(root().join("rules/cash.toml"))
        .unwrap()
        .replace("kind = \"threshold\"", "kind = \"treshold\"");
    let pack = write(&dir, "cash.toml", &text);
    let out = amlscreen(&["rules", "check", pack.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown kind `treshold`"));
}

/// README's main command, writing into `out_dir`.
fn run_sample(out_dir: &Path) {
    run_ok(&[
        "run",
        "sample-data/transactions.csv",
        "--fx",
        "sample-data/fx.csv",
        "--watchlist",
        "sample-data/watchlists",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
}

/// README's main command on sample-data: every output, counts that add up, and the planted
/// typologies found; a second run gives byte-identical alerts and cases.
#[test]
fn the_main_command_on_sample_data_is_complete_and_deterministic() {
    let dir = temp_dir("cli-sample");
    let mut outputs = Vec::new();
    for run in ["a", "b"] {
        let out_dir = dir.join(run);
        run_sample(&out_dir);
        outputs.push(out_dir);
    }
    for name in OUTPUTS {
        assert!(outputs[0].join(name).is_file(), "{name} written");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outputs[0].join("manifest.json")).unwrap()).unwrap();
    let stages: Vec<&str> = manifest["stage_seconds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[0].as_str().unwrap())
        .collect();
    for stage in [
        "ingest",
        "rules_and_sanctions",
        "watchlists_load",
        "sanctions",
    ] {
        assert!(stages.contains(&stage), "stage {stage} timed: {stages:?}");
    }
    let input = &manifest["inputs"][0];
    let read = input["rows_read"].as_u64().unwrap();
    assert!(read > 5000);
    assert_eq!(
        input["rows_accepted"].as_u64().unwrap() + input["rows_quarantined"].as_u64().unwrap(),
        read
    );
    assert_eq!(
        input["quarantined_by_reason"].as_array().unwrap().len(),
        9,
        "every quarantine reason appears"
    );
    let typologies: Vec<&str> = manifest["alerts_per_typology"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p[1].as_u64().unwrap() > 0)
        .map(|p| p[0].as_str().unwrap())
        .collect();
    assert_eq!(
        typologies.len(),
        14,
        "every typology raises an alert on the sample: {typologies:?}"
    );
    for name in [
        "alerts.csv",
        "alerts.parquet",
        "cases.jsonl",
        "quarantine.csv",
    ] {
        assert!(
            std::fs::read(outputs[0].join(name)).unwrap()
                == std::fs::read(outputs[1].join(name)).unwrap(),
            "{name} differs between two runs"
        );
    }
}

#[test]
fn screen_names_writes_hits_with_query_and_listed_name_as_written() {
    let dir = temp_dir("cli-screen");
    let names = write(
        &dir,
        "names.csv",
        "name\nAEROCARIBEAN AIRLINES\nGeorge Bush\n",
    );
    let out_file = dir.join("hits.csv");
    run_ok(&[
        "screen-names",
        names.to_str().unwrap(),
        "--watchlist",
        "sample-data/watchlists",
        "--top",
        "1",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&out_file).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("query,list,entry_id,matched_name,score,explanation")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(
        rows[0].starts_with("AEROCARIBEAN AIRLINES,") && rows[0].contains("AEROCARIBBEAN AIRLINES"),
        "{text}"
    );
}
