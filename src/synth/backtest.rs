//! Backtest scoring: how many planted instances the alerts found, and at what alert cost.
//!
//! An instance counts as found when an alert of the same typology names its subject account or
//! shares at least one transaction with it. Alerts are split three ways: *matched* (they find an
//! instance of their own typology), *co-alerts* (they touch a planted instance of another
//! typology, e.g. the cash-aggregation alert a bulk-cash placement also raises) and *false*
//! (they touch nothing planted: the false-positive cost on clean customers).

use super::labels::Label;
use super::SynthError;
use crate::model::{Alert, Typology};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;

/// Scores for one rule or one typology.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BacktestRow {
    /// The rule id (per-rule rows) or typology code (per-typology rows).
    pub key: String,
    /// The typology code.
    pub typology: String,
    /// Alerts raised.
    pub alerts: u64,
    /// Alerts that find at least one instance of their typology.
    pub matched_alerts: u64,
    /// Alerts that find none of their typology but touch another planted instance.
    pub co_alerts: u64,
    /// Alerts that touch nothing planted.
    pub false_alerts: u64,
    /// Planted instances of the typology.
    pub instances: u64,
    /// Instances found.
    pub found: u64,
    /// Instances not found.
    pub missed: u64,
    /// `found / instances`; `None` without instances.
    pub recall: Option<f64>,
    /// `matched_alerts / alerts`; `None` without alerts.
    pub precision: Option<f64>,
    /// Alerts per 1,000 customer accounts.
    pub alerts_per_1k_accounts: f64,
    /// False alerts per 1,000 customer accounts.
    pub false_alerts_per_1k_accounts: f64,
    /// Ids of the missed instances.
    pub missed_instances: Vec<String>,
}

/// The whole backtest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BacktestReport {
    /// Customer accounts in the data set.
    pub accounts_total: u64,
    /// Alerts scored.
    pub alerts_total: u64,
    /// Planted instances.
    pub instances_total: u64,
    /// Instances found by some alert of their typology.
    pub found_total: u64,
    /// `found_total / instances_total`.
    pub recall: Option<f64>,
    /// Matched alerts over all alerts.
    pub precision: Option<f64>,
    /// Alerts touching nothing planted.
    pub false_alerts_total: u64,
    /// One row per rule id, sorted by rule id.
    pub per_rule: Vec<BacktestRow>,
    /// One row per typology with instances or alerts, in vocabulary order.
    pub per_typology: Vec<BacktestRow>,
    /// Transaction-level scores: planted transactions against the transactions alerts cite.
    #[serde(default)]
    pub transactions: TxnScores,
    /// Case-level ranking scores (see [`super::ranking`]); absent when cases were not built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking: Option<super::ranking::RankingScores>,
}

/// Transaction-level precision, recall and F1: a planted transaction is a positive, a
/// transaction cited by any alert is flagged (each counted once, whatever its alerts).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TxnScores {
    /// Distinct planted transactions.
    pub planted: u64,
    /// Distinct transactions cited by alerts.
    pub flagged: u64,
    /// Both.
    pub flagged_planted: u64,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
}

impl TxnScores {
    /// Scores the alerts' transactions against the labels' transactions.
    pub fn of(alerts: &[Alert], labels: &[Label]) -> TxnScores {
        let planted: HashSet<&str> = labels
            .iter()
            .flat_map(|l| l.txn_ids.iter().map(String::as_str))
            .collect();
        let flagged: HashSet<&str> = alerts.iter().flat_map(|a| a.txn_ids.iter()).collect();
        let both = flagged.iter().filter(|t| planted.contains(*t)).count() as u64;
        let (planted, flagged) = (planted.len() as u64, flagged.len() as u64);
        let precision = (flagged > 0).then(|| both as f64 / flagged as f64);
        let recall = (planted > 0).then(|| both as f64 / planted as f64);
        let f1 = match (precision, recall) {
            (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
            (Some(_), Some(_)) => Some(0.0),
            _ => None,
        };
        TxnScores {
            planted,
            flagged,
            flagged_planted: both,
            precision,
            recall,
            f1,
        }
    }
}

/// One setting of a parameter sweep and its outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// `(parameter, value)` pairs of this setting.
    pub setting: Vec<(String, String)>,
    /// Alerts raised.
    pub alerts: u64,
    /// Recall of the swept rule's typology.
    pub recall: Option<f64>,
    /// Precision of the swept rule.
    pub precision: Option<f64>,
}

/// A parameter sweep: the swept parameter names and one point per setting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    /// Parameter names, in column order.
    pub parameters: Vec<String>,
    /// One point per setting.
    pub points: Vec<SweepPoint>,
}

