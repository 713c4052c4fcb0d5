"""Synthetic audio in pure Python: the test signals the lesson listens to.

The lesson's Concept section needs audio with speech, music and environmental sound in one clip,
so the log-Mel spectrogram (and later the encoder and the Q-former) has all three kinds to show.
Real recordings would need downloads; these are built from three classic recipes instead:

- speech: a source-filter vowel. A sawtooth at the pitch f0 (the glottal pulse train: harmonics at
  every multiple of f0) goes through three formant resonators (the vocal tract: peaks at F1-F3).
- music: additive synthesis. Each note is a sum of harmonics whose amplitudes give the timbre,
  played from a one-period wavetable so every sample is a table look-up.
- environment: noise. Random samples, shaped by moving-average filters and an envelope.

Every function returns a list of floats in [-1, 1) at 16 kHz unless `sr` says otherwise, and any
randomness comes from `random.Random(seed)`, so the same seed gives the same samples bit for bit.
"""

import math
import random
from operator import add, mul
from itertools import accumulate, chain, pairwise, repeat

from .errors import AudiollmError, check_int

SAMPLE_RATE = 16000
MIN_SR, MAX_SR = 1000, 48000  # the sample rates the generators accept, in Hz
TABLE_SIZE = 4096  # wavetable length; a power of two so `& TABLE_MASK` wraps the phase
TABLE_MASK = TABLE_SIZE - 1
MAX_HARMONICS = 64  # a timbre longer than this is a mistake (and its wavetable would be slow to build)
SINE = [math.sin(2.0 * math.pi * j / TABLE_SIZE) for j in range(TABLE_SIZE)]  # one period
FADE_S = 0.01  # 10 ms linear fade in and out, so no sound starts or stops with a click
MAX_SAMPLES = 10 * 60 * 16000  # 10 minutes at 16 kHz: longer lists of Python floats eat gigabytes

# Average F1-F3 of American English men (Hillenbrand, Getty, Clark & Wheeler 1995, JASA 97,
# Table V: heed, hayed, hod, hoed, who'd). Women's formants are about 15-20 % higher.
FORMANTS_HZ = {
    "a": (768.0, 1333.0, 2522.0),
    "e": (476.0, 2089.0, 2691.0),
    "i": (342.0, 2322.0, 3000.0),
    "o": (497.0, 910.0, 2459.0),
    "u": (378.0, 997.0, 2343.0),
}
FORMANT_BANDWIDTHS_HZ = (80.0, 110.0, 150.0)  # typical adult bandwidths of F1, F2, F3

# Timbre = amplitude of harmonic 1, 2, 3, ... (index 0 is the fundamental).
TIMBRES = {
    "sine": (1.0,),
    "organ": (1.0, 0.7, 0.0, 0.5, 0.0, 0.0, 0.0, 0.3),  # octave pipes: harmonics 1, 2, 4, 8
    "clarinet": (1.0, 0.0, 1 / 3, 0.0, 1 / 5, 0.0, 1 / 7, 0.0, 1 / 9),  # odd harmonics only
    "string": tuple(1.0 / k for k in range(1, 13)),  # every harmonic at 1/k, like a bowed string
}
NOTE_SEMITONES = {"C": -9, "D": -7, "E": -5, "F": -4, "G": -2, "A": 0, "B": 2}  # from A

NOISE_KINDS = ("knock", "rain", "siren")
KNOCK_EVERY_S = 0.25  # a door knock: one rap every quarter second
KNOCK_HZ = 180.0  # the wooden door's low resonance
RAIN_DROPS_PER_S = 60
SIREN_HZ = (650.0, 1500.0)  # the "wail" sweeps between these, one cycle every SIREN_PERIOD_S
SIREN_PERIOD_S = 2.0

SPEAKERS = {  # name: (lowest f0 Hz, highest f0 Hz, formant scale, loudness)
    "A": (95.0, 135.0, 1.0, 0.6),  # male-like voice
    "B": (185.0, 255.0, 1.17, 0.5),  # female-like voice: higher pitch, shorter vocal tract
}


