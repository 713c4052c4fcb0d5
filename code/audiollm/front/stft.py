"""Short-time Fourier transform and power spectrum: the lesson's steps 2 and 3 ("STFT with 25 ms windows,
10 ms hop", "take the magnitude"; Whisper takes the power |X|^2).

Read `stft` first: pad the samples, cut them into STFT frames every hop_length samples, multiply each frame by
the window, FFT it; `power_spectrum` then squares the magnitudes. Framing follows `torch.stft` /
`librosa.stft`: with `center=True` the signal is padded by n_fft // 2 on both sides (reflect by default, as
in torch.stft and Whisper's call of it; librosa 0.9+ pads with zeros unless given pad_mode="reflect"), frame t covers padded samples [t * hop_length, t * hop_length + n_fft), the
window is a periodic Hann, and the real-input FFT keeps the n_fft // 2 + 1 non-negative frequency bins. So
480000 samples (30 s at 16 kHz) give 1 + 480000 // 160 = 3001 STFT frames of 201 bins.

`power_columns` computes the same power faster; the mel stage uses it. See its docstring for why it is faster.
"""
import math
from itertools import repeat
from operator import add, mul, sub

from ..base.errors import MAX_N_FFT, AudiollmError, check_args, check_choice, check_int, check_samples
from .fft import fft_columns, rfft

WINDOWS = ("hann", "hamming", "rectangular")
PAD_MODES = ("reflect", "constant")
MAX_VALUES = 1 << 24  # frames x bins of one STFT: 10 minutes at Whisper's settings are 12 M (about 0.5 GB)


def get_window(name, length):
    """Periodic window of `length` samples (as torch.hann_window / scipy get_window(fftbins=True)).

    hann: 0.5 - 0.5 cos(2 pi n / length); hamming: 0.54 - 0.46 cos(...); rectangular: all ones.
    Periodic, not symmetric, because consecutive frames then overlap-add to a constant. A window of one
    sample is [1.0] for every name, as in torch and scipy.
    """
    check_choice("window", name, WINDOWS)
    check_int("length", length, 1, MAX_N_FFT)
    if name == "rectangular" or length == 1:
        return [1.0] * length
    a = 0.5 if name == "hann" else 0.54
    return [a - (1 - a) * math.cos(2 * math.pi * n / length) for n in range(length)]


def _full_window(window, n_fft, win_length):
    """The analysis window as n_fft floats: a win_length window centred in n_fft with zeros around it."""
    win_length = check_int("win_length", n_fft if win_length is None else win_length, 1, n_fft)  # at most n_fft
    win = get_window(window, win_length) if isinstance(window, str) else check_samples("window", window)
    if len(win) != win_length:
        raise AudiollmError(f"window: has {len(win)} values but win_length is {win_length}")
    left = (n_fft - win_length) // 2
    return [0.0] * left + win + [0.0] * (n_fft - win_length - left)


def _pad(x, n_fft, center, pad_mode):
    if not center:
        return x
    check_choice("pad_mode", pad_mode, PAD_MODES)
    half = n_fft // 2
    if pad_mode == "constant":
        return [0.0] * half + x + [0.0] * half
    if len(x) <= half:
        raise AudiollmError(f"samples: reflect padding needs more than n_fft // 2 = {half} samples, got {len(x)}")
    return x[half:0:-1] + x + x[-2:-half - 2:-1]


