import math

import pytest

from audiollm import synth
from audiollm.errors import AudiollmError

SR = 16000


def power_at(samples, freq_hz, sr=SR):
    """|DFT|^2 / n^2 of `samples` at one frequency: a one-bin Fourier transform."""
    step = 2 * math.pi * freq_hz / sr
    re = sum(v * math.cos(step * i) for i, v in enumerate(samples))
    im = sum(v * math.sin(step * i) for i, v in enumerate(samples))
    return (re * re + im * im) / len(samples) ** 2


def in_range(samples):
    return -1.0 <= min(samples) and max(samples) < 1.0


@pytest.fixture(scope="module")
def scene():
    return synth.lesson_scene()


@pytest.fixture(scope="module")
def dialogue():
    return synth.two_speaker_dialogue()


def test_note_names_follow_equal_temperament():
    assert synth.note_hz("A4") == 440.0
    assert synth.note_hz("A5") == 880.0
    assert synth.note_hz("C4") == pytest.approx(261.6256, abs=1e-4)
    assert synth.note_hz("F#3") == pytest.approx(184.9972, abs=1e-4)
    assert synth.note_hz("Bb2") == synth.note_hz("A#2")


@pytest.mark.parametrize("name", ["H4", "A", "", "C#", "Dx4", 440, "C99999999"])
def test_bad_note_names_are_refused(name):
    with pytest.raises(AudiollmError, match="note"):
        synth.note_hz(name)


def test_tone_length_peak_and_frequency():
    x = synth.tone(1000.0, 0.25, amplitude=0.5)
    assert len(x) == 4000
    assert max(x) == pytest.approx(0.5, abs=1e-3)
    assert power_at(x[:1600], 1000.0) > 1000 * power_at(x[:1600], 1100.0)


def test_chord_energy_sits_on_the_notes():
    x = synth.chord(["C4", "E4", 392.0], 0.5, timbre="sine", amplitude=0.6)
    assert len(x) == 8000 and in_range(x)
    on = [power_at(x, synth.note_hz(n)) for n in ("C4", "E4", "G4")]
    off = [power_at(x, f) for f in (230.0, 300.0, 360.0, 450.0, 523.25)]
    assert min(on) > 100 * max(off)


def test_clarinet_has_odd_harmonics_only():
    x = synth.chord([200.0], 0.5, timbre="clarinet")
    assert power_at(x, 600.0) > 100 * power_at(x, 400.0)
    assert power_at(x, 1000.0) > 100 * power_at(x, 800.0)


def test_harmonics_above_nyquist_are_dropped():
    x = synth.chord([3000.0], 0.25, timbre="string")  # harmonic 3 = 9000 Hz is above 8000 Hz
    assert power_at(x, 6000.0) > 1e-4
    assert power_at(x, 16000.0 - 9000.0) < 1e-7  # where an aliased 9 kHz would fold to


@pytest.mark.parametrize("name", sorted(synth.FORMANTS_HZ))
def test_vowel_loudest_harmonic_is_at_its_first_formant(name):
    x = synth.vowel(name, (100.0,), 0.5)
    harmonics = range(200, 1100, 100)
    loudest = max(harmonics, key=lambda h: power_at(x, h))
    assert abs(loudest - synth.FORMANTS_HZ[name][0]) <= 50


def test_vowel_follows_its_pitch_contour():
    x = synth.vowel("a", (100.0, 100.0, 200.0, 200.0), 1.5)
    first, last = x[:7000], x[-7000:]
    assert power_at(first, 100.0) > 30 * power_at(last, 100.0)
    assert power_at(last, 200.0) > 30 * power_at(last, 300.0)


def test_formant_scale_raises_the_formants():
    x = synth.vowel("a", (100.0,), 0.5, formant_scale=1.25)  # F1 768 -> 960 Hz
    assert power_at(x, 1000.0) > power_at(x, 800.0)


def test_siren_sweeps_around_its_centre():
    x = synth.noise_event("siren", synth.SIREN_PERIOD_S)
    crossings = sum(1 for a, b in zip(x, x[1:]) if a < 0.0 <= b)
    assert crossings / synth.SIREN_PERIOD_S == pytest.approx(sum(synth.SIREN_HZ) / 2, rel=0.02)


def test_rain_is_brighter_than_knocks():
    def brightness(x):  # mean |first difference| / mean |x|: high for hiss, low for a thud
        return sum(abs(b - a) for a, b in zip(x, x[1:])) / sum(map(abs, x))

    rain, knock = synth.noise_event("rain", 1.0), synth.noise_event("knock", 1.0)
    assert brightness(rain) > 2 * brightness(knock)


