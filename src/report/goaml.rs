//! goAML XML export (schema 5.0.2): one suspicious transaction report (STR) per case, and
//! optionally a cash transaction report (CTR) for the `cash_threshold` alerts of a case.
//!
//! Values come only from the case and the profile. A case that lacks something the schema
//! requires (a country, a funds code for its channel, a counterparty institution code, …) is not
//! written; [`GoamlExport::skipped`] names the missing goAML element. Nothing is filled in.
//!
//! Parties are written with the `t_from` / `t_to` forms of the schema: the `…_my_client` forms
//! need know-your-customer facts (account opening date, status, signatories) that transaction
//! data does not have. Accounts of the case subject carry the reporting institution's code;
//! other accounts carry the profile's `counterparty_institution_code`. A party with a name but no
//! account (a walk-in cash depositor) is written as a person.
//!
//! A case with `customer_sanctions_match` alerts reports each matched customer as a
//! `report_party` of the report's `activity` (after its transactions, or alone when the customer
//! has no transaction in the run): a `person` (or an `entity` for a customer the file types so)
//! with the birth date (a full date only), the first identity number, nationality and residence
//! the customer file gives (a country the schema's code list lacks, a partial birth date and
//! further numbers go to `comments`), significance 10 and the match as the `reason`. A
//! quarantined customer row has no accepted facts: its party has its name only. When a
//! transaction of such a case lacks a required element, the report is written all the same as
//! an activity report without transactions, and [`GoamlExport::without_transactions`] names
//! the element: a listed customer is never left unreported for it.
//!
//! goAML names allow only `A-Z a-z 0-9 space . ' -`. Names are transliterated to ASCII and other
//! characters become spaces; when that changed the name, the name as recorded is kept, escaped,
//! in the party's `comments`.

mod profile;
mod schema;
mod xml;

pub use profile::{
    load_goaml_profile, CtrSettings, DataCodes, GoamlProfile, ReportingPerson, UnlistedCode,
};
pub use schema::{CodeList, GoamlSchema, SchemaError};

use crate::cases::Case;
use crate::model::{format_money, parse_money, Channel, TxnRecord, Typology};
use std::collections::BTreeSet;
use xml::XmlWriter;

/// The files of one export and the cases that could not be written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoamlExport {
    /// `(file name, XML document)`, e.g. `("C-0123456789ab-STR.xml", "<?xml …")`, in case order.
    pub files: Vec<(String, String)>,
    /// `(case id, missing goAML element)` for every report that was not written. For a cash
    /// transaction report the element name ends in ` (CTR)`; an unknown case id gives `case_id`.
    pub skipped: Vec<(String, String)>,
    /// `(case id, missing goAML element)` for every suspicious transaction report written as
    /// an activity report without its transactions: a case with a matched customer whose
    /// transactions lack a required element still reports the customer.
    pub without_transactions: Vec<(String, String)>,
}

/// The longest `reason` / `transaction_description` the schema accepts (`comments_type`).
const MAX_COMMENT_CHARS: usize = 8000;

