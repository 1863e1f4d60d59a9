//! The HTML report: escaping, the embedded data, and a headless Chromium run that opens a case
//! from the URL hash, checks the console, the case list and the timeline, and takes a screenshot.

use crate::cases::{fixture_cases, fixture_inputs};
use amlscreen::cases::{build_cases, Case};
use amlscreen::model::{Alert, Channel, InputSummary, Manifest, RuleInfo, TxnRecord, Typology};
use amlscreen::report::render_html;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const HOSTILE: &str = "<script>alert(1)</script>";
const HOSTILE_IMG: &str = "<img src=x onerror=alert(2)> \"quoted\" & more";

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture_manifest() -> Manifest {
    let path = manifest_dir().join("tests/fixtures/cases/manifest.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture_rules() -> Vec<RuleInfo> {
    fixture_inputs().2
}

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("report")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create test output folder");
    dir
}

/// Fixture cases with hostile text planted in the ACC-4001 case's names, narrative and evidence.
fn cases_with_hostile_names() -> (Vec<Case>, String) {
    let mut cases = fixture_cases();
    let case = cases
        .iter_mut()
        .find(|c| c.subject.accounts.iter().any(|a| a == "ACC-4001"))
        .expect("cash case");
    case.subject.names = vec![HOSTILE.to_string()];
    case.narrative = format!("{HOSTILE} deposited cash. {HOSTILE_IMG}");
    std::sync::Arc::make_mut(&mut case.transactions.to_mut().unwrap()[0]).orig_name =
        HOSTILE_IMG.to_string();
    case.alerts[0].summary = format!("</script><script>alert(3)</script>{HOSTILE_IMG}");
    let id = case.case_id.clone();
    (cases, id)
}

#[test]
fn input_text_is_escaped_in_the_html() {
    let (cases, _) = cases_with_hostile_names();
    let mut manifest = fixture_manifest();
    manifest.inputs.push(InputSummary {
        path: "<b>evil</b>.csv".to_string(),
        format: "csv".to_string(),
        quarantined_by_reason: vec![("<i>reason</i>".to_string(), 3)],
        ..InputSummary::default()
    });
    let mut rules = fixture_rules();
    rules[0].why = "</script><script>alert(4)</script>".to_string();
    let html = render_html(&manifest, &cases, &rules);

    assert!(!html.contains("<script>alert"), "a script element leaked");
    assert!(!html.contains("<img src=x"), "an img element leaked");
    assert!(!html.contains("<b>evil"), "summary markup leaked");
    assert!(html.contains("&lt;b&gt;evil&lt;/b&gt;.csv"));
    assert!(html.contains("&lt;i&gt;reason&lt;/i&gt;"));
    // Exactly the report's own three script elements: case data, rule data, code.
    assert_eq!(html.matches("<script").count(), 3);
    assert_eq!(html.matches("</script>").count(), 3);
    assert!(html.contains("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"));
    assert!(html.contains("\\u0026 more"));
    // No network: no external URLs in src or href attributes, and a restrictive policy.
    assert!(!html.contains("src=\"http"));
    assert!(!html.contains("href=\"http"));
    assert!(html.contains("default-src 'none'"));
}

/// The case data of `html`, parsed.
fn case_data(html: &str) -> serde_json::Value {
    let open = "<script type=\"application/json\" id=\"case-data\">";
    let start = html.find(open).expect("case data") + open.len();
    let end = start + html[start..].find("</script>").expect("end of case data");
    serde_json::from_str(&html[start..end]).expect("case data is JSON")
}

#[test]
fn case_data_written_a_chunk_at_a_time_is_one_json_value_in_case_order() {
    // the report writes its cases' data a few hundred at a time: 600 cases cross two chunk
    // boundaries, where a lost or doubled separator would break the JSON
    let (alerts, txns) = synthetic_inputs(600);
    let rules = synthetic_rules();
    let cases = build_cases(&alerts, &txns, &rules);
    assert_eq!(cases.len(), 600);
    let manifest = synthetic_manifest(&alerts, cases.len());
    let html = render_html(&manifest, &cases, &rules);
    let value = case_data(&html);
    let ids: Vec<&str> = value["cases"]
        .as_array()
        .expect("cases array")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    let expected: Vec<&str> = cases.iter().map(|c| c.case_id.as_str()).collect();
    assert_eq!(ids, expected);
    assert!(value["typologyLabels"]["structuring"].is_string());
    // streamed to a file, the same bytes
    let mut written = Vec::new();
    amlscreen::report::write_html(&mut written, &manifest, &cases, &rules).unwrap();
    assert_eq!(written, html.as_bytes());
}

