//! Evaluation on a labelled set of name pairs (`tests/fixtures/name-pairs.csv`, built by
//! `scripts/name-pairs.py`): each pair is scored by the screener as a one-entry list holding the
//! right-hand name, and precision, recall and F1 are computed per threshold and per category.

use super::super::entry::{Entry, ListedName, NameKind, WatchlistSet};
use super::super::error::WatchlistError;
use super::super::screener::Screener;
use std::path::Path;

/// The columns a pairs file must have, in any order.
pub const PAIR_COLUMNS: [&str; 6] = ["left", "right", "kind", "match", "category", "source"];

/// Thresholds of the pairs evaluation: 0.70, 0.75, ..., 0.95.
pub fn pair_thresholds() -> Vec<f64> {
    (70..=95).step_by(5).map(|p| f64::from(p) / 100.0).collect()
}

/// One labelled pair of names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePair {
    /// The name screened (as a customer record might hold it).
    pub left: String,
    /// The listed name it is screened against.
    pub right: String,
    /// Whether the listed name is a person's (`kind` `person`) rather than an entity's.
    pub person: bool,
    /// Whether both names name the same party.
    pub is_match: bool,
    /// How the names differ (`transliteration`, `legal_form`, ...; `shared_surname`, ... for
    /// non-matches).
    pub category: String,
    /// Where the pair comes from.
    pub source: String,
}

/// Reads a pairs CSV with the columns of [`PAIR_COLUMNS`]; `kind` is `person` or `entity`,
/// `match` is `true` or `false`, and `left`, `right` and `category` are not empty.
pub fn read_name_pairs(path: &Path) -> Result<Vec<NamePair>, WatchlistError> {
    let bytes = std::fs::read(path).map_err(|e| WatchlistError::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let malformed = |line: u64, message: String| WatchlistError::Malformed {
        path: path.to_path_buf(),
        line,
        format: "name pairs CSV",
        message,
    };
    let headers = reader
        .headers()
        .map_err(|e| malformed(1, format!("{e}; expected a header row")))?
        .clone();
    let mut columns = [0usize; 6];
    for (slot, name) in columns.iter_mut().zip(PAIR_COLUMNS) {
        *slot = headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| WatchlistError::MissingColumn {
                path: path.to_path_buf(),
                line: 1,
                column: name.to_string(),
                expected: PAIR_COLUMNS.join(","),
            })?;
    }
    let mut pairs = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| {
            malformed(
                e.position().map_or(0, |p| p.line()),
                format!(
                    "{e}; expected {} comma-separated fields",
                    PAIR_COLUMNS.len()
                ),
            )
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |k: usize| record.get(columns[k]).unwrap_or("").trim();
        let bad = |column: &'static str, message: String| WatchlistError::BadValue {
            path: path.to_path_buf(),
            line,
            column,
            message,
        };
        for (k, column) in [(0, "left"), (1, "right"), (4, "category")] {
            if cell(k).is_empty() {
                return Err(bad(column, "empty; expected a value".to_string()));
            }
        }
        let person = match cell(2) {
            "person" => true,
            "entity" => false,
            other => {
                return Err(bad(
                    "kind",
                    format!("`{other}`; expected `person` or `entity`"),
                ))
            }
        };
        let is_match = match cell(3) {
            "true" => true,
            "false" => false,
            other => {
                return Err(bad(
                    "match",
                    format!("`{other}`; expected `true` or `false`"),
                ))
            }
        };
        pairs.push(NamePair {
            left: cell(0).to_string(),
            right: cell(1).to_string(),
            person,
            is_match,
            category: cell(4).to_string(),
            source: cell(5).to_string(),
        });
    }
    if pairs.is_empty() {
        return Err(WatchlistError::Empty {
            path: path.to_path_buf(),
            line: 1,
            what: "name pairs",
        });
    }
    Ok(pairs)
}

/// The score of the left name against a one-entry list holding the right name as its primary
/// name (an `individual` entry for a person, an `entity` otherwise): the best hit's score, or
/// 0.0 when the screener finds no hit at all.
pub fn score_pair(pair: &NamePair) -> f64 {
    let entry = Entry {
        list: "PAIRS".to_string(),
        id: "1".to_string(),
        entry_type: if pair.person { "individual" } else { "entity" }.to_string(),
        names: vec![ListedName {
            text: pair.right.clone(),
            kind: NameKind::Primary,
        }],
        ..Entry::default()
    };
    let screener = Screener::new(&WatchlistSet::from_entries(vec![entry]));
    screener
        .screen(&pair.left, 0.0, 1)
        .first()
        .map_or(0.0, |hit| hit.score)
}

/// Counts and ratios at one threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct PairPoint {
    /// The score threshold: a pair is flagged when its score reaches it.
    pub threshold: f64,
    /// Matching pairs flagged.
    pub true_positives: usize,
    /// Non-matching pairs flagged.
    pub false_positives: usize,
    /// Matching pairs not flagged.
    pub false_negatives: usize,
    /// Non-matching pairs not flagged.
    pub true_negatives: usize,
    /// TP / (TP + FP); 1.0 when nothing is flagged.
    pub precision: f64,
    /// TP / (TP + FN); 1.0 without matching pairs.
    pub recall: f64,
    /// The harmonic mean of precision and recall; 0.0 when both are 0.
    pub f1: f64,
}

/// One category's result at the chosen threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryResult {
    /// The category.
    pub category: String,
    /// Whether its pairs are matches.
    pub is_match: bool,
    /// Pairs of persons in it.
    pub persons: usize,
    /// Pairs of entities in it.
    pub entities: usize,
    /// Pairs flagged at the chosen threshold.
    pub flagged: usize,
}

impl CategoryResult {
    /// Pairs in the category.
    pub fn pairs(&self) -> usize {
        self.persons + self.entities
    }

