//! Parallel passes over a chunked text column, without copying it into one chunk.
//!
//! A Parquet file's text columns arrive in one chunk per row group (dozens at ten million
//! rows). Rechunking them copies 16 bytes per value into fresh memory, and looking rows up one
//! by one searches the chunks each time; instead, the chunks are cut into a few stretches of
//! consecutive chunks, one per task.

use polars::prelude::*;
use polars_arrow::array::Array;
use rayon::prelude::*;

/// A text column's array type (one chunk).
pub(crate) type TextArray = <StringType as PolarsDataType>::Array;

/// Cuts `column`'s chunks into a few stretches of consecutive chunks, one per task, and runs
/// `pass(first_row, chunks)` over each in parallel; the results come back in row order.
fn map_chunk_stretches<'a, T, F>(column: &'a StringChunked, pass: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, &[&'a TextArray]) -> T + Sync,
{
    let chunks: Vec<&TextArray> = column.downcast_iter().collect();
    stretches_of(&chunks)
        .into_par_iter()
        .map(|(first_row, stretch)| pass(first_row, stretch))
        .collect()
}

/// `chunks` cut into a few stretches of consecutive chunks, one per task, each with its first
/// row.
fn stretches_of<'c, 'a>(chunks: &'c [&'a TextArray]) -> Vec<(usize, &'c [&'a TextArray])> {
    let per_stretch = chunks
        .len()
        .div_ceil(2 * rayon::current_num_threads())
        .max(1);
    let mut stretches = Vec::new();
    let mut first_row = 0;
    for stretch in chunks.chunks(per_stretch) {
        stretches.push((first_row, stretch));
        first_row += stretch.iter().map(|c| c.len()).sum::<usize>();
    }
    stretches
}

/// Like [`map_stretches`], and each pass also gets its stretch's part of `output` (one
/// element per row of `column`) to fill: `pass(first_row, values, part)`.
pub(crate) fn fill_stretches<'a, T, R, F>(
    column: &'a StringChunked,
    output: &mut [T],
    pass: F,
) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(usize, &mut dyn Iterator<Item = Option<&'a str>>, &mut [T]) -> R + Sync,
{
    assert_eq!(output.len(), column.len(), "one output element per row");
    let chunks: Vec<&TextArray> = column.downcast_iter().collect();
    let stretches = stretches_of(&chunks);
    let rows = stretches
        .iter()
        .map(|(_, stretch)| stretch.iter().map(|c| c.len()).sum());
    let parts = split_into(output, rows);
    stretches
        .into_par_iter()
        .zip(parts)
        .map(|((first_row, stretch), part)| {
            pass(
                first_row,
                &mut stretch.iter().flat_map(|chunk| chunk.iter()),
                part,
            )
        })
        .collect()
}

/// Runs `pass(first_row, values)` over each stretch of `column` in parallel and returns the
/// results in row order. `values` yields the stretch's values (`None` for nulls) from row
/// `first_row` on.
pub(crate) fn map_stretches<'a, T, F>(column: &'a StringChunked, pass: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, &mut dyn Iterator<Item = Option<&'a str>>) -> T + Sync,
{
    map_chunk_stretches(column, |first_row, chunks| {
        pass(first_row, &mut chunks.iter().flat_map(|chunk| chunk.iter()))
    })
}

/// One stretch of a text column, dictionary-encoded: its distinct values in first-seen order,
/// and each row's position among them. A null reads as the empty string.
pub(crate) struct StretchDictionary<'a> {
    /// Distinct values, in the order they first appear.
    pub values: Vec<&'a str>,
    /// Per row of the stretch, an index into `values`.
    pub codes: Vec<u32>,
}

