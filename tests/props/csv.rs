//! CSV ingest and the CSV record scanner.
//!
//! Two kinds of files are generated:
//! - files of **known records**: every record is written so that its outcome is known (accepted
//!   with its values, or quarantined with one reason, or malformed at a known line), including
//!   quoted fields with line breaks and doubled quotes, CRLF, blank lines, NUL bytes, invalid
//!   UTF-8, quotes opened and closed lines later or never, and duplicate ids;
//! - **hostile** files: a valid header, then random fragments (rows, quotes, delimiters, line
//!   breaks, NULs, invalid UTF-8, random bytes), where only invariants can be checked: every
//!   line is accounted for, every row is either accepted or quarantined once.

use crate::props::{config, Scratch};
use amlscreen::ingest::csv_scan::{scan, Scan};
use amlscreen::ingest::{ingest, FxTable, IngestOptions};
use chrono::NaiveDate;
use polars::prelude::*;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// The canonical columns, in schema order.
pub const COLUMNS: [&str; 12] = [
    "txn_id",
    "timestamp",
    "amount",
    "currency",
    "channel",
    "orig_account",
    "orig_name",
    "orig_country",
    "bene_account",
    "bene_name",
    "bene_country",
    "branch",
];

/// What validation should decide for a value: its canonical form, or the reason it is refused.
pub type Expect<T> = Result<T, &'static str>;

