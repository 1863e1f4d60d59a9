//! Threshold sweeps: evaluate a grid of parameter settings of one rule in one pass.
//!
//! `--sweep structuring.min_count=2..6 --sweep structuring.window=3d,7d,14d` gives 15 settings.
//! Settings whose plans differ only in threshold values (a windowed rule's `min_count`,
//! `min_sum`, `min_counterparties`, …) share one computation of the windowed measures and of the
//! evidence rows; each setting then only filters the measures. Other parameters (a window
//! length, a band) recompute the windows once per distinct value. Other kinds run once per
//! setting. Results equal separate runs at each setting, because both use the same engine code.

use super::engine;
use super::pack::{load_pack_text, Rule};
use super::plan::Detector;
use super::{episodes_to_alerts, RuleError, RuleSet};
use crate::model::Alert;
use polars::prelude::*;
use std::collections::BTreeMap;

/// One swept parameter: `rule.param=values`.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    pub rule_id: String,
    pub param: String,
    pub values: Vec<String>,
}

/// One grid point and the alerts it gives.
#[derive(Debug, Clone)]
pub struct SweepSetting {
    /// `(param, value)` per axis, in axis order.
    pub setting: Vec<(String, String)>,
    pub alerts: Vec<Alert>,
}

/// Parses `rule.param=2..6` (integers, inclusive) or `rule.param=3d,7d,14d`.
pub fn parse_axis(text: &str) -> Result<SweepAxis, String> {
    let (target, values) = text.split_once('=').ok_or_else(|| {
        format!("sweep `{text}`: expected RULE.PARAM=VALUES such as structuring.min_count=2..6")
    })?;
    let (rule_id, param) = target
        .split_once('.')
        .ok_or_else(|| format!("sweep `{text}`: expected RULE.PARAM before `=`"))?;
    let values: Vec<String> = match values.split_once("..") {
        Some((lo, hi)) => {
            let lo: i64 = lo
                .trim()
                .parse()
                .map_err(|_| format!("sweep `{text}`: `{lo}` is not an integer"))?;
            let hi: i64 = hi
                .trim()
                .parse()
                .map_err(|_| format!("sweep `{text}`: `{hi}` is not an integer"))?;
            if hi < lo || hi - lo > 1000 {
                return Err(format!(
                    "sweep `{text}`: range must be increasing and at most 1000 values"
                ));
            }
            (lo..=hi).map(|v| v.to_string()).collect()
        }
        None => values
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect(),
    };
    if values.is_empty() {
        return Err(format!("sweep `{text}`: no values"));
    }
    Ok(SweepAxis {
        rule_id: rule_id.to_string(),
        param: param.to_string(),
        values,
    })
}

