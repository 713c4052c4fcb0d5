import math

import pytest

from audiollm.synthetic import synth
from audiollm.base.errors import AudiollmError

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


# The corpus's generators: coloured noise, the babbling talker, instruments, environmental sounds.

def average_power(samples, sr=SR):
    """Mean power spectrum over 25-ms frames: (201,) values, bin k at k * 40 Hz."""
    from audiollm.front.stft import power_spectrum, stft
    frames = power_spectrum(stft(samples, n_fft=400, hop_length=400, window="hann", center=False))
    return [sum(column) / len(frames) for column in zip(*frames)]


def slope(power, low_hz=100.0, high_hz=5000.0):
    """Least-squares slope of log10(power) against log10(frequency) between low_hz and high_hz."""
    points = [(math.log10(k * 40.0), math.log10(p)) for k, p in enumerate(power) if low_hz <= k * 40.0 <= high_hz]
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0, 2.5])
def test_coloured_noise_power_falls_as_one_over_f_to_the_exponent(exponent):
    noise = synth.coloured_noise(2.0, exponent, seed=1)
    assert len(noise) == 32000 and in_range(noise)
    assert slope(average_power(noise)) == pytest.approx(-exponent, abs=0.25)


def test_band_passed_hiss_sits_in_its_band():
    power = average_power(synth._band(synth._rng(0), 16000, 3000.0, 400.0, SR))
    assert max(range(201), key=power.__getitem__) * 40 == pytest.approx(3000, abs=200)
    assert power[75] > 30 * power[25] and power[75] > 30 * power[150]  # 3000 Hz against 1000 and 6000 Hz


