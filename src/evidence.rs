//! A run's evidence records: held in memory, or spilled to a local file and read back a record
//! at a time.
//!
//! The Polars engine holds its evidence in memory: the rows it came from are in memory already.
//! The Spark engine's evidence grows with the cluster's data (about 83,000 records per million
//! rows of the generator's data), so it writes each record to a [`Spill`] as it comes back from
//! the cluster and keeps only the records' numbers: alerts, cases and the writers of
//! `cases.jsonl` and `report.html` read the records back when they need them, and drop them
//! again. A record is read back to exactly the record written, so both ways give the same
//! bytes.
//!
//! The spill file is created in the system's temporary folder (`TMPDIR`), readable by its user
//! only, and on Unix removed at once: only this process can reach it, and it is gone when the
//! process ends, however it ends (elsewhere it is left in the temporary folder).

use crate::model::{Channel, TxnRecord};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// What went wrong with the evidence's spill file.
#[derive(Debug, thiserror::Error)]
pub enum SpillError {
    /// The file could not be created, written or read.
    #[error("evidence spill file {path}: {source}")]
    Io {
        /// Where the file was made (it is removed at once).
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A record read back is not one this process wrote.
    #[error("evidence spill file {path}: record {number} is damaged ({what})")]
    Damaged {
        /// Where the file was made.
        path: PathBuf,
        /// The record's number.
        number: u32,
        /// What was wrong.
        what: &'static str,
    },
}

impl From<SpillError> for io::Error {
    fn from(e: SpillError) -> Self {
        io::Error::other(e)
    }
}

/// Writes records to a new spill file; [`SpillWriter::finish`] makes it readable.
pub struct SpillWriter {
    path: PathBuf,
    out: BufWriter<File>,
    /// Each record's start in the file, and the file's length last.
    offsets: Vec<u64>,
    written: u64,
    /// The records' transaction ids, in record order.
    ids: IdText,
    buffer: Vec<u8>,
}

impl SpillWriter {
    /// A new, empty spill file in the system's temporary folder.
    pub fn new() -> Result<Self, SpillError> {
        let path = std::env::temp_dir().join(format!(
            "amlscreen-evidence-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let io = |source| SpillError::Io {
            path: path.clone(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(io)?;
        // only this process holds it from now on, and the system removes it when it ends
        #[cfg(unix)]
        std::fs::remove_file(&path).map_err(io)?;
        Ok(Self {
            out: BufWriter::with_capacity(1 << 20, file),
            path,
            offsets: vec![0],
            written: 0,
            ids: IdText::default(),
            buffer: Vec::new(),
        })
    }

    /// Appends a record; its number is the count of records before it.
    pub fn push(&mut self, record: &TxnRecord) -> Result<u32, SpillError> {
        // a case marks its held records with the top bit: a spilled record's number is below it
        let number = u32::try_from(self.ids.len())
            .ok()
            .filter(|&n| n < 1 << 31)
            .ok_or_else(|| SpillError::Io {
                path: self.path.clone(),
                source: io::Error::other("more than 2,147,483,648 evidence records"),
            })?;
        self.buffer.clear();
        encode(record, &mut self.buffer);
        self.out
            .write_all(&self.buffer)
            .map_err(|source| SpillError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.written += self.buffer.len() as u64;
        self.offsets.push(self.written);
        self.ids.push(&record.txn_id);
        Ok(number)
    }

    /// Records written so far.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no record was written.
    pub fn is_empty(&self) -> bool {
        self.ids.len() == 0
    }

    /// The file, readable; records keep their numbers.
    pub fn finish(self) -> Result<Spill, SpillError> {
        let path = self.path;
        let file = self.out.into_inner().map_err(|e| SpillError::Io {
            path: path.clone(),
            source: e.into_error(),
        })?;
        let mut by_id: Vec<u32> = (0..self.ids.len() as u32).collect();
        let ids = &self.ids;
        by_id.sort_unstable_by(|&a, &b| ids.get(a).cmp(ids.get(b)).then(a.cmp(&b)));
        Ok(Spill {
            path,
            file,
            offsets: self.offsets,
            ids: self.ids,
            by_id,
        })
    }
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Ids held once each, by number, in one text: about 18 bytes an id of ten characters, where
/// a list of strings takes about 40 (the Spark engine holds millions).
#[derive(Debug, Default)]
pub(crate) struct IdText {
    /// The ids, concatenated in number order.
    text: String,
    /// Where each number's id ends in `text`.
    ends: Vec<u64>,
}

impl IdText {
    /// Appends `id` as the next number.
    pub(crate) fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len() as u64);
    }

    /// The id of number `n`.
    pub(crate) fn get(&self, n: u32) -> &str {
        let n = n as usize;
        let start = if n == 0 { 0 } else { self.ends[n - 1] as usize };
        &self.text[start..self.ends[n] as usize]
    }

    /// How many ids there are.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The ids in number order.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = &str> {
        (0..self.ends.len() as u32).map(|n| self.get(n))
    }
}

/// Evidence records in a local file, by number, and found by transaction id.
pub struct Spill {
    path: PathBuf,
    file: File,
    offsets: Vec<u64>,
    ids: IdText,
    /// Record numbers in transaction id order (the first written first among equal ids).
    by_id: Vec<u32>,
}

impl std::fmt::Debug for Spill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spill")
            .field("path", &self.path)
            .field("records", &self.len())
            .finish()
    }
}

impl Spill {
    /// Records in the file.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the file holds no record.
    pub fn is_empty(&self) -> bool {
        self.ids.len() == 0
    }

