import importlib.util
import math
import os
from pathlib import Path

import pytest

from audiollm.model.bridges import tokens_per_clip
from audiollm.base.errors import AudiollmError
from audiollm.use.needs import ACOUSTIC, NEEDS, VOCABULARY, find_needs, forms, read_sound_words, tokens
from audiollm.use.picker import (EXAMPLES, MMAU_BOARDS, MMAU_MEASURED, PROFILES, QUESTIONS, RULES, SKILL_PATH,
                                 format_plan, pick, render_skill, write_skill)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"

DECISIONS = {  # profile -> (pipeline, thinking) with no constraints
    "transcription": ("cascaded", False),
    "podcast summarisation": ("cascaded", False),
    "keyword extraction": ("cascaded", False),
    "music tagging": ("end-to-end", False),
    "instrument recognition": ("end-to-end", False),
    "emotion inference": ("hybrid", False),
    "multi-speaker diarization": ("end-to-end", False),
    "meeting notes with speaker labels": ("hybrid", True),
    "environment classification": ("end-to-end", False),
    "temporal event grounding": ("hybrid", True),
    "deepfake detection": ("end-to-end", True),
    "streaming voice assistant": ("cascaded", False),
}


def needs_of(question):
    return dict(find_needs(question).evidence)


# ---- the built-in profiles: named examples and the decision table ----

def test_every_builtin_profile_has_a_decision():
    assert [p.name for p in PROFILES] == list(DECISIONS)


@pytest.mark.parametrize("name", list(DECISIONS))
def test_builtin_profile_decision(name):
    plan = pick(name)
    assert (plan.pipeline, plan.thinking) == DECISIONS[name]
    assert plan.profile == name and plan.evidence == () and plan.matched == ()
    assert set(plan.needs) == next(p.needs for p in PROFILES if p.name == name)
    assert plan.encoders and plan.llm
    if plan.pipeline == "cascaded":
        assert plan.bridge is None and plan.audio_tokens is None and plan.mmau is None
    else:
        assert plan.bridge == "pooled_mlp" and plan.encoders == ("AF-Whisper",)
        assert plan.audio_tokens == 750 and plan.mmau == (43.10, 73.30)


def test_exactly_three_profiles_think_and_each_says_why():
    thinking = [p.name for p in PROFILES if pick(p.name).thinking]
    assert thinking == ["meeting notes with speaker labels", "temporal event grounding", "deepfake detection"]
    for name in thinking:
        plan = pick(name)
        why = next(p.thinking for p in PROFILES if p.name == name)
        assert why and any(why in r and "3-5 points" in r and "no AF3 source" in r for r in plan.reasons)
    assert "thinking-helps" not in pick("transcription").fired


def test_profile_names_match_directly_ignoring_case_and_spacing():
    plan = pick("  Music   Tagging ")
    assert plan.profile == "music tagging" and plan.evidence == ()


# ---- needs, one at a time, each with the words behind it ----

@pytest.mark.parametrize("question, need, words", [
    ("Turn this voicemail into text so I can read it", "words", ("into text", "can read")),
    ("Please TRANSCRIBE this interview", "words", ("transcribe",)),
    ("Write up the minutes of this meeting", "words", ("write up", "the minutes")),
    ("What are the action items from the standup?", "words", ("action items",)),
    ("Did the agent mention the refund policy on the call?", "words", ("mention",)),
    ("Is the speaker nervous or confident?", "paralinguistics", ("nervous", "confident")),
    ("Does the caller sound angry?", "paralinguistics", ("angry",)),
    ("Does the speaker have a British accent?", "paralinguistics", ("accent",)),
    ("Is this the same person in both recordings?", "paralinguistics", ("same person",)),
    ("How many different people are talking in this recording?", "speakers", ("different people",)),
    ("Can you tag each speaker?", "speakers", ("each speaker",)),
    ("Who spoke when in this call?", "speakers", ("who spoke",)),
    ("What instruments can you hear in this track?", "music", ("instruments",)),
    ("What genre is this song?", "music", ("genre", "song")),
    ("Is there glass breaking in this security recording?", "environment", ("glass breaking",)),
    ("Is a dog barking in the background?", "environment", ("dog", "barking", "in the background")),
    ("Was this recorded indoors or outdoors?", "environment", ("indoors", "outdoors")),
    ("At what minute does the speaker mention pricing?", "timing", ("what minute",)),
    ("What happened at 1:23?", "timing", ("#time",)),
    ("Build a real-time voice assistant that talks back", "streaming", ("real time", "voice assistant", "talks back")),
    ("Is this voice a deepfake?", "novel", ("deepfake",)),
    ("Was this voice cloned or spliced?", "novel", ("voice cloned", "spliced")),
])
def test_each_need_is_found_with_its_words(question, need, words):
    assert needs_of(question)[need] == words


