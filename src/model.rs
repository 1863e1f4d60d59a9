//! Plain data types shared by every stage of the pipeline: money, channels, typologies, canonical
//! transaction records, alerts and cases. Nothing here depends on Polars, so the watchlist, case and
//! report code can use these types without pulling in a dataframe engine.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Money is held as a whole number of millionths of a currency unit ("micros").
///
/// Six decimal places cover every ISO 4217 minor unit (at most 3) and crypto amounts such as
/// `0.011` BTC, and keep threshold comparisons exact: `10000.00` is `10_000_000_000` micros and
/// meets a `10000` threshold, while `9999.99` does not.
pub const MICROS_PER_UNIT: i64 = 1_000_000;

/// Why an amount string was not accepted by [`parse_money`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    /// Not a plain decimal number (letters, several points, more than 6 decimals, too large).
    Malformed,
    /// Zero or negative.
    NotPositive,
}

/// Parses a plain decimal string (`"9999.99"`, `"10000"`, `"1,250.50"`, `"0.011"`) into micros.
///
/// Accepts an optional leading sign, ASCII digits, `,` thousands separators before the point and
/// at most six decimals. Anything else is [`MoneyError::Malformed`]. A value of zero or below is
/// [`MoneyError::NotPositive`].
pub fn parse_money(text: &str) -> Result<i64, MoneyError> {
    if let Some(parsed) = parse_plain_money(text.as_bytes()) {
        return parsed;
    }
    parse_money_general(text)
}

/// The common case in one pass: digits with at most one point, at most 12 digits before it and
/// 6 after, at least one digit, nothing else. `None` for anything else (the general parser
/// decides); where it answers, it answers as the general parser does (a test holds it to that).
pub(crate) fn parse_plain_money(bytes: &[u8]) -> Option<Result<i64, MoneyError>> {
    let (mut units, mut fraction) = (0i64, 0i64);
    let (mut unit_digits, mut fraction_digits, mut point) = (0u32, 0u32, false);
    for &b in bytes {
        match b {
            b'0'..=b'9' if point => {
                fraction = fraction * 10 + i64::from(b - b'0');
                fraction_digits += 1;
            }
            b'0'..=b'9' => {
                units = units * 10 + i64::from(b - b'0');
                unit_digits += 1;
            }
            b'.' if !point => point = true,
            _ => return None,
        }
        if unit_digits > 12 || fraction_digits > 6 {
            return None;
        }
    }
    if unit_digits + fraction_digits == 0 {
        return None;
    }
    // micros per unit of the last fraction digit, by number of fraction digits
    const FRACTION_SCALE: [i64; 7] = [1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];
    let total = units * MICROS_PER_UNIT + fraction * FRACTION_SCALE[fraction_digits as usize];
    Some(if total == 0 {
        Err(MoneyError::NotPositive)
    } else {
        Ok(total)
    })
}

fn parse_money_general(text: &str) -> Result<i64, MoneyError> {
    let s = text.trim();
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if (int_part.is_empty() && frac_part.is_empty()) || frac_part.len() > 6 {
        return Err(MoneyError::Malformed);
    }
    if int_part.contains(',') {
        // thousands separators only: 1-3 digits, then groups of exactly three
        let mut groups = int_part.split(',');
        let first = groups.next().unwrap_or("");
        if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
            return Err(MoneyError::Malformed);
        }
    }
    let mut units: i64 = 0;
    for b in int_part.bytes().filter(|b| *b != b',') {
        if !b.is_ascii_digit() {
            return Err(MoneyError::Malformed);
        }
        units = units
            .checked_mul(10)
            .and_then(|u| u.checked_add(i64::from(b - b'0')))
            .ok_or(MoneyError::Malformed)?;
    }
    let mut micros_frac: i64 = 0;
    for (i, b) in frac_part.bytes().enumerate() {
        if !b.is_ascii_digit() {
            return Err(MoneyError::Malformed);
        }
        micros_frac += i64::from(b - b'0') * 10_i64.pow(5 - i as u32);
    }
    let total = units
        .checked_mul(MICROS_PER_UNIT)
        .and_then(|u| u.checked_add(micros_frac))
        .ok_or(MoneyError::Malformed)?;
    if negative || total == 0 {
        return Err(MoneyError::NotPositive);
    }
    Ok(total)
}

