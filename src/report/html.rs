//! The self-contained HTML report: one file with inline CSS and JavaScript, no network access.
//!
//! The run summary is rendered here, escaped. Cases and rule documentation are embedded as JSON
//! in `<script type="application/json">` blocks (with `<`, `>` and `&` escaped so no data can
//! close the element) and rendered by `assets/report.js` a page at a time, with `textContent`
//! only, so the report stays fast at tens of thousands of cases and input text is never markup.
//! `report.html#case=C-…` opens a case directly.

use super::escape::{html_text, json_for_script};
use crate::cases::{Band, Case};
use crate::model::{Manifest, RuleInfo};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};

const CSS: &str = include_str!("assets/report.css");
const JS: &str = include_str!("assets/report.js");

/// Renders the report for a run (the whole page in memory; [`write_html`] streams it).
///
/// # Panics
///
/// If a case's evidence was spilled to a file that can no longer be read (a run's cases only:
/// [`write_html`] returns that error instead).
pub fn render_html(manifest: &Manifest, cases: &[Case], rules: &[RuleInfo]) -> String {
    let mut bytes = Vec::new();
    write_html(&mut bytes, manifest, cases, rules)
        .expect("writing to memory fails only if spilled evidence cannot be read back");
    String::from_utf8(bytes).expect("the report is UTF-8")
}

/// Writes the report for a run to `w`. The page is written as it is made: the cases' data a
/// few cases at a time, so the memory it takes does not grow with the number of cases.
pub fn write_html<W: Write>(
    w: &mut W,
    manifest: &Manifest,
    cases: &[Case],
    rules: &[RuleInfo],
) -> io::Result<()> {
    let title = if manifest.started_at.is_empty() {
        "amlscreen report".to_string()
    } else {
        format!("amlscreen report · {}", manifest.started_at)
    };
    let mut head = String::with_capacity(CSS.len() + 32_768);
    head.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    head.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    head.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n",
    );
    let _ = writeln!(head, "<title>{}</title>", html_text(&title));
    let _ = writeln!(head, "<style>\n{CSS}</style>\n</head>\n<body>");
    head.push_str(&header(manifest, cases));
    head.push_str("<main>\n");
    head.push_str(&summary(manifest, cases, rules));
    head.push_str(CASE_LIST);
    head.push_str("<section id=\"case-view\" class=\"case-view\" hidden></section>\n");
    head.push_str("</main>\n");
    head.push_str("<script type=\"application/json\" id=\"case-data\">");
    w.write_all(head.as_bytes())?;
    drop(head);
    write_cases_script_json(w, cases)?;
    let rule_json = json_for_script(&rules_json(rules).to_string());
    write!(
        w,
        "</script>\n<script type=\"application/json\" id=\"rule-data\">{rule_json}</script>\n\
         <script>\n{JS}</script>\n</body>\n</html>\n"
    )
}

const CASE_LIST: &str = r#"<section id="case-list" class="panel">
<div class="panel-head"><h2>Cases</h2><span id="case-count" class="muted"></span></div>
<div class="toolbar" role="search">
<input id="filter-text" type="search" placeholder="Search case id, account or name" aria-label="Search cases">
<select id="filter-band" aria-label="Band"><option value="">All bands</option><option value="critical">Critical</option><option value="high">High</option><option value="medium">Medium</option><option value="low">Low</option></select>
<select id="filter-typology" aria-label="Typology"><option value="">All typologies</option></select>
<select id="sort-by" aria-label="Sort"><option value="score-desc">Score, highest first</option><option value="score-asc">Score, lowest first</option><option value="total-desc">Amount, largest first</option><option value="alerts-desc">Most alerts first</option><option value="band-asc">Band, most urgent first</option><option value="typology-asc">Typology</option><option value="last-desc">Most recent activity first</option><option value="id-asc">Case id</option></select>
</div>
<table class="grid" id="case-table">
<thead><tr><th data-sort="id">Case</th><th data-sort="band">Band</th><th data-sort="score" class="num">Score</th><th>Subject</th><th data-sort="typology">Typologies</th><th data-sort="alerts" class="num">Alerts</th><th class="num">Txns</th><th data-sort="total" class="num">Amount</th><th data-sort="last">Activity</th></tr></thead>
<tbody id="case-rows"></tbody>
</table>
<div class="pager"><button id="page-prev" type="button">&#8592; Previous</button><span id="page-info"></span><button id="page-next" type="button">Next &#8594;</button></div>
</section>
"#;

