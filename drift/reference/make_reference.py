#!/usr/bin/env python3
"""Reference values for convolens-drift, computed with numpy/scipy/river from METRICS.md §5.

Writes expected.json next to this file: every input (fixed seeds, rounded to 6 decimals so
that the JSON text parses to the same f64 in Rust) and every output the Rust tests compare
against. Nothing here imports or mirrors the Rust code; the formulas are taken from the
contract and delegated to the libraries named there wherever one exists:

- bins: numpy.quantile (default "linear") at k/B, numpy.unique, numpy.searchsorted(side="left")
  for the right-closed bins (−∞, e1], (e1, e2], …, (e_{B−1}, +∞);
- psi: the contract formula with the 0.0001 floor, in numpy;
- js: scipy.spatial.distance.jensenshannon(base=2);
- ks: scipy.stats.ks_2samp(...).statistic and scipy.stats.kstwobign.sf(D·√n_e);
- wasserstein: scipy.stats.wasserstein_distance, normalised by numpy.std (population);
- Page-Hinkley: river.drift.PageHinkley, cross-checked against a plain transcription;
- ADWIN: a plain transcription of Bifet & Gavaldà (2007), exact variant (every split checked);
- ROC AUC: sklearn.metrics.roc_auc_score; erfc: scipy.special.erfc; the out-of-scope z-test:
  the pooled two-proportion formula with scipy.stats.norm.sf.

Run: pip install numpy scipy scikit-learn river && python3 make_reference.py
"""

from __future__ import annotations

import itertools
import json
import math
import os
import sys

import numpy as np
import scipy
import scipy.spatial.distance
import scipy.special
import scipy.stats
import sklearn
import sklearn.metrics

try:
    import river
    import river.drift
except ImportError:  # river is optional; the transcription below is then the only PH reference
    river = None

BINS = 10
MIN_COUNT = 100
DEFAULT_NUMERIC_THRESHOLD = 0.1  # wasserstein_norm
DEFAULT_CATEGORICAL_THRESHOLD = 0.1  # js
PSI_FLOOR = 0.0001
STD_FLOOR = 0.001


def rounded(values):
    """Six decimals keeps the JSON short and makes serde_json parse exactly what numpy used."""
    return [None if v is None else round(float(v), 6) for v in values]


# ---------------------------------------------------------------------------------------------
# Numeric features
# ---------------------------------------------------------------------------------------------


def quantile_edges(values, bins):
    finite = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)
    if finite.size == 0 or bins < 2:
        return np.array([], dtype=np.float64)
    qs = np.arange(1, bins) / bins
    return np.unique(np.quantile(finite, qs))


def bits(values):
    """IEEE-754 bit patterns: JSON parsers may round a 17-digit decimal to the neighbouring
    double, and edges are compared exactly (a value on an edge changes bin with one ulp)."""
    return [int(b) for b in np.asarray(values, dtype=np.float64).view(np.uint64)]


def bin_counts(edges, values):
    idx = np.searchsorted(edges, np.asarray(values, dtype=np.float64), side="left")
    return np.bincount(idx, minlength=len(edges) + 1).astype(np.int64)


def psi(r_shares, c_shares):
    r = np.where(r_shares == 0, PSI_FLOOR, r_shares)
    c = np.where(c_shares == 0, PSI_FLOOR, c_shares)
    return float(np.sum((c - r) * np.log(c / r)))


def js(r_shares, c_shares):
    return float(scipy.spatial.distance.jensenshannon(r_shares, c_shares, base=2))


