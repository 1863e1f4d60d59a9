//! The plain-language paragraph that opens a case and can start a suspicious transaction report.
//!
//! It says who (the subject accounts, names and countries), what and when (the alerts, strongest
//! first, with their dates), how much (the evidence total in base currency), which rules fired and
//! why they matter (the `why` of the strongest rule), and who the main counterparties were.

use super::{Case, Counterparty};
use crate::model::{format_money_grouped, RuleInfo};
use std::collections::{BTreeSet, HashMap};

/// How many alerts the narrative describes one by one before summarising the rest.
pub const ALERTS_DESCRIBED: usize = 4;
/// How many counterparties the narrative names.
pub const COUNTERPARTIES_NAMED: usize = 3;

/// Writes the narrative of a case whose other fields are already filled in.
pub fn write_narrative(case: &Case, rules: &HashMap<&str, &RuleInfo>) -> String {
    let mut parts: Vec<String> = vec![who_what_when(case)];

    for alert in case.alerts.iter().take(ALERTS_DESCRIBED) {
        let what = sentence(&alert.summary);
        let what = if what.is_empty() {
            format!("{}.", alert.typology.label())
        } else {
            what
        };
        parts.push(format!(
            "Rule {} ({}): {}",
            alert.rule_id,
            date_span(&alert.window_start, &alert.window_end),
            what
        ));
    }
    let rest = &case.alerts[case.alerts.len().min(ALERTS_DESCRIBED)..];
    if !rest.is_empty() {
        let rule_ids: BTreeSet<&str> = rest.iter().map(|a| a.rule_id.as_str()).collect();
        parts.push(format!(
            "{} further {} from {}.",
            rest.len(),
            plural(rest.len(), "alert", "alerts"),
            join_words(&rule_ids.into_iter().collect::<Vec<_>>())
        ));
    }

    // Typologies strongest first: the alerts are already in that order.
    let mut labels: Vec<&str> = Vec::new();
    for alert in &case.alerts {
        if !labels.contains(&alert.typology.label()) {
            labels.push(alert.typology.label());
        }
    }
    let opening = if labels.len() > 1 {
        "Taken together the activity is consistent with"
    } else {
        "The activity is consistent with"
    };
    let mut pattern = format!("{opening} {}.", join_words(&labels));
    if let Some(why) = case
        .alerts
        .first()
        .and_then(|a| rules.get(a.rule_id.as_str()))
        .map(|r| sentence(&r.why))
        .filter(|w| !w.is_empty())
    {
        pattern.push_str(" Why it matters: ");
        pattern.push_str(&why);
    }
    parts.push(pattern);

    if !case.counterparties.is_empty() {
        let named: Vec<String> = case
            .counterparties
            .iter()
            .take(COUNTERPARTIES_NAMED)
            .map(|c| describe_counterparty(c, &case.currency))
            .collect();
        parts.push(format!("Main counterparties: {}.", named.join("; ")));
    }
    parts.join(" ")
}

fn who_what_when(case: &Case) -> String {
    let accounts: Vec<&str> = case
        .subject
        .accounts
        .iter()
        .map(String::as_str)
        .filter(|a| !a.is_empty())
        .collect();
    let mut who = if accounts.len() == 1 {
        format!("Account {}", accounts[0])
    } else if accounts.is_empty() {
        "An unidentified account".to_string()
    } else {
        format!("Accounts {}", join_words(&accounts))
    };
    let mut facts: Vec<String> = Vec::new();
    if !case.subject.names.is_empty() {
        facts.push(case.subject.names.join(", "));
    }
    if !case.subject.countries.is_empty() {
        facts.push(case.subject.countries.join(", "));
    }
    if !facts.is_empty() {
        who.push_str(&format!(" ({})", facts.join("; ")));
    }
    if accounts.len() > 1 {
        who.push_str(", linked by a circular flow of funds,");
    }
    let verb = if accounts.len() > 1 { "were" } else { "was" };
    let rule_count = case
        .alerts
        .iter()
        .map(|a| a.rule_id.as_str())
        .collect::<BTreeSet<_>>()
        .len();
    let first = date_part(&case.first_activity);
    let last = date_part(&case.last_activity);
    let period = if first == last {
        format!("on {first}")
    } else {
        format!("between {first} and {last}")
    };
    let mut text = format!(
        "{who} {verb} the subject of {} {} from {} {} {period}",
        case.alerts.len(),
        plural(case.alerts.len(), "alert", "alerts"),
        rule_count,
        plural(rule_count, "rule", "rules"),
    );
    if !case.transactions.is_empty() {
        text.push_str(&format!(
            ", covering {} {} totalling {} {}",
            case.transactions.len(),
            plural(case.transactions.len(), "transaction", "transactions"),
            case.total_amount_grouped(),
            case.currency
        ));
    }
    text.push('.');
    text
}

fn describe_counterparty(c: &Counterparty, currency: &str) -> String {
    let mut text = if c.name.is_empty() {
        format!("account {}", c.account)
    } else {
        format!("{} (account {})", c.name, c.account)
    };
    if !c.country.is_empty() {
        text.push_str(&format!(", {}", c.country));
    }
    text.push_str(&format!(
        ", {} {} in {} {}",
        format_money_grouped(c.total_micros()),
        currency,
        c.txn_count,
        plural(c.txn_count as usize, "transaction", "transactions")
    ));
    text
}

/// Trims a sentence and makes sure it ends with a full stop.
fn sentence(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() || t.ends_with(['.', '!', '?']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

/// `2026-03-02 to 2026-03-09`, or a single date when both fall on the same day.
fn date_span(start: &str, end: &str) -> String {
    let (a, b) = (date_part(start), date_part(end));
    if a == b {
        a.to_string()
    } else {
        format!("{a} to {b}")
    }
}

/// The `YYYY-MM-DD` part of an ISO 8601 timestamp, or the whole text when it is shorter.
pub(crate) fn date_part(timestamp: &str) -> &str {
    timestamp.get(..10).unwrap_or(timestamp)
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Joins words as prose: `a`, `a and b`, `a, b and c`.
fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}
