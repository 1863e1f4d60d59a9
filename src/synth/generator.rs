//! The generation context shared by the background and planting code: the growing columns,
//! the population, time and money helpers, and external counterparties.

use super::columns::{PartySyms, Sym, TxnColumns};
use super::fx::FxRate;
use super::names::{self, BusinessKind};
use super::population::Population;
use super::rng::Rng;
use super::GeneratorConfig;
use crate::model::{Channel, TimestampMicros, MICROS_PER_UNIT};
use std::collections::HashSet;

/// Seconds in a day.
pub const DAY_SECS: i64 = 86_400;
/// Micros in a day.
pub const DAY_MICROS: i64 = DAY_SECS * MICROS_PER_UNIT;
/// Micros in an hour.
pub const HOUR_MICROS: i64 = 3_600 * MICROS_PER_UNIT;
/// Local time is taken as UTC−5 (Jamaica); local 06:00–18:59 stays on the same UTC date.
pub const LOCAL_UTC_OFFSET_HOURS: i64 = 5;

/// Foreign countries used for ordinary business and as safe planted counterparties: on neither
/// FATF list, so they never make a high-risk-geography alert by themselves.
pub const SAFE_FOREIGN: &[&str] = &[
    "US", "GB", "CA", "PA", "CN", "DE", "MX", "JP", "IN", "TT", "BB", "KY", "CH", "ES", "DO", "CO",
];
/// FATF "call for action" countries (any amount from 1,000 alerts).
pub const CALL_FOR_ACTION: &[&str] = &["KP", "IR", "MM"];
/// FATF increased-monitoring countries used for planting (alerts from 10,000): all on the list of
/// the October 2025 plenary that `rules/lists/fatf-increased-monitoring.toml` ships.
pub const INCREASED_MONITORING: &[&str] = &["HT", "SY", "YE", "VE", "LB", "KE"];
/// Countries receiving small family remittances (two of them on the monitoring list, always
/// far below its 10,000 threshold: realistic near-misses).
pub const REMITTANCE_COUNTRIES: &[&str] = &[
    "US", "GB", "CA", "TT", "IN", "CN", "DO", "HT", "NG", "ES", "LC", "GD",
];

/// Whole currency units to micros.
pub fn units(u: i64) -> i64 {
    u * MICROS_PER_UNIT
}

/// A random amount between `lo` and `hi` whole units, with random cents.
pub fn amount_between(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    let cents = rng.range(lo * 100, hi * 100);
    cents * (MICROS_PER_UNIT / 100)
}

/// Makes sure an amount is not an exact multiple of 1,000 units (adds 0.37 if it is).
pub fn not_round(micros: i64) -> i64 {
    if micros % units(1000) == 0 {
        micros + 370_000
    } else {
        micros
    }
}

/// Rounds micros up to whole cents.
pub fn ceil_cents(micros: i64) -> i64 {
    let cent = MICROS_PER_UNIT / 100;
    (micros + cent - 1) / cent * cent
}

/// Currency symbols used by the background.
#[derive(Debug, Clone, Copy)]
pub struct Currencies {
    /// US dollar, the base.
    pub usd: Sym,
    /// Jamaican dollar.
    pub jmd: Sym,
    /// Trinidad and Tobago dollar.
    pub ttd: Sym,
    /// East Caribbean dollar.
    pub xcd: Sym,
    /// Euro.
    pub eur: Sym,
}

/// Everything generation writes into, plus helpers.
pub struct Gen<'a> {
    /// The configuration.
    pub cfg: &'a GeneratorConfig,
    /// Rows in creation order until sorted.
    pub cols: TxnColumns,
    /// Micros at 00:00 UTC of the first day.
    pub day0: TimestampMicros,
    /// Weekday of the first day (0 = Monday).
    pub weekday0: u32,
    /// The home country symbol.
    pub home: Sym,
    /// Currency symbols.
    pub cur: Currencies,
    /// FX rates used for base conversion.
    pub rates: Vec<FxRate>,
    /// Our customers.
    pub pop: Population,
    /// Day of month of each day index.
    pub day_of_month: Vec<u32>,
    /// Counter behind external account numbers.
    ext_counter: u64,
    /// Counterparties at other banks shared by many customers (a card acquirer, universities),
    /// created by the first customer that needs one.
    shared: std::collections::BTreeMap<String, PartySyms>,
    /// Token-set keys of listed names that background names must avoid.
    blocked_names: HashSet<String>,
}