#[test]
fn embedded_case_data_is_valid_json_with_every_case() {
    let cases = fixture_cases();
    let html = render_html(&fixture_manifest(), &cases, &fixture_rules());
    let value = case_data(&html);
    let ids: Vec<&str> = value["cases"]
        .as_array()
        .expect("cases array")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    let expected: Vec<&str> = cases.iter().map(|c| c.case_id.as_str()).collect();
    assert_eq!(ids, expected);
    // The run summary is rendered in the page itself.
    for needle in [
        "Run summary",
        "sample-data/transactions-2026-03.csv",
        "bad_amount",
        "CASH-STRUCT-01",
        "structuring",
    ] {
        assert!(html.contains(needle), "summary lacks {needle}");
    }
}

#[test]
fn an_empty_run_still_renders() {
    let html = render_html(&Manifest::default(), &[], &[]);
    assert!(html.contains("Run summary"));
    assert!(html.contains("No inputs recorded."));
    assert!(html.contains("<script type=\"application/json\" id=\"case-data\">{\"cases\":[]"));
    assert_eq!(
        html,
        render_html(&Manifest::default(), &[], &[]),
        "rendering is deterministic"
    );
}

/// Deterministic synthetic alerts and transactions for `subjects` subject accounts, with names,
/// countries, channels and typologies of a plausible retail-bank month.
pub fn synthetic_inputs(subjects: usize) -> (Vec<Alert>, HashMap<String, TxnRecord>) {
    const FIRST: [&str; 16] = [
        "Maria", "James", "Aisha", "Chen", "Olga", "Mohammed", "Sofia", "Daniel", "Priya", "Lucas",
        "Fatima", "Noah", "Elena", "Kwame", "Yuki", "Omar",
    ];
    const LAST: [&str; 16] = [
        "Lopez", "Smith", "Khan", "Wei", "Ivanova", "Haddad", "Rossi", "Okafor", "Sharma", "Silva",
        "Nowak", "Brown", "Petrov", "Mensah", "Tanaka", "Farouk",
    ];
    const FIRMS: [&str; 8] = [
        "Seaview Holdings Ltd",
        "Blue Harbor Trading LLC",
        "Kestrel Imports Ltd",
        "Northwind Logistics",
        "Atlas Commodities SA",
        "Golden Reef Ventures",
        "Lotus Garments Co",
        "Meridian Consulting GmbH",
    ];
    const COUNTRIES: [&str; 10] = ["US", "GB", "AE", "HK", "KY", "PA", "DE", "CN", "IR", "MX"];
    let kinds: [(Typology, Channel, f64, &str); 10] = [
        (Typology::Structuring, Channel::Cash, 70.0, "high"),
        (Typology::CashThreshold, Channel::Cash, 30.0, "low"),
        (Typology::Smurfing, Channel::Cash, 65.0, "high"),
        (Typology::RapidMovement, Channel::Wire, 60.0, "medium"),
        (Typology::FanIn, Channel::Ach, 55.0, "medium"),
        (Typology::FanOut, Channel::Mobile, 50.0, "medium"),
        (Typology::HighRiskGeography, Channel::Wire, 60.0, "medium"),
        (Typology::RoundAmounts, Channel::Wire, 35.0, "low"),
        (
            Typology::DormantReactivation,
            Channel::Crypto,
            45.0,
            "medium",
        ),
        (Typology::Sanctions, Channel::Wire, 95.0, "critical"),
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: u64| -> u64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let base = 1_772_323_200_i64; // 2026-03-01T00:00:00Z
    let mut alerts = Vec::new();
    let mut txns = HashMap::new();
    let mut txn_no = 0usize;
    for s in 0..subjects {
        let account = format!("ACC-{:06}", 100_000 + s);
        let name = format!("{} {}", FIRST[next(16) as usize], LAST[next(16) as usize]);
        let home = if next(5) == 0 {
            COUNTRIES[next(10) as usize]
        } else {
            "US"
        };
        let alert_count = 1 + (next(10) / 6) as usize + usize::from(next(12) == 0);
        for a in 0..alert_count {
            let kind = kinds[if next(40) == 0 { 9 } else { next(9) as usize }];
            let start = base + next(27 * 86_400) as i64;
            let n = 2 + next(6) as usize;
            let mut ids = Vec::new();
            let mut total = 0.0;
            for k in 0..n {
                txn_no += 1;
                let id = format!("TX{txn_no:08}");
                let ts = start + (k as i64) * (3_600 + next(30 * 3_600) as i64);
                let amount = match kind.0 {
                    Typology::Structuring | Typology::Smurfing => 8_000.0 + next(1_990) as f64,
                    Typology::CashThreshold => 10_000.0 + next(15_000) as f64,
                    Typology::RoundAmounts => (5 + next(20)) as f64 * 1_000.0,
                    _ => 1_000.0 + next(60_000) as f64 + next(100) as f64 / 100.0,
                };
                total += amount;
                let other_country = COUNTRIES[next(10) as usize];
                let (cp_account, cp_name) = if next(2) == 0 {
                    (
                        format!("EXT-{:05}", next(90_000)),
                        FIRMS[next(8) as usize].to_string(),
                    )
                } else {
                    (
                        format!("ACC-{:06}", 200_000 + next(50_000)),
                        format!("{} {}", FIRST[next(16) as usize], LAST[next(16) as usize]),
                    )
                };
                let incoming = matches!(
                    kind.0,
                    Typology::Structuring
                        | Typology::Smurfing
                        | Typology::CashThreshold
                        | Typology::FanIn
                ) || (k % 2 == 0 && kind.0 != Typology::FanOut);
                let channel = if kind.1 == Channel::Cash || next(4) != 0 {
                    kind.1
                } else {
                    Channel::Wire
                };
                let (oa, on, oc, ba, bn, bc) = if channel == Channel::Cash {
                    (
                        String::new(),
                        name.clone(),
                        home.to_string(),
                        account.clone(),
                        name.clone(),
                        home.to_string(),
                    )
                } else if incoming {
                    (
                        cp_account,
                        cp_name,
                        other_country.to_string(),
                        account.clone(),
                        name.clone(),
                        home.to_string(),
                    )
                } else {
                    (
                        account.clone(),
                        name.clone(),
                        home.to_string(),
                        cp_account,
                        cp_name,
                        other_country.to_string(),
                    )
                };
                let amount_text = format!("{amount:.2}");
                txns.insert(
                    id.clone(),
                    TxnRecord {
                        txn_id: id.clone(),
                        timestamp: amlscreen::model::format_timestamp(ts * 1_000_000),
                        amount: amount_text.clone(),
                        currency: "USD".to_string(),
                        amount_base: amount_text,
                        channel,
                        orig_account: oa,
                        orig_name: on,
                        orig_country: oc,
                        bene_account: ba,
                        bene_name: bn,
                        bene_country: bc,
                        branch: [
                            "Miami Downtown",
                            "Houston Galleria",
                            "New York Midtown",
                            "Chicago Loop",
                        ][next(4) as usize]
                            .to_string(),
                    },
                );
                ids.push(id);
            }
            let end = start + (n as i64) * 20 * 3_600;
            alerts.push(Alert {
                alert_id: format!("{:016x}", (s as u64) << 8 | a as u64),
                rule_id: format!("R-{}", kind.0.as_str().to_uppercase().replace('_', "-")),
                pack: "core".to_string(),
                typology: kind.0,
                subject_account: account.clone(),
                subject_name: name.clone(),
                window_start: amlscreen::model::format_timestamp(start * 1_000_000),
                window_end: amlscreen::model::format_timestamp(end * 1_000_000),
                txn_count: n as u64,
                total_amount: format!("{total:.2}"),
                currency: "USD".to_string(),
                score: kind.2,
                txn_ids: ids.into(),
                summary: format!(
                    "{} transactions totalling {:.2} USD matched {}.",
                    n,
                    total,
                    kind.0.label()
                ),
                severity: kind.3.to_string(),
                details: Vec::new(),
            });
        }
    }
    (alerts, txns)
}

fn synthetic_rules() -> Vec<RuleInfo> {
    Typology::ALL
        .iter()
        .map(|t| RuleInfo {
            rule_id: format!("R-{}", t.as_str().to_uppercase().replace('_', "-")),
            pack: "core".to_string(),
            typology: t.as_str().to_string(),
            kind: "window".to_string(),
            title: format!("Detects {}", t.label()),
            detects: format!("Activity matching the {} pattern.", t.label()),
            why: format!("{} is a recognised money-laundering typology.", t.label()),
            parameters: vec![("window".to_string(), "7d".to_string())],
            severity: "medium".to_string(),
            score: 50.0,
            references: vec!["FATF typologies".to_string()],
        })
        .collect()
}

fn synthetic_manifest(alerts: &[Alert], cases: usize) -> Manifest {
    let mut per_rule: std::collections::BTreeMap<String, u64> = Default::default();
    let mut per_typology: std::collections::BTreeMap<String, u64> = Default::default();
    for a in alerts {
        *per_rule.entry(a.rule_id.clone()).or_default() += 1;
        *per_typology
            .entry(a.typology.as_str().to_string())
            .or_default() += 1;
    }
    let mut manifest = fixture_manifest();
    manifest.alerts_per_rule = per_rule.into_iter().collect();
    manifest.alerts_per_typology = per_typology.into_iter().collect();
    manifest.alerts_total = alerts.len() as u64;
    manifest.cases_total = cases as u64;
    manifest
}

/* ---------- headless Chromium ---------- */

fn chromium_binary() -> String {
    if let Ok(path) = std::env::var("CHROMIUM") {
        return path;
    }
    for candidate in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(candidate)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
        {
            return candidate.to_string();
        }
    }
    panic!("headless Chromium not found: install it with `apt-get install -y chromium` (.ci/run does this in CI), or set CHROMIUM to its path");
}

