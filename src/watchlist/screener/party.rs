//! Screening a party with identity facts: the name is scored as [`Screener::screen`] does, then
//! the birth date and nationality confirm or discount each candidate, and an identifier found
//! in the list is a hit on its own.

use super::{hit_order, Hit, Screener};
use crate::watchlist::entry::{Entry, NameKind};
use crate::watchlist::facts::{
    compare_birth_dates, id_kinds_agree, is_matchable_id, normalize_id, split_id_kind, Agreement,
    BirthDate, IdKind, PartialDate,
};
use crate::watchlist::fast_hash::FastMap;
use crate::watchlist::score::{
    explain_prepared_names, score_names, score_prepared_names, PreparedName, ScoredMatch,
};
use rayon::prelude::*;

/// A party to screen: a name and what else is known of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PartyQuery {
    /// The name as the customer record writes it.
    pub name: String,
    /// Date of birth (of incorporation for an organisation), as precise as known.
    pub birth_date: Option<PartialDate>,
    /// Nationality, ISO 3166-1 alpha-2 (see [`country_code`](crate::watchlist::country_code)).
    pub nationality: Option<String>,
    /// Passport, national id or other identity numbers, as written (normalised for matching).
    pub id_numbers: Vec<String>,
}

impl PartyQuery {
    /// A query of a name alone.
    pub fn name(name: impl Into<String>) -> PartyQuery {
        PartyQuery {
            name: name.into(),
            ..PartyQuery::default()
        }
    }

    /// Whether the query carries any fact besides the name.
    pub fn has_facts(&self) -> bool {
        self.birth_date.is_some() || self.nationality.is_some() || !self.id_numbers.is_empty()
    }
}

/// The most that confirming facts add to a name score: a name must score at least the
/// threshold minus this to be a hit.
pub const MAX_FACT_BONUS: f64 = 0.15;
/// What a contradicting birth date (another year, outside a listed range) takes off.
pub const BIRTH_DATE_PENALTY: f64 = 0.40;
/// What a nationality the entry does not list takes off (when the entry lists any).
pub const NATIONALITY_PENALTY: f64 = 0.40;
/// What a matching nationality adds.
pub const NATIONALITY_BONUS: f64 = 0.05;

/// What an agreeing birth date adds, by how precisely it agrees.
fn birth_date_bonus(agreement: Agreement) -> f64 {
    match agreement {
        Agreement::Day => 0.12,
        Agreement::Month => 0.10,
        Agreement::Year => 0.08,
        Agreement::Loose => 0.04,
        Agreement::Neutral | Agreement::Contradicts => 0.0,
    }
}

/// The most an entry's birth dates and nationalities can add to a name's score against a
/// query born in a given year: what candidate search may count on, never less than
/// [`Screener::screen_party`] adds for that entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactBound {
    /// The years of the entry's exact birth dates, ascending, each with the most a query
    /// born then may add (to the day, month or year, as precisely as the date is known).
    exact_years: Vec<(u16, f64)>,
    /// The year spans of its approximate dates and ranges: a query born within one agrees
    /// loosely.
    loose_spans: Vec<(u16, u16)>,
    /// Whether it lists nationalities (a query's may match one).
    nationalities: bool,
}

impl FactBound {
    /// The bound of `entry`'s facts.
    pub(crate) fn of(entry: &Entry) -> FactBound {
        let mut bound = FactBound {
            nationalities: !entry.nationalities.is_empty(),
            ..FactBound::default()
        };
        for date in &entry.birth_dates {
            match date {
                BirthDate::Exact(d) => {
                    let agreement = match (d.month(), d.day()) {
                        (Some(_), Some(_)) => Agreement::Day,
                        (Some(_), None) => Agreement::Month,
                        _ => Agreement::Year,
                    };
                    bound
                        .exact_years
                        .push((d.year(), birth_date_bonus(agreement)));
                }
                BirthDate::Circa(_) | BirthDate::Between(..) => {
                    bound.loose_spans.push(date.year_span());
                }
            }
        }
        bound
            .exact_years
            .sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        bound.exact_years.dedup_by_key(|(year, _)| *year);
        bound
    }

