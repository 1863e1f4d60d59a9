//! Command-line interface: clap subcommands, turned into validated configurations for the
//! library. Errors here are `anyhow`; the exit code is 2 for any error.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit code for a successful run.
pub const EXIT_OK: i32 = 0;
/// Exit code for any error.
pub const EXIT_ERROR: i32 = 2;
/// Exit code of `run --fail-on-alerts` when the run reported at least one alert.
pub const EXIT_ALERTS: i32 = 3;

/// How log events are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (and progress spinners on a terminal).
    Text,
    /// One JSON object per event, for schedulers and log collectors.
    Json,
}

/// amlscreen: anti-money-laundering transaction screening.
#[derive(Debug, Parser)]
#[command(name = "amlscreen", version, about, long_about = None)]
pub struct Cli {
    /// Log format on standard error.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Screen transaction files: ingest, rules, sanctions, cases and reports.
    Run(RunArgs),
    /// Show what a run would see, without running rules: schema, counts, dates, quarantine.
    Inspect(InspectArgs),
    /// Validate, test, list and explain rule packs.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Export confirmed cases for filing.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Screen a list of names against sanctions lists (ad-hoc checks, matcher testing).
    ScreenNames(ScreenNamesArgs),
    /// Re-screen the whole customer base against what changed between two versions of the
    /// lists: new hits, and hits that went away (delistings).
    Rescreen(RescreenArgs),
    /// Measure the name matcher: precision and recall over thresholds on an evaluation set
    /// built from the lists (variants and hard non-matches).
    ScreenEval(ScreenEvalArgs),
    /// Generate labelled synthetic transactions with planted typologies.
    Generate(GenerateArgs),
    /// Run the packs over labelled data and score them; sweep thresholds in one pass.
    Backtest(BacktestArgs),
    /// For trainers: a small data set with one planted typology, run and narrated.
    Demo(DemoArgs),
    /// Analysts' dispositions kept in a nightly state.
    #[command(subcommand)]
    Dispositions(DispositionsCommand),
    /// Tools for benchmarks and diagnosis.
    #[command(subcommand, hide = true)]
    Debug(DebugCommand),
}

