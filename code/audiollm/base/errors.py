"""Error types and the checks every door shares: a function the README documents as the API, or a file
reader, checks its input once with these; internal helpers trust their callers. Every error the library
raises for bad input is a ValueError subclass."""
import math
import os
from array import array
from itertools import chain
from math import isfinite

MIN_SAMPLE_RATE = 1000  # Hz; below this no recorder writes audio, and a header saying 4 Hz is damaged
MAX_SAMPLE_RATE = 768000  # Hz: the highest rate audio interfaces (and bat detectors, 384-500 kHz) record at
MAX_ABS_SAMPLE = 1e150  # beyond this, squares and power spectra (|X|^2 of 400 summed samples) overflow floats
# Model inputs beyond this overflow inside the models (a squared norm of 1e155 is inf): real features are far
# smaller (a power spectrum of 16-bit integer samples stays under 1e15).
MAX_ABS = 1e100
# Bounds on the models' sizes: a 7B LLM is 4096 wide with 32 layers; anything larger as Python lists of floats
# takes gigabytes and minutes to initialise, so it is a typo here, not a model.
MAX_WIDTH = 4096  # widths, heads, queries and mel bins
MAX_LAYERS = 32
MAX_CTX = 1 << 16  # positions: 1500 cover Whisper's 30 s
# ... and on the front end's: its doors allocate from these.
MAX_N_FFT = 1 << 16  # 1.4 s at 48 kHz; librosa's largest default is 2048
MAX_PAD_SAMPLES = 20 * 30 * 16000  # 10 minutes at 16 kHz: the most pad_or_trim, padding and window_s may add
MAX_POWER = 4.0  # melspectrogram's exponent: 1 is magnitude, 2 power; beyond 4 floats overflow


def _int(minimum, maximum=None):
    return lambda name, value: check_int(name, value, minimum, maximum)


def _float(**bounds):
    return lambda name, value: check_float(name, value, **bounds)


ARGS = {  # an argument's name -> its check, for check_args: the bounds of every door in one table
    "d_model": _int(1, MAX_WIDTH), "d_audio": _int(1, MAX_WIDTH), "d_llm": _int(1, MAX_WIDTH),
    "n_heads": _int(1, MAX_WIDTH), "n_queries": _int(1, MAX_WIDTH), "n_mels": _int(1, MAX_WIDTH),
    "n_bands": _int(1, MAX_WIDTH), "n_layers": _int(1, MAX_LAYERS), "n_ctx": _int(1, MAX_CTX),
    "half_window": _int(1, MAX_CTX), "window": _int(1, MAX_CTX), "seed": _int(0),
    "sr": _int(1), "n_fft": _int(1, MAX_N_FFT), "hop_length": _int(1), "padding": _int(0, MAX_PAD_SAMPLES),
    "fmin": _float(), "fmax": _float(), "power": _float(maximum=MAX_POWER, above=0.0), "seconds": _float(above=0.0),
    "window_s": _float(maximum=MAX_PAD_SAMPLES // 16000, above=0.0),
}
DIVIDES = (("n_heads", "d_model"), ("n_bands", "n_mels"))  # (part, whole): heads split the width, bands the mels


class AudiollmError(ValueError):
    """A bad argument: the message names the parameter and what was wrong."""


class AudioFormatError(AudiollmError):
    """A file that is not audio we can read: the message names the file problem."""


class WeightsFileError(AudiollmError):
    """A weights file that cannot be loaded: the message names the file and the tensor."""


def check_int(name, value, minimum=1, maximum=None):
    """Return `value` if it is an int (a bool is not) in [minimum, maximum]; else AudiollmError naming `name`.

    The upper bound, where a module gives one, stops a typo such as d_model=10**9 from allocating for minutes.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
            maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise AudiollmError(f"{name} must be an int {bound}, got {value!r}")
    return value


def check_args(even=(), **args):
    """A door's arguments, checked at once by their names' rules in ARGS (AudiollmError naming the argument);
    each name in `even` even and at least 4 (sin/cos position pairs); n_heads dividing d_model, n_bands n_mels."""
    for name, value in args.items():
        ARGS[name](name, value)
    for name in even:
        if args[name] % 2 or args[name] < 4:
            raise AudiollmError(f"{name} must be even and at least 4 (sin/cos position pairs), got {args[name]}")
    for part, whole in DIVIDES:
        if part in args and whole in args and args[whole] % args[part]:
            raise AudiollmError(f"{whole}={args[whole]} must be divisible by {part}={args[part]}")


def check_sample_rate(name, value):
    """A sample rate in Hz: an int from MIN_SAMPLE_RATE to MAX_SAMPLE_RATE, else AudiollmError naming `name`."""
    return check_int(name, value, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)


def check_float(name, value, minimum=-math.inf, maximum=math.inf, above=None):
    """Return `value` as a float if it is a finite real number (a bool is not) in [minimum, maximum] and, when
    `above` is given, greater than it; else AudiollmError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and minimum <= value <= maximum and (above is None or value > above)):
        low = f"above {above:g}" if above is not None else f">= {minimum:g}" if minimum > -math.inf else ""
        high = "" if maximum == math.inf else f"at most {maximum:g}" if low else f"<= {maximum:g}"
        bound = f"from {minimum:g} to {maximum:g}" if low.startswith(">=") and high else " and ".join(
            filter(None, (low, high)))
        raise AudiollmError(f"{name} must be a finite number{' ' * bool(bound)}{bound}, got {value!r}")
    return float(value)