    /// The most facts add for a query born in `birth_year` (0 when it has no birth date) that
    /// may have any nationality.
    pub fn most(&self, birth_year: u16) -> f64 {
        let exact = self
            .exact_years
            .binary_search_by_key(&birth_year, |(year, _)| *year)
            .ok();
        let birth = if birth_year == 0 {
            0.0
        } else if let Some(k) = exact {
            self.exact_years[k].1
        } else if self
            .loose_spans
            .iter()
            .any(|&(from, to)| (from..=to).contains(&birth_year))
        {
            birth_date_bonus(Agreement::Loose)
        } else {
            0.0
        };
        self.with_nationality(birth)
    }

    /// The most facts add for a query born in any year.
    pub fn most_of_any(&self) -> f64 {
        let exact = self.exact_years.iter().map(|(_, most)| *most);
        let birth = if let Some(most) = exact.reduce(f64::max) {
            most
        } else if !self.loose_spans.is_empty() {
            birth_date_bonus(Agreement::Loose)
        } else {
            0.0
        };
        self.with_nationality(birth)
    }

    fn with_nationality(&self, birth: f64) -> f64 {
        let nationality = if self.nationalities {
            NATIONALITY_BONUS
        } else {
            0.0
        };
        (birth + nationality).min(MAX_FACT_BONUS)
    }
}

/// Listed ranges wider than this many years are not put in the weak-alias year index (they
/// still confirm a name hit).
const MAX_INDEXED_SPAN: u16 = 10;

/// Lookups by identity facts, built once with the screener.
#[derive(Debug, Clone, Default)]
pub(crate) struct FactIndex {
    /// Normalised identity number → entries holding it (ascending, unique).
    pub(super) ids: FastMap<String, Vec<u32>>,
    /// Birth year → entries with a weak alias whose listed dates agree with that year.
    pub(super) weak_by_year: FastMap<u16, Vec<u32>>,
    /// Entry → its weak aliases (index in `names`, prepared for scoring), for entries in
    /// `weak_by_year`.
    weak_names: FastMap<u32, Vec<(u32, PreparedName)>>,
}

impl FactIndex {
    pub(crate) fn build(entries: &[Entry]) -> FactIndex {
        Self::build_for(entries, &|_| true)
    }

    /// [`FactIndex::build`] over the entries that `keep` (by index) selects.
    pub(crate) fn build_for(entries: &[Entry], keep: &dyn Fn(usize) -> bool) -> FactIndex {
        let mut index = FactIndex::default();
        for (k, entry) in entries.iter().enumerate() {
            if !keep(k) {
                continue;
            }
            let k = k as u32;
            for document in &entry.documents {
                if is_matchable_id(&document.number) {
                    let list = index.ids.entry(document.number.clone()).or_default();
                    if list.last() != Some(&k) {
                        list.push(k);
                    }
                }
            }
            if entry.names.iter().any(|n| n.kind == NameKind::Weak) && !entry.birth_dates.is_empty()
            {
                let weak = entry
                    .names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.kind == NameKind::Weak)
                    .map(|(i, n)| (i as u32, PreparedName::new(&n.text, entry.is_individual())))
                    .collect();
                index.weak_names.insert(k, weak);
                for date in &entry.birth_dates {
                    let (from, to) = date.year_span();
                    if to - from > MAX_INDEXED_SPAN {
                        continue;
                    }
                    for year in from..=to {
                        let list = index.weak_by_year.entry(year).or_default();
                        if list.last() != Some(&k) {
                            list.push(k);
                        }
                    }
                }
            }
        }
        index
    }
}

