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

mod countries;
mod entry;
mod error;
pub mod eval;
mod facts;
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
pub use facts::{
    compare_birth_date, compare_birth_dates, country_code, country_code_of_name, id_kinds_agree,
    is_matchable_id, normalize_id, split_id_kind, Agreement, BirthDate, IdDocument, IdKind,
    PartialDate, CIRCA_YEARS, MIN_ID_CHARS,
};
pub use io::{read_names_file, read_parties_file, write_hits_csv};
pub use load::load_watchlists;
pub use screener::{
    FactBound, Hit, PartyQuery, Reach, ReachName, ReachToken, Screener, BIRTH_DATE_PENALTY,
    DEFAULT_THRESHOLD, MAX_FACT_BONUS, NATIONALITY_BONUS, NATIONALITY_PENALTY,
};
