//! `amlscreen inspect`: what a nightly run would see, without running rules.

use crate::ingest::{self, source};
use crate::model::{format_money_grouped, format_timestamp};
use crate::pipeline::{ingest_options, RunConfig, RunError};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Reads the inputs as `run` would and describes them: detected format and columns, row
/// counts, the date range, amounts, channels, and the quarantine by reason.
pub fn inspect(config: &RunConfig) -> Result<String, RunError> {
    let base = config
        .base_currency
        .clone()
        .unwrap_or_else(|| "USD".to_string());
    let options = ingest_options(config, &base)?;
    if let crate::engine::Engine::Spark(target) = &config.engine {
        return inspect_on_spark(target, config, &options);
    }
    let mut out = String::new();
    let paths = source::expand_inputs(&config.inputs)?;
    for path in &paths {
        let raw = source::read_raw(path, options.effective_delimiter())?;
        let _ = writeln!(
            out,
            "{} ({}): {} rows",
            path.display(),
            raw.format.as_str(),
            raw.frame.height() + raw.malformed.len()
        );
        if !raw.malformed.is_empty() {
            let _ = writeln!(
                out,
                "  malformed records (quarantined as malformed_row): {}",
                raw.malformed.len()
            );
        }
        let columns: Vec<String> = raw
            .frame
            .columns()
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}:{}[{}]", i + 1, c.name(), c.dtype()))
            .collect();
        let _ = writeln!(out, "  columns: {}", columns.join(", "));
    }
    let ingested = ingest::ingest(&config.inputs, &options, &mut Default::default())?;
    let frame = &ingested.frame;
    let polars_err = |e: PolarsError| RunError::Other(e.to_string());
    for input in &ingested.inputs {
        let _ = writeln!(
            out,
            "{}: read {}, accepted {}, quarantined {}",
            input.path, input.rows_read, input.rows_accepted, input.rows_quarantined
        );
        for (reason, n) in &input.quarantined_by_reason {
            let _ = writeln!(out, "  quarantined {reason}: {n}");
        }
        if input.rows_with_replaced_bytes > 0 {
            let _ = writeln!(
                out,
                "  rows with undecodable bytes replaced: {}",
                input.rows_with_replaced_bytes
            );
        }
    }
    if frame.height() > 0 {
        let ts = frame
            .column("ts")
            .map_err(polars_err)?
            .cast(&DataType::Int64)
            .map_err(polars_err)?;
        let ts = ts.i64().map_err(polars_err)?;
        let amounts = frame
            .column("base_amount")
            .map_err(polars_err)?
            .i64()
            .map_err(polars_err)?
            .clone();
        let _ = writeln!(
            out,
            "date range: {} to {}",
            format_timestamp(ts.min().unwrap_or(0)),
            format_timestamp(ts.max().unwrap_or(0))
        );
        let _ = writeln!(
            out,
            "amounts in {base}: total {}, largest {}",
            // summed as i128: a sum of valid amounts can exceed i64
            format_money_grouped(amounts.into_no_null_iter().map(i128::from).sum::<i128>()),
            format_money_grouped(amounts.max().unwrap_or(0))
        );
        let mut channels: BTreeMap<&str, usize> = BTreeMap::new();
        let ch = frame
            .column("channel")
            .map_err(polars_err)?
            .str()
            .map_err(polars_err)?
            .clone();
        for c in ch.iter().flatten() {
            *channels.entry(c).or_default() += 1;
        }
        let list: Vec<String> = channels.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(out, "channels: {}", list.join(", "));
    }
    let _ = writeln!(
        out,
        "total: {} rows read, {} accepted, {} quarantined",
        ingested.inputs.iter().map(|i| i.rows_read).sum::<u64>(),
        frame.height(),
        ingested.quarantine.len()
    );
    Ok(out)
}

/// `inspect --engine spark` (see [`crate::spark::inspect`]).
#[cfg(feature = "spark")]
fn inspect_on_spark(
    target: &crate::engine::SparkTarget,
    config: &RunConfig,
    options: &ingest::IngestOptions,
) -> Result<String, RunError> {
    Ok(crate::spark::inspect(target, config, options)?)
}

/// Without the `spark` feature, a Spark engine cannot have been chosen through the command
/// line; a library caller that builds one is told how to get it.
#[cfg(not(feature = "spark"))]
fn inspect_on_spark(
    _: &crate::engine::SparkTarget,
    _: &RunConfig,
    _: &ingest::IngestOptions,
) -> Result<String, RunError> {
    Err(RunError::Other(
        crate::engine::EngineError::NotBuilt.to_string(),
    ))
}
