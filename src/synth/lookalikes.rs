//! Legitimate look-alikes: ordinary customers whose activity resembles a laundering typology,
//! the main source of false alerts in real transaction monitoring.
//!
//! * churches: many small member gifts (the Sunday offering banked on Monday, tithes paid in cash
//!   at a branch after payday, weekly mobile gifts) and monthly pay-outs (fan-in, smurfing);
//! * savings clubs (partner, sou-sou): 8–20 members pay a fixed hand to the organiser every week
//!   or month and the organiser pays the whole pot to one member each round (gather-scatter);
//! * money service businesses: dozens of remittances a day out to HT, DO, VE and US and in from
//!   the diaspora, daily cash takings (fan-out, fan-in, high-risk geography; hubs);
//! * investors in offshore funds: 20,000–500,000 wired to a fund in KY, BM, LU or IE, quarterly
//!   distributions of 1–3% and partial redemptions more than six months later (never 50% back
//!   within 90 days, so never round-tripping);
//! * landlords: monthly rent from 3–12 tenants (mobile, cheque, standing order), the mortgage and
//!   maintenance paid out;
//! * trading companies (re-exporters, commodity brokers, freight forwarders): a buyer abroad pays
//!   an order by wire and 85–97% of it is wired on to the supplier within 4–40 hours, every 4–15
//!   days (rapid movement, as their routine).
//!
//! Nothing here is labelled: alerts on these customers are false alerts.

use super::background::{individual, usd_to_jmd};
use super::columns::{PartySyms, Sym};
use super::generator::{amount_between, not_round, Gen};
use super::name_tables::PLACE_WORDS;
use super::names::{self, BusinessKind};
use super::population::{Reserve, Role};
use super::rng::{exp_portable, Rng};
use crate::model::{Channel, MICROS_PER_UNIT};

/// Which kind of legitimate look-alike a customer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LookAlikeKind {
    /// A church collecting member gifts.
    Church,
    /// The organiser of a savings club (partner, sou-sou).
    SavingsClub,
    /// A money service business sending and receiving remittances.
    MoneyService,
    /// A person or company invested in an offshore fund.
    OffshoreInvestor,
    /// A landlord collecting rents.
    Landlord,
    /// A trading company paying its suppliers out of its buyers' payments.
    TradingCompany,
}

impl LookAlikeKind {
    /// Every kind, in this order.
    pub const ALL: [LookAlikeKind; 6] = [
        LookAlikeKind::Church,
        LookAlikeKind::SavingsClub,
        LookAlikeKind::MoneyService,
        LookAlikeKind::OffshoreInvestor,
        LookAlikeKind::Landlord,
        LookAlikeKind::TradingCompany,
    ];

    /// Snake-case name (`savings_club`).
    pub fn as_str(self) -> &'static str {
        match self {
            LookAlikeKind::Church => "church",
            LookAlikeKind::SavingsClub => "savings_club",
            LookAlikeKind::MoneyService => "money_service",
            LookAlikeKind::OffshoreInvestor => "offshore_investor",
            LookAlikeKind::Landlord => "landlord",
            LookAlikeKind::TradingCompany => "trading_company",
        }
    }

    /// The population role behind this kind.
    pub(super) fn role(self) -> Role {
        match self {
            LookAlikeKind::Church => Role::Church,
            LookAlikeKind::SavingsClub => Role::SavingsClub,
            LookAlikeKind::MoneyService => Role::MoneyService,
            LookAlikeKind::OffshoreInvestor => Role::Investor,
            LookAlikeKind::Landlord => Role::Landlord,
            LookAlikeKind::TradingCompany => Role::Trader,
        }
    }

    /// The kind of a population role, `None` for ordinary roles.
    pub(super) fn of_role(role: Role) -> Option<LookAlikeKind> {
        LookAlikeKind::ALL.into_iter().find(|k| k.role() == role)
    }

    /// Accounts per 1,000 ordinary customers.
    pub(super) fn per_thousand(self) -> usize {
        match self {
            LookAlikeKind::Church => 4,
            LookAlikeKind::SavingsClub => 3,
            LookAlikeKind::MoneyService => 2,
            LookAlikeKind::OffshoreInvestor => 3,
            LookAlikeKind::Landlord => 4,
            LookAlikeKind::TradingCompany => 2,
        }
    }
}

/// A look-alike customer of a generated data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAlike {
    /// Its account number.
    pub account: String,
    /// What it is.
    pub kind: LookAlikeKind,
}

/// Header of `lookalikes.csv`.
pub const LOOKALIKES_HEADER: &str = "account,kind";