/// `amlscreen dispositions ...`.
#[derive(Debug, Subcommand)]
pub enum DispositionsCommand {
    /// Write the true positives folded into a state as `labels.csv`, which `backtest` and
    /// `rules diff --labels` read.
    Labels {
        /// The nightly state folder.
        #[arg(long)]
        state: PathBuf,
        /// The labels file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `amlscreen debug ...` (hidden).
#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// The benchmark floor: read a file with Polars and compute nothing.
    ReadFloor {
        /// A transaction file.
        file: PathBuf,
        /// Read the file as `run` does instead: CSV columns all as text, not inferred, and
        /// Parquet row groups decoded with the run's parallel strategy.
        #[arg(long)]
        as_text: bool,
    },
}

/// `amlscreen screen-names`.
#[derive(Debug, Args)]
pub struct ScreenNamesArgs {
    /// CSV with a `name` column and optionally `birth_date` (YYYY, YYYY-MM, YYYY-MM-DD),
    /// `nationality` (ISO code or English name) and `id_numbers` (`;`-separated); or one name
    /// per line.
    pub names_file: PathBuf,
    /// Sanctions lists: files or folders.
    #[arg(long = "watchlist", required = true)]
    pub watchlists: Vec<PathBuf>,
    /// Report hits at or above this score (0..1).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// At most this many hits per name, best first (at least 1; no upper limit).
    #[arg(long, default_value_t = 5, value_parser = parse_top)]
    pub top: usize,
    /// Output CSV (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `amlscreen rescreen`.
#[derive(Debug, Args)]
pub struct RescreenArgs {
    /// The customer file (CSV or Parquet, the customer columns of `run --customers`).
    #[arg(long)]
    pub customers: PathBuf,
    /// A mapping profile for the customer file's layout.
    #[arg(long)]
    pub customers_profile: Option<PathBuf>,
    /// The lists as they are now: files or folders.
    #[arg(long = "watchlist", required = true)]
    pub watchlists: Vec<PathBuf>,
    /// The lists as they were at the last screening: files or folders.
    #[arg(long = "previous", required = true)]
    pub previous: Vec<PathBuf>,
    /// Report hits at or above this score (0..1; default 0.80, the customers' default).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// At most this many hits per customer and side, best first.
    #[arg(long, default_value_t = 5, value_parser = parse_top)]
    pub top: usize,
    /// Output folder for rescreen_new_hits.csv, rescreen_gone_hits.csv and rescreen.json.
    #[arg(long, default_value = "rescreen")]
    pub out: PathBuf,
    /// Screen against both whole versions instead of what changed (slower; also reports hits
    /// on unchanged entries whose words' rarity the change moved).
    #[arg(long, conflicts_with = "index")]
    pub full: bool,
    /// Keep the customers' prepared names in DIR/customers.idx between runs and screen only
    /// the customers the changed entries can match (built on the first run, rebuilt when the
    /// customer file, its profile or the normaliser changed, or the file is damaged).
    #[arg(long, value_name = "DIR")]
    pub index: Option<PathBuf>,
}

/// `amlscreen rescreen`: with `--index`, the customers come from the index (built or rebuilt
/// first when missing, stale or damaged) and only those the changed entries can reach are
/// screened; without, every customer is read and screened.
fn rescreen_command(args: RescreenArgs, out: &mut dyn Write) -> Result<i32> {
    use amlscreen::customers::index::{
        build_index, normalizer_fingerprint, CustomerIndex, IndexSource, INDEX_FILE_NAME,
    };
    use amlscreen::customers::rescreen::{rescreen, rescreen_indexed, write_rescreen_csv};
    use std::time::Instant;
    let threshold = args
        .threshold
        .unwrap_or(amlscreen::customers::CUSTOMER_THRESHOLD);
    if !(0.0..=1.0).contains(&threshold) {
        bail!("--threshold must be between 0 and 1, got {threshold}");
    }
    check_out_folder(&args.out)?;
    let started = Instant::now();
    let profile = args
        .customers_profile
        .as_deref()
        .map(|p| {
            amlscreen::ingest::MappingProfile::load_for(p, &amlscreen::customers::CUSTOMER_COLUMNS)
        })
        .transpose()?;
    let delimiter = profile
        .as_ref()
        .and_then(|p| p.delimiter)
        .map_or(b',', |c| c as u8);
    let load_customers =
        || amlscreen::customers::load_customers(&args.customers, profile.as_ref(), delimiter);
    let load_lists = || {
        let clock = Instant::now();
        let (current, previous) = rayon::join(
            || amlscreen::watchlist::load_watchlists(&args.watchlists),
            || amlscreen::watchlist::load_watchlists(&args.previous),
        );
        (current, previous, clock.elapsed().as_secs_f64())
    };
    let mut seconds = serde_json::Map::new();
    let (
        result,
        customers,
        quarantined,
        index_summary,
        current,
        previous,
        load_seconds,
        screen_seconds,
    ) = match &args.index {
        None => {
            let (customers, (current, previous, lists_seconds)) =
                rayon::join(load_customers, load_lists);
            let (customers, current, previous) = (customers?, current?, previous?);
            seconds.insert("lists".into(), lists_seconds.into());
            let load_seconds = started.elapsed().as_secs_f64();
            let clock = Instant::now();
            let result = rescreen(
                &customers, &previous, &current, threshold, args.top, args.full,
            );
            (
                result,
                customers.list.len(),
                customers.quarantine.len(),
                serde_json::Value::Null,
                current,
                previous,
                load_seconds,
                clock.elapsed().as_secs_f64(),
            )
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("--index {}: cannot create", dir.display()))?;
            let path = dir.join(INDEX_FILE_NAME);
            let profile_sha256 = args
                .customers_profile
                .as_deref()
                .map(|p| {
                    amlscreen::ingest::sha256_file(p)
                        .with_context(|| format!("{}: cannot read", p.display()))
                })
                .transpose()?;
            // the index, and the customer file's size and digest (unless the index says the
            // file of this size and modification time was hashed already), while the lists load
            let (
                (source, existing, hash_seconds, read_seconds),
                (current, previous, lists_seconds),
            ) = rayon::join(
                || {
                    let clock = Instant::now();
                    let existing = path.exists().then(|| CustomerIndex::read(&path));
                    let read_seconds = clock.elapsed().as_secs_f64();
                    let clock = Instant::now();
                    let source = (|| -> Result<IndexSource> {
                        let meta = std::fs::metadata(&args.customers)?;
                        let bytes = meta.len();
                        let modified_ns = meta
                            .modified()
                            .ok()
                            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                            .and_then(|d| u64::try_from(d.as_nanos()).ok())
                            .unwrap_or(0);
                        let known = match &existing {
                            Some(Ok(index)) => {
                                let was = &index.header().source;
                                was.unchanged_file(bytes, modified_ns)
                                    .then(|| was.customers_sha256.clone())
                            }
                            _ => None,
                        };
                        let customers_sha256 = match known {
                            Some(sha) => sha,
                            None => amlscreen::ingest::sha256_file(&args.customers)?,
                        };
                        // a file modified in the last 2 seconds may be modified again
                        // within the file system's clock tick, keeping its time: such a time
                        // is not recorded, so the file is hashed again next time (git's "racy"
                        // rule)
                        let now_ns = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .ok()
                            .and_then(|d| u64::try_from(d.as_nanos()).ok())
                            .unwrap_or(0);
                        let settled =
                            modified_ns != 0 && now_ns.saturating_sub(modified_ns) >= 2_000_000_000;
                        Ok(IndexSource {
                            customers_bytes: bytes,
                            customers_sha256,
                            customers_modified_ns: if settled { modified_ns } else { 0 },
                            profile_sha256: profile_sha256.clone(),
                            delimiter,
                            amlscreen: env!("CARGO_PKG_VERSION").to_string(),
                            normalizer: normalizer_fingerprint(),
                        })
                    })()
                    .with_context(|| {
                        format!("customer file {}: cannot read", args.customers.display())
                    });
                    (
                        source,
                        existing,
                        clock.elapsed().as_secs_f64(),
                        read_seconds,
                    )
                },
                load_lists,
            );
            let (source, current, previous) = (source?, current?, previous?);
            seconds.insert("customer_file_hash".into(), hash_seconds.into());
            seconds.insert("index_read".into(), read_seconds.into());
            seconds.insert("lists".into(), lists_seconds.into());
            let (status, reason, index) = match existing {
                None => ("built", "no index yet".to_string(), None),
                Some(Err(e)) => {
                    tracing::warn!("{e}; rebuilding it from {}", args.customers.display());
                    ("rebuilt", e.to_string(), None)
                }
                Some(Ok(index)) => match index.header().source.difference(&source) {
                    None => ("reused", String::new(), Some(index)),
                    Some(why) => {
                        tracing::warn!(
                            "{}: customer index is stale: {why}; rebuilding it",
                            path.display()
                        );
                        ("rebuilt", why, None)
                    }
                },
            };
            let index = match index {
                Some(index) => index,
                None => {
                    let clock = Instant::now();
                    let customers = load_customers()?;
                    if customers.sha256 != source.customers_sha256 {
                        bail!(
                            "customer file {}: changed while it was being read; run again",
                            args.customers.display()
                        );
                    }
                    let bytes = build_index(&customers, source.clone());
                    amlscreen::output::write_atomic(&path, &bytes)
                        .with_context(|| format!("{}: cannot write", path.display()))?;
                    let index = CustomerIndex::from_bytes(bytes, &path)?;
                    seconds.insert("index_build".into(), clock.elapsed().as_secs_f64().into());
                    index
                }
            };
            let load_seconds = started.elapsed().as_secs_f64();
            let clock = Instant::now();
            let result = rescreen_indexed(&index, &previous, &current, threshold, args.top)?;
            let header = index.header();
            let summary = serde_json::json!({
                "path": path,
                "status": status,
                "reason": reason,
                "format_version": amlscreen::customers::index::FORMAT_VERSION,
                "customers_bytes": header.source.customers_bytes,
                "customers_sha256": header.source.customers_sha256,
            });
            (
                result,
                header.customers as usize,
                header.quarantined as usize,
                summary,
                current,
                previous,
                load_seconds,
                clock.elapsed().as_secs_f64(),
            )
        }
    };
    seconds.insert("screen".into(), screen_seconds.into());
    for (step, took) in &result.seconds {
        seconds.insert(format!("screen_{step}"), (*took).into());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create", args.out.display()))?;
    for (name, hits) in [
        ("rescreen_new_hits.csv", &result.new_hits),
        ("rescreen_gone_hits.csv", &result.gone_hits),
    ] {
        let path = args.out.join(name);
        let mut bytes = Vec::new();
        write_rescreen_csv(&mut bytes, hits)?;
        amlscreen::output::write_atomic(&path, &bytes)
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    let digests = |set: &amlscreen::watchlist::WatchlistSet| -> Vec<serde_json::Value> {
        set.sources()
            .iter()
            .map(|s| serde_json::json!({"path": s.path, "sha256": s.sha256, "list": s.list}))
            .collect()
    };
    seconds.insert("total".into(), started.elapsed().as_secs_f64().into());
    let summary = serde_json::json!({
        "customers": customers,
        "customers_quarantined": quarantined,
        "customers_screened": result.screened,
        "threshold": threshold,
        "full": args.full,
        "index": index_summary,
        "previous": digests(&previous),
        "current": digests(&current),
        "entries_added": result.delta.added,
        "entries_removed": result.delta.removed,
        "entries_changed": result.delta.changed,
        "entries_unchanged": result.delta.unchanged,
        "new_hits": result.new_hits.len(),
        "gone_hits": result.gone_hits.len(),
        "load_seconds": load_seconds,
        "screen_seconds": screen_seconds,
        "seconds": seconds,
    });
    let path = args.out.join("rescreen.json");
    amlscreen::output::write_atomic(&path, &serde_json::to_vec_pretty(&summary)?)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    writeln!(
        out,
        "{} customers re-screened against {} added, {} changed and {} removed entries ({} screened): {} new hits, {} gone; outputs in {}",
        customers,
        result.delta.added,
        result.delta.changed,
        result.delta.removed,
        result.screened,
        result.new_hits.len(),
        result.gone_hits.len(),
        args.out.display()
    )?;
    Ok(EXIT_OK)
}

/// `--top`: a whole number of at least 1 (0 would screen every name and report nothing).
fn parse_top(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("expected at least 1 hit per name; 0 would report nothing".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number of hits per name, at least 1".to_string()),
    }
}

/// `--threshold` of `screen-eval --pairs`: a number in (0, 1].
fn parse_pair_threshold(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(t) if t > 0.0 && t <= 1.0 => Ok(t),
        _ => Err(format!(
            "`{text}`: expected a score threshold above 0 and at most 1"
        )),
    }
}

/// `amlscreen screen-eval`.
#[derive(Debug, Args)]
pub struct ScreenEvalArgs {
    /// Sanctions lists: files or folders (not needed with `--pairs`).
    #[arg(long = "watchlist", required_unless_present = "pairs")]
    pub watchlists: Vec<PathBuf>,
    /// Evaluate on a labelled CSV of name pairs (`left,right,kind,match,category,source`, as
    /// `tests/fixtures/name-pairs.csv`): each left name is screened against a one-entry list
    /// holding the right name; prints precision, recall and F1 per threshold (0.70..0.95) and
    /// each category at `--threshold`.
    #[arg(long, conflicts_with_all = ["watchlists", "facts", "write_set"])]
    pub pairs: Option<PathBuf>,
    /// With `--pairs`: the threshold of the per-category table (default: the screening default).
    #[arg(long, requires = "pairs", value_parser = parse_pair_threshold)]
    pub threshold: Option<f64>,
    /// With `--pairs`: also list every pair misjudged at `--threshold`.
    #[arg(long, requires = "pairs")]
    pub errors: bool,
    /// True variants in the evaluation set.
    #[arg(long, default_value_t = 2000)]
    pub positives: usize,
    /// Hard non-matches in the evaluation set.
    #[arg(long, default_value_t = 2000)]
    pub negatives: usize,
    /// Seed of the evaluation set.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also write the evaluation set as CSV (for the rapidfuzz peer, scripts/peer_names.py).
    #[arg(long)]
    pub write_set: Option<PathBuf>,
    /// Evaluate screening with birth dates and nationalities: listed people with both, as name
    /// variants with their facts, against look-alikes (same or similar name, another birth
    /// year or nationality; unrelated names of a listed birth year); name only and with facts.
    #[arg(long)]
    pub facts: bool,
}

/// `amlscreen generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Customer accounts in the population.
    #[arg(long, default_value_t = 1000)]
    pub accounts: usize,
    /// Days of activity.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First day (YYYY-MM-DD).
    #[arg(long, default_value = "2026-01-01")]
    pub start: String,
    /// Typologies to plant, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    pub typologies: Vec<String>,
    /// Planted instances per typology (default: about one per 1,000 accounts).
    #[arg(long)]
    pub instances: Option<usize>,
    /// Sanctions lists whose names are varied for planted sanctions hits.
    #[arg(long = "watchlist")]
    pub watchlists: Vec<PathBuf>,
    /// Deliberately broken rows to append (one per quarantine reason, cycling).
    #[arg(long, default_value_t = 0)]
    pub bad_rows: usize,
    /// csv or parquet.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Generate in this many parts, one at a time, each a population of its own with ids no
    /// other part uses: for data sets too large to hold in memory at once. The transactions go
    /// to `transactions/part-001.csv` (or `.parquet`) and on; labels, customers and look-alikes
    /// to one file each.
    #[arg(long, default_value_t = 1)]
    pub parts: u32,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

/// `amlscreen backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Transaction files (canonical layout).
    #[arg(long = "input", required = true)]
    pub inputs: Vec<PathBuf>,
    /// labels.csv of the planted instances.
    #[arg(long)]
    pub labels: PathBuf,
    /// Rule pack files or folders (default: the shipped packs, built into the binary).
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// FX rates CSV.
    #[arg(long)]
    pub fx: Option<PathBuf>,
    /// Sanctions lists (files or folders), to score planted sanctions instances.
    #[arg(long = "watchlist")]
    pub watchlists: Vec<PathBuf>,
    /// Sweep a parameter: RULE.PARAM=LO..HI or RULE.PARAM=A,B,C (repeatable, one rule).
    #[arg(long = "sweep")]
    pub sweeps: Vec<String>,
    /// Accounts in the population (default: counted from the data).
    #[arg(long)]
    pub accounts: Option<u64>,
    /// Output folder for backtest.json, backtest.html and sweep.csv.
    #[arg(long, default_value = "backtest")]
    pub out: PathBuf,
    /// A customer file (canonical layout): its segments reach the rules and its risk ratings
    /// the case order.
    #[arg(long)]
    pub customers: Option<PathBuf>,
}

/// `amlscreen demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The typology to demonstrate, e.g. structuring.
    pub typology: String,
    /// Rule pack files or folders (default: the shipped packs, built into the binary).
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "demo")]
    pub out: PathBuf,
}

