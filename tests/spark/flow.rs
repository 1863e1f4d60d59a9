//! Money-flow rules on Spark against the Polars engine: flow-through (single and summed
//! inflows, the horizon, the share, the routine, the holder's own accounts), party fans and
//! round trips, at their exact boundaries (`tests/fixtures/spark/flow.csv`), and the shipped
//! rules of these kinds on the sample data.

use super::fired;
use super::{alerts_csv_of, options};
use crate::common::{fixture, root};
use amlscreen::rules::plan::Detector;
use amlscreen::rules::{Rule, RuleSet};

/// The flow pack's rules whose detector `keep` accepts.
fn flow_rules(set: &RuleSet, keep: fn(&Detector) -> bool) -> Vec<&Rule> {
    let rules: Vec<&Rule> = set.rules().filter(|r| keep(&r.plan.detector)).collect();
    assert!(!rules.is_empty());
    rules
}

/// Both engines' `alerts.csv` for the flow pack's rules that `keep` accepts, on flow.csv.
fn on_flow_csv(keep: fn(&Detector) -> bool) -> (String, String) {
    let set = RuleSet::load(&[fixture("spark/flow.toml")]).unwrap_or_else(|e| panic!("{e}"));
    let rules = flow_rules(&set, keep);
    alerts_csv_of(
        &set,
        &rules,
        &[fixture("spark/flow.csv")],
        &options(None, None),
    )
}

#[test]
fn flow_through_alerts_are_the_same_bytes_at_the_exact_boundaries() {
    let (polars, spark) = on_flow_csv(|d| matches!(d, Detector::FlowThrough { .. }));
    assert_eq!(spark, polars);
    let fired = fired(&polars);
    // the transactions of the subject's alerts of the rule (`None`: no alert)
    let alert = |rule: &str, subject: &str| {
        let txns: Vec<&str> = fired
            .iter()
            .filter(|(r, s, _)| r == rule && s == subject)
            .map(|(_, _, t)| t.as_str())
            .collect();
        (!txns.is_empty()).then(|| txns.join(";"))
    };
    let has = |rule: &str, subject: &str| alert(rule, subject).is_some();
    // 80% exactly 48 hours later; a cent less, a second later, a cent less in, out at the
    // inflow's own time: none
    assert!(has("pass_through", "ACC-F1"));
    for near in ["ACC-F2", "ACC-F3", "ACC-F4", "ACC-F5"] {
        assert!(!has("pass_through", near), "{near}");
    }
    // two inflows at one time with one amount are one anchor: 8,000 out is 80% of it; 4,000
    // out is 40%, not 80% (it was, summed once per inflow)
    assert!(has("pass_through", "ACC-F6"));
    assert!(!has("pass_through", "ACC-FC"));
    // the routine: two earlier days (one exactly 30 days before) make the third routine;
    // a second more than 30 days does not
    let f7 = alert("pass_through", "ACC-F7").expect("F7's first pass-throughs");
    assert!(!f7.contains("R22a"), "{f7}");
    assert!(alert("pass_through", "ACC-F8").is_some_and(|t| t.contains("R32a")));
    // a pass-through still finishing when the money comes in is not yet a precedent
    assert!(alert("pass_through", "ACC-F9").is_some_and(|t| t.contains("R496")));
    assert!(alert("pass_through", "ACC-FA").is_some_and(|t| !t.contains("R4A6")));
    // summed cash over exactly 7 days, half of it abroad from the holder's other account,
    // with the transfer between them as evidence
    let p1 = alert("cash_then_abroad", "ACC-P1").expect("P1");
    assert!(p1.contains("P03") && p1.contains("P04"), "{p1}");
    assert!(has("cash_then_abroad", "ACC-P6"));
    for near in ["ACC-P3", "ACC-P4", "ACC-P5"] {
        assert!(!has("cash_then_abroad", near), "{near}");
    }
    // eight linked accounts are one holder (the link in the window is evidence); nine are not
    let h = alert("cash_then_abroad", "ACC-H4").expect("a group of eight");
    assert!(h.contains("HL6") && h.contains("HW"), "{h}");
    assert!(!has("cash_then_abroad", "ACC-G4"));
}

#[test]
fn the_shipped_flow_through_rules_give_the_same_alerts_csv_on_the_sample_data() {
    let set = RuleSet::load(&[]).unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<&Rule> = set
        .rules()
        .filter(|r| r.enabled && matches!(r.plan.detector, Detector::FlowThrough { .. }))
        .collect();
    let ids: Vec<&str> = rules.iter().map(|r| r.plan.rule_id.as_str()).collect();
    assert_eq!(ids, ["bulk_cash", "rapid_movement"]);
    let data = root().join("sample-data");
    let (polars, spark) = alerts_csv_of(
        &set,
        &rules,
        &[data.join("transactions.csv")],
        &options(Some(&data.join("fx.csv")), None),
    );
    let fired = fired(&polars);
    for id in ids {
        assert!(fired.iter().any(|(r, _, _)| r == id), "no {id} alert");
    }
    assert_eq!(spark, polars);
}

