//! Cases: alerts grouped by subject, scored, banded and described for an analyst.
//!
//! [`build_cases`] groups alerts by subject account (joining the accounts a `cycle` alert links),
//! attaches the full evidence transactions, computes the risk score ([`score`] documents the
//! formula) and writes the narrative ([`narrative`]). [`write_cases_jsonl`] writes them one per
//! line, byte for byte the same for the same input.

mod grouping;
pub mod narrative;
pub mod score;

pub use score::{Band, ScoreReason, ScoreSignal};

use crate::evidence::{Evidence, EvidenceLookup, Found, SpillError};
use crate::model::{
    format_money, format_money_grouped, parse_money, Alert, RuleInfo, TxnRecord, Typology,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Write};
use std::sync::Arc;

/// An evidence transaction as the case builder is given it: a record of its own, copied into
/// each case that cites it, or one already shared ([`Arc`]), of which each case keeps another
/// handle, so that a run's evidence is held once however many cases cite it.
pub trait EvidenceRecord: Sync {
    /// The record.
    fn record(&self) -> &TxnRecord;
    /// The record for a case to keep.
    fn shared(&self) -> Arc<TxnRecord>;
}

impl EvidenceRecord for TxnRecord {
    fn record(&self) -> &TxnRecord {
        self
    }
    fn shared(&self) -> Arc<TxnRecord> {
        Arc::new(self.clone())
    }
}

impl EvidenceRecord for Arc<TxnRecord> {
    fn record(&self) -> &TxnRecord {
        self
    }
    fn shared(&self) -> Arc<TxnRecord> {
        Arc::clone(self)
    }
}

/// A case's evidence transactions, by timestamp then transaction id: records held in memory
/// (shared with the run's other cases that cite them), or, for a run whose evidence was spilled
/// to a local file ([`crate::evidence`]), their numbers in that file, read back when the case is
/// written. They are written as plain records either way (the file does not know how they were
/// kept), and read back as held records.
#[derive(Clone, Default)]
pub struct Transactions(Kept);

#[derive(Clone)]
enum Kept {
    Held(Vec<Arc<TxnRecord>>),
    /// Spilled records by number and held ones: `order` has a spill number, or [`HELD`] and an
    /// index into `held`, for each record in order (4 bytes a record: a run's cases cite
    /// millions).
    Mixed {
        spill: Arc<crate::evidence::Spill>,
        held: Vec<Arc<TxnRecord>>,
        order: Vec<u32>,
    },
}

/// The bit of [`Kept::Mixed`]'s `order` that marks a held record.
const HELD: u32 = 1 << 31;

impl Default for Kept {
    fn default() -> Self {
        Kept::Held(Vec::new())
    }
}

impl Transactions {
    /// How many transactions the case cites (found in the run's evidence).
    pub fn len(&self) -> usize {
        match &self.0 {
            Kept::Held(records) => records.len(),
            Kept::Mixed { order, .. } => order.len(),
        }
    }

    /// How many of the records are kept by their number in a spill file (read back when used).
    pub fn spilled(&self) -> usize {
        match &self.0 {
            Kept::Held(_) => 0,
            Kept::Mixed { order, .. } => order.iter().filter(|&&n| n & HELD == 0).count(),
        }
    }

    /// Whether the case cites no transaction found in the run's evidence.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The records, in order: those held in memory as they are, spilled ones read back.
    pub fn records(&self) -> Result<Cow<'_, [Arc<TxnRecord>]>, SpillError> {
        match &self.0 {
            Kept::Held(records) => Ok(Cow::Borrowed(records)),
            Kept::Mixed { spill, held, order } => order
                .iter()
                .map(|&n| match n & HELD {
                    0 => spill.read(n).map(Arc::new),
                    _ => Ok(Arc::clone(&held[(n & !HELD) as usize])),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Cow::Owned),
        }
    }

    /// The records held in memory, to change: spilled ones are read back and held from now on.
    pub fn to_mut(&mut self) -> Result<&mut Vec<Arc<TxnRecord>>, SpillError> {
        match self.0 {
            Kept::Held(ref mut records) => Ok(records),
            Kept::Mixed { .. } => {
                self.0 = Kept::Held(self.records()?.into_owned());
                self.to_mut()
            }
        }
    }
}

