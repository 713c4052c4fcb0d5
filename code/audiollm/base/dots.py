"""The one dot-product kernel: every dot product in the package, the literal one first, then the fast forms.

CPython 3.11 has no C-level dot product (`math.sumprod` arrived in 3.12), and `sum(map(mul, a, b))` makes a float
object per product. `math.dist` walks two vectors in C without allocating, and a dot product is a squared
distance in disguise, the polarisation identity:

    a . b = (|a|^2 + |b|^2 - |a - b|^2) / 2 = (|a + b|^2 - |a - b|^2) / 4

Each fast form below is one of these two lines, written out once: the model's matrix products (`dots`, forward
and backward), the diarizer's autocorrelation (`dot_given_norms`, norms from running sums) and the resampler's
filter (`dot_by_distances`, the negated taps made once). It sits in the base layer because the front end (the
resampler) uses it as well as the models. Each form keeps the rounding the numbers it feeds were made with
(trained weights and golden fixtures): tests hold every form to `dot`.
"""
import math
from itertools import repeat
from math import dist, hypot
from operator import mul


def dot(a, b):
    """a . b = sum of a_i * b_i: the definition, read literally."""
    return sum(map(mul, a, b))


def dots_literal(X, W):
    """Every dot product of rows, literally: X (n, k), W (m, k) -> (n, m), out[i][j] = X[i] . W[j]."""
    return [[dot(x, w) for w in W] for x in X]


def dots(X, W):
    """dots_literal(X, W): the kernel every matrix product of the models runs on, forward and backward.

    The same numbers, 2.5-5x faster, by the first identity, one `dist` per pair.
    Rounding: the literal sum errs by a few ulps of |a| |b| (more for long rows); the identity by a few ulps of
    (|a|^2 + |b|^2) / 2, which is as good when |a| = |b| and loses 6 digits for a gradient of 1e-6
    against activations of 1. So the smaller matrix is first scaled by the power of two s that brings
    the two matrices' mean row norms together (exact, and undone exactly in the half-norms below): the
    error stays near 2 ulps of |a| |b| (tests/test_autograd.py holds dots to dots_literal and math.fsum).
    """
    W = [tuple(w) for w in W]  # dist copies a list argument into a tuple on every call: copy once here
    norm_x = [hypot(*x) for x in X]
    norm_w = [hypot(*w) for w in W]
    sq_x, sq_w = dot(norm_x, norm_x), dot(norm_w, norm_w)
    if not sq_x or not sq_w:
        return [[0.0] * len(W) for _ in X]
    power = round(0.5 * math.log2(sq_w / len(W) / (sq_x / len(X))))  # 2**power ~ rms |w| / rms |x|
    s = math.ldexp(1.0, power)
    if s != 1.0 and len(X) <= len(W):  # scale the smaller matrix: X by s, so x.w = (s x).w / s ...
        X, norm_x, c = [[v * s for v in x] for x in X], [n * s for n in norm_x], 1.0 / s
    elif s != 1.0:  # ... or W by 1 / s, so x.w = x.(w / s) * s
        W, norm_w, c = [tuple([v / s for v in w]) for w in W], [n / s for n in norm_w], s
    else:
        c = 1.0
    half = 0.5 * c
    half_w = [half * n * n for n in norm_w]
    out = []
    for x, n in zip(X, norm_x):
        half_x = half * n * n
        out.append([half_x + hw - half * e * e for hw, e in zip(half_w, map(dist, repeat(tuple(x)), W))])
    return out


def dot_given_norms(a, b, sq_a, sq_b):
    """a . b from the squared norms sq_a = |a|^2 and sq_b = |b|^2, known already (the diarizer's autocorrelation
    keeps them as running sums), and one `dist`: the first identity."""
    gap = dist(a, b)
    return (sq_a + sq_b - gap * gap) * 0.5


def dot_by_distances(a, b, negated_b):
    """a . b from two `dist`s, the second identity; negated_b = -b, made once when b is reused (the resampler's
    filter taps). About 1e-16 (|a|^2 + |b|^2) of rounding, and a zero `a` gives exactly 0.0."""
    plus, minus = dist(a, negated_b), dist(a, b)
    return (plus + minus) * (plus - minus) * 0.25
