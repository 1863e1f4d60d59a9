//! Ingest: quarantine reasons, formats, profiles, FX and hostile inputs.

use crate::common::{fixture, temp_dir, write, HEADER};
use amlscreen::ingest::{ingest, FxTable, IngestError, IngestOptions, MappingProfile};
use polars::prelude::*;
use std::path::PathBuf;

/// The canonical frame's `ts` column as microseconds since the epoch.
fn micros(frame: &DataFrame) -> Vec<Option<i64>> {
    let ts = frame.column("ts").unwrap().cast(&DataType::Int64).unwrap();
    ts.i64().unwrap().iter().collect()
}

fn options() -> IngestOptions {
    IngestOptions {
        profile: None,
        fx: FxTable::base_only("USD"),
        delimiter: None,
    }
}

fn run(paths: &[PathBuf], options: &IngestOptions) -> amlscreen::ingest::Ingested {
    ingest(paths, options, &mut Default::default()).expect("ingest")
}

#[test]
fn every_quarantine_reason_is_reported_with_row_column_and_value() {
    let dir = temp_dir("reasons");
    let fx = write(&dir, "fx.csv", "currency,rate_to_base\nJMD,0.0064\n");
    let csv = write(
        &dir,
        "day.csv",
        &format!(
            "{HEADER}
OK1,2026-03-01T10:00:00Z,100.00,USD,cash,,A,JM,ACC-1,B,JM,KIN-01
,2026-03-01T10:00:00Z,100.00,USD,CASH,,A,JM,ACC-1,B,JM,KIN-01
BT,2026-13-01T10:00:00Z,100.00,USD,CASH,,A,JM,ACC-1,B,JM,KIN-01
BA,2026-03-01T10:00:00Z,12.3x,USD,CASH,,A,JM,ACC-1,B,JM,KIN-01
NP,2026-03-01T10:00:00Z,-5.00,USD,CASH,,A,JM,ACC-1,B,JM,KIN-01
UC,2026-03-01T10:00:00Z,100.00,USD,TELEPATHY,,A,JM,ACC-1,B,JM,KIN-01
BC,2026-03-01T10:00:00Z,100.00,US,CASH,,A,JM,ACC-1,B,JM,KIN-01
BY,2026-03-01T10:00:00Z,100.00,USD,CASH,,A,Jamaica,ACC-1,B,JM,KIN-01
OK1,2026-03-01T11:00:00Z,100.00,USD,CASH,,A,JM,ACC-1,B,JM,KIN-01
FX,2026-03-01T10:00:00Z,100.00,EUR,CASH,,A,JM,ACC-1,B,JM,KIN-01
JM,2026-03-01T10:00:00Z,1562500.00,JMD,CASH,,A,JM,ACC-1,B,JM,KIN-01
"
        ),
    );
    let opts = IngestOptions {
        fx: FxTable::load(&fx, "USD").unwrap(),
        ..options()
    };
    let got = run(std::slice::from_ref(&csv), &opts);
    let reasons: Vec<(u64, &str, &str, &str)> = got
        .quarantine
        .iter()
        .map(|q| (q.row, q.reason.as_str(), q.column, q.value.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (2, "missing_required", "txn_id", ""),
            (3, "bad_timestamp", "timestamp", "2026-13-01T10:00:00Z"),
            (4, "bad_amount", "amount", "12.3x"),
            (5, "non_positive_amount", "amount", "-5.00"),
            (6, "unknown_channel", "channel", "TELEPATHY"),
            (7, "bad_currency", "currency", "US"),
            (8, "bad_country", "orig_country", "Jamaica"),
            (9, "duplicate_txn_id", "txn_id", "OK1"),
            (10, "no_fx_rate", "currency", "EUR"),
        ]
    );
    assert!(got
        .quarantine
        .iter()
        .all(|q| q.file == csv.display().to_string()));
    let summary = &got.inputs[0];
    assert_eq!(summary.rows_read, 11);
    assert_eq!(
        summary.rows_accepted + summary.rows_quarantined,
        summary.rows_read
    );
    assert_eq!(got.frame.height(), 2);
    // J$1,562,500.00 at 0.0064 is exactly US$10,000.00, in micros
    let base = got
        .frame
        .column("base_amount")
        .unwrap()
        .i64()
        .unwrap()
        .clone();
    assert_eq!(base.get(1), Some(10_000_000_000));
    let channel = got.frame.column("channel").unwrap().str().unwrap().clone();
    assert_eq!(
        channel.get(0),
        Some("CASH"),
        "channel is case-insensitive and upper-cased"
    );
}

