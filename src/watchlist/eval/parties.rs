//! Evaluation of screening with identity facts: person queries made from listed people who
//! carry a birth date and a nationality, scored with and without those facts.
//!
//! Positives are name variants of a listed person (as [`build_eval_set`](super::build_eval_set)
//! makes them) with the person's true birth date (a full date inside what the list gives) and
//! one of the listed nationalities. Negatives are look-alikes who are not listed: the listed name
//! or a variant of it with a birth year outside every listed date and/or another nationality,
//! and made-up names sharing a listed person's birth year and nationality. A negative is
//! discarded when some entry whose name is similar (a name-only hit at 0.70) does not contradict
//! its facts: no screener could tell that person apart (the same person listed elsewhere without
//! a birth date, or another listed person of that name and year).

use super::cases::{make_variant, random_person, reading_tokens, VARIANTS};
use super::vocab::Rng;
use crate::watchlist::entry::{Entry, WatchlistSet};
use crate::watchlist::error::WatchlistError;
use crate::watchlist::facts::{compare_birth_dates, Agreement, BirthDate, PartialDate};
use crate::watchlist::screener::{PartyQuery, Screener};
use std::collections::{HashMap, HashSet};
use std::io::Write;

/// One labelled party query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyCase {
    /// The party to screen.
    pub query: PartyQuery,
    /// For a positive, the list and entry id it was made from; `None` for a look-alike.
    pub expected: Option<(String, String)>,
    /// How it was made (`typo`, ..., `same_name_other_year`, `unrelated_same_year`, ...).
    pub kind: String,
}

/// Ways of making a look-alike who is not listed.
const LOOK_ALIKES: &[&str] = &[
    "same_name_other_year",
    "same_name_other_nationality",
    "same_name_other_both",
    "variant_other_year",
    "variant_other_nationality",
    "unrelated_same_year",
];

/// Nationalities given to look-alikes (the first not listed for the person is used).
const OTHER_NATIONALITIES: &[&str] = &[
    "US", "GB", "FR", "DE", "IN", "BR", "MX", "NG", "TR", "ID", "PK", "EG", "RU", "CN", "ES", "IT",
    "PH", "KE", "AR", "CA",
];

/// Name-only hits at this score decide whether a look-alike is distinguishable (see the module
/// documentation).
const LOOK_ALIKE_CHECK_THRESHOLD: f64 = 0.70;

/// Builds about `positives` positives and `negatives` look-alikes from the individuals of `set`
/// that carry both a birth date and a nationality, deterministically from `seed`; look-alikes no
/// screener could tell apart are discarded (checked with `screener`, built from `set`).
pub fn build_party_eval_set(
    set: &WatchlistSet,
    screener: &Screener,
    positives: usize,
    negatives: usize,
    seed: u64,
) -> Vec<PartyCase> {
    let people: Vec<&Entry> = set
        .entries()
        .iter()
        .filter(|e| {
            e.is_individual()
                && !e.names.is_empty()
                && !e.birth_dates.is_empty()
                && !e.nationalities.is_empty()
        })
        .collect();
    if people.is_empty() {
        return Vec::new();
    }
    let mut rng = Rng::new(seed);
    let mut cases = Vec::with_capacity(positives + negatives);
    let mut seen: HashSet<PartyQuery> = HashSet::new();
    let mut attempts = 0;
    while cases.len() < positives && attempts < positives * 20 {
        attempts += 1;
        let entry = *rng.pick(&people);
        let kind = *rng.pick(VARIANTS);
        let Some(name) = make_variant(entry, entry.primary_name(), kind, &mut rng) else {
            continue;
        };
        let query = PartyQuery {
            name,
            birth_date: Some(true_birth_date(entry, &mut rng)),
            nationality: Some(rng.pick(&entry.nationalities).clone()),
            id_numbers: Vec::new(),
        };
        if seen.insert(query.clone()) {
            cases.push(PartyCase {
                query,
                expected: Some((entry.list.clone(), entry.id.clone())),
                kind: kind.to_string(),
            });
        }
    }
    let target = cases.len() + negatives;
    let entries_by_key: HashMap<(&str, &str), &Entry> = set
        .entries()
        .iter()
        .map(|e| ((e.list.as_str(), e.id.as_str()), e))
        .collect();
    attempts = 0;
    while cases.len() < target && attempts < negatives * 20 {
        attempts += 1;
        let entry = *rng.pick(&people);
        let kind = *rng.pick(LOOK_ALIKES);
        let Some(query) = make_look_alike(entry, kind, &mut rng) else {
            continue;
        };
        if seen.contains(&query) || !distinguishable(screener, &entries_by_key, &query) {
            continue;
        }
        seen.insert(query.clone());
        cases.push(PartyCase {
            query,
            expected: None,
            kind: kind.to_string(),
        });
    }
    cases
}

