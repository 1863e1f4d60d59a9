//! Ranking scores: how well the case order puts true cases first.
//!
//! Cases are taken in the order the report shows them: score from high to low, then case id.
//! A case is **true** when one of its subject accounts is an account of a planted instance: the
//! instance's subject or any account in its `accounts` list (so a co-alert on a planted mule
//! is a true case, and so is a case on a planted account raised by a rule of another
//! typology). Every other case is **false**: it is about customers where nothing was planted.
//!
//! * `precision@K`: true cases among the first `K`, over `K`; undefined (`None`) when there
//!   are fewer than `K` cases.
//! * `R-precision`: `precision@R` where `R` is the number of true cases in the ranking.
//! * Average precision (AP), the step-wise area under the precision-recall curve:
//!   `AP = (1/R) · Σ_{k : case k is true} precision@k`. It is 1 when every true case comes
//!   before every false one, and falls as false cases move up. Recall here is over the true
//!   cases in the ranking (the instances no alert found are the backtest's recall, not the
//!   ranking's); AP is undefined when no case is true.
//!
//! Equal scores are ordered by case id, a hash of the subject accounts: as the analyst sees
//! them, not in the order most favourable to the score.

use super::labels::Label;
use crate::cases::Case;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The cut-offs reported as `precision_at_50` and `precision_at_100`.
pub const RANKING_CUTOFFS: [usize; 2] = [50, 100];

/// A false case near the top of the ranking, for the analyst checking the score.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RankedCase {
    /// Position in the ranking, 1 for the first case.
    pub rank: u64,
    pub case_id: String,
    pub score: f64,
    /// Typology codes of the case.
    pub typologies: Vec<String>,
}

/// How well the case order puts true cases first (see the module docs for the definitions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RankingScores {
    /// Cases ranked.
    pub cases: u64,
    /// True cases among them (`R`).
    pub true_cases: u64,
    /// True cases among the first 50, over 50.
    pub precision_at_50: Option<f64>,
    /// True cases among the first 100, over 100.
    pub precision_at_100: Option<f64>,
    /// True cases among the first `R`, over `R`.
    pub precision_at_true: Option<f64>,
    /// Average precision: the step-wise area under the precision-recall curve.
    pub average_precision: Option<f64>,
    /// The false cases among the first 100, in rank order.
    pub false_in_top_100: Vec<RankedCase>,
}

/// Precision at `k` of a ranking given as "is the case at this position true"; `None` when
/// `k` is 0 or the ranking is shorter than `k`.
pub fn precision_at(relevant: &[bool], k: usize) -> Option<f64> {
    (k > 0 && relevant.len() >= k)
        .then(|| relevant[..k].iter().filter(|&&r| r).count() as f64 / k as f64)
}

/// Average precision of a ranking given as "is the case at this position true"; `None` when
/// no case is true.
pub fn average_precision(relevant: &[bool]) -> Option<f64> {
    let mut hits = 0u64;
    let mut sum = 0.0;
    for (i, &r) in relevant.iter().enumerate() {
        if r {
            hits += 1;
            sum += hits as f64 / (i + 1) as f64;
        }
    }
    (hits > 0).then(|| sum / hits as f64)
}

/// Scores a ranking given as "is the case at this position true".
pub fn ranking_scores(relevant: &[bool]) -> RankingScores {
    let true_cases = relevant.iter().filter(|&&r| r).count();
    RankingScores {
        cases: relevant.len() as u64,
        true_cases: true_cases as u64,
        precision_at_50: precision_at(relevant, RANKING_CUTOFFS[0]),
        precision_at_100: precision_at(relevant, RANKING_CUTOFFS[1]),
        precision_at_true: precision_at(relevant, true_cases),
        average_precision: average_precision(relevant),
        false_in_top_100: Vec::new(),
    }
}

