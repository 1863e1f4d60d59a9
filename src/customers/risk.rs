//! Customer risk rating: "which of your customers are high risk, and why?"
//!
//! Every customer of the file gets a score from 0 to 100, the sum of the factors below (capped
//! at 100), and a level: `high` from 50, `medium` from 25, otherwise `low`. Each factor that
//! applies is written out with its points, so the rating explains itself. The factors follow
//! the risk categories of the FFIEC BSA/AML Examination Manual (customer, geography, products
//! and services) and FATF Recommendation 10 (ongoing due diligence, risk-based).
//!
//! | factor | points |
//! |---|---|
//! | residence or nationality on the FATF call-for-action list | 40 |
//! | … on the FATF increased-monitoring list | 20 |
//! | segment: `pep` 30, `msb` 25, `correspondent` 25, `cash_intensive_business` 15, `npo` 10, `business` 5 | as listed |
//! | cash: at least 50% of the money into its accounts came in cash (25%) | 15 (8) |
//! | cross-border: at least 50% of its money in and out crossed a border (20%) | 15 (8) |
//! | activity at least 3 times the monthly volume declared at onboarding | 15 |
//! | a sanctions match on the customer (name, birth date, identifiers) | 50 |
//! | a sanctions match on a counterparty of its accounts in this run (the customer's own name on its transactions is not one) | 30 |
//! | alerts of this run on its accounts (sanctions aside) | 5 each, at most 25 |
//!
//! Money figures are over the run's transactions (in nightly runs, the kept history and
//! tonight's); a customer without transactions is rated on what the file says. The case score
//! weighs a case's customers by their rating *without* the alert factors (the case already
//! counts its alerts, the customer's own sanctions match among them: it raises a
//! `customer_sanctions_match` alert): see [`CustomerRating::without_alerts`].

use super::{Customer, Customers};
use crate::model::{format_money_grouped, Alert, Typology};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// A score at or over this is `high`.
pub const HIGH: u32 = 50;
/// A score at or over this is `medium`.
pub const MEDIUM: u32 = 25;

/// One factor of a rating: its points and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskFactor {
    /// A short name: `country`, `segment`, `cash`, `cross_border`, `activity`, `sanctions`,
    /// `counterparty_sanctions`, `alerts`.
    pub factor: &'static str,
    pub points: u32,
    pub why: String,
}

/// One customer's rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRating {
    pub customer_id: String,
    pub name: String,
    pub segment: String,
    pub accounts: Vec<String>,
    pub factors: Vec<RiskFactor>,
}

impl CustomerRating {
    /// The score: the factors' points, at most 100.
    pub fn score(&self) -> u32 {
        self.factors.iter().map(|f| f.points).sum::<u32>().min(100)
    }

    /// `high`, `medium` or `low`.
    pub fn level(&self) -> &'static str {
        level(self.score())
    }

    /// The score without the factors that come from alerts (this run's alerts, its
    /// counterparty sanctions matches and the customer's own sanctions match, which raises a
    /// `customer_sanctions_match` alert), which a case already counts.
    pub fn without_alerts(&self) -> u32 {
        self.factors
            .iter()
            .filter(|f| !matches!(f.factor, "alerts" | "counterparty_sanctions" | "sanctions"))
            .map(|f| f.points)
            .sum::<u32>()
            .min(100)
    }
}

/// The level of a score.
pub fn level(score: u32) -> &'static str {
    if score >= HIGH {
        "high"
    } else if score >= MEDIUM {
        "medium"
    } else {
        "low"
    }
}

/// The FATF lists the geography factor reads: ISO alpha-2 codes.
#[derive(Debug, Clone, Default)]
pub struct CountryLists {
    pub call_for_action: BTreeSet<String>,
    pub increased_monitoring: BTreeSet<String>,
}

impl CountryLists {
    /// The lists `fatf_call_for_action` and `fatf_increased_monitoring` of the run's packs, or
    /// of the shipped packs when the run's have none.
    pub fn from_packs(set: &crate::rules::RuleSet) -> Self {
        let find = |packs: &[crate::rules::Pack], id: &str| -> Option<BTreeSet<String>> {
            packs
                .iter()
                .flat_map(|p| &p.lists)
                .find(|l| l.id == id)
                .map(|l| l.values.iter().cloned().collect())
        };
        // the shipped packs are loaded at most once, and only when a list is missing
        let shipped = std::cell::OnceCell::new();
        let pick = |id: &str| {
            find(&set.packs, id)
                .or_else(|| {
                    let packs = shipped.get_or_init(|| {
                        crate::rules::RuleSet::load(&[])
                            .map(|s| s.packs)
                            .unwrap_or_default()
                    });
                    find(packs, id)
                })
                .unwrap_or_default()
        };
        Self {
            call_for_action: pick("fatf_call_for_action"),
            increased_monitoring: pick("fatf_increased_monitoring"),
        }
    }
}

