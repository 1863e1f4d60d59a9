//! The goAML profile: what the financial intelligence unit (FIU) assigned to the reporting
//! institution and how amlscreen's vocabulary maps to the FIU's code lists.
//!
//! `profiles/goaml-example.toml` documents every key; its values are placeholders. The profile
//! names the FIU's goAML schema (`schema`, relative to the profile's folder), and every code in
//! it is checked against that schema's code lists when it is loaded.

use super::schema::{preview_codes, CodeList, GoamlSchema, SchemaError};
use crate::model::{Channel, Typology};
use crate::report::ReportError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use toml::Spanned;

/// A reporting person as goAML's `t_person_registration_in_report` needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportingPerson {
    /// Form of address (`Ms`, `Dr`), optional.
    #[serde(default)]
    pub title: String,
    /// Given name(s): `A-Z a-z 0-9 space . ' -` only.
    pub first_name: String,
    /// Family name: `A-Z a-z 0-9 space . ' -` only.
    pub last_name: String,
    /// Work e-mail address (optional).
    #[serde(default)]
    pub email: String,
    /// Job title, e.g. `MLRO` (optional).
    #[serde(default)]
    pub occupation: String,
}

/// Settings for cash transaction reports (CTR) made from `cash_threshold` alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtrSettings {
    /// Also write a cash transaction report for each case with `cash_threshold` alerts.
    pub enabled: bool,
    /// The FIU's report code for cash transaction reports, from the schema's `report_type`
    /// list (`CTR` where the FIU has one). Required when `enabled`; empty when not given.
    pub report_code: String,
}

/// The schema's code lists for values that come from the case data rather than the profile:
/// countries and currencies. A transaction whose code is not listed makes its report skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataCodes {
    /// Codes `from_country` accepts.
    pub from_country: BTreeSet<String>,
    /// Codes `to_country` accepts.
    pub to_country: BTreeSet<String>,
    /// Codes `foreign_currency_code` accepts.
    pub foreign_currency: BTreeSet<String>,
}

/// A profile code that is not in the schema's code list for the element it is written to.
#[derive(Debug, thiserror::Error)]
#[error(
    "{path}:{line}: goAML profile field `{field}`: expected a code from `{code_list}` in {}, \
     found {value:?}; allowed: {}",
    .schema.display(),
    preview_codes(.allowed, 20)
)]
pub struct UnlistedCode {
    /// The profile file.
    pub path: PathBuf,
    /// 1-based line of the offending key.
    pub line: usize,
    /// The field, as a TOML key path (`indicators.structuring`).
    pub field: String,
    /// The code found.
    pub value: String,
    /// The schema's simple type that lists the allowed codes (`report_type`).
    pub code_list: String,
    /// The schema file.
    pub schema: PathBuf,
    /// Every code the schema allows there, in the schema's order.
    pub allowed: Vec<String>,
}

