//! Nightly operation with `--state`: night-by-night runs, idempotence, crash safety.

use crate::common::{root, temp_dir};
use amlscreen::lab::{generate_to, DataFormat};
use amlscreen::model::{Alert, Typology};
use amlscreen::pipeline::{run, RunConfig};
use amlscreen::synth::{self, GeneratorConfig};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn run_config(inputs: Vec<PathBuf>, fx: &Path, out: PathBuf, state: Option<PathBuf>) -> RunConfig {
    RunConfig {
        inputs,
        rules: vec![root().join("rules")],
        watchlists: vec![root().join("sample-data/watchlists")],
        fx: Some(fx.to_path_buf()),
        out_dir: out,
        state,
        ..Default::default()
    }
}

/// Splits a generated CSV into one file per UTC day, named by the day.
fn split_by_day(csv: &Path, dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut days: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for line in lines {
        let ts = line.split(',').nth(1).unwrap_or("");
        days.entry(ts.get(..10).unwrap_or("").to_string())
            .or_default()
            .push(line);
    }
    std::fs::create_dir_all(dir).unwrap();
    days.into_iter()
        .map(|(day, rows)| {
            let path = dir.join(format!("{day}.csv"));
            std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
            path
        })
        .collect()
}

fn alerts_of(out: &Path) -> Vec<Alert> {
    amlscreen::report::read_cases_jsonl(out.join("cases.jsonl"))
        .unwrap()
        .into_iter()
        .flat_map(|c| c.alerts)
        .collect()
}

fn detail<'a>(a: &'a Alert, key: &str) -> Option<&'a str> {
    a.details
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn dataset(dir: &Path) -> (synth::SyntheticData, PathBuf) {
    let cfg = GeneratorConfig {
        accounts: 400,
        days: 110,
        seed: 3,
        instances_per_typology: Some(2),
        watchlist_names: amlscreen::lab::watchlist_plants(
            &[root().join("sample-data/watchlists")],
            100,
        )
        .unwrap()
        .0,
        ..GeneratorConfig::default()
    };
    generate_to(&cfg, DataFormat::Csv, dir).unwrap()
}

/// Generates the data set, splits it into one file per day and runs the first `count` nights
/// into `dir/state`. Returns the FX table, the nightly files and the state folder.
fn first_nights(dir: &Path, count: usize) -> (PathBuf, Vec<PathBuf>, PathBuf) {
    let (_, whole) = dataset(dir);
    let fx = dir.join("fx.csv");
    let nights = split_by_day(&whole, &dir.join("days"));
    let state = dir.join("state");
    run_nights(&nights[..count], &fx, &dir.join("out"), &state);
    (fx, nights, state)
}

/// Runs each night in turn with `--state`, writing into `out`.
fn run_nights(nights: &[PathBuf], fx: &Path, out: &Path, state: &Path) {
    for night in nights {
        run(&run_config(
            vec![night.clone()],
            fx,
            out.to_path_buf(),
            Some(state.to_path_buf()),
        ))
        .unwrap();
    }
}

