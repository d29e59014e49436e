//! The equal-width bin rule of METRICS §4, in Rust and as SQL.
//!
//! Bin k (1…B) holds c ∈ (eₖ₋₁, eₖ] with the edge eᵢ = i / B *as the double that division
//! gives*, and c = 0 is in bin 1. So the double nearest 0.3 is the upper edge of bin 3 for
//! B = 10, although 0.3 · 10 rounds to 3.0000000000000004 and `ceil` alone says bin 4.
//! Both implementations take k = ⌈c·B⌉ and then correct it by comparing c with the edges
//! computed as divisions, which is exact because comparisons of doubles are.

/// The bin rule as a SQL expression over Float64, for the DataFusion views
/// (`calibration_bins`). `{c}` is the confidence expression and `{b}` the number of bins as
/// an integer literal; use [`bin_sql_expr`] to fill them in. NULL confidence gives NULL;
/// like [`bin_of`], values ≤ 0 go to bin 1 and values > 1 to bin B. Every edge i/B,
/// B = 1…100, and its neighbouring doubles are checked in SQLite by
/// `reference/make_reference.py`, which holds a copy of this text (a test keeps them equal).
///
/// The divisions are written `x / CAST(b AS DOUBLE)` so that no engine treats them as
/// integer or decimal division, and the edge cases come first so the correction terms only
/// ever see a ⌈c·B⌉ in 2…B − 1.
pub const BIN_SQL_EXPR: &str = "CASE
  WHEN {c} IS NULL THEN NULL
  WHEN {c} <= 1 / CAST({b} AS DOUBLE) THEN 1
  WHEN {c} > ({b} - 1) / CAST({b} AS DOUBLE) THEN {b}
  ELSE CAST(ceil({c} * {b}) AS BIGINT)
    - CASE WHEN {c} <= (ceil({c} * {b}) - 1) / CAST({b} AS DOUBLE) THEN 1 ELSE 0 END
    + CASE WHEN {c} > ceil({c} * {b}) / CAST({b} AS DOUBLE) THEN 1 ELSE 0 END
END";

/// [`BIN_SQL_EXPR`] for one confidence expression (a column name, say) and bin count
/// (0 is taken as 1, as in [`bin_of`]). The expression is repeated, so pass a column
/// or a parenthesised expression without side effects.
pub fn bin_sql_expr(confidence_sql: &str, bins: usize) -> String {
    BIN_SQL_EXPR
        .replace("{c}", confidence_sql)
        .replace("{b}", &bins.max(1).to_string())
}

/// Edge eᵢ = i / B as a division of doubles: the value the SQL expression uses too.
pub fn bin_edge(index: usize, bins: usize) -> f64 {
    index as f64 / bins.max(1) as f64
}

/// The 1-based bin of confidence `c` among `bins` equal-width bins (METRICS §4).
///
/// Total, so it can be used on anything: values ≤ 0 (and NaN) are in bin 1, values > 1 in
/// the last bin, and `bins = 0` is taken as 1. [`super::evaluate`] rejects confidences
/// outside [0, 1] before they get here.
pub fn bin_of(c: f64, bins: usize) -> usize {
    let bins = bins.max(1);
    if c.is_nan() || c <= bin_edge(1, bins) {
        return 1;
    }
    if c > bin_edge(bins - 1, bins) {
        return bins;
    }
    // Here 1/B < c ≤ (B − 1)/B, so c·B is in (1, B − 1] up to one rounding and the cast
    // cannot overflow; the loops move at most one step each.
    let mut k = ((c * bins as f64).ceil() as usize).clamp(1, bins);
    while k > 1 && c <= bin_edge(k - 1, bins) {
        k -= 1;
    }
    while k < bins && c > bin_edge(k, bins) {
        k += 1;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_where_ceil_alone_is_wrong() {
        // 0.28 · 25 rounds up past 7, so ⌈c·B⌉ says bin 8; the edge 7/25 is 0.28 itself.
        assert_eq!(0.28_f64 * 25.0, 7.000000000000001, "the premise of this test");
        assert_eq!(bin_of(0.28, 25), 7);
        assert_eq!(bin_of(0.56, 25), 14);
        assert_eq!(bin_of(0.3, 10), 3);
        assert_eq!(bin_of(0.7, 10), 7);
        assert_eq!(bin_of(0.0, 10), 1);
        assert_eq!(bin_of(1.0, 10), 10);
    }

    #[test]
    fn total_on_any_input() {
        assert_eq!(bin_of(f64::NAN, 10), 1);
        assert_eq!(bin_of(-3.0, 10), 1);
        assert_eq!(bin_of(f64::NEG_INFINITY, 10), 1);
        assert_eq!(bin_of(1.5, 10), 10);
        assert_eq!(bin_of(f64::INFINITY, 10), 10);
        assert_eq!(bin_of(0.5, 0), 1);
        assert_eq!(bin_of(0.5, 1), 1);
        // Exact powers of two: 0.5 is the top edge of bin 2³⁹ of 2⁴⁰.
        assert_eq!(bin_of(0.5, 1 << 40), 1 << 39);
    }

    #[test]
    fn sql_expression_fills_in_column_and_bins() {
        let sql = bin_sql_expr("confidence", 10);
        assert!(!sql.contains('{'), "{sql}");
        assert!(sql.contains("ceil(confidence * 10)"), "{sql}");
        assert!(
            sql.contains("WHEN confidence > (10 - 1) / CAST(10 AS DOUBLE) THEN 10"),
            "{sql}"
        );
        assert!(bin_sql_expr("c", 0).contains("CAST(1 AS DOUBLE)"));
    }
}
