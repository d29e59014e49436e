#!/usr/bin/env python3
"""Reference values for convolens-evaluators, computed independently of the Rust code.

Every expected number here comes from numpy / scipy / scikit-learn (mpmath for the
special functions) or from a direct transcription of the formula in
shared/contract/METRICS.md (§3, §4), never from the crate under test. The datasets are generated from fixed seeds, so re-running this script
reproduces expected.json byte for byte (given the same library versions, recorded in the
file).

Writes:
  expected.json      synthetic cases: inputs and reference outputs
  golden_small.json  calibration pairs and CSAT rows re-derived from the worked example
                     shared/examples/small.ndjson, with its small.expected.json answers

Usage: python3 make_reference.py [--examples DIR]   (see README.md)
"""

import argparse
import datetime as dt
import json
import math
import sqlite3
import sys
from pathlib import Path

import mpmath
import numpy as np
import scipy
import sklearn
from scipy import special, stats
from sklearn.calibration import calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LinearRegression, LogisticRegression

HERE = Path(__file__).resolve().parent

# Must be character-for-character the template of `calibration::BIN_SQL_EXPR` in
# src/calibration/binning.rs: the Rust test checks that, and this script checks that the
# SQL gives the METRICS §4 bin of every edge when run by a real SQL engine (SQLite).
BIN_SQL_EXPR = """CASE
  WHEN {c} IS NULL THEN NULL
  WHEN {c} <= 1 / CAST({b} AS DOUBLE) THEN 1
  WHEN {c} > ({b} - 1) / CAST({b} AS DOUBLE) THEN {b}
  ELSE CAST(ceil({c} * {b}) AS BIGINT)
    - CASE WHEN {c} <= (ceil({c} * {b}) - 1) / CAST({b} AS DOUBLE) THEN 1 ELSE 0 END
    + CASE WHEN {c} > ceil({c} * {b}) / CAST({b} AS DOUBLE) THEN 1 ELSE 0 END
END"""


def fl(values):
    return [float(v) for v in values]


# ---------------------------------------------------------------- calibration (METRICS §4)


def bin_ids(conf, bins):
    """1-based bin of each confidence: bin k holds c in (e[k-1], e[k]] with e[i] = i / B
    computed as a division (so the double nearest 0.3 is the edge between bins 3 and 4),
    c = 0 in bin 1. searchsorted(side='left') counts the inner edges strictly below c."""
    edges = np.arange(bins + 1, dtype=np.float64) / bins
    return np.searchsorted(edges[1:-1], np.asarray(conf, dtype=np.float64), side="left") + 1


def gap_summary(groups, n):
    """(ece, mce) over a list of (count, mean_conf, accuracy) groups."""
    gaps = [(count, abs(acc - conf)) for count, conf, acc in groups if count > 0]
    ece = float(sum(count / n * gap for count, gap in gaps))
    mce = float(max(gap for _, gap in gaps))
    return ece, mce


def calibration_report(conf, correct, bins):
    conf = np.asarray(conf, dtype=np.float64)
    y = np.asarray(correct, dtype=np.float64)
    n = len(conf)
    if n == 0:
        nulls = dict.fromkeys(["accuracy", "mean_confidence", "ece", "mce", "ace", "brier"])
        return {"n": 0, **nulls, "bins": []}
    ids = bin_ids(conf, bins)
    table = []
    for k in range(1, bins + 1):
        mask = ids == k
        count = int(mask.sum())
        if count == 0:
            continue
        table.append(
            {
                "bin": k,
                "count": count,
                "mean_confidence": float(conf[mask].sum() / count),
                "accuracy": float(y[mask].sum() / count),
                "lower": (k - 1) / bins,
                "upper": k / bins,
            }
        )
    ece, mce = gap_summary([(b["count"], b["mean_confidence"], b["accuracy"]) for b in table], n)
    order = np.argsort(conf, kind="stable")
    groups = [
        (len(g), float(conf[g].mean()) if len(g) else 0.0, float(y[g].mean()) if len(g) else 0.0)
        for g in np.array_split(order, bins)
    ]
    ace, _ = gap_summary(groups, n)
    return {
        "n": n,
        "accuracy": float(y.mean()),
        "mean_confidence": float(conf.mean()),
        "ece": ece,
        "mce": mce,
        "ace": ace,
        "brier": float(np.mean((conf - y) ** 2)),
        "bins": table,
    }