#[test]
fn nightly_runs_find_what_one_run_finds_and_report_each_episode_once() {
    let dir = temp_dir("nightly");
    let (data, whole) = dataset(&dir);
    let fx = dir.join("fx.csv");
    run(&run_config(
        vec![whole.clone()],
        &fx,
        dir.join("whole"),
        None,
    ))
    .unwrap();
    let one_run = synth::score_backtest(
        &alerts_of(&dir.join("whole")),
        &data.labels,
        data.accounts_total,
    );

    let nights = split_by_day(&whole, &dir.join("days"));
    assert!(nights.len() >= 100);
    let state = dir.join("state");
    let mut union: Vec<Alert> = Vec::new();
    let mut updates = 0;
    for (i, night) in nights.iter().enumerate() {
        let out = dir.join(format!("night-{i:03}"));
        let summary = run(&run_config(
            vec![night.clone()],
            &fx,
            out.clone(),
            Some(state.clone()),
        ))
        .unwrap();
        let nightly = summary.manifest.nightly.expect("nightly summary");
        assert_eq!(nightly.generation_written, i as u64 + 1);
        assert_eq!(
            nightly.alerts_new + nightly.alerts_updated,
            summary.manifest.alerts_total
        );
        updates += nightly.alerts_updated;
        union.extend(alerts_of(&out));
    }
    let nightly = synth::score_backtest(&union, &data.labels, data.accounts_total);
    let found = |r: &synth::BacktestReport| -> BTreeMap<String, u64> {
        r.per_typology
            .iter()
            .map(|row| (row.key.clone(), row.found))
            .collect()
    };
    assert_eq!(
        found(&nightly),
        found(&one_run),
        "nightly union and one run find different instances"
    );
    // behaviour_change needs 232 days of data (110 here)
    for t in Typology::ALL
        .into_iter()
        .filter(|&t| t != Typology::BehaviourChange)
    {
        assert!(
            found(&one_run).get(t.as_str()).copied().unwrap_or(0) > 0,
            "{} found in the whole run",
            t.as_str()
        );
    }

    // every alert is new once; later alerts on an overlapping episode are updates of it
    let mut first_seen: BTreeMap<String, usize> = BTreeMap::new();
    for a in &union {
        match detail(a, "status") {
            Some("new") => assert!(
                first_seen.insert(a.alert_id.clone(), 1).is_none(),
                "{} reported new twice",
                a.alert_id
            ),
            Some("updated") => assert!(detail(a, "updates").is_some()),
            other if a.typology == Typology::Sanctions => assert!(other.is_some()),
            other => panic!("alert {} has status {other:?}", a.alert_id),
        }
    }
    let mut by_rule_subject: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for a in union.iter().filter(|a| detail(a, "status") == Some("new")) {
        by_rule_subject
            .entry((a.rule_id.clone(), a.subject_account.clone()))
            .or_default()
            .push((a.window_start.clone(), a.window_end.clone()));
    }
    for ((rule, subject), mut windows) in by_rule_subject {
        windows.sort();
        for w in windows.windows(2) {
            assert!(
                w[1].0 > w[0].1,
                "{rule} on {subject}: two new alerts for overlapping episodes {w:?}"
            );
        }
    }
    assert!(
        updates > 0,
        "episodes that grow over several nights come back as updates"
    );
}

#[test]
fn rerunning_the_last_night_is_a_retry_that_reports_the_same_alerts() {
    let dir = temp_dir("rerun");
    let (fx, nights, state) = first_nights(&dir, 15);
    let snapshot = |dir: PathBuf| -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(dir)
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
    // the next night that raises alerts
    let mut generation = 15;
    let (night, first) = loop {
        let night = nights[generation].clone();
        let first = run(&run_config(
            vec![night.clone()],
            &fx,
            dir.join("first"),
            Some(state.clone()),
        ))
        .unwrap();
        generation += 1;
        if first.manifest.alerts_total > 0 {
            break (night, first);
        }
        assert!(generation < 60, "no night raised an alert");
    };
    let history_before = snapshot(state.join(format!("gen-{generation:06}/history")));
    // the same night again, as a scheduler's retry or an operator's rerun
    let again = run(&run_config(
        vec![night],
        &fx,
        dir.join("again"),
        Some(state.clone()),
    ))
    .unwrap();
    let n = again.manifest.nightly.clone().unwrap();
    assert_eq!(n.retry_of_generation, Some(generation as u64));
    assert_eq!(
        n.generation_read,
        generation as u64 - 1,
        "computed again from the parent"
    );
    assert_eq!(n.generation_written, generation as u64 + 1);
    assert_eq!(again.manifest.alerts_total, first.manifest.alerts_total);
    for file in ["alerts.csv", "cases.jsonl", "quarantine.csv"] {
        assert!(
            std::fs::read(dir.join("first").join(file)).unwrap()
                == std::fs::read(dir.join("again").join(file)).unwrap(),
            "{file} differs on the retry"
        );
    }
    let input = &again.manifest.inputs[0];
    assert_eq!(input.rows_accepted, first.manifest.inputs[0].rows_accepted);
    let history_after = snapshot(state.join(format!("gen-{:06}/history", generation + 1)));
    assert!(!history_before.is_empty());
    assert!(
        history_before == history_after,
        "the history changed when a night was re-run"
    );
    // an older night delivered again is made of duplicates: nothing is reported twice
    let old = run(&run_config(
        vec![nights[10].clone()],
        &fx,
        dir.join("old"),
        Some(state.clone()),
    ))
    .unwrap();
    assert_eq!(old.manifest.alerts_total, 0);
    let input = &old.manifest.inputs[0];
    assert_eq!(
        input.quarantined_by_reason,
        vec![("duplicate_txn_id".to_string(), input.rows_read)]
    );
}