fn header(manifest: &Manifest, cases: &[Case]) -> String {
    let mut meta = Vec::new();
    if !manifest.started_at.is_empty() {
        meta.push(format!("Run {}", manifest.started_at));
    }
    if !manifest.version.is_empty() {
        meta.push(format!(
            "{} {}",
            if manifest.tool.is_empty() {
                "amlscreen"
            } else {
                &manifest.tool
            },
            manifest.version
        ));
    }
    if !manifest.base_currency.is_empty() {
        meta.push(format!("Base currency {}", manifest.base_currency));
    }
    meta.push(format!("{} cases", cases.len()));
    format!(
        "<header class=\"topbar\"><a class=\"brand\" href=\"#\">amlscreen<span>screening report</span></a>\
         <div class=\"run-meta\">{}</div></header>\n",
        html_text(&meta.join(" · "))
    )
}

fn summary(manifest: &Manifest, cases: &[Case], rules: &[RuleInfo]) -> String {
    let mut by_band: BTreeMap<Band, usize> = BTreeMap::new();
    for case in cases {
        *by_band.entry(case.band).or_default() += 1;
    }
    let mut s = String::from(
        "<section id=\"summary\" class=\"panel\">\n<div class=\"panel-head\"><h2>Run summary</h2>",
    );
    if !manifest.finished_at.is_empty() {
        let _ = write!(
            s,
            "<span class=\"muted\">{} → {}</span>",
            html_text(&manifest.started_at),
            html_text(&manifest.finished_at)
        );
    }
    s.push_str("</div>\n<div class=\"kpis\">\n");
    let quarantine_share = if manifest.rows_read > 0 {
        format!(
            "{:.2}% of rows read",
            manifest.rows_quarantined as f64 * 100.0 / manifest.rows_read as f64
        )
    } else {
        String::new()
    };
    kpi(&mut s, "Rows read", &group_int(manifest.rows_read), "");
    kpi(&mut s, "Accepted", &group_int(manifest.rows_accepted), "");
    kpi(
        &mut s,
        "Quarantined",
        &group_int(manifest.rows_quarantined),
        &quarantine_share,
    );
    kpi(&mut s, "Alerts", &group_int(manifest.alerts_total), "");
    kpi(&mut s, "Cases", &group_int(cases.len() as u64), "");
    let bands = Band::ALL
        .iter()
        .map(|b| format!("{} {}", by_band.get(b).copied().unwrap_or(0), b))
        .collect::<Vec<_>>()
        .join(" · ");
    let urgent = by_band.get(&Band::Critical).copied().unwrap_or(0)
        + by_band.get(&Band::High).copied().unwrap_or(0);
    kpi(&mut s, "Critical + high", &group_int(urgent as u64), &bands);
    s.push_str("</div>\n<div class=\"summary-grid\">\n");

    s.push_str(&quarantine_table(manifest));
    let titles: HashMap<&str, &str> = rules
        .iter()
        .map(|r| (r.rule_id.as_str(), r.title.as_str()))
        .collect();
    let per_rule: Vec<(String, String, u64)> = manifest
        .alerts_per_rule
        .iter()
        .map(|(id, n)| {
            (
                id.clone(),
                titles.get(id.as_str()).copied().unwrap_or("").to_string(),
                *n,
            )
        })
        .collect();
    s.push_str(&bar_table("Alerts per rule", "Rule", &per_rule));
    let per_typology: Vec<(String, String, u64)> = manifest
        .alerts_per_typology
        .iter()
        .map(|(t, n)| {
            let label = crate::model::Typology::parse(t)
                .map(|t| t.label())
                .unwrap_or("");
            (t.clone(), label.to_string(), *n)
        })
        .collect();
    s.push_str(&bar_table("Alerts per typology", "Typology", &per_typology));
    s.push_str(&inputs_table(manifest));
    s.push_str(&customers_table(manifest));
    s.push_str(&suppressed_table(manifest));
    s.push_str(&sources_table(manifest));
    if !manifest.stage_seconds.is_empty() {
        let stages = manifest
            .stage_seconds
            .iter()
            .map(|(stage, secs)| format!("{stage} {secs:.2} s"))
            .collect::<Vec<_>>()
            .join(" · ");
        let _ = writeln!(
            s,
            "<p class=\"stages muted\">Stage times: {}</p>",
            html_text(&stages)
        );
    }
    s.push_str("</div>\n</section>\n");
    s
}

