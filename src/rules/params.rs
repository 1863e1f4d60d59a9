//! Parameter value types for rule packs: money, durations and percentages, each parsed exactly
//! and rejected with a clear message when malformed.

use super::plan::{Micros, DAY, SECOND};
use crate::model::parse_money;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;

/// A money amount in micros, written as an integer (`10000`) or a decimal string (`"9999.99"`).
/// Floats are refused because they cannot represent cents exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money(pub i64);

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MoneyVisitor;
        impl Visitor<'_> for MoneyVisitor {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a money amount as an integer (10000) or a decimal string (\"9999.99\")",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
                if v < 0 {
                    return Err(E::custom(format!(
                        "money amount {v} is negative; expected 0 or more"
                    )));
                }
                v.checked_mul(crate::model::MICROS_PER_UNIT)
                    .map(Money)
                    .ok_or_else(|| E::custom("money amount too large"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
                self.visit_i64(i64::try_from(v).map_err(|_| E::custom("money amount too large"))?)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
                Err(E::custom(format!(
                    "money amount {v} is a float; write it as a string such as \"{v:.2}\" so it compares exactly"
                )))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
                if v.trim() == "0" {
                    return Ok(Money(0));
                }
                parse_money(v).map(Money).map_err(|_| {
                    E::custom(format!(
                        "`{v}` is not a positive decimal amount such as \"9999.99\""
                    ))
                })
            }
        }
        d.deserialize_any(MoneyVisitor)
    }
}

/// A positive duration written `30s`, `90m`, `48h`, `7d` or `2w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub Micros);

/// Parses `7d`, `48h`, `90m`, `30s`, `2w` (one number, one unit) into microseconds.
pub fn parse_duration(text: &str) -> Result<Micros, String> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!(
            "window `{t}` is negative; expected a positive duration such as \"7d\""
        ));
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{t}` is not a duration; expected a number and a unit such as \"7d\", \"48h\", \"30m\""))?;
    let unit_micros = match unit {
        "s" => SECOND,
        "m" => 60 * SECOND,
        "h" => 3600 * SECOND,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => {
            return Err(format!(
                "`{t}` has unit `{unit}`; expected s, m, h, d or w (\"7d\", \"48h\")"
            ))
        }
    };
    if n == 0 {
        return Err(format!(
            "window `{t}` is zero; expected a positive duration"
        ));
    }
    n.checked_mul(unit_micros)
        .ok_or_else(|| format!("duration `{t}` is too long"))
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text)
            .map(Duration)
            .map_err(de::Error::custom)
    }
}

/// A percentage from 0 to 100 (`80`, `62.5`), held in basis points so comparisons are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percent(pub i64);

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(d)?;
        if !(0.0..=100.0).contains(&value) {
            return Err(de::Error::custom(format!(
                "percentage {value} is outside 0..=100"
            )));
        }
        Ok(Percent((value * 100.0).round() as i64))
    }
}

/// A ratio such as a spike factor (`5`, `2.5`), held in basis points; must be positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Factor(pub i64);

impl<'de> Deserialize<'de> for Factor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(d)?;
        if !(value > 0.0 && value < 1.0e6) {
            return Err(de::Error::custom(format!(
                "factor {value} must be positive"
            )));
        }
        Ok(Factor((value * 10_000.0).round() as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d"), Ok(7 * DAY));
        assert_eq!(parse_duration("48h"), Ok(48 * 3600 * SECOND));
        assert!(parse_duration("-7d").unwrap_err().contains("negative"));
        assert!(parse_duration("7 days").is_err());
        assert!(parse_duration("0d").is_err());
    }
}
