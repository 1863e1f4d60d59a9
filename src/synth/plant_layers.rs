//! Planted bipartite layers and stacks of two (IBM AMLworld's "bipartite" and "stacked
//! bipartite" patterns), with widely randomised parameters: 3 to 8 senders each paying 2 to 4
//! of 3 to 8 recipients (every recipient paid by at least two of them), 2,100–50,000 a payment
//! in mixed currencies, spread over 1 to 14 days; in a stack the recipients then pass what they
//! received on, less 1–3% in fees, to a second layer of 3 to 8 recipients. The subject is the
//! first sender and makes the first payment. Every third instance (the 2nd, 5th, …) sits at the
//! rules' edges: three senders, three recipients (and three in the second layer), two links each.

use super::columns::PartySyms;
use super::generator::{amount_between, units, Gen, HOUR_MICROS};
use super::plant::{money, split_amount, start_day, PlantContext, Planted};
use super::plant_network::{company, max_span_days, pay};
use super::rng::Rng;
use crate::model::{Channel, MICROS_PER_UNIT};
use std::collections::BTreeSet;

/// The smallest planted payment (units): above the rules' 2,000.00 after any currency's rounding.
const MIN_PAYMENT: i64 = 2_100;

/// A layer's links `(sender, recipient)`: each sender pays 2 to 4 distinct recipients and each
/// recipient is paid by at least two senders, all connected. `recipients` is at most twice
/// `senders`, so that no sender needs more than four links. At the edge (3 × 3): a six-cycle, two links each.
fn links(rng: &mut Rng, senders: usize, recipients: usize, edge: bool) -> Vec<(usize, usize)> {
    if edge {
        return (0..senders)
            .flat_map(|s| [(s, s % recipients), (s, (s + 1) % recipients)])
            .collect();
    }
    let mut set: BTreeSet<(usize, usize)> = BTreeSet::new();
    // every recipient paid by two neighbours in a shuffled order of senders: recipient r by
    // the r-th and the next, so that consecutive recipients share a sender (the layer is one
    // connected whole) and no sender gets more than 2 * ceil(recipients / senders) <= 4
    let mut order: Vec<usize> = (0..senders).collect();
    rng.shuffle(&mut order);
    for r in 0..recipients {
        set.insert((order[r % senders], r));
        set.insert((order[(r + 1) % senders], r));
    }
    // then each sender up to 2 to 4 recipients
    for s in 0..senders {
        let want = (rng.range(2, 4) as usize).min(recipients);
        let mut others: Vec<usize> = (0..recipients)
            .filter(|&r| !set.contains(&(s, r)))
            .collect();
        rng.shuffle(&mut others);
        let have = set.iter().filter(|l| l.0 == s).count();
        for r in others.into_iter().take(want.saturating_sub(have)) {
            set.insert((s, r));
        }
    }
    set.into_iter().collect()
}

/// `count` strictly increasing times spread at random over `start ..= start + span_hours`
/// hours, the first at `start` (to the minute, whatever the count).
fn times(rng: &mut Rng, start: i64, span_hours: i64, count: usize) -> Vec<i64> {
    let minutes = (span_hours * 60).max(count as i64);
    let mut offsets: Vec<i64> = (0..count)
        .map(|i| if i == 0 { 0 } else { rng.range(0, minutes) })
        .collect();
    offsets.sort_unstable();
    offsets
        .into_iter()
        .enumerate()
        .map(|(i, m)| start + (m + i as i64) * 60 * MICROS_PER_UNIT)
        .collect()
}

/// A new party of the structure and the channel it is paid by.
fn parties(gen: &mut Gen<'_>, rng: &mut Rng, n: usize) -> Vec<(PartySyms, Channel)> {
    (0..n).map(|_| company(gen, rng)).collect()
}

