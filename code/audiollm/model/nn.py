"""The layers every model here is built from, one implementation for inference and training (lesson:
"Whisper's encoder", "Audio Q-former").

A layer is a `Module` whose parameters are autograd Tensors and whose forward runs autograd ops. Given
Tensors (training) it builds the graph that `loss.backward()` walks; under `no_grad` (inference: what the
models' public `forward` does for plain lists, see `lists_in_lists_out`) the same code is the list maths
alone. Weights use torch's layout, (out_features, in_features), and its initialisation, so a trained torch
state dict could be copied in row by row. Trained weights go to and come from one file format
(`save_weights`, `load_weights`).
"""
import base64
import binascii
import functools
import gc
import json
import math
import sys
from array import array
from contextlib import contextmanager
from itertools import chain
from math import exp, isfinite, sqrt

from ..base.errors import AudiollmError, WeightsFileError, check_matrix
from ..base.files import write_atomic
from .autograd import LN_EPS, Tensor, attention, gather_rows, gelu, layer_norm, linear, no_grad, softmax, tensor

WEIGHTS_FORMAT = "audiollm-weights/1"


class Module:
    """What every layer and model shares: parameters found by walking the attributes, in the order the
    constructor set them (Tensors that require a gradient, sub-modules, lists of sub-modules)."""

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_parameters(self, prefix=""):
        """(dotted name, Tensor) pairs, e.g. ("blocks.0.attn.q_proj.weight", ...), in a stable order."""
        for name, value in vars(self).items():
            if isinstance(value, Tensor) and value.requires_grad:
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value.named_parameters(f"{prefix}{name}.")
            elif isinstance(value, list) and value and all(isinstance(m, Module) for m in value):
                for i, m in enumerate(value):
                    yield from m.named_parameters(f"{prefix}{name}.{i}.")

    def parameters(self):
        """The parameter Tensors, for an optimiser: Adam(model.parameters())."""
        return [p for _, p in self.named_parameters()]

    def n_params(self):
        """Number of learnable floats."""
        return sum(rows * cols for rows, cols in (p.shape for p in self.parameters()))

    def zero_grad(self):
        """Forget every parameter's gradient."""
        for p in self.parameters():
            p.grad = None

    def state_dict(self):
        """{name: rows} copies of every parameter."""
        return {name: [list(row) for row in p.data] for name, p in self.named_parameters()}

    def load_state_dict(self, state):
        """Set every parameter from {name: rows}. Names and shapes must match exactly and the values be finite;
        otherwise AudiollmError names the parameter, and no parameter has changed."""
        params = dict(self.named_parameters())
        unknown = [name for name in state if name not in params]
        for name in unknown + list(params):
            if (name in params) != (name in state):
                where = "missing" if name in params else f"not in this {type(self).__name__}"
                raise AudiollmError(f"parameter {name!r} is {where}")
            if (shape := check_matrix(f"parameter {name!r}", state[name])) != params[name].shape:
                raise AudiollmError(f"parameter {name!r} has shape {shape}, the model needs {params[name].shape}")
        for name, p in params.items():
            p.data, p.grad = [[float(v) for v in row] for row in state[name]], None


def parameter(rows):
    """A Tensor that training updates."""
    return Tensor(rows, requires_grad=True)


def _uniform(rng, n, bound):
    return [rng.uniform(-bound, bound) for _ in range(n)]


class Linear(Module):
    """y = x W^T + b with W (d_out, d_in), b (1, d_out); initialised like torch.nn.Linear: uniform(+-1/sqrt(d_in))."""

    def __init__(self, d_in, d_out, rng, bias=True):
        bound = 1.0 / sqrt(d_in)
        self.weight = parameter([_uniform(rng, d_in, bound) for _ in range(d_out)])
        self.bias = parameter([_uniform(rng, d_out, bound)]) if bias else None

    def forward(self, x):
        """x (n, d_in) -> (n, d_out)."""
        return linear(x, self.weight, self.bias)


class LayerNorm(Module):
    """Per-row layer norm with a learned gain (ones) and shift (zeros), each (1, d)."""

    def __init__(self, d, eps=LN_EPS):
        self.weight = parameter([[1.0] * d])
        self.bias = parameter([[0.0] * d])
        self.eps = eps

    def forward(self, x):
        """x (n, d) -> (n, d)."""
        return layer_norm(x, self.weight, self.bias, self.eps)


class Embedding(Module):
    """A table of n_embeddings learned rows of width d, looked up by id (torch's init: N(0, 1))."""

    def __init__(self, n_embeddings, d, rng):
        self.weight = parameter([[rng.gauss(0.0, 1.0) for _ in range(d)] for _ in range(n_embeddings)])

    def forward(self, ids):
        """ids: a list of row indices -> (len(ids), d)."""
        return gather_rows(self.weight, ids)