/// The cartesian product of the axes' values.
fn grid(axes: &[SweepAxis]) -> Vec<Vec<(String, String)>> {
    let mut points: Vec<Vec<(String, String)>> = vec![vec![]];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                axis.values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((axis.param.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    points
}

/// Compiles `rule_id` of the pack with some parameters replaced.
pub fn rule_with_params(
    set: &RuleSet,
    rule_id: &str,
    overrides: &[(String, String)],
) -> Result<Rule, RuleError> {
    let pack = set
        .packs
        .iter()
        .find(|p| p.rules.iter().any(|r| r.plan.rule_id == rule_id))
        .ok_or_else(|| RuleError::Engine {
            rule: rule_id.to_string(),
            message: "no such rule in the packs".into(),
        })?;
    let text = super::builtin::read(&pack.path).map_err(|e| RuleError::Unreadable {
        file: pack.path.display().to_string(),
        source: e,
    })?;
    let mut doc: toml::Table = toml::from_str(&text).map_err(|e| RuleError::Pack {
        file: pack.path.display().to_string(),
        line: 0,
        message: e.message().to_string(),
    })?;
    let rule = doc
        .get_mut("rule")
        .and_then(|r| r.as_array_mut())
        .and_then(|rules| {
            rules
                .iter_mut()
                .find(|r| r.get("id").and_then(|v| v.as_str()) == Some(rule_id))
        })
        .and_then(|r| r.get_mut("params"))
        .and_then(|p| p.as_table_mut())
        .ok_or_else(|| RuleError::Engine {
            rule: rule_id.to_string(),
            message: "rule has no [rule.params]".into(),
        })?;
    for (param, value) in overrides {
        let typed = match rule.get(param) {
            Some(toml::Value::Integer(_)) => value.parse::<i64>().map(toml::Value::Integer).ok(),
            Some(toml::Value::Float(_)) => value.parse::<f64>().map(toml::Value::Float).ok(),
            Some(_) => Some(toml::Value::String(value.clone())),
            None => {
                return Err(RuleError::Engine {
                    rule: rule_id.to_string(),
                    message: format!(
                        "cannot sweep `{param}`: the rule does not set it (its params: {})",
                        rule.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                })
            }
        }
        .ok_or_else(|| RuleError::Engine {
            rule: rule_id.to_string(),
            message: format!("`{param}` = `{value}` is not a number"),
        })?;
        rule.insert(param.clone(), typed);
    }
    let text = toml::to_string(&doc).map_err(|e| RuleError::Engine {
        rule: rule_id.to_string(),
        message: e.to_string(),
    })?;
    let pack = load_pack_text(&pack.path, &text)?;
    pack.rules
        .into_iter()
        .find(|r| r.plan.rule_id == rule_id)
        .ok_or_else(|| RuleError::Engine {
            rule: rule_id.to_string(),
            message: "rule vanished".into(),
        })
}

/// A plan with its threshold values zeroed: settings with equal keys share windowed features.
/// A plan with segment parameters runs whole at each setting.
fn feature_key(rule: &Rule) -> Option<String> {
    if !rule.plan.segments.is_empty() {
        return None;
    }
    let mut plan = rule.plan.clone();
    if let Detector::Windowed { conditions, .. } = &mut plan.detector {
        for c in conditions.iter_mut() {
            c.value = 0;
        }
        Some(format!("{plan:?}"))
    } else {
        None
    }
}

/// Evaluates every grid point of the axes (all of one rule) over a canonical frame.
pub fn run_sweep(
    frame: &DataFrame,
    set: &RuleSet,
    axes: &[SweepAxis],
    base_currency: &str,
) -> Result<Vec<SweepSetting>, RuleError> {
    run_sweep_in(
        frame,
        set,
        axes,
        base_currency,
        &engine::EngineContext::default(),
    )
}

/// [`run_sweep`] with facts from outside the frame (a customer file's segments).
pub fn run_sweep_in(
    frame: &DataFrame,
    set: &RuleSet,
    axes: &[SweepAxis],
    base_currency: &str,
    context: &engine::EngineContext,
) -> Result<Vec<SweepSetting>, RuleError> {
    let Some(first) = axes.first() else {
        return Ok(Vec::new());
    };
    if let Some(other) = axes.iter().find(|a| a.rule_id != first.rule_id) {
        return Err(RuleError::Engine {
            rule: other.rule_id.clone(),
            message: format!(
                "a sweep covers one rule at a time; got `{}` and `{}`",
                first.rule_id, other.rule_id
            ),
        });
    }
    let engine_err = |e: PolarsError| RuleError::Engine {
        rule: first.rule_id.clone(),
        message: e.to_string(),
    };
    let points = grid(axes);
    let rules: Vec<Rule> = points
        .iter()
        .map(|p| rule_with_params(set, &first.rule_id, p))
        .collect::<Result<_, _>>()?;
    let all: Vec<&Rule> = rules.iter().collect();
    let segmenting = super::run_segmenting(&all, context);
    let base = engine::RunFrame::new(frame.clone(), segmenting).map_err(engine_err)?;
    // settings that share windowed features, and those that run whole (`None`)
    let mut groups: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
    for (i, rule) in rules.iter().enumerate() {
        groups.entry(feature_key(rule)).or_default().push(i);
    }
    let mut episodes: Vec<Option<Vec<engine::Episode>>> = vec![None; rules.len()];
    for (key, members) in &groups {
        let prepared = match key {
            Some(_) => {
                engine::prepare_windowed(&base, &rules[members[0]].plan).map_err(engine_err)?
            }
            None => None,
        };
        for &i in members {
            let found = match (&prepared, &rules[i].plan.detector) {
                (
                    Some(p),
                    Detector::Windowed {
                        conditions,
                        combine,
                        ..
                    },
                ) => engine::windowed_episodes(p, conditions, *combine).map_err(engine_err)?,
                _ => engine::run_plan(&base, &rules[i].plan, context).map_err(engine_err)?,
            };
            episodes[i] = Some(found);
        }
    }
    let mut out = Vec::with_capacity(points.len());
    for ((point, rule), eps) in points.into_iter().zip(&rules).zip(episodes) {
        let (alerts, _) = episodes_to_alerts(
            base.frame(),
            &[(rule, eps.unwrap_or_default())],
            base_currency,
        )
        .map_err(engine_err)?;
        out.push(SweepSetting {
            setting: point,
            alerts,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_parse_ranges_and_lists() {
        let a = parse_axis("structuring.min_count=2..4").unwrap();
        assert_eq!(a.values, vec!["2", "3", "4"]);
        assert_eq!(a.param, "min_count");
        let b = parse_axis("structuring.window=3d,7d").unwrap();
        assert_eq!(b.values, vec!["3d", "7d"]);
        assert!(parse_axis("structuring=2").is_err());
        assert_eq!(grid(&[a, b]).len(), 6);
    }
}
