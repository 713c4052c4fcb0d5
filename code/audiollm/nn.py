"""The small linear algebra every model here is built from (lesson: "Whisper's encoder", "Audio Q-former").

Plain Python lists: a vector is a list of floats, a matrix is a list of rows. Weights use torch's layout,
(out_features, in_features), so `linear(X, W, b)` is `torch.nn.functional.linear` and a trained torch
state dict could be copied in row by row.

Speed. CPython 3.11 has no C-level dot product (`math.sumprod` arrived in 3.12), and
`sum(map(mul, a, b))` allocates one float object per product. `math.dist` walks both vectors in C
without allocating, so every product here uses the polarisation identity

    a . b = (|a|^2 + |b|^2 - |a - b|^2) / 2

which measures about 3x faster for the widths used here. Its rounding error is about
1e-16 * (|a|^2 + |b|^2): invisible next to float32 training noise; the torch parity tests hold to 1e-9.
dist copies a list argument into a tuple on every call, so hot operands become tuples once, up front.
"""

import math
import random
from itertools import repeat
from math import dist, erf, exp, inf, sqrt
from operator import add, mul, sub

from .errors import AudiollmError, check_int

INV_SQRT2 = 1.0 / sqrt(2.0)
LN_EPS = 1e-5  # torch.nn.LayerNorm's default
# Bounds on the models' constructor arguments: a 7B LLM is 4096 wide with 32 layers; anything larger as
# Python lists of floats takes gigabytes and minutes to initialise, so it is a typo here, not a model.
MAX_WIDTH = 4096  # widths, queries and mel bins
MAX_FEATURES = 4 * MAX_WIDTH  # one side of a Linear layer: the MLP's hidden width is 4 d_model
MAX_LAYERS = 32
MAX_CTX = 1 << 16  # positions: 1500 cover Whisper's 30 s


def _sq(row):
    """|row|^2 of one vector."""
    return sum(map(mul, row, row))


def _dots(X, W):
    """All dot products of rows: X (n, k), W (m, k) -> (n, m) with out[i][j] = X[i] . W[j]."""
    W = [tuple(w) for w in W]
    half_w = [0.5 * _sq(w) for w in W]
    out = []
    for x in X:
        x = tuple(x)
        half_x = 0.5 * _sq(x)
        out.append([half_x + hw - 0.5 * e * e for hw, e in zip(half_w, map(dist, repeat(x), W))])
    return out


def _check_matrix(name, A):
    """(n, m) of a non-empty list of equal-length non-empty rows, or AudiollmError naming `name`."""
    if not isinstance(A, (list, tuple)) or not A or not all(isinstance(row, (list, tuple)) for row in A) or not A[0]:
        raise AudiollmError(f"{name} must be a non-empty list of non-empty rows")
    width = len(A[0])
    if any(len(row) != width for row in A):
        raise AudiollmError(f"{name} rows must all have the same length ({width})")
    return len(A), width


def _check_vector(name, v, d):
    """Reject anything but d numbers (gamma, beta and bias vectors)."""
    if not isinstance(v, (list, tuple)) or len(v) != d or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        got = len(v) if isinstance(v, (list, tuple)) else type(v).__name__
        raise AudiollmError(f"{name} must be a list of {d} numbers, got {got}")


def transpose(A):
    """(n, m) -> (m, n)."""
    _check_matrix("A", A)
    return [list(col) for col in zip(*A)]


def matmul(A, B):
    """A (n, k) @ B (k, m) -> (n, m)."""
    _, k = _check_matrix("A", A)
    k_b, _ = _check_matrix("B", B)
    if k != k_b:
        raise AudiollmError(f"matmul: A has {k} columns but B has {k_b} rows")
    return _dots(A, transpose(B))