/// Exports the cases whose ids are in `case_ids` (all cases when `case_ids` is empty).
pub fn export_goaml(cases: &[Case], profile: &GoamlProfile, case_ids: &[String]) -> GoamlExport {
    let mut export = GoamlExport::default();
    let selected: Vec<&Case> = if case_ids.is_empty() {
        cases.iter().collect()
    } else {
        let mut list: Vec<&Case> = Vec::new();
        for id in case_ids {
            if list.iter().any(|c| &c.case_id == id) {
                continue;
            }
            match cases.iter().find(|c| &c.case_id == id) {
                Some(case) => list.push(case),
                None => export.skipped.push((id.clone(), "case_id".to_string())),
            }
        }
        list
    };
    let submission_date = submission_date(profile);

    for case in selected {
        // a case read from cases.jsonl holds its records; one of a run may read them back
        let records = match case.transactions.records() {
            Ok(records) => records,
            Err(e) => {
                export
                    .skipped
                    .push((case.case_id.clone(), format!("evidence unreadable: {e}")));
                continue;
            }
        };
        let str_report = ReportSpec {
            report_code: &profile.report_code,
            reason: case.narrative.clone(),
            transactions: records.iter().map(|t| &**t).collect(),
            typologies: case.typologies.clone(),
            parties: customer_parties(case),
        };
        let file_name = format!("{}-{}.xml", case.case_id, file_code(&profile.report_code));
        match write_report(case, profile, &str_report, &submission_date) {
            Ok(xml) => export.files.push((file_name, xml)),
            Err(missing)
                if !str_report.parties.is_empty() && !str_report.transactions.is_empty() =>
            {
                // a listed customer must not go unreported for want of a transaction's element
                let activity = ReportSpec {
                    transactions: Vec::new(),
                    ..str_report
                };
                match write_report(case, profile, &activity, &submission_date) {
                    Ok(xml) => {
                        export.files.push((file_name, xml));
                        export
                            .without_transactions
                            .push((case.case_id.clone(), missing));
                    }
                    Err(missing) => export.skipped.push((case.case_id.clone(), missing)),
                }
            }
            Err(missing) => export.skipped.push((case.case_id.clone(), missing)),
        }

        if profile.ctr.enabled {
            if let Some(ctr) = ctr_spec(case, &records, profile) {
                match write_report(case, profile, &ctr, &submission_date) {
                    Ok(xml) => export.files.push((
                        format!(
                            "{}-{}.xml",
                            case.case_id,
                            file_code(&profile.ctr.report_code)
                        ),
                        xml,
                    )),
                    Err(missing) => export
                        .skipped
                        .push((case.case_id.clone(), format!("{missing} (CTR)"))),
                }
            }
        }
    }
    export
}

/// What goes into one report: its code, reason, transactions, indicators and the customers
/// reported as parties.
struct ReportSpec<'a> {
    report_code: &'a str,
    reason: String,
    transactions: Vec<&'a TxnRecord>,
    typologies: Vec<Typology>,
    parties: Vec<CustomerParty<'a>>,
}

/// A customer a `customer_sanctions_match` alert of the case is about, with the facts its
/// alerts carry and the matches, for a `report_party`.
struct CustomerParty<'a> {
    name: &'a str,
    facts: &'a [(String, String)],
    /// The alerts' summaries, in case order.
    matches: Vec<&'a str>,
}

impl CustomerParty<'_> {
    fn fact(&self, key: &str) -> &str {
        self.facts
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.trim())
    }
}

/// The customers of the case's `customer_sanctions_match` alerts, one per customer file row, in
/// order of customer id then row.
fn customer_parties(case: &Case) -> Vec<CustomerParty<'_>> {
    let mut by_row: std::collections::BTreeMap<(String, u64), CustomerParty<'_>> =
        Default::default();
    for alert in &case.alerts {
        if alert.rule_id != crate::screening::CUSTOMER_SANCTIONS_RULE_ID {
            continue;
        }
        let fact = |key: &str| {
            alert
                .details
                .iter()
                .find(|(k, _)| k == key)
                .map_or("", |(_, v)| v.as_str())
        };
        let key = (
            fact("customer_id").to_string(),
            fact("customer_row").parse().unwrap_or(0),
        );
        by_row
            .entry(key)
            .or_insert_with(|| CustomerParty {
                name: alert.subject_name.as_str(),
                facts: &alert.details,
                matches: Vec::new(),
            })
            .matches
            .push(alert.summary.as_str());
    }
    by_row.into_values().collect()
}

fn ctr_spec<'a>(
    case: &'a Case,
    records: &'a [std::sync::Arc<TxnRecord>],
    profile: &'a GoamlProfile,
) -> Option<ReportSpec<'a>> {
    let cash_alerts: Vec<_> = case
        .alerts
        .iter()
        .filter(|a| a.typology == Typology::CashThreshold)
        .collect();
    if cash_alerts.is_empty() {
        return None;
    }
    let ids: BTreeSet<&str> = cash_alerts.iter().flat_map(|a| a.txn_ids.iter()).collect();
    let reason = cash_alerts
        .iter()
        .map(|a| a.summary.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Some(ReportSpec {
        report_code: &profile.ctr.report_code,
        reason,
        transactions: records
            .iter()
            .filter(|t| ids.contains(t.txn_id.as_str()))
            .map(|t| &**t)
            .collect(),
        typologies: vec![Typology::CashThreshold],
        parties: Vec::new(),
    })
}