def _padded_and_window(samples, n_fft, hop_length, win_length, window, center, pad_mode):
    """Checked arguments -> (padded samples, the window as n_fft floats): where both STFT paths start."""
    check_args(n_fft=n_fft, hop_length=hop_length)
    x = _pad(check_samples("samples", samples), n_fft, center, pad_mode)
    win = _full_window(window, n_fft, win_length)
    if len(x) < n_fft:
        raise AudiollmError(f"samples: {len(x)} samples (after padding) is shorter than n_fft = {n_fft}")
    n_frames = 1 + (len(x) - n_fft) // hop_length
    if n_frames * (n_fft // 2 + 1) > MAX_VALUES:
        raise AudiollmError(f"hop_length: {n_frames} frames of {n_fft // 2 + 1} bins is more than {MAX_VALUES} "
                            f"values; use a longer hop_length (now {hop_length}) or a shorter signal")
    return x, win


def stft(samples, n_fft=400, hop_length=160, win_length=None, window="hann", center=True, pad_mode="reflect"):
    """Complex STFT. samples: (n_samples,) floats -> (n_frames, n_fft // 2 + 1) complex, time-major.

    n_frames = 1 + n_samples // hop_length when center=True. Equal to torch.stft(..., return_complex=True)
    transposed, and to librosa.stft(..., pad_mode="reflect") transposed.
    """
    # x: the samples, n_fft // 2 of them mirrored onto each end (center=True); win: the window, n_fft floats
    x, win = _padded_and_window(samples, n_fft, hop_length, win_length, window, center, pad_mode)
    starts = range(0, len(x) - n_fft + 1, hop_length)  # frame t starts at sample t * hop_length
    frames = [x[s:s + n_fft] for s in starts]  # cut
    return [rfft(list(map(mul, frame, win))) for frame in frames]  # window, then FFT each frame


def power_spectrum(frames):
    """|X|^2 of STFT frames: (n_frames, n_bins) complex -> (n_frames, n_bins) floats."""
    try:
        return [[v * v for v in map(abs, row)] for row in frames]
    except TypeError:
        raise AudiollmError("frames: expected a list of rows of complex numbers, (n_frames, n_bins)") from None


# The same numbers, faster.

def power_columns(samples, n_fft=400, hop_length=160, win_length=None, window="hann", center=True,
                  pad_mode="reflect"):
    """Power spectrogram, frequency-major: (n_fft // 2 + 1) lists of n_frames floats, |X|^2.

    The same numbers as power_spectrum(stft(...)) transposed (to 1e-12 relative), faster because
    - no frame is built: sample p of every frame is the strided slice padded[p::hop_length], so each of the
      n_fft columns comes out of one slice, and one `fft_columns` call transforms all frames at once;
    - two real frames share one complex FFT: with Z the FFT of frame a + 1j * frame b, conjugate symmetry
      gives A[k] = (Z[k] + conj(Z[-k])) / 2 and B[k] = (Z[k] - conj(Z[-k])) / 2j, which halves the FFT work
      (the window is halved up front, so |Z[k] +- conj(Z[-k])|^2 is the power directly);
    - frames that start in trailing silence (Whisper pads every clip to 30 s) are zero and not computed.
    The layout is Whisper's own, (n_freq, n_frames): the mel stage sums whole bins across all frames at once.
    """
    x, win = _padded_and_window(samples, n_fft, hop_length, win_length, window, center, pad_mode)
    n_frames = 1 + (len(x) - n_fft) // hop_length
    n_live = len(x)
    while n_live and x[n_live - 1] == 0.0:
        n_live -= 1
    n_pairs = (min(n_frames, -(-n_live // hop_length)) + 1) // 2
    # packed[t] = x[t] + 1j x[t + hop] (0 past the end): column p of pair q is packed[2 q hop + p], one strided
    # slice. At most len(x) zeros, however long the hop.
    packed = list(map(complex, x, x[hop_length:] + [0.0] * min(hop_length, len(x))))
    step = 2 * hop_length
    columns = [list(map(mul, packed[p:p + step * n_pairs:step], repeat(0.5 * w))) for p, w in enumerate(win)]
    z = fft_columns(columns)
    power = []
    for k in range(n_fft // 2 + 1):
        mirror = list(map(complex.conjugate, z[-k % n_fft]))
        even = [v * v for v in map(abs, map(add, z[k], mirror))]  # frames 0, 2, 4, ...
        odd = [v * v for v in map(abs, map(sub, z[k], mirror))]  # frames 1, 3, 5, ...
        power.append(_interleave(even, odd, n_frames))
    return power


def _interleave(even, odd, n_frames):
    """Frames 0, 2, 4, ... from `even` and 1, 3, 5, ... from `odd` into one list of n_frames; the rest 0.0."""
    col = [0.0] * n_frames
    n_odd = min(len(odd), n_frames // 2)
    col[0:2 * len(even):2] = even
    col[1:2 * n_odd:2] = odd[:n_odd]
    return col
