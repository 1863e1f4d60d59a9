//! Planted cash typologies: large cash, aggregated cash, structuring, smurfing, bulk cash.

use super::generator::{amount_between, ceil_cents, not_round, units, Gen, HOUR_MICROS};
use super::names::BusinessKind;
use super::plant::{money, split_amount, start_day, PlantContext, Planted};
use crate::model::{format_timestamp, Channel};

/// One cash transaction of 10,000 or more (10,000.00 exactly at the edge), deposit or withdrawal.
pub fn cash_threshold(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let amount = if ctx.item.at_edge() {
        units(10_000)
    } else {
        amount_between(rng, 10_000, 16_000)
    };
    let day = start_day(gen, rng, 0);
    let ts = gen.local_time(rng, day, 9, 16);
    let branch = gen.random_branch(rng);
    let holder = gen.party(ctx.subject);
    let withdrawal = ctx.item.ordinal % 3 == 2;
    let row = if withdrawal {
        gen.cash_withdrawal(ts, amount, ctx.subject, branch)
    } else {
        gen.cash_deposit(ts, amount, ctx.subject, holder.name, branch)
    };
    let kind = if withdrawal { "withdrawal" } else { "deposit" };
    Planted {
        subject: holder.account,
        accounts: vec![holder.account],
        txns: vec![row],
        note: format!(
            "one cash {kind} of {} on {}",
            money(amount),
            format_timestamp(ts)
        ),
    }
}

/// Two to four cash deposits on one UTC day, each below 8,000 (so not structuring), adding up to
/// 10,000 or more (exactly 10,000.00 from two deposits at the edge).
pub fn cash_aggregation(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let amounts = if ctx.item.at_edge() {
        vec![units(6_123) + 450_000, units(3_876) + 550_000]
    } else {
        let parts = 2 + rng.index(3);
        let hi = (units(16_000) / parts as i64).min(units(7_999));
        let lo = ceil_cents(units(10_500) / parts as i64);
        (0..parts)
            .map(|_| rng.range(lo / 10_000, hi / 10_000) * 10_000)
            .collect()
    };
    let day = start_day(gen, rng, 0);
    let holder = gen.party(ctx.subject);
    let mut times: Vec<i64> = amounts
        .iter()
        .map(|_| gen.local_time(rng, day, 8, 17))
        .collect();
    times.sort_unstable();
    let mut txns = Vec::new();
    for (&amount, &ts) in amounts.iter().zip(&times) {
        let branch = gen.random_branch(rng);
        txns.push(gen.cash_deposit(ts, not_round(amount), ctx.subject, holder.name, branch));
    }
    let total: i64 = txns.iter().map(|&r| gen.cols.amount[r]).sum();
    Planted {
        subject: holder.account,
        accounts: vec![holder.account],
        txns,
        note: format!(
            "{} cash deposits totalling {} on {}",
            amounts.len(),
            money(total),
            &format_timestamp(times[0])[..10]
        ),
    }
}

/// Three to five cash deposits each in [8,000, 10,000), on different days within six days, so
/// every seven-day window that holds the first holds them all. The edge instance has exactly
/// three, including 8,000.00 and 9,999.99, spanning six days.
pub fn structuring(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let edge = ctx.item.at_edge();
    let count = if edge { 3 } else { 3 + rng.index(3) };
    let first = start_day(gen, rng, 6);
    let mut offsets: Vec<u32> = if edge {
        vec![0, 3, 6]
    } else {
        let mut pool: Vec<u32> = (0..=5).collect();
        rng.shuffle(&mut pool);
        pool.truncate(count);
        pool
    };
    offsets.sort_unstable();
    let holder = gen.party(ctx.subject);
    let mut txns = Vec::new();
    for (i, offset) in offsets.iter().enumerate() {
        let amount = match (edge, i) {
            (true, 0) => units(8_000),
            (true, 2) => units(9_999) + 990_000,
            _ => amount_between(rng, 8_400, 9_900),
        };
        // Keep the first at least as late in its day as the last, so the span stays under
        // six days plus a few hours in every reading of "seven days".
        let ts = if edge && i == 2 {
            gen.local_time(rng, first + offset, 9, 10)
        } else {
            gen.local_time(rng, first + offset, 10, 16)
        };
        let branch = gen.random_branch(rng);
        txns.push(gen.cash_deposit(ts, amount, ctx.subject, holder.name, branch));
    }
    let amounts: Vec<String> = txns.iter().map(|&r| money(gen.cols.amount[r])).collect();
    Planted {
        subject: holder.account,
        accounts: vec![holder.account],
        txns,
        note: format!(
            "{count} cash deposits of {} over {} days",
            amounts.join(", "),
            offsets[count - 1] - offsets[0] + 1
        ),
    }
}

