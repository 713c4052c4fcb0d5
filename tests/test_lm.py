"""The micro audio-LLM (audiollm.model.decoder and .audio_llm, its lexicon, audiollm.use.ask) and its instruction
data and stage (audiollm.learn.instruct)."""
import glob
import json
import os
import pathlib
import random
import subprocess
import sys

import pytest

from audiollm.model.autograd import Tensor
from audiollm.synthetic.corpus import make_clip
from audiollm.base.errors import AudiollmError, WeightsFileError
from audiollm.learn.instruct import FORMS, TEMPLATES, TYPES, lm_vocabulary, loss_of, phrase, qa_pairs, thought, train
from audiollm.use.evaluate import read_phrasings
from audiollm.model.decoder import END_THINK, SOUND, SPECIALS, THINK, MicroLM, split_answer
from audiollm.model.audio_llm import (OUTSIDE, answer, asked_about, evidence_grammar, heard_kinds, listen, load_lm,
                                      read_question, reply, sha256_file)
from audiollm.model.lexicon import answer_form, answer_grammar, known_words, read_synonyms, words_of
from audiollm.model.listener import DEFAULT_WEIGHTS, load_listener
from audiollm.front.mel import log_mel_spectrogram
from audiollm.front.resample import load_audio
from audiollm.synthetic.synth import lesson_scene
from audiollm.model.nn import save_weights

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAIN = os.path.join(ROOT, "code", "main.py")
PHRASINGS = os.path.join(ROOT, "tests", "fixtures", "llm_phrasings.tsv")
SCENES = sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "scenes*", "scenes.json")))
WORDS = [*SPECIALS, "is", "there", "music", "yes", "no"]


def toy_data(n_rows=4, width=6):
    """Two clips whose audio rows differ only in sign, and the answer that goes with each: instruct.train's
    {type: [items]} with the example maker below."""
    rng = random.Random(1)
    base = [[rng.uniform(0.5, 1.0) for _ in range(width)] for _ in range(n_rows)]
    return {"music": [(base, ["is", "there", "music"], ["yes"]),
                      ([[-v for v in row] for row in base], ["is", "there", "music"], ["no"])]}


def toy_example(model, item, kind, mode, rng):
    rows, question, target = item
    return rows, model.prompt_ids(model.n_audio(rows), question), target


def toy_train(**options):
    return train(toy_data(), WORDS, 6, d_model=8, n_layers=1, batch=2, make=toy_example, **options)


def test_sound_placeholders_take_the_audio_rows_exactly():
    model = MicroLM(WORDS, 6, d_model=8, n_heads=2)
    audio = Tensor([[float(i + 10 * j) for i in range(8)] for j in range(3)])
    ids = model.prompt_ids(3, ["is", "there", "music"])
    ids.insert(1, ids.pop(-2))  # placeholders need not be contiguous: <sound> is there <sound> <sound> music <sep>
    rows = model.embed(ids, audio).data
    placed = [i for i, t in enumerate(ids) if t == model.ids[SOUND]]
    assert [rows[i] for i in placed] == audio.data
    assert all(rows[i] == model.wte.weight.data[t] for i, t in enumerate(ids) if i not in placed)
    with pytest.raises(AudiollmError, match="placeholders"):
        model.embed(ids, Tensor(audio.data[:2]))


def test_a_packed_batch_gives_each_sequence_its_own_logits():
    model = MicroLM(WORDS, 6, d_model=8, n_heads=2)
    (a, qa, _), (b, qb, _) = toy_data()["music"]
    ids_a, ids_b = model.prompt_ids(2, qa), model.prompt_ids(2, qb + ["is"])
    alone = model([(ids_a, a, range(len(ids_a)))]).data + model([(ids_b, b, range(len(ids_b)))]).data
    packed = model([(ids_a, a, range(len(ids_a))), (ids_b, b, range(len(ids_b)))]).data
    assert max(abs(x - y) for r, s in zip(alone, packed) for x, y in zip(r, s)) < 1e-9


