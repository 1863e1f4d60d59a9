//! Small single-typology data sets and plain-language walk-throughs for trainers.

use super::{GeneratorConfig, SyntheticData};
use crate::model::{format_money_grouped, format_timestamp, Channel, Typology};
use chrono::NaiveDate;
use std::fmt::Write as _;

/// Fictitious listed names used by the sanctions demo (a screening run must load the same names).
pub const SAMPLE_WATCHLIST_NAMES: &[&str] = &[
    "DMITRI OLEGOVICH VOLKANOV",
    "FARHAN KARIM ZADEHRI",
    "MARISOL BEATRIZ QUENTARO",
];

/// Days a demo needs for a typology.
fn demo_days(typology: Typology) -> u32 {
    match typology {
        Typology::DormantReactivation => 120,
        Typology::VelocitySpike => 84,
        Typology::BehaviourChange => 260,
        _ => 30,
    }
}

/// A small configuration (200 accounts) with exactly one planted instance of `typology`.
pub fn demo_config(typology: Typology) -> GeneratorConfig {
    GeneratorConfig {
        accounts: 200,
        days: demo_days(typology),
        seed: 20_260_101 + typology as u64,
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        typologies: vec![typology],
        watchlist_names: if typology == Typology::Sanctions {
            SAMPLE_WATCHLIST_NAMES
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            Vec::new()
        },
        // a demo plants exactly one instance, on transactions
        listed_people: Vec::new(),
        home_country: "JM".to_string(),
        bad_rows: 0,
        instances_per_typology: Some(1),
        part: 0,
    }
}

