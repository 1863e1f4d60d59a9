//! Analyst dispositions: the loop from a reviewed alert back into the nightly state.
//!
//! A dispositions file is CSV with the header
//! `alert_id,case_id,disposition,reason,analyst,date,suppress_until`:
//! - exactly one of `alert_id` (an alert the state has raised) or `case_id` (a case those
//!   alerts were reported in, of one account or several: a ring's case covers the alerts of
//!   each of its accounts);
//! - `disposition`: `true_positive`, `false_positive` or `needs_info`;
//! - `reason` and `analyst`: who decided, and why (both required);
//! - `date`: the day of the decision, `YYYY-MM-DD`;
//! - `suppress_until` (optional, `YYYY-MM-DD`, false positives only): a documented
//!   false-positive pattern. Until that day, alerts of the same rule on the same subject (for
//!   an alert), or of any rule on the accounts whose alerts the case held (for a case), are not
//!   reported: they are
//!   listed as suppressed in the manifest and the report, never dropped silently. An alert is
//!   inside the period when its episode ends on a day from `date` to `suppress_until`.
//!
//! `run --state DIR --dispositions FILE` folds the file into the state: each row is resolved
//! against the alerts the state has raised (an unknown id is an error naming the line), kept in
//! the generation written, and applied from that night on. `amlscreen dispositions labels`
//! exports the true positives as labels that `backtest` reads.

use super::RaisedAlert;
use crate::cases::case_id_for;
use crate::model::{Alert, SuppressedAlert};
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// An analyst's decision on an alert or case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    TruePositive,
    FalsePositive,
    NeedsInfo,
}

impl Disposition {
    fn parse(text: &str) -> Option<Disposition> {
        match text {
            "true_positive" => Some(Disposition::TruePositive),
            "false_positive" => Some(Disposition::FalsePositive),
            "needs_info" => Some(Disposition::NeedsInfo),
            _ => None,
        }
    }
}

/// One disposition, resolved against the alerts the state had raised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Resolved {
    /// `alert:ID` or `case:ID`.
    pub target: String,
    pub disposition: Disposition,
    pub reason: String,
    pub analyst: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `YYYY-MM-DD`, for a documented false-positive pattern.
    pub suppress_until: Option<String>,
    /// The rule it applies to (an alert target), or every rule (`None`, a case target).
    pub rule_id: Option<String>,
    /// The subject accounts it covers.
    pub subjects: Vec<String>,
    /// The typology of the alerts decided on (for labels).
    pub typology: Option<String>,
    /// Their transactions (for labels).
    pub txn_ids: Vec<String>,
}

/// Why a dispositions file cannot be folded in.
#[derive(Debug, Error)]
pub enum DispositionError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        #[source]
        source: csv::Error,
    },
    #[error("{file}:{line}: field `{field}`: expected {expected}")]
    Field {
        file: String,
        line: u64,
        field: &'static str,
        expected: String,
    },
}

/// `YYYY-MM-DD`, checked.
fn day(text: &str) -> Option<String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// Reads a dispositions file and resolves each row against `raised` (the alerts the state has
/// reported). Rows come back sorted, so the state keeps them in one order whatever the file's.
pub fn read_dispositions(
    path: &Path,
    raised: &[RaisedAlert],
) -> Result<Vec<Resolved>, DispositionError> {
    let file = path.display().to_string();
    let read_err = |source| DispositionError::Read {
        file: file.clone(),
        source,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(read_err)?;
    let headers = reader.headers().map_err(read_err)?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let bad = |line: u64, field: &'static str, expected: &str| DispositionError::Field {
        file: file.clone(),
        line,
        field,
        expected: expected.to_string(),
    };
    for required in ["disposition", "reason", "analyst", "date"] {
        if column(required).is_none() {
            return Err(bad(
                1,
                "header",
                "the columns alert_id or case_id, disposition, reason, analyst, date (and optionally suppress_until)",
            ));
        }
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(read_err)?;
        let line = record.position().map_or(0, |p| p.line());
        let get = |name: &str| column(name).and_then(|i| record.get(i)).unwrap_or("");
        let (alert_id, case_id) = (get("alert_id"), get("case_id"));
        let disposition = Disposition::parse(get("disposition")).ok_or_else(|| {
            bad(
                line,
                "disposition",
                "true_positive, false_positive or needs_info",
            )
        })?;
        let reason = get("reason");
        if reason.is_empty() {
            return Err(bad(line, "reason", "why the analyst decided so"));
        }
        let analyst = get("analyst");
        if analyst.is_empty() {
            return Err(bad(line, "analyst", "who decided"));
        }
        let date = day(get("date")).ok_or_else(|| bad(line, "date", "a day such as 2026-03-14"))?;
        let suppress_until = match get("suppress_until") {
            "" => None,
            text => {
                let until = day(text).ok_or_else(|| {
                    bad(
                        line,
                        "suppress_until",
                        "a day such as 2026-06-30, or nothing",
                    )
                })?;
                if disposition != Disposition::FalsePositive {
                    return Err(bad(
                        line,
                        "suppress_until",
                        "nothing: only a false positive can suppress later alerts",
                    ));
                }
                if until < date {
                    return Err(bad(line, "suppress_until", "a day on or after `date`"));
                }
                Some(until)
            }
        };
        let (target, rule_id, matched): (String, Option<String>, Vec<&RaisedAlert>) =
            match (alert_id, case_id) {
                (id, "") if !id.is_empty() => {
                    let found: Vec<&RaisedAlert> =
                        raised.iter().filter(|r| r.alert_id == id).collect();
                    let rule = found.first().map(|r| r.rule_id.clone());
                    (format!("alert:{id}"), rule, found)
                }
                ("", id) if !id.is_empty() => {
                    // the case each alert was reported in; a state written before that was
                    // kept knows only single-account cases, named by their account
                    let found = raised
                        .iter()
                        .filter(|r| match &r.case_id {
                            Some(case) => case == id,
                            None => case_id_for(std::slice::from_ref(&r.subject)) == id,
                        })
                        .collect();
                    (format!("case:{id}"), None, found)
                }
                _ => return Err(bad(line, "alert_id", "exactly one of alert_id and case_id")),
            };
        if matched.is_empty() {
            return Err(bad(
                line,
                if target.starts_with("alert:") {
                    "alert_id"
                } else {
                    "case_id"
                },
                "an alert or case that the state has reported (alerts are kept for the packs' lookback)",
            ));
        }
        let mut subjects: Vec<String> = matched.iter().map(|r| r.subject.clone()).collect();
        subjects.sort();
        subjects.dedup();
        let mut txn_ids: Vec<String> = matched.iter().flat_map(|r| r.txn_ids.clone()).collect();
        txn_ids.sort();
        txn_ids.dedup();
        out.push(Resolved {
            target,
            disposition,
            reason: reason.to_string(),
            analyst: analyst.to_string(),
            date,
            suppress_until,
            rule_id,
            subjects,
            typology: matched.iter().find_map(|r| r.typology.clone()),
            txn_ids,
        });
    }
    out.sort();
    Ok(out)
}