/// One generated transaction: each required and coded field with its expected outcome, and
/// the free text fields as raw bytes.
#[derive(Debug, Clone)]
pub struct Txn {
    pub id: String,
    pub ts: (String, Expect<i64>),
    pub amount: (String, Expect<i64>),
    pub currency: (String, Expect<&'static str>),
    pub channel: (String, Expect<()>),
    pub orig_country: (String, Expect<()>),
    pub bene_country: (String, Expect<()>),
    /// orig_account, orig_name, bene_account, bene_name, branch, and the extra `note` column.
    pub text: [Vec<u8>; 6],
    /// Give this row the id of an earlier accepted row (if there is one), `index` picking it.
    pub duplicate_of: Option<prop::sample::Index>,
}

const MISSING: &str = "missing_required";
const BAD_TIMESTAMP: &str = "bad_timestamp";
const BAD_AMOUNT: &str = "bad_amount";
const NON_POSITIVE: &str = "non_positive_amount";
const UNKNOWN_CHANNEL: &str = "unknown_channel";
const BAD_CURRENCY: &str = "bad_currency";
const BAD_COUNTRY: &str = "bad_country";
const DUPLICATE: &str = "duplicate_txn_id";
const NO_FX_RATE: &str = "no_fx_rate";
pub const MALFORMED: &str = "malformed_row";

/// The FX table of every generated file: JMD and KWD (above 1, so that a large amount
/// overflows when converted) against USD.
pub const FX: &str = "currency,rate_to_base\nJMD,0.0064\nKWD,3.25\n";

pub fn fx_table(dir: &Path) -> FxTable {
    let path = dir.join("fx.csv");
    std::fs::write(&path, FX).unwrap();
    FxTable::load(&path, "USD").unwrap()
}

/// A valid timestamp in one of the ISO 8601 spellings, and its UTC micros.
fn valid_timestamp() -> impl Strategy<Value = (String, Expect<i64>)> {
    let date = (1950i32..=2025, 1u32..=12, 1u32..=28);
    let time = (0u32..24, 0u32..60, 0u32..60, 0u32..1_000_000);
    let zone = prop_oneof![
        Just((String::new(), 0i64)),
        Just(("Z".to_string(), 0)),
        (0i64..=14, 0i64..60, any::<bool>(), 0u8..3).prop_map(|(h, m, neg, style)| {
            let sign = if neg { '-' } else { '+' };
            let secs = (h * 3600 + m * 60) * if neg { -1 } else { 1 };
            match style {
                0 => (format!("{sign}{h:02}:{m:02}"), secs),
                1 => (format!("{sign}{h:02}{m:02}"), secs),
                _ => (format!("{sign}{h:02}"), (secs / 3600) * 3600),
            }
        }),
    ];
    (date, time, zone, 0u8..5, any::<bool>()).prop_map(
        |((y, mo, d), (h, mi, s, us), (zone, offset), style, padded)| {
            let date = NaiveDate::from_ymd_opt(y, mo, d).unwrap();
            let (text, at) = match style {
                // date and time with a fraction (a comma or a point, extra zeros cut off)
                0 => (
                    format!("{date}T{h:02}:{mi:02}:{s:02}.{us:06}000{zone}"),
                    date.and_hms_micro_opt(h, mi, s, us).unwrap(),
                ),
                1 => (
                    format!("{date} {h:02}:{mi:02}:{s:02},{us:06}{zone}"),
                    date.and_hms_micro_opt(h, mi, s, us).unwrap(),
                ),
                2 => (
                    format!("{date}T{h:02}:{mi:02}:{s:02}{zone}"),
                    date.and_hms_opt(h, mi, s).unwrap(),
                ),
                3 => (
                    format!("{date} {h:02}:{mi:02}{zone}"),
                    date.and_hms_opt(h, mi, 0).unwrap(),
                ),
                _ => (date.to_string(), date.and_hms_opt(0, 0, 0).unwrap()),
            };
            let offset = if style == 4 { 0 } else { offset };
            let micros = at.and_utc().timestamp_micros() - offset * 1_000_000;
            let text = if padded { format!("  {text} ") } else { text };
            (text, Ok(micros))
        },
    )
}

fn bad_timestamp() -> impl Strategy<Value = (String, Expect<i64>)> {
    prop::sample::select(vec![
        ("2026-02-30T10:00:00", BAD_TIMESTAMP),
        ("2026-03-01T25:00:00", BAD_TIMESTAMP),
        ("2026-03-01T10:00:00+24:00", BAD_TIMESTAMP),
        ("2026-03-01T10:00:00.", BAD_TIMESTAMP),
        ("2026-03-01T10", BAD_TIMESTAMP),
        ("01/03/2026 10:00", BAD_TIMESTAMP),
        ("yesterday", BAD_TIMESTAMP),
        ("2999-01-01T00:00:00Z", BAD_TIMESTAMP),
        ("1899-12-31T12:00:00Z", BAD_TIMESTAMP),
        ("1900-01-01T00:30:00+01:00", BAD_TIMESTAMP),
        ("+2026-03-01", BAD_TIMESTAMP),
        ("２０２６-03-01", BAD_TIMESTAMP),
        ("", MISSING),
        ("   ", MISSING),
    ])
    .prop_map(|(t, r)| (t.to_string(), Err(r)))
}

pub fn timestamp() -> impl Strategy<Value = (String, Expect<i64>)> {
    prop_oneof![4 => valid_timestamp(), 1 => bad_timestamp()]
}

/// `units` with thousands separators.
fn grouped(units: u64) -> String {
    let digits = units.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A positive amount as written in one of the accepted ways, and its micros.
fn valid_amount() -> impl Strategy<Value = (String, Expect<i64>)> {
    let micros = prop_oneof![
        1i64..1_000,
        1i64..1_000_000_000_000,
        1i64..=i64::MAX,
        Just(i64::MAX),
        (1i64..9_000_000).prop_map(|u| u * 1_000_000),
    ];
    (micros, 0u8..4, any::<bool>(), 0u8..3).prop_map(|(m, style, plus, pad)| {
        let units = (m / 1_000_000) as u64;
        let frac = m % 1_000_000;
        let frac_text = if frac == 0 {
            match style {
                0 => String::new(),
                1 => ".".to_string(),
                _ => ".00".to_string(),
            }
        } else {
            let six = format!("{frac:06}");
            let cut = six.trim_end_matches('0');
            if style == 3 {
                format!(".{six}")
            } else {
                format!(".{cut}")
            }
        };
        let units_text = match style {
            2 => grouped(units),
            3 => format!("00{units}"),
            _ => units.to_string(),
        };
        // ".5" is a valid way to write half a unit
        let units_text = if units == 0 && frac != 0 && style == 1 {
            String::new()
        } else {
            units_text
        };
        let sign = if plus { "+" } else { "" };
        let text = format!("{sign}{units_text}{frac_text}");
        let text = match pad {
            0 => text,
            1 => format!(" {text}"),
            _ => format!("{text}  "),
        };
        (text, Ok(m))
    })
}

fn bad_amount() -> impl Strategy<Value = (String, Expect<i64>)> {
    prop::sample::select(vec![
        ("12.3x", BAD_AMOUNT),
        ("1.1234567", BAD_AMOUNT),
        ("1.1000000", BAD_AMOUNT),
        ("0.0000001", BAD_AMOUNT),
        ("99999999999999", BAD_AMOUNT),
        ("9223372036854.775808", BAD_AMOUNT),
        ("18446744073709551616", BAD_AMOUNT),
        ("1e5", BAD_AMOUNT),
        ("1,23.5", BAD_AMOUNT),
        ("12 000", BAD_AMOUNT),
        (".", BAD_AMOUNT),
        ("NaN", BAD_AMOUNT),
        ("١٢٣", BAD_AMOUNT),
        ("--5", BAD_AMOUNT),
        ("$5", BAD_AMOUNT),
        ("-5.00", NON_POSITIVE),
        ("-0", NON_POSITIVE),
        ("0", NON_POSITIVE),
        ("0.000000", NON_POSITIVE),
        ("-9999999", NON_POSITIVE),
        ("", MISSING),
        ("  ", MISSING),
    ])
    .prop_map(|(t, r)| (t.to_string(), Err(r)))
}

pub fn amount() -> impl Strategy<Value = (String, Expect<i64>)> {
    prop_oneof![4 => valid_amount(), 1 => bad_amount()]
}

fn valid_currency() -> impl Strategy<Value = (String, Expect<&'static str>)> {
    prop::sample::select(vec![
        ("USD", Ok("USD")),
        ("usd", Ok("USD")),
        (" Usd ", Ok("USD")),
        ("JMD", Ok("JMD")),
        ("jmd", Ok("JMD")),
        ("KWD", Ok("KWD")),
    ])
    .prop_map(|(t, e)| (t.to_string(), e))
}

/// Codes that are not currencies, a missing one, and one without an FX rate.
fn bad_currency() -> impl Strategy<Value = (String, Expect<&'static str>)> {
    prop::sample::select(vec![
        ("EUR", Ok("EUR")),
        ("ZZZ", Err(BAD_CURRENCY)),
        ("US", Err(BAD_CURRENCY)),
        ("U SD", Err(BAD_CURRENCY)),
        ("USDX", Err(BAD_CURRENCY)),
        ("", Err(MISSING)),
    ])
    .prop_map(|(t, e)| (t.to_string(), e))
}

pub fn currency() -> impl Strategy<Value = (String, Expect<&'static str>)> {
    prop_oneof![3 => valid_currency(), 1 => bad_currency()]
}

fn valid_channel() -> impl Strategy<Value = (String, Expect<()>)> {
    let names = vec![
        "CASH", "WIRE", "ACH", "CHEQUE", "CARD", "MOBILE", "CRYPTO", "INTERNAL", "OTHER",
    ];
    (prop::sample::select(names), 0u8..4).prop_map(|(c, style)| {
        let text = match style {
            0 => c.to_string(),
            1 => c.to_lowercase(),
            2 => format!(" {c} "),
            _ => c[..1].to_string() + &c[1..].to_lowercase(),
        };
        (text, Ok(()))
    })
}

fn bad_channel() -> impl Strategy<Value = (String, Expect<()>)> {
    prop::sample::select(vec![
        ("PIGEON", UNKNOWN_CHANNEL),
        ("CASH1", UNKNOWN_CHANNEL),
        ("C A S H", UNKNOWN_CHANNEL),
        ("", MISSING),
    ])
    .prop_map(|(t, r)| (t.to_string(), Err(r)))
}

pub fn channel() -> impl Strategy<Value = (String, Expect<()>)> {
    prop_oneof![5 => valid_channel(), 1 => bad_channel()]
}

fn valid_country() -> impl Strategy<Value = (String, Expect<()>)> {
    prop::sample::select(vec!["", "", "JM", "us", " gb ", "XK"])
        .prop_map(|t| (t.to_string(), Ok(())))
}

fn bad_country() -> impl Strategy<Value = (String, Expect<()>)> {
    prop::sample::select(vec!["ZZ", "USA", "1A"]).prop_map(|t| (t.to_string(), Err(BAD_COUNTRY)))
}

pub fn country() -> impl Strategy<Value = (String, Expect<()>)> {
    prop_oneof![3 => valid_country(), 1 => bad_country()]
}

/// Free text: names, accounts, branches. `invalid_utf8`: may hold undecodable bytes.
fn free_text(invalid_utf8: bool) -> impl Strategy<Value = Vec<u8>> {
    let invalid: Vec<&'static [u8]> = vec![b"\xff", b"\xfe\xfe", b"\xc0\x80", b"\x80", b"\xe2\x82"];
    let invalid = if invalid_utf8 {
        invalid
    } else {
        vec![&b"?"[..]]
    };
    prop_oneof![
        1 => Just(Vec::new()),
        4 => "[A-Z][a-z]{0,8}( [A-Z][a-z]{0,8}){0,2}".prop_map(String::into_bytes),
        2 => any::<String>().prop_map(|s| s.chars().take(40).collect::<String>().into_bytes()),
        1 => prop::sample::select(vec![
            "12\" PIPE SUPPLY LTD",
            "O\"\"Brien",
            "\"QUOTED\"",
            "LINE ONE\nLINE TWO",
            "CR\r\nLF",
            "  padded  ",
            "a,b;c|d\te",
            "Ünïcödé Ltd",
            "\u{202e}RTL\u{202c}",
            "🏦 Bank",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => ("[A-Z]{1,6}", prop::sample::select(invalid), "[a-z]{0,6}").prop_map(|(a, b, c)| {
            let mut v = a.into_bytes();
            v.extend_from_slice(b);
            v.extend_from_slice(c.as_bytes());
            v
        }),
        1 => (1usize..3000).prop_map(|n| b"LONG".repeat(n)),
    ]
}

/// A transaction with at most one fault: a missing id, or one refused value.
fn txn() -> impl Strategy<Value = Txn> {
    let text = (
        free_text(false),
        free_text(true),
        free_text(false),
        free_text(true),
        free_text(false),
        free_text(false),
    );
    let valid = (
        valid_timestamp(),
        valid_amount(),
        valid_currency(),
        valid_channel(),
        valid_country(),
        valid_country(),
    );
    let bad = (
        bad_timestamp(),
        bad_amount(),
        bad_currency(),
        bad_channel(),
        bad_country(),
        prop::sample::select(vec!["", "   "]),
    );
    let fault = prop_oneof![13 => Just(None), 7 => (0u8..7).prop_map(Some)];
    (
        valid,
        bad,
        fault,
        any::<bool>(),
        text,
        prop::option::weighted(0.15, any::<prop::sample::Index>()),
    )
        .prop_map(|(valid, bad, fault, bene, t, dup)| {
            let (mut ts, mut amount, mut currency, mut channel, mut orig, mut bene_country) = valid;
            let mut id = "id".to_string();
            match fault {
                Some(0) => ts = bad.0,
                Some(1) => amount = bad.1,
                Some(2) => currency = bad.2,
                Some(3) => channel = bad.3,
                Some(4) if bene => bene_country = bad.4,
                Some(4) => orig = bad.4,
                Some(5) => id = bad.5.to_string(),
                _ => {}
            }
            Txn {
                id,
                ts,
                amount,
                currency,
                channel,
                orig_country: orig,
                bene_country,
                text: [t.0, t.1, t.2, t.3, t.4, t.5],
                duplicate_of: dup,
            }
        })
}

/// How a record is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// Well formed: fields quoted where they must be (or at random).
    Row,
    /// One field too many or too few.
    WrongFields(bool),
    /// Spaces only: one field.
    SpacesOnly,
    /// A NUL byte in an unquoted field, or (`true`) in a quoted one.
    Nul(bool),
    /// `"abc"x`: text after a closing quote.
    TextAfterQuote,
    /// A field that opens a quote and does not close it on its line.
    OpenQuote,
    /// `abc"X`: closes an open quote, with text after it.
    CloseQuote,
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        30 => Just(Shape::Row),
        2 => any::<bool>().prop_map(Shape::WrongFields),
        1 => Just(Shape::SpacesOnly),
        2 => any::<bool>().prop_map(Shape::Nul),
        1 => Just(Shape::TextAfterQuote),
        2 => Just(Shape::OpenQuote),
        3 => Just(Shape::CloseQuote),
    ]
}

/// One record of a file: its transaction, shape, which fields to quote anyway, its line end,
/// and the blank lines before it (`true`: `\r\n`).
#[derive(Debug, Clone)]
pub struct Record {
    pub txn: Txn,
    pub shape: Shape,
    pub quote_mask: u16,
    pub crlf: bool,
    pub blanks_before: Vec<bool>,
}

fn record() -> impl Strategy<Value = Record> {
    (
        txn(),
        shape(),
        // about one field in four quoted when it need not be
        (any::<u16>(), any::<u16>()).prop_map(|(a, b)| a & b),
        any::<bool>(),
        prop::collection::vec(any::<bool>(), 0..=2),
        0u8..4,
    )
        .prop_map(
            |(txn, shape, quote_mask, crlf, blanks, keep_blanks)| Record {
                txn,
                shape,
                quote_mask,
                crlf,
                // most records have no blank line before them
                blanks_before: if keep_blanks == 0 { blanks } else { Vec::new() },
            },
        )
}

/// A whole file: delimiter, header layout and records.
#[derive(Debug, Clone)]
pub struct FileSpec {
    pub delimiter: u8,
    /// Column order: indexes into [`COLUMNS`], 12 for the extra `note` column.
    pub order: Vec<usize>,
    pub header_style: Vec<u8>,
    pub bom: bool,
    pub crlf_header: bool,
    pub final_newline: bool,
    pub records: Vec<Record>,
    /// Well formed throughout, as RFC 4180 writes it (every field holding a quote is quoted):
    /// the scanner passes the file to Polars as it is.
    pub strict: bool,
}

pub fn file_spec(max_records: usize) -> impl Strategy<Value = FileSpec> {
    let order = (any::<bool>(), any::<prop::sample::Index>()).prop_flat_map(|(extra, at)| {
        let mut cols: Vec<usize> = (0..12).collect();
        if extra {
            cols.insert(at.index(13), 12);
        }
        Just(cols).prop_shuffle()
    });
    (
        prop::sample::select(vec![b',', b',', b';', b'\t', b'|']),
        order,
        prop::collection::vec(0u8..6, 13),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![3 => Just(true), 1 => Just(false)],
        prop::collection::vec(record(), 0..max_records),
        // a third of the files are well formed throughout: Polars reads them as they are
        prop_oneof![2 => Just(false), 1 => Just(true)],
    )
        .prop_map(
            |(delimiter, order, header_style, bom, crlf_header, final_newline, records, tame)| {
                let records = if tame {
                    records
                        .into_iter()
                        .map(|r| Record {
                            shape: Shape::Row,
                            blanks_before: Vec::new(),
                            ..r
                        })
                        .collect()
                } else {
                    records
                };
                FileSpec {
                    delimiter,
                    order,
                    header_style,
                    bom,
                    crlf_header,
                    final_newline,
                    records,
                    strict: tame,
                }
            },
        )
}

/// What a built file should give.
#[derive(Debug, Default)]
pub struct Expected {
    /// One per record: the reason it is quarantined, or `None` when it is accepted.
    pub outcomes: Vec<Option<&'static str>>,
    /// The line each record starts on.
    pub lines: Vec<u64>,
    /// The lines each record spans.
    pub spans: Vec<u64>,
    /// Accepted rows: txn_id, ts, amount, orig_name (`None` when undecodable bytes were
    /// replaced).
    pub accepted: Vec<(String, i64, i64, Option<String>)>,
    /// Accepted rows with undecodable bytes in a text field.
    pub replaced: u64,
    /// Lines of the file.
    pub total_lines: u64,
}

/// How a record's fields may be written.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Quoted where needed or at random; line breaks allowed.
    Free,
    /// Quoted where needed or at random; no line breaks.
    SingleLine,
    /// No quotes, no line breaks, no delimiters: inside a quote left open.
    QuoteFree,
}

/// `bytes` without what `mode` forbids (replaced by spaces or apostrophes).
fn sanitise(bytes: &[u8], mode: Mode, delim: u8) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| match (mode, b) {
            // NULs are only written on purpose, by the NUL shapes
            (_, 0) => b' ',
            (Mode::Free, _) => b,
            (_, b'\n' | b'\r') => b' ',
            (Mode::QuoteFree, b'"') => b'\'',
            (Mode::QuoteFree, _) if b == delim => b' ',
            _ => b,
        })
        .collect()
}

