import json
import math
import pathlib

import pytest

from audiollm import open_wav, read_wav
from audiollm.synthetic import corpus
from audiollm.model.vocab import KINDS
from audiollm.synthetic.corpus import Segment, frame_labels
from audiollm.base.errors import AudiollmError

SR = 16000
SCENES = pathlib.Path(__file__).parent / "fixtures" / "scenes"


@pytest.fixture(scope="module")
def clips():
    return corpus.make_split("train", 12, seconds=3.0)


def rms(samples):
    return math.sqrt(sum(v * v for v in samples) / len(samples))


def test_same_seed_same_clip_and_other_seeds_differ(clips):
    again = corpus.make_clip(clips[3].seed, seconds=3.0)
    assert again.samples == clips[3].samples
    assert again.segments == clips[3].segments and again.caption == clips[3].caption
    assert corpus.make_clip(clips[3].seed + 1, seconds=3.0).samples != clips[3].samples


def test_splits_draw_from_disjoint_seed_ranges():
    ranges = {split: corpus.clip_seeds(split, corpus.SPLIT_SIZE) for split in corpus.SPLITS}
    assert ranges["train"].stop <= ranges["val"].start and ranges["val"].stop <= ranges["test"].start
    assert list(corpus.clip_seeds("val", 3, start=5)) == [corpus.SPLIT_SIZE + 5 + k for k in range(3)]
    assert [c.seed for c in corpus.make_split("test", 2, seconds=1.0)] == [2 * corpus.SPLIT_SIZE,
                                                                        2 * corpus.SPLIT_SIZE + 1]


def test_segments_tile_the_clip_on_the_mel_frame_grid(clips):
    for clip in clips:
        segments = clip.segments
        assert len(clip.samples) == 3 * SR and clip.seconds == 3.0
        assert segments[0].start == 0.0 and segments[-1].end == 3.0
        assert all(a.end == b.start for a, b in zip(segments, segments[1:]))
        for s in segments:
            assert s.kind in KINDS and s.end > s.start
            assert round(s.start * 100, 6) == round(s.start * 100)  # a whole number of 10-ms frames
            if s.kind == "silence":
                assert s.end - s.start >= 0.25 - 1e-9
            else:
                assert s.end - s.start >= corpus.MIN_SEGMENT_S - 0.01
        assert not any(a.kind == b.kind == "silence" for a, b in zip(segments, segments[1:]))
        assert any(s.kind != "silence" for s in segments)


def test_silence_is_silent_and_every_other_segment_sounds(clips):
    for clip in clips:
        loudest = max(rms(clip.samples[round(s.start * SR):round(s.end * SR)]) for s in clip.segments)
        for s in clip.segments:
            part = clip.samples[round(s.start * SR):round(s.end * SR)]
            if s.kind == "silence" and clip.room:  # a room's echoes die away in it: quiet, not nothing
                assert rms(part) < loudest * 10 ** (-10 / 20), (clip.seed, s)
            elif s.kind == "silence":  # nothing, or only the clip's faint noise floor
                assert rms(part) < loudest * 10 ** (-45 / 20) if clip.floor else max(map(abs, part)) == 0.0
            else:
                assert rms(part) > loudest * 10 ** (-40 / 20), (clip.seed, s)


def test_details_carry_what_questions_need(clips):
    for clip in clips:
        speakers = []
        for s in clip.segments:
            d = s.detail
            if s.kind == "speech":
                assert d["voice"] in corpus.VOICES and d["prosody"] in ("calm", "excited")
                assert 0.85 <= d["formant_scale"] <= 1.35 and 2.5 <= d["rate"] <= 7.0 and 0 <= d["tilt"] < 0.9
                speakers.append(d["speaker"])
            elif s.kind == "music":
                assert d["instrument"] in corpus.MELODIC and d["form"] in ("chord", "melody")
                assert d["quality"] in ("major", "minor")
            elif s.kind == "sound":
                assert d["sound"] in corpus.SOUNDS
            else:
                assert d == {}
        first_seen = list(dict.fromkeys(speakers))
        assert first_seen == list(range(1, len(first_seen) + 1))  # speakers are numbered as they first speak
        assert clip.n_speakers() == len(first_seen)
        assert [e.start for e in clip.events()] == sorted(e.start for e in clip.events())