fn parse_typology(text: &str) -> Result<amlscreen::model::Typology> {
    amlscreen::model::Typology::parse(text.trim()).with_context(|| {
        format!(
            "unknown typology `{text}`; expected one of {}",
            amlscreen::model::Typology::ALL
                .map(|t| t.as_str())
                .join(", ")
        )
    })
}

fn generate_command(args: GenerateArgs, out: &mut dyn Write) -> Result<i32> {
    use amlscreen::lab::{generate_to, watchlist_plants, DataFormat};
    let format = match args.format.as_str() {
        "csv" => DataFormat::Csv,
        "parquet" => DataFormat::Parquet,
        other => bail!("--format must be csv or parquet, got `{other}`"),
    };
    check_out_folder(&args.out)?;
    let start = chrono::NaiveDate::parse_from_str(&args.start, "%Y-%m-%d").with_context(|| {
        format!(
            "--start must be a date such as 2026-01-01, got `{}`",
            args.start
        )
    })?;
    let typologies = if args.typologies.is_empty() {
        amlscreen::model::Typology::ALL.to_vec()
    } else {
        args.typologies
            .iter()
            .map(|t| parse_typology(t))
            .collect::<Result<_>>()?
    };
    let (watchlist_names, listed_people) = watchlist_plants(&args.watchlists, 500)?;
    let config = amlscreen::synth::GeneratorConfig {
        accounts: args.accounts,
        days: args.days,
        seed: args.seed,
        start,
        typologies,
        watchlist_names,
        listed_people,
        bad_rows: args.bad_rows,
        instances_per_typology: args.instances,
        ..amlscreen::synth::GeneratorConfig::default()
    };
    if args.parts != 1 {
        let done = amlscreen::lab::generate_in_parts(&config, args.parts, format, &args.out)?;
        for note in &done.notes {
            // a closed standard error is no reason to fail a generation that succeeded
            let _ = writeln!(std::io::stderr(), "note: {note}");
        }
        writeln!(
            out,
            "wrote {} transactions ({} planted instances) in {} parts to {}, with labels.csv, fx.csv, lookalikes.csv and customers.csv",
            done.rows,
            done.instances,
            args.parts,
            done.transactions.display()
        )?;
        return Ok(EXIT_OK);
    }
    let (data, path) = generate_to(&config, format, &args.out)?;
    for note in &data.notes {
        // a closed standard error is no reason to fail a generation that succeeded
        let _ = writeln!(std::io::stderr(), "note: {note}");
    }
    writeln!(
        out,
        "wrote {} transactions ({} planted instances) to {}, with labels.csv, fx.csv, lookalikes.csv and customers.csv",
        data.transactions.len() + data.transactions.raw_rows.len(),
        data.labels.len(),
        path.display()
    )?;
    Ok(EXIT_OK)
}