def assert_matches_sklearn(conf, correct, bins, report):
    """On data off the bin edges, scikit-learn's calibration_curve (linspace edges) must agree."""
    if len(conf) == 0 or len(set(correct)) < 2:
        return  # calibration_curve rejects a single label class
    prob_true, prob_pred = calibration_curve(correct, conf, n_bins=bins, strategy="uniform")
    assert np.allclose(prob_true, [b["accuracy"] for b in report["bins"]], rtol=0, atol=1e-12)
    assert np.allclose(prob_pred, [b["mean_confidence"] for b in report["bins"]], rtol=0, atol=1e-12)


def calibration_cases(rng):
    cases = []

    def add(name, conf, correct, bins=(10,), check_sklearn=True):
        conf = fl(conf)
        correct = [bool(v) for v in correct]
        reports = []
        for b in bins:
            report = calibration_report(conf, correct, b)
            if check_sklearn:
                assert_matches_sklearn(conf, correct, b, report)
            reports.append({"bins": b, "report": report})
        cases.append({"name": name, "confidence": conf, "correct": correct, "expected": reports})

    c = np.round(rng.uniform(0, 1, 50), 5)
    add("small_uniform", c, rng.uniform(size=50) < c**1.3)
    c = np.round(rng.beta(5, 2, 10_000), 6)
    y = rng.uniform(size=10_000) < 0.85 * c
    add("large_overconfident", c, y, bins=(10, 15, 100))
    c = np.round(np.concatenate([rng.uniform(0.6, 0.7, 40), rng.uniform(0.9, 1.0, 60)]), 5)
    add("empty_bins", c, rng.uniform(size=100) < c)
    c = np.round(rng.uniform(0.2, 1, 30), 4)
    add("all_correct", c, np.ones(30))
    add("all_wrong", c, np.zeros(30))
    c = np.array([0.0, 1.0] * 10 + [0.0, 0.0, 1.0])
    add("zeros_and_ones", c, rng.uniform(size=len(c)) < 0.5, check_sklearn=False)
    for bins in (1, 3, 7, 10, 20, 49, 100):
        c = np.repeat(np.arange(bins + 1) / bins, 2)
        add(f"every_edge_b{bins}", c, np.arange(len(c)) % 3 == 0, bins=(bins,), check_sklearn=False)
    add("fewer_pairs_than_bins", [0.35, 0.91, 0.62], [True, False, True])
    add("single_pair", [0.8], [True])
    add("empty", [], [])
    # Many equal confidences: ACE then depends on the stable order of equal keys.
    c = np.repeat([0.55, 0.7, 0.85], [17, 9, 11])
    add("ties_ace_stable", c, rng.uniform(size=len(c)) < 0.7, bins=(4, 10), check_sklearn=False)
    return cases


def check_bin_edges():
    """Every edge i/B (as a division) and its two neighbouring doubles, B = 1..=100, binned by
    numpy (bin_ids) and by the SQL template run in SQLite, against the rule stated directly:
    the edge e_i itself is in bin max(i, 1), the double below it in bin i, the one above in
    bin i + 1. The Rust test checks bin_of against the same statement."""
    con = sqlite3.connect(":memory:")
    for bins in range(1, 101):
        conf, want = [], []
        for i in range(bins + 1):
            edge = i / bins
            conf.append(edge)
            want.append(max(i, 1))
            if i > 0:
                conf.append(float(np.nextafter(edge, -1.0)))
                want.append(i)
            if i < bins:
                conf.append(float(np.nextafter(edge, 2.0)))
                want.append(i + 1)
        assert [int(v) for v in bin_ids(conf, bins)] == want, f"numpy binning is off for B = {bins}"
        sql = "SELECT " + BIN_SQL_EXPR.replace("{c}", "c").replace("{b}", str(bins)) + " FROM t ORDER BY i"
        con.execute("DROP TABLE IF EXISTS t")
        con.execute("CREATE TABLE t (i INTEGER, c REAL)")
        con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(conf)))
        assert [row[0] for row in con.execute(sql)] == want, f"SQL bin expression is off for B = {bins}"
    null_bin = con.execute("SELECT " + BIN_SQL_EXPR.replace("{c}", "NULL").replace("{b}", "10")).fetchone()[0]
    assert null_bin is None
    return "B = 1..=100, every edge i/B and its neighbouring doubles, in SQLite " + sqlite3.sqlite_version


