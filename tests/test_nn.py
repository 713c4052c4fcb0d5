import base64
import json
import math
import os
import random

import pytest

from audiollm.model.autograd import Tensor, attention, gelu, layer_norm, linear, no_grad, sum_all
from audiollm.model.bridges import QFormer
from audiollm.base.errors import AudiollmError, WeightsFileError
from audiollm.model.nn import (MLP, Embedding, LayerNorm, Linear, Module, MultiHeadAttention, TransformerBlock,
                               check_input, lists_in_lists_out, load_weights, save_weights, sinusoids, softmax_rows)


def rand_matrix(rng, n, m, scale=1.0):
    return [[rng.gauss(0.0, scale) for _ in range(m)] for _ in range(n)]


def assert_close(a, b, tol):
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        assert len(ra) == len(rb)
        for x, y in zip(ra, rb):
            assert abs(x - y) <= tol, (x, y)


# ---- layers by hand ----

def test_linear_matches_hand_result_with_and_without_bias():
    X = [[1.0, 2.0], [0.0, -1.0]]
    W = [[1.0, 1.0], [2.0, -1.0], [0.5, 0.0]]
    assert_close(linear(X, W).data, [[3.0, 0.0, 0.5], [-1.0, 1.0, 0.0]], 1e-12)
    assert_close(linear(X, W, [[1.0, 2.0, 3.0]]).data, [[4.0, 2.0, 3.5], [0.0, 3.0, 3.0]], 1e-12)


def test_layer_norm_by_hand():
    out = layer_norm([[1.0, 2.0, 3.0]], [[1.0, 1.0, 2.0]], [[0.0, 0.5, 0.0]], eps=1e-5).data
    s = math.sqrt(2.0 / 3.0 + 1e-5)
    assert_close(out, [[-1.0 / s, 0.5, 2.0 / s]], 1e-12)


def test_gelu_exact_erf_form():
    assert_close(gelu([[0.0, 1.0, -1.0]]).data, [[0.0, 0.8413447460685429, -0.15865525393145707]], 1e-15)


