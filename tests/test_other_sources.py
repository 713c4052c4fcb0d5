"""The other-source evaluation set (tests/fixtures/other_sources, issue 19 point 3): its make script (built when
flite, festival, fluidsynth and the sound packages are installed, skipped otherwise) and the evaluation's scoring."""
import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest

from audiollm.front.wav import read_wav
from audiollm.model.vocab import FAMILIES, KINDS
from audiollm.use.diarize import read_rttm

HERE = pathlib.Path(__file__).parent / "fixtures" / "other_sources"


def _module(name):
    spec = importlib.util.spec_from_file_location(f"other_sources_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_other = _module("make_other")
evaluate = _module("evaluate")
SUBSET = "s02,d02"  # the 8-kHz scene and the 8-kHz mu-law call: the quickest to build


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A subset built twice, in two folders."""
    if make_other.missing_tools():
        pytest.skip(f"the other-source set needs {', '.join(make_other.missing_tools())}")
    folders = [tmp_path_factory.mktemp(f"other{k}") for k in range(2)]
    for folder in folders:
        subprocess.run([sys.executable, str(HERE / "make_other.py"), "--out", str(folder), "--only", SUBSET],
                       check=True)
    return folders


def test_the_subset_builds_byte_identical(built):
    first, second = built
    names = sorted(p.name for p in first.iterdir())
    assert names == ["clips.tsv", "d02.rttm", "d02.wav", "s02.wav", "truth.json"]
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_truth_tiles_each_scene_and_names_families(built):
    folder = built[0]
    truth = json.loads((folder / "truth.json").read_text())
    assert "never train" in truth["evaluation_only"]
    for scene in truth["scenes"]:
        samples, rate = read_wav(folder / scene["file"], mono=False)
        assert rate == scene["sample_rate"] and len(samples) == scene["channels"]
        assert abs(len(samples[0]) / rate - scene["seconds"]) < 1e-9
        segments = scene["segments"]
        assert segments[0]["start"] == 0 and abs(segments[-1]["end"] - scene["seconds"]) < 0.01
        assert all(a["end"] == b["start"] for a, b in zip(segments, segments[1:]))
        assert all(s["kind"] in KINDS and s["end"] > s["start"] for s in segments)
        for s in segments:
            field = {"music": "instrument", "sound": "sound"}.get(s["kind"])
            assert (s["detail"].get("family") in FAMILIES[field]) if field else "family" not in s["detail"]
    kinds = {s["kind"] for scene in truth["scenes"] for s in scene["segments"]}
    assert kinds == set(KINDS) and [scene["sample_rate"] for scene in truth["scenes"]] == [8000]


def test_the_dialogue_truth_agrees_with_its_rttm_and_clips_tsv(built):
    folder = built[0]
    truth = json.loads((folder / "truth.json").read_text())
    (dialogue,) = truth["dialogues"]
    turns = read_rttm(folder / "d02.rttm")["d02"]
    assert [(t.speaker, round(t.start, 3)) for t in turns] == [(x["speaker"], round(x["start"], 3))
                                                              for x in dialogue["turns"]]
    assert all(a.end < b.start for a, b in zip(turns, turns[1:]))  # turns in order, never overlapping
    samples, rate = read_wav(folder / "d02.wav")
    assert rate == 8000 and turns[-1].end < len(samples) / rate
    assert (folder / "d02.wav").read_bytes()[20:22] == b"\x07\x00"  # WAVE_FORMAT_MULAW: a telephone line
    rows = (folder / "clips.tsv").read_text().splitlines()
    assert rows[1].split("\t")[:3] == ["d02", "other", "2"] and len({t.speaker for t in turns}) == 2


def test_frame_and_segment_scores_on_toy_labels():
    truth = ["speech"] * 50 + ["silence"] * 20 + ["music"] * 30
    predicted = ["speech"] * 40 + ["sound"] * 30 + ["music"] * 10 + ["speech"] * 20
    assert evaluate.frame_score(predicted, truth) == (50, 100)
    segments = [(0.0, 0.5, "speech"), (0.5, 0.7, "silence"), (0.7, 1.0, "music"), (1.0, 1.1, "sound")]
    # speech: 40 of 50 frames speech (right); silence is 0.2 s, under 0.25 s, not scored; music: 20 speech
    # frames of 30 (wrong); 1.0-1.1 s is under 0.25 s
    assert evaluate.segment_score(predicted, segments) == (1, 2)
    assert evaluate.segment_score(predicted, segments, min_s=0.2) == (1, 3)


def test_the_detail_score_counts_named_families_against_the_truth_under_them():
    segments = [(0.0, 2.0, "music", "bowed"), (2.0, 3.0, "speech", None), (3.0, 5.0, "sound", "alarm")]
    shown = [(0.1, 1.9, "music", "bowed"),     # right
             (1.8, 3.1, "sound", "impact"),    # mostly over speech: wrong
             (3.0, 5.0, "sound", None),        # not named
             (3.2, 4.0, "music", "alarm")]     # the kind is wrong: wrong
    assert evaluate.detail_score(shown, segments) == {"eligible": 4, "shown": 3, "right": 1}
    assert evaluate.truth_under(1.8, 3.1, segments)[2] == "speech"


def test_count_score_means_and_counts():
    found = [(0.10, 2, 2), (0.30, 3, 2), (0.05, 4, 4)]
    given = [(0.08, 2, 2), (0.20, 2, 2), (0.05, 4, 4)]
    mean_found, mean_given, right, n = evaluate.count_score(found, given)
    assert (round(mean_found, 4), round(mean_given, 4), right, n) == (0.15, 0.11, 2, 3)


def test_family_of_the_project_scenes_and_the_other_sources():
    assert evaluate.family_of("music", {"instrument": "cello", "family": "bowed"}) == "bowed"
    assert evaluate.family_of("music", {"instrument": "square"}) == "synth"
    assert evaluate.family_of("music", {"instrument": "trapezium"}) == "synth"
    assert evaluate.family_of("sound", {"sound": "thunder"}) == "nature"
    assert evaluate.family_of("speech", {"voice": "slt"}) is None


def test_the_report_puts_every_before_figure_beside_its_now():
    before = json.loads((HERE / "before.json").read_text())["figures"]
    totals = {"segments": [9, 10], "frames": [80, 100]}
    detail = {"eligible": 4, "shown": 2, "right": 1}
    sets = [(name, 1, (totals, detail, detail, {"right_family": 0, "waveform_for_instrument": 0,
                                                 "real_instruments": 0}, []))
            for name in ("other sources (make_other.py)", "espeak-ng / sox scenes", "fresh espeak-ng / sox scenes",
                         "espeak-ng / sox LLM scenes")]
    dialogues = [("d01", "two", 2, 2, 0.1, 0.05), ("d02", "three", 3, 2, 0.3, 0.1)]
    now = evaluate.headline(sets, dialogues, [("other sources (make_other.py)", (87, 100, 90))])
    assert set(now) == set(before)  # every figure of before.json is measured again
    assert now["other sources: timeline segments right"] == "0.90" and now["other-source dialogues: count right"] \
        == "1/2" and now["other-source dialogues: mean DER, count found"] == "0.200"
    text = evaluate.report(sets, dialogues, [], "")
    assert "| other sources: timeline 10-ms frames right | 0.71 | 0.80 | >= 0.85 |" in text
