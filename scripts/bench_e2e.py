#!/usr/bin/env python3
"""End-to-end benchmark: `convolens ingest` against DuckDB landing the same NDJSON.

Generates seeded dirty traffic with `convolens generate` (duplicates, invalid lines of
every kind, late and out-of-order arrivals), then lands it twice, each in a child
process whose wall time, CPU time and peak RSS are taken from os.wait4:

- convolens: `convolens ingest --input F --lake L` (validation, redaction,
  de-duplication, sessionisation, three tables, zstd Parquet by date);
- DuckDB (2 threads): `read_ndjson` with an explicit type for every envelope and type
  field, `COPY … TO … (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date))`, i.e.
  typed Parquet by date of occurred_at with no de-duplication, no sessionisation and no
  dead letters (fields that do not parse become NULL under ignore_errors; rows missing a
  required field or with occurred_at outside 1970–2200 are filtered out).

It builds nothing: point --bin at a release binary. It prints a markdown table and
appends nothing anywhere; the figures go into BENCHMARKS.md by hand.

    python3 scripts/bench_e2e.py --bin /root/.cache/convolens-target/release/convolens
    python3 scripts/bench_e2e.py --conversations 730000 --days 30 --skip-duckdb   # 10 M lines
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# `convolens generate` makes about 14.2 lines per conversation with its default rates
# (measured: 10 000 conversations -> 142 016 lines), so this gives about 1 M lines.
DEFAULT_CONVERSATIONS = 70_000
DEFAULT_DAYS = 7.0
DEFAULT_SEED = 42
DUCKDB_THREADS = 2

# Every field of EVENTS.md with the type the lake gives it. `occurred_at` is an RFC 3339
# string or integer epoch milliseconds, so it is read as JSON and converted below;
# `score` is a float for kb_lookup and an integer for csat_submitted, so it is read as a
# DOUBLE and split by event_type like the lake's `kb_score` / `score` columns.
DUCKDB_COLUMNS = {
    "event_id": "VARCHAR",
    "event_type": "VARCHAR",
    "schema_version": "BIGINT",
    "tenant_id": "VARCHAR",
    "conversation_id": "VARCHAR",
    "occurred_at": "JSON",
    "customer_id": "VARCHAR",
    "channel": "VARCHAR",
    "seq": "BIGINT",
    "locale": "VARCHAR",
    "bot_version": "VARCHAR",
    "actor": "VARCHAR",
    "text": "VARCHAR",
    "intent": "VARCHAR",
    "confidence": "DOUBLE",
    "model": "VARCHAR",
    "model_version": "VARCHAR",
    "is_oos": "BOOLEAN",
    "ranking": "STRUCT(intent VARCHAR, confidence DOUBLE)[]",
    "embedding": "FLOAT[]",
    "tool": "VARCHAR",
    "latency_ms": "DOUBLE",
    "ok": "BOOLEAN",
    "hit": "BOOLEAN",
    "article_id": "VARCHAR",
    "score": "DOUBLE",
    "query": "VARCHAR",
    "reason": "VARCHAR",
    "queue": "VARCHAR",
    "agent_id": "VARCHAR",
    "disposition": "VARCHAR",
    "ended_by": "VARCHAR",
    "scale": "INTEGER",
    "comment": "VARCHAR",
    "prediction_event_id": "VARCHAR",
    "true_intent": "VARCHAR",
    "labeler": "VARCHAR",
}

# Columns copied as read; the ones computed in the SELECT are listed there.
PASSTHROUGH = [
    name
    for name in DUCKDB_COLUMNS
    if name not in {"schema_version", "tenant_id", "occurred_at", "score", "scale"}
]

DUCKDB_CHILD = r"""
import json, sys, time
import duckdb
started = time.perf_counter()
con = duckdb.connect()
con.execute("SET threads = %d" % int(sys.argv[3]))
con.execute("SET TimeZone = 'UTC'")
con.execute(sys.argv[1])
print(json.dumps({"copy_s": time.perf_counter() - started}))
"""


def duckdb_copy_sql(ndjson: Path, out_dir: Path) -> str:
    columns = ", ".join(f"{name}: '{kind}'" for name, kind in DUCKDB_COLUMNS.items())
    passthrough = ", ".join(PASSTHROUGH)
    return f"""