/// Formats micros as a plain decimal with at least two decimals: `10000.00`, `0.011`, `12.5`→`12.50`.
///
/// Takes any integer up to `i128`, so that sums of many `i64` amounts are formatted exactly.
pub fn format_money(micros: impl Into<i128>) -> String {
    let micros: i128 = micros.into();
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    let units = abs / MICROS_PER_UNIT as u128;
    let frac = abs % MICROS_PER_UNIT as u128;
    let mut frac_text = format!("{frac:06}");
    while frac_text.len() > 2 && frac_text.ends_with('0') {
        frac_text.pop();
    }
    format!("{sign}{units}.{frac_text}")
}

/// Formats micros for people: thousands separators and at least two decimals (`9,120.00`).
pub fn format_money_grouped(micros: impl Into<i128>) -> String {
    let plain = format_money(micros);
    let (sign, rest) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |r| ("-", r));
    let (int_part, frac_part) = rest.split_once('.').unwrap_or((rest, "00"));
    let mut grouped = String::with_capacity(int_part.len() + int_part.len() / 3);
    for (i, ch) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{frac_part}")
}

/// Microseconds since the Unix epoch, UTC. All timestamps in the pipeline use this unit.
pub type TimestampMicros = i64;

/// Formats a UTC timestamp as ISO 8601 with a `Z` suffix, to the second (`2026-03-01T14:22:05Z`),
/// adding a fraction only when it is not zero.
pub fn format_timestamp(ts: TimestampMicros) -> String {
    let secs = ts.div_euclid(1_000_000);
    let micros = ts.rem_euclid(1_000_000);
    match chrono::DateTime::from_timestamp(secs, (micros * 1000) as u32) {
        Some(dt) if micros == 0 => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        None => ts.to_string(),
    }
}

/// How a transaction was conducted. Input is case-insensitive; output is upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Channel {
    Cash,
    Wire,
    Ach,
    Cheque,
    Card,
    Mobile,
    Crypto,
    Internal,
    Other,
}

impl Channel {
    /// Every channel, in canonical order.
    pub const ALL: [Channel; 9] = [
        Channel::Cash,
        Channel::Wire,
        Channel::Ach,
        Channel::Cheque,
        Channel::Card,
        Channel::Mobile,
        Channel::Crypto,
        Channel::Internal,
        Channel::Other,
    ];

    /// The canonical upper-case code, as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Cash => "CASH",
            Channel::Wire => "WIRE",
            Channel::Ach => "ACH",
            Channel::Cheque => "CHEQUE",
            Channel::Card => "CARD",
            Channel::Mobile => "MOBILE",
            Channel::Crypto => "CRYPTO",
            Channel::Internal => "INTERNAL",
            Channel::Other => "OTHER",
        }
    }

    /// Parses a channel code case-insensitively (`cash`, `Wire`, `CHEQUE`).
    pub fn parse(text: &str) -> Option<Channel> {
        let t = text.trim();
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(t))
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The typology vocabulary used in the `typology` column of alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Typology {
    CashThreshold,
    CashAggregation,
    Structuring,
    Smurfing,
    BulkCash,
    RapidMovement,
    FanIn,
    FanOut,
    Cycle,
    HighRiskGeography,
    RoundAmounts,
    DormantReactivation,
    VelocitySpike,
    BehaviourChange,
    Sanctions,
    LayeringChain,
    ScatterGather,
    GatherScatter,
    RoundTripping,
    Bipartite,
    StackedBipartite,
}