def test_the_corpus_varies(clips):
    more = clips + corpus.make_split("train", 20, start=12, seconds=1.5)
    segments = [s for c in more for s in c.segments]
    assert {s.kind for s in segments} == set(KINDS)
    assert len({s.detail["sound"] for s in segments if s.kind == "sound"}) >= 5
    assert len({s.detail["instrument"] for s in segments if s.kind == "music"}) >= 5
    assert {s.detail["quality"] for s in segments if s.kind == "music"} == {"major", "minor"}
    assert {c.codec for c in more} == {None, "mu-law"}
    assert any(c.floor for c in more) and not all(c.floor for c in more)
    assert any(c.background for c in more) and not all(c.background for c in more)
    assert len({len(c.segments) for c in more}) >= 3


def phrases(segment):
    """Every text the caption may use for this segment."""
    d = segment.detail
    if segment.kind == "speech":
        return ("voice", "speech", "speaker")
    if segment.kind == "music":
        return corpus.INSTRUMENT_NAMES[d["instrument"]]
    if segment.kind == "sound":
        return corpus.SOUND_PHRASES[d["sound"]]
    return corpus.SILENCE_PHRASES


def test_captions_name_every_segment_in_order(clips):
    for clip in clips:
        at = 0
        for s in clip.segments:
            found = [clip.caption.find(p, at) for p in phrases(s) if clip.caption.find(p, at) >= 0]
            assert found, (clip.caption, s)
            at = min(found) + 1
        for s in clip.segments:
            if s.kind == "speech":
                assert s.detail["prosody"] in clip.caption or corpus.ADVERBS[s.detail["prosody"]] in clip.caption
            if s.kind == "music":
                assert s.detail["quality"] in clip.caption


def test_caption_places_a_short_sound_on_a_steady_one():
    bed = Segment("sound", 0.0, 3.0, {"sound": "rain"})
    knock = Segment("sound", 1.3, 1.7, {"sound": "knock"})
    text = corpus.caption((bed,), (knock,), seed=0)
    assert "in the middle" in text and any(p in text for p in corpus.SOUND_PHRASES["knock"])
    assert "rain" in text.split(", with")[0]


def test_frame_labels_follow_the_segments(clips):
    for clip in clips:
        labels = frame_labels(clip.segments, 300 + 20)
        assert len(labels) == 320 and labels[300:] == [KINDS.index("silence")] * 20
        for s in clip.segments:
            first, last = round(s.start * 100), round(s.end * 100)
            assert set(labels[first:last]) == {KINDS.index(s.kind)}
    assert frame_labels((), 3) == [3, 3, 3]


def test_label_prompts_describe_each_value():
    assert "the sound of rain" in corpus.label_prompts("sound", "rain")
    for field, values in corpus.PROMPTS.items():
        for value, texts in values.items():
            assert texts and all(isinstance(t, str) and t for t in texts), (field, value)
    assert set(corpus.PROMPTS["kind"]) == set(KINDS)
    assert set(corpus.PROMPTS["sound"]) == set(corpus.SOUNDS)
    assert set(corpus.PROMPTS["instrument"]) == set(corpus.INSTRUMENTS)


