"""Sample-rate conversion: step 1 of the lesson's log-Mel recipe, "Resample to 16 kHz".

Whisper hears 16 kHz mono, but files arrive at 44.1 kHz, 48 kHz, 8 kHz... Resampling evaluates the
band-limited signal behind the samples at the new sample times. Output sample k is the input read
at time k / target_sr, so nothing shifts (zero delay), with x[j] = 0 outside the file:

    y[k] = sum_j x[j] * h(k * orig_sr / target_sr - j)        (time in input samples)

h is a low-pass windowed sinc. Its cutoff sits just below the LOWER of the two Nyquist frequencies:
going down, content above the new Nyquist would alias (fold back) into the band; going up, it removes
the spectral images between the old and the new Nyquist. Against the lower Nyquist f_n
(8 kHz whenever one side is 16 kHz):

    pass band  0 .. 0.875 f_n    amplitude kept within 0.01 dB          (7 kHz)
    stop band  1.0625 f_n ..     attenuated by at least 80 dB            (8.5 kHz)

The window is Kaiser's, and his formulas give its shape beta and length from the attenuation A and
the transition width dw (radians per input sample): beta = 0.1102 (A - 8.7), length (A - 7.95) /
(2.285 dw). They are approximations, so the design asks for DESIGN_DB = 82 dB. Measured on every
pair of 8, 11.025, 16, 22.05, 24, 32, 44.1, 48 and 96 kHz (72 pairs), the least stop-band attenuation
is then 81.6 dB and the largest pass-band deviation 0.00075 dB.

Polyphase: with g = gcd(orig_sr, target_sr), up = target_sr / g and down = orig_sr / g, output k
sits at input position k * down / up: whole part i = k * down // up, fraction p / up with
p = k * down % up. Only `up` fractions ever occur, so the taps h(p / up + HALF - m) for every
phase p form one table, built once per rate pair and cached. 44.1 kHz -> 16 kHz has 160 phases;
48 kHz -> 16 kHz has one.

Rates with a small common divisor, such as the old Macintosh 11127 Hz (16000 phases to 16 kHz), would
need a huge table. Then the table holds PHASES evenly spaced phases q / PHASES instead, and an output
at fraction p / up between table phases q and q + 1 is the straight-line interpolation of their two
outputs. Positions stay exact; only the filter changes, from h to h drawn with straight lines between
points 1 / PHASES of an input sample apart. That lets through the input's images near PHASES * orig_sr
by (f / (PHASES * orig_sr))^2, under -120 dB for every tone f in the pass band.

Speed. Each output is one dot product of its taps with a slice of the zero-padded input, from the kernel
(base/dots.dot_by_distances: two C-level distances to the taps and to their negation, made once with the
table), about 1.8x faster than `sum(map(mul, taps, window))` (48 kHz -> 16 kHz, CPython 3.11). Its rounding
error is about 1e-16 * (|window|^2 + |taps|^2), some 1e-14 of a full-scale signal, and silence gives exactly 0.0.
"""

import math
from functools import lru_cache
from itertools import repeat

from ..base.dots import dot_by_distances
from ..base.errors import check_sample_rate, check_samples
from .wav import read_wav

PASS_EDGE = 0.875  # fraction of the lower Nyquist kept flat
STOP_EDGE = 1.0625  # fraction of the lower Nyquist from which everything is removed
STOP_DB = 80.0  # the promised stop-band attenuation
DESIGN_DB = 82.0  # what the Kaiser formulas are asked for: 2 dB of margin for their approximations
MAX_TABLE_TAPS = 1 << 18  # phases * taps; the largest common pair, 11.025 kHz -> 96 kHz, needs 72,960
PHASES = 512  # table phases when `up` of them would not fit in MAX_TABLE_TAPS


def _ratio(orig_sr, target_sr):
    """(up, down): target_sr / orig_sr in lowest terms."""
    g = math.gcd(orig_sr, target_sr)
    return target_sr // g, orig_sr // g


def _half_width(up, down):
    """Kaiser's length for the design, as a half-width HALF in input samples (taps span +-HALF)."""
    transition = math.pi * (STOP_EDGE - PASS_EDGE) * min(1.0, up / down)  # radians per input sample
    return math.ceil((DESIGN_DB - 7.95) / (2.285 * transition) / 2)


def _bessel_i0(x):
    """Modified Bessel function I0(x) = sum_k ((x/2)^k / k!)^2, summed until the terms stop counting."""
    quarter_x2, term, total, k = x * x / 4.0, 1.0, 1.0, 0
    while term > 1e-17 * total:
        k += 1
        term *= quarter_x2 / (k * k)
        total += term
    return total


def _kernel(t, cutoff, half, beta, i0_beta):
    """h(t), t in input samples: a sinc low-pass (cutoff as a fraction of the input Nyquist) times a Kaiser
    window of half-width `half`."""
    if abs(t) > half:
        return 0.0
    u = math.pi * cutoff * t
    sinc = math.sin(u) / u if u else 1.0
    return cutoff * sinc * _bessel_i0(beta * math.sqrt(1.0 - (t / half) ** 2)) / i0_beta