def numeric_case(name, reference, current, bins=BINS, approx_cap=None):
    reference = rounded(reference)
    current = rounded(current)
    r = np.array([v for v in reference if v is not None], dtype=np.float64)
    c = np.array([v for v in current if v is not None], dtype=np.float64)
    out = {
        "n_ref": len(reference),
        "n_cur": len(current),
        "null_share_ref": (reference.count(None) / len(reference)) if reference else None,
        "null_share_cur": (current.count(None) / len(current)) if current else None,
    }
    edges = quantile_edges(reference, bins)
    out["edges"] = edges.tolist()
    out["edges_bits"] = bits(edges)
    out["std_ref"] = float(np.std(r)) if r.size > 0 else None
    # Summary a reference profile stores (numpy defaults: mean, median = linear quantile ½).
    out["mean_ref"] = float(np.mean(r)) if r.size > 0 else None
    out["median_ref"] = float(np.median(r)) if r.size > 0 else None
    out["min_ref"] = float(np.min(r)) if r.size > 0 else None
    out["max_ref"] = float(np.max(r)) if r.size > 0 else None
    if r.size > 0 and c.size > 0:
        counts_r = bin_counts(edges, r)
        counts_c = bin_counts(edges, c)
        rs = counts_r / r.size
        cs = counts_c / c.size
        d = float(scipy.stats.ks_2samp(r, c).statistic)
        n_e = r.size * c.size / (r.size + c.size)
        w = float(scipy.stats.wasserstein_distance(r, c))
        std = out["std_ref"]
        out.update(
            counts_ref=counts_r.tolist(),
            counts_cur=counts_c.tolist(),
            psi=psi(rs, cs),
            js=js(rs, cs),
            ks=d,
            ks_p=float(scipy.stats.kstwobign.sf(d * math.sqrt(n_e))),
            wasserstein=w,
            wasserstein_norm=w / max(std, STD_FLOOR),
        )
    else:
        out.update(counts_ref=None, counts_cur=None, psi=None, js=None, ks=None, ks_p=None,
                   wasserstein=None, wasserstein_norm=None)
    if r.size < MIN_COUNT or c.size < MIN_COUNT:
        out["verdict"] = "insufficient_data"
    else:
        out["verdict"] = "drift" if out["wasserstein_norm"] >= DEFAULT_NUMERIC_THRESHOLD else "no_drift"
    case = {"name": name, "bins": bins, "reference": reference, "current": current, "expected": out}
    if approx_cap is not None:
        case["approx_cap"] = approx_cap
    return case


def numeric_cases(rng):
    cases = []
    base = rng.normal(0.0, 1.0, 2000)
    cases.append(numeric_case("normal_vs_shifted", base, rng.normal(0.3, 1.2, 1500)))
    cases.append(numeric_case("normal_vs_same_law", base, rng.normal(0.0, 1.0, 1800)))
    same = rng.gamma(2.0, 30.0, 500)
    cases.append(numeric_case("identical_samples", same, same))
    # Message counts: few distinct values, so several quantiles coincide and edges merge.
    ties_ref = rng.choice([0, 0, 0, 0, 0, 0, 0, 1, 2, 5], 1000).astype(float)
    ties_cur = rng.choice([0, 0, 0, 0, 1, 1, 2, 3, 5, 8], 900).astype(float)
    cases.append(numeric_case("heavy_ties", ties_ref, ties_cur))
    # Edges land exactly on data values; the current side puts mass exactly on them.
    on_edges_ref = np.arange(0, 101, dtype=float)
    on_edges_cur = np.repeat(np.arange(10, 100, 10, dtype=float), 15)
    cases.append(numeric_case("values_on_edges", on_edges_ref, np.concatenate([on_edges_cur, [-5.0, 105.0]])))
    # Nulls are reported, not binned.
    with_nulls_ref = [None if i % 7 == 0 else v for i, v in enumerate(rng.lognormal(5.0, 0.6, 700))]
    with_nulls_cur = [None if i % 3 == 0 else v for i, v in enumerate(rng.lognormal(5.3, 0.6, 600))]
    cases.append(numeric_case("latency_with_nulls", with_nulls_ref, with_nulls_cur))
    cases.append(numeric_case("tiny_one_vs_two", [1.5], [2.0, 3.0]))
    cases.append(numeric_case("tiny_five_vs_three", [4.0, 1.0, 3.0, 1.0, 2.0], [2.5, 9.0, 1.0]))
    cases.append(numeric_case("all_null_reference", [None] * 50, rng.normal(0, 1, 200)))
    cases.append(numeric_case("all_null_both", [None] * 5, [None] * 3))
    cases.append(numeric_case("empty_current", rng.normal(0, 1, 150), []))
    cases.append(numeric_case("constant_reference", [7.0] * 300, rng.normal(7.0, 0.01, 300)))
    cases.append(numeric_case("four_bins", rng.uniform(0, 1, 400), rng.uniform(0.1, 1.1, 400), bins=4))
    # Larger samples, also compared against a deliberately small sketch cap (approximate path).
    cases.append(numeric_case(
        "large_for_sketch", rng.normal(100.0, 15.0, 20000), rng.normal(104.0, 15.0, 20000), approx_cap=1000
    ))
    return cases


# ---------------------------------------------------------------------------------------------
# Categorical features
# ---------------------------------------------------------------------------------------------


