import math
import random

import pytest

from audiollm.errors import AudiollmError
from audiollm.nn import (
    MLP, LayerNorm, Linear, MultiHeadAttention, TransformerBlock, attention, gelu, gelu_rows,
    layer_norm, linear, matmul, sinusoids, softmax, softmax_rows, transpose,
)


def rand_matrix(rng, n, m, scale=1.0):
    return [[rng.gauss(0.0, scale) for _ in range(m)] for _ in range(n)]


def assert_close(a, b, tol):
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        assert len(ra) == len(rb)
        for x, y in zip(ra, rb):
            assert abs(x - y) <= tol, (x, y)


def test_matmul_and_transpose_by_hand():
    A = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    B = [[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]]
    assert_close(matmul(A, B), [[5.0, 2.0, 0.0], [11.0, 4.0, -1.0], [17.0, 6.0, -2.0]], 1e-12)
    assert transpose(A) == [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]


def test_dot_products_are_accurate_for_large_rows():
    # The polarisation identity keeps the error near 1e-16 * (|a|^2 + |b|^2), even for opposite rows.
    rng = random.Random(1)
    A = rand_matrix(rng, 5, 300, 3.0)
    B = [[-x for x in A[0]]] + rand_matrix(rng, 3, 300, 3.0)
    got = matmul(A, transpose(B))
    for i, a in enumerate(A):
        for j, b in enumerate(B):
            exact = math.fsum(x * y for x, y in zip(a, b))
            assert abs(got[i][j] - exact) <= 1e-9 * (1.0 + abs(exact))


def test_linear_matches_hand_result_with_and_without_bias():
    X = [[1.0, 2.0], [0.0, -1.0]]
    W = [[1.0, 1.0], [2.0, -1.0], [0.5, 0.0]]
    assert_close(linear(X, W), [[3.0, 0.0, 0.5], [-1.0, 1.0, 0.0]], 1e-12)
    assert_close(linear(X, W, [1.0, 2.0, 3.0]), [[4.0, 2.0, 3.5], [0.0, 3.0, 3.0]], 1e-12)


def test_softmax_values_and_stability():
    assert_close([softmax([0.0, math.log(2.0)])], [[1 / 3, 2 / 3]], 1e-12)
    assert softmax([1000.0, 1000.0]) == [0.5, 0.5]
    rows = softmax_rows([[1.0, 2.0, 3.0], [-5.0, 0.0, 5.0]])
    assert all(abs(sum(r) - 1.0) < 1e-12 for r in rows)
    assert rows[0][2] > rows[0][1] > rows[0][0]


def test_layer_norm_by_hand():
    out = layer_norm([[1.0, 2.0, 3.0]], [1.0, 1.0, 2.0], [0.0, 0.5, 0.0], eps=1e-5)
    s = math.sqrt(2.0 / 3.0 + 1e-5)
    assert_close(out, [[-1.0 / s, 0.5, 2.0 / s]], 1e-12)


def test_gelu_exact_erf_form():
    assert gelu(0.0) == 0.0
    assert abs(gelu(1.0) - 0.8413447460685429) < 1e-15
    assert abs(gelu(-1.0) + 0.15865525393145707) < 1e-15
    assert gelu_rows([[1.0, -1.0]]) == [[gelu(1.0), gelu(-1.0)]]


def test_attention_single_head_by_hand():
    q = [[1.0, 0.0]]
    k = [[1.0, 0.0], [0.0, 1.0]]
    v = [[1.0, 2.0], [3.0, 4.0]]
    out, w = attention(q, k, v, 1)
    s = 1.0 / math.sqrt(2.0)  # q.k0 / sqrt(d_head=2); q.k1 = 0
    w0 = math.exp(s) / (math.exp(s) + 1.0)
    assert_close(w, [[w0, 1.0 - w0]], 1e-12)
    assert_close(out, [[w0 * 1.0 + (1 - w0) * 3.0, w0 * 2.0 + (1 - w0) * 4.0]], 1e-12)


def test_attention_heads_are_independent_and_concatenated():
    rng = random.Random(2)
    q, k, v = (rand_matrix(rng, n, 8) for n in (3, 5, 5))
    out, w = attention(q, k, v, 2)
    halves = [attention([r[s] for r in q], [r[s] for r in k], [r[s] for r in v], 1)
              for s in (slice(0, 4), slice(4, 8))]
    assert_close(out, [a + b for a, b in zip(halves[0][0], halves[1][0])], 1e-12)
    assert_close(w, [[(x + y) / 2 for x, y in zip(a, b)] for a, b in zip(halves[0][1], halves[1][1])], 1e-12)
    assert all(abs(sum(r) - 1.0) < 1e-12 for r in w)


