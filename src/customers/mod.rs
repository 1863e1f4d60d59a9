//! Customers: the bank's or the FIU's know-your-customer file, so that rules know whom they look
//! at and screening can use what is known besides a name.
//!
//! A customer file (CSV or Parquet, through a mapping profile like transactions) has one row per
//! customer: `customer_id`, `accounts` (`;`-joined), `name`, and optionally `type` (person or
//! entity), `birth_date` (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`; the incorporation date of an
//! entity), `nationality` and `country` (residence; ISO 3166 alpha-2), `id_numbers`
//! (`;`-joined), `segment` (see [`crate::rules::segments::VOCABULARY`]),
//! `expected_monthly_volume` (money in the base currency) and `onboarded` (`YYYY-MM-DD`). Rows
//! that break these rules are quarantined with a reason, never defaulted; the others are kept in
//! `customer_id` order.

pub mod index;
pub mod rescreen;
pub mod risk;

use crate::ingest::{column_as_text, find_header, MappingProfile};
use crate::rules::segments::{Segments, VOCABULARY};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The canonical columns of a customer file, in this order.
pub const CUSTOMER_COLUMNS: [&str; 11] = [
    "customer_id",
    "accounts",
    "name",
    "type",
    "birth_date",
    "nationality",
    "country",
    "id_numbers",
    "segment",
    "expected_monthly_volume",
    "onboarded",
];

/// The columns every customer file must have.
pub const REQUIRED_CUSTOMER_COLUMNS: [&str; 3] = ["customer_id", "accounts", "name"];

/// Errors that stop reading a customer file (a bad row is quarantined, not an error).
#[derive(Debug, Error)]
pub enum CustomerError {
    #[error("customer file {file}: {source}")]
    Unreadable {
        file: String,
        #[source]
        source: crate::ingest::IngestError,
    },
    #[error("customer file {file}: missing required column `{column}`; the file has: {found}")]
    MissingColumn {
        file: String,
        column: String,
        found: String,
    },
    #[error("customer file {file}: cannot read column `{column}`: {source}")]
    Column {
        file: String,
        column: String,
        #[source]
        source: PolarsError,
    },
}

/// A person or an entity (company, trust, association).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CustomerType {
    Person,
    Entity,
}

impl CustomerType {
    /// `person` or `entity`.
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerType::Person => "person",
            CustomerType::Entity => "entity",
        }
    }

    /// `person`/`individual`, or `entity`/`company`/`organisation`/`organization`/`business`,
    /// in any case.
    pub fn parse(text: &str) -> Option<CustomerType> {
        match text.trim().to_ascii_lowercase().as_str() {
            "person" | "individual" => Some(CustomerType::Person),
            "entity" | "company" | "organisation" | "organization" | "business" => {
                Some(CustomerType::Entity)
            }
            _ => None,
        }
    }
}

/// One customer as accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub customer_id: String,
    /// The accounts the customer holds, as written, in file order.
    pub accounts: Vec<String>,
    pub name: String,
    pub kind: Option<CustomerType>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, checked.
    pub birth_date: Option<String>,
    /// ISO 3166 alpha-2, upper case (the file may write an alpha-2 or alpha-3 code or an
    /// English name).
    pub nationality: Option<String>,
    /// Country of residence (of incorporation, for an entity), ISO 3166 alpha-2.
    pub country: Option<String>,
    pub id_numbers: Vec<String>,
    /// One of [`VOCABULARY`].
    pub segment: Option<String>,
    /// Micros of the base currency, more than 0.
    pub expected_monthly_volume: Option<i64>,
    /// `YYYY-MM-DD`.
    pub onboarded: Option<String>,
    /// 1-based data row of the file (the header is not counted).
    pub row: u64,
}

/// Why a customer row was quarantined, in the order the checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CustomerQuarantineReason {
    MalformedRow,
    MissingRequired,
    BadType,
    BadDate,
    BadCountry,
    UnknownSegment,
    BadAmount,
    DuplicateCustomerId,
}

