"""Speaker diarization in pure Python: who spoke when (the lesson's exercise 5, "signal speaker changes").

A cascaded pipeline answers "who spoke when" before any LLM sees the audio. This is the classic recipe
(find speech, embed, cluster), small enough to read in one sitting. The audio is read 10 s
at a time (mel.sample_windows: read, resample to 16 kHz) and only a few numbers per 10-ms mel frame are
kept, so a 10-minute call needs the memory of one window and an hour runs in time linear in its length.

1. Speech activity. A mel frame is speech when its energy between 223 Hz and 4 kHz (the telephone band,
   300-3400 Hz, with a margin each side)
   is at least MARGIN_DB over the noise floor and at most RANGE_DB under the speech peak. The floor and the
   peak are low and high percentiles of the last HISTORY_S seconds of frames, so the threshold follows the
   recording: digital silence, a noisy room, pink noise at 10 dB SNR. Pauses up to MAX_GAP_S are bridged.
2. Frame features. Each speech frame gets a pitch (normalised autocorrelation on the signal decimated to
   4 kHz); each voiced one also keeps N_CEPS cepstra: the DCT of its log-Mel (the Whisper log-Mel of
   mel.py), floored DYNAMIC_RANGE decades under the frame's strongest band, c1..c24 (c0, the loudness, is
   left out). These are MFCCs computed from Whisper's features. Voiced frames only: the vowels carry the
   vocal tract and the voice source, the fricatives and silences carry mostly the words.
3. The voice embedding. Per recording the cepstra are normalised to zero mean and unit variance (CMVN:
   it removes the channel, a telephone line or a microphone) and pitch is measured in semitones from the
   recording's median. These 25 numbers hold far more of the words than of the voice: over a second, two
   sentences from one voice differ as much as one sentence from two similar voices. A linear discriminant
   projection (LDA) keeps the directions in which voices differ more than sentences do: it is learned
   once from 495 espeak-ng utterances (55 voices at three pitches, clean and in pink noise), never from
   the evaluation's sentences or "new" voices (data/speaker_lda.txt, made by data/make_speaker_lda.py),
   and maps the 25 numbers to LDA_DIMS whose spread within one voice is about 1 per second of speech.
   It is the smallest form of a trained speaker embedding (x-vector systems end with the same LDA);
   pitch takes part in it as one input of 25.
4. Pieces and their spread. Speech is cut into pieces at silences and every PIECE_S seconds; each piece
   is the mean embedding of its voiced frames. How much one voice varies is measured in each recording by
   comparing the two halves of every piece (a piece is one speaker): noisy or high-pitched voices vary
   more, and the clustering divides by this spread, per cluster.
5. Clustering. Ward's agglomerative clustering of the pieces: repeatedly merge the two clusters whose
   merge adds the least within-cluster scatter, (w_a w_b / (w_a + w_b)) |mean_a - mean_b|^2 / spread,
   w in seconds of voiced speech. With n_speakers given it merges down to exactly that many. Otherwise
   it merges down to one and looks back: merges within one voice cost a few units each and grow slowly;
   the merge of two voices jumps. The stop is before the merge whose cost is the largest multiple of
   every earlier merge's, if that multiple passes STOP_JUMP, the cost passes STOP_COST and both clusters
   hold MIN_SPEAKER_S of voiced speech; with no such jump there is one voice. Clusters under
   MIN_SPEAKER_S (a "yeah" heard as a voice of its own) then join their cheapest partner. The three
   constants are calibrated on the "tune" clips of tests/fixtures/diarize_eval (and its 2x and 3x longer
   versions), never on the "held" and "new" ones.
6. Turns. Each run of speech with one label becomes Turn(start, end, speaker), speakers numbered in
   order of first appearance, printed and written as NIST RTTM. (A Viterbi re-segmentation over 0.1-s
   blocks, one Gaussian per speaker and a price per change of speaker, was tried: it moved the mean DER
   of every evaluation set by under 0.01, so the turns are the pieces' labels as they are.)

Limits, by design: energy cannot tell speech from music (a voice that sings is a voice); overlapping
speech gets one label; a speaker with under MIN_SPEAKER_S of voiced speech joins another; the LDA was
learned from synthetic espeak-ng voices, whose differences are cleaner than people's. der() scores a
result as NIST's md-eval does: missed speech + false alarm + speaker confusion over the reference speech
time, with the best one-to-one speaker mapping and a no-score collar around every reference boundary.
"""

