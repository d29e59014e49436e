#!/usr/bin/env python3
"""Kafka benchmark: messages per second from a pre-filled topic to committed Parquet.

Three runs on the same amount of generated traffic (same generator, same seed):

- mock cluster: `convolens demo` (librdkafka's in-process mock cluster, 3 brokers, lz4
  batches, partitions sized to the traffic) prints how long the pipeline took from the
  pre-filled topic to the last commit (idle detection at the end included, closing the
  consumer afterwards not); its peak RSS covers the producer too;
- tansu: a real broker (scripts/tansu.sh), a 6-partition topic pre-filled with
  confluent-kafka (pip), then `convolens run --until-idle` timed as a child process;
- file path: `convolens ingest` of the same NDJSON, the baseline the issue compares with.

Wall time, CPU time and peak RSS come from os.wait4. Prints a markdown table; the
figures go into BENCHMARKS.md by hand.

Single runs vary by 10 % or more on a shared 2-core machine. `--pairs N` then alternates N
runs of the file path and of the demo (stopped once it printed its pipeline line, before
its reports), with a pause before each, and prints the medians and their ratio.

    python3 scripts/bench_kafka.py --bin /root/.cache/convolens-target/release/convolens
    python3 scripts/bench_kafka.py --conversations 70000 --skip-tansu
    python3 scripts/bench_kafka.py --skip-tansu --pairs 7
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_e2e import default_binary, machine, run_child  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PARTITIONS = 6
TOPIC = "support.events"
DEMO_SEED = 7  # `convolens demo`'s default seed
DEMO_INCIDENT_FROM = 14 / 24  # the demo's drift starts at 14:00 of its one day
# The demo's pipeline line: seconds to the last commit, and the group join within them.
PIPELINE_TIMING = re.compile(r"pipeline \S+: .* \(([\d.]+) s to the last commit: .*consumer group join ([\d.]+) s")


def demo(binary: Path, conversations: int, work: Path) -> dict:
    log = work / "demo.log"
    lake = work / "lake-mock"
    wall, cpu, rss, code = run_child(
        [str(binary), "demo", "--conversations", str(conversations), "--lake", str(lake)], REPO, log
    )
    text = log.read_text()
    if code != 0:
        raise SystemExit(f"demo failed ({code}):\n{text}")
    produced = re.search(r"produced .*?: (\d+) messages .* in ([\d.]+) s", text)
    timing = PIPELINE_TIMING.search(text)
    if not (produced and timing):
        raise SystemExit(f"demo output lacks its timing lines:\n{text}")
    messages, seconds, join = int(produced.group(1)), float(timing.group(1)), float(timing.group(2))
    partitions = re.search(r"topic \S+ \((\d+) partitions\)", text)
    return {
        "engine": "Kafka, mock cluster (demo)",
        "messages": messages,
        "seconds": seconds,
        "after_join": seconds - join,
        "cpu": cpu,
        "rss": rss,
        "note": f"{partitions.group(1) if partitions else '?'} partitions; group join {join:.2f} s included; "
        f"produce {float(produced.group(2)):.2f} s; whole process {wall:.2f} s (with its reports); "
        "RSS includes the producer",
    }


def demo_after_join(binary: Path, conversations: int, work: Path) -> float:
    """The demo's seconds from the first assignment to the last commit; the process is
    stopped after its pipeline line, so its reports do not take minutes per run."""
    lake = work / "lake-pairs"
    child = subprocess.Popen(
        [str(binary), "demo", "--conversations", str(conversations), "--lake", str(lake)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        for line in child.stderr:
            timing = PIPELINE_TIMING.search(line)
            if timing:
                return float(timing.group(1)) - float(timing.group(2))
        raise SystemExit(f"demo ended ({child.wait()}) without its pipeline line")
    finally:
        child.kill()
        child.wait()
        shutil.rmtree(lake, ignore_errors=True)


def alternate(binary: Path, conversations: int, ndjson: Path, lines: int, work: Path, pairs: int) -> None:
    file_runs, kafka_runs = [], []
    for _ in range(pairs):
        for runs, measure in (
            (file_runs, lambda: file_path(binary, ndjson, lines, work)["seconds"]),
            (kafka_runs, lambda: demo_after_join(binary, conversations, work)),
        ):
            shutil.rmtree(work / "lake-file", ignore_errors=True)
            subprocess.run(["sync"], check=False)
            time.sleep(1)
            runs.append(measure())
    file_median, kafka_median = statistics.median(file_runs), statistics.median(kafka_runs)
    print(f"\n{pairs} alternating pairs (s):")
    print(f"- file path, whole process: {', '.join(f'{s:.2f}' for s in file_runs)}; median {file_median:.2f}")
    print(
        f"- mock cluster, first assignment to last commit: {', '.join(f'{s:.2f}' for s in kafka_runs)}; "
        f"median {kafka_median:.2f}"
    )
    print(f"- ratio of the medians: {kafka_median / file_median:.2f}x")


def generate(binary: Path, conversations: int, path: Path) -> int:
    # The demo's day: embeddings on predictions, and drift from 14:00 (its afternoon
    # incident), so that the file path and the mock cluster carry the same messages (the
    # demo leaves out the generator's few oversized lines, which brokers refuse).
    subprocess.run(
        [str(binary), "generate", "--output", str(path), "--conversations", str(conversations), "--seed",
         str(DEMO_SEED), "--embeddings", "--drift-from", str(DEMO_INCIDENT_FROM)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return sum(1 for _ in path.open("rb"))


def file_path(binary: Path, ndjson: Path, lines: int, work: Path) -> dict:
    lake = work / "lake-file"
    wall, cpu, rss, code = run_child(
        [str(binary), "ingest", "--input", str(ndjson), "--lake", str(lake)], REPO, work / "ingest.log"
    )
    if code != 0:
        raise SystemExit(f"ingest failed ({code}):\n{(work / 'ingest.log').read_text()}")
    return {"engine": "file path (ingest)", "messages": lines, "seconds": wall, "cpu": cpu, "rss": rss, "note": ""}


def tansu(binary: Path, ndjson: Path, lines: int, work: Path) -> dict:
    try:
        from confluent_kafka import Producer
        from confluent_kafka.admin import AdminClient, NewTopic
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "confluent-kafka"], check=True)
        from confluent_kafka import Producer
        from confluent_kafka.admin import AdminClient, NewTopic
    broker_dir = work / "tansu"
    broker_dir.mkdir()
    started = subprocess.run(
        [str(REPO / "scripts" / "tansu.sh"), "start", str(broker_dir)], check=True, capture_output=True, text=True
    )
    port, pid = started.stdout.split()
    brokers = f"127.0.0.1:{port}"
    try:
        admin = AdminClient({"bootstrap.servers": brokers})
        for future in admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)]).values():
            future.result(30)
        producer = Producer({"bootstrap.servers": brokers, "linger.ms": 20, "compression.type": "none"})
        fill_started = time.perf_counter()
        for raw in ndjson.open("rb"):
            line = raw.rstrip(b"\n")
            if len(line) > 900_000:
                continue  # the generator's oversized invalid lines: brokers refuse them
            key = re.search(rb'"conversation_id"\s*:\s*"([^"]*)"', line)
            while True:
                try:
                    producer.produce(TOPIC, value=line, key=key.group(1) if key else None)
                    break
                except BufferError:
                    producer.poll(0.1)
            producer.poll(0)
        producer.flush(120)
        fill = time.perf_counter() - fill_started
        lake = work / "lake-tansu"
        wall, cpu, rss, code = run_child(
            [str(binary), "run", "--until-idle", "--brokers", brokers, "--topic", TOPIC, "--group", "bench",
             "--lake", str(lake)],
            REPO, work / "run.log",
        )
        if code != 0:
            raise SystemExit(f"run failed ({code}):\n{(work / 'run.log').read_text()}")
        return {
            "engine": "Kafka, tansu 0.6.0 (run --until-idle)",
            "messages": lines,
            "seconds": wall,
            "cpu": cpu,
            "rss": rss,
            "note": f"topic pre-filled in {fill:.1f} s; includes start-up, group join and idle detection",
        }
    finally:
        subprocess.run([str(REPO / "scripts" / "tansu.sh"), "stop", pid], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", type=Path, default=default_binary())
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--skip-tansu", action="store_true")
    parser.add_argument("--pairs", type=int, default=0, help="alternating file/demo runs after the table")
    args = parser.parse_args()
    binary = args.bin.resolve()
    work = Path(tempfile.mkdtemp(prefix="convolens-bench-kafka-"))
    try:
        ndjson = work / "traffic.ndjson"
        lines = generate(binary, args.conversations, ndjson)
        runs = [file_path(binary, ndjson, lines, work), demo(binary, args.conversations, work)]
        if not args.skip_tansu:
            runs.append(tansu(binary, ndjson, lines, work))
        base = runs[0]["seconds"]
        print(f"\n{lines:,} messages, {args.conversations:,} conversations (seed {DEMO_SEED}); machine: {machine()}")
        print("\n| path | messages/s | s | × file path | CPU s | peak RSS MiB | notes |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for run in runs:
            print(
                f"| {run['engine']} | {run['messages'] / run['seconds']:,.0f} | {run['seconds']:.2f} | "
                f"{run['seconds'] / base:.2f} | {run['cpu']:.2f} | {run['rss']:.0f} | {run['note']} |"
            )
            if "after_join" in run:
                # The broker's deliberate group-join delay is not throughput: the same run
                # from the first assignment to the last commit.
                after = run["after_join"]
                print(
                    f"| {run['engine']}, from first assignment | {run['messages'] / after:,.0f} | {after:.2f} | "
                    f"{after / base:.2f} | | | group join excluded |"
                )
        if args.pairs > 0:
            alternate(binary, args.conversations, ndjson, lines, work, args.pairs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
