#!/usr/bin/env python3
"""Independent reference implementation of the convolens metric contract.

    python3 scripts/reference/convolens_reference.py INPUT.ndjson [INPUT2 ...] > out.json

Reads NDJSON (".gz" too; "-" is stdin), validates and de-duplicates per EVENTS.md, and
prints the counts, conversation facts (METRICS §1), KPIs (§2) daily / hourly / by intent,
calibration (§4) and CSAT correlation (§3) as one JSON object shaped like
/work/shared/examples/small.expected.json. Written from the contracts only, never from
the Rust code, so that the two can be compared on traffic nobody has seen.
"""

import dataclasses
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from calibration import calibration  # noqa: E402
from csat_correlation import csat_correlation  # noqa: E402
from events import read_events  # noqa: E402
from facts import FACT_KEYS, conversation_facts  # noqa: E402
from kpis import kpi_by_intent, kpi_daily, kpi_hourly  # noqa: E402
from rfc3339 import format_timestamp  # noqa: E402

TIMESTAMP_FACTS = ("started_at", "ended_at", "closed_at")


def _fact_for_output(fact):
    return {key: format_timestamp(fact[key]) if key in TIMESTAMP_FACTS else fact[key] for key in FACT_KEYS}


def reference_report(paths):
    """The whole reference output for the given input files, as a JSON-ready dict."""
    events, counts = read_events(paths)
    facts = conversation_facts(events)
    return {
        "counts": dataclasses.asdict(counts),
        "conversation_facts": [_fact_for_output(f) for f in facts],
        "kpi_daily": kpi_daily(facts),
        "kpi_hourly": kpi_hourly(facts),
        "kpi_by_intent": kpi_by_intent(facts),
        "calibration": calibration(events),
        "csat_correlation": csat_correlation(facts),
    }


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 1
    try:
        report = reference_report(argv[1:])
    except (OSError, EOFError) as err:  # unreadable file, bad or truncated gzip
        print(f"convolens_reference: {err}", file=sys.stderr)
        return 1
    json.dump(report, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