/// Writes `lookalikes.csv`: one row per look-alike customer, `account,kind`, in account order.
pub fn write_lookalikes_csv<W: std::io::Write>(
    mut w: W,
    lookalikes: &[LookAlike],
) -> std::io::Result<()> {
    writeln!(w, "{LOOKALIKES_HEADER}")?;
    for l in lookalikes {
        writeln!(w, "{},{}", l.account, l.kind.as_str())?;
    }
    w.flush()
}

const CHURCH_LEADS: &[&str] = &[
    "MOUNT ZION",
    "BETHEL",
    "EBENEZER",
    "SHILOH",
    "CALVARY",
    "GRACE",
    "NEW TESTAMENT",
    "PHILADELPHIA",
    "MOUNT CARMEL",
    "HOPE",
    "EMMANUEL",
    "FAITH",
];
const CHURCH_KINDS: &[&str] = &[
    "BAPTIST CHURCH",
    "SEVENTH-DAY ADVENTIST CHURCH",
    "PENTECOSTAL TABERNACLE",
    "CHURCH OF GOD",
    "GOSPEL HALL",
    "UNITED CHURCH",
    "METHODIST CHURCH",
    "MORAVIAN CHURCH",
    "FULL GOSPEL ASSEMBLY",
    "APOSTOLIC CHURCH",
];
const MSB_KINDS: &[&str] = &[
    "MONEY TRANSFER LTD",
    "REMITTANCE SERVICES LTD",
    "CAMBIO LTD",
    "MONEY EXPRESS LTD",
    "CAMBIO & REMITTANCES LTD",
];
const FUND_LEADS: &[&str] = &[
    "MERIDIAN",
    "ATLANTIC",
    "CORAL",
    "NORTHSTAR",
    "SOVEREIGN",
    "PINNACLE",
    "TRADEWIND",
    "BLUEWATER",
    "SILVERBANK",
    "KESTREL",
];
const FUND_STYLES: &[&str] = &[
    "GLOBAL INCOME FUND",
    "CREDIT OPPORTUNITIES FUND",
    "MACRO FUND",
    "REAL ESTATE INCOME FUND",
    "EMERGING MARKETS DEBT FUND",
    "BALANCED FUND",
    "DIVIDEND FUND",
];
/// Offshore fund domiciles of the investors.
pub const FUND_COUNTRIES: &[&str] = &["KY", "BM", "LU", "IE"];

/// The holder name of a look-alike account.
pub(super) fn holder_name(gen: &Gen<'_>, rng: &mut Rng, kind: LookAlikeKind) -> String {
    let lead = |rng: &mut Rng| {
        if rng.chance(0.5) {
            rng.pick(PLACE_WORDS).to_string()
        } else {
            names::surname(rng).to_string()
        }
    };
    match kind {
        LookAlikeKind::Church => {
            let name = format!("{} {}", rng.pick(CHURCH_LEADS), rng.pick(CHURCH_KINDS));
            if rng.chance(0.4) {
                format!("{name} {}", rng.pick(PLACE_WORDS))
            } else {
                name
            }
        }
        LookAlikeKind::MoneyService => format!("{} {}", lead(rng), rng.pick(MSB_KINDS)),
        LookAlikeKind::OffshoreInvestor if rng.chance(0.35) => {
            let form = if rng.chance(0.5) {
                "HOLDINGS LTD"
            } else {
                "FAMILY INVESTMENTS LTD"
            };
            format!("{} {form}", names::surname(rng))
        }
        LookAlikeKind::TradingCompany => {
            let trade = *rng.pick(&[
                "TRADING LTD",
                "COMMODITIES LTD",
                "FREIGHT & TRADING LTD",
                "IMPORT EXPORT LTD",
            ]);
            format!("{} {trade}", lead(rng))
        }
        LookAlikeKind::Landlord if rng.chance(0.3) => {
            let form = *rng.pick(&["PROPERTIES LTD", "REALTY LTD", "ESTATES LTD"]);
            format!("{} {form}", lead(rng))
        }
        _ => gen.person_name(rng),
    }
}

/// Generates one look-alike account's activity from its own random stream.
pub(super) fn generate_lookalike(
    gen: &mut Gen<'_>,
    rng: &mut Rng,
    index: usize,
    kind: LookAlikeKind,
) {
    match kind {
        LookAlikeKind::Church => church(gen, rng, index),
        LookAlikeKind::SavingsClub => savings_club(gen, rng, index),
        LookAlikeKind::MoneyService => money_service(gen, rng, index),
        LookAlikeKind::OffshoreInvestor => offshore_investor(gen, rng, index),
        LookAlikeKind::Landlord => landlord(gen, rng, index),
        LookAlikeKind::TradingCompany => trading_company(gen, rng, index),
    }
}

