//! Segments: which kind of customer an account belongs to, so that a rule can judge it against
//! its peers instead of against everyone.
//!
//! A bank sets thresholds per customer segment: a grocery that banks its takings every day is
//! not judged by the deposits of a salaried person. A pack gives a rule a segment's own
//! parameters with a `[rule.segments.NAME]` table; the rule's subjects in that segment are then
//! judged by them, every other subject by `[rule.params]`.
//!
//! An account's segment is derived from its own history in the run (see [`derive`]): today one
//! behaviour profile, [`CASH_INTENSIVE_BUSINESS`]. A segment given by the run (a customer file,
//! a golden case's `segments`) takes precedence over the derived one.

use polars::prelude::*;
use std::collections::BTreeMap;

/// The segment column of the originating account, added to a run's frame when a rule has
/// segment parameters (`""`: no segment).
pub const ORIG_SEGMENT: &str = "orig_segment";
/// The segment column of the beneficiary account.
pub const BENE_SEGMENT: &str = "bene_segment";

/// A business whose takings are banked in cash most days: a shop, a restaurant, a money
/// service business, a petrol station.
pub const CASH_INTENSIVE_BUSINESS: &str = "cash_intensive_business";

/// The segments a pack may name: those a customer file may hold, and the derived ones.
pub const VOCABULARY: [&str; 8] = [
    "retail",
    "business",
    CASH_INTENSIVE_BUSINESS,
    "msb",
    "npo",
    "pep",
    "correspondent",
    "government",
];

/// An account is a [`CASH_INTENSIVE_BUSINESS`] when it received cash deposits on at least
/// this many distinct days…
pub const CASH_DAYS_MIN: i64 = 30;
/// …and on at least this share (percent) of the days from its first to its last transaction
/// in the run (a shop open six days a week deposits on about 85% of them, a person who banks
/// cash weekly on about 14%).
pub const CASH_DAYS_PERCENT: i64 = 40;

/// One account's segment and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSegment {
    pub segment: String,
    /// Why, for people: `derived: cash deposits on 182 of the 214 days it was active`.
    pub basis: String,
}

/// The segments of a run's accounts (an account of no segment is absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segments {
    by_account: BTreeMap<String, AccountSegment>,
}

impl Segments {
    /// Segments given by the run, each with its basis.
    pub fn given(assigned: impl IntoIterator<Item = (String, String, String)>) -> Self {
        Self {
            by_account: assigned
                .into_iter()
                .map(|(account, segment, basis)| (account, AccountSegment { segment, basis }))
                .collect(),
        }
    }

    /// The segment of an account.
    pub fn get(&self, account: &str) -> Option<&AccountSegment> {
        self.by_account.get(account)
    }

    /// Accounts with a segment, in account order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AccountSegment)> {
        self.by_account.iter().map(|(a, s)| (a.as_str(), s))
    }

    /// The number of accounts with a segment.
    pub fn len(&self) -> usize {
        self.by_account.len()
    }

    /// Whether no account has a segment.
    pub fn is_empty(&self) -> bool {
        self.by_account.is_empty()
    }

    /// These segments, with `derived` for the accounts they do not give.
    pub fn over(mut self, derived: Segments) -> Self {
        for (account, segment) in derived.by_account {
            self.by_account.entry(account).or_insert(segment);
        }
        self
    }
}

