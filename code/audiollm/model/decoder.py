"""The micro audio-LLM (lesson: "Instruction stage: end-to-end, unfreeze LLM", "Audio Flamingo 3", on-demand
thinking): a decoder-only transformer, microgpt-sized, that reads audio tokens and a question and answers in
words by greedy decoding.

    prompt:  <sound> x n_audio   [<heard> the Listener's timeline as words]   question words   <sep>   [<think>]
    answer:  [the heard timeline </think>]   answer words   <eos>

The audio enters the AF3 way: the question's token ids hold n_audio `<sound>` placeholders, and the embedding
row of each placeholder is replaced, in place, by the next projected audio vector. The bridge
(bridges.PooledMLPAdapter: average pairs, LayerNorm, Linear, GELU, Linear; AF3, Qwen-Audio) reads, every 160 ms,
the Listener's normalised encoder frames (240 wide, 50 Hz) with its frame tagger's 4 probabilities (speech,
music, sound, silence) averaged over ROWS_PER_STEP encoder frames, and the music encoder's summary of the window
(music.music_summary, 77 values) beside them (SALMONN's two encoders, side by side): 321 values a row, one audio
token per 320 ms, 12 for a 4-s clip, 93 for 30 s.

Two ways to ask, one set of weights (the instruction stage trains both):
    end-to-end: audio tokens and the question, nothing else;
    hybrid:     the Listener's timeline also goes in as words after <heard> ("speech 0 4 music 4 7": each
                stretch's kind, first and last second), the way a cascade's caption would; the audio tokens
                still carry what the timeline does not say (instrument, mode, voices).

The question is text and never control: its words are looked up in the vocabulary (lexicon.known_words first maps
other words to known ones), and only the caller's think flag puts <think> in the prompt; no typed word can open
or close a thought. The answer's form follows the question's (lexicon.answer_form): a yes/no question is
answered yes or no, a count by a count, a time by seconds (grammar-constrained greedy decoding).

Then the LLM proper: fixed sinusoidal positions (so a 30-s window's longer prompt still has positions), causal
pre-LN transformer blocks (nn.TransformerBlock, the same code as the encoder's), a final LayerNorm and a linear
head over the word vocabulary. Training (audiollm.learn.instruct) runs this same forward with Tensors.
"""
import hashlib
import json
import os
import random
from operator import add

from ..base.errors import AudiollmError, WeightsFileError, check_int, check_text
from ..front.mel import log_mel_spectrogram
from .autograd import Tensor, attention, concat_rows, gather_rows, no_grad, softmax
from .nn import Embedding, LayerNorm, Linear, Module, TransformerBlock, gc_paused, load_weights, sinusoids
from .bridges import PooledMLPAdapter
from .vocab import KINDS
from .listener import ENCODER_HZ, WEIGHTS_DIR, smooth
from .music import D_MUSIC, music_summary
from .lexicon import answer_form, answer_grammar, known_words, placed, words_of

WEIGHTS_PATH = os.path.join(WEIGHTS_DIR, "lm.json")
UNK, SOUND, SEP, THINK, END_THINK, EOS, HEARD = "<unk>", "<sound>", "<sep>", "<think>", "</think>", "<eos>", "<heard>"
SPECIALS = (UNK, SOUND, SEP, THINK, END_THINK, EOS, HEARD)
MAX_QUESTION = 200      # characters of a question
OUTSIDE = "that question is outside what i was trained on"
ROWS_PER_STEP = 8       # encoder frames (20 ms each) averaged into one row the bridge reads: 160 ms
MIN_HEARD_S = 1.0       # a stretch of the Listener's timeline under 1 s is left out of the <heard> words
MAX_LEN = 320           # positions: 93 audio tokens of a 30-s window, the timeline, the question and the answer
POSITION_SCALE = 0.25   # sinusoids of norm 1, not 4: the adaptor's audio tokens start at norm 1-2
MAX_ANSWER = 40         # tokens greedy decoding writes at most (a thought and an answer)
MAX_THOUGHT = 30        # a thought longer than this is closed: the answer always comes


