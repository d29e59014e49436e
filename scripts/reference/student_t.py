"""Student's t two-sided p-values from the regularized incomplete beta function.

Standard library only, so CI needs no scipy. The incomplete beta is evaluated by its
continued fraction (modified Lentz), on the side of the symmetry relation where the
fraction converges fast and the result does not suffer cancellation.
"""

import math

_MAX_ITERATIONS = 10_000
_EPSILON = 1e-16
_TINY = 1e-300


def _beta_continued_fraction(a, b, x):
    """The continued fraction of I_x(a, b) (Numerical Recipes betacf), modified Lentz."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    fraction = d
    for m in range(1, _MAX_ITERATIONS + 1):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            delta = c * d
            fraction *= delta
        if abs(delta - 1.0) < _EPSILON:
            return fraction
    return fraction


def regularized_incomplete_beta(a, b, x, one_minus_x=None):
    """I_x(a, b) for a, b > 0 and x in [0, 1]; pass 1 − x too when it is known more exactly than x."""
    y = 1.0 - x if one_minus_x is None else one_minus_x
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_front = a * math.log(x) + b * math.log(y) + math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, y) / b


def two_sided_p_from_t(t, df):
    """P(|T| ≥ |t|) for T ~ Student's t with df degrees of freedom."""
    if math.isinf(t):
        return 0.0
    t_squared = t * t
    return regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t_squared), t_squared / (df + t_squared))


def two_sided_p_from_r(r, n):
    """p-value of a correlation r over n pairs: t = r·√((n−2)/(1−r²)), df = n − 2.

    With t in that form, df/(df + t²) = 1 − r², so the beta argument is taken from r
    directly, avoiding a division by 1 − r² that is 0 when |r| = 1.
    """
    r = max(-1.0, min(1.0, r))
    # (1 − r)(1 + r) keeps its relative precision as |r| approaches 1, where 1 − r² does not.
    return regularized_incomplete_beta((n - 2) / 2.0, 0.5, (1.0 - r) * (1.0 + r), r * r)
