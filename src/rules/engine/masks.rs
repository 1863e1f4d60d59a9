//! Row masks: which rows of the run's frame meet a rule's predicates, tested in plain Rust over
//! the frame's typed columns and kept for the whole run.
//!
//! A rule pack repeats its predicates (the cash channel, an amount threshold, a country list),
//! and Polars' comparison kernels in this build pack their results into a bitmap one bit at a
//! time and compare text row by row. Here each predicate is tested once per run, 8 rows per
//! byte, over the integer columns ([`CHANNEL_CODE`], the account keys, amounts) or straight
//! over a text column's 16-byte views (a value of at most 12 bytes is compared as one
//! integer). The same-person test compares names only on the rows the other predicates leave.
//! The meaning of every predicate stays that of [`predicate_expr`]; a predicate over a column
//! with missing values (where the expression's null logic applies) is left to Polars.

use super::exprs::{predicate_expr, same_person, BASE_AMOUNT};
use super::keys::{channel_code, BENE_KEY, CHANNEL_CODE, NO_ACCOUNT, ORIG_KEY};
use crate::model::Channel;
use crate::rules::plan::{Field, Predicate, SegmentSide};
use crate::text_stretches::TextArray;
use polars::prelude::*;
use polars_arrow::array::{BooleanArray, View};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use std::sync::Mutex;

/// The column that carries a mask into a lazy filter.
const MASK: &str = "__rule_mask";

/// Masks of the predicates tested so far in a run (`None`: left to Polars), and the accounts'
/// segments that [`Predicate::SegmentIn`] is tested against.
#[derive(Default)]
pub struct RowMasks {
    tested: Mutex<Vec<(Predicate, Option<Bitmap>)>>,
    segments: Option<SegmentCodes>,
}

/// Each account key's segment as a small code: `of_key[key]` is 0 for none, else `i + 1` for
/// `names[i]`.
#[derive(Debug, Clone, Default)]
pub struct SegmentCodes {
    pub names: Vec<String>,
    pub of_key: Vec<u16>,
}

impl SegmentCodes {
    /// The codes of `segments` for the run's account keys.
    pub fn new(
        segments: &crate::rules::segments::Segments,
        accounts: &super::keys::Accounts,
    ) -> Self {
        let mut names: Vec<String> = Vec::new();
        let of_key = (0..accounts.key_count() as u32)
            .map(|k| match segments.get(accounts.name(k)) {
                Some(s) if k != NO_ACCOUNT => {
                    let at = names
                        .iter()
                        .position(|n| *n == s.segment)
                        .unwrap_or_else(|| {
                            names.push(s.segment.clone());
                            names.len() - 1
                        });
                    at as u16 + 1
                }
                _ => 0,
            })
            .collect();
        Self { names, of_key }
    }

    /// Which codes are in `segments` (code 0, no segment, never is).
    fn wanted(&self, segments: &[String]) -> Vec<bool> {
        std::iter::once(false)
            .chain(self.names.iter().map(|n| segments.contains(n)))
            .collect()
    }
}

impl RowMasks {
    /// Masks for a run whose accounts have these segments (`None`: no account has one).
    pub fn with_segments(segments: Option<SegmentCodes>) -> Self {
        Self {
            tested: Mutex::default(),
            segments,
        }
    }

    /// The rows of `frame` that meet every predicate tested here, and the predicates left to
    /// Polars expressions. `None`: no predicate could be tested here.
    pub fn split(
        &self,
        frame: &DataFrame,
        predicates: &[Predicate],
    ) -> PolarsResult<(Option<Bitmap>, Vec<Predicate>)> {
        let mut mask: Option<Bitmap> = None;
        let mut rest = Vec::new();
        let mut same_person = Vec::new();
        for predicate in predicates {
            if let Predicate::SamePerson(same) = predicate {
                same_person.push(*same);
                continue;
            }
            match self.mask(frame, predicate)? {
                Some(bits) => mask = Some(mask.map_or(bits.clone(), |m| &m & &bits)),
                None => rest.push(predicate.clone()),
            }
        }
        // names are compared only on the rows the other masks leave (not kept: the answer
        // depends on those rows)
        for same in same_person {
            match same_person_bits(frame, mask.as_ref(), same)? {
                Some(bits) => mask = Some(bits),
                None => rest.push(Predicate::SamePerson(same)),
            }
        }
        Ok((mask, rest))
    }

