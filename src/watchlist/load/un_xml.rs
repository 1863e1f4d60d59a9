//! The UN Security Council consolidated list XML.
//!
//! `CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL` and `ENTITIES/ENTITY`, each with `FIRST_NAME` ..
//! `FOURTH_NAME` (entities use `FIRST_NAME` only), `NAME_ORIGINAL_SCRIPT`, `UN_LIST_TYPE`,
//! `REFERENCE_NUMBER` and aliases `INDIVIDUAL_ALIAS` / `ENTITY_ALIAS` with a `QUALITY`:
//! `Good` and `a.k.a.` are aliases, `f.k.a.` former names, `Low` weak aliases (never matched
//! alone).

use super::{line_of_offset, LineCounter, Parsed};
use crate::watchlist::entry::{Entry, ListedName, NameKind};
use crate::watchlist::error::WatchlistError;
use crate::watchlist::facts::{
    country_code_of_name, is_matchable_id, normalize_id, BirthDate, IdDocument, IdKind, PartialDate,
};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::path::Path;

/// The list name given to UN entries.
pub(crate) const LIST_NAME: &str = "UN";

const FORMAT: &str = "UN XML";
const ROOT: &str = "CONSOLIDATED_LIST";

/// The fields of one `INDIVIDUAL` or `ENTITY` collected while reading it.
#[derive(Default)]
struct Record {
    line: u64,
    is_individual: bool,
    data_id: String,
    reference: String,
    name_parts: [String; 4],
    original_script: String,
    list_type: String,
    aliases: Vec<(String, String)>,
    alias_quality: String,
    alias_name: String,
    countries: Vec<String>,
    /// The `INDIVIDUAL_DATE_OF_BIRTH` being read: TYPE_OF_DATE, DATE, YEAR, FROM_YEAR, TO_YEAR.
    date: [String; 5],
    birth_dates: Vec<BirthDate>,
    nationalities: Vec<String>,
    /// The `INDIVIDUAL_DOCUMENT` being read: TYPE_OF_DOCUMENT, NUMBER, ISSUING_COUNTRY or
    /// COUNTRY_OF_ISSUE.
    document: [String; 3],
    documents: Vec<IdDocument>,
    /// Values that could not be read, for warnings.
    doubts: Vec<String>,
}