@pytest.mark.parametrize("call, parameter", [
    (lambda: corpus.make_clip(-1), "seed"),
    (lambda: corpus.make_clip(1.5), "seed"),
    (lambda: corpus.make_clip(0, seconds=0.5), "seconds"),
    (lambda: corpus.make_clip(0, seconds=float("nan")), "seconds"),
    (lambda: corpus.clip_seeds("dev", 3), "split"),
    (lambda: corpus.clip_seeds("train", 0), "n"),
    (lambda: corpus.clip_seeds("train", corpus.SPLIT_SIZE, start=1), "n"),
    (lambda: corpus.frame_labels([("speech", 0, 1)], 5), "segments"),
    (lambda: corpus.frame_labels((), -1), "n_frames"),
    (lambda: corpus.label_prompts("colour", "red"), "field"),
    (lambda: corpus.label_prompts("sound", "thunder"), "value"),
    (lambda: corpus.caption([]), "segments"),
    (lambda: corpus.caption([Segment("sound", 0.0, 1.0, {"sound": "rain"})], overlays=None), "overlays"),
    (lambda: corpus.caption([Segment("sound", 0.0, 1.0, {"sound": "rain"})], seed=-2), "seed"),
])
def test_bad_arguments_name_the_parameter(call, parameter):
    with pytest.raises(AudiollmError, match=parameter):
        call()


# The evaluation scenes (espeak-ng and sox, not synth): tests/fixtures/scenes, made by make_scenes.py.

@pytest.fixture(scope="module")
def scenes():
    return json.loads((SCENES / "scenes.json").read_text())


def test_scenes_json_matches_the_wavs(scenes):
    assert scenes["sample_rate"] == SR and len(scenes["scenes"]) >= 5
    total = 0
    for scene in scenes["scenes"]:
        path = SCENES / scene["file"]
        total += path.stat().st_size
        with open_wav(path) as reader:
            assert reader.sample_rate == SR and reader.channels == 1 and reader.sample_format == "mulaw"
            assert reader.n_frames == round(scene["seconds"] * SR)
        segments = scene["segments"]
        assert segments[0]["start"] == 0.0 and segments[-1]["end"] == scene["seconds"]
        assert all(a["end"] == b["start"] for a, b in zip(segments, segments[1:]))
        assert all(s["kind"] in KINDS and s["end"] > s["start"] for s in segments)
        assert {s["kind"] for s in segments} >= {"speech", "music", "sound"}
    assert total < 600_000  # a few hundred KB


def test_scene_truth_is_what_the_wav_holds(scenes):
    scene = scenes["scenes"][0]
    samples, sr = read_wav(SCENES / scene["file"])
    for s in scene["segments"]:
        part = samples[round(s["start"] * sr):round(s["end"] * sr)]
        if s["kind"] == "silence":
            assert max(map(abs, part)) < 0.01
        else:
            assert rms(part) > 0.01, s


@pytest.fixture(scope="module")
def many():
    return corpus.make_split("train", 60, seconds=2.0)


def test_some_clips_are_heard_in_rooms_through_phones_and_over_a_band(many):
    rooms = [c.room for c in many if c.room]
    assert 10 <= len(rooms) <= 35 and all(0.15 <= r["rt60_s"] <= 1.0 and 0.1 <= r["wet"] <= 0.6 for r in rooms)
    assert 2 <= sum(c.telephone for c in many) <= 16
    music = [s.detail for c in many for s in c.segments if s.kind == "music"]
    assert any(d["drums"] for d in music) and any(d["bass"] for d in music) and not all(d["drums"] for d in music)
    beds = [c.background["sound"] for c in many if c.background and "sound" in c.background]
    assert beds and set(beds) <= set(corpus.STEADY_SOUNDS)
    for c in many:  # the caption says what accompanies the music
        for s in c.segments:
            if s.kind == "music" and s.detail["drums"]:
                assert "drum" in c.caption


def test_a_telephone_clip_has_nothing_above_its_band(many):
    clip = next(c for c in many if c.telephone and not c.codec)
    x = clip.samples
    def power(hz):
        step = 2 * math.pi * hz / SR
        return abs(sum(v * complex(math.cos(step * i), math.sin(step * i)) for i, v in enumerate(x))) ** 2
    assert sum(map(power, (5000.0, 6000.0, 7000.0))) < 1e-3 * sum(map(power, (500.0, 1000.0, 2000.0)))