/// Runs headless Chromium on `url` with extra arguments; returns (stdout, stderr).
fn chromium(url: &str, extra: &[&str]) -> (String, String) {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let profile = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "chromium-profile-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).expect("profile dir");
    let out_path = profile.with_extension("stdout");
    let err_path = profile.with_extension("stderr");
    let mut child = Command::new(chromium_binary())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start Chromium ({e}); install it with `apt-get install -y chromium`")
        });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match child.try_wait().expect("wait for Chromium") {
            Some(_) => break,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("Chromium did not finish within 120 s on {url}");
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&profile);
    (stdout, stderr)
}

fn file_url(path: &Path, fragment: &str) -> String {
    let absolute = path.canonicalize().expect("absolute path");
    let encoded: String = absolute
        .display()
        .to_string()
        .chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '#' => "%23".to_string(),
            '%' => "%25".to_string(),
            '?' => "%3F".to_string(),
            c => c.to_string(),
        })
        .collect();
    format!("file://{encoded}{fragment}")
}

/// Console messages (errors, uncaught exceptions, CSP violations) in Chromium's log.
fn console_problems(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Content Security Policy")
        })
        .collect()
}

fn case_rows(dom: &str) -> usize {
    let start = dom
        .find("<tbody id=\"case-rows\">")
        .expect("case rows in DOM");
    let end = start + dom[start..].find("</tbody>").expect("end of case rows");
    dom[start..end].matches("<tr ").count()
}

