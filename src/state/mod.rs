//! Nightly state: the accepted history that lookback windows need, each account's last activity,
//! and the alerts already raised.
//!
//! Layout of `--state DIR`:
//!
//! ```text
//! DIR/CURRENT                      the name of the live generation, e.g. "gen-000007"
//! DIR/gen-000007/history/2026-03-01.parquet   accepted rows, one file per UTC day
//! DIR/gen-000007/last_seen.parquet            account → first and last activity (µs), every account ever seen
//! DIR/gen-000007/raised.jsonl                 alerts already reported, within the lookback
//! DIR/gen-000007/state.json                   generation number, lookback, counts
//! ```
//!
//! A run reads the live generation, and at its very end writes a complete new generation beside
//! it (unchanged day files are hard-linked) and then replaces `CURRENT` by an atomic rename. A
//! run killed at any point before that rename leaves the previous generation live and intact;
//! leftovers of unfinished generations are removed by the next run.

mod raised;

pub use raised::{classify_alerts, Classified, RaisedAlert};

use crate::ingest::{concat_frames, empty_frame};
use crate::rules::plan::DAY;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Errors reading or writing the state folder.
#[derive(Debug, Error)]
pub enum StateError {
    #[error("{path}: state: {reason}")]
    Io { path: String, reason: String },
    #[error("{path}: state file is damaged: {reason}")]
    Damaged { path: String, reason: String },
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> StateError {
    StateError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Test hook: when this environment variable is set, [`State::commit`] fails just before the
/// atomic swap, as a crash at that point would.
pub const FAIL_BEFORE_SWAP_ENV: &str = "AMLSCREEN_FAIL_BEFORE_STATE_SWAP";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StateMeta {
    generation: u64,
    lookback_days: u64,
    history_rows: u64,
    history_days: u64,
    accounts_seen: u64,
}

/// The live state, as read at the start of a run.
pub struct State {
    dir: PathBuf,
    /// An exclusive lock on `DIR/LOCK`, held for the whole run; the OS releases it when the
    /// process ends, so a killed run leaves no stale lock.
    _lock: std::fs::File,
    meta: StateMeta,
    /// `day → file` of the live generation's history.
    day_files: BTreeMap<String, PathBuf>,
    /// Accepted history rows (canonical frame), oldest first.
    pub history: DataFrame,
    /// `subject`, `first_seen`, `last_seen` (µs) for every account ever seen.
    pub last_seen: DataFrame,
    /// Alerts reported by earlier runs.
    pub raised: Vec<RaisedAlert>,
}

fn generation_name(n: u64) -> String {
    format!("gen-{n:06}")
}

fn read_parquet(path: &Path) -> Result<DataFrame, StateError> {
    let file = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| StateError::Damaged {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}

fn write_parquet(path: &Path, frame: &mut DataFrame) -> Result<(), StateError> {
    let mut file = std::fs::File::create(path).map_err(|e| io_err(path, e))?;
    ParquetWriter::new(&mut file)
        .finish(frame)
        .map_err(|e| io_err(path, e))?;
    file.sync_all().map_err(|e| io_err(path, e))
}

fn empty_last_seen() -> DataFrame {
    DataFrame::new(
        0,
        vec![
            Column::new_empty("subject".into(), &DataType::String),
            Column::new_empty("first_seen".into(), &DataType::Int64),
            Column::new_empty("last_seen".into(), &DataType::Int64),
        ],
    )
    .unwrap_or_else(|_| DataFrame::empty())
}

/// `YYYY-MM-DD` of a UTC day number.
fn day_name(day: i64) -> String {
    crate::model::format_timestamp(day * DAY)[..10].to_string()
}

impl State {
    /// Opens (or starts) the state in `dir`, reading the live generation and removing the
    /// remains of unfinished ones.
    pub fn open(dir: &Path) -> Result<State, StateError> {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let lock_path = dir.join("LOCK");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_err(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(io_err(&lock_path, "the state is in use by another run"))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&lock_path, e)),
        }
        let current_path = dir.join("CURRENT");
        let live = match std::fs::read_to_string(&current_path) {
            Ok(text) => Some(text.trim().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err(&current_path, e)),
        };
        for entry in std::fs::read_dir(dir)
            .map_err(|e| io_err(dir, e))?
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().to_string();
            let stale_generation = name.starts_with("gen-") && Some(&name) != live.as_ref();
            if stale_generation || name.starts_with(".CURRENT.tmp") {
                let _ = std::fs::remove_dir_all(entry.path())
                    .or_else(|_| std::fs::remove_file(entry.path()));
            }
        }
        let Some(live) = live else {
            return Ok(State {
                dir: dir.to_path_buf(),
                _lock: lock,
                meta: StateMeta::default(),
                day_files: BTreeMap::new(),
                history: empty_frame(),
                last_seen: empty_last_seen(),
                raised: Vec::new(),
            });
        };
        let gen_dir = dir.join(&live);
        let meta_path = gen_dir.join("state.json");
        let meta: StateMeta =
            serde_json::from_slice(&std::fs::read(&meta_path).map_err(|e| io_err(&meta_path, e))?)
                .map_err(|e| StateError::Damaged {
                    path: meta_path.display().to_string(),
                    reason: e.to_string(),
                })?;
        let mut day_files = BTreeMap::new();
        let history_dir = gen_dir.join("history");
        for entry in std::fs::read_dir(&history_dir)
            .map_err(|e| io_err(&history_dir, e))?
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().to_string();
            if let Some(day) = name.strip_suffix(".parquet") {
                day_files.insert(day.to_string(), entry.path());
            }
        }
        let frames = day_files
            .values()
            .map(|p| read_parquet(p))
            .collect::<Result<Vec<_>, _>>()?;
        let history = concat_frames(frames).map_err(|e| StateError::Damaged {
            path: history_dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let last_seen = read_parquet(&gen_dir.join("last_seen.parquet"))?;
        let raised = raised::read_raised(&gen_dir.join("raised.jsonl"))?;
        Ok(State {
            dir: dir.to_path_buf(),
            _lock: lock,
            meta,
            day_files,
            history,
            last_seen,
            raised,
        })
    }

    /// The live generation number (0 before the first run).
    pub fn generation(&self) -> u64 {
        self.meta.generation
    }

    /// Transaction-id fingerprints of the history, for duplicate detection.
    pub fn known_ids(&self) -> Result<crate::ingest::FingerprintSet, StateError> {
        let ids = self
            .history
            .column("txn_id")
            .and_then(|c| c.str().cloned())
            .map_err(|e| StateError::Damaged {
                path: self.dir.display().to_string(),
                reason: e.to_string(),
            })?;
        Ok(ids
            .iter()
            .flatten()
            .map(crate::ingest::txn_id_fingerprint)
            .collect())
    }

    /// Writes the next generation — history plus tonight's rows pruned to `lookback`, the
    /// updated last-seen table, and the raised alerts — then makes it live atomically.
    /// Returns the generation written and the history days kept.
    pub fn commit(
        &self,
        tonight: &DataFrame,
        reported: &[RaisedAlert],
        lookback: i64,
    ) -> Result<(u64, u64), StateError> {
        let polars_err = |e: PolarsError| io_err(&self.dir, e);
        let next = self.meta.generation + 1;
        let gen_dir = self.dir.join(generation_name(next));
        let history_dir = gen_dir.join("history");
        let _ = std::fs::remove_dir_all(&gen_dir);
        std::fs::create_dir_all(&history_dir).map_err(|e| io_err(&history_dir, e))?;

        // tonight's rows by day; days with new rows are rewritten, others hard-linked
        let mut by_day: BTreeMap<i64, Vec<IdxSize>> = BTreeMap::new();
        let ts = tonight
            .column("ts")
            .and_then(|c| c.cast(&DataType::Int64))
            .map_err(polars_err)?;
        let ts = ts.i64().map_err(polars_err)?;
        for (i, t) in ts.iter().enumerate() {
            by_day
                .entry(t.unwrap_or(0).div_euclid(DAY))
                .or_default()
                .push(i as IdxSize);
        }
        let latest_day = by_day
            .keys()
            .copied()
            .chain(self.day_files.keys().filter_map(|d| day_number(d)))
            .max()
            .unwrap_or(0);
        let lookback_days = (lookback + DAY - 1) / DAY + 1;
        let first_kept = latest_day - lookback_days;
        let mut kept_days = 0u64;
        let mut history_rows = 0u64;
        let mut all_days: Vec<i64> = by_day
            .keys()
            .copied()
            .chain(self.day_files.keys().filter_map(|d| day_number(d)))
            .collect();
        all_days.sort_unstable();
        all_days.dedup();
        // days older than the lookback are dropped, except tonight's own late rows: kept for
        // this generation so that re-running the same night finds them as duplicates
        for day in all_days
            .into_iter()
            .filter(|d| *d >= first_kept || by_day.contains_key(d))
        {
            let name = day_name(day);
            let target = history_dir.join(format!("{name}.parquet"));
            let previous = self.day_files.get(&name);
            match (by_day.get(&day), previous) {
                (None, Some(old)) => {
                    std::fs::hard_link(old, &target)
                        .or_else(|_| std::fs::copy(old, &target).map(|_| ()))
                        .map_err(|e| io_err(&target, e))?;
                    history_rows += parquet_rows(old)?;
                }
                (Some(rows), previous) => {
                    let idx = IdxCa::from_vec("idx".into(), rows.clone());
                    let fresh = tonight.take(&idx).map_err(polars_err)?;
                    let mut combined = match previous {
                        Some(old) => {
                            concat_frames(vec![read_parquet(old)?, fresh]).map_err(polars_err)?
                        }
                        None => fresh,
                    };
                    combined = combined
                        .sort(["ts", "txn_id"], SortMultipleOptions::default())
                        .map_err(polars_err)?;
                    history_rows += combined.height() as u64;
                    write_parquet(&target, &mut combined)?;
                }
                (None, None) => continue,
            }
            kept_days += 1;
        }

        let mut last_seen = self.updated_last_seen(tonight).map_err(polars_err)?;
        write_parquet(&gen_dir.join("last_seen.parquet"), &mut last_seen)?;
        let cutoff = first_kept * DAY;
        let mut raised: Vec<RaisedAlert> = self
            .raised
            .iter()
            .filter(|r| !reported.iter().any(|n| n.alert_id == r.alert_id))
            .cloned()
            .chain(reported.iter().cloned())
            .filter(|r| r.window_end >= cutoff)
            .collect();
        raised.sort_by(|a, b| {
            (&a.rule_id, &a.subject, a.window_start, &a.alert_id).cmp(&(
                &b.rule_id,
                &b.subject,
                b.window_start,
                &b.alert_id,
            ))
        });
        raised::write_raised(&gen_dir.join("raised.jsonl"), &raised)?;
        let meta = StateMeta {
            generation: next,
            lookback_days: lookback_days as u64,
            history_rows,
            history_days: kept_days,
            accounts_seen: last_seen.height() as u64,
        };
        let meta_path = gen_dir.join("state.json");
        let meta_json = serde_json::to_vec_pretty(&meta).map_err(|e| io_err(&meta_path, e))?;
        crate::output::write_atomic(&meta_path, &meta_json).map_err(|e| io_err(&meta_path, e))?;
        sync_dir(&history_dir);
        sync_dir(&gen_dir);

        if std::env::var_os(FAIL_BEFORE_SWAP_ENV).is_some() {
            return Err(io_err(
                &self.dir,
                format!("failure injected by {FAIL_BEFORE_SWAP_ENV} before the swap"),
            ));
        }
        let current = self.dir.join("CURRENT");
        crate::output::write_atomic(&current, generation_name(next).as_bytes())
            .map_err(|e| io_err(&current, e))?;
        sync_dir(&self.dir);
        if self.meta.generation > 0 {
            let _ = std::fs::remove_dir_all(self.dir.join(generation_name(self.meta.generation)));
        }
        Ok((next, kept_days))
    }

    fn updated_last_seen(&self, tonight: &DataFrame) -> PolarsResult<DataFrame> {
        let side = |column: &str| {
            tonight
                .clone()
                .lazy()
                .select([
                    col(column).alias("subject"),
                    col("ts").cast(DataType::Int64).alias("first_seen"),
                    col("ts").cast(DataType::Int64).alias("last_seen"),
                ])
                .filter(col("subject").neq(lit("")))
        };
        concat(
            [
                self.last_seen.clone().lazy(),
                side("orig_account"),
                side("bene_account"),
            ],
            UnionArgs::default(),
        )?
        .group_by([col("subject")])
        .agg([col("first_seen").min(), col("last_seen").max()])
        .sort(["subject"], SortMultipleOptions::default())
        .collect()
    }
}

fn day_number(name: &str) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(name, "%Y-%m-%d").ok()?;
    Some(
        date.and_hms_opt(0, 0, 0)?
            .and_utc()
            .timestamp_micros()
            .div_euclid(DAY),
    )
}

fn parquet_rows(path: &Path) -> Result<u64, StateError> {
    let file = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    ParquetReader::new(file)
        .num_rows()
        .map(|n| n as u64)
        .map_err(|e| StateError::Damaged {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}

/// Flushes a folder's entries to disk (best effort; not every filesystem supports it).
fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}
