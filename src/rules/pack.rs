//! Rule-pack files: the TOML format, named lists, and loading with precise errors.
//!
//! A pack is one TOML file with a `[pack]` header, optional `[lists]` (name → list file, relative
//! to the pack and inside its folder) and `[[rule]]` entries. Every table rejects unknown keys.

use super::kinds;
use super::params::Money;
use super::plan::{Detector, Field, Predicate, RulePlan, SegmentSide, SegmentVariant, Subject};
use super::segments;
use super::RuleError;
use crate::model::{Channel, RuleInfo, Typology};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    pack: PackHeader,
    #[serde(default)]
    lists: BTreeMap<String, Spanned<String>>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackHeader {
    id: Spanned<String>,
    version: String,
    description: String,
    base_currency: Spanned<String>,
    /// UTC offset of the business day (`-05:00` for Jamaica); UTC when absent.
    #[serde(default)]
    business_day_offset: Option<Spanned<String>>,
    #[serde(default)]
    references: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: Spanned<String>,
    title: String,
    typology: Spanned<String>,
    kind: Spanned<String>,
    subject: Spanned<String>,
    #[serde(default = "default_true")]
    enabled: bool,
    severity: Spanned<String>,
    score: f64,
    summary: Spanned<String>,
    detects: String,
    why: String,
    #[serde(default)]
    example: String,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    filter: FilterSpec,
    params: Spanned<toml::Table>,
    /// `[rule.segments.NAME]`: parameters that differ for the subjects of a segment.
    #[serde(default)]
    segments: BTreeMap<String, Spanned<toml::Table>>,
}

fn default_true() -> bool {
    true
}

/// Transaction filters, all optional, combined with AND.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilterSpec {
    #[serde(default)]
    channels: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_channels: Vec<Spanned<String>>,
    min_amount: Option<Money>,
    below_amount: Option<Money>,
    orig_country_in: Option<Spanned<String>>,
    bene_country_in: Option<Spanned<String>>,
    cross_border: Option<bool>,
    #[serde(default)]
    present: Vec<Spanned<String>>,
    #[serde(default)]
    empty: Vec<Spanned<String>>,
    same_person: Option<bool>,
    /// Only subjects in one of these segments (see `crate::rules::segments`).
    #[serde(default)]
    segments: Vec<Spanned<String>>,
    /// Only subjects in none of these segments.
    #[serde(default)]
    exclude_segments: Vec<Spanned<String>>,
}

/// A named list file (`rules/lists/*.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFile {
    list: ListHeader,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListHeader {
    id: String,
    title: String,
    source: String,
    as_of: String,
    kind: String,
    values: Vec<String>,
}

/// A named list as loaded: countries and the like, with where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedList {
    pub id: String,
    pub title: String,
    pub source: String,
    pub as_of: String,
    pub values: Vec<String>,
    pub path: PathBuf,
}

/// One rule as loaded: its plan, its documentation and its presentation.
#[derive(Debug, Clone)]
pub struct Rule {
    pub plan: RulePlan,
    pub info: RuleInfo,
    pub enabled: bool,
    /// The summary template with `{placeholders}`.
    pub summary: String,
    pub example: String,
    /// Each segment with parameters of its own (in segment-name order), and all of its
    /// parameters as `name = value` pairs; the plan's [`RulePlan::segments`] hold their
    /// detectors.
    pub segment_parameters: Vec<(String, Vec<(String, String)>)>,
}

impl Rule {
    /// The parameters a subject of `segment` is judged by (the rule's own when the segment has
    /// none of its own).
    pub fn parameters_for(&self, segment: Option<&str>) -> &[(String, String)] {
        segment
            .and_then(|s| self.segment_parameters.iter().find(|(name, _)| name == s))
            .map_or(&self.info.parameters, |(_, p)| p)
    }
}