impl CustomerQuarantineReason {
    /// Every reason, in the order they are checked.
    pub const ALL: [CustomerQuarantineReason; 8] = [
        CustomerQuarantineReason::MalformedRow,
        CustomerQuarantineReason::MissingRequired,
        CustomerQuarantineReason::BadType,
        CustomerQuarantineReason::BadDate,
        CustomerQuarantineReason::BadCountry,
        CustomerQuarantineReason::UnknownSegment,
        CustomerQuarantineReason::BadAmount,
        CustomerQuarantineReason::DuplicateCustomerId,
    ];

    /// The code written to `customers_quarantine.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerQuarantineReason::MalformedRow => "malformed_row",
            CustomerQuarantineReason::MissingRequired => "missing_required",
            CustomerQuarantineReason::BadType => "bad_type",
            CustomerQuarantineReason::BadDate => "bad_date",
            CustomerQuarantineReason::BadCountry => "bad_country",
            CustomerQuarantineReason::UnknownSegment => "unknown_segment",
            CustomerQuarantineReason::BadAmount => "bad_amount",
            CustomerQuarantineReason::DuplicateCustomerId => "duplicate_customer_id",
        }
    }
}

/// One rejected customer row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerQuarantine {
    pub file: String,
    pub row: u64,
    pub customer_id: String,
    /// The canonical column at fault.
    pub column: &'static str,
    /// The value as read, or what is wrong with a malformed record.
    pub value: String,
    pub reason: CustomerQuarantineReason,
    /// The row's name as read (empty for a malformed record): a quarantined customer is still
    /// screened by name.
    pub name: String,
    /// The row's accounts as read (`;`-split, trimmed, empty ones left out; none for a
    /// malformed record): a sanctions hit on a quarantined row alerts on them.
    pub accounts: Vec<String>,
}

/// An account several customers hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JointAccount {
    pub account: String,
    /// The holders' ids, in `customer_id` order.
    pub holders: Vec<String>,
    /// Where the holders disagree on what the rules read.
    pub conflicts: Vec<JointConflict>,
}

/// Holders of one account that give it different values of one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JointConflict {
    /// `segment` or `expected_monthly_volume`.
    pub field: &'static str,
    /// `customer=value` of each holder that gives one, `; `-joined.
    pub given: String,
    /// The holder whose value the rules use (the first by `customer_id` that gives one).
    pub used: String,
}

