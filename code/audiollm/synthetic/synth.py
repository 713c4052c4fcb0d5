"""Synthetic audio in pure Python: the test signals the lesson listens to.

The lesson's Concept section needs audio with speech, music and environmental sound in one clip,
so the log-Mel spectrogram (and later the encoder and the Q-former) has all three kinds to show.
Real recordings would need downloads; these are built from three classic recipes instead:

- speech: a source-filter vowel. A sawtooth at the pitch f0 (the glottal pulse train: harmonics at
  every multiple of f0) goes through three formant resonators (the vocal tract: peaks at F1-F3).
- music: additive synthesis. Each note is a sum of harmonics whose amplitudes give the timbre,
  played from a one-period wavetable so every sample is a table look-up.
- environment: noise. Random samples, shaped by moving-average filters and an envelope.

The synthetic corpus (audiollm.synthetic.corpus) needs more variety than the lesson's clip, so that what a model learns
carries over to recordings made otherwise (espeak-ng speech, sox music and noise). Its generators follow below
the lesson's: `speech` (a babbling talker: four gliding formants, consonants, calm or excited prosody), `play`
(12 instruments, chords and melodies), `sound` (14 environmental sounds drawn afresh per seed),
`coloured_noise` (1/f**a) and `mu_law` (G.711 companding).

Every function returns a list of floats in [-1, 1) at 16 kHz unless `sr` says otherwise, and any
randomness comes from `random.Random(seed)`, so the same seed gives the same samples bit for bit.
"""

import math
import random
from functools import lru_cache
from operator import add, mul
from itertools import accumulate, chain, pairwise, repeat

from ..base.errors import AudiollmError, check_int
from ..front.mel import SAMPLE_RATE

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
    return _table(tuple((k, a) for k, a in enumerate(harmonics, start=1) if a and k * freq_hz < sr / 2))


@lru_cache(maxsize=512)
def _table(audible):
    """The wavetable of the (harmonic number, amplitude) pairs `audible`, built once: notes reuse it."""
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
        _mix_into(mix, _read_table(_wavetable(harmonics, freq, sr), freq, n, sr), 0)
    return _fade(_normalise(mix, amplitude), sr)


def _sine(freq_hz, n, sr):
    """n samples of a unit sine at freq_hz, starting at phase 0."""
    step = 2.0 * math.pi * freq_hz / sr  # radians per sample
    return [math.sin(step * i) for i in range(n)]


def _read_table(table, freq_hz, n, sr):
    """n samples of the one-period `table` played at `freq_hz`: the phase indexes the table, interpolated linearly."""
    return _lookup(table, map((freq_hz * TABLE_SIZE / sr).__mul__, range(n)))  # table entries read so far


def _lookup(table, positions):
    """The one-period `table` read at fractional `positions` (in table entries, wrapping), interpolated linearly."""
    slope = [b - a for a, b in zip(table, table[1:] + table[:1])]  # to the next entry, wrapping
    return [table[(j := int(p)) & TABLE_MASK] + slope[j & TABLE_MASK] * (p - j) for p in positions]


def _resonate(samples, freq_hz, bandwidth_hz, sr=SAMPLE_RATE):
    """Two-pole resonator (Klatt 1980): a peak at `freq_hz`, `bandwidth_hz` wide, gain 1 at 0 Hz.

    y[n] = a*x[n] + b*y[n-1] + c*y[n-2] with poles at radius exp(-pi*B/sr), angle 2*pi*F/sr.
    A recursive filter needs the previous outputs, so one loop runs per sample (in _resonate_track).
    """
    return _resonate_track(samples, [freq_hz], bandwidth_hz, sr, block=max(1, len(samples)))


def _resonate_track(samples, freqs_hz, bandwidth_hz, sr, block=None):
    """The resonator of `_resonate` with a moving peak: freqs_hz[k] holds for samples [k*block, (k+1)*block).

    block defaults to BLOCK (5 ms at 16 kHz); speech moves its formants this way, wind its band.
    """
    block = block or BLOCK
    radius = math.exp(-math.pi * bandwidth_hz / sr)
    c = -radius * radius
    out = []
    y1 = y2 = 0.0
    for k, freq_hz in enumerate(freqs_hz):
        b = 2.0 * radius * math.cos(2.0 * math.pi * freq_hz / sr)
        a = 1.0 - b - c
        for x in samples[k * block:(k + 1) * block]:
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


def _knocks(rng, n, sr, starts=None, hz=KNOCK_HZ, crack=0.5):
    """Door knocks: a noise burst (the crack) at each of `starts` (samples; default every KNOCK_EVERY_S),
    ringing at the door's resonance `hz` (the thud). crack: the burst's share of the mix."""
    mix = [0.0] * n
    burst = round(0.05 * sr)
    envelope = _decay(burst, 0.008, sr)
    for start in range(0, n, round(KNOCK_EVERY_S * sr)) if starts is None else starts:
        tap = [rng.uniform(-1.0, 1.0) * e for e in envelope]
        body = _resonate(tap, hz, 60.0, sr)
        thud = _normalise(body, 1.0)
        _mix_into(mix, [(1.0 - crack) * t + crack * s for t, s in zip(thud, tap)], start)  # thud + crack
    return mix


def _rain(rng, n, sr, drops_per_s=RAIN_DROPS_PER_S, hiss_level=0.15):
    """Rain: a steady high hiss plus many short droplet clicks at random times."""
    uniform = rng.random
    white = [2.0 * uniform() - 1.0 for _ in range(n)]
    hiss = [hiss_level * (w - s) for w, s in zip(white, _smooth(white, 3))]  # minus the lows: a high-pass
    drop = round(0.004 * sr)
    envelope = _decay(drop, 0.001, sr)
    for _ in range(int(drops_per_s * n / sr)):
        start = rng.randrange(n)
        loudness = rng.uniform(0.2, 1.0)
        _mix_into(hiss, [loudness * rng.uniform(-1.0, 1.0) * e for e in envelope], start)
    return hiss


def _siren(n, sr, low_high=SIREN_HZ, period_s=SIREN_PERIOD_S, partials=(1, 3), linear=False):
    """A wailing siren: a tone sweeping up and down between low_high, one cycle every period_s seconds, along a
    cosine (or, linear=True, straight up and straight down). partials: see _partials."""
    low, high = low_high
    if linear:
        cycle = period_s * sr
        freqs = (low + (high - low) * (1.0 - abs(1.0 - 2.0 * (i / cycle % 1.0))) for i in range(n))
    else:
        centre, depth = (low + high) / 2, (high - low) / 2
        sweep = 2.0 * math.pi / (period_s * sr)
        freqs = (centre - depth * math.cos(sweep * i) for i in range(n))
    return _partials([2.0 * math.pi * p for p in accumulate(f / sr for f in freqs)], partials)


def _partials(phase, partials):
    """sin(phase) plus harmonics k of partials[1:] at loudness 1/k: (1, 3) sounds square-ish, (1,) is a whistle."""
    out = [math.sin(p) for p in phase]
    for k in partials[1:]:
        out = [s + math.sin(k * p) / k for s, p in zip(out, phase)]
    return out


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