def _check_number(name, value, low=None, high=None):
    """Return `value` as a float, or raise AudiollmError naming `name` if it is out of range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AudiollmError(f"{name} must be a finite number, got {value!r}")
    if low is not None and value <= low:
        raise AudiollmError(f"{name} must be > {low}, got {value!r}")
    if high is not None and value >= high:
        raise AudiollmError(f"{name} must be < {high}, got {value!r}")
    return float(value)


def _rng(seed):
    """A private random generator, so the same integer seed always gives the same sound."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise AudiollmError(f"seed must be an integer, got {seed!r}")
    return random.Random(seed)


def _n_samples(duration_s, sr):
    """Number of samples in `duration_s` seconds (at least 1, at most MAX_SAMPLES)."""
    duration_s = _check_number("duration_s", duration_s, low=0.0)
    if duration_s * sr > MAX_SAMPLES:
        raise AudiollmError(f"duration_s: {duration_s} s at {sr} Hz is over the {MAX_SAMPLES}-sample limit")
    return max(1, round(duration_s * sr))


def _fade(samples, sr):
    """Multiply linear fade-in and fade-out ramps of FADE_S onto `samples`, in place."""
    n = len(samples)
    ramp = min(round(FADE_S * sr), n // 2)
    for i in range(ramp):
        gain = i / ramp
        samples[i] *= gain
        samples[n - 1 - i] *= gain
    return samples


def _normalise(samples, amplitude):
    """Scale `samples` so the largest |value| equals `amplitude` (silence stays silence)."""
    peak = max(map(abs, samples))
    if peak == 0.0:
        return samples
    gain = amplitude / peak
    return [s * gain for s in samples]


def _mix_into(mix, part, start):
    """Add `part` into `mix` starting at index `start`, in place (parts past the end are cut)."""
    end = min(len(mix), start + len(part))
    mix[start:end] = map(add, mix[start:end], part)


def note_hz(name):
    """Frequency in Hz of a note name like "A4" (440 Hz), "C4" (middle C) or "F#3", "Bb2".

    Equal temperament: each semitone is a factor 2 ** (1/12) from A4 = 440 Hz.
    """
    if not isinstance(name, str) or len(name) < 2 or name[0].upper() not in NOTE_SEMITONES:
        raise AudiollmError(f"note must be a name like 'A4' or 'F#3', got {name!r}")
    accidental = {"#": 1, "b": -1}.get(name[1], 0)
    octave = name[2:] if accidental else name[1:]
    if not octave.lstrip("-").isdigit() or not -1 <= int(octave) <= 10:
        raise AudiollmError(f"note must end in an octave number from -1 to 10 like 'A4', got {name!r}")
    semitones = NOTE_SEMITONES[name[0].upper()] + accidental + 12 * (int(octave) - 4)
    return 440.0 * 2.0 ** (semitones / 12)


def tone(freq_hz, duration_s, amplitude=0.5, sr=SAMPLE_RATE):
    """A pure sine wave: `duration_s` seconds at `freq_hz`, peak `amplitude`. Returns (n,) floats."""
    sr = check_int("sr", sr, MIN_SR, MAX_SR)
    freq_hz = _check_number("freq_hz", freq_hz, low=0.0, high=sr / 2)
    amplitude = _check_number("amplitude", amplitude, low=0.0, high=1.0)
    step = 2.0 * math.pi * freq_hz / sr  # radians per sample
    return _fade([amplitude * math.sin(step * i) for i in range(_n_samples(duration_s, sr))], sr)


def _wavetable(harmonics, freq_hz, sr):
    """One period of the waveform with these harmonic amplitudes, TABLE_SIZE samples long.

    Harmonic k is the sine table read with stride k: `(SINE * k)[::k]` is sin(2*pi*k*j/N).
    Harmonics at or above the Nyquist frequency sr/2 are left out: they would alias.
    """
    audible = [(k, a) for k, a in enumerate(harmonics, start=1) if a and k * freq_hz < sr / 2]
    partials = [[a * s for s in (SINE * k)[::k]] for k, a in audible]
    return list(map(sum, zip(*partials))) if partials else [0.0] * TABLE_SIZE


def chord(notes, duration_s, timbre="organ", amplitude=0.5, sr=SAMPLE_RATE):
    """Several notes held together, each with the harmonics of `timbre`. Returns (n,) floats.

    notes: frequencies in Hz or note names ("C4", "E4", "G4" is C major).
    timbre: a name in TIMBRES or your own tuple of harmonic amplitudes (fundamental first).
    Each note is read from a one-period wavetable: a phase that advances freq/sr of a period
    per sample indexes the table, interpolating linearly between entries (plain rounding would
    add faint high-frequency whistles). So each sample costs one look-up, not a sine per harmonic.
    """
    sr = check_int("sr", sr, MIN_SR, MAX_SR)
    amplitude = _check_number("amplitude", amplitude, low=0.0, high=1.0)
    harmonics = TIMBRES.get(timbre, timbre) if isinstance(timbre, str) else timbre
    if not isinstance(harmonics, (list, tuple)) or not 0 < len(harmonics) <= MAX_HARMONICS or not all(
        isinstance(a, (int, float)) and math.isfinite(a) and a >= 0 for a in harmonics
    ):
        raise AudiollmError(
            f"timbre must be one of {sorted(TIMBRES)} or 1-{MAX_HARMONICS} non-negative amplitudes, got {timbre!r}"
        )
    if not isinstance(notes, (list, tuple)) or not notes:
        raise AudiollmError(f"notes must be a non-empty list of Hz values or names, got {notes!r}")
    freqs = [note_hz(f) if isinstance(f, str) else _check_number("notes", f, 0.0, sr / 2) for f in notes]
    n = _n_samples(duration_s, sr)
    mix = [0.0] * n
    for freq in freqs:
        table = _wavetable(harmonics, freq, sr)
        slope = [b - a for a, b in zip(table, table[1:] + table[:1])]  # to the next entry, wrapping
        positions = map((freq * TABLE_SIZE / sr).__mul__, range(n))  # table entries read so far
        _mix_into(mix, [table[(j := int(p)) & TABLE_MASK] + slope[j & TABLE_MASK] * (p - j) for p in positions], 0)
    return _fade(_normalise(mix, amplitude), sr)


def _resonate(samples, freq_hz, bandwidth_hz, sr=SAMPLE_RATE):
    """Two-pole resonator (Klatt 1980): a peak at `freq_hz`, `bandwidth_hz` wide, gain 1 at 0 Hz.

    y[n] = a*x[n] + b*y[n-1] + c*y[n-2] with poles at radius exp(-pi*B/sr), angle 2*pi*F/sr.
    A recursive filter needs the previous outputs, so this one loop runs per sample.
    """
    radius = math.exp(-math.pi * bandwidth_hz / sr)
    b = 2.0 * radius * math.cos(2.0 * math.pi * freq_hz / sr)
    c = -radius * radius
    a = 1.0 - b - c
    out = []
    y1 = y2 = 0.0
    for x in samples:
        y1, y2 = a * x + b * y1 + c * y2, y1
        out.append(y1)
    return out


def _interpolate(anchors, n):
    """Stretch the values `anchors` evenly over n points by linear interpolation."""
    if len(anchors) == 1 or n == 1:
        return [anchors[0]] * n
    gaps = len(anchors) - 1
    edges = [round(k * (n - 1) / gaps) for k in range(gaps + 1)]
    out = []
    for (v0, v1), (i0, i1) in zip(pairwise(anchors), pairwise(edges)):
        slope = (v1 - v0) / (i1 - i0) if i1 > i0 else 0.0
        out.extend([v0 + slope * i for i in range(i1 - i0)])
    out.append(anchors[-1])
    return out


def vowel(formants, pitch_contour, duration_s, amplitude=0.5, formant_scale=1.0, sr=SAMPLE_RATE):
    """A voiced vowel with a moving pitch, by the source-filter model. Returns (n,) floats.

    formants: a vowel name in FORMANTS_HZ ("a", "e", "i", "o", "u") or your own (F1, F2, F3) in Hz.
    pitch_contour: f0 values in Hz spread evenly over the duration, e.g. (120, 150, 100) rises
      and falls; one value is a monotone.
    formant_scale: multiplies every formant (about 1.17 turns a man's vocal tract into a woman's).
    The source is a sawtooth (harmonics at k*f0 falling as 1/k, like glottal pulses seen from
    the lips); the three resonators put the formant peaks on that harmonic comb.
    """
    sr = check_int("sr", sr, MIN_SR, MAX_SR)
    amplitude = _check_number("amplitude", amplitude, low=0.0, high=1.0)
    formant_scale = _check_number("formant_scale", formant_scale, low=0.0)
    table = FORMANTS_HZ.get(formants) if isinstance(formants, str) else formants
    if not isinstance(table, (list, tuple)) or len(table) != 3:
        raise AudiollmError(f"formants must be one of {sorted(FORMANTS_HZ)} or (F1, F2, F3) Hz, got {formants!r}")
    peaks = [_check_number("formants", f * formant_scale, 0.0, sr / 2) for f in table]
    if not isinstance(pitch_contour, (list, tuple)) or not pitch_contour:
        raise AudiollmError(f"pitch_contour must be a non-empty list of f0 values in Hz, got {pitch_contour!r}")
    anchors = [_check_number("pitch_contour", f, 20.0, sr / 4) for f in pitch_contour]
    n = _n_samples(duration_s, sr)
    phase = accumulate(_interpolate([f / sr for f in anchors], n))  # periods elapsed, per sample
    voiced = [2.0 * (p % 1.0) - 1.0 for p in phase]
    for freq, bandwidth in zip(peaks, FORMANT_BANDWIDTHS_HZ):
        voiced = _resonate(voiced, freq, bandwidth, sr)
    return _fade(_normalise(voiced, amplitude), sr)


def _smooth(samples, width):
    """Causal moving average over `width` samples: the simplest low-pass filter.

    Running sums (itertools.accumulate) make it one subtraction per sample whatever the width.
    """
    sums = list(accumulate(chain(repeat(0.0, width), samples)))
    scale = 1.0 / width
    return [(hi - lo) * scale for hi, lo in zip(sums[width:], sums)]


def _decay(n, time_constant_s, sr):
    """Exponential decay envelope exp(-t / time_constant) over n samples."""
    factor = math.exp(-1.0 / (time_constant_s * sr))
    return list(accumulate(repeat(factor, n - 1), mul, initial=1.0))


def _knocks(rng, n, sr):
    """Door knocks: a noise burst (the crack) every KNOCK_EVERY_S, ringing at the door's KNOCK_HZ (the thud)."""
    mix = [0.0] * n
    burst = round(0.05 * sr)
    envelope = _decay(burst, 0.008, sr)
    for start in range(0, n, round(KNOCK_EVERY_S * sr)):
        tap = [rng.uniform(-1.0, 1.0) * e for e in envelope]
        body = _resonate(tap, KNOCK_HZ, 60.0, sr)
        thud = _normalise(body, 1.0)
        _mix_into(mix, [0.5 * t + 0.5 * s for t, s in zip(thud, tap)], start)  # thud + crack
    return mix


def _rain(rng, n, sr):
    """Rain: a steady high hiss plus many short droplet clicks at random times."""
    uniform = rng.random
    white = [2.0 * uniform() - 1.0 for _ in range(n)]
    hiss = [0.15 * (w - s) for w, s in zip(white, _smooth(white, 3))]  # minus the lows: a high-pass
    drop = round(0.004 * sr)
    envelope = _decay(drop, 0.001, sr)
    for _ in range(int(RAIN_DROPS_PER_S * n / sr)):
        start = rng.randrange(n)
        loudness = rng.uniform(0.2, 1.0)
        _mix_into(hiss, [loudness * rng.uniform(-1.0, 1.0) * e for e in envelope], start)
    return hiss


def _siren(n, sr):
    """A wailing siren: a square-ish tone (odd harmonics) sweeping up and down SIREN_HZ."""
    low, high = SIREN_HZ
    centre, depth = (low + high) / 2, (high - low) / 2
    sweep = 2.0 * math.pi / (SIREN_PERIOD_S * sr)
    freqs = (centre - depth * math.cos(sweep * i) for i in range(n))
    phase = [2.0 * math.pi * p for p in accumulate(f / sr for f in freqs)]
    return [math.sin(p) + math.sin(3.0 * p) / 3.0 for p in phase]


def noise_event(kind, duration_s, seed=0, amplitude=0.5, sr=SAMPLE_RATE):
    """An environmental sound: "knock" (door knocks), "rain" or "siren" (a sweep). Returns (n,) floats.

    The peak is `amplitude`, or a little less when the loudest moment falls in the end fades.
    """
    sr = check_int("sr", sr, MIN_SR, MAX_SR)
    amplitude = _check_number("amplitude", amplitude, low=0.0, high=1.0)
    n = _n_samples(duration_s, sr)
    rng = _rng(seed)
    if kind == "knock":
        samples = _knocks(rng, n, sr)
    elif kind == "rain":
        samples = _rain(rng, n, sr)
    elif kind == "siren":
        samples = _siren(n, sr)
    else:
        raise AudiollmError(f"kind must be one of {NOISE_KINDS}, got {kind!r}")
    return _fade(_normalise(samples, amplitude), sr)


def _utterance(rng, speaker, n_syllables, sr):
    """A run of voiced syllables (random vowels, rising or falling pitch) for one SPEAKERS entry.

    Returns samples that start and end voiced: the caller adds the silences around them.
    """
    f0_low, f0_high, scale, loudness = SPEAKERS[speaker]
    parts = []
    for k in range(n_syllables):
        if k:
            parts.append([0.0] * round(rng.uniform(0.04, 0.09) * sr))
        contour = [rng.uniform(f0_low, f0_high) for _ in range(3)]
        syllable = vowel(
            rng.choice(sorted(FORMANTS_HZ)), contour, rng.uniform(0.18, 0.32),
            amplitude=loudness * rng.uniform(0.7, 1.0), formant_scale=scale, sr=sr,
        )
        parts.append(syllable)
    return list(chain.from_iterable(parts))


def lesson_scene(seed=0, sr=SAMPLE_RATE):
    """The lesson's 10-second clip: speech, then music, then an environmental sound.

    Returns (samples, segments): samples is a list of 10*sr floats in [-1, 1); segments is
    [(name, start_s, end_s), ...] covering the clip from 0 to 10 s:
      speech       0.0-3.5 s  voiced syllables of speaker "A" (formants + moving pitch)
      music        3.5-7.0 s  a C major chord (C4 E4 G4) with organ harmonics
      environment  7.0-10.0 s rain with three door knocks on top
    """
    sr = check_int("sr", sr, MIN_SR, MAX_SR)
    rng = _rng(seed)
    mix = [0.0] * (10 * sr)
    speech = _utterance(rng, "A", 10, sr)[: round(3.2 * sr)]  # cut to stay inside its segment
    _mix_into(mix, _fade(speech, sr), round(0.15 * sr))
    _mix_into(mix, chord(["C4", "E4", "G4"], 3.0, "organ", 0.6, sr), round(3.75 * sr))
    _mix_into(mix, noise_event("rain", 2.8, rng.randrange(2**32), 0.3, sr), round(7.1 * sr))
    _mix_into(mix, noise_event("knock", 0.75, rng.randrange(2**32), 0.6, sr), round(8.0 * sr))
    segments = [("speech", 0.0, 3.5), ("music", 3.5, 7.0), ("environment", 7.0, 10.0)]
    return mix, segments


def two_speaker_dialogue(seed=0, n_turns=10, sr=SAMPLE_RATE):
    """Two synthetic speakers taking turns, with ground truth for diarization.

    Speaker "A" is male-like (f0 95-135 Hz, Hillenbrand men's formants), "B" female-like
    (f0 185-255 Hz, formants x1.17). They alternate, starting with A; each turn is 4-7
    syllables, with 0.3-0.7 s pauses between turns. About 20 s for the default 10 turns.
    Returns (samples, turns) with turns = [(start_s, end_s, speaker), ...] in time order.
    """
    sr = check_int("sr", sr, MIN_SR, MAX_SR)
    if isinstance(n_turns, bool) or not isinstance(n_turns, int) or not 1 <= n_turns <= 100:
        raise AudiollmError(f"n_turns must be an integer from 1 to 100, got {n_turns!r}")
    rng = _rng(seed)
    parts = [[0.0] * round(0.3 * sr)]
    turns = []
    position = len(parts[0])
    for k in range(n_turns):
        if k:
            parts.append([0.0] * round(rng.uniform(0.3, 0.7) * sr))
            position += len(parts[-1])
        speaker = "AB"[k % 2]
        parts.append(_utterance(rng, speaker, rng.randint(4, 7), sr))
        turns.append((position / sr, (position + len(parts[-1])) / sr, speaker))
        position += len(parts[-1])
    parts.append([0.0] * round(0.3 * sr))
    return list(chain.from_iterable(parts)), turns
