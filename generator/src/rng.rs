//! The generator's own pseudo-random number generator.
//!
//! xoshiro256++ seeded through SplitMix64, written out here instead of using `StdRng`
//! because rand documents `StdRng`'s stream as free to change between releases; a
//! benchmark or golden data set generated from a seed must stay byte-identical for good.
//! It implements [`rand::RngCore`] so that `rand` and `rand_distr` samplers work on it.

use rand::RngCore;

/// One step of SplitMix64: a good 64-bit mixer, used to derive independent seeds.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes several words into one seed, so that streams for different purposes (start
/// times, conversation n, a rendered invalid line) never share a sequence.
pub(crate) fn derive_seed(parts: &[u64]) -> u64 {
    let mut state = 0x5EED_0FC0_4E01_E5A7_u64;
    let mut out = 0;
    for &part in parts {
        state ^= part;
        out ^= splitmix64(&mut state);
    }
    out
}

#[derive(Debug, Clone)]
pub(crate) struct SimRng {
    s: [u64; 4],
}

impl SimRng {
    pub(crate) fn new(seed: u64) -> Self {
        let mut state = seed;
        let s = [
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
        ];
        SimRng { s }
    }

    /// Uniform in [0, 1) with 53 bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (any `p`; below 0 never, above 1 always). Unlike
    /// `Rng::random_bool` it cannot panic.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform integer in `0..n`; 0 when `n` is 0, so callers indexing a slice must pass a
    /// non-empty one.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift; the tiny bias for huge n is irrelevant for simulation.
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in [low, high).
    pub(crate) fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Uniform integer in [low, high] (inclusive); `low` when the range is empty.
    pub(crate) fn int_between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let width = (high - low) as u64 as usize;
        low + self.below(width.saturating_add(1)) as i64
    }

    /// A standard normal deviate (Box–Muller; one of the pair is discarded for simplicity).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1], so ln is finite
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal with the given median and log-space sigma, clamped to [low, high] so a
    /// heavy tail never produces a week-long chat.
    pub(crate) fn lognormal(&mut self, median: f64, sigma: f64, low: f64, high: f64) -> f64 {
        (median * (sigma * self.normal()).exp()).clamp(low, high)
    }

    /// An element of a non-empty slice.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        items.get(self.below(items.len())).copied()
    }

    /// Index drawn with the given relative weights (all ≥ 0, at least one > 0).
    pub(crate) fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut target = self.unit() * total;
        for (index, weight) in weights.iter().enumerate() {
            if target < *weight {
                return index;
            }
            target -= weight;
        }
        weights.len().saturating_sub(1)
    }
}

impl RngCore for SimRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        let result = (self.s[0].wrapping_add(self.s[3]))
            .rotate_left(23)
            .wrapping_add(self.s[0]);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro256plusplus_matches_reference_vector() {
        // Reference: the C implementation by Blackman & Vigna with s = {1, 2, 3, 4}.
        let mut rng = SimRng { s: [1, 2, 3, 4] };
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(first, vec![41943041, 58720359, 3588806011781223]);
    }

    #[test]
    fn below_and_unit_stay_in_range() {
        let mut rng = SimRng::new(7);
        for n in [1usize, 2, 3, 77, 1000] {
            for _ in 0..2000 {
                assert!(rng.below(n) < n);
            }
        }
        assert_eq!(rng.below(0), 0);
        for _ in 0..10_000 {
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn weighted_follows_weights() {
        let mut rng = SimRng::new(11);
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[rng.weighted(&[1.0, 2.0, 0.0])] += 1;
        }
        assert_eq!(counts[2], 0);
        let share = counts[1] as f64 / 30_000.0;
        assert!((share - 2.0 / 3.0).abs() < 0.02, "share {share}");
    }
}