impl Typology {
    /// Every typology, in vocabulary order.
    pub const ALL: [Typology; 21] = [
        Typology::CashThreshold,
        Typology::CashAggregation,
        Typology::Structuring,
        Typology::Smurfing,
        Typology::BulkCash,
        Typology::RapidMovement,
        Typology::FanIn,
        Typology::FanOut,
        Typology::Cycle,
        Typology::HighRiskGeography,
        Typology::RoundAmounts,
        Typology::DormantReactivation,
        Typology::VelocitySpike,
        Typology::BehaviourChange,
        Typology::Sanctions,
        Typology::LayeringChain,
        Typology::ScatterGather,
        Typology::GatherScatter,
        Typology::RoundTripping,
        Typology::Bipartite,
        Typology::StackedBipartite,
    ];

    /// The snake_case code used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Typology::CashThreshold => "cash_threshold",
            Typology::CashAggregation => "cash_aggregation",
            Typology::Structuring => "structuring",
            Typology::Smurfing => "smurfing",
            Typology::BulkCash => "bulk_cash",
            Typology::RapidMovement => "rapid_movement",
            Typology::FanIn => "fan_in",
            Typology::FanOut => "fan_out",
            Typology::Cycle => "cycle",
            Typology::HighRiskGeography => "high_risk_geography",
            Typology::RoundAmounts => "round_amounts",
            Typology::DormantReactivation => "dormant_reactivation",
            Typology::VelocitySpike => "velocity_spike",
            Typology::BehaviourChange => "behaviour_change",
            Typology::Sanctions => "sanctions",
            Typology::LayeringChain => "layering_chain",
            Typology::ScatterGather => "scatter_gather",
            Typology::GatherScatter => "gather_scatter",
            Typology::RoundTripping => "round_tripping",
            Typology::Bipartite => "bipartite",
            Typology::StackedBipartite => "stacked_bipartite",
        }
    }

    /// Parses a snake_case typology code.
    pub fn parse(text: &str) -> Option<Typology> {
        Typology::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// A short human label ("cash structuring" style) for reports and narratives.
    pub fn label(self) -> &'static str {
        match self {
            Typology::CashThreshold => "large cash transaction",
            Typology::CashAggregation => "aggregated cash",
            Typology::Structuring => "structuring",
            Typology::Smurfing => "smurfing",
            Typology::BulkCash => "bulk cash placement then transfer",
            Typology::RapidMovement => "rapid movement of funds",
            Typology::FanIn => "fan-in",
            Typology::FanOut => "fan-out",
            Typology::Cycle => "circular funds flow",
            Typology::HighRiskGeography => "high-risk geography",
            Typology::RoundAmounts => "round amounts",
            Typology::DormantReactivation => "dormant account reactivation",
            Typology::VelocitySpike => "velocity spike",
            Typology::BehaviourChange => "change against the account's own history",
            Typology::Sanctions => "sanctions name match",
            Typology::LayeringChain => "layering chain",
            Typology::ScatterGather => "scatter-gather",
            Typology::GatherScatter => "gather-scatter",
            Typology::RoundTripping => "round-tripping through an offshore party",
            Typology::Bipartite => "bipartite layering",
            Typology::StackedBipartite => "stacked bipartite layering",
        }
    }
}

impl fmt::Display for Typology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The canonical transaction columns, in schema order (the CSV header users write).
pub const CANONICAL_COLUMNS: [&str; 12] = [
    "txn_id",
    "timestamp",
    "amount",
    "currency",
    "channel",
    "orig_account",
    "orig_name",
    "orig_country",
    "bene_account",
    "bene_name",
    "bene_country",
    "branch",
];

/// Why a row was quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuarantineReason {
    /// A CSV record that cannot be read as a row: a wrong field count, a quote never closed or
    /// text after a closing quote, a NUL byte. `value` says which line and what is wrong.
    MalformedRow,
    MissingRequired,
    BadTimestamp,
    BadAmount,
    NonPositiveAmount,
    UnknownChannel,
    BadCurrency,
    BadCountry,
    DuplicateTxnId,
    NoFxRate,
}