/// A name as compared to tell whether a transaction writes a customer's own name (as the
/// customer file writes it): lower case, words separated by one space.
pub(crate) fn name_key(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A loaded customer file.
#[derive(Debug, Clone, Default)]
pub struct Customers {
    /// Accepted customers, in `customer_id` order.
    pub list: Vec<Customer>,
    pub quarantine: Vec<CustomerQuarantine>,
    /// The file as given, and its SHA-256.
    pub file: PathBuf,
    pub sha256: String,
    pub rows_read: u64,
    /// The accounts several accepted customers hold (see [`Customers::joint_accounts`]).
    pub joint: Vec<JointAccount>,
}

impl Customers {
    /// The customers holding `account` (a joint account has several), in `customer_id` order.
    pub fn holders<'a>(&'a self, account: &'a str) -> impl Iterator<Item = &'a Customer> + 'a {
        self.list
            .iter()
            .filter(move |c| c.accounts.iter().any(|a| a == account))
    }

    /// The accounts held by more than one customer, in account order, with where their
    /// holders disagree (found once, when the file is loaded).
    pub fn joint_accounts(&self) -> &[JointAccount] {
        &self.joint
    }

    /// Each account's customer (the first by `customer_id` for a joint account).
    pub fn by_account(&self) -> BTreeMap<&str, &Customer> {
        let mut out = BTreeMap::new();
        for customer in &self.list {
            for account in &customer.accounts {
                out.entry(account.as_str()).or_insert(customer);
            }
        }
        out
    }

    /// The accounts' segments as the file gives them: an account's is its first customer's (by
    /// `customer_id`) that has a segment.
    pub fn segments(&self) -> Segments {
        let mut assigned: BTreeMap<&str, (&str, String)> = BTreeMap::new();
        for customer in &self.list {
            let Some(segment) = &customer.segment else {
                continue;
            };
            for account in &customer.accounts {
                assigned.entry(account.as_str()).or_insert((
                    segment.as_str(),
                    format!(
                        "customer file: {} (row {})",
                        customer.customer_id, customer.row
                    ),
                ));
            }
        }
        Segments::given(
            assigned.into_iter().map(|(account, (segment, basis))| {
                (account.to_string(), segment.to_string(), basis)
            }),
        )
    }

    /// Each account's declared monthly volume: its first customer's (by `customer_id`) that
    /// declares one.
    pub fn expected_volumes(&self) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for customer in &self.list {
            if let Some(volume) = customer.expected_monthly_volume {
                for account in &customer.accounts {
                    out.entry(account.clone()).or_insert(volume);
                }
            }
        }
        out
    }

    /// What the rules read of the file: its segments, declared volumes and who holds each
    /// account.
    pub fn engine_context(&self) -> crate::rules::EngineContext {
        crate::rules::EngineContext {
            segments: Some(std::sync::Arc::new(self.segments())),
            expected_monthly_volume: Some(std::sync::Arc::new(self.expected_volumes())),
            customer_of: Some(std::sync::Arc::new(
                self.by_account()
                    .into_iter()
                    .map(|(a, c)| (a.to_string(), c.customer_id.clone()))
                    .collect(),
            )),
            ..Default::default()
        }
    }

    /// How many rows were quarantined for each reason (every reason, zeros included).
    pub fn quarantined_by_reason(&self) -> BTreeMap<&'static str, u64> {
        let mut counts: BTreeMap<&'static str, u64> = CustomerQuarantineReason::ALL
            .iter()
            .map(|r| (r.as_str(), 0))
            .collect();
        for q in &self.quarantine {
            *counts.entry(q.reason.as_str()).or_default() += 1;
        }
        counts
    }
}

/// Checks a partial date, `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (see
/// [`crate::watchlist::PartialDate`]); returns it as written (trimmed).
pub fn check_partial_date(text: &str) -> Result<String, String> {
    crate::watchlist::PartialDate::parse(text).map(|_| text.trim().to_string())
}

/// Where a canonical column's values come from in one file.
enum ColumnValues {
    Text(StringChunked),
    Joined(Vec<StringChunked>, String),
    Constant(String),
    Absent,
}

impl ColumnValues {
    fn get(&self, row: usize) -> String {
        match self {
            ColumnValues::Text(c) => c.get(row).unwrap_or("").to_string(),
            ColumnValues::Joined(parts, sep) => parts
                .iter()
                .map(|c| c.get(row).unwrap_or(""))
                .collect::<Vec<_>>()
                .join(sep),
            ColumnValues::Constant(v) => v.clone(),
            ColumnValues::Absent => String::new(),
        }
    }
}

