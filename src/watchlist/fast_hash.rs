//! A small, fast hash for maps and sets keyed by tokens, names and ids.

use std::collections::{HashMap, HashSet};

/// A hash map with foldhash's fast hash and a fixed seed: much faster than the default
/// SipHash, and than FNV on names of a dozen bytes or more, and the same from run to run.
/// (Crafted colliding keys could only slow screening down, never change its results.)
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// A hash set with the hash of [`FastMap`].
pub(crate) type FastSet<K> = HashSet<K, foldhash::fast::FixedState>;
