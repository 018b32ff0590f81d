"""Tests of the HiT-SR networks (HiT-SIR, HiT-SNG, HiT-SRF)."""
import pytest
import torch
import torch.nn.functional as F

from panguvision.models.sr.hit_sr import HiTSIR, HiTSNG, HiTSRF
from panguvision.models.sr.hit_sr import layers as hit_layers

# (class, {scale: parameters}, state-dict keys) of the official released configuration
EXPECTED = {
    'sir': (HiTSIR, {2: 772064, 3: 780179, 4: 791540}, 834),
    'sng': (HiTSNG, {2: 1012584, 3: 1020699, 4: 1032060}, 1074),
    'srf': (HiTSRF, {2: 846944, 3: 855059, 4: 866420}, 882),
}
VARIANTS = sorted(EXPECTED)
SCALES = (2, 3, 4)
# a small configuration (one group of three blocks, windows 4/8/16) for the slower checks
SMALL = dict(depths=[3], num_heads=[6], hier_win_ratios=[0.5, 1, 2])


def build(variant, scale=4, **kwargs):
    torch.manual_seed(0)
    return EXPECTED[variant][0](upscale=scale, **kwargs)


def perturb_(model, std=0.05):
    """Randomise all weights (biases and norms too) so that every path contributes to the output."""
    torch.manual_seed(1)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * std)
    return model


@pytest.mark.parametrize('scale', SCALES)
@pytest.mark.parametrize('variant', VARIANTS)
def test_parameter_and_key_counts(variant, scale):
    cls, params, keys = EXPECTED[variant]
    model = cls(upscale=scale)
    assert sum(p.numel() for p in model.parameters()) == params[scale]
    state = model.state_dict()
    assert len(state) == keys
    buffers = [k for k in state if k.endswith('relative_position_index')]
    assert len(buffers) == (24 if variant == 'sng' else 0)
    assert 'mean' not in state  # the RGB mean is a plain attribute, as in the official code


def test_official_key_names():
    """Characteristic keys of the official state dicts (github.com/XiangZ-0/HiT-SR, basicsr/archs)."""
    block = 'layers.0.residual_group.blocks.0.'
    common = [
        'conv_first.weight', 'patch_embed.norm.weight', 'norm.bias', 'conv_after_body.weight', 'upsample.0.weight',
        'layers.3.conv.weight', block + 'norm1.weight', block + 'norm2.bias', block + 'correlation.qv.conv.0.weight',
        block + 'correlation.qv.conv.2.weight', block + 'correlation.qv.conv.4.bias',
        block + 'correlation.qv.linear.weight', block + 'correlation.proj.weight',
        block + 'correlation.spatial_linear.weight', block + 'correlation.pos.pos_proj.weight',
        block + 'correlation.pos.pos1.0.weight', block + 'correlation.pos.pos3.2.bias', block + 'mlp.fc1.weight',
        block + 'mlp.fc2.bias'
    ]
    ngram = block + 'correlation.ngram_window_partition.ngram_context.'
    extra = {
        'sir': [],
        'srf': [block + 'mlp.dwconv.depthwise_conv.0.weight'],
        'sng': [
            ngram + 'unigram_embed.weight', ngram + 'ngram_attn.relative_position_bias_table',
            ngram + 'ngram_attn.relative_position_index', ngram + 'ngram_attn.qkv.weight',
            ngram + 'ngram_attn.proj.bias', ngram + 'merge.weight'
        ],
    }
    for variant in VARIANTS:
        state = EXPECTED[variant][0]().state_dict()
        missing = [k for k in common + extra[variant] if k not in state]
        assert not missing, (variant, missing)
    state = HiTSRF(upscale=3).state_dict()
    # spatial_linear maps the (W / 8)^2 tokens of a sub-block to one: windows 4, 8, 16, 32, 48, 64
    sizes = [state[f'layers.1.residual_group.blocks.{j}.correlation.spatial_linear.weight'].shape[1] for j in range(6)]
    assert sizes == [1, 1, 4, 16, 36, 64]
    assert state['upsample.0.weight'].shape == (27, 60, 3, 3)
    assert state[block + 'correlation.pos.pos3.2.weight'].shape == (6, 3)


@pytest.mark.parametrize('variant', VARIANTS)
@pytest.mark.parametrize('size', [(1, 1), (7, 9), (33, 70)])
def test_output_shape_any_size(variant, size):
    scale = {(1, 1): 2, (7, 9): 3, (33, 70): 4}[size]
    model = build(variant, scale).eval()
    with torch.no_grad():
        out = model(torch.rand(1, 3, *size))
    assert out.shape == (1, 3, size[0] * scale, size[1] * scale)
    assert torch.isfinite(out).all()


def test_reflect_pad_matches_reflect_steps():
    """Pads below the size equal F.pad(reflect); longer pads equal repeated reflect steps of size - 1."""
    x = torch.rand(1, 5, 4, 2)
    for pad_h, pad_w in [(3, 1), (4, 0), (12, 3), (0, 9)]:
        expected = x.permute(0, 3, 1, 2)
        for axis, pad in ((2, pad_h), (3, pad_w)):
            while pad:
                step = min(pad, expected.shape[axis] - 1)
                pads = (0, step, 0, 0) if axis == 3 else (0, 0, 0, step)
                expected = F.pad(expected, pads, mode='reflect')
                pad -= step
        result = hit_layers.reflect_pad_hw(x, pad_h, pad_w)
        assert torch.equal(result, expected.permute(0, 2, 3, 1))
    assert torch.equal(hit_layers.reflect_pad_hw(x[:, :1, :1], 3, 2), x[:, :1, :1].expand(1, 4, 3, 2))


