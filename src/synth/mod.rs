//! The typology lab: a deterministic synthetic-data generator with planted, labelled instances
//! of every typology, and backtest scoring of alerts against those labels.
//!
//! [`generate`] builds a realistic legitimate population (salaries, card spending, ATM cash,
//! transfers between friends, remittances, retail cash deposits, payroll, import wires, and
//! unlabelled look-alikes: churches, savings clubs, money service businesses, offshore fund
//! investors, landlords), plants instances of the requested typologies inside the shipped
//! rules' definitions, and returns the
//! transactions as a struct-of-vectors batch ([`TxnColumns`]) with ground-truth [`Label`]s.
//! The same configuration always gives byte-identical files.

mod background;
pub mod backtest;
mod backtest_render;
mod bad_rows;
mod columns;
mod csv_out;
mod customers;
pub mod demo;
mod fx;
mod generator;
mod labels;
mod lookalikes;
mod name_tables;
pub mod names;
mod plant;
mod plant_cash;
mod plant_flows;
mod plant_layers;
mod plant_network;
mod plant_offshore;
mod plant_other;
mod population;
pub mod ranking;
mod rng;

pub use backtest::{
    score_backtest, sweep_point, write_sweep_csv, BacktestReport, BacktestRow, SweepPoint,
    SweepResult,
};
pub use backtest_render::{render_html, render_table};
pub use columns::{
    txn_id_text, BadRowReason, PartySyms, RawRow, Sym, SymbolTable, TxnColumns, TxnView,
    CANONICAL_HEADER,
};
pub use csv_out::write_transactions_csv;
pub use customers::{
    write_customers_csv, ListedPerson, PlantedCustomer, SyntheticCustomer, CUSTOMERS_HEADER,
};
pub use demo::{demo_config, demo_walkthrough, SAMPLE_WATCHLIST_NAMES};
pub use fx::{default_rates, to_base, write_fx_csv, FxRate, BASE_CURRENCY};
pub use labels::{read_labels_csv, read_labels_from, write_labels_csv, Label, LABELS_HEADER};
pub use lookalikes::{
    write_lookalikes_csv, LookAlike, LookAlikeKind, FUND_COUNTRIES, LOOKALIKES_HEADER,
};
pub use plant::{BEHAVIOUR_MIN_DAYS, DORMANT_MIN_DAYS, VELOCITY_MIN_DAYS};
pub use ranking::{score_ranking, RankedCase, RankingScores};
pub use rng::{exp_portable, Rng};

use crate::model::Typology;
use chrono::NaiveDate;
use generator::Gen;
use plant::{PlantContext, Planted};

/// Smallest population the generator accepts.
pub const MIN_ACCOUNTS: usize = 50;
/// Shortest period the generator accepts (the round-amounts instance spans 14 days).
pub const MIN_DAYS: u32 = 15;
/// Longest period the generator accepts.
pub const MAX_DAYS: u32 = 3_660;
/// Largest population the generator accepts.
pub const MAX_ACCOUNTS: usize = 5_000_000;
/// Largest accounts × days the generator accepts. The generator makes about 1.1 transactions
/// per account and day and holds them all in memory (about 110 bytes each) before writing, so
/// this bound is about 110 million transactions, 12 GB of memory and a 13 GB CSV file.
pub const MAX_ACCOUNT_DAYS: u64 = 100_000_000;
/// Most broken rows the generator appends.
pub const MAX_BAD_ROWS: usize = 1_000_000;

