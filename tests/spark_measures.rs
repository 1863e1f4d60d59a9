//! The Spark engine against the Polars engine for the kinds that compare a subject with its
//! own past: counts of new values, counts against the routine over business days, velocity
//! spikes, changes of behaviour and activity against the declared volume (a module of
//! `tests/spark.rs`, whose helpers it uses).

use super::{on_polars, options, target};
use crate::common::{fixture, root, temp_dir, write, HEADER};
use amlscreen::ingest::IngestOptions;
use amlscreen::rules::EngineContext;
use amlscreen::spark::{Spark, SparkIngestOptions};
use std::path::PathBuf;

/// The measures pack, every rule of it compiled to Spark.
fn measures_rules() -> amlscreen::rules::RuleSet {
    let set = amlscreen::rules::RuleSet::load(&[fixture("spark/measures.toml")])
        .unwrap_or_else(|e| panic!("{e}"));
    set
}

/// A CSV of `rows` (id, UTC time, amount, channel, originator, beneficiary) in USD.
fn transactions(name: &str, rows: &[(String, String, &str, &str, &str, &str)]) -> PathBuf {
    let mut text = format!("{HEADER}\n");
    for (id, ts, amount, channel, orig, bene) in rows {
        let name_of = |a: &str| {
            if a.is_empty() {
                String::new()
            } else {
                format!("Holder {a}")
            }
        };
        text.push_str(&format!(
            "{id},{ts},{amount},USD,{channel},{orig},{},JM,{bene},{},JM,K1\n",
            name_of(orig),
            name_of(bene)
        ));
    }
    write(&temp_dir(name), &format!("{name}.csv"), &text)
}

/// Where the alerts' details follow `alerts.csv` in what [`alerts_and_details`] returns.
const DETAILS: &str = "--- details\n";

