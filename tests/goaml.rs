//! goAML export: every report written validates against the profile's schema (fixture cases,
//! the sample run, a generated run with every typology), the cash transaction report, profile
//! codes checked against the schema when the profile is loaded, skipping cases that lack a
//! required element, escaping, and the export command's exit codes.

use crate::cases::fixture_cases;
use crate::common::{amlscreen, describe, temp_dir};
use amlscreen::cases::{write_cases_jsonl, Case};
use amlscreen::model::Typology;
use amlscreen::report::goaml::SchemaError;
use amlscreen::report::{export_goaml, load_goaml_profile, GoamlExport, GoamlProfile, ReportError};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The schema the example profile names, vendored in the repository.
fn schema() -> PathBuf {
    manifest_dir().join("profiles/schemas/goAMLSchema-5.0.2.xsd")
}

fn example_path() -> PathBuf {
    manifest_dir().join("profiles/goaml-example.toml")
}

fn example_text() -> String {
    std::fs::read_to_string(example_path()).expect("read the example profile")
}

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("goaml")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create test output folder");
    dir
}

fn example_profile() -> GoamlProfile {
    let mut profile = load_goaml_profile(example_path()).expect("example profile loads");
    profile.report_date = "2026-03-31T09:00:00".to_string();
    profile
}

fn case_of<'a>(cases: &'a [Case], account: &str) -> &'a Case {
    cases
        .iter()
        .find(|c| c.subject.accounts.iter().any(|a| a == account))
        .unwrap_or_else(|| panic!("no case for {account}"))
}

/// Validates every file with `xmllint --noout --schema SCHEMA FILE...` and returns how many
/// validated. Fails (never skips) when xmllint is missing, when `files` is empty, and unless
/// xmllint reports each file as valid.
fn validate_all(schema: &Path, files: &[PathBuf]) -> usize {
    assert!(!files.is_empty(), "no report to validate");
    for chunk in files.chunks(100) {
        let output = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(schema)
            .args(chunk)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run xmllint ({e}); install it with `apt-get install -y libxml2-utils` (scripts/test.sh does this)")
            });
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "reports do not validate against {}:\n{stderr}",
            schema.display()
        );
        for file in chunk {
            assert!(
                stderr.contains(&format!("{} validates", file.display())),
                "xmllint did not report {} as valid:\n{stderr}",
                file.display()
            );
        }
    }
    files.len()
}

fn write_files(export: &GoamlExport, dir: &Path) -> Vec<PathBuf> {
    export
        .files
        .iter()
        .map(|(name, xml)| {
            let path = dir.join(name);
            std::fs::write(&path, xml).expect("write report");
            path
        })
        .collect()
}

/// Every file in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    files.sort();
    files
}

/// The vendored schema with `CTR` added to `report_type`, as the schema of an FIU that takes
/// cash transaction reports.
fn schema_text_with_ctr() -> String {
    let text = std::fs::read_to_string(schema()).expect("read schema");
    let anchor = "<xs:simpleType name=\"report_type\">\n    <xs:restriction base=\"xs:string\">";
    assert!(text.contains(anchor), "report_type not found in schema");
    text.replace(
        anchor,
        &format!("{anchor}\n      <xs:enumeration value=\"CTR\" />"),
    )
}

/// A profile folder under `dir`: `profile.toml` with `text`, and `schemas/` holding
/// `schema_text` under the name the example profile uses.
fn profile_folder(dir: &Path, text: &str, schema_text: &str) -> PathBuf {
    std::fs::create_dir_all(dir.join("schemas")).expect("create profile folder");
    std::fs::write(dir.join("schemas/goAMLSchema-5.0.2.xsd"), schema_text).expect("write schema");
    let path = dir.join("profile.toml");
    std::fs::write(&path, text).expect("write profile");
    path
}

/// The example profile with cash transaction reports on, as code `CTR`.
fn ctr_profile_text() -> String {
    let text = example_text();
    for line in ["enabled = false", "# report_code = \"CTR\""] {
        assert!(text.contains(line), "example profile lacks {line}");
    }
    text.replacen("enabled = false", "enabled = true", 1)
        .replacen("# report_code = \"CTR\"", "report_code = \"CTR\"", 1)
}