/// Dollars to micros, to whole cents.
fn cents(usd: f64) -> i64 {
    (usd * 100.0).round() as i64 * (MICROS_PER_UNIT / 100)
}

/// Whether an account is held by a company (its name ends in a legal form).
fn is_company(gen: &Gen<'_>, index: usize) -> bool {
    gen.cols
        .symbols
        .get(gen.pop.accounts[index].name)
        .ends_with(" LTD")
}

/// A random ordinary private customer other than `not`, if one is found quickly.
fn random_individual(gen: &Gen<'_>, rng: &mut Rng, not: usize) -> Option<usize> {
    let ordinary = gen
        .pop
        .reserved
        .first()
        .copied()
        .unwrap_or(gen.pop.accounts.len());
    for _ in 0..64 {
        let i = rng.index(ordinary);
        let a = gen.pop.accounts[i];
        if i != not && a.role == Role::Individual && a.reserve == Reserve::None {
            return Some(i);
        }
    }
    None
}

/// A private payer or payee: one of our customers (`share` of the time) or a person at another
/// domestic bank; the flag says whether it is ours.
fn member(gen: &mut Gen<'_>, rng: &mut Rng, not: usize, share: f64) -> (PartySyms, bool) {
    if rng.chance(share) {
        if let Some(i) = random_individual(gen, rng, not) {
            return (gen.party(i), true);
        }
    }
    let home = gen.cfg.home_country.clone();
    (gen.new_external(rng, &home, None), false)
}

/// Emits a USD amount, or its JMD equivalent when `jmd`.
#[allow(clippy::too_many_arguments)]
fn emit_usd_or_jmd(
    gen: &mut Gen<'_>,
    ts: i64,
    usd: i64,
    jmd: bool,
    channel: Channel,
    orig: PartySyms,
    bene: PartySyms,
    branch: Sym,
) {
    let (amount, currency) = if jmd {
        (usd_to_jmd(usd), gen.cur.jmd)
    } else {
        (usd, gen.cur.usd)
    };
    gen.emit(ts, amount, currency, channel, orig, bene, branch);
}

