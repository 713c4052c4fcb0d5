"""Mel scale, filter bank (librosa), Whisper's log-Mel (whisper) and its literal version, padding and long-audio
windows."""
import inspect
import math
import pathlib
import re
import struct
import warnings

import pytest

from audiollm.base.errors import AudiollmError
from audiollm.front.mel import (HOP_LENGTH, N_FRAMES, N_SAMPLES, SAMPLE_RATE, fft_frequencies, filter_power,
                                hz_to_mel, log10_mel, log1p_mel, log_mel_literal, log_mel_spectrogram,
                                log_mel_windows, mel_filters, mel_frequencies, mel_to_hz, melspectrogram,
                                pad_or_trim, read_window, time_major_log)
from audiollm.front.stft import power_columns
from audiollm.front.resample import load_audio
from audiollm.front.wav import open_wav, read_wav, write_wav

AUDIO = pathlib.Path(__file__).parent / "fixtures" / "audio"


def test_mel_scales_known_values():
    assert hz_to_mel(1000.0) == pytest.approx(15.0)  # Slaney: linear to 1 kHz at 3 mels per 200 Hz
    assert hz_to_mel(200.0) == pytest.approx(3.0)
    assert hz_to_mel(6400.0) == pytest.approx(15.0 + 27.0)  # then 27 mels per factor 6.4
    assert hz_to_mel(1000.0, htk=True) == pytest.approx(1000.0, abs=0.05)  # HTK: 2595 log10(1 + f/700)
    freqs = [0.0, 55.0, 999.0, 1000.0, 4000.0, 8000.0]
    for htk in (False, True):
        assert mel_to_hz(hz_to_mel(freqs, htk), htk) == pytest.approx(freqs, rel=1e-12, abs=1e-9)


def test_filters_equal_librosa_golden(frontend_golden):
    for case in frontend_golden["mel_filters"]:
        weights = mel_filters(**case["args"])
        assert [len(weights), len(weights[0])] == case["shape"]
        want = {(r, c): v for r, c, v in case["nonzero"]}
        err = max(abs(weights[r][c] - want.get((r, c), 0.0)) for r in range(len(weights)) for c in range(len(weights[0])))
        assert err < 1e-6, case["args"]


def test_empty_filter_warning_like_librosa():
    with pytest.warns(UserWarning, match="Empty filters"):
        mel_filters(16000, 400, n_mels=200)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mel_filters(16000, 400, n_mels=80)


def test_filter_norms():
    peak = mel_filters(16000, 400, n_mels=40, norm=None)
    assert max(max(row) for row in peak) <= 1.0
    unit = mel_filters(16000, 400, n_mels=40, norm=2)
    assert all(math.isclose(math.sqrt(sum(w * w for w in row)), 1.0) for row in unit)


@pytest.mark.parametrize("clip", ["speech", "music", "noise"])
@pytest.mark.parametrize("n_mels", [80, 128])
def test_log_mel_equals_whisper_golden(frontend_golden, clip, n_mels):
    golden = frontend_golden["log_mel"]
    ref = golden["clips"][clip]
    samples, sr = read_wav(AUDIO / f"{clip}.wav")
    assert sr == 16000
    got = log_mel_spectrogram(samples, n_mels=n_mels)
    assert (len(got), len(got[0])) == (ref["n_frames"], n_mels)
    want = ref[str(n_mels)]
    got = got[:: golden["frame_stride"]]
    assert len(got) == len(want)
    assert max(abs(g - w) for gr, wr in zip(got, want) for g, w in zip(gr, wr)) < 1e-4