impl From<Vec<Arc<TxnRecord>>> for Transactions {
    fn from(records: Vec<Arc<TxnRecord>>) -> Self {
        Transactions(Kept::Held(records))
    }
}

impl FromIterator<Arc<TxnRecord>> for Transactions {
    fn from_iter<I: IntoIterator<Item = Arc<TxnRecord>>>(records: I) -> Self {
        records.into_iter().collect::<Vec<_>>().into()
    }
}

impl From<Vec<TxnRecord>> for Transactions {
    fn from(records: Vec<TxnRecord>) -> Self {
        records.into_iter().map(Arc::new).collect::<Vec<_>>().into()
    }
}

impl std::fmt::Debug for Transactions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.records() {
            Ok(records) => f.debug_list().entries(records.iter()).finish(),
            Err(e) => write!(f, "<{e}>"),
        }
    }
}

impl PartialEq for Transactions {
    fn eq(&self, other: &Self) -> bool {
        match (self.records(), other.records()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

impl Serialize for Transactions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let records = self.records().map_err(serde::ser::Error::custom)?;
        s.collect_seq(records.iter().map(|r| &**r))
    }
}

impl<'de> Deserialize<'de> for Transactions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<TxnRecord>::deserialize(d)?.into())
    }
}

/// A map of records by transaction id, held in memory, as the case builder's evidence.
impl<R: EvidenceRecord + Send> EvidenceLookup for HashMap<String, R> {
    type Error = std::convert::Infallible;
    fn find(&self, txn_id: &str) -> Result<Option<Found>, Self::Error> {
        Ok(self.get(txn_id).map(|r| {
            let record = r.shared();
            Found {
                kept: crate::evidence::Kept::Held(Arc::clone(&record)),
                record,
            }
        }))
    }
}

/// Who a case is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSubject {
    /// Subject account numbers, sorted. More than one when a cycle alert linked them.
    pub accounts: Vec<String>,
    /// Every name seen for the subject accounts (in alerts and evidence), sorted, no duplicates.
    pub names: Vec<String>,
    /// Every country seen for the subject accounts in the evidence, sorted, no duplicates.
    pub countries: Vec<String>,
}

/// An account on the other side of the subject's evidence transactions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterparty {
    /// The counterparty's account number.
    pub account: String,
    /// The name most recently seen for the account (empty when none was given).
    pub name: String,
    /// The country most recently seen for the account (empty when none was given).
    pub country: String,
    /// Evidence transactions with this counterparty.
    pub txn_count: u64,
    /// Money sent to the subject by this counterparty, base currency, plain decimal.
    pub received_from: String,
    /// Money the subject sent to this counterparty, base currency, plain decimal.
    pub sent_to: String,
    /// `received_from + sent_to`, plain decimal; the sort key.
    pub total_amount: String,
}

impl Counterparty {
    /// [`Counterparty::total_amount`] in micros (0 when unparseable).
    pub fn total_micros(&self) -> i64 {
        parse_money(&self.total_amount).unwrap_or(0)
    }
}

/// One case: the alerts about one subject, with their evidence, score and narrative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// `C-` and the first 12 hex digits of the SHA-256 of the sorted subject accounts joined by
    /// newlines: the same subject always gets the same id.
    pub case_id: String,
    /// The subject accounts, with the names and countries seen for them.
    pub subject: CaseSubject,
    /// Risk score 0–100, one decimal; see [`score`] for the formula.
    pub score: f64,
    /// Priority band from the score (see [`Band`]).
    pub band: Band,
    /// Why the case scores what it does: one entry per signal, in the order of the formula
    /// (see [`score::explain_case_score`]). Absent in files written before it existed.
    #[serde(default)]
    pub score_reasons: Vec<ScoreReason>,
    /// Distinct typologies of the alerts, in vocabulary order.
    pub typologies: Vec<Typology>,
    /// Earliest alert window start (ISO 8601 UTC).
    pub first_activity: String,
    /// Latest alert window end (ISO 8601 UTC).
    pub last_activity: String,
    /// Sum of the evidence transactions in base currency, plain decimal.
    pub total_amount: String,
    /// The base currency (from the alerts).
    pub currency: String,
    /// The alerts in full: strongest first, then by window start, then by alert id.
    pub alerts: Vec<Alert>,
    /// The evidence transactions in full, by timestamp then transaction id. Shared with the
    /// run's other cases that cite them, or read back from the run's spill file.
    pub transactions: Transactions,
    /// Evidence transaction ids named by alerts but absent from the transaction table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_txn_ids: Vec<String>,
    /// Accounts on the other side of the evidence, largest total first.
    pub counterparties: Vec<Counterparty>,
    /// A plain-language paragraph describing the case (see [`narrative`]).
    pub narrative: String,
}

