//! Rule kinds: each kind's parameters, checked, and turned into a [`Detector`] plus any extra
//! filter predicates it implies. This is where a kind's meaning lives.

use super::pack::NamedList;
use super::params::{parse_duration, Duration, Factor, Money, Percent};
use super::plan::{
    describe_duration, Combine, Condition, Detector, FanDirection, Field, FlowRoutine, FlowShape,
    GraphLimits, Measure, PathMode, Predicate, Subject, Window,
};
use crate::model::{format_money_grouped, Channel};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The kinds a rule may have.
pub const KIND_NAMES: [&str; 20] = [
    "threshold",
    "aggregate",
    "structuring",
    "smurfing",
    "placement_then_transfer",
    "rapid_movement",
    "fan_in",
    "fan_out",
    "cycle",
    "geography",
    "round_amounts",
    "dormant_reactivation",
    "velocity_spike",
    "behaviour_change",
    "temporal_path",
    "scatter_gather",
    "gather_scatter",
    "round_trip",
    "bipartite",
    "expected_activity",
];

/// Placeholders a summary template may use.
pub const SUMMARY_PLACEHOLDERS: [&str; 32] = [
    "count",
    "total",
    "currency",
    "min_amount",
    "max_amount",
    "span",
    "start",
    "end",
    "subject",
    "branches",
    "conductors",
    "counterparties",
    "channels",
    "countries",
    "moved_percent",
    "inflow",
    "outflow",
    "hops",
    "gap",
    "factor",
    "baseline",
    "reached",
    "intermediaries",
    "sent",
    "returned",
    "returned_percent",
    "senders",
    "recipients",
    "volume",
    "payments",
    "against",
    "expected",
];

/// Why a kind could not be compiled.
pub enum KindError {
    UnknownKind(String),
    /// A parameter problem, located at the parameter table.
    Params(String),
    /// A parameter problem at a byte offset of the pack file.
    ParamsAt {
        offset: usize,
        message: String,
    },
}

/// A rule's `[rule.params]` table, with its text in the pack file when it is a standard table,
/// so that errors can point at the exact line.
pub struct ParamsSource<'a> {
    pub table: toml::Table,
    /// The table's body (the lines after its header) and the body's offset in the file.
    pub body: Option<(&'a str, usize)>,
}

/// A kind compiled to plan parts.
pub struct CompiledKind {
    pub detector: Detector,
    pub extra_filter: Vec<Predicate>,
    pub subject_override: Option<Subject>,
    /// `name = value` pairs for documentation.
    pub described: Vec<(String, String)>,
}

fn params<T: DeserializeOwned>(source: &ParamsSource) -> Result<T, KindError> {
    let from_value = T::deserialize(toml::Value::Table(source.table.clone()));
    match (from_value, source.body) {
        (Ok(v), _) => Ok(v),
        (Err(e), Some((body, offset))) => match toml::from_str::<T>(body) {
            Err(located) if located.message().starts_with("missing field") => {
                Err(KindError::Params(located.message().trim().to_string()))
            }
            Err(located) => Err(KindError::ParamsAt {
                offset: offset + located.span().map_or(0, |s| s.start),
                message: located.message().trim().to_string(),
            }),
            Ok(_) => Err(KindError::Params(e.message().trim().to_string())),
        },
        (Err(e), None) => Err(KindError::Params(e.message().trim().to_string())),
    }
}

fn money(m: Money) -> String {
    format_money_grouped(m.0)
}

fn percent(p: Percent) -> String {
    format!("{}%", p.0 as f64 / 100.0)
}

fn channels(names: &[String]) -> Result<Vec<Channel>, KindError> {
    names
        .iter()
        .map(|n| {
            Channel::parse(n).ok_or_else(|| KindError::Params(format!("unknown channel `{n}`")))
        })
        .collect()
}

