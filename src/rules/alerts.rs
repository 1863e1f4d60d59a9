//! Episodes become alerts: evidence gathered, figures computed, the summary written and a
//! stable id given.

use super::engine::Episode;
use super::pack::Rule;
use super::plan::Detector;
use crate::model::{format_money, format_money_grouped, format_timestamp, Alert, TxnRecord};
use std::collections::{BTreeMap, BTreeSet};

/// An evidence transaction with the numbers the summary needs.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Shared: the episodes that cite a transaction, and later its cases, hold the same record.
    pub record: std::sync::Arc<TxnRecord>,
    pub ts: i64,
    pub base_amount: i64,
}

/// Stable alert id: the first 16 hex digits of SHA-256 over rule, subject and window.
pub fn alert_id(rule_id: &str, subject: &str, start: i64, end: i64) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{rule_id}\x1f{subject}\x1f{start}\x1f{end}").as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// How long an episode lasted, for people: `45 minutes`, `18 hours`, `6 days`.
pub fn describe_span(micros: i64) -> String {
    let minutes = (micros + 59_999_999) / 60_000_000;
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if minutes < 60 {
        plural(minutes.max(1), "minute")
    } else if minutes < 48 * 60 {
        plural((minutes + 59) / 60, "hour")
    } else {
        plural((minutes + 1439) / 1440, "day")
    }
}

fn most_common(values: impl Iterator<Item = String>) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for v in values.filter(|v| !v.is_empty()) {
        *counts.entry(v).or_default() += 1;
    }
    let mut best: Option<(&String, usize)> = None;
    for (name, n) in &counts {
        if best.is_none_or(|(_, b)| *n > b) {
            best = Some((name, *n));
        }
    }
    best.map(|(n, _)| n.clone()).unwrap_or_default()
}

/// Builds the alert for one episode of one rule. `evidence` is sorted by time.
pub fn build_alert(
    rule: &Rule,
    episode: &Episode,
    evidence: &[Evidence],
    base_currency: &str,
) -> Alert {
    // the alert's window is the episode's first and last evidence time
    let episode = &Episode {
        start: evidence.first().map_or(episode.start, |e| e.ts),
        end: evidence.last().map_or(episode.end, |e| e.ts),
        ..episode.clone()
    };
    let subject = &episode.subject;
    let total: i128 = evidence.iter().map(|e| i128::from(e.base_amount)).sum();
    let min = evidence.iter().map(|e| e.base_amount).min().unwrap_or(0);
    let max = evidence.iter().map(|e| e.base_amount).max().unwrap_or(0);
    let distinct = |f: &dyn Fn(&TxnRecord) -> &str| -> usize {
        evidence
            .iter()
            .map(|e| f(&e.record))
            .filter(|v| !v.is_empty())
            .collect::<BTreeSet<_>>()
            .len()
    };
    let counterparty = |r: &TxnRecord| -> String {
        if &r.bene_account == subject {
            r.orig_account.clone()
        } else {
            r.bene_account.clone()
        }
    };
    let counterparties = evidence
        .iter()
        .map(|e| counterparty(&e.record))
        .filter(|c| !c.is_empty() && c != subject)
        .collect::<BTreeSet<_>>()
        .len();
    let subject_name = most_common(evidence.iter().map(|e| {
        if &e.record.bene_account == subject {
            e.record.bene_name.clone()
        } else if &e.record.orig_account == subject {
            e.record.orig_name.clone()
        } else {
            String::new()
        }
    }));
    let channels: BTreeSet<&str> = evidence.iter().map(|e| e.record.channel.as_str()).collect();
    let countries: BTreeSet<&str> = evidence
        .iter()
        .flat_map(|e| {
            [
                e.record.orig_country.as_str(),
                e.record.bene_country.as_str(),
            ]
        })
        .filter(|c| !c.is_empty())
        .collect();
    let mut values: BTreeMap<&str, String> = BTreeMap::new();
    values.insert("count", evidence.len().to_string());
    values.insert("total", format_money_grouped(total));
    values.insert("currency", base_currency.to_string());
    values.insert("min_amount", format_money_grouped(min));
    values.insert("max_amount", format_money_grouped(max));
    values.insert("span", describe_span(episode.end - episode.start));
    values.insert("start", format_timestamp(episode.start));
    values.insert("end", format_timestamp(episode.end));
    values.insert("subject", subject.clone());
    values.insert("branches", distinct(&|r| r.branch.as_str()).to_string());
    values.insert(
        "conductors",
        distinct(&|r| r.orig_name.as_str()).to_string(),
    );
    values.insert("counterparties", counterparties.to_string());
    values.insert(
        "channels",
        channels.into_iter().collect::<Vec<_>>().join("/"),
    );
    values.insert(
        "countries",
        countries.into_iter().collect::<Vec<_>>().join(", "),
    );
    let mut facts = episode.facts.clone();
    if matches!(rule.plan.detector, Detector::FlowThrough { .. }) {
        // the holder's own accounts when money left from another of them
        let own: Vec<&str> = facts
            .iter()
            .find(|(k, _)| *k == "own_accounts")
            .map(|(_, v)| {
                v.split(super::engine::STRUCTURE_SEPARATOR)
                    .flat_map(|s| s.split(", "))
                    .collect()
            })
            .unwrap_or_else(|| vec![subject.as_str()]);
        facts.extend(flow_facts(&own, evidence));
    }
    for (k, v) in &facts {
        values.insert(k, v.clone());
    }
    // a subject judged by its segment's parameters is described by them
    let segment = facts
        .iter()
        .find(|(k, _)| *k == super::SEGMENT_FACT)
        .map(|(_, v)| v.as_str());
    let parameters = rule.parameters_for(segment);
    let param_keys: Vec<String> = parameters
        .iter()
        .map(|(k, _)| format!("param.{k}"))
        .collect();
    for (key, (_, v)) in param_keys.iter().zip(parameters) {
        values.insert(key.as_str(), v.clone());
    }
    let summary = render_summary(&rule.summary, &values);
    let mut details: Vec<(String, String)> = facts
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    details.sort();
    Alert {
        alert_id: alert_id(&rule.plan.rule_id, subject, episode.start, episode.end),
        rule_id: rule.plan.rule_id.clone(),
        pack: rule.plan.pack.clone(),
        typology: rule.plan.typology,
        subject_account: subject.clone(),
        subject_name,
        window_start: format_timestamp(episode.start),
        window_end: format_timestamp(episode.end),
        txn_count: evidence.len() as u64,
        total_amount: format_money(total),
        currency: base_currency.to_string(),
        score: rule.info.score,
        txn_ids: evidence.iter().map(|e| e.record.txn_id.as_str()).collect(),
        summary,
        severity: rule.info.severity.clone(),
        details,
    }
}