def f0_median(samples, sr=SR):
    """Median pitch of the voiced 40-ms frames, by autocorrelation (lags 2.5-12.5 ms)."""
    pitches, loud = [], max(map(abs, samples))
    for start in range(0, len(samples) - 640, 320):
        frame = samples[start:start + 640]
        if max(map(abs, frame)) < 0.3 * loud:
            continue
        lag = max(range(40, 200), key=lambda k: sum(a * b for a, b in zip(frame, frame[k:])))
        pitches.append(sr / lag)
    return sorted(pitches)[len(pitches) // 2]


def test_speech_is_seeded_and_fills_its_duration():
    x = synth.speech(1.5, seed=4, amplitude=0.6)
    assert len(x) == 24000 and in_range(x) and max(map(abs, x)) == pytest.approx(0.6)
    assert x == synth.speech(1.5, seed=4, amplitude=0.6) and x != synth.speech(1.5, seed=5, amplitude=0.6)
    quiet = [rms(x[i:i + 160]) < 0.002 for i in range(0, len(x), 160)]
    longest = max(len(run) for run in "".join(".x"[q] for q in quiet).split("."))  # silent 10-ms frames in a row
    assert longest < 20  # no pause of 0.2 s inside an utterance


def rms(samples):
    return math.sqrt(sum(v * v for v in samples) / len(samples))


def test_excited_speech_is_higher_than_calm():
    calm = f0_median(synth.speech(2.0, f0_hz=120.0, prosody="calm", seed=1))
    excited = f0_median(synth.speech(2.0, f0_hz=120.0, prosody="excited", seed=1))
    assert 95.0 < calm < 150.0
    assert excited > 1.15 * calm


def test_speech_has_fricatives_and_formant_scale_moves_the_spectrum():
    power = average_power(synth.speech(2.0, formant_scale=1.0, seed=2))
    high = sum(power[100:]) / sum(power)  # share of power above 4 kHz: the consonants' hiss
    assert high > 10 * sum(average_power(synth.vowel("a", (120.0,), 1.0))[100:]) / sum(
        average_power(synth.vowel("a", (120.0,), 1.0)))

    def centroid(p):
        return sum(k * v for k, v in enumerate(p[:100])) / sum(p[:100])
    small = centroid(average_power(synth.speech(2.0, formant_scale=1.3, seed=2)))
    large = centroid(average_power(synth.speech(2.0, formant_scale=0.9, seed=2)))
    assert small > 1.15 * large


def test_speech_vowels_have_a_fourth_formant():
    assert all(len(f) == 4 and f[3] == synth.F4_HZ for f in synth.VOWELS_HZ.values())
    assert set(synth.FORMANTS_HZ) < set(synth.VOWELS_HZ) and len(synth.VOWELS_HZ) == 12


def test_a_minor_chord_has_its_third_three_semitones_up():
    root = synth.note_hz("A3")
    for quality, third in (("minor", 3), ("major", 4)):
        notes = [(0.0, synth.interval_hz(root, s), 0.5) for s in synth.CHORD_SEMITONES[quality]]
        x = synth.play("flute", notes, 0.5)
        played, other = synth.interval_hz(root, third), synth.interval_hz(root, 7 - third)
        assert power_at(x, played) > 30 * power_at(x, other), quality


def test_plain_waves_come_raw_or_band_limited():
    squares = [synth.play("square", [(0.0, 440.0, 0.5)], 0.5, seed=seed, amplitude=0.5) for seed in range(6)]
    raw = [x for x in squares if {round(v, 9) for v in x[2000:6000]} == {0.5, -0.5}]  # two values: aliased
    assert 0 < len(raw) < len(squares)  # the seed decides, as in play()'s docstring
    saw = synth._plain("sawtooth", 1100.0, 8000, SR)
    assert power_at(saw, 16000 - 8800) > 1e-5  # the raw 8th harmonic (8.8 kHz) folds back to 7.2 kHz
    clean = synth._plain("sawtooth", 1100.0, 8000, SR, band_limited=True)
    assert power_at(clean, 7700.0) > 1e-5 and power_at(clean, 16000 - 8800) < 1e-7  # the 7th, and no fold
    triangle = synth._plain("triangle", 200.0, 8000, SR, band_limited=True)
    assert power_at(triangle, 600.0) == pytest.approx(power_at(triangle, 200.0) / 81, rel=0.05)  # 1/k**2, k = 3
    assert power_at(triangle, 400.0) < 1e-9  # odd harmonics only


def test_plucked_and_struck_notes_die_away_sustained_ones_do_not():
    def level(x, a, b):
        return rms(x[round(a * SR):round(b * SR)])
    for instrument in ("pluck", "piano", "bell"):
        x = synth.play(instrument, [(0.0, 220.0, 2.0)], 2.0, seed=1)
        assert level(x, 1.6, 1.9) < 0.5 * level(x, 0.05, 0.35), instrument
    organ = synth.play("organ", [(0.0, 220.0, 2.0)], 2.0)
    assert level(organ, 1.6, 1.9) == pytest.approx(level(organ, 0.05, 0.35), rel=0.05)


def test_pluck_rings_at_its_pitch():
    x = synth.play("pluck", [(0.0, 200.0, 1.0)], 1.0, seed=3)
    assert power_at(x[:8000], 200.0) > 10 * power_at(x[:8000], 300.0)


@pytest.mark.parametrize("name", sorted(synth.SOUNDS))
def test_sounds_are_seeded_in_range_and_vary(name):
    a = synth.sound(name, 0.6, seed=3, amplitude=0.8)
    assert len(a) == 9600 and in_range(a) and 0.6 < max(map(abs, a)) <= 0.8 + 1e-12
    assert a == synth.sound(name, 0.6, seed=3, amplitude=0.8)
    assert a != synth.sound(name, 0.6, seed=4, amplitude=0.8)


def test_siren_sweeps_up_and_down():
    x = synth.sound("siren", 4.0, seed=0)
    rates = [sum(1 for a, b in zip(x[i:i + 1600], x[i + 1:i + 1600]) if a < 0.0 <= b) * 10
             for i in range(0, len(x) - 1600, 1600)]  # rising zero crossings per second, per 0.1 s
    assert max(rates) > 1.3 * min(rates)
    assert any(a < b for a, b in zip(rates, rates[1:])) and any(a > b for a, b in zip(rates, rates[1:]))


def test_hum_is_periodic_and_hiss_is_not():
    def periodicity(x):  # best normalised autocorrelation at lags of 4-25 ms
        x = x[4000:8000]
        energy = sum(v * v for v in x)
        return max(sum(a * b for a, b in zip(x, x[k:])) / energy for k in range(64, 400, 2))
    assert periodicity(synth.sound("hum", 1.0, seed=1)) > 0.8
    assert periodicity(synth.sound("hiss", 1.0, seed=1)) < 0.5


def test_mu_law_keeps_quiet_samples_and_adds_noise_that_follows_the_signal():
    x = [0.0, 0.001, -0.5, 0.9]
    y = synth.mu_law(x)
    assert y[0] == 0.0 and abs(y[1] - 0.001) < 0.0002 and abs(y[2] + 0.5) < 0.02 and abs(y[3] - 0.9) < 0.03
    assert len(set(synth.mu_law([i / 1000 - 1 for i in range(2000)]))) <= 255


@pytest.mark.parametrize(
    "call, parameter",
    [
        (lambda: synth.coloured_noise(1.0, exponent=5.0), "exponent"),
        (lambda: synth.speech(1.0, f0_hz=10.0), "f0_hz"),
        (lambda: synth.speech(1.0, formant_scale=3.0), "formant_scale"),
        (lambda: synth.speech(1.0, rate=0.0), "rate"),
        (lambda: synth.speech(1.0, prosody="angry"), "prosody"),
        (lambda: synth.speech(1.0, seed="x"), "seed"),
        (lambda: synth.play("kazoo", [(0.0, 440.0, 1.0)], 1.0), "instrument"),
        (lambda: synth.play("organ", [], 1.0), "notes"),
        (lambda: synth.play("organ", [(0.0, 9000.0, 1.0)], 1.0), "notes"),
        (lambda: synth.play("organ", [(0.0, 440.0, 1.0)], -1.0), "duration_s"),
        (lambda: synth.sound("thunder", 1.0), "name"),
        (lambda: synth.sound("rain", 1.0, amplitude=2.0), "amplitude"),
        (lambda: synth.mu_law("loud"), "samples"),
        (lambda: synth.interval_hz(-440.0, 3), "root_hz"),
        (lambda: synth.interval_hz(440.0, "3"), "semitones"),
    ],
)
def test_new_generators_name_bad_arguments(call, parameter):
    with pytest.raises(AudiollmError, match=parameter):
        call()


def test_call_tones_sound_at_their_network_frequencies():
    x = synth.sound("tone", 1.0, seed=2)
    freqs = next(f for f, _ in synth.CALL_TONES.values() if power_at(x[:8000], f[0]) > 1e-3)
    assert all(power_at(x[:8000], f) > 30 * power_at(x[:8000], f * 1.3) for f in freqs)


def test_beeps_are_a_tone_that_stops_and_starts():
    x = synth.sound("beep", 2.0, seed=5)
    levels = [max(map(abs, x[i:i + 160])) for i in range(0, len(x), 160)]  # peak per 10 ms
    assert max(levels) > 0.4 and sum(v < 0.01 for v in levels) > 10  # gaps between the beeps


def test_piano_partials_are_sharp_of_the_harmonics_and_die_high_ones_first():
    x = synth.play("piano", [(0.0, 110.0, 2.0)], 2.0, seed=1)
    stretched = 8 * 110.0 * math.sqrt(1 + 3e-4 * 64)  # partial 8 with a mid-range stiffness
    assert power_at(x[:16000], stretched) > power_at(x[:16000], 8 * 110.0)
    early, late = x[:3200], x[-3200:]
    assert power_at(early, 110.0) / power_at(early, 440.0) < power_at(late, 110.0) / power_at(late, 440.0)


def test_a_bowed_string_has_vibrato_and_a_slow_attack():
    x = synth.play("string", [(0.0, 440.0, 2.0)], 2.0, seed=4)
    rates = [sum(1 for a, b in zip(x[i:i + 800], x[i + 1:i + 800]) if a < 0.0 <= b) * 20
             for i in range(4000, len(x) - 800, 800)]  # rising zero crossings per second, per 50 ms
    assert max(rates) - min(rates) >= 20  # the pitch moves by more than one crossing in 50 ms
    assert max(map(abs, x[:400])) < 0.5 * max(map(abs, x[8000:8400]))  # the bow takes its time


def test_the_drum_kit_plays_the_general_midi_keys():
    kick = synth.play("drums", [(0.0, synth.key_hz(36), 0.4)], 0.4, seed=1)
    hat = synth.play("drums", [(0.0, synth.key_hz(42), 0.4)], 0.4, seed=1)
    assert synth.key_hz(69) == 440.0
    assert power_at(kick[:1600], 60.0) > 100 * power_at(kick[:1600], 6000.0)
    assert power_at(hat[:800], 7000.0) > 10 * power_at(hat[:800], 60.0)


def test_speech_tilt_dulls_the_voice_and_jitter_roughens_it():
    plain = synth.speech(1.0, seed=3)
    dull = synth.speech(1.0, seed=3, tilt=0.8)
    assert plain == synth.speech(1.0, seed=3, tilt=0.0, jitter=0.0)  # the defaults change nothing
    def highs(x):
        return sum((b - a) ** 2 for a, b in zip(x, x[1:])) / sum(v * v for v in x)
    assert highs(dull) < 0.8 * highs(plain)  # (the fricatives, added after the source, keep their hiss)
    assert synth.speech(1.0, seed=3, jitter=0.05) != plain
    with pytest.raises(AudiollmError, match="tilt"):
        synth.speech(1.0, tilt=1.0)


@pytest.mark.parametrize("name", sorted(synth.INSTRUMENTS))
def test_instruments_are_seeded_in_range_and_sound(name):
    notes = [(0.0, 220.0, 0.4), (0.2, synth.key_hz(38), 0.4)] if name == "drums" else [(0.0, 220.0, 0.6)]
    a = synth.play(name, notes, 0.6, seed=3, amplitude=0.8)
    assert len(a) == 9600 and in_range(a) and max(map(abs, a)) == pytest.approx(0.8)
    assert a == synth.play(name, notes, 0.6, seed=3, amplitude=0.8)