fn at_least(measure: Measure, value: i64) -> Condition {
    Condition { measure, value }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdParams {
    min_amount: Money,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AggregateParams {
    /// `"business_day"` or a trailing duration such as `"7d"`.
    window: String,
    min_sum: Option<Money>,
    min_count: Option<u32>,
    min_distinct: Option<u32>,
    distinct_field: Option<String>,
    /// Count only values new to the subject: not held in this long before the window.
    new_within: Option<Duration>,
    /// With `unusual_factor`: the count must also be unusual for the subject over this long
    /// before the window (see [`routine_condition`]).
    unusual_over: Option<Duration>,
    unusual_factor: Option<Factor>,
    /// `"all"` (default) or `"any"`.
    combine: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StructuringParams {
    lower: Money,
    threshold: Money,
    min_count: u32,
    window: Duration,
    min_sum: Option<Money>,
    /// With `unusual_factor`: the count must also be unusual for the account over this long
    /// before the window (see [`routine_condition`]).
    unusual_over: Option<Duration>,
    unusual_factor: Option<Factor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmurfingParams {
    window: Duration,
    min_conductors: Option<u32>,
    min_branches: Option<u32>,
    /// Count only conductors new to the account: none who deposited in this long before the
    /// window (branches are counted as before).
    new_within: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlacementParams {
    min_cash: Money,
    cash_window: Duration,
    min_moved_percent: Percent,
    transfer_window: Duration,
    #[serde(default = "wire_only")]
    transfer_channels: Vec<String>,
    #[serde(default = "default_true")]
    cross_border_only: bool,
    /// Transfers abroad from the holder's other accounts count too.
    #[serde(default)]
    via_own_accounts: bool,
    /// Only transfers of at least this much count (remittance-sized payments do not).
    min_transfer: Option<Money>,
}

fn wire_only() -> Vec<String> {
    vec!["WIRE".into()]
}
fn default_true() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RapidParams {
    min_inflow: Money,
    min_outflow_percent: Percent,
    within: Duration,
    outflow_channels: Vec<String>,
    /// With `routine_count`: an account that passed on inflows the same way on at least
    /// `routine_count` days in this span before does so routinely.
    unusual_over: Option<Duration>,
    routine_count: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FanParams {
    window: Duration,
    min_counterparties: u32,
    max_amount_spread_percent: Option<Percent>,
    /// `"accounts"` (default: distinct account numbers) or `"parties"` (over the money-flow
    /// graph: accounts by number, counterparties without one by normalised name and country).
    counterparties: Option<String>,
    /// Count only counterparties new to the subject: none that dealt with it in this long
    /// before the window.
    new_within: Option<Duration>,
}

/// The distinct-count measure of `field`: of every value, or with `new_within` of the values
/// new to the subject (see [`Measure::DistinctNew`]), described as `new_within` when given.
fn distinct_measure(
    field: Field,
    new_within: Option<Duration>,
    described: &mut Vec<(String, String)>,
) -> Measure {
    match new_within {
        None => Measure::Distinct(field),
        Some(baseline) => {
            described.push(("new_within".to_string(), describe_duration(baseline.0)));
            Measure::DistinctNew {
                field,
                baseline: baseline.0,
            }
        }
    }
}

/// The condition that a window's count is unusual for the subject: at least `unusual_factor`
/// times its average count per window over the `unusual_over` before the window (see
/// [`Measure::CountAgainstRoutine`]), described as both parameters; `None` when neither is
/// given. `unusual_over` must be at least the window, as a velocity spike's baseline.
fn routine_condition(
    unusual_over: Option<Duration>,
    unusual_factor: Option<Factor>,
    window: i64,
    described: &mut Vec<(String, String)>,
) -> Result<Option<Condition>, KindError> {
    let (baseline, factor) = match (unusual_over, unusual_factor) {
        (None, None) => return Ok(None),
        (Some(b), Some(f)) => (b.0, f.0),
        _ => {
            return Err(KindError::Params(
                "`unusual_over` and `unusual_factor` go together: give both or neither".into(),
            ))
        }
    };
    if baseline < window {
        return Err(KindError::Params(format!(
            "`unusual_over` ({}) must be at least as long as the window ({})",
            describe_duration(baseline),
            describe_duration(window)
        )));
    }
    described.push(("unusual_over".into(), describe_duration(baseline)));
    described.push((
        "unusual_factor".into(),
        format!("{}x", factor as f64 / 10_000.0),
    ));
    Ok(Some(at_least(
        Measure::CountAgainstRoutine { baseline },
        factor,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathParams {
    /// `"cycle"` or `"chain"`.
    mode: String,
    #[serde(default = "two")]
    min_hops: usize,
    max_hops: usize,
    within: Duration,
    min_retained_percent: Percent,
    max_growth_percent: Option<Percent>,
    max_transfers_per_day: Option<u32>,
    max_expansions_per_start: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitParams {
    min_intermediaries: u32,
    window: Duration,
    within: Duration,
    min_forwarded_percent: Percent,
    max_transfers_per_day: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BipartiteParams {
    layers: u32,
    min_senders: u32,
    min_recipients: u32,
    min_links: u32,
    window: Duration,
    /// Only with `layers = 2`.
    within: Option<Duration>,
    /// Only with `layers = 2`.
    min_forwarded_percent: Option<Percent>,
    max_accounts: Option<u32>,
    max_transfers_per_day: Option<u32>,
}

/// The default of `max_accounts` for the `bipartite` kind.
const DEFAULT_MAX_LAYER_ACCOUNTS: u32 = 40;

fn limits(per_day: Option<u32>, expansions: Option<u32>) -> Result<GraphLimits, KindError> {
    Ok(GraphLimits {
        max_transfers_per_day: match per_day {
            Some(n) => positive("max_transfers_per_day", n)? as usize,
            None => GraphLimits::DEFAULT.max_transfers_per_day,
        },
        max_expansions_per_start: match expansions {
            Some(n) => positive("max_expansions_per_start", n)? as usize,
            None => GraphLimits::DEFAULT.max_expansions_per_start,
        },
    })
}

fn described_limits(l: &GraphLimits) -> Vec<(String, String)> {
    vec![
        (
            "max_transfers_per_day".to_string(),
            l.max_transfers_per_day.to_string(),
        ),
        (
            "max_expansions_per_start".to_string(),
            l.max_expansions_per_start.to_string(),
        ),
    ]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoundTripParams {
    /// A country list of the pack the first payee must be in (none: any country).
    party_countries: Option<String>,
    /// How a payer may be related to the payee: `"name"`, `"country"` (besides the same party).
    #[serde(default)]
    related: Vec<String>,
    out_window: Duration,
    min_gap: Duration,
    within: Duration,
    min_returned_percent: Percent,
    /// At most this many times what was sent (`1.2`: 120%).
    max_returned: Factor,
    max_transfers_per_day: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CycleParams {
    #[serde(default = "two")]
    min_hops: usize,
    max_hops: usize,
    within: Duration,
    min_retained_percent: Percent,
}

fn two() -> usize {
    2
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GeographyParams {
    list: String,
    min_amount: Money,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoundParams {
    step: Money,
    min_count: u32,
    window: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DormantParams {
    dormant_for: Duration,
    min_amount: Money,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VelocityParams {
    window: Duration,
    baseline: Duration,
    factor: Factor,
    min_volume: Money,
    #[serde(default)]
    min_baseline_count: u32,
    /// The least share of the window's volume in each direction (in and out).
    min_each_direction_percent: Option<Percent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedActivityParams {
    window: Duration,
    factor: Factor,
    min_volume: Money,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BehaviourParams {
    window: Duration,
    baseline: Duration,
    factor: Factor,
    quiet_volume: Money,
    min_count: u32,
    /// Absent: no seasonal test.
    #[serde(default)]
    seasonal_share: Option<Percent>,
}

fn positive(name: &str, v: u32) -> Result<i64, KindError> {
    if v == 0 {
        return Err(KindError::Params(format!("`{name}` must be at least 1")));
    }
    Ok(i64::from(v))
}

/// Compiles one kind's parameters.
pub fn compile_kind(
    kind: &str,
    table: &ParamsSource,
    lists: &BTreeMap<String, NamedList>,
    business_day_offset: i32,
) -> Result<CompiledKind, KindError> {
    let plain = |detector, described| CompiledKind {
        detector,
        extra_filter: vec![],
        subject_override: None,
        described,
    };
    let d = |k: &str, v: String| (k.to_string(), v);
    Ok(match kind {
        "threshold" => {
            let p: ThresholdParams = params(table)?;
            CompiledKind {
                extra_filter: vec![Predicate::BaseAmountAtLeast(p.min_amount.0)],
                ..plain(
                    Detector::PerTransaction,
                    vec![d("min_amount", money(p.min_amount))],
                )
            }
        }
        "aggregate" => {
            let p: AggregateParams = params(table)?;
            let window = if p.window == "business_day" {
                Window::BusinessDay {
                    utc_offset_secs: business_day_offset,
                }
            } else {
                Window::Trailing(parse_duration(&p.window).map_err(KindError::Params)?)
            };
            let mut conditions = Vec::new();
            let mut described = vec![d("window", p.window.clone())];
            if let Some(m) = p.min_sum {
                conditions.push(at_least(Measure::Sum, m.0));
                described.push(d("min_sum", money(m)));
            }
            if let Some(n) = p.min_count {
                conditions.push(at_least(Measure::Count, positive("min_count", n)?));
                described.push(d("min_count", n.to_string()));
            }
            let length = window.length();
            let routine =
                routine_condition(p.unusual_over, p.unusual_factor, length, &mut described)?;
            if let Some(n) = p.min_distinct {
                let field_name = p.distinct_field.as_deref().ok_or_else(|| {
                    KindError::Params(
                        "missing parameter `distinct_field` (needed with min_distinct)".into(),
                    )
                })?;
                let field = Field::parse(field_name).ok_or_else(|| {
                    KindError::Params(format!("unknown distinct_field `{field_name}`"))
                })?;
                described.push(d("min_distinct", format!("{n} distinct {field_name}")));
                let measure = distinct_measure(field, p.new_within, &mut described);
                conditions.push(at_least(measure, positive("min_distinct", n)?));
            } else if p.new_within.is_some() {
                return Err(KindError::Params(
                    "`new_within` needs min_distinct (it counts only new distinct values)".into(),
                ));
            }
            if conditions.is_empty() {
                return Err(KindError::Params(
                    "missing parameter: give at least one of min_sum, min_count, min_distinct"
                        .into(),
                ));
            }
            let combine = match p.combine.as_deref() {
                None | Some("all") => Combine::All,
                Some("any") => Combine::Any,
                Some(other) => {
                    return Err(KindError::Params(format!(
                        "combine `{other}`: expected \"all\" or \"any\""
                    )))
                }
            };
            if let Some(routine) = routine {
                // the count is unusual: it must hold with the others, and there must be a count
                if p.min_count.is_none() || combine == Combine::Any {
                    return Err(KindError::Params(
                        "`unusual_over` needs min_count and combine = \"all\" (it qualifies the count)"
                            .into(),
                    ));
                }
                conditions.push(routine);
            }
            plain(
                Detector::Windowed {
                    window,
                    conditions,
                    combine,
                },
                described,
            )
        }
        "structuring" => {
            let p: StructuringParams = params(table)?;
            if p.lower.0 >= p.threshold.0 {
                return Err(KindError::Params(
                    "`lower` must be below `threshold`".into(),
                ));
            }
            let mut conditions = vec![at_least(
                Measure::Count,
                positive("min_count", p.min_count)?,
            )];
            let mut described = vec![
                d(
                    "band",
                    format!("[{}, {})", money(p.lower), money(p.threshold)),
                ),
                d("min_count", p.min_count.to_string()),
                d("window", describe_duration(p.window.0)),
            ];
            if let Some(s) = p.min_sum {
                conditions.push(at_least(Measure::Sum, s.0));
                described.push(d("min_sum", money(s)));
            }
            // min_count or min_sum; with a routine, min_count and an unusual count
            let mut combine = Combine::Any;
            if let Some(routine) =
                routine_condition(p.unusual_over, p.unusual_factor, p.window.0, &mut described)?
            {
                if p.min_sum.is_some() {
                    return Err(KindError::Params(
                        "`unusual_over` cannot be combined with min_sum (it qualifies min_count)"
                            .into(),
                    ));
                }
                conditions.push(routine);
                combine = Combine::All;
            }
            CompiledKind {
                extra_filter: vec![
                    Predicate::BaseAmountAtLeast(p.lower.0),
                    Predicate::BaseAmountBelow(p.threshold.0),
                ],
                ..plain(
                    Detector::Windowed {
                        window: Window::Trailing(p.window.0),
                        conditions,
                        combine,
                    },
                    described,
                )
            }
        }
        "smurfing" => {
            let p: SmurfingParams = params(table)?;
            let mut conditions = Vec::new();
            let mut described = vec![d("window", describe_duration(p.window.0))];
            if let Some(n) = p.min_conductors {
                described.push(d("min_conductors", n.to_string()));
                let measure = distinct_measure(Field::OrigName, p.new_within, &mut described);
                conditions.push(at_least(measure, positive("min_conductors", n)?));
            } else if p.new_within.is_some() {
                return Err(KindError::Params(
                    "`new_within` needs min_conductors (it counts only new conductors)".into(),
                ));
            }
            if let Some(n) = p.min_branches {
                conditions.push(at_least(
                    Measure::Distinct(Field::Branch),
                    positive("min_branches", n)?,
                ));
                described.push(d("min_branches", n.to_string()));
            }
            if conditions.is_empty() {
                return Err(KindError::Params(
                    "missing parameter: give min_conductors or min_branches".into(),
                ));
            }
            plain(
                Detector::Windowed {
                    window: Window::Trailing(p.window.0),
                    conditions,
                    combine: Combine::Any,
                },
                described,
            )
        }
        "placement_then_transfer" => {
            let p: PlacementParams = params(table)?;
            let mut outflow = vec![Predicate::ChannelIn(channels(&p.transfer_channels)?)];
            if p.cross_border_only {
                outflow.push(Predicate::CrossBorder(true));
            }
            if let Some(min) = p.min_transfer {
                outflow.push(Predicate::BaseAmountAtLeast(min.0));
            }
            let mut described = vec![
                d("min_cash", money(p.min_cash)),
                d("cash_window", describe_duration(p.cash_window.0)),
                d("min_moved_percent", percent(p.min_moved_percent)),
                d("transfer_window", describe_duration(p.transfer_window.0)),
                d("transfer_channels", p.transfer_channels.join(", ")),
                d("cross_border_only", p.cross_border_only.to_string()),
                d("via_own_accounts", p.via_own_accounts.to_string()),
            ];
            if let Some(min) = p.min_transfer {
                described.push(d("min_transfer", money(min)));
            }
            plain(
                Detector::FlowThrough {
                    inflow_window: Some(p.cash_window.0),
                    min_inflow: p.min_cash.0,
                    outflow,
                    min_out_basis_points: p.min_moved_percent.0,
                    horizon: p.transfer_window.0,
                    via_own_accounts: p.via_own_accounts,
                    routine: None,
                },
                described,
            )
        }
        "rapid_movement" => {
            let p: RapidParams = params(table)?;
            let routine = match (p.unusual_over, p.routine_count) {
                (None, None) => None,
                (Some(over), Some(count)) if count > 0 => Some(FlowRoutine {
                    baseline: over.0,
                    count,
                }),
                (Some(_), Some(_)) => {
                    return Err(KindError::Params("routine_count must be at least 1".into()))
                }
                _ => {
                    return Err(KindError::Params(
                        "unusual_over and routine_count go together: set both, or neither".into(),
                    ))
                }
            };
            let mut described = vec![
                d("min_inflow", money(p.min_inflow)),
                d("min_outflow_percent", percent(p.min_outflow_percent)),
                d("within", describe_duration(p.within.0)),
                d("outflow_channels", p.outflow_channels.join(", ")),
            ];
            if let Some(r) = routine {
                described.push(d("unusual_over", describe_duration(r.baseline)));
                described.push(d("routine_count", r.count.to_string()));
            }
            plain(
                Detector::FlowThrough {
                    inflow_window: None,
                    min_inflow: p.min_inflow.0,
                    outflow: vec![Predicate::ChannelIn(channels(&p.outflow_channels)?)],
                    min_out_basis_points: p.min_outflow_percent.0,
                    horizon: p.within.0,
                    via_own_accounts: false,
                    routine,
                },
                described,
            )
        }
        "fan_in" | "fan_out" => {
            let p: FanParams = params(table)?;
            match p.counterparties.as_deref() {
                None | Some("accounts") => {}
                Some("parties") => {
                    if p.max_amount_spread_percent.is_some() {
                        return Err(KindError::Params(
                            "`max_amount_spread_percent` cannot be used with counterparties = \"parties\"".into(),
                        ));
                    }
                    if p.new_within.is_some() {
                        return Err(KindError::Params(
                            "`new_within` cannot be used with counterparties = \"parties\"".into(),
                        ));
                    }
                    return Ok(plain(
                        Detector::PartyFan {
                            direction: if kind == "fan_in" {
                                FanDirection::In
                            } else {
                                FanDirection::Out
                            },
                            window: p.window.0,
                            min_counterparties: positive(
                                "min_counterparties",
                                p.min_counterparties,
                            )? as usize,
                        },
                        vec![
                            d("window", describe_duration(p.window.0)),
                            d("min_counterparties", p.min_counterparties.to_string()),
                            d("counterparties", "parties".to_string()),
                        ],
                    ));
                }
                Some(other) => {
                    return Err(KindError::Params(format!(
                        "counterparties `{other}`: expected \"accounts\" or \"parties\""
                    )))
                }
            }
            let counterparty = if kind == "fan_in" {
                Field::OrigAccount
            } else {
                Field::BeneAccount
            };
            let mut described = vec![
                d("window", describe_duration(p.window.0)),
                d("min_counterparties", p.min_counterparties.to_string()),
            ];
            let measure = distinct_measure(counterparty, p.new_within, &mut described);
            let mut conditions = vec![at_least(
                measure,
                positive("min_counterparties", p.min_counterparties)?,
            )];
            if let Some(spread) = p.max_amount_spread_percent {
                conditions.push(Condition {
                    measure: Measure::SpreadBasisPoints,
                    value: spread.0,
                });
                described.push(d("max_amount_spread_percent", percent(spread)));
            }
            plain(
                Detector::Windowed {
                    window: Window::Trailing(p.window.0),
                    conditions,
                    combine: Combine::All,
                },
                described,
            )
        }
        "cycle" => {
            let p: CycleParams = params(table)?;
            if p.min_hops < 2 || p.max_hops < p.min_hops || p.max_hops > 8 {
                return Err(KindError::Params(
                    "hops: expected 2 <= min_hops <= max_hops <= 8".into(),
                ));
            }
            let limits = GraphLimits::DEFAULT;
            CompiledKind {
                // between two accounts of the run, as this kind has always searched
                extra_filter: [Field::OrigAccount, Field::BeneAccount]
                    .into_iter()
                    .map(|field| Predicate::Present {
                        field,
                        present: true,
                    })
                    .collect(),
                ..plain(
                    Detector::TemporalPath {
                        mode: PathMode::Cycle,
                        min_hops: p.min_hops,
                        max_hops: p.max_hops,
                        horizon: p.within.0,
                        min_retained_basis_points: p.min_retained_percent.0,
                        max_growth_basis_points: 0,
                        limits,
                    },
                    vec![
                        d("hops", format!("{}..={}", p.min_hops, p.max_hops)),
                        d("within", describe_duration(p.within.0)),
                        d("min_retained_percent", percent(p.min_retained_percent)),
                    ],
                )
            }
        }
        "temporal_path" => {
            let p: PathParams = params(table)?;
            let mode = match p.mode.as_str() {
                "cycle" => PathMode::Cycle,
                "chain" => PathMode::Chain,
                other => {
                    return Err(KindError::Params(format!(
                        "mode `{other}`: expected \"cycle\" or \"chain\""
                    )))
                }
            };
            if p.min_hops < 2 || p.max_hops < p.min_hops || p.max_hops > 8 {
                return Err(KindError::Params(
                    "hops: expected 2 <= min_hops <= max_hops <= 8".into(),
                ));
            }
            if !(1..=10_000).contains(&p.min_retained_percent.0) {
                return Err(KindError::Params(
                    "`min_retained_percent` must be above 0 and at most 100".into(),
                ));
            }
            let growth = p.max_growth_percent.map_or(0, |g| g.0);
            if growth < 0 {
                return Err(KindError::Params(
                    "`max_growth_percent` must not be negative".into(),
                ));
            }
            let limits = limits(p.max_transfers_per_day, p.max_expansions_per_start)?;
            let mut described = vec![
                d("mode", p.mode.clone()),
                d("hops", format!("{}..={}", p.min_hops, p.max_hops)),
                d("within", describe_duration(p.within.0)),
                d("min_retained_percent", percent(p.min_retained_percent)),
                d("max_growth_percent", format!("{}%", growth as f64 / 100.0)),
            ];
            described.extend(described_limits(&limits));
            plain(
                Detector::TemporalPath {
                    mode,
                    min_hops: p.min_hops,
                    max_hops: p.max_hops,
                    horizon: p.within.0,
                    min_retained_basis_points: p.min_retained_percent.0,
                    max_growth_basis_points: growth,
                    limits,
                },
                described,
            )
        }
        "scatter_gather" | "gather_scatter" => {
            let p: SplitParams = params(table)?;
            if p.min_intermediaries < 2 {
                return Err(KindError::Params(
                    "`min_intermediaries` must be at least 2".into(),
                ));
            }
            let limits = limits(p.max_transfers_per_day, None)?;
            let mut described = vec![
                d("min_intermediaries", p.min_intermediaries.to_string()),
                d("window", describe_duration(p.window.0)),
                d("within", describe_duration(p.within.0)),
                d("min_forwarded_percent", percent(p.min_forwarded_percent)),
            ];
            described.extend(described_limits(&limits).into_iter().take(1));
            plain(
                Detector::SplitMerge {
                    shape: if kind == "scatter_gather" {
                        FlowShape::ScatterGather
                    } else {
                        FlowShape::GatherScatter
                    },
                    min_intermediaries: p.min_intermediaries as usize,
                    window: p.window.0,
                    horizon: p.within.0,
                    min_forwarded_basis_points: p.min_forwarded_percent.0,
                    limits,
                },
                described,
            )
        }
        "round_trip" => {
            let p: RoundTripParams = params(table)?;
            let (mut by_name, mut by_country) = (false, false);
            for r in &p.related {
                match r.as_str() {
                    "name" => by_name = true,
                    "country" => by_country = true,
                    other => {
                        return Err(KindError::Params(format!(
                            "related `{other}`: expected \"name\" or \"country\""
                        )))
                    }
                }
            }
            if p.min_gap.0 >= p.within.0 {
                return Err(KindError::Params(
                    "`min_gap` must be shorter than `within`".into(),
                ));
            }
            if p.out_window.0 >= p.within.0 {
                return Err(KindError::Params(
                    "`out_window` must be shorter than `within`".into(),
                ));
            }
            if p.min_returned_percent.0 <= 0 || p.max_returned.0 < p.min_returned_percent.0 {
                return Err(KindError::Params(
                    "expected min_returned_percent above 0 and max_returned at least min_returned_percent / 100".into(),
                ));
            }
            let (countries, countries_text) = match &p.party_countries {
                None => (vec![], "any".to_string()),
                Some(name) => {
                    let list = lists.get(name).ok_or_else(|| {
                        KindError::Params(format!(
                            "list `{name}` is not declared in this pack's [lists]; declared: {}",
                            if lists.is_empty() {
                                "none".into()
                            } else {
                                lists.keys().cloned().collect::<Vec<_>>().join(", ")
                            }
                        ))
                    })?;
                    (
                        list.values.clone(),
                        format!("{} (as of {})", list.title, list.as_of),
                    )
                }
            };
            let limits = limits(p.max_transfers_per_day, None)?;
            let mut described = vec![
                d("party_countries", countries_text),
                d(
                    "related",
                    if p.related.is_empty() {
                        "same party only".into()
                    } else {
                        p.related.join(", ")
                    },
                ),
                d("out_window", describe_duration(p.out_window.0)),
                d("min_gap", describe_duration(p.min_gap.0)),
                d("within", describe_duration(p.within.0)),
                d("min_returned_percent", percent(p.min_returned_percent)),
                d(
                    "max_returned",
                    format!("{}x", p.max_returned.0 as f64 / 10_000.0),
                ),
            ];
            described.extend(described_limits(&limits).into_iter().take(1));
            plain(
                Detector::RoundTrip {
                    party_countries: countries,
                    related_by_name: by_name,
                    related_by_country: by_country,
                    out_window: p.out_window.0,
                    min_gap: p.min_gap.0,
                    horizon: p.within.0,
                    min_returned_basis_points: p.min_returned_percent.0,
                    max_returned_basis_points: p.max_returned.0,
                    limits,
                },
                described,
            )
        }
        "bipartite" => {
            let p: BipartiteParams = params(table)?;
            if !(1..=2).contains(&p.layers) {
                return Err(KindError::Params(format!(
                    "`layers` = {}: expected 1 (one layer) or 2 (a layer paying a second one)",
                    p.layers
                )));
            }
            for (name, v) in [
                ("min_senders", p.min_senders),
                ("min_recipients", p.min_recipients),
                ("min_links", p.min_links),
            ] {
                if v < 2 {
                    return Err(KindError::Params(format!(
                        "`{name}` = {v}: expected at least 2 (a layer is many-to-many)"
                    )));
                }
            }
            if p.min_links > p.min_senders.min(p.min_recipients) {
                return Err(KindError::Params(format!(
                    "`min_links` = {}: expected at most `min_senders` and `min_recipients` ({} and {})",
                    p.min_links, p.min_senders, p.min_recipients
                )));
            }
            let max_accounts = p.max_accounts.unwrap_or(DEFAULT_MAX_LAYER_ACCOUNTS);
            if max_accounts < p.min_senders + p.min_recipients {
                return Err(KindError::Params(format!(
                    "`max_accounts` = {max_accounts}: expected at least `min_senders` + `min_recipients` ({})",
                    p.min_senders + p.min_recipients
                )));
            }
            if p.window.0 < 2 {
                return Err(KindError::Params("`window` must be positive".into()));
            }
            let (horizon, forwarded) = match (p.layers, p.within, p.min_forwarded_percent) {
                (1, None, None) => (0, 0),
                (1, _, _) => {
                    return Err(KindError::Params(
                        "`within` and `min_forwarded_percent` apply only with `layers = 2`".into(),
                    ))
                }
                (_, Some(within), Some(share)) => {
                    if !(1..=10_000).contains(&share.0) {
                        return Err(KindError::Params(
                            "`min_forwarded_percent` must be above 0 and at most 100".into(),
                        ));
                    }
                    (within.0, share.0)
                }
                _ => {
                    return Err(KindError::Params(
                        "`layers = 2` needs `within` (how long after their last receipt the recipients pay on) and `min_forwarded_percent`".into(),
                    ))
                }
            };
            let limits = limits(p.max_transfers_per_day, None)?;
            let mut described = vec![
                d("layers", p.layers.to_string()),
                d("min_senders", p.min_senders.to_string()),
                d("min_recipients", p.min_recipients.to_string()),
                d("min_links", p.min_links.to_string()),
                d("window", describe_duration(p.window.0)),
            ];
            if p.layers == 2 {
                described.push(d("within", describe_duration(horizon)));
                described.push(d("min_forwarded_percent", percent(Percent(forwarded))));
            }
            described.push(d("max_accounts", max_accounts.to_string()));
            described.extend(described_limits(&limits).into_iter().take(1));
            plain(
                Detector::Bipartite {
                    layers: p.layers as u8,
                    min_senders: p.min_senders as usize,
                    min_recipients: p.min_recipients as usize,
                    min_links: p.min_links as usize,
                    window: p.window.0,
                    horizon,
                    min_forwarded_basis_points: forwarded,
                    max_accounts: max_accounts as usize,
                    limits,
                },
                described,
            )
        }
        "geography" => {
            let p: GeographyParams = params(table)?;
            let list = lists.get(&p.list).ok_or_else(|| {
                KindError::Params(format!(
                    "list `{}` is not declared in this pack's [lists]; declared: {}",
                    p.list,
                    if lists.is_empty() {
                        "none".into()
                    } else {
                        lists.keys().cloned().collect::<Vec<_>>().join(", ")
                    }
                ))
            })?;
            CompiledKind {
                detector: Detector::PerTransaction,
                extra_filter: vec![
                    Predicate::EitherCountryIn(list.values.clone()),
                    Predicate::BaseAmountAtLeast(p.min_amount.0),
                ],
                subject_override: Some(Subject::OppositeOfCountryIn(list.values.clone())),
                described: vec![
                    d(
                        "list",
                        format!(
                            "{} ({}, as of {})",
                            list.title,
                            list.values.join(", "),
                            list.as_of
                        ),
                    ),
                    d("min_amount", money(p.min_amount)),
                ],
            }
        }
        "round_amounts" => {
            let p: RoundParams = params(table)?;
            if p.step.0 <= 0 {
                return Err(KindError::Params("`step` must be positive".into()));
            }
            CompiledKind {
                extra_filter: vec![Predicate::AmountMultipleOf(p.step.0)],
                ..plain(
                    Detector::Windowed {
                        window: Window::Trailing(p.window.0),
                        conditions: vec![at_least(
                            Measure::Count,
                            positive("min_count", p.min_count)?,
                        )],
                        combine: Combine::All,
                    },
                    vec![
                        d("step", money(p.step)),
                        d("min_count", p.min_count.to_string()),
                        d("window", describe_duration(p.window.0)),
                    ],
                )
            }
        }
        "dormant_reactivation" => {
            let p: DormantParams = params(table)?;
            CompiledKind {
                extra_filter: vec![Predicate::BaseAmountAtLeast(p.min_amount.0)],
                ..plain(
                    Detector::Dormancy {
                        min_gap: p.dormant_for.0,
                    },
                    vec![
                        d("dormant_for", describe_duration(p.dormant_for.0)),
                        d("min_amount", money(p.min_amount)),
                    ],
                )
            }
        }
        "velocity_spike" => {
            let p: VelocityParams = params(table)?;
            if p.min_each_direction_percent
                .is_some_and(|x| x.0 == 0 || x.0 > 5_000)
            {
                return Err(KindError::Params(
                    "`min_each_direction_percent` must be above 0 and at most 50 (a share each way)".into(),
                ));
            }
            if p.baseline.0 < p.window.0 {
                return Err(KindError::Params(
                    "`baseline` must be at least as long as `window`".into(),
                ));
            }
            plain(
                Detector::VelocitySpike {
                    window: p.window.0,
                    baseline: p.baseline.0,
                    factor_basis_points: p.factor.0,
                    min_volume: p.min_volume.0,
                    min_baseline_count: i64::from(p.min_baseline_count),
                    min_each_direction_basis_points: p
                        .min_each_direction_percent
                        .map_or(0, |x| x.0),
                },
                vec![
                    d("window", describe_duration(p.window.0)),
                    d("baseline", describe_duration(p.baseline.0)),
                    d("factor", format!("{}x", p.factor.0 as f64 / 10_000.0)),
                    d("min_volume", money(p.min_volume)),
                    d("min_baseline_count", p.min_baseline_count.to_string()),
                    d(
                        "min_each_direction_percent",
                        p.min_each_direction_percent
                            .map_or("none".to_string(), percent),
                    ),
                ],
            )
        }
        "behaviour_change" => {
            let p: BehaviourParams = params(table)?;
            if p.baseline.0 < p.window.0 {
                return Err(KindError::Params(format!(
                    "`baseline` ({}) must be at least as long as `window` ({})",
                    describe_duration(p.baseline.0),
                    describe_duration(p.window.0)
                )));
            }
            if p.factor.0 <= 10_000 {
                return Err(KindError::Params(format!(
                    "`factor` must be more than 1 (got {}): a change of behaviour is a rise above the usual volume",
                    p.factor.0 as f64 / 10_000.0
                )));
            }
            if p.quiet_volume.0 == 0 {
                return Err(KindError::Params(
                    "`quiet_volume` must be more than 0: a dormant account (usual volume 0) is judged against it".into(),
                ));
            }
            let min_count = positive("min_count", p.min_count)?;
            if p.seasonal_share.is_some_and(|s| s.0 == 0) {
                return Err(KindError::Params(
                    "`seasonal_share` must be more than 0% (0% would call every window seasonal); leave it out for no seasonal test".into(),
                ));
            }
            let mut described = vec![
                d("window", describe_duration(p.window.0)),
                d("baseline", describe_duration(p.baseline.0)),
                d("factor", format!("{}x", p.factor.0 as f64 / 10_000.0)),
                d("quiet_volume", money(p.quiet_volume)),
                d("min_count", p.min_count.to_string()),
            ];
            if let Some(share) = p.seasonal_share {
                described.push(d("seasonal_share", percent(share)));
            }
            plain(
                Detector::BehaviourChange {
                    window: p.window.0,
                    baseline: p.baseline.0,
                    factor_basis_points: p.factor.0,
                    quiet_volume: p.quiet_volume.0,
                    min_count,
                    seasonal_share_basis_points: p.seasonal_share.map(|s| s.0),
                },
                described,
            )
        }
        "expected_activity" => {
            let p: ExpectedActivityParams = params(table)?;
            if p.window.0 <= 0 {
                return Err(KindError::Params("`window` must be more than 0".into()));
            }
            plain(
                Detector::ExpectedActivity {
                    window: p.window.0,
                    factor_basis_points: p.factor.0,
                    min_volume: p.min_volume.0,
                },
                vec![
                    d("window", describe_duration(p.window.0)),
                    d("factor", format!("{}x", p.factor.0 as f64 / 10_000.0)),
                    d("min_volume", money(p.min_volume)),
                ],
            )
        }
        other => return Err(KindError::UnknownKind(other.to_string())),
    })
}

/// Whether the detector is a stack of two bipartite layers.
fn stacked(detector: &Detector) -> bool {
    matches!(detector, Detector::Bipartite { layers, .. } if *layers >= 2)
}

/// Placeholders that only some detectors fill, and the detectors that fill them.
fn detector_fact_available(name: &str, detector: &Detector) -> bool {
    match name {
        "moved_percent" | "inflow" if stacked(detector) => true,
        "moved_percent" => matches!(
            detector,
            Detector::FlowThrough { .. }
                | Detector::TemporalPath { .. }
                | Detector::SplitMerge { .. }
        ),
        "inflow" => matches!(
            detector,
            Detector::FlowThrough { .. } | Detector::SplitMerge { .. }
        ),
        "senders" | "recipients" => matches!(detector, Detector::Bipartite { .. }),
        "outflow" => matches!(detector, Detector::FlowThrough { .. }),
        "hops" => matches!(detector, Detector::TemporalPath { .. }),
        "reached" => detector.uses_graph(),
        "intermediaries" => matches!(detector, Detector::SplitMerge { .. }) || stacked(detector),
        "gap" => matches!(
            detector,
            Detector::Dormancy { .. } | Detector::RoundTrip { .. }
        ),
        "sent" | "returned" | "returned_percent" => {
            matches!(detector, Detector::RoundTrip { .. })
        }
        "factor" | "baseline" => matches!(
            detector,
            Detector::VelocitySpike { .. } | Detector::BehaviourChange { .. }
        ),
        "expected" => matches!(detector, Detector::ExpectedActivity { .. }),
        "volume" | "payments" | "against" => {
            matches!(detector, Detector::BehaviourChange { .. })
        }
        _ => true,
    }
}

/// Checks that a summary template only uses known `{placeholders}` that this rule's detector
/// fills, including `{param.NAME}` for the rule's own parameters.
pub fn check_summary(
    template: &str,
    parameters: &[(String, String)],
    detector: &Detector,
) -> Result<(), String> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("summary has an unclosed `{{` in `{template}`"))?;
        let name = &after[..close];
        let is_param = name
            .strip_prefix("param.")
            .is_some_and(|p| parameters.iter().any(|(k, _)| k == p));
        if !is_param && !SUMMARY_PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "summary uses unknown placeholder `{{{name}}}`; expected one of {} or {{param.NAME}} for a parameter of this rule ({})",
                SUMMARY_PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", "),
                parameters.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        if !is_param && !detector_fact_available(name, detector) {
            return Err(format!(
                "summary uses `{{{name}}}`, which this rule's kind does not provide (it would print as `?`)"
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}
