//! The `run` command's work: ingest, rules, sanctions screening, cases and every output file.

use crate::cases::Case;
use crate::ingest::{self, FxTable, IngestOptions, MappingProfile};
use crate::model::NightlySummary;
use crate::model::{Alert, InputSummary, Manifest, RuleInfo, SourceDigest, TxnRecord};
use crate::output::{write_alerts_csv, write_atomic, write_atomic_with};
use crate::rules::{run_rules_in, EngineContext, RuleSet};
use crate::state::{classify_alerts, RaisedAlert, State};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;
use thiserror::Error;

/// A validated configuration for one run.
#[derive(Debug, Clone, Default)]
pub struct RunConfig {
    /// Where the run executes (Polars here, or a Spark cluster).
    pub engine: crate::engine::Engine,
    pub inputs: Vec<PathBuf>,
    pub rules: Vec<PathBuf>,
    pub watchlists: Vec<PathBuf>,
    pub profile: Option<PathBuf>,
    pub fx: Option<PathBuf>,
    /// Overrides the packs' base currency.
    pub base_currency: Option<String>,
    pub delimiter: Option<u8>,
    pub out_dir: PathBuf,
    /// Sanctions match threshold (0..1); `None` uses the matcher's default.
    pub sanctions_threshold: Option<f64>,
    /// Nightly state folder: history for lookback windows and alerts already raised.
    pub state: Option<PathBuf>,
    /// Analyst dispositions to fold into the state (needs `state`).
    pub dispositions: Option<PathBuf>,
    /// Show progress spinners (on a terminal).
    pub progress: bool,
    /// The customer file (KYC), and the mapping profile it is read through.
    pub customers: Option<PathBuf>,
    pub customers_profile: Option<PathBuf>,
}