/// A loaded rule pack.
#[derive(Debug, Clone)]
pub struct Pack {
    pub id: String,
    pub version: String,
    pub description: String,
    pub base_currency: String,
    pub references: Vec<String>,
    pub path: PathBuf,
    pub sha256: String,
    pub rules: Vec<Rule>,
    pub lists: Vec<NamedList>,
}

/// 1-based line of a byte offset in `text`.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn error(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> RuleError {
        RuleError::Pack {
            file: self.path.display().to_string(),
            line: line_at(self.text, span.start),
            message: message.into(),
        }
    }
}

/// Loads and compiles one pack file (a [built-in](super::builtin) one from the binary).
pub fn load_pack(path: &Path) -> Result<Pack, RuleError> {
    let text = super::builtin::read(path).map_err(|e| RuleError::Unreadable {
        file: path.display().to_string(),
        source: e,
    })?;
    load_pack_text(path, &text)
}

/// Compiles pack text as if it were the file at `path` (lists resolve beside `path`).
pub fn load_pack_text(path: &Path, text: &str) -> Result<Pack, RuleError> {
    let text = text.to_string();
    let ctx = Ctx { path, text: &text };
    let file: PackFile = toml::from_str(&text).map_err(|e| RuleError::Pack {
        file: path.display().to_string(),
        line: e.span().map(|s| line_at(&text, s.start)).unwrap_or(0),
        message: crate::ingest::profile::toml_message(&e, &text),
    })?;
    check_id(&ctx, "pack", &file.pack.id)?;
    let base_currency = file
        .pack
        .base_currency
        .get_ref()
        .trim()
        .to_ascii_uppercase();
    if !crate::ingest::is_currency(&base_currency) {
        return Err(ctx.error(
            file.pack.base_currency.span(),
            format!(
                "base_currency `{}` is not an ISO 4217 currency code; expected the currency of the pack's amounts, such as \"USD\"",
                file.pack.base_currency.get_ref()
            ),
        ));
    }
    let business_day_offset = match &file.pack.business_day_offset {
        None => 0,
        Some(s) => crate::ingest::timestamp::parse_utc_offset(s.get_ref()).ok_or_else(|| {
            ctx.error(
                s.span(),
                format!(
                    "business_day_offset `{}` is not an offset such as \"-05:00\"",
                    s.get_ref()
                ),
            )
        })?,
    };
    let mut lists = BTreeMap::new();
    for (name, rel) in &file.lists {
        let list = load_list(path, rel.get_ref()).map_err(|m| ctx.error(rel.span(), m))?;
        lists.insert(name.clone(), list);
    }
    let mut rules = Vec::with_capacity(file.rules.len());
    let mut seen = std::collections::HashSet::new();
    for spec in &file.rules {
        check_id(&ctx, "rule", &spec.id)?;
        if !seen.insert(spec.id.get_ref().clone()) {
            return Err(ctx.error(
                spec.id.span(),
                format!("rule id `{}` appears twice", spec.id.get_ref()),
            ));
        }
        rules.push(compile_rule(
            &ctx,
            file.pack.id.get_ref(),
            spec,
            &lists,
            business_day_offset,
        )?);
    }
    Ok(Pack {
        id: file.pack.id.into_inner(),
        version: file.pack.version,
        description: file.pack.description,
        base_currency,
        references: file.pack.references,
        path: path.to_path_buf(),
        sha256: sha256_hex(text.as_bytes()),
        rules,
        lists: lists.into_values().collect(),
    })
}

/// Refuses a pack or rule id that is empty or holds anything but ASCII letters, digits, `_` and
/// `-`: ids name rules in alerts, in `--sweep RULE.PARAM` and in golden tests.
fn check_id(ctx: &Ctx, what: &str, id: &Spanned<String>) -> Result<(), RuleError> {
    let text = id.get_ref();
    let expected = "letters, digits, `_` or `-`, such as \"structuring\"";
    if text.is_empty() {
        return Err(ctx.error(
            id.span(),
            format!("{what} id is empty; expected a name of {expected}"),
        ));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(ctx.error(
            id.span(),
            format!("{what} id `{text}` holds {bad:?}; expected {expected}"),
        ));
    }
    Ok(())
}