/// `alerts.csv` as each engine writes it for `inputs` under `rules` (of `set`), with the
/// alerts' details (the facts, which `alerts.csv` shows only through the summaries) appended,
/// and the same evidence transactions on both.
pub(super) fn alerts_and_details(
    set: &amlscreen::rules::RuleSet,
    rules: &[&amlscreen::rules::Rule],
    inputs: &[PathBuf],
    options: &IngestOptions,
    context: &EngineContext,
) -> (String, String) {
    let base = set.base_currency();
    let write = |alerts: &[amlscreen::model::Alert]| {
        let mut bytes = Vec::new();
        amlscreen::output::write_alerts_csv(&mut bytes, alerts).unwrap();
        let mut text = String::from_utf8(bytes).unwrap();
        text.push_str(DETAILS);
        for a in alerts {
            text.push_str(&format!("{} {:?}\n", a.alert_id, a.details));
        }
        text
    };
    let (frame, _) = on_polars(inputs, options);
    let polars = amlscreen::rules::run_rules_in(&frame, rules, &base, context).unwrap();
    let spark = Spark::connect(&target(None)).unwrap_or_else(|e| panic!("{e}"));
    spark
        .ingest(
            inputs,
            &SparkIngestOptions {
                options,
                latest_micros: amlscreen::spark::latest_accepted_micros(),
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let (alerts, evidence) = spark
        .run_rules_in(rules, &base, context)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut polars_ids: Vec<&str> = polars.evidence.keys().map(String::as_str).collect();
    polars_ids.sort();
    assert_eq!(evidence.txn_ids(), polars_ids, "evidence transactions");
    // the Spark engine's records are spilled to a file: each reads back as the Polars engine's
    for id in polars_ids {
        let spilled = evidence.get(id).unwrap().unwrap();
        assert_eq!(*spilled, *polars.evidence[id], "evidence record {id}");
    }
    (write(&polars.alerts), write(&alerts))
}

/// Which (rule, subject, window end) an `alerts.csv` holds.
fn fired_in(alerts: &str) -> Vec<(String, String, String)> {
    let mut reader = csv::Reader::from_reader(alerts.as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (rule_at, subject_at, end_at) = (at("rule_id"), at("subject_account"), at("window_end"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[rule_at].to_string(),
                r[subject_at].to_string(),
                r[end_at].to_string(),
            )
        })
        .collect()
}

/// Both engines' `alerts.csv` and details for the rules `ids` of the measures pack, and which
/// (rule, subject, window end) fired.
fn run_both(
    ids: &[&str],
    inputs: &[PathBuf],
    context: &EngineContext,
) -> (String, String, Vec<(String, String, String)>) {
    let set = measures_rules();
    let rules: Vec<&amlscreen::rules::Rule> = set
        .rules()
        .filter(|r| ids.contains(&r.plan.rule_id.as_str()))
        .collect();
    assert_eq!(rules.len(), ids.len());
    let (polars, spark) = alerts_and_details(&set, &rules, inputs, &options(None, None), context);
    let fired = fired_in(polars.split(DETAILS).next().unwrap_or_default());
    (polars, spark, fired)
}

fn has(fired: &[(String, String, String)], rule: &str, subject: &str) -> bool {
    fired.iter().any(|(r, s, _)| r == rule && s == subject)
}

#[test]
fn counts_of_new_values_and_business_day_routines_are_the_same_bytes_at_their_boundaries() {
    let mut rows: Vec<(String, String, &str, &str, &str, &str)> = Vec::new();
    let mut add = |ts: &str,
                   amount: &'static str,
                   channel: &'static str,
                   orig: &'static str,
                   bene: &'static str| {
        let id = format!("M{:03}", rows.len() + 1);
        rows.push((id, ts.to_string(), amount, channel, orig, bene));
    };
    // trailing 2 days, new within 5 days. The data starts with two new senders to N3: every
    // sender is new then, and the alert says how little history it was judged on
    add("2026-03-01T00:00:00Z", "500.00", "WIRE", "S1", "ACC-N3");
    add("2026-03-01T00:00:00Z", "500.00", "WIRE", "S2", "ACC-N3");
    // N1: S1 paid exactly 5 days before the window's start (17 Mar 12:00 less 2 days): not new
    add("2026-03-10T12:00:00Z", "500.00", "WIRE", "S1", "ACC-N1");
    add("2026-03-17T12:00:00Z", "500.00", "WIRE", "S1", "ACC-N1");
    add("2026-03-17T12:00:00Z", "500.00", "WIRE", "S2", "ACC-N1");
    // N2: a second earlier, so S1 is new again: two new senders
    add("2026-03-10T11:59:59Z", "500.00", "WIRE", "S1", "ACC-N2");
    add("2026-03-17T12:00:00Z", "500.00", "WIRE", "S1", "ACC-N2");
    add("2026-03-17T12:00:00Z", "500.00", "WIRE", "S2", "ACC-N2");
    // N4: one sender three times (twice at the same moment) is one value
    add("2026-03-16T12:00:00Z", "500.00", "WIRE", "S1", "ACC-N4");
    add("2026-03-17T12:00:00Z", "500.00", "WIRE", "S1", "ACC-N4");
    add("2026-03-17T12:00:00Z", "500.00", "WIRE", "S1", "ACC-N4");
    // business days at UTC-5, new within 5 days of the local midnight (20 Mar 05:00 UTC)
    add("2026-03-15T05:00:00Z", "500.00", "MOBILE", "S1", "ACC-D1");
    add("2026-03-20T06:00:00Z", "500.00", "MOBILE", "S1", "ACC-D1");
    add("2026-03-20T06:00:00Z", "500.00", "MOBILE", "S2", "ACC-D1");
    add("2026-03-15T04:59:59Z", "500.00", "MOBILE", "S1", "ACC-D2");
    add("2026-03-20T06:00:00Z", "500.00", "MOBILE", "S1", "ACC-D2");
    add("2026-03-20T06:00:00Z", "500.00", "MOBILE", "S2", "ACC-D2");
    // 23:30 and 00:30 local are two business days; local midnight and 23:30 are one
    add("2026-03-21T04:30:00Z", "500.00", "MOBILE", "S1", "ACC-D3");
    add("2026-03-21T05:30:00Z", "500.00", "MOBILE", "S2", "ACC-D3");
    add("2026-03-20T05:00:00Z", "500.00", "MOBILE", "S1", "ACC-D4");
    add("2026-03-21T04:30:00Z", "500.00", "MOBILE", "S2", "ACC-D4");
    // against the routine: 3 cash deposits on 20 Mar (local) against p in the 10 days before
    // its local midnight; 3 x 10 days x 10000 >= 25000 x p x 1 day holds for p = 12, not 13
    for (account, in_baseline, edge) in [
        ("ACC-R1", 12, None),
        ("ACC-R2", 13, None),
        // 12 plus one at exactly the baseline's start (10 Mar local midnight): 13
        ("ACC-R3", 12, Some("2026-03-10T05:00:00Z")),
        // 12 plus one a second before it: still 12
        ("ACC-R4", 12, Some("2026-03-10T04:59:59Z")),
    ] {
        // one at local noon on 11-19 Mar, a second one at 13:00 on the first days
        for k in 0..in_baseline {
            let (day, hour) = if k < 9 {
                (11 + k, 17)
            } else {
                (11 + k - 9, 18)
            };
            add(
                &format!("2026-03-{day:02}T{hour}:00:00Z"),
                "1000.00",
                "CASH",
                "",
                account,
            );
        }
        if let Some(ts) = edge {
            add(ts, "1000.00", "CASH", "", account);
        }
        for ts in [
            "2026-03-20T15:00:00Z",
            "2026-03-20T15:30:00Z",
            "2026-03-20T16:00:00Z",
        ] {
            add(ts, "1000.00", "CASH", "", account);
        }
    }
    let csv = transactions("spark-new-values", &rows);
    let (polars, spark, fired) = run_both(
        &["new_senders", "new_senders_day", "unusual_cash_day"],
        &[csv],
        &EngineContext::default(),
    );
    assert_eq!(spark, polars);
    assert!(has(&fired, "new_senders", "ACC-N3") && has(&fired, "new_senders", "ACC-N2"));
    assert!(!has(&fired, "new_senders", "ACC-N1") && !has(&fired, "new_senders", "ACC-N4"));
    assert!(polars.contains("0 days of the 5 days asked"), "{polars}");
    assert!(has(&fired, "new_senders_day", "ACC-D2") && has(&fired, "new_senders_day", "ACC-D4"));
    assert!(!has(&fired, "new_senders_day", "ACC-D1") && !has(&fired, "new_senders_day", "ACC-D3"));
    assert!(has(&fired, "unusual_cash_day", "ACC-R1") && has(&fired, "unusual_cash_day", "ACC-R4"));
    assert!(
        !has(&fired, "unusual_cash_day", "ACC-R2") && !has(&fired, "unusual_cash_day", "ACC-R3")
    );
    // the usual count of the fact ends a day before the day's last deposit (16:00 UTC):
    // the deposit at noon on 19 Mar is after it
    assert!(polars.contains("11 in the 10 days before"), "{polars}");
}

#[test]
fn a_transfer_to_oneself_counts_twice_in_the_routine_and_once_in_its_fact() {
    // either side: the transfer to oneself is two rows of ACC-S (its routine is 2 a window) and
    // one transaction (the `usual` fact says 1), on both engines
    let mut rows: Vec<(String, String, &str, &str, &str, &str)> = Vec::new();
    let mut add = |ts: &str, orig: &'static str, bene: &'static str| {
        let id = format!("S{:03}", rows.len() + 1);
        rows.push((id, ts.to_string(), "100.00", "INTERNAL", orig, bene));
    };
    add("2026-03-10T15:00:00Z", "ACC-S", "ACC-S");
    add("2026-03-13T15:00:00Z", "ACC-S", "ACC-O1");
    add("2026-03-13T16:00:00Z", "ACC-S", "ACC-O2");
    let csv = transactions("spark-oneself", &rows);
    let (polars, spark, fired) = run_both(
        &["unusual_transfers", "unusual_transfers_day"],
        &[csv],
        &EngineContext::default(),
    );
    assert_eq!(spark, polars);
    assert!(has(&fired, "unusual_transfers", "ACC-S"));
    assert!(has(&fired, "unusual_transfers_day", "ACC-S"));
    assert!(polars.contains("1 in the 5 days before"), "{polars}");
}

/// `YYYY-MM-DDTHH:MM:SSZ` of `day` days and `seconds` after 1 January 2025, noon UTC.
fn at(day: i64, seconds: i64) -> String {
    let noon = 1_735_732_800_000_000i64; // 2025-01-01T12:00:00Z
    amlscreen::model::format_timestamp(noon + day * 86_400_000_000 + seconds * 1_000_000)
}

#[test]
fn velocity_spikes_are_the_same_bytes_at_their_boundaries() {
    let mut rows: Vec<(String, String, &str, &str, &str, &str)> = Vec::new();
    let mut add = |ts: String, amount: &'static str, orig: &'static str, bene: &'static str| {
        let id = format!("V{:03}", rows.len() + 1);
        rows.push((id, ts, amount, "WIRE", orig, bene));
    };
    // 1,000.00 a week in for 8 weeks (8,000.00 in the 56 days before the window: 1,000.00 a
    // window), then on day 63 money in and out at the same moment
    for (account, sender, first, inflow, outflow) in [
        // exactly 5 times, 50% each way: a spike
        ("ACC-V1", "X1", 0, "2500.00", "2500.00"),
        // a cent less: none
        ("ACC-V2", "X2", 0, "2500.00", "2499.99"),
        // seen a second less than window and baseline before: not judged
        ("ACC-V3", "X3", 1, "2500.00", "2500.00"),
        // one way only: none
        ("ACC-V4", "X4", 0, "5000.00", ""),
        // exactly 20% out: a spike
        ("ACC-V5", "X5", 0, "4000.00", "1000.00"),
    ] {
        add(at(0, first), "1000.00", sender, account);
        for week in 1..8 {
            add(at(7 * week, 0), "1000.00", sender, account);
        }
        add(at(63, 0), inflow, "P", account);
        if !outflow.is_empty() {
            add(at(63, 0), outflow, account, "Q");
        }
    }
    // the window's first instant: 1,000.00 in exactly 7 days before the judged time belongs to
    // the window (5,000.00 in all, a spike), not to the baseline
    add(at(0, 0), "1000.00", "X6", "ACC-V6");
    for week in 1..8 {
        add(at(7 * week, 0), "1000.00", "X6", "ACC-V6");
    }
    add(at(56, 0), "1000.00", "P", "ACC-V6");
    add(at(63, 0), "1500.00", "P", "ACC-V6");
    add(at(63, 0), "2500.00", "ACC-V6", "Q");
    let csv = transactions("spark-velocity", &rows);
    let (polars, spark, fired) = run_both(&["spike"], &[csv], &EngineContext::default());
    assert_eq!(spark, polars);
    assert!(has(&fired, "spike", "ACC-V1") && has(&fired, "spike", "ACC-V5"));
    assert!(has(&fired, "spike", "ACC-V6"), "{polars}");
    for quiet in ["ACC-V2", "ACC-V3", "ACC-V4"] {
        assert!(!has(&fired, "spike", quiet), "{quiet}: {polars}");
    }
    assert!(polars.contains("5.0x"), "{polars}");
}

