//! A small, fast hash for maps and sets keyed by tokens and ids.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A hash map with FNV-1a hashing, much faster than the default SipHash for short tokens.
/// (Crafted colliding keys could only slow screening down, never change its results.)
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FnvHasher>>;

/// A hash set with FNV-1a hashing.
pub(crate) type FastSet<K> = HashSet<K, BuildHasherDefault<FnvHasher>>;

/// The 64-bit FNV-1a hash.
pub(crate) struct FnvHasher(u64);

impl Default for FnvHasher {
    fn default() -> Self {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
