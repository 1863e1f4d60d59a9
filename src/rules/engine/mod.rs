//! The Polars back end: runs a [`RulePlan`] over the canonical frame and returns episodes.
//!
//! Every rule's meaning is in its plan; this module only decides how Polars computes it. Hits
//! (windows that meet a rule) are merged per subject into episodes, so a 7-day pattern that
//! keeps matching for a week becomes one episode, and each episode gets its evidence rows.

mod expected;
mod exprs;
mod flow;
pub(crate) mod graph;
mod history;
mod keys;
mod masks;
pub(crate) mod temporal;
mod windowed;
mod windows;

pub use exprs::ROW;

use crate::ingest::dense;
use crate::rules::plan::{Detector, RulePlan};
use crate::rules::plan::{Field, Predicate, Window};
use crate::rules::segments::Segments;
use exprs::{apply_costly, split_costly, with_subject, BASE_AMOUNT, SUBJECT, TS};
use keys::Accounts;
use polars::prelude::*;
use rayon::slice::ParallelSliceMut;
use std::collections::HashMap;
use std::sync::Arc;

/// One window in which a rule's conditions held for a subject.
#[derive(Debug, Clone)]
pub struct Hit {
    pub subject: String,
    /// Start and end of the window, UTC microseconds.
    pub start: i64,
    pub end: i64,
    /// Evidence rows when the detector knows them exactly (cycles, single transactions).
    pub rows: Option<Vec<u32>>,
    /// Facts for the summary template (`moved_percent`, `hops`, …).
    pub facts: Vec<(&'static str, String)>,
}

/// Facts from outside the frame that some detectors use.
#[derive(Debug, Clone, Default)]
pub struct EngineContext {
    /// Each account's first and last activity before the frame (`subject`, `first_seen`,
    /// `last_seen`, µs), from a nightly state, for dormancy, velocity and behaviour change.
    pub last_seen: Option<DataFrame>,
    /// Segments given by the run (a customer file, a golden case's), over the derived ones
    /// (see [`crate::rules::segments`]).
    pub segments: Option<Arc<Segments>>,
    /// Each account's declared monthly volume (micros of the base currency), from a customer
    /// file, for [`Detector::ExpectedActivity`].
    pub expected_monthly_volume: Option<Arc<std::collections::BTreeMap<String, i64>>>,
    /// Each account's customer (a customer file's), so that money moved between one
    /// customer's own accounts is not counted as its activity.
    pub customer_of: Option<Arc<std::collections::BTreeMap<String, String>>>,
}

/// Merged hits of one rule and subject, with the row numbers of their evidence.
#[derive(Debug, Clone)]
pub struct Episode {
    pub subject: String,
    pub start: i64,
    pub end: i64,
    pub rows: Vec<u32>,
    pub facts: Vec<(&'static str, String)>,
}

/// Reads `subject` (an account key), `win_start`, `win_end` (and optionally an explicit row
/// column) into hits.
pub(crate) fn hits_from_frame(
    frame: &DataFrame,
    row_column: Option<&str>,
    accounts: &Accounts,
) -> PolarsResult<Vec<Hit>> {
    let subjects = dense(frame.column(SUBJECT)?.u32()?)?;
    let starts = frame.column("win_start")?.cast(&DataType::Int64)?;
    let ends = frame.column("win_end")?.cast(&DataType::Int64)?;
    let (starts, ends) = (dense(starts.i64()?)?, dense(ends.i64()?)?);
    let rows = match row_column {
        Some(name) => Some(dense(frame.column(name)?.cast(&DataType::UInt32)?.u32()?)?),
        None => None,
    };
    Ok((0..frame.height())
        .map(|i| Hit {
            subject: accounts.name(subjects[i]).to_string(),
            start: starts[i],
            end: ends[i],
            rows: rows.as_ref().map(|r| vec![r[i]]),
            facts: Vec::new(),
        })
        .collect())
}

/// The canonical frame of one run with the `row_nr` column that evidence refers to and the
/// account keys, and what the rules of the run share (the subjects' histories, the row masks
/// of their predicates).
pub struct RunFrame {
    frame: DataFrame,
    accounts: Arc<Accounts>,
    histories: history::HistoryCache,
    masks: masks::RowMasks,
    graph: graph::GraphCache,
    /// The run's first transaction time, read on first use (see [`RunFrame::data_start_for`]).
    data_start: std::sync::OnceLock<Option<i64>>,
    /// The accounts' segments, when a rule has segment parameters.
    segments: Option<Arc<Segments>>,
}

impl RunFrame {
    /// Numbers the rows and the accounts of `frame`, and looks up the accounts' segments when
    /// asked (for [`Predicate::SegmentIn`]). Build once per run, then run every plan on it.
    pub fn new(frame: DataFrame, segmenting: Segmenting) -> PolarsResult<Self> {
        let (frame, accounts) = keys::with_account_keys(frame)?;
        let segments = match segmenting {
            Segmenting::Off => None,
            Segmenting::On(given) => {
                let derived = derive_segments(&frame, &accounts)?;
                Some(Arc::new(match given {
                    Some(given) => given.as_ref().clone().over(derived),
                    None => derived,
                }))
            }
        };
        let masks = masks::RowMasks::with_segments(
            segments
                .as_ref()
                .map(|s| masks::SegmentCodes::new(s, &accounts)),
        );
        Ok(Self {
            frame: frame.lazy().with_row_index(ROW, None).collect()?,
            accounts: Arc::new(accounts),
            histories: history::HistoryCache::default(),
            masks,
            graph: graph::GraphCache::default(),
            data_start: std::sync::OnceLock::new(),
            segments,
        })
    }

