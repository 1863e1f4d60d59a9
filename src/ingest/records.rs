//! Conversions between the canonical Polars frame and plain [`TxnRecord`]s.

use crate::model::{format_money, format_timestamp, Channel, TxnRecord, CANONICAL_COLUMNS};
use polars::prelude::*;
use std::sync::Arc;

/// An empty frame with the canonical columns and types.
pub fn empty_frame() -> DataFrame {
    let text = |name: &str| Column::new_empty(name.into(), &DataType::String);
    let int = |name: &str| Column::new_empty(name.into(), &DataType::Int64);
    let columns = vec![
        text("txn_id"),
        Column::new_empty(
            "ts".into(),
            &DataType::Datetime(TimeUnit::Microseconds, None),
        ),
        int("amount"),
        text("currency"),
        int("base_amount"),
        text("channel"),
        text("orig_account"),
        text("orig_name"),
        text("orig_country"),
        text("bene_account"),
        text("bene_name"),
        text("bene_country"),
        text("branch"),
    ];
    DataFrame::new(0, columns).unwrap_or_else(|_| DataFrame::empty())
}

/// Converts every row of a canonical frame into records, in frame order.
pub fn frame_to_records(frame: &DataFrame) -> PolarsResult<Vec<TxnRecord>> {
    records_of(frame, |record| record)
}

/// [`frame_to_records`], each record made shareable as it is made (a list of records moved
/// into shared ones afterwards held both at once).
pub fn frame_to_shared_records(frame: &DataFrame) -> PolarsResult<Vec<Arc<TxnRecord>>> {
    records_of(frame, Arc::new)
}

/// Every row of a canonical frame as a record, in frame order, each passed through `wrap`.
fn records_of<T>(frame: &DataFrame, wrap: impl Fn(TxnRecord) -> T) -> PolarsResult<Vec<T>> {
    let mut records = Vec::with_capacity(frame.height());
    for_each_record(frame, |record| {
        records.push(wrap(record));
        Ok(())
    })?;
    Ok(records)
}

/// Every row of a canonical frame as a record, in frame order, handed to `take` one at a time
/// (none is kept here: a caller that writes them elsewhere holds one at a time). The columns
/// are read in order, chunk by chunk, so a frame of many chunks is not copied into one.
pub fn for_each_record(
    frame: &DataFrame,
    mut take: impl FnMut(TxnRecord) -> PolarsResult<()>,
) -> PolarsResult<()> {
    let text = |name: &str| -> PolarsResult<&StringChunked> { frame.column(name)?.str() };
    let ints = |name: &str| -> PolarsResult<Vec<i64>> {
        let col = frame.column(name)?.cast(&DataType::Int64)?;
        dense(col.i64()?)
    };
    let (ts, amount, base) = (ints("ts")?, ints("amount")?, ints("base_amount")?);
    let mut txn_id = text("txn_id")?.iter();
    let mut currency = text("currency")?.iter();
    let mut channel = text("channel")?.iter();
    // the party and branch columns: everything in the schema after `channel`
    let others: Vec<&StringChunked> = CANONICAL_COLUMNS[5..]
        .iter()
        .map(|n| text(n))
        .collect::<PolarsResult<_>>()?;
    let mut others: Vec<_> = others.iter().map(|ca| ca.iter()).collect();
    let next = |column: &mut dyn Iterator<Item = Option<&str>>| {
        column.next().flatten().unwrap_or("").to_string()
    };
    for i in 0..frame.height() {
        let record = TxnRecord {
            txn_id: next(&mut txn_id),
            timestamp: format_timestamp(ts[i]),
            amount: format_money(amount[i]),
            currency: next(&mut currency),
            amount_base: format_money(base[i]),
            channel: Channel::parse(channel.next().flatten().unwrap_or(""))
                .unwrap_or(Channel::Other),
            orig_account: next(&mut others[0]),
            orig_name: next(&mut others[1]),
            orig_country: next(&mut others[2]),
            bene_account: next(&mut others[3]),
            bene_name: next(&mut others[4]),
            bene_country: next(&mut others[5]),
            branch: next(&mut others[6]),
        };
        take(record)?;
    }
    Ok(())
}

/// The values of a numeric column that cannot hold nulls (one this program built): a null is an
/// error naming the column, never a zero.
pub fn dense<T>(ca: &ChunkedArray<T>) -> PolarsResult<Vec<T::Native>>
where
    T: PolarsNumericType,
{
    if ca.null_count() > 0 {
        return Err(PolarsError::ComputeError(
            format!(
                "column `{}` has {} missing values where none can be",
                ca.name(),
                ca.null_count()
            )
            .into(),
        ));
    }
    Ok(ca.into_no_null_iter().collect())
}
