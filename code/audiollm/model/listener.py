"""The trained Listener (lesson: "Audio Q-former", its alignment stage): a frame tagger, an audio Q-former and a
text encoder over the frozen SummaryEncoder, and the smoothing of the tagger's frame labels into runs (the
timeline a user reads, with its zero-shot detail, is use/timeline.py).

The Listener is BLIP-2's stage 1 in miniature, on a frozen encoder:

    log-Mel (T, 80) -> SummaryEncoder (frozen, 50 Hz, 240 values a frame) -+-> tagger: MLP 240 -> 32 -> 4 per frame
                                                                           +-> pooled 8x in time (160 ms) and 4x
                                                                               in frequency (60 values) + 4 position
                                                                               values -> QFormer -> mean of the
                                                                               query tokens -> unit audio embedding
    caption -> words -> bag of (word, third of the caption) embeddings -> Linear -> unit text embedding

trained together (audiollm.learn.align): InfoNCE between audio and caption embeddings of a batch (CLAP, BLIP-2's
image-text contrastive loss) plus cross-entropy of the frame tagger against the corpus' 10-ms labels.
"""
import math
import os
import random
import re

from ..base.errors import WeightsFileError
from ..front.mel import HOP_LENGTH, SAMPLE_RATE, log_mel_spectrogram
from .autograd import Tensor, gelu, l2_normalize, mean_rows, no_grad
from .nn import Embedding, Linear, Module, load_weights, parameter, read_weights
from .encoder import SummaryEncoder
from .bridges import QFormer
from .vocab import (ACCOMPANIMENT, ADVERBS, CHORD_TEMPLATES, INSTRUMENT_NAMES, JOINS, KINDS, MELODY_TEMPLATES,
                    NEW_SPEAKER_TEMPLATES, ORDINALS, OVERLAY_TEMPLATE, PROMPTS, RETURNING_SPEAKER_TEMPLATES,
                    SILENCE_PHRASES, SOUND_PHRASES, SPEECH_TEMPLATES, WHERE)

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "weights")
DEFAULT_WEIGHTS = os.path.join(WEIGHTS_DIR, "listener.json")
ENCODER_HZ = SAMPLE_RATE // (2 * HOP_LENGTH)  # 50 encoder frames a second
POOL = 8                 # the Q-former reads one encoder frame in 8: 160 ms apart (each summarises 0.5 s)
BAND_POOL = 4            # ... with each statistic averaged over 4 adjacent mel bands: 60 values, not 240
N_POSITION = 4           # sin/cos of the relative time, appended to every pooled frame: order for the queries
D_MODEL, N_HEADS, D_EMBED, D_HIDDEN = 32, 2, 32, 64
TAU = 0.1                # InfoNCE temperature: the similarities are trained (and read) multiplied by 1 / TAU = 10
THIRDS = 3               # the text encoder tells a word in the first third of a caption from one in the last
MIN_SEGMENT_S = 0.5      # a timeline segment shorter than this joins its neighbours (silence: MIN_SILENCE_S)
MIN_SILENCE_S = 0.25     # the corpus' shortest silence; a pause inside speech is shorter
WORD = re.compile(r"[a-z]+")


def vocabulary():
    """The words the text encoder knows: every word vocab's caption templates and prompts can write,
    sorted, after "<unk>" (id 0) for any other word."""
    texts = [*SPEECH_TEMPLATES, *NEW_SPEAKER_TEMPLATES, *RETURNING_SPEAKER_TEMPLATES, *CHORD_TEMPLATES,
             *MELODY_TEMPLATES, OVERLAY_TEMPLATE, *WHERE, *JOINS, *SILENCE_PHRASES, *ORDINALS, *ADVERBS.values(),
             "a an calm excited low high major minor", *(p for v in INSTRUMENT_NAMES.values() for p in v),
             *(p for v in SOUND_PHRASES.values() for p in v), *(p for v in ACCOMPANIMENT.values() for p in v),
             *(p for field in PROMPTS.values() for texts in field.values() for p in texts)]
    words = sorted({w for text in texts for w in WORD.findall(text.lower())})
    return ["<unk>", *words]


def positions(n):
    """(n, N_POSITION): sin and cos of pi * r and 2 pi * r, r = i / (n - 1) the relative time of row i."""
    out = []
    for i in range(n):
        r = i / (n - 1) if n > 1 else 0.5
        out.append([math.sin(math.pi * r), math.cos(math.pi * r), math.sin(2 * math.pi * r), math.cos(2 * math.pi * r)])
    return out