#[test]
fn changes_of_behaviour_are_the_same_bytes_at_their_boundaries() {
    let mut rows: Vec<(String, String, &str, &str, &str, &str)> = Vec::new();
    let mut add = |ts: String, amount: &'static str, orig: &'static str, bene: &'static str| {
        let id = format!("B{:03}", rows.len() + 1);
        rows.push((id, ts, amount, "MOBILE", orig, bene));
    };
    // one payment on day 0, then quiet; from day 208 (exactly the window and the baseline
    // later) payments ten minutes apart: against the 2,000.00 a quiet account is judged by,
    // 5 times is 10,000.00
    for (account, payments, last) in [
        // 15 payments, 10,000.00: one alert
        ("ACC-B1", 15, "200.00"),
        // 9,999.99: none
        ("ACC-B2", 15, "199.99"),
        // 14 payments of more: none
        ("ACC-B3", 14, "1000.00"),
        // 20: the windows from the 15th on are one episode, its peak the last
        ("ACC-B4", 20, "700.00"),
    ] {
        add(at(0, 0), "10.00", "M0", account);
        for k in 0..payments {
            let amount = if k + 1 == payments { last } else { "700.00" };
            add(at(208, 600 * k), amount, "M1", account);
        }
    }
    // a year earlier: 20 payments a day apart from day 31; a year and 49 days later the
    // same 12,000.00 again: routine when the year before held half of it (6,000.00)
    for (account, earlier) in [("ACC-B5", "300.00"), ("ACC-B6", "299.99")] {
        add(at(0, 0), "10.00", "M0", account);
        for k in 0..20 {
            add(at(31 + k, 0), earlier, "M2", account);
        }
        for k in 0..20 {
            add(at(415, 600 * k), "600.00", "M3", account);
        }
    }
    // the window's first instant: the first of 15 payments exactly 28 days before the last
    // belongs to the window (15 payments, 10,000.00: one alert)
    add(at(0, 0), "10.00", "M0", "ACC-B7");
    add(at(180, 600 * 14), "700.00", "M1", "ACC-B7");
    for k in 1..15 {
        let amount = if k == 14 { "200.00" } else { "700.00" };
        add(at(208, 600 * k), amount, "M1", "ACC-B7");
    }
    // the same weeks a year earlier, bounds included: for the last window (20 payments,
    // 12,000.00) they are 400 and 358 days before it, and hold 300.00 each of the 6,000.00
    // that makes it routine; without either it would be an alert
    add(at(0, 0), "10.00", "M0", "ACC-B8");
    add(at(15, 600 * 19), "300.00", "M2", "ACC-B8");
    for k in 0..18 {
        add(at(31 + k, 0), "300.00", "M2", "ACC-B8");
    }
    add(at(57, 600 * 19), "300.00", "M2", "ACC-B8");
    for k in 0..20 {
        add(at(415, 600 * k), "600.00", "M3", "ACC-B8");
    }
    let csv = transactions("spark-behaviour", &rows);
    let (polars, spark, fired) = run_both(&["change"], &[csv], &EngineContext::default());
    assert_eq!(spark, polars);
    assert!(has(&fired, "change", "ACC-B1") && has(&fired, "change", "ACC-B4"));
    assert!(has(&fired, "change", "ACC-B6") && has(&fired, "change", "ACC-B7"));
    for quiet in ["ACC-B2", "ACC-B3", "ACC-B5", "ACC-B8"] {
        assert!(!has(&fired, "change", quiet), "{quiet}: {polars}");
    }
    assert!(
        polars.contains("5,999.80 in the same weeks a year earlier"),
        "{polars}"
    );
    assert!(polars.contains("not checked"), "{polars}");
    assert_eq!(fired.iter().filter(|f| f.1 == "ACC-B4").count(), 1);
}

