//! Rules on the cluster, alerts here: each rule's hits are found by Spark SQL
//! ([`super::rules`]), merged into episodes, their evidence looked up on the cluster, and the
//! alerts built by the Polars engine's own code, so that both engines write the same bytes.

use super::rules::{self as compile, ROWS_VIEW, SEGMENTS_VIEW};
use super::sql::ident;
use super::{ingest::ACCEPTED_VIEW, Spark, SparkEngineError};
use crate::evidence::{Evidence, IdText, Spill, SpillError, SpillWriter};
use crate::model::Alert;
use crate::rules::plan::{describe_duration, Detector, RulePlan, DAY};
use crate::rules::{
    merge_hits, EngineContext, Episode, Hit, Rule, ROUTINE_FACT, SEGMENT_BASIS_FACT, SEGMENT_FACT,
};
use polars::prelude::*;
use spark_connect::row::{Row, Value};
use std::collections::{BTreeMap, HashMap};

/// Alerts (in output order) and their evidence records, spilled to a local file as they came
/// back from the cluster.
pub type SparkAlerts = (Vec<Alert>, Evidence);

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
        // the evidence rows go to a local spill file a page at a time; the alerts read them back
        let spilled = self.spill_evidence(&txn_ids)?;
        drop(txn_ids);
        for (_, episodes) in &mut per_rule {
            for episode in episodes.iter_mut() {
                episode.rows = episode
                    .rows
                    .iter()
                    .map(|&n| spilled.number[n as usize])
                    .filter(|&n| n != NOT_FOUND)
                    .collect();
            }
        }
        let evidence_of = |n: u32| -> Result<Option<crate::rules::alerts::Evidence>, SpillError> {
            let record = spilled.spill.read(n)?;
            Ok(Some(crate::rules::alerts::Evidence {
                record: std::sync::Arc::new(record),
                ts: spilled.ts[n as usize],
                base_amount: spilled.base_amount[n as usize],
            }))
        };
        let alerts = crate::rules::alerts_of_episodes(&per_rule, &evidence_of, base_currency)?;
        Ok((alerts, Evidence::spilled(spilled.spill)))
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
        // read in place: a rule's evidence rows may be millions
        let ids = found
            .column("txn_id")
            .and_then(|c| c.str())
            .map_err(|e| self.bad_result(&what, e.to_string()))?;
        for (ep, id) in eps.into_iter().zip(ids.iter()) {
            let id = id.ok_or_else(|| self.bad_result(&what, "txn_id is null".to_string()))?;
            let episode = usize::try_from(ep)
                .ok()
                .and_then(|i| episodes.get_mut(i))
                .ok_or_else(|| self.bad_result(&what, format!("no episode {ep}")))?;
            episode.rows.push(txn_ids.number(id));
        }
        Ok(())
    }

    /// The canonical rows of the numbered transactions, written to a local spill file a page at
    /// a time: only a page's rows are held here at once, however many the evidence has.
    fn spill_evidence(&self, txn_ids: &TxnNumbers) -> Result<Spilled, SparkEngineError> {
        let what = "reading the evidence transactions";
        let mut writer = SpillWriter::new()?;
        let mut number = vec![NOT_FOUND; txn_ids.len()];
        let (mut times, mut base_amount) = (Vec::new(), Vec::new());
        if txn_ids.len() == 0 {
            return Ok(Spilled {
                spill: writer.finish()?,
                number,
                ts: times,
                base_amount,
            });
        }
        self.text_view(what, "aml_evidence_ids", "txn_id", txn_ids.in_order())?;
        let columns: Vec<String> = crate::ingest::empty_frame()
            .get_column_names()
            .iter()
            .map(|c| format!("a.{}", ident(c)))
            .collect();
        let evidence = format!(
            "SELECT {} FROM {} a LEFT SEMI JOIN aml_evidence_ids i ON a.txn_id = i.txn_id",
            columns.join(", "),
            ident(ACCEPTED_VIEW)
        );
        // the ids are at least as many as the rows: one page, read at once; more pages are
        // found once, held by the cluster, and read a hash range of ids at a time
        let pages = txn_ids.len().div_ceil(self.evidence_page_rows);
        let page_query = |page: usize| match pages {
            1 => evidence.clone(),
            _ => {
                format!("SELECT * FROM {EVIDENCE_VIEW} WHERE pmod(hash(txn_id), {pages}) = {page}")
            }
        };
        if pages > 1 {
            // an earlier run's table on this session is replaced (a failed run leaves it cached
            // until the session ends)
            self.execute(what, &format!("UNCACHE TABLE IF EXISTS {EVIDENCE_VIEW}"))?;
            self.execute(what, &format!("DROP VIEW IF EXISTS {EVIDENCE_VIEW}"))?;
            self.execute(what, &format!("CACHE TABLE {EVIDENCE_VIEW} AS {evidence}"))?;
        }
        for page in 0..pages {
            let frame = self.query(what, &page_query(page))?;
            self.evidence_pages
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dense = |name: &str| -> PolarsResult<Vec<i64>> {
                let column = frame.column(name)?.cast(&DataType::Int64)?;
                crate::ingest::dense(column.i64()?)
            };
            let (ts, amounts) = dense("ts")
                .and_then(|ts| Ok((ts, dense("base_amount")?)))
                .map_err(|e| self.bad_result(what, e.to_string()))?;
            times.extend(ts);
            base_amount.extend(amounts);
            // each record goes to the file as it is made: a page's records are not held
            let mut spill_failure = None;
            crate::ingest::for_each_record(&frame, |record| match writer.push(&record) {
                Ok(n) => {
                    if let Some(local) = txn_ids.get(&record.txn_id) {
                        if number[local as usize] != NOT_FOUND {
                            // accepted ids are distinct: a second row is a page read twice
                            return Err(PolarsError::ComputeError(
                                format!("transaction {} came back twice", record.txn_id).into(),
                            ));
                        }
                        number[local as usize] = n;
                    }
                    Ok(())
                }
                Err(e) => {
                    spill_failure = Some(e);
                    Err(PolarsError::ComputeError("spill failed".into()))
                }
            })
            .map_err(|e| match spill_failure.take() {
                Some(failure) => SparkEngineError::from(failure),
                None => self.bad_result(what, e.to_string()),
            })?;
        }
        if pages > 1 {
            self.execute(what, &format!("UNCACHE TABLE IF EXISTS {EVIDENCE_VIEW}"))?;
        }
        Ok(Spilled {
            spill: writer.finish()?,
            number,
            ts: times,
            base_amount,
        })
    }
}

