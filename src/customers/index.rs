//! The customer index of `rescreen --index DIR`: the customers' names prepared for screening,
//! kept between runs so that a re-screening against a few changed list entries looks up the
//! customers those entries can match instead of reading and preparing every customer again.
//!
//! The index holds, for the accepted customers of one customer file (in `customer_id` order):
//! each name's normalised tokens of two letters or more (as [`Screener`] prepares a query),
//! inverted into postings (token → customers); the blocking keys and canonical spellings of
//! those tokens (key → tokens, spelling → tokens); fingerprints of the runs of 2 to
//! [`MAX_JOINED_TOKENS`] adjacent tokens of each name joined, by text and by spelling (run →
//! customers); each customer's birth year and normalised identity numbers (number →
//! customers); and each customer's id, name, birth date, nationality and identity numbers, to
//! screen the few customers found exactly as a full screening would. A [`Reach`] of a
//! restricted screener is looked up in it: a customer whose name does not touch a screened name
//! the way the screener's candidate search requires (a similar token, a token written as a run
//! of the listed name, or a run written as one listed token), whose birth year opens no weak
//! alias and who holds no listed identity number gets no hit from that screener; nor does one
//! that touches too little of every name it touches for the score bound of [`Reach`] to reach
//! the threshold. Only the others are screened, by the screener itself.
//!
//! # File format (`customers.idx`, version [`FORMAT_VERSION`])
//!
//! Little-endian throughout:
//!
//! ```text
//! magic        8 bytes  "AMLCIDX\0"
//! version      u32      FORMAT_VERSION
//! header_len   u32      then header_len bytes of JSON: IndexHeader
//! records      table    per customer: customer_id, name, birth_date?, nationality?, id numbers
//! years        u64 n, then n × u16   birth year per customer, 0 when none
//! traits       u64 n, then n × u8    per customer: initials (one-letter tokens) in the name
//!                                    (low 7 bits, at most 127); 0x80 when a birth date or
//!                                    nationality lets facts raise its name score
//! tokens       table    distinct tokens, sorted by bytes
//! postings     lists    per token: customers holding it, ascending
//! forward      lists    per customer: its tokens, each `token << 1 | weak` (weak as the
//!                       normaliser marked it in the name), ascending
//! keys         table    distinct blocking keys, sorted by bytes
//! buckets      lists    per key: tokens yielding it, ascending
//! spellings    table    distinct canonical spellings of the tokens, sorted by bytes
//! spelled      lists    per spelling: tokens spelled so, ascending
//! runs         u64 n, then n × (u32 fingerprint, u32 customer), sorted: each name's runs of
//!                       adjacent tokens joined, by text and by spelling (fingerprint: the low
//!                       32 bits of FNV-1a 64 of the joined string; a collision only screens a
//!                       customer more)
//! ids          table    distinct normalised identity numbers, sorted by bytes
//! id_postings  lists    per number: customers holding it, ascending
//! crc32        u32      of every byte before it
//! ```
//!
//! A *table* is `u64 count`, `u64 offsets[count + 1]` (byte offsets into the data, from 0) and
//! the data; *lists* are the same with offsets counted in `u32` values. A record is a sequence
//! of fields, each `u32 length` and UTF-8 bytes (`u32::MAX` for an absent birth date or
//! nationality), the identity numbers preceded by their `u32` count.
//!
//! The header records what the index was built from ([`IndexSource`]): the customer file's size
//! and SHA-256, the mapping profile's SHA-256 and the delimiter, the amlscreen version and a
//! fingerprint of the normaliser and blocking keys. An index whose source differs from the
//! present one is stale and is rebuilt; one that is truncated, fails its checksum or does not
//! parse is damaged ([`IndexError::Damaged`], naming the file).

use super::Customers;
use crate::watchlist::fast_hash::FastMap;
use crate::watchlist::normalize::{
    abbreviation_expansions, abbreviations_of, canonical_spelling, is_legal_form,
    is_legal_form_phrase_word, is_legal_form_short, normalize_name_bounded,
};
use crate::watchlist::phonetic::for_each_blocking_key;
use crate::watchlist::score::{
    joined_spelling, joined_text, prepared_similarity, PreparedToken, MAX_JOINED_TOKENS,
};
use crate::watchlist::{is_matchable_id, normalize_id, PartialDate, PartyQuery, Reach, ReachName};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// The index file's name inside `--index DIR`.
pub const INDEX_FILE_NAME: &str = "customers.idx";

/// The version of the file format; a file of another version is rebuilt.
pub const FORMAT_VERSION: u32 = 2;

const MAGIC: [u8; 8] = *b"AMLCIDX\0";

/// Errors reading a customer index.
#[derive(Debug, Error)]
pub enum IndexError {
    /// The file cannot be read.
    #[error("{path}: cannot read the customer index: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is truncated, fails its checksum or does not parse.
    #[error("{path}: customer index is damaged: {reason}")]
    Damaged { path: String, reason: String },
}

/// What an index was built from; an index is reused only when all of it is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexSource {
    /// The customer file's size in bytes.
    pub customers_bytes: u64,
    /// The customer file's SHA-256, lower-case hex.
    pub customers_sha256: String,
    /// The customer file's modification time, in nanoseconds since the Unix epoch; 0 when
    /// unknown or when the file had been modified less than 2 seconds before it was hashed (it
    /// could change again within the same clock tick). Not compared: a file of the recorded
    /// size and modification time is taken as unchanged without hashing it again (see
    /// [`IndexSource::unchanged_file`]).
    #[serde(default)]
    pub customers_modified_ns: u64,
    /// The mapping profile's SHA-256, when one was given.
    pub profile_sha256: Option<String>,
    /// The CSV delimiter.
    pub delimiter: u8,
    /// The amlscreen version that built the index.
    pub amlscreen: String,
    /// [`normalizer_fingerprint`] when the index was built.
    pub normalizer: String,
}

