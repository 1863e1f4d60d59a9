//! Sanctions screening inside `run`: every distinct originator and beneficiary name is screened
//! once, and each hit becomes a `sanctions` alert on the account on our side; with a customer
//! file, each customer's hit (name, birth date, nationality, documents) becomes a
//! `customer_sanctions_match` alert on the customer's accounts ([`customer_alerts`]).

use crate::customers::{name_key, CustomerHit, Customers};
use crate::model::{format_money, format_timestamp, Alert, TxnRecord, Typology};
use crate::rules::alerts::alert_id;
use crate::text_stretches::{distinct_per_stretch, rows_with_value_in};
use crate::watchlist::{Hit, Screener};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The rule id that sanctions alerts carry.
pub const SANCTIONS_RULE_ID: &str = "sanctions_screening";
/// The pack name that sanctions alerts carry.
pub const SANCTIONS_PACK: &str = "watchlists";
/// Score of a sanctions alert (the highest: a listed party must be reviewed).
pub const SANCTIONS_SCORE: f64 = 95.0;
/// Hits kept per distinct name.
const HITS_PER_NAME: usize = 3;

/// Documentation of the built-in sanctions rule, for cases and the report.
pub fn sanctions_rule_info(threshold: f64) -> crate::model::RuleInfo {
    crate::model::RuleInfo {
        rule_id: SANCTIONS_RULE_ID.to_string(),
        pack: SANCTIONS_PACK.to_string(),
        typology: Typology::Sanctions.as_str().to_string(),
        kind: "name_screening".to_string(),
        title: "Party name matches a sanctions list entry".to_string(),
        detects: "An originator or beneficiary name that matches a listed name or alias (OFAC SDN, UN, OpenSanctions, or a list of your own) at or above the match threshold, allowing for misspellings, reordering, transliteration and missing middle names.".to_string(),
        why: "Dealing with a sanctioned party is prohibited outright in most jurisdictions; a possible match must be reviewed and either cleared as a false positive or frozen and reported without delay.".to_string(),
        parameters: vec![("threshold".to_string(), format!("{threshold:.2} (match score 0..1)"))],
        severity: "critical".to_string(),
        score: SANCTIONS_SCORE,
        references: vec![
            "FATF Recommendation 6: targeted financial sanctions related to terrorism and terrorist financing".to_string(),
            "FATF Recommendation 7: targeted financial sanctions related to proliferation".to_string(),
            "UN Security Council Consolidated List; OFAC Specially Designated Nationals list".to_string(),
        ],
    }
}

/// The rule id of the alert a customer's sanctions match raises.
pub const CUSTOMER_SANCTIONS_RULE_ID: &str = "customer_sanctions_match";

/// Documentation of the built-in customer sanctions rule, for cases and the report.
pub fn customer_sanctions_rule_info(threshold: f64) -> crate::model::RuleInfo {
    crate::model::RuleInfo {
        rule_id: CUSTOMER_SANCTIONS_RULE_ID.to_string(),
        pack: SANCTIONS_PACK.to_string(),
        typology: Typology::Sanctions.as_str().to_string(),
        kind: "customer_screening".to_string(),
        title: "Customer matches a sanctions list entry".to_string(),
        detects: "A customer of the customer file whose name matches a listed name or alias at or above the match threshold once its birth date, nationality and identity documents are weighed against the entry's (a matching fact confirms, a contradicting one discounts). The alert is on the customer's accounts and cites their transactions of the run; a customer without any still alerts. A customer row quarantined for a bad field is screened by its name alone and alerts too, marked so.".to_string(),
        why: "A bank must not hold funds for, or provide services to, a listed person: the match must be reviewed at once and either cleared as a false positive or the funds frozen and reported. The customer's identity facts make the match far stronger evidence than a name on a transaction.".to_string(),
        parameters: vec![("threshold".to_string(), format!("{threshold:.2} (match score 0..1, after identity facts)"))],
        severity: "critical".to_string(),
        score: SANCTIONS_SCORE,
        references: vec![
            "FATF Recommendation 6: targeted financial sanctions related to terrorism and terrorist financing".to_string(),
            "FATF Recommendation 10: customer due diligence (identifying the customer and verifying that identity)".to_string(),
            "UN Security Council resolution 2253 (2015), paragraph 2: freezing without delay the funds of listed persons".to_string(),
        ],
    }
}

