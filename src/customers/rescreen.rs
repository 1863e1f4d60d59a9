//! Continuous re-screening: when the lists change, screen the whole customer base against what
//! changed only, and report the hits that appeared and the hits that went away.
//!
//! Entries are matched across the two versions by list and id. An entry only in the new
//! version was *added*, one only in the old *removed*, one in both whose names, birth dates,
//! nationalities, documents or programmes differ *changed*. The customers are screened against
//! the new versions of the added and changed entries, and against the old versions of the
//! removed and changed ones, each with the words' rarity of its whole list version (see
//! [`Screener::restricted`]), so a customer scores against a changed entry exactly as a full
//! screening of that version would score it. A hit of the new side that the old side did not
//! have is *new*; one of the old side that the new side does not have *went away* (a
//! delisting, or a change that no longer matches).
//!
//! A hit on an entry that did not change, whose score moved only because the change altered
//! how rare some of its words are, is not reported; `rescreen --full` screens both whole
//! versions and reports those too.
//!
//! [`rescreen`] reads and screens every customer. [`rescreen_indexed`] takes the customers
//! from a [`CustomerIndex`] kept between runs (`rescreen --index DIR`) and screens only those
//! the changed entries can reach (a token sharing a blocking key with, and similar to, one of
//! their tokens; a birth year opening a weak alias; a listed identity number): the same new and
//! gone hits, in the same order, for a small part of the work.

use super::index::{CustomerIndex, IndexError, IndexedCustomer};
use super::{party_query, Customers};
use crate::pipeline::Stages;
use crate::watchlist::{Entry, Hit, PartyQuery, Screener, WatchlistSet};
use std::collections::{BTreeMap, BTreeSet};

/// What changed between two versions of the lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListDelta {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// One hit that appeared or went away.
#[derive(Debug, Clone, PartialEq)]
pub struct RescreenHit {
    pub customer_id: String,
    pub name: String,
    /// `added`, `changed` or `removed`: what happened to the entry (`unchanged` only with a
    /// full re-screening).
    pub entry_change: &'static str,
    pub hit: Hit,
}

/// The outcome of a re-screening.
#[derive(Debug, Clone, Default)]
pub struct Rescreened {
    pub delta: ListDelta,
    /// Hits on the new versions that the old versions did not have.
    pub new_hits: Vec<RescreenHit>,
    /// Hits on the old versions that the new versions do not have.
    pub gone_hits: Vec<RescreenHit>,
    /// How many customers were screened: all of them, or with an index those that the changed
    /// entries can reach.
    pub screened: usize,
    /// Seconds spent in each step, in order (`screeners`, `candidates`, `customers`,
    /// `screening`, `comparing`), for `rescreen.json`.
    pub seconds: Vec<(String, f64)>,
}

fn key(e: &Entry) -> (String, String) {
    (e.list.clone(), e.id.clone())
}

/// What changed from `previous` to `current`, and each added, removed or changed entry's
/// change by (list, id).
type Changes = BTreeMap<(String, String), &'static str>;

fn list_delta(previous: &WatchlistSet, current: &WatchlistSet) -> (ListDelta, Changes) {
    let old: BTreeMap<(String, String), &Entry> =
        previous.entries().iter().map(|e| (key(e), e)).collect();
    let new: BTreeMap<(String, String), &Entry> =
        current.entries().iter().map(|e| (key(e), e)).collect();
    let mut change: Changes = BTreeMap::new();
    let mut delta = ListDelta::default();
    for (k, e) in &new {
        match old.get(k) {
            None => {
                delta.added += 1;
                change.insert(k.clone(), "added");
            }
            Some(before) if *before != *e => {
                delta.changed += 1;
                change.insert(k.clone(), "changed");
            }
            Some(_) => delta.unchanged += 1,
        }
    }
    for k in old.keys() {
        if !new.contains_key(k) {
            delta.removed += 1;
            change.insert(k.clone(), "removed");
        }
    }
    (delta, change)
}