/// A full date of birth agreeing with the entry's first listed date: the listed day, or a day
/// inside the listed year or month, a year inside a listed range, or within a year of a circa.
fn true_birth_date(entry: &Entry, rng: &mut Rng) -> PartialDate {
    let listed = entry.birth_dates[0];
    let base = match listed {
        BirthDate::Exact(d) => d,
        BirthDate::Circa(d) => {
            let year = d.year() + rng.below(3) as u16 - 1;
            PartialDate::new(year, None, None).unwrap_or(d)
        }
        BirthDate::Between(..) => {
            let (from, to) = listed.year_span();
            let year = from + rng.below(usize::from(to - from) + 1) as u16;
            PartialDate::new(year, None, None)
                .unwrap_or(PartialDate::new(from, None, None).expect("listed year"))
        }
    };
    complete(base, rng)
}

/// A full date inside `date` (a random month and day where it gives none).
fn complete(date: PartialDate, rng: &mut Rng) -> PartialDate {
    let month = date.month().unwrap_or(1 + rng.below(12) as u8);
    let day = date.day().unwrap_or(1 + rng.below(28) as u8);
    PartialDate::new(date.year(), Some(month), Some(day)).unwrap_or(date)
}

/// A full date in a year outside every listed date of the entry (3 to 20 years away).
fn other_birth_date(entry: &Entry, rng: &mut Rng) -> Option<PartialDate> {
    let base = entry.birth_dates[0].year_span().0;
    for _ in 0..20 {
        let shift = 3 + rng.below(18) as i32;
        let year = if rng.chance(50) {
            i32::from(base) + shift
        } else {
            i32::from(base) - shift
        };
        let date = complete(
            PartialDate::new(u16::try_from(year).ok()?, None, None)?,
            rng,
        );
        if compare_birth_dates(&date, &entry.birth_dates).map(|(a, _)| a)
            == Some(Agreement::Contradicts)
        {
            return Some(date);
        }
    }
    None
}

fn other_nationality(entry: &Entry, rng: &mut Rng) -> String {
    let start = rng.below(OTHER_NATIONALITIES.len());
    (0..OTHER_NATIONALITIES.len())
        .map(|k| OTHER_NATIONALITIES[(start + k) % OTHER_NATIONALITIES.len()])
        .find(|c| !entry.nationalities.iter().any(|n| n == c))
        .unwrap_or("US")
        .to_string()
}

fn make_look_alike(entry: &Entry, kind: &str, rng: &mut Rng) -> Option<PartyQuery> {
    let listed_name = reading_tokens(entry, entry.primary_name()).join(" ");
    let true_nationality = rng.pick(&entry.nationalities).clone();
    let (name, birth_date, nationality) = match kind {
        "same_name_other_year" => (listed_name, other_birth_date(entry, rng)?, true_nationality),
        "same_name_other_nationality" => (
            listed_name,
            true_birth_date(entry, rng),
            other_nationality(entry, rng),
        ),
        "same_name_other_both" => (
            listed_name,
            other_birth_date(entry, rng)?,
            other_nationality(entry, rng),
        ),
        "variant_other_year" => {
            let variant_kind = *rng.pick(VARIANTS);
            let variant = make_variant(entry, entry.primary_name(), variant_kind, rng)?;
            (variant, other_birth_date(entry, rng)?, true_nationality)
        }
        "variant_other_nationality" => {
            let variant_kind = *rng.pick(VARIANTS);
            let variant = make_variant(entry, entry.primary_name(), variant_kind, rng)?;
            (
                variant,
                true_birth_date(entry, rng),
                other_nationality(entry, rng),
            )
        }
        "unrelated_same_year" => (
            random_person(rng),
            true_birth_date(entry, rng),
            true_nationality,
        ),
        _ => return None,
    };
    Some(PartyQuery {
        name,
        birth_date: Some(birth_date),
        nationality: Some(nationality),
        id_numbers: Vec::new(),
    })
}