/// Merges folded dispositions into those the state keeps: the same decision twice is kept once.
pub fn merge(kept: &[Resolved], new: Vec<Resolved>) -> Vec<Resolved> {
    let mut all: Vec<Resolved> = kept.iter().cloned().chain(new).collect();
    all.sort();
    all.dedup();
    all
}

/// Splits tonight's alerts into those reported and those a false-positive pattern suppresses.
pub fn apply(alerts: Vec<Alert>, dispositions: &[Resolved]) -> (Vec<Alert>, Vec<SuppressedAlert>) {
    let patterns: Vec<&Resolved> = dispositions
        .iter()
        .filter(|d| d.disposition == Disposition::FalsePositive && d.suppress_until.is_some())
        .collect();
    let mut reported = Vec::with_capacity(alerts.len());
    let mut suppressed = Vec::new();
    for alert in alerts {
        let ends = alert.window_end.get(..10).unwrap_or("");
        let by = patterns.iter().find(|d| {
            let until = d.suppress_until.as_deref().unwrap_or("");
            d.rule_id.as_ref().is_none_or(|r| *r == alert.rule_id)
                && d.subjects.contains(&alert.subject_account)
                && d.date.as_str() <= ends
                && ends <= until
        });
        match by {
            Some(d) => suppressed.push(SuppressedAlert {
                alert_id: alert.alert_id.clone(),
                rule_id: alert.rule_id.clone(),
                subject: alert.subject_account.clone(),
                window_end: alert.window_end.clone(),
                by: d.target.clone(),
                reason: d.reason.clone(),
                analyst: d.analyst.clone(),
                until: d.suppress_until.clone().unwrap_or_default(),
            }),
            None => reported.push(alert),
        }
    }
    (reported, suppressed)
}

/// The true positives as labels (`labels.csv` rows that `backtest` reads): one per
/// disposition, subject first.
pub fn true_positive_labels(dispositions: &[Resolved]) -> Vec<crate::synth::Label> {
    dispositions
        .iter()
        .filter(|d| d.disposition == Disposition::TruePositive)
        .filter_map(|d| {
            let typology = crate::model::Typology::parse(d.typology.as_deref()?)?;
            Some(crate::synth::Label {
                instance_id: d.target.replace(':', "-"),
                typology,
                subject_account: d.subjects.first()?.clone(),
                accounts: d.subjects.clone(),
                txn_ids: d.txn_ids.clone(),
            })
        })
        .collect()
}

/// The true-positive labels of the live generation of the state in `dir` (read only; the state
/// is not locked or changed).
pub fn labels_of_state(dir: &Path) -> Result<Vec<crate::synth::Label>, super::StateError> {
    let current = dir.join("CURRENT");
    let live = std::fs::read_to_string(&current).map_err(|e| super::io_err(&current, e))?;
    let live = live.trim();
    if super::generation_number(live).is_none() {
        return Err(super::StateError::Damaged {
            path: current.display().to_string(),
            reason: "CURRENT does not name a generation (gen-NNNNNN)".into(),
        });
    }
    let kept = super::read_jsonl(&dir.join(live).join(super::DISPOSITIONS_FILE), true)?;
    Ok(true_positive_labels(&kept))
}
