"""KPIs per window, METRICS.md §2.

A conversation counts in the window containing its closed_at. Rates and means over an
empty set are null (None), never 0.
"""

from rfc3339 import format_day, format_hour

KPI_KEYS = (
    "conversations",
    "contained",
    "contained_gross",
    "resolved_by_bot",
    "handed_off",
    "abandoned",
    "agent_handled",
    "csat_responses",
    "containment_rate",
    "containment_rate_gross",
    "bot_resolution_rate",
    "escalation_rate",
    "abandon_rate",
    "verified_containment_rate",
    "fcr_rate",
    "aht_s",
    "talk_s",
    "hold_s",
    "acw_s",
    "bot_time_s",
    "csat_mean",
    "csat_top2box",
    "csat_response_rate",
)


def _share(numerator, denominator):
    return numerator / denominator if denominator else None


def _mean(values):
    return sum(values) / len(values) if values else None


def kpi_values(facts):
    """Every KPI of one group of conversation facts."""
    n = len(facts)
    contained = sum(1 for f in facts if f["contained"])
    contained_gross = sum(1 for f in facts if f["contained_gross"])
    resolved_by_bot = sum(1 for f in facts if f["resolved_by_bot"])
    handed_off = sum(1 for f in facts if f["handed_off"])
    abandoned = sum(1 for f in facts if f["disposition"] == "abandoned")
    agent_handled = [f for f in facts if f["agent_handled"]]
    with_customer = [f for f in facts if f["customer_id"] is not None]
    verified = sum(1 for f in with_customer if f["contained"] and f["recontacted"] is False)
    first_contact_resolved = sum(
        1 for f in with_customer if f["disposition"] == "resolved" and f["recontacted"] is False
    )
    csat_5 = [f["csat_5"] for f in facts if f["csat_score"] is not None]
    return {
        "conversations": n,
        "contained": contained,
        "contained_gross": contained_gross,
        "resolved_by_bot": resolved_by_bot,
        "handed_off": handed_off,
        "abandoned": abandoned,
        "agent_handled": len(agent_handled),
        "csat_responses": len(csat_5),
        "containment_rate": _share(contained, n),
        "containment_rate_gross": _share(contained_gross, n),
        "bot_resolution_rate": _share(resolved_by_bot, n),
        "escalation_rate": _share(handed_off, n),
        "abandon_rate": _share(abandoned, n),
        "verified_containment_rate": _share(verified, len(with_customer)),
        "fcr_rate": _share(first_contact_resolved, len(with_customer)),
        "aht_s": _mean([f["handle_time_s"] for f in agent_handled]),
        "talk_s": _mean([f["talk_s"] for f in agent_handled]),
        "hold_s": _mean([f["hold_s"] for f in agent_handled]),
        "acw_s": _mean([f["acw_s"] for f in agent_handled]),
        "bot_time_s": _mean([f["bot_time_s"] for f in facts]),
        "csat_mean": _mean(csat_5),
        "csat_top2box": _share(sum(1 for v in csat_5 if v >= 4), len(csat_5)),
        "csat_response_rate": _share(len(csat_5), n),
    }


def _grouped(facts, key_names, key_of):
    groups = {}
    for fact in facts:
        groups.setdefault(key_of(fact), []).append(fact)
    # None (a null first_intent) sorts before any string.
    ordered = sorted(groups, key=lambda key: tuple((part is not None, part or "") for part in key))
    return [dict(zip(key_names, key)) | kpi_values(groups[key]) for key in ordered]


def kpi_daily(facts):
    return _grouped(
        facts, ("day", "tenant_id", "channel"), lambda f: (format_day(f["closed_at"]), f["tenant_id"], f["channel"])
    )


def kpi_hourly(facts):
    return _grouped(
        facts, ("hour", "tenant_id", "channel"), lambda f: (format_hour(f["closed_at"]), f["tenant_id"], f["channel"])
    )


def kpi_by_intent(facts):
    return _grouped(
        facts,
        ("day", "tenant_id", "first_intent"),
        lambda f: (format_day(f["closed_at"]), f["tenant_id"], f["first_intent"]),
    )
