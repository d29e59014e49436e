//! The `csat_drivers` view of METRICS §3: per (`day` of close, `tenant_id`, `driver`), the
//! Pearson and Spearman correlation of each driver with `csat_5`, with p-values (the
//! `correlation_p_value` function registered by the session) and the Fisher-z interval.
//! `convolens csat-drivers` computes the same with `convolens_evaluators::drivers` over
//! any window; a test keeps the two equal.

/// The drivers of METRICS §3 and their SQL over `conversation_facts` (booleans as 0/1).
pub const DRIVERS: [(&str, &str); 8] = [
    ("contained", "CASE WHEN contained THEN 1.0 ELSE 0.0 END"),
    ("handed_off", "CASE WHEN handed_off THEN 1.0 ELSE 0.0 END"),
    ("handle_time_s", "handle_time_s"),
    ("bot_time_s", "bot_time_s"),
    ("queue_wait_s", "queue_wait_s"),
    ("mean_confidence", "mean_confidence"),
    ("customer_messages", "CAST(customer_messages AS DOUBLE)"),
    ("kb_misses", "CAST(kb_misses AS DOUBLE)"),
];

fn drivers_view() -> String {
    let day = super::CLOSED_DAY;
    let long = DRIVERS
        .iter()
        .map(|(name, expr)| {
            format!(
                "SELECT {day} AS day, tenant_id, '{name}' AS driver, CAST({expr} AS DOUBLE) AS x, csat_5 AS y \
                 FROM conversation_facts WHERE csat_5 IS NOT NULL AND ({expr}) IS NOT NULL"
            )
        })
        .collect::<Vec<_>>()
        .join("\n    UNION ALL\n    ");
    // Average ranks: ties share the mean of the ranks they span, RANK() + (ties − 1) / 2.
    format!(
        r#"
CREATE VIEW csat_drivers AS
WITH long AS (
    {long}
),
ranked AS (
    SELECT day, tenant_id, driver, x, y,
           RANK() OVER (PARTITION BY day, tenant_id, driver ORDER BY x)
             + (COUNT(*) OVER (PARTITION BY day, tenant_id, driver, x) - 1) / 2.0 AS rank_x,
           RANK() OVER (PARTITION BY day, tenant_id, driver ORDER BY y)
             + (COUNT(*) OVER (PARTITION BY day, tenant_id, driver, y) - 1) / 2.0 AS rank_y
    FROM long
),
sums AS (
    SELECT day, tenant_id, driver, COUNT(*) AS n,
           MIN(x) = MAX(x) OR MIN(y) = MAX(y) AS constant,
           corr(x, y) AS pearson, corr(rank_x, rank_y) AS spearman
    FROM ranked
    GROUP BY day, tenant_id, driver
),
defined AS (
    SELECT day, tenant_id, driver, n,
           CASE WHEN n < 4 OR constant THEN NULL ELSE greatest(-1.0, least(1.0, pearson)) END AS r,
           CASE WHEN n < 4 OR constant THEN NULL ELSE greatest(-1.0, least(1.0, spearman)) END AS rho
    FROM sums
)
SELECT day, tenant_id, driver, n, r,
       correlation_p_value(r, n) AS p,
       tanh(atanh(r) - 1.959964 / sqrt(CAST(n - 3 AS DOUBLE))) AS ci_low,
       tanh(atanh(r) + 1.959964 / sqrt(CAST(n - 3 AS DOUBLE))) AS ci_high,
       rho,
       correlation_p_value(rho, n) AS p_rho
FROM defined
"#
    )
}

pub fn all() -> Vec<(&'static str, String)> {
    vec![("csat_drivers", drivers_view())]
}