impl Case {
    /// The evidence total with thousands separators (`48,200.00`).
    pub fn total_amount_grouped(&self) -> String {
        parse_money(&self.total_amount)
            .map(format_money_grouped)
            .unwrap_or_else(|_| self.total_amount.clone())
    }
}

/// Builds cases from alerts, sorted by score (highest first), ties by case id.
///
/// `txns` maps transaction id to record and supplies the evidence; `rules` supplies severities
/// missing from alerts and the "why it matters" text of the narrative.
pub fn build_cases<R: EvidenceRecord + Send>(
    alerts: &[Alert],
    txns: &HashMap<String, R>,
    rules: &[RuleInfo],
) -> Vec<Case> {
    build_cases_with_customers(alerts, txns, rules, &BTreeMap::new())
}

/// [`build_cases`], with each account's customer and that customer's risk rating without its
/// alerts (`account → (customer_id, rating)`), which the case score weighs (see
/// [`score::with_customer_risk`]).
pub fn build_cases_with_customers<R: EvidenceRecord + Send>(
    alerts: &[Alert],
    txns: &HashMap<String, R>,
    rules: &[RuleInfo],
    customers: &BTreeMap<String, (String, u32)>,
) -> Vec<Case> {
    let Ok(cases) = build_cases_from(alerts.to_vec(), txns, rules, customers);
    cases
}

/// [`build_cases_with_customers`] over a run's [`Evidence`]: records held in memory or spilled to
/// a file. A case keeps a spilled record's number, not the record: the records are read while
/// the case is assembled and again when it is written. Each alert moves into its case.
pub fn build_run_cases(
    alerts: Vec<Alert>,
    evidence: &Evidence,
    rules: &[RuleInfo],
    customers: &BTreeMap<String, (String, u32)>,
) -> Result<Vec<Case>, SpillError> {
    build_cases_from(alerts, evidence, rules, customers)
}

fn build_cases_from<L: EvidenceLookup>(
    alerts: Vec<Alert>,
    evidence: &L,
    rules: &[RuleInfo],
    customers: &BTreeMap<String, (String, u32)>,
) -> Result<Vec<Case>, L::Error> {
    let rules_by_id: HashMap<&str, &RuleInfo> =
        rules.iter().map(|r| (r.rule_id.as_str(), r)).collect();
    // cases are assembled in parallel (a large run has thousands), then put in order
    let groups = grouping::group_alerts(&alerts, evidence)?;
    // each alert is in exactly one group: it moves there
    let mut slots: Vec<Option<Alert>> = alerts.into_iter().map(Some).collect();
    let groups: Vec<(Vec<String>, Vec<Alert>)> = groups
        .into_iter()
        .map(|group| {
            let taken = group
                .alert_indexes
                .iter()
                .filter_map(|&i| slots[i].take())
                .collect();
            (group.accounts, taken)
        })
        .collect();
    debug_assert!(slots.iter().all(Option::is_none), "an alert in no group");
    let mut cases: Vec<Case> = groups
        .into_par_iter()
        .map(|(accounts, group_alerts)| {
            assemble_case(accounts, group_alerts, evidence, &rules_by_id, customers)
        })
        .collect::<Result<_, _>>()?;
    cases.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.case_id.cmp(&b.case_id))
    });
    Ok(cases)
}

