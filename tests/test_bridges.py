import json
import math
import os
import random

import pytest

from audiollm.model import nn
from audiollm.model import autograd as ag
from audiollm.model.autograd import Tensor
from audiollm.model.bridges import (BRIDGE_DESIGNS, PooledMLPAdapter, QFormer, WindowQFormer, bridge_costs,
                                    format_cost_table, tokens_per_clip)
from audiollm.base.errors import AudiollmError

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "bridges.json")
SMALL = dict(d_audio=8, d_model=8, n_heads=2, d_llm=12)  # toy widths keep 1500-frame runs fast


def frames_of(n, d=8, seed=0):
    rng = random.Random(seed)
    return [[rng.gauss(0.0, 1.0) for _ in range(d)] for _ in range(n)]


def close(a, b, tol=1e-9):
    return len(a) == len(b) and all(
        len(ra) == len(rb) and all(abs(x - y) <= tol for x, y in zip(ra, rb)) for ra, rb in zip(a, b))


def count_floats(obj):
    """Learnable floats held by a bridge: every float of a Tensor that requires a gradient, found through
    attributes and lists (not through Module.named_parameters, which n_params could share a bug with)."""
    if isinstance(obj, Tensor):
        return sum(isinstance(v, float) for row in obj.data for v in row) if obj.requires_grad else 0
    if isinstance(obj, list):
        return sum(count_floats(v) for v in obj)
    if hasattr(obj, "__dict__"):
        return sum(count_floats(v) for v in vars(obj).values())
    return 0


@pytest.fixture(scope="module")
def clip_30s():
    return frames_of(1500)


# ---- shapes for 30 s (1500 encoder frames) ----

@pytest.mark.parametrize("n_queries", [32, 64])
def test_qformer_30s_gives_n_queries_tokens(clip_30s, n_queries):
    tokens, weights = QFormer(n_queries=n_queries, **SMALL).forward(clip_30s)
    assert (len(tokens), len(tokens[0])) == (n_queries, 12)
    assert (len(weights), len(weights[0])) == (n_queries, 1500)
    assert all(abs(sum(row) - 1.0) < 1e-12 for row in weights)


def test_window_qformer_30s_gives_88_tokens_each_reading_its_window(clip_30s):
    tokens, weights = WindowQFormer(**SMALL).forward(clip_30s)
    assert (len(tokens), len(tokens[0])) == (88, 12)
    assert (len(weights), len(weights[0])) == (88, 1500)
    for i, row in enumerate(weights):
        inside = row[17 * i:17 * (i + 1)]
        assert abs(sum(inside) - 1.0) < 1e-12 and min(inside) > 0.0
        assert sum(row) == pytest.approx(1.0, abs=1e-12)
    assert all(row[88 * 17:] == [0.0] * 4 for row in weights)  # 1500 = 88 * 17 + 4 dropped frames


def test_pooled_mlp_30s_gives_750_tokens_of_two_frames_each(clip_30s):
    tokens, weights = PooledMLPAdapter(d_audio=8, d_llm=12).forward(clip_30s)
    assert (len(tokens), len(tokens[0])) == (750, 12)
    assert weights[3][6:8] == [0.5, 0.5] and sum(weights[3]) == 1.0 and len(weights[3]) == 1500


def test_pooled_mlp_drops_an_odd_last_frame():
    frames = frames_of(7)
    bridge = PooledMLPAdapter(d_audio=8, d_llm=12)
    tokens, weights = bridge.forward(frames)
    assert len(tokens) == 3 and all(row[6] == 0.0 for row in weights)
    assert bridge.forward(frames[:6])[0] == tokens


# ---- the numbers, against torch (tests/fixtures/make_bridges.py) ----

@pytest.fixture(scope="module")
def golden():
    with open(FIXTURE) as f:
        return json.load(f)


def test_qformer_matches_torch(golden):
    g = golden["qformer"]
    tokens, weights = QFormer(**g["config"]).forward(golden["frames"])
    assert close(tokens, g["tokens"]) and close(weights, g["weights"])


def test_masked_qformer_matches_torch_key_padding_mask(golden):
    g = golden["qformer"]
    tokens, weights = QFormer(**g["config"]).forward(golden["frames"], key_mask=golden["key_mask"])
    assert close(tokens, g["masked_tokens"]) and close(weights, g["masked_weights"])