/// A hit as alert summaries write it: `LIST entry ID "MATCHED" (TYPE; PROGRAMS) with score
/// S: EXPLANATION`.
fn describe_hit(hit: &Hit) -> String {
    let programs = if hit.programs.is_empty() {
        String::new()
    } else {
        format!("; {}", hit.programs)
    };
    format!(
        "{} entry {} \"{}\" ({}{programs}) with score {:.2}: {}",
        hit.list, hit.entry_id, hit.matched_name, hit.entry_type, hit.score, hit.explanation
    )
}

/// The transaction-party hits that a customer's identity facts clear: when the party is the
/// account's own holder (the account is the customer's and the transaction writes the
/// customer's name), the customer was screened with a birth date, nationality or document,
/// and that screening did not keep the entry, the facts discounted the entry and the name-only
/// hit on the transaction is cleared. A customer screened by name alone clears nothing, nor
/// does one whose screening filled its [`crate::customers::CUSTOMER_HITS_KEPT`] hits (an entry
/// may have been left out for want of room).
#[derive(Debug, Clone, Default)]
pub struct ClearedByCustomers {
    /// account → its holders that can clear a hit
    holders: HashMap<String, Vec<Holder>>,
}

/// `(list, entry id)`.
type EntryKey = (String, String);

/// A customer that can clear hits on its account.
#[derive(Debug, Clone)]
struct Holder {
    customer_id: String,
    /// [`name_key`] of its name.
    name: String,
    /// The entries its screening kept.
    kept: BTreeSet<EntryKey>,
}

impl ClearedByCustomers {
    /// Who can clear a hit, from the customer file and its screening hits.
    pub fn new(customers: &Customers, hits: &[CustomerHit]) -> Self {
        let mut kept: BTreeMap<&str, (usize, BTreeSet<EntryKey>)> = BTreeMap::new();
        for h in hits.iter().filter(|h| !h.row_quarantined) {
            let entry = kept.entry(h.customer_id.as_str()).or_default();
            entry.0 += 1;
            entry.1.insert((h.hit.list.clone(), h.hit.entry_id.clone()));
        }
        let mut holders: HashMap<String, Vec<Holder>> = HashMap::new();
        for c in &customers.list {
            let has_facts =
                c.birth_date.is_some() || c.nationality.is_some() || !c.id_numbers.is_empty();
            let (count, entries) = kept
                .get(c.customer_id.as_str())
                .cloned()
                .unwrap_or_default();
            if !has_facts || count >= crate::customers::CUSTOMER_HITS_KEPT {
                continue;
            }
            for account in &c.accounts {
                holders.entry(account.clone()).or_default().push(Holder {
                    customer_id: c.customer_id.clone(),
                    name: name_key(&c.name),
                    kept: entries.clone(),
                });
            }
        }
        Self { holders }
    }

    /// The customer whose identity facts clear `hit` on `party` of its own account `account`.
    fn clears(&self, account: &str, party: &str, hit: &Hit) -> Option<&str> {
        let key = name_key(party);
        self.holders.get(account)?.iter().find_map(|h| {
            (h.name == key && !h.kept.contains(&(hit.list.clone(), hit.entry_id.clone())))
                .then_some(h.customer_id.as_str())
        })
    }
}

/// What [`screen_frame_with`] produced.
#[derive(Debug, Clone, Default)]
pub struct FrameScreening {
    /// The sanctions alerts, in alert order.
    pub alerts: Vec<Alert>,
    /// Their evidence transactions by id.
    pub evidence: HashMap<String, TxnRecord>,
    /// Transaction-party hits the customers' identity facts cleared: (transaction id, party
    /// name, list, entry id, customer id), sorted.
    pub cleared: Vec<(String, String, String, String, String)>,
}