def naive_scc(scc, x):
    """Definition-level spatial-channel correlation (the order of operations of the official code)."""
    batch, height, width, channels = x.shape
    win_h, win_w = scc.window_size
    (base_h, base_w), (sub_h, sub_w) = scc.base_win_size, scc.sub_size
    heads, half = scc.num_heads, scc.attn_dim // 2
    head_dim, length = half // heads, win_h * win_w
    image = x.permute(0, 3, 1, 2)
    qv = (scc.qv.conv(image) * scc.qv.linear(image)).permute(0, 2, 3, 1)
    windows = scc.partition(qv)
    num = windows.shape[0]
    q = windows[..., :half].reshape(num, length, heads, head_dim).transpose(1, 2)
    v = windows[..., half:].reshape(num, length, heads, head_dim).transpose(1, 2)
    v_r = v.reshape(num, heads, base_h, sub_h, base_w, sub_w, head_dim).permute(0, 1, 2, 4, 6, 3, 5)
    v_r = scc.spatial_linear(v_r.reshape(num, heads, base_h * base_w, head_dim, sub_h * sub_w)).squeeze(-1)
    dy, dx = torch.meshgrid(torch.arange(1 - win_h, win_h), torch.arange(1 - win_w, win_w), indexing='ij')
    table = scc.pos(torch.stack([dy, dx], -1).reshape(-1, 2).float())
    ys, xs = torch.meshgrid(torch.arange(win_h), torch.arange(win_w), indexing='ij')
    ys, xs = ys.flatten(), xs.flatten()
    index = (ys[:, None] - ys[None] + win_h - 1) * (2 * win_w - 1) + xs[:, None] - xs[None] + win_w - 1
    bias = table[index.flatten()].view(length, base_h, sub_h, base_w, sub_w, heads)
    bias = bias.permute(0, 1, 3, 5, 2, 4).reshape(length, base_h * base_w, heads, -1).mean(-1).permute(2, 0, 1)
    spatial = ((q @ v_r.transpose(-2, -1) / head_dim + bias) @ v_r).transpose(1, 2).reshape(num, length, half)
    q_c, v_c = windows[..., :half], windows[..., half:]
    channel = ((q_c.transpose(1, 2) @ v_c / length) @ v_c.transpose(1, 2)).transpose(1, 2)
    fused = torch.cat([spatial, channel], -1)
    return hit_layers.window_reverse(fused, scc.window_size, height, width)


@pytest.mark.parametrize('variant', VARIANTS)
def test_matches_definition_level_correlation(variant, monkeypatch):
    """The re-associated, cached fast path equals the textbook computation (full L x L bias gather)."""
    model = perturb_(build(variant, 2, **SMALL)).eval()
    x = torch.rand(1, 3, 20, 27)
    with torch.no_grad():
        fast = model(x)
        monkeypatch.setattr(hit_layers.SCC, 'forward', naive_scc)
        naive = model(x)
    assert torch.allclose(fast, naive, rtol=1e-4, atol=1e-5), (fast - naive).abs().max()


@pytest.mark.parametrize('variant', VARIANTS)
def test_eval_fast_path_equals_train_mode_and_tracks_weights(variant):
    model = perturb_(build(variant, 3, **SMALL))
    x = torch.rand(2, 3, 13, 19)
    model.train()  # no dropout configured: train and eval compute the same function
    train_out = model(x).detach()
    model.eval()
    with torch.no_grad():
        eval_out = model(x)
        cached_out = model(x)  # second call: served from the caches
    assert torch.allclose(train_out, eval_out, rtol=1e-5, atol=1e-6)
    assert torch.equal(eval_out, cached_out)
    scc = model.layers[0].residual_group.blocks[1].correlation
    assert scc._cache._entries, 'the eval fast path caches the position bias'

    with torch.no_grad():  # change a weight that only enters through the cached bias
        scc.pos.pos3[2].bias.add_(0.5)
        changed = model(x)
    assert not torch.allclose(changed, eval_out, atol=1e-4)
    model.train()
    assert not scc._cache._entries, 'train() drops the caches'
    expected = model(x).detach()
    assert torch.allclose(changed, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('variant', VARIANTS)
def test_state_dict_round_trip(variant):
    model = perturb_(build(variant, 2, **SMALL)).eval()
    clone = build(variant, 2, **SMALL).eval()
    x = torch.rand(1, 3, 9, 11)
    with torch.no_grad():
        clone(x)  # fill the caches with the old weights
        result = clone.load_state_dict(model.state_dict(), strict=True)
        assert not result.missing_keys and not result.unexpected_keys
        assert torch.equal(model(x), clone(x))


@pytest.mark.parametrize('variant', VARIANTS)
def test_gradients_flow(variant):
    model = build(variant, 2, **SMALL).train()
    x = torch.rand(1, 3, 10, 12, requires_grad=True)
    model(x).mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    no_grad = [name for name, p in model.named_parameters() if p.grad is None]
    assert not no_grad, no_grad


def test_checkpointing_and_registry():
    from panguvision.registry import MODELS
    model = MODELS.build(dict(type='HiTSRF', upscale=2, use_checkpoint=True, **SMALL)).train()
    x = torch.rand(1, 3, 8, 8, requires_grad=True)
    model(x).sum().backward()
    assert x.grad is not None
    assert {'HiTSIR', 'HiTSNG', 'HiTSRF'} <= set(MODELS.module_dict)
