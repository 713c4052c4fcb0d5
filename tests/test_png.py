import math
import os
import struct
import zlib

import pytest

from audiollm.base import png
from audiollm.base.errors import AudiollmError


def read_png(path):
    """Parse an 8-bit RGB PNG strictly: check every CRC, return (width, height, rows of RGB tuples)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position: position + 4])
        kind = data[position + 4: position + 8]
        body = data[position + 8: position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length: position + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        position += 12 + length
    assert position == len(data)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, compression, filtering, interlace) == (8, 2, 0, 0, 0)
    raw = zlib.decompress(chunks[1][1])
    stride = 1 + 3 * width
    assert len(raw) == height * stride
    rows = []
    for y in range(height):
        line = raw[y * stride: (y + 1) * stride]
        assert line[0] == 0  # filter type None
        rows.append([tuple(line[1 + 3 * x: 4 + 3 * x]) for x in range(width)])
    return width, height, rows


def test_write_png_round_trips_pixels(tmp_path):
    rows = [[(255, 0, 0), (0, 255, 0), (0, 0, 255)], [(0, 0, 0), (255, 255, 255), (12, 34, 56)]]
    path = tmp_path / "tiny.png"
    png.write_png(path, rows)
    width, height, pixels = read_png(path)
    assert (width, height) == (3, 2)
    assert pixels == rows


def test_write_png_leaves_no_temporary_files(tmp_path):
    png.write_png(tmp_path / "a.png", [[(1, 2, 3)]])
    png.write_png(tmp_path / "a.png", [[(4, 5, 6), (7, 8, 9)]])  # overwrite in place
    assert os.listdir(tmp_path) == ["a.png"]
    assert read_png(tmp_path / "a.png")[2] == [[(4, 5, 6), (7, 8, 9)]]


def test_failed_write_keeps_the_old_file_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "keep.png"
    png.write_png(path, [[(1, 2, 3)]])
    before = path.read_bytes()

    def broken_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(AudiollmError, match="cannot write .*disk full"):
        png.write_png(path, [[(9, 9, 9)]])
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.png"]


@pytest.mark.parametrize(
    "rows, message",
    [
        ([], "rows"),
        ([[]], "rows"),
        ([[(1, 2, 3)], [(1, 2, 3), (4, 5, 6)]], "row 1"),
        ([[(1, 2)]], "row 0"),
        ([[(1, 2, 256)]], "row 0"),
        ([[(1, 2, 3.5)]], "row 0"),
    ],
)
def test_write_png_rejects_bad_rows(tmp_path, rows, message):
    with pytest.raises(AudiollmError, match=message):
        png.write_png(tmp_path / "bad.png", rows)
    assert os.listdir(tmp_path) == []


def test_write_png_needs_an_existing_directory(tmp_path):
    with pytest.raises(AudiollmError, match="path"):
        png.write_png(tmp_path / "missing" / "x.png", [[(1, 2, 3)]])


def test_viridis_ends_and_middle_match_matplotlib():
    assert png.viridis(0.0) == (68, 1, 84)
    assert png.viridis(1.0) == (253, 231, 37)
    assert png.viridis(0.5) == (33, 145, 140)  # matplotlib's entry 128 is (0.127568, 0.566949, 0.550556)
    assert png.viridis(-3.0) == png.viridis(0.0) and png.viridis(7.0) == png.viridis(1.0)
    lightness = [sum(png.viridis(i / 20)) for i in range(21)]
    assert lightness == sorted(lightness)  # brighter as the value rises


def test_heatmap_puts_low_bins_at_the_bottom_and_time_left_to_right(tmp_path):
    # 3 frames x 4 bins: the value grows with the bin index, and frame 2 is the loudest everywhere
    matrix = [[0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0], [6.0, 6.0, 6.0, 6.0]]
    path = tmp_path / "map.png"
    png.heatmap_png(path, matrix, x_scale=2, y_scale=3)
    width, height, rows = read_png(path)
    assert (width, height) == (3 * 2, 4 * 3)
    assert rows[-1][0] == png.viridis(0.0)  # bottom-left: bin 0 of frame 0, the minimum
    assert rows[0][0] == png.viridis(0.5)  # top-left: bin 3 of frame 0, value 3 of 0..6
    assert rows[0][-1] == rows[-1][-1] == png.viridis(1.0)  # the last frame is the maximum
    assert rows[0][0] == rows[2][1]  # each cell is a 2x3 block
    assert rows[3][0] != rows[2][0]


def test_heatmap_of_a_constant_matrix_is_uniform(tmp_path):
    png.heatmap_png(tmp_path / "flat.png", [[5.0, 5.0]] * 3)
    _, _, rows = read_png(tmp_path / "flat.png")
    assert {pixel for row in rows for pixel in row} == {png.viridis(0.0)}


def test_heatmap_clips_to_vmin_vmax(tmp_path):
    png.heatmap_png(tmp_path / "c.png", [[-10.0, 0.5, 10.0]], vmin=0.0, vmax=1.0)
    _, _, rows = read_png(tmp_path / "c.png")
    assert [row[0] for row in rows] == [png.viridis(1.0), png.viridis(127 / 255), png.viridis(0.0)]


@pytest.mark.parametrize(
    "matrix, message",
    [
        ([], "matrix"),
        ([[]], "matrix"),
        ([[1.0, 2.0], [3.0]], "row 1"),
        ([[1.0, math.nan]], "matrix: every value must be a finite number"),
        ([[1.0, math.inf]], "matrix: every value must be a finite number"),
        ([[1.0, "loud"]], "matrix: every value must be a finite number"),
        ("spectrogram", "matrix"),
    ],
)
def test_heatmap_and_preview_reject_bad_matrices(tmp_path, matrix, message):
    with pytest.raises(AudiollmError, match=message):
        png.heatmap_png(tmp_path / "bad.png", matrix)
    with pytest.raises(AudiollmError, match=message):
        png.text_preview(matrix)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "kwargs, message",
    [({"x_scale": 0}, "x_scale"), ({"y_scale": 1.5}, "y_scale"), ({"vmin": math.nan}, "vmin"),
     ({"vmin": 2.0, "vmax": 1.0}, "vmax"), ({"x_scale": 10**6, "y_scale": 10**3}, "pixel limit")],
)
def test_heatmap_rejects_bad_options(tmp_path, kwargs, message):
    with pytest.raises(AudiollmError, match=message):
        png.heatmap_png(tmp_path / "bad.png", [[0.0, 1.0]], **kwargs)


def test_text_preview_low_bins_at_the_bottom():
    matrix = [[float(f) for f in range(8)] for _ in range(100)]  # energy rises with the bin
    text = png.text_preview(matrix, width=10, height=4)
    lines = text.split("\n")
    assert len(lines) == 4 and all(len(line) == 10 for line in lines)
    assert lines[-1] == " " * 10  # lowest bins are the quietest here
    assert lines[0] == "@" * 10


def test_text_preview_averages_time_into_columns():
    matrix = [[0.0, 0.0]] * 50 + [[9.0, 9.0]] * 50  # silence, then sound
    assert png.text_preview(matrix, width=4, height=1) == "  @@"
    assert png.text_preview([[1.0, 2.0]], width=72, height=12) == "@\n "  # never bigger than the data


def test_text_preview_rejects_bad_sizes():
    with pytest.raises(AudiollmError, match="width"):
        png.text_preview([[1.0]], width=0)
    with pytest.raises(AudiollmError, match="height"):
        png.text_preview([[1.0]], height=-2)


@pytest.mark.parametrize("x", [None, math.nan, "0.5", True])
def test_viridis_rejects_non_numbers(x):
    with pytest.raises(AudiollmError, match="x must be a finite number"):
        png.viridis(x)


def test_extreme_finite_values_do_not_overflow(tmp_path):
    # high - low = 2e308 is beyond float range: the scaling works on halves instead of failing on NaN.
    png.heatmap_png(tmp_path / "wide.png", [[1e308, -1e308], [0.0, 0.0]])
    _, _, rows = read_png(tmp_path / "wide.png")
    assert [row[0] for row in rows] == [png.viridis(0.0), png.viridis(1.0)]  # bin 1 (-1e308) on top
    assert [row[1] for row in rows] == [png.viridis(127 / 255)] * 2
    assert png.text_preview([[1e308, -1e308]]) == " \n@"
    assert png.text_preview([[1e308, 1e308], [1e308, -1e308]], width=2, height=1) == "@ "  # means of huge values
    png.heatmap_png(tmp_path / "clip.png", [[1e300]], vmin=0.0, vmax=1e-300)  # far above vmax: brightest
    assert read_png(tmp_path / "clip.png")[2] == [[png.viridis(1.0)]]
