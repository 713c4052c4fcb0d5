"""STFT framing, window and values against torch.stft (golden fixture) and, where importable, live; the fast
power path tested equal to the literal STFT."""
import math

import pytest

from audiollm.base.errors import AudiollmError
from audiollm.front.stft import get_window, power_columns, power_spectrum, stft


def golden_signal():
    """The signal fixtures/make_frontend_fixtures.py transformed (same formula)."""
    return [0.5 * math.sin(2 * math.pi * 440 * t / 16000) + 0.25 * math.cos(2 * math.pi * 3000 * t / 16000)
            + 0.1 * ((t * 37) % 101 / 50.0 - 1.0) for t in range(1000)]


def test_matches_torch_stft_golden(frontend_golden):
    ref = frontend_golden["stft"]
    frames = stft(golden_signal(), n_fft=ref["n_fft"], hop_length=ref["hop_length"])
    n_frames, n_bins = ref["shape"]
    assert (len(frames), len(frames[0])) == (n_frames, n_bins) == (7, 201)
    want = [complex(r, i) for r, i in zip(ref["real"], ref["imag"])]
    got = [v for row in frames for v in row]
    scale = max(map(abs, want))
    assert max(abs(g - w) for g, w in zip(got, want)) / scale < 1e-9


@pytest.mark.parametrize("n, n_fft, hop, expected", [(480000, 400, 160, 3001), (1000, 400, 160, 7),
                                                     (1200, 1200, 480, 3), (999, 64, 17, 59)])
def test_frame_count_is_one_plus_samples_over_hop(n, n_fft, hop, expected):
    columns = power_columns([0.001] * n, n_fft=n_fft, hop_length=hop)
    assert len(columns) == n_fft // 2 + 1
    assert len(columns[0]) == expected == 1 + n // hop


def test_hann_is_periodic():
    w = get_window("hann", 400)
    assert w[0] == 0.0 and w[200] == 1.0  # periodic: the peak is at n/2 and w[n] (not stored) would be 0
    assert w[1] == pytest.approx(w[399], abs=1e-15)
    assert sum(w) == pytest.approx(200.0)


@pytest.mark.parametrize("extra, kwargs", [
    (0, {}), (2000, {}), (0, {"n_fft": 256, "hop_length": 100, "win_length": 200, "window": "hamming"}),
    (0, {"center": False, "hop_length": 333}), (0, {"pad_mode": "constant", "window": "rectangular"}),
    (0, {"hop_length": 5000}), (0, {"n_fft": 17, "hop_length": 3}),
])
def test_fast_power_equals_the_literal_stft(extra, kwargs):
    """power_columns (strided columns, two frames per FFT, silence skipped) = |stft|^2, transposed."""
    x = golden_signal() + [0.0] * extra
    literal = power_spectrum(stft(x, **kwargs))
    fast = power_columns(x, **kwargs)
    assert (len(fast), len(fast[0])) == (len(literal[0]), len(literal))
    peak = max(map(max, literal))
    # FFT rounding is relative to a frame's size, not to each bin: measured 4e-16 of the peak.
    assert max(abs(row[k] - fast[k][t]) for t, row in enumerate(literal) for k in range(len(row))) < 1e-12 * peak


def test_trailing_silence_gives_zero_frames_and_the_rest_unchanged():
    x = golden_signal()
    padded = power_columns(x + [0.0] * 2000)
    alone = power_columns(x)
    # Frames 0..4 see only x; frames 19..18+ see only zeros.
    assert all(padded[k][t] == pytest.approx(alone[k][t], rel=1e-12, abs=1e-18) for k in range(201) for t in range(4))
    assert all(padded[k][t] == 0.0 for k in range(201) for t in range(13, 19))