@pytest.mark.parametrize("workers", [1, 2])
def test_a_tiny_model_learns_a_toy_mapping_in_a_few_steps(workers):
    model, history = toy_train(steps=60, lr=2e-2, workers=workers)
    assert history[-1][1] < 0.3 * history[0][1]
    items = toy_data()["music"]
    assert [model.generate(rows, model.prompt_ids(2, q)) for rows, q, _ in items] == [["yes"], ["no"]]
    assert loss_of(model, [toy_example(model, item, "music", "hybrid", None) for item in items])[0].item() < 0.5


def test_training_is_deterministic_for_a_seed_on_both_cores():
    runs = [toy_train(steps=3, seed=4, workers=2) for _ in range(2)]
    assert runs[0][1] == runs[1][1]
    assert runs[0][0].state_dict() == runs[1][0].state_dict()
    other = toy_train(steps=3, seed=5, workers=2)
    assert other[0].state_dict() != runs[0][0].state_dict()


def test_greedy_decoding_is_deterministic():
    first = MicroLM(WORDS, 6, d_model=8, n_heads=2, seed=2)
    second = MicroLM(WORDS, 6, d_model=8, n_heads=2, seed=2)
    rows = toy_data()["music"][0][0]
    prompt = first.prompt_ids(2, ["is", "there", "music"])
    out = first.generate(rows, prompt, max_new=6)
    assert out == first.generate(rows, prompt, max_new=6) == second.generate(rows, prompt, max_new=6)
    assert len(out) == 6  # untrained: it never picks <eos>, so it stops after max_new words


def test_the_key_value_cache_gives_the_words_of_the_literal_loop():
    model = MicroLM(WORDS, 6, d_model=8, n_heads=2, seed=5)
    rows = toy_data()["music"][0][0]
    ids = model.prompt_ids(model.n_audio(rows), ["is", "there", "music"])
    prompt = list(ids)
    literal = []
    for _ in range(8):  # the literal algorithm: the whole sequence again for every word
        row = model([(ids, rows, [len(ids) - 1])]).data[0]
        best = max((i for i, w in enumerate(WORDS) if w not in SPECIALS or w == "<eos>"), key=row.__getitem__)
        if WORDS[best] == "<eos>":
            break
        literal.append(WORDS[best])
        ids.append(best)
    assert model.generate(rows, prompt, max_new=8) == literal


def test_forward_with_the_key_value_cache_gives_the_logits_of_the_whole_forward():
    model = MicroLM(WORDS, 6, d_model=8, n_heads=2, n_layers=2, seed=5)
    rows = toy_data()["music"][0][0]
    prompt = model.prompt_ids(model.n_audio(rows), ["is", "there", "music"])
    ids = prompt + [model.ids[w] for w in ("yes", "no", "music")]
    whole = model([(ids, rows, range(len(ids)))]).data
    kv_cache = [[[], []] for _ in model.blocks]
    steps = model([(prompt, rows, range(len(prompt)))], kv_cache).data
    steps += [model([([i], [], [0])], kv_cache).data[0] for i in ids[len(prompt):]]
    assert max(abs(a - b) for r, s in zip(steps, whole) for a, b in zip(r, s)) < 1e-12


def test_instruction_data_follows_the_clip_truth():
    clip = make_clip(7, 4.0)
    pairs = {kind: (x, a) for kind, x, a in qa_pairs(clip, random.Random(0))}
    kinds = {s.kind for s in clip.segments}
    assert pairs["speech"][1] == ("yes" if "speech" in kinds else "no")
    assert pairs["music"][1] == ("yes" if "music" in kinds else "no")
    assert set(pairs) <= set(TYPES)
    known = set(lm_vocabulary())
    for kind, (x, a) in pairs.items():
        trained = [phrase(kind, x, random.Random(k)) for k in range(20)]
        assert phrase(kind, x) not in trained  # the held-out phrasing is never a training one
        assert all(w in known for q in trained for w in words_of(q)) and all(w in known for w in words_of(a))
    assert all(w in known for w in thought(clip))


