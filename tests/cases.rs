//! Cases: grouping, cycle joining, the score formula, bands, ordering, determinism and snapshots
//! of `cases.jsonl` and the narratives.

use amlscreen::cases::score::{case_score, severity_floor};
use amlscreen::cases::{build_cases, case_id_for, write_cases_jsonl, Band, Case};
use amlscreen::model::{Alert, Channel, RuleInfo, TxnRecord, Typology};
use amlscreen::report::{read_cases_jsonl, ReportError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = manifest_dir().join("tests/fixtures/cases").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fixture alerts, transactions (by id) and rules.
pub fn fixture_inputs() -> (Vec<Alert>, HashMap<String, TxnRecord>, Vec<RuleInfo>) {
    let alerts: Vec<Alert> = read_json("alerts.json");
    let txns: Vec<TxnRecord> = read_json("transactions.json");
    let rules: Vec<RuleInfo> = read_json("rules.json");
    let by_id = txns.into_iter().map(|t| (t.txn_id.clone(), t)).collect();
    (alerts, by_id, rules)
}

/// Cases built from the fixtures.
pub fn fixture_cases() -> Vec<Case> {
    let (alerts, txns, rules) = fixture_inputs();
    build_cases(&alerts, &txns, &rules)
}

fn jsonl(cases: &[Case]) -> String {
    let mut out = Vec::new();
    write_cases_jsonl(&mut out, cases).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("JSON is UTF-8")
}

fn case_with<'a>(cases: &'a [Case], account: &str) -> &'a Case {
    cases
        .iter()
        .find(|c| c.subject.accounts.iter().any(|a| a == account))
        .unwrap_or_else(|| panic!("no case for {account}"))
}

/// Compares `actual` with `tests/snapshots/NAME`; with `UPDATE_SNAPSHOTS=1` rewrites it instead.
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = manifest_dir().join("tests/snapshots").join(name);
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().expect("snapshot folder"))
            .expect("create snapshot folder");
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "snapshot {} cannot be read ({e}); run the tests with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "snapshot {} differs at line {}:\n expected: {}\n   actual: {}\nIf the change is intended, rerun with UPDATE_SNAPSHOTS=1 and review the diff.",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end of file>"),
            actual.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}

fn alert(
    id: &str,
    typology: Typology,
    account: &str,
    score: f64,
    severity: &str,
    txn_ids: &[&str],
) -> Alert {
    Alert {
        alert_id: id.to_string(),
        rule_id: format!("R-{}", typology.as_str()),
        pack: "test".to_string(),
        typology,
        subject_account: account.to_string(),
        subject_name: String::new(),
        window_start: "2026-01-01T00:00:00Z".to_string(),
        window_end: "2026-01-02T00:00:00Z".to_string(),
        txn_count: txn_ids.len() as u64,
        total_amount: "0.00".to_string(),
        currency: "USD".to_string(),
        score,
        txn_ids: txn_ids.iter().map(|s| s.to_string()).collect(),
        summary: String::new(),
        severity: severity.to_string(),
        details: Vec::new(),
    }
}

fn txn(id: &str, timestamp: &str, from: &str, to: &str) -> TxnRecord {
    TxnRecord {
        txn_id: id.to_string(),
        timestamp: timestamp.to_string(),
        amount: "100.00".to_string(),
        currency: "USD".to_string(),
        amount_base: "100.00".to_string(),
        channel: Channel::Wire,
        orig_account: from.to_string(),
        orig_name: String::new(),
        orig_country: "US".to_string(),
        bene_account: to.to_string(),
        bene_name: String::new(),
        bene_country: "US".to_string(),
        branch: String::new(),
    }
}

fn score_of(alerts: &[Alert]) -> f64 {
    case_score(alerts.iter().map(|a| (a, a.severity.as_str())))
}

