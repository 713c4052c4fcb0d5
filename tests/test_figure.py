"""The pictures' layout (base.figure) and font (base.font): every glyph, the round ticks, where the heatmap and
the strips land, determinism and bounded sizes."""
import math
import os
import struct
from itertools import combinations

import pytest

from audiollm.base import figure, font
from audiollm.base.errors import AudiollmError
from audiollm.base.png import viridis
from test_png import read_png


def test_every_glyph_is_well_formed_renders_and_differs_from_the_others():
    for char, rows in font.GLYPHS.items():
        rows = rows.split()
        assert 7 <= len(rows) <= font.HEIGHT and all(len(row) == font.WIDTH and set(row) <= {"#", "."}
                                                     for row in rows), char
    bitmaps = {char: font.glyph(char) for char in font.GLYPHS}
    for char, bitmap in bitmaps.items():
        assert len(bitmap) == font.HEIGHT and all(len(row) == font.WIDTH for row in bitmap)
        assert any(map(any, bitmap)) == (char != " "), char  # every glyph but the space has ink
    assert font.glyph("\u00e9") == font.glyph("\u2603") not in bitmaps.values()  # the box for what is missing
    for a, b in combinations(bitmaps, 2):
        assert bitmaps[a] != bitmaps[b], (a, b)
    assert set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,:;-+=/()[]%'?!_") <= set(font.GLYPHS)


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_text_is_drawn_at_integer_scale(scale):
    runs = font.ink("Hz 8k", scale)
    ink_at_1 = sum(length for _, _, length in font.ink("Hz 8k"))
    assert sum(length for _, _, length in runs) == ink_at_1 * scale * scale  # each pixel a scale x scale square
    width, height = font.text_size("Hz 8k", scale)
    assert (width, height) == ((5 * font.ADVANCE - 1) * scale, font.HEIGHT * scale)
    assert max(x + length for x, _, length in runs) <= width and max(y for _, y, _ in runs) < height


