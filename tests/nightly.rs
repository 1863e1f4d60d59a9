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
        profile: None,
        fx: Some(fx.to_path_buf()),
        base_currency: None,
        delimiter: None,
        out_dir: out,
        sanctions_threshold: None,
        state,
        progress: false,
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
        watchlist_names: amlscreen::lab::watchlist_names(
            &[root().join("sample-data/watchlists")],
            100,
        )
        .unwrap(),
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
    for t in Typology::ALL {
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
fn rerunning_a_night_changes_nothing() {
    let dir = temp_dir("rerun");
    let (fx, nights, state) = first_nights(&dir, 20);
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
    let history_before = snapshot(state.join("gen-000020/history"));
    let again = run(&run_config(
        vec![nights[19].clone()],
        &fx,
        dir.join("again"),
        Some(state.clone()),
    ))
    .unwrap();
    let n = again.manifest.nightly.unwrap();
    assert_eq!(again.manifest.alerts_total, 0, "no alerts the second time");
    assert_eq!(n.alerts_new + n.alerts_updated, 0);
    let input = &again.manifest.inputs[0];
    assert_eq!(input.rows_accepted, 0);
    assert_eq!(
        input.quarantined_by_reason,
        vec![("duplicate_txn_id".to_string(), input.rows_read)]
    );
    let history_after = snapshot(state.join("gen-000021/history"));
    assert!(!history_before.is_empty());
    assert!(
        history_before == history_after,
        "the history changed when a night was re-run"
    );
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
fn a_late_row_older_than_the_lookback_is_reported_once() {
    let dir = temp_dir("late-row");
    let (fx, _, state) = first_nights(&dir, 3);
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
    let again = run(&run_config(
        vec![late],
        &fx,
        dir.join("late-2"),
        Some(state),
    ))
    .unwrap();
    assert_eq!(
        again.manifest.alerts_total, 0,
        "the late row is remembered by the state"
    );
    assert_eq!(
        again.manifest.inputs[0].quarantined_by_reason,
        vec![("duplicate_txn_id".to_string(), 1)]
    );
}

#[test]
fn a_second_run_on_the_same_state_is_refused_while_the_first_holds_it() {
    let dir = temp_dir("lock");
    let state_dir = dir.join("state");
    let held = amlscreen::state::State::open(&state_dir).expect("first run opens the state");
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
