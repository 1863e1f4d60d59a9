//! Property tests for every parser: CSV and Parquet ingest, the CSV record scanner, rule packs,
//! mapping and goAML profiles, the watchlist loaders, the name normaliser and the matcher; and a
//! corpus of the nastiest inputs found, replayed with their expected counts.
//!
//! Every property runs a fixed number of cases from a fixed seed, so CI sees the same inputs on
//! every run and cannot flake; nothing is persisted to `proptest-regressions/`. To search more
//! widely on a workstation, set `PROPTEST_CASES` (cases per property) and `PROPTEST_RNG_SEED`
//! (a number): `PROPTEST_CASES=2000 PROPTEST_RNG_SEED=7 cargo test --test main props`.
//! README.md ("Property tests") lists each property and its number of cases.

mod corpus;
mod csv;
mod lists;
mod names;
mod parquet;
mod toml_files;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use std::path::{Path, PathBuf};

/// The seed of every property's random inputs unless `PROPTEST_RNG_SEED` is set.
const SEED: u64 = 0x414d_4c53_4352_4e31;

/// A configuration running `cases` cases (or `PROPTEST_CASES`) from the fixed seed (or
/// `PROPTEST_RNG_SEED`), persisting nothing, shrinking a failure for at most 1,024 steps.
pub fn config(cases: u32) -> Config {
    let from_env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    Config {
        cases: from_env("PROPTEST_CASES").map_or(cases, |c| c as u32),
        rng_seed: RngSeed::Fixed(from_env("PROPTEST_RNG_SEED").unwrap_or(SEED)),
        failure_persistence: None,
        max_shrink_iters: 1024,
        ..Config::default()
    }
}

/// A fresh folder for one case, removed when the case ends, passed or failed (a failing
/// property runs its case again at every shrinking step).
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(label: &str) -> Scratch {
        Scratch(crate::common::temp_dir(label))
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Text edits for mutating TOML files: each picks its place among the lines, numbers or
/// characters of the text as it is when the edit is applied.
#[derive(Debug, Clone)]
pub enum Edit {
    DeleteLine(prop::sample::Index),
    DuplicateLine(prop::sample::Index),
    SwapLines(prop::sample::Index, prop::sample::Index),
    /// Replaces one run of digits (with a sign or decimals around it) with other text.
    ChangeNumber(prop::sample::Index, String),
    /// Replaces what follows the first `=` of a line.
    ChangeValue(prop::sample::Index, String),
    Insert(prop::sample::Index, String),
    Truncate(prop::sample::Index),
}

/// Numbers and not-quite-numbers that a TOML file may be edited to hold.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (0u32..200).prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        prop::sample::select(vec![
            "0",
            "-0",
            "-1",
            "1e400",
            "nan",
            "inf",
            "-inf",
            "0.0000001",
            "99999999999999999999999",
            "18446744073709551616",
            "\"10000.00\"",
            "\"-5\"",
            "\"1,000.00\"",
            "\"\"",
            "1_000",
            "0x10",
            "1979-05-27",
        ])
        .prop_map(str::to_string),
    ]
}