@pytest.mark.parametrize("clip, n_mels", [("speech", 80), ("music", 128)])
def test_fast_log_mel_equals_the_literal_one(clip, n_mels):
    """log_mel_spectrogram (frequency-major, sparse filters, batched FFTs) = log_mel_literal; measured 7e-14."""
    samples, _ = read_wav(AUDIO / f"{clip}.wav")
    literal = log_mel_literal(samples, n_mels)
    fast = log_mel_spectrogram(samples, n_mels)
    assert (len(fast), len(fast[0])) == (len(literal), n_mels) == (len(samples) // HOP_LENGTH, n_mels)
    assert max(abs(a - b) for ra, rb in zip(literal, fast) for a, b in zip(ra, rb)) < 1e-9


def test_fast_log_mel_equals_the_literal_one_where_frames_pair_loud_with_quiet():
    """Two frames share one FFT in the fast path: a quiet frame next to a loud one, then trailing silence."""
    loud = [0.9 * math.sin(t * 0.7) for t in range(HOP_LENGTH)]
    quiet = [1e-4 * math.sin(t * 1.3) for t in range(HOP_LENGTH)]
    samples = (loud + quiet) * 10 + [0.0] * 1000
    literal, fast = log_mel_literal(samples), log_mel_spectrogram(samples)
    assert max(abs(a - b) for ra, rb in zip(literal, fast) for a, b in zip(ra, rb)) < 1e-9


def test_the_stages_main_py_times_one_by_one_are_log_mel_spectrogram():
    """main.py's arc calls Whisper's three lines on their own: power STFT, filters @ power, log compression."""
    samples, _ = read_wav(AUDIO / "speech.wav")
    power = power_columns(samples, 400, HOP_LENGTH)  # frequency-major, (201, n_frames + 1)
    mel = filter_power(power, 128)
    assert (len(power), len(power[0]), len(mel), len(mel[0])) == (201, len(samples) // HOP_LENGTH + 1, 128,
                                                                   len(samples) // HOP_LENGTH)
    assert time_major_log(mel) == log_mel_spectrogram(samples, 128)


def test_log10_mel_is_whispers_compression():
    assert log10_mel([[1.0, 1e-12], [100.0, 0.0]]) == [[1.0, -0.5], [1.5, -0.5]]  # floor: log10(100) - 8 = -6
    assert log10_mel([[1e-3]]) == [[0.25]]  # (-3 + 4) / 4: one value is its own maximum


def test_load_audio_resamples_to_whispers_rate_by_default():
    assert inspect.signature(load_audio).parameters["sr"].default == SAMPLE_RATE


def test_log_mel_accepts_a_path_and_gives_whisper_shape_for_30_s():
    frames = log_mel_spectrogram(str(AUDIO / "speech.wav"), padding=N_SAMPLES - 32000)
    assert (len(frames), len(frames[0])) == (N_FRAMES, 80) == (3000, 80)
    # Whisper's scale: everything within [max - 2, max] after (x + 4) / 4, the padding at the floor.
    top = max(map(max, frames))
    assert min(map(min, frames)) == pytest.approx(top - 2.0)
    assert frames[-1] == [pytest.approx(top - 2.0)] * 80


def test_log1p_is_the_lessons_compression():
    mel = melspectrogram([math.sin(t / 3) for t in range(1600)])
    assert len(mel) == 11 and len(mel[0]) == 80
    assert log1p_mel(mel)[3][5] == pytest.approx(math.log1p(mel[3][5]))


def test_melspectrogram_power_one_is_magnitude_mel():
    x = [math.sin(t / 3) for t in range(1600)]
    power = melspectrogram(x, n_mels=20)
    magnitude = melspectrogram(x, n_mels=20, power=1.0)
    assert magnitude != power and all(m >= 0 for row in magnitude for m in row)


def test_pad_or_trim():
    assert pad_or_trim([1.0, 2.0], 4) == [1.0, 2.0, 0.0, 0.0]
    assert pad_or_trim([1.0, 2.0, 3.0], 2) == [1.0, 2.0]
    assert len(pad_or_trim([0.5] * 10)) == N_SAMPLES


@pytest.mark.parametrize("call, name", [
    (lambda: log_mel_spectrogram([0.1] * 1000, n_mels=0), "n_mels"),
    (lambda: log_mel_spectrogram([0.1] * 1000, padding=-1), "padding"),
    (lambda: log_mel_spectrogram([0.1] * 100), "audio"),
    (lambda: mel_filters(16000, 400, fmin=9000.0), "fmin"),
    (lambda: mel_filters(16000, 400, norm="l2"), "norm"),
    (lambda: mel_filters(0, 400), "sr"),
    (lambda: melspectrogram([0.1] * 1000, power=0), "power"),
    (lambda: pad_or_trim([0.1], length=-5), "length"),
    (lambda: list(log_mel_windows(AUDIO / "speech.wav", window_s=0.005)), "window_s"),
    (lambda: list(log_mel_windows(AUDIO / "speech.wav", window_s=-1)), "window_s"),
])
def test_bad_arguments_are_named(call, name):
    with pytest.raises(AudiollmError, match=name):
        call()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(AudiollmError, match="no such file|not found|does not exist"):
        log_mel_spectrogram(str(tmp_path / "nope.wav"))


def test_windows_equal_per_window_log_mel_at_another_rate(tmp_path):
    from audiollm.front.resample import resample, resampled_length
    x = [0.3 * math.sin(2 * math.pi * 330 * t / 22050) + 0.01 * ((t * 7919) % 13 - 6) for t in range(int(22050 * 2.5))]
    path = tmp_path / "long.wav"
    write_wav(path, x, 22050, bits=16)
    whole = resample(read_wav(path)[0], 22050, 16000)
    windows = list(log_mel_windows(path, window_s=1.0))
    assert [len(w) for w in windows] == [100, 100, 100]
    assert windows == [log_mel_spectrogram(pad_or_trim(whole[i:i + 16000], 16000)) for i in (0, 16000, 32000)]
    with open_wav(path) as reader:  # main.py reads window k on its own
        assert read_window(reader, 2, 16000) == whole[32000:] and len(whole) == resampled_length(reader.n_frames, reader.sample_rate) == 40000


def test_windows_read_the_file_one_window_at_a_time(tmp_path, monkeypatch):
    """Memory stays one window however long the file: no read asks for more than a window plus filter context.

    (The peak-RSS comparison of a 10-minute and a 30-second file is a row of code/bench.py.)
    """
    from audiollm.front import wav
    path = tmp_path / "long.wav"
    write_wav(path, [0.1 * math.sin(t / 5) for t in range(48000 * 3)], 48000)
    sizes = []
    read = wav.WavReader.read
    monkeypatch.setattr(wav.WavReader, "read", lambda self, n, mono=True: sizes.append(n) or read(self, n, mono))
    assert len(list(log_mel_windows(path, window_s=0.5))) == 6
    assert max(sizes) <= 48000 * 0.5 + 2 * 90


def test_live_whisper_and_librosa_parity():
    whisper = pytest.importorskip("whisper")
    librosa = pytest.importorskip("librosa")
    import numpy as np
    samples, _ = read_wav(AUDIO / "music.wav")
    ref = whisper.log_mel_spectrogram(np.array(samples, dtype=np.float32), n_mels=128).numpy().T
    assert np.abs(np.array(log_mel_spectrogram(samples, n_mels=128)) - ref).max() < 1e-4
    assert np.abs(np.array(mel_filters(22050, 2048, 128)) - librosa.filters.mel(sr=22050, n_fft=2048)).max() < 1e-6
    ref = librosa.feature.melspectrogram(y=np.array(samples), sr=16000, n_fft=400, hop_length=HOP_LENGTH, n_mels=80,
                                         pad_mode="reflect").T
    got = np.array(melspectrogram(samples))
    assert np.abs(got - ref).max() <= 1e-6 * ref.max()  # librosa keeps its filter bank in float32


@pytest.mark.parametrize("call, name", [
    (lambda: hz_to_mel(None), "frequencies"),
    (lambda: hz_to_mel("abc"), "frequencies"),
    (lambda: mel_to_hz(1e12), "mels"),
    (lambda: fft_frequencies(None, 400), "sr"),
    (lambda: fft_frequencies(16000, 10 ** 12), "n_fft"),
    (lambda: mel_frequencies(n_mels=10 ** 12), "n_mels"),
    (lambda: mel_frequencies(fmin=None), "fmin"),
    (lambda: mel_filters(16000, 400, fmax="abc"), "fmax"),
    (lambda: melspectrogram([0.1] * 1600, power=10 ** 12), "power"),
    (lambda: log1p_mel(None), "mel"),
    (lambda: log10_mel(None), "mel"),
    (lambda: log10_mel([]), "mel"),
    (lambda: log_mel_literal(None), "samples"),
    (lambda: log_mel_literal([0.1] * 1600, n_mels=0), "n_mels"),
    (lambda: pad_or_trim(None), "samples"),
    (lambda: pad_or_trim([0.0], length=10 ** 12), "length"),
    (lambda: log_mel_spectrogram(None), "audio"),
    (lambda: log_mel_spectrogram([0.1] * 1600, padding=10 ** 12), "padding"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(AudiollmError, match=name):
        call()


@pytest.mark.parametrize("window_s", [math.inf, 10 ** 12])
def test_log_mel_windows_refuses_endless_windows(tmp_path, window_s):
    path = tmp_path / "a.wav"
    write_wav(path, [0.0] * 1600, 16000)
    with pytest.raises(AudiollmError, match="window_s"):
        next(log_mel_windows(path, window_s=window_s))


def test_huge_samples_are_refused_the_same_way_as_samples_and_as_a_file(tmp_path):
    # Above about 1e152 the power |X|^2 overflows and every log-Mel value was +inf; now both doors refuse.
    loud = [1e200 * math.sin(t / 3) for t in range(1600)]
    with pytest.raises(AudiollmError, match=r"^audio\[1\] is 3\.27\d+e\+199; samples must be finite and within"):
        log_mel_spectrogram(loud)
    path = tmp_path / "loud.wav"
    write_wav(path, [0.5] * 1600, 16000, bits="float32")
    data = bytearray(path.read_bytes())
    data[-4:] = struct.pack("<f", math.inf)  # the last float32 sample: float WAVs can hold infinity
    path.write_bytes(bytes(data))
    with pytest.raises(AudiollmError, match=rf"^{re.escape(str(path))}: samples\[1599\] is inf; samples must be"):
        log_mel_spectrogram(str(path))


def test_melspectrogram_refuses_power_that_overflows():
    with pytest.raises(AudiollmError, match=r"^samples: \|STFT\|\^4 overflows floats \(samples up to 1e\+80\)"):
        melspectrogram([1e80, -1e80] * 800, power=4.0)
    with pytest.raises(AudiollmError, match=r"^samples: \|STFT\|\^3 overflows floats"):
        melspectrogram([1e110, -1e110] * 800, power=3.0)


@pytest.mark.parametrize("audio", [[[0.1, 0.2]] * 800, [[0.1] * 800, [0.2] * 800]])
def test_stereo_audio_is_named_two_dimensional(audio):
    with pytest.raises(AudiollmError, match=r"^audio looks two-dimensional \(\d+ rows, the first of \d+ values\)"):
        log_mel_spectrogram(audio)
    with pytest.raises(AudiollmError, match=r"^samples looks two-dimensional"):
        pad_or_trim(audio)


def test_n_mels_errors_name_the_value_passed():
    with pytest.raises(AudiollmError, match=r"^n_mels must be an int from 1 to 4096, got 4097$"):
        mel_filters(16000, 400, n_mels=4097)
    with pytest.raises(AudiollmError, match=r"^n_mels must be an int from 1 to 4096, got 65535$"):
        log_mel_spectrogram([0.1] * 1600, n_mels=65535)
    message = r"^n_mels: 4096 filters of 2049 FFT bins is more than 8388608 weights; use fewer mels"
    with pytest.raises(AudiollmError, match=message):
        mel_filters(16000, 4096, n_mels=4096)
