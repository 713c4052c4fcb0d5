"""Evaluation on audio the project did not synthesise (lesson: "Use It"): the espeak-ng / sox scenes, each set a
scenes.json beside its WAVs (tests/fixtures/scenes, scenes/fresh, scenes_llm). Training never reads them;
`python3 code/evaluate.py` scores the shipped Listener's timeline and the micro audio-LLM's answers on them.
"""
import json
import os

from ..front.resample import load_audio
from ..front.mel import log_mel_spectrogram
from ..model.vocab import KINDS
from ..model.listener import Listener
from ..model.audio_llm import listen, reply
from ..learn.align import audio_item, frame_accuracy
from ..learn.instruct import TEMPLATES, scores


def read_scenes(scenes_json):
    """A scenes.json -> [(path of the scene's WAV, [(start_s, end_s, kind)])], kind one of speech / music /
    sound / silence."""
    folder = os.path.dirname(scenes_json)
    with open(scenes_json, encoding="utf-8") as stream:
        doc = json.load(stream)
    return [(os.path.join(folder, scene["file"]), [(s["start"], s["end"], s["kind"]) for s in scene["segments"]])
            for scene in doc["scenes"]]


def scene_items(scenes_json):
    """The scenes of a scenes.json as align.frame_accuracy items (raw encoder frames, true 10-ms labels)."""
    return [audio_item(load_audio(path), segments) for path, segments in read_scenes(scenes_json)]


def untrained_twin(model, seed=0):
    """The Listener `model` was before training (the same size and seed), with its normalisation (shift and
    scale, fitted on the training clips and never trained): the untrained column of timeline_table."""
    twin = Listener(model.qformer.n_queries, seed)
    twin.shift.data, twin.scale.data = model.shift.data, model.scale.data
    return twin


def timeline_table(model, untrained, scene_sets):
    """Timeline frame accuracy on scene sets {name: scenes.json} -> [(name, untrained, trained, chance)], the
    rows of align.format_table."""
    rows = []
    for name, scenes_json in scene_sets.items():
        items = scene_items(scenes_json)
        rows.append((f"timeline frame accuracy, {len(items)} {name}", frame_accuracy(untrained, items),
                     frame_accuracy(model, items), 1 / len(KINDS)))
    return rows


def scene_questions(scenes_json):
    """The scenes of a scenes.json as (path, question, true answer) for "is there speech / music", every
    phrasing (training and held-out) of both."""
    out = []
    for path, segments in read_scenes(scenes_json):
        kinds = {kind for _, _, kind in segments}
        for kind in ("speech", "music"):
            train_phrasings, held = TEMPLATES[kind]
            out += [(path, q, "yes" if kind in kinds else "no") for q in (*train_phrasings, held)]
    return out


def scene_accuracy(model, listener, scenes_jsons, hybrid=True, agree=True):
    """Share of scene_questions the micro audio-LLM answers right (the scenes are under 30 s: one window each);
    hybrid=False asks end to end (audio tokens only); agree=False without audio_llm.evidence_grammar."""
    right = total = 0
    heard = {}
    for scenes_json in scenes_jsons:
        for path, question, truth in scene_questions(scenes_json):
            if path not in heard:
                samples = load_audio(path)
                heard[path] = listen(listener, samples, log_mel_spectrogram(samples))
            right += reply(model, *heard[path], question, hybrid=hybrid, agree=agree)[1] == truth
            total += 1
    return right / total


def read_phrasings(path):
    """A learner's questions (tests/fixtures/llm_phrasings.tsv: type TAB question per line, # comments; {sound}
    is filled with the asked clip's sound) -> {type: [questions]}."""
    out = {}
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip() and not line.startswith("#"):
                kind, question = line.rstrip("\n").split("\t")
                out.setdefault(kind, []).append(question)
    return out


def phrasing_scores(model, test_data, path):
    """A learner's phrasings (read_phrasings(path)) on held-out clips (instruct.dataset of the test split),
    hybrid, with and without the lexicon: {"with lexicon" / "without lexicon": (share right, share of answers
    of the wrong form)} over every clip asked."""
    questions = read_phrasings(path)
    out = {}
    for name, lexicon in (("with lexicon", True), ("without lexicon", False)):
        got = scores(model, test_data, "hybrid", questions=questions, lexicon=lexicon)
        n = sum(len(test_data[k]) for k in got)
        out[name] = (sum(got[k][0] * len(test_data[k]) for k in got) / n,
                     sum(got[k][1] * len(test_data[k]) for k in got) / n)
    return out
