"""Pipeline picker: which audio-LLM stack a task needs (lesson: "Cascaded vs end-to-end",
"2026 production recipe", "Ship It").

A task is read as the set of things it needs from the audio (audiollm.use.needs: the spoken words,
paralinguistics, several speakers, music, environmental sound, timing, streaming, a novel judgement),
each found on its own with the words that triggered it. One ordered table of rules, RULES, turns that
set plus the caller's constraints into a Plan: words only -> cascaded (Whisper transcribes, a text LLM
reasons); sound only -> end-to-end (audio tokens go straight into an LLM); words and sound -> hybrid
(one audio-LLM both transcribes and reasons), with encoders, bridge, bridge size, LLM class and
on-demand thinking. The 12 PROFILES are named examples of need sets: pick("music tagging") works, and a
question's plan names the profile with the same needs, if one has them. pick() runs the table;
render_skill() prints the same tables as the skill markdown, so the two cannot drift.

A question with no need in it is not an error: pick() answers with a Plan whose pipeline is None and
whose message says so with examples, so a loop over questions prints every answer, "don't know"
included. Bad arguments (unknown constraint, bad value, empty task) raise AudiollmError.

    plan = pick("Summarize the podcast and tell me what music plays in the intro")
    print(format_plan(plan))    # needs: words (summarize), music (music), timing (intro) -> hybrid
"""

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from ..base.errors import AudiollmError, check_float, check_int, check_type
from ..base.files import write_atomic
from ..model.bridges import tokens_per_clip
from .needs import ACOUSTIC, MARKER_WORDS, MARKERS, MULTI, NEEDS, SOUND, VOCABULARY, find_needs, read_sound_words

SKILL_VERSION = "2.1.0"
SKILL_PATH = os.path.join("outputs", "skill-audio-llm-pipeline-picker.md")

FAST_ASR_MS = 500  # below this budget plain transcription must stream
THINKING_MIN_MS = 2000  # picker policy: a reasoning chain of a few hundred tokens costs seconds
LONG_AUDIO_S = 600  # AF3 reads 30-s windows up to about 10 minutes of audio
DEFAULT_SECONDS = 30.0  # one Whisper window
MIN_QUERIES = 32  # the lesson's floor for a Q-former serving several kinds of audio evidence
MAX_QUERIES = 1500  # one query per encoder frame of a 30-s window is no bottleneck at all
MAX_TASK_CHARS = 2000  # a question, not a document

# MMAU (Sakshi et al. 2024): measured scores in percent, (test-mini, test), from the two boards of its
# leaderboard (github.com/Sakshi113/mmau_homepage): scores on different boards are not compared with each other.
MMAU_BOARDS = {
    "original": "the original board (the paper's; leaderboard_data.json)",
    "v05.15.25": "the revised board v05.15.25 (leaderboard_data_v15_parsed.json)",
}
MMAU_MEASURED = (  # (system, bridge, board, test-mini, test, the lesson's composite for it or None)
    ("GAMA", "global Q-former (+ a multi-layer aggregator)", "original", 30.90, 31.81, None),
    ("SALMONN-13B", "window-level Q-former", "original", 33.70, 32.77, 0.55),
    ("SALMONN-13B", "window-level Q-former", "v05.15.25", 34.90, 36.23, 0.55),
    ("Qwen-Audio-Chat", "stride-2 pooling + one linear layer", "original", 43.10, 41.86, 0.60),
    ("Audio Flamingo 3", "pooling by 2 + 2-layer MLP", "v05.15.25", 73.30, 72.42, 0.72),
    ("Gemini 2.5 Pro", "proprietary", "v05.15.25", 71.60, 69.36, None),  # the lesson's frontier: ~0.78
)
MMAU_REFERENCE = (("humans", "original", 82.23), ("random guessing", "original", 26.00))  # test-mini
MMAU_BY_BRIDGE = {  # bridge -> the (system, board) rows measured on that kind of bridge
    "qformer": (("GAMA", "original"),),  # the measured global-Q-former stack
    "window_qformer": (("SALMONN-13B", "original"), ("SALMONN-13B", "v05.15.25")),
    "pooled_mlp": (("Qwen-Audio-Chat", "original"), ("Audio Flamingo 3", "v05.15.25")),  # one linear layer to an MLP
}

PAPERS = (
    ("Whisper", "Radford et al. 2022", "2212.04356"),
    ("BLIP-2 (Q-former)", "Li et al. 2023", "2301.12597"),
    ("BEATs", "Chen et al. 2022", "2212.09058"),
    ("SALMONN", "Tang et al. 2023", "2310.13289"),
    ("Qwen-Audio", "Chu et al. 2023", "2311.07919"),
    ("LTU", "Gong et al. 2023", "2305.10790"),
    ("Audio Flamingo 3", "Goel et al. 2025", "2507.08128"),
    ("MMAU", "Sakshi et al. 2024", "2410.19168"),
)

