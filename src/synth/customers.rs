//! The customer file of a generated data set (`customers.csv`): one customer per account of
//! ours, with what a bank's KYC records hold (type, birth or incorporation date, nationality,
//! residence, identity documents, segment, the monthly volume declared at onboarding and the
//! onboarding date). Drawn from its own random stream, so the transactions do not change.
//!
//! Segments follow what each customer is: private persons (planted subjects included) are
//! `retail`, cash-heavy shops `cash_intensive_business`, money service businesses `msb`,
//! churches `npo`, other companies `business`. The declared monthly volume is what the account
//! usually moves (1 to 2.5 times its background's money in and out per 30 days, at least
//! 500.00): a planted subject declares its quiet background's, as a mule declares an ordinary
//! person's.

use super::generator::Gen;
use super::population::Role;
use super::rng::Rng;
use crate::model::MICROS_PER_UNIT;

/// One generated customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticCustomer {
    pub customer_id: String,
    pub account: String,
    pub name: String,
    /// `person` or `entity`.
    pub kind: &'static str,
    /// `YYYY-MM-DD` (persons), `YYYY` or `YYYY-MM-DD` (entities' incorporation).
    pub birth_date: String,
    /// ISO alpha-2; empty for entities.
    pub nationality: String,
    pub country: String,
    /// `;`-joined.
    pub id_numbers: String,
    pub segment: &'static str,
    /// Micros of USD.
    pub expected_monthly_volume: i64,
    /// `YYYY-MM-DD`, before the data starts.
    pub onboarded: String,
}

/// Header of `customers.csv`.
pub const CUSTOMERS_HEADER: &str = "customer_id,accounts,name,type,birth_date,nationality,country,id_numbers,segment,expected_monthly_volume,onboarded";

/// Nationalities of the customers born abroad.
const FOREIGN_NATIONALITIES: &[&str] =
    &["US", "GB", "CA", "TT", "HT", "DO", "CN", "IN", "VE", "NG"];

/// Each account's money in and out per 30 days over the first `rows` rows (the background,
/// before anything is planted), in whole US dollars (JMD converted at the generator's rate).
fn background_monthly(gen: &Gen<'_>, rows: usize) -> std::collections::HashMap<u32, i64> {
    let mut totals: std::collections::HashMap<u32, i128> = std::collections::HashMap::new();
    let cols = &gen.cols;
    for i in 0..rows.min(cols.amount.len()) {
        let usd = if cols.currency[i] == gen.cur.jmd {
            (cols.amount[i] as f64 / super::background::JMD_PER_USD) as i128
        } else {
            i128::from(cols.amount[i])
        };
        for account in [cols.orig_account[i], cols.bene_account[i]] {
            *totals.entry(account.0).or_default() += usd;
        }
    }
    let days = i128::from(gen.days().max(1));
    totals
        .into_iter()
        .map(|(k, v)| (k, (v * 30 / days / i128::from(MICROS_PER_UNIT)) as i64))
        .collect()
}

