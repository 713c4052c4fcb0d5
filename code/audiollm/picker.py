"""Pipeline picker: which audio-LLM stack a task needs (lesson: "Cascaded vs end-to-end",
"2026 production recipe", "Ship It").

A task profile says what the task needs. One ordered table of rules, RULES, turns those needs
plus the caller's constraints into a Plan: cascaded (Whisper transcribes, a text LLM reasons),
end-to-end (audio tokens go straight into an LLM) or hybrid (one audio-LLM both transcribes and
reasons), with encoders, bridge, bridge size, LLM class and on-demand thinking. pick() runs the
table; render_skill() prints the same table as the skill markdown, so the two cannot drift.

A question that matches no profile is not an error: pick() answers with a Plan whose pipeline is
None and whose message lists the known profiles, so a loop over questions prints every answer,
"don't know" included. Bad arguments (unknown constraint, bad value, empty task) raise AudiollmError.

    plan = pick("what instruments are in this recording", seconds=60)
    print(format_plan(plan))
"""

import math
import os
import re
from dataclasses import dataclass, field
from typing import Callable

from .bridges import tokens_per_clip
from .errors import AudiollmError
from .files import write_atomic

SKILL_VERSION = "1.0.0"
SKILL_PATH = os.path.join("outputs", "skill-audio-llm-pipeline-picker.md")

NEEDS = {
    "words": "the spoken words",
    "paralinguistics": "how it is said: emotion, speaker identity",
    "music": "music",
    "environment": "environmental sound",
    "timing": "when things happen (temporal grounding)",
    "speakers": "several speakers",
    "streaming": "streaming speech in, speech out",
    "novel": "a judgement no open model was trained for (deepfake or artifact detection)",
}
ACOUSTIC = frozenset({"paralinguistics", "music", "environment", "speakers", "novel"})  # a transcript loses these
SOUND = frozenset({"music", "environment", "novel"})  # where Whisper's speech-dominant training is weak

FAST_ASR_MS = 500  # below this budget plain transcription must stream
THINKING_MIN_MS = 2000  # picker policy: a reasoning chain of a few hundred tokens costs seconds
LONG_AUDIO_S = 600  # AF3 reads 30-s windows up to about 10 minutes of audio
DEFAULT_SECONDS = 30.0  # one Whisper window

# MMAU composites as the lesson reports them (Sakshi et al. 2024); quoted, never computed here
MMAU_AS_REPORTED = (("SALMONN", 0.55), ("Qwen-Audio", 0.60), ("Audio Flamingo 3", 0.72),
                    ("proprietary frontier", 0.78))