#[test]
fn alerts_of_one_subject_form_one_case() {
    let cases = fixture_cases();
    let lopez = case_with(&cases, "ACC-1001");
    assert_eq!(lopez.subject.accounts, vec!["ACC-1001"]);
    assert_eq!(lopez.alerts.len(), 2);
    assert_eq!(
        lopez.typologies,
        vec![Typology::Structuring, Typology::BulkCash]
    );
    assert_eq!(lopez.subject.names, vec!["Maria Lopez"]);
    assert_eq!(lopez.subject.countries, vec!["US"]);
    // The union of the evidence of both alerts, once each.
    let ids: Vec<String> = lopez
        .transactions
        .records()
        .unwrap()
        .iter()
        .map(|t| t.txn_id.clone())
        .collect();
    assert_eq!(ids, vec!["T001", "T002", "T003", "T004", "T005"]);
    assert_eq!(lopez.total_amount, "73050.00");
    assert_eq!(lopez.first_activity, "2026-03-02T10:14:00Z");
    assert_eq!(lopez.last_activity, "2026-03-09T11:20:00Z");
}

#[test]
fn a_cycle_alert_joins_the_accounts_it_links() {
    let cases = fixture_cases();
    assert_eq!(cases.len(), 5, "five subjects after joining the cycle");
    let ring = case_with(&cases, "ACC-2001");
    assert_eq!(
        ring.subject.accounts,
        vec!["ACC-2001", "ACC-2002", "ACC-2003"]
    );
    // The fan-in alert of ACC-2003 joins the cycle case through the cycle's evidence.
    let rules: Vec<&str> = ring.alerts.iter().map(|a| a.rule_id.as_str()).collect();
    assert_eq!(rules, vec!["NET-CYCLE-01", "NET-FANIN-01"]);
    assert_eq!(ring.transactions.len(), 7);
    assert!(ring
        .narrative
        .contains("linked by a circular flow of funds"));
    // Counterparties are the accounts outside the ring.
    let cps: Vec<&str> = ring
        .counterparties
        .iter()
        .map(|c| c.account.as_str())
        .collect();
    assert_eq!(cps, vec!["ACC-6103", "ACC-6101", "ACC-6104", "ACC-6102"]);
}

#[test]
fn cases_citing_one_transaction_share_its_record_when_the_evidence_is_shared() {
    // the run gives the case builder shared records, so a run's evidence is held once in
    // memory however many cases cite it (a record copied per case doubled it)
    let record = std::sync::Arc::new(txn("t1", "2026-01-01T00:00:00Z", "A", "B"));
    let txns: HashMap<String, std::sync::Arc<TxnRecord>> =
        HashMap::from([("t1".to_string(), std::sync::Arc::clone(&record))]);
    let alerts = vec![
        alert("a1", Typology::FanOut, "A", 50.0, "medium", &["t1"]),
        alert("a2", Typology::FanIn, "B", 50.0, "medium", &["t1"]),
    ];
    let cases = build_cases(&alerts, &txns, &[]);
    assert_eq!(cases.len(), 2);
    for case in &cases {
        assert_eq!(case.transactions.len(), 1);
        assert!(std::sync::Arc::ptr_eq(
            &case.transactions.records().unwrap()[0],
            &record
        ));
    }
    // and the file is the same as from records of their own
    let owned: HashMap<String, TxnRecord> = HashMap::from([("t1".to_string(), (*record).clone())]);
    let mut shared_bytes = Vec::new();
    write_cases_jsonl(&mut shared_bytes, &cases).unwrap();
    let mut owned_bytes = Vec::new();
    write_cases_jsonl(&mut owned_bytes, &build_cases(&alerts, &owned, &[])).unwrap();
    assert_eq!(shared_bytes, owned_bytes);
}

