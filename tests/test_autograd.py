import json
import math
import os
import random
from math import fsum, hypot
from operator import mul

import pytest

from audiollm.model import autograd as ag
from audiollm.base.dots import dot_by_distances, dot_given_norms, dots, dots_literal
from audiollm.model.autograd import Adam, Tensor, clip_grad_norm, no_grad
from audiollm.model.bridges import QFormer
from audiollm.base.errors import AudiollmError
from audiollm.model.nn import MLP

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "autograd.json")
EPS = 2.0 ** -52


@pytest.fixture(scope="module")
def golden():
    with open(FIXTURE) as f:
        return json.load(f)


def matrix(rng, n, m, scale=1.0):
    return [[rng.gauss(0.0, scale) for _ in range(m)] for _ in range(n)]


def assert_close(got, want, rel):
    """Every entry within rel of the largest entry of `want` (at least 1)."""
    assert len(got) == len(want) and all(len(a) == len(b) for a, b in zip(got, want))
    scale = max(1.0, max(abs(v) for row in want for v in row))
    worst = max(abs(a - b) for ra, rb in zip(got, want) for a, b in zip(ra, rb))
    assert worst <= rel * scale, (worst, scale)


# Every op, by the name the fixture script gives it: f(inputs as Tensors, args) -> Tensor.
OPS = {
    "matmul": lambda t, a: ag.matmul(t["a"], t["b"]),
    "matmul_t": lambda t, a: ag.matmul_t(t["a"], t["b"]),
    "linear": lambda t, a: ag.linear(t["x"], t["weight"], t["bias"]),
    "add": lambda t, a: t["a"] + t["b"],
    "add_row": lambda t, a: ag.add(t["a"], t["b"]),
    "scale": lambda t, a: t["x"] * a["c"],
    "gelu": lambda t, a: ag.gelu(t["x"]),
    "layer_norm": lambda t, a: ag.layer_norm(t["x"], t["weight"], t["bias"]),
    "l2_normalize": lambda t, a: ag.l2_normalize(t["x"]),
    "softmax": lambda t, a: ag.softmax(t["x"], key_mask=a["key_mask"]),
    "softmax_causal": lambda t, a: ag.softmax(t["x"], causal=True),
    "log_softmax": lambda t, a: ag.log_softmax(t["x"]),
    "cross_entropy": lambda t, a: ag.cross_entropy(t["logits"], a["targets"]),
    "sum_all": lambda t, a: ag.sum_all(t["x"]),
    "mean_rows": lambda t, a: ag.mean_rows(t["x"]),
    "avg_pool2": lambda t, a: ag.avg_pool2(t["x"]),
    "concat_rows": lambda t, a: ag.concat_rows([t["a"], t["b"]]),
    "concat_cols": lambda t, a: ag.concat_cols([t["a"], t["b"]]),
    "columns": lambda t, a: ag.columns(t["x"], a["start"], a["stop"]),
    "gather_rows": lambda t, a: ag.gather_rows(t["x"], a["ids"]),
    "attention": lambda t, a: ag.attention(t["q"], t["k"], t["v"], a["n_heads"], key_mask=a["key_mask"])[0],
    "attention_causal": lambda t, a: ag.attention(t["q"], t["k"], t["v"], a["n_heads"], causal=True)[0],
}


def run(name, inputs, args, grad_out):
    """(output rows, {input name: gradient of sum(output * grad_out)})."""
    tensors = {key: Tensor([list(r) for r in rows], requires_grad=True) for key, rows in inputs.items()}
    out = OPS[name](tensors, args)
    out.backward(grad_out)
    return out.data, {key: x.grad for key, x in tensors.items()}


def weighted(rows, grad_out):
    return fsum(v * g for row, grow in zip(rows, grad_out) for v, g in zip(row, grow))


def test_every_op_is_in_the_fixture(golden):
    assert sorted(case["op"] for case in golden["ops"]) == sorted(OPS)