/// Every row's entry in its stretch's table, in row order: `table_of(i)` is stretch `i`'s
/// table, one entry per element of its `values`. The stretches write in parallel straight into
/// one vector (first filled with `fill`), rather than each into its own to be concatenated.
pub(crate) fn rows_through_tables<T, F>(
    stretches: &[&StretchDictionary<'_>],
    fill: T,
    table_of: F,
) -> Vec<T>
where
    T: Copy + Send + Sync,
    F: Fn(usize) -> Vec<T> + Sync,
{
    let rows = stretches.iter().map(|s| s.codes.len()).sum();
    let mut out = vec![fill; rows];
    let parts = split_into(&mut out, stretches.iter().map(|s| s.codes.len()));
    parts.into_par_iter().enumerate().for_each(|(i, part)| {
        let table = table_of(i);
        for (slot, &code) in part.iter_mut().zip(&stretches[i].codes) {
            *slot = table[code as usize];
        }
    });
    out
}

/// `output` cut into consecutive parts of the given lengths (each part filled by its own task).
pub(crate) fn split_into<T>(
    mut output: &mut [T],
    lengths: impl IntoIterator<Item = usize>,
) -> Vec<&mut [T]> {
    let mut parts = Vec::new();
    for length in lengths {
        let (part, rest) = std::mem::take(&mut output).split_at_mut(length);
        parts.push(part);
        output = rest;
    }
    parts
}

/// Dictionary-encodes each stretch of `column` in parallel (one hash lookup per row at most).
///
/// A view of at most 12 bytes holds its whole value, so it means the same in every chunk.
/// Rows are first looked up in a small direct-mapped table of such views (see
/// [`RecentViews`]): code columns such as currencies and countries, with a few dozen values,
/// are encoded there without hashing. The rest of the rows go by chunk. A Parquet reader
/// decodes a dictionary-encoded column by copying the dictionary's 16-byte views, so equal
/// values of one chunk share one view, and a view (length, prefix, buffer and offset)
/// determines its value: such chunks are looked up by view (short views in one table for the
/// stretch, longer ones in one per chunk), and only each distinct view's text is hashed. A
/// chunk is taken to share views when its text buffers hold at most half the bytes its values
/// add up to. Other chunks, such as a CSV reader's, whose values own their bytes, and chunks
/// with nulls are looked up by text.
pub(crate) fn encode_stretches<'a>(column: &'a StringChunked) -> Vec<StretchDictionary<'a>> {
    map_chunk_stretches(column, |_, chunks: &[&'a TextArray]| {
        let mut position = PlHashMap::<&'a str, u32>::default();
        let mut values: Vec<&'a str> = Vec::new();
        let mut code_of = |value: &'a str| -> u32 {
            *position.entry(value).or_insert_with(|| {
                values.push(value);
                values.len() as u32 - 1
            })
        };
        let rows = chunks.iter().map(|c| c.len()).sum();
        let mut codes = Vec::with_capacity(rows);
        let mut recent = RecentViews::new();
        // a view of at most 12 bytes holds its whole value, so it means the same in every
        // chunk; a longer one points into its own chunk's buffers
        let mut by_inline_view = PlHashMap::<u128, u32>::default();
        let mut by_view = PlHashMap::<u128, u32>::default();
        for &chunk in chunks {
            if chunk.null_count() > 0 {
                codes.extend(chunk.iter().map(|value| code_of(value.unwrap_or(""))));
                continue;
            }
            // SAFETY (both closures): `row` is below the chunk's length
            let value = |row: usize| unsafe { chunk.value_unchecked(row) };
            let views = chunk.views();
            // rows encoded through the table of recent views, while it keeps missing rarely
            let mut start = 0;
            while recent.in_use && start < views.len() {
                let end = views.len().min(start + RecentViews::TRIAL_ROWS);
                let mut misses = 0;
                for (row, view) in views[start..end].iter().enumerate() {
                    let row = start + row;
                    let code = if view.length <= MAX_INLINE {
                        recent.get_or_insert(view.as_u128(), || {
                            misses += 1;
                            code_of(value(row))
                        })
                    } else {
                        code_of(value(row))
                    };
                    codes.push(code);
                }
                recent.in_use = misses <= RecentViews::MISSES_ALLOWED;
                start = end;
            }
            let rest = &views[start..];
            if shares_views(chunk) {
                by_view.clear();
                for (row, view) in rest.iter().enumerate() {
                    let views = if view.length <= MAX_INLINE {
                        &mut by_inline_view
                    } else {
                        &mut by_view
                    };
                    let code = *views
                        .entry(view.as_u128())
                        .or_insert_with(|| code_of(value(start + row)));
                    codes.push(code);
                }
            } else {
                codes.extend((start..views.len()).map(|row| code_of(value(row))));
            }
        }
        StretchDictionary { values, codes }
    })
}