fn attribute_of(dom: &str, element_id: &str, attribute: &str) -> String {
    let start = dom
        .find(&format!("id=\"{element_id}\""))
        .unwrap_or_else(|| panic!("#{element_id} not in DOM"));
    let tag_start = dom[..start].rfind('<').expect("tag start");
    let tag_end = start + dom[start..].find('>').expect("tag end");
    let tag = &dom[tag_start..tag_end];
    let key = format!("{attribute}=\"");
    let at = tag
        .find(&key)
        .unwrap_or_else(|| panic!("#{element_id} has no {attribute}: {tag}"));
    let rest = &tag[at + key.len()..];
    rest[..rest.find('"').expect("closing quote")].to_string()
}

#[test]
fn chromium_opens_a_case_from_the_hash() {
    let (cases, hostile_id) = cases_with_hostile_names();
    let dir = out_dir("chromium");
    let html_path = dir.join("report.html");
    std::fs::write(
        &html_path,
        render_html(&fixture_manifest(), &cases, &fixture_rules()),
    )
    .expect("write report");

    // The top case, opened directly.
    let top = &cases[0];
    let (dom, stderr) = chromium(
        &file_url(&html_path, &format!("#case={}", top.case_id)),
        &["--dump-dom"],
    );
    assert!(
        console_problems(&stderr).is_empty(),
        "console errors:\n{}",
        console_problems(&stderr).join("\n")
    );
    assert_eq!(
        attribute_of(&dom, "case-count", "data-count"),
        cases.len().to_string()
    );
    assert_eq!(case_rows(&dom), cases.len());
    let view = &dom[dom.find("id=\"case-view\"").expect("case view")..];
    assert!(
        view.contains("<svg class=\"timeline\""),
        "the case view has no timeline svg"
    );
    assert_eq!(
        view.matches("<circle").count(),
        top.transactions.len(),
        "one dot per evidence transaction"
    );
    assert!(view.contains(&format!("<h2>{}</h2>", top.case_id)));
    assert!(
        view.contains("data-channel=\"WIRE\""),
        "legend lists the channels"
    );
    assert!(
        view.contains("Why it matters"),
        "rule documentation is shown"
    );

    // The case with hostile names shows them as text.
    let (dom, stderr) = chromium(
        &file_url(&html_path, &format!("#case={hostile_id}")),
        &["--dump-dom"],
    );
    assert!(
        console_problems(&stderr).is_empty(),
        "console errors:\n{}",
        console_problems(&stderr).join("\n")
    );
    let view = &dom[dom.find("id=\"case-view\"").expect("case view")..];
    assert!(
        view.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "hostile name not shown as text"
    );
    assert!(view.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(
        !view.contains("<img"),
        "an img element was created from data"
    );
    assert!(
        !view.contains("<script>alert"),
        "a script element was created from data"
    );

    // A screenshot of the case view.
    let png = dir.join("case.png");
    let (_, stderr) = chromium(
        &file_url(&html_path, &format!("#case={}", top.case_id)),
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1400,1000",
            "--hide-scrollbars",
        ],
    );
    let bytes = std::fs::read(&png)
        .unwrap_or_else(|e| panic!("no screenshot at {} ({e}):\n{stderr}", png.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "screenshot is not a PNG"
    );
    assert!(
        bytes.len() > 20_000,
        "screenshot looks empty ({} bytes)",
        bytes.len()
    );
}

#[test]
fn ten_thousand_cases_load_a_page_at_a_time() {
    let (alerts, txns) = synthetic_inputs(10_000);
    let rules = synthetic_rules();
    let cases = build_cases(&alerts, &txns, &rules);
    assert_eq!(cases.len(), 10_000);
    let html = render_html(&synthetic_manifest(&alerts, cases.len()), &cases, &rules);
    assert!(
        html.len() < 80 * 1024 * 1024,
        "report is {} bytes",
        html.len()
    );
    let dir = out_dir("scale");
    let html_path = dir.join("report.html");
    std::fs::write(&html_path, &html).expect("write report");

    let started = Instant::now();
    let (dom, stderr) = chromium(
        &file_url(&html_path, &format!("#case={}", cases[9_999].case_id)),
        &["--dump-dom"],
    );
    let elapsed = started.elapsed();
    assert!(
        console_problems(&stderr).is_empty(),
        "console errors:\n{}",
        console_problems(&stderr).join("\n")
    );
    assert_eq!(attribute_of(&dom, "case-count", "data-count"), "10000");
    assert_eq!(case_rows(&dom), 50, "one page of rows, not the whole list");
    assert!(dom.contains("<svg class=\"timeline\""));
    assert!(
        elapsed < Duration::from_secs(60),
        "Chromium took {elapsed:?}"
    );
}

/// Writes `docs/report-screenshot.png` from a realistic synthetic run. Run on demand:
/// `cargo test docs_screenshot -- --ignored`.
#[test]
#[ignore = "writes docs/report-screenshot.png"]
fn docs_screenshot() {
    let (alerts, txns) = synthetic_inputs(400);
    let rules = synthetic_rules();
    let (fixture_alerts, fixture_txns, fixture_rules) = fixture_inputs();
    let mut all_alerts = alerts;
    all_alerts.extend(fixture_alerts);
    let mut all_txns = txns;
    all_txns.extend(fixture_txns);
    let mut all_rules = rules;
    all_rules.extend(fixture_rules);
    let cases = build_cases(&all_alerts, &all_txns, &all_rules);
    let dir = out_dir("docs");
    let html_path = dir.join("report.html");
    let mut manifest = synthetic_manifest(&all_alerts, cases.len());
    manifest.rows_read = 48_213;
    manifest.rows_accepted = 48_167;
    manifest.rows_quarantined = 46;
    manifest.inputs[0].rows_read = 48_213;
    manifest.inputs[0].rows_accepted = 48_167;
    manifest.inputs[0].rows_quarantined = 46;
    manifest.inputs[0].quarantined_by_reason = vec![
        ("bad_amount".to_string(), 21),
        ("bad_timestamp".to_string(), 17),
        ("duplicate_txn_id".to_string(), 8),
    ];
    std::fs::write(&html_path, render_html(&manifest, &cases, &all_rules)).expect("write report");
    let target = std::env::var("SCREENSHOT_CASE").unwrap_or_default();
    let fragment = if target.is_empty() {
        let lopez = cases
            .iter()
            .find(|c| c.subject.accounts.iter().any(|a| a == "ACC-1001"))
            .expect("fixture case");
        format!("#case={}", lopez.case_id)
    } else if target == "list" {
        String::new()
    } else {
        format!("#case={target}")
    };
    let png = manifest_dir().join("docs/report-screenshot.png");
    std::fs::create_dir_all(png.parent().expect("docs")).expect("docs folder");
    let (_, stderr) = chromium(
        &file_url(&html_path, &fragment),
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1400,1000",
            "--hide-scrollbars",
        ],
    );
    assert!(png.exists(), "no screenshot written:\n{stderr}");
}

