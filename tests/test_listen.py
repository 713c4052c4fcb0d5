"""The trained Listener (audiollm.model.listener, audiollm.use.timeline), its training (audiollm.learn.align) and the frozen SummaryEncoder."""
import json
import os
import re

import pytest

from audiollm.model.autograd import Tensor, cross_entropy, no_grad
from audiollm.model.encoder import SummaryEncoder
from audiollm.base.errors import AudiollmError, WeightsFileError
from audiollm.model.listener import DEFAULT_WEIGHTS, load_listener, smooth
from audiollm.use.timeline import format_timeline, timeline
from audiollm.front.mel import log_mel_spectrogram
from audiollm.model.nn import save_weights
from audiollm.synthetic.synth import lesson_scene
from audiollm.learn.align import (audio_item, contrastive_loss, frame_accuracy, held_out_table, lesson_item, prepare_all,
                                  train)
from audiollm.use.evaluate import scene_items, scene_questions, timeline_table, untrained_twin

SCENES = os.path.join(os.path.dirname(__file__), "fixtures", "scenes", "scenes.json")
SCENES_FLOOR = 0.87  # the shipped weights score 0.894 (target 0.85)
FRESH = os.path.join(os.path.dirname(SCENES), "fresh", "scenes.json")
FRESH_FLOOR = 0.75   # the held-out scenes: 0.773; the target, 0.85, is not met there (outputs/align_report.md)
LINE = re.compile(r"^\[\d\d:\d\d\.\d - \d\d:\d\d\.\d\] (speech|music|sound|silence)(: [a-z ]+)?$")


@pytest.fixture(scope="module")
def listener():
    return load_listener()


@pytest.fixture(scope="module")
def tiny_clips():
    return prepare_all("train", 4, 1.0, workers=1)


@pytest.mark.parametrize("n_bands", [80, 20])  # every band (the Listener's), and groups of 4 bands averaged
def test_summary_encoder_running_sums_equal_the_literal_windows(n_bands):
    samples, _ = lesson_scene()
    log_mel = log_mel_spectrogram(samples[:32000])
    encoder = SummaryEncoder(n_bands=n_bands)
    fast, literal = encoder(log_mel), encoder.forward_literal(log_mel)
    assert (len(fast), len(fast[0])) == (100, 3 * n_bands)
    assert max(abs(a - b) for r, q in zip(fast, literal) for a, b in zip(r, q)) < 1e-6


def test_summary_encoder_refuses_a_wrong_width():
    with pytest.raises(AudiollmError, match="n_mels=80"):
        SummaryEncoder()([[0.0] * 79])


def test_smooth_absorbs_short_runs_into_the_longer_neighbour():
    labels = [0] * 40 + [2] * 5 + [0] * 30 + [3] * 20 + [1] * 40  # 0.1-s sound inside speech, 0.4-s silence
    assert smooth(labels) == [(0, 75, 0), (75, 95, 3), (95, 135, 1)]
    assert smooth([3] * 10 + [1] * 50) == [(0, 60, 1)]  # a 0.2-s silence is no segment


def test_a_few_steps_of_a_tiny_configuration_lower_the_loss(tiny_clips):
    def loss(model):
        with no_grad():
            pooled = [model.pooled(model.normalise(f)) for f, _, _ in tiny_clips]
            frames = [row for f, _, _ in tiny_clips for row in model.normalise(f)]
            labels = [y for _, labels, _ in tiny_clips for y in labels[::2]]
            return (contrastive_loss(model, pooled, [c[0] for _, _, c in tiny_clips]).item()
                    + cross_entropy(model.tag_logits(Tensor(frames)), labels).item())
    before, _, _ = train(4, 1, n_queries=2, clips=tiny_clips, batch=4)  # one step: the loss at the start
    after, _, _ = train(4, 12, n_queries=2, clips=tiny_clips, batch=4)
    assert loss(after) < 0.8 * loss(before)


