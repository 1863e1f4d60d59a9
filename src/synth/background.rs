//! Legitimate background activity: salaries, card spending, ATM withdrawals, transfers between
//! friends, remittances, retail cash deposits, payroll, supplier payments and import wires.
//!
//! Designed to stay clear of the shipped rules (see `docs/synth.md`) apart from deliberate,
//! realistic near-misses: bigger retailers' occasional deposits of 8,000–9,999 (never three in a
//! week), rare legitimate cash deposits of 10,000 or more, small remittances to monitored
//! countries, parents paying a foreign university once a term, and seasonal sellers whose card
//! settlements rise many times over in the same weeks every year.

use super::columns::{PartySyms, Sym};
use super::generator::{amount_between, not_round, units, Gen, REMITTANCE_COUNTRIES};
use super::lookalikes::{generate_lookalike, LookAlikeKind};
use super::names::BusinessKind;
use super::population::{Reserve, Role, NO_CIRCLE};
use super::rng::Rng;
use crate::model::{Channel, MICROS_PER_UNIT};

/// JMD per USD used to make local-currency amounts of a similar size (1 / 0.0064).
pub(super) const JMD_PER_USD: f64 = 156.25;

/// Generates every account's background, one account at a time, each from its own sub-stream.
/// Returns, per account, the range of creation indices its own generator wrote.
pub fn generate_background(gen: &mut Gen<'_>, rng: &Rng) -> Vec<(usize, usize)> {
    let mut ranges = Vec::with_capacity(gen.pop.accounts.len());
    for index in 0..gen.pop.accounts.len() {
        let mut r = rng.fork(index as u64);
        let start = gen.cols.len();
        let account = gen.pop.accounts[index];
        match (account.role, account.reserve) {
            (_, Reserve::Silent) => {}
            (Role::Individual, reserve) => {
                individual(gen, &mut r, index, reserve == Reserve::Quiet);
                if reserve == Reserve::None {
                    // a stream of its own, so that the rest of the background stays the same
                    look_alike(gen, &mut rng.fork((1 << 40) | index as u64), index);
                }
            }
            (Role::CashRetail, _) => cash_retailer(gen, &mut r, index),
            (Role::Merchant, _) => merchant(gen, &mut r, index),
            (Role::Employer, _) => employer(gen, &mut r, index),
            (Role::Importer, _) => importer(gen, &mut r, index),
            (role, _) => {
                if let Some(kind) = LookAlikeKind::of_role(role) {
                    generate_lookalike(gen, &mut r, index, kind);
                }
            }
        }
        ranges.push((start, gen.cols.len()));
    }
    ranges
}

/// USD micros to JMD micros, rounded to whole cents.
pub(super) fn usd_to_jmd(usd_micros: i64) -> i64 {
    let jmd = usd_micros as f64 * JMD_PER_USD;
    ((jmd / 10_000.0).round() as i64) * 10_000
}

/// A dollar amount drawn log-normally, clamped, to whole cents.
fn spend_amount(rng: &mut Rng, median: f64, sigma: f64, lo: f64, hi: f64) -> i64 {
    let value = rng.log_normal(median, sigma).clamp(lo, hi);
    (value * 100.0).round() as i64 * (MICROS_PER_UNIT / 100)
}

