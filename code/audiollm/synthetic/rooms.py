"""Where a sound travels before the microphone (layer "synthetic"): a room's reverberation and a telephone line.

Real recordings are never the dry waveform a synthesizer writes: a room adds echoes that die away over a few
tenths of a second, and a telephone keeps only 300-3400 Hz. The corpus passes some clips through these, so the
Listener learns what a voice or an instrument is, not how clean the project's synthesizer makes it.
"""
import math

from ..base.errors import check_float, check_sample_rate

COMB_S = (0.0297, 0.0371, 0.0411, 0.0437)  # Schroeder's four comb delays (1962): no common factor, dense echoes
ALLPASS_S = ((0.005, 0.7), (0.0017, 0.7))   # two all-pass diffusers: (delay s, gain)
TELEPHONE_HZ = (300.0, 3400.0)              # the telephone band (ITU-T G.712)


def _comb(x, delay, gain):
    """y[i] = x[i] + gain * y[i - delay]: echoes every `delay` samples, each `gain` times the last.
    A block of `delay` samples needs only the block before it, so each block is one comprehension."""
    y = list(x[:delay])
    for i in range(delay, len(x), delay):
        y += [v + gain * w for v, w in zip(x[i:i + delay], y[i - delay:i])]
    return y


def _allpass(x, delay, gain):
    """y[i] = -gain * x[i] + x[i - delay] + gain * y[i - delay]: smears echoes in time, leaves the spectrum flat."""
    y = [-gain * v for v in x[:delay]]
    for i in range(delay, len(x), delay):
        y += [-gain * v + u + gain * w for v, u, w in zip(x[i:i + delay], x[i - delay:i], y[i - delay:i])]
    return y


def reverb(samples, rt60_s, wet, sr=16000):
    """A room: Schroeder's reverberator (four parallel combs, then two all-passes) mixed under the dry sound.

    rt60_s: seconds for the echoes to fall 60 dB (a small room 0.2-0.5, a hall 1-2); each comb's gain is
    10 ** (-3 * delay / rt60). wet: the echoes' level beside the dry sound (0 dry, 1 as loud). The tail is cut
    at the input's length. Returns (n,) floats.
    """
    rt60_s, wet = check_float("rt60_s", rt60_s, 0.01, 10.0), check_float("wet", wet, 0.0, 1.0)
    sr = check_sample_rate("sr", sr)
    combs = [_comb(samples, round(d * sr), 10.0 ** (-3.0 * d / rt60_s)) for d in COMB_S]
    tail = [sum(v) * 0.25 for v in zip(*combs)]
    for delay_s, gain in ALLPASS_S:
        tail = _allpass(tail, round(delay_s * sr), gain)
    return [d + wet * t for d, t in zip(samples, tail)]


def _biquad(x, b0, b1, b2, a1, a2):
    """The direct-form-I biquad y[i] = b0 x[i] + b1 x[i-1] + b2 x[i-2] - a1 y[i-1] - a2 y[i-2] (a0 = 1)."""
    y, x1, x2, y1, y2 = [], 0.0, 0.0, 0.0, 0.0
    for v in x:
        out = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        x1, x2, y1, y2 = v, x1, out, y1
        y.append(out)
    return y


def _pass(x, cutoff_hz, sr, high):
    """A second-order Butterworth high-pass (high=True) or low-pass at cutoff_hz (the Audio EQ Cookbook's)."""
    w = 2.0 * math.pi * cutoff_hz / sr
    alpha, cos_w = math.sin(w) / math.sqrt(2.0), math.cos(w)
    a0 = 1.0 + alpha
    b1 = -(1.0 + cos_w) if high else 1.0 - cos_w
    b0 = (1.0 + cos_w) / 2.0 if high else (1.0 - cos_w) / 2.0
    return _biquad(x, b0 / a0, b1 / a0, b0 / a0, -2.0 * cos_w / a0, (1.0 - alpha) / a0)


def telephone(samples, sr=16000):
    """A telephone line: the band TELEPHONE_HZ kept, each edge a fourth-order (two biquads) Butterworth slope of
    24 dB an octave. Returns (n,) floats."""
    sr = check_sample_rate("sr", sr)
    low, high = TELEPHONE_HZ
    for _ in range(2):
        samples = _pass(_pass(samples, low, sr, True), min(high, 0.45 * sr), sr, False)
    return samples
