//! Ingest on Spark against the Polars engine, for what a mapping profile and a file's bytes
//! decide: generated ids and the files' digests, bytes that are not UTF-8, a profile's
//! `timestamp_format`, and malformed CSV records.

use super::{assert_parity, on_spark, options};
use crate::common::{temp_dir, write};
use amlscreen::ingest::{ingest, IngestOptions};
use amlscreen::model::InputSummary;
use std::path::{Path, PathBuf};

/// The Polars engine's summaries of `inputs`.
fn polars_summaries(inputs: &[PathBuf], options: &IngestOptions) -> Vec<InputSummary> {
    ingest(inputs, options, &mut Default::default())
        .expect("polars ingest")
        .inputs
}

/// A CSV file without ids: names with bytes that are not UTF-8 (a lone continuation byte, a
/// sequence cut short, an encoded surrogate), one in a refused row, one valid U+FFFD written
/// as such, and a record with a field too many (the rows after it keep their numbers).
fn without_ids() -> Vec<u8> {
    let mut bytes = b"timestamp,amount,currency,channel,orig_account,orig_name,orig_country,bene_account,bene_name,bene_country,branch\n".to_vec();
    let rows: [&[u8]; 8] = [
        b"2026-03-01T10:00:00Z,100.00,USD,CASH,A1,Plain,JM,B1,Other,JM,K1\n",
        b"2026-03-01T10:01:00Z,100.00,USD,CASH,A1,Bad \xff byte,JM,B1,Other,JM,K1\n",
        b"2026-03-01T10:02:00Z,100.00,USD,CASH,A1,Cut \xe2\x82,JM,B1,Other,JM,K1\n",
        b"2026-03-01T10:03:00Z,12.3x,USD,CASH,A1,Refused \xff,JM,B1,Other,JM,K1\n",
        b"2026-03-01T10:04:00Z,100.00,USD,CASH,A1,Plain,JM,B1,Surrogate \xed\xa0\x80,JM,K1\n",
        b"2026-03-01T10:05:00Z,100.00,USD,CASH,A1,Plain,JM,B1,Other,JM,K1,extra\n",
        b"2026-03-01T10:06:00Z,100.00,USD,CASH,A1,Plain,JM,B1,Other,JM,Branch \xef\xbf\xbd\n",
        b"2026-03-01T10:07:00Z,100.00,USD,CASH,\xc3\xa9A2,Plain,JM,B1,Other,JM,K1\n",
    ];
    for row in rows {
        bytes.extend_from_slice(row);
    }
    bytes
}

fn generating_profile(dir: &Path) -> PathBuf {
    write(
        dir,
        "generate.toml",
        "name = \"generated ids\"\ntxn_id = { generate = \"row\" }\n",
    )
}

#[test]
fn generated_ids_digests_and_replaced_bytes_match_the_polars_engine() {
    let dir = temp_dir("spark-generated-ids");
    let profile = generating_profile(&dir);
    let options = options(None, Some(&profile));
    // the same bytes delivered twice (the same ids: the second file's rows repeat them), and
    // once more under another name (other ids); a name with dots keeps its first part
    for sub in ["a", "b"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        std::fs::write(dir.join(sub).join("day.2026-03-01.csv"), without_ids()).unwrap();
    }
    std::fs::write(dir.join("b").join("other.csv"), without_ids()).unwrap();
    let inputs = vec![
        dir.join("a/day.2026-03-01.csv"),
        dir.join("b/day.2026-03-01.csv"),
        dir.join("b/other.csv"),
    ];
    let counts = assert_parity(&inputs, &options);
    assert_eq!(counts[0].by_reason.get("malformed_row"), Some(&1));
    assert_eq!(counts[0].by_reason.get("bad_amount"), Some(&1));
    assert_eq!(counts[1].by_reason.get("duplicate_txn_id"), Some(&6));
    assert_eq!(counts[2].rows_accepted, 6);

    let polars = polars_summaries(&inputs, &options);
    let (_, _, spark) = on_spark(&inputs, &options, None);
    let digest = amlscreen::ingest::sha256_file(&inputs[0]).unwrap();
    assert_eq!(polars[0].sha256, digest);
    // three bad names accepted, one U+FFFD written as such; the refused row is not counted
    assert_eq!(polars[0].rows_with_replaced_bytes, 4);
    for (p, s) in polars.iter().zip(&spark.inputs) {
        assert_eq!(s.sha256, p.sha256, "{}", p.path);
        assert_eq!(
            s.rows_with_replaced_bytes, p.rows_with_replaced_bytes,
            "{}",
            p.path
        );
    }
}

