//! Rules on the cluster, alerts here: each rule's hits are found by Spark SQL
//! ([`super::rules`]), merged into episodes, their evidence looked up on the cluster, and the
//! alerts built by the Polars engine's own code, so that both engines write the same bytes.

use super::rules::{self as compile, ROWS_VIEW, SEGMENTS_VIEW};
use super::sql::ident;
use super::{ingest::ACCEPTED_VIEW, Spark, SparkEngineError};
use crate::model::Alert;
use crate::rules::plan::{describe_duration, Detector, RulePlan, DAY};
use crate::rules::{
    merge_hits, EngineContext, Episode, Hit, Rule, ROUTINE_FACT, SEGMENT_BASIS_FACT, SEGMENT_FACT,
};
use polars::prelude::*;
use spark_connect::row::{Row, Value};
use std::collections::{BTreeMap, HashMap};

/// Alerts (in output order) and the evidence records by transaction id, as
/// [`crate::rules::run_rules`] returns them.
pub type SparkAlerts = (Vec<Alert>, crate::model::EvidenceRecords);

impl Spark {
    /// Runs `rules` over the accepted rows of [`Spark::ingest`].
    pub fn run_rules(
        &self,
        rules: &[&Rule],
        base_currency: &str,
    ) -> Result<SparkAlerts, SparkEngineError> {
        self.run_rules_in(rules, base_currency, &EngineContext::default())
    }

    /// [`Spark::run_rules`] with facts from outside the data, as the Polars engine's
    /// [`EngineContext`]: the segments a run gives (a customer file's, over those derived from
    /// the rows), and a customer file's declared volumes and account holders (for
    /// [`Detector::ExpectedActivity`]). A nightly state's last-seen table is not supported on
    /// Spark (`--state` is refused with `--engine spark`).
    pub fn run_rules_in(
        &self,
        rules: &[&Rule],
        base_currency: &str,
        context: &EngineContext,
    ) -> Result<SparkAlerts, SparkEngineError> {
        if context.last_seen.is_some() {
            return Err(self.bad_result(
                "compiling the rules",
                "a nightly state's accounts are not supported with --engine spark".into(),
            ));
        }
        let given = context.segments.as_deref();
        let enabled: Vec<&Rule> = rules.iter().copied().filter(|r| r.enabled).collect();
        let segmenting = enabled.iter().any(|r| compile::uses_segments(&r.plan));
        let segment_basis = if segmenting {
            let derived = compile::segments_select(&ident(ACCEPTED_VIEW));
            let segments = match given.filter(|g| !g.is_empty()) {
                Some(given) => super::run::given_over_derived(self, given, &derived)?,
                None => derived,
            };
            self.execute(
                "deriving the accounts' segments",
                &format!("CACHE TABLE {} AS {segments}", ident(SEGMENTS_VIEW)),
            )?;
            self.segment_basis()?
        } else {
            BTreeMap::new()
        };
        self.execute(
            "preparing the rows the rules read",
            &format!(
                "CREATE OR REPLACE TEMPORARY VIEW {} AS {}",
                ident(ROWS_VIEW),
                compile::rows_select(
                    &ident(ACCEPTED_VIEW),
                    segmenting.then(|| ident(SEGMENTS_VIEW)).as_deref()
                )
            ),
        )?;
        // expected activity reads the customer file's accounts, sent as a table
        let expecting = enabled.iter().any(|r| {
            std::iter::once(&r.plan.detector)
                .chain(r.plan.segments.iter().map(|v| &v.detector))
                .any(|d| matches!(d, Detector::ExpectedActivity { .. }))
        });
        let pools = if expecting {
            self.send_customers(context)?
        } else {
            HashMap::new()
        };
        // the transactions named by hits or evidence, numbered as they are first met
        let mut txn_ids = TxnNumbers::default();
        let mut per_rule: Vec<(&Rule, Vec<Episode>)> = Vec::with_capacity(enabled.len());
        for rule in &enabled {
            let plan = &rule.plan;
            let mut episodes = if plan.segments.is_empty() {
                self.plan_episodes(plan, &pools, &mut txn_ids)?
            } else {
                let mut episodes =
                    self.plan_episodes(&plan.for_segment(None), &pools, &mut txn_ids)?;
                for variant in &plan.segments {
                    let mut found =
                        self.plan_episodes(&plan.for_segment(Some(variant)), &pools, &mut txn_ids)?;
                    for episode in &mut found {
                        episode.facts.push((SEGMENT_FACT, variant.segment.clone()));
                        if let Some(basis) = segment_basis.get(&episode.subject) {
                            episode.facts.push((SEGMENT_BASIS_FACT, basis.clone()));
                        }
                    }
                    episodes.extend(found);
                }
                episodes
            };
            for episode in &mut episodes {
                episode.rows.sort_unstable();
                episode.rows.dedup();
            }
            per_rule.push((rule, episodes));
        }
        // the evidence rows, fetched once, become the frame the alert builder reads
        let (base, row_of) = self.evidence_frame(&txn_ids)?;
        for (_, episodes) in &mut per_rule {
            for episode in episodes.iter_mut() {
                episode.rows = episode
                    .rows
                    .iter()
                    .filter_map(|n| row_of.get(n).copied())
                    .collect();
            }
        }
        crate::rules::episodes_to_alerts(&base, &per_rule, base_currency)
            .map_err(|e| self.bad_result("building the alerts", e.to_string()))
    }

