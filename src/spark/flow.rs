//! Money-flow rules on the cluster: flow-through ([`Detector::FlowThrough`]), party fans
//! ([`Detector::PartyFan`]) and round trips ([`Detector::RoundTrip`]), each compiled to Spark SQL
//! with the meaning of the Polars engine's search (`src/rules/engine/flow.rs`,
//! `src/rules/graph.rs`, `src/rules/round_trip.rs`): the same pairs, sums in exact decimals,
//! the same ties and boundaries. The hits come back with their transactions and facts and are
//! merged and built into alerts here by the Polars engine's own code.

use super::alerts::{int_column, optional_text_column, text_column, TxnNumbers, EPISODES_VIEW};
use super::rules::{plan_filter, predicate_sql, selected_select, ROWS_VIEW};
use super::sql::in_list;
use super::{Spark, SparkEngineError};
use crate::model::format_money_grouped;
use crate::rules::graph::party_key;
use crate::rules::plan::{
    describe_duration, Detector, FanDirection, FlowRoutine, Micros, Predicate, RulePlan, DAY,
    OWN_ACCOUNTS_MAX,
};
use crate::rules::round_trip::PartyIdentity;
use crate::rules::{merge_hits, Episode, Hit, ROUTINE_FACT};
use polars::prelude::*;
use spark_connect::row::{Row, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// `floor(t / DAY)` exactly, for negative times too (a UTC day's number).
fn utc_day(t: &str) -> String {
    format!("(({t} - pmod({t}, {DAY})) div {DAY})")
}

/// A list of text values per row (`ARRAY<STRING>` from the cluster).
pub(super) fn text_lists(frame: &DataFrame, name: &str) -> Result<Vec<Vec<String>>, String> {
    let column = frame.column(name).map_err(|e| e.to_string())?;
    let lists = column.list().map_err(|e| e.to_string())?;
    lists
        .amortized_iter()
        .map(|list| {
            let Some(list) = list else {
                return Err(format!("{name} is null"));
            };
            let text = list
                .as_ref()
                .cast(&DataType::String)
                .map_err(|e| e.to_string())?;
            let text = text.str().map_err(|e| e.to_string())?;
            text.iter()
                .map(|v| {
                    v.map(str::to_string)
                        .ok_or_else(|| format!("{name} holds a null"))
                })
                .collect()
        })
        .collect()
}

impl Spark {
    /// Creates [`OWN_LINKS_VIEW`] and [`OWN_GROUPS_VIEW`]: the distinct pairs of accounts linked
    /// by same-person transfers come back (one row per pair of accounts, not per transaction),
    /// are grouped here ([`own_groups`]) and go back as a table. (Label propagation in SQL,
    /// one cached round per link of a group's diameter, made each round slower than the last
    /// and ran a 2 GB driver out of memory by the eighth.)
    ///
    /// The groups depend only on the rows the rules read: they are made once for every rule.
    fn own_groups_view(&self) -> Result<(), SparkEngineError> {
        self.derive_once(OWN_GROUPS_VIEW, || self.make_own_groups())
    }

    fn make_own_groups(&self) -> Result<(), SparkEngineError> {
        let what = "grouping the holders' own accounts".to_string();
        self.execute(
            &what,
            &format!(
                "CREATE OR REPLACE TEMPORARY VIEW {OWN_LINKS_VIEW} AS {}",
                same_person_links()
            ),
        )?;
        let frame = self.query(
            &what,
            &format!("SELECT DISTINCT a, b FROM {OWN_LINKS_VIEW}"),
        )?;
        let bad = |e: String| self.bad_result(&what, e);
        let a = text_column(&frame, "a").map_err(bad)?;
        let b = text_column(&frame, "b").map_err(bad)?;
        let mut pairs: Vec<(String, String)> = a.into_iter().zip(b).collect();
        pairs.sort();
        let names: Vec<String> = ["node", "grp"].map(String::from).to_vec();
        let rows: Vec<Row> = own_groups(&pairs)
            .into_iter()
            .map(|(node, grp)| {
                Row::new(names.clone(), vec![Value::String(node), Value::String(grp)])
            })
            .collect();
        self.rows_view(
            &what,
            OWN_GROUPS_VIEW,
            &[("node", "STRING"), ("grp", "STRING")],
            rows,
        )
    }

    /// Creates [`PARTIES_VIEW`]: every name and country written on a side without an account
    /// comes back (distinct: names are far fewer than transactions), is keyed here as the
    /// money-flow graph keys a party ([`party_key`]: the normaliser is Rust) and goes back as a
    /// table (`name`, `country`, `pkey`, `label`); a name that keys no party is left out.
    ///
    /// The parties depend only on the rows the rules read, so they are keyed once for all the
    /// rules that need them.
    pub(super) fn parties_view(&self) -> Result<(), SparkEngineError> {
        self.derive_once(PARTIES_VIEW, || self.make_parties())
    }

    /// Materializes [`GRAPH_VIEW`] (and [`PARTIES_VIEW`] first), once for every graph rule: a
    /// rule's own graph ([`graph_edges_select`]) is a projection of it, and its hubs read it
    /// whole. (Made for each rule, the edges cost a join of every row and a copy of them each
    /// time.)
    pub(super) fn graph_view(&self) -> Result<(), SparkEngineError> {
        self.parties_view()?;
        self.derive_once(GRAPH_VIEW, || {
            self.checkpoint_view("making the money-flow graph", GRAPH_VIEW, &graph_select())
        })
    }

    fn make_parties(&self) -> Result<(), SparkEngineError> {
        let what = "keying the parties without an account".to_string();
        let frame = self.query(
            &what,
            &format!(
                "SELECT DISTINCT orig_name AS name, orig_country AS country FROM {ROWS_VIEW} WHERE orig_account = '' \
                 UNION SELECT DISTINCT bene_name, bene_country FROM {ROWS_VIEW} WHERE bene_account = ''"
            ),
        )?;
        let bad = |e: String| self.bad_result(&what, e);
        let names = optional_text_column(&frame, "name").map_err(bad)?;
        let countries = optional_text_column(&frame, "country").map_err(bad)?;
        let columns: Vec<String> = ["name", "country", "pkey", "label"]
            .map(String::from)
            .to_vec();
        let rows: Vec<Row> = names
            .into_iter()
            .zip(countries)
            .filter_map(|(name, country)| {
                let (name, country) = (name?, country.unwrap_or_default());
                let key = party_key(&name, &country)?;
                let label = party_label(&key);
                Some(Row::new(
                    columns.clone(),
                    vec![
                        Value::String(name),
                        Value::String(country),
                        Value::String(key),
                        Value::String(label),
                    ],
                ))
            })
            .collect();
        self.rows_view(
            &what,
            PARTIES_VIEW,
            &[
                ("name", "STRING"),
                ("country", "STRING"),
                ("pkey", "STRING"),
                ("label", "STRING"),
            ],
            rows,
        )
    }

    /// Party fans: the episodes of [`party_fan_select`], each with every transfer of its
    /// subject's side inside it and the facts of `graph::fan_found`, then `accounts` and
    /// `searched` as `engine::graph::hits` adds them.
    fn party_fans(
        &self,
        plan: &RulePlan,
        select: &str,
        txn_ids: &mut TxnNumbers,
    ) -> Result<Vec<Episode>, SparkEngineError> {
        let what = format!("finding the hits of {}", plan.rule_id);
        let frame = self.query(&what, select)?;
        let bad = |e: String| self.bad_result(&what, e);
        let subjects = text_column(&frame, "subject").map_err(bad)?;
        let starts = int_column(&frame, "win_start").map_err(bad)?;
        let ends = int_column(&frame, "win_end").map_err(bad)?;
        let txns = text_lists(&frame, "txns").map_err(bad)?;
        let counterparties = int_column(&frame, "counterparties").map_err(bad)?;
        let unbanked = int_column(&frame, "unbanked").map_err(bad)?;
        let reached = text_column(&frame, "reached").map_err(bad)?;
        let labels = text_column(&frame, "labels").map_err(bad)?;
        let searched = plan.detector.bounds();
        let mut hits = Vec::with_capacity(frame.height());
        for i in 0..frame.height() {
            let total: i128 = reached[i]
                .parse()
                .map_err(|e| self.bad_result(&what, format!("reached {}: {e}", reached[i])))?;
            let mut rows: Vec<u32> = txns[i].iter().map(|id| txn_ids.number(id)).collect();
            rows.sort_unstable();
            hits.push(Hit {
                subject: subjects[i].clone(),
                start: starts[i],
                end: ends[i],
                rows: Some(rows),
                facts: vec![
                    ("counterparties", counterparties[i].to_string()),
                    ("unbanked_counterparties", unbanked[i].to_string()),
                    ("reached", format_money_grouped(total)),
                    ("accounts", format!("{}, {}", subjects[i], labels[i])),
                    ("searched", searched.clone()),
                ],
            });
        }
        Ok(merge_hits(hits))
    }

    /// Creates [`IDENTITIES_VIEW`]: every name and country written on a selected row comes back
    /// (distinct), is made a [`PartyIdentity`] here (distinctive words, core name, country: the
    /// normaliser is Rust) and goes back as a table (`name`, `country`, `words` joined by
    /// spaces, `core`, `ctry`).
    fn identities_view(&self, plan: &RulePlan) -> Result<(), SparkEngineError> {
        let what = format!("naming the parties of {}", plan.rule_id);
        let filter = filter_sql(plan);
        let frame = self.query(
            &what,
            &format!(
                "SELECT DISTINCT coalesce(bene_name, '') AS name, coalesce(bene_country, '') AS country \
                 FROM {ROWS_VIEW} WHERE {filter} \
                 UNION SELECT DISTINCT coalesce(orig_name, ''), coalesce(orig_country, '') FROM {ROWS_VIEW} WHERE {filter}"
            ),
        )?;
        let bad = |e: String| self.bad_result(&what, e);
        let names = text_column(&frame, "name").map_err(bad)?;
        let countries = text_column(&frame, "country").map_err(bad)?;
        let columns: Vec<String> = ["name", "country", "words", "core", "ctry"]
            .map(String::from)
            .to_vec();
        let rows: Vec<Row> = names
            .into_iter()
            .zip(countries)
            .map(|(name, country)| {
                let identity = PartyIdentity::new(&name, &country);
                Row::new(
                    columns.clone(),
                    vec![
                        Value::String(name),
                        Value::String(country),
                        Value::String(identity.words.join(" ")),
                        Value::String(identity.core),
                        Value::String(identity.country),
                    ],
                )
            })
            .collect();
        self.rows_view(
            &what,
            IDENTITIES_VIEW,
            &[
                ("name", "STRING"),
                ("country", "STRING"),
                ("words", "STRING"),
                ("core", "STRING"),
                ("ctry", "STRING"),
            ],
            rows,
        )
    }

    /// Round trips (`round_trip::round_trips`), found in rounds. The search walks each
    /// sender's payments in order and a trip found marks its payments used, so that a later
    /// opening skips them and sums without them. Each round evaluates every remaining opening
    /// against the payments used so far ([`round_trip_round`]); an opening's result stands
    /// unless a trip found before it in the same round used a payment it read (itself or one
    /// it would sum): the first such opening of a sender is its cut, and the next round starts
    /// there with the trips before the cut marked used. Every round settles at least a
    /// sender's first remaining opening, and senders without a cut are done.
    fn round_trips(
        &self,
        plan: &RulePlan,
        trip: &Trip<'_>,
        txn_ids: &mut TxnNumbers,
    ) -> Result<Vec<Episode>, SparkEngineError> {
        self.graph_view()?;
        self.identities_view(plan)?;
        let what = format!("finding the hits of {}", plan.rule_id);
        for (name, select) in round_trip_views(plan, trip) {
            self.checkpoint_view(&what, &name, &select)?;
        }
        let searched = plan.detector.bounds();
        let mut used: Vec<String> = Vec::new();
        let mut resume = false;
        let mut hits = Vec::new();
        loop {
            if resume {
                self.string_view(&what, RT_USED_VIEW, "txn_id", &used)?;
            }
            let (steps, trips, cuts) = round_trip_round(trip, resume);
            for (name, select) in steps {
                self.checkpoint_view(&what, &name, &select)?;
            }
            let frame = self.query(&what, &trips)?;
            let bad = |e: String| self.bad_result(&what, e);
            let senders = text_column(&frame, "sender").map_err(bad)?;
            let starts = int_column(&frame, "win_start").map_err(bad)?;
            let returned_at = int_column(&frame, "returned_at").map_err(bad)?;
            let sent = text_column(&frame, "sent").map_err(bad)?;
            let returned = text_column(&frame, "returned").map_err(bad)?;
            let sent_txns = text_lists(&frame, "sent_txns").map_err(bad)?;
            let back_txns = text_lists(&frame, "back_txns").map_err(bad)?;
            let sent_nodes = text_lists(&frame, "sent_nodes").map_err(bad)?;
            let back_nodes = text_lists(&frame, "back_nodes").map_err(bad)?;
            let sent_labels = text_lists(&frame, "sent_labels").map_err(bad)?;
            let back_labels = text_lists(&frame, "back_labels").map_err(bad)?;
            for i in 0..frame.height() {
                let amount = |v: &str| -> Result<i128, SparkEngineError> {
                    v.parse()
                        .map_err(|e| self.bad_result(&what, format!("amount {v}: {e}")))
                };
                let (total_sent, total_back) = (amount(&sent[i])?, amount(&returned[i])?);
                // the sender, every party paid, every party paying back (first appearance)
                let mut nodes: Vec<&str> = vec![""];
                let mut labels: Vec<&str> = vec![senders[i].as_str()];
                for (n, l) in sent_nodes[i].iter().zip(&sent_labels[i]) {
                    if !nodes.contains(&n.as_str()) {
                        nodes.push(n);
                        labels.push(l);
                    }
                }
                for (n, l) in back_nodes[i].iter().zip(&back_labels[i]) {
                    if !nodes[1..].contains(&n.as_str()) {
                        nodes.push(n);
                        labels.push(l);
                    }
                }
                labels.push(senders[i].as_str());
                let gap = returned_at[i] - starts[i];
                let mut rows: Vec<u32> = sent_txns[i]
                    .iter()
                    .chain(&back_txns[i])
                    .map(|id| txn_ids.number(id))
                    .collect();
                rows.sort_unstable();
                rows.dedup();
                hits.push(Hit {
                    subject: senders[i].clone(),
                    start: starts[i],
                    end: returned_at[i],
                    rows: Some(rows),
                    facts: vec![
                        ("sent", format_money_grouped(total_sent)),
                        ("returned", format_money_grouped(total_back)),
                        ("reached", format_money_grouped(total_back)),
                        (
                            "returned_percent",
                            format!("{}%", total_back * 100 / total_sent.max(1)),
                        ),
                        ("gap", describe_duration(gap - gap % DAY)),
                        ("accounts", labels.join(" -> ")),
                        ("searched", searched.clone()),
                    ],
                });
                used.extend(sent_txns[i].iter().cloned());
            }
            let cuts = self.query(&what, &cuts)?;
            if cuts.height() == 0 {
                break;
            }
            let bad = |e: String| self.bad_result(&what, e);
            let names: Vec<String> = ["sender", "t", "p", "f", "r"].map(String::from).to_vec();
            let senders = text_column(&cuts, "sender").map_err(bad)?;
            let ts = int_column(&cuts, "t").map_err(bad)?;
            let parts = int_column(&cuts, "p").map_err(bad)?;
            let files = text_column(&cuts, "f").map_err(bad)?;
            let rows_at = int_column(&cuts, "r").map_err(bad)?;
            let rows: Vec<Row> = (0..cuts.height())
                .map(|i| {
                    Row::new(
                        names.clone(),
                        vec![
                            Value::String(senders[i].clone()),
                            Value::Long(ts[i]),
                            Value::Long(parts[i]),
                            Value::String(files[i].clone()),
                            Value::Long(rows_at[i]),
                        ],
                    )
                })
                .collect();
            self.rows_view(
                &what,
                RT_RESUME_VIEW,
                &[
                    ("sender", "STRING"),
                    ("t", "BIGINT"),
                    ("p", "BIGINT"),
                    ("f", "STRING"),
                    ("r", "BIGINT"),
                ],
                rows,
            )?;
            resume = true;
        }
        Ok(merge_hits(hits))
    }

    /// Makes `views` in order (materialized as [`Spark::checkpoint_view`] does, or plain views
    /// of their select), except the longest first part that equals what the last chain of this
    /// `family` made: those views hold the same rows already. Rules that read the same hubs
    /// and the same selected edges then build them once.
    ///
    /// A chain's views read only the rows the rules read, the views made from them once
    /// ([`Spark::graph_view`]) and views before them in the chain, and no other code writes
    /// their names; caching new rows forgets every chain.
    pub(super) fn checkpoint_chain(
        &self,
        what: &str,
        family: &'static str,
        views: &[ChainView],
    ) -> Result<(), SparkEngineError> {
        let mut derived = self.derived();
        let held = derived.chains.entry(family).or_default();
        let same = held
            .iter()
            .zip(views)
            .take_while(|(held, view)| held == view)
            .count();
        // forgotten before the rest is made: a failure halfway leaves no stale view counted
        held.truncate(same);
        self.views_reused
            .fetch_add(same as u64, std::sync::atomic::Ordering::Relaxed);
        for view in &views[same..] {
            if view.materialized {
                self.checkpoint_view(what, &view.name, &view.select)?;
            } else {
                self.view_of(what, &view.name, super::exec::sql(&view.select))?;
            }
            held.push(view.clone());
        }
        Ok(())
    }

    /// Materializes `select` on the cluster as the view `name`, its lineage cut (a local
    /// checkpoint): the next steps' plans read it as a table, so that no plan (and no plan's
    /// description, which the driver keeps) holds every step before it.
    pub(super) fn checkpoint_view(
        &self,
        what: &str,
        name: &str,
        select: &str,
    ) -> Result<(), SparkEngineError> {
        use spark_connect_proto as proto;
        use spark_connect_proto::command::CommandType;
        use spark_connect_proto::execute_plan_response::ResponseType;
        let checkpoint = proto::CheckpointCommand {
            relation: Some(super::exec::sql(select)),
            local: true,
            eager: true,
            storage_level: None,
        };
        let responses = self.run(
            what,
            super::command(CommandType::CheckpointCommand(checkpoint)),
        )?;
        let relation_id = responses
            .into_iter()
            .find_map(|r| match r.response_type {
                Some(ResponseType::CheckpointCommandResult(result)) => {
                    result.relation.map(|r| r.relation_id)
                }
                _ => None,
            })
            .ok_or_else(|| self.bad_result(what, "no checkpoint came back".into()))?;
        self.view_of(
            what,
            name,
            super::exec::relation(proto::relation::RelType::CachedRemoteRelation(
                proto::CachedRemoteRelation { relation_id },
            )),
        )
    }

    /// Rows made here as the temporary view `view` of `columns` (name, SQL type); no rows as an
    /// empty view of those columns.
    pub(super) fn rows_view(
        &self,
        what: &str,
        view: &str,
        columns: &[(&str, &str)],
        rows: Vec<Row>,
    ) -> Result<(), SparkEngineError> {
        if rows.is_empty() {
            let nulls: Vec<String> = columns
                .iter()
                .map(|(name, kind)| format!("CAST(NULL AS {kind}) AS {name}"))
                .collect();
            return self.execute(
                what,
                &format!(
                    "CREATE OR REPLACE TEMPORARY VIEW {view} AS SELECT {} WHERE false",
                    nulls.join(", ")
                ),
            );
        }
        let ddl: Vec<String> = columns
            .iter()
            .map(|(name, kind)| format!("{name} {kind}"))
            .collect();
        let schema =
            spark_connect::DataType::from_ddl(&ddl.join(", ")).map_err(|e| self.err(what, e))?;
        self.local_view(what, view, &rows, &schema)
    }

    /// A one-column table of text values as a temporary view.
    pub(super) fn string_view(
        &self,
        what: &str,
        view: &str,
        column: &str,
        values: &[String],
    ) -> Result<(), SparkEngineError> {
        let names = vec![column.to_string()];
        let rows: Vec<Row> = values
            .iter()
            .map(|v| Row::new(names.clone(), vec![Value::String(v.clone())]))
            .collect();
        self.rows_view(what, view, &[(column, "STRING")], rows)
    }

    /// The episodes of a flow-through, party-fan or round-trip plan; `None` for another
    /// detector.
    pub(super) fn flow_episodes(
        &self,
        plan: &RulePlan,
        txn_ids: &mut TxnNumbers,
    ) -> Result<Option<Vec<Episode>>, SparkEngineError> {
        match &plan.detector {
            Detector::FlowThrough {
                inflow_window,
                min_inflow,
                outflow,
                min_out_basis_points,
                horizon,
                via_own_accounts,
                routine,
            } => {
                let flow = Flow {
                    inflow_window: *inflow_window,
                    min_inflow: *min_inflow,
                    outflow,
                    min_out_basis_points: *min_out_basis_points,
                    horizon: *horizon,
                    via_own_accounts: *via_own_accounts,
                    routine: *routine,
                };
                self.flow_through(plan, &flow, txn_ids).map(Some)
            }
            Detector::PartyFan {
                direction,
                window,
                min_counterparties,
            } => {
                self.graph_view()?;
                let select = party_fan_select(plan, *direction, *window, *min_counterparties);
                self.party_fans(plan, &select, txn_ids).map(Some)
            }
            Detector::RoundTrip {
                party_countries,
                related_by_name,
                related_by_country,
                out_window,
                min_gap,
                horizon,
                min_returned_basis_points,
                max_returned_basis_points,
                limits,
            } => {
                let trip = Trip {
                    party_countries,
                    related_by_name: *related_by_name,
                    related_by_country: *related_by_country,
                    out_window: *out_window,
                    min_gap: *min_gap,
                    horizon: *horizon,
                    min_returned_basis_points: *min_returned_basis_points,
                    max_returned_basis_points: *max_returned_basis_points,
                    max_transfers_per_day: limits.max_transfers_per_day,
                };
                self.round_trips(plan, &trip, txn_ids).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Flow-through: the hits of [`flow_through_select`] (each with the outflows it counted,
    /// and the transfers between the holder's accounts when money left from another of them),
    /// merged, and each episode's inflows in its span added as its evidence, as the Polars
    /// engine's evidence stream adds them.
    fn flow_through(
        &self,
        plan: &RulePlan,
        flow: &Flow<'_>,
        txn_ids: &mut TxnNumbers,
    ) -> Result<Vec<Episode>, SparkEngineError> {
        if flow.via_own_accounts {
            self.own_groups_view()?;
        }
        let what = format!("finding the hits of {}", plan.rule_id);
        let frame = self.query(&what, &flow_through_select(plan, flow))?;
        let bad = |e: String| self.bad_result(&what, e);
        let subjects = text_column(&frame, "subject").map_err(bad)?;
        let starts = int_column(&frame, "win_start").map_err(bad)?;
        let ends = int_column(&frame, "win_end").map_err(bad)?;
        let txns = text_lists(&frame, "txns").map_err(bad)?;
        let own = optional_text_column(&frame, "own_accounts").map_err(bad)?;
        let earlier = match flow.routine {
            Some(_) => Some(int_column(&frame, "earlier").map_err(bad)?),
            None => None,
        };
        let hits: Vec<Hit> = (0..frame.height())
            .map(|i| {
                let mut facts = Vec::new();
                if let Some(own) = &own[i] {
                    facts.push(("own_accounts", own.clone()));
                }
                if let (Some(earlier), Some(r)) = (&earlier, flow.routine) {
                    facts.push((
                        ROUTINE_FACT,
                        format!(
                            "{} passed on in the {} before",
                            earlier[i],
                            describe_duration(r.baseline)
                        ),
                    ));
                }
                let mut rows: Vec<u32> = txns[i].iter().map(|id| txn_ids.number(id)).collect();
                rows.sort_unstable();
                Hit {
                    subject: subjects[i].clone(),
                    start: starts[i],
                    end: ends[i],
                    rows: Some(rows),
                    facts,
                }
            })
            .collect();
        let mut episodes = merge_hits(hits);
        if !episodes.is_empty() {
            let select = flow_evidence_select(plan, flow, EPISODES_VIEW);
            self.attach_evidence(&plan.rule_id, &mut episodes, txn_ids, &select)?;
        }
        Ok(episodes)
    }
}

/// A view of a chain ([`Spark::checkpoint_chain`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainView {
    /// The temporary view's name.
    pub name: String,
    /// What it holds.
    pub select: String,
    /// Whether its rows are materialized (a local checkpoint), or it is a plain view of
    /// `select` (a projection that costs less to read again than to copy).
    pub materialized: bool,
}

impl ChainView {
    /// A view whose rows are materialized.
    pub fn materialized(name: impl Into<String>, select: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            select: select.into(),
            materialized: true,
        }
    }

    /// A plain view of `select`.
    pub fn plain(name: impl Into<String>, select: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            select: select.into(),
            materialized: false,
        }
    }
}

/// The view of the parties without an account, keyed as the money-flow graph keys them (see
/// [`Spark::parties_view`]).
pub const PARTIES_VIEW: &str = "aml_parties";

/// A party's label in alerts (`JOHN SMITH (US)`, or the name alone without a country), from its
/// key as the money-flow graph labels it.
fn party_label(key: &str) -> String {
    match key.split_once('|') {
        Some((name, "")) => name.to_string(),
        Some((name, country)) => format!("{name} ({country})"),
        None => key.to_string(),
    }
}

/// The view of the money-flow graph's edges of every rule (see [`Spark::graph_view`] and
/// [`graph_select`]).
pub const GRAPH_VIEW: &str = "aml_graph";

/// The money-flow graph's edges (`graph::GraphBuilder`): every row whose two sides are
/// parties, an account by its number (`*_ext` 0) or a party without one by its key in
/// [`PARTIES_VIEW`] (`*_ext` 1), the two sides different. Columns: every column of the rows
/// the rules read (a rule's filter reads them), and `from_ext`, `from_id`, `from_label`,
/// `to_ext`, `to_id`, `to_label`. It depends on the rows alone: every graph rule reads it.
pub fn graph_select() -> String {
    let side = |prefix: &str, alias: &str, to: &str| {
        format!(
            "CASE WHEN r.{prefix}_account <> '' THEN 0 ELSE 1 END AS {to}_ext, \
             CASE WHEN r.{prefix}_account <> '' THEN r.{prefix}_account ELSE {alias}.pkey END AS {to}_id, \
             CASE WHEN r.{prefix}_account <> '' THEN r.{prefix}_account ELSE {alias}.label END AS {to}_label"
        )
    };
    format!(
        "SELECT * FROM (SELECT r.*, {}, {} \
         FROM {ROWS_VIEW} r \
         LEFT JOIN {PARTIES_VIEW} po ON r.orig_account = '' AND po.name = r.orig_name AND po.country = r.orig_country \
         LEFT JOIN {PARTIES_VIEW} pb ON r.bene_account = '' AND pb.name = r.bene_name AND pb.country = r.bene_country) AS g \
         WHERE from_id IS NOT NULL AND to_id IS NOT NULL AND NOT (from_ext = to_ext AND from_id = to_id)",
        side("orig", "po", "from"),
        side("bene", "pb", "to"),
    )
}

/// A rule's money-flow graph: the edges of [`GRAPH_VIEW`], and `sel` whether the plan's filter
/// selects each. Columns `ts_us`, `base_amount`, `txn_id`, the row's place (`part_idx`, `file`,
/// `row_idx`), `from_ext`, `from_id`, `from_label`, `to_ext`, `to_id`, `to_label`, the names and
/// countries as written, and `sel`.
pub fn graph_edges_select(plan: &RulePlan) -> String {
    let filter = plan_filter(plan);
    format!(
        "SELECT ts_us, base_amount, txn_id, part_idx, file, row_idx, \
           orig_name, orig_country, bene_name, bene_country, \
           from_ext, from_id, from_label, to_ext, to_id, to_label, coalesce({filter}, false) AS sel \
         FROM {GRAPH_VIEW}"
    )
}

/// Party fans (`graph::party_fans`): for each selected edge of an account's side (paid to it,
/// or paid by it), the distinct counterparties over the trailing window `[t - window, t]` with
/// the edges at `t` (the Polars search's count once its ties are in); windows reaching the
/// minimum merge while a window's first edge is no later than the previous qualifying window's
/// end (the search's `lo < to`), into episodes `[first window's first edge, last window's
/// end]`. Per episode: its edges' transactions, `counterparties`, `unbanked` (parties without
/// an account), `reached` (the sum, exact) and `labels` (the counterparties' labels, accounts
/// by number, then parties without an account by key, as graph nodes are numbered).
pub fn party_fan_select(
    plan: &RulePlan,
    direction: FanDirection,
    window: Micros,
    min_counterparties: usize,
) -> String {
    let (subject, other) = match direction {
        FanDirection::In => ("to", "from"),
        FanDirection::Out => ("from", "to"),
    };
    format!(
        "WITH g AS ({edges}), \
         f AS (SELECT {subject}_id AS subject, ts_us, base_amount, txn_id, {other}_ext AS oext, {other}_id AS oid, \
                 {other}_label AS olabel FROM g WHERE sel AND {subject}_ext = 0), \
         w AS (SELECT subject, ts_us, min(ts_us) OVER win AS wstart, \
                 size(collect_set(named_struct('e', oext, 'k', oid)) OVER win) AS n FROM f \
               WINDOW win AS (PARTITION BY subject ORDER BY ts_us RANGE BETWEEN {window} PRECEDING AND CURRENT ROW)), \
         q AS (SELECT DISTINCT subject, ts_us AS t, wstart FROM w WHERE n >= {min_counterparties}), \
         i AS (SELECT subject, t, wstart, \
                 CASE WHEN lag(t) OVER (PARTITION BY subject ORDER BY t) >= wstart THEN 0 ELSE 1 END AS fresh FROM q), \
         isl AS (SELECT subject, t, wstart, \
                 sum(fresh) OVER (PARTITION BY subject ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS island FROM i), \
         ep AS (SELECT subject, min(wstart) AS ep_start, max(t) AS ep_end FROM isl GROUP BY subject, island), \
         x AS (SELECT e.subject, e.ep_start, e.ep_end, collect_list(f.txn_id) AS txns, \
                 sum(CAST(f.base_amount AS DECIMAL(38, 0))) AS total, \
                 array_sort(collect_set(named_struct('e', f.oext, 'k', f.oid, 'l', f.olabel))) AS parties \
               FROM ep e JOIN f ON f.subject = e.subject AND f.ts_us >= e.ep_start AND f.ts_us <= e.ep_end \
               GROUP BY e.subject, e.ep_start, e.ep_end) \
         SELECT subject, ep_start AS win_start, ep_end AS win_end, txns, size(parties) AS counterparties, \
           size(filter(parties, p -> p.e = 1)) AS unbanked, CAST(total AS STRING) AS reached, \
           concat_ws(', ', transform(parties, p -> p.l)) AS labels FROM x",
        edges = graph_edges_select(plan),
    )
}

/// The view of the identities of the names written on selected rows (see
/// [`Spark::identities_view`]).
pub const IDENTITIES_VIEW: &str = "aml_identities";
/// The payments marked used by the round trips found so far.
pub const RT_USED_VIEW: &str = "aml_rt_used";
/// Where each sender's next round of round-trip openings starts.
pub const RT_RESUME_VIEW: &str = "aml_rt_resume";

/// A round-trip plan's parameters.
pub struct Trip<'a> {
    pub party_countries: &'a [String],
    pub related_by_name: bool,
    pub related_by_country: bool,
    pub out_window: Micros,
    pub min_gap: Micros,
    pub horizon: Micros,
    pub min_returned_basis_points: i64,
    pub max_returned_basis_points: i64,
    pub max_transfers_per_day: usize,
}

/// The plan's filter as one SQL condition, false where it reads a null.
fn filter_sql(plan: &RulePlan) -> String {
    format!("coalesce({}, false)", plan_filter(plan))
}

/// The place of an edge of alias `a` in the Polars engine's order (time, then row).
fn order_key(a: &str) -> String {
    format!("named_struct('t', {a}.ts_us, 'p', {a}.part_idx, 'f', {a}.file, 'r', {a}.row_idx)")
}

/// Whether the identity `b` is related to `a` (`PartyIdentity::related`): the same country, or
/// the same core name, or a distinctive word in common.
fn related_sql(trip: &Trip<'_>, a: &str, b: &str) -> String {
    let mut tests = Vec::new();
    if trip.related_by_country {
        tests.push(format!("({a}.ctry <> '' AND {a}.ctry = {b}.ctry)"));
    }
    if trip.related_by_name {
        tests.push(format!(
            "({a}.core <> '' AND {a}.core = {b}.core) OR arrays_overlap({a}.words, {b}.words)"
        ));
    }
    if tests.is_empty() {
        "false".into()
    } else {
        format!("({})", tests.join(" OR "))
    }
}

/// The views a round-trip search reads, materialized one after the other (`name`, `select`): the hubs (accounts and
/// parties with more than `max_transfers_per_day` edges of the whole graph on one UTC day), the
/// selected payments of senders that are accounts and not hubs (`aml_rt_outs`, with the payee's
/// identity as written and whether the payee is a hub) and the selected payments into accounts
/// (`aml_rt_ins`, with the payer's identity).
pub fn round_trip_views(plan: &RulePlan, trip: &Trip<'_>) -> Vec<(String, String)> {
    let edges = graph_edges_select(plan);
    let identity = |alias: &str, side: &str| {
        format!(
            "LEFT JOIN (SELECT name, country, filter(split(words, ' '), w -> w <> '') AS words, core, ctry FROM {IDENTITIES_VIEW}) {alias} \
             ON {alias}.name = coalesce(g.{side}_name, '') AND {alias}.country = coalesce(g.{side}_country, '')"
        )
    };
    vec![
        ("aml_rt_graph".to_string(), edges),
        (
            "aml_rt_hubs".to_string(),
            format!(
                "SELECT DISTINCT ext, id FROM (SELECT ext, id, {day} AS d FROM \
                   (SELECT from_ext AS ext, from_id AS id, ts_us FROM aml_rt_graph \
                    UNION ALL SELECT to_ext, to_id, ts_us FROM aml_rt_graph) AS s) AS s \
                 GROUP BY ext, id, d HAVING count(*) > {max}",
                day = utc_day("ts_us"),
                max = trip.max_transfers_per_day
            ),
        ),
        (
            "aml_rt_outs".to_string(),
            format!(
                "SELECT g.from_id AS sender, g.ts_us, g.part_idx, g.file, g.row_idx, g.txn_id, g.base_amount, \
                   g.to_ext, g.to_id, g.to_label, coalesce(pi.words, array()) AS words, coalesce(pi.core, '') AS core, \
                   coalesce(pi.ctry, '') AS ctry, h.id IS NOT NULL AS to_hub \
                 FROM aml_rt_graph g {} \
                 LEFT JOIN aml_rt_hubs h ON h.ext = g.to_ext AND h.id = g.to_id \
                 LEFT ANTI JOIN aml_rt_hubs sh ON sh.ext = 0 AND sh.id = g.from_id \
                 WHERE g.sel AND g.from_ext = 0",
                identity("pi", "bene")
            ),
        ),
        (
            "aml_rt_ins".to_string(),
            format!(
                "SELECT g.to_id AS receiver, g.ts_us, g.part_idx, g.file, g.row_idx, g.txn_id, g.base_amount, \
                   g.from_ext, g.from_id, g.from_label, coalesce(pi.words, array()) AS words, \
                   coalesce(pi.core, '') AS core, coalesce(pi.ctry, '') AS ctry \
                 FROM aml_rt_graph g {} WHERE g.sel AND g.to_ext = 0",
                identity("pi", "orig")
            ),
        ),
    ]
}

/// One round of the round-trip search over the views of [`round_trip_views`], as views to
/// materialize one after the other (`name`, `select`), then the query of the round's trips and
/// the query of its cuts. With `resume`, only from [`RT_RESUME_VIEW`]'s places on, the payments of
/// [`RT_USED_VIEW`] left out. Each opening (a payment to a party in the countries, neither a
/// hub) sums itself and the later payments within `out_window` to the same or a related party
/// (`sent`); the payments back from the same or a related party, from
/// `max(t + min_gap, last out + 1)` to `t + horizon`, in order, until they reach `min` of it
/// (`back`); a trip when that share is reached without passing `max`. A sender's cut is its
/// first opening that read a payment (itself, or one it summed) that a trip found before it in
/// this round sent; the round's trips are those before the cut.
pub fn round_trip_round(trip: &Trip<'_>, resume: bool) -> (Vec<(String, String)>, String, String) {
    let countries = if trip.party_countries.is_empty() {
        "true".to_string()
    } else {
        in_list("o.ctry", trip.party_countries.iter().map(String::as_str))
    };
    let (outs, start) = if resume {
        (
            format!(
                "SELECT o.* FROM aml_rt_outs o LEFT SEMI JOIN {RT_RESUME_VIEW} r ON r.sender = o.sender \
                 LEFT ANTI JOIN {RT_USED_VIEW} u ON u.txn_id = o.txn_id"
            ),
            format!(
                " JOIN {RT_RESUME_VIEW} r ON r.sender = o.sender AND {} >= named_struct('t', r.t, 'p', r.p, 'f', r.f, 'r', r.r)",
                order_key("o")
            ),
        )
    } else {
        ("SELECT * FROM aml_rt_outs".to_string(), String::new())
    };
    let key = order_key;
    let entry = |a: &str, ext: &str, id: &str, label: &str| {
        format!(
            "named_struct('t', {a}.ts_us, 'p', {a}.part_idx, 'f', {a}.file, 'r', {a}.row_idx, 'id', {a}.txn_id, \
               'n', concat({a}.{ext}, ':', {a}.{id}), 'l', {a}.{label})"
        )
    };
    let steps = vec![
        ("aml_rt_o".to_string(), outs),
        (
            "aml_rt_op".to_string(),
            format!("SELECT o.* FROM aml_rt_o o{start} WHERE NOT o.to_hub AND {countries}"),
        ),
        (
            "aml_rt_sent".to_string(),
            format!(
                "SELECT p.sender, p.txn_id AS opening, p.txn_id, p.ts_us, p.part_idx, p.file, p.row_idx, p.base_amount, \
                   p.to_ext, p.to_id, p.to_label FROM aml_rt_op p \
                 UNION ALL SELECT p.sender, p.txn_id AS opening, e.txn_id, e.ts_us, e.part_idx, e.file, e.row_idx, e.base_amount, \
                   e.to_ext, e.to_id, e.to_label \
                 FROM aml_rt_op p JOIN aml_rt_o e ON e.sender = p.sender AND e.ts_us >= p.ts_us AND e.ts_us <= p.ts_us + {out_window} \
                   AND {ke} > {kp} AND ((e.to_ext = p.to_ext AND e.to_id = p.to_id) OR {rel_out})",
                out_window = trip.out_window,
                ke = key("e"),
                kp = key("p"),
                rel_out = related_sql(trip, "p", "e"),
            ),
        ),
        (
            "aml_rt_bk".to_string(),
            format!(
                "WITH tot AS (SELECT sender, opening, sum(CAST(base_amount AS DECIMAL(38, 0))) AS total_sent, \
                   max(ts_us) AS last_out FROM aml_rt_sent GROUP BY sender, opening), \
                 tr AS (SELECT p.*, t.total_sent, t.last_out FROM aml_rt_op p JOIN tot t ON t.sender = p.sender AND t.opening = p.txn_id) \
                 SELECT t.sender, t.txn_id AS opening, t.total_sent, i.txn_id, i.ts_us, i.part_idx, i.file, i.row_idx, \
                   i.from_ext, i.from_id, i.from_label, \
                   sum(CAST(i.base_amount AS DECIMAL(38, 0))) OVER bw AS run, row_number() OVER bw AS bn \
                 FROM tr t JOIN aml_rt_ins i ON i.receiver = t.sender \
                   AND i.ts_us >= greatest(t.ts_us + {min_gap}, t.last_out + 1) AND i.ts_us <= t.ts_us + {horizon} \
                   AND ((i.from_ext = t.to_ext AND i.from_id = t.to_id) OR {rel_back}) \
                 WINDOW bw AS (PARTITION BY t.sender, t.txn_id ORDER BY i.ts_us, i.part_idx, i.file, i.row_idx)",
                min_gap = trip.min_gap,
                horizon = trip.horizon,
                rel_back = related_sql(trip, "t", "i"),
            ),
        ),
        (
            "aml_rt_ok".to_string(),
            format!(
                "WITH st AS (SELECT sender, opening, min(CASE WHEN run * 10000 >= total_sent * {min_bp} THEN bn END) AS stop_bn \
                   FROM aml_rt_bk GROUP BY sender, opening) \
                 SELECT b.sender, b.opening, b.total_sent, b.run AS total_back, b.ts_us AS returned_at, b.bn AS stop_bn \
                 FROM aml_rt_bk b JOIN st s ON s.sender = b.sender AND s.opening = b.opening AND b.bn = s.stop_bn \
                 WHERE b.run * 10000 <= b.total_sent * {max_bp}",
                min_bp = trip.min_returned_basis_points,
                max_bp = trip.max_returned_basis_points,
            ),
        ),
        (
            "aml_rt_cut".to_string(),
            format!(
                "WITH ss AS (SELECT s.* FROM aml_rt_sent s LEFT SEMI JOIN aml_rt_ok k ON k.sender = s.sender AND k.opening = s.opening), \
                 cf AS (SELECT r.sender, {kj} AS at FROM aml_rt_sent r \
                   JOIN ss ON ss.sender = r.sender AND ss.txn_id = r.txn_id AND ss.opening <> r.opening \
                   JOIN aml_rt_op pk ON pk.txn_id = ss.opening JOIN aml_rt_op pj ON pj.txn_id = r.opening \
                   WHERE {kk} < {kj}) \
                 SELECT sender, min(at) AS at FROM cf GROUP BY sender",
                kj = key("pj"),
                kk = key("pk"),
            ),
        ),
    ];
    let trips = format!(
        "WITH sl AS (SELECT s.sender, s.opening, array_sort(collect_list({se})) AS l FROM aml_rt_sent s \
           LEFT SEMI JOIN aml_rt_ok k ON k.sender = s.sender AND k.opening = s.opening GROUP BY s.sender, s.opening), \
         bl AS (SELECT b.sender, b.opening, array_sort(collect_list({be})) AS l FROM aml_rt_bk b \
           JOIN aml_rt_ok k ON k.sender = b.sender AND k.opening = b.opening AND b.bn <= k.stop_bn \
           GROUP BY b.sender, b.opening) \
         SELECT k.sender, p.ts_us AS win_start, k.returned_at, CAST(k.total_sent AS STRING) AS sent, \
           CAST(k.total_back AS STRING) AS returned, \
           transform(sl.l, x -> x.id) AS sent_txns, transform(sl.l, x -> x.n) AS sent_nodes, transform(sl.l, x -> x.l) AS sent_labels, \
           transform(bl.l, x -> x.id) AS back_txns, transform(bl.l, x -> x.n) AS back_nodes, transform(bl.l, x -> x.l) AS back_labels \
         FROM aml_rt_ok k JOIN aml_rt_op p ON p.sender = k.sender AND p.txn_id = k.opening \
         JOIN sl ON sl.sender = k.sender AND sl.opening = k.opening \
         JOIN bl ON bl.sender = k.sender AND bl.opening = k.opening \
         LEFT JOIN aml_rt_cut c ON c.sender = k.sender \
         WHERE c.at IS NULL OR {kp} < c.at",
        se = entry("s", "to_ext", "to_id", "to_label"),
        be = entry("b", "from_ext", "from_id", "from_label"),
        kp = key("p"),
    );
    let cuts = "SELECT sender, at.t AS t, CAST(at.p AS BIGINT) AS p, at.f AS f, CAST(at.r AS BIGINT) AS r FROM aml_rt_cut".to_string();
    (steps, trips, cuts)
}

/// A flow-through plan's parameters.
pub struct Flow<'a> {
    /// Inflows summed over this trailing window (`None`: one transaction).
    pub inflow_window: Option<Micros>,
    pub min_inflow: i64,
    pub outflow: &'a [Predicate],
    pub min_out_basis_points: i64,
    pub horizon: Micros,
    pub via_own_accounts: bool,
    pub routine: Option<FlowRoutine>,
}

