//! The nastiest inputs found, replayed with their expected counts (`tests/fixtures/props/`).
//!
//! Each file gathers what the properties found or exercised into one small input: the worst CSV
//! (every way a record can break, and the NUL inside quotes the scanner let through), a Parquet
//! file of dates and times outside the calendar (which panicked), TOML files the parser gives no message
//! for, a UN XML file whose error quoted dozens of lines, and a list of names that could not find
//! themselves (80 tokens, control characters).

use super::csv::{fx_table, ints, options, texts};
use crate::common::fixture;
use crate::props::Scratch;
use amlscreen::ingest::csv_scan::{scan, Scan};
use amlscreen::ingest::{ingest, IngestError, MappingProfile};
use amlscreen::rules::pack::load_pack;
use amlscreen::rules::RuleError;
use amlscreen::watchlist::{load_watchlists, Screener, DEFAULT_THRESHOLD};
use polars::prelude::*;

fn ingest_fixture(name: &str) -> amlscreen::ingest::Ingested {
    let dir = Scratch::new("corpus");
    let path = fixture(&format!("props/{name}"));
    ingest(
        std::slice::from_ref(&path),
        &options(fx_table(&dir), b','),
        &mut Default::default(),
    )
    .expect("ingest")
}

/// The quarantine as (row, reason).
fn quarantined(got: &amlscreen::ingest::Ingested) -> Vec<(u64, &'static str)> {
    got.quarantine
        .iter()
        .map(|q| (q.row, q.reason.as_str()))
        .collect()
}

#[test]
fn the_hostile_csv_accounts_for_all_17_rows_on_its_20_lines() {
    // BOM and CRLF header; a quoted name with a doubled quote and a CRLF inside (lines 2-3); a
    // blank line; a literal quote in an unquoted name; a NUL inside quotes; a quote opened on
    // line 7 and closed with text after it on line 9; a duplicate id; Latin-1 bytes; 7 decimals;
    // a KWD amount that overflows in USD; zero; 1899; an unknown channel; a currency without a
    // rate; a short row; a quote never closed; a last line without a line end
    let bytes = std::fs::read(fixture("props/hostile.csv")).unwrap();
    match scan(&bytes, b',').unwrap() {
        Scan::Repaired {
            row_numbers,
            malformed,
            rows,
            ..
        } => {
            assert_eq!(rows, 17);
            let lines: Vec<(u64, u64)> = malformed.iter().map(|m| (m.row, m.line)).collect();
            assert_eq!(lines, [(3, 6), (4, 7), (6, 9), (15, 18), (16, 19)]);
            assert_eq!(row_numbers.len() + malformed.len(), 17);
            assert_eq!(malformed[0].problem, "field 7: a NUL byte");
        }
        other => panic!("{other:?}"),
    }
    let got = ingest_fixture("hostile.csv");
    let s = &got.inputs[0];
    assert_eq!(
        (s.rows_read, s.rows_accepted, s.rows_quarantined),
        (17, 5, 12)
    );
    assert_eq!(s.rows_with_replaced_bytes, 1);
    assert_eq!(
        quarantined(&got),
        [
            (3, "malformed_row"),
            (4, "malformed_row"),
            (6, "malformed_row"),
            (7, "duplicate_txn_id"),
            (9, "bad_amount"),
            (10, "bad_amount"),
            (11, "non_positive_amount"),
            (12, "bad_timestamp"),
            (13, "unknown_channel"),
            (14, "no_fx_rate"),
            (15, "malformed_row"),
            (16, "malformed_row"),
        ]
    );
    assert!(got.quarantine[0].value.starts_with("line 6:"));
    assert_eq!(texts(&got.frame, "txn_id"), ["T1", "T2", "T5", "T8", "T17"]);
    assert_eq!(
        ints(&got.frame, "amount"),
        [1_250_500_000, 99_990_000, 30_000_000, 60_000_000, 5_000_000]
    );
    let names = texts(&got.frame, "orig_name");
    assert_eq!(names[0], "O\"Brien\r\nand Sons");
    assert_eq!(names[1], "12\" PIPE SUPPLY LTD");
    assert_eq!(names[3], "Caf\u{FFFD}");
}

