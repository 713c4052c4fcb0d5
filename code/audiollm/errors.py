"""Error types and the input checks every module shares. Every error the library raises for bad input is a
ValueError subclass."""
from itertools import chain
from math import isfinite

# Inputs beyond this overflow inside the models (a squared norm of 1e155 is inf): real features are far
# smaller (a power spectrum of 16-bit integer samples stays under 1e15).
MAX_ABS = 1e100


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


def check_matrix(name, rows, width=None, width_name="width"):
    """Return (n_rows, width) of a non-empty list of equal-length rows of finite numbers with |x| <= MAX_ABS;
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
              and max(map(abs, chain.from_iterable(rows))) <= MAX_ABS)
    except TypeError:
        ok = False
    if not ok:
        raise AudiollmError(f"{name}: every value must be a finite number with |x| <= {MAX_ABS:g}")
    return len(rows), width