@pytest.mark.parametrize("index", range(len(OPS)))
def test_op_gradient_equals_finite_differences(golden, index):
    """Central differences in float64 (h = 1e-5) agree with backward to 1e-6 of the largest gradient."""
    case = golden["ops"][index]
    inputs, args, grad_out = case["inputs"], case["args"], case["grad_out"]
    _, grads = run(case["op"], inputs, args, grad_out)
    h = 1e-5
    for key, rows in inputs.items():
        numeric = []
        for i, row in enumerate(rows):
            numeric.append([])
            for j in range(len(row)):
                values = []
                for step in (h, -h):
                    moved = {k: [list(r) for r in m] for k, m in inputs.items()}
                    moved[key][i][j] += step
                    with no_grad():
                        values.append(weighted(OPS[case["op"]]({k: Tensor(m) for k, m in moved.items()}, args).data,
                                               grad_out))
                numeric[-1].append((values[0] - values[1]) / (2 * h))
        scale = max(abs(v) for r in numeric for v in r)
        worst = max(abs(a - b) for ra, rb in zip(grads[key], numeric) for a, b in zip(ra, rb))
        assert worst <= 1e-6 * scale, (case["op"], key, worst, scale)


@pytest.mark.parametrize("index", range(len(OPS)))
def test_op_and_its_gradients_match_torch(golden, index):
    case = golden["ops"][index]
    out, grads = run(case["op"], case["inputs"], case["args"], case["grad_out"])
    assert_close(out, case["out"], 1e-9)
    for key, want in case["grads"].items():
        assert_close(grads[key], want, 1e-9)


def qformer_loss(g, model, frames0, text):
    """The fixture's loss: InfoNCE of the clips' mean tokens against text vectors + cross-entropy of clip 0."""
    tokens = [model.forward(frames0 if i == 0 else Tensor(clip), key_mask=mask)[0]
              for i, (clip, mask) in enumerate(zip(g["clips"], g["masks"]))]
    audio = ag.l2_normalize(ag.concat_rows([ag.mean_rows(x) for x in tokens]))
    logits = ag.matmul_t(audio, ag.l2_normalize(text)) * (1.0 / g["temperature"])
    return ag.cross_entropy(logits, [0, 1, 2]) + ag.cross_entropy(tokens[0], g["targets"]), tokens[0]


def test_qformer_parameter_gradients_match_torch(golden):
    g = golden["qformer"]
    model = QFormer(**g["config"])
    model.load_state_dict(g["state"])
    frames0, text = Tensor(g["clips"][0], requires_grad=True), Tensor(g["text"], requires_grad=True)
    loss, tokens0 = qformer_loss(g, model, frames0, text)
    loss.backward()
    assert abs(loss.item() - g["loss"]) <= 1e-9 * abs(g["loss"])
    assert_close(tokens0.data, g["tokens0"], 1e-9)
    names = [name for name, _ in model.named_parameters()]
    assert names == list(g["grads"]) and len(names) == 31  # every parameter of the block and around it
    for name, p in model.named_parameters():
        assert_close(p.grad, g["grads"][name], 1e-9)
    assert_close(frames0.grad, g["grad_frames0"], 1e-9)
    assert_close(text.grad, g["grad_text"], 1e-9)


def test_qformer_gradients_equal_finite_differences_on_sampled_entries(golden):
    g = golden["qformer"]
    model = QFormer(**g["config"])
    model.load_state_dict(g["state"])
    frames0, text = Tensor(g["clips"][0]), Tensor(g["text"])
    qformer_loss(g, model, frames0, text)[0].backward()
    rng, h = random.Random(0), 1e-5
    for name, p in model.named_parameters():
        n, m = p.shape
        for i, j in {(rng.randrange(n), rng.randrange(m)) for _ in range(2)}:
            original = p.data
            values = []
            for step in (h, -h):
                p.data = [list(r) for r in original]
                p.data[i][j] += step
                with no_grad():
                    values.append(qformer_loss(g, model, frames0, text)[0].item())
            p.data = original
            numeric = (values[0] - values[1]) / (2 * h)
            assert abs(p.grad[i][j] - numeric) <= 1e-6 * max(1.0, abs(numeric)), (name, i, j)