/// Writes a sweep as CSV: one column per parameter, then `alerts,recall,precision` (empty
/// when undefined). Parameter names and values pass
/// [`spreadsheet_safe`](crate::output::spreadsheet_safe).
pub fn write_sweep_csv<W: Write>(w: W, sweep: &SweepResult) -> Result<(), SynthError> {
    let mut out = csv::Writer::from_writer(w);
    let mut header: Vec<String> = sweep
        .parameters
        .iter()
        .map(|p| crate::output::spreadsheet_safe(p).into_owned())
        .collect();
    header.extend(["alerts", "recall", "precision"].map(String::from));
    out.write_record(&header)?;
    let ratio = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
    for point in &sweep.points {
        let mut record: Vec<String> = sweep
            .parameters
            .iter()
            .map(|p| {
                point
                    .setting
                    .iter()
                    .find(|(k, _)| k == p)
                    .map(|(_, v)| crate::output::spreadsheet_safe(v).into_owned())
                    .unwrap_or_default()
            })
            .collect();
        record.push(point.alerts.to_string());
        record.push(ratio(point.recall));
        record.push(ratio(point.precision));
        out.write_record(&record)?;
    }
    out.flush()?;
    Ok(())
}

/// What one alert touched.
enum Outcome {
    /// Found these labels of its own typology.
    Matched(Vec<usize>),
    /// Touched a planted instance of another typology only.
    Co,
    /// Touched nothing planted.
    False,
}

/// Scores alerts against planted labels. `accounts_total` is the customer count used for the
/// per-1,000-account figures.
pub fn score_backtest(alerts: &[Alert], labels: &[Label], accounts_total: u64) -> BacktestReport {
    let mut by_subject: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_txn: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut planted_accounts: HashSet<&str> = HashSet::new();
    for (i, label) in labels.iter().enumerate() {
        by_subject
            .entry(label.subject_account.as_str())
            .or_default()
            .push(i);
        planted_accounts.insert(label.subject_account.as_str());
        planted_accounts.extend(label.accounts.iter().map(String::as_str));
        for t in &label.txn_ids {
            by_txn.entry(t.as_str()).or_default().push(i);
        }
    }
    let outcome_of = |alert: &Alert| -> Outcome {
        let mut touched: BTreeSet<usize> = BTreeSet::new();
        if let Some(ls) = by_subject.get(alert.subject_account.as_str()) {
            touched.extend(ls);
        }
        for t in &alert.txn_ids {
            if let Some(ls) = by_txn.get(t) {
                touched.extend(ls);
            }
        }
        let matched: Vec<usize> = touched
            .iter()
            .copied()
            .filter(|&l| labels[l].typology == alert.typology)
            .collect();
        if !matched.is_empty() {
            Outcome::Matched(matched)
        } else if !touched.is_empty() || planted_accounts.contains(alert.subject_account.as_str()) {
            Outcome::Co
        } else {
            Outcome::False
        }
    };

    #[derive(Default)]
    struct Tally {
        typology: Option<Typology>,
        alerts: u64,
        matched: u64,
        co: u64,
        false_alerts: u64,
        found: BTreeSet<usize>,
    }
    let mut rules: BTreeMap<String, Tally> = BTreeMap::new();
    let mut typologies: BTreeMap<Typology, Tally> = BTreeMap::new();
    for label in labels {
        typologies.entry(label.typology).or_default();
    }
    for alert in alerts {
        let outcome = outcome_of(alert);
        for tally in [
            rules.entry(alert.rule_id.clone()).or_default(),
            typologies.entry(alert.typology).or_default(),
        ] {
            tally.typology = Some(alert.typology);
            tally.alerts += 1;
            match &outcome {
                Outcome::Matched(ls) => {
                    tally.matched += 1;
                    tally.found.extend(ls);
                }
                Outcome::Co => tally.co += 1,
                Outcome::False => tally.false_alerts += 1,
            }
        }
    }
    let per_1k = |n: u64| {
        if accounts_total == 0 {
            0.0
        } else {
            n as f64 * 1000.0 / accounts_total as f64
        }
    };
    let row = |key: String, typology: Typology, t: &Tally| {
        let of_typology: Vec<usize> = (0..labels.len())
            .filter(|&l| labels[l].typology == typology)
            .collect();
        let found = t.found.len() as u64;
        let instances = of_typology.len() as u64;
        BacktestRow {
            key,
            typology: typology.as_str().to_string(),
            alerts: t.alerts,
            matched_alerts: t.matched,
            co_alerts: t.co,
            false_alerts: t.false_alerts,
            instances,
            found,
            missed: instances - found,
            recall: (instances > 0).then(|| found as f64 / instances as f64),
            precision: (t.alerts > 0).then(|| t.matched as f64 / t.alerts as f64),
            alerts_per_1k_accounts: per_1k(t.alerts),
            false_alerts_per_1k_accounts: per_1k(t.false_alerts),
            missed_instances: of_typology
                .iter()
                .filter(|l| !t.found.contains(l))
                .map(|&l| labels[l].instance_id.clone())
                .collect(),
        }
    };
    // Every rule tally saw at least one alert, so its typology is known.
    let per_rule: Vec<BacktestRow> = rules
        .iter()
        .filter_map(|(rule, t)| t.typology.map(|typology| row(rule.clone(), typology, t)))
        .collect();
    let per_typology: Vec<BacktestRow> = typologies
        .iter()
        .map(|(typ, t)| row(typ.as_str().to_string(), *typ, t))
        .collect();
    let found_total: u64 = per_typology.iter().map(|r| r.found).sum();
    let matched_total: u64 = per_typology.iter().map(|r| r.matched_alerts).sum();
    let false_alerts_total: u64 = per_typology.iter().map(|r| r.false_alerts).sum();
    let instances_total = labels.len() as u64;
    let alerts_total = alerts.len() as u64;
    BacktestReport {
        accounts_total,
        alerts_total,
        instances_total,
        found_total,
        recall: (instances_total > 0).then(|| found_total as f64 / instances_total as f64),
        precision: (alerts_total > 0).then(|| matched_total as f64 / alerts_total as f64),
        false_alerts_total,
        per_rule,
        per_typology,
        transactions: TxnScores::of(alerts, labels),
        ranking: None,
    }
}