    /// One predicate's mask, tested on first use.
    fn mask(&self, frame: &DataFrame, predicate: &Predicate) -> PolarsResult<Option<Bitmap>> {
        let cached = |masks: &Vec<(Predicate, Option<Bitmap>)>| {
            masks
                .iter()
                .find(|(p, _)| p == predicate)
                .map(|(_, m)| m.clone())
        };
        if let Some(found) = cached(&self.lock()) {
            return Ok(found);
        }
        // tested without the lock held (two rules asking at once may both test)
        let tested = match predicate {
            Predicate::SegmentIn {
                side,
                segments,
                member,
            } => segment_mask(frame, self.segments.as_ref(), *side, segments, *member)?,
            other => test(frame, other)?,
        };
        let mut masks = self.lock();
        if cached(&masks).is_none() {
            masks.push((predicate.clone(), tested.clone()));
        }
        Ok(tested)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Predicate, Option<Bitmap>)>> {
        self.tested
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `frame` with its rows narrowed to `mask` (`None`: all) and to the `rest` of the predicates
/// by their Polars expressions.
pub fn narrowed(
    frame: &DataFrame,
    mask: Option<Bitmap>,
    rest: &[Predicate],
) -> PolarsResult<LazyFrame> {
    let rest = rest.iter().map(predicate_expr).reduce(|a, b| a.and(b));
    Ok(match (mask, rest) {
        (None, None) => frame.clone().lazy(),
        (None, Some(rest)) => frame.clone().lazy().filter(rest),
        (Some(mask), rest) => {
            let mut with_mask = frame.clone();
            with_mask.with_column(mask_column(mask).into_column())?;
            let condition = rest.map_or(col(MASK), |rest| col(MASK).and(rest));
            with_mask.lazy().filter(condition).drop(cols([MASK]))
        }
    })
}

/// A mask as a boolean column named [`MASK`].
fn mask_column(mask: Bitmap) -> BooleanChunked {
    BooleanChunked::with_chunk(
        MASK.into(),
        BooleanArray::new(ArrowDataType::Boolean, mask, None),
    )
}

/// Tests one predicate over every row, or `None` when it is left to Polars.
fn test(frame: &DataFrame, predicate: &Predicate) -> PolarsResult<Option<Bitmap>> {
    Ok(match predicate {
        Predicate::ChannelIn(channels) => channel_mask(frame, channels)?,
        Predicate::ChannelNotIn(channels) => channel_mask(frame, channels)?.map(|m| !&m),
        Predicate::BaseAmountAtLeast(min) => {
            integers(frame, BASE_AMOUNT)?.map(|v| pack_slices(&v, |a| a >= *min))
        }
        Predicate::BaseAmountBelow(limit) => {
            integers(frame, BASE_AMOUNT)?.map(|v| pack_slices(&v, |a| a < *limit))
        }
        Predicate::AmountMultipleOf(step) if *step != 0 => {
            integers(frame, "amount")?.map(|v| pack_slices(&v, |a| a % *step == 0))
        }
        Predicate::AmountMultipleOf(_) => None,
        Predicate::FieldIn { field, values } => {
            let list = ValueList::new(values);
            text(frame, field.column())?.map(|column| list.members(column))
        }
        Predicate::EitherCountryIn(values) => {
            let list = ValueList::new(values);
            match (text(frame, "orig_country")?, text(frame, "bene_country")?) {
                (Some(orig), Some(bene)) => Some(&list.members(orig) | &list.members(bene)),
                _ => None,
            }
        }
        Predicate::CrossBorder(cross) => {
            match (text(frame, "orig_country")?, text(frame, "bene_country")?) {
                (Some(orig), Some(bene)) => Some(pack_view_pairs(orig, bene, None, |o, b| {
                    !o.is_empty() && !b.is_empty() && (o.equals(&b) != *cross)
                })),
                _ => None,
            }
        }
        Predicate::Present { field, present } => {
            let has = match field {
                Field::OrigAccount => keys_present(frame, ORIG_KEY)?,
                Field::BeneAccount => keys_present(frame, BENE_KEY)?,
                other => text(frame, other.column())?.map(|c| pack_views(c, |v| !v.is_empty())),
            };
            has.map(|m| if *present { m } else { !&m })
        }
        // tested against the run's segments (see `RowMasks::mask`)
        Predicate::SegmentIn { .. } => None,
        // compared on the rows the other predicates leave (see `RowMasks::split`)
        Predicate::SamePerson(_) => None,
    })
}

/// The rows of `candidates` (all when `None`) whose names are (`same`) or are not the same
/// person (see [`same_person`]); `None` when a name is missing, where the expression's null
/// logic applies.
fn same_person_bits(
    frame: &DataFrame,
    candidates: Option<&Bitmap>,
    same: bool,
) -> PolarsResult<Option<Bitmap>> {
    let (Some(orig), Some(bene)) = (text(frame, "orig_name")?, text(frame, "bene_name")?) else {
        return Ok(None);
    };
    Ok(Some(pack_view_pairs(orig, bene, candidates, |o, b| {
        same_person(o.text(), b.text()) == same
    })))
}

/// The rows whose account on `side` is (`member`) or is not in one of `segments`, by the
/// account keys: an account of no segment, or every account of a run without segments, is in
/// none.
fn segment_mask(
    frame: &DataFrame,
    codes: Option<&SegmentCodes>,
    side: SegmentSide,
    segments: &[String],
    member: bool,
) -> PolarsResult<Option<Bitmap>> {
    let empty = SegmentCodes::default();
    let codes = codes.unwrap_or(&empty);
    let wanted = codes.wanted(segments);
    let of = |column: &str| {
        pack_u32(frame, column, |key| {
            let code = codes.of_key.get(key as usize).copied().unwrap_or(0);
            wanted[code as usize]
        })
    };
    let bits = match side {
        SegmentSide::Originator => of(ORIG_KEY)?,
        SegmentSide::Beneficiary => of(BENE_KEY)?,
        SegmentSide::Account => {
            match (keys_present(frame, BENE_KEY)?, of(BENE_KEY)?, of(ORIG_KEY)?) {
                (Some(bene), Some(b), Some(o)) => Some(&(&bene & &b) | &(&!&bene & &o)),
                _ => None,
            }
        }
    };
    Ok(bits.map(|m| if member { m } else { !&m }))
}

fn channel_mask(frame: &DataFrame, channels: &[Channel]) -> PolarsResult<Option<Bitmap>> {
    let mut wanted = vec![false; Channel::ALL.len()];
    for &channel in channels {
        if let Some(slot) = wanted.get_mut(channel_code(channel) as usize) {
            *slot = true;
        }
    }
    pack_u32(frame, CHANNEL_CODE, |code| {
        wanted.get(code as usize).copied().unwrap_or(false)
    })
}

fn keys_present(frame: &DataFrame, column: &str) -> PolarsResult<Option<Bitmap>> {
    pack_u32(frame, column, |key| key != NO_ACCOUNT)
}

/// `test` of every value of a `u32` column (account keys, channel codes), packed; `None` when
/// the column has missing values.
fn pack_u32(
    frame: &DataFrame,
    column: &str,
    test: impl Fn(u32) -> bool + Sync,
) -> PolarsResult<Option<Bitmap>> {
    let values = frame.column(column)?.u32()?;
    if values.null_count() > 0 {
        return Ok(None);
    }
    let slices: Vec<&[u32]> = values
        .downcast_iter()
        .map(|a| a.values().as_slice())
        .collect();
    Ok(Some(pack_slices(&slices, test)))
}

/// An integer column's chunks, when it has no missing values.
fn integers<'a>(frame: &'a DataFrame, name: &str) -> PolarsResult<Option<Vec<&'a [i64]>>> {
    let column = frame.column(name)?.i64()?;
    Ok((column.null_count() == 0).then(|| {
        column
            .downcast_iter()
            .map(|a| a.values().as_slice())
            .collect()
    }))
}

