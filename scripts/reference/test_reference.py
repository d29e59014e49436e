"""Tests of the reference implementation: the golden example, then hand-computed cases.

    python3 -m unittest discover -s scripts/reference -v

Expected numbers below are worked out by hand from METRICS.md (see the comments), or from
closed forms independent of the code under test; none is copied from its output.
"""

import datetime as dt
import gzip
import json
import math
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from convolens_reference import reference_report  # noqa: E402

EXAMPLES = "/work/shared/examples"
T0 = dt.datetime(2026, 1, 5, 10, 0, 0, tzinfo=dt.timezone.utc)


def at(seconds):
    """RFC 3339 'Z' string for T0 + seconds."""
    return (T0 + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def deep_equal(expected, actual, path="$"):
    """None if equal (floats to 1e-9 relative), else a description of the first difference."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if expected.keys() != actual.keys():
            return f"{path}: keys {sorted(expected)} != {sorted(actual)}"
        for key in expected:
            found = deep_equal(expected[key], actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path}: length {len(expected)} != {len(actual)}"
        for index, (e, a) in enumerate(zip(expected, actual)):
            found = deep_equal(e, a, f"{path}[{index}]")
            if found:
                return found
        return None
    numbers = (int, float)
    if (
        isinstance(expected, numbers)
        and isinstance(actual, numbers)
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
    ):
        return None if close(expected, actual) else f"{path}: {expected!r} != {actual!r}"
    return None if type(expected) is type(actual) and expected == actual else f"{path}: {expected!r} != {actual!r}"


class RunsReference(unittest.TestCase):
    def run_lines(self, lines, gz=False):
        """Write NDJSON lines (dicts or raw strings) to a temp file and run the reference on it."""
        handle = tempfile.NamedTemporaryFile(suffix=".ndjson.gz" if gz else ".ndjson", delete=False)
        handle.close()
        self.addCleanup(os.unlink, handle.name)
        body = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines).encode()
        with (gzip.open if gz else open)(handle.name, "wb") as out:
            out.write(body)
        return reference_report([handle.name])

    @staticmethod
    def fact(report, conversation_id):
        return next(f for f in report["conversation_facts"] if f["conversation_id"] == conversation_id)


def ev(event_id, event_type, conversation_id, seconds, **fields):
    return {
        "event_id": event_id,
        "event_type": event_type,
        "conversation_id": conversation_id,
        "tenant_id": fields.pop("tenant_id", "t"),
        "occurred_at": at(seconds),
        **fields,
    }


@unittest.skipUnless(os.path.isdir(EXAMPLES), f"{EXAMPLES} is absent: golden example not available")
class GoldenExample(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(EXAMPLES, "small.expected.json"), encoding="utf-8") as handle:
            cls.expected = json.load(handle)
        cls.actual = reference_report([os.path.join(EXAMPLES, "small.ndjson")])

    def test_counts(self):
        self.assertEqual(self.expected["counts"], self.actual["counts"])

    def test_conversation_facts(self):
        key = lambda f: (f["tenant_id"], f["conversation_id"])  # noqa: E731
        expected = sorted(self.expected["conversation_facts"], key=key)
        self.assertIsNone(deep_equal(expected, self.actual["conversation_facts"]))

    def test_kpi_daily(self):
        key = lambda r: (r["day"], r["tenant_id"], r["channel"])  # noqa: E731
        self.assertIsNone(deep_equal(sorted(self.expected["kpi_daily"], key=key), self.actual["kpi_daily"]))

    def test_calibration(self):
        self.assertIsNone(deep_equal(self.expected["calibration"], self.actual["calibration"]))

    def test_csat_correlation(self):
        self.assertIsNone(deep_equal(self.expected["csat_correlation"], self.actual["csat_correlation"]))

    def test_other_kpi_groupings_partition_the_same_conversations(self):
        total = len(self.actual["conversation_facts"])
        for table in ("kpi_daily", "kpi_hourly", "kpi_by_intent"):
            self.assertEqual(total, sum(r["conversations"] for r in self.actual[table]), table)


class Validation(RunsReference):
    def test_counts_lines_duplicates_and_invalid(self):
        good = ev("e1", "conversation_started", "c", 0)
        report = self.run_lines(
            [
                good,
                "",
                "   ",
                good,  # duplicate of e1
                dict(good, event_id="e2", occurred_at="later"),  # invalid, not a duplicate
                dict(good, event_id="e3"),
            ]
        )
        expected = {"valid_unique_events": 2, "duplicate_lines": 1, "invalid_lines": 1, "lines": 4}
        self.assertEqual(expected, report["counts"])

    def test_first_arrival_wins_across_files(self):
        first = tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False)
        first.write(json.dumps(ev("e1", "conversation_started", "c", 0, channel="voice")) + "\n")
        first.close()
        self.addCleanup(os.unlink, first.name)
        second = tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False)
        second.write(json.dumps(ev("e1", "conversation_started", "c", 0, channel="chat")) + "\n")
        second.close()
        self.addCleanup(os.unlink, second.name)
        report = reference_report([first.name, second.name])
        self.assertEqual(1, report["counts"]["duplicate_lines"])
        self.assertEqual("voice", report["conversation_facts"][0]["channel"])

    def test_each_kind_of_invalid_line_is_invalid(self):
        base = ev("x", "message", "c", 0, actor="customer")
        invalid = [
            "{not json",
            "[1, 2]",
            '{"event_id": "x", "confidence": NaN}',
            {k: v for k, v in base.items() if k != "event_id"},
            dict(base, event_id=""),
            dict(base, event_id="i" * 129),
            dict(base, conversation_id=""),
            dict(base, conversation_id=7),
            dict(base, event_type=""),
            dict(base, occurred_at="2026-01-05T10:00:00"),  # no offset
            dict(base, occurred_at="2026-02-30T10:00:00Z"),
            dict(base, occurred_at="1969-12-31T23:59:59Z"),
            dict(base, occurred_at="2201-01-01T00:00:00Z"),
            dict(base, occurred_at=-1),
            dict(base, occurred_at=1.5e12),
            dict(base, actor="robot"),
            dict(base, actor=None),
            dict(base, text="x" * (64 * 1024 + 1)),
            dict(base, channel="fax"),
            dict(base, seq=-1),
            dict(base, seq=1.5),
            dict(base, schema_version=2),
            dict(base, event_type="intent_predicted", intent="a", model="m", confidence=1.01),
            dict(base, event_type="intent_predicted", intent="a", model="m", confidence=True),
            dict(base, event_type="intent_predicted", intent="a", model="m", confidence=0.5, embedding=[0.0] * 4097),
            dict(base, event_type="csat_submitted", score=6),
            dict(base, event_type="csat_submitted", score=0),
            dict(base, event_type="csat_submitted", score=4.0),
            dict(base, event_type="csat_submitted", score=3, scale=11),
            dict(base, event_type="csat_submitted", score=3, scale=1),
            dict(base, event_type="conversation_ended", disposition="closed"),
            dict(base, event_type="handoff_requested", reason="bored"),
            dict(base, event_type="kb_lookup", hit="yes"),
            dict(base, event_type="agent_assigned"),
            dict(base, event_type="intent_labeled", prediction_event_id="p"),
            '{"event_id": "x", "event_type": "message", "conversation_id": "c", "occurred_at": 0, "actor": "bot",'
            ' "text": "\\ud800"}',
        ]
        for number, line in enumerate(invalid):
            with self.subTest(number=number, line=str(line)[:100]):
                self.assertEqual(1, self.run_lines([line])["counts"]["invalid_lines"])
        oversized = json.dumps(dict(base, padding="p" * (1024 * 1024)))
        self.assertEqual(1, self.run_lines([oversized])["counts"]["invalid_lines"])

    def test_valid_edge_values(self):
        base = ev("x", "message", "c", 0, actor="customer")
        valid = [
            dict(base, occurred_at="1970-01-01T00:00:00Z"),
            dict(base, occurred_at="2200-12-31T23:59:59.999Z"),
            dict(base, occurred_at=0),
            dict(base, tenant_id=None, customer_id=None, channel=None, seq=None),
            dict(base, text="é" * (32 * 1024), seq=0, schema_version=1, unlisted={"any": [1]}),
            dict(base, event_type="intent_predicted", intent="a", model="m", confidence=0),
            dict(base, event_type="intent_predicted", intent="a", model="m", confidence=1, embedding=[0.5] * 4096),
            dict(base, event_type="csat_submitted", score=10, scale=10),
            dict(base, event_type="csat_submitted", score=1),
            dict(base, event_type="some_future_type"),
        ]
        for number, line in enumerate(valid):
            with self.subTest(number=number):
                self.assertEqual(1, self.run_lines([line])["counts"]["valid_unique_events"])

    def test_time_formats_and_gzip(self):
        # 12:00+02:00 and epoch milliseconds both mean 10:00Z; the conversation spans 10:00:00 → 10:00:30.
        epoch_ms = int((T0 + dt.timedelta(seconds=30)).timestamp() * 1000)
        report = self.run_lines(
            [
                ev("a", "conversation_started", "c", 0, occurred_at="2026-01-05T12:00:00+02:00"),
                ev("b", "conversation_ended", "c", 0, occurred_at=epoch_ms, disposition="resolved"),
            ],
            gz=True,
        )
        fact = report["conversation_facts"][0]
        self.assertEqual("2026-01-05T10:00:00.000000Z", fact["started_at"])
        self.assertEqual("2026-01-05T10:00:30.000000Z", fact["closed_at"])
        self.assertEqual(30.0, fact["bot_time_s"])


class AgentTime(RunsReference):
    def test_segments_holds_and_wrapup(self):
        # Pairing matters only where pairs would end differently: these holds give 70 s
        # LIFO, 120 s FIFO, and 175 s if unpaired starts ran to closed_at instead.
        c = "agent"
        report = self.run_lines(
            [
                ev("01", "conversation_started", c, 0, channel="voice", customer_id="u"),
                ev("02", "handoff_requested", c, 10, reason="customer_request"),
                ev("03", "agent_assigned", c, 30, agent_id="A"),
                ev("04", "hold_started", c, 40),
                ev("05", "hold_started", c, 50),
                ev("06", "hold_ended", c, 55),  # pairs with 50 (LIFO): 5 s
                ev("07", "hold_ended", c, 80),  # pairs with 40: 40 s
                ev("08", "hold_ended", c, 90),  # unpaired end: ignored
                ev("09", "hold_started", c, 95),  # unpaired: ends with segment A at 100: 5 s
                ev("10", "agent_released", c, 100, agent_id="A"),  # segment A: 30 → 100 = 70 s
                ev("11", "agent_assigned", c, 110, agent_id="B"),
                ev("12", "hold_started", c, 120),
                ev("13", "hold_ended", c, 130),  # pairs with 120, not 95: 10 s
                ev("14", "hold_started", c, 140),  # unpaired: ends with segment B at 150: 10 s
                ev("15", "agent_released", c, 150, agent_id="B"),  # segment B: 110 → 150 = 40 s
                ev("16", "conversation_ended", c, 160, disposition="resolved"),
                # A's release at 100, not the latest release (B's at 150): 70 s; B's stays unpaired.
                ev("17", "wrapup_completed", c, 170, agent_id="A"),
            ]
        )
        fact = self.fact(report, c)
        self.assertEqual(at(160), fact["ended_at"])
        self.assertEqual(at(170), fact["closed_at"])  # the last wrapup is after conversation_ended
        self.assertEqual(10.0, fact["bot_time_s"])
        self.assertEqual(20.0, fact["queue_wait_s"])
        self.assertEqual(110.0, fact["talk_hold_s"])
        self.assertEqual(70.0, fact["hold_s"])
        self.assertEqual(70.0, fact["acw_s"])
        self.assertEqual(40.0, fact["talk_s"])
        self.assertEqual(180.0, fact["handle_time_s"])
        self.assertEqual((True, False, False), (fact["handed_off"], fact["contained"], fact["resolved_by_bot"]))

    def test_open_segment_ends_at_closed_at_and_wrapup_without_agent_pairs_latest(self):
        c = "open"
        report = self.run_lines(
            [
                ev("1", "conversation_started", c, 0),
                ev("2", "agent_assigned", c, 10, agent_id="A"),
                ev("3", "agent_released", c, 20, agent_id="A"),
                ev("4", "agent_released", c, 25),
                ev("5", "wrapup_completed", c, 40),  # no agent_id: the latest unpaired release (25): 15 s
                ev("6", "agent_assigned", c, 50, agent_id="B"),
                ev("7", "message", c, 90, actor="agent"),  # no conversation_ended: closed at 90
            ]
        )
        fact = self.fact(report, c)
        self.assertEqual("abandoned", fact["disposition"])
        self.assertEqual(at(90), fact["closed_at"])
        self.assertEqual(10.0 + 40.0, fact["talk_hold_s"])  # 10 → 20, then 50 → closed_at 90
        self.assertEqual(15.0, fact["acw_s"])
        self.assertEqual(65.0, fact["handle_time_s"])

    def test_agent_time_is_null_without_agent(self):
        report = self.run_lines([ev("1", "conversation_started", "bot", 0), ev("2", "hold_started", "bot", 5)])
        fact = self.fact(report, "bot")
        for name in ("talk_hold_s", "hold_s", "acw_s", "talk_s", "handle_time_s", "queue_wait_s"):
            self.assertIsNone(fact[name], name)


class ConversationRules(RunsReference):
    def test_order_is_occurred_at_then_seq_absent_first_then_arrival(self):
        c = "order"
        report = self.run_lines(
            [
                ev("1", "intent_predicted", c, 5, seq=1, intent="with_seq", model="m", confidence=0.2),
                ev("2", "intent_predicted", c, 5, intent="no_seq_first", model="m", confidence=0.4, channel="email"),
                ev("3", "intent_predicted", c, 5, intent="no_seq_second", model="m", confidence=0.9, channel="chat"),
                ev("4", "intent_predicted", c, 4, seq=9, intent="earliest", model="m", confidence=0.6),
                ev("5", "intent_predicted", c, 6, seq=0, intent="latest", model="m", confidence=0.6),
            ]
        )
        fact = self.fact(report, c)
        self.assertEqual("earliest", fact["first_intent"])
        self.assertEqual("email", fact["channel"])  # first non-null channel in conversation order
        self.assertEqual(at(4), fact["started_at"])  # no conversation_started: the earliest event
        self.assertTrue(close((0.2 + 0.4 + 0.9 + 0.6 + 0.6) / 5, fact["mean_confidence"]))
        self.assertEqual(0.2, fact["min_confidence"])

    def test_seq_breaks_ties_before_arrival(self):
        c = "seq"
        report = self.run_lines(
            [
                ev("1", "handoff_requested", c, 5, seq=2, reason="error"),
                ev("2", "handoff_requested", c, 5, seq=1, reason="policy"),
            ]
        )
        self.assertEqual("policy", self.fact(report, c)["handoff_reason"])

    def test_joined_and_unknown_events_do_not_shape_the_conversation(self):
        c = "idle"
        report = self.run_lines(
            [
                ev("1", "conversation_started", c, 0, channel="social"),
                ev("2", "message", c, 300, actor="customer"),
                ev("3", "message", c, 301, actor="bot"),
                ev("4", "kb_lookup", c, 302, hit=False),
                ev("5", "kb_lookup", c, 303, hit=True),
                ev("6", "some_future_type", c, -10, channel="voice", customer_id="u-unknown"),
                ev("7", "csat_submitted", c, 3600, score=8, scale=10, customer_id="u-csat"),
                ev("8", "csat_submitted", c, 3600, score=1),  # same instant as "7", greater event_id: latest
                ev("9", "csat_submitted", c, 1800, score=5),  # earlier: not the latest
                ev("10", "intent_labeled", c, 999_999, prediction_event_id="zz", true_intent="x"),
                ev("11", "csat_submitted", "only-csat", 0, score=5),
                ev("12", "some_future_type", "only-unknown", 0),
            ]
        )
        self.assertEqual([c], [f["conversation_id"] for f in report["conversation_facts"]])
        fact = self.fact(report, c)
        self.assertEqual(at(303), fact["closed_at"])
        self.assertIsNone(fact["ended_at"])
        self.assertEqual("abandoned", fact["disposition"])
        self.assertEqual(("social", None), (fact["channel"], fact["customer_id"]))
        self.assertEqual(at(0), fact["started_at"])
        self.assertEqual(303.0, fact["bot_time_s"])
        self.assertEqual((1, 1, 0), (fact["customer_messages"], fact["bot_messages"], fact["agent_messages"]))
        self.assertEqual((2, 1), (fact["kb_lookups"], fact["kb_misses"]))
        self.assertEqual((True, False, False), (fact["contained_gross"], fact["contained"], fact["resolved_by_bot"]))
        # Latest csat by (occurred_at, event_id): "8" sorts after "7" at the same instant.
        self.assertEqual((1, 5, 1.0), (fact["csat_score"], fact["csat_scale"], fact["csat_5"]))
        self.assertIsNone(fact["recontacted"])

    def test_csat_rescaled_to_five_points(self):
        report = self.run_lines(
            [ev("1", "conversation_started", "c", 0), ev("2", "csat_submitted", "c", 9, score=8, scale=10)]
        )
        self.assertTrue(close(1 + 4 * 7 / 9, self.fact(report, "c")["csat_5"]))

    def test_recontact_window_is_open_closed_and_per_tenant(self):
        day = 86_400
        report = self.run_lines(
            [
                ev("a1", "conversation_started", "a", 0, customer_id="u"),
                ev("a2", "conversation_ended", "a", 60, disposition="resolved"),
                # starts exactly 24 h after a closed: inside (closed, closed + 24 h]
                ev("b1", "conversation_started", "b", 60 + day, customer_id="u"),
                ev("b2", "conversation_ended", "b", 70 + day, disposition="resolved"),
                # starts 24 h + 1 ms after b closed: outside
                ev("c1", "conversation_started", "c", 70 + 2 * day + 0.001, customer_id="u"),
                ev("c2", "conversation_ended", "c", 80 + 2 * day, disposition="resolved"),
                # same customer, other tenant, right after c: not a recontact of c
                ev("d1", "conversation_started", "d", 90 + 2 * day, customer_id="u", tenant_id="other"),
                # starts exactly when e closes: outside (the window is open on the left)
                ev("e1", "conversation_started", "e", 0, customer_id="v"),
                ev("e2", "conversation_ended", "e", 100, disposition="resolved"),
                ev("f1", "conversation_started", "f", 100, customer_id="v"),
            ]
        )
        recontacted = {f["conversation_id"]: f["recontacted"] for f in report["conversation_facts"]}
        self.assertEqual({"a": True, "b": False, "c": False, "d": False, "e": False, "f": False}, recontacted)

    def test_kpis_of_one_window(self):
        day2 = 86_400
        report = self.run_lines(
            [
                # resolved by the bot, customer known, not recontacted, csat 5/5
                ev("1", "conversation_started", "k1", 0, channel="chat", customer_id="u1"),
                ev("2", "conversation_ended", "k1", 100, disposition="resolved"),
                ev("3", "csat_submitted", "k1", 200, score=5),
                # handed off, agent 30 s + 10 s wrap-up, unresolved, csat 2/5
                ev("4", "conversation_started", "k2", 0, channel="chat", customer_id="u2"),
                ev("5", "handoff_requested", "k2", 20, reason="policy"),
                ev("6", "agent_assigned", "k2", 40, agent_id="A"),
                ev("7", "agent_released", "k2", 70, agent_id="A"),
                ev("8", "conversation_ended", "k2", 75, disposition="unresolved"),
                ev("9", "wrapup_completed", "k2", 80, agent_id="A"),
                ev("10", "csat_submitted", "k2", 100, score=2),
                # abandoned, no customer
                ev("11", "conversation_started", "k3", 0, channel="chat"),
                ev("12", "message", "k3", 50, actor="customer"),
                # next day: not in this window
                ev("13", "conversation_started", "k4", day2, channel="chat"),
            ]
        )
        row = report["kpi_daily"][0]
        keys = ("day", "tenant_id", "channel", "conversations")
        self.assertEqual(("2026-01-05", "t", "chat", 3), tuple(row[k] for k in keys))
        counted = ("contained", "contained_gross", "resolved_by_bot", "handed_off", "abandoned", "agent_handled")
        self.assertEqual((1, 2, 1, 1, 1, 1), tuple(row[k] for k in counted))
        self.assertTrue(close(1 / 3, row["containment_rate"]))
        self.assertTrue(close(2 / 3, row["containment_rate_gross"]))
        self.assertTrue(close(1 / 2, row["verified_containment_rate"]))  # k1 of {k1, k2}
        self.assertTrue(close(1 / 2, row["fcr_rate"]))
        self.assertEqual((40.0, 30.0, 0.0, 10.0), (row["aht_s"], row["talk_s"], row["hold_s"], row["acw_s"]))
        self.assertTrue(close((100 + 20 + 50) / 3, row["bot_time_s"]))
        self.assertEqual((2, (5 + 2) / 2, 0.5), (row["csat_responses"], row["csat_mean"], row["csat_top2box"]))
        self.assertTrue(close(2 / 3, row["csat_response_rate"]))
        next_day = report["kpi_daily"][1]
        self.assertEqual(("2026-01-06", 1), (next_day["day"], next_day["conversations"]))
        for name in ("aht_s", "talk_s", "hold_s", "acw_s", "csat_mean", "csat_top2box", "fcr_rate"):
            self.assertIsNone(next_day[name], name)
        hours = sorted(r["hour"] for r in report["kpi_hourly"] for _ in range(r["conversations"]))
        self.assertEqual(["2026-01-05T10:00:00Z"] * 3 + ["2026-01-06T10:00:00Z"], hours)


if __name__ == "__main__":
    unittest.main()
