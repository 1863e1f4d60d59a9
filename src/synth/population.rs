//! Our customers: individuals, cash-heavy retailers, card merchants, employers and importers,
//! with their branches, employers, salaries and circles of friends.

use super::columns::{PartySyms, Sym};
use super::generator::Gen;
use super::lookalikes::{self, LookAlikeKind};
use super::names::{self, BusinessKind};
use super::rng::Rng;

/// What kind of customer an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A private person.
    Individual,
    /// A cash-heavy retail business depositing takings daily.
    CashRetail,
    /// A card-accepting merchant.
    Merchant,
    /// An employer paying a payroll by ACH.
    Employer,
    /// An importer wiring money to foreign suppliers.
    Importer,
    /// A church (legitimate look-alike, see `lookalikes.rs`).
    Church,
    /// A savings club organiser (legitimate look-alike).
    SavingsClub,
    /// A money service business (legitimate look-alike).
    MoneyService,
    /// An investor in offshore funds (legitimate look-alike).
    Investor,
    /// A landlord (legitimate look-alike).
    Landlord,
    /// A trading company passing buyers' payments on to suppliers (legitimate look-alike).
    Trader,
}

/// Whether an account is held back for a planted instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserve {
    /// Ordinary background customer.
    None,
    /// Planted subject with quiet, isolated background activity (no payroll, no friends).
    Quiet,
    /// Planted subject with no background activity at all (dormant accounts).
    Silent,
}

/// One of our accounts.
#[derive(Debug, Clone, Copy)]
pub struct Account {
    /// Account number.
    pub number: Sym,
    /// Holder name.
    pub name: Sym,
    /// Home branch.
    pub branch: Sym,
    /// Kind of customer.
    pub role: Role,
    /// Planting reservation.
    pub reserve: Reserve,
}

/// No circle of friends.
pub const NO_CIRCLE: u32 = u32::MAX;

/// The customer base.
#[derive(Debug, Clone, Default)]
pub struct Population {
    /// Every customer account, by index.
    pub accounts: Vec<Account>,
    /// Branch codes.
    pub branches: Vec<Sym>,
    /// Indices of employer accounts.
    pub employers: Vec<usize>,
    /// Employees of each employer (same order as `employers`).
    pub employees: Vec<Vec<u32>>,
    /// Whether each employer pays monthly (else every two weeks).
    pub pays_monthly: Vec<bool>,
    /// Salary per pay of each account (0 when not employed).
    pub salary: Vec<i64>,
    /// Indices of card-merchant accounts.
    pub merchants: Vec<usize>,
    /// Circle id per account, or [`NO_CIRCLE`].
    pub circle: Vec<u32>,
    /// Members of each circle.
    pub circles: Vec<Vec<u32>>,
    /// Card merchants at other banks.
    pub external_merchants: Vec<PartySyms>,
    /// Indices held for planted instances, in planning order.
    pub reserved: Vec<usize>,
}

/// Branch location codes for Jamaica.
const JM_BRANCH_TOWNS: &[&str] = &["KIN", "MBJ", "SPT", "MAN", "OCR", "MAY", "PTM", "SAV"];

/// Account number for a customer index: a fixed bijective scramble so numbers do not reveal roles,
/// after `10 + part` (so no two parts of a data set share one).
fn account_number(index: usize, part: u32) -> String {
    let scrambled = (index as u64 * 48_271 + 1_234_567) % 100_000_000;
    format!("{}{scrambled:08}", 10 + part)
}