/// A text column, when it has no missing values.
fn text<'a>(frame: &'a DataFrame, name: &str) -> PolarsResult<Option<&'a StringChunked>> {
    let column = frame.column(name)?.str()?;
    Ok((column.null_count() == 0).then_some(column))
}

/// One text value, read through its view: a value of at most 12 bytes is the view itself.
#[derive(Clone, Copy)]
struct ViewValue<'a> {
    view: View,
    array: &'a TextArray,
    row: usize,
}

impl ViewValue<'_> {
    fn is_empty(&self) -> bool {
        self.view.length == 0
    }

    /// The inline value as an integer (length, then the bytes, the rest zero), for a value of
    /// at most 12 bytes.
    fn inline_key(&self) -> Option<u128> {
        (self.view.length <= View::MAX_INLINE_SIZE).then(|| inline_key(self.view))
    }

    fn text(&self) -> &str {
        // SAFETY: `row` is below the array's length (see `values`)
        unsafe { self.array.value_unchecked(self.row) }
    }

    fn equals(&self, other: &ViewValue) -> bool {
        match (self.inline_key(), other.inline_key()) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.text() == other.text(),
            _ => false,
        }
    }
}

/// A view's length and inline bytes, with any bytes past the length cleared.
fn inline_key(view: View) -> u128 {
    let bits = view.as_u128();
    let kept = 32 + 8 * view.length;
    if kept >= 128 {
        bits
    } else {
        bits & ((1u128 << kept) - 1)
    }
}

