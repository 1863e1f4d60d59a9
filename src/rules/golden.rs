//! Golden tests kept beside each pack: `cash.toml` is tested by `cash.tests.toml`, a list of
//! small transaction tables with the alerts they must and must not give.
//!
//! ```toml
//! [[case]]
//! name = "three deposits in the band within 7 days"
//! transactions = """
//! txn_id,timestamp,amount,currency,channel,orig_account,orig_name,orig_country,bene_account,bene_name,bene_country,branch
//! T1,2026-03-01T10:00:00Z,9000.00,USD,CASH,,Ann Lee,JM,ACC1,Bob Ray,JM,KIN-01
//! """
//! expect = [{ rule = "structuring", subject = "ACC1", txn_ids = ["T1", "T2", "T3"] }]
//! expect_none = ["cash_threshold"]
//! ```

use super::{Pack, RuleError};
use crate::ingest::{ingest, FxTable, IngestOptions};
use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    transactions: String,
    #[serde(default)]
    expect: Vec<Expectation>,
    #[serde(default)]
    expect_none: Vec<String>,
    /// Accounts' segments, as a customer file would give them (account → segment).
    #[serde(default)]
    segments: std::collections::BTreeMap<String, String>,
    /// A customer file (CSV text with its header): its segments and declared volumes.
    #[serde(default)]
    customers: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    rule: String,
    subject: String,
    #[serde(default)]
    txn_ids: Option<Vec<String>>,
    /// How many alerts of this rule and subject (default: at least one).
    #[serde(default)]
    count: Option<usize>,
    /// The segment whose parameters judged the subject (its alerts' `segment` detail).
    #[serde(default)]
    segment: Option<String>,
}

/// The outcome of one golden case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub file: PathBuf,
    pub name: String,
    /// Empty when the case passed.
    pub failures: Vec<String>,
}

/// The golden-test file of a pack, if there is one.
pub fn tests_path(pack_path: &Path) -> PathBuf {
    let stem = pack_path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    pack_path.with_file_name(format!("{stem}.tests.toml"))
}