/// Values a TOML key may be edited to hold: other types, other vocabularies, odd text.
fn value_text() -> impl Strategy<Value = String> {
    prop_oneof![
        number_text(),
        prop::sample::select(vec![
            "true",
            "[]",
            "{}",
            "[1, \"a\"]",
            "{ generate = \"row\" }",
            "{ concat = [0, 99999], separator = \"/\" }",
            "{ position = 0 }",
            "{ position = 18446744073709551615 }",
            "\"\"",
            "\"7d\"",
            "\"0s\"",
            "\"-3d\"",
            "\"999999999999w\"",
            "\"business_day\"",
            "\"-05:00\"",
            "\"+99:99\"",
            "\"%Y\"",
            "\"%Q%\"",
            "\"CASH\"",
            "\"PIGEON\"",
            "\"structuring\"",
            "\"no_such_kind\"",
            "\"{count} {nope}\"",
            "\"{param.window}\"",
            "\"lists/fatf-call-for-action.toml\"",
            "\"lists/../../Cargo.toml\"",
            "\"/etc/passwd\"",
            "\"lists/missing.toml\"",
            "\"é\\u0000\"",
            "'''multi\nline'''",
            "\"unterminated",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,20}".prop_map(|s| format!("{s:?}")),
    ]
}

/// Text inserted anywhere: TOML punctuation, line breaks, control characters, other scripts.
fn inserted_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "\n",
            "[",
            "]",
            "[[rule]]\n",
            "[pack]\n",
            "=",
            "\"",
            "'",
            "#",
            ",",
            "{",
            "}",
            "\r\n",
            "\u{0}",
            "\u{feff}",
            "é",
            "\u{202e}",
            "😀",
            "\t",
            "\\",
        ])
        .prop_map(str::to_string),
        any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
}

/// One to four edits.
pub fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let index = any::<prop::sample::Index>;
    let edit = prop_oneof![
        1 => index().prop_map(Edit::DeleteLine),
        1 => index().prop_map(Edit::DuplicateLine),
        1 => (index(), index()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        3 => (index(), number_text()).prop_map(|(i, n)| Edit::ChangeNumber(i, n)),
        3 => (index(), value_text()).prop_map(|(i, v)| Edit::ChangeValue(i, v)),
        2 => (index(), inserted_text()).prop_map(|(i, t)| Edit::Insert(i, t)),
        1 => index().prop_map(Edit::Truncate),
    ];
    prop::collection::vec(edit, 1..=4)
}

/// `text` with `edits` applied in order.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut text = text.to_string();
    for edit in edits {
        let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
        match edit {
            Edit::DeleteLine(i) if !lines.is_empty() => {
                lines.remove(i.index(lines.len()));
                text = lines.concat();
            }
            Edit::DuplicateLine(i) if !lines.is_empty() => {
                let at = i.index(lines.len());
                let mut line = lines[at].clone();
                if !line.ends_with('\n') {
                    line.push('\n');
                }
                lines.insert(at, line);
                text = lines.concat();
            }
            Edit::SwapLines(a, b) if !lines.is_empty() => {
                let (a, b) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(a, b);
                if !lines.iter().all(|l| l.ends_with('\n')) {
                    for l in &mut lines {
                        if !l.ends_with('\n') {
                            l.push('\n');
                        }
                    }
                }
                text = lines.concat();
            }
            Edit::ChangeNumber(i, new) => {
                let numbers = number_spans(&text);
                if !numbers.is_empty() {
                    let (start, end) = numbers[i.index(numbers.len())];
                    text.replace_range(start..end, new);
                }
            }
            Edit::ChangeValue(i, new) => {
                let with_value: Vec<usize> = (0..lines.len())
                    .filter(|&k| lines[k].contains('='))
                    .collect();
                if !with_value.is_empty() {
                    let k = with_value[i.index(with_value.len())];
                    let eq = lines[k].find('=').unwrap_or(0);
                    let ending = if lines[k].ends_with('\n') { "\n" } else { "" };
                    lines[k] = format!("{}= {new}{ending}", &lines[k][..eq]);
                    text = lines.concat();
                }
            }
            Edit::Insert(i, new) => {
                let at = char_boundary(&text, i);
                text.insert_str(at, new);
            }
            Edit::Truncate(i) => {
                let at = char_boundary(&text, i);
                text.truncate(at);
            }
            _ => {}
        }
    }
    text
}

/// A character boundary of `text` (its end included) picked by `i`.
fn char_boundary(text: &str, i: &prop::sample::Index) -> usize {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(k, _)| k)
        .chain([text.len()])
        .collect();
    bounds[i.index(bounds.len())]
}

/// Byte ranges of the numbers of `text`: digit runs with a leading `-` and decimals.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'_') {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