# ---------------------------------------------------------------- correlation (METRICS §3)


def fisher_ci(r, n):
    if abs(r) == 1:
        return r, r  # atanh(±1) = ±inf and tanh(±inf) = ±1
    z = math.atanh(r)
    half = 1.959964 / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


def correlation(x, y):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = len(x)
    if n < 4 or np.all(x == x[0]) or np.all(y == y[0]):
        return {"n": n, "r": None, "p": None, "ci_low": None, "ci_high": None, "rho": None, "p_rho": None}
    pearson = stats.pearsonr(x, y)
    spearman = stats.spearmanr(x, y)
    r = float(pearson.statistic)
    # scipy's own Fisher interval uses the normal quantile 1.959963984540054; METRICS fixes
    # 1.959964, so the interval is the formula, checked against scipy's to 1e-6.
    low, high = fisher_ci(r, n)
    if abs(r) < 1:
        ci = pearson.confidence_interval(0.95)
        assert abs(ci.low - low) < 1e-6 and abs(ci.high - high) < 1e-6
    # The p-value of rho by hand too: Student t with n - 2 df, as METRICS says.
    rho = float(spearman.statistic)
    if abs(rho) < 1:
        t = rho * math.sqrt((n - 2) / ((1 + rho) * (1 - rho)))
        assert math.isclose(2 * stats.t.sf(abs(t), n - 2), spearman.pvalue, rel_tol=1e-9, abs_tol=1e-300)
    return {
        "n": n,
        "r": r,
        "p": float(pearson.pvalue),
        "ci_low": low,
        "ci_high": high,
        "rho": rho,
        "p_rho": float(spearman.pvalue),
    }


def correlation_cases(rng):
    cases = []

    def add(name, x, y):
        x, y = fl(np.round(x, 6)), fl(np.round(y, 6))
        cases.append({"name": name, "x": x, "y": y, "expected": correlation(x, y)})

    x = rng.normal(size=30)
    add("normal_n30", x, 0.4 * x + rng.normal(size=30))
    x = rng.normal(size=500)
    add("normal_n500_weak", x, 0.05 * x + rng.normal(size=500))
    x = rng.normal(size=200)
    add("normal_n200_strong", x, x + 0.9 * rng.normal(size=200))
    x = rng.normal(size=10_000)
    add("normal_n10000", x, 0.02 * x + rng.normal(size=10_000))
    add("minimal_n4", [1.0, 2.0, 3.5, 3.0], [2.0, 1.0, 4.0, 5.0])
    add("too_few_n3", [1.0, 2.0, 3.0], [3.0, 1.0, 2.0])
    add("constant_x", [2.0] * 10, rng.normal(size=10))
    add("constant_y", rng.normal(size=10), [4.0] * 10)
    # Driver-like data: booleans and small counts (many ties) against a 1-5 CSAT.
    csat = rng.integers(1, 6, size=60).astype(float)
    add("boolean_driver_ties", (rng.uniform(size=60) < 0.4 + 0.1 * (csat - 3)).astype(float), csat)
    add("count_driver_ties", rng.poisson(3, size=60).astype(float), csat)
    x = rng.normal(size=25)
    add("perfect_negative", x, -2.0 * x + 1.0)
    return cases


