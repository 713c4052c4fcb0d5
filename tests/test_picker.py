import math
import os
from pathlib import Path

import pytest

from audiollm.bridges import tokens_per_clip
from audiollm.errors import AudiollmError
from audiollm.picker import (EXAMPLES, PROFILES, QUESTIONS, RULES, SKILL_PATH, format_plan, pick, render_skill,
                             write_skill)

ROOT = Path(__file__).resolve().parents[1]

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


def test_every_builtin_profile_has_a_decision():
    assert [p.name for p in PROFILES] == list(DECISIONS)


@pytest.mark.parametrize("name", list(DECISIONS))
def test_builtin_profile_decision(name):
    plan = pick(name)
    assert (plan.pipeline, plan.thinking) == DECISIONS[name]
    assert plan.profile == name and plan.matched == ()
    assert plan.encoders and plan.llm
    if plan.pipeline == "cascaded":
        assert plan.bridge is None and plan.audio_tokens is None and plan.mmau is None
    else:
        assert plan.bridge == "pooled_mlp" and plan.encoders == ("AF-Whisper",)
        assert plan.audio_tokens == 750 and plan.mmau == (0.60, 0.72)


def test_exactly_three_profiles_think_and_each_says_why():
    thinking = [p.name for p in PROFILES if pick(p.name).thinking]
    assert thinking == ["meeting notes with speaker labels", "temporal event grounding", "deepfake detection"]
    for name in thinking:
        plan = pick(name)
        why = next(p.thinking for p in PROFILES if p.name == name)
        assert why and any(why in r and "3-5 points" in r and "as reported" in r for r in plan.reasons)
    assert "thinking-helps" not in pick("transcription").fired


@pytest.mark.parametrize("question, profile, words, pipeline", [
    ("what instruments are in this recording", "instrument recognition", ("instruments",), "end-to-end"),
    ("what emotion is the speaker expressing", "emotion inference", ("emotion",), "hybrid"),
    ("what happened at minute 3", "temporal event grounding", ("minute", "what happened"), "hybrid"),
    ("who spoke when in this call", "multi-speaker diarization", ("who spoke",), "end-to-end"),
    ("Please TRANSCRIBE this voicemail", "transcription", ("transcribe",), "cascaded"),
    ("is this voice a deepfake or authentic?", "deepfake detection", ("deepfake", "authentic"), "end-to-end"),
])
def test_free_text_maps_to_a_profile_and_says_which_words(question, profile, words, pipeline):
    plan = pick(question)
    assert (plan.profile, plan.matched, plan.pipeline, plan.message) == (profile, words, pipeline, "")
    assert f"matched: {', '.join(words)}" in format_plan(plan)


def test_profile_names_match_directly_ignoring_case_and_spacing():
    plan = pick("  Music   Tagging ")
    assert plan.profile == "music tagging" and plan.matched == ()


def test_tie_goes_to_the_earlier_profile_and_says_so():
    plan = pick("what is the mood of this song")  # "song" -> music tagging, "mood" -> emotion inference
    assert plan.profile == "music tagging"
    assert "tied with emotion inference" in plan.message


def test_no_match_is_an_answer_not_a_guess():
    plan = pick("make me a sandwich")
    assert plan.pipeline is None and plan.profile is None and plan.fired == () and plan.encoders == ()
    assert "no profile matches 'make me a sandwich'" in plan.message
    for p in PROFILES:
        assert p.name in plan.message
    assert format_plan(plan) == f"task: make me a sandwich\n{plan.message}"


@pytest.mark.parametrize("name", ["music tagging", "instrument recognition", "emotion inference",
                                  "environment classification", "deepfake detection"])
def test_cascaded_is_rejected_when_the_acoustic_signal_matters(name):
    plan = pick(name)
    assert plan.pipeline != "cascaded" and "cascaded" in plan.rejected
    assert any("[acoustic-signal]" in r and "loses the acoustic signal" in r for r in plan.reasons)


def test_streaming_speech_out_refuses_a_qformer_audio_llm():
    plan = pick("streaming voice assistant", cost_sensitive=True, on_device=True)
    assert plan.pipeline == "cascaded" and plan.encoders == ("streaming ASR",)
    assert "streaming TTS" in plan.llm and not plan.thinking
    assert {"qformer", "window_qformer"} <= set(plan.rejected)
    assert any(r.startswith("[no-streaming-qformer]") and "refuse a Q-former" in r for r in plan.reasons)


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


def test_cheap_bridge_sizes_come_from_the_cost_model():
    one_kind = pick("music tagging", cost_sensitive=True, seconds=60)
    assert (one_kind.bridge, one_kind.n_queries, one_kind.encoders) == ("qformer", 32, ("Whisper", "BEATs"))
    assert one_kind.audio_tokens == tokens_per_clip("qformer", 60, 32) == 64
    two_kinds = pick("deepfake detection", cost_sensitive=True)
    assert two_kinds.n_queries == 64 and two_kinds.audio_tokens == 64
    assert one_kind.mmau == two_kinds.mmau == (0.55, 0.55)


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


def test_format_plan_prints_the_decision():
    text = format_plan(pick("what instruments are in this recording", seconds=60))
    lines = text.splitlines()
    assert lines[:6] == [
        "task: what instruments are in this recording",
        "profile: instrument recognition (matched: instruments)",
        "pipeline: end-to-end; rejected: cascaded",
        "stack: AF-Whisper -> pooled_mlp (1500 audio tokens for 60 s) -> 7-8B audio-LLM",
        "thinking: off",
        "MMAU: 0.60-0.72 (the lesson's composite, as reported)",
    ]
    assert "stack: Whisper (ASR) -> transcript -> 7-8B text LLM" in format_plan(pick("transcription"))


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
        assert f"| {q} | {pick(q).profile} |" in text
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


@pytest.mark.parametrize("constraints, name", [
    ({"latency": 300}, "latency"),
    ({"on_device": "yes"}, "on_device"),
    ({"cost_sensitive": 1}, "cost_sensitive"),
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


@pytest.mark.parametrize("task", ["", "   ", None, 3, ["music tagging"]])
def test_bad_task_is_rejected(task):
    with pytest.raises(AudiollmError, match="task"):
        pick(task)


def test_format_plan_rejects_what_is_not_a_plan():
    with pytest.raises(AudiollmError, match="plan must be a Plan"):
        format_plan(None)