/// Errors from generation, writing and reading.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The configuration cannot be generated.
    #[error("invalid generator configuration: {0}")]
    Config(String),
    /// Writing or reading CSV failed.
    #[error("CSV error: {0}")]
    Csv(#[from] csv::Error),
    /// A file could not be opened.
    #[error("cannot open {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Writing output failed.
    #[error("write error: {0}")]
    Write(#[from] std::io::Error),
    /// A labels file is malformed.
    #[error("labels line {line}: {message}")]
    Labels {
        /// 1-based line number (the header is line 1).
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// Customer accounts of the bank (planted subjects included).
    pub accounts: usize,
    /// Days of activity.
    pub days: u32,
    /// Seed of every random choice.
    pub seed: u64,
    /// First day (UTC).
    pub start: NaiveDate,
    /// Typologies to plant.
    pub typologies: Vec<Typology>,
    /// Listed names to make sanctions variants from (sanctions are skipped when empty).
    pub watchlist_names: Vec<String>,
    /// Listed individuals with a full birth date: the first suitable one is planted as a
    /// customer, with a namesake that must not match (none when empty).
    pub listed_people: Vec<ListedPerson>,
    /// ISO 3166 alpha-2 code of the bank's country.
    pub home_country: String,
    /// Deliberately broken rows to append.
    pub bad_rows: usize,
    /// Instances per typology; `None` means one per 1,000 accounts, at least one.
    pub instances_per_typology: Option<usize>,
    /// Which part of a data set generated in parts this is (see [`MAX_PART`]): part 0 is what
    /// a generation without parts gives; another part is a population of its own, from its own
    /// random streams, whose account numbers, external accounts, transaction ids, customer ids
    /// and instance ids no other part uses.
    pub part: u32,
}

/// The last part a data set may have ([`GeneratorConfig::part`]): a part's account numbers
/// start with `10 + part`.
pub const MAX_PART: u32 = 89;

/// Added to a part's transaction sequence numbers (`T<part><9 digits>`): a part holds fewer
/// (at most about 110 million, by [`MAX_ACCOUNT_DAYS`]).
const PART_TXN_STRIDE: u64 = 1_000_000_000;

/// Where a part's external account counter starts (a part makes fewer of them).
pub(crate) const PART_EXTERNAL_STRIDE: u64 = 10_000_000;

/// The random stream of part `part` (part 0: the seed's own).
fn part_root(cfg: &GeneratorConfig) -> Rng {
    match cfg.part {
        0 => Rng::new(cfg.seed),
        part => Rng::new(cfg.seed).fork(0x7061_7274_0000_0000 | u64::from(part)),
    }
}

/// An id as part `part` writes it: part 0's as it is, another's with `-p<its number>` after it
/// (`-p2` for part 1, the second; parts are numbered from 1 where they are written).
pub(crate) fn in_part(id: String, part: u32) -> String {
    match part {
        0 => id,
        part => format!("{id}-p{}", part + 1),
    }
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            accounts: 1_000,
            days: 90,
            seed: 42,
            start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            typologies: Typology::ALL.to_vec(),
            watchlist_names: Vec::new(),
            listed_people: Vec::new(),
            home_country: "JM".to_string(),
            bad_rows: 0,
            instances_per_typology: None,
            part: 0,
        }
    }
}

/// Everything [`generate`] produces.
#[derive(Debug, Clone)]
pub struct SyntheticData {
    /// Transactions sorted by timestamp then id, broken rows in `raw_rows`.
    pub transactions: TxnColumns,
    /// One label per planted instance, by typology then ordinal.
    pub labels: Vec<Label>,
    /// For each label (same index), the parameters used, in one sentence.
    pub label_notes: Vec<String>,
    /// Exchange rates for `fx.csv`.
    pub fx_rates: Vec<FxRate>,
    /// Customer accounts (the denominator of per-1,000-account figures).
    pub accounts_total: u64,
    /// What was skipped and why.
    pub notes: Vec<String>,
    /// The legitimate look-alike customers (churches, savings clubs, money service businesses,
    /// offshore investors, landlords), by account index: unlabelled, so their alerts are false.
    pub lookalikes: Vec<LookAlike>,
    /// The customer file: one customer per account of ours, in account order.
    pub customers: Vec<SyntheticCustomer>,
    /// The customers planted for customer screening: the listed customer (labelled
    /// `sanctions-customer-001`) and its namesake (unlabelled: an alert on it is false).
    pub planted_customers: Vec<PlantedCustomer>,
}