def categorical_case(name, reference, current):
    seen_r = {v for v in reference if v is not None}
    seen_c = {v for v in current if v is not None}
    categories = sorted(seen_r | seen_c)
    has_null = (None in reference) or (None in current)
    bins = categories + ([None] if has_null else [])
    out = {
        "n_ref": len(reference),
        "n_cur": len(current),
        "null_share_ref": (reference.count(None) / len(reference)) if reference else None,
        "null_share_cur": (current.count(None) / len(current)) if current else None,
        "bins": bins,
        "unseen": sorted(seen_c - seen_r),
    }
    if reference and current:
        counts_r = np.array([reference.count(b) for b in bins], dtype=np.int64)
        counts_c = np.array([current.count(b) for b in bins], dtype=np.int64)
        rs = counts_r / len(reference)
        cs = counts_c / len(current)
        out.update(counts_ref=counts_r.tolist(), counts_cur=counts_c.tolist(), psi=psi(rs, cs), js=js(rs, cs))
    else:
        out.update(counts_ref=None, counts_cur=None, psi=None, js=None)
    # Null is a category of its own, so every row is a value of a categorical feature.
    if len(reference) < MIN_COUNT or len(current) < MIN_COUNT:
        out["verdict"] = "insufficient_data"
    else:
        out["verdict"] = "drift" if out["js"] >= DEFAULT_CATEGORICAL_THRESHOLD else "no_drift"
    return {"name": name, "reference": reference, "current": current, "expected": out}


def categorical_cases(rng):
    def draw(categories, probabilities, n):
        return [None if v == "<null>" else str(v) for v in rng.choice(categories, n, p=probabilities)]

    intents = ["billing", "cancel", "order_status", "refund", "tech_support"]
    cases = []
    cases.append(categorical_case(
        "intent_mix_shift",
        draw(intents, [0.3, 0.1, 0.3, 0.2, 0.1], 1000),
        draw(intents, [0.2, 0.1, 0.25, 0.25, 0.2], 800),
    ))
    # "refund" vanishes (zero share in current), two categories are new, nulls on one side only.
    cases.append(categorical_case(
        "unseen_and_zero_shares",
        draw(["billing", "refund", "order_status", "<null>"], [0.5, 0.2, 0.2, 0.1], 600),
        draw(["billing", "order_status", "warranty", "loyalty"], [0.4, 0.3, 0.2, 0.1], 500),
    ))
    same = draw(["chat", "email", "voice"], [0.6, 0.3, 0.1], 400)
    cases.append(categorical_case("identical", same, list(same)))
    cases.append(categorical_case("small_sides", ["a", "b", "a"], ["a", "c"]))
    cases.append(categorical_case("mostly_null", draw(["agent_request", "<null>"], [0.05, 0.95], 300),
                                  draw(["agent_request", "low_confidence", "<null>"], [0.1, 0.1, 0.8], 300)))
    cases.append(categorical_case("empty_reference", [], ["a"] * 120))
    cases.append(categorical_case("unicode_order", ["é", "z", "a", "Z", "ß"] * 30, ["é", "é", "a", "ü", "Z"] * 30))
    return cases


# ---------------------------------------------------------------------------------------------
# Pure statistics on their own
# ---------------------------------------------------------------------------------------------


def quantile_edge_cases(rng):
    inputs = [
        ("uniform_1000_b10", rng.uniform(-3, 3, 1000), 10),
        ("ints_0_to_100_b10", np.arange(0, 101, dtype=float), 10),
        ("two_values_b10", np.array([1.0, 2.0]), 10),
        ("single_value_b10", np.array([3.25]), 10),
        ("heavy_ties_b10", np.array([0.0] * 90 + [1.0] * 5 + [2.0] * 5), 10),
        ("unsorted_b7", rng.normal(0, 1, 37), 7),
        ("b2", rng.exponential(2.0, 55), 2),
        ("b1_no_edges", rng.normal(0, 1, 20), 1),
        ("negative_and_small", np.array([-1e-6, -2e-6, 0.0, 3e-6, 1e-6, -5e-6]), 4),
        ("empty", np.array([]), 10),
    ]
    # Random sizes, bin counts and scales: numpy's _lerp counts back from the upper neighbour
    # when the fraction is ≥ ½, which differs from a + (b − a)·t in the last bit on about a
    # third of such inputs; these catch an implementation that only copies the formula.
    for i in range(24):
        n = int(rng.integers(3, 60))
        b = int(rng.integers(2, 20))
        inputs.append((f"random_{i}_n{n}_b{b}", rng.normal(0, 1, n) * 10.0 ** int(rng.integers(-2, 4)), b))
    cases = []
    for name, values, b in inputs:
        values = rounded(values)
        edges = quantile_edges(values, b)
        cases.append({"name": name, "values": values, "bins": b, "edges": edges.tolist(), "edges_bits": bits(edges)})
    return cases


