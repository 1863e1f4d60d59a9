//! The engine-neutral rule plan.
//!
//! A rule pack compiles to [`RulePlan`]s: plain data that says *what* a rule computes (which
//! transactions, whose behaviour, over which window, measured how, compared with what). It says
//! nothing about Polars. The Polars back end in `engine` runs a plan; a Spark SQL back end could
//! translate the same plan into SQL.

use crate::model::{Channel, Typology};

/// A duration in microseconds (windows, horizons, gaps). Always positive.
pub type Micros = i64;

/// Microseconds in one second.
pub const SECOND: Micros = 1_000_000;
/// Microseconds in one day.
pub const DAY: Micros = 86_400 * SECOND;

/// A canonical text column that rules can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    OrigAccount,
    OrigName,
    OrigCountry,
    BeneAccount,
    BeneName,
    BeneCountry,
    Branch,
}

impl Field {
    /// Every field, for messages.
    pub const ALL: [Field; 7] = [
        Field::OrigAccount,
        Field::OrigName,
        Field::OrigCountry,
        Field::BeneAccount,
        Field::BeneName,
        Field::BeneCountry,
        Field::Branch,
    ];

    /// The canonical column name.
    pub fn column(self) -> &'static str {
        match self {
            Field::OrigAccount => "orig_account",
            Field::OrigName => "orig_name",
            Field::OrigCountry => "orig_country",
            Field::BeneAccount => "bene_account",
            Field::BeneName => "bene_name",
            Field::BeneCountry => "bene_country",
            Field::Branch => "branch",
        }
    }

    /// Parses a canonical column name.
    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.column() == name)
    }
}

/// One condition on a single transaction. A rule's filter is the conjunction of its predicates.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// The channel is one of these.
    ChannelIn(Vec<Channel>),
    /// The channel is none of these.
    ChannelNotIn(Vec<Channel>),
    /// Base-currency amount at or over this many micros.
    BaseAmountAtLeast(i64),
    /// Base-currency amount strictly below this many micros.
    BaseAmountBelow(i64),
    /// The amount in its own currency is an exact multiple of this many micros.
    AmountMultipleOf(i64),
    /// The field's value is in the named list.
    FieldIn { field: Field, values: Vec<String> },
    /// The originator's or the beneficiary's country is in the list.
    EitherCountryIn(Vec<String>),
    /// Originator and beneficiary countries are both known and differ (`true`), or are equal
    /// (`false`).
    CrossBorder(bool),
    /// The field is non-empty (`true`) or empty (`false`).
    Present { field: Field, present: bool },
    /// Originator and beneficiary names are the same person, compared case-insensitively
    /// (`true`), or differ (`false`).
    SamePerson(bool),
    /// The segment of the account on `side` is one of `segments` (`member`), or is not
    /// (`!member`; an account of no segment is in none). Segments come with the run (see
    /// `crate::rules::segments`), not from the transaction.
    SegmentIn {
        side: SegmentSide,
        segments: Vec<String>,
        member: bool,
    },
}

/// Which account of a transaction a [`Predicate::SegmentIn`] looks at: a rule's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentSide {
    Originator,
    Beneficiary,
    /// The bank-side account, as for [`Subject::Account`].
    Account,
}

impl SegmentSide {
    /// The side of a rule's subject, when a segment of it is one account per transaction.
    pub fn of(subject: &Subject) -> Option<SegmentSide> {
        match subject {
            Subject::Originator => Some(SegmentSide::Originator),
            Subject::Beneficiary => Some(SegmentSide::Beneficiary),
            Subject::Account => Some(SegmentSide::Account),
            Subject::Either | Subject::OppositeOfCountryIn(_) => None,
        }
    }
}

/// What makes passing money on an account's routine (see [`Detector::FlowThrough`]): an
/// inflow at `t` (a window's end, for a summed inflow) is routine when the subject passed on
/// inflows the same way on at least `count` distinct UTC days in `[t - baseline, t)`, counting
/// only those whose pass-on ended before `t`. Earlier inflows before the
/// data (or the nightly history) starts are unknown: at the start of the data nothing is
/// routine yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowRoutine {
    pub baseline: Micros,
    pub count: u32,
}