#[test]
fn a_cluster_uri_is_hashed_by_the_cluster_and_gets_the_same_generated_ids() {
    let dir = temp_dir("spark-uri-ids");
    let profile = generating_profile(&dir);
    let options = options(None, Some(&profile));
    std::fs::write(dir.join("day.2026-03-01.csv"), without_ids()).unwrap();
    let local = vec![dir.join("day.2026-03-01.csv")];
    let uri = vec![PathBuf::from(format!("file://{}/*.csv", dir.display()))];
    let (local_frame, local_counts, local_ingested) = on_spark(&local, &options, None);
    let (uri_frame, uri_counts, uri_ingested) = on_spark(&uri, &options, None);
    // the same rows and ids; only the file's name differs (the cluster names it)
    assert!(uri_frame.equals_missing(&local_frame));
    assert_eq!(uri_counts[0].by_reason, local_counts[0].by_reason);
    assert_eq!(uri_counts[0].rows_accepted, 6);
    assert_eq!(
        uri_ingested.inputs[0].sha256,
        amlscreen::ingest::sha256_file(&local[0]).unwrap()
    );
    assert_eq!(
        uri_ingested.inputs[0].sha256,
        local_ingested.inputs[0].sha256
    );
    assert_eq!(uri_ingested.inputs[0].rows_with_replaced_bytes, 4);
}

/// A small deterministic generator (xorshift).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Spellings of times for `pattern`: written by chrono with it (1890 to 2026, leap days, the
/// first and last second of a day), then many edited: characters dropped, doubled, replaced or
/// inserted (digits, signs, dots, colons, letters, Unicode spaces, the minus sign U+2212),
/// fields out of range (month 13, hour 24, minute 60, the leap second 60, 61), years with a
/// sign or leading zeros, fractions longer than nine digits.
fn spellings(pattern: &str, seed: u64, n: usize) -> Vec<String> {
    use chrono::{Duration, NaiveDate};
    let mut g = Gen(seed);
    let start = NaiveDate::from_ymd_opt(1890, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let span_secs = 137 * 365 * 86_400i64;
    let inserts = [
        "0",
        "1",
        "5",
        "9",
        "60",
        "61",
        "24",
        "13",
        "00",
        " ",
        "  ",
        "\u{2003}",
        "\t",
        ".",
        ".5",
        ".1234567891",
        ":",
        "-",
        "+",
        "\u{2212}",
        "x",
        "Z",
        "PM",
        "am",
        "Jan",
        "+02",
        "+2026",
        "-0500",
        "+05:30",
        "+24:00",
        "0000",
        "T",
        "/",
        ",",
    ];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let t = start
            + Duration::seconds((g.next() % span_secs as u64) as i64)
            + Duration::nanoseconds((g.next() % 1_000_000_000) as i64 * (g.below(2) as i64));
        let t = match g.below(8) {
            0 => t.date().and_hms_opt(0, 0, 0).unwrap(),
            1 => t.date().and_hms_opt(23, 59, 59).unwrap(),
            2 => NaiveDate::from_ymd_opt(2024, 2, 29)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
            _ => t,
        };
        let offset = chrono::FixedOffset::east_opt(*g.pick(&[0, -18_000, 19_800, 3_600])).unwrap();
        let written = t
            .and_utc()
            .with_timezone(&offset)
            .format(pattern)
            .to_string();
        let mut chars: Vec<char> = written.chars().collect();
        let edits = *g.pick(&[0, 0, 1, 1, 1, 2, 3]);
        for _ in 0..edits {
            let at = g.below(chars.len() + 1);
            match g.below(5) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 if at < chars.len() => {
                    let c = chars[at];
                    chars.insert(at, c);
                }
                2 if at < chars.len() => {
                    let with: Vec<char> = g.pick(&inserts).chars().collect();
                    chars.splice(at..at + 1, with);
                }
                _ => {
                    let with: Vec<char> = g.pick(&inserts).chars().collect();
                    chars.splice(at..at, with);
                }
            }
        }
        out.push(chars.into_iter().collect());
    }
    out
}