def check_choice(name, value, choices):
    """Return `value` if it is one of `choices`, of the same type (16.0 is not 16, True is not 1); else
    AudiollmError naming `name` and listing the choices."""
    if not any(value == choice and type(value) is type(choice) for choice in choices):
        raise AudiollmError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_type(name, value, types, what):
    """Return `value` if isinstance(value, types); else AudiollmError: `name` must be `what`, got its type."""
    if not isinstance(value, types):
        raise AudiollmError(f"{name} must be {what}, got {type(value).__name__}")
    return value


def check_path(name, path):
    """A non-empty str, bytes or os.PathLike path -> str (an int would make open() use a file descriptor)."""
    if not isinstance(path, (str, bytes, os.PathLike)) or not os.fspath(path):
        raise AudiollmError(f"{name} must be a file path (str or os.PathLike), got {path!r}")
    return os.fsdecode(path)


def check_samples(name, samples):
    """One channel of audio -> a new list of floats, or AudiollmError naming `name` and what is wrong.

    Accepts a list, tuple or array (anything with a length that array('d', ...) reads, such as a numpy
    vector) of real numbers, each finite and within +-MAX_ABS_SAMPLE. Nested input (several channels, or
    frames of channels) is refused as two-dimensional: mix it to one channel first.
    """
    if isinstance(samples, (str, bytes, bytearray, dict, set, frozenset)) or not hasattr(samples, "__len__"):
        raise AudiollmError(f"{name} must be a list, tuple or array of numbers, got {type(samples).__name__}")
    try:
        values = array("d", samples).tolist()
    except (TypeError, OverflowError):
        first = next(iter(samples), None)
        if hasattr(first, "__len__") and not isinstance(first, (str, bytes)):
            raise AudiollmError(f"{name} looks two-dimensional ({len(samples)} rows, the first of {len(first)} "
                                "values); pass one channel, e.g. read_wav(path) mixes channels to mono") from None
        raise AudiollmError(f"{name} must contain only real numbers within +-{MAX_ABS_SAMPLE:g}") from None
    # A finite sum means no NaN or infinity (n values within the bound cannot overflow it), so min and max are
    # exact; three passes in C instead of one in Python.
    if values and not (math.isfinite(sum(values)) and -MAX_ABS_SAMPLE <= min(values) <= max(values) <= MAX_ABS_SAMPLE):
        j = next(j for j, v in enumerate(values) if not abs(v) <= MAX_ABS_SAMPLE)  # a nan compares False too
        raise AudiollmError(f"{name}[{j}] is {values[j]}; samples must be finite and within +-{MAX_ABS_SAMPLE:g}")
    return values


def check_matrix(name, rows, width=None, width_name="width", limit=MAX_ABS):
    """Return (n_rows, width) of a non-empty list of equal-length rows of finite numbers with |x| <= limit;
    else AudiollmError naming `name`. width: the row length required (called width_name), or None for any."""
    if not isinstance(rows, (list, tuple)) or not rows:
        raise AudiollmError(f"{name}: expected a non-empty list of rows, got {str(rows)[:40]}")
    expected = f"{width_name}={width}"
    if width is None and isinstance(rows[0], (list, tuple)):
        width = len(rows[0])
        expected = f"{width}, as row 0"
    for i, row in enumerate(rows):
        if not isinstance(row, (list, tuple)):
            raise AudiollmError(f"{name}: row {i} is a {type(row).__name__}, not a list of numbers")
        if not row:
            raise AudiollmError(f"{name}: row {i} is empty")
        if len(row) != width:
            raise AudiollmError(f"{name}: row {i} has {len(row)} values, expected {expected}")
    try:
        ok = (all(map(isfinite, chain.from_iterable(rows)))
              and max(map(abs, chain.from_iterable(rows))) <= limit)
    except TypeError:
        ok = False
    if not ok:
        bound = f" with |x| <= {limit:g}" if limit < math.inf else ""
        raise AudiollmError(f"{name}: every value must be a finite number{bound}")
    return len(rows), width


def check_text(name, value, max_chars):
    """Return `value` stripped if it is a str of printable text, not empty, at most max_chars long; else
    AudiollmError naming `name` (a question typed by a user: --ask)."""
    if not isinstance(value, str):
        raise AudiollmError(f"{name} must be text, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise AudiollmError(f"{name} is empty; ask a question such as 'is there music'")
    if len(text) > max_chars:
        raise AudiollmError(f"{name} is {len(text)} characters long; at most {max_chars}")
    if not text.isprintable() or any("\ud800" <= c <= "\udfff" for c in text):
        raise AudiollmError(f"{name} must be printable text (no control characters or undecodable bytes)")
    return text
