"""Figures a learner can read without a caption: one layout for every picture the lesson draws.

    title, then grey lines on how to read the figure
    y label                                             colour bar label
    y ticks |  heatmap: time left to right, the         | colour bar, its ticks
            |  second axis bottom to top (optional)     |
    name    |  strip: labelled segments over time       |
    name    |  strip: ...                               |
            0        1        2   ...   ticks in seconds
                         time (s)

A figure is a heatmap over time (a log-Mel, an attention map) with strips under it that share its time axis
(the truth and what a model heard; one strip per speaker for who spoke when), or strips alone. The time axis
gets round ticks (1, 2 or 5 times a power of ten seconds); the caller gives the other axis's ticks, because
only it knows what the rows are (mel bins, queries). Text is base.font's bitmap font at integer scale;
margins are measured from the text they hold, so nothing overlaps. Drawing is a Canvas: one bytearray of RGB
pixels, filled rectangle by rectangle, then written by png.encode_png.

Strip colours are Okabe & Ito's palette (2008; told apart with every common colour-vision deficiency).
"""
import math
from collections import namedtuple

from .errors import AudiollmError, check_float, check_matrix, check_type
from .files import write_atomic
from .font import HEIGHT, text_size, ink
from .png import VIRIDIS_BYTES, block_means, encode_png, heatmap_lines, levels

SCALE = 2  # text scale: 10 x 14-pixel capitals, readable when the figure is shrunk to a page's width
LINE = HEIGHT * SCALE  # pixels of one line of text, descenders included
CAP = 7 * SCALE  # pixels of a capital: text is centred on a tick by its capitals
PAD, GAP, TICK = 14, 8, 5  # figure border, space between parts, tick length
PLOT_WIDTH, PLOT_HEIGHT = 1000, 256  # the heatmap is scaled (by an integer) or averaged to at most this
STRIP_HEIGHT, STRIP_GAP = 24, 4
BAR_WIDTH = 20  # the colour bar
MIN_TICK_GAP = 90  # pixels between time ticks at least: room for a label such as "1200"
MAX_NAME = 240  # pixels: longer strip names and tick labels are cut short ("...")
MIN_SECONDS, MAX_SECONDS = 1e-3, 1e7  # a figure spans a millisecond to about four months

WHITE, INK, GREY, FRAME, LANE = (255, 255, 255), (20, 20, 20), (100, 100, 100), (120, 120, 120), (238, 238, 238)
PALETTE = ((230, 159, 0), (86, 180, 233), (0, 158, 115), (213, 94, 0), (0, 114, 178), (204, 121, 167),
           (240, 228, 66), (153, 153, 153))  # Okabe-Ito: orange, sky blue, green, vermilion, blue, purple, yellow

Strip = namedtuple("Strip", "name segments labelled", defaults=(True,))
Strip.__doc__ = """One lane under the heatmap: `name` at its left, `segments` [(start_s, end_s, label)] as coloured
bars. Labels that agree up to ": " share a colour ("music: organ" is coloured as "music"); with labelled=True
each bar shows its label when it fits (else the part before ": ", else nothing)."""