def test_the_canvas_draws_text_where_it_is_anchored():
    width = font.text_size("Hz", figure.SCALE)[0]
    canvas = figure.Canvas(3 * width, figure.LINE)
    canvas.text(3 * width // 2, 0, "Hz", (0, 0, 0), "centre")
    ink = [x for y in range(figure.LINE) for x in range(3 * width)
           if canvas.pixels[(y * 3 * width + x) * 3:(y * 3 * width + x) * 3 + 3] == bytes(3)]
    assert len(ink) == sum(length for _, _, length in font.ink("Hz")) * figure.SCALE ** 2
    assert width <= min(ink) and max(ink) < 2 * width + 1  # centred: the middle third
    canvas.text(-5, -5, "clipped at the edges, not an error", (0, 0, 0))


@pytest.mark.parametrize(
    "low, high, most, labels",
    [(0.0, 10.0, 12, [str(k) for k in range(11)]),
     (0.0, 9.92, 11, [str(k) for k in range(10)]),
     (0.0, 30.0, 11, ["0", "5", "10", "15", "20", "25", "30"]),
     (0.0, 600.0, 11, ["0", "100", "200", "300", "400", "500", "600"]),
     (0.0, 0.5, 10, ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"]),
     (0.0, 0.5, 11, ["0.00", "0.05", "0.10", "0.15", "0.20", "0.25", "0.30", "0.35", "0.40", "0.45", "0.50"]),
     (-0.74, 1.26, 9, ["-0.5", "0.0", "0.5", "1.0"]),
     (0.0, 0.0375, 9, ["0.000", "0.005", "0.010", "0.015", "0.020", "0.025", "0.030", "0.035"]),
     (-1e308, 1e308, 5, ["-1e+308", "-5e+307", "0", "5e+307", "1e+308"]),
     (2.0, 2.0, 5, ["2"])],
)
def test_nice_ticks_are_round_and_within_the_range(low, high, most, labels):
    ticks = figure.nice_ticks(low, high, most)
    assert [label for _, label in ticks] == labels
    assert all(low <= value <= high and float(label) == pytest.approx(value) for value, label in ticks)


@pytest.mark.parametrize("n_samples, sample_rate", [(160000, 16000), (80000, 8000), (441000, 44100),
                                                    (30 * 48000, 48000), (600 * 8000, 8000), (7000, 16000),
                                                    (987654, 22050)])
@pytest.mark.parametrize("length", [1000, 992, 400])
def test_time_ticks_for_several_durations_and_sample_rates(n_samples, sample_rate, length):
    seconds = n_samples / sample_rate
    ticks = figure.time_ticks(seconds, length)
    values = [float(label) for _, label in ticks]
    step = values[1] - values[0]
    assert values[0] == 0.0 and values[-1] <= seconds < values[-1] + step + 1e-9  # from 0 to the end, no further
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1.0, 2.0, 5.0)  # round: 1, 2 or 5 times a power of ten
    assert all(math.isclose(b - a, step) for a, b in zip(values, values[1:]))
    assert [x for x, _ in ticks] == [round(v / seconds * length) for v in values]  # pixel = t / seconds * width
    assert all(b - a >= figure.MIN_TICK_GAP - 1 for (a, _), (b, _) in zip(ticks, ticks[1:]))  # labels never touch
    assert 2 <= len(ticks) <= length // figure.MIN_TICK_GAP + 1


def test_time_ticks_of_the_lesson_pictures():
    assert figure.time_ticks(10.0, 1000) == [(100 * k, str(k)) for k in range(11)]  # log-Mel: 1000 frames of 10 ms
    assert figure.time_ticks(62 * 0.16, 992)[-1] == (900, "9")  # attention: 62 pooled frames of 160 ms


def size(path):
    """(width, height) from a PNG's IHDR chunk."""
    return struct.unpack(">II", path.read_bytes()[16:24])


def draw(tmp_path, name="f.png", **kwargs):
    """figure_png into tmp_path/name; returns (width, height, rows of RGB tuples)."""
    arguments = {"title": "a title", "seconds": 10.0, **kwargs}
    figure.figure_png(tmp_path / name, **arguments)
    return read_png(tmp_path / name)


def test_the_heatmap_puts_low_rows_at_the_bottom_with_its_colour_bar(tmp_path):
    matrix = [[0.0, 1.0]] * 4  # row 0 of every frame is the minimum
    _, _, rows = draw(tmp_path, matrix=matrix, y_label="Hz", y_ticks=[(0.0, "0"), (1.0, "8k")], colour_label="dB")
    bright, dark = bytes(viridis(1.0)), bytes(viridis(0.0))
    counts = {colour: sum(row.count(tuple(colour)) for row in rows) for colour in (bright, dark)}
    # the plot: 4 frames x 250 pixels, 2 rows x 128 pixels; the colour bar adds one 20-pixel row of each end
    assert counts == {bright: 1000 * 128 + 20, dark: 1000 * 128 + 20}
    top = [y for y, row in enumerate(rows) if row.count(viridis(1.0)) >= 1000]
    bottom = [y for y, row in enumerate(rows) if row.count(viridis(0.0)) >= 1000]
    assert len(top) == len(bottom) == 128 and max(top) < min(bottom)


def test_long_and_tall_matrices_are_averaged_to_the_plot_size(tmp_path):
    matrix = [[1.0 if t < 1500 else 0.0] * 400 for t in range(3000)]  # 3000 frames of 400 rows: loud, then quiet
    _, _, rows = draw(tmp_path, seconds=30.0, matrix=matrix)
    bright = [row.count(viridis(1.0)) for row in rows]
    assert sum(bright) == 500 * 256 + 20  # 1000 columns of 3 frames, 256 rows; the colour bar's top row
    assert sorted(set(bright)) == [0, 500, 520]  # the bar's top row is the plot's


def test_strips_share_the_time_axis(tmp_path):
    strip = figure.Strip("truth", [(0.0, 5.0, "speech"), (5.0, 7.5, "music: organ"), (7.5, 12.0, "speech")])
    _, _, rows = draw(tmp_path, strips=[strip, figure.Strip("heard", [(2.5, 7.5, "music")], False)])
    orange, blue = figure.PALETTE[0], figure.PALETTE[1]
    lanes = [row for row in rows if row.count(orange) + row.count(blue) > 100]
    first, second = lanes[0], lanes[-1]
    assert first.count(orange) + first.count(blue) == 1000  # 0-5 s speech, 5-7.5 s music, 7.5-10 s speech
    left = first.index(orange)
    assert first.index(blue) == left + 500 and first.count(blue) == 250
    assert second.index(blue) == left + 250 and second.count(blue) == 500  # "music" keeps its colour
    assert orange not in second


def test_labels_are_drawn_inside_the_bars_that_fit_them(tmp_path):
    segments = [(0.0, 5.0, "speech"), (5.0, 5.2, "music")]
    _, _, labelled = draw(tmp_path, "a.png", strips=[figure.Strip("x", segments)])
    _, _, bare = draw(tmp_path, "b.png", strips=[figure.Strip("x", segments, False)])
    ink = [[x for x, p in enumerate(row) if p == figure.INK] for row in labelled]
    assert labelled != bare
    lane = [y for y, row in enumerate(labelled) if row.count(figure.PALETTE[0]) > 300]
    left = labelled[lane[0]].index(figure.PALETTE[0])
    inside = {x for y in lane for x in ink[y] if x >= left}
    assert inside and left < min(inside) and max(inside) < left + 500  # "speech" in its bar, no "music" beyond


def test_headings_start_a_new_set_of_colours(tmp_path):
    strips = ["found", figure.Strip("S1", [(0.0, 1.0, "S1")], False), figure.Strip("S2", [(2.0, 3.0, "S2")], False),
              "reference", figure.Strip("A", [(0.0, 1.0, "A")], False)]
    _, _, rows = draw(tmp_path, strips=strips)
    lanes = [row for row in rows if row.count(figure.PALETTE[0]) + row.count(figure.PALETTE[1]) > 50]
    colours = [figure.PALETTE[0] in row for row in lanes]
    assert colours.count(True) == 2 * figure.STRIP_HEIGHT and colours.count(False) == figure.STRIP_HEIGHT


def test_figures_are_deterministic_and_their_sizes_bounded(tmp_path):
    strips = [figure.Strip("truth", [(0.0, 3.5, "speech"), (3.5, 10.0, "music")])]
    matrix = [[math.sin(t / 7 + f) for f in range(80)] for t in range(1000)]
    arguments = {"title": "log-Mel\nsecond line", "seconds": 10.0, "matrix": matrix, "y_label": "Hz",
                 "y_ticks": [(0.0, "0"), (0.5, "1k")], "colour_label": "value", "strips": strips}
    figure.figure_png(tmp_path / "a.png", **arguments)
    figure.figure_png(tmp_path / "b.png", **arguments)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    figure.figure_png(tmp_path / "c.png", **{**arguments, "strips": []})
    assert (tmp_path / "c.png").read_bytes() != (tmp_path / "a.png").read_bytes()
    for n_frames, n_rows in [(1, 1), (7, 3), (62, 8), (1000, 80), (1500, 128), (20000, 2), (3, 1000)]:
        figure.figure_png(tmp_path / "d.png", "t " * 200, n_frames / 100, [[0.0] * n_rows] * n_frames,
                          y_ticks=[(k / 99, str(k)) for k in range(100)], colour_label="attention weight",
                          strips=strips)
        width, height = size(tmp_path / "d.png")
        assert 1000 <= width <= 1400 and height <= 900, (n_frames, n_rows)
    figure.figure_png(tmp_path / "e.png", "who spoke when", 4 * 3600.0,
                      strips=[figure.Strip(f"SPEAKER_{k}", [(k, k + 0.001, "s")]) for k in range(20)])
    width, height = size(tmp_path / "e.png")
    assert width <= 1400 and height <= 900


@pytest.mark.parametrize(
    "kwargs, message",
    [({"title": None}, "title must be text"),
     ({"seconds": 0.0}, "seconds must be a finite number from 0.001 to 1e\\+07"),
     ({"seconds": math.inf}, "seconds"),
     ({"matrix": [[1.0], [math.nan]]}, "matrix: every value must be a finite number"),
     ({"matrix": [[1.0]], "vmin": 2.0, "vmax": 1.0}, "vmax"),
     ({"matrix": [[1.0]], "y_ticks": [(1.5, "x")]}, "y_ticks: fraction"),
     ({"strips": "truth"}, "strips must be a list"),
     ({"strips": [("truth", [(3.0, 1.0, "x")])]}, "strips\\[0\\]: end"),
     ({"strips": [("truth", [(0.0, 1.0)])]}, "a segment must be"),
     ({"strips": [42]}, "strips\\[0\\] must be a Strip")],
)
def test_bad_figures_are_refused_before_anything_is_written(tmp_path, kwargs, message):
    with pytest.raises(AudiollmError, match=message):
        figure.figure_png(tmp_path / "bad.png", **{"title": "t", "seconds": 1.0, **kwargs})
    assert os.listdir(tmp_path) == []
