"""Tests of the statistics (METRICS §3, §4) against closed forms and hand-worked cases.

    python3 -m unittest discover -s scripts/reference -v
"""

import math
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from calibration import _equal_count_groups, bin_of  # noqa: E402
from csat_correlation import average_ranks, correlate  # noqa: E402
from student_t import two_sided_p_from_t  # noqa: E402
from test_reference import RunsReference, close, ev  # noqa: E402


class StudentT(unittest.TestCase):
    # Two-sided tail probabilities of Student's t with 1, 2 and 3 degrees of freedom in closed form.
    CLOSED_FORMS = {
        1: lambda t: 1 - 2 / math.pi * math.atan(t),
        2: lambda t: 1 - t / math.sqrt(2 + t * t),
        3: lambda t: 1 - 2 / math.pi * (math.atan(t / math.sqrt(3)) + (t / math.sqrt(3)) / (1 + t * t / 3)),
    }

    def test_matches_closed_forms(self):
        for df, closed_form in self.CLOSED_FORMS.items():
            for t in (0.0, 0.05, 0.7, 1.0, 2.5, 6.0, 40.0):
                with self.subTest(df=df, t=t):
                    # Loose enough for the closed forms' own cancellation at large t.
                    self.assertTrue(math.isclose(closed_form(t), two_sided_p_from_t(t, df), rel_tol=1e-11))

    def test_symmetric_in_t(self):
        self.assertEqual(two_sided_p_from_t(1.3, 7), two_sided_p_from_t(-1.3, 7))

    def test_large_df_tends_to_the_normal(self):
        # P(|Z| ≥ 1.959964) = 0.05 for a standard normal; df = 10⁶ is within 1e-5 of it.
        normal = math.erfc(1.959964 / math.sqrt(2))
        self.assertTrue(math.isclose(normal, two_sided_p_from_t(1.959964, 1e6), rel_tol=1e-5))

    def test_extreme_t(self):
        self.assertEqual(0.0, two_sided_p_from_t(math.inf, 5))
        self.assertGreater(two_sided_p_from_t(1e3, 30), 0.0)


class Correlation(unittest.TestCase):
    XS = [1, 2, 3, 4, 5]
    YS = [2, 4, 5, 4, 5]

    def test_pearson_spearman_and_their_tests(self):
        result = correlate(self.XS, self.YS)
        # Deviations: x −2..2, y (−2, 0, 1, 0, 1): Sxy = 6, Sxx = 10, Syy = 6, r = 6/√60.
        r = math.sqrt(0.6)
        self.assertEqual(5, result["n"])
        self.assertTrue(close(r, result["r"]))
        t = r * math.sqrt(3 / (1 - r * r))
        self.assertTrue(close(StudentT.CLOSED_FORMS[3](t), result["p"]))
        half_width = 1.959964 / math.sqrt(5 - 3)
        self.assertTrue(close(math.tanh(math.atanh(r) - half_width), result["ci_low"]))
        self.assertTrue(close(math.tanh(math.atanh(r) + half_width), result["ci_high"]))
        # Ranks of y: (1, 2.5, 4.5, 2.5, 4.5): Sxy = 7, Sxx = 10, Syy = 9.
        rho = 7 / math.sqrt(90)
        self.assertTrue(close(rho, result["rho"]))
        t_rho = rho * math.sqrt(3 / (1 - rho * rho))
        self.assertTrue(close(StudentT.CLOSED_FORMS[3](t_rho), result["p_rho"]))

    def test_average_ranks_share_ties(self):
        self.assertEqual([3.0, 1.5, 1.5, 5.0, 4.0], average_ranks([20, 10, 10, 40, 30]))

    def test_perfect_correlation(self):
        result = correlate([1, 2, 3, 4], [2, 4, 6, 8])
        self.assertEqual((1.0, 0.0, 1.0, 1.0), (result["r"], result["p"], result["ci_low"], result["ci_high"]))

    def test_null_when_too_few_or_constant(self):
        self.assertIsNone(correlate([1, 2, 3], [3, 1, 2]))
        self.assertIsNone(correlate([0.1] * 5, self.YS))
        self.assertIsNone(correlate(self.XS, [4.0] * 5))


class CalibrationBins(unittest.TestCase):
    def test_bins_are_closed_on_the_right(self):
        cases = {0.0: 1, 1e-300: 1, 0.1: 1, math.nextafter(0.1, 1): 2, 0.3: 3, 0.7: 7, 0.95: 10, 1.0: 10}
        for confidence, expected in cases.items():
            with self.subTest(confidence=confidence):
                self.assertEqual(expected, bin_of(confidence, 10))

    def test_equal_count_groups_like_numpy_array_split(self):
        self.assertEqual([3, 3, 3] + [2] * 7, [len(g) for g in _equal_count_groups(list(range(23)), 10)])
        self.assertEqual([1, 1, 1] + [0] * 7, [len(g) for g in _equal_count_groups(list(range(3)), 10)])


class CalibrationReport(RunsReference):
    def test_pairs_groups_and_scores(self):
        def predicted(event_id, intent, confidence, **fields):
            return ev(event_id, "intent_predicted", "c", 0, intent=intent, confidence=confidence, model="m", **fields)

        def labeled(event_id, prediction, truth, seconds):
            return ev(event_id, "intent_labeled", "c", seconds, prediction_event_id=prediction, true_intent=truth)

        report = self.run_lines(
            [
                predicted("p1", "a", 0.25, model_version="v1"),
                predicted("p2", "a", 0.25, model_version="v1"),
                predicted("p3", "c", 0.95),
                predicted("p4", "d", 0.5, model_version="v1"),  # never labeled
                labeled("l1", "p1", "a", 10),
                labeled("l2", "p2", "b", 20),  # the latest label of p2: wrong
                labeled("l3", "p2", "a", 15),
                labeled("l4", "p3", "c", 10),
                labeled("l5", "nothing", "a", 10),
            ]
        )
        calibration = report["calibration"]
        self.assertEqual({"m/v1", "m/", "*/*"}, set(calibration))
        v1 = calibration["m/v1"]
        # Both in bin 3 with accuracy 1/2; ACE groups are single pairs: gaps 0.75 and 0.25.
        self.assertEqual((2, 0.25, 0.25, 0.5), (v1["n"], v1["ece"], v1["mce"], v1["ace"]))
        self.assertEqual(((0.75**2 + 0.25**2) / 2, 0.5, 0.25), (v1["brier"], v1["accuracy"], v1["mean_confidence"]))
        overall = calibration["*/*"]
        self.assertEqual(3, overall["n"])
        self.assertTrue(close(2 / 3 * 0.25 + 1 / 3 * 0.05, overall["ece"]))
        self.assertEqual(0.25, overall["mce"])
        self.assertTrue(close((0.75 + 0.25 + 0.05) / 3, overall["ace"]))
        self.assertTrue(close((0.75**2 + 0.25**2 + 0.05**2) / 3, overall["brier"]))
        self.assertTrue(close(2 / 3, overall["accuracy"]))
        self.assertTrue(close((0.25 + 0.25 + 0.95) / 3, overall["mean_confidence"]))
        self.assertEqual([3, 10], [b["bin"] for b in overall["bins"]])
        self.assertEqual([2, 1], [b["count"] for b in overall["bins"]])
        self.assertEqual([0.5, 1.0], [b["accuracy"] for b in overall["bins"]])
        self.assertTrue(close(0.95, overall["bins"][1]["mean_confidence"]))


if __name__ == "__main__":
    unittest.main()
