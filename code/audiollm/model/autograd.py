"""Reverse-mode automatic differentiation on list matrices: the ground every model here stands on, for
inference and for training (lesson: "Audio Q-former" and the training that follows it).

micrograd's idea at matrix granularity. A `Tensor` holds `data`, a matrix as a list of rows (a vector is one
row), its `grad` (the same shape, None until backward reaches it), the Tensors it was computed from, and a
closure that, given the gradient of the output, adds each input's share to that input's grad: the chain
rule, one op at a time. Below, every op is its forward followed by its local gradient. A one-block
Q-former builds about a hundred nodes per clip, not millions: the bookkeeping is free next to the arithmetic.

Inference builds no graph: under `no_grad()`, or when no input needs a gradient, an op returns a bare
Tensor, and the cost is the list maths alone.

Two rules keep it simple. Data and grad rows are never changed in place (ops make new rows; the optimiser
assigns new ones), so Tensors may share rows. Gradients accumulate (a Tensor used twice gets both
shares) until `zero_grad`.

Every matrix product, forward and backward, runs on the one dot-product kernel, `dots` (base/dots.py).
"""
import math
from contextlib import contextmanager
from itertools import accumulate, chain, repeat
from math import erf, exp, hypot, log, sqrt
from operator import add as _add, mul, sub, truediv

from ..base.errors import AudiollmError, check_float
from ..base.dots import dot, dots

INV_SQRT2 = 1.0 / sqrt(2.0)
INV_SQRT_2PI = 1.0 / sqrt(2.0 * math.pi)
LN_EPS = 1e-5      # torch.nn.LayerNorm's default
NORM_EPS = 1e-12   # torch.nn.functional.normalize's default
_grad_enabled = True


class Tensor:
    """A matrix that remembers how it was made. data: a list of rows; grad: None or the same shape."""

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward")

    def __init__(self, data, requires_grad=False):
        self.data = data
        self.grad = None
        self.requires_grad = requires_grad
        self._parents = ()
        self._backward = None

    @property
    def shape(self):
        """(rows, columns)."""
        return len(self.data), len(self.data[0]) if self.data else 0

    def item(self):
        """The one number of a (1, 1) Tensor, such as a loss."""
        if self.shape != (1, 1):
            raise AudiollmError(f"item: needs a (1, 1) Tensor, got shape {self.shape}")
        return self.data[0][0]

    def __repr__(self):
        return f"Tensor(shape={self.shape}, requires_grad={self.requires_grad})"

    def __add__(self, other):
        return add(self, other)

    __radd__ = __add__  # a list of rows + a Tensor

    def __matmul__(self, other):
        return matmul(self, other)

    def __mul__(self, c):
        return scale(self, c)

    __rmul__ = __mul__

    def _accumulate(self, g):
        """Add g to grad (a new matrix: rows are never changed in place)."""
        self.grad = g if self.grad is None else [list(map(_add, a, b)) for a, b in zip(self.grad, g)]

    def backward(self, grad=None):
        """Fill .grad of every Tensor this one depends on (that requires a gradient).

        grad: d(something)/d(self), the same shape; None means self is a (1, 1) loss and d loss/d loss = 1.
        Nodes run in reverse topological order, so each passes on its gradient only once it is complete.
        Leaves (parameters, inputs) accumulate across calls; the nodes in between start from zero each call.
        """
        if not self.requires_grad:
            raise AudiollmError("backward: this Tensor does not depend on anything that requires a gradient "
                                "(built under no_grad, or from constants only)")
        if grad is None:
            if self.shape != (1, 1):
                raise AudiollmError(f"backward: grad is needed for a Tensor of shape {self.shape}; "
                                    "only a (1, 1) loss has the implicit gradient 1")
            grad = [[1.0]]
        elif len(grad) != self.shape[0] or any(len(row) != self.shape[1] for row in grad):
            raise AudiollmError(f"backward: grad must have the shape {self.shape} of the Tensor")
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative depth-first post-order: parents before the nodes made from them
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents)
        for node in order:
            if node._backward is not None:
                node.grad = None
        self._accumulate(grad)
        for node in reversed(order):
            if node._backward is not None and node.grad is not None:
                node._backward(node.grad)


