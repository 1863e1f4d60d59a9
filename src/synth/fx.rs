//! Exchange rates to the base currency (USD) used by the background rows, and `fx.csv`.

use super::SynthError;
use crate::model::{format_money, MICROS_PER_UNIT};
use serde::{Deserialize, Serialize};
use std::io::Write;

/// The base currency of every rule threshold.
pub const BASE_CURRENCY: &str = "USD";

/// One row of `fx.csv`: how many base units one unit of `currency` is worth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxRate {
    /// ISO 4217 code.
    pub currency: String,
    /// Value of one unit in base currency, in micros (`0.0064` is 6,400).
    pub rate_to_base_micros: i64,
}

/// The fixed rates the generator uses (JMD, TTD, XCD, EUR and USD itself), sorted by code.
pub fn default_rates() -> Vec<FxRate> {
    [
        ("EUR", 1_080_000),
        ("JMD", 6_400),
        ("TTD", 147_000),
        ("USD", MICROS_PER_UNIT),
        ("XCD", 370_000),
    ]
    .into_iter()
    .map(|(c, r)| FxRate {
        currency: c.to_string(),
        rate_to_base_micros: r,
    })
    .collect()
}

/// Converts an amount in micros of `currency` to micros of the base currency (rounded half up),
/// or `None` when the currency has no rate.
pub fn to_base(rates: &[FxRate], currency: &str, micros: i64) -> Option<i64> {
    let rate = rates
        .iter()
        .find(|r| r.currency == currency)?
        .rate_to_base_micros;
    let product = i128::from(micros) * i128::from(rate);
    let half = i128::from(MICROS_PER_UNIT / 2);
    Some(((product + half) / i128::from(MICROS_PER_UNIT)) as i64)
}

/// Writes `fx.csv` (`currency,rate_to_base`).
pub fn write_fx_csv<W: Write>(w: W, rates: &[FxRate]) -> Result<(), SynthError> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["currency", "rate_to_base"])?;
    for rate in rates {
        let text = format_money(rate.rate_to_base_micros);
        out.write_record([rate.currency.as_str(), text.as_str()])?;
    }
    out.flush()?;
    Ok(())
}