/// Reads a customer file (CSV, gzip CSV or Parquet), through `profile` when given, with
/// `delimiter` for CSV. Bad rows are quarantined; a missing required column or an unreadable
/// file is an error.
pub fn load_customers(
    path: &Path,
    profile: Option<&MappingProfile>,
    delimiter: u8,
) -> Result<Customers, CustomerError> {
    use crate::ingest::profile::{ColumnSpec, ConcatSpec, PositionSpec, SourceColumn};
    let file = path.display().to_string();
    let unreadable = |source| CustomerError::Unreadable {
        file: file.clone(),
        source,
    };
    let sha256 = crate::ingest::sha256_file(path)
        .map_err(|e| unreadable(crate::ingest::IngestError::unreadable(&file, e)))?;
    let raw = crate::ingest::source::read_raw(path, delimiter).map_err(unreadable)?;
    let frame = &raw.frame;
    let headers = || {
        frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let missing = |column: &str| CustomerError::MissingColumn {
        file: file.clone(),
        column: column.to_string(),
        found: headers(),
    };
    let text_of = |column: &str, index: usize| {
        column_as_text(frame, index).map_err(|source| CustomerError::Column {
            file: file.clone(),
            column: column.to_string(),
            source,
        })
    };
    let index_of = |column: &str, source: &SourceColumn| -> Result<usize, CustomerError> {
        match source {
            SourceColumn::Position(p) if *p >= 1 && *p <= frame.width() => Ok(p - 1),
            SourceColumn::Position(_) => Err(missing(column)),
            SourceColumn::Name(n) => find_header(frame, n).ok_or_else(|| missing(column)),
        }
    };
    let mut values = Vec::with_capacity(CUSTOMER_COLUMNS.len());
    for column in CUSTOMER_COLUMNS {
        let spec = profile.and_then(|p| p.columns.get(column));
        let constant = profile.and_then(|p| p.constants.get(column));
        let v = match (spec, constant) {
            (Some(ColumnSpec::Name(n)), _) => ColumnValues::Text(text_of(
                column,
                index_of(column, &SourceColumn::Name(n.clone()))?,
            )?),
            (Some(ColumnSpec::Position(PositionSpec { position })), _) => {
                ColumnValues::Text(text_of(
                    column,
                    index_of(column, &SourceColumn::Position(*position))?,
                )?)
            }
            (Some(ColumnSpec::Concat(ConcatSpec { concat, separator })), _) => {
                let mut parts = Vec::new();
                for source in concat {
                    parts.push(text_of(column, index_of(column, source)?)?);
                }
                ColumnValues::Joined(parts, separator.clone())
            }
            (None, Some(value)) => ColumnValues::Constant(value.clone()),
            (None, None) => match find_header(frame, column) {
                Some(i) => ColumnValues::Text(text_of(column, i)?),
                None => ColumnValues::Absent,
            },
        };
        if matches!(v, ColumnValues::Absent) && REQUIRED_CUSTOMER_COLUMNS.contains(&column) {
            return Err(missing(column));
        }
        values.push(v);
    }
    let mut quarantine: Vec<CustomerQuarantine> = raw
        .malformed
        .iter()
        .map(|m| CustomerQuarantine {
            file: file.clone(),
            row: m.row,
            customer_id: String::new(),
            column: "",
            value: m.problem.clone(),
            reason: CustomerQuarantineReason::MalformedRow,
            name: String::new(),
            accounts: Vec::new(),
        })
        .collect();
    let mut accepted: Vec<Customer> = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..frame.height() {
        let row = raw
            .row_numbers
            .as_ref()
            .map_or(i as u64 + 1, |rows| rows[i]);
        let field = |column: &str| -> String {
            let at = CUSTOMER_COLUMNS
                .iter()
                .position(|c| *c == column)
                .unwrap_or(0);
            let raw = values[at].get(i);
            profile.map_or(raw.clone(), |p| p.map_value(column, &raw).to_string())
        };
        let customer_id = field("customer_id").trim().to_string();
        let bad = |column: &'static str, value: String, reason| CustomerQuarantine {
            file: file.clone(),
            row,
            customer_id: customer_id.clone(),
            column,
            value,
            reason,
            name: field("name").trim().to_string(),
            accounts: split_accounts(&field("accounts")),
        };
        match check_row(&field, &customer_id, row, &seen) {
            Ok(customer) => {
                seen.insert(customer.customer_id.clone(), row);
                accepted.push(customer);
            }
            Err((column, value, reason)) => quarantine.push(bad(column, value, reason)),
        }
    }
    quarantine.sort_by_key(|q| q.row);
    accepted.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
    Ok(Customers {
        rows_read: accepted.len() as u64 + quarantine.len() as u64,
        joint: find_joint_accounts(&accepted),
        list: accepted,
        quarantine,
        file: path.to_path_buf(),
        sha256,
    })
}