/// A church: the Sunday offering banked on Monday by the treasurer or a deacon, tithes paid in
/// cash at a branch by members after payday, weekly or monthly mobile gifts, and monthly
/// pay-outs (the denomination's share, the pastor's stipend, utilities, repairs, charities).
fn church(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let home = gen.cfg.home_country.clone();
    let members = rng.log_normal(120.0, 0.6).clamp(35.0, 600.0);
    let per_member = rng.log_normal(9.0, 0.35);
    let counters: Vec<Sym> = (0..2 + rng.index(2))
        .map(|_| {
            let name = gen.person_name(rng);
            gen.sym(&name)
        })
        .collect();
    // Mobile givers: (party, usual gift, weekly; else the day of the month of a monthly tithe).
    let mobile_count = ((members * (0.12 + 0.15 * rng.unit())) as usize).max(12);
    let givers: Vec<(PartySyms, i64, Option<u32>, bool)> = (0..mobile_count)
        .map(|_| {
            let (party, _) = member(gen, rng, index, 0.6);
            let jmd = rng.chance(0.4);
            if rng.chance(0.7) {
                let gift = cents(rng.log_normal(20.0, 0.6).clamp(3.0, 250.0));
                (party, gift, None, jmd)
            } else {
                let gift = cents(rng.log_normal(110.0, 0.5).clamp(25.0, 800.0));
                (party, gift, Some(25 + rng.range(0, 5) as u32), jmd)
            }
        })
        .collect();
    // Members paying their tithe in cash at a branch: (name, amount, day of the month).
    let tithers: Vec<(Sym, i64, u32)> = (0..((members / 25.0) as usize).clamp(4, 14))
        .map(|_| {
            let name = gen.person_name(rng);
            let amount = cents(rng.log_normal(120.0, 0.5).clamp(30.0, 900.0));
            let day = if rng.chance(0.6) {
                26 + rng.range(0, 4) as u32
            } else {
                1 + rng.range(0, 2) as u32
            };
            (gen.sym(&name), amount, day)
        })
        .collect();
    let weekly_cash = members * (0.55 + 0.25 * rng.unit()) * per_member;
    let monthly_income = weekly_cash * 4.33
        + givers
            .iter()
            .map(|g| g.1 as f64 / MICROS_PER_UNIT as f64 * if g.2.is_none() { 3.0 } else { 1.0 })
            .sum::<f64>()
        + tithers
            .iter()
            .map(|t| t.1 as f64 / MICROS_PER_UNIT as f64)
            .sum::<f64>();
    let headquarters = gen.new_external(rng, &home, Some(BusinessKind::Client));
    let pastor = gen.new_external(rng, &home, None);
    let stipend = cents(monthly_income * (0.25 + 0.1 * rng.unit()));
    let count = 2 + rng.index(3);
    let suppliers: Vec<PartySyms> = (0..count)
        .map(|_| gen.new_external(rng, &home, Some(BusinessKind::Client)))
        .collect();
    let count = 1 + rng.index(3);
    let charities: Vec<PartySyms> = (0..count)
        .map(|_| gen.new_external(rng, &home, Some(BusinessKind::Client)))
        .collect();
    let mut month_in = 0i64;
    for day in 0..gen.days() {
        let weekday = gen.weekday(day);
        let dom = gen.day_of_month[day as usize];
        if weekday == 0 {
            // Easter-like peaks: now and then an offering twice the usual.
            let peak = if rng.chance(0.05) { 2.0 } else { 1.0 };
            let amount = cents(weekly_cash * peak * (0.8 + 0.4 * rng.unit()));
            let ts = gen.local_time(rng, day, 9, 14);
            gen.cash_deposit(ts, amount, index, *rng.pick(&counters), branch);
            month_in += amount;
        }
        if weekday != 6 {
            for &(name, amount, tithe_day) in &tithers {
                if dom == tithe_day && rng.chance(0.85) {
                    let ts = gen.local_time(rng, day, 9, 16);
                    gen.cash_deposit(ts, amount, index, name, branch);
                    month_in += amount;
                }
            }
        }
        for &(party, gift, monthly, jmd) in &givers {
            let gives = match monthly {
                None => weekday == 6 && rng.chance(0.75),
                Some(d) => dom == d,
            };
            if gives {
                let ts = gen.local_time(rng, day, 6, 13);
                let usd = cents(gift as f64 / MICROS_PER_UNIT as f64 * (0.8 + 0.4 * rng.unit()));
                emit_usd_or_jmd(gen, ts, usd, jmd, Channel::Mobile, party, me, branch);
                month_in += usd;
            }
        }
        if dom == 28 {
            let ts = gen.local_time(rng, day, 8, 10);
            let tithe = not_round(month_in.max(0) / 100_000 * 10_000);
            if tithe > 0 {
                gen.emit(
                    ts,
                    tithe,
                    gen.cur.usd,
                    Channel::Ach,
                    me,
                    headquarters,
                    branch,
                );
            }
            let ts = gen.local_time(rng, day, 6, 8);
            gen.emit(ts, stipend, gen.cur.usd, Channel::Ach, me, pastor, branch);
            for &supplier in &suppliers {
                let ts = gen.local_time(rng, day, 10, 16);
                let amount = cents(monthly_income * (0.02 + 0.06 * rng.unit()));
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
                    me,
                    supplier,
                    branch,
                );
            }
            let charity = *rng.pick(&charities);
            let ts = gen.local_time(rng, day, 10, 16);
            let amount = cents(monthly_income * (0.02 + 0.05 * rng.unit()));
            gen.emit(ts, amount, gen.cur.usd, Channel::Ach, me, charity, branch);
            month_in = 0;
        }
    }
}

