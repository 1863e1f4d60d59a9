//! Benchmarks of the sanctions-screening module: normalisation, pair scoring, candidate lookup
//! and screening, on the sample watchlists (`sample-data/watchlists`).
//!
//! Run: `cargo bench --bench watchlist`.

use amlscreen::watchlist::normalize::normalize_name;
use amlscreen::watchlist::score::score_names;
use amlscreen::watchlist::{load_watchlists, Screener, DEFAULT_THRESHOLD};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::path::PathBuf;

const QUERIES: &[&str] = &[
    "Usama bin Ladin",
    "George Bush",
    "Banco Nacional de Cuba S.A.",
    "Mohammed Ali Hassan",
    "Мария Александровна Осетрова",
    "ANGLO CARIBBEAN COMPANY LIMITED",
    "Jose Antonio Garcia Lopez",
];

fn screener() -> Screener {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/watchlists");
    let set = load_watchlists(&[folder]).expect("sample watchlists load");
    Screener::new(&set)
}

fn normalisation(c: &mut Criterion) {
    c.bench_function("watchlist/normalize_name x7", |b| {
        b.iter(|| {
            for q in QUERIES {
                black_box(normalize_name(black_box(q), true));
            }
        })
    });
}

fn scoring(c: &mut Criterion) {
    c.bench_function("watchlist/score_names pair", |b| {
        b.iter(|| {
            score_names(
                black_box("Osama bin Laden"),
                black_box("BIN LADIN, Usama bin Muhammad bin Awad"),
                true,
            )
        })
    });
}

fn candidate_lookup(c: &mut Criterion) {
    let screener = screener();
    c.bench_function("watchlist/candidate_count x7", |b| {
        b.iter(|| {
            for q in QUERIES {
                black_box(screener.candidate_count(black_box(q), DEFAULT_THRESHOLD));
            }
        })
    });
    c.bench_function("watchlist/screen x7", |b| {
        b.iter(|| {
            for q in QUERIES {
                black_box(screener.screen(black_box(q), DEFAULT_THRESHOLD, 10));
            }
        })
    });
    let many: Vec<String> = (0..2000)
        .map(|i| format!("{} {i}", QUERIES[i % QUERIES.len()]))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    c.bench_function("watchlist/screen_many 2000", |b| {
        b.iter(|| black_box(screener.screen_many(&many, DEFAULT_THRESHOLD, 10)))
    });
}

criterion_group!(benches, normalisation, scoring, candidate_lookup);
criterion_main!(benches);