#[test]
fn cases_of_spilled_evidence_keep_numbers_and_write_the_same_bytes_as_held_records() {
    // the Spark engine spills its evidence to a file; cases then keep each record's number and
    // read it back when they are written
    let (alerts, txns, rules) = fixture_inputs();
    let held_cases = build_cases(&alerts, &txns, &rules);
    let mut ids: Vec<&String> = txns.keys().collect();
    ids.sort();
    let mut writer = amlscreen::evidence::SpillWriter::new().unwrap();
    // spilled in another order than the ids', and one record held beside them
    for id in ids.iter().skip(1).rev() {
        writer.push(&txns[*id]).unwrap();
    }
    let mut evidence = amlscreen::evidence::Evidence::spilled(writer.finish().unwrap());
    evidence.extend_held([(ids[0].clone(), std::sync::Arc::new(txns[ids[0]].clone()))]);
    assert_eq!(evidence.len(), txns.len());
    let cases = amlscreen::cases::build_run_cases(
        alerts.clone(),
        &evidence,
        &rules,
        &std::collections::BTreeMap::new(),
    )
    .unwrap();
    let spilled: usize = cases.iter().map(|c| c.transactions.spilled()).sum();
    let cited: usize = cases.iter().map(|c| c.transactions.len()).sum();
    assert!(
        spilled > 0 && spilled < cited,
        "{spilled} of {cited} kept by number"
    );
    assert_eq!(cases, held_cases);
    assert_eq!(jsonl(&cases), jsonl(&held_cases));
    let manifest = amlscreen::model::Manifest::default();
    let mut spilled_html = Vec::new();
    amlscreen::report::write_html(&mut spilled_html, &manifest, &cases, &rules).unwrap();
    assert_eq!(
        String::from_utf8(spilled_html).unwrap(),
        amlscreen::report::render_html(&manifest, &held_cases, &rules)
    );
    // a case changed after it was built holds its records from then on
    let mut changed = cases[0].clone();
    changed.transactions.to_mut().unwrap()[0] = std::sync::Arc::new(txns[ids[1]].clone());
    assert_eq!(changed.transactions.spilled(), 0);
    assert_eq!(changed.transactions.len(), cases[0].transactions.len());
}

#[test]
fn accounts_linked_only_through_a_non_cycle_alert_stay_apart() {
    let txns: HashMap<String, TxnRecord> = [txn("t1", "2026-01-01T00:00:00Z", "A", "B")]
        .into_iter()
        .map(|t| (t.txn_id.clone(), t))
        .collect();
    let alerts = vec![
        alert("a1", Typology::FanOut, "A", 50.0, "medium", &["t1"]),
        alert("a2", Typology::FanIn, "B", 50.0, "medium", &["t1"]),
    ];
    let cases = build_cases(&alerts, &txns, &[]);
    assert_eq!(cases.len(), 2);
    let joined = build_cases(
        &[
            alerts[0].clone(),
            alert("a3", Typology::Cycle, "B", 60.0, "high", &["t1"]),
        ],
        &txns,
        &[],
    );
    assert_eq!(joined.len(), 1);
    assert_eq!(joined[0].subject.accounts, vec!["A", "B"]);
}