/// 1-based line of the first line of `text` that contains `needle`.
fn line_with(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle}"))
        + 1
}

/// An error and its sources, joined as `anyhow` prints them.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Runs the binary and requires exit code 0.
fn run_ok(args: &[&str]) -> std::process::Output {
    let out = amlscreen(args);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    out
}

/// `amlscreen export goaml` of `cases` with `profile` into `out`; requires success and returns
/// the files written, after checking that the command's count matches them.
fn export_cli(cases: &Path, profile: &Path, out: &Path) -> Vec<PathBuf> {
    let output = run_ok(&[
        "export",
        "goaml",
        "--cases",
        cases.to_str().unwrap(),
        "--profile",
        profile.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let files = files_in(out);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("wrote {} goAML report(s)", files.len())),
        "{}",
        describe(&output)
    );
    files
}

fn count_suffix(files: &[PathBuf], suffix: &str) -> usize {
    files
        .iter()
        .filter(|f| f.to_string_lossy().ends_with(suffix))
        .count()
}

#[test]
fn every_report_of_the_fixture_cases_validates_against_the_schema() {
    let cases = fixture_cases();
    let export = export_goaml(&cases, &example_profile(), &[]);
    let dir = out_dir("fixtures");
    let paths = write_files(&export, &dir);

    let names: Vec<&str> = export.files.iter().map(|(n, _)| n.as_str()).collect();
    let sanctions = case_of(&cases, "ACC-3001");
    let ring = case_of(&cases, "ACC-2001");
    let lopez = case_of(&cases, "ACC-1001");
    let cash = case_of(&cases, "ACC-4001");
    let dormant = case_of(&cases, "ACC-5001");
    // The example profile writes no cash transaction reports: its schema has no CTR code.
    assert_eq!(
        names,
        vec![
            format!("{}-STR.xml", sanctions.case_id),
            format!("{}-STR.xml", ring.case_id),
            format!("{}-STR.xml", lopez.case_id),
            format!("{}-STR.xml", cash.case_id),
        ]
    );
    // The dormant-account case sends to a crypto wallet with no country: not written.
    assert_eq!(
        export.skipped,
        vec![(dormant.case_id.clone(), "to_country".to_string())]
    );

    assert_eq!(validate_all(&schema(), &paths), 4);

    let xml = &export.files[2].1;
    for needle in [
        "<report_code>STR</report_code>",
        &format!("<entity_reference>{}</entity_reference>", lopez.case_id),
        "<submission_date>2026-03-31T09:00:00</submission_date>",
        "<date_transaction>2026-03-02T10:14:00</date_transaction>",
        "<transmode_code>OCT</transmode_code>",
        "<first_name>Maria</first_name>",
        "<last_name>Lopez</last_name>",
        "<institution_code>UNKNOWN-INSTITUTION</institution_code>",
        "<indicator>MCDSL</indicator>",
        "<indicator>ML002</indicator>",
    ] {
        assert!(xml.contains(needle), "STR lacks {needle}");
    }
    // The EUR wire of the sanctions case carries its foreign amount.
    let sanctions_xml = &export.files[0].1;
    assert!(sanctions_xml.contains("<foreign_currency_code>EUR</foreign_currency_code>"));
    assert!(sanctions_xml.contains("<amount_local>43480.00</amount_local>"));
    assert!(sanctions_xml.contains("<indicator>ITLSL</indicator>"));
}