THINKING = (  # (test on the needs, why on-demand thinking helps); the first that holds gives the reason
    (lambda needs: {"words", "speakers"} <= needs,
     "who said what must be tracked across many turns before the answer can attribute it"),
    (lambda needs: {"words", "timing"} <= needs and bool(needs & SOUND),
     "the event must be found in time first, then described and ordered against its neighbours"),
    (lambda needs: "novel" in needs,
     "several weak artifact cues (prosody, breaths, spectral glitches) must be weighed before a verdict"),
)
THINKING_WHEN = ("the words and several speakers", "the words, timing and music, sound or artifacts",
                 "a novel judgement")


def thinking_reason(needs):
    """Why on-demand thinking helps a task with these needs, or "" (off)."""
    return next((why for test, why in THINKING if test(needs)), "")


@dataclass(frozen=True)
class TaskProfile:
    """A named example task: what it needs (a subset of NEEDS); `thinking` says why thinking helps ("" = off)."""

    name: str
    needs: frozenset

    @property
    def thinking(self):
        return thinking_reason(self.needs)


PROFILES = (
    TaskProfile("transcription", frozenset({"words"})),
    TaskProfile("podcast summarisation", frozenset({"words"})),
    TaskProfile("keyword extraction", frozenset({"words"})),
    TaskProfile("music tagging", frozenset({"music"})),
    TaskProfile("instrument recognition", frozenset({"music"})),
    TaskProfile("emotion inference", frozenset({"words", "paralinguistics"})),
    TaskProfile("multi-speaker diarization", frozenset({"paralinguistics", "speakers", "timing"})),
    TaskProfile("meeting notes with speaker labels", frozenset({"words", "paralinguistics", "speakers", "timing"})),
    TaskProfile("environment classification", frozenset({"environment"})),
    TaskProfile("temporal event grounding", frozenset({"words", "environment", "timing"})),
    TaskProfile("deepfake detection", frozenset({"paralinguistics", "novel"})),
    TaskProfile("streaming voice assistant", frozenset({"words", "streaming"})),
)
_BY_NAME = {p.name: p for p in PROFILES}


@dataclass(frozen=True)
class Rule:
    """One row of the decision table.

    kind "reject" / "refuse" strikes the options in `sets` (a pipeline, a bridge, an encoder stack) for
    good; "choose" sets plan fields from `sets` ((field, value) pairs; a value may be a function of the
    state) unless one is already decided or struck; "note" only adds its words. `test` reads the task's
    needs, the constraints and the decisions made by earlier rows.
    """

    name: str
    kind: str
    when: str
    then: str
    test: Callable = field(repr=False)
    sets: tuple = ()


def _audio_llm(s):
    return s.pipeline in ("end-to-end", "hybrid")


def _cheap(s):
    return _audio_llm(s) and (s.cost_sensitive or s.on_device or s.n_queries_asked is not None)


def _qformer(s):
    return s.bridge in ("qformer", "window_qformer")


def _multi_task(s):
    return len(s.needs & ACOUSTIC) >= 2


def _tight_latency(s):
    return "streaming" in s.needs or (s.latency_ms is not None and s.latency_ms < THINKING_MIN_MS)


def _option(value):
    """How a chosen value is named when a rule strikes it: an encoder stack of one is "X alone"."""
    if isinstance(value, tuple):
        return f"{value[0]} alone" if len(value) == 1 else " + ".join(value)
    return value