impl QuarantineReason {
    /// Every reason, in the order they are checked.
    pub const ALL: [QuarantineReason; 10] = [
        QuarantineReason::MalformedRow,
        QuarantineReason::MissingRequired,
        QuarantineReason::BadTimestamp,
        QuarantineReason::BadAmount,
        QuarantineReason::NonPositiveAmount,
        QuarantineReason::UnknownChannel,
        QuarantineReason::BadCurrency,
        QuarantineReason::BadCountry,
        QuarantineReason::DuplicateTxnId,
        QuarantineReason::NoFxRate,
    ];

    /// The reason code written to `quarantine.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            QuarantineReason::MalformedRow => "malformed_row",
            QuarantineReason::MissingRequired => "missing_required",
            QuarantineReason::BadTimestamp => "bad_timestamp",
            QuarantineReason::BadAmount => "bad_amount",
            QuarantineReason::NonPositiveAmount => "non_positive_amount",
            QuarantineReason::UnknownChannel => "unknown_channel",
            QuarantineReason::BadCurrency => "bad_currency",
            QuarantineReason::BadCountry => "bad_country",
            QuarantineReason::DuplicateTxnId => "duplicate_txn_id",
            QuarantineReason::NoFxRate => "no_fx_rate",
        }
    }
}

/// A run's evidence records by transaction id. Each record is shared ([`std::sync::Arc`]): the
/// alerts' builder and every case that cites it hold the same one.
pub type EvidenceRecords = std::collections::HashMap<String, std::sync::Arc<TxnRecord>>;

/// One accepted transaction in canonical form, as it appears in case evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnRecord {
    pub txn_id: String,
    /// ISO 8601 UTC, `2026-03-01T14:22:05Z`.
    pub timestamp: String,
    /// The amount in `currency`, as a plain decimal (`9120.00`).
    pub amount: String,
    pub currency: String,
    /// The amount converted to the run's base currency, as a plain decimal.
    pub amount_base: String,
    pub channel: Channel,
    pub orig_account: String,
    pub orig_name: String,
    pub orig_country: String,
    pub bene_account: String,
    pub bene_name: String,
    pub bene_country: String,
    pub branch: String,
}

/// The transaction ids an alert cites, in order: one text and where each id ends.
///
/// A run of 100M rows cites millions of ids, and every alert is held twice for a while (the
/// run's list and its case's). A `Vec<String>` spends about 40 bytes on an id of 10 characters
/// (the string's header and an allocation of its own); this spends the id's bytes and 8.
/// Written (JSON, CSV, Parquet) it is a list of strings, as before.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct TxnIds {
    /// The ids, one after the other.
    text: String,
    /// Where each id ends in `text`.
    ends: Vec<usize>,
}

impl TxnIds {
    /// No ids.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an id.
    pub fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len());
    }

    /// How many ids.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`-th id.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.text[start..end])
    }

    /// The ids in order.
    pub fn iter(&self) -> TxnIdsIter<'_> {
        TxnIdsIter {
            ids: self,
            front: 0,
            back: self.ends.len(),
        }
    }

    /// Whether `id` is one of them.
    pub fn contains(&self, id: &str) -> bool {
        self.iter().any(|t| t == id)
    }

    /// The ids joined by `separator` (`alerts.csv` joins them by `;`).
    pub fn join(&self, separator: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + separator.len() * self.len());
        for (i, id) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(separator);
            }
            out.push_str(id);
        }
        out
    }

    /// The ids as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }
}

/// The ids of a [`TxnIds`], in order.
#[derive(Clone)]
pub struct TxnIdsIter<'a> {
    ids: &'a TxnIds,
    front: usize,
    back: usize,
}

impl<'a> Iterator for TxnIdsIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.front == self.back {
            return None;
        }
        let id = self.ids.get(self.front);
        self.front += 1;
        id
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for TxnIdsIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        self.ids.get(self.back)
    }
}

impl ExactSizeIterator for TxnIdsIter<'_> {}

impl<'a> IntoIterator for &'a TxnIds {
    type Item = &'a str;
    type IntoIter = TxnIdsIter<'a>;

    fn into_iter(self) -> TxnIdsIter<'a> {
        self.iter()
    }
}

