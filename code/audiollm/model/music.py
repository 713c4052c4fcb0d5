"""A music encoder beside the speech-like one (lesson: SALMONN's "Whisper + BEATs", AF3's dual view), in
miniature: what the SummaryEncoder's 80 mel bands cannot carry, the mode of a chord and the timbre of the sound,
summarised over one window of audio for the micro audio-LLM.

    samples (16 kHz) -> STFT, N_FFT_MUSIC = 4096 points (3.9 Hz bins: semitones apart even at 65 Hz)
        -> chroma: each bin's magnitude added to its pitch class, 12 per STFT frame, each frame summing to 1
        -> weighted by the Listener's music tag, averaged over the window -> key-invariant triad templates:
           the best major triad (root, +4, +7 semitones), the best minor one (root, +3, +7), their difference, and
           the chroma turned so the best triad's root comes first (12)                             -> MODE (15)
    log-Mel (n, 80) -> MFCC (DCT-II of each frame, 13) and the STFT's flatness and centroid, the loudness's rise
        and fall (attack, decay), each as the mean under the music tag and under the speech tag, MFCC also as
        the spread                                                                                 -> TIMBRE (62)

The Whisper-like encoder describes 0.5 s around every 20 ms; this one describes the whole window once, as a
music tagger's clip embedding (BEATs' pooled output) does. audio_llm.listen appends the summary to every row
the bridge reads, so the adaptor's MLP sees both views (SALMONN concatenates its two encoders frame by frame).
A probe table of what each input carries is in outputs/instruct_report.md (learn.instruct.probe_table).
"""
import math
from operator import mul

from ..front.stft import power_columns
from ..front.mel import HOP_LENGTH, SAMPLE_RATE

N_FFT_MUSIC = 4096          # 256 ms at 16 kHz; bins 3.9 Hz apart (a semitone at C2 is 3.9 Hz)
HOP_MUSIC = 4096            # one STFT frame every 256 ms: 118 in a 30-s window
LOW_HZ, HIGH_HZ = 60.0, 2000.0  # the chroma's range: fundamentals and the first harmonics of the corpus' notes
N_MFCC = 13
ENCODER_SAMPLES = 2 * HOP_LENGTH  # samples per 50-Hz encoder frame (the tags' rate)
MAJOR, MINOR = (0, 4, 7), (0, 3, 7)  # a triad's semitones above its root
N_MODE = 3 + 12
N_TIMBRE = 2 * (2 * N_MFCC + 4) + 2
D_MUSIC = N_MODE + N_TIMBRE  # 77 values


