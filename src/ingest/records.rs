//! Conversions between the canonical Polars frame and plain [`TxnRecord`]s.

use crate::model::{format_money, format_timestamp, Channel, TxnRecord, CANONICAL_COLUMNS};
use polars::prelude::*;

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
    let text = |name: &str| -> PolarsResult<StringChunked> {
        Ok(frame.column(name)?.str()?.rechunk().into_owned())
    };
    let ints = |name: &str| -> PolarsResult<Int64Chunked> {
        let col = frame.column(name)?.cast(&DataType::Int64)?;
        Ok(col.i64()?.rechunk().into_owned())
    };
    let txn_id = text("txn_id")?;
    let ts = ints("ts")?;
    let amount = ints("amount")?;
    let base = ints("base_amount")?;
    let currency = text("currency")?;
    let channel = text("channel")?;
    // the party and branch columns: everything in the schema after `channel`
    let others: Vec<StringChunked> = CANONICAL_COLUMNS[5..]
        .iter()
        .map(|n| text(n))
        .collect::<PolarsResult<_>>()?;
    let s = |ca: &StringChunked, i: usize| ca.get(i).unwrap_or("").to_string();
    let (ts, amount, base) = (dense(&ts)?, dense(&amount)?, dense(&base)?);
    Ok((0..frame.height())
        .map(|i| TxnRecord {
            txn_id: s(&txn_id, i),
            timestamp: format_timestamp(ts[i]),
            amount: format_money(amount[i]),
            currency: s(&currency, i),
            amount_base: format_money(base[i]),
            channel: Channel::parse(channel.get(i).unwrap_or("")).unwrap_or(Channel::Other),
            orig_account: s(&others[0], i),
            orig_name: s(&others[1], i),
            orig_country: s(&others[2], i),
            bene_account: s(&others[3], i),
            bene_name: s(&others[4], i),
            bene_country: s(&others[5], i),
            branch: s(&others[6], i),
        })
        .collect())
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