/// Errors that stop a run (exit code 2).
#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Ingest(#[from] ingest::IngestError),
    #[error(transparent)]
    Rules(#[from] crate::rules::RuleError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error(transparent)]
    Customers(#[from] crate::customers::CustomerError),
    #[error("{path}: cannot write: {reason}")]
    Write { path: String, reason: String },
    /// The evidence spilled to a local file could not be written or read back.
    #[error(transparent)]
    Evidence(#[from] crate::evidence::SpillError),
    /// The Spark engine stopped (the cluster, or an input as the cluster reads it).
    #[cfg(feature = "spark")]
    #[error(transparent)]
    Spark(#[from] crate::spark::SparkEngineError),
    #[error("{0}")]
    Other(String),
}

/// What a run produced, for the caller to print.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub manifest: Manifest,
    pub out_dir: PathBuf,
}

pub(crate) fn now_iso() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> RunError {
    RunError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Loads the profile and FX table named in the config.
pub fn ingest_options(config: &RunConfig, base_currency: &str) -> Result<IngestOptions, RunError> {
    let profile = config
        .profile
        .as_deref()
        .map(MappingProfile::load)
        .transpose()?;
    let fx = match &config.fx {
        Some(path) => FxTable::load(path, base_currency)?,
        None => FxTable::base_only(base_currency),
    };
    Ok(IngestOptions {
        profile,
        fx,
        delimiter: config.delimiter,
    })
}

/// Runs the whole pipeline and writes every output into `config.out_dir`.
pub fn run(config: &RunConfig) -> Result<RunSummary, RunError> {
    if let crate::engine::Engine::Spark(target) = &config.engine {
        return run_on_spark(config, target);
    }
    let started_at = now_iso();
    let mut stages = Stages::new(config.progress);

    stages.begin("loading rule packs");
    let rule_set = RuleSet::load(&config.rules)?;
    let base_currency = base_currency_of(config, &rule_set)?;
    let options = ingest_options(config, &base_currency)?;
    let customers = load_customer_file(config)?;
    // a nightly state needs the night's digest before anything is read; the inputs are then
    // not hashed a second time
    let digests = match config.state {
        Some(_) => Some(ingest::inputs_digest(&config.inputs)?),
        None => None,
    };
    let mut state = match (config.state.as_deref(), &digests) {
        (Some(dir), Some(d)) => Some(State::open(dir, &d.night)?),
        _ => None,
    };
    let dispositions_folded = match (&config.dispositions, state.as_mut()) {
        (Some(path), Some(s)) => s
            .fold_dispositions(path)
            .map_err(|e| RunError::Other(format!("{e:#}")))?,
        (Some(_), None) => {
            return Err(RunError::Other(
                "--dispositions needs --state: dispositions are folded into the nightly state"
                    .into(),
            ))
        }
        (None, _) => 0,
    };
    let state = state;
    crate::state::kill_point("state-opened");
    stages.end("load");

    // the watchlists do not depend on the transactions: they are loaded and indexed while the
    // transactions are read, and names are screened while the rules run (on 2 cores neither
    // stage keeps both busy all the time)
    let threshold = config
        .sanctions_threshold
        .unwrap_or(crate::watchlist::DEFAULT_THRESHOLD);
    let (ingested, output, screened, activity) = std::thread::scope(|scope| {
        let lists = (!config.watchlists.is_empty())
            .then(|| scope.spawn(|| load_screener(&config.watchlists)));

        stages.begin("reading transactions");
        let ingested = (|| {
            let mut known_ids = match &state {
                Some(s) => s.known_ids()?,
                None => Default::default(),
            };
            Ok::<_, RunError>(ingest::ingest_digested(
                &config.inputs,
                &options,
                &mut known_ids,
                digests.as_ref(),
            )?)
        })();
        stages.end("ingest");
        // the loading thread is joined before any error is returned: an ingest error is then
        // reported first, and never replaced by what happened in that thread
        let lists = lists.map(|handle| handle.join());
        let ingested = ingested?;
        crate::state::kill_point("ingested");
        let lists = lists.map(result_of_thread).transpose()?;
        tracing::info!(
            rows_read = ingested.inputs.iter().map(|i| i.rows_read).sum::<u64>(),
            rows_accepted = ingested.frame.height(),
            rows_quarantined = ingested.quarantine.len(),
            "ingest done"
        );

        stages.begin(match lists {
            Some(_) => "running rules and screening names",
            None => "running rules",
        });
        // screening and the rules are two tasks of the same thread pool, so that the parallel
        // work of each is scheduled alongside the other's (a screening thread of its own had
        // its parallel work queued behind the rules')
        let screen = |(sources, screener, load_seconds): (
            Vec<SourceDigest>,
            crate::watchlist::Screener,
            f64,
        )| {
            let clock = Instant::now();
            // the customers are screened first, with what is known of them besides the name,
            // at their own default threshold unless the run sets one: their identity facts
            // clear the name-only hits on their own transactions that they discount
            let customer_threshold = config
                .sanctions_threshold
                .unwrap_or(crate::customers::CUSTOMER_THRESHOLD);
            let customer_hits = customers
                .as_ref()
                .map(|c| crate::customers::screen_customers(c, &screener, customer_threshold))
                .unwrap_or_default();
            let clearing = customers.as_ref().map_or_else(Default::default, |c| {
                crate::screening::ClearedByCustomers::new(c, &customer_hits)
            });
            let screened = (|| {
                let frame = crate::screening::screen_frame_with(
                    &ingested.frame,
                    &screener,
                    threshold,
                    &base_currency,
                    &clearing,
                )?;
                let customer = match &customers {
                    Some(c) => crate::screening::customer_alerts(
                        c,
                        &customer_hits,
                        &ingested.frame,
                        &base_currency,
                    )?,
                    None => Default::default(),
                };
                Ok::<_, polars::error::PolarsError>((frame, customer))
            })()
            .map_err(|e| RunError::Other(format!("sanctions screening: {e}")));
            let seconds = clock.elapsed().as_secs_f64();
            screened.map(|(frame, (customer_alerts, customer_records))| Screened {
                sources,
                hits: frame.alerts,
                records: frame.evidence,
                cleared: frame.cleared.len() as u64,
                customer_hits,
                customer_alerts,
                customer_records,
                load_seconds,
                seconds,
            })
        };
        let run_rules = || {
            let rules: Vec<&crate::rules::Rule> = rule_set.rules().collect();
            let (frame, context) = match &state {
                Some(s) => (
                    ingest::concat_frames(vec![s.history.clone(), ingested.frame.clone()])
                        .map_err(|e| RunError::Other(format!("history: {e}")))?,
                    EngineContext {
                        last_seen: Some(s.last_seen.clone()),
                        ..EngineContext::default()
                    },
                ),
                None => (ingested.frame.clone(), EngineContext::default()),
            };
            // the customer file's segments (over those derived from the transactions) and
            // declared volumes
            let context = match &customers {
                Some(c) => EngineContext {
                    last_seen: context.last_seen,
                    ..c.engine_context()
                },
                None => context,
            };
            // the customers' money figures come from the same transactions as the rules'
            let activity = match &customers {
                Some(_) => Some(
                    crate::customers::risk::account_activity(&frame)
                        .map_err(|e| RunError::Other(format!("customer activity: {e}")))?,
                ),
                None => None,
            };
            Ok::<_, RunError>((
                run_rules_in(&frame, &rules, &base_currency, &context)?,
                activity,
            ))
        };
        let (output, screened) = rayon::join(run_rules, || lists.map(screen));
        // both have finished: a rules error is reported before a screening one
        let (output, activity) = output?;
        let screened = screened.transpose()?;
        crate::state::kill_point("rules-done");
        stages.end(match screened {
            Some(_) => "rules_and_sanctions",
            None => "rules",
        });
        Ok::<_, RunError>((ingested, output, screened, activity))
    })?;
    for (rule, seconds) in &output.seconds_per_rule {
        tracing::info!(rule = rule.as_str(), seconds, "rule done");
        stages.record(&format!("rule:{rule}"), *seconds);
    }

    finish(
        config,
        Finished {
            started_at,
            stages,
            rule_set: &rule_set,
            base_currency: &base_currency,
            inputs: ingested.inputs,
            quarantine: Some(&ingested.quarantine),
            alerts: output.alerts,
            evidence: crate::evidence::Evidence::held(output.evidence),
            screened,
            customers: customers.as_ref(),
            activity,
            nightly: state
                .as_ref()
                .map(|s| (s, &ingested.frame, dispositions_folded)),
        },
    )
}

/// What a run has found, engine by engine, before the engine-free rest of it.
pub(crate) struct Finished<'a> {
    pub started_at: String,
    pub stages: Stages,
    pub rule_set: &'a RuleSet,
    pub base_currency: &'a str,
    /// The manifest's inputs.
    pub inputs: Vec<InputSummary>,
    /// The quarantined rows, for `quarantine.csv`; `None` when they were written elsewhere
    /// (the Spark engine's `--spark-out`): no `quarantine.csv` is written then.
    pub quarantine: Option<&'a [ingest::QuarantineRow]>,
    /// The rules' alerts and their evidence.
    pub alerts: Vec<Alert>,
    pub evidence: crate::evidence::Evidence,
    pub screened: Option<Screened>,
    pub customers: Option<&'a crate::customers::Customers>,
    /// The customers' account activity, span in days and last day (for the rating).
    pub activity: Option<Activity>,
    /// A nightly run's state, tonight's rows and the dispositions folded into the state.
    pub nightly: Option<(&'a State, &'a polars::prelude::DataFrame, u64)>,
}

/// [`crate::customers::risk::account_activity`]'s result.
pub(crate) type Activity = (
    BTreeMap<String, crate::customers::risk::AccountActivity>,
    i64,
    i64,
);

/// Records of their own made shareable, as the rules' evidence is.
pub(crate) fn shared(
    records: HashMap<String, TxnRecord>,
) -> impl Iterator<Item = (String, std::sync::Arc<TxnRecord>)> {
    records
        .into_iter()
        .map(|(id, record)| (id, std::sync::Arc::new(record)))
}

/// The engine-free rest of a run: alerts merged and sorted, cases, ratings, every output file
/// and the manifest.
pub(crate) fn finish(config: &RunConfig, found: Finished<'_>) -> Result<RunSummary, RunError> {
    let Finished {
        started_at,
        mut stages,
        rule_set,
        base_currency,
        inputs,
        quarantine,
        alerts,
        evidence,
        screened,
        customers,
        activity,
        nightly: night,
    } = found;
    let state = night.map(|(s, _, _)| s);
    let tonight_frame = night.map(|(_, f, _)| f);
    let dispositions_folded = night.map_or(0, |(_, _, n)| n);
    let mut alerts = alerts;
    let mut evidence = evidence;
    let mut watchlist_sources: Vec<SourceDigest> = Vec::new();
    let mut customer_hits: Vec<crate::customers::CustomerHit> = Vec::new();
    let mut cleared_by_customers = 0;
    if let Some(screened) = screened {
        customer_hits = screened.customer_hits;
        cleared_by_customers = screened.cleared;
        stages.record("watchlists_load", screened.load_seconds);
        stages.record("sanctions", screened.seconds);
        alerts.extend(screened.hits);
        evidence.extend_held(shared(screened.records));
        alerts.extend(screened.customer_alerts);
        evidence.extend_held(shared(screened.customer_records));
        watchlist_sources = screened.sources;
    }

    let mut nightly = None;
    if let (Some(s), Some(frame)) = (state, tonight_frame) {
        let tonight: HashSet<&str> = frame
            .column("txn_id")
            .and_then(|c| c.str())
            .map_err(|e| RunError::Other(e.to_string()))?
            .iter()
            .flatten()
            .collect();
        let classified = classify_alerts(alerts, &tonight, &s.raised);
        let (reported, suppressed) =
            crate::state::dispositions::apply(classified.reported, &s.dispositions);
        alerts = reported;
        nightly = Some(NightlySummary {
            state_dir: config
                .state
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            generation_read: s.generation(),
            retry_of_generation: s.retry_of(),
            history_rows: s.history.height() as u64,
            alerts_new: classified.new,
            alerts_updated: classified.updated,
            alerts_suppressed: classified.suppressed,
            dispositions_folded,
            dispositions_kept: s.dispositions.len() as u64,
            suppressed_by_disposition: suppressed,
            ..NightlySummary::default()
        });
    }

    crate::rules::sort_alerts(&mut alerts);
    stages.begin("building cases");
    let mut rule_infos = rule_infos(
        rule_set,
        config
            .sanctions_threshold
            .unwrap_or(crate::watchlist::DEFAULT_THRESHOLD),
    );
    if customers.is_some() && !config.watchlists.is_empty() {
        rule_infos.push(crate::screening::customer_sanctions_rule_info(
            config
                .sanctions_threshold
                .unwrap_or(crate::customers::CUSTOMER_THRESHOLD),
        ));
    }
    // customers are rated on the run's final alerts; cases weigh the rating without them
    let ratings = match (&customers, &activity) {
        (Some(c), Some((activity, span_days, last_day))) => {
            let lists = crate::customers::risk::CountryLists::from_packs(rule_set);
            Some(crate::customers::risk::rate_customers(
                c,
                &crate::customers::risk::RatingInputs {
                    lists: &lists,
                    activity,
                    span_days: *span_days,
                    last_day: *last_day,
                    alerts: &alerts,
                    customer_hits: &crate::customers::risk::hits_by_customer(&customer_hits),
                },
            ))
        }
        _ => None,
    };
    let customer_weights =
        crate::customers::risk::case_weights(ratings.as_deref().unwrap_or_default());
    // every alert moves into its case (at 100M rows the alerts take hundreds of megabytes, and
    // are not held twice); the run's list is then the cases' alerts, by reference, in the
    // output order
    let cases = crate::cases::build_run_cases(alerts, &evidence, &rule_infos, &customer_weights)?;
    // the cases hold what they cite (a spilled record by number: the spill lives on with them)
    drop(evidence);
    stages.end("cases");
    let alerts = alerts_of_cases(&cases);

    let mut manifest = build_manifest(
        started_at,
        base_currency,
        inputs,
        rule_set,
        watchlist_sources,
        &alerts,
        cases.len() as u64,
        Vec::new(),
    );
    stages.begin("writing outputs");
    std::fs::create_dir_all(&config.out_dir).map_err(|e| write_err(&config.out_dir, e))?;
    // the manifest marks a finished run: remove the previous one before writing anything
    let manifest_path = config.out_dir.join("manifest.json");
    if manifest_path.exists() {
        std::fs::remove_file(&manifest_path).map_err(|e| write_err(&manifest_path, e))?;
    }
    // the report shows the nightly figures known before the state is written (the alerts a
    // disposition suppressed among them); the manifest gets the rest after the commit
    manifest.nightly = nightly.clone();
    if customers.is_none() {
        // an earlier run's customer outputs in this folder are not this run's
        for name in [
            "customers_quarantine.csv",
            "customers_risk.csv",
            "customers_hits.csv",
        ] {
            remove_stale(&config.out_dir.join(name))?;
        }
    }
    manifest.customers = customers.as_ref().map(|c| {
        let mut summary = customers_summary(c, ratings.as_deref().unwrap_or_default());
        summary.screened = !config.watchlists.is_empty();
        summary.sanctions_hits = customer_hits.len() as u64;
        summary.customers_hit = customer_hits
            .iter()
            .map(|h| h.customer_id.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64;
        summary.transaction_hits_cleared = cleared_by_customers;
        summary
    });
    if let Some(c) = &customers {
        let write = |name: &str, f: &dyn Fn(&mut dyn std::io::Write) -> csv::Result<()>| {
            let path = config.out_dir.join(name);
            write_atomic_with(&path, |w| f(w).map_err(std::io::Error::other))
                .map_err(|e| write_err(&path, e))
        };
        write("customers_quarantine.csv", &|w| {
            crate::customers::write_customer_quarantine_csv(w, &c.quarantine)
        })?;
        if config.watchlists.is_empty() {
            remove_stale(&config.out_dir.join("customers_hits.csv"))?;
        } else {
            write("customers_hits.csv", &|w| {
                crate::customers::write_customer_hits_csv(w, &customer_hits)
            })?;
        }
        write("customers_risk.csv", &|w| {
            crate::customers::risk::write_risk_csv(w, ratings.as_deref().unwrap_or_default())
        })?;
    }
    write_outputs(
        &config.out_dir,
        &alerts,
        &cases,
        &rule_infos,
        quarantine,
        &manifest,
    )?;
    stages.end("write_outputs");
    crate::state::kill_point("outputs-written");

    if let (Some(s), Some(frame), Some(summary)) = (state, tonight_frame, nightly.as_mut()) {
        stages.begin("updating state");
        let lookback = rule_set
            .rules()
            .filter(|r| r.enabled)
            .map(|r| r.plan.lookback())
            .max()
            .unwrap_or(0);
        let case_of: std::collections::HashMap<&str, &str> = cases
            .iter()
            .flat_map(|c| {
                c.alerts
                    .iter()
                    .map(move |a| (a.alert_id.as_str(), c.case_id.as_str()))
            })
            .collect();
        let reported: Vec<RaisedAlert> = alerts
            .iter()
            .copied()
            .filter(|a| a.typology != crate::model::Typology::Sanctions)
            .map(|a| RaisedAlert::from_alert(a, case_of.get(a.alert_id.as_str()).copied()))
            .collect();
        let committed = s.commit(frame, &reported, lookback)?;
        summary.generation_written = committed.generation;
        summary.history_days = committed.history_days;
        summary.history_rows_kept = committed.history_rows;
        summary.lookback_days =
            ((lookback + crate::rules::plan::DAY - 1) / crate::rules::plan::DAY + 1) as u64;
        stages.end("state");
    }
    manifest.nightly = nightly;
    manifest.stage_seconds = stages.finish();
    manifest.finished_at = now_iso();
    let path = config.out_dir.join("manifest.json");
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| write_err(&path, e))?;
    write_atomic(&path, &json).map_err(|e| write_err(&path, e))?;
    crate::state::kill_point("manifest-written");
    Ok(RunSummary {
        manifest,
        out_dir: config.out_dir.clone(),
    })
}

/// The packs' base currency, which `--base-currency` may only repeat.
pub(crate) fn base_currency_of(config: &RunConfig, rule_set: &RuleSet) -> Result<String, RunError> {
    let base_currency = rule_set.base_currency();
    if let Some(requested) = &config.base_currency {
        if !rule_set.packs.is_empty() && *requested != base_currency {
            return Err(RunError::Other(format!(
                "--base-currency {requested} differs from the rule packs' base currency {base_currency}; their thresholds are in {base_currency}"
            )));
        }
    }
    Ok(base_currency)
}

/// Removes an output an earlier run left in the folder that this run does not write.
fn remove_stale(path: &Path) -> Result<(), RunError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(write_err(path, e)),
        _ => Ok(()),
    }
}

