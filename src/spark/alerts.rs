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
            self.cache_table("deriving the accounts' segments", SEGMENTS_VIEW, &segments)?;
            self.segment_basis()?
        } else {
            BTreeMap::new()
        };
        // what was made from the rows before is forgotten first: a failure while caching the
        // new rows leaves nothing that looks made from them
        self.forget_derived();
        // held by the cluster once, with their segments: every rule reads them, and a view
        // would join the segments again for each (a shuffle of every row once the segments'
        // table is too large to broadcast)
        self.cache_table(
            "preparing the rows the rules read",
            ROWS_VIEW,
            &compile::rows_select(
                &ident(ACCEPTED_VIEW),
                segmenting.then(|| ident(SEGMENTS_VIEW)).as_deref(),
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
        // the evidence rows go to a local spill file a piece at a time; the alerts read them back
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
        let history = super::measures::makes_history_hits(plan);
        // a count of new values states how much history it was judged on (`new_judged_on`)
        let new_history = if history {
            None
        } else {
            self.new_history(plan)?
        };
        // the hits come back with each subject's together, a piece at a time, and are merged
        // a few subjects at a time: a rule's hits may be millions, its episodes are far fewer
        let mut episodes = Vec::new();
        let mut chunks = SubjectChunks::new(self.hit_chunk_rows);
        let mut merge = |chunk: DataFrame| -> Result<(), SparkEngineError> {
            let hits = if history {
                super::measures::history_hits(plan, &chunk, pools)
                    .map_err(|e| self.bad_result(&what, e))?
                    .ok_or_else(|| self.bad_result(&what, "no history hits".into()))?
            } else {
                window_hits(plan, &chunk, txn_ids, new_history.as_ref())
                    .map_err(|e| self.bad_result(&what, e))?
            };
            episodes.extend(merge_hits(hits));
            Ok(())
        };
        // each subject's hits in one partition, sorted there: a subject's hits come back in a
        // row (a global sort would also sample the hits, computing them twice)
        let sorted = format!(
            "SELECT * FROM ({}) aml_hits DISTRIBUTE BY subject SORT BY subject",
            compile::hits_select(plan)
        );
        self.query_frames(&what, &sorted, &mut |frame| match chunks
            .push(frame)
            .map_err(|e| self.bad_result(&what, e))?
        {
            Some(chunk) => merge(chunk),
            None => Ok(()),
        })?;
        let cut = chunks.cut;
        if let Some(chunk) = chunks.finish().map_err(|e| self.bad_result(&what, e))? {
            merge(chunk)?;
        }
        if cut > 0 {
            self.hit_chunks
                .fetch_add(cut + 1, std::sync::atomic::Ordering::Relaxed);
        }
        // in the order one merge of all the hits gives (the partitions' order is the
        // cluster's)
        episodes.sort_by(|a, b| (&a.subject, a.start).cmp(&(&b.subject, b.start)));
        let windowed = matches!(plan.detector, Detector::Windowed { .. });
        if (history || windowed) && !episodes.is_empty() {
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
        // read as they come, in place: a rule's evidence rows may be millions
        self.query_frames(&what, select, &mut |found| {
            let eps = int_column(&found, "ep").map_err(|e| self.bad_result(&what, e))?;
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
        })
    }

    /// The canonical rows of the numbered transactions, written to a local spill file a piece at
    /// a time as they come: only one piece of the result (one Arrow batch of the server's) is
    /// held here at once, however many rows the evidence has.
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
        // read as they come, a piece at a time: the evidence of 100M rows may be millions
        self.query_frames(what, &evidence, &mut |frame| {
            self.evidence_pieces
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
            // each record goes to the file as it is made: a piece's records are not held
            let mut spill_failure = None;
            crate::ingest::for_each_record(&frame, |record| match writer.push(&record) {
                Ok(n) => {
                    if let Some(local) = txn_ids.get(&record.txn_id) {
                        if number[local as usize] != NOT_FOUND {
                            // accepted ids are distinct: a second row is a row sent twice
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
            })
        })?;
        Ok(Spilled {
            spill: writer.finish()?,
            number,
            ts: times,
            base_amount,
        })
    }
}

/// The hits a rule merges into episodes at once, unless set ([`Spark::set_hit_chunk_rows`]):
/// about 20 MB of hits and their frame at 100,000, where a rule of 100M rows may find millions.
pub(super) const HIT_CHUNK_ROWS: usize = 100_000;

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

/// The hits of a plan whose hits are found whole on the cluster (windowed measures, single
/// transactions, dormancy), from the rows of `frame`, with the facts the Polars engine gives
/// them; their transactions numbered in `txn_ids`.
fn window_hits(
    plan: &RulePlan,
    frame: &DataFrame,
    txn_ids: &mut TxnNumbers,
    new_history: Option<&super::measures::NewHistory>,
) -> Result<Vec<Hit>, String> {
    let subjects = text_column(frame, "subject")?;
    let starts = int_column(frame, "win_start")?;
    let ends = int_column(frame, "win_end")?;
    let txns = optional_text_column(frame, "txn_id")?;
    // dormancy states the gap, in whole days as the Polars engine does
    let gaps = match frame.column("gap") {
        Ok(_) => Some(int_column(frame, "gap")?),
        Err(_) => None,
    };
    // a count against the routine states the baseline count (`annotate_routine`)
    let routine = match &plan.detector {
        Detector::Windowed { conditions, .. } => compile::routine_baseline(conditions),
        _ => None,
    };
    let usual = match routine {
        Some(_) => Some(int_column(frame, "routine_p")?),
        None => None,
    };
    let hits = subjects
        .into_iter()
        .enumerate()
        .map(|(i, subject)| {
            let mut facts = Vec::new();
            if let Some(g) = &gaps {
                facts.push(("gap", describe_duration(g[i] - g[i] % DAY)));
            }
            let mut hit = Hit {
                subject,
                start: starts[i],
                end: ends[i],
                rows: txns[i].as_ref().map(|id| vec![txn_ids.number(id)]),
                facts,
            };
            // a count of new values states how much history it was judged on
            if let Some((window, conditions, data_start)) = new_history {
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
    Ok(hits)
}

/// The pieces of a result that holds each `subject`'s rows in a row, gathered into frames that
/// each hold their subjects' rows whole: once the pieces hold `rows` rows, a frame is given up
/// to where the last subject's rows begin (a subject with more rows is held until they end).
/// Each piece's subjects are read once, as it comes.
struct SubjectChunks {
    pieces: Vec<DataFrame>,
    held: usize,
    rows: usize,
    /// The last subject seen (`None`: none yet, `Some(None)`: a null) and where its rows
    /// begin among those held.
    last: Option<Option<String>>,
    last_from: usize,
    /// Frames given before the end.
    cut: u64,
}

impl SubjectChunks {
    fn new(rows: usize) -> Self {
        SubjectChunks {
            pieces: Vec::new(),
            held: 0,
            rows,
            last: None,
            last_from: 0,
            cut: 0,
        }
    }

    /// Takes the next piece; gives the rows of the subjects that are whole, once there are
    /// enough of them.
    fn push(&mut self, piece: DataFrame) -> Result<Option<DataFrame>, String> {
        let subjects = piece
            .column("subject")
            .and_then(|c| c.str().cloned())
            .map_err(|e| e.to_string())?;
        for (i, subject) in subjects.iter().enumerate() {
            if self
                .last
                .as_ref()
                .is_none_or(|last| last.as_deref() != subject)
            {
                self.last = Some(subject.map(str::to_string));
                self.last_from = self.held + i;
            }
        }
        self.held += piece.height();
        self.pieces.push(piece);
        if self.held < self.rows || self.last_from == 0 {
            // too few rows yet, or one subject's so far: wait for more
            return Ok(None);
        }
        let whole = self.join()?;
        let (done, rest) = whole.split_at(self.last_from as i64);
        self.held = rest.height();
        self.last_from = 0;
        self.pieces = vec![rest];
        self.cut += 1;
        Ok(Some(done))
    }

    /// The rows held at the end, if any.
    fn finish(mut self) -> Result<Option<DataFrame>, String> {
        match self.held {
            0 => Ok(None),
            _ => self.join().map(Some),
        }
    }

    fn join(&mut self) -> Result<DataFrame, String> {
        super::stacked(std::mem::take(&mut self.pieces)).map_err(|e| e.to_string())
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
    use super::{SubjectChunks, TxnNumbers};
    use polars::prelude::*;

    /// Pieces of `subjects` (each subject's in a row), `sizes` rows each, through chunks of `rows`: the frames
    /// given, as their subjects.
    fn chunked(subjects: &[&str], sizes: &[usize], rows: usize) -> Vec<Vec<String>> {
        let mut chunks = SubjectChunks::new(rows);
        let mut given = Vec::new();
        let mut at = 0;
        let as_text = |frame: DataFrame| -> Vec<String> {
            let column = frame.column("subject").unwrap().str().unwrap().clone();
            column.iter().map(|s| s.unwrap().to_string()).collect()
        };
        for &size in sizes {
            let piece = &subjects[at..at + size];
            at += size;
            let frame = DataFrame::new(
                piece.len(),
                vec![
                    Column::new("subject".into(), piece),
                    Column::new("n".into(), vec![1i64; piece.len()]),
                ],
            )
            .unwrap();
            if let Some(done) = chunks.push(frame).unwrap() {
                given.push(as_text(done));
            }
        }
        assert_eq!(at, subjects.len());
        if let Some(rest) = chunks.finish().unwrap() {
            given.push(as_text(rest));
        }
        given
    }

    #[test]
    fn hits_are_merged_in_chunks_that_hold_each_subject_whole() {
        let subjects = [
            "a", "a", "b", "b", "b", "c", "d", "d", "d", "d", "d", "d", "e",
        ];
        // a chunk is cut where its last subject begins, once it holds 3 rows; a subject whose
        // rows fill a chunk alone is held until another begins
        let given = chunked(&subjects, &[2, 2, 2, 0, 3, 3, 1], 3);
        assert_eq!(
            given,
            [
                vec!["a", "a"],
                vec!["b", "b", "b"],
                vec!["c"],
                vec!["d", "d", "d", "d", "d", "d"],
                vec!["e"],
            ]
        );
        // one subject's rows, however many, are held until they end
        let given = chunked(&subjects[6..12], &[1, 1, 1, 1, 1, 1], 2);
        assert_eq!(given, [vec!["d"; 6]]);
        // whatever the chunks' size: every row once, in order, each subject in one chunk
        for (rows, chunks) in [(1, 4), (4, 4), (7, 3), (100, 1)] {
            let given = chunked(&subjects, &[4, 4, 5], rows);
            assert_eq!(given.len(), chunks, "at {rows} rows");
            assert_eq!(given.concat(), subjects, "at {rows} rows");
            for subject in subjects {
                let holding = given.iter().filter(|g| g.iter().any(|s| s == subject));
                assert_eq!(holding.count(), 1, "{subject} at {rows} rows");
            }
        }
        // subjects in a row need not be sorted (partitions come in the cluster's order)
        let unsorted = ["d", "d", "a", "c", "c", "b"];
        assert_eq!(
            chunked(&unsorted, &[3, 3], 2),
            [vec!["d", "d"], vec!["a", "c", "c"], vec!["b"]]
        );
        // no rows: nothing given
        assert!(chunked(&[], &[0], 5).is_empty());
    }

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