# ----------------------------------------------------------------------------------------------------------
# The corpus's generators (audiollm.synthetic.corpus draws their parameters): coloured noise, a babbling talker,
# instruments and environmental sounds whose character changes with the seed. The slow controls (formants,
# pitch, loudness, a filter's centre) move once per BLOCK samples.

BLOCK = 80  # samples per step of the slow controls: 5 ms at 16 kHz
NOISE_LEVELS = 9  # coloured noise is built over 9 octaves, down to sr / 2**10 (16 Hz at 16 kHz)


def _white(rng, n):
    """n samples of uniform white noise in [-1, 1)."""
    uniform = rng.random
    return [2.0 * uniform() - 1.0 for _ in range(n)]


def _upsample2(x):
    """Twice the rate by linear interpolation: x[0], (x[0] + x[1]) / 2, x[1], ... (2 * len(x) - 1 samples)."""
    halfway = [(a + b) * 0.5 for a, b in zip(x, x[1:])]
    return list(chain.from_iterable(zip(x, halfway))) + x[-1:]


def _coloured(rng, n, exponent):
    """Noise whose power per Hz falls as 1 / f**exponent (0 white, 1 pink, 2 brown), built coarse to fine.

    Level k is white noise at sr / 2**k samples a second. Going one level finer doubles the rate by linear
    interpolation and adds that level's own white noise. Level k's noise fills the band below sr / 2**(k+1) Hz,
    2**k times denser per Hz than level 0's, so weight_k**2 = 2**(k*(exponent-1)) * (1 - 2**-exponent) makes
    the levels covering any octave add up to (sr / f)**exponent; level 0 keeps weight 1 (white at the top).
    """
    uniform = rng.random
    x = [0.0] * (n // 2**NOISE_LEVELS + 2)
    for k in range(NOISE_LEVELS, -1, -1):
        weight = 1.0 if k == 0 else math.sqrt(2.0 ** (k * (exponent - 1)) * (1.0 - 2.0 ** -exponent))
        x = [v + weight * (2.0 * uniform() - 1.0) for v in (_upsample2(x) if k < NOISE_LEVELS else x)]
    return x[:n]


def coloured_noise(duration_s, exponent=1.0, seed=0, amplitude=0.5, sr=SAMPLE_RATE):
    """Noise with power 1 / f**exponent: 0 is white, 1 pink, 2 brown, up to 4. Returns (n,) floats."""
    sr = check_int("sr", sr, MIN_SR, MAX_SR)
    exponent = _check_number("exponent", exponent, low=-1e-9, high=4.0)
    amplitude = _check_number("amplitude", amplitude, low=0.0, high=1.0)
    return _fade(_normalise(_coloured(_rng(seed), _n_samples(duration_s, sr), exponent), amplitude), sr)


def mu_law(samples):
    """samples through 8-bit mu-law (G.711) and back, as telephone audio and mu-law WAV files hold them.

    Each sample is rounded to 16 bits (what an encoder receives), then companded: y = sign(x) ln(1 + 255 |x|) /
    ln(256), rounded to 127 steps each side, expanded back. The rounding error grows with the signal, so quiet
    passages stay clean and loud ones carry a noise floor about 38 dB down. Samples beyond [-1, 1] are clipped.
    """
    if not isinstance(samples, (list, tuple)):
        raise AudiollmError(f"samples must be a list of floats, got {type(samples).__name__}")
    table = _mu_law_table()
    if samples and max(map(abs, samples)) > 1.0:
        samples = [min(1.0, max(-1.0, v)) for v in samples]
    return [table[int(v * 32767.0 + 32768.5)] for v in samples]  # the 16-bit value, as an index from 0


@lru_cache(maxsize=1)
def _mu_law_table():
    """What mu-law makes of every 16-bit value: entry i holds the output for the input (i - 32768) / 32767."""
    scale = math.log1p(255)
    levels = []
    for i in range(65537):
        x = max(-1.0, (i - 32768) / 32767.0)
        code = round(math.log1p(255 * abs(x)) / scale * 127)  # 0-127: the 7 bits beside the sign
        levels.append(math.copysign(math.expm1(code / 127 * scale) / 255, x))
    return levels


def _band(rng, n, centre_hz, bandwidth_hz, sr):
    """Band-passed noise: white noise, its lows removed by a first difference, through a resonator."""
    white = _white(rng, n + 1)
    return _resonate([b - a for a, b in zip(white, white[1:])], centre_hz, bandwidth_hz, sr)


def _track(anchors, n):
    """n values along the straight lines through anchors [(position, value), ...], held beyond the ends."""
    out, j = [], 0
    for i in range(n):
        while j + 2 < len(anchors) and anchors[j + 1][0] <= i:
            j += 1
        (p0, v0), (p1, v1) = anchors[j], anchors[min(j + 1, len(anchors) - 1)]
        share = 0.0 if p1 <= p0 else min(1.0, max(0.0, (i - p0) / (p1 - p0)))
        out.append(v0 + (v1 - v0) * share)
    return out


def _per_sample(values, block=BLOCK):
    """Block values (one per BLOCK samples) -> sample values, each repeated `block` times."""
    return list(chain.from_iterable(map(repeat, values, repeat(block))))


def _ramp(values):
    """Block values smoothed over three blocks (15 ms at 16 kHz), so a loudness never jumps in one step."""
    padded = values[:1] + values + values[-1:]
    return [(a + b + c) / 3.0 for a, b, c in zip(padded, padded[1:], padded[2:])]


def _swell(rng, n, every_s, low, sr):
    """A slow random loudness contour in [low, 1]: a new level every about `every_s` seconds, joined by lines."""
    step = max(1, round(every_s * sr))
    return _interpolate([rng.uniform(low, 1.0) for _ in range(n // step + 2)], n)


# --- Speech: a babbling talker with 4 formants, consonants and prosody ------------------------------------

# Vowels: F1-F3 of American English men (Hillenbrand et al. 1995, Table V: hid, head, had, hawed, hood, hud,
# heard beside FORMANTS_HZ's five), and F4 = 3500 Hz, a typical adult male value that moves little between vowels.
F4_HZ = 3500.0
VOWELS_HZ = {name: (*f, F4_HZ) for name, f in {
    **FORMANTS_HZ,
    "ih": (427.0, 2034.0, 2684.0), "eh": (580.0, 1799.0, 2605.0), "ae": (588.0, 1952.0, 2601.0),
    "aw": (652.0, 997.0, 2538.0), "oo": (469.0, 1122.0, 2434.0), "uh": (623.0, 1200.0, 2550.0),
    "er": (474.0, 1379.0, 1710.0),
}.items()}
SPEECH_BANDWIDTHS_HZ = (80.0, 110.0, 150.0, 250.0)  # F1-F4
# Consonants, rough textbook values (all Hz values are scaled by formant_scale like the vowels'):
NASALS_HZ = {"m": (280.0, 1000.0, 2200.0, 3300.0), "n": (280.0, 1600.0, 2500.0, 3300.0)}  # the murmur's formants
APPROXIMANTS_HZ = {"l": (360.0, 1300.0, 2700.0, 3300.0), "r": (420.0, 1300.0, 1600.0, 3300.0),
                   "w": (300.0, 610.0, 2200.0, 3300.0), "y": (260.0, 2070.0, 3020.0, 3500.0)}
FRICATIVES = {  # name: (noise centre Hz, noise bandwidth Hz, loudness against the vowels' peak, voiced)
    "s": (5500.0, 2500.0, 0.5, False), "sh": (3000.0, 1800.0, 0.5, False), "f": (4500.0, 5000.0, 0.15, False),
    "th": (6000.0, 4000.0, 0.12, False), "z": (5500.0, 2500.0, 0.35, True), "v": (4500.0, 5000.0, 0.12, True),
}
STOPS = {  # name: (burst centre Hz, burst bandwidth Hz, voiced): a closure, a burst, then aspiration if voiceless
    "p": (900.0, 2000.0, False), "t": (4500.0, 3000.0, False), "k": (2200.0, 1500.0, False),
    "b": (900.0, 2000.0, True), "d": (4000.0, 3000.0, True), "g": (2000.0, 1500.0, True),
}
ONSETS = ("", "", "m", "n", "l", "r", "w", "y", "h", "s", "s", "sh", "sh", "f", "f", "th", "z", "v", "p", "t", "k",
          "b", "d", "g", "s t", "s p", "p l", "t r", "k r", "b l", "g r", "f l")
CODAS = ("", "", "", "m", "n", "l", "r", "s", "s", "z", "z", "sh", "f", "t", "k", "d", "n t", "s t", "t s")
HIGH_POLE_HZ, HIGH_POLE_BANDWIDTH_HZ = 4500.0, 300.0  # the tract's 5th resonance, after F4: it lifts 4-5 kHz
DIPHTHONGS = (("a", "ih"), ("a", "oo"), ("aw", "ih"), ("e", "ih"), ("o", "oo"))  # as in "by", "now", "boy", "day", "go"
PROSODIES = ("calm", "excited")


def _consonant(rng, name, scale, tempo, sr):
    """The phones of one consonant: [(blocks, formants or None, voicing, aspiration, noise or None), ...].

    formants None lets the formants glide from the phone before to the phone after; noise is
    (centre Hz, bandwidth Hz, loudness), added after the vocal tract like Klatt's parallel branch.
    """
    def blocks(low_ms, high_ms):
        return max(1, round(rng.uniform(low_ms, high_ms) * tempo * sr / 1000 / BLOCK))

    if name in NASALS_HZ:
        return [(blocks(50, 80), tuple(f * scale for f in NASALS_HZ[name]), 0.35, 0.0, None)]
    if name in APPROXIMANTS_HZ:
        return [(blocks(40, 70), tuple(f * scale for f in APPROXIMANTS_HZ[name]), 0.6, 0.0, None)]
    if name == "h":
        return [(blocks(50, 80), None, 0.0, 0.6, None)]
    if name in FRICATIVES:
        centre, bandwidth, loudness, voiced = FRICATIVES[name]
        return [(blocks(80, 150), None, 0.25 * voiced, 0.0, (centre * scale, bandwidth * scale, loudness))]
    centre, bandwidth, voiced = STOPS[name]
    closure = [(blocks(25, 60), None, 0.06 * voiced, 0.0, None)]
    burst = [(max(1, round(0.01 * sr / BLOCK)), None, 0.0, 0.0, (centre * scale, bandwidth * scale, 0.5))]
    return closure + burst + ([] if voiced else [(blocks(25, 55), None, 0.0, 0.6, None)])


def _babble_plan(rng, n_blocks, f0_hz, scale, rate, prosody, sr):
    """Phones and pitch anchors for n_blocks of speech: words of 1-3 syllables (onset, vowel or diphthong, coda),
    vowels longer when stressed and before a pause.

    Calm speech stays near f0_hz with small accents (0-2.5 semitones) and falls about 3 semitones over the
    utterance; excited speech sits 3-7 semitones higher with 3-9 semitone accents, louder and faster.
    Pauses inside an utterance stay under 0.2 s, so a pause of 0.25 s or more means the speech stopped.
    """
    excited = prosody == "excited"
    tempo = 4.0 / (rate * (rng.uniform(1.05, 1.25) if excited else rng.uniform(0.85, 1.0)))
    base = f0_hz * 2 ** ((rng.uniform(3, 7) if excited else rng.uniform(-1, 1)) / 12)
    fall = 0.0 if excited else rng.uniform(1.5, 4.5)
    phones, pitch, at = [], [], 0
    while at < n_blocks:
        pause = rng.random() < 0.35  # a short pause after this word
        n_syllables = rng.choice((1, 1, 2, 2, 3))
        for s in range(n_syllables):
            if at >= n_blocks:
                break
            stress = rng.random() < (0.6 if s == 0 else 0.25)
            accent = rng.uniform(3, 9) if excited and stress else rng.uniform(0, 2.5) * stress
            loud = (rng.uniform(0.75, 1.0) if excited else rng.uniform(0.55, 0.8)) * (1.2 if stress else 1.0)
            onset, coda = rng.choice(ONSETS).split(), rng.choice(CODAS).split()
            longer = (1.4 if stress else 1.0) * (1.6 if pause and s == n_syllables - 1 else 1.0)  # stress, phrase end
            vowel_blocks = max(2, round(rng.uniform(0.08, 0.2) * longer * tempo * sr / BLOCK))
            glide = rng.choice(DIPHTHONGS) if rng.random() < 0.3 else (rng.choice(sorted(VOWELS_HZ)),) * 2
            vowel = [(-(-vowel_blocks // 2), tuple(f * scale for f in VOWELS_HZ[glide[0]]), 1.0, 0.0, None),
                     (vowel_blocks // 2 or 1, tuple(f * scale for f in VOWELS_HZ[glide[1]]), 1.0, 0.0, None)]
            syllable = [p for c in onset for p in _consonant(rng, c, scale, tempo, sr)]
            centre = at + sum(p[0] for p in syllable) + vowel_blocks / 2
            semitones = accent - fall * min(1.0, centre / n_blocks) + rng.uniform(-0.5, 0.5)
            pitch.append((centre, base * 2 ** (semitones / 12)))
            syllable += vowel + [p for c in coda for p in _consonant(rng, c, scale, tempo, sr)]
            phones += [(b, f, v * loud, a * loud, n and (n[0], n[1], n[2] * loud)) for b, f, v, a, n in syllable]
            at += sum(p[0] for p in syllable)
        if pause:
            gap = max(1, round(rng.uniform(0.03, 0.18) * sr / BLOCK))
            phones.append((gap, None, 0.0, 0.0, None))
            at += gap
    return phones, pitch


def _speak(rng, phones, pitch, breathiness, brightness, high_pole_hz, sr, jitter=0.0, tilt=0.0):
    """Render a phone plan: a sawtooth at the pitch (voicing) plus noise (aspiration, breath) through four
    formant resonators in cascade whose peaks glide between the phones' targets and a fixed one at high_pole_hz,
    plus `brightness` times its first difference (radiation from the lips lifts the highs); then the fricative
    and burst noises are added. jitter: the pitch wanders this share up and down from block to block (a rough or
    creaky voice); tilt (0-1): a one-pole low-pass on the source, softer glottal pulses (a lax or breathy voice).
    Returns the samples of every block of the plan."""
    n_blocks = sum(p[0] for p in phones)
    starts = list(accumulate((p[0] for p in phones), initial=0))
    targets = [(start + p[0] / 2, p[1]) for start, p in zip(starts, phones) if p[1]]
    voicing = _per_sample(_ramp([v for p in phones for v in repeat(p[2], p[0])]))
    aspiration = _per_sample(_ramp([a for p in phones for a in repeat(p[3], p[0])]))
    f0 = _track(pitch, n_blocks)
    if jitter:
        f0 = [f * (1.0 + jitter * w) for f, w in zip(f0, _white(rng, n_blocks))]
    phase = accumulate(_per_sample([f / sr for f in f0]))  # periods elapsed, per sample
    noise = _white(rng, n_blocks * BLOCK)
    tract = [(2.0 * (p % 1.0) - 1.0) * v + w * (a + breathiness * v)
             for p, v, a, w in zip(phase, voicing, aspiration, noise)]
    if tilt:  # y[i] = (1 - tilt) x[i] + tilt y[i-1], its gain at 0 Hz kept at 1
        tract = list(accumulate(tract, lambda y, x: (1.0 - tilt) * x + tilt * y))
    for k, bandwidth in enumerate(SPEECH_BANDWIDTHS_HZ):
        tract = _resonate_track(tract, _track([(t, f[k]) for t, f in targets], n_blocks), bandwidth, sr)
    tract = _resonate(tract, min(high_pole_hz, 0.45 * sr), HIGH_POLE_BANDWIDTH_HZ, sr)
    tract = [v + brightness * (v - before) for v, before in zip(tract, [0.0] + tract)]  # the lips: highs +6 dB/octave
    peak = max(map(abs, tract)) or 1.0
    for start, (blocks, _, _, _, hiss) in zip(starts, phones):
        if hiss:
            centre, bandwidth, loudness = hiss
            burst = _normalise(_band(rng, blocks * BLOCK, min(centre, 0.45 * sr), bandwidth, sr), loudness * peak)
            _mix_into(tract, _fade(burst, sr), start * BLOCK)
    return tract


def speech(duration_s, f0_hz=120.0, formant_scale=1.0, rate=4.0, prosody="calm", breathiness=0.1, brightness=1.0,
           seed=0, amplitude=0.5, sr=SAMPLE_RATE, jitter=0.0, tilt=0.0):
    """Babble: English-like syllables by a source-filter talker, sounding from the first sample to the last.

    f0_hz: the speaker's usual pitch (men about 85-155 Hz, women 165-255); formant_scale: vocal tract size
      (1.0 = Hillenbrand's men, about 1.17 women, up to 1.35 children); rate: syllables per second (3-6).
    prosody: "calm" (low, level, slower) or "excited" (higher, wide accents, faster, louder).
    breathiness: noise in the voice (0-1); brightness: how much the lips lift the highs (0 dull, 1-4 bright).
    jitter: how far the pitch wanders every 5 ms (0 steady, 0.05 rough); tilt: how soft the glottal pulses are
    (0 a pressed sawtooth, 0.9 lax, dull).
    Vowels have four formants that glide between phones; consonants are nasals (m n), approximants (l r w y),
    fricatives (s sh f th z v, band-passed noise), stops (p t k b d g: closure, burst, aspiration) and h.
    Returns (n,) floats.
    """
    sr = check_int("sr", sr, MIN_SR, MAX_SR)
    f0_hz = _check_number("f0_hz", f0_hz, low=40.0, high=800.0)
    formant_scale = _check_number("formant_scale", formant_scale, low=0.5, high=2.0)
    rate = _check_number("rate", rate, low=1.0, high=10.0)
    breathiness = _check_number("breathiness", breathiness, low=-1e-9, high=1.0)
    brightness = _check_number("brightness", brightness, low=-1e-9, high=10.0)
    jitter = _check_number("jitter", jitter, low=-1e-9, high=0.5)
    tilt = _check_number("tilt", tilt, low=-1e-9, high=0.99)
    amplitude = _check_number("amplitude", amplitude, low=0.0, high=1.0)
    if prosody not in PROSODIES:
        raise AudiollmError(f"prosody must be one of {PROSODIES}, got {prosody!r}")
    n = _n_samples(duration_s, sr)
    rng = _rng(seed)
    phones, pitch = _babble_plan(rng, -(-n // BLOCK), f0_hz, formant_scale, rate, prosody, sr)
    samples = _speak(rng, phones, pitch, breathiness, brightness, HIGH_POLE_HZ * formant_scale, sr, jitter, tilt)
    return _fade(_normalise(samples[:n], amplitude), sr)


# --- Music: instruments, chords and melodies --------------------------------------------------------------

TIMBRES.update({
    "flute": (1.0, 0.4, 0.15, 0.05),  # nearly a sine: a breathy pipe
    "brass": (0.6, 0.9, 1.0, 0.8, 0.6, 0.45, 0.3, 0.2, 0.12, 0.08),  # strongest around harmonics 2-4
})
INSTRUMENTS = {  # name: how a note is made
    "organ": "table", "clarinet": "table", "string": "table", "flute": "table", "brass": "table",  # TIMBRES
    "sine": "plain", "sawtooth": "plain", "square": "plain", "triangle": "plain",  # bare oscillators
    "pluck": "pluck",  # Karplus-Strong: a plucked string
    "piano": "struck",  # a stiff string's partials, a little sharp, the high ones dying first
    "bell": "bell",  # a struck metal bar: inharmonic partials
    "drums": "drums",  # a kit: the note picks the drum, as on General MIDI's channel 10 (DRUM_KIT)
}
DRUM_KIT = {36: "kick", 38: "snare", 42: "hat"}  # General MIDI key numbers (C2, D2, F#2) of the kit's drums
ATTACK_S = {"organ": (0.005, 0.02), "clarinet": (0.02, 0.06), "string": (0.08, 0.35), "flute": (0.04, 0.12),
            "brass": (0.03, 0.08)}  # table instruments: seconds to full loudness (a bow starts slowly, a pipe fast)
VIBRATO = {"string": (0.15, 0.5), "flute": (0.05, 0.3), "clarinet": (0.0, 0.1), "brass": (0.0, 0.2)}
"""A player's vibrato depth, semitones either side (an organ has none), at VIBRATO_HZ, starting after the attack."""
VIBRATO_HZ = (4.5, 7.0)
BREATH = {"flute": (0.04, 0.15), "clarinet": (0.01, 0.05), "brass": (0.0, 0.03), "string": (0.02, 0.08)}
"""Noise beside the tone (breath in a pipe, the bow's rosin on a string), as a share of the note's peak."""
PIANO_STRETCH = (1e-4, 6e-4)  # a piano string's stiffness B: partial k sits at k f sqrt(1 + B k**2), a little sharp
PIANO_PARTIALS = 12
BELL_PARTIALS = (1.0, 2.76, 5.40, 8.93)  # a free metal bar's modes, relative to the lowest
CHORD_SEMITONES = {"major": (0, 4, 7), "minor": (0, 3, 7)}  # root, third, fifth
SCALE_SEMITONES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}  # major, natural minor


def key_hz(key):
    """The frequency of General MIDI key number `key` (69 is A4, 440 Hz; 36 is C2, the kit's kick), in Hz."""
    return 440.0 * 2.0 ** ((check_int("key", key, 0, 127) - 69) / 12)


def interval_hz(root_hz, semitones):
    """The frequency `semitones` equal-tempered semitones above root_hz (below when negative), in Hz."""
    return _check_number("root_hz", root_hz, low=0.0) * 2.0 ** (_check_number("semitones", semitones, -200, 200) / 12)


def _plain(shape, freq_hz, n, sr, band_limited=False):
    """A bare oscillator: sine, sawtooth, square or triangle. Not band-limited: harmonics above sr/2 fold back, as in
    the simplest synthesizers; band_limited=True sums the same harmonics from a wavetable, stopping below sr/2."""
    if shape == "sine":
        return _sine(freq_hz, n, sr)
    if band_limited:  # sawtooth: every harmonic at 1/k; square: odd ones at 1/k; triangle: odd ones at 1/k**2
        power = 2 if shape == "triangle" else 1
        step = 1 if shape == "sawtooth" else 2
        harmonics = tuple(1.0 / k ** power if (k - 1) % step == 0 else 0.0 for k in range(1, MAX_HARMONICS + 1))
        return _read_table(_wavetable(harmonics, freq_hz, sr), freq_hz, n, sr)
    phase = [p % 1.0 for p in accumulate(repeat(freq_hz / sr, n))]  # periods elapsed, fractional part
    if shape == "sawtooth":
        return [2.0 * p - 1.0 for p in phase]
    if shape == "square":
        return [1.0 if p < 0.5 else -1.0 for p in phase]
    return [4.0 * abs(p - 0.5) - 1.0 for p in phase]  # triangle


def _pluck(rng, freq_hz, n, sr, ring_s=2.0, smoothing=0.5):
    """Karplus-Strong: a delay line one period long, filled with noise, fed back through a two-point average.

    y[i] = g * ((1 - smoothing) * y[i - L] + smoothing * y[i - L + 1]), with g losing 60 dB in ring_s seconds.
    The average takes the highs down faster than the lows, so the note starts bright and mellows; smoothing 0.5 is
    the classic mellow string, near 0 the highs ring almost as long as the lows. Computed one period (L samples)
    at a time: the same numbers as a per-sample loop, since a period needs only the one before and its own start.
    """
    period = max(2, round(sr / freq_hz))
    gain = 10.0 ** (-3.0 * period / (ring_s * sr))
    keep, mix = gain * (1.0 - smoothing), gain * smoothing
    out = _white(rng, period)
    while len(out) < n:
        last = out[-period:]
        new = [keep * a + mix * b for a, b in zip(last, last[1:])]
        new.append(keep * last[-1] + mix * new[0])
        out += new
    return out[:n]


def _struck(rng, freq_hz, n, sr, time_constant_s):
    """A piano-like note: a stiff string's partials, each a little sharper than k * f (inharmonicity B drawn from
    PIANO_STRETCH) and quieter (1/k) and shorter-lived (time constant / (1 + 0.4 (k - 1))) the higher it is."""
    stretch = rng.uniform(*PIANO_STRETCH)
    out = [0.0] * n
    for k in range(1, PIANO_PARTIALS + 1):
        partial_hz = k * freq_hz * math.sqrt(1.0 + stretch * k * k)
        if partial_hz >= 0.45 * sr:
            break
        life = time_constant_s / (1.0 + 0.4 * (k - 1))
        length = min(n, round(5 * life * sr))  # 43 dB down by then: stop
        partial = _read_table(SINE, partial_hz, length, sr)
        _mix_into(out, [p * e / k for p, e in zip(partial, _decay(length, life, sr))], 0)
    return out


def _vibrato(rng, freq_hz, n, sr, depth, onset):
    """n per-sample frequencies around freq_hz: a vibrato of +-depth semitones at 4.5-7 Hz, faded in over the
    `onset` samples of the attack (a player settles on the note, then starts to vibrate it)."""
    step, start = 2.0 * math.pi * rng.uniform(*VIBRATO_HZ) / sr, rng.uniform(0.0, 2.0 * math.pi)
    per_semitone = math.log(2.0) / 12.0
    return [freq_hz * math.exp(per_semitone * depth * min(1.0, i / onset) * math.sin(start + step * i))
            for i in range(n)]


def _read_table_at(table, freqs_hz, sr):
    """_read_table with a moving frequency: one table position per sample, advanced by freqs_hz[i] / sr periods."""
    return _lookup(table, accumulate(f * TABLE_SIZE / sr for f in freqs_hz))


def _played(rng, instrument, freq_hz, n, sr):
    """A held note of a TIMBRES instrument as a player makes it: an attack of ATTACK_S, a vibrato of VIBRATO and
    breath or bow noise of BREATH (band-passed around 2-4 times the note, as it rises in the pipe or bow)."""
    attack = max(1, min(n // 2, round(rng.uniform(*ATTACK_S[instrument]) * sr)))
    table = _wavetable(TIMBRES[instrument], freq_hz, sr)
    depth = rng.uniform(*VIBRATO.get(instrument, (0.0, 0.0)))
    samples = _read_table_at(table, _vibrato(rng, freq_hz, n, sr, depth, attack), sr) if depth else \
        _read_table(table, freq_hz, n, sr)
    if instrument in BREATH:
        breath = _band(rng, n, min(freq_hz * rng.uniform(2.0, 4.0), 0.45 * sr), freq_hz * rng.uniform(1.0, 3.0), sr)
        peak = max(map(abs, breath)) or 1.0
        level = rng.uniform(*BREATH[instrument]) * (max(map(abs, table)) or 1.0) / peak
        samples = [s + level * b for s, b in zip(samples, breath)]
    samples[:attack] = [s * i / attack for i, s in enumerate(samples[:attack])]
    return samples


def _bell(freq_hz, n, sr, time_constant_s):
    """A struck bar: sine partials at BELL_PARTIALS, the higher ones quieter and shorter-lived."""
    out = [0.0] * n
    for k, ratio in enumerate(BELL_PARTIALS):
        if freq_hz * ratio < sr / 2:
            length = min(n, round(5 * time_constant_s / (k + 1) * sr))  # 43 dB down by then: stop
            partial = _sine(freq_hz * ratio, length, sr)
            envelope = _decay(length, time_constant_s / (k + 1), sr)
            _mix_into(out, [p * e / (k + 1) for p, e in zip(partial, envelope)], 0)
    return out


def _note(rng, instrument, freq_hz, n, sr, character):
    """One note of `instrument` at freq_hz, n samples, with its attack and (for struck notes) its decay.
    character (0-1, one draw per performance): plain waves are band-limited under 0.5; a pluck is brighter the
    lower it is."""
    how = INSTRUMENTS[instrument]
    if how == "table":
        samples = _played(rng, instrument, freq_hz, n, sr)
    elif how == "plain":
        samples = _plain(instrument, freq_hz, n, sr, band_limited=character < 0.5)
    elif how == "pluck":
        samples = _pluck(rng, freq_hz, n, sr, rng.uniform(1.0, 4.0), 0.02 + 0.48 * character)
    elif how == "struck":
        samples = _struck(rng, freq_hz, n, sr, rng.uniform(0.5, 1.5))
    elif how == "bell":
        samples = _bell(freq_hz, n, sr, rng.uniform(0.4, 1.2))
    else:
        key = 69 + 12 * math.log2(freq_hz / 440.0)  # the General MIDI key number of freq_hz
        samples = _drum(rng, DRUM_KIT[min(DRUM_KIT, key=lambda k: abs(k - key))], n, sr)
    return _fade(samples, sr)


def _drum(rng, name, n, sr):
    """One drum hit: a kick (a sine gliding from about 135 Hz down to 45 Hz), a snare (a 180-220 Hz thump under
    a rattle of band-passed noise) or a hi-hat (a short hiss near 8 kHz), each dying away exponentially."""
    if name == "kick":
        glide = [45.0 + 90.0 * e for e in _decay(n, rng.uniform(0.02, 0.05), sr)]
        body = _partials([2.0 * math.pi * p for p in accumulate(f / sr for f in glide)], (1,))
        return [b * e for b, e in zip(body, _decay(n, rng.uniform(0.1, 0.25), sr))]
    if name == "snare":
        rattle = _normalise(_band(rng, n, min(rng.uniform(2500, 5000), 0.45 * sr), rng.uniform(2000, 5000), sr), 1.0)
        thump = _sine(rng.uniform(180, 220), n, sr)
        mix = [0.6 * t * f + r for t, f, r in zip(thump, _decay(n, 0.05, sr), rattle)]
        return [m * e for m, e in zip(mix, _decay(n, rng.uniform(0.07, 0.18), sr))]
    hiss = _normalise(_band(rng, n, min(rng.uniform(6000, 9000), 0.45 * sr), 3000.0, sr), 0.6)
    return [h * e for h, e in zip(hiss, _decay(n, rng.uniform(0.02, 0.06), sr))]


def play(instrument, notes, duration_s, seed=0, amplitude=0.5, sr=SAMPLE_RATE):
    """Notes on one instrument: notes = [(start_s, freq_hz, length_s), ...]; a chord is notes with one start.

    instrument: a name in INSTRUMENTS. Notes past duration_s are cut. The seed also draws how this performance
    sounds (plain waves band-limited or not, a pluck bright or mellow). Returns (n,) floats, peak `amplitude`.
    """
    sr = check_int("sr", sr, MIN_SR, MAX_SR)
    amplitude = _check_number("amplitude", amplitude, low=0.0, high=1.0)
    if instrument not in INSTRUMENTS:
        raise AudiollmError(f"instrument must be one of {sorted(INSTRUMENTS)}, got {instrument!r}")
    if not isinstance(notes, (list, tuple)) or not notes or not all(
            isinstance(note, (list, tuple)) and len(note) == 3 for note in notes):
        raise AudiollmError(f"notes must be a non-empty list of (start_s, freq_hz, length_s), got {str(notes)[:60]}")
    n = _n_samples(duration_s, sr)
    rng = _rng(seed)
    character = rng.random()
    mix = [0.0] * n
    for start_s, freq_hz, length_s in notes:
        start = round(_check_number("notes", start_s, low=-1e-9) * sr)
        freq_hz = _check_number("notes", freq_hz, low=20.0, high=sr / 2)
        length = min(_n_samples(length_s, sr), n - start)
        if length > 0:
            _mix_into(mix, _note(rng, instrument, freq_hz, length, sr, character), start)
    return _normalise(mix, amplitude)


# --- Environmental sounds whose character changes with the seed -------------------------------------------

def _knock_sound(rng, n, sr):
    """Knocking: raps 0.12-0.28 s apart on a door ringing at 90-400 Hz."""
    every = rng.uniform(0.12, 0.28) * sr
    starts = [round(k * every + rng.uniform(0, 0.15) * every) for k in range(int(n / every) + 1)]
    return _knocks(rng, n, sr, [s for s in starts if s < n], rng.uniform(90, 400), rng.uniform(0.2, 0.8))


def _rain_sound(rng, n, sr):
    """Rain: 20-400 drops a second on a hiss of varying level."""
    return _rain(rng, n, sr, rng.uniform(20, 400), rng.uniform(0.03, 0.3))


def _siren_sound(rng, n, sr):
    """A siren: a wail (1-4 s cycles) or a yelp (0.15-0.5 s), from 400-1000 Hz up 1.4-2.5 times, gliding
    smoothly or in straight lines, a pure whistle or with harmonics."""
    low = rng.uniform(400, 1000)
    period = rng.uniform(1.0, 4.0) if rng.random() < 0.6 else rng.uniform(0.15, 0.5)
    partials = rng.choice(((1,), (1,), (1,), (1, 3), (1, 2, 3), (1, 3, 5)))
    return _siren(n, sr, (low, low * rng.uniform(1.4, 2.5)), period, partials, rng.random() < 0.5)


def _bark_sound(rng, n, sr):
    """A dog barking: harsh 0.08-0.22-s calls (a falling 300-700 Hz pitch plus noise, two broad resonances)."""
    out, at = [0.0] * n, 0
    while at < n:
        length = min(n - at, round(rng.uniform(0.08, 0.22) * sr))
        f0 = rng.uniform(300, 700)
        phase = accumulate(f0 * (1.1 - 0.4 * i / length) / sr for i in range(length))
        noise = _white(rng, length)
        harsh = rng.uniform(0.2, 0.6)
        call = [2.0 * (p % 1.0) - 1.0 + harsh * w for p, w in zip(phase, noise)]
        call = _resonate(_resonate(call, rng.uniform(500, 1000), 250.0, sr), rng.uniform(1200, 2500), 400.0, sr)
        envelope = _decay(length, rng.uniform(0.04, 0.1), sr)
        _mix_into(out, _fade([c * e for c, e in zip(call, envelope)], sr), at)
        at += length + round(rng.uniform(0.05, 0.2) * sr)
    return out


def _engine_sound(rng, n, sr):
    """An engine: a sawtooth firing 18-70 times a second, muffled, pulsing, over a brown-noise rumble."""
    firing = rng.uniform(18, 70)
    drift = _interpolate([firing * rng.uniform(0.95, 1.05) for _ in range(4)], n)
    phase = list(accumulate(f / sr for f in drift))
    pulses = _resonate([2.0 * (p % 1.0) - 1.0 for p in phase], rng.uniform(80, 400), rng.uniform(150, 500), sr)
    depth = rng.uniform(0.1, 0.5)
    throb = [1.0 - depth * (0.5 + 0.5 * math.sin(math.pi * p)) for p in phase]  # every other firing is weaker
    rumble = _normalise(_coloured(rng, n, 2.0), rng.uniform(0.1, 0.6) * max(map(abs, pulses)))
    return [p * t + r for p, t, r in zip(pulses, throb, rumble)]


def _applause_sound(rng, n, sr):
    """Applause: 30-150 claps a second, each a few ms of noise, band-passed around 800-2500 Hz."""
    claps = [0.0] * n
    for _ in range(int(rng.uniform(30, 150) * n / sr)):
        length = round(rng.uniform(0.003, 0.015) * sr)
        clap = [rng.uniform(0.3, 1.0) * w * e for w, e in zip(_white(rng, length), _decay(length, 0.003, sr))]
        _mix_into(claps, clap, rng.randrange(n))
    return _resonate([b - a for a, b in zip(claps, claps[1:] + [0.0])], rng.uniform(800, 2500),
                     rng.uniform(800, 3000), sr)


def _glass_sound(rng, n, sr):
    """Glass clinks: 2-4 high sine partials (1.8-7 kHz) ringing 20-120 ms, a clink every 0.05-0.2 s."""
    out, at = [0.0] * n, 0
    while at < n:
        for _ in range(rng.randint(2, 4)):
            ring = rng.uniform(0.02, 0.12)
            length = min(n - at, round(4 * ring * sr))  # 35 dB down by then: stop
            partial = _sine(rng.uniform(1800, min(7000, 0.45 * sr)), length, sr)
            _mix_into(out, [p * e for p, e in zip(partial, _decay(length, ring, sr))], at)
        at += round(rng.uniform(0.05, 0.2) * sr)
    return out


def _wind_sound(rng, n, sr):
    """Wind: dark coloured noise (1/f**1-2.5) through a slowly wandering band (150-1500 Hz), swelling and fading."""
    noise = _coloured(rng, n, rng.uniform(1.0, 2.5))
    n_blocks = -(-n // BLOCK)
    every = round(rng.uniform(0.5, 1.5) * sr / BLOCK)
    centres = _track([(k * every, rng.uniform(150, 1500)) for k in range(n_blocks // every + 2)], n_blocks)
    gust = _resonate_track(noise, centres, rng.uniform(150, 800), sr)
    return [g * s for g, s in zip(gust, _swell(rng, n, rng.uniform(0.3, 1.0), 0.15, sr))]


def _tremolo(rng, samples, sr):
    """Sometimes (2 times in 5) a wobbling loudness: 2-12 wobbles a second, 30-90 % deep, as a fan or a motor."""
    if rng.random() < 0.6:
        return samples
    step, depth = 2.0 * math.pi * rng.uniform(2.0, 12.0) / sr, rng.uniform(0.3, 0.9)
    return [v * (1.0 - depth * (0.5 + 0.5 * math.sin(step * i))) for i, v in enumerate(samples)]


def _hum_sound(rng, n, sr):
    """A hum or buzz: mains hum (50, 60, 100 or 120 Hz) or a 45-250 Hz motor. Half are a raw sawtooth or square
    muffled by a low resonance (150-1500 Hz), half up to 30 harmonics falling as 1/k**0.5-2 (sometimes odd only)."""
    mains = rng.random() < 0.5
    f0 = rng.choice((50.0, 60.0, 100.0, 120.0)) * rng.uniform(0.98, 1.02) if mains else rng.uniform(45, 250)
    if rng.random() < 0.5:
        raw = _plain(rng.choice(("sawtooth", "square")), f0, n, sr)
        hum = _resonate(raw, rng.uniform(150, 1500), rng.uniform(100, 800), sr)
    else:
        tilt = rng.uniform(0.5, 2.0)
        odd = rng.random() < 0.3
        harmonics = tuple(0.0 if odd and k % 2 == 0 else k ** -tilt for k in range(1, 31))
        hum = _read_table(_wavetable(harmonics, f0, sr), f0, n, sr)
    return _tremolo(rng, [h + 0.02 * w for h, w in zip(hum, _white(rng, n))], sr)


def _hiss_sound(rng, n, sr):
    """A hiss: white to pink noise (1/f**0-1.3), sometimes band-passed (centre 1.5-7 kHz)."""
    if rng.random() < 0.5:
        return _tremolo(rng, _coloured(rng, n, rng.uniform(0.0, 1.3)), sr)
    return _tremolo(rng, _band(rng, n, rng.uniform(1500, min(7000, 0.45 * sr)), rng.uniform(500, 4000), sr), sr)


def _rumble_sound(rng, n, sr):
    """A rumble: pink to deep brown noise (1/f**1.3-2.5), sometimes through a low resonance (60-300 Hz)."""
    noise = _coloured(rng, n, rng.uniform(1.3, 2.5))
    if rng.random() < 0.5:
        noise = _resonate(noise, rng.uniform(60, 300), rng.uniform(50, 300), sr)
    return _tremolo(rng, noise, sr)


def _sweep_sound(rng, n, sr):
    """Tone sweeps (chirps): glides between 200 and 5000 Hz, up or down, in straight lines or evenly in
    octaves, each 0.15-1.2 s."""
    out, at = [0.0] * n, 0
    partials = rng.choice(((1,), (1,), (1, 2, 3), (1, 3, 5)))
    octaves = rng.random() < 0.5
    while at < n:
        length = min(n - at, round(rng.uniform(0.15, 1.2) * sr))
        f_start, f_end = rng.uniform(200, 5000), rng.uniform(200, 5000)
        if octaves:
            freqs = (f_start * (f_end / f_start) ** (i / length) for i in range(length))
        else:
            freqs = (f_start + (f_end - f_start) * i / length for i in range(length))
        audible = tuple(k for k in partials if k * max(f_start, f_end) < sr / 2)
        chirp = _partials([2.0 * math.pi * p for p in accumulate(f / sr for f in freqs)], audible)
        _mix_into(out, _fade(chirp, sr), at)
        at += length + round(rng.uniform(0.0, 0.12) * sr)
    return out


def _whoosh_sound(rng, n, sr):
    """Whooshes: a band of noise whose centre glides between 300 and 6000 Hz as it swells and fades (0.3-1.5 s)."""
    out, at = [0.0] * n, 0
    while at < n - 0.1 * sr or at == 0:  # no whoosh too short to swell
        length = min(n - at, round(rng.uniform(0.3, 1.5) * sr))
        blocks = -(-length // BLOCK)
        centres = _track([(0, rng.uniform(300, 6000)), (blocks, rng.uniform(300, 6000))], blocks)
        band = _resonate_track(_white(rng, length), [min(c, 0.45 * sr) for c in centres], rng.uniform(300, 2000), sr)
        _mix_into(out, [b * e for b, e in zip(band, _interpolate([0.05, 1.0, 0.05], length))], at)
        at += max(BLOCK, length - round(rng.uniform(0.0, 0.1) * sr))  # the next one may start as this one fades
    return out


def _clatter_sound(rng, n, sr):
    """Clatter: short noise bursts (10-60 ms) in random bands (500-6000 Hz), 0.02-0.15 s apart."""
    out, at = [0.0] * n, 0
    while at < n:
        length = min(n - at, round(rng.uniform(0.01, 0.06) * sr))
        burst = _band(rng, length, rng.uniform(500, min(6000, 0.45 * sr)), rng.uniform(200, 3000), sr)
        envelope = _decay(length, rng.uniform(0.005, 0.03), sr)
        _mix_into(out, [rng.uniform(0.3, 1.0) * b * e for b, e in zip(burst, envelope)], at)
        at += round(rng.uniform(0.02, 0.15) * sr)
    return out


def _gated(n, sr, on_off_s):
    """A cadence: per-sample 1 while a tone sounds, 0 in its gaps; on_off_s = ((on, off), ...) seconds, repeated
    from the start. Gaps stay under 0.2 s inside a sound (a longer one would be a silence of its own)."""
    gate = []
    while len(gate) < n:
        for on, off in on_off_s:
            gate += [1.0] * round(on * sr) + [0.0] * round(min(off, 0.2) * sr)
    return gate[:n]


def _tones(freqs_hz, n, sr):
    """A steady sum of sines, one per frequency in freqs_hz (the telephone's dual tones), peak about 1."""
    return [sum(v) / len(freqs_hz) for v in zip(*(_sine(f, n, sr) for f in freqs_hz if f < sr / 2))]


def _ramped(samples, gate, sr):
    """samples * gate, the gate's edges softened over 5 ms so a beep starts and stops without a click."""
    width = max(1, round(0.005 * sr))
    return [v * g for v, g in zip(samples, _smooth(gate, width))]


def _beep_sound(rng, n, sr):
    """Beeps: an alarm clock, a timer, a microwave. A 500-4000 Hz sine or square tone, in groups of 1-4 beeps of
    0.04-0.3 s, the groups 0.05-0.2 s apart."""
    hz = rng.uniform(500, 4000)
    tone_ = _plain(rng.choice(("sine", "square", "triangle")), hz, n, sr, band_limited=True)
    on, off = rng.uniform(0.04, 0.3), rng.uniform(0.03, 0.12)
    cadence = [(on, off)] * rng.randint(1, 4)
    cadence[-1] = (on, rng.uniform(0.05, 0.2))
    return _ramped(tone_, _gated(n, sr, cadence), sr)


def _ring_sound(rng, n, sr):
    """A telephone ringing: bursts of a warble (two 600-1800 Hz tones alternating 8-25 times a second) or of a
    bell struck 15-25 times a second, 0.4-2 s long."""
    burst, gap = rng.uniform(0.4, 2.0), rng.uniform(0.05, 0.2)
    if rng.random() < 0.5:
        low = rng.uniform(600, 1400)
        high, every = low * rng.uniform(1.15, 1.4), round(sr / rng.uniform(8, 25) / 2)
        flip = [(i // every) % 2 for i in range(n)]
        phase = accumulate((high if f else low) / sr for f in flip)
        ring = _partials([2.0 * math.pi * p for p in phase], rng.choice(((1,), (1, 3))))
    else:
        strike, hz = round(sr / rng.uniform(15, 25)), rng.uniform(800, 2500)
        one = _bell(hz, strike, sr, strike / sr)
        ring = (one * (n // strike + 1))[:n]
    return _ramped(ring, _gated(n, sr, ((burst, gap),)), sr)


CALL_TONES = {  # the telephone network's call-progress tones: (Hz, ...), (on s, off s) cadence (ITU-T E.180)
    "north american ring-back": ((440.0, 480.0), ((2.0, 4.0),)),
    "european ring-back": ((425.0,), ((1.0, 4.0),)),
    "british ring-back": ((400.0, 450.0), ((0.4, 0.2), (0.4, 2.0))),
    "north american busy": ((480.0, 620.0), ((0.5, 0.5),)),
    "european busy": ((425.0,), ((0.5, 0.5),)),
    "dial tone": ((350.0, 440.0), ((1.0, 0.0),)),
}


def _call_tone_sound(rng, n, sr):
    """A telephone's call-progress tone (CALL_TONES: ring-back, busy, dial tone), its cadence 0.8-1.2 times as
    fast, its gaps shortened to 0.2 s (see _gated)."""
    freqs, cadence = CALL_TONES[rng.choice(sorted(CALL_TONES))]
    pace = rng.uniform(0.8, 1.2)
    tone_ = _tones([f * rng.uniform(0.99, 1.01) for f in freqs], n, sr)
    return _ramped(tone_, _gated(n, sr, [(on * pace, off * pace) for on, off in cadence]), sr)


def _click_sound(rng, n, sr):
    """Clicks: a camera shutter, a switch, typing. Sharp 1-4 ms noise bursts ringing 5-25 ms at 1.5-6 kHz,
    in twos and threes, 0.06-0.25 s apart."""
    out, at = [0.0] * n, 0
    ring_hz = rng.uniform(1500, min(6000, 0.45 * sr))
    while at < n:
        for k in range(rng.choice((1, 2, 2, 3))):
            length = min(n - at, round(rng.uniform(0.02, 0.05) * sr))
            if length <= 0:
                break
            tap = [w * e for w, e in zip(_white(rng, length), _decay(length, rng.uniform(0.001, 0.004), sr))]
            click = _resonate(tap, ring_hz * rng.uniform(0.8, 1.25), rng.uniform(200, 1500), sr)
            peak = max(map(abs, click)) or 1.0
            _mix_into(out, [rng.uniform(0.4, 1.0) * c / peak for c in click], at + k * round(0.03 * sr))
        at += round(rng.uniform(0.06, 0.25) * sr)
    return out


def _crumple_sound(rng, n, sr):
    """Paper crumpling or a bin being emptied: 200-2000 tiny crackles a second (0.5-3 ms of high-passed noise),
    swelling and fading."""
    out = [0.0] * n
    for _ in range(int(rng.uniform(200, 2000) * n / sr)):
        length = round(rng.uniform(0.0005, 0.003) * sr) + 2
        crackle = _white(rng, length)
        _mix_into(out, [(b - a) * rng.uniform(0.1, 1.0) for a, b in zip(crackle, crackle[1:])], rng.randrange(n))
    return [v * s for v, s in zip(out, _swell(rng, n, rng.uniform(0.15, 0.5), 0.1, sr))]


SOUNDS = {
    "knock": _knock_sound, "rain": _rain_sound, "siren": _siren_sound, "bark": _bark_sound,
    "engine": _engine_sound, "applause": _applause_sound, "glass": _glass_sound, "wind": _wind_sound,
    "hum": _hum_sound, "hiss": _hiss_sound, "rumble": _rumble_sound, "sweep": _sweep_sound,
    "whoosh": _whoosh_sound, "clatter": _clatter_sound, "beep": _beep_sound, "ring": _ring_sound,
    "tone": _call_tone_sound, "click": _click_sound, "crumple": _crumple_sound,
}


def sound(name, duration_s, seed=0, amplitude=0.5, sr=SAMPLE_RATE):
    """An environmental sound named in SOUNDS, different for every seed (rate, pitch, colour, band).

    noise_event makes the lesson's three fixed sounds; this draws each sound's character at random, so a
    model trained on many seeds learns the kind of sound, not one recording of it. Returns (n,) floats.
    """
    sr = check_int("sr", sr, MIN_SR, MAX_SR)
    amplitude = _check_number("amplitude", amplitude, low=0.0, high=1.0)
    if name not in SOUNDS:
        raise AudiollmError(f"name must be one of {sorted(SOUNDS)}, got {name!r}")
    n = _n_samples(duration_s, sr)
    return _fade(_normalise(SOUNDS[name](_rng(seed), n, sr), amplitude), sr)
