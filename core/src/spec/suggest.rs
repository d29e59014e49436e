//! "Did you mean …?" for misspelt keys and values.

/// The candidate closest to `word`, if it is close enough to be a likely typo: at most one
/// edit in three characters, and never more than 3.
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let allowed = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance in characters, case-insensitively (a `Lake` typo is still `lake`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_hand_counts() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("Lake", "lake"), 0);
        assert_eq!(edit_distance("sesionization", "sessionization"), 1);
    }

    #[test]
    fn suggests_only_close_candidates() {
        let keys = ["idle_timeout", "allowed_lateness", "dedup_horizon"];
        assert_eq!(closest("idle_timout", keys), Some("idle_timeout"));
        assert_eq!(closest("allowed_latenes", keys), Some("allowed_lateness"));
        assert_eq!(closest("idle", keys), None);
        assert_eq!(closest("zzz", keys), None);
        assert_eq!(closest("latest", ["earliest", "latest"]), Some("latest"));
        assert_eq!(closest("lastest", ["earliest", "latest"]), Some("latest"));
    }
}
