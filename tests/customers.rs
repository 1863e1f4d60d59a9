//! The customer file: loading and quarantine, its segments in the rules, and its outputs.

use crate::common::{amlscreen, describe, temp_dir, write, HEADER};
use amlscreen::customers::{load_customers, CustomerQuarantineReason, CustomerType};
use std::path::Path;

const CUSTOMERS_HEADER: &str = "customer_id,accounts,name,type,birth_date,nationality,country,id_numbers,segment,expected_monthly_volume,onboarded";

/// One good row, then one row per quarantine reason (after the malformed one), in check order.
fn customer_file(dir: &Path) -> std::path::PathBuf {
    let rows = [
        "C-2,ACC-2;ACC-3,Ruiz Grocery Ltd,entity,1998,,JM,,cash_intensive_business,250000.00,2020-01-15",
        "C-1,ACC-1,Ada Lo,Individual,1965-03-12,Jamaica,JM,A123456; B-77,retail,4000,2019-06-01",
        "C-3,,No Accounts,person,,,,,,,",
        "C-4,ACC-4,Bad Type,trustee,,,,,,,",
        "C-5,ACC-5,Bad Date,person,1965-02-30,,,,,,",
        "C-6,ACC-6,Bad Country,person,,Atlantis,,,,,",
        "C-7,ACC-7,Bad Segment,person,,,,,casino,,",
        "C-8,ACC-8,Bad Volume,person,,,,,,-5.00,",
        "C-1,ACC-9,Ada Lo Again,person,,,,,,,",
        "C-10,ACC-10,Bad Onboarding,person,,,,,,,2020-01",
    ];
    write(
        dir,
        "customers.csv",
        &format!(
            "{CUSTOMERS_HEADER}\n{}\nC-11,ACC-11,\"open quote\n",
            rows.join("\n")
        ),
    )
}

#[test]
fn a_customer_file_is_read_with_every_bad_row_quarantined_for_its_reason() {
    let dir = temp_dir("customers-load");
    let path = customer_file(&dir);
    let customers = load_customers(&path, None, b',').unwrap();
    let ids: Vec<&str> = customers
        .list
        .iter()
        .map(|c| c.customer_id.as_str())
        .collect();
    assert_eq!(ids, ["C-1", "C-2"]);
    let ada = &customers.list[0];
    assert_eq!(ada.kind, Some(CustomerType::Person));
    assert_eq!(ada.birth_date.as_deref(), Some("1965-03-12"));
    assert_eq!(ada.nationality.as_deref(), Some("JM"));
    assert_eq!(ada.id_numbers, ["A123456", "B-77"]);
    assert_eq!(ada.expected_monthly_volume, Some(4_000_000_000));
    assert_eq!(customers.list[1].accounts, ["ACC-2", "ACC-3"]);
    let reasons: Vec<(u64, CustomerQuarantineReason, &str)> = customers
        .quarantine
        .iter()
        .map(|q| (q.row, q.reason, q.column))
        .collect();
    use CustomerQuarantineReason as R;
    assert_eq!(
        reasons,
        [
            (3, R::MissingRequired, "accounts"),
            (4, R::BadType, "type"),
            (5, R::BadDate, "birth_date"),
            (6, R::BadCountry, "nationality"),
            (7, R::UnknownSegment, "segment"),
            (8, R::BadAmount, "expected_monthly_volume"),
            (9, R::DuplicateCustomerId, "customer_id"),
            (10, R::BadDate, "onboarded"),
            (11, R::MalformedRow, ""),
        ]
    );
    assert_eq!(customers.rows_read, 11);
    let segments = customers.segments();
    assert_eq!(
        segments.get("ACC-3").unwrap().segment,
        "cash_intensive_business"
    );
    assert_eq!(
        segments.get("ACC-3").unwrap().basis,
        "customer file: C-2 (row 1)"
    );
}

#[test]
fn a_customer_file_is_read_through_a_mapping_profile_and_from_parquet() {
    let dir = temp_dir("customers-profile");
    let csv = write(
        &dir,
        "kyc.csv",
        "CIF;Accts;Full Name;Sector\nK1;A-1|A-2;Ann Bo;MSB\n",
    );
    let profile = write(
        &dir,
        "kyc.toml",
        "name = \"kyc\"\ndelimiter = \";\"\n[columns]\ncustomer_id = \"CIF\"\naccounts = \"Accts\"\nname = { position = 3 }\nsegment = \"Sector\"\n[values.segment]\n\"MSB\" = \"msb\"\n",
    );
    let profile = amlscreen::ingest::MappingProfile::load_for(
        &profile,
        &amlscreen::customers::CUSTOMER_COLUMNS,
    )
    .unwrap();
    let customers = load_customers(&csv, Some(&profile), b';').unwrap();
    assert!(
        customers.quarantine.is_empty(),
        "{:?}",
        customers.quarantine
    );
    assert_eq!(customers.list[0].segment.as_deref(), Some("msb"));
    // `|` is not the account separator: one account, as written
    assert_eq!(customers.list[0].accounts, ["A-1|A-2"]);

    // Parquet with a typed date and number
    use polars::prelude::*;
    let mut frame = df!(
        "customer_id" => ["P1"],
        "accounts" => ["ACC-1;ACC-2"],
        "name" => ["Ann Bo"],
        "expected_monthly_volume" => [12_500i64],
    )
    .unwrap();
    let dates = Series::new("onboarded".into(), [19_000i32])
        .cast(&DataType::Date)
        .unwrap();
    frame.with_column(dates.into_column()).unwrap();
    let parquet = dir.join("kyc.parquet");
    ParquetWriter::new(std::fs::File::create(&parquet).unwrap())
        .finish(&mut frame)
        .unwrap();
    let customers = load_customers(&parquet, None, b',').unwrap();
    assert!(
        customers.quarantine.is_empty(),
        "{:?}",
        customers.quarantine
    );
    let p1 = &customers.list[0];
    assert_eq!(p1.accounts, ["ACC-1", "ACC-2"]);
    assert_eq!(p1.expected_monthly_volume, Some(12_500_000_000));
    assert_eq!(p1.onboarded.as_deref(), Some("2022-01-08"));

    let missing = write(&dir, "no-name.csv", "customer_id,accounts\nC1,A1\n");
    let err = load_customers(&missing, None, b',')
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing required column `name`") && err.contains("no-name.csv"),
        "{err}"
    );
}

