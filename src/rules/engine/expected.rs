//! Activity against the customer's declared monthly volume (see
//! [`crate::rules::plan::Detector::ExpectedActivity`]): one pass over each subject's selected
//! rows in time order, with a trailing window closed at both ends.

use super::exprs::{BASE_AMOUNT, SUBJECT, TS};
use super::keys::Accounts;
use super::Hit;
use crate::ingest::dense;
use crate::model::format_money_grouped;
use crate::rules::plan::{Micros, DAY};
use polars::prelude::*;

/// What an expected-activity search asks.
pub struct ExpectedLimits {
    pub window: Micros,
    pub factor_basis_points: i64,
    pub min_volume: i64,
}

/// The windows whose volume is at least the factor times the subject's expected monthly volume
/// scaled to the window (and at least the minimum). `rows` has `subject`, `ts` and
/// `base_amount`; `expected` gives each account key's declared monthly volume (micros).
pub fn expected_activity(
    rows: &DataFrame,
    expected: &dyn Fn(u32) -> Option<i64>,
    limits: &ExpectedLimits,
    accounts: &Accounts,
) -> PolarsResult<Vec<Hit>> {
    let sorted = rows.sort([SUBJECT, TS], SortMultipleOptions::default())?;
    let subjects = dense(sorted.column(SUBJECT)?.u32()?)?;
    let ts = sorted.column(TS)?.cast(&DataType::Int64)?;
    let ts = dense(ts.i64()?)?;
    let amounts = dense(sorted.column(BASE_AMOUNT)?.i64()?)?;
    let window = i128::from(limits.window);
    let mut hits = Vec::new();
    let mut start = 0;
    while start < subjects.len() {
        let subject = subjects[start];
        let end = start
            + subjects[start..]
                .iter()
                .take_while(|&&s| s == subject)
                .count();
        if let Some(declared) = expected(subject).filter(|&v| v > 0) {
            let mut sum: i128 = 0;
            let mut first = start;
            let mut i = start;
            while i < end {
                // every row at this instant is in the window that ends at it
                let t = ts[i];
                while i < end && ts[i] == t {
                    sum += i128::from(amounts[i]);
                    i += 1;
                }
                while ts[first] < t - limits.window {
                    sum -= i128::from(amounts[first]);
                    first += 1;
                }
                let meets = sum >= i128::from(limits.min_volume)
                    && sum * i128::from(30 * DAY) * 10_000
                        >= i128::from(limits.factor_basis_points) * i128::from(declared) * window;
                if meets {
                    hits.push(Hit {
                        subject: accounts.name(subject).to_string(),
                        start: ts[first],
                        end: t,
                        rows: None,
                        facts: vec![("expected", format_money_grouped(i128::from(declared)))],
                    });
                }
            }
        }
        start = end;
    }
    Ok(hits)
}