def test_the_lexicon_maps_a_learners_words_to_known_ones():
    known = set(lm_vocabulary())
    cases = {"is anyone talking": "is anyone speaking", "is there a song playing": "is there a music playing",
             "can you hear a guitar": "can you hear a music",
             "which instruments are there": "which instrument are there",
             "what is at the end": "what is at the last",
             "is the voice relaxed or excited": "is the voice calm or excited",
             "count the speakers": "how many the speakers", "when does the tune come in": "when does the music start"}
    for typed, mapped in cases.items():
        assert " ".join(known_words(words_of(typed), known)[0]) == mapped, typed
    words, dropped = known_words(words_of("what is this thingamajig"), known)
    assert dropped == ["thingamajig"] and words == ["what", "is", "this"]
    known_phrase = words_of("what time does the music start")  # all known: no synonym rewrites it
    assert known_words(known_phrase, known)[0] == known_phrase
    table = read_synonyms()
    assert table[("talking",)] == ("speaking",) and table[("violin",)] == ("music",)  # the AudioSet music words


def test_every_phrasing_asks_for_its_types_form_and_a_yes_no_grammar_allows_only_yes_or_no():
    known = set(lm_vocabulary())
    form_name = {"open": "words", "choice": "words"}
    questions = [(k, q.format(x="a siren")) for k, (train_, held) in TEMPLATES.items() for q in (*train_, held)]
    questions += [(k, q.format(sound="siren")) for k, qs in read_phrasings(PHRASINGS).items() for q in qs]
    assert len(questions) >= 40 + 44
    for kind, question in questions:
        words = known_words(words_of(question), known)[0]
        form = answer_form(words, words_of(question))
        assert form_name.get(form[0], form[0]) == FORMS[kind], question
    grammar = answer_grammar(("yes/no",))
    assert grammar([]) == ("yes", "no") and grammar(["yes"]) == ("<eos>",)


def test_the_evidence_grammar_holds_a_presence_answer_to_the_timeline_and_the_thought():
    assert [asked_about(words_of(q)) for q in ("is there a dog barking", "is anyone speaking",
                                               "is someone playing an instrument", "what comes first")] == \
        ["bark", "speech", "music", None]
    form = ("yes/no",)
    grammar = answer_grammar(form)
    heard = ["speech", "0", "3", "music", "4", "7"]

    def asked(question, heard_words):
        return evidence_grammar(grammar, form, words_of(question), heard_words)
    assert asked("is there speech", heard)([], None) == ("yes",)
    assert asked("is there a dog barking", heard)([], None) == ("yes", "no")  # the timeline names no sound
    assert asked("is there music", [])([], ["music", "organ", "minor", "2"]) == ("yes",)
    assert asked("is there speech", heard)([], ["music", "organ", "minor", "2"]) == ("no",)
    assert asked("is there speech", heard)(["yes"], None) == ("<eos>",)


def test_the_evidence_grammar_holds_lists_first_last_and_start_to_the_timeline():
    heard = ["speech", "0", "3", "music", "4", "7", "music", "8", "9", "sound", "9", "12"]
    assert heard_kinds(heard) == ["speech", "music", "sound"]

    def walk(question, heard_words, pick=lambda allowed: allowed[0]):
        """The answer a decoder gives that takes `pick` of the allowed words at every step."""
        words = words_of(question)
        form = answer_form(words, words)
        grammar = evidence_grammar(answer_grammar(form), form, words, heard_words)
        out = []
        while (word := pick(grammar(out, None))) != "<eos>":
            out.append(word)
        return " ".join(out)
    def last_kind(allowed):  # a decoder that would rather name a later kind
        return ([w for w in allowed if w in ("speech", "music", "sound")] or allowed)[-1]
    assert walk("what do you hear", heard, last_kind) == "speech then music then sound"
    assert walk("what comes first", heard, last_kind) == "speech"
    assert walk("what comes last", heard) == "sound"
    assert walk("what can you hear at the end", heard) == "sound"
    assert walk("when does the music start", heard) == "4 seconds"
    assert walk("when does the music start", [], lambda allowed: allowed[-1]) == "30 seconds"  # nothing heard
    assert walk("what do you hear", [], lambda allowed: allowed[0]) == "speech then music then speech then music" \
        " then speech then music"  # the grammar alone: at most MAX_LIST kinds, never one twice in a row
    words = words_of("which instrument plays")  # a word that names no kind is the model's to choose
    form = answer_form(words, words)
    assert "organ" in evidence_grammar(answer_grammar(form), form, words, heard)([], None)


@pytest.fixture(scope="module")
def shipped():
    return load_lm(listener_path=DEFAULT_WEIGHTS)[0], load_listener()


