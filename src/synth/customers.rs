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
//!
//! With listed people to draw on ([`super::GeneratorConfig::listed_people`], the individuals of
//! the watchlists with a full birth date), two ordinary individuals are renamed once the
//! transactions are made, in their transactions too (the random streams are untouched): a
//! **listed customer**,
//! whose name is a variant of the first suitable listed person's (a name of two to four parts,
//! with a nationality when one has it; given names first, title
//! case, a middle name left out when there are three or more parts, else a letter doubled when
//! the list already writes given names first) with that person's birth
//! date and nationality, so that screening with identity facts confirms the match; and a
//! **namesake**, with the very same name but born 23 years apart and of another nationality, so
//! that the facts discount it. See [`plant_listed_customers`].

use super::generator::Gen;
use super::population::{Reserve, Role};
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
                customer_id: super::in_part(format!("CUS-{index:06}"), gen.cfg.part),
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

/// A listed individual the generator can plant as a customer: an entry of the watchlists with a
/// birth date known to the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPerson {
    pub list: String,
    pub entry_id: String,
    /// The entry's primary name as the list writes it (`HASSAN, Karim Abdul`).
    pub name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// The entry's first nationality (ISO alpha-2), empty when the list gives none.
    pub nationality: String,
}

/// A customer planted for customer screening: the listed person, or the namesake that must not
/// match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantedCustomer {
    /// Index of the account in the population (its customer is `CUS-<index>`).
    pub index: usize,
    /// The part of the data set ([`super::GeneratorConfig::part`]).
    pub part: u32,
    /// `true` for the listed customer, `false` for the namesake.
    pub listed: bool,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub nationality: String,
    /// The listed person it is modelled on.
    pub person: ListedPerson,
}

impl PlantedCustomer {
    /// The customer id `make_customers` gives it.
    pub fn customer_id(&self) -> String {
        super::in_part(format!("CUS-{:06}", self.index), self.part)
    }
}

/// `Karim Abdul Hassan` from `HASSAN, Karim Abdul` (given names first), every part in title
/// case.
fn given_first_title_case(name: &str) -> Vec<String> {
    let ordered = match name.split_once(',') {
        Some((surname, given)) => format!("{} {}", given.trim(), surname.trim()),
        None => name.trim().to_string(),
    };
    ordered
        .split_whitespace()
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect()
}