/// A segment's own detector for a rule: the rule's subjects in `segment` are judged by it (the
/// same kind with some parameters changed), every other subject by the rule's own detector.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentVariant {
    pub segment: String,
    /// The rule's filter with this segment's parameters (a kind may turn parameters into
    /// predicates, as structuring does its band).
    pub filter: Vec<Predicate>,
    pub detector: Detector,
}

/// Whose behaviour a rule measures: the account an alert is raised on.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// The originating account.
    Originator,
    /// The beneficiary account.
    Beneficiary,
    /// The bank-side account of the transaction: the beneficiary when present (a deposit), else
    /// the originator (a withdrawal).
    Account,
    /// Every account involved, on either side: each transaction counts for both.
    Either,
    /// The account on the side opposite a country in the list (our customer, when the
    /// counterparty is in a listed country).
    OppositeOfCountryIn(Vec<String>),
}

/// How far back a window looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// A trailing window `[t - length, t]`, closed at both ends.
    Trailing(Micros),
    /// A business day: the calendar day in the pack's business-day offset from UTC.
    BusinessDay { utc_offset_secs: i32 },
}

impl Window {
    /// How long the window is: its length, or one day for a business day.
    pub fn length(&self) -> Micros {
        match self {
            Window::Trailing(length) => *length,
            Window::BusinessDay { .. } => DAY,
        }
    }
}

/// Something measured over the transactions in a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    /// Number of transactions.
    Count,
    /// Sum of base-currency amounts (micros).
    Sum,
    /// Number of distinct non-empty values of a field.
    Distinct(Field),
    /// Number of distinct non-empty values of a field that are new to the subject: values in
    /// the window that the subject's selected transactions did not hold in the `baseline`
    /// before the window. A trailing window `[t - length, t]` has the baseline
    /// `[t - length - baseline, t - length)`; a business day starting (local midnight, in UTC)
    /// at `s` has `[s - baseline, s)`. A value the subject last held before its baseline counts
    /// as new again. Transactions before the data (or the nightly history) starts are unknown:
    /// at the start of the data every value is new, as a brand-new account's are.
    DistinctNew { field: Field, baseline: Micros },
    /// The window's count of transactions against the subject's routine: with `c` the count,
    /// `p` the subject's selected transactions in the `baseline` before the window (the same
    /// span as for [`Measure::DistinctNew`]) and `length` the window's length (a business day's
    /// is [`DAY`]), `floor(c * baseline * 10_000 / (p * length))` basis points: how many times
    /// its average count per window over the baseline the window holds. `i64::MAX` when
    /// `p = 0`: nothing before the window makes it routine. So `measure >= factor` is exactly
    /// `c * baseline * 10_000 >= factor * p * length`. Transactions before the data (or the
    /// nightly history) starts are unknown: at the start of the data nothing is routine yet.
    CountAgainstRoutine { baseline: Micros },
    /// Largest base-currency amount minus smallest, in basis points of the largest.
    SpreadBasisPoints,
}

/// `measure >= value` (or `<=` for [`Measure::SpreadBasisPoints`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    pub measure: Measure,
    pub value: i64,
}

/// Whether all conditions must hold, or any one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    All,
    Any,
}