/// Writes one case per line as JSON. The same cases always give the same bytes.
pub fn write_cases_jsonl<W: Write>(w: &mut W, cases: &[Case]) -> io::Result<()> {
    for case in cases {
        serde_json::to_writer(&mut *w, case)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// The case id for a set of subject accounts (see [`Case::case_id`]).
pub fn case_id_for(accounts: &[String]) -> String {
    let mut sorted: Vec<&str> = accounts.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let digest = Sha256::digest(sorted.join("\n").as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("C-{hex}")
}

/// Microseconds since the epoch for an ISO 8601 timestamp, for ordering; `None` when unparseable.
pub(crate) fn timestamp_micros(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|dt| dt.timestamp_micros())
}

/// Orders timestamps by instant; unparseable ones sort after parseable ones, by text.
pub(crate) fn compare_timestamps(a: &str, b: &str) -> Ordering {
    match (timestamp_micros(a), timestamp_micros(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
    .then_with(|| a.cmp(b))
}

fn assemble_case<L: EvidenceLookup>(
    accounts: Vec<String>,
    mut alerts: Vec<Alert>,
    evidence: &L,
    rules: &HashMap<&str, &RuleInfo>,
    customers: &BTreeMap<String, (String, u32)>,
) -> Result<Case, L::Error> {
    alerts.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| compare_timestamps(&a.window_start, &b.window_start))
            .then_with(|| a.alert_id.cmp(&b.alert_id))
    });

    let evidence_ids: BTreeSet<&str> = alerts.iter().flat_map(|a| a.txn_ids.iter()).collect();
    let mut found: Vec<Found> = Vec::new();
    let mut missing_txn_ids: Vec<String> = Vec::new();
    for id in evidence_ids {
        match evidence.find(id)? {
            Some(f) => found.push(f),
            None => missing_txn_ids.push(id.to_string()),
        }
    }
    found.sort_by(|a, b| {
        let (a, b) = (&a.record, &b.record);
        compare_timestamps(&a.timestamp, &b.timestamp).then_with(|| a.txn_id.cmp(&b.txn_id))
    });
    let transactions: Vec<Arc<TxnRecord>> = found.iter().map(|f| Arc::clone(&f.record)).collect();

    let subject_set: BTreeSet<&str> = accounts.iter().map(String::as_str).collect();
    let subject = describe_subject(&accounts, &subject_set, &alerts, &transactions);
    let counterparties = collect_counterparties(&subject_set, &transactions);

    let typologies: Vec<Typology> = alerts
        .iter()
        .map(|a| a.typology)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let severity_of = |a: &Alert| -> String {
        if a.severity.trim().is_empty() {
            rules
                .get(a.rule_id.as_str())
                .map(|r| r.severity.clone())
                .unwrap_or_default()
        } else {
            a.severity.clone()
        }
    };
    let severities: Vec<String> = alerts.iter().map(severity_of).collect();
    let (score, mut score_reasons) =
        score::explain_case_score(alerts.iter().zip(severities.iter().map(String::as_str)));
    // the riskiest customer holding a case account (ties: the lowest customer id)
    let customer = accounts
        .iter()
        .filter_map(|a| customers.get(a))
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(id, rating)| (id.as_str(), *rating));
    let (score, customer_reason) = score::with_customer_risk(score, customer);
    score_reasons.extend(customer_reason);

    let first_activity = alerts
        .iter()
        .map(|a| a.window_start.as_str())
        .min_by(|a, b| compare_timestamps(a, b))
        .unwrap_or_default()
        .to_string();
    let last_activity = alerts
        .iter()
        .map(|a| a.window_end.as_str())
        .max_by(|a, b| compare_timestamps(a, b))
        .unwrap_or_default()
        .to_string();
    let total_micros: i128 = transactions
        .iter()
        .filter_map(|t| parse_money(&t.amount_base).ok())
        .map(i128::from)
        .sum();
    let currency = alerts
        .iter()
        .map(|a| a.currency.trim())
        .find(|c| !c.is_empty())
        .unwrap_or_default()
        .to_string();

    let mut case = Case {
        case_id: case_id_for(&accounts),
        subject,
        score,
        band: Band::from_score(score),
        score_reasons,
        typologies,
        first_activity,
        last_activity,
        total_amount: format_money(total_micros),
        currency,
        alerts,
        transactions: Transactions::default(),
        missing_txn_ids,
        counterparties,
        narrative: String::new(),
    };
    // a spilled record is kept by number: the records read here are dropped with `found`
    case.transactions = keep(found, transactions);
    case.narrative = narrative::write_narrative(&case, rules);
    Ok(case)
}