/// Scores one setting of a sweep: recall over the labels of `typology` (every label when
/// `None`), precision over all `alerts` (alerts finding an instance of their own typology).
pub fn sweep_point(
    setting: Vec<(String, String)>,
    alerts: &[Alert],
    labels: &[Label],
    typology: Option<Typology>,
) -> SweepPoint {
    let report = score_backtest(alerts, labels, 0);
    let (found, instances) = match typology {
        Some(t) => {
            let instances = labels.iter().filter(|l| l.typology == t).count() as u64;
            let found = report
                .per_typology
                .iter()
                .find(|r| r.key == t.as_str())
                .map_or(0, |r| r.found);
            (found, instances)
        }
        None => (report.found_total, report.instances_total),
    };
    SweepPoint {
        setting,
        alerts: alerts.len() as u64,
        recall: (instances > 0).then(|| found as f64 / instances as f64),
        precision: report.precision,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_csv_writes_formula_values_as_text_and_numbers_as_they_are() {
        let sweep = SweepResult {
            parameters: vec!["structuring.window".into(), "=x.min".into()],
            points: vec![SweepPoint {
                setting: vec![
                    ("structuring.window".into(), "@3d".into()),
                    ("=x.min".into(), "-1".into()),
                ],
                alerts: 4,
                recall: Some(0.5),
                precision: None,
            }],
        };
        let mut bytes = Vec::new();
        write_sweep_csv(&mut bytes, &sweep).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "structuring.window,'=x.min,alerts,recall,precision\n'@3d,-1,4,0.5000,\n"
        );
    }

    #[test]
    fn transaction_scores_count_each_transaction_once() {
        let label = |txns: &[&str]| Label {
            instance_id: "x-001".into(),
            typology: Typology::Structuring,
            subject_account: "A".into(),
            accounts: vec!["A".into()],
            txn_ids: txns.iter().map(|t| t.to_string()).collect(),
        };
        let alert = |txns: &[&str]| Alert {
            alert_id: "a".into(),
            rule_id: "r".into(),
            pack: "p".into(),
            typology: Typology::Structuring,
            subject_account: "A".into(),
            subject_name: String::new(),
            window_start: String::new(),
            window_end: String::new(),
            txn_count: txns.len() as u64,
            total_amount: "0.00".into(),
            currency: "USD".into(),
            score: 1.0,
            txn_ids: txns.iter().map(|t| t.to_string()).collect(),
            summary: String::new(),
            severity: String::new(),
            details: Vec::new(),
        };
        // planted T1..T4; flagged T1, T2 (twice), T9
        let s = TxnScores::of(
            &[alert(&["T1", "T2"]), alert(&["T2", "T9"])],
            &[label(&["T1", "T2", "T3"]), label(&["T4"])],
        );
        assert_eq!((s.planted, s.flagged, s.flagged_planted), (4, 3, 2));
        assert_eq!(s.precision, Some(2.0 / 3.0));
        assert_eq!(s.recall, Some(0.5));
        let f1 = s.f1.unwrap();
        assert!((f1 - 4.0 / 7.0).abs() < 1e-12, "{f1}");
        assert_eq!(TxnScores::of(&[], &[]).f1, None);
    }
}