/// Everything goAML needs that the transaction data does not carry. Read it with
/// [`load_goaml_profile`], which checks every code against the profile's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoamlProfile {
    /// The goAML schema (XSD) the FIU publishes, as named by the profile's `schema` key and
    /// resolved against the profile's folder.
    pub schema: PathBuf,
    /// The schema's country and currency lists, for values taken from the case data.
    pub data_codes: DataCodes,
    /// The reporting entity id the FIU assigned (`rentity_id`, a positive integer).
    pub rentity_id: u32,
    /// The reporting entity's branch (`rentity_branch`, optional).
    pub rentity_branch: String,
    /// `E` (electronic) or `M` (manual).
    pub submission_code: String,
    /// Report code for suspicious reports, from the schema's list: `STR` or `SAR`.
    pub report_code: String,
    /// ISO 4217 code of the local currency; `amount_local` is in this currency.
    pub currency_code_local: String,
    /// The goAML web user who submits (`reporting_user_code`, 4–50 characters). Used when no
    /// `reporting_person` is given.
    pub reporting_user_code: String,
    /// The person reporting (`reporting_person`); takes precedence over `reporting_user_code`.
    pub reporting_person: Option<ReportingPerson>,
    /// The reporting institution's name, written for the subject accounts.
    pub institution_name: String,
    /// The institution code the FIU uses for the reporting institution (or set `swift`).
    pub institution_code: String,
    /// The reporting institution's SWIFT BIC, used when `institution_code` is empty.
    pub swift: String,
    /// The institution code the FIU publishes for "other / unknown institution", written for
    /// counterparty accounts held elsewhere. Empty: cases with such accounts are skipped.
    pub counterparty_institution_code: String,
    /// The one-character `transmode_comment` this schema requires.
    pub transmode_comment: String,
    /// Text for the report's `action` element (what the institution did), optional.
    pub action: String,
    /// Typology code (`structuring`) → FIU report indicator code.
    pub indicators: BTreeMap<Typology, String>,
    /// Channel code (`CASH`) → goAML `transmode_code` (conduction type).
    pub transmode: BTreeMap<Channel, String>,
    /// Channel code (`CASH`) → goAML funds type code for `from_funds_code`, and for
    /// `to_funds_code` where `to_funds` has no entry.
    pub funds: BTreeMap<Channel, String>,
    /// Channel code → funds type code for the receiving side (`to_funds_code`) where it differs,
    /// e.g. `CASH = "DPOST"`: cash given, a deposit received.
    pub to_funds: BTreeMap<Channel, String>,
    /// Cash transaction reports.
    pub ctr: CtrSettings,
    /// Fixed `submission_date` (`2026-03-31T00:00:00`); empty means the time of export. Set it
    /// for reproducible files.
    pub report_date: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    schema: Spanned<String>,
    rentity_id: i64,
    #[serde(default)]
    rentity_branch: String,
    submission_code: Spanned<String>,
    report_code: Spanned<String>,
    currency_code_local: Spanned<String>,
    #[serde(default)]
    reporting_user_code: String,
    #[serde(default)]
    reporting_person: Option<ReportingPerson>,
    institution_name: String,
    #[serde(default)]
    institution_code: String,
    #[serde(default)]
    swift: String,
    #[serde(default)]
    counterparty_institution_code: String,
    transmode_comment: String,
    #[serde(default)]
    action: String,
    indicators: BTreeMap<String, Spanned<String>>,
    transmode: BTreeMap<String, Spanned<String>>,
    funds: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    to_funds: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    ctr: RawCtr,
    #[serde(default)]
    report_date: String,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCtr {
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    report_code: Option<Spanned<String>>,
}

/// Where each profile code is written in a report: the element path whose code list it must
/// come from.
const REPORT_CODE: &str = "report/report_code";
const SUBMISSION_CODE: &str = "report/submission_code";
const CURRENCY_CODE_LOCAL: &str = "report/currency_code_local";
const INDICATOR: &str = "report/report_indicators/indicator";
const TRANSMODE_CODE: &str = "report/transaction/transmode_code";
const FROM_FUNDS_CODE: &str = "report/transaction/t_from/from_funds_code";
const TO_FUNDS_CODE: &str = "report/transaction/t_to/to_funds_code";
const FROM_COUNTRY: &str = "report/transaction/t_from/from_country";
const TO_COUNTRY: &str = "report/transaction/t_to/to_country";
const FOREIGN_CURRENCY_CODE: &str =
    "report/transaction/t_from/from_foreign_currency/foreign_currency_code";