/// A field as written: quoted (quotes doubled) when it must be or `quote` asks.
fn field(value: &[u8], delim: u8, quote: bool, mode: Mode) -> Vec<u8> {
    let must = value.first() == Some(&b'"')
        || value
            .iter()
            .any(|&b| b == delim || b == b'\n' || b == b'\r');
    if mode == Mode::QuoteFree {
        assert!(!must, "a quote-free field needs quotes: {value:?}");
        return value.to_vec();
    }
    if !(must || quote) {
        return value.to_vec();
    }
    let mut out = vec![b'"'];
    for &b in value {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

/// The amount written without the delimiter (for a record that cannot quote it).
fn amount_without(text: &str, expect: Expect<i64>, delim: u8) -> String {
    if !text.as_bytes().contains(&delim) {
        return text.to_string();
    }
    match expect {
        Ok(m) => format!("{}.{:06}", m / 1_000_000, m % 1_000_000),
        Err(BAD_AMOUNT) => "12.3x".to_string(),
        Err(NON_POSITIVE) => "-5".to_string(),
        Err(_) => String::new(),
    }
}

/// The expected outcome of a transaction on its own: a missing id, else its first refused
/// value in schema order (duplicates and FX conversion are decided after).
fn own_outcome(t: &Txn) -> Option<&'static str> {
    if t.id.trim().is_empty() {
        return Some(MISSING);
    }
    [
        t.ts.1.err(),
        t.amount.1.err(),
        t.currency.1.err(),
        t.channel.1.err(),
        t.orig_country.1.err(),
        t.bene_country.1.err(),
    ]
    .into_iter()
    .flatten()
    .next()
}

/// The outcome of the FX conversion of an otherwise valid transaction.
pub fn fx_outcome(currency: &str, micros: i64) -> Option<&'static str> {
    match currency {
        "USD" | "JMD" => None,
        // 3.25, rounded half up: floor((13a + 2) / 4)
        "KWD" => i64::try_from((i128::from(micros) * 13 + 2).div_euclid(4))
            .is_err()
            .then_some(BAD_AMOUNT),
        _ => Some(NO_FX_RATE),
    }
}

