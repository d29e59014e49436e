#!/usr/bin/env python3
"""Evaluator benchmark: calibration and CSAT drivers from the lake, convolens against
scikit-learn/scipy doing the same in the same run.

Builds (once, cached under --work) a lake of N labelled predictions and M conversations
with CSAT from `convolens generate`-style synthetic NDJSON written here (predictions with
their labels, plus whole conversations from `convolens generate` for the drivers), then:

- convolens: `convolens calibrate --format json` (all pairs, per model version and overall:
  bins, ECE, MCE, ACE, Brier) and `convolens csat-drivers --format json` (8 drivers);
- Python: pyarrow reads the same lake (events joined to their latest label; the
  conversation_facts view is read through `convolens query` into Parquet first, so both
  sides start from the same rows), then numpy/scikit-learn compute the calibration
  (`sklearn.calibration.calibration_curve`-style bins with numpy, `brier_score_loss`) and
  scipy the correlations (`pearsonr`, `spearmanr`).

Wall time, CPU time and peak RSS of each side come from os.wait4.

    python3 scripts/bench_evaluators.py --predictions 10000000 --conversations 1000000
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_e2e import default_binary, machine, run_child  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
INTENTS = [f"intent_{i:02d}" for i in range(40)]


def write_predictions(path: Path, predictions: int, seed: int) -> None:
    """Predictions of two model versions with a label each, over one day, miscalibrated
    like real routers (over-confident)."""
    rng = random.Random(seed)
    with path.open("w") as out:
        for i in range(predictions):
            version = "v1" if i % 3 else "v2"
            confidence = round(min(1.0, max(0.0, rng.betavariate(6, 2))), 4)
            intent = INTENTS[rng.randrange(len(INTENTS))]
            truth = intent if rng.random() < confidence * 0.9 else INTENTS[rng.randrange(len(INTENTS))]
            conversation = f"p{i // 4}"
            millis = 1_793_577_600_000 + (i * 8640) % 86_400_000  # 2026-11-02, spread over the day
            out.write(json.dumps({
                "event_id": f"pred-{i}", "event_type": "intent_predicted", "conversation_id": conversation,
                "occurred_at": millis, "intent": intent, "confidence": confidence, "model": "router",
                "model_version": version,
            }, separators=(",", ":")) + "\n")
            out.write(json.dumps({
                "event_id": f"label-{i}", "event_type": "intent_labeled", "conversation_id": conversation,
                "occurred_at": millis + 3_600_000, "prediction_event_id": f"pred-{i}", "true_intent": truth,
            }, separators=(",", ":")) + "\n")


PYTHON_SIDE = textwrap.dedent(r'''
    import sys, numpy as np, pyarrow.dataset as ds, pyarrow.compute as pc, pyarrow as pa
    from sklearn.metrics import brier_score_loss
    from scipy import stats
    lake, facts_path = sys.argv[1], sys.argv[2]
    events = ds.dataset(f"{lake}/events", format="parquet", partitioning="hive")
    preds = events.to_table(columns=["event_id", "model", "model_version", "intent", "confidence"],
                            filter=pc.field("event_type") == "intent_predicted")
    labels = events.to_table(columns=["prediction_event_id", "true_intent", "occurred_at", "event_id"],
                             filter=pc.field("event_type") == "intent_labeled")
    labels = labels.sort_by([("occurred_at", "descending"), ("event_id", "descending")])
    labels = labels.group_by("prediction_event_id", use_threads=False).aggregate([("true_intent", "first")])
    pairs = preds.join(labels, keys="event_id", right_keys="prediction_event_id", join_type="inner")
    c = pairs["confidence"].to_numpy()
    y = pc.equal(pairs["intent"], pairs["true_intent_first"]).to_numpy(zero_copy_only=False).astype(float)
    versions = pairs["model_version"].to_numpy(zero_copy_only=False)
    def calibration(c, y, B=10):
        edges = np.arange(1, B + 1) / B
        k = np.searchsorted(edges, c, side="left")  # bin (k-1)/B < c <= k/B, c = 0 in bin 1
        n = np.bincount(k, minlength=B); conf = np.bincount(k, c, B); acc = np.bincount(k, y, B)
        nz = n > 0; gap = np.abs(acc[nz] / n[nz] - conf[nz] / n[nz])
        order = np.argsort(c, kind="stable")
        groups = np.array_split(order, B)
        ace = sum(len(g) / len(c) * abs(y[g].mean() - c[g].mean()) for g in groups if len(g))
        return dict(n=len(c), ece=float((n[nz] / len(c) * gap).sum()), mce=float(gap.max()), ace=float(ace),
                    brier=float(brier_score_loss(y, c)), accuracy=float(y.mean()), mean_confidence=float(c.mean()))
    out = {"*": calibration(c, y)}
    for v in np.unique(versions):
        m = versions == v
        out[v] = calibration(c[m], y[m])
    facts = ds.dataset(facts_path, format="parquet").to_table()
    csat = facts["csat_5"].to_numpy(zero_copy_only=False)
    for d in ["contained", "handed_off", "handle_time_s", "bot_time_s", "queue_wait_s", "mean_confidence",
              "customer_messages", "kb_misses"]:
        x = np.array(facts[d].to_pylist(), dtype=float)
        m = ~np.isnan(x) & ~np.isnan(csat)
        if m.sum() >= 4 and np.ptp(x[m]) > 0:
            r, p = stats.pearsonr(x[m], csat[m]); rho, prho = stats.spearmanr(x[m], csat[m])
            out[d] = dict(n=int(m.sum()), r=float(r), p=float(p), rho=float(rho), p_rho=float(prho))
    print(out["*"]["ece"], len(out))
''')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", type=Path, default=default_binary())
    parser.add_argument("--predictions", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=REPO / "bench-e2e" / "evaluators")
    args = parser.parse_args()
    binary = str(args.bin.resolve())
    work = args.work / f"p{args.predictions}-c{args.conversations}"
    lake = work / "lake"
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "ready").exists():
        predictions = work / "predictions.ndjson"
        write_predictions(predictions, args.predictions, 5)
        traffic = work / "traffic.ndjson"
        subprocess.run([binary, "generate", "--conversations", str(args.conversations), "--days", "7", "--output",
                        str(traffic)], check=True, stderr=subprocess.DEVNULL)
        subprocess.run([binary, "ingest", "--input", str(predictions), str(traffic), "--lake", str(lake)], check=True)
        predictions.unlink()
        traffic.unlink()
        (work / "ready").write_text("")
    facts = work / "facts.parquet"
    if not facts.exists():
        # The facts as convolens defines them, for the Python side (it would otherwise have to
        # re-implement sessionisation): written once, outside the timed runs.
        subprocess.run(["python3", "-c", textwrap.dedent(f'''
            import json, subprocess, pyarrow as pa, pyarrow.parquet as pq
            out = subprocess.run(["{binary}", "query", "--lake", "{lake}", "--format", "json",
                "SELECT * FROM conversation_facts WHERE csat_5 IS NOT NULL"], check=True, capture_output=True).stdout
            pq.write_table(pa.Table.from_pylist(json.loads(out)), "{facts}")
        ''')], check=True)
    runs = []
    for name, argv in [
        ("convolens calibrate", [binary, "calibrate", "--lake", str(lake), "--format", "json"]),
        ("convolens csat-drivers", [binary, "csat-drivers", "--lake", str(lake), "--format", "json"]),
        ("numpy + scikit-learn + scipy (pyarrow read)", [sys.executable, "-c", PYTHON_SIDE, str(lake), str(facts)]),
    ]:
        wall, cpu, rss, code = run_child(argv, REPO, work / f"{name.split()[0]}-{len(runs)}.log")
        if code != 0:
            raise SystemExit(f"{name} failed: {(work / f'{name.split()[0]}-{len(runs)}.log').read_text()[-2000:]}")
        runs.append((name, wall, cpu, rss))
    print(f"\n{args.predictions:,} labelled predictions + {args.conversations:,} generated conversations; {machine()}")
    print("\n| side | wall s | CPU s | peak RSS MiB |\n|---|---:|---:|---:|")
    for name, wall, cpu, rss in runs:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")
    ours = runs[0][1] + runs[1][1]
    print(f"\nconvolens total {ours:.2f} s; Python {runs[2][1]:.2f} s; ratio {runs[2][1] / ours:.2f}×")


if __name__ == "__main__":
    main()
