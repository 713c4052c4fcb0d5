"""Error types and the integer check every module shares. Every error the library raises for bad input is a
ValueError subclass."""


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
