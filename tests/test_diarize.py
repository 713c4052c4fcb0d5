import itertools
import math
import pathlib
import random

import pytest

from audiollm.diarize import Turn, der, diarize, format_turns, to_rttm
from audiollm import synth
from audiollm.errors import AudiollmError, AudioFormatError

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
SR = 16000


@pytest.fixture(scope="module")
def dialogue():
    samples, turns = synth.two_speaker_dialogue()
    return samples, turns, diarize(samples)


def brute_force_der(reference, hypothesis, collar, step=0.01):
    """DER on a grid of `step`-second cells with every speaker mapping tried: slow but obviously right."""
    end = max(t[1] for t in reference + hypothesis) + 1.0
    edges = {x for t in reference for x in t[:2]}
    cells = []
    for k in range(round(end / step)):
        middle = (k + 0.5) * step
        if any(abs(middle - e) < collar for e in edges):
            continue
        ref = {s for a, b, s in reference if a <= middle < b}
        hyp = {s for a, b, s in hypothesis if a <= middle < b}
        cells.append((ref, hyp))
    ref_names = sorted({t[2] for t in reference})
    hyp_names = sorted({t[2] for t in hypothesis}) + [None] * len(ref_names)
    total = sum(len(ref) for ref, _ in cells)
    best = math.inf
    for chosen in itertools.permutations(hyp_names, len(ref_names)):
        mapping = dict(zip(ref_names, chosen))
        errors = 0
        for ref, hyp in cells:
            correct = sum(1 for r in ref if mapping[r] in hyp)
            errors += max(len(ref), len(hyp)) - correct
        best = min(best, errors)
    return best / total


def test_diarizer_finds_the_two_synthetic_speakers(dialogue):
    _, reference, hypothesis = dialogue
    scores = der(reference, hypothesis)
    assert scores["der"] <= 0.10
    assert len({t.speaker for t in hypothesis}) == 2
    assert hypothesis[0].speaker == "SPEAKER_1"
    assert der(reference, hypothesis, collar=0.0)["der"] <= 0.10  # boundaries within a few frames