/// The accounts held by more than one customer, in account order, with where their
/// holders disagree on what the rules read of an account (its segment, its declared
/// monthly volume): the rules take the first holder's by `customer_id` that gives one, and
/// the run says so.
fn find_joint_accounts(list: &[Customer]) -> Vec<JointAccount> {
    let mut holders: BTreeMap<&str, Vec<&Customer>> = BTreeMap::new();
    for customer in list {
        for account in &customer.accounts {
            let list = holders.entry(account.as_str()).or_default();
            if !list.iter().any(|c| c.customer_id == customer.customer_id) {
                list.push(customer);
            }
        }
    }
    holders
        .into_iter()
        .filter(|(_, list)| list.len() > 1)
        .map(|(account, list)| {
            let mut conflicts = Vec::new();
            let segments: Vec<(&str, String)> = list
                .iter()
                .filter_map(|c| Some((c.customer_id.as_str(), c.segment.clone()?)))
                .collect();
            let volumes: Vec<(&str, String)> = list
                .iter()
                .filter_map(|c| {
                    Some((
                        c.customer_id.as_str(),
                        crate::model::format_money(i128::from(c.expected_monthly_volume?)),
                    ))
                })
                .collect();
            for (field, given) in [("segment", segments), ("expected_monthly_volume", volumes)] {
                if given.iter().any(|(_, v)| *v != given[0].1) {
                    conflicts.push(JointConflict {
                        field,
                        given: given
                            .iter()
                            .map(|(c, v)| format!("{c}={v}"))
                            .collect::<Vec<_>>()
                            .join("; "),
                        used: given[0].0.to_string(),
                    });
                }
            }
            JointAccount {
                account: account.to_string(),
                holders: list.iter().map(|c| c.customer_id.clone()).collect(),
                conflicts,
            }
        })
        .collect()
}

type RowProblem = (&'static str, String, CustomerQuarantineReason);

/// The accounts of an `accounts` field: `;`-split, trimmed, empty ones left out, an account
/// named twice held once, in file order.
fn split_accounts(text: &str) -> Vec<String> {
    let mut accounts: Vec<String> = Vec::new();
    for a in text.split(';').map(str::trim) {
        if !a.is_empty() && !accounts.iter().any(|b| b == a) {
            accounts.push(a.to_string());
        }
    }
    accounts
}

/// Checks one row's fields in the order of [`CustomerQuarantineReason::ALL`].
fn check_row(
    field: &dyn Fn(&str) -> String,
    customer_id: &str,
    row: u64,
    seen: &BTreeMap<String, u64>,
) -> Result<Customer, RowProblem> {
    use CustomerQuarantineReason as R;
    let accounts = split_accounts(&field("accounts"));
    let name = field("name").trim().to_string();
    for (column, empty) in [
        ("customer_id", customer_id.is_empty()),
        ("accounts", accounts.is_empty()),
        ("name", name.is_empty()),
    ] {
        if empty {
            return Err((column, field(column), R::MissingRequired));
        }
    }
    let optional = |column: &str| {
        let v = field(column).trim().to_string();
        (!v.is_empty()).then_some(v)
    };
    let kind = match optional("type") {
        None => None,
        Some(t) => Some(CustomerType::parse(&t).ok_or(("type", t, R::BadType))?),
    };
    let birth_date = match optional("birth_date") {
        None => None,
        Some(d) => Some(check_partial_date(&d).map_err(|_| ("birth_date", d, R::BadDate))?),
    };
    let onboarded = match optional("onboarded") {
        None => None,
        Some(d) => {
            let full = check_partial_date(&d).ok().filter(|v| v.len() == 10);
            Some(full.ok_or(("onboarded", d, R::BadDate))?)
        }
    };
    let country = |column: &'static str| -> Result<Option<String>, RowProblem> {
        match optional(column) {
            None => Ok(None),
            Some(c) => match crate::watchlist::country_code(&c) {
                Some(code) => Ok(Some(code.to_string())),
                None => Err((column, c, R::BadCountry)),
            },
        }
    };
    let nationality = country("nationality")?;
    let residence = country("country")?;
    let segment = match optional("segment") {
        None => None,
        Some(s) => {
            let lower = s.to_ascii_lowercase();
            if VOCABULARY.contains(&lower.as_str()) {
                Some(lower)
            } else {
                return Err(("segment", s, R::UnknownSegment));
            }
        }
    };
    let expected_monthly_volume = match optional("expected_monthly_volume") {
        None => None,
        Some(v) => match crate::model::parse_money(&v) {
            Ok(m) if m > 0 => Some(m),
            _ => return Err(("expected_monthly_volume", v, R::BadAmount)),
        },
    };
    if let Some(first) = seen.get(customer_id) {
        return Err((
            "customer_id",
            format!("{customer_id} (first on row {first})"),
            R::DuplicateCustomerId,
        ));
    }
    Ok(Customer {
        customer_id: customer_id.to_string(),
        accounts,
        name,
        kind,
        birth_date,
        nationality,
        country: residence,
        id_numbers: field("id_numbers")
            .split(';')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect(),
        segment,
        expected_monthly_volume,
        onboarded,
        row,
    })
}