/// The shipped rule's default definition, why the instance meets it, and what else may fire.
fn rule_story(typology: Typology) -> (&'static str, &'static str, &'static str) {
    match typology {
        Typology::CashThreshold => (
            "cash_threshold: one CASH transaction of 10,000 or more; the subject is the account (the beneficiary of a deposit, the originator of a withdrawal).",
            "A single cash transaction reached the reporting threshold. On its own this is not suspicious - it is a reporting duty - but it shows how the threshold report is triggered.",
            "Usually nothing else.",
        ),
        Typology::CashAggregation => (
            "cash_aggregation: CASH of 10,000 or more in one UTC calendar day, from at least two transactions each under 10,000.",
            "No single deposit reached 10,000, but the day's total did. Banks aggregate same-day cash so that splitting a deposit at the counter does not avoid the report.",
            "Nothing else by design: every deposit stays below 8,000, so it is not structuring.",
        ),
        Typology::Structuring => (
            "structuring: at least 3 CASH deposits, each between 8,000 and 9,999.99, within a trailing 7 days.",
            "Each deposit stays just under the 10,000 threshold, on different days and often at different branches - the classic pattern of someone avoiding the threshold report.",
            "velocity_spike, about half the time: when the account has 63 days of quieter history, the deposits (24,000 or more in a week) are a spike too.",
        ),
        Typology::Smurfing => (
            "smurfing: at least 5 different depositor names (not the account holder) making CASH deposits under 10,000 into one account within 3 days.",
            "Several different people, none of them the holder, feed cash into one account in a short time - a sign of a collection account using 'smurfs'.",
            "Nothing else by design: no day reaches 10,000 and every deposit is small.",
        ),
        Typology::BulkCash => (
            "bulk_cash: CASH deposits totalling 10,000 or more within 7 days, then at least 50% of that sent abroad by WIRE within 30 days, from the same account or from the holder's own other account (one the subject paid in the holder's own name).",
            "Cash is placed into the bank and soon wired to another country: placement followed by layering.",
            "cash_threshold (one deposit of 10,000 or more) or cash_aggregation (several smaller deposits the same day).",
        ),
        Typology::RapidMovement => (
            "rapid_movement: an incoming WIRE of 10,000 or more, then outgoing WIRE, ACH or MOBILE payments from the account totalling at least 80% of it within 48 hours.",
            "Money arrives and leaves almost at once: the account acts as a pass-through (a 'mule' or layering account).",
            "velocity_spike, about one time in ten (in and out together come close to 20,000).",
        ),
        Typology::FanIn => (
            "fan_in: at least 8 different originator accounts paying one account by WIRE, MOBILE or INTERNAL within 5 days (card and ACH payments do not count, so shops and payroll stay quiet).",
            "Many unrelated senders pay one person in a few days: a collection account, for example for scam proceeds.",
            "Nothing else by design (the total stays under 15,000).",
        ),
        Typology::FanOut => (
            "fan_out: at least 8 different beneficiary accounts paid by WIRE, MOBILE or INTERNAL within 3 days.",
            "One account spreads money to many recipients in a short time: distribution to mules or layering.",
            "Nothing else by design (the total stays under 14,000).",
        ),
        Typology::Cycle => (
            "cycle_long (network pack): WIRE, MOBILE or INTERNAL transfers of 3,000 or more forming a loop back to the first originator in 2 to 8 hops within 30 days, each hop 94-101% of the previous one in base currency (cycle, movement pack: WIRE of 5,000 or more, 2 to 4 hops within 10 days, 80-100%).",
            "The money goes round and comes back, slightly reduced by 'fees': round-tripping that makes funds look like trade or investment income.",
            "Nothing else by design.",
        ),
        Typology::HighRiskGeography => (
            "high_risk_geography: a counterparty in a FATF call-for-action country (KP, IR, MM) for any amount of 1,000 or more, or in an increased-monitoring country (HT, SY, YE, VE, LB, KE...) for 10,000 or more.",
            "Payments with jurisdictions that FATF lists for strategic deficiencies need enhanced due diligence.",
            "Nothing else by design.",
        ),
        Typology::RoundAmounts => (
            "round_amounts: at least 3 outgoing WIRE, CHEQUE or CASH transactions of 5,000 or more that are exact multiples of 1,000, within 14 days.",
            "Genuine business payments are rarely exact thousands; repeated round sums suggest invented transactions or loan-back schemes.",
            "Nothing else by design: the payments are spread out, so no week reaches the velocity rule's 20,000.",
        ),
        Typology::DormantReactivation => (
            "dormant_reactivation: an account with no activity at all for 90 days or more, then a transaction of 10,000 or more.",
            "A forgotten account suddenly receives a large sum: a sign of account takeover or of an account bought for laundering.",
            "Nothing else by design: the sum stays under the velocity rule's 20,000.",
        ),
        Typology::VelocitySpike => (
            "velocity_spike: incoming plus outgoing volume over 7 days of at least 5 times the account's average weekly volume over the preceding 56 days, and at least 20,000; the account needs 63 days of history.",
            "An ordinary salaried customer suddenly moves far more money than usual, in and straight out again.",
            "Nothing else by design: no payment reaches 10,000 except an incoming cheque.",
        ),
        Typology::BehaviourChange => (
            "behaviour_change: over 28 days, at least 15 transactions in and out with a volume of at least 5 times the larger of the account's usual 28-day volume (its average over the preceding 180 days) and 2,000 (what a quiet or dormant account is judged against, so at least 10,000); not when the same weeks a year earlier held at least half as much (seasonal); the account needs 208 days of history.",
            "A quiet or dormant account starts moving many small payments - far more than it ever did - over a few weeks: the pattern of an account sold or lent to a money-mule network, or taken over.",
            "velocity_spike now and then, when a quiet account's busiest week reaches 20,000; nothing else by design (each payment is small and there are never eight counterparties).",
        ),
        Typology::LayeringChain => (
            "layering_chain: WIRE, MOBILE or INTERNAL transfers of 3,000 or more passing funds on through 4 to 8 accounts in time order within 30 days, each hop 94-101% of the previous one.",
            "The money is moved from account to account, each keeping only a fee, in several currencies: layering that puts distance between the funds and their source.",
            "cycle_long when the chain happens to return to its start; otherwise nothing by design.",
        ),
        Typology::ScatterGather => (
            "scatter_gather: one account pays at least 3 accounts (WIRE, MOBILE or INTERNAL, 1,000 or more) within 7 days, and those pass at least 80% of it on to one common account within 14 days.",
            "The money is split across several accounts and gathered again at one destination: layering through intermediaries (mules) that hides the link between source and sink.",
            "fan_out when the source pays 8 or more intermediaries within 3 days.",
        ),
        Typology::GatherScatter => (
            "gather_scatter: at least 3 senders pay one account (WIRE, MOBILE or INTERNAL, 1,000 or more) within 7 days, and it pays at least 80% of that on to at least 3 recipients within 14 days.",
            "Funds from many sources are pooled in one account and dispersed again at once: a collection and distribution point of a laundering network.",
            "fan_in or fan_out with 8 or more counterparties in a few days; rapid_movement when one incoming wire of 10,000 or more leaves within 48 hours.",
        ),
        Typology::RoundTripping => (
            "round_tripping: payments (WIRE or INTERNAL, 10,000 or more) to a party in an IMF offshore financial centre, 50% to 120% of which comes back from the same party, a sister company with a similar name or a company in the same jurisdiction between 3 and 90 days later.",
            "Money is parked with a company the customer controls offshore and comes back dressed as a loan or an investment, with a legitimate-looking source.",
            "Nothing else by design: the offshore jurisdictions used are not on a FATF list and the return comes days or weeks later.",
        ),
        Typology::Bipartite => (
            "bipartite_layer (network pack): at least 3 senders each paying at least 2 of at least 3 recipients, each recipient paid by at least 2 of the senders (WIRE, MOBILE or INTERNAL, 2,000 or more a payment), within a window of 28 days.",
            "A many-to-many layer: several accounts spread money over several others, each payment ordinary on its own, so that no single account looks like a collection or distribution point.",
            "Nothing else by design; a recipient paid by three or more senders that passes money on may raise gather_scatter.",
        ),
        Typology::StackedBipartite => (
            "stacked_bipartite (network pack): a bipartite layer (3 or more senders, 3 or more recipients, 2 or more links each, 2,000 or more a payment) whose recipients pass at least 80% of what they received on, within 14 days of their last receipt, to a second such layer.",
            "Two many-to-many layers in sequence: the recipients of the first are the senders of the second, each keeping only a fee, which puts two layers of accounts between the money and its source.",
            "bipartite_layer on either layer; gather_scatter or scatter_gather when one intermediary happens to have three counterparties on each side.",
        ),
        Typology::Sanctions => (
            "sanctions: a transaction whose originator or beneficiary name is a variant of a listed name (typo, reordering, dropped middle name).",
            "Sanctioned parties rarely appear with their exact listed spelling; fuzzy name screening has to catch variants.",
            "Nothing else by design (the counterparty country is not on a FATF list).",
        ),
    }
}

