"""Bridges from audio-encoder frames to LLM tokens: lesson sections "Audio Q-former" and
"The arc - SALMONN, Qwen-Audio, AF3".

The encoder gives 50 frames per second (1500 per 30-s window). The LLM wants a short row of vectors of
its own width. Three bridges do that, each `forward(frames) -> (tokens, weights)`:

- `QFormer` (BLIP-2; the lesson's main bridge): a fixed set of learnable queries cross-attends over all
  frames, so 30 s always becomes n_queries tokens, whatever was said in it.
- `WindowQFormer` (SALMONN): the same Q-former run on every 17-frame window (about 0.33 s) with one query
  each, so tokens grow with duration: 88 per 30 s.
- `PooledMLPAdapter` (Audio Flamingo 3; Qwen-Audio pools the same way): average two neighbouring frames,
  LayerNorm, a 2-layer GELU MLP: no queries at all, 750 tokens per 30 s.

The lesson says AF3 uses a 64-query Q-former; AF3 actually uses the pooled MLP adaptor, and the
Q-former belongs to the BLIP-2 / SALMONN line (see the facts sheet).

`weights` is (n_tokens, n_frames): how much each token read from each frame, every row summing to 1.
For the Q-formers it is the last block's cross-attention averaged over heads; for the pooled adaptor it
is the fixed 1/2, 1/2 of the average pool. `bridge_costs` counts what each bridge costs at real scale
with the same shape formulas that `n_params()` and `macs()` use on the toy bridges.
"""
import math
import random

from ..base.errors import AudiollmError, check_args, check_choice, check_float, check_int, check_type
from . import nn
from .autograd import avg_pool2, concat_rows, gather_rows, gelu

ENCODER_RATE = 50            # encoder frames per second: Whisper gives 1500 frames per 30 s
WINDOW_SECONDS = 30          # Whisper, SALMONN and AF3 all encode audio in 30-s windows
SALMONN_WINDOW = 17          # round(1500 * 0.333333 / 30): SALMONN's window = stride, in frames
POOL = 2                     # AvgPool1d(2, stride=2): one token per 40 ms
MLP_RATIO = 4                # BERT's intermediate width is 4x the hidden width
QUERY_INIT_STD = 0.02        # BERT's initializer_range, used for BLIP-2 and SALMONN query tokens

# Real-scale shapes for the cost model.
WHISPER_LARGE_WIDTH = 1280   # Whisper-large encoder width (SALMONN concatenates BEATs' 768 to make 2048)
QFORMER_WIDTH = 768          # BERT-base width, as in BLIP-2 and SALMONN
QFORMER_LAYERS = 2           # SALMONN's speech Q-former: 2 BERT-base blocks, cross-attention in each
LLM_WIDTH = 4096             # a 7B LLM (LLaMA-7B, Vicuna-7B, Qwen-7B): width 4096, 32 layers;
LLM_LAYERS = 32              # AF3's Qwen2.5-7B is 3584 wide with 28 layers (pass d_llm, llm_layers)
LONG_CLIP_SECONDS = 600      # AF3 takes up to 10 minutes: 20 windows of 30 s

BRIDGE_DESIGNS = ("qformer", "window_qformer", "pooled_mlp")


# Shape formulas. The bridges' n_params() and macs() and the real-scale cost table all call these.
# MACs count the multiply-adds of matrix products; LayerNorm, softmax, GELU and pooling are O(n*d)
# and left out.

def _linear_params(d_in, d_out):
    return d_out * d_in + d_out


def _attention_params(d_model, d_kv):
    """q, v, out projections with bias; k_proj without (nn.MultiHeadAttention, as Whisper; BERT's key
    bias would add d_model floats, and softmax ignores it anyway)."""
    return 2 * _linear_params(d_model, d_model) + _linear_params(d_kv, d_model) + d_kv * d_model


def _qformer_block_params(d_model, d_audio):
    self_attn = _attention_params(d_model, d_model)
    cross_attn = _attention_params(d_model, d_audio)
    mlp = _linear_params(d_model, MLP_RATIO * d_model) + _linear_params(MLP_RATIO * d_model, d_model)
    return self_attn + cross_attn + mlp + 3 * 2 * d_model


