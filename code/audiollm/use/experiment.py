"""The toy cascaded vs end-to-end experiment (lesson: "Cascaded vs end-to-end", "MMAU") and the
log-Mel shape arithmetic of exercise 1 (lesson: "Exercises").

The lesson claims a transcript loses what is in the sound. Here that claim is measured on a seeded
synthetic multiple-choice set, an MMAU in miniature: 1.02-s clips, each with one question of five
types (chance = 1 / number of options):

    content      Which word is spoken?               four two-vowel words ("a i", "o e", ...)
    emotion      Is the speaker calm or excited?     the same words; only pitch contour and energy differ
    music        Which instrument plays the chord?   organ / clarinet / string, random major or minor chord
    environment  Which sound is this?                knock / rain / siren
    timing       In which third of the clip is the knock?   first / middle / last

Two systems answer them, and neither sees a test clip before it is scored:

- cascaded: a toy recogniser turns each clip into text (every voiced stretch becomes the vowel whose
  log-Mel template is nearest), then a text-only rule reasoner picks the option whose words are
  closest to the transcript. When no option is closer than another, the transcript says nothing
  about the question and the reasoner falls back to the prior (the train split's most common answer),
  which on a balanced test split is exactly chance.
- end-to-end: log-Mel -> FrameEncoder -> Q-former tokens (random, untrained, seeded) -> one logistic
  regression per question type on the flattened tokens, fitted on the train split only. Two bridges
  are measured on the same encoder frames: BLIP-2's global Q-former (8 queries over the whole clip)
  and SALMONN's window Q-former (one query per 17 encoder frames, 0.34 s). A clip is exactly three
  such windows, so each third of it gets its own token; the global queries each average the whole
  clip, and time order survives in them only faintly (the picker's "time-order" rule).
  Random features keep much of the signal linearly; what the toy skips is training the bridge on
  audio-text pairs (SALMONN trains its window Q-former and the LLM's LoRA, with Whisper and BEATs
  frozen; AF3 trains its adaptor and LLM). The readouts see the tokens and nothing else.

run_llm_experiment asks the same questions of two copies of the micro audio-LLM (audiollm.model.decoder), trained from
scratch: one reads the transcript (the cascade), the other the audio tokens (end-to-end).
"""

import math
import random
from dataclasses import dataclass
from itertools import chain, groupby
from operator import add

from ..base.dots import dot
from ..base.errors import AudiollmError, check_choice, check_float, check_int, check_matrix, check_type
from ..base.files import write_atomic
from ..front.mel import HOP_LENGTH, SAMPLE_RATE, log_mel_spectrogram
from ..model.nn import softmax_rows
from ..model.encoder import FrameEncoder
from ..model.bridges import SALMONN_WINDOW, PooledMLPAdapter, QFormer, WindowQFormer
from ..model.listener import load_listener
from ..model.decoder import SPECIALS, WEIGHTS_PATH
from ..model.audio_llm import bridge_width, listen, load_lm
from ..model.lexicon import words_of
from ..synthetic.synth import FORMANTS_HZ, SPEAKERS, chord, noise_event, note_hz, vowel
from ..learn.instruct import train as train_llm

THIRDS = 3
# 1.02 s: 102 mel frames, 51 encoder frames (stride 2), three SALMONN windows of 17: one per third
CLIP_SAMPLES = THIRDS * SALMONN_WINDOW * 2 * HOP_LENGTH

WORDS = ("a i", "o e", "u a", "e o")  # the vocabulary: each word is two vowels from synth.FORMANTS_HZ
QUESTIONS = {  # question type -> (question, options); the answer is an index into the options
    "content": ("Which word is spoken?", WORDS),
    "emotion": ("Is the speaker calm or excited?", ("calm", "excited")),
    "music": ("Which instrument plays the chord?", ("organ", "clarinet", "string")),
    "environment": ("Which sound is this?", ("knock", "rain", "siren")),
    "timing": ("In which third of the clip is the knock?", ("first", "middle", "last")),
}
ACOUSTIC_TYPES = ("emotion", "music", "environment", "timing")  # answers that live in the sound, not the words
CHORD_ROOTS = ("G3", "A3", "C4", "D4", "F4")
KNOCK_S = 0.25  # the timing question's knock: one rap and its ring, inside a 0.34-s third