#[test]
fn case_id_is_a_hash_of_the_sorted_subject_accounts() {
    let id = case_id_for(&["B".to_string(), "A".to_string()]);
    assert_eq!(id, case_id_for(&["A".to_string(), "B".to_string()]));
    assert_eq!(id.len(), 14);
    assert!(id.starts_with("C-"));
    assert!(id[2..]
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    // sha256("A\nB") starts with these 12 hex digits.
    use sha2::Digest;
    let full = sha2::Sha256::digest(b"A\nB");
    let hex: String = full.iter().take(6).map(|b| format!("{b:02x}")).collect();
    assert_eq!(id, format!("C-{hex}"));
    for case in fixture_cases() {
        assert_eq!(case.case_id, case_id_for(&case.subject.accounts));
    }
}

#[test]
fn score_is_the_strongest_alert_plus_diminishing_bonuses() {
    let one = [alert("a", Typology::Structuring, "X", 70.0, "low", &[])];
    assert_eq!(score_of(&one), 70.0);

    // A second alert of the same typology adds nothing.
    let same = [
        one[0].clone(),
        alert("b", Typology::Structuring, "X", 65.0, "low", &[]),
    ];
    assert_eq!(score_of(&same), 70.0);

    // Further typologies: +10·s/100, then +5·s/100, then +2.5·s/100.
    let two = [
        one[0].clone(),
        alert("b", Typology::FanIn, "X", 60.0, "low", &[]),
    ];
    assert_eq!(score_of(&two), 76.0);
    let three = [
        two[0].clone(),
        two[1].clone(),
        alert("c", Typology::RoundAmounts, "X", 50.0, "low", &[]),
    ];
    assert_eq!(score_of(&three), 78.5);
    let four = [
        three[0].clone(),
        three[1].clone(),
        three[2].clone(),
        alert("d", Typology::VelocitySpike, "X", 40.0, "low", &[]),
    ];
    assert_eq!(score_of(&four), 79.5);

    // Sanctions add 15; the total is capped at 100.
    let sanctions = [alert("s", Typology::Sanctions, "X", 60.0, "low", &[])];
    assert_eq!(score_of(&sanctions), 75.0);
    let capped = [
        alert("s", Typology::Sanctions, "X", 95.0, "critical", &[]),
        alert("g", Typology::HighRiskGeography, "X", 60.0, "medium", &[]),
    ];
    assert_eq!(score_of(&capped), 100.0);

    // Severity sets a floor.
    let critical_low_score = [alert(
        "c",
        Typology::CashThreshold,
        "X",
        30.0,
        "critical",
        &[],
    )];
    assert_eq!(score_of(&critical_low_score), 90.0);
    assert_eq!(severity_floor("HIGH"), 70.0);
    assert_eq!(severity_floor("medium"), 40.0);
    assert_eq!(severity_floor("unknown"), 0.0);

    // Out-of-range and NaN scores are clamped, never panic.
    let odd = [
        alert("n", Typology::Cycle, "X", f64::NAN, "", &[]),
        alert("m", Typology::FanOut, "X", 250.0, "", &[]),
    ];
    assert_eq!(score_of(&odd), 100.0);
    assert_eq!(score_of(&[]), 0.0);
}

#[test]
fn evidence_adds_five_points_per_doubling_up_to_ten() {
    use amlscreen::cases::score::evidence_points;
    assert_eq!(evidence_points(0), 0.0);
    assert_eq!(evidence_points(1), 0.0);
    assert_eq!(evidence_points(2), 5.0);
    assert!((evidence_points(3) - 5.0 * 3f64.log2()).abs() < 1e-12);
    assert_eq!(evidence_points(4), 10.0);
    assert_eq!(evidence_points(1000), 10.0);
    // distinct transactions across alerts: T1 is cited twice, so 3 in all → 7.9
    let alerts = [
        alert("a", Typology::Structuring, "X", 50.0, "low", &["T1", "T2"]),
        alert("b", Typology::Structuring, "X", 40.0, "low", &["T1", "T3"]),
    ];
    assert_eq!(score_of(&alerts), 57.9);
    // a pattern of four transactions outranks a one-off of a stronger rule
    let pattern = [alert(
        "p",
        Typology::RoundAmounts,
        "X",
        30.0,
        "low",
        &["1", "2", "3", "4"],
    )];
    let one_off = [alert(
        "o",
        Typology::CashThreshold,
        "X",
        35.0,
        "low",
        &["9"],
    )];
    assert!(score_of(&pattern) > score_of(&one_off));
}

#[test]
fn every_signal_is_explained_with_its_alert_and_points() {
    use amlscreen::cases::score::explain_case_score;
    use amlscreen::cases::ScoreSignal;
    let alerts = [
        alert(
            "s1",
            Typology::Structuring,
            "X",
            70.0,
            "high",
            &["T1", "T2"],
        ),
        alert("s2", Typology::Structuring, "X", 70.0, "high", &["T3"]),
        alert("f1", Typology::FanIn, "X", 60.0, "medium", &["T4"]),
        alert("n1", Typology::Sanctions, "X", 95.0, "low", &[]),
    ];
    let (score, reasons) = explain_case_score(alerts.iter().map(|a| (a, a.severity.as_str())));
    let got: Vec<(ScoreSignal, f64, &str)> = reasons
        .iter()
        .map(|r| (r.signal, r.points, r.alert_id.as_str()))
        .collect();
    // 95 + 10·0.70 + 5·0.60 + 15 + 10 (4 transactions) = 130 → capped at 100
    assert_eq!(
        got,
        vec![
            (ScoreSignal::Rule, 95.0, "n1"),
            (ScoreSignal::Breadth, 7.0, "s1"),
            (ScoreSignal::Breadth, 3.0, "f1"),
            (ScoreSignal::Sanctions, 15.0, "n1"),
            (ScoreSignal::Evidence, 10.0, ""),
            (ScoreSignal::Cap, -30.0, ""),
        ]
    );
    assert_eq!(score, 100.0);
    assert!(reasons[0].text.contains("sanctions"), "{:?}", reasons[0]);

    // the floor lifts a weak rule and names the alert whose severity set it
    let weak = [alert(
        "w",
        Typology::CashThreshold,
        "X",
        35.0,
        "medium",
        &["T1"],
    )];
    let (score, reasons) = explain_case_score(weak.iter().map(|a| (a, a.severity.as_str())));
    assert_eq!(score, 40.0);
    assert_eq!(reasons.len(), 2);
    assert_eq!(
        (
            reasons[1].signal,
            reasons[1].points,
            reasons[1].alert_id.as_str()
        ),
        (ScoreSignal::SeverityFloor, 5.0, "w")
    );
    assert!(reasons[1].text.contains("medium"), "{:?}", reasons[1]);

    // cases carry the reasons; files written before them still read
    let cases = build_cases(&weak, &HashMap::<String, TxnRecord>::new(), &[]);
    assert_eq!(cases[0].score_reasons, reasons);
    let mut line = serde_json::to_value(&cases[0]).unwrap();
    line.as_object_mut().unwrap().remove("score_reasons");
    let old: amlscreen::cases::Case = serde_json::from_value(line).unwrap();
    assert!(old.score_reasons.is_empty());
}

#[test]
fn severity_comes_from_the_rule_when_the_alert_has_none() {
    let rules = vec![RuleInfo {
        rule_id: "R-cash_threshold".to_string(),
        severity: "critical".to_string(),
        ..RuleInfo::default()
    }];
    let cases = build_cases(
        &[alert("a", Typology::CashThreshold, "X", 30.0, "", &[])],
        &HashMap::<String, TxnRecord>::new(),
        &rules,
    );
    assert_eq!(cases[0].score, 90.0);
    assert_eq!(cases[0].band, Band::Critical);
}

#[test]
fn bands_follow_the_score() {
    assert_eq!(Band::from_score(100.0), Band::Critical);
    assert_eq!(Band::from_score(90.0), Band::Critical);
    assert_eq!(Band::from_score(89.9), Band::High);
    assert_eq!(Band::from_score(70.0), Band::High);
    assert_eq!(Band::from_score(69.9), Band::Medium);
    assert_eq!(Band::from_score(40.0), Band::Medium);
    assert_eq!(Band::from_score(39.9), Band::Low);
    assert_eq!(Band::from_score(0.0), Band::Low);

    let cases = fixture_cases();
    let summary: Vec<(&str, f64, Band)> = cases
        .iter()
        .map(|c| (c.subject.accounts[0].as_str(), c.score, c.band))
        .collect();
    assert_eq!(
        summary,
        vec![
            // the scores of the earlier formula plus the evidence signal: 85.5 and 82 with
            // four or more transactions gain 10, 45 with three gains 7.9
            ("ACC-3001", 100.0, Band::Critical),
            ("ACC-2001", 95.5, Band::Critical),
            ("ACC-1001", 92.0, Band::Critical),
            ("ACC-5001", 52.9, Band::Medium),
            ("ACC-4001", 30.0, Band::Low),
        ]
    );
}

#[test]
fn cases_are_sorted_by_score_then_case_id() {
    let alerts: Vec<Alert> = ["P", "Q", "R", "S"]
        .iter()
        .enumerate()
        .map(|(i, acct)| {
            alert(
                &format!("a{i}"),
                Typology::FanIn,
                acct,
                if i == 3 { 80.0 } else { 50.0 },
                "",
                &[],
            )
        })
        .collect();
    let cases = build_cases(&alerts, &HashMap::<String, TxnRecord>::new(), &[]);
    assert_eq!(cases[0].subject.accounts, vec!["S"]);
    let tied: Vec<&str> = cases[1..].iter().map(|c| c.case_id.as_str()).collect();
    let mut sorted = tied.clone();
    sorted.sort_unstable();
    assert_eq!(tied, sorted);
}

#[test]
fn evidence_is_sorted_by_instant_then_id_and_missing_ids_are_kept() {
    let txns: HashMap<String, TxnRecord> = [
        txn("t3", "2026-01-01T10:00:00Z", "A", "B"),
        txn("t2", "2026-01-01T10:00:00.500000Z", "A", "B"),
        txn("t1", "2026-01-01T10:00:00Z", "A", "B"),
        txn("t0", "2026-01-01T09:59:59Z", "A", "B"),
    ]
    .into_iter()
    .map(|t| (t.txn_id.clone(), t))
    .collect();
    let cases = build_cases(
        &[alert(
            "a",
            Typology::FanOut,
            "A",
            50.0,
            "",
            &["t3", "t2", "t1", "t0", "gone"],
        )],
        &txns,
        &[],
    );
    let ids: Vec<String> = cases[0]
        .transactions
        .records()
        .unwrap()
        .iter()
        .map(|t| t.txn_id.clone())
        .collect();
    assert_eq!(ids, vec!["t0", "t1", "t3", "t2"]);
    assert_eq!(cases[0].missing_txn_ids, vec!["gone"]);

    let dormant = fixture_cases();
    assert_eq!(
        case_with(&dormant, "ACC-5001").missing_txn_ids,
        vec!["T049"]
    );
}

#[test]
fn output_does_not_depend_on_input_order() {
    let (mut alerts, txns, rules) = fixture_inputs();
    let first = jsonl(&build_cases(&alerts, &txns, &rules));
    alerts.reverse();
    let second = jsonl(&build_cases(&alerts, &txns, &rules));
    alerts.rotate_left(3);
    let third = jsonl(&build_cases(&alerts, &txns, &rules));
    assert_eq!(first, second);
    assert_eq!(first, third);
    assert_eq!(first.lines().count(), 5);
    assert!(first.ends_with('\n'));
}

#[test]
fn narrative_says_who_what_when_how_much_and_why() {
    let cases = fixture_cases();
    let lopez = case_with(&cases, "ACC-1001");
    let n = &lopez.narrative;
    for needle in [
        "Account ACC-1001 (Maria Lopez; US)",
        "2 alerts from 2 rules between 2026-03-02 and 2026-03-09",
        "5 transactions totalling 73,050.00 USD",
        "CASH-STRUCT-01",
        "CASH-BULK-01",
        "consistent with bulk cash placement then transfer and structuring",
        "Why it matters:",
        "Seaview Holdings Ltd (account KY-77310), KY, 35,000.00 USD in 1 transaction",
    ] {
        assert!(n.contains(needle), "narrative lacks {needle:?}:\n{n}");
    }
}

#[test]
fn cases_jsonl_round_trips_and_errors_name_the_line() {
    let cases = fixture_cases();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cases-roundtrip");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("cases.jsonl");
    std::fs::write(&path, jsonl(&cases)).expect("write cases");
    assert_eq!(read_cases_jsonl(&path).expect("read back"), cases);

    let broken = dir.join("broken.jsonl");
    let mut text = jsonl(&cases[..2]);
    text.push_str("{\"case_id\": \"C-1\"}\n");
    std::fs::write(&broken, text).expect("write broken");
    match read_cases_jsonl(&broken) {
        Err(ReportError::CaseLine { line, path, .. }) => {
            assert_eq!(line, 3);
            assert_eq!(path, broken);
        }
        other => panic!("expected a line error, got {other:?}"),
    }
    let err = read_cases_jsonl(Path::new("/nonexistent/cases.jsonl")).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/cases.jsonl"),
        "{err}"
    );
}

