//! Alerts already raised, and the suppression policy that compares tonight's alerts with them.
//!
//! Policy, per alert found tonight (rules run over history plus tonight):
//! - its episode has **no new transaction** (all evidence is history): it was reported before,
//!   or could have been; it is **suppressed**. An alert that cites no transaction at all (a
//!   customer's sanctions match, the customer without activity tonight) is not: the match
//!   stands, and is reported every night until a disposition clears it;
//! - it has new transactions and overlaps an earlier alert of the **same rule and subject**:
//!   the episode grew; it is reported again as an **update** of that alert (`details` carry
//!   `status = updated` and `updates = <earlier alert id>`);
//! - otherwise it is **new**.

use crate::ingest::timestamp::{parse_timestamp, TimestampFormat};
use crate::model::Alert;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// An alert reported by an earlier run, as the state keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaisedAlert {
    pub alert_id: String,
    pub rule_id: String,
    pub subject: String,
    /// Episode start and end, UTC µs.
    pub window_start: i64,
    pub window_end: i64,
    pub txn_ids: Vec<String>,
    /// The alert's typology code (kept for labels from dispositions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typology: Option<String>,
    /// The case the alert was reported in (absent in states written before it was kept): a
    /// disposition by `case_id` finds the alerts of a case of several accounts through it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
}

fn micros(iso: &str) -> i64 {
    parse_timestamp(iso, &TimestampFormat::Iso8601, 0).unwrap_or(0)
}

impl RaisedAlert {
    /// The state's record of a reported alert, reported in the case `case_id`.
    pub fn from_alert(a: &Alert, case_id: Option<&str>) -> RaisedAlert {
        RaisedAlert {
            alert_id: a.alert_id.clone(),
            rule_id: a.rule_id.clone(),
            subject: a.subject_account.clone(),
            window_start: micros(&a.window_start),
            window_end: micros(&a.window_end),
            txn_ids: a.txn_ids.to_vec(),
            typology: Some(a.typology.as_str().to_string()),
            case_id: case_id.map(str::to_string),
        }
    }
}

/// Tonight's alerts after suppression.
#[derive(Debug, Clone, Default)]
pub struct Classified {
    /// Alerts to report: new ones and updates.
    pub reported: Vec<Alert>,
    pub new: u64,
    pub updated: u64,
    pub suppressed: u64,
}

/// Applies the policy above. `new_txn_ids` are tonight's accepted transaction ids.
pub fn classify_alerts(
    alerts: Vec<Alert>,
    new_txn_ids: &HashSet<&str>,
    raised: &[RaisedAlert],
) -> Classified {
    let mut out = Classified::default();
    for mut alert in alerts {
        // an alert citing no transaction (a customer's sanctions match without activity
        // tonight) is reported every night: the match stands until a disposition clears it
        if !alert.txn_ids.is_empty() && !alert.txn_ids.iter().any(|t| new_txn_ids.contains(t)) {
            out.suppressed += 1;
            continue;
        }
        let (start, end) = (micros(&alert.window_start), micros(&alert.window_end));
        let earlier = raised
            .iter()
            .filter(|r| r.rule_id == alert.rule_id && r.subject == alert.subject_account)
            .filter(|r| r.window_start <= end && start <= r.window_end)
            .max_by_key(|r| (r.window_end, r.alert_id.clone()));
        match earlier {
            Some(prev) => {
                out.updated += 1;
                alert.details.push(("status".into(), "updated".into()));
                alert
                    .details
                    .push(("updates".into(), prev.alert_id.clone()));
                alert.summary = format!("Update of alert {}: {}", prev.alert_id, alert.summary);
            }
            None => {
                out.new += 1;
                alert.details.push(("status".into(), "new".into()));
            }
        }
        out.reported.push(alert);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(id: &str, txn_ids: &[&str]) -> Alert {
        Alert {
            alert_id: id.to_string(),
            rule_id: "r".to_string(),
            pack: "p".to_string(),
            typology: crate::model::Typology::Sanctions,
            subject_account: "ACC-1".to_string(),
            subject_name: String::new(),
            window_start: "2026-03-01T00:00:00Z".to_string(),
            window_end: "2026-03-02T00:00:00Z".to_string(),
            txn_count: txn_ids.len() as u64,
            total_amount: "0.00".to_string(),
            currency: "USD".to_string(),
            score: 95.0,
            txn_ids: txn_ids.iter().map(|t| t.to_string()).collect(),
            summary: String::new(),
            severity: "critical".to_string(),
            details: Vec::new(),
        }
    }

    /// An alert on history alone is suppressed; one citing no transaction at all (a customer's
    /// sanctions match without activity tonight) is reported.
    #[test]
    fn an_alert_citing_no_transaction_is_reported_every_night() {
        let tonight: HashSet<&str> = ["T9"].into_iter().collect();
        let classified = classify_alerts(
            vec![
                alert("old", &["T1"]),
                alert("none", &[]),
                alert("new", &["T9"]),
            ],
            &tonight,
            &[],
        );
        let ids: Vec<&str> = classified
            .reported
            .iter()
            .map(|a| a.alert_id.as_str())
            .collect();
        assert_eq!(ids, ["none", "new"]);
        assert_eq!((classified.new, classified.suppressed), (2, 1));
    }
}