def linear(X, W, b=None):
    """X (n, d_in), W (d_out, d_in), b (d_out) or None -> X @ W^T + b, shape (n, d_out)."""
    _, d_in = _check_matrix("X", X)
    d_out, d_w = _check_matrix("W", W)
    if d_w != d_in:
        raise AudiollmError(f"linear: X rows have {d_in} features but W rows have {d_w}")
    out = _dots(X, W)
    if b is None:
        return out
    _check_vector("b", b, d_out)
    return [list(map(add, row, b)) for row in out]


def softmax(row):
    """Numerically stable softmax of one vector (subtract the max so exp never overflows)."""
    if not isinstance(row, (list, tuple)) or not row:
        raise AudiollmError("softmax: row must be a non-empty list of numbers")
    try:
        e = list(map(exp, map(sub, row, repeat(max(row)))))
    except TypeError:
        raise AudiollmError("softmax: row must hold only numbers") from None
    total = sum(e)
    return [v / total for v in e]


def softmax_rows(X):
    """softmax of every row of X (n, m)."""
    _check_matrix("X", X)
    return [softmax(row) for row in X]


def layer_norm(X, gamma, beta, eps=LN_EPS):
    """Normalise each row of X (n, d) to mean 0 and (biased) variance 1, then scale by gamma, shift by beta."""
    _, d = _check_matrix("X", X)
    _check_vector("gamma", gamma, d)
    _check_vector("beta", beta, d)
    if not eps > 0:
        raise AudiollmError(f"layer_norm: eps must be > 0, got {eps!r}")
    out = []
    for row in X:
        mean = sum(row) / d
        centred = [v - mean for v in row]
        inv_std = 1.0 / sqrt(_sq(centred) / d + eps)
        out.append([c * inv_std * g + b for c, g, b in zip(centred, gamma, beta)])
    return out


