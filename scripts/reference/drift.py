#!/usr/bin/env python3
"""Independent reference of METRICS §5 drift, from the raw NDJSON (standard library only).

    python3 scripts/reference/drift.py INPUT.ndjson --reference FROM..TO --current FROM..TO

FROM/TO are RFC 3339 timestamps (half-open windows, UTC). Prints {"features": [...]} with,
per feature, n_ref, n_cur, null shares, psi, js and for numeric ks, ks_p, wasserstein,
wasserstein_norm, for categorical unseen, and the default verdict. Event-level features
(intent, model_version, confidence, tool_latency_ms) are windowed by occurred_at of the
de-duplicated events; conversation-level ones by closed_at of the facts. message_length
is left out: it is measured on the redacted text, which this reference does not redact.
Written from METRICS.md only.
"""

import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from events import read_events  # noqa: E402
from facts import conversation_facts  # noqa: E402
from rfc3339 import parse_rfc3339  # noqa: E402

B = 10
FLOOR = 0.0001
THRESHOLD = 0.1
MIN_COUNT = 100


def quantile(sorted_values, q):
    """numpy's default (linear) quantile of sorted values."""
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def edges_of(reference):
    ordered = sorted(reference)
    edges = []
    for k in range(1, B):
        edge = quantile(ordered, k / B)
        if not edges or edge != edges[-1]:
            edges.append(edge)
    return edges


def numeric_shares(values, edges):
    counts = [0] * (len(edges) + 1)
    for v in values:
        index = 0
        while index < len(edges) and v > edges[index]:
            index += 1
        counts[index] += 1
    return [c / len(values) for c in counts]


def psi_js(r, c):
    psi = sum((max(ci, FLOOR) - max(ri, FLOOR)) * math.log(max(ci, FLOOR) / max(ri, FLOOR)) for ri, ci in zip(r, c))

    def kl(p, m):
        return sum(pi * math.log2(pi / mi) for pi, mi in zip(p, m) if pi > 0)

    m = [(ri + ci) / 2 for ri, ci in zip(r, c)]
    return psi, math.sqrt(max(0.0, 0.5 * kl(r, m) + 0.5 * kl(c, m)))


def ks(reference, current):
    a, b = sorted(reference), sorted(current)
    i = j = 0
    d = 0.0
    while i < len(a) and j < len(b):
        x = min(a[i], b[j])
        while i < len(a) and a[i] == x:
            i += 1
        while j < len(b) and b[j] == x:
            j += 1
        d = max(d, abs(i / len(a) - j / len(b)))
    return d


def kolmogorov_q(lam):
    if lam <= 0:
        return 1.0
    total = 0.0
    for k in range(1, 200):
        term = 2 * (-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam)
        total += term
        if abs(term) < 1e-18:
            break
    return min(1.0, max(0.0, total))


def wasserstein(reference, current):
    """∫ |F_R − F_C| over the merged support."""
    a, b = sorted(reference), sorted(current)
    points = sorted(set(a) | set(b))
    i = j = 0
    total = 0.0
    for x, nxt in zip(points, points[1:]):
        while i < len(a) and a[i] <= x:
            i += 1
        while j < len(b) and b[j] <= x:
            j += 1
        total += abs(i / len(a) - j / len(b)) * (nxt - x)
    return total


def numeric(name, reference, current):
    r = [v for v in reference if v is not None]
    c = [v for v in current if v is not None]
    out = {"feature": name, "kind": "numeric", "n_ref": len(reference), "n_cur": len(current),
           "null_share_ref": (len(reference) - len(r)) / len(reference) if reference else None,
           "null_share_cur": (len(current) - len(c)) / len(current) if current else None}
    if not r or not c:
        return out
    edges = edges_of(r)
    out["psi"], out["js"] = psi_js(numeric_shares(r, edges), numeric_shares(c, edges))
    out["ks"] = ks(r, c)
    n_e = len(r) * len(c) / (len(r) + len(c))
    out["ks_p"] = kolmogorov_q(math.sqrt(n_e) * out["ks"])
    out["wasserstein"] = wasserstein(r, c)
    mean = sum(r) / len(r)
    std = math.sqrt(sum((v - mean) ** 2 for v in r) / len(r))
    out["wasserstein_norm"] = out["wasserstein"] / max(std, 0.001)
    insufficient = min(len(r), len(c)) < MIN_COUNT
    out["verdict"] = "insufficient_data" if insufficient else (
        "drift" if out["wasserstein_norm"] >= THRESHOLD else "no_drift")
    return out


def categorical(name, reference, current):
    categories = sorted({v for v in reference + current if v is not None}, key=str)
    bins = categories + ([None] if None in reference or None in current else [])
    r = [reference.count(b) / len(reference) for b in bins]
    c = [current.count(b) / len(current) for b in bins]
    psi, js = psi_js(r, c)
    insufficient = min(len(reference), len(current)) < MIN_COUNT
    return {"feature": name, "kind": "categorical", "n_ref": len(reference), "n_cur": len(current),
            "null_share_ref": reference.count(None) / len(reference), "null_share_cur": current.count(None) / len(current),
            "psi": psi, "js": js,
            "unseen": sorted({v for v in current if v is not None and v not in reference}),
            "verdict": "insufficient_data" if insufficient else ("drift" if js >= THRESHOLD else "no_drift")}


def window(text):
    start, end = text.split("..")
    return parse_rfc3339(start), parse_rfc3339(end)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--reference", required=True)
    parser.add_argument("--current", required=True)
    args = parser.parse_args()
    events, _ = read_events(args.inputs)
    facts = conversation_facts(events)
    sides = [window(args.reference), window(args.current)]

    def event_values(event_type, field, side):
        lo, hi = sides[side]
        return [e.fields.get(field) for e in events if e.event_type == event_type and lo <= e.occurred_at < hi]

    def fact_values(field, side):
        lo, hi = sides[side]
        return [f[field] for f in facts if lo <= f["closed_at"] < hi]

    def miss_rate(side):
        lo, hi = sides[side]
        return [f["kb_misses"] / f["kb_lookups"] if f["kb_lookups"] else None
                for f in facts if lo <= f["closed_at"] < hi]

    features = [
        categorical("intent", event_values("intent_predicted", "intent", 0), event_values("intent_predicted", "intent", 1)),
        categorical("model_version", event_values("intent_predicted", "model_version", 0),
                    event_values("intent_predicted", "model_version", 1)),
        numeric("confidence", event_values("intent_predicted", "confidence", 0),
                event_values("intent_predicted", "confidence", 1)),
        numeric("tool_latency_ms", event_values("tool_call", "latency_ms", 0), event_values("tool_call", "latency_ms", 1)),
    ]
    for name in ["channel", "handoff_reason", "disposition"]:
        features.append(categorical(name, fact_values(name, 0), fact_values(name, 1)))
    for name in ["customer_messages", "bot_time_s", "handle_time_s"]:
        features.append(numeric(name, fact_values(name, 0), fact_values(name, 1)))
    features.append(numeric("kb_miss_rate", miss_rate(0), miss_rate(1)))
    json.dump({"features": features}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