/// Run end to end: the customer file's segment judges an account by that segment's parameters
/// and says where it came from; the manifest counts the file; bad rows go to
/// `customers_quarantine.csv`.
#[test]
fn a_run_with_a_customer_file_uses_its_segments_and_reports_its_rows() {
    let dir = temp_dir("customers-run");
    let customers = customer_file(&dir);
    // ACC-1 (retail) and ACC-2 (a cash-intensive business by the file) each make 3 band
    // deposits in a week; ACC-3 (the same business) makes 5
    let mut csv = format!("{HEADER}\n");
    for (account, count) in [("ACC-1", 3), ("ACC-2", 3), ("ACC-3", 5)] {
        for d in 0..count {
            csv.push_str(&format!(
                "{account}-{d},2026-03-0{}T10:00:00Z,9{d}00.00,USD,CASH,,Till,JM,{account},Holder,JM,KIN-01\n",
                d + 2
            ));
        }
    }
    let input = write(&dir, "t.csv", &csv);
    let out = dir.join("out");
    let run = amlscreen(&[
        "run",
        input.to_str().unwrap(),
        "--customers",
        customers.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", describe(&run));
    let cases = amlscreen::report::read_cases_jsonl(out.join("cases.jsonl")).unwrap();
    let structuring: Vec<_> = cases
        .iter()
        .flat_map(|c| &c.alerts)
        .filter(|a| a.rule_id == "structuring")
        .collect();
    let mut subjects: Vec<&str> = structuring
        .iter()
        .map(|a| a.subject_account.as_str())
        .collect();
    subjects.sort_unstable();
    assert_eq!(
        subjects,
        ["ACC-1", "ACC-3"],
        "ACC-2 needs 5 as a cash-intensive business"
    );
    let shop = structuring
        .iter()
        .find(|a| a.subject_account == "ACC-3")
        .unwrap();
    let basis = shop
        .details
        .iter()
        .find(|(k, _)| k == "segment_basis")
        .map(|(_, v)| v.as_str());
    assert_eq!(basis, Some("customer file: C-2 (row 1)"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let c = &manifest["customers"];
    assert_eq!(c["rows_read"], 11);
    assert_eq!(c["rows_accepted"], 2);
    assert_eq!(c["rows_quarantined"], 9);
    assert_eq!(c["accounts"], 3);
    assert_eq!(c["accounts_with_segment"], 3);
    let by_reason: Vec<(String, u64)> =
        serde_json::from_value(c["quarantined_by_reason"].clone()).unwrap();
    assert!(
        by_reason.contains(&("bad_date".to_string(), 2)),
        "{by_reason:?}"
    );
    let quarantine = std::fs::read_to_string(out.join("customers_quarantine.csv")).unwrap();
    assert_eq!(quarantine.lines().count(), 10, "{quarantine}");
    assert!(
        quarantine.contains(",6,C-6,nationality,Atlantis,bad_country"),
        "{quarantine}"
    );
}

/// An account several customers hold is counted, and where its holders disagree on what the
/// rules read, the manifest says which holder's value the rules used.
#[test]
fn joint_accounts_whose_holders_disagree_are_reported() {
    let dir = temp_dir("customers-joint");
    let customers = write(
        &dir,
        "c.csv",
        &format!(
            "{CUSTOMERS_HEADER}
             C2,J-1;J-2,Bo Ann,person,,,,,retail,2000.00,
             C1,J-1;OWN-1,Ann Bo,person,,,,,msb,2000.00,
             C3,J-2,Cy Bo,person,,,,,retail,3000,
"
        ),
    );
    let loaded = load_customers(&customers, None, b',').unwrap();
    let joint = loaded.joint_accounts();
    let accounts: Vec<(&str, Vec<&str>)> = joint
        .iter()
        .map(|j| {
            (
                j.account.as_str(),
                j.holders.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        accounts,
        [("J-1", vec!["C1", "C2"]), ("J-2", vec!["C2", "C3"])]
    );
    let input = write(
        &dir,
        "t.csv",
        &format!(
            "{HEADER}
T1,2026-03-02T10:00:00Z,100.00,USD,CASH,,Till,JM,J-1,Ann Bo,JM,
"
        ),
    );
    let out = dir.join("out");
    let run = amlscreen(&[
        "run",
        input.to_str().unwrap(),
        "--customers",
        customers.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", describe(&run));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let c = &manifest["customers"];
    assert_eq!(c["joint_accounts"], 2);
    assert_eq!(
        c["joint_account_conflicts"],
        serde_json::json!([
            {"account": "J-1", "field": "segment", "given": "C1=msb; C2=retail", "used": "C1"},
            {"account": "J-2", "field": "expected_monthly_volume", "given": "C2=2000.00; C3=3000.00", "used": "C2"}
        ])
    );
}

/// A pack may leave a segment out (`exclude_segments`) or look only at some (`segments`); a
/// rule of `either` side cannot, and an unknown segment is refused with its line.
#[test]
fn a_rule_can_filter_on_the_customer_segment() {
    let dir = temp_dir("customers-filter");
    let pack = |filter: &str, subject: &str| {
        format!(
            "[pack]\nid = \"t\"\nversion = \"1\"\ndescription = \"t\"\nbase_currency = \"USD\"\n\n[[rule]]\nid = \"big_cash\"\ntitle = \"t\"\ntypology = \"cash_threshold\"\nkind = \"threshold\"\nsubject = \"{subject}\"\nseverity = \"low\"\nscore = 10\nsummary = \"{{count}}\"\ndetects = \"d\"\nwhy = \"w\"\n[rule.filter]\nchannels = [\"CASH\"]\n{filter}\n[rule.params]\nmin_amount = \"10000\"\n"
        )
    };
    let customers = write(
        &dir,
        "c.csv",
        &format!("{CUSTOMERS_HEADER}\nM1,ACC-M,Cambio Ltd,entity,,,,,msb,,\nR1,ACC-R,Ann Bo,person,,,,,retail,,\n"),
    );
    let input = write(
        &dir,
        "t.csv",
        &format!("{HEADER}\nT1,2026-03-02T10:00:00Z,12000.00,USD,CASH,,Till,JM,ACC-M,Cambio Ltd,JM,\nT2,2026-03-02T10:00:00Z,12000.00,USD,CASH,,Ann Bo,JM,ACC-R,Ann Bo,JM,\nT3,2026-03-02T10:00:00Z,12000.00,USD,CASH,,Cy Dunn,JM,ACC-X,Cy Dunn,JM,\n"),
    );
    for (filter, expected) in [
        ("exclude_segments = [\"msb\"]", vec!["ACC-R", "ACC-X"]),
        ("segments = [\"msb\", \"npo\"]", vec!["ACC-M"]),
    ] {
        let p = write(&dir, "pack.toml", &pack(filter, "account"));
        let out = dir.join("out");
        let run = amlscreen(&[
            "run",
            input.to_str().unwrap(),
            "--customers",
            customers.to_str().unwrap(),
            "--rules",
            p.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(run.status.success(), "{}", describe(&run));
        let alerts = std::fs::read_to_string(out.join("alerts.csv")).unwrap();
        let subjects: Vec<&str> = alerts
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(4).unwrap())
            .collect();
        assert_eq!(subjects, expected, "{filter}");
    }
    for (text, words) in [
        (
            pack("segments = [\"msb\"]", "either"),
            "a segment filter needs a subject of one account",
        ),
        (
            pack("segments = [\"casino\"]", "account"),
            "unknown segment `casino`",
        ),
    ] {
        let p = write(&dir, "bad.toml", &text);
        let check = amlscreen(&["rules", "check", p.to_str().unwrap()]);
        assert_eq!(check.status.code(), Some(2), "{}", describe(&check));
        let err = String::from_utf8_lossy(&check.stderr);
        assert!(
            err.contains(&format!("{}:20:", p.display())) && err.contains(words),
            "{err}"
        );
    }
}

/// Customers are rated with their factors written out, `customers_risk.csv` lists them highest
/// first, the manifest and the report name the high-risk ones, and a case on a high-risk
/// customer's account gains the customer signal (its rating without alerts).
#[test]
fn customers_are_rated_and_the_rating_weighs_in_the_case_score() {
    let dir = temp_dir("customers-risk");
    let customers = write(
        &dir,
        "c.csv",
        &format!(
            "{CUSTOMERS_HEADER}\n\
             R1,ACC-R,Ann Bo,person,1980,JM,JM,,retail,,\n\
             H1,ACC-H,Kim Cambio Ltd,entity,,,KP,,msb,1000.00,\n\
             M1,ACC-M,Cy Dunn,person,1975,HT,JM,,retail,,\n"
        ),
    );
    let input = write(
        &dir,
        "t.csv",
        &format!(
            "{HEADER}\n\
             T1,2026-03-02T10:00:00Z,12000.00,USD,CASH,,Till,KP,ACC-H,Kim Cambio Ltd,KP,\n\
             T2,2026-03-03T10:00:00Z,11000.00,USD,WIRE,ACC-H,Kim Cambio Ltd,KP,US-1,Ace Inc,US,\n\
             T3,2026-03-02T10:00:00Z,12000.00,USD,CASH,,Ann Bo,JM,ACC-R,Ann Bo,JM,\n"
        ),
    );
    let out = dir.join("out");
    let run = amlscreen(&[
        "run",
        input.to_str().unwrap(),
        "--customers",
        customers.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", describe(&run));
    let risk = std::fs::read_to_string(out.join("customers_risk.csv")).unwrap();
    let lines: Vec<&str> = risk.lines().collect();
    assert_eq!(
        lines[0],
        "customer_id,name,segment,accounts,score,level,factors"
    );
    assert!(
        lines[1].starts_with("H1,Kim Cambio Ltd,msb,ACC-H,100,high,\"residence KP: FATF call for action (+40); segment msb (+25); 100% of the money in came in cash (+15); 47% of the money in and out crossed a border (+8); 23,000.00 a month in and out, at least 3 times the 1,000.00 declared (+15);"),
        "{risk}"
    );
    assert!(
        lines[2].starts_with(
            "M1,Cy Dunn,retail,ACC-M,20,low,nationality HT: FATF increased monitoring (+20)"
        ),
        "{risk}"
    );
    assert!(lines[3].starts_with("R1,Ann Bo,retail,ACC-R,"), "{risk}");
    let cases = amlscreen::report::read_cases_jsonl(out.join("cases.jsonl")).unwrap();
    let of = |account: &str| {
        cases
            .iter()
            .find(|c| c.alerts.iter().any(|a| a.subject_account == account))
            .unwrap()
    };
    let customer_points = |c: &amlscreen::cases::Case| -> Vec<(f64, String)> {
        c.score_reasons
            .iter()
            .filter(|r| r.signal.as_str() == "customer")
            .map(|r| (r.points, r.text.clone()))
            .collect()
    };
    let high = customer_points(of("ACC-H"));
    assert_eq!(high.len(), 1, "{high:?}");
    assert_eq!(high[0].0, 10.0);
    assert!(
        high[0]
            .1
            .starts_with("customer H1 is rated high risk (100 without its alerts"),
        "{high:?}"
    );
    assert!(customer_points(of("ACC-R")).is_empty());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["customers"]["highest_risk"][0]["customer_id"],
        "H1"
    );
    let levels: Vec<(String, u64)> =
        serde_json::from_value(manifest["customers"]["risk_levels"].clone()).unwrap();
    assert_eq!(
        levels,
        [("high".into(), 1), ("medium".into(), 0), ("low".into(), 2)]
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("Customers by risk") && report.contains("Kim Cambio Ltd"));
}

/// Customers are screened in `run` with what the file knows of them: a listed person with the
/// listed birth year is a hit and says so, the same name born another year is not, a passport
/// number on the list is a hit on its own; the hit raises the customer's rating.
#[test]
fn customers_are_screened_with_their_birth_dates_nationalities_and_documents() {
    let dir = temp_dir("customers-screen");
    let customers = write(
        &dir,
        "c.csv",
        &format!(
            "{CUSTOMERS_HEADER}\n\
             S1,ACC-1,Karim Abdul Hassan,person,1965,Iraq,JM,,retail,,\n\
             S2,ACC-2,Karim Abdul Hassan,person,1990-05-01,JM,JM,,retail,,\n\
             S3,ACC-3,Joan Brown,person,1970,JM,JM,B765432,retail,,\n\
             S4,ACC-4,Jose Luis Morales,person,1963-02-30,,,,,,\n"
        ),
    );
    let input = write(
        &dir,
        "t.csv",
        &format!("{HEADER}\nT1,2026-03-02T10:00:00Z,100.00,USD,CASH,,Till,JM,ACC-1,Karim,JM,\n"),
    );
    let out = dir.join("out");
    let run = amlscreen(&[
        "run",
        input.to_str().unwrap(),
        "--customers",
        customers.to_str().unwrap(),
        "--watchlist",
        "tests/fixtures/watchlists/facts/ofac/sdn.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", describe(&run));
    let hits = std::fs::read_to_string(out.join("customers_hits.csv")).unwrap();
    let rows: Vec<&str> = hits.lines().skip(1).collect();
    let who: Vec<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    // S4's row is quarantined for its birth date, and still screened by its name
    assert_eq!(who, ["S1", "S3", "S4"], "{hits}");
    assert!(
        rows[0].ends_with(",false") && rows[2].ends_with(",true"),
        "{hits}"
    );
    assert!(
        rows[0].contains("born 1965") && rows[0].contains("9001"),
        "{hits}"
    );
    assert!(
        rows[1].contains("9001") && rows[1].contains(",1.0000,"),
        "{hits}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["customers"]["sanctions_hits"], 3);
    assert_eq!(manifest["customers"]["customers_hit"], 3);
    let risk = std::fs::read_to_string(out.join("customers_risk.csv")).unwrap();
    let first = risk.lines().nth(1).unwrap();
    assert!(
        first.starts_with("S1,")
            && first.contains("sanctions match on the customer: OFAC-SDN 9001"),
        "{risk}"
    );
}

/// `rescreen` screens the customers against what changed between two versions of a list:
/// an added entry that matches is a new hit, a removed one that matched is gone, a changed
/// one is judged on both versions, and an unchanged one reports nothing; the hits equal the
/// difference of two full screenings.
#[test]
fn rescreening_reports_new_and_gone_hits_from_the_list_changes_only() {
    let dir = temp_dir("customers-rescreen");
    let customers = write(
        &dir,
        "c.csv",
        &format!(
            "{CUSTOMERS_HEADER}\n\
             K1,ACC-1,Viktor Petrov,person,1970,,,,,,\n\
             K2,ACC-2,Maria Gonzalez Ruiz,person,1985,,,,,,\n\
             K3,ACC-3,Ahmed Al Farsi,person,1962,,,,,,\n\
             K4,ACC-4,Jane Roe,person,1980,,,,,,\n"
        ),
    );
    // a `list` column names the list in both versions (without it a simple CSV list is named
    // after its file)
    let header = "list,id,name,type,birth_date";
    // L-1 stays, L-2 is removed, L-3 changes its birth date away from K3's, L-4 is added
    let old = write(
        &dir,
        "old.csv",
        &format!("{header}\nWL,L-1,Jane Roe,person,1980\nWL,L-2,Viktor Petrov,person,1970\nWL,L-3,Ahmed Al Farsi,person,1962\n"),
    );
    let new = write(
        &dir,
        "new.csv",
        &format!("{header}\nWL,L-1,Jane Roe,person,1980\nWL,L-3,Ahmed Al Farsi,person,1991\nWL,L-4,Maria Gonzalez Ruiz,person,1985\n"),
    );
    let out = dir.join("out");
    let run = amlscreen(&[
        "rescreen",
        "--customers",
        customers.to_str().unwrap(),
        "--watchlist",
        new.to_str().unwrap(),
        "--previous",
        old.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", describe(&run));
    let rows = |name: &str| -> Vec<(String, String, String)> {
        std::fs::read_to_string(out.join(name))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[0].to_string(), f[2].to_string(), f[4].to_string())
            })
            .collect()
    };
    assert_eq!(
        rows("rescreen_new_hits.csv"),
        [("K2".to_string(), "added".to_string(), "L-4".to_string())]
    );
    assert_eq!(
        rows("rescreen_gone_hits.csv"),
        [
            ("K1".to_string(), "removed".to_string(), "L-2".to_string()),
            ("K3".to_string(), "changed".to_string(), "L-3".to_string())
        ]
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("rescreen.json")).unwrap()).unwrap();
    assert_eq!(summary["entries_added"], 1);
    assert_eq!(summary["entries_removed"], 1);
    assert_eq!(summary["entries_changed"], 1);
    assert_eq!(summary["entries_unchanged"], 1);

    // the same as the difference of two full screenings
    use amlscreen::watchlist::{load_watchlists, Screener};
    let loaded = load_customers(&customers, None, b',').unwrap();
    let queries: Vec<_> = loaded
        .list
        .iter()
        .map(amlscreen::customers::party_query)
        .collect();
    let full = |path: &std::path::Path| -> std::collections::BTreeSet<(String, String)> {
        let set = load_watchlists(&[path.to_path_buf()]).unwrap();
        Screener::new(&set)
            .screen_parties(&queries, amlscreen::customers::CUSTOMER_THRESHOLD, 5)
            .into_iter()
            .zip(&loaded.list)
            .flat_map(|(hits, c)| {
                hits.into_iter()
                    .map(move |h| (c.customer_id.clone(), h.entry_id))
            })
            .collect()
    };
    let (before, after) = (full(&old), full(&new));
    let appeared: Vec<_> = after.difference(&before).cloned().collect();
    let went: Vec<_> = before.difference(&after).cloned().collect();
    assert_eq!(appeared, [("K2".to_string(), "L-4".to_string())]);
    assert_eq!(
        went,
        [
            ("K1".to_string(), "L-2".to_string()),
            ("K3".to_string(), "L-3".to_string())
        ]
    );
}

/// The customers and the two list versions of the rescreen tests: L-1 stays, L-2 is removed,
/// L-3 changes its birth date away from K3's, L-4 is added; K5 and K6 match nothing.
fn rescreen_fixture(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let customers = write(
        dir,
        "c.csv",
        &format!(
            "{CUSTOMERS_HEADER}\n\
             K1,ACC-1,Viktor Petrov,person,1970,,,,,,\n\
             K2,ACC-2,Maria Gonzalez Ruiz,person,1985,,,,,,\n\
             K3,ACC-3,Ahmed Al Farsi,person,1962,,,,,,\n\
             K4,ACC-4,Jane Roe,person,1980,,,,,,\n\
             K5,ACC-5,Liu Wei,person,1990,,,,,,\n\
             K6,ACC-6,Olumide Adeyemi,person,1975,,,,,,\n"
        ),
    );
    let header = "list,id,name,type,birth_date";
    let old = write(
        dir,
        "old.csv",
        &format!("{header}\nWL,L-1,Jane Roe,person,1980\nWL,L-2,Viktor Petrov,person,1970\nWL,L-3,Ahmed Al Farsi,person,1962\n"),
    );
    let new = write(
        dir,
        "new.csv",
        &format!("{header}\nWL,L-1,Jane Roe,person,1980\nWL,L-3,Ahmed Al Farsi,person,1991\nWL,L-4,Maria Gonzalez Ruiz,person,1985\n"),
    );
    (customers, old, new)
}

/// Runs `rescreen` into `dir/out`, with `--index dir/index` when `index`; returns the two CSV
/// outputs (bytes), `rescreen.json` and the run.
fn run_rescreen(
    dir: &Path,
    out: &str,
    files: &(std::path::PathBuf, std::path::PathBuf, std::path::PathBuf),
    index: bool,
    threads: Option<&str>,
) -> (Vec<u8>, Vec<u8>, serde_json::Value, std::process::Output) {
    let out = dir.join(out);
    let index_dir = dir.join("index");
    let (customers, old, new) = files;
    let mut args = vec![
        "rescreen",
        "--customers",
        customers.to_str().unwrap(),
        "--watchlist",
        new.to_str().unwrap(),
        "--previous",
        old.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    if index {
        args.extend(["--index", index_dir.to_str().unwrap()]);
    }
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_amlscreen"));
    command.args(&args).current_dir(crate::common::root());
    if let Some(threads) = threads {
        command.env("RAYON_NUM_THREADS", threads);
    }
    let run = command.output().expect("run amlscreen");
    assert!(run.status.success(), "{}", describe(&run));
    let read = |name: &str| std::fs::read(out.join(name)).unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&read("rescreen.json")).unwrap();
    (
        read("rescreen_new_hits.csv"),
        read("rescreen_gone_hits.csv"),
        summary,
        run,
    )
}

/// `rescreen --index` builds the customer index on the first run and reuses it on the next:
/// both give exactly the hits of reading and screening every customer, on any thread count,
/// and the warm run screens only the customers the changed entries can reach.
#[test]
fn a_warm_customer_index_gives_the_hits_of_screening_every_customer() {
    let dir = temp_dir("rescreen-index-warm");
    let files = rescreen_fixture(&dir);
    let (new0, gone0, plain, _) = run_rescreen(&dir, "plain", &files, false, None);
    assert_eq!(plain["customers_screened"], 6);
    assert_eq!(plain["index"], serde_json::Value::Null);
    let new_rows = String::from_utf8(new0.clone()).unwrap();
    assert!(
        new_rows.lines().nth(1).unwrap().starts_with("K2,"),
        "{new_rows}"
    );
    assert_eq!(String::from_utf8(gone0.clone()).unwrap().lines().count(), 3);
    let (new1, gone1, cold, _) = run_rescreen(&dir, "cold", &files, true, None);
    assert_eq!(cold["index"]["status"], "built");
    let (new2, gone2, warm, _) = run_rescreen(&dir, "warm", &files, true, None);
    assert_eq!(warm["index"]["status"], "reused", "{warm}");
    assert_eq!(warm["customers"], 6);
    // K1..K3 hold the changed entries' names; K4 (of an unchanged entry), K5 and K6 are not
    // screened
    assert_eq!(warm["customers_screened"], 3, "{warm}");
    let (new3, gone3, _, _) = run_rescreen(&dir, "one-thread", &files, true, Some("1"));
    for (new, gone) in [(&new1, &gone1), (&new2, &gone2), (&new3, &gone3)] {
        assert_eq!(new, &new0);
        assert_eq!(gone, &gone0);
    }
    let index = std::fs::read(dir.join("index/customers.idx")).unwrap();
    assert_eq!(&index[..8], b"AMLCIDX\0");
}

/// A customer file that changed after its index was built is re-indexed (and said so in
/// rescreen.json): a customer added to it is found, one removed is not reported.
#[test]
fn a_changed_customer_file_rebuilds_the_customer_index() {
    let dir = temp_dir("rescreen-index-changed");
    let files = rescreen_fixture(&dir);
    let (_, _, cold, _) = run_rescreen(&dir, "cold", &files, true, None);
    assert_eq!(cold["index"]["status"], "built");
    // K2 leaves; K7, of the added entry's name, arrives
    let text = std::fs::read_to_string(&files.0).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("K2,"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + "K7,ACC-7,Maria Gonzalez Ruiz,person,1985,,,,,,\n";
    std::fs::write(&files.0, text).unwrap();
    let (new, gone, changed, run) = run_rescreen(&dir, "changed", &files, true, None);
    assert_eq!(changed["index"]["status"], "rebuilt", "{changed}");
    let reason = changed["index"]["reason"].as_str().unwrap();
    assert!(reason.contains("the customer file changed"), "{reason}");
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("stale"),
        "{}",
        describe(&run)
    );
    let new = String::from_utf8(new).unwrap();
    let rows: Vec<&str> = new.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{new}");
    assert!(
        rows[0].starts_with("K7,Maria Gonzalez Ruiz,added,WL,L-4,"),
        "{new}"
    );
    let (plain_new, plain_gone, _, _) = run_rescreen(&dir, "plain", &files, false, None);
    assert_eq!(new.as_bytes(), &plain_new[..]);
    assert_eq!(gone, plain_gone);
    let (_, _, warm, _) = run_rescreen(&dir, "warm", &files, true, None);
    assert_eq!(warm["index"]["status"], "reused");
}

/// The customer file is not hashed again while its size and modification time are those the
/// index recorded, but only a time recorded 2 seconds or more after the last change counts: a
/// file changed again within its clock tick (same size, same time) is still found changed.
#[test]
fn a_customer_file_changed_within_its_clock_tick_is_still_reindexed() {
    let dir = temp_dir("rescreen-index-racy");
    let files = rescreen_fixture(&dir);
    let same_size_change = |from: &str, to: &str| {
        let mtime = std::fs::metadata(&files.0).unwrap().modified().unwrap();
        let text = std::fs::read_to_string(&files.0).unwrap();
        assert_eq!(from.len(), to.len());
        std::fs::write(&files.0, text.replace(from, to)).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&files.0)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
    };
    // just written: its time is not recorded
    let (_, _, cold, _) = run_rescreen(&dir, "cold", &files, true, None);
    assert_eq!(cold["index"]["status"], "built");
    same_size_change("Jane Roe", "Jane Rox");
    let (_, _, racy, _) = run_rescreen(&dir, "racy", &files, true, None);
    assert_eq!(racy["index"]["status"], "rebuilt", "{racy}");
    // settled for long: its time is recorded, and a different time or size is hashed again
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    let set = |t: std::time::SystemTime| {
        std::fs::File::options()
            .write(true)
            .open(&files.0)
            .unwrap()
            .set_modified(t)
            .unwrap()
    };
    let text = std::fs::read_to_string(&files.0).unwrap();
    std::fs::write(&files.0, text + "K7,ACC-7,Nobody Known,person,1999,,,,,,\n").unwrap();
    set(old);
    let (_, _, settled, _) = run_rescreen(&dir, "settled", &files, true, None);
    assert_eq!(settled["index"]["status"], "rebuilt", "{settled}");
    let (_, _, warm, _) = run_rescreen(&dir, "warm", &files, true, None);
    assert_eq!(warm["index"]["status"], "reused", "{warm}");
    same_size_change("Jane Rox", "Jane Roe");
    set(old + std::time::Duration::from_secs(1));
    let (_, _, touched, _) = run_rescreen(&dir, "touched", &files, true, None);
    assert_eq!(touched["index"]["status"], "rebuilt", "{touched}");
}

/// A truncated or corrupted index is never used: the run warns, naming the file and what is
/// wrong, rebuilds it from the customer file and reports the same hits.
#[test]
fn a_damaged_customer_index_is_rebuilt_with_a_warning() {
    let dir = temp_dir("rescreen-index-damaged");
    let files = rescreen_fixture(&dir);
    let (new0, gone0, _, _) = run_rescreen(&dir, "cold", &files, true, None);
    let path = dir.join("index/customers.idx");
    let good = std::fs::read(&path).unwrap();
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x10;
    for (label, bytes, expected) in [
        (
            "truncated",
            good[..good.len() - 9].to_vec(),
            "checksum mismatch",
        ),
        ("flipped", flipped, "checksum mismatch"),
        ("empty", Vec::new(), "not a customer index"),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        let (new, gone, summary, run) = run_rescreen(&dir, label, &files, true, None);
        assert_eq!(summary["index"]["status"], "rebuilt", "{label}: {summary}");
        let reason = summary["index"]["reason"].as_str().unwrap();
        assert!(
            reason.contains("customers.idx") && reason.contains(expected),
            "{label}: {reason}"
        );
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            stderr.contains("customers.idx: customer index is damaged"),
            "{label}: {stderr}"
        );
        assert_eq!((new, gone), (new0.clone(), gone0.clone()), "{label}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            good,
            "{label}: rebuilt as before"
        );
    }
}

/// `backtest --customers` runs the rules with the customer file (its declared volumes reach
/// `activity_over_expected`, which raises nothing without it) and ranks the cases with the
/// customers' ratings.
#[test]
fn a_backtest_reads_the_customer_file() {
    let dir = temp_dir("customers-backtest");
    let per_rule = |with: bool| -> u64 {
        let out = dir.join(if with { "with" } else { "without" });
        let mut args = vec![
            "backtest",
            "--input",
            "sample-data/transactions.csv",
            "--labels",
            "sample-data/labels.csv",
            "--fx",
            "sample-data/fx.csv",
            "--watchlist",
            "sample-data/watchlists",
            "--out",
            out.to_str().unwrap(),
        ];
        if with {
            args.extend(["--customers", "sample-data/customers.csv"]);
        }
        let run = amlscreen(&args);
        assert!(run.status.success(), "{}", describe(&run));
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("backtest.json")).unwrap()).unwrap();
        report["per_rule"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == "activity_over_expected")
            .map_or(0, |r| r["alerts"].as_u64().unwrap())
    };
    assert_eq!(per_rule(false), 0);
    assert!(per_rule(true) > 0);
}

/// The customer file of the customer-alert tests: a listed person with two accounts (birth date,
/// nationality and passport confirm entry 9001), a namesake whose facts discount it, a listed
/// person without a transaction, a row quarantined for its birth date whose name is listed, one
/// quarantined for naming no account, and a listed company.
fn listed_customers(dir: &Path) -> std::path::PathBuf {
    write(
        dir,
        "customers.csv",
        &format!(
            "{CUSTOMERS_HEADER}\n\
             L1,ACC-L1;ACC-L2,Karim Abdul Hassan,person,1965-04-02,Iraq,JM,A123456,retail,,\n\
             N1,ACC-N1,Karim Abdul Hassan,person,1990-05-01,JM,JM,N555,retail,,\n\
             M1,ACC-M1,Jose Luis Morales,person,1963-07-09,Colombia,JM,,retail,,\n\
             G1,ACC-G1,Maria Garcia,person,1971-02-30,,,,,,\n\
             P1,,Chol Su Park,person,,,,,,,\n\
             E1,ACC-E1,Alpha Trading LLC,entity,2001-06-30,,Panama,12345678;REG-9,business,,\n\
             R1,ACC-R1,Ann Bo,person,1980,JM,JM,,retail,,\n"
        ),
    )
}

/// Transactions of the listed customer on both its accounts (a cash deposit over the reporting
/// threshold on the second), of its namesake in its own name, and of an ordinary customer.
fn listed_transactions(dir: &Path) -> std::path::PathBuf {
    write(
        dir,
        "t.csv",
        &format!(
            "{HEADER}\n\
             T1,2026-03-02T10:00:00Z,2500.00,USD,WIRE,ACC-L1,K Hassan,JM,EXT-1,Bob Smith,US,KIN-01\n\
             T2,2026-03-03T11:00:00Z,12000.00,USD,CASH,,Ann Lee,JM,ACC-L2,K Hassan,JM,KIN-01\n\
             T3,2026-03-04T12:00:00Z,300.00,USD,WIRE,ACC-N1,Karim Abdul Hassan,JM,EXT-2,Cy Dunn,US,KIN-01\n\
             T4,2026-03-05T13:00:00Z,200.00,USD,WIRE,EXT-3,Dee Fox,US,ACC-N1,Karim Abdul Hassan,JM,KIN-01\n\
             T5,2026-03-06T14:00:00Z,150.00,USD,WIRE,ACC-R1,Ann Bo,JM,EXT-2,Cy Dunn,US,KIN-01\n"
        ),
    )
}

fn run_listed(dir: &Path, out: &Path, threads: usize) {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_amlscreen"))
        .args([
            "run",
            listed_transactions(dir).to_str().unwrap(),
            "--customers",
            listed_customers(dir).to_str().unwrap(),
            "--watchlist",
            "tests/fixtures/watchlists/facts/ofac/sdn.csv",
            "--out",
            out.to_str().unwrap(),
        ])
        .env("RAYON_NUM_THREADS", threads.to_string())
        .current_dir(crate::common::root())
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", describe(&run));
}

fn fact<'a>(alert: &'a amlscreen::model::Alert, key: &str) -> &'a str {
    alert
        .details
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// A customer's sanctions match is an alert: on the customer's first account, citing its
/// transactions on all its accounts, in one case with those accounts' other alerts, weighed as
/// sanctions; a listed customer without transactions and a quarantined listed row alert too;
/// the namesake whose birth date and nationality discount the entry raises nothing, not even
/// the name-only match of its own transactions.
#[test]
fn a_customer_sanctions_match_is_an_alert_in_a_case_and_its_namesake_is_not() {
    let dir = temp_dir("customer-alerts");
    let out = dir.join("out");
    run_listed(&dir, &out, 2);
    let cases = amlscreen::report::read_cases_jsonl(out.join("cases.jsonl")).unwrap();
    let alerts: Vec<&amlscreen::model::Alert> = cases.iter().flat_map(|c| &c.alerts).collect();
    let customer_alerts: Vec<&&amlscreen::model::Alert> = alerts
        .iter()
        .filter(|a| a.rule_id == "customer_sanctions_match")
        .collect();
    let who: Vec<(&str, &str, &str)> = {
        let mut w: Vec<_> = customer_alerts
            .iter()
            .map(|a| {
                (
                    fact(a, "customer_id"),
                    a.subject_account.as_str(),
                    fact(a, "entry_id"),
                )
            })
            .collect();
        w.sort();
        w
    };
    assert_eq!(
        who,
        [
            ("E1", "ACC-E1", "9005"),
            ("G1", "ACC-G1", "9004"),
            ("L1", "ACC-L1", "9001"),
            ("M1", "ACC-M1", "9002"),
            ("P1", "customer:P1", "9003"),
        ],
        "{customer_alerts:#?}"
    );
    // the namesake: no alert of any rule, and its own transactions' name-only match is cleared
    assert!(
        alerts
            .iter()
            .all(|a| a.subject_account != "ACC-N1"
                && !a.txn_ids.iter().any(|t| t == "T3" || t == "T4")),
        "{alerts:#?}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["customers"]["transaction_hits_cleared"], 2);
    assert_eq!(
        manifest["alerts_per_rule"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[0] == "customer_sanctions_match")
            .map(|r| r[1].clone()),
        Some(serde_json::json!(5))
    );

    // L1: typology sanctions, critical, the match explained with the facts that confirmed it,
    // citing both accounts' transactions
    let l1 = customer_alerts
        .iter()
        .find(|a| fact(a, "customer_id") == "L1")
        .unwrap();
    assert_eq!(l1.typology, amlscreen::model::Typology::Sanctions);
    assert_eq!(l1.severity, "critical");
    assert_eq!(l1.txn_ids, ["T1", "T2"]);
    assert_eq!(l1.total_amount, "14500.00");
    assert_eq!(
        (l1.window_start.as_str(), l1.window_end.as_str()),
        ("2026-03-02T10:00:00Z", "2026-03-03T11:00:00Z")
    );
    assert_eq!(fact(l1, "customer_accounts"), "ACC-L1;ACC-L2");
    assert_eq!(fact(l1, "birth_date"), "1965-04-02");
    assert_eq!(fact(l1, "nationality"), "IQ");
    assert_eq!(fact(l1, "row_quarantined"), "false");
    assert!(
        l1.summary.contains("OFAC-SDN entry 9001")
            && l1.summary.contains("nationality IQ = IQ")
            && l1.summary.contains("passport A123456"),
        "{}",
        l1.summary
    );
    // its case holds both accounts, the cash alert of the second, and weighs the sanctions
    let case = cases
        .iter()
        .find(|c| c.alerts.iter().any(|a| a.alert_id == l1.alert_id))
        .unwrap();
    assert_eq!(case.subject.accounts, ["ACC-L1", "ACC-L2"]);
    assert!(
        case.alerts
            .iter()
            .any(|a| a.subject_account == "ACC-L2" && a.rule_id != "customer_sanctions_match"),
        "{:#?}",
        case.alerts
    );
    assert!(
        case.score_reasons
            .iter()
            .any(|r| r.signal.as_str() == "sanctions"),
        "{:?}",
        case.score_reasons
    );
    assert_eq!(case.band.as_str(), "critical");
    assert_eq!(case.transactions.len(), 2);

    // M1 has no transaction: the alert has none, an amount of 0 and the run's period
    let m1 = customer_alerts
        .iter()
        .find(|a| fact(a, "customer_id") == "M1")
        .unwrap();
    assert!(m1.txn_ids.is_empty() && m1.txn_count == 0, "{m1:#?}");
    assert_eq!(m1.total_amount, "0.00");
    assert_eq!(
        (m1.window_start.as_str(), m1.window_end.as_str()),
        ("2026-03-02T10:00:00Z", "2026-03-06T14:00:00Z")
    );
    assert_eq!(fact(m1, "transactions_in_run"), "0");
    assert!(
        m1.summary.contains("no transaction in this run"),
        "{}",
        m1.summary
    );
    let m1_case = cases
        .iter()
        .find(|c| c.alerts.iter().any(|a| a.alert_id == m1.alert_id))
        .unwrap();
    assert!(m1_case.transactions.is_empty() && m1_case.band.as_str() == "critical");

    // G1's row was quarantined for its birth date: screened by name, the alert says so
    let g1 = customer_alerts
        .iter()
        .find(|a| fact(a, "customer_id") == "G1")
        .unwrap();
    assert_eq!(fact(g1, "row_quarantined"), "true");
    assert_eq!(fact(g1, "quarantine_reason"), "bad_date");
    assert!(g1.summary.contains("quarantined"), "{}", g1.summary);

    // alerts.csv and the report carry them
    let csv = std::fs::read_to_string(out.join("alerts.csv")).unwrap();
    assert_eq!(
        csv.matches(",customer_sanctions_match,").count(),
        5,
        "{csv}"
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("customer_sanctions_match")
            && report.contains("Customer matches a sanctions list entry"),
        "the report names the rule"
    );
    // the rating counts the customer's own match once, as its sanctions factor
    let risk = std::fs::read_to_string(out.join("customers_risk.csv")).unwrap();
    let l1_risk = risk.lines().find(|l| l.starts_with("L1,")).unwrap();
    assert!(
        l1_risk.contains("sanctions match on the customer")
            && !l1_risk.contains("a counterparty matched"),
        "{l1_risk}"
    );
}

/// Same inputs, same bytes: the customer alerts and their cases on 1 and 4 threads.
#[test]
fn customer_alerts_are_byte_identical_on_1_and_4_threads() {
    let dir = temp_dir("customer-alerts-threads");
    let (one, four) = (dir.join("one"), dir.join("four"));
    run_listed(&dir, &one, 1);
    run_listed(&dir, &four, 4);
    for name in ["alerts.csv", "cases.jsonl", "customers_hits.csv"] {
        assert_eq!(
            std::fs::read(one.join(name)).unwrap(),
            std::fs::read(four.join(name)).unwrap(),
            "{name}"
        );
    }
    let alerts = std::fs::read_to_string(one.join("alerts.csv")).unwrap();
    assert!(alerts.contains(",customer_sanctions_match,"), "{alerts}");
}

/// The goAML export reports a matched customer as a party with the facts of the customer
/// file, after the case's transactions or alone when it has none; every report validates
/// against the schema.
#[test]
fn goaml_reports_a_matched_customer_as_a_party_and_validates() {
    let dir = temp_dir("customer-alerts-goaml");
    let out = dir.join("out");
    run_listed(&dir, &out, 2);
    let xml_dir = dir.join("goaml");
    let export = amlscreen(&[
        "export",
        "goaml",
        "--cases",
        out.join("cases.jsonl").to_str().unwrap(),
        "--profile",
        "profiles/goaml-example.toml",
        "--out",
        xml_dir.to_str().unwrap(),
    ]);
    assert!(export.status.success(), "{}", describe(&export));
    let cases = amlscreen::report::read_cases_jsonl(out.join("cases.jsonl")).unwrap();
    let case_of = |customer: &str| {
        let c = cases
            .iter()
            .find(|c| {
                c.alerts.iter().any(|a| {
                    a.rule_id == "customer_sanctions_match" && fact(a, "customer_id") == customer
                })
            })
            .unwrap();
        xml_dir.join(format!("{}-STR.xml", c.case_id))
    };
    let files: Vec<std::path::PathBuf> = ["L1", "M1", "G1", "P1", "E1"].map(case_of).into();
    for file in &files {
        assert!(
            file.exists(),
            "{} not written: {}",
            file.display(),
            describe(&export)
        );
    }
    let check = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(crate::common::root().join("profiles/schemas/goAMLSchema-5.0.2.xsd"))
        .args(&files)
        .output()
        .expect("xmllint (apt-get install -y libxml2-utils)");
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{stderr}");
    for file in &files {
        assert!(
            stderr.contains(&format!("{} validates", file.display())),
            "{stderr}"
        );
    }
    let l1 = std::fs::read_to_string(&files[0]).unwrap();
    // the transactions, then the customer as the reported party
    assert_eq!(l1.matches("<transaction>").count(), 2, "{l1}");
    let party = &l1[l1.find("<activity>").expect("an activity")..];
    for element in [
        "<first_name>Karim Abdul</first_name>",
        "<last_name>Hassan</last_name>",
        "<birthdate>1965-04-02T00:00:00</birthdate>",
        "<id_number>A123456</id_number>",
        "<nationality1>IQ</nationality1>",
        "<residence>JM</residence>",
        "<significance>10</significance>",
    ] {
        assert!(party.contains(element), "{element} in {party}");
    }
    assert!(party.contains("OFAC-SDN entry 9001"), "{party}");
    // M1 has no transaction: an activity report
    let m1 = std::fs::read_to_string(&files[1]).unwrap();
    assert!(!m1.contains("<transaction>") && m1.contains("<last_name>Morales</last_name>"));
    // G1's quarantined row: its name only, the quarantine said
    let g1 = std::fs::read_to_string(&files[2]).unwrap();
    assert!(
        !g1.contains("<birthdate>") && g1.contains("quarantined (bad_date)"),
        "{g1}"
    );
}