def test_attention_single_head_by_hand():
    out, w = attention([[1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [3.0, 4.0]], 1)
    s = 1.0 / math.sqrt(2.0)  # q.k0 / sqrt(d_head=2); q.k1 = 0
    w0 = math.exp(s) / (math.exp(s) + 1.0)
    assert_close(w, [[w0, 1.0 - w0]], 1e-12)
    assert_close(out.data, [[w0 * 1.0 + (1 - w0) * 3.0, w0 * 2.0 + (1 - w0) * 4.0]], 1e-12)


def test_attention_heads_are_independent_and_concatenated():
    rng = random.Random(2)
    q, k, v = (rand_matrix(rng, n, 8) for n in (3, 5, 5))
    out, w = attention(q, k, v, 2)
    halves = [attention([r[s] for r in q], [r[s] for r in k], [r[s] for r in v], 1)
              for s in (slice(0, 4), slice(4, 8))]
    assert_close(out.data, [a + b for a, b in zip(halves[0][0].data, halves[1][0].data)], 1e-12)
    assert_close(w, [[(x + y) / 2 for x, y in zip(a, b)] for a, b in zip(halves[0][1], halves[1][1])], 1e-12)


def test_key_mask_gives_exact_zero_weight_and_equals_dropping_the_keys():
    rng = random.Random(3)
    q, k, v = (rand_matrix(rng, n, 8) for n in (4, 6, 6))
    mask = [True, False, True, True, False, True]
    out, w = attention(q, k, v, 2, key_mask=mask)
    assert all(row[1] == 0.0 and row[4] == 0.0 for row in w)
    kept = [j for j, m in enumerate(mask) if m]
    ref_out, ref_w = attention(q, [k[j] for j in kept], [v[j] for j in kept], 2)
    assert_close(out.data, ref_out.data, 1e-12)
    assert_close([[row[j] for j in kept] for row in w], ref_w, 1e-12)
    no_w_out, none = attention(q, k, v, 2, key_mask=mask, need_weights=False)
    assert none is None and no_w_out.data == out.data


def test_sinusoids_match_whisper_formula():
    pe = sinusoids(5, 8)
    assert len(pe) == 5 and all(len(r) == 8 for r in pe)
    assert pe[0] == [0.0] * 4 + [1.0] * 4
    inc = math.log(10000) / 3
    assert abs(pe[3][2] - math.sin(3 * math.exp(-inc * 2))) < 1e-15
    assert abs(pe[3][6] - math.cos(3 * math.exp(-inc * 2))) < 1e-15


def test_softmax_rows_on_plain_lists():
    rows = softmax_rows([[0.0, math.log(2.0)], [1000.0, 1000.0]])
    assert_close(rows, [[1 / 3, 2 / 3], [0.5, 0.5]], 1e-12)


# ---- modules ----

def test_modules_are_deterministic_and_torch_initialised():
    a, b = Linear(16, 4, random.Random(7)), Linear(16, 4, random.Random(7))
    assert a.state_dict() == b.state_dict()
    assert all(abs(x) <= 0.25 for row in a.weight.data for x in row)
    assert Linear(16, 4, random.Random(8)).weight.data != a.weight.data
    assert Linear(16, 4, random.Random(0), bias=False).bias is None
    ln = LayerNorm(3)
    assert ln.weight.data == [[1.0] * 3] and ln.bias.data == [[0.0] * 3]
    assert MLP(8, 32, random.Random(0)).n_params() == 8 * 32 + 32 + 32 * 8 + 8
    # q, v, out projections with bias; k_proj without (Whisper): 4 d^2 + 3 d
    assert MultiHeadAttention(8, 2, random.Random(0)).n_params() == 4 * 64 + 3 * 8
    out = TransformerBlock(8, 2, random.Random(0))(rand_matrix(random.Random(0), 6, 8))
    assert out.shape == (6, 8)


def test_named_parameters_are_dotted_and_in_constructor_order():
    block = TransformerBlock(4, 2, random.Random(0))
    names = [name for name, _ in block.named_parameters()]
    assert names[:4] == ["attn_ln.weight", "attn_ln.bias", "attn.q_proj.weight", "attn.q_proj.bias"]
    assert "attn.k_proj.bias" not in names and names[-1] == "mlp.fc2.bias"
    assert [p for _, p in block.named_parameters()] == block.parameters()
    assert block.n_params() == sum(len(p.data) * len(p.data[0]) for p in block.parameters())
    q = QFormer(d_audio=4, d_model=4, n_heads=2, n_layers=2, n_queries=2, d_llm=3)
    assert [n for n, _ in q.named_parameters() if n.endswith("fc1.weight")] == [
        "blocks.0.mlp.fc1.weight", "blocks.1.mlp.fc1.weight"]


def test_cross_attention_reads_context_of_another_width():
    rng = random.Random(4)
    mha = MultiHeadAttention(8, 2, rng, d_kv=12)
    out, w = mha(rand_matrix(rng, 3, 8), context=rand_matrix(rng, 7, 12))
    assert out.shape == (3, 8) and len(w) == 3 and len(w[0]) == 7


def test_causal_block_output_at_a_position_ignores_later_positions():
    block = TransformerBlock(8, 2, random.Random(5))
    x = rand_matrix(random.Random(6), 5, 8)
    changed = [row[:] for row in x]
    changed[3] = [v + 1.0 for v in changed[3]]
    a, b = block(x, causal=True).data, block(changed, causal=True).data
    assert_close(a[:3], b[:3], 1e-12)
    assert max(abs(u - w) for u, w in zip(a[3], b[3])) > 1e-3


def test_a_causal_block_step_by_step_with_a_key_value_cache_equals_its_whole_forward():
    block = TransformerBlock(8, 2, random.Random(7))
    x = rand_matrix(random.Random(8), 6, 8)
    whole = block(x, causal=True).data
    kv_cache = [[], []]
    steps = block(x[:3], causal=True, kv_cache=kv_cache).data  # a prompt of 3 rows, then one row at a time
    for row in x[3:]:
        steps += block([row], causal=True, kv_cache=kv_cache).data
    assert_close(steps, whole, 1e-12)
    assert len(kv_cache[0]) == len(kv_cache[1]) == 6


def test_embedding_looks_up_rows_and_sends_gradients_back_to_them():
    emb = Embedding(5, 3, random.Random(0))
    out = emb([4, 1, 4])
    assert out.data == [emb.weight.data[4], emb.weight.data[1], emb.weight.data[4]]
    sum_all(out).backward()
    assert emb.weight.grad == [[0.0] * 3, [1.0] * 3, [0.0] * 3, [0.0] * 3, [2.0] * 3]


def test_state_dict_round_trip_and_zero_grad():
    a, b = MLP(3, 5, random.Random(1)), MLP(3, 5, random.Random(2))
    b.load_state_dict(a.state_dict())
    x = rand_matrix(random.Random(3), 4, 3)
    assert a(x).data == b(x).data
    sum_all(b(Tensor(x))).backward()
    assert all(p.grad is not None for p in b.parameters())
    b.zero_grad()
    assert all(p.grad is None for p in b.parameters())


@pytest.mark.parametrize("change, word", [
    (lambda s: s.pop("fc2.bias"), "'fc2.bias' is missing"),
    (lambda s: s.update({"fc3.weight": [[1.0]]}), "'fc3.weight' is not in this MLP"),
    (lambda s: s.update({"fc1.bias": [[0.0] * 4]}), r"'fc1.bias' has shape \(1, 4\), the model needs \(1, 5\)"),
    (lambda s: s["fc1.weight"][2].__setitem__(1, math.nan), "'fc1.weight': every value must be a finite"),
    (lambda s: s.update({"fc1.weight": None}), "'fc1.weight': expected a non-empty list"),
])
def test_load_state_dict_names_the_parameter_and_changes_nothing(change, word):
    model = MLP(3, 5, random.Random(1))
    before = model.state_dict()
    state = MLP(3, 5, random.Random(2)).state_dict()
    change(state)
    with pytest.raises(AudiollmError, match=word):
        model.load_state_dict(state)
    assert model.state_dict() == before


# ---- one forward for inference and training ----

class Doubler(Module):
    def __init__(self):
        self.lin = Linear(2, 2, random.Random(0))

    @lists_in_lists_out
    def forward(self, x):
        x = check_input("x", x, 2, "d")
        return self.lin(x), "extra"


def test_lists_in_lists_out_without_a_graph_tensors_in_tensors_out_with_one():
    model = Doubler()
    rows = [[1.0, 2.0], [3.0, -1.0]]
    out, extra = model.forward(rows)
    assert isinstance(out, list) and extra == "extra"
    graph, _ = model.forward(Tensor(rows))
    assert isinstance(graph, Tensor) and graph.requires_grad and graph.data == out
    with no_grad():
        assert not model.forward(Tensor(rows))[0].requires_grad
    with pytest.raises(AudiollmError, match="x: row 1 has 1 values, expected d=2"):
        model.forward([[1.0, 2.0], [3.0]])
    with pytest.raises(AudiollmError, match="x: every value must be a finite number"):
        model.forward(Tensor([[1.0, math.inf]]))


# ---- weights files ----

def qformer(d_model=8, seed=0):
    return QFormer(d_audio=6, d_model=d_model, n_heads=2, n_queries=3, d_llm=5, seed=seed)


def test_weights_round_trip_as_float32_with_meta(tmp_path):
    path = str(tmp_path / "q.weights.json")
    model = qformer()
    assert save_weights(path, model, {"config": {"d_model": 8}, "steps": 3}) == path
    other = qformer(seed=1)
    assert load_weights(path, other) == {"config": {"d_model": 8}, "steps": 3}
    for (name, p), (_, q) in zip(model.named_parameters(), other.named_parameters()):
        assert_close(q.data, p.data, 1e-7 * max(1.0, max(abs(v) for row in p.data for v in row)))
    assert os.listdir(tmp_path) == ["q.weights.json"]  # written atomically: no temporary file left


def test_weights_bytes_are_deterministic_and_compact(tmp_path):
    a, b = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    save_weights(a, qformer(), {"seed": 0})
    save_weights(b, qformer(), {"seed": 0})
    assert open(a, "rb").read() == open(b, "rb").read()
    big = QFormer(d_audio=32, d_model=32, n_heads=2, n_layers=3, n_queries=16, d_llm=64)
    assert 50_000 <= big.n_params() <= 60_000
    save_weights(a, big)
    assert os.path.getsize(a) < 6 * big.n_params() < 2_000_000  # base64 float32: 5.33 bytes a number


def test_saving_non_finite_weights_is_refused(tmp_path):
    model = qformer()
    model.proj.bias.data = [[1e39] * 5]  # beyond float32
    with pytest.raises(AudiollmError, match="'proj.bias'"):
        save_weights(str(tmp_path / "w.json"), model)
    assert not os.listdir(tmp_path)


def _edit(doc, name, **entry):
    doc["tensors"][name].update(entry)
    return json.dumps(doc).encode()


@pytest.fixture()
def saved(tmp_path):
    path = str(tmp_path / "w.json")
    save_weights(path, qformer())
    with open(path, "rb") as f:
        return path, f.read()


@pytest.mark.parametrize("make_bytes, words", [
    (lambda raw: raw[:len(raw) // 2], "not JSON"),
    (lambda raw: b"\x89PNG\r\n\x1a\n" + raw[8:], "not JSON"),
    (lambda raw: b'{"format": "something-else"}', "not an audiollm-weights/1 file"),
    (lambda raw: b"[1, 2, 3]", "not an audiollm-weights/1 file"),
    (lambda raw: raw.replace(b"blocks.0.mlp.fc1.weight", b"blocks.0.mlp.fc9.weight"),
     "'blocks.0.mlp.fc9.weight' is not in this QFormer"),
    (lambda raw: _edit(json.loads(raw), "proj.bias", shape=[1, 4]), "'proj.bias': 20 bytes of data, shape 1 x 4"),
    (lambda raw: _edit(json.loads(raw), "proj.bias", shape=[10 ** 12, 5]), r"'proj.bias': 20 bytes .* \(truncated\?\)"),
    (lambda raw: _edit(json.loads(raw), "proj.bias", shape="5"), "'proj.bias': shape must be"),
    (lambda raw: _edit(json.loads(raw), "proj.bias", float32="@@@@"), "'proj.bias': the float32 data is not base64"),
    (lambda raw: _edit(json.loads(raw), "proj.bias", float32=base64.b64encode(
        b"\x00\x00\xc0\x7f" * 5).decode()), "'proj.bias': every value must be a finite number"),
])
def test_every_bad_weights_file_names_the_file_and_the_problem(saved, make_bytes, words):
    path, raw = saved
    with open(path, "wb") as f:
        f.write(make_bytes(raw))
    model = qformer(seed=3)
    before = model.state_dict()
    with pytest.raises(WeightsFileError, match=words) as error:
        load_weights(path, model)
    assert path in str(error.value)
    assert model.state_dict() == before


def test_weights_of_another_shape_or_a_missing_file(saved, tmp_path):
    path, _ = saved
    with pytest.raises(WeightsFileError, match=r"'queries' has shape \(3, 8\), the model needs \(3, 4\)"):
        load_weights(path, qformer(d_model=4))
    with pytest.raises(WeightsFileError, match="no such file"):
        load_weights(str(tmp_path / "nothing.json"), qformer())


# ---- parity with torch (float64), skipped when torch is not installed ----

def _t(torch, x):
    return torch.tensor(x, dtype=torch.float64)


def _torch_linear(torch, ours):
    d_out, d_in = ours.weight.shape
    m = torch.nn.Linear(d_in, d_out, bias=ours.bias is not None).double()
    with torch.no_grad():
        m.weight.copy_(_t(torch, ours.weight.data))
        if ours.bias is not None:
            m.bias.copy_(_t(torch, ours.bias.data[0]))
    return m


def _torch_mha(torch, ours, d):
    m = torch.nn.MultiheadAttention(d, ours.n_heads, batch_first=True).double()
    with torch.no_grad():
        m.in_proj_weight.copy_(_t(torch, ours.q_proj.weight.data + ours.k_proj.weight.data + ours.v_proj.weight.data))
        m.in_proj_bias.copy_(_t(torch, ours.q_proj.bias.data[0] + [0.0] * d + ours.v_proj.bias.data[0]))
        m.out_proj.weight.copy_(_t(torch, ours.out_proj.weight.data))
        m.out_proj.bias.copy_(_t(torch, ours.out_proj.bias.data[0]))
    return m


def test_torch_parity_linear_layernorm_gelu():
    torch = pytest.importorskip("torch")
    rng = random.Random(5)
    x = rand_matrix(rng, 7, 12, 2.0)
    lin = Linear(12, 5, rng)
    assert_close(lin(x).data, _torch_linear(torch, lin)(_t(torch, x)).tolist(), 1e-9)
    gamma, beta = [[rng.gauss(1, 0.1) for _ in range(12)]], [[rng.gauss(0, 0.1) for _ in range(12)]]
    ref = torch.nn.functional.layer_norm(_t(torch, x), (12,), _t(torch, gamma[0]), _t(torch, beta[0]), 1e-5)
    assert_close(layer_norm(x, gamma, beta).data, ref.tolist(), 1e-9)
    assert_close(gelu(x).data, torch.nn.functional.gelu(_t(torch, x)).tolist(), 1e-12)


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
    assert_close(out.data, ref_out[0].tolist(), 1e-9)
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
    assert_close(block(x).data, xt[0].tolist(), 1e-9)
