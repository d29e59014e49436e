#!/usr/bin/env python3
"""Compare convolens `query --format json` output with the reference implementation's.

    python3 scripts/reference/compare.py EXPECTED.json ACTUAL_FACTS.json ACTUAL_KPI.json [--kpi-key kpi_daily]

EXPECTED.json is convolens_reference.py's output. ACTUAL_FACTS.json / ACTUAL_KPI.json are
JSON arrays of row objects, e.g. from `SELECT * FROM conversation_facts` and
`SELECT * FROM kpi_daily`. Rows are matched by key, every key of the expected row is
compared (floats to 1e-9 relative, nulls exactly, timestamps exactly after
normalising to UTC microseconds), the first 20 mismatches are printed, and the exit code is 1 on any
mismatch, 0 otherwise.
"""

import argparse
import datetime as _dt
import json
import math
import re
import sys

FACT_KEY = ("tenant_id", "conversation_id")
KPI_KEYS = {
    "kpi_daily": ("day", "tenant_id", "channel"),
    "kpi_hourly": ("hour", "tenant_id", "channel"),
    "kpi_by_intent": ("day", "tenant_id", "first_intent"),
}
TIMESTAMP_COLUMNS = ("started_at", "ended_at", "closed_at", "hour")
RELATIVE_TOLERANCE = 1e-9
# Only so that a difference like 1e-15 s against an exact 0.0 is not reported.
ABSOLUTE_TOLERANCE = 1e-12
MAX_REPORTED = 20

# Lenient on purpose: "T" or space, 0–9 fractional digits, "Z", an offset, or none (UTC).
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"  # date T time
    r"(\.[0-9]*)?\s*([Zz]|[+-][0-9]{2}:?[0-9]{2})?",  # fraction, offset
    re.ASCII,
)


def normalise_timestamp(value):
    """A timestamp string rewritten as "YYYY-MM-DDTHH:MM:SS.ffffffZ" in UTC (finer digits
    truncated), so that equal instants compare equal as strings; anything else unchanged."""
    if not isinstance(value, str):
        return value
    match = _TIMESTAMP.fullmatch(value.strip())
    if match is None:
        return value
    fields = [int(match.group(i)) for i in range(1, 7)]
    fraction = (match.group(7) or ".")[1:]
    micros = int((fraction + "000000")[:6])
    offset = match.group(8)
    offset_minutes = 0
    if offset and offset not in ("Z", "z"):
        digits = offset[1:].replace(":", "")
        offset_minutes = (int(digits[:2]) * 60 + int(digits[2:])) * (1 if offset[0] == "+" else -1)
    try:
        local = _dt.datetime(*fields, micros, tzinfo=_dt.timezone.utc)
        utc = local - _dt.timedelta(minutes=offset_minutes)
    except (ValueError, OverflowError):
        return value  # not a real instant: compared as the string it is
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def values_equal(expected, actual):
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if _is_number(expected) and _is_number(actual):
        if math.isnan(float(expected)) or math.isnan(float(actual)):
            return False
        return math.isclose(expected, actual, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE)
    return type(expected) is type(actual) and expected == actual


def _normalised(row):
    return {k: normalise_timestamp(v) if k in TIMESTAMP_COLUMNS else v for k, v in row.items()}


def _index(rows, key_columns, table, side, mismatches):
    indexed = {}
    for row in rows:
        if not isinstance(row, dict):
            mismatches.append(f"{table}: {side} row is not an object: {row!r:.80}")
            continue
        absent = [column for column in key_columns if column not in row]
        if absent:
            mismatches.append(f"{table}: {side} row lacks key column(s) {', '.join(absent)}")
            continue
        row = _normalised(row)
        key = tuple(row.get(column) for column in key_columns)
        if key in indexed:
            mismatches.append(f"{table} {_show_key(key)}: duplicate row in {side}")
        indexed[key] = row
    return indexed


def _show_key(key):
    return "(" + ", ".join("null" if part is None else str(part) for part in key) + ")"


def _show_value(value):
    return json.dumps(value)


def compare_tables(table, expected_rows, actual_rows, key_columns):
    """Mismatch descriptions, in expected-row order, then actual rows with no expected counterpart."""
    mismatches = []
    expected = _index(expected_rows, key_columns, table, "expected", mismatches)
    actual = _index(actual_rows, key_columns, table, "actual", mismatches)
    for key, expected_row in expected.items():
        actual_row = actual.get(key)
        if actual_row is None:
            mismatches.append(f"{table} {_show_key(key)}: missing in actual")
            continue
        for column, expected_value in expected_row.items():
            if column not in actual_row:
                mismatches.append(f"{table} {_show_key(key)}.{column}: column missing in actual")
            elif not values_equal(expected_value, actual_row[column]):
                mismatches.append(
                    f"{table} {_show_key(key)}.{column}: expected {_show_value(expected_value)}, "
                    f"actual {_show_value(actual_row[column])}"
                )
    for key in actual:
        if key not in expected:
            mismatches.append(f"{table} {_show_key(key)}: extra row in actual")
    return mismatches, len(expected)


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("expected", help="convolens_reference.py output")
    parser.add_argument("actual_facts", help="JSON array of conversation_facts rows")
    parser.add_argument("actual_kpi", help="JSON array of KPI rows")
    parser.add_argument("--kpi-key", default="kpi_daily", choices=sorted(KPI_KEYS))
    args = parser.parse_args(argv[1:])
    try:
        expected = _load(args.expected)
        actual_facts = _load(args.actual_facts)
        actual_kpi = _load(args.actual_kpi)
    except (OSError, ValueError) as err:
        print(f"compare: cannot read input: {err}", file=sys.stderr)
        return 1
    if not isinstance(actual_facts, list) or not isinstance(actual_kpi, list):
        print("compare: actual files must each hold a JSON array of row objects", file=sys.stderr)
        return 1
    fact_mismatches, fact_count = compare_tables(
        "conversation_facts", expected["conversation_facts"], actual_facts, FACT_KEY
    )
    kpi_mismatches, kpi_count = compare_tables(args.kpi_key, expected[args.kpi_key], actual_kpi, KPI_KEYS[args.kpi_key])
    mismatches = fact_mismatches + kpi_mismatches
    if mismatches:
        for line in mismatches[:MAX_REPORTED]:
            print(line)
        hidden = len(mismatches) - MAX_REPORTED
        print(f"compare: {len(mismatches)} mismatches" + (f" ({hidden} not shown)" if hidden > 0 else ""))
        return 1
    print(f"compare: {fact_count} facts, {kpi_count} kpi rows equal")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