/// A savings club organiser: their own everyday banking, plus every round each member pays the
/// fixed hand (by mobile, or in cash at a branch) and the organiser pays the whole pot to the
/// member whose turn it is (internal transfer, ACH, or cash drawn for them). Rounds are weekly
/// (hands paid Thursday to Saturday, pot on Monday) or monthly (hands from the 25th to the 2nd,
/// never on a Sunday; pot on the 3rd); when every member has drawn, a new cycle starts in a new order.
fn savings_club(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    individual(gen, rng, index, false);
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let size = 8 + rng.index(13);
    let weekly = rng.chance(0.45);
    let hand_usd = if weekly {
        50 * rng.range(4, 20)
    } else {
        100 * rng.range(3, 20)
    };
    // Half of the clubs run in Jamaican dollars, the hand a round thousand of them.
    let (hand, currency) = if rng.chance(0.5) {
        let jmd = (hand_usd as f64 * 156.25 / 1_000.0).round() as i64 * 1_000;
        (jmd * MICROS_PER_UNIT, gen.cur.jmd)
    } else {
        (hand_usd * MICROS_PER_UNIT, gen.cur.usd)
    };
    // (party, ours, pays in cash)
    let members: Vec<(PartySyms, bool, bool)> = {
        let mut list: Vec<(PartySyms, bool, bool)> = Vec::with_capacity(size);
        while list.len() < size {
            let (party, ours) = member(gen, rng, index, 0.7);
            if list.iter().all(|m| m.0.account != party.account) {
                list.push((party, ours, rng.chance(0.25)));
            }
        }
        list
    };
    let mut order: Vec<usize> = (0..size).collect();
    rng.shuffle(&mut order);
    let mut turn = rng.index(size);
    let mut paid = vec![false; size];
    for day in 0..gen.days() {
        let weekday = gen.weekday(day);
        let dom = gen.day_of_month[day as usize];
        let (collecting, last_collection_day, payout) = if weekly {
            (matches!(weekday, 3..=5), weekday == 5, weekday == 0)
        } else {
            // the last chance is the 2nd, or the 1st when the 2nd is a Sunday
            let last = (dom == 2 && weekday != 6) || (dom == 1 && weekday == 5);
            (dom >= 25 || dom <= 2, last, dom == 3)
        };
        if collecting && weekday != 6 {
            for (m, &(party, _, cash)) in members.iter().enumerate() {
                if paid[m] || !(last_collection_day || rng.chance(0.45)) {
                    continue;
                }
                paid[m] = true;
                if cash {
                    let ts = gen.local_time(rng, day, 9, 16);
                    let orig = gen.cash_side(party.name);
                    gen.emit(ts, hand, currency, Channel::Cash, orig, me, branch);
                } else {
                    let ts = gen.local_time(rng, day, 6, 19);
                    gen.emit(ts, hand, currency, Channel::Mobile, party, me, branch);
                }
            }
        }
        if payout {
            paid.iter_mut().for_each(|p| *p = false);
            let (party, ours, cash) = members[order[turn]];
            let pot = hand * size as i64;
            let ts = gen.local_time(rng, day, 9, 17);
            if cash {
                let bene = gen.cash_side(Sym(0));
                gen.emit(ts, pot, currency, Channel::Cash, me, bene, branch);
            } else {
                let channel = if ours {
                    Channel::Internal
                } else {
                    Channel::Ach
                };
                gen.emit(ts, pot, currency, channel, me, party, branch);
            }
            turn += 1;
            if turn == size {
                turn = 0;
                rng.shuffle(&mut order);
            }
        }
    }
}

/// Remittance corridors out of a money service business: country, weight, median amount.
const MSB_OUT: &[(&str, u32, f64)] = &[
    ("HT", 35, 180.0),
    ("DO", 20, 260.0),
    ("VE", 15, 120.0),
    ("US", 30, 350.0),
];
/// Where remittances paid out by a money service business come from: country, weight.
const MSB_IN: &[(&str, u32)] = &[("US", 60), ("CA", 15), ("GB", 10), ("DO", 8), ("HT", 7)];

/// Picks from a weighted table.
fn weighted<T: Copy>(rng: &mut Rng, table: &[T], weight: impl Fn(&T) -> u32) -> T {
    let total: u32 = table.iter().map(&weight).sum();
    let mut roll = rng.below(u64::from(total)) as u32;
    for item in table {
        if roll < weight(item) {
            return *item;
        }
        roll -= weight(item);
    }
    table[table.len() - 1]
}

