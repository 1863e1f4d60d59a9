//! Foreign-exchange rates to the run's base currency, applied with exact integer arithmetic.

use super::IngestError;
use crate::model::MICROS_PER_UNIT;
use std::collections::BTreeMap;
use std::path::Path;

/// Rates are held with twelve decimal places: `0.0064` JMD→USD is `6_400_000_000`.
const RATE_SCALE: i128 = 1_000_000_000_000;

/// Conversion rates from transaction currencies to one base currency.
#[derive(Debug, Clone)]
pub struct FxTable {
    base: String,
    rates: BTreeMap<String, i128>,
}

impl FxTable {
    /// A table that only knows the base currency itself (rate 1).
    pub fn base_only(base: &str) -> FxTable {
        FxTable {
            base: base.to_ascii_uppercase(),
            rates: BTreeMap::new(),
        }
    }

    /// Reads `currency,rate_to_base` CSV. Each rate is a positive decimal with at most twelve
    /// decimals. The base currency's own rate, if listed, must be 1.
    pub fn load(path: &Path, base: &str) -> Result<FxTable, IngestError> {
        let mut table = FxTable::base_only(base);
        let bad = |line: usize, field: &str, expected: &str| IngestError::BadFxFile {
            file: path.display().to_string(),
            line,
            field: field.to_string(),
            expected: expected.to_string(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| IngestError::unreadable(path.display().to_string(), e))?;
        let headers = reader
            .headers()
            .map_err(|_| bad(1, "header", "currency,rate_to_base"))?;
        let cur_idx = headers.iter().position(|h| h == "currency");
        let rate_idx = headers.iter().position(|h| h == "rate_to_base");
        let (Some(cur_idx), Some(rate_idx)) = (cur_idx, rate_idx) else {
            return Err(bad(1, "header", "columns currency and rate_to_base"));
        };
        let mut first_line: std::collections::HashMap<String, usize> = Default::default();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let record = record.map_err(|_| bad(line, "row", "two CSV fields"))?;
            let currency = record.get(cur_idx).unwrap_or("").to_ascii_uppercase();
            if !super::codes::is_currency(&currency) {
                return Err(bad(line, "currency", "an ISO 4217 code such as JMD"));
            }
            let rate = parse_rate(record.get(rate_idx).unwrap_or(""))
                .ok_or_else(|| bad(line, "rate_to_base", "a positive decimal such as 0.0064"))?;
            if currency == table.base && rate != RATE_SCALE {
                return Err(bad(line, "rate_to_base", "1 for the base currency"));
            }
            // two rates for one currency: which one a run used would depend on row order
            let listed_before = first_line.insert(currency.clone(), line);
            if let Some(earlier) = listed_before {
                return Err(bad(
                    line,
                    "currency",
                    &format!(
                        "one rate per currency; {currency} is already listed on line {earlier}"
                    ),
                ));
            }
            table.rates.insert(currency, rate);
        }
        Ok(table)
    }

    /// The base currency code.
    /// Each listed currency's rate to the base currency, times 10^12 (exactly as read), in
    /// code order; the base currency is not listed unless the file lists it (at 1).
    pub fn scaled_rates(&self) -> impl Iterator<Item = (&str, i128)> + '_ {
        self.rates.iter().map(|(code, rate)| (code.as_str(), *rate))
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Converts an amount in micros of `currency` to micros of the base currency, rounding half
    /// away from zero. `None` when the currency has no rate or the result overflows.
    pub fn to_base(&self, currency: &str, micros: i64) -> Option<i64> {
        self.converter(currency)?.apply(micros)
    }

    /// The conversion of one currency, looked up once and applied to many amounts; `None` when
    /// the currency has no rate.
    pub fn converter(&self, currency: &str) -> Option<Converter> {
        if currency == self.base {
            return Some(Converter(None));
        }
        self.rates.get(currency).map(|rate| Converter(Some(*rate)))
    }
}

/// Converts amounts of one currency to the base currency (see [`FxTable::converter`]).
#[derive(Debug, Clone, Copy)]
pub struct Converter(Option<i128>);

impl Converter {
    /// Micros of the currency to micros of the base currency, rounding half away from zero;
    /// `None` when the result overflows.
    pub fn apply(self, micros: i64) -> Option<i64> {
        let Some(rate) = self.0 else {
            return Some(micros);
        };
        let product = i128::from(micros) * rate;
        let rounded = (product + RATE_SCALE / 2).div_euclid(RATE_SCALE);
        i64::try_from(rounded).ok()
    }
}

fn parse_rate(text: &str) -> Option<i128> {
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text, ""));
    if int_part.is_empty() && frac_part.is_empty() || frac_part.len() > 12 {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int_value: i128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let mut frac_value: i128 = if frac_part.is_empty() {
        0
    } else {
        frac_part.parse().ok()?
    };
    for _ in frac_part.len()..12 {
        frac_value *= 10;
    }
    let rate = int_value.checked_mul(RATE_SCALE)?.checked_add(frac_value)?;
    (rate > 0).then_some(rate)
}

const _: () = assert!(MICROS_PER_UNIT == 1_000_000);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_exactly_with_half_up_rounding() {
        let mut t = FxTable::base_only("USD");
        t.rates.insert("JMD".into(), parse_rate("0.0064").unwrap());
        // J$1,562,500.00 is exactly US$10,000.00
        assert_eq!(t.to_base("JMD", 1_562_500_000_000), Some(10_000_000_000));
        assert_eq!(t.to_base("USD", 5), Some(5));
        assert_eq!(t.to_base("EUR", 5), None);
        // 0.000078 JMD * 0.0064 = 0.0000004992 → rounds to 0 micros; 0.000079 → 0.0000005056 → 1
        assert_eq!(t.to_base("JMD", 78), Some(0));
        assert_eq!(t.to_base("JMD", 79), Some(1));
        assert_eq!(parse_rate("0"), None);
        assert_eq!(parse_rate("-1"), None);
        assert_eq!(parse_rate("1.5"), Some(1_500_000_000_000));
    }
}