    /// The rows that meet every predicate: by row masks where they can be tested (see
    /// [`masks`]), the rest by Polars expressions, and a same-person test on names with a
    /// missing value row by row on what is left.
    fn filtered(&self, predicates: &[Predicate]) -> PolarsResult<LazyFrame> {
        let (mask, rest) = self.masks.split(&self.frame, predicates)?;
        let (costly, cheap) = split_costly(&rest);
        apply_costly(masks::narrowed(&self.frame, mask, &cheap)?, &costly)
    }

    /// Builds the histories that `plans` will ask for, so that rules run at the same time
    /// share them instead of each building its own.
    pub fn prepare(&self, plans: &[&RulePlan]) -> PolarsResult<()> {
        // the histories and the graph are independent: built side by side
        let histories = || -> PolarsResult<()> {
            for plan in plans {
                if matches!(
                    plan.detector,
                    Detector::Dormancy { .. }
                        | Detector::VelocitySpike { .. }
                        | Detector::BehaviourChange { .. }
                ) {
                    self.histories
                        .get(&self.frame, &plan.subject, &self.accounts)?;
                }
            }
            Ok(())
        };
        let graph = || -> PolarsResult<()> {
            if plans.iter().any(|p| p.detector.uses_graph()) {
                self.graph.get(&self.frame, &self.accounts)?;
            }
            Ok(())
        };
        let (h, g) = rayon::join(histories, graph);
        h.and(g)
    }

    /// The run's money-flow graph (built on first use), and which rows match the plan's filter
    /// (`None`: all).
    fn graph_for(
        &self,
        plan: &RulePlan,
    ) -> PolarsResult<(Arc<crate::rules::graph::MoneyGraph>, Option<Vec<bool>>)> {
        Ok((
            self.graph.get(&self.frame, &self.accounts)?,
            history::row_mask(&self.masks, &self.frame, &plan.filter)?,
        ))
    }

    /// Each customer's own accounts, linked by same-person transfers between accounts.
    fn own_accounts(&self) -> PolarsResult<flow::OwnAccounts> {
        let links = self
            .filtered(&[
                Predicate::Present {
                    field: Field::OrigAccount,
                    present: true,
                },
                Predicate::Present {
                    field: Field::BeneAccount,
                    present: true,
                },
                Predicate::SamePerson(true),
            ])?
            .select([
                col(keys::ORIG_KEY),
                col(keys::BENE_KEY),
                col(TS).cast(DataType::Int64),
                col(ROW).cast(DataType::UInt32),
            ])
            .collect()?;
        let (a, b) = (
            crate::ingest::dense(links.column(keys::ORIG_KEY)?.u32()?)?,
            crate::ingest::dense(links.column(keys::BENE_KEY)?.u32()?)?,
        );
        let (ts, rows) = (
            crate::ingest::dense(links.column(TS)?.i64()?)?,
            crate::ingest::dense(links.column(ROW)?.u32()?)?,
        );
        let transfers: Vec<(u32, u32, i64, u32)> = (0..links.height())
            .filter(|&i| a[i] != b[i])
            .map(|i| (a[i], b[i], ts[i], rows[i]))
            .collect();
        Ok(flow::OwnAccounts::link(
            &transfers,
            crate::rules::plan::OWN_ACCOUNTS_MAX,
        ))
    }

    /// The time of the run's first transaction (`None` for an empty frame), when the
    /// conditions have a new-values measure that needs it (`None` otherwise); read once a run.
    fn data_start_for(
        &self,
        conditions: &[crate::rules::plan::Condition],
    ) -> PolarsResult<Option<i64>> {
        if new_values_baseline(conditions) == 0 {
            return Ok(None);
        }
        if let Some(start) = self.data_start.get() {
            return Ok(*start);
        }
        let start = self.frame.column(TS)?.cast(&DataType::Int64)?.i64()?.min();
        Ok(*self.data_start.get_or_init(|| start))
    }

    /// The frame with row numbers.
    pub fn frame(&self) -> &DataFrame {
        &self.frame
    }