def student_t_cases():
    """Two-sided p of Student t and the regularized incomplete beta at 50 significant digits
    (mpmath), evaluated at the exact double inputs. scipy is checked against them only to
    1e-8: its stdtr is off by up to ~3e-9 relative for tiny t (t = 1e-8, df = 1 gives
    0.99999999051 where 1 - 2 atan(t)/pi = 0.99999999363)."""
    mpmath.mp.dps = 50
    t_cases = []
    for df in (1, 2, 3, 4, 5, 7, 10, 16, 30, 58, 100, 998, 9998, 100_000):
        for t in (0.0, 1e-8, 0.05, 0.5, 1.0, 1.7, 2.0, 2.5, 4.0, 8.0, 20.0, 60.0):
            t2 = mpmath.mpf(t) ** 2
            p = float(mpmath.betainc(mpmath.mpf(df) / 2, mpmath.mpf(1) / 2, 0, df / (df + t2), regularized=True))
            if p > 1e-300:
                assert math.isclose(p, 2 * stats.t.sf(t, df), rel_tol=1e-8), (t, df)
                t_cases.append({"t": t, "df": df, "two_sided_p": p})
    beta_cases = []
    for a in (0.5, 1.0, 2.5, 7.0, 31.0, 500.0, 5000.0):
        for b in (0.5, 1.0, 3.0, 12.0, 200.0):
            for x in (1e-10, 0.001, 0.1, 0.3, 0.5, 0.77, 0.9, 0.999, 1 - 1e-9):
                v = float(mpmath.betainc(a, b, 0, mpmath.mpf(x), regularized=True))
                if v > 1e-300:
                    assert math.isclose(v, special.betainc(a, b, x), rel_tol=1e-8), (a, b, x)
                    beta_cases.append({"a": a, "b": b, "x": x, "value": v})
    return t_cases, beta_cases


# ---------------------------------------------------------------- OLS on standardised data


def standardise(v):
    return (v - v.mean()) / v.std()


def ols_reference(rows, y):
    """Standardised OLS as scikit-learn's LinearRegression fits it (the Rust side uses
    linfa-linear), after the same column screening: constant columns and columns that do
    not raise the rank are left out. numpy lstsq must agree with scikit-learn (to 1e-10
    relative: one case is ill-conditioned on purpose)."""
    X = np.asarray(rows, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, k = X.shape
    kept = []
    for j in range(k):
        if np.all(X[:, j] == X[0, j]):
            continue  # constant: no standardised column exists
        trial = kept + [j]
        Z = np.column_stack([standardise(X[:, i]) for i in trial])
        if np.linalg.matrix_rank(Z) == len(trial):
            kept = trial  # otherwise a linear combination of earlier columns: dropped
    Z = np.column_stack([standardise(X[:, i]) for i in kept])
    zy = standardise(y)
    model = LinearRegression().fit(Z, zy)
    r2 = float(model.score(Z, zy))
    beta, *_ = np.linalg.lstsq(Z, zy, rcond=None)
    resid = zy - Z @ beta
    assert np.allclose(model.coef_, beta, rtol=1e-10, atol=1e-12), (model.coef_ - beta)
    assert abs(model.intercept_) < 1e-12, model.intercept_
    assert abs(r2 - (1 - resid @ resid / (zy @ zy))) < 1e-12
    coefficients = [None] * k
    for j, b in zip(kept, model.coef_):
        coefficients[j] = float(b)
    return {"n": n, "coefficients": coefficients, "r2": r2}


def ols_cases(rng):
    cases = []
    n = 300
    X = np.column_stack(
        [np.round(rng.normal(size=n), 6), rng.uniform(size=n) < 0.3, rng.poisson(4, size=n), np.full(n, 7.0)]
    ).astype(float)
    y = np.round(3.2 + 0.5 * X[:, 0] - 1.0 * X[:, 1] + 0.1 * X[:, 2] + rng.normal(size=n), 6)
    cases.append({"name": "three_drivers_one_constant", "rows": X.tolist(), "y": fl(y), "expected": ols_reference(X, y)})
    n = 80
    a, b = np.round(rng.normal(size=n), 6), np.round(rng.normal(size=n), 6)
    X = np.column_stack([a, b, 2.0 * a, np.round(rng.normal(size=n), 6)])
    y = np.round(a - b + rng.normal(size=n), 6)
    cases.append({"name": "collinear_column", "rows": X.tolist(), "y": fl(y), "expected": ols_reference(X, y)})

    # Later cases draw from their own generator, so that adding them left every other
    # dataset in this file unchanged.
    own = np.random.default_rng(20261121)
    n = 1000
    contained = own.uniform(size=n) < 0.6
    handle = np.where(contained, 0.0, np.round(own.gamma(2.0, 300.0, size=n), 1))
    X = np.column_stack(
        [
            contained,  # contained
            ~contained,  # handed_off: the exact complement in this window
            handle,  # handle_time_s
            np.round(own.gamma(2.0, 60.0, size=n), 1),  # bot_time_s
            np.where(contained, 0.0, np.round(own.exponential(90.0, size=n), 1)),  # queue_wait_s
            np.round(own.beta(6, 2, size=n), 4),  # mean_confidence
            own.poisson(5, size=n) + 1,  # customer_messages
            own.poisson(0.4, size=n),  # kb_misses
        ]
    ).astype(float)
    latent = 3.4 + 0.6 * X[:, 0] - 0.0008 * X[:, 2] - 0.004 * X[:, 4] + 0.8 * X[:, 5] - 0.3 * X[:, 7]
    y = np.clip(np.round(latent + own.normal(scale=0.9, size=n)), 1, 5)
    cases.append({"name": "metrics_drivers_1000", "rows": X.tolist(), "y": fl(y), "expected": ols_reference(X, y)})
    # Nearly but not exactly collinear (residual share ~1e-6, kept): an ill-conditioned solve.
    n = 400
    a = np.round(own.normal(size=n), 6)
    X = np.column_stack([a, a + np.round(1e-3 * own.normal(size=n), 9), np.round(own.normal(size=n), 6)])
    y = np.round(a + X[:, 2] + own.normal(size=n), 6)
    cases.append({"name": "near_collinear_kept", "rows": X.tolist(), "y": fl(y), "expected": ols_reference(X, y)})
    return cases


# ---------------------------------------------------------------- recalibration


EPS = 1e-6


def logit(c):
    c = np.clip(np.asarray(c, dtype=np.float64), EPS, 1 - EPS)
    return np.log(c / (1 - c))


def newton_logistic(x, y):
    """Unpenalised logistic regression by Newton's method, to cross-check scikit-learn."""
    a, b = 0.0, 0.0
    for _ in range(100):
        p = special.expit(a * x + b)
        w = p * (1 - p)
        grad = np.array([np.sum((y - p) * x), np.sum(y - p)])
        hess = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]])
        step = np.linalg.solve(hess, grad)
        a, b = a + step[0], b + step[1]
        if np.max(np.abs(step)) < 1e-14:
            break
    return a, b