ACTIVE_RANGE = 0.5  # a mel frame is voiced within 0.5 log-Mel units (20 dB) of the loudest one
MIN_SEGMENT_FRAMES = 8  # voiced stretches shorter than 80 ms are clicks, not vowels
TEMPLATE_EDGE = 3  # mel frames dropped at each end of a template vowel (fades and STFT padding)

D_MODEL = 32  # toy encoder and Q-former width
N_HEADS = 4
N_LAYERS = 1
N_QUERIES = 8  # global Q-former: 8 tokens of width D_LLM, 128 features for its readout
D_LLM = 16  # window Q-former: 1 token per window, 3 x 16 = 48 features
READOUT_STEPS = 300  # full-batch gradient descent steps of the logistic regression
READOUT_RATE = 0.5
READOUT_L2 = 0.01
MAX_PER_TYPE = 1000  # questions per type and split; more is a typo, not an experiment


@dataclass(frozen=True)
class Question:
    """One multiple-choice item: a 1.02-s clip (16 kHz floats) and the index of its correct option."""

    kind: str
    options: tuple
    answer: int
    samples: list


@dataclass(frozen=True)
class TypeResult:
    """Held-out accuracy of both systems on one question type, and one test transcript as an example."""

    kind: str
    question: str
    options: tuple
    n_test: int
    chance: float
    cascaded: float
    qformer: float  # end-to-end through the global Q-former
    window_qformer: float  # end-to-end through SALMONN's window Q-former
    example: tuple  # (correct option, transcript) of the type's first test question


SCORES = ("chance", "cascaded", "qformer", "window_qformer")  # the table's accuracy columns, in order


@dataclass(frozen=True)
class ExperimentResult:
    """What run_experiment measured: its arguments and one TypeResult per question type, in QUESTIONS order."""

    seed: int
    n_train: int
    n_test: int
    rows: tuple


