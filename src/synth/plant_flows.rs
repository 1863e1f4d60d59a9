//! Planted movement typologies: rapid movement, fan-in, fan-out (within days) and round amounts.

use super::columns::{PartySyms, Sym};
use super::generator::{amount_between, ceil_cents, not_round, units, Gen, HOUR_MICROS};
use super::names::BusinessKind;
use super::plant::{money, split_amount, start_day, PlantContext, Planted};
use super::rng::Rng;
use crate::model::{format_timestamp, Channel};

/// A counterparty at another bank: domestic (paid by MOBILE) or foreign (paid by WIRE).
fn mule_counterparty(gen: &mut Gen<'_>, rng: &mut Rng) -> (PartySyms, Channel) {
    if rng.chance(0.7) {
        let home = gen.cfg.home_country.clone();
        (gen.new_external(rng, &home, None), Channel::Mobile)
    } else {
        let country = gen.safe_foreign(rng);
        (gen.new_external(rng, country, None), Channel::Wire)
    }
}

/// An incoming wire of 10,000 to 10,400, then 80–88% of it paid out by WIRE, ACH or MOBILE in
/// one to three payments within 6–40 hours (edge: exactly 10,000.00 in, exactly 80% out, the
/// last payment 47 hours after the wire).
pub fn rapid_movement(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let edge = ctx.item.at_edge();
    let incoming = if edge {
        units(10_000)
    } else {
        amount_between(rng, 10_000, 10_400)
    };
    let share = if edge { 80 } else { rng.range(80, 88) };
    let out_total = ceil_cents(incoming * share / 100);
    let parts = if edge { 2 } else { 1 + rng.index(3) };
    let amounts = split_amount(rng, out_total, parts, units(1_000), out_total);
    let day = start_day(gen, rng, 2);
    let in_ts = gen.local_time(rng, day, 8, 12);
    let country = gen.safe_foreign(rng);
    let sender = gen.new_external(rng, country, Some(BusinessKind::Foreign));
    let me = gen.party(ctx.subject);
    let mut txns = vec![gen.transfer(in_ts, incoming, Channel::Wire, sender, me, ctx.subject)];
    let mut accounts = vec![me.account, sender.account];
    for (i, amount) in amounts.iter().enumerate() {
        let (bene, mut channel) = mule_counterparty(gen, rng);
        if channel == Channel::Mobile && i == 0 {
            channel = Channel::Ach;
        }
        let ts = if edge && i + 1 == parts {
            in_ts + 47 * HOUR_MICROS
        } else {
            in_ts + rng.range(6, 40) * HOUR_MICROS
        };
        txns.push(gen.transfer(ts, *amount, channel, me, bene, ctx.subject));
        accounts.push(bene.account);
    }
    Planted {
        subject: me.account,
        accounts,
        txns,
        note: format!(
            "wire of {} received on {}, {}% ({}) sent on within 48 hours in {parts} payment(s)",
            money(incoming),
            format_timestamp(in_ts),
            share,
            money(out_total)
        ),
    }
}

/// Which way the transfers of a fan go: into the subject's account or out of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fan {
    In,
    Out,
}

/// The shape of a fan: how many transfers, when the first is, how many hours later the last
/// is, and the largest amount of one.
struct FanShape {
    count: usize,
    start: i64,
    span_hours: i64,
    cap: i64,
}

/// A fan of transfers between the subject and as many new counterparties at other banks
/// (MOBILE or WIRE): the first at `start`, the last `span_hours` later, the rest in between,
/// none round. Returns the rows, the accounts involved (subject first) and the total moved.
fn plant_fan(
    gen: &mut Gen<'_>,
    rng: &mut Rng,
    subject: usize,
    direction: Fan,
    shape: FanShape,
) -> (Vec<usize>, Vec<Sym>, i64) {
    let FanShape {
        count,
        start,
        span_hours,
        cap,
    } = shape;
    let me = gen.party(subject);
    let mut txns = Vec::new();
    let mut accounts = vec![me.account];
    for i in 0..count {
        let (other, channel) = mule_counterparty(gen, rng);
        let offset = if i == 0 {
            0
        } else if i + 1 == count {
            span_hours
        } else {
            rng.range(1, span_hours - 1)
        };
        let amount = not_round(rng.range(30_000, cap / 10_000) * 10_000);
        let (orig, bene) = match direction {
            Fan::In => (other, me),
            Fan::Out => (me, other),
        };
        txns.push(gen.transfer(
            start + offset * HOUR_MICROS,
            amount,
            channel,
            orig,
            bene,
            subject,
        ));
        accounts.push(other.account);
    }
    let total = txns.iter().map(|&r| gen.cols.amount[r]).sum();
    (txns, accounts, total)
}

