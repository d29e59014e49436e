//! One shard of the calibration label table: the latest label's true intent per digest of
//! `prediction_event_id`, in an open-addressing table with linear probing, at most 3/4
//! full, in anonymous mappings advised into huge pages.
//!
//! Every offer and probe lands on a random page of hundreds of MB. With 4 KiB pages each
//! one also missed the TLB (on this VM, a two-level page walk), which cost more than the
//! cache miss itself; and the misses of a group of probes are made to overlap (see
//! [`LabelTable::touch`]).

use std::collections::HashSet;

/// A slot is two u64s (16 bytes, so a probe touches one cache line): the digest's low 64
/// bits, then its bits 64..96 above the interned true intent plus one (0: an empty slot).
/// 96 bits make a false match among 10⁷ ids about 10⁻¹⁵ likely; the shard a digest is in
/// stands for its top bits.
const SLOT_BYTES: usize = 16;

/// The latest label of one prediction.
#[derive(Debug, Clone, Copy)]
pub struct Label {
    pub digest: u128,
    pub occurred_at: i64,
    pub true_intent: u32,
}

pub struct LabelTable {
    slots: memmap2::MmapMut,
    /// Each slot's label time, while offers still come (dropped by [`LabelTable::freeze`]).
    times: Option<memmap2::MmapMut>,
    mask: usize,
    len: usize,
    /// Digests whose latest labels share an instant but differ in intent.
    pub tied: HashSet<u128>,
}

fn huge_zeroed(bytes: usize) -> std::io::Result<memmap2::MmapMut> {
    // Zeroed by the kernel: every slot starts empty, every time at 0.
    let map = memmap2::MmapMut::map_anon(bytes.max(1))?;
    // Only advice: without huge pages the table is slower, not wrong.
    #[cfg(target_os = "linux")]
    let _ = map.advise(memmap2::Advice::HugePage);
    Ok(map)
}

fn word(bytes: &[u8], index: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[index * 8..index * 8 + 8]);
    u64::from_ne_bytes(word)
}

fn set_word(bytes: &mut [u8], index: usize, value: u64) {
    bytes[index * 8..index * 8 + 8].copy_from_slice(&value.to_ne_bytes());
}

impl LabelTable {
    /// Room for `labels` distinct predictions.
    pub fn with_capacity(labels: usize) -> std::io::Result<Self> {
        let capacity = (labels * 4 / 3 + 1).next_power_of_two();
        Ok(LabelTable {
            slots: huge_zeroed(capacity * SLOT_BYTES)?,
            times: Some(huge_zeroed(capacity * 8)?),
            mask: capacity - 1,
            len: 0,
            tied: HashSet::new(),
        })
    }

    /// How many predictions have a label.
    pub fn len(&self) -> usize {
        self.len
    }

    fn home(&self, digest: u128) -> usize {
        (digest as u64 as usize) & self.mask
    }

    /// The slot holding `digest`, or the empty slot where it would go.
    fn slot_of(&self, digest: u128) -> (usize, Option<u32>) {
        let (low, high) = (digest as u64, (digest >> 64) as u32);
        let mut i = self.home(digest);
        loop {
            let rest = word(&self.slots, 2 * i + 1);
            let Some(intent) = (rest as u32).checked_sub(1) else {
                return (i, None);
            };
            if word(&self.slots, 2 * i) == low && (rest >> 32) as u32 == high {
                return (i, Some(intent));
            }
            i = (i + 1) & self.mask;
        }
    }

    fn set_intent_at(&mut self, i: usize, digest: u128, true_intent: u32) {
        let high = u64::from((digest >> 64) as u32) << 32;
        set_word(&mut self.slots, 2 * i, digest as u64);
        set_word(&mut self.slots, 2 * i + 1, high | u64::from(true_intent + 1));
    }

    /// Reads `digest`'s home slot (and time) without using them, so that a loop touching
    /// several digests first has their cache misses in flight together.
    pub fn touch(&self, digest: u128) -> u64 {
        let i = self.home(digest);
        let time = self.times.as_ref().map_or(0, |times| word(times, i));
        word(&self.slots, 2 * i + 1) ^ time
    }

    /// Keeps the later of `label` and the label held for its prediction.
    ///
    /// # Panics
    /// After [`LabelTable::freeze`].
    pub fn offer(&mut self, label: Label) {
        let (i, held) = self.slot_of(label.digest);
        let times = self.times.as_mut().expect("offers come before the table is frozen");
        let held_at = word(times, i) as i64;
        match held {
            None => {
                set_word(times, i, label.occurred_at as u64);
                self.len += 1;
            }
            Some(_) if label.occurred_at > held_at => {
                set_word(times, i, label.occurred_at as u64);
                self.tied.remove(&label.digest);
            }
            Some(intent) => {
                if label.occurred_at == held_at && label.true_intent != intent {
                    self.tied.insert(label.digest);
                }
                return;
            }
        }
        self.set_intent_at(i, label.digest, label.true_intent);
    }

    /// Replaces the true intent of a held label (a tie settled).
    pub fn set_intent(&mut self, digest: u128, true_intent: u32) {
        if let (i, Some(_)) = self.slot_of(digest) {
            self.set_intent_at(i, digest, true_intent);
        }
    }

    /// Drops the label times once every label is in: probing needs only the intents.
    pub fn freeze(&mut self) {
        self.times = None;
    }

    /// The interned true intent of the latest label of the prediction with this digest.
    pub fn find(&self, digest: u128) -> Option<u32> {
        self.slot_of(digest).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(digest: u128, occurred_at: i64, true_intent: u32) -> Label {
        Label {
            digest,
            occurred_at,
            true_intent,
        }
    }

    #[test]
    fn the_latest_label_wins_and_same_instant_disagreements_are_tied() {
        let mut table = LabelTable::with_capacity(4).unwrap();
        // Digests 1 and 1 + 2^64·k share a home slot and the low word: both must survive.
        let (a, b, c) = (1u128, 1u128 | (7u128 << 64), 2u128);
        table.offer(label(a, 10, 3));
        table.offer(label(b, 10, 4));
        table.offer(label(a, 5, 9));
        table.offer(label(a, 20, 5));
        table.offer(label(c, 7, 1));
        table.offer(label(c, 7, 2));
        assert_eq!(table.len(), 3);
        assert_eq!(table.find(a), Some(5));
        assert_eq!(table.find(b), Some(4));
        assert_eq!(table.find(c), Some(1));
        assert_eq!(table.tied, HashSet::from([c]));
        table.offer(label(c, 8, 0));
        assert!(table.tied.is_empty());
        table.freeze();
        assert_eq!(table.find(c), Some(0));
        assert_eq!(table.find(3), None);
    }

    #[test]
    fn a_full_table_still_finds_every_label() {
        let n = 10_000u32;
        let mut table = LabelTable::with_capacity(n as usize).unwrap();
        let digest = |k: u32| xxhash_rust::xxh3::xxh3_128(&k.to_le_bytes());
        for k in 0..n {
            table.offer(label(digest(k), 1, k));
        }
        table.freeze();
        assert_eq!(table.len(), n as usize);
        assert!((0..n).all(|k| table.find(digest(k)) == Some(k)));
        assert!((n..2 * n).all(|k| table.find(digest(k)).is_none()));
    }
}
