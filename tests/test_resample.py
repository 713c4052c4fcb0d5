import json
import math
import os
import random
import wave
from array import array

import pytest

from audiollm.base.errors import AudiollmError
from audiollm.front.resample import (PASS_EDGE, STOP_DB, STOP_EDGE, _phase_table, filter_half_width, load_audio,
                                     resample, resampled_length)
from audiollm.front.wav import read_wav

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
TO_16K = [8000, 11025, 22050, 44100, 48000, 96000]  # the lesson's input rates


def tone(freq, sr, n, phase=0.3, amplitude=1.0):
    return [amplitude * math.sin(2 * math.pi * freq * j / sr + phase) for j in range(n)]


def fit(y, freq, sr, start, n):
    """Least-squares a sin(w k) + b cos(w k) over y[start:start + n] -> (amplitude, phase of sin)."""
    w = 2 * math.pi * freq / sr
    s = [math.sin(w * k) for k in range(start, start + n)]
    c = [math.cos(w * k) for k in range(start, start + n)]
    seg = y[start:start + n]
    ss, cc = math.fsum(v * v for v in s), math.fsum(v * v for v in c)
    sc = math.fsum(a * b for a, b in zip(s, c))
    ys, yc = math.fsum(a * b for a, b in zip(seg, s)), math.fsum(a * b for a, b in zip(seg, c))
    det = ss * cc - sc * sc
    a, b = (ys * cc - yc * sc) / det, (yc * ss - ys * sc) / det
    return math.hypot(a, b), math.atan2(b, a)


def rms(v):
    return math.sqrt(math.fsum(x * x for x in v) / len(v))


def db(ratio):
    return 20 * math.log10(ratio)


@pytest.mark.parametrize("orig_sr, target_sr", [
    (48000, 16000), (16000, 48000), (44100, 16000), (22050, 16000), (8000, 16000), (96000, 16000),
    (44100, 48000), (48000, 44100), (16000, 8000), (32000, 16000), (3000, 7000), (7000, 3000), (5000, 1000),
    (1000, 5000), (100000, 99000), (11127, 16000), (16000, 11127),
])
def test_output_length_is_ceil_of_n_times_ratio(orig_sr, target_sr):
    for n in (0, 1, 2, 3, 7, 99, 100, 101, 441, 1000):
        assert len(resample([0.25] * n, orig_sr, target_sr)) == resampled_length(n, orig_sr, target_sr) == math.ceil(
            n * target_sr / orig_sr)


def test_empty_and_silence_and_equal_rates():
    assert resample([], 44100, 16000) == []
    assert resample([0.0] * 500, 44100, 16000) == [0.0] * 182  # the polarisation identity is exact for 0
    x = [0.5, -1, 2, 3.25]
    y = resample(x, 16000, 16000)
    assert y == [0.5, -1.0, 2.0, 3.25] and y is not x and all(type(v) is float for v in y)


def test_tuple_array_and_int_samples_give_the_same_result():
    x = [round(1000 * math.sin(j / 5)) for j in range(300)]
    expected = resample([float(v) for v in x], 48000, 16000)
    assert resample(x, 48000, 16000) == expected
    assert resample(tuple(x), 48000, 16000) == expected
    assert resample(array("h", x), 48000, 16000) == expected


