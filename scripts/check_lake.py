#!/usr/bin/env python3
"""Reads a convolens lake with two independent Parquet readers (pyarrow and DuckDB) and
checks that both see the same typed tables.

usage: check_lake.py LAKE [--events N] [--conversations N] [--dead-letters N]

Prints one JSON object with what each reader saw; exits 1 on any mismatch, 3 when a
reader is not installed (pip install pyarrow duckdb).
"""
import argparse
import json
import sys

EXPECTED_TYPES = {
    "events": {
        "occurred_at": "timestamp[us, tz=UTC]",
        "received_at": "timestamp[us, tz=UTC]",
        "confidence": "double",
        "is_oos": "bool",
        "score": "int32",
        "seq": "int64",
        "event_id": "string",
        "ranking": "list<item: struct<intent: string, confidence: double>>",
        "embedding": "list<item: float>",
    },
    "conversations": {
        "started_at": "timestamp[us, tz=UTC]",
        "closed_at": "timestamp[us, tz=UTC]",
        "handed_off": "bool",
        "bot_time_s": "double",
        "handle_time_s": "double",
        "customer_messages": "int32",
        "version": "int32",
    },
    "dead_letters": {"raw": "binary", "reason": "string", "received_at": "timestamp[us, tz=UTC]"},
}

DUCKDB_TYPES = {
    "timestamp[us, tz=UTC]": "TIMESTAMP WITH TIME ZONE",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "string": "VARCHAR",
    "binary": "BLOB",
    "float": "FLOAT",
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("lake")
    parser.add_argument("--events", type=int)
    parser.add_argument("--conversations", type=int)
    parser.add_argument("--dead-letters", type=int)
    args = parser.parse_args()
    try:
        import duckdb
        import pyarrow.dataset as ds
    except ImportError as e:
        print(f"check_lake: missing reader: {e} (pip install pyarrow duckdb)", file=sys.stderr)
        return 3

    expected_counts = {"events": args.events, "conversations": args.conversations, "dead_letters": args.dead_letters}
    problems = []
    seen = {}
    con = duckdb.connect()
    for table, types in EXPECTED_TYPES.items():
        path = f"{args.lake}/{table}"
        dataset = ds.dataset(path, format="parquet", partitioning="hive")
        arrow_table = dataset.to_table()
        schema = {f.name: str(f.type) for f in arrow_table.schema}
        for column, want in types.items():
            if schema.get(column) != want:
                problems.append(f"pyarrow {table}.{column}: {schema.get(column)} != {want}")
        duck_rows = con.execute(
            f"SELECT COUNT(*) FROM read_parquet('{path}/*/*.parquet', hive_partitioning = true)"
        ).fetchone()[0]
        duck_types = dict(
            (row[0], row[1])
            for row in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet('{path}/*/*.parquet', hive_partitioning = true)"
            ).fetchall()
        )
        for column, want in types.items():
            duck_want = DUCKDB_TYPES.get(want)
            if duck_want and duck_types.get(column) != duck_want:
                problems.append(f"duckdb {table}.{column}: {duck_types.get(column)} != {duck_want}")
        if duck_types.get("date") not in ("DATE", "VARCHAR"):
            problems.append(f"duckdb {table}: hive partition column date is {duck_types.get('date')}")
        if arrow_table.num_rows != duck_rows:
            problems.append(f"{table}: pyarrow sees {arrow_table.num_rows} rows, duckdb {duck_rows}")
        want_rows = expected_counts[table]
        if want_rows is not None and arrow_table.num_rows != want_rows:
            problems.append(f"{table}: {arrow_table.num_rows} rows, expected {want_rows}")
        seen[table] = {"rows_pyarrow": arrow_table.num_rows, "rows_duckdb": duck_rows}
    print(json.dumps({"lake": args.lake, "tables": seen, "problems": problems}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
