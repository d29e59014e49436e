"""Tests of compare.py: it must accept equal tables in convolens's formats and catch any difference.

    python3 -m unittest discover -s scripts/reference -v
"""

import contextlib
import copy
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import compare  # noqa: E402

FACT = {
    "tenant_id": "acme",
    "conversation_id": "c-1",
    "started_at": "2026-11-03T10:14:04.068000Z",
    "ended_at": None,
    "closed_at": "2026-11-03T10:17:53.293000Z",
    "handed_off": False,
    "bot_time_s": 229.225,
    "kb_misses": 0,
    "first_intent": "card_arrival",
}
KPI = {"day": "2026-11-03", "tenant_id": "acme", "channel": "chat", "conversations": 1, "aht_s": None, "fcr_rate": 0.5}
HOURLY = {"hour": "2026-11-03T10:00:00Z", "tenant_id": "acme", "channel": "chat", "conversations": 1}


class Compare(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.addCleanup(self.directory.cleanup)
        self.expected = {"conversation_facts": [FACT], "kpi_daily": [KPI], "kpi_hourly": [HOURLY]}

    def write(self, name, value):
        path = os.path.join(self.directory.name, name)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(value, handle)
        return path

    def run_compare(self, facts, kpis, kpi_key="kpi_daily"):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = compare.main(
                [
                    "compare.py",
                    self.write("expected.json", self.expected),
                    self.write("facts.json", facts),
                    self.write("kpi.json", kpis),
                    "--kpi-key",
                    kpi_key,
                ]
            )
        return code, out.getvalue()

    def test_equal_tables_pass_with_a_summary(self):
        code, output = self.run_compare([FACT], [KPI])
        self.assertEqual((0, "compare: 1 facts, 1 kpi rows equal\n"), (code, output))

    def test_timestamps_are_normalised(self):
        for started_at in (
            "2026-11-03T10:14:04.068Z",
            "2026-11-03 10:14:04.068",
            "2026-11-03T11:14:04.068000+01:00",
            "2026-11-03T10:14:04.068000999Z",
        ):
            with self.subTest(started_at=started_at):
                code, output = self.run_compare([dict(FACT, started_at=started_at)], [KPI])
                self.assertEqual(0, code, output)
        code, output = self.run_compare([FACT], [dict(HOURLY, hour="2026-11-03T10:00:00.000000Z")], "kpi_hourly")
        self.assertEqual(0, code, output)

    def test_floats_compare_with_relative_tolerance(self):
        code, _ = self.run_compare([dict(FACT, bot_time_s=229.225 * (1 + 1e-12))], [KPI])
        self.assertEqual(0, code)
        code, output = self.run_compare([dict(FACT, bot_time_s=229.225 * (1 + 1e-8))], [KPI])
        self.assertEqual(1, code)
        self.assertIn("conversation_facts (acme, c-1).bot_time_s: expected 229.225", output)

    def test_every_kind_of_difference_fails(self):
        differences = {
            "null vs value": ([dict(FACT, ended_at="2026-11-03T10:16:41Z")], [KPI]),
            "value vs null": ([FACT], [dict(KPI, fcr_rate=None)]),
            "null vs zero": ([FACT], [dict(KPI, aht_s=0.0)]),
            "bool vs int": ([dict(FACT, handed_off=0)], [KPI]),
            "count": ([dict(FACT, kb_misses=1)], [KPI]),
            "string": ([dict(FACT, first_intent="card_delivery")], [KPI]),
            "timestamp by 1 µs": ([dict(FACT, closed_at="2026-11-03T10:17:53.293001Z")], [KPI]),
            "missing column": ([{k: v for k, v in FACT.items() if k != "kb_misses"}], [KPI]),
            "missing row": ([], [KPI]),
            "extra row": ([FACT, dict(FACT, conversation_id="c-2")], [KPI]),
            "duplicate row": ([FACT, FACT], [KPI]),
            "kpi key": ([FACT], [dict(KPI, day="2026-11-04")]),
        }
        for name, (facts, kpis) in differences.items():
            with self.subTest(name):
                code, output = self.run_compare(copy.deepcopy(facts), copy.deepcopy(kpis))
                self.assertEqual(1, code, output)
                self.assertIn("mismatch", output.splitlines()[-1])

    def test_reports_at_most_twenty_mismatches(self):
        many = [dict(FACT, conversation_id=f"extra-{i}") for i in range(30)]
        code, output = self.run_compare([FACT] + many, [KPI])
        self.assertEqual(1, code)
        self.assertEqual(21, len(output.splitlines()))
        self.assertEqual("compare: 30 mismatches (10 not shown)", output.splitlines()[-1])


if __name__ == "__main__":
    unittest.main()
