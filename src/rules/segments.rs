//! Segments: which kind of customer an account belongs to, so that a rule can judge it against
//! its peers instead of against everyone.
//!
//! A bank sets thresholds per customer segment: a grocery that banks its takings every day is
//! not judged by the deposits of a salaried person. A pack gives a rule a segment's own
//! parameters with a `[rule.segments.NAME]` table; the rule's subjects in that segment are then
//! judged by them, every other subject by `[rule.params]`.
//!
//! An account's segment is derived from its own history in the run (see [`derived`]): today one
//! behaviour profile, [`CASH_INTENSIVE_BUSINESS`]. A segment given by the run (a customer file,
//! a golden case's `segments`) takes precedence over the derived one.

use std::collections::BTreeMap;

/// The segment of the originating account as a column, for the expression that states what
/// [`crate::rules::plan::Predicate::SegmentIn`] means (`""`: no segment); the Polars back end
/// tests the predicate by account keys instead.
pub const ORIG_SEGMENT: &str = "orig_segment";
/// The segment of the beneficiary account as a column (see [`ORIG_SEGMENT`]).
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

/// How much history a nightly run keeps for rules that use segments, so that an account's
/// cash days can be counted over the same span night after night (at least [`CASH_DAYS_MIN`]
/// days of cash over the days kept).
pub const PROFILE_HORIZON_DAYS: i64 = 90;

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

    /// Derived segments, by account.
    pub fn derived_from(found: impl IntoIterator<Item = (String, AccountSegment)>) -> Self {
        Self {
            by_account: found.into_iter().collect(),
        }
    }

    /// These segments, with `derived` for the accounts they do not give.
    pub fn over(mut self, derived: Segments) -> Self {
        for (account, segment) in derived.by_account {
            self.by_account.entry(account).or_insert(segment);
        }
        self
    }
}

/// The derived segment of an account that received cash on `cash_days` distinct UTC days,
/// active on `span_days` days (from its first to its last transaction on either side): a
/// [`CASH_INTENSIVE_BUSINESS`] when `cash_days >= CASH_DAYS_MIN` and
/// `cash_days × 100 >= span_days × CASH_DAYS_PERCENT`. The whole run is looked at (a nightly
/// run's kept history and tonight's file): a profile, not a window.
pub fn derived(cash_days: i64, span_days: i64) -> Option<AccountSegment> {
    (cash_days >= CASH_DAYS_MIN && cash_days * 100 >= span_days * CASH_DAYS_PERCENT).then(|| {
        AccountSegment {
            segment: CASH_INTENSIVE_BUSINESS.to_string(),
            basis: format!(
                "derived: cash deposits on {cash_days} of the {span_days} days it was active"
            ),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_cash_days_on_forty_percent_of_the_active_days_make_a_cash_intensive_business() {
        assert!(derived(30, 75).is_some());
        assert!(derived(30, 76).is_none(), "39.5%");
        assert!(derived(29, 29).is_none(), "too few days");
        assert_eq!(
            derived(30, 75).unwrap().basis,
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