/// Reads and checks a goAML profile. Errors name the file and the field, and for codes the
/// line and the codes the schema allows.
///
/// The profile's `schema` names the FIU's goAML XSD relative to the profile's folder (no `..`,
/// not absolute). Every code in the profile (submission and report codes, local currency,
/// indicators, transmode and funds codes) must be in the enumeration of the schema type of the
/// element it is written to.
pub fn load_goaml_profile(path: impl AsRef<Path>) -> Result<GoamlProfile, ReportError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let raw: RawProfile = toml::from_str(&text).map_err(|e| ReportError::ProfileSyntax {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let check = Checker { path };
    let rentity_id = check.rentity_id(raw.rentity_id)?;
    check.values(&raw)?;
    check.reporter(&raw)?;
    check.institution(&raw)?;
    let indicators = check.indicators(&raw.indicators)?;
    let transmode = check.channel_map("transmode", &raw.transmode)?;
    let funds = check.channel_map("funds", &raw.funds)?;
    let to_funds = check.channel_map("to_funds", &raw.to_funds)?;

    let codes = Codes::load(path, &text, &raw.schema)?;
    codes.check("submission_code", SUBMISSION_CODE, &raw.submission_code)?;
    codes.check("report_code", REPORT_CODE, &raw.report_code)?;
    if let Some(code) = &raw.ctr.report_code {
        codes.check("ctr.report_code", REPORT_CODE, code)?;
    }
    codes.check(
        "currency_code_local",
        CURRENCY_CODE_LOCAL,
        &raw.currency_code_local,
    )?;
    for (table, element, map) in [
        ("indicators", INDICATOR, &raw.indicators),
        ("transmode", TRANSMODE_CODE, &raw.transmode),
        ("funds", FROM_FUNDS_CODE, &raw.funds),
        ("to_funds", TO_FUNDS_CODE, &raw.to_funds),
    ] {
        for (key, code) in map {
            codes.check(&format!("{table}.{key}"), element, code)?;
        }
    }
    let data_codes = DataCodes {
        from_country: codes.set(FROM_COUNTRY)?,
        to_country: codes.set(TO_COUNTRY)?,
        foreign_currency: codes.set(FOREIGN_CURRENCY_CODE)?,
    };

    Ok(GoamlProfile {
        schema: codes.schema_path,
        data_codes,
        rentity_id,
        rentity_branch: raw.rentity_branch,
        submission_code: raw.submission_code.into_inner(),
        report_code: raw.report_code.into_inner(),
        currency_code_local: raw.currency_code_local.into_inner(),
        reporting_user_code: raw.reporting_user_code,
        reporting_person: raw.reporting_person,
        institution_name: raw.institution_name,
        institution_code: raw.institution_code,
        swift: raw.swift,
        counterparty_institution_code: raw.counterparty_institution_code,
        transmode_comment: raw.transmode_comment,
        action: raw.action,
        indicators,
        transmode,
        funds,
        to_funds,
        ctr: CtrSettings {
            enabled: raw.ctr.enabled,
            report_code: raw
                .ctr
                .report_code
                .map(Spanned::into_inner)
                .unwrap_or_default(),
        },
        report_date: raw.report_date,
    })
}

/// The profile's schema and the code lists looked up in it so far.
struct Codes<'a> {
    profile: &'a Path,
    text: &'a str,
    /// The `schema` value as written, and its line.
    schema_value: &'a str,
    schema_line: usize,
    /// The schema file, as the profile's folder joined with the `schema` value.
    schema_path: PathBuf,
    schema: GoamlSchema,
    lists: std::cell::RefCell<HashMap<&'static str, CodeList>>,
}

impl<'a> Codes<'a> {
    /// Resolves the profile's `schema` inside the profile's folder and parses it.
    fn load(
        profile: &'a Path,
        text: &'a str,
        schema: &'a Spanned<String>,
    ) -> Result<Self, ReportError> {
        let schema_line = line_of(text, schema.span().start);
        let fail = |source| ReportError::ProfileSchema {
            path: profile.to_path_buf(),
            line: schema_line,
            schema: schema.get_ref().clone(),
            source: Box::new(source),
        };
        let (schema_path, resolved) = resolve_schema(profile, schema.get_ref()).map_err(fail)?;
        let parsed = GoamlSchema::load(&resolved).map_err(fail)?;
        Ok(Codes {
            profile,
            text,
            schema_value: schema.get_ref(),
            schema_line,
            schema_path,
            schema: parsed,
            lists: Default::default(),
        })
    }