#[test]
fn code_columns_are_canonical_whether_or_not_the_file_wrote_them_so() {
    let dir = temp_dir("codes");
    // file a: every code already canonical, one row quarantined (the columns are shared with
    // the source); file b: lower case and padding (the columns are rebuilt)
    let a = write(
        &dir,
        "a.csv",
        &format!(
            "{HEADER}\nA1,2026-03-01T10:00:00Z,1,USD,WIRE,X,,JM,Y,,US,\nA2,2026-03-01T10:00:00Z,1,USD,TELEPATHY,X,,JM,Y,,US,\nA3,2026-03-01T10:00:00Z,2,USD,CASH,X,,GB,Y,,JM,\n"
        ),
    );
    let b = write(
        &dir,
        "b.csv",
        &format!(
            "{HEADER}\nB1,2026-03-01T10:00:00Z,1,usd,wire,X,, jm,Y,,us ,\nB2,2026-03-01T10:00:00Z,1,USD,CASH,X,,GB,Y,,,\n"
        ),
    );
    let got = run(&[a, b], &options());
    let text = |column: &str| -> Vec<String> {
        let c = got.frame.column(column).unwrap().str().unwrap().clone();
        c.iter().map(|v| v.unwrap_or("").to_string()).collect()
    };
    assert_eq!(text("txn_id"), ["A1", "A3", "B1", "B2"]);
    assert_eq!(text("currency"), ["USD", "USD", "USD", "USD"]);
    assert_eq!(text("channel"), ["WIRE", "CASH", "WIRE", "CASH"]);
    assert_eq!(text("orig_country"), ["JM", "GB", "JM", "GB"]);
    assert_eq!(text("bene_country"), ["US", "JM", "US", ""]);
    assert_eq!(got.quarantine.len(), 1);
}

#[test]
fn a_repeat_in_a_file_numbered_in_order_is_still_a_duplicate() {
    // ids that increase but for one repeat: the shortcut for ids in order must not hide it
    let dir = temp_dir("ordered-ids");
    let row = |id: &str| format!("{id},2026-03-01T10:00:00Z,100.00,USD,CASH,,A,JM,ACC-1,B,JM,");
    for (ids, repeated_row) in [
        (["T1", "T2", "T2", "T3"], Some(3)),
        (["T1", "T2", " T2 ", "T3"], Some(3)),
        (["T1", "T2", "T3", "T1"], Some(4)),
        (["T1", "T2", "T3", "T4"], None),
    ] {
        let lines: Vec<String> = ids.iter().map(|id| row(id)).collect();
        let csv = write(
            &dir,
            "day.csv",
            &format!("{HEADER}\n{}\n", lines.join("\n")),
        );
        let got = run(&[csv], &options());
        let flagged: Vec<(u64, &str)> = got
            .quarantine
            .iter()
            .map(|q| (q.row, q.reason.as_str()))
            .collect();
        let expected: Vec<(u64, &str)> = repeated_row
            .map(|r| (r, "duplicate_txn_id"))
            .into_iter()
            .collect();
        assert_eq!(flagged, expected, "{ids:?}");
    }
}

#[test]
fn duplicates_across_files_quarantine_the_later_delivery() {
    let dir = temp_dir("dups");
    let row = "T1,2026-03-01T10:00:00Z,100.00,USD,CASH,,A,JM,ACC-1,B,JM,";
    let a = write(&dir, "a.csv", &format!("{HEADER}\n{row}\n"));
    let b = write(&dir, "b.csv", &format!("{HEADER}\n{row}\n"));
    let got = run(&[a, b.clone()], &options());
    assert_eq!(got.frame.height(), 1);
    assert_eq!(got.quarantine.len(), 1);
    assert_eq!(got.quarantine[0].file, b.display().to_string());
    assert_eq!(got.quarantine[0].reason.as_str(), "duplicate_txn_id");
}

#[test]
fn timestamps_with_offsets_are_converted_to_utc() {
    let dir = temp_dir("tz");
    let csv = write(
        &dir,
        "tz.csv",
        &format!(
            "{HEADER}\nA,2026-03-01 09:22:05-05:00,1,USD,WIRE,X,,,Y,,,\nB,2026-03-01T14:22:05.5Z,1,USD,WIRE,X,,,Y,,,\n"
        ),
    );
    let got = run(&[csv], &options());
    let ts = micros(&got.frame);
    assert_eq!(ts[0], Some(1_772_374_925_000_000));
    assert_eq!(ts[1], Some(1_772_374_925_500_000));
}