class Listener(Module):
    """The trained model: frame tagger, audio Q-former and text encoder over the frozen SummaryEncoder.

    shift, scale (1, 240): the encoder frames' mean and 1 / standard deviation over the training clips
    (fixed when training starts, never trained). n_queries: the Q-former's queries (exercise 3: 32 or 64;
    the shipped model: see its weights file's meta).
    """

    def __init__(self, n_queries=8, seed=0):
        rng = random.Random(seed)
        self.encoder = SummaryEncoder()
        d = self.encoder.d_model
        self.words = vocabulary()
        self.word_ids = {w: i for i, w in enumerate(self.words)}
        self.shift = parameter([[0.0] * d])
        self.scale = parameter([[1.0] * d])
        self.tag_hidden = Linear(d, D_HIDDEN, rng)
        self.tag_out = Linear(D_HIDDEN, len(KINDS), rng)
        self.qformer = QFormer(d // BAND_POOL + N_POSITION, D_MODEL, N_HEADS, 1, n_queries, D_EMBED, seed=seed)
        self.text_embed = Embedding(THIRDS * len(self.words), D_MODEL, rng)
        self.text_proj = Linear(D_MODEL, D_EMBED, rng)

    def trainable(self):
        """The parameters training changes: all but shift and scale."""
        return [p for p in self.parameters() if p is not self.shift and p is not self.scale]

    def normalise(self, frames):
        """Encoder frames (n, 240) -> (frame - shift) * scale, plain lists."""
        shift, scale = self.shift.data[0], self.scale.data[0]
        return [[(v - m) * s for v, m, s in zip(row, shift, scale)] for row in frames]

    def encode(self, samples):
        """16-kHz samples -> normalised encoder frames (ceil(n_mel_frames / 2), 240), 50 Hz."""
        return self.normalise(self.encoder(log_mel_spectrogram(samples)))

    def tag_logits(self, frames):
        """Normalised encoder frames (n, 240) (lists or Tensor) -> (n, 4) logits over KINDS."""
        return self.tag_out(gelu(self.tag_hidden(frames)))

    def pooled(self, frames):
        """Normalised encoder frames (n, 240) -> the Q-former's input (ceil(n / 8), 64): every POOL-th frame,
        its columns averaged in groups of BAND_POOL (a statistic of 4 adjacent bands; groups never straddle the
        means / deviations / changes), positions appended. The tagger needs every band to tell a voice from a
        synthesizer; a caption needs less detail, and the Q-former's cross-attention costs its input width on
        every step of training (the step's largest cost)."""
        rows = frames[POOL // 2::POOL] or frames[:1]
        scale = 1.0 / BAND_POOL
        rows = [[sum(row[c:c + BAND_POOL]) * scale for c in range(0, len(row), BAND_POOL)] for row in rows]
        return [row + pos for row, pos in zip(rows, positions(len(rows)))]

    def embed_audio(self, pooled):
        """The Q-former's input (n, 64) -> (unit embedding (1, D_EMBED) Tensor, attention (n_queries, n))."""
        tokens, weights = self.qformer(Tensor(pooled) if isinstance(pooled, list) else pooled)
        return l2_normalize(mean_rows(tokens)), weights

    def token_ids(self, text):
        """A caption -> ids: word w in third k of the caption is k * len(words) + id(w)."""
        words = WORD.findall(text.lower())
        n = len(self.words)
        return [min(THIRDS - 1, THIRDS * i // max(1, len(words))) * n + self.word_ids.get(w, 0)
                for i, w in enumerate(words)] or [0]

    def embed_text(self, text):
        """A caption -> unit embedding (1, D_EMBED) Tensor: the mean of its (word, third) embeddings, projected."""
        return l2_normalize(self.text_proj(mean_rows(self.text_embed(self.token_ids(text)))))


def load_listener(path=DEFAULT_WEIGHTS):
    """The trained Listener from its weights file (meta["n_queries"] sets its size). A missing, corrupt or
    mismatched file raises WeightsFileError naming the file."""
    weights = read_weights(path, trained_by="python3 code/train.py")
    n_queries = weights[1].get("n_queries")
    if not isinstance(n_queries, int) or not 1 <= n_queries <= 1500:
        raise WeightsFileError(f"weights file {path}: meta n_queries must be 1-1500, got {n_queries!r}")
    model = Listener(n_queries)
    load_weights(path, model, weights)
    return model


def smooth(labels, hz=ENCODER_HZ):
    """Runs of equal labels, short ones absorbed: a run under MIN_SEGMENT_S (silence: MIN_SILENCE_S) takes the
    label of its longer neighbour, shortest first, until none is left. labels: ints (KINDS) at `hz`.
    Returns [(first, stop, label)] runs covering the input."""
    runs = []
    for i, label in enumerate(labels):
        if runs and runs[-1][2] == label:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1, label])
    while len(runs) > 1:
        def too_short(run):
            minimum = MIN_SILENCE_S if KINDS[run[2]] == "silence" else MIN_SEGMENT_S
            return run[1] - run[0] < minimum * hz
        short = [k for k, run in enumerate(runs) if too_short(run)]
        if not short:
            break
        k = min(short, key=lambda k: (runs[k][1] - runs[k][0], k))
        left = runs[k - 1] if k > 0 else None
        right = runs[k + 1] if k + 1 < len(runs) else None
        into = left if right is None or (left is not None and left[1] - left[0] >= right[1] - right[0]) else right
        runs[k][2] = into[2]
        merged = []  # join equal neighbours
        for run in runs:
            if merged and merged[-1][2] == run[2]:
                merged[-1][1] = run[1]
            else:
                merged.append(run)
        runs = merged
    return [tuple(run) for run in runs]


def frame_kinds(model, frames):
    """Raw encoder frames (n, 240) -> smoothed runs [(first, stop, KINDS index)] at 50 Hz."""
    with no_grad():
        logits = model.tag_logits(model.normalise(frames)).data
    return smooth([max(range(len(KINDS)), key=row.__getitem__) for row in logits])


def timeline_labels(model, frames, n_mel_frames):
    """The kind (a KINDS name) of every 10-ms log-Mel frame, after smoothing: raw encoder frames in,
    n_mel_frames labels out (encoder frame i covers mel frames 2 i and 2 i + 1)."""
    out = []
    for first, stop, label in frame_kinds(model, frames):
        out += [KINDS[label]] * (2 * (stop - first))
    return out[:n_mel_frames]
