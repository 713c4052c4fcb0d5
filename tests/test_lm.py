"""The micro audio-LLM (audiollm.model.decoder and .audio_llm, audiollm.use.ask) and its instruction data and stage
(audiollm.learn.instruct)."""
import json
import os
import random
import subprocess
import sys

import pytest

from audiollm.model.autograd import Tensor
from audiollm.synthetic.corpus import make_clip
from audiollm.base.errors import AudiollmError, WeightsFileError
from audiollm.learn.instruct import TEMPLATES, TYPES, examples, loss_of, qa_pairs, thought, train, vocabulary
from audiollm.model.decoder import SOUND, SPECIALS, MicroLM, split_answer, words_of
from audiollm.model.audio_llm import OUTSIDE, answer, audio_rows, load_lm, sha256_file
from audiollm.model.listener import DEFAULT_WEIGHTS, load_listener
from audiollm.front.mel import log_mel_spectrogram
from audiollm.synthetic.synth import lesson_scene
from audiollm.model.nn import save_weights

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAIN = os.path.join(ROOT, "code", "main.py")
WORDS = [*SPECIALS, "is", "there", "music", "yes", "no"]


def toy_data(n_rows=4, width=6):
    """Two clips whose audio rows differ only in sign, and the answer that goes with each."""
    rng = random.Random(1)
    base = [[rng.uniform(0.5, 1.0) for _ in range(width)] for _ in range(n_rows)]
    return [("music", base, "is there music", ["yes"]),
            ("music", [[-v for v in row] for row in base], "is there music", ["no"])]


def test_sound_placeholders_take_the_audio_rows_exactly():
    model = MicroLM(WORDS, 6, "qformer", d_model=8, n_heads=2)
    audio = Tensor([[float(i + 10 * j) for i in range(8)] for j in range(3)])
    ids = model.prompt_ids(3, "is there music")
    ids.insert(1, ids.pop(-2))  # placeholders need not be contiguous: <sound> is there <sound> <sound> music <sep>
    rows = model.embed(ids, audio).data
    placed = [i for i, t in enumerate(ids) if t == model.ids[SOUND]]
    assert [rows[i] for i in placed] == audio.data
    assert all(rows[i] == model.wte.weight.data[t] for i, t in enumerate(ids) if i not in placed)
    with pytest.raises(AudiollmError, match="placeholders"):
        model.embed(ids, Tensor(audio.data[:2]))


def test_a_packed_batch_gives_each_sequence_its_own_logits():
    model = MicroLM(WORDS, 6, "pooled", d_model=8, n_heads=2)
    (_, a, qa, _), (_, b, qb, _) = toy_data()
    ids_a, ids_b = model.prompt_ids(2, qa), model.prompt_ids(2, qb + " is")
    alone = model([(ids_a, a, range(len(ids_a)))]).data + model([(ids_b, b, range(len(ids_b)))]).data
    packed = model([(ids_a, a, range(len(ids_a))), (ids_b, b, range(len(ids_b)))]).data
    assert max(abs(x - y) for r, s in zip(alone, packed) for x, y in zip(r, s)) < 1e-9


def test_a_tiny_model_learns_a_toy_mapping_in_a_few_steps():
    data = toy_data()
    model, history = train(data, WORDS, 6, "pooled", steps=40, d_model=8, batch=2, lr=2e-2)
    assert history[-1][1] < 0.3 * history[0][1]
    assert [model.generate(rows, q) for _, rows, q, _ in data] == [["yes"], ["no"]]
    assert loss_of(model, data).item() < 0.5


def test_training_is_deterministic_for_a_seed():
    runs = [train(toy_data(), WORDS, 6, "pooled", steps=3, d_model=8, batch=2, seed=4) for _ in range(2)]
    assert runs[0][1] == runs[1][1]
    assert runs[0][0].state_dict() == runs[1][0].state_dict()
    other = train(toy_data(), WORDS, 6, "pooled", steps=3, d_model=8, batch=2, seed=5)
    assert other[0].state_dict() != runs[0][0].state_dict()


def test_greedy_decoding_is_deterministic():
    first = MicroLM(WORDS, 6, "qformer", d_model=8, n_heads=2, seed=3)
    second = MicroLM(WORDS, 6, "qformer", d_model=8, n_heads=2, seed=3)
    rows = toy_data()[0][1]
    out = first.generate(rows, "is there music", max_new=6)
    assert out == first.generate(rows, "is there music", max_new=6) == second.generate(rows, "is there music",
                                                                                         max_new=6)
    assert len(out) == 6  # untrained: it never picks <eos>, so it stops after max_new words


def test_the_key_value_cache_gives_the_words_of_the_literal_loop():
    model = MicroLM(WORDS, 6, "pooled", d_model=8, n_heads=2, seed=5)
    rows = toy_data()[0][1]
    ids = model.prompt_ids(model.n_audio(rows), "is there music")
    literal = []
    for _ in range(8):  # the literal algorithm: the whole sequence again for every word
        row = model([(ids, rows, [len(ids) - 1])]).data[0]
        best = max((i for i, w in enumerate(WORDS) if w not in ("<unk>", "<sound>", "<sep>")), key=row.__getitem__)
        if WORDS[best] == "<eos>":
            break
        literal.append(WORDS[best])
        ids.append(best)
    assert model.generate(rows, "is there music", max_new=8) == literal