/// `amlscreen export ...`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write one goAML STR XML per case (and CTR-style reports when the profile asks), with
    /// codes checked against the schema the profile names.
    Goaml {
        /// The `cases.jsonl` of a run.
        #[arg(long)]
        cases: PathBuf,
        /// The FIU's goAML profile (TOML), such as profiles/goaml-example.toml.
        #[arg(long)]
        profile: PathBuf,
        /// Only these cases (repeatable); all cases when absent. An id that is not in the
        /// cases file is an error.
        #[arg(long = "case")]
        case_ids: Vec<String>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Flags shared by commands that read transaction files.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Transaction files, folders or glob patterns (CSV, CSV.gz, Parquet, Arrow IPC).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// A mapping profile (TOML) for a foreign layout, such as profiles/ibm-amlworld.toml.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// FX rates CSV with columns currency,rate_to_base.
    #[arg(long)]
    pub fx: Option<PathBuf>,
    /// Base currency for rules (default: the rule packs', USD).
    #[arg(long)]
    pub base_currency: Option<String>,
    /// CSV delimiter, one character (default: the profile's, or `,`); `tab` for tab.
    #[arg(long)]
    pub delimiter: Option<String>,
}

/// Flags that choose the engine (see `docs/spark.md`).
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// The engine: `polars` (this process, the default) or `spark` (a Spark cluster through
    /// Spark Connect; needs a build with `--features spark`).
    #[arg(long, value_name = "polars|spark")]
    pub engine: Option<String>,
    /// The Spark Connect address, sc://HOST:PORT (default: the environment variable
    /// SPARK_REMOTE). A token is never read from this flag: give it in AMLSCREEN_SPARK_TOKEN.
    #[arg(long, value_name = "sc://HOST:PORT")]
    pub spark_remote: Option<String>,
    /// A folder URI the cluster writes the quarantined rows to, as Parquet (file://, s3a://, ...).
    #[arg(long, value_name = "URI")]
    pub spark_out: Option<String>,
}

impl EngineArgs {
    /// Validates the engine flags (and the environment they may defer to).
    pub fn to_engine(&self, state: bool) -> Result<amlscreen::engine::Engine> {
        let flags = amlscreen::engine::EngineFlags {
            engine: self.engine.as_deref(),
            remote: self.spark_remote.as_deref(),
            out: self.spark_out.as_deref(),
            state,
        };
        Ok(amlscreen::engine::choose(
            &flags,
            &amlscreen::engine::EngineEnv::from_process(),
            amlscreen::engine::SPARK_BUILT,
        )?)
    }
}

/// `amlscreen run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Rule pack files or folders (default: the shipped packs, built into the binary).
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// Sanctions lists: files or folders (OFAC legacy CSV, UN XML, OpenSanctions JSON lines, CSV).
    #[arg(long = "watchlist")]
    pub watchlists: Vec<PathBuf>,
    /// Sanctions match threshold from 0 to 1 (default: the matcher's measured default).
    #[arg(long)]
    pub sanctions_threshold: Option<f64>,
    /// Output folder.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Nightly state folder: keeps the history that lookback windows need and the alerts
    /// already raised, so that an episode is reported once (and again only when it grows).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Analysts' dispositions to fold into the state (CSV: alert_id or case_id, disposition,
    /// reason, analyst, date, and suppress_until for a documented false-positive pattern).
    #[arg(long, requires = "state")]
    pub dispositions: Option<PathBuf>,
    /// Exit with code 3 when the run reports at least one alert.
    #[arg(long)]
    pub fail_on_alerts: bool,
    /// The customer file (KYC: customer_id, accounts, name, and optionally type, birth_date,
    /// nationality, country, id_numbers, segment, expected_monthly_volume, onboarded), CSV or
    /// Parquet.
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// A mapping profile for the customer file's layout.
    #[arg(long, requires = "customers")]
    pub customers_profile: Option<PathBuf>,
}