RULES = (
    # rejects and refusals strike options before the choices that could take them
    Rule("acoustic-signal", "reject",
         "the task needs paralinguistics, several speakers, music, environmental sound or a novel judgement",
         "reject cascaded: a transcript keeps the words and loses the acoustic signal the answer lives in",
         lambda s: bool(s.needs & ACOUSTIC), ("cascaded",)),
    Rule("no-streaming-qformer", "refuse",
         "the task streams speech in and speech out",
         "refuse a Q-former audio-LLM: its queries read a whole window of encoder frames before the LLM sees "
         "one token, and the LLM answers in text, not speech",
         lambda s: "streaming" in s.needs, ("qformer", "window_qformer")),
    Rule("time-order", "reject",
         "the task needs timing",
         "reject the global Q-former: each query pools the whole 30-s window, which weakens time order; it "
         "does not erase it (Whisper's positions are in the frames, and the toy experiment scores it above "
         "chance on timing), but one token per 0.33 s (SALMONN) or per 40 ms (AF3) keeps it",
         lambda s: "timing" in s.needs, ("qformer",)),
    Rule("whisper-alone-music", "reject",
         "the task needs music, environmental sound or a novel judgement",
         "reject the claim that Whisper alone handles music: its 680k hours are mostly speech, so music and "
         "sound need BEATs beside it or an encoder trained on them (AF-Whisper)",
         lambda s: bool(s.needs & SOUND), (("Whisper",),)),
    # pipeline
    Rule("fast-transcript", "choose",
         f"only the words are needed and latency_ms < {FAST_ASR_MS}",
         "streaming cascaded ASR: an audio-LLM must hear a window before its first token, a streaming "
         "recogniser emits words as they arrive",
         lambda s: s.needs == {"words"} and s.latency_ms is not None and s.latency_ms < FAST_ASR_MS,
         (("pipeline", "cascaded"), ("encoders", ("streaming ASR",)))),
    Rule("speech-in-speech-out", "choose",
         "the task streams speech in and speech out",
         "streaming cascade: streaming ASR -> text LLM -> streaming TTS, each stage starts before the last ends",
         lambda s: "streaming" in s.needs,
         (("pipeline", "cascaded"), ("encoders", ("streaming ASR",)), ("llm", "7-8B text LLM -> streaming TTS"))),
    Rule("full-duplex", "note",
         "the task streams speech in and speech out",
         "or one full-duplex speech model that listens and speaks at once, with no turn boundary to wait for "
         "(Moshi; Qwen2.5-Omni is turn-based but streams its speech out): fewer hand-offs than the cascade, "
         "less control over each stage",
         lambda s: "streaming" in s.needs),
    Rule("words-suffice", "choose",
         "the words carry the answer",
         "cascaded: Whisper transcribes, a text LLM reasons over the transcript; cheaper and simpler",
         lambda s: "words" in s.needs, (("pipeline", "cascaded"), ("encoders", ("Whisper (ASR)",)))),
    Rule("words-and-sound", "choose",
         "the answer needs the words and the sound",
         "hybrid: one audio-LLM transcribes and reasons over the audio (the Qwen-Audio / AF3 route)",
         lambda s: "words" in s.needs, (("pipeline", "hybrid"),)),
    Rule("sound-only", "choose",
         "the answer lives in the sound, not in words",
         "end-to-end: audio tokens go straight into the LLM, no transcript",
         lambda s: "words" not in s.needs, (("pipeline", "end-to-end"),)),
    Rule("words-need-tokens", "reject",
         "the audio-LLM must also carry the words",
         "reject the global Q-former: 32-64 tokens per 30-s window are fewer than the roughly 60-90 words "
         "spoken in that time (SALMONN's window-level Q-former gives about 88, AF3's adaptor 750)",
         lambda s: _audio_llm(s) and "words" in s.needs, ("qformer",)),
    # bridge and its size
    Rule("few-tokens", "choose",
         "the audio-LLM must be cheap or fit on a device, or you asked for a Q-former size (n_queries)",
         "BLIP-2-style Q-former: a fixed handful of query tokens per 30-s window, the fewest audio tokens",
         _cheap, (("bridge", "qformer"),)),
    Rule("few-ordered-tokens", "choose",
         "the audio-LLM must be cheap or fit on a device, and the global Q-former is struck",
         "SALMONN's window-level Q-former: one query per 17 encoder frames (about 0.33 s) keeps time order "
         "at about 88 tokens per 30 s",
         _cheap, (("bridge", "window_qformer"),)),
    Rule("production-recipe", "choose",
         "the audio-LLM has no cost or device limit",
         "AF3's pooled MLP adaptor (average-pool by 2, then a 2-layer MLP): 25 tokens per second, the open "
         "state of the art per the lesson",
         _audio_llm, (("bridge", "pooled_mlp"),)),
    Rule("queries-floor", "reject",
         f"a Q-former of fewer than {MIN_QUERIES} queries was asked for multi-task audio (two or more kinds "
         "of acoustic evidence)",
         f"reject a Q-former under {MIN_QUERIES} queries: the kinds of evidence compete for too few tokens",
         lambda s: (s.bridge == "qformer" and s.n_queries_asked is not None and s.n_queries_asked < MIN_QUERIES
                    and _multi_task(s)), (f"Q-former under {MIN_QUERIES} queries",)),
    Rule("queries-asked", "choose",
         "you asked for a Q-former size (n_queries) and it is not struck",
         "the size you asked for",
         lambda s: (s.bridge == "qformer" and s.n_queries_asked is not None
                    and not (s.n_queries_asked < MIN_QUERIES and _multi_task(s))),
         (("n_queries", lambda s: s.n_queries_asked),)),
    Rule("queries-64", "choose",
         "the Q-former must carry two or more kinds of acoustic evidence",
         "64 queries, the lesson's count for multi-task audio: the lesson's heuristic, not a measurement (the "
         "toy's exercise 3 measured 8, 32 and 64 queries level on 4-s clips)",
         lambda s: s.bridge == "qformer" and _multi_task(s), (("n_queries", 64),)),
    Rule("queries-32", "choose",
         "the Q-former carries one kind of evidence",
         f"{MIN_QUERIES} queries, BLIP-2's size: half the tokens of 64",
         lambda s: s.bridge == "qformer", (("n_queries", MIN_QUERIES),)),
    # encoders
    Rule("af-whisper", "choose",
         "the bridge is AF3's pooled MLP",
         "AF-Whisper: one Whisper-large-v3-style encoder trained jointly on speech, sound and music (the "
         "lesson's 'Whisper + BEATs concat' is SALMONN's design, not AF3's)",
         lambda s: s.bridge == "pooled_mlp", (("encoders", ("AF-Whisper",)),)),
    Rule("whisper-encoder", "choose",
         "a Q-former stack, unless Whisper alone is struck",
         "the Whisper encoder alone: speech is what its 680k hours trained it on",
         _qformer, (("encoders", ("Whisper",)),)),
    Rule("whisper-plus-beats", "choose",
         "a Q-former stack that must also hear music, sound or artifacts",
         "Whisper + BEATs, frame features concatenated (SALMONN): BEATs, self-supervised on AudioSet, carries "
         "the music and sound Whisper's training lacks",
         _qformer, (("encoders", ("Whisper", "BEATs")),)),
    # LLM
    Rule("on-device", "choose",
         "the stack must run on the device (on_device)",
         "a 1-3B quantised LLM beside a Whisper tiny- or base-sized encoder (4 layers x 384 wide, 6 x 512)",
         lambda s: s.on_device, (("llm", "1-3B LLM, quantised"),)),
    Rule("quality-first", "choose",
         "quality matters more than cost (quality_first)",
         "a ~72B-class LLM (the lesson's quality tier): about ten times a 7B's compute per token",
         lambda s: s.quality_first,
         (("llm", lambda s: "~72B-class " + ("text LLM" if s.pipeline == "cascaded" else "audio-LLM")),)),
    Rule("text-llm", "choose",
         "the pipeline is cascaded",
         "a 7-8B instruction-tuned text LLM reads the transcript",
         lambda s: s.pipeline == "cascaded", (("llm", "7-8B text LLM"),)),
    Rule("audio-llm", "choose",
         "the pipeline is an audio-LLM",
         "a 7-13B LLM reads the audio tokens (AF3: Qwen2.5-7B; Qwen-Audio: Qwen-7B; SALMONN: Vicuna-13B "
         "with LoRA)",
         _audio_llm, (("llm", "7-8B audio-LLM"),)),
    # on-demand thinking (off unless a row turns it on)
    Rule("thinking-costs-latency", "choose",
         f"the task streams, or latency_ms < {THINKING_MIN_MS}",
         "keep thinking off: the reasoning chain comes before the answer and spends the latency budget",
         _tight_latency, (("thinking", False),)),
    Rule("thinking-helps", "choose",
         "the task needs " + ", or ".join(THINKING_WHEN),
         "turn on-demand thinking on: {why}; the lesson claims it lifts complex reasoning 3-5 points (the "
         "lesson's figure: no AF3 source states it)",
         lambda s: bool(s.thinking_why), (("thinking", True),)),
    # notes
    Rule("novel-task", "note",
         "the task is a novel judgement (deepfake, spoofing or artifact detection)",
         "spoofed or deepfake speech has open detectors trained on ASVspoof (AASIST, RawNet2): start from "
         "one; for a judgement no model was trained for (a new artifact or codec), fine-tune on synthetic data "
         "(make the fakes or artifacts yourself with TTS, voice conversion and codecs, label them), keep the "
         "encoder frozen, train the bridge (and LoRA on the LLM)",
         lambda s: "novel" in s.needs),
    Rule("long-audio", "note",
         f"the audio-LLM must read more than {LONG_AUDIO_S} s (seconds)",
         "AF3 reads 30-s windows up to about 10 minutes: split longer audio into pieces and merge the answers",
         lambda s: _audio_llm(s) and s.seconds > LONG_AUDIO_S),
)
CONSTRAINTS = {"latency_ms": None, "on_device": False, "cost_sensitive": False, "quality_first": False,
               "n_queries": None, "seconds": DEFAULT_SECONDS}