    /// The number of the record of `txn_id` (the first written, if several were).
    pub fn number_of(&self, txn_id: &str) -> Option<u32> {
        let at = self.by_id.partition_point(|&n| self.ids.get(n) < txn_id);
        self.by_id
            .get(at)
            .copied()
            .filter(|&n| self.ids.get(n) == txn_id)
    }

    /// The transaction id of record `number`.
    pub fn txn_id(&self, number: u32) -> &str {
        self.ids.get(number)
    }

    /// Record `number`, read from the file.
    pub fn read(&self, number: u32) -> Result<TxnRecord, SpillError> {
        let n = number as usize;
        let (start, end) = match (self.offsets.get(n), self.offsets.get(n + 1)) {
            (Some(&s), Some(&e)) => (s, e),
            _ => {
                return Err(SpillError::Damaged {
                    path: self.path.clone(),
                    number,
                    what: "no such record",
                })
            }
        };
        let mut bytes = vec![0; (end - start) as usize];
        read_exact_at(&self.file, &mut bytes, start).map_err(|source| SpillError::Io {
            path: self.path.clone(),
            source,
        })?;
        decode(&bytes).map_err(|what| SpillError::Damaged {
            path: self.path.clone(),
            number,
            what,
        })
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut at: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, at) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                at += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A record's text fields in file order.
fn fields(r: &TxnRecord) -> [&str; 13] {
    [
        &r.txn_id,
        &r.timestamp,
        &r.amount,
        &r.currency,
        &r.amount_base,
        r.channel.as_str(),
        &r.orig_account,
        &r.orig_name,
        &r.orig_country,
        &r.bene_account,
        &r.bene_name,
        &r.bene_country,
        &r.branch,
    ]
}

/// Each field as its length (little-endian `u32`) and its UTF-8 bytes.
fn encode(record: &TxnRecord, out: &mut Vec<u8>) {
    for field in fields(record) {
        out.extend_from_slice(&(field.len() as u32).to_le_bytes());
        out.extend_from_slice(field.as_bytes());
    }
}

fn decode(mut bytes: &[u8]) -> Result<TxnRecord, &'static str> {
    let mut next = || -> Result<String, &'static str> {
        let (len, rest) = bytes.split_first_chunk::<4>().ok_or("cut short")?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err("cut short");
        }
        let (text, rest) = rest.split_at(len);
        bytes = rest;
        String::from_utf8(text.to_vec()).map_err(|_| "not UTF-8")
    };
    let record = TxnRecord {
        txn_id: next()?,
        timestamp: next()?,
        amount: next()?,
        currency: next()?,
        amount_base: next()?,
        channel: Channel::parse(&next()?).ok_or("unknown channel")?,
        orig_account: next()?,
        orig_name: next()?,
        orig_country: next()?,
        bene_account: next()?,
        bene_name: next()?,
        bene_country: next()?,
        branch: next()?,
    };
    if !bytes.is_empty() {
        return Err("longer than its fields");
    }
    Ok(record)
}

/// A run's evidence: records held in memory by transaction id, and those of a spill file.
#[derive(Debug, Default)]
pub struct Evidence {
    held: HashMap<String, Arc<TxnRecord>>,
    spill: Option<Arc<Spill>>,
}

impl Evidence {
    /// Evidence held in memory.
    pub fn held(records: HashMap<String, Arc<TxnRecord>>) -> Self {
        Self {
            held: records,
            spill: None,
        }
    }

    /// Evidence in a spill file.
    pub fn spilled(spill: Spill) -> Self {
        Self {
            held: HashMap::new(),
            spill: Some(Arc::new(spill)),
        }
    }

    /// Adds records held in memory (a held record is found before a spilled one of the same id).
    pub fn extend_held(&mut self, records: impl IntoIterator<Item = (String, Arc<TxnRecord>)>) {
        self.held.extend(records);
    }

    /// Records in all (a held record and a spilled one of the same id count twice).
    pub fn len(&self) -> usize {
        self.held.len() + self.spill.as_ref().map_or(0, |s| s.len())
    }

