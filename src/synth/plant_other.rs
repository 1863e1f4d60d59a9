//! Planted typologies about who and when: high-risk geography, dormant accounts, velocity
//! spikes, changes of behaviour and sanctions name variants.

use super::generator::{
    amount_between, not_round, units, Gen, CALL_FOR_ACTION, DAY_MICROS, HOUR_MICROS,
    INCREASED_MONITORING,
};
use super::names::{name_variant, BusinessKind, VariantKind};
use super::plant::{money, split_amount, PlantContext, Planted, BEHAVIOUR_FIRST_DAY};
use crate::model::{format_timestamp, Channel};

/// One wire to or from a FATF-listed country: a call-for-action country (KP, IR, MM) from 1,000
/// (edge 1,000.00), or an increased-monitoring country from 10,000 (edge 10,000.00).
pub fn high_risk_geography(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let edge = ctx.item.at_edge();
    let call_for_action = ctx.item.ordinal.is_multiple_of(2);
    let (country, amount) = if call_for_action {
        (
            *rng.pick(CALL_FOR_ACTION),
            if edge {
                units(1_000)
            } else {
                amount_between(rng, 1_000, 4_000)
            },
        )
    } else {
        (
            *rng.pick(INCREASED_MONITORING),
            if edge {
                units(10_000)
            } else {
                amount_between(rng, 10_000, 14_000)
            },
        )
    };
    let day = super::plant::start_day(gen, rng, 0);
    let ts = gen.local_time(rng, day, 9, 16);
    let other = gen.new_external(rng, country, Some(BusinessKind::Foreign));
    let me = gen.party(ctx.subject);
    let outgoing = ctx.item.ordinal % 4 < 2;
    let row = if outgoing {
        gen.transfer(ts, amount, Channel::Wire, me, other, ctx.subject)
    } else {
        gen.transfer(ts, amount, Channel::Wire, other, me, ctx.subject)
    };
    let direction = if outgoing { "sent to" } else { "received from" };
    let list = if call_for_action {
        "call-for-action"
    } else {
        "increased-monitoring"
    };
    Planted {
        subject: me.account,
        accounts: vec![me.account, other.account],
        txns: vec![row],
        note: format!(
            "wire of {} {direction} {country} ({list} list) on {}",
            money(amount),
            format_timestamp(ts)
        ),
    }
}

/// Two or three small card payments early on, then nothing for more than 90 days (91 calendar
/// days at the edge), then an incoming ACH payment of 10,000 to 18,000 (10,000.00 at the edge).
/// The subject has no other activity.
pub fn dormant_reactivation(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let edge = ctx.item.at_edge();
    let latest_early = gen.days().saturating_sub(93).min(10);
    let early_day = rng.range(0, i64::from(latest_early)) as u32;
    let me = gen.party(ctx.subject);
    let mut txns = Vec::new();
    let mut last_early = 0;
    for _ in 0..2 + rng.index(2) {
        let merchant = *rng.pick(&gen.pop.external_merchants);
        let ts = gen.local_time(rng, early_day, 8, 12);
        last_early = last_early.max(ts);
        let amount = amount_between(rng, 5, 120);
        txns.push(gen.transfer(ts, amount, Channel::Card, me, merchant, ctx.subject));
    }
    let gap_days = if edge {
        91
    } else {
        rng.range(92, i64::from(gen.days() - 1 - early_day)) as u32
    };
    let wake_day = early_day + gap_days;
    let wake_ts = gen.local_time(rng, wake_day, 13, 17);
    let amount = if edge {
        units(10_000)
    } else {
        amount_between(rng, 10_000, 18_000)
    };
    let home = gen.cfg.home_country.clone();
    let payer = gen.new_external(rng, &home, Some(BusinessKind::Client));
    txns.push(gen.transfer(wake_ts, amount, Channel::Ach, payer, me, ctx.subject));
    let silent_days = (wake_ts - last_early) / DAY_MICROS;
    Planted {
        subject: me.account,
        accounts: vec![me.account, payer.account],
        txns,
        note: format!(
            "last activity {}, then {silent_days} days of silence, then {} received on {}",
            format_timestamp(last_early),
            money(amount),
            format_timestamp(wake_ts)
        ),
    }
}

