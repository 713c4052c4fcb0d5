"""Speaker diarization in pure Python: who spoke when (the lesson's exercise 5, "signal speaker changes").

A cascaded pipeline answers "who spoke when" before any LLM sees the audio. This is the minimal version
of the classic recipe (segment, embed, cluster, re-segment), small enough to read in one sitting:

1. speech activity: 10-ms frames whose energy is within ENERGY_RANGE_DB of the loudest frame and
   NOISE_MARGIN_DB above the quiet floor are speech; gaps up to MAX_GAP_S are bridged, blips dropped.
2. embeddings: one per WINDOW_S window (every WINDOW_HOP_S) over speech: the shape of the mean
   Whisper log-Mel spectrum (N_BANDS bands, loudness removed; formants and timbre) and the median
   pitch (autocorrelation f0, in octaves). Pitch does most of the work: over half a second the
   spectrum says more about which vowel was spoken than about who spoke it, so it weighs less.
3. clustering: average-linkage agglomerative clustering of the windows, merging the closest pair
   until `n_speakers` clusters remain or no pair is closer than MERGE_THRESHOLD.
4. smoothing: each speech frame takes the label of the nearest window, and runs shorter than
   MIN_TURN_S are given to their neighbours, so one odd window does not make a turn.
5. turns: each run of speech frames with one label becomes Turn(start, end, speaker).

Limits, by design: energy cannot tell speech from music or noise (they become "speakers" too), two
voices of similar pitch are hard to separate, and overlapping speech gets one label. Real systems swap
step 1 for a trained voice-activity model and step 2 for a speaker-embedding network (x-vectors,
ECAPA-TDNN) and handle overlap; the scoring is the same. der() computes the diarization error rate as NIST's
md-eval does: missed speech + false alarm + speaker confusion, over the reference speech time, with the
best one-to-one speaker mapping and a no-score collar around every reference boundary.
"""

import math
import os
import statistics
from collections import Counter, namedtuple
from itertools import accumulate, groupby
from operator import mul

from .errors import AudiollmError
from .mel import HOP_LENGTH, SAMPLE_RATE, log_mel_spectrogram
from .resample import load_audio, resample

FRAME_S = HOP_LENGTH / SAMPLE_RATE  # 10 ms: one log-Mel frame, the time unit of every decision here
ENERGY_RANGE_DB = 45.0  # speech frames are at most this far below the loudest frame ...
NOISE_MARGIN_DB = 8.0  # ... and at least this far above the quiet floor (the 10th percentile frame)
MAX_GAP_S = 0.25  # pauses this short stay inside a stretch of speech (between syllables, commas)
MIN_SPEECH_S = 0.1  # stretches of "speech" shorter than this are clicks
WINDOW_S = 0.5  # one embedding per window: long enough for a stable spectrum and several pitch periods
WINDOW_HOP_S = 0.25
MIN_WINDOW_SPEECH = 0.4  # a window needs this fraction of speech frames to get an embedding
N_BANDS = 20  # the log-Mel spectrum is averaged into this many bands for the embedding
PITCH_HZ = (60.0, 400.0)  # the f0 search range, low men to high children
PITCH_RATE = 4000  # pitch is found on the signal decimated 4:1 (a quarter of the work; f0 < 2 kHz)
PITCH_FRAME = 128  # samples at PITCH_RATE compared with their lagged copy (32 ms)
PITCH_EVERY = 2  # pitch on every 2nd 10-ms frame is plenty for a median over a window
VOICING = 0.6  # minimum normalised autocorrelation for a frame to count as voiced
OCTAVE_GUARD = 0.85  # a shorter period wins if its autocorrelation peak is this close to the best
SPECTRUM_SCALE = 0.2  # log-Mel units (Whisper's log10/4) of spectral-shape difference that weigh as much as ...
PITCH_SCALE = 0.25  # ... this many octaves (3 semitones) of pitch difference
MERGE_THRESHOLD = 3.0  # windows further apart than this are different speakers (when n_speakers=None)
MIN_TURN_S = 0.75  # speaker runs shorter than this are absorbed by their neighbours
MAX_WINDOWS = 1200  # clustering is quadratic in windows: longer audio gets a longer window hop
MAX_SECONDS = 600  # 10 minutes; the (T, 80) log-Mel of longer audio takes too long in pure Python

Turn = namedtuple("Turn", "start end speaker")
Turn.__doc__ = "One speaker turn: start and end in seconds, speaker a label like 'SPEAKER_1'."