/// Writes `customers_quarantine.csv`: `file,row,customer_id,column,value,reason`; text cells
/// pass [`crate::output::spreadsheet_safe`].
pub fn write_customer_quarantine_csv<W: std::io::Write>(
    w: W,
    rows: &[CustomerQuarantine],
) -> csv::Result<()> {
    crate::ingest::write_rejected_rows_csv(
        w,
        "customer_id",
        rows.iter().map(|q| {
            (
                q.file.as_str(),
                q.row,
                q.customer_id.as_str(),
                q.column,
                q.value.as_str(),
                q.reason.as_str(),
            )
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dates_are_years_months_or_real_days() {
        for ok in ["1965", "1965-03", "1965-03-12", "2000-02-29", " 1800 "] {
            assert!(check_partial_date(ok).is_ok(), "{ok}");
        }
        for bad in [
            "65",
            "1965-3",
            "1965-13",
            "1965-02-30",
            "1900-02-29",
            "1965/03/12",
            "12 Mar 1965",
            "1965-03-12T00:00",
            "",
            "1965-00",
        ] {
            assert!(check_partial_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn types_have_their_synonyms() {
        assert_eq!(
            CustomerType::parse(" Individual "),
            Some(CustomerType::Person)
        );
        assert_eq!(CustomerType::parse("COMPANY"), Some(CustomerType::Entity));
        assert_eq!(CustomerType::parse("trustee"), None);
    }
}

/// The default threshold for screening customers, lower than the names-only default
/// ([`crate::watchlist::DEFAULT_THRESHOLD`], 0.85) because a customer's birth date and
/// nationality discount a look-alike by 0.40 each: on the identity-fact evaluation set of
/// `screen-eval --facts` (OFAC and UN persons, BENCHMARKS) 0.80 gives recall 0.9935 with no
/// false hit among 4,000 look-alikes, 0.85 recall 0.9815.
pub const CUSTOMER_THRESHOLD: f64 = 0.80;

/// Hits kept per customer (the strongest).
pub const CUSTOMER_HITS_KEPT: usize = 5;

/// A sanctions match on a customer: the customer's name, birth date, nationality and identity
/// numbers screened against the watchlists.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerHit {
    pub customer_id: String,
    pub name: String,
    pub hit: crate::watchlist::Hit,
    /// The customer's row was quarantined: screened by its name alone.
    pub row_quarantined: bool,
    /// 1-based data row of the customer file (tells apart a quarantined row that repeats an
    /// accepted customer's id).
    pub row: u64,
}

/// Screens every customer (name, birth date, nationality, identity numbers) against the
/// screener; hits in `customer_id` order, then by the screener's order.
pub fn screen_customers(
    customers: &Customers,
    screener: &crate::watchlist::Screener,
    threshold: f64,
) -> Vec<CustomerHit> {
    // quarantined rows with a name are screened too, by the name alone: a bad date must not
    // keep a listed person out of screening
    let quarantined: Vec<&CustomerQuarantine> = customers
        .quarantine
        .iter()
        .filter(|q| !q.name.is_empty())
        .collect();
    let mut queries: Vec<crate::watchlist::PartyQuery> =
        customers.list.iter().map(party_query).collect();
    queries.extend(
        quarantined
            .iter()
            .map(|q| crate::watchlist::PartyQuery::name(q.name.clone())),
    );
    let results = screener.screen_parties(&queries, threshold, CUSTOMER_HITS_KEPT);
    let who = customers
        .list
        .iter()
        .map(|c| (&c.customer_id, &c.name, false, c.row))
        .chain(
            quarantined
                .iter()
                .map(|q| (&q.customer_id, &q.name, true, q.row)),
        );
    who.zip(results)
        .flat_map(|((id, name, row_quarantined, row), hits)| {
            hits.into_iter().map(move |hit| CustomerHit {
                customer_id: id.clone(),
                name: name.clone(),
                hit,
                row_quarantined,
                row,
            })
        })
        .collect()
}

/// What a customer record says of the party, as a screening query.
pub fn party_query(c: &Customer) -> crate::watchlist::PartyQuery {
    query_of(
        &c.name,
        c.birth_date.as_deref(),
        c.nationality.as_deref(),
        c.id_numbers.clone(),
    )
}

/// [`party_query`] of a customer's fields (the customer index keeps them without the rest).
fn query_of(
    name: &str,
    birth_date: Option<&str>,
    nationality: Option<&str>,
    id_numbers: Vec<String>,
) -> crate::watchlist::PartyQuery {
    crate::watchlist::PartyQuery {
        name: name.to_string(),
        birth_date: birth_date.and_then(|d| crate::watchlist::PartialDate::parse(d).ok()),
        nationality: nationality.map(str::to_string),
        id_numbers,
    }
}

/// Writes `customers_hits.csv`: `customer_id,name,list,entry_id,entry_type,programs,matched_name,
/// primary_name,score,explanation,row_quarantined`; text cells pass
/// [`crate::output::spreadsheet_safe`].
pub fn write_customer_hits_csv<W: std::io::Write>(w: W, hits: &[CustomerHit]) -> csv::Result<()> {
    use crate::output::spreadsheet_safe;
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "customer_id",
        "name",
        "list",
        "entry_id",
        "entry_type",
        "programs",
        "matched_name",
        "primary_name",
        "score",
        "explanation",
        "row_quarantined",
    ])?;
    for h in hits {
        out.write_record([
            &*spreadsheet_safe(&h.customer_id),
            &spreadsheet_safe(&h.name),
            &spreadsheet_safe(&h.hit.list),
            &spreadsheet_safe(&h.hit.entry_id),
            &h.hit.entry_type,
            &spreadsheet_safe(&h.hit.programs),
            &spreadsheet_safe(&h.hit.matched_name),
            &spreadsheet_safe(&h.hit.primary_name),
            &format!("{:.4}", h.hit.score),
            &spreadsheet_safe(&h.hit.explanation),
            if h.row_quarantined { "true" } else { "false" },
        ])?;
    }
    out.flush()?;
    Ok(())
}