@dataclass
class _State:
    """The task's needs and constraints, plus the decisions the rules have made so far (None = open)."""

    needs: frozenset
    thinking_why: str
    latency_ms: float | None
    on_device: bool
    cost_sensitive: bool
    quality_first: bool
    n_queries_asked: int | None
    seconds: float
    pipeline: str | None = None
    encoders: tuple | None = None
    bridge: str | None = None
    n_queries: int | None = None
    llm: str | None = None
    thinking: bool | None = None


@dataclass(frozen=True)
class Plan:
    """What pick() decided. pipeline is None when the task holds no need; `message` then says why.

    needs: the needs in NEEDS order. evidence: ((need, (words, ...)), ...), the question's words behind each
    need (empty for a profile named directly); implied: ((need, why), ...) for needs the fallbacks added;
    ignored: ((words, why), ...) for entries found but not counted; matched: every evidence word, flat.
    profile: the named profile, or the profile with exactly these needs (None if no profile has them).
    audio_tokens is what the bridge hands the LLM for `seconds` of audio (None for a cascade, whose LLM
    reads a transcript); mmau is the (low, high) MMAU test-mini score in percent measured for systems
    built on that kind of bridge (None for a cascade or a 1-3B on-device stack: nothing is measured).
    """

    task: str
    needs: tuple = ()
    evidence: tuple = ()
    implied: tuple = ()
    ignored: tuple = ()
    matched: tuple = ()
    profile: str | None = None
    pipeline: str | None = None
    encoders: tuple = ()
    bridge: str | None = None
    n_queries: int | None = None
    audio_tokens: int | None = None
    seconds: float = DEFAULT_SECONDS
    llm: str | None = None
    thinking: bool = False
    mmau: tuple | None = None
    rejected: tuple = ()
    fired: tuple = ()
    reasons: tuple = ()
    message: str = ""


