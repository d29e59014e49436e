"""Confidence calibration, METRICS.md §4 (bins, ECE, MCE, ACE, Brier), over the whole input.

Recalibration (Platt, isotonic, recommended threshold) is not part of the golden
example's output and is not implemented here.
"""

DEFAULT_BINS = 10
OVERALL_GROUP = "*/*"


def labeled_pairs(events):
    """(prediction event, correct) for each intent_predicted that has a label, in arrival order.

    The latest label wins, latest by (occurred_at, event_id) as for CSAT.
    """
    latest_label = {}
    for event in events:
        if event.event_type != "intent_labeled":
            continue
        target = event.get("prediction_event_id")
        current = latest_label.get(target)
        if current is None or (event.occurred_at, event.event_id) > (current.occurred_at, current.event_id):
            latest_label[target] = event
    pairs = []
    for event in events:
        if event.event_type == "intent_predicted" and event.event_id in latest_label:
            pairs.append((event, event.get("intent") == latest_label[event.event_id].get("true_intent")))
    return pairs


def bin_of(confidence, bins):
    """Bin k in 1..B holds c in ((k−1)/B, k/B]; c = 0 is in bin 1.

    The edges are the doubles nearest k/B, the same doubles a producer's decimal "0.3"
    parses to, so a confidence written as an edge lands in the bin it closes. Computing
    ceil(c·B) instead would put 0.3 in bin 4 (0.3 × 10 = 3.0000000000000004).
    """
    for k in range(1, bins + 1):
        if confidence <= k / bins:
            return k
    return bins


def _gap_summary(groups, total):
    """ECE-style weighted mean and max of |accuracy − mean confidence| over non-empty groups."""
    weighted = 0.0
    worst = 0.0
    for members in groups:
        if not members:
            continue
        gap = abs(_accuracy(members) - _mean_confidence(members))
        weighted += len(members) / total * gap
        worst = max(worst, gap)
    return weighted, worst


def _accuracy(members):
    return sum(1 for _, correct in members if correct) / len(members)


def _mean_confidence(members):
    return sum(c for c, _ in members) / len(members)


def _equal_count_groups(members, count):
    """numpy.array_split: sizes differ by at most one, earlier groups larger."""
    base, extra = divmod(len(members), count)
    groups, start = [], 0
    for index in range(count):
        size = base + (1 if index < extra else 0)
        groups.append(members[start : start + size])
        start += size
    return groups


def calibration_report(members, bins=DEFAULT_BINS):
    """members: (confidence, correct) in a fixed order (the stable sort for ACE keeps it for ties)."""
    total = len(members)
    by_bin = {}
    for confidence, correct in members:
        by_bin.setdefault(bin_of(confidence, bins), []).append((confidence, correct))
    ece, mce = _gap_summary(by_bin.values(), total)
    by_confidence = sorted(members, key=lambda member: member[0])
    ace, _ = _gap_summary(_equal_count_groups(by_confidence, bins), total)
    return {
        "n": total,
        "ece": ece,
        "mce": mce,
        "ace": ace,
        "brier": sum((c - (1.0 if correct else 0.0)) ** 2 for c, correct in members) / total,
        "accuracy": _accuracy(members),
        "mean_confidence": _mean_confidence(members),
        "bins": [
            {
                "bin": k,
                "count": len(by_bin[k]),
                "mean_confidence": _mean_confidence(by_bin[k]),
                "accuracy": _accuracy(by_bin[k]),
            }
            for k in sorted(by_bin)
        ],
    }


def group_name(prediction):
    """"model/model_version"; a missing model_version is written as the empty string."""
    return f"{prediction.get('model')}/{prediction.get('model_version', '')}"


def calibration(events, bins=DEFAULT_BINS):
    pairs = labeled_pairs(events)
    groups = {}
    for prediction, correct in pairs:
        groups.setdefault(group_name(prediction), []).append((prediction.get("confidence"), correct))
    report = {name: calibration_report(groups[name], bins) for name in sorted(groups)}
    if pairs:
        report[OVERALL_GROUP] = calibration_report([(p.get("confidence"), correct) for p, correct in pairs], bins)
    return report
