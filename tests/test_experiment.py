import math
import os

import pytest

from audiollm.model.bridges import QFormer, WindowQFormer
from audiollm.model.encoder import FrameEncoder
from audiollm.base.errors import AudiollmError
from audiollm.use.experiment import (ACOUSTIC_TYPES, CLIP_SAMPLES, QUESTIONS, SCORES, WORDS, ExperimentResult,
                                     answer_from_text, audio_tokens, fit_readout, format_report, log_mel_shape,
                                     make_questions, run_experiment, transcribe, vowel_templates, write_report)
from audiollm.front.mel import HOP_LENGTH, log_mel_spectrogram

SMALL = dict(seed=0, n_train=6, n_test=6)  # 60 clips: a few seconds; the full run is for main.py --experiment


@pytest.fixture(scope="module")
def result():
    return run_experiment(**SMALL)


@pytest.fixture(scope="module")
def templates():
    return vowel_templates()


@pytest.fixture(scope="module")
def questions():
    return make_questions(4, seed=1)


def by_kind(result):
    return {row.kind: row for row in result.rows}


# --- the data set -------------------------------------------------------------------------------------

def test_questions_are_balanced_one_second_clips_in_type_order():
    questions = make_questions(6, seed=3)
    assert [q.kind for q in questions] == [kind for kind in QUESTIONS for _ in range(6)]
    for q in questions:
        assert q.options == QUESTIONS[q.kind][1]
        assert len(q.samples) == CLIP_SAMPLES == 16320
        assert all(map(math.isfinite, q.samples)) and max(map(abs, q.samples)) < 1.0
    for kind, (_, options) in QUESTIONS.items():
        answers = [q.answer for q in questions if q.kind == kind]
        assert answers == [i % len(options) for i in range(6)]


def test_questions_are_reproducible_and_splits_differ():
    a, b = make_questions(1, seed=5), make_questions(1, seed=5)
    assert [q.samples for q in a] == [q.samples for q in b]
    test = make_questions(1, seed=5, split="test")
    other = make_questions(1, seed=6)
    assert all(x.samples != y.samples for x, y in zip(a, test))
    assert all(x.samples != y.samples for x, y in zip(a, other))


def test_timing_knock_is_in_the_answer_third(questions):
    third_frames = CLIP_SAMPLES // HOP_LENGTH // 3
    for q in questions:
        if q.kind == "timing":
            energy = [sum(row) for row in log_mel_spectrogram(q.samples)]
            assert energy.index(max(energy)) // third_frames == q.answer


def test_excited_speech_is_louder_than_calm(questions):
    emotion = [q for q in questions if q.kind == "emotion"]
    power = {label: [sum(x * x for x in q.samples) for q in emotion if q.options[q.answer] == label]
             for label in ("calm", "excited")}
    assert min(power["excited"]) > max(power["calm"])


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, 10**6])
def test_make_questions_rejects_bad_counts(bad):
    with pytest.raises(AudiollmError, match="n_per_type"):
        make_questions(bad)


def test_make_questions_rejects_bad_seed_and_split():
    with pytest.raises(AudiollmError, match="seed"):
        make_questions(1, seed=-1)
    with pytest.raises(AudiollmError, match="split"):
        make_questions(1, split="dev")


# --- the cascade --------------------------------------------------------------------------------------

def test_recogniser_transcribes_every_word(questions, templates):
    for q in questions:
        if q.kind == "content":
            assert transcribe(log_mel_spectrogram(q.samples), templates) == WORDS[q.answer]


def test_emotional_speech_transcribes_to_plain_words(questions, templates):
    """Calm or excited, the recogniser hears a word from the vocabulary: the emotion is not in the text."""
    for q in questions:
        if q.kind == "emotion":
            assert transcribe(log_mel_spectrogram(q.samples), templates) in WORDS


def test_text_reasoner_picks_the_closest_option_else_the_prior():
    assert answer_from_text("o e", WORDS, prior=[0, 1, 2, 3]) == 1
    assert answer_from_text("o", WORDS, prior=[3, 2, 1, 0]) == 3  # "o e" and "e o" tie; the prior decides
    assert answer_from_text("a i", ("calm", "excited"), prior=[1, 0]) == 1
    assert answer_from_text("", ("first", "middle", "last"), prior=[2, 0, 1]) == 2


