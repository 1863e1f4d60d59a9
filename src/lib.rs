//! amlscreen: anti-money-laundering transaction screening.
//!
//! The pipeline follows the modules: [`ingest`] reads transaction files into one canonical
//! frame (quarantining bad rows), [`rules`] runs declarative rule packs, `watchlist` screens
//! names against sanctions lists, `cases` groups alerts per subject and `report` writes the
//! analyst report and goAML XML. [`model`] holds the plain types they share.

pub mod cases;
pub mod customers;
pub mod engine;
pub mod evidence;
pub mod ingest;
pub mod inspect;
pub mod lab;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod screening;
#[cfg(feature = "spark")]
pub mod spark;
pub mod state;
pub mod synth;
mod text_stretches;
pub mod watchlist;
