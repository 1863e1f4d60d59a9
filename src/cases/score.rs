//! The case risk score (0–100), the reasons behind it, and the priority band derived from it.
//!
//! The score is the triage order: the report and `cases.jsonl` list cases by it, highest first
//! (ties by case id), and `backtest` measures how well it puts true cases first (precision at
//! 50 and 100 cases, average precision). It is deterministic and a function of the case's own
//! alerts only: no labels, no other case.
//!
//! # Formula
//!
//! For every distinct typology in the case take its strongest alert score `s` (clamped to 0–100).
//! Rank those typology scores from high to low: `s₁ ≥ s₂ ≥ … ≥ sₙ`. Let `m` be the number of
//! distinct evidence transactions the case's alerts cite.
//!
//! ```text
//! rule      = s₁                                         the strongest signal (the rule author's
//!                                                         own judgement of the pattern)
//! breadth   = Σ_{k=2..n} 10 · (s_k / 100) · ½^(k−2)      each further typology adds less
//!                                                         (at most 10, 5, 2.5, … → under 20)
//! sanctions = 15 if any alert is a sanctions name match, else 0
//! evidence  = min(10, 5 · log₂ m)                        5 points per doubling of the evidence:
//!                                                         1 transaction 0, 2 → 5, 3 → 7.9, 4+ → 10
//! floor     = by the most severe alert: critical 90, high 70, medium 40, low 0
//! customer  = 10 if a customer holding a case account is rated high risk without its alerts,
//!             5 if medium (only with a customer file; see `crate::customers::risk`)
//!
//! score = min(100, max(floor, rule + breadth + sanctions + evidence) + customer), rounded to
//!         one decimal
//! ```
//!
//! Repeated alerts of one typology do not add up: five structuring episodes are one typology
//! (their transactions do count as evidence). The severity floor makes sure a rule its author
//! marked `critical` always lands in the `critical` band, whatever its numeric score.
//!
//! **Routine and busy accounts.** A typology with more than [`ROUTINE_EPISODES`] (3) separate
//! alerts in the case is the account's routine, not an event: a money service business's daily
//! cash over the reporting threshold, a church's weekly fan-in of gifts. Its `s` is scaled by
//! `3 / episodes`, it sets no severity floor and its transactions are not evidence. A case with
//! a routine typology is a busy account, where every pattern is likelier by chance: its other
//! typologies (sanctions excepted) count at [`BUSY_ACCOUNT_WEIGHT`] (half); their own severity
//! floors still apply. Each reason says so.
//!
//! **New only against a short history.** An alert of a rule counting counterparties new to the
//! account (`new_within`) whose data held less history before its window than the rule asks
//! carries `new_judged_on` ("5 days of the 90 days asked"): at the start of a file every
//! member of a church is new. It counts at [`UNPROVEN_NEW_WEIGHT`] (half), with no floor and no
//! evidence. On generated data with look-alike businesses this
//! took average precision from 0.81 to 0.96 (README, backtest section).
//!
//! ## Why these weights
//!
//! * `rule` keeps the pack author's score as the backbone: the packs already rank patterns.
//! * A second, independent typology is the strongest corroboration (up to 10 points, as before).
//! * `evidence` separates a pattern from a one-off: a single transaction over a reporting
//!   threshold gets nothing, a pattern of four or more transactions gets the full 10. Its cap
//!   equals the largest breadth step, so volume of evidence never outweighs a second typology.
//! * Sanctions keep their 15: a name match is a legal obligation, not a likelihood.
//!
//! Signals that were measured with `backtest` and left out: how far an alert's figures exceed
//! its rule's parameters (for example a velocity factor against its minimum) ranked clean
//! spikes as high as planted ones; the evidence amount and the share of money passing through
//! the subject did not separate true from false cases on generated data. See the README's
//! backtest section for the figures.
//!
//! # Reasons
//!
//! [`explain_case_score`] returns the score with one [`ScoreReason`] per signal that moved it:
//! the alert behind it (for `rule`, `breadth` and `sanctions`), its points and a sentence. The
//! reasons' points, each rounded to one decimal, add up to the score give or take the rounding.
//!
//! # Bands
//!
//! `critical` ≥ 90, `high` ≥ 70, `medium` ≥ 40, otherwise `low`.