/// What a case keeps of its records: the records when all are held, else spilled ones by number.
fn keep(found: Vec<Found>, records: Vec<Arc<TxnRecord>>) -> Transactions {
    let spill = found.iter().find_map(|f| match &f.kept {
        crate::evidence::Kept::Spilled(spill, _) => Some(Arc::clone(spill)),
        crate::evidence::Kept::Held(_) => None,
    });
    let Some(spill) = spill else {
        return records.into();
    };
    let mut held = Vec::new();
    let order = found
        .into_iter()
        .map(|f| match f.kept {
            crate::evidence::Kept::Spilled(_, n) => n,
            crate::evidence::Kept::Held(record) => {
                held.push(record);
                HELD | (held.len() - 1) as u32
            }
        })
        .collect();
    Transactions(Kept::Mixed { spill, held, order })
}

fn describe_subject(
    accounts: &[String],
    subject_set: &BTreeSet<&str>,
    alerts: &[Alert],
    transactions: &[Arc<TxnRecord>],
) -> CaseSubject {
    let mut names: BTreeSet<String> = alerts
        .iter()
        .map(|a| a.subject_name.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    let mut countries: BTreeSet<String> = BTreeSet::new();
    for txn in transactions {
        for (account, name, country) in [
            (&txn.orig_account, &txn.orig_name, &txn.orig_country),
            (&txn.bene_account, &txn.bene_name, &txn.bene_country),
        ] {
            if subject_set.contains(account.as_str()) {
                if !name.trim().is_empty() {
                    names.insert(name.trim().to_string());
                }
                if !country.trim().is_empty() {
                    countries.insert(country.trim().to_string());
                }
            }
        }
    }
    CaseSubject {
        accounts: accounts.to_vec(),
        names: names.into_iter().collect(),
        countries: countries.into_iter().collect(),
    }
}

fn collect_counterparties(
    subject_set: &BTreeSet<&str>,
    transactions: &[Arc<TxnRecord>],
) -> Vec<Counterparty> {
    #[derive(Default)]
    struct Tally {
        name: String,
        country: String,
        count: u64,
        received: i128,
        sent: i128,
    }
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for txn in transactions {
        // written by this tool from an i64; a value it cannot read back counts as nothing
        let amount = i128::from(parse_money(&txn.amount_base).unwrap_or(0));
        let orig_is_subject = subject_set.contains(txn.orig_account.as_str());
        let bene_is_subject = subject_set.contains(txn.bene_account.as_str());
        let mut tally = |account: &str, name: &str, country: &str, received: bool| {
            if account.trim().is_empty() {
                return;
            }
            let t = tallies.entry(account.to_string()).or_default();
            if !name.trim().is_empty() {
                t.name = name.trim().to_string();
            }
            if !country.trim().is_empty() {
                t.country = country.trim().to_string();
            }
            t.count += 1;
            if received {
                t.received += amount;
            } else {
                t.sent += amount;
            }
        };
        if orig_is_subject && !bene_is_subject {
            tally(&txn.bene_account, &txn.bene_name, &txn.bene_country, false);
        } else if bene_is_subject && !orig_is_subject {
            tally(&txn.orig_account, &txn.orig_name, &txn.orig_country, true);
        }
    }
    let mut list: Vec<(i128, Counterparty)> = tallies
        .into_iter()
        .map(|(account, t)| {
            let total = t.received + t.sent;
            let party = Counterparty {
                account,
                name: t.name,
                country: t.country,
                txn_count: t.count,
                received_from: format_money(t.received),
                sent_to: format_money(t.sent),
                total_amount: format_money(total),
            };
            (total, party)
        })
        .collect();
    list.sort_by(|(ta, a), (tb, b)| tb.cmp(ta).then_with(|| a.account.cmp(&b.account)));
    list.into_iter().map(|(_, party)| party).collect()
}