def test_training_is_deterministic_for_a_seed(tiny_clips, tmp_path):
    paths = []
    for k in range(2):
        model, _, _ = train(4, 2, n_queries=2, seed=3, clips=tiny_clips, batch=4)
        paths.append(save_weights(str(tmp_path / f"w{k}.json"), model, {"n_queries": 2}))
    other, _, _ = train(4, 2, n_queries=2, seed=4, clips=tiny_clips, batch=4)
    a, b = (open(p, "rb").read() for p in paths)
    assert a == b
    assert a != open(save_weights(str(tmp_path / "other.json"), other, {"n_queries": 2}), "rb").read()


def test_bad_weights_files_name_the_file(tmp_path):
    with pytest.raises(WeightsFileError, match="missing.json: no such file"):
        load_listener(str(tmp_path / "missing.json"))
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_bytes(open(DEFAULT_WEIGHTS, "rb").read()[:5000])
    with pytest.raises(WeightsFileError, match="corrupt.json"):
        load_listener(str(corrupt))
    doc = json.load(open(DEFAULT_WEIGHTS))
    doc["meta"]["n_queries"] += 1  # the file's tensors no longer fit the model its meta describes
    mismatched = tmp_path / "mismatched.json"
    mismatched.write_text(json.dumps(doc))
    with pytest.raises(WeightsFileError, match="mismatched.json.*shape"):
        load_listener(str(mismatched))


def test_load_listener_parses_its_weights_file_once(json_parses):
    load_listener()
    assert len(json_parses) == 1


def test_the_shipped_weights_are_small_and_say_how_they_were_made():
    meta = json.load(open(DEFAULT_WEIGHTS))["meta"]
    assert os.path.getsize(DEFAULT_WEIGHTS) <= 2_000_000
    assert meta["command"].startswith("python3 code/train.py")


def test_the_lesson_scene_timeline_is_right_on_90_percent_of_its_frames(listener):
    samples, segments = lesson_scene()
    accuracy = frame_accuracy(listener, [audio_item(samples, [(a, b, name) for name, a, b in segments])])
    assert accuracy >= 0.9


def test_the_espeak_sox_scenes_timeline_accuracy(listener):
    """use.evaluate scores the scenes apart from training: the trained and untrained figures the weights' meta
    recorded when the scenes were still scored inside the training command."""
    (name, untrained, trained, chance), = timeline_table(listener, untrained_twin(listener), {"scenes": SCENES})
    assert trained >= SCENES_FLOOR and chance == 0.25
    assert round(trained, 3) == 0.934 and round(untrained, 2) == 0.18
    assert len(scene_questions(SCENES)) == 6 * 2 * 5  # speech and music, 4 training phrasings and the held-out one


def test_the_fresh_scenes_timeline_accuracy(listener):
    accuracy = frame_accuracy(listener, scene_items(FRESH))
    assert accuracy >= FRESH_FLOOR


def test_timeline_lines_and_labels(listener):
    samples, _ = lesson_scene()
    segments = timeline(listener, samples, offset_s=60.0)
    lines = format_timeline(segments).splitlines()
    assert all(LINE.match(line) for line in lines), lines
    assert lines[0].startswith("[01:00.0 - ") and segments[-1][1] == 70.0
    assert [label.split(":")[0] for _, _, label in segments][:1] == ["speech"]
    with pytest.raises(AudiollmError, match="samples"):
        timeline(listener, [])


@pytest.mark.parametrize("args, message", [(["--val", "5"], "--val"), (["--queries", "0"], "--queries"),
                                           (["--clips", "1"], "--clips")])
def test_train_cli_refuses_bad_options_in_one_line(args, message, tmp_path):
    import subprocess
    import sys
    script = os.path.join(os.path.dirname(__file__), "..", "code", "train.py")
    result = subprocess.run([sys.executable, script, *args, "--out", str(tmp_path / "w.json")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "w.json").exists()


def test_the_held_out_table_reports_progress_and_the_same_rows():
    """Issue 20 item 4: the align stage's held-out table (tens of seconds) says how far it is."""
    model = load_listener()
    val = prepare_all("val", 10, 4.0, workers=1)
    lesson = [lesson_item()]
    calls = []
    rows = held_out_table(model, model, val, lesson, lambda done, total: calls.append((done, total)))
    assert calls == [(k, 6) for k in range(1, 7)]
    assert rows == held_out_table(model, model, val, lesson)
    assert rows[0][1] == rows[0][2] and rows[-1][0].startswith("timeline frame accuracy, the lesson scene")