/// A direct-mapped table of 256 short values' views (at most 12 bytes: the view is the
/// value) and their codes. A code column, such as currencies or countries with a few dozen
/// values, is encoded through it without hashing a row, in the L1 cache. Rows go through it
/// a thousand at a time while it misses rarely; a column of many values (account numbers)
/// stops using it after the first thousand rows.
struct RecentViews {
    slots: Box<[(u128, u32); 256]>,
    in_use: bool,
}

impl RecentViews {
    /// No view of at most 12 bytes has this length, so an empty slot never matches.
    const EMPTY: u128 = u32::MAX as u128;
    /// Rows encoded per trial.
    const TRIAL_ROWS: usize = 1024;
    /// The most misses in a trial that keep the table in use.
    const MISSES_ALLOWED: usize = 32;

    fn new() -> Self {
        Self {
            slots: Box::new([(Self::EMPTY, 0); 256]),
            in_use: true,
        }
    }

    /// The code of `view` (a view of at most 12 bytes), from the table or else from
    /// `look_up`, then remembered.
    #[inline]
    fn get_or_insert(&mut self, view: u128, look_up: impl FnOnce() -> u32) -> u32 {
        let folded = (view as u64) ^ ((view >> 64) as u64);
        let slot = &mut self.slots[(folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize];
        if slot.0 != view {
            *slot = (view, look_up());
        }
        slot.1
    }
}

/// A view of at most 12 bytes holds its whole value.
const MAX_INLINE: u32 = 12;

/// Whether a chunk's equal values share views, as a Parquet reader's dictionary-decoded chunk
/// does: its text buffers hold at most half the bytes its values add up to (see
/// [`encode_stretches`]). The values' bytes are estimated from the first 1,024 rows: summing
/// every view's length would read the whole column once more, and a wrong guess only picks
/// the slower of two paths that give the same answer.
fn shares_views(chunk: &TextArray) -> bool {
    const SAMPLE: usize = 1024;
    if chunk.null_count() > 0 || chunk.is_empty() {
        return false;
    }
    let sample = &chunk.views()[..chunk.len().min(SAMPLE)];
    let sampled_bytes: usize = sample.iter().map(|v| v.length as usize).sum();
    let estimated_bytes = sampled_bytes * chunk.len() / sample.len();
    chunk.total_buffer_len() <= estimated_bytes / 2
}

/// The distinct values of each stretch of `column` (a null reads as the empty string), found
/// in parallel. Unlike [`encode_stretches`], no row keeps a code, and a chunk whose values
/// share views is read without hashing each row: a value longer than 12 bytes lies in a text
/// buffer, at least 13 bytes from the start of any other (a dictionary's values do not
/// overlap), so its offset divided by 13 is a slot in a table of values already seen in the
/// chunk. A slot claimed by a different view (views that overlap) only means the value is
/// looked up by its text, which is always right.
pub(crate) fn distinct_per_stretch<'a>(column: &'a StringChunked) -> Vec<Vec<&'a str>> {
    const SLOT_BYTES: usize = MAX_INLINE as usize + 1;
    map_chunk_stretches(column, |_, chunks: &[&'a TextArray]| {
        let mut seen = PlHashSet::<&'a str>::default();
        let mut seen_inline = PlHashSet::<u128>::default();
        // per slot: (offset << 32 | length) of the view that claimed it, 0 when unclaimed
        let mut claimed: Vec<u64> = Vec::new();
        for &chunk in chunks {
            if !shares_views(chunk) {
                seen.extend(chunk.iter().map(|value| value.unwrap_or("")));
                continue;
            }
            let mut first_slot = Vec::with_capacity(chunk.data_buffers().len());
            let mut slots = 0;
            for buffer in chunk.data_buffers().iter() {
                first_slot.push(slots);
                slots += buffer.len() / SLOT_BYTES + 1;
            }
            claimed.clear();
            claimed.resize(slots, 0);
            for (row, view) in chunk.views().iter().enumerate() {
                // SAFETY: `row` is below the chunk's length
                let value = || unsafe { chunk.value_unchecked(row) };
                if view.length <= MAX_INLINE {
                    if seen_inline.insert(view.as_u128()) {
                        seen.insert(value());
                    }
                    continue;
                }
                let slot = first_slot[view.buffer_idx as usize] + view.offset as usize / SLOT_BYTES;
                let key = (u64::from(view.offset) << 32) | u64::from(view.length);
                if claimed[slot] == key {
                    continue;
                }
                if claimed[slot] == 0 {
                    claimed[slot] = key;
                }
                seen.insert(value());
            }
        }
        seen.into_iter().collect()
    })
}

