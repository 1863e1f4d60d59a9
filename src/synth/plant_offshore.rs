//! Planted round-tripping: money parked with an offshore company and brought back as a loan or an
//! investment, with widely randomised amounts, delays and counterparties.

use super::columns::{PartySyms, Sym};
use super::generator::{amount_between, Gen, DAY_MICROS, HOUR_MICROS};
use super::names::surname;
use super::plant::{money, split_amount, start_day, PlantContext, Planted};
use super::plant_network::pay;
use super::rng::Rng;
use crate::model::Channel;

/// Offshore financial centres a planted company may sit in: on the IMF list the network pack
/// uses, none on a FATF list (so that no geography rule fires).
const OFFSHORE: [&str; 14] = [
    "KY", "PA", "BZ", "SC", "BS", "BM", "CY", "LU", "MT", "MU", "SG", "CH", "JE", "LI",
];

/// Second words of offshore company names; a sister company shares the first word.
const COMPANY_WORDS: [&str; 8] = [
    "HOLDINGS",
    "INVESTMENTS",
    "CAPITAL",
    "TRADING",
    "VENTURES",
    "ASSETS",
    "GROUP",
    "FINANCE",
];

const FORMS: [&str; 5] = ["LTD", "LIMITED", "INC", "SA", "CORP"];

/// An offshore company in `country` whose name starts with `lead`; known by account number at
/// its bank, or (`unbanked`) by name and country only.
fn offshore_company(
    gen: &mut Gen<'_>,
    rng: &mut Rng,
    country: &str,
    lead: &str,
    word: &str,
    unbanked: bool,
) -> PartySyms {
    let mut party = gen.new_external(rng, country, None);
    party.name = gen.sym(&format!("{lead} {word} {}", rng.pick(&FORMS)));
    if unbanked {
        party.account = Sym(0);
    }
    party
}

/// The subject wires 20,000–600,000 in one to three payments within six days to a company in an
/// offshore financial centre; 4 to 80 days after the first payment, 55–100% of it comes back in
/// one or two payments as a "loan", from the same company (a third of the time), from a sister
/// company sharing the first word of its name (a third, in the same or another centre), or from
/// an unrelated company in the same centre (a third). Some payments are in other currencies.
pub fn round_tripping(gen: &mut Gen<'_>, ctx: &mut PlantContext<'_>) -> Planted {
    let rng = &mut *ctx.rng;
    let gap_days = rng.range(4, (i64::from(gen.days()) - 10).clamp(5, 80));
    let first = start_day(gen, rng, gap_days as u32 + 8);
    let start = gen.local_time(rng, first, 9, 12);
    let me = gen.party(ctx.subject);
    let country = *rng.pick(&OFFSHORE);
    let lead = surname(rng).to_uppercase();
    let word = *rng.pick(&COMPANY_WORDS);
    let unbanked = rng.chance(0.4);
    let paid = offshore_company(gen, rng, country, &lead, word, unbanked);
    let unbanked = rng.chance(0.4);
    let how = ctx.item.ordinal % 3;
    let lender = match how {
        0 => paid,
        1 => {
            let other_word = loop {
                let w = *rng.pick(&COMPANY_WORDS);
                if w != word {
                    break w;
                }
            };
            let sister_country = if rng.chance(0.7) {
                country
            } else {
                *rng.pick(&OFFSHORE)
            };
            offshore_company(gen, rng, sister_country, &lead, other_word, unbanked)
        }
        _ => {
            let other_lead = loop {
                let l = surname(rng).to_uppercase();
                if l != lead {
                    break l;
                }
            };
            offshore_company(gen, rng, country, &other_lead, "FINANCE", unbanked)
        }
    };
    // at least 10,500 a payment, so that no payment falls under 10,000 through a currency change
    let floor = 10_500_000_000;
    // at least 20,000, so that even 55% back is one return of 10,500 or more
    let sent_total = amount_between(rng, 20_000, 600_000);
    let parts = 1 + rng.index(((sent_total / floor) as usize).clamp(1, 3));
    let sent = split_amount(rng, sent_total, parts, floor, sent_total);
    let mut txns = Vec::new();
    let mut ts = start;
    for (i, amount) in sent.iter().enumerate() {
        if i > 0 {
            ts += rng.range(2, 48) * HOUR_MICROS;
        }
        let euro = rng.chance(0.3);
        txns.push(pay(
            gen,
            rng,
            ts,
            *amount,
            Channel::Wire,
            me,
            paid,
            ctx.subject,
            euro,
        ));
    }
    let share = rng.range(55, 100);
    let back_total = sent_total * share / 100;
    let back_parts = if back_total >= 4 * floor {
        1 + rng.index(2)
    } else {
        1
    };
    let back = split_amount(rng, back_total, back_parts, floor, back_total);
    let mut back_ts = start + gap_days * DAY_MICROS + rng.range(0, 6) * HOUR_MICROS;
    for (i, amount) in back.iter().enumerate() {
        if i > 0 {
            back_ts += rng.range(1, 5) * DAY_MICROS;
        }
        let euro = rng.chance(0.3);
        txns.push(pay(
            gen,
            rng,
            back_ts,
            *amount,
            Channel::Wire,
            lender,
            me,
            ctx.subject,
            euro,
        ));
    }
    let mut accounts = vec![me.account];
    accounts.extend(
        [paid.account, lender.account]
            .into_iter()
            .filter(|a| a.0 != 0),
    );
    accounts.dedup();
    Planted {
        subject: me.account,
        accounts,
        txns,
        note: format!(
            "{} sent to a company in {country} in {} payment(s); {share}% back after {gap_days} days in {} payment(s) from {}",
            money(sent_total),
            sent.len(),
            back.len(),
            match how {
                0 => "the same company",
                1 => "a sister company with the same first name word",
                _ => "another company in the same centre",
            }
        ),
    }
}