@contextmanager
def no_grad():
    """Inside this block ops build no graph (inference): outputs are bare Tensors."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def tensor(x):
    """x itself if it is a Tensor, else a constant Tensor around the list of rows x."""
    return x if isinstance(x, Tensor) else Tensor(x)


def zeros(n, d):
    """An (n, d) matrix of zeros (plain lists)."""
    return [[0.0] * d for _ in range(n)]


def _node(data, parents, backward):
    """An op's output: a graph node when gradients are on and a parent needs one, else a bare Tensor."""
    if _grad_enabled and any(p.requires_grad for p in parents):
        out = Tensor(data, requires_grad=True)
        out._parents = tuple(p for p in parents if p.requires_grad)
        out._backward = backward
        return out
    return Tensor(data)


def _transpose(A):
    """(n, m) -> (m, n), rows as tuples (the kernel's preferred operand)."""
    return list(zip(*A))


def _column_sums(A):
    return [sum(col) for col in zip(*A)]


# ---- products ----

def matmul(a, b):
    """a (n, k) @ b (k, m) -> (n, m)."""
    a, b = tensor(a), tensor(b)
    if a.shape[1] != b.shape[0]:
        raise AudiollmError(f"matmul: a has {a.shape[1]} columns but b has {b.shape[0]} rows")
    out = dots(a.data, _transpose(b.data))

    def backward(g):  # d a = g b^T, d b = a^T g
        if a.requires_grad:
            a._accumulate(dots(g, b.data))
        if b.requires_grad:
            b._accumulate(dots(_transpose(a.data), _transpose(g)))
    return _node(out, (a, b), backward)


def matmul_t(a, b):
    """a (n, k) @ b (m, k)^T -> (n, m): every row of a dotted with every row of b."""
    a, b = tensor(a), tensor(b)
    if a.shape[1] != b.shape[1]:
        raise AudiollmError(f"matmul_t: rows of a have {a.shape[1]} values but rows of b have {b.shape[1]}")
    out = dots(a.data, b.data)

    def backward(g):  # d a = g b, d b = g^T a
        if a.requires_grad:
            a._accumulate(dots(g, _transpose(b.data)))
        if b.requires_grad:
            b._accumulate(dots(_transpose(g), _transpose(a.data)))
    return _node(out, (a, b), backward)


def linear(x, weight, bias=None):
    """x (n, d_in) @ weight (d_out, d_in)^T + bias (1, d_out) -> (n, d_out): torch's F.linear."""
    y = matmul_t(x, weight)
    return y if bias is None else add(y, bias)


# ---- elementwise ----

def add(a, b):
    """a + b, both (n, d), or b (1, d) added to every row of a (a bias). Also written a + b."""
    a, b = tensor(a), tensor(b)
    (n, d), (n_b, d_b) = a.shape, b.shape
    if d != d_b or n_b not in (1, n):
        raise AudiollmError(f"add: shapes {a.shape} and {b.shape} differ (b may also be one row)")
    rows_b = b.data if n_b == n else repeat(b.data[0])
    out = [list(map(_add, ra, rb)) for ra, rb in zip(a.data, rows_b)]

    def backward(g):  # both inputs pass the gradient on; a broadcast row collects it from every row
        if a.requires_grad:
            a._accumulate(g)
        if b.requires_grad:
            b._accumulate(g if n_b == n else [_column_sums(g)])
    return _node(out, (a, b), backward)


def scale(x, c):
    """x * c for a number c. Also written x * c."""
    x = tensor(x)
    c = float(c)
    out = [list(map(mul, row, repeat(c))) for row in x.data]

    def backward(g):
        x._accumulate([list(map(mul, row, repeat(c))) for row in g])
    return _node(out, (x,), backward)


def gelu(x):
    """Exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (torch's default, not the tanh approximation)."""
    x = tensor(x)
    out = [[0.5 * v * (1.0 + erf(v * INV_SQRT2)) for v in row] for row in x.data]

    def backward(g):  # d/dx x Phi(x) = Phi(x) + x phi(x)
        x._accumulate([[gv * (0.5 * (1.0 + erf(v * INV_SQRT2)) + v * INV_SQRT_2PI * exp(-0.5 * v * v))
                        for v, gv in zip(row, grow)] for row, grow in zip(x.data, g)])
    return _node(out, (x,), backward)