/// Writes one report, or names the first required element the case cannot supply.
fn write_report(
    case: &Case,
    profile: &GoamlProfile,
    spec: &ReportSpec<'_>,
    submission_date: &str,
) -> Result<String, String> {
    if spec.transactions.is_empty() && spec.parties.is_empty() {
        return Err("transaction".to_string());
    }
    let indicators: BTreeSet<&str> = spec
        .typologies
        .iter()
        .filter_map(|t| profile.indicators.get(t))
        .map(String::as_str)
        .collect();
    if indicators.is_empty() {
        return Err("report_indicators".to_string());
    }

    let mut w = XmlWriter::new();
    w.open("report");
    w.leaf("rentity_id", &profile.rentity_id.to_string());
    w.leaf_if("rentity_branch", &profile.rentity_branch);
    w.leaf("submission_code", &profile.submission_code);
    w.leaf("report_code", spec.report_code);
    w.leaf("entity_reference", &case.case_id);
    w.leaf("submission_date", submission_date);
    w.leaf("currency_code_local", &profile.currency_code_local);
    write_reporter(&mut w, profile);
    w.leaf("reason", &truncate_chars(&spec.reason, MAX_COMMENT_CHARS));
    w.leaf_if(
        "action",
        &truncate_chars(&profile.action, MAX_COMMENT_CHARS),
    );
    for txn in &spec.transactions {
        write_transaction(&mut w, case, profile, txn)?;
    }
    if !spec.parties.is_empty() {
        w.open("activity");
        w.open("report_parties");
        for party in &spec.parties {
            write_report_party(&mut w, profile, party)?;
        }
        w.close();
        w.close();
    }
    w.open("report_indicators");
    for code in indicators {
        w.leaf("indicator", code);
    }
    w.close();
    Ok(w.finish())
}

fn write_reporter(w: &mut XmlWriter, profile: &GoamlProfile) {
    if let Some(person) = &profile.reporting_person {
        w.open("reporting_person");
        w.leaf_if("title", &person.title);
        w.leaf("first_name", &person.first_name);
        w.leaf("last_name", &person.last_name);
        w.leaf_if("email", &person.email);
        w.leaf_if("occupation", &person.occupation);
        w.close();
    } else if !profile.reporting_user_code.is_empty() {
        w.leaf("reporting_user_code", &profile.reporting_user_code);
    }
}

/// Which side of a transaction a party is on; names the goAML elements.
#[derive(Clone, Copy)]
enum Side {
    From,
    To,
}

impl Side {
    fn tag(self, suffix: &str) -> String {
        match self {
            Side::From => format!("from_{suffix}"),
            Side::To => format!("to_{suffix}"),
        }
    }
}