/// Builds the file of `spec` and what it should give.
pub fn build(spec: &FileSpec) -> (Vec<u8>, Expected) {
    let d = spec.delimiter;
    let mut out = Vec::new();
    let mut ex = Expected::default();
    if spec.bom {
        out.extend_from_slice(b"\xef\xbb\xbf");
    }
    let header: Vec<Vec<u8>> = spec
        .order
        .iter()
        .map(|&c| {
            let name = if c == 12 { "note" } else { COLUMNS[c] };
            let styled = match spec.header_style[c] {
                0 | 1 => name.to_string(),
                2 => name.to_uppercase(),
                3 => format!(" {name} "),
                4 => format!("\"{name}\""),
                _ => name[..1].to_uppercase() + &name[1..],
            };
            styled.into_bytes()
        })
        .collect();
    out.extend(header.join(&d));
    out.extend_from_slice(if spec.crlf_header { b"\r\n" } else { b"\n" });
    let mut line = 2u64;
    let mut open = false;
    let mut accepted_ids: Vec<String> = Vec::new();
    let mut next_id = 0usize;
    let n = spec.records.len();
    for (k, r) in spec.records.iter().enumerate() {
        for &crlf in &r.blanks_before {
            out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            line += 1;
        }
        // inside an open quote every record is written without quotes; a quote-opening
        // record cannot open another, and only a closing record closes
        let shape = match (open, r.shape) {
            (true, Shape::OpenQuote | Shape::Nul(true)) => Shape::Row,
            (true, Shape::TextAfterQuote) => Shape::CloseQuote,
            (false, Shape::CloseQuote) => Shape::Row,
            (_, s) => s,
        };
        let mode = match (open, shape) {
            (true, _) | (_, Shape::OpenQuote | Shape::CloseQuote) => Mode::QuoteFree,
            (false, Shape::Row) => Mode::Free,
            (false, _) => Mode::SingleLine,
        };
        let t = &r.txn;
        let own = own_outcome(t);
        let amount_text = if mode == Mode::QuoteFree {
            amount_without(&t.amount.0, t.amount.1, d)
        } else {
            t.amount.0.clone()
        };
        let ts_text = if mode == Mode::QuoteFree {
            t.ts.0.replace(d as char, ".")
        } else {
            t.ts.0.clone()
        };
        let mut outcome = if shape == Shape::Row { own } else { None };
        // the id: missing, a repeat of an accepted one, or new
        let id = if t.id.trim().is_empty() {
            t.id.clone()
        } else {
            match (&t.duplicate_of, outcome, accepted_ids.is_empty()) {
                (Some(i), None, false) if shape == Shape::Row => {
                    outcome = Some(DUPLICATE);
                    format!(" {} ", accepted_ids[i.index(accepted_ids.len())])
                }
                _ => {
                    next_id += 1;
                    format!("T{next_id}")
                }
            }
        };
        if shape == Shape::Row && outcome.is_none() {
            let currency = t.currency.1.unwrap_or("");
            outcome = fx_outcome(currency, t.amount.1.unwrap_or(0));
        }
        let text: Vec<Vec<u8>> = t.text.iter().map(|b| sanitise(b, mode, d)).collect();
        let values: Vec<Vec<u8>> = vec![
            id.clone().into_bytes(),
            ts_text.into_bytes(),
            amount_text.into_bytes(),
            t.currency.0.clone().into_bytes(),
            t.channel.0.clone().into_bytes(),
            text[0].clone(),
            text[1].clone(),
            t.orig_country.0.clone().into_bytes(),
            text[2].clone(),
            text[3].clone(),
            t.bene_country.0.clone().into_bytes(),
            text[4].clone(),
            text[5].clone(),
        ];
        // the field that carries the shape's damage: orig_name where the layout allows
        let target = 6;
        let mut raw_target: Option<Vec<u8>> = None;
        match shape {
            Shape::Nul(false) => {
                let mut q = sanitise(&values[target], Mode::QuoteFree, d);
                q.extend_from_slice(b"N\0UL");
                raw_target = Some(q);
            }
            Shape::Nul(true) => {
                let mut q = b"\"N\0UL".to_vec();
                q.extend(values[target].iter().filter(|&&b| b != b'"'));
                q.push(b'"');
                raw_target = Some(q);
            }
            Shape::TextAfterQuote => raw_target = Some(b"\"abc\"x".to_vec()),
            Shape::OpenQuote => {
                let mut q = b"\"OPEN ".to_vec();
                q.extend_from_slice(&values[target]);
                raw_target = Some(q);
            }
            Shape::CloseQuote => {
                let mut q = b"CLOSE".to_vec();
                q.extend_from_slice(&values[target]);
                q.extend_from_slice(b"\"X");
                raw_target = Some(q);
            }
            _ => {}
        }
        let mut fields: Vec<Vec<u8>> = spec
            .order
            .iter()
            .map(|&c| match (&raw_target, c == target) {
                (Some(raw), true) => raw.clone(),
                _ => {
                    let quote =
                        r.quote_mask & (1 << c) != 0 || (spec.strict && values[c].contains(&b'"'));
                    field(&values[c], d, quote, mode)
                }
            })
            .collect();
        match shape {
            Shape::WrongFields(true) => fields.push(b"extra".to_vec()),
            Shape::WrongFields(false) => {
                fields.pop();
            }
            Shape::SpacesOnly => fields = vec![b"   ".to_vec()],
            _ => {}
        }
        let written = fields.join(&d);
        let span = 1 + written.iter().filter(|&&b| b == b'\n').count() as u64;
        out.extend_from_slice(&written);
        if k + 1 < n || spec.final_newline {
            out.extend_from_slice(if r.crlf { b"\r\n" } else { b"\n" });
        }
        ex.lines.push(line);
        ex.spans.push(span);
        line += span;
        match shape {
            Shape::OpenQuote => open = true,
            Shape::CloseQuote => open = false,
            _ => {}
        }
        let outcome = if shape == Shape::Row {
            outcome
        } else {
            Some(MALFORMED)
        };
        ex.outcomes.push(outcome);
        if outcome.is_none() {
            accepted_ids.push(id.trim().to_string());
            let name = String::from_utf8(values[6].clone())
                .ok()
                .map(|s| s.trim().to_string());
            let replaced = [5, 6, 8, 9, 11]
                .iter()
                .any(|&c| String::from_utf8_lossy(&values[c]).contains('\u{FFFD}'));
            ex.replaced += u64::from(replaced);
            ex.accepted.push((
                id.trim().to_string(),
                t.ts.1.unwrap_or(0),
                t.amount.1.unwrap_or(0),
                name,
            ));
        }
    }
    // the last record's line end, or none: the file has `line - 1` lines either way, unless it
    // ends without a record after the header (then the header's line end closes line 1)
    ex.total_lines = line - 1;
    (out, ex)
}