/// The transfers between two accounts whose originator and beneficiary are the same person
/// (`a`, `b`, `ts_us`, `txn_id`): what links one customer's own accounts (the Polars engine's
/// `own_accounts`: both accounts present, the same person, two different accounts).
fn same_person_links() -> String {
    format!(
        "SELECT orig_account AS a, bene_account AS b, ts_us, txn_id FROM {ROWS_VIEW} \
         WHERE orig_account <> '' AND bene_account <> '' AND orig_account <> bene_account AND {}",
        predicate_sql(&Predicate::SamePerson(true))
    )
}

/// The view of the holders' own-accounts groups (`node`, `grp`), see [`own_groups`].
pub const OWN_GROUPS_VIEW: &str = "aml_own_groups";
/// The view of the transfers that link a holder's accounts ([`same_person_links`]).
pub const OWN_LINKS_VIEW: &str = "aml_own_links";

/// The accounts linked by same-person transfers, in groups (`OwnAccounts::link` of the Polars
/// engine): each account of a group of at most [`OWN_ACCOUNTS_MAX`] accounts with its group's
/// name, the group's smallest account (larger groups, strangers sharing a common name, are
/// left out). `pairs` are the distinct linked pairs of accounts: far fewer than transactions.
pub fn own_groups(pairs: &[(String, String)]) -> Vec<(String, String)> {
    fn root(parent: &mut BTreeMap<String, String>, k: &str) -> String {
        let mut at = k.to_string();
        while let Some(p) = parent.get(&at) {
            if *p == at {
                break;
            }
            at = p.clone();
        }
        parent.insert(k.to_string(), at.clone());
        at
    }
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    for (a, b) in pairs {
        for k in [a, b] {
            parent.entry(k.clone()).or_insert_with(|| k.clone());
        }
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            // the smaller account is the root, so a group is named by its smallest account
            let (small, large) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent.insert(large, small);
        }
    }
    let keys: Vec<String> = parent.keys().cloned().collect();
    let groups: Vec<(String, String)> = keys
        .into_iter()
        .map(|k| {
            let r = root(&mut parent, &k);
            (k, r)
        })
        .collect();
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, r) in &groups {
        *sizes.entry(r.as_str()).or_default() += 1;
    }
    groups
        .iter()
        .filter(|(_, r)| sizes[r.as_str()] <= OWN_ACCOUNTS_MAX)
        .cloned()
        .collect()
}

