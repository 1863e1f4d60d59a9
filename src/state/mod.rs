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
//! DIR/gen-000007/dispositions.jsonl           analysts' decisions folded in (see `dispositions`)
//! DIR/gen-000007/state.json                   generation number, lookback, counts
//! ```
//!
//! A run reads the live generation, and at its very end writes a complete new generation beside
//! it (unchanged day files are hard-linked) and then replaces `CURRENT` by an atomic rename. A
//! run killed at any point before that rename leaves the previous generation live and intact.
//!
//! **Nothing is deleted that has not been proven replaceable.** A run first loads the
//! generation that `CURRENT` names, completely; only then does it remove other generations,
//! and never the live one's parent. A missing, empty or wrong `CURRENT` while generations
//! exist stops the run with an error that lists them: nothing is deleted, and the operator
//! writes the right name into `CURRENT` to resume.
//!
//! **A retried night is idempotent.** Each generation records the digest of the inputs of the
//! night that made it and the generation it was built on (its parent, kept on disk). A run
//! whose inputs are those of the live generation's night is a retry of that night (a
//! scheduler's retry after a kill, or an operator's rerun): it is computed again from the
//! parent, so it reports the same alerts into the same `--out`, instead of finding every row a
//! duplicate of itself.
//!
//! **Pruning is robust to outliers.** Days older than the lookback are dropped relative to a
//! reference day: the median day of the night's rows (never earlier than the previous
//! reference), so one row dated months ahead cannot prune the history away.

pub mod dispositions;
mod raised;

pub use raised::{classify_alerts, Classified, RaisedAlert};

use crate::ingest::{concat_frames, empty_frame};
use crate::rules::plan::DAY;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Errors reading or writing the state folder.
#[derive(Debug, Error)]
pub enum StateError {
    /// A state file or folder cannot be read or written; `source` says why.
    #[error("{path}: state: {source}")]
    Io {
        path: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{path}: state file is damaged: {reason}")]
    Damaged { path: String, reason: String },
}

fn io_err(path: &Path, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StateError {
    StateError::Io {
        path: path.display().to_string(),
        source: e.into(),
    }
}

/// Test hook: when this environment variable is set, [`State::commit`] fails just before the
/// atomic swap, as a crash at that point would.
pub const FAIL_BEFORE_SWAP_ENV: &str = "AMLSCREEN_FAIL_BEFORE_STATE_SWAP";

/// Test hook: when this environment variable names a stage of a nightly run (see
/// [`KILL_POINTS`]), the process aborts there, as a `kill -9` would, so that tests can check
/// what a retry makes of every point of a run.
pub const KILL_AT_ENV: &str = "AMLSCREEN_TEST_KILL_AT";

/// The stages of a run at which [`KILL_AT_ENV`] can stop it, in order.
pub const KILL_POINTS: [&str; 7] = [
    "state-opened",
    "ingested",
    "rules-done",
    "outputs-written",
    "generation-written",
    "current-swapped",
    "manifest-written",
];

/// Aborts the process at `stage` when [`KILL_AT_ENV`] names it (a test hook; nothing happens
/// otherwise).
pub fn kill_point(stage: &str) {
    if std::env::var_os(KILL_AT_ENV).is_some_and(|v| v == stage) {
        std::process::abort();
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StateMeta {
    generation: u64,
    lookback_days: u64,
    history_rows: u64,
    history_days: u64,
    accounts_seen: u64,
    /// The generation this one was built on (0: none); kept on disk while this one is live.
    #[serde(default)]
    parent: u64,
    /// Digest of the inputs of the night that made this generation (empty: unknown).
    #[serde(default)]
    night: String,
    /// The day (UTC day number) that pruning was relative to.
    #[serde(default)]
    reference_day: Option<i64>,
}

/// One generation, read completely.
struct Loaded {
    meta: StateMeta,
    day_files: BTreeMap<String, PathBuf>,
    history: DataFrame,
    last_seen: DataFrame,
    raised: Vec<RaisedAlert>,
    dispositions: Vec<dispositions::Resolved>,
}

/// The live state, as read at the start of a run.
pub struct State {
    dir: PathBuf,
    /// An exclusive lock on `DIR/LOCK`, held for the whole run; the OS releases it when the
    /// process ends, so a killed run leaves no stale lock.
    _lock: std::fs::File,
    /// The generation this run builds on: the live one, or its parent when this run is a
    /// retry of the live generation's night.
    meta: StateMeta,
    /// The live generation's number (0: none).
    live: u64,
    /// The digest of this run's inputs, recorded in the generation it writes.
    night: String,
    /// `day → file` of the live generation's history.
    day_files: BTreeMap<String, PathBuf>,
    /// Accepted history rows (canonical frame), oldest first.
    pub history: DataFrame,
    /// `subject`, `first_seen`, `last_seen` (µs) for every account ever seen.
    pub last_seen: DataFrame,
    /// Alerts reported by earlier runs.
    pub raised: Vec<RaisedAlert>,
    /// Analyst dispositions kept so far, with tonight's folded in.
    pub dispositions: Vec<dispositions::Resolved>,
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

/// A generation's file of analysts' dispositions.
const DISPOSITIONS_FILE: &str = "dispositions.jsonl";

/// Reads a JSON-lines file of the state (blank lines skipped); a damaged line is named. A
/// missing file is empty when `optional`, else an error.
fn read_jsonl<T: serde::de::DeserializeOwned>(
    path: &Path,
    optional: bool,
) -> Result<Vec<T>, StateError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(path, e)),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| StateError::Damaged {
                path: format!("{}:{}", path.display(), i + 1),
                reason: e.to_string(),
            })
        })
        .collect()
}

