//! The one error type of the watchlist module.

use std::path::PathBuf;

/// Why a watchlist, a names file or an output could not be read or written.
///
/// Every message names the file, the line (1-based; 0 when the whole file is at fault) and what
/// was expected there, so an analyst can fix the input without reading code.
#[derive(Debug, thiserror::Error)]
pub enum WatchlistError {
    /// The file or folder could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The content is not a watchlist format this module knows.
    #[error("{path}:{line}: unrecognised watchlist format; expected {expected}")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// The line where detection gave up.
        line: u64,
        /// The formats that were tried.
        expected: String,
    },
    /// The file is structurally broken (bad XML, unreadable CSV) at a given line.
    #[error("{path}:{line}: malformed {format}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The line of the fault.
        line: u64,
        /// The format that was being read (`UN XML`, `OFAC CSV`, ...).
        format: &'static str,
        /// What was found and what was expected.
        message: String,
    },
    /// A header lacks a required column.
    #[error("{path}:{line}: missing column `{column}`; expected a header with {expected}")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The header line.
        line: u64,
        /// The missing column.
        column: String,
        /// The header that was expected.
        expected: String,
    },
    /// A value in a names file cannot be read (an impossible date, an unknown country).
    #[error("{path}:{line}: column `{column}`: {message}")]
    BadValue {
        /// The file.
        path: PathBuf,
        /// The line of the value.
        line: u64,
        /// The column.
        column: &'static str,
        /// What was found and what was expected.
        message: String,
    },
    /// The file was read to its end without finding a single usable entry.
    #[error("{path}:{line}: no {what} found (read {line} lines); expected at least one")]
    Empty {
        /// The file or folder.
        path: PathBuf,
        /// The number of lines read.
        line: u64,
        /// What was looked for (`watchlist entries`, `names`, `recognised watchlist files`).
        what: &'static str,
    },
    /// Writing results failed.
    #[error("cannot write {what}: {source}")]
    Write {
        /// What was being written.
        what: &'static str,
        /// The reason (an I/O error of the output, such as a closed pipe, is kept as one).
        #[source]
        source: csv::Error,
    },
}

impl WatchlistError {
    /// Builds an [`WatchlistError::Io`] for `path`.
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        WatchlistError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