/// Number of lines of a file as the scanner counts them (a last line without `\n` counts).
pub fn lines_of(bytes: &[u8]) -> u64 {
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    newlines + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"))
}

pub fn options(fx: FxTable, delimiter: u8) -> IngestOptions {
    IngestOptions {
        profile: None,
        fx,
        delimiter: Some(delimiter),
    }
}

/// A column of the canonical frame as text values.
pub fn texts(frame: &DataFrame, name: &str) -> Vec<String> {
    frame
        .column(name)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect()
}

/// A column of the canonical frame as integers (`ts` as micros).
pub fn ints(frame: &DataFrame, name: &str) -> Vec<i64> {
    let column = frame.column(name).unwrap().cast(&DataType::Int64).unwrap();
    column.i64().unwrap().iter().map(|v| v.unwrap()).collect()
}

/// Checks what every ingest of one file must give: `rows_read = accepted + quarantined`, each
/// quarantined row once, with a reason, within `1..=rows_read`.
pub fn check_counts(got: &amlscreen::ingest::Ingested, path: &Path) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.inputs.len(), 1);
    let s = &got.inputs[0];
    prop_assert_eq!(s.rows_read, s.rows_accepted + s.rows_quarantined, "{:?}", s);
    prop_assert_eq!(s.rows_accepted, got.frame.height() as u64);
    prop_assert_eq!(s.rows_quarantined, got.quarantine.len() as u64);
    let by_reason: u64 = s.quarantined_by_reason.iter().map(|(_, n)| n).sum();
    prop_assert_eq!(by_reason, s.rows_quarantined);
    let mut rows: Vec<u64> = got.quarantine.iter().map(|q| q.row).collect();
    for q in &got.quarantine {
        prop_assert!(!q.reason.as_str().is_empty());
        prop_assert!(
            (1..=s.rows_read).contains(&q.row),
            "{:?} of {}",
            q,
            s.rows_read
        );
        prop_assert_eq!(&q.file, &path.display().to_string());
    }
    let before = rows.len();
    rows.sort_unstable();
    rows.dedup();
    prop_assert_eq!(rows.len(), before, "a row is quarantined twice");
    Ok(())
}