/// SHA-256 of `bytes` as lower-case hex (of a pack's text: the digest of its file).
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Loads a list file named relative to the pack. The list must stay inside the pack's folder.
fn load_list(pack_path: &Path, relative: &str) -> Result<NamedList, String> {
    let folder = match pack_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let candidate = folder.join(relative);
    if super::builtin::is_builtin(pack_path) {
        // a built-in pack names built-in lists, beside it in the binary
        let text = super::builtin::text(&candidate).ok_or_else(|| {
            format!(
                "list file `{relative}` is not among the built-in files (looked for {})",
                candidate.display()
            )
        })?;
        return parse_list(relative, &candidate, text);
    }
    let resolved = candidate.canonicalize().map_err(|_| {
        format!(
            "list file `{relative}` is not there (looked for {})",
            candidate.display()
        )
    })?;
    let root = folder
        .canonicalize()
        .map_err(|e| format!("cannot resolve the pack folder: {e}"))?;
    if !resolved.starts_with(&root) {
        return Err(format!(
            "list file `{relative}` is outside the pack's folder {}; packs may only name lists beside them",
            root.display()
        ));
    }
    let text = std::fs::read_to_string(&resolved)
        .map_err(|e| format!("cannot read list `{relative}`: {e}"))?;
    parse_list(relative, &resolved, &text)
}

/// Parses and checks the text of a list file found at `resolved`.
fn parse_list(relative: &str, resolved: &Path, text: &str) -> Result<NamedList, String> {
    let parsed: ListFile = toml::from_str(text).map_err(|e| {
        format!(
            "list {}:{}: {}",
            resolved.display(),
            e.span().map(|s| line_at(text, s.start)).unwrap_or(0),
            crate::ingest::profile::toml_message(&e, text)
        )
    })?;
    let header = parsed.list;
    if header.kind != "country" {
        return Err(format!(
            "list `{relative}` has kind `{}`; expected \"country\"",
            header.kind
        ));
    }
    if header.values.is_empty() {
        return Err(format!("list `{relative}` has no values"));
    }
    let values: Vec<String> = header
        .values
        .iter()
        .map(|v| v.trim().to_ascii_uppercase())
        .collect();
    if let Some(bad) = values
        .iter()
        .find(|v| v.len() != 2 || !v.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(format!(
            "list `{relative}` has `{bad}`, which is not an ISO 3166-1 alpha-2 code"
        ));
    }
    Ok(NamedList {
        id: header.id,
        title: header.title,
        source: header.source,
        as_of: header.as_of,
        values,
        path: resolved.to_path_buf(),
    })
}

/// The body of a `[rule.params]` table: from the line after its header to the next header.
fn params_body(text: &str, span: std::ops::Range<usize>) -> Option<(&str, usize)> {
    let slice = text.get(span.start..)?;
    if !slice.starts_with('[') {
        return None;
    }
    let body_start = span.start + slice.find('\n')? + 1;
    let mut end = text.len();
    let mut pos = body_start;
    for line in text[body_start..].split_inclusive('\n') {
        if line.trim_start().starts_with('[') && !line.trim_start().starts_with("[\"") {
            end = pos;
            break;
        }
        pos += line.len();
    }
    Some((&text[body_start..end], body_start))
}

fn parse_channel(ctx: &Ctx, s: &Spanned<String>) -> Result<Channel, RuleError> {
    Channel::parse(s.get_ref()).ok_or_else(|| {
        ctx.error(
            s.span(),
            format!("unknown channel `{}`; expected one of CASH, WIRE, ACH, CHEQUE, CARD, MOBILE, CRYPTO, INTERNAL, OTHER", s.get_ref()),
        )
    })
}

