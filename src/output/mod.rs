//! Writing outputs atomically: each file is written to a temporary name in the same folder and
//! renamed into place, so a crashed run never leaves a half-written file behind.

mod parquet;

pub use parquet::{alerts_parquet, transactions_parquet};

use crate::model::Alert;
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

/// Writes alerts as CSV with `txn_ids` joined by `;`.
pub fn write_alerts_csv<W: Write>(w: W, alerts: &[Alert]) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(ALERT_COLUMNS)?;
    for a in alerts {
        out.write_record([
            a.alert_id.as_str(),
            &a.rule_id,
            &a.pack,
            a.typology.as_str(),
            &a.subject_account,
            &a.subject_name,
            &a.window_start,
            &a.window_end,
            &a.txn_count.to_string(),
            &a.total_amount,
            &a.currency,
            &format_score(a.score),
            &a.txn_ids.join(";"),
            &a.summary,
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
