//! `amlscreen run --engine spark`: a whole run with the transactions on the cluster.
//!
//! Every step that reads the transactions asks the cluster for its small result; the rest of
//! the run is the Polars engine's own code ([`crate::pipeline::finish`]):
//!
//! - the rules: hits on the cluster, alerts built here ([`Spark::run_rules_in`]), with a
//!   customer file's segments over the derived ones as the Polars engine takes them;
//! - transaction screening: the distinct non-empty party names come back, are screened here by
//!   the same matcher ([`crate::screening::screen_names`]), the names with hits go back (as
//!   Arrow in local relations) and the rows naming them come back; the alerts are built by
//!   [`crate::screening::sanctions_alerts`];
//! - customer screening: the customer file is screened here as today; the accounts of the
//!   customers with hits go to the cluster and their transactions come back, with the run's
//!   first and last times, for [`crate::screening::customer_alerts_in`];
//! - the customer rating: each account's money in, cash in, money in and out and money
//!   crossing a border, summed on the cluster in exact decimals, and the run's span
//!   ([`crate::customers::risk::account_activity`]'s figures);
//! - cases, ratings, `report.html`, `alerts.csv`/`.parquet`, the customer files and the
//!   manifest: built here, unchanged. The quarantined rows stay on the cluster (written under
//!   `--spark-out`); no `quarantine.csv` is written.

use super::ingest::ACCEPTED_VIEW;
use super::sql::ident;
use super::{Spark, SparkEngineError, SparkIngestOptions};
use crate::customers::risk::AccountActivity;
use crate::engine::SparkTarget;
use crate::pipeline::{Finished, RunConfig, RunError, RunSummary, Screened, Stages};
use crate::rules::segments::Segments;
use crate::rules::RuleSet;
use crate::watchlist::{Hit, Screener};
use polars::prelude::*;
use spark_connect::row::{Row, Value};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// `amlscreen run --engine spark`: every rule kind runs on the cluster; a nightly state is
/// refused.
pub fn run(config: &RunConfig, target: &SparkTarget) -> Result<RunSummary, RunError> {
    let started_at = crate::pipeline::now_iso();
    let mut stages = Stages::new(config.progress);
    stages.begin("loading rule packs");
    let rule_set = RuleSet::load(&config.rules)?;
    if config.state.is_some() {
        return Err(RunError::Other(
            crate::engine::EngineError::StateWithSpark.to_string(),
        ));
    }
    if config.dispositions.is_some() {
        return Err(RunError::Other(
            "--dispositions needs --state: dispositions are folded into the nightly state".into(),
        ));
    }
    let base_currency = crate::pipeline::base_currency_of(config, &rule_set)?;
    let options = crate::pipeline::ingest_options(config, &base_currency)?;
    let customers = crate::pipeline::load_customer_file(config)?;
    stages.end("load");

    let threshold = config
        .sanctions_threshold
        .unwrap_or(crate::watchlist::DEFAULT_THRESHOLD);
    let (ingested, output, screened, activity) = std::thread::scope(|scope| {
        // the watchlists are loaded and indexed here while the cluster reads the transactions
        let lists = (!config.watchlists.is_empty())
            .then(|| scope.spawn(|| crate::pipeline::load_screener(&config.watchlists)));
        stages.begin("reading transactions");
        let ingested = Spark::connect(target).and_then(|spark| {
            let ingested = spark.ingest(
                &config.inputs,
                &SparkIngestOptions {
                    options: &options,
                    latest_micros: super::latest_accepted_micros(),
                },
            )?;
            Ok((spark, ingested))
        });
        stages.end("ingest");
        // an ingest error is reported first, and never replaced by the loading thread's
        let lists = lists.map(|handle| handle.join());
        let (spark, ingested) = ingested?;
        let lists = lists.map(crate::pipeline::result_of_thread).transpose()?;
        tracing::info!(
            rows_read = ingested.inputs.iter().map(|i| i.rows_read).sum::<u64>(),
            rows_accepted = ingested.rows_accepted(),
            "ingest on Spark done"
        );

        stages.begin(match lists {
            Some(_) => "running rules and screening names",
            None => "running rules",
        });
        // the distinct names come back first; they are screened here while the cluster runs
        // the rules
        let names = match lists {
            Some(_) => Some(spark.distinct_names()?),
            None => None,
        };
        let screening = lists
            .zip(names)
            .map(|((sources, screener, load_seconds), names)| {
                let customers = customers.as_ref();
                scope.spawn(move || {
                    let clock = Instant::now();
                    let screened = screen_here(config, customers, &screener, &names, threshold);
                    (
                        sources,
                        load_seconds,
                        screened,
                        clock.elapsed().as_secs_f64(),
                    )
                })
            });
        let rules: Vec<&crate::rules::Rule> = rule_set.rules().collect();
        let context = customers
            .as_ref()
            .map(|c| c.engine_context())
            .unwrap_or_default();
        let output = spark.run_rules_in(&rules, &base_currency, &context);
        let span = spark.run_span();
        let activity = customers.as_ref().map(|_| spark.account_activity());
        let screening = screening.map(|handle| handle.join());
        // a rules error is reported before a screening one
        let output = output?;
        let span = span?;
        let activity = activity.transpose()?.map(|by_account| {
            let day = |t: i64| t.div_euclid(crate::rules::plan::DAY);
            let (span_days, last_day) = match span {
                Some((a, b)) => (day(b) - day(a) + 1, day(b)),
                None => (1, 0),
            };
            (by_account, span_days.max(1), last_day)
        });
        let screened = match screening {
            Some(joined) => {
                let (sources, load_seconds, local, local_seconds) =
                    joined.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                let (hits, customer_hits) = local?;
                // the seconds of screening here and of its queries, not of waiting for the rules
                let clock = Instant::now();
                let screened = spark.sanctions(
                    customers.as_ref(),
                    &hits,
                    customer_hits,
                    span,
                    &base_currency,
                )?;
                Some(Screened {
                    sources,
                    load_seconds,
                    seconds: local_seconds + clock.elapsed().as_secs_f64(),
                    ..screened
                })
            }
            None => None,
        };
        stages.end(match screened {
            Some(_) => "rules_and_sanctions",
            None => "rules",
        });
        Ok::<_, RunError>((ingested, output, screened, activity))
    })?;
    let (alerts, evidence) = output;
    crate::pipeline::finish(
        config,
        Finished {
            started_at,
            stages,
            rule_set: &rule_set,
            base_currency: &base_currency,
            inputs: ingested.inputs,
            quarantine: None,
            alerts,
            evidence,
            screened,
            customers: customers.as_ref(),
            activity,
            nightly: None,
        },
    )
}