/// Every value of a text column without missing values, in row order.
fn values(column: &StringChunked) -> impl Iterator<Item = ViewValue<'_>> {
    column.downcast_iter().flat_map(values_of)
}

/// Every value of one chunk without missing values, in row order.
fn values_of(array: &TextArray) -> impl Iterator<Item = ViewValue<'_>> {
    array
        .views()
        .iter()
        .enumerate()
        .map(move |(row, &view)| ViewValue { view, array, row })
}

/// A list of text values to test membership in: values of at most 12 bytes by their inline
/// key (two-byte codes, such as countries, by a table), longer ones by text.
struct ValueList {
    two_bytes: Vec<u64>,
    inline: Vec<u128>,
    long: Vec<String>,
}

impl ValueList {
    fn new(values: &[String]) -> Self {
        let mut list = ValueList {
            two_bytes: vec![0; 65_536 / 64],
            inline: Vec::new(),
            long: Vec::new(),
        };
        for value in values {
            let bytes = value.as_bytes();
            if bytes.len() == 2 {
                let slot = usize::from(u16::from_le_bytes([bytes[0], bytes[1]]));
                list.two_bytes[slot / 64] |= 1 << (slot % 64);
            } else if bytes.len() <= View::MAX_INLINE_SIZE as usize {
                list.inline.push(inline_key(View::new_inline(bytes)));
            } else {
                list.long.push(value.clone());
            }
        }
        list.inline.sort_unstable();
        list
    }

    fn contains(&self, value: ViewValue) -> bool {
        self.contains_short(value.view)
            .unwrap_or_else(|| self.long.iter().any(|v| v == value.text()))
    }

    /// Whether a value of at most 12 bytes is listed, from its view alone (`None` for a
    /// longer value, whose text must be read).
    #[inline]
    fn contains_short(&self, view: View) -> Option<bool> {
        match view.length {
            2 => {
                let slot = (view.as_u128() >> 32) as u16 as usize;
                Some(self.two_bytes[slot / 64] & (1 << (slot % 64)) != 0)
            }
            n if n <= View::MAX_INLINE_SIZE => Some(
                !self.inline.is_empty() && self.inline.binary_search(&inline_key(view)).is_ok(),
            ),
            _ => None,
        }
    }