fn write_transaction(
    w: &mut XmlWriter,
    case: &Case,
    profile: &GoamlProfile,
    txn: &TxnRecord,
) -> Result<(), String> {
    let number = require_len("transactionnumber", &txn.txn_id, 100)?;
    let location = if txn.branch.chars().count() <= 255 {
        txn.branch.trim()
    } else {
        return Err("transaction_location".to_string());
    };
    let date = sql_datetime(&txn.timestamp).ok_or("date_transaction")?;
    let transmode = profile
        .transmode
        .get(&txn.channel)
        .ok_or("transmode_code")?;
    let funds = profile.funds.get(&txn.channel).ok_or("from_funds_code")?;
    let to_funds = profile.to_funds.get(&txn.channel).unwrap_or(funds);
    let amount_local = local_amount(case, profile, txn).ok_or("amount_local")?;
    let foreign = if txn.currency == profile.currency_code_local {
        None
    } else {
        let code = txn.currency.trim();
        let micros = parse_money(&txn.amount)
            .ok()
            .filter(|_| profile.data_codes.foreign_currency.contains(code))
            .ok_or("foreign_currency_code")?;
        Some((code, format_money(micros)))
    };

    w.open("transaction");
    w.leaf("transactionnumber", number);
    w.leaf("transaction_location", location);
    w.leaf(
        "transaction_description",
        &truncate_chars(&describe_transaction(case, txn), MAX_COMMENT_CHARS),
    );
    w.leaf("date_transaction", &date);
    w.leaf("transmode_code", transmode);
    w.leaf("transmode_comment", &profile.transmode_comment);
    w.leaf("amount_local", &amount_local);

    let from = Party {
        account: &txn.orig_account,
        name: &txn.orig_name,
        country: &txn.orig_country,
    };
    let to = Party {
        account: &txn.bene_account,
        name: &txn.bene_name,
        country: &txn.bene_country,
    };
    w.open("t_from");
    w.leaf("from_funds_code", funds);
    if let Some((code, amount)) = foreign {
        w.open("from_foreign_currency");
        w.leaf("foreign_currency_code", code);
        w.leaf("foreign_amount", &amount);
        w.close();
    }
    write_party(w, case, profile, txn, Side::From, &from)?;
    w.close();
    w.open("t_to");
    w.leaf("to_funds_code", to_funds);
    write_party(w, case, profile, txn, Side::To, &to)?;
    w.close();
    w.close();
    Ok(())
}

/// One side of a transaction as the record gives it.
struct Party<'a> {
    account: &'a str,
    name: &'a str,
    country: &'a str,
}

fn write_party(
    w: &mut XmlWriter,
    case: &Case,
    profile: &GoamlProfile,
    txn: &TxnRecord,
    side: Side,
    party: &Party<'_>,
) -> Result<(), String> {
    let country_tag = side.tag("country");
    let country = party.country.trim();
    let countries = match side {
        Side::From => &profile.data_codes.from_country,
        Side::To => &profile.data_codes.to_country,
    };
    if !countries.contains(country) {
        return Err(country_tag);
    }
    let account = party.account.trim();
    if account.is_empty() {
        write_person(w, side, party.name)?;
    } else {
        let is_subject = case.subject.accounts.iter().any(|a| a == account);
        let institution_code = if is_subject {
            profile.institution_code.trim()
        } else {
            profile.counterparty_institution_code.trim()
        };
        let uses_swift = is_subject && institution_code.is_empty() && !profile.swift.is_empty();
        if institution_code.is_empty() && !uses_swift {
            return Err("institution_code".to_string());
        }
        let (ascii_name, as_recorded) = goaml_name(party.name).ok_or("account_name")?;
        let account = require_len("account", account, 255)?;
        let branch = if is_subject && txn.branch.trim().chars().count() <= 255 {
            txn.branch.trim()
        } else {
            ""
        };
        w.open(if matches!(side, Side::From) {
            "from_account"
        } else {
            "to_account"
        });
        if is_subject {
            w.leaf(
                "institution_name",
                &truncate_chars(&profile.institution_name, 255),
            );
        }
        if institution_code.is_empty() {
            w.leaf("swift", &profile.swift);
        } else {
            w.leaf("institution_code", institution_code);
        }
        w.leaf_if("branch", branch);
        w.leaf("account", account);
        w.leaf("account_name", &ascii_name);
        w.leaf_if("comments", &as_recorded);
        w.close();
    }
    w.leaf(&country_tag, country);
    Ok(())
}

