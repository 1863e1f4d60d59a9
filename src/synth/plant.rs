//! Planning and dispatching planted instances of every typology.

use super::columns::Sym;
use super::generator::Gen;
use super::rng::Rng;
use super::{
    plant_cash, plant_flows, plant_layers, plant_network, plant_offshore, plant_other,
    GeneratorConfig,
};
use crate::model::Typology;

/// Minimum days for the dormant-reactivation typology (early activity, a 91-day gap, a margin).
pub const DORMANT_MIN_DAYS: u32 = 100;
/// Minimum days for the velocity-spike typology (63 days of history plus the spike week).
pub const VELOCITY_MIN_DAYS: u32 = 70;
/// First day of a planted change of behaviour: the rule judges an account seen 208 days (a
/// 28-day window after a 180-day baseline) before, and the subject is first seen by day 3.
pub const BEHAVIOUR_FIRST_DAY: u32 = 215;
/// Minimum days for the behaviour-change typology: the first day plus a 14-day burst and a
/// margin. Shorter periods cannot hold the baseline; the burst is up to 6 weeks when there is
/// room.
pub const BEHAVIOUR_MIN_DAYS: u32 = 232;

/// One instance to plant: which typology, its ordinal within the typology, and its subject.
#[derive(Debug, Clone, Copy)]
pub struct PlanItem {
    /// The typology.
    pub typology: Typology,
    /// 0, 1, 2... within the typology.
    pub ordinal: usize,
}

impl PlanItem {
    /// Whether this instance sits at the edges of the rule (every third instance from the second).
    pub fn at_edge(&self) -> bool {
        self.ordinal % 3 == 1
    }

    /// Whether its subject must have no background activity: dormant reactivation, and every
    /// other change of behaviour (the dormant account coming alive; the others are quiet).
    pub fn needs_silent_subject(&self) -> bool {
        self.typology == Typology::DormantReactivation
            || (self.typology == Typology::BehaviourChange && self.ordinal.is_multiple_of(2))
    }
}

/// What a planter produced, before transaction ids are assigned.
#[derive(Debug, Clone)]
pub struct Planted {
    /// The account the rule should name.
    pub subject: Sym,
    /// Every account involved, subject first.
    pub accounts: Vec<Sym>,
    /// Creation indices of the planted rows.
    pub txns: Vec<usize>,
    /// One plain sentence with the parameters used.
    pub note: String,
}

/// Instances per typology: `instances_per_typology`, or one per thousand accounts (at least one).
/// Typologies that cannot be planted are left out with a note.
pub fn plan(cfg: &GeneratorConfig, notes: &mut Vec<String>) -> Vec<PlanItem> {
    let per_typology = cfg
        .instances_per_typology
        .unwrap_or((cfg.accounts / 1000).max(1));
    let mut items = Vec::new();
    let mut wanted: Vec<Typology> = Typology::ALL
        .into_iter()
        .filter(|t| cfg.typologies.contains(t))
        .collect();
    wanted.dedup();
    for typology in wanted {
        let skip = match typology {
            Typology::Sanctions if cfg.watchlist_names.iter().all(|n| n.trim().is_empty()) => {
                Some("sanctions: not planted because watchlist_names is empty".to_string())
            }
            Typology::DormantReactivation if cfg.days < DORMANT_MIN_DAYS => Some(format!(
                "dormant_reactivation: not planted because it needs at least {DORMANT_MIN_DAYS} days (have {})",
                cfg.days
            )),
            Typology::VelocitySpike if cfg.days < VELOCITY_MIN_DAYS => Some(format!(
                "velocity_spike: not planted because it needs at least {VELOCITY_MIN_DAYS} days (have {})",
                cfg.days
            )),
            Typology::BehaviourChange if cfg.days < BEHAVIOUR_MIN_DAYS => Some(format!(
                "behaviour_change: not planted because it needs at least {BEHAVIOUR_MIN_DAYS} days (have {}): a 180-day baseline before a 28-day window",
                cfg.days
            )),
            _ => None,
        };
        if let Some(note) = skip {
            notes.push(note);
            continue;
        }
        items.extend((0..per_typology).map(|ordinal| PlanItem { typology, ordinal }));
    }
    items
}