def test_cascade_rejects_bad_input(templates):
    with pytest.raises(AudiollmError, match="log_mel"):
        transcribe([[0.0] * 64], templates)
    with pytest.raises(AudiollmError, match="templates"):
        transcribe([[0.0] * 80], [])
    with pytest.raises(AudiollmError, match="prior"):
        answer_from_text("a i", WORDS, prior=[0, 1])
    with pytest.raises(AudiollmError, match="transcript"):
        answer_from_text(None, WORDS, prior=[0, 1, 2, 3])


# --- the end-to-end path ------------------------------------------------------------------------------

def test_audio_tokens_shapes_and_seed_reproducibility():
    frames = log_mel_spectrogram(make_questions(1, seed=0)[0].samples)
    shape = dict(d_audio=16, d_model=16, n_heads=2, n_layers=1, d_llm=8)
    tokens = [audio_tokens(FrameEncoder(d_model=16, n_heads=2, seed=s).forward(frames), bridge)
              for s in (0, 0, 1) for bridge in (QFormer(n_queries=4, seed=s, **shape),
                                                WindowQFormer(n_queries=1, window=17, seed=s, **shape))]
    assert [len(t) for t in tokens[:2]] == [4 * 8, 3 * 8]  # 51 encoder frames = 3 windows of 17
    assert tokens[:2] == tokens[2:4] and tokens[:2] != tokens[4:]


def test_readout_separates_separable_data_and_is_deterministic():
    features = [[x, 1.0 - x, 0.5] for x in (0.0, 0.1, 0.2, 0.8, 0.9, 1.0)]
    answers = [0, 0, 0, 1, 1, 1]
    readout = fit_readout(features, answers, 2)
    assert [readout.predict(f) for f in features] == answers
    assert readout.predict([0.05, 0.95, 0.5]) == 0 and readout.predict([0.95, 0.05, 0.5]) == 1
    assert fit_readout(features, answers, 2) == readout


def test_readout_rejects_mismatched_input():
    with pytest.raises(AudiollmError, match="features"):
        fit_readout([[1.0]], [0, 1], 2)
    with pytest.raises(AudiollmError, match="features"):
        fit_readout([[1.0], [1.0, 2.0]], [0, 1], 2)
    with pytest.raises(AudiollmError, match="n_options"):
        fit_readout([[1.0], [2.0]], [0, 0], 1)
    with pytest.raises(AudiollmError, match="answers"):
        fit_readout([[1.0], [2.0]], [0, 2], 2)
    with pytest.raises(AudiollmError, match="features"):
        fit_readout([[1.0], [2.0]], [0, 1], 2).predict([1.0, 2.0])


def test_audio_tokens_rejects_a_non_bridge():
    with pytest.raises(AudiollmError, match="bridge"):
        audio_tokens([[0.0] * 16], FrameEncoder(d_model=16, n_heads=2))


# --- the experiment -----------------------------------------------------------------------------------

def test_rows_cover_every_question_type(result):
    assert isinstance(result, ExperimentResult) and [row.kind for row in result.rows] == list(QUESTIONS)
    for row in result.rows:
        assert row.n_test == SMALL["n_test"] and row.chance == pytest.approx(1 / len(row.options))


def test_cascade_is_at_chance_on_acoustic_questions(result):
    """The transcript carries none of these answers, so the reasoner answers every one of them with the
    prior; on a balanced test split that is chance exactly."""
    rows = by_kind(result)
    for kind in ACOUSTIC_TYPES:
        assert rows[kind].cascaded == pytest.approx(rows[kind].chance)


def test_cascade_reads_the_words(result):
    assert by_kind(result)["content"].cascaded >= 0.8


def test_end_to_end_is_above_chance_on_acoustic_questions(result):
    """The random encoder's tokens carry the sound linearly. For seed 0 at this size the global
    Q-former is at chance on timing (its queries average the whole clip); the window Q-former, one
    token per third of the clip, is not."""
    rows = by_kind(result)
    for kind in ("emotion", "music", "environment"):
        assert rows[kind].qformer > rows[kind].chance
    assert rows["timing"].window_qformer > rows["timing"].chance


