//! Evaluation: a deterministic labelled set of true variants and hard non-matches made from the
//! loaded lists, precision/recall per threshold, and a markdown rendering of the curve.
//!
//! A query *flags* at threshold `t` when it has any hit scoring `t` or more. Recall is the share
//! of true variants that flag; precision is the share of flagged queries that are true variants.
//! `entry_recall` is stricter: the variant's own entry is among the hits at `t`.

mod cases;
mod pairs;
mod parties;
mod vocab;

pub use cases::{build_eval_set, synthetic_names, EvalCase};
pub use pairs::{
    evaluate_pairs, pair_thresholds, read_name_pairs, render_pairs_markdown, score_pair,
    CategoryResult, NamePair, PairEvaluation, PairPoint, PAIR_COLUMNS,
};
pub use parties::{
    build_party_eval_set, evaluate_parties, render_party_markdown, write_party_eval_csv, PartyCase,
    PartyEvaluation, PartyPoint,
};

use super::error::WatchlistError;
use super::screener::Screener;
use std::io::Write;

/// Precision and recall at one threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    /// The score threshold.
    pub threshold: f64,
    /// True variants that flagged.
    pub true_positives: usize,
    /// True variants that did not flag.
    pub false_negatives: usize,
    /// Non-matches that flagged.
    pub false_positives: usize,
    /// Non-matches that did not flag.
    pub true_negatives: usize,
    /// TP / (TP + FP); 1.0 when nothing flagged.
    pub precision: f64,
    /// TP / (TP + FN).
    pub recall: f64,
    /// Share of true variants whose own entry is among the hits.
    pub entry_recall: f64,
}

/// The result of [`evaluate`]: the curve and the recall of each variant kind at each threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Number of true variants.
    pub positives: usize,
    /// Number of non-matches.
    pub negatives: usize,
    /// One point per threshold, ascending.
    pub curve: Vec<CurvePoint>,
    /// Per case kind: kind, cases, and how many flagged at each threshold (curve order).
    pub by_kind: Vec<(String, usize, Vec<usize>)>,
}

/// Thresholds 0.50, 0.55, ..., 1.00.
pub fn default_thresholds() -> Vec<f64> {
    (0..=10).map(|k| 0.5 + 0.05 * f64::from(k)).collect()
}

/// Screens every case once (at the lowest threshold) and computes the curve at `thresholds`.
pub fn evaluate(screener: &Screener, cases: &[EvalCase], thresholds: &[f64]) -> Evaluation {
    let mut thresholds = thresholds.to_vec();
    thresholds.sort_by(f64::total_cmp);
    let lowest = thresholds.first().copied().unwrap_or(0.0);
    let queries: Vec<&str> = cases.iter().map(|c| c.query.as_str()).collect();
    let results = screener.screen_many(&queries, lowest, usize::MAX);
    // Per case: best score of any hit, and best score of the expected entry.
    let scores: Vec<(f64, f64)> = cases
        .iter()
        .zip(&results)
        .map(|(case, hits)| {
            let best = hits.first().map_or(-1.0, |h| h.score);
            let own = case.expected.as_ref().map_or(-1.0, |(list, id)| {
                hits.iter()
                    .filter(|h| &h.list == list && &h.entry_id == id)
                    .map(|h| h.score)
                    .fold(-1.0, f64::max)
            });
            (best, own)
        })
        .collect();
    let positives = cases.iter().filter(|c| c.expected.is_some()).count();
    let negatives = cases.len() - positives;
    let curve = thresholds
        .iter()
        .map(|&t| curve_point(cases, &scores, t, positives))
        .collect();
    let mut kinds: Vec<&str> = cases.iter().map(|c| c.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let by_kind = kinds
        .into_iter()
        .map(|kind| {
            let members: Vec<usize> = (0..cases.len())
                .filter(|&i| cases[i].kind == kind)
                .collect();
            let flagged = thresholds
                .iter()
                .map(|&t| members.iter().filter(|&&i| scores[i].0 >= t).count())
                .collect();
            (kind.to_string(), members.len(), flagged)
        })
        .collect();
    Evaluation {
        positives,
        negatives,
        curve,
        by_kind,
    }
}

fn curve_point(cases: &[EvalCase], scores: &[(f64, f64)], t: f64, positives: usize) -> CurvePoint {
    let (mut tp, mut fp, mut own) = (0, 0, 0);
    for (case, &(best, own_score)) in cases.iter().zip(scores) {
        let flagged = best >= t;
        match (&case.expected, flagged) {
            (Some(_), true) => tp += 1,
            (None, true) => fp += 1,
            _ => {}
        }
        if case.expected.is_some() && own_score >= t {
            own += 1;
        }
    }
    let negatives = cases.len() - positives;
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    CurvePoint {
        threshold: t,
        true_positives: tp,
        false_negatives: positives - tp,
        false_positives: fp,
        true_negatives: negatives - fp,
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, positives),
        entry_recall: ratio(own, positives),
    }
}

/// The curve as a markdown table, then the share flagged per case kind at each threshold.
pub fn render_markdown(evaluation: &Evaluation) -> String {
    let mut out = format!(
        "{} true variants, {} hard non-matches\n\n\
         | threshold | precision | recall | entry recall | TP | FP | FN |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n",
        evaluation.positives, evaluation.negatives
    );
    for p in &evaluation.curve {
        out.push_str(&format!(
            "| {:.2} | {:.4} | {:.4} | {:.4} | {} | {} | {} |\n",
            p.threshold,
            p.precision,
            p.recall,
            p.entry_recall,
            p.true_positives,
            p.false_positives,
            p.false_negatives
        ));
    }
    out.push_str("\n| kind | cases |");
    for p in &evaluation.curve {
        out.push_str(&format!(" flagged@{:.2} |", p.threshold));
    }
    out.push_str("\n|---|---:|");
    out.push_str(&"---:|".repeat(evaluation.curve.len()));
    out.push('\n');
    for (kind, count, flagged) in &evaluation.by_kind {
        out.push_str(&format!("| {kind} | {count} |"));
        for f in flagged {
            out.push_str(&format!(" {:.3} |", *f as f64 / (*count).max(1) as f64));
        }
        out.push('\n');
    }
    out
}

/// Writes the cases as CSV (`query,label,expected_list,expected_entry_id,kind`, label `match`
/// or `nonmatch`) so another screener can be measured on the same set.
pub fn write_eval_csv(w: impl Write, cases: &[EvalCase]) -> Result<(), WatchlistError> {
    let failed = |e: csv::Error| WatchlistError::Write {
        what: "evaluation CSV",
        source: e,
    };
    let mut writer = csv::Writer::from_writer(w);
    writer
        .write_record([
            "query",
            "label",
            "expected_list",
            "expected_entry_id",
            "kind",
        ])
        .map_err(failed)?;
    for case in cases {
        let (label, list, id) = match &case.expected {
            Some((list, id)) => ("match", list.as_str(), id.as_str()),
            None => ("nonmatch", "", ""),
        };
        writer
            .write_record([case.query.as_str(), label, list, id, case.kind.as_str()])
            .map_err(failed)?;
    }
    writer.flush().map_err(|e| WatchlistError::Write {
        what: "evaluation CSV",
        source: e.into(),
    })
}
