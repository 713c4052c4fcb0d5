"""The micro audio-LLM (lesson: "Instruction stage: end-to-end, unfreeze LLM", "Audio Flamingo 3", on-demand
thinking): a decoder-only transformer, microgpt-sized, that reads audio tokens and a question and answers in
words by greedy decoding.

    prompt:  <sound> x n_audio   [<heard> the Listener's timeline as words]   question words   <sep>   [<think>]
    answer:  [the heard timeline </think>]   answer words   <eos>

The audio enters the AF3 way: the question's token ids hold n_audio `<sound>` placeholders, and the embedding
row of each placeholder is replaced, in place, by the next projected audio vector. The bridge
(bridges.PooledMLPAdapter: average pairs, LayerNorm, Linear, GELU, Linear; AF3, Qwen-Audio) reads, every 160 ms,
the Listener's normalised encoder frames (240 wide, 50 Hz) with its frame tagger's 4 probabilities (speech,
music, sound, silence) averaged over 8 encoder frames, and the music encoder's summary of the window
(music.music_summary, 77 values) beside them, SALMONN's two encoders side by side (audio_llm.listen makes the
rows): 321 values a row, one audio token per 320 ms, 12 for a 4-s clip, 93 for 30 s.

Two ways to ask, one set of weights (the instruction stage trains both):
    end-to-end: audio tokens and the question, nothing else;
    hybrid:     the Listener's timeline also goes in as words after <heard> ("speech 0 4 music 4 7": each
                stretch's kind, first and last second), the way a cascade's caption would; the audio tokens
                still carry what the timeline does not say (instrument, mode, voices).

The question is text and never control: its words are looked up in the vocabulary (lexicon.known_words first maps
other words to known ones), and only the caller's think flag puts <think> in the prompt; no typed word can open
or close a thought. The answer's form follows the question's (lexicon.answer_form): a yes/no question is
answered yes or no, a count by a count, a time by seconds (grammar-constrained greedy decoding).

Then the LLM proper, MicroLM.forward: fixed sinusoidal positions (so a 30-s window's longer prompt still has
positions), causal pre-LN transformer blocks, a final LayerNorm and a linear head over the word vocabulary. The
block is nn.TransformerBlock, the encoder's own code (its attention: nn.MultiHeadAttention -> autograd.attention).
Training (audiollm.learn.instruct) runs this forward with Tensors; decoding (generate) runs it with a key-value
cache. The audio rows, loading the trained model and answering a question about a clip are in audio_llm.
"""
import os
import random

from ..base.errors import AudiollmError, check_int
from .autograd import Tensor, concat_rows, gather_rows, no_grad
from .nn import Embedding, LayerNorm, Linear, Module, TransformerBlock, gc_paused, sinusoids
from .bridges import PooledMLPAdapter
from .listener import WEIGHTS_DIR

WEIGHTS_PATH = os.path.join(WEIGHTS_DIR, "lm.json")
UNK, SOUND, SEP, THINK, END_THINK, EOS, HEARD = "<unk>", "<sound>", "<sep>", "<think>", "</think>", "<eos>", "<heard>"
SPECIALS = (UNK, SOUND, SEP, THINK, END_THINK, EOS, HEARD)
MAX_QUESTION = 200      # characters of a question
MAX_LEN = 320           # positions: 93 audio tokens of a 30-s window, the timeline, the question and the answer
POSITION_SCALE = 0.25   # sinusoids of norm 1, not 4: the adaptor's audio tokens start at norm 1-2
MAX_ANSWER = 40         # tokens greedy decoding writes at most (a thought and an answer)
MAX_THOUGHT = 30        # a thought longer than this is closed: the answer always comes


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

    def forward(self, batch, kv_cache=None):
        """batch: [(ids, audio rows, at)], each ids holding n_audio(audio rows) <sound> ids -> logits
        (sum of len(at), V): for each sequence, the rows `at` (row i's logits score the token at i + 1).

        The sequences are packed one under another, so every layer but the attention runs on the whole batch at
        once (the weight gradients come from long dot products), and the attention keeps each sequence to its
        own rows (`lengths`). kv_cache (decoding one sequence, see generate): one [keys, values] per block, of
        the rows before these ids; they are extended with these."""
        past = len(kv_cache[0][0]) if kv_cache else 0
        ids, audio_in, positions, lengths, picks = [], [], [], [], []
        for seq, rows, at in batch:
            if past + len(seq) > MAX_LEN:
                raise AudiollmError(f"the prompt is {past + len(seq)} tokens; the model takes at most {MAX_LEN}")
            picks += [len(ids) + i for i in at]
            lengths.append(len(seq))
            ids += seq
            audio_in += rows.data if isinstance(rows, Tensor) else rows
            positions += self.positions[past:past + len(seq)]
        x = self.embed(ids, self.audio_tokens(audio_in) if audio_in else None) + Tensor(positions)  # (n, d)
        for block, cache in zip(self.blocks, kv_cache or [None] * len(self.blocks)):
            x = block(x, causal=True, lengths=lengths, kv_cache=cache)  # (n, d)
        return self.head(self.ln_f(gather_rows(x, picks)))  # (len(picks), V)

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
        no other prompt can open one. grammar: None, or a function of (the answer words so far, the thought's
        words or None) giving the words allowed next (the answer's form: lexicon.answer_grammar; agreement with
        the evidence: audio_llm.evidence_grammar).

        Literally, each step reruns forward() on the whole sequence so far and reads its last row. The same
        words, about 10x faster, because a causal model's earlier rows never change: each block's attention
        keeps the keys and values of the rows it has seen (a key-value cache), and forward() runs only the new
        word (tests/test_lm.py holds this to the literal loop)."""
        ids = list(prompt)
        thinking = ids[-1] == self.ids[THINK]
        free = [i for i, w in enumerate(self.words) if w not in SPECIALS or w == EOS]
        out, step, kv_cache = [], (ids, audio_in, [len(ids) - 1]), [[[], []] for _ in self.blocks]
        with no_grad(), gc_paused():
            for _ in range(min(max_new, MAX_LEN - len(ids))):
                row = self.forward([step], kv_cache).data[0]  # the next word's logits (V,)
                if thinking:  # the thought: any word, then </think>; never <eos> or a second <think>
                    allowed = [self.ids[END_THINK]] if len(out) >= MAX_THOUGHT else \
                        [i for i in free if i != self.ids[EOS]] + [self.ids[END_THINK]]
                else:
                    thought, answer = split_answer(out)
                    allowed = free if grammar is None else [self.ids[w] for w in grammar(answer, thought)
                                                            if w in self.ids]
                best = max(allowed, key=row.__getitem__)
                if best == self.ids[EOS]:
                    break
                out.append(self.words[best])
                thinking = thinking and best != self.ids[END_THINK]
                step = ([best], [], [0])
        return out


def split_answer(words):
    """Generated words -> (thought words or None, answer words): a thought ends at </think>."""
    if END_THINK in words:
        end = words.index(END_THINK)
        return words[:end], words[end + 1:]
    return None, words
