//! goAML export: schema validation with xmllint, the cash transaction report, skipping cases that
//! lack a required element, and escaping.

use crate::cases::fixture_cases;
use amlscreen::cases::Case;
use amlscreen::report::{export_goaml, load_goaml_profile, GoamlExport, GoamlProfile, ReportError};
use std::path::{Path, PathBuf};
use std::process::Command;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> PathBuf {
    manifest_dir().join("tests/fixtures/goaml/goAMLSchema-5.0.2.xsd")
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
    let mut profile = load_goaml_profile(manifest_dir().join("profiles/goaml-example.toml"))
        .expect("example profile loads");
    profile.report_date = "2026-03-31T09:00:00".to_string();
    profile
}

fn case_of<'a>(cases: &'a [Case], account: &str) -> &'a Case {
    cases
        .iter()
        .find(|c| c.subject.accounts.iter().any(|a| a == account))
        .unwrap_or_else(|| panic!("no case for {account}"))
}

/// Runs `xmllint --noout --schema SCHEMA FILE`; fails with what to install when xmllint is absent.
fn xmllint(schema: &Path, file: &Path) {
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run xmllint ({e}); install it with `apt-get install -y libxml2-utils` (.ci/run does this in CI)")
        });
    assert!(
        output.status.success(),
        "{} does not validate against {}:\n{}",
        file.display(),
        schema.display(),
        String::from_utf8_lossy(&output.stderr)
    );
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

/// The 5.0.2 schema with `CTR` added to `report_type`, for cash transaction reports.
fn schema_with_ctr(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(schema()).expect("read schema");
    let anchor = "<xs:simpleType name=\"report_type\">\n    <xs:restriction base=\"xs:string\">";
    assert!(text.contains(anchor), "report_type not found in schema");
    let patched = text.replace(
        anchor,
        &format!("{anchor}\n      <xs:enumeration value=\"CTR\" />"),
    );
    let path = dir.join("goAMLSchema-5.0.2-with-CTR.xsd");
    std::fs::write(&path, patched).expect("write patched schema");
    path
}

#[test]
fn strs_validate_against_the_goaml_schema() {
    let cases = fixture_cases();
    let export = export_goaml(&cases, &example_profile(), &[]);
    let dir = out_dir("strs");
    let paths = write_files(&export, &dir);

    let names: Vec<&str> = export.files.iter().map(|(n, _)| n.as_str()).collect();
    let sanctions = case_of(&cases, "ACC-3001");
    let ring = case_of(&cases, "ACC-2001");
    let lopez = case_of(&cases, "ACC-1001");
    let cash = case_of(&cases, "ACC-4001");
    let dormant = case_of(&cases, "ACC-5001");
    assert_eq!(
        names,
        vec![
            format!("{}-STR.xml", sanctions.case_id),
            format!("{}-STR.xml", ring.case_id),
            format!("{}-STR.xml", lopez.case_id),
            format!("{}-STR.xml", cash.case_id),
            format!("{}-CTR.xml", cash.case_id),
        ]
    );
    // The dormant-account case sends to a crypto wallet with no country: not written.
    assert_eq!(
        export.skipped,
        vec![(dormant.case_id.clone(), "to_country".to_string())]
    );

    for path in paths
        .iter()
        .filter(|p| p.to_string_lossy().ends_with("-STR.xml"))
    {
        xmllint(&schema(), path);
    }

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
fn a_ctr_is_written_for_cash_threshold_alerts() {
    let cases = fixture_cases();
    let cash = case_of(&cases, "ACC-4001");
    let export = export_goaml(
        &cases,
        &example_profile(),
        std::slice::from_ref(&cash.case_id),
    );
    assert!(export.skipped.is_empty(), "{:?}", export.skipped);
    let dir = out_dir("ctr");
    let paths = write_files(&export, &dir);
    let ctr_path = paths
        .iter()
        .find(|p| p.to_string_lossy().ends_with("-CTR.xml"))
        .expect("a CTR file");
    xmllint(&schema_with_ctr(&dir), ctr_path);
    let ctr = std::fs::read_to_string(ctr_path).expect("read CTR");
    assert!(ctr.contains("<report_code>CTR</report_code>"));
    assert!(ctr.contains("<transactionnumber>T030</transactionnumber>"));
    assert!(ctr.contains("<indicator>FRQDW</indicator>"));
    assert_eq!(ctr.matches("<transaction>").count(), 1);

    let mut no_ctr = example_profile();
    no_ctr.ctr.enabled = false;
    let export = export_goaml(&cases, &no_ctr, std::slice::from_ref(&cash.case_id));
    assert_eq!(export.files.len(), 1);
    assert!(export.files[0].0.ends_with("-STR.xml"));
}

#[test]
fn a_case_missing_a_required_element_is_skipped_with_its_name() {
    let mut cases = fixture_cases();
    let lopez_id = case_of(&cases, "ACC-1001").case_id.clone();
    let ring_id = case_of(&cases, "ACC-2001").case_id.clone();
    let cash_id = case_of(&cases, "ACC-4001").case_id.clone();
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
    assert_eq!(
        names,
        vec![format!("{cash_id}-STR.xml"), format!("{cash_id}-CTR.xml")]
    );
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
    lopez.transactions[4].orig_country.clear();
    let export = export_goaml(&cases, &example_profile(), std::slice::from_ref(&lopez_id));
    assert!(export.files.is_empty());
    assert_eq!(
        export.skipped,
        vec![(lopez_id.clone(), "from_country".to_string())]
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
        .iter_mut()
        .filter(|t| t.orig_account == "ACC-6101")
    {
        t.orig_name = hostile.to_string();
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
    xmllint(&schema(), &paths[0]);

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
    let example = std::fs::read_to_string(manifest_dir().join("profiles/goaml-example.toml"))
        .expect("example");
    let cases = [
        (
            "submission_code = \"E\"",
            "submission_code = \"X\"",
            "submission_code",
        ),
        ("rentity_id = 1001", "rentity_id = 0", "rentity_id"),
        (
            "currency_code_local = \"USD\"",
            "currency_code_local = \"dollars\"",
            "currency_code_local",
        ),
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
        ("CASH = \"DPOST\"", "CASH = \"\"", "to_funds.CASH"),
    ];
    for (from, to, field) in cases {
        assert!(example.contains(from), "example profile lacks {from}");
        let path = dir.join(format!("{}.toml", field.replace('.', "_")));
        std::fs::write(&path, example.replacen(from, to, 1)).expect("write profile");
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
}