/// A money service business, open Monday to Saturday: 28–45 remittances a day out by WIRE to
/// families in HT, DO, VE and the US (many repeat beneficiaries), a third as many in from the
/// diaspora, busier on Fridays and around the turn of the month (more than 50 transfers on a
/// busy day, so the network searches treat it as a hub); the day's net counter cash is deposited
/// (or drawn, when payouts exceed it) at the close.
fn money_service(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let base = rng.range(28, 45) as f64;
    let counters: Vec<Sym> = (0..1 + rng.index(3))
        .map(|_| {
            let name = gen.person_name(rng);
            gen.sym(&name)
        })
        .collect();
    let pool = (base * 8.0) as usize;
    let families: Vec<(PartySyms, f64)> = (0..pool)
        .map(|_| {
            let (country, _, median) = weighted(rng, MSB_OUT, |c| c.1);
            let party = gen.new_external(rng, country, None);
            (party, rng.log_normal(median, 0.5))
        })
        .collect();
    let senders: Vec<PartySyms> = (0..pool / 2)
        .map(|_| {
            let (country, _) = weighted(rng, MSB_IN, |c| c.1);
            gen.new_external(rng, country, None)
        })
        .collect();
    for day in 0..gen.days() {
        let weekday = gen.weekday(day);
        if weekday == 6 {
            continue;
        }
        let dom = gen.day_of_month[day as usize];
        let mut factor = 1.0;
        if weekday == 4 {
            factor *= 1.8;
        }
        if dom >= 28 || dom <= 2 {
            factor *= 1.8;
        }
        let out_count = (base * factor * (0.8 + 0.4 * rng.unit())).round() as usize;
        let in_count = (out_count as f64 * (0.25 + 0.2 * rng.unit())).round() as usize;
        let mut takings = 0i64;
        for _ in 0..out_count {
            let (family, usual) = *rng.pick(&families);
            let amount = cents((usual * (0.7 + 0.6 * rng.unit())).clamp(40.0, 3_000.0));
            let ts = gen.local_time(rng, day, 8, 18);
            gen.emit(ts, amount, gen.cur.usd, Channel::Wire, me, family, branch);
            // the fee of 4% is kept in cash with the principal
            takings += amount + amount / 25;
        }
        for _ in 0..in_count {
            let sender = *rng.pick(&senders);
            let amount = cents(rng.log_normal(250.0, 0.6).clamp(50.0, 2_500.0));
            let ts = gen.local_time(rng, day, 8, 18);
            gen.emit(ts, amount, gen.cur.usd, Channel::Wire, sender, me, branch);
            takings -= amount;
        }
        let ts = gen.at_local(day, 18 * 60 + 30);
        let takings = takings / 10_000 * 10_000;
        if takings > 0 {
            gen.cash_deposit(ts, takings, index, *rng.pick(&counters), branch);
        } else if takings < 0 {
            gen.cash_withdrawal(ts, -takings, index, branch);
        }
    }
}

/// A fund holding: the fund, its currency, the day invested (negative: before the period), the
/// amount in the fund's currency, the quarterly distribution rate in basis points and the first
/// distribution's delay after investing.
struct Holding {
    fund: PartySyms,
    currency: Sym,
    invested_day: i64,
    amount: i64,
    rate_bp: i64,
    first_gap: i64,
}

/// An investor in offshore funds (a person with ordinary banking, or a holding company with
/// monthly dividends in and running costs out): one or two holdings of 20,000–500,000 in a fund
/// in KY, BM, LU or IE, invested by WIRE within the period or before it, quarterly distributions
/// of 1–3% from the same fund (the first 30–91 days after investing), and a partial redemption of
/// 15–50% between six and thirteen months after investing.
fn offshore_investor(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let home = gen.cfg.home_country.clone();
    let days = i64::from(gen.days());
    if is_company(gen, index) {
        company_running(gen, rng, index, &home);
    } else {
        individual(gen, rng, index, false);
    }
    let count = if rng.chance(0.3) { 2 } else { 1 };
    let holdings: Vec<Holding> = (0..count)
        .map(|n| {
            let country = *rng.pick(FUND_COUNTRIES);
            let form = match country {
                "LU" => "SICAV",
                "IE" => "ICAV",
                "KY" => *rng.pick(&["LTD", "SPC", "LP"]),
                _ => "LTD",
            };
            let name = format!("{} {} {form}", rng.pick(FUND_LEADS), rng.pick(FUND_STYLES));
            let fund = gen.new_named_external(country, &name);
            let currency = if matches!(country, "LU" | "IE") && rng.chance(0.5) {
                gen.cur.eur
            } else {
                gen.cur.usd
            };
            let in_period = rng.chance(if n == 0 { 0.7 } else { 0.4 });
            let invested_day = if in_period {
                rng.range(0, (days - 10).max(1) - 1)
            } else {
                -rng.range(1, 540)
            };
            let usd = exp_portable(20_000f64.ln() + rng.unit() * (500_000f64 / 20_000.0).ln());
            let step = if usd >= 100_000.0 { 5_000.0 } else { 1_000.0 };
            let amount = ((usd / step).round() * step) as i64 * MICROS_PER_UNIT;
            Holding {
                fund,
                currency,
                invested_day,
                amount,
                rate_bp: rng.range(100, 300),
                first_gap: rng.range(30, 91),
            }
        })
        .collect();
    for h in &holdings {
        if h.invested_day >= 0 {
            let ts = gen.local_time(rng, h.invested_day as u32, 9, 15);
            gen.emit(ts, h.amount, h.currency, Channel::Wire, me, h.fund, branch);
        }
        let redeem_after = rng.range(190, 400);
        let redeem_share = rng.range(15, 50);
        let mut held = h.amount;
        let mut day = h.invested_day + h.first_gap;
        while day < days {
            let redemption_day = h.invested_day + redeem_after;
            if redemption_day <= day && held == h.amount {
                if redemption_day >= 0 {
                    let gain = 0.95 + 0.2 * rng.unit();
                    let back = (h.amount as f64 * redeem_share as f64 / 100.0 * gain) as i64;
                    let back = back / 10_000 * 10_000;
                    let ts = gen.local_time(rng, redemption_day as u32, 9, 15);
                    gen.emit(ts, back, h.currency, Channel::Wire, h.fund, me, branch);
                }
                held = h.amount / 100 * (100 - redeem_share);
            }
            if day >= 0 {
                let rate = h.rate_bp as f64 / 10_000.0 * (0.9 + 0.2 * rng.unit());
                let paid = not_round((held as f64 * rate) as i64 / 10_000 * 10_000);
                let ts = gen.local_time(rng, day as u32, 9, 15);
                gen.emit(ts, paid, h.currency, Channel::Wire, h.fund, me, branch);
            }
            day += 91;
        }
    }
}

