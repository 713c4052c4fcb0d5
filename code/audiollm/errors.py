"""Error types and the checks every door shares: a function the README documents as the API, or a file
reader, checks its input once with these; internal helpers trust their callers. Every error the library
raises for bad input is a ValueError subclass."""
import math
from array import array

MIN_SAMPLE_RATE = 1000  # Hz; below this no recorder writes audio, and a header saying 4 Hz is damaged
MAX_SAMPLE_RATE = 768000  # Hz: the highest rate audio interfaces (and bat detectors, 384-500 kHz) record at
MAX_ABS_SAMPLE = 1e150  # beyond this, squares and power spectra (|X|^2 of 400 summed samples) overflow floats


class AudiollmError(ValueError):
    """A bad argument: the message names the parameter and what was wrong."""


class AudioFormatError(AudiollmError):
    """A file that is not audio we can read: the message names the file problem."""


def check_int(name, value, minimum=1, maximum=None):
    """Return `value` if it is an int (a bool is not) in [minimum, maximum]; else AudiollmError naming `name`.

    The upper bound, where a module gives one, stops a typo such as d_model=10**9 from allocating for minutes.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
            maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise AudiollmError(f"{name} must be an int {bound}, got {value!r}")
    return value


def check_sample_rate(name, value):
    """A sample rate in Hz: an int from MIN_SAMPLE_RATE to MAX_SAMPLE_RATE, else AudiollmError naming `name`."""
    return check_int(name, value, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)


def check_float(name, value, minimum=-math.inf, maximum=math.inf):
    """Return `value` as a float if it is a finite real number (a bool is not) in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and minimum <= value <= maximum):
        bound = "" if (minimum, maximum) == (-math.inf, math.inf) else f" from {minimum:g} to {maximum:g}"
        raise AudiollmError(f"{name} must be a finite number{bound}, got {value!r}")
    return float(value)


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