/// The alert ids in `out/alerts.csv` (none when the file is missing).
fn alert_ids(out: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(out.join("alerts.csv")) else {
        return Vec::new();
    };
    text.lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or("").to_string())
        .collect()
}

/// `amlscreen run NIGHT --state STATE --out OUT` in a child process, killed at `stage` when
/// given.
fn run_child(
    night: &Path,
    fx: &Path,
    state: &Path,
    out: &Path,
    stage: Option<&str>,
) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_amlscreen"));
    cmd.args(["run", night.to_str().unwrap(), "--fx", fx.to_str().unwrap()])
        .args([
            "--watchlist",
            root().join("sample-data/watchlists").to_str().unwrap(),
        ])
        .args(["--rules", root().join("rules").to_str().unwrap()])
        .args(["--state", state.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()]);
    if let Some(stage) = stage {
        cmd.env(amlscreen::state::KILL_AT_ENV, stage);
    }
    cmd.output().unwrap()
}

#[test]
fn a_night_killed_at_any_stage_and_retried_loses_no_alert() {
    let dir = temp_dir("kill");
    let (_, whole) = dataset(&dir);
    let fx = dir.join("fx.csv");
    let nights = split_by_day(&whole, &dir.join("days"));
    let nights = &nights[20..27];
    // the uninterrupted reference: each night's alerts
    let reference_state = dir.join("reference-state");
    let mut reference: Vec<Vec<u8>> = Vec::new();
    for (i, night) in nights.iter().enumerate() {
        let out = dir.join(format!("reference-{i}"));
        let done = run_child(night, &fx, &reference_state, &out, None);
        assert_eq!(
            done.status.code(),
            Some(0),
            "{}",
            crate::common::describe(&done)
        );
        reference.push(std::fs::read(out.join("alerts.csv")).unwrap());
    }
    assert!(
        reference
            .iter()
            .any(|a| a.iter().filter(|&&b| b == b'\n').count() > 1),
        "the reference nights raise alerts"
    );
    let killed_night = 4;
    for stage in amlscreen::state::KILL_POINTS {
        let state = dir.join(format!("state-{stage}"));
        let mut union: Vec<String> = Vec::new();
        for (i, night) in nights.iter().enumerate() {
            let out = dir.join(format!("{stage}-{i}"));
            if i == killed_night {
                let killed = run_child(night, &fx, &state, &out, Some(stage));
                assert_ne!(
                    killed.status.code(),
                    Some(0),
                    "{stage}: the run was not killed"
                );
                union.extend(alert_ids(&out));
            }
            // the scheduler's retry: the same command, the same --out
            let done = run_child(night, &fx, &state, &out, None);
            assert_eq!(
                done.status.code(),
                Some(0),
                "{stage}: {}",
                crate::common::describe(&done)
            );
            let alerts = std::fs::read(out.join("alerts.csv")).unwrap();
            assert!(
                alerts == reference[i],
                "{stage}: night {i}'s alerts differ from the uninterrupted run's"
            );
            union.extend(alert_ids(&out));
        }
        let mut union: Vec<String> = union
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        union.sort();
        let mut expected: Vec<String> = (0..nights.len())
            .flat_map(|i| alert_ids(&dir.join(format!("reference-{i}"))))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        expected.sort();
        assert_eq!(union, expected, "{stage}: the union of alerts differs");
    }
}