/// `amlscreen inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `amlscreen rules ...`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate packs and their lists; report every rule loaded.
    Check {
        /// Pack files or folders (default: the shipped packs, built into the binary).
        paths: Vec<PathBuf>,
    },
    /// Run the golden tests kept beside each pack (`PACK.tests.toml`).
    Test {
        /// Pack files or folders (default: the shipped packs, built into the binary).
        paths: Vec<PathBuf>,
    },
    /// List the rules of the packs.
    List {
        /// Pack files or folders (default: the shipped packs, built into the binary).
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
    /// What a change to a pack does before it goes live: both pack sets over the same history,
    /// alerts gained, lost, changed and unchanged per rule, with examples; with labels, recall
    /// and alerts on clean subjects on both sides.
    Diff {
        /// The packs in force (file or folder).
        old: PathBuf,
        /// The changed packs (file or folder).
        new: PathBuf,
        /// Transaction history to run both on (files, folders or globs).
        #[arg(long = "input", required = true)]
        inputs: Vec<PathBuf>,
        /// FX table (`currency,rate_to_base`).
        #[arg(long)]
        fx: Option<PathBuf>,
        /// Labels (`labels.csv` as `generate` writes and `backtest` reads).
        #[arg(long)]
        labels: Option<PathBuf>,
        /// Gained and lost alerts listed per rule.
        #[arg(long, default_value_t = 3)]
        examples: usize,
        /// Also write the comparison as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// A customer file (canonical layout) whose segments both sides' rules see.
        #[arg(long)]
        customers: Option<PathBuf>,
    },
    /// Print a rule's documentation: what it detects, why, parameters, example, references.
    Explain {
        /// The rule id, such as `structuring`.
        rule_id: String,
        /// Pack files or folders (default: the shipped packs, built into the binary).
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
}

/// Refuses an `--out` folder that exists as something else than a folder.
fn check_out_folder(path: &Path) -> Result<()> {
    if path.exists() && !path.is_dir() {
        bail!("--out {} is a file; expected a folder", path.display());
    }
    Ok(())
}

/// Refuses an output file path that is an existing folder (`flag` names the option).
fn check_out_file(flag: &str, path: &Path) -> Result<()> {
    if path.is_dir() {
        bail!("{flag} {} is a folder; expected a file", path.display());
    }
    Ok(())
}

/// Every file a run reads: the transaction inputs (folders and globs expanded), the FX table,
/// the profile and the watchlists (the files directly inside a watchlist folder). A pattern
/// that matches nothing is left for the run to report.
fn files_read(config: &amlscreen::pipeline::RunConfig) -> Vec<PathBuf> {
    let mut files = amlscreen::ingest::source::expand_inputs(&config.inputs).unwrap_or_default();
    files.extend(config.fx.iter().cloned());
    files.extend(config.profile.iter().cloned());
    for list in &config.watchlists {
        match std::fs::read_dir(list) {
            Ok(entries) => files.extend(entries.filter_map(|e| e.ok().map(|e| e.path()))),
            Err(_) => files.push(list.clone()),
        }
    }
    files
}

/// Refuses a run that would overwrite one of its own inputs: an input that is (after
/// resolving links and relative paths) one of the files the run writes into `--out`.
fn refuse_overwriting_inputs(config: &amlscreen::pipeline::RunConfig) -> Result<()> {
    let outputs: Vec<(PathBuf, PathBuf)> = amlscreen::output::RUN_OUTPUTS
        .iter()
        .map(|name| config.out_dir.join(name))
        .filter_map(|path| path.canonicalize().ok().map(|real| (path, real)))
        .collect();
    if outputs.is_empty() {
        return Ok(());
    }
    for input in files_read(config) {
        let Ok(real) = input.canonicalize() else {
            continue;
        };
        if let Some((output, _)) = outputs.iter().find(|(_, o)| *o == real) {
            bail!(
                "input {} is the file the run writes as {}; it would be overwritten; expected an --out folder that holds none of the inputs",
                input.display(),
                output.display()
            );
        }
    }
    Ok(())
}

fn parse_delimiter(text: Option<&str>) -> Result<Option<u8>> {
    match text {
        None => Ok(None),
        Some("tab") | Some("\\t") => Ok(Some(b'\t')),
        Some(t) if t.len() == 1 && t.is_ascii() => Ok(Some(t.as_bytes()[0])),
        Some(t) => bail!("--delimiter must be one ASCII character or `tab`, got `{t}`"),
    }
}

fn parse_base_currency(text: Option<&str>) -> Result<Option<String>> {
    match text {
        None => Ok(None),
        Some(t) if t.len() == 3 && t.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(Some(t.to_ascii_uppercase()))
        }
        Some(t) => bail!("--base-currency must be an ISO 4217 code such as USD, got `{t}`"),
    }
}

impl RunArgs {
    /// Validates the flags into a run configuration.
    pub fn to_config(&self) -> Result<amlscreen::pipeline::RunConfig> {
        if let Some(t) = self.sanctions_threshold {
            if !(0.0..=1.0).contains(&t) {
                bail!("--sanctions-threshold must be between 0 and 1, got {t}");
            }
        }
        check_out_folder(&self.out)?;
        let engine = self.engine.to_engine(self.state.is_some())?;
        Ok(amlscreen::pipeline::RunConfig {
            engine,
            inputs: self.input.inputs.clone(),
            rules: self.rules.clone(),
            watchlists: self.watchlists.clone(),
            profile: self.input.profile.clone(),
            fx: self.input.fx.clone(),
            base_currency: parse_base_currency(self.input.base_currency.as_deref())?,
            delimiter: parse_delimiter(self.input.delimiter.as_deref())?,
            out_dir: self.out.clone(),
            sanctions_threshold: self.sanctions_threshold,
            state: self.state.clone(),
            dispositions: self.dispositions.clone(),
            progress: false,
            customers: self.customers.clone(),
            customers_profile: self.customers_profile.clone(),
        })
    }
}

/// Parses `args` (the program name first), runs the command and reports a fatal error on
/// standard error: one line of text, or one JSON object with `--log-format json`. Returns the
/// exit code. A reader that closes standard output early (`amlscreen … | head -1`) ends the
/// command quietly with [`EXIT_OK`]: it has all it asked for.
pub fn main_with(args: Vec<OsString>) -> i32 {
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error, asks_for_json_logs(&args)),
    };
    let format = cli.log_format;
    let mut stdout = std::io::stdout();
    let result = dispatch(cli, &mut stdout).and_then(|code| {
        stdout.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => EXIT_OK,
        Err(error) => {
            report_fatal(&error, format);
            EXIT_ERROR
        }
    }
}

/// Whether the raw arguments ask for JSON logs (looked up by hand when clap refused them).
fn asks_for_json_logs(args: &[OsString]) -> bool {
    args.iter().enumerate().any(|(i, arg)| {
        arg == "--log-format=json"
            || (arg == "--log-format" && args.get(i + 1).is_some_and(|next| next == "json"))
    })
}

/// Prints clap's refusal (or its help and version text) and returns its exit code: 0 for help
/// and version, [`EXIT_ERROR`] for a usage error.
fn usage_error(error: &clap::Error, json: bool) -> i32 {
    use clap::error::ErrorKind;
    let informational = matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if informational || !json {
        // a closed pipe while printing help is nothing to report
        let _ = error.print();
        return if informational { EXIT_OK } else { EXIT_ERROR };
    }
    // clap's text without its usage and help hints, on one line
    let rendered = error.render().to_string();
    let message: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let message = message.join(" ");
    write_json_error(message.strip_prefix("error: ").unwrap_or(&message), &[]);
    EXIT_ERROR
}