@pytest.mark.parametrize("kind", synth.NOISE_KINDS)
def test_noise_events_are_seeded_and_in_range(kind):
    a = synth.noise_event(kind, 0.5, seed=3, amplitude=0.8)
    assert len(a) == 8000 and in_range(a) and 0.6 < max(map(abs, a)) <= 0.8
    assert a == synth.noise_event(kind, 0.5, seed=3, amplitude=0.8)


def test_lesson_scene_shape_range_and_segments(scene):
    samples, segments = scene
    assert len(samples) == 10 * SR and in_range(samples)
    assert [name for name, _, _ in segments] == ["speech", "music", "environment"]
    assert segments[0][1] == 0.0 and segments[-1][2] == 10.0
    for (_, _, end), (_, start, _) in zip(segments, segments[1:]):
        assert end == start
    for name, start, end in segments:
        part = samples[round(start * SR): round(end * SR)]
        assert math.sqrt(sum(v * v for v in part) / len(part)) > 0.02, name


def test_lesson_scene_music_part_peaks_at_the_chord_notes(scene):
    samples, segments = scene
    start = dict((name, s) for name, s, _ in segments)["music"]
    part = samples[round((start + 1.0) * SR): round((start + 1.5) * SR)]
    on = [power_at(part, synth.note_hz(n)) for n in ("C4", "E4", "G4")]
    off = [power_at(part, f) for f in (230.0, 300.0, 360.0, 450.0)]
    assert min(on) > 100 * max(off)


def test_lesson_scene_is_deterministic(scene):
    assert synth.lesson_scene(0)[0] == scene[0]
    assert synth.lesson_scene(1)[0] != scene[0]


def test_dialogue_turns_alternate_with_silent_pauses(dialogue):
    samples, turns = dialogue
    assert in_range(samples)
    assert [speaker for _, _, speaker in turns] == ["A", "B"] * 5
    assert 14.0 < len(samples) / SR < 26.0
    for (_, end, _), (start, _, _) in zip(turns, turns[1:]):
        assert start - end >= 0.3
        assert not any(samples[round(end * SR): round(start * SR)])
    for start, end, _ in turns:
        assert max(map(abs, samples[round(start * SR): round(end * SR)])) > 0.2


def test_dialogue_is_deterministic():
    samples, turns = synth.two_speaker_dialogue(seed=2, n_turns=3)
    assert [speaker for _, _, speaker in turns] == ["A", "B", "A"]
    assert synth.two_speaker_dialogue(seed=2, n_turns=3) == (samples, turns)
    assert synth.two_speaker_dialogue(seed=5, n_turns=3)[0] != samples


@pytest.mark.parametrize(
    "call, parameter",
    [
        (lambda: synth.tone(9000.0, 1.0), "freq_hz"),
        (lambda: synth.tone(440.0, -1.0), "duration_s"),
        (lambda: synth.tone(440.0, float("nan")), "duration_s"),
        (lambda: synth.tone(440.0, 1e9), "duration_s"),
        (lambda: synth.tone(440.0, 1.0, amplitude=1.0), "amplitude"),
        (lambda: synth.tone(440.0, 1.0, sr=44100.0), "sr"),
        (lambda: synth.chord([], 1.0), "notes"),
        (lambda: synth.chord(["C4"], 1.0, timbre="kazoo"), "timbre"),
        (lambda: synth.chord(["C4"], 1.0, timbre=5), "timbre"),
        (lambda: synth.chord(["C4"], 1.0, timbre=(1.0,) * 65), "timbre"),
        (lambda: synth.chord([float("inf")], 1.0), "notes"),
        (lambda: synth.vowel("y", (100.0,), 1.0), "formants"),
        (lambda: synth.vowel("a", (), 1.0), "pitch_contour"),
        (lambda: synth.vowel("a", (0.0,), 1.0), "pitch_contour"),
        (lambda: synth.noise_event("thunder", 1.0), "kind"),
        (lambda: synth.two_speaker_dialogue(n_turns=0), "n_turns"),
        (lambda: synth.two_speaker_dialogue(seed=None), "seed"),
        (lambda: synth.noise_event("rain", 1.0, seed=[1]), "seed"),
        (lambda: synth.lesson_scene(seed=1.5), "seed"),
        (lambda: synth.vowel(5, (100.0,), 1.0), "formants"),
        (lambda: synth.vowel("a", 100.0, 1.0), "pitch_contour"),
        (lambda: synth.chord(261.6, 1.0), "notes"),
    ],
)
def test_bad_arguments_name_the_parameter(call, parameter):
    with pytest.raises(AudiollmError, match=parameter):
        call()