use crate::model::{Alert, Typology};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Points the second-strongest typology adds at full strength; each further one adds half as much.
pub const BREADTH_BONUS: f64 = 10.0;
/// A typology with more separate episodes than this in one case is the account's routine (a
/// money service business's daily cash, a church's weekly gifts): its score is scaled by
/// `ROUTINE_EPISODES / episodes`, and it sets no severity floor and counts as no evidence.
pub const ROUTINE_EPISODES: usize = 3;
/// The weight of the other typologies of a case that has a routine one (a busy business whose
/// volume makes every pattern likelier by chance).
pub const BUSY_ACCOUNT_WEIGHT: f64 = 0.5;
/// The weight of an alert whose counterparties were new only against less history than its
/// rule asks (the data starts inside the rule's `new_within`): at the start of a file every
/// sender of a church is new.
pub const UNPROVEN_NEW_WEIGHT: f64 = 0.5;
/// Points added when any alert in the case is a sanctions name match.
pub const SANCTIONS_BONUS: f64 = 15.0;

/// How urgently a case should be worked, from its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Score at least 90: work today.
    Critical,
    /// Score at least 70.
    High,
    /// Score at least 40.
    Medium,
    /// Score below 40.
    Low,
}

impl Band {
    /// Every band, most urgent first.
    pub const ALL: [Band; 4] = [Band::Critical, Band::High, Band::Medium, Band::Low];

    /// The band a score falls in.
    pub fn from_score(score: f64) -> Band {
        if score >= 90.0 {
            Band::Critical
        } else if score >= 70.0 {
            Band::High
        } else if score >= 40.0 {
            Band::Medium
        } else {
            Band::Low
        }
    }

    /// The lower-case code used in files (`critical`, `high`, `medium`, `low`).
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Critical => "critical",
            Band::High => "high",
            Band::Medium => "medium",
            Band::Low => "low",
        }
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The minimum case score implied by a severity word (`critical`, `high`, `medium`, `low`);
/// unknown or empty severities imply no minimum.
pub fn severity_floor(severity: &str) -> f64 {
    match severity.trim().to_ascii_lowercase().as_str() {
        "critical" => 90.0,
        "high" => 70.0,
        "medium" => 40.0,
        _ => 0.0,
    }
}

/// An alert score made safe for arithmetic: NaN becomes 0, the rest is clamped to 0–100.
pub fn clamp_score(score: f64) -> f64 {
    if score.is_nan() {
        0.0
    } else {
        score.clamp(0.0, 100.0)
    }
}

/// Points a case gains when the riskiest customer holding one of its accounts is rated `high`
/// (its rating without alerts, see `crate::customers::risk`); half as much for `medium`.
pub const CUSTOMER_RISK_POINTS: f64 = 10.0;

/// The customer signal: `score` with the points of the customer `(customer_id, rating without
/// alerts)`, at most 100, and the reason when it added any.
pub fn with_customer_risk(score: f64, customer: Option<(&str, u32)>) -> (f64, Option<ScoreReason>) {
    let Some((id, rating)) = customer else {
        return (score, None);
    };
    let level = crate::customers::risk::level(rating);
    let points = match level {
        "high" => CUSTOMER_RISK_POINTS,
        "medium" => CUSTOMER_RISK_POINTS / 2.0,
        _ => 0.0,
    }
    .min(100.0 - score);
    if points <= 0.0 {
        return (score, None);
    }
    (
        one_decimal(score + points),
        Some(ScoreReason {
            signal: ScoreSignal::Customer,
            points: one_decimal(points),
            alert_id: String::new(),
            text: format!(
                "customer {id} is rated {level} risk ({rating} without its alerts; customers_risk.csv)"
            ),
        }),
    )
}

/// Points the evidence signal adds per doubling of the case's distinct evidence transactions.
pub const EVIDENCE_POINTS_PER_DOUBLING: f64 = 5.0;
/// The most the evidence signal adds (reached at four transactions).
pub const EVIDENCE_CAP: f64 = 10.0;