def share_cases():
    pairs = [
        ("disjoint", [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
        ("one_vs_half", [1.0, 0.0], [0.5, 0.5]),
        ("identical", [0.25, 0.25, 0.5], [0.25, 0.25, 0.5]),
        ("zeros_both_sides", [0.5, 0.0, 0.5, 0.0], [0.25, 0.0, 0.25, 0.5]),
        ("near_identical", [0.1, 0.2, 0.3, 0.4], [0.1000001, 0.1999999, 0.3, 0.4]),
        ("ten_bins", [0.1] * 10, [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.15]),
    ]
    out = []
    for name, r, c in pairs:
        ra, ca = np.array(r), np.array(c)
        out.append({"name": name, "r": r, "c": c, "psi": psi(ra, ca), "js": js(ra, ca)})
    return out


def kolmogorov_cases():
    lambdas = [0.0, 1e-3, 0.0406, 0.04066637540590977, 0.0406664, 0.0407, 0.05, 0.06, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8,
               0.82, 0.8200000001, 0.83, 1.0, 1.2, 1.358, 1.5, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 27.0]
    return [{"lambda": x, "sf": float(scipy.stats.kstwobign.sf(x))} for x in lambdas]


# ---------------------------------------------------------------------------------------------
# Domain classifier AUC, the normal tail, the out-of-scope z-test
# ---------------------------------------------------------------------------------------------


def roc_auc_cases(rng):
    """sklearn's roc_auc_score (trapezoids under the ROC curve, so ties count half)."""
    inputs = []
    labels = rng.random(300) < 0.4
    inputs.append(("continuous_overlap", rng.normal(0, 1, 300) + 0.8 * labels, labels))
    labels = rng.random(1000) < 0.5
    # Scores on a coarse grid: many ties, inside and across the classes.
    inputs.append(("heavy_ties", np.round(rng.normal(0, 1, 1000) + 0.3 * labels, 1), labels))
    labels = np.array([True, False] * 20)
    inputs.append(("all_tied", np.full(40, 0.25), labels))
    inputs.append(("separated", np.arange(40, dtype=float) + 100.0 * labels, labels))
    inputs.append(("inverted", -(np.arange(40, dtype=float) + 100.0 * labels), labels))
    labels = rng.random(6000) < 0.3
    inputs.append(("large_unbalanced", np.round(rng.beta(2, 5, 6000) + 0.05 * labels, 3), labels))
    cases = []
    for name, scores, labels in inputs:
        scores = rounded(scores)
        cases.append({
            "name": name,
            "scores": scores,
            "labels": [bool(x) for x in labels],
            "auc": float(sklearn.metrics.roc_auc_score(labels, scores)),
        })
    return cases


def erfc_cases():
    xs = [-5.0, -2.0, -0.5, -1e-3, 0.0, 1e-8, 0.1, 0.5, 0.9, 0.999, 1.0, 1.001, 1.5, 1.97, 2.0, 3.0, 4.5,
          6.0, 10.0, 15.0, 26.0, 27.5]
    return [{"x": x, "erfc": float(scipy.special.erfc(x))} for x in xs]


def oos_cases():
    """Pooled two-proportion z-test, two-sided p from scipy.stats.norm.sf."""
    inputs = [(40, 2000, 100, 2000), (1, 1000, 2, 1000), (10000, 100000, 15000, 100000), (100, 2000, 40, 2000),
              (0, 5000, 12, 5000), (3, 700, 9, 650), (250, 12000, 610, 11000), (7, 50, 14, 50)]
    cases = []
    for ref_oos, ref_total, cur_oos, cur_total in inputs:
        r, c = ref_oos / ref_total, cur_oos / cur_total
        pooled = (ref_oos + cur_oos) / (ref_total + cur_total)
        z = (c - r) / math.sqrt(pooled * (1 - pooled) * (1 / ref_total + 1 / cur_total))
        p = float(2 * scipy.stats.norm.sf(abs(z)))
        flagged = c > r and c >= 2 * r and p < 0.01
        cases.append({"ref_oos": ref_oos, "ref_total": ref_total, "cur_oos": cur_oos, "cur_total": cur_total,
                      "z": z, "p_value": p, "flagged": flagged})
    return cases


# ---------------------------------------------------------------------------------------------
# Detectors
# ---------------------------------------------------------------------------------------------


def page_hinkley_transcription(series, delta, lam, alpha, min_instances):
    """Two-sided Page-Hinkley with fading factor, restarted after every alarm."""
    alarms = []
    n, mean, up, down, up_min, down_max = 0, 0.0, 0.0, 0.0, math.inf, -math.inf
    for t, x in enumerate(series):
        n += 1
        mean += (1.0 / n) * (x - mean)
        dev = x - mean
        up = alpha * up + dev - delta
        down = alpha * down + dev + delta
        up_min = min(up_min, up)
        down_max = max(down_max, down)
        if n >= min_instances:
            if up - up_min > lam:
                alarms.append({"at": t, "direction": "up", "statistic": up - up_min})
            elif down_max - down > lam:
                alarms.append({"at": t, "direction": "down", "statistic": down_max - down})
            else:
                continue
            n, mean, up, down, up_min, down_max = 0, 0.0, 0.0, 0.0, math.inf, -math.inf
    return alarms


def page_hinkley_river(series, delta, lam, alpha, min_instances):
    ph = river.drift.PageHinkley(min_instances=min_instances, delta=delta, threshold=lam, alpha=alpha)
    at = []
    for t, x in enumerate(series):
        ph.update(x)
        if ph.drift_detected:
            at.append(t)
    return at


def adwin_transcription(series, delta, value_range, min_window, max_window):
    """ADWIN (Bifet & Gavaldà 2007) with every split checked. A split W = W0·W1 (both at least
    min_window long) is a cut when |mean(W0) − mean(W1)| ≥ ε_cut, with
    ε_cut = sqrt(2/m · σ²_W · ln(2/δ')) + 2R/(3m) · ln(2/δ'), m = 1/(1/n0 + 1/n1), δ' = δ/n,
    σ²_W the population variance of W and R the width of the values' range (1 in the paper,
    whose values lie in [0, 1]). On a cut the older part up to the most significant cut
    (largest |mean(W0) − mean(W1)| / ε_cut) is dropped at once, and the check repeats; one
    alarm per step that dropped anything, carrying the first cut's direction."""

    def most_significant_cut(window):
        n = len(window)
        if n < 2 * min_window:
            return None
        mean = math.fsum(window) / n
        var = math.fsum((v - mean) ** 2 for v in window) / n
        log_term = math.log(2.0 / (delta / n))
        prefix = [0.0, *itertools.accumulate(window)]
        best = None
        for n0 in range(min_window, n - min_window + 1):
            n1 = n - n0
            mu0 = prefix[n0] / n0
            mu1 = (prefix[n] - prefix[n0]) / n1
            m = 1.0 / (1.0 / n0 + 1.0 / n1)
            eps = math.sqrt(2.0 / m * var * log_term) + 2.0 * value_range / (3.0 * m) * log_term
            gap = abs(mu0 - mu1)
            if gap >= eps and (best is None or gap / eps > best[0]):
                best = (gap / eps, n0, mu0, mu1, gap, eps)
        return best

    window, first_index, alarms = [], 0, []
    for t, x in enumerate(series):
        window.append(x)
        if len(window) > max_window:
            window.pop(0)
            first_index += 1
        cut = most_significant_cut(window)
        if cut is None:
            continue
        direction = "up" if cut[3] > cut[2] else "down"
        statistic, threshold = cut[4], cut[5]
        while cut is not None:
            n0 = cut[1]
            window = window[n0:]
            first_index += n0
            cut = most_significant_cut(window)
        alarms.append({"at": t, "change_at": first_index, "direction": direction, "statistic": statistic,
                       "threshold": threshold})
    return alarms


def detector_cases(rng):
    # Per-window KPI series: containment rate around 0.70 with noise, and a step to 0.75.
    stationary = rounded(rng.normal(0.70, 0.02, 2000))
    step_up = rounded(np.concatenate([rng.normal(0.70, 0.02, 400), rng.normal(0.75, 0.02, 400)]))
    step_down = rounded(np.concatenate([rng.normal(120.0, 8.0, 300), rng.normal(95.0, 8.0, 300)]))
    big_step_up = rounded(np.concatenate([rng.normal(0.70, 0.02, 400), rng.normal(0.80, 0.02, 400)]))
    two_steps = rounded(np.concatenate([rng.normal(0.2, 0.03, 250), rng.normal(0.35, 0.03, 250),
                                        rng.normal(0.2, 0.03, 250)]))

    ph_cases = []
    for name, series, change_at, params in [
        ("stationary_rate", stationary, None, {"delta": 0.01, "lambda": 0.2, "alpha": None, "min_instances": 30}),
        ("step_up_rate", step_up, 400, {"delta": 0.01, "lambda": 0.2, "alpha": None, "min_instances": 30}),
        ("step_up_rate_fading", step_up, 400, {"delta": 0.01, "lambda": 0.2, "alpha": 0.999, "min_instances": 30}),
        ("step_down_handle_time", step_down, 300, {"delta": 2.0, "lambda": 80.0, "alpha": None, "min_instances": 30}),
        ("two_steps_rate", two_steps, 250, {"delta": 0.02, "lambda": 0.3, "alpha": None, "min_instances": 30}),
    ]:
        alpha = 1.0 if params["alpha"] is None else params["alpha"]
        alarms = page_hinkley_transcription(series, params["delta"], params["lambda"], alpha, params["min_instances"])
        case = {"name": name, "params": params, "series": series, "change_at": change_at, "alarms": alarms}
        if river is not None:
            river_at = page_hinkley_river(series, params["delta"], params["lambda"], alpha, params["min_instances"])
            if river_at != [a["at"] for a in alarms]:
                sys.exit(f"Page-Hinkley transcription disagrees with river on {name}: {river_at} vs {alarms}")
            case["river_alarms_at"] = river_at
        ph_cases.append(case)

    adwin_cases = []
    defaults = {"delta": 0.002, "value_range": 1.0, "min_window": 5, "max_window": 10000}
    for name, series, change_at, overrides in [
        ("stationary_rate", stationary, None, {}),
        ("stationary_rate_narrow_range", stationary, None, {"value_range": 0.2}),
        ("big_step_up_rate", big_step_up, 400, {}),
        ("big_step_up_rate_narrow_range", big_step_up, 400, {"value_range": 0.2}),
        ("step_up_rate_loose_delta", step_up, 400, {"delta": 0.1}),
        ("step_down_handle_time", step_down, 300, {}),
        ("step_down_small_max_window", step_down, 300, {"max_window": 100}),
        ("two_steps_rate", two_steps, 250, {}),
    ]:
        params = {**defaults, **overrides}
        alarms = adwin_transcription(series, params["delta"], params["value_range"], params["min_window"],
                                     params["max_window"])
        adwin_cases.append({"name": name, "params": params, "series": series, "change_at": change_at,
                            "alarms": alarms})
    return ph_cases, adwin_cases


def main():
    rng = np.random.default_rng(20261101)
    ph_cases, adwin_cases = detector_cases(np.random.default_rng(7))
    expected = {
        "generated_by": "drift/reference/make_reference.py",
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "river": getattr(river, "__version__", None),
            "sklearn": sklearn.__version__,
        },
        "quantile_edges": quantile_edge_cases(rng),
        "shares": share_cases(),
        "kolmogorov_sf": kolmogorov_cases(),
        "numeric_features": numeric_cases(rng),
        "categorical_features": categorical_cases(rng),
        "page_hinkley": ph_cases,
        "adwin": adwin_cases,
        # Own generator, so adding these left every value above unchanged.
        "roc_auc": roc_auc_cases(np.random.default_rng(20261102)),
        "erfc": erfc_cases(),
        "oos": oos_cases(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "expected.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}")
    for case in expected["numeric_features"]:
        e = case["expected"]
        print(f"  numeric {case['name']:24} psi={e['psi']} js={e['js']} ks={e['ks']} ks_p={e['ks_p']} "
              f"wn={e['wasserstein_norm']} -> {e['verdict']}")
    for case in expected["categorical_features"]:
        e = case["expected"]
        print(f"  categorical {case['name']:20} psi={e['psi']} js={e['js']} unseen={e['unseen']} -> {e['verdict']}")
    for case in ph_cases:
        print(f"  page_hinkley {case['name']:22} alarms={[(a['at'], a['direction']) for a in case['alarms']]}")
    for case in adwin_cases:
        alarms = [(a["at"], a["change_at"], a["direction"]) for a in case["alarms"]]
        print(f"  adwin {case['name']:29} alarms={alarms}")


if __name__ == "__main__":
    main()
