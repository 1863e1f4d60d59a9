//! A small seeded pseudo-random generator (xoshiro256** seeded through SplitMix64).
//!
//! Written here rather than taken from a crate so that generated data never changes with a
//! dependency upgrade: the same seed gives the same bytes for as long as this file is unchanged.

/// Advances a SplitMix64 state and returns the next output. Used to expand seeds.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** generator with helpers for the draws the generator needs.
#[derive(Debug, Clone)]
pub struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let mut state = [0u64; 4];
        for word in &mut state {
            *word = splitmix64(&mut sm);
        }
        Rng { state }
    }

    /// An independent generator for a named sub-stream (one per account, one per typology...).
    ///
    /// Forking lets one part of the data stay identical when another part's configuration changes.
    pub fn fork(&self, stream: u64) -> Rng {
        let mut sm = self.state[0] ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mixed = splitmix64(&mut sm) ^ self.state[1].rotate_left(17);
        Rng::new(mixed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `0..n` (`n` > 0), by the multiply-shift method.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform integer in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// A uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniformly chosen element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A uniform index into a collection of `len` (> 0) items.
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// A roughly log-normal positive value with the given median and spread (sigma of the log).
    pub fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        // Sum of three uniforms approximates a normal well enough for amounts.
        let approx_normal = (self.unit() + self.unit() + self.unit() - 1.5) * 2.0;
        median * exp_portable(sigma * approx_normal)
    }

    /// Shuffles a slice in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// `e^x` from basic arithmetic only, so results are identical on every platform (the system
/// `exp` may differ in the last bit between C libraries). Accurate to a few ulp for |x| < 700.
pub fn exp_portable(x: f64) -> f64 {
    let k = (x / std::f64::consts::LN_2).round();
    let r = x - k * std::f64::consts::LN_2;
    // Taylor series of e^r for |r| <= ln(2)/2: eighteen terms are far below f64 precision.
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..18 {
        term *= r / f64::from(n);
        sum += term;
    }
    let exponent = (k as i64).clamp(-1022, 1023);
    sum * f64::from_bits(((exponent + 1023) as u64) << 52)
}