/// The hits of a flow-through plan (`flow::detect` of the Polars engine): `subject`,
/// `win_start`, `win_end`, `txns` (the outflows counted, and with the holder's other accounts
/// the transfers between them in the window), `own_accounts` (null unless money left from
/// another of the holder's accounts) and with a routine `earlier` (the days of earlier
/// pass-throughs in the baseline), routine hits left out.
///
/// Anchors are the selected inflows of at least `min_inflow` (or each selected row's trailing
/// sum, from the window's first row), joined to the outflows of the same account (or group) in
/// `(t, t + horizon]`; an anchor passes when `outflow * 10000 >= inflow * bp` in decimals. As in
/// the Polars engine, identical anchors (two inflows at one time with one amount) are one, so
/// their outflows are summed once, and a hit's transactions are those of every anchor of its
/// subject and time.
pub fn flow_through_select(plan: &RulePlan, flow: &Flow<'_>) -> String {
    let selected = selected_select(plan, &[]);
    let min = flow.min_inflow;
    let anchors = match flow.inflow_window {
        None => format!(
            "SELECT DISTINCT subject, ts_us AS anchor_ts, ts_us AS anchor_start, CAST(base_amount AS DECIMAL(38, 0)) AS inflow \
             FROM sel WHERE base_amount >= {min}"
        ),
        Some(length) => format!(
            "SELECT DISTINCT * FROM (SELECT subject, ts_us AS anchor_ts, min(ts_us) OVER w AS anchor_start, \
               sum(CAST(base_amount AS DECIMAL(38, 0))) OVER w AS inflow FROM sel \
               WINDOW w AS (PARTITION BY subject ORDER BY ts_us RANGE BETWEEN {length} PRECEDING AND CURRENT ROW)) AS a \
             WHERE inflow >= {min}"
        ),
    };
    let mut outflow = vec!["orig_account <> ''".to_string()];
    outflow.extend(flow.outflow.iter().map(predicate_sql));
    let mut sql = String::from("WITH ");
    if flow.via_own_accounts {
        let _ = write!(
            sql,
            "own AS (SELECT * FROM {OWN_GROUPS_VIEW}), \
             lk AS (SELECT g.grp, l.ts_us, l.txn_id FROM {OWN_LINKS_VIEW} l JOIN own g ON g.node = l.a), "
        );
    }
    let group = |frame: &str, key: &str| {
        if flow.via_own_accounts {
            format!("SELECT f.*, coalesce(g.grp, f.{key}) AS grp FROM {frame} f LEFT JOIN own g ON g.node = f.{key}")
        } else {
            format!("SELECT *, {key} AS grp FROM {frame}")
        }
    };
    let _ = write!(
        sql,
        "sel AS ({selected}), anchors AS ({anchors}), ga AS ({}), \
         outs AS (SELECT orig_account AS out_key, ts_us AS out_ts, base_amount AS out_amount, txn_id AS out_txn \
                  FROM {ROWS_VIEW} WHERE {}), go AS ({}), \
         pairs AS (SELECT a.subject, a.anchor_ts, a.anchor_start, a.inflow, o.out_key, o.out_ts, o.out_amount, o.out_txn \
                   FROM ga a JOIN go o ON o.grp = a.grp AND o.out_ts > a.anchor_ts AND o.out_ts <= a.anchor_ts + {horizon}), \
         passing AS (SELECT subject, anchor_ts, anchor_start, max(out_ts) AS last_out FROM pairs \
                     GROUP BY subject, anchor_ts, anchor_start, inflow \
                     HAVING sum(CAST(out_amount AS DECIMAL(38, 0))) * 10000 >= inflow * {bp}), \
         counted AS (SELECT p.subject, p.anchor_ts, collect_set(p.out_txn) AS txns, \
                       array_sort(collect_set(CASE WHEN p.out_key <> p.subject THEN p.out_key END)) AS others \
                     FROM pairs p LEFT SEMI JOIN passing q ON q.subject = p.subject AND q.anchor_ts = p.anchor_ts \
                     GROUP BY p.subject, p.anchor_ts)",
        group("anchors", "subject"),
        outflow.join(" AND "),
        group("outs", "out_key"),
        horizon = flow.horizon,
        bp = flow.min_out_basis_points,
    );
    let (mut txns, mut own, mut joins) = (
        "c.txns".to_string(),
        "CAST(NULL AS STRING)".to_string(),
        String::new(),
    );
    if flow.via_own_accounts {
        // the transfers between the holder's accounts in the hit's window, when money left
        // from another of them (`OwnAccounts::links_between`)
        let _ = write!(
            sql,
            ", linked AS (SELECT p.subject, p.anchor_ts, p.anchor_start, p.last_out, collect_set(l.txn_id) AS ltxns \
                FROM (SELECT DISTINCT subject, anchor_ts, anchor_start, last_out FROM passing) p \
                JOIN own g ON g.node = p.subject \
                JOIN lk l ON l.grp = g.grp AND l.ts_us >= p.anchor_start AND l.ts_us <= p.last_out \
                GROUP BY p.subject, p.anchor_ts, p.anchor_start, p.last_out)"
        );
        txns = "CASE WHEN size(c.others) > 0 THEN array_union(c.txns, coalesce(k.ltxns, CAST(array() AS ARRAY<STRING>))) ELSE c.txns END".into();
        own = "CASE WHEN size(c.others) > 0 THEN concat_ws(', ', concat(array(p.subject), c.others)) END".into();
        joins.push_str(
            " LEFT JOIN linked k ON k.subject = p.subject AND k.anchor_ts = p.anchor_ts \
              AND k.anchor_start = p.anchor_start AND k.last_out = p.last_out",
        );
    }
    let (mut earlier, mut keep) = ("CAST(NULL AS BIGINT)".to_string(), String::new());
    if let Some(r) = flow.routine {
        // the distinct UTC days of passing anchors in [t - baseline, t) whose money had left
        // before t (`earlier_passing`)
        let _ = write!(
            sql,
            ", earlier AS (SELECT p.subject, p.anchor_ts, count(DISTINCT {day}) AS earlier \
                FROM (SELECT DISTINCT subject, anchor_ts FROM passing) p \
                LEFT JOIN passing q ON q.subject = p.subject AND q.anchor_ts >= p.anchor_ts - {baseline} \
                  AND q.anchor_ts < p.anchor_ts AND q.last_out < p.anchor_ts \
                GROUP BY p.subject, p.anchor_ts)",
            day = utc_day("q.anchor_ts"),
            baseline = r.baseline
        );
        earlier = "r.earlier".into();
        joins.push_str(" JOIN earlier r ON r.subject = p.subject AND r.anchor_ts = p.anchor_ts");
        keep = format!(" WHERE r.earlier < {}", r.count);
    }
    let _ = write!(
        sql,
        " SELECT p.subject, p.anchor_start AS win_start, p.last_out AS win_end, {txns} AS txns, \
           {own} AS own_accounts, {earlier} AS earlier \
         FROM passing p JOIN counted c ON c.subject = p.subject AND c.anchor_ts = p.anchor_ts{joins}{keep}"
    );
    sql
}

