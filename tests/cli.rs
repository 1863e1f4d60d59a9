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
        "--customers",
        "sample-data/customers.csv",
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
        amlscreen::model::QuarantineReason::ALL.len(),
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
        amlscreen::model::Typology::ALL.len(),
        "every typology raises an alert on the sample: {typologies:?}"
    );
    let customers = &manifest["customers"];
    assert_eq!(customers["rows_accepted"], 60);
    let reasons = customers["quarantined_by_reason"].as_array().unwrap();
    assert_eq!(
        reasons.len(),
        amlscreen::customers::CustomerQuarantineReason::ALL.len()
    );
    assert!(
        reasons.iter().all(|r| r[1].as_u64() == Some(1)),
        "one bad customer row per reason: {reasons:?}"
    );
    for name in [
        "alerts.csv",
        "alerts.parquet",
        "cases.jsonl",
        "quarantine.csv",
        "customers_quarantine.csv",
        "customers_risk.csv",
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

/// The binary as a command to configure (pipes, working folder), from the repository root.
fn command(args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_amlscreen"));
    command.args(args).current_dir(root());
    command
}

/// A names file whose hits fill far more than a pipe's buffer (64 KiB on Linux).
fn many_hitting_names(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("name\n");
    for _ in 0..20_000 {
        text.push_str("AEROCARIBBEAN AIRLINES\n");
    }
    write(dir, "names.csv", &text)
}

/// `amlscreen screen-names … | head -1`: the reader closes the pipe after one line while the
/// command still has megabytes to write; it ends quietly with exit 0.
#[test]
fn a_closed_stdout_pipe_ends_the_command_quietly() {
    use std::io::BufRead;
    let dir = temp_dir("cli-pipe");
    let names = many_hitting_names(&dir);
    let mut child = command(&[
        "screen-names",
        names.to_str().unwrap(),
        "--watchlist",
        "sample-data/watchlists",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("start amlscreen");
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert_eq!(
        first,
        "query,list,entry_id,matched_name,score,explanation\n"
    );
    drop(reader);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(out.stderr.is_empty(), "{}", describe(&out));
}

/// With `--log-format json`, the error that stops a command is one JSON object like the log
/// events: level ERROR, the message, and the chain of causes as a list.
#[test]
fn with_json_logs_a_fatal_error_is_a_json_object_with_its_source_chain() {
    let dir = temp_dir("cli-json-error");
    let missing = dir.join("missing.csv");
    let out = amlscreen(&[
        "--log-format",
        "json",
        "screen-names",
        missing.to_str().unwrap(),
        "--watchlist",
        "sample-data/watchlists",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let error = events.last().expect("an event");
    assert_eq!(error["level"], "ERROR", "{stderr}");
    let message = error["fields"]["message"].as_str().unwrap();
    assert!(
        message.contains("missing.csv: cannot read: No such file or directory"),
        "{stderr}"
    );
    let sources = error["fields"]["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{stderr}");
    assert!(
        sources[0].as_str().unwrap().contains("(os error 2)"),
        "{stderr}"
    );

    // a usage error too
    let out = amlscreen(&["--log-format=json", "run"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error: serde_json::Value = serde_json::from_str(stderr.trim()).expect("one JSON object");
    assert_eq!(error["level"], "ERROR");
    assert!(
        error["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("<INPUTS>"),
        "{stderr}"
    );
}

/// An error that quotes its operating-system cause and keeps it as its source prints the
/// cause once.
#[test]
fn an_os_error_is_printed_once() {
    let dir = temp_dir("cli-os-once");
    let missing = dir.join("missing.csv");
    let names = write(&dir, "names.csv", "name\nAnn Lee\n");
    for args in [
        vec![
            "screen-names",
            missing.to_str().unwrap(),
            "--watchlist",
            "sample-data/watchlists",
        ],
        vec![
            "screen-names",
            names.to_str().unwrap(),
            "--watchlist",
            missing.to_str().unwrap(),
        ],
        vec!["rules", "check", missing.to_str().unwrap()],
    ] {
        let out = amlscreen(&args);
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.matches("(os error 2)").count(),
            1,
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("missing.csv"), "{stderr}");
    }
}

/// `--out` naming a file that exists is refused before any work, in plain words.
#[test]
fn an_out_folder_that_is_a_file_is_refused_in_plain_words() {
    let dir = temp_dir("cli-out-file");
    let input = small_day(&dir);
    let file = write(&dir, "taken", "not a folder\n");
    for args in [
        vec![
            "run",
            input.to_str().unwrap(),
            "--out",
            file.to_str().unwrap(),
        ],
        vec!["generate", "--out", file.to_str().unwrap()],
        vec!["demo", "structuring", "--out", file.to_str().unwrap()],
    ] {
        let out = amlscreen(&args);
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.trim(),
            format!(
                "error: --out {} is a file; expected a folder",
                file.display()
            ),
            "{args:?}"
        );
    }
    let out = amlscreen(&[
        "screen-names",
        input.to_str().unwrap(),
        "--watchlist",
        "sample-data/watchlists",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is a folder; expected a file"),
        "{}",
        describe(&out)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder\n");
}

/// A run never overwrites its inputs: an input that is one of the files the run writes into
/// `--out` (by name, through a glob, or through a link) is refused before anything is written.
#[test]
fn a_run_refuses_to_overwrite_its_own_inputs() {
    let dir = temp_dir("cli-overwrite");
    let day = small_day(&dir);
    let original = std::fs::read_to_string(&day).unwrap();
    let alerts = dir.join("alerts.csv");
    std::fs::copy(&day, &alerts).unwrap();
    let refused = |args: &[&str], input: &Path| {
        let out = amlscreen(args);
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "input {} is the file the run writes as",
                input.display()
            )) && stderr.contains("it would be overwritten"),
            "{stderr}"
        );
        assert_eq!(std::fs::read_to_string(&alerts).unwrap(), original);
        assert!(!dir.join("manifest.json").exists(), "nothing written");
    };
    // by name
    refused(
        &[
            "run",
            alerts.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ],
        &alerts,
    );
    // through a glob, and through the folder as input
    let pattern = format!("{}/*.csv", dir.display());
    refused(&["run", &pattern, "--out", dir.to_str().unwrap()], &alerts);
    refused(
        &["run", dir.to_str().unwrap(), "--out", dir.to_str().unwrap()],
        &alerts,
    );
    // through a link and a path with `..`
    let elsewhere = temp_dir("cli-overwrite-link");
    let link = elsewhere.join("today.csv");
    std::os::unix::fs::symlink(&alerts, &link).unwrap();
    refused(
        &[
            "run",
            link.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ],
        &link,
    );
    let dotted = elsewhere.join("..").join(dir.file_name().unwrap());
    refused(
        &[
            "run",
            day.to_str().unwrap(),
            "--fx",
            alerts.to_str().unwrap(),
            "--out",
            dotted.to_str().unwrap(),
        ],
        &alerts,
    );
    // an input beside the outputs, not one of them, is fine
    std::fs::remove_file(&alerts).unwrap();
    run_ok(&["run", day.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&day).unwrap(), original);
    assert!(dir.join("alerts.csv").is_file());
}

/// Cells that a spreadsheet would run as formulas are written as text (`'` first) in the CSV
/// files people open: alerts, quarantine, screening hits. Plain numbers, numeric columns and
/// the Parquet alerts are left as they are.
#[test]
fn formula_cells_are_neutralised_in_csv_outputs() {
    let dir = temp_dir("cli-formulas");
    let formula_name = r#"=HYPERLINK("http://evil.example","x")"#;
    let input = write(
        &dir,
        "day.csv",
        &format!(
            "{HEADER}
T1,2026-03-02T10:00:00Z,10000.00,USD,CASH,,Ann Lee,JM,@ACC-1,\"{}\",JM,KIN-01
@T2,2026-03-02T11:00:00Z,-250.00,USD,CASH,,Bob Ray,JM,ACC-2,Bob Ray,JM,KIN-01
T3,2026-03-02T12:00:00Z,-2+3+cmd|' /C calc'!A0,USD,CASH,,Bob Ray,JM,ACC-2,Bob Ray,JM,KIN-01
T4,2026-03-02T12:30:00Z,\"\t=1+1\",USD,CASH,,Bob Ray,JM,ACC-2,Bob Ray,JM,KIN-01
",
            formula_name.replace('"', "\"\"")
        ),
    );
    let out_dir = dir.join("out");
    run_ok(&[
        "run",
        input.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);

    let csv_rows = |path: &Path| -> Vec<Vec<String>> {
        csv::Reader::from_path(path)
            .unwrap()
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect()
    };
    let alerts = csv_rows(&out_dir.join("alerts.csv"));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0][4], "'@ACC-1", "subject_account");
    assert_eq!(alerts[0][5], format!("'{formula_name}"), "subject_name");
    assert_eq!(alerts[0][9], "10000.00", "total_amount as written");
    let quarantine = csv_rows(&out_dir.join("quarantine.csv"));
    let by_row = |row: &str| quarantine.iter().find(|q| q[1] == row).unwrap().clone();
    assert_eq!(by_row("2")[2], "'@T2", "txn_id");
    assert_eq!(
        by_row("2")[4],
        "-250.00",
        "a plain negative number stays a number"
    );
    assert_eq!(by_row("3")[4], "'-2+3+cmd|' /C calc'!A0");
    assert_eq!(by_row("4")[4], "'\t=1+1");

    // Parquet keeps the values as they are
    use polars::prelude::SerReader;
    let frame = polars::prelude::ParquetReader::new(
        std::fs::File::open(out_dir.join("alerts.parquet")).unwrap(),
    )
    .finish()
    .unwrap();
    let names = frame.column("subject_name").unwrap().str().unwrap().clone();
    assert_eq!(names.get(0), Some(formula_name));

    // screen-names: the query as given, made safe
    let names = write(&dir, "names.csv", "name\n=AEROCARIBBEAN AIRLINES\n");
    let out = run_ok(&[
        "screen-names",
        names.to_str().unwrap(),
        "--watchlist",
        "sample-data/watchlists",
        "--top",
        "1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with("'=AEROCARIBBEAN AIRLINES,"),
        "{text}"
    );
}

/// The shipped packs are built into the binary: run from a folder without `rules/`, with no
/// `--rules`, the run gives the same alerts as with `--rules rules/`, and the manifest names
/// each pack `builtin:rules/…` with its digest.
#[test]
fn the_shipped_packs_work_from_any_folder() {
    let dir = temp_dir("cli-builtin");
    let sample = root().join("sample-data");
    let run_in = |cwd: &Path, extra: &[&str], out_dir: &Path| {
        let mut args = vec![
            "run".to_string(),
            sample.join("transactions.csv").display().to_string(),
            "--fx".to_string(),
            sample.join("fx.csv").display().to_string(),
            "--out".to_string(),
            out_dir.display().to_string(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_amlscreen"))
            .args(&args)
            .current_dir(cwd)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    };
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    run_in(&elsewhere, &[], &dir.join("builtin"));
    let rules = root().join("rules");
    run_in(
        &root(),
        &["--rules", rules.to_str().unwrap()],
        &dir.join("folder"),
    );
    let alerts = |run: &str| std::fs::read(dir.join(run).join("alerts.csv")).unwrap();
    assert!(alerts("builtin").len() > 1000);
    assert!(alerts("builtin") == alerts("folder"), "the same alerts");

    let manifest = |run: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join(run).join("manifest.json")).unwrap())
            .unwrap()
    };
    let (builtin, folder) = (manifest("builtin"), manifest("folder"));
    let packs = builtin["rule_packs"].as_array().unwrap();
    assert_eq!(packs.len(), 4);
    for (b, f) in packs.iter().zip(folder["rule_packs"].as_array().unwrap()) {
        let name = f["path"].as_str().unwrap().rsplit('/').next().unwrap();
        assert_eq!(b["path"], format!("builtin:rules/{name}"));
        assert_eq!(b["id"], f["id"]);
        assert_eq!(b["sha256"], f["sha256"]);
    }

    // `--rules` still overrides them
    let one = dir.join("one");
    run_in(
        &elsewhere,
        &["--rules", rules.join("cash.toml").to_str().unwrap()],
        &one,
    );
    let only_cash = serde_json::from_slice::<serde_json::Value>(
        &std::fs::read(one.join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(only_cash["rule_packs"].as_array().unwrap().len(), 1);

    // and `rules check` / `rules test` work there too, the golden tests from the binary
    let rules_there = |args: [&str; 2]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_amlscreen"))
            .args(args)
            .current_dir(&elsewhere)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let check = rules_there(["rules", "check"]);
    assert!(
        check.contains("ok  builtin:rules/geography.toml (geography@"),
        "{check}"
    );
    let test = rules_there(["rules", "test"]);
    assert!(!test.contains("no golden tests"), "{test}");
    assert!(test.contains("ok    cash :: "), "{test}");
    assert!(test.contains("ok    movement :: "), "{test}");
    assert!(test.trim_end().ends_with(" 0 failed"), "{test}");
}

/// `rules check` refuses an empty rule id and a base currency that is no currency, naming the
/// file and line.
#[test]
fn rules_check_refuses_an_empty_rule_id_and_an_unknown_base_currency() {
    let dir = temp_dir("cli-check-ids");
    let shipped = std::fs::read_to_string(root().join("rules/cash.toml")).unwrap();
    let line_of =
        |text: &str, needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    for (label, text, needle, expected) in [
        (
            "empty id",
            shipped.replacen("id = \"cash_threshold\"", "id = \"\"", 1),
            "id = \"\"",
            "rule id is empty",
        ),
        (
            "ZZZ",
            shipped.replacen("base_currency = \"USD\"", "base_currency = \"ZZZ\"", 1),
            "base_currency",
            "base_currency `ZZZ` is not an ISO 4217 currency code",
        ),
    ] {
        assert_ne!(text, shipped, "{label}: the pack was changed");
        let pack = write(&dir, "cash.toml", &text);
        let out = amlscreen(&["rules", "check", pack.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{label}: {}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let location = format!("{}:{}: ", pack.display(), line_of(&text, needle));
        assert!(
            stderr.contains(&location) && stderr.contains(expected),
            "{label}: expected `{location}` and `{expected}` in {stderr}"
        );
    }
}

/// `screen-names --top 0` would screen and report nothing: it is refused as a usage error.
#[test]
fn screen_names_refuses_top_0() {
    let dir = temp_dir("cli-top-0");
    let names = write(&dir, "names.csv", "name\nAEROCARIBBEAN AIRLINES\n");
    let screen = |top: &str| {
        amlscreen(&[
            "screen-names",
            names.to_str().unwrap(),
            "--watchlist",
            "sample-data/watchlists",
            "--top",
            top,
        ])
    };
    let out = screen("0");
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("'--top <TOP>': expected at least 1 hit per name"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    let out = screen("1");
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
}

/// `generate --accounts 1000000000` used to abort on allocation: sizes are checked first.
#[test]
fn generate_refuses_sizes_beyond_its_bounds_with_exit_2() {
    let dir = temp_dir("cli-generate-size");
    let out_dir = dir.join("lab");
    let out = amlscreen(&[
        "generate",
        "--accounts",
        "1000000000",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("accounts must be at most 5000000 (got 1000000000)"),
        "{stderr}"
    );
    assert!(!out_dir.exists());
}

/// A megabyte-long name (one token: blocking keys grow with the square of its length) is
/// screened on its first 512 characters, with a warning; the other names are screened as usual.
#[test]
fn screen_names_bounds_a_megabyte_long_name_and_warns() {
    let dir = temp_dir("cli-long-name");
    let mut long = String::with_capacity(1 << 20);
    let mut state: u32 = 7;
    while long.len() < 1 << 20 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        long.push(char::from(b'a' + (state >> 16) as u8 % 26));
    }
    let names = write(
        &dir,
        "names.txt",
        &format!("AEROCARIBBEAN AIRLINES\n{long}\n"),
    );
    let out = run_ok(&[
        "screen-names",
        names.to_str().unwrap(),
        "--watchlist",
        "sample-data/watchlists",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "1 name(s) longer than 512 characters were matched on their first 512 characters only"
        ) && stderr.contains("(1048576 characters)"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\nAEROCARIBBEAN AIRLINES,OFAC-SDN,"),
        "{stdout}"
    );
}

/// Without the `spark` feature, `--engine spark` says how to build it; a Spark flag without
/// `--engine spark` is refused.
#[cfg(not(feature = "spark"))]
#[test]
fn the_spark_engine_is_refused_by_a_build_without_it() {
    let out = amlscreen(&[
        "inspect",
        "sample-data/transactions.csv",
        "--engine",
        "spark",
        "--spark-remote",
        "sc://127.0.0.1:15002",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--features spark"),
        "{}",
        describe(&out)
    );
    let out = amlscreen(&[
        "inspect",
        "sample-data/transactions.csv",
        "--spark-out",
        "file:///tmp/x",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --engine spark"));
}
