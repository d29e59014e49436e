"""CSAT drivers, METRICS.md §3: Pearson and Spearman correlation of each driver with csat_5."""

import math

from student_t import two_sided_p_from_r

DRIVERS = (
    "contained",
    "handed_off",
    "handle_time_s",
    "bot_time_s",
    "queue_wait_s",
    "mean_confidence",
    "customer_messages",
    "kb_misses",
)
FISHER_Z_95 = 1.959964
MIN_PAIRS = 4


def pearson_r(xs, ys):
    n = len(xs)
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    r = sxy / math.sqrt(sxx * syy)
    return max(-1.0, min(1.0, r))


def average_ranks(values):
    """1-based ranks; tied values share the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = (start + end) / 2 + 1
        for position in range(start, end + 1):
            ranks[order[position]] = shared
        start = end + 1
    return ranks


def fisher_interval(r, n):
    if abs(r) >= 1.0:
        return r, r  # tanh(±∞ ± finite) = ±1
    z = math.atanh(r)
    half_width = FISHER_Z_95 / math.sqrt(n - 3)
    return math.tanh(z - half_width), math.tanh(z + half_width)


def correlate(xs, ys):
    """The §3 statistics of one driver, or None where n < 4 or a side is constant."""
    n = len(xs)
    if n < MIN_PAIRS or min(xs) == max(xs) or min(ys) == max(ys):
        return None
    r = pearson_r(xs, ys)
    ci_low, ci_high = fisher_interval(r, n)
    rho = pearson_r(average_ranks(xs), average_ranks(ys))
    return {
        "n": n,
        "r": r,
        "p": two_sided_p_from_r(r, n),
        "ci_low": ci_low,
        "ci_high": ci_high,
        "rho": rho,
        "p_rho": two_sided_p_from_r(rho, n),
    }


def _as_number(value):
    return float(value) if isinstance(value, bool) else value


def csat_correlation(facts):
    """All drivers over the conversations (of one window) that have a csat_score."""
    rated = [f for f in facts if f["csat_score"] is not None]
    result = {}
    for driver in DRIVERS:
        pairs = [(_as_number(f[driver]), f["csat_5"]) for f in rated if f[driver] is not None]
        result[driver] = correlate([x for x, _ in pairs], [y for _, y in pairs])
    return result