@pytest.mark.parametrize("orig_sr, target_sr", [
    (48000, 16000), (44100, 16000), (22050, 16000), (8000, 16000), (16000, 48000), (44100, 48000),
])
def test_zero_delay_a_sine_comes_out_at_the_same_phase(orig_sr, target_sr):
    # A 1 kHz sine resampled must equal the same sine sampled at target_sr: a shift of one input sample
    # at 48 kHz would already be an error of 0.1. The bound 1e-4 is the pass-band ripple (0.0007 dB)
    # with room to spare.
    y = resample(tone(1000.0, orig_sr, orig_sr // 10), orig_sr, target_sr)
    expected = tone(1000.0, target_sr, len(y))
    edge = len(y) // 4
    assert max(abs(a - b) for a, b in zip(y[edge:-edge], expected[edge:-edge])) < 1e-4
    amplitude, phase = fit(y, 1000.0, target_sr, edge, len(y) - 2 * edge)
    assert abs(phase - 0.3) < 1e-5 and abs(amplitude - 1.0) < 1e-4


@pytest.mark.parametrize("orig_sr", TO_16K)
def test_pass_band_tones_keep_their_amplitude_within_0_01_db(orig_sr):
    top = PASS_EDGE * min(orig_sr, 16000) / 2  # 7 kHz, or 3.5 kHz for 8 kHz input
    n = orig_sr // 5  # 0.2 s
    for freq in (100.0, 0.5 * top, 0.9 * top, top):
        y = resample(tone(freq, orig_sr, n), orig_sr, 16000)
        amplitude, _ = fit(y, freq, 16000, 800, len(y) - 1600)
        assert abs(db(amplitude)) <= 0.01, (freq, db(amplitude))


@pytest.mark.parametrize("orig_sr", [22050, 44100, 48000, 96000])
def test_stop_band_tones_are_removed_by_80_db_when_downsampling(orig_sr):
    # Whatever survives is aliased below 8 kHz; its rms over the middle of the output is the leak.
    n = orig_sr // 5
    for freq in (STOP_EDGE * 8000, 9000.0, 10000.0, 0.49 * orig_sr):
        x = tone(freq, orig_sr, n)
        y = resample(x, orig_sr, 16000)
        assert db(rms(y[800:-800]) / rms(x)) <= -STOP_DB, freq


@pytest.mark.parametrize("orig_sr, target_sr, freq", [(8000, 16000, 3500.0), (11025, 16000, 4800.0),
                                                      (16000, 48000, 7000.0), (22050, 44100, 9600.0)])
def test_images_are_removed_by_80_db_when_upsampling(orig_sr, target_sr, freq):
    # A tone at f sampled at orig_sr also looks like orig_sr - f; upsampling must not let that image in.
    # The 0.2 s fit window holds whole periods of both, so the tone does not leak into the image's fit.
    image = orig_sr - freq
    y = resample(tone(freq, orig_sr, orig_sr * 2 // 5), orig_sr, target_sr)
    start, n = target_sr // 10, target_sr // 5
    assert abs(db(fit(y, freq, target_sr, start, n)[0])) <= 0.01
    assert db(fit(y, image, target_sr, start, n)[0]) <= -STOP_DB


def test_golden_fixture_matches_soxr_vhq():
    # soxr VHQ and this resampler are both near-ideal band-limited interpolators, so on an in-band
    # signal they agree up to their own errors: measured max difference 3.5e-5 (44.1 kHz, where soxr
    # is 3.2e-5 from the exact tones and this module 4e-6), 3e-6 (48 kHz) and 7e-6 (16 -> 48 kHz).
    with open(os.path.join(FIXTURES, "resample_golden.json")) as f:
        doc = json.load(f)
    for case in doc["cases"]:
        orig_sr, target_sr = case["orig_sr"], case["target_sr"]
        x = [math.fsum(a * math.sin(2 * math.pi * f * j / orig_sr + phase) for f, a, phase in doc["tones"])
             for j in range(case["n_in"])]
        y = resample(x, orig_sr, target_sr)
        assert len(y) == case["n_out"]
        got = y[case["start"]:case["start"] + len(case["expected"])]
        assert max(abs(a - b) for a, b in zip(got, case["expected"])) < 1e-4


@pytest.mark.parametrize("orig_sr, target_sr",
                         [(44100, 16000), (96000, 16000), (16000, 48000), (44100, 48000), (11127, 16000),
                          (44056, 16000)])
def test_parity_with_soxr_on_a_longer_signal(orig_sr, target_sr):
    soxr = pytest.importorskip("soxr")
    np = pytest.importorskip("numpy")
    rng = random.Random(orig_sr + target_sr)
    top = PASS_EDGE * min(orig_sr, target_sr) / 2
    tones = [(rng.uniform(50.0, top), rng.uniform(0.01, 0.1), rng.uniform(0, 2 * math.pi)) for _ in range(20)]
    t = np.arange(orig_sr) / orig_sr  # 1 s
    x = sum(a * np.sin(2 * np.pi * f * t + phase) for f, a, phase in tones)
    expected = soxr.resample(x, orig_sr, target_sr, quality="VHQ")
    y = resample(x.tolist(), orig_sr, target_sr)
    assert len(y) == len(expected)
    middle = slice(target_sr // 10, -target_sr // 10)
    assert np.abs(np.array(y[middle]) - expected[middle]).max() < 1e-4


@pytest.mark.parametrize("orig_sr, target_sr",
                         [(r, 16000) for r in TO_16K] + [(16000, 48000), (44100, 48000)])
def test_frequency_response_meets_the_spec_at_every_frequency(orig_sr, target_sr):
    # The whole table, sorted by time, is the prototype filter h(n / up) at up * orig_sr; its spectrum
    # over a fine grid must hold the promises between the tones the other tests try.
    np = pytest.importorskip("numpy")
    g = math.gcd(orig_sr, target_sr)
    up, down = target_sr // g, orig_sr // g
    taps = np.array(_phase_table(up, down, up)[0][:up])  # (up, width); tap (p, m) sits at t = p / up + HALF - m
    prototype = taps[:, ::-1].T.ravel()  # rows m reversed, phases interleaved: increasing t
    n_fft = 1 << (len(prototype) * 16).bit_length()
    gain = np.abs(np.fft.rfft(prototype, n_fft)) / up
    freqs = np.fft.rfftfreq(n_fft, 1.0 / (up * orig_sr))
    nyquist = min(orig_sr, target_sr) / 2
    assert np.abs(20 * np.log10(gain[freqs <= PASS_EDGE * nyquist])).max() <= 0.01
    assert 20 * np.log10(gain[freqs >= STOP_EDGE * nyquist].max()) <= -STOP_DB


@pytest.mark.parametrize("orig_sr, target_sr",
                         [(48000, 16000), (44100, 16000), (16000, 48000), (8000, 16000)])
def test_an_output_reads_only_filter_half_width_input_samples_each_side(orig_sr, target_sr):
    half = filter_half_width(orig_sr, target_sr)
    j0 = 500
    x = [0.0] * 1000
    x[j0] = 1.0
    y = resample(x, orig_sr, target_sr)
    reach = [abs(k * orig_sr / target_sr - j0) for k, v in enumerate(y) if v != 0.0]
    assert max(reach) <= half and max(reach) > half - 1  # the bound is tight


def test_filter_half_width_values():
    assert filter_half_width(48000, 16000) == 83
    assert filter_half_width(44100, 16000) == 76
    assert filter_half_width(16000, 48000) == 28
    assert filter_half_width(16000, 16000) == 0


@pytest.mark.parametrize("orig_sr, target_sr", [(44100, 16000), (48000, 16000), (16000, 48000)])
def test_window_by_window_resampling_is_identical_to_whole_file(orig_sr, target_sr):
    # The recipe in filter_half_width's docstring, over four output spans.
    rng = random.Random(7)
    x = [rng.uniform(-1.0, 1.0) for _ in range(orig_sr * 3 // 10)]
    whole = resample(x, orig_sr, target_sr)
    g = math.gcd(orig_sr, target_sr)
    up, down, half = target_sr // g, orig_sr // g, filter_half_width(orig_sr, target_sr)
    span = len(whole) // 4 // up * up
    pieces = []
    for k0 in range(0, len(whole), span):
        k1 = min(k0 + span, len(whole))
        s = k0 * down // up
        a = max(0, s - -(-half // down) * down)
        b = (k1 - 1) * down // up + half + 1
        pieces += resample(x[a:b], orig_sr, target_sr)[(s - a) * up // down:][:k1 - k0]
    assert pieces == whole


def write_wav(path, channels, sr):
    frames = array("h", [round(v * 32767) for frame in zip(*channels) for v in frame])
    with wave.open(str(path), "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(frames.tobytes())


def test_load_audio_mixes_to_mono_and_resamples(tmp_path):
    path = tmp_path / "stereo.wav"
    left = tone(440.0, 44100, 4410, amplitude=0.5)
    right = tone(3000.0, 44100, 4410, phase=1.0, amplitude=0.25)
    write_wav(path, [left, right], 44100)
    y = load_audio(path)
    mono, sr = read_wav(path, mono=True)
    assert sr == 44100 and y == resample(mono, 44100, 16000) and len(y) == 1600
    # The mix of the two tones, each at half its amplitude, resampled to 16 kHz (16-bit rounding aside).
    expected = [0.5 * (a + b) for a, b in zip(tone(440.0, 16000, 1600, amplitude=0.5),
                                               tone(3000.0, 16000, 1600, phase=1.0, amplitude=0.25))]
    assert max(abs(a - b) for a, b in zip(y[200:-200], expected[200:-200])) < 1e-4
    assert len(load_audio(path, sr=8000)) == 800


@pytest.mark.parametrize("bad", [0, -16000, 16000.0, True, "16000", None])
def test_bad_rates_name_the_parameter(bad):
    with pytest.raises(AudiollmError, match="orig_sr"):
        resample([0.0], bad, 16000)
    with pytest.raises(AudiollmError, match="target_sr"):
        resample([0.0], 16000, bad)
    with pytest.raises(AudiollmError, match="orig_sr"):
        filter_half_width(bad, 16000)
    with pytest.raises(AudiollmError, match="^sr must"):
        load_audio("unused.wav", sr=bad)


@pytest.mark.parametrize("bad, message", [
    (None, "samples must be a list"), ("0.5", "samples must be a list"),
    (b"\x00\x01", "samples must be a list"), ({0.5}, "samples must be a list"),
    ([0.5, "0.5"], "real numbers"), ([1j], "real numbers"), ([None], "real numbers"),
    ([0.0, math.nan], r"samples\[1\] is nan"), ([math.inf], r"samples\[0\] is inf"),
    ([0.0, 0.0, -1e200], r"samples\[2\] is -1e\+200"),
])
def test_bad_samples_are_rejected(bad, message):
    with pytest.raises(AudiollmError, match=message):
        resample(bad, 44100, 16000)


@pytest.mark.parametrize("orig_sr, target_sr", [(1, 4000), (4, 16000), (999, 16000), (1, 10**9), (10**9, 1),
                                               (1000003, 16000), (16000, 768001)])
def test_absurd_rates_are_refused_naming_the_rate(orig_sr, target_sr):
    name, bad = ("orig_sr", orig_sr) if not 1000 <= orig_sr <= 768000 else ("target_sr", target_sr)
    with pytest.raises(AudiollmError, match=rf"^{name} must be an int from 1000 to 768000, got {bad}$"):
        resample([0.0] * 1000, orig_sr, target_sr)


LEGACY = [11127, 22254, 44056]  # old Macintosh 11127, 22254; NTSC-derived 44056 (44100/1.001): gcd 1, 2, 8


@pytest.mark.parametrize("orig_sr", LEGACY)
def test_legacy_rates_keep_a_sine_in_place_and_at_full_amplitude(orig_sr):
    # These pairs interpolate between 512 table phases (module docstring); positions stay exact.
    top = PASS_EDGE * min(orig_sr, 16000) / 2
    for freq in (1000.0, 0.5 * top, top):
        y = resample(tone(freq, orig_sr, orig_sr // 5), orig_sr, 16000)
        assert len(y) == -(-(orig_sr // 5) * 16000 // orig_sr)
        expected = tone(freq, 16000, len(y))
        assert max(abs(a - b) for a, b in zip(y[800:-800], expected[800:-800])) < 2e-4
        amplitude, phase = fit(y, freq, 16000, 800, len(y) - 1600)
        assert abs(db(amplitude)) <= 0.01 and abs(phase - 0.3) < 1e-4, freq


@pytest.mark.parametrize("orig_sr", [22254, 44056])
def test_legacy_rates_remove_the_stop_band_by_80_db(orig_sr):
    for freq in (STOP_EDGE * 8000, 10000.0, 0.49 * orig_sr):
        x = tone(freq, orig_sr, orig_sr // 5)
        assert db(rms(resample(x, orig_sr, 16000)[800:-800]) / rms(x)) <= -STOP_DB, freq


def test_legacy_rate_upsampling_removes_the_image_by_80_db():
    # 4127 Hz and its image 11127 - 4127 = 7000 Hz both make whole periods in the 1-s fit window.
    y = resample(tone(4127.0, 11127, 2 * 11127), 11127, 16000)
    assert abs(db(fit(y, 4127.0, 16000, 8000, 16000)[0])) <= 0.01
    assert db(fit(y, 7000.0, 16000, 8000, 16000)[0]) <= -STOP_DB


def test_legacy_rate_window_by_window_is_identical_to_whole_file():
    rng = random.Random(3)
    x = [rng.uniform(-1.0, 1.0) for _ in range(11127 * 3)]
    whole = resample(x, 11127, 16000)
    up, down, half = 16000, 11127, filter_half_width(11127, 16000)
    k0, k1 = 16000, 32000  # the second second: its left context starts at a multiple of down
    a = max(0, k0 * down // up - -(-half // down) * down)
    b = (k1 - 1) * down // up + half + 1
    assert resample(x[a:b], 11127, 16000)[(k0 * down // up - a) * up // down:][:k1 - k0] == whole[k0:k1]