/// Re-screens `customers` against what changed from `previous` to `current`; with `full`,
/// against both whole versions (the same hits on changed entries, plus those on unchanged
/// entries whose words' rarity the change moved).
pub fn rescreen(
    customers: &Customers,
    previous: &WatchlistSet,
    current: &WatchlistSet,
    threshold: f64,
    top: usize,
    full: bool,
) -> Rescreened {
    let mut stages = Stages::new(false);
    stages.begin("screening");
    let (delta, change) = list_delta(previous, current);
    let queries: Vec<_> = customers.list.iter().map(party_query).collect();
    let screen = |set: &WatchlistSet| -> Vec<Vec<Hit>> {
        let screener = if full {
            Screener::new(set)
        } else {
            Screener::restricted(set, |e| change.contains_key(&key(e)))
        };
        // every hit is compared: a cut before comparing would turn a rank change into a change
        screener.screen_parties(&queries, threshold, usize::MAX)
    };
    let (now, before) = rayon::join(|| screen(current), || screen(previous));
    stages.end("screening");
    stages.begin("comparing");
    let people: Vec<(&str, &str)> = customers
        .list
        .iter()
        .map(|c| (c.customer_id.as_str(), c.name.as_str()))
        .collect();
    let (new_hits, gone_hits) = compare(&people, &now, &before, &change, top);
    stages.end("comparing");
    Rescreened {
        delta,
        new_hits,
        gone_hits,
        screened: customers.list.len(),
        seconds: stages.finish(),
    }
}

/// [`rescreen`] (not `full`) of the customers of `index`: the changed entries' screeners'
/// [`Reach`](crate::watchlist::Reach) is looked up in the index, and only the customers it
/// finds are screened, each exactly as [`rescreen`] screens it; every other customer would get
/// no hit. The same new and gone hits as [`rescreen`] of the customers the index was built
/// from, in the same order.
pub fn rescreen_indexed(
    index: &CustomerIndex,
    previous: &WatchlistSet,
    current: &WatchlistSet,
    threshold: f64,
    top: usize,
) -> Result<Rescreened, IndexError> {
    let mut stages = Stages::new(false);
    stages.begin("screeners");
    let (delta, change) = list_delta(previous, current);
    let restricted =
        |set: &WatchlistSet| Screener::restricted(set, |e| change.contains_key(&key(e)));
    let (now_screener, before_screener) =
        rayon::join(|| restricted(current), || restricted(previous));
    stages.end("screeners");
    stages.begin("candidates");
    let candidates =
        index.candidates(&[now_screener.reach(), before_screener.reach()], threshold)?;
    stages.end("candidates");
    stages.begin("customers");
    // each screener screens only the customers it can give a hit; the others get none
    let (now_found, before_found) = (&candidates[0], &candidates[1]);
    let mut all: Vec<u32> = now_found.iter().chain(before_found).copied().collect();
    all.sort_unstable();
    all.dedup();
    let found: Vec<IndexedCustomer> = all
        .iter()
        .map(|&c| index.customer(c as usize))
        .collect::<Result<_, _>>()?;
    stages.end("customers");
    stages.begin("screening");
    let screen = |screener: &Screener, only: &[u32]| -> Vec<Vec<Hit>> {
        let slots: Vec<usize> = only
            .iter()
            .map(|c| all.binary_search(c).expect("a candidate is among all"))
            .collect();
        let queries: Vec<PartyQuery> = slots.iter().map(|&k| found[k].query.clone()).collect();
        let mut hits = vec![Vec::new(); all.len()];
        for (k, h) in
            slots
                .into_iter()
                .zip(screener.screen_parties(&queries, threshold, usize::MAX))
        {
            hits[k] = h;
        }
        hits
    };
    let (now, before) = rayon::join(
        || screen(&now_screener, now_found),
        || screen(&before_screener, before_found),
    );
    stages.end("screening");
    stages.begin("comparing");
    let people: Vec<(&str, &str)> = found
        .iter()
        .map(|c| (c.customer_id.as_str(), c.name.as_str()))
        .collect();
    let (new_hits, gone_hits) = compare(&people, &now, &before, &change, top);
    stages.end("comparing");
    Ok(Rescreened {
        delta,
        new_hits,
        gone_hits,
        screened: found.len(),
        seconds: stages.finish(),
    })
}