fn write_case(dir: &Path, bytes: &[u8]) -> PathBuf {
    let path = dir.join("day.csv");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Checks a file of known records against its expected outcomes, through the scanner and
/// through ingest.
pub fn check_known(spec: &FileSpec) -> Result<(), TestCaseError> {
    let (bytes, ex) = build(spec);
    let n = spec.records.len() as u64;
    prop_assert_eq!(lines_of(&bytes), ex.total_lines, "the builder's own count");
    let malformed_expected: Vec<(u64, u64)> = ex
        .outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| **o == Some(MALFORMED))
        .map(|(k, _)| (k as u64 + 1, ex.lines[k]))
        .collect();
    match scan(&bytes, spec.delimiter) {
        Err(e) => prop_assert!(false, "header refused: {}", e.problem),
        Ok(Scan::Clean { rows }) => {
            prop_assert_eq!(rows, n);
            prop_assert!(malformed_expected.is_empty(), "{:?}", malformed_expected);
        }
        Ok(Scan::Repaired {
            cleaned,
            row_numbers,
            malformed,
            rows,
        }) => {
            prop_assert_eq!(rows, n);
            prop_assert_eq!(row_numbers.len() + malformed.len(), rows as usize);
            let found: Vec<(u64, u64)> = malformed.iter().map(|m| (m.row, m.line)).collect();
            prop_assert_eq!(&found, &malformed_expected);
            // every line is the header's, a blank one, or one of a record's
            let kept_lines: u64 = (0..ex.outcomes.len())
                .filter(|&k| ex.outcomes[k] != Some(MALFORMED))
                .map(|k| ex.spans[k])
                .sum();
            let cleaned_lines = cleaned.iter().filter(|&&b| b == b'\n').count() as u64;
            prop_assert_eq!(cleaned_lines, 1 + kept_lines);
        }
    }

    let dir = Scratch::new("prop-csv");
    let path = write_case(&dir, &bytes);
    let got = ingest(
        std::slice::from_ref(&path),
        &options(fx_table(&dir), spec.delimiter),
        &mut Default::default(),
    );
    let got = match got {
        Ok(got) => got,
        Err(e) => {
            prop_assert!(false, "ingest failed: {}", e);
            unreachable!()
        }
    };
    check_counts(&got, &path)?;
    prop_assert_eq!(got.inputs[0].rows_read, n);
    let quarantined: Vec<(u64, &str)> = got
        .quarantine
        .iter()
        .map(|q| (q.row, q.reason.as_str()))
        .collect();
    let expected: Vec<(u64, &str)> = ex
        .outcomes
        .iter()
        .enumerate()
        .filter_map(|(k, o)| o.map(|reason| (k as u64 + 1, reason)))
        .collect();
    prop_assert_eq!(quarantined, expected);
    for q in got
        .quarantine
        .iter()
        .filter(|q| q.reason.as_str() == MALFORMED)
    {
        let line = ex.lines[q.row as usize - 1];
        prop_assert!(
            q.value.starts_with(&format!("line {line}:")),
            "{:?} starts on line {}",
            q,
            line
        );
    }
    let frame = &got.frame;
    let ids = texts(frame, "txn_id");
    let names = texts(frame, "orig_name");
    let amounts = ints(frame, "amount");
    let times = ints(frame, "ts");
    prop_assert_eq!(ids.len(), ex.accepted.len());
    for (k, (id, ts, amount, name)) in ex.accepted.iter().enumerate() {
        prop_assert_eq!(&ids[k], id);
        prop_assert_eq!(amounts[k], *amount, "amount of {}", id);
        prop_assert_eq!(times[k], *ts, "ts of {}", id);
        match name {
            Some(name) => prop_assert_eq!(&names[k], name, "orig_name of {}", id),
            None => prop_assert!(names[k].contains('\u{FFFD}'), "{:?}", names[k]),
        }
    }
    prop_assert_eq!(got.inputs[0].rows_with_replaced_bytes, ex.replaced);
    Ok(())
}