PROBE = [0.0, 1e-9, 0.01, 0.1, 0.25, 0.3, 0.5, 0.61, 0.75, 0.9, 0.99, 1.0]


def platt_cases(rng):
    cases = []

    def add(name, conf, correct):
        conf = np.asarray(conf, dtype=np.float64)
        y = np.asarray(correct, dtype=np.float64)
        x = logit(conf)
        model = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(x.reshape(-1, 1), y)
        a, b = float(model.coef_[0][0]), float(model.intercept_[0])
        na, nb = newton_logistic(x, y)
        assert abs(a - na) < 1e-6 and abs(b - nb) < 1e-6, (name, a, na, b, nb)
        calibrated = model.predict_proba(logit(PROBE).reshape(-1, 1))[:, 1]
        cases.append(
            {
                "name": name,
                "confidence": fl(conf),
                "correct": [bool(v) for v in correct],
                "a": a,
                "b": b,
                "probe": PROBE,
                "calibrated": fl(calibrated),
            }
        )

    c = np.round(rng.beta(4, 2, 2000), 6)
    add("overconfident_2000", c, rng.uniform(size=2000) < special.expit(0.6 * logit(c) - 0.4))
    c = np.round(rng.uniform(0.05, 0.95, 40), 3)
    add("small_40", c, rng.uniform(size=40) < c)
    c = np.concatenate([[0.0, 0.0, 1.0, 1.0, 1.0], np.round(rng.uniform(0, 1, 60), 4)])
    y = rng.uniform(size=len(c)) < np.clip(c, 0.2, 0.8)
    y[:5] = [False, True, True, False, True]
    add("with_exact_zero_and_one", c, y)
    return cases