#[test]
fn stopping_errors_name_the_file_and_the_problem() {
    let dir = temp_dir("errors");
    let missing = write(
        &dir,
        "missing.csv",
        "txn_id,timestamp,currency,channel\nT1,2026-03-01T10:00:00Z,USD,CASH\n",
    );
    let empty = write(&dir, "empty.csv", "");
    let binary = dir.join("blob.bin");
    std::fs::write(&binary, [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (missing.clone(), "missing required column `amount`"),
        (empty.clone(), "the file is empty"),
        (binary.clone(), "unknown format"),
        (dir.join("not-there.csv"), "cannot read"),
    ];
    for (path, expected) in cases {
        let err = ingest(
            std::slice::from_ref(&path),
            &options(),
            &mut Default::default(),
        )
        .err()
        .unwrap_or_else(|| panic!("{} should fail", path.display()));
        let message = err.to_string();
        assert!(message.contains(expected), "{message}");
        if !matches!(err, IngestError::NoFiles { .. }) {
            assert!(message.contains(&path.display().to_string()), "{message}");
        }
    }
}

#[test]
fn header_only_file_reads_zero_rows() {
    let dir = temp_dir("header-only");
    let csv = write(&dir, "h.csv", &format!("{HEADER}\n"));
    let got = run(&[csv], &options());
    assert_eq!(got.frame.height(), 0);
    assert_eq!(got.inputs[0].rows_read, 0);
}

#[test]
fn undecodable_bytes_in_a_name_are_replaced_and_counted_not_fatal() {
    let dir = temp_dir("latin1");
    let mut bytes = format!("{HEADER}\nT1,2026-03-01T10:00:00Z,5.00,USD,CASH,,Jos").into_bytes();
    bytes.push(0xE9); // "é" in Latin-1, invalid UTF-8
    bytes.extend_from_slice(b",JM,ACC-1,B,JM,\n");
    let path = dir.join("latin1.csv");
    std::fs::write(&path, bytes).unwrap();
    let got = run(&[path], &options());
    assert_eq!(got.frame.height(), 1);
    assert_eq!(got.inputs[0].rows_with_replaced_bytes, 1);
    let names = got
        .frame
        .column("orig_name")
        .unwrap()
        .str()
        .unwrap()
        .clone();
    assert!(names.get(0).unwrap().starts_with("Jos"));
}

/// `csv` read by Polars itself (`as_text`: every column as text, else with inferred types) and
/// written to `parquet` in row groups of `row_group_rows` (`None`: Polars' default). Returns the
/// frame written.
fn csv_as_parquet(
    csv: &std::path::Path,
    parquet: &std::path::Path,
    as_text: bool,
    row_group_rows: Option<usize>,
) -> DataFrame {
    let mut frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(if as_text { Some(0) } else { Some(100) })
        .try_into_reader_with_file_path(Some(csv.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap();
    ParquetWriter::new(std::fs::File::create(parquet).unwrap())
        .with_row_group_size(row_group_rows)
        .finish(&mut frame)
        .unwrap();
    frame
}

#[test]
fn a_parquet_file_of_many_row_groups_quarantines_the_same_rows_as_its_csv() {
    // amounts are checked stretch by stretch of row groups in parallel: each problem must
    // still land on its own row, wherever the row group boundaries fall
    let dir = temp_dir("row-groups");
    let mut text = format!("{HEADER}\n");
    for row in 1..=40 {
        let amount = match row {
            3 => "12.3x".to_string(),
            17 => "-5.00".to_string(),
            26 => "".to_string(),
            38 => "0.00".to_string(),
            _ => format!("{row}.25"),
        };
        text.push_str(&format!(
            "T{row:03},2026-03-01T10:00:00Z,{amount},USD,CASH,,A,JM,ACC-{row},B,JM,K\n"
        ));
    }
    let csv = write(&dir, "t.csv", &text);
    let from_csv = run(std::slice::from_ref(&csv), &options());
    let parquet = dir.join("t.parquet");
    csv_as_parquet(&csv, &parquet, true, Some(5));
    let raw = ParquetReader::new(std::fs::File::open(&parquet).unwrap())
        .finish()
        .unwrap();
    let chunks = raw
        .column("amount")
        .unwrap()
        .as_materialized_series()
        .n_chunks();
    assert_eq!(chunks, 8, "one chunk per row group of 5 rows");
    let from_parquet = run(std::slice::from_ref(&parquet), &options());
    let problems = |got: &amlscreen::ingest::Ingested| -> Vec<(u64, String, String)> {
        got.quarantine
            .iter()
            .map(|q| (q.row, q.reason.as_str().to_string(), q.value.clone()))
            .collect()
    };
    let expected = vec![
        (3, "bad_amount".to_string(), "12.3x".to_string()),
        (17, "non_positive_amount".to_string(), "-5.00".to_string()),
        (26, "missing_required".to_string(), "".to_string()),
        (38, "non_positive_amount".to_string(), "0.00".to_string()),
    ];
    assert_eq!(problems(&from_csv), expected);
    assert_eq!(problems(&from_parquet), expected);
    assert!(from_parquet.frame.equals_missing(&from_csv.frame));
    let amounts = from_parquet
        .frame
        .column("amount")
        .unwrap()
        .i64()
        .unwrap()
        .clone();
    assert_eq!(amounts.get(0), Some(1_250_000));
    assert_eq!(
        amounts.get(35),
        Some(40_250_000),
        "row 40 is the 36th accepted"
    );
}

#[test]
fn typed_timestamps_in_many_row_groups_are_checked_on_their_own_rows() {
    // a Parquet datetime column is checked row group by row group in parallel
    let dir = temp_dir("typed-times");
    let day = 1_772_323_200_000_000_i64; // 2026-03-01T00:00:00Z in micros
    let far_future = 4_102_444_800_000_000_i64; // 2100-01-01
    let times: Vec<Option<i64>> = (0..12_i64)
        .map(|row| match row {
            4 => None,
            9 => Some(far_future),
            _ => Some(day + row * 60_000_000),
        })
        .collect();
    let text = |f: fn(i64) -> String| (0..12_i64).map(f).collect::<Vec<String>>();
    let mut frame = df!(
        "txn_id" => text(|r| format!("T{r:02}")),
        "timestamp" => times,
        "amount" => text(|r| format!("{}.00", r + 1)),
        "currency" => text(|_| "USD".into()),
        "channel" => text(|_| "CASH".into()),
        "orig_account" => text(|_| "".into()),
        "orig_name" => text(|_| "A".into()),
        "orig_country" => text(|_| "JM".into()),
        "bene_account" => text(|r| format!("ACC-{r}")),
        "bene_name" => text(|_| "B".into()),
        "bene_country" => text(|_| "JM".into()),
        "branch" => text(|_| "K".into()),
    )
    .unwrap();
    frame
        .with_column(
            frame
                .column("timestamp")
                .unwrap()
                .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
                .unwrap(),
        )
        .unwrap();
    let parquet = dir.join("t.parquet");
    ParquetWriter::new(std::fs::File::create(&parquet).unwrap())
        .with_row_group_size(Some(3))
        .finish(&mut frame)
        .unwrap();
    let got = run(std::slice::from_ref(&parquet), &options());
    let problems: Vec<(u64, &str)> = got
        .quarantine
        .iter()
        .map(|q| (q.row, q.reason.as_str()))
        .collect();
    assert_eq!(
        problems,
        vec![(5, "missing_required"), (10, "bad_timestamp")]
    );
    let ts = micros(&got.frame);
    assert_eq!(ts.len(), 10);
    assert_eq!(ts[0], Some(day));
    assert_eq!(
        ts[9],
        Some(day + 11 * 60_000_000),
        "row 12 is the 10th accepted"
    );
}

#[test]
fn gzip_parquet_and_arrow_ipc_read_like_csv() {
    let dir = temp_dir("formats");
    let text = format!("{HEADER}\nT1,2026-03-01T10:00:00Z,10000.00,USD,CASH,,A,JM,ACC-1,B,JM,K\nT2,2026-03-02T10:00:00Z,9999.99,USD,WIRE,ACC-1,B,JM,ACC-2,C,US,\n");
    let csv = write(&dir, "t.csv", &text);
    let reference = run(std::slice::from_ref(&csv), &options()).frame;

    let gz = dir.join("t.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    std::io::Write::write_all(&mut encoder, text.as_bytes()).unwrap();
    encoder.finish().unwrap();

    let parquet = dir.join("t.parquet");
    let mut typed = csv_as_parquet(&csv, &parquet, false, None);
    let ipc = dir.join("t.arrow");
    IpcWriter::new(std::fs::File::create(&ipc).unwrap())
        .finish(&mut typed)
        .unwrap();

    for path in [gz, parquet, ipc] {
        let got = run(std::slice::from_ref(&path), &options());
        assert!(
            got.frame.equals_missing(&reference),
            "{} differs:\n{}\n{}",
            path.display(),
            got.frame,
            reference
        );
    }
}

#[test]
fn delimiter_can_be_chosen() {
    let dir = temp_dir("semicolon");
    let csv = write(
        &dir,
        "s.csv",
        &format!(
            "{}\nT1;2026-03-01T10:00:00Z;100.00;USD;CASH;;A;JM;ACC-1;B;JM;\n",
            HEADER.replace(',', ";")
        ),
    );
    let got = run(
        &[csv],
        &IngestOptions {
            delimiter: Some(b';'),
            ..options()
        },
    );
    assert_eq!(got.frame.height(), 1);
}

#[test]
fn ibm_amlworld_profile_maps_the_foreign_layout() {
    let profile = MappingProfile::load(&amlscreen_root().join("profiles/ibm-amlworld.toml"))
        .expect("profile");
    let fx = FxTable::load(&fixture("ingest/ibm-fx.csv"), "USD").expect("fx");
    let opts = IngestOptions {
        profile: Some(profile),
        fx,
        delimiter: None,
    };
    let got = run(&[fixture("ingest/ibm-amlworld-sample.csv")], &opts);
    let q: Vec<(&str, &str)> = got
        .quarantine
        .iter()
        .map(|q| (q.reason.as_str(), q.value.as_str()))
        .collect();
    assert_eq!(q, vec![("unknown_channel", "Telepathy")]);
    let frame = &got.frame;
    assert_eq!(frame.height(), 6);
    let col = |name: &str| frame.column(name).unwrap().str().unwrap().clone();
    let first_id = col("txn_id").get(0).unwrap().to_string();
    assert!(
        first_id.starts_with("ibm-amlworld-sample-") && first_id.ends_with("-1"),
        "{first_id}"
    );
    assert_eq!(
        first_id.len(),
        "ibm-amlworld-sample-".len() + 8 + 2,
        "file digest in the id: {first_id}"
    );
    assert_eq!(
        col("orig_account").get(0),
        Some("010/8000EBD30"),
        "bank code keeps its zero padding"
    );
    assert_eq!(col("bene_account").get(0), Some("010/8000EBD30"));
    assert_eq!(col("channel").get(0), Some("INTERNAL"), "Reinvestment");
    assert_eq!(col("channel").get(1), Some("CASH"));
    assert_eq!(col("channel").get(2), Some("CARD"), "Credit Card");
    assert_eq!(col("channel").get(3), Some("CRYPTO"), "Bitcoin");
    assert_eq!(col("currency").get(3), Some("BTC"));
    assert_eq!(col("currency").get(4), Some("EUR"));
    let amount = frame.column("amount").unwrap().i64().unwrap().clone();
    assert_eq!(amount.get(3), Some(11_000), "0.011 BTC kept exactly");
    let ts = frame.column("ts").unwrap().cast(&DataType::Int64).unwrap();
    // 2022/09/01 00:20 read as UTC
    assert_eq!(ts.i64().unwrap().get(0), Some(1_661_991_600_000_000));
}

fn amlscreen_root() -> PathBuf {
    crate::common::root()
}

#[test]
fn a_bad_profile_is_rejected_with_file_and_line() {
    let dir = temp_dir("bad-profile");
    let p = write(
        &dir,
        "p.toml",
        "name = \"x\"\n[columns]\nammount = \"Amount\"\n",
    );
    let err = MappingProfile::load(&p).unwrap_err().to_string();
    assert!(err.contains("p.toml:3"), "{err}");
    assert!(err.contains("unknown column `ammount`"), "{err}");
    let p = write(&dir, "n.toml", "name = \"x\"\n[columns]\nname = \"Name\"\n");
    let err = MappingProfile::load(&p).unwrap_err().to_string();
    assert!(
        err.contains("n.toml:3") && err.contains("unknown column `name`"),
        "{err}"
    );
    let p = write(&dir, "q.toml", "name = \"x\"\ntimestamp_fmt = \"%Y\"\n");
    let err = MappingProfile::load(&p).unwrap_err().to_string();
    assert!(
        err.contains("q.toml:2") && err.contains("timestamp_fmt"),
        "{err}"
    );
}