    /// The code list of `element`, looked up once.
    fn list(&self, element: &'static str) -> Result<CodeList, ReportError> {
        if let Some(list) = self.lists.borrow().get(element) {
            return Ok(list.clone());
        }
        let list = self
            .schema
            .code_list(element)
            .map_err(|source| ReportError::ProfileSchema {
                path: self.profile.to_path_buf(),
                line: self.schema_line,
                schema: self.schema_value.to_string(),
                source: Box::new(source),
            })?;
        self.lists.borrow_mut().insert(element, list.clone());
        Ok(list)
    }

    /// Refuses a `field` value that is not in the code list of `element`.
    fn check(
        &self,
        field: &str,
        element: &'static str,
        value: &Spanned<String>,
    ) -> Result<(), ReportError> {
        let list = self.list(element)?;
        if list.contains(value.get_ref()) {
            return Ok(());
        }
        Err(ReportError::ProfileCode(Box::new(UnlistedCode {
            path: self.profile.to_path_buf(),
            line: line_of(self.text, value.span().start),
            field: field.to_string(),
            value: value.get_ref().clone(),
            code_list: list.type_name,
            schema: self.schema_path.clone(),
            allowed: list.codes,
        })))
    }

    fn set(&self, element: &'static str) -> Result<BTreeSet<String>, ReportError> {
        Ok(self.list(element)?.codes.into_iter().collect())
    }
}

/// The schema path as the profile's folder joined with `relative`, and that file's canonical
/// path. Absolute paths, `..` and symbolic links that lead out of the folder are refused:
/// profiles are data and name only files beside them.
fn resolve_schema(profile: &Path, relative: &str) -> Result<(PathBuf, PathBuf), SchemaError> {
    let folder = match profile.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let outside = || SchemaError::OutsideProfileFolder {
        schema: relative.to_string(),
        folder: folder.to_path_buf(),
    };
    let rel = Path::new(relative);
    let plain = rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if relative.trim().is_empty() || !plain || rel.is_absolute() {
        return Err(outside());
    }
    let joined = folder.join(rel);
    let read_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SchemaError::Read { path, source }
    };
    let resolved = joined.canonicalize().map_err(read_error(&joined))?;
    let root = folder.canonicalize().map_err(read_error(folder))?;
    if !resolved.starts_with(&root) {
        return Err(outside());
    }
    Ok((joined, resolved))
}

/// 1-based line number of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Checks profile values against what the schema accepts; errors name the file and field.
struct Checker<'a> {
    path: &'a Path,
}

