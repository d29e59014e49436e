//! The conversation and KPI views of METRICS §1–2.
//!
//! Numerators and denominators are exposed beside every ratio (METRICS: "store numerators
//! and denominators, not only ratios"), so BI tools can re-aggregate correctly.

/// The latest CSAT answer per conversation (by `occurred_at`, then `event_id`).
pub const LATEST_CSAT: &str = r#"
    SELECT tenant_id, conversation_id, score, scale FROM (
        SELECT tenant_id, conversation_id, score, scale,
               ROW_NUMBER() OVER (PARTITION BY tenant_id, conversation_id
                                  ORDER BY occurred_at DESC, event_id DESC) AS csat_rank
        FROM events
        WHERE event_type = 'csat_submitted'
    ) WHERE csat_rank = 1"#;

/// Rank 1 is a conversation's latest version of its facts.
pub const VERSION_RANK: &str =
    "ROW_NUMBER() OVER (PARTITION BY tenant_id, conversation_id ORDER BY version DESC, emitted_at DESC)";

/// CSAT on the 1–5 scale of METRICS §1, from the `score` and `scale` of a relation
/// (`alias` with its dot, or empty).
pub fn csat_5(alias: &str) -> String {
    format!(
        "CASE WHEN {alias}score IS NULL THEN NULL \
         ELSE 1.0 + 4.0 * CAST({alias}score - 1 AS DOUBLE) / CAST({alias}scale - 1 AS DOUBLE) END"
    )
}

/// One row per conversation: the latest version of its facts, with the latest CSAT
/// and recontact (METRICS §1) joined in.
fn conversation_facts() -> String {
    format!(
        r#"
CREATE VIEW conversation_facts AS
WITH ranked AS (
    SELECT c.*, {VERSION_RANK} AS version_rank
    FROM conversations c
),
latest AS (SELECT * FROM ranked WHERE version_rank = 1),
csat AS ({LATEST_CSAT}
),
recontact AS (
    SELECT a.tenant_id, a.conversation_id, COUNT(*) AS later_contacts
    FROM latest a
    JOIN latest b ON a.tenant_id = b.tenant_id AND a.customer_id = b.customer_id
    WHERE b.started_at > a.closed_at AND b.started_at <= a.closed_at + INTERVAL '24 hours'
    GROUP BY a.tenant_id, a.conversation_id
)
SELECT
    l.tenant_id, l.conversation_id, l.started_at, l.ended_at, l.closed_at, l.disposition,
    l.channel, l.customer_id, l.handed_off, l.handoff_reason, l.agent_handled,
    l.queue_abandoned, l.bot_time_s, l.queue_wait_s, l.talk_hold_s, l.hold_s, l.acw_s,
    l.talk_s, l.handle_time_s, l.customer_messages, l.bot_messages, l.agent_messages,
    l.first_intent, l.mean_confidence, l.min_confidence, l.kb_lookups, l.kb_misses,
    l.contained_gross, l.contained, l.resolved_by_bot,
    s.score AS csat_score,
    s.scale AS csat_scale,
    {csat_5} AS csat_5,
    CASE WHEN l.customer_id IS NULL THEN NULL
         ELSE COALESCE(r.later_contacts, 0) > 0 END AS recontacted,
    l.version, l.event_count, l.closed_by_inactivity
FROM latest l
LEFT JOIN csat s ON s.tenant_id = l.tenant_id AND s.conversation_id = l.conversation_id
LEFT JOIN recontact r ON r.tenant_id = l.tenant_id AND r.conversation_id = l.conversation_id
"#,
        csat_5 = csat_5("s.")
    )
}

/// The KPI columns of METRICS §2 over a group of `conversation_facts` rows.
const KPI_COLUMNS: &str = r#"
    COUNT(*) AS conversations,
    SUM(CASE WHEN contained THEN 1 ELSE 0 END) AS contained,
    SUM(CASE WHEN contained_gross THEN 1 ELSE 0 END) AS contained_gross,
    SUM(CASE WHEN resolved_by_bot THEN 1 ELSE 0 END) AS resolved_by_bot,
    SUM(CASE WHEN handed_off THEN 1 ELSE 0 END) AS handed_off,
    SUM(CASE WHEN disposition = 'abandoned' THEN 1 ELSE 0 END) AS abandoned,
    SUM(CASE WHEN agent_handled THEN 1 ELSE 0 END) AS agent_handled,
    SUM(CASE WHEN csat_score IS NOT NULL THEN 1 ELSE 0 END) AS csat_responses,
    COUNT(customer_id) AS identified_conversations,
    SUM(CASE WHEN contained AND NOT recontacted THEN 1 ELSE 0 END) AS verified_contained,
    SUM(CASE WHEN disposition = 'resolved' AND NOT recontacted THEN 1 ELSE 0 END) AS first_contact_resolved,
    CAST(SUM(CASE WHEN contained THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS containment_rate,
    CAST(SUM(CASE WHEN contained_gross THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS containment_rate_gross,
    CAST(SUM(CASE WHEN resolved_by_bot THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS bot_resolution_rate,
    CAST(SUM(CASE WHEN handed_off THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS escalation_rate,
    CAST(SUM(CASE WHEN disposition = 'abandoned' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS abandon_rate,
    CAST(SUM(CASE WHEN contained AND NOT recontacted THEN 1 ELSE 0 END) AS DOUBLE)
        / NULLIF(COUNT(customer_id), 0) AS verified_containment_rate,
    CAST(SUM(CASE WHEN disposition = 'resolved' AND NOT recontacted THEN 1 ELSE 0 END) AS DOUBLE)
        / NULLIF(COUNT(customer_id), 0) AS fcr_rate,
    AVG(handle_time_s) AS aht_s,
    AVG(talk_s) AS talk_s,
    AVG(hold_s) AS hold_s,
    AVG(acw_s) AS acw_s,
    AVG(bot_time_s) AS bot_time_s,
    AVG(csat_5) AS csat_mean,
    CAST(SUM(CASE WHEN csat_5 >= 4 THEN 1 ELSE 0 END) AS DOUBLE)
        / NULLIF(SUM(CASE WHEN csat_score IS NOT NULL THEN 1 ELSE 0 END), 0) AS csat_top2box,
    CAST(SUM(CASE WHEN csat_score IS NOT NULL THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS csat_response_rate
"#;

fn kpi_view(name: &str, keys: &str, group_by: &str) -> String {
    format!("CREATE VIEW {name} AS SELECT {keys}, {KPI_COLUMNS} FROM conversation_facts GROUP BY {group_by}")
}

/// The conversation and KPI views, in dependency order.
pub fn all() -> Vec<(&'static str, String)> {
    let day = super::CLOSED_DAY;
    vec![
        ("conversation_facts", conversation_facts()),
        (
            "kpi_daily",
            kpi_view(
                "kpi_daily",
                &format!("{day} AS day, tenant_id, channel"),
                &format!("{day}, tenant_id, channel"),
            ),
        ),
        (
            "kpi_hourly",
            kpi_view(
                "kpi_hourly",
                "date_trunc('hour', closed_at) AS hour, tenant_id, channel",
                "date_trunc('hour', closed_at), tenant_id, channel",
            ),
        ),
        (
            "kpi_by_intent",
            kpi_view(
                "kpi_by_intent",
                &format!("{day} AS day, tenant_id, first_intent"),
                &format!("{day}, tenant_id, first_intent"),
            ),
        ),
    ]
}