/// Plants one bipartite layer (`stack = false`) or a stack of two.
fn layered(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>, stack: bool) -> Planted {
    let edge = ctx.item.at_edge();
    let rng = &mut *ctx.rng;
    let senders = if edge { 3 } else { 3 + rng.index(6) };
    let pick_recipients = |rng: &mut Rng, senders: usize| {
        if edge {
            3
        } else {
            3 + rng.index((2 * senders).min(8) - 2)
        }
    };
    let recipients = pick_recipients(rng, senders);
    let max_days = max_span_days(gen).min(14);
    // a layer alone over 1 to 14 days; a stack's first layer over 12 hours to 6 days, its second
    // within 5 days and 2 more of that
    let span_hours = if stack {
        rng.range(12, 6 * 24)
    } else {
        rng.range(24.min(max_days * 24 - 4), max_days * 24 - 4)
    };
    let total_days = if stack { 14 } else { span_hours / 24 + 1 };
    let first = start_day(gen, rng, total_days.min(i64::from(gen.days()) - 2) as u32);
    let start = gen.local_time(rng, first, 8, 10);
    let latest = gen.day0 + i64::from(gen.days()) * 24 * HOUR_MICROS - HOUR_MICROS;
    let me = gen.party(ctx.subject);
    let mut from: Vec<(PartySyms, Channel)> = vec![(me, Channel::Wire)];
    from.extend(parties(gen, rng, senders - 1));
    let to = parties(gen, rng, recipients);
    let mut layer = links(rng, senders, recipients, edge);
    // payments in random order, the subject's first
    rng.shuffle(&mut layer);
    if let Some(p) = layer.iter().position(|l| l.0 == 0) {
        layer.swap(0, p);
    }
    let mut txns = Vec::new();
    // per recipient: received (base micros) and last receipt
    let mut received = vec![(0i64, i64::MIN); recipients];
    let (lo, hi) = if stack {
        (5_000, 50_000)
    } else {
        (MIN_PAYMENT, 50_000)
    };
    for (&(s, r), ts) in layer.iter().zip(times(rng, start, span_hours, layer.len())) {
        let amount = amount_between(rng, lo, hi);
        let ts = ts.min(latest);
        txns.push(pay(
            gen,
            rng,
            ts,
            amount,
            to[r].1,
            from[s].0,
            to[r].0,
            ctx.subject,
            s != 0,
        ));
        received[r].0 += amount;
        received[r].1 = received[r].1.max(ts);
    }
    let layer_total: i64 = received.iter().map(|r| r.0).sum();
    let mut accounts: Vec<_> = from.iter().chain(&to).map(|p| p.0.account).collect();
    let mut note = format!(
        "{senders} senders paid {recipients} recipients {} in {} payments over {span_hours} hours",
        money(layer_total),
        layer.len()
    );
    if stack {
        let finals = pick_recipients(rng, recipients);
        let last = parties(gen, rng, finals);
        let second = links(rng, recipients, finals, edge);
        let mut passed = 0i64;
        let mut fees = Vec::new();
        for (m, &(got, last_in)) in received.iter().enumerate() {
            let outs: Vec<usize> = second.iter().filter(|l| l.0 == m).map(|l| l.1).collect();
            let fee = rng.range(100, 300);
            fees.push(format!("{}%", fee as f64 / 100.0));
            let onward = got * (10_000 - fee) / 10_000;
            let parts = split_amount(rng, onward, outs.len(), units(MIN_PAYMENT), onward);
            let begin = last_in + rng.range(6, 5 * 24) * HOUR_MICROS;
            let spread = rng.range(1, 48);
            for ((t, amount), ts) in
                outs.iter()
                    .zip(parts)
                    .zip(times(rng, begin, spread, outs.len()))
            {
                let ts = ts.min(latest).max(last_in + 60 * MICROS_PER_UNIT);
                txns.push(pay(
                    gen,
                    rng,
                    ts,
                    amount,
                    last[*t].1,
                    to[m].0,
                    last[*t].0,
                    ctx.subject,
                    true,
                ));
                passed += amount;
            }
        }
        accounts.extend(last.iter().map(|p| p.0.account));
        note.push_str(&format!(
            "; they passed {} on to {finals} more in {} payments (fees {})",
            money(passed),
            second.len(),
            fees.join(", ")
        ));
    }
    Planted {
        subject: me.account,
        accounts,
        txns,
        note,
    }
}

/// A bipartite layer: 3 to 8 senders, the subject first, each paying 2 to 4 of 3 to 8
/// recipients within 1 to 14 days.
pub fn bipartite(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    layered(gen, ctx, false)
}

/// A stacked bipartite: a layer over 12 hours to 6 days whose recipients each pass 97–99% of
/// what they received on to 2 to 4 of a second layer's 3 to 8 recipients, 6 hours to 5 days
/// after their last receipt.
pub fn stacked_bipartite(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    layered(gen, ctx, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sender_pays_two_to_four_and_every_recipient_is_paid_twice() {
        let mut rng = Rng::new(9);
        for _ in 0..500 {
            let s = 3 + rng.index(6);
            let r = 3 + rng.index((2 * s).min(8) - 2);
            let l = links(&mut rng, s, r, false);
            for sender in 0..s {
                let n = l.iter().filter(|x| x.0 == sender).count();
                assert!((2..=4).contains(&n), "{s}x{r}: sender {sender} has {n}");
            }
            for recipient in 0..r {
                assert!(l.iter().filter(|x| x.1 == recipient).count() >= 2);
            }
            // one connected whole: grow from sender 0
            let mut seen_s = vec![false; s];
            let mut seen_r = vec![false; r];
            seen_s[0] = true;
            let mut grew = true;
            while grew {
                grew = false;
                for &(a, b) in &l {
                    if seen_s[a] != seen_r[b] {
                        seen_s[a] = true;
                        seen_r[b] = true;
                        grew = true;
                    }
                }
            }
            assert!(seen_s.iter().chain(&seen_r).all(|&x| x), "{s}x{r}: {l:?}");
        }
        assert_eq!(links(&mut rng, 3, 3, true).len(), 6);
    }
}