/// Number of lines of `text` as an error may count them (a last line without `\n` counts).
pub fn line_count(text: &str) -> usize {
    text.matches('\n').count() + 1
}

/// Byte edits for mutating list files (which are read as bytes, so any byte may appear).
#[derive(Debug, Clone)]
pub enum ByteEdit {
    DeleteRange(prop::sample::Index, usize),
    DuplicateLine(prop::sample::Index),
    DeleteLine(prop::sample::Index),
    Insert(prop::sample::Index, Vec<u8>),
    Overwrite(prop::sample::Index, u8),
    Truncate(prop::sample::Index),
}

/// Bytes that matter to the list formats: XML, JSON and CSV punctuation, line breaks, the OFAC
/// markers, invalid UTF-8 and arbitrary bytes.
fn inserted_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            &b"<"[..],
            b">",
            b"</",
            b"<INDIVIDUAL>",
            b"</ENTITY>",
            b"<![CDATA[",
            b"&",
            b"&amp;",
            b"&#0;",
            b"&#x110000;",
            b"\"",
            b",",
            b"\n",
            b"\r\n",
            b"{",
            b"}",
            b"[",
            b"\"schema\": \"Person\"",
            b"\"name\": 5",
            b"-0- ",
            b"\x1a",
            b"\0",
            b"\xff",
            b"\xc3",
            b"\xef\xbb\xbf",
            b"\xf0\x9f\x98",
            b"99999999999999999999",
        ])
        .prop_map(<[u8]>::to_vec),
        prop::collection::vec(any::<u8>(), 1..16),
    ]
}

/// One to six byte edits.
pub fn byte_edits() -> impl Strategy<Value = Vec<ByteEdit>> {
    let index = any::<prop::sample::Index>;
    let edit = prop_oneof![
        1 => (index(), 1usize..200).prop_map(|(i, n)| ByteEdit::DeleteRange(i, n)),
        1 => index().prop_map(ByteEdit::DuplicateLine),
        1 => index().prop_map(ByteEdit::DeleteLine),
        3 => (index(), inserted_bytes()).prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        2 => (index(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Overwrite(i, b)),
        1 => index().prop_map(ByteEdit::Truncate),
    ];
    prop::collection::vec(edit, 1..=6)
}

/// `bytes` with `edits` applied in order.
pub fn apply_byte_edits(bytes: &[u8], edits: &[ByteEdit]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for edit in edits {
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(
                out.iter()
                    .enumerate()
                    .filter(|(_, &b)| b == b'\n')
                    .map(|(k, _)| k + 1),
            )
            .filter(|&k| k < out.len())
            .collect();
        let line_at = |i: &prop::sample::Index| -> Option<(usize, usize)> {
            if line_starts.is_empty() {
                return None;
            }
            let k = i.index(line_starts.len());
            let end = line_starts.get(k + 1).copied().unwrap_or(out.len());
            Some((line_starts[k], end))
        };
        match edit {
            ByteEdit::DeleteRange(i, n) if !out.is_empty() => {
                let at = i.index(out.len());
                let end = (at + n).min(out.len());
                out.drain(at..end);
            }
            ByteEdit::DuplicateLine(i) => {
                if let Some((start, end)) = line_at(i) {
                    let mut line = out[start..end].to_vec();
                    if !line.ends_with(b"\n") {
                        line.push(b'\n');
                    }
                    out.splice(start..start, line);
                }
            }
            ByteEdit::DeleteLine(i) => {
                if let Some((start, end)) = line_at(i) {
                    out.drain(start..end);
                }
            }
            ByteEdit::Insert(i, new) => {
                let at = i.index(out.len() + 1);
                out.splice(at..at, new.iter().copied());
            }
            ByteEdit::Overwrite(i, b) if !out.is_empty() => {
                let at = i.index(out.len());
                out[at] = *b;
            }
            ByteEdit::Truncate(i) => {
                let at = i.index(out.len() + 1);
                out.truncate(at);
            }
            _ => {}
        }
    }
    out
}
