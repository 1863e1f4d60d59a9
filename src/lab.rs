//! The typology lab's commands: `generate`, `backtest` (with threshold sweeps) and `demo`.
//! The generator and scoring live in `synth`; this module connects them to ingest and rules.

use crate::ingest::{self, FxTable, IngestOptions};
use crate::model::Typology;
use crate::output::{write_atomic, write_atomic_with};
use crate::pipeline::{RunConfig, RunError};
use crate::rules::sweep::parse_axis;
use crate::rules::RuleSet;
use crate::synth::{self, GeneratorConfig, SweepResult, SyntheticData};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Output format of `generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Csv,
    Parquet,
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> RunError {
    RunError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// What the generator plants from the lists at `paths` (read once), at most `limit` of each:
/// the entries' primary names to plant sanctions variants from, and the listed individuals
/// with a birth date known to the day (an exact date of the list) to plant as customers, with
/// their first nationality; both in list order. Empty without lists.
pub fn watchlist_plants(
    paths: &[PathBuf],
    limit: usize,
) -> Result<(Vec<String>, Vec<synth::ListedPerson>), RunError> {
    if paths.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let set =
        crate::watchlist::load_watchlists(paths).map_err(|e| RunError::Other(e.to_string()))?;
    let names = set
        .entries()
        .iter()
        .map(|e| e.primary_name().to_string())
        .filter(|n| !n.is_empty())
        .take(limit)
        .collect();
    let people = set
        .entries()
        .iter()
        .filter(|e| e.is_individual() && !e.primary_name().is_empty())
        .filter_map(|e| {
            let date = e.birth_dates.iter().find_map(|b| match b {
                crate::watchlist::BirthDate::Exact(d) => Some((d.year(), d.month()?, d.day()?)),
                _ => None,
            })?;
            Some(synth::ListedPerson {
                list: e.list.clone(),
                entry_id: e.id.clone(),
                name: e.primary_name().to_string(),
                birth_date: format!("{:04}-{:02}-{:02}", date.0, date.1, date.2),
                nationality: e.nationalities.first().cloned().unwrap_or_default(),
            })
        })
        .take(limit)
        .collect();
    Ok((names, people))
}

/// Generates a data set and writes `transactions.csv` (or `.parquet`), `labels.csv`, `fx.csv`,
/// `lookalikes.csv` and `customers.csv` into `out`. Returns the data and the transactions file.
pub fn generate_to(
    config: &GeneratorConfig,
    format: DataFormat,
    out: &Path,
) -> Result<(SyntheticData, PathBuf), RunError> {
    let data = synth::generate(config).map_err(|e| RunError::Other(e.to_string()))?;
    std::fs::create_dir_all(out).map_err(|e| write_err(out, e))?;
    let transactions = match format {
        DataFormat::Csv => {
            let path = out.join("transactions.csv");
            write_atomic_with(&path, |w| {
                synth::write_transactions_csv(w, &data.transactions).map_err(std::io::Error::other)
            })
            .map_err(|e| write_err(&path, e))?;
            path
        }
        DataFormat::Parquet => {
            let path = out.join("transactions.parquet");
            let bytes = crate::output::transactions_parquet(&data.transactions)
                .map_err(|e| write_err(&path, e))?;
            write_atomic(&path, &bytes).map_err(|e| write_err(&path, e))?;
            path
        }
    };
    let path = out.join("labels.csv");
    write_atomic_with(&path, |w| {
        synth::write_labels_csv(w, &data.labels).map_err(std::io::Error::other)
    })
    .map_err(|e| write_err(&path, e))?;
    let path = out.join("fx.csv");
    write_atomic_with(&path, |w| {
        synth::write_fx_csv(w, &data.fx_rates).map_err(std::io::Error::other)
    })
    .map_err(|e| write_err(&path, e))?;
    let path = out.join("lookalikes.csv");
    write_atomic_with(&path, |w| synth::write_lookalikes_csv(w, &data.lookalikes))
        .map_err(|e| write_err(&path, e))?;
    let path = out.join("customers.csv");
    write_atomic_with(&path, |w| {
        synth::write_customers_csv(w, &data.customers, config.bad_rows > 0)
    })
    .map_err(|e| write_err(&path, e))?;
    Ok((data, transactions))
}

/// What [`generate_in_parts`] wrote.
#[derive(Debug, Clone, Default)]
pub struct GeneratedParts {
    /// Transaction rows in all parts (broken rows included).
    pub rows: usize,
    /// Planted instances in all parts.
    pub instances: usize,
    /// The folder of the parts' transaction files.
    pub transactions: PathBuf,
    /// The generator's notes, each after its part (`part 2: ...`).
    pub notes: Vec<String>,
}

/// Generates a data set in `parts` parts, one at a time, so that only one part is held in
/// memory: `transactions/part-001.csv` (or `.parquet`) and on in `out`, with one `labels.csv`,
/// `lookalikes.csv` and `customers.csv` for all parts and one `fx.csv`. An `out` that already
/// has a `transactions` folder is refused; the parts are written to a staging folder renamed
/// to `transactions` last, so a failed generation leaves none.
///
/// `config.accounts` are shared out among the parts (the first parts take one more when they do
/// not divide). Each part is a population of its own ([`GeneratorConfig::part`]): its own random
/// streams, account numbers, transaction, customer and instance ids; instances per typology
/// and broken rows are per part, and broken rows go to the first part only (the broken customer
/// rows to the end of `customers.csv`). Part 1's transactions are what [`generate_to`] gives
/// for its accounts.
pub fn generate_in_parts(
    config: &GeneratorConfig,
    parts: u32,
    format: DataFormat,
    out: &Path,
) -> Result<GeneratedParts, RunError> {
    let parts_usize = parts as usize;
    if parts == 0 || parts > synth::MAX_PART + 1 {
        return Err(RunError::Other(format!(
            "parts must be between 1 and {} (got {parts})",
            synth::MAX_PART + 1
        )));
    }
    if config.accounts / parts_usize < synth::MIN_ACCOUNTS {
        return Err(RunError::Other(format!(
            "each part needs at least {} accounts: {} accounts in {parts} parts give {}",
            synth::MIN_ACCOUNTS,
            config.accounts,
            config.accounts / parts_usize
        )));
    }
    // a set is written once: an earlier set's parts left in the folder would be read with it
    let folder = out.join("transactions");
    if folder.exists() {
        return Err(RunError::Other(format!(
            "{} exists (an earlier generation?): give an --out without a transactions folder",
            folder.display()
        )));
    }
    // the parts go to a staging folder, renamed to `transactions` once everything is written:
    // a generation that fails or is killed leaves no `transactions` folder to be read
    let staging = out.join(format!(".transactions.tmp-{}", std::process::id()));
    std::fs::create_dir_all(&staging).map_err(|e| write_err(&staging, e))?;
    let result = write_parts(config, parts, format, out, &staging);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
        return result;
    }
    std::fs::rename(&staging, &folder).map_err(|e| write_err(&folder, e))?;
    result.map(|done| GeneratedParts {
        transactions: folder,
        ..done
    })
}

/// A CSV file written a part at a time to a temporary name, renamed into place at the end.
struct Appended {
    path: PathBuf,
    temporary: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    first: bool,
}

impl Appended {
    fn create(path: PathBuf) -> Result<Self, RunError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let temporary = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let file = std::fs::File::create(&temporary).map_err(|e| write_err(&path, e))?;
        Ok(Self {
            path,
            temporary,
            out: std::io::BufWriter::new(file),
            first: true,
        })
    }

    /// Appends a part's CSV text (written with its header), without the header after the first.
    fn append(&mut self, text: &[u8]) -> Result<(), RunError> {
        use std::io::Write;
        let body = match (self.first, text.iter().position(|&b| b == b'\n')) {
            (false, Some(end)) => &text[end + 1..],
            _ => text,
        };
        self.first = false;
        self.out
            .write_all(body)
            .map_err(|e| write_err(&self.path, e))
    }

    fn finish(self) -> Result<(), RunError> {
        use std::io::Write;
        let Self {
            path,
            temporary,
            mut out,
            ..
        } = self;
        let done = out
            .flush()
            .and_then(|()| out.get_ref().sync_all())
            .and_then(|()| std::fs::rename(&temporary, &path));
        if done.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        done.map_err(|e| write_err(&path, e))
    }
}

/// [`generate_in_parts`]' parts into `staging`, and its other files into `out`.
fn write_parts(
    config: &GeneratorConfig,
    parts: u32,
    format: DataFormat,
    out: &Path,
    staging: &Path,
) -> Result<GeneratedParts, RunError> {
    let parts_usize = parts as usize;
    let mut done = GeneratedParts::default();
    let mut fx_rates = Vec::new();
    let mut labels = Appended::create(out.join("labels.csv"))?;
    let mut customers = Appended::create(out.join("customers.csv"))?;
    let mut lookalikes = Appended::create(out.join("lookalikes.csv"))?;
    for part in 0..parts {
        let accounts = config.accounts / parts_usize
            + usize::from((part as usize) < config.accounts % parts_usize);
        let part_config = GeneratorConfig {
            accounts,
            part,
            bad_rows: if part == 0 { config.bad_rows } else { 0 },
            ..config.clone()
        };
        let data = synth::generate(&part_config)
            .map_err(|e| RunError::Other(format!("part {}: {e}", part + 1)))?;
        let extension = match format {
            DataFormat::Csv => "csv",
            DataFormat::Parquet => "parquet",
        };
        let path = staging.join(format!("part-{:03}.{extension}", part + 1));
        match format {
            DataFormat::Csv => write_atomic_with(&path, |w| {
                synth::write_transactions_csv(w, &data.transactions).map_err(std::io::Error::other)
            }),
            DataFormat::Parquet => crate::output::transactions_parquet(&data.transactions)
                .map_err(std::io::Error::other)
                .and_then(|bytes| write_atomic(&path, &bytes)),
        }
        .map_err(|e| write_err(&path, e))?;
        let mut text = Vec::new();
        synth::write_labels_csv(&mut text, &data.labels).map_err(|e| write_err(&labels.path, e))?;
        labels.append(&text)?;
        let mut text = Vec::new();
        synth::write_customers_csv(&mut text, &data.customers, false)
            .map_err(|e| write_err(&customers.path, e))?;
        customers.append(&text)?;
        let mut text = Vec::new();
        synth::write_lookalikes_csv(&mut text, &data.lookalikes)
            .map_err(|e| write_err(&lookalikes.path, e))?;
        lookalikes.append(&text)?;
        done.rows += data.transactions.len() + data.transactions.raw_rows.len();
        done.instances += data.labels.len();
        done.notes.extend(
            data.notes
                .iter()
                .map(|note| format!("part {}: {note}", part + 1)),
        );
        fx_rates = data.fx_rates;
    }
    // the broken customer rows last: one of them leaves a quote open to the end
    if config.bad_rows > 0 {
        let mut text = Vec::new();
        synth::write_customers_csv(&mut text, &[], true)
            .map_err(|e| write_err(&customers.path, e))?;
        customers.append(&text)?;
    }
    labels.finish()?;
    customers.finish()?;
    lookalikes.finish()?;
    let path = out.join("fx.csv");
    write_atomic_with(&path, |w| {
        synth::write_fx_csv(w, &fx_rates).map_err(std::io::Error::other)
    })
    .map_err(|e| write_err(&path, e))?;
    Ok(done)
}

/// What `backtest` needs.
#[derive(Debug, Clone)]
pub struct BacktestConfig {
    pub inputs: Vec<PathBuf>,
    pub labels: PathBuf,
    pub rules: Vec<PathBuf>,
    pub fx: Option<PathBuf>,
    /// Sanctions lists; planted sanctions instances are only found with them.
    pub watchlists: Vec<PathBuf>,
    pub out: PathBuf,
    /// `rule.param=values`, all of one rule.
    pub sweeps: Vec<String>,
    /// Accounts in the population (for alerts per 1,000 accounts); counted from the data
    /// when absent.
    pub accounts: Option<u64>,
    /// A customer file: its segments reach the rules, and its ratings the case order.
    pub customers: Option<PathBuf>,
}

/// Reads a customer file for a lab command (CSV or Parquet in the canonical layout).
fn read_customer_file(
    path: Option<&Path>,
) -> Result<Option<crate::customers::Customers>, RunError> {
    path.map(|p| crate::customers::load_customers(p, None, b','))
        .transpose()
        .map_err(RunError::from)
}

/// The engine context of a customer file: its segments and declared volumes.
fn customer_context(
    customers: Option<&crate::customers::Customers>,
) -> crate::rules::EngineContext {
    customers.map_or_else(
        Default::default,
        crate::customers::Customers::engine_context,
    )
}

/// The result of a backtest: the terminal table, and where the files went.
pub struct BacktestOutcome {
    pub table: String,
    pub report: synth::BacktestReport,
    pub sweep: Option<SweepResult>,
}

/// Runs the packs over labelled data and scores them; with sweeps, evaluates the grid in one
/// pass. Writes `backtest.json`, `backtest.html` and, with sweeps, `sweep.csv` into `out`.
pub fn backtest(config: &BacktestConfig) -> Result<BacktestOutcome, RunError> {
    let rule_set = RuleSet::load(&config.rules)?;
    let base = rule_set.base_currency();
    let fx = match &config.fx {
        Some(p) => FxTable::load(p, &base)?,
        None => FxTable::base_only(&base),
    };
    let options = IngestOptions {
        profile: None,
        fx,
        delimiter: None,
    };
    let ingested = ingest::ingest(&config.inputs, &options, &mut Default::default())?;
    let labels =
        synth::read_labels_csv(&config.labels).map_err(|e| RunError::Other(e.to_string()))?;
    let accounts = match config.accounts {
        Some(n) => n,
        None => count_accounts(&ingested.frame)?,
    };
    let customers = read_customer_file(config.customers.as_deref())?;
    let context = customer_context(customers.as_ref());
    let rules: Vec<&crate::rules::Rule> = rule_set.rules().collect();
    let output = crate::rules::run_rules_in(&ingested.frame, &rules, &base, &context)?;
    let (mut alerts, mut evidence) = (output.alerts, output.evidence);
    let mut customer_hits = Vec::new();
    if !config.watchlists.is_empty() {
        let set = crate::watchlist::load_watchlists(&config.watchlists)
            .map_err(|e| RunError::Other(e.to_string()))?;
        let screener = crate::watchlist::Screener::new(&set);
        // the customers are screened as a run screens them: their hits alert, rate them and
        // clear the name-only hits their identity facts discount
        if let Some(c) = &customers {
            customer_hits = crate::customers::screen_customers(
                c,
                &screener,
                crate::customers::CUSTOMER_THRESHOLD,
            );
        }
        let clearing = customers.as_ref().map_or_else(Default::default, |c| {
            crate::screening::ClearedByCustomers::new(c, &customer_hits)
        });
        let screened = crate::screening::screen_frame_with(
            &ingested.frame,
            &screener,
            crate::watchlist::DEFAULT_THRESHOLD,
            &base,
            &clearing,
        )
        .map_err(|e| RunError::Other(format!("sanctions screening: {e}")))?;
        alerts.extend(screened.alerts);
        evidence.extend(crate::pipeline::shared(screened.evidence));
        if let Some(c) = &customers {
            let (hits, records) =
                crate::screening::customer_alerts(c, &customer_hits, &ingested.frame, &base)
                    .map_err(|e| RunError::Other(format!("customer screening: {e}")))?;
            alerts.extend(hits);
            evidence.extend(crate::pipeline::shared(records));
        }
    }
    let mut report = synth::score_backtest(&alerts, &labels, accounts);
    // the cases a run would write, in the report's order, scored as a ranking
    crate::rules::sort_alerts(&mut alerts);
    let mut rule_infos =
        crate::pipeline::rule_infos(&rule_set, crate::watchlist::DEFAULT_THRESHOLD);
    if customers.is_some() && !config.watchlists.is_empty() {
        rule_infos.push(crate::screening::customer_sanctions_rule_info(
            crate::customers::CUSTOMER_THRESHOLD,
        ));
    }
    let weights = match &customers {
        Some(c) => {
            let (activity, span_days, last_day) =
                crate::customers::risk::account_activity(&ingested.frame)
                    .map_err(|e| RunError::Other(format!("customer activity: {e}")))?;
            let lists = crate::customers::risk::CountryLists::from_packs(&rule_set);
            let ratings = crate::customers::risk::rate_customers(
                c,
                &crate::customers::risk::RatingInputs {
                    lists: &lists,
                    activity: &activity,
                    span_days,
                    last_day,
                    alerts: &alerts,
                    customer_hits: &crate::customers::risk::hits_by_customer(&customer_hits),
                },
            );
            crate::customers::risk::case_weights(&ratings)
        }
        None => Default::default(),
    };
    let cases = crate::cases::build_cases_with_customers(&alerts, &evidence, &rule_infos, &weights);
    report.ranking = Some(synth::score_ranking(&cases, &labels));
    let sweep = if config.sweeps.is_empty() {
        None
    } else {
        let axes = config
            .sweeps
            .iter()
            .map(|s| parse_axis(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(RunError::Other)?;
        let typology = rule_set.rule(&axes[0].rule_id).map(|r| r.plan.typology);
        let settings =
            crate::rules::sweep::run_sweep_in(&ingested.frame, &rule_set, &axes, &base, &context)?;
        Some(SweepResult {
            parameters: axes
                .iter()
                .map(|a| format!("{}.{}", a.rule_id, a.param))
                .collect(),
            points: settings
                .into_iter()
                .map(|s| {
                    let setting = s
                        .setting
                        .into_iter()
                        .map(|(p, v)| (format!("{}.{p}", axes[0].rule_id), v))
                        .collect();
                    synth::sweep_point(setting, &s.alerts, &labels, typology)
                })
                .collect(),
        })
    };
    std::fs::create_dir_all(&config.out).map_err(|e| write_err(&config.out, e))?;
    let path = config.out.join("backtest.json");
    let json = serde_json::to_vec_pretty(&report).map_err(|e| write_err(&path, e))?;
    write_atomic(&path, &json).map_err(|e| write_err(&path, e))?;
    let path = config.out.join("backtest.html");
    write_atomic(
        &path,
        synth::render_html(&report, sweep.as_ref()).as_bytes(),
    )
    .map_err(|e| write_err(&path, e))?;
    if let Some(s) = &sweep {
        let path = config.out.join("sweep.csv");
        write_atomic_with(&path, |w| {
            synth::write_sweep_csv(w, s).map_err(std::io::Error::other)
        })
        .map_err(|e| write_err(&path, e))?;
    }
    Ok(BacktestOutcome {
        table: synth::render_table(&report),
        report,
        sweep,
    })
}

/// What `rules diff` compares: two pack sets over the same history.
#[derive(Debug, Clone)]
pub struct DiffConfig {
    pub old: Vec<PathBuf>,
    pub new: Vec<PathBuf>,
    pub inputs: Vec<PathBuf>,
    pub fx: Option<PathBuf>,
    /// Planted or confirmed labels (`labels.csv`, as `backtest` reads).
    pub labels: Option<PathBuf>,
    /// Gained and lost alerts listed per rule.
    pub examples: usize,
    /// A customer file: its segments reach both sides' rules.
    pub customers: Option<PathBuf>,
}

/// `rules diff OLD NEW --input ...`: both pack sets over the same history, compared rule by
/// rule (see [`crate::rules::diff`]); with labels, recall and clean-subject alerts of each.
pub fn rules_diff(config: &DiffConfig) -> Result<crate::rules::diff::PackDiff, RunError> {
    use crate::rules::diff;
    let old = RuleSet::load(&config.old)?;
    let new = RuleSet::load(&config.new)?;
    let base = old.base_currency();
    if new.base_currency() != base {
        return Err(RunError::Other(format!(
            "the old packs' base currency is {base} and the new ones' {}: their thresholds cannot be compared on one history",
            new.base_currency()
        )));
    }
    let fx = match &config.fx {
        Some(p) => FxTable::load(p, &base)?,
        None => FxTable::base_only(&base),
    };
    let options = IngestOptions {
        profile: None,
        fx,
        delimiter: None,
    };
    let ingested = ingest::ingest(&config.inputs, &options, &mut Default::default())?;
    let enabled = |set: &RuleSet| -> Vec<String> {
        set.rules()
            .filter(|r| r.enabled)
            .map(|r| r.plan.rule_id.clone())
            .collect()
    };
    let customers = read_customer_file(config.customers.as_deref())?;
    let context = customer_context(customers.as_ref());
    let alerts_of = |set: &RuleSet| -> Result<Vec<crate::model::Alert>, RunError> {
        let rules: Vec<&crate::rules::Rule> = set.rules().collect();
        Ok(crate::rules::run_rules_in(&ingested.frame, &rules, &base, &context)?.alerts)
    };
    let (old_alerts, new_alerts) = (alerts_of(&old)?, alerts_of(&new)?);
    let rules = diff::diff_alerts(
        &enabled(&old),
        &enabled(&new),
        &old_alerts,
        &new_alerts,
        config.examples,
    );
    Ok(match &config.labels {
        None => diff::without_scores(rules),
        Some(path) => {
            let labels =
                synth::read_labels_csv(path).map_err(|e| RunError::Other(e.to_string()))?;
            let accounts = count_accounts(&ingested.frame)?;
            diff::with_scores(
                rules,
                &synth::score_backtest(&old_alerts, &labels, accounts),
                &synth::score_backtest(&new_alerts, &labels, accounts),
            )
        }
    })
}

fn count_accounts(frame: &polars::prelude::DataFrame) -> Result<u64, RunError> {
    let err = |e: polars::prelude::PolarsError| RunError::Other(e.to_string());
    let mut accounts: HashSet<&str> = HashSet::new();
    for column in ["orig_account", "bene_account"] {
        let ca = frame.column(column).and_then(|c| c.str()).map_err(err)?;
        accounts.extend(ca.iter().flatten().filter(|a| !a.is_empty()));
    }
    Ok(accounts.len() as u64)
}

/// `demo TYPOLOGY`: a small data set with one planted instance among normal activity, run
/// through the whole pipeline, plus a narrated walk-through. Returns the walk-through.
pub fn demo(typology: Typology, out: &Path, rules: &[PathBuf]) -> Result<String, RunError> {
    let config = synth::demo_config(typology);
    let data_dir = out.join("data");
    let (data, transactions) = generate_to(&config, DataFormat::Csv, &data_dir)?;
    let mut watchlists = Vec::new();
    if typology == Typology::Sanctions {
        let path = data_dir.join("watchlist.csv");
        let mut text = String::from("name,id,list,type\n");
        for (i, name) in synth::SAMPLE_WATCHLIST_NAMES.iter().enumerate() {
            text.push_str(&format!(
                "\"{}\",DEMO-{},demo-list,individual\n",
                name.replace('"', "\"\""),
                i + 1
            ));
        }
        write_atomic(&path, text.as_bytes()).map_err(|e| write_err(&path, e))?;
        watchlists.push(path);
    }
    let run = RunConfig {
        inputs: vec![transactions],
        rules: rules.to_vec(),
        watchlists,
        fx: Some(data_dir.join("fx.csv")),
        out_dir: out.join("report"),

        ..Default::default()
    };
    let summary = crate::pipeline::run(&run)?;
    let mut walkthrough = synth::demo_walkthrough(typology, &data);
    let caught: Vec<String> = summary
        .manifest
        .alerts_per_typology
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| format!("{t} ({n})"))
        .collect();
    walkthrough.push_str(&format!(
        "\nWhat amlscreen found\n--------------------\n{} alerts in {} cases; alerts by typology: {}.\nOpen {} to see the case, its timeline and the rule that caught it.\n",
        summary.manifest.alerts_total,
        summary.manifest.cases_total,
        if caught.is_empty() { "none".to_string() } else { caught.join(", ") },
        out.join("report/report.html").display()
    ));
    let path = out.join("walkthrough.txt");
    write_atomic(&path, walkthrough.as_bytes()).map_err(|e| write_err(&path, e))?;
    Ok(walkthrough)
}