impl<S: AsRef<str>> FromIterator<S> for TxnIds {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut ids = Self::new();
        for id in iter {
            ids.push(id.as_ref());
        }
        ids.text.shrink_to_fit();
        ids.ends.shrink_to_fit();
        ids
    }
}

impl From<Vec<String>> for TxnIds {
    fn from(ids: Vec<String>) -> Self {
        ids.into_iter().collect()
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for TxnIds {
    fn eq(&self, other: &[S; N]) -> bool {
        self.len() == N && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl fmt::Debug for TxnIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for TxnIds {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for TxnIds {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Ids;
        impl<'de> serde::de::Visitor<'de> for Ids {
            type Value = TxnIds;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of transaction ids")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<TxnIds, A::Error> {
                let mut ids = TxnIds::new();
                while let Some(id) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                    ids.push(&id);
                }
                Ok(ids)
            }
        }
        deserializer.deserialize_seq(Ids)
    }
}

/// One alert: a rule fired for a subject over an episode (a merged window of activity).
///
/// The first fourteen fields are exactly the columns of `alerts.csv` and `alerts.parquet`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable hash of rule, subject and window (16 hex digits).
    pub alert_id: String,
    pub rule_id: String,
    pub pack: String,
    pub typology: Typology,
    pub subject_account: String,
    pub subject_name: String,
    /// ISO 8601 UTC start of the episode.
    pub window_start: String,
    /// ISO 8601 UTC end of the episode.
    pub window_end: String,
    pub txn_count: u64,
    /// Sum of the evidence transactions in base currency, as a plain decimal.
    pub total_amount: String,
    /// The base currency.
    pub currency: String,
    /// The rule's score (0–100).
    pub score: f64,
    /// The evidence transactions' ids, in the order of the evidence.
    pub txn_ids: TxnIds,
    /// One human sentence.
    pub summary: String,
    /// Severity of the rule: `low`, `medium`, `high` or `critical`.
    #[serde(default)]
    pub severity: String,
    /// Extra structured facts (for example the list, entry id and matched name of a sanctions hit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<(String, String)>,
}

/// Documentation of one rule, shown in reports and by `rules explain`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub rule_id: String,
    pub pack: String,
    pub typology: String,
    pub kind: String,
    pub title: String,
    /// What the rule detects.
    pub detects: String,
    /// Why it matters.
    pub why: String,
    /// Parameters as `name = value` pairs, in the pack's order.
    pub parameters: Vec<(String, String)>,
    pub severity: String,
    pub score: f64,
    pub references: Vec<String>,
}

/// What one input file contributed to a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputSummary {
    pub path: String,
    pub format: String,
    pub sha256: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
    /// Quarantined rows per reason code, sorted by code.
    pub quarantined_by_reason: Vec<(String, u64)>,
    /// Rows accepted with undecodable bytes replaced by U+FFFD.
    #[serde(default)]
    pub rows_with_replaced_bytes: u64,
}

/// A rule pack or watchlist that a run used, with its digest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceDigest {
    pub path: String,
    pub sha256: String,
    /// Pack id or list name.
    #[serde(default)]
    pub id: String,
    /// Rules in the pack, or names in the list.
    #[serde(default)]
    pub entries: u64,
    /// Warnings while loading (skipped list entries and the like).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// `manifest.json`: what a run read, what it produced and how long each stage took.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    pub started_at: String,
    pub finished_at: String,
    pub base_currency: String,
    pub inputs: Vec<InputSummary>,
    pub rule_packs: Vec<SourceDigest>,
    pub watchlists: Vec<SourceDigest>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
    /// Alerts per rule id, sorted by rule id.
    pub alerts_per_rule: Vec<(String, u64)>,
    /// Alerts per typology, sorted by typology.
    pub alerts_per_typology: Vec<(String, u64)>,
    pub alerts_total: u64,
    pub cases_total: u64,
    /// Seconds per stage, in pipeline order.
    pub stage_seconds: Vec<(String, f64)>,
    /// Present when the run used `--state`: history and alert suppression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nightly: Option<NightlySummary>,
    /// Present when the run read a customer file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customers: Option<CustomersSummary>,
}