    /// Whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every record's transaction id, sorted, each once.
    pub fn txn_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.held.keys().map(String::as_str).collect();
        if let Some(spill) = &self.spill {
            ids.extend(spill.ids.iter());
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The record of `txn_id`, read back if it was spilled.
    pub fn get(&self, txn_id: &str) -> Result<Option<Arc<TxnRecord>>, SpillError> {
        Ok(self.find(txn_id)?.map(|found| found.record))
    }
}

/// Where the case builder finds evidence records by transaction id.
pub trait EvidenceLookup: Sync {
    /// Why a record could not be read.
    type Error: Send;
    /// The record of `txn_id`, if there is one, and how a case keeps it.
    fn find(&self, txn_id: &str) -> Result<Option<Found>, Self::Error>;
}

/// A record found by [`EvidenceLookup::find`]: the record, to read now, and what a case keeps
/// of it.
pub struct Found {
    /// The record.
    pub record: Arc<TxnRecord>,
    /// What a case keeps.
    pub kept: Kept,
}

/// What a case keeps of an evidence record: the record itself, or its number in a spill file.
#[derive(Debug, Clone)]
pub enum Kept {
    /// The record, shared.
    Held(Arc<TxnRecord>),
    /// The record's number in the spill file.
    Spilled(Arc<Spill>, u32),
}

impl EvidenceLookup for Evidence {
    type Error = SpillError;
    fn find(&self, txn_id: &str) -> Result<Option<Found>, SpillError> {
        if let Some(record) = self.held.get(txn_id) {
            return Ok(Some(Found {
                record: Arc::clone(record),
                kept: Kept::Held(Arc::clone(record)),
            }));
        }
        let Some(spill) = &self.spill else {
            return Ok(None);
        };
        match spill.number_of(txn_id) {
            Some(n) => Ok(Some(Found {
                record: Arc::new(spill.read(n)?),
                kept: Kept::Spilled(Arc::clone(spill), n),
            })),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize) -> TxnRecord {
        TxnRecord {
            txn_id: format!("T{:05}", (i * 7919) % 1000),
            timestamp: format!("2026-03-01T14:{:02}:05Z", i % 60),
            amount: format!("{i}.50"),
            currency: "USD".into(),
            amount_base: format!("{i}.50"),
            channel: [Channel::Cash, Channel::Wire, Channel::Other][i % 3],
            orig_account: format!("A{i}"),
            orig_name: if i.is_multiple_of(5) {
                String::new()
            } else {
                format!("Zoë Ñúñez «{i}»")
            },
            orig_country: "PR".into(),
            bene_account: format!("B{i}"),
            bene_name: "Acme, \"Ltd\"\n2".into(),
            bene_country: String::new(),
            branch: "VI-01".into(),
        }
    }

    #[test]
    fn spilled_records_read_back_as_written_and_are_found_by_id() {
        let records: Vec<TxnRecord> = (0..1000).map(record).collect();
        let mut writer = SpillWriter::new().unwrap();
        for (i, r) in records.iter().enumerate() {
            assert_eq!(writer.push(r).unwrap(), i as u32);
        }
        let spill = writer.finish().unwrap();
        assert_eq!(spill.len(), 1000);
        for (i, r) in records.iter().enumerate().rev() {
            assert_eq!(&spill.read(i as u32).unwrap(), r);
            assert_eq!(spill.number_of(&r.txn_id), Some(i as u32));
            assert_eq!(spill.txn_id(i as u32), r.txn_id);
        }
        assert_eq!(spill.number_of("T"), None);
        assert_eq!(spill.number_of("T99999"), None);
        assert!(spill.read(1000).is_err());
        // the evidence finds held records first, then spilled ones
        let mut evidence = Evidence::spilled(spill);
        let mut held = records[3].clone();
        held.branch = "held".into();
        evidence.extend_held([(held.txn_id.clone(), Arc::new(held))]);
        let found = evidence.find(&records[3].txn_id).unwrap().unwrap();
        assert_eq!(found.record.branch, "held");
        assert!(matches!(found.kept, Kept::Held(_)));
        let found = evidence.find(&records[4].txn_id).unwrap().unwrap();
        assert_eq!(*found.record, records[4]);
        assert!(matches!(found.kept, Kept::Spilled(_, 4)));
        assert!(evidence.find("nope").unwrap().is_none());
    }

    #[test]
    fn a_damaged_record_is_an_error_naming_it() {
        let mut bytes = Vec::new();
        encode(&record(1), &mut bytes);
        assert_eq!(decode(&bytes).unwrap(), record(1));
        assert_eq!(decode(&bytes[..bytes.len() - 1]), Err("cut short"));
        bytes.push(0);
        assert_eq!(decode(&bytes), Err("longer than its fields"));
    }
}
