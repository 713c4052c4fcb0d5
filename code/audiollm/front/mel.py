"""Whisper's front end: SAMPLE_RATE and the other constants, the mel filter bank, pad_or_trim and the log-Mel
spectrogram; the lesson's steps 3-5 and its (T, 80) result. Whisper's `audio.py` holds the same pieces
(its load_audio is resample.load_audio here).

Read `log_mel_literal` first: the lesson's recipe on one screen, in its order. The power STFT (stft.py), then
the filter bank times the power, frame by frame (step 4), then Whisper's compression `log10_mel` (step 5).
`log_mel_spectrogram` computes the same numbers faster, with the same steps in the same order: see its
docstring for why it is faster.

The filter bank is librosa's `librosa.filters.mel` (Slaney mel scale and area normalisation by default,
HTK on request); Whisper ships exactly `librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)` (128 for
large-v3). `log_mel_spectrogram` is `whisper.log_mel_spectrogram` with the result time-major:
(n_frames, n_mels) mel frames instead of Whisper's (n_mels, n_frames).

The lesson's step 5 says log(1 + x); Whisper instead takes log10, floors everything 8 decades (80 dB)
below the loudest value and rescales with (x + 4) / 4. Both are here: `log1p_mel` and `log10_mel`.
"""
import math
import os
import warnings
from fractions import Fraction
from functools import lru_cache
from itertools import chain, repeat
from operator import add, mul

from ..base.dots import dot
from ..base.errors import MAX_PAD_SAMPLES, AudiollmError, check_args, check_float, check_int, check_samples
from .wav import open_wav
from .resample import filter_half_width, load_audio, resample, resampled_length
from .stft import power_columns, power_spectrum, stft

SAMPLE_RATE = 16000  # Hz: every model in the lesson hears 16 kHz mono
N_FFT = 400  # samples in a 25 ms window
HOP_LENGTH = 160  # samples in a 10 ms hop
CHUNK_LENGTH = 30  # seconds in the encoder's input window
N_SAMPLES = CHUNK_LENGTH * SAMPLE_RATE  # 480000 samples in a 30-second chunk
N_FRAMES = N_SAMPLES // HOP_LENGTH  # 3000 mel frames in a 30-second chunk
FRAMES_PER_SECOND = SAMPLE_RATE // HOP_LENGTH  # 100 mel frames a second, 10 ms each
MAX_FILTER_WEIGHTS = 1 << 23  # n_mels x (n_fft // 2 + 1) of one bank; 128 mels of a 65536-point FFT fit


# Slaney's mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = math.log(6.4) / 27.0


def _hz_to_mel(f, htk):
    if htk:
        return 2595.0 * math.log10(1.0 + f / 700.0)
    if f >= _MIN_LOG_HZ:
        return _MIN_LOG_MEL + math.log(f / _MIN_LOG_HZ) / _LOGSTEP
    return f / _F_SP


def _mel_to_hz(m, htk):
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    if m >= _MIN_LOG_MEL:
        return _MIN_LOG_HZ * math.exp(_LOGSTEP * (m - _MIN_LOG_MEL))
    return _F_SP * m


def hz_to_mel(frequencies, htk=False):
    """Hz -> mels (Slaney by default, HTK's 2595 log10(1 + f/700) with htk=True). A number or a list."""
    return _convert(_hz_to_mel, "frequencies", frequencies, htk)


def mel_to_hz(mels, htk=False):
    """Mels -> Hz, the inverse of `hz_to_mel`. A number or a list."""
    return _convert(_mel_to_hz, "mels", mels, htk)


def _convert(scale, name, values, htk):
    """scale(v, htk) of a number or of every number in a list; AudiollmError naming `name` otherwise."""
    try:
        if isinstance(values, (list, tuple)):
            return [scale(v, htk) for v in values]
        if isinstance(values, (int, float)) and not isinstance(values, bool):
            return scale(values, htk)
    except (TypeError, ValueError, OverflowError):
        pass
    raise AudiollmError(f"{name}: expected a number or a list of numbers in range, got {str(values)[:40]}")


def _linspace(start, stop, num):
    """numpy.linspace(start, stop, num), last point exact."""
    if num == 1:
        return [start]
    step = (stop - start) / (num - 1)
    return [start + i * step for i in range(num - 1)] + [stop]