@lru_cache(maxsize=16)
def _phase_table(up, down, phases):
    """(taps, negated taps): taps[q][m] = h(q / phases + HALF - m), shape (phases + 1, 2 * HALF + 1), as tuples.

    taps[q] lines up with the input slice x[i - HALF : i + HALF + 1] of an output at position i + q / phases;
    the last row (q = phases, one input sample later) is only read when interpolating between phases.
    """
    half = _half_width(up, down)
    cutoff = 0.5 * (PASS_EDGE + STOP_EDGE) * min(1.0, up / down)
    beta = 0.1102 * (DESIGN_DB - 8.7)
    i0_beta = _bessel_i0(beta)
    taps = tuple(tuple(_kernel(q / phases + half - m, cutoff, half, beta, i0_beta) for m in range(2 * half + 1))
                 for q in range(phases + 1))
    return taps, tuple(tuple(-h for h in row) for row in taps)


def _plan(orig_sr, target_sr):
    """Validate a rate pair -> (up, down, half, phases): phases = up when a table of every phase fits."""
    check_sample_rate("orig_sr", orig_sr)
    check_sample_rate("target_sr", target_sr)
    up, down = _ratio(orig_sr, target_sr)
    half = _half_width(up, down)
    width = 2 * half + 1
    phases = up if up * width <= MAX_TABLE_TAPS else min(PHASES, MAX_TABLE_TAPS // width)
    return up, down, half, phases


def filter_half_width(orig_sr, target_sr):
    """Context the filter reads, in input samples: output k depends only on input samples j with
    |k * orig_sr / target_sr - j| <= filter_half_width(orig_sr, target_sr). 0 when the rates are equal.

    48 kHz -> 16 kHz: 83 (1.7 ms); 44.1 kHz -> 16 kHz: 76; 16 kHz -> 48 kHz: 28.

    Streaming a long file window by window gives exactly (bit for bit) the whole-file result:
    with half = this value and down = orig_sr // gcd(orig_sr, target_sr), an output span [k0, k1)
    whose start k0 is a multiple of up = target_sr // gcd sits at input start s = k0 * down // up. Take
    a = max(0, s - ceil(half / down) * down)  (the left context, rounded to whole multiples of down so
    the output grid stays aligned) and b = (k1 - 1) * down // up + half + 1; then
    resample(x[a:b], orig_sr, target_sr)[(s - a) * up // down:][:k1 - k0] == resample(x, ...)[k0:k1].
    """
    half = _plan(orig_sr, target_sr)[2]
    return 0 if orig_sr == target_sr else half


def resampled_length(n, orig_sr, target_sr=16000):
    """How many samples n samples at orig_sr become at target_sr (Whisper's 16 kHz by default): ceil(n *
    target_sr / orig_sr), the length resample() returns and a WAV header's n_frames gives at 16 kHz."""
    return -(-n * target_sr // orig_sr)


def resample(samples, orig_sr, target_sr):
    """Resample mono audio from orig_sr to target_sr (Hz, ints from 1000 to 768000) -> list of floats.

    samples: list, tuple or array of real numbers, shape (n,). The output has ceil(n * target_sr /
    orig_sr) samples and y[k] is the band-limited input at time k / target_sr: no delay. Pass band
    0 .. 0.875 of the lower Nyquist within 0.01 dB; from 1.0625 of it on, attenuation >= 80 dB.
    Equal rates give a copy.
    """
    plan = _plan(orig_sr, target_sr)
    return _resample(check_samples("samples", samples), *plan)


def _resample(values, up, down, half, phases):
    """resample() on a checked list of floats, with _plan's numbers."""
    if up == down:
        return values
    taps, negated = _phase_table(up, down, phases)
    n_out = resampled_length(len(values), down, up)
    padded = (0.0,) * half + tuple(values) + (0.0,) * half  # zeros beyond the ends; slices never run out
    width = 2 * half + 1
    out = []
    steps = map(divmod, range(0, n_out * down, down), repeat(up))
    if phases == up:
        # Output k sits at input position k * down / up = i + p / up; its window is padded[i:i + width].
        return [dot_by_distances(padded[i:i + width], taps[p], negated[p]) for i, p in steps]
    for i, p in steps:  # position i + p / up lies between table phases q and q + 1, r / up of the way
        q, r = divmod(p * phases, up)
        window = padded[i:i + width]
        low = dot_by_distances(window, taps[q], negated[q])
        out.append(low + (dot_by_distances(window, taps[q + 1], negated[q + 1]) - low) * (r / up) if r else low)
    return out


def load_audio(path, sr=16000):
    """Read a WAV file, mix it to mono and resample it to sr Hz -> list of floats, shape (n_samples,).

    sr defaults to Whisper's rate, mel.SAMPLE_RATE (this module sits below mel.py and does not import it).

    Whisper's `load_audio` has the same name and meaning but decodes any format through ffmpeg;
    this one reads WAV (see wav.read_wav) in pure Python. Samples that are not finite (a float WAV may
    store NaN or infinity) or beyond +-1e150 raise AudiollmError naming the file.
    """
    check_sample_rate("sr", sr)
    samples, file_sr = read_wav(path, mono=True)
    return _resample(check_samples(f"{path}: samples", samples), *_plan(file_sr, sr))
