//! Layering rules on Spark against the Polars engine: scatter-gather, gather-scatter and
//! bipartite layers and stacks at their exact boundaries (rows written here, pack
//! `tests/fixtures/spark/layering.toml`), and the shipped rules of these kinds on the sample data.

use super::fired;
use super::{alerts_csv_of, options};
use crate::common::{fixture, root, temp_dir, write, HEADER};
use amlscreen::rules::plan::Detector;
use amlscreen::rules::{Rule, RuleSet};

const D: i64 = 86_400;
const H: i64 = 3_600;
/// 2026-03-02T00:00:00Z: a whole even number of days since the epoch, so that the bipartite
/// rules' 4-day windows (every 2 days) start at base + an even number of days.
const BASE: i64 = 20_514 * D;

/// Rows of a test input (all WIRE, USD).
#[derive(Default)]
struct Rows(Vec<String>);

impl Rows {
    /// A payment `id` from `from` to `to` at `secs` after [`BASE`].
    fn pay(&mut self, id: &str, from: &str, to: &str, secs: i64, amount: &str) {
        let ts = chrono::DateTime::<chrono::Utc>::from_timestamp(BASE + secs, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ");
        self.0.push(format!(
            "{id},{ts},{amount},USD,WIRE,{from},{from} Name,US,{to},{to} Name,US,B1"
        ));
    }

    /// Senders `s` each paying two of recipients `r` (a six-cycle: s0 r0, s0 r1, s1 r1, s1 r2,
    /// s2 r2, s2 r0) at `times`, ids `{id}1`..`{id}6`.
    fn six_cycle(&mut self, id: &str, s: [&str; 3], r: [&str; 3], times: [i64; 6], amount: &str) {
        let links = [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 0)];
        for (k, &(a, b)) in links.iter().enumerate() {
            self.pay(&format!("{id}{}", k + 1), s[a], r[b], times[k], amount);
        }
    }

    fn csv(&self, label: &str) -> std::path::PathBuf {
        let dir = temp_dir(label);
        write(
            &dir,
            "rows.csv",
            &format!("{HEADER}\n{}\n", self.0.join("\n")),
        )
    }
}

/// Both engines' `alerts.csv` for the layering pack's rules that `keep` accepts, on `rows`.
fn on_rows(rows: &Rows, label: &str, keep: fn(&Detector) -> bool) -> (String, String) {
    let set = RuleSet::load(&[fixture("spark/layering.toml")]).unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<&Rule> = set.rules().filter(|r| keep(&r.plan.detector)).collect();
    assert!(!rules.is_empty());
    alerts_csv_of(&set, &rules, &[rows.csv(label)], &options(None, None))
}

/// Transaction ids joined by `;`, sorted.
fn sorted(txns: &str) -> Vec<&str> {
    let mut v: Vec<&str> = txns.split(';').collect();
    v.sort_unstable();
    v
}

/// The transactions of each alert of `rule` on `subject`.
fn alerts_of(fired: &[(String, String, String)], rule: &str, subject: &str) -> Vec<String> {
    fired
        .iter()
        .filter(|(r, s, _)| r == rule && s == subject)
        .map(|(_, _, t)| t.clone())
        .collect()
}

