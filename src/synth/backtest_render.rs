//! Rendering a [`BacktestReport`] as a terminal table or a self-contained HTML page with inline
//! SVG charts (and, for a sweep, alert volume against recall).

use super::backtest::{BacktestReport, BacktestRow, SweepResult};
use super::ranking::RankingScores;
use std::fmt::Write as _;

fn percent(value: Option<f64>) -> String {
    value
        .map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "-".to_string())
}

/// A fixed-width text table: per typology, then per rule, then totals.
pub fn render_table(report: &BacktestReport) -> String {
    let mut out = String::new();
    let header = format!(
        "{:<28} {:>7} {:>7} {:>5} {:>6} {:>6} {:>6} {:>8} {:>9} {:>8} {:>9}",
        "",
        "alerts",
        "matched",
        "co",
        "false",
        "inst",
        "found",
        "recall",
        "precision",
        "per 1k",
        "false/1k"
    );
    let line = |out: &mut String, r: &BacktestRow| {
        let _ = writeln!(
            out,
            "{:<28} {:>7} {:>7} {:>5} {:>6} {:>6} {:>6} {:>8} {:>9} {:>8.2} {:>9.2}",
            truncate(&r.key, 28),
            r.alerts,
            r.matched_alerts,
            r.co_alerts,
            r.false_alerts,
            r.instances,
            r.found,
            percent(r.recall),
            percent(r.precision),
            r.alerts_per_1k_accounts,
            r.false_alerts_per_1k_accounts
        );
    };
    let _ = writeln!(
        out,
        "Backtest over {} accounts: {} alerts, {} planted instances",
        report.accounts_total, report.alerts_total, report.instances_total
    );
    let _ = writeln!(out, "\nBy typology\n{header}");
    for r in &report.per_typology {
        line(&mut out, r);
    }
    let _ = writeln!(out, "\nBy rule\n{header}");
    for r in &report.per_rule {
        line(&mut out, r);
    }
    let _ = writeln!(
        out,
        "\nFound {} of {} instances (recall {}); precision {}; {} alerts on clean customers.",
        report.found_total,
        report.instances_total,
        percent(report.recall),
        percent(report.precision),
        report.false_alerts_total
    );
    let t = &report.transactions;
    let _ = writeln!(
        out,
        "Transactions: {} of {} planted transactions flagged (recall {}); {} flagged in all (precision {}); F1 {}.",
        t.flagged_planted,
        t.planted,
        percent(t.recall),
        t.flagged,
        percent(t.precision),
        percent(t.f1)
    );
    if let Some(r) = &report.ranking {
        let _ = writeln!(out, "{}", ranking_sentence(r));
        if !r.false_in_top_100.is_empty() {
            let shown: Vec<String> = r
                .false_in_top_100
                .iter()
                .take(10)
                .map(|c| {
                    format!(
                        "#{} {} ({:.1}, {})",
                        c.rank,
                        c.case_id,
                        c.score,
                        c.typologies.join("+")
                    )
                })
                .collect();
            let more = r.false_in_top_100.len().saturating_sub(10);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "False cases in the top 100: {}{more}",
                shown.join(", ")
            );
        }
    }
    let missed: Vec<&str> = report
        .per_typology
        .iter()
        .flat_map(|r| r.missed_instances.iter().map(String::as_str))
        .collect();
    if !missed.is_empty() {
        let shown: Vec<&str> = missed.iter().take(20).copied().collect();
        let more = if missed.len() > 20 {
            format!(" and {} more", missed.len() - 20)
        } else {
            String::new()
        };
        let _ = writeln!(out, "Missed: {}{more}", shown.join(", "));
    }
    out
}