/// The segments derived from a canonical frame's transactions (UTC days): an account that
/// received cash (channel `CASH`, as beneficiary) on at least [`CASH_DAYS_MIN`] distinct days,
/// and on at least [`CASH_DAYS_PERCENT`]% of the days from its first to its last transaction on
/// either side, is a [`CASH_INTENSIVE_BUSINESS`]. The whole run is looked at (a nightly run's
/// kept history and tonight's file): a profile, not a window.
pub fn derive(frame: &DataFrame) -> PolarsResult<Segments> {
    // the UTC calendar day, as days since 1970 (a date's integer)
    let day = col("ts")
        .cast(DataType::Date)
        .cast(DataType::Int32)
        .cast(DataType::Int64)
        .alias("day");
    let lf = frame.clone().lazy();
    let side = |account: &str| {
        lf.clone()
            .select([col(account).alias("account"), day.clone()])
            .filter(col("account").neq(lit("")))
    };
    let active = concat(
        [side("orig_account"), side("bene_account")],
        UnionArgs::default(),
    )?
    .group_by([col("account")])
    .agg([
        col("day").min().alias("first"),
        col("day").max().alias("last"),
    ]);
    let cash = lf
        .filter(
            col("channel")
                .eq(lit("CASH"))
                .and(col("bene_account").neq(lit(""))),
        )
        .select([col("bene_account").alias("account"), day])
        .group_by([col("account")])
        .agg([col("day")
            .n_unique()
            .cast(DataType::Int64)
            .alias("cash_days")])
        .filter(col("cash_days").gt_eq(lit(CASH_DAYS_MIN)));
    let found = cash
        .join(
            active,
            [col("account")],
            [col("account")],
            JoinArgs::new(JoinType::Inner),
        )
        .with_column((col("last") - col("first") + lit(1i64)).alias("span"))
        .filter((col("cash_days") * lit(100i64)).gt_eq(col("span") * lit(CASH_DAYS_PERCENT)))
        .select([col("account"), col("cash_days"), col("span")])
        .collect()?;
    let accounts = found.column("account")?.str()?;
    let cash_days = found.column("cash_days")?.i64()?;
    let spans = found.column("span")?.cast(&DataType::Int64)?;
    let spans = spans.i64()?;
    let mut by_account = BTreeMap::new();
    for i in 0..found.height() {
        if let (Some(account), Some(days), Some(span)) =
            (accounts.get(i), cash_days.get(i), spans.get(i))
        {
            by_account.insert(
                account.to_string(),
                AccountSegment {
                    segment: CASH_INTENSIVE_BUSINESS.to_string(),
                    basis: format!(
                        "derived: cash deposits on {days} of the {span} days it was active"
                    ),
                },
            );
        }
    }
    Ok(Segments { by_account })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame of `(day, channel, orig, bene)` rows at noon UTC.
    fn frame(rows: &[(i64, &str, &str, &str)]) -> DataFrame {
        let ts: Vec<i64> = rows
            .iter()
            .map(|r| r.0 * crate::rules::plan::DAY + 12 * 3_600_000_000)
            .collect();
        df!(
            "ts" => ts,
            "channel" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "orig_account" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "bene_account" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        )
        .unwrap()
        .lazy()
        .with_column(col("ts").cast(DataType::Datetime(TimeUnit::Microseconds, None)))
        .collect()
        .unwrap()
    }

    #[test]
    fn a_shop_banking_most_days_is_cash_intensive_and_a_weekly_depositor_is_not() {
        let mut rows = Vec::new();
        // SHOP: cash on 30 of 75 days (exactly 40%), active from day 0 to day 74
        for d in 0..30 {
            rows.push((d * 2, "CASH", "", "SHOP"));
        }
        rows.push((74, "WIRE", "SHOP", "X"));
        // NEAR: cash on 30 of 76 days (39.5%)
        for d in 0..30 {
            rows.push((d * 2, "CASH", "", "NEAR"));
        }
        rows.push((75, "WIRE", "X", "NEAR"));
        // FEW: cash every day, but on 29 days only
        for d in 0..29 {
            rows.push((d, "CASH", "", "FEW"));
        }
        // TWICE: two deposits a day on 30 days count 30 days
        for d in 0..30 {
            rows.push((d, "CASH", "", "TWICE"));
            rows.push((d, "CASH", "", "TWICE"));
        }
        let found = derive(&frame(&rows)).unwrap();
        let names: Vec<&str> = found.iter().map(|(a, _)| a).collect();
        assert_eq!(names, ["SHOP", "TWICE"]);
        assert_eq!(
            found.get("SHOP").unwrap().basis,
            "derived: cash deposits on 30 of the 75 days it was active"
        );
    }

    #[test]
    fn given_segments_take_precedence_over_derived_ones() {
        let given = Segments::given([("A".into(), "msb".into(), "customer file".into())]);
        let derived = Segments::given([
            ("A".into(), CASH_INTENSIVE_BUSINESS.into(), "derived".into()),
            ("B".into(), CASH_INTENSIVE_BUSINESS.into(), "derived".into()),
        ]);
        let both = given.over(derived);
        assert_eq!(both.get("A").unwrap().segment, "msb");
        assert_eq!(both.get("B").unwrap().segment, CASH_INTENSIVE_BUSINESS);
    }
}