def test_window_qformer_matches_torch_unfold(golden):
    g = golden["window_qformer"]
    tokens, weights = WindowQFormer(**g["config"]).forward(golden["frames"])
    assert len(tokens) == 23 // 5
    assert close(tokens, g["tokens"]) and close(weights, g["weights"])


def test_pooled_mlp_matches_torch(golden):
    g = golden["pooled_mlp"]
    assert close(PooledMLPAdapter(**g["config"]).forward(golden["frames"])[0], g["tokens"])


# ---- masking, locality, determinism ----

def test_masked_frames_get_zero_weight_and_masking_equals_dropping():
    frames = frames_of(40)
    key_mask = [i % 3 != 0 for i in range(40)]
    bridge = QFormer(n_queries=5, n_layers=2, **SMALL)
    tokens, weights = bridge.forward(frames, key_mask=key_mask)
    assert all(row[i] == 0.0 for row in weights for i in range(0, 40, 3))
    assert all(abs(sum(row) - 1.0) < 1e-12 for row in weights)
    kept = [f for f, m in zip(frames, key_mask) if m]
    dropped_tokens, dropped_weights = bridge.forward(kept)
    assert close(tokens, dropped_tokens, 1e-12)
    assert close([[w for w, m in zip(row, key_mask) if m] for row in weights], dropped_weights, 1e-12)


def test_window_tokens_only_see_their_own_window():
    frames = frames_of(60)
    bridge = WindowQFormer(window=10, **SMALL)
    before = bridge.forward(frames)[0]
    frames[25] = [frames[25][0] + 1.0] + frames[25][1:]  # one channel: a shift of all is LayerNorm'd away
    after = bridge.forward(frames)[0]
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert changed == [2]


def test_qformer_tokens_depend_on_the_frames_and_queries_differ():
    frames = frames_of(30)
    bridge = QFormer(n_queries=4, **SMALL)
    tokens = bridge.forward(frames)[0]
    assert len({tuple(row) for row in tokens}) == 4
    assert bridge.forward(frames_of(30, seed=1))[0] != tokens


@pytest.mark.parametrize("make", [
    lambda seed: QFormer(n_queries=4, seed=seed, **SMALL),
    lambda seed: WindowQFormer(window=5, seed=seed, **SMALL),
    lambda seed: PooledMLPAdapter(d_audio=8, d_llm=12, seed=seed),
])
def test_same_seed_is_bit_identical_and_another_seed_differs(make):
    frames = frames_of(20)
    first = make(3).forward(frames)
    assert make(3).forward(frames) == first
    assert make(4).forward(frames)[0] != first[0]


@pytest.mark.parametrize("make", [
    lambda: QFormer(n_queries=4, **SMALL),
    lambda: WindowQFormer(window=5, **SMALL),
    lambda: PooledMLPAdapter(d_audio=8, d_llm=12),
])
def test_a_tensor_in_gives_the_same_tokens_with_a_graph_to_every_parameter(make):
    bridge, frames = make(), frames_of(20)
    tokens, weights = bridge.forward(frames)
    graph_tokens, graph_weights = bridge.forward(Tensor(frames))
    assert isinstance(tokens, list) and graph_tokens.data == tokens and graph_weights == weights
    ag.sum_all(graph_tokens).backward()
    zero = {name for name, p in bridge.named_parameters() if not any(any(row) for row in p.grad)}
    # one query per window: its self-attention softmax is over one key, always 1, so q and k learn nothing
    assert zero == ({"qformer.blocks.0.self_attn.q_proj.weight", "qformer.blocks.0.self_attn.q_proj.bias",
                     "qformer.blocks.0.self_attn.k_proj.weight"} if isinstance(bridge, WindowQFormer) else set())


# ---- parameter and multiply-add counts ----

@pytest.mark.parametrize("bridge", [
    QFormer(d_audio=6, d_model=8, n_heads=2, n_layers=2, n_queries=3, d_llm=5),
    WindowQFormer(d_audio=6, d_model=8, n_heads=2, n_layers=3, n_queries=2, d_llm=5, window=4),
    PooledMLPAdapter(d_audio=6, d_llm=5),
])
def test_n_params_counts_every_learnable_float(bridge):
    assert bridge.n_params() == count_floats(bridge) == nn.Module.n_params(bridge)