    /// The share labelled correctly at the chosen threshold: recall for matches, the share
    /// not flagged for non-matches.
    pub fn accuracy(&self) -> f64 {
        let right = if self.is_match {
            self.flagged
        } else {
            self.pairs() - self.flagged
        };
        right as f64 / self.pairs().max(1) as f64
    }
}

/// The result of [`evaluate_pairs`].
#[derive(Debug, Clone, PartialEq)]
pub struct PairEvaluation {
    /// Matching pairs.
    pub positives: usize,
    /// Non-matching pairs.
    pub negatives: usize,
    /// Pairs of persons.
    pub persons: usize,
    /// One point per threshold, ascending.
    pub curve: Vec<PairPoint>,
    /// The threshold of [`PairEvaluation::at_threshold`] and [`PairEvaluation::by_category`].
    pub threshold: f64,
    /// The point at `threshold`.
    pub at_threshold: PairPoint,
    /// Per category (matches first, then by name) at `threshold`.
    pub by_category: Vec<CategoryResult>,
    /// Every pair's score, in file order.
    pub scores: Vec<f64>,
}

/// Scores every pair once and computes the curve at `thresholds` and the categories at
/// `threshold`. Deterministic: each pair is scored on its own.
pub fn evaluate_pairs(pairs: &[NamePair], thresholds: &[f64], threshold: f64) -> PairEvaluation {
    let scores: Vec<f64> = pairs.iter().map(score_pair).collect();
    let mut thresholds = thresholds.to_vec();
    thresholds.sort_by(f64::total_cmp);
    thresholds.dedup();
    let curve = thresholds
        .iter()
        .map(|&t| pair_point(pairs, &scores, t))
        .collect();
    let mut categories: Vec<(bool, &str)> = pairs
        .iter()
        .map(|p| (!p.is_match, p.category.as_str()))
        .collect();
    categories.sort_unstable();
    categories.dedup();
    let by_category = categories
        .into_iter()
        .map(|(not_match, category)| {
            let members: Vec<usize> = (0..pairs.len())
                .filter(|&i| pairs[i].is_match != not_match && pairs[i].category == category)
                .collect();
            let persons = members.iter().filter(|&&i| pairs[i].person).count();
            CategoryResult {
                category: category.to_string(),
                is_match: !not_match,
                persons,
                entities: members.len() - persons,
                flagged: members.iter().filter(|&&i| scores[i] >= threshold).count(),
            }
        })
        .collect();
    let positives = pairs.iter().filter(|p| p.is_match).count();
    PairEvaluation {
        positives,
        negatives: pairs.len() - positives,
        persons: pairs.iter().filter(|p| p.person).count(),
        curve,
        threshold,
        at_threshold: pair_point(pairs, &scores, threshold),
        by_category,
        scores,
    }
}

fn pair_point(pairs: &[NamePair], scores: &[f64], threshold: f64) -> PairPoint {
    let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
    for (pair, &score) in pairs.iter().zip(scores) {
        match (pair.is_match, score >= threshold) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => tn += 1,
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    PairPoint {
        threshold,
        true_positives: tp,
        false_positives: fp,
        false_negatives: fn_,
        true_negatives: tn,
        precision,
        recall,
        f1,
    }
}

/// The evaluation as markdown: the set's size, precision/recall/F1 per threshold, then each
/// category at the chosen threshold; with `errors`, every misjudged pair at that threshold.
pub fn render_pairs_markdown(
    evaluation: &PairEvaluation,
    pairs: &[NamePair],
    errors: bool,
) -> String {
    let total = evaluation.positives + evaluation.negatives;
    let mut out = format!(
        "{total} name pairs: {} matches, {} non-matches; {} of persons, {} of entities\n\n\
         | threshold | precision | recall | F1 | TP | FP | FN | TN |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|\n",
        evaluation.positives,
        evaluation.negatives,
        evaluation.persons,
        total - evaluation.persons
    );
    let mut points = evaluation.curve.clone();
    if !points.iter().any(|p| p.threshold == evaluation.threshold) {
        points.push(evaluation.at_threshold.clone());
        points.sort_by(|a, b| a.threshold.total_cmp(&b.threshold));
    }
    for p in &points {
        let mark = if p.threshold == evaluation.threshold {
            " (chosen)"
        } else {
            ""
        };
        out.push_str(&format!(
            "| {:.2}{mark} | {:.4} | {:.4} | {:.4} | {} | {} | {} | {} |\n",
            p.threshold,
            p.precision,
            p.recall,
            p.f1,
            p.true_positives,
            p.false_positives,
            p.false_negatives,
            p.true_negatives
        ));
    }
    let at = &evaluation.at_threshold;
    out.push_str(&format!(
        "\nAt {:.2}: F1 {:.4}, {} false positives, {} false negatives.\n\n\
         | category | match | pairs | persons | entities | flagged | correct |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
        evaluation.threshold, at.f1, at.false_positives, at.false_negatives
    ));
    for c in &evaluation.by_category {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {:.3} |\n",
            c.category,
            c.is_match,
            c.pairs(),
            c.persons,
            c.entities,
            c.flagged,
            c.accuracy()
        ));
    }
    if errors {
        out.push_str("\n| misjudged | category | score | left | right |\n|---|---|---:|---|---|\n");
        for (pair, &score) in pairs.iter().zip(&evaluation.scores) {
            if pair.is_match != (score >= evaluation.threshold) {
                let what = if pair.is_match { "FN" } else { "FP" };
                out.push_str(&format!(
                    "| {what} | {} | {score:.4} | {} | {} |\n",
                    pair.category,
                    pair.left.replace('|', "/"),
                    pair.right.replace('|', "/")
                ));
            }
        }
    }
    out
}