#[test]
fn snapshot_of_cases_jsonl() {
    assert_snapshot("cases.jsonl", &jsonl(&fixture_cases()));
}

#[test]
fn snapshot_of_narratives() {
    let text: String = fixture_cases()
        .iter()
        .map(|c| {
            format!(
                "{} [{} {}]\n{}\n\n",
                c.case_id, c.band, c.score, c.narrative
            )
        })
        .collect();
    assert_snapshot("narratives.txt", &text);
}

/// A typology that fired in many separate episodes is the account's routine (a money service
/// business's daily cash): it counts at 3 in N, sets no floor, and the account's other
/// typologies count half.
#[test]
fn a_routine_typology_and_a_busy_account_weigh_less() {
    use amlscreen::cases::score::explain_case_score;
    let score_of =
        |alerts: &[Alert]| explain_case_score(alerts.iter().map(|a| (a, a.severity.as_str()))).0;
    let bulk = alert("b", Typology::BulkCash, "M", 75.0, "high", &["B1", "B2"]);
    // the same bulk-cash episode on a quiet account: 75, at least 70 (high)
    assert_eq!(score_of(std::slice::from_ref(&bulk)), 75.0 + 5.0);
    // beside 12 separate cash-threshold reports: threshold counts 50 × 3/12 = 12.5 and sets
    // no floor, bulk cash counts half (37.5) and keeps its own severity floor (high: 70)
    let mut busy = vec![bulk.clone()];
    for k in 0..12 {
        let id = format!("c{k}");
        let txn = format!("C{k}");
        busy.push(alert(
            &id,
            Typology::CashThreshold,
            "M",
            50.0,
            "high",
            &[txn.as_str()],
        ));
    }
    let (score, reasons) = explain_case_score(busy.iter().map(|a| (a, a.severity.as_str())));
    assert_eq!(score, 70.0);
    let points: f64 = reasons
        .iter()
        .filter(|r| r.signal != amlscreen::cases::ScoreSignal::SeverityFloor)
        .map(|r| r.points)
        .sum();
    assert!(
        (points - (37.5 + 10.0 * 0.125 + 5.0)).abs() < 0.11,
        "{reasons:?}"
    );
    // without the floor's rule being high, the busy account's case stays low
    let mut quiet_rule = busy.clone();
    quiet_rule[0].severity = "medium".to_string();
    assert_eq!(score_of(&quiet_rule), 43.8);
    assert!(reasons.iter().any(|r| r
        .text
        .contains("routine for this account: 12 separate episodes")));
    assert!(reasons
        .iter()
        .any(|r| r.text.contains("the account alerts routinely")));
    // three episodes are not yet routine
    let three: Vec<Alert> = (0..3)
        .map(|k| {
            alert(
                &format!("c{k}"),
                Typology::CashThreshold,
                "Q",
                50.0,
                "high",
                &["X"],
            )
        })
        .collect();
    assert_eq!(score_of(&three), 70.0);
}
