//! Finding and reading input files: format detection, gzip, and the raw (all-text) table.

use super::csv_scan::{self, Malformed};
use super::IngestError;
use polars::prelude::*;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

/// The container format of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Delimited text.
    Csv,
    /// Gzip-compressed delimited text.
    CsvGzip,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC file (Feather v2).
    ArrowIpc,
}

impl InputFormat {
    /// The name written into the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Csv => "csv",
            InputFormat::CsvGzip => "csv.gz",
            InputFormat::Parquet => "parquet",
            InputFormat::ArrowIpc => "arrow-ipc",
        }
    }
}

/// Expands files, folders (their CSV/Parquet/Arrow files, sorted) and glob patterns into a
/// sorted, de-duplicated list of paths, keeping the order in which the arguments were given.
pub fn expand_inputs(args: &[PathBuf]) -> Result<Vec<PathBuf>, IngestError> {
    let mut out: Vec<PathBuf> = Vec::new();
    for arg in args {
        let text = arg.to_string_lossy();
        let mut found: Vec<PathBuf> = if arg.is_dir() {
            std::fs::read_dir(arg)
                .map_err(|e| unreadable(arg, e))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && has_data_extension(p))
                .collect()
        } else if text.contains(['*', '?', '[']) {
            glob::glob(&text)
                .map_err(|e| IngestError::BadGlob {
                    pattern: text.to_string(),
                    reason: e.to_string(),
                })?
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect()
        } else {
            // a device, pipe or socket (`/dev/zero`) never ends: refused before it is read
            if let Ok(meta) = std::fs::metadata(arg) {
                if !meta.is_file() {
                    return Err(unreadable(
                        arg,
                        "not a regular file (a device, pipe or socket); expected a CSV, Parquet or Arrow IPC file",
                    ));
                }
            }
            vec![arg.clone()]
        };
        if found.is_empty() {
            return Err(IngestError::NoFiles {
                pattern: text.to_string(),
            });
        }
        found.sort();
        for p in found {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

fn has_data_extension(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    [
        ".csv", ".csv.gz", ".tsv", ".txt", ".parquet", ".pq", ".arrow", ".ipc", ".feather",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

fn unreadable(
    path: &Path,
    cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> IngestError {
    IngestError::unreadable(path.display(), cause)
}

/// Detects the format from the first bytes, falling back to the extension for text.
pub fn detect_format(path: &Path, head: &[u8]) -> Result<InputFormat, IngestError> {
    if head.is_empty() {
        return Err(IngestError::Empty {
            file: path.display().to_string(),
        });
    }
    if head.starts_with(b"PAR1") {
        return Ok(InputFormat::Parquet);
    }
    if head.starts_with(b"ARROW1") {
        return Ok(InputFormat::ArrowIpc);
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(InputFormat::CsvGzip);
    }
    if looks_like_text_header(head) {
        return Ok(InputFormat::Csv);
    }
    if !head.contains(&b'\n')
        && looks_like_text_header(
            &head[..head.iter().position(|&b| b == b'\r').unwrap_or(head.len())],
        )
    {
        return Err(unreadable(
            path,
            "its lines end in a carriage return alone (classic Mac OS); expected LF or CRLF line ends",
        ));
    }
    Err(IngestError::UnknownFormat {
        file: path.display().to_string(),
    })
}

/// Text is recognised by its header line alone: the first line (within the bytes given) holds
/// no control character but tab and a closing CR. Control bytes in later lines (a NUL in a
/// name) are problems of their rows, wherever they are in the file.
fn looks_like_text_header(head: &[u8]) -> bool {
    let line = match memchr::memchr(b'\n', head) {
        Some(k) => &head[..k],
        None => head,
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    !line.is_empty() && line.iter().all(|&b| b >= 0x20 || b == b'\t')
}

/// A file read into memory with its original column names. Text files are read with every
/// column as text, so that validation sees exactly what was written.
pub struct RawTable {
    pub format: InputFormat,
    pub frame: DataFrame,
    /// CSV only: the data row number of each row of `frame`, when malformed records were
    /// left out (`None`: row `i` is data row `i + 1`).
    pub row_numbers: Option<Vec<u64>>,
    /// CSV only: the records that could not be read as rows.
    pub malformed: Vec<Malformed>,
}

/// Reads one input file. `delimiter` applies to CSV.
pub fn read_raw(path: &Path, delimiter: u8) -> Result<RawTable, IngestError> {
    let mut head = Vec::with_capacity(8);
    std::fs::File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|e| unreadable(path, e))?;
    let format = detect_format(path, &head)?;
    let polars_err = |e: PolarsError| unreadable(path, polars_reason(&e));
    let typed = |frame| RawTable {
        format,
        frame,
        row_numbers: None,
        malformed: Vec::new(),
    };
    match format {
        InputFormat::Csv => {
            let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
            // SAFETY: the map is read only while this function runs; a file changed by another
            // process meanwhile gives wrong bytes, not undefined behaviour in safe code here
            // (the same assumption Polars makes when it maps a CSV file).
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| unreadable(path, e))?;
            read_csv_bytes(path, format, &map, delimiter, || {
                csv_options(delimiter)
                    .try_into_reader_with_file_path(Some(path.to_path_buf()))
                    .and_then(|r| r.finish())
            })
        }
        InputFormat::CsvGzip => {
            let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
            let mut bytes = Vec::new();
            flate2::read::MultiGzDecoder::new(file)
                .read_to_end(&mut bytes)
                .map_err(|e| unreadable(path, format!("gzip: {e}")))?;
            if bytes.is_empty() {
                return Err(IngestError::Empty {
                    file: path.display().to_string(),
                });
            }
            if bytes.starts_with(&[0x1f, 0x8b]) {
                return Err(unreadable(
                    path,
                    "a gzip file inside a gzip file; decompress it once and give the .gz (or the CSV)",
                ));
            }
            if !looks_like_text_header(&bytes[..bytes.len().min(4096)]) {
                return Err(unreadable(
                    path,
                    "the decompressed content is not CSV text; expected a header line",
                ));
            }
            read_csv_bytes(path, format, &bytes, delimiter, || {
                csv_options(delimiter)
                    .into_reader_with_file_handle(Cursor::new(&bytes[..]))
                    .finish()
            })
        }
        InputFormat::Parquet => {
            let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
            let mut reader = ParquetReader::new(file);
            let row_groups = reader.get_metadata().map_err(polars_err)?.row_groups.len();
            Ok(typed(
                reader
                    .read_parallel(parquet_strategy(row_groups, rayon::current_num_threads()))
                    .finish()
                    .map_err(polars_err)?,
            ))
        }
        InputFormat::ArrowIpc => {
            let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
            Ok(typed(IpcReader::new(file).finish().map_err(polars_err)?))
        }
    }
}

/// Scans CSV bytes for malformed records; a clean file is parsed by `parse_as_is`, one with
/// problems from a copy without them.
fn read_csv_bytes(
    path: &Path,
    format: InputFormat,
    bytes: &[u8],
    delimiter: u8,
    parse_as_is: impl FnOnce() -> PolarsResult<DataFrame>,
) -> Result<RawTable, IngestError> {
    let polars_err = |e: PolarsError| unreadable(path, polars_reason(&e));
    let scanned = csv_scan::scan(bytes, delimiter).map_err(|e| unreadable(path, e.problem))?;
    let (frame, row_numbers, malformed) = match scanned {
        csv_scan::Scan::Clean { .. } => (parse_as_is().map_err(polars_err)?, None, Vec::new()),
        csv_scan::Scan::Repaired {
            cleaned,
            row_numbers,
            malformed,
            ..
        } => {
            let frame = csv_options(delimiter)
                .into_reader_with_file_handle(Cursor::new(cleaned))
                .finish()
                .map_err(polars_err)?;
            (frame, Some(row_numbers), malformed)
        }
    };
    Ok(RawTable {
        format,
        frame,
        row_numbers,
        malformed,
    })
}

/// A Polars error as one line of at most 300 characters: its messages may quote whole rows of
/// the file (customer data), which an error must not echo.
pub fn polars_reason(e: &PolarsError) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("");
    let mut out: String = first.chars().take(300).collect();
    if out.len() < text.len() {
        out.push_str(" …");
    }
    out
}

/// How to spread a Parquet file's decoding over `threads` cores. Whole row groups per core
/// (Polars' choice whenever there are more row groups than cores) leave cores idle at the end
/// when each core gets only a few: three row groups on two cores decode the third one alone,
/// a third of the read. With fewer than four row groups per core, each row group's columns
/// are decoded in parallel instead (a 1M-row file of three row groups reads in 0.09 s instead
/// of 0.11 s on two cores; see BENCHMARKS.md).
fn parquet_strategy(row_groups: usize, threads: usize) -> ParallelStrategy {
    if row_groups >= 4 * threads {
        ParallelStrategy::RowGroups
    } else {
        ParallelStrategy::Columns
    }
}

fn csv_options(delimiter: u8) -> CsvReadOptions {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(true)
        .map_parse_options(|p| {
            p.with_separator(delimiter)
                .with_encoding(CsvEncoding::LossyUtf8)
                .with_truncate_ragged_lines(true)
        })
}

/// The speed floor for benchmarks: a plain Polars read of the file (types inferred from the
/// whole file, Polars' default parallel strategy, nothing validated or computed). Returns the
/// number of rows.
pub fn plain_read(path: &Path) -> Result<usize, IngestError> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|e| unreadable(path, e))?;
    let polars_err = |e: PolarsError| unreadable(path, e);
    let frame = match detect_format(path, &head)? {
        InputFormat::Parquet => {
            let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
            ParquetReader::new(file).finish().map_err(polars_err)?
        }
        InputFormat::ArrowIpc => {
            let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
            IpcReader::new(file).finish().map_err(polars_err)?
        }
        _ => CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(None)
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
            .map_err(polars_err)?,
    };
    Ok(frame.height())
}