/// A frame's `orig_name` and `bene_name` columns: each distinct name is screened once, and the
/// rows naming a listed party are then found by a second pass (see [`distinct_per_stretch`]
/// and [`rows_with_value_in`]), without a code per row.
struct NameColumns<'a> {
    columns: [&'a StringChunked; 2],
}

impl<'a> NameColumns<'a> {
    fn of(frame: &'a DataFrame) -> PolarsResult<Self> {
        Ok(Self {
            columns: [
                frame.column("orig_name")?.str()?,
                frame.column("bene_name")?.str()?,
            ],
        })
    }

    /// Distinct non-empty names, sorted.
    fn distinct(&self) -> Vec<&'a str> {
        let [orig, bene] = self.columns;
        let (mut stretches, bene) =
            rayon::join(|| distinct_per_stretch(orig), || distinct_per_stretch(bene));
        stretches.extend(bene);
        let mut names: Vec<&str> = stretches
            .into_iter()
            .flatten()
            .filter(|name| !name.is_empty())
            .collect::<PlHashSet<&str>>()
            .into_iter()
            .collect();
        names.par_sort_unstable();
        names
    }

    /// The rows whose originator or beneficiary name is one of `listed`, ascending.
    fn rows_naming(&self, listed: &PlHashSet<&str>) -> Vec<IdxSize> {
        let [orig, bene] = self.columns;
        let (mut rows, bene) = rayon::join(
            || rows_with_value_in(orig, listed),
            || rows_with_value_in(bene, listed),
        );
        rows.extend(bene);
        rows.sort_unstable();
        rows.dedup();
        rows
    }
}

/// Screens the names of `frame` and builds sanctions alerts plus their evidence records: one
/// alert per listed entry and subject account. The subject is the matched party's own account
/// when the data has one (so a customer whose name matches is the case, and one matching
/// merchant is one alert, not one per paying customer); when the matched party has no account
/// (a walk-in cash depositor), it is the account on the other side.
pub fn screen_frame(
    frame: &DataFrame,
    screener: &Screener,
    threshold: f64,
    base_currency: &str,
) -> PolarsResult<(Vec<Alert>, HashMap<String, TxnRecord>)> {
    let screened = screen_frame_with(
        frame,
        screener,
        threshold,
        base_currency,
        &ClearedByCustomers::default(),
    )?;
    Ok((screened.alerts, screened.evidence))
}

/// [`screen_frame`], leaving out the hits on a party that the customer file's identity facts
/// clear (see [`ClearedByCustomers`]); those are listed in [`FrameScreening::cleared`].
pub fn screen_frame_with(
    frame: &DataFrame,
    screener: &Screener,
    threshold: f64,
    base_currency: &str,
    clearing: &ClearedByCustomers,
) -> PolarsResult<FrameScreening> {
    let columns = NameColumns::of(frame)?;
    let refs = columns.distinct();
    let results = screen_names(screener, &refs, threshold);
    let hits: HashMap<&str, &Vec<Hit>> = refs
        .iter()
        .zip(results.iter())
        .filter(|(_, h)| !h.is_empty())
        .map(|(n, h)| (*n, h))
        .collect();
    if hits.is_empty() {
        return Ok(FrameScreening::default());
    }
    let listed: PlHashSet<&str> = hits.keys().copied().collect();
    let rows = columns.rows_naming(&listed);
    let matched = frame.take(&IdxCa::from_vec("rows".into(), rows))?;
    sanctions_alerts(&matched, &hits, base_currency, clearing)
}

/// Screens distinct party names (non-empty, sorted as [`screen_frame_with`] sorts them): one
/// result per name, in order, each at most the hits kept per name.
pub fn screen_names(screener: &Screener, names: &[&str], threshold: f64) -> Vec<Vec<Hit>> {
    screener.screen_many(names, threshold, HITS_PER_NAME)
}

