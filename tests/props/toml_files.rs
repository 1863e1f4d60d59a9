//! TOML inputs: rule packs (and their lists), mapping profiles and goAML profiles, each edited
//! at random from the shipped files.

use super::csv::{check_counts, fx_table};
use crate::common::root;
use crate::props::{apply_edits, config, edits, line_count, Scratch};
use amlscreen::ingest::{ingest, IngestError, IngestOptions, MappingProfile};
use amlscreen::report::{load_goaml_profile, ReportError};
use amlscreen::rules::pack::{load_pack, load_pack_text};
use amlscreen::rules::RuleError;
use proptest::prelude::*;
use std::path::Path;

/// A pack's result: loaded, or refused naming the file and a line of it.
fn check_pack_result(
    result: Result<amlscreen::rules::Pack, RuleError>,
    path: &Path,
    text: &str,
) -> Result<(), TestCaseError> {
    match result {
        Ok(pack) => {
            // a pack that loads has rules with ids and plans
            for rule in &pack.rules {
                prop_assert!(!rule.plan.rule_id.is_empty());
            }
        }
        Err(RuleError::Pack {
            file,
            line,
            message,
        }) => {
            prop_assert_eq!(file, path.display().to_string());
            prop_assert!(
                (1..=line_count(text)).contains(&line),
                "line {} of {}: {}",
                line,
                line_count(text),
                message
            );
            prop_assert!(!message.trim().is_empty());
        }
        Err(other) => prop_assert!(false, "not a located pack error: {}", other),
    }
    Ok(())
}

const PACKS: [&str; 3] = ["cash.toml", "movement.toml", "geography.toml"];
const LISTS: [&str; 2] = [
    "fatf-call-for-action.toml",
    "fatf-increased-monitoring.toml",
];

proptest! {
    // 512 cases: about 0.3 s in a debug build
    #![proptest_config(config(512))]
    #[test]
    fn edited_rule_packs_load_or_name_the_file_and_line(
        pack in prop::sample::select(PACKS.to_vec()),
        edits in edits(),
    ) {
        let path = root().join("rules").join(pack);
        let text = apply_edits(&std::fs::read_to_string(&path).unwrap(), &edits);
        check_pack_result(load_pack_text(&path, &text), &path, &text)?;
    }
}

proptest! {
    // 128 cases: about 0.5 s in a debug build
    #![proptest_config(config(128))]
    #[test]
    fn edited_list_files_refuse_the_pack_at_its_lists_line(
        list in prop::sample::select(LISTS.to_vec()),
        edits in edits(),
    ) {
        let dir = Scratch::new("prop-lists");
        std::fs::create_dir_all(dir.join("lists")).unwrap();
        let pack_text = std::fs::read_to_string(root().join("rules/geography.toml")).unwrap();
        let pack = dir.join("geography.toml");
        std::fs::write(&pack, &pack_text).unwrap();
        for name in LISTS {
            let text = std::fs::read_to_string(root().join("rules/lists").join(name)).unwrap();
            let text = if name == list { apply_edits(&text, &edits) } else { text };
            std::fs::write(dir.join("lists").join(name), text).unwrap();
        }
        check_pack_result(load_pack(&pack), &pack, &pack_text)?;
    }
}

/// A profile's result: loaded (and then used to read the IBM sample), or refused naming the
/// file and a line.
fn check_profile(dir: &Path, path: &Path, text: &str) -> Result<(), TestCaseError> {
    match MappingProfile::load(path) {
        Ok(profile) => {
            // a profile that loads reads the data it was made for, or stops with the file
            let input = root().join("tests/fixtures/ingest/ibm-amlworld-sample.csv");
            let options = IngestOptions {
                profile: Some(profile),
                fx: fx_table(dir),
                delimiter: None,
            };
            match ingest(
                std::slice::from_ref(&input),
                &options,
                &mut Default::default(),
            ) {
                Ok(got) => check_counts(&got, &input)?,
                Err(e) => {
                    let message = e.to_string();
                    prop_assert!(message.len() < 2_000, "{}", message);
                    match e {
                        IngestError::BadDelimiter(_) => {}
                        _ => prop_assert!(
                            message.contains(&input.display().to_string()),
                            "{}",
                            message
                        ),
                    }
                }
            }
        }
        Err(IngestError::BadProfile {
            file,
            line,
            message,
        }) => {
            prop_assert_eq!(file, path.display().to_string());
            prop_assert!(
                (1..=line_count(text)).contains(&line),
                "line {} of {}: {}",
                line,
                line_count(text),
                message
            );
            prop_assert!(!message.trim().is_empty());
        }
        Err(other) => prop_assert!(false, "not a located profile error: {}", other),
    }
    Ok(())
}

proptest! {
    // 256 cases: about 0.7 s in a debug build (each profile that loads reads the IBM sample)
    #![proptest_config(config(256))]
    #[test]
    fn edited_mapping_profiles_load_or_name_the_file_and_line(edits in edits()) {
        let original = std::fs::read_to_string(root().join("profiles/ibm-amlworld.toml")).unwrap();
        let text = apply_edits(&original, &edits);
        let dir = Scratch::new("prop-profile");
        let path = dir.join("profile.toml");
        std::fs::write(&path, &text).unwrap();
        check_profile(&dir, &path, &text)?;
    }
}

proptest! {
    // 256 cases: about 1 s in a debug build
    #![proptest_config(config(256))]
    #[test]
    fn edited_goaml_profiles_load_or_name_the_file_and_the_line_or_field(edits in edits()) {
        let original = std::fs::read_to_string(root().join("profiles/goaml-example.toml")).unwrap();
        let text = apply_edits(&original, &edits);
        let dir = Scratch::new("prop-goaml");
        // the schema the profile names, beside it as in `profiles/`
        std::fs::create_dir_all(dir.join("schemas")).unwrap();
        std::fs::copy(
            root().join("profiles/schemas/goAMLSchema-5.0.2.xsd"),
            dir.join("schemas/goAMLSchema-5.0.2.xsd"),
        )
        .unwrap();
        let path = dir.join("goaml.toml");
        std::fs::write(&path, &text).unwrap();
        match load_goaml_profile(&path) {
            Ok(_) => {}
            Err(ReportError::ProfileSyntax { path: p, message }) => {
                prop_assert_eq!(p, path.clone());
                // the TOML parser's message: `TOML parse error at line N, column M`
                prop_assert!(message.contains("line "), "{}", message);
            }
            Err(ReportError::ProfileField { path: p, field, .. }) => {
                prop_assert_eq!(p, path.clone());
                prop_assert!(!field.is_empty());
            }
            // an edited `schema` key: named with its line
            Err(ReportError::ProfileSchema { path: p, line, .. }) => {
                prop_assert_eq!(p, path.clone());
                prop_assert!(line >= 1);
            }
            // a code the schema does not list: named with the profile's line and field
            Err(e @ ReportError::ProfileCode(_)) => {
                let message = e.to_string();
                prop_assert!(message.contains("goaml.toml:"), "{}", message);
            }
            Err(other) => prop_assert!(false, "not a profile error: {}", other),
        }
    }
}