import math
import os
import statistics
from array import array
from collections import Counter, namedtuple
from functools import lru_cache
from itertools import accumulate, groupby

from ..base.dots import dot_given_norms, dots
from ..base.errors import MAX_ABS_SAMPLE, AudiollmError, check_int, check_sample_rate, check_samples
from ..front.wav import open_wav
from ..front.resample import resample, resampled_length
from ..front.mel import HOP_LENGTH, N_FFT, SAMPLE_RATE, log_mel_spectrogram, sample_windows

FRAME_S = HOP_LENGTH / SAMPLE_RATE  # 10 ms: one mel frame, the time unit of every decision here
WINDOW_S = 10  # seconds read, resampled and featurised at a time (48-kHz stereo: about 60 MB while read)
MIN_SECONDS = 0.5  # shorter audio (counted at 16 kHz, after resampling) has no room for a speaker turn
MAX_SECONDS = 4 * 3600  # four hours: about 11 minutes of work (bench: an hour in 162 s); split longer ones
MAX_SPEAKERS = 20

# 1. speech activity
BAND_BINS = (5, 62)  # Whisper mel bins 5..61: 223 Hz to 4 kHz, the telephone band (300-3400 Hz) and a margin
HISTORY_S = 30  # the noise floor and the speech peak are taken over the last 30 s of frames
FLOOR_PERCENTILE = 0.05  # the noise floor: a quiet frame, not the quietest click
PEAK_PERCENTILE = 0.99  # the speech peak: a loud frame, not the loudest pop
MARGIN_DB = 4.0  # speech is at least this far above the floor (pink noise frames vary by about 1 dB) ...
RANGE_DB = 45.0  # ... and at most this far below the peak (breaths and echoes in a quiet room are not speech)
MAX_GAP_S = 0.3  # pauses this short stay inside a stretch of speech (between words)
MIN_SPEECH_S = 0.15  # stretches of "speech" shorter than this are clicks

# 2. frame features
N_CEPS = 24  # cepstra c1..c24 per voiced frame
DYNAMIC_RANGE = 5.0  # decades of mel power kept under each frame's strongest band (the rest is noise)
PITCH_HZ = (60.0, 400.0)  # the f0 search range, low men to high children
PITCH_RATE = 4000  # pitch is found on the signal decimated 4:1 (a quarter of the work; f0 < 2 kHz)
PITCH_FRAME = 128  # samples at PITCH_RATE compared with their lagged copy (32 ms)
VOICING = 0.6  # minimum normalised autocorrelation for a frame to count as voiced
OCTAVE_GUARD = 0.85  # a shorter period wins if its autocorrelation peak is this close to the best one
PITCH_UNIT = 3.0  # semitones per unit of the pitch input (so it varies about as much as a normalised cepstrum)

# 3-5. embedding and clustering
LDA_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "speaker_lda.txt")
LDA_DIMS = 8  # discriminant directions used: the rest separate voices less than sentences do
PIECE_S = 1.0  # pieces are cut at silences and at most about this long
MAX_PIECES = 600  # clustering is quadratic in pieces: longer recordings get longer pieces
MIN_PIECE_VOICED = 10  # voiced frames a piece needs to be clustered (others follow the re-segmentation)
SPREAD_PRIOR = 2.0  # pieces' worth of weight on the LDA's own spread (1) before a recording's halves say more
STOP_COST = 15.0  # a merge can join two different voices if it costs more than this ...
STOP_JUMP = 2.0  # ... and more than this many times every earlier merge; the largest such jump wins
MIN_SPEAKER_S = 0.8  # seconds of voiced speech a cluster needs to count as a voice of its own