class Canvas:
    """A width x height RGB picture in one bytearray, white at first; everything is drawn clipped to it."""

    def __init__(self, width, height):
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(WHITE) * (width * height))

    def fill(self, x0, y0, x1, y1, colour):
        """Paint the rectangle of columns x0..x1-1 and rows y0..y1-1."""
        x0, x1 = max(x0, 0), min(x1, self.width)
        if x1 <= x0:
            return
        run = bytes(colour) * (x1 - x0)
        for y in range(max(y0, 0), min(y1, self.height)):
            start = (y * self.width + x0) * 3
            self.pixels[start:start + len(run)] = run

    def frame(self, x0, y0, x1, y1, colour=FRAME):
        """A one-pixel outline just outside the rectangle x0..x1-1, y0..y1-1."""
        self.fill(x0 - 1, y0 - 1, x1 + 1, y0, colour)
        self.fill(x0 - 1, y1, x1 + 1, y1 + 1, colour)
        self.fill(x0 - 1, y0, x0, y1, colour)
        self.fill(x1, y0, x1 + 1, y1, colour)

    def text(self, x, y, text, colour=INK, align="left"):
        """One line of text whose capitals start at row y; x is its left edge, centre or right edge (align)."""
        width = text_size(text, SCALE)[0]
        x -= {"left": 0, "centre": width // 2, "right": width}[align]
        for dx, dy, length in ink(text, SCALE):
            self.fill(x + dx, y + dy, x + dx + length, y + dy + 1, colour)

    def paste(self, x, y, lines):
        """Pixel rows (bytes of RGB, top first) with their top-left corner at (x, y); they must fit."""
        for k, line in enumerate(lines):
            start = ((y + k) * self.width + x) * 3
            self.pixels[start:start + len(line)] = line

    def png(self):
        """The picture as PNG bytes."""
        row = self.width * 3
        return encode_png(self.width, self.height, [self.pixels[y * row:(y + 1) * row] for y in range(self.height)])


def nice_ticks(low, high, max_count):
    """Round values from low to high: every multiple of the smallest step of 1, 2 or 5 times a power of ten
    that gives at most max_count of them. Returns [(value, label)], labels with the decimals the step needs
    (three significant digits beyond a million or below a millionth)."""
    if not high > low:
        return [(low, f"{low:.3g}")]
    half_span = high / 2 - low / 2  # halves: high - low may overflow (1e308 - -1e308)
    exponent = math.floor(math.log10(half_span) + math.log10(2 / max(max_count, 1)))
    while True:
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0 ** exponent
            first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
            if last - first + 1 <= max_count:
                decimals = max(0, -exponent)
                values = [round(k * step, decimals) for k in range(first, last + 1)]
                plain = decimals <= 6 and max(abs(low), abs(high)) < 1e6
                return [(v, f"{v:.{decimals}f}" if plain else f"{v:.3g}") for v in values]
        exponent += 1


def time_ticks(seconds, length):
    """The time axis of a figure `length` pixels wide showing 0..seconds: [(pixel, label)], round values at
    least MIN_TICK_GAP pixels apart, pixel = round(t / seconds * length)."""
    return [(round(t / seconds * length), label)
            for t, label in nice_ticks(0.0, seconds, max(2, length // MIN_TICK_GAP + 1))]


def _wrap(text, width):
    """text as lines at most `width` pixels wide, broken at spaces (a word too long for a line is cut short)."""
    lines = []
    for word in text.split(" "):
        if lines and text_size(lines[-1] + " " + word, SCALE)[0] <= width:
            lines[-1] += " " + word
        else:
            lines.append(_fit(word, width))
    return lines


def _fit(text, width):
    """text, cut short with "..." so that it is at most `width` pixels wide."""
    while text and text_size(text, SCALE)[0] > width:
        text = text[:-4] + "..." if len(text) > 4 else ""
    return text


def _key(label):
    """The colour key of a strip label: its part before ": "."""
    return label.split(": ")[0]


def _text_colour(fill):
    """Ink or white, whichever reads better on `fill` (by its luminance)."""
    return INK if 0.299 * fill[0] + 0.587 * fill[1] + 0.114 * fill[2] > 110 else WHITE


def _check_strips(strips):
    """Return strips as a list of headings (str) and Strip tuples with checked segments."""
    out = []
    for k, item in enumerate(check_type("strips", strips, (list, tuple), "a list of Strip and headings")):
        if isinstance(item, str):
            out.append(item)
            continue
        if not isinstance(item, tuple) or len(item) not in (2, 3) or not isinstance(item[0], str):
            raise AudiollmError(f"strips[{k}] must be a Strip(name, segments) or a heading str, got {item!r:.60}")
        strip = Strip(_fit(item[0], MAX_NAME), *item[1:])
        for segment in check_type(f"strips[{k}].segments", strip.segments, (list, tuple), "a list"):
            if not (isinstance(segment, (list, tuple)) and len(segment) == 3 and isinstance(segment[2], str)):
                raise AudiollmError(f"strips[{k}]: a segment must be (start_s, end_s, label), got {segment!r:.60}")
            check_float(f"strips[{k}]: start", segment[0], 0.0)
            check_float(f"strips[{k}]: end", segment[1], segment[0])
        out.append(strip)
    return out


def _plot_levels(matrix, low, high):
    """The heatmap's colour levels at the plot's resolution: (levels (columns, rows), x_scale, y_scale)."""
    n_frames, n_bins = len(matrix), len(matrix[0])
    if n_frames > PLOT_WIDTH:  # more frames than pixels: average runs of frames into columns
        matrix = list(zip(*[block_means(column, PLOT_WIDTH) for column in zip(*matrix)]))
    if n_bins > PLOT_HEIGHT:
        matrix = [block_means(row, PLOT_HEIGHT) for row in matrix]
    return levels(matrix, low, high), max(1, PLOT_WIDTH // n_frames), max(1, PLOT_HEIGHT // n_bins)


def figure_png(path, title, seconds, matrix=None, y_label="", y_ticks=(), colour_label="", vmin=None, vmax=None,
               strips=(), x_label="time (s)"):
    """Draw a figure (the layout in the module docstring) and write it to `path` as PNG.

    title: paragraphs joined by "\\n", wrapped to the figure's width; the first is the title, the others
    (grey) say how to read the figure. seconds: the time the figure spans.
    matrix: time-major (T, F) values, T frames evenly spread over 0..seconds, F rows drawn bottom to top as
    viridis colours from vmin to vmax (default: the matrix's min and max); None draws strips alone.
    y_ticks: [(fraction of the height from the bottom, label)] for the matrix's rows; y_label sits above them.
    colour_label: what the colours measure, above the colour bar (its ticks are round values of vmin..vmax).
    strips: Strip lanes under the heatmap, top to bottom; a str among them is a heading line, and starts a new
    set of colours (each label key takes the next PALETTE colour at its first appearance in the set).
    """
    title = check_type("title", title, str, "text")
    seconds = check_float("seconds", seconds, MIN_SECONDS, MAX_SECONDS)
    strips = _check_strips(strips)
    if matrix is not None:
        check_matrix("matrix", matrix, limit=math.inf)
        low = min(map(min, matrix)) if vmin is None else check_float("vmin", vmin)
        high = max(map(max, matrix)) if vmax is None else check_float("vmax", vmax)
        if high < low:
            raise AudiollmError(f"vmax ({high}) must not be below vmin ({low})")
        plot_levels, x_scale, y_scale = _plot_levels(matrix, low, high)
        plot_w, plot_h = len(plot_levels) * x_scale, len(plot_levels[0]) * y_scale
        bar_ticks = nice_ticks(low, high, max(2, plot_h // (LINE + GAP)))
    else:
        plot_w, plot_h, bar_ticks = PLOT_WIDTH, 0, []
    y_ticks = [(check_float("y_ticks: fraction", f, 0.0, 1.0),
                _fit(check_type("y_ticks: label", t, str, "text"), MAX_NAME)) for f, t in y_ticks]
    widest = max([text_size(t, SCALE)[0] for _, t in y_ticks]
                 + [text_size(s.name, SCALE)[0] for s in strips if isinstance(s, Strip)] + [0])
    ticks = time_ticks(seconds, plot_w)
    left = PAD + max(widest + GAP + TICK, text_size(y_label, SCALE)[0] - TICK, text_size(ticks[0][1], SCALE)[0] // 2)
    half_last = text_size(ticks[-1][1], SCALE)[0] // 2
    bar_x = left + plot_w + 2 * GAP
    if matrix is not None:
        bar_right = max(bar_x + BAR_WIDTH + TICK + 4 + max(text_size(t, SCALE)[0] for _, t in bar_ticks),
                        bar_x + text_size(colour_label, SCALE)[0])
    else:
        bar_right = left + plot_w + half_last
    width = max(bar_right, left + plot_w + half_last) + PAD

    lines = [(k, line) for k, paragraph in enumerate(title.split("\n")) for line in _wrap(paragraph, width - 2 * PAD)]
    heading_row = bool(y_label or (colour_label and matrix is not None))
    label_y = PAD + len(lines) * (LINE + 4) + 4  # the row of the y label and the colour bar's label
    plot_top = label_y + (LINE + CAP // 2 + 4 if heading_row else 0)  # the top tick's label rises CAP / 2
    strips_h = sum(LINE + 4 if isinstance(s, str) else STRIP_HEIGHT + STRIP_GAP for s in strips)
    axis_y = plot_top + plot_h + (GAP if plot_h and strips else 0) + strips_h
    height = axis_y + TICK + 4 + LINE + 4 + LINE + PAD
    canvas = Canvas(width, height)

    for row, (paragraph, line) in enumerate(lines):
        canvas.text(PAD, PAD + row * (LINE + 4), line, INK if paragraph == 0 else GREY)
    if y_label:
        canvas.text(left - TICK - 4, label_y, y_label, GREY, "right")
    if matrix is not None:
        canvas.paste(left, plot_top, heatmap_lines(plot_levels, x_scale, y_scale))
        canvas.frame(left, plot_top, left + plot_w, plot_top + plot_h)
        _draw_colour_bar(canvas, bar_x, plot_top, plot_h, low, high, bar_ticks)
        canvas.text(bar_x, label_y, colour_label, GREY)
    _draw_y_ticks(canvas, y_ticks, left, plot_top, plot_h)
    _draw_strips(canvas, strips, left, plot_top + plot_h + (GAP if plot_h and strips else 0), plot_w, seconds)
    _draw_time_axis(canvas, ticks, left, axis_y, plot_w, x_label)
    write_atomic(path, canvas.png())


def _draw_y_ticks(canvas, ticks, left, top, height):
    """Ticks at the left of the plot, [(fraction from the bottom, label)]; a label that would touch the one
    under it is left out (its tick stays)."""
    free = top + height + LINE  # labels go bottom up, each clear of the one under it
    for fraction, label in sorted(ticks):
        y = min(max(top + height - round(fraction * height), top), top + height - 1)
        canvas.fill(left - TICK - 1, y, left - 1, y + 1, FRAME)
        if y + CAP // 2 + 4 <= free:
            canvas.text(left - TICK - 4, y - CAP // 2, label, INK, "right")
            free = y - CAP // 2


def _draw_time_axis(canvas, ticks, left, y, width, label):
    """The time axis at row y: a line, the ticks [(pixel from the left, label)] and the axis label."""
    canvas.fill(left, y, left + width, y + 1, FRAME)
    for x, text in ticks:
        x = left + min(x, width - 1)
        canvas.fill(x, y, x + 1, y + TICK + 1, FRAME)
        canvas.text(x, y + TICK + 4, text, INK, "centre")
    canvas.text(left + width // 2, y + TICK + 4 + LINE + 4, label, GREY, "centre")


def _draw_colour_bar(canvas, x, top, height, low, high, ticks):
    """A viridis bar from low (bottom) to high (top), its round values ticked at its right."""
    for row in range(height):
        level = 255 * (height - 1 - row) // max(height - 1, 1)
        canvas.fill(x, top + row, x + BAR_WIDTH, top + row + 1, VIRIDIS_BYTES[level])
    canvas.frame(x, top, x + BAR_WIDTH, top + height)
    for value, text in ticks:
        fraction = (value / 2 - low / 2) / (high / 2 - low / 2) if high > low else 0.5  # halves: no overflow
        y = top + height - 1 - round(fraction * (height - 1))
        canvas.fill(x + BAR_WIDTH, y, x + BAR_WIDTH + TICK, y + 1, FRAME)
        canvas.text(x + BAR_WIDTH + TICK + 4, y - CAP // 2, text)


def _draw_strips(canvas, strips, left, top, width, seconds):
    """The strips from `top` down: headings in grey, lanes with their names at the left and coloured bars."""
    colours = {}
    y = top
    for strip in strips:
        if isinstance(strip, str):
            canvas.text(left, y, _fit(strip, canvas.width - left - PAD), GREY)
            colours = {}
            y += LINE + 4
            continue
        canvas.fill(left, y, left + width, y + STRIP_HEIGHT, LANE)
        canvas.frame(left, y, left + width, y + STRIP_HEIGHT)
        canvas.text(left - TICK - 4, y + (STRIP_HEIGHT - CAP) // 2, strip.name, INK, "right")
        for start, end, label in strip.segments:
            if start >= seconds:
                continue
            colour = colours.setdefault(_key(label), PALETTE[len(colours) % len(PALETTE)])
            x0 = left + round(start / seconds * width)
            x1 = max(left + round(min(end, seconds) / seconds * width), x0 + 1)
            canvas.fill(x0, y, x1, y + STRIP_HEIGHT, colour)
            fitting = [t for t in (label, _key(label)) if text_size(t, SCALE)[0] + 8 <= x1 - x0]
            if strip.labelled and fitting:
                canvas.text((x0 + x1) // 2, y + (STRIP_HEIGHT - CAP) // 2, fitting[0], _text_colour(colour),
                            "centre")
        y += STRIP_HEIGHT + STRIP_GAP