/// Whether a closed standard output (`EPIPE`) is what stopped the command, anywhere in the
/// error's chain (the `csv` crate's errors keep theirs as a kind rather than a source).
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    use std::io::ErrorKind;
    error.chain().any(|cause| {
        let io = cause.downcast_ref::<std::io::Error>().or_else(|| {
            match cause.downcast_ref::<csv::Error>().map(csv::Error::kind) {
                Some(csv::ErrorKind::Io(io)) => Some(io),
                _ => None,
            }
        });
        io.is_some_and(|e| e.kind() == ErrorKind::BrokenPipe)
    })
}

/// A message printed for one level of an error's chain keeps at most this many characters (and
/// one line), so that an error quoting rows of a file (a CSV parser's) can never flood the
/// terminal or a log collector.
pub const MAX_MESSAGE_CHARS: usize = 1_000;

/// The messages of an error's chain, outermost first. A cause whose text the message above it
/// already holds is left out: an error that quotes its source (`{path}: cannot read: {source}`)
/// and keeps it as `#[source]` would otherwise print the operating system's reason twice.
/// Each message is put on one line and cut to [`MAX_MESSAGE_CHARS`] by [`cut_message`].
pub fn error_messages(error: &anyhow::Error) -> Vec<String> {
    let mut messages: Vec<String> = Vec::new();
    let mut above = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !above.is_empty() && above.contains(&text) {
            continue;
        }
        messages.push(cut_message(&text));
        above = text;
    }
    messages
}

/// One line of at most [`MAX_MESSAGE_CHARS`] (and the marker) from a message: of several
/// lines, the first and the last (which say what is wrong around quoted content), and of a
/// longer line, its start and its end.
fn cut_message(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let line = match lines.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [first, last] => format!("{first} {last}"),
        [first, .., last] => format!("{first} … ({} lines not shown) … {last}", lines.len() - 2),
    };
    let chars = line.chars().count();
    if chars <= MAX_MESSAGE_CHARS {
        return line;
    }
    let (head, tail) = (MAX_MESSAGE_CHARS * 2 / 3, MAX_MESSAGE_CHARS / 3);
    let start: String = line.chars().take(head).collect();
    let end: String = line.chars().skip(chars - tail).collect();
    format!(
        "{start} … ({} characters not shown) … {end}",
        chars - head - tail
    )
}

/// Reports the error that stopped the command on standard error.
fn report_fatal(error: &anyhow::Error, format: LogFormat) {
    match format {
        LogFormat::Text => {
            let messages = error_messages(error);
            let _ = writeln!(std::io::stderr(), "error: {}", messages.join(": "));
        }
        LogFormat::Json => {
            // the whole chain as a list: each cause as it reports itself, even when the
            // message above quotes it
            let sources: Vec<String> = error
                .chain()
                .skip(1)
                .map(|cause| cut_message(&cause.to_string()))
                .collect();
            write_json_error(&cut_message(&error.to_string()), &sources);
        }
    }
}

/// One JSON object on standard error, shaped like the log events of `--log-format json`:
/// `{"timestamp", "level": "ERROR", "fields": {"message", "sources": [...]}, "target"}`, where
/// `sources` is the chain of causes below the message, outermost first.
fn write_json_error(message: &str, sources: &[String]) {
    #[derive(serde::Serialize)]
    struct Event<'a> {
        timestamp: String,
        level: &'static str,
        fields: Fields<'a>,
        target: &'static str,
    }
    #[derive(serde::Serialize)]
    struct Fields<'a> {
        message: &'a str,
        sources: &'a [String],
    }
    let event = Event {
        timestamp: chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string(),
        level: "ERROR",
        fields: Fields { message, sources },
        target: "amlscreen",
    };
    if let Ok(line) = serde_json::to_string(&event) {
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}

/// Sets up logging on standard error; returns whether progress spinners should be shown.
pub fn init_logging(format: LogFormat) -> bool {
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal();
    match format {
        LogFormat::Json => {
            tracing_subscriber::fmt()
                .json()
                .with_writer(std::io::stderr)
                .with_max_level(tracing::Level::INFO)
                .init();
            false
        }
        LogFormat::Text => {
            // text logs carry warnings only, so that an error is one line on stderr; stage
            // progress shows as spinners on a terminal, and as events with --log-format json
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_ansi(terminal)
                .with_max_level(tracing::Level::WARN)
                .init();
            terminal
        }
    }
}