/// Builds the population: `silent_reserved` flags, in order, which of the reserved accounts
/// (placed after the background customers) get no background activity.
pub fn populate(gen: &mut Gen<'_>, rng: &mut Rng, silent_reserved: &[bool]) {
    let total = gen.cfg.accounts;
    let reserved = silent_reserved.len();
    let ordinary = total - reserved;
    let home = gen.cfg.home_country.clone();

    let mut branches = Vec::new();
    let towns: Vec<String> = if home == "JM" {
        JM_BRANCH_TOWNS.iter().map(|t| t.to_string()).collect()
    } else {
        (1..=4).map(|n| format!("{home}{n}")).collect()
    };
    for (t, town) in towns.iter().enumerate() {
        let outlets = if t == 0 {
            6
        } else {
            1 + (total / 20_000).min(3)
        };
        for n in 1..=outlets {
            branches.push(gen.sym(&format!("{town}-{n:02}")));
        }
    }

    let share = |per_thousand: usize| (ordinary * per_thousand / 1000).max(1);
    let mut roles = Vec::with_capacity(ordinary);
    roles.extend(std::iter::repeat_n(Role::CashRetail, share(70)));
    roles.extend(std::iter::repeat_n(Role::Merchant, share(30)));
    roles.extend(std::iter::repeat_n(Role::Employer, share(40)));
    roles.extend(std::iter::repeat_n(Role::Importer, share(20)));
    for kind in LookAlikeKind::ALL {
        roles.extend(std::iter::repeat_n(kind.role(), share(kind.per_thousand())));
    }
    roles.truncate(ordinary);
    roles.resize(ordinary, Role::Individual);
    rng.shuffle(&mut roles);

    let mut accounts = Vec::with_capacity(total);
    for index in 0..total {
        let (role, reserve) = if index < ordinary {
            (roles[index], Reserve::None)
        } else if silent_reserved[index - ordinary] {
            (Role::Individual, Reserve::Silent)
        } else {
            (Role::Individual, Reserve::Quiet)
        };
        let name = match role {
            Role::Individual => gen.person_name(rng),
            Role::CashRetail => names::business_name(rng, BusinessKind::CashRetail),
            Role::Merchant => names::business_name(rng, BusinessKind::Merchant),
            Role::Employer => names::business_name(rng, BusinessKind::Employer),
            Role::Importer => names::business_name(rng, BusinessKind::Importer),
            role => match LookAlikeKind::of_role(role) {
                Some(kind) => lookalikes::holder_name(gen, rng, kind),
                None => gen.person_name(rng),
            },
        };
        // Kingston branches hold about half of the accounts.
        let branch = if rng.chance(0.5) {
            branches[rng.index(6.min(branches.len()))]
        } else {
            *rng.pick(&branches)
        };
        accounts.push(Account {
            number: gen.sym(&account_number(index, gen.cfg.part)),
            name: gen.sym(&name),
            branch,
            role,
            reserve,
        });
    }

    let employers: Vec<usize> = (0..ordinary)
        .filter(|&i| accounts[i].role == Role::Employer)
        .collect();
    let merchants: Vec<usize> = (0..ordinary)
        .filter(|&i| accounts[i].role == Role::Merchant)
        .collect();
    let pays_monthly: Vec<bool> = employers.iter().map(|_| rng.chance(0.3)).collect();
    // Employer sizes are skewed: a few large employers and many small ones.
    let mut cumulative = Vec::with_capacity(employers.len());
    let mut running = 0.0;
    for _ in &employers {
        running += rng.log_normal(10.0, 1.0);
        cumulative.push(running);
    }
    let mut employees = vec![Vec::new(); employers.len()];
    let mut salary = vec![0i64; total];
    let mut circle_candidates = Vec::new();
    for index in 0..ordinary {
        if accounts[index].role != Role::Individual {
            continue;
        }
        if rng.chance(0.7) && !employers.is_empty() {
            let roll = rng.unit() * running;
            let e = cumulative
                .partition_point(|&c| c < roll)
                .min(employers.len() - 1);
            employees[e].push(index as u32);
            let monthly = pays_monthly[e];
            let median = if monthly { 1_900.0 } else { 900.0 };
            let pay = rng
                .log_normal(median, 0.45)
                .clamp(median * 0.35, median * 3.2);
            salary[index] = (pay * 100.0).round() as i64 * 10_000;
        }
        circle_candidates.push(index as u32);
    }
    // Circles of four to six friends: nobody hears from more than five friends, far below fan-in.
    rng.shuffle(&mut circle_candidates);
    let mut circle = vec![NO_CIRCLE; total];
    let mut circles = Vec::new();
    let mut rest = circle_candidates.as_slice();
    while rest.len() >= 4 {
        let size = (4 + rng.index(3)).min(rest.len());
        let (members, tail) = rest.split_at(size);
        for &m in members {
            circle[m as usize] = circles.len() as u32;
        }
        circles.push(members.to_vec());
        rest = tail;
    }

    let home_sym = gen.home;
    let merchant_count = 20 + total / 500;
    let mut external_merchants = Vec::with_capacity(merchant_count);
    for _ in 0..merchant_count {
        let mut party = gen.new_external(rng, &home, Some(BusinessKind::Merchant));
        party.country = home_sym;
        external_merchants.push(party);
    }

    gen.pop = Population {
        accounts,
        branches,
        employers,
        employees,
        pays_monthly,
        salary,
        merchants,
        circle,
        circles,
        external_merchants,
        reserved: (ordinary..total).collect(),
    };
}