# ---- normalisation ----

def layer_norm(x, weight, bias, eps=LN_EPS):
    """Each row of x (n, d) to mean 0 and (biased) variance 1, times weight (1, d), plus bias (1, d)."""
    x, weight, bias = tensor(x), tensor(weight), tensor(bias)
    d = x.shape[1]
    gamma, beta = weight.data[0], bias.data[0]
    normed, inv_stds, out = [], [], []
    for row in x.data:
        mean = sum(row) / d
        centred = [v - mean for v in row]
        inv_std = 1.0 / sqrt(dot(centred, centred) / d + eps)
        xhat = [c * inv_std for c in centred]
        normed.append(xhat)
        inv_stds.append(inv_std)
        out.append([h * w + b for h, w, b in zip(xhat, gamma, beta)])

    def backward(g):
        if x.requires_grad:  # dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / std
            dx = []
            for xhat, inv_std, grow in zip(normed, inv_stds, g):
                dxhat = list(map(mul, grow, gamma))
                m1, m2 = sum(dxhat) / d, dot(dxhat, xhat) / d
                dx.append([inv_std * (a - m1 - h * m2) for a, h in zip(dxhat, xhat)])
            x._accumulate(dx)
        if weight.requires_grad:
            weight._accumulate([[dot(col_g, col_h) for col_g, col_h in zip(zip(*g), zip(*normed))]])
        if bias.requires_grad:
            bias._accumulate([_column_sums(g)])
    return _node(out, (x, weight, bias), backward)


def l2_normalize(x, eps=NORM_EPS):
    """Each row of x divided by its length (at least eps): unit rows, as F.normalize (for cosine scores)."""
    x = tensor(x)
    norms = [max(hypot(*row), eps) for row in x.data]
    out = [[v / n for v in row] for row, n in zip(x.data, norms)]

    def backward(g):  # d(x / |x|) = (g - y (y . g)) / |x|; below eps the divisor is the constant eps
        grad = []
        for y, grow, n in zip(out, g, norms):
            yg = dot(y, grow) if n > eps else 0.0
            grad.append([(gv - yv * yg) / n for gv, yv in zip(grow, y)])
        x._accumulate(grad)
    return _node(out, (x,), backward)


# ---- softmax and losses ----

def softmax(x, key_mask=None, causal=False):
    """Softmax of each row of x (n, m), exp(x_j - max) / sum, with masked entries exactly 0.

    key_mask: m bools, False = never attend to column j (padding). causal: row i sees only columns
    j <= i + m - n, its present and past (a decoder; with n = m that is j <= i).
    """
    x = tensor(x)
    n, m = x.shape
    if key_mask is not None and len(key_mask) != m:
        raise AudiollmError(f"softmax: key_mask has {len(key_mask)} entries for rows of {m}")
    if causal and m < n:
        raise AudiollmError(f"softmax: causal needs at least as many columns as rows, got {n} x {m}")
    rows = x.data
    if key_mask is not None:  # a masked score becomes -inf, and exp(-inf) is exactly 0
        rows = [[v if keep else -math.inf for v, keep in zip(row, key_mask)] for row in rows]
    if causal:
        rows = [[*row[:i + m - n + 1], *[-math.inf] * (n - 1 - i)] for i, row in enumerate(rows)]
    out = []
    for i, row in enumerate(rows):
        top = max(row)
        if top == -math.inf:
            raise AudiollmError(f"softmax: the masks leave row {i} nothing to attend to")
        e = list(map(exp, map(sub, row, repeat(top))))
        out.append(list(map(truediv, e, repeat(sum(e)))))

    def backward(g):  # dx_j = p_j (g_j - sum_k g_k p_k)
        x._accumulate([[pj * (gj - s) for pj, gj in zip(p, grow)]
                       for p, grow, s in zip(out, g, map(dot, g, out))])
    return _node(out, (x,), backward)