/// One sentence on the case ranking: `Ranking: 539 cases, 498 true; precision@50 100.0%, …`.
fn ranking_sentence(r: &RankingScores) -> String {
    let ap = r
        .average_precision
        .map(|v| format!("{v:.4}"))
        .unwrap_or_else(|| "-".to_string());
    format!(
        "Ranking: {} cases, {} true (a planted account is the subject); precision@50 {}, @100 {}, @{} {}; average precision {ap}.",
        r.cases,
        r.true_cases,
        percent(r.precision_at_50),
        percent(r.precision_at_100),
        r.true_cases,
        percent(r.precision_at_true),
    )
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(width - 1).collect();
        t.push('~');
        t
    }
}

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart: one bar per `(label, value)`, scaled to `max` (or the largest value).
fn bar_chart(
    title: &str,
    bars: &[(String, f64, String)],
    max: Option<f64>,
    colour: &str,
) -> String {
    let row_h = 22.0;
    let label_w = 210.0;
    let bar_w = 420.0;
    let height = 30.0 + row_h * bars.len() as f64;
    let top = max
        .unwrap_or_else(|| bars.iter().map(|b| b.1).fold(0.0, f64::max))
        .max(f64::MIN_POSITIVE);
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\">",
        esc(title),
        label_w + bar_w + 170.0
    );
    for (i, (label, value, text)) in bars.iter().enumerate() {
        let y = 20.0 + row_h * i as f64;
        let w = (value / top * bar_w).clamp(0.0, bar_w);
        let _ = write!(
            svg,
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\" font-size=\"12\">{}</text><rect x=\"{label_w}\" y=\"{:.0}\" width=\"{w:.1}\" height=\"{:.0}\" fill=\"{colour}\"><title>{}: {}</title></rect><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"12\">{}</text>",
            label_w - 6.0,
            y + 12.0,
            esc(label),
            y,
            row_h - 6.0,
            esc(label),
            esc(text),
            label_w + w + 4.0,
            y + 12.0,
            esc(text)
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

/// A line plot of recall (y) against alert volume (x), one point per sweep setting.
fn sweep_plot(sweep: &SweepResult) -> String {
    let (w, h, pad) = (640.0, 360.0, 50.0);
    let mut points: Vec<(f64, f64, String)> = sweep
        .points
        .iter()
        .map(|p| {
            let setting: Vec<String> = p.setting.iter().map(|(k, v)| format!("{k}={v}")).collect();
            (p.alerts as f64, p.recall.unwrap_or(0.0), setting.join(", "))
        })
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let max_x = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let sx = |x: f64| pad + x / max_x * (w - 2.0 * pad);
    let sy = |y: f64| h - pad - y * (h - 2.0 * pad);
    let mut svg = format!(
        "<figure><figcaption>Alert volume against recall, one point per setting</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\">\
<line x1=\"{pad}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#333\"/><line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{0}\" stroke=\"#333\"/>\
<text x=\"{2}\" y=\"{3}\" text-anchor=\"middle\" font-size=\"12\">alerts (max {max_x:.0})</text>\
<text x=\"14\" y=\"{4}\" font-size=\"12\" transform=\"rotate(-90 14 {4})\" text-anchor=\"middle\">recall</text>\
<text x=\"{5}\" y=\"{6}\" font-size=\"11\" text-anchor=\"end\">100%</text><text x=\"{5}\" y=\"{0}\" font-size=\"11\" text-anchor=\"end\">0%</text>",
        h - pad,
        w - pad,
        w / 2.0,
        h - 12.0,
        h / 2.0,
        pad - 4.0,
        sy(1.0) + 4.0,
    );
    let path: Vec<String> = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", sx(p.0), sy(p.1)))
        .collect();
    if points.len() > 1 {
        let _ = write!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f6fb2\" stroke-width=\"2\"/>",
            path.join(" ")
        );
    }
    for (x, y, label) in &points {
        let _ = write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#1f6fb2\"><title>{}: {:.0} alerts, recall {:.1}%</title></circle>",
            sx(*x),
            sy(*y),
            esc(label),
            x,
            y * 100.0
        );
    }
    svg.push_str("</svg></figure>");
    let mut table = String::from("<table><tr>");
    for p in &sweep.parameters {
        let _ = write!(table, "<th>{}</th>", esc(p));
    }
    table.push_str("<th>alerts</th><th>recall</th><th>precision</th></tr>");
    for point in &sweep.points {
        table.push_str("<tr>");
        for p in &sweep.parameters {
            let value = point
                .setting
                .iter()
                .find(|(k, _)| k == p)
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            let _ = write!(table, "<td>{}</td>", esc(value));
        }
        let _ = write!(
            table,
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            point.alerts,
            percent(point.recall),
            percent(point.precision)
        );
    }
    table.push_str("</table>");
    svg + &table
}