/// Money figures of one account over a run, in base-currency micros.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountActivity {
    pub money_in: i128,
    pub cash_in: i128,
    /// In and out.
    pub total: i128,
    pub cross_border: i128,
}

/// Each account's money in, cash in, money in and out, and money crossing a border (both
/// countries known and different), over a canonical frame; the frame's span in days (at least
/// 1) and its last UTC day (days since 1970).
pub fn account_activity(
    frame: &DataFrame,
) -> PolarsResult<(BTreeMap<String, AccountActivity>, i64, i64)> {
    let amount = || col("base_amount").cast(DataType::Int128);
    let cross = col("orig_country")
        .neq(lit(""))
        .and(col("bene_country").neq(lit("")))
        .and(col("orig_country").neq(col("bene_country")));
    let lf = frame.clone().lazy();
    let side = |account: &str, incoming: bool| {
        let cash = if incoming {
            when(col("channel").eq(lit("CASH")))
                .then(amount())
                .otherwise(lit(0).cast(DataType::Int128))
        } else {
            lit(0).cast(DataType::Int128)
        };
        lf.clone().filter(col(account).neq(lit(""))).select([
            col(account).alias("account"),
            if incoming {
                amount()
            } else {
                lit(0).cast(DataType::Int128)
            }
            .alias("money_in"),
            cash.alias("cash_in"),
            amount().alias("total"),
            when(cross.clone())
                .then(amount())
                .otherwise(lit(0).cast(DataType::Int128))
                .alias("cross_border"),
        ])
    };
    let sums = concat(
        [side("bene_account", true), side("orig_account", false)],
        UnionArgs::default(),
    )?
    .group_by([col("account")])
    .agg([
        col("money_in").sum(),
        col("cash_in").sum(),
        col("total").sum(),
        col("cross_border").sum(),
    ])
    .collect()?;
    let text = sums.column("account")?.str()?;
    let number = |name: &str| -> PolarsResult<Vec<i128>> {
        Ok(sums
            .column(name)?
            .i128()?
            .iter()
            .map(|v| v.unwrap_or(0))
            .collect())
    };
    let (money_in, cash_in, total, cross_border) = (
        number("money_in")?,
        number("cash_in")?,
        number("total")?,
        number("cross_border")?,
    );
    let mut out = BTreeMap::new();
    for (i, account) in text.iter().enumerate() {
        if let Some(account) = account {
            out.insert(
                account.to_string(),
                AccountActivity {
                    money_in: money_in[i],
                    cash_in: cash_in[i],
                    total: total[i],
                    cross_border: cross_border[i],
                },
            );
        }
    }
    let ts = frame.column("ts")?.cast(&DataType::Int64)?;
    let ts = ts.i64()?;
    let day = |t: i64| t.div_euclid(crate::rules::plan::DAY);
    let (span, last_day) = match (ts.min(), ts.max()) {
        (Some(a), Some(b)) => (day(b) - day(a) + 1, day(b)),
        _ => (1, 0),
    };
    Ok((out, span.max(1), last_day))
}

/// What the rating reads besides the customer file.
pub struct RatingInputs<'a> {
    pub lists: &'a CountryLists,
    pub activity: &'a BTreeMap<String, AccountActivity>,
    /// Days the run's transactions span.
    pub span_days: i64,
    /// The run's last UTC day (days since 1970): a customer onboarded within the run is
    /// measured from its onboarding.
    pub last_day: i64,
    /// The run's alerts (rules and sanctions).
    pub alerts: &'a [Alert],
    /// Sanctions matches on customers: customer id → the hit, described.
    pub customer_hits: &'a BTreeMap<String, String>,
}

