//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The canonical CSV header.
pub const HEADER: &str =
    "txn_id,timestamp,amount,currency,channel,orig_account,orig_name,orig_country,bene_account,bene_name,bene_country,branch";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// A fresh, empty folder for one test: `$TMPDIR/amlscreen-tests/PID/LABEL-N`.
///
/// The test harness has no hook at exit, so the folders of a run stay until the next run: the
/// first call removes the folders of test processes that are no longer running (on Linux, by
/// `/proc/PID`), so that the suite never accumulates more than one run's folders (it once
/// filled the disk with 8,800 of them).
pub fn temp_dir(label: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    static CLEANED: std::sync::Once = std::sync::Once::new();
    let base = std::env::temp_dir().join("amlscreen-tests");
    CLEANED.call_once(|| remove_dead_runs(&base));
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = base
        .join(std::process::id().to_string())
        .join(format!("{label}-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Removes the folders under `base` of test processes that have ended.
fn remove_dead_runs(base: &Path) {
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().filter(|n| n.parse::<u32>().is_ok()) else {
            continue;
        };
        if !proc.join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

/// Runs the real binary with `args` from the repository root.
pub fn amlscreen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amlscreen"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run amlscreen")
}

/// Standard output and error of a finished command, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