/// Whether every entry with a similar name (a name-only hit) is told apart by the query's facts.
fn distinguishable(
    screener: &Screener,
    entries: &HashMap<(&str, &str), &Entry>,
    query: &PartyQuery,
) -> bool {
    screener
        .screen(&query.name, LOOK_ALIKE_CHECK_THRESHOLD, usize::MAX)
        .iter()
        .all(|hit| {
            let Some(entry) = entries.get(&(hit.list.as_str(), hit.entry_id.as_str())) else {
                return false;
            };
            let date_differs = query.birth_date.is_some_and(|d| {
                compare_birth_dates(&d, &entry.birth_dates).map(|(a, _)| a)
                    == Some(Agreement::Contradicts)
            });
            let nationality_differs = query.nationality.as_ref().is_some_and(|n| {
                !entry.nationalities.is_empty() && !entry.nationalities.contains(n)
            });
            date_differs || nationality_differs
        })
}

/// Recall and false-hit rate at one threshold, name only or with the facts.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyPoint {
    /// The score threshold.
    pub threshold: f64,
    /// `name only` or `with facts`.
    pub mode: &'static str,
    /// Positives with any hit.
    pub true_positives: usize,
    /// Positives whose own entry is among the hits.
    pub own_entry: usize,
    /// Look-alikes with any hit.
    pub false_positives: usize,
    /// TP / positives.
    pub recall: f64,
    /// FP / look-alikes.
    pub false_hit_rate: f64,
}

/// One kind of case: its name, its number of cases, and per threshold how many flagged name
/// only and with facts.
pub type KindCounts = (String, usize, Vec<(usize, usize)>);

/// The evaluation: counts, then points per threshold and mode, then per kind.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyEvaluation {
    /// Positives.
    pub positives: usize,
    /// Look-alikes.
    pub negatives: usize,
    /// Two points (name only, with facts) per threshold, ascending.
    pub points: Vec<PartyPoint>,
    /// Per kind: kind, cases, flagged name only and with facts at each threshold.
    pub by_kind: Vec<KindCounts>,
}