/// Five to eight different people deposit cash into one account within three calendar days,
/// each 900 to 3,000, at most three a day (so no day reaches 10,000).
pub fn smurfing(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let edge = ctx.item.at_edge();
    let depositors = if edge { 5 } else { 5 + rng.index(4) };
    let first = start_day(gen, rng, 2);
    let holder = gen.party(ctx.subject);
    let cap = (units(15_000) / depositors as i64).min(units(3_000));
    let mut txns = Vec::new();
    for d in 0..depositors {
        let day = first + (d % 3) as u32;
        let name = gen.person_name(rng);
        let conductor = gen.sym(&name);
        let amount = rng.range(90_000, cap / 10_000) * 10_000;
        let ts = gen.local_time(rng, day, 9, 16);
        let branch = gen.random_branch(rng);
        txns.push(gen.cash_deposit(ts, not_round(amount), ctx.subject, conductor, branch));
    }
    let total: i64 = txns.iter().map(|&r| gen.cols.amount[r]).sum();
    Planted {
        subject: holder.account,
        accounts: vec![holder.account],
        txns,
        note: format!(
            "{depositors} different depositors paid {} in cash over 3 days",
            money(total)
        ),
    }
}

/// Cash placed, then wired abroad. Cash deposits of 10,000 to 80,000 in one to five deposits
/// over one to seven days; one to three cross-border wires of 50–95% of it in all, 1 to 28 days
/// after the last deposit. Two in five instances pass the money first to the holder's own
/// second account (same name, another domestic bank) by an internal or mobile transfer, and the
/// wires leave from there. At the edge: exactly 10,000.00 in two deposits on one day, exactly half
/// wired from the same account 9 days 20 hours later.
pub fn bulk_cash(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let edge = ctx.item.at_edge();
    let total = if edge {
        units(10_000)
    } else {
        amount_between(rng, 10_000, 80_000)
    };
    let parts = if edge { 2 } else { 1 + rng.index(5) };
    let amounts = split_amount(rng, total, parts, units(1_000), total);
    let cash_days = if edge { 1 } else { 1 + rng.index(7) as u32 };
    // the wires leave 1 to 28 days after the cash, less in a short period
    let room_hours = (i64::from(gen.days()) - i64::from(cash_days) - 3).clamp(2, 28) * 24;
    let delay_hours = if edge {
        9 * 24 + 8
    } else {
        rng.range(24, room_hours)
    };
    let day = start_day(gen, rng, cash_days + (delay_hours / 24) as u32 + 2);
    let holder = gen.party(ctx.subject);
    let mut txns = Vec::new();
    let mut last_deposit = 0;
    for (i, amount) in amounts.iter().enumerate() {
        let on = day + (i as u32 * cash_days / parts as u32).min(cash_days - 1);
        let ts = gen.local_time(rng, on, 8, 11);
        last_deposit = last_deposit.max(ts);
        let branch = gen.random_branch(rng);
        txns.push(gen.cash_deposit(ts, *amount, ctx.subject, holder.name, branch));
    }
    let wire_total = if edge {
        ceil_cents(total / 2)
    } else {
        not_round(ceil_cents(total * rng.range(50, 95) / 100))
    };
    let wire_ts = last_deposit + delay_hours * HOUR_MICROS;
    // two in five: first to the holder's own second account, and abroad from there
    let via_own = !edge && matches!(ctx.item.ordinal % 5, 0 | 3);
    let mut from = holder;
    let mut accounts = vec![holder.account];
    if via_own {
        let home = gen.cfg.home_country.clone();
        let mut second = gen.new_external(rng, &home, None);
        second.name = holder.name;
        let moved = not_round(ceil_cents(
            total * rng.range(wire_total * 100 / total, 100) / 100,
        ))
        .max(wire_total);
        let ts = last_deposit + rng.range(1, (delay_hours - 1).max(2)) * HOUR_MICROS;
        let channel = if rng.chance(0.5) {
            Channel::Internal
        } else {
            Channel::Mobile
        };
        txns.push(gen.transfer(ts, moved, channel, holder, second, ctx.subject));
        accounts.push(second.account);
        from = second;
    }
    let wires = if edge { 1 } else { 1 + rng.index(3) };
    let wire_amounts = split_amount(rng, wire_total, wires, units(500), wire_total);
    let country = gen.safe_foreign(rng);
    let bene = gen.new_external(rng, country, Some(BusinessKind::Foreign));
    accounts.push(bene.account);
    for (i, amount) in wire_amounts.iter().enumerate() {
        let ts = wire_ts + i as i64 * rng.range(2, 30) * HOUR_MICROS;
        txns.push(gen.transfer(ts, *amount, Channel::Wire, from, bene, ctx.subject));
    }
    Planted {
        subject: holder.account,
        accounts,
        txns,
        note: format!(
            "{} in cash over {} deposit(s) ending {}, then {} wired to {country} in {} wire(s) from {} after {} hours",
            money(total),
            amounts.len(),
            &format_timestamp(last_deposit)[..10],
            money(wire_total),
            wire_amounts.len(),
            if via_own {
                "the holder's own second account"
            } else {
                "the same account"
            },
            delay_hours
        ),
    }
}