class MultiHeadAttention(Module):
    """Projections around `autograd.attention`: q from x (d_model), k and v from context (d_kv), then out_proj.

    Self-attention when context is None. k_proj has no bias, as in Whisper: a key bias adds the same
    amount to every score of a query, and softmax ignores that.
    """

    def __init__(self, d_model, n_heads, rng, d_kv=None):
        d_kv = d_model if d_kv is None else d_kv
        self.n_heads = n_heads
        self.q_proj = Linear(d_model, d_model, rng)
        self.k_proj = Linear(d_kv, d_model, rng, bias=False)
        self.v_proj = Linear(d_kv, d_model, rng)
        self.out_proj = Linear(d_model, d_model, rng)

    def forward(self, x, context=None, key_mask=None, need_weights=True, causal=False, lengths=None, kv_cache=None):
        """x (nq, d_model), context (nk, d_kv) or None -> (out (nq, d_model), weights (nq, nk) or None).
        key_mask, causal and lengths as in `autograd.attention`.

        kv_cache (a decoder writing step by step, as Whisper's): None, or [keys, values], plain rows of the
        positions seen before; this call's keys and values are appended to them and x attends to them all. The
        earlier rows' keys and values never change in a causal model, so they are computed once, not per step."""
        context = x if context is None else context
        k, v = self.k_proj(context), self.v_proj(context)
        if kv_cache is not None:
            kv_cache[0] += k.data
            kv_cache[1] += v.data
            k, v = kv_cache
        out, weights = attention(self.q_proj(x), k, v, self.n_heads, key_mask, causal, need_weights, lengths)
        return self.out_proj(out), weights


class MLP(Module):
    """Linear(d -> hidden) -> GELU -> Linear(hidden -> d), the transformer's feed-forward block."""

    def __init__(self, d, hidden, rng):
        self.fc1 = Linear(d, hidden, rng)
        self.fc2 = Linear(hidden, d, rng)

    def forward(self, x):
        """x (n, d) -> (n, d)."""
        return self.fc2(gelu(self.fc1(x)))


class TransformerBlock(Module):
    """Pre-LN transformer block as in Whisper: x + attn(ln(x)), then x + mlp(ln(x)), MLP width 4 d_model.
    causal=True makes it a decoder block (GPT; the micro-LLM's, decoder.py): each position attends to itself and
    the past only."""

    def __init__(self, d_model, n_heads, rng):
        self.attn_ln = LayerNorm(d_model)
        self.attn = MultiHeadAttention(d_model, n_heads, rng)
        self.mlp_ln = LayerNorm(d_model)
        self.mlp = MLP(d_model, 4 * d_model, rng)

    def forward(self, x, key_mask=None, causal=False, lengths=None, kv_cache=None):
        """x (n, d_model) -> (n, d_model); key_mask, causal, lengths and kv_cache as in MultiHeadAttention."""
        x = x + self.attn(self.attn_ln(x), key_mask=key_mask, need_weights=False, causal=causal, lengths=lengths,
                          kv_cache=kv_cache)[0]
        return x + self.mlp(self.mlp_ln(x))


def sinusoids(length, channels, max_timescale=10000):
    """Whisper's fixed positional embedding, (length, channels) plain lists: sin in the first half, cos in
    the second. Channel pair c uses the timescale max_timescale ** (c / (channels/2 - 1)), as in
    openai/whisper model.py."""
    assert channels % 2 == 0
    half = channels // 2
    step = math.log(max_timescale) / (half - 1)
    inv = [exp(-step * c) for c in range(half)]
    return [[math.sin(t * f) for f in inv] + [math.cos(t * f) for f in inv] for t in range(length)]


def softmax_rows(X):
    """softmax of every row of a plain list matrix X (n, m), as plain lists (for code outside the models)."""
    return softmax(Tensor(X)).data


# ---- the models' doors ----

def check_input(name, x, width, width_name):
    """A model's input rows, checked at the door (errors.check_matrix), as a Tensor: a Tensor passes
    through (training), plain lists are wrapped (inference)."""
    check_matrix(name, x.data if isinstance(x, Tensor) else x, width, width_name)
    return tensor(x)


def _lists(result):
    """Tensors in a forward's result -> their plain rows."""
    if isinstance(result, Tensor):
        return result.data
    if isinstance(result, tuple):
        return tuple(map(_lists, result))
    return result


def lists_in_lists_out(forward):
    """Let one forward serve inference and training: a model's public forward, decorated with this, takes
    plain lists and returns plain lists, computed under no_grad (no graph, the cost of the list maths);
    called with a Tensor among its arguments it returns Tensors and builds the graph for backward."""
    @functools.wraps(forward)
    def run(*args, **kwargs):
        if any(isinstance(a, Tensor) for a in chain(args, kwargs.values())):
            return forward(*args, **kwargs)
        with no_grad(), gc_paused():
            return _lists(forward(*args, **kwargs))
    return run


