//! The struct-of-vectors transaction batch ([`TxnColumns`]) and its string dictionary.
//!
//! Every text column is dictionary-encoded: a row holds a 4-byte [`Sym`] per text field and the
//! strings live once in [`SymbolTable`]. Together with `i64` amounts and timestamps a row costs
//! about 60 bytes, so ten million rows take well under a gigabyte.

use crate::model::{format_timestamp, Channel, TimestampMicros};
use std::collections::HashMap;

/// Index of a string in a [`SymbolTable`]. `Sym(0)` is always the empty string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sym(pub u32);

/// Interned strings shared by all text columns of a [`TxnColumns`].
#[derive(Debug, Clone)]
pub struct SymbolTable {
    values: Vec<String>,
    lookup: HashMap<String, u32>,
}

impl Default for SymbolTable {
    fn default() -> Self {
        let mut table = SymbolTable {
            values: Vec::new(),
            lookup: HashMap::new(),
        };
        table.intern("");
        table
    }
}

impl SymbolTable {
    /// Returns the symbol for `text`, adding it when new.
    pub fn intern(&mut self, text: &str) -> Sym {
        if let Some(&id) = self.lookup.get(text) {
            return Sym(id);
        }
        let id = self.values.len() as u32;
        self.values.push(text.to_string());
        self.lookup.insert(text.to_string(), id);
        Sym(id)
    }

    /// The symbol for `text` if it was interned.
    pub fn find(&self, text: &str) -> Option<Sym> {
        self.lookup.get(text).map(|&id| Sym(id))
    }

    /// The string of a symbol.
    pub fn get(&self, sym: Sym) -> &str {
        &self.values[sym.0 as usize]
    }

    /// Number of distinct strings (including the empty string).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when only the empty string is present.
    pub fn is_empty(&self) -> bool {
        self.values.len() <= 1
    }
}

/// Formats a transaction sequence number as its text id (`T000000042`).
pub fn txn_id_text(seq: u64) -> String {
    format!("T{seq:09}")
}

/// Number of canonical columns.
pub const COLUMN_COUNT: usize = 12;

/// The canonical CSV header, in order.
pub const CANONICAL_HEADER: [&str; COLUMN_COUNT] = crate::model::CANONICAL_COLUMNS;

/// Why a deliberately broken row is broken: the quarantine reason ingest reports for it.
pub use crate::model::QuarantineReason as BadRowReason;

/// A deliberately broken row, kept as text because its fields do not fit the typed columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// What is wrong with it.
    pub reason: BadRowReason,
    /// The twelve canonical fields, in header order.
    pub fields: [String; COLUMN_COUNT],
}

/// Transactions as one vector per canonical column, sorted by timestamp then `txn_id`.
///
/// Text ids are `txn_id_text(txn_id[i])`; amounts are micros of `currency` (see
/// [`crate::model::MICROS_PER_UNIT`]); timestamps are micros since the Unix epoch, UTC.
/// `raw_rows` are written after the typed rows, in order.
#[derive(Debug, Clone, Default)]
pub struct TxnColumns {
    /// Sequence numbers behind the text ids.
    pub txn_id: Vec<u64>,
    /// Micros since the Unix epoch, UTC.
    pub timestamp: Vec<TimestampMicros>,
    /// Amount in `currency`, in micros.
    pub amount: Vec<i64>,
    /// ISO 4217 code.
    pub currency: Vec<Sym>,
    /// How the transaction was conducted.
    pub channel: Vec<Channel>,
    /// Originator account (empty for a cash deposit).
    pub orig_account: Vec<Sym>,
    /// Originator name (the conductor for a cash deposit).
    pub orig_name: Vec<Sym>,
    /// Originator country, ISO 3166 alpha-2.
    pub orig_country: Vec<Sym>,
    /// Beneficiary account (empty for a cash withdrawal).
    pub bene_account: Vec<Sym>,
    /// Beneficiary name.
    pub bene_name: Vec<Sym>,
    /// Beneficiary country, ISO 3166 alpha-2.
    pub bene_country: Vec<Sym>,
    /// Branch code (`KIN-01`).
    pub branch: Vec<Sym>,
    /// Strings behind every [`Sym`].
    pub symbols: SymbolTable,
    /// Deliberately broken rows appended after the typed rows.
    pub raw_rows: Vec<RawRow>,
}