/// Parses the whole document; records without a name are skipped with a warning.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Parsed, WatchlistError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<String> = Vec::new();
    let mut record: Option<Record> = None;
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut lines = LineCounter::new(text);
    let malformed = |offset: u64, message: String| WatchlistError::Malformed {
        path: path.to_path_buf(),
        line: line_of_offset(text, offset as usize),
        format: FORMAT,
        message,
    };
    loop {
        let event = reader.read_event().map_err(|e| {
            malformed(
                reader.error_position(),
                format!("{}; expected well-formed XML", one_line(&e)),
            )
        })?;
        match event {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                if stack.is_empty() && name != ROOT {
                    return Err(malformed(
                        reader.buffer_position(),
                        format!("root element <{name}>; expected <{ROOT}>"),
                    ));
                }
                if name == "INDIVIDUAL" || name == "ENTITY" {
                    record = Some(Record {
                        line: lines.line_at(reader.buffer_position() as usize),
                        is_individual: name == "INDIVIDUAL",
                        ..Record::default()
                    });
                }
                stack.push(name);
            }
            Event::Empty(empty) if stack.is_empty() => {
                let name = String::from_utf8_lossy(empty.name().as_ref()).into_owned();
                return Err(malformed(
                    reader.buffer_position(),
                    format!("empty root element <{name}/>; expected <{ROOT}> with entries"),
                ));
            }
            Event::Text(t) => {
                let value = t
                    .unescape()
                    .map_err(|e| malformed(reader.buffer_position(), one_line(&e)))?;
                if let Some(r) = record.as_mut() {
                    take_text(r, &stack, value.trim());
                }
            }
            Event::CData(t) => {
                if let Some(r) = record.as_mut() {
                    take_text(r, &stack, String::from_utf8_lossy(&t).trim());
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                if name.ends_with("_ALIAS") {
                    if let Some(r) = record.as_mut() {
                        let quality = std::mem::take(&mut r.alias_quality);
                        let alias = std::mem::take(&mut r.alias_name);
                        if !alias.is_empty() {
                            r.aliases.push((quality, alias));
                        }
                    }
                }
                if let Some(r) = record.as_mut() {
                    match name.as_str() {
                        "INDIVIDUAL_DATE_OF_BIRTH" => finish_birth_date(r),
                        "INDIVIDUAL_DOCUMENT" => finish_document(r),
                        _ => {}
                    }
                }
                if name == "INDIVIDUAL" || name == "ENTITY" {
                    if let Some(r) = record.take() {
                        match finish(r, path, &mut warnings) {
                            Some(entry) => entries.push(entry),
                            None => continue,
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(malformed(
            text.len() as u64,
            format!("unexpected end of file; expected </{open}>"),
        ));
    }
    Ok(Parsed::new(entries, warnings))
}

/// A parser's message on one line of at most 200 characters: quick-xml quotes the tag it
/// found, and a stray quote in a tag stretches that over dozens of lines of the list.
fn one_line(e: &impl std::fmt::Display) -> String {
    let text = e.to_string();
    let mut out: String = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    if out.len() < text.len() {
        out.push_str(" …");
    }
    out
}

/// Stores text found at the current element path in the record being read.
fn take_text(r: &mut Record, stack: &[String], value: &str) {
    if value.is_empty() {
        return;
    }
    let element = stack.last().map(String::as_str).unwrap_or_default();
    let parent = stack
        .len()
        .checked_sub(2)
        .map(|i| stack[i].as_str())
        .unwrap_or_default();
    match (parent, element) {
        ("INDIVIDUAL" | "ENTITY", "DATAID") => r.data_id = value.to_string(),
        ("INDIVIDUAL" | "ENTITY", "REFERENCE_NUMBER") => r.reference = value.to_string(),
        ("INDIVIDUAL" | "ENTITY", "FIRST_NAME") => r.name_parts[0] = value.to_string(),
        ("INDIVIDUAL" | "ENTITY", "SECOND_NAME") => r.name_parts[1] = value.to_string(),
        ("INDIVIDUAL" | "ENTITY", "THIRD_NAME") => r.name_parts[2] = value.to_string(),
        ("INDIVIDUAL" | "ENTITY", "FOURTH_NAME") => r.name_parts[3] = value.to_string(),
        ("INDIVIDUAL" | "ENTITY", "NAME_ORIGINAL_SCRIPT") => r.original_script = value.to_string(),
        ("INDIVIDUAL" | "ENTITY", "UN_LIST_TYPE") => r.list_type = value.to_string(),
        (p, "QUALITY") if p.ends_with("_ALIAS") => r.alias_quality = value.to_string(),
        (p, "ALIAS_NAME") if p.ends_with("_ALIAS") => r.alias_name = value.to_string(),
        ("NATIONALITY", "VALUE") => {
            push_unique(&mut r.countries, value);
            match country_code_of_name(value) {
                Some(code) => push_unique(&mut r.nationalities, code),
                None if value.eq_ignore_ascii_case("na") => {}
                None => r
                    .doubts
                    .push(format!("NATIONALITY {value:?} is not a known country")),
            }
        }
        ("INDIVIDUAL_DATE_OF_BIRTH", field) => {
            let slot = ["TYPE_OF_DATE", "DATE", "YEAR", "FROM_YEAR", "TO_YEAR"]
                .iter()
                .position(|f| *f == field);
            if let Some(k) = slot {
                r.date[k] = value.to_string();
            }
        }
        ("INDIVIDUAL_DOCUMENT", field) => {
            let slot = match field {
                "TYPE_OF_DOCUMENT" => Some(0),
                "NUMBER" => Some(1),
                "ISSUING_COUNTRY" => Some(2),
                "COUNTRY_OF_ISSUE" if r.document[2].is_empty() => Some(2),
                _ => None,
            };
            if let Some(k) = slot {
                r.document[k] = value.split_whitespace().collect::<Vec<_>>().join(" ");
            }
        }
        (p, "COUNTRY") if p.ends_with("_ADDRESS") => push_unique(&mut r.countries, value),
        _ => {}
    }
}

/// Ends one `INDIVIDUAL_DATE_OF_BIRTH`: `EXACT` (`DATE` or `YEAR`), `APPROXIMATELY` (circa) or
/// `BETWEEN` (`FROM_YEAR`, `TO_YEAR`); a date given only as a `NOTE` is passed over.
fn finish_birth_date(r: &mut Record) {
    let [kind, date, year, from, to] = std::mem::take(&mut r.date);
    let parse = |text: &str| (!text.is_empty()).then(|| PartialDate::parse(text));
    let point = parse(&date).or_else(|| parse(&year));
    let parsed = match kind.to_uppercase().as_str() {
        "BETWEEN" => match (parse(&from), parse(&to)) {
            (Some(Ok(a)), Some(Ok(b))) => Some(Ok(BirthDate::between(a, b))),
            (Some(Err(e)), _) | (_, Some(Err(e))) => Some(Err(e)),
            _ => point.map(|p| p.map(BirthDate::Exact)),
        },
        "APPROXIMATELY" => point.map(|p| p.map(BirthDate::Circa)),
        _ => point.map(|p| p.map(BirthDate::Exact)),
    };
    match parsed {
        Some(Ok(d)) if !r.birth_dates.contains(&d) => r.birth_dates.push(d),
        Some(Err(e)) => r.doubts.push(format!("INDIVIDUAL_DATE_OF_BIRTH: {e}")),
        _ => {}
    }
}

/// Ends one `INDIVIDUAL_DOCUMENT`: passports and national identification numbers with a number
/// that can identify someone (a leading `... no.` is dropped from the number).
fn finish_document(r: &mut Record) {
    let [kind, number, country] = std::mem::take(&mut r.document);
    let lower = kind.to_lowercase();
    let kind =
        if lower.contains("passport") || lower.contains("pasaporte") || lower.contains("passeport")
        {
            IdKind::Passport
        } else if lower.contains("identification") || lower.contains("identity") {
            IdKind::NationalId
        } else {
            IdKind::Other
        };
    let lower_number = number.to_lowercase();
    let start = ["no.", "number", "n°"]
        .iter()
        .filter_map(|marker| lower_number.rfind(marker).map(|at| at + marker.len()))
        .max()
        .unwrap_or(0);
    let number = normalize_id(number.get(start..).unwrap_or(&number));
    if is_matchable_id(&number) && !r.documents.iter().any(|d| d.number == number) {
        r.documents.push(IdDocument {
            kind,
            number,
            country: country_code_of_name(&country).map(str::to_string),
        });
    }
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
}

/// Builds the entry, or records a warning when the record has no id or no name.
fn finish(r: Record, path: &Path, warnings: &mut Vec<String>) -> Option<Entry> {
    let at = format!("{}:{}", path.display(), r.line);
    for doubt in &r.doubts {
        warnings.push(format!("{at}: {doubt}; value skipped"));
    }
    let primary = r
        .name_parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let id = if r.reference.is_empty() {
        r.data_id.clone()
    } else {
        r.reference.clone()
    };
    if id.is_empty() {
        warnings.push(format!(
            "{at}: expected REFERENCE_NUMBER or DATAID, found neither; record skipped"
        ));
        return None;
    }
    if primary.is_empty() {
        warnings.push(format!(
            "{at}: record {id} has no FIRST_NAME..FOURTH_NAME; expected a name; record skipped"
        ));
        return None;
    }
    let mut names = vec![ListedName {
        text: primary,
        kind: NameKind::Primary,
    }];
    if !r.original_script.is_empty() {
        names.push(ListedName {
            text: r.original_script,
            kind: NameKind::OriginalScript,
        });
    }
    for (quality, alias) in r.aliases {
        let kind = match quality.to_lowercase().as_str() {
            "low" => NameKind::Weak,
            "f.k.a." | "fka" => NameKind::Fka,
            _ => NameKind::Aka,
        };
        names.push(ListedName { text: alias, kind });
    }
    Some(Entry {
        list: LIST_NAME.to_string(),
        id,
        entry_type: if r.is_individual {
            "individual".to_string()
        } else {
            "entity".to_string()
        },
        programs: r.list_type,
        countries: r.countries,
        names,
        birth_dates: r.birth_dates,
        nationalities: r.nationalities,
        documents: r.documents,
    })
}