#[test]
fn scatter_gather_and_gather_scatter_alerts_are_the_same_bytes_at_the_exact_boundaries() {
    let mut r = Rows::default();
    // scatter-gather (3 intermediaries within 2 days, 80% on within 3 days of each receipt)
    // S1: the third payment exactly 2 days after the first, the last forward exactly 3 days
    // after its receipt, exactly 80% gathered
    let sg = |r: &mut Rows, n: &str, out: [i64; 3], fwd: [i64; 3], last_amount: &str| {
        let s = format!("ACC-{n}");
        for (k, m) in ["A", "B", "C"].iter().enumerate() {
            let mid = format!("ACC-{n}{m}");
            r.pay(&format!("{n}o{m}"), &s, &mid, out[k], "1000.00");
            let amount = if k == 2 { last_amount } else { "800.00" };
            r.pay(
                &format!("{n}f{m}"),
                &mid,
                &format!("ACC-{n}K"),
                fwd[k],
                amount,
            );
        }
    };
    sg(&mut r, "S1", [0, D, 2 * D], [3 * D, 4 * D, 5 * D], "800.00");
    // the third payment a second past the window
    sg(&mut r, "S2", [0, D, 2 * D + 1], [D, 2 * D, 3 * D], "800.00");
    // the last forward a second past the horizon
    sg(&mut r, "S4", [0, D, 2 * D], [D, 2 * D, 5 * D + 1], "800.00");
    // a micro under 80%
    sg(&mut r, "S5", [0, D, 2 * D], [D, 2 * D, 3 * D], "799.999999");
    // one intermediary fewer
    r.pay("S3oA", "ACC-S3", "ACC-S3A", 0, "1000.00");
    r.pay("S3oB", "ACC-S3", "ACC-S3B", H, "1000.00");
    r.pay("S3fA", "ACC-S3A", "ACC-S3K", D, "900.00");
    r.pay("S3fB", "ACC-S3B", "ACC-S3K", D, "900.00");
    // S6: four intermediaries, one a hub (6 transfers on day 10): three counted, the hub not
    sg(&mut r, "S6", [0, H, 2 * H], [D, D, D], "800.00");
    r.pay("S6oD", "ACC-S6", "ACC-S6D", 3 * H, "1000.00");
    r.pay("S6fD", "ACC-S6D", "ACC-S6K", D, "1000.00");
    for k in 0..6 {
        r.pay(
            &format!("S6h{k}"),
            "ACC-S6D",
            &format!("ACC-S6X{k}"),
            10 * D + k,
            "10.00",
        );
    }
    // S7: ties at the window's first time: the first window (with the large payment to B)
    // passes on too little; the window from the second payment at the same time is a structure
    r.pay("S7o1", "ACC-S7", "ACC-S7B", 0, "10000.00");
    r.pay("S7o2", "ACC-S7", "ACC-S7B", 0, "1000.00");
    r.pay("S7o3", "ACC-S7", "ACC-S7C", H, "1000.00");
    r.pay("S7o4", "ACC-S7", "ACC-S7D", 2 * H, "1000.00");
    for m in ["B", "C", "D"] {
        r.pay(
            &format!("S7f{m}"),
            &format!("ACC-S7{m}"),
            "ACC-S7K",
            D,
            "800.00",
        );
    }
    // S8: a window that forms a structure is not searched again: the window from the second
    // payment (B, C, D) would be one too
    r.pay("S8oA", "ACC-S8", "ACC-S8A", 0, "1000.00");
    r.pay("S8oB", "ACC-S8", "ACC-S8B", H, "1000.00");
    r.pay("S8oC", "ACC-S8", "ACC-S8C", 2 * H, "1000.00");
    r.pay("S8oD", "ACC-S8", "ACC-S8D", 2 * D + H, "1000.00");
    for (m, t) in [("A", D), ("B", D + H), ("C", D + 2 * H), ("D", 3 * D + H)] {
        r.pay(
            &format!("S8f{m}"),
            &format!("ACC-S8{m}"),
            "ACC-S8K",
            t,
            "800.00",
        );
    }
    // gather-scatter (3 senders within 2 days, 80% on to 3 recipients within 3 days of the last)
    let gs = |r: &mut Rows, n: &str, ins: [i64; 3], outs: [i64; 3], last_amount: &str| {
        let hub = format!("ACC-{n}");
        for (k, m) in ["A", "B", "C"].iter().enumerate() {
            r.pay(
                &format!("{n}i{m}"),
                &format!("ACC-{n}{m}"),
                &hub,
                ins[k],
                "1000.00",
            );
            let amount = if k == 2 { last_amount } else { "800.00" };
            r.pay(
                &format!("{n}p{m}"),
                &hub,
                &format!("ACC-{n}R{m}"),
                outs[k],
                amount,
            );
        }
    };
    gs(
        &mut r,
        "G1",
        [0, D, 2 * D],
        [2 * D + H, 2 * D + 2 * H, 5 * D],
        "800.00",
    );
    gs(
        &mut r,
        "G2",
        [0, D, 2 * D],
        [2 * D + H, 2 * D + 2 * H, 5 * D + 1],
        "800.00",
    );
    gs(
        &mut r,
        "G3",
        [0, D, 2 * D + 1],
        [3 * D, 3 * D, 3 * D],
        "800.00",
    );
    gs(
        &mut r,
        "G4",
        [0, D, 2 * D],
        [3 * D, 3 * D, 3 * D],
        "799.999999",
    );
    gs(&mut r, "G5", [0, H, 2 * H], [D, D, D], "800.00");
    for k in 0..6 {
        r.pay(
            &format!("G5h{k}"),
            "ACC-G5",
            &format!("ACC-G5X{k}"),
            20 * D + k,
            "10.00",
        );
    }
    // G6: the window from the second sender (B, C, D) would form one too, but is not searched
    // again
    r.pay("G6iA", "ACC-G6A", "ACC-G6", 0, "1000.00");
    r.pay("G6iB", "ACC-G6B", "ACC-G6", H, "1000.00");
    r.pay("G6iC", "ACC-G6C", "ACC-G6", 2 * H, "1000.00");
    r.pay("G6iD", "ACC-G6D", "ACC-G6", 2 * D + H, "1000.00");
    for (k, m) in ["X", "Y", "Z"].iter().enumerate() {
        let at = 3 * D + k as i64 * H;
        r.pay(
            &format!("G6p{m}"),
            "ACC-G6",
            &format!("ACC-G6{m}"),
            at,
            "1000.00",
        );
    }
    let (polars, spark) = on_rows(&r, "split", |d| matches!(d, Detector::SplitMerge { .. }));
    assert_eq!(spark, polars);
    let fired = fired(&polars);
    let one = |rule: &str, subject: &str| -> String {
        let a = alerts_of(&fired, rule, subject);
        assert_eq!(a.len(), 1, "{rule} {subject}: {a:?}");
        a[0].clone()
    };
    assert_eq!(
        sorted(&one("sg", "ACC-S1")),
        ["S1fA", "S1fB", "S1fC", "S1oA", "S1oB", "S1oC"]
    );
    for near in ["ACC-S2", "ACC-S3", "ACC-S4", "ACC-S5"] {
        assert!(alerts_of(&fired, "sg", near).is_empty(), "{near}");
    }
    let s6 = one("sg", "ACC-S6");
    assert!(!s6.contains("S6oD") && s6.contains("S6oC"), "{s6}");
    let s7 = one("sg", "ACC-S7");
    assert!(!s7.contains("S7o1") && s7.contains("S7o2"), "{s7}");
    let s8 = one("sg", "ACC-S8");
    assert!(!s8.contains("S8oD") && s8.contains("S8oA"), "{s8}");
    assert_eq!(
        sorted(&one("gs", "ACC-G1")),
        ["G1iA", "G1iB", "G1iC", "G1pA", "G1pB", "G1pC"]
    );
    let g6 = one("gs", "ACC-G6");
    assert!(!g6.contains("G6iD") && g6.contains("G6iA"), "{g6}");
    for near in ["ACC-G2", "ACC-G3", "ACC-G4", "ACC-G5"] {
        assert!(alerts_of(&fired, "gs", near).is_empty(), "{near}");
    }
}