/// One matched customer as a `report_party`: a `person` or `entity` with the facts the schema
/// has fields for, significance 10, the matches as its reason.
fn write_report_party(
    w: &mut XmlWriter,
    profile: &GoamlProfile,
    party: &CustomerParty<'_>,
) -> Result<(), String> {
    let countries = &profile.data_codes.from_country;
    let mut notes: Vec<String> = vec![format!(
        "Customer {} (customer file row {}){}",
        party.fact("customer_id"),
        party.fact("customer_row"),
        if party.fact("row_quarantined") == "true" {
            format!(
                "; the row was quarantined ({}) and its facts not accepted",
                party.fact("quarantine_reason")
            )
        } else {
            String::new()
        }
    )];
    let accounts = party.fact("customer_accounts");
    if !accounts.is_empty() {
        notes.push(format!("Accounts: {}", accounts.replace(';', ", ")));
    }
    let (ascii_name, as_recorded) = goaml_name(party.name).ok_or("last_name")?;
    if !as_recorded.is_empty() {
        notes.push(as_recorded);
    }
    let birth = party.fact("birth_date");
    // sql_date starts in 1753
    let full_birth =
        (birth.len() == 10 && birth[..4] >= *"1753").then(|| format!("{birth}T00:00:00"));
    if !birth.is_empty() && full_birth.is_none() {
        notes.push(format!("Birth date as the customer file gives it: {birth}"));
    }
    let ids: Vec<&str> = party
        .fact("id_numbers")
        .split(';')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .collect();
    let country = |key: &str, what: &str, notes: &mut Vec<String>| -> Option<String> {
        let code = party.fact(key);
        if code.is_empty() {
            None
        } else if countries.contains(code) {
            Some(code.to_string())
        } else {
            notes.push(format!("{what}: {code}"));
            None
        }
    };
    let nationality = country("nationality", "Nationality", &mut notes);
    let residence = country("residence", "Residence", &mut notes);
    // the first identity number that fits the schema's field; the others go to the comments
    let first_id = |limit: usize, notes: &mut Vec<String>| {
        let first = ids.first().copied().filter(|i| i.chars().count() <= limit);
        let more: Vec<&str> = ids.iter().copied().filter(|i| Some(*i) != first).collect();
        if !more.is_empty() {
            notes.push(format!("Identity numbers: {}", more.join(", ")));
        }
        first
    };
    if party.fact("customer_type") == "entity" {
        let first_id = first_id(50, &mut notes);
        w.open("report_party");
        w.open("entity");
        w.leaf("name", &ascii_name);
        w.leaf_if("incorporation_number", first_id.unwrap_or(""));
        w.leaf_if(
            "incorporation_country_code",
            residence.as_deref().unwrap_or(""),
        );
        if let Some(nationality) = nationality {
            notes.push(format!("Nationality: {nationality}"));
        }
        w.leaf_if("incorporation_date", full_birth.as_deref().unwrap_or(""));
    } else {
        let (first, last) = ascii_name.rsplit_once(' ').ok_or("first_name")?;
        let first = require_len("first_name", first, 100)?;
        let last = require_len("last_name", last, 100)?;
        let first_id = first_id(255, &mut notes);
        w.open("report_party");
        w.open("person");
        w.leaf("first_name", first);
        w.leaf("last_name", last);
        w.leaf_if("birthdate", full_birth.as_deref().unwrap_or(""));
        w.leaf_if("id_number", first_id.unwrap_or(""));
        w.leaf_if("nationality1", nationality.as_deref().unwrap_or(""));
        w.leaf_if("residence", residence.as_deref().unwrap_or(""));
    }
    w.leaf(
        "comments",
        &truncate_chars(&notes.join(". "), MAX_COMMENT_CHARS),
    );
    w.close();
    w.leaf("significance", "10");
    w.leaf(
        "reason",
        &truncate_chars(&party.matches.join(" "), MAX_COMMENT_CHARS),
    );
    w.close();
    Ok(())
}

/// A party with a name but no account: `from_person` / `to_person`, split into first and last
/// name at the last space.
fn write_person(w: &mut XmlWriter, side: Side, name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err(side.tag("account"));
    }
    let (ascii_name, as_recorded) = goaml_name(name).ok_or("last_name")?;
    let (first, last) = ascii_name.rsplit_once(' ').ok_or("first_name")?;
    let first = require_len("first_name", first, 100)?;
    let last = require_len("last_name", last, 100)?;
    w.open(if matches!(side, Side::From) {
        "from_person"
    } else {
        "to_person"
    });
    w.leaf("first_name", first);
    w.leaf("last_name", last);
    let note = if as_recorded.is_empty() {
        format!("Name as recorded: {}", name.trim())
    } else {
        as_recorded
    };
    w.leaf("comments", &note);
    w.close();
    Ok(())
}