#[test]
fn a_damaged_current_stops_the_run_and_deletes_nothing() {
    let dir = temp_dir("damaged-current");
    let (fx, nights, state) = first_nights(&dir, 3);
    let generations = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&state)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with("gen-"))
            .collect();
        names.sort();
        names
    };
    let before = generations();
    assert_eq!(
        before,
        vec!["gen-000002", "gen-000003"],
        "the live generation and its parent"
    );
    let history_before = std::fs::read_dir(state.join("gen-000003/history"))
        .unwrap()
        .count();
    for (what, damage) in [
        ("missing", None),
        ("empty", Some("")),
        ("absent generation", Some("gen-000042")),
        ("garbage", Some("../../etc")),
    ] {
        match damage {
            None => std::fs::remove_file(state.join("CURRENT")).unwrap(),
            Some(text) => std::fs::write(state.join("CURRENT"), text).unwrap(),
        }
        let out = run_child(&nights[3], &fx, &state, &dir.join("out-damaged"), None);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{what}: {}",
            crate::common::describe(&out)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("nothing was deleted") && stderr.contains("gen-000003"),
            "{what}: {stderr}"
        );
        assert_eq!(generations(), before, "{what}: a generation was deleted");
        assert_eq!(
            std::fs::read_dir(state.join("gen-000003/history"))
                .unwrap()
                .count(),
            history_before
        );
    }
    // the operator writes the name the error gave: the nights go on
    std::fs::write(state.join("CURRENT"), "gen-000003").unwrap();
    let resumed = run_child(&nights[3], &fx, &state, &dir.join("out-resumed"), None);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        crate::common::describe(&resumed)
    );
    assert_eq!(
        std::fs::read_to_string(state.join("CURRENT")).unwrap(),
        "gen-000004"
    );
}

#[test]
fn one_row_dated_months_ahead_does_not_prune_the_history() {
    let dir = temp_dir("outlier-row");
    let (fx, nights, state) = first_nights(&dir, 10);
    // night 11 with one accepted row dated ten months after the rest (still in the past)
    let text = std::fs::read_to_string(&nights[10]).unwrap();
    let first_row = text.lines().nth(1).unwrap();
    let mut fields: Vec<&str> = first_row.split(',').collect();
    fields[0] = "OUTLIER-1";
    let outlier_ts = "2026-11-20T10:00:00Z";
    fields[1] = outlier_ts;
    let night = dir.join("night-with-outlier.csv");
    std::fs::write(&night, format!("{}{}\n", text, fields.join(","))).unwrap();
    let summary = run(&run_config(
        vec![night],
        &fx,
        dir.join("out"),
        Some(state.clone()),
    ))
    .unwrap();
    let n = summary.manifest.nightly.unwrap();
    assert!(
        n.history_days >= 11,
        "the history kept {} days: pruned relative to the outlier",
        n.history_days
    );
    // the manifest's figure is the state's
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("gen-000011/state.json")).unwrap())
            .unwrap();
    assert_eq!(meta["history_rows"].as_u64(), Some(n.history_rows_kept));
}