def test_center_false_and_short_window():
    x = golden_signal()
    frames = stft(x, n_fft=256, hop_length=100, win_length=200, window="hamming", center=False)
    assert len(frames) == 1 + (1000 - 256) // 100 and len(frames[0]) == 129
    # With the window zero outside its centred 200 samples, a frame only sees samples 28..227.
    window = [0.0] * 28 + get_window("hamming", 200) + [0.0] * 28
    direct = sum(x[n] * window[n] * complex(math.cos(2 * math.pi * 5 * n / 256), -math.sin(2 * math.pi * 5 * n / 256))
                 for n in range(256))
    assert abs(frames[0][5] - direct) < 1e-9


@pytest.mark.parametrize("kwargs, name", [
    ({"n_fft": 0}, "n_fft"), ({"hop_length": 0}, "hop_length"), ({"hop_length": 1.5}, "hop_length"),
    ({"win_length": 500}, "win_length"), ({"window": "kaiser"}, "window"), ({"window": [1.0] * 3}, "window"),
    ({"pad_mode": "wrap"}, "pad_mode"),
])
def test_bad_parameters_are_named(kwargs, name):
    with pytest.raises(AudiollmError, match=name):
        stft([0.1] * 1000, **kwargs)


@pytest.mark.parametrize("samples, words", [([0.1] * 100, "reflect padding"), ([0.1, float("nan")] * 500, "is nan"),
                                            (["x"] * 1000, "numbers"), ([[0.1, 0.2]] * 500, "two-dimensional"),
                                            ([0.1, 1e200] * 500, "within +-1e+150")])
def test_bad_samples_are_named(samples, words):
    with pytest.raises(AudiollmError, match="samples") as err:
        stft(samples)
    assert words in str(err.value)


def test_short_signal_without_center():
    with pytest.raises(AudiollmError, match="shorter than n_fft"):
        stft([0.1] * 300, center=False)


def test_live_torch_parity():
    torch = pytest.importorskip("torch")
    x = [math.sin(0.001 * t * t) for t in range(5000)]
    ref = torch.stft(torch.tensor(x, dtype=torch.float64), 400, 160, window=torch.hann_window(400, dtype=torch.float64),
                     return_complex=True).T.tolist()
    got = stft(x)
    assert max(abs(g - r) for gr, rr in zip(got, ref) for g, r in zip(gr, rr)) < 1e-9


def test_a_hop_longer_than_the_signal_gives_one_frame_without_allocating_the_hop():
    x = [math.sin(0.3 * t) for t in range(800)]
    assert stft(x, hop_length=10 ** 12) == stft(x, hop_length=801)  # one frame, the same one
    fast = power_columns(x, hop_length=10 ** 12)  # the packing adds at most len(x) zeros, not hop_length
    literal = power_spectrum(stft(x, hop_length=801))[0]
    assert [len(c) for c in fast] == [1] * 201
    assert max(abs(c[0] - p) for c, p in zip(fast, literal)) < 1e-12 * max(literal)


@pytest.mark.parametrize("call, name", [
    (lambda: get_window("hann", None), "length"),
    (lambda: get_window("hann", 10 ** 12), "length"),
    (lambda: stft([0.1] * 800, n_fft=10 ** 12), "n_fft"),
    (lambda: power_spectrum(None), "frames"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(AudiollmError, match=name):
        call()


@pytest.mark.parametrize("name", ["hann", "hamming", "rectangular"])
def test_a_one_sample_window_is_one_as_in_torch_and_scipy(name):
    assert get_window(name, 1) == [1.0]


def test_n_fft_1_gives_each_sample_as_its_own_spectrum():
    x = [0.5, -0.25, 1.0, 0.125]
    assert stft(x, n_fft=1, hop_length=1) == [[complex(v)] for v in x]
    torch = pytest.importorskip("torch")
    ref = torch.stft(torch.tensor(x, dtype=torch.float64), 1, 1, window=torch.hann_window(1, dtype=torch.float64),
                     return_complex=True).T.tolist()
    assert stft(x, n_fft=1, hop_length=1) == ref


def test_a_hop_of_one_on_30_s_is_refused_before_any_work():
    with pytest.raises(AudiollmError, match=r"^hop_length: 480001 frames of 201 bins is more than 16777216 values; "
                       r"use a longer hop_length \(now 1\)"):
        stft([0.1] * 480000, hop_length=1)
