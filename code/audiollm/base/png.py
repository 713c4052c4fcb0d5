"""Pictures of spectrograms: PNG files and text previews, in pure Python.

The lesson's log-Mel section shows the (T, 80) spectrogram as a picture (outputs/log_mel.png) and
the Q-former section shows where each query looks (an attention map); both are `heatmap_png`.
A PNG file is an 8-byte signature and then chunks, each `length | type | data | CRC-32`:
IHDR (size and pixel format), IDAT (the zlib-compressed pixel rows, each led by a filter byte)
and IEND. That is all `zlib`, `struct` and a few lines of code.

Colours come from viridis (van der Walt & Smith 2015, matplotlib's default colour map): dark
purple for low values through blue and green to yellow for high ones, with lightness rising
steadily, so it reads correctly in grey too. VIRIDIS_ANCHORS are 17 evenly spaced entries of
matplotlib's 256-entry table (lib/matplotlib/_cm_listed.py) in 8-bit RGB; interpolating linearly
between them stays within 6/255 of the full table.
"""

import math
import struct
import zlib
from itertools import chain

from .errors import AudiollmError, check_float, check_int, check_matrix
from .files import write_atomic

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PIXELS = 1 << 25  # 32 M pixels (96 MB of RGB): bigger is a mistake in the scale arguments

VIRIDIS_ANCHORS = (
    (68, 1, 84), (72, 24, 106), (71, 45, 123), (66, 64, 134), (59, 82, 139), (51, 99, 141),
    (44, 114, 142), (38, 130, 142), (33, 145, 140), (31, 159, 136), (39, 173, 129), (61, 188, 116),
    (92, 200, 99), (129, 211, 77), (170, 220, 50), (213, 226, 26), (253, 231, 37),
)
TEXT_RAMP = " .:-=+*#%@"  # from quiet to loud, one character per level


def viridis(x):
    """The viridis colour of x in [0, 1] (values outside are clipped) as an (r, g, b) of 0-255 ints."""
    position = min(max(check_float("x", x), 0.0), 1.0) * (len(VIRIDIS_ANCHORS) - 1)
    k = min(int(position), len(VIRIDIS_ANCHORS) - 2)
    t = position - k
    return tuple(round(a + (b - a) * t) for a, b in zip(VIRIDIS_ANCHORS[k], VIRIDIS_ANCHORS[k + 1]))


VIRIDIS_BYTES = [bytes(viridis(level / 255)) for level in range(256)]  # one RGB triple per 8-bit level