def isotonic_cases(rng):
    cases = []

    def add(name, conf, correct, probe=PROBE):
        conf = np.asarray(conf, dtype=np.float64)
        y = np.asarray(correct, dtype=np.float64)
        model = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(conf, y)
        cases.append(
            {
                "name": name,
                "confidence": fl(conf),
                "correct": [bool(v) for v in correct],
                "x": fl(model.X_thresholds_),
                "y": fl(model.y_thresholds_),
                "probe": fl(probe),
                "calibrated": fl(model.predict(np.asarray(probe, dtype=np.float64))),
            }
        )

    c = np.round(rng.beta(4, 2, 2000), 2)  # two decimals: many duplicate x to average
    add("rounded_2000", c, rng.uniform(size=2000) < c**2)
    c = np.round(rng.uniform(0.3, 0.8, 25), 3)
    add("small_25_clipped", c, rng.uniform(size=25) < c)
    # Values closer than numpy's float64 resolution (1e-15) are one x for scikit-learn.
    c = [0.2, 0.5, np.nextafter(0.5, 1.0), 0.5, 0.7, 0.7 + 4e-16, 0.9]
    add("near_duplicates", c, [False, True, False, False, True, False, True])
    add("single_x", [0.6, 0.6, 0.6], [True, False, True], probe=[0.1, 0.6, 0.9])
    add("all_correct", [0.3, 0.5, 0.9], [True, True, True])
    add("all_wrong", [0.3, 0.5, 0.9], [False, False, False])
    add("decreasing_pooled", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [True, True, False, True, False, False])
    return cases


def threshold_reference(calibrated, correct, target):
    cal = np.asarray(calibrated, dtype=np.float64)
    y = np.asarray(correct, dtype=bool)
    best = None
    for t in np.unique(cal):
        mask = cal >= t
        if y[mask].sum() / mask.sum() >= target and (best is None or t < best):
            best = float(t)
    return best


def threshold_cases(rng, isotonic):
    cases = []

    def add(name, calibrated, correct, target):
        cases.append(
            {
                "name": name,
                "calibrated": fl(calibrated),
                "correct": [bool(v) for v in correct],
                "target": target,
                "expected": threshold_reference(calibrated, correct, target),
            }
        )

    big = isotonic[0]
    model = IsotonicRegression(out_of_bounds="clip").fit(big["confidence"], np.asarray(big["correct"], float))
    calibrated = model.predict(np.asarray(big["confidence"]))
    add("isotonic_2000_target_0_90", calibrated, big["correct"], 0.90)
    add("isotonic_2000_target_0_75", calibrated, big["correct"], 0.75)
    # Not monotone in t: a high-confidence wrong answer makes the top unreachable, a lower t works.
    add("non_monotone", [0.95, 0.9, 0.8, 0.7, 0.6], [False, True, True, True, False], 0.75)
    add("ties_share_fate", [0.9, 0.9, 0.9, 0.5], [True, True, False, True], 0.7)
    add("exact_target", [0.9] * 10, [True] * 9 + [False], 0.9)
    add("unreachable", [0.9, 0.8], [False, False], 0.9)
    add("empty", [], [], 0.9)
    c = np.round(rng.uniform(size=300), 3)
    add("random_300", c, rng.uniform(size=300) < c, 0.85)
    return cases


# ---------------------------------------------------------------- golden worked example