/// What is screened here: each distinct name's hits (by name as written) and the customers'
/// hits, as [`crate::pipeline::run`] screens them.
type LocalScreening = (
    BTreeMap<String, Vec<Hit>>,
    Vec<crate::customers::CustomerHit>,
);

/// Screens the customer file (at the customers' own default threshold unless the run sets
/// one) and the distinct party names.
fn screen_here(
    config: &RunConfig,
    customers: Option<&crate::customers::Customers>,
    screener: &Screener,
    names: &[String],
    threshold: f64,
) -> Result<LocalScreening, RunError> {
    let customer_threshold = config
        .sanctions_threshold
        .unwrap_or(crate::customers::CUSTOMER_THRESHOLD);
    let customer_hits = customers
        .map(|c| crate::customers::screen_customers(c, screener, customer_threshold))
        .unwrap_or_default();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let results = crate::screening::screen_names(screener, &refs, threshold);
    let hits = names
        .iter()
        .zip(results)
        .filter(|(_, h)| !h.is_empty())
        .map(|(n, h)| (n.clone(), h))
        .collect();
    Ok((hits, customer_hits))
}

impl Spark {
    /// The accepted rows' distinct non-empty originator and beneficiary names, sorted as the
    /// Polars engine sorts them (bytes).
    pub fn distinct_names(&self) -> Result<Vec<String>, SparkEngineError> {
        let what = "reading the distinct party names";
        let accepted = ident(ACCEPTED_VIEW);
        let frame = self.query(
            what,
            &format!(
                "SELECT DISTINCT name FROM (SELECT orig_name AS name FROM {accepted} \
                 UNION ALL SELECT bene_name AS name FROM {accepted}) WHERE name <> ''"
            ),
        )?;
        let mut names = strings(&frame, "name").map_err(|e| self.bad_result(what, e))?;
        names.sort_unstable();
        Ok(names)
    }

    /// The first and last accepted transaction times (µs), `None` without rows.
    pub fn run_span(&self) -> Result<Option<(i64, i64)>, SparkEngineError> {
        let what = "reading the run's first and last times";
        let frame = self.query(
            what,
            &format!(
                "SELECT unix_micros(CAST(min(ts) AS TIMESTAMP)) AS first, \
                 unix_micros(CAST(max(ts) AS TIMESTAMP)) AS last FROM {}",
                ident(ACCEPTED_VIEW)
            ),
        )?;
        let get = |name: &str| -> Result<Option<i64>, SparkEngineError> {
            let column = frame
                .column(name)
                .and_then(|c| c.cast(&DataType::Int64))
                .map_err(|e| self.bad_result(what, e.to_string()))?;
            let ints = column
                .i64()
                .map_err(|e| self.bad_result(what, e.to_string()))?;
            Ok(ints.get(0))
        };
        Ok(get("first")?.zip(get("last")?))
    }