def test_key_mask_gives_exact_zero_weight_and_ignores_masked_keys():
    rng = random.Random(3)
    q, k, v = (rand_matrix(rng, n, 8) for n in (4, 6, 6))
    mask = [True, False, True, True, False, True]
    out, w = attention(q, k, v, 2, key_mask=mask)
    assert all(row[1] == 0.0 and row[4] == 0.0 for row in w)
    kept = [j for j, m in enumerate(mask) if m]
    ref_out, ref_w = attention(q, [k[j] for j in kept], [v[j] for j in kept], 2)
    assert_close(out, ref_out, 1e-12)
    assert_close([[row[j] for j in kept] for row in w], ref_w, 1e-12)
    no_w_out, none = attention(q, k, v, 2, key_mask=mask, need_weights=False)
    assert none is None and no_w_out == out


def test_sinusoids_match_whisper_formula():
    pe = sinusoids(5, 8)
    assert len(pe) == 5 and all(len(r) == 8 for r in pe)
    assert pe[0] == [0.0] * 4 + [1.0] * 4
    inc = math.log(10000) / 3
    assert abs(pe[3][2] - math.sin(3 * math.exp(-inc * 2))) < 1e-15
    assert abs(pe[3][6] - math.cos(3 * math.exp(-inc * 2))) < 1e-15


def test_modules_are_deterministic_and_torch_initialised():
    a, b = Linear(16, 4, random.Random(7)), Linear(16, 4, random.Random(7))
    assert a.weight == b.weight and a.bias == b.bias
    assert all(abs(x) <= 0.25 for row in a.weight for x in row)
    assert Linear(16, 4, random.Random(8)).weight != a.weight
    assert Linear(16, 4, random.Random(0), bias=False).bias is None
    ln = LayerNorm(3)
    assert ln.weight == [1.0] * 3 and ln.bias == [0.0] * 3
    assert MLP(8, 32, random.Random(0)).n_params() == 8 * 32 + 32 + 32 * 8 + 8
    # q, v, out projections with bias; k_proj without (Whisper): 4 d^2 + 3 d
    assert MultiHeadAttention(8, 2, random.Random(0)).n_params() == 4 * 64 + 3 * 8
    x = rand_matrix(random.Random(0), 6, 8)
    out = TransformerBlock(8, 2, random.Random(0))(x)
    assert len(out) == 6 and len(out[0]) == 8


def test_cross_attention_reads_context_of_another_width():
    rng = random.Random(4)
    mha = MultiHeadAttention(8, 2, rng, d_kv=12)
    out, w = mha(rand_matrix(rng, 3, 8), context=rand_matrix(rng, 7, 12))
    assert len(out) == 3 and len(out[0]) == 8 and len(w) == 3 and len(w[0]) == 7


@pytest.mark.parametrize("call, word", [
    (lambda: matmul([[1.0, 2.0]], [[1.0, 2.0]]), "columns"),
    (lambda: matmul([], [[1.0]]), "A"),
    (lambda: linear([[1.0, 2.0]], [[1.0]]), "W"),
    (lambda: linear([[1.0]], [[1.0]], [1.0, 2.0]), "b"),
    (lambda: linear([[1.0], [1.0, 2.0]], [[1.0]]), "X"),
    (lambda: softmax([]), "row"),
    (lambda: layer_norm([[1.0, 2.0]], [1.0], [0.0, 0.0]), "gamma"),
    (lambda: attention([[1.0] * 4], [[1.0] * 4], [[1.0] * 4], 3), "n_heads"),
    (lambda: attention([[1.0] * 4], [[1.0] * 4], [[1.0] * 4], 2, key_mask=[True, True]), "key_mask"),
    (lambda: attention([[1.0] * 4], [[1.0] * 4], [[1.0] * 4], 2, key_mask=[False]), "key_mask"),
    (lambda: attention([[1.0] * 4], [[1.0] * 4], [[1.0] * 4] * 2, 2), "v"),
    (lambda: sinusoids(4, 7), "channels"),
    (lambda: sinusoids(0, 8), "length"),
    (lambda: MultiHeadAttention(10, 3, random.Random(0)), "n_heads"),
    (lambda: Linear(0, 3, random.Random(0)), "d_in"),
    (lambda: Linear(3, 3, 0), "rng"),
])
def test_bad_inputs_name_the_problem(call, word):
    with pytest.raises(AudiollmError, match=word):
        call()