#[test]
fn activity_against_the_declared_volume_is_the_same_bytes_with_customers_pooled() {
    let mut rows: Vec<(String, String, &str, &str, &str, &str)> = Vec::new();
    let mut add = |ts: String, amount: &'static str, orig: &'static str, bene: &'static str| {
        let id = format!("E{:03}", rows.len() + 1);
        rows.push((id, ts, amount, "ACH", orig, bene));
    };
    // 1,000.00 a month declared; 3 times within 30 days is 3,000.00
    add(at(0, 0), "1500.00", "O1", "ACC-E1");
    add(at(30, 0), "1500.00", "O1", "ACC-E1");
    // a cent less: none
    add(at(0, 0), "1500.00", "O2", "ACC-E2");
    add(at(30, 0), "1499.99", "O2", "ACC-E2");
    // a second later the first is out of the window: none
    add(at(0, 0), "1500.00", "O3", "ACC-E3");
    add(at(30, 1), "1500.00", "O3", "ACC-E3");
    // one customer's two accounts pooled on the first by id; the transfer between them is
    // not its activity
    add(at(40, 0), "1500.00", "O4", "ACC-E4b");
    add(at(41, 0), "5000.00", "ACC-E4b", "ACC-E4a");
    add(at(42, 0), "1500.00", "O4", "ACC-E4a");
    // no declared volume: not judged
    add(at(40, 0), "90000.00", "O5", "ACC-E5");
    let csv = transactions("spark-expected", &rows);
    let volume = 1_000_000_000i64; // 1,000.00
    let mut volumes = std::collections::BTreeMap::new();
    let mut customer_of = std::collections::BTreeMap::new();
    for (account, customer) in [
        ("ACC-E1", "C1"),
        ("ACC-E2", "C2"),
        ("ACC-E3", "C3"),
        ("ACC-E4a", "C4"),
        ("ACC-E4b", "C4"),
        ("ACC-E4z", "C4"),
        ("ACC-E5", "C5"),
    ] {
        customer_of.insert(account.to_string(), customer.to_string());
        if customer != "C5" {
            volumes.insert(account.to_string(), volume);
        }
    }
    let context = EngineContext {
        expected_monthly_volume: Some(std::sync::Arc::new(volumes)),
        customer_of: Some(std::sync::Arc::new(customer_of)),
        ..Default::default()
    };
    let (polars, spark, fired) = run_both(&["over_expected"], std::slice::from_ref(&csv), &context);
    assert_eq!(spark, polars);
    assert!(has(&fired, "over_expected", "ACC-E1") && has(&fired, "over_expected", "ACC-E4a"));
    for quiet in ["ACC-E2", "ACC-E3", "ACC-E4b", "ACC-E5"] {
        assert!(!has(&fired, "over_expected", quiet), "{quiet}: {polars}");
    }
    assert!(polars.contains("ACC-E4a; ACC-E4b\""), "{polars}");
    // without a customer file the rule raises nothing, on both engines
    let (polars, spark, fired) = run_both(&["over_expected"], &[csv], &EngineContext::default());
    assert_eq!(spark, polars);
    assert!(fired.is_empty(), "{polars}");
}

#[test]
fn the_shipped_expected_activity_rule_gives_the_same_alerts_on_the_sample_data_with_its_customers()
{
    let data = root().join("sample-data");
    let customers = amlscreen::customers::load_customers(&data.join("customers.csv"), None, b',')
        .unwrap_or_else(|e| panic!("{e}"));
    let context = EngineContext {
        segments: None,
        ..customers.engine_context()
    };
    let set = amlscreen::rules::RuleSet::load(&[]).unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<&amlscreen::rules::Rule> = set
        .rules()
        .filter(|r| r.plan.rule_id == "activity_over_expected")
        .collect();
    assert_eq!(rules.len(), 1);
    let (polars, spark) = alerts_and_details(
        &set,
        &rules,
        &[data.join("transactions.csv")],
        &options(Some(&data.join("fx.csv")), None),
        &context,
    );
    assert!(polars.contains(",activity_over_expected,"), "no alert");
    assert_eq!(spark, polars);
}
