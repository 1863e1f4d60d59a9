//! Hot paths of the pipeline on generated data: ingest (against a plain Polars read) and each
//! rule kind of the shipped packs. Throughput is reported in rows per second.
//!
//! Run: `cargo bench --bench pipeline` (set `BENCH_ACCOUNTS` to change the size; default 2,000
//! accounts × 90 days ≈ 200k rows).

use amlscreen::ingest::{ingest, source, FxTable, IngestOptions};
use amlscreen::lab::{generate_to, DataFormat};
use amlscreen::rules::sweep::{parse_axis, rule_with_params, run_sweep};
use amlscreen::rules::{run_rules, RuleSet};
use amlscreen::synth::GeneratorConfig;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::collections::HashSet;
use std::path::PathBuf;

fn data() -> (PathBuf, PathBuf) {
    let accounts: usize = std::env::var("BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = std::env::temp_dir().join(format!("amlscreen-bench-{accounts}"));
    let csv = dir.join("transactions.csv");
    if !csv.exists() {
        let cfg = GeneratorConfig {
            accounts,
            days: 90,
            seed: 1,
            ..GeneratorConfig::default()
        };
        generate_to(&cfg, DataFormat::Csv, &dir).expect("generate");
    }
    (csv, dir.join("fx.csv"))
}

fn benches(c: &mut Criterion) {
    let (csv, fx) = data();
    let options = IngestOptions {
        profile: None,
        fx: FxTable::load(&fx, "USD").unwrap(),
        delimiter: None,
    };
    let frame = ingest(
        std::slice::from_ref(&csv),
        &options,
        &mut Default::default(),
    )
    .unwrap()
    .frame;
    let rows = frame.height() as u64;

    let mut group = c.benchmark_group("ingest");
    group.sample_size(10).throughput(Throughput::Elements(rows));
    group.bench_function("validate_and_quarantine", |b| {
        b.iter(|| {
            ingest(
                std::slice::from_ref(&csv),
                &options,
                &mut Default::default(),
            )
            .unwrap()
        })
    });
    group.bench_function("plain_polars_read", |b| {
        b.iter(|| source::plain_read(&csv).unwrap())
    });
    group.finish();

    let set = RuleSet::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules")]).unwrap();
    let mut group = c.benchmark_group("rule_kind");
    group.sample_size(10).throughput(Throughput::Elements(rows));
    let mut seen = HashSet::new();
    for rule in set.rules() {
        if !seen.insert(rule.info.kind.clone()) {
            continue;
        }
        group.bench_function(format!("{} ({})", rule.info.kind, rule.info.rule_id), |b| {
            b.iter(|| run_rules(&frame, &[rule], "USD").unwrap())
        });
    }
    group.finish();

    // a 5 x 3 grid of structuring settings: one pass against one run per setting
    let axes: Vec<_> = ["structuring.min_count=2..6", "structuring.window=3d,7d,14d"]
        .iter()
        .map(|a| parse_axis(a).unwrap())
        .collect();
    let mut group = c.benchmark_group("sweep_structuring_15_settings");
    group.sample_size(10).throughput(Throughput::Elements(rows));
    group.bench_function("one_pass", |b| {
        b.iter(|| run_sweep(&frame, &set, &axes, "USD").unwrap())
    });
    group.bench_function("separate_runs", |b| {
        b.iter(|| {
            for min_count in 2..=6 {
                for window in ["3d", "7d", "14d"] {
                    let setting = vec![
                        ("min_count".to_string(), min_count.to_string()),
                        ("window".to_string(), window.to_string()),
                    ];
                    let rule = rule_with_params(&set, "structuring", &setting).unwrap();
                    run_rules(&frame, &[&rule], "USD").unwrap();
                }
            }
        })
    });
    group.finish();

    let all: Vec<&amlscreen::rules::Rule> = set.rules().collect();
    let mut group = c.benchmark_group("rules");
    group.sample_size(10).throughput(Throughput::Elements(rows));
    group.bench_function("all_shipped_packs", |b| {
        b.iter(|| run_rules(&frame, &all, "USD").unwrap())
    });
    group.finish();
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