/// Describes one row in a sentence.
fn describe_row(data: &SyntheticData, position: usize) -> String {
    let v = data.transactions.view(position);
    let amount = format!("{} {}", format_money_grouped(v.amount), v.currency);
    let when = format_timestamp(v.timestamp)
        .replace('T', " ")
        .replace('Z', " UTC");
    let body = if v.channel == Channel::Cash && v.orig_account.is_empty() {
        format!(
            "cash deposit of {amount} into {} ({}) by {} at branch {}",
            v.bene_account, v.bene_name, v.orig_name, v.branch
        )
    } else if v.channel == Channel::Cash {
        format!(
            "cash withdrawal of {amount} from {} ({}) at branch {}",
            v.orig_account, v.orig_name, v.branch
        )
    } else {
        format!(
            "{} of {amount} from {} ({}, {}) to {} ({}, {})",
            v.channel,
            v.orig_name,
            v.orig_account,
            v.orig_country,
            v.bene_name,
            v.bene_account,
            v.bene_country
        )
    };
    format!("{when}  {}  {body}", v.txn_id())
}

/// A plain-language walk-through of what was planted for `typology` in `data`: the accounts,
/// every planted transaction with amount and date, the rule that should catch it and why.
pub fn demo_walkthrough(typology: Typology, data: &SyntheticData) -> String {
    let mut out = String::new();
    let title = format!("Walk-through: {} ({})", typology.label(), typology.as_str());
    let _ = writeln!(out, "{title}\n{}\n", "=".repeat(title.len()));
    let cols = &data.transactions;
    let _ = writeln!(
        out,
        "The data set holds {} transactions of {} customer accounts. Almost all of it is ordinary activity: salaries, card spending, ATM cash, transfers between friends, shop takings and import payments.",
        cols.len(),
        data.accounts_total
    );
    let instances: Vec<(usize, &super::Label)> = data
        .labels
        .iter()
        .enumerate()
        .filter(|(_, l)| l.typology == typology)
        .collect();
    if instances.is_empty() {
        let _ = writeln!(out, "\nNothing of this typology was planted.");
        for note in &data.notes {
            let _ = writeln!(out, "Note: {note}");
        }
        return out;
    }
    let (rule, why, also) = rule_story(typology);
    for (index, label) in instances {
        let subject_name = label
            .txn_ids
            .iter()
            .filter_map(|t| cols.position_of(t))
            .map(|p| cols.view(p))
            .find_map(|v| {
                if v.orig_account == label.subject_account {
                    Some(v.orig_name.to_string())
                } else if v.bene_account == label.subject_account {
                    Some(v.bene_name.to_string())
                } else {
                    None
                }
            })
            .unwrap_or_default();
        let _ = writeln!(out, "\nPlanted instance {}", label.instance_id);
        let _ = writeln!(
            out,
            "  In short: {}.",
            data.label_notes
                .get(index)
                .map(String::as_str)
                .unwrap_or("")
        );
        let _ = writeln!(
            out,
            "  Subject account: {} ({subject_name})",
            label.subject_account
        );
        if label.accounts.len() > 1 {
            let _ = writeln!(
                out,
                "  Other accounts involved: {}",
                label.accounts[1..].join(", ")
            );
        }
        let _ = writeln!(out, "  The planted transactions, in time order:");
        for t in &label.txn_ids {
            if let Some(p) = cols.position_of(t) {
                let _ = writeln!(out, "    {}", describe_row(data, p));
            }
        }
    }
    let _ = writeln!(out, "\nWhich rule should catch it\n  {rule}");
    let _ = writeln!(out, "\nWhy it matters\n  {why}");
    let _ = writeln!(out, "\nWhat else may fire on the same account\n  {also}");
    let _ = writeln!(
        out,
        "\nFor the trainer\n  Run the screening on this file, open the alert on the subject account and compare its evidence with the transactions above. Then look for the ordinary customers who did NOT alert: the rule's thresholds are what separates them."
    );
    out
}