/// After 64 days or more of ordinary activity (a small card payment on day one is added when the
/// account was not active then), a burst within two days: a cheque received and
/// payments by ACH and cheque, totalling at least 20,000 and at least 5× the subject's average
/// weekly volume (computed from its own background, conservatively). Edge: just over the bar.
pub fn velocity_spike(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let edge = ctx.item.at_edge();
    // The rule needs 63 days of history: make sure the account was active on the first day.
    let (from, to) = ctx.background;
    let first_activity = (from < to).then(|| gen.cols.timestamp[from]);
    let me = gen.party(ctx.subject);
    if first_activity.is_none_or(|ts| ts >= gen.at_local(1, 0)) {
        let merchant = *rng.pick(&gen.pop.external_merchants);
        let ts = gen.local_time(rng, 0, 8, 12);
        gen.transfer(
            ts,
            amount_between(rng, 10, 60),
            Channel::Card,
            me,
            merchant,
            ctx.subject,
        );
    }
    let spike_day = rng.range(64, i64::from(gen.days()) - 3) as u32;
    let spike_start = gen.at_local(spike_day, 8 * 60);
    // Any 56-day window before a 7-day window that holds the spike lies inside these 64 days.
    let history_from = spike_start - 64 * DAY_MICROS;
    let history: i64 = (from..to)
        .filter(|&r| (history_from..spike_start).contains(&gen.cols.timestamp[r]))
        .map(|r| gen.base_amount(r))
        .sum();
    let weekly_upper = history / 8;
    let bar = (weekly_upper * 5).max(units(20_000));
    let factor = if edge { 1_005 } else { rng.range(1_050, 1_300) };
    let target = not_round(bar / 1_000 * factor / 10_000 * 10_000);
    let incoming = target * 55 / 100 / 10_000 * 10_000;
    let outgoing_total = target - incoming;
    let part_count =
        (2 + rng.index(2)).max(usize::try_from(outgoing_total / units(8_500)).unwrap_or(0) + 1);
    let outgoing_parts = split_amount(rng, outgoing_total, part_count, units(1_500), units(9_000));
    let home = gen.cfg.home_country.clone();
    let payer = gen.new_external(rng, &home, Some(BusinessKind::Client));
    let mut accounts = vec![me.account, payer.account];
    let mut txns = vec![gen.transfer(
        spike_start,
        not_round(incoming),
        Channel::Cheque,
        payer,
        me,
        ctx.subject,
    )];
    for (i, amount) in outgoing_parts.iter().enumerate() {
        let payee = gen.new_external(rng, &home, Some(BusinessKind::Client));
        let ts = spike_start + rng.range(2 * 60, 40 * 60) * HOUR_MICROS / 60;
        let channel = if i % 2 == 0 {
            Channel::Ach
        } else {
            Channel::Cheque
        };
        txns.push(gen.transfer(ts, not_round(*amount), channel, me, payee, ctx.subject));
        accounts.push(payee.account);
    }
    let total: i64 = txns.iter().map(|&r| gen.cols.amount[r]).sum();
    Planted {
        subject: me.account,
        accounts,
        txns,
        note: format!(
            "{} moved within two days from {}, against at most {} a week before",
            money(total),
            &format_timestamp(spike_start)[..10],
            money(weekly_upper / 10_000 * 10_000)
        ),
    }
}

/// The shipped `behaviour_change` rule's window, baseline, quiet volume (the factor is 5) and
/// least number of transactions (`rules/movement.toml`), for planting against.
const CHANGE_WINDOW_DAYS: i64 = 28;
const CHANGE_BASELINE_DAYS: i64 = 180;
const CHANGE_QUIET: i64 = 2_000;
const CHANGE_MIN_COUNT: usize = 15;