/// Renames two ordinary individuals (no planted role, not a look-alike, their name written only
/// beside their own account) and their transactions into a listed customer
/// and its namesake, modelled on the first listed person whose name has two to four parts and
/// who has a nationality (else the first whose name has two to four parts; see the module
/// docs). Returns them (listed first), or nothing, with a note, when no listed person
/// or no two ordinary individuals are available.
pub fn plant_listed_customers(
    gen: &mut Gen<'_>,
    rng: &Rng,
    notes: &mut Vec<String>,
) -> Vec<PlantedCustomer> {
    // a person whose nationality is listed too, when there is one: both facts then confirm
    let suitable = |p: &&ListedPerson| (2..=4).contains(&given_first_title_case(&p.name).len());
    let people = &gen.cfg.listed_people;
    let Some(person) = people
        .iter()
        .filter(suitable)
        .find(|p| !p.nationality.is_empty())
        .or_else(|| people.iter().find(suitable))
        .cloned()
    else {
        if !gen.cfg.listed_people.is_empty() {
            notes.push(
                "listed customer: not planted, no listed person has a name of two to four parts"
                    .to_string(),
            );
        }
        return Vec::new();
    };
    // an ordinary individual whose name the transactions write only beside its own account: a
    // name also written without an account (a cash deposit into a savings club, a shop's
    // takings banked by staff) or beside another account could not be told from another
    // person of that name
    let mut seen_with: std::collections::HashMap<u32, (u32, bool)> = Default::default();
    let cols = &gen.cols;
    for (names, accounts) in [
        (&cols.orig_name, &cols.orig_account),
        (&cols.bene_name, &cols.bene_account),
    ] {
        for (name, account) in names.iter().zip(accounts.iter()) {
            let entry = seen_with.entry(name.0).or_insert((account.0, true));
            if entry.0 != account.0 {
                entry.1 = false;
            }
        }
    }
    let candidates: Vec<usize> = gen
        .pop
        .accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.role == Role::Individual && a.reserve == Reserve::None)
        .filter(|(_, a)| seen_with.get(&a.name.0) == Some(&(a.number.0, true)))
        .map(|(i, _)| i)
        .collect();
    if candidates.len() < 2 {
        notes.push("listed customer: not planted, fewer than two ordinary individuals".to_string());
        return Vec::new();
    }
    let mut r = rng.fork(0);
    let listed_at = r.index(candidates.len());
    let namesake_at = (listed_at + 1 + r.index(candidates.len() - 1)) % candidates.len();
    let mut parts = given_first_title_case(&person.name);
    let change = if parts.len() >= 3 {
        parts.remove(1);
        "given names first, a middle name left out"
    } else if person.name.contains(',') {
        "given names first"
    } else {
        // a letter doubled in the middle of the longest part (`Katanga` → `Kattanga`)
        let longest = (0..parts.len())
            .max_by_key(|&i| (parts[i].chars().count(), usize::MAX - i))
            .unwrap_or(0);
        let chars: Vec<char> = parts[longest].chars().collect();
        let at = chars.len() / 2;
        parts[longest] = chars[..=at].iter().chain(&chars[at..]).collect();
        "a letter doubled"
    };
    let name = parts.join(" ");
    let year: i32 = person.birth_date[..4].parse().unwrap_or(1970);
    let latest = chrono::Datelike::year(&gen.cfg.start) - 18;
    let namesake_year = if year + 23 <= latest {
        year + 23
    } else {
        year - 23
    };
    let namesake_nationality = if person.nationality == gen.cfg.home_country {
        "GB".to_string()
    } else {
        gen.cfg.home_country.clone()
    };
    // a February 29 moved to a year that has none is the 28th
    let month_day = match &person.birth_date[4..] {
        "-02-29" => "-02-28".to_string(),
        md => md.to_string(),
    };
    let planted = vec![
        PlantedCustomer {
            index: candidates[listed_at],
            part: gen.cfg.part,
            listed: true,
            name: name.clone(),
            birth_date: person.birth_date.clone(),
            nationality: person.nationality.clone(),
            person: person.clone(),
        },
        PlantedCustomer {
            index: candidates[namesake_at],
            part: gen.cfg.part,
            listed: false,
            name: name.clone(),
            birth_date: format!("{namesake_year}{month_day}"),
            nationality: namesake_nationality,
            person: person.clone(),
        },
    ];
    let symbol = gen.sym(&name);
    for p in &planted {
        let account = gen.pop.accounts[p.index];
        gen.pop.accounts[p.index].name = symbol;
        let cols = &mut gen.cols;
        for i in 0..cols.orig_name.len() {
            if cols.orig_account[i] == account.number && cols.orig_name[i] == account.name {
                cols.orig_name[i] = symbol;
            }
            if cols.bene_account[i] == account.number && cols.bene_name[i] == account.name {
                cols.bene_name[i] = symbol;
            }
        }
    }
    notes.push(format!(
        "listed customer: {} \"{name}\" ({change} of {} {} \"{}\"), born {}{}; namesake {} with the same name, born {}, nationality {}",
        planted[0].customer_id(),
        person.list,
        person.entry_id,
        person.name,
        person.birth_date,
        if person.nationality.is_empty() {
            String::new()
        } else {
            format!(", nationality {}", person.nationality)
        },
        planted[1].customer_id(),
        planted[1].birth_date,
        planted[1].nationality
    ));
    planted
}

/// Gives the planted customers their birth dates and nationalities (their names are their
/// accounts').
pub fn apply_planted(customers: &mut [SyntheticCustomer], planted: &[PlantedCustomer]) {
    for p in planted {
        if let Some(c) = customers.get_mut(p.index) {
            c.birth_date = p.birth_date.clone();
            c.nationality = p.nationality.clone();
        }
    }
}