/// A holding company's running: monthly dividends by ACH from one to three local companies and
/// monthly ACH payments to its accountant and manager.
fn company_running(gen: &mut Gen<'_>, rng: &mut Rng, index: usize, home: &str) {
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let count = 1 + rng.index(3);
    let payers: Vec<(PartySyms, f64, u32)> = (0..count)
        .map(|_| {
            let party = gen.new_external(rng, home, Some(BusinessKind::Client));
            let usual = rng.log_normal(6_000.0, 0.6).clamp(1_500.0, 30_000.0);
            (party, usual, 10 + rng.range(0, 15) as u32)
        })
        .collect();
    let payees: Vec<PartySyms> = (0..2)
        .map(|_| gen.new_external(rng, home, Some(BusinessKind::Client)))
        .collect();
    for day in 0..gen.days() {
        let dom = gen.day_of_month[day as usize];
        for &(party, usual, pay_day) in &payers {
            if dom == pay_day {
                let ts = gen.local_time(rng, day, 9, 16);
                let amount = not_round(cents(usual * (0.85 + 0.3 * rng.unit())));
                gen.emit(ts, amount, gen.cur.usd, Channel::Ach, party, me, branch);
            }
        }
        if dom == 27 {
            for &payee in &payees {
                let ts = gen.local_time(rng, day, 9, 16);
                let amount = amount_between(rng, 300, 2_500);
                gen.emit(ts, amount, gen.cur.usd, Channel::Ach, me, payee, branch);
            }
        }
    }
}

/// A landlord: a person with ordinary banking or a property company; 3–12 tenants pay a round
/// monthly rent (by MOBILE, CHEQUE or ACH standing order) in the first week of the month, the
/// mortgage goes to a building society by ACH mid-month, and repairs are paid to a few
/// contractors every few weeks.
fn landlord(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let home = gen.cfg.home_country.clone();
    if !is_company(gen, index) {
        individual(gen, rng, index, false);
    }
    let count = 3 + rng.index(10);
    let jmd = rng.chance(0.5);
    // (tenant, rent in USD micros, channel, day of the month paid)
    let mut tenants: Vec<(PartySyms, i64, Channel, u32)> = Vec::with_capacity(count);
    while tenants.len() < count {
        let (party, _) = member(gen, rng, index, 0.6);
        if tenants.iter().any(|t| t.0.account == party.account) {
            continue;
        }
        tenants.push({
            let rent = (rng.log_normal(700.0, 0.5).clamp(250.0, 3_000.0) / 10.0).round() as i64
                * 10
                * MICROS_PER_UNIT;
            let roll = rng.unit();
            let channel = if roll < 0.65 {
                Channel::Mobile
            } else if roll < 0.85 {
                Channel::Cheque
            } else {
                Channel::Ach
            };
            (party, rent, channel, 1 + rng.range(0, 6) as u32)
        });
    }
    let total: i64 = tenants.iter().map(|t| t.1).sum();
    let lender = {
        let name = format!("{} BUILDING SOCIETY", rng.pick(PLACE_WORDS));
        gen.new_named_external(&home, &name)
    };
    let mortgage = not_round(total / 100 * rng.range(35, 70) / 10_000 * 10_000);
    let mortgage_day = 10 + rng.range(0, 6) as u32;
    let count = 2 + rng.index(4);
    let contractors: Vec<PartySyms> = (0..count)
        .map(|_| gen.new_external(rng, &home, Some(BusinessKind::Client)))
        .collect();
    for day in 0..gen.days() {
        let dom = gen.day_of_month[day as usize];
        for &(tenant, rent, channel, pay_day) in &tenants {
            if dom == pay_day && rng.chance(0.95) {
                let ts = gen.local_time(rng, day, 7, 19);
                let rent = if jmd {
                    // a round thousand Jamaican dollars
                    usd_to_jmd(rent) / (1_000 * MICROS_PER_UNIT) * (1_000 * MICROS_PER_UNIT)
                } else {
                    rent
                };
                let currency = if jmd { gen.cur.jmd } else { gen.cur.usd };
                gen.emit(ts, rent, currency, channel, tenant, me, branch);
            }
        }
        if dom == mortgage_day {
            let ts = gen.local_time(rng, day, 6, 8);
            gen.emit(ts, mortgage, gen.cur.usd, Channel::Ach, me, lender, branch);
        }
        if gen.weekday(day) == 2 && rng.chance(0.3) {
            let contractor = *rng.pick(&contractors);
            let ts = gen.local_time(rng, day, 9, 17);
            let amount = cents(rng.log_normal(400.0, 0.8).clamp(60.0, 3_000.0));
            let channel = *rng.pick(&[Channel::Cheque, Channel::Ach, Channel::Mobile]);
            emit_usd_or_jmd(gen, ts, amount, jmd, channel, me, contractor, branch);
        }
    }
}