/// The sanctions alerts of [`screen_frame_with`] from `matched`, canonical rows that include
/// every row naming a screened party with hits (`hits`: name as written → its hits); other
/// rows are ignored. Row order does not matter (evidence is ordered by time, then id).
pub fn sanctions_alerts(
    matched: &DataFrame,
    hits: &HashMap<&str, &Vec<Hit>>,
    base_currency: &str,
    clearing: &ClearedByCustomers,
) -> PolarsResult<FrameScreening> {
    if hits.is_empty() {
        return Ok(FrameScreening::default());
    }
    let ts = matched.column("ts")?.cast(&DataType::Int64)?;
    let ts = ts.i64()?.clone();
    let base = matched.column("base_amount")?.i64()?.clone();
    let records = crate::ingest::frame_to_records(matched)?;

    // (subject, list, entry id) → (hit, party name as written, evidence indexes)
    type Key = (String, String, String);
    let mut groups: BTreeMap<Key, (Hit, String, Vec<usize>)> = BTreeMap::new();
    let mut cleared = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let sides = [
            (&r.orig_name, &r.bene_account, &r.orig_account),
            (&r.bene_name, &r.orig_account, &r.bene_account),
        ];
        for (name, our_side, own) in sides {
            let Some(list) = hits.get(name.as_str()) else {
                continue;
            };
            // the listed party's own account when it has one in the data (a customer whose
            // name matches, or the account the listed party used); otherwise the account on
            // the other side (a walk-in cash depositor has no account)
            let subject = if own.is_empty() { our_side } else { own };
            if subject.is_empty() {
                continue;
            }
            for hit in list.iter() {
                if !own.is_empty() {
                    if let Some(customer) = clearing.clears(own, name, hit) {
                        cleared.push((
                            r.txn_id.clone(),
                            name.clone(),
                            hit.list.clone(),
                            hit.entry_id.clone(),
                            customer.to_string(),
                        ));
                        continue;
                    }
                }
                let key = (subject.clone(), hit.list.clone(), hit.entry_id.clone());
                let entry = groups
                    .entry(key)
                    .or_insert_with(|| (hit.clone(), name.clone(), Vec::new()));
                if hit.score > entry.0.score {
                    entry.0 = hit.clone();
                    entry.1 = name.clone();
                }
                if !entry.2.contains(&i) {
                    entry.2.push(i);
                }
            }
        }
    }
    let mut alerts = Vec::with_capacity(groups.len());
    let mut evidence = HashMap::new();
    for ((subject, _, _), (hit, party, mut rows)) in groups {
        rows.sort_by(|&a, &b| {
            (ts.get(a), &records[a].txn_id).cmp(&(ts.get(b), &records[b].txn_id))
        });
        let start = rows.iter().filter_map(|&i| ts.get(i)).min().unwrap_or(0);
        let end = rows.iter().filter_map(|&i| ts.get(i)).max().unwrap_or(0);
        let total: i128 = rows
            .iter()
            .filter_map(|&i| base.get(i))
            .map(i128::from)
            .sum();
        let subject_name = rows
            .iter()
            .map(|&i| {
                let r = &records[i];
                if r.bene_account == subject {
                    r.bene_name.clone()
                } else {
                    r.orig_name.clone()
                }
            })
            .find(|n| !n.is_empty() && *n != party)
            .unwrap_or_default();
        let summary = format!("Counterparty \"{party}\" matches {}", describe_hit(&hit));
        for &i in &rows {
            evidence.insert(records[i].txn_id.clone(), records[i].clone());
        }
        alerts.push(Alert {
            alert_id: alert_id(
                SANCTIONS_RULE_ID,
                &format!("{subject}\x1f{}\x1f{}", hit.list, hit.entry_id),
                start,
                end,
            ),
            rule_id: SANCTIONS_RULE_ID.to_string(),
            pack: SANCTIONS_PACK.to_string(),
            typology: Typology::Sanctions,
            subject_account: subject,
            subject_name,
            window_start: format_timestamp(start),
            window_end: format_timestamp(end),
            txn_count: rows.len() as u64,
            total_amount: format_money(total),
            currency: base_currency.to_string(),
            score: SANCTIONS_SCORE,
            txn_ids: rows.iter().map(|&i| records[i].txn_id.as_str()).collect(),
            summary,
            severity: "critical".to_string(),
            details: vec![
                ("list".into(), hit.list.clone()),
                ("entry_id".into(), hit.entry_id.clone()),
                ("matched_name".into(), hit.matched_name.clone()),
                ("party_name".into(), party),
                ("match_score".into(), format!("{:.3}", hit.score)),
                ("explanation".into(), hit.explanation.clone()),
            ],
        });
    }
    crate::rules::sort_alerts(&mut alerts);
    cleared.sort();
    cleared.dedup();
    Ok(FrameScreening {
        alerts,
        evidence,
        cleared,
    })
}