fn validate(cfg: &GeneratorConfig) -> Result<(), SynthError> {
    let bad = |m: String| Err(SynthError::Config(m));
    if cfg.accounts < MIN_ACCOUNTS {
        return bad(format!(
            "accounts must be at least {MIN_ACCOUNTS} (got {})",
            cfg.accounts
        ));
    }
    if cfg.accounts > MAX_ACCOUNTS {
        return bad(format!(
            "accounts must be at most {MAX_ACCOUNTS} (got {})",
            cfg.accounts
        ));
    }
    if !(MIN_DAYS..=MAX_DAYS).contains(&cfg.days) {
        return bad(format!(
            "days must be between {MIN_DAYS} and {MAX_DAYS} (got {})",
            cfg.days
        ));
    }
    let account_days = cfg.accounts as u64 * u64::from(cfg.days);
    if account_days > MAX_ACCOUNT_DAYS {
        return bad(format!(
            "accounts × days must be at most {MAX_ACCOUNT_DAYS} (about 110 million transactions, held in memory); got {} × {} = {account_days}",
            cfg.accounts, cfg.days
        ));
    }
    if cfg.bad_rows > MAX_BAD_ROWS {
        return bad(format!(
            "bad rows must be at most {MAX_BAD_ROWS} (got {})",
            cfg.bad_rows
        ));
    }
    if let Some(instances) = cfg.instances_per_typology {
        // every planted instance takes at least two accounts of its own
        if instances > cfg.accounts / 2 {
            return bad(format!(
                "instances per typology must be at most accounts / 2 = {} (got {instances})",
                cfg.accounts / 2
            ));
        }
    }
    if cfg.part > MAX_PART {
        return bad(format!(
            "part must be at most {MAX_PART} (got {})",
            cfg.part
        ));
    }
    let cc = cfg.home_country.as_bytes();
    if cc.len() != 2 || !cc.iter().all(u8::is_ascii_uppercase) {
        return bad(format!(
            "home_country must be two upper-case letters (got `{}`)",
            cfg.home_country
        ));
    }
    Ok(())
}

/// Generates a synthetic data set. Same configuration, same output, byte for byte.
pub fn generate(cfg: &GeneratorConfig) -> Result<SyntheticData, SynthError> {
    validate(cfg)?;
    let mut notes = Vec::new();
    let items = plant::plan(cfg, &mut notes);
    if items.len() * 2 > cfg.accounts {
        return Err(SynthError::Config(format!(
            "{} planted instances need at least {} accounts (got {})",
            items.len(),
            items.len() * 2,
            cfg.accounts
        )));
    }
    let root = part_root(cfg);
    let mut gen = Gen::new(
        cfg,
        TxnColumns::default(),
        Default::default(),
        default_rates(),
    );
    let silent: Vec<bool> = items.iter().map(|i| i.needs_silent_subject()).collect();
    population::populate(&mut gen, &mut root.fork(1), &silent);
    let ranges = background::generate_background(&mut gen, &root.fork(2));
    let background_rows = gen.cols.amount.len();

    let planted = plant_all(&mut gen, &items, &ranges, &root.fork(3));
    // a part's external account numbers must stay below the next part's
    if gen.externals_made() >= PART_EXTERNAL_STRIDE {
        return Err(SynthError::Config(format!(
            "{} external accounts in one part: a part may make at most {} (generate in more parts)",
            gen.externals_made(),
            PART_EXTERNAL_STRIDE - 1
        )));
    }
    // renamed in the population and in their transactions, before the customer file is made
    let planted_customers = customers::plant_listed_customers(&mut gen, &root.fork(6), &mut notes);
    let mut customers = customers::make_customers(&gen, &root.fork(5), background_rows);
    customers::apply_planted(&mut customers, &planted_customers);
    let lookalike_syms: Vec<(Sym, LookAlikeKind)> = gen
        .pop
        .accounts
        .iter()
        .filter_map(|a| LookAlikeKind::of_role(a.role).map(|k| (a.number, k)))
        .collect();
    let mut cols = gen.cols;
    let mut new_seq = cols.sort();
    if cfg.part > 0 {
        let offset = u64::from(cfg.part) * PART_TXN_STRIDE;
        for seq in cols.txn_id.iter_mut().chain(new_seq.iter_mut()) {
            *seq += offset;
        }
    }
    let (mut labels, mut label_notes) = make_labels(&cols, &new_seq, planted, cfg.part);
    if let Some(listed) = planted_customers.iter().find(|p| p.listed) {
        let account = cols
            .symbols
            .get(gen.pop.accounts[listed.index].number)
            .to_string();
        // after the sanctions instances planted on transactions
        let at = labels
            .iter()
            .rposition(|l| l.typology == Typology::Sanctions)
            .map_or(labels.len(), |i| i + 1);
        labels.insert(
            at,
            Label {
                instance_id: in_part("sanctions-customer-001".to_string(), cfg.part),
                typology: Typology::Sanctions,
                subject_account: account.clone(),
                accounts: vec![account],
                txn_ids: Vec::new(),
            },
        );
        label_notes.insert(at, format!(
            "customer {} \"{}\" is listed {} {} \"{}\" (born {}): customer screening with its birth date confirms it",
            listed.customer_id(),
            listed.name,
            listed.person.list,
            listed.person.entry_id,
            listed.person.name,
            listed.birth_date
        ));
    }
    bad_rows::append_bad_rows(&mut cols, &mut root.fork(4), cfg.bad_rows);
    let lookalikes = lookalike_syms
        .into_iter()
        .map(|(account, kind)| LookAlike {
            account: cols.symbols.get(account).to_string(),
            kind,
        })
        .collect();
    Ok(SyntheticData {
        transactions: cols,
        labels,
        label_notes,
        fx_rates: gen.rates,
        accounts_total: cfg.accounts as u64,
        notes,
        lookalikes,
        customers,
        planted_customers,
    })
}

