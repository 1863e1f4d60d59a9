//! Sanctions screening: load watchlists (OFAC SDN CSV, UN XML, OpenSanctions FtM, simple CSV),
//! normalise names, index them for fast candidate lookup and score names with an explanation.
//!
//! ```no_run
//! use amlscreen::watchlist::{load_watchlists, Screener, DEFAULT_THRESHOLD};
//! let set = load_watchlists(&["sample-data/watchlists".into()]).unwrap();
//! let screener = Screener::new(&set);
//! for hit in screener.screen("Usama bin Ladin", DEFAULT_THRESHOLD, 5) {
//!     println!("{} {} {:.2} {}", hit.list, hit.matched_name, hit.score, hit.explanation);
//! }
//! ```

mod entry;
mod error;
pub mod eval;
pub(crate) mod fast_hash;
mod index;
mod io;
mod load;
pub mod normalize;
pub mod phonetic;
pub mod score;
mod screener;

pub use entry::{Entry, ListedName, NameKind, SourceInfo, WatchlistSet};
pub use error::WatchlistError;
pub use io::{read_names_file, write_hits_csv};
pub use load::load_watchlists;
pub use screener::{Hit, Screener, DEFAULT_THRESHOLD};