/// What a run's customer file held.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomersSummary {
    pub file: String,
    pub sha256: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
    /// Every quarantine reason, with its count (zeros included).
    pub quarantined_by_reason: Vec<(String, u64)>,
    /// Accounts the accepted customers hold.
    pub accounts: u64,
    /// Accounts whose segment the file gives.
    pub accounts_with_segment: u64,
    /// Whether the customers were screened (the run had watchlists).
    #[serde(default)]
    pub screened: bool,
    /// Sanctions matches on customers (`customers_hits.csv`), and the customers they concern.
    #[serde(default)]
    pub sanctions_hits: u64,
    #[serde(default)]
    pub customers_hit: u64,
    /// Name-only sanctions hits on transactions that the holder's identity facts cleared (the
    /// transaction writes the customer's own name on its own account, and its birth date,
    /// nationality or documents discount the entry).
    #[serde(default)]
    pub transaction_hits_cleared: u64,
    /// Customers per risk level: high, medium, low.
    #[serde(default)]
    pub risk_levels: Vec<(String, u64)>,
    /// The highest-rated customers (at most [`HIGHEST_RISK_SHOWN`], `high` only), highest first.
    #[serde(default)]
    pub highest_risk: Vec<RiskSummary>,
    /// Accounts held by more than one customer.
    #[serde(default)]
    pub joint_accounts: u64,
    /// Joint accounts whose holders give different segments or declared volumes, in account
    /// order: the rules use the first holder's by `customer_id` that gives one.
    #[serde(default)]
    pub joint_account_conflicts: Vec<JointConflictSummary>,
}

/// Holders of one account that disagree on a field the rules read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JointConflictSummary {
    pub account: String,
    /// `segment` or `expected_monthly_volume`.
    pub field: String,
    /// `customer=value` of each holder that gives one, `; `-joined.
    pub given: String,
    /// The holder whose value the rules use.
    pub used: String,
}

/// How many high-risk customers the manifest and the report name.
pub const HIGHEST_RISK_SHOWN: usize = 25;

/// One rated customer, as the manifest and the report show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RiskSummary {
    pub customer_id: String,
    pub name: String,
    pub score: u32,
    /// `why (+points)`, one per factor.
    pub factors: Vec<String>,
}

/// An alert left out by an analyst's documented false-positive pattern (see
/// `state::dispositions`): listed in the manifest and the report, never dropped silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressedAlert {
    pub alert_id: String,
    pub rule_id: String,
    pub subject: String,
    pub window_end: String,
    /// The disposition that suppressed it (`alert:ID` or `case:ID`).
    pub by: String,
    pub reason: String,
    pub analyst: String,
    /// The last day of the suppression period, `YYYY-MM-DD`.
    pub until: String,
}

