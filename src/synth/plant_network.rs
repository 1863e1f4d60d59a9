//! Planted network typologies, with widely randomised parameters: cycles of 3 to 8 hops over 2 to
//! 30 days, layering chains of 4 to 8 hops, scatter-gather and gather-scatter through 3 to 12
//! intermediaries, and fans spread over one to four weeks whose counterparties are partly known
//! by name and country only. Every hop loses 1–5% to fees and may change currency.

use super::columns::{PartySyms, Sym};
use super::generator::{amount_between, not_round, units, Gen, HOUR_MICROS};
use super::names::BusinessKind;
use super::plant::{money, split_amount, start_day, PlantContext, Planted};
use super::rng::Rng;
use crate::model::{Channel, MICROS_PER_UNIT};

/// Currencies a hop may be paid in, with the generator's rates (base micros per unit).
const HOP_CURRENCIES: [(&str, i64); 5] = [
    ("USD", 1_000_000),
    ("EUR", 1_080_000),
    ("TTD", 147_000),
    ("XCD", 370_000),
    ("JMD", 6_400),
];

/// The longest span (days) a planted structure may take in this period: 30 days, less in a
/// short period so that it stays inside it.
pub(super) fn max_span_days(gen: &Gen<'_>) -> i64 {
    (i64::from(gen.days()) - 2).clamp(2, 30)
}

/// Pays `base` micros of base currency from `orig` to `bene` in a random hop currency, rounded to
/// cents of that currency. Returns the row.
#[allow(clippy::too_many_arguments)]
pub(super) fn pay(
    gen: &mut Gen<'_>,
    rng: &mut Rng,
    ts: i64,
    base: i64,
    channel: Channel,
    orig: PartySyms,
    bene: PartySyms,
    our_account: usize,
    currency_change: bool,
) -> usize {
    let (code, rate) = if currency_change {
        *rng.pick(&HOP_CURRENCIES)
    } else {
        HOP_CURRENCIES[0]
    };
    let cent = MICROS_PER_UNIT / 100;
    let amount =
        ((i128::from(base) * i128::from(MICROS_PER_UNIT) / i128::from(rate)) as i64) / cent * cent;
    let amount = not_round(amount.max(cent));
    let currency = gen.sym(code);
    let branch = gen.pop.accounts[our_account].branch;
    gen.emit(ts, amount, currency, channel, orig, bene, branch)
}

/// `count` strictly increasing times from `start` to `start + span_hours` hours (first and last
/// on the ends).
pub(super) fn times(rng: &mut Rng, start: i64, span_hours: i64, count: usize) -> Vec<i64> {
    let gaps = (count.max(2) - 1) as i64;
    let step = span_hours / gaps;
    (0..count as i64)
        .map(|i| {
            let jitter = if i == 0 || i == gaps || step < 4 {
                0
            } else {
                rng.range(-(step / 3), step / 3)
            };
            start + (step * i + jitter) * HOUR_MICROS + i * 60 * MICROS_PER_UNIT
        })
        .collect()
}

/// A company at another bank, domestic or foreign (never in a FATF-listed country).
pub(super) fn company(gen: &mut Gen<'_>, rng: &mut Rng) -> (PartySyms, Channel) {
    if rng.chance(0.4) {
        let home = gen.cfg.home_country.clone();
        (
            gen.new_external(rng, &home, Some(BusinessKind::Client)),
            Channel::Mobile,
        )
    } else {
        let country = gen.safe_foreign(rng);
        (
            gen.new_external(rng, country, Some(BusinessKind::Foreign)),
            Channel::Wire,
        )
    }
}