/// Screens every case name only ([`Screener::screen_many`]) and with its facts
/// ([`Screener::screen_parties`]) at each threshold.
pub fn evaluate_parties(
    screener: &Screener,
    cases: &[PartyCase],
    thresholds: &[f64],
) -> PartyEvaluation {
    let names: Vec<&str> = cases.iter().map(|c| c.query.name.as_str()).collect();
    let queries: Vec<PartyQuery> = cases.iter().map(|c| c.query.clone()).collect();
    let positives = cases.iter().filter(|c| c.expected.is_some()).count();
    let negatives = cases.len() - positives;
    let mut points = Vec::new();
    let mut flagged: Vec<Vec<(bool, bool)>> = Vec::new();
    for &t in thresholds {
        let plain = screener.screen_many(&names, t, usize::MAX);
        let with = screener.screen_parties(&queries, t, usize::MAX);
        let mut flags = Vec::with_capacity(cases.len());
        for (mode, results) in [("name only", &plain), ("with facts", &with)] {
            let (mut tp, mut own, mut fp) = (0, 0, 0);
            for (case, hits) in cases.iter().zip(results.iter()) {
                match &case.expected {
                    Some((list, id)) => {
                        tp += usize::from(!hits.is_empty());
                        own +=
                            usize::from(hits.iter().any(|h| &h.list == list && &h.entry_id == id));
                    }
                    None => fp += usize::from(!hits.is_empty()),
                }
            }
            let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            points.push(PartyPoint {
                threshold: t,
                mode,
                true_positives: tp,
                own_entry: own,
                false_positives: fp,
                recall: ratio(tp, positives),
                false_hit_rate: ratio(fp, negatives),
            });
        }
        for (p, w) in plain.iter().zip(&with) {
            flags.push((!p.is_empty(), !w.is_empty()));
        }
        flagged.push(flags);
    }
    let mut kinds: Vec<&str> = cases.iter().map(|c| c.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let by_kind = kinds
        .into_iter()
        .map(|kind| {
            let members: Vec<usize> = (0..cases.len())
                .filter(|&i| cases[i].kind == kind)
                .collect();
            let counts = flagged
                .iter()
                .map(|flags| {
                    (
                        members.iter().filter(|&&i| flags[i].0).count(),
                        members.iter().filter(|&&i| flags[i].1).count(),
                    )
                })
                .collect();
            (kind.to_string(), members.len(), counts)
        })
        .collect();
    PartyEvaluation {
        positives,
        negatives,
        points,
        by_kind,
    }
}

/// The evaluation as markdown tables.
pub fn render_party_markdown(evaluation: &PartyEvaluation) -> String {
    let mut out = format!(
        "{} positives (listed people, name variants with their birth date and nationality), {} look-alikes\n\n\
         | threshold | mode | recall | own entry | false-hit rate | TP | FP |\n\
         |---:|---|---:|---:|---:|---:|---:|\n",
        evaluation.positives, evaluation.negatives
    );
    for p in &evaluation.points {
        out.push_str(&format!(
            "| {:.2} | {} | {:.4} | {:.4} | {:.4} | {} | {} |\n",
            p.threshold,
            p.mode,
            p.recall,
            p.own_entry as f64 / evaluation.positives.max(1) as f64,
            p.false_hit_rate,
            p.true_positives,
            p.false_positives
        ));
    }
    out.push_str("\n| kind | cases |");
    let thresholds: Vec<f64> = evaluation
        .points
        .iter()
        .filter(|p| p.mode == "name only")
        .map(|p| p.threshold)
        .collect();
    for t in &thresholds {
        out.push_str(&format!(" flagged@{t:.2} name / facts |"));
    }
    out.push_str("\n|---|---:|");
    out.push_str(&"---:|".repeat(thresholds.len()));
    out.push('\n');
    for (kind, count, flagged) in &evaluation.by_kind {
        out.push_str(&format!("| {kind} | {count} |"));
        for (plain, with) in flagged {
            let share = |n: usize| n as f64 / (*count).max(1) as f64;
            out.push_str(&format!(" {:.3} / {:.3} |", share(*plain), share(*with)));
        }
        out.push('\n');
    }
    out
}

/// Writes the cases as CSV (`name,birth_date,nationality,label,expected_list,
/// expected_entry_id,kind`), readable by `screen-names` and by scripts/peer_names.py `--eval`.
pub fn write_party_eval_csv(w: impl Write, cases: &[PartyCase]) -> Result<(), WatchlistError> {
    let failed = |e: csv::Error| WatchlistError::Write {
        what: "evaluation CSV",
        source: e,
    };
    let mut writer = csv::Writer::from_writer(w);
    writer
        .write_record([
            "name",
            "birth_date",
            "nationality",
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
        let date = case
            .query
            .birth_date
            .map(|d| d.to_string())
            .unwrap_or_default();
        let nationality = case.query.nationality.as_deref().unwrap_or("");
        writer
            .write_record([
                case.query.name.as_str(),
                &date,
                nationality,
                label,
                list,
                id,
                case.kind.as_str(),
            ])
            .map_err(failed)?;
    }
    writer.flush().map_err(|e| WatchlistError::Write {
        what: "evaluation CSV",
        source: e.into(),
    })
}