/// Context a planter gets besides the generator.
pub struct PlantContext<'r> {
    /// The instance.
    pub item: PlanItem,
    /// Index of the subject account.
    pub subject: usize,
    /// Creation-index range of the subject's own background rows.
    pub background: (usize, usize),
    /// The instance's own random stream.
    pub rng: &'r mut Rng,
}

/// Plants one instance.
pub fn plant(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    match ctx.item.typology {
        Typology::CashThreshold => plant_cash::cash_threshold(gen, ctx),
        Typology::CashAggregation => plant_cash::cash_aggregation(gen, ctx),
        Typology::Structuring => plant_cash::structuring(gen, ctx),
        Typology::Smurfing => plant_cash::smurfing(gen, ctx),
        Typology::BulkCash => plant_cash::bulk_cash(gen, ctx),
        Typology::RapidMovement => plant_flows::rapid_movement(gen, ctx),
        // every third fan (not the edge instances) is spread over weeks, with counterparties partly known by name only
        Typology::FanIn if ctx.item.ordinal % 3 == 2 => {
            plant_network::fan_weeks(gen, ctx, plant_network::Direction::In)
        }
        Typology::FanOut if ctx.item.ordinal % 3 == 2 => {
            plant_network::fan_weeks(gen, ctx, plant_network::Direction::Out)
        }
        Typology::FanIn => plant_flows::fan_in(gen, ctx),
        Typology::FanOut => plant_flows::fan_out(gen, ctx),
        Typology::Cycle => plant_network::cycle(gen, ctx),
        Typology::LayeringChain => plant_network::layering_chain(gen, ctx),
        Typology::ScatterGather => plant_network::scatter_gather(gen, ctx),
        Typology::GatherScatter => plant_network::gather_scatter(gen, ctx),
        Typology::RoundTripping => plant_offshore::round_tripping(gen, ctx),
        Typology::Bipartite => plant_layers::bipartite(gen, ctx),
        Typology::StackedBipartite => plant_layers::stacked_bipartite(gen, ctx),
        Typology::RoundAmounts => plant_flows::round_amounts(gen, ctx),
        Typology::HighRiskGeography => plant_other::high_risk_geography(gen, ctx),
        Typology::DormantReactivation => plant_other::dormant_reactivation(gen, ctx),
        Typology::VelocitySpike => plant_other::velocity_spike(gen, ctx),
        Typology::BehaviourChange => plant_other::behaviour_change(gen, ctx),
        Typology::Sanctions => plant_other::sanctions(gen, ctx),
    }
}

/// A random first day leaving `span_days` more days inside the period.
pub fn start_day(gen: &Gen<'_>, rng: &mut Rng, span_days: u32) -> u32 {
    let last = gen.days().saturating_sub(span_days + 1);
    rng.range(0, i64::from(last)) as u32
}

/// Splits `total` micros into `parts` amounts (whole cents), each within `[lo, hi]` micros when
/// `parts * lo <= total <= parts * hi`. The last part absorbs the rounding.
pub fn split_amount(rng: &mut Rng, total: i64, parts: usize, lo: i64, hi: i64) -> Vec<i64> {
    let cent = 10_000;
    let mut out = Vec::with_capacity(parts);
    let mut remaining = total;
    for i in 0..parts {
        let left_after = (parts - i - 1) as i64;
        if left_after == 0 {
            out.push(remaining);
            break;
        }
        let min_here = lo.max(remaining - left_after * hi);
        let max_here = hi.min(remaining - left_after * lo);
        let pick = if max_here > min_here {
            rng.range(min_here / cent, max_here / cent) * cent
        } else {
            min_here
        };
        let pick = pick.clamp(min_here, max_here.max(min_here));
        out.push(pick);
        remaining -= pick;
    }
    out
}

/// Formats micros as `9,120.00` for notes.
pub fn money(micros: i64) -> String {
    crate::model::format_money_grouped(micros)
}
