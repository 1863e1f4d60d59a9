//! `alerts.parquet`: the alerts table with `txn_ids` as a list column.

use crate::model::Alert;
use polars::prelude::*;

/// Encodes alerts as Parquet bytes, with the same columns as `alerts.csv`.
pub fn alerts_parquet(alerts: &[Alert]) -> PolarsResult<Vec<u8>> {
    let text = |name: &str, f: &dyn Fn(&Alert) -> String| -> Column {
        Column::new(name.into(), alerts.iter().map(f).collect::<Vec<String>>())
    };
    let txn_ids: Vec<Series> = alerts
        .iter()
        .map(|a| Series::new("".into(), a.txn_ids.clone()))
        .collect();
    let txn_ids = if txn_ids.is_empty() {
        Column::new_empty(
            "txn_ids".into(),
            &DataType::List(Box::new(DataType::String)),
        )
    } else {
        Column::new("txn_ids".into(), txn_ids)
    };
    let columns = vec![
        text("alert_id", &|a| a.alert_id.clone()),
        text("rule_id", &|a| a.rule_id.clone()),
        text("pack", &|a| a.pack.clone()),
        text("typology", &|a| a.typology.as_str().to_string()),
        text("subject_account", &|a| a.subject_account.clone()),
        text("subject_name", &|a| a.subject_name.clone()),
        text("window_start", &|a| a.window_start.clone()),
        text("window_end", &|a| a.window_end.clone()),
        Column::new(
            "txn_count".into(),
            alerts.iter().map(|a| a.txn_count).collect::<Vec<u64>>(),
        ),
        text("total_amount", &|a| a.total_amount.clone()),
        text("currency", &|a| a.currency.clone()),
        Column::new(
            "score".into(),
            alerts.iter().map(|a| a.score).collect::<Vec<f64>>(),
        ),
        txn_ids,
        text("summary", &|a| a.summary.clone()),
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