def _check_constraints(given):
    """Merge keyword constraints over CONSTRAINTS; raise AudiollmError naming a bad one."""
    unknown = sorted(set(given) - set(CONSTRAINTS))
    if unknown:
        raise AudiollmError(f"unknown constraint {unknown[0]!r}; known constraints: {', '.join(CONSTRAINTS)}")
    c = {**CONSTRAINTS, **given}
    for name in ("on_device", "cost_sensitive", "quality_first"):
        check_type(name, c[name], bool, "True or False")
    if c["quality_first"] and (c["cost_sensitive"] or c["on_device"]):
        raise AudiollmError("quality_first contradicts cost_sensitive and on_device: ask for one of them")
    if c["latency_ms"] is not None:
        check_float("latency_ms", c["latency_ms"], above=0.0)
    check_float("seconds", c["seconds"], above=0.0)
    if c["n_queries"] is not None:
        check_int("n_queries", c["n_queries"], 1, MAX_QUERIES)
    return c


EXAMPLE_QUESTIONS = (  # what the no-need message offers, one per pipeline
    "Turn this voicemail into text",
    "Is there glass breaking in this recording?",
    "Summarize the podcast and tell me what music plays in the intro",
)


def _no_need(task, found):
    """The message for a task in which no need was found."""
    ignored = "; ".join(f"'{words}' ({why})" for words, why in found.ignored)
    return (f"no need found in {task!r}: it asks nothing of the spoken words, how they are said, the speakers, "
            "music, environmental sound, timing, streaming or a deepfake judgement"
            + (f" (ignored: {ignored})" if ignored else "") + ". "
            f"Ask about the audio, e.g. {'; '.join(repr(q) for q in EXAMPLE_QUESTIONS)}; or name a profile: "
            f"{', '.join(p.name for p in PROFILES)}.")


def _resolve(task):
    """task (profile name or question) -> (profile or None, Found or None).

    A profile name gives that profile and no Found; a question gives its Found and the profile with
    exactly its needs, if any."""
    if not isinstance(task, str) or not task.strip():
        raise AudiollmError(f"task must be a non-empty string (a profile name or a question), got {task!r}")
    if len(task) > MAX_TASK_CHARS:
        raise AudiollmError(f"task is {len(task)} characters long; a question has at most {MAX_TASK_CHARS}")
    name = " ".join(task.lower().split())
    if name in _BY_NAME:
        return _BY_NAME[name], None
    found = find_needs(task)
    return next((p for p in PROFILES if p.needs == found.needs), None), found


def pick(task, **constraints):
    """Pick the pipeline for a task.

    task: a profile name from PROFILES, or a free-text question whose needs find_needs() reads.
    constraints: latency_ms (budget in ms, or None), on_device (bool), cost_sensitive (bool),
    quality_first (bool; not with the two before), n_queries (a Q-former size you have in mind, 1-1500),
    seconds (audio length in s, default 30; drives the audio-token count).
    Returns a Plan; a question with no need gives a Plan with pipeline None and a message with examples
    (an honest "don't know" rather than a guess). Bad constraint -> AudiollmError.
    """
    c = _check_constraints(constraints)
    profile, found = _resolve(task)
    needs = profile.needs if found is None else found.needs
    if not needs:
        return Plan(task=task, ignored=found.ignored, seconds=c["seconds"], message=_no_need(task, found))
    s = _State(needs, thinking_reason(needs), c["latency_ms"], c["on_device"], c["cost_sensitive"],
               c["quality_first"], c["n_queries"], c["seconds"])
    struck, fired, reasons = [], [], []
    for rule in RULES:
        if not rule.test(s):
            continue
        if rule.kind in ("reject", "refuse"):
            struck.extend(_option(o) for o in rule.sets if _option(o) not in struck)
        elif rule.kind == "choose":
            values = [(f, v(s) if callable(v) else v) for f, v in rule.sets]
            if any(getattr(s, f) is not None or _option(v) in struck for f, v in values):
                continue
            for f, v in values:
                setattr(s, f, v)
        fired.append(rule.name)
        reasons.append(f"[{rule.name}] {rule.when} -> {rule.then.format(why=s.thinking_why)}")
    evidence = () if found is None else found.evidence
    return Plan(task=task, needs=tuple(n for n in NEEDS if n in needs), evidence=evidence,
                implied=() if found is None else found.implied, ignored=() if found is None else found.ignored,
                matched=tuple(w for _, words in evidence for w in words),
                profile=profile.name if profile else None, pipeline=s.pipeline, encoders=s.encoders,
                bridge=s.bridge, n_queries=s.n_queries, audio_tokens=_audio_tokens(s.bridge, c["seconds"], s.n_queries),
                seconds=c["seconds"], llm=s.llm, thinking=bool(s.thinking),
                mmau=None if c["on_device"] else _mmau_range(s.bridge), rejected=tuple(struck),
                fired=tuple(fired), reasons=tuple(reasons))


def _audio_tokens(bridge, seconds, n_queries):
    """Audio tokens the bridge hands the LLM, from the bridges cost model (None for a cascade)."""
    if bridge is None:
        return None
    if n_queries is None:  # only the global Q-former has a query count
        return tokens_per_clip(bridge, seconds)
    return tokens_per_clip(bridge, seconds, n_queries)


_MMAU = {(name, board): (mini, test, lesson) for name, _, board, mini, test, lesson in MMAU_MEASURED}