/// Plants every planned instance, each on its reserved subject with its own random stream.
fn plant_all(
    gen: &mut Gen<'_>,
    items: &[plant::PlanItem],
    ranges: &[(usize, usize)],
    plant_rng: &Rng,
) -> Vec<(plant::PlanItem, Planted)> {
    let mut planted = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let subject = gen.pop.reserved[n];
        let mut rng = plant_rng.fork(((item.typology as u64) << 32) | item.ordinal as u64);
        let mut ctx = PlantContext {
            item: *item,
            subject,
            background: ranges[subject],
            rng: &mut rng,
        };
        let result = plant::plant(gen, &mut ctx);
        planted.push((*item, result));
    }
    planted
}

/// Turns planted instances into labels, mapping creation indices to the sorted transaction ids.
fn make_labels(
    cols: &TxnColumns,
    new_seq: &[u64],
    planted: Vec<(plant::PlanItem, Planted)>,
    part: u32,
) -> (Vec<Label>, Vec<String>) {
    let mut labels = Vec::with_capacity(planted.len());
    let mut notes = Vec::with_capacity(planted.len());
    for (item, p) in planted {
        let mut seqs: Vec<u64> = p.txns.iter().map(|&r| new_seq[r]).collect();
        seqs.sort_unstable();
        labels.push(Label {
            instance_id: in_part(
                format!("{}-{:03}", item.typology.as_str(), item.ordinal + 1),
                part,
            ),
            typology: item.typology,
            subject_account: cols.symbols.get(p.subject).to_string(),
            accounts: p
                .accounts
                .iter()
                .map(|&a| cols.symbols.get(a).to_string())
                .collect(),
            txn_ids: seqs.into_iter().map(txn_id_text).collect(),
        });
        notes.push(p.note);
    }
    (labels, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sizes are checked before anything is allocated (a check that regressed would make
    /// these configurations allocate, so they are tested on `validate` alone).
    #[test]
    fn sizes_beyond_the_documented_bounds_are_refused_up_front() {
        let refused = |cfg: GeneratorConfig, words: &str| match validate(&cfg) {
            Err(SynthError::Config(message)) => {
                assert!(message.contains(words), "{message}")
            }
            other => panic!("expected a refusal with `{words}`, got {other:?}"),
        };
        let base = GeneratorConfig::default();
        refused(
            GeneratorConfig {
                accounts: MAX_ACCOUNTS + 1,
                ..base.clone()
            },
            "accounts must be at most 5000000",
        );
        refused(
            GeneratorConfig {
                accounts: 2_000_000,
                days: 51,
                ..base.clone()
            },
            "accounts × days must be at most 100000000",
        );
        refused(
            GeneratorConfig {
                bad_rows: MAX_BAD_ROWS + 1,
                ..base.clone()
            },
            "bad rows must be at most 1000000",
        );
        refused(
            GeneratorConfig {
                instances_per_typology: Some(1_000_000_000_000),
                ..base.clone()
            },
            "instances per typology must be at most accounts / 2 = 500",
        );
        // the bounds themselves are accepted
        for cfg in [
            GeneratorConfig {
                accounts: MAX_ACCOUNTS,
                days: 20,
                bad_rows: MAX_BAD_ROWS,
                instances_per_typology: Some(MAX_ACCOUNTS / 2),
                ..base.clone()
            },
            GeneratorConfig {
                accounts: 27_322,
                days: MAX_DAYS,
                ..base
            },
        ] {
            assert!(validate(&cfg).is_ok(), "{cfg:?}");
        }
    }
}