/// A trading company: every 4–15 days a buyer abroad (2–5 regular ones, in turn) pays an order
/// by WIRE (typically 10,000–150,000), and 85–97% of it is wired on to the supplier (2–4 regular
/// ones abroad) 4–40 hours later, in two payments a third of the time; office costs go out by ACH on the
/// 25th. Passing money on within hours is its business.
fn trading_company(gen: &mut Gen<'_>, rng: &mut Rng, index: usize) {
    let me = gen.party(index);
    let branch = gen.pop.accounts[index].branch;
    let home = gen.cfg.home_country.clone();
    let buyers: Vec<PartySyms> = (0..2 + rng.index(4))
        .map(|_| {
            let country = gen.safe_foreign(rng);
            gen.new_external(rng, country, Some(BusinessKind::Foreign))
        })
        .collect();
    let suppliers: Vec<PartySyms> = (0..2 + rng.index(3))
        .map(|_| {
            let country = gen.safe_foreign(rng);
            gen.new_external(rng, country, Some(BusinessKind::Foreign))
        })
        .collect();
    let costs: Vec<PartySyms> = (0..2)
        .map(|_| gen.new_external(rng, &home, Some(BusinessKind::Client)))
        .collect();
    let typical = rng.log_normal(40_000.0, 0.6).clamp(10_000.0, 150_000.0);
    let mut next = rng.range(0, 10) as u32;
    let mut orders = 0usize;
    let hour = 3_600 * 1_000_000i64;
    for day in 0..gen.days() {
        // an order is paid on in full before the period ends
        if day == next && day + 2 < gen.days() {
            // regular trading partners, in turn
            let buyer = buyers[orders % buyers.len()];
            let paid = not_round(cents(
                (typical * (0.7 + 0.6 * rng.unit())).clamp(10_000.0, 200_000.0),
            ));
            let ts = gen.local_time(rng, day, 9, 15);
            gen.emit(ts, paid, gen.cur.usd, Channel::Wire, buyer, me, branch);
            let share = 8_500 + rng.range(0, 1_200);
            // to whole cents
            let owed = paid / 10_000 * share / 10_000 * 10_000;
            let parts = if rng.chance(0.33) { 2 } else { 1 };
            let mut out_ts = ts + (4 + rng.range(0, 36)) * hour;
            for part in 0..parts {
                let amount = if parts == 2 && part == 0 {
                    owed / 2 / 10_000 * 10_000
                } else if parts == 2 {
                    owed - owed / 2 / 10_000 * 10_000
                } else {
                    owed
                };
                let supplier = suppliers[(orders + part) % suppliers.len()];
                gen.emit(
                    out_ts,
                    amount,
                    gen.cur.usd,
                    Channel::Wire,
                    me,
                    supplier,
                    branch,
                );
                out_ts += hour;
            }
            next = day + rng.range(4, 16) as u32;
            orders += 1;
        }
        if gen.day_of_month[day as usize] == 25 {
            for &payee in &costs {
                let ts = gen.local_time(rng, day, 9, 16);
                let amount = amount_between(rng, 1_000, 8_000);
                gen.emit(ts, amount, gen.cur.usd, Channel::Ach, me, payee, branch);
            }
        }
    }
}