#[test]
fn a_run_that_fails_before_the_state_swap_leaves_the_state_usable() {
    let dir = temp_dir("crash");
    let (fx, nights, state) = first_nights(&dir, 5);
    // the same night, crashed at the state-write step (in a child process, so the failure
    // injection does not leak into other tests)
    let crashed = std::process::Command::new(env!("CARGO_BIN_EXE_amlscreen"))
        .args([
            "run",
            nights[5].to_str().unwrap(),
            "--fx",
            fx.to_str().unwrap(),
        ])
        .args([
            "--watchlist",
            root().join("sample-data/watchlists").to_str().unwrap(),
        ])
        .args(["--rules", root().join("rules").to_str().unwrap()])
        .args([
            "--state",
            state.to_str().unwrap(),
            "--out",
            dir.join("crashed").to_str().unwrap(),
        ])
        .env(amlscreen::state::FAIL_BEFORE_SWAP_ENV, "1")
        .output()
        .unwrap();
    assert_eq!(
        crashed.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&crashed.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(state.join("CURRENT")).unwrap(),
        "gen-000005"
    );
    assert!(
        state.join("gen-000006").exists(),
        "the unfinished generation is left behind"
    );

    let retried = run(&run_config(
        vec![nights[5].clone()],
        &fx,
        dir.join("retried"),
        Some(state.clone()),
    ))
    .unwrap();
    assert_eq!(retried.manifest.nightly.unwrap().generation_written, 6);
    assert!(
        !state.join("gen-000005").exists()
            || std::fs::read_to_string(state.join("CURRENT")).unwrap() == "gen-000006"
    );

    // the retried night equals a clean run of the same nights in a fresh state
    let clean = dir.join("clean-state");
    run_nights(&nights[..5], &fx, &dir.join("clean-out"), &clean);
    run(&run_config(
        vec![nights[5].clone()],
        &fx,
        dir.join("clean-6"),
        Some(clean),
    ))
    .unwrap();
    assert_eq!(
        std::fs::read(dir.join("retried/alerts.csv")).unwrap(),
        std::fs::read(dir.join("clean-6/alerts.csv")).unwrap()
    );
}

#[test]
fn a_late_row_older_than_the_lookback_is_reported_and_remembered() {
    let dir = temp_dir("late-row");
    let (fx, nights, state) = first_nights(&dir, 3);
    let late = dir.join("late.csv");
    std::fs::write(
        &late,
        format!(
            "{}\nLATE-1,2025-06-02T10:00:00Z,15000.00,USD,CASH,,Lena Late,JM,ACC-LATE,Lena Late,JM,KIN-01\n",
            crate::common::HEADER
        ),
    )
    .unwrap();
    let first = run(&run_config(
        vec![late.clone()],
        &fx,
        dir.join("late-1"),
        Some(state.clone()),
    ))
    .unwrap();
    assert!(
        first
            .manifest
            .alerts_per_rule
            .contains(&("cash_threshold".to_string(), 1)),
        "{:?}",
        first.manifest.alerts_per_rule
    );
    // delivered again at once: a retry of that night, which reports the same alert
    let again = run(&run_config(
        vec![late.clone()],
        &fx,
        dir.join("late-2"),
        Some(state.clone()),
    ))
    .unwrap();
    assert_eq!(again.manifest.nightly.unwrap().retry_of_generation, Some(4));
    assert_eq!(
        std::fs::read(dir.join("late-1/alerts.csv")).unwrap(),
        std::fs::read(dir.join("late-2/alerts.csv")).unwrap()
    );
    // delivered again with the next night: the late row is remembered as a duplicate
    let with_next = run(&run_config(
        vec![late, nights[3].clone()],
        &fx,
        dir.join("late-3"),
        Some(state),
    ))
    .unwrap();
    assert_eq!(
        with_next.manifest.inputs[0].quarantined_by_reason,
        vec![("duplicate_txn_id".to_string(), 1)]
    );
}

#[test]
fn a_second_run_on_the_same_state_is_refused_while_the_first_holds_it() {
    let dir = temp_dir("lock");
    let state_dir = dir.join("state");
    let held = amlscreen::state::State::open(&state_dir, "").expect("first run opens the state");
    let input = dir.join("day.csv");
    std::fs::write(
        &input,
        format!(
            "{}\nT1,2026-03-02T10:00:00Z,100.00,USD,CASH,,A,JM,ACC-1,A,JM,K\n",
            crate::common::HEADER
        ),
    )
    .unwrap();
    let run_on_state = || {
        crate::common::amlscreen(&[
            "run",
            input.to_str().unwrap(),
            "--state",
            state_dir.to_str().unwrap(),
            "--out",
            dir.join("out").to_str().unwrap(),
        ])
    };
    let out = run_on_state();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        crate::common::describe(&out)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("in use by another run"));
    drop(held);
    let again = run_on_state();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        crate::common::describe(&again)
    );
}