    /// The derived segments' bases by account (accounts of a segment: far fewer than rows).
    fn segment_basis(&self) -> Result<BTreeMap<String, String>, SparkEngineError> {
        let what = "reading the derived segments";
        let frame = self.query(
            what,
            &format!("SELECT account, basis FROM {}", ident(SEGMENTS_VIEW)),
        )?;
        let accounts = text_column(&frame, "account").map_err(|e| self.bad_result(what, e))?;
        let bases = text_column(&frame, "basis").map_err(|e| self.bad_result(what, e))?;
        Ok(accounts.into_iter().zip(bases).collect())
    }

    /// One plan's episodes: its hits from the cluster, merged here; a window's evidence (the
    /// subject's selected rows in the episode) looked up on the cluster.
    fn plan_episodes(
        &self,
        plan: &RulePlan,
        pools: &HashMap<String, Vec<String>>,
        txn_ids: &mut TxnNumbers,
    ) -> Result<Vec<Episode>, SparkEngineError> {
        // flow-through, party fans and round trips: their own queries (`super::flow`)
        if let Some(episodes) = self.flow_episodes(plan, txn_ids)? {
            return Ok(episodes);
        }
        // temporal paths: the search tree level by level (`super::paths`)
        if let Some(episodes) = self.path_episodes(plan, txn_ids)? {
            return Ok(episodes);
        }
        // scatter-gather, gather-scatter and bipartite layers (`super::layering`)
        if let Some(episodes) = self.layering_episodes(plan, txn_ids)? {
            return Ok(episodes);
        }
        let what = format!("finding the hits of {}", plan.rule_id);
        let frame = self.query(&what, &compile::hits_select(plan))?;
        // velocity, behaviour and expected activity: hits made by the Polars engine's code
        if let Some(hits) = super::measures::history_hits(plan, &frame, pools)
            .map_err(|e| self.bad_result(&what, e))?
        {
            let mut episodes = merge_hits(hits);
            if !episodes.is_empty() {
                let select = compile::evidence_select(plan, EPISODES_VIEW);
                self.attach_evidence(&plan.rule_id, &mut episodes, txn_ids, &select)?;
            }
            return Ok(episodes);
        }
        let subjects = text_column(&frame, "subject").map_err(|e| self.bad_result(&what, e))?;
        let starts = int_column(&frame, "win_start").map_err(|e| self.bad_result(&what, e))?;
        let ends = int_column(&frame, "win_end").map_err(|e| self.bad_result(&what, e))?;
        let txns = optional_text_column(&frame, "txn_id").map_err(|e| self.bad_result(&what, e))?;
        // dormancy states the gap, in whole days as the Polars engine does
        let gaps = match frame.column("gap") {
            Ok(_) => Some(int_column(&frame, "gap").map_err(|e| self.bad_result(&what, e))?),
            Err(_) => None,
        };
        // a count against the routine states the baseline count (`annotate_routine`)
        let routine = match &plan.detector {
            Detector::Windowed { conditions, .. } => compile::routine_baseline(conditions),
            _ => None,
        };
        let usual = match routine {
            Some(_) => {
                Some(int_column(&frame, "routine_p").map_err(|e| self.bad_result(&what, e))?)
            }
            None => None,
        };
        // a count of new values states how much history it was judged on (`new_judged_on`)
        let new_history = self.new_history(plan)?;
        let hits: Vec<Hit> = (0..frame.height())
            .map(|i| {
                let mut facts = Vec::new();
                if let Some(g) = &gaps {
                    facts.push(("gap", describe_duration(g[i] - g[i] % DAY)));
                }
                let mut hit = Hit {
                    subject: subjects[i].clone(),
                    start: starts[i],
                    end: ends[i],
                    rows: txns[i].as_ref().map(|id| vec![txn_ids.number(id)]),
                    facts,
                };
                if let Some((window, conditions, data_start)) = &new_history {
                    crate::rules::annotate_new_history(
                        std::slice::from_mut(&mut hit),
                        window,
                        conditions,
                        *data_start,
                    );
                }
                if let (Some(p), Some(baseline)) = (&usual, routine) {
                    hit.facts.push((
                        ROUTINE_FACT,
                        format!("{} in the {} before", p[i], describe_duration(baseline)),
                    ));
                }
                hit
            })
            .collect();
        let mut episodes = merge_hits(hits);
        if matches!(plan.detector, Detector::Windowed { .. }) && !episodes.is_empty() {
            let select = compile::evidence_select(plan, EPISODES_VIEW);
            self.attach_evidence(&plan.rule_id, &mut episodes, txn_ids, &select)?;
        }
        Ok(episodes)
    }