#[test]
fn a_ctr_is_written_and_validates_when_the_profiles_schema_has_a_ctr_code() {
    let dir = out_dir("ctr");
    let profile_path = profile_folder(
        &dir.join("fiu"),
        &ctr_profile_text(),
        &schema_text_with_ctr(),
    );
    let mut profile = load_goaml_profile(&profile_path).expect("CTR profile loads");
    assert_eq!(
        profile.schema,
        dir.join("fiu/schemas/goAMLSchema-5.0.2.xsd")
    );
    assert!(profile.ctr.enabled);
    assert_eq!(profile.ctr.report_code, "CTR");
    profile.report_date = "2026-03-31T09:00:00".to_string();

    let cases = fixture_cases();
    let cash = case_of(&cases, "ACC-4001");
    let export = export_goaml(&cases, &profile, std::slice::from_ref(&cash.case_id));
    assert!(export.skipped.is_empty(), "{:?}", export.skipped);
    let reports = out_dir("ctr/reports");
    let paths = write_files(&export, &reports);
    assert_eq!(count_suffix(&paths, "-CTR.xml"), 1, "{paths:?}");
    assert_eq!(validate_all(&profile.schema, &paths), 2);
    let ctr = &export.files[1].1;
    assert!(ctr.contains("<report_code>CTR</report_code>"));
    assert!(ctr.contains("<transactionnumber>T030</transactionnumber>"));
    assert!(ctr.contains("<indicator>FRQDW</indicator>"));
    assert_eq!(ctr.matches("<transaction>").count(), 1);

    // The same profile beside the vendored schema, which has no CTR code, is refused.
    let text = ctr_profile_text();
    let refused = profile_folder(
        &dir.join("no-ctr"),
        &text,
        &std::fs::read_to_string(schema()).expect("read schema"),
    );
    match load_goaml_profile(&refused) {
        Err(ReportError::ProfileCode(code)) => {
            assert_eq!(code.field, "ctr.report_code");
            assert_eq!(code.value, "CTR");
            assert_eq!(code.line, line_with(&text, "report_code = \"CTR\""));
        }
        other => panic!("expected the CTR code to be refused, got {other:?}"),
    }

    // Enabled without a report code: refused by name.
    let no_code = text.replacen("report_code = \"CTR\"", "", 1);
    let path = profile_folder(&dir.join("no-code"), &no_code, &schema_text_with_ctr());
    match load_goaml_profile(&path) {
        Err(ReportError::ProfileField { field, .. }) => assert_eq!(field, "ctr.report_code"),
        other => panic!("expected ctr.report_code to be required, got {other:?}"),
    }
}