/* ---------- money-flow graph ---------- */

/// A node of the drawn money-flow graph: its index, account, and whether it is a subject.
#[derive(Debug, PartialEq)]
struct FlowNode {
    index: usize,
    account: String,
    subject: bool,
    more: bool,
    x: f64,
}

/// An edge of the drawn graph: (from node, to node, count, total as drawn).
type FlowEdge = (usize, usize, u64, String);

/// The `<figure class="flow-wrap">` of a dumped case view, if the page drew one.
fn flow_figure(dom: &str) -> Option<&str> {
    let view = &dom[dom.find("id=\"case-view\"").expect("case view")..];
    let start = view.find("<figure class=\"flow-wrap\"")?;
    let end = start + view[start..].find("</figure>").expect("end of figure") + 9;
    Some(&view[start..end])
}

/// The value of `attribute` in the tag starting at `tag` (HTML-unescaped for `&amp;`).
fn tag_attribute(tag: &str, attribute: &str) -> Option<String> {
    let tag = &tag[..tag.find('>').expect("tag end")];
    let key = format!(" {attribute}=\"");
    let at = tag.find(&key)? + key.len();
    let rest = &tag[at..];
    Some(rest[..rest.find('"').expect("closing quote")].replace("&amp;", "&"))
}

/// The nodes and edges of a drawn graph, read back from the SVG's elements.
fn flow_parts(figure: &str) -> (Vec<FlowNode>, Vec<FlowEdge>) {
    let nodes = figure
        .match_indices("<g class=\"node")
        .filter(|(at, m)| matches!(figure.as_bytes()[at + m.len()], b'"' | b' '))
        .map(|(at, _)| {
            let tag = &figure[at..];
            let class = tag_attribute(tag, "class").expect("class");
            let transform = tag_attribute(tag, "transform").expect("transform");
            let x = transform["translate(".len()..transform.find(',').expect("x,y")]
                .parse()
                .expect("x");
            FlowNode {
                index: tag_attribute(tag, "data-node")
                    .expect("data-node")
                    .parse()
                    .expect("index"),
                account: tag_attribute(tag, "data-account").expect("data-account"),
                subject: class.split(' ').any(|c| c == "subject"),
                more: class.split(' ').any(|c| c == "more"),
                x,
            }
        })
        .collect();
    let edges = figure
        .match_indices("<g class=\"edge\"")
        .map(|(at, _)| {
            let tag = &figure[at..];
            let number = |name| {
                tag_attribute(tag, name)
                    .unwrap_or_else(|| panic!("{name}"))
                    .parse::<u64>()
                    .expect("number")
            };
            (
                number("data-from") as usize,
                number("data-to") as usize,
                number("data-count"),
                tag_attribute(tag, "data-total").expect("data-total"),
            )
        })
        .collect();
    (nodes, edges)
}