def sha256_file(path):
    """The sha256 hex digest of a file's bytes: lm.json records which Listener weights it was trained on."""
    with open(path, "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


class MicroLM(Module):
    """A decoder-only transformer over a word vocabulary, with the pooled audio bridge.

    words: the vocabulary (SPECIALS first); d_audio: the width of the rows the bridge reads (bridge_width:
    321); d_model, n_heads, n_layers: the LLM's size.
    """

    def __init__(self, words, d_audio, d_model=32, n_heads=4, n_layers=1, seed=0):
        if tuple(words[:len(SPECIALS)]) != SPECIALS:
            raise AudiollmError(f"words must start with {SPECIALS}")
        check_int("d_model", d_model, 4, 512)
        check_int("n_layers", n_layers, 1, 8)
        rng = random.Random(seed)
        self.words = list(words)
        self.ids = {w: i for i, w in enumerate(self.words)}
        self.wte = Embedding(len(words), d_model, rng)  # the word table: (V, d_model), one row per word
        self.bridge = PooledMLPAdapter(d_audio, d_model, seed=seed)
        self.blocks = [TransformerBlock(d_model, n_heads, rng) for _ in range(n_layers)]
        self.ln_f = LayerNorm(d_model)
        self.head = Linear(d_model, len(words), rng)
        self.positions = [[POSITION_SCALE * v for v in row] for row in sinusoids(MAX_LEN, d_model)]

    @staticmethod
    def n_audio(audio_in):
        """How many <sound> placeholders the prompt needs for these audio rows (the adaptor pools pairs)."""
        return len(audio_in.data if isinstance(audio_in, Tensor) else audio_in) // 2

    def audio_tokens(self, audio_in):
        """The bridge: audio rows (n, d_audio) (lists or Tensor), n even (pairs are pooled; a packed batch joins
        whole clips) -> audio tokens (n // 2, d_model) Tensor."""
        return self.bridge(audio_in if isinstance(audio_in, Tensor) else Tensor(audio_in))[0]  # [1]: pool weights

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

    def encode(self, words):
        """Words -> ids (an unknown word is <unk>)."""
        return [self.ids.get(w, 0) for w in words]

    def prompt_ids(self, n_audio, question, heard=None, think=False):
        """<sound> x n_audio, [<heard> and the heard words], the question's ids, <sep>, [<think>].
        question and heard are lists of words: only `think` can put <think> into a prompt."""
        context = [] if heard is None else [self.ids[HEARD], *self.encode(heard)]
        return [self.ids[SOUND]] * n_audio + context + self.encode(question) + [self.ids[SEP]] + \
            ([self.ids[THINK]] if think else [])

    def generate(self, audio_in, prompt, grammar=None, max_new=MAX_ANSWER):
        """Greedy decoding after the token ids `prompt` (prompt_ids; its <sound> placeholders take audio_in's
        tokens): the highest-scoring allowed next word, again and again, until <eos>. Returns the words.

        A prompt that ends in <think> gets a thought first, closed by </think> after at most MAX_THOUGHT words;
        no other prompt can open one. grammar: None, or a function of the answer words so far (after any
        thought) giving the words allowed next (the answer's form; lexicon.answer_grammar).

        Literally, each step reruns forward() on the whole sequence so far and reads its last row. The same
        words, about 10x faster, because a causal model's earlier rows never change: each block keeps the keys
        and values of the rows it has seen (a key-value cache) and a step runs only the new row through it
        (tests/test_lm.py holds this to the literal loop)."""
        ids = list(prompt)
        thinking = ids[-1] == self.ids[THINK]
        free = [i for i, w in enumerate(self.words) if w not in SPECIALS or w == EOS]
        out = []
        with no_grad(), gc_paused():
            caches = [[[], []] for _ in self.blocks]
            x = self.embed(ids, self.audio_tokens(audio_in) if audio_in else None) + Tensor(self.positions[:len(ids)])
            for _ in range(min(max_new, MAX_LEN - len(ids))):
                for block, cache in zip(self.blocks, caches):
                    x = _block_step(block, x, cache)
                row = self.head(self.ln_f(gather_rows(x, [len(x.data) - 1]))).data[0]
                if thinking:  # the thought: any word, then </think>; never <eos> or a second <think>
                    allowed = [self.ids[END_THINK]] if len(out) >= MAX_THOUGHT else \
                        [i for i in free if i != self.ids[EOS]] + [self.ids[END_THINK]]
                else:
                    answer = out[out.index(END_THINK) + 1:] if END_THINK in out else out
                    allowed = free if grammar is None else [self.ids[w] for w in grammar(answer) if w in self.ids]
                best = max(allowed, key=row.__getitem__)
                if best == self.ids[EOS]:
                    break
                out.append(self.words[best])
                thinking = thinking and best != self.ids[END_THINK]
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


def bridge_width(listener):
    """The width of the rows the bridge reads: the encoder's frame width, the tagger's probabilities and the
    music encoder's summary (240 + 4 + 77 = 321)."""
    return listener.encoder.d_model + len(KINDS) + D_MUSIC


def listen(listener, samples, log_mel, frames=None):
    """One window of audio as the micro-LLM takes it: 16-kHz samples and their log-Mel (n_frames, 80) (frames:
    the Listener's raw encoder frames of that log-Mel, when already made) -> (audio rows (n // 16 * 2, 321),
    heard words).

    Each row is ROWS_PER_STEP normalised encoder frames with the tagger's probabilities appended, averaged
    (160 ms), then the window's music summary; an even number of rows, whole pairs for the adaptor. The heard
    words are the tagger's smoothed timeline (listener.smooth), each stretch of MIN_HEARD_S or more that is not
    silence as its kind, first and last second."""
    frames = listener.encoder(log_mel) if frames is None else frames
    normalised = listener.normalise(frames)
    with no_grad():
        tags = softmax(listener.tag_logits(normalised)).data
    summary = music_summary(samples, log_mel, tags)
    step = ROWS_PER_STEP
    rows = [[sum(col) / step for col in zip(*(a + b for a, b in zip(normalised[i:i + step], tags[i:i + step])))]
            + summary for i in range(0, len(frames) - step + 1, step)]
    heard = []
    for first, stop, label in smooth([max(range(len(KINDS)), key=row.__getitem__) for row in tags]):
        if KINDS[label] != "silence" and stop - first >= MIN_HEARD_S * ENCODER_HZ:
            heard += [KINDS[label], str(round(first / ENCODER_HZ)), str(round(stop / ENCODER_HZ))]
    return rows[:len(rows) // 2 * 2], heard


def split_answer(words):
    """Generated words -> (thought words or None, answer words): a thought ends at </think>."""
    if END_THINK in words:
        end = words.index(END_THINK)
        return words[:end], words[end + 1:]
    return None, words


def load_lm(path=WEIGHTS_PATH, listener_path=None):
    """The trained micro audio-LLM from its weights file; meta says its vocabulary and size.

    listener_path: the Listener weights the audio comes from; their sha256 must be the one the LLM was trained
    on (meta["listener_sha256"]), else WeightsFileError says to rerun the instruction stage."""
    try:
        with open(path, "rb") as stream:
            meta = json.loads(stream.read().decode("utf-8"))["meta"]
        words, config = meta["words"], meta["config"]
    except FileNotFoundError:
        raise WeightsFileError(f"weights file {path}: no such file (train it: python3 code/train.py --stage "
                               "instruct)") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise WeightsFileError(f"weights file {path}: not an audiollm micro-LLM weights file") from None
    if listener_path is not None and meta.get("listener_sha256") != sha256_file(listener_path):
        raise WeightsFileError(f"weights file {path}: trained on other Listener weights than {listener_path}; "
                               "rerun the instruction stage: python3 code/train.py --stage instruct")
    try:
        model = MicroLM(words, config["d_audio"], config["d_model"], config["n_heads"], config["n_layers"])
    except (KeyError, TypeError, AudiollmError) as error:
        raise WeightsFileError(f"weights file {path}: bad config in meta ({error})") from None
    load_weights(path, model)
    return model, meta


def read_question(model, question, lexicon=True):
    """A question -> (the words the model reads, the answer's form), or (None, the refusal) when the question
    names nothing the model was trained to answer about (lexicon.placed). lexicon=False (for measuring what the
    lexicon adds): the words as typed, an unknown one read as <unk>, refused when more than half are unknown."""
    question = check_text("question", question, MAX_QUESTION)
    typed = words_of(question)
    if lexicon:
        words, dropped = known_words(typed, model.ids)
        refuse = not placed(words)
    else:
        words, dropped = typed, [w for w in typed if w not in model.ids]
        refuse = not words or 2 * len(dropped) > len(words)
    if refuse:
        return None, f"{OUTSIDE} (unknown words: {' '.join(dropped) or question})"
    return words, answer_form(words, typed)


def reply(model, rows, heard, question, think=False, hybrid=True, lexicon=True):
    """The answer to a question about audio already through listen(): (thought words or None, answer text).
    hybrid: the heard words go into the prompt (False: audio tokens only, end to end); think: a thought first."""
    words, form = read_question(model, question, lexicon)
    if words is None:
        return None, form
    if model.n_audio(rows) == 0:
        return None, "the audio is too short to answer (under 0.32 s)"
    prompt = model.prompt_ids(model.n_audio(rows), words, heard if hybrid else None, think)
    thought, out = split_answer(model.generate(rows, prompt, answer_grammar(form)))
    return thought, " ".join(out) or "(no answer)"


def answer(model, listener, samples, question, think=False, hybrid=True):
    """Ask one window: its 16-kHz samples and a question -> (thought words or None, answer text), as reply().

    A question that names nothing the model knows gets OUTSIDE and the words it did not know, rather than an
    invented answer; audio under 0.32 s (one adaptor token) gets "too short"."""
    if read_question(model, question)[0] is None:
        return reply(model, [], [], question)
    return reply(model, *listen(listener, samples, log_mel_spectrogram(samples)), question, think, hybrid)