def test_needs_are_found_independently():
    found = find_needs("Summarize the podcast and tell me what music plays in the intro")
    assert found.needs == {"words", "music", "timing"}
    assert found.evidence == (("words", ("summarize",)), ("music", ("music",)), ("timing", ("intro",)))


# ---- the rule on the set of needs ----

@pytest.mark.parametrize("question, pipeline", [
    ("Transcribe this interview for me", "cascaded"),                                   # words only
    ("At what minute does the speaker mention pricing?", "cascaded"),                   # words + timing
    ("Is there glass breaking in this security recording?", "end-to-end"),              # sound only
    ("Is the speaker nervous or confident?", "end-to-end"),
    ("Summarize the podcast and tell me what music plays in the intro", "hybrid"),      # words + sound
    ("What did the customer say and did they sound upset?", "hybrid"),
    ("Transcribe the meeting and label who said what", "hybrid"),
    ("Transcribe the lyrics of this song", "hybrid"),                                   # one entry, two needs
    ("Build a real-time voice assistant that talks back", "cascaded"),                  # streaming cascade
])
def test_the_set_of_needs_decides_the_pipeline(question, pipeline):
    assert pick(question).pipeline == pipeline


def test_words_and_sound_go_hybrid_one_word_each():
    for sound in ("is there music", "is a dog barking", "does she sound nervous", "how many people talk",
                  "is it a deepfake"):
        plan = pick(f"Transcribe the call and tell me {sound}")
        assert plan.pipeline == "hybrid" and "words" in plan.needs and set(plan.needs) & ACOUSTIC, sound
        assert "cascaded" in plan.rejected and "words-and-sound" in plan.fired


def test_a_question_with_the_needs_of_a_profile_names_it():
    assert pick("what happened at minute 3").profile == "temporal event grounding"
    assert pick("What genre is this song?").profile == "music tagging"  # the first with exactly {music}
    plan = pick("Is the speaker nervous or confident?")
    assert plan.profile is None and "no built-in profile has exactly these needs" in format_plan(plan)


def test_fallbacks_are_shown_as_implied():
    plan = pick("what happened at minute 3")
    assert plan.needs == ("words", "environment", "timing") and dict(plan.evidence) == {"timing": ("at minute 3",)}
    assert [n for n, _ in plan.implied] == ["words", "environment"]
    assert "words (implied: " in format_plan(plan)
    assert [n for n, _ in pick("Check this voicemail").implied] == ["words"]  # speech named, nothing asked
    assert [n for n, _ in pick("At what minute of the voicemail?").implied] == ["words"]
    assert [n for n, _ in pick("Talk to an AI assistant hands-free").implied] == ["words"]


# ---- whole words and inflections, never substrings ----

@pytest.mark.parametrize("word", ["bark", "barks", "barking", "barked"])
def test_inflections_match(word):
    assert needs_of(f"Is the dog going to {word} in this clip?")["environment"][-1] == word


@pytest.mark.parametrize("word, base", [
    ("barking", "bark"), ("barked", "bark"), ("sirens", "siren"), ("glasses", "glass"), ("cries", "cry"),
    ("cried", "cry"), ("dancing", "dance"), ("humming", "hum"), ("sobbing", "sob"), ("angrily", "angry"),
    ("nervousness", "nervous"), ("minutes", "minute"), ("speakers", "speaker"),
])
def test_forms_undo_inflections(word, base):
    assert base in forms(word)


