//! Transaction-id fingerprints and the duplicate check.
//!
//! A transaction id is held as a 128-bit fingerprint (see [`id_hash`]), so the set of ids seen
//! before (earlier files, a nightly run's history) does not hold the strings. Fingerprints are
//! stored in nightly state: [`id_hash`] must not change.

use super::validate::COL_TXN_ID;
use super::QuarantineReason;
use polars::prelude::PlHashSet;
use rayon::prelude::*;
use std::borrow::Cow;
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

/// A quick 64-bit hash of a short id, for sorting equal ids next to each other. Equal hashes
/// are confirmed by comparing the ids, so its quality affects speed only, never results.
pub(super) fn quick_hash(id: &str) -> u64 {
    const K1: u64 = 0x9e37_79b9_7f4a_7c15;
    const K2: u64 = 0xbf58_476d_1ce4_e5b9;
    // a 128-bit product folded to 64 bits mixes every input bit into every output bit
    let fold = |a: u64, b: u64| {
        let product = u128::from(a) * u128::from(b);
        (product as u64) ^ ((product >> 64) as u64)
    };
    let bytes = id.as_bytes();
    let mut words = bytes.chunks_exact(8);
    let mut h = K2 ^ bytes.len() as u64;
    for word in &mut words {
        h = fold(
            h ^ u64::from_le_bytes(word.try_into().unwrap_or([0; 8])),
            K1,
        );
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = fold(h ^ u64::from_le_bytes(word), K1);
    }
    fold(h, K2)
}

/// Flags each row (not flagged already) whose transaction id appears on an earlier unflagged
/// row of this file, or was accepted before (`seen`). `hashes[row]` is the [`quick_hash`] of
/// the row's trimmed id, and `id(row)` the id itself (`None` when it has none). When `seen` is
/// not empty or `fingerprints_wanted`, returns the `(fingerprint, row)` of every row this
/// check leaves unflagged (a later check may still flag some: the caller filters); otherwise
/// nothing.
///
/// In-file repeats are found by sorting a copy of the hashes (8 bytes a row, sequential memory
/// access; at ten million rows several times faster than a growing hash set). Only the rows
/// of a hash that occurs more than once are then sorted by hash and compared by id. The
/// 128-bit fingerprints are computed only when needed.
pub fn flag_duplicates<'a>(
    hashes: &[u64],
    first: &mut [Option<(usize, QuarantineReason)>],
    seen: &FingerprintSet,
    fingerprints_wanted: bool,
    id: impl Fn(usize) -> Option<Cow<'a, str>> + Sync,
) -> Vec<(u128, u32)> {
    let mut sorted = hashes.to_vec();
    sorted.par_sort_unstable();
    let repeated: PlHashSet<u64> = sorted
        .windows(2)
        .filter(|pair| pair[0] == pair[1])
        .map(|pair| pair[0])
        .collect();
    drop(sorted);
    let duplicate = Some((COL_TXN_ID, QuarantineReason::DuplicateTxnId));
    if !repeated.is_empty() {
        // the unflagged rows of the repeated hashes, by hash then row: within a run of one
        // hash, a row repeating the id of an earlier one is a duplicate
        let mut candidates: Vec<(u64, u32)> = hashes
            .iter()
            .enumerate()
            .filter(|&(row, hash)| first[row].is_none() && repeated.contains(hash))
            .map(|(row, &hash)| (hash, row as u32))
            .collect();
        candidates.par_sort_unstable();
        let mut start = 0;
        while start < candidates.len() {
            let hash = candidates[start].0;
            let end = start
                + candidates[start..]
                    .iter()
                    .take_while(|c| c.0 == hash)
                    .count();
            let ids: Vec<Option<Cow<str>>> = candidates[start..end]
                .iter()
                .map(|&(_, row)| id(row as usize))
                .collect();
            for later in 1..ids.len() {
                if ids[..later].contains(&ids[later]) {
                    first[candidates[start + later].1 as usize] = duplicate;
                }
            }
            start = end;
        }
    }
    if seen.is_empty() && !fingerprints_wanted {
        return Vec::new();
    }
    let fingerprints: Vec<(u128, u32)> = (0..hashes.len())
        .into_par_iter()
        .filter(|&row| first[row].is_none())
        .map(|row| (id(row).map_or(0, |id| id_hash(&id)), row as u32))
        .collect();
    let mut kept = Vec::with_capacity(fingerprints.len());
    for (fingerprint, row) in fingerprints {
        if seen.contains(&fingerprint) {
            first[row as usize] = duplicate;
        } else {
            kept.push((fingerprint, row));
        }
    }
    kept
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
        let ids = ["A", "B", "A", "C", "B", "D", "C"];
        let mut first = vec![None; ids.len()];
        // row 3 ("C") already has a problem; "D" was accepted before
        first[3] = Some((1, QuarantineReason::BadTimestamp));
        let seen: FingerprintSet = [id_hash("D")].into_iter().collect();
        let hashes: Vec<u64> = ids.iter().map(|id| quick_hash(id)).collect();
        let kept = flag_duplicates(&hashes, &mut first, &seen, true, |row| {
            Some(Cow::Borrowed(ids[row]))
        });
        let dup = Some((COL_TXN_ID, QuarantineReason::DuplicateTxnId));
        assert_eq!(first[0], None);
        assert_eq!(first[1], None);
        assert_eq!(first[2], dup);
        assert_eq!(first[3], Some((1, QuarantineReason::BadTimestamp)));
        assert_eq!(first[4], dup);
        assert_eq!(first[5], dup);
        assert_eq!(
            first[6], None,
            "an earlier flagged row is no first occurrence"
        );
        let mut kept_rows: Vec<u32> = kept.iter().map(|k| k.1).collect();
        kept_rows.sort_unstable();
        assert_eq!(kept_rows, vec![0, 1, 6]);
        assert_eq!(
            kept.iter().find(|k| k.1 == 0).map(|k| k.0),
            Some(id_hash("A"))
        );
    }

    #[test]
    fn sequential_ids_do_not_collide_in_the_quick_hash() {
        // a weak mix once gave 249,440 repeated hashes on 10M ids like these, and the
        // duplicate check then compared the ids of every one of them
        let hashes: HashSet<u64> = (0..300_000)
            .map(|i| quick_hash(&format!("T{i:09}")))
            .chain((0..100_000).map(|i| quick_hash(&format!("tx-2026-03-01-{i}"))))
            .collect();
        assert_eq!(hashes.len(), 400_000);
    }

    #[test]
    fn equal_quick_hashes_of_different_ids_are_not_duplicates() {
        // every id hashes to the same key: only the string comparison tells them apart
        let ids = ["X1", "X2", "X1", "X3", "X2"];
        let mut first = vec![None; ids.len()];
        let seen = FingerprintSet::default();
        let keys = |row: usize| Some(Cow::Borrowed(ids[row]));
        flag_duplicates(&[7; 5], &mut first, &seen, false, keys);
        let dup = Some((COL_TXN_ID, QuarantineReason::DuplicateTxnId));
        assert_eq!(first, vec![None, None, dup, None, dup]);
    }
}