/// A path of transfers from the subject through `hops` transfers, 1–5% lost to fees at each,
/// back to the subject (`close`) or to a last company. Spread over 2 to 30 days.
fn path(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>, hops: usize, close: bool) -> Planted {
    let rng = &mut *ctx.rng;
    let max_days = max_span_days(gen);
    let span_hours = rng.range(36, max_days * 24 - 4);
    let first = start_day(gen, rng, (span_hours / 24 + 1) as u32);
    let start = gen.local_time(rng, first, 8, 10);
    let me = gen.party(ctx.subject);
    let mut nodes = vec![(me, Channel::Wire)];
    let others = if close { hops - 1 } else { hops };
    for _ in 0..others {
        nodes.push(company(gen, rng));
    }
    let mut base = amount_between(rng, 5_000, 250_000);
    let mut fees = Vec::new();
    let mut txns = Vec::new();
    for (hop, ts) in times(rng, start, span_hours, hops).into_iter().enumerate() {
        if hop > 0 {
            let fee = rng.range(100, 500);
            fees.push(format!("{}%", fee as f64 / 100.0));
            base = base * (10_000 - fee) / 10_000;
        }
        let (orig, _) = nodes[hop];
        let (bene, channel) = nodes[(hop + 1) % nodes.len()];
        let channel = if hop + 1 == nodes.len() && close {
            Channel::Wire
        } else {
            channel
        };
        txns.push(pay(
            gen,
            rng,
            ts,
            base,
            channel,
            orig,
            bene,
            ctx.subject,
            hop > 0,
        ));
    }
    Planted {
        subject: me.account,
        accounts: nodes.iter().map(|n| n.0.account).collect(),
        txns,
        note: format!(
            "{hops}-hop {} over {span_hours} hours, first transfer {} USD, fees per hop {}",
            if close {
                "cycle back to the subject"
            } else {
                "layering chain"
            },
            money(base),
            fees.join(", ")
        ),
    }
}

/// Funds leave the subject and come back through 3 to 8 hops within 2 to 30 days.
pub fn cycle(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let hops = 3 + ctx.rng.index(6);
    path(gen, ctx, hops, true)
}

/// Funds leave the subject through a chain of 4 to 8 transfers within 2 to 30 days.
pub fn layering_chain(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let hops = 4 + ctx.rng.index(5);
    path(gen, ctx, hops, false)
}

/// The subject pays 3 to 12 intermediaries within 1 to 6 days; each passes 90–99% on to one
/// common sink within 6 hours to 9 days.
pub fn scatter_gather(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let k = 3 + rng.index(10);
    let spread_hours = rng.range(8, 6 * 24);
    let first = start_day(
        gen,
        rng,
        (spread_hours / 24 + 11).min(i64::from(gen.days()) - 2) as u32,
    );
    let start = gen.local_time(rng, first, 8, 10);
    let me = gen.party(ctx.subject);
    let country = gen.safe_foreign(rng);
    let sink = gen.new_external(rng, country, Some(BusinessKind::Foreign));
    let mut accounts = vec![me.account];
    let mut txns = Vec::new();
    let (mut sent, mut reached) = (0i64, 0i64);
    let latest = gen.day0 + i64::from(gen.days()) * 24 * HOUR_MICROS - HOUR_MICROS;
    for ts in times(rng, start, spread_hours, k) {
        let (mid, channel) = company(gen, rng);
        let amount = amount_between(rng, 2_000, 40_000);
        txns.push(pay(
            gen,
            rng,
            ts,
            amount,
            channel,
            me,
            mid,
            ctx.subject,
            false,
        ));
        let share = rng.range(9_000, 9_900);
        let onward = amount * share / 10_000;
        let offset = rng.range(6, 9 * 24);
        let later = (ts + offset * HOUR_MICROS)
            .min(latest)
            .max(ts + 60 * MICROS_PER_UNIT);
        txns.push(pay(
            gen,
            rng,
            later,
            onward,
            Channel::Wire,
            mid,
            sink,
            ctx.subject,
            true,
        ));
        accounts.push(mid.account);
        sent += amount;
        reached += onward;
    }
    accounts.push(sink.account);
    Planted {
        subject: me.account,
        accounts,
        txns,
        note: format!(
            "{} sent to {k} intermediaries over {spread_hours} hours, {} of it reaching one sink",
            money(sent),
            money(reached)
        ),
    }
}