/// The cluster's table of the evidence rows while they are read ([`Spark::spill_evidence`]).
pub(super) const EVIDENCE_VIEW: &str = "aml_evidence";

/// About how many evidence rows are read in one page unless the session sets another (pages are
/// hash ranges of ids, as many as the ids divided by this, so a page may hold a few more): a
/// page is held here twice (its Arrow bytes and its frame, about 40 MB at 100,000 rows of the
/// generator's data) while its records are written to the spill file.
pub(super) const EVIDENCE_PAGE_ROWS: usize = 100_000;

/// A transaction number whose row the cluster did not return.
const NOT_FOUND: u32 = u32::MAX;

/// The evidence in a local spill file: each transaction number's record number in it
/// ([`NOT_FOUND`] if none), and each record's time and base amount for the alerts' builder.
struct Spilled {
    spill: Spill,
    number: Vec<u32>,
    ts: Vec<i64>,
    base_amount: Vec<i64>,
}

/// The view of the episodes whose evidence is looked up ([`Spark::attach_evidence`]).
pub(super) const EPISODES_VIEW: &str = "aml_episodes";

/// Transaction ids numbered in the order first met (a hit's or an episode's rows are numbers).
///
/// The ids are as many as the evidence rows (millions at 100M rows), so each is held once, in
/// one text, and the table that finds a number by id holds only numbers: about 20 bytes an id
/// instead of about 60 in a map of strings.
#[derive(Default)]
pub(super) struct TxnNumbers {
    /// The ids, by number.
    ids: IdText,
    /// The numbers, found by their id's hash.
    table: hashbrown::HashTable<u32>,
}

/// The hash of an id in [`TxnNumbers`] (a fixed seed: nothing depends on the table's order).
fn id_hash(id: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x6576_6964_656e_6365).hash_one(id)
}

impl TxnNumbers {
    /// The number of `id`: the one it was given, or the next.
    pub(super) fn number(&mut self, id: &str) -> u32 {
        let Self { ids, table } = self;
        match table.entry(id_hash(id), |&n| ids.get(n) == id, |&n| id_hash(ids.get(n))) {
            hashbrown::hash_table::Entry::Occupied(found) => *found.get(),
            hashbrown::hash_table::Entry::Vacant(slot) => {
                let n = ids.len() as u32;
                slot.insert(n);
                ids.push(id);
                n
            }
        }
    }

    /// The number `id` was given, if any.
    fn get(&self, id: &str) -> Option<u32> {
        self.table
            .find(id_hash(id), |&n| self.ids.get(n) == id)
            .copied()
    }

    /// How many ids were numbered.
    fn len(&self) -> usize {
        self.ids.len()
    }

    /// The ids in the order they were numbered.
    fn in_order(&self) -> impl ExactSizeIterator<Item = &str> {
        self.ids.iter()
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

#[cfg(test)]
mod tests {
    use super::TxnNumbers;

    #[test]
    fn transaction_ids_keep_the_number_they_were_first_given() {
        let mut numbers = TxnNumbers::default();
        let ids: Vec<String> = (0..50_000).map(|i| format!("T{:09}", i * 7)).collect();
        // each id met twice, in both orders, across the table's growth
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(numbers.number(id), i as u32);
        }
        for (i, id) in ids.iter().enumerate().rev() {
            assert_eq!(numbers.number(id), i as u32);
            assert_eq!(numbers.get(id), Some(i as u32));
        }
        assert_eq!(numbers.len(), ids.len());
        assert!(numbers.in_order().eq(ids.iter().map(String::as_str)));
        assert_eq!(numbers.get("T000000001"), None);
        assert_eq!(numbers.get(""), None);
        // the empty id is an id like another
        assert_eq!(numbers.number(""), ids.len() as u32);
        assert_eq!(numbers.get(""), Some(ids.len() as u32));
    }
}