/// The hits of `now` that `before` does not have, and those of `before` that `now` does not
/// have, at most `top` per customer and side, best first; `people` are the screened customers'
/// ids and names, in the order of the hits.
fn compare(
    people: &[(&str, &str)],
    now: &[Vec<Hit>],
    before: &[Vec<Hit>],
    change: &Changes,
    top: usize,
) -> (Vec<RescreenHit>, Vec<RescreenHit>) {
    let pairs = |hits: &[Vec<Hit>]| -> BTreeSet<(usize, String, String)> {
        hits.iter()
            .enumerate()
            .flat_map(|(c, hs)| {
                hs.iter()
                    .map(move |h| (c, h.list.clone(), h.entry_id.clone()))
            })
            .collect()
    };
    let (now_pairs, before_pairs) = (pairs(now), pairs(before));
    let collect = |hits: &[Vec<Hit>], other: &BTreeSet<(usize, String, String)>| {
        let mut out = Vec::new();
        for (c, hs) in hits.iter().enumerate() {
            // at most `top` per customer, best first
            for h in hs
                .iter()
                .filter(|h| !other.contains(&(c, h.list.clone(), h.entry_id.clone())))
                .take(top)
            {
                let (customer_id, name) = people[c];
                out.push(RescreenHit {
                    customer_id: customer_id.to_string(),
                    name: name.to_string(),
                    entry_change: change
                        .get(&(h.list.clone(), h.entry_id.clone()))
                        .copied()
                        .unwrap_or("unchanged"),
                    hit: h.clone(),
                });
            }
        }
        out
    };
    (collect(now, &before_pairs), collect(before, &now_pairs))
}