def test_forward_with_the_key_value_cache_gives_the_logits_of_the_whole_forward():
    model = MicroLM(WORDS, 6, "pooled", d_model=8, n_heads=2, n_layers=2, seed=5)
    rows = toy_data()[0][1]
    prompt = model.prompt_ids(model.n_audio(rows), "is there music")
    ids = prompt + [model.ids[w] for w in ("yes", "no", "music")]
    whole = model([(ids, rows, range(len(ids)))]).data
    kv_cache = [[[], []] for _ in model.blocks]
    steps = model([(prompt, rows, range(len(prompt)))], kv_cache).data
    steps += [model([([i], [], [0])], kv_cache).data[0] for i in ids[len(prompt):]]
    assert max(abs(a - b) for r, s in zip(steps, whole) for a, b in zip(r, s)) < 1e-12


def test_instruction_data_follows_the_clip_truth():
    clip = make_clip(7, 4.0)
    pairs = {kind: (q, a) for kind, q, a in qa_pairs(clip, random.Random(0))}
    kinds = {s.kind for s in clip.segments}
    assert pairs["speech"][1] == ("yes" if "speech" in kinds else "no")
    assert pairs["music"][1] == ("yes" if "music" in kinds else "no")
    assert set(pairs) <= set(TYPES)
    held = {kind: q for kind, q, _ in qa_pairs(clip, random.Random(0), held_out=True)}
    for kind, question in held.items():
        assert question not in [t.format(x=x) for t in TEMPLATES[kind][0] for x in ("",)] or "{x}" in question
    think = examples(clip, 0, think=True)
    assert all(t[0] == "<think>" and split_answer(t)[0] == thought(clip) for _, _, t in think)
    assert all(w in vocabulary() for _, q, t in examples(clip, 0) for w in words_of(q) + t)


def test_weights_errors_name_the_file(tmp_path):
    with pytest.raises(WeightsFileError, match="nothing.json: no such file"):
        load_lm(str(tmp_path / "nothing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(WeightsFileError, match="bad.json"):
        load_lm(str(bad))
    model = MicroLM(WORDS, 6, "qformer", d_model=8, n_heads=2)
    path = str(tmp_path / "lm.json")
    config = {"d_audio": 6, "bridge": "qformer", "d_model": 8, "n_heads": 2, "n_layers": 1}
    save_weights(path, model, {"words": WORDS, "config": config, "listener_sha256": "0" * 64})
    assert load_lm(path)[0].generate(toy_data()[0][1], "is there music", 3) == model.generate(
        toy_data()[0][1], "is there music", 3)
    with pytest.raises(WeightsFileError, match="lm.json: trained on other Listener weights"):
        load_lm(path, DEFAULT_WEIGHTS)


def test_load_lm_parses_its_weights_file_once(json_parses):
    load_lm()
    assert len(json_parses) == 1


def test_the_shipped_model_matches_the_shipped_listener():
    model, meta = load_lm(listener_path=DEFAULT_WEIGHTS)
    assert meta["listener_sha256"] == sha256_file(DEFAULT_WEIGHTS)
    assert model.n_params() < 200_000


def test_a_question_of_unknown_words_is_refused_not_answered():
    model, _ = load_lm()
    listener = load_listener()
    log_mel = [[-0.5] * 80 for _ in range(200)]
    thought_words, text = answer(model, listener, log_mel, "quelle heure est-il maintenant")
    assert thought_words is None and text.startswith(OUTSIDE) and "quelle" in text
    with pytest.raises(AudiollmError, match="question is empty"):
        answer(model, listener, log_mel, "   ")


def test_a_thought_comes_only_when_the_prompt_asks_for_one():
    """AF3's switch: without "think before you answer" the decoder may not open a thought (on a new phrasing the
    shipped model used to drift into one and run out of words before the answer); with it, it thinks first."""
    model, _ = load_lm()
    listener = load_listener()
    samples, _ = lesson_scene()
    log_mel = log_mel_spectrogram(samples)[:1000]
    for question in ("is anyone talking", "what do you hear", "is there music", "when does the music start"):
        thought_words, text = answer(model, listener, log_mel, question)
        assert thought_words is None and text and text != "(no answer)"
    thought_words, _ = answer(model, listener, log_mel, "what comes first", think=True)
    assert thought_words


def run_main(*args):
    return subprocess.run([sys.executable, MAIN, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("question, message", [("", "empty"), ("x" * 300, "at most"), ("is\x07there", "printable")])
def test_ask_bad_input_exits_2_with_one_line(question, message):
    result = run_main("--ask", question)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_ask_answers_for_each_window_of_a_committed_clip():
    path = os.path.join(ROOT, "tests", "fixtures", "scenes", "scene2.wav")
    result = run_main("--audio", path, "--ask", "is there music", "--think")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["thought", "answer"]
    assert lines[1] in ("answer: yes", "answer: no")


def test_the_cascade_llm_reads_the_transcript_and_the_end_to_end_llm_the_audio():
    from audiollm.use.experiment import QUESTIONS, _llm_data, make_questions
    questions = make_questions(1, seed=0)
    prepared = [("a i", [[0.5] * 64, [0.25] * 64])] * len(questions)
    cascade, e2e = _llm_data(questions, prepared, True), _llm_data(questions, prepared, False)
    for q, (kind, rows, prompt, target), (_, rows2, prompt2, target2) in zip(questions, cascade, e2e):
        assert rows == [] and prompt == "a i " + QUESTIONS[kind][0]
        assert rows2 == prepared[0][1] and prompt2 == QUESTIONS[kind][0]
        assert target == target2 == words_of(q.options[q.answer])