/// What a rule computes once its transactions are selected.
#[derive(Debug, Clone, PartialEq)]
pub enum Detector {
    /// Each selected transaction is a hit.
    PerTransaction,
    /// Measures over a window per subject, compared with thresholds.
    Windowed {
        window: Window,
        conditions: Vec<Condition>,
        combine: Combine,
    },
    /// Money comes in (one transaction, or a sum over `inflow_window`) and at least
    /// `min_out_basis_points` of it leaves the same account within `horizon` through
    /// transactions matching `outflow`.
    FlowThrough {
        inflow_window: Option<Micros>,
        min_inflow: i64,
        outflow: Vec<Predicate>,
        min_out_basis_points: i64,
        horizon: Micros,
        /// Outflows from the subject's other accounts count too: accounts linked by a transfer
        /// between them whose originator and beneficiary names are the same person (the same
        /// customer's second account), in groups of at most [`OWN_ACCOUNTS_MAX`] accounts.
        via_own_accounts: bool,
        /// When set, an inflow passed on is the account's routine, and no hit, when the
        /// account passed on at least `count` earlier inflows the same way in the `baseline`
        /// before it.
        routine: Option<FlowRoutine>,
    },
    /// Funds moving A → B → … in time order over the run's money-flow graph: `min_hops..=max_hops`
    /// transfers within `horizon` of the first, each carrying between `min_retained_basis_points`
    /// of the previous transfer and the previous amount plus `max_growth_basis_points`, never
    /// visiting an account twice. [`PathMode::Cycle`] paths end where they started;
    /// [`PathMode::Chain`] paths end anywhere. The subject is the first originator.
    TemporalPath {
        mode: PathMode,
        min_hops: usize,
        max_hops: usize,
        horizon: Micros,
        min_retained_basis_points: i64,
        max_growth_basis_points: i64,
        limits: GraphLimits,
    },
    /// A scatter-gather ([`FlowShape::ScatterGather`]: one source pays at least
    /// `min_intermediaries` accounts within `window`, and they pass at least
    /// `min_forwarded_basis_points` of it on to one common sink within `horizon`) or a
    /// gather-scatter ([`FlowShape::GatherScatter`]: at least `min_intermediaries` senders pay
    /// one hub within `window`, and the hub pays at least `min_forwarded_basis_points` of it on
    /// to at least `min_intermediaries` recipients within `horizon`).
    SplitMerge {
        shape: FlowShape,
        min_intermediaries: usize,
        window: Micros,
        horizon: Micros,
        min_forwarded_basis_points: i64,
        limits: GraphLimits,
    },
    /// Many-to-many layering (IBM AMLworld's bipartite and stacked-bipartite patterns, see
    /// [`crate::rules::bipartite`]): within a window of `window` (windows start every half
    /// window), at least `min_senders` senders each paying at least `min_links` distinct
    /// recipients of the layer and at least `min_recipients` recipients each paid by at least
    /// `min_links` of its senders, at most `max_accounts` accounts in all. With `layers = 2`,
    /// the layer's recipients then pay such a second layer within `horizon` of their last
    /// receipt, passing on at least `min_forwarded_basis_points` of what they received. The
    /// subject is the first sender.
    Bipartite {
        layers: u8,
        min_senders: usize,
        min_recipients: usize,
        min_links: usize,
        window: Micros,
        horizon: Micros,
        min_forwarded_basis_points: i64,
        max_accounts: usize,
        limits: GraphLimits,
    },
    /// At least `min_counterparties` distinct counterparties paying the subject
    /// ([`FanDirection::In`]) or paid by it ([`FanDirection::Out`]) within a trailing `window`,
    /// counted over the money-flow graph: an account by its number, a counterparty without one
    /// by its normalised name and country.
    PartyFan {
        direction: FanDirection,
        window: Micros,
        min_counterparties: usize,
    },
    /// Round-tripping over the run's money-flow graph: the subject pays a party (in
    /// `party_countries` when given) and, no sooner than `min_gap` and within `horizon` of the
    /// first payment, gets back between `min_returned_basis_points` and
    /// `max_returned_basis_points` of what it sent to that party (and related ones within
    /// `out_window`) from the same party or a related one.
    RoundTrip {
        party_countries: Vec<String>,
        related_by_name: bool,
        related_by_country: bool,
        out_window: Micros,
        min_gap: Micros,
        horizon: Micros,
        min_returned_basis_points: i64,
        max_returned_basis_points: i64,
        limits: GraphLimits,
    },
    /// A transaction of the subject after at least `min_gap` without any activity of it.
    Dormancy { min_gap: Micros },
    /// Volume over `window` at least `factor_basis_points / 10_000` times the subject's average
    /// volume per `window` over the preceding `baseline`, and at least `min_volume`.
    VelocitySpike {
        window: Micros,
        baseline: Micros,
        factor_basis_points: i64,
        min_volume: i64,
        /// Transactions the baseline must hold, so that sparse accounts are not judged on a
        /// handful of payments.
        min_baseline_count: i64,
        /// The least share of the window's volume (basis points) that must come in, and the
        /// least that must go out (0: none): money passing through the subject, not one large
        /// payment (a term's tuition) or one large receipt.
        min_each_direction_basis_points: i64,
    },
    /// A change against the subject's own history: over the `window` ending at a transaction,
    /// at least `min_count` transactions with volume `V` of at least
    /// `factor_basis_points / 10_000` times `max(B, quiet_volume)`, where `B` is the subject's
    /// average volume per `window` over the `baseline` before the window (0 for a dormant
    /// account, which is judged against `quiet_volume` instead). `factor * quiet_volume` is
    /// thus the least volume that can alert (a separate minimum would duplicate it). Only subjects seen at least
    /// `window + baseline` before are judged.
    ///
    /// With `seasonal_share_basis_points`, a window is routine, not a change, when the same
    /// window one year ([`SEASON_YEAR`]) earlier, widened by [`SEASON_SLACK`] at both ends, held
    /// at least that share of `V`. That check needs the subject seen a year and the widened
    /// window before; without it the rule does not claim seasonality (the alert says so). It
    /// makes the rule's [`RulePlan::lookback`] a year and five weeks: a nightly state keeps
    /// that much history.
    BehaviourChange {
        window: Micros,
        baseline: Micros,
        factor_basis_points: i64,
        /// The volume per window a quiet or dormant account is judged against: the factor
        /// applies to the larger of this and the account's own average.
        quiet_volume: i64,
        /// Transactions the window must hold: many payments, so that one large payment (a
        /// term's tuition, a car) is not a change of behaviour.
        min_count: i64,
        seasonal_share_basis_points: Option<i64>,
    },
    /// Activity against what the customer declared: the subject's money in and out over a
    /// trailing `window` ending at a transaction is at least `factor_basis_points` / 10,000 times
    /// its expected monthly volume (from the customer file) scaled to the window, exactly
    /// `sum × 30 days × 10,000 ≥ factor × expected × window`, and at least `min_volume`.
    /// Subjects without an expected volume are not judged. One customer's accounts are one
    /// subject: the customer's first account by id among those in the run, with the others'
    /// transactions pooled into it (transfers between them left out).
    ExpectedActivity {
        window: Micros,
        factor_basis_points: i64,
        min_volume: i64,
    },
}