#[test]
fn party_fan_alerts_are_the_same_bytes_at_the_exact_boundaries() {
    let (polars, spark) = on_flow_csv(|d| matches!(d, Detector::PartyFan { .. }));
    assert_eq!(spark, polars);
    let fired = fired(&polars);
    let alerts = |rule: &str, subject: &str| -> Vec<String> {
        fired
            .iter()
            .filter(|(r, s, _)| r == rule && s == subject)
            .map(|(_, _, t)| t.clone())
            .collect()
    };
    // an account and two parties (one written two ways) within exactly 7 days; a second more
    // leaves two
    assert_eq!(alerts("fan_in_parties", "ACC-N1"), ["N11;N12;N13;N14"]);
    assert!(alerts("fan_in_parties", "ACC-N2").is_empty());
    // three spellings of one party are one; one name in two countries is two parties
    assert!(alerts("fan_in_parties", "ACC-N3").is_empty());
    assert_eq!(alerts("fan_in_parties", "ACC-N4").len(), 1);
    // a fourth payee six days on extends the episode; three more a week later are another
    assert_eq!(
        alerts("fan_out_parties", "ACC-N5"),
        ["N50;N51;N52;N53", "N60;N61;N62"]
    );
    // three senders at one time; senders without a name are no parties
    assert_eq!(alerts("fan_in_parties", "ACC-N6").len(), 1);
    assert!(alerts("fan_in_parties", "ACC-N7").is_empty());
}

#[test]
fn the_shipped_party_fan_rules_give_the_same_alerts_csv_on_the_sample_data() {
    let set = RuleSet::load(&[]).unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<&Rule> = set
        .rules()
        .filter(|r| r.enabled && matches!(r.plan.detector, Detector::PartyFan { .. }))
        .collect();
    let ids: Vec<&str> = rules.iter().map(|r| r.plan.rule_id.as_str()).collect();
    assert_eq!(ids, ["fan_in_weeks", "fan_out_weeks"]);
    let data = root().join("sample-data");
    let (polars, spark) = alerts_csv_of(
        &set,
        &rules,
        &[data.join("transactions.csv")],
        &options(Some(&data.join("fx.csv")), None),
    );
    let fired = fired(&polars);
    for id in ids {
        assert!(fired.iter().any(|(r, _, _)| r == id), "no {id} alert");
    }
    assert_eq!(spark, polars);
}

#[test]
fn round_trip_alerts_are_the_same_bytes_at_the_exact_boundaries() {
    let (polars, spark) = on_flow_csv(|d| matches!(d, Detector::RoundTrip { .. }));
    assert_eq!(spark, polars);
    let fired = fired(&polars);
    let alerts = |subject: &str| -> Vec<String> {
        fired
            .iter()
            .filter(|(r, s, _)| r == "trip_back" && s == subject)
            .map(|(_, _, t)| t.clone())
            .collect()
    };
    // half back from a sister company exactly 3 days later; 120% exactly; exactly 30 days
    assert_eq!(alerts("ACC-R1"), ["T11;T12"]);
    assert_eq!(alerts("ACC-R5"), ["T51;T52"]);
    assert_eq!(alerts("ACC-R7"), ["T71;T72"]);
    // a second too soon, a cent under half, a cent over 120%, not a haven, a second too late
    for near in ["ACC-R2", "ACC-R3", "ACC-R4", "ACC-R6", "ACC-R8"] {
        assert!(alerts(near).is_empty(), "{near}");
    }
    // a related payment 7 days later is summed; returns count in order until the share
    assert_eq!(alerts("ACC-R9"), ["T91;T92;T93;T95"]);
    // a payment summed into a trip opens none of its own; the next trip is found after it
    assert_eq!(alerts("ACC-RA"), ["TA1;TA2;TA3", "TA4;TA5"]);
    // six transfers on one day make a hub, five do not
    assert!(alerts("ACC-RH").is_empty());
    assert_eq!(alerts("ACC-RG"), ["TG1;TG2"]);
}

#[test]
fn the_shipped_round_trip_rule_gives_the_same_alerts_csv_on_the_sample_data() {
    let set = RuleSet::load(&[]).unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<&Rule> = set
        .rules()
        .filter(|r| r.enabled && matches!(r.plan.detector, Detector::RoundTrip { .. }))
        .collect();
    let ids: Vec<&str> = rules.iter().map(|r| r.plan.rule_id.as_str()).collect();
    assert_eq!(ids, ["round_trip_offshore"]);
    let data = root().join("sample-data");
    let (polars, spark) = alerts_csv_of(
        &set,
        &rules,
        &[data.join("transactions.csv")],
        &options(Some(&data.join("fx.csv")), None),
    );
    assert!(
        fired(&polars)
            .iter()
            .any(|(r, _, _)| r == "round_trip_offshore"),
        "no round_trip_offshore alert"
    );
    assert_eq!(spark, polars);
}
