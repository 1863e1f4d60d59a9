//! Plan predicates and subjects as Polars expressions.

use super::keys::{channel_code, BENE_KEY, CHANNEL_CODE, NO_ACCOUNT, ORIG_KEY};
use crate::model::Channel;
use crate::rules::plan::{Field, Predicate, SegmentSide, Subject};
use crate::rules::segments::{BENE_SEGMENT, ORIG_SEGMENT};
use polars::prelude::*;

/// Column names of the canonical frame that the engine relies on.
pub const TS: &str = "ts";
pub const BASE_AMOUNT: &str = "base_amount";
pub const ROW: &str = "row_nr";
pub const SUBJECT: &str = "subject";

/// Lists up to this long are tested value by value (see [`is_in_list`]).
const SHORT_LIST: usize = 8;

/// `column` is one of `values`. A short list (a few countries, branches) becomes equality
/// tests joined by `or`: Polars compares a text column with a literal by its 16-byte views,
/// while `is_in` hashes every row's text, which cost several times more at ten million rows.
fn is_in_list(column: &str, values: &[String]) -> Expr {
    if values.len() <= SHORT_LIST {
        return any_of(
            values
                .iter()
                .map(|value| col(column).eq(lit(value.as_str()))),
        );
    }
    let series = Series::new("list".into(), values);
    col(column).is_in(lit(series).implode(false), false)
}

/// The channel is one of `channels`, tested on the integer [`CHANNEL_CODE`] column.
fn channel_in(channels: &[Channel]) -> Expr {
    any_of(
        channels
            .iter()
            .map(|&c| col(CHANNEL_CODE).eq(lit(channel_code(c)))),
    )
}

/// The tests joined by `or` (false when there are none).
fn any_of(tests: impl Iterator<Item = Expr>) -> Expr {
    tests.reduce(|a, b| a.or(b)).unwrap_or_else(|| lit(false))
}

fn nonempty(column: &str) -> Expr {
    col(column).neq(lit(""))
}

/// One predicate as a boolean expression over the canonical frame.
pub fn predicate_expr(p: &Predicate) -> Expr {
    match p {
        Predicate::ChannelIn(channels) => channel_in(channels),
        Predicate::ChannelNotIn(channels) => channel_in(channels).not(),
        Predicate::BaseAmountAtLeast(m) => col(BASE_AMOUNT).gt_eq(lit(*m)),
        Predicate::BaseAmountBelow(m) => col(BASE_AMOUNT).lt(lit(*m)),
        Predicate::AmountMultipleOf(step) => (col("amount") % lit(*step)).eq(lit(0i64)),
        Predicate::FieldIn { field, values } => is_in_list(field.column(), values),
        Predicate::EitherCountryIn(values) => {
            is_in_list("orig_country", values).or(is_in_list("bene_country", values))
        }
        Predicate::CrossBorder(cross) => {
            let both = nonempty("orig_country").and(nonempty("bene_country"));
            let differ = col("orig_country").neq(col("bene_country"));
            if *cross {
                both.and(differ)
            } else {
                both.and(differ.not())
            }
        }
        Predicate::Present { field, present } => {
            // an account is present when it has a key: an integer test, not a text one
            let e = match field {
                Field::OrigAccount => col(ORIG_KEY).neq(lit(NO_ACCOUNT)),
                Field::BeneAccount => col(BENE_KEY).neq(lit(NO_ACCOUNT)),
                other => nonempty(other.column()),
            };
            if *present {
                e
            } else {
                e.not()
            }
        }
        Predicate::SegmentIn {
            side,
            segments,
            member,
        } => {
            let e = match side {
                SegmentSide::Originator => is_in_list(ORIG_SEGMENT, segments),
                SegmentSide::Beneficiary => is_in_list(BENE_SEGMENT, segments),
                SegmentSide::Account => when(col(BENE_KEY).neq(lit(NO_ACCOUNT)))
                    .then(is_in_list(BENE_SEGMENT, segments))
                    .otherwise(is_in_list(ORIG_SEGMENT, segments)),
            };
            if *member {
                e
            } else {
                e.not()
            }
        }
        Predicate::SamePerson(same) => {
            let eq = col("orig_name")
                .str()
                .to_lowercase()
                .eq(col("bene_name").str().to_lowercase())
                .and(nonempty("orig_name"));
            if *same {
                eq
            } else {
                eq.not()
            }
        }
    }
}

/// The conjunction of predicates (true when there are none).
pub fn filter_expr(predicates: &[Predicate]) -> Expr {
    predicates
        .iter()
        .map(predicate_expr)
        .reduce(|a, b| a.and(b))
        .unwrap_or_else(|| lit(true))
}

/// Splits predicates into the costly ones (comparing names case-insensitively), which run
/// row by row on the rows the others leave (see [`apply_costly`]), and the others.
pub fn split_costly(predicates: &[Predicate]) -> (Vec<Predicate>, Vec<Predicate>) {
    predicates
        .iter()
        .cloned()
        .partition(|p| matches!(p, Predicate::SamePerson(_)))
}