#[test]
fn bipartite_layers_and_stacks_are_the_same_bytes_at_the_exact_boundaries() {
    let mut r = Rows::default();
    let hours = |day: i64| [0, 1, 2, 3, 4, 5].map(|k| day * D + k * H);
    let accounts = |n: &str| {
        (
            ["A", "B", "C"].map(|m| format!("ACC-{n}{m}")),
            ["X", "Y", "Z"].map(|m| format!("ACC-{n}{m}")),
        )
    };
    let six = |r: &mut Rows, n: &str, times: [i64; 6], amount: &str| {
        let (s, t) = accounts(n);
        r.six_cycle(
            n,
            [&s[0], &s[1], &s[2]],
            [&t[0], &t[1], &t[2]],
            times,
            amount,
        );
    };
    // B1: each of 3 senders pays 2 of 3 recipients, each paid by 2: exactly the bar, 6 accounts
    six(&mut r, "B1", hours(0), "5000.00");
    // B2: one link fewer
    six(&mut r, "B2", hours(2), "5000.00");
    r.0.pop();
    // B3: two senders paying three recipients; B4: three senders paying two recipients
    for (k, (s, t)) in [
        ("A", "X"),
        ("A", "Y"),
        ("A", "Z"),
        ("B", "X"),
        ("B", "Y"),
        ("B", "Z"),
    ]
    .iter()
    .enumerate()
    {
        let at = 4 * D + k as i64 * H;
        r.pay(
            &format!("B3{k}"),
            &format!("ACC-B3{s}"),
            &format!("ACC-B3{t}"),
            at,
            "5000.00",
        );
    }
    for (k, (s, t)) in [
        ("A", "X"),
        ("A", "Y"),
        ("B", "X"),
        ("B", "Y"),
        ("C", "X"),
        ("C", "Y"),
    ]
    .iter()
    .enumerate()
    {
        let at = 4 * D + k as i64 * H;
        r.pay(
            &format!("B4{k}"),
            &format!("ACC-B4{s}"),
            &format!("ACC-B4{t}"),
            at,
            "5000.00",
        );
    }
    // B5: seven accounts, one more than the most
    six(&mut r, "B5", hours(6), "5000.00");
    r.pay("B57", "ACC-B5D", "ACC-B5X", 6 * D + 6 * H, "5000.00");
    r.pay("B58", "ACC-B5D", "ACC-B5Y", 6 * D + 7 * H, "5000.00");
    // B6: a sender paying one layer recipient and an outsider paid by no one else: the outsider
    // peels in the first round, the sender (then with one link) only in the second
    six(&mut r, "B6", hours(8), "5000.00");
    r.pay("B67", "ACC-B6D", "ACC-B6X", 8 * D + 6 * H, "5000.00");
    r.pay("B68", "ACC-B6D", "ACC-B6W", 8 * D + 7 * H, "5000.00");
    // B7: a recipient that is a hub (6 transfers on one day)
    six(&mut r, "B7", hours(10), "5000.00");
    for k in 0..6 {
        r.pay(
            &format!("B7h{k}"),
            &format!("ACC-B7H{k}"),
            "ACC-B7Z",
            11 * D + k,
            "10.00",
        );
    }
    // B8: the layer spans exactly one 4-day window; B9: a second more, in no window whole
    let span = |day: i64| [0, 1, 2, 3, 4].map(|k| day * D + k * H);
    let t = span(20);
    six(
        &mut r,
        "B8",
        [t[0], t[1], t[2], t[3], t[4], 24 * D],
        "5000.00",
    );
    let t = span(30);
    six(
        &mut r,
        "B9",
        [t[0], t[1], t[2], t[3], t[4], 34 * D + 1],
        "5000.00",
    );
    // stacks: a layer of 10,000.00 a link, then its recipients X, Y, Z each paying two of
    // P, Q, R 8,000.00 (exactly 80%), X's last exactly 2 days after its last receipt (05:00)
    let stack = |r: &mut Rows, n: &str, day: i64, last_at: i64, last_amount: &str| {
        six(r, n, hours(day), "10000.00");
        let (_, mids) = accounts(n);
        let next = ["P", "Q", "R"].map(|m| format!("ACC-{n}{m}"));
        let at = day * D + 5 * H + D;
        r.six_cycle(
            &format!("{n}n"),
            [&mids[0], &mids[1], &mids[2]],
            [&next[0], &next[1], &next[2]],
            [at, at, at, at, at, last_at],
            "8000.00",
        );
        let last = r.0.pop().unwrap();
        r.0.push(last.replacen(",8000.00,", &format!(",{last_amount},"), 1));
    };
    // the six-cycle's last link is Z to P; Z's last receipt is at 04:00
    stack(&mut r, "T1", 40, 40 * D + 4 * H + 2 * D, "8000.00");
    stack(&mut r, "T2", 44, 44 * D + 4 * H + 2 * D + 1, "8000.00");
    stack(&mut r, "T3", 48, 48 * D + 4 * H + D, "7999.999999");
    let (polars, spark) = on_rows(&r, "bipartite", |d| matches!(d, Detector::Bipartite { .. }));
    assert_eq!(spark, polars);
    let fired = fired(&polars);
    let one = |rule: &str, subject: &str| -> String {
        let a = alerts_of(&fired, rule, subject);
        assert_eq!(a.len(), 1, "{rule} {subject}: {a:?}");
        a[0].clone()
    };
    assert_eq!(
        sorted(&one("bp1", "ACC-B1A")),
        ["B11", "B12", "B13", "B14", "B15", "B16"]
    );
    for near in [
        "ACC-B2A", "ACC-B3A", "ACC-B4A", "ACC-B5A", "ACC-B7A", "ACC-B9A",
    ] {
        assert!(alerts_of(&fired, "bp1", near).is_empty(), "{near}");
    }
    assert_eq!(
        sorted(&one("bp1", "ACC-B6A")),
        ["B61", "B62", "B63", "B64", "B65", "B66"]
    );
    assert_eq!(
        sorted(&one("bp1", "ACC-B8A")),
        ["B81", "B82", "B83", "B84", "B85", "B86"]
    );
    let t1 = one("bp2", "ACC-T1A");
    assert!(t1.contains("T1n6") && t1.contains("T11"), "{t1}");
    assert!(alerts_of(&fired, "bp2", "ACC-T2A").is_empty());
    assert!(alerts_of(&fired, "bp2", "ACC-T3A").is_empty());
    assert!(alerts_of(&fired, "bp2", "ACC-B1A").is_empty());
}

/// The shipped rules whose detector `keep` accepts, on the sample data: both engines'
/// `alerts.csv`, each rule alerting at least once.
fn shipped_on_sample_data(keep: fn(&Detector) -> bool, ids: &[&str]) {
    let set = RuleSet::load(&[]).unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<&Rule> = set
        .rules()
        .filter(|r| r.enabled && keep(&r.plan.detector))
        .collect();
    let found: Vec<&str> = rules.iter().map(|r| r.plan.rule_id.as_str()).collect();
    assert_eq!(found, ids);
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
fn the_shipped_split_merge_rules_give_the_same_alerts_csv_on_the_sample_data() {
    shipped_on_sample_data(
        |d| matches!(d, Detector::SplitMerge { .. }),
        &["scatter_gather", "gather_scatter"],
    );
}

#[test]
fn the_shipped_bipartite_rules_give_the_same_alerts_csv_on_the_sample_data() {
    shipped_on_sample_data(
        |d| matches!(d, Detector::Bipartite { .. }),
        &["bipartite_layer", "stacked_bipartite"],
    );
}
