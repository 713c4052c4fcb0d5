"""Error types. Every error the library raises for bad input is a ValueError subclass."""


class AudiollmError(ValueError):
    """A bad argument: the message names the parameter and what was wrong."""


class AudioFormatError(AudiollmError):
    """A file that is not audio we can read: the message names the file problem."""