@pytest.mark.parametrize("bridge, n_frames", [
    (QFormer(d_audio=6, d_model=8, n_heads=2, n_layers=2, n_queries=3, d_llm=5), 11),
    (WindowQFormer(d_audio=6, d_model=8, n_heads=2, n_layers=2, n_queries=2, d_llm=5, window=4), 11),
    (PooledMLPAdapter(d_audio=6, d_llm=5), 11),
])
def test_macs_equal_the_products_forward_runs(monkeypatch, bridge, n_frames):
    counted = []
    real_linear, real_attention = nn.linear, nn.attention

    def linear(x, weight, bias=None):
        counted.append(x.shape[0] * weight.shape[0] * weight.shape[1])
        return real_linear(x, weight, bias)

    def attention(q, k, v, *args):
        counted.append(2 * q.shape[0] * k.shape[0] * q.shape[1])
        return real_attention(q, k, v, *args)

    monkeypatch.setattr(nn, "linear", linear)
    monkeypatch.setattr(nn, "attention", attention)
    bridge.forward(frames_of(n_frames, d=6))
    assert bridge.macs(n_frames) == sum(counted)


# ---- token counts and the real-scale cost model ----

@pytest.mark.parametrize("bridge, seconds, n_queries, expected", [
    ("qformer", 30, 64, 64), ("qformer", 600, 64, 20 * 64), ("qformer", 600, 32, 20 * 32),
    ("qformer", 45, 64, 128), ("qformer", 0.5, 64, 64),
    ("window_qformer", 30, 64, 88), ("window_qformer", 600, 64, 20 * 88), ("window_qformer", 45, 64, 88 + 44),
    ("pooled_mlp", 30, 64, 750), ("pooled_mlp", 600, 64, 15000), ("pooled_mlp", 45, 64, 1125),
    ("pooled_mlp", 1, 64, 25),
])
def test_tokens_per_clip(bridge, seconds, n_queries, expected):
    assert tokens_per_clip(bridge, seconds, n_queries) == expected


def test_tokens_per_clip_matches_what_the_bridges_emit():
    frames = frames_of(100)  # 2 s at 50 frames per second
    assert len(QFormer(n_queries=7, **SMALL).forward(frames)[0]) == tokens_per_clip("qformer", 2, 7)
    assert len(WindowQFormer(**SMALL).forward(frames)[0]) == tokens_per_clip("window_qformer", 2)
    assert len(PooledMLPAdapter(d_audio=8, d_llm=12).forward(frames)[0]) == tokens_per_clip("pooled_mlp", 2)


@pytest.fixture(scope="module")
def costs():
    return {row["name"].split(" (")[0]: row for row in bridge_costs()}


def test_cost_rows_follow_from_the_shapes(costs):
    q32, q64 = costs["Q-former, 32 queries"], costs["Q-former, 64 queries"]
    pooled, window = costs["pooled MLP"], costs["window Q-former"]
    # AF3 adaptor at real scale: LayerNorm(1280), Linear(1280 -> 4096), Linear(4096 -> 4096)
    assert pooled["params"] == 2 * 1280 + (1280 * 4096 + 4096) + (4096 * 4096 + 4096)
    assert pooled["bridge_macs_30s"] == 750 * (1280 * 4096 + 4096 * 4096)
    assert q64["params"] - q32["params"] == 32 * 768  # only the query vectors differ
    assert q64["params"] - window["params"] == 63 * 768
    assert [r["tokens_30s"] for r in (q32, q64, window, pooled)] == [32, 64, 88, 750]
    assert [r["tokens_clip"] for r in (q32, q64, window, pooled)] == [640, 1280, 1760, 15000]
    assert q64["llm_attention_macs_30s"] == 2 * 64 ** 2 * 4096 * 32
    assert q64["llm_prefill_macs_clip"] == 32 * (12 * 1280 * 4096 ** 2 + 2 * 1280 ** 2 * 4096)


def test_64_queries_cost_more_than_32_and_pooled_has_the_most_tokens(costs):
    q32, q64 = costs["Q-former, 32 queries"], costs["Q-former, 64 queries"]
    for key in ("bridge_macs_30s", "tokens_clip", "llm_attention_macs_clip", "llm_prefill_macs_clip"):
        assert q64[key] > q32[key]
    assert q64["llm_attention_macs_30s"] == 4 * q32["llm_attention_macs_30s"]
    assert max(costs.values(), key=lambda r: r["tokens_clip"]) is costs["pooled MLP"]