fn kpi(s: &mut String, label: &str, value: &str, note: &str) {
    let _ = writeln!(
        s,
        "<div class=\"kpi\"><div class=\"kpi-label\">{}</div><div class=\"kpi-value\">{}</div><div class=\"kpi-note\">{}</div></div>",
        html_text(label),
        html_text(value),
        html_text(note)
    );
}

fn inputs_table(manifest: &Manifest) -> String {
    let mut s = String::from(
        "<div class=\"card wide\"><h3>Inputs</h3><table class=\"grid compact\"><thead><tr><th>File</th><th>Format</th>\
         <th class=\"num\">Read</th><th class=\"num\">Accepted</th><th class=\"num\">Quarantined</th><th>SHA-256</th></tr></thead><tbody>\n",
    );
    if manifest.inputs.is_empty() {
        s.push_str("<tr><td colspan=\"6\" class=\"muted\">No inputs recorded.</td></tr>\n");
    }
    for input in &manifest.inputs {
        let _ = writeln!(
            s,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"mono muted\" title=\"{}\">{}</td></tr>",
            html_text(&input.path),
            html_text(&input.format),
            group_int(input.rows_read),
            group_int(input.rows_accepted),
            group_int(input.rows_quarantined),
            html_text(&input.sha256),
            html_text(input.sha256.get(..12).unwrap_or(&input.sha256)),
        );
    }
    s.push_str("</tbody></table></div>\n");
    s
}

/// The customer file's risk ratings: customers per level and the highest-rated ones, each with
/// the factors behind its score. Empty without a customer file.
fn customers_table(manifest: &Manifest) -> String {
    let Some(c) = &manifest.customers else {
        return String::new();
    };
    let levels = c
        .risk_levels
        .iter()
        .map(|(level, n)| format!("{} {level}", group_int(*n)))
        .collect::<Vec<_>>()
        .join(" · ");
    let mut s = format!(
        "<div class=\"card wide\" id=\"customers\"><h3>Customers by risk</h3><p class=\"muted\">{} customers read from {} ({} quarantined): {}. All ratings are in customers_risk.csv.</p>\
         <table class=\"grid compact\"><thead><tr><th>Customer</th><th>Name</th><th class=\"num\">Score</th><th>Why</th></tr></thead><tbody>\n",
        group_int(c.rows_accepted),
        html_text(&c.file),
        group_int(c.rows_quarantined),
        html_text(&levels)
    );
    if c.highest_risk.is_empty() {
        s.push_str(
            "<tr><td colspan=\"4\" class=\"muted\">No customer is rated high risk.</td></tr>\n",
        );
    }
    for r in &c.highest_risk {
        let _ = writeln!(
            s,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            html_text(&r.customer_id),
            html_text(&r.name),
            r.score,
            html_text(&r.factors.join("; ")),
        );
    }
    s.push_str("</tbody></table></div>\n");
    s
}

/// Alerts that an analyst's documented false-positive pattern kept out of tonight's report:
/// listed, never dropped silently. Empty when there are none.
fn suppressed_table(manifest: &Manifest) -> String {
    let Some(list) = manifest
        .nightly
        .as_ref()
        .map(|n| &n.suppressed_by_disposition)
        .filter(|l| !l.is_empty())
    else {
        return String::new();
    };
    let mut s = format!(
        "<div class=\"card wide\"><h3>Suppressed by analyst dispositions ({})</h3><table class=\"grid compact\"><thead><tr><th>Alert</th><th>Rule</th><th>Subject</th>\
         <th>Episode end</th><th>By</th><th>Reason</th><th>Analyst</th><th>Until</th></tr></thead><tbody>\n",
        list.len()
    );
    for a in list {
        let _ = writeln!(
            s,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html_text(&a.alert_id),
            html_text(&a.rule_id),
            html_text(&a.subject),
            html_text(&a.window_end),
            html_text(&a.by),
            html_text(&a.reason),
            html_text(&a.analyst),
            html_text(&a.until),
        );
    }
    s.push_str("</tbody></table></div>\n");
    s
}

