"""What the model heard (lesson: "Use It"): a timeline of speech / music / sound / silence from the trained
Listener's frame tagger, with zero-shot detail by retrieval (CLAP style), and the Q-former's attention over a clip.

The timeline comes from the tagger, a head trained in the alignment stage, not from zero-shot retrieval: frame
labels need 20-ms resolution, and a Q-former run on every short sliding window costs a forward per window (the
tagger is one small matrix product for a whole 30-s window). Detail ("music: organ", "sound: rain") is zero-shot:
the Q-former embeds the segment's audio, and the nearest of the prompt texts in vocab.PROMPTS (embedded by the
text encoder) names it.
"""
from ..base.errors import AudiollmError, check_samples
from ..front.mel import log_mel_spectrogram
from ..model.autograd import no_grad
from ..model.vocab import KINDS, PROMPTS
from ..model.listener import ENCODER_HZ, POOL, frame_kinds


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


def detail(model, pooled, field):
    """Zero-shot: the value of `field` (a key of vocab.PROMPTS) whose prompts' mean text embedding is nearest
    (largest dot product) to the audio embedding of `pooled` (the Q-former's input)."""
    with no_grad():
        audio = model.embed_audio(pooled)[0].data[0]
    prompts = prompt_embeddings(model, field)
    return max(prompts, key=lambda value: sum(a * b for a, b in zip(audio, prompts[value])))


DETAIL_FIELD = {"music": "instrument", "sound": "sound"}  # what each kind's detail names


def timeline(model, samples, offset_s=0.0, details=True):
    """What the model heard in 16-kHz samples: [(start_s, end_s, label)], label "speech", "music: organ",
    "sound: rain", "silence" ... Times are seconds from the start plus offset_s. details=False leaves the
    zero-shot detail out."""
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
            text += ": " + detail(model, model.pooled(normalised[first:stop]), DETAIL_FIELD[kind])
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