@pytest.mark.parametrize("bad", [dict(seed=-1), dict(seed=1.0), dict(n_train=3), dict(n_test=0),
                                 dict(n_train=True), dict(n_test=10**6)])
def test_run_experiment_rejects_bad_arguments(bad):
    with pytest.raises(AudiollmError, match=next(iter(bad))):
        run_experiment(**bad)


def test_report_table(result):
    text = format_report(result)
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(QUESTIONS) + 2  # header, one row per type, two means
    acoustic = [r for r in result.rows if r.kind in ACOUSTIC_TYPES]
    mean_window = sum(r.window_qformer for r in acoustic) / len(acoustic)
    assert any(line.startswith("| **mean, acoustic** |") and line.endswith(f" | {mean_window:.2f} |") for line in table)
    timing = by_kind(result)["timing"]
    assert f"| timing | {timing.question} | `first` / `middle` / `last` | 0.33 | 0.33 |" in text
    assert all(len(line.split("|")) == len(SCORES) + 5 for line in table)


def test_report_rejects_anything_else():
    with pytest.raises(AudiollmError, match="result"):
        format_report({"rows": []})


def test_write_report_is_atomic(result, tmp_path):
    path = tmp_path / "cascade_vs_e2e.md"
    path.write_text("old")
    write_report(path, result)
    assert path.read_text(encoding="utf-8") == format_report(result)
    assert os.listdir(tmp_path) == ["cascade_vs_e2e.md"]
    with pytest.raises(AudiollmError, match="folder"):
        write_report(tmp_path / "missing" / "report.md", result)
    with pytest.raises(AudiollmError, match="result"):
        write_report(tmp_path / "other.md", "not a result")
    assert os.listdir(tmp_path) == ["cascade_vs_e2e.md"]


# --- exercise 1's shape helper ------------------------------------------------------------------------

def test_log_mel_shape_per_second():
    shape = log_mel_shape(2.5, 16000)
    assert (shape["samples"], shape["stft_frames"], shape["mel_frames"]) == (40000, 251, 250)
    assert log_mel_shape(30, 16000, n_mels=128)["shape"] == (3000, 128)  # large-v3


@pytest.mark.parametrize("kwargs, name", [
    (dict(seconds=0, sr=16000), "seconds"), (dict(seconds=math.inf, sr=16000), "seconds"),
    (dict(seconds=1, sr=16000.0), "sr"), (dict(seconds=1, sr=True), "sr"),
    (dict(seconds=1, sr=16000, n_mels=0), "n_mels"), (dict(seconds=1, sr=16000, window_ms=-25), "window_ms"),
    (dict(seconds=1, sr=16000, hop_ms=0), "hop_ms"), (dict(seconds=1, sr=40), "sr=40"),
])
def test_log_mel_shape_rejects_bad_arguments(kwargs, name):
    with pytest.raises(AudiollmError, match=name):
        log_mel_shape(**kwargs)


@pytest.mark.parametrize("call, name", [
    (lambda: transcribe([None], vowel_templates()), "log_mel"),
    (lambda: transcribe([[0.0] * 80], "abc"), "templates"),
    (lambda: answer_from_text("a", None, [0]), "options"),
    (lambda: answer_from_text("a", ["a", "b"], None), "prior"),
    (lambda: fit_readout(float("nan"), [0, 1], 2), "features"),
    (lambda: fit_readout([[0.0], [math.nan]], [0, 1], 2), "features"),
    (lambda: fit_readout([[0.0], [1.0]], None, 2), "answers"),
    (lambda: fit_readout([[0.0], [1.0]], [0, 1], 10 ** 12), "n_options"),
    (lambda: fit_readout([[0.0], [1.0]], [0, 1], 2).predict(None), "features"),
    (lambda: fit_readout([[0.0], [1.0]], [0, 1], 2).predict([[1.0]]), "features"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(AudiollmError, match=name):
        call()