/// A regular salary from an employer at another bank: payer, pay, day offset of the fortnight.
type OutsideSalary = (PartySyms, i64, u32);
/// A monthly remittance: family abroad, their country, day offset, usual amount.
type Remittance = (PartySyms, &'static str, u32, i64);

/// What a private person does, fixed when the account is generated.
struct Person {
    index: usize,
    me: PartySyms,
    branch: Sym,
    card_rate: f64,
    circle: u32,
    outside_salary: Option<OutsideSalary>,
    self_employed_weekday: Option<u32>,
    remittance: Option<Remittance>,
}

impl Person {
    fn new(gen: &mut Gen<'_>, rng: &mut Rng, index: usize, quiet: bool) -> Person {
        let salaried = gen.pop.salary[index] > 0;
        // Planted subjects are paid by an employer at another bank, every two weeks.
        let outside_salary = quiet.then(|| {
            let home = gen.cfg.home_country.clone();
            let employer = gen.new_external(rng, &home, Some(BusinessKind::Employer));
            (
                employer,
                amount_between(rng, 700, 1_600),
                rng.range(0, 13) as u32,
            )
        });
        let self_employed_weekday = (!quiet && !salaried).then(|| rng.range(0, 5) as u32);
        let remittance = if !quiet && rng.chance(0.18) {
            let country = loop {
                let c = *rng.pick(REMITTANCE_COUNTRIES);
                if c != gen.cfg.home_country {
                    break c;
                }
            };
            let family = gen.new_external(rng, country, None);
            let offset = rng.range(0, 29) as u32;
            Some((
                family,
                country,
                offset,
                spend_amount(rng, 250.0, 0.5, 60.0, 900.0),
            ))
        } else {
            None
        };
        Person {
            index,
            me: gen.party(index),
            branch: gen.pop.accounts[index].branch,
            card_rate: if quiet { 0.5 } else { 1.0 },
            circle: gen.pop.circle[index],
            outside_salary,
            self_employed_weekday,
            remittance,
        }
    }

    /// Emits `usd` in USD, or its JMD equivalent with probability `jmd_share`.
    #[allow(clippy::too_many_arguments)]
    fn emit_local(
        &self,
        gen: &mut Gen<'_>,
        rng: &mut Rng,
        ts: i64,
        usd: i64,
        jmd_share: f64,
        channel: Channel,
        bene: PartySyms,
    ) {
        if rng.chance(jmd_share) {
            gen.emit(
                ts,
                usd_to_jmd(usd),
                gen.cur.jmd,
                channel,
                self.me,
                bene,
                self.branch,
            );
        } else {
            gen.emit(ts, usd, gen.cur.usd, channel, self.me, bene, self.branch);
        }
    }

    fn card_payments(&self, gen: &mut Gen<'_>, rng: &mut Rng, day: u32) {
        let count = u32::from(rng.chance(0.55 * self.card_rate))
            + u32::from(rng.chance(0.3 * self.card_rate))
            + u32::from(rng.chance(0.1 * self.card_rate));
        for _ in 0..count {
            let merchant = if !gen.pop.merchants.is_empty() && rng.chance(0.45) {
                gen.party(*rng.pick(&gen.pop.merchants))
            } else {
                *rng.pick(&gen.pop.external_merchants)
            };
            let ts = gen.local_time(rng, day, 7, 19);
            let usd = spend_amount(rng, 28.0, 0.85, 2.0, 1_500.0);
            self.emit_local(gen, rng, ts, usd, 0.25, Channel::Card, merchant);
        }
    }

    fn atm_withdrawal(&self, gen: &mut Gen<'_>, rng: &mut Rng, day: u32) {
        if !rng.chance(0.12) {
            return;
        }
        let ts = gen.local_time(rng, day, 6, 19);
        let branch = gen.random_branch(rng);
        let cash_side = gen.cash_side(Sym(0));
        let (amount, currency) = if rng.chance(0.3) {
            (units(1_000 * rng.range(1, 30)), gen.cur.jmd)
        } else {
            (units(20 * rng.range(1, 25)), gen.cur.usd)
        };
        gen.emit(
            ts,
            amount,
            currency,
            Channel::Cash,
            self.me,
            cash_side,
            branch,
        );
    }

    fn friend_transfer(&self, gen: &mut Gen<'_>, rng: &mut Rng, day: u32) {
        if self.circle == NO_CIRCLE || !rng.chance(0.08) {
            return;
        }
        let members = &gen.pop.circles[self.circle as usize];
        let friend = members[rng.index(members.len())] as usize;
        if friend != self.index {
            let ts = gen.local_time(rng, day, 7, 19);
            let usd = spend_amount(rng, 60.0, 0.8, 5.0, 600.0);
            let bene = gen.party(friend);
            self.emit_local(gen, rng, ts, usd, 0.2, Channel::Mobile, bene);
        }
    }

    fn self_employed_deposit(&self, gen: &mut Gen<'_>, rng: &mut Rng, day: u32) {
        if let Some(weekday) = self.self_employed_weekday {
            if gen.weekday(day) == weekday && rng.chance(0.8) {
                let ts = gen.local_time(rng, day, 9, 16);
                let amount = spend_amount(rng, 500.0, 0.6, 150.0, 1_500.0);
                gen.cash_deposit(ts, amount, self.index, self.me.name, self.branch);
            }
        }
    }

    fn outside_salary(&self, gen: &mut Gen<'_>, rng: &mut Rng, day: u32) {
        if let Some((employer, pay, offset)) = self.outside_salary {
            if (day + offset).is_multiple_of(14) {
                let ts = gen.local_time(rng, day, 6, 8);
                gen.emit(
                    ts,
                    pay,
                    gen.cur.usd,
                    Channel::Ach,
                    employer,
                    self.me,
                    self.branch,
                );
            }
        }
    }

    fn remittance(&self, gen: &mut Gen<'_>, rng: &mut Rng, day: u32) {
        let Some((family, country, offset, amount)) = self.remittance else {
            return;
        };
        if !(day + offset).is_multiple_of(30) {
            return;
        }
        let ts = gen.local_time(rng, day, 9, 18);
        let usd = amount + amount_between(rng, 0, 40);
        // Sent in the destination's currency where it has one of ours: EUR, TTD, XCD.
        let local = match country {
            "ES" => Some((gen.cur.eur, 1.08)),
            "TT" => Some((gen.cur.ttd, 0.147)),
            "LC" | "GD" => Some((gen.cur.xcd, 0.37)),
            _ => None,
        };
        let (amount, currency) = match local {
            Some((currency, rate)) => (
                ((usd as f64 / rate / 10_000.0).round() as i64) * 10_000,
                currency,
            ),
            None => (usd, gen.cur.usd),
        };
        gen.emit(
            ts,
            amount,
            currency,
            Channel::Wire,
            self.me,
            family,
            self.branch,
        );
    }
}

/// A private person: card spending, ATM, friends, remittances, salary or self-employed cash.
pub(super) fn individual(gen: &mut Gen<'_>, rng: &mut Rng, index: usize, quiet: bool) {
    let person = Person::new(gen, rng, index, quiet);
    for day in 0..gen.days() {
        person.card_payments(gen, rng, day);
        person.atm_withdrawal(gen, rng, day);
        person.friend_transfer(gen, rng, day);
        person.self_employed_deposit(gen, rng, day);
        person.outside_salary(gen, rng, day);
        person.remittance(gen, rng, day);
    }
}

/// Domestic businesses at other banks that this customer deals with.
fn counterparties(
    gen: &mut Gen<'_>,
    rng: &mut Rng,
    count: usize,
    kind: BusinessKind,
) -> Vec<PartySyms> {
    let home = gen.cfg.home_country.clone();
    (0..count)
        .map(|_| gen.new_external(rng, &home, Some(kind)))
        .collect()
}

/// A cash-heavy retailer: one deposit of the day's takings (never on Sunday), weekly suppliers.
fn cash_retailer(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let typical = rng.log_normal(2_200.0, 0.5).clamp(400.0, 6_000.0);
    let staff: Vec<Sym> = (0..1 + rng.index(3))
        .map(|_| {
            let name = gen.person_name(rng);
            gen.sym(&name)
        })
        .collect();
    let count = 3 + rng.index(3);
    let suppliers = counterparties(gen, rng, count, BusinessKind::Importer);
    let supplier_weekday = rng.range(0, 4) as u32;
    let mut near_band_days: Vec<u32> = Vec::new();
    for day in 0..gen.days() {
        let weekday = gen.weekday(day);
        if weekday != 6 && rng.chance(0.93) {
            let ts = gen.local_time(rng, day, 9, 18);
            let recent_near = near_band_days.iter().filter(|&&d| d + 8 > day).count();
            // Only the bigger shops ever bank 8,000 or more in a day.
            let amount = if typical >= 3_500.0 && rng.chance(0.004) {
                amount_between(rng, 10_000, 13_500)
            } else if typical >= 2_500.0 && recent_near < 2 && rng.chance(0.03) {
                near_band_days.push(day);
                amount_between(rng, 8_000, 9_999)
            } else {
                let v = typical * (0.6 + 0.8 * rng.unit());
                ((v.min(7_900.0) * 100.0).round() as i64) * (MICROS_PER_UNIT / 100)
            };
            let conductor = *rng.pick(&staff);
            gen.cash_deposit(ts, amount, index, conductor, branch);
        }
        if weekday == supplier_weekday {
            let supplier = suppliers[(day as usize / 7) % suppliers.len()];
            let ts = gen.local_time(rng, day, 10, 16);
            let amount = not_round(
                ((typical * (1.5 + 2.0 * rng.unit()) * 100.0).round() as i64)
                    * (MICROS_PER_UNIT / 100),
            );
            let channel = if rng.chance(0.5) {
                Channel::Cheque
            } else {
                Channel::Ach
            };
            gen.emit(ts, amount, gen.cur.usd, channel, me, supplier, branch);
        }
    }
}

/// A card merchant: takes card payments (written by the card holders) and pays suppliers weekly.
fn merchant(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let count = 2 + rng.index(3);
    let suppliers = counterparties(gen, rng, count, BusinessKind::Importer);
    let weekday = rng.range(0, 4) as u32;
    let typical = rng.log_normal(2_500.0, 0.5).clamp(500.0, 6_000.0);
    for day in 0..gen.days() {
        if gen.weekday(day) == weekday {
            let supplier = suppliers[(day as usize / 7) % suppliers.len()];
            let ts = gen.local_time(rng, day, 10, 16);
            let amount = not_round(
                ((typical * (0.7 + 0.6 * rng.unit()) * 100.0).round() as i64)
                    * (MICROS_PER_UNIT / 100),
            );
            gen.emit(ts, amount, gen.cur.usd, Channel::Ach, me, supplier, branch);
        }
    }
}

/// An employer: payroll by ACH to every employee (every two weeks or monthly on the 28th),
/// funded by weekly ACH or cheque payments from clients.
fn employer(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let e = gen
        .pop
        .employers
        .iter()
        .position(|&a| a == index)
        .unwrap_or(0);
    let monthly = gen.pop.pays_monthly.get(e).copied().unwrap_or(false);
    let staff: Vec<u32> = gen.pop.employees.get(e).cloned().unwrap_or_default();
    let per_pay: i64 = staff.iter().map(|&s| gen.pop.salary[s as usize]).sum();
    let weekly_cost = if monthly {
        per_pay * 12 / 52
    } else {
        per_pay / 2
    };
    let weekly_income =
        (weekly_cost as f64 * (1.05 + 0.2 * rng.unit())).max(2_000.0 * MICROS_PER_UNIT as f64);
    let count = 3 + rng.index(4);
    let clients = counterparties(gen, rng, count, BusinessKind::Client);
    let offset = rng.range(0, 13) as u32;
    let income_weekday = rng.range(0, 4) as u32;
    for day in 0..gen.days() {
        let payday = if monthly {
            gen.day_of_month[day as usize] == 28
        } else {
            (day + offset).is_multiple_of(14)
        };
        if payday {
            for &employee in &staff {
                let base = gen.pop.salary[employee as usize];
                let extra = base / 1000 * rng.range(0, 30) / 10_000 * 10_000;
                let ts = gen.local_time(rng, day, 6, 8);
                let bene = gen.party(employee as usize);
                gen.emit(
                    ts,
                    base + extra,
                    gen.cur.usd,
                    Channel::Ach,
                    me,
                    bene,
                    branch,
                );
            }
        }
        if gen.weekday(day) == income_weekday {
            let client = clients[(day as usize / 7) % clients.len()];
            let amount = (weekly_income * (0.85 + 0.3 * rng.unit())) as i64 / 10_000 * 10_000;
            let ts = gen.local_time(rng, day, 9, 17);
            let channel = if rng.chance(0.6) {
                Channel::Ach
            } else {
                Channel::Cheque
            };
            gen.emit(
                ts,
                not_round(amount),
                gen.cur.usd,
                channel,
                client,
                me,
                branch,
            );
        }
    }
}

/// An importer: large wires to a rotation of foreign suppliers every five to nine days, funded
/// by ACH and cheque payments from domestic clients every two to four days.
fn importer(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let supplier_count = 3 + rng.index(4);
    let suppliers: Vec<(PartySyms, &'static str)> = (0..supplier_count)
        .map(|_| {
            let country = gen.safe_foreign(rng);
            (
                gen.new_external(rng, country, Some(BusinessKind::Foreign)),
                country,
            )
        })
        .collect();
    let count = 3 + rng.index(6);
    let clients = counterparties(gen, rng, count, BusinessKind::Client);
    let typical_wire = rng.log_normal(35_000.0, 0.6).clamp(12_000.0, 150_000.0);
    let mut next_wire = rng.range(0, 6) as u32;
    let mut next_income = rng.range(0, 3) as u32;
    let (mut wires, mut incomes) = (0usize, 0usize);
    let mut last_income = 0u32;
    for day in 0..gen.days() {
        if day == next_wire {
            let (supplier, country) = suppliers[wires % suppliers.len()];
            wires += 1;
            let usd = typical_wire * (0.75 + 0.5 * rng.unit());
            let ts = gen.local_time(rng, day, 9, 16);
            if matches!(country, "DE" | "ES") {
                let eur =
                    not_round(((usd / 1.08 * 100.0).round() as i64) * (MICROS_PER_UNIT / 100));
                gen.emit(ts, eur, gen.cur.eur, Channel::Wire, me, supplier, branch);
            } else {
                let amount = not_round(((usd * 100.0).round() as i64) * (MICROS_PER_UNIT / 100));
                gen.emit(ts, amount, gen.cur.usd, Channel::Wire, me, supplier, branch);
            }
            next_wire = day + rng.range(5, 9) as u32;
        }
        if day == next_income {
            let gap = (day - last_income).max(2);
            last_income = day;
            let client = clients[incomes % clients.len()];
            incomes += 1;
            let usd = typical_wire * f64::from(gap) / 7.0 * (0.8 + 0.4 * rng.unit());
            let amount = not_round(((usd * 100.0).round() as i64) * (MICROS_PER_UNIT / 100));
            let ts = gen.local_time(rng, day, 9, 17);
            let channel = if rng.chance(0.5) {
                Channel::Ach
            } else {
                Channel::Cheque
            };
            gen.emit(ts, amount, gen.cur.usd, channel, client, me, branch);
            next_income = day + rng.range(2, 4) as u32;
        }
    }
}

/// Legitimate look-alikes of a change of behaviour, for about 3% of private persons: a parent
/// paying a foreign university three times a year (a few large payments: never many), or a
/// seasonal seller whose card settlements rise many times over in the same weeks every year.
fn look_alike(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    let draw = rng.unit();
    if draw < 0.015 {
        tuition(gen, rng, index);
    } else if draw < 0.03 {
        seasonal_seller(gen, rng, index);
    }
}

/// Tuition abroad: a WIRE of 6,000–24,000 to a university in GB, US or CA three times a year,
/// four months apart from a month of the payer's own (sometimes in two payments a week apart),
/// and a monthly residence fee of 300–900 to the same university (so that the university, seen
/// only through this payer, is never silent for months).
fn tuition(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let country = *rng.pick(&["GB", "US", "CA"]);
    let university = gen.new_external(rng, country, Some(BusinessKind::Foreign));
    let first_month = 1 + rng.range(0, 4) as u32;
    let term_fee = spend_amount(rng, 11_000.0, 0.45, 6_000.0, 24_000.0);
    let residence = spend_amount(rng, 500.0, 0.35, 300.0, 900.0);
    let due_day = 3 + rng.range(0, 10) as u32;
    let residence_day = 1 + rng.range(0, 26) as u32;
    let split = rng.chance(0.3);
    for day in 0..gen.days() {
        let date = gen.cfg.start + chrono::Days::new(u64::from(day));
        let (month, dom) = (chrono::Datelike::month(&date), chrono::Datelike::day(&date));
        if (month + 12 - first_month).is_multiple_of(4) && dom == due_day {
            let fee = not_round(term_fee + amount_between(rng, 0, 300));
            let half = fee / 2 / 10_000 * 10_000;
            let parts = if split {
                vec![half, fee - half]
            } else {
                vec![fee]
            };
            for (k, part) in parts.into_iter().enumerate() {
                let ts = gen.local_time(rng, day + 7 * k as u32, 9, 16);
                if day + 7 * (k as u32) < gen.days() {
                    gen.emit(ts, part, gen.cur.usd, Channel::Wire, me, university, branch);
                }
            }
        }
        if dom == residence_day {
            let ts = gen.local_time(rng, day, 9, 16);
            let amount = not_round(residence + amount_between(rng, 0, 60));
            gen.emit(
                ts,
                amount,
                gen.cur.usd,
                Channel::Wire,
                me,
                university,
                branch,
            );
        }
    }
}

/// A seasonal seller (a carnival costume maker, a mango or sorrel stall): for 14–28 days from
/// the same day of each year (40–170 days into the data set's year, so the first season comes
/// before the 208 days of history the rule needs), daily ACH settlements of 250–900 from the
/// card acquirer all sellers share, 5–40 times the person's usual volume.
fn seasonal_seller(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let home = gen.cfg.home_country.clone();
    let acquirer = gen.shared_external(rng, "card-acquirer", &home, Some(BusinessKind::Client));
    let season_start = 40 + rng.range(0, 130) as u32;
    let season_days = 14 + rng.range(0, 14) as u32;
    let typical = rng.log_normal(550.0, 0.3).clamp(250.0, 900.0);
    for day in 0..gen.days() {
        let in_year = day % 365;
        if in_year >= season_start && in_year < season_start + season_days && rng.chance(0.9) {
            let ts = gen.local_time(rng, day, 6, 9);
            let usd = typical * (0.7 + 0.6 * rng.unit());
            let amount = not_round(((usd * 100.0).round() as i64) * (MICROS_PER_UNIT / 100));
            gen.emit(ts, amount, gen.cur.usd, Channel::Ach, acquirer, me, branch);
        }
    }
}