#[test]
fn a_case_missing_a_required_element_is_skipped_with_its_name() {
    let mut cases = fixture_cases();
    let lopez_id = case_of(&cases, "ACC-1001").case_id.clone();
    let ring_id = case_of(&cases, "ACC-2001").case_id.clone();
    let cash_id = case_of(&cases, "ACC-4001").case_id.clone();
    let sanctions_id = case_of(&cases, "ACC-3001").case_id.clone();
    let ids = vec![
        lopez_id.clone(),
        cash_id.clone(),
        "C-000000000000".to_string(),
    ];

    // No code for institutions other than ours: cases with outside counterparties are skipped;
    // the cash case (a walk-in depositor and our own account) is still written.
    let mut profile = example_profile();
    profile.counterparty_institution_code.clear();
    let export = export_goaml(&cases, &profile, &ids);
    let names: Vec<&str> = export.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec![format!("{cash_id}-STR.xml")]);
    assert_eq!(
        export.skipped,
        vec![
            ("C-000000000000".to_string(), "case_id".to_string()),
            (lopez_id.clone(), "institution_code".to_string()),
        ]
    );

    // A transaction without an originator country.
    let lopez = cases
        .iter_mut()
        .find(|c| c.case_id == lopez_id)
        .expect("case");
    std::sync::Arc::make_mut(&mut lopez.transactions.to_mut().unwrap()[4])
        .orig_country
        .clear();
    let export = export_goaml(&cases, &example_profile(), std::slice::from_ref(&lopez_id));
    assert!(export.files.is_empty());
    assert_eq!(
        export.skipped,
        vec![(lopez_id.clone(), "from_country".to_string())]
    );

    // A currency the schema does not list (it has XBT for bitcoin, not BTC): not written; the
    // same transaction in a listed currency is.
    let sanctions = cases
        .iter_mut()
        .find(|c| c.case_id == sanctions_id)
        .expect("case");
    let eur = sanctions
        .transactions
        .to_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t.currency == "EUR")
        .expect("the sanctions case has a EUR wire");
    std::sync::Arc::make_mut(eur).currency = "BTC".to_string();
    let export = export_goaml(
        &cases,
        &example_profile(),
        std::slice::from_ref(&sanctions_id),
    );
    assert_eq!(
        export.skipped,
        vec![(sanctions_id.clone(), "foreign_currency_code".to_string())]
    );
    let sanctions = cases
        .iter_mut()
        .find(|c| c.case_id == sanctions_id)
        .expect("case");
    for t in sanctions
        .transactions
        .to_mut()
        .unwrap()
        .iter_mut()
        .filter(|t| t.currency == "BTC")
    {
        std::sync::Arc::make_mut(t).currency = "XBT".to_string();
    }
    let export = export_goaml(
        &cases,
        &example_profile(),
        std::slice::from_ref(&sanctions_id),
    );
    assert!(export.skipped.is_empty(), "{:?}", export.skipped);
    assert!(export.files[0]
        .1
        .contains("<foreign_currency_code>XBT</foreign_currency_code>"));

    // A country the schema does not list (this schema lists every ISO code ingest accepts, so
    // the profile's list is narrowed as another FIU's schema might have it).
    let mut profile = example_profile();
    let cash = case_of(&cases, "ACC-4001");
    let country = cash.transactions.records().unwrap()[0].bene_country.clone();
    assert!(profile.data_codes.to_country.remove(&country), "{country}");
    let export = export_goaml(&cases, &profile, std::slice::from_ref(&cash_id));
    assert_eq!(
        export.skipped,
        vec![(cash_id.clone(), "to_country".to_string())]
    );

    // A channel without a funds code, and typologies without an indicator code.
    let mut profile = example_profile();
    profile.funds.remove(&amlscreen::model::Channel::Wire);
    let export = export_goaml(&cases, &profile, std::slice::from_ref(&ring_id));
    assert_eq!(
        export.skipped,
        vec![(ring_id.clone(), "from_funds_code".to_string())]
    );
    let mut profile = example_profile();
    profile.indicators.clear();
    let export = export_goaml(&cases, &profile, std::slice::from_ref(&ring_id));
    assert_eq!(
        export.skipped,
        vec![(ring_id, "report_indicators".to_string())]
    );
}

#[test]
fn names_with_markup_quotes_and_ampersands_are_escaped() {
    let mut cases = fixture_cases();
    let ring_id = case_of(&cases, "ACC-2001").case_id.clone();
    let hostile = "<script>alert(1)</script> \"Quoted\" & Sons";
    let ring = cases
        .iter_mut()
        .find(|c| c.case_id == ring_id)
        .expect("case");
    for t in ring
        .transactions
        .to_mut()
        .unwrap()
        .iter_mut()
        .filter(|t| t.orig_account == "ACC-6101")
    {
        std::sync::Arc::make_mut(t).orig_name = hostile.to_string();
    }
    ring.narrative = format!("{hostile} moved funds.");
    let export = export_goaml(&cases, &example_profile(), std::slice::from_ref(&ring_id));
    assert!(export.skipped.is_empty(), "{:?}", export.skipped);
    let xml = &export.files[0].1;
    assert!(!xml.contains("<script>"), "raw markup leaked into the XML");
    assert!(xml.contains("&lt;script&gt;alert(1)&lt;/script&gt; &quot;Quoted&quot; &amp; Sons"));
    // The name element holds the schema-safe form; the original survives in comments.
    assert!(xml.contains("<account_name>script alert 1 script Quoted Sons</account_name>"));

    let dir = out_dir("escaping");
    let paths = write_files(&export, &dir);
    assert_eq!(validate_all(&schema(), &paths), 1);

    // A conforming XML parser reads the original text back.
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut texts = Vec::new();
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Text(t)) => {
                texts.push(t.unescape().expect("valid escape").into_owned())
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("export is not well-formed XML: {e}"),
        }
    }
    assert!(texts
        .iter()
        .any(|t| t == &format!("Name as recorded: {hostile}")));
    assert!(texts
        .iter()
        .any(|t| t == &format!("{hostile} moved funds.")));
}

