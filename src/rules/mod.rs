//! Rule packs: declarative TOML rules compiled to engine-neutral plans and run on Polars.
//!
//! - [`pack`]: the file format and loading, with errors that name the file and line;
//! - [`plan`]: what a rule means, independent of any engine;
//! - [`kinds`]: each rule kind's parameters and how they become a plan;
//! - `engine`: the Polars back end;
//! - [`alerts`]: episodes to alerts with summaries;
//! - [`golden`]: the golden tests kept beside each pack.

pub mod alerts;
pub mod bipartite;
pub mod builtin;
pub mod diff;
mod engine;

#[cfg(feature = "spark")]
pub(crate) use engine::{annotate_new_history, temporal, POOLED_ACCOUNTS_FACT};
/// Hits, their merging into episodes, and episodes into alerts: shared with the Spark engine,
/// which finds hits on a cluster and builds alerts with this code.
#[cfg(feature = "spark")]
pub(crate) use engine::{graph::layered_hits_by, graph::structure_hit, merge_hits, Episode, Hit};
pub use engine::{EngineContext, NEW_HISTORY_FACT, ROUTINE_FACT, SEGMENT_BASIS_FACT, SEGMENT_FACT};
pub mod golden;
pub mod graph;
pub mod kinds;
pub mod pack;
pub mod params;
pub mod plan;
pub mod round_trip;
pub mod segments;
pub mod sweep;

pub use pack::{NamedList, Pack, Rule};

use crate::model::{Alert, EvidenceRecords};
use alerts::Evidence;
use polars::prelude::*;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Errors loading or running rules.
#[derive(Debug, Error)]
pub enum RuleError {
    #[error("{file}:{line}: {message}")]
    Pack {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: cannot read: {source}")]
    Unreadable {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no rule packs (*.toml) found in {0}")]
    NoPacks(String),
    #[error("rule `{rule}`: {message}")]
    Engine { rule: String, message: String },
    #[error("packs disagree on the base currency: {0}")]
    BaseCurrency(String),
    #[error("rule `{0}` appears in more than one pack")]
    DuplicateRule(String),
}

/// All packs of a run.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub packs: Vec<Pack>,
}

impl RuleSet {
    /// Loads pack files and folders of packs (`*.toml` directly inside, sorted by name; golden
    /// test files `*.tests.toml` and the `lists/` folder are skipped). No paths at all means
    /// the shipped packs built into the binary ([`builtin`]).
    pub fn load(paths: &[PathBuf]) -> Result<RuleSet, RuleError> {
        if paths.is_empty() {
            return RuleSet::load(&builtin::pack_paths());
        }
        let mut files = Vec::new();
        for path in paths {
            if path.is_dir() {
                let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                    .map_err(|e| RuleError::Unreadable {
                        file: path.display().to_string(),
                        source: e,
                    })?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| is_pack_file(p))
                    .collect();
                found.sort();
                if found.is_empty() {
                    return Err(RuleError::NoPacks(path.display().to_string()));
                }
                files.extend(found);
            } else {
                files.push(path.clone());
            }
        }
        let packs = files
            .iter()
            .map(|f| pack::load_pack(f))
            .collect::<Result<Vec<_>, _>>()?;
        let set = RuleSet { packs };
        set.check()?;
        Ok(set)
    }

    fn check(&self) -> Result<(), RuleError> {
        let mut seen = std::collections::HashSet::new();
        for rule in self.rules() {
            if !seen.insert(rule.plan.rule_id.clone()) {
                return Err(RuleError::DuplicateRule(rule.plan.rule_id.clone()));
            }
        }
        let currencies: std::collections::BTreeSet<&str> = self
            .packs
            .iter()
            .map(|p| p.base_currency.as_str())
            .collect();
        if currencies.len() > 1 {
            return Err(RuleError::BaseCurrency(
                currencies.into_iter().collect::<Vec<_>>().join(", "),
            ));
        }
        Ok(())
    }

    /// Every rule of every pack, in pack order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.packs.iter().flat_map(|p| p.rules.iter())
    }

    /// The packs' base currency (USD when there are no packs).
    pub fn base_currency(&self) -> String {
        self.packs
            .first()
            .map_or_else(|| "USD".to_string(), |p| p.base_currency.clone())
    }

    /// Finds a rule by id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules().find(|r| r.plan.rule_id == id)
    }
}

fn is_pack_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    p.is_file() && name.ends_with(".toml") && !name.ends_with(".tests.toml")
}

/// Alerts and the evidence behind them.
pub struct RuleOutput {
    /// Sorted by rule id, subject, window start, alert id.
    pub alerts: Vec<Alert>,
    /// Evidence records by transaction id.
    pub evidence: EvidenceRecords,
    /// Seconds spent per rule.
    pub seconds_per_rule: Vec<(String, f64)>,
}