/// A view's length and first (up to 4) bytes: the low 64 bits of every view, with any
/// padding past a short value cleared.
fn length_and_prefix(view: &polars_arrow::array::View) -> u64 {
    let low = view.as_u128() as u64;
    let kept = 32 + 8 * view.length.min(4);
    if kept >= 64 {
        low
    } else {
        low & ((1u64 << kept) - 1)
    }
}

/// A slot of a 2^16-bit table for a length and prefix.
fn prefix_slot(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as usize
}

/// The rows (column row numbers) whose value is one of `wanted` (a null reads as the empty
/// string), ascending, found in parallel by stretch. A row is first tested by its view's
/// length and first bytes against a small table of the wanted values' ones; only a row that
/// passes is compared as text. For a few wanted values (names on a sanctions list) among
/// millions of rows, nearly every row is settled by the table.
pub(crate) fn rows_with_value_in(column: &StringChunked, wanted: &PlHashSet<&str>) -> Vec<IdxSize> {
    let mut table = vec![0u64; (1 << 16) / 64];
    for value in wanted {
        let view = polars_arrow::array::View::new_from_bytes(value.as_bytes(), 0, 0);
        let slot = prefix_slot(length_and_prefix(&view));
        table[slot / 64] |= 1 << (slot % 64);
    }
    let per_stretch = map_chunk_stretches(column, |first_row, chunks| {
        let mut rows = Vec::new();
        let mut row = first_row;
        for chunk in chunks {
            if chunk.null_count() > 0 {
                for value in chunk.iter() {
                    if wanted.contains(value.unwrap_or("")) {
                        rows.push(row as IdxSize);
                    }
                    row += 1;
                }
                continue;
            }
            for (i, view) in chunk.views().iter().enumerate() {
                let slot = prefix_slot(length_and_prefix(view));
                // SAFETY: `i` is below the chunk's length
                if table[slot / 64] & (1 << (slot % 64)) != 0
                    && wanted.contains(unsafe { chunk.value_unchecked(i) })
                {
                    rows.push((row + i) as IdxSize);
                }
            }
            row += chunk.len();
        }
        rows
    });
    per_stretch.concat()
}

/// Whether no value of `column` has white space at either end (nulls are skipped). Each
/// value's first and last byte are read through its view, where the first bytes sit (and a
/// value of at most 12 bytes whole); only a value whose end bytes are not printable ASCII is
/// read in full and trimmed. Stretches of chunks are checked in parallel.
pub(crate) fn all_trimmed(column: &StringChunked) -> bool {
    let is_trimmed = |value: &str| value.len() == value.trim().len();
    if column.null_count() > 0 {
        return column.iter().flatten().all(is_trimmed);
    }
    map_chunk_stretches(column, |_, chunks| {
        chunks.iter().all(|chunk| {
            let buffers = chunk.data_buffers();
            chunk.views().iter().enumerate().all(|(row, view)| {
                let length = view.length as usize;
                if length == 0 {
                    return true;
                }
                // little-endian view: length in bits 0..32, then the value's first bytes
                let bits = view.as_u128();
                let first = (bits >> 32) as u8;
                let last = if length <= 12 {
                    (bits >> (32 + 8 * (length - 1))) as u8
                } else {
                    buffers[view.buffer_idx as usize][view.offset as usize + length - 1]
                };
                (first.is_ascii_graphic() && last.is_ascii_graphic())
                    // SAFETY: `row` is below the chunk's length
                    || is_trimmed(unsafe { chunk.value_unchecked(row) })
            })
        })
    })
    .into_iter()
    .all(|trimmed| trimmed)
}

