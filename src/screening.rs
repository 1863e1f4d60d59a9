//! Sanctions screening inside `run`: every distinct originator and beneficiary name is screened
//! once, and each hit becomes a `sanctions` alert on the account on our side.

use crate::model::{format_money, format_timestamp, Alert, TxnRecord, Typology};
use crate::rules::alerts::alert_id;
use crate::text_stretches::{distinct_per_stretch, rows_with_value_in};
use crate::watchlist::{Hit, Screener};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// The rule id that sanctions alerts carry.
pub const SANCTIONS_RULE_ID: &str = "sanctions_screening";
/// The pack name that sanctions alerts carry.
pub const SANCTIONS_PACK: &str = "watchlists";
/// Score of a sanctions alert (the highest: a listed party must be reviewed).
pub const SANCTIONS_SCORE: f64 = 95.0;
/// Hits kept per distinct name.
const HITS_PER_NAME: usize = 3;

/// Documentation of the built-in sanctions rule, for cases and the report.
pub fn sanctions_rule_info(threshold: f64) -> crate::model::RuleInfo {
    crate::model::RuleInfo {
        rule_id: SANCTIONS_RULE_ID.to_string(),
        pack: SANCTIONS_PACK.to_string(),
        typology: Typology::Sanctions.as_str().to_string(),
        kind: "name_screening".to_string(),
        title: "Party name matches a sanctions list entry".to_string(),
        detects: "An originator or beneficiary name that matches a listed name or alias (OFAC SDN, UN, OpenSanctions, or a list of your own) at or above the match threshold, allowing for misspellings, reordering, transliteration and missing middle names.".to_string(),
        why: "Dealing with a sanctioned party is prohibited outright in most jurisdictions; a possible match must be reviewed and either cleared as a false positive or frozen and reported without delay.".to_string(),
        parameters: vec![("threshold".to_string(), format!("{threshold:.2} (match score 0..1)"))],
        severity: "critical".to_string(),
        score: SANCTIONS_SCORE,
        references: vec![
            "FATF Recommendation 6: targeted financial sanctions related to terrorism and terrorist financing".to_string(),
            "FATF Recommendation 7: targeted financial sanctions related to proliferation".to_string(),
            "UN Security Council Consolidated List; OFAC Specially Designated Nationals list".to_string(),
        ],
    }
}

/// A frame's `orig_name` and `bene_name` columns: each distinct name is screened once, and the
/// rows naming a listed party are then found by a second pass (see [`distinct_per_stretch`]
/// and [`rows_with_value_in`]), without a code per row.
struct NameColumns<'a> {
    columns: [&'a StringChunked; 2],
}

impl<'a> NameColumns<'a> {
    fn of(frame: &'a DataFrame) -> PolarsResult<Self> {
        Ok(Self {
            columns: [
                frame.column("orig_name")?.str()?,
                frame.column("bene_name")?.str()?,
            ],
        })
    }

    /// Distinct non-empty names, sorted.
    fn distinct(&self) -> Vec<&'a str> {
        let [orig, bene] = self.columns;
        let (mut stretches, bene) =
            rayon::join(|| distinct_per_stretch(orig), || distinct_per_stretch(bene));
        stretches.extend(bene);
        let mut names: Vec<&str> = stretches
            .into_iter()
            .flatten()
            .filter(|name| !name.is_empty())
            .collect::<PlHashSet<&str>>()
            .into_iter()
            .collect();
        names.par_sort_unstable();
        names
    }

    /// The rows whose originator or beneficiary name is one of `listed`, ascending.
    fn rows_naming(&self, listed: &PlHashSet<&str>) -> Vec<IdxSize> {
        let [orig, bene] = self.columns;
        let (mut rows, bene) = rayon::join(
            || rows_with_value_in(orig, listed),
            || rows_with_value_in(bene, listed),
        );
        rows.extend(bene);
        rows.sort_unstable();
        rows.dedup();
        rows
    }
}

