"""Honest detail (issue 19 point 2): the timeline names an instrument or sound family, only above a threshold
calibrated on the corpus' own val clips, never a synthesizer's waveform (audiollm.use.timeline, model.vocab)."""
import math

import pytest

from audiollm.model.listener import ENCODER_HZ, load_listener
from audiollm.model.vocab import FAMILIES, FAMILY_OF, PROMPTS
from audiollm.synthetic.synth import lesson_scene
from audiollm.use import timeline as timeline_module
from audiollm.use.timeline import (DETAIL_FIELD, DETAIL_THRESHOLDS, calibrated_threshold, detail, detail_confidences,
                                   family_probabilities, timeline)

WAVEFORMS = {"sine", "sawtooth", "square", "triangle"}


@pytest.fixture(scope="module")
def listener():
    return load_listener()


@pytest.fixture(scope="module")
def music(listener):
    """The lesson scene's music part (3.5-7 s) as the Q-former's input."""
    samples, _ = lesson_scene()
    return listener.pooled(listener.encode(samples)[round(3.5 * ENCODER_HZ):round(7.0 * ENCODER_HZ)])


def test_the_families_split_every_prompt_value_once_and_name_no_value():
    for field, families in FAMILIES.items():
        members = [value for values in families.values() for value in values]
        assert sorted(members) == sorted(PROMPTS[field]) and len(set(members)) == len(members)
        assert not set(families) & (set(PROMPTS[field]) | WAVEFORMS)  # "music: wind" is the instruments' family
    assert set(FAMILIES) == set(DETAIL_FIELD.values())
    assert {FAMILY_OF["instrument"][w] for w in WAVEFORMS} == {"synth"}
    assert FAMILY_OF["instrument"]["piano"] == "keyboard" and FAMILY_OF["sound"]["siren"] == "alarm"


def test_the_calibrated_threshold_is_the_lowest_probability_with_enough_right():
    rows = [(0.1, False), (0.2, False), (0.3, True), (0.4, False), (0.5, True), (0.6, True), (0.7, True)]
    # from 0.3: 4 of 5 right (0.8); from 0.2: 4 of 6 (0.67)
    assert calibrated_threshold(rows, target=0.8, min_shown=3) == 0.3
    assert calibrated_threshold(rows, target=0.7, min_shown=3) == 0.3
    assert calibrated_threshold(rows, target=0.6, min_shown=3) == 0.2
    assert calibrated_threshold(rows, target=1.0, min_shown=3) == 0.5
    assert calibrated_threshold(rows, target=1.0, min_shown=4) == math.inf  # never name: too few are right
    assert calibrated_threshold(list(reversed(rows)), target=0.8, min_shown=3) == 0.3  # order does not matter


def test_the_shipped_thresholds_are_probabilities_above_chance():
    for field, threshold in DETAIL_THRESHOLDS.items():  # inf: never named (no probability was right enough)
        assert 1 / len(FAMILIES[field]) < threshold <= 1.0 or threshold == math.inf


def test_family_probabilities_sum_to_one_over_the_families(listener, music):
    for field in FAMILIES:
        probabilities = family_probabilities(listener, music, field)
        assert set(probabilities) == set(FAMILIES[field])
        assert sum(probabilities.values()) == pytest.approx(1.0) and min(probabilities.values()) > 0


def test_detail_abstains_below_its_threshold_and_names_a_family_above(listener, music):
    probabilities = family_probabilities(listener, music, "instrument")
    best = max(probabilities, key=probabilities.get)
    assert detail(listener, music, "instrument", threshold=probabilities[best]) == best
    assert detail(listener, music, "instrument", threshold=probabilities[best] + 1e-9) is None
    assert detail(listener, music, "instrument", threshold=math.inf) is None
    shipped = detail(listener, music, "instrument")
    assert shipped == (best if probabilities[best] >= DETAIL_THRESHOLDS["instrument"] else None)


def test_the_timeline_names_families_never_a_waveform_or_a_member(listener, monkeypatch):
    samples, _ = lesson_scene()
    monkeypatch.setitem(timeline_module.DETAIL_THRESHOLDS, "instrument", 0.0)  # always name: the words it can say
    monkeypatch.setitem(timeline_module.DETAIL_THRESHOLDS, "sound", 0.0)
    details = [label.split(": ")[1] for _, _, label in timeline(listener, samples) if ": " in label]
    assert len(details) == 2
    assert all(word in FAMILIES["instrument"] or word in FAMILIES["sound"] for word in details), details
    kinds = [label.split(": ")[0] for _, _, label in timeline(listener, samples) if ": " in label]
    assert not any(word in PROMPTS[DETAIL_FIELD[kind]] or word in WAVEFORMS for kind, word in zip(kinds, details))
    monkeypatch.setitem(timeline_module.DETAIL_THRESHOLDS, "instrument", math.inf)
    monkeypatch.setitem(timeline_module.DETAIL_THRESHOLDS, "sound", math.inf)
    assert all(": " not in label for _, _, label in timeline(listener, samples))  # unsure: the kind alone


def test_detail_confidences_score_each_long_enough_segment(listener):
    samples, segments = lesson_scene()
    items = [(samples, [("speech", 0.0, 3.5, None), ("music", 3.5, 7.0, "piano"), ("sound", 7.0, 10.0, "rain"),
                        ("sound", 9.9, 10.0, "knock")])]  # speech is not scored; 0.1 s is under POOL frames
    rows = detail_confidences(listener, items)
    assert [field for field, _, _ in rows] == ["instrument", "sound"]
    for (field, probability, right), (value, where) in zip(rows, (("piano", (3.5, 7.0)), ("rain", (7.0, 10.0)))):
        pooled = listener.pooled(listener.encode(samples)[round(where[0] * ENCODER_HZ):round(where[1] * ENCODER_HZ)])
        probabilities = family_probabilities(listener, pooled, field)
        best = max(probabilities, key=probabilities.get)
        assert probability == probabilities[best] and right == (best == FAMILY_OF[field][value])