/// Eight to twelve different senders pay the subject by MOBILE or WIRE within five days
/// (edge: exactly eight, spread over 4 days and 20 hours).
pub fn fan_in(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let edge = ctx.item.at_edge();
    let senders = if edge { 8 } else { 8 + rng.index(5) };
    let first = start_day(gen, rng, 5);
    let start = gen.local_time(rng, first, 8, 10);
    let span_hours = if edge {
        4 * 24 + 20
    } else {
        rng.range(30, 3 * 24)
    };
    let cap = (units(15_000) / senders as i64).min(units(1_800));
    let shape = FanShape {
        count: senders,
        start,
        span_hours,
        cap,
    };
    let (txns, accounts, total) = plant_fan(gen, rng, ctx.subject, Fan::In, shape);
    Planted {
        subject: accounts[0],
        accounts,
        txns,
        note: format!(
            "{senders} different senders paid {} in over {span_hours} hours",
            money(total)
        ),
    }
}

/// The subject pays eight to twelve different accounts by MOBILE or WIRE within three days
/// (edge: exactly eight, spread over 2 days and 20 hours).
pub fn fan_out(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let edge = ctx.item.at_edge();
    let payees = if edge { 8 } else { 8 + rng.index(5) };
    let first = start_day(gen, rng, 3);
    let start = gen.local_time(rng, first, 8, 10);
    let span_hours = if edge { 2 * 24 + 20 } else { rng.range(6, 36) };
    let cap = (units(14_000) / payees as i64).min(units(1_500));
    let shape = FanShape {
        count: payees,
        start,
        span_hours,
        cap,
    };
    let (txns, accounts, total) = plant_fan(gen, rng, ctx.subject, Fan::Out, shape);
    Planted {
        subject: accounts[0],
        accounts,
        txns,
        note: format!(
            "{payees} different payees received {} over {span_hours} hours",
            money(total)
        ),
    }
}

/// Three or four outgoing WIRE, CHEQUE or cash payments of exact thousands (5,000–7,000) spread
/// over nine to thirteen days (edge: three of exactly 5,000.00 over 13 days and 20 hours).
pub fn round_amounts(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let edge = ctx.item.at_edge();
    let count = if edge { 3 } else { 3 + rng.index(2) };
    let first = start_day(gen, rng, 14);
    let start = gen.local_time(rng, first, 8, 10);
    let span_hours = if edge {
        13 * 24 + 20
    } else {
        rng.range(9 * 24, 13 * 24)
    };
    let me = gen.party(ctx.subject);
    let home = gen.cfg.home_country.clone();
    let payee = gen.new_external(rng, &home, Some(BusinessKind::Client));
    let mut txns = Vec::new();
    for i in 0..count {
        let amount = if edge {
            units(5_000)
        } else {
            units(1_000 * rng.range(5, 7))
        };
        let ts = start + span_hours * i as i64 / (count as i64 - 1) * HOUR_MICROS;
        let channel = [Channel::Wire, Channel::Cheque, Channel::Cash][(i + ctx.item.ordinal) % 3];
        let row = if channel == Channel::Cash {
            let branch = gen.random_branch(rng);
            gen.cash_withdrawal(ts, amount, ctx.subject, branch)
        } else {
            gen.transfer(ts, amount, channel, me, payee, ctx.subject)
        };
        txns.push(row);
    }
    let amounts: Vec<String> = txns.iter().map(|&r| money(gen.cols.amount[r])).collect();
    Planted {
        subject: me.account,
        accounts: vec![me.account, payee.account],
        txns,
        note: format!(
            "{count} outgoing payments of exactly {} over {} hours",
            amounts.join(", "),
            span_hours
        ),
    }
}
