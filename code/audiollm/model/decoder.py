"""The micro audio-LLM (lesson: "Instruction stage: end-to-end, unfreeze LLM", "Audio Flamingo 3", on-demand
thinking): a decoder-only transformer, microgpt-sized, that reads audio tokens and a question and answers in
words by greedy decoding.

    prompt:  <sound> x n_audio   question words   [think before you answer]   <sep>
    answer:  [<think> the heard timeline </think>]   answer words   <eos>

The audio enters the AF3 way: the question's token ids hold n_audio `<sound>` placeholders, and the embedding
row of each placeholder is replaced, in place, by the next projected audio vector. Two bridges bring the audio
to the LLM's width:

    "qformer": the Listener's 8 Q-former query tokens (32 wide; BLIP-2, SALMONN) -> Linear(32 -> d)
    "pooled":  the Listener's normalised encoder frames (60 wide, 50 Hz) with its frame tagger's 4 probabilities
               (speech, music, sound, silence) appended, averaged over 8 (160 ms) -> bridges.PooledMLPAdapter:
               average pairs, LayerNorm, Linear, GELU, Linear (AF3, Qwen-Audio): one token per 320 ms, 12 for a
               4-s clip, 93 for 30 s

Then the LLM proper: fixed sinusoidal positions (so a 30-s window's longer prompt still has positions), causal
pre-LN transformer blocks (nn.TransformerBlock, the same code as the encoder's), a final LayerNorm and a linear
head over the word vocabulary. Training (audiollm.learn.instruct) runs this same forward with Tensors.
"""
import hashlib
import os
import random
from operator import add

from ..base.errors import AudiollmError, WeightsFileError, check_int, check_text
from .autograd import Tensor, attention, concat_rows, gather_rows, no_grad, softmax
from .nn import (Embedding, LayerNorm, Linear, Module, TransformerBlock, gc_paused, load_weights, read_weights,
                 sinusoids)
from .bridges import PooledMLPAdapter
from .vocab import KINDS
from .listener import WEIGHTS_DIR

WEIGHTS_PATH = os.path.join(WEIGHTS_DIR, "lm.json")
UNK, SOUND, SEP, THINK, END_THINK, EOS = "<unk>", "<sound>", "<sep>", "<think>", "</think>", "<eos>"
SPECIALS = (UNK, SOUND, SEP, THINK, END_THINK, EOS)
BRIDGES = ("qformer", "pooled")
THINK_SUFFIX = "think before you answer"  # the switch for a thought first (AF3-Think's prompt suffix)
THINK_WORDS = THINK_SUFFIX.split()
MAX_QUESTION = 200      # characters of a question
OUTSIDE = "that question is outside what i was trained on"
FRAMES_PER_STEP = 8     # the pooled bridge averages 8 encoder frames (160 ms) before the adaptor pools pairs
MAX_LEN = 256           # positions: 93 audio tokens of a 30-s window, the question and the answer
POSITION_SCALE = 0.25   # sinusoids of norm 1, not 4: the adaptor's audio tokens start at norm 1-2
MAX_ANSWER = 40         # tokens greedy decoding writes at most (a thought and an answer)