/// What a run with `--state` did with history and earlier alerts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NightlySummary {
    pub state_dir: String,
    /// The state generation read, and the one written.
    pub generation_read: u64,
    pub generation_written: u64,
    /// When this run's inputs were those of the live generation's night: that generation's
    /// number. The night was computed again from the generation before it (a retry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_of_generation: Option<u64>,
    /// History rows evaluated together with tonight's rows.
    pub history_rows: u64,
    /// History rows kept in the generation written (tonight's rows included, pruned).
    #[serde(default)]
    pub history_rows_kept: u64,
    /// History days kept after pruning, and the lookback that decides it.
    pub history_days: u64,
    pub lookback_days: u64,
    /// Alerts reported for the first time.
    pub alerts_new: u64,
    /// Alerts whose episode grew since an earlier alert, reported again as its update.
    pub alerts_updated: u64,
    /// Episodes found again without new transactions, not reported.
    pub alerts_suppressed: u64,
    /// Analyst dispositions folded in tonight (`--dispositions`), and kept in the state.
    #[serde(default)]
    pub dispositions_folded: u64,
    #[serde(default)]
    pub dispositions_kept: u64,
    /// Alerts not reported because a documented false-positive pattern covers them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed_by_disposition: Vec<SuppressedAlert>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_ids_are_held_in_one_text_and_written_as_a_list() {
        let ids: TxnIds = ["T1", "", "T-22", "é3"].into_iter().collect();
        assert_eq!(ids.len(), 4);
        assert_eq!(ids.get(0), Some("T1"));
        assert_eq!(ids.get(1), Some(""));
        assert_eq!(ids.get(3), Some("é3"));
        assert_eq!(ids.get(4), None);
        assert_eq!(
            ids.iter().rev().collect::<Vec<_>>(),
            ["é3", "T-22", "", "T1"]
        );
        assert_eq!(ids.iter().len(), 4);
        assert_eq!(ids.join(";"), "T1;;T-22;é3");
        assert!(ids.contains("T-22") && !ids.contains("T2"));
        assert_eq!(ids, ["T1", "", "T-22", "é3"]);
        assert_ne!(ids, ["T1", "", "T-22"]);
        // written as the list of strings it replaced, and read back to the same ids
        let json = serde_json::to_string(&ids).unwrap();
        assert_eq!(json, r#"["T1","","T-22","é3"]"#);
        let back: TxnIds = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ids);
        assert_eq!(format!("{ids:?}"), r#"["T1", "", "T-22", "é3"]"#);
        assert_eq!(TxnIds::from(ids.to_vec()), ids);
        assert!(TxnIds::new().is_empty() && TxnIds::new().join(";").is_empty());
        assert!(serde_json::from_str::<TxnIds>("[1]").is_err());
    }

    #[test]
    fn money_parses_exactly_and_refuses_decimal_commas() {
        for (text, want) in [
            ("10000.00", Ok(10_000_000_000)),
            ("9999.99", Ok(9_999_990_000)),
            ("1,250.50", Ok(1_250_500_000)),
            ("12,345,678", Ok(12_345_678_000_000)),
            ("0.011", Ok(11_000)),
            ("9999,99", Err(MoneyError::Malformed)),
            ("1,5", Err(MoneyError::Malformed)),
            ("1000,", Err(MoneyError::Malformed)),
            (",100", Err(MoneyError::Malformed)),
            ("1.2345678", Err(MoneyError::Malformed)),
            ("12.3x", Err(MoneyError::Malformed)),
            ("0", Err(MoneyError::NotPositive)),
            ("-5.00", Err(MoneyError::NotPositive)),
        ] {
            assert_eq!(parse_money(text), want, "{text}");
        }
        assert_eq!(format_money(10_000_000_000_i64), "10000.00");
    }

    #[test]
    fn the_one_pass_parser_answers_as_the_general_one() {
        let texts = [
            "10000.00",
            "9999.99",
            "0.011",
            ".5",
            "5.",
            "0",
            "0.0",
            "000012.500000",
            "1.2345678",
            "999999999999.999999",
            "9999999999999",
            "1000000000000.5",
            ".",
            "",
            "12.3.4",
            "1e5",
            "+5",
            "-5",
            " 7.25",
            "7.25 ",
            "1,250.50",
            "٣",
            "12x",
        ];
        for text in texts {
            let general = parse_money_general(text);
            match parse_plain_money(text.as_bytes()) {
                Some(fast) => assert_eq!(fast, general, "{text:?}"),
                None => assert_eq!(parse_money(text), general, "{text:?}"),
            }
        }
        // it does answer the common shapes
        for text in ["10000.00", "0.011", ".5", "5.", "0"] {
            assert!(parse_plain_money(text.as_bytes()).is_some(), "{text}");
        }
        // every amount with up to two decimals below 100,000, stepped
        for cents in (1..10_000_000i64).step_by(997) {
            let text = format!("{}.{:02}", cents / 100, cents % 100);
            assert_eq!(
                parse_plain_money(text.as_bytes()),
                Some(parse_money_general(&text))
            );
        }
        assert_eq!(format_money(11_000), "0.011");
        assert_eq!(format_money_grouped(1_234_567_890_000_i64), "1,234,567.89");
    }
}