def _mmau_range(bridge):
    """(low, high) MMAU test-mini percent measured for the systems on this kind of bridge, or None."""
    if bridge is None:
        return None
    scores = [_MMAU[row][0] for row in MMAU_BY_BRIDGE[bridge]]
    return min(scores), max(scores)


def _mmau_text(plan):
    if plan.bridge is None:
        return "none measured for a cascade (MMAU scores audio-LLMs)"
    if plan.mmau is None:
        return "none measured for a 1-3B on-device stack (the measured systems are 7-13B)"
    rows = MMAU_BY_BRIDGE[plan.bridge]
    measured = "; ".join(f"{_MMAU[(n, b)][0]:.1f} % ({n}, {b} board)" for n, b in rows)
    lessons = {n: _MMAU[(n, b)][2] for n, b in rows if _MMAU[(n, b)][2] is not None}
    lesson = ("; the lesson's composite: " + ", ".join(f"{v:.2f} ({n})" for n, v in lessons.items())
              if lessons else "; the lesson gives no composite for it")
    return f"test-mini {measured}, measured on stacks with this kind of bridge{lesson}"


def _stack(plan):
    """One line: encoders -> bridge (size) -> LLM, or encoders -> transcript -> LLM for a cascade."""
    encoders = " + ".join(plan.encoders)
    if plan.bridge is None:
        return f"{encoders} -> transcript -> {plan.llm}"
    size = f"{plan.n_queries} queries, " if plan.n_queries else ""
    return f"{encoders} -> {plan.bridge} ({size}{plan.audio_tokens} audio tokens for {plan.seconds:g} s) -> {plan.llm}"


def needs_line(plan):
    """'words (summarize), music (music)': each need with the words behind it, or "(implied)"."""
    words = dict(plan.evidence)
    implied = dict(plan.implied)
    return ", ".join(f"{n} ({', '.join(words[n])})" if n in words else f"{n} (implied: {implied[n]})"
                     if n in implied else n for n in plan.needs)


def format_plan(plan):
    """The lines main.py prints for one task: needs and their words, profile, pipeline, stack, thinking,
    MMAU, reasons."""
    check_type("plan", plan, Plan, "a Plan from pick()")
    if plan.pipeline is None:
        return f"task: {plan.task}\n{plan.message}"
    if plan.evidence or plan.implied:
        profile = f"same needs as '{plan.profile}'" if plan.profile else "no built-in profile has exactly these needs"
    else:
        profile = f"{plan.profile} (named directly)"
    lines = [
        f"task: {plan.task}",
        f"needs: {needs_line(plan)}",
        f"profile: {profile}",
        f"pipeline: {plan.pipeline}" + (f"; rejected: {', '.join(plan.rejected)}" if plan.rejected else ""),
        f"stack: {_stack(plan)}",
        f"thinking: {'on' if plan.thinking else 'off'}",
        f"MMAU: {_mmau_text(plan)}",
    ]
    if plan.ignored:
        lines.append("ignored: " + "; ".join(f"'{words}' ({why})" for words, why in plan.ignored))
    lines.append("why:")
    lines.extend(f"  {r}" for r in plan.reasons)
    return "\n".join(lines)


# constrained asks the skill shows beside the defaults; with PROFILES they make every rule fire
EXAMPLES = (
    ("transcription", {"latency_ms": 300}),
    ("podcast summarisation", {"quality_first": True}),
    ("music tagging", {"cost_sensitive": True}),
    ("music tagging", {"n_queries": 16}),
    ("emotion inference", {"on_device": True}),
    ("multi-speaker diarization", {"cost_sensitive": True}),
    ("deepfake detection", {"cost_sensitive": True}),
    ("deepfake detection", {"n_queries": 16}),
    ("meeting notes with speaker labels", {"latency_ms": 1000}),
    ("environment classification", {"seconds": 1200}),
)
QUESTIONS = (  # the lesson's three questions, one for diarization, and everyday product questions
    "what instruments are in this recording",
    "what emotion is the speaker expressing",
    "what happened at minute 3",
    "who spoke when in this call",
    "Turn this voicemail into text so I can read it",
    "Is there glass breaking in this security recording?",
    "How many different people are talking in this recording?",
    "Is the speaker nervous or confident?",
    "Summarize the podcast and tell me what music plays in the intro",
    "Can you tag each speaker?",
    "Build a real-time voice assistant that talks back",
    "Is this voice a deepfake?",
    "how do I bake bread",
)


def _row(cells):
    return "| " + " | ".join(cells) + " |"


def _plan_row(label, plan):
    tokens = "-" if plan.audio_tokens is None else str(plan.audio_tokens)
    size = f" ({plan.n_queries} queries)" if plan.n_queries else ""
    return _row([label, plan.pipeline, " + ".join(plan.encoders), f"{plan.bridge or '-'}{size}", tokens,
                 plan.llm, "on" if plan.thinking else "off", ", ".join(plan.fired)])


def _entries(text):
    """A vocabulary string as the skill prints it: entries separated by commas, one space each."""
    return ", ".join(" ".join(item.split()) for item in text.split(",") if item.strip())