impl<'a> Gen<'a> {
    /// A new context; `pop` must already be built.
    pub fn new(
        cfg: &'a GeneratorConfig,
        mut cols: TxnColumns,
        pop: Population,
        rates: Vec<FxRate>,
    ) -> Gen<'a> {
        let day0 = cfg
            .start
            .and_hms_opt(0, 0, 0)
            .map(|dt| dt.and_utc().timestamp() * MICROS_PER_UNIT)
            .unwrap_or(0);
        let weekday0 = chrono::Datelike::weekday(&cfg.start).num_days_from_monday();
        let home = cols.symbols.intern(&cfg.home_country);
        let cur = Currencies {
            usd: cols.symbols.intern("USD"),
            jmd: cols.symbols.intern("JMD"),
            ttd: cols.symbols.intern("TTD"),
            xcd: cols.symbols.intern("XCD"),
            eur: cols.symbols.intern("EUR"),
        };
        let blocked_names = cfg
            .watchlist_names
            .iter()
            .map(|n| names::token_set_key(n))
            .collect();
        let day_of_month = (0..cfg.days)
            .map(|d| {
                cfg.start
                    .checked_add_days(chrono::Days::new(u64::from(d)))
                    .map_or(1, |date| chrono::Datelike::day(&date))
            })
            .collect();
        Gen {
            cfg,
            cols,
            day0,
            weekday0,
            home,
            cur,
            rates,
            pop,
            day_of_month,
            ext_counter: u64::from(cfg.part) * super::PART_EXTERNAL_STRIDE,
            shared: Default::default(),
            blocked_names,
        }
    }

    /// External accounts made so far (in this part: see [`super::GeneratorConfig::part`]).
    pub fn externals_made(&self) -> u64 {
        self.ext_counter - u64::from(self.cfg.part) * super::PART_EXTERNAL_STRIDE
    }

    /// Number of days in the period.
    pub fn days(&self) -> u32 {
        self.cfg.days
    }

    /// Weekday of a day index (0 = Monday, 6 = Sunday).
    pub fn weekday(&self, day: u32) -> u32 {
        (self.weekday0 + day) % 7
    }

    /// UTC micros of local `minute_of_day` (06:00–18:59 local keeps the UTC date) on `day`.
    pub fn at_local(&self, day: u32, minute_of_day: i64) -> TimestampMicros {
        self.day0
            + i64::from(day) * DAY_MICROS
            + (minute_of_day * 60 + LOCAL_UTC_OFFSET_HOURS * 3600) * MICROS_PER_UNIT
    }

    /// A random local time on `day` between `from_hour` and `to_hour` (exclusive), to the second.
    pub fn local_time(
        &self,
        rng: &mut Rng,
        day: u32,
        from_hour: i64,
        to_hour: i64,
    ) -> TimestampMicros {
        let secs = rng.range(from_hour * 3600, to_hour * 3600 - 1);
        self.day0
            + i64::from(day) * DAY_MICROS
            + (secs + LOCAL_UTC_OFFSET_HOURS * 3600) * MICROS_PER_UNIT
    }

    /// A person name that is not a listed name in another order.
    pub fn person_name(&self, rng: &mut Rng) -> String {
        loop {
            let name = names::person_name(rng);
            if self.blocked_names.is_empty()
                || !self.blocked_names.contains(&names::token_set_key(&name))
            {
                return name;
            }
        }
    }

    /// Interns a string.
    pub fn sym(&mut self, text: &str) -> Sym {
        self.cols.symbols.intern(text)
    }

    /// The party of one of our accounts.
    pub fn party(&self, account: usize) -> PartySyms {
        let a = &self.pop.accounts[account];
        PartySyms {
            account: a.number,
            name: a.name,
            country: self.home,
        }
    }

    /// The cash side of a deposit or withdrawal conducted by `name` (no account).
    pub fn cash_side(&self, name: Sym) -> PartySyms {
        PartySyms {
            account: Sym(0),
            name,
            country: self.home,
        }
    }

    /// A new account at another bank (`EXT-US-0000012`), for a person or a business.
    pub fn new_external(
        &mut self,
        rng: &mut Rng,
        country: &str,
        business: Option<BusinessKind>,
    ) -> PartySyms {
        self.ext_counter += 1;
        let number = format!("EXT-{country}-{:07}", self.ext_counter);
        let name = match business {
            Some(kind) => names::business_name(rng, kind),
            None => self.person_name(rng),
        };
        PartySyms {
            account: self.sym(&number),
            name: self.sym(&name),
            country: self.sym(country),
        }
    }

    /// The shared counterparty `key` at another bank in `country`, created on first use.
    pub fn shared_external(
        &mut self,
        rng: &mut Rng,
        key: &str,
        country: &str,
        business: Option<BusinessKind>,
    ) -> PartySyms {
        if let Some(found) = self.shared.get(key) {
            return *found;
        }
        let party = self.new_external(rng, country, business);
        self.shared.insert(key.to_string(), party);
        party
    }

    /// A new account at another bank with a given holder name.
    pub fn new_named_external(&mut self, country: &str, name: &str) -> PartySyms {
        self.ext_counter += 1;
        let number = format!("EXT-{country}-{:07}", self.ext_counter);
        PartySyms {
            account: self.sym(&number),
            name: self.sym(name),
            country: self.sym(country),
        }
    }

    /// A foreign country from the safe list other than home.
    pub fn safe_foreign(&self, rng: &mut Rng) -> &'static str {
        loop {
            let c = *rng.pick(SAFE_FOREIGN);
            if c != self.cfg.home_country {
                return c;
            }
        }
    }

    /// Appends a row; returns its creation index.
    #[allow(clippy::too_many_arguments)]
    pub fn emit(
        &mut self,
        ts: TimestampMicros,
        amount: i64,
        currency: Sym,
        channel: Channel,
        orig: PartySyms,
        bene: PartySyms,
        branch: Sym,
    ) -> usize {
        self.cols
            .push(ts, amount, currency, channel, orig, bene, branch)
    }

    /// A USD transfer between two parties through the branch of `our_account`.
    pub fn transfer(
        &mut self,
        ts: TimestampMicros,
        amount: i64,
        channel: Channel,
        orig: PartySyms,
        bene: PartySyms,
        our_account: usize,
    ) -> usize {
        let branch = self.pop.accounts[our_account].branch;
        self.emit(ts, amount, self.cur.usd, channel, orig, bene, branch)
    }

    /// A USD cash deposit into `account` conducted by `conductor` at `branch`.
    pub fn cash_deposit(
        &mut self,
        ts: TimestampMicros,
        amount: i64,
        account: usize,
        conductor: Sym,
        branch: Sym,
    ) -> usize {
        let orig = self.cash_side(conductor);
        let bene = self.party(account);
        self.emit(ts, amount, self.cur.usd, Channel::Cash, orig, bene, branch)
    }

    /// A USD cash withdrawal from `account` at `branch`.
    pub fn cash_withdrawal(
        &mut self,
        ts: TimestampMicros,
        amount: i64,
        account: usize,
        branch: Sym,
    ) -> usize {
        let orig = self.party(account);
        let bene = self.cash_side(Sym(0));
        self.emit(ts, amount, self.cur.usd, Channel::Cash, orig, bene, branch)
    }

    /// A random branch of the bank.
    pub fn random_branch(&self, rng: &mut Rng) -> Sym {
        *rng.pick(&self.pop.branches)
    }

    /// Converts a row's amount to base micros (unknown currencies count as base).
    pub fn base_amount(&self, row: usize) -> i64 {
        let currency = self.cols.symbols.get(self.cols.currency[row]);
        let amount = self.cols.amount[row];
        super::fx::to_base(&self.rates, currency, amount).unwrap_or(amount)
    }
}