def test_diarizer_keeps_one_speaker_as_one(dialogue):
    samples, reference, _ = dialogue
    pause = [0.0] * (SR // 2)
    monologue = []
    for start, end, _ in [turn for turn in reference if turn[2] == "A"][:3]:
        monologue += samples[round(start * SR): round(end * SR)] + pause
    turns = diarize(monologue)
    assert {t.speaker for t in turns} == {"SPEAKER_1"}


def test_diarizer_on_real_speech_from_a_wav_file():
    reference = []
    for line in (FIXTURES / "diarize_two_voices.rttm").read_text().splitlines():
        fields = line.split()
        reference.append((float(fields[3]), float(fields[3]) + float(fields[4]), fields[7]))
    hypothesis = diarize(FIXTURES / "diarize_two_voices.wav", n_speakers=2)
    assert der(reference, hypothesis)["der"] <= 0.10


def test_other_sample_rates_are_resampled():
    voice = synth.vowel("a", (120.0,), 1.0, sr=32000)
    turns = diarize([0.0] * 16000 + voice + [0.0] * 16000, sr=32000)
    assert len(turns) == 1
    assert turns[0].start == pytest.approx(0.5, abs=0.03) and turns[0].end == pytest.approx(1.5, abs=0.03)


def test_silence_has_no_turns():
    assert diarize([0.0] * SR) == []


def test_missing_file_is_a_format_error():
    with pytest.raises(AudioFormatError, match="no-such.wav"):
        diarize("no-such.wav")


def test_der_of_hand_made_cases():
    reference = [(0.0, 4.0, "alice"), (5.0, 9.0, "bob")]
    assert der(reference, reference)["der"] == 0.0
    swapped = [(0.0, 4.0, "x"), (5.0, 9.0, "y")]
    assert der(reference, swapped)["der"] == 0.0  # labels are mapped, not compared by name
    nothing = der(reference, [])
    assert (nothing["missed"], nothing["der"]) == (1.0, 1.0)
    one_voice = der(reference, [(0.0, 4.0, "x"), (5.0, 9.0, "x")], collar=0.0)
    assert one_voice == {"missed": 0.0, "false_alarm": 0.0, "confusion": 0.5, "der": 0.5, "scored": 8.0}
    extra = der(reference, reference + [(4.0, 5.0, "bob")], collar=0.0)
    assert extra["false_alarm"] == pytest.approx(1 / 8)


def test_der_collar_forgives_small_boundary_shifts():
    reference = [(1.0, 3.0, "a")]
    late = [(1.2, 3.0, "a")]
    assert der(reference, late)["der"] == 0.0  # 0.2 s inside the 0.25 s collar
    no_collar = der(reference, late, collar=0.0)
    assert no_collar["missed"] == pytest.approx(0.1) and no_collar["scored"] == pytest.approx(2.0)
    assert der(reference, late, collar=0.1)["scored"] == pytest.approx(1.8)  # 0.1 s off each end


def test_der_counts_overlapping_speech_per_speaker():
    reference = [(0.0, 2.0, "a"), (1.0, 2.0, "b")]  # one second of overlap
    scores = der(reference, [(0.0, 2.0, "h")], collar=0.0)
    assert scores["scored"] == 3.0
    assert scores["missed"] == pytest.approx(1 / 3) and scores["confusion"] == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_der_matches_brute_force_on_random_cases(seed):
    rng = random.Random(seed)

    def random_turns(speakers):
        turns, time = [], 0.0
        for _ in range(rng.randint(2, 6)):
            time += rng.randint(0, 10) * 0.1
            length = rng.randint(1, 20) * 0.1
            turns.append((round(time, 1), round(time + length, 1), rng.choice(speakers)))
            time += length - rng.randint(0, 5) * 0.1  # sometimes the next turn overlaps
        return turns

    reference = random_turns(["a", "b", "c"])
    hypothesis = random_turns(["1", "2", "3", "4"])
    for collar in (0.0, 0.25):
        expected = brute_force_der(reference, hypothesis, collar)
        assert der(reference, hypothesis, collar)["der"] == pytest.approx(expected, abs=1e-9)


def test_format_turns_lines():
    turns = [Turn(3.2, 5.1, "SPEAKER_1"), (61.5, 62.25, "SPEAKER_2")]
    assert format_turns(turns) == "[00:03.20 - 00:05.10] SPEAKER_1\n[01:01.50 - 01:02.25] SPEAKER_2"
    assert format_turns([]) == ""


def test_rttm_lines():
    turns = [Turn(3.2, 5.1, "SPEAKER_1"), Turn(6.0, 6.5, "SPEAKER_2")]
    assert to_rttm(turns, "meeting1") == (
        "SPEAKER meeting1 1 3.200 1.900 <NA> <NA> SPEAKER_1 <NA> <NA>\n"
        "SPEAKER meeting1 1 6.000 0.500 <NA> <NA> SPEAKER_2 <NA> <NA>\n"
    )


@pytest.mark.parametrize(
    "call, parameter",
    [
        (lambda: diarize(b"\x00\x01" * SR), "samples"),
        (lambda: diarize([0.0] * 601_000, sr=1000), "600 s"),
        (lambda: diarize([0.0] * 100), "samples"),
        (lambda: diarize([0.0] * SR + [math.nan]), "samples"),
        (lambda: diarize([0.0] * SR, sr=0), "sr"),
        (lambda: diarize([0.0] * SR, n_speakers=0), "n_speakers"),
        (lambda: der([(2.0, 1.0, "a")], []), "reference"),
        (lambda: der([(0.0, 1.0, "a")], [(0.0, 1.0, "two words")]), "hypothesis"),
        (lambda: der([(0.0, 1.0, "a")], [(0.0, math.inf, "b")]), "hypothesis"),
        (lambda: der([(0.0, 1.0, "a")], [], collar=-0.1), "collar"),
        (lambda: der([], []), "reference"),
        (lambda: der([(0.0, 0.4, "a")], []), "reference"),  # all inside the collars
        (lambda: to_rttm([(0.0, 1.0, "a")], "my file"), "file_id"),
        (lambda: format_turns([(0.0, 1.0)]), "turns"),
    ],
)
def test_bad_arguments_name_the_parameter(call, parameter):
    with pytest.raises(AudiollmError, match=parameter):
        call()
