import math
import random

import pytest

from audiollm.model.encoder import AcousticEncoder, FrameEncoder, concat_features, frame_mask, output_length
from audiollm.model.autograd import Tensor, gather_rows, sum_all
from audiollm.base.errors import AudiollmError


def mel(n_frames, n_mels, seed=0):
    rng = random.Random(seed)
    return [[rng.uniform(-1.0, 1.0) for _ in range(n_mels)] for _ in range(n_frames)]


def max_abs_diff(a, b):
    return max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))


@pytest.fixture(scope="module")
def small():
    return FrameEncoder(n_mels=80, d_model=16, n_heads=4, n_layers=2, n_ctx=100, seed=0)


def test_30_second_chunk_gives_1500_frames():
    enc = FrameEncoder(d_model=8, n_heads=2)
    out = enc.forward(mel(3000, 80), n_valid=200)
    assert len(out) == 1500 and all(len(r) == 8 for r in out)
    assert output_length(3000) == 1500
    assert all(any(r) for r in out[:100]) and not any(any(r) for r in out[100:])
    assert frame_mask(3000, 200) == [True] * 100 + [False] * 1400


def test_odd_frame_count_rounds_up_and_rows_are_layer_normed(small):
    out = small(mel(199, 80))
    assert len(out) == 100 == output_length(199)
    for row in out:  # final LayerNorm with unit gain, zero shift
        mean = sum(row) / 16
        assert abs(mean) < 1e-12 and abs(sum((v - mean) ** 2 for v in row) / 16 - 1.0) < 1e-3


def test_masked_frames_equal_valid_frames_alone(small):
    frames = mel(200, 80)
    masked = small.forward(frames, n_valid=77)
    alone = small.forward(frames[:77])
    assert len(masked) == 100 and len(alone) == 39
    assert masked[:39] == alone
    assert all(r == [0.0] * 16 for r in masked[39:])
    # and the mask matters: without it the padding leaks into the valid frames through attention
    assert max_abs_diff(small.forward(frames)[:39], alone) > 1e-3


def test_a_tensor_in_gives_the_same_frames_with_a_graph_to_every_parameter():
    enc = FrameEncoder(n_mels=8, d_model=8, n_heads=2, n_ctx=10, seed=1)
    frames = Tensor(mel(12, 8), requires_grad=True)
    out = enc.forward(frames, n_valid=9)
    assert out.data == enc.forward(frames.data, n_valid=9)
    sum_all(gather_rows(out, range(5))).backward()  # the 5 valid encoder frames
    assert all(any(any(row) for row in p.grad) for p in enc.parameters())
    assert any(frames.grad[8]) and not any(frames.grad[9])  # gradients reach the valid mel frames only


def test_seed_determinism():
    frames = mel(40, 80)
    a = FrameEncoder(d_model=16, seed=3)(frames)
    assert a == FrameEncoder(d_model=16, seed=3)(frames)
    assert a == FrameEncoder(d_model=16, seed=3)(tuple(tuple(r) for r in frames))
    assert max_abs_diff(a, FrameEncoder(d_model=16, seed=4)(frames)) > 1e-3


def test_param_count_matches_whisper():
    # counted on openai/whisper AudioEncoder(n_mels=80, n_ctx=1500, n_state=48, n_head=4, n_layer=3)
    assert FrameEncoder(d_model=48, n_heads=4, n_layers=3).n_params() == 103_296


def test_macs_formula(small):
    d, T = 16, 50
    per_block = 12 * T * d * d + 2 * T * T * d
    assert small.macs(100) == 100 * d * 80 * 3 + T * d * d * 3 + 2 * per_block
    assert small.macs(30) < small.macs(100)


def test_whisper_parity_full_encoder(small):
    torch = pytest.importorskip("torch")
    whisper_model = pytest.importorskip("whisper.model")
    ref = whisper_model.AudioEncoder(80, 100, 16, 4, 2)
    ours = small.state_dict()
    state = {name: rows[0] if name.endswith("bias") or "_ln." in name or "ln_post." in name else rows
             for name, rows in ours.items()}  # vectors are one row here, flat in torch
    for conv in ("conv1", "conv2"):  # ours (d_out, 3 * d_in), tap-major; torch's (d_out, d_in, 3)
        d_in = len(ours[conv + ".weight"][0]) // 3
        state[conv + ".weight"] = [[[row[k * d_in + c] for k in range(3)] for c in range(d_in)]
                                   for row in ours[conv + ".weight"]]
    state["positional_embedding"] = small.positional_embedding
    renames = {"attn.q_proj.": "attn.query.", "attn.k_proj.": "attn.key.", "attn.v_proj.": "attn.value.",
               "attn.out_proj.": "attn.out.", "mlp.fc1.": "mlp.0.", "mlp.fc2.": "mlp.2."}
    for old, new in renames.items():
        state = {name.replace(old, new): value for name, value in state.items()}
    ref.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    assert small.n_params() == sum(p.numel() for p in ref.parameters())
    frames = mel(200, 80)
    with torch.no_grad():  # whisper computes in float32
        want = ref(torch.tensor(frames).T.unsqueeze(0))[0].tolist()
    assert max_abs_diff(small(frames), want) < 1e-5


@pytest.fixture(scope="module")
def acoustic():
    return AcousticEncoder(d_model=16, n_heads=2, seed=0)


def test_acoustic_shape_padding_and_mask(acoustic):
    frames = mel(200, 128)
    out = acoustic(frames)
    assert len(out) == 100 and all(len(r) == 16 for r in out)
    assert acoustic.valid_length(200) == 96  # 12 whole columns x 8 bands
    assert all(any(r) for r in out[:96]) and all(r == [0.0] * 16 for r in out[96:])
    masked = acoustic.forward(frames, n_valid=100)
    assert masked[:48] == acoustic.forward(frames[:100])[:48]
    assert all(r == [0.0] * 16 for r in masked[48:])