/// Edges as (from account, to account, count, total), in drawing order.
fn flow_edges_by_account(
    nodes: &[FlowNode],
    edges: &[FlowEdge],
) -> Vec<(String, String, u64, String)> {
    let account = |i: usize| {
        nodes
            .iter()
            .find(|n| n.index == i)
            .map(|n| {
                if n.more {
                    "more".to_string()
                } else {
                    n.account.clone()
                }
            })
            .expect("edge end is a node")
    };
    edges
        .iter()
        .map(|(f, t, n, total)| (account(*f), account(*t), *n, total.clone()))
        .collect()
}

const HOSTILE_PARTY: &str = "<img src=x onerror=alert(5)> & \"Gamma\" \u{202e}Ltd";

/// A four-hop cycle (one party with a hostile name), a scatter-gather and one cash deposit
/// (two parties), screened by the real binary twice.
fn network_runs(dir: &Path) -> [PathBuf; 2] {
    let csv_name = format!("\"{}\"", HOSTILE_PARTY.replace('"', "\"\""));
    let input = dir.join("network.csv");
    std::fs::write(
        &input,
        format!(
            "{}
N1,2026-03-01T10:00:00Z,100000.00,USD,WIRE,ACC-A,Alpha Ltd,JM,ACC-B,Beta Ltd,BS,
N2,2026-03-04T10:00:00Z,97000.00,USD,WIRE,ACC-B,Beta Ltd,BS,ACC-C,{csv_name},KY,
N3,2026-03-09T10:00:00Z,94100.00,USD,WIRE,ACC-C,{csv_name},KY,ACC-D,Delta Ltd,PA,
N4,2026-03-15T10:00:00Z,91300.25,USD,MOBILE,ACC-D,Delta Ltd,PA,ACC-A,Alpha Ltd,JM,
G1,2026-03-01T10:00:00Z,10000.00,USD,WIRE,ACC-S,Source Ltd,JM,ACC-I1,Mid One,JM,
G2,2026-03-01T12:00:00Z,10000.00,USD,MOBILE,ACC-S,Source Ltd,JM,ACC-I2,Mid Two,JM,
G3,2026-03-02T10:00:00Z,10000.00,USD,WIRE,ACC-S,Source Ltd,JM,ACC-I3,Mid Three,JM,
G4,2026-03-04T10:00:00Z,9600.00,USD,WIRE,ACC-I1,Mid One,JM,ACC-T,Sink Ltd,PA,
G5,2026-03-05T10:00:00Z,9600.00,USD,WIRE,ACC-I2,Mid Two,JM,ACC-T,Sink Ltd,PA,
G6,2026-03-06T10:00:00Z,9600.00,USD,WIRE,ACC-I3,Mid Three,JM,ACC-T,Sink Ltd,PA,
C1,2026-03-02T10:00:00Z,10000.00,USD,CASH,,Ann Lee,JM,ACC-1,Ann Lee,JM,KIN-01
",
            crate::common::HEADER
        ),
    )
    .expect("write input");
    ["a", "b"].map(|run| {
        let out = dir.join(run);
        let done = crate::common::amlscreen(&[
            "run",
            input.to_str().expect("utf-8 path"),
            "--out",
            out.to_str().expect("utf-8 path"),
        ]);
        assert_eq!(
            done.status.code(),
            Some(0),
            "{}",
            crate::common::describe(&done)
        );
        out
    })
}