/// A quiet (salary and a little card spending) or silent (a few card payments when the account
/// was opened, then nothing) account whose activity rises 5–50× (edge: 5.025×, exactly 15
/// payments) over 2–6 weeks, from day 215 on, in many small MOBILE and WIRE payments: incoming,
/// outgoing or both, with a few counterparties (never eight, so fan-in and fan-out stay quiet).
/// The first 27 days of the burst alone reach the factor against the larger of the account's
/// usual 28-day volume (from its own background, conservatively) and the quiet volume.
pub fn behaviour_change(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let edge = ctx.item.at_edge();
    let silent = ctx.item.needs_silent_subject();
    let me = gen.party(ctx.subject);
    let (from, to) = ctx.background;
    let mut txns = Vec::new();
    // the rule judges an account seen 208 days before: a silent account was opened (a few card
    // payments) in its first three days, a quiet one is made active on day 0
    let first_activity = (from < to).then(|| gen.cols.timestamp[from]);
    if silent || first_activity.is_none_or(|ts| ts >= gen.at_local(1, 0)) {
        let day = if silent { rng.range(0, 3) as u32 } else { 0 };
        for _ in 0..1 + rng.index(3) {
            let merchant = *rng.pick(&gen.pop.external_merchants);
            let ts = gen.local_time(rng, day, 8, 18);
            let amount = amount_between(rng, 5, 90);
            txns.push(gen.transfer(ts, amount, Channel::Card, me, merchant, ctx.subject));
        }
    }
    let room = i64::from(gen.days()) - i64::from(BEHAVIOUR_FIRST_DAY) - 2;
    let span_days = if edge {
        20.min(room)
    } else {
        rng.range(14, 42).min(room)
    };
    let start_day = rng.range(
        i64::from(BEHAVIOUR_FIRST_DAY),
        i64::from(gen.days()) - 1 - span_days,
    );
    let burst_start = gen.at_local(start_day as u32, 0);
    // an upper bound of the usual 28-day volume of any baseline before a window that ends in
    // the burst's first 28 days
    let history_from = burst_start - (CHANGE_WINDOW_DAYS + CHANGE_BASELINE_DAYS) * DAY_MICROS;
    let history: i64 = (from..to)
        .filter(|&r| {
            (history_from..burst_start + span_days * DAY_MICROS).contains(&gen.cols.timestamp[r])
        })
        .map(|r| gen.base_amount(r))
        .sum();
    let usual = (history * CHANGE_WINDOW_DAYS + CHANGE_BASELINE_DAYS - 1) / CHANGE_BASELINE_DAYS;
    let bar = usual.max(units(CHANGE_QUIET)) * 5;
    // the factor over the bar, in thousandths: 5.5x to 50x of the usual volume, log-uniformly
    let over = if edge {
        1_005
    } else {
        let factor = (5.5f64.ln() + rng.unit() * (50f64.ln() - 5.5f64.ln())).exp();
        ((factor / 5.0 * 1_000.0) as i64).max(1_100)
    };
    let first_part = bar / 1_000 * over / 10_000 * 10_000;
    // many small payments: 18 or more (exactly 15 at the edge), mostly 150–2,500 each
    let first_count = if edge {
        CHANGE_MIN_COUNT
    } else {
        let typical = amount_between(rng, 250, 1_200);
        usize::try_from(first_part / typical)
            .unwrap_or(0)
            .clamp(18, 120)
    };
    let rest_days = (span_days - CHANGE_WINDOW_DAYS + 1).max(0);
    let rest_count = first_count * rest_days as usize / CHANGE_WINDOW_DAYS as usize;
    let each = first_part / first_count as i64 / 10_000 * 10_000;
    let mut amounts = split_amount(rng, first_part, first_count, each / 2, each * 3 / 2);
    let rest_total = each * rest_count as i64;
    if rest_count > 0 {
        amounts.extend(split_amount(
            rng,
            rest_total,
            rest_count,
            each / 2,
            each * 3 / 2,
        ));
    }
    // incoming, outgoing, or both (a pass-through); a few counterparties each way
    let direction = rng.index(3);
    let home = gen.cfg.home_country.clone();
    let senders: Vec<_> = (0..2 + rng.index(5))
        .map(|_| gen.new_external(rng, &home, None))
        .collect();
    let abroad = rng.chance(0.3);
    let payees: Vec<_> = (0..2 + rng.index(5))
        .map(|_| {
            let country = if abroad {
                gen.safe_foreign(rng).to_string()
            } else {
                home.clone()
            };
            gen.new_external(rng, &country, None)
        })
        .collect();
    let mut accounts = vec![me.account];
    let first_span = span_days.min(CHANGE_WINDOW_DAYS - 1);
    let (mut incoming, mut outgoing) = (0i64, 0i64);
    for (i, &amount) in amounts.iter().enumerate() {
        // the first part spread over the first 27 days, the rest over the days after
        let day = if i < first_count {
            start_day + first_span * i as i64 / first_count as i64
        } else {
            let j = (i - first_count) as i64;
            start_day + CHANGE_WINDOW_DAYS + (rest_days - 1) * j / rest_count.max(1) as i64
        };
        let ts = gen.local_time(rng, day as u32, 7, 21);
        let amount = not_round(amount);
        let inbound = match direction {
            0 => true,
            1 => false,
            _ => i % 2 == 0,
        };
        let channel = if abroad && !inbound || rng.chance(0.25) {
            Channel::Wire
        } else {
            Channel::Mobile
        };
        let row = if inbound {
            incoming += amount;
            let sender = senders[rng.index(senders.len())];
            gen.transfer(ts, amount, channel, sender, me, ctx.subject)
        } else {
            outgoing += amount;
            let payee = payees[rng.index(payees.len())];
            gen.transfer(ts, amount, channel, me, payee, ctx.subject)
        };
        txns.push(row);
    }
    match direction {
        0 => accounts.extend(senders.iter().map(|p| p.account)),
        1 => accounts.extend(payees.iter().map(|p| p.account)),
        _ => accounts.extend(senders.iter().chain(&payees).map(|p| p.account)),
    }
    Planted {
        subject: me.account,
        accounts,
        txns,
        note: format!(
            "{} account: {} payments over {span_days} days from {} ({} in, {} out), against a usual 28-day volume of at most {}",
            if silent { "dormant" } else { "quiet" },
            amounts.len(),
            &format_timestamp(burst_start)[..10],
            money(incoming),
            money(outgoing),
            money(usual / 10_000 * 10_000)
        ),
    }
}