impl IndexSource {
    /// What differs between an index's source (`self`) and the present one, in words; `None`
    /// when nothing does.
    pub fn difference(&self, now: &IndexSource) -> Option<String> {
        let mut parts = Vec::new();
        if self.customers_bytes != now.customers_bytes
            || self.customers_sha256 != now.customers_sha256
        {
            parts.push(format!(
                "the customer file changed ({} bytes, sha256 {} when indexed; now {} bytes, sha256 {})",
                self.customers_bytes,
                short(&self.customers_sha256),
                now.customers_bytes,
                short(&now.customers_sha256)
            ));
        }
        if self.profile_sha256 != now.profile_sha256 || self.delimiter != now.delimiter {
            parts.push("the mapping profile or delimiter changed".to_string());
        }
        if self.amlscreen != now.amlscreen || self.normalizer != now.normalizer {
            parts.push(format!(
                "built by amlscreen {} with another name normaliser (now {})",
                self.amlscreen, now.amlscreen
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

impl IndexSource {
    /// Whether a file of `bytes` bytes last modified at `modified_ns` is, without hashing it,
    /// the customer file this source describes: same size and same modification time to the
    /// nanosecond (as `make`, `git` and `rsync` judge files). Any other file is hashed.
    pub fn unchanged_file(&self, bytes: u64, modified_ns: u64) -> bool {
        self.customers_modified_ns != 0
            && self.customers_modified_ns == modified_ns
            && self.customers_bytes == bytes
    }
}

fn short(hex: &str) -> &str {
    &hex[..hex.len().min(12)]
}

/// The JSON header of an index file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexHeader {
    pub source: IndexSource,
    /// The customer file as it was given when the index was built (for people; not compared).
    pub customers_file: String,
    /// Accepted customers indexed.
    pub customers: u64,
    /// Rows of the customer file that were quarantined (not indexed, as `rescreen` does not
    /// screen them).
    pub quarantined: u64,
}

/// Names whose tokens and blocking keys fingerprint the normaliser: accents, scripts, legal
/// forms, joined particles, honorifics, initials, digits, romanisation variants and a long name.
const PROBE_NAMES: [&str; 14] = [
    "Usama bin Muhammad bin Awad BIN LADIN",
    "José María Álvarez-Núñez",
    "Banco Nacional de Cuba, S.A.",
    "AL-QA'IDA / Al Qaeda",
    "Mr. Abd al-Rahman O'Neill Jr.",
    "Müller & Söhne GmbH & Co. KG",
    "Владимир Путин",
    "ØRSTED ÆGIR STRAßE",
    "J. R. R. Tolkien",
    "Vessel 7 Seas No.2 LLC",
    "Sheikh Hamad bin Khalifa Al-Thani",
    "Abdulrahmanmohammedalibinahmedalrashidi Incorporated Limited Partnership",
    "Muammar GADDAFI / Qadhafi, Gwang Ghasemi",
    "AO Gazprombank, Skeptik TOV",
];

/// SHA-256 (hex) of the tokens (and whether each is weak) and blocking keys that the
/// normaliser gives [`PROBE_NAMES`] and of how a few identity numbers and dates are read: an
/// index built by a normaliser that differs on these is rebuilt, even if the version number did
/// not change.
pub fn normalizer_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for name in PROBE_NAMES {
        for token in normalize_name_bounded(name, false).0 {
            hasher.update(token.text.as_bytes());
            hasher.update([0, u8::from(token.weak)]);
            for_each_blocking_key(&token.text, &canonical_spelling(&token.text), |key| {
                hasher.update(key.as_bytes());
                hasher.update([1]);
            });
        }
        hasher.update([2]);
    }
    for id in ["AB 123-456/7", "p-0012 3456", "x1"] {
        let normalized = normalize_id(id);
        hasher.update(normalized.as_bytes());
        hasher.update([u8::from(is_matchable_id(&normalized))]);
    }
    for date in ["1965", "1965-03", "1965-03-07", "65"] {
        let year = PartialDate::parse(date).map_or(0, |d| d.year());
        hasher.update(year.to_le_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One indexed customer, as screened.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedCustomer {
    pub customer_id: String,
    pub name: String,
    /// The customer as [`party_query`](super::party_query) gives it.
    pub query: PartyQuery,
}

/// The fingerprint of a joined run in the index: the low 32 bits of its FNV-1a 64 hash.
fn run_fingerprint(text: &str) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in text.as_bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash as u32
}

/// Builds the bytes of an index file for the accepted customers of `customers`.
pub fn build_index(customers: &Customers, source: IndexSource) -> Vec<u8> {
    let list = &customers.list;
    // each customer's distinct tokens of two letters or more, and the fingerprints of its
    // runs of adjacent tokens joined (initials included, as the screener joins them)
    type Prepared = (Vec<Vec<(String, bool)>>, Vec<Vec<u32>>);
    let ((tokens, runs), traits): (Prepared, Vec<u8>) = list
        .par_iter()
        .map(|c| {
            let all: Vec<(String, bool)> = normalize_name_bounded(&c.name, false)
                .0
                .into_iter()
                .map(|t| (t.text, t.weak))
                .collect();
            let facts = birth_year(c.birth_date.as_deref()) != 0 || c.nationality.is_some();
            let initials = all.iter().filter(|t| t.0.len() == 1).count().min(127) as u8
                | if facts { HAS_FACTS } else { 0 };
            let spellings: Vec<String> = all.iter().map(|t| canonical_spelling(&t.0)).collect();
            let mut runs: Vec<u32> = Vec::new();
            for len in 2..=MAX_JOINED_TOKENS {
                for start in 0..all.len().saturating_sub(len - 1) {
                    let range = start..start + len;
                    runs.push(run_fingerprint(&joined_text(
                        all[range.clone()].iter().map(|t| t.0.as_str()),
                    )));
                    runs.push(run_fingerprint(&joined_spelling(
                        spellings[range].iter().map(String::as_str),
                    )));
                }
            }
            runs.sort_unstable();
            runs.dedup();
            // distinct tokens of two letters or more; weak when any occurrence is
            let mut t: Vec<(String, bool)> = all.into_iter().filter(|t| t.0.len() > 1).collect();
            t.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            t.dedup_by(|a, b| a.0 == b.0);
            ((t, runs), initials)
        })
        .unzip();
    // vocabulary in first-seen order, then sorted by bytes
    let mut first_ids: FastMap<&str, u32> = FastMap::default();
    let mut first_postings: Vec<Vec<u32>> = Vec::new();
    let mut first_texts: Vec<&str> = Vec::new();
    for (c, ts) in tokens.iter().enumerate() {
        for (t, _) in ts {
            let id = *first_ids.entry(t.as_str()).or_insert_with(|| {
                first_texts.push(t.as_str());
                first_postings.push(Vec::new());
                (first_texts.len() - 1) as u32
            });
            first_postings[id as usize].push(c as u32);
        }
    }
    let mut order: Vec<u32> = (0..first_texts.len() as u32).collect();
    order.par_sort_unstable_by_key(|&id| first_texts[id as usize].as_bytes());
    let vocabulary: Vec<&str> = order.iter().map(|&id| first_texts[id as usize]).collect();
    let mut rank: Vec<u32> = vec![0; order.len()];
    for (position, &id) in order.iter().enumerate() {
        rank[id as usize] = position as u32;
    }
    // each customer's tokens as (sorted) vocabulary ids, with their weak bit
    let forward: Vec<Vec<u32>> = tokens
        .par_iter()
        .map(|ts| {
            let mut ids: Vec<u32> = ts
                .iter()
                .map(|(t, weak)| rank[first_ids[t.as_str()] as usize] << 1 | u32::from(*weak))
                .collect();
            ids.sort_unstable();
            ids
        })
        .collect();
    let postings: Vec<&[u32]> = order
        .iter()
        .map(|&id| first_postings[id as usize].as_slice())
        .collect();
    // blocking keys → tokens, and spellings → tokens
    type Pairs = Vec<(String, u32)>;
    let (mut key_pairs, mut spelling_pairs): (Pairs, Pairs) = vocabulary
        .par_iter()
        .enumerate()
        .map(|(id, text)| {
            let spelling = canonical_spelling(text);
            let mut keys: Vec<String> = Vec::new();
            for_each_blocking_key(text, &spelling, |key| keys.push(key.to_string()));
            keys.sort_unstable();
            keys.dedup();
            let keys: Vec<(String, u32)> = keys.into_iter().map(|k| (k, id as u32)).collect();
            (keys, (spelling, id as u32))
        })
        .fold(
            || (Vec::new(), Vec::new()),
            |(mut keys, mut spellings), (k, s)| {
                keys.extend(k);
                spellings.push(s);
                (keys, spellings)
            },
        )
        .reduce(
            || (Vec::new(), Vec::new()),
            |(mut a, mut b), (c, d)| {
                a.extend(c);
                b.extend(d);
                (a, b)
            },
        );
    key_pairs.par_sort_unstable();
    spelling_pairs.par_sort_unstable();
    let (keys, buckets) = group(&key_pairs);
    let (spellings, spelled) = group(&spelling_pairs);
    // runs → customers
    let mut run_pairs: Vec<(u32, u32)> = runs
        .iter()
        .enumerate()
        .flat_map(|(c, rs)| rs.iter().map(move |&r| (r, c as u32)))
        .collect();
    run_pairs.par_sort_unstable();
    // identity numbers → customers
    let mut id_pairs: Vec<(String, u32)> = list
        .par_iter()
        .enumerate()
        .flat_map_iter(|(c, customer)| {
            let mut numbers: Vec<String> = customer
                .id_numbers
                .iter()
                .map(|n| normalize_id(n))
                .filter(|n| is_matchable_id(n))
                .collect();
            numbers.sort_unstable();
            numbers.dedup();
            numbers.into_iter().map(move |n| (n, c as u32))
        })
        .collect();
    id_pairs.par_sort_unstable();
    let (ids, id_postings) = group(&id_pairs);

    let header = IndexHeader {
        source,
        customers_file: customers.file.display().to_string(),
        customers: list.len() as u64,
        quarantined: customers.quarantine.len() as u64,
    };
    let header = serde_json::to_vec(&header).expect("an index header serialises");
    let mut out = Vec::with_capacity(64 * list.len() + 1024);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    // records
    let mut records: Vec<u8> = Vec::new();
    let mut ends: Vec<u64> = Vec::with_capacity(list.len());
    for c in list {
        put_field(&mut records, Some(&c.customer_id));
        put_field(&mut records, Some(&c.name));
        put_field(&mut records, c.birth_date.as_deref());
        put_field(&mut records, c.nationality.as_deref());
        records.extend_from_slice(&(c.id_numbers.len() as u32).to_le_bytes());
        for n in &c.id_numbers {
            put_field(&mut records, Some(n));
        }
        ends.push(records.len() as u64);
    }
    put_table(&mut out, &ends, &records);
    // years
    out.extend_from_slice(&(list.len() as u64).to_le_bytes());
    for c in list {
        out.extend_from_slice(&birth_year(c.birth_date.as_deref()).to_le_bytes());
    }
    out.extend_from_slice(&(list.len() as u64).to_le_bytes());
    out.extend_from_slice(&traits);
    put_strings(&mut out, &vocabulary);
    put_lists(&mut out, &postings);
    put_lists(&mut out, &forward);
    put_strings(&mut out, &keys);
    put_lists(&mut out, &buckets);
    put_strings(&mut out, &spellings);
    put_lists(&mut out, &spelled);
    out.extend_from_slice(&(run_pairs.len() as u64).to_le_bytes());
    for (fingerprint, customer) in &run_pairs {
        out.extend_from_slice(&fingerprint.to_le_bytes());
        out.extend_from_slice(&customer.to_le_bytes());
    }
    put_strings(&mut out, &ids);
    put_lists(&mut out, &id_postings);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Groups sorted `(text, value)` pairs: distinct texts and each one's values.
fn group(pairs: &[(String, u32)]) -> (Vec<&str>, Vec<Vec<u32>>) {
    let mut texts: Vec<&str> = Vec::new();
    let mut lists: Vec<Vec<u32>> = Vec::new();
    for (text, value) in pairs {
        if texts.last() != Some(&text.as_str()) {
            texts.push(text);
            lists.push(Vec::new());
        }
        lists.last_mut().expect("a list per text").push(*value);
    }
    (texts, lists)
}

fn birth_year(date: Option<&str>) -> u16 {
    date.and_then(|d| PartialDate::parse(d).ok())
        .map_or(0, |d| d.year())
}

fn put_field(out: &mut Vec<u8>, field: Option<&str>) {
    match field {
        Some(text) => {
            out.extend_from_slice(&(text.len() as u32).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
}

/// A table: count, offsets from 0 (`ends` are the ends of the items), data.
fn put_table(out: &mut Vec<u8>, ends: &[u64], data: &[u8]) {
    out.extend_from_slice(&(ends.len() as u64).to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    for end in ends {
        out.extend_from_slice(&end.to_le_bytes());
    }
    out.extend_from_slice(data);
}

fn put_strings(out: &mut Vec<u8>, items: &[&str]) {
    let mut data = Vec::new();
    let mut ends = Vec::with_capacity(items.len());
    for item in items {
        data.extend_from_slice(item.as_bytes());
        ends.push(data.len() as u64);
    }
    put_table(out, &ends, &data);
}

fn put_lists<L: AsRef<[u32]>>(out: &mut Vec<u8>, lists: &[L]) {
    let mut data = Vec::new();
    let mut ends = Vec::with_capacity(lists.len());
    let mut count = 0u64;
    for list in lists {
        for v in list.as_ref() {
            data.extend_from_slice(&v.to_le_bytes());
        }
        count += list.as_ref().len() as u64;
        ends.push(count);
    }
    put_table(out, &ends, &data);
}

/// A table's place in the file: `count` items, offsets at `offsets`, data at `data`; offsets
/// are checked ascending and within the data when the file is read.
#[derive(Debug, Clone, Copy, Default)]
struct Table {
    count: usize,
    offsets: usize,
    data: usize,
}

/// An index file's bytes: mapped from the file, or built in memory.
#[derive(Debug)]
enum IndexBytes {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for IndexBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            IndexBytes::Owned(bytes) => bytes,
            IndexBytes::Mapped(map) => map,
        }
    }
}

/// A customer index read from its bytes, checked, and looked up in place.
#[derive(Debug)]
pub struct CustomerIndex {
    bytes: IndexBytes,
    header: IndexHeader,
    /// The file, for errors.
    path: String,
    records: Table,
    years: usize,
    traits: usize,
    tokens: Table,
    postings: Table,
    forward: Table,
    keys: Table,
    buckets: Table,
    spellings: Table,
    spelled: Table,
    /// Where the `(fingerprint, customer)` pairs of the runs start, and how many there are.
    runs: usize,
    run_count: usize,
    ids: Table,
    id_postings: Table,
}

/// A cursor over the file that reports running off its end as damage.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    path: &'a str,
}

impl Reader<'_> {
    fn damaged(&self, reason: impl Into<String>) -> IndexError {
        IndexError::Damaged {
            path: self.path.to_string(),
            reason: reason.into(),
        }
    }

    fn take(&mut self, len: usize, what: &str) -> Result<usize, IndexError> {
        let start = self.at;
        match start.checked_add(len) {
            Some(end) if end <= self.bytes.len() => {
                self.at = end;
                Ok(start)
            }
            _ => Err(self.damaged(format!(
                "truncated: {what} needs {len} bytes at offset {start}, the file has {}",
                self.bytes.len()
            ))),
        }
    }

    fn u32(&mut self, what: &str) -> Result<u32, IndexError> {
        let at = self.take(4, what)?;
        Ok(u32_at(self.bytes, at))
    }

    fn u64(&mut self, what: &str) -> Result<usize, IndexError> {
        let at = self.take(8, what)?;
        usize::try_from(u64_at(self.bytes, at))
            .map_err(|_| self.damaged(format!("{what} too large")))
    }

    /// An array of `u64 count` items of `unit` bytes each: (count, where it starts).
    fn array(&mut self, unit: usize, what: &str) -> Result<(usize, usize), IndexError> {
        let count = self.u64(what)?;
        let len = count
            .checked_mul(unit)
            .ok_or_else(|| self.damaged(format!("{what}: impossible count {count}")))?;
        Ok((count, self.take(len, what)?))
    }

    /// A table whose data is counted in units of `unit` bytes; its offsets are checked.
    fn table(&mut self, unit: usize, what: &str) -> Result<Table, IndexError> {
        let count = self.u64(what)?;
        let offsets_len = count
            .checked_add(1)
            .and_then(|n| n.checked_mul(8))
            .ok_or_else(|| self.damaged(format!("{what}: impossible count {count}")))?;
        let offsets = self.take(offsets_len, what)?;
        let mut previous = 0u64;
        for k in 0..=count {
            let offset = u64_at(self.bytes, offsets + 8 * k);
            if (k == 0 && offset != 0) || offset < previous {
                return Err(self.damaged(format!("{what}: offsets out of order at item {k}")));
            }
            previous = offset;
        }
        let data_len = usize::try_from(previous)
            .ok()
            .and_then(|n| n.checked_mul(unit))
            .ok_or_else(|| self.damaged(format!("{what}: data too large")))?;
        let data = self.take(data_len, what)?;
        Ok(Table {
            count,
            offsets,
            data,
        })
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

impl CustomerIndex {
    /// Reads and checks the index file at `path`.
    ///
    /// The file is mapped, not copied: a run looks up a small part of it. It is written whole
    /// under a temporary name and renamed ([`crate::output::write_atomic`]), so a run that
    /// rebuilds it never changes the bytes another run has mapped.
    pub fn read(path: &Path) -> Result<CustomerIndex, IndexError> {
        let io = |source| IndexError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        // SAFETY: the file is replaced by renaming, never written in place (see above); a file
        // changed in place by something else gives wrong bytes, caught by the checksum and the
        // table checks below or read as wrong values, not undefined behaviour in safe code.
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }.map_err(io)?;
        CustomerIndex::checked(IndexBytes::Mapped(map), path)
    }

    /// Checks `bytes` (the contents of the index file `path`) and makes them searchable: the
    /// magic, version, checksum, header and every table's offsets.
    pub fn from_bytes(bytes: Vec<u8>, path: &Path) -> Result<CustomerIndex, IndexError> {
        CustomerIndex::checked(IndexBytes::Owned(bytes), path)
    }

    fn checked(bytes: IndexBytes, path: &Path) -> Result<CustomerIndex, IndexError> {
        let path = path.display().to_string();
        let damaged = |reason: String| IndexError::Damaged {
            path: path.clone(),
            reason,
        };
        if bytes.len() < MAGIC.len() + 4 || bytes[..MAGIC.len()] != MAGIC {
            return Err(damaged("not a customer index (no AMLCIDX magic)".into()));
        }
        let version = u32_at(&bytes, MAGIC.len());
        if version != FORMAT_VERSION {
            return Err(damaged(format!(
                "format version {version}, this amlscreen reads version {FORMAT_VERSION}"
            )));
        }
        if bytes.len() < MAGIC.len() + 12 {
            return Err(damaged(format!("truncated: {} bytes", bytes.len())));
        }
        let body = bytes.len() - 4;
        let stored = u32_at(&bytes, body);
        let computed = crc32fast::hash(&bytes[..body]);
        if stored != computed {
            return Err(damaged(format!(
                "checksum mismatch (stored {stored:08x}, computed {computed:08x}): truncated or corrupted"
            )));
        }
        let mut r = Reader {
            bytes: &bytes[..body],
            at: MAGIC.len() + 4,
            path: &path,
        };
        let header_len = r.u32("header length")? as usize;
        let at = r.take(header_len, "header")?;
        let header: IndexHeader = serde_json::from_slice(&bytes[at..at + header_len])
            .map_err(|e| damaged(format!("header: {e}")))?;
        let records = r.table(1, "records")?;
        let (year_count, years) = r.array(2, "years")?;
        let (trait_count, traits) = r.array(1, "traits")?;
        let tokens = r.table(1, "tokens")?;
        let postings = r.table(4, "postings")?;
        let forward = r.table(4, "customer tokens")?;
        let keys = r.table(1, "keys")?;
        let buckets = r.table(4, "buckets")?;
        let spellings = r.table(1, "spellings")?;
        let spelled = r.table(4, "spelled tokens")?;
        let (run_count, runs) = r.array(8, "runs")?;
        let ids = r.table(1, "identity numbers")?;
        let id_postings = r.table(4, "identity postings")?;
        if r.at != body {
            return Err(damaged(format!(
                "{} unexpected bytes before the checksum",
                body - r.at
            )));
        }
        let customers = header.customers as usize;
        if records.count != customers || year_count != customers || trait_count != customers {
            return Err(damaged(format!(
                "the header counts {customers} customers, the tables {} and {year_count}",
                records.count
            )));
        }
        if postings.count != tokens.count
            || forward.count != customers
            || buckets.count != keys.count
            || spelled.count != spellings.count
            || id_postings.count != ids.count
        {
            return Err(damaged("table counts do not agree".into()));
        }
        let index = CustomerIndex {
            bytes,
            header,
            path,
            records,
            years,
            traits,
            tokens,
            postings,
            forward,
            keys,
            buckets,
            spellings,
            spelled,
            runs,
            run_count,
            ids,
            id_postings,
        };
        // every value in the lists must name a customer or a token
        index.check_values(index.postings, customers, "postings")?;
        index.check_values(index.forward, 2 * index.tokens.count, "customer tokens")?;
        index.check_values(index.buckets, index.tokens.count, "buckets")?;
        index.check_values(index.spelled, index.tokens.count, "spelled tokens")?;
        index.check_values(index.id_postings, customers, "identity postings")?;
        if (0..run_count).any(|k| u32_at(&index.bytes, runs + 8 * k + 4) as usize >= customers) {
            return Err(index.damaged(format!("runs: a value beyond {customers}")));
        }
        Ok(index)
    }

    fn check_values(&self, lists: Table, bound: usize, what: &str) -> Result<(), IndexError> {
        let end = self.end(lists, lists.count) * 4;
        let data = &self.bytes[lists.data..lists.data + end];
        if data
            .chunks_exact(4)
            .any(|v| u32::from_le_bytes(v.try_into().expect("4 bytes")) as usize >= bound)
        {
            return Err(self.damaged(format!("{what}: a value beyond {bound}")));
        }
        Ok(())
    }

    fn damaged(&self, reason: String) -> IndexError {
        IndexError::Damaged {
            path: self.path.clone(),
            reason,
        }
    }

    /// The header: what the index was built from and how many customers it holds.
    pub fn header(&self) -> &IndexHeader {
        &self.header
    }

    /// Number of customers indexed.
    pub fn len(&self) -> usize {
        self.records.count
    }

    /// Whether no customer is indexed.
    pub fn is_empty(&self) -> bool {
        self.records.count == 0
    }

    /// The end offset of item `k` of `table` (its start is the end of item `k - 1`).
    fn end(&self, table: Table, k: usize) -> usize {
        u64_at(&self.bytes, table.offsets + 8 * k) as usize
    }

    fn item(&self, table: Table, k: usize) -> &[u8] {
        let (start, end) = (self.end(table, k), self.end(table, k + 1));
        &self.bytes[table.data + start..table.data + end]
    }

    /// How many values list `k` of `lists` holds.
    fn list_len(&self, lists: Table, k: usize) -> usize {
        self.end(lists, k + 1) - self.end(lists, k)
    }

    fn values(&self, lists: Table, k: usize) -> impl Iterator<Item = u32> + '_ {
        let (start, end) = (self.end(lists, k), self.end(lists, k + 1));
        self.bytes[lists.data + 4 * start..lists.data + 4 * end]
            .chunks_exact(4)
            .map(|v| u32::from_le_bytes(v.try_into().expect("4 bytes")))
    }

    /// The position of `text` in a sorted string table.
    fn find(&self, table: Table, text: &str) -> Option<usize> {
        let (mut low, mut high) = (0, table.count);
        while low < high {
            let mid = (low + high) / 2;
            match self.item(table, mid).cmp(text.as_bytes()) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    fn text(&self, table: Table, k: usize) -> Result<&str, IndexError> {
        std::str::from_utf8(self.item(table, k))
            .map_err(|_| self.damaged(format!("item {k} is not UTF-8")))
    }

    /// The customer tokens (ids) similar to `listed`, as the screener finds similar tokens
    /// ([`NameIndex::similar_tokens`](crate::watchlist::index::NameIndex::similar_tokens)):
    /// sharing a blocking key with it, equal to it, or a known abbreviation of it or the word
    /// it abbreviates, and similar by [`prepared_similarity`] with the customer's token as the
    /// query.
    fn similar_customer_tokens(
        &self,
        listed: &PreparedToken,
        prepared: &mut FastMap<u32, Option<PreparedToken>>,
    ) -> Result<Vec<u32>, IndexError> {
        let mut found: Vec<u32> = Vec::new();
        for_each_blocking_key(&listed.text, &listed.spelling, |key| {
            if let Some(k) = self.find(self.keys, key) {
                found.extend(self.values(self.buckets, k));
            }
        });
        found.extend(self.find(self.tokens, &listed.text).map(|t| t as u32));
        for other in abbreviation_expansions(&listed.text)
            .iter()
            .chain(abbreviations_of(&listed.text))
        {
            found.extend(self.find(self.tokens, other).map(|t| t as u32));
        }
        found.sort_unstable();
        found.dedup();
        let mut similar = Vec::with_capacity(found.len());
        for t in found {
            let query = match prepared.entry(t) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let text = self.text(self.tokens, t as usize)?;
                    e.insert((text.len() > 1).then(|| PreparedToken::new(text)))
                }
            };
            if query
                .as_ref()
                .is_some_and(|q| prepared_similarity(q, listed).is_some())
            {
                similar.push(t);
            }
        }
        Ok(similar)
    }

    /// The customers holding a run of adjacent tokens whose joined text or spelling has the
    /// fingerprint of `text`.
    fn customers_with_run(&self, text: &str) -> impl Iterator<Item = u32> + '_ {
        let fingerprint = run_fingerprint(text);
        let pair = |k: usize| {
            (
                u32_at(&self.bytes, self.runs + 8 * k),
                u32_at(&self.bytes, self.runs + 8 * k + 4),
            )
        };
        let (mut low, mut high) = (0, self.run_count);
        while low < high {
            let mid = (low + high) / 2;
            if pair(mid).0 < fingerprint {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        (low..self.run_count)
            .map(pair)
            .take_while(move |&(f, _)| f == fingerprint)
            .map(|(_, c)| c)
    }

    /// The customer tokens (ids, ascending) whose text or canonical spelling is one of
    /// `texts` (a run of a listed name written as one token).
    fn tokens_writing_as_one(&self, texts: [&str; 2]) -> Vec<u32> {
        let mut found: Vec<u32> = Vec::new();
        for text in texts {
            found.extend(self.find(self.tokens, text).map(|t| t as u32));
            if let Some(k) = self.find(self.spellings, text) {
                found.extend(self.values(self.spelled, k));
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// For each of `reaches`, the customers (positions, ascending) its screener can give a hit
    /// at `threshold` (see [`Reach`]): those whose name touches a screened name (a token
    /// similar to one of its tokens, a token written as a run of its tokens, or a run of
    /// adjacent tokens written as one of its tokens, by text or spelling) enough for the score
    /// bound of [`Reach`] to reach the threshold (less, for a customer with a birth date or
    /// nationality, the most the name's entry's facts can add for its birth year:
    /// [`ReachName::facts`]), those born in a weak alias's year
    /// and those holding a listed identity number. Every other customer gets no hit from it.
    ///
    /// Per screened name, the customers holding its tokens are walked fewest first, and only
    /// until a customer pairing none of the walked tokens could not reach the threshold even
    /// with every other token paired (per initials count and facts: both only raise the bound);
    /// common words' holders are then never visited. A walked customer's pairings are read
    /// from its own tokens.
    pub fn candidates(
        &self,
        reaches: &[Reach<'_>],
        threshold: f64,
    ) -> Result<Vec<Vec<u32>>, IndexError> {
        reaches
            .par_iter()
            .map(|reach| self.candidates_of(reach, threshold))
            .collect()
    }

    /// The birth year of customer `c`, 0 when it has none.
    fn birth_year(&self, c: u32) -> u16 {
        let at = self.years + 2 * c as usize;
        u16::from_le_bytes([self.bytes[at], self.bytes[at + 1]])
    }

    /// [`CustomerIndex::candidates`] of one reach.
    fn candidates_of(&self, reach: &Reach<'_>, threshold: f64) -> Result<Vec<u32>, IndexError> {
        let customers = self.len();
        let traits = &self.bytes[self.traits..self.traits + customers];
        let mut prepared: FastMap<u32, Option<PreparedToken>> = FastMap::default();
        // per customer, the bits of the name at hand's tokens it may pair
        let mut masks: Vec<u64> = written(customers, 0);
        let mut touched: Vec<u32> = Vec::new();
        {
            let mut marked = written(customers, false);
            // per listed token: the customer tokens similar to it (sorted), and the customers
            // with a run of tokens joining into it (sorted)
            let mut similar: Vec<Option<Vec<u32>>> = vec![None; reach.tokens.len()];
            let mut joining: Vec<Vec<u32>> = vec![Vec::new(); reach.tokens.len()];
            // the least weight of a customer token (id << 1 | weak) in this screener
            let mut weights: FastMap<u32, f64> = FastMap::default();
            let mut pairable: Vec<u32> = Vec::new();
            let mut costs: Vec<f64> = Vec::new();
            // a customer's own tokens (id << 1 | weak)
            let mut own: Vec<u32> = Vec::new();
            // per name: its runs' bits and the customer tokens each is written as
            let mut runs: Vec<(u64, Vec<u32>)> = Vec::new();
            // the listed side's bound per (tokens paired, traits, floor), for the name at hand
            let mut listed_bound: FastMap<(u64, u8, u64), bool> = FastMap::default();
            for name in &reach.names {
                pairable.clear();
                listed_bound.clear();
                let listed_initials = name.tokens.iter().filter(|t| t.token.is_none()).count();
                for part in &name.tokens {
                    let Some(r) = part.token else { continue };
                    let r = r as usize;
                    if similar[r].is_some() {
                        continue;
                    }
                    let listed = reach.tokens[r];
                    similar[r] = Some(self.similar_customer_tokens(listed, &mut prepared)?);
                    let mut by_run: Vec<u32> = Vec::new();
                    for form in [&listed.text, &listed.spelling] {
                        by_run.extend(self.customers_with_run(form));
                    }
                    by_run.sort_unstable();
                    by_run.dedup();
                    joining[r] = by_run;
                }
                runs.clear();
                for (start, len, text, spelling) in &name.runs {
                    let bits = (*start..start + len).fold(0, |b, j| b | bit(j));
                    runs.push((bits, self.tokens_writing_as_one([text, spelling])));
                }
                let similar_of = |j: usize| -> &[u32] {
                    name.tokens[j]
                        .token
                        .and_then(|r| similar[r as usize].as_deref())
                        .unwrap_or_default()
                };
                for j in 0..name.tokens.len() {
                    pairable.extend(similar_of(j));
                }
                for (_, tokens) in &runs {
                    pairable.extend(tokens);
                }
                pairable.sort_unstable();
                pairable.dedup();
                // A customer pairs a listed token through a similar token, a run of its own
                // tokens joining into it, or one token written as a run of the name's. The
                // tokens whose holders are walked: the fewest holders first, until a customer
                // pairing none of them cannot reach the lowest floor even with every other
                // token paired (the bound grows with what is paired); every other customer
                // is left out unseen. Each walked customer's mask is then made whole from its
                // own tokens.
                let holders = |j: usize| -> usize {
                    let Some(r) = name.tokens[j].token else {
                        return usize::MAX;
                    };
                    let mut count = joining[r as usize].len();
                    for &t in similar_of(j) {
                        count += self.list_len(self.postings, t as usize);
                    }
                    for (bits, tokens) in &runs {
                        if bits & bit(j) != 0 {
                            for &t in tokens {
                                count += self.list_len(self.postings, t as usize);
                            }
                        }
                    }
                    count
                };
                let every = (0..name.tokens.len()).fold(0, |b, j| b | bit(j));
                // (a name of more than 62 tokens is not bounded: every token is walked)
                let walk_all = name.tokens.len() > 62;
                let mut order: Vec<(usize, usize)> = (0..name.tokens.len())
                    .filter(|&j| name.tokens[j].token.is_some())
                    .map(|j| (holders(j), j))
                    .collect();
                order.sort_unstable();
                // how many of `order`'s tokens a customer must be found through, by whether it
                // has facts and by its initials (more initials pair more: the floor and the
                // bound only grow)
                let mut walked = [[0usize; WALK_LEVELS]; 2];
                for (facts, levels) in walked.iter_mut().enumerate() {
                    let floor = if facts == 1 {
                        threshold - name.facts.most_of_any()
                    } else {
                        threshold
                    } - BOUND_SLACK;
                    for (level, count) in levels.iter_mut().enumerate() {
                        let initials = if level + 1 == WALK_LEVELS {
                            INITIALS_MASK
                        } else {
                            level as u8
                        };
                        let mut missing = 0u64;
                        *count = order.len();
                        for (k, &(_, j)) in order.iter().enumerate() {
                            if !walk_all
                                && !bound_reaches(name, every & !missing, initials, 0.0, floor)
                            {
                                *count = k;
                                break;
                            }
                            missing |= bit(j);
                        }
                    }
                }
                let most = walked[1][WALK_LEVELS - 1];
                // per prefix length p of `order`: the bits of every other token (the
                // tokens a customer whose walk stops at p may still pair, for all we know)
                let mut beyond = vec![every; order.len() + 1];
                for (k, &(_, j)) in order.iter().enumerate() {
                    beyond[k + 1] = beyond[k] & !bit(j);
                }
                let walk_of = |c: u32| -> usize {
                    let t = traits[c as usize];
                    let level = usize::from(t & INITIALS_MASK).min(WALK_LEVELS - 1);
                    walked[usize::from(t & HAS_FACTS != 0)][level]
                };
                // the walk records the tokens each customer is found through
                let mut mark = |c: u32, k: usize, bits: u64| {
                    if k >= walk_of(c) {
                        return;
                    }
                    let mask = &mut masks[c as usize];
                    if *mask == 0 {
                        touched.push(c);
                    }
                    *mask |= bits | TOUCHED;
                };
                for (k, &(_, j)) in order.iter().enumerate().take(most) {
                    for &t in similar_of(j) {
                        self.values(self.postings, t as usize)
                            .for_each(|c| mark(c, k, bit(j)));
                    }
                    if let Some(r) = name.tokens[j].token {
                        joining[r as usize]
                            .iter()
                            .for_each(|&c| mark(c, k, bit(j) | BY_RUN));
                    }
                    for (bits, tokens) in &runs {
                        if bits & bit(j) != 0 {
                            for &t in tokens {
                                self.values(self.postings, t as usize)
                                    .for_each(|c| mark(c, k, *bits));
                            }
                        }
                    }
                }
                for c in touched.drain(..) {
                    let found = std::mem::take(&mut masks[c as usize]);
                    if marked[c as usize] {
                        continue;
                    }
                    let traits = traits[c as usize];
                    // facts may raise a name score by at most what the entry's facts add
                    // for the customer's birth year (a nationality may match any listed)
                    let floor = if traits & HAS_FACTS != 0 {
                        threshold - name.facts.most(self.birth_year(c))
                    } else {
                        threshold
                    } - BOUND_SLACK;
                    let initials = traits & INITIALS_MASK;
                    // many customers pair the same tokens: the listed side's bound is
                    // computed once per (tokens paired, traits, floor)
                    let mut reaches = |mask: u64| {
                        *listed_bound
                            .entry((mask, traits, floor.to_bits()))
                            .or_insert_with(|| bound_reaches(name, mask, initials, 0.0, floor))
                    };
                    // what the walk found, with every token it did not walk taken as paired
                    if !reaches(found | beyond[walk_of(c)]) {
                        continue;
                    }
                    // then what the customer's own tokens pair
                    let mut mask = TOUCHED;
                    own.clear();
                    own.extend(self.values(self.forward, c as usize));
                    for &entry in &own {
                        let t = entry >> 1;
                        if pairable.binary_search(&t).is_err() {
                            continue;
                        }
                        for j in 0..name.tokens.len() {
                            if similar_of(j).binary_search(&t).is_ok() {
                                mask |= bit(j);
                            }
                        }
                        for (bits, tokens) in &runs {
                            if tokens.binary_search(&t).is_ok() {
                                mask |= bits;
                            }
                        }
                    }
                    for (j, part) in name.tokens.iter().enumerate() {
                        if let Some(r) = part.token {
                            if joining[r as usize].binary_search(&c).is_ok() {
                                mask |= bit(j) | BY_RUN;
                            }
                        }
                    }
                    if !reaches(mask) {
                        continue;
                    }
                    // the customer's tokens that can pair with none of the name's cost at
                    // least their least weight at the name's least rate (not known when a run
                    // of them joins into a listed token: then none is counted)
                    // (a listed initial may pair with any of them: as many as it has, the
                    // costliest, are not counted)
                    let mut unpaired_query = 0.0;
                    if mask & BY_RUN == 0 {
                        costs.clear();
                        for &entry in &own {
                            let t = entry >> 1;
                            if pairable.binary_search(&t).is_ok() {
                                continue;
                            }
                            costs.push(match weights.entry(entry) {
                                std::collections::hash_map::Entry::Occupied(e) => *e.get(),
                                std::collections::hash_map::Entry::Vacant(e) => {
                                    let text = self.text(self.tokens, t as usize)?;
                                    // legal forms pair with listed ones outside the index
                                    *e.insert(
                                        if is_legal_form(text)
                                            || is_legal_form_short(text)
                                            || is_legal_form_phrase_word(text)
                                        {
                                            0.0
                                        } else {
                                            reach.least_query_weight(text, entry & 1 == 1)
                                        },
                                    )
                                }
                            });
                        }
                        costs.sort_by(|a, b| b.total_cmp(a));
                        unpaired_query = costs.iter().skip(listed_initials).sum();
                    }
                    if bound_reaches(
                        name,
                        mask,
                        initials,
                        name.query_rate * unpaired_query,
                        floor,
                    ) {
                        marked[c as usize] = true;
                    }
                }
            }
            if !reach.weak_alias_years.is_empty() {
                for (c, mark) in marked.iter_mut().enumerate() {
                    let year = self.birth_year(c as u32);
                    if year != 0 && reach.weak_alias_years.binary_search(&year).is_ok() {
                        *mark = true;
                    }
                }
            }
            for number in &reach.id_numbers {
                if let Some(k) = self.find(self.ids, number) {
                    for c in self.values(self.id_postings, k) {
                        marked[c as usize] = true;
                    }
                }
            }
            Ok((0..customers as u32)
                .filter(|&c| marked[c as usize])
                .collect())
        }
    }

    /// The customer at position `k` (in `customer_id` order).
    pub fn customer(&self, k: usize) -> Result<IndexedCustomer, IndexError> {
        if k >= self.len() {
            return Err(self.damaged(format!("no customer {k}")));
        }
        let mut fields = Fields {
            record: self.item(self.records, k),
            at: 0,
        };
        let decoded = (|| {
            let customer_id = fields.field()??;
            let name = fields.field()??;
            let birth_date = fields.field()?;
            let nationality = fields.field()?;
            let count = fields.u32()?;
            let id_numbers = (0..count)
                .map(|_| fields.field().flatten().map(str::to_string))
                .collect::<Option<Vec<String>>>()?;
            (fields.at == fields.record.len()).then_some((
                customer_id,
                name,
                birth_date,
                nationality,
                id_numbers,
            ))
        })();
        let Some((customer_id, name, birth_date, nationality, id_numbers)) = decoded else {
            return Err(self.damaged(format!("record {k} is malformed")));
        };
        Ok(IndexedCustomer {
            customer_id: customer_id.to_string(),
            name: name.to_string(),
            query: super::query_of(name, birth_date, nationality, id_numbers),
        })
    }
}

/// The bit of listed token `j` in a customer's mask; tokens past the 62nd share none (a name
/// that long is not bounded).
fn bit(j: usize) -> u64 {
    if j < 62 {
        1 << j
    } else {
        0
    }
}

/// The bit of a customer's mask that says a run of its tokens joins into a listed token.
const BY_RUN: u64 = 1 << 62;

/// Initials counts told apart in choosing the tokens to walk (the last stands for any more).
const WALK_LEVELS: usize = 8;

/// `n` copies of `value`, written out. `vec![0; n]` of a large `n` is fresh zeroed memory from
/// the system, whose pages are mapped read-only to one zero page until written: a table read
/// before it is written, as the candidate search's are, then takes two page faults per page,
/// the second copying it and flushing the other threads' TLBs.
fn written<T: Copy>(n: usize, value: T) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    // (hidden from the optimiser, which would turn the writes back into zeroed memory)
    std::hint::black_box(&mut v).resize(n, value);
    v
}

/// A customer's traits byte: its initials (low 7 bits) and whether it has facts.
const INITIALS_MASK: u8 = 0x7f;
const HAS_FACTS: u8 = 0x80;

/// The bit of a customer's mask that says it was touched at all.
const TOUCHED: u64 = 1 << 63;

/// Slack on [`bound_reaches`]: more than scores' rounding to 4 decimals and any float error.
const BOUND_SLACK: f64 = 0.000_1;

/// Whether a customer touching the tokens of `name` in `mask`, with `initials` initials, can
/// score at least `floor` against it: the bound of [`Reach`], `W / (W + U + Q)`, where `W` is
/// the weight of the tokens it touches, the free ones and, per initial, one more (the
/// heaviest left), `U` the least cost of the others (less the costliest, per initial), and `Q`
/// (`unpaired_query`) the least cost of its own tokens that pair with none of the name's.
fn bound_reaches(
    name: &ReachName,
    mask: u64,
    initials: u8,
    unpaired_query: f64,
    floor: f64,
) -> bool {
    if name.tokens.len() > 62 {
        return true;
    }
    let mut paired = 0.0;
    let mut left: Vec<(f64, f64)> = Vec::new();
    for (j, part) in name.tokens.iter().enumerate() {
        if part.free || mask & bit(j) != 0 {
            paired += part.weight;
        } else {
            left.push((part.weight, part.least_cost));
        }
    }
    let mut unpaired: f64 = left.iter().map(|l| l.1).sum();
    let initials = usize::from(initials);
    if initials > 0 && !left.is_empty() {
        left.sort_by(|a, b| b.0.total_cmp(&a.0));
        paired += left.iter().take(initials).map(|l| l.0).sum::<f64>();
        left.sort_by(|a, b| b.1.total_cmp(&a.1));
        unpaired -= left.iter().take(initials).map(|l| l.1).sum::<f64>();
        unpaired = unpaired.max(0.0);
    }
    paired > 0.0 && paired / (paired + unpaired + unpaired_query) >= floor
}

/// A cursor over one record's fields.
struct Fields<'a> {
    record: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    fn u32(&mut self) -> Option<u32> {
        let raw = self.record.get(self.at..self.at + 4)?;
        self.at += 4;
        Some(u32::from_le_bytes(raw.try_into().ok()?))
    }

    /// `None` when malformed; `Some(None)` for an absent field.
    fn field(&mut self) -> Option<Option<&'a str>> {
        let len = self.u32()?;
        if len == u32::MAX {
            return Some(None);
        }
        let text = self.record.get(self.at..self.at + len as usize)?;
        self.at += len as usize;
        std::str::from_utf8(text).ok().map(Some)
    }
}