/// How far back the seasonal test of [`Detector::BehaviourChange`] looks: 365 days.
pub const SEASON_YEAR: Micros = 365 * DAY;
/// How much the year-earlier window of the seasonal test is widened at each end: 7 days.
pub const SEASON_SLACK: Micros = 7 * DAY;

/// Whether a temporal path must return to its first originator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathMode {
    /// The last transfer pays the first originator (round-tripping).
    Cycle,
    /// The path ends anywhere (a layering chain).
    Chain,
}

/// The two mirror shapes of [`Detector::SplitMerge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowShape {
    /// One source, many intermediaries, one sink.
    ScatterGather,
    /// Many senders, one hub, many recipients.
    GatherScatter,
}

/// Which side of the subject a fan counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanDirection {
    /// Counterparties paying the subject.
    In,
    /// Counterparties the subject pays.
    Out,
}

/// The largest group of accounts that same-person transfers may link as one customer's own
/// accounts; larger groups (a common name shared by strangers) are not treated as one customer.
pub const OWN_ACCOUNTS_MAX: usize = 8;

/// Bounds that keep a graph search near-linear in transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphLimits {
    /// Extensions tried from one starting transfer before the search from it gives up.
    pub max_expansions_per_start: usize,
    /// Accounts with more transfers (in and out) than this on one UTC day are hubs (payroll,
    /// merchants, money service businesses): a search neither starts at nor passes through them.
    pub max_transfers_per_day: usize,
}

impl GraphLimits {
    /// The bounds the kinds use unless a rule sets its own.
    pub const DEFAULT: GraphLimits = GraphLimits {
        max_expansions_per_start: 20_000,
        max_transfers_per_day: 50,
    };
}

impl Detector {
    /// Whether the detector searches the run's money-flow graph.
    pub fn uses_graph(&self) -> bool {
        matches!(
            self,
            Detector::TemporalPath { .. }
                | Detector::SplitMerge { .. }
                | Detector::PartyFan { .. }
                | Detector::RoundTrip { .. }
                | Detector::Bipartite { .. }
        )
    }

