//! Counts of a categorical feature: the whole state categorical drift needs, exact and
//! mergeable. Null is a category of its own (METRICS §5).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::sum::count_total;

/// Observations per category, plus the nulls. Sorted by category so that bins, sums and
/// output lists come out in one deterministic order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoricalCounts {
    pub counts: BTreeMap<String, u64>,
    pub nulls: u64,
}

/// One bin of a categorical comparison: a named category or the null category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CategoryBin<'a> {
    Named(&'a str),
    Null,
}

impl CategoricalCounts {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_values<S: AsRef<str>>(values: &[Option<S>]) -> Self {
        Self::from_names(values.iter().map(|value| value.as_ref().map(AsRef::as_ref)))
    }

    /// Counts names borrowed from wherever they live (an Arrow string column, say): only the
    /// distinct names are copied, never one string per row.
    pub fn from_names<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        // Counted under borrowed names first: a row then costs one hash of its name, where the
        // tree of owned names cost a string comparison per level; the few distinct names are
        // copied once at the end.
        let mut borrowed: HashMap<&str, u64, BuildHasherDefault<NameHasher>> = HashMap::default();
        let mut nulls: u64 = 0;
        for value in values {
            match value {
                Some(name) => *borrowed.entry(name).or_insert(0) += 1,
                None => nulls += 1,
            }
        }
        Self {
            counts: borrowed
                .into_iter()
                .map(|(name, count)| (name.to_owned(), count))
                .collect(),
            nulls,
        }
    }

    pub fn add(&mut self, value: Option<&str>) {
        self.add_weighted(value, 1);
    }

    pub fn add_weighted(&mut self, value: Option<&str>, weight: u64) {
        match value {
            Some(category) => match self.counts.get_mut(category) {
                Some(count) => *count = count.saturating_add(weight),
                None => {
                    self.counts.insert(category.to_owned(), weight);
                }
            },
            None => self.nulls = self.nulls.saturating_add(weight),
        }
    }

    /// Adds another window's counts.
    pub fn merge(&mut self, other: &CategoricalCounts) {
        for (category, count) in &other.counts {
            self.add_weighted(Some(category), *count);
        }
        self.nulls = self.nulls.saturating_add(other.nulls);
    }

    /// All observations, nulls included (they are a category here).
    pub fn total(&self) -> u64 {
        count_total(self.counts.values().copied().chain([self.nulls]))
    }

    pub fn count_of(&self, bin: CategoryBin<'_>) -> u64 {
        match bin {
            CategoryBin::Named(category) => self.counts.get(category).copied().unwrap_or(0),
            CategoryBin::Null => self.nulls,
        }
    }
}

/// xxh3 for category names: std's default SipHash costs several times more on short names,
/// and its protection against crafted collisions matters little for counting a column of a
/// window the pipeline wrote itself (a collision only slows counting down).
#[derive(Default)]
struct NameHasher(u64);

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxh3_64_with_seed(bytes, self.0);
    }

    /// `str` hashes its bytes and then a 0xff terminator: mixed in with one multiplication
    /// rather than a second xxh3 call.
    fn write_u8(&mut self, byte: u8) {
        self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The bins of a comparison: every category seen on either side in sorted order, then the null
/// category if either side has nulls.
pub fn union_bins<'a>(reference: &'a CategoricalCounts, current: &'a CategoricalCounts) -> Vec<CategoryBin<'a>> {
    let mut names: Vec<&str> = reference
        .counts
        .keys()
        .chain(current.counts.keys())
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut bins: Vec<CategoryBin<'a>> = names.into_iter().map(CategoryBin::Named).collect();
    if reference.nulls > 0 || current.nulls > 0 {
        bins.push(CategoryBin::Null);
    }
    bins
}

/// Categories of `current` absent from `reference`, sorted. The null category is reported as
/// a null share instead, never listed here.
pub fn unseen_categories(reference: &CategoricalCounts, current: &CategoricalCounts) -> Vec<String> {
    current
        .counts
        .keys()
        .filter(|category| !reference.counts.contains_key(*category))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_the_sorted_union_with_null_last() {
        let reference = CategoricalCounts::from_values(&[Some("b"), Some("a"), None]);
        let current = CategoricalCounts::from_values(&[Some("c"), Some("a")]);
        assert_eq!(
            union_bins(&reference, &current),
            vec![
                CategoryBin::Named("a"),
                CategoryBin::Named("b"),
                CategoryBin::Named("c"),
                CategoryBin::Null
            ]
        );
        assert_eq!(unseen_categories(&reference, &current), vec!["c".to_owned()]);
        assert_eq!(reference.total(), 3);
        assert_eq!(reference.count_of(CategoryBin::Null), 1);
        assert_eq!(current.count_of(CategoryBin::Named("b")), 0);
    }

    #[test]
    fn no_null_bin_without_nulls() {
        let side = CategoricalCounts::from_values(&[Some("x")]);
        assert_eq!(union_bins(&side, &side), vec![CategoryBin::Named("x")]);
    }

    #[test]
    fn merge_adds_counts() {
        let mut left = CategoricalCounts::from_values(&[Some("a"), None]);
        left.merge(&CategoricalCounts::from_values(&[Some("a"), Some("b"), None, None]));
        assert_eq!(left.count_of(CategoryBin::Named("a")), 2);
        assert_eq!(left.count_of(CategoryBin::Named("b")), 1);
        assert_eq!(left.nulls, 3);
    }
}