/// Runs the golden cases of one pack. A pack without a tests file yields no results.
pub fn run_pack_tests(pack: &Pack) -> Result<Vec<CaseResult>, RuleError> {
    let path = tests_path(&pack.path);
    if !super::builtin::exists(&path) {
        return Ok(Vec::new());
    }
    let text = super::builtin::read(&path).map_err(|e| RuleError::Unreadable {
        file: path.display().to_string(),
        source: e,
    })?;
    let file: TestFile = toml::from_str(&text).map_err(|e| RuleError::Pack {
        file: path.display().to_string(),
        line: e
            .span()
            .map(|s| text[..s.start].matches('\n').count() + 1)
            .unwrap_or(0),
        message: crate::ingest::profile::toml_message(&e, &text),
    })?;
    let rules: Vec<&super::Rule> = pack.rules.iter().collect();
    let known: HashSet<&str> = pack.rules.iter().map(|r| r.plan.rule_id.as_str()).collect();
    let mut results = Vec::new();
    for (i, case) in file.cases.iter().enumerate() {
        let mut failures = Vec::new();
        for name in case
            .expect
            .iter()
            .map(|e| e.rule.as_str())
            .chain(case.expect_none.iter().map(String::as_str))
        {
            if !known.contains(name) {
                failures.push(format!(
                    "names rule `{name}`, which is not in pack `{}`",
                    pack.id
                ));
            }
        }
        let csv_path = temp_table(&format!("{}-{i}", pack.id), &case.transactions).map_err(
            |(file, source)| RuleError::Unreadable {
                file: file.display().to_string(),
                source,
            },
        )?;
        let options = IngestOptions {
            profile: None,
            fx: FxTable::base_only(&pack.base_currency),
            delimiter: None,
        };
        let ingested = ingest(
            std::slice::from_ref(&csv_path),
            &options,
            &mut Default::default(),
        );
        let _ = std::fs::remove_file(&csv_path);
        let ingested = match ingested {
            Ok(i) => i,
            Err(e) => {
                failures.push(format!("transactions do not load: {e}"));
                results.push(CaseResult {
                    file: path.clone(),
                    name: case.name.clone(),
                    failures,
                });
                continue;
            }
        };
        for q in &ingested.quarantine {
            failures.push(format!(
                "row {} quarantined ({}: {}), fix the table",
                q.row,
                q.reason.as_str(),
                q.column
            ));
        }
        for segment in case.segments.values() {
            if !super::segments::VOCABULARY.contains(&segment.as_str()) {
                failures.push(format!(
                    "unknown segment `{segment}`; expected one of {}",
                    super::segments::VOCABULARY.join(", ")
                ));
            }
        }
        let customers = match &case.customers {
            Some(text) => match load_case_customers(text, &pack.id, i) {
                Ok(c) => {
                    for q in &c.quarantine {
                        failures.push(format!(
                            "customer row {} quarantined ({}: {})",
                            q.row,
                            q.reason.as_str(),
                            q.column
                        ));
                    }
                    Some(c)
                }
                Err(e) => {
                    failures.push(format!("customers do not load: {e}"));
                    None
                }
            },
            None => None,
        };
        let from_file = customers
            .as_ref()
            .map(crate::customers::Customers::engine_context)
            .unwrap_or_default();
        let given = (!case.segments.is_empty()).then(|| {
            std::sync::Arc::new(super::segments::Segments::given(case.segments.iter().map(
                |(account, segment)| {
                    (
                        account.clone(),
                        segment.clone(),
                        "given by the case".to_string(),
                    )
                },
            )))
        });
        let context = super::EngineContext {
            segments: given.or(from_file.segments),
            expected_monthly_volume: from_file.expected_monthly_volume,
            customer_of: from_file.customer_of,
            ..Default::default()
        };
        let output = super::run_rules_in(&ingested.frame, &rules, &pack.base_currency, &context)?;
        for exp in &case.expect {
            let matching: Vec<_> = output
                .alerts
                .iter()
                .filter(|a| a.rule_id == exp.rule && a.subject_account == exp.subject)
                .collect();
            match exp.count {
                Some(n) if matching.len() != n => failures.push(format!(
                    "expected {n} alert(s) of `{}` on {}, got {}",
                    exp.rule,
                    exp.subject,
                    matching.len()
                )),
                None if matching.is_empty() => failures.push(format!(
                    "expected an alert of `{}` on {}, got none",
                    exp.rule, exp.subject
                )),
                _ => {}
            }
            if let Some(want) = &exp.segment {
                let judged = |a: &&crate::model::Alert| {
                    a.details
                        .iter()
                        .any(|(k, v)| k == super::SEGMENT_FACT && v == want)
                };
                if !matching.is_empty() && !matching.iter().all(judged) {
                    failures.push(format!(
                        "`{}` on {}: expected it judged as segment {want}",
                        exp.rule, exp.subject
                    ));
                }
            }
            if let Some(ids) = &exp.txn_ids {
                let mut want = ids.clone();
                want.sort();
                let found = matching.iter().any(|a| {
                    let mut got = a.txn_ids.to_vec();
                    got.sort();
                    got == want
                });
                if !matching.is_empty() && !found {
                    failures.push(format!(
                        "`{}` on {}: expected evidence {:?}, got {:?}",
                        exp.rule,
                        exp.subject,
                        want,
                        matching
                            .iter()
                            .map(|a| a.txn_ids.to_vec())
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
        for rule in &case.expect_none {
            let unexpected: Vec<_> = output
                .alerts
                .iter()
                .filter(|a| &a.rule_id == rule)
                .collect();
            if !unexpected.is_empty() {
                failures.push(format!(
                    "expected no alert of `{rule}`, got {} (on {})",
                    unexpected.len(),
                    unexpected
                        .iter()
                        .map(|a| a.subject_account.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        results.push(CaseResult {
            file: path.clone(),
            name: case.name.clone(),
            failures,
        });
    }
    Ok(results)
}

/// Loads a golden case's customer table through a temporary file.
fn load_case_customers(
    text: &str,
    pack: &str,
    case: usize,
) -> Result<crate::customers::Customers, String> {
    let path = temp_table(&format!("customers-{pack}-{case}"), text)
        .map_err(|(file, e)| format!("{}: {e}", file.display()))?;
    let loaded = crate::customers::load_customers(&path, None, b',');
    let _ = std::fs::remove_file(&path);
    loaded.map_err(|e| e.to_string())
}

/// Writes a case's CSV table to a fresh temporary file named after `label`, for the loaders
/// that read files; the caller removes it. `create_new`: never follows or overwrites something
/// already at the temporary path.
fn temp_table(label: &str, text: &str) -> Result<PathBuf, (PathBuf, std::io::Error)> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let path = std::env::temp_dir().join(format!(
        "amlscreen-golden-{}-{nanos}-{label}.csv",
        std::process::id()
    ));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.trim_start().as_bytes()))
        .map_err(|e| (path.clone(), e))?;
    Ok(path)
}