/// A flow-through episode's money in and out, from its own transactions: what came into the
/// subject's accounts (`own`: the subject, and the holder's other accounts the money left from)
/// from outside them, what left them, and the share of the money in that moved on (at most
/// 100%: "100%" with an outflow above the inflow means all of it, and more from elsewhere).
/// Transfers between the holder's own accounts are neither.
fn flow_facts(own: &[&str], evidence: &[Evidence]) -> [(&'static str, String); 3] {
    let (mut inflow, mut outflow) = (0i128, 0i128);
    for e in evidence {
        let into = own.contains(&e.record.bene_account.as_str());
        let out_of = own.contains(&e.record.orig_account.as_str());
        if into && !out_of {
            inflow += i128::from(e.base_amount);
        } else if out_of && !into {
            outflow += i128::from(e.base_amount);
        }
    }
    let percent = if inflow > 0 {
        (outflow.min(inflow) * 100 / inflow).to_string()
    } else {
        "0".to_string()
    };
    [
        ("inflow", format_money_grouped(inflow)),
        ("outflow", format_money_grouped(outflow)),
        ("moved_percent", format!("{percent}%")),
    ]
}

/// Fills `{placeholders}`; an unknown one (already rejected at load) renders as `?`.
pub fn render_summary(template: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push_str(values.get(&after[..close]).map_or("?", |v| v.as_str()));
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_ids() {
        assert_eq!(describe_span(0), "1 minute");
        assert_eq!(describe_span(18 * 3600 * 1_000_000), "18 hours");
        assert_eq!(describe_span(5 * 86_400 * 1_000_000 + 1), "6 days");
        assert_eq!(alert_id("r", "A", 1, 2), alert_id("r", "A", 1, 2));
        assert_ne!(alert_id("r", "A", 1, 2), alert_id("r", "A", 1, 3));
        assert_eq!(alert_id("r", "A", 1, 2).len(), 16);
    }
}
