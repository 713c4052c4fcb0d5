"""Writing files safely. Every file the library writes (WAV, PNG, markdown) appears whole or not at all."""
import os
import tempfile

from .errors import AudiollmError, check_path

FILE_MODE = 0o644  # mkstemp makes files private (0o600); an output is for everyone to read


def write_atomic(path, data):
    """Write `data` (bytes, or str as UTF-8 with '\\n' newlines) to `path`, atomically. Returns path.

    The data goes to a temporary file in the same folder, is flushed to disk, then renamed over `path`
    in one step (os.replace), so a reader, or a crash half-way, never sees a half-written file.
    """
    folder = os.path.dirname(os.path.abspath(check_path("path", path)))
    if not os.path.isdir(folder):
        raise AudiollmError(f"path: folder {folder!r} does not exist")
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray)):
        raise AudiollmError(f"data: expected bytes or str, got {type(data).__name__}")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    except OSError as error:
        raise AudiollmError(f"path: cannot write in {folder} ({error.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException as error:
        os.unlink(temporary)
        if isinstance(error, OSError):
            raise AudiollmError(f"path: cannot write {path} ({error.strerror or error})") from None
        raise
    return path


def markdown_table(header, rows):
    """A markdown table as text: header (column names) and rows (lists of cells, str() each)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)


def write_report(path, title, command, body):
    """A measuring command's markdown report, atomically: a title, the command that regenerates it, the body.
    No date or host in it, so a deterministic measurement rewrites the same bytes. Returns path."""
    return write_atomic(path, f"# {title}\n\nWritten by `{command}`; rerun it to regenerate this file.\n\n"
                              f"{body.strip()}\n")