BLOCK = 10  # mel frames per block (0.1 s): the time step of pieces and of turn edges

Turn = namedtuple("Turn", "start end speaker")
Turn.__doc__ = "One speaker turn: start and end in seconds, speaker a label like 'SPEAKER_1'."


# ---- 1-2. reading and frame features, window by window -------------------------------------------

def check_length(name, n_samples_16k):
    """Refuse audio shorter than MIN_SECONDS or longer than MAX_SECONDS, counted at 16 kHz (after resampling)."""
    seconds = n_samples_16k / SAMPLE_RATE
    if seconds < MIN_SECONDS:
        raise AudiollmError(f"{name}: {seconds:.2f} s of audio (at 16 kHz) is shorter than {MIN_SECONDS} s; "
                            "there is no room for a speaker turn")
    if seconds > MAX_SECONDS:
        raise AudiollmError(f"{name}: {seconds / 3600:.1f} h of audio is over {MAX_SECONDS // 3600} h; "
                            "diarize it in parts")


def _within_range(samples):
    """True if every sample is a number within +-MAX_ABS_SAMPLE (so every power stays finite); NaN is not."""
    return all(map(MAX_ABS_SAMPLE.__ge__, map(abs, samples)))


def _windows(audio, sr):
    """Yield the audio as 16-kHz windows of WINDOW_S seconds, after checking its length.

    A path is opened and its length read from the header before any sample is read; the samples then come
    window by window (mel.sample_windows). A list is checked whole, resampled if needed, then cut.
    """
    if isinstance(audio, (str, os.PathLike)):
        with open_wav(audio) as reader:
            name = reader.path
            check_length(name, resampled_length(reader.n_frames, reader.sample_rate))
            for samples in sample_windows(reader, WINDOW_S * SAMPLE_RATE):
                if not _within_range(samples):
                    raise AudiollmError(f"{name}: holds samples that are not finite or beyond +-{MAX_ABS_SAMPLE:g}; "
                                        "their power is not a finite number")
                yield samples
        return
    sr = check_sample_rate("sr", sr)
    if hasattr(audio, "__len__"):  # the length first: no work on a list longer than MAX_SECONDS
        check_length("samples", resampled_length(len(audio), sr))
    audio = check_samples("samples", audio)
    samples = resample(audio, sr, SAMPLE_RATE) if sr != SAMPLE_RATE else audio
    length = WINDOW_S * SAMPLE_RATE
    for start in range(0, len(samples), length):
        yield samples[start:start + length]


def _band_db(log_mel_frame):
    """Energy of one Whisper log-Mel frame between 223 Hz and 4 kHz, in dB (log10 power = 4 x - 4)."""
    lo, hi = BAND_BINS
    return 10.0 * math.log10(sum(10.0 ** (4.0 * v - 4.0) for v in log_mel_frame[lo:hi]))


def _speech_threshold(recent):
    """Step 1: speech is MARGIN_DB over the noise floor and within RANGE_DB of the speech peak (dB)."""
    ordered = sorted(recent)
    floor = ordered[int(FLOOR_PERCENTILE * (len(ordered) - 1))]
    peak = ordered[int(PEAK_PERCENTILE * (len(ordered) - 1))]
    return max(peak - RANGE_DB, floor + MARGIN_DB)


def _decimate(samples):
    """16-kHz samples -> PITCH_RATE samples, each the mean of 4 (a crude low-pass, enough for pitch)."""
    factor = SAMPLE_RATE // PITCH_RATE
    return tuple(sum(group) / factor for group in zip(*(samples[k::factor] for k in range(factor))))