def _sound_word_rows():
    """One row per (AudioSet branch, need) of data/sound_words.txt: branch, need, count, the entries."""
    groups = {}
    for words, need, weak, branch in read_sound_words():
        groups.setdefault((branch, need), []).append(("~" if weak else "") + " ".join(words))
    return [_row([branch, need, str(len(items)), ", ".join(items)]) for (branch, need), items in groups.items()]


def render_skill():
    """The skill markdown, generated from NEEDS, the vocabulary, PROFILES, RULES and EXAMPLES; the same bytes
    on every run."""
    plan_head = [_row(["ask", "pipeline", "encoders", "bridge", "audio tokens", "LLM", "thinking", "rules fired"]),
                 _row(["---"] * 8)]
    sound = Counter(need for _, need, _, _ in read_sound_words())
    lines = [
        "---",
        "name: audio-llm-pipeline-picker",
        "description: Pick a cascaded, end-to-end or hybrid audio-LLM pipeline for an audio task from the needs its "
        "question expresses, with encoders, bridge and its size, LLM class and on-demand thinking, from one rule table.",
        f"version: {SKILL_VERSION}",
        "phase: 12",
        "lesson: 19",
        "tags: [audio-llm, whisper, beats, q-former, audio-flamingo-3, cascaded-vs-end-to-end, mmau, audioset]",
        "---",
        "",
        "# Audio-LLM pipeline picker",
        "",
        "Generated by `write_skill()` from the tables in `code/audiollm/use/needs.py` (what a question needs) and",
        "`code/audiollm/use/picker.py` (`PROFILES`, `RULES`); `pick()` runs the same tables, so edit them there, not here.",
        "",
        "## Use it",
        "",
        "```python",
        "import sys; sys.path.insert(0, \"code\")",
        "from audiollm.use.picker import pick, format_plan",
        "print(format_plan(pick(\"Summarize the podcast and tell me what music plays in the intro\")))",
        "print(format_plan(pick(\"transcription\", latency_ms=300)))",
        "```",
        "",
        "`task` is a free-text question or a profile name below. A question is read as the set of needs it",
        "expresses, each with the words that triggered it; the plan lists them. A question with no need in it",
        "returns a plan with `pipeline=None` and a message with examples, never a guess.",
        f"Constraints: {', '.join(f'`{k}`' for k in CONSTRAINTS)}.",
        "`seconds` is the audio length and drives the audio-token count (default 30 s); `n_queries` is a",
        "Q-former size you have in mind; `quality_first` cannot go with `cost_sensitive` or `on_device`.",
        "Any other name, or a bad value, raises `AudiollmError`.",
        "",
        "## The rule on the set of needs",
        "",
        "- the words only -> **cascaded** (Whisper transcribes, a text LLM reasons);",
        f"- sound only ({', '.join(sorted(ACOUSTIC))}) -> **end-to-end** (audio tokens go straight into an LLM);",
        "- the words and sound -> **hybrid** (one audio-LLM both transcribes and reasons over the sound);",
        "- streaming speech in and out -> a streaming cascade, or a full-duplex speech model;",
        "- no need found -> no plan: a message that says so, with examples.",
        "",
        "Timing changes the bridge, not the pipeline. Fallbacks, each shown in the plan as implied: streaming",
        "with nothing else needs the words; timing or a general ask (\"what happened\", \"describe\") with no",
        "content need means what was said and what was heard, or only what was said when the audio is named as",
        "speech (\"voicemail\", \"lecture\"); audio named as speech with nothing asked wants its words.",
        "",
        "## What a task can need, and the words that say so",
        "",
        "Words match whole, in any inflection (bark, barks, barking, barked), never as substrings. At each word",
        "the longest entry wins (\"background music\" is music, \"key points\" are words). `~` marks a weak entry",
        "(a thing that also exists in silence, or a word with an everyday meaning): it counts only when the",
        "question also says it is about audio (a cue below, or a strong entry; for words, paralinguistics,",
        "speakers and timing a person will do). `#` is any number, `$` the end of a sentence, `=x` exactly x.",
        "",
        _row(["need", "meaning", "words (hand-made)"]), _row(["---"] * 3),
        *(_row([f"`{k}`", v, _entries(VOCABULARY[k])]) for k, v in NEEDS.items()),
        "",
        "Entries that express two needs at once: "
        + "; ".join(f"{phrase} ({' + '.join(needs)})" for phrase, needs in MULTI.items()) + ".",
        "",
        "Markers (no need of their own):",
        "",
        _row(["marker", "what it does", "words"]), _row(["---"] * 3),
        *(_row([f"`{k}`", MARKERS[k], _entries(v)]) for k, v in MARKER_WORDS.items()),
        "",
        "### Sound words from the AudioSet ontology",
        "",
        f"{sum(sound.values())} entries ({', '.join(f'{n} {k}' for k, n in sound.items())}) from the class names",
        "of the AudioSet ontology (Gemmeke et al. 2017, https://github.com/audioset/ontology; (c) Google,",
        "CC BY-SA 4.0; adapted and shared under the same licence), in `code/audiollm/data/sound_words.txt`,",
        "derived by `code/audiollm/data/make_sound_words.py`. Its top branches map onto the needs: Music ->",
        "music; Human sounds, Animal, Natural sounds, Sounds of things, Source-ambiguous sounds and Channel,",
        "environment and background -> environment; Speech and sound reproduction are cues; a speech",
        "synthesizer is a novel judgement. A hand-made entry with the same words overrides it.",
        "",
        _row(["AudioSet branch", "need", "entries", "words"]), _row(["---"] * 4),
        *_sound_word_rows(),
        "",
        "## Decision table: every built-in profile (30 s of audio, no constraints)",
        "",
        _row(["profile", "needs"]), _row(["---"] * 2),
        *(_row([p.name, ", ".join(n for n in NEEDS if n in p.needs)]) for p in PROFILES),
        "",
        *plan_head,
        *(_plan_row(p.name, pick(p.name)) for p in PROFILES),
        "",
        "## The same profiles under constraints",
        "",
        *plan_head,
        *(_plan_row(f"{name}, " + ", ".join(f"{k}={v}" for k, v in c.items()), pick(name, **c))
          for name, c in EXAMPLES),
        "",
        "## Questions",
        "",
        _row(["question", "needs and their words", "same needs as", "pipeline"]), _row(["---"] * 4),
        *(_row([q, needs_line(pl) or "none", pl.profile or "-", pl.pipeline or "no plan"])
          for q, pl in ((q, pick(q)) for q in QUESTIONS)),
        "",
        "## On-demand thinking",
        "",
        "It turns on when the task needs " + ", or ".join(THINKING_WHEN) + ";",
        "it stays off for everything else (plain transcription included), and whenever the task streams or",
        f"latency_ms < {THINKING_MIN_MS}. That thinking lifts complex reasoning 3-5 points is the lesson's claim;",
        "no AF3 source states it and nothing here measures it. AF3 switches thinking on with a prompt suffix",
        "(\"Please think and reason about the input audio before you respond.\"); AF-Think is its training",
        "data set. Among the profiles (lesson exercise 4):",
        "",
        *(f"- **{p.name}**: {p.thinking}." for p in PROFILES if p.thinking),
        "",
        "## Hard rejects",
        "",
        *(f"- `{r.name}`: when {r.when} -> {r.then}." for r in RULES if r.kind == "reject"),
        "",
        "## Refusals",
        "",
        *(f"- `{r.name}`: when {r.when} -> {r.then}." for r in RULES if r.kind == "refuse"),
        "",
        "## Every rule, in the order pick() runs them",
        "",
        "A reject or refusal strikes options for good; a choice sets fields still open with options not",
        "struck; a note only explains. The first choice that applies wins.",
        "",
        *(f"{i}. `{r.name}` ({r.kind}): when {r.when} -> {r.then.format(why='the reason for these needs')}."
          for i, r in enumerate(RULES, 1)),
        "",
        "## MMAU: measured, and the lesson's composite",
        "",
        "Measured scores are percent on MMAU test-mini (1,000 questions) and test (9,000), from the paper",
        "(Sakshi et al. 2024) and its leaderboard, which has two boards: "
        + "; ".join(f"{k}: {v}" for k, v in MMAU_BOARDS.items()) + ".",
        "Compare rows of one board only: SALMONN-13B scores differently on the two, and Qwen-Audio-Chat is not",
        "on the revised one. The lesson's composite is its own summary, a fraction; it does not match the",
        "measured scores for SALMONN and Qwen-Audio. Its \"proprietary frontier ~0.78\" has a measured row:",
        "Gemini 2.5 Pro, below AF3 on the same board. A plan quotes the measured rows for systems built on its",
        "kind of bridge, each with its board.",
        "",
        _row(["system", "bridge", "board", "measured, test-mini", "measured, test", "the lesson's composite"]),
        _row(["---"] * 6),
        *(_row([name, bridge, board, f"{mini:.2f}", f"{test:.2f}", "-" if lesson is None else f"~{lesson:.2f}"])
          for name, bridge, board, mini, test, lesson in MMAU_MEASURED),
        *(_row([name, "-", board, f"{score:.2f}", "-", "-"]) for name, board, score in MMAU_REFERENCE),
        "",
        "## What the lesson simplifies",
        "",
        "- AF3 uses AF-Whisper, one encoder trained on speech, sound and music, and a pooled 2-layer MLP adaptor",
        "  into Qwen2.5-7B; \"Whisper + BEATs concat\" and the Q-former describe SALMONN and BLIP-2, not AF3.",
        "- Qwen-Audio's adaptor is stride-2 pooling plus one linear layer (1280 -> 4096), not an MLP.",
        "- SALMONN's Q-former is window-level (17 frames, about 0.33 s, one query each) and its LLM is Vicuna-13B",
        "  (a 7B variant came later); BLIP-2's Q-former has 32 queries.",
        "- A global Q-former weakens time order, it does not erase it: Whisper adds positions to every frame.",
        "",
        "## Papers to read",
        "",
        *(f"- {what}: {who}, arXiv:{arxiv}" for what, who, arxiv in PAPERS),
        "",
    ]
    return "\n".join(lines)


def write_skill(path):
    """Write render_skill() to path atomically (temp file in the same folder, then os.replace). Returns path."""
    return write_atomic(path, render_skill())
