//! Command-line interface: clap subcommands, turned into validated configurations for the
//! library. Errors here are `anyhow`; the exit code is 2 for any error.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Exit code for a successful run.
pub const EXIT_OK: i32 = 0;
/// Exit code for any error.
pub const EXIT_ERROR: i32 = 2;

/// amlscreen: anti-money-laundering transaction screening.
#[derive(Debug, Parser)]
#[command(name = "amlscreen", version, about, long_about = None)]
pub struct Cli {
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
}

/// `amlscreen export ...`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write one goAML 5.0.2 STR XML per case (and CTR-style reports when the profile asks).
    Goaml {
        /// The `cases.jsonl` of a run.
        #[arg(long)]
        cases: PathBuf,
        /// The FIU's goAML profile (TOML), such as profiles/goaml-example.toml.
        #[arg(long)]
        profile: PathBuf,
        /// Only these cases (repeatable); all cases when absent.
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

/// `amlscreen run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Rule pack files or folders (default: rules/).
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
}

/// `amlscreen inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: InputArgs,
}

/// `amlscreen rules ...`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate packs and their lists; report every rule loaded.
    Check {
        /// Pack files or folders (default: rules/).
        paths: Vec<PathBuf>,
    },
    /// Run the golden tests kept beside each pack (`PACK.tests.toml`).
    Test {
        /// Pack files or folders (default: rules/).
        paths: Vec<PathBuf>,
    },
    /// List the rules of the packs.
    List {
        /// Pack files or folders.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
    /// Print a rule's documentation: what it detects, why, parameters, example, references.
    Explain {
        /// The rule id, such as `structuring`.
        rule_id: String,
        /// Pack files or folders.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
}

fn default_rules(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("rules")]
    } else {
        paths.to_vec()
    }
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
        Ok(amlscreen::pipeline::RunConfig {
            inputs: self.input.inputs.clone(),
            rules: default_rules(&self.rules),
            watchlists: self.watchlists.clone(),
            profile: self.input.profile.clone(),
            fx: self.input.fx.clone(),
            base_currency: parse_base_currency(self.input.base_currency.as_deref())?,
            delimiter: parse_delimiter(self.input.delimiter.as_deref())?,
            out_dir: self.out.clone(),
            sanctions_threshold: self.sanctions_threshold,
        })
    }
}

/// Runs the parsed command.
pub fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run(args) => {
            let config = args.to_config()?;
            let summary = amlscreen::pipeline::run(&config)?;
            let m = &summary.manifest;
            println!(
                "read {} rows: {} accepted, {} quarantined; {} alerts in {} cases; outputs in {}",
                m.rows_read,
                m.rows_accepted,
                m.rows_quarantined,
                m.alerts_total,
                m.cases_total,
                summary.out_dir.display()
            );
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
                sanctions_threshold: None,
            };
            print!("{}", amlscreen::inspect::inspect(&config)?);
            Ok(EXIT_OK)
        }
        Command::Rules(cmd) => rules_command(cmd),
        Command::Export(ExportCommand::Goaml {
            cases,
            profile,
            case_ids,
            out,
        }) => {
            let all = amlscreen::report::read_cases_jsonl(&cases)?;
            let profile = amlscreen::report::load_goaml_profile(&profile)?;
            let export = amlscreen::report::export_goaml(&all, &profile, &case_ids);
            std::fs::create_dir_all(&out)
                .with_context(|| format!("{}: cannot create", out.display()))?;
            for (name, xml) in &export.files {
                let path = out.join(name);
                amlscreen::output::write_atomic(&path, xml.as_bytes())
                    .with_context(|| format!("{}: cannot write", path.display()))?;
            }
            for (case_id, missing) in &export.skipped {
                eprintln!(
                    "skipped {case_id}: goAML requires `{missing}`, which the case does not have"
                );
            }
            println!(
                "wrote {} goAML report(s) to {}; skipped {}",
                export.files.len(),
                out.display(),
                export.skipped.len()
            );
            Ok(EXIT_OK)
        }
    }
}

fn rules_command(cmd: RulesCommand) -> Result<i32> {
    use amlscreen::rules::{golden, RuleSet};
    match cmd {
        RulesCommand::Check { paths } => {
            let set = RuleSet::load(&default_rules(&paths))?;
            for pack in &set.packs {
                println!(
                    "ok  {} ({}@{}): {} rules, {} lists",
                    pack.path.display(),
                    pack.id,
                    pack.version,
                    pack.rules.len(),
                    pack.lists.len()
                );
                for list in &pack.lists {
                    println!(
                        "    list {}: {} values, as of {}",
                        list.id,
                        list.values.len(),
                        list.as_of
                    );
                }
            }
            Ok(EXIT_OK)
        }
        RulesCommand::Test { paths } => {
            let set = RuleSet::load(&default_rules(&paths))?;
            let (mut passed, mut failed) = (0, 0);
            for pack in &set.packs {
                let results = golden::run_pack_tests(pack)?;
                if results.is_empty() {
                    println!(
                        "--  {}: no golden tests ({})",
                        pack.id,
                        golden::tests_path(&pack.path).display()
                    );
                }
                for r in results {
                    if r.failures.is_empty() {
                        passed += 1;
                        println!("ok    {} :: {}", pack.id, r.name);
                    } else {
                        failed += 1;
                        println!("FAIL  {} :: {}", pack.id, r.name);
                        for f in r.failures {
                            println!("        {f}");
                        }
                    }
                }
            }
            println!("golden: {passed} passed, {failed} failed");
            if failed > 0 {
                bail!("{failed} golden test(s) failed");
            }
            Ok(EXIT_OK)
        }
        RulesCommand::List { rules } => {
            let set = RuleSet::load(&default_rules(&rules))?;
            println!(
                "{:<24} {:<10} {:<20} {:<24} {:<8} {:>5}  title",
                "rule", "pack", "typology", "kind", "severity", "score"
            );
            for r in set.rules() {
                println!(
                    "{:<24} {:<10} {:<20} {:<24} {:<8} {:>5}  {}{}",
                    r.info.rule_id,
                    r.info.pack,
                    r.info.typology,
                    r.info.kind,
                    r.info.severity,
                    r.info.score,
                    r.info.title,
                    if r.enabled { "" } else { " (disabled)" }
                );
            }
            Ok(EXIT_OK)
        }
        RulesCommand::Explain { rule_id, rules } => {
            let set = RuleSet::load(&default_rules(&rules))?;
            let rule = set.rule(&rule_id).with_context(|| {
                format!("no rule `{rule_id}`; `amlscreen rules list` shows the rules")
            })?;
            print!("{}", amlscreen::rules::explain(rule));
            Ok(EXIT_OK)
        }
    }
}