def sha256_file(path):
    """The sha256 hex digest of a file's bytes: lm.json records which Listener weights it was trained on."""
    with open(path, "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


class MicroLM(Module):
    """A decoder-only transformer over a word vocabulary, with one audio bridge.

    words: the vocabulary (SPECIALS first); d_audio: the width of the bridge's input rows (32 for the Q-former
    tokens, 64 for encoder frames and tags: bridge_width); bridge: "qformer" or "pooled"; d_model, n_heads,
    n_layers: the LLM's size.
    """

    def __init__(self, words, d_audio, bridge="pooled", d_model=32, n_heads=4, n_layers=1, seed=0):
        if bridge not in BRIDGES:
            raise AudiollmError(f"bridge must be one of {BRIDGES}, got {bridge!r}")
        if tuple(words[:len(SPECIALS)]) != SPECIALS:
            raise AudiollmError(f"words must start with {SPECIALS}")
        check_int("d_model", d_model, 4, 512)
        check_int("n_layers", n_layers, 1, 8)
        rng = random.Random(seed)
        self.words, self.bridge_name = list(words), bridge
        self.ids = {w: i for i, w in enumerate(self.words)}
        self.wte = Embedding(len(words), d_model, rng)  # the word table: (V, d_model), one row per word
        self.bridge = (Linear(d_audio, d_model, rng) if bridge == "qformer"
                       else PooledMLPAdapter(d_audio, d_model, seed=seed))
        self.blocks = [TransformerBlock(d_model, n_heads, rng) for _ in range(n_layers)]
        self.ln_f = LayerNorm(d_model)
        self.head = Linear(d_model, len(words), rng)
        self.positions = [[POSITION_SCALE * v for v in row] for row in sinusoids(MAX_LEN, d_model)]

    def n_audio(self, audio_in):
        """How many <sound> placeholders the prompt needs for these audio rows (the adaptor pools pairs)."""
        n = len(audio_in.data if isinstance(audio_in, Tensor) else audio_in)
        return n if self.bridge_name == "qformer" else n // 2

    def audio_tokens(self, audio_in):
        """The bridge: audio rows (n, d_audio) (lists or Tensor) -> audio tokens (n_audio, d_model) Tensor.
        For the pooled bridge n must be even (pairs are pooled; a packed batch joins whole clips)."""
        out = self.bridge(audio_in if isinstance(audio_in, Tensor) else Tensor(audio_in))
        return out if self.bridge_name == "qformer" else out[0]  # the adaptor also returns its pooling weights

    def embed(self, ids, audio):
        """Token ids (n,) and audio tokens (n_audio, d) (None: no audio, a text-only prompt) -> input rows (n, d),
        no positions yet.

        The AF3 step, literally: row i is the word table's row ids[i], except that the k-th <sound> placeholder
        takes audio row k. One lookup does it: the audio rows are stacked under the word table, and each
        placeholder's id points into them."""
        sound, n_words = self.ids[SOUND], len(self.words)
        rows, k = [], 0
        for i in ids:
            if i == sound:
                rows.append(n_words + k)
                k += 1
            else:
                rows.append(i)
        n_audio = 0 if audio is None else len(audio.data)
        if k != n_audio:
            raise AudiollmError(f"the prompt has {k} <sound> placeholders for {n_audio} audio tokens")
        return gather_rows(self.wte.weight if audio is None else concat_rows([self.wte.weight, audio]), rows)

    def forward(self, batch):
        """batch: [(ids, audio rows, at)], each ids holding n_audio(audio rows) <sound> ids -> logits
        (sum of len(at), V): for each sequence, the rows `at` (row i's logits score the token at i + 1).

        The sequences are packed one under another (the weight gradients then come from long dot products,
        the whole batch at once) and each attends only to itself: that is the one difference from
        nn.TransformerBlock.forward, which `_block` otherwise follows line by line."""
        ids, audio_in, positions, spans, picks = [], [], [], [], []
        for seq, rows, at in batch:
            if len(seq) > MAX_LEN:
                raise AudiollmError(f"the prompt is {len(seq)} tokens; the model takes at most {MAX_LEN}")
            picks += [len(ids) + i for i in at]
            spans.append(range(len(ids), len(ids) + len(seq)))
            ids += seq
            audio_in += rows.data if isinstance(rows, Tensor) else rows
            positions += self.positions[:len(seq)]
        x = self.embed(ids, self.audio_tokens(audio_in) if audio_in else None) + Tensor(positions)
        for block in self.blocks:
            x = _block(block, x, spans)
        return self.head(self.ln_f(gather_rows(x, picks)))

    def encode(self, text):
        """Words of a text -> ids (an unknown word is <unk>)."""
        return [self.ids.get(w, 0) for w in words_of(text)]

    def prompt_ids(self, n_audio, question):
        """<sound> x n_audio, the question's ids, <sep>."""
        return [self.ids[SOUND]] * n_audio + self.encode(question) + [self.ids[SEP]]

    def generate(self, audio_in, question, max_new=MAX_ANSWER):
        """Greedy decoding: the highest-scoring next word, again and again, until <eos>. Returns the words.

        Literally, each step reruns forward() on the whole sequence so far and reads its last row. The same
        words, about 10x faster, because a causal model's earlier rows never change: each block keeps the keys
        and values of the rows it has seen (a key-value cache) and a step runs only the new row through it
        (tests/test_lm.py holds this to the literal loop)."""
        ids = self.prompt_ids(self.n_audio(audio_in), question)
        # A thought only when the prompt asks for one (AF3's switch): unasked, a model that drifts into a thought
        # on a new phrasing could use up its words before the answer.
        asked = words_of(question)[-len(THINK_WORDS):] == THINK_WORDS
        banned = (UNK, SOUND, SEP) if asked else (UNK, SOUND, SEP, THINK, END_THINK)
        allowed = [i for i, w in enumerate(self.words) if w not in banned]  # words an answer may hold
        out = []
        with no_grad(), gc_paused():
            caches = [[[], []] for _ in self.blocks]
            x = self.embed(ids, self.audio_tokens(audio_in) if audio_in else None) + Tensor(self.positions[:len(ids)])
            for _ in range(min(max_new, MAX_LEN - len(ids))):
                for block, cache in zip(self.blocks, caches):
                    x = _block_step(block, x, cache)
                row = self.head(self.ln_f(gather_rows(x, [len(x.data) - 1]))).data[0]
                best = max(allowed, key=row.__getitem__)
                if best == self.ids[EOS]:
                    break
                out.append(self.words[best])
                x = Tensor([list(map(add, self.wte.weight.data[best], self.positions[len(ids)]))])
                ids.append(best)
        return out


def _block(block, x, spans):
    """nn.TransformerBlock.forward(x, causal=True) on packed sequences: rows `span` of x attend only to each
    other (a block-diagonal causal mask), everything else is per row and runs on the whole batch at once."""
    h = block.attn_ln(x)
    a = block.attn
    q, k, v = a.q_proj(h), a.k_proj(h), a.v_proj(h)
    if len(spans) == 1:
        read = attention(q, k, v, a.n_heads, causal=True, need_weights=False)[0]
    else:
        read = concat_rows([attention(gather_rows(q, r), gather_rows(k, r), gather_rows(v, r), a.n_heads,
                                      causal=True, need_weights=False)[0] for r in spans])
    x = x + a.out_proj(read)
    return x + block.mlp(block.mlp_ln(x))


def _block_step(block, x, cache):
    """_block for new rows x of one sequence whose earlier rows' keys and values are in cache ([keys, values],
    plain rows, extended here): the new rows attend to the cached rows and to themselves, causally."""
    h = block.attn_ln(x)
    a = block.attn
    cache[0] += a.k_proj(h).data
    cache[1] += a.v_proj(h).data
    x = x + a.out_proj(attention(a.q_proj(h), cache[0], cache[1], a.n_heads, causal=True, need_weights=False)[0])
    return x + block.mlp(block.mlp_ln(x))


def bridge_width(listener, bridge):
    """The width of the rows a bridge reads: the Q-former's token width or the encoder's frame width plus
    the tagger's probabilities."""
    return listener.qformer.d_llm if bridge == "qformer" else listener.encoder.d_model + len(KINDS)


def audio_rows(listener, frames, bridge):
    """What a bridge reads, from raw encoder frames (n, 60) of the Listener's frozen encoder (plain lists):
    "qformer": the trained Q-former's query tokens (n_queries, 32); "pooled": each normalised frame with the
    Listener's frame-tag probabilities (speech, music, sound, silence: the alignment stage's trained head on the
    encoder) appended, averaged over FRAMES_PER_STEP, an even number of rows (n // 16 * 2, 64)."""
    normalised = listener.normalise(frames)
    with no_grad():
        if bridge == "qformer":
            return listener.qformer(listener.pooled(normalised))[0]
        tags = softmax(listener.tag_logits(normalised)).data
    frames = [row + tag for row, tag in zip(normalised, tags)]
    step = FRAMES_PER_STEP
    rows = [[sum(col) / step for col in zip(*frames[i:i + step])] for i in range(0, len(frames) - step + 1, step)]
    return rows[:len(rows) // 2 * 2]  # whole pairs for the adaptor


def words_of(text):
    """Lower-case words and numbers of a text, punctuation dropped: "Is there MUSIC?" -> ["is", "there", "music"]."""
    return "".join(c if c.isalnum() else " " for c in text.lower()).split()


def split_answer(words):
    """Generated words -> (thought words or None, answer words)."""
    if THINK in words and END_THINK in words:
        start, end = words.index(THINK), words.index(END_THINK)
        return words[start + 1:end], words[end + 1:]
    if THINK in words:  # the thought never closed: no answer
        return words[words.index(THINK) + 1:], []
    return None, words


def load_lm(path=WEIGHTS_PATH, listener_path=None):
    """The trained micro audio-LLM from its weights file; meta says its vocabulary, bridge and size.

    listener_path: the Listener weights the audio comes from; their sha256 must be the one the LLM was trained
    on (meta["listener_sha256"]), else WeightsFileError says to rerun the instruction stage."""
    weights = read_weights(path, trained_by="python3 code/train.py --stage instruct")
    meta = weights[1]
    try:
        words, config = meta["words"], meta["config"]
    except KeyError:
        raise WeightsFileError(f"weights file {path}: not an audiollm micro-LLM weights file") from None
    if listener_path is not None and meta.get("listener_sha256") != sha256_file(listener_path):
        raise WeightsFileError(f"weights file {path}: trained on other Listener weights than {listener_path}; "
                               "rerun the instruction stage: python3 code/train.py --stage instruct")
    try:
        model = MicroLM(words, config["d_audio"], config["bridge"], config["d_model"], config["n_heads"],
                        config["n_layers"])
    except (KeyError, TypeError, AudiollmError) as error:
        raise WeightsFileError(f"weights file {path}: bad config in meta ({error})") from None
    load_weights(path, model, weights)
    return model, meta


def answer(model, listener, log_mel, question, think=False):
    """Ask one window: its real log-Mel (n_frames, 80) and a question -> (thought words or None, answer text).

    A question whose words are mostly unknown to the model (more than half map to <unk>) gets OUTSIDE and the
    unknown words, rather than an invented answer; audio under 0.32 s (one adaptor token) gets "too short"."""
    question = check_text("question", question, MAX_QUESTION)
    words = words_of(question)
    unknown = [w for w in words if w not in model.ids]
    if not words or 2 * len(unknown) > len(words):
        return None, f"{OUTSIDE} (unknown words: {' '.join(unknown) or question})"
    rows = audio_rows(listener, listener.encoder(log_mel), model.bridge_name)
    if model.n_audio(rows) == 0:
        return None, "the audio is too short to answer (under 0.32 s)"
    thought, words = split_answer(model.generate(rows, f"{question} {THINK_SUFFIX}" if think else question))
    return thought, " ".join(words) or "(no answer)"