/// How a query's birth date and nationality bear on one entry.
struct FactEffect {
    /// Score change, bonus capped at [`MAX_FACT_BONUS`].
    delta: f64,
    /// Whether the birth date confirms.
    birth_date_confirms: bool,
    /// `born 1965 = 1965 (+0.06), nationality AF ≠ IQ (-0.30)`; empty when no fact applies.
    text: String,
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

impl Screener {
    /// Hits for a party: [`Screener::screen`] of its name, with the facts applied.
    ///
    /// - A birth date agreeing with a listed one adds 0.12 to the day, 0.10 to the month, 0.08
    ///   to the year (at the precision both have), 0.04 within a listed range or
    ///   ±[`CIRCA_YEARS`](crate::watchlist::CIRCA_YEARS) of a `circa` year; a matching
    ///   nationality adds [`NATIONALITY_BONUS`]; together at most [`MAX_FACT_BONUS`], so a name
    ///   scoring a little under the threshold can still be a hit.
    /// - A birth date of another year (outside every listed date) takes off
    ///   [`BIRTH_DATE_PENALTY`]; a nationality the entry does not list, when it lists any, takes
    ///   off [`NATIONALITY_PENALTY`]. A same-name person born elsewhere or another year is then
    ///   not a hit.
    /// - An identity number listed for the entry (the same after [`normalize_id`]) is a hit with
    ///   score 1.0 whatever the name.
    /// - Weak aliases, never screened alone, count when the birth date confirms the entry.
    ///
    /// Only facts both sides have are compared; each is explained after the name's explanation
    /// (`; facts: born 1965 = 1965 (+0.08); name 0.8000 → 0.8800`). Without facts this is
    /// exactly [`Screener::screen`].
    pub fn screen_party(&self, query: &PartyQuery, threshold: f64, top: usize) -> Vec<Hit> {
        self.screen_parties(std::slice::from_ref(query), threshold, top)
            .pop()
            .unwrap_or_default()
    }

    /// [`Screener::screen_party`] for many parties, in parallel; one result per query, in
    /// order. Queries without facts are screened together as [`Screener::screen_many`] does;
    /// the names of the others are screened together too, then their facts applied.
    pub fn screen_parties(
        &self,
        queries: &[PartyQuery],
        threshold: f64,
        top: usize,
    ) -> Vec<Vec<Hit>> {
        if top == 0 || threshold.is_nan() {
            return vec![Vec::new(); queries.len()];
        }
        // Three groups: no facts (screened as names), facts that can confirm (names screened
        // down to the threshold less the largest bonus), identifiers only.
        let group_of = |q: &PartyQuery| {
            if !q.has_facts() {
                0
            } else if q.birth_date.is_some() || q.nationality.is_some() {
                1
            } else {
                2
            }
        };
        let mut results: Vec<Vec<Hit>> = vec![Vec::new(); queries.len()];
        for group in 0..3 {
            let members: Vec<usize> = (0..queries.len())
                .filter(|&k| group_of(&queries[k]) == group)
                .collect();
            if members.is_empty() {
                continue;
            }
            let names: Vec<&str> = members.iter().map(|&k| queries[k].name.as_str()).collect();
            if group == 0 {
                for (k, hits) in members.iter().zip(self.screen_many(&names, threshold, top)) {
                    results[*k] = hits;
                }
                continue;
            }
            let floor = if group == 1 {
                threshold - MAX_FACT_BONUS
            } else {
                threshold
            };
            let name_hits = self.screen_batch(&names, floor, usize::MAX);
            let screened: Vec<Vec<Hit>> = members
                .par_iter()
                .zip(name_hits)
                .map(|(&k, hits)| self.apply_facts(&queries[k], hits, floor, threshold, top))
                .collect();
            for (k, hits) in members.iter().zip(screened) {
                results[*k] = hits;
            }
        }
        results
    }

    /// The hits of a query with facts, from its name's hits at `floor`.
    fn apply_facts(
        &self,
        query: &PartyQuery,
        name_hits: Vec<(u32, Hit)>,
        floor: f64,
        threshold: f64,
        top: usize,
    ) -> Vec<Hit> {
        let mut hits: FastMap<u32, Hit> = FastMap::default();
        for (entry, mut hit) in name_hits {
            let effect = self.fact_effect(query, &self.entries[entry as usize]);
            if !effect.text.is_empty() {
                let score = round4((hit.score + effect.delta).clamp(0.0, 1.0));
                hit.explanation = format!(
                    "{}; facts: {}; name {:.4} → {:.4}",
                    hit.explanation, effect.text, hit.score, score
                );
                hit.score = score;
            }
            if hit.score >= threshold {
                hits.insert(entry, hit);
            }
        }
        if query.birth_date.is_some() {
            self.weak_alias_hits(query, floor, threshold, &mut hits);
        }
        self.identifier_hits(query, &mut hits);
        let mut hits: Vec<Hit> = hits.into_values().collect();
        hits.sort_by(hit_order);
        hits.truncate(top);
        hits
    }

