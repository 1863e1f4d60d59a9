//! Which alerts belong together: a union-find over account numbers.
//!
//! Every alert puts its subject account in the forest. A `cycle` alert also joins every account
//! that appears on either side of its evidence transactions, so the members of a circular flow end
//! up in one case even when only one of them raised the alert. A `customer_sanctions_match` alert
//! joins the listed customer's accounts (its `customer_accounts` fact): one case per customer.

use crate::model::{Alert, Typology};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Disjoint sets over account numbers, with path halving and union by size.
#[derive(Debug, Default)]
struct AccountForest {
    index: HashMap<String, usize>,
    parent: Vec<usize>,
    size: Vec<usize>,
    names: Vec<String>,
}

impl AccountForest {
    fn node(&mut self, account: &str) -> usize {
        if let Some(&i) = self.index.get(account) {
            return i;
        }
        let i = self.parent.len();
        self.index.insert(account.to_string(), i);
        self.parent.push(i);
        self.size.push(1);
        self.names.push(account.to_string());
        i
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra == rb {
            return;
        }
        let (big, small) = if self.size[ra] >= self.size[rb] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small] = big;
        self.size[big] += self.size[small];
    }
}

/// One group of alerts and the accounts that make up its subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AlertGroup {
    /// Subject accounts, sorted and without duplicates.
    pub accounts: Vec<String>,
    /// Indexes into the alert slice, in input order.
    pub alert_indexes: Vec<usize>,
}

/// Groups alerts by subject account, joining the accounts that a `cycle` alert links.
///
/// Groups come back ordered by their smallest account, so the result does not depend on the
/// order of hash maps.
pub(crate) fn group_alerts<L: crate::evidence::EvidenceLookup>(
    alerts: &[Alert],
    evidence: &L,
) -> Result<Vec<AlertGroup>, L::Error> {
    let mut forest = AccountForest::default();
    for alert in alerts {
        let subject = forest.node(&alert.subject_account);
        if alert.rule_id == crate::screening::CUSTOMER_SANCTIONS_RULE_ID {
            // a listed customer's accounts are one subject
            let accounts = alert
                .details
                .iter()
                .find(|(k, _)| k == "customer_accounts")
                .map_or("", |(_, v)| v.as_str());
            for account in accounts.split(';').map(str::trim).filter(|a| !a.is_empty()) {
                let member = forest.node(account);
                forest.join(subject, member);
            }
            continue;
        }
        if alert.typology != Typology::Cycle {
            continue;
        }
        for id in &alert.txn_ids {
            let Some(found) = evidence.find(id)? else {
                continue;
            };
            let txn = &found.record;
            for account in [&txn.orig_account, &txn.bene_account] {
                if account.trim().is_empty() {
                    continue;
                }
                let member = forest.node(account);
                forest.join(subject, member);
            }
        }
    }

    let mut accounts_by_root: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for i in 0..forest.names.len() {
        let root = forest.root(i);
        accounts_by_root
            .entry(root)
            .or_default()
            .insert(forest.names[i].clone());
    }
    let mut alerts_by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, alert) in alerts.iter().enumerate() {
        let node = forest.index[&alert.subject_account];
        let root = forest.root(node);
        alerts_by_root.entry(root).or_default().push(i);
    }

    let mut groups: Vec<AlertGroup> = alerts_by_root
        .into_iter()
        .map(|(root, alert_indexes)| AlertGroup {
            accounts: accounts_by_root
                .remove(&root)
                .unwrap_or_default()
                .into_iter()
                .collect(),
            alert_indexes,
        })
        .collect();
    groups.sort_by(|a, b| a.accounts.cmp(&b.accounts));
    Ok(groups)
}
