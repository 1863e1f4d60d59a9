//! Transaction-id fingerprints and the duplicate check.
//!
//! A transaction id is held as a 128-bit fingerprint (see [`id_hash`]), so the set of ids seen
//! before (earlier files, a nightly run's history) does not hold the strings. Fingerprints are
//! stored in nightly state: [`id_hash`] must not change.

use super::validate::COL_TXN_ID;
use super::QuarantineReason;
use rayon::prelude::*;
use std::collections::HashSet;

/// Identity hasher for the duplicate set: its keys are already uniform 128-bit fingerprints.
#[derive(Default, Clone, Copy)]
pub struct FingerprintHasher(u64);

impl std::hash::Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(word);
        }
    }
    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}

/// The set of transaction-id fingerprints seen so far.
pub type FingerprintSet = HashSet<u128, std::hash::BuildHasherDefault<FingerprintHasher>>;

/// A 128-bit fingerprint of a transaction id, so the duplicate set does not hold the strings.
pub fn id_hash(id: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut a);
    let mut fnv: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        fnv ^= u64::from(b);
        fnv = fnv.wrapping_mul(0x0100_0000_01b3);
    }
    (u128::from(a.finish()) << 64) | u128::from(fnv)
}

/// Flags each row (not flagged already) whose transaction id was accepted before (`seen`) or
/// appears on an earlier unflagged row of this file. Returns `(fingerprint, row)` of every row
/// that was not flagged before, sorted. `fingerprint(row)` is `None` when the row has no id.
///
/// In-file repeats are found by sorting fingerprints, not by a growing hash set: at ten
/// million rows the sort is several times faster (sequential memory access).
pub fn flag_duplicates(
    n: usize,
    first: &mut [Option<(usize, QuarantineReason)>],
    seen: &FingerprintSet,
    fingerprint: impl Fn(usize) -> Option<u128> + Sync,
) -> Vec<(u128, u32)> {
    let mut fingerprints: Vec<(u128, u32)> = (0..n)
        .into_par_iter()
        .filter(|&row| first[row].is_none())
        .map(|row| (fingerprint(row).unwrap_or(0), row as u32))
        .collect();
    fingerprints.par_sort_unstable();
    let duplicate = Some((COL_TXN_ID, QuarantineReason::DuplicateTxnId));
    // within a run of equal fingerprints, rows are ascending: all but the first repeat it
    for pair in fingerprints.windows(2) {
        if pair[0].0 == pair[1].0 {
            first[pair[1].1 as usize] = duplicate;
        }
    }
    if !seen.is_empty() {
        for (id, row) in &fingerprints {
            if seen.contains(id) {
                first[*row as usize] = duplicate;
            }
        }
    }
    fingerprints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_fingerprints_differ_and_repeat() {
        assert_eq!(id_hash("T1"), id_hash("T1"));
        assert_ne!(id_hash("T1"), id_hash("T2"));
    }

    #[test]
    fn the_first_occurrence_is_kept_and_flagged_rows_do_not_count() {
        let ids = ["A", "B", "A", "C", "B", "D"];
        let mut first = vec![None; ids.len()];
        // row 3 ("C") already has a problem; "D" was accepted before
        first[3] = Some((1, QuarantineReason::BadTimestamp));
        let seen: FingerprintSet = [id_hash("D")].into_iter().collect();
        flag_duplicates(ids.len(), &mut first, &seen, |row| Some(id_hash(ids[row])));
        let dup = Some((COL_TXN_ID, QuarantineReason::DuplicateTxnId));
        assert_eq!(first[0], None);
        assert_eq!(first[1], None);
        assert_eq!(first[2], dup);
        assert_eq!(first[3], Some((1, QuarantineReason::BadTimestamp)));
        assert_eq!(first[4], dup);
        assert_eq!(first[5], dup);
    }
}