/// Spellings at the edges of pattern `i` of the test below: the leap second, fields one past
/// their range, numbers that a scanner giving digits back would read (`202603110000`: chrono
/// takes `00` for the minutes and finds no seconds), signs and zeros before the year, names
/// cut short or written in full, 12 AM and 12 PM, two-digit years at 69 and 70, offsets of a
/// day, the minus sign U+2212, a dot without digits.
fn borderline(i: usize) -> &'static [&'static str] {
    match i {
        0 => &[
            "01/03/2026 23:59",
            "1/3/2026 0:0",
            "01/03/2026 24:00",
            "31/04/2026 10:00",
            "29/02/2024 10:00",
            "01/03/2026 10:00:00",
            "01/03/ 2026 10:00",
            "01/03/+2026 10:00",
            "01/03/02026 10:00",
        ],
        1 => &[
            "2026-03-01 23:59:60",
            "2026-03-01 10:00:60.5",
            "2026-03-01 10:00:61",
            "2026-03-01 24:00:00",
            "2026-02-29 10:00:00",
            "2024-02-29 10:00:00",
            "2026-03-01 10:00:00.",
            "2026-03-01 10:00:00.1234567891",
            "+2026-03-01 10:00:00",
            "+002026-03-01 10:00:00",
            "-2026-03-01 10:00:00",
            "02026-03-01 10:00:00",
            "2026- 3- 1 10:00:00",
            "2026-3-1 1:2:3",
            "2026-03-01  10:00:00",
            "2026-03-0110:00:00",
            "2026-03-01\u{2003}10:00:00",
            "2026-03-01 10:00",
            "2026-03-01",
            "2026-03-01 10:00:00.5.5",
        ],
        2 => &[
            "20260301100000",
            "2026030110000",
            "202603110000",
            "202603011000000",
            "20261301100000",
            "20260301235960",
            "2026 0301100000",
        ],
        3 => &[
            "01 jan 2026 12:00 AM",
            "01 JAN 2026 12:00 pm",
            "01 Jan 2026 13:00 PM",
            "01 Jan 2026 00:00 AM",
            "01 January 2026 10:00 AM",
            "1 Jan 2026 1:5 pm",
            "01 Jan 2026 10:00 XM",
            "01 Jan 2026 10:00PM",
            "01 Jan 2026 10:00 P",
        ],
        4 => &[
            "2026-03-01 10:00:00.123 +05:30",
            "2026-03-01 10:00:00 +05:30",
            "2026-03-01 10:00:00.12 +05:30",
            "2026-03-01 10:00:00.1234 +05:30",
            "2026-03-01 10:00:00.123 +0530",
            "2026-03-01 10:00:00.123 +05 30",
            "2026-03-01 10:00:00.123 +05",
            "2026-03-01 10:00:00.123 \u{2212}05:00",
            "2026-03-01 10:00:00.123 +23:59",
            "2026-03-01 10:00:00.123 +24:00",
            "2026-03-01 10:00:00.123 +05:60",
            "2026-03-01 10:00:00.123 Z",
            "2026-03-01 23:59:60.999 -00:00",
        ],
        5 => &[
            "2026-03-01T10:00:00+2400",
            "2026-03-01T10:00:00+2359",
            "2026-03-01T10:00:00\u{2212}0500",
            "2026-03-01T10:00:00 +0500",
            "2026-03-01T10:00:00+05:30",
            "2026-03-01T10:00:00+05",
            "2026-03-01T10:00:00+0560",
            "2026-03-01T10:00:00Z",
            "2026-03-01T10:00:00",
        ],
        6 => &[
            "1 March 26",
            "1 Mar 26",
            "1 Marc 26",
            "31 December 69",
            "31 December 70",
            " 1 may 00",
            "1 May 2026",
            "1 Mayday 26",
            "29 Feb 24",
            "29 Feb 25",
        ],
        7 => &[
            "03/01/26 23:59:60.5",
            "03/01/26 10:00:00.5",
            "03/01/26 10:00:00.1234567890",
            "3/1/26 1:2:3.4",
            "03/01/26 10:00:00. 5",
            "03/01/26 10:00:00.",
            "03/01/26 10:00:00",
        ],
        8 => &[
            "2026-03-01 10:00:00 EST",
            "2026-03-01 10:00:00",
            "2026-03-01 10:00:00 +05:00",
            "2026-03-01 10:00:00 EST x",
            "2026-03-01 10:00:00EST",
        ],
        _ => &[
            " 1-Mar-2026 23:59:60.123456",
            "1-Mar-2026 10:00:00",
            "1-Mar-2026 10:00:00.12345",
            "1-Mar-2026 10:00:00.1234567",
            "01-mar-2026 10:00:00.000001",
            "1-Mar-26 10:00:00",
        ],
    }
}