def gelu(x):
    """Exact GELU, 0.5 x (1 + erf(x / sqrt 2)) (torch's default, not the tanh approximation)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise AudiollmError(f"gelu: x must be a number, got {type(x).__name__}")
    return 0.5 * x * (1.0 + erf(x * INV_SQRT2))


def gelu_rows(X):
    """gelu of every entry of X (n, d)."""
    _check_matrix("X", X)
    return [[0.5 * v * (1.0 + erf(v * INV_SQRT2)) for v in row] for row in X]


def attention(q, k, v, n_heads, key_mask=None, need_weights=True):
    """Multi-head scaled dot-product attention on already projected rows.

    q (nq, d), k (nk, d), v (nk, d); d splits into n_heads heads of d_head = d / n_heads channels, and
    head h scores query i against key j as q_i . k_j / sqrt(d_head). key_mask: nk bools, True = attend;
    masked keys (padding) get weight exactly 0 because they are never scored at all.
    Returns (out, weights): out (nq, d) with the heads concatenated; weights (nq, nk) averaged over
    heads (each row sums to 1), or None when need_weights is False, which saves an (nq, nk) matrix.
    Work goes one query row at a time, so no (nq, nk) per-head matrix is ever held.
    """
    _, d = _check_matrix("q", q)
    nk, d_k = _check_matrix("k", k)
    nv, d_v = _check_matrix("v", v)
    if d_k != d or d_v != d:
        raise AudiollmError(f"attention: q, k, v widths differ ({d}, {d_k}, {d_v})")
    if nv != nk:
        raise AudiollmError(f"attention: k has {nk} rows but v has {nv}")
    if not isinstance(n_heads, int) or n_heads < 1 or d % n_heads:
        raise AudiollmError(f"attention: n_heads={n_heads!r} must be a positive integer dividing d={d}")
    keep = list(range(nk))
    if key_mask is not None:
        if len(key_mask) != nk:
            raise AudiollmError(f"attention: key_mask has {len(key_mask)} entries, expected nk={nk}")
        keep = [j for j, m in enumerate(key_mask) if m]
        if not keep:
            raise AudiollmError("attention: key_mask masks every key; at least one must be True")
    d_head = d // n_heads
    heads = [slice(h * d_head, (h + 1) * d_head) for h in range(n_heads)]
    # Scores via the polarisation identity with a = q * scale/sqrt2 and b = k/sqrt2:
    # q.k * scale = |a|^2 + |b|^2 - |a - b|^2. |a|^2 is the same for every key of a query and softmax
    # ignores it, so the logits are z_j = |b_j|^2 - dist(a, b_j)^2, a handful of C-level passes per row.
    q_scale = INV_SQRT2 / sqrt(d_head)
    k_heads = [[tuple([x * INV_SQRT2 for x in k[j][s]]) for j in keep] for s in heads]
    k_sq = [[_sq(b) for b in kh] for kh in k_heads]
    # v_t[h] holds head h's value channels as rows over the kept keys, so out = p . column.
    v_t = [list(zip(*[v[j][s] for j in keep])) for s in heads]
    half_v = [[0.5 * _sq(col) for col in vt] for vt in v_t]
    zeros = (0.0,) * len(keep)
    full = len(keep) == nk
    out, weights = [], [] if need_weights else None
    for qi in q:
        row_out, avg = [], None
        for s, kh, ksq, vt, hv in zip(heads, k_heads, k_sq, v_t, half_v):
            a = tuple([x * q_scale for x in qi[s]])
            dists = list(map(dist, repeat(a), kh))
            z = list(map(sub, ksq, map(mul, dists, dists)))
            e = tuple(map(exp, map(sub, z, repeat(max(z)))))
            # e is the unnormalised softmax: dot it with the values, then divide once per channel.
            total = sum(e)
            he = 0.5 * dist(e, zeros) ** 2
            row_out += [(he + b - 0.5 * x * x) / total for b, x in zip(hv, map(dist, repeat(e), vt))]
            if need_weights:
                p = [x / total for x in e]
                avg = p if avg is None else list(map(add, avg, p))
        out.append(row_out)
        if need_weights:
            avg = [x / n_heads for x in avg]
            if not full:
                padded = [0.0] * nk
                for j, x in zip(keep, avg):
                    padded[j] = x
                avg = padded
            weights.append(avg)
    return out, weights


def sinusoids(length, channels, max_timescale=10000):
    """Whisper's fixed positional embedding, (length, channels): sin in the first half, cos in the second.

    Channel pair c uses the timescale max_timescale ** (c / (channels/2 - 1)), as in openai/whisper model.py.
    """
    check_int("length", length, 1, MAX_CTX)
    if check_int("channels", channels, 4, MAX_WIDTH) % 2:
        raise AudiollmError(f"sinusoids: channels must be even (sin/cos pairs), got {channels!r}")
    if isinstance(max_timescale, bool) or not isinstance(max_timescale, (int, float)) or not 1 < max_timescale < inf:
        raise AudiollmError(f"sinusoids: max_timescale must be > 1, got {max_timescale!r}")
    half = channels // 2
    step = math.log(max_timescale) / (half - 1)
    inv = [exp(-step * c) for c in range(half)]
    return [[math.sin(t * f) for f in inv] + [math.cos(t * f) for f in inv] for t in range(length)]


def _uniform(rng, n, bound):
    return [rng.uniform(-bound, bound) for _ in range(n)]


def _check_rng(rng):
    if not isinstance(rng, random.Random):
        raise AudiollmError(f"rng must be a random.Random, got {type(rng).__name__}")


class Linear:
    """y = x W^T + b with W (d_out, d_in); initialised like torch.nn.Linear: uniform(+-1/sqrt(d_in))."""

    def __init__(self, d_in, d_out, rng, bias=True):
        check_int("d_in", d_in, 1, MAX_FEATURES)
        check_int("d_out", d_out, 1, MAX_FEATURES)
        _check_rng(rng)
        bound = 1.0 / sqrt(d_in)
        self.weight = [_uniform(rng, d_in, bound) for _ in range(d_out)]
        self.bias = _uniform(rng, d_out, bound) if bias else None

    def __call__(self, X):
        return linear(X, self.weight, self.bias)

    def n_params(self):
        """Number of learnable floats."""
        return len(self.weight) * len(self.weight[0]) + (len(self.bias) if self.bias else 0)


class LayerNorm:
    """Per-row layer norm with a learned gain (ones) and shift (zeros)."""

    def __init__(self, d, eps=LN_EPS):
        check_int("d", d, 1, MAX_FEATURES)
        self.weight = [1.0] * d
        self.bias = [0.0] * d
        self.eps = eps

    def __call__(self, X):
        return layer_norm(X, self.weight, self.bias, self.eps)

    def n_params(self):
        """Number of learnable floats."""
        return 2 * len(self.weight)


class MultiHeadAttention:
    """Projections around `attention`: q from x (d_model), k and v from context (d_kv), then out_proj.

    Self-attention when context is None. k_proj has no bias, as in Whisper: a key bias adds the same
    amount to every score of a query, and softmax ignores that.
    """

    def __init__(self, d_model, n_heads, rng, d_kv=None):
        check_int("d_model", d_model)
        check_int("n_heads", n_heads)
        if d_model % n_heads:
            raise AudiollmError(f"d_model={d_model} must be divisible by n_heads={n_heads}")
        d_kv = d_model if d_kv is None else d_kv
        self.n_heads = n_heads
        self.q_proj = Linear(d_model, d_model, rng)
        self.k_proj = Linear(d_kv, d_model, rng, bias=False)
        self.v_proj = Linear(d_kv, d_model, rng)
        self.out_proj = Linear(d_model, d_model, rng)

    def __call__(self, x, context=None, key_mask=None, need_weights=True):
        """x (nq, d_model), context (nk, d_kv) or None -> (out (nq, d_model), weights (nq, nk) or None)."""
        context = x if context is None else context
        out, weights = attention(self.q_proj(x), self.k_proj(context), self.v_proj(context),
                                 self.n_heads, key_mask, need_weights)
        return self.out_proj(out), weights

    def n_params(self):
        """Number of learnable floats."""
        return sum(m.n_params() for m in (self.q_proj, self.k_proj, self.v_proj, self.out_proj))


class MLP:
    """Linear(d -> hidden) -> GELU -> Linear(hidden -> d), the transformer's feed-forward block."""

    def __init__(self, d, hidden, rng):
        self.fc1 = Linear(d, hidden, rng)
        self.fc2 = Linear(hidden, d, rng)

    def __call__(self, X):
        return self.fc2(gelu_rows(self.fc1(X)))

    def n_params(self):
        """Number of learnable floats."""
        return self.fc1.n_params() + self.fc2.n_params()


class TransformerBlock:
    """Pre-LN transformer block as in Whisper: x + attn(ln(x)), then x + mlp(ln(x)), MLP width 4 d_model."""

    def __init__(self, d_model, n_heads, rng):
        self.attn_ln = LayerNorm(d_model)
        self.attn = MultiHeadAttention(d_model, n_heads, rng)
        self.mlp_ln = LayerNorm(d_model)
        self.mlp = MLP(d_model, 4 * d_model, rng)

    def __call__(self, x, key_mask=None):
        """x (n, d_model) -> (n, d_model); key_mask as in `attention`."""
        a, _ = self.attn(self.attn_ln(x), key_mask=key_mask, need_weights=False)
        x = [list(map(add, r, s)) for r, s in zip(x, a)]
        m = self.mlp(self.mlp_ln(x))
        return [list(map(add, r, s)) for r, s in zip(x, m)]

    def n_params(self):
        """Number of learnable floats."""
        return sum(m.n_params() for m in (self.attn_ln, self.attn, self.mlp_ln, self.mlp))
