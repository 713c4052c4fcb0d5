"""The discrete Fourier transform and the FFT, for the lesson's step 2 ("Short-time Fourier transform").

Read `dft` and `fft_recursive` first. `dft` is the definition, X[k] = sum_t x[t] exp(-2j pi k t / n), n^2
products. `fft_recursive` is the Cooley-Tukey idea in a few lines: a length n = r * m splits into the r
interleaved sub-sequences x[j::r] of length m; their m-point DFTs, turned by exp(-2j pi j k / n), add up to the
n-point one. Splitting again and again costs about n * (sum of the factors of n) products instead of n^2:
Whisper's 400 = 2^4 * 5^2 points take 400 * 18 instead of 160,000.

`fft_columns` computes the same numbers faster, because it transforms many signals at once: it works on
*columns*, one list per sample position holding that position of every signal (for the STFT: one value per
STFT frame), so each step of the recursion is a handful of C-level `map` calls over thousands of frames instead
of Python work per sample. Radices 2, 3, 4 and 5 have hand-written butterflies, 7, 11 and 13 a small direct
DFT, and the twiddles exp(-2j pi j k / n) are tables built once. A length with a prime factor above 13 goes
through Bluestein's chirp-z algorithm (a power-of-two FFT), so no length falls back to the n^2 definition.
`fft`, `ifft` and `rfft` are its batch-of-one cases.

Sign convention as numpy/torch: X[k] = sum_t x[t] exp(-2j pi k t / n); `ifft` divides by n.
"""
import cmath
import math
from functools import lru_cache
from operator import add, sub

from ..base.errors import AudiollmError, check_samples


def dft(x):
    """The DFT by its definition, n^2 products. x: (n,) numbers -> (n,) complex, numpy.fft.fft's convention."""
    x = _as_signal(x)
    n = len(x)
    w = [cmath.exp(-2j * math.pi * t / n) for t in range(n)]  # exp(-2j pi k t / n) = w[k t mod n]: small angles
    return [sum(v * w[k * t % n] for t, v in enumerate(x)) for k in range(n)]


def fft_recursive(x):
    """Cooley-Tukey, literally: the same numbers as `dft`. x: (n,) numbers -> (n,) complex.

    With r the smallest factor of n and m = n / r, S_j = DFT(x[j::r]) for j < r, and
    X[k] = sum_j exp(-2j pi j k / n) * S_j[k mod m]. A prime length does not split: it is its own DFT.
    """
    x = _as_signal(x)
    n = len(x)
    r = next((p for p in range(2, math.isqrt(n) + 1) if n % p == 0), n)
    if r == n:
        return dft(x)
    m = n // r
    subs = [fft_recursive(x[j::r]) for j in range(r)]
    return [sum(cmath.exp(-2j * math.pi * j * k / n) * subs[j][k % m] for j in range(r)) for k in range(n)]


# The same numbers, faster: many signals at once (module docstring).

def fft_columns(columns, inverse=False):
    """Batched FFT. columns: n lists of equal length B, columns[t][b] = sample t of signal b.

    Returns n lists of B complex values: out[k][b] = bin k of signal b, the same as fft_recursive of each
    signal. Unnormalised in both directions (the inverse has the + sign and no 1/n; `ifft` applies it).
    """
    if not (isinstance(columns, (list, tuple)) and columns and isinstance(columns[0], (list, tuple))
            and all(isinstance(c, (list, tuple)) and len(c) == len(columns[0]) for c in columns)):
        raise AudiollmError("columns: need a non-empty list of sample positions, each a list of the same length "
                            "(B signals)")
    sign = 1 if inverse else -1
    radices = _factorize(len(columns))
    try:
        if radices is None:
            return _bluestein(columns, sign)
        return _mixed_radix(columns, radices, sign)
    except TypeError:
        raise AudiollmError("columns: every value must be a number") from None


def fft(x):
    """Discrete Fourier transform of one signal. x: (n,) numbers -> (n,) complex, like numpy.fft.fft."""
    return [c[0] for c in fft_columns([[v] for v in _as_signal(x)])]


def ifft(x):
    """Inverse DFT. x: (n,) numbers -> (n,) complex, with the 1/n factor, like numpy.fft.ifft."""
    cols = fft_columns([[v] for v in _as_signal(x)], inverse=True)
    scale = 1.0 / len(cols)
    return [c[0] * scale for c in cols]