#[test]
fn profile_errors_name_the_field() {
    let dir = out_dir("profiles");
    let example = example_text();
    let schema_text = std::fs::read_to_string(schema()).expect("read schema");
    let cases = [
        ("rentity_id = 1001", "rentity_id = 0", "rentity_id"),
        (
            "structuring = \"ML002\"",
            "structuring = \"ML002\"\nlaundering = \"X\"",
            "indicators.laundering",
        ),
        ("CASH = \"OCT\"", "CASHY = \"OCT\"", "transmode.CASHY"),
        (
            "transmode_comment = \"-\"",
            "transmode_comment = \"--\"",
            "transmode_comment",
        ),
        (
            "email = \"mlro@example.com\"",
            "email = \"mlro at example\"",
            "reporting_person.email",
        ),
        (
            "first_name = \"Placeholder\"",
            "first_name = \"Zoë <x>\"",
            "reporting_person.first_name",
        ),
    ];
    for (from, to, field) in cases {
        assert!(example.contains(from), "example profile lacks {from}");
        let path = profile_folder(
            &dir.join(field.replace('.', "_")),
            &example.replacen(from, to, 1),
            &schema_text,
        );
        match load_goaml_profile(&path) {
            Err(ReportError::ProfileField { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected a field error, got {other:?}"),
        }
    }
    let path = dir.join("syntax.toml");
    std::fs::write(&path, "rentity_id = \n").expect("write profile");
    let err = load_goaml_profile(&path).unwrap_err();
    assert!(matches!(err, ReportError::ProfileSyntax { .. }), "{err}");
    assert!(err.to_string().contains("syntax.toml"), "{err}");

    // A profile must name its schema.
    let without = example.replacen("schema = \"schemas/goAMLSchema-5.0.2.xsd\"", "", 1);
    let path = profile_folder(&dir.join("no-schema"), &without, &schema_text);
    let err = load_goaml_profile(&path).unwrap_err();
    assert!(matches!(err, ReportError::ProfileSyntax { .. }), "{err}");
    assert!(err.to_string().contains("missing field `schema`"), "{err}");
}

#[test]
fn a_profile_code_not_in_the_schema_is_refused_with_its_line_and_the_allowed_codes() {
    let dir = out_dir("codes");
    let example = example_text();
    let schema_text = std::fs::read_to_string(schema()).expect("read schema");
    // (line in the example, replacement, field, bad value, schema type, a code it allows)
    let cases = [
        (
            "report_code = \"STR\"",
            "report_code = \"CTR\"",
            "report_code",
            "CTR",
            "report_type",
            "SAR",
        ),
        (
            "submission_code = \"E\"",
            "submission_code = \"X\"",
            "submission_code",
            "X",
            "submission_type",
            "M",
        ),
        (
            "currency_code_local = \"USD\"",
            "currency_code_local = \"dollars\"",
            "currency_code_local",
            "dollars",
            "currency_type",
            "JMD",
        ),
        (
            "structuring = \"ML002\"",
            "structuring = \"ML999\"",
            "indicators.structuring",
            "ML999",
            "report_indicator_type",
            "ML002",
        ),
        (
            "CARD = \"DBCD\"",
            "CARD = \"POS\"",
            "transmode.CARD",
            "POS",
            "conduction_type",
            "OCT",
        ),
        (
            "CHEQUE = \"CHQ\"",
            "CHEQUE = \"CHEQUE\"",
            "funds.CHEQUE",
            "CHEQUE",
            "funds_type",
            "CASH",
        ),
        (
            "CASH = \"DPOST\"",
            "CASH = \"\"",
            "to_funds.CASH",
            "",
            "funds_type",
            "DPOST",
        ),
    ];
    for (from, to, field, bad, type_name, allowed_code) in cases {
        assert!(example.contains(from), "example profile lacks {from}");
        let text = example.replacen(from, to, 1);
        let expected_line = line_with(&text, to.lines().next().unwrap());
        let path = profile_folder(&dir.join(field.replace('.', "_")), &text, &schema_text);
        let err = load_goaml_profile(&path).expect_err(field);
        let message = err.to_string();
        match err {
            ReportError::ProfileCode(code) => {
                let amlscreen::report::goaml::UnlistedCode {
                    path: p,
                    line,
                    field: f,
                    value,
                    code_list,
                    schema: s,
                    allowed,
                } = *code;
                assert_eq!(p, path);
                assert_eq!(line, expected_line, "{field}: {message}");
                assert_eq!(f, field);
                assert_eq!(value, bad);
                assert_eq!(code_list, type_name, "{message}");
                assert_eq!(
                    s,
                    path.parent().unwrap().join("schemas/goAMLSchema-5.0.2.xsd")
                );
                assert!(allowed.iter().any(|c| c == allowed_code), "{allowed:?}");
                assert!(!allowed.iter().any(|c| c == bad), "{allowed:?}");
                // The message names the file and line, the field, the value and the codes
                // allowed: all of them when there are at most 20, else the first 20 and the
                // count.
                assert!(
                    message.starts_with(&format!("{}:{expected_line}: ", path.display())),
                    "{message}"
                );
                assert!(message.contains(&format!("`{field}`")), "{message}");
                assert!(message.contains(&format!("found {bad:?}")), "{message}");
                let listed = if allowed.len() > 20 {
                    format!(
                        "{}, … ({} codes in all)",
                        allowed[..20].join(", "),
                        allowed.len()
                    )
                } else {
                    allowed.join(", ")
                };
                assert!(
                    message.ends_with(&format!("; allowed: {listed}")),
                    "{message}"
                );
            }
            other => panic!("{field}: expected a code error, got {other:?}"),
        }
    }

    // The report codes this schema allows, as the error lists them.
    let text = example.replacen("report_code = \"STR\"", "report_code = \"CTR\"", 1);
    let path = profile_folder(&dir.join("report_code_list"), &text, &schema_text);
    match load_goaml_profile(&path) {
        Err(ReportError::ProfileCode(code)) => assert_eq!(
            code.allowed,
            [
                "AIF", "AIFT", "CIR", "CNMRA", "DPMSR", "ECDD", "ECDDT", "HRC", "HRCA", "IRR",
                "ITR", "PNMRA", "PSTR", "REAR", "SAR", "SIR", "STR"
            ]
        ),
        other => panic!("expected a code error, got {other:?}"),
    }
}

#[test]
fn a_profiles_schema_must_be_inside_its_folder_and_readable() {
    let dir = out_dir("schema-paths");
    let example = example_text();
    let schema_text = std::fs::read_to_string(schema()).expect("read schema");
    let key = "schema = \"schemas/goAMLSchema-5.0.2.xsd\"";
    assert!(example.contains(key));
    let outside = schema().display().to_string();
    for (name, value) in [
        ("parent", "../goAMLSchema-5.0.2.xsd"),
        (
            "nested-parent",
            "schemas/../../profiles/schemas/goAMLSchema-5.0.2.xsd",
        ),
        ("absolute", outside.as_str()),
        ("empty", ""),
    ] {
        let text = example.replacen(key, &format!("schema = {value:?}"), 1);
        let path = profile_folder(&dir.join(name), &text, &schema_text);
        let err = load_goaml_profile(&path).expect_err(name);
        let message = chain(&err);
        match err {
            ReportError::ProfileSchema {
                line,
                schema,
                source,
                ..
            } if matches!(*source, SchemaError::OutsideProfileFolder { .. }) => {
                assert_eq!(line, line_with(&text, "schema = "), "{message}");
                assert_eq!(schema, value);
            }
            other => panic!("{name}: expected the schema path to be refused, got {other:?}"),
        }
        assert!(message.contains("inside the profile's folder"), "{message}");
    }

    // A symbolic link that leads out of the folder is refused too.
    #[cfg(unix)]
    {
        let text = example.replacen(key, "schema = \"link.xsd\"", 1);
        let path = profile_folder(&dir.join("symlink"), &text, &schema_text);
        std::os::unix::fs::symlink(schema(), dir.join("symlink/link.xsd")).expect("symlink");
        match load_goaml_profile(&path) {
            Err(ReportError::ProfileSchema { source, .. })
                if matches!(*source, SchemaError::OutsideProfileFolder { .. }) => {}
            other => panic!("expected the symlink to be refused, got {other:?}"),
        }
    }

    // Missing, not XML, and an XSD that is not goAML: each named, with its cause.
    let text = example.replacen(key, "schema = \"schemas/fiu.xsd\"", 1);
    let missing = profile_folder(&dir.join("missing"), &text, &schema_text);
    let err = load_goaml_profile(&missing).unwrap_err();
    assert!(
        matches!(
            &err,
            ReportError::ProfileSchema { source, .. } if matches!(**source, SchemaError::Read { .. })
        ),
        "{err:?}"
    );
    let message = chain(&err);
    assert!(
        message.contains("fiu.xsd") && message.contains("No such file"),
        "{message}"
    );
    for (name, xsd, expected) in [
        ("broken", "<xs:schema><xs:element name=\"report\">\n</xs:schema>", "expected well-formed XML"),
        ("html", "<html></html>", "expected an XML schema"),
        (
            "other-xsd",
            "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"><xs:element name=\"invoice\"/></xs:schema>",
            "declaring the element `report/submission_code`",
        ),
    ] {
        let folder = dir.join(name);
        let path = profile_folder(&folder, &example, &schema_text);
        std::fs::write(folder.join("schemas/goAMLSchema-5.0.2.xsd"), xsd).expect("write xsd");
        let err = load_goaml_profile(&path).unwrap_err();
        let message = chain(&err);
        assert!(matches!(err, ReportError::ProfileSchema { .. }), "{err:?}");
        assert!(message.contains(expected), "{name}: {message}");
        assert!(message.starts_with(&format!("{}:", path.display())), "{message}");
    }
}

/// The example profile and its schema, copied alone into an empty folder (as in a fresh clone
/// without `../shared`), load and check their codes.
#[test]
fn the_example_profile_loads_from_a_copy_of_the_profiles_folder_alone() {
    let dir = temp_dir("goaml-clone");
    let path = profile_folder(
        &dir,
        &example_text(),
        &std::fs::read_to_string(schema()).expect("read schema"),
    );
    let profile = load_goaml_profile(&path).expect("the copied profile loads");
    assert_eq!(profile.schema, dir.join("schemas/goAMLSchema-5.0.2.xsd"));
    assert!(!profile.ctr.enabled);
    assert!(profile.data_codes.from_country.contains("JM"));
    assert!(profile.data_codes.foreign_currency.contains("XBT"));
    assert!(!profile.data_codes.foreign_currency.contains("BTC"));
}

/// README's sample command, then the export of every case with the example profile: every
/// file written validates.
#[test]
fn every_report_exported_from_the_sample_run_validates_against_the_schema() {
    let dir = temp_dir("goaml-sample");
    let run = dir.join("out");
    run_ok(&[
        "run",
        "sample-data/transactions.csv",
        "--fx",
        "sample-data/fx.csv",
        "--watchlist",
        "sample-data/watchlists",
        "--out",
        run.to_str().unwrap(),
    ]);
    let files = export_cli(
        &run.join("cases.jsonl"),
        &example_path(),
        &dir.join("goaml"),
    );
    assert!(files.len() >= 5, "reports written: {files:?}");
    assert_eq!(count_suffix(&files, "-STR.xml"), files.len(), "{files:?}");
    assert_eq!(validate_all(&schema(), &files), files.len());
}

/// Generated data with every typology planted, run through the shipped packs and exported with
/// the example profile, and with a CTR profile whose schema has a CTR code: every file written
/// validates against its profile's schema.
#[test]
fn every_report_exported_from_generated_data_with_every_typology_validates() {
    let dir = temp_dir("goaml-generated");
    let data = dir.join("data");
    run_ok(&[
        "generate",
        "--accounts",
        "300",
        "--days",
        "100",
        "--seed",
        "7",
        "--instances",
        "2",
        "--watchlist",
        "sample-data/watchlists",
        "--out",
        data.to_str().unwrap(),
    ]);
    let run = dir.join("out");
    run_ok(&[
        "run",
        data.join("transactions.csv").to_str().unwrap(),
        "--fx",
        data.join("fx.csv").to_str().unwrap(),
        "--watchlist",
        "sample-data/watchlists",
        "--out",
        run.to_str().unwrap(),
    ]);
    let cases_path = run.join("cases.jsonl");
    let cases = amlscreen::report::read_cases_jsonl(&cases_path).expect("read cases");
    let typologies: BTreeSet<Typology> = cases.iter().flat_map(|c| c.typologies.clone()).collect();
    // behaviour_change needs 232 days of data (100 here): every other typology
    let expected: BTreeSet<Typology> = Typology::ALL
        .into_iter()
        .filter(|&t| t != Typology::BehaviourChange)
        .collect();
    assert_eq!(typologies, expected, "cases of every typology");

    let files = export_cli(&cases_path, &example_path(), &dir.join("goaml"));
    assert!(files.len() >= 20, "reports written: {files:?}");
    assert_eq!(validate_all(&schema(), &files), files.len());

    let ctr_profile = profile_folder(
        &dir.join("fiu"),
        &ctr_profile_text(),
        &schema_text_with_ctr(),
    );
    let files = export_cli(&cases_path, &ctr_profile, &dir.join("goaml-ctr"));
    assert!(
        count_suffix(&files, "-CTR.xml") >= 2,
        "reports written: {files:?}"
    );
    assert_eq!(
        validate_all(&dir.join("fiu/schemas/goAMLSchema-5.0.2.xsd"), &files),
        files.len()
    );
}

#[test]
fn export_of_a_case_not_in_the_run_exits_2_naming_it() {
    let dir = temp_dir("goaml-unknown");
    let cases = fixture_cases();
    let mut jsonl = Vec::new();
    write_cases_jsonl(&mut jsonl, &cases).expect("write cases");
    let cases_path = dir.join("cases.jsonl");
    std::fs::write(&cases_path, jsonl).expect("write cases.jsonl");
    let known = case_of(&cases, "ACC-4001").case_id.clone();
    let out = dir.join("goaml");

    for ids in [vec!["C-UNKNOWN"], vec![known.as_str(), "C-UNKNOWN"]] {
        let mut args = vec![
            "export",
            "goaml",
            "--cases",
            cases_path.to_str().unwrap(),
            "--profile",
            "profiles/goaml-example.toml",
            "--out",
            out.to_str().unwrap(),
        ];
        for id in &ids {
            args.extend(["--case", id]);
        }
        let output = amlscreen(&args);
        assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("`C-UNKNOWN`"), "{}", describe(&output));
        assert!(!stderr.contains(&known), "{}", describe(&output));
        assert!(!out.exists(), "nothing is written");
    }

    // A known id alone exports that case.
    let output = run_ok(&[
        "export",
        "goaml",
        "--cases",
        cases_path.to_str().unwrap(),
        "--profile",
        "profiles/goaml-example.toml",
        "--case",
        &known,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        files_in(&out),
        vec![out.join(format!("{known}-STR.xml"))],
        "{}",
        describe(&output)
    );
}

/// A typology without an indicator code in the example profile would leave its cases out of
/// every export made with it.
#[test]
fn the_example_profile_has_an_indicator_for_every_typology() {
    let profile = load_goaml_profile(example_path()).expect("example profile loads");
    let missing: Vec<&str> = amlscreen::model::Typology::ALL
        .iter()
        .filter(|t| !profile.indicators.contains_key(*t))
        .map(|t| t.as_str())
        .collect();
    assert!(missing.is_empty(), "no indicator for {missing:?}");
}