@pytest.fixture(scope="module")
def lesson(shipped):
    samples = lesson_scene()[0]
    return listen(shipped[1], samples, log_mel_spectrogram(samples))


def test_a_yes_no_question_is_never_answered_with_a_number_or_a_list(shipped, lesson):
    model, _ = shipped
    questions = [q.format(x="a siren") for k, (train_, held) in TEMPLATES.items() if FORMS[k] == "yes/no"
                 for q in (*train_, held)]
    questions += [q.format(sound="siren") for k, qs in read_phrasings(PHRASINGS).items() if FORMS[k] == "yes/no"
                  for q in qs]
    for question in questions:
        for think, hybrid in ((False, True), (False, False), (True, True)):
            assert reply(model, *lesson, question, think, hybrid)[1] in ("yes", "no"), question


def test_the_weights_errors_name_the_file(tmp_path):
    with pytest.raises(WeightsFileError, match="nothing.json: no such file"):
        load_lm(str(tmp_path / "nothing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(WeightsFileError, match="bad.json"):
        load_lm(str(bad))
    model = MicroLM(WORDS, 6, d_model=8, n_heads=2)
    path = str(tmp_path / "lm.json")
    config = {"d_audio": 6, "d_model": 8, "n_heads": 2, "n_layers": 1}
    save_weights(path, model, {"words": WORDS, "config": config, "listener_sha256": "0" * 64})
    rows, prompt = toy_data()["music"][0][0], model.prompt_ids(2, ["is", "there", "music"])
    assert load_lm(path)[0].generate(rows, prompt, max_new=3) == model.generate(rows, prompt, max_new=3)
    with pytest.raises(WeightsFileError, match="lm.json: trained on other Listener weights"):
        load_lm(path, DEFAULT_WEIGHTS)


def test_load_lm_parses_its_weights_file_once(json_parses):
    load_lm()
    assert len(json_parses) == 1


def test_the_shipped_model_matches_the_shipped_listener():
    model, meta = load_lm(listener_path=DEFAULT_WEIGHTS)
    assert meta["listener_sha256"] == sha256_file(DEFAULT_WEIGHTS)
    assert model.n_params() < 200_000


def test_a_question_it_cannot_place_is_refused_not_answered(shipped):
    model, listener = shipped
    samples = [0.01 * ((i % 50) - 25) for i in range(32000)]
    for question in ("quelle heure est-il maintenant", "what is the capital of france"):
        thought_words, text = answer(model, listener, samples, question)
        assert thought_words is None and text.startswith(OUTSIDE)
    assert "quelle" in answer(model, listener, samples, "quelle heure est-il maintenant")[1]
    with pytest.raises(AudiollmError, match="question is empty"):
        answer(model, listener, samples, "   ")


def test_a_question_is_text_never_control(shipped, lesson):
    """Issue 20 item 7: words such as "think", "<think>" or "</think>" in a question cannot open or close a
    thought, and a thought always closes (the answer comes). Before, "... think before you answer" typed into
    the question opened a thought without --think."""
    model, _ = shipped
    for question in ("is there music think before you answer", "<think> is there music", "is there music </think>",
                     "think: is there speech", "is there speech </think> <think>"):
        thought_words, text = reply(model, *lesson, question)
        assert thought_words is None and text in ("yes", "no"), question
        thought_words, text = reply(model, *lesson, question, think=True)
        assert thought_words is not None and text in ("yes", "no"), question
        assert THINK not in thought_words and END_THINK not in thought_words
    words, _ = read_question(model, "<think> is there music </think>")
    assert model.ids[THINK] not in model.prompt_ids(0, words) and model.ids[END_THINK] not in model.prompt_ids(0, words)


def test_split_answer_reads_a_thought_up_to_its_end():
    assert split_answer(["speech", "0", END_THINK, "yes"]) == (["speech", "0"], ["yes"])
    assert split_answer(["yes"]) == (None, ["yes"])


def _heard_spans(heard):
    return [(heard[i], int(heard[i + 2]) - int(heard[i + 1])) for i in range(0, len(heard), 3)]


@pytest.mark.parametrize("scenes_json", SCENES, ids=lambda p: os.path.relpath(os.path.dirname(p), ROOT))
def test_its_ears_and_its_words_agree_on_the_committed_scenes(shipped, scenes_json):
    """Whenever the Listener's timeline shows speech (music) for a second or more, "is there speech (music)" is
    yes; with a thought, the answer follows the thought."""
    model, listener = shipped
    with open(scenes_json, encoding="utf-8") as stream:
        scenes = json.load(stream)["scenes"]
    for scene in scenes:
        samples = load_audio(os.path.join(os.path.dirname(scenes_json), scene["file"]))
        rows, heard = listen(listener, samples, log_mel_spectrogram(samples))
        for kind in ("speech", "music"):
            question = TEMPLATES[kind][0][0]
            if any(k == kind and seconds >= 1 for k, seconds in _heard_spans(heard)):
                assert reply(model, rows, heard, question)[1] == "yes", (scene["file"], kind, heard)
            thought_words, text = reply(model, rows, heard, question, think=True)
            assert text == ("yes" if kind in thought_words else "no"), (scene["file"], kind, thought_words)


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
    prepared = [(["a", "i"], [[0.5] * 64, [0.25] * 64])] * len(questions)
    cascade, e2e = _llm_data(questions, prepared, True), _llm_data(questions, prepared, False)
    for q in questions:
        (rows, prompt, target), = cascade[q.kind]
        (rows2, prompt2, target2), = e2e[q.kind]
        assert rows == [] and prompt == ["a", "i"] + words_of(QUESTIONS[q.kind][0])
        assert rows2 == prepared[0][1] and prompt2 == words_of(QUESTIONS[q.kind][0])
        assert target == target2 == words_of(q.options[q.answer])


def test_the_music_encoder_tells_a_major_chord_from_a_minor_one_in_any_key():
    """music.music_summary's mode part: the best major triad minus the best minor one is positive for a major
    chord and negative for a minor one, whatever the root (key-invariant templates on a 4096-point chroma)."""
    import math
    from audiollm.model.music import D_MUSIC, music_summary
    tags = [[0.0, 1.0, 0.0, 0.0]] * 100  # 2 s of encoder frames, all music
    for root in (48, 53, 57):  # C3, F3, A3 (MIDI)
        for third, sign in ((4, 1), (3, -1)):
            hz = [440.0 * 2 ** ((root + s - 69) / 12) for s in (0, third, 7)]
            samples = [sum(0.2 * math.sin(2 * math.pi * f * n / 16000) for f in hz) for n in range(32000)]
            summary = music_summary(samples, log_mel_spectrogram(samples), tags)
            assert len(summary) == D_MUSIC and sign * summary[2] > 0.5, (root, third, summary[:3])


def test_a_tiny_instruction_stage_is_deterministic_and_leaves_the_shipped_files_alone(tmp_path):
    """The committed command regenerates lm.json byte for byte; a tiny run shows the same on two runs, writes its
    report beside --out and touches no shipped file."""
    root = pathlib.Path(__file__).resolve().parent.parent
    shipped = [(root / "code" / "audiollm" / "weights" / "lm.json").read_bytes(),
               (root / "outputs" / "instruct_report.md").read_bytes()]
    made = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        out = tmp_path / run / "lm.json"
        result = subprocess.run([sys.executable, str(root / "code" / "train.py"), "--stage", "instruct", "--clips", "6",
                                 "--steps", "2", "--val", "3", "--workers", "1", "--out", str(out)],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        made.append((out.read_bytes(), (tmp_path / run / "lm.md").read_bytes()))
    assert made[0] == made[1]
    # --measure: no training, the weights measured again; with decoding unchanged, the very bytes of the run
    (tmp_path / "a" / "lm.md").unlink()
    result = subprocess.run([sys.executable, str(root / "code" / "train.py"), "--stage", "instruct", "--clips", "6",
                             "--steps", "2", "--val", "3", "--workers", "1", "--out", str(tmp_path / "a" / "lm.json"),
                             "--measure"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "measuring" in result.stderr and "steps in" not in result.stderr, result.stderr
    assert ((tmp_path / "a" / "lm.json").read_bytes(), (tmp_path / "a" / "lm.md").read_bytes()) == made[0]
    assert [(root / "code" / "audiollm" / "weights" / "lm.json").read_bytes(),
            (root / "outputs" / "instruct_report.md").read_bytes()] == shipped