    /// Which values of `column` are listed. Without long listed values (countries, channels,
    /// currencies) each row is settled by its view in a tight loop; a long value that is not
    /// listed needs no reading either.
    fn members(&self, column: &StringChunked) -> Bitmap {
        if !self.long.is_empty() {
            return pack_views(column, |v| self.contains(v));
        }
        let views: Vec<&[View]> = column
            .downcast_iter()
            .map(|array| array.views().as_slice())
            .collect();
        pack_slices(&views, |view| self.contains_short(view).unwrap_or(false))
    }
}

/// Packs `test` of every element of the slices, in order, 8 rows per byte: each slice (a
/// column built in one piece, or a chunk of one read from a file) in parallel parts of whole
/// bytes.
fn pack_slices<T: Copy + Sync>(slices: &[&[T]], test: impl Fn(T) -> bool + Sync) -> Bitmap {
    use rayon::prelude::*;
    let pack = |one: &[T]| {
        let bytes: Vec<u8> = one
            .par_chunks(1 << 16)
            .flat_map_iter(|part| {
                part.chunks(8).map(|eight| {
                    eight
                        .iter()
                        .enumerate()
                        .fold(0u8, |byte, (bit, &v)| byte | (u8::from(test(v)) << bit))
                })
            })
            .collect();
        Bitmap::from_u8_vec(bytes, one.len())
    };
    match slices {
        [one] => pack(one),
        _ => {
            let parts: Vec<Bitmap> = slices.par_iter().map(|one| pack(one)).collect();
            concat(slices.iter().map(|s| s.len()).sum(), &parts)
        }
    }
}

/// Packs `test` of every value of a text column, in order, chunk by chunk in parallel.
fn pack_views(column: &StringChunked, test: impl Fn(ViewValue) -> bool + Sync) -> Bitmap {
    use rayon::prelude::*;
    let arrays: Vec<&TextArray> = column.downcast_iter().collect();
    let parts: Vec<Bitmap> = arrays
        .par_iter()
        .map(|&array| pack_iter(array.len(), values_of(array).map(&test)))
        .collect();
    concat(column.len(), &parts)
}

/// Packs `test` of every pair of values of two text columns of the same length, row by row
/// (only on the rows of `only`, when given: the others are false); chunk by chunk in
/// parallel when the columns' chunks line up.
fn pack_view_pairs(
    left: &StringChunked,
    right: &StringChunked,
    only: Option<&Bitmap>,
    test: impl Fn(ViewValue, ViewValue) -> bool + Sync,
) -> Bitmap {
    use rayon::prelude::*;
    let wanted = |row: usize| only.is_none_or(|m| m.get_bit(row));
    let lengths = |c: &StringChunked| c.downcast_iter().map(|a| a.len()).collect::<Vec<_>>();
    if lengths(left) != lengths(right) {
        let pairs = values(left).zip(values(right)).enumerate();
        return pack_iter(
            left.len(),
            pairs.map(|(row, (l, r))| wanted(row) && test(l, r)),
        );
    }
    let mut first_row = 0;
    let arrays: Vec<(usize, &TextArray, &TextArray)> = left
        .downcast_iter()
        .zip(right.downcast_iter())
        .map(|(l, r)| {
            first_row += l.len();
            (first_row - l.len(), l, r)
        })
        .collect();
    let parts: Vec<Bitmap> = arrays
        .par_iter()
        .map(|&(first, l, r)| {
            let pairs = values_of(l).zip(values_of(r)).enumerate();
            pack_iter(
                l.len(),
                pairs.map(|(i, (l, r))| wanted(first + i) && test(l, r)),
            )
        })
        .collect();
    concat(left.len(), &parts)
}

/// The bitmaps one after the other.
fn concat(len: usize, parts: &[Bitmap]) -> Bitmap {
    let mut all = MutableBitmap::with_capacity(len);
    for part in parts {
        all.extend_from_bitmap(part);
    }
    all.into()
}