    /// The bonus or penalty of the query's birth date and nationality for one entry.
    fn fact_effect(&self, query: &PartyQuery, entry: &Entry) -> FactEffect {
        let (mut bonus, mut penalty) = (0.0, 0.0);
        let mut parts: Vec<String> = Vec::new();
        let mut birth_date_confirms = false;
        if let Some(date) = &query.birth_date {
            if let Some((agreement, text)) = compare_birth_dates(date, &entry.birth_dates) {
                if agreement == Agreement::Contradicts {
                    penalty += BIRTH_DATE_PENALTY;
                    parts.push(format!("{text} (-{BIRTH_DATE_PENALTY:.2})"));
                } else {
                    let gain = birth_date_bonus(agreement);
                    bonus += gain;
                    birth_date_confirms = agreement.confirms();
                    parts.push(format!("{text} (+{gain:.2})"));
                }
            }
        }
        if let Some(nationality) = &query.nationality {
            if !entry.nationalities.is_empty() {
                let listed = entry.nationalities.join("/");
                if entry.nationalities.iter().any(|n| n == nationality) {
                    bonus += NATIONALITY_BONUS;
                    parts.push(format!(
                        "nationality {nationality} = {listed} (+{NATIONALITY_BONUS:.2})"
                    ));
                } else {
                    penalty += NATIONALITY_PENALTY;
                    parts.push(format!(
                        "nationality {nationality} ≠ {listed} (-{NATIONALITY_PENALTY:.2})"
                    ));
                }
            }
        }
        FactEffect {
            delta: bonus.min(MAX_FACT_BONUS) - penalty,
            birth_date_confirms,
            text: parts.join(", "),
        }
    }

    /// Entries whose weak alias matches the name and whose birth date confirms it.
    fn weak_alias_hits(
        &self,
        query: &PartyQuery,
        floor: f64,
        threshold: f64,
        hits: &mut FastMap<u32, Hit>,
    ) {
        let Some(date) = &query.birth_date else {
            return;
        };
        let Some(candidates) = self.facts.weak_by_year.get(&date.year()) else {
            return;
        };
        let mut prepared_query: Option<PreparedName> = None;
        for &k in candidates {
            if hits.contains_key(&k) {
                continue;
            }
            let Some(weak_names) = self.facts.weak_names.get(&k) else {
                continue;
            };
            let prepared =
                prepared_query.get_or_insert_with(|| PreparedName::new(&query.name, false));
            let mut best: Option<(&(u32, PreparedName), ScoredMatch)> = None;
            for weak in weak_names {
                let scored = score_prepared_names(prepared, &weak.1);
                if best.as_ref().is_none_or(|b| scored.score > b.1.score) {
                    best = Some((weak, scored));
                }
            }
            let Some(((name_no, weak), scored)) = best else {
                continue;
            };
            let name_score = scored.score;
            if name_score < floor {
                continue;
            }
            let entry = &self.entries[k as usize];
            let effect = self.fact_effect(query, entry);
            if !effect.birth_date_confirms {
                continue;
            }
            let matched = entry.names[*name_no as usize].text.as_str();
            let text = explain_prepared_names(prepared, weak, &scored);
            let score = round4((name_score + effect.delta).clamp(0.0, 1.0));
            if score >= threshold {
                hits.insert(
                    k,
                    self.entry_hit(
                        entry,
                        matched,
                        score,
                        format!(
                            "{text}; weak alias, counted as the birth date confirms; facts: {}; name {name_score:.4} → {score:.4}",
                            effect.text
                        ),
                    ),
                );
            }
        }
    }