/// A canonical CSV of one row per spelling (quoted), ids `T<n>`.
fn times_csv(dir: &Path, name: &str, spellings: &[String]) -> PathBuf {
    let mut text = String::from(crate::common::HEADER);
    text.push('\n');
    for (i, s) in spellings.iter().enumerate() {
        text.push_str(&format!(
            "T{i},\"{}\",100.00,USD,CASH,A1,Name,JM,B1,Other,JM,K1\n",
            s.replace('"', "\"\"")
        ));
    }
    write(dir, name, &text)
}

#[test]
fn timestamp_formats_read_what_chrono_reads_on_generated_spellings() {
    let dir = temp_dir("spark-strftime");
    let patterns: [(&str, Option<&str>); 10] = [
        ("%d/%m/%Y %H:%M", Some("-05:00")),
        ("%Y-%m-%d %H:%M:%S%.f", None),
        ("%Y%m%d%H%M%S", None),
        ("%d %b %Y %I:%M %p", Some("+05:30")),
        ("%F %T%.3f %:z", None),
        ("%Y-%m-%dT%H:%M:%S%z", Some("-05:00")),
        ("%e %B %y", None),
        ("%D %R:%S.%f", None),
        ("%Y-%m-%d %H:%M:%S %Z", None),
        ("%v %X%.6f", None),
    ];
    let mut inputs = Vec::new();
    let mut profiles = Vec::new();
    for (i, (pattern, zone)) in patterns.iter().enumerate() {
        let mut spellings = spellings(pattern, 0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1), 300);
        spellings.extend(borderline(i).iter().map(|s| s.to_string()));
        inputs.push(times_csv(&dir, &format!("times-{i}.csv"), &spellings));
        let mut toml = format!("name = \"p{i}\"\ntimestamp_format = \"{pattern}\"\n");
        if let Some(zone) = zone {
            toml.push_str(&format!("timezone = \"{zone}\"\n"));
        }
        profiles.push(write(&dir, &format!("p{i}.toml"), &toml));
    }
    let mut accepted_total = 0;
    for ((pattern, _), (input, profile)) in patterns.iter().zip(inputs.iter().zip(&profiles)) {
        let counts = assert_parity(std::slice::from_ref(input), &options(None, Some(profile)));
        let accepted = counts[0].rows_accepted;
        let bad = counts[0]
            .by_reason
            .get("bad_timestamp")
            .copied()
            .unwrap_or(0);
        // each pattern meets both outcomes many times
        assert!(
            accepted >= 60 && bad >= 30,
            "{pattern}: {accepted} accepted, {bad} bad"
        );
        accepted_total += accepted;
    }
    assert!(accepted_total > 1000, "{accepted_total}");
}