def rfft(x):
    """DFT of a real signal. x: (n,) real -> (n//2 + 1,) complex bins (the rest are conjugate mirrors)."""
    values = check_samples("x", x)
    return fft(values)[: len(values) // 2 + 1]


def _as_signal(x):
    """x as a non-empty list of complex numbers, or AudiollmError naming x."""
    try:
        values = [complex(v) for v in x]
        if values:
            return values
    except (TypeError, ValueError):
        pass
    raise AudiollmError("x: expected a non-empty sequence of numbers")


_BUTTERFLY_RADICES = (4, 2, 3, 5)
_DIRECT_RADICES = (7, 11, 13)


def _factorize(n):
    """Radices for a mixed-radix plan of length n, or None when n has a prime factor above 13."""
    radices = []
    for r in _BUTTERFLY_RADICES + _DIRECT_RADICES:
        while n % r == 0:
            radices.append(r)
            n //= r
    return radices if n == 1 else None


@lru_cache(maxsize=None)
def _twiddles(n, r, sign):
    """tw[j][k] = exp(sign * 2j pi j k / n) for j in 1..r-1 and k in 0..n/r-1 (angles reduced mod n)."""
    m = n // r
    return [[cmath.exp(sign * 2j * math.pi * ((j * k) % n) / n) for k in range(m)] for j in range(r)]


@lru_cache(maxsize=None)
def _direct_matrix(r, sign):
    return [[cmath.exp(sign * 2j * math.pi * ((j * q) % r) / r) for j in range(r)] for q in range(r)]


def _scale(c, column):
    """c * column for a complex constant c (complex.__mul__ accepts float and complex items)."""
    return list(map(c.__mul__, column))


def _butterfly(xs, r, sign):
    """Length-r DFT across r columns: returns y[q] = sum_j exp(sign 2j pi j q / r) * xs[j]."""
    if r == 2:
        a, b = xs
        return [list(map(add, a, b)), list(map(sub, a, b))]
    if r == 4:
        a, b, c, d = xs
        t0, t1 = list(map(add, a, c)), list(map(sub, a, c))
        t2 = list(map(add, b, d))
        t3 = _scale(complex(0, sign), map(sub, b, d))
        return [list(map(add, t0, t2)), list(map(add, t1, t3)), list(map(sub, t0, t2)), list(map(sub, t1, t3))]
    if r == 3:
        x0, x1, x2 = xs
        t1, t2 = list(map(add, x1, x2)), list(map(sub, x1, x2))
        a = list(map(add, x0, _scale(complex(-0.5), t1)))
        b = _scale(complex(0, sign * math.sin(2 * math.pi / 3)), t2)
        return [list(map(add, x0, t1)), list(map(add, a, b)), list(map(sub, a, b))]
    if r == 5:
        # Real cosine parts and imaginary sine parts computed once and shared by the symmetric outputs.
        x0, x1, x2, x3, x4 = xs
        t1, t2 = list(map(add, x1, x4)), list(map(add, x2, x3))
        t3, t4 = list(map(sub, x1, x4)), list(map(sub, x2, x3))
        c1, c2 = complex(math.cos(2 * math.pi / 5)), complex(math.cos(4 * math.pi / 5))
        s1, s2 = complex(0, sign * math.sin(2 * math.pi / 5)), complex(0, sign * math.sin(4 * math.pi / 5))
        a1 = list(map(add, x0, map(add, _scale(c1, t1), _scale(c2, t2))))
        a2 = list(map(add, x0, map(add, _scale(c2, t1), _scale(c1, t2))))
        b1 = list(map(add, _scale(s1, t3), _scale(s2, t4)))
        b2 = list(map(sub, _scale(s2, t3), _scale(s1, t4)))
        y0 = list(map(add, x0, map(add, t1, t2)))
        return [y0, list(map(add, a1, b1)), list(map(add, a2, b2)), list(map(sub, a2, b2)), list(map(sub, a1, b1))]
    out = []
    for row in _direct_matrix(r, sign):
        acc = list(xs[0])
        for w, x in zip(row[1:], xs[1:]):
            acc = list(map(add, acc, _scale(w, x)))
        out.append(acc)
    return out


def _mixed_radix(cols, radices, sign):
    """Decimation-in-time FFT of len(cols) columns; radices multiply to len(cols)."""
    n = len(cols)
    if n == 1:
        return [list(cols[0])]
    r, m = radices[0], n // radices[0]
    subs = [_mixed_radix(cols[j::r], radices[1:], sign) for j in range(r)]
    tw = _twiddles(n, r, sign)
    for j in range(1, r):
        sub_j, tw_j = subs[j], tw[j]
        for k in range(1, m):
            sub_j[k] = _scale(tw_j[k], sub_j[k])
    out = [None] * n
    for k in range(m):
        for q, y in enumerate(_butterfly([s[k] for s in subs], r, sign)):
            out[k + m * q] = y
    return out


@lru_cache(maxsize=None)
def _bluestein_plan(n, sign):
    """Chirp w[k] = exp(sign j pi k^2 / n) and the FFT of its conjugate, padded to a power of two."""
    size = 1 << (2 * n - 2).bit_length()
    chirp = [cmath.exp(sign * 1j * math.pi * ((k * k) % (2 * n)) / n) for k in range(n)]
    kernel = [0j] * size
    for k in range(n):
        kernel[k] = kernel[-k] = chirp[k].conjugate()
    kernel_fft = [c[0] for c in _mixed_radix([[v] for v in kernel], _factorize(size), -1)]
    return size, chirp, kernel_fft


def _bluestein(cols, sign):
    """DFT of any length as a circular convolution with a chirp: X[k] = w[k] sum_n (x[n] w[n]) conj(w[k-n])."""
    n, batch = len(cols), len(cols[0])
    size, chirp, kernel_fft = _bluestein_plan(n, sign)
    zeros = [0j] * batch
    padded = [_scale(chirp[k], cols[k]) for k in range(n)] + [zeros] * (size - n)
    spectrum = _mixed_radix(padded, _factorize(size), -1)
    spectrum = [_scale(kernel_fft[k] / size, spectrum[k]) for k in range(size)]
    conv = _mixed_radix(spectrum, _factorize(size), 1)
    return [_scale(chirp[k], conv[k]) for k in range(n)]
