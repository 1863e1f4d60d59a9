//! OpenSanctions FollowTheMoney entities, one JSON object a line.
//!
//! Parties (`Person`, `Organization`, `Company`, `LegalEntity`, `PublicBody`, `Vessel`,
//! `Airplane`) become entries; other schemas (addresses, sanctions, ownerships, ...) are not
//! parties and are passed over. `name` and `alias` are screened, `previousName` is a former name,
//! and `weakAlias` is kept but never matched on its own.

use super::Parsed;
use crate::watchlist::entry::{Entry, ListedName, NameKind};
use crate::watchlist::error::WatchlistError;
use crate::watchlist::facts::{
    country_code, is_matchable_id, normalize_id, BirthDate, IdDocument, IdKind, PartialDate,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The list name given to OpenSanctions entries.
pub(crate) const LIST_NAME: &str = "OPENSANCTIONS";

/// The fields of one FtM line that screening uses.
#[derive(Deserialize)]
struct FtmLine {
    id: Option<String>,
    schema: Option<String>,
    caption: Option<String>,
    #[serde(default)]
    properties: BTreeMap<String, Vec<serde_json::Value>>,
}

impl FtmLine {
    /// The string values of a property, in file order.
    fn values(&self, property: &str) -> Vec<String> {
        self.properties
            .get(property)
            .map(|vs| {
                vs.iter()
                    .filter_map(|v| v.as_str())
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The entry type for a party schema, or `None` for schemas that are not parties.
fn entry_type(schema: &str) -> Option<&'static str> {
    match schema {
        "Person" => Some("individual"),
        "Organization" | "Company" | "LegalEntity" | "PublicBody" => Some("entity"),
        "Vessel" => Some("vessel"),
        "Airplane" => Some("aircraft"),
        _ => None,
    }
}

/// Parses every line; lines that are not JSON objects, or parties without id or name, are
/// skipped with a warning.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Parsed, WatchlistError> {
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let at = format!("{}:{line_no}", path.display());
        if line.trim().is_empty() {
            continue;
        }
        let record: FtmLine = match serde_json::from_str(line) {
            Ok(r) => r,
            Err(e) => {
                warnings.push(format!(
                    "{at}: {e}; expected one FtM entity JSON object; line skipped"
                ));
                continue;
            }
        };
        let Some(schema) = record.schema.as_deref() else {
            warnings.push(format!("{at}: expected a `schema` field; line skipped"));
            continue;
        };
        let Some(kind) = entry_type(schema) else {
            continue;
        };
        let Some(id) = record.id.clone().filter(|i| !i.is_empty()) else {
            warnings.push(format!("{at}: expected an `id` field; line skipped"));
            continue;
        };
        let names = names_of(&record);
        if names.iter().all(|n| !n.kind.is_screened()) {
            warnings.push(format!(
                "{at}: entity {id} has no `name`, `alias` or `previousName` (weakAlias alone is not screened); line skipped"
            ));
            continue;
        }
        let mut programs = record.values("program");
        if programs.is_empty() {
            programs = record.values("topics");
        }
        let mut countries = record.values("country");
        for c in record.values("nationality") {
            if !countries.contains(&c) {
                countries.push(c);
            }
        }
        entries.push(Entry {
            list: LIST_NAME.to_string(),
            id,
            entry_type: kind.to_string(),
            programs: programs.join("; "),
            countries,
            birth_dates: birth_dates_of(&record, kind, &at, &mut warnings),
            nationalities: nationalities_of(&record, &at, &mut warnings),
            documents: documents_of(&record),
            names,
        });
    }
    Ok(Parsed::new(entries, warnings))
}

/// The caption (or first name) as primary, then other names, aliases, former and weak names.
fn names_of(record: &FtmLine) -> Vec<ListedName> {
    let mut names: Vec<ListedName> = Vec::new();
    let mut add = |text: String, kind: NameKind| {
        if !names.iter().any(|n| n.text == text) {
            names.push(ListedName { text, kind });
        }
    };
    let all_names = record.values("name");
    let caption = record
        .caption
        .clone()
        .filter(|c| all_names.contains(c))
        .or_else(|| all_names.first().cloned());
    if let Some(primary) = caption {
        add(primary, NameKind::Primary);
    }
    for name in all_names {
        add(name, NameKind::Aka);
    }
    for alias in record.values("alias") {
        add(alias, NameKind::Aka);
    }
    for previous in record.values("previousName") {
        add(previous, NameKind::Fka);
    }
    for weak in record.values("weakAlias") {
        add(weak, NameKind::Weak);
    }
    names
}

/// `birthDate` of people, `incorporationDate` of organisations (`YYYY`, `YYYY-MM`,
/// `YYYY-MM-DD`, possibly followed by a time); other values are skipped with a warning.
fn birth_dates_of(
    record: &FtmLine,
    kind: &str,
    at: &str,
    warnings: &mut Vec<String>,
) -> Vec<BirthDate> {
    let property = if kind == "individual" {
        "birthDate"
    } else {
        "incorporationDate"
    };
    let mut dates = Vec::new();
    for value in record.values(property) {
        let day_part = value.get(..10.min(value.len())).unwrap_or(&value);
        let parsed = PartialDate::parse(&value).or_else(|_| PartialDate::parse(day_part));
        match parsed {
            Ok(date) => {
                let date = BirthDate::Exact(date);
                if !dates.contains(&date) {
                    dates.push(date);
                }
            }
            Err(e) => warnings.push(format!("{at}: `{property}`: {e}; date skipped")),
        }
    }
    dates
}

/// `nationality` and `citizenship` as alpha-2 codes; values that are no country code (FtM also
/// has historic codes such as `suhh`) are skipped with a warning.
fn nationalities_of(record: &FtmLine, at: &str, warnings: &mut Vec<String>) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for property in ["nationality", "citizenship"] {
        for value in record.values(property) {
            match country_code(&value) {
                Some(code) => {
                    if !codes.iter().any(|c| c == code) {
                        codes.push(code.to_string());
                    }
                }
                None => warnings.push(format!(
                    "{at}: `{property}` {value:?} is not an ISO 3166 country code; skipped"
                )),
            }
        }
    }
    codes
}

/// `passportNumber` as passports, `idNumber` as national ids, tax and registration numbers as
/// other identifiers; numbers too short to identify anyone are left out.
fn documents_of(record: &FtmLine) -> Vec<IdDocument> {
    let mut documents: Vec<IdDocument> = Vec::new();
    let properties = [
        ("passportNumber", IdKind::Passport),
        ("idNumber", IdKind::NationalId),
        ("taxNumber", IdKind::Other),
        ("innCode", IdKind::Other),
        ("registrationNumber", IdKind::Other),
        ("ogrnCode", IdKind::Other),
    ];
    for (property, kind) in properties {
        for value in record.values(property) {
            let number = normalize_id(&value);
            if is_matchable_id(&number) && !documents.iter().any(|d| d.number == number) {
                documents.push(IdDocument {
                    kind,
                    number,
                    country: None,
                });
            }
        }
    }
    documents
}