def log_mel_shape(seconds, sr, n_mels=80, window_ms=25, hop_ms=10):
    """Exercise 1: the shape of a log-Mel spectrogram, from the arithmetic alone.

    window_samples = sr * window_ms / 1000 (400 at 16 kHz, 1200 at 48 kHz), n_fft = window_samples,
    bins = n_fft // 2 + 1 power-spectrum bins (201, 601), hop = sr * hop_ms / 1000 (160, 480).
    A centred STFT gives stft_frames = 1 + samples // hop (3001 for 30 s); Whisper drops the last, so
    mel_frames = samples // hop (3000). Returns a dict of those, plus shape (mel_frames, n_mels), values,
    mel_frames_per_second and fmax_hz (sr / 2: how high the mel filters can reach).
    """
    check_int("sr", sr)
    check_int("n_mels", n_mels)
    for name, value in (("seconds", seconds), ("window_ms", window_ms), ("hop_ms", hop_ms)):
        check_float(name, value, above=0.0)
    window, hop = round(sr * window_ms / 1000), round(sr * hop_ms / 1000)
    if hop < 1 or window < 2:
        raise AudiollmError(f"sr={sr} gives a window of {window} and a hop of {hop} samples; both must be longer")
    samples = round(seconds * sr)
    return {
        "samples": samples, "window_samples": window, "n_fft": window, "bins": window // 2 + 1,
        "hop": hop, "stft_frames": 1 + samples // hop, "mel_frames": samples // hop, "n_mels": n_mels,
        "shape": (samples // hop, n_mels), "values": samples // hop * n_mels,
        "mel_frames_per_second": sr / hop, "fmax_hz": sr / 2,
    }


def _word(rng, word, speaker, contour, amplitude):
    """The vowels of `word` spoken by synth.SPEAKERS[speaker], 60-90 ms apart; contour(low, high) gives f0s."""
    low, high, scale, _ = SPEAKERS[speaker]
    parts = []
    for k, name in enumerate(word.split()):
        if k:
            parts.append([0.0] * round(rng.uniform(0.06, 0.09) * SAMPLE_RATE))
        parts.append(vowel(name, contour(low, high), rng.uniform(0.2, 0.26), amplitude, scale))
    return list(chain.from_iterable(parts))


def _neutral(rng):
    """Three pitches anywhere in the speaker's range; returns a contour(low, high) for _word."""
    def contour(low, high):
        return [rng.uniform(low, high) for _ in range(3)]
    return contour


def _calm(rng):
    """Low, nearly flat pitch in the speaker's range."""
    def contour(low, high):
        f0 = rng.uniform(low, low + 0.3 * (high - low))
        return (f0, 0.95 * f0)
    return contour


def _excited(rng):
    """Pitch above the speaker's range, rising by half and falling back."""
    def contour(low, high):
        return (high * rng.uniform(1.0, 1.15), high * rng.uniform(1.4, 1.6), high * rng.uniform(0.9, 1.1))
    return contour


def _sound(kind, option, rng):
    """The sound that makes `option` the answer to a content, emotion, music or environment question."""
    if kind == "content":
        return _word(rng, option, rng.choice("AB"), _neutral(rng), rng.uniform(0.3, 0.6))
    if kind == "emotion":
        contour, level = (_calm(rng), (0.15, 0.3)) if option == "calm" else (_excited(rng), (0.6, 0.9))
        return _word(rng, rng.choice(WORDS), rng.choice("AB"), contour, rng.uniform(*level))
    if kind == "music":
        root = note_hz(rng.choice(CHORD_ROOTS))
        third = rng.choice((3, 4))  # minor or major
        notes = [root, root * 2 ** (third / 12), root * 2 ** (7 / 12)]
        return chord(notes, rng.uniform(0.6, 0.9), option, rng.uniform(0.3, 0.6))
    return noise_event(option, rng.uniform(0.6, 0.9), rng.randrange(2**32), rng.uniform(0.3, 0.6))


def _clip(kind, answer, rng):
    """1.02 s of audio (CLIP_SAMPLES floats) whose correct answer to QUESTIONS[kind] is option `answer`."""
    if kind == "timing":  # one knock inside the answer's third, over faint rain
        clip = noise_event("rain", CLIP_SAMPLES / SAMPLE_RATE, rng.randrange(2**32), rng.uniform(0.02, 0.06))
        sound = noise_event("knock", KNOCK_S, rng.randrange(2**32), rng.uniform(0.3, 0.6))
        third = CLIP_SAMPLES // THIRDS
        start = answer * third + rng.randrange(third - len(sound))
    else:  # one sound somewhere in silence
        clip = [0.0] * CLIP_SAMPLES
        sound = _sound(kind, QUESTIONS[kind][1][answer], rng)
        start = rng.randrange(CLIP_SAMPLES - len(sound))
    clip[start:start + len(sound)] = map(add, clip[start:start + len(sound)], sound)
    return clip


def make_questions(n_per_type, seed=0, split="train"):
    """n_per_type questions of every type in QUESTIONS, in type order: a list of Question.

    Answers cycle through the options (question i has answer i % n_options), so a split whose size
    is a multiple of the option count is balanced. The clips come from random.Random(f"{split}:{seed}"):
    the same (seed, split) gives the same samples bit for bit, and "train" and "test" draw from different streams.
    """
    check_int("n_per_type", n_per_type, 1, MAX_PER_TYPE)
    check_int("seed", seed, 0)
    check_choice("split", split, ("train", "test"))
    rng = random.Random(f"{split}:{seed}")
    return [Question(kind, options, i % len(options), _clip(kind, i % len(options), rng))
            for kind, (_, options) in QUESTIONS.items() for i in range(n_per_type)]


def _mean_rows(rows):
    return [sum(column) / len(rows) for column in zip(*rows)]


def _spectral_shape(rows):
    """Mean log-Mel spectrum of `rows` minus its own mean: the shape, whatever the loudness."""
    mean = _mean_rows(rows)
    level = sum(mean) / len(mean)
    return [v - level for v in mean]


def vowel_templates():
    """The recogniser's acoustic model: [(vowel, (80,) spectral shape)] for every vowel and speaker.

    Each template is one synth vowel at the middle of the speaker's pitch range, its log-Mel frames
    averaged (edges dropped) and level-removed.
    """
    templates = []
    for name in FORMANTS_HZ:
        for low, high, scale, _ in SPEAKERS.values():
            frames = log_mel_spectrogram(vowel(name, ((low + high) / 2,), 0.25, formant_scale=scale))
            templates.append((name, _spectral_shape(frames[TEMPLATE_EDGE:-TEMPLATE_EDGE])))
    return templates


def transcribe(log_mel, templates):
    """The cascade's toy recogniser: (T, 80) log-Mel -> text, one vowel per voiced stretch ("a i").

    A frame is voiced when its mean is within ACTIVE_RANGE of the loudest frame's; each run of at
    least MIN_SEGMENT_FRAMES voiced frames becomes the vowel whose template shape is nearest.
    It never reports pitch, loudness or anything that is not a vowel: that is what text keeps.
    """
    if not isinstance(templates, (list, tuple)) or not templates or not all(
            isinstance(t, (list, tuple)) and len(t) == 2 and isinstance(t[1], (list, tuple)) for t in templates):
        raise AudiollmError("templates must be a non-empty list of (vowel, spectral shape), e.g. vowel_templates()")
    check_matrix("log_mel", log_mel, len(templates[0][1]), "the templates' n_mels")
    energy = [sum(row) / len(row) for row in log_mel]
    threshold = max(energy) - ACTIVE_RANGE
    vowels, t = [], 0
    for voiced, run in groupby(e > threshold for e in energy):
        length = len(list(run))
        if voiced and length >= MIN_SEGMENT_FRAMES:
            shape = _spectral_shape(log_mel[t:t + length])
            vowels.append(min(templates, key=lambda tpl: math.dist(shape, tpl[1]))[0])
        t += length
    return " ".join(vowels)


def _edit_distance(a, b):
    """Levenshtein distance between two word lists."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def answer_from_text(transcript, options, prior):
    """The cascade's text-only reasoner: the option whose words are closest to the transcript.

    Options tied for closest (all of them, when the transcript never mentions any) are decided by
    `prior`, the option indices from most to least common in the train split. Returns an index.
    """
    check_type("transcript", transcript, str, "a string")
    if not isinstance(options, (list, tuple)) or not options or not all(isinstance(o, str) for o in options):
        raise AudiollmError(f"options must be a non-empty list of strings, got {options!r}")
    if not isinstance(prior, (list, tuple)) or sorted(prior) != list(range(len(options))):
        raise AudiollmError(f"prior must order all {len(options)} option indices, got {prior!r}")
    said = transcript.split()
    distances = [_edit_distance(option.split(), said) for option in options]
    best = min(distances)
    return next(k for k in prior if distances[k] == best)


def _prior(answers, n_options):
    """Option indices ordered by how often they answer the train questions (ties: lower index first)."""
    return sorted(range(n_options), key=lambda k: -answers.count(k))


def audio_tokens(frames, bridge):
    """Encoder frames (n, d_audio) -> the bridge's tokens, flattened in the order an LLM reads them.

    bridge: a QFormer (n_queries * d_llm floats) or a WindowQFormer (n // window * d_llm floats).
    """
    check_type("bridge", bridge, (QFormer, WindowQFormer, PooledMLPAdapter), "a QFormer, WindowQFormer or "
               "PooledMLPAdapter")
    tokens, _ = bridge.forward(frames)
    return list(chain.from_iterable(tokens))


@dataclass(frozen=True)
class Readout:
    """A linear classifier on standardised features: score_k = W[k] . (x - mean) / std + b[k]."""

    mean: list
    std: list
    weights: list
    bias: list

    def predict(self, features):
        """Index of the highest-scoring option for one feature vector."""
        check_matrix("features", [features], len(self.mean), "the width the readout was fitted on")
        z = [(v - m) / s for v, m, s in zip(features, self.mean, self.std)]
        scores = [dot(w, z) + b for w, b in zip(self.weights, self.bias)]
        return scores.index(max(scores))


def fit_readout(features, answers, n_options):
    """Multinomial logistic regression by full-batch gradient descent (READOUT_STEPS steps, L2 READOUT_L2).

    features: (n, d) floats, answers: n option indices. Features are standardised with the training
    mean and standard deviation, which the Readout keeps for prediction. Deterministic: weights start at 0.
    """
    check_matrix("features", features)
    if not isinstance(answers, (list, tuple)) or len(features) != len(answers):
        raise AudiollmError("features and answers must be lists of the same length")
    check_int("n_options", n_options, 2, len(features))
    if not all(a in range(n_options) for a in answers):
        raise AudiollmError(f"answers must be option indices from 0 to {n_options - 1}")
    n = len(features)
    mean = _mean_rows(features)
    std = [math.sqrt(sum((v - m) ** 2 for v in column) / n) or 1.0 for column, m in zip(zip(*features), mean)]
    rows = [[(v - m) / s for v, m, s in zip(x, mean, std)] for x in features]
    columns = list(zip(*rows))  # feature-major: each gradient entry is then one C-level dot product
    weights = [[0.0] * len(mean) for _ in range(n_options)]
    bias = [0.0] * n_options
    for _ in range(READOUT_STEPS):
        probabilities = softmax_rows([[dot(w, x) + b for w, b in zip(weights, bias)] for x in rows])
        errors = [[p - (k == answer) for k, p in enumerate(row)]  # d(cross-entropy) / d(score_k)
                  for row, answer in zip(probabilities, answers)]
        per_option = list(zip(*errors))
        weights = [[w - READOUT_RATE * (dot(e, column) / n + READOUT_L2 * w)
                    for w, column in zip(wk, columns)] for wk, e in zip(weights, per_option)]
        bias = [b - READOUT_RATE * sum(e) / n for b, e in zip(bias, per_option)]
    return Readout(mean, std, weights, bias)


def _features(questions, templates, encoder, bridges, progress=None, done=0, total=0):
    """Per clip: (transcript, tokens of each bridge). One log-Mel feeds both systems, one encoding every bridge.
    progress(done + k, total) after the k-th clip, when given."""
    out = []
    for q in questions:
        log_mel = log_mel_spectrogram(q.samples)
        frames = encoder.forward(log_mel)
        out.append((transcribe(log_mel, templates), [audio_tokens(frames, b) for b in bridges]))
        if progress is not None:
            progress(done + len(out), total)
    return out


def run_experiment(seed=0, n_train=24, n_test=18, progress=None):
    """Score cascaded and end-to-end on n_test held-out questions per type, trained on n_train per type.

    seed fixes the clips and the random encoder and Q-former; the same seed gives the same result.
    n_train must be at least 4 (one of each content option). Returns an ExperimentResult whose rows
    hold, per question type: chance (1 / options), the accuracy of the cascade and of the end-to-end
    readouts on each bridge (qformer, window_qformer), and one example transcript.
    The defaults (210 clips) take about 30 s on a 2-core machine. progress(done, total): called after each clip.
    """
    check_int("seed", seed, 0)
    n_options = max(len(options) for _, options in QUESTIONS.values())
    check_int("n_train", n_train, n_options, MAX_PER_TYPE)
    check_int("n_test", n_test, 1, MAX_PER_TYPE)
    templates = vowel_templates()
    encoder = FrameEncoder(n_mels=80, d_model=D_MODEL, n_heads=N_HEADS, n_layers=N_LAYERS, seed=seed)
    shape = {"d_audio": D_MODEL, "d_model": D_MODEL, "n_heads": N_HEADS, "n_layers": N_LAYERS, "d_llm": D_LLM,
             "seed": seed}
    bridges = (QFormer(n_queries=N_QUERIES, **shape), WindowQFormer(n_queries=1, window=SALMONN_WINDOW, **shape))
    train = make_questions(n_train, seed, "train")
    test = make_questions(n_test, seed, "test")
    total = len(train) + len(test)
    train_features = _features(train, templates, encoder, bridges, progress, 0, total)
    test_features = _features(test, templates, encoder, bridges, progress, len(train), total)
    rows = []
    for kind, (question, options) in QUESTIONS.items():
        fit = [(q.answer, f) for q, f in zip(train, train_features) if q.kind == kind]
        scored = [(q.answer, f) for q, f in zip(test, test_features) if q.kind == kind]
        answers = [a for a, _ in fit]
        prior = _prior(answers, len(options))
        accuracy = [sum(answer_from_text(text, options, prior) == a for a, (text, _) in scored) / len(scored)]
        for b in range(len(bridges)):
            readout = fit_readout([tokens[b] for _, (_, tokens) in fit], answers, len(options))
            accuracy.append(sum(readout.predict(tokens[b]) == a for a, (_, tokens) in scored) / len(scored))
        rows.append(TypeResult(kind, question, options, len(scored), 1 / len(options), *accuracy,
                               (options[scored[0][0]], scored[0][1][0])))
    return ExperimentResult(seed, n_train, n_test, tuple(rows))


def format_report(result):
    """The experiment as markdown: a table of held-out accuracy per question type, then how to read it."""
    check_type("result", result, ExperimentResult, "an ExperimentResult from run_experiment")
    lines = [
        f"# Toy experiment: cascaded vs end-to-end (seed {result.seed})",
        "",
        f"Held-out accuracy on {result.n_test} test questions per type; the end-to-end readout was fitted on "
        f"{result.n_train} train questions per type. Every clip is {CLIP_SAMPLES / SAMPLE_RATE:g} s of "
        "synthetic 16 kHz audio.",
        "",
        "| question type | question | options | chance | cascaded | end-to-end, Q-former | "
        "end-to-end, window Q-former |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result.rows:
        options = " / ".join(f"`{o}`" for o in row.options)
        scores = " | ".join(f"{getattr(row, key):.2f}" for key in SCORES)
        lines.append(f"| {row.kind} | {row.question} | {options} | {scores} |")
    for label, rows in (("all", result.rows), ("acoustic", [r for r in result.rows if r.kind in ACOUSTIC_TYPES])):
        means = " | ".join(f"{sum(getattr(r, key) for r in rows) / len(rows):.2f}" for key in SCORES)
        lines.append(f"| **mean, {label}** | | | {means} |")
    lines += [
        "",
        f"One question is {1 / result.n_test:.3f} of a row's accuracy; at chance 1/3 one standard error is "
        f"{math.sqrt(2 / 9 / result.n_test):.2f}.",
        "",
        "- **cascaded**: a toy recogniser writes each voiced stretch as its nearest vowel template, then a "
        "text-only reasoner picks the option closest in words to that transcript and, when the transcript "
        "mentions none, the train split's most common answer (chance on a balanced test split).",
        f"- **end-to-end**: log-Mel -> FrameEncoder ({N_LAYERS} layer, width {D_MODEL}) -> a bridge, all "
        f"random and untrained (seed {result.seed}) -> one logistic regression per question type and bridge on "
        "the flattened tokens, fitted on the train split only. No extra features: each readout sees only "
        f"its bridge's tokens. **Q-former** (BLIP-2): {N_QUERIES} queries over the whole clip, {N_QUERIES} "
        f"tokens of width {D_LLM}. **Window Q-former** (SALMONN): one query per {SALMONN_WINDOW} encoder "
        f"frames, so {THIRDS} tokens of width {D_LLM}, one per third of the clip.",
        "",
        "What the transcript said on the first test clip of each type:",
        "",
    ]
    for row in result.rows:
        answer, transcript = row.example
        lines.append(f"- {row.kind} (answer `{answer}`): \"{transcript}\"")
    return "\n".join(lines) + "\n"


def write_report(path, result, llm=None):
    """Write format_report(result) (and format_llm_report(llm) after it, when given) to `path` (e.g.
    outputs/cascade_vs_e2e.md) atomically: a temporary file in the same directory, then os.replace, so a
    reader never sees half a report. Returns path."""
    return write_atomic(path, format_report(result) + ("\n" + format_llm_report(llm) if llm is not None else ""))


# ---- the experiment rerun with the micro audio-LLM (audiollm.model.decoder) in place of the readouts ----

LLM_TRAIN = 60   # questions per type the two LLMs learn from
LLM_STEPS = 200  # Adam steps of 16 examples for each of them


@dataclass(frozen=True)
class LLMResult:
    """run_llm_experiment's held-out accuracy: rows of (type, chance, cascaded LLM, end-to-end LLM)."""

    seed: int
    n_train: int
    n_test: int
    rows: tuple


def _llm_data(questions, prepared, cascade):
    """{type: [(audio rows, prompt words, answer words)]}: the cascade's prompt is the transcript then the
    question, no audio; the end-to-end prompt is the audio tokens then the question. The answer is the right
    option's words."""
    out = {}
    for q, (transcript, rows) in zip(questions, prepared):
        question = words_of(QUESTIONS[q.kind][0])
        out.setdefault(q.kind, []).append(([] if cascade else rows, (transcript + question) if cascade else question,
                                           words_of(q.options[q.answer])))
    return out


def llm_example(model, item, kind, mode, rng):
    """instruct.train's example maker for this experiment's items: (rows, prompt ids, target words)."""
    rows, words, target = item
    return rows, model.prompt_ids(model.n_audio(rows), words), target


def llm_accuracy(model, data):
    """{type: share of items whose greedy answer is the target's words exactly}."""
    return {kind: sum(model.generate(rows, model.prompt_ids(model.n_audio(rows), words)) == target
                      for rows, words, target in items) / len(items) for kind, items in data.items()}


def run_llm_experiment(seed=0, n_train=LLM_TRAIN, n_test=18, steps=LLM_STEPS, listener=None, progress=None):
    """The experiment with the same micro-LLM architecture on both sides: one trained on the toy recogniser's
    transcripts (cascaded: text in, no audio tokens), one on the audio (end-to-end: the Listener's frozen
    encoder frames and the music summary through the pooled MLP adaptor into <sound> placeholders). Both learn
    every question type at once from n_train questions per type and answer the held-out ones by greedy
    decoding; an answer counts when it is the right option's words exactly. Returns an LLMResult.
    progress(done, total): called after each clip, each 10 training steps and each answered test split."""
    check_int("n_train", n_train, 1, MAX_PER_TYPE)
    check_int("n_test", n_test, 1, MAX_PER_TYPE)
    check_int("steps", steps, 1)
    listener = listener or load_listener()
    templates = vowel_templates()
    splits, done = [], 0
    questions_of = (make_questions(n_train, seed, "train"), make_questions(n_test, seed, "test"))
    total = sum(map(len, questions_of)) + 2 * (-(-steps // 10) + 1)

    def tick(*_):
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)
    for questions in questions_of:
        prepared = []
        for q in questions:
            log_mel = log_mel_spectrogram(q.samples)
            prepared.append((words_of(transcribe(log_mel, templates)), listen(listener, q.samples, log_mel)[0]))
            tick()
        splits.append((questions, prepared))
    texts = [*FORMANTS_HZ, *(q for q, _ in QUESTIONS.values()),
             *(o for _, options in QUESTIONS.values() for o in options)]
    words = [*SPECIALS, *sorted({w for t in texts for w in words_of(t)} - set(SPECIALS))]
    scores = []
    for cascade in (True, False):
        model, _ = train_llm(_llm_data(*splits[0], cascade), words, bridge_width(listener), steps, seed,
                             n_layers=1, workers=1, make=llm_example, log=tick)
        scores.append(llm_accuracy(model, _llm_data(*splits[1], cascade)))
        tick()
    rows = tuple((kind, 1 / len(options), scores[0][kind], scores[1][kind]) for kind, (_, options) in QUESTIONS.items())
    return LLMResult(seed, n_train, n_test, rows)


def format_llm_report(result):
    """run_llm_experiment's table as markdown, with the means over all types and the acoustic ones."""
    lines = [f"## The same micro audio-LLM on both sides (seed {result.seed})", "",
             f"Held-out accuracy on {result.n_test} test questions per type; each LLM (audiollm.model.decoder, "
             "trained from "
             f"scratch) learned all five types at once from {result.n_train} train questions per type.", "",
             "| question type | chance | cascaded LLM (transcript tokens) | end-to-end LLM (audio tokens) |",
             "|---|---|---|---|"]
    lines += [f"| {kind} | {c:.2f} | {a:.2f} | {b:.2f} |" for kind, c, a, b in result.rows]
    for label, rows in (("all", result.rows), ("acoustic", [r for r in result.rows if r[0] in ACOUSTIC_TYPES])):
        means = " | ".join(f"{sum(r[i] for r in rows) / len(rows):.2f}" for i in (1, 2, 3))
        lines.append(f"| **mean, {label}** | {means} |")
    lines += ["", "- **cascaded LLM**: the prompt is the toy recogniser's transcript followed by the question; "
              "no audio token reaches the LLM.",
              "- **end-to-end LLM**: the prompt is the clip's audio tokens (the Listener's frozen encoder frames, "
              "averaged over 160 ms, through the pooled MLP adaptor: 3 tokens for 1.02 s) followed by the question."]
    lines += shipped_llm_section()
    return "\n".join(lines) + "\n"


def shipped_llm_section(path=WEIGHTS_PATH):
    """The shipped micro audio-LLM's held-out table (recorded in its weights file by the instruction stage) as
    markdown lines: the experiment on the corpus' 11 question types, end to end against the hybrid."""
    held = load_lm(path)[1].get("held_out")
    if not held:
        return []
    columns = held["columns"]
    lines = ["", "## The shipped micro audio-LLM on the corpus' question types (instruction stage)", "",
             f"Held-out accuracy on {held['n_test']} test-split clips (3-30 s) never trained on, from "
             f"`{load_lm(path)[1]['command']}` (outputs/instruct_report.md has the whole report). A cascade has "
             "nothing to read here: the corpus' talkers babble, so a transcript says none of these answers; the "
             "hybrid is the cascade's caption (the Listener's timeline as words) beside the audio tokens.", "",
             "| question type | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for kind, values in held["rows"].items():
        lines.append(f"| {kind} | " + " | ".join("-" if v is None else f"{v:.2f}" for v in values) + " |")
    means = [sum(v[i] for v in held["rows"].values() if v[i] is not None) /
             max(1, sum(v[i] is not None for v in held["rows"].values())) for i in range(len(columns))]
    lines.append("| **mean** | " + " | ".join(f"**{m:.2f}**" for m in means) + " |")
    return lines