/// Writes records as JSON lines, atomically.
fn write_jsonl<T: Serialize>(path: &Path, records: &[T]) -> Result<(), StateError> {
    crate::output::write_atomic_with(path, |w| {
        for r in records {
            serde_json::to_writer(&mut *w, r)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })
    .map_err(|e| io_err(path, e))
}

/// `gen-NNNNNN` folder names and their numbers.
fn generation_number(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("gen-")?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The generations on disk, by number.
fn generations_on_disk(dir: &Path) -> Result<BTreeMap<u64, PathBuf>, StateError> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(n) = generation_number(&name) {
            if entry.path().is_dir() {
                found.insert(n, entry.path());
            }
        }
    }
    Ok(found)
}

/// Reads one generation completely, or says what is wrong with it.
fn load_generation(gen_dir: &Path) -> Result<Loaded, StateError> {
    let meta = load_meta(gen_dir)?;
    let mut day_files = BTreeMap::new();
    let history_dir = gen_dir.join("history");
    for entry in std::fs::read_dir(&history_dir).map_err(|e| io_err(&history_dir, e))? {
        let entry = entry.map_err(|e| io_err(&history_dir, e))?;
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
    if history.height() as u64 != meta.history_rows {
        return Err(StateError::Damaged {
            path: history_dir.display().to_string(),
            reason: format!(
                "{} history rows, but state.json records {}",
                history.height(),
                meta.history_rows
            ),
        });
    }
    let last_seen = read_parquet(&gen_dir.join("last_seen.parquet"))?;
    let raised = read_jsonl(&gen_dir.join("raised.jsonl"), false)?;
    // generations written before dispositions existed have no file for them
    let dispositions = read_jsonl(&gen_dir.join(DISPOSITIONS_FILE), true)?;
    Ok(Loaded {
        meta,
        day_files,
        history,
        last_seen,
        raised,
        dispositions,
    })
}

/// The error for a `CURRENT` that does not name a loadable generation while generations exist:
/// lists them, newest first, with whether each loads, and how to resume.
fn damaged_current(dir: &Path, what: &str, generations: &BTreeMap<u64, PathBuf>) -> StateError {
    let mut listed = Vec::new();
    let mut newest_complete = None;
    for (n, path) in generations.iter().rev() {
        let complete = load_generation(path).is_ok();
        if complete && newest_complete.is_none() {
            newest_complete = Some(*n);
        }
        listed.push(format!(
            "{}{}",
            generation_name(*n),
            if complete { "" } else { " (incomplete)" }
        ));
    }
    let hint = match newest_complete {
        Some(n) => format!(
            "; to resume from the newest complete generation, write `{}` into {}",
            generation_name(n),
            dir.join("CURRENT").display()
        ),
        None => String::new(),
    };
    StateError::Damaged {
        path: dir.join("CURRENT").display().to_string(),
        reason: format!(
            "{what}, but the state holds {}; nothing was deleted{hint}",
            listed.join(", ")
        ),
    }
}

impl State {
    /// Opens (or starts) the state in `dir` for a night whose inputs have the digest `night`
    /// (see [`crate::ingest::inputs_digest`]): reads the live generation completely (or its
    /// parent, when this night is a retry of the live one's), then removes generations that
    /// are neither live nor the live one's parent.
    pub fn open(dir: &Path, night: &str) -> Result<State, StateError> {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let lock_path = dir.join("LOCK");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_err(&lock_path, e))?;
        // a lock can outlive its run by a moment (a child process forked elsewhere in the same
        // program holds the descriptor until it execs): wait up to two seconds before saying
        // that another run holds it
        let mut waited = 0;
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if waited < 40 => {
                    waited += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(io_err(&lock_path, "the state is in use by another run"))
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&lock_path, e)),
            }
        }
        let generations = generations_on_disk(dir)?;
        let current_path = dir.join("CURRENT");
        let live_name = match std::fs::read_to_string(&current_path) {
            Ok(text) => Some(text.trim().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err(&current_path, e)),
        };
        let Some(live_name) = live_name else {
            if !generations.is_empty() {
                return Err(damaged_current(dir, "CURRENT is missing", &generations));
            }
            return Ok(State {
                dir: dir.to_path_buf(),
                _lock: lock,
                meta: StateMeta::default(),
                live: 0,
                night: night.to_string(),
                day_files: BTreeMap::new(),
                history: empty_frame(),
                last_seen: empty_last_seen(),
                raised: Vec::new(),
                dispositions: Vec::new(),
            });
        };
        let live_number = generation_number(&live_name);
        let live = match live_number.and_then(|n| generations.get(&n)) {
            None => {
                let what = if live_name.is_empty() {
                    "CURRENT is empty".to_string()
                } else {
                    format!(
                        "CURRENT names `{}`, which is not a generation in this folder",
                        live_name.chars().take(40).collect::<String>()
                    )
                };
                return Err(damaged_current(dir, &what, &generations));
            }
            Some(path) => load_generation(path).map_err(|e| {
                damaged_current(
                    dir,
                    &format!("CURRENT names {live_name}, which cannot be read ({e})"),
                    &generations,
                )
            })?,
        };
        let (live_number, live_parent) = (live.meta.generation, live.meta.parent);
        // a retry of the live generation's night starts again from its parent
        let retry_parent = (!night.is_empty() && live.meta.night == night && live.meta.parent > 0)
            .then(|| generations.get(&live.meta.parent))
            .flatten();
        let base = match retry_parent {
            Some(path) => {
                let parent = load_generation(path)?;
                tracing::info!(
                    generation = live_number,
                    parent = parent.meta.generation,
                    "this night's inputs made the live generation: a retry, computed again from its parent"
                );
                parent
            }
            None => live,
        };
        // only now, with the live generation read, is anything else removed: generations that
        // are neither live nor its parent (superseded ones, and unfinished ones of killed runs)
        for (n, path) in &generations {
            if *n != live_number && *n != live_parent {
                let _ = std::fs::remove_dir_all(path);
            }
        }
        for entry in std::fs::read_dir(dir)
            .map_err(|e| io_err(dir, e))?
            .flatten()
        {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with(".CURRENT.tmp")
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(State {
            dir: dir.to_path_buf(),
            _lock: lock,
            meta: base.meta,
            live: live_number,
            night: night.to_string(),
            day_files: base.day_files,
            history: base.history,
            last_seen: base.last_seen,
            raised: base.raised,
            dispositions: base.dispositions,
        })
    }

    /// Folds a dispositions file into the state (see [`dispositions`]); returns how many rows
    /// it held. They are kept in the generation this run writes.
    pub fn fold_dispositions(
        &mut self,
        path: &Path,
    ) -> Result<u64, dispositions::DispositionError> {
        let folded = dispositions::read_dispositions(path, &self.raised)?;
        let n = folded.len() as u64;
        self.dispositions = dispositions::merge(&self.dispositions, folded);
        Ok(n)
    }

    /// `Some(live generation)` when this run is a retry of the live generation's night and
    /// builds on its parent instead.
    pub fn retry_of(&self) -> Option<u64> {
        (self.live != self.meta.generation).then_some(self.live)
    }

    /// The generation this run builds on (0 before the first run).
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
    /// Returns the generation written and the history it keeps.
    pub fn commit(
        &self,
        tonight: &DataFrame,
        reported: &[RaisedAlert],
        lookback: i64,
    ) -> Result<Committed, StateError> {
        let polars_err = |e: PolarsError| io_err(&self.dir, e);
        // after the live generation (and after the one a retry replaces): never over an
        // existing folder
        let next = self.live.max(self.meta.generation) + 1;
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
        if ts.null_count() > 0 {
            return Err(io_err(
                &self.dir,
                "tonight's rows include a missing timestamp",
            ));
        }
        let mut tonight_days: Vec<i64> = Vec::with_capacity(ts.len());
        for (i, t) in ts.into_no_null_iter().enumerate() {
            let day = t.div_euclid(DAY);
            tonight_days.push(day);
            by_day.entry(day).or_default().push(i as IdxSize);
        }
        let reference_day = reference_day(
            &mut tonight_days,
            self.meta.reference_day,
            self.day_files.keys().filter_map(|d| day_number(d)).max(),
        );
        let lookback_days = (lookback + DAY - 1) / DAY + 1;
        let first_kept = reference_day - lookback_days;
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
        write_jsonl(&gen_dir.join("raised.jsonl"), &raised)?;
        write_jsonl(&gen_dir.join(DISPOSITIONS_FILE), &self.dispositions)?;
        let meta = StateMeta {
            generation: next,
            lookback_days: lookback_days as u64,
            history_rows,
            history_days: kept_days,
            accounts_seen: last_seen.height() as u64,
            parent: self.meta.generation,
            night: self.night.clone(),
            reference_day: Some(reference_day),
        };
        let meta_path = gen_dir.join("state.json");
        let meta_json = serde_json::to_vec_pretty(&meta).map_err(|e| io_err(&meta_path, e))?;
        crate::output::write_atomic(&meta_path, &meta_json).map_err(|e| io_err(&meta_path, e))?;
        sync_dir(&history_dir);
        sync_dir(&gen_dir);

        kill_point("generation-written");
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
        kill_point("current-swapped");
        // the new generation is live and on disk: the one built on stays as its parent (a
        // retry of tonight starts from it); the others (older ones, and the live generation a
        // retry replaced) are no longer needed
        for (n, path) in generations_on_disk(&self.dir)? {
            if n != next && n != self.meta.generation {
                let _ = std::fs::remove_dir_all(path);
            }
        }
        Ok(Committed {
            generation: next,
            history_days: kept_days,
            history_rows,
        })
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

/// What [`State::commit`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    pub generation: u64,
    pub history_days: u64,
    pub history_rows: u64,
}

/// The day that pruning is relative to: the median of tonight's days (robust to a few rows
/// dated far ahead or behind), never earlier than the previous reference; with no rows
/// tonight, the previous reference or the latest day of history.
fn reference_day(
    tonight_days: &mut [i64],
    previous: Option<i64>,
    latest_history: Option<i64>,
) -> i64 {
    let median = (!tonight_days.is_empty()).then(|| {
        let middle = tonight_days.len() / 2;
        *tonight_days.select_nth_unstable(middle).1
    });
    match (median, previous) {
        (Some(m), Some(p)) => m.max(p),
        (Some(m), None) => m,
        (None, Some(p)) => p,
        (None, None) => latest_history.unwrap_or(0),
    }
}

/// A generation's `state.json` alone.
fn load_meta(gen_dir: &Path) -> Result<StateMeta, StateError> {
    let meta_path = gen_dir.join("state.json");
    serde_json::from_slice(&std::fs::read(&meta_path).map_err(|e| io_err(&meta_path, e))?).map_err(
        |e| StateError::Damaged {
            path: meta_path.display().to_string(),
            reason: e.to_string(),
        },
    )
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