/// A piece of a hostile file.
fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => (record(), prop::sample::select(vec![b',', b';'])).prop_map(|(r, d)| {
            let spec = FileSpec {
                delimiter: d,
                order: (0..12).collect(),
                header_style: vec![0; 13],
                bom: false,
                crlf_header: false,
                final_newline: true,
                records: vec![r],
                strict: false,
            };
            let (bytes, _) = build(&spec);
            // without the header line
            let start = bytes.iter().position(|&b| b == b'\n').map_or(0, |k| k + 1);
            bytes[start..].to_vec()
        }),
        3 => prop::sample::select(vec![
            &b"\""[..], b"\"\"", b",", b",\"", b"\",", b"\n", b"\r\n", b"\r", b"\0", b"\xff",
            b"\xe2\x82", b"\"\n\"", b"\n\n", b" ", b";", b"\t",
        ])
        .prop_map(<[u8]>::to_vec),
        1 => "[ -~]{0,30}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..20),
        1 => (1usize..200).prop_map(|n| b"A,".repeat(n)),
    ]
}

/// A hostile file: the canonical header (comma-separated), then fragments.
fn hostile_file() -> impl Strategy<Value = Vec<u8>> {
    (any::<bool>(), prop::collection::vec(fragment(), 0..60)).prop_map(|(crlf, pieces)| {
        let mut out = COLUMNS.join(",").into_bytes();
        out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        for p in pieces {
            out.extend(p);
        }
        out
    })
}