/// One typed row with its text fields resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnView<'a> {
    /// Sequence number behind the text id.
    pub txn_seq: u64,
    /// Micros since the Unix epoch, UTC.
    pub timestamp: TimestampMicros,
    /// Amount in `currency`, micros.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// Channel.
    pub channel: Channel,
    /// Originator account.
    pub orig_account: &'a str,
    /// Originator name.
    pub orig_name: &'a str,
    /// Originator country.
    pub orig_country: &'a str,
    /// Beneficiary account.
    pub bene_account: &'a str,
    /// Beneficiary name.
    pub bene_name: &'a str,
    /// Beneficiary country.
    pub bene_country: &'a str,
    /// Branch code.
    pub branch: &'a str,
}

impl TxnView<'_> {
    /// The text id (`T000000042`).
    pub fn txn_id(&self) -> String {
        txn_id_text(self.txn_seq)
    }

    /// The timestamp as ISO 8601 UTC.
    pub fn timestamp_text(&self) -> String {
        format_timestamp(self.timestamp)
    }
}

/// The party on one side of a transaction, as symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PartySyms {
    /// Account number (empty for the cash side).
    pub account: Sym,
    /// Name.
    pub name: Sym,
    /// Country code.
    pub country: Sym,
}

impl TxnColumns {
    /// Number of typed (well-formed) rows.
    pub fn len(&self) -> usize {
        self.timestamp.len()
    }

    /// True when there are no typed rows.
    pub fn is_empty(&self) -> bool {
        self.timestamp.is_empty()
    }

    /// The row at `i` with text resolved.
    pub fn view(&self, i: usize) -> TxnView<'_> {
        let s = &self.symbols;
        TxnView {
            txn_seq: self.txn_id[i],
            timestamp: self.timestamp[i],
            amount: self.amount[i],
            currency: s.get(self.currency[i]),
            channel: self.channel[i],
            orig_account: s.get(self.orig_account[i]),
            orig_name: s.get(self.orig_name[i]),
            orig_country: s.get(self.orig_country[i]),
            bene_account: s.get(self.bene_account[i]),
            bene_name: s.get(self.bene_name[i]),
            bene_country: s.get(self.bene_country[i]),
            branch: s.get(self.branch[i]),
        }
    }

    /// Row index of a text id, by binary search (ids are ascending with row order).
    pub fn position_of(&self, txn_id: &str) -> Option<usize> {
        let seq: u64 = txn_id.strip_prefix('T')?.parse().ok()?;
        self.txn_id.binary_search(&seq).ok()
    }

    /// Appends one typed row; returns its row index (its creation order until [`Self::sort`]).
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        timestamp: TimestampMicros,
        amount: i64,
        currency: Sym,
        channel: Channel,
        orig: PartySyms,
        bene: PartySyms,
        branch: Sym,
    ) -> usize {
        let index = self.timestamp.len();
        self.txn_id.push(index as u64);
        self.timestamp.push(timestamp);
        self.amount.push(amount);
        self.currency.push(currency);
        self.channel.push(channel);
        self.orig_account.push(orig.account);
        self.orig_name.push(orig.name);
        self.orig_country.push(orig.country);
        self.bene_account.push(bene.account);
        self.bene_name.push(bene.name);
        self.bene_country.push(bene.country);
        self.branch.push(branch);
        index
    }

    /// Sorts rows by timestamp (creation order breaks ties), then numbers them 1, 2, 3... so that
    /// text ids ascend with row order. Returns, for each creation index, the new sequence number.
    pub fn sort(&mut self) -> Vec<u64> {
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.sort_unstable_by_key(|&i| (self.timestamp[i as usize], i));
        fn permute<T: Copy>(column: &mut Vec<T>, order: &[u32]) {
            let sorted: Vec<T> = order.iter().map(|&i| column[i as usize]).collect();
            *column = sorted;
        }
        permute(&mut self.timestamp, &order);
        permute(&mut self.amount, &order);
        permute(&mut self.currency, &order);
        permute(&mut self.channel, &order);
        permute(&mut self.orig_account, &order);
        permute(&mut self.orig_name, &order);
        permute(&mut self.orig_country, &order);
        permute(&mut self.bene_account, &order);
        permute(&mut self.bene_name, &order);
        permute(&mut self.bene_country, &order);
        permute(&mut self.branch, &order);
        let mut new_seq = vec![0u64; order.len()];
        for (position, &created) in order.iter().enumerate() {
            new_seq[created as usize] = position as u64 + 1;
        }
        self.txn_id = (1..=order.len() as u64).collect();
        new_seq
    }
}