/// Which signal a [`ScoreReason`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreSignal {
    /// The strongest typology's rule score: the base of the score.
    Rule,
    /// A further typology (the second, third, … strongest).
    Breadth,
    /// A sanctions name match.
    Sanctions,
    /// The number of distinct evidence transactions.
    Evidence,
    /// The severity floor lifted the score (points: how much).
    SeverityFloor,
    /// The score was capped at 100 (points: how much was cut, negative).
    Cap,
    /// The case's customer is rated high or medium risk (customer file).
    Customer,
}

impl ScoreSignal {
    /// The lower-case code used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreSignal::Rule => "rule",
            ScoreSignal::Breadth => "breadth",
            ScoreSignal::Sanctions => "sanctions",
            ScoreSignal::Evidence => "evidence",
            ScoreSignal::SeverityFloor => "severity_floor",
            ScoreSignal::Cap => "cap",
            ScoreSignal::Customer => "customer",
        }
    }
}

/// One signal's contribution to a case score, for the analyst: why the case ranks where it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReason {
    /// The signal.
    pub signal: ScoreSignal,
    /// Points it added, one decimal (negative for the cap at 100).
    pub points: f64,
    /// The alert behind it (`rule`, `breadth`, `sanctions`, `severity_floor`); absent for
    /// case-wide signals.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alert_id: String,
    /// One sentence: `rule structuring (structuring) scores 70`.
    pub text: String,
}

/// Points for `evidence_txns` distinct evidence transactions (see the module docs).
pub fn evidence_points(evidence_txns: usize) -> f64 {
    if evidence_txns <= 1 {
        0.0
    } else {
        (EVIDENCE_POINTS_PER_DOUBLING * (evidence_txns as f64).log2()).min(EVIDENCE_CAP)
    }
}

