//! "Latest" as METRICS means it for labels and CSAT answers: per key, the value of the
//! greatest `occurred_at`, ties at one instant broken by the greatest `event_id` (as the
//! views' `ORDER BY occurred_at DESC, event_id DESC` does). Used by the second pass that
//! settles ties; the first keeps only times, so it need not read every event id.

use super::lake_scan::DigestMap;

/// Per key digest: the time, event id and value of the latest offer.
pub struct LatestById<V>(DigestMap<(i64, String, V)>);

impl<V> Default for LatestById<V> {
    fn default() -> Self {
        LatestById(DigestMap::default())
    }
}

impl<V> LatestById<V> {
    /// Keeps `value` if (`at`, `event_id`) is later than what `key` holds.
    pub fn offer(&mut self, key: u128, at: i64, event_id: &str, value: V) {
        let later = self
            .0
            .get(&key)
            .is_none_or(|(held_at, held_id, _)| (at, event_id) > (*held_at, held_id.as_str()));
        if later {
            self.0.insert(key, (at, event_id.to_string(), value));
        }
    }

    /// One worker's findings folded into another's.
    pub fn merge(mut self, other: Self) -> Self {
        for (key, (at, event_id, value)) in other.0 {
            self.offer(key, at, &event_id, value);
        }
        self
    }

    pub fn into_values(self) -> impl Iterator<Item = (u128, V)> {
        self.0.into_iter().map(|(key, (_, _, value))| (key, value))
    }
}

/// Workers' maps folded into one with `offer`, which decides between two values of a key.
pub fn merged<V>(maps: Vec<DigestMap<V>>, mut offer: impl FnMut(&mut DigestMap<V>, u128, V)) -> DigestMap<V> {
    let mut maps = maps.into_iter();
    let mut all = maps.next().unwrap_or_default();
    for map in maps {
        for (key, value) in map {
            offer(&mut all, key, value);
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_greatest_time_then_event_id_wins_in_any_order_and_across_workers() {
        let mut a = LatestById::default();
        a.offer(1, 10, "e3", "three");
        a.offer(1, 10, "e9", "nine");
        a.offer(1, 10, "e4", "four");
        a.offer(2, 20, "z", "late");
        let mut b = LatestById::default();
        b.offer(2, 5, "zz", "early");
        b.offer(1, 10, "e8", "eight");
        let mut got: Vec<_> = b.merge(a).into_values().collect();
        got.sort();
        assert_eq!(got, [(1, "nine"), (2, "late")]);
    }
}