fn parse_field(ctx: &Ctx, s: &Spanned<String>) -> Result<Field, RuleError> {
    Field::parse(s.get_ref()).ok_or_else(|| {
        ctx.error(
            s.span(),
            format!("unknown field `{}`; expected one of orig_account, orig_name, orig_country, bene_account, bene_name, bene_country, branch", s.get_ref()),
        )
    })
}

fn list_values(
    ctx: &Ctx,
    lists: &BTreeMap<String, NamedList>,
    name: &Spanned<String>,
) -> Result<Vec<String>, RuleError> {
    lists
        .get(name.get_ref())
        .map(|l| l.values.clone())
        .ok_or_else(|| {
            ctx.error(
                name.span(),
                format!(
                    "list `{}` is not declared in this pack's [lists]; declared: {}",
                    name.get_ref(),
                    if lists.is_empty() {
                        "none".to_string()
                    } else {
                        lists.keys().cloned().collect::<Vec<_>>().join(", ")
                    }
                ),
            )
        })
}

fn compile_filter(
    ctx: &Ctx,
    spec: &FilterSpec,
    lists: &BTreeMap<String, NamedList>,
) -> Result<Vec<Predicate>, RuleError> {
    let mut out = Vec::new();
    if !spec.channels.is_empty() {
        out.push(Predicate::ChannelIn(
            spec.channels
                .iter()
                .map(|c| parse_channel(ctx, c))
                .collect::<Result<_, _>>()?,
        ));
    }
    if !spec.exclude_channels.is_empty() {
        out.push(Predicate::ChannelNotIn(
            spec.exclude_channels
                .iter()
                .map(|c| parse_channel(ctx, c))
                .collect::<Result<_, _>>()?,
        ));
    }
    if let Some(m) = spec.min_amount {
        out.push(Predicate::BaseAmountAtLeast(m.0));
    }
    if let Some(m) = spec.below_amount {
        out.push(Predicate::BaseAmountBelow(m.0));
    }
    if let Some(name) = &spec.orig_country_in {
        out.push(Predicate::FieldIn {
            field: Field::OrigCountry,
            values: list_values(ctx, lists, name)?,
        });
    }
    if let Some(name) = &spec.bene_country_in {
        out.push(Predicate::FieldIn {
            field: Field::BeneCountry,
            values: list_values(ctx, lists, name)?,
        });
    }
    if let Some(b) = spec.cross_border {
        out.push(Predicate::CrossBorder(b));
    }
    for f in &spec.present {
        out.push(Predicate::Present {
            field: parse_field(ctx, f)?,
            present: true,
        });
    }
    for f in &spec.empty {
        out.push(Predicate::Present {
            field: parse_field(ctx, f)?,
            present: false,
        });
    }
    if let Some(b) = spec.same_person {
        out.push(Predicate::SamePerson(b));
    }
    Ok(out)
}