fn one_decimal(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Computes the case score from its alerts, each paired with its severity (the alert's own, or
/// its rule's when the alert carries none). See the module docs for the formula.
pub fn case_score<'a>(alerts: impl IntoIterator<Item = (&'a Alert, &'a str)>) -> f64 {
    explain_case_score(alerts).0
}

/// The case score and the reasons behind it: one [`ScoreReason`] for the strongest typology,
/// then one per further typology, sanctions, evidence, and the floor or cap when they applied.
/// Among equally strong alerts of a typology the first one given is named.
pub fn explain_case_score<'a>(
    alerts: impl IntoIterator<Item = (&'a Alert, &'a str)>,
) -> (f64, Vec<ScoreReason>) {
    let alerts: Vec<(&Alert, &str)> = alerts.into_iter().collect();
    // how many separate episodes each typology has in the case: more than ROUTINE_EPISODES
    // makes it the account's routine, not an event
    let mut episodes: BTreeMap<Typology, usize> = BTreeMap::new();
    for (alert, _) in &alerts {
        *episodes.entry(alert.typology).or_default() += 1;
    }
    let routine = |t: Typology| episodes[&t] > ROUTINE_EPISODES && t != Typology::Sanctions;
    // an account with a routine typology is a busy one: its other typologies count half
    let busy = episodes.keys().any(|&t| routine(t));
    let mut best_by_typology: BTreeMap<Typology, (f64, &Alert)> = BTreeMap::new();
    let mut floor: Option<(f64, &Alert, &str)> = None;
    let mut sanctions: Option<&Alert> = None;
    let mut evidence: BTreeSet<&str> = BTreeSet::new();
    for (alert, severity) in alerts {
        let mut s = clamp_score(alert.score);
        let unproven = alert
            .details
            .iter()
            .any(|(k, _)| k == crate::rules::NEW_HISTORY_FACT);
        if routine(alert.typology) {
            s *= ROUTINE_EPISODES as f64 / episodes[&alert.typology] as f64;
        } else if busy && alert.typology != Typology::Sanctions {
            s *= BUSY_ACCOUNT_WEIGHT;
        }
        if unproven {
            s *= UNPROVEN_NEW_WEIGHT;
        }
        match best_by_typology.get_mut(&alert.typology) {
            Some(best) if s > best.0 => *best = (s, alert),
            Some(_) => {}
            None => {
                best_by_typology.insert(alert.typology, (s, alert));
            }
        }
        if routine(alert.typology) || unproven {
            // a routine typology, or counterparties new only against a short history, neither
            // sets a floor nor counts as evidence
            continue;
        }
        let f = severity_floor(severity);
        if f > 0.0 && floor.is_none_or(|(g, _, _)| f > g) {
            floor = Some((f, alert, severity));
        }
        if alert.typology == Typology::Sanctions && sanctions.is_none() {
            sanctions = Some(alert);
        }
        evidence.extend(alert.txn_ids.iter());
    }
    let mut ranked: Vec<(Typology, f64, &Alert)> = best_by_typology
        .into_iter()
        .map(|(t, (s, a))| (t, s, a))
        .collect();
    // stable: equal scores stay in vocabulary order
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));

    let mut reasons: Vec<ScoreReason> = Vec::new();
    let mut raw = 0.0;
    for (k, (typology, s, alert)) in ranked.iter().enumerate() {
        let routine_note = if routine(*typology) {
            format!(
                " (routine for this account: {} separate episodes, counted at {} in {})",
                episodes[typology], ROUTINE_EPISODES, episodes[typology]
            )
        } else if busy && *typology != Typology::Sanctions {
            format!(" (counted at {BUSY_ACCOUNT_WEIGHT}: the account alerts routinely)")
        } else {
            String::new()
        };
        let routine_note = match alert
            .details
            .iter()
            .find(|(k, _)| k == crate::rules::NEW_HISTORY_FACT)
        {
            Some((_, have)) => format!(
                "{routine_note} (counted at {UNPROVEN_NEW_WEIGHT}: new only against {have} of history)"
            ),
            None => routine_note,
        };
        let (signal, points, text) = if k == 0 {
            (
                ScoreSignal::Rule,
                *s,
                format!(
                    "strongest typology {}: rule {} scores {}{routine_note}",
                    typology.as_str(),
                    alert.rule_id,
                    one_decimal(*s)
                ),
            )
        } else {
            let weight = 0.5_f64.powi(k as i32 - 1);
            (
                ScoreSignal::Breadth,
                BREADTH_BONUS * (s / 100.0) * weight,
                format!(
                    "further typology {}: rule {} scores {}, × {} / 100{routine_note}",
                    typology.as_str(),
                    alert.rule_id,
                    one_decimal(*s),
                    BREADTH_BONUS * weight
                ),
            )
        };
        raw += points;
        reasons.push(ScoreReason {
            signal,
            points: one_decimal(points),
            alert_id: alert.alert_id.clone(),
            text,
        });
    }
    if let Some(alert) = sanctions {
        raw += SANCTIONS_BONUS;
        reasons.push(ScoreReason {
            signal: ScoreSignal::Sanctions,
            points: SANCTIONS_BONUS,
            alert_id: alert.alert_id.clone(),
            text: format!("sanctions name match (rule {})", alert.rule_id),
        });
    }
    let ev = evidence_points(evidence.len());
    if ev > 0.0 {
        raw += ev;
        reasons.push(ScoreReason {
            signal: ScoreSignal::Evidence,
            points: one_decimal(ev),
            alert_id: String::new(),
            text: format!(
                "{} distinct evidence transactions: {} points per doubling, at most {}",
                evidence.len(),
                EVIDENCE_POINTS_PER_DOUBLING,
                EVIDENCE_CAP
            ),
        });
    }
    if let Some((f, alert, severity)) = floor {
        if f > raw {
            reasons.push(ScoreReason {
                signal: ScoreSignal::SeverityFloor,
                points: one_decimal(f - raw),
                alert_id: alert.alert_id.clone(),
                text: format!(
                    "rule {} has severity {}: the score is at least {f}",
                    alert.rule_id,
                    severity.trim().to_ascii_lowercase()
                ),
            });
            raw = f;
        }
    }
    if raw > 100.0 {
        reasons.push(ScoreReason {
            signal: ScoreSignal::Cap,
            points: one_decimal(100.0 - raw),
            alert_id: String::new(),
            text: "capped at 100".to_string(),
        });
        raw = 100.0;
    }
    (one_decimal(raw), reasons)
}
