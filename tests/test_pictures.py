"""The lesson's figures (use.pictures): Hz ticks at the mel filters' own centres, query ticks, the truth and the
Listener's timeline as strips, and who spoke when with its reference."""
import struct

import pytest

from audiollm.base.errors import AudiollmError
from audiollm.base.figure import Strip
from audiollm.front.mel import mel_frequencies
from audiollm.use import pictures
from audiollm.use.diarize import reference_turns, to_rttm


@pytest.mark.parametrize("n_mels, sample_rate", [(80, 16000), (128, 16000), (40, 8000), (80, 44100)])
def test_hz_ticks_sit_on_the_mel_filters_with_those_centre_frequencies(n_mels, sample_rate):
    ticks = pictures.mel_ticks(n_mels, sample_rate)
    labels = [label for _, label in ticks]
    assert labels == ["0", "500", "1k", "2k", "4k", "8k"][:len(labels)]
    assert len(labels) == {8000: 5, 16000: 6, 44100: 6}[sample_rate]  # none above the Nyquist frequency
    centres = mel_frequencies(n_mels + 2, 0.0, sample_rate / 2)[1:-1]  # row k's filter peaks at centres[k]
    for (fraction, label), hz in zip(ticks, pictures.MEL_TICKS_HZ):
        row = fraction * n_mels - 0.5  # row k fills k/n_mels to (k + 1)/n_mels of the height
        if hz in (0, sample_rate / 2):  # half a row beyond the picture: drawn at its edge
            assert fraction == (hz > 0)
            continue
        k = int(row)
        between = centres[k] + (row - k) * (centres[k + 1] - centres[k]) if k + 1 < n_mels else centres[k]
        assert between == pytest.approx(hz, rel=0.03), label
    fractions = [f for f, _ in ticks]
    assert fractions == sorted(fractions)


def test_whispers_mel_axis_puts_1_khz_a_third_of_the_way_up():
    assert [round(f, 3) for f, _ in pictures.mel_ticks(80)] == [0.0, 0.162, 0.329, 0.555, 0.781, 1.0]


def test_query_ticks_are_round_and_few():
    assert pictures.query_ticks(8) == [((q + 0.5) / 8, str(q)) for q in range(8)]
    assert [label for _, label in pictures.query_ticks(32)] == ["0", "5", "10", "15", "20", "25", "30"]
    assert [label for _, label in pictures.query_ticks(64)] == ["0", "10", "20", "30", "40", "50", "60"]
    assert pictures.query_ticks(1) == [(0.5, "0")]


def test_the_masked_padding_is_counted_from_the_end():
    assert pictures.masked_frames([[0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]) == 2
    assert pictures.masked_frames([[0.0, 0.0, 1.0]]) == 0  # a quiet start is not padding
    assert pictures.masked_frames([[0.0, 0.0]]) == 2


def test_lesson_strips_show_the_truth_and_what_was_heard():
    truth = [("speech", 0.0, 3.5), ("music", 3.5, 7.0), ("environment", 7.0, 10.0)]
    heard = [(0.0, 3.3, "speech"), (3.3, 3.8, "silence"), (3.8, 6.7, "music: square"), (7.1, 10.0, "sound: rain")]
    assert pictures.lesson_strips(truth, heard) == [
        Strip("truth", [(0.0, 3.5, "speech"), (3.5, 7.0, "music"), (7.0, 10.0, "sound")]),
        Strip("heard", [(0.0, 3.3, "speech"), (3.8, 6.7, "music: square"), (7.1, 10.0, "sound: rain")])]
    assert pictures.lesson_strips((), heard)[0].name == "heard" and pictures.lesson_strips((), ()) == []
    assert pictures.strips_note(truth, ()) == "\nUnder it: the known segments (truth)."
    assert pictures.strips_note((), ()) == ""


def size(path):
    return struct.unpack(">II", path.read_bytes()[16:24])


def test_who_spoke_when_draws_a_lane_per_speaker_and_the_reference_under_them(tmp_path):
    turns = [(0.5, 2.1, "SPEAKER_1"), (2.6, 4.4, "SPEAKER_2"), (4.9, 6.9, "SPEAKER_1")]
    reference = [(0.5, 2.0, "B"), (2.6, 4.3, "A"), (4.9, 7.0, "B")]
    assert [(s.name, len(s.segments)) for s in pictures._lanes(reference)] == [("B", 2), ("A", 1)]  # first to speak
    alone = pictures.who_spoke_when_png(tmp_path / "a.png", turns, 7.5, "call.wav")
    both = pictures.who_spoke_when_png(tmp_path / "b.png", turns, 7.5, "call.wav", reference, "call.rttm")
    again = pictures.who_spoke_when_png(tmp_path / "c.png", turns, 7.5, "call.wav", reference, "call.rttm")
    (width, height), (width_b, height_b) = size(alone), size(both)
    assert width == width_b and height_b > height + 2 * 24  # two more lanes and a heading
    assert both.read_bytes() == again.read_bytes()


def test_a_reference_is_read_by_file_id_or_as_the_only_file(tmp_path):
    one = tmp_path / "one.rttm"
    one.write_text(to_rttm([(0.0, 1.0, "A")], "other_name"))
    assert reference_turns(one, "call") == [(0.0, 1.0, "A")]
    two = tmp_path / "two.rttm"
    two.write_text(to_rttm([(0.0, 1.0, "A")], "x") + to_rttm([(1.0, 2.0, "B")], "call"))
    assert reference_turns(two, "call") == [(1.0, 2.0, "B")]
    with pytest.raises(AudiollmError, match=r"two.rttm: no turns for 'y' \(it has call, x\)"):
        reference_turns(two, "y")
    empty = tmp_path / "empty.rttm"
    empty.write_text(";; nothing\n")
    with pytest.raises(AudiollmError, match="it has no SPEAKER lines"):
        reference_turns(empty, "call")
