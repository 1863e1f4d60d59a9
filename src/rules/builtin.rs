//! The shipped rule packs, built into the binary so that `amlscreen run` works from any folder:
//! the files under `rules/` when the binary was built (packs, their lists and golden tests).
//!
//! A built-in file is named by a path that starts with [`PREFIX`], such as
//! `builtin:rules/cash.toml`; that path is what the manifest and `rules check` show, beside the
//! pack's id, version and SHA-256 (the same digest as the file on disk).

use std::path::{Component, Path, PathBuf};

/// The prefix of a built-in file's path.
pub const PREFIX: &str = "builtin:";

/// Every file of `rules/`, by its path under the repository root.
const FILES: &[(&str, &str)] = &[
    ("rules/cash.toml", include_str!("../../rules/cash.toml")),
    (
        "rules/cash.tests.toml",
        include_str!("../../rules/cash.tests.toml"),
    ),
    (
        "rules/geography.toml",
        include_str!("../../rules/geography.toml"),
    ),
    (
        "rules/geography.tests.toml",
        include_str!("../../rules/geography.tests.toml"),
    ),
    (
        "rules/movement.toml",
        include_str!("../../rules/movement.toml"),
    ),
    (
        "rules/movement.tests.toml",
        include_str!("../../rules/movement.tests.toml"),
    ),
    (
        "rules/network.toml",
        include_str!("../../rules/network.toml"),
    ),
    (
        "rules/network.tests.toml",
        include_str!("../../rules/network.tests.toml"),
    ),
    (
        "rules/lists/fatf-call-for-action.toml",
        include_str!("../../rules/lists/fatf-call-for-action.toml"),
    ),
    (
        "rules/lists/fatf-increased-monitoring.toml",
        include_str!("../../rules/lists/fatf-increased-monitoring.toml"),
    ),
    (
        "rules/lists/offshore-financial-centres.toml",
        include_str!("../../rules/lists/offshore-financial-centres.toml"),
    ),
];

/// Whether `path` names a built-in file (it starts with [`PREFIX`]).
pub fn is_builtin(path: &Path) -> bool {
    path.to_str().is_some_and(|p| p.starts_with(PREFIX))
}

/// The built-in files as `(path under the repository root, text)`, such as
/// `("rules/cash.toml", …)`.
pub fn files() -> impl Iterator<Item = (&'static str, &'static str)> {
    FILES.iter().copied()
}

/// The built-in packs, sorted by name as a folder of packs is: `builtin:rules/cash.toml`, …
pub fn pack_paths() -> Vec<PathBuf> {
    let mut packs: Vec<PathBuf> = FILES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            name.matches('/').count() == 1
                && name.ends_with(".toml")
                && !name.ends_with(".tests.toml")
        })
        .map(|name| PathBuf::from(format!("{PREFIX}{name}")))
        .collect();
    packs.sort();
    packs
}

/// The text of the built-in file `path` names (`.` steps allowed, `..` never); `None` for a
/// path that is not built in or names no built-in file.
pub fn text(path: &Path) -> Option<&'static str> {
    let rest = path.to_str()?.strip_prefix(PREFIX)?;
    let mut parts = Vec::new();
    for component in Path::new(rest).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    let wanted = parts.join("/");
    FILES
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, text)| *text)
}

/// Whether a rules file exists: a built-in one in the binary, another on disk.
pub fn exists(path: &Path) -> bool {
    if is_builtin(path) {
        text(path).is_some()
    } else {
        path.exists()
    }
}

/// Reads a rules file: a built-in one from the binary, another from disk.
pub fn read(path: &Path) -> std::io::Result<String> {
    if !is_builtin(path) {
        return std::fs::read_to_string(path);
    }
    text(path).map(str::to_string).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "no such built-in file; the built-in files are {}",
                FILES
                    .iter()
                    .map(|(name, _)| format!("{PREFIX}{name}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}