def _chunk(kind, data):
    """One PNG chunk: big-endian length, 4-byte type, data, CRC-32 of type + data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(width, height, scanlines):
    """The bytes of an 8-bit RGB PNG whose pixel rows (top first) are `scanlines`."""
    if width * height > MAX_PIXELS:
        raise AudiollmError(f"image of {width}x{height} pixels is over the {MAX_PIXELS} pixel limit")
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB, no interlace
    pixels = b"".join(b"\x00" + line for line in scanlines)  # filter type 0: bytes as they are
    chunks = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(pixels, 6)) + _chunk(b"IEND", b"")
    return PNG_SIGNATURE + chunks


def write_png(path, rows):
    """Write an 8-bit RGB PNG. rows: list of pixel rows, top row first, each a list of (r, g, b) 0-255 ints."""
    if not isinstance(rows, (list, tuple)) or not rows or not isinstance(rows[0], (list, tuple)) or not rows[0]:
        raise AudiollmError("rows must be a non-empty list of non-empty rows of (r, g, b) pixels")
    width = len(rows[0])
    scanlines = []
    for y, row in enumerate(rows):
        if not isinstance(row, (list, tuple)) or len(row) != width:
            raise AudiollmError(f"rows: row {y} must be a list of {width} pixels, like row 0")
        if any(not isinstance(p, (list, tuple)) or len(p) != 3 for p in row):
            raise AudiollmError(f"rows: row {y} has a pixel that is not an (r, g, b) triple")
        try:
            scanlines.append(bytes(chain.from_iterable(row)))
        except (TypeError, ValueError):
            raise AudiollmError(f"rows: row {y} has a colour value that is not an int from 0 to 255") from None
    write_atomic(path, encode_png(width, len(rows), scanlines))


def heatmap_png(path, matrix, x_scale=1, y_scale=1, vmin=None, vmax=None):
    """Draw a time-major matrix (T rows of F values) as a viridis PNG and write it to `path`.

    Time runs left to right (one column per row of `matrix`), the second axis bottom to top, so
    for a log-Mel spectrogram (T, n_mels) the LOW FREQUENCIES ARE AT THE BOTTOM, as in every
    spectrogram plot. Values map vmin..vmax (default: the matrix's min..max) to dark..bright.
    x_scale, y_scale: integer upscaling, each cell becomes x_scale x y_scale pixels.
    Image size: (T * x_scale) wide, (F * y_scale) high.
    For a Q-former attention map of shape (queries, frames), pass `list(zip(*attention))`:
    frames along x, query 0 at the bottom.
    """
    n_frames, n_bins = check_matrix("matrix", matrix, limit=math.inf)
    x_scale = check_int("x_scale", x_scale)
    y_scale = check_int("y_scale", y_scale)
    low = min(map(min, matrix)) if vmin is None else check_float("vmin", vmin)
    high = max(map(max, matrix)) if vmax is None else check_float("vmax", vmax)
    if high < low:
        raise AudiollmError(f"vmax ({high}) must not be below vmin ({low})")
    if n_frames * x_scale * n_bins * y_scale > MAX_PIXELS:
        size = f"{n_frames * x_scale}x{n_bins * y_scale}"
        raise AudiollmError(f"x_scale, y_scale: a {size} image is over the {MAX_PIXELS} pixel limit")
    write_atomic(path, encode_png(n_frames * x_scale, n_bins * y_scale,
                                  heatmap_lines(levels(matrix, low, high), x_scale, y_scale)))


def levels(matrix, low, high):
    """Each value of `matrix` as a colour level 0-255: low (and below) is 0, high (and above) is 255."""
    # Halves, so that high - low cannot overflow (1e308 - -1e308); halving is exact, the levels are unchanged.
    half_low, half_span = low / 2, high / 2 - low / 2
    gain = 255.0 / half_span if half_span > 0 else 0.0
    return [[int(min(max((v / 2 - half_low) * gain, 0.0), 255.0)) for v in row] for row in matrix]


def heatmap_lines(level_rows, x_scale, y_scale):
    """The viridis pixel rows (bytes, top first) of time-major levels (T, F): time left to right, F bottom to
    top, each cell x_scale x y_scale pixels."""
    lines = []
    for column in reversed(list(zip(*level_rows))):  # one bin across all frames, highest bin first
        line = b"".join([VIRIDIS_BYTES[level] * x_scale for level in column])
        lines.extend([line] * y_scale)
    return lines


def block_means(values, n_blocks):
    """Average consecutive runs of `values` into n_blocks nearly equal blocks."""
    size = len(values)
    edges = [b * size // n_blocks for b in range(n_blocks + 1)]
    return [sum(values[a:b]) / (b - a) for a, b in zip(edges, edges[1:])]


def text_preview(matrix, width=72, height=12):
    """A terminal picture of a time-major matrix (T, F): time left to right, low F at the bottom.

    Frames and bins are averaged into at most `width` columns and `height` lines; each cell is one
    of TEXT_RAMP (" " quietest to "@" loudest) after scaling min..max. Returns the lines joined by "\\n".
    """
    n_frames, n_bins = check_matrix("matrix", matrix, limit=math.inf)
    width = min(check_int("width", width), n_frames)
    height = min(check_int("height", height), n_bins)
    # Scaled to 0..1 first (by halves, as in heatmap_png), so that sums of huge values cannot overflow.
    half_low = min(map(min, matrix)) / 2
    half_span = max(map(max, matrix)) / 2 - half_low or 1.0
    unit = [[(v / 2 - half_low) / half_span for v in row] for row in matrix]
    per_column = [block_means(col, width) for col in zip(*unit)]  # (F, width): time averaged
    grid = [block_means(col, height) for col in zip(*per_column)]  # (width, height): both averaged
    low = min(map(min, grid))
    high = max(map(max, grid))
    gain = (len(TEXT_RAMP) - 1) / (high - low) if high > low else 0.0
    lines = ["".join(TEXT_RAMP[round((column[h] - low) * gain)] for column in grid) for h in range(height)]
    return "\n".join(reversed(lines))