def _frame_energies_db(samples, n_frames):
    """Energy of each 10-ms frame in dB (10*log10 of the mean square, floored at -100 dB)."""
    energies = []
    for t in range(n_frames):
        frame = samples[t * HOP_LENGTH: (t + 1) * HOP_LENGTH]
        energies.append(10.0 * math.log10(sum(map(mul, frame, frame)) / HOP_LENGTH + 1e-10))
    return energies


def _runs(flags):
    """[(first, last_plus_one), ...] of the runs of True in a list of bools."""
    runs, t = [], 0
    for value, group in groupby(flags):
        length = len(list(group))
        if value:
            runs.append((t, t + length))
        t += length
    return runs


def _speech_activity(samples, n_frames):
    """Which 10-ms frames hold speech: a list of n_frames bools (step 1 of the module docstring)."""
    energies = _frame_energies_db(samples, n_frames)
    floor = sorted(energies)[len(energies) // 10]
    threshold = max(max(energies) - ENERGY_RANGE_DB, floor + NOISE_MARGIN_DB)
    active = [e > threshold for e in energies]
    runs = _runs(active)
    for (_, end), (start, _) in zip(runs, runs[1:]):
        if (start - end) * FRAME_S <= MAX_GAP_S:
            active[end:start] = [True] * (start - end)
    for start, end in _runs(active):
        if (end - start) * FRAME_S < MIN_SPEECH_S:
            active[start:end] = [False] * (end - start)
    return active


def _pitch_octaves(decimated, t):
    """log2(f0 / 100 Hz) over the 32 ms from the start of 10-ms frame t, or None if it is not voiced.

    Normalised autocorrelation: r(lag) = <x, x shifted by lag> / (|x| |x shifted|), which is near 1
    when lag is a whole number of pitch periods. The smallest lag whose peak is within OCTAVE_GUARD
    of the best one is the period (the best alone may be two periods: an octave too low).
    """
    low_lag, high_lag = int(PITCH_RATE / PITCH_HZ[1]), int(PITCH_RATE / PITCH_HZ[0]) + 1
    start = t * HOP_LENGTH * PITCH_RATE // SAMPLE_RATE
    x = decimated[start: start + PITCH_FRAME + high_lag + 1]
    if len(x) < PITCH_FRAME + high_lag + 1:
        return None
    head = x[:PITCH_FRAME]
    energy = list(accumulate((v * v for v in x), initial=0.0))
    r = []
    for lag in range(low_lag, high_lag + 1):
        norm = math.sqrt(energy[PITCH_FRAME] * (energy[lag + PITCH_FRAME] - energy[lag])) or 1.0
        r.append(sum(map(mul, head, x[lag: lag + PITCH_FRAME])) / norm)
    best = max(r)
    if best < VOICING:
        return None
    for k in range(1, len(r) - 1):
        if r[k] >= OCTAVE_GUARD * best and r[k - 1] <= r[k] >= r[k + 1]:
            return math.log2(PITCH_RATE / (low_lag + k) / 100.0)
    return None


def _embeddings(samples, log_mel, active):
    """[(first_frame, embedding)] for windows with enough speech; embedding = (bands, pitch or None)."""
    n_frames = len(log_mel)
    factor = SAMPLE_RATE // PITCH_RATE
    decimated = [sum(group) / factor for group in zip(*(samples[k::factor] for k in range(factor)))]
    pitch = {t: _pitch_octaves(decimated, t) for t in range(0, n_frames, PITCH_EVERY) if active[t]}
    size = round(WINDOW_S / FRAME_S)
    hop = max(round(WINDOW_HOP_S / FRAME_S), -(-n_frames // MAX_WINDOWS))
    width = len(log_mel[0]) // N_BANDS
    windows = []
    for first in range(0, max(n_frames - size, 0) + 1, hop):
        frames = [t for t in range(first, min(first + size, n_frames)) if active[t]]
        if len(frames) < MIN_WINDOW_SPEECH * size:
            continue
        mean = [sum(column) / len(frames) for column in zip(*(log_mel[t] for t in frames))]
        bands = [sum(mean[b * width: (b + 1) * width]) / width for b in range(N_BANDS)]
        level = sum(bands) / N_BANDS
        voiced = [pitch[t] for t in frames if pitch.get(t) is not None]
        windows.append((first, ([b - level for b in bands], statistics.median(voiced) if voiced else None)))
    return windows


def _distance(a, b):
    """Distance of two window embeddings: spectral-shape RMS difference plus pitch difference, scaled."""
    (bands_a, pitch_a), (bands_b, pitch_b) = a, b
    spectrum = math.dist(bands_a, bands_b) / math.sqrt(N_BANDS) / SPECTRUM_SCALE
    if pitch_a is None or pitch_b is None:
        return spectrum
    return spectrum + abs(pitch_a - pitch_b) / PITCH_SCALE


def _cluster(embeddings, n_speakers):
    """Average-linkage agglomerative clustering -> one label (0, 1, ...) per embedding.

    Every cluster remembers its nearest neighbour. Merging i and j gives distances to the merged
    cluster that lie between those to i and to j, so only clusters whose nearest was i or j must
    look again: about n^2 work in all instead of n^3.
    """
    n = len(embeddings)
    dist = [[_distance(a, b) for b in embeddings] for a in embeddings]
    size = [1] * n
    members = {i: [i] for i in range(n)}

    def nearest(i):
        return min(((dist[i][j], j) for j in members if j != i), default=(math.inf, i))

    closest = {i: nearest(i) for i in members}
    while len(members) > (n_speakers or 1):
        d, i = min((closest[k][0], k) for k in members)
        if n_speakers is None and d > MERGE_THRESHOLD:
            break
        j = closest[i][1]
        for k in members:
            dist[i][k] = dist[k][i] = (size[i] * dist[i][k] + size[j] * dist[j][k]) / (size[i] + size[j])
        size[i] += size[j]
        members[i] += members.pop(j)
        del closest[j]
        for k in members:
            if k == i or closest[k][1] in (i, j):
                closest[k] = nearest(k)
    labels = [0] * n
    for label, group in enumerate(members.values()):
        for index in group:
            labels[index] = label
    return labels


def _frame_labels(active, windows, labels):
    """Label every speech frame with the label of the window whose centre is nearest (None: silence)."""
    half = round(WINDOW_S / FRAME_S) // 2
    centres = [first + half for first, _ in windows]
    out, w = [], 0
    for t, speech in enumerate(active):
        while w + 1 < len(centres) and abs(centres[w + 1] - t) <= abs(centres[w] - t):
            w += 1
        out.append(labels[w] if speech else None)
    return out


def _absorb_short_runs(frame_labels):
    """Give speaker runs shorter than MIN_TURN_S of speech to the longer neighbouring run.

    Runs are counted over speech frames only (silence neither breaks nor joins them) and the shortest
    goes first, so a brief flip inside a long turn joins that turn. Silence stays silence.
    """
    speech = [t for t, label in enumerate(frame_labels) if label is not None]
    sequence = [frame_labels[t] for t in speech]
    while True:
        runs = [(label, len(list(group))) for label, group in groupby(sequence)]
        k = min(range(len(runs)), key=lambda k: runs[k][1], default=None)
        if len(runs) < 2 or runs[k][1] * FRAME_S >= MIN_TURN_S:
            break
        neighbours = [m for m in (k - 1, k + 1) if 0 <= m < len(runs)]
        donor = max(neighbours, key=lambda m: runs[m][1])
        start = sum(length for _, length in runs[:k])
        sequence[start: start + runs[k][1]] = [runs[donor][0]] * runs[k][1]
    smoothed = list(frame_labels)
    for t, label in zip(speech, sequence):
        smoothed[t] = label
    return smoothed


def _check_samples(samples):
    if isinstance(samples, (str, bytes)) or not hasattr(samples, "__len__"):
        raise AudiollmError(f"samples must be a list of floats, got {type(samples).__name__}")
    samples = list(samples)
    if len(samples) < SAMPLE_RATE * WINDOW_S:
        raise AudiollmError(f"samples: {len(samples)} samples is shorter than one {WINDOW_S}-s window at 16 kHz")
    try:
        finite = all(map(math.isfinite, samples))
    except TypeError:
        raise AudiollmError("samples must hold only numbers") from None
    if not finite:
        raise AudiollmError("samples hold NaN or infinity")
    return samples


def diarize(samples, sr=SAMPLE_RATE, n_speakers=None):
    """Who spoke when. samples: mono floats at `sr` Hz -> [Turn(start_s, end_s, "SPEAKER_1"), ...].

    samples may also be a path to a WAV file (read and resampled to 16 kHz by load_audio; sr is then
    ignored). Other rates are resampled to 16 kHz first.
    n_speakers: the number of speakers if known; None lets the distance threshold decide.
    Speakers are numbered in order of first appearance.
    """
    if isinstance(samples, (str, os.PathLike)):
        samples, sr = load_audio(samples, SAMPLE_RATE), SAMPLE_RATE
    if isinstance(sr, bool) or not isinstance(sr, int) or sr <= 0:
        raise AudiollmError(f"sr must be a positive integer sample rate, got {sr!r}")
    if n_speakers is not None and (isinstance(n_speakers, bool) or not isinstance(n_speakers, int)
                                   or n_speakers < 1):
        raise AudiollmError(f"n_speakers must be None or a positive integer, got {n_speakers!r}")
    samples = _check_samples(samples)
    if len(samples) > MAX_SECONDS * sr:
        raise AudiollmError(f"samples: {len(samples) / sr:.0f} s is over {MAX_SECONDS} s; diarize shorter pieces")
    if sr != SAMPLE_RATE:
        samples = _check_samples(resample(samples, sr, SAMPLE_RATE))
    log_mel = log_mel_spectrogram(samples)
    active = _speech_activity(samples, len(log_mel))
    windows = _embeddings(samples, log_mel, active)
    if not windows:
        return []
    labels = _cluster([embedding for _, embedding in windows], n_speakers)
    frame_labels = _absorb_short_runs(_frame_labels(active, windows, labels))
    names = {}
    turns, t = [], 0
    for label, group in groupby(frame_labels):
        length = len(list(group))
        if label is not None:
            name = names.setdefault(label, f"SPEAKER_{len(names) + 1}")
            turns.append(Turn(round(t * FRAME_S, 2), round((t + length) * FRAME_S, 2), name))
        t += length
    return turns


def _timestamp(seconds):
    minutes, seconds = divmod(round(seconds * 100), 6000)
    return f"{minutes:02d}:{seconds // 100:02d}.{seconds % 100:02d}"


def _check_turns(name, turns):
    """Return turns as Turn tuples, or raise AudiollmError naming `name`."""
    if isinstance(turns, (str, bytes)) or not hasattr(turns, "__iter__"):
        raise AudiollmError(f"{name} must be a list of (start, end, speaker), got {type(turns).__name__}")
    checked = []
    for k, turn in enumerate(turns):
        if not isinstance(turn, (tuple, list)) or len(turn) != 3:
            raise AudiollmError(f"{name}[{k}] must be a (start, end, speaker) triple, got {turn!r}")
        start, end, speaker = turn
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                      for v in (start, end))
        if not numbers or not 0 <= start <= end:
            raise AudiollmError(f"{name}[{k}]: need finite times with 0 <= start <= end, got {turn!r}")
        if not isinstance(speaker, str) or not speaker or any(c.isspace() for c in speaker):
            raise AudiollmError(f"{name}[{k}]: speaker must be a non-empty label without spaces, got {speaker!r}")
        checked.append(Turn(float(start), float(end), speaker))
    return checked


def format_turns(turns):
    """One line per turn, like "[00:03.20 - 00:05.10] SPEAKER_1" (minutes:seconds.hundredths)."""
    turns = _check_turns("turns", turns)
    return "\n".join(f"[{_timestamp(t.start)} - {_timestamp(t.end)}] {t.speaker}" for t in turns)


def to_rttm(turns, file_id):
    """The turns as RTTM lines (NIST's diarization format), one per turn, each ending in a newline:

    SPEAKER <file_id> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>   (seconds, 3 decimals)
    """
    if not isinstance(file_id, str) or not file_id or any(c.isspace() for c in file_id):
        raise AudiollmError(f"file_id must be a non-empty name without spaces, got {file_id!r}")
    return "".join(
        f"SPEAKER {file_id} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {t.speaker} <NA> <NA>\n"
        for t in _check_turns("turns", turns)
    )


def _best_mapping(overlap, references, hypotheses):
    """The one-to-one reference -> hypothesis speaker mapping with the most overlapping time.

    Hungarian algorithm (Kuhn-Munkres with potentials, O(n^3)) on cost = -overlap, padded to a square.
    """
    n = max(len(references), len(hypotheses))
    padded_refs = references + [None] * (n - len(references))  # None: a dummy speaker, overlap 0
    padded_hyps = hypotheses + [None] * (n - len(hypotheses))
    cost = [[-overlap.get((r, h), 0.0) for h in padded_hyps] for r in padded_refs]
    u, v = [0.0] * (n + 1), [0.0] * (n + 1)
    owner = [0] * (n + 1)  # owner[column] = row assigned to it (1-based; 0 = free)
    for row in range(1, n + 1):
        owner[0] = row
        column = 0
        slack = [math.inf] * (n + 1)
        previous = [0] * (n + 1)
        used = [False] * (n + 1)
        while owner[column]:
            used[column] = True
            r, delta, nxt = owner[column], math.inf, 0
            for c in range(1, n + 1):
                if not used[c]:
                    reduced = cost[r - 1][c - 1] - u[r] - v[c]
                    if reduced < slack[c]:
                        slack[c], previous[c] = reduced, column
                    if slack[c] < delta:
                        delta, nxt = slack[c], c
            for c in range(n + 1):
                if used[c]:
                    u[owner[c]] += delta
                    v[c] -= delta
                else:
                    slack[c] -= delta
            column = nxt
        while column:
            owner[column] = owner[previous[column]]
            column = previous[column]
    pairs = ((padded_refs[owner[c] - 1], padded_hyps[c - 1]) for c in range(1, n + 1))
    return {r: h for r, h in pairs if r is not None and h is not None}


def der(reference, hypothesis, collar=0.25):
    """Diarization error rate, as NIST md-eval scores it. Turns are (start_s, end_s, speaker).

    Time within `collar` seconds of any reference turn's start or end is not scored (people disagree
    about exact boundaries). Over the rest, with the best one-to-one mapping of speakers:
      missed       reference speech with fewer hypothesis speakers talking
      false_alarm  hypothesis speech beyond the reference speakers talking
      confusion    speech given to the wrong (mapped) speaker
    Returns {"missed", "false_alarm", "confusion", "der"} as fractions of the scored reference
    speech time (der is their sum, and can pass 1.0), plus "scored": that time in seconds.
    """
    reference = _check_turns("reference", reference)
    hypothesis = _check_turns("hypothesis", hypothesis)
    if isinstance(collar, bool) or not isinstance(collar, (int, float)) or not 0 <= collar < math.inf:
        raise AudiollmError(f"collar must be a non-negative number of seconds, got {collar!r}")
    edges = {t.start for t in reference} | {t.end for t in reference}
    no_score = [(max(e - collar, 0.0), e + collar) for e in edges] if collar else []
    points = sorted({p for t in reference + hypothesis for p in t[:2]} | {p for span in no_score for p in span})
    index = {p: k for k, p in enumerate(points)}  # piece k is the time from points[k] to points[k + 1]
    ref_at = [set() for _ in points]  # who is talking in each piece (a speaker overlapping itself counts once)
    hyp_at = [set() for _ in points]
    scored_at = [True for _ in points]
    for turns, speakers_at in ((reference, ref_at), (hypothesis, hyp_at)):
        for t in turns:
            for k in range(index[t.start], index[t.end]):
                speakers_at[k].add(t.speaker)
    for lo, hi in no_score:
        scored_at[index[lo]: index[hi]] = [False] * (index[hi] - index[lo])
    pieces = [  # (duration, reference speakers, hypothesis speakers) of every scored piece of time
        (b - a, ref, hyp)
        for a, b, ref, hyp, scored in zip(points, points[1:], ref_at, hyp_at, scored_at)
        if scored and (ref or hyp)
    ]
    overlap = Counter()
    for duration, ref, hyp in pieces:
        for r in ref:
            for h in hyp:
                overlap[r, h] += duration
    speakers = [sorted({t.speaker for t in turns}) for turns in (reference, hypothesis)]
    mapping = _best_mapping(overlap, *speakers)
    scored = missed = false_alarm = confusion = 0.0
    for duration, ref, hyp in pieces:
        n_ref, n_hyp = len(ref), len(hyp)
        correct = sum(1 for r in ref if mapping.get(r) in hyp)
        scored += duration * n_ref
        missed += duration * max(n_ref - n_hyp, 0)
        false_alarm += duration * max(n_hyp - n_ref, 0)
        confusion += duration * (min(n_ref, n_hyp) - correct)
    if scored == 0.0:
        raise AudiollmError("reference: no reference speech is left to score outside the collars")
    rates = {"missed": missed / scored, "false_alarm": false_alarm / scored, "confusion": confusion / scored}
    return {**rates, "der": sum(rates.values()), "scored": scored}