/// Packs `len` booleans, in order, 8 per byte.
fn pack_iter(len: usize, bits: impl Iterator<Item = bool>) -> Bitmap {
    let mut bytes = Vec::with_capacity(len.div_ceil(8));
    let (mut byte, mut filled, mut count) = (0u8, 0, 0);
    for bit in bits {
        byte |= u8::from(bit) << filled;
        filled += 1;
        count += 1;
        if filled == 8 {
            bytes.push(byte);
            (byte, filled) = (0, 0);
        }
    }
    if filled > 0 {
        bytes.push(byte);
    }
    Bitmap::from_u8_vec(bytes, count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::segments::{BENE_SEGMENT, ORIG_SEGMENT};

    /// A frame with every column the predicates read: two chunks, values of 2, 5 and 14 bytes.
    fn frame() -> DataFrame {
        let part = |offset: i64| {
            df!(
                CHANNEL_CODE => [0u32, 1, 2, 3, 0, 1],
                ORIG_KEY => [0u32, 4, 5, 0, 6, 7],
                BENE_KEY => [1u32, 0, 5, 2, 0, 3],
                BASE_AMOUNT => [10_000i64 + offset, 9_999, 10_000, 0, 50, 1],
                "amount" => [1_000_000i64, 999_999, 2_000_000, -1_000_000, 0, 7],
                "orig_country" => ["JM", "", "IR", "KPX", "Cayman Islnd", "JM"],
                "bene_country" => ["JM", "IR", "", "US", "Cayman Islands", "us"],
                "branch" => ["KIN-01", "", "MOB-02", "Long branch name", "KIN-01", "Long branch name"],
                // the segments of the keys, as `segment_codes` gives them
                ORIG_SEGMENT => ["", "msb", "", "", "cash_intensive_business", ""],
                BENE_SEGMENT => ["msb", "", "", "cash_intensive_business", "", "retail"],
            )
            .unwrap()
        };
        let mut frame = part(0);
        frame.vstack_mut_owned(part(1)).unwrap();
        assert!(frame.column("orig_country").unwrap().n_chunks() > 1);
        frame
    }

    /// Keys 1 and 4 are `msb`, 2 and 6 `cash_intensive_business`, 3 `retail`.
    fn segment_codes() -> SegmentCodes {
        SegmentCodes {
            names: vec![
                "msb".into(),
                "cash_intensive_business".into(),
                "retail".into(),
            ],
            of_key: vec![0, 1, 2, 3, 1, 0, 2, 0],
        }
    }

    fn by_polars(frame: &DataFrame, predicate: &Predicate) -> Vec<bool> {
        let out = frame
            .clone()
            .lazy()
            .select([predicate_expr(predicate).fill_null(lit(false)).alias("m")])
            .collect()
            .unwrap();
        let m = out.column("m").unwrap().bool().unwrap();
        m.iter().map(|v| v == Some(true)).collect()
    }

    #[test]
    fn every_predicate_tested_here_agrees_with_its_expression() {
        let frame = frame();
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let table = [
            Predicate::ChannelIn(vec![Channel::ALL[0], Channel::ALL[2]]),
            Predicate::ChannelNotIn(vec![Channel::ALL[1]]),
            Predicate::BaseAmountAtLeast(10_000),
            Predicate::BaseAmountBelow(10_000),
            Predicate::AmountMultipleOf(1_000_000),
            Predicate::FieldIn {
                field: Field::OrigCountry,
                values: strings(&["IR", "KPX", "Cayman Islnd"]),
            },
            Predicate::FieldIn {
                field: Field::Branch,
                values: strings(&["Long branch name", "KIN-01"]),
            },
            Predicate::EitherCountryIn(strings(&["IR", "US"])),
            Predicate::CrossBorder(true),
            Predicate::CrossBorder(false),
            Predicate::Present {
                field: Field::OrigAccount,
                present: true,
            },
            Predicate::Present {
                field: Field::BeneAccount,
                present: false,
            },
            Predicate::Present {
                field: Field::Branch,
                present: true,
            },
            Predicate::SegmentIn {
                side: SegmentSide::Originator,
                segments: strings(&["msb"]),
                member: true,
            },
            Predicate::SegmentIn {
                side: SegmentSide::Beneficiary,
                segments: strings(&["msb", "cash_intensive_business"]),
                member: false,
            },
            Predicate::SegmentIn {
                side: SegmentSide::Account,
                segments: strings(&["msb", "cash_intensive_business"]),
                member: true,
            },
            Predicate::SegmentIn {
                side: SegmentSide::Account,
                segments: strings(&["cash_intensive_business"]),
                member: false,
            },
        ];
        let masks = RowMasks::with_segments(Some(segment_codes()));
        for predicate in &table {
            let (mask, rest) = masks
                .split(&frame, std::slice::from_ref(predicate))
                .unwrap();
            assert!(rest.is_empty(), "{predicate:?} left to Polars");
            let mask: Vec<bool> = mask.unwrap().iter().collect();
            assert_eq!(mask, by_polars(&frame, predicate), "{predicate:?}");
            // and from the cache
            let (again, _) = masks
                .split(&frame, std::slice::from_ref(predicate))
                .unwrap();
            assert_eq!(again.unwrap().iter().collect::<Vec<_>>(), mask);
        }
    }

    #[test]
    fn a_column_with_missing_values_is_left_to_polars() {
        let frame = df!(
            "orig_country" => [Some("JM"), None],
            "bene_country" => [Some("JM"), Some("US")],
            "orig_name" => [Some("Ann"), None],
            "bene_name" => [Some("ann"), Some("Bo")],
            CHANNEL_CODE => [0u32, 1],
        )
        .unwrap();
        let predicates = [
            Predicate::CrossBorder(true),
            Predicate::SamePerson(true),
            Predicate::ChannelIn(vec![Channel::ALL[0]]),
        ];
        let (mask, rest) = RowMasks::default().split(&frame, &predicates).unwrap();
        assert_eq!(rest, predicates[..2]);
        assert_eq!(mask.unwrap().iter().collect::<Vec<_>>(), [true, false]);
    }

    #[test]
    fn same_person_is_tested_only_where_the_other_predicates_hold() {
        let frame = df!(
            "orig_name" => ["Ann LEE", "ÉLODIE ΟΔΟΣ", "", "Bo", "Ann Lee", "Cy"],
            "bene_name" => ["ann lee", "élodie οδος", "", "Bob", "ann lee", "cy"],
            BASE_AMOUNT => [1i64, 1, 1, 1, 1, 0],
        )
        .unwrap();
        for same in [true, false] {
            let predicates = [Predicate::SamePerson(same), Predicate::BaseAmountAtLeast(1)];
            let (mask, rest) = RowMasks::default().split(&frame, &predicates).unwrap();
            assert!(rest.is_empty());
            let expected: Vec<bool> = by_polars(&frame, &predicates[0])
                .into_iter()
                .zip(by_polars(&frame, &predicates[1]))
                .map(|(a, b)| a && b)
                .collect();
            assert_eq!(mask.unwrap().iter().collect::<Vec<_>>(), expected);
        }
    }

    #[test]
    fn narrowing_keeps_exactly_the_rows_of_the_expressions() {
        let frame = frame().lazy().with_row_index("r", None).collect().unwrap();
        let predicates = [
            Predicate::BaseAmountAtLeast(50),
            Predicate::CrossBorder(false),
        ];
        let rows = |lf: LazyFrame| -> Vec<u32> {
            let out = lf.select([col("r")]).collect().unwrap();
            out.column("r")
                .unwrap()
                .idx()
                .unwrap()
                .into_no_null_iter()
                .collect()
        };
        let expected = rows(
            frame
                .clone()
                .lazy()
                .filter(predicate_expr(&predicates[0]).and(predicate_expr(&predicates[1]))),
        );
        let (mask, rest) = RowMasks::default().split(&frame, &predicates).unwrap();
        let got = narrowed(&frame, mask, &rest).unwrap();
        assert!(!got.clone().collect().unwrap().schema().contains(MASK));
        assert_eq!(rows(got), expected);
        assert_eq!(expected, [0, 6]);
    }
}