#[test]
fn a_timestamp_format_spark_cannot_read_exactly_is_refused_naming_its_specifier() {
    let dir = temp_dir("spark-strftime-refused");
    let input = times_csv(&dir, "t.csv", &["2026-03-01 Sun".to_string()]);
    let profile = write(
        &dir,
        "p.toml",
        "name = \"weekday\"\ntimestamp_format = \"%Y-%m-%d %a\"\n",
    );
    let options = options(None, Some(&profile));
    // the Polars engine reads it
    assert_eq!(
        polars_summaries(std::slice::from_ref(&input), &options)[0].rows_accepted,
        1
    );
    let spark = amlscreen::spark::Spark::connect(&super::target(None)).unwrap();
    let err = spark
        .ingest(
            &[input],
            &amlscreen::spark::SparkIngestOptions {
                options: &options,
                latest_micros: amlscreen::spark::latest_accepted_micros(),
            },
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`%a`") && err.contains("timestamp_format"),
        "{err}"
    );
}

#[test]
fn a_nul_byte_makes_its_record_malformed_on_both_engines() {
    let dir = temp_dir("spark-nul");
    let mut text = format!("{}\n", crate::common::HEADER);
    let rows = [
        "N1,2026-03-01T10:00:00Z,100.00,USD,CASH,A1,Name,JM,B1,Other,JM,K1",
        "N2,2026-03-01T10:00:00Z,100.00,USD,CASH,A1,Na\0me,JM,B1,Other,JM,K1",
        "N3,2026-03-01T10:00:00Z,100.00,USD,CASH,A1,\"Quoted \0\",JM,B1,Other,JM,K1",
        "\0N4,2026-03-01T10:00:00Z,100.00,USD,CASH,A1,Name,JM,B1,Other,JM,K1",
        "N5,2026-03-01T10:00:00Z,100.00,USD,CASH,A1,Name,JM,B1,Other,JM,K1\0",
        "N6,2026-03-01T10:00:00Z,100.00,USD,CASH,A1,Name,JM,B1,Other,JM,K1",
    ];
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    let input = write(&dir, "nul.csv", &text);
    let counts = assert_parity(std::slice::from_ref(&input), &options(None, None));
    assert_eq!(counts[0].by_reason.get("malformed_row"), Some(&4));
    assert_eq!(counts[0].rows_accepted, 2);
    // the same rows: numbers 2 to 5
    let polars = ingest(
        std::slice::from_ref(&input),
        &options(None, None),
        &mut Default::default(),
    )
    .unwrap();
    let rows: Vec<u64> = polars.quarantine.iter().map(|q| q.row).collect();
    assert_eq!(rows, [2, 3, 4, 5]);
    let out_dir = dir.join("out");
    let out = format!("file://{}", out_dir.display());
    let (_, _, spark) = on_spark(
        std::slice::from_ref(&input),
        &options(None, None),
        Some(&out),
    );
    let written = quarantine_rows(&out_dir.join("quarantine"));
    let spark_rows: Vec<(i64, String, String)> = written;
    assert_eq!(
        spark_rows,
        polars
            .quarantine
            .iter()
            .map(|q| (
                q.row as i64,
                q.column.to_string(),
                q.reason.as_str().to_string()
            ))
            .collect::<Vec<_>>()
    );
    assert!(spark.quarantine_uri.is_some());
}