def _pitch_octaves(decimated, t):
    """log2(f0 / 100 Hz) over the 32 ms from the start of mel frame t, or None if it is not voiced.

    Normalised autocorrelation: r(lag) = <x, x shifted by lag> / (|x| |x shifted|), near 1 when lag is a
    whole number of pitch periods. The smallest lag whose peak is within OCTAVE_GUARD of the best one is
    the period (the best alone may be two periods: an octave too low). The dot product comes from the kernel
    (base/dots.dot_given_norms), with |.|^2 from running sums: a C loop per lag.
    """
    low_lag, high_lag = int(PITCH_RATE / PITCH_HZ[1]), int(PITCH_RATE / PITCH_HZ[0]) + 1
    start = t * HOP_LENGTH * PITCH_RATE // SAMPLE_RATE
    x = decimated[start: start + PITCH_FRAME + high_lag + 1]
    if len(x) < PITCH_FRAME + high_lag + 1:
        return None
    head = x[:PITCH_FRAME]
    energy = list(accumulate((v * v for v in x), initial=0.0))
    e0 = energy[PITCH_FRAME]
    r = []
    for lag in range(low_lag, high_lag + 1):
        e1 = energy[lag + PITCH_FRAME] - energy[lag]
        r.append(dot_given_norms(head, x[lag: lag + PITCH_FRAME], e0, e1) / (math.sqrt(e0 * e1) or 1.0))
    best = max(r)
    if best < VOICING:
        return None
    for k in range(1, len(r) - 1):
        if r[k] >= OCTAVE_GUARD * best and r[k - 1] <= r[k] >= r[k + 1]:
            return math.log2(PITCH_RATE / (low_lag + k) / 100.0)
    return None


@lru_cache(maxsize=None)
def _dct_rows(n_mels):
    """DCT-II rows k = 1..N_CEPS over n_mels bands: cepstrum c_k = sum_m log_mel[m] cos(pi k (m + 1/2) / n_mels)."""
    return tuple(tuple(math.cos(math.pi * k * (m + 0.5) / n_mels) for m in range(n_mels))
                 for k in range(1, N_CEPS + 1))


def _cepstra(log_mel_frames):
    """Whisper log-Mel frames (n, 80) -> cepstra (n, N_CEPS), each frame floored DYNAMIC_RANGE decades
    under its strongest band first, so quiet bands (noise, a telephone's missing highs) do not count."""
    rows = []
    for frame in log_mel_frames:
        logs = [4.0 * v - 4.0 for v in frame]  # back to log10 power: Whisper stores (log10 + 4) / 4
        low = max(logs) - DYNAMIC_RANGE
        rows.append([v if v > low else low for v in logs])
    return dots(rows, _dct_rows(len(rows[0])))


