"""What the model heard (lesson: "Use It"): a timeline of speech / music / sound / silence from the trained
Listener's frame tagger, with zero-shot detail by retrieval (CLAP style), and the Q-former's attention over a clip.

The timeline comes from the tagger, a head trained in the alignment stage, not from zero-shot retrieval: frame
labels need 20-ms resolution, and a Q-former run on every short sliding window costs a forward per window (the
tagger is one small matrix product for a whole 30-s window). Detail ("music: keyboard", "sound: nature") is
zero-shot and honest: the Q-former embeds the segment's audio, each family of vocab.FAMILIES scores as the
nearest of its members' prompt texts (vocab.PROMPTS, embedded by the text encoder), and the best family is
named only when its probability reaches a threshold calibrated on the corpus' own val clips
(DETAIL_THRESHOLDS); otherwise the segment has no detail. A family, never a member: the Listener cannot tell
a synthesizer's sawtooth from a real violin's bow, and a wrong name teaches something false.
"""
import math

from ..base.errors import AudiollmError, check_samples
from ..front.mel import log_mel_spectrogram
from ..model.autograd import no_grad
from ..model.vocab import FAMILIES, FAMILY_OF, KINDS, PROMPTS
from ..model.listener import ENCODER_HZ, POOL, TAU, frame_kinds


def prompt_embeddings(model, field):
    """{value: the mean of the unit text embeddings of its vocab.PROMPTS phrasings} for one field, made once
    per loaded model (inference: the weights no longer change)."""
    cache = model.__dict__.setdefault("_prompts", {})
    if field not in cache:
        with no_grad():
            cache[field] = {value: [sum(col) / len(texts) for col in zip(*(model.embed_text(t).data[0]
                                                                           for t in texts))]
                            for value, texts in PROMPTS[field].items()}
    return cache[field]


DETAIL_FIELD = {"music": "instrument", "sound": "sound"}  # which FAMILIES each kind's detail names
DETAIL_TARGET = 0.8  # a family is named where, on the calibration clips, named families were right this often
MIN_SHOWN = 20       # ... judged on at least this many calibration segments
# calibrated_threshold on the corpus' val clips 100-399 (data/make_detail_thresholds.py), never on other audio;
# the shipped Listener's families are named at these probabilities or above. No instrument family was right 80 %
# of the time at any probability (make_detail_thresholds.py prints inf), so the timeline never names one:
DETAIL_THRESHOLDS = {"instrument": math.inf, "sound": 0.651}


def family_probabilities(model, pooled, field):
    """{family: probability} for one field of vocab.FAMILIES ("instrument" or "sound") given `pooled` (the
    Q-former's input). A value scores the dot product of the segment's unit audio embedding with its prompts'
    mean text embedding; a family scores as its best member; a softmax at the alignment stage's temperature TAU
    turns the family scores into probabilities."""
    with no_grad():
        audio = model.embed_audio(pooled)[0].data[0]
    prompts = prompt_embeddings(model, field)
    scores = {family: max(sum(a * b for a, b in zip(audio, prompts[value])) for value in values)
              for family, values in FAMILIES[field].items()}
    top = max(scores.values())
    weights = {family: math.exp((score - top) / TAU) for family, score in scores.items()}
    total = sum(weights.values())
    return {family: weight / total for family, weight in weights.items()}


def detail(model, pooled, field, threshold=None):
    """The most probable family of `field` for `pooled` (family_probabilities), or None when its probability is
    below `threshold` (default DETAIL_THRESHOLDS[field]): no detail rather than a guess."""
    threshold = DETAIL_THRESHOLDS[field] if threshold is None else threshold
    probabilities = family_probabilities(model, pooled, field)
    family = max(probabilities, key=probabilities.get)
    return family if probabilities[family] >= threshold else None


def nearest_value(model, pooled, field):
    """The single value of `field` (a key of vocab.PROMPTS) whose prompts' mean text embedding is nearest the
    audio embedding of `pooled`: the detail before families, which the measuring scripts compare against."""
    with no_grad():
        audio = model.embed_audio(pooled)[0].data[0]
    prompts = prompt_embeddings(model, field)
    return max(prompts, key=lambda value: sum(a * b for a, b in zip(audio, prompts[value])))