/// Runs one night's file over the state `DIR/state` (sample FX rates, `--out DIR/out-DAY`), with
/// an optional dispositions file; returns the night's manifest.
fn run_dispositions_night(
    dir: &Path,
    input: &Path,
    day: &str,
    dispositions: Option<&Path>,
) -> serde_json::Value {
    let mut args: Vec<String> = vec![
        "run".into(),
        input.display().to_string(),
        "--fx".into(),
        root().join("sample-data/fx.csv").display().to_string(),
        "--state".into(),
        dir.join("state").display().to_string(),
        "--out".into(),
        dir.join(format!("out-{day}")).display().to_string(),
    ];
    if let Some(d) = dispositions {
        args.extend(["--dispositions".into(), d.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = crate::common::amlscreen(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{day}: {}",
        crate::common::describe(&out)
    );
    serde_json::from_slice(&std::fs::read(dir.join(format!("out-{day}/manifest.json"))).unwrap())
        .unwrap()
}

#[test]
fn a_false_positive_pattern_is_suppressed_for_its_period_and_raised_after_it() {
    use crate::common::{amlscreen, describe, write, HEADER};
    let dir = temp_dir("dispositions");
    let state = dir.join("state");
    let fx = root().join("sample-data/fx.csv");
    // a retailer's daily takings: 15,000 in cash each night
    let night = |day: &str| {
        write(
            &dir,
            &format!("{day}.csv"),
            &format!(
                "{HEADER}\nD-{day},{day}T16:00:00Z,15000.00,USD,CASH,,Corner Shop Ltd,JM,ACC-SHOP,Corner Shop Ltd,JM,KIN-01\n"
            ),
        )
    };
    let run_night = |day: &str, dispositions: Option<&Path>| {
        run_dispositions_night(&dir, &night(day), day, dispositions)
    };
    let first = run_night("2026-03-02", None);
    assert!(first["alerts_per_rule"]
        .to_string()
        .contains("cash_threshold"));
    let alerts = std::fs::read_to_string(dir.join("out-2026-03-02/alerts.csv")).unwrap();
    let alert_id = alerts
        .lines()
        .find(|l| l.contains(",cash_threshold,"))
        .and_then(|l| l.split(',').next())
        .unwrap()
        .to_string();
    // the analyst marks it a false positive, a documented pattern until 2026-03-04
    let dispositions = write(
        &dir,
        "dispositions.csv",
        &format!(
            "alert_id,case_id,disposition,reason,analyst,date,suppress_until\n{alert_id},,false_positive,daily takings of a licensed retailer (KYC file 4411),a.brown,2026-03-02,2026-03-04\n"
        ),
    );
    let second = run_night("2026-03-03", Some(&dispositions));
    let nightly = &second["nightly"];
    assert_eq!(nightly["dispositions_folded"], 1);
    let suppressed = nightly["suppressed_by_disposition"].as_array().unwrap();
    assert_eq!(suppressed.len(), 1, "{nightly}");
    assert_eq!(suppressed[0]["rule_id"], "cash_threshold");
    assert_eq!(suppressed[0]["by"], format!("alert:{alert_id}"));
    assert!(
        !std::fs::read_to_string(dir.join("out-2026-03-03/alerts.csv"))
            .unwrap()
            .contains(",cash_threshold,"),
        "suppressed within the period"
    );
    let report = std::fs::read_to_string(dir.join("out-2026-03-03/report.html")).unwrap();
    assert!(report.contains("Suppressed by analyst dispositions (1)"));
    // still inside the period, with the disposition kept by the state
    let third = run_night("2026-03-04", None);
    assert_eq!(
        third["nightly"]["suppressed_by_disposition"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // after it: raised again
    let fourth = run_night("2026-03-05", None);
    assert!(fourth["nightly"]["suppressed_by_disposition"].is_null());
    assert!(
        std::fs::read_to_string(dir.join("out-2026-03-05/alerts.csv"))
            .unwrap()
            .contains(",cash_threshold,")
    );

    // true positives become labels that backtest reads
    let tp = write(
        &dir,
        "tp.csv",
        &format!(
            "alert_id,case_id,disposition,reason,analyst,date\n{alert_id},,true_positive,confirmed after review,b.clarke,2026-03-06\n"
        ),
    );
    run_night("2026-03-06", Some(&tp));
    let labels = dir.join("labels.csv");
    let out = amlscreen(&[
        "dispositions",
        "labels",
        "--state",
        state.to_str().unwrap(),
        "--out",
        labels.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let read = amlscreen::synth::read_labels_csv(&labels).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].subject_account, "ACC-SHOP");
    assert_eq!(read[0].typology, amlscreen::model::Typology::CashThreshold);

    // an unknown alert is refused with its line
    let unknown = write(
        &dir,
        "unknown.csv",
        "alert_id,case_id,disposition,reason,analyst,date\nffffffffffffffff,,false_positive,x,y,2026-03-06\n",
    );
    let out = amlscreen(&[
        "run",
        night("2026-03-07").to_str().unwrap(),
        "--fx",
        fx.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--dispositions",
        unknown.to_str().unwrap(),
        "--out",
        dir.join("out-unknown").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown.csv:2: field `alert_id`"),
        "{}",
        describe(&out)
    );
}

/// A disposition by `case_id` on a case of several accounts (a ring) resolves through the case
/// each alert was reported in, and suppresses the ring's alerts for its period.
#[test]
fn a_ring_case_can_be_disposed_of_by_its_case_id() {
    use crate::common::{write, HEADER};
    let dir = temp_dir("ring-disposition");
    // ACC-A pays ACC-B, which pays nearly all of it back the same day: a two-account cycle
    let night = |day: &str| {
        write(
            &dir,
            &format!("{day}.csv"),
            &format!(
                "{HEADER}\nA-{day},{day}T10:00:00Z,20000.00,USD,WIRE,ACC-A,Alpha Ltd,JM,ACC-B,Beta Ltd,JM,\nB-{day},{day}T15:00:00Z,19500.00,USD,WIRE,ACC-B,Beta Ltd,JM,ACC-A,Alpha Ltd,JM,\n"
            ),
        )
    };
    let run_night = |day: &str, dispositions: Option<&Path>| {
        run_dispositions_night(&dir, &night(day), day, dispositions)
    };
    run_night("2026-03-02", None);
    let cases =
        amlscreen::report::read_cases_jsonl(dir.join("out-2026-03-02/cases.jsonl")).unwrap();
    let ring = cases
        .iter()
        .find(|c| c.subject.accounts.len() > 1)
        .expect("a case of both accounts");
    assert_eq!(ring.subject.accounts, ["ACC-A", "ACC-B"]);
    let dispositions = write(
        &dir,
        "dispositions.csv",
        &format!(
            "alert_id,case_id,disposition,reason,analyst,date,suppress_until\n,{},false_positive,treasury sweep between two companies of one group (KYC file 77),a.brown,2026-03-02,2026-03-04\n",
            ring.case_id
        ),
    );
    let second = run_night("2026-03-03", Some(&dispositions));
    let nightly = &second["nightly"];
    assert_eq!(nightly["dispositions_folded"], 1, "{nightly}");
    let suppressed = nightly["suppressed_by_disposition"].as_array().unwrap();
    assert!(!suppressed.is_empty(), "{nightly}");
    let alerts = std::fs::read_to_string(dir.join("out-2026-03-03/alerts.csv")).unwrap();
    assert!(!alerts.contains("ACC-A"), "{alerts}");
}