    /// Each account's money in, cash in (received in cash), money in and out, and money
    /// crossing a border (both countries known and different), in base-currency micros summed
    /// as exact decimals on the cluster: the figures of
    /// [`crate::customers::risk::account_activity`], one row per account.
    pub fn account_activity(&self) -> Result<BTreeMap<String, AccountActivity>, SparkEngineError> {
        let what = "summing the accounts' activity";
        let accepted = ident(ACCEPTED_VIEW);
        let amount = "CAST(base_amount AS DECIMAL(38, 0))";
        let zero = "CAST(0 AS DECIMAL(38, 0))";
        let cross = format!(
            "CASE WHEN orig_country <> '' AND bene_country <> '' AND orig_country <> bene_country \
             THEN {amount} ELSE {zero} END"
        );
        let frame = self.query(
            what,
            &format!(
                "SELECT account, CAST(sum(money_in) AS STRING) AS money_in, \
                   CAST(sum(cash_in) AS STRING) AS cash_in, CAST(sum(total) AS STRING) AS total, \
                   CAST(sum(cross_border) AS STRING) AS cross_border \
                 FROM (SELECT bene_account AS account, {amount} AS money_in, \
                         CASE WHEN channel = 'CASH' THEN {amount} ELSE {zero} END AS cash_in, \
                         {amount} AS total, {cross} AS cross_border \
                       FROM {accepted} WHERE bene_account <> '' \
                       UNION ALL \
                       SELECT orig_account AS account, {zero}, {zero}, {amount}, {cross} \
                       FROM {accepted} WHERE orig_account <> '') \
                 GROUP BY account"
            ),
        )?;
        let column = |name: &str| strings(&frame, name).map_err(|e| self.bad_result(what, e));
        let number = |name: &str| -> Result<Vec<i128>, SparkEngineError> {
            column(name)?
                .iter()
                .map(|v| {
                    v.parse::<i128>().map_err(|e| {
                        self.bad_result(what, format!("{name} `{v}` is not a whole number: {e}"))
                    })
                })
                .collect()
        };
        let accounts = column("account")?;
        let (money_in, cash_in, total, cross_border) = (
            number("money_in")?,
            number("cash_in")?,
            number("total")?,
            number("cross_border")?,
        );
        Ok(accounts
            .into_iter()
            .enumerate()
            .map(|(i, account)| {
                (
                    account,
                    AccountActivity {
                        money_in: money_in[i],
                        cash_in: cash_in[i],
                        total: total[i],
                        cross_border: cross_border[i],
                    },
                )
            })
            .collect())
    }

    /// The sanctions alerts of a run from what was screened here: the rows naming a party with
    /// hits, and the rows to or from an account of a customer with hits, come back from the
    /// cluster; the alerts are built by the Polars engine's code.
    fn sanctions(
        &self,
        customers: Option<&crate::customers::Customers>,
        hits: &BTreeMap<String, Vec<Hit>>,
        customer_hits: Vec<crate::customers::CustomerHit>,
        span: Option<(i64, i64)>,
        base_currency: &str,
    ) -> Result<Screened, SparkEngineError> {
        let what = "building the sanctions alerts";
        let clearing = customers.map_or_else(Default::default, |c| {
            crate::screening::ClearedByCustomers::new(c, &customer_hits)
        });
        let listed: Vec<&str> = hits.keys().map(String::as_str).collect();
        let frame = self.rows_with_values("the rows naming a listed party", "name", &listed)?;
        let by_name: HashMap<&str, &Vec<Hit>> = hits.iter().map(|(n, h)| (n.as_str(), h)).collect();
        let screened =
            crate::screening::sanctions_alerts(&frame, &by_name, base_currency, &clearing)
                .map_err(|e| self.bad_result(what, e.to_string()))?;
        let (customer_alerts, customer_records) = match customers {
            Some(c) if !customer_hits.is_empty() => {
                let accounts = crate::screening::customer_hit_accounts(c, &customer_hits);
                let accounts: Vec<&str> = accounts.iter().map(String::as_str).collect();
                let frame = self.rows_with_values(
                    "the transactions of the customers with hits",
                    "account",
                    &accounts,
                )?;
                crate::screening::customer_alerts_in(c, &customer_hits, &frame, span, base_currency)
                    .map_err(|e| self.bad_result(what, e.to_string()))?
            }
            _ => Default::default(),
        };
        Ok(Screened {
            sources: Vec::new(),
            hits: screened.alerts,
            records: screened.evidence,
            cleared: screened.cleared.len() as u64,
            customer_hits,
            customer_alerts,
            customer_records,
            load_seconds: 0.0,
            seconds: 0.0,
        })
    }