def _logsumexp(row):
    top = max(row)
    return top + log(sum(map(exp, map(sub, row, repeat(top)))))


def log_softmax(x):
    """log softmax of each row of x (n, m): x_j - log sum_k exp(x_k), computed stably."""
    x = tensor(x)
    out = [list(map(sub, row, repeat(_logsumexp(row)))) for row in x.data]

    def backward(g):  # dx = g - softmax(x) * sum(g)
        x._accumulate([[gj - exp(yj) * s for gj, yj in zip(grow, y)] for y, grow, s in zip(out, g, map(sum, g))])
    return _node(out, (x,), backward)


def cross_entropy(logits, targets):
    """Mean over rows of -log softmax(logits)[i][targets[i]]: logits (n, m), targets n ints in [0, m). -> (1, 1)."""
    logits = tensor(logits)
    n, m = logits.shape
    if not isinstance(targets, (list, tuple)) or len(targets) != n or not all(
            isinstance(t, int) and not isinstance(t, bool) and 0 <= t < m for t in targets):
        raise AudiollmError(f"cross_entropy: targets must be {n} class indices in [0, {m}), one per row")
    lse = [_logsumexp(row) for row in logits.data]
    loss = sum(z - row[t] for z, row, t in zip(lse, logits.data, targets)) / n

    def backward(g):  # (softmax - one_hot(target)) / n, times the incoming gradient
        s = g[0][0] / n
        grad = []
        for row, z, t in zip(logits.data, lse, targets):
            grow = [s * exp(v - z) for v in row]
            grow[t] -= s
            grad.append(grow)
        logits._accumulate(grad)
    return _node([[loss]], (logits,), backward)


# ---- reductions and reshaping ----

def sum_all(x):
    """The sum of every entry of x, as a (1, 1) Tensor."""
    x = tensor(x)
    n, d = x.shape

    def backward(g):
        x._accumulate([[g[0][0]] * d for _ in range(n)])
    return _node([[sum(map(sum, x.data))]], (x,), backward)


def mean_rows(x):
    """The mean of the rows of x (n, d) -> (1, d): mean pooling over time."""
    x = tensor(x)
    n = x.shape[0]

    def backward(g):
        share = [v / n for v in g[0]]
        x._accumulate([share] * n)
    return _node([[s / n for s in _column_sums(x.data)]], (x,), backward)