/// Runs every enabled rule over a canonical frame.
pub fn run_rules(
    frame: &DataFrame,
    rules: &[&Rule],
    base_currency: &str,
) -> Result<RuleOutput, RuleError> {
    run_rules_in(frame, rules, base_currency, &EngineContext::default())
}

/// [`run_rules`] with facts from outside the frame (a nightly run's last-seen table).
pub fn run_rules_in(
    frame: &DataFrame,
    rules: &[&Rule],
    base_currency: &str,
    context: &EngineContext,
) -> Result<RuleOutput, RuleError> {
    let engine_err = |rule: &str, e: PolarsError| RuleError::Engine {
        rule: rule.to_string(),
        message: e.to_string(),
    };
    // rules run at the same time (each in parallel too): when one leaves a core idle (a
    // sequential step, a Polars call on one thread), another uses it; what they share is built
    // first, and their results are kept in rule order
    let enabled: Vec<&Rule> = rules.iter().copied().filter(|r| r.enabled).collect();
    let base = engine::RunFrame::new(frame.clone(), run_segmenting(&enabled, context))
        .map_err(|e| engine_err("(all)", e))?;
    let plans: Vec<&plan::RulePlan> = enabled.iter().map(|rule| &rule.plan).collect();
    base.prepare(&plans)
        .map_err(|e| engine_err("(histories)", e))?;
    let results: Vec<Result<(Vec<engine::Episode>, f64), RuleError>> = enabled
        .par_iter()
        .with_max_len(1)
        .map(|rule| {
            let started = std::time::Instant::now();
            let episodes = engine::run_plan(&base, &rule.plan, context)
                .map_err(|e| engine_err(&rule.plan.rule_id, e))?;
            Ok((episodes, started.elapsed().as_secs_f64()))
        })
        .collect();
    let mut per_rule = Vec::new();
    let mut seconds = Vec::new();
    for (rule, result) in enabled.into_iter().zip(results) {
        let (episodes, took) = result?;
        seconds.push((rule.plan.rule_id.clone(), took));
        per_rule.push((rule, episodes));
    }
    let (alerts, evidence) = episodes_to_alerts(base.frame(), &per_rule, base_currency)
        .map_err(|e| engine_err("(evidence)", e))?;
    Ok(RuleOutput {
        alerts,
        evidence,
        seconds_per_rule: seconds,
    })
}

/// Whether a run of `rules` looks up the accounts' segments: only when a rule has segment
/// parameters or a segment filter (nothing is derived otherwise), with the context's over the
/// derived ones.
fn run_segmenting(rules: &[&Rule], context: &EngineContext) -> engine::Segmenting {
    let uses_segments = |r: &&Rule| {
        !r.plan.segments.is_empty()
            || r.plan
                .filter
                .iter()
                .any(|p| matches!(p, plan::Predicate::SegmentIn { .. }))
    };
    if !rules.iter().any(uses_segments) {
        engine::Segmenting::Off
    } else {
        engine::Segmenting::On(context.segments.clone())
    }
}

/// The output order of alerts: rule, subject, window start, then id.
pub fn sort_alerts(alerts: &mut [Alert]) {
    alerts.sort_by(output_order);
}

/// [`sort_alerts`] for references to alerts held elsewhere (by cases).
pub fn sort_alert_refs(alerts: &mut [&Alert]) {
    alerts.sort_by(|a, b| output_order(a, b));
}

fn output_order(a: &Alert, b: &Alert) -> std::cmp::Ordering {
    (&a.rule_id, &a.subject_account, &a.window_start, &a.alert_id).cmp(&(
        &b.rule_id,
        &b.subject_account,
        &b.window_start,
        &b.alert_id,
    ))
}

type Alerted = (Vec<Alert>, EvidenceRecords);

/// Turns each rule's episodes into alerts (sorted by rule, subject, window start, id), with the
/// evidence records by transaction id. `base` carries row numbers.
pub(crate) fn episodes_to_alerts(
    base: &DataFrame,
    per_rule: &[(&Rule, Vec<engine::Episode>)],
    base_currency: &str,
) -> PolarsResult<Alerted> {
    let mut needed: Vec<u32> = per_rule
        .iter()
        .flat_map(|(_, eps)| eps.iter().flat_map(|e| e.rows.iter().copied()))
        .collect();
    needed.sort_unstable();
    needed.dedup();
    // one record per row, in `needed`'s order (held in a list: a hash table of records sized
    // for its load factor took twice their memory)
    let evidence_rows = gather(base, &needed)?;
    let evidence_of = |row: u32| -> Result<Option<Evidence>, std::convert::Infallible> {
        Ok(needed
            .binary_search(&row)
            .ok()
            .map(|i| evidence_rows[i].clone()))
    };
    let Ok(alerts) = alerts_of_episodes(per_rule, &evidence_of, base_currency);
    let evidence = evidence_rows
        .into_iter()
        .map(|e| (e.record.txn_id.clone(), e.record))
        .collect();
    Ok((alerts, evidence))
}