fn dump_case(html_path: &Path, case_id: &str) -> String {
    let (dom, stderr) = chromium(
        &file_url(html_path, &format!("#case={case_id}")),
        &["--dump-dom"],
    );
    assert!(
        console_problems(&stderr).is_empty(),
        "console errors:\n{}",
        console_problems(&stderr).join("\n")
    );
    dom
}

#[test]
fn network_cases_draw_a_money_flow_graph_beside_the_timeline() {
    let dir = out_dir("flow");
    let [a, b] = network_runs(&dir);
    let manifest = |out: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("manifest JSON")
    };
    let report = |out: &Path| {
        crate::trust::without_run_times(
            &std::fs::read_to_string(out.join("report.html")).expect("report"),
            &manifest(out),
        )
    };
    assert!(
        report(&a) == report(&b),
        "report.html differs between two runs"
    );

    let cases = amlscreen::report::read_cases_jsonl(a.join("cases.jsonl")).expect("cases");
    let case_of = |account: &str| {
        cases
            .iter()
            .find(|c| c.subject.accounts.iter().any(|s| s == account))
            .unwrap_or_else(|| panic!("no case for {account}"))
            .case_id
            .clone()
    };

    // The ring: every account is a subject of the case; four nodes on a circle, four edges
    // closing the loop, exact totals; the hostile name is text, without its RTL override.
    let ring = case_of("ACC-A");
    let dom = dump_case(&a.join("report.html"), &ring);
    assert!(dom.contains("<h2>Timeline and money flow</h2>"));
    let figure = flow_figure(&dom).expect("the ring case draws a graph");
    assert!(figure.contains("data-nodes=\"4\" data-edges=\"4\" data-layout=\"circle\""));
    let (nodes, edges) = flow_parts(figure);
    let accounts: Vec<&str> = nodes.iter().map(|n| n.account.as_str()).collect();
    assert_eq!(accounts, ["ACC-A", "ACC-B", "ACC-C", "ACC-D"]);
    assert!(
        nodes.iter().all(|n| n.subject),
        "ring accounts are the case's subjects"
    );
    let edge = |f: &str, t: &str, n: u64, total: &str| {
        (f.to_string(), t.to_string(), n, total.to_string())
    };
    assert_eq!(
        flow_edges_by_account(&nodes, &edges),
        [
            edge("ACC-A", "ACC-B", 1, "100,000.00"),
            edge("ACC-B", "ACC-C", 1, "97,000.00"),
            edge("ACC-C", "ACC-D", 1, "94,100.00"),
            edge("ACC-D", "ACC-A", 1, "91,300.25"),
        ]
    );
    assert_eq!(
        figure.matches("marker-end=\"url(#flow-arrow)\"").count(),
        4,
        "one arrow per edge"
    );
    assert!(
        figure.contains("&lt;img src=x onerror=alert(5)&gt; &amp; \"Gamma\" Ltd · KY"),
        "{figure}"
    );
    assert!(
        figure.contains(">&lt;img src=x onerror=alert(…</text>"),
        "label clipped: {figure}"
    );
    assert!(
        !figure.contains("<img"),
        "an img element was created from a name"
    );
    assert!(
        !figure.contains('\u{202e}'),
        "a bidirectional override reached the drawing"
    );
    // Determinism: the other run's report draws the same bytes.
    let again = dump_case(&b.join("report.html"), &ring);
    assert_eq!(
        Some(figure),
        flow_figure(&again),
        "the graph differs between two runs"
    );

    // Scatter-gather: one subject on the left, three intermediaries, one sink on the right.
    let scatter = case_of("ACC-S");
    let dom = dump_case(&a.join("report.html"), &scatter);
    let figure = flow_figure(&dom).expect("the scatter-gather case draws a graph");
    assert!(figure.contains("data-nodes=\"5\" data-edges=\"6\" data-layout=\"columns\""));
    let (nodes, edges) = flow_parts(figure);
    let subjects: Vec<&str> = nodes
        .iter()
        .filter(|n| n.subject)
        .map(|n| n.account.as_str())
        .collect();
    assert_eq!(subjects, ["ACC-S"]);
    assert_eq!(figure.matches("<g class=\"node subject\"").count(), 1);
    let x = |account: &str| nodes.iter().find(|n| n.account == account).expect("node").x;
    for mid in ["ACC-I1", "ACC-I2", "ACC-I3"] {
        assert!(
            x("ACC-S") < x(mid) && x(mid) < x("ACC-T"),
            "{mid} between source and sink"
        );
    }
    assert_eq!(
        flow_edges_by_account(&nodes, &edges),
        [
            edge("ACC-S", "ACC-I1", 1, "10,000.00"),
            edge("ACC-S", "ACC-I2", 1, "10,000.00"),
            edge("ACC-S", "ACC-I3", 1, "10,000.00"),
            edge("ACC-I1", "ACC-T", 1, "9,600.00"),
            edge("ACC-I2", "ACC-T", 1, "9,600.00"),
            edge("ACC-I3", "ACC-T", 1, "9,600.00"),
        ]
    );

    // A cash deposit has two parties: a timeline and no graph.
    let dom = dump_case(&a.join("report.html"), &case_of("ACC-1"));
    assert!(dom.contains("<h2>Timeline</h2>"));
    assert!(dom.contains("<svg class=\"timeline\""));
    assert_eq!(flow_figure(&dom), None, "two parties draw no graph");
}