/// Reads the run's customer file, if it names one, through its mapping profile.
pub(crate) fn load_customer_file(
    config: &RunConfig,
) -> Result<Option<crate::customers::Customers>, RunError> {
    let Some(path) = &config.customers else {
        return Ok(None);
    };
    let profile = config
        .customers_profile
        .as_deref()
        .map(|p| MappingProfile::load_for(p, &crate::customers::CUSTOMER_COLUMNS))
        .transpose()?;
    let delimiter = profile
        .as_ref()
        .and_then(|p| p.delimiter)
        .map_or(b',', |c| c as u8);
    let customers = crate::customers::load_customers(path, profile.as_ref(), delimiter)?;
    tracing::info!(
        customers = customers.list.len(),
        quarantined = customers.quarantine.len(),
        "customer file read"
    );
    for joint in customers.joint_accounts() {
        for conflict in &joint.conflicts {
            tracing::warn!(
                account = %joint.account,
                field = conflict.field,
                given = %conflict.given,
                used = %conflict.used,
                "joint account: its holders disagree; the rules use the first holder's value"
            );
        }
    }
    Ok(Some(customers))
}

/// The manifest's account of a customer file and its ratings.
fn customers_summary(
    c: &crate::customers::Customers,
    ratings: &[crate::customers::risk::CustomerRating],
) -> crate::model::CustomersSummary {
    let by_account = c.by_account();
    let joint = c.joint_accounts();
    let mut levels: BTreeMap<&str, u64> = [("high", 0), ("medium", 0), ("low", 0)].into();
    for r in ratings {
        *levels.entry(r.level()).or_default() += 1;
    }
    let mut riskiest: Vec<&crate::customers::risk::CustomerRating> =
        ratings.iter().filter(|r| r.level() == "high").collect();
    riskiest.sort_by(|a, b| {
        b.score()
            .cmp(&a.score())
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    crate::model::CustomersSummary {
        file: c.file.display().to_string(),
        sha256: c.sha256.clone(),
        rows_read: c.rows_read,
        rows_accepted: c.list.len() as u64,
        rows_quarantined: c.quarantine.len() as u64,
        quarantined_by_reason: c
            .quarantined_by_reason()
            .into_iter()
            .map(|(r, n)| (r.to_string(), n))
            .collect(),
        accounts: by_account.len() as u64,
        accounts_with_segment: c.segments().len() as u64,
        screened: false,
        sanctions_hits: 0,
        customers_hit: 0,
        transaction_hits_cleared: 0,
        risk_levels: ["high", "medium", "low"]
            .iter()
            .map(|l| (l.to_string(), levels[l]))
            .collect(),
        highest_risk: riskiest
            .into_iter()
            .take(crate::model::HIGHEST_RISK_SHOWN)
            .map(|r| crate::model::RiskSummary {
                customer_id: r.customer_id.clone(),
                name: r.name.clone(),
                score: r.score(),
                factors: r
                    .factors
                    .iter()
                    .map(|f| format!("{} (+{})", f.why, f.points))
                    .collect(),
            })
            .collect(),
        joint_accounts: joint.len() as u64,
        joint_account_conflicts: joint
            .iter()
            .flat_map(|j| {
                j.conflicts
                    .iter()
                    .map(|k| crate::model::JointConflictSummary {
                        account: j.account.clone(),
                        field: k.field.to_string(),
                        given: k.given.clone(),
                        used: k.used.clone(),
                    })
            })
            .collect(),
    }
}

/// What sanctions screening produced, with the seconds it took in its own thread.
pub(crate) struct Screened {
    pub sources: Vec<SourceDigest>,
    pub hits: Vec<Alert>,
    pub records: HashMap<String, TxnRecord>,
    /// Transaction-party hits the customers' identity facts cleared.
    pub cleared: u64,
    /// Sanctions matches on the customer file's customers, the alerts they raise and those
    /// alerts' evidence.
    pub customer_hits: Vec<crate::customers::CustomerHit>,
    pub customer_alerts: Vec<Alert>,
    pub customer_records: HashMap<String, TxnRecord>,
    pub load_seconds: f64,
    pub seconds: f64,
}

/// Loads and indexes the watchlists: their digests, the screener and the seconds it took.
pub(crate) fn load_screener(
    paths: &[PathBuf],
) -> Result<(Vec<SourceDigest>, crate::watchlist::Screener, f64), RunError> {
    let clock = Instant::now();
    let set =
        crate::watchlist::load_watchlists(paths).map_err(|e| RunError::Other(e.to_string()))?;
    let sources = set.sources().iter().map(|s| s.digest()).collect();
    let screener = crate::watchlist::Screener::new(&set);
    Ok((sources, screener, clock.elapsed().as_secs_f64()))
}

/// The result of a stage that ran in its own thread; a panic there is re-raised here.
pub(crate) fn result_of_thread<T>(
    joined: std::thread::Result<Result<T, RunError>>,
) -> Result<T, RunError> {
    joined.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Stage timing, with a progress spinner on a terminal and a log event per stage.
pub(crate) struct Stages {
    seconds: Vec<(String, f64)>,
    clock: Instant,
    spinner: Option<indicatif::ProgressBar>,
    progress: bool,
}

impl Stages {
    pub(crate) fn new(progress: bool) -> Stages {
        Stages {
            seconds: Vec::new(),
            clock: Instant::now(),
            spinner: None,
            progress,
        }
    }

    pub(crate) fn begin(&mut self, what: &str) {
        self.clock = Instant::now();
        if self.progress {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message(what.to_string());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            self.spinner = Some(bar);
        }
    }

    pub(crate) fn end(&mut self, stage: &str) {
        let seconds = self.clock.elapsed().as_secs_f64();
        if let Some(bar) = self.spinner.take() {
            bar.finish_with_message(format!("{stage}: {seconds:.2}s"));
        }
        tracing::info!(stage, seconds, "stage done");
        self.seconds.push((stage.to_string(), seconds));
    }

    /// Records a figure measured elsewhere (a rule's own seconds inside the rules stage).
    pub(crate) fn record(&mut self, name: &str, seconds: f64) {
        self.seconds.push((name.to_string(), seconds));
    }

    /// Each stage's name and seconds, in order.
    pub(crate) fn finish(self) -> Vec<(String, f64)> {
        self.seconds
    }
}

#[allow(clippy::too_many_arguments)]
fn build_manifest(
    started_at: String,
    base_currency: &str,
    inputs: Vec<InputSummary>,
    rule_set: &RuleSet,
    watchlists: Vec<SourceDigest>,
    alerts: &[&Alert],
    cases_total: u64,
    stage_seconds: Vec<(String, f64)>,
) -> Manifest {
    let mut per_rule: BTreeMap<String, u64> = rule_set
        .rules()
        .filter(|r| r.enabled)
        .map(|r| (r.plan.rule_id.clone(), 0))
        .collect();
    let mut per_typology: BTreeMap<String, u64> = BTreeMap::new();
    for a in alerts {
        *per_rule.entry(a.rule_id.clone()).or_default() += 1;
        *per_typology
            .entry(a.typology.as_str().to_string())
            .or_default() += 1;
    }
    Manifest {
        tool: "amlscreen".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        started_at,
        finished_at: now_iso(),
        base_currency: base_currency.to_string(),
        rows_read: inputs.iter().map(|i| i.rows_read).sum(),
        rows_accepted: inputs.iter().map(|i| i.rows_accepted).sum(),
        rows_quarantined: inputs.iter().map(|i| i.rows_quarantined).sum(),
        inputs,
        rule_packs: rule_set
            .packs
            .iter()
            .map(|p| SourceDigest {
                path: p.path.display().to_string(),
                sha256: p.sha256.clone(),
                id: format!("{}@{}", p.id, p.version),
                entries: p.rules.len() as u64,
                warnings: vec![],
            })
            .collect(),
        watchlists,
        alerts_per_rule: per_rule.into_iter().collect(),
        alerts_per_typology: per_typology.into_iter().collect(),
        alerts_total: alerts.len() as u64,
        cases_total,
        stage_seconds,
        nightly: None,
        customers: None,
    }
}

/// Rule documentation for cases and the report, including the built-in sanctions rule.
pub fn rule_infos(rule_set: &RuleSet, threshold: f64) -> Vec<RuleInfo> {
    let mut infos: Vec<RuleInfo> = rule_set.rules().map(|r| r.info.clone()).collect();
    infos.push(crate::screening::sanctions_rule_info(threshold));
    infos
}

/// The cases' alerts in the run's output order ([`crate::rules::sort_alerts`]).
fn alerts_of_cases(cases: &[Case]) -> Vec<&Alert> {
    let mut alerts: Vec<&Alert> = cases.iter().flat_map(|c| c.alerts.iter()).collect();
    crate::rules::sort_alert_refs(&mut alerts);
    alerts
}

fn write_outputs(
    out: &Path,
    alerts: &[&Alert],
    cases: &[Case],
    rule_infos: &[RuleInfo],
    quarantine: Option<&[ingest::QuarantineRow]>,
    manifest: &Manifest,
) -> Result<(), RunError> {
    if quarantine.is_none() {
        // the quarantined rows are elsewhere (the cluster wrote them): an earlier run's file in
        // this folder is not this run's
        remove_stale(&out.join("quarantine.csv"))?;
    }
    // the files are independent: written in parallel, each atomically, and the first failure
    // in this order is the one reported
    type Writer<'a> = Box<dyn Fn(&Path) -> std::io::Result<()> + Sync + 'a>;
    let files: [(&str, Writer); 5] = [
        (
            "cases.jsonl",
            Box::new(|path| write_atomic_with(path, |w| crate::cases::write_cases_jsonl(w, cases))),
        ),
        (
            "alerts.csv",
            Box::new(|path| {
                write_atomic_with(path, |w| {
                    write_alerts_csv(w, alerts).map_err(std::io::Error::other)
                })
            }),
        ),
        (
            "alerts.parquet",
            Box::new(|path| {
                let bytes = crate::output::alerts_parquet(alerts).map_err(std::io::Error::other)?;
                write_atomic(path, &bytes)
            }),
        ),
        (
            "quarantine.csv",
            Box::new(|path| match quarantine {
                Some(rows) => write_atomic_with(path, |w| {
                    ingest::write_quarantine_csv(w, rows).map_err(std::io::Error::other)
                }),
                None => Ok(()),
            }),
        ),
        (
            "report.html",
            Box::new(|path| {
                write_atomic_with(path, |w| {
                    crate::report::write_html(w, manifest, cases, rule_infos)
                })
            }),
        ),
    ];
    let written: Vec<Result<(), RunError>> = files
        .par_iter()
        .map(|(name, write)| {
            let path = out.join(name);
            write(&path).map_err(|e| write_err(&path, e))
        })
        .collect();
    written.into_iter().collect()
}

/// `run --engine spark`: the transactions on the cluster, the rest here (see
/// `src/spark/run.rs`).
#[cfg(feature = "spark")]
fn run_on_spark(
    config: &RunConfig,
    target: &crate::engine::SparkTarget,
) -> Result<RunSummary, RunError> {
    crate::spark::run(config, target)
}

/// Without the `spark` feature a Spark engine cannot have been chosen on the command line; a
/// library caller that builds one is told how to get it.
#[cfg(not(feature = "spark"))]
fn run_on_spark(_: &RunConfig, _: &crate::engine::SparkTarget) -> Result<RunSummary, RunError> {
    Err(RunError::Other(
        crate::engine::EngineError::NotBuilt.to_string(),
    ))
}