/// 3 to 12 senders pay the subject within 1 to 6 days; it pays 90–98% of it on to 3 to 12
/// recipients within 1 to 9 days of the last.
pub fn gather_scatter(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let senders = 3 + rng.index(10);
    let recipients = 3 + rng.index(10);
    let spread_hours = rng.range(8, 6 * 24);
    let pay_hours = rng.range(24, 9 * 24);
    let total_days = ((spread_hours + pay_hours) / 24 + 2).min(i64::from(gen.days()) - 2);
    let first = start_day(gen, rng, total_days as u32);
    let start = gen.local_time(rng, first, 8, 10);
    let me = gen.party(ctx.subject);
    let mut accounts = vec![me.account];
    let mut txns = Vec::new();
    let mut gathered = 0i64;
    let arrivals = times(rng, start, spread_hours, senders);
    for &ts in &arrivals {
        let (from, channel) = company(gen, rng);
        let amount = amount_between(rng, 2_000, 40_000);
        txns.push(pay(
            gen,
            rng,
            ts,
            amount,
            channel,
            from,
            me,
            ctx.subject,
            true,
        ));
        accounts.push(from.account);
        gathered += amount;
    }
    let share = rng.range(9_000, 9_800);
    let out_total = gathered * share / 10_000;
    let parts = split_amount(rng, out_total, recipients, units(1_000), out_total);
    let last_in = arrivals[arrivals.len() - 1];
    let latest = gen.day0 + i64::from(gen.days()) * 24 * HOUR_MICROS - HOUR_MICROS;
    let outs = times(rng, last_in + 6 * HOUR_MICROS, pay_hours - 6, recipients);
    for (amount, ts) in parts.into_iter().zip(outs) {
        let (to, channel) = company(gen, rng);
        txns.push(pay(
            gen,
            rng,
            ts.min(latest),
            amount,
            channel,
            me,
            to,
            ctx.subject,
            false,
        ));
        accounts.push(to.account);
    }
    Planted {
        subject: me.account,
        accounts,
        txns,
        note: format!(
            "{senders} senders paid in {} over {spread_hours} hours; {}% of it paid on to {recipients} recipients within {pay_hours} hours",
            money(gathered),
            share / 100
        ),
    }
}

/// Which way a fan goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

/// A fan over 7 to 27 days: 8 to 15 different counterparties, about half of them known by name
/// and country only (no account), some paying or paid twice, each payment 1,000–9,000.
pub fn fan_weeks(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>, direction: Direction) -> Planted {
    let rng = &mut *ctx.rng;
    let parties = 8 + rng.index(8);
    let span_days = rng.range(7, max_span_days(gen).min(27));
    let first = start_day(gen, rng, span_days as u32 + 1);
    let start = gen.local_time(rng, first, 8, 10);
    let me = gen.party(ctx.subject);
    let mut others = Vec::new();
    for _ in 0..parties {
        let foreign = rng.chance(0.4);
        let country = if foreign {
            gen.safe_foreign(rng).to_string()
        } else {
            gen.cfg.home_country.clone()
        };
        let mut party = gen.new_external(rng, &country, None);
        let unbanked = rng.chance(0.5);
        if unbanked {
            party.account = Sym(0);
        }
        others.push((
            party,
            if foreign {
                Channel::Wire
            } else {
                Channel::Mobile
            },
        ));
    }
    let repeats = rng.index(4);
    let count = parties + repeats;
    let mut txns = Vec::new();
    for (i, ts) in times(rng, start, span_days * 24, count)
        .into_iter()
        .enumerate()
    {
        let (other, channel) = others[i % parties];
        let amount = not_round(amount_between(rng, 1_000, 9_000));
        let (orig, bene) = match direction {
            Direction::In => (other, me),
            Direction::Out => (me, other),
        };
        txns.push(gen.transfer(ts, amount, channel, orig, bene, ctx.subject));
    }
    let mut accounts = vec![me.account];
    accounts.extend(others.iter().map(|o| o.0.account).filter(|a| a.0 != 0));
    let unbanked = others.iter().filter(|o| o.0.account.0 == 0).count();
    Planted {
        subject: me.account,
        accounts,
        txns,
        note: format!(
            "{parties} different counterparties ({unbanked} known by name and country only) {} over {span_days} days in {count} payments",
            match direction {
                Direction::In => "paid the subject",
                Direction::Out => "were paid by the subject",
            }
        ),
    }
}