def _pitch_classes(n_fft=N_FFT_MUSIC):
    """[(bin, pitch class 0-11 with 0 = C)] for the STFT bins between LOW_HZ and HIGH_HZ."""
    out = []
    for k in range(1, n_fft // 2 + 1):
        hz = k * SAMPLE_RATE / n_fft
        if LOW_HZ <= hz <= HIGH_HZ:
            out.append((k, round(12 * math.log2(hz / 440.0) + 9) % 12))  # A4 = 440 Hz is pitch class 9
    return out


PITCH_CLASSES = _pitch_classes()


def _dct_matrix(n_in, n_out=N_MFCC):
    """Orthonormal DCT-II rows (n_out, n_in): MFCC k of a log-Mel frame is the dot product with row k."""
    return [[math.sqrt((1 if k == 0 else 2) / n_in) * math.cos(math.pi * k * (2 * i + 1) / (2 * n_in))
             for i in range(n_in)] for k in range(n_out)]


def _weighted(rows, weights):
    """The weighted mean and standard deviation of each column of rows; zeros when the weights are all 0."""
    total = sum(weights)
    n = len(rows[0]) if rows else 0
    if total <= 1e-9:
        return [0.0] * n, [0.0] * n
    mean = [sum(w * r[c] for w, r in zip(weights, rows)) / total for c in range(n)]
    var = [sum(w * (r[c] - m) ** 2 for w, r in zip(weights, rows)) / total for c, m in enumerate(mean)]
    return mean, [math.sqrt(max(0.0, v)) for v in var]


def _tag_at(tags, column, sample):
    """The tag probability `column` of the encoder frame holding `sample` (the last frame past the end)."""
    return tags[min(len(tags) - 1, sample // ENCODER_SAMPLES)][column] if tags else 0.0


def mode_summary(chroma, weights):
    """Chroma frames (n, 12) and their music weights -> MODE (15): best major triad, best minor triad, major
    minus minor, then the mean chroma rotated to the best triad's root, each x 12 (so a flat chroma is 1)."""
    mean, _ = _weighted(chroma, weights)
    if not any(mean):
        return [0.0] * N_MODE
    major = [sum(mean[(r + s) % 12] for s in MAJOR) for r in range(12)]
    minor = [sum(mean[(r + s) % 12] for s in MINOR) for r in range(12)]
    root = max(range(12), key=lambda r: max(major[r], minor[r]))
    best_major, best_minor = max(major), max(minor)
    return [4 * best_major, 4 * best_minor, 12 * (best_major - best_minor)] + [12 * mean[(root + s) % 12]
                                                                                 for s in range(12)]


def music_summary(samples, log_mel, tags):
    """One window's music encoding: 16-kHz samples, their log-Mel (n_frames, 80) and the Listener's frame-tag
    probabilities (n_encoder_frames, 4: speech, music, sound, silence, 50 Hz) -> D_MUSIC floats (MODE, TIMBRE).
    """
    power = power_columns(samples, n_fft=N_FFT_MUSIC, hop_length=HOP_MUSIC) if len(samples) >= N_FFT_MUSIC // 2 \
        else []
    n_stft = len(power[0]) if power else 0
    chroma, flat_centroid = [], []
    for t in range(n_stft):
        classes = [0.0] * 12
        for k, pc in PITCH_CLASSES:
            classes[pc] += math.sqrt(power[k][t])
        total = sum(classes)
        chroma.append([c / total for c in classes] if total > 0 else [0.0] * 12)
        column = [power[k][t] + 1e-12 for k in range(1, len(power))]
        mean = sum(column) / len(column)
        flatness = math.exp(sum(map(math.log, column)) / len(column)) / mean
        centroid = sum(k * p for k, p in enumerate(column, 1)) / sum(column) * SAMPLE_RATE / N_FFT_MUSIC / 1000
        flat_centroid.append([flatness, centroid / 4])  # centroid in units of 4 kHz: 0-2
    stft_music = [_tag_at(tags, 1, t * HOP_MUSIC) for t in range(n_stft)]
    out = mode_summary(chroma, stft_music)
    dct = _dct_matrix(len(log_mel[0])) if log_mel else []
    mfcc = [[sum(map(mul, row, frame)) for row in dct] for frame in log_mel]
    loudness = [sum(frame) / len(frame) for frame in log_mel]
    rise = [0.0] + [max(0.0, b - a) for a, b in zip(loudness, loudness[1:])]
    fall = [0.0] + [max(0.0, a - b) for a, b in zip(loudness, loudness[1:])]
    for column in (1, 0):  # music, then speech
        mel_weights = [_tag_at(tags, column, i * HOP_LENGTH) for i in range(len(log_mel))]
        mfcc_mean, mfcc_spread = _weighted(mfcc, mel_weights)
        fc = _weighted(flat_centroid, [_tag_at(tags, column, t * HOP_MUSIC) for t in range(n_stft)])[0]
        attack, decay = _weighted([[r, f] for r, f in zip(rise, fall)], mel_weights)[0]
        out += [m / 4 for m in mfcc_mean] + mfcc_spread + fc + [10 * attack, 10 * decay]
    shares = [sum(row[c] for row in tags) / len(tags) if tags else 0.0 for c in (1, 0)]
    return out + shares
