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
    assert_eq!(uri_ingested.inputs[0].sha256, local_ingested.inputs[0].sha256);
    assert_eq!(uri_ingested.inputs[0].rows_with_replaced_bytes, 4);
}