/// Who a customer hit is about: an accepted customer, or a quarantined row read as it could be.
struct HitParty<'a> {
    customer_id: &'a str,
    name: &'a str,
    accounts: &'a [String],
    customer: Option<&'a crate::customers::Customer>,
    quarantine: Option<&'a crate::customers::CustomerQuarantine>,
}

/// The subject account of a customer alert whose customer names no account (a row quarantined
/// for its empty `accounts`): `customer:<customer_id>`, or `customer-row:<row>` without an id.
pub fn customer_pseudo_account(customer_id: &str, row: u64) -> String {
    if customer_id.is_empty() {
        format!("customer-row:{row}")
    } else {
        format!("customer:{customer_id}")
    }
}

/// Builds the `customer_sanctions_match` alerts of a run: one per customer hit (customer file
/// row, list entry), on the customer's first account (file order; the others are in the
/// `customer_accounts` fact, and the case joins them), citing every transaction of `frame` to or
/// from any of the customer's accounts. A customer without a transaction in `frame` alerts all
/// the same, with no transaction, an amount of 0 and the window of the whole run (no window
/// when the run has no transaction); `transactions_in_run` says so. A hit on a quarantined row
/// alerts on the accounts the row names (`customer:<id>` when it names none), marked
/// `row_quarantined`. Alerts come back in alert order ([`crate::rules::sort_alerts`]).
pub fn customer_alerts(
    customers: &Customers,
    hits: &[CustomerHit],
    frame: &DataFrame,
    base_currency: &str,
) -> PolarsResult<(Vec<Alert>, HashMap<String, TxnRecord>)> {
    if hits.is_empty() {
        return Ok((Vec::new(), HashMap::new()));
    }
    // the run's period, for the window of a customer without transactions
    let all_ts = frame.column("ts")?.cast(&DataType::Int64)?;
    let run_span = all_ts.i64()?.min().zip(all_ts.i64()?.max());
    customer_alerts_in(customers, hits, frame, run_span, base_currency)
}

/// Every account of the customers (or quarantined customer rows) that `hits` are about: the
/// accounts whose transactions [`customer_alerts`] cites.
pub fn customer_hit_accounts(customers: &Customers, hits: &[CustomerHit]) -> BTreeSet<String> {
    hit_parties(customers, hits)
        .iter()
        .flat_map(|p| p.accounts.iter().cloned())
        .collect()
}

fn hit_parties<'a>(customers: &'a Customers, hits: &'a [CustomerHit]) -> Vec<HitParty<'a>> {
    hits.iter()
        .map(|h| {
            if h.row_quarantined {
                let q = customers.quarantine.iter().find(|q| q.row == h.row);
                HitParty {
                    customer_id: &h.customer_id,
                    name: &h.name,
                    accounts: q.map_or(&[][..], |q| q.accounts.as_slice()),
                    customer: None,
                    quarantine: q,
                }
            } else {
                let c = customers
                    .list
                    .binary_search_by(|c| c.customer_id.as_str().cmp(&h.customer_id))
                    .ok()
                    .map(|i| &customers.list[i]);
                HitParty {
                    customer_id: &h.customer_id,
                    name: &h.name,
                    accounts: c.map_or(&[][..], |c| c.accounts.as_slice()),
                    customer: c,
                    quarantine: None,
                }
            }
        })
        .collect()
}