/// Lines after the header whose content is nothing but `\r` (or nothing).
fn blank_lines(bytes: &[u8]) -> u64 {
    let mut lines = bytes.split(|&b| b == b'\n').skip(1).collect::<Vec<_>>();
    if bytes.ends_with(b"\n") {
        lines.pop();
    }
    lines
        .iter()
        .filter(|l| l.iter().all(|&b| b == b'\r'))
        .count() as u64
}

/// Checks the invariants of a hostile file through the scanner and through ingest.
pub fn check_hostile(bytes: &[u8]) -> Result<(), TestCaseError> {
    let total = lines_of(bytes);
    let quote_free = !bytes.contains(&b'"');
    let physical_blanks = blank_lines(bytes);
    let scanned = scan(bytes, b',');
    let scanned = match scanned {
        Ok(s) => s,
        Err(e) => {
            prop_assert!(false, "header refused: {}", e.problem);
            unreachable!()
        }
    };
    let (rows, malformed_rows) = match &scanned {
        Scan::Clean { rows } => {
            if quote_free {
                prop_assert_eq!(*rows, total - 1);
            }
            (*rows, Vec::new())
        }
        Scan::Repaired {
            cleaned,
            row_numbers,
            malformed,
            rows,
        } => {
            // the rows kept and the rows left out are exactly 1..=rows
            let mut all: Vec<u64> = row_numbers
                .iter()
                .copied()
                .chain(malformed.iter().map(|m| m.row))
                .collect();
            all.sort_unstable();
            prop_assert_eq!(all, (1..=*rows).collect::<Vec<_>>());
            prop_assert!(row_numbers.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(malformed.windows(2).all(|w| w[0].line < w[1].line));
            for m in malformed {
                prop_assert!((2..=total).contains(&m.line), "{:?} of {} lines", m, total);
                prop_assert!(!m.problem.is_empty());
            }
            // header + blank lines + lines of kept records + lines of malformed records
            let kept_lines = cleaned.iter().filter(|&&b| b == b'\n').count() as u64 - 1;
            let accounted = 1 + kept_lines + malformed.len() as u64;
            prop_assert!(
                accounted <= total,
                "{} lines accounted of {}",
                accounted,
                total
            );
            let blanks = total - accounted;
            prop_assert!(
                blanks <= physical_blanks,
                "{} blank of {}",
                blanks,
                physical_blanks
            );
            if quote_free {
                prop_assert_eq!(blanks, physical_blanks);
                prop_assert_eq!(*rows, total - 1 - physical_blanks);
            }
            (*rows, malformed.iter().map(|m| m.row).collect::<Vec<_>>())
        }
    };
    let dir = Scratch::new("prop-hostile");
    let path = write_case(&dir, bytes);
    let got = ingest(
        std::slice::from_ref(&path),
        &options(fx_table(&dir), b','),
        &mut Default::default(),
    );
    let got = match got {
        Ok(got) => got,
        Err(e) => {
            prop_assert!(false, "ingest failed: {}", e);
            unreachable!()
        }
    };
    check_counts(&got, &path)?;
    prop_assert_eq!(got.inputs[0].rows_read, rows);
    let malformed_quarantined: Vec<u64> = got
        .quarantine
        .iter()
        .filter(|q| q.reason.as_str() == MALFORMED)
        .map(|q| q.row)
        .collect();
    prop_assert_eq!(malformed_quarantined, malformed_rows);
    Ok(())
}

proptest! {
    // 256 cases of up to 40 records: about 2.5 s in a debug build
    #![proptest_config(config(256))]
    #[test]
    fn known_records_come_out_as_written_or_quarantined_with_their_reason(
        spec in file_spec(40)
    ) {
        check_known(&spec)?;
    }
}

proptest! {
    // 256 cases of up to 60 fragments: about 2.5 s in a debug build
    #![proptest_config(config(256))]
    #[test]
    fn hostile_files_account_for_every_line_and_row(bytes in hostile_file()) {
        check_hostile(&bytes)?;
    }
}

proptest! {
    // 256 cases of up to 400 bytes: about 0.4 s in a debug build
    #![proptest_config(config(256))]
    #[test]
    fn any_bytes_give_rows_or_an_error_naming_the_file(
        prefix in prop::sample::select(vec![
            &b""[..],
            b"txn_id,timestamp,amount,currency,channel\n",
            b"txn_id,timestamp,amount,currency,channel\nT1,",
            b"\xef\xbb\xbftxn_id",
            b"\x1f\x8b",
            b"PAR1",
            b"ARROW1",
        ]),
        body in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut bytes = prefix.to_vec();
        bytes.extend(body);
        let dir = Scratch::new("prop-bytes");
        let path = write_case(&dir, &bytes);
        let got = ingest(
            std::slice::from_ref(&path),
            &options(FxTable::base_only("USD"), b','),
            &mut Default::default(),
        );
        match got {
            Ok(got) => check_counts(&got, &path)?,
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.contains(&path.display().to_string()), "{}", message);
                prop_assert!(message.len() < 2_000, "{}", message);
            }
        }
    }
}