/// A flow-through episode's inflows (the Polars engine's evidence stream): the subject's
/// selected rows in its span, of at least `min_inflow` each when inflows are single rows.
pub fn flow_evidence_select(plan: &RulePlan, flow: &Flow<'_>, episodes: &str) -> String {
    let least = match flow.inflow_window {
        None => format!(" AND s.base_amount >= {}", flow.min_inflow),
        Some(_) => String::new(),
    };
    format!(
        "SELECT e.ep, s.txn_id FROM {episodes} e JOIN ({}) s \
         ON s.subject = e.subject AND s.ts_us >= e.win_start AND s.ts_us <= e.win_end{least}",
        selected_select(plan, &[])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_groups_are_whole_components_named_by_their_smallest_account() {
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        // B-A-C linked through A; a chain of nine accounts K1..K9 is too many for one holder
        let mut pairs = vec![pair("B", "A"), pair("C", "B")];
        pairs.extend((1..9).map(|k| pair(&format!("K{k}"), &format!("K{}", k + 1))));
        let groups = own_groups(&pairs);
        assert_eq!(
            groups,
            vec![pair("A", "A"), pair("B", "A"), pair("C", "A")],
            "{groups:?}"
        );
        // eight is not too many
        let eight: Vec<(String, String)> = (1..8)
            .map(|k| pair(&format!("K{k}"), &format!("K{}", k + 1)))
            .collect();
        assert_eq!(own_groups(&eight).len(), 8);
        assert!(own_groups(&eight).iter().all(|(_, g)| g == "K1"));
    }

    #[test]
    fn a_flow_through_without_own_accounts_or_routine_reads_no_group_view() {
        let plan = RulePlan {
            rule_id: "r".into(),
            pack: "p".into(),
            typology: crate::model::Typology::RapidMovement,
            subject: crate::rules::plan::Subject::Beneficiary,
            filter: vec![],
            detector: Detector::PerTransaction,
            segments: vec![],
        };
        let flow = Flow {
            inflow_window: None,
            min_inflow: 5,
            outflow: &[],
            min_out_basis_points: 8_000,
            horizon: DAY,
            via_own_accounts: false,
            routine: None,
        };
        let sql = flow_through_select(&plan, &flow);
        assert!(!sql.contains(OWN_GROUPS_VIEW) && !sql.contains("earlier AS"));
        assert!(sql.contains("o.out_ts > a.anchor_ts AND o.out_ts <= a.anchor_ts + 86400000000"));
        assert!(sql.contains(">= inflow * 8000"));
    }
}