@contextmanager
def gc_paused():
    """Run a block with Python's cyclic garbage collector paused: the same numbers, 5-15% faster, because
    every few hundred new rows the collector would walk all the young rows float by float, while the
    lists made here hold no cycles (reference counting frees them the moment they are dropped)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---- weights files ----

def save_weights(path, model, meta=None):
    """Write model's parameters to `path` (atomically) with `meta`, a dict of JSON data (the config, the
    command that trained it, ...). Returns path.

    The file is one JSON object, keys sorted, so the same weights always give the same bytes:
    {"format": "audiollm-weights/1", "meta": {...}, "tensors": {name: {"shape": [rows, cols], "float32": ...}}}
    with each tensor's rows, concatenated, as little-endian float32 in base64 (about 5.3 bytes a number):
    a 50k-parameter Q-former takes about 270 kB. Values are rounded to float32 (7 significant digits).
    """
    tensors = {}
    for name, p in model.named_parameters():
        values = array("f", chain.from_iterable(p.data))
        if not all(map(isfinite, values)):
            raise AudiollmError(f"model: parameter {name!r} holds values that are not finite in float32")
        if sys.byteorder == "big":
            values.byteswap()
        tensors[name] = {"shape": list(p.shape), "float32": base64.b64encode(values.tobytes()).decode("ascii")}
    text = json.dumps({"format": WEIGHTS_FORMAT, "meta": meta or {}, "tensors": tensors}, sort_keys=True,
                      separators=(",", ":"), allow_nan=False)
    return write_atomic(path, text + "\n")


def _decode_tensor(path, name, entry):
    """One tensor entry of the weights file `path` -> rows, or WeightsFileError naming the file and the tensor."""
    shape = entry.get("shape") if isinstance(entry, dict) else None
    if (not isinstance(shape, list) or len(shape) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)):
        raise WeightsFileError(f"weights file {path}: parameter {name!r}: shape must be [rows, columns], "
                               f"got {shape!r}")
    try:
        raw = base64.b64decode(entry.get("float32"), validate=True)
    except (TypeError, ValueError, binascii.Error):
        raise WeightsFileError(f"weights file {path}: parameter {name!r}: the float32 data is not base64") from None
    rows, cols = shape
    if len(raw) != 4 * rows * cols:  # the real bytes bound the work, never the header's shape
        raise WeightsFileError(f"weights file {path}: parameter {name!r}: {len(raw)} bytes of data, shape {rows} x "
                               f"{cols} needs {4 * rows * cols} (truncated?)")
    values = array("f")
    values.frombytes(raw)
    if sys.byteorder == "big":
        values.byteswap()
    return [values[i:i + cols].tolist() for i in range(0, rows * cols, cols)]


def read_weights(path, trained_by=None):
    """A `save_weights` file, read and parsed once -> (state {name: rows}, meta dict). trained_by: the command
    that writes the file, named when it is missing.

    Any problem (no such file, not a weights file, truncated, a tensor that does not decode) raises
    WeightsFileError naming the file and the tensor.
    """
    try:
        with open(path, "rb") as stream:
            raw = stream.read()
    except FileNotFoundError:
        hint = f" (train it: {trained_by})" if trained_by else ""
        raise WeightsFileError(f"weights file {path}: no such file{hint}") from None
    except (OSError, TypeError, ValueError) as error:
        raise WeightsFileError(f"weights file {path!r}: cannot read it ({error})") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise WeightsFileError(f"weights file {path}: not JSON (truncated or corrupt)") from None
    if not (isinstance(doc, dict) and doc.get("format") == WEIGHTS_FORMAT
            and isinstance(doc.get("tensors"), dict) and isinstance(doc.get("meta"), dict)):
        raise WeightsFileError(f"weights file {path}: not an {WEIGHTS_FORMAT} file (with 'tensors' and 'meta')")
    return {name: _decode_tensor(path, name, entry) for name, entry in doc["tensors"].items()}, doc["meta"]


def load_weights(path, model, weights=None):
    """Load a `save_weights` file into model (in place) and return its meta dict. weights: read_weights(path),
    when the caller has read it already (to size the model from its meta), so the file is parsed once.

    Any problem (those of read_weights, a parameter missing or unknown, a shape that differs, values that are
    not finite) raises WeightsFileError naming the file and the parameter, and leaves the model as it was.
    """
    state, meta = read_weights(path) if weights is None else weights
    try:
        model.load_state_dict(state)
    except AudiollmError as error:
        raise WeightsFileError(f"weights file {path}: {error}") from None
    return meta
