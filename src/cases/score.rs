//! The case risk score (0–100) and the priority band derived from it.
//!
//! # Formula
//!
//! For every distinct typology in the case take its strongest alert score `s` (clamped to 0–100).
//! Rank those typology scores from high to low: `s₁ ≥ s₂ ≥ … ≥ sₙ`.
//!
//! ```text
//! base      = s₁                                         the strongest signal
//! breadth   = Σ_{k=2..n} 10 · (s_k / 100) · ½^(k−2)      each further typology adds less
//!                                                         (at most 10, 5, 2.5, … → under 20)
//! sanctions = 15 if any alert is a sanctions name match, else 0
//! floor     = by the most severe alert: critical 90, high 70, medium 40, low 0
//!
//! score = min(100, max(floor, base + breadth + sanctions)), rounded to one decimal
//! ```
//!
//! Repeated alerts of one typology do not add up: five structuring episodes are one typology.
//! The severity floor makes sure a rule its author marked `critical` always lands in the
//! `critical` band, whatever its numeric score.
//!
//! # Bands
//!
//! `critical` ≥ 90, `high` ≥ 70, `medium` ≥ 40, otherwise `low`.

use crate::model::{Alert, Typology};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Points the second-strongest typology adds at full strength; each further one adds half as much.
pub const BREADTH_BONUS: f64 = 10.0;
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

/// Computes the case score from its alerts, each paired with its severity (the alert's own, or
/// its rule's when the alert carries none). See the module docs for the formula.
pub fn case_score<'a>(alerts: impl IntoIterator<Item = (&'a Alert, &'a str)>) -> f64 {
    let mut best_by_typology: BTreeMap<Typology, f64> = BTreeMap::new();
    let mut floor: f64 = 0.0;
    let mut has_sanctions = false;
    for (alert, severity) in alerts {
        let s = clamp_score(alert.score);
        let best = best_by_typology.entry(alert.typology).or_insert(0.0);
        *best = best.max(s);
        floor = floor.max(severity_floor(severity));
        has_sanctions |= alert.typology == Typology::Sanctions;
    }
    let mut ranked: Vec<f64> = best_by_typology.into_values().collect();
    ranked.sort_by(|a, b| b.total_cmp(a));

    let base = ranked.first().copied().unwrap_or(0.0);
    let breadth: f64 = ranked
        .iter()
        .skip(1)
        .enumerate()
        .map(|(k, s)| BREADTH_BONUS * (s / 100.0) * 0.5_f64.powi(k as i32))
        .sum();
    let sanctions = if has_sanctions { SANCTIONS_BONUS } else { 0.0 };
    let raw = (base + breadth + sanctions).max(floor).min(100.0);
    (raw * 10.0).round() / 10.0
}