@pytest.mark.parametrize("word, other", [("note", "not"), ("notes", "not"), ("his", "hiss"), ("human", "hum"),
                                         ("string", "str"), ("ring", "r"), ("news", "ne")])
def test_forms_never_cut_to_another_word(word, other):
    assert other not in forms(word)


@pytest.mark.parametrize("question", [
    "Is the barista in the category of concatenated careers?",  # bar(k), cat, car: substrings only
    "Explain the brain drain in my training data",              # rain, train
    "Is his handwriting humane?",                               # hiss, hum
    "What is the stage of the strategy?",                       # tag, rat
])
def test_substrings_never_match(question):
    assert find_needs(question).needs == frozenset() and pick(question).pipeline is None


def test_a_word_is_counted_once_by_the_longest_entry():
    assert needs_of("Is there background music in this clip?") == {"music": ("background music",)}
    assert needs_of("Give me the key points of this lecture") == {"words": ("key points",)}
    assert needs_of("What key is this song in?") == {"music": ("what key", "song")}


# ---- the ambiguous words ----

@pytest.mark.parametrize("question, needs", [
    ("Take the minutes of this meeting", {"words"}),                       # meeting minutes
    ("What was said in the last 5 minutes?", {"words", "timing"}),         # minutes of time
    ("Take notes on the lecture", {"words"}),                              # written notes
    ("Which note does the singer hold at the end?", {"music", "timing"}),  # a musical note
    ("Is the bass too loud in this mix?", {"music"}),                      # bass, in audio
    ("How do I catch bass?", set()),                                       # bass, a fish
    ("Is the speaker buzzing?", {"environment"}),                          # a loudspeaker: the buzz is the need
    ("Identify the speaker", {"paralinguistics"}),                         # a person
    ("How many speakers are in this recording?", {"speakers"}),
    ("Can you tag each speaker?", {"speakers"}),                           # "tag" is not "music tagging"
    ("Keep track of who is talking", {"speakers"}),                        # "track" is not a music track
    ("What instruments are on this track?", {"music"}),
    ("Record my meeting and transcribe it", {"words"}),                    # "record" is no need
    ("How do I record a podcast?", set()),
])
def test_ambiguous_words(question, needs):
    assert find_needs(question).needs == needs


def test_weak_words_need_audio_context():
    assert needs_of("Will it rain tomorrow?") == {} and find_needs("Will it rain tomorrow?").ignored
    assert needs_of("Is it raining in this recording?") == {"environment": ("raining",)}
    assert needs_of("Which car should I buy?") == {}
    assert needs_of("Is there a car horn honking in this clip?") == {"environment": ("car horn", "honking")}
    assert needs_of("I feel sad today") == {}
    assert needs_of("Does she feel sad?") == {"paralinguistics": ("feel", "sad")}  # a person is enough


@pytest.mark.parametrize("question, needs, ignored", [
    ("Transcribe this, there's no music in it", {"words"}, "music"),
    ("Ignore the background noise and summarize the call", {"words"}, "background noise"),
    ("Don't transcribe it, just tell me if the speaker is angry", {"paralinguistics"}, "transcribe"),
    ("Did he complain about the noise from the construction site?", {"words"}, "noise"),  # a topic
])
def test_negations_and_topics_drop_a_need(question, needs, ignored):
    found = find_needs(question)
    assert found.needs == needs and ignored in dict(found.ignored)


# ---- no need: a clear no-match ----

@pytest.mark.parametrize("question", ["what's the weather", "write me a poem", "how do I bake bread",
                                      "Write a song for my mom's birthday", "I don't need a transcript",
                                      "Translate \"good morning\" into Japanese"])
def test_no_need_is_an_answer_not_a_guess(question):
    plan = pick(question)
    assert plan.pipeline is None and plan.profile is None and plan.fired == () and plan.encoders == ()
    assert plan.message.startswith(f"no need found in {question!r}")
    assert "Ask about the audio, e.g. 'Turn this voicemail into text'" in plan.message
    for p in PROFILES:
        assert p.name in plan.message
    assert format_plan(plan) == f"task: {question}\n{plan.message}"


