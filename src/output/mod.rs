//! Writing outputs atomically: each file is written to a temporary name in the same folder and
//! renamed into place, so a crashed run never leaves a half-written file behind.

mod parquet;

pub use parquet::{alerts_parquet, transactions_parquet};

use crate::model::Alert;
use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The files `run` writes into its output folder.
pub const RUN_OUTPUTS: [&str; 6] = [
    "alerts.csv",
    "alerts.parquet",
    "cases.jsonl",
    "quarantine.csv",
    "report.html",
    "manifest.json",
];

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Streams into `path` atomically through `fill`.
pub fn write_atomic_with<F>(path: &Path, fill: F) -> std::io::Result<()>
where
    F: FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
{
    let tmp = temporary_name(path);
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut writer = std::io::BufWriter::new(file);
        fill(&mut writer)?;
        writer.flush()?;
        writer.get_ref().sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn temporary_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// The columns of `alerts.csv` and `alerts.parquet`, in order.
pub const ALERT_COLUMNS: [&str; 14] = [
    "alert_id",
    "rule_id",
    "pack",
    "typology",
    "subject_account",
    "subject_name",
    "window_start",
    "window_end",
    "txn_count",
    "total_amount",
    "currency",
    "score",
    "txn_ids",
    "summary",
];

/// A text cell of a CSV written for people, safe to open in a spreadsheet: a cell starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so that the
/// spreadsheet shows it as text instead of evaluating it as a formula (OWASP, "CSV
/// injection"). A plain number (`-250.00`, `+1,000`) is left as it is: a spreadsheet reads it
/// as the number it is. Numeric columns are written as they are and need no call.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// An optional sign, digits (commas allowed between them) and an optional fraction.
fn is_plain_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    whole.split(',').all(digits) && fraction.is_none_or(digits)
}

/// Writes alerts as CSV with `txn_ids` joined by `;`; text cells pass [`spreadsheet_safe`].
pub fn write_alerts_csv<W: Write, A: std::borrow::Borrow<Alert>>(
    w: W,
    alerts: &[A],
) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(ALERT_COLUMNS)?;
    for a in alerts {
        let a: &Alert = a.borrow();
        let txn_ids = a.txn_ids.join(";");
        out.write_record([
            &*spreadsheet_safe(&a.alert_id),
            &spreadsheet_safe(&a.rule_id),
            &spreadsheet_safe(&a.pack),
            a.typology.as_str(),
            &spreadsheet_safe(&a.subject_account),
            &spreadsheet_safe(&a.subject_name),
            &spreadsheet_safe(&a.window_start),
            &spreadsheet_safe(&a.window_end),
            &a.txn_count.to_string(),
            &a.total_amount,
            &spreadsheet_safe(&a.currency),
            &format_score(a.score),
            &spreadsheet_safe(&txn_ids),
            &spreadsheet_safe(&a.summary),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// Scores print without a trailing `.0` when whole (`40`, `72.5`).
pub fn format_score(score: f64) -> String {
    if score.fract() == 0.0 {
        format!("{}", score as i64)
    } else {
        format!("{score}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_a_quote_and_plain_numbers_do_not() {
        for (cell, safe) in [
            ("=1+1", "'=1+1"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-", "'-"),
            ("-.5", "'-.5"),
            ("1,,2", "1,,2"),
            ("-250.00", "-250.00"),
            ("+1,000", "+1,000"),
            ("-12", "-12"),
            ("Ann Lee", "Ann Lee"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), safe, "{cell:?}");
        }
    }
}