fn html_rows(rows: &[BacktestRow]) -> String {
    let mut out = String::from(
        "<table class=\"scores\"><tr><th>key</th><th>typology</th><th>alerts</th><th>matched</th><th>co-alerts</th><th>false</th><th>instances</th><th>found</th><th>missed</th><th>recall</th><th>precision</th><th>alerts / 1k accts</th><th>false / 1k accts</th></tr>",
    );
    for r in rows {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td title=\"{}\">{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td></tr>",
            esc(&r.key),
            esc(&r.typology),
            r.alerts,
            r.matched_alerts,
            r.co_alerts,
            r.false_alerts,
            r.instances,
            r.found,
            esc(&r.missed_instances.join(", ")),
            r.missed,
            percent(r.recall),
            percent(r.precision),
            r.alerts_per_1k_accounts,
            r.false_alerts_per_1k_accounts
        );
    }
    out.push_str("</table>");
    out
}

/// A self-contained HTML page (no scripts, no external files) with tables and inline SVG charts.
pub fn render_html(report: &BacktestReport, sweep: Option<&SweepResult>) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>amlscreen backtest</title><style>\
body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}\
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f0f0f0}td:first-child,th:first-child,.scores td:nth-child(2),.scores th:nth-child(2){text-align:left}\
figure{margin:1.5em 0}figcaption{font-weight:600;margin-bottom:.4em}</style></head><body>",
    );
    let _ = write!(
        html,
        "<h1>Backtest</h1><p>{} accounts, {} alerts, {} planted instances. Found {} (recall {}), precision {}, {} alerts on customers where nothing was planted.</p>\
<p>Transactions: {} of {} planted flagged (recall {}), precision {}, F1 {}.</p>",
        report.accounts_total,
        report.alerts_total,
        report.instances_total,
        report.found_total,
        percent(report.recall),
        percent(report.precision),
        report.false_alerts_total,
        report.transactions.flagged_planted,
        report.transactions.planted,
        percent(report.transactions.recall),
        percent(report.transactions.precision),
        percent(report.transactions.f1),
    );
    let recall_bars: Vec<(String, f64, String)> = report
        .per_typology
        .iter()
        .filter(|r| r.instances > 0)
        .map(|r| {
            (
                r.key.clone(),
                r.recall.unwrap_or(0.0),
                format!("{} ({}/{})", percent(r.recall), r.found, r.instances),
            )
        })
        .collect();
    html.push_str(&bar_chart(
        "Recall by typology",
        &recall_bars,
        Some(1.0),
        "#2e8b57",
    ));
    let volume_bars: Vec<(String, f64, String)> = report
        .per_rule
        .iter()
        .map(|r| {
            (
                r.key.clone(),
                r.alerts_per_1k_accounts,
                format!(
                    "{:.2} ({:.2} false)",
                    r.alerts_per_1k_accounts, r.false_alerts_per_1k_accounts
                ),
            )
        })
        .collect();
    html.push_str(&bar_chart(
        "Alerts per 1,000 accounts by rule",
        &volume_bars,
        None,
        "#c0504d",
    ));
    if let Some(r) = &report.ranking {
        let _ = write!(
            html,
            "<h2>Case ranking</h2><p>Cases in the report's order (score, then case id). A case is true when a planted account is its subject.</p>\
<table><tr><th>cases</th><th>true cases</th><th>precision@50</th><th>precision@100</th><th>precision@{}</th><th>average precision</th></tr>\
<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
            r.true_cases,
            r.cases,
            r.true_cases,
            percent(r.precision_at_50),
            percent(r.precision_at_100),
            percent(r.precision_at_true),
            r.average_precision
                .map(|v| format!("{v:.4}"))
                .unwrap_or_else(|| "-".to_string()),
        );
        if !r.false_in_top_100.is_empty() {
            html.push_str(
                "<table><tr><th>rank</th><th>false case</th><th>score</th><th>typologies</th></tr>",
            );
            for c in &r.false_in_top_100 {
                let _ = write!(
                    html,
                    "<tr><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td></tr>",
                    c.rank,
                    esc(&c.case_id),
                    c.score,
                    esc(&c.typologies.join(", "))
                );
            }
            html.push_str("</table>");
        }
    }
    html.push_str("<h2>By typology</h2>");
    html.push_str(&html_rows(&report.per_typology));
    html.push_str("<h2>By rule</h2>");
    html.push_str(&html_rows(&report.per_rule));
    if let Some(sweep) = sweep {
        html.push_str("<h2>Parameter sweep</h2>");
        html.push_str(&sweep_plot(sweep));
    }
    html.push_str("<p><small>Matched: the alert finds a planted instance of its own typology. Co-alert: it touches a planted instance of another typology only. False: it touches nothing planted.</small></p></body></html>");
    html
}