class _Recording:
    """What diarize keeps of a recording, filled in window by window by add().

    Per mel frame: its speech-band energy (dB) and whether it passed the speech threshold. Per voiced
    speech frame: its index, its N_CEPS cepstra and its pitch, as 4-byte floats: about 100 bytes a voiced
    frame, 20 MB for an hour of talk.
    """

    def __init__(self):
        self.energies = array("f")
        self.speech = bytearray()
        self.voiced = array("I")
        self.cepstra = array("f")
        self.pitch = array("f")

    def add(self, samples):
        """Featurise the next window of 16-kHz samples (the remainder after whole 10-ms frames is dropped)."""
        if len(samples) <= N_FFT // 2:  # a last sliver under 12.5 ms: too short for the STFT's reflect padding
            return
        n_frames = len(samples) // HOP_LENGTH
        log_mel = log_mel_spectrogram(samples[:max(n_frames * HOP_LENGTH, N_FFT // 2 + 1)])[:n_frames]
        energies = [_band_db(frame) for frame in log_mel]
        first = len(self.energies)
        self.energies.extend(energies)
        threshold = _speech_threshold(self.energies[-round(HISTORY_S / FRAME_S):])
        speech = [e > threshold for e in energies]
        self.speech.extend(speech)
        decimated = _decimate(samples)
        voiced, pitches = [], []
        for t in range(n_frames):
            if speech[t]:
                f0 = _pitch_octaves(decimated, t)
                if f0 is not None:
                    voiced.append(t)
                    pitches.append(f0)
        if voiced:
            for row in _cepstra([log_mel[t] for t in voiced]):
                self.cepstra.extend(row)
            self.voiced.extend(first + t for t in voiced)
            self.pitch.extend(pitches)


def _runs(flags):
    """[(first, last_plus_one), ...] of the runs of true values in a sequence."""
    runs, t = [], 0
    for value, group in groupby(flags):
        length = sum(1 for _ in group)
        if value:
            runs.append((t, t + length))
        t += length
    return runs


def _active(speech):
    """The speech flags with pauses up to MAX_GAP_S bridged and blips under MIN_SPEECH_S dropped."""
    active = bytearray(speech)
    runs = _runs(active)
    for (_, end), (start, _) in zip(runs, runs[1:]):
        if (start - end) * FRAME_S <= MAX_GAP_S:
            active[end:start] = b"\x01" * (start - end)
    for start, end in _runs(active):
        if (end - start) * FRAME_S < MIN_SPEECH_S:
            active[start:end] = bytes(end - start)
    return active


# ---- 3. the voice embedding --------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _speaker_lda(path):
    """The discriminant projection: LDA_DIMS rows of N_CEPS + 1 weights, from data/speaker_lda.txt.

    The file holds N_CEPS + 1 lines (one per input: c1..c24, then pitch) of LDA_DIMS numbers each; lines
    starting with # are comments.
    """
    try:
        with open(path, encoding="utf-8") as f:
            rows = [[float(v) for v in line.split()] for line in f if line.strip() and not line.startswith("#")]
    except (OSError, ValueError) as error:
        raise AudiollmError(f"{path}: cannot read the speaker LDA ({error})") from None
    if len(rows) != N_CEPS + 1 or any(len(row) < LDA_DIMS or not all(map(math.isfinite, row)) for row in rows):
        raise AudiollmError(f"{path}: expected {N_CEPS + 1} lines of at least {LDA_DIMS} finite numbers")
    return tuple(tuple(row[j] for row in rows) for j in range(LDA_DIMS))


def _embeddings(rec, active, chunk=4096):
    """Yield (mel frame index, embedding) for every voiced speech frame, chunk frames at a time.

    Per recording the cepstra get zero mean and unit variance (CMVN) and pitch is measured in PITCH_UNIT
    semitones from the median; the LDA maps these N_CEPS + 1 numbers to LDA_DIMS.
    """
    keep = [i for i, t in enumerate(rec.voiced) if active[t]]
    if len(keep) < len(rec.voiced):  # frames in dropped blips go (rare: a compact copy of the rest)
        rec.cepstra = array("f", (rec.cepstra[i * N_CEPS + d] for i in keep for d in range(N_CEPS)))
        rec.pitch = array("f", (rec.pitch[i] for i in keep))
        rec.voiced = array("I", (rec.voiced[i] for i in keep))
    n = len(rec.voiced)
    if not n:
        return
    means, scales = [], []
    for d in range(N_CEPS):
        column = rec.cepstra[d::N_CEPS]
        mean = math.fsum(column) / n
        means.append(mean)
        scales.append(1.0 / math.sqrt(max(math.fsum(v * v for v in column) / n - mean * mean, 1e-12)))
    middle = statistics.median(rec.pitch)
    lda = _speaker_lda(LDA_FILE)
    for start in range(0, n, chunk):
        rows = []
        for i in range(start, min(start + chunk, n)):
            cepstra = rec.cepstra[i * N_CEPS:(i + 1) * N_CEPS]
            rows.append([(c - m) * s for c, m, s in zip(cepstra, means, scales)]
                        + [(rec.pitch[i] - middle) * 12.0 / PITCH_UNIT])
        yield from zip(rec.voiced[start:start + chunk], dots(rows, lda))


# ---- 4. blocks and pieces ----------------------------------------------------------------------------

class _Stats:
    """Sums over voiced frames: their count n and the per-dimension sum of their embeddings."""
    __slots__ = ("n", "total")

    def __init__(self, dims):
        self.n, self.total = 0, [0.0] * dims

    def add(self, n, total):
        self.n += n
        self.total = [a + b for a, b in zip(self.total, total)]

    def mean(self):
        return [v / self.n for v in self.total]


def _block_stats(embeddings, n_blocks):
    """Per 0.1-s block: _Stats of its voiced frames' embeddings ((frame, embedding) pairs)."""
    blocks = [_Stats(LDA_DIMS) for _ in range(n_blocks)]
    for t, z in embeddings:
        blocks[t // BLOCK].add(1, z)
    return blocks


def _sum_stats(blocks, indices):
    total = _Stats(LDA_DIMS)
    for b in indices:
        total.add(blocks[b].n, blocks[b].total)
    return total


def _pieces(speech, active, n_blocks):
    """Speech cut into pieces: runs of blocks holding speech, cut at blocks with no raw speech frame
    (a pause of 0.1 s or more) and into parts of about PIECE_S. Returns (pieces, runs), lists of block
    ranges; runs are the stretches of speech (pauses under MAX_GAP_S bridged) the Viterbi pass walks."""
    def any_in(flags, b):
        return any(flags[b * BLOCK:(b + 1) * BLOCK])

    runs = _runs([any_in(active, b) for b in range(n_blocks)])
    spoken = [(s, e) for s, e in _runs([any_in(speech, b) and any_in(active, b) for b in range(n_blocks)])]
    total = sum(e - s for s, e in spoken)
    size = max(round(PIECE_S / (BLOCK * FRAME_S)), -(-total // MAX_PIECES))
    pieces = []
    for start, end in spoken:
        parts = max(1, round((end - start) / size))
        edges = [start + round(k * (end - start) / parts) for k in range(parts + 1)]
        pieces.extend(range(a, b) for a, b in zip(edges, edges[1:]))
    return pieces, runs


def _spread(blocks, piece):
    """How much one voice varies, from one piece: (mean(first half) - mean(second half))^2 averaged over
    the dimensions, scaled to the mean over one second of voiced speech (a mean over w seconds varies as
    spread / w). None if a half has too few voiced frames."""
    half = len(piece) // 2
    a, b = _sum_stats(blocks, piece[:half]), _sum_stats(blocks, piece[half:])
    if a.n < MIN_PIECE_VOICED or b.n < MIN_PIECE_VOICED:
        return None
    w = (a.n * b.n) / (a.n + b.n) * FRAME_S
    return w * math.fsum((x - y) ** 2 for x, y in zip(a.mean(), b.mean())) / LDA_DIMS


# ---- 5. clustering -----------------------------------------------------------------------------------

class _Cluster:
    """A cluster of pieces: weight w (seconds of voiced speech), weighted sum of means, and its spread sums."""
    __slots__ = ("w", "total", "spreads", "n_spreads", "members")

    def __init__(self, w, mean, spread, member):
        self.w, self.total = w, [w * v for v in mean]
        self.spreads, self.n_spreads = (spread, 1) if spread is not None else (0.0, 0)
        self.members = [member]

    def copy(self):
        twin = _Cluster.__new__(_Cluster)
        twin.w, twin.total, twin.spreads, twin.n_spreads = self.w, list(self.total), self.spreads, self.n_spreads
        twin.members = list(self.members)
        return twin

    def merge(self, other):
        self.w += other.w
        self.total = [a + b for a, b in zip(self.total, other.total)]
        self.spreads += other.spreads
        self.n_spreads += other.n_spreads
        self.members += other.members

    def mean(self):
        return [v / self.w for v in self.total]


def _ward_cost(a, b, prior):
    """The within-cluster scatter merging a and b adds, in units of their own spread (shrunk to `prior`)."""
    spread_a = (SPREAD_PRIOR * prior + a.spreads) / (SPREAD_PRIOR + a.n_spreads)
    spread_b = (SPREAD_PRIOR * prior + b.spreads) / (SPREAD_PRIOR + b.n_spreads)
    gap = math.dist(a.mean(), b.mean())
    return a.w * b.w / (a.w + b.w) * gap * gap / (0.5 * (spread_a + spread_b))


def _ward_merges(clusters, prior, n_left):
    """Ward's agglomerative clustering: merge the cheapest pair until n_left clusters remain, in place.

    Returns the merges in order, [(i, j, clusters before, cost, weight of i, weight of j)], j merged into i.
    Every cluster remembers its cheapest partner, so a merge costs one pass over the clusters instead of a
    new table of all pairs.
    """
    def nearest(k):
        return min(((_ward_cost(clusters[k], clusters[j], prior), j) for j in clusters if j != k),
                   default=(math.inf, k))

    closest = {k: nearest(k) for k in clusters}
    merges = []
    while len(clusters) > n_left:
        cost, i = min((closest[k][0], k) for k in clusters)
        j = closest[i][1]
        merges.append((i, j, len(clusters), cost, clusters[i].w, clusters[j].w))
        clusters[i].merge(clusters.pop(j))
        del closest[j]
        for k in clusters:
            if k == i or closest[k][1] in (i, j):
                closest[k] = nearest(k)
            else:
                c = _ward_cost(clusters[k], clusters[i], prior)
                if c < closest[k][0]:
                    closest[k] = (c, i)
    return merges


def _speaker_count(merges, min_speakers, max_speakers):
    """Where Ward's merge costs jump most (step 5): the number of clusters before that merge.

    A merge can end the clustering if it costs more than STOP_COST, joins clusters of MIN_SPEAKER_S or
    more, and costs more than STOP_JUMP times every earlier merge (the first merge: times STOP_COST); of
    these the one with the largest such ratio wins. With none, one speaker (or min_speakers).
    """
    largest, best = 0.0, None
    for _, _, n, cost, w_i, w_j in merges:
        ratio = cost / (largest or STOP_COST)
        if (min_speakers <= n <= max_speakers and cost > STOP_COST and min(w_i, w_j) >= MIN_SPEAKER_S
                and ratio > STOP_JUMP and (best is None or ratio > best[0])):
            best = (ratio, n)
        largest = max(largest, cost)
    return best[1] if best else min_speakers


def _cluster(clusters, prior, n_speakers, min_speakers, max_speakers):
    """Cluster the pieces (step 5): {key: _Cluster} merged in place down to the speakers."""
    if n_speakers is not None:
        _ward_merges(clusters, prior, n_speakers)
        return
    start = {k: c.copy() for k, c in clusters.items()}
    merges = _ward_merges(clusters, prior, 1)
    n = _speaker_count(merges, min_speakers, max_speakers)
    clusters.clear()
    clusters.update(start)
    for i, j, before, *_ in merges:
        if before <= n:
            break
        clusters[i].merge(clusters.pop(j))
    _absorb_small(clusters, prior, min_speakers)


def _absorb_small(clusters, prior, min_speakers):
    """Clusters with under MIN_SPEAKER_S of voiced speech join their cheapest partner, smallest first."""
    while len(clusters) > max(min_speakers, 1):
        k = min(clusters, key=lambda k: clusters[k].w)
        if clusters[k].w >= MIN_SPEAKER_S:
            break
        partner = min((j for j in clusters if j != k), key=lambda j: _ward_cost(clusters[k], clusters[j], prior))
        clusters[partner].merge(clusters.pop(k))


# ---- the whole pipeline ------------------------------------------------------------------------------

def _check_counts(n_speakers, min_speakers, max_speakers):
    if n_speakers is not None:
        check_int("n_speakers", n_speakers, 1, MAX_SPEAKERS)
    check_int("min_speakers", min_speakers, 1, MAX_SPEAKERS)
    check_int("max_speakers", max_speakers, 1, MAX_SPEAKERS)
    if min_speakers > max_speakers:
        raise AudiollmError(f"min_speakers ({min_speakers}) must not exceed max_speakers ({max_speakers})")


def diarize(audio, sr=SAMPLE_RATE, n_speakers=None, min_speakers=1, max_speakers=MAX_SPEAKERS):
    """Who spoke when. audio: a WAV path, or mono samples at `sr` Hz -> [Turn(start_s, end_s, "SPEAKER_1"), ...].

    A path is read window by window (its length checked from the header first; `sr` is then ignored);
    samples at another rate are resampled to 16 kHz. Audio must last MIN_SECONDS to MAX_SECONDS.
    n_speakers: the number of voices if known: exactly that many speakers come out (fewer only if the
    audio has fewer pieces of voiced speech). Otherwise the clustering decides, between min_speakers
    and max_speakers. Silence, or speech without a voiced frame, gives []. Speakers are numbered in
    order of first appearance; turns are in time order, to 0.01 s.
    """
    _check_counts(n_speakers, min_speakers, max_speakers)
    rec = _Recording()
    for samples in _windows(audio, sr):
        rec.add(samples)
    active = _active(rec.speech)
    n_blocks = -(-len(active) // BLOCK)
    blocks = _block_stats(_embeddings(rec, active), n_blocks)
    pieces, runs = _pieces(rec.speech, active, n_blocks)
    data = {}  # piece index -> (seconds of voiced speech, mean embedding, spreads or None)
    for k, piece in enumerate(pieces):
        stats = _sum_stats(blocks, piece)
        if stats.n >= MIN_PIECE_VOICED:
            data[k] = (stats.n * FRAME_S, stats.mean(), _spread(blocks, piece))
    if not data:
        return []
    spreads = [d[2] for d in data.values() if d[2] is not None]
    prior = (SPREAD_PRIOR + math.fsum(spreads)) / (SPREAD_PRIOR + len(spreads))  # the LDA's own spread is 1
    clusters = {k: _Cluster(*d, k) for k, d in data.items()}
    _cluster(clusters, prior, n_speakers, min_speakers, max_speakers)
    return _turns(active, _block_labels(clusters, pieces, runs, n_blocks))


def _block_labels(clusters, pieces, runs, n_blocks):
    """A speaker label per block: a clustered piece's cluster; in speech, blocks of no clustered piece take
    the label before them (or, at the start of a run, after them); None outside speech."""
    labels = [None] * n_blocks
    for label, cluster in clusters.items():
        for k in cluster.members:
            for b in pieces[k]:
                labels[b] = label
    for start, end in runs:
        known = [labels[b] for b in range(start, end) if labels[b] is not None] or [next(iter(clusters))]
        previous = known[0]
        for b in range(start, end):
            previous = labels[b] = labels[b] if labels[b] is not None else previous
    return labels


def _turns(active, labels):
    """Block labels over the speech frames -> [Turn], speakers named SPEAKER_1, ... by first appearance."""
    frame_labels = [labels[t // BLOCK] if active[t] else None for t in range(len(active))]
    names, turns, t = {}, [], 0
    for label, group in groupby(frame_labels):
        length = sum(1 for _ in group)
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
    try:
        file_id.encode("utf-8")
    except UnicodeEncodeError:
        raise AudiollmError(f"file_id must be text UTF-8 can write (no undecodable file-name bytes), "
                            f"got {file_id!r}") from None
    return "".join(
        f"SPEAKER {file_id} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {t.speaker} <NA> <NA>\n"
        for t in _check_turns("turns", turns)
    )


def read_rttm(path):
    """An RTTM file -> {file_id: [Turn(start, end, speaker), ...]}, from its SPEAKER lines in file order.

    Fields (NIST RTTM): SPEAKER <file_id> <channel> <start> <duration> <NA> <NA> <speaker> ...; other
    line types (comments, SPKR-INFO) are skipped. A bad SPEAKER line raises AudiollmError naming the line.
    """
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise AudiollmError(f"{os.fsdecode(path)}: cannot read it as RTTM ({error})") from None
    files = {}
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields or fields[0] != "SPEAKER":
            continue
        try:
            start, duration = float(fields[3]), float(fields[4])
            turn = Turn(start, start + duration, fields[7])
        except (IndexError, ValueError):
            raise AudiollmError(f"{os.fsdecode(path)}:{number}: not a SPEAKER line of RTTM: {line[:60]!r}") from None
        files.setdefault(fields[1], []).append(turn)
    for file_id, turns in files.items():
        _check_turns(f"{os.fsdecode(path)} ({file_id})", turns)
    return files


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
