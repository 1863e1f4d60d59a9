//! Transaction-id fingerprints and the duplicate check.
//!
//! A transaction id is held as a 128-bit fingerprint (see [`id_hash`]), so the set of ids seen
//! before (earlier files, a nightly run's history) does not hold the strings. Fingerprints are
//! stored in nightly state: [`id_hash`] must not change.

use super::validate::COL_TXN_ID;
use super::QuarantineReason;
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
fn quick_hash(id: &str) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mix = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(K);
    let bytes = id.as_bytes();
    let mut words = bytes.chunks_exact(8);
    let mut h = bytes.len() as u64;
    for word in &mut words {
        h = mix(h, u64::from_le_bytes(word.try_into().unwrap_or([0; 8])));
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(word));
    }
    h ^ (h >> 29)
}

/// Flags each row (not flagged already) whose transaction id appears on an earlier unflagged
/// row of this file, or was accepted before (`seen`). `id(row)` is the row's trimmed id (`None`
/// when it has none). Returns the `(fingerprint, row)` of every row left unflagged, when
/// `fingerprints_wanted` (to remember them for the files that follow), else nothing.
///
/// In-file repeats are found by sorting quick hashes and comparing the ids of equal hashes,
/// not by a growing hash set: at ten million rows the sort is several times faster
/// (sequential memory access). The 128-bit fingerprints are computed only when needed.
pub fn flag_duplicates<'a>(
    n: usize,
    first: &mut [Option<(usize, QuarantineReason)>],
    seen: &FingerprintSet,
    fingerprints_wanted: bool,
    id: impl Fn(usize) -> Option<Cow<'a, str>> + Sync,
) -> Vec<(u128, u32)> {
    let mut keys: Vec<(u64, u32)> = (0..n)
        .into_par_iter()
        .filter(|&row| first[row].is_none())
        .map(|row| (id(row).map_or(0, |id| quick_hash(&id)), row as u32))
        .collect();
    keys.par_sort_unstable();
    let duplicate = Some((COL_TXN_ID, QuarantineReason::DuplicateTxnId));
    // within a run of equal hashes rows are ascending: a row repeats the id of an earlier one
    let mut start = 0;
    while start < keys.len() {
        let hash = keys[start].0;
        let end = start + keys[start..].iter().take_while(|k| k.0 == hash).count();
        if end - start > 1 {
            let ids: Vec<Option<Cow<str>>> =
                keys[start..end].iter().map(|k| id(k.1 as usize)).collect();
            for later in 1..ids.len() {
                if ids[..later].contains(&ids[later]) {
                    first[keys[start + later].1 as usize] = duplicate;
                }
            }
        }
        start = end;
    }
    if seen.is_empty() && !fingerprints_wanted {
        return Vec::new();
    }
    let fingerprints: Vec<(u128, u32)> = keys
        .par_iter()
        .filter(|(_, row)| first[*row as usize].is_none())
        .map(|&(_, row)| (id(row as usize).map_or(0, |id| id_hash(&id)), row))
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
        let ids = ["A", "B", "A", "C", "B", "D"];
        let mut first = vec![None; ids.len()];
        // row 3 ("C") already has a problem; "D" was accepted before
        first[3] = Some((1, QuarantineReason::BadTimestamp));
        let seen: FingerprintSet = [id_hash("D")].into_iter().collect();
        let kept = flag_duplicates(ids.len(), &mut first, &seen, true, |row| {
            Some(Cow::Borrowed(ids[row]))
        });
        let dup = Some((COL_TXN_ID, QuarantineReason::DuplicateTxnId));
        assert_eq!(first[0], None);
        assert_eq!(first[1], None);
        assert_eq!(first[2], dup);
        assert_eq!(first[3], Some((1, QuarantineReason::BadTimestamp)));
        assert_eq!(first[4], dup);
        assert_eq!(first[5], dup);
        let mut kept_rows: Vec<u32> = kept.iter().map(|k| k.1).collect();
        kept_rows.sort_unstable();
        assert_eq!(kept_rows, vec![0, 1]);
        assert_eq!(
            kept.iter().find(|k| k.1 == 0).map(|k| k.0),
            Some(id_hash("A"))
        );
    }

    #[test]
    fn equal_quick_hashes_of_different_ids_are_not_duplicates() {
        // every id hashes to the same key: only the string comparison tells them apart
        let ids = ["X1", "X2", "X1", "X3", "X2"];
        let mut first = vec![None; ids.len()];
        let seen = FingerprintSet::default();
        let keys = |row: usize| Some(Cow::Borrowed(ids[row]));
        flag_duplicates(ids.len(), &mut first, &seen, false, keys);
        let dup = Some((COL_TXN_ID, QuarantineReason::DuplicateTxnId));
        assert_eq!(first, vec![None, None, dup, None, dup]);
    }
}