def avg_pool2(x):
    """Average rows 2i and 2i+1 of x (n, d) -> (n // 2, d); an odd last row is dropped (AvgPool1d(2, 2))."""
    x = tensor(x)
    n, d = x.shape
    rows = x.data
    out = [[0.5 * (a + b) for a, b in zip(even, odd)] for even, odd in zip(rows[::2], rows[1::2])]

    def backward(g):
        half = [[0.5 * v for v in row] for row in g]
        x._accumulate([half[i // 2] if i // 2 < len(half) else [0.0] * d for i in range(n)])
    return _node(out, (x,), backward)


def concat_rows(tensors):
    """Stack Tensors of the same width on top of each other: (n1, d), (n2, d), ... -> (n1 + n2 + ..., d)."""
    tensors = [tensor(t) for t in tensors]
    widths = {t.shape[1] for t in tensors}
    if len(widths) != 1:
        raise AudiollmError(f"concat_rows: widths differ: {sorted(widths)}")
    out = [row for t in tensors for row in t.data]

    def backward(g):
        start = 0
        for t in tensors:
            if t.requires_grad:
                t._accumulate(g[start:start + len(t.data)])
            start += len(t.data)
    return _node(out, tensors, backward)


def concat_cols(tensors):
    """Join Tensors with the same number of rows side by side: (n, d1), (n, d2), ... -> (n, d1 + d2 + ...)."""
    tensors = [tensor(t) for t in tensors]
    heights = {t.shape[0] for t in tensors}
    if len(heights) != 1:
        raise AudiollmError(f"concat_cols: row counts differ: {sorted(heights)}")
    out = [list(chain.from_iterable(rows)) for rows in zip(*(t.data for t in tensors))]

    def backward(g):
        start = 0
        for t in tensors:
            stop = start + t.shape[1]
            if t.requires_grad:
                t._accumulate([row[start:stop] for row in g])
            start = stop
    return _node(out, tensors, backward)


def columns(x, start, stop):
    """Columns start..stop-1 of x: (n, d) -> (n, stop - start). Attention cuts its heads this way."""
    x = tensor(x)
    d = x.shape[1]

    def backward(g):
        before, after = [0.0] * start, [0.0] * (d - stop)
        x._accumulate([[*before, *row, *after] for row in g])
    return _node([row[start:stop] for row in x.data], (x,), backward)


def gather_rows(x, ids):
    """Rows ids[0], ids[1], ... of x (n, d) -> (len(ids), d): an embedding lookup, or a slice of time."""
    x = tensor(x)
    n, d = x.shape
    ids = list(ids)
    if not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n for i in ids):
        raise AudiollmError(f"gather_rows: ids must be row indices in [0, {n})")

    def backward(g):  # each picked row sends its gradient back to the row it came from (summed if repeated)
        grad = zeros(n, d)
        for i, row in zip(ids, g):
            grad[i] = list(map(_add, grad[i], row))
        x._accumulate(grad)
    return _node([x.data[i] for i in ids], (x,), backward)


# ---- attention ----

def attention(q, k, v, n_heads, key_mask=None, causal=False, need_weights=True, lengths=None):
    """Multi-head scaled dot-product attention on projected rows, literally.

    For each head (d_head = d / n_heads of the channels): scores = q . k / sqrt(d_head) for every query
    and key, a softmax over the keys the masks allow, out = weights @ v; the heads side by side.
    q (nq, d), k (nk, d), v (nk, d); key_mask: nk bools (True = attend) or None; causal: query i sees keys
    j <= i + nk - nq (softmax); lengths: None, or packed sequences (flash-attn's "varlen" batch): q, k and v
    hold sequences of these lengths one under another, and a query sees only the keys of its own sequence
    (a block-diagonal mask; with causal, its own past). Returns (out (nq, d), weights): weights (nq, nk)
    averaged over heads as plain lists, each row summing to 1 and masked keys exactly 0; None when
    need_weights is False.
    """
    q, k, v = tensor(q), tensor(k), tensor(v)
    d, nk = q.shape[1], k.shape[0]
    if not isinstance(n_heads, int) or n_heads < 1 or d % n_heads or k.shape[1] != d or v.shape != k.shape:
        raise AudiollmError(f"attention: n_heads={n_heads!r} must divide the width {d} of q, k and v, and k and v "
                            f"must have the same shape (got {q.shape}, {k.shape}, {v.shape})")
    if lengths is not None and len(lengths) > 1:
        # Optimisation: the block-diagonal mask gives a key of another sequence weight exactly 0, so attend
        # within each sequence alone: the same numbers without scoring those pairs (16 packed sequences cost
        # 1/16 of one sequence as long). tests/test_autograd.py holds it to the masked literal attention.
        starts = list(accumulate(lengths, initial=0))
        if starts[-1] != nk or nk != q.shape[0]:
            raise AudiollmError(f"attention: lengths add up to {starts[-1]}, q has {q.shape[0]} rows, k {nk}")
        parts = [attention(*(gather_rows(t, range(a, b)) for t in (q, k, v)), n_heads,
                           None if key_mask is None else key_mask[a:b], causal, need_weights)
                 for a, b in zip(starts, starts[1:])]
        out = concat_rows([part for part, _ in parts])
        if not need_weights:
            return out, None
        return out, [[0.0] * a + row + [0.0] * (nk - b)  # each sequence's weights in its place on the diagonal
                     for (_, w), a, b in zip(parts, starts, starts[1:]) for row in w]
    keep = None
    if key_mask is not None and not causal:
        # A masked key would get weight exactly 0: leave its rows of k and v out rather than score them
        # (the same numbers, and 10 s of real audio in a 30-s window costs a third).
        if len(key_mask) != nk or not any(key_mask):
            raise AudiollmError(f"attention: key_mask needs {nk} entries, at least one True")
        keep = [j for j, m in enumerate(key_mask) if m]
        k, v, key_mask = gather_rows(k, keep), gather_rows(v, keep), None
    d_head = d // n_heads
    heads, total = [], None
    for h in range(0, d, d_head):
        q_h, k_h, v_h = (columns(t, h, h + d_head) for t in (q, k, v))
        # (q / sqrt(d_head)) . k is q.k / sqrt(d_head); scaling q (d_head numbers a row) is cheaper, as in torch
        weights = softmax(matmul_t(scale(q_h, 1.0 / sqrt(d_head)), k_h), key_mask, causal)
        heads.append(matmul(weights, v_h))
        if need_weights:
            total = weights.data if total is None else [list(map(_add, a, b)) for a, b in zip(total, weights.data)]
        del weights  # one (nq, nk) matrix at a time: 1500 x 1500 floats take 72 MB
    out = heads[0] if n_heads == 1 else concat_cols(heads)
    if not need_weights:
        return out, None
    average = [[w / n_heads for w in row] for row in total]
    if keep is None or len(keep) == nk:
        return out, average
    padded = []  # the left-out keys back in their places, with weight 0
    for row in average:
        full = [0.0] * nk
        for j, w in zip(keep, row):
            full[j] = w
        padded.append(full)
    return out, padded


# ---- training ----

def clip_grad_norm(params, max_norm):
    """Scale every gradient by max_norm / (total norm + 1e-6) when the total norm exceeds max_norm
    (torch.nn.utils.clip_grad_norm_). Returns the total norm before clipping."""
    check_float("clip_grad_norm: max_norm", max_norm, above=0.0)
    params = [p for p in params if p.grad is not None]
    total = sqrt(sum(dot(row, row) for p in params for row in p.grad))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in params:
            p.grad = [list(map(mul, row, repeat(coef))) for row in p.grad]
    return total


class Adam:
    """torch.optim.Adam with its defaults; weight_decay > 0 makes it torch.optim.AdamW (decoupled decay).

    Per parameter: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2 (running mean and mean square of the
    gradient), then p -= lr * m_hat / (sqrt(v_hat) + eps), with the bias corrections m_hat = m / (1 - b1^t),
    v_hat = v / (1 - b2^t) that undo the zero start. A parameter without a gradient is skipped, its
    step count t included, as in torch.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.params = list(params)
        if not self.params or not all(isinstance(p, Tensor) and p.requires_grad for p in self.params):
            raise AudiollmError("Adam: params must be a non-empty list of Tensors that require gradients")
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            check_float(f"Adam: {name}", value, 0.0)
        if (not isinstance(betas, (tuple, list)) or len(betas) != 2
                or not all(isinstance(b, (int, float)) and 0.0 <= b < 1.0 for b in betas)):
            raise AudiollmError(f"Adam: betas must be two numbers in [0, 1), got {betas!r}")
        self.lr, self.betas, self.eps, self.weight_decay = lr, tuple(betas), eps, weight_decay
        self.steps = [0] * len(self.params)
        self.m = [zeros(*p.shape) for p in self.params]
        self.v = [zeros(*p.shape) for p in self.params]

    def zero_grad(self):
        """Forget the gradients (before the next backward)."""
        for p in self.params:
            p.grad = None

    def step(self):
        """One update of every parameter that has a gradient."""
        (b1, b2), lr, eps = self.betas, self.lr, self.eps
        decay = 1.0 - lr * self.weight_decay
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            self.steps[i] += 1
            t = self.steps[i]
            step_size, root_c2 = lr / (1.0 - b1 ** t), sqrt(1.0 - b2 ** t)
            self.m[i] = [[b1 * m + (1.0 - b1) * g for m, g in zip(mr, gr)] for mr, gr in zip(self.m[i], p.grad)]
            self.v[i] = [[b2 * v + (1.0 - b2) * g * g for v, g in zip(vr, gr)] for vr, gr in zip(self.v[i], p.grad)]
            p.data = [[w * decay - step_size * m / (sqrt(v) / root_c2 + eps) for w, m, v in zip(wr, mr, vr)]
                      for wr, mr, vr in zip(p.data, self.m[i], self.v[i])]