/// Runs the parsed command, writing its report to `out` (standard output).
pub fn dispatch(cli: Cli, out: &mut dyn Write) -> Result<i32> {
    let progress = init_logging(cli.log_format);
    match cli.command {
        Command::Run(args) => {
            let mut config = args.to_config()?;
            refuse_overwriting_inputs(&config)?;
            config.progress = progress;
            let summary = amlscreen::pipeline::run(&config)?;
            let m = &summary.manifest;
            if let Some(n) = &m.nightly {
                writeln!(
                    out,
                    "state {}: generation {} -> {}; alerts new {}, updated {}, suppressed {}",
                    n.state_dir,
                    n.generation_read,
                    n.generation_written,
                    n.alerts_new,
                    n.alerts_updated,
                    n.alerts_suppressed
                )?;
            }
            writeln!(
                out,
                "read {} rows: {} accepted, {} quarantined; {} alerts in {} cases; outputs in {}",
                m.rows_read,
                m.rows_accepted,
                m.rows_quarantined,
                m.alerts_total,
                m.cases_total,
                summary.out_dir.display()
            )?;
            if args.fail_on_alerts && m.alerts_total > 0 {
                return Ok(EXIT_ALERTS);
            }
            Ok(EXIT_OK)
        }
        Command::Inspect(args) => {
            let config = amlscreen::pipeline::RunConfig {
                inputs: args.input.inputs.clone(),
                rules: vec![],
                watchlists: vec![],
                profile: args.input.profile.clone(),
                fx: args.input.fx.clone(),
                base_currency: parse_base_currency(args.input.base_currency.as_deref())?,
                delimiter: parse_delimiter(args.input.delimiter.as_deref())?,
                out_dir: PathBuf::new(),
                engine: args.engine.to_engine(false)?,
                ..Default::default()
            };
            write!(out, "{}", amlscreen::inspect::inspect(&config)?)?;
            Ok(EXIT_OK)
        }
        Command::Rules(cmd) => rules_command(cmd, out),
        Command::Generate(args) => generate_command(args, out),
        Command::ScreenNames(args) => {
            use amlscreen::watchlist::{
                load_watchlists, read_parties_file, write_hits_csv, Screener, DEFAULT_THRESHOLD,
            };
            let threshold = args.threshold.unwrap_or(DEFAULT_THRESHOLD);
            if !(0.0..=1.0).contains(&threshold) {
                bail!("--threshold must be between 0 and 1, got {threshold}");
            }
            if let Some(path) = &args.out {
                check_out_file("--out", path)?;
            }
            let set = load_watchlists(&args.watchlists)?;
            let names = read_parties_file(&args.names_file)?;
            let screener = Screener::new(&set);
            let hits = screener.screen_parties(&names, threshold, args.top);
            let rows: Vec<(String, amlscreen::watchlist::Hit)> = names
                .iter()
                .zip(hits)
                .flat_map(|(party, hits)| hits.into_iter().map(move |h| (party.name.clone(), h)))
                .collect();
            match &args.out {
                Some(path) => {
                    let mut bytes = Vec::new();
                    write_hits_csv(&mut bytes, &rows)?;
                    amlscreen::output::write_atomic(path, &bytes)
                        .with_context(|| format!("{}: cannot write", path.display()))?;
                    writeln!(
                        out,
                        "{} names screened, {} hits written to {}",
                        names.len(),
                        rows.len(),
                        path.display()
                    )?;
                }
                None => write_hits_csv(out, &rows)?,
            }
            Ok(EXIT_OK)
        }
        Command::Rescreen(args) => rescreen_command(args, out),
        Command::ScreenEval(args) => {
            use amlscreen::watchlist::eval::{
                build_eval_set, default_thresholds, evaluate, render_markdown, write_eval_csv,
            };
            if let Some(path) = &args.pairs {
                use amlscreen::watchlist::eval::{
                    evaluate_pairs, pair_thresholds, read_name_pairs, render_pairs_markdown,
                };
                let pairs = read_name_pairs(path)?;
                let threshold = args
                    .threshold
                    .unwrap_or(amlscreen::watchlist::DEFAULT_THRESHOLD);
                let evaluation = evaluate_pairs(&pairs, &pair_thresholds(), threshold);
                write!(
                    out,
                    "{}",
                    render_pairs_markdown(&evaluation, &pairs, args.errors)
                )?;
                return Ok(EXIT_OK);
            }
            if let Some(path) = &args.write_set {
                check_out_file("--write-set", path)?;
            }
            let set = amlscreen::watchlist::load_watchlists(&args.watchlists)?;
            if args.facts {
                use amlscreen::watchlist::eval::{
                    build_party_eval_set, evaluate_parties, render_party_markdown,
                    write_party_eval_csv,
                };
                let screener = amlscreen::watchlist::Screener::new(&set);
                let cases = build_party_eval_set(
                    &set,
                    &screener,
                    args.positives,
                    args.negatives,
                    args.seed,
                );
                if let Some(path) = &args.write_set {
                    let mut bytes = Vec::new();
                    write_party_eval_csv(&mut bytes, &cases)?;
                    amlscreen::output::write_atomic(path, &bytes)
                        .with_context(|| format!("{}: cannot write", path.display()))?;
                }
                let thresholds = [0.75, 0.80, 0.85, 0.90, 0.95];
                let evaluation = evaluate_parties(&screener, &cases, &thresholds);
                write!(out, "{}", render_party_markdown(&evaluation))?;
                return Ok(EXIT_OK);
            }
            let cases = build_eval_set(&set, args.positives, args.negatives, args.seed);
            if let Some(path) = &args.write_set {
                let mut bytes = Vec::new();
                write_eval_csv(&mut bytes, &cases)?;
                amlscreen::output::write_atomic(path, &bytes)
                    .with_context(|| format!("{}: cannot write", path.display()))?;
            }
            let screener = amlscreen::watchlist::Screener::new(&set);
            let evaluation = evaluate(&screener, &cases, &default_thresholds());
            write!(out, "{}", render_markdown(&evaluation))?;
            Ok(EXIT_OK)
        }
        Command::Dispositions(DispositionsCommand::Labels { state, out: path }) => {
            check_out_file("--out", &path)?;
            let labels = amlscreen::state::dispositions::labels_of_state(&state)?;
            let mut bytes = Vec::new();
            amlscreen::synth::write_labels_csv(&mut bytes, &labels)?;
            amlscreen::output::write_atomic(&path, &bytes)
                .with_context(|| format!("{}: cannot write", path.display()))?;
            writeln!(
                out,
                "wrote {} label(s) from true-positive dispositions to {}",
                labels.len(),
                path.display()
            )?;
            Ok(EXIT_OK)
        }
        Command::Debug(DebugCommand::ReadFloor { file, as_text }) => {
            let rows = if as_text {
                amlscreen::ingest::source::read_raw(&file, b',')?
                    .frame
                    .height()
            } else {
                amlscreen::ingest::source::plain_read(&file)?
            };
            writeln!(out, "{rows} rows")?;
            Ok(EXIT_OK)
        }
        Command::Backtest(args) => {
            check_out_folder(&args.out)?;
            let outcome = amlscreen::lab::backtest(&amlscreen::lab::BacktestConfig {
                inputs: args.inputs,
                labels: args.labels,
                rules: args.rules,
                fx: args.fx,
                watchlists: args.watchlists,
                out: args.out.clone(),
                sweeps: args.sweeps,
                accounts: args.accounts,
                customers: args.customers,
            })?;
            write!(out, "{}", outcome.table)?;
            if let Some(sweep) = &outcome.sweep {
                writeln!(out, "\nsweep ({} settings):", sweep.points.len())?;
                for p in &sweep.points {
                    let setting: Vec<String> =
                        p.setting.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    writeln!(
                        out,
                        "  {:<50} alerts {:>6}  recall {}",
                        setting.join(" "),
                        p.alerts,
                        p.recall.map_or("-".to_string(), |r| format!("{r:.3}"))
                    )?;
                }
            }
            writeln!(
                out,
                "wrote backtest.json and backtest.html to {}",
                args.out.display()
            )?;
            Ok(EXIT_OK)
        }
        Command::Demo(args) => {
            let typology = parse_typology(&args.typology)?;
            check_out_folder(&args.out)?;
            let text = amlscreen::lab::demo(typology, &args.out, &args.rules)?;
            write!(out, "{text}")?;
            Ok(EXIT_OK)
        }
        Command::Export(ExportCommand::Goaml {
            cases,
            profile,
            case_ids,
            out: out_dir,
        }) => {
            let all = amlscreen::report::read_cases_jsonl(&cases)?;
            let unknown: Vec<&str> = case_ids
                .iter()
                .filter(|id| !all.iter().any(|c| &c.case_id == *id))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                bail!(
                    "{}: no case {} in this run (--case must name a case_id of its cases.jsonl); nothing written",
                    cases.display(),
                    unknown
                        .iter()
                        .map(|id| format!("`{id}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let profile = amlscreen::report::load_goaml_profile(&profile)?;
            let export = amlscreen::report::export_goaml(&all, &profile, &case_ids);
            std::fs::create_dir_all(&out_dir)
                .with_context(|| format!("{}: cannot create", out_dir.display()))?;
            for (name, xml) in &export.files {
                let plain = std::path::Path::new(name)
                    .file_name()
                    .is_some_and(|f| f == name.as_str());
                if !plain || name.starts_with('.') {
                    bail!("refusing to write `{name}`: a case id must be a plain file name (C-…)");
                }
                let path = out_dir.join(name);
                amlscreen::output::write_atomic(&path, xml.as_bytes())
                    .with_context(|| format!("{}: cannot write", path.display()))?;
            }
            for (case_id, missing) in &export.skipped {
                eprintln!(
                    "skipped {case_id}: goAML requires `{missing}`, which the case does not have"
                );
            }
            for (case_id, missing) in &export.without_transactions {
                eprintln!(
                    "{case_id}: written as an activity report (its matched customer) without its transactions: goAML requires `{missing}`, which a transaction does not have"
                );
            }
            writeln!(
                out,
                "wrote {} goAML report(s) to {}; skipped {}",
                export.files.len(),
                out_dir.display(),
                export.skipped.len()
            )?;
            Ok(EXIT_OK)
        }
    }
}

fn rules_command(cmd: RulesCommand, out: &mut dyn Write) -> Result<i32> {
    use amlscreen::rules::{golden, RuleSet};
    match cmd {
        RulesCommand::Check { paths } => {
            let set = RuleSet::load(&paths)?;
            for pack in &set.packs {
                writeln!(
                    out,
                    "ok  {} ({}@{}): {} rules, {} lists",
                    pack.path.display(),
                    pack.id,
                    pack.version,
                    pack.rules.len(),
                    pack.lists.len()
                )?;
                for list in &pack.lists {
                    writeln!(
                        out,
                        "    list {}: {} values, as of {}",
                        list.id,
                        list.values.len(),
                        list.as_of
                    )?;
                }
            }
            Ok(EXIT_OK)
        }
        RulesCommand::Test { paths } => {
            let set = RuleSet::load(&paths)?;
            let (mut passed, mut failed) = (0, 0);
            for pack in &set.packs {
                let results = golden::run_pack_tests(pack)?;
                if results.is_empty() {
                    writeln!(
                        out,
                        "--  {}: no golden tests ({})",
                        pack.id,
                        golden::tests_path(&pack.path).display()
                    )?;
                }
                for r in results {
                    if r.failures.is_empty() {
                        passed += 1;
                        writeln!(out, "ok    {} :: {}", pack.id, r.name)?;
                    } else {
                        failed += 1;
                        writeln!(out, "FAIL  {} :: {}", pack.id, r.name)?;
                        for f in r.failures {
                            writeln!(out, "        {f}")?;
                        }
                    }
                }
            }
            writeln!(out, "golden: {passed} passed, {failed} failed")?;
            if failed > 0 {
                bail!("{failed} golden test(s) failed");
            }
            Ok(EXIT_OK)
        }
        RulesCommand::List { rules } => {
            let set = RuleSet::load(&rules)?;
            writeln!(
                out,
                "{:<24} {:<10} {:<20} {:<24} {:<8} {:>5}  title",
                "rule", "pack", "typology", "kind", "severity", "score"
            )?;
            for r in set.rules() {
                writeln!(
                    out,
                    "{:<24} {:<10} {:<20} {:<24} {:<8} {:>5}  {}{}",
                    r.info.rule_id,
                    r.info.pack,
                    r.info.typology,
                    r.info.kind,
                    r.info.severity,
                    r.info.score,
                    r.info.title,
                    if r.enabled { "" } else { " (disabled)" }
                )?;
            }
            Ok(EXIT_OK)
        }
        RulesCommand::Diff {
            old,
            new,
            inputs,
            fx,
            labels,
            examples,
            json,
            customers,
        } => {
            if let Some(path) = &json {
                check_out_file("--json", path)?;
            }
            let diff = amlscreen::lab::rules_diff(&amlscreen::lab::DiffConfig {
                old: vec![old],
                new: vec![new],
                inputs,
                fx,
                labels,
                examples,
                customers,
            })?;
            if let Some(path) = &json {
                let bytes = serde_json::to_vec_pretty(&diff)?;
                amlscreen::output::write_atomic(path, &bytes)
                    .with_context(|| format!("{}: cannot write", path.display()))?;
            }
            write!(out, "{}", amlscreen::rules::diff::render(&diff))?;
            Ok(EXIT_OK)
        }
        RulesCommand::Explain { rule_id, rules } => {
            let set = RuleSet::load(&rules)?;
            let rule = set.rule(&rule_id).with_context(|| {
                format!("no rule `{rule_id}`; `amlscreen rules list` shows the rules")
            })?;
            write!(out, "{}", amlscreen::rules::explain(rule))?;
            Ok(EXIT_OK)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("list.csv: cannot read: {source}")]
    struct Quoting {
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn a_cause_the_message_above_quotes_is_left_out() {
        let os = std::io::Error::from_raw_os_error(2);
        let error = anyhow::Error::new(Quoting { source: os }).context("loading lists");
        let messages = error_messages(&error);
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert_eq!(messages[0], "loading lists");
        assert!(messages[1].starts_with("list.csv: cannot read: "));
        let error = anyhow::Error::new(std::io::Error::from_raw_os_error(17)).context("x: write");
        assert_eq!(
            error_messages(&error).len(),
            2,
            "a cause not quoted is kept"
        );
    }

    #[test]
    fn a_long_message_is_cut() {
        let long = format!("{}{}", "é".repeat(MAX_MESSAGE_CHARS), "z".repeat(5));
        let messages = error_messages(&anyhow::anyhow!("{long}"));
        let head = "é".repeat(MAX_MESSAGE_CHARS * 2 / 3);
        let tail = format!("{}zzzzz", "é".repeat(MAX_MESSAGE_CHARS / 3 - 5));
        assert_eq!(
            messages[0],
            format!("{head} … (6 characters not shown) … {tail}")
        );
        // rows quoted by a parser: the first and last lines, which say what is wrong
        let rows = format!(
            "could not parse `\"ANN,JM\n{}` is not escaped",
            "T1,A,B\n".repeat(3)
        );
        assert_eq!(
            error_messages(&anyhow::anyhow!("{rows}")),
            ["could not parse `\"ANN,JM … (3 lines not shown) … ` is not escaped"]
        );
        assert_eq!(cut_message("one\ntwo"), "one two");
    }

    #[test]
    fn a_broken_pipe_is_found_inside_a_csv_error() {
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let error = anyhow::Error::new(csv::Error::from(pipe)).context("writing hits");
        assert!(is_broken_pipe(&error));
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(!is_broken_pipe(&anyhow::Error::new(other)));
    }
}
