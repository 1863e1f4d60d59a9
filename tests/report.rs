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
    case.transactions[0].orig_name = HOSTILE_IMG.to_string();
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

#[test]
fn embedded_case_data_is_valid_json_with_every_case() {
    let cases = fixture_cases();
    let html = render_html(&fixture_manifest(), &cases, &fixture_rules());
    let start = html
        .find("<script type=\"application/json\" id=\"case-data\">")
        .expect("case data")
        + 47;
    let end = start + html[start..].find("</script>").expect("end of case data");
    let value: serde_json::Value =
        serde_json::from_str(&html[start..end]).expect("case data is JSON");
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
                txn_ids: ids,
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