/// The amount in local currency, when the case data holds it: the base-currency amount when the
/// base currency is the local one, else the transaction amount when it is in local currency.
fn local_amount(case: &Case, profile: &GoamlProfile, txn: &TxnRecord) -> Option<String> {
    let local = profile.currency_code_local.as_str();
    let amount = if case.currency == local {
        &txn.amount_base
    } else if txn.currency == local {
        &txn.amount
    } else {
        return None;
    };
    parse_money(amount).ok().map(format_money)
}

fn describe_transaction(case: &Case, txn: &TxnRecord) -> String {
    let rules: BTreeSet<String> = case
        .alerts
        .iter()
        .filter(|a| a.txn_ids.contains(&txn.txn_id))
        .map(|a| format!("{} ({})", a.rule_id, a.typology.label()))
        .collect();
    let party = |name: &str, account: &str| match (name.trim(), account.trim()) {
        ("", "") => "an unidentified party".to_string(),
        (n, "") => n.to_string(),
        ("", a) => format!("account {a}"),
        (n, a) => format!("{n} (account {a})"),
    };
    format!(
        "{} of {} {} from {} to {}. Evidence for: {}.",
        channel_phrase(txn.channel),
        txn.amount.trim(),
        txn.currency.trim(),
        party(&txn.orig_name, &txn.orig_account),
        party(&txn.bene_name, &txn.bene_account),
        rules.into_iter().collect::<Vec<_>>().join(", ")
    )
}

fn channel_phrase(channel: Channel) -> &'static str {
    match channel {
        Channel::Cash => "Cash transaction",
        Channel::Wire => "Wire transfer",
        Channel::Ach => "ACH transfer",
        Channel::Cheque => "Cheque",
        Channel::Card => "Card payment",
        Channel::Mobile => "Mobile payment",
        Channel::Crypto => "Crypto-asset transfer",
        Channel::Internal => "Internal transfer",
        Channel::Other => "Transaction",
    }
}

/// The name as goAML accepts it (ASCII letters, digits, space, `.`, `'`, `-`) and, when that
/// differs from the name as recorded, a `comments` text holding the original. `None` when nothing
/// usable is left or the name is longer than 255 characters.
fn goaml_name(name: &str) -> Option<(String, String)> {
    let recorded = name.trim();
    let ascii = deunicode::deunicode(recorded);
    let cleaned: String = ascii
        .chars()
        .map(|c| if is_goaml_name_char(c) { c } else { ' ' })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if !collapsed.chars().any(|c| c.is_ascii_alphanumeric()) || collapsed.len() > 255 {
        return None;
    }
    let note = if collapsed == recorded {
        String::new()
    } else {
        format!("Name as recorded: {recorded}")
    };
    Some((collapsed, note))
}

fn is_goaml_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '\'' | '-')
}

/// True when every character is allowed in goAML name fields.
pub(crate) fn is_goaml_name(text: &str) -> bool {
    text.chars().all(is_goaml_name_char)
}

/// An ISO 8601 date-time (`2026-03-01T14:22:05Z`, with or without offset or fraction) as goAML's
/// `sql_date`: UTC, to the second, no zone suffix.
pub(crate) fn sql_datetime(text: &str) -> Option<String> {
    let t = text.trim();
    let utc = chrono::DateTime::parse_from_rfc3339(t)
        .map(|dt| dt.naive_utc())
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()?;
    Some(utc.format("%Y-%m-%dT%H:%M:%S").to_string())
}

fn submission_date(profile: &GoamlProfile) -> String {
    if let Some(date) = sql_datetime(&profile.report_date) {
        return date;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(now, 0)
        .map(|dt| dt.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_else(|| "1970-01-01T00:00:00".to_string())
}

fn require_len<'a>(field: &str, value: &'a str, max_chars: usize) -> Result<&'a str, String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max_chars {
        Err(field.to_string())
    } else {
        Ok(v)
    }
}

fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => text[..i].to_string(),
        None => text.to_string(),
    }
}

/// Report codes as they appear in file names: letters and digits only.
fn file_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}
