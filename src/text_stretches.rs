//! Parallel passes over a chunked text column, without copying it into one chunk.
//!
//! A Parquet file's text columns arrive in one chunk per row group (dozens at ten million
//! rows). Rechunking them copies 16 bytes per value into fresh memory, and looking rows up one
//! by one searches the chunks each time; instead, the chunks are cut into a few stretches of
//! consecutive chunks, one per task.

use polars::prelude::*;
use rayon::prelude::*;

/// Runs `pass(first_row, values)` over each stretch of `column` in parallel and returns the
/// results in row order. `values` yields the stretch's values (`None` for nulls) from row
/// `first_row` on.
pub(crate) fn map_stretches<'a, T, F>(column: &'a StringChunked, pass: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, &mut dyn Iterator<Item = Option<&'a str>>) -> T + Sync,
{
    let lengths: Vec<usize> = column.chunks().iter().map(|c| c.len()).collect();
    let per_stretch = lengths
        .len()
        .div_ceil(2 * rayon::current_num_threads())
        .max(1);
    // (first row, first chunk, chunk count) of each stretch
    let mut stretches = Vec::new();
    let mut first_row = 0;
    for first_chunk in (0..lengths.len()).step_by(per_stretch) {
        let count = per_stretch.min(lengths.len() - first_chunk);
        stretches.push((first_row, first_chunk, count));
        first_row += lengths[first_chunk..first_chunk + count]
            .iter()
            .sum::<usize>();
    }
    stretches
        .into_par_iter()
        .map(|(first_row, first_chunk, count)| {
            let chunks = column.downcast_iter().skip(first_chunk).take(count);
            pass(first_row, &mut chunks.flat_map(|chunk| chunk.iter()))
        })
        .collect()
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
}