    /// The accepted rows (canonical columns) whose originator or beneficiary `field` (`name`
    /// or `account`) is one of `values`: the values go to the cluster as a table, the rows come
    /// back, in no particular order.
    fn rows_with_values(
        &self,
        what: &str,
        field: &str,
        values: &[&str],
    ) -> Result<DataFrame, SparkEngineError> {
        if values.is_empty() {
            return Ok(crate::ingest::empty_frame());
        }
        let view = format!("aml_wanted_{field}");
        self.upload(what, &view, &["value"], |row| {
            values.get(row).map(|v| vec![Value::String(v.to_string())])
        })?;
        let columns: Vec<String> = crate::ingest::empty_frame()
            .get_column_names()
            .iter()
            .map(|c| format!("a.{}", ident(c)))
            .collect();
        // the values are distinct: each row is found at most once per side
        self.query(
            what,
            &format!(
                "SELECT {} FROM {} a \
                 LEFT JOIN {view} o ON a.{orig} = o.value \
                 LEFT JOIN {view} b ON a.{bene} = b.value \
                 WHERE o.value IS NOT NULL OR b.value IS NOT NULL",
                columns.join(", "),
                ident(ACCEPTED_VIEW),
                view = ident(&view),
                orig = ident(&format!("orig_{field}")),
                bene = ident(&format!("bene_{field}")),
            ),
        )
    }

    /// Sends a table of text columns to the cluster as the temporary view `view`; `row` gives
    /// row `i`'s values until it gives `None`. The rows go in pieces of [`UPLOAD_ROWS`], so that
    /// only one piece's rows are made here at a time, joined on the cluster by `UNION ALL`; a
    /// piece larger than half the server's message size limit goes up as a cached artifact
    /// ([`Spark::text_view`]).
    fn upload(
        &self,
        what: &str,
        view: &str,
        columns: &[&str],
        row: impl Fn(usize) -> Option<Vec<Value>>,
    ) -> Result<(), SparkEngineError> {
        let names: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        // plain names (the client's DDL parser keeps quotes as part of a name)
        let ddl: Vec<String> = columns.iter().map(|c| format!("{c} STRING")).collect();
        let schema =
            spark_connect::DataType::from_ddl(&ddl.join(", ")).map_err(|e| self.err(what, e))?;
        let mut pieces = Vec::new();
        let mut next = 0;
        loop {
            let rows: Vec<Row> = (next..next + UPLOAD_ROWS)
                .map_while(&row)
                .map(|values| Row::new(names.clone(), values))
                .collect();
            let last = rows.len() < UPLOAD_ROWS;
            if rows.is_empty() && !pieces.is_empty() {
                break;
            }
            next += rows.len();
            let piece = format!("{view}_{}", pieces.len());
            self.local_view(what, &piece, &rows, &schema)?;
            pieces.push(format!("SELECT * FROM {}", ident(&piece)));
            if last {
                break;
            }
        }
        self.execute(
            what,
            &format!(
                "CREATE OR REPLACE TEMPORARY VIEW {} AS {}",
                ident(view),
                pieces.join(" UNION ALL ")
            ),
        )
    }
}

/// Rows per piece of a table sent to the cluster ([`Spark::upload`]).
pub const UPLOAD_ROWS: usize = 50_000;

/// The segments view's query with `given` (a customer file's segments, sent to the cluster as
/// a table) over the `derived` ones: an account the file gives keeps the file's segment and
/// basis, as [`Segments::over`] decides.
pub(super) fn given_over_derived(
    spark: &Spark,
    given: &Segments,
    derived: &str,
) -> Result<String, SparkEngineError> {
    let view = "aml_given_segments";
    let rows: Vec<(&str, &crate::rules::segments::AccountSegment)> = given.iter().collect();
    spark.upload(
        "sending the customer file's segments",
        view,
        &["account", "segment", "basis"],
        |i| {
            rows.get(i).map(|(account, s)| {
                vec![
                    Value::String(account.to_string()),
                    Value::String(s.segment.clone()),
                    Value::String(s.basis.clone()),
                ]
            })
        },
    )?;
    Ok(format!(
        "SELECT account, segment, basis FROM {view} \
         UNION ALL SELECT d.account, d.segment, d.basis FROM ({derived}) AS d \
         LEFT ANTI JOIN {view} AS g ON d.account = g.account"
    ))
}

/// A text column's values; a null is an error.
fn strings(frame: &DataFrame, name: &str) -> Result<Vec<String>, String> {
    let column = frame
        .column(name)
        .and_then(|c| c.cast(&DataType::String))
        .map_err(|e| e.to_string())?;
    let text = column.str().map_err(|e| e.to_string())?;
    text.iter()
        .map(|v| {
            v.map(str::to_string)
                .ok_or_else(|| format!("{name} is null"))
        })
        .collect()
}