fn quarantine_table(manifest: &Manifest) -> String {
    let mut reasons: BTreeMap<&str, u64> = BTreeMap::new();
    for input in &manifest.inputs {
        for (reason, n) in &input.quarantined_by_reason {
            *reasons.entry(reason.as_str()).or_default() += n;
        }
    }
    let rows: Vec<(String, String, u64)> = reasons
        .into_iter()
        .map(|(r, n)| (r.to_string(), String::new(), n))
        .collect();
    if rows.is_empty() {
        return "<div class=\"card\"><h3>Quarantined rows by reason</h3><p class=\"muted\">No rows were quarantined.</p></div>\n"
            .to_string();
    }
    bar_table("Quarantined rows by reason", "Reason", &rows)
}

fn bar_table(title: &str, key_label: &str, rows: &[(String, String, u64)]) -> String {
    let max = rows.iter().map(|r| r.2).max().unwrap_or(0).max(1);
    let mut s = format!(
        "<div class=\"card\"><h3>{}</h3><div class=\"scroll\"><table class=\"grid compact bars\"><thead><tr><th>{}</th><th class=\"num\">Count</th><th class=\"bar-col\"></th></tr></thead><tbody>\n",
        html_text(title),
        html_text(key_label)
    );
    if rows.is_empty() {
        s.push_str("<tr><td colspan=\"3\" class=\"muted\">None.</td></tr>\n");
    }
    for (key, label, n) in rows {
        let width = (*n as f64 * 100.0 / max as f64).round() as u64;
        let label_html = if label.is_empty() {
            String::new()
        } else {
            format!(" <span class=\"sub\">{}</span>", html_text(label))
        };
        let _ = writeln!(
            s,
            "<tr><td class=\"key\" title=\"{}\"><span class=\"mono\">{}</span>{}</td><td class=\"num\">{}</td><td class=\"bar-col\"><div class=\"bar\" style=\"width:{}%\"></div></td></tr>",
            html_text(&if label.is_empty() { key.clone() } else { format!("{key}: {label}") }),
            html_text(key),
            label_html,
            group_int(*n),
            width
        );
    }
    s.push_str("</tbody></table></div></div>\n");
    s
}

fn sources_table(manifest: &Manifest) -> String {
    let summary_line = format!(
        "Rule packs and watchlists: {} rule {}, {} {}",
        manifest.rule_packs.len(),
        if manifest.rule_packs.len() == 1 {
            "pack"
        } else {
            "packs"
        },
        manifest.watchlists.len(),
        if manifest.watchlists.len() == 1 {
            "watchlist"
        } else {
            "watchlists"
        },
    );
    let mut s = format!(
        "<details class=\"card wide\"><summary>{}</summary><table class=\"grid compact\"><thead><tr><th>Kind</th><th>Id</th><th>File</th>\
         <th class=\"num\">Entries</th><th>SHA-256</th><th>Warnings</th></tr></thead><tbody>\n",
        html_text(&summary_line)
    );
    let all = manifest
        .rule_packs
        .iter()
        .map(|d| ("Rule pack", d))
        .chain(manifest.watchlists.iter().map(|d| ("Watchlist", d)));
    let mut any = false;
    for (kind, d) in all {
        any = true;
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"mono muted\" title=\"{}\">{}</td><td>{}</td></tr>",
            kind,
            html_text(&d.id),
            html_text(&d.path),
            group_int(d.entries),
            html_text(&d.sha256),
            html_text(d.sha256.get(..12).unwrap_or(&d.sha256)),
            html_text(&d.warnings.join("; "))
        );
    }
    if !any {
        s.push_str("<tr><td colspan=\"6\" class=\"muted\">None recorded.</td></tr>\n");
    }
    s.push_str("</tbody></table></details>\n");
    s
}