def _qformer_params(d_audio, d_model, n_layers, n_queries, d_llm):
    """Queries + frame LayerNorm + query LayerNorm + blocks + projection to the LLM width."""
    return (n_queries * d_model + 2 * d_audio + 2 * d_model
            + n_layers * _qformer_block_params(d_model, d_audio) + _linear_params(d_model, d_llm))


def _qformer_macs(n_frames, d_audio, d_model, n_layers, n_queries, d_llm):
    """One Q-former pass of n_queries over n_frames: the K/V projection of the frames dominates."""
    self_attn = 4 * n_queries * d_model ** 2 + 2 * n_queries ** 2 * d_model
    cross_attn = (2 * n_queries * d_model ** 2 + 2 * n_frames * d_audio * d_model
                  + 2 * n_queries * n_frames * d_model)
    mlp = 2 * MLP_RATIO * n_queries * d_model ** 2
    return n_layers * (self_attn + cross_attn + mlp) + n_queries * d_model * d_llm


def _window_qformer_macs(n_frames, window, d_audio, d_model, n_layers, n_queries, d_llm):
    """One Q-former pass per full window; the trailing frames that do not fill a window are dropped."""
    return (n_frames // window) * _qformer_macs(window, d_audio, d_model, n_layers, n_queries, d_llm)


def _pooled_params(d_audio, d_llm):
    return 2 * d_audio + _linear_params(d_audio, d_llm) + _linear_params(d_llm, d_llm)


def _pooled_macs(n_frames, d_audio, d_llm):
    return (n_frames // POOL) * (d_audio * d_llm + d_llm * d_llm)


def _llm_attention_macs(n_tokens, d_llm, llm_layers):
    """Prefill attention over n_tokens: QK^T and AV are n^2*d each per layer (the full square; a causal
    kernel skips about half)."""
    return 2 * n_tokens ** 2 * d_llm * llm_layers


def _llm_prefill_macs(n_tokens, d_llm, llm_layers):
    """Prefill of n_tokens: 12*d^2 per token per layer (Q, K, V, O projections 4*d^2, a 4x MLP 8*d^2;
    12 * 4096^2 * 32 = 6.4 G, about a 7B's non-embedding weights) plus the attention above."""
    return 12 * n_tokens * d_llm ** 2 * llm_layers + _llm_attention_macs(n_tokens, d_llm, llm_layers)


class QFormerBlock(nn.Module):
    """One BERT/BLIP-2 block, post-LN: self-attention among the queries, cross-attention from the
    queries to the frames, a 4x GELU MLP; each sub-layer is x = LayerNorm(x + sublayer(x))."""

    def __init__(self, d_audio, d_model, n_heads, rng):
        self.self_attn = nn.MultiHeadAttention(d_model, n_heads, rng)
        self.ln_self = nn.LayerNorm(d_model)
        self.cross_attn = nn.MultiHeadAttention(d_model, n_heads, rng, d_kv=d_audio)
        self.ln_cross = nn.LayerNorm(d_model)
        self.mlp = nn.MLP(d_model, MLP_RATIO * d_model, rng)
        self.ln_mlp = nn.LayerNorm(d_model)

    def forward(self, x, frames, key_mask=None):
        """x (n_queries, d_model), frames (n_frames, d_audio) -> (x, cross-attention weights (n_queries, n_frames))."""
        x = self.ln_self(x + self.self_attn(x, need_weights=False)[0])
        read, weights = self.cross_attn(x, frames, key_mask)
        x = self.ln_cross(x + read)
        return self.ln_mlp(x + self.mlp(x)), weights


class QFormer(nn.Module):
    """BLIP-2-style audio Q-former: n_queries learnable queries read any number of frames.

    The frames go through a LayerNorm first (BLIP-2's ln_vision, SALMONN's ln_speech) and the queries
    through BERT's embedding LayerNorm; then n_layers blocks, then a linear map to the LLM width.
    Toy defaults are small; real systems use width 768 (BERT-base), 32 queries (BLIP-2) or 1 query per
    window (SALMONN), and project to the LLM's 4096.
    """

    def __init__(self, d_audio=64, d_model=64, n_heads=4, n_layers=1, n_queries=64, d_llm=128, seed=0):
        check_args(d_audio=d_audio, d_model=d_model, n_heads=n_heads, n_layers=n_layers, n_queries=n_queries,
                    d_llm=d_llm, seed=seed)
        self.d_audio, self.d_model, self.n_heads = d_audio, d_model, n_heads
        self.n_layers, self.n_queries, self.d_llm = n_layers, n_queries, d_llm
        rng = random.Random(seed)
        self.queries = nn.parameter([[rng.gauss(0.0, QUERY_INIT_STD) for _ in range(d_model)]
                                     for _ in range(n_queries)])
        self.ln_query = nn.LayerNorm(d_model)
        self.ln_audio = nn.LayerNorm(d_audio)
        self.blocks = [QFormerBlock(d_audio, d_model, n_heads, rng) for _ in range(n_layers)]
        self.proj = nn.Linear(d_model, d_llm, rng)

    @nn.lists_in_lists_out
    def forward(self, frames, key_mask=None):
        """frames (n_frames, d_audio), key_mask n_frames bools (False = padding) or None.

        Returns tokens (n_queries, d_llm) and weights (n_queries, n_frames): the last block's
        cross-attention averaged over heads; each row sums to 1 and masked frames get exactly 0.
        Plain lists in, plain lists out (inference); a Tensor in, Tensor tokens out (training; the
        weights stay plain lists).
        """
        frames = nn.check_input("frames", frames, self.d_audio, "d_audio")
        # its length and one True at least: autograd.attention checks them
        if key_mask is not None and not all(isinstance(m, bool) for m in check_type(
                "key_mask", key_mask, (list, tuple), "a list of booleans")):
            raise AudiollmError("key_mask: every entry must be True (attend) or False (padding)")
        frames = self.ln_audio(frames)
        x = self.ln_query(self.queries)
        for block in self.blocks:
            x, weights = block(x, frames, key_mask)
        return self.proj(x), weights

    def n_params(self):
        """Number of learnable floats."""
        return _qformer_params(self.d_audio, self.d_model, self.n_layers, self.n_queries, self.d_llm)

    def macs(self, n_frames):
        """Multiply-adds of one forward over n_frames frames (matrix products only)."""
        return _qformer_macs(n_frames, self.d_audio, self.d_model, self.n_layers, self.n_queries, self.d_llm)


class WindowQFormer(nn.Module):
    """SALMONN's window-level Q-former: cut the frames into windows of `window` frames (stride = window,
    no padding, trailing frames dropped, as F.unfold does), run one Q-former with n_queries queries on
    each window, and concatenate: (T // window) * n_queries tokens, 88 for 30 s. Each query reads only
    its own window, so the tokens keep their order in time.
    """

    def __init__(self, d_audio=64, d_model=64, n_heads=4, n_layers=1, n_queries=1, d_llm=128, window=17,
                 seed=0):
        check_args(window=window)
        self.window = window
        self.qformer = QFormer(d_audio=d_audio, d_model=d_model, n_heads=n_heads, n_layers=n_layers,
                               n_queries=n_queries, d_llm=d_llm, seed=seed)

    @nn.lists_in_lists_out
    def forward(self, frames):
        """frames (n_frames, d_audio) with n_frames >= window.

        Returns tokens (n_windows * n_queries, d_llm) and weights (n_windows * n_queries, n_frames):
        each row sums to 1 and is zero outside its own window (and on the dropped trailing frames).
        Plain lists in and out, or a Tensor in and Tensor tokens out, as QFormer.forward.
        """
        frames = nn.check_input("frames", frames, self.qformer.d_audio, "d_audio")
        n_frames, w = len(frames.data), self.window
        if w > n_frames:
            raise AudiollmError(f"window: {w} frames is longer than the input's {n_frames} frames")
        tokens, weights = [], []
        for start in range(0, n_frames - w + 1, w):
            window_tokens, window_weights = self.qformer.forward(gather_rows(frames, range(start, start + w)))
            tokens.append(window_tokens)
            before, after = [0.0] * start, [0.0] * (n_frames - start - w)
            weights += [before + row + after for row in window_weights]
        return concat_rows(tokens), weights

    def n_params(self):
        """Number of learnable floats: one Q-former shared by every window."""
        return self.qformer.n_params()

    def macs(self, n_frames):
        """Multiply-adds of one forward over n_frames >= window frames: one Q-former pass per window."""
        q = self.qformer
        return _window_qformer_macs(n_frames, self.window, q.d_audio, q.d_model, q.n_layers, q.n_queries,
                                    q.d_llm)


class PooledMLPAdapter(nn.Module):
    """Audio Flamingo 3's adaptor (Qwen-Audio pools the same way): average-pool time by 2, LayerNorm,
    then Linear(d_audio -> d_llm), GELU, Linear(d_llm -> d_llm). One token per 2 frames (40 ms),
    750 per 30 s. In AF3 the pool and the LayerNorm close the encoder and the MLP is the adaptor proper.
    """

    def __init__(self, d_audio=64, d_llm=128, seed=0):
        check_args(d_audio=d_audio, d_llm=d_llm, seed=seed)
        self.d_audio, self.d_llm = d_audio, d_llm
        rng = random.Random(seed)
        self.ln = nn.LayerNorm(d_audio)
        self.fc1 = nn.Linear(d_audio, d_llm, rng)
        self.fc2 = nn.Linear(d_llm, d_llm, rng)

    @nn.lists_in_lists_out
    def forward(self, frames):
        """frames (n_frames, d_audio) with n_frames >= 2.

        Returns tokens (n_frames // 2, d_llm) and weights (n_frames // 2, n_frames): token i is the
        average of frames 2i and 2i+1, so its row holds 0.5 there and 0 elsewhere (an odd last frame
        is dropped, as AvgPool1d does). Plain lists in and out, or a Tensor in and Tensor tokens out.
        """
        frames = nn.check_input("frames", frames, self.d_audio, "d_audio")
        n_frames = len(frames.data)
        if n_frames < POOL:
            raise AudiollmError(f"frames: need at least {POOL} frames to pool by {POOL}, got {n_frames}")
        tokens = self.fc2(gelu(self.fc1(self.ln(avg_pool2(frames)))))
        weights = [[0.0] * (POOL * i) + [0.5, 0.5] + [0.0] * (n_frames - POOL * i - POOL)
                   for i in range(n_frames // POOL)]
        return tokens, weights

    def n_params(self):
        """Number of learnable floats."""
        return _pooled_params(self.d_audio, self.d_llm)

    def macs(self, n_frames):
        """Multiply-adds of one forward over n_frames frames (the two linear layers)."""
        return _pooled_macs(n_frames, self.d_audio, self.d_llm)


def _window_frames(seconds):
    """(full, last): the number of full 30-s windows of a clip and the 50-Hz encoder frames in the part
    window after them (0 if none). Counted, not listed, so a huge `seconds` costs nothing."""
    full, rest = divmod(seconds, WINDOW_SECONDS)
    last = math.ceil(round(rest * ENCODER_RATE, 6)) if rest > 0 else 0
    return int(full), last


def tokens_per_clip(bridge, seconds, n_queries=64):
    """LLM audio tokens for a clip of `seconds`, encoded in 30-s windows as Whisper and AF3 do.

    bridge: "qformer" (n_queries per window, a part window included), "window_qformer" (one token
    per full 17-frame window of 50-Hz frames: 88 per 30 s), "pooled_mlp" (one per 2 frames: 750 per
    30 s, 25 per second). n_queries is used by "qformer" only. 600 s: 1280, 1760, 15000 tokens.
    """
    check_choice("bridge", bridge, BRIDGE_DESIGNS)
    check_args(seconds=seconds, n_queries=n_queries)
    full, last = _window_frames(seconds)
    if bridge == "qformer":
        return (full + (last > 0)) * n_queries
    per = SALMONN_WINDOW if bridge == "window_qformer" else POOL
    return full * (WINDOW_SECONDS * ENCODER_RATE // per) + last // per


def bridge_costs(d_audio=WHISPER_LARGE_WIDTH, d_model=QFORMER_WIDTH, n_layers=QFORMER_LAYERS,
                 d_llm=LLM_WIDTH, llm_layers=LLM_LAYERS, clip_seconds=LONG_CLIP_SECONDS):
    """What each bridge costs at real scale, from the shapes: one dict per row.

    Every row uses one common shape, so the rows differ only by the bridge: Whisper-large frames (width
    1280, 1500 per 30 s); Q-formers of 2 BERT-base blocks of width 768 with cross-attention in each; a 7B
    LLM of width 4096 and 32 layers; a 10-minute clip. The real systems differ: BLIP-2's Q-former has 12
    blocks with cross-attention in every other one (about 188M parameters, its text branch included);
    SALMONN feeds 2048-wide frames (Whisper 1280 + BEATs 768) to Vicuna-13B (5120 wide, 40 layers); AF3's
    adaptor is Linear(1280 -> 3584), GELU, Linear(3584 -> 3584) into Qwen2.5-7B (3584 wide, 28 layers).
    Pass d_audio, d_llm and llm_layers to cost one system's own shape.
    Rows: Q-former with 32 and with 64 queries, a window Q-former, a pooled MLP.
    Keys: name, bridge, n_queries, params, bridge_macs_30s (one 30-s window), tokens_30s, tokens_clip,
    llm_attention_macs_30s, llm_attention_macs_clip (prefill QK^T + AV), llm_prefill_macs_clip
    (projections + MLP + attention, audio tokens only), clip_seconds.
    """
    for name, value in (("d_audio", d_audio), ("d_model", d_model), ("n_layers", n_layers),
                        ("d_llm", d_llm), ("llm_layers", llm_layers)):
        check_int(name, value)
    check_float("clip_seconds", clip_seconds, above=0.0)
    frames = WINDOW_SECONDS * ENCODER_RATE
    q_former = (d_audio, d_model, n_layers)
    settings = (
        ("Q-former, 32 queries (BLIP-2's count)", "qformer", 32, _qformer_params(*q_former, 32, d_llm),
         _qformer_macs(frames, *q_former, 32, d_llm)),
        ("Q-former, 64 queries (the lesson's count)", "qformer", 64, _qformer_params(*q_former, 64, d_llm),
         _qformer_macs(frames, *q_former, 64, d_llm)),
        ("window Q-former (SALMONN's kind)", "window_qformer", 1, _qformer_params(*q_former, 1, d_llm),
         _window_qformer_macs(frames, SALMONN_WINDOW, *q_former, 1, d_llm)),
        ("pooled MLP (AF3's kind)", "pooled_mlp", None, _pooled_params(d_audio, d_llm),
         _pooled_macs(frames, d_audio, d_llm)),
    )
    rows = []
    for name, bridge, n_queries, params, macs in settings:
        queries = {"n_queries": n_queries} if bridge == "qformer" else {}
        n_30s = tokens_per_clip(bridge, WINDOW_SECONDS, **queries)
        n_clip = tokens_per_clip(bridge, clip_seconds, **queries)
        rows.append({
            "name": name, "bridge": bridge, "n_queries": n_queries, "params": params,
            "bridge_macs_30s": macs, "tokens_30s": n_30s, "tokens_clip": n_clip,
            "llm_attention_macs_30s": _llm_attention_macs(n_30s, d_llm, llm_layers),
            "llm_attention_macs_clip": _llm_attention_macs(n_clip, d_llm, llm_layers),
            "llm_prefill_macs_clip": _llm_prefill_macs(n_clip, d_llm, llm_layers),
            "clip_seconds": clip_seconds,
        })
    return rows


def _si(n):
    """12345678 -> '12.3 M': three significant digits and a thousands prefix."""
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            return f"{n / scale:.3g} {prefix}"
    return str(n)


_COLUMNS = (
    ("bridge", "name", str),
    ("params", "params", _si),
    ("bridge MACs / 30 s", "bridge_macs_30s", _si),
    ("LLM tokens / 30 s", "tokens_30s", str),
    ("LLM tokens / {clip}", "tokens_clip", str),
    ("LLM attention MACs / 30 s", "llm_attention_macs_30s", _si),
    ("LLM attention MACs / {clip}", "llm_attention_macs_clip", _si),
    ("LLM prefill MACs / {clip}", "llm_prefill_macs_clip", _si),
)


def format_cost_table(rows):
    """Markdown table of bridge_costs() rows (all rows must share one clip_seconds)."""
    needed = {key for _, key, _ in _COLUMNS} | {"clip_seconds"}
    if not isinstance(rows, (list, tuple)) or not rows or not all(isinstance(r, dict) and needed <= r.keys() for r in rows):
        raise AudiollmError(f"rows: expected a non-empty list of bridge_costs() rows, dicts with keys {sorted(needed)}")
    seconds = {row["clip_seconds"] for row in rows}
    if len(seconds) != 1:
        raise AudiollmError("rows: the rows mix clip lengths; cost one clip length per table")
    seconds = seconds.pop()
    clip = f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"
    header = [title.format(clip=clip) for title, _, _ in _COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(fmt(row[key]) for _, key, fmt in _COLUMNS) + " |")
    return "\n".join(lines)