def test_no_match_says_what_it_ignored():
    assert "'rain' (weak, and nothing says the question is about audio)" in pick("will it rain").message


# ---- the question sets: at least 95 % routed as expected ----

def read_questions(name):
    rows = [line.rstrip("\n").split("\t") for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return [(category, None if expected == "none" else expected, question) for category, expected, question in rows]


def routed(name):
    rows = read_questions(name)
    misses = [(q, pick(q).pipeline, expected) for _, expected, q in rows if pick(q).pipeline != expected]
    return rows, misses


def test_design_question_set_is_routed_as_expected():
    rows, misses = routed("picker_questions.tsv")
    counts = {c: sum(1 for row in rows if row[0] == c) for c in ("words", "acoustic", "mixed", "off-topic")}
    assert len(rows) >= 100 and min(counts.values()) >= 20
    assert len(rows) - len(misses) >= 0.95 * len(rows), misses
    print(f"\ndesign set: {len(rows) - len(misses)}/{len(rows)} routed as expected; misses: {misses}")


def test_fresh_question_set_generalises():
    """Written after the vocabulary was frozen, never tuned on: 27 of 30 when it was first run."""
    rows, misses = routed("picker_questions_fresh.tsv")
    assert len(rows) == 30 and len(rows) - len(misses) >= 27, misses
    print(f"\nfresh set: {len(rows) - len(misses)}/{len(rows)} routed as expected; misses: {misses}")


# ---- the rules ----

@pytest.mark.parametrize("name", ["music tagging", "instrument recognition", "emotion inference",
                                  "environment classification", "deepfake detection", "multi-speaker diarization"])
def test_cascaded_is_rejected_when_the_acoustic_signal_matters(name):
    plan = pick(name)
    assert plan.pipeline != "cascaded" and "cascaded" in plan.rejected
    assert any("[acoustic-signal]" in r and "loses the acoustic signal" in r for r in plan.reasons)


def test_streaming_speech_out_refuses_a_qformer_and_names_full_duplex_models():
    plan = pick("streaming voice assistant", cost_sensitive=True, on_device=True)
    assert plan.pipeline == "cascaded" and plan.encoders == ("streaming ASR",)
    assert "streaming TTS" in plan.llm and not plan.thinking
    assert {"qformer", "window_qformer"} <= set(plan.rejected)
    assert any(r.startswith("[no-streaming-qformer]") and "refuse a Q-former" in r for r in plan.reasons)
    duplex = next(r for r in plan.reasons if r.startswith("[full-duplex]"))
    assert "Moshi" in duplex and "Qwen2.5-Omni" in duplex


def test_latency_under_500_ms_sends_transcription_to_streaming_asr():
    fast, slow = pick("transcription", latency_ms=499), pick("transcription", latency_ms=500)
    assert fast.pipeline == slow.pipeline == "cascaded"
    assert fast.encoders == ("streaming ASR",) and "fast-transcript" in fast.fired
    assert slow.encoders == ("Whisper (ASR)",) and "fast-transcript" not in slow.fired


def test_tight_latency_turns_thinking_off():
    assert pick("deepfake detection", latency_ms=2000).thinking
    plan = pick("deepfake detection", latency_ms=1999)
    assert not plan.thinking and "thinking-costs-latency" in plan.fired


def test_timing_rejects_the_global_qformer_even_when_cheap():
    plan = pick("multi-speaker diarization", cost_sensitive=True)
    assert "qformer" in plan.rejected and plan.bridge == "window_qformer"
    assert plan.n_queries is None and plan.audio_tokens == 88 and plan.encoders == ("Whisper",)
    reason = next(r for r in plan.reasons if r.startswith("[time-order]"))
    assert "weakens time order" in reason and "does not erase it" in reason and "no time order" not in reason


def test_cheap_bridge_sizes_come_from_the_cost_model():
    one_kind = pick("music tagging", cost_sensitive=True, seconds=60)
    assert (one_kind.bridge, one_kind.n_queries, one_kind.encoders) == ("qformer", 32, ("Whisper", "BEATs"))
    assert one_kind.audio_tokens == tokens_per_clip("qformer", 60, 32) == 64
    two_kinds = pick("deepfake detection", cost_sensitive=True)
    assert two_kinds.n_queries == 64 and two_kinds.audio_tokens == 64
    assert one_kind.mmau == two_kinds.mmau == (30.90, 30.90)  # GAMA: the measured global-Q-former stack


def test_whisper_alone_is_rejected_for_music_and_sound():
    music = pick("music tagging", cost_sensitive=True)
    assert "Whisper alone" in music.rejected and music.encoders == ("Whisper", "BEATs")
    assert "whisper-alone-music" in music.fired and "whisper-encoder" not in music.fired
    speech = pick("emotion inference", on_device=True)  # no music or sound: Whisper alone is fine
    assert "Whisper alone" not in speech.rejected and speech.encoders == ("Whisper",)


def test_a_qformer_under_32_queries_is_rejected_for_multi_task_audio():
    multi = pick("deepfake detection", n_queries=16)  # paralinguistics and a novel judgement
    assert "Q-former under 32 queries" in multi.rejected and multi.n_queries == 64
    assert "queries-floor" in multi.fired and "queries-asked" not in multi.fired
    single = pick("music tagging", n_queries=16)  # one kind of evidence: the size asked for stands
    assert single.bridge == "qformer" and single.n_queries == 16 and single.audio_tokens == 16
    assert pick("deepfake detection", n_queries=48).n_queries == 48


def test_quality_first_takes_a_72b_class_llm():
    assert pick("podcast summarisation", quality_first=True).llm == "~72B-class text LLM"
    plan = pick("music tagging", quality_first=True)
    assert plan.llm == "~72B-class audio-LLM" and "quality-first" in plan.fired


def test_a_novel_task_is_fine_tuned_on_synthetic_data():
    reason = next(r for r in pick("Is this voice a deepfake?").reasons if r.startswith("[novel-task]"))
    assert "fine-tune on synthetic data" in reason


def test_words_keep_an_audio_llm_off_the_global_qformer():
    plan = pick("emotion inference", on_device=True)
    assert plan.bridge == "window_qformer" and "qformer" in plan.rejected
    assert plan.llm == "1-3B LLM, quantised" and plan.mmau is None


def test_seconds_drive_the_token_count():
    for seconds in (10, 60, 1200):
        plan = pick("environment classification", seconds=seconds)
        assert plan.audio_tokens == tokens_per_clip("pooled_mlp", seconds) == 25 * seconds
    assert "long-audio" in pick("environment classification", seconds=601).fired
    assert "long-audio" not in pick("environment classification", seconds=600).fired


def test_every_rule_fires_for_some_task():
    fired = {}
    for name, constraints in [(p.name, {}) for p in PROFILES] + list(EXAMPLES):
        for rule_name in pick(name, **constraints).fired:
            fired.setdefault(rule_name, (name, constraints))
    assert set(fired) == {r.name for r in RULES}
    assert len({r.name for r in RULES}) == len(RULES)


def test_reasons_are_the_fired_rules_in_words():
    plan = pick("meeting notes with speaker labels", cost_sensitive=True)
    by_name = {r.name: r for r in RULES}
    assert len(plan.reasons) == len(plan.fired)
    for name, reason in zip(plan.fired, plan.reasons):
        assert reason.startswith(f"[{name}] {by_name[name].when} -> ")


# ---- MMAU: the measured figures beside the lesson's ----

def test_mmau_rows_carry_their_board_labels():
    """Each measured row names the leaderboard board it comes from (issue 21: the rows mixed two boards)."""
    rows = {(name, board): (mini, test) for name, _, board, mini, test, _ in MMAU_MEASURED}
    assert rows == {("GAMA", "original"): (30.90, 31.81),
                    ("SALMONN-13B", "original"): (33.70, 32.77), ("SALMONN-13B", "v05.15.25"): (34.90, 36.23),
                    ("Qwen-Audio-Chat", "original"): (43.10, 41.86),
                    ("Audio Flamingo 3", "v05.15.25"): (73.30, 72.42),
                    ("Gemini 2.5 Pro", "v05.15.25"): (71.60, 69.36)}
    assert set(MMAU_BOARDS) == {board for _, board in rows}
    skill = render_skill()
    for name, bridge, board, mini, test, _ in MMAU_MEASURED:
        assert f"| {name} | {bridge} | {board} | {mini:.2f} | {test:.2f} |" in skill
    text = format_plan(pick("music tagging"))
    assert ("MMAU: test-mini 43.1 % (Qwen-Audio-Chat, original board); 73.3 % (Audio Flamingo 3, v05.15.25 board), "
            "measured") in text
    assert "the lesson's composite: 0.60 (Qwen-Audio-Chat), 0.72 (Audio Flamingo 3)" in text
    assert "33.7 % (SALMONN-13B, original board); 34.9 % (SALMONN-13B, v05.15.25 board)" in format_plan(
        pick("multi-speaker diarization", cost_sensitive=True))
    assert "30.9 % (GAMA, original board)" in format_plan(pick("music tagging", cost_sensitive=True))


def test_picker_names_open_anti_spoofing_models_and_labels_the_lessons_heuristics():
    reasons = " ".join(pick("Is this voice a deepfake?").reasons)
    assert "AASIST" in reasons and "ASVspoof" in reasons and "no off-the-shelf model" not in reasons
    reasons = " ".join(pick("deepfake detection", cost_sensitive=True).reasons)
    assert "the lesson's heuristic" in reasons and "survives the bottleneck" not in reasons


def test_format_plan_prints_the_needs_and_the_decision():
    lines = format_plan(pick("what instruments are in this recording", seconds=60)).splitlines()
    assert lines[:6] == [
        "task: what instruments are in this recording",
        "needs: music (instruments)",
        "profile: same needs as 'music tagging'",
        "pipeline: end-to-end; rejected: cascaded, Whisper alone",
        "stack: AF-Whisper -> pooled_mlp (1500 audio tokens for 60 s) -> 7-8B audio-LLM",
        "thinking: off",
    ]
    assert "stack: Whisper (ASR) -> transcript -> 7-8B text LLM" in format_plan(pick("transcription"))
    assert "profile: transcription (named directly)" in format_plan(pick("transcription"))


# ---- the vocabulary's data ----

def test_sound_words_come_from_the_audioset_ontology_with_attribution():
    text = (ROOT / "code" / "audiollm" / "data" / "sound_words.txt").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in text and "https://github.com/audioset/ontology" in text and "Gemmeke" in text
    entries = read_sound_words()
    branches = {"Human sounds", "Animal", "Music", "Natural sounds", "Sounds of things", "Source-ambiguous sounds",
                "Channel, environment and background"}
    assert {branch for _, _, _, branch in entries} == branches
    assert {need for _, need, _, _ in entries} <= set(NEEDS) | {"cue"}
    sounds = [words for words, need, _, _ in entries if need in ("music", "environment")]
    assert len(set(sounds)) == len(sounds) >= 300


def test_hand_vocabulary_covers_every_need():
    assert set(VOCABULARY) == set(NEEDS)
    for word in ("transcribe", "subtitle", "caption", "voicemail", "dictation", "the minutes", "action items",
                 "translate", "mention", "said", "quote", "keywords", "summary", "recap", "key points",
                 "questions asked", "emotion", "tone", "sound like", "nervous", "confident", "angry",
                 "frustrated", "sarcastic", "accent", "male", "female", "same person", "how many people"):
        assert find_needs(f"{word} in this recording").needs, word


def test_make_sound_words_derives_entries_from_class_names():
    spec = importlib.util.spec_from_file_location("make_sound_words",
                                                  ROOT / "code" / "audiollm" / "data" / "make_sound_words.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    ontology = [
        {"id": "a", "name": "Animal", "child_ids": ["d"]},
        {"id": "d", "name": "Dog", "child_ids": ["b"]},
        {"id": "b", "name": "Bark", "child_ids": []},
        {"id": "m", "name": "Music", "child_ids": ["g"]},
        {"id": "g", "name": "Bass guitar", "child_ids": []},
    ]
    text = make.derive(ontology, "0" * 64)
    assert "[Animal] environment\n~animal  <- Animal\n~dog  <- Dog\nbark  <- Bark" in text
    assert "bass guitar, ~bass, guitar  <- Bass guitar" in text and "5 classes" in text


# ---- the skill ----

def test_skill_is_generated_from_the_tables():
    text = render_skill()
    assert text == render_skill()
    assert text.startswith("---\nname: audio-llm-pipeline-picker\n")
    for line in ("phase: 12", "lesson: 19", "version: ", "description: ", "tags: ["):
        assert f"\n{line}" in text.split("\n---\n")[0]
    for rule in RULES:
        assert f"`{rule.name}`" in text
    for p in PROFILES:
        assert f"| {p.name} | {pick(p.name).pipeline} |" in text
    for q in QUESTIONS:
        assert f"| {q} | " in text
    for need in NEEDS:
        assert f"| `{need}` | " in text
    assert "| SALMONN-13B | window-level Q-former | original | 33.70 | 32.77 | ~0.55 |" in text
    assert "CC BY-SA 4.0" in text and "glass breaking" in text and "~dog" in text
    for arxiv in ("2212.04356", "2301.12597", "2212.09058", "2310.13289", "2311.07919", "2305.10790",
                  "2507.08128", "2410.19168"):
        assert f"arXiv:{arxiv}" in text


def test_committed_skill_equals_render_skill():
    assert (ROOT / SKILL_PATH).read_text(encoding="utf-8") == render_skill()


def test_write_skill_is_atomic_and_byte_identical(tmp_path):
    path = tmp_path / "skill.md"
    path.write_text("old")
    assert write_skill(path) == path
    first = path.read_bytes()
    write_skill(str(path))
    assert path.read_bytes() == first == render_skill().encode("utf-8")
    assert os.listdir(tmp_path) == ["skill.md"]
    with pytest.raises(AudiollmError, match="path"):
        write_skill(tmp_path / "missing" / "skill.md")
    with pytest.raises(AudiollmError, match="path"):
        write_skill(3)


# ---- bad input ----

@pytest.mark.parametrize("constraints, name", [
    ({"latency": 300}, "latency"),
    ({"on_device": "yes"}, "on_device"),
    ({"cost_sensitive": 1}, "cost_sensitive"),
    ({"quality_first": "yes"}, "quality_first"),
    ({"quality_first": True, "cost_sensitive": True}, "quality_first"),
    ({"n_queries": 0}, "n_queries"),
    ({"n_queries": 1501}, "n_queries"),
    ({"n_queries": 2.5}, "n_queries"),
    ({"latency_ms": 0}, "latency_ms"),
    ({"latency_ms": -5}, "latency_ms"),
    ({"latency_ms": True}, "latency_ms"),
    ({"latency_ms": math.nan}, "latency_ms"),
    ({"seconds": 0}, "seconds"),
    ({"seconds": "30"}, "seconds"),
    ({"seconds": math.inf}, "seconds"),
    ({"seconds": None}, "seconds"),
])
def test_bad_constraints_name_the_parameter(constraints, name):
    with pytest.raises(AudiollmError, match=name):
        pick("music tagging", **constraints)


@pytest.mark.parametrize("task", ["", "   ", None, 3, ["music tagging"], "is it a dog " * 200])
def test_bad_task_is_rejected(task):
    with pytest.raises(AudiollmError, match="task"):
        pick(task)


def test_format_plan_rejects_what_is_not_a_plan():
    with pytest.raises(AudiollmError, match="plan must be a Plan"):
        format_plan(None)


def test_tokens_cut_contractions_and_mark_times_and_sentence_ends():
    assert tokens("What's the caller's mood at 1:23? Then 90s in.") == [
        "what", "the", "caller", "mood", "at", "#time", "$", "then", "#time", "in", "$"]