impl Checker<'_> {
    fn bad(&self, field: &str, expected: &str, found: &str) -> ReportError {
        ReportError::ProfileField {
            path: self.path.to_path_buf(),
            field: field.to_string(),
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    fn rentity_id(&self, id: i64) -> Result<u32, ReportError> {
        u32::try_from(id)
            .ok()
            .filter(|&id| id >= 1 && id <= i32::MAX as u32)
            .ok_or_else(|| {
                self.bad(
                    "rentity_id",
                    "an integer from 1 to 2147483647",
                    &id.to_string(),
                )
            })
    }

    /// Values that are not codes: the CTR report code's presence, the transmode comment and
    /// the report date. Codes are checked against the schema by [`Codes`].
    fn values(&self, raw: &RawProfile) -> Result<(), ReportError> {
        let ctr_code = raw.ctr.report_code.as_ref().map(|c| c.get_ref().as_str());
        if raw.ctr.enabled && ctr_code.is_none_or(|c| c.trim().is_empty()) {
            return Err(self.bad(
                "ctr.report_code",
                "the FIU's report code for cash transaction reports when `ctr.enabled` is true",
                ctr_code.unwrap_or_default(),
            ));
        }
        if raw.transmode_comment.chars().count() != 1 {
            return Err(self.bad(
                "transmode_comment",
                "exactly one character",
                &raw.transmode_comment,
            ));
        }
        if !raw.report_date.is_empty() && super::sql_datetime(&raw.report_date).is_none() {
            return Err(self.bad(
                "report_date",
                "an ISO 8601 date-time such as 2026-03-31T00:00:00",
                &raw.report_date,
            ));
        }
        Ok(())
    }

    /// The reporting user code or person.
    fn reporter(&self, raw: &RawProfile) -> Result<(), ReportError> {
        let user_len = raw.reporting_user_code.chars().count();
        if user_len > 0 && !(4..=50).contains(&user_len) {
            return Err(self.bad(
                "reporting_user_code",
                "4 to 50 characters",
                &raw.reporting_user_code,
            ));
        }
        let Some(person) = &raw.reporting_person else {
            return Ok(());
        };
        for (field, value) in [
            ("reporting_person.first_name", &person.first_name),
            ("reporting_person.last_name", &person.last_name),
        ] {
            if value.is_empty() || value.chars().count() > 100 || !super::is_goaml_name(value) {
                return Err(self.bad(
                    field,
                    "1-100 characters from A-Z a-z 0-9 space . ' -",
                    value,
                ));
            }
        }
        if !person.email.is_empty() && !is_plausible_email(&person.email) {
            return Err(self.bad(
                "reporting_person.email",
                "an e-mail address such as mlro@example.com",
                &person.email,
            ));
        }
        Ok(())
    }

    /// The reporting institution's name, branch and code.
    fn institution(&self, raw: &RawProfile) -> Result<(), ReportError> {
        for (field, value) in [
            ("rentity_branch", &raw.rentity_branch),
            ("institution_name", &raw.institution_name),
        ] {
            if value.chars().count() > 255 {
                return Err(self.bad(field, "at most 255 characters", value));
            }
        }
        if raw.institution_name.trim().is_empty() {
            return Err(self.bad(
                "institution_name",
                "the reporting institution's name",
                &raw.institution_name,
            ));
        }
        if raw.institution_code.trim().is_empty() {
            if raw.swift.trim().is_empty() {
                return Err(self.bad(
                    "institution_code",
                    "the FIU's code for the institution, or a `swift` BIC",
                    "",
                ));
            }
            if raw.swift.chars().count() > 11 {
                return Err(self.bad("swift", "a BIC of at most 11 characters", &raw.swift));
            }
        }
        Ok(())
    }

    fn indicators(
        &self,
        raw: &BTreeMap<String, Spanned<String>>,
    ) -> Result<BTreeMap<Typology, String>, ReportError> {
        let mut map = BTreeMap::new();
        for (key, code) in raw {
            let field = format!("indicators.{key}");
            let typology = Typology::parse(key)
                .ok_or_else(|| self.bad(&field, "a typology code such as structuring", key))?;
            map.insert(typology, code.get_ref().clone());
        }
        Ok(map)
    }

    fn channel_map(
        &self,
        table: &str,
        raw: &BTreeMap<String, Spanned<String>>,
    ) -> Result<BTreeMap<Channel, String>, ReportError> {
        let mut map = BTreeMap::new();
        for (key, code) in raw {
            let field = format!("{table}.{key}");
            let channel = Channel::parse(key)
                .ok_or_else(|| self.bad(&field, "a channel code such as CASH", key))?;
            map.insert(channel, code.get_ref().clone());
        }
        Ok(map)
    }
}

/// The shape goAML's `email_address` pattern accepts: `local@domain.tld`, with `_ + - .` allowed
/// in the local part, letters, digits and `-` in domain labels, and a 2–15 letter top level.
fn is_plausible_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'))
        });
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && labels.last().is_some_and(|tld| {
            (2..=15).contains(&tld.len()) && tld.chars().all(|c| c.is_ascii_alphabetic())
        });
    local_ok && domain_ok
}