/// The customers of the generated population, in account order. `background_rows`: the rows
/// generated before any instance was planted; an honest customer declares 1 to 2.5 times its
/// usual monthly volume (at least 500.00), a planted subject its quiet background's.
pub fn make_customers(gen: &Gen<'_>, rng: &Rng, background_rows: usize) -> Vec<SyntheticCustomer> {
    let home = gen.cfg.home_country.clone();
    let start = gen.cfg.start;
    let usual = background_monthly(gen, background_rows);
    gen.pop
        .accounts
        .iter()
        .enumerate()
        .map(|(index, account)| {
            let mut r = rng.fork(index as u64);
            let name = gen.cols.symbols.get(account.name).to_string();
            let company = name.ends_with(" LTD")
                || name.ends_with(" LLC")
                || name.ends_with(" INC")
                || name.ends_with(" SA");
            let (kind, segment) = match account.role {
                Role::Individual | Role::SavingsClub => ("person", "retail"),
                Role::CashRetail => ("entity", "cash_intensive_business"),
                Role::Merchant | Role::Employer | Role::Importer | Role::Trader => {
                    ("entity", "business")
                }
                Role::Church => ("entity", "npo"),
                Role::MoneyService => ("entity", "msb"),
                Role::Investor | Role::Landlord if company => ("entity", "business"),
                Role::Investor | Role::Landlord => ("person", "retail"),
            };
            let monthly = usual.get(&account.number.0).copied().unwrap_or(0);
            let volume = ((monthly as f64 * (1.0 + 1.5 * r.unit())).round() as i64).max(500);
            let (birth_date, nationality, id_numbers) = if kind == "person" {
                let year = 1945 + r.index(60);
                let nationality = if r.chance(0.88) {
                    home.clone()
                } else {
                    r.pick(FOREIGN_NATIONALITIES).to_string()
                };
                let mut ids = vec![format!("{nationality}{:08}", r.index(100_000_000))];
                if r.chance(0.3) {
                    ids.push(format!("P{:07}", r.index(10_000_000)));
                }
                (
                    format!("{year}-{:02}-{:02}", 1 + r.index(12), 1 + r.index(28)),
                    nationality,
                    ids.join(";"),
                )
            } else {
                let year = 1960 + r.index(63);
                let date = if r.chance(0.5) {
                    year.to_string()
                } else {
                    format!("{year}-{:02}-{:02}", 1 + r.index(12), 1 + r.index(28))
                };
                (
                    date,
                    String::new(),
                    format!("REG-{:06}", r.index(1_000_000)),
                )
            };
            let onboarded = start - chrono::Days::new(30 + r.index(6_000) as u64);
            SyntheticCustomer {
                customer_id: format!("CUS-{index:06}"),
                account: gen.cols.symbols.get(account.number).to_string(),
                name,
                kind,
                birth_date,
                nationality,
                country: home.clone(),
                id_numbers,
                segment,
                expected_monthly_volume: volume * MICROS_PER_UNIT,
                onboarded: onboarded.format("%Y-%m-%d").to_string(),
            }
        })
        .collect()
}

/// Rows that break the customer file's rules, one per quarantine reason after the malformed
/// row, which comes last (a quote never closed swallows the end of the file).
const BAD_CUSTOMER_ROWS: &[&str] = &[
    "CUS-BAD-1,,No Accounts Held,person,,,,,,,",
    "CUS-BAD-2,BAD-ACC-2,Bad Type,trustee,,,,,,,",
    "CUS-BAD-3,BAD-ACC-3,Bad Birth Date,person,1971-02-30,,,,,,",
    "CUS-BAD-4,BAD-ACC-4,Bad Nationality,person,,XX,,,,,",
    "CUS-BAD-5,BAD-ACC-5,Bad Segment,person,,,,,casino,,",
    "CUS-BAD-6,BAD-ACC-6,Bad Volume,person,,,,,,-100.00,",
    "CUS-000000,BAD-ACC-7,Duplicate Customer Id,person,,,,,,,",
    "CUS-BAD-8,BAD-ACC-8,\"Quote Never Closed,person,,,,,,,",
];

/// Writes `customers.csv` in customer order, then, when `bad_rows`, one bad row per
/// quarantine reason.
pub fn write_customers_csv<W: std::io::Write>(
    mut w: W,
    customers: &[SyntheticCustomer],
    bad_rows: bool,
) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(&mut w);
    out.write_record(CUSTOMERS_HEADER.split(','))?;
    for c in customers {
        let volume = crate::model::format_money(i128::from(c.expected_monthly_volume));
        out.write_record([
            c.customer_id.as_str(),
            &c.account,
            &c.name,
            c.kind,
            &c.birth_date,
            &c.nationality,
            &c.country,
            &c.id_numbers,
            c.segment,
            &volume,
            &c.onboarded,
        ])?;
    }
    out.flush()?;
    drop(out);
    if bad_rows {
        for row in BAD_CUSTOMER_ROWS {
            writeln!(w, "{row}")?;
        }
    }
    Ok(())
}
