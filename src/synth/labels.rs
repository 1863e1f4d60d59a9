//! Ground-truth labels of planted instances: the struct, and reading and writing `labels.csv`.

use super::SynthError;
use crate::model::Typology;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::Path;

/// One planted instance: what a rule of `typology` should find.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Stable id, `<typology>-<n>` (`structuring-001`).
    pub instance_id: String,
    /// The planted typology.
    pub typology: Typology,
    /// The account the rule should name as its subject.
    pub subject_account: String,
    /// Every account involved, subject first.
    pub accounts: Vec<String>,
    /// The planted transactions, in time order.
    pub txn_ids: Vec<String>,
}

/// Header of `labels.csv`.
pub const LABELS_HEADER: [&str; 5] = [
    "instance_id",
    "typology",
    "subject_account",
    "accounts",
    "txn_ids",
];

/// Writes `labels.csv`; list columns are `;`-joined.
pub fn write_labels_csv<W: Write>(w: W, labels: &[Label]) -> Result<(), SynthError> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(LABELS_HEADER)?;
    for label in labels {
        out.write_record([
            label.instance_id.as_str(),
            label.typology.as_str(),
            label.subject_account.as_str(),
            &label.accounts.join(";"),
            &label.txn_ids.join(";"),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// Reads a `labels.csv` file written by [`write_labels_csv`].
pub fn read_labels_csv(path: impl AsRef<Path>) -> Result<Vec<Label>, SynthError> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|source| SynthError::Io {
        path: path.display().to_string(),
        source,
    })?;
    read_labels_from(file)
}

/// Reads labels from any reader (header required, columns in any order).
pub fn read_labels_from<R: Read>(reader: R) -> Result<Vec<Label>, SynthError> {
    let mut input = csv::Reader::from_reader(reader);
    let headers = input.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| SynthError::Labels {
                line: 1,
                message: format!("missing column `{name}`"),
            })
    };
    let [id_col, typ_col, subject_col, accounts_col, txns_col] = [
        column("instance_id")?,
        column("typology")?,
        column("subject_account")?,
        column("accounts")?,
        column("txn_ids")?,
    ];
    let split = |text: &str| -> Vec<String> {
        text.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut labels = Vec::new();
    for (i, record) in input.records().enumerate() {
        let record = record?;
        let line = i as u64 + 2;
        let field = |c: usize| record.get(c).unwrap_or("").trim();
        let typology = Typology::parse(field(typ_col)).ok_or_else(|| SynthError::Labels {
            line,
            message: format!("unknown typology `{}`", field(typ_col)),
        })?;
        if field(id_col).is_empty() {
            return Err(SynthError::Labels {
                line,
                message: "empty instance_id".to_string(),
            });
        }
        labels.push(Label {
            instance_id: field(id_col).to_string(),
            typology,
            subject_account: field(subject_col).to_string(),
            accounts: split(field(accounts_col)),
            txn_ids: split(field(txns_col)),
        });
    }
    Ok(labels)
}