    /// Adds to each episode the transactions `select` finds for it: a query over the episodes
    /// sent as the view [`EPISODES_VIEW`] (`ep`, `subject`, `win_start`, `win_end`) giving
    /// `ep, txn_id` (a window's evidence: the subject's selected rows inside it).
    pub(super) fn attach_evidence(
        &self,
        rule_id: &str,
        episodes: &mut [Episode],
        txn_ids: &mut TxnNumbers,
        select: &str,
    ) -> Result<(), SparkEngineError> {
        let what = format!("gathering the evidence of {rule_id}");
        let names: Vec<String> = ["ep", "subject", "win_start", "win_end"]
            .map(String::from)
            .to_vec();
        let rows: Vec<Row> = episodes
            .iter()
            .enumerate()
            .map(|(i, e)| {
                Row::new(
                    names.clone(),
                    vec![
                        Value::Long(i as i64),
                        Value::String(e.subject.clone()),
                        Value::Long(e.start),
                        Value::Long(e.end),
                    ],
                )
            })
            .collect();
        let schema = spark_connect::DataType::from_ddl(
            "ep BIGINT, subject STRING, win_start BIGINT, win_end BIGINT",
        )
        .map_err(|e| self.err(&what, e))?;
        self.local_view(&what, EPISODES_VIEW, &rows, &schema)?;
        let found = self.query(&what, select)?;
        let eps = int_column(&found, "ep").map_err(|e| self.bad_result(&what, e))?;
        let ids = text_column(&found, "txn_id").map_err(|e| self.bad_result(&what, e))?;
        for (ep, id) in eps.into_iter().zip(ids) {
            let episode = usize::try_from(ep)
                .ok()
                .and_then(|i| episodes.get_mut(i))
                .ok_or_else(|| self.bad_result(&what, format!("no episode {ep}")))?;
            episode.rows.push(txn_ids.number(&id));
        }
        Ok(())
    }