/// Narrows `narrowed` (already filtered by the cheap predicates) by the costly ones, row by row
/// (see [`same_person_mask`]).
pub fn apply_costly(narrowed: LazyFrame, costly: &[Predicate]) -> PolarsResult<LazyFrame> {
    if costly.is_empty() {
        return Ok(narrowed);
    }
    let mut frame = narrowed.collect()?;
    for predicate in costly {
        if let Predicate::SamePerson(same) = predicate {
            let mask = same_person_mask(&frame, *same)?;
            frame = frame.filter(&mask)?;
        }
    }
    Ok(frame.lazy())
}

/// [`Predicate::SamePerson`] row by row, with the meaning of its expression in
/// [`predicate_expr`] (lower-cased names equal and the originator's not empty; a missing name
/// matches neither way) but without building lower-cased copies of both columns: two ASCII
/// names are compared ignoring ASCII case, others by their full Unicode lower case.
fn same_person_mask(frame: &DataFrame, same: bool) -> PolarsResult<BooleanChunked> {
    let orig = frame.column("orig_name")?.str()?;
    let bene = frame.column("bene_name")?.str()?;
    Ok(orig
        .iter()
        .zip(bene.iter())
        .map(|pair| match pair {
            (Some(a), Some(b)) => same_person(a, b) == same,
            _ => false,
        })
        .collect())
}

/// Whether two present names are the same person: the originator's is not empty and their
/// lower cases are equal (two ASCII names compared ignoring ASCII case, others by their full
/// Unicode lower case).
pub fn same_person(orig: &str, bene: &str) -> bool {
    let lower_equal = if orig.is_ascii() && bene.is_ascii() {
        orig.eq_ignore_ascii_case(bene)
    } else {
        orig.to_lowercase() == bene.to_lowercase()
    };
    !orig.is_empty() && lower_equal
}

/// Adds a `subject` column (the account key, see [`super::keys`]) and drops rows without one.
/// [`Subject::Either`] yields each transaction twice, once for each side.
pub fn with_subject(lf: LazyFrame, subject: &Subject) -> PolarsResult<LazyFrame> {
    let side = |lf: LazyFrame, e: Expr| {
        lf.with_column(e.alias(SUBJECT))
            .filter(col(SUBJECT).neq(lit(NO_ACCOUNT)))
    };
    Ok(match subject {
        Subject::Originator => side(lf, col(ORIG_KEY)),
        Subject::Beneficiary => side(lf, col(BENE_KEY)),
        Subject::Account => side(
            lf,
            when(col(BENE_KEY).neq(lit(NO_ACCOUNT)))
                .then(col(BENE_KEY))
                .otherwise(col(ORIG_KEY)),
        ),
        Subject::OppositeOfCountryIn(values) => side(
            lf,
            when(is_in_list("bene_country", values))
                .then(col(ORIG_KEY))
                .otherwise(col(BENE_KEY)),
        ),
        Subject::Either => concat(
            [side(lf.clone(), col(ORIG_KEY)), side(lf, col(BENE_KEY))],
            UnionArgs::default(),
        )?,
    })
}

/// A polars duration of `micros` microseconds (negative for offsets), for the Polars
/// references that tests hold the one-pass windows to.
#[cfg(test)]
pub fn duration_us(micros: i64) -> Duration {
    Duration::parse(&format!("{micros}us"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_person_row_by_row_agrees_with_its_expression() {
        // ASCII case, Unicode case (final sigma, the Kelvin sign), empty and missing names
        let frame = df!(
            "orig_name" => [Some("Ann LEE"), Some("ÉLODIE ΟΔΟΣ"), Some("\u{212A}IM"), Some(""), None, Some("Bo"), Some("ΟΔΟΣ")],
            "bene_name" => [Some("ann lee"), Some("élodie οδος"), Some("kim"), Some(""), Some("x"), Some("Bob"), Some("οδοσ")],
        )
        .unwrap();
        for same in [true, false] {
            let by_expression = frame
                .clone()
                .lazy()
                .select([predicate_expr(&Predicate::SamePerson(same)).fill_null(lit(false))])
                .collect()
                .unwrap();
            let expected: Vec<bool> = by_expression.columns()[0]
                .bool()
                .unwrap()
                .iter()
                .map(|v| v == Some(true))
                .collect();
            let mask: Vec<bool> = same_person_mask(&frame, same)
                .unwrap()
                .iter()
                .map(|v| v == Some(true))
                .collect();
            assert_eq!(mask, expected, "same = {same}");
        }
        // the cases the table is built to show
        let same: Vec<bool> = same_person_mask(&frame, true)
            .unwrap()
            .iter()
            .map(|v| v == Some(true))
            .collect();
        assert_eq!(same, [true, true, true, false, false, false, false]);
    }
}