# ---- parity with torch (float64), skipped when torch is not installed ----

def _t(torch, x):
    return torch.tensor(x, dtype=torch.float64)


def _torch_linear(torch, ours):
    d_out, d_in = len(ours.weight), len(ours.weight[0])
    m = torch.nn.Linear(d_in, d_out, bias=ours.bias is not None).double()
    with torch.no_grad():
        m.weight.copy_(_t(torch, ours.weight))
        if ours.bias is not None:
            m.bias.copy_(_t(torch, ours.bias))
    return m


def _torch_mha(torch, ours, d):
    m = torch.nn.MultiheadAttention(d, ours.n_heads, batch_first=True).double()
    with torch.no_grad():
        m.in_proj_weight.copy_(_t(torch, ours.q_proj.weight + ours.k_proj.weight + ours.v_proj.weight))
        m.in_proj_bias.copy_(_t(torch, ours.q_proj.bias + [0.0] * d + ours.v_proj.bias))
        m.out_proj.weight.copy_(_t(torch, ours.out_proj.weight))
        m.out_proj.bias.copy_(_t(torch, ours.out_proj.bias))
    return m


def test_torch_parity_linear_layernorm_gelu():
    torch = pytest.importorskip("torch")
    rng = random.Random(5)
    x = rand_matrix(rng, 7, 12, 2.0)
    lin = Linear(12, 5, rng)
    assert_close(lin(x), _torch_linear(torch, lin)(_t(torch, x)).tolist(), 1e-9)
    gamma, beta = [rng.gauss(1, 0.1) for _ in range(12)], [rng.gauss(0, 0.1) for _ in range(12)]
    ref = torch.nn.functional.layer_norm(_t(torch, x), (12,), _t(torch, gamma), _t(torch, beta), 1e-5)
    assert_close(layer_norm(x, gamma, beta), ref.tolist(), 1e-9)
    assert_close(gelu_rows(x), torch.nn.functional.gelu(_t(torch, x)).tolist(), 1e-12)


def test_torch_parity_attention_with_key_mask():
    torch = pytest.importorskip("torch")
    rng = random.Random(6)
    d, n = 16, 9
    mha = MultiHeadAttention(d, 4, rng)
    x, ctx = rand_matrix(rng, 5, d), rand_matrix(rng, n, d)
    mask = [True] * 6 + [False] * 3
    out, w = mha(x, context=ctx, key_mask=mask)
    t = _torch_mha(torch, mha, d)
    ctx_t = _t(torch, [ctx])
    ref_out, ref_w = t(_t(torch, [x]), ctx_t, ctx_t, key_padding_mask=torch.tensor([[not m for m in mask]]))
    assert_close(out, ref_out[0].tolist(), 1e-9)
    assert_close(w, ref_w[0].tolist(), 1e-9)


def test_torch_parity_pre_ln_block():
    torch = pytest.importorskip("torch")
    rng = random.Random(7)
    d = 16
    block = TransformerBlock(d, 4, rng)
    x = rand_matrix(rng, 11, d)
    attn, fc1, fc2 = _torch_mha(torch, block.attn, d), _torch_linear(torch, block.mlp.fc1), _torch_linear(
        torch, block.mlp.fc2)
    xt = _t(torch, [x])
    h = torch.nn.functional.layer_norm(xt, (d,))
    xt = xt + attn(h, h, h, need_weights=False)[0]
    xt = xt + fc2(torch.nn.functional.gelu(fc1(torch.nn.functional.layer_norm(xt, (d,)))))
    assert_close(block(x), xt[0].tolist(), 1e-9)


@pytest.mark.parametrize("call, name", [
    (lambda: transpose(None), "A"),
    (lambda: matmul(float("nan"), [[1.0]]), "A"),
    (lambda: linear([[1.0, 2.0]], [[1.0, 2.0]], [[1.0]]), "b"),
    (lambda: layer_norm([[1.0, 2.0]], None, [0.0, 0.0]), "gamma"),
    (lambda: layer_norm([[1.0, 2.0]], [1.0, 1.0], [[0.0], [0.0, 1.0]]), "beta"),
    (lambda: softmax("abc"), "softmax"),
    (lambda: softmax_rows(None), "X"),
    (lambda: gelu(None), "gelu"),
    (lambda: sinusoids(10 ** 12, 4), "length"),
    (lambda: sinusoids(4, True), "channels"),
    (lambda: Linear(10 ** 12, 4, random.Random(0)), "d_in"),
    (lambda: LayerNorm(10 ** 12), "d"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(AudiollmError, match=name):
        call()
