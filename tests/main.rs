//! The single integration-test binary. Each module covers one part of the pipeline.

mod common;

mod cases;
mod cli;
mod customers;
mod goaml;
mod ingest;
mod lab;
mod nightly;
mod props;
mod report;
mod rules;
#[cfg(feature = "spark")]
mod spark;
mod synth;
mod trust;
mod watchlist;
