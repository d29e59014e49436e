#!/usr/bin/env python3
"""Drift benchmark: 1 M current against 1 M reference conversations over the 12 default
features, convolens against Evidently's data-drift report on the same data, same run.

Writes a reference and a current sample (seeded numpy; numeric and categorical features
shaped like support traffic, the current one shifted in a few features) as Parquet, then
times, each in a child process (wall, CPU and peak RSS from os.wait4):

- convolens: `examples/drift_files.rs` (release build; the drift crate's exact profile of
  the reference, then PSI, JS, KS + p, Wasserstein per feature; it reports the Parquet
  read and the drift computation separately);
- Evidently: `Report([DataDriftPreset()])` on the same two DataFrames (pandas read of the
  same Parquet files, timed separately from the report).

    python3 scripts/bench_drift.py --rows 1000000
    # needs: pip install evidently pyarrow numpy 'pandas<3' (evidently 0.7 does not import under pandas 3) (the harness is built by cargo test --no-run)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_e2e import machine, run_child  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def write_samples(work: Path, rows: int) -> tuple[Path, Path]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    intents = np.array([f"intent_{i:02d}" for i in range(60)])

    def sample(seed: int, shifted: bool) -> pa.Table:
        rng = np.random.default_rng(seed)
        weights = np.linspace(1, 3, len(intents)) if shifted else np.ones(len(intents))
        weights = weights / weights.sum()
        handed = rng.random(rows) < (0.45 if shifted else 0.35)
        handle = np.where(handed, rng.gamma(4, 90, rows), np.nan)
        lookups = rng.integers(0, 4, rows)
        misses = rng.binomial(lookups, 0.3)
        return pa.table({
            "intent": rng.choice(intents, rows, p=weights),
            "model_version": rng.choice(["v7", "v8"], rows, p=[0.5, 0.5]),
            "confidence": np.clip(rng.beta(6 if not shifted else 4, 2, rows), 0, 1),
            "tool_latency_ms": rng.lognormal(5, 0.6, rows),
            "message_length": rng.poisson(48, rows).astype(float),
            "channel": rng.choice(["chat", "messaging", "voice", "email"], rows, p=[0.5, 0.25, 0.15, 0.1]),
            "handoff_reason": np.where(handed, rng.choice(["low_confidence", "customer_request", "policy"], rows), None),
            "disposition": rng.choice(["resolved", "unresolved", "abandoned"], rows, p=[0.7, 0.2, 0.1]),
            "customer_messages": rng.poisson(4, rows).astype(float),
            "bot_time_s": rng.gamma(3, 40, rows),
            "handle_time_s": handle,
            "kb_miss_rate": np.where(lookups > 0, misses / np.maximum(lookups, 1), np.nan),
        })

    reference, current = work / "reference.parquet", work / "current.parquet"
    if not reference.exists():
        pq.write_table(sample(1, False), reference)
        pq.write_table(sample(2, True), current)
    return reference, current


EVIDENTLY = textwrap.dedent(r'''
    import sys, time, pandas as pd
    t0 = time.perf_counter()
    ref, cur = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
    t1 = time.perf_counter()
    try:
        from evidently import Report
        from evidently.presets import DataDriftPreset
        snapshot = Report([DataDriftPreset()]).run(reference_data=ref, current_data=cur)
        result = snapshot.dict()
    except ImportError:
        from evidently.report import Report
        from evidently.metric_preset import DataDriftPreset
        report = Report(metrics=[DataDriftPreset()])
        report.run(reference_data=ref, current_data=cur)
        result = report.as_dict()
    t2 = time.perf_counter()
    print(f"read {t1 - t0:.3f} report {t2 - t1:.3f}")
''')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=REPO / "bench-e2e" / "drift")
    parser.add_argument("--harness", type=Path, default=None, help="drift_files binary (default: built with cargo)")
    args = parser.parse_args()
    work = args.work / f"rows{args.rows}"
    work.mkdir(parents=True, exist_ok=True)
    reference, current = write_samples(work, args.rows)
    harness = args.harness
    if harness is None:
        # The test build builds the examples too, with the features the tests use, so this
        # reuses the test profile's artifacts instead of compiling DataFusion once more.
        subprocess.run(["cargo", "test", "--release", "--workspace", "--no-run"], cwd=REPO, check=True,
                       stderr=subprocess.DEVNULL)
        target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
        harness = target / "release" / "examples" / "drift_files"
    wall, cpu, rss, code = run_child([str(harness), str(reference), str(current)], REPO, work / "convolens.log")
    log = (work / "convolens.log").read_text()
    if code != 0:
        raise SystemExit(log)
    ours = json.loads(log.splitlines()[-1])
    e_wall, e_cpu, e_rss, code = run_child([sys.executable, "-c", EVIDENTLY, str(reference), str(current)], REPO,
                                           work / "evidently.log")
    e_log = (work / "evidently.log").read_text()
    if code != 0:
        raise SystemExit(e_log[-3000:])
    e_read, e_report = (float(x) for x in e_log.split()[-3::2])
    drifted = [f["feature"] for f in ours["features"] if f["verdict"] == "drift"]
    print(f"\n{args.rows:,} reference and {args.rows:,} current rows, 12 features; {machine()}")
    print("\n| side | drift s | read s | process wall s | CPU s | peak RSS MiB |\n|---|---:|---:|---:|---:|---:|")
    print(f"| convolens (drift crate) | {ours['drift_s']:.2f} | {ours['read_s']:.2f} | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")
    print(f"| Evidently DataDriftPreset | {e_report:.2f} | {e_read:.2f} | {e_wall:.2f} | {e_cpu:.2f} | {e_rss:.0f} |")
    print(f"\nratio (Evidently report / convolens drift): {e_report / ours['drift_s']:.1f}×; convolens drifted: {drifted}")


if __name__ == "__main__":
    main()