MMAU_BY_BRIDGE = {  # bridge -> (low, high): the reported systems built on that kind of bridge
    "qformer": (0.55, 0.55),  # the Q-former line: SALMONN
    "window_qformer": (0.55, 0.55),  # SALMONN itself
    "pooled_mlp": (0.60, 0.72),  # pooling bridges: Qwen-Audio (stride-2 pool) to AF3 (pool + MLP)
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


@dataclass(frozen=True)
class TaskProfile:
    """What a task needs (a subset of NEEDS), the words that point to it, and why thinking helps ("" = off)."""

    name: str
    needs: frozenset
    keywords: tuple
    thinking: str = ""


PROFILES = (
    TaskProfile("transcription", frozenset({"words"}),
                ("transcri", "write down", "dictat", "caption", "subtitle", "verbatim", "what was said")),
    TaskProfile("podcast summarisation", frozenset({"words"}),
                ("podcast", "summar", "episode", "lecture", "gist", "recap")),
    TaskProfile("keyword extraction", frozenset({"words"}),
                ("keyword", "key phrase", "key term", "topics", "mentioned")),
    TaskProfile("music tagging", frozenset({"music"}),
                ("music", "song", "genre", "tempo", "melod", "tag")),
    TaskProfile("instrument recognition", frozenset({"music"}),
                ("instrument", "guitar", "piano", "drum", "violin", "saxophone")),
    TaskProfile("emotion inference", frozenset({"words", "paralinguistics"}),
                ("emotion", "feel", "mood", "angry", "anger", "sad", "happy", "upset", "frustrat", "sarcas",
                 "tone of voice")),
    TaskProfile("multi-speaker diarization", frozenset({"paralinguistics", "speakers", "timing"}),
                ("who spoke", "who speaks", "who is speaking", "who was speaking", "diariz", "diaris",
                 "speaker turn", "speaker change", "how many speakers")),
    TaskProfile("meeting notes with speaker labels", frozenset({"words", "paralinguistics", "speakers", "timing"}),
                ("meeting", "notes", "action item", "minutes of", "who said what", "stand-up", "standup"),
                thinking="who said what must be tracked across many turns before the notes can attribute it"),
    TaskProfile("environment classification", frozenset({"environment"}),
                ("environment", "background", "scene", "noise", "where was", "where is this", "indoors",
                 "outdoors", "sound of")),
    TaskProfile("temporal event grounding", frozenset({"words", "environment", "timing"}),
                ("minute", "what happened", "when did", "when does", "at what time", "timestamp", "moment"),
                thinking="the event must be found in time first, then described and ordered against its "
                         "neighbours"),
    TaskProfile("deepfake detection", frozenset({"paralinguistics", "novel"}),
                ("deepfake", "deep fake", "fake", "spoof", "synthetic", "clone", "generated", "artifact",
                 "authentic", "tamper"),
                thinking="several weak artifact cues (prosody, breaths, spectral glitches) must be weighed "
                         "before a verdict"),
    TaskProfile("streaming voice assistant", frozenset({"words", "streaming"}),
                ("voice assistant", "assistant", "talk back", "speak back", "speech-to-speech", "voice-to-voice",
                 "real-time", "real time", "live conversation", "voice agent")),
)
_BY_NAME = {p.name: p for p in PROFILES}
_KEYWORD_PATTERNS = {  # profile name -> one compiled pattern per keyword; a keyword matches a word start
    p.name: tuple(re.compile(r"(?<![a-z0-9])" + re.escape(k) + r"[\w'-]*") for k in p.keywords) for p in PROFILES
}


@dataclass(frozen=True)
class Rule:
    """One row of the decision table.

    kind "reject" / "refuse" strikes the options in `sets` (a pipeline or a bridge) for good;
    "choose" sets plan fields from `sets` ((field, value) pairs) unless one is already decided or
    struck; "note" only adds its words. `test` reads the task's needs, the constraints and the
    decisions made by earlier rows.
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
    return _audio_llm(s) and (s.cost_sensitive or s.on_device)


def _qformer(s):
    return s.bridge in ("qformer", "window_qformer")


def _tight_latency(s):
    return "streaming" in s.needs or (s.latency_ms is not None and s.latency_ms < THINKING_MIN_MS)


RULES = (
    # rejects and refusals strike options before the choices that could take them
    Rule("acoustic-signal", "reject",
         "the task needs emotion, speaker identity, several speakers, music, environmental sound or artifacts",
         "reject cascaded: a transcript keeps the words and loses the acoustic signal the answer lives in",
         lambda s: bool(s.needs & ACOUSTIC), ("cascaded",)),
    Rule("no-streaming-qformer", "refuse",
         "the task streams speech in and speech out",
         "refuse a Q-former audio-LLM: its queries read a whole window of encoder frames before the LLM sees "
         "one token, and the LLM answers in text, not speech",
         lambda s: "streaming" in s.needs, ("qformer", "window_qformer")),
    Rule("time-order", "reject",
         "the task needs timing",
         "reject the global Q-former: each of its queries attends over the whole 30-s window, so its tokens "
         "carry no time order",
         lambda s: "timing" in s.needs, ("qformer",)),
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
         "reject the global Q-former: 32-64 tokens per 30-s window cannot carry the roughly 60-90 words "
         "spoken in that time (SALMONN's window-level Q-former keeps about 88)",
         lambda s: _audio_llm(s) and "words" in s.needs, ("qformer",)),
    # bridge and its size
    Rule("few-tokens", "choose",
         "the audio-LLM must be cheap or fit on a device (cost_sensitive or on_device)",
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
    Rule("queries-64", "choose",
         "the Q-former must carry two or more kinds of acoustic evidence",
         "64 queries: more evidence survives the bottleneck (exercise 3)",
         lambda s: s.bridge == "qformer" and len(s.needs & ACOUSTIC) >= 2, (("n_queries", 64),)),
    Rule("queries-32", "choose",
         "the Q-former carries one kind of evidence",
         "32 queries, BLIP-2's size: half the tokens of 64",
         lambda s: s.bridge == "qformer", (("n_queries", 32),)),
    # encoders
    Rule("af-whisper", "choose",
         "the bridge is AF3's pooled MLP",
         "AF-Whisper: one Whisper-large-v3-style encoder trained jointly on speech, sound and music (the "
         "lesson's 'Whisper + BEATs concat' is SALMONN's design, not AF3's)",
         lambda s: s.bridge == "pooled_mlp", (("encoders", ("AF-Whisper",)),)),
    Rule("whisper-plus-beats", "choose",
         "a Q-former stack must hear music, environmental sound or artifacts",
         "Whisper + BEATs, frame features concatenated (SALMONN): Whisper's speech-dominant training is weak "
         "on music and sound, BEATs (self-supervised on AudioSet) carries them",
         lambda s: _qformer(s) and bool(s.needs & SOUND), (("encoders", ("Whisper", "BEATs")),)),
    Rule("whisper-encoder", "choose",
         "a Q-former stack hears speech only",
         "the Whisper encoder alone: speech is what its 680k hours trained it on",
         _qformer, (("encoders", ("Whisper",)),)),
    # LLM
    Rule("on-device", "choose",
         "the stack must run on the device (on_device)",
         "a 1-3B quantised LLM beside a Whisper tiny- or base-sized encoder (4 layers x 384 wide, 6 x 512)",
         lambda s: s.on_device, (("llm", "1-3B LLM, quantised"),)),
    Rule("text-llm", "choose",
         "the pipeline is cascaded",
         "a 7-8B instruction-tuned text LLM reads the transcript",
         lambda s: s.pipeline == "cascaded", (("llm", "7-8B text LLM"),)),
    Rule("audio-llm", "choose",
         "the pipeline is an audio-LLM",
         "a 7-8B LLM reads the audio tokens (AF3: Qwen2.5-7B; SALMONN: Vicuna with LoRA)",
         _audio_llm, (("llm", "7-8B audio-LLM"),)),
    # on-demand thinking (off unless a row turns it on)
    Rule("thinking-costs-latency", "choose",
         f"the task streams, or latency_ms < {THINKING_MIN_MS}",
         "keep thinking off: the reasoning chain comes before the answer and spends the latency budget",
         _tight_latency, (("thinking", False),)),
    Rule("thinking-helps", "choose",
         "the profile chains several reasoning steps over what it heard",
         "turn on-demand thinking on: {why}; the lesson reports it lifts complex reasoning 3-5 points (as reported)",
         lambda s: bool(s.thinking_why), (("thinking", True),)),
    # notes
    Rule("novel-task", "note",
         "the task is a novel judgement (deepfake or artifact detection)",
         "no open audio-LLM was trained for it: keep the encoder frozen, train the bridge (and LoRA on the LLM) "
         "on labelled examples",
         lambda s: "novel" in s.needs),
    Rule("long-audio", "note",
         f"the audio-LLM must read more than {LONG_AUDIO_S} s (seconds)",
         "AF3 reads 30-s windows up to about 10 minutes: split longer audio into pieces and merge the answers",
         lambda s: _audio_llm(s) and s.seconds > LONG_AUDIO_S),
)
CONSTRAINTS = {"latency_ms": None, "on_device": False, "cost_sensitive": False, "seconds": DEFAULT_SECONDS}


@dataclass
class _State:
    """The task's needs and constraints, plus the decisions the rules have made so far (None = open)."""

    needs: frozenset
    thinking_why: str
    latency_ms: float | None
    on_device: bool
    cost_sensitive: bool
    seconds: float
    pipeline: str | None = None
    encoders: tuple | None = None
    bridge: str | None = None
    n_queries: int | None = None
    llm: str | None = None
    thinking: bool | None = None


@dataclass(frozen=True)
class Plan:
    """What pick() decided. pipeline is None when the task matched no profile; `message` then says why.

    audio_tokens is what the bridge hands the LLM for `seconds` of audio (None for a cascade, whose LLM
    reads a transcript); mmau is the (low, high) composite the lesson reports for that kind of stack
    (None for a cascade or a 1-3B on-device stack, for which nothing is reported).
    """

    task: str
    profile: str | None = None
    matched: tuple = ()
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
    for name in ("on_device", "cost_sensitive"):
        if not isinstance(c[name], bool):
            raise AudiollmError(f"{name} must be True or False, got {c[name]!r}")
    for name in ("latency_ms", "seconds"):
        v = c[name]
        if v is None and name == "latency_ms":
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise AudiollmError(f"{name} must be a positive number, got {v!r}")
    return c


def _match(text):
    """Profiles whose keywords occur in text, best first: [(n_keywords, profile, words matched)]."""
    text = text.lower()
    hits = []
    for p in PROFILES:
        words = tuple(m.group(0) for m in (pat.search(text) for pat in _KEYWORD_PATTERNS[p.name]) if m)
        if words:
            hits.append((len(words), p, words))
    hits.sort(key=lambda h: -h[0])  # stable: equal scores keep table order
    return hits


def _resolve(task):
    """task (profile name or question) -> (profile or None, words matched, message)."""
    if not isinstance(task, str) or not task.strip():
        raise AudiollmError(f"task must be a non-empty string (a profile name or a question), got {task!r}")
    name = " ".join(task.lower().split())
    if name in _BY_NAME:
        return _BY_NAME[name], (), ""
    hits = _match(task)
    if not hits:
        known = ", ".join(p.name for p in PROFILES)
        return None, (), (f"no profile matches {task!r}: none of its words is a keyword of any profile. "
                          f"Ask with a profile name or reword the question. Known profiles: {known}.")
    tied = [h[1].name for h in hits[1:] if h[0] == hits[0][0]]
    message = f"tied with {', '.join(tied)}; the earlier profile in the table wins" if tied else ""
    return hits[0][1], hits[0][2], message


def pick(task, **constraints):
    """Pick the pipeline for a task.

    task: a profile name from PROFILES, or a free-text question mapped to a profile by keywords.
    constraints: latency_ms (budget in ms, or None), on_device (bool), cost_sensitive (bool),
    seconds (audio length in s, default 30; drives the audio-token count).
    Returns a Plan; a question that matches no profile gives a Plan with pipeline None and a message
    listing the known profiles (an honest "don't know" rather than a guess). Bad constraint -> AudiollmError.
    """
    c = _check_constraints(constraints)
    profile, matched, message = _resolve(task)
    if profile is None:
        return Plan(task=task, seconds=c["seconds"], message=message)
    s = _State(profile.needs, profile.thinking, **c)
    struck, fired, reasons = [], [], []
    for rule in RULES:
        if not rule.test(s):
            continue
        if rule.kind in ("reject", "refuse"):
            struck.extend(o for o in rule.sets if o not in struck)
        elif rule.kind == "choose":
            if any(getattr(s, f) is not None or v in struck for f, v in rule.sets):
                continue
            for f, v in rule.sets:
                setattr(s, f, v)
        fired.append(rule.name)
        reasons.append(f"[{rule.name}] {rule.when} -> {rule.then.format(why=profile.thinking)}")
    mmau = None if c["on_device"] else MMAU_BY_BRIDGE.get(s.bridge)  # the reported figures are 7B-class
    return Plan(task=task, profile=profile.name, matched=matched, pipeline=s.pipeline, encoders=s.encoders,
                bridge=s.bridge, n_queries=s.n_queries, audio_tokens=_audio_tokens(s.bridge, c["seconds"], s.n_queries),
                seconds=c["seconds"], llm=s.llm, thinking=bool(s.thinking), mmau=mmau, rejected=tuple(struck),
                fired=tuple(fired), reasons=tuple(reasons), message=message)


def _audio_tokens(bridge, seconds, n_queries):
    """Audio tokens the bridge hands the LLM, from the bridges cost model (None for a cascade)."""
    if bridge is None:
        return None
    if n_queries is None:  # only the global Q-former has a query count
        return tokens_per_clip(bridge, seconds)
    return tokens_per_clip(bridge, seconds, n_queries)


def _mmau_text(plan):
    if plan.bridge is None:
        return "none reported for a cascade (MMAU scores audio-LLMs)"
    if plan.mmau is None:
        return "none reported for a 1-3B on-device stack (the lesson's figures are for 7B-class and frontier models)"
    low, high = plan.mmau
    span = f"about {low:.2f}" if low == high else f"{low:.2f}-{high:.2f}"
    return f"{span} (the lesson's composite, as reported)"


def _stack(plan):
    """One line: encoders -> bridge (size) -> LLM, or encoders -> transcript -> LLM for a cascade."""
    encoders = " + ".join(plan.encoders)
    if plan.bridge is None:
        return f"{encoders} -> transcript -> {plan.llm}"
    size = f"{plan.n_queries} queries, " if plan.n_queries else ""
    return f"{encoders} -> {plan.bridge} ({size}{plan.audio_tokens} audio tokens for {plan.seconds:g} s) -> {plan.llm}"


def format_plan(plan):
    """The few lines main.py prints for one task: profile, pipeline, stack, thinking, MMAU, reasons."""
    if not isinstance(plan, Plan):
        raise AudiollmError(f"plan must be a Plan from pick(), got {type(plan).__name__}")
    if plan.pipeline is None:
        return f"task: {plan.task}\n{plan.message}"
    how = f"matched: {', '.join(plan.matched)}" if plan.matched else "named directly"
    lines = [
        f"task: {plan.task}",
        f"profile: {plan.profile} ({how})",
        f"pipeline: {plan.pipeline}" + (f"; rejected: {', '.join(plan.rejected)}" if plan.rejected else ""),
        f"stack: {_stack(plan)}",
        f"thinking: {'on' if plan.thinking else 'off'}",
        f"MMAU: {_mmau_text(plan)}",
    ]
    if plan.message:
        lines.append(f"note: {plan.message}")
    lines.append("why:")
    lines.extend(f"  {r}" for r in plan.reasons)
    return "\n".join(lines)


# constrained asks the skill shows beside the defaults; with PROFILES they make every rule fire
EXAMPLES = (
    ("transcription", {"latency_ms": 300}),
    ("music tagging", {"cost_sensitive": True}),
    ("emotion inference", {"on_device": True}),
    ("multi-speaker diarization", {"cost_sensitive": True}),
    ("deepfake detection", {"cost_sensitive": True}),
    ("meeting notes with speaker labels", {"latency_ms": 1000}),
    ("environment classification", {"seconds": 1200}),
)
QUESTIONS = (  # the lesson's three questions, plus one for diarization
    "what instruments are in this recording",
    "what emotion is the speaker expressing",
    "what happened at minute 3",
    "who spoke when in this call",
)


def _row(cells):
    return "| " + " | ".join(cells) + " |"


def _plan_row(label, plan):
    tokens = "-" if plan.audio_tokens is None else str(plan.audio_tokens)
    size = f" ({plan.n_queries} queries)" if plan.n_queries else ""
    return _row([label, plan.pipeline, " + ".join(plan.encoders), f"{plan.bridge or '-'}{size}", tokens,
                 plan.llm, "on" if plan.thinking else "off", ", ".join(plan.fired)])


def render_skill():
    """The skill markdown, generated from PROFILES, RULES and EXAMPLES; the same bytes on every run."""
    plan_head = [_row(["ask", "pipeline", "encoders", "bridge", "audio tokens", "LLM", "thinking", "rules fired"]),
                 _row(["---"] * 8)]
    lines = [
        "---",
        "name: audio-llm-pipeline-picker",
        "description: Pick a cascaded, end-to-end or hybrid audio-LLM pipeline for an audio task, with encoders, "
        "bridge and its size, LLM class and on-demand thinking, from one rule table.",
        f"version: {SKILL_VERSION}",
        "phase: 12",
        "lesson: 19",
        "tags: [audio-llm, whisper, beats, q-former, audio-flamingo-3, cascaded-vs-end-to-end, mmau]",
        "---",
        "",
        "# Audio-LLM pipeline picker",
        "",
        "Generated by `write_skill()` from the `PROFILES` and `RULES` tables in `code/audiollm/picker.py`;",
        "`pick()` runs the same tables, so edit them there, not here.",
        "",
        "## Use it",
        "",
        "```python",
        "import sys; sys.path.insert(0, \"code\")",
        "from audiollm.picker import pick, format_plan",
        "print(format_plan(pick(\"what instruments are in this recording\", seconds=60)))",
        "print(format_plan(pick(\"transcription\", latency_ms=300)))",
        "```",
        "",
        "`task` is a profile name below or a free-text question; keywords map a question to a profile and the",
        "plan lists the words that matched. A question that matches nothing returns a plan with",
        "`pipeline=None` and a message listing the profiles, never a guess.",
        f"Constraints: {', '.join(f'`{k}`' for k in CONSTRAINTS)} (`seconds` is the audio length and drives the",
        "audio-token count; default 30 s). Any other name, or a bad value, raises `AudiollmError`.",
        "",
        "Pipelines: **cascaded** (Whisper transcribes, a text LLM reasons), **end-to-end** (audio tokens go",
        "straight into an LLM), **hybrid** (one audio-LLM both transcribes and reasons over the sound).",
        "",
        "## What a task can need",
        "",
        _row(["need", "meaning"]), _row(["---"] * 2),
        *(_row([f"`{k}`", v]) for k, v in NEEDS.items()),
        "",
        "## Decision table: every built-in profile (30 s of audio, no constraints)",
        "",
        _row(["profile", "needs"]), _row(["---"] * 2),
        *(_row([p.name, ", ".join(sorted(p.needs))]) for p in PROFILES),
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
        "## On-demand thinking",
        "",
        "Exactly these profiles turn it on (lesson exercise 4); it stays off for everything else, plain",
        "transcription included. The lesson reports thinking lifts complex reasoning 3-5 points; that figure",
        "is quoted as reported, not measured here.",
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
        *(f"{i}. `{r.name}` ({r.kind}): when {r.when} -> {r.then.format(why='the profile gives the reason')}."
          for i, r in enumerate(RULES, 1)),
        "",
        "## Free-text keywords",
        "",
        "A keyword matches at the start of a word (`instrument` matches \"instruments\"); the profile with",
        "the most matching keywords wins, ties go to the earlier profile.",
        "",
        _row(["profile", "keywords"]), _row(["---"] * 2),
        *(_row([p.name, ", ".join(f"`{k}`" for k in p.keywords)]) for p in PROFILES),
        "",
        _row(["question", "profile", "words matched", "pipeline"]), _row(["---"] * 4),
        *(_row([q, pl.profile, ", ".join(pl.matched), pl.pipeline]) for q, pl in ((q, pick(q)) for q in QUESTIONS)),
        "",
        "## MMAU, as reported",
        "",
        "The lesson's composite MMAU figures, quoted as reported (not computed here): "
        + ", ".join(f"{n} ~{v:.2f}" for n, v in MMAU_AS_REPORTED) + ".",
        "A plan quotes the range for its kind of bridge: Q-former stacks (the SALMONN line) about 0.55,",
        "pooling stacks from Qwen-Audio (stride-2 pooling) about 0.60 to AF3 (pooling + MLP) about 0.72.",
        "",
        "## What the lesson simplifies",
        "",
        "- AF3 uses AF-Whisper, one encoder trained on speech, sound and music, and a pooled 2-layer MLP adaptor",
        "  into Qwen2.5-7B; \"Whisper + BEATs concat\" and the Q-former describe SALMONN and BLIP-2, not AF3.",
        "- SALMONN's Q-former is window-level (17 frames, about 0.33 s, one query each); BLIP-2's has 32 queries.",
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
    return path