COPY (
  SELECT * EXCLUDE (ts), CAST(ts AS DATE) AS date
  FROM (
    SELECT
      {passthrough},
      COALESCE(schema_version, 1) AS schema_version,
      COALESCE(tenant_id, 'default') AS tenant_id,
      CASE json_type(occurred_at)
        WHEN 'VARCHAR' THEN TRY_CAST(occurred_at ->> '$' AS TIMESTAMPTZ)
        WHEN 'UBIGINT' THEN CAST(epoch_ms(CAST(occurred_at AS BIGINT)) AS TIMESTAMPTZ)
        WHEN 'BIGINT' THEN CAST(epoch_ms(CAST(occurred_at AS BIGINT)) AS TIMESTAMPTZ)
      END AS ts,
      ts AS occurred_at,
      CASE WHEN event_type = 'kb_lookup' THEN score END AS kb_score,
      CASE WHEN event_type = 'csat_submitted' THEN CAST(score AS INTEGER) END AS score,
      CASE WHEN event_type = 'csat_submitted' THEN COALESCE(scale, 5) END AS scale
    FROM read_ndjson('{ndjson}', columns = {{{columns}}}, ignore_errors = true)
  )
  -- The checks a SQL landing job would make: required fields present, time in range.
  WHERE event_id IS NOT NULL AND event_type IS NOT NULL AND conversation_id IS NOT NULL
    AND ts >= TIMESTAMPTZ '1970-01-01 00:00:00+00' AND ts < TIMESTAMPTZ '2201-01-01 00:00:00+00'
) TO '{out_dir}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date))
"""


@dataclass
class Run:
    engine: str
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    rows_out: int
    note: str = ""


def run_child(argv: list[str], cwd: Path, log: Path) -> tuple[float, float, float, int]:
    """Runs argv to completion; returns (wall s, user+sys CPU s, peak RSS MiB, exit code)."""
    with open(log, "wb") as out:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB.
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode


def generate(binary: Path, ndjson: Path, args: argparse.Namespace) -> float:
    argv = [
        str(binary), "generate", "--output", str(ndjson), "--conversations", str(args.conversations),
        "--days", str(args.days), "--seed", str(args.seed),
    ]
    print("$", " ".join(argv), file=sys.stderr)
    started = time.perf_counter()
    subprocess.run(argv, check=True)
    return time.perf_counter() - started


def count_lines(path: Path) -> int:
    # Also pulls the file into the page cache, so neither engine pays for a cold read.
    lines = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            lines += chunk.count(b"\n")
    return lines


def count_parquet_rows(glob: str) -> int:
    import duckdb

    return duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning = false)").fetchall()[0][0]


def run_convolens(binary: Path, ndjson: Path, workdir: Path, workers: int | None) -> Run:
    lake = workdir / "lake-convolens"
    shutil.rmtree(lake, ignore_errors=True)
    argv = [str(binary), "ingest", "--input", str(ndjson), "--lake", str(lake)]
    if workers:
        argv += ["--workers", str(workers)]
    print("$", " ".join(argv), file=sys.stderr)
    log = workdir / "convolens-ingest.log"
    wall, cpu, rss, code = run_child(argv, workdir, log)
    summary = log.read_text(errors="replace").strip()
    if code != 0:
        raise SystemExit(f"convolens ingest failed ({code}):\n{summary}")
    found = re.search(r"ingested (\d+) lines: (\d+) events, (\d+) duplicates, (\d+) dead letters, (\d+) conversations", summary)
    rows = count_parquet_rows(f"{lake}/events/*/*.parquet")
    note = ""
    if found:
        lines, events, dups, dead, convs = (int(g) for g in found.groups())
        note = f"{events} events, {dups} duplicates, {dead} dead letters, {convs} conversations"
        if events != rows:
            note += f" (summary says {events} events, lake has {rows})"
    return Run("convolens ingest", wall, cpu, rss, rows, note)


def run_duckdb(ndjson: Path, workdir: Path) -> Run:
    out_dir = workdir / "lake-duckdb"
    shutil.rmtree(out_dir, ignore_errors=True)
    sql = duckdb_copy_sql(ndjson, out_dir)
    (workdir / "duckdb-copy.sql").write_text(sql)
    argv = [sys.executable, "-c", DUCKDB_CHILD, sql, str(out_dir), str(DUCKDB_THREADS)]
    print(f"$ python3 -c <duckdb child> (threads={DUCKDB_THREADS}; SQL in {workdir / 'duckdb-copy.sql'})", file=sys.stderr)
    log = workdir / "duckdb-copy.log"
    wall, cpu, rss, code = run_child(argv, workdir, log)
    output = log.read_text(errors="replace").strip()
    if code != 0:
        raise SystemExit(f"DuckDB COPY failed ({code}):\n{output}")
    copy_s = json.loads(output.splitlines()[-1])["copy_s"]
    rows = count_parquet_rows(f"{out_dir}/*/*.parquet")
    return Run(f"DuckDB {duckdb_version()} COPY", wall, cpu, rss, rows, f"COPY alone {copy_s:.2f} s")


def duckdb_version() -> str:
    import duckdb

    return duckdb.__version__


def ensure_duckdb() -> None:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "duckdb"], check=True)


def default_binary() -> Path:
    target = os.environ.get("CARGO_TARGET_DIR")
    if target and (Path(target) / "release" / "convolens").exists():
        return Path(target) / "release" / "convolens"
    return Path("target/release/convolens")


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return f"{os.cpu_count()} CPUs ({model}); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def table(runs: list[Run], lines: int) -> str:
    out = [
        f"| engine | lines/s | wall s | CPU s (cores used) | peak RSS MiB | rows out | notes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        out.append(
            f"| {r.engine} | {lines / r.wall_s:,.0f} | {r.wall_s:.2f} | {r.cpu_s:.2f} ({r.cpu_s / r.wall_s:.2f}) "
            f"| {r.peak_rss_mib:.0f} | {r.rows_out:,} | {r.note} |"
        )
    return "\n".join(out)


def median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.wall_s)
    return ordered[(len(ordered) - 1) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", type=Path, default=default_binary(), help="release convolens binary")
    parser.add_argument("--conversations", type=int, default=DEFAULT_CONVERSATIONS)
    parser.add_argument("--days", type=float, default=DEFAULT_DAYS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--workdir", type=Path, default=Path("bench-e2e"))
    parser.add_argument("--runs", type=int, default=1, help="runs per engine, alternating; the median is reported")
    parser.add_argument("--workers", type=int, help="convolens --workers (default: its own, the CPU count)")
    parser.add_argument("--skip-duckdb", action="store_true", help="only convolens (the 10 M-line memory check)")
    parser.add_argument("--regenerate", action="store_true", help="generate even if the input file exists")
    parser.add_argument("--keep", action="store_true", help="keep the lakes (the NDJSON is always kept)")
    args = parser.parse_args()

    binary = args.bin.resolve()
    if not binary.exists():
        raise SystemExit(f"{binary} not found; build it with `cargo build --release` or pass --bin")
    if not args.skip_duckdb:
        ensure_duckdb()
    args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = args.workdir.resolve()
    ndjson = workdir / f"traffic-c{args.conversations}-d{args.days:g}-s{args.seed}.ndjson"

    if args.regenerate or not ndjson.exists():
        generate_s = generate(binary, ndjson, args)
        print(f"generate: {generate_s:.2f} s", file=sys.stderr)
    lines = count_lines(ndjson)
    size_mib = ndjson.stat().st_size / (1 << 20)
    print(f"input: {ndjson} ({lines:,} lines, {size_mib:,.0f} MiB)", file=sys.stderr)

    convolens_runs: list[Run] = []
    duckdb_runs: list[Run] = []
    for i in range(args.runs):
        convolens_runs.append(run_convolens(binary, ndjson, workdir, args.workers))
        print(f"run {i + 1}: convolens {convolens_runs[-1].wall_s:.2f} s", file=sys.stderr)
        if not args.skip_duckdb:
            duckdb_runs.append(run_duckdb(ndjson, workdir))
            print(f"run {i + 1}: duckdb {duckdb_runs[-1].wall_s:.2f} s", file=sys.stderr)

    runs = [median_run(convolens_runs)] + ([median_run(duckdb_runs)] if duckdb_runs else [])
    print(f"\n{lines:,} lines ({size_mib:,.0f} MiB), {args.conversations:,} conversations over {args.days:g} days, "
          f"seed {args.seed}; median of {args.runs} run(s)")
    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M %Z')}\n")
    print(table(runs, lines))
    if args.runs > 1:
        print("\nall wall times (s): " + "; ".join(
            f"{name} {', '.join(f'{r.wall_s:.2f}' for r in group)}"
            for name, group in (("convolens", convolens_runs), ("duckdb", duckdb_runs)) if group
        ))
    if not args.keep:
        for lake in ("lake-convolens", "lake-duckdb"):
            shutil.rmtree(workdir / lake, ignore_errors=True)


if __name__ == "__main__":
    main()
