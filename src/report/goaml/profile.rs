//! The goAML profile: what the financial intelligence unit (FIU) assigned to the reporting
//! institution and how amlscreen's vocabulary maps to the FIU's code lists.
//!
//! `profiles/goaml-example.toml` documents every key; its values are placeholders.

use crate::model::{Channel, Typology};
use crate::report::ReportError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtrSettings {
    /// Also write a cash transaction report for each case with `cash_threshold` alerts.
    #[serde(default)]
    pub enabled: bool,
    /// The FIU's report code for cash transaction reports (commonly `CTR`).
    #[serde(default = "default_ctr_code")]
    pub report_code: String,
}

impl Default for CtrSettings {
    fn default() -> Self {
        CtrSettings {
            enabled: false,
            report_code: default_ctr_code(),
        }
    }
}

fn default_ctr_code() -> String {
    "CTR".to_string()
}

fn default_str_code() -> String {
    "STR".to_string()
}

/// Everything goAML needs that the transaction data does not carry. Read it with
/// [`load_goaml_profile`], which checks every value against what schema 5.0.2 accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoamlProfile {
    /// The reporting entity id the FIU assigned (`rentity_id`, a positive integer).
    pub rentity_id: u32,
    /// The reporting entity's branch (`rentity_branch`, optional).
    pub rentity_branch: String,
    /// `E` (electronic) or `M` (manual).
    pub submission_code: String,
    /// Report code for suspicious-activity reports: `STR` or `SAR`.
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
    rentity_id: i64,
    #[serde(default)]
    rentity_branch: String,
    submission_code: String,
    #[serde(default = "default_str_code")]
    report_code: String,
    currency_code_local: String,
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
    indicators: BTreeMap<String, String>,
    transmode: BTreeMap<String, String>,
    funds: BTreeMap<String, String>,
    #[serde(default)]
    to_funds: BTreeMap<String, String>,
    #[serde(default)]
    ctr: CtrSettings,
    #[serde(default)]
    report_date: String,
}

/// Reads and checks a goAML profile. Errors name the file and the field.
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
    check.codes(&raw)?;
    check.reporter(&raw)?;
    check.institution(&raw)?;
    let indicators = check.indicators(raw.indicators)?;
    let transmode = check.channel_map("transmode", raw.transmode)?;
    let funds = check.channel_map("funds", raw.funds)?;
    let to_funds = check.channel_map("to_funds", raw.to_funds)?;

    Ok(GoamlProfile {
        rentity_id,
        rentity_branch: raw.rentity_branch,
        submission_code: raw.submission_code,
        report_code: raw.report_code,
        currency_code_local: raw.currency_code_local,
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
        ctr: raw.ctr,
        report_date: raw.report_date,
    })
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

    /// Submission and report codes, currency, transmode comment and report date.
    fn codes(&self, raw: &RawProfile) -> Result<(), ReportError> {
        if !["E", "M"].contains(&raw.submission_code.as_str()) {
            return Err(self.bad(
                "submission_code",
                "E (electronic) or M (manual)",
                &raw.submission_code,
            ));
        }
        if raw.report_code.trim().is_empty() {
            return Err(self.bad(
                "report_code",
                "a report code such as STR or SAR",
                &raw.report_code,
            ));
        }
        if raw.ctr.enabled && raw.ctr.report_code.trim().is_empty() {
            return Err(self.bad(
                "ctr.report_code",
                "a report code such as CTR",
                &raw.ctr.report_code,
            ));
        }
        if !is_code(&raw.currency_code_local, 3) {
            return Err(self.bad(
                "currency_code_local",
                "an ISO 4217 code such as USD",
                &raw.currency_code_local,
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
        raw: BTreeMap<String, String>,
    ) -> Result<BTreeMap<Typology, String>, ReportError> {
        let mut map = BTreeMap::new();
        for (key, code) in raw {
            let field = format!("indicators.{key}");
            let typology = Typology::parse(&key)
                .ok_or_else(|| self.bad(&field, "a typology code such as structuring", &key))?;
            if code.trim().is_empty() {
                return Err(self.bad(&field, "an indicator code", &code));
            }
            map.insert(typology, code);
        }
        Ok(map)
    }

    fn channel_map(
        &self,
        table: &str,
        raw: BTreeMap<String, String>,
    ) -> Result<BTreeMap<Channel, String>, ReportError> {
        let mut map = BTreeMap::new();
        for (key, code) in raw {
            let field = format!("{table}.{key}");
            let channel = Channel::parse(&key)
                .ok_or_else(|| self.bad(&field, "a channel code such as CASH", &key))?;
            if code.trim().is_empty() {
                return Err(self.bad(&field, "a code from the FIU's list", &code));
            }
            map.insert(channel, code);
        }
        Ok(map)
    }
}

/// True when `text` is exactly `len` upper-case ASCII letters (ISO country and currency codes).
pub(crate) fn is_code(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_uppercase())
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