fn compile_rule(
    ctx: &Ctx,
    pack_id: &str,
    spec: &RuleSpec,
    lists: &BTreeMap<String, NamedList>,
    business_day_offset: i32,
) -> Result<Rule, RuleError> {
    let typology = Typology::parse(spec.typology.get_ref()).ok_or_else(|| {
        ctx.error(
            spec.typology.span(),
            format!(
                "unknown typology `{}`; expected one of {}",
                spec.typology.get_ref(),
                Typology::ALL
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let subject = match spec.subject.get_ref().as_str() {
        "originator" => Subject::Originator,
        "beneficiary" => Subject::Beneficiary,
        "account" => Subject::Account,
        "either" => Subject::Either,
        "counterparty_of_list" => Subject::OppositeOfCountryIn(Vec::new()),
        other => {
            return Err(ctx.error(
                spec.subject.span(),
                format!("unknown subject `{other}`; expected originator, beneficiary, account, either or counterparty_of_list"),
            ))
        }
    };
    let severity = spec.severity.get_ref().as_str();
    if !["low", "medium", "high", "critical"].contains(&severity) {
        return Err(ctx.error(
            spec.severity.span(),
            format!("unknown severity `{severity}`; expected low, medium, high or critical"),
        ));
    }
    if !(0.0..=100.0).contains(&spec.score) {
        return Err(ctx.error(
            spec.id.span(),
            format!(
                "rule `{}`: score {} is outside 0..=100",
                spec.id.get_ref(),
                spec.score
            ),
        ));
    }
    let mut filter = compile_filter(ctx, &spec.filter, lists)?;
    let params_error = |message: String| {
        ctx.error(
            spec.params.span(),
            format!("rule `{}` params: {message}", spec.id.get_ref()),
        )
    };
    let source = kinds::ParamsSource {
        table: spec.params.get_ref().clone(),
        body: params_body(ctx.text, spec.params.span()),
    };
    let compiled = kinds::compile_kind(spec.kind.get_ref(), &source, lists, business_day_offset)
        .map_err(|e| match e {
            kinds::KindError::UnknownKind(k) => ctx.error(
                spec.kind.span(),
                format!(
                    "unknown kind `{k}`; expected one of {}",
                    kinds::KIND_NAMES.join(", ")
                ),
            ),
            kinds::KindError::Params(m) => params_error(m),
            kinds::KindError::ParamsAt { offset, message } => ctx.error(
                offset..offset,
                format!("rule `{}` params: {message}", spec.id.get_ref()),
            ),
        })?;
    filter.extend(compiled.extra_filter);
    let subject = match (subject, compiled.subject_override) {
        (_, Some(s)) => s,
        (Subject::OppositeOfCountryIn(_), None) => {
            return Err(ctx.error(
                spec.subject.span(),
                "subject counterparty_of_list needs a kind with a `list` (geography)",
            ))
        }
        (s, None) => s,
    };
    kinds::check_summary(
        spec.summary.get_ref(),
        &compiled.described,
        &compiled.detector,
    )
    .map_err(|m| ctx.error(spec.summary.span(), m))?;
    let mut segment_filter = Vec::new();
    for (names, member) in [
        (&spec.filter.segments, true),
        (&spec.filter.exclude_segments, false),
    ] {
        let Some(first) = names.first() else {
            continue;
        };
        let side = SegmentSide::of(&subject)
            .filter(|_| judges_own_transactions(&compiled.detector))
            .ok_or_else(|| {
                ctx.error(
                    first.span(),
                    format!(
                        "rule `{}`: a segment filter needs a subject of one account per transaction (originator, beneficiary or account) and a kind that judges the account's own transactions (threshold, aggregate, structuring, smurfing, fan_in and fan_out by account, round_amounts, rapid_movement, placement_then_transfer)",
                        spec.id.get_ref()
                    ),
                )
            })?;
        let mut segments = Vec::new();
        for name in names {
            if !segments::VOCABULARY.contains(&name.get_ref().as_str()) {
                return Err(ctx.error(
                    name.span(),
                    format!(
                        "unknown segment `{}`; expected one of {}",
                        name.get_ref(),
                        segments::VOCABULARY.join(", ")
                    ),
                ));
            }
            segments.push(name.get_ref().clone());
        }
        segment_filter.push(Predicate::SegmentIn {
            side,
            segments,
            member,
        });
    }
    filter.extend(segment_filter.iter().cloned());
    let (variants, segment_parameters) = compile_segments(
        ctx,
        spec,
        &subject,
        &compiled.detector,
        (lists, &segment_filter),
        business_day_offset,
    )?;
    let info = RuleInfo {
        rule_id: spec.id.get_ref().clone(),
        pack: pack_id.to_string(),
        typology: typology.as_str().to_string(),
        kind: spec.kind.get_ref().clone(),
        title: spec.title.clone(),
        detects: spec.detects.trim().to_string(),
        why: spec.why.trim().to_string(),
        parameters: compiled.described,
        severity: severity.to_string(),
        score: spec.score,
        references: spec.references.clone(),
    };
    Ok(Rule {
        plan: RulePlan {
            rule_id: spec.id.get_ref().clone(),
            pack: pack_id.to_string(),
            typology,
            subject,
            filter,
            detector: compiled.detector,
            segments: variants,
        },
        info,
        enabled: spec.enabled,
        summary: spec.summary.get_ref().clone(),
        example: spec.example.trim().to_string(),
        segment_parameters,
    })
}

/// Whether a detector judges each subject on its own transactions, so that the subject's segment
/// can choose its parameters or filter it.
fn judges_own_transactions(detector: &Detector) -> bool {
    matches!(
        detector,
        Detector::PerTransaction | Detector::Windowed { .. } | Detector::FlowThrough { .. }
    )
}

type CompiledSegments = (Vec<SegmentVariant>, Vec<(String, Vec<(String, String)>)>);

/// A rule's `[rule.segments.NAME]` tables: each segment's parameters are the rule's, with the
/// table's values instead, compiled by the same kind. Only rules whose subject is one account
/// of each transaction, with a per-transaction, windowed or flow-through detector, take them.
fn compile_segments(
    ctx: &Ctx,
    spec: &RuleSpec,
    subject: &Subject,
    detector: &Detector,
    (lists, segment_filter): (&BTreeMap<String, NamedList>, &[Predicate]),
    business_day_offset: i32,
) -> Result<CompiledSegments, RuleError> {
    if spec.segments.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let rule = spec.id.get_ref();
    let at = |span: std::ops::Range<usize>, m: String| {
        ctx.error(span, format!("rule `{rule}` segments: {m}"))
    };
    let first = spec.segments.values().next().map_or(0..0, |t| t.span());
    if SegmentSide::of(subject).is_none() {
        return Err(at(
            first,
            "segment parameters need a subject of one account per transaction (originator, beneficiary or account)".into(),
        ));
    }
    if !judges_own_transactions(detector) {
        return Err(at(first, format!(
            "kind `{}` takes no segment parameters; per-segment parameters are for the kinds that judge one account's own transactions (threshold, aggregate, structuring, smurfing, fan_in and fan_out by account, round_amounts, rapid_movement, placement_then_transfer)",
            spec.kind.get_ref()
        )));
    }
    let mut variants = Vec::new();
    let mut described = Vec::new();
    for (segment, overrides) in &spec.segments {
        let error = |m: String| at(overrides.span(), m);
        if !segments::VOCABULARY.contains(&segment.as_str()) {
            return Err(error(format!(
                "unknown segment `{segment}`; expected one of {}",
                segments::VOCABULARY.join(", ")
            )));
        }
        let mut merged = spec.params.get_ref().clone();
        // a name the kind does not know is refused by the kind, as in [rule.params]
        for (name, value) in overrides.get_ref() {
            merged.insert(name.clone(), value.clone());
        }
        let source = kinds::ParamsSource {
            table: merged,
            body: None,
        };
        let compiled =
            kinds::compile_kind(spec.kind.get_ref(), &source, lists, business_day_offset).map_err(
                |e| match e {
                    kinds::KindError::UnknownKind(k) => error(format!("unknown kind `{k}`")),
                    kinds::KindError::Params(m) | kinds::KindError::ParamsAt { message: m, .. } => {
                        error(format!("`{segment}`: {m}"))
                    }
                },
            )?;
        if compiled
            .subject_override
            .as_ref()
            .is_some_and(|s| s != subject)
        {
            return Err(error(format!("`{segment}` changes the rule's subject")));
        }
        let mut filter = compile_filter(ctx, &spec.filter, lists)?;
        filter.extend(compiled.extra_filter);
        filter.extend(segment_filter.iter().cloned());
        variants.push(SegmentVariant {
            segment: segment.clone(),
            filter,
            detector: compiled.detector,
        });
        described.push((segment.clone(), compiled.described));
    }
    Ok((variants, described))
}