def parse_time(value):
    """Event time of EVENTS.md as epoch microseconds, or None when invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        micros = value * 1000
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            return None
        micros = (parsed - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1)
    else:
        return None
    if not (0 <= micros < 7258118400 * 1_000_000):  # 1970-01-01 .. 2200-01-01
        return None
    return micros


def nonempty_str(v, max_len=None):
    return isinstance(v, str) and len(v) > 0 and (max_len is None or len(v) <= max_len)


def valid_prediction_or_label(e):
    """The EVENTS.md rules that concern intent_predicted and intent_labeled."""
    if not (nonempty_str(e.get("event_id"), 128) and nonempty_str(e.get("conversation_id"), 128)):
        return False
    if parse_time(e.get("occurred_at")) is None:
        return False
    version = e.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version > 1:
        return False
    if e["event_type"] == "intent_predicted":
        c = e.get("confidence")
        ok_conf = isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) and 0 <= c <= 1
        return ok_conf and nonempty_str(e.get("intent")) and nonempty_str(e.get("model"))
    return nonempty_str(e.get("prediction_event_id")) and nonempty_str(e.get("true_intent"))


def golden(examples):
    expected = json.loads((examples / "small.expected.json").read_text())
    predictions, labels, seen = {}, {}, set()
    for raw in (examples / "small.ndjson").read_bytes().splitlines():
        try:
            e = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if not isinstance(e, dict) or e.get("event_type") not in ("intent_predicted", "intent_labeled"):
            continue
        if not valid_prediction_or_label(e) or e["event_id"] in seen:
            continue
        seen.add(e["event_id"])
        if e["event_type"] == "intent_predicted":
            predictions[e["event_id"]] = e
        else:
            key = (parse_time(e["occurred_at"]), e["event_id"])
            old = labels.get(e["prediction_event_id"])
            if old is None or key > old[0]:
                labels[e["prediction_event_id"]] = (key, e)
    groups = {}
    for pid, (_, label) in sorted(labels.items()):
        p = predictions.get(pid)
        if p is None:
            continue
        pair = {"confidence": float(p["confidence"]), "correct": p["intent"] == label["true_intent"]}
        groups.setdefault(f"{p['model']}/{p.get('model_version')}", []).append(pair)
        groups.setdefault("*/*", []).append(pair)
    calibration = []
    for key, pairs in sorted(groups.items()):
        want = expected["calibration"][key]
        mine = calibration_report([q["confidence"] for q in pairs], [q["correct"] for q in pairs], 10)
        for field in ("n", "accuracy", "mean_confidence", "ece", "mce", "ace", "brier"):
            assert math.isclose(mine[field], want[field], rel_tol=0, abs_tol=1e-12), (key, field)
        assert [b["bin"] for b in mine["bins"]] == [b["bin"] for b in want["bins"]], key
        calibration.append({"group": key, "pairs": pairs, "expected": want})
    assert sorted(groups) == sorted(expected["calibration"]), "groups differ from the worked example"

    facts = [f for f in expected["conversation_facts"] if f["csat_5"] is not None]
    drivers = []
    for driver, want in expected["csat_correlation"].items():
        rows = [(float(f[driver]), float(f["csat_5"])) for f in facts if f[driver] is not None]
        x, y = [r[0] for r in rows], [r[1] for r in rows]
        mine = correlation(x, y)
        if want is None:
            assert mine["r"] is None, driver
        else:
            for field, value in want.items():
                assert math.isclose(mine[field], value, rel_tol=1e-9, abs_tol=1e-12), (driver, field)
        drivers.append({"driver": driver, "x": x, "y": y, "expected": want})
    return {"source": "shared/examples/small.ndjson + small.expected.json", "calibration": calibration, "csat": drivers}


# ----------------------------------------------------------------


def write(path, payload):
    path.write_text(json.dumps(payload, allow_nan=False, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=Path, default=HERE.parents[2] / "shared" / "examples")
    args = parser.parse_args()

    rng = np.random.default_rng(20261120)
    t_cases, beta_cases = student_t_cases()
    isotonic = isotonic_cases(rng)
    expected = {
        "generator": "evaluators/reference/make_reference.py",
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "mpmath": mpmath.__version__,
        },
        "bin_sql_template": BIN_SQL_EXPR,
        "calibration": calibration_cases(rng),
        "bin_sql_checked": check_bin_edges(),
        "correlation": correlation_cases(rng),
        "student_t": t_cases,
        "betainc": beta_cases,
        "ols": ols_cases(rng),
        "platt": platt_cases(rng),
        "isotonic": isotonic,
        "threshold": threshold_cases(rng, isotonic),
    }
    write(HERE / "expected.json", expected)
    if (args.examples / "small.ndjson").exists():
        write(HERE / "golden_small.json", golden(args.examples))
    else:
        print(f"no worked example under {args.examples}; golden_small.json left as it is")


if __name__ == "__main__":
    main()