def test_acoustic_patch_order_is_column_then_band(acoustic):
    frames = [[1000.0 * t + f for f in range(128)] for t in range(32)]
    p = acoustic.patches(frames)
    assert len(p) == 16 and len(p[0]) == 256
    assert p[1][:3] == [16.0, 17.0, 18.0] and p[1][16] == 1016.0   # column 0, band 1
    assert p[8][0] == 16000.0                                      # column 1, band 0


def test_acoustic_patch_embedding_is_beats_conv2d(acoustic):
    torch = pytest.importorskip("torch")
    frames = mel(48, 128)
    conv = torch.nn.Conv2d(1, 16, kernel_size=16, stride=16).double()
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(acoustic.patch_embed.weight.data, dtype=torch.float64).reshape(16, 1, 16, 16))
        conv.bias.copy_(torch.tensor(acoustic.patch_embed.bias.data[0], dtype=torch.float64))
        x = conv(torch.tensor(frames, dtype=torch.float64)[None, None])     # (1, d, columns, bands)
        want = x.reshape(1, 16, -1).transpose(1, 2)[0].tolist()            # BEATs' flattening
    assert max_abs_diff(acoustic.patch_embed(acoustic.patches(frames)).data, want) < 1e-9


def test_acoustic_seed_and_counts(acoustic):
    frames = mel(32, 128)
    assert acoustic(frames) == AcousticEncoder(d_model=16, n_heads=2, seed=0)(frames)
    assert acoustic(frames) != AcousticEncoder(d_model=16, n_heads=2, seed=1)(frames)
    d = 16
    assert acoustic.n_params() == 256 * d + d + 4 * d + (4 * d * d + 3 * d) + 4 * d + (8 * d * d + 5 * d)
    assert acoustic.macs(3000) == 1496 * 256 * d + 12 * 1496 * d * d + 2 * 1496 * 1496 * d


def test_concat_features():
    a, b = [[1.0, 2.0], [3.0, 4.0]], [[5.0], [6.0]]
    assert concat_features(a, b) == [[1.0, 2.0, 5.0], [3.0, 4.0, 6.0]]
    assert concat_features(a, [(5.0,), (6.0,)]) == [[1.0, 2.0, 5.0], [3.0, 4.0, 6.0]]
    with pytest.raises(AudiollmError, match="b has 1 frames but a has 2"):
        concat_features(a, b[:1])
    with pytest.raises(AudiollmError, match="a: expected a non-empty list"):
        concat_features([], b)


@pytest.mark.parametrize("make, word", [
    (lambda: FrameEncoder(d_model=18, n_heads=4), "n_heads"),
    (lambda: FrameEncoder(d_model=15, n_heads=3), "even"),
    (lambda: FrameEncoder(n_layers=0), "n_layers"),
    (lambda: FrameEncoder(n_mels=0), "n_mels"),
    (lambda: FrameEncoder(seed=1.5), "seed"),
    (lambda: FrameEncoder(n_ctx=0), "n_ctx"),
    (lambda: AcousticEncoder(n_mels=80), "n_mels"),
    (lambda: AcousticEncoder(n_heads=0), "n_heads"),
])
def test_bad_config_names_the_parameter(make, word):
    with pytest.raises(AudiollmError, match=word):
        make()


@pytest.mark.parametrize("call, word", [
    (lambda e, a: e.forward([]), "frames"),
    (lambda e, a: e.forward(mel(10, 64)), "n_mels"),
    (lambda e, a: e.forward([1.0, 2.0]), "frames: row 0"),
    (lambda e, a: e.forward([[math.nan] * 80] * 4), "frames: every value must be a finite number"),
    (lambda e, a: e.forward([[1e300] * 80] * 4), "frames: every value must be a finite number"),
    (lambda e, a: a.forward([[math.inf] * 128] * 16), "frames: every value must be a finite number"),
    (lambda e, a: e.forward(mel(10, 80), n_valid=0), "n_valid"),
    (lambda e, a: e.forward(mel(10, 80), n_valid=11), "n_valid"),
    (lambda e, a: e.forward(mel(10, 80), n_valid=2.0), "n_valid"),
    (lambda e, a: e.forward(mel(202, 80)), "n_ctx"),
    (lambda e, a: a.forward(mel(15, 128)), "frames"),
    (lambda e, a: a.forward(mel(40, 128), n_valid=8), "n_valid"),
    (lambda e, a: frame_mask(10, 20), "n_valid"),
])
def test_bad_inputs_name_the_parameter(small, acoustic, call, word):
    with pytest.raises(AudiollmError, match=word):
        call(small, acoustic)


@pytest.mark.parametrize("call, name", [
    (lambda: frame_mask(10 ** 12, 5), "n_frames"),
    (lambda: concat_features(float("nan"), [[1.0]]), "a"),
    (lambda: FrameEncoder(n_mels=None), "n_mels"),  # Conv1d, inside, trusts the encoder's checked sizes
    (lambda: FrameEncoder(seed=None), "seed"),
    (lambda: FrameEncoder(d_model=10 ** 12), "d_model"),
    (lambda: FrameEncoder(n_layers=10 ** 6), "n_layers"),
    (lambda: FrameEncoder(n_ctx=10 ** 12), "n_ctx"),
    (lambda: AcousticEncoder(d_model=8, n_heads=2).forward(None), "frames"),  # patches() trusts forward
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(AudiollmError, match=name):
        call()