/// [`customer_alerts`] over `frame`, canonical rows that include every transaction to or from
/// an account of [`customer_hit_accounts`] (other rows are ignored), with the run's period
/// (first and last transaction time, µs; `None` for a run without transactions) given.
pub fn customer_alerts_in(
    customers: &Customers,
    hits: &[CustomerHit],
    frame: &DataFrame,
    run_span: Option<(i64, i64)>,
    base_currency: &str,
) -> PolarsResult<(Vec<Alert>, HashMap<String, TxnRecord>)> {
    if hits.is_empty() {
        return Ok((Vec::new(), HashMap::new()));
    }
    let parties = hit_parties(customers, hits);
    // every transaction touching an account of a customer hit, found in one pass per column
    let wanted: PlHashSet<&str> = parties
        .iter()
        .flat_map(|p| p.accounts.iter().map(String::as_str))
        .collect();
    let (orig, bene) = (
        frame.column("orig_account")?.str()?,
        frame.column("bene_account")?.str()?,
    );
    let (mut rows, bene_rows) = rayon::join(
        || rows_with_value_in(orig, &wanted),
        || rows_with_value_in(bene, &wanted),
    );
    rows.extend(bene_rows);
    rows.sort_unstable();
    rows.dedup();
    let matched = frame.take(&IdxCa::from_vec("rows".into(), rows))?;
    let ts = matched.column("ts")?.cast(&DataType::Int64)?;
    let ts = ts.i64()?.clone();
    let base = matched.column("base_amount")?.i64()?.clone();
    let records = crate::ingest::frame_to_records(&matched)?;
    let mut by_account: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        for account in [&r.orig_account, &r.bene_account] {
            if wanted.contains(account.as_str()) {
                let rows = by_account.entry(account.as_str()).or_default();
                if rows.last() != Some(&i) {
                    rows.push(i);
                }
            }
        }
    }
    let mut alerts = Vec::with_capacity(hits.len());
    let mut evidence = HashMap::new();
    for (h, party) in hits.iter().zip(&parties) {
        let mut cited: Vec<usize> = party
            .accounts
            .iter()
            .flat_map(|a| by_account.get(a.as_str()).into_iter().flatten().copied())
            .collect();
        cited.sort_by(|&a, &b| {
            (ts.get(a), &records[a].txn_id).cmp(&(ts.get(b), &records[b].txn_id))
        });
        cited.dedup();
        let span = if cited.is_empty() {
            run_span
        } else {
            cited
                .iter()
                .filter_map(|&i| ts.get(i))
                .min()
                .zip(cited.iter().filter_map(|&i| ts.get(i)).max())
        };
        let (window_start, window_end) = span.map_or((String::new(), String::new()), |(s, e)| {
            (format_timestamp(s), format_timestamp(e))
        });
        let (start, end) = span.unwrap_or((0, 0));
        let total: i128 = cited
            .iter()
            .filter_map(|&i| base.get(i))
            .map(i128::from)
            .sum();
        let subject = party
            .accounts
            .first()
            .cloned()
            .unwrap_or_else(|| customer_pseudo_account(party.customer_id, h.row));
        let hit = &h.hit;
        let facts = customer_facts(party);
        let quarantine_note = party.quarantine.map_or(String::new(), |q| {
            format!(
                " The customer's row {} was quarantined ({} in `{}`): screened by name alone.",
                q.row,
                q.reason.as_str(),
                q.column
            )
        });
        let activity_note = if cited.is_empty() {
            " The customer has no transaction in this run.".to_string()
        } else {
            String::new()
        };
        let summary = format!(
            "Customer {} \"{}\" matches {}.{quarantine_note}{activity_note}",
            party.customer_id,
            party.name,
            describe_hit(hit),
        );
        for &i in &cited {
            evidence.insert(records[i].txn_id.clone(), records[i].clone());
        }
        let mut details: Vec<(String, String)> = vec![
            ("list".into(), hit.list.clone()),
            ("entry_id".into(), hit.entry_id.clone()),
            ("entry_type".into(), hit.entry_type.clone()),
            ("programs".into(), hit.programs.clone()),
            ("matched_name".into(), hit.matched_name.clone()),
            ("primary_name".into(), hit.primary_name.clone()),
            ("match_score".into(), format!("{:.3}", hit.score)),
            ("explanation".into(), hit.explanation.clone()),
            ("customer_id".into(), party.customer_id.to_string()),
            ("customer_name".into(), party.name.to_string()),
            ("customer_accounts".into(), party.accounts.join(";")),
        ];
        details.extend(facts);
        details.push(("customer_row".into(), h.row.to_string()));
        details.push(("row_quarantined".into(), h.row_quarantined.to_string()));
        if let Some(q) = party.quarantine {
            details.push(("quarantine_reason".into(), q.reason.as_str().to_string()));
        }
        details.push(("transactions_in_run".into(), cited.len().to_string()));
        alerts.push(Alert {
            alert_id: alert_id(
                CUSTOMER_SANCTIONS_RULE_ID,
                &format!(
                    "{}\x1f{}\x1f{}\x1f{}",
                    party.customer_id, h.row, hit.list, hit.entry_id
                ),
                start,
                end,
            ),
            rule_id: CUSTOMER_SANCTIONS_RULE_ID.to_string(),
            pack: SANCTIONS_PACK.to_string(),
            typology: Typology::Sanctions,
            subject_account: subject,
            subject_name: party.name.to_string(),
            window_start,
            window_end,
            txn_count: cited.len() as u64,
            total_amount: format_money(total),
            currency: base_currency.to_string(),
            score: SANCTIONS_SCORE,
            txn_ids: cited.iter().map(|&i| records[i].txn_id.as_str()).collect(),
            summary,
            severity: "critical".to_string(),
            details,
        });
    }
    crate::rules::sort_alerts(&mut alerts);
    Ok((alerts, evidence))
}