/// Each rule's episodes as alerts (sorted by rule, subject, window start, id), an episode's
/// rows read by `evidence_of` (a row it does not know is left out; an episode left without
/// evidence gives no alert). The engines differ only in where the evidence is.
pub(crate) fn alerts_of_episodes<E: Send>(
    per_rule: &[(&Rule, Vec<engine::Episode>)],
    evidence_of: &(dyn Fn(u32) -> Result<Option<Evidence>, E> + Sync),
    base_currency: &str,
) -> Result<Vec<Alert>, E> {
    // alerts are built in parallel, then put in their output order
    let episodes: Vec<(&Rule, &engine::Episode)> = per_rule
        .iter()
        .flat_map(|(rule, episodes)| episodes.iter().map(move |episode| (*rule, episode)))
        .collect();
    let built: Vec<Option<Alert>> = episodes
        .into_par_iter()
        .map(|(rule, episode)| {
            let mut evidence: Vec<Evidence> = Vec::with_capacity(episode.rows.len());
            for &row in &episode.rows {
                evidence.extend(evidence_of(row)?);
            }
            evidence.sort_by(|a, b| (a.ts, &a.record.txn_id).cmp(&(b.ts, &b.record.txn_id)));
            Ok((!evidence.is_empty())
                .then(|| alerts::build_alert(rule, episode, &evidence, base_currency)))
        })
        .collect::<Result<_, E>>()?;
    let mut alerts: Vec<Alert> = built.into_iter().flatten().collect();
    sort_alerts(&mut alerts);
    Ok(alerts)
}

/// The evidence of `rows` of `base` (sorted and distinct), in their order.
fn gather(base: &DataFrame, rows: &[u32]) -> PolarsResult<Vec<Evidence>> {
    // n sorted distinct rows whose last is n - 1 are every row, in order (the Spark engine's
    // evidence frame holds only evidence): the frame itself then, not a copy
    let every_row = rows.len() == base.height()
        && rows
            .last()
            .is_none_or(|&last| last as usize + 1 == base.height());
    let picked = if every_row {
        base.clone()
    } else {
        let idx = IdxCa::from_vec("idx".into(), rows.iter().map(|&r| r as IdxSize).collect());
        base.take(&idx)?
    };
    let records = crate::ingest::frame_to_shared_records(&picked)?;
    let ts = picked.column("ts")?.cast(&DataType::Int64)?;
    let ts = crate::ingest::dense(ts.i64()?)?;
    let amounts = crate::ingest::dense(picked.column("base_amount")?.i64()?)?;
    Ok(records
        .into_iter()
        .enumerate()
        .map(|(i, record)| Evidence {
            record,
            ts: ts[i],
            base_amount: amounts[i],
        })
        .collect())
}

/// A rule's documentation as plain text: what it detects, why it matters, its parameters, an
/// example and its references.
pub fn explain(rule: &Rule) -> String {
    let i = &rule.info;
    let mut out = String::new();
    out.push_str(&format!("{} — {}\n", i.rule_id, i.title));
    out.push_str(&format!(
        "pack {} · typology {} · kind {} · subject {:?} · severity {} · score {}{}\n\n",
        i.pack,
        i.typology,
        i.kind,
        rule.plan.subject,
        i.severity,
        i.score,
        if rule.enabled { "" } else { " · DISABLED" }
    ));
    out.push_str(&format!("What it detects\n  {}\n\n", i.detects));
    out.push_str(&format!("Why it matters\n  {}\n\n", i.why));
    out.push_str("Parameters\n");
    for (k, v) in &i.parameters {
        out.push_str(&format!("  {k} = {v}\n"));
    }
    for (segment, parameters) in &rule.segment_parameters {
        let changed: Vec<String> = parameters
            .iter()
            .filter(|p| !i.parameters.contains(p))
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        out.push_str(&format!(
            "  for segment {segment}: {}\n",
            if changed.is_empty() {
                "the same".to_string()
            } else {
                changed.join(", ")
            }
        ));
    }
    out.push_str(&format!("\nSummary template\n  {}\n", rule.summary));
    if !rule.example.is_empty() {
        out.push_str(&format!("\nExample\n  {}\n", rule.example));
    }
    out.push_str("\nReferences\n");
    for r in &i.references {
        out.push_str(&format!("  - {r}\n"));
    }
    out
}