    /// The canonical rows of the numbered transactions, and each number's row in that frame.
    fn evidence_frame(
        &self,
        txn_ids: &TxnNumbers,
    ) -> Result<(DataFrame, HashMap<u32, u32>), SparkEngineError> {
        let what = "reading the evidence transactions";
        let empty = crate::ingest::empty_frame();
        if txn_ids.by_id.is_empty() {
            return Ok((empty, HashMap::new()));
        }
        self.text_view(
            what,
            "aml_evidence_ids",
            "txn_id",
            txn_ids.in_order().into_iter(),
        )?;
        let columns: Vec<String> = empty
            .get_column_names()
            .iter()
            .map(|c| format!("a.{}", ident(c)))
            .collect();
        let frame = self.query(
            what,
            &format!(
                "SELECT {} FROM {} a LEFT SEMI JOIN aml_evidence_ids i ON a.txn_id = i.txn_id",
                columns.join(", "),
                ident(ACCEPTED_VIEW)
            ),
        )?;
        // read in place: the ids are as many as the evidence rows
        let ids = frame
            .column("txn_id")
            .and_then(|c| c.str())
            .map_err(|e| self.bad_result(what, e.to_string()))?;
        let mut row_of = HashMap::with_capacity(ids.len());
        for (row, id) in ids.iter().enumerate() {
            let id = id.ok_or_else(|| self.bad_result(what, "txn_id is null".to_string()))?;
            if let Some(n) = txn_ids.by_id.get(id) {
                row_of.insert(*n, row as u32);
            }
        }
        Ok((frame, row_of))
    }
}

/// The view of the episodes whose evidence is looked up ([`Spark::attach_evidence`]).
pub(super) const EPISODES_VIEW: &str = "aml_episodes";

/// Transaction ids numbered in the order first met (a hit's or an episode's rows are numbers).
#[derive(Debug, Default)]
pub(super) struct TxnNumbers {
    /// Each id's number (the ids are held once: they are as many as the evidence rows).
    by_id: HashMap<String, u32>,
}

impl TxnNumbers {
    pub(super) fn number(&mut self, id: &str) -> u32 {
        if let Some(n) = self.by_id.get(id) {
            return *n;
        }
        let n = self.by_id.len() as u32;
        self.by_id.insert(id.to_string(), n);
        n
    }

    /// The ids in the order they were numbered.
    fn in_order(&self) -> Vec<&str> {
        let mut ids = vec![""; self.by_id.len()];
        for (id, &n) in &self.by_id {
            ids[n as usize] = id;
        }
        ids
    }
}

pub(super) fn text_column(frame: &DataFrame, name: &str) -> Result<Vec<String>, String> {
    optional_text_column(frame, name)?
        .into_iter()
        .map(|v| v.ok_or_else(|| format!("{name} is null")))
        .collect()
}

pub(super) fn optional_text_column(
    frame: &DataFrame,
    name: &str,
) -> Result<Vec<Option<String>>, String> {
    let column = frame
        .column(name)
        .and_then(|c| c.cast(&DataType::String))
        .map_err(|e| e.to_string())?;
    let text = column.str().map_err(|e| e.to_string())?;
    Ok(text.iter().map(|v| v.map(str::to_string)).collect())
}

pub(super) fn int_column(frame: &DataFrame, name: &str) -> Result<Vec<i64>, String> {
    let column = frame
        .column(name)
        .and_then(|c| c.cast(&DataType::Int64))
        .map_err(|e| e.to_string())?;
    let ints = column.i64().map_err(|e| e.to_string())?;
    ints.iter()
        .map(|v| v.ok_or_else(|| format!("{name} is null")))
        .collect()
}