/// Ranks cases as the report does (score from high to low, then case id) and scores the
/// ranking against the planted labels.
pub fn score_ranking(cases: &[Case], labels: &[Label]) -> RankingScores {
    let planted: HashSet<&str> = labels
        .iter()
        .flat_map(|l| std::iter::once(&l.subject_account).chain(&l.accounts))
        .map(String::as_str)
        .collect();
    let mut order: Vec<&Case> = cases.iter().collect();
    order.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.case_id.cmp(&b.case_id))
    });
    let relevant: Vec<bool> = order
        .iter()
        .map(|c| {
            c.subject
                .accounts
                .iter()
                .any(|a| planted.contains(a.as_str()))
        })
        .collect();
    let mut scores = ranking_scores(&relevant);
    scores.false_in_top_100 = order
        .iter()
        .zip(&relevant)
        .enumerate()
        .take(RANKING_CUTOFFS[1])
        .filter(|(_, (_, &r))| !r)
        .map(|(i, (c, _))| RankedCase {
            rank: i as u64 + 1,
            case_id: c.case_id.clone(),
            score: c.score,
            typologies: c
                .typologies
                .iter()
                .map(|t| t.as_str().to_string())
                .collect(),
        })
        .collect();
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranking(pattern: &str) -> Vec<bool> {
        pattern.chars().map(|c| c == 'T').collect()
    }

    #[test]
    fn average_precision_by_hand() {
        // T F T F F T: precision at the true cases 1/1, 2/3, 3/6 → AP = (1 + 2/3 + 1/2) / 3
        let r = ranking("TFTFFT");
        let ap = average_precision(&r).unwrap();
        assert!((ap - 13.0 / 18.0).abs() < 1e-12, "{ap}");
        // every true case first: AP 1, whatever follows
        assert_eq!(average_precision(&ranking("TTTFFF")), Some(1.0));
        // every true case last: F F T T → (1/3 + 2/4) / 2 = 5/12
        let ap = average_precision(&ranking("FFTT")).unwrap();
        assert!((ap - 5.0 / 12.0).abs() < 1e-12, "{ap}");
        // one false case moving down raises AP: F T T (7/12) < T F T (5/6) < T T F (1)
        let a = average_precision(&ranking("FTT")).unwrap();
        let b = average_precision(&ranking("TFT")).unwrap();
        assert!((a - 7.0 / 12.0).abs() < 1e-12 && (b - 5.0 / 6.0).abs() < 1e-12);
        assert_eq!(average_precision(&ranking("FFF")), None);
        assert_eq!(average_precision(&[]), None);
    }

    #[test]
    fn precision_at_k_by_hand() {
        let r = ranking("TFTFFT");
        assert_eq!(precision_at(&r, 1), Some(1.0));
        assert_eq!(precision_at(&r, 2), Some(0.5));
        assert_eq!(precision_at(&r, 3), Some(2.0 / 3.0));
        assert_eq!(precision_at(&r, 6), Some(0.5));
        assert_eq!(precision_at(&r, 7), None, "fewer cases than K");
        assert_eq!(precision_at(&r, 0), None);
        let s = ranking_scores(&r);
        assert_eq!((s.cases, s.true_cases), (6, 3));
        assert_eq!(s.precision_at_true, Some(2.0 / 3.0));
        assert_eq!((s.precision_at_50, s.precision_at_100), (None, None));

        // 120 cases: the first 40 true, then 20 false, then 60 true
        let mut long = vec![true; 40];
        long.extend([false; 20]);
        long.extend([true; 60]);
        let s = ranking_scores(&long);
        assert_eq!(s.precision_at_50, Some(40.0 / 50.0));
        assert_eq!(s.precision_at_100, Some(80.0 / 100.0));
        assert_eq!(s.precision_at_true, Some(80.0 / 100.0));
        // AP: 40 hits at precision 1, then hit j (1..=60) at rank 60+j with 40+j true
        let expected = (40.0
            + (1..=60)
                .map(|j| (40 + j) as f64 / (60 + j) as f64)
                .sum::<f64>())
            / 100.0;
        let ap = s.average_precision.unwrap();
        assert!((ap - expected).abs() < 1e-12, "{ap} vs {expected}");
    }
}