/// Rates every customer, in `customer_id` order.
pub fn rate_customers(customers: &Customers, inputs: &RatingInputs<'_>) -> Vec<CustomerRating> {
    let mut alerts_by_account: AlertsByAccount<'_> = BTreeMap::new();
    // a customer's own sanctions match is its `sanctions` factor, not a counterparty's
    for alert in inputs
        .alerts
        .iter()
        .filter(|a| a.rule_id != crate::screening::CUSTOMER_SANCTIONS_RULE_ID)
    {
        let entry = alerts_by_account
            .entry(alert.subject_account.as_str())
            .or_default();
        if alert.typology == Typology::Sanctions {
            entry.2.push(alert);
        } else {
            entry.0 += 1;
            entry.1.insert(alert.rule_id.as_str());
        }
    }
    customers
        .list
        .iter()
        .map(|c| rate(c, inputs, &alerts_by_account))
        .collect()
}

/// Per account: its rule alerts' count and rules, and its sanctions alerts in alert order.
type AlertsByAccount<'a> = BTreeMap<&'a str, (u32, BTreeSet<&'a str>, Vec<&'a Alert>)>;

fn rate(c: &Customer, inputs: &RatingInputs<'_>, alerts: &AlertsByAccount<'_>) -> CustomerRating {
    let mut factors = Vec::new();
    let mut add = |factor, points, why: String| {
        factors.push(RiskFactor {
            factor,
            points,
            why,
        })
    };
    // geography: the worse list wins
    let places = [("residence", &c.country), ("nationality", &c.nationality)];
    let listed = |set: &BTreeSet<String>| {
        places
            .iter()
            .filter_map(|(what, code)| {
                code.as_ref()
                    .filter(|code| set.contains(*code))
                    .map(|code| format!("{what} {code}"))
            })
            .collect::<Vec<_>>()
    };
    let black = listed(&inputs.lists.call_for_action);
    let grey = listed(&inputs.lists.increased_monitoring);
    if !black.is_empty() {
        add(
            "country",
            40,
            format!("{}: FATF call for action", black.join(", ")),
        );
    } else if !grey.is_empty() {
        add(
            "country",
            20,
            format!("{}: FATF increased monitoring", grey.join(", ")),
        );
    }
    if let Some(segment) = &c.segment {
        let points = match segment.as_str() {
            "pep" => 30,
            "msb" | "correspondent" => 25,
            "cash_intensive_business" => 15,
            "npo" => 10,
            "business" => 5,
            _ => 0,
        };
        if points > 0 {
            add("segment", points, format!("segment {segment}"));
        }
    }
    let mut sum = AccountActivity::default();
    for account in &c.accounts {
        if let Some(a) = inputs.activity.get(account) {
            sum.money_in += a.money_in;
            sum.cash_in += a.cash_in;
            sum.total += a.total;
            sum.cross_border += a.cross_border;
        }
    }
    let percent = |part: i128, whole: i128| if whole > 0 { part * 100 / whole } else { 0 };
    let cash = percent(sum.cash_in, sum.money_in);
    if cash >= 50 {
        add("cash", 15, format!("{cash}% of the money in came in cash"));
    } else if cash >= 25 {
        add("cash", 8, format!("{cash}% of the money in came in cash"));
    }
    let cross = percent(sum.cross_border, sum.total);
    if cross >= 50 {
        add(
            "cross_border",
            15,
            format!("{cross}% of the money in and out crossed a border"),
        );
    } else if cross >= 20 {
        add(
            "cross_border",
            8,
            format!("{cross}% of the money in and out crossed a border"),
        );
    }
    if let Some(expected) = c.expected_monthly_volume {
        // the run's volume per 30 days (from the onboarding, for a customer onboarded within
        // the run), against the declared monthly volume, exactly
        let onboarded_day = c
            .onboarded
            .as_deref()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().timestamp().div_euclid(86_400));
        let days = onboarded_day.map_or(inputs.span_days, |on| {
            inputs.span_days.min(inputs.last_day - on + 1)
        });
        let span = i128::from(days.max(30));
        if sum.total * 30 >= 3 * i128::from(expected) * span {
            // to whole cents
            let monthly = sum.total * 30 / span / 10_000 * 10_000;
            add(
                "activity",
                15,
                format!(
                    "{} a month in and out, at least 3 times the {} declared",
                    format_money_grouped(monthly),
                    format_money_grouped(i128::from(expected))
                ),
            );
        }
    }
    if let Some(hit) = inputs.customer_hits.get(&c.customer_id) {
        add(
            "sanctions",
            50,
            format!("sanctions match on the customer: {hit}"),
        );
    }
    let mut counted = 0;
    let mut rules = BTreeSet::new();
    let mut counterparty: Option<&Alert> = None;
    // a sanctions alert on the customer's own name as its transactions write it is about the
    // customer (its `sanctions` factor), not a counterparty
    let own = super::name_key(&c.name);
    let is_own = |a: &Alert| {
        a.details
            .iter()
            .any(|(k, v)| k == "party_name" && super::name_key(v) == own)
    };
    for account in &c.accounts {
        if let Some((n, r, hits)) = alerts.get(account.as_str()) {
            counted += n;
            rules.extend(r.iter().copied());
            counterparty = counterparty.or(hits.iter().copied().find(|a| !is_own(a)));
        }
    }
    if let Some(hit) = counterparty {
        add(
            "counterparty_sanctions",
            30,
            format!("a counterparty matched a sanctions list ({})", hit.summary),
        );
    }
    if counted > 0 {
        add(
            "alerts",
            (5 * counted).min(25),
            format!(
                "{counted} alert{} of this run ({})",
                if counted == 1 { "" } else { "s" },
                rules.into_iter().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    CustomerRating {
        customer_id: c.customer_id.clone(),
        name: c.name.clone(),
        segment: c.segment.clone().unwrap_or_default(),
        accounts: c.accounts.clone(),
        factors,
    }
}

/// The first (strongest) sanctions match of each customer, described for its rating factor:
/// `OFAC-SDN 12345 "BIN LADIN, Usama" 0.97`.
pub fn hits_by_customer(hits: &[super::CustomerHit]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    // a quarantined row is not the customer of its id (it may repeat an accepted one's id)
    for h in hits.iter().filter(|h| !h.row_quarantined) {
        out.entry(h.customer_id.clone()).or_insert_with(|| {
            format!(
                "{} {} \"{}\" {:.2}",
                h.hit.list, h.hit.entry_id, h.hit.matched_name, h.hit.score
            )
        });
    }
    out
}

/// What the case score reads of the ratings: each account's riskiest customer (by the rating
/// without alerts; ties to the lowest customer id) and that rating.
pub fn case_weights(ratings: &[CustomerRating]) -> BTreeMap<String, (String, u32)> {
    let mut weights: BTreeMap<String, (String, u32)> = BTreeMap::new();
    for r in ratings {
        let rating = r.without_alerts();
        for account in &r.accounts {
            let candidate = (r.customer_id.clone(), rating);
            match weights.get(account) {
                Some((id, held)) if *held > rating || (*held == rating && *id <= r.customer_id) => {
                }
                _ => {
                    weights.insert(account.clone(), candidate);
                }
            }
        }
    }
    weights
}

/// Writes `customers_risk.csv`, highest score first (ties by customer id):
/// `customer_id,name,segment,accounts,score,level,factors` (factors as `why (+points)`,
/// `; `-joined).
pub fn write_risk_csv<W: std::io::Write>(w: W, ratings: &[CustomerRating]) -> csv::Result<()> {
    use crate::output::spreadsheet_safe;
    let mut sorted: Vec<&CustomerRating> = ratings.iter().collect();
    sorted.sort_by(|a, b| {
        b.score()
            .cmp(&a.score())
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "customer_id",
        "name",
        "segment",
        "accounts",
        "score",
        "level",
        "factors",
    ])?;
    for r in sorted {
        let factors = r
            .factors
            .iter()
            .map(|f| format!("{} (+{})", f.why, f.points))
            .collect::<Vec<_>>()
            .join("; ");
        out.write_record([
            &*spreadsheet_safe(&r.customer_id),
            &spreadsheet_safe(&r.name),
            &r.segment,
            &spreadsheet_safe(&r.accounts.join(";")),
            &r.score().to_string(),
            r.level(),
            &spreadsheet_safe(&factors),
        ])?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(segment: Option<&str>, country: Option<&str>, expected: Option<i64>) -> Customer {
        Customer {
            customer_id: "C1".into(),
            accounts: vec!["A1".into()],
            name: "Ann Bo".into(),
            kind: None,
            birth_date: None,
            nationality: None,
            country: country.map(str::to_string),
            id_numbers: vec![],
            segment: segment.map(str::to_string),
            expected_monthly_volume: expected,
            onboarded: None,
            row: 1,
        }
    }

    #[test]
    fn factors_add_up_and_explain_themselves() {
        let lists = CountryLists {
            call_for_action: ["KP".to_string()].into(),
            increased_monitoring: ["HT".to_string()].into(),
        };
        let unit = 1_000_000i128;
        let activity: BTreeMap<String, AccountActivity> = [(
            "A1".to_string(),
            AccountActivity {
                money_in: 100_000 * unit,
                cash_in: 50_000 * unit,
                total: 180_000 * unit,
                cross_border: 36_000 * unit,
            },
        )]
        .into();
        let alert = Alert {
            alert_id: "a".into(),
            rule_id: "structuring".into(),
            pack: "cash".into(),
            typology: Typology::Structuring,
            subject_account: "A1".into(),
            subject_name: String::new(),
            window_start: String::new(),
            window_end: String::new(),
            txn_count: 3,
            total_amount: "27000.00".into(),
            currency: "USD".into(),
            score: 70.0,
            txn_ids: Default::default(),
            summary: String::new(),
            severity: "high".into(),
            details: vec![],
        };
        let customers = Customers {
            list: vec![customer(Some("msb"), Some("HT"), Some(20_000_000_000))],
            ..Default::default()
        };
        let hits = BTreeMap::new();
        let inputs = RatingInputs {
            lists: &lists,
            activity: &activity,
            span_days: 90,
            last_day: 20_000,
            alerts: std::slice::from_ref(&alert),
            customer_hits: &hits,
        };
        let rated = rate_customers(&customers, &inputs);
        let r = &rated[0];
        let whys: Vec<(&str, u32, &str)> = r
            .factors
            .iter()
            .map(|f| (f.factor, f.points, f.why.as_str()))
            .collect();
        assert_eq!(
            whys,
            [
                ("country", 20, "residence HT: FATF increased monitoring"),
                ("segment", 25, "segment msb"),
                ("cash", 15, "50% of the money in came in cash"),
                (
                    "cross_border",
                    8,
                    "20% of the money in and out crossed a border"
                ),
                (
                    "activity",
                    15,
                    "60,000.00 a month in and out, at least 3 times the 20,000.00 declared"
                ),
                ("alerts", 5, "1 alert of this run (structuring)"),
            ]
        );
        assert_eq!(r.score(), 88);
        assert_eq!(r.level(), "high");
        assert_eq!(r.without_alerts(), 83);
        // a sanctions alert on the customer's own name is not a counterparty's; another name is
        let sanctions = |party: &str| Alert {
            rule_id: "sanctions_screening".into(),
            typology: Typology::Sanctions,
            details: vec![("party_name".into(), party.into())],
            ..alert.clone()
        };
        let counterparty_points = |alerts: &[Alert]| {
            let inputs = RatingInputs { alerts, ..inputs };
            rate_customers(&customers, &inputs)[0]
                .factors
                .iter()
                .filter(|f| f.factor == "counterparty_sanctions")
                .map(|f| f.points)
                .sum::<u32>()
        };
        let name = customers.list[0].name.clone();
        assert_eq!(
            counterparty_points(&[sanctions(&format!(" {} ", name.to_uppercase()))]),
            0
        );
        assert_eq!(counterparty_points(&[sanctions("Somebody Listed")]), 30);
        assert_eq!(
            counterparty_points(&[sanctions(&name), sanctions("Somebody Listed")]),
            30
        );
        // onboarded 10 days before the run's last day: measured over 30 days, not the 90
        let mut recent = customer(None, None, Some(20_000_000_000));
        recent.onboarded = Some("2024-09-25".into());
        let customers_recent = Customers {
            list: vec![recent],
            ..Default::default()
        };
        let rated = rate_customers(&customers_recent, &inputs);
        let activity: Vec<&str> = rated[0]
            .factors
            .iter()
            .filter(|f| f.factor == "activity")
            .map(|f| f.why.as_str())
            .collect();
        assert_eq!(
            activity,
            ["180,000.00 a month in and out, at least 3 times the 20,000.00 declared"]
        );
        // exactly 3 times the declared volume rates; one micro under does not
        let just_under = customer(None, None, Some(20_000_000_001));
        let customers = Customers {
            list: vec![just_under],
            ..Default::default()
        };
        let rated = rate_customers(&customers, &inputs);
        assert!(rated[0].factors.iter().all(|f| f.factor != "activity"));
        // a joint account weighs by its riskiest holder
        let joint = |id: &str, points: u32| CustomerRating {
            customer_id: id.into(),
            name: String::new(),
            segment: String::new(),
            accounts: vec!["J".into()],
            factors: vec![RiskFactor {
                factor: "segment",
                points,
                why: String::new(),
            }],
        };
        let weights = case_weights(&[joint("C1", 0), joint("C2", 30), joint("C3", 30)]);
        assert_eq!(weights["J"], ("C2".to_string(), 30));
        assert_eq!(level(24), "low");
        assert_eq!(level(25), "medium");
        assert_eq!(level(50), "high");
    }
}