/// Screens the names of `frame` and builds sanctions alerts plus their evidence records: one
/// alert per listed entry and subject account. The subject is the matched party's own account
/// when the data has one (so a customer whose name matches is the case, and one matching
/// merchant is one alert, not one per paying customer); when the matched party has no account
/// (a walk-in cash depositor), it is the account on the other side.
pub fn screen_frame(
    frame: &DataFrame,
    screener: &Screener,
    threshold: f64,
    base_currency: &str,
) -> PolarsResult<(Vec<Alert>, HashMap<String, TxnRecord>)> {
    let columns = NameColumns::of(frame)?;
    let refs = columns.distinct();
    let results = screener.screen_many(&refs, threshold, HITS_PER_NAME);
    let hits: HashMap<&str, &Vec<Hit>> = refs
        .iter()
        .zip(results.iter())
        .filter(|(_, h)| !h.is_empty())
        .map(|(n, h)| (*n, h))
        .collect();
    if hits.is_empty() {
        return Ok((Vec::new(), HashMap::new()));
    }
    let listed: PlHashSet<&str> = hits.keys().copied().collect();
    let rows = columns.rows_naming(&listed);
    let matched = frame.take(&IdxCa::from_vec("rows".into(), rows))?;
    let ts = matched.column("ts")?.cast(&DataType::Int64)?;
    let ts = ts.i64()?.clone();
    let base = matched.column("base_amount")?.i64()?.clone();
    let records = crate::ingest::frame_to_records(&matched)?;

    // (subject, list, entry id) → (hit, party name as written, evidence indexes)
    type Key = (String, String, String);
    let mut groups: BTreeMap<Key, (Hit, String, Vec<usize>)> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        let sides = [
            (&r.orig_name, &r.bene_account, &r.orig_account),
            (&r.bene_name, &r.orig_account, &r.bene_account),
        ];
        for (name, our_side, own) in sides {
            let Some(list) = hits.get(name.as_str()) else {
                continue;
            };
            // the listed party's own account when it has one in the data (a customer whose
            // name matches, or the account the listed party used); otherwise the account on
            // the other side (a walk-in cash depositor has no account)
            let subject = if own.is_empty() { our_side } else { own };
            if subject.is_empty() {
                continue;
            }
            for hit in list.iter() {
                let key = (subject.clone(), hit.list.clone(), hit.entry_id.clone());
                let entry = groups
                    .entry(key)
                    .or_insert_with(|| (hit.clone(), name.clone(), Vec::new()));
                if hit.score > entry.0.score {
                    entry.0 = hit.clone();
                    entry.1 = name.clone();
                }
                if !entry.2.contains(&i) {
                    entry.2.push(i);
                }
            }
        }
    }
    let mut alerts = Vec::with_capacity(groups.len());
    let mut evidence = HashMap::new();
    for ((subject, _, _), (hit, party, mut rows)) in groups {
        rows.sort_by(|&a, &b| {
            (ts.get(a), &records[a].txn_id).cmp(&(ts.get(b), &records[b].txn_id))
        });
        let start = rows.iter().filter_map(|&i| ts.get(i)).min().unwrap_or(0);
        let end = rows.iter().filter_map(|&i| ts.get(i)).max().unwrap_or(0);
        let total: i128 = rows
            .iter()
            .filter_map(|&i| base.get(i))
            .map(i128::from)
            .sum();
        let subject_name = rows
            .iter()
            .map(|&i| {
                let r = &records[i];
                if r.bene_account == subject {
                    r.bene_name.clone()
                } else {
                    r.orig_name.clone()
                }
            })
            .find(|n| !n.is_empty() && *n != party)
            .unwrap_or_default();
        let summary = format!(
            "Counterparty \"{party}\" matches {} entry {} \"{}\" ({}{}) with score {:.2}: {}",
            hit.list,
            hit.entry_id,
            hit.matched_name,
            hit.entry_type,
            if hit.programs.is_empty() {
                String::new()
            } else {
                format!("; {}", hit.programs)
            },
            hit.score,
            hit.explanation
        );
        for &i in &rows {
            evidence.insert(records[i].txn_id.clone(), records[i].clone());
        }
        alerts.push(Alert {
            alert_id: alert_id(
                SANCTIONS_RULE_ID,
                &format!("{subject}\x1f{}\x1f{}", hit.list, hit.entry_id),
                start,
                end,
            ),
            rule_id: SANCTIONS_RULE_ID.to_string(),
            pack: SANCTIONS_PACK.to_string(),
            typology: Typology::Sanctions,
            subject_account: subject,
            subject_name,
            window_start: format_timestamp(start),
            window_end: format_timestamp(end),
            txn_count: rows.len() as u64,
            total_amount: format_money(total),
            currency: base_currency.to_string(),
            score: SANCTIONS_SCORE,
            txn_ids: rows.iter().map(|&i| records[i].txn_id.clone()).collect(),
            summary,
            severity: "critical".to_string(),
            details: vec![
                ("list".into(), hit.list.clone()),
                ("entry_id".into(), hit.entry_id.clone()),
                ("matched_name".into(), hit.matched_name.clone()),
                ("party_name".into(), party),
                ("match_score".into(), format!("{:.3}", hit.score)),
                ("explanation".into(), hit.explanation.clone()),
            ],
        });
    }
    crate::rules::sort_alerts(&mut alerts);
    Ok((alerts, evidence))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame of names in one chunk per row, as a Parquet file's row groups arrive.
    fn chunked_names(rows: &[(&str, &str)]) -> DataFrame {
        let mut frame: Option<DataFrame> = None;
        for (orig, bene) in rows {
            let one = df!("orig_name" => [*orig], "bene_name" => [*bene]).unwrap();
            match frame.as_mut() {
                Some(f) => {
                    f.vstack_mut_owned(one).unwrap();
                }
                None => frame = Some(one),
            }
        }
        frame.unwrap()
    }

    #[test]
    fn names_are_found_in_every_chunk_once_and_in_order() {
        let frame = chunked_names(&[
            ("Ann Lee", ""),
            ("Bo Chen", "Ann Lee"),
            ("", "Cy Diaz"),
            ("Dee Fox", "Bo Chen"),
            ("Ann Lee", "Eve Gray"),
        ]);
        assert!(frame.column("orig_name").unwrap().n_chunks() > 1);
        let columns = NameColumns::of(&frame).unwrap();
        assert_eq!(
            columns.distinct(),
            ["Ann Lee", "Bo Chen", "Cy Diaz", "Dee Fox", "Eve Gray"]
        );
        let listed: PlHashSet<&str> = ["Ann Lee", "Cy Diaz"].into_iter().collect();
        // rows 0, 1 (beneficiary), 2 (beneficiary) and 4; not row 3
        assert_eq!(columns.rows_naming(&listed), [0, 1, 2, 4]);
    }
}