/// `1234567` → `1,234,567`.
fn group_int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// How many cases are made into JSON at a time (in parallel) before they are written.
const CASES_PER_CHUNK: usize = 256;

/// Writes the cases and the typology labels as JSON, escaped for a script element: one
/// `{"cases": [...], "typologyLabels": {...}}` value. The cases are made a chunk at a time,
/// each chunk's cases in parallel, and written in order, so the same cases always give the
/// same bytes and only a chunk's text is held at once.
fn write_cases_script_json<W: Write>(w: &mut W, cases: &[Case]) -> io::Result<()> {
    w.write_all(b"{\"cases\":[")?;
    let mut separator = "";
    for chunk in cases.chunks(CASES_PER_CHUNK) {
        let texts: Vec<String> = chunk
            .par_iter()
            .map(|case| case_json(case).map(|json| json_for_script(&json.to_string())))
            .collect::<io::Result<_>>()?;
        for text in texts {
            w.write_all(separator.as_bytes())?;
            w.write_all(text.as_bytes())?;
            separator = ",";
        }
    }
    let labels: BTreeMap<&str, &str> = crate::model::Typology::ALL
        .iter()
        .map(|t| (t.as_str(), t.label()))
        .collect();
    let labels = json_for_script(&json!(labels).to_string());
    write!(w, "],\"typologyLabels\":{labels}}}")
}

/// One case in the compact form `report.js` reads: arrays instead of objects for alerts,
/// transactions and counterparties, and alert evidence as indexes into the case's transactions.
/// A case's spilled records are read back here.
fn case_json(c: &Case) -> io::Result<Value> {
    let records = c.transactions.records()?;
    let txn_index: HashMap<&str, usize> = records
        .iter()
        .enumerate()
        .map(|(i, t)| (t.txn_id.as_str(), i))
        .collect();
    let alerts: Vec<Value> = c
        .alerts
        .iter()
        .map(|a| {
            let evidence: Vec<usize> = a
                .txn_ids
                .iter()
                .filter_map(|id| txn_index.get(id).copied())
                .collect();
            json!([
                a.alert_id,
                a.rule_id,
                a.typology.as_str(),
                a.window_start,
                a.window_end,
                a.txn_count,
                a.total_amount,
                a.score,
                a.severity,
                a.summary,
                a.details,
                evidence
            ])
        })
        .collect();
    let txns: Vec<Value> = records
        .iter()
        .map(|t| {
            json!([
                t.txn_id,
                t.timestamp,
                t.amount,
                t.currency,
                t.amount_base,
                t.channel.as_str(),
                t.orig_account,
                t.orig_name,
                t.orig_country,
                t.bene_account,
                t.bene_name,
                t.bene_country,
                t.branch
            ])
        })
        .collect();
    let cps: Vec<Value> = c
        .counterparties
        .iter()
        .map(|p| {
            json!([
                p.account,
                p.name,
                p.country,
                p.txn_count,
                p.received_from,
                p.sent_to,
                p.total_amount
            ])
        })
        .collect();
    Ok(json!({
        "id": c.case_id,
        "score": c.score,
        "band": c.band.as_str(),
        "why": c
            .score_reasons
            .iter()
            .map(|r| json!([r.signal.as_str(), r.points, r.text]))
            .collect::<Vec<_>>(),
        "typ": c.typologies.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "acc": c.subject.accounts,
        "names": c.subject.names,
        "ctry": c.subject.countries,
        "first": c.first_activity,
        "last": c.last_activity,
        "total": c.total_amount,
        "cur": c.currency,
        "narr": c.narrative,
        "missing": c.missing_txn_ids,
        "alerts": alerts,
        "txns": txns,
        "cps": cps,
    }))
}

fn rules_json(rules: &[RuleInfo]) -> Value {
    let map: BTreeMap<&str, Value> = rules
        .iter()
        .map(|r| {
            (
                r.rule_id.as_str(),
                json!({
                    "pack": r.pack,
                    "typology": r.typology,
                    "kind": r.kind,
                    "title": r.title,
                    "detects": r.detects,
                    "why": r.why,
                    "parameters": r.parameters,
                    "severity": r.severity,
                    "score": r.score,
                    "references": r.references,
                }),
            )
        })
        .collect();
    Value::Object(map.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