/// Writes new or gone hits: `customer_id,name,entry_change,list,entry_id,matched_name,
/// primary_name,score,explanation`; text cells pass [`crate::output::spreadsheet_safe`].
pub fn write_rescreen_csv<W: std::io::Write>(w: W, hits: &[RescreenHit]) -> csv::Result<()> {
    use crate::output::spreadsheet_safe;
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "customer_id",
        "name",
        "entry_change",
        "list",
        "entry_id",
        "matched_name",
        "primary_name",
        "score",
        "explanation",
    ])?;
    for h in hits {
        out.write_record([
            &*spreadsheet_safe(&h.customer_id),
            &spreadsheet_safe(&h.name),
            h.entry_change,
            &spreadsheet_safe(&h.hit.list),
            &spreadsheet_safe(&h.hit.entry_id),
            &spreadsheet_safe(&h.hit.matched_name),
            &spreadsheet_safe(&h.hit.primary_name),
            &format!("{:.4}", h.hit.score),
            &spreadsheet_safe(&h.hit.explanation),
        ])?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::index::{build_index, normalizer_fingerprint, IndexSource};
    use crate::customers::Customer;
    use crate::watchlist::{load_watchlists, NameKind};

    fn customer(k: usize, name: &str, birth_date: Option<String>, ids: Vec<String>) -> Customer {
        Customer {
            customer_id: format!("C{k:05}"),
            accounts: vec![format!("A{k:05}")],
            name: name.to_string(),
            kind: None,
            birth_date,
            nationality: None,
            country: None,
            id_numbers: ids,
            segment: None,
            expected_monthly_volume: None,
            onboarded: None,
            row: k as u64 + 1,
        }
    }

    fn add_with(
        list: &mut Vec<Customer>,
        name: &str,
        birth: Option<String>,
        nationality: Option<String>,
        ids: Vec<String>,
    ) {
        let mut c = customer(list.len(), name, birth, ids);
        c.nationality = nationality;
        list.push(c);
    }

    /// The shipped sample lists in two versions (some entries added, removed, renamed) and
    /// customers holding listed names, variants of them, listed identity numbers and weak
    /// aliases with birth dates, among unrelated names.
    fn fixture() -> (Customers, WatchlistSet, WatchlistSet) {
        let all = load_watchlists(&["sample-data/watchlists".into()]).unwrap();
        let entries = all.entries();
        let previous: Vec<Entry> = entries
            .iter()
            .enumerate()
            .filter(|(k, _)| k % 9 != 0)
            .map(|(_, e)| e.clone())
            .collect();
        let current: Vec<Entry> = entries
            .iter()
            .enumerate()
            .filter(|(k, _)| k % 7 != 0)
            .map(|(k, e)| {
                let mut e = e.clone();
                if k % 5 == 0 {
                    // a renamed entry: the old name's last letter dropped
                    let text = &mut e.names[0].text;
                    text.pop();
                }
                e
            })
            .collect();
        let mut list = Vec::new();
        let mut extra: Vec<(String, String, Option<String>)> = Vec::new();
        let mut add = |name: &str, birth: Option<String>, ids: Vec<String>| {
            add_with(&mut list, name, birth, None, ids)
        };
        for (k, e) in entries.iter().enumerate() {
            if k % 2 == 0 {
                add(e.primary_name(), None, Vec::new());
            }
            if k % 3 == 0 {
                // a variant: one letter doubled
                let chars: Vec<char> = e.primary_name().chars().collect();
                let cut = chars.len() / 2;
                let variant: String = chars[..cut]
                    .iter()
                    .chain(&chars[cut.saturating_sub(1)..])
                    .collect();
                add(&variant, None, Vec::new());
            }
            if k % 2 == 1 {
                // a listed name less its first word
                let words: Vec<&str> = e.primary_name().split_whitespace().collect();
                if words.len() > 1 {
                    add(&words[1..].join(" "), None, Vec::new());
                    if let Some(date) = e.birth_dates.first() {
                        // with the entry's birth year and nationality: the floor is lower
                        extra.push((
                            words[1..].join(" "),
                            date.year_span().0.to_string(),
                            e.nationalities.first().cloned(),
                        ));
                    }
                }
            }
            let words: Vec<&str> = e.primary_name().split_whitespace().collect();
            if k % 6 == 1 && words.len() > 1 {
                // two words written as one (`Abdul Rahman` as `Abdulrahman`)
                add(
                    &format!("{}{} {}", words[0], words[1], words[2..].join(" ")),
                    None,
                    Vec::new(),
                );
            }
            if k % 6 == 3 && words.len() > 2 {
                // a middle name left out, and one added
                let mut fewer = words.clone();
                fewer.remove(1);
                add(&fewer.join(" "), None, Vec::new());
                let mut more = words.clone();
                more.insert(1, "Mohd");
                add(&more.join(" "), None, Vec::new());
            }
            if k % 4 == 2 {
                // an unlisted word more
                add(&format!("{} Quillon", e.primary_name()), None, Vec::new());
            }
            if k % 4 == 0 {
                // initials for all but the last word, and an unlisted middle name
                let words: Vec<&str> = e.primary_name().split_whitespace().collect();
                if let Some((last, rest)) = words.split_last() {
                    let mut name: Vec<String> = rest
                        .iter()
                        .filter_map(|w| w.chars().next())
                        .map(|c| format!("{c}."))
                        .collect();
                    name.push("Quentin".to_string());
                    name.push(last.to_string());
                    add(&name.join(" "), Some("1970".to_string()), Vec::new());
                }
            }
            if let Some(document) = e.documents.first() {
                add("Somebody Unrelated", None, vec![document.number.clone()]);
            }
            if let (Some(weak), Some(date)) = (
                e.names.iter().find(|n| n.kind == NameKind::Weak),
                e.birth_dates.first(),
            ) {
                let year = date.year_span().0;
                add(&weak.text, Some(year.to_string()), Vec::new());
            }
        }
        for (name, year, nationality) in extra {
            add_with(&mut list, &name, Some(year), nationality, Vec::new());
        }
        for k in 0..500 {
            let name = format!("Zorven Quillby{} Trask", (b'a' + (k % 26) as u8) as char);
            add_with(
                &mut list,
                &name,
                Some(format!("{}", 1950 + k % 50)),
                None,
                Vec::new(),
            );
        }
        // unrelated customers without a birth date: no changed entry can reach them
        for k in 0..UNRELATED {
            let name = format!("Vexmor Plinth{} Oarsby", (b'a' + (k % 26) as u8) as char);
            add_with(&mut list, &name, None, None, Vec::new());
        }
        list.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
        let customers = Customers {
            list,
            ..Customers::default()
        };
        (
            customers,
            WatchlistSet::from_entries(previous),
            WatchlistSet::from_entries(current),
        )
    }

    /// An entry of the list `TEST` with one primary name.
    fn test_entry(id: &str, name: &str, kind: &str) -> Entry {
        Entry {
            list: "TEST".into(),
            id: id.into(),
            entry_type: kind.into(),
            programs: "TEST".into(),
            names: vec![crate::watchlist::ListedName {
                text: name.into(),
                kind: NameKind::Primary,
            }],
            ..Entry::default()
        }
    }

    /// Customers in the fixture whom no entry can reach.
    const UNRELATED: usize = 300;

    fn index_of(customers: &Customers) -> CustomerIndex {
        let source = IndexSource {
            customers_bytes: 0,
            customers_sha256: String::new(),
            customers_modified_ns: 0,
            profile_sha256: None,
            delimiter: b',',
            amlscreen: "test".into(),
            normalizer: normalizer_fingerprint(),
        };
        CustomerIndex::from_bytes(
            build_index(customers, source),
            std::path::Path::new("test.idx"),
        )
        .unwrap()
    }

    /// Screening only the customers the index finds gives exactly the hits of screening every
    /// customer, by names, identity numbers and weak aliases, and leaves most customers out.
    #[test]
    fn indexed_rescreening_equals_screening_every_customer() {
        let (customers, previous, current) = fixture();
        let index = index_of(&customers);
        for threshold in [0.50, 0.70, 0.80, 0.90] {
            let every = rescreen(&customers, &previous, &current, threshold, 5, false);
            let indexed = rescreen_indexed(&index, &previous, &current, threshold, 5).unwrap();
            assert_eq!(every.delta, indexed.delta);
            assert_eq!(every.new_hits, indexed.new_hits);
            assert_eq!(every.gone_hits, indexed.gone_hits);
            assert!(
                indexed.screened + UNRELATED <= customers.list.len(),
                "{} of {} screened: the unrelated customers should not be",
                indexed.screened,
                customers.list.len()
            );
            for change in ["added", "removed", "changed"] {
                assert!(
                    every
                        .new_hits
                        .iter()
                        .chain(&every.gone_hits)
                        .any(|h| h.entry_change == change),
                    "no hit on a {change} entry"
                );
            }
            let explained = |text: &str| {
                every
                    .new_hits
                    .iter()
                    .chain(&every.gone_hits)
                    .any(|h| h.hit.explanation.contains(text))
            };
            assert!(explained("a hit on its own"), "no identity-number hit");
            assert!(explained("weak alias"), "no weak-alias hit");
        }
    }

    /// Each way the screener reaches a listed name is found by the index on its own: a
    /// customer reaching an added entry only by a similar token, only by a known abbreviation,
    /// only by a token the list writes as two (by text, by spelling), or only by two tokens the
    /// list writes as one (by text, by spelling) is screened and gets the hit that screening
    /// every customer gives it. Leaving any one of these lookups out of the index fails here.
    #[test]
    fn each_way_a_listed_name_is_reached_is_looked_up() {
        let base = load_watchlists(&["sample-data/watchlists".into()]).unwrap();
        let previous = base.entries().to_vec();
        let mut current = previous.clone();
        // (listed name, type, the customer's name that reaches it only that way)
        let cases = [
            // a similar token
            ("Zbigniew Kwiatkowsky", "individual", "Zbigniew Kwiatkowski"),
            // the listed name itself (scores 1 at the bound of 1)
            ("Ondrej Wielkopolan", "individual", "Ondrej Wielkopolan"),
            // a middle name left out (costs little), a given name as an initial, a listed
            // initial written out
            ("Amadou Kwarteng Osseiboh", "individual", "Amadou Osseiboh"),
            ("Ingvar Sollheim", "individual", "Ingvar Tobias Sollheim"),
            ("Radoslaw Przybylak", "individual", "R. Przybylak"),
            ("K Zubrovnikov", "individual", "Karel Zubrovnikov"),
            // a legal form pairs with another without the index
            ("Zarquon LLC", "entity", "Zarquon Ltd"),
            // an abbreviation, whose blocking keys share nothing with its word
            ("Brothers", "entity", "Bros"),
            // a token the list writes as two: by text (the spellings differ across `kh`) and
            // by spelling (the texts differ by doubled letters)
            ("Zak Harov", "individual", "Zakharov"),
            ("Vladdo Vannek", "individual", "Vladovanek"),
            // two tokens the list writes as one, by text and by spelling
            ("Tikhonenko", "individual", "Tik Honenko"),
            ("Bronosatek", "individual", "Bronno Sattek"),
        ];
        for (k, (listed, kind, _)) in cases.iter().enumerate() {
            current.push(test_entry(&format!("T{k}"), listed, kind));
        }
        let (previous, current) = (
            WatchlistSet::from_entries(previous),
            WatchlistSet::from_entries(current),
        );
        let mut list = Vec::new();
        for (_, _, name) in &cases {
            add_with(&mut list, name, None, None, Vec::new());
        }
        let customers = Customers {
            list,
            ..Customers::default()
        };
        let index = index_of(&customers);
        let every = rescreen(&customers, &previous, &current, 0.5, 5, false);
        for (k, (listed, _, name)) in cases.iter().enumerate() {
            assert!(
                every
                    .new_hits
                    .iter()
                    .any(|h| h.name == *name && h.hit.entry_id == format!("T{k}")),
                "{name} should hit {listed} when every customer is screened: {:?}",
                every.new_hits
            );
        }
        // at thresholds around these customers' scores, the index keeps exactly the hits
        for threshold in [0.5, 0.8, 0.85, 0.88, 0.9, 0.92, 0.95, 1.0] {
            let every = rescreen(&customers, &previous, &current, threshold, 5, false);
            let indexed = rescreen_indexed(&index, &previous, &current, threshold, 5).unwrap();
            assert_eq!(every.new_hits, indexed.new_hits, "at {threshold}");
            assert!(indexed.screened <= cases.len());
        }
    }

    /// A name scoring under the threshold is looked at only when facts can lift it there.
    /// At some threshold that a customer born on the listed day reaches only by its facts, it is
    /// the only customer screened: the same name born in another year is left out (before,
    /// both were screened down to the threshold less the largest bonus). A customer with facts
    /// whose name scores a little under the threshold against an entry that lists none is left
    /// out too. Screening every customer gives the same hits at every threshold.
    #[test]
    fn customers_whom_facts_cannot_lift_to_the_threshold_are_left_out() {
        let base = load_watchlists(&["sample-data/watchlists".into()]).unwrap();
        let previous = base.entries().to_vec();
        let mut current = previous.clone();
        let mut person = test_entry("P1", "Ondrej Wielkopolan Brzeczykowski", "individual");
        person.birth_dates = vec![crate::watchlist::BirthDate::Exact(
            crate::watchlist::PartialDate::parse("1970-05-02").unwrap(),
        )];
        person.nationalities = vec!["CZ".into()];
        current.push(person);
        current.push(test_entry("E1", "Brzeczykowski Holdings", "entity"));
        let (previous, current) = (
            WatchlistSet::from_entries(previous),
            WatchlistSet::from_entries(current),
        );
        // (threshold, hits, customers screened) at thresholds 0.50 to 0.99
        let sweep = |people: &[(&str, Option<&str>)]| {
            let mut list = Vec::new();
            for (name, born) in people {
                let born = born.map(str::to_string);
                add_with(&mut list, name, born, Some("CZ".into()), Vec::new());
            }
            let customers = Customers {
                list,
                ..Customers::default()
            };
            let index = index_of(&customers);
            (50..100)
                .map(|hundredths| {
                    let threshold = f64::from(hundredths) / 100.0;
                    let every = rescreen(&customers, &previous, &current, threshold, 5, false);
                    let indexed =
                        rescreen_indexed(&index, &previous, &current, threshold, 5).unwrap();
                    assert_eq!(every.new_hits, indexed.new_hits, "at {threshold}");
                    (threshold, every.new_hits, indexed.screened)
                })
                .collect::<Vec<_>>()
        };
        let screener = Screener::new(&current);
        let alone = |name: &str, entry: &str| {
            screener
                .screen(name, 0.0, 10)
                .into_iter()
                .find(|h| h.entry_id == entry)
                .map_or(0.0, |h| h.score)
        };
        // the listed surname left out: the name alone scores about 0.84
        let name = "Ondrej Wielkopolan";
        let person = sweep(&[(name, Some("1970-05-02")), (name, Some("1985"))]);
        let lifted: Vec<(f64, usize)> = person
            .iter()
            .filter(|(threshold, hits, _)| {
                hits.len() == 1
                    && hits[0].customer_id == "C00000"
                    && hits[0].hit.entry_id == "P1"
                    && hits[0]
                        .hit
                        .explanation
                        .contains("born 1970-05-02 = 1970-05-02")
                    && *threshold > alone(name, "P1")
            })
            .map(|(threshold, _, screened)| (*threshold, *screened))
            .collect();
        assert!(
            !lifted.is_empty(),
            "{name} born 1970-05-02 is never a hit: {person:?}"
        );
        assert!(
            lifted.iter().any(|&(_, screened)| screened == 1),
            "{name} born 1985 was screened wherever only facts lift {name} born 1970-05-02: \
             (threshold, screened) {lifted:?}"
        );
        // an entity that lists no facts, and a customer with facts whose name scores about 0.72
        let trading = "Brzeczykowski Trading";
        let entity = sweep(&[(trading, Some("1999"))]);
        assert!(
            entity
                .iter()
                .any(|(threshold, hits, screened)| hits.is_empty()
                    && *screened == 0
                    && *threshold < alone(trading, "E1") + crate::watchlist::MAX_FACT_BONUS),
            "a customer whose facts cannot lift it was screened: {entity:?}"
        );
    }

    /// The indexed customers read back as the file gave them.
    #[test]
    fn indexed_customers_read_back_as_given() {
        let (customers, _, _) = fixture();
        let index = index_of(&customers);
        assert_eq!(index.len(), customers.list.len());
        for (k, c) in customers.list.iter().enumerate() {
            let read = index.customer(k).unwrap();
            assert_eq!(read.customer_id, c.customer_id);
            assert_eq!(read.name, c.name);
            assert_eq!(read.query, party_query(c));
        }
    }
}