def test_cost_table_is_markdown_with_one_row_per_setting():
    lines = format_cost_table(bridge_costs()).splitlines()
    assert len(lines) == 2 + 4
    assert lines[0].startswith("| bridge | params |") and "| LLM tokens / 10 min |" in lines[0]
    assert lines[3].startswith("| Q-former, 64 queries") and "| 64 | 1280 |" in lines[3]
    assert "| 750 | 15000 |" in lines[5]
    two_minutes = format_cost_table(bridge_costs(clip_seconds=120)).splitlines()
    assert "| LLM tokens / 2 min |" in two_minutes[0] and "| 750 | 3000 |" in two_minutes[5]
    assert "| LLM tokens / 45 s |" in format_cost_table(bridge_costs(clip_seconds=45)).splitlines()[0]


# ---- bad input names the parameter ----

@pytest.mark.parametrize("call, name", [
    (lambda: QFormer(**SMALL).forward([]), "frames"),
    (lambda: QFormer(**SMALL).forward(frames_of(5, d=7)), "frames"),
    (lambda: QFormer(**SMALL).forward([[math.nan] * 8] * 3), "frames"),
    (lambda: QFormer(**SMALL).forward([[1e300] * 8] * 3), "frames: every value must be a finite number"),
    (lambda: PooledMLPAdapter(d_audio=8).forward([[math.inf] * 8] * 3), "frames: every value must be a finite"),
    (lambda: QFormer(**SMALL).forward([["a"] * 8]), "frames"),
    (lambda: QFormer(**SMALL).forward(frames_of(5), key_mask=[True] * 4), "key_mask"),
    (lambda: QFormer(**SMALL).forward(frames_of(5), key_mask=[False] * 5), "key_mask"),
    (lambda: QFormer(**SMALL).forward(frames_of(5), key_mask=[1] * 5), "key_mask"),
    (lambda: QFormer(n_queries=0, **SMALL), "n_queries"),
    (lambda: QFormer(d_audio=8, d_model=8, n_heads=3), "n_heads"),
    (lambda: QFormer(n_layers=1.5), "n_layers"),
    (lambda: QFormer(seed=-1), "seed"),
    (lambda: WindowQFormer(**SMALL).forward(frames_of(16)), "window"),
    (lambda: WindowQFormer(window=0, **SMALL), "window"),
    (lambda: PooledMLPAdapter(d_audio=8).forward(frames_of(1)), "frames"),
    (lambda: PooledMLPAdapter(d_llm=0), "d_llm"),
    (lambda: tokens_per_clip("perceiver", 30), "bridge"),
    (lambda: tokens_per_clip("qformer", 0), "seconds"),
    (lambda: tokens_per_clip("qformer", math.inf), "seconds"),
    (lambda: tokens_per_clip("qformer", 30, n_queries=0), "n_queries"),
    (lambda: bridge_costs(d_model=0), "d_model"),
    (lambda: bridge_costs(clip_seconds=-1), "clip_seconds"),
    (lambda: format_cost_table([]), "rows"),
    (lambda: format_cost_table([{"name": "x"}]), "rows"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(AudiollmError, match=name):
        call()


def test_every_bridge_name_is_costed():
    assert {row["bridge"] for row in bridge_costs()} == set(BRIDGE_DESIGNS)


def test_token_counts_of_a_huge_clip_are_computed_not_listed():
    seconds = 30 * 10 ** 12 + 1  # a list of its windows would not fit in memory
    assert tokens_per_clip("qformer", seconds, n_queries=2) == (10 ** 12 + 1) * 2
    assert tokens_per_clip("window_qformer", seconds) == 88 * 10 ** 12 + 50 // 17
    assert tokens_per_clip("pooled_mlp", seconds) == 750 * 10 ** 12 + 25


@pytest.mark.parametrize("make, name", [
    (lambda: QFormer(d_model=10 ** 12), "d_model"),
    (lambda: QFormer(n_queries=10 ** 12), "n_queries"),
    (lambda: QFormer(n_layers=10 ** 6), "n_layers"),
    (lambda: WindowQFormer(d_llm=10 ** 12), "d_llm"),
    (lambda: PooledMLPAdapter(d_audio=10 ** 12), "d_audio"),
])
def test_giant_sizes_are_refused_before_allocating(make, name):
    with pytest.raises(AudiollmError, match=name):
        make()