    /// What a graph detector searched, stated in each of its alerts (empty for the others).
    pub fn bounds(&self) -> String {
        let pct = |bp: i64| format!("{}%", bp as f64 / 100.0);
        let hubs = |l: &GraphLimits| {
            format!(
                "accounts with more than {} transfers on one day skipped as hubs; at most {} extensions per starting transfer",
                l.max_transfers_per_day, l.max_expansions_per_start
            )
        };
        match self {
            Detector::TemporalPath {
                mode,
                min_hops,
                max_hops,
                horizon,
                min_retained_basis_points,
                max_growth_basis_points,
                limits,
            } => format!(
                "searched {} of {min_hops} to {max_hops} hops within {}, each hop {} to {} of the previous; {}",
                match mode {
                    PathMode::Cycle => "cycles",
                    PathMode::Chain => "chains",
                },
                describe_duration(*horizon),
                pct(*min_retained_basis_points),
                pct(10_000 + max_growth_basis_points),
                hubs(limits)
            ),
            Detector::SplitMerge {
                shape,
                min_intermediaries,
                window,
                horizon,
                min_forwarded_basis_points,
                limits,
            } => format!(
                "searched {} with at least {min_intermediaries} {} within {}, at least {} passed on within {}; {}",
                match shape {
                    FlowShape::ScatterGather => "one source paying intermediaries that pay one sink",
                    FlowShape::GatherScatter => "senders paying one account that pays recipients",
                },
                match shape {
                    FlowShape::ScatterGather => "intermediaries",
                    FlowShape::GatherScatter => "senders and recipients",
                },
                describe_duration(*window),
                pct(*min_forwarded_basis_points),
                describe_duration(*horizon),
                hubs(limits)
            ),
            Detector::Bipartite {
                layers,
                min_senders,
                min_recipients,
                min_links,
                window,
                horizon,
                min_forwarded_basis_points,
                max_accounts,
                limits,
            } => {
                let half = describe_duration(window / 2);
                let mut text = format!(
                    "searched layers of at least {min_senders} senders each paying at least {min_links} of at least {min_recipients} recipients, each recipient paid by at least {min_links} of the senders, at most {max_accounts} accounts a layer, in windows of {} starting every {half} (a layer within {half} is always seen whole)",
                    describe_duration(*window)
                );
                if *layers >= 2 {
                    text.push_str(&format!(
                        ", whose recipients pay such a second layer within {} of their last receipt, passing on at least {}",
                        describe_duration(*horizon),
                        pct(*min_forwarded_basis_points)
                    ));
                }
                text.push_str(&format!(
                    "; accounts with more than {} transfers on one day skipped as hubs",
                    limits.max_transfers_per_day
                ));
                text
            }
            Detector::PartyFan {
                direction,
                window,
                min_counterparties,
            } => format!(
                "counted distinct {} (accounts by number, others by normalised name and country) over trailing windows of {}, at least {min_counterparties} needed",
                match direction {
                    FanDirection::In => "senders",
                    FanDirection::Out => "payees",
                },
                describe_duration(*window)
            ),
            Detector::RoundTrip {
                party_countries,
                related_by_name,
                related_by_country,
                out_window,
                min_gap,
                horizon,
                min_returned_basis_points,
                max_returned_basis_points,
                limits,
            } => {
                let mut related = vec!["the same party"];
                if *related_by_name {
                    related.push("a party sharing a distinctive name word");
                }
                if *related_by_country {
                    related.push("a party in the same country");
                }
                format!(
                    "searched payments to {} summed over {}, {} to {} of them coming back from {} between {} and {} after the first; accounts with more than {} transfers on one day skipped as hubs",
                    match party_countries.len() {
                        0 => "any party".to_string(),
                        1..=6 => format!("parties in {}", party_countries.join(", ")),
                        n => format!("parties in the {n} countries of the rule's list"),
                    },
                    describe_duration(*out_window),
                    pct(*min_returned_basis_points),
                    pct(*max_returned_basis_points),
                    related.join(" or "),
                    describe_duration(*min_gap),
                    describe_duration(*horizon),
                    limits.max_transfers_per_day
                )
            }
            _ => String::new(),
        }
    }
}

/// One compiled rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RulePlan {
    pub rule_id: String,
    pub pack: String,
    pub typology: Typology,
    pub subject: Subject,
    pub filter: Vec<Predicate>,
    pub detector: Detector,
    /// Per-segment detectors (empty: every subject is judged by `detector`). Only for
    /// per-transaction, windowed and flow-through detectors with a one-sided subject.
    pub segments: Vec<SegmentVariant>,
}