/// The identity facts a customer alert carries (for the analyst and the goAML export): those
/// the file gives for an accepted customer; none for a quarantined row, whose fields were not
/// accepted.
fn customer_facts(party: &HitParty<'_>) -> Vec<(String, String)> {
    let Some(c) = party.customer else {
        return Vec::new();
    };
    let mut facts = Vec::new();
    let mut add = |key: &str, value: Option<&str>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            facts.push((key.to_string(), v.to_string()));
        }
    };
    add("customer_type", c.kind.map(|k| k.as_str()));
    add("birth_date", c.birth_date.as_deref());
    add("nationality", c.nationality.as_deref());
    add("residence", c.country.as_deref());
    let ids = c.id_numbers.join(";");
    add("id_numbers", Some(ids.as_str()));
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame of names in one chunk per row, as a Parquet file's row groups arrive.
    fn chunked_names(rows: &[(&str, &str)]) -> DataFrame {
        let mut frame: Option<DataFrame> = None;
        for (orig, bene) in rows {
            let one = df!("orig_name" => [*orig], "bene_name" => [*bene]).unwrap();
            match frame.as_mut() {
                Some(f) => {
                    f.vstack_mut_owned(one).unwrap();
                }
                None => frame = Some(one),
            }
        }
        frame.unwrap()
    }

    #[test]
    fn names_are_found_in_every_chunk_once_and_in_order() {
        let frame = chunked_names(&[
            ("Ann Lee", ""),
            ("Bo Chen", "Ann Lee"),
            ("", "Cy Diaz"),
            ("Dee Fox", "Bo Chen"),
            ("Ann Lee", "Eve Gray"),
        ]);
        assert!(frame.column("orig_name").unwrap().n_chunks() > 1);
        let columns = NameColumns::of(&frame).unwrap();
        assert_eq!(
            columns.distinct(),
            ["Ann Lee", "Bo Chen", "Cy Diaz", "Dee Fox", "Eve Gray"]
        );
        let listed: PlHashSet<&str> = ["Ann Lee", "Cy Diaz"].into_iter().collect();
        // rows 0, 1 (beneficiary), 2 (beneficiary) and 4; not row 3
        assert_eq!(columns.rows_naming(&listed), [0, 1, 2, 4]);
    }
}