/// Whether some value of `column` is missing, empty or only white space. A value whose first
/// byte (held in its view) is printable ASCII is not blank; only the others are read.
pub(crate) fn any_blank(column: &StringChunked) -> bool {
    if column.null_count() > 0 {
        return true;
    }
    map_chunk_stretches(column, |_, chunks| {
        chunks.iter().any(|chunk| {
            chunk.views().iter().enumerate().any(|(row, view)| {
                // little-endian view: length in bits 0..32, then the value's first bytes
                let first = (view.as_u128() >> 32) as u8;
                view.length == 0
                    || (!first.is_ascii_graphic()
                        // SAFETY: `row` is below the chunk's length
                        && unsafe { chunk.value_unchecked(row) }.trim().is_empty())
            })
        })
    })
    .into_iter()
    .any(|blank| blank)
}

/// Whether `column`'s values, trimmed, strictly increase from row to row in byte order, so
/// that no value repeats (false when a value is missing). Transaction files usually number
/// their transactions in order, and this check is far cheaper than hashing every id to look
/// for repeats. Stretches of chunks are checked in parallel, then where they meet.
pub(crate) fn strictly_increasing_trimmed(column: &StringChunked) -> bool {
    if column.null_count() > 0 {
        return false;
    }
    // each stretch's first and last value when it increases (`None` inside: an empty stretch)
    let stretches: Vec<Option<Option<(&str, &str)>>> = map_stretches(column, |_, values| {
        let mut ends: Option<(&str, &str)> = None;
        for value in values {
            let value = value?.trim();
            ends = match ends {
                Some((first, last)) if last < value => Some((first, value)),
                Some(_) => return None,
                None => Some((value, value)),
            };
        }
        Some(ends)
    });
    let mut previous_last: Option<&str> = None;
    for stretch in stretches {
        match stretch {
            None => return false,
            Some(None) => {}
            Some(Some((first, last))) => {
                if previous_last.is_some_and(|previous| previous >= first) {
                    return false;
                }
                previous_last = Some(last);
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretches_cover_every_row_once_in_order_with_their_row_numbers() {
        let mut column = StringChunked::from_slice("c".into(), &["a"]);
        for value in ["b", "c", "d", "e", "f", "g"] {
            column
                .append(&StringChunked::from_slice("c".into(), &[value]))
                .unwrap();
        }
        assert!(column.chunks().len() > 1);
        let seen = map_stretches(&column, |first_row, values| {
            values
                .enumerate()
                .map(|(i, v)| (first_row + i, v.unwrap_or("").to_string()))
                .collect::<Vec<_>>()
        });
        assert!(seen.len() > 1, "more than one stretch");
        let flat: Vec<(usize, String)> = seen.into_iter().flatten().collect();
        let expected: Vec<(usize, String)> = ["a", "b", "c", "d", "e", "f", "g"]
            .iter()
            .enumerate()
            .map(|(i, v)| (i, v.to_string()))
            .collect();
        assert_eq!(flat, expected);
    }

    /// Decodes every stretch back into its rows' values.
    fn decoded<'a>(stretches: &[StretchDictionary<'a>]) -> Vec<&'a str> {
        stretches
            .iter()
            .flat_map(|s| s.codes.iter().map(|&c| s.values[c as usize]))
            .collect()
    }

    #[test]
    fn encoding_gives_each_row_its_value_whether_views_are_shared_or_not() {
        let long = "A NAME LONGER THAN TWELVE BYTES";
        // equal lengths and prefixes: only the whole view tells these apart
        let distinct = [
            long,
            "SHORT",
            "SHORE",
            "A NAME LONGER THAN TWELVE BYTEZ",
            long,
        ];
        let source = StringChunked::from_slice("c".into(), &distinct);
        // gathering copies views: repeated rows share one view, as a Parquet dictionary
        // column's do; rows 0 and 4 hold equal text under different views
        let picks: Vec<IdxSize> = vec![0, 1, 0, 2, 3, 0, 4, 3, 1, 4];
        let shared = source
            .take(&IdxCa::from_vec("i".into(), picks.clone()))
            .unwrap();
        let mut chunked = shared.clone();
        chunked.append(&shared).unwrap();
        chunked.append(&source).unwrap(); // owned bytes: looked up by text
        let expected: Vec<&str> = picks
            .iter()
            .chain(&picks)
            .map(|&i| distinct[i as usize])
            .chain(distinct)
            .collect();
        let stretches = encode_stretches(&chunked);
        assert_eq!(decoded(&stretches), expected);
        for stretch in &stretches {
            let unique: PlHashSet<&str> = stretch.values.iter().copied().collect();
            assert_eq!(unique.len(), stretch.values.len(), "a value is listed once");
        }
        // the distinct values without codes, and the rows of one value
        let mut found: Vec<&str> = distinct_per_stretch(&chunked).concat();
        found.sort_unstable();
        found.dedup();
        let mut all: Vec<&str> = distinct.to_vec();
        all.sort_unstable();
        all.dedup();
        assert_eq!(found, all);
        for stretch in distinct_per_stretch(&chunked) {
            let unique: PlHashSet<&str> = stretch.iter().copied().collect();
            assert_eq!(unique.len(), stretch.len(), "a value is listed once");
        }
        for wanted in [
            vec![long],
            vec!["SHORE", "A NAME LONGER THAN TWELVE BYTEZ"],
            vec![],
        ] {
            let rows = rows_with_value_in(&chunked, &wanted.iter().copied().collect());
            let expected_rows: Vec<IdxSize> = (0..expected.len() as IdxSize)
                .filter(|&i| wanted.contains(&expected[i as usize]))
                .collect();
            assert_eq!(rows, expected_rows, "{wanted:?}");
        }
    }

    #[test]
    fn nulls_read_as_empty_text() {
        let column = StringChunked::new("c".into(), [Some("x"), None, Some("x")]);
        assert_eq!(decoded(&encode_stretches(&column)), ["x", "", "x"]);
    }

    #[test]
    fn trimmed_columns_are_told_from_ones_with_white_space_at_an_end() {
        let check = |values: &[&str]| {
            // one chunk as given, one gathered (shared views), one row per chunk
            let source = StringChunked::from_slice("c".into(), values);
            let picks: Vec<IdxSize> = (0..values.len() as IdxSize).rev().collect();
            let mut column = source.take(&IdxCa::from_vec("i".into(), picks)).unwrap();
            column.append(&source).unwrap();
            all_trimmed(&column)
        };
        let long = "A VALUE LONGER THAN TWELVE BYTES";
        assert!(check(&["", "a", "TWELVE BYTES", long, "é"]));
        for bad in [
            " a",
            "a ",
            "TWELVE BYTE ",
            " TWELVE BYTES",
            "A VALUE LONGER THAN TWELVE BYTES ",
            "\tA VALUE LONGER THAN TWELVE BYTES",
            "A VALUE LONGER THAN TWELVE BYTE\u{2003}",
        ] {
            assert!(!check(&["ok", long, bad]), "{bad:?}");
        }
        // end bytes that are not printable ASCII but not white space either
        assert!(check(&["ÉLODIE", "ZOË", "ΟΔΟΣ LONGER THAN TWELVE"]));
        let with_null = StringChunked::new("c".into(), [Some("a"), None, Some(" b")]);
        assert!(!all_trimmed(&with_null));
    }

    #[test]
    fn strictly_increasing_values_are_told_from_repeats_and_steps_back() {
        // one row per chunk: the stretches meet between rows as well as inside them
        let check = |values: &[Option<&str>]| {
            let mut column = StringChunked::new("c".into(), &values[..1]);
            for value in &values[1..] {
                column
                    .append(&StringChunked::new("c".into(), [*value]))
                    .unwrap();
            }
            let one_chunk = StringChunked::new("c".into(), values);
            let found = strictly_increasing_trimmed(&column);
            assert_eq!(found, strictly_increasing_trimmed(&one_chunk), "{values:?}");
            found
        };
        let ids = ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"];
        assert!(check(&ids.map(Some)));
        for (at, repeat) in [(3, "T3"), (7, "T7"), (1, "T0"), (5, " T5 "), (4, "T4\t")] {
            let mut values = ids.map(Some);
            values[at] = Some(repeat);
            assert!(!check(&values), "{repeat:?} at {at}");
        }
        // trimmed before comparing: padded ids that increase still do
        assert!(check(&[Some(" T1"), Some("T2 "), Some("T3")]));
        assert!(!check(&[Some("T1"), None, Some("T3")]));
    }
}
