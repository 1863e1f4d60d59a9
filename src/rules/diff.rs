//! `rules diff OLD NEW`: what a change to a pack does before it goes live.
//!
//! Both pack sets run over the same history; their alerts are compared rule by rule. An alert
//! of the same rule and subject whose window overlaps one on the other side is the same
//! episode: **unchanged** when the alert is identical (same id, same transactions), **changed**
//! when its window or evidence moved. The rest are **gained** (only the new packs raise them)
//! or **lost** (only the old ones did). With labels, each side is also scored: recall per
//! typology and alerts on clean subjects (touching nothing planted).
//!
//! Plain Rust over alerts: no engine here.

use crate::model::Alert;
use crate::synth::BacktestReport;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One alert as the diff shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertExample {
    pub alert_id: String,
    pub subject: String,
    pub window_start: String,
    pub window_end: String,
    pub total_amount: String,
    pub summary: String,
}

impl AlertExample {
    fn of(a: &Alert) -> Self {
        AlertExample {
            alert_id: a.alert_id.clone(),
            subject: a.subject_account.clone(),
            window_start: a.window_start.clone(),
            window_end: a.window_end.clone(),
            total_amount: a.total_amount.clone(),
            summary: a.summary.clone(),
        }
    }
}

/// One rule's comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleDiff {
    pub rule_id: String,
    /// Present in the old packs, the new ones, or both.
    pub in_old: bool,
    pub in_new: bool,
    pub old_alerts: u64,
    pub new_alerts: u64,
    pub unchanged: u64,
    pub changed: u64,
    pub gained: u64,
    pub lost: u64,
    /// The first few gained and lost alerts (by subject, then window).
    pub gained_examples: Vec<AlertExample>,
    pub lost_examples: Vec<AlertExample>,
    /// With labels: alerts touching nothing planted, on each side.
    pub old_clean_alerts: Option<u64>,
    pub new_clean_alerts: Option<u64>,
}

/// Recall of one typology on both sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypologyRecall {
    pub typology: String,
    pub instances: u64,
    pub old_found: u64,
    pub new_found: u64,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PackDiff {
    pub rules: Vec<RuleDiff>,
    /// Per typology, with labels only.
    pub recall: Vec<TypologyRecall>,
    pub old_clean_alerts_total: Option<u64>,
    pub new_clean_alerts_total: Option<u64>,
}

/// Episodes of one rule and subject overlap when their windows do (ISO UTC strings of one
/// format compare as times).
fn overlaps(a: &Alert, b: &Alert) -> bool {
    a.window_start <= b.window_end && b.window_start <= a.window_end
}