def detail_segments(model, items):
    """(field, true value, the Q-former's input) of every music and sound segment of at least POOL encoder
    frames. items: (16-kHz samples, [(kind, start_s, end_s, true value)]) with value a member of
    vocab.FAMILIES (an instrument or a sound), e.g. corpus clips' segments."""
    for samples, segments in items:
        normalised = model.encode(samples)
        for kind, start, end, value in segments:
            first, stop = round(start * ENCODER_HZ), round(end * ENCODER_HZ)
            if kind in DETAIL_FIELD and stop - first >= POOL:
                yield DETAIL_FIELD[kind], value, model.pooled(normalised[first:stop])


def detail_confidences(model, items):
    """[(field, probability of the family named, whether it is the true family)] for detail_segments(items)."""
    out = []
    for field, value, pooled in detail_segments(model, items):
        probabilities = family_probabilities(model, pooled, field)
        family = max(probabilities, key=probabilities.get)
        out.append((field, probabilities[family], family == FAMILY_OF[field][value]))
    return out


def calibrated_threshold(confidences, target=DETAIL_TARGET, min_shown=MIN_SHOWN):
    """The lowest probability at which detail is right often enough. confidences: [(probability, right)] of
    calibration segments (one field). Returns the smallest of their probabilities p such that the segments at
    p or above number at least min_shown and are right at least `target` of the time; math.inf (never name a
    family) when none is."""
    rows = sorted(confidences)
    right = sum(ok for _, ok in rows)
    for k, (probability, ok) in enumerate(rows):
        if len(rows) - k < min_shown:
            break
        if right >= target * (len(rows) - k):
            return probability
        right -= ok
    return math.inf


def timeline(model, samples, offset_s=0.0, details=True):
    """What the model heard in 16-kHz samples: [(start_s, end_s, label)], label "speech", "music: keyboard",
    "sound: alarm", "music" (no family sure enough), "silence" ... Times are seconds from the start plus
    offset_s. details=False leaves the zero-shot detail out."""
    samples = check_samples("samples", samples)
    if not samples:
        raise AudiollmError("samples: empty")
    return heard(model, log_mel_spectrogram(samples), offset_s, details)


def heard(model, log_mel, offset_s=0.0, details=True):
    """timeline() from the log-Mel (n_frames, 80) of the real audio (no padding)."""
    frames = model.encoder(log_mel)
    normalised = model.normalise(frames)
    seconds = len(log_mel) / (2 * ENCODER_HZ)
    out = []
    for first, stop, label in frame_kinds(model, frames):
        kind = KINDS[label]
        text = kind
        if details and kind in DETAIL_FIELD and stop - first >= POOL:
            family = detail(model, model.pooled(normalised[first:stop]), DETAIL_FIELD[kind])
            if family:
                text += ": " + family
        out.append((offset_s + first / ENCODER_HZ, offset_s + min(seconds, stop / ENCODER_HZ), text))
    return out


def query_attention(model, log_mel):
    """The trained Q-former's cross-attention over a clip: (weights (n_queries, n_pooled), seconds between
    pooled frames). log_mel: the real audio's (n_frames, 80)."""
    pooled = model.pooled(model.normalise(model.encoder(log_mel)))
    with no_grad():
        return model.embed_audio(pooled)[1], POOL / ENCODER_HZ


def attention_mass(weights, step_s, segments):
    """For each query, the share of its attention on each segment: {name: [share per query]}, segments
    [(name, start_s, end_s)]. Pooled frame k sits at (k + 1/2) * step_s."""
    out = {}
    for name, start, end in segments:
        keys = [k for k in range(len(weights[0])) if start <= (k + 0.5) * step_s < end]
        out[name] = [sum(row[k] for k in keys) for row in weights]
    return out


def _clock(seconds):
    """mm:ss.s"""
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes):02d}:{rest:04.1f}"


def format_timeline(segments):
    """One line per segment: [mm:ss.s - mm:ss.s] LABEL."""
    return "\n".join(f"[{_clock(start)} - {_clock(end)}] {label}" for start, end, label in segments)