/// Writes `tests/fixtures/props/out-of-calendar.parquet` (run with `--ignored` to make it
/// again): five rows whose `branch` is a datetime (milliseconds) of the year 292 million,
/// `orig_name` a date 2^31 - 1 days away and `bene_name` a datetime (microseconds) of the year
/// -292,000, with decimal amounts. (Parquet cannot hold a time of day past midnight: it reads
/// back as null.)
#[test]
#[ignore = "writes the fixture"]
fn write_the_out_of_calendar_parquet() {
    let day = 1_767_607_200_000_i64; // 2026-01-05T10:00:00Z in milliseconds
    let n = 5;
    let columns: Vec<Column> = vec![
        Series::new("txn_id".into(), ["P1", "P2", "P3", "P4", "P5"]).into(),
        Int64Chunked::from_slice(
            "timestamp".into(),
            &[day, i64::MAX, day + 1000, 100_000_000_000_000, day + 2000],
        )
        .into_datetime(TimeUnit::Milliseconds, None)
        .into_series()
        .into(),
        Int128Chunked::from_slice(
            "amount".into(),
            &[
                12_345_000_000,
                12_345_000_000,
                12_345_678_900,
                12_345_000_000,
                10i128.pow(37),
            ],
        )
        .into_decimal(38, 10)
        .unwrap()
        .into_series()
        .into(),
        Series::new("currency".into(), ["USD"; 5]).into(),
        Series::new("channel".into(), ["WIRE"; 5]).into(),
        Int64Chunked::from_slice("branch".into(), &[i64::MAX; 5])
            .into_datetime(TimeUnit::Milliseconds, None)
            .into_series()
            .into(),
        Int32Chunked::from_slice("orig_name".into(), &[i32::MAX; 5])
            .into_date()
            .into_series()
            .into(),
        Int64Chunked::from_slice("bene_name".into(), &[i64::MIN; 5])
            .into_datetime(TimeUnit::Microseconds, None)
            .into_series()
            .into(),
    ];
    let mut frame = DataFrame::new(n, columns).unwrap();
    let file = std::fs::File::create(fixture("props/out-of-calendar.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
}

#[test]
fn the_out_of_calendar_parquet_is_read_not_a_panic() {
    let got = ingest_fixture("out-of-calendar.parquet");
    let s = &got.inputs[0];
    assert_eq!(
        (s.rows_read, s.rows_accepted, s.rows_quarantined),
        (5, 1, 4)
    );
    assert_eq!(
        quarantined(&got),
        [
            // a timestamp too far out to convert to microseconds is a time out of range
            (2, "bad_timestamp"),
            // 1.23456789: more than six decimals
            (3, "bad_amount"),
            // the year 5138
            (4, "bad_timestamp"),
            // 10^27: too large
            (5, "bad_amount"),
        ]
    );
    assert_eq!(ints(&got.frame, "amount"), [1_234_500]);
    // values outside the calendar are kept as their raw numbers
    assert_eq!(texts(&got.frame, "branch"), ["9223372036854775807"]);
    assert_eq!(texts(&got.frame, "orig_name"), ["2147483647"]);
    assert_eq!(texts(&got.frame, "bene_name"), ["-9223372036854775808"]);
}

#[test]
fn a_pack_ending_after_an_equals_sign_is_refused_with_its_line_and_a_message() {
    let path = fixture("props/pack-ends-after-equals.toml");
    match load_pack(&path) {
        Err(RuleError::Pack { line, message, .. }) => {
            assert_eq!(line, 4);
            assert_eq!(message, "the file ends where a value was expected");
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("loaded"),
    }
}

#[test]
fn a_rule_with_an_empty_id_is_refused_with_its_line() {
    let path = fixture("props/pack-empty-rule-id.toml");
    match load_pack(&path) {
        Err(RuleError::Pack { line, message, .. }) => {
            assert_eq!(line, 9);
            assert!(message.contains("rule id is empty"), "{message}");
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("loaded"),
    }
}

#[test]
fn a_profile_with_a_nul_byte_is_refused_with_its_line_and_the_character() {
    match MappingProfile::load(&fixture("props/profile-nul.toml")) {
        Err(IngestError::BadProfile { line, message, .. }) => {
            assert_eq!(line, 1);
            assert_eq!(message, "unexpected character '\\0'; expected TOML");
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("loaded"),
    }
}

#[test]
fn a_stray_quote_in_un_xml_gives_a_one_line_error() {
    let path = fixture("props/un-stray-quote.xml");
    let message = load_watchlists(std::slice::from_ref(&path))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(&path.display().to_string()),
        "{message}"
    );
    assert!(message.contains("malformed UN XML"), "{message}");
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.len() < 400 + path.display().to_string().len(),
        "{message}"
    );
}

#[test]
fn names_of_80_tokens_and_with_control_characters_find_themselves() {
    let set = load_watchlists(&[fixture("props/names.csv")]).unwrap();
    assert_eq!(set.entries().len(), 4);
    let screener = Screener::new(&set);
    for entry in set.entries() {
        let hits = screener.screen(entry.primary_name(), DEFAULT_THRESHOLD, usize::MAX);
        let own = hits.iter().find(|h| h.entry_id == entry.id);
        assert!(
            own.is_some_and(|h| h.score == 1.0),
            "{:?}: {hits:?}",
            entry.primary_name()
        );
    }
}