    /// Entries listing one of the query's identity numbers: hits scoring 1.0.
    fn identifier_hits(&self, query: &PartyQuery, hits: &mut FastMap<u32, Hit>) {
        let mut numbers: Vec<(String, Option<IdKind>)> = query
            .id_numbers
            .iter()
            .map(|n| {
                let (kind, number) = split_id_kind(n);
                (normalize_id(number), kind)
            })
            .filter(|(n, _)| is_matchable_id(n))
            .collect();
        numbers.sort();
        numbers.dedup();
        for (number, query_kind) in &numbers {
            let Some(entries) = self.facts.ids.get(number) else {
                continue;
            };
            for &k in entries {
                let entry = &self.entries[k as usize];
                let Some(document) = entry
                    .documents
                    .iter()
                    .find(|d| &d.number == number && id_kinds_agree(*query_kind, d.kind))
                else {
                    continue;
                };
                let kind = match document.kind {
                    IdKind::Other => "id",
                    other => other.as_str(),
                };
                let listed_in = document
                    .country
                    .as_deref()
                    .map_or(String::new(), |c| format!(" ({c})"));
                let id_text = format!("{kind} {number} = {}{listed_in}", document.number);
                let previous = hits.get(&k);
                if previous.is_some_and(|h| h.score >= 1.0 && h.explanation.contains(&id_text)) {
                    continue;
                }
                let (name_part, matched) = match previous {
                    Some(h) => (
                        format!("name {} ({:.4})", h.explanation, h.score),
                        h.matched_name.clone(),
                    ),
                    None => match best_name(query, entry, |_| true) {
                        Some((s, name, t)) => (format!("name {t} ({s:.4})"), name.to_string()),
                        None => ("name -".to_string(), entry.primary_name().to_string()),
                    },
                };
                let effect = self.fact_effect(query, entry);
                // a name hit's explanation already says what the facts did
                let facts = if effect.text.is_empty() || previous.is_some() {
                    String::new()
                } else {
                    format!("; facts: {}", effect.text)
                };
                let hit = self.entry_hit(
                    entry,
                    &matched,
                    1.0,
                    format!("{id_text}: a hit on its own; {name_part}{facts}"),
                );
                hits.insert(k, hit);
            }
        }
    }

    fn entry_hit(&self, entry: &Entry, matched: &str, score: f64, explanation: String) -> Hit {
        Hit {
            list: entry.list.clone(),
            entry_id: entry.id.clone(),
            entry_type: entry.entry_type.clone(),
            programs: entry.programs.clone(),
            matched_name: matched.to_string(),
            primary_name: entry.primary_name().to_string(),
            score,
            explanation,
        }
    }
}

/// The entry's name of a kind `keep` accepts that scores best against the query's name (the
/// first on ties), scored on its own by [`score_names`], with the explanation.
fn best_name<'a>(
    query: &PartyQuery,
    entry: &'a Entry,
    keep: impl Fn(NameKind) -> bool,
) -> Option<(f64, &'a str, String)> {
    let mut best: Option<(f64, &'a str, String)> = None;
    for n in entry.names.iter().filter(|n| keep(n.kind)) {
        let (score, text) = score_names(&query.name, &n.text, entry.is_individual());
        if best.as_ref().is_none_or(|b| score > b.0) {
            best = Some((score, n.text.as_str(), text));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchlist::WatchlistSet;

    /// What [`FactBound`] promises candidate search: facts never add more than its bound for
    /// the query's birth year, and for each entry some query gets exactly the bound of any year.
    #[test]
    fn facts_never_add_more_than_the_fact_bound() {
        let screener = Screener::new(&WatchlistSet::from_entries(Vec::new()));
        let date = |text: &str| PartialDate::parse(text).unwrap();
        let dates = [
            vec![],
            vec![BirthDate::Exact(date("1965-03-10"))],
            vec![BirthDate::Exact(date("1965"))],
            vec![BirthDate::Circa(date("1965"))],
            vec![BirthDate::between(date("1962"), date("1964"))],
            vec![
                BirthDate::Exact(date("1971-01-02")),
                BirthDate::Circa(date("1965")),
            ],
        ];
        for birth_dates in &dates {
            for nationalities in [vec![], vec!["AF".to_string()]] {
                let entry = Entry {
                    birth_dates: birth_dates.clone(),
                    nationalities,
                    ..Entry::default()
                };
                let bound = FactBound::of(&entry);
                let mut most = 0.0f64;
                for birth in [
                    None,
                    Some("1965"),
                    Some("1965-03"),
                    Some("1965-03-10"),
                    Some("1963"),
                    Some("1967"),
                    Some("1971-01-02"),
                    Some("1980"),
                ] {
                    for nationality in [None, Some("AF"), Some("IQ")] {
                        let query = PartyQuery {
                            name: "x".into(),
                            birth_date: birth.map(date),
                            nationality: nationality.map(str::to_string),
                            id_numbers: Vec::new(),
                        };
                        let delta = screener.fact_effect(&query, &entry).delta;
                        let year = query.birth_date.map_or(0, |d| d.year());
                        assert!(
                            delta <= bound.most(year),
                            "{birth:?} {nationality:?} against {entry:?}: {delta} > {}",
                            bound.most(year)
                        );
                        most = most.max(delta);
                    }
                }
                assert_eq!(most, bound.most_of_any(), "{entry:?}");
            }
        }
    }
}