def fft_frequencies(sr, n_fft):
    """Centre frequency in Hz of each of the n_fft // 2 + 1 rFFT bins: k * sr / n_fft."""
    check_args(sr=sr, n_fft=n_fft)
    val = 1.0 / (n_fft * (1.0 / sr))
    return [k * val for k in range(n_fft // 2 + 1)]


def mel_frequencies(n_mels=128, fmin=0.0, fmax=11025.0, htk=False):
    """n_mels frequencies in Hz, evenly spaced on the mel scale from fmin to fmax."""
    check_args(n_mels=n_mels, fmin=fmin, fmax=fmax)
    return _mel_frequencies(n_mels, fmin, fmax, htk)


def _mel_frequencies(n_mels, fmin, fmax, htk):
    return mel_to_hz(_linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels), htk)


def _check_filter_args(sr, n_fft, n_mels, fmin, fmax, norm):
    """mel_filters' arguments but sr and n_fft, which fft_frequencies checks: the checked fmax."""
    check_args(n_mels=n_mels)
    if n_mels * (n_fft // 2 + 1) > MAX_FILTER_WEIGHTS:
        raise AudiollmError(f"n_mels: {n_mels} filters of {n_fft // 2 + 1} FFT bins is more than {MAX_FILTER_WEIGHTS} "
                            "weights; use fewer mels or a shorter n_fft")
    fmax = check_float("fmax", sr / 2 if fmax is None else fmax)
    if check_float("fmin", fmin) < 0 or fmin >= fmax:  # so fmax > 0 too
        raise AudiollmError(f"fmin: expected 0 <= fmin < fmax ({fmax}), got {fmin!r}")
    if not (norm is None or norm == "slaney" or (isinstance(norm, (int, float)) and norm > 0)):
        raise AudiollmError(f"norm: expected None, 'slaney' or a positive p-norm order, got {norm!r}")
    return fmax


def mel_filters(sr, n_fft, n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney"):
    """Triangular mel filter bank, equal to librosa.filters.mel with the same arguments.

    Returns (n_mels, n_fft // 2 + 1) weights: row m is a triangle rising from mel point m to m+1 and falling
    to m+2, over n_mels + 2 points evenly spaced in mels between fmin and fmax (default sr / 2).
    norm="slaney" divides each triangle by its width in Hz (2 / (f[m+2] - f[m])) so every filter has the
    same area; a number p scales each row to unit p-norm; None leaves peaks at 1.
    Warns, like librosa, when a filter falls between FFT bins and is empty (too many mels for n_fft).
    """
    fftfreqs = fft_frequencies(sr, n_fft)
    fmax = _check_filter_args(sr, n_fft, n_mels, fmin, fmax, norm)
    mel_f = _mel_frequencies(n_mels + 2, fmin, fmax, htk)
    weights = []
    for i in range(n_mels):
        lo, mid, hi = mel_f[i], mel_f[i + 1], mel_f[i + 2]
        row = [max(0.0, min((f - lo) / (mid - lo), (hi - f) / (hi - mid))) for f in fftfreqs]
        if norm == "slaney":
            enorm = 2.0 / (hi - lo)
            row = [w * enorm for w in row]
        elif norm is not None:
            length = max(map(abs, row)) if math.isinf(norm) else sum(abs(w) ** norm for w in row) ** (1.0 / norm)
            row = [w / length for w in row] if length > 0 else row
        weights.append(row)
    if not all(mel_f[i] == 0 or max(row) > 0 for i, row in enumerate(weights)):
        warnings.warn("Empty filters detected in mel frequency basis. Some channels will produce empty "
                      "responses. Try increasing your sampling rate (and fmax) or reducing n_mels.", stacklevel=2)
    return weights


def log_mel_literal(samples, n_mels=80):
    """Whisper's log-Mel, literally, in the lesson's order. samples: (n_samples,) at 16 kHz -> (n_frames, n_mels).

    n_frames = n_samples // HOP_LENGTH (the STFT's last frame is dropped, as Whisper does).
    `log_mel_spectrogram` computes the same numbers faster.
    """
    power = power_spectrum(stft(samples, N_FFT, HOP_LENGTH))[:-1]  # steps 2-3: |STFT|^2, (n_frames, 201)
    filters = mel_filters(SAMPLE_RATE, N_FFT, n_mels)  # step 4: (n_mels, 201) triangles
    mel = [[dot(f, p) for f in filters] for p in power]  # filters @ power, one frame at a time
    return log10_mel(mel)  # step 5


def log10_mel(mel):
    """Whisper's compression of mel power: log10 clamped at 1e-10, a floor 8 below the maximum, (x + 4) / 4.

    mel: rows of non-negative power values, (n_frames, n_mels) or transposed -> the same shape, about [-1, 1].
    """
    try:
        log_spec = [[math.log10(v) if v > 1e-10 else -10.0 for v in row] for row in mel]  # log10(max(v, 1e-10))
        floor = max(map(max, log_spec)) - 8.0  # 80 dB under the loudest value
        return [[((v if v > floor else floor) + 4.0) / 4.0 for v in row] for row in log_spec]
    except (TypeError, ValueError):
        raise AudiollmError("mel: expected non-empty rows of non-negative power values") from None


def log1p_mel(mel):
    """The lesson's compression, log(1 + x) of every value: (T, n_mels) -> (T, n_mels).

    Whisper does otherwise because log(1 + x) depends on the recording's absolute level (for quiet audio
    it is nearly linear); log10 with a floor 80 dB below the peak is level-independent up to an offset.
    """
    try:
        return [[math.log1p(v) for v in row] for row in mel]
    except (TypeError, ValueError):
        raise AudiollmError("mel: expected (T, n_mels) rows of non-negative power values") from None


# The same numbers, faster: a sparse filter bank applied to whole rows of frames.

def _sparse(weights):
    """Each filter row as (first non-zero bin, its non-zero span of weights): a triangle touches few bins."""
    out = []
    for row in weights:
        nz = [k for k, w in enumerate(row) if w != 0.0]
        out.append((nz[0], tuple(row[nz[0]:nz[-1] + 1])) if nz else (0, ()))
    return tuple(out)


@lru_cache(maxsize=None)
def _whisper_filters(n_mels):
    """Whisper's bank, librosa.filters.mel(sr=16000, n_fft=400, n_mels), made once per n_mels."""
    return _sparse(mel_filters(SAMPLE_RATE, N_FFT, n_mels))


def _apply_filters(sparse_weights, columns):
    """filters @ power: sparse (n_mels, n_bins) filters times frequency-major power (n_bins lists of n_frames)
    -> n_mels lists of n_frames, the products summed bin by bin in the order of the dense product."""
    n_frames = len(columns[0])
    mel = []
    for start, span in sparse_weights:
        acc = [0.0] * n_frames
        for k, w in enumerate(span, start):
            acc = list(map(add, acc, map(mul, columns[k], repeat(w))))
        mel.append(acc)
    return mel


def _transpose(columns):
    return [list(row) for row in zip(*columns)]


def melspectrogram(samples, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP_LENGTH, win_length=None, window="hann",
                   center=True, pad_mode="reflect", power=2.0, n_mels=80, fmin=0.0, fmax=None, htk=False,
                   norm="slaney"):
    """Mel spectrogram, time-major: (n_samples,) floats -> (n_frames, n_mels), n_frames = 1 + n // hop_length.

    Each mel frame is mel_filters(...) @ |STFT|^power, as librosa.feature.melspectrogram. The defaults are
    Whisper's (16 kHz, 400-point FFT, hop 160, 80 mels, reflect padding); librosa's own defaults differ
    (sr=22050, n_fft=2048, hop_length=512, n_mels=128, pad_mode="constant"), so pass them explicitly to
    compare.
    """
    check_args(power=power)  # 2 for power, 1 for magnitude
    weights = _sparse(mel_filters(sr, n_fft, n_mels, fmin, fmax, htk, norm))
    columns = power_columns(samples, n_fft, hop_length, win_length, window, center, pad_mode)
    try:
        if power != 2.0:
            columns = [[v ** (power / 2.0) for v in col] for col in columns]
        mel = _apply_filters(weights, columns)
        finite = all(map(math.isfinite, chain.from_iterable(mel)))
    except OverflowError:
        finite = False
    if not finite:
        raise AudiollmError(f"samples: |STFT|^{power:g} overflows floats (samples up to "
                            f"{max(map(abs, samples)):g}); scale the samples into [-1, 1]")
    return _transpose(mel)


def pad_or_trim(samples, length=N_SAMPLES):
    """Pad with zeros or cut to exactly `length` samples (Whisper's pad_or_trim; 30 s at 16 kHz by default)."""
    check_int("length", length, 0, MAX_PAD_SAMPLES)
    return _pad_or_trim(check_samples("samples", samples), length)


def _pad_or_trim(samples, length):
    return samples[:length] if len(samples) >= length else samples + [0.0] * (length - len(samples))


def log_mel_spectrogram(audio, n_mels=80, padding=0):
    """Whisper's log-Mel features. audio: 16 kHz samples or a path to a WAV file -> (n_frames, n_mels).

    whisper.log_mel_spectrogram, transposed to time-major: `padding` zeros are appended, the power STFT is
    taken (n_fft=400, hop=160, periodic Hann, reflect padding), its last STFT frame dropped, the 201 power bins go
    through the 80- (or 128-) filter Slaney bank, then log10 clamped at 1e-10, a floor 8 below the maximum,
    and (x + 4) / 4. So n_frames = (len(audio) + padding) // 160 mel frames; 30 s gives (3000, 80). A path is
    read and resampled to 16 kHz with load_audio first.

    The same numbers as log_mel_literal (to 1e-9; Whisper's own agree with both to 1e-4), faster because
    - the power comes frequency-major from power_columns (Whisper's layout, (201, n_frames)), whose FFTs run
      over all frames at once, two frames per FFT, skipping trailing silence (see stft.power_columns);
    - each mel filter is a triangle over a few bins (391 of the 80 x 201 weights are non-zero), so the filter
      bank is kept sparse, built once per n_mels, and multiplies a bin's whole row of frames in one `map`.
    """
    check_args(n_mels=n_mels, padding=padding)
    if isinstance(audio, (str, os.PathLike)):
        samples = load_audio(audio, SAMPLE_RATE)
    else:
        samples = check_samples("audio", audio)
    return _log_mel(samples + [0.0] * padding, n_mels)


def _log_mel(samples, n_mels):
    """log_mel_spectrogram of a checked list of 16 kHz samples."""
    if len(samples) < HOP_LENGTH:
        raise AudiollmError(f"audio: {len(samples)} samples is less than one hop ({HOP_LENGTH}); nothing to frame")
    power = power_columns(samples, N_FFT, HOP_LENGTH)  # |STFT|^2, (201, n_frames + 1)
    return time_major_log(filter_power(power, n_mels))


def filter_power(power, n_mels=80):
    """Step 4 the way Whisper writes it: power_columns' (201, n_frames + 1) frequency-major |STFT|^2 of 16-kHz
    samples, its last STFT frame dropped, through the sparse Slaney bank -> (n_mels, n_frames) mel power."""
    return _apply_filters(_whisper_filters(n_mels), [col[:-1] for col in power])  # filters @ magnitudes


def time_major_log(mel):
    """Step 5: log10, floor at max - 8, (x + 4) / 4 of (n_mels, n_frames) mel power -> (n_frames, n_mels)."""
    return _transpose(log10_mel(mel))


def _window_samples(reader, k0, k1):
    """16 kHz samples [k0, k1) of an open WAV, reading only the input they depend on.

    The resampler's output k reads input within filter_half_width of k * orig / 16000. Starting the read
    at a multiple of `down` input samples keeps the output grid aligned, so the result is bit-identical
    to resampling the whole file (see resample.filter_half_width).
    """
    ratio = Fraction(SAMPLE_RATE, reader.sample_rate)
    up, down = ratio.numerator, ratio.denominator
    if up == down:
        reader.seek(k0)
        return reader.read(k1 - k0)
    half = filter_half_width(reader.sample_rate, SAMPLE_RATE)
    blocks = max(0, (k0 * down - half * up) // (up * down))
    start = blocks * down
    stop = min(reader.n_frames, (k1 - 1) * down // up + half + 1)
    reader.seek(start)
    return resample(reader.read(stop - start), reader.sample_rate, SAMPLE_RATE)[k0 - blocks * up:][:k1 - k0]


def log_mel_windows(path, window_s=CHUNK_LENGTH, n_mels=80):
    """Log-Mel features of a long WAV file, one window at a time (Whisper / Audio Flamingo 3 style).

    Yields window_s * 100 mel frames of n_mels per window, (3000, n_mels) for the default 30 s; the last window
    is padded with silence like pad_or_trim. Each window is normalised on its own (its own max - 8 floor),
    as when every 30-s chunk goes through log_mel_spectrogram separately. The file is read window by
    window, so memory stays that of one window however long the file is. A file with no samples yields
    nothing.
    """
    check_args(window_s=window_s, n_mels=n_mels)
    length = round(window_s * SAMPLE_RATE)
    if length % HOP_LENGTH or abs(length - window_s * SAMPLE_RATE) > 1e-6:
        raise AudiollmError(f"window_s: must be a whole number of 10 ms mel frames, got {window_s!r}")
    with open_wav(path) as reader:
        for samples in sample_windows(reader, length):
            yield _log_mel(_pad_or_trim(samples, length), n_mels)


def sample_windows(reader, length):
    """The 16-kHz samples of an open WAV (open_wav), `length` samples at a time; the last window is shorter.

    ceil(n_frames * 16000 / sample_rate) samples in all, read and resampled window by window, bit-identical
    to resampling the whole file: memory stays that of one window. log_mel_windows is built on it.
    """
    for k in range(-(-resampled_length(reader.n_frames, reader.sample_rate) // length)):
        yield read_window(reader, k, length)


def read_window(reader, k, length=N_SAMPLES):
    """Window k of an open WAV at 16 kHz: samples [k * length, (k + 1) * length), the last window shorter."""
    n_samples = resampled_length(reader.n_frames, reader.sample_rate)
    return _window_samples(reader, k * length, min((k + 1) * length, n_samples))