/// The quarantined rows the cluster wrote under `dir`, as (row, column, reason) in row order.
fn quarantine_rows(dir: &Path) -> Vec<(i64, String, String)> {
    use polars::prelude::*;
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "parquet") {
            continue;
        }
        let frame = ParquetReader::new(std::fs::File::open(&path).unwrap())
            .finish()
            .unwrap();
        let row = frame.column("row").unwrap().cast(&DataType::Int64).unwrap();
        let row = row.i64().unwrap().clone();
        let column = frame.column("column").unwrap().str().unwrap().clone();
        let reason = frame.column("reason").unwrap().str().unwrap().clone();
        for i in 0..frame.height() {
            out.push((
                row.get(i).unwrap(),
                column.get(i).unwrap().to_string(),
                reason.get(i).unwrap().to_string(),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn a_csv_file_with_broken_quotes_is_refused_rather_than_read_differently() {
    let dir = temp_dir("spark-quotes");
    let row = |id: &str, name: &str| {
        format!("{id},2026-03-01T10:00:00Z,100.00,USD,CASH,A1,{name},JM,B1,Other,JM,K1\n")
    };
    let file = |name: &str, broken: &str| {
        let text = format!(
            "{}\n{}{}{}",
            crate::common::HEADER,
            row("Q1", "\"Quoted, fine\""),
            row("Q2", broken),
            row("Q3", "Name")
        );
        write(&dir, name, &text)
    };
    let spark = amlscreen::spark::Spark::connect(&super::target(None)).unwrap();
    let options = options(None, None);
    let refused = |input: &PathBuf| {
        spark
            .ingest(
                std::slice::from_ref(input),
                &amlscreen::spark::SparkIngestOptions {
                    options: &options,
                    latest_micros: amlscreen::spark::latest_accepted_micros(),
                },
            )
            .err()
            .map(|e| e.to_string())
    };
    for (name, broken) in [
        ("open.csv", "\"Open"),
        ("after.csv", "\"Shut\"x"),
        ("inside.csv", "12\" PIPE"),
        ("lines.csv", "\"Two\nlines\""),
    ] {
        let input = file(name, broken);
        // the Polars engine reads every other row
        assert!(polars_summaries(std::slice::from_ref(&input), &options)[0].rows_accepted >= 2);
        let err = refused(&input).unwrap_or_else(|| panic!("{name} was read"));
        assert!(err.contains(name) && err.contains("quote"), "{name}: {err}");
    }
    // quoted fields that close on their line, doubled quotes included, are read at parity
    let fine = file("fine.csv", "\"Say \"\"hi\"\", then go\"");
    assert_eq!(refused(&fine), None);
    assert_parity(&[fine], &options);
}

#[test]
fn blank_and_whitespace_lines_are_what_the_polars_scanner_makes_of_them() {
    let dir = temp_dir("spark-blank-lines");
    let row =
        |id: &str| format!("{id},2026-03-01T10:00:00Z,100.00,USD,CASH,A1,Name,JM,B1,Other,JM,K1");
    // `\n` lines with a `\r\n` blank line, `\r\r\n`, spaces and a tab; and a `\r\n` file
    let lf = format!(
        "{}\n{}\n   \n\t\n{}\n\r\n\n\r\r\n{}\n",
        crate::common::HEADER,
        row("W1"),
        row("W2"),
        row("W3")
    );
    let crlf = format!(
        "{}\r\n{}\r\n\r\n  \r\n{}\r\n",
        crate::common::HEADER,
        row("C1"),
        row("C2")
    );
    let inputs = [write(&dir, "lf.csv", &lf), write(&dir, "crlf.csv", &crlf)];
    let counts = assert_parity(&inputs, &options(None, None));
    assert_eq!(counts[0].rows_read, 5);
    assert_eq!(counts[1].rows_read, 3);
    let polars = ingest(&inputs[..1], &options(None, None), &mut Default::default()).unwrap();
    let out_dir = dir.join("out");
    let out = format!("file://{}", out_dir.display());
    on_spark(&inputs[..1], &options(None, None), Some(&out));
    assert_eq!(
        quarantine_rows(&out_dir.join("quarantine")),
        polars
            .quarantine
            .iter()
            .map(|q| (
                q.row as i64,
                q.column.to_string(),
                q.reason.as_str().to_string()
            ))
            .collect::<Vec<_>>()
    );
}