    /// The run's histories of the plan's subject (built on first use), and which base rows
    /// match the plan's filter (`None`: all).
    fn histories_for(
        &self,
        plan: &RulePlan,
    ) -> PolarsResult<(std::sync::Arc<history::Histories>, Option<Vec<bool>>)> {
        Ok((
            self.histories
                .get(&self.frame, &plan.subject, &self.accounts)?,
            history::row_mask(&self.masks, &self.frame, &plan.filter)?,
        ))
    }
}

/// A stream of transactions that can be evidence for a subject's episode.
struct EvidenceStream {
    frame: LazyFrame,
}

/// Whether a run looks up its accounts' segments: `On` with the segments the run gives (a
/// customer file's), over those derived from the frame (see [`derive_segments`]).
pub enum Segmenting {
    Off,
    On(Option<Arc<Segments>>),
}

/// The segments derived from the run's transactions (see [`crate::rules::segments`]): each
/// account's UTC days from its first to its last transaction on either side, and the distinct
/// days it received cash (channel `CASH`, as beneficiary), in one pass over the account keys.
fn derive_segments(frame: &DataFrame, accounts: &Accounts) -> PolarsResult<Segments> {
    let n = accounts.key_count();
    let (mut first, mut last) = (vec![i64::MAX; n], vec![i64::MIN; n]);
    let mut cash_days: Vec<(u32, i64)> = Vec::new();
    let cash = keys::channel_code(crate::model::Channel::Cash);
    let ts = frame.column(TS)?.cast(&DataType::Int64)?;
    let ts = ts.i64()?;
    let orig = frame.column(keys::ORIG_KEY)?.u32()?;
    let bene = frame.column(keys::BENE_KEY)?.u32()?;
    let channel = frame.column(keys::CHANNEL_CODE)?.u32()?;
    for (((t, o), b), c) in ts
        .iter()
        .zip(orig.iter())
        .zip(bene.iter())
        .zip(channel.iter())
    {
        let Some(day) = t.map(|t| t.div_euclid(crate::rules::plan::DAY)) else {
            continue;
        };
        for key in [o, b].into_iter().flatten() {
            if key != keys::NO_ACCOUNT {
                first[key as usize] = first[key as usize].min(day);
                last[key as usize] = last[key as usize].max(day);
            }
        }
        if let (Some(b), Some(c)) = (b, c) {
            if c == cash && b != keys::NO_ACCOUNT {
                cash_days.push((b, day));
            }
        }
    }
    cash_days.par_sort_unstable();
    cash_days.dedup();
    let found = cash_days.chunk_by(|a, b| a.0 == b.0).filter_map(|days| {
        let key = days[0].0 as usize;
        let span = last[key] - first[key] + 1;
        crate::rules::segments::derived(days.len() as i64, span)
            .map(|segment| (accounts.name(key as u32).to_string(), segment))
    });
    Ok(Segments::derived_from(found))
}

/// The selected rows (`subject`, `ts`, `row_nr`, `base_amount`) without the transfers between
/// two accounts of the same customer.
fn without_own_transfers(
    lf: LazyFrame,
    customer_of: &std::collections::BTreeMap<String, String>,
    accounts: &Accounts,
) -> PolarsResult<DataFrame> {
    let mut ids: std::collections::BTreeMap<&str, u32> = std::collections::BTreeMap::new();
    let group: Vec<u32> = (0..accounts.key_count() as u32)
        .map(|k| match customer_of.get(accounts.name(k)) {
            Some(c) if k != keys::NO_ACCOUNT => {
                let next = ids.len() as u32 + 1;
                *ids.entry(c.as_str()).or_insert(next)
            }
            _ => 0,
        })
        .collect();
    let full = lf
        .select([
            col(SUBJECT),
            col(TS),
            col(ROW),
            col(BASE_AMOUNT),
            col(keys::ORIG_KEY),
            col(keys::BENE_KEY),
        ])
        .collect()?;
    let orig = full.column(keys::ORIG_KEY)?.u32()?;
    let bene = full.column(keys::BENE_KEY)?.u32()?;
    let keep: BooleanChunked = orig
        .iter()
        .zip(bene.iter())
        .map(|(o, b)| {
            let of = |k: Option<u32>| k.map_or(0, |k| group.get(k as usize).copied().unwrap_or(0));
            let (go, gb) = (of(o), of(b));
            Some(go == 0 || go != gb)
        })
        .collect();
    full.filter(&keep)?.select([SUBJECT, TS, ROW, BASE_AMOUNT])
}

/// The accounts of one customer whose activity an expected-activity alert pooled.
pub const POOLED_ACCOUNTS_FACT: &str = "customer_accounts";

/// Pools each customer's accounts for [`Detector::ExpectedActivity`]: the customer declared
/// one monthly volume for all its accounts, so their rows are measured together, as the rows
/// of the customer's first account by id among those in the run (its *primary*). Returns the
/// rows with `subject` rewritten to the primary's key, and for each primary of a customer with
/// more than one account in the run, those accounts' ids in order. Accounts of no customer
/// stay as they are.
fn pool_by_customer(
    rows: DataFrame,
    customer_of: &std::collections::BTreeMap<String, String>,
    accounts: &Accounts,
) -> PolarsResult<(DataFrame, HashMap<String, Vec<String>>)> {
    let mut members: std::collections::BTreeMap<&str, Vec<u32>> = std::collections::BTreeMap::new();
    for k in 0..accounts.key_count() as u32 {
        if k == keys::NO_ACCOUNT {
            continue;
        }
        if let Some(c) = customer_of.get(accounts.name(k)) {
            members.entry(c.as_str()).or_default().push(k);
        }
    }
    let mut primary: Vec<u32> = (0..accounts.key_count() as u32).collect();
    let mut pools = HashMap::new();
    for keys in members.values_mut() {
        keys.sort_by(|a, b| accounts.name(*a).cmp(accounts.name(*b)));
        let first = keys[0];
        for &k in keys.iter() {
            primary[k as usize] = first;
        }
        if keys.len() > 1 {
            pools.insert(
                accounts.name(first).to_string(),
                keys.iter().map(|&k| accounts.name(k).to_string()).collect(),
            );
        }
    }
    if pools.is_empty() {
        return Ok((rows, pools));
    }
    let subject: UInt32Chunked = rows
        .column(SUBJECT)?
        .u32()?
        .apply_values(|k| primary.get(k as usize).copied().unwrap_or(k));
    let mut rows = rows;
    rows.with_column(subject.into_series().with_name(SUBJECT.into()).into())?;
    Ok((rows, pools))
}

/// The segment a rule judged its subject by, when the rule has that segment's parameters.
pub const SEGMENT_FACT: &str = "segment";
/// Why the subject is in that segment.
pub const SEGMENT_BASIS_FACT: &str = "segment_basis";

/// Runs one plan over the run's frame: a plan with segment parameters runs once for the
/// subjects of no variant's segment, then once per variant for its segment's subjects, whose
/// episodes carry [`SEGMENT_FACT`] and [`SEGMENT_BASIS_FACT`].
pub fn run_plan(
    base: &RunFrame,
    plan: &RulePlan,
    context: &EngineContext,
) -> PolarsResult<Vec<Episode>> {
    if plan.segments.is_empty() {
        return run_one_plan(base, plan, context);
    }
    let mut episodes = run_one_plan(base, &plan.for_segment(None), context)?;
    for variant in &plan.segments {
        let mut found = run_one_plan(base, &plan.for_segment(Some(variant)), context)?;
        for episode in &mut found {
            episode.facts.push((SEGMENT_FACT, variant.segment.clone()));
            if let Some(s) = base.segments.as_ref().and_then(|s| s.get(&episode.subject)) {
                episode.facts.push((SEGMENT_BASIS_FACT, s.basis.clone()));
            }
        }
        episodes.extend(found);
    }
    Ok(episodes)
}

fn run_one_plan(
    base: &RunFrame,
    plan: &RulePlan,
    context: &EngineContext,
) -> PolarsResult<Vec<Episode>> {
    let selected =
        || -> PolarsResult<LazyFrame> { with_subject(base.filtered(&plan.filter)?, &plan.subject) };
    let (hits, streams): (Vec<Hit>, Vec<EvidenceStream>) = match &plan.detector {
        Detector::ExpectedActivity {
            window,
            factor_basis_points,
            min_volume,
        } => {
            let (rows, pools) = match &context.customer_of {
                Some(of) => pool_by_customer(
                    without_own_transfers(selected()?, of, &base.accounts)?,
                    of,
                    &base.accounts,
                )?,
                None => (windowed::selected_rows(selected()?, &[])?, HashMap::new()),
            };
            let declared: Vec<Option<i64>> = match &context.expected_monthly_volume {
                Some(volumes) => (0..base.accounts.key_count() as u32)
                    .map(|k| volumes.get(base.accounts.name(k)).copied())
                    .collect(),
                None => Vec::new(),
            };
            let hits = expected::expected_activity(
                &rows,
                &|k| declared.get(k as usize).copied().flatten(),
                &expected::ExpectedLimits {
                    window: *window,
                    factor_basis_points: *factor_basis_points,
                    min_volume: *min_volume,
                },
                &base.accounts,
            )?;
            let hits = hits
                .into_iter()
                .map(|mut hit| {
                    if let Some(pool) = pools.get(&hit.subject) {
                        hit.facts.push((POOLED_ACCOUNTS_FACT, pool.join("; ")));
                    }
                    hit
                })
                .collect();
            (hits, vec![EvidenceStream { frame: rows.lazy() }])
        }
        Detector::PerTransaction => {
            let frame = selected()?
                .select([
                    col(SUBJECT),
                    col(TS).cast(DataType::Int64).alias("win_start"),
                    col(TS).cast(DataType::Int64).alias("win_end"),
                    col(ROW),
                ])
                .collect()?;
            (hits_from_frame(&frame, Some(ROW), &base.accounts)?, vec![])
        }
        Detector::Windowed {
            window,
            conditions,
            combine,
        } => {
            // the selected rows are both the windows' input and the evidence stream
            let rows = windowed::selected_rows(selected()?, conditions)?;
            let mut hits = windowed::meeting(&rows, window, conditions, *combine, &base.accounts)?;
            annotate_new_history(
                &mut hits,
                window,
                conditions,
                base.data_start_for(conditions)?,
            );
            if conditions.iter().any(|c| {
                matches!(
                    c.measure,
                    crate::rules::plan::Measure::CountAgainstRoutine { .. }
                )
            }) {
                let mut subjects: Vec<u32> = hits
                    .iter()
                    .filter_map(|h| base.accounts.key(&h.subject))
                    .collect();
                subjects.sort_unstable();
                subjects.dedup();
                let history = collect_stream_rows(
                    vec![EvidenceStream {
                        frame: rows.clone().lazy(),
                    }],
                    Some(subjects),
                )?;
                annotate_routine(&mut hits, window, conditions, &history, &base.accounts);
            }
            (hits, vec![EvidenceStream { frame: rows.lazy() }])
        }
        Detector::FlowThrough {
            inflow_window,
            min_inflow,
            outflow,
            min_out_basis_points,
            horizon,
            via_own_accounts,
            routine,
        } => {
            // the selected rows are the inflows and, above the minimum, their evidence
            let inflows = windowed::selected_rows(selected()?, &[])?;
            let own = if *via_own_accounts {
                Some(base.own_accounts()?)
            } else {
                None
            };
            // outflows: the outflow predicates, from an account of ours
            let mut outflow_filter = outflow.clone();
            outflow_filter.push(Predicate::Present {
                field: Field::OrigAccount,
                present: true,
            });
            let hits = flow::detect(
                &inflows,
                base.filtered(&outflow_filter)?,
                flow::FlowLimits {
                    inflow_window: *inflow_window,
                    min_inflow: *min_inflow,
                    min_out_basis_points: *min_out_basis_points,
                    horizon: *horizon,
                    routine: *routine,
                },
                &base.accounts,
                own.as_ref(),
            )?;
            // evidence: the inflows in the episode's window, and exactly the outflows counted
            let mut evidence = inflows.lazy();
            if inflow_window.is_none() {
                evidence = evidence.filter(col(BASE_AMOUNT).gt_eq(lit(*min_inflow)));
            }
            (hits, vec![EvidenceStream { frame: evidence }])
        }
        Detector::TemporalPath {
            mode,
            min_hops,
            max_hops,
            horizon,
            min_retained_basis_points,
            max_growth_basis_points,
            limits,
        } => {
            let search = crate::rules::graph::PathSearch {
                mode: *mode,
                min_hops: *min_hops,
                max_hops: *max_hops,
                horizon: *horizon,
                min_retained_basis_points: *min_retained_basis_points,
                max_growth_basis_points: *max_growth_basis_points,
                limits: *limits,
            };
            let (g, selected) = base.graph_for(plan)?;
            let view = g.view(selected.as_deref());
            let found = crate::rules::graph::temporal_paths(&view, search);
            let searched = plan.detector.bounds();
            (
                graph::hits(&g, &base.accounts, found, " -> ", &searched),
                vec![],
            )
        }
        Detector::SplitMerge {
            shape,
            min_intermediaries,
            window,
            horizon,
            min_forwarded_basis_points,
            limits,
        } => {
            let search = crate::rules::graph::SplitSearch {
                shape: *shape,
                min_intermediaries: *min_intermediaries,
                window: *window,
                horizon: *horizon,
                min_forwarded_basis_points: *min_forwarded_basis_points,
                limits: *limits,
            };
            let (g, selected) = base.graph_for(plan)?;
            let view = g.view(selected.as_deref());
            let found = crate::rules::graph::split_merge(&view, search);
            let searched = plan.detector.bounds();
            (
                graph::hits(&g, &base.accounts, found, ", ", &searched),
                vec![],
            )
        }
        Detector::Bipartite {
            layers,
            min_senders,
            min_recipients,
            min_links,
            window,
            horizon,
            min_forwarded_basis_points,
            max_accounts,
            limits,
        } => {
            let search = crate::rules::bipartite::BipartiteSearch {
                layers: *layers,
                min_senders: *min_senders,
                min_recipients: *min_recipients,
                min_links: *min_links,
                window: *window,
                horizon: *horizon,
                min_forwarded_basis_points: *min_forwarded_basis_points,
                max_accounts: *max_accounts,
                limits: *limits,
            };
            let (g, selected) = base.graph_for(plan)?;
            let view = g.view(selected.as_deref());
            let found = crate::rules::bipartite::bipartite(&view, search);
            let searched = plan.detector.bounds();
            (
                graph::layered_hits(&g, &base.accounts, found, &searched),
                vec![],
            )
        }
        Detector::PartyFan {
            direction,
            window,
            min_counterparties,
        } => {
            let (g, selected) = base.graph_for(plan)?;
            let view = g.view(selected.as_deref());
            let found =
                crate::rules::graph::party_fans(&view, *direction, *window, *min_counterparties);
            let searched = plan.detector.bounds();
            (
                graph::hits(&g, &base.accounts, found, ", ", &searched),
                vec![],
            )
        }
        Detector::RoundTrip {
            party_countries,
            related_by_name,
            related_by_country,
            out_window,
            min_gap,
            horizon,
            min_returned_basis_points,
            max_returned_basis_points,
            limits,
        } => {
            let search = crate::rules::round_trip::RoundTripSearch {
                party_countries: party_countries.clone(),
                related: crate::rules::round_trip::Related {
                    similar_name: *related_by_name,
                    same_country: *related_by_country,
                },
                out_window: *out_window,
                min_gap: *min_gap,
                horizon: *horizon,
                min_returned_basis_points: *min_returned_basis_points,
                max_returned_basis_points: *max_returned_basis_points,
                limits: *limits,
            };
            let (g, selected) = base.graph_for(plan)?;
            let view = g.view(selected.as_deref());
            let parties = graph::edge_parties(&base.frame, &view)?;
            let found = crate::rules::round_trip::round_trips(&view, &parties, &search);
            let searched = plan.detector.bounds();
            (
                graph::hits(&g, &base.accounts, found, " -> ", &searched),
                vec![],
            )
        }
        Detector::Dormancy { min_gap } => {
            let (history, matches) = base.histories_for(plan)?;
            (
                temporal::dormancy(
                    &history,
                    matches.as_deref(),
                    *min_gap,
                    context.last_seen.as_ref(),
                )?,
                vec![],
            )
        }
        Detector::VelocitySpike {
            window,
            baseline,
            factor_basis_points,
            min_volume,
            min_baseline_count,
            min_each_direction_basis_points,
        } => {
            let limits = temporal::SpikeLimits {
                window: *window,
                baseline: *baseline,
                factor_basis_points: *factor_basis_points,
                min_volume: *min_volume,
                min_baseline_count: *min_baseline_count,
                min_each_direction_basis_points: *min_each_direction_basis_points,
            };
            let (history, selected) = base.histories_for(plan)?;
            // the originator of each row tells money out of the subject from money in
            let orig = if *min_each_direction_basis_points > 0 {
                Some(base.frame.column(keys::ORIG_KEY)?.u32()?.rechunk())
            } else {
                None
            };
            let orig_keys = match &orig {
                Some(keys) => Some(keys.cont_slice()?),
                None => None,
            };
            (
                temporal::velocity(
                    &history,
                    selected.as_deref(),
                    limits,
                    context.last_seen.as_ref(),
                    orig_keys,
                )?,
                vec![],
            )
        }
        Detector::BehaviourChange {
            window,
            baseline,
            factor_basis_points,
            quiet_volume,
            min_count,
            seasonal_share_basis_points,
        } => {
            let limits = temporal::ChangeLimits {
                window: *window,
                baseline: *baseline,
                factor_basis_points: *factor_basis_points,
                quiet_volume: *quiet_volume,
                min_count: *min_count,
                seasonal_share_basis_points: *seasonal_share_basis_points,
            };
            let (history, selected) = base.histories_for(plan)?;
            (
                temporal::behaviour_change(
                    &history,
                    selected.as_deref(),
                    limits,
                    context.last_seen.as_ref(),
                )?,
                vec![],
            )
        }
    };
    let episodes = merge_hits(hits);
    attach_evidence(episodes, streams, &base.accounts)
}

/// The longest baseline of the conditions' new-values measures (0: none).
fn new_values_baseline(conditions: &[crate::rules::plan::Condition]) -> crate::rules::plan::Micros {
    conditions
        .iter()
        .filter(|c| matches!(c.measure, crate::rules::plan::Measure::DistinctNew { .. }))
        .map(|c| c.baseline())
        .max()
        .unwrap_or(0)
}

/// Marks the hits of a new-values measure (see [`NEW_HISTORY_FACT`]) whose window had less
/// history before it in the data (from `data_start`) than the measure's baseline. A count
/// against the routine is not marked: short history can only fail to suppress a hit, which
/// then stands on the rule's other conditions, as it would without the routine.
pub(crate) fn annotate_new_history(
    hits: &mut [Hit],
    window: &Window,
    conditions: &[crate::rules::plan::Condition],
    data_start: Option<i64>,
) {
    let baseline = new_values_baseline(conditions);
    let Some(data_start) = data_start.filter(|_| baseline > 0) else {
        return;
    };
    let length = window.length();
    for hit in hits {
        let have = hit.end - length - data_start;
        if have < baseline {
            let have = have.max(0);
            hit.facts.push((
                NEW_HISTORY_FACT,
                format!(
                    "{} of the {} asked",
                    crate::rules::plan::describe_duration(have - have % crate::rules::plan::DAY),
                    crate::rules::plan::describe_duration(baseline)
                ),
            ));
        }
    }
}

/// States the routine a count-against-routine window was judged against: the subject's selected
/// transactions in the baseline before the window (`usual`: "2 in the 90 days before").
fn annotate_routine(
    hits: &mut [Hit],
    window: &Window,
    conditions: &[crate::rules::plan::Condition],
    rows: &StreamRows,
    accounts: &Accounts,
) {
    let Some(baseline) = conditions.iter().find_map(|c| match c.measure {
        crate::rules::plan::Measure::CountAgainstRoutine { baseline } => Some(baseline),
        _ => None,
    }) else {
        return;
    };
    let length = window.length();
    for hit in hits {
        let Some(history) = accounts.key(&hit.subject).and_then(|k| rows.get(&k)) else {
            continue;
        };
        // the window [end - length, end]; its baseline [start - baseline, start)
        let start = hit.end - length;
        let from = history.partition_point(|&(t, _)| t < start - baseline);
        let to = history.partition_point(|&(t, _)| t < start);
        hit.facts.push((
            ROUTINE_FACT,
            format!(
                "{} in the {} before",
                to - from,
                crate::rules::plan::describe_duration(baseline)
            ),
        ));
    }
}

/// The fact a count-against-routine alert carries: the subject's count in the baseline.
pub const ROUTINE_FACT: &str = "usual";

/// The fact an alert of a new-values measure carries when the data held less history before
/// its window than the measure's baseline: the values were new only against that much.
pub const NEW_HISTORY_FACT: &str = "new_judged_on";

/// Facts naming a structure's accounts: when hits merge, each distinct value is kept, separated
/// by [`STRUCTURE_SEPARATOR`]; other facts are the first hit's.
const STRUCTURE_FACTS: [&str; 2] = ["accounts", "own_accounts"];
/// Separates the structures of one episode in [`STRUCTURE_FACTS`].
pub const STRUCTURE_SEPARATOR: &str = " | ";

/// Merges overlapping hits of the same subject into episodes (sorted by subject, then start).
///
/// Hits arrive in whatever order a detector's group-by produced them; they are put in a total
/// order (window, then facts, then rows) first, so that which hit's facts an episode keeps
/// depends on the hits alone, never on that order.
pub fn merge_hits(mut hits: Vec<Hit>) -> Vec<Episode> {
    hits.sort_by(|a, b| {
        (&a.subject, a.start, a.end, &a.facts, &a.rows)
            .cmp(&(&b.subject, b.start, b.end, &b.facts, &b.rows))
    });
    let mut episodes: Vec<Episode> = Vec::new();
    for hit in hits {
        if let Some(last) = episodes.last_mut() {
            if last.subject == hit.subject && hit.start <= last.end {
                last.end = last.end.max(hit.end);
                if let Some(rows) = hit.rows {
                    last.rows.extend(rows);
                }
                for fact in hit.facts {
                    match last.facts.iter_mut().find(|(k, _)| *k == fact.0) {
                        None => last.facts.push(fact),
                        // each structure merged into the episode is listed, not only the first
                        Some((key, value))
                            if STRUCTURE_FACTS.contains(key)
                                && !value.split(STRUCTURE_SEPARATOR).any(|v| v == fact.1) =>
                        {
                            value.push_str(STRUCTURE_SEPARATOR);
                            value.push_str(&fact.1);
                        }
                        Some(_) => {}
                    }
                }
                continue;
            }
        }
        episodes.push(Episode {
            subject: hit.subject,
            start: hit.start,
            end: hit.end,
            rows: hit.rows.unwrap_or_default(),
            facts: hit.facts,
        });
    }
    episodes
}

/// `(ts, row)` of the evidence stream per subject key, sorted.
type StreamRows = HashMap<u32, Vec<(i64, u32)>>;

/// Collects `(ts, row)` per subject from the streams, sorted; only `subjects` when given.
fn collect_stream_rows(
    streams: Vec<EvidenceStream>,
    subjects: Option<Vec<u32>>,
) -> PolarsResult<StreamRows> {
    let wanted = match subjects {
        Some(list) => {
            Some(DataFrame::new(list.len(), vec![Column::new(SUBJECT.into(), list)])?.lazy())
        }
        None => None,
    };
    let mut by_subject: StreamRows = HashMap::new();
    for s in streams {
        let frame = match &wanted {
            Some(w) => s.frame.join(
                w.clone(),
                [col(SUBJECT)],
                [col(SUBJECT)],
                JoinArgs::new(JoinType::Semi),
            ),
            None => s.frame,
        };
        let rows = frame
            .select([
                col(SUBJECT),
                col(TS).cast(DataType::Int64),
                col(ROW).cast(DataType::UInt32),
            ])
            .collect()?;
        let subj = dense(rows.column(SUBJECT)?.u32()?)?;
        let ts = dense(rows.column(TS)?.i64()?)?;
        let row = dense(rows.column(ROW)?.u32()?)?;
        for i in 0..rows.height() {
            by_subject.entry(subj[i]).or_default().push((ts[i], row[i]));
        }
    }
    for list in by_subject.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    Ok(by_subject)
}

/// Adds the stream rows that belong to each episode: same subject, inside its window.
fn attach(mut episodes: Vec<Episode>, rows: &StreamRows, accounts: &Accounts) -> Vec<Episode> {
    for e in &mut episodes {
        let key = accounts.key(&e.subject);
        if let Some(list) = key.and_then(|k| rows.get(&k)) {
            let from = list.partition_point(|(t, _)| *t < e.start);
            let to = list.partition_point(|(t, _)| *t <= e.end);
            e.rows.extend(list[from..to].iter().map(|(_, r)| *r));
        }
        e.rows.sort_unstable();
        e.rows.dedup();
    }
    episodes
}

fn attach_evidence(
    episodes: Vec<Episode>,
    streams: Vec<EvidenceStream>,
    accounts: &Accounts,
) -> PolarsResult<Vec<Episode>> {
    if episodes.is_empty() || streams.is_empty() {
        return Ok(attach(episodes, &HashMap::new(), accounts));
    }
    let mut subjects: Vec<u32> = episodes
        .iter()
        .filter_map(|e| accounts.key(&e.subject))
        .collect();
    subjects.dedup();
    let rows = collect_stream_rows(streams, Some(subjects))?;
    Ok(attach(episodes, &rows, accounts))
}

/// A windowed plan's measures and evidence, computed once so that many threshold settings can
/// be evaluated without recomputing the windows (threshold sweeps).
pub struct PreparedWindowed {
    features: DataFrame,
    rows: StreamRows,
    accounts: Arc<Accounts>,
    window: Window,
    data_start: Option<i64>,
}

/// Prepares a windowed plan for [`windowed_episodes`]; `None` for other detectors.
pub fn prepare_windowed(
    base: &RunFrame,
    plan: &RulePlan,
) -> PolarsResult<Option<PreparedWindowed>> {
    let Detector::Windowed {
        window, conditions, ..
    } = &plan.detector
    else {
        return Ok(None);
    };
    let selected = with_subject(base.filtered(&plan.filter)?, &plan.subject)?;
    let selected = windowed::selected_rows(selected, conditions)?;
    let features = windowed::features(&selected, window, conditions)?;
    let rows = collect_stream_rows(
        vec![EvidenceStream {
            frame: selected.lazy(),
        }],
        None,
    )?;
    Ok(Some(PreparedWindowed {
        features,
        rows,
        accounts: base.accounts.clone(),
        window: *window,
        data_start: base.data_start_for(conditions)?,
    }))
}

/// The episodes of a prepared windowed plan under the given thresholds: the same episodes as
/// [`run_plan`] gives for a plan with these conditions.
pub fn windowed_episodes(
    prepared: &PreparedWindowed,
    conditions: &[crate::rules::plan::Condition],
    combine: crate::rules::plan::Combine,
) -> PolarsResult<Vec<Episode>> {
    let mut hits = windowed::hits(&prepared.features, conditions, combine, &prepared.accounts)?;
    annotate_new_history(&mut hits, &prepared.window, conditions, prepared.data_start);
    annotate_routine(
        &mut hits,
        &prepared.window,
        conditions,
        &prepared.rows,
        &prepared.accounts,
    );
    Ok(attach(merge_hits(hits), &prepared.rows, &prepared.accounts))
}

#[cfg(test)]
mod tests {
    use super::{merge_hits, Hit};

    fn hit(start: i64, end: i64, accounts: &str, reached: &str) -> Hit {
        Hit {
            subject: "A".into(),
            start,
            end,
            rows: Some(vec![start as u32]),
            facts: vec![("accounts", accounts.into()), ("reached", reached.into())],
        }
    }

    #[test]
    fn merged_structures_list_every_structure_and_keep_the_first_figures() {
        let episodes = merge_hits(vec![
            hit(5, 20, "A -> C -> A", "90.00"),
            hit(1, 10, "A -> B -> A", "80.00"),
            hit(8, 12, "A -> B -> A", "70.00"),
            hit(30, 40, "A -> D -> A", "60.00"),
        ]);
        assert_eq!(episodes.len(), 2);
        assert_eq!(
            episodes[0].facts,
            vec![
                ("accounts", "A -> B -> A | A -> C -> A".to_string()),
                ("reached", "80.00".to_string())
            ]
        );
        assert_eq!(episodes[0].rows, vec![1, 5, 8]);
        assert_eq!(episodes[1].facts[0].1, "A -> D -> A");
    }
}