# ---- the dot-product kernel ----

@pytest.mark.parametrize("scale_x, scale_w, k", [(1.0, 1.0, 64), (1.0, 1e-6, 64), (1e-6, 1.0, 150),
                                                  (30.0, 1e-3, 1500), (1e8, 1e-8, 7)])
def test_dots_equals_the_literal_sum_within_its_rounding_bound(scale_x, scale_w, k):
    # Both within a few ulps of |x| |w| of the exact (fsum) value, even for very different scales:
    # the unbalanced identity would be off by 1e6 ulps in the middle three cases.
    rng = random.Random(k)
    for n, m in ((7, 11), (11, 7)):
        X, W = matrix(rng, n, k, scale_x), matrix(rng, m, k, scale_w)
        W[0] = [-v * scale_w / scale_x for v in X[0]]  # an opposite pair
        fast, literal = dots(X, W), dots_literal(X, W)
        for x, fast_row, literal_row in zip(X, fast, literal):
            for w, a, b in zip(W, fast_row, literal_row):
                exact, bound = fsum(map(mul, x, w)), 4 * EPS * hypot(*x) * hypot(*w)
                assert abs(a - exact) <= bound and abs(b - exact) <= bound * math.sqrt(k)


def test_dots_of_zero_rows_and_by_hand():
    assert dots([[0.0, 0.0]], [[1.0, 2.0]]) == [[0.0]]
    assert dots([[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0]]) == [[0.0], [0.0]]
    got = dots([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [[1.0, 2.0], [0.0, 1.0]])
    assert all(abs(a - b) < 1e-14 for ra, rb in zip(got, [[5.0, 2.0], [11.0, 4.0], [17.0, 6.0]])
               for a, b in zip(ra, rb))


def test_the_kernels_pair_forms_equal_the_literal_dot_within_their_rounding():
    """The diarizer's and the resampler's forms of the one kernel: each within a few ulps of (|a|^2 + |b|^2)."""
    rng = random.Random(5)
    for k in (1, 51, 167):
        a, b = [rng.uniform(-1, 1) for _ in range(k)], [rng.uniform(-1, 1) for _ in range(k)]
        exact, bound = fsum(map(mul, a, b)), 8 * EPS * (fsum(v * v for v in a) + fsum(v * v for v in b))
        given = dot_given_norms(a, b, fsum(v * v for v in a), fsum(v * v for v in b))
        by_distances = dot_by_distances(tuple(a), tuple(b), tuple(-v for v in b))
        assert abs(given - exact) <= bound and abs(by_distances - exact) <= bound
    assert dot_by_distances((0.0,) * 5, (1.0, 2.0, 3.0, 4.0, 5.0), (-1.0, -2.0, -3.0, -4.0, -5.0)) == 0.0
    assert dot_given_norms([1.0, 2.0], [3.0, 4.0], 5.0, 25.0) == 11.0


# ---- the graph ----

def test_no_grad_builds_no_graph_and_constants_need_none():
    w = Tensor([[1.0, 2.0]], requires_grad=True)
    with no_grad():
        y = ag.linear(Tensor([[3.0, 4.0]]), w)
    assert not y.requires_grad and y._parents == () and y._backward is None
    z = ag.linear([[3.0, 4.0]], [[1.0, 2.0]])  # constants only: no graph either
    assert not z.requires_grad
    with pytest.raises(AudiollmError, match="backward"):
        z.backward()


def test_a_tensor_used_twice_gets_both_gradients_and_grads_accumulate():
    x = Tensor([[1.0, -2.0]], requires_grad=True)
    ag.sum_all(x + x).backward()
    assert x.grad == [[2.0, 2.0]]
    ag.sum_all(x * 3.0).backward()
    assert x.grad == [[5.0, 5.0]]
    y = ag.gelu(x * 2.0)  # backward twice through the same graph: the leaf gets both, the middle starts afresh
    loss = ag.sum_all(y)
    x.grad = None
    loss.backward()
    once = x.grad
    loss.backward()
    assert x.grad == [[2 * g for g in once[0]]] and y.grad == [[1.0, 1.0]]


def test_backward_needs_a_gradient_unless_the_output_is_one_number():
    y = Tensor([[1.0, 2.0]], requires_grad=True) * 2.0
    with pytest.raises(AudiollmError, match="grad is needed"):
        y.backward()
    with pytest.raises(AudiollmError, match="shape"):
        y.backward([[1.0]])
    y.backward([[1.0, 1.0]])
    with pytest.raises(AudiollmError, match="item"):
        y.item()


def test_masked_keys_get_exactly_zero_weight_and_gradient():
    rng = random.Random(3)
    q, k, v = (Tensor(matrix(rng, n, 4), requires_grad=True) for n in (2, 3, 3))
    out, weights = ag.attention(q, k, v, 2, key_mask=[True, False, True])
    assert all(row[1] == 0.0 for row in weights) and all(abs(sum(r) - 1.0) < 1e-12 for r in weights)
    ag.sum_all(out).backward()
    assert k.grad[1] == [0.0] * 4 and v.grad[1] == [0.0] * 4


def test_causal_attention_never_reads_the_future():
    rng = random.Random(4)
    x = matrix(rng, 5, 4)
    first = ag.attention(x, x, x, 1, causal=True)
    changed = [row[:] for row in x]
    changed[4] = [v + 1.0 for v in changed[4]]
    second = ag.attention(changed, changed, changed, 1, causal=True)
    assert_close(first[0].data[:4], second[0].data[:4], 1e-14)  # the kernel's rounding sees every row
    assert first[0].data[4] != second[0].data[4]
    assert first[1][0] == [1.0, 0.0, 0.0, 0.0, 0.0] and first[1][3][4] == 0.0
    _, both = ag.attention(x, x, x, 2, key_mask=[True, False, True, False, True], causal=True)
    assert [[j for j, w in enumerate(row) if w] for row in both] == [[0], [0], [0, 2], [0, 2], [0, 2, 4]]
    assert all(abs(sum(row) - 1.0) < 1e-12 for row in both)
    with pytest.raises(AudiollmError, match="row 0 nothing to attend to"):
        ag.attention(x, x, x, 2, key_mask=[False, True, True, True, True], causal=True)


@pytest.mark.parametrize("causal", [False, True])
def test_packed_sequences_give_what_the_literal_block_diagonal_mask_gives(causal):
    """attention(lengths=...) attends within each sequence alone (the optimisation); literally, each query scores
    every key with those of other sequences (and, causal, of its future) masked out. Outputs, weights and the
    gradients of q, k and v agree."""
    rng = random.Random(6)
    lengths, n = [3, 1, 4], 8
    sequence = [s for s, length in enumerate(lengths) for _ in range(length)]  # each row's sequence
    rows = {name: matrix(rng, n, 4) for name in "qkv"}
    grad_out = matrix(rng, n, 4)
    packed = {name: Tensor(r, requires_grad=True) for name, r in rows.items()}
    out, weights = ag.attention(packed["q"], packed["k"], packed["v"], 2, causal=causal, lengths=lengths)
    out.backward(grad_out)
    literal = {name: Tensor(r, requires_grad=True) for name, r in rows.items()}
    per_query = [ag.attention(ag.gather_rows(literal["q"], [i]), literal["k"], literal["v"], 2,
                              key_mask=[sequence[j] == sequence[i] and (j <= i or not causal) for j in range(n)])
                 for i in range(n)]
    ag.concat_rows([o for o, _ in per_query]).backward(grad_out)
    assert_close(out.data, ag.concat_rows([o for o, _ in per_query]).data, 1e-13)
    assert_close(weights, [w[0] for _, w in per_query], 1e-13)
    assert [[j for j, w in enumerate(row) if w] for row in weights][:4] == (
        [[0], [0, 1], [0, 1, 2], [3]] if causal else [[0, 1, 2]] * 3 + [[3]])
    for name in "qkv":
        assert_close(packed[name].grad, literal[name].grad, 1e-13)
    with pytest.raises(AudiollmError, match="lengths add up to 7"):
        ag.attention(rows["q"], rows["k"], rows["v"], 2, lengths=[3, 4])


@pytest.mark.parametrize("call, word", [
    (lambda: ag.matmul([[1.0, 2.0]], [[1.0, 2.0]]), "matmul"),
    (lambda: ag.matmul_t([[1.0, 2.0]], [[1.0]]), "matmul_t"),
    (lambda: ag.add([[1.0, 2.0]], [[1.0]]), "add"),
    (lambda: ag.concat_rows([[[1.0]], [[1.0, 2.0]]]), "concat_rows"),
    (lambda: ag.concat_cols([[[1.0]], [[1.0], [2.0]]]), "concat_cols"),
    (lambda: ag.gather_rows([[1.0]], [1]), "ids"),
    (lambda: ag.cross_entropy([[1.0, 2.0]], [2]), "targets"),
    (lambda: ag.cross_entropy([[1.0, 2.0]], [0, 1]), "targets"),
    (lambda: ag.softmax([[1.0, 2.0]], key_mask=[True]), "key_mask"),
    (lambda: ag.softmax([[1.0], [2.0]], causal=True), "causal"),
    (lambda: ag.attention([[1.0] * 4], [[1.0] * 4], [[1.0] * 4], 3), "n_heads"),
    (lambda: ag.attention([[1.0] * 4], [[1.0] * 4], [[1.0] * 4] * 2, 2), "same shape"),
    (lambda: clip_grad_norm([], 0.0), "max_norm"),
    (lambda: Adam([], lr=0.1), "params"),
    (lambda: Adam([Tensor([[1.0]], requires_grad=True)], lr=-1.0), "lr"),
    (lambda: Adam([Tensor([[1.0]], requires_grad=True)], betas=(0.9, 1.0)), "betas"),
])
def test_bad_arguments_name_the_problem(call, word):
    with pytest.raises(AudiollmError, match=word):
        call()


# ---- training ----

@pytest.mark.parametrize("name, weight_decay", [("adam", 0.0), ("adamw", 0.1)])
def test_adam_steps_equal_torch(golden, name, weight_decay):
    g = golden["optimisers"]
    params = [Tensor([list(r) for r in rows], requires_grad=True) for rows in g["start"]]
    opt = Adam(params, lr=0.01, weight_decay=weight_decay)
    for step_grads, want in zip(g["grads"], g[name]):
        for p, grad in zip(params, step_grads):
            p.grad = grad
        opt.step()
        for p, rows in zip(params, want):
            assert_close(p.data, rows, 1e-12)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_clip_grad_norm_equals_torch(golden):
    g = golden["optimisers"]
    params = [Tensor(rows, requires_grad=True) for rows in g["start"]]
    for p, grad in zip(params, g["grads"][0]):
        p.grad = grad
    total = clip_grad_norm(params, g["clip"]["max_norm"])
    assert abs(total - g["clip"]["total"]) < 1e-12
    for p, want in zip(params, g["clip"]["grads"]):
        assert_close(p.grad, want, 1e-12)


def train_tiny(steps, seed=0):
    """An MLP learns to map 6 points to their class (3 classes) by cross-entropy; returns the losses."""
    rng = random.Random(seed)
    model = MLP(3, 12, rng)
    x, y = Tensor(matrix(rng, 6, 3)), [0, 1, 2, 0, 1, 2]
    opt = Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(steps):
        loss = ag.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        clip_grad_norm(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    return losses, model.state_dict()


def test_a_tiny_model_learns_and_training_is_deterministic():
    losses, state = train_tiny(30)
    assert losses[-1] < 0.5 * losses[0] and losses[-1] < losses[-2]
    assert train_tiny(30) == (losses, state)
    assert train_tiny(30, seed=1)[0] != losses