impl Condition {
    /// The baseline before the window that the condition's measure looks at (0 for all but
    /// [`Measure::DistinctNew`] and [`Measure::CountAgainstRoutine`]).
    pub fn baseline(&self) -> Micros {
        match self.measure {
            Measure::DistinctNew { baseline, .. } | Measure::CountAgainstRoutine { baseline } => {
                baseline
            }
            _ => 0,
        }
    }
}

impl RulePlan {
    /// How far back in time this rule looks from a transaction: the history a nightly run must
    /// keep so that tonight's evaluation sees every window this rule can form (a distinct-new
    /// count and a count against the routine need their baseline before the window too).
    pub fn lookback(&self) -> Micros {
        // a rule that uses segments keeps the history its accounts' profiles are derived from
        let uses_segments = !self.segments.is_empty()
            || self
                .filter
                .iter()
                .any(|p| matches!(p, Predicate::SegmentIn { .. }));
        let profile = if uses_segments {
            crate::rules::segments::PROFILE_HORIZON_DAYS * DAY
        } else {
            0
        };
        self.segments
            .iter()
            .map(|v| Self::detector_lookback(&v.detector))
            .fold(Self::detector_lookback(&self.detector), Micros::max)
            .max(profile)
    }

    /// The plan a segment's subjects run: `variant`'s detector (the rule's own for `None`, the
    /// subjects of no variant's segment), with the filter narrowed to those subjects.
    pub fn for_segment(&self, variant: Option<&SegmentVariant>) -> RulePlan {
        let side = SegmentSide::of(&self.subject).unwrap_or(SegmentSide::Account);
        let (segments, member, mut filter, detector) = match variant {
            Some(v) => (
                vec![v.segment.clone()],
                true,
                v.filter.clone(),
                v.detector.clone(),
            ),
            None => (
                self.segments.iter().map(|v| v.segment.clone()).collect(),
                false,
                self.filter.clone(),
                self.detector.clone(),
            ),
        };
        filter.push(Predicate::SegmentIn {
            side,
            segments,
            member,
        });
        RulePlan {
            filter,
            detector,
            segments: Vec::new(),
            ..self.clone()
        }
    }

    fn detector_lookback(detector: &Detector) -> Micros {
        let baseline = |conditions: &[Condition]| {
            conditions
                .iter()
                .map(Condition::baseline)
                .max()
                .unwrap_or(0)
        };
        match detector {
            Detector::PerTransaction => 0,
            Detector::Windowed {
                window: Window::Trailing(length),
                conditions,
                ..
            } => length + baseline(conditions),
            Detector::Windowed {
                window: Window::BusinessDay { .. },
                conditions,
                ..
            } => DAY + baseline(conditions),
            Detector::FlowThrough {
                inflow_window,
                horizon,
                routine,
                ..
            } => inflow_window.unwrap_or(0) + horizon + routine.map_or(0, |r| r.baseline),
            Detector::TemporalPath { horizon, .. } => *horizon,
            Detector::SplitMerge {
                window, horizon, ..
            } => window + horizon,
            Detector::PartyFan { window, .. } => *window,
            Detector::RoundTrip { horizon, .. } => *horizon,
            Detector::Bipartite {
                layers,
                window,
                horizon,
                ..
            } => {
                if *layers >= 2 {
                    window + horizon
                } else {
                    *window
                }
            }
            // the last activity before the history comes from the state's last-seen table
            Detector::Dormancy { .. } => 0,
            Detector::VelocitySpike {
                window, baseline, ..
            } => window + baseline,
            Detector::ExpectedActivity { window, .. } => *window,
            Detector::BehaviourChange {
                window,
                baseline,
                seasonal_share_basis_points,
                ..
            } => {
                let seasonal = if seasonal_share_basis_points.is_some() {
                    SEASON_YEAR + window + SEASON_SLACK
                } else {
                    0
                };
                (window + baseline).max(seasonal)
            }
        }
    }
}

/// Formats a duration for people: `7 days`, `48 hours`, `90 minutes`, `1 day 12 hours`.
pub fn describe_duration(d: Micros) -> String {
    let secs = d / SECOND;
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if secs % 86_400 == 0 {
        plural(secs / 86_400, "day")
    } else if secs % 3600 == 0 {
        plural(secs / 3600, "hour")
    } else if secs % 60 == 0 {
        plural(secs / 60, "minute")
    } else {
        plural(secs, "second")
    }
}
