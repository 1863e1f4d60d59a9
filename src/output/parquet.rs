//! `alerts.parquet`: the alerts table with `txn_ids` as a list column.

use crate::model::Alert;
use polars::prelude::*;

/// Encodes alerts as Parquet bytes, with the same columns as `alerts.csv`. The columns are
/// made from the alerts' text as it is (no copy of each value first: at 100M rows the alerts
/// cite millions of transactions).
pub fn alerts_parquet<A: std::borrow::Borrow<Alert>>(alerts: &[A]) -> PolarsResult<Vec<u8>> {
    let alerts: Vec<&Alert> = alerts.iter().map(|a| a.borrow()).collect();
    let alerts = alerts.as_slice();
    let text = |name: &str, f: &dyn Fn(&Alert) -> &str| -> Column {
        StringChunked::from_iter_values(name.into(), alerts.iter().map(|a| f(a))).into_column()
    };
    let txn_ids = if alerts.is_empty() {
        Column::new_empty(
            "txn_ids".into(),
            &DataType::List(Box::new(DataType::String)),
        )
    } else {
        let cited = alerts.iter().map(|a| a.txn_ids.len()).sum();
        let mut list = ListStringChunkedBuilder::new("txn_ids".into(), alerts.len(), cited);
        for alert in alerts {
            list.append_values_iter(alert.txn_ids.iter());
        }
        list.finish().into_column()
    };
    let columns = vec![
        text("alert_id", &|a| &a.alert_id),
        text("rule_id", &|a| &a.rule_id),
        text("pack", &|a| &a.pack),
        text("typology", &|a| a.typology.as_str()),
        text("subject_account", &|a| &a.subject_account),
        text("subject_name", &|a| &a.subject_name),
        text("window_start", &|a| &a.window_start),
        text("window_end", &|a| &a.window_end),
        Column::new(
            "txn_count".into(),
            alerts.iter().map(|a| a.txn_count).collect::<Vec<u64>>(),
        ),
        text("total_amount", &|a| &a.total_amount),
        text("currency", &|a| &a.currency),
        Column::new(
            "score".into(),
            alerts.iter().map(|a| a.score).collect::<Vec<f64>>(),
        ),
        txn_ids,
        text("summary", &|a| &a.summary),
    ];
    let mut frame = DataFrame::new(alerts.len(), columns)?;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut frame)?;
    Ok(bytes)
}

/// Encodes generated transactions as Parquet in the canonical input layout: `timestamp` as a
/// UTC datetime, `amount` as an exact decimal string, everything else as text. Broken rows of
/// a generated set (`raw_rows`) are CSV-only and not written here.
pub fn transactions_parquet(cols: &crate::synth::TxnColumns) -> PolarsResult<Vec<u8>> {
    let n = cols.len();
    let views: Vec<crate::synth::TxnView<'_>> = (0..n).map(|i| cols.view(i)).collect();
    let text = |name: &str, f: &dyn Fn(&crate::synth::TxnView<'_>) -> String| -> Column {
        Column::new(name.into(), views.iter().map(f).collect::<Vec<String>>())
    };
    let timestamp = Column::new(
        "timestamp".into(),
        views.iter().map(|v| v.timestamp).collect::<Vec<i64>>(),
    )
    .cast(&DataType::Datetime(TimeUnit::Microseconds, None))?;
    let columns = vec![
        text("txn_id", &|v| v.txn_id()),
        timestamp,
        text("amount", &|v| crate::model::format_money(v.amount)),
        text("currency", &|v| v.currency.to_string()),
        text("channel", &|v| v.channel.as_str().to_string()),
        text("orig_account", &|v| v.orig_account.to_string()),
        text("orig_name", &|v| v.orig_name.to_string()),
        text("orig_country", &|v| v.orig_country.to_string()),
        text("bene_account", &|v| v.bene_account.to_string()),
        text("bene_name", &|v| v.bene_name.to_string()),
        text("bene_country", &|v| v.bene_country.to_string()),
        text("branch", &|v| v.branch.to_string()),
    ];
    let mut frame = DataFrame::new(n, columns)?;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut frame)?;
    Ok(bytes)
}