/// Compares the alerts of the old and new packs. `old_rules` and `new_rules` are the enabled
/// rule ids of each side; `examples` caps the gained and lost alerts listed per rule.
pub fn diff_alerts(
    old_rules: &[String],
    new_rules: &[String],
    old: &[Alert],
    new: &[Alert],
    examples: usize,
) -> Vec<RuleDiff> {
    let mut by_rule: BTreeMap<&str, (Vec<&Alert>, Vec<&Alert>)> = BTreeMap::new();
    for id in old_rules.iter().chain(new_rules) {
        by_rule.entry(id.as_str()).or_default();
    }
    for a in old {
        by_rule.entry(a.rule_id.as_str()).or_default().0.push(a);
    }
    for a in new {
        by_rule.entry(a.rule_id.as_str()).or_default().1.push(a);
    }
    let key = |a: &&Alert| {
        (
            a.subject_account.clone(),
            a.window_start.clone(),
            a.alert_id.clone(),
        )
    };
    by_rule
        .into_iter()
        .map(|(rule_id, (mut olds, mut news))| {
            olds.sort_by_key(key);
            news.sort_by_key(key);
            let mut d = RuleDiff {
                rule_id: rule_id.to_string(),
                in_old: old_rules.iter().any(|r| r == rule_id),
                in_new: new_rules.iter().any(|r| r == rule_id),
                old_alerts: olds.len() as u64,
                new_alerts: news.len() as u64,
                ..RuleDiff::default()
            };
            // old alerts by subject, for the overlap test
            let mut old_by_subject: BTreeMap<&str, Vec<&Alert>> = BTreeMap::new();
            for a in &olds {
                old_by_subject
                    .entry(a.subject_account.as_str())
                    .or_default()
                    .push(a);
            }
            let mut matched_old: std::collections::BTreeSet<&str> = Default::default();
            for n in &news {
                let same_subject = old_by_subject
                    .get(n.subject_account.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                if let Some(o) = same_subject.iter().find(|o| o.alert_id == n.alert_id) {
                    matched_old.insert(o.alert_id.as_str());
                    if o.txn_ids == n.txn_ids && o.summary == n.summary {
                        d.unchanged += 1;
                    } else {
                        d.changed += 1;
                    }
                } else if let Some(o) = same_subject.iter().find(|o| overlaps(o, n)) {
                    matched_old.insert(o.alert_id.as_str());
                    d.changed += 1;
                } else {
                    d.gained += 1;
                    if d.gained_examples.len() < examples {
                        d.gained_examples.push(AlertExample::of(n));
                    }
                }
            }
            for o in &olds {
                if !matched_old.contains(o.alert_id.as_str()) {
                    d.lost += 1;
                    if d.lost_examples.len() < examples {
                        d.lost_examples.push(AlertExample::of(o));
                    }
                }
            }
            d
        })
        .collect()
}

/// Adds the labelled figures of both sides' backtest reports to the comparison.
pub fn with_scores(
    mut rules: Vec<RuleDiff>,
    old: &BacktestReport,
    new: &BacktestReport,
) -> PackDiff {
    let clean = |report: &BacktestReport, rule: &str| {
        report
            .per_rule
            .iter()
            .find(|r| r.key == rule)
            .map_or(0, |r| r.false_alerts)
    };
    for r in &mut rules {
        r.old_clean_alerts = Some(clean(old, &r.rule_id));
        r.new_clean_alerts = Some(clean(new, &r.rule_id));
    }
    let mut recall: BTreeMap<String, TypologyRecall> = BTreeMap::new();
    for (side, report) in [(0, old), (1, new)] {
        for row in &report.per_typology {
            let entry = recall
                .entry(row.key.clone())
                .or_insert_with(|| TypologyRecall {
                    typology: row.key.clone(),
                    instances: row.instances,
                    old_found: 0,
                    new_found: 0,
                });
            if side == 0 {
                entry.old_found = row.found;
            } else {
                entry.new_found = row.found;
            }
        }
    }
    PackDiff {
        rules,
        recall: recall.into_values().filter(|r| r.instances > 0).collect(),
        old_clean_alerts_total: Some(old.false_alerts_total),
        new_clean_alerts_total: Some(new.false_alerts_total),
    }
}

/// Without labels: the rule comparison alone.
pub fn without_scores(rules: Vec<RuleDiff>) -> PackDiff {
    PackDiff {
        rules,
        recall: Vec::new(),
        old_clean_alerts_total: None,
        new_clean_alerts_total: None,
    }
}

/// The comparison as text for a terminal: one line per rule, its examples, then recall.
pub fn render(diff: &PackDiff) -> String {
    let mut s = String::new();
    let labelled = diff.old_clean_alerts_total.is_some();
    let _ = write!(
        s,
        "{:<28} {:>7} {:>7} {:>9} {:>7} {:>6} {:>5}",
        "rule", "old", "new", "unchanged", "changed", "gained", "lost"
    );
    if labelled {
        let _ = write!(s, " {:>9} {:>9}", "clean old", "clean new");
    }
    s.push('\n');
    for r in &diff.rules {
        let mut name = r.rule_id.clone();
        if !r.in_old {
            name.push_str(" (new rule)");
        } else if !r.in_new {
            name.push_str(" (removed)");
        }
        let _ = write!(
            s,
            "{:<28} {:>7} {:>7} {:>9} {:>7} {:>6} {:>5}",
            name, r.old_alerts, r.new_alerts, r.unchanged, r.changed, r.gained, r.lost
        );
        if let (Some(o), Some(n)) = (r.old_clean_alerts, r.new_clean_alerts) {
            let _ = write!(s, " {o:>9} {n:>9}");
        }
        s.push('\n');
    }
    for r in &diff.rules {
        for (what, list) in [("gained", &r.gained_examples), ("lost", &r.lost_examples)] {
            for e in list {
                let _ = writeln!(
                    s,
                    "  {} {what}: {} {} {}..{} {}: {}",
                    r.rule_id,
                    e.alert_id,
                    e.subject,
                    e.window_start,
                    e.window_end,
                    e.total_amount,
                    e.summary
                );
            }
        }
    }
    if labelled {
        let _ = writeln!(s, "\nrecall by typology (instances found, old -> new):");
        for t in &diff.recall {
            let _ = writeln!(
                s,
                "  {:<24} {:>4} of {:<4} -> {:>4} of {}{}",
                t.typology,
                t.old_found,
                t.instances,
                t.new_found,
                t.instances,
                if t.new_found < t.old_found {
                    "  LOWER"
                } else {
                    ""
                }
            );
        }
        let _ = writeln!(
            s,
            "alerts on clean subjects: {} -> {}",
            diff.old_clean_alerts_total.unwrap_or(0),
            diff.new_clean_alerts_total.unwrap_or(0)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(id: &str, rule: &str, subject: &str, start: &str, end: &str, txns: &[&str]) -> Alert {
        Alert {
            alert_id: id.into(),
            rule_id: rule.into(),
            pack: "p".into(),
            typology: crate::model::Typology::Structuring,
            subject_account: subject.into(),
            subject_name: String::new(),
            window_start: start.into(),
            window_end: end.into(),
            txn_count: txns.len() as u64,
            total_amount: "1.00".into(),
            currency: "USD".into(),
            score: 1.0,
            txn_ids: txns.iter().map(|t| t.to_string()).collect(),
            summary: String::new(),
            severity: String::new(),
            details: Vec::new(),
        }
    }

    #[test]
    fn alerts_are_unchanged_changed_gained_or_lost() {
        let d1 = "2026-01-01T00:00:00Z";
        let d2 = "2026-01-02T00:00:00Z";
        let d3 = "2026-01-03T00:00:00Z";
        let d9 = "2026-01-09T00:00:00Z";
        let old = vec![
            alert("a", "s", "A", d1, d2, &["T1"]),
            alert("b", "s", "B", d1, d2, &["T2"]),
            alert("c", "s", "C", d1, d1, &["T3"]),
        ];
        let new = vec![
            alert("a", "s", "A", d1, d2, &["T1"]),
            alert("b2", "s", "B", d2, d3, &["T2", "T4"]),
            alert("d", "s", "D", d9, d9, &["T9"]),
        ];
        let rules = vec!["s".to_string()];
        let diff = diff_alerts(&rules, &rules, &old, &new, 5);
        assert_eq!(diff.len(), 1);
        let r = &diff[0];
        assert_eq!(
            (r.unchanged, r.changed, r.gained, r.lost),
            (1, 1, 1, 1),
            "{r:?}"
        );
        assert_eq!(r.gained_examples[0].alert_id, "d");
        assert_eq!(r.lost_examples[0].alert_id, "c");
        let text = render(&without_scores(diff));
        assert!(text.contains("s gained: d D"), "{text}");
    }

    #[test]
    fn a_rule_on_one_side_only_is_marked() {
        let diff = diff_alerts(&["x".into()], &["y".into()], &[], &[], 3);
        let text = render(&without_scores(diff));
        assert!(
            text.contains("x (removed)") && text.contains("y (new rule)"),
            "{text}"
        );
    }
}