#[test]
fn a_flow_graph_gathers_parties_beyond_its_cap_and_sums_exactly() {
    let mut case = fixture_cases().remove(0);
    let subject = case.subject.accounts[0].clone();
    let template = (*case.transactions.records().unwrap()[0]).clone();
    let transfer = |i: usize, to: String, amount: &str| TxnRecord {
        txn_id: format!("F{i:02}"),
        timestamp: format!("2026-03-{:02}T10:{:02}:00Z", 1 + i / 30, i % 30),
        amount: amount.to_string(),
        currency: "USD".to_string(),
        amount_base: amount.to_string(),
        channel: Channel::Wire,
        orig_account: subject.clone(),
        orig_name: "Subject".to_string(),
        orig_country: "JM".to_string(),
        bene_account: to,
        bene_name: format!("Payee {i}"),
        bene_country: "US".to_string(),
        ..template.clone()
    };
    // 40 payees; the first is paid twice with amounts a float sum would round.
    let mut txns = vec![
        transfer(0, "ACC-F00".to_string(), "123456789012.345678"),
        transfer(1, "ACC-F00".to_string(), "0.000001"),
    ];
    for i in 1..40 {
        txns.push(transfer(i + 1, format!("ACC-F{i:02}"), "5000.00"));
    }
    case.alerts[0].txn_ids = txns.iter().map(|t| t.txn_id.clone()).collect();
    case.transactions = txns.into_iter().map(std::sync::Arc::new).collect();
    let dir = out_dir("flow-cap");
    let html_path = dir.join("report.html");
    std::fs::write(
        &html_path,
        render_html(
            &fixture_manifest(),
            std::slice::from_ref(&case),
            &fixture_rules(),
        ),
    )
    .expect("write report");
    let dom = dump_case(&html_path, &case.case_id);
    let figure = flow_figure(&dom).expect("graph");
    // 41 parties: the subject and the first 28 payees, then one node for the other 12.
    assert!(
        figure.contains("data-nodes=\"30\" data-edges=\"29\""),
        "{figure}"
    );
    let (nodes, edges) = flow_parts(figure);
    assert_eq!(nodes.iter().filter(|n| n.subject).count(), 1);
    assert_eq!(nodes.iter().filter(|n| n.more).count(), 1);
    assert!(figure.contains(">12 more</text>"));
    assert!(figure.contains("12 more parties beyond the first 29"));
    let drawn = flow_edges_by_account(&nodes, &edges);
    assert_eq!(
        drawn[0],
        (
            subject.clone(),
            "ACC-F00".to_string(),
            2,
            "123,456,789,012.345679".to_string()
        )
    );
    assert_eq!(
        drawn[28],
        (subject, "more".to_string(), 12, "60,000.00".to_string())
    );
    assert!(drawn[1..28].iter().all(|e| e.2 == 1 && e.3 == "5,000.00"));
    // Columns of at most ten: the subject, then three columns of payees.
    let mut xs: Vec<i64> = nodes.iter().map(|n| n.x as i64).collect();
    xs.sort_unstable();
    xs.dedup();
    assert_eq!(xs.len(), 4, "{xs:?}");
}