/// A wire to or from someone whose name is a variant of a listed name: a typo, the parts
/// reordered, or the middle name dropped (cycling through the three).
pub fn sanctions(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let listed: Vec<&String> = gen
        .cfg
        .watchlist_names
        .iter()
        .filter(|n| !n.trim().is_empty())
        .collect();
    let wanted = [
        VariantKind::Typo,
        VariantKind::Reordered,
        VariantKind::DroppedMiddle,
    ][ctx.item.ordinal % 3];
    // Prefer names the wanted change applies to (a middle name needs three parts).
    let min_tokens = match wanted {
        VariantKind::Typo => 1,
        VariantKind::Reordered => 2,
        VariantKind::DroppedMiddle => 3,
    };
    let suitable: Vec<&String> = listed
        .iter()
        .copied()
        .filter(|n| n.split_whitespace().count() >= min_tokens)
        .collect();
    let pool = if suitable.is_empty() {
        &listed
    } else {
        &suitable
    };
    let original = pool[(ctx.item.ordinal / 3) % pool.len()].clone();
    let (variant, applied) = name_variant(rng, &original, wanted);
    let country = gen.safe_foreign(rng);
    let mut other = gen.new_external(rng, country, None);
    other.name = gen.sym(&variant);
    let amount = not_round(amount_between(rng, 500, 5_000));
    let day = super::plant::start_day(gen, rng, 0);
    let ts = gen.local_time(rng, day, 9, 16);
    let me = gen.party(ctx.subject);
    let outgoing = ctx.item.ordinal % 2 == 1;
    let row = if outgoing {
        gen.transfer(ts, amount, Channel::Wire, me, other, ctx.subject)
    } else {
        gen.transfer(ts, amount, Channel::Wire, other, me, ctx.subject)
    };
    Planted {
        subject: me.account,
        accounts: vec![me.account, other.account],
        txns: vec![row],
        note: format!(
            "wire of {} with \"{variant}\" ({} of listed \"{original}\")",
            money(amount),
            applied.describe()
        ),
    }
}
