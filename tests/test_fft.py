"""The literal DFT and recursive FFT, and the fast batched FFT tested equal to them, for the lengths the lesson
needs and the awkward ones."""
import cmath
import random

import pytest

from audiollm.base.errors import AudiollmError
from audiollm.front.fft import dft, fft, fft_columns, fft_recursive, ifft, rfft

# 400 = Whisper's window (2^4 * 5^2), 240 = 2^4 * 3 * 5 (the 48 kHz window 1200 has the same factors), primes and prime powers for every code path:
# radix 2/3/4/5 butterflies, the direct small DFTs (7, 11, 13) and Bluestein (17, 97, 401, 2 * 101).
LENGTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 16, 17, 25, 30, 49, 64, 97, 100, 143, 202, 240, 400, 401]


def random_signal(n, seed, real=False):
    rng = random.Random(seed)
    if real:
        return [rng.uniform(-1, 1) for _ in range(n)]
    return [complex(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(n)]


def max_rel_error(got, want):
    scale = max(map(abs, want)) or 1.0
    return max(abs(g - w) for g, w in zip(got, want)) / scale


@pytest.mark.parametrize("n", LENGTHS)
def test_fft_matches_direct_dft(n):
    x = random_signal(n, seed=n)
    got = fft(x)
    assert len(got) == n
    assert max_rel_error(got, dft(x)) < 1e-9


@pytest.mark.parametrize("n", LENGTHS)
def test_recursive_fft_is_the_definition_and_the_fast_fft_equals_it(n):
    """fft_recursive (Cooley-Tukey, literally) gives the DFT's numbers; fft_columns, behind fft, the same again."""
    x = random_signal(n, seed=300 + n)
    literal = fft_recursive(x)
    assert max_rel_error(literal, dft(x)) < 1e-12
    assert max_rel_error(fft(x), literal) < 1e-12


@pytest.mark.parametrize("n", [5, 16, 97, 400])
def test_ifft_inverts_fft(n):
    x = random_signal(n, seed=100 + n)
    assert max_rel_error(ifft(fft(x)), x) < 1e-12


@pytest.mark.parametrize("n", [1, 2, 9, 400, 401])
def test_rfft_keeps_the_non_negative_bins(n):
    x = random_signal(n, seed=200 + n, real=True)
    got = rfft(x)
    assert len(got) == n // 2 + 1
    assert max_rel_error(got, dft(x)[: n // 2 + 1]) < 1e-9


def test_pure_tone_lands_in_its_bin():
    # 400 samples at 16 kHz: bins are 40 Hz apart, so 1000 Hz is exactly bin 25 with amplitude n/2.
    x = [cmath.cos(2 * cmath.pi * 1000 * t / 16000).real for t in range(400)]
    spectrum = rfft(x)
    assert abs(spectrum[25]) == pytest.approx(200.0, rel=1e-12)
    assert max(abs(v) for k, v in enumerate(spectrum) if k != 25) < 1e-9


def test_fft_columns_transforms_every_signal_in_the_batch():
    signals = [random_signal(400, seed=s) for s in range(3)]
    columns = [list(values) for values in zip(*signals)]
    out = fft_columns(columns)
    for b, x in enumerate(signals):
        assert max_rel_error([row[b] for row in out], dft(x)) < 1e-9


def test_fft_does_not_modify_its_input():
    x = random_signal(400, seed=7)
    before = list(x)
    fft(x)
    assert x == before


@pytest.mark.parametrize("bad, words", [([], "non-empty"), (["a", "b"], "numbers"), (None, "numbers")])
def test_bad_input_names_the_parameter(bad, words):
    with pytest.raises(AudiollmError, match="x") as err:
        fft(bad)
    assert words in str(err.value)


def test_rfft_rejects_complex_input():
    with pytest.raises(AudiollmError, match="real"):
        rfft([1j, 2.0])


@pytest.mark.parametrize("columns", [None, "abc", [None], [[1.0], [1.0, 2.0]], [["a"], ["b"]]])
def test_fft_columns_names_bad_columns(columns):
    with pytest.raises(AudiollmError, match="columns"):
        fft_columns(columns)


def test_fft_columns_of_no_signals_is_empty_columns():
    assert fft_columns([[], [], []]) == [[], [], []]


@pytest.mark.parametrize("x", [None, "abc", []])
@pytest.mark.parametrize("transform", [dft, fft_recursive])
def test_literal_transforms_name_bad_x(transform, x):
    with pytest.raises(AudiollmError, match="x"):
        transform(x)
