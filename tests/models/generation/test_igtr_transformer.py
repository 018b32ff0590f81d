"""IGTR transformer: 2-D RoPE, the GPT protocol, KV-cache sampling, CFG, top-k / top-p, prefix switch, sizes."""
import math
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from panguvision.models.generation import (IGTRTransformer, apply_rope, cfg_combine, generate_tokens, rope_2d_angles,
                                           top_k_filter, top_p_filter)
from panguvision.registry import MODELS

REPO = Path(__file__).resolve().parents[3]


def tiny(**kwargs):
    torch.manual_seed(0)
    cfg = dict(vocab_size=20, grid_size=(3, 4), dim=32, depth=2, num_heads=4, num_classes=3, multiple_of=16)
    cfg.update(kwargs)
    model = IGTRTransformer(**cfg).eval()
    for p in model.parameters():  # the heads start at zero: give every weight a value
        torch.nn.init.normal_(p, std=0.3)
    return model


def _rot(x, pos, head_dim):
    ang = rope_2d_angles(torch.tensor([pos], dtype=torch.float32), head_dim)
    return apply_rope(x[None, None, None], ang.cos(), ang.sin())[0, 0, 0]


def test_rope_2d_dot_products_depend_only_on_offsets():
    torch.manual_seed(0)
    q, k = torch.randn(16), torch.randn(16)
    base = torch.dot(_rot(q, (2, 5), 16), _rot(k, (0, 1), 16))
    shifted = torch.dot(_rot(q, (7, -3), 16), _rot(k, (5, -7), 16))  # same (2, 4) offset
    assert torch.isclose(base, shifted, atol=1e-4)
    other_row = torch.dot(_rot(q, (3, 5), 16), _rot(k, (0, 1), 16))
    other_col = torch.dot(_rot(q, (2, 6), 16), _rot(k, (0, 1), 16))
    assert not torch.isclose(base, other_row, atol=1e-3) and not torch.isclose(base, other_col, atol=1e-3)
    assert torch.isclose(_rot(q, (4, 9), 16).norm(), q.norm(), atol=1e-5)  # a rotation
    with pytest.raises(ValueError, match='divisible by 4'):
        rope_2d_angles(torch.zeros(1, 2), 6)


def test_protocol_attributes_and_teacher_forcing_shapes():
    model = tiny(num_prefix_slots=2, prefix_vocab_size=7, num_kv_heads=2)
    block = model.blocks[0]
    for name in ('q_proj', 'k_proj', 'v_proj', 'o_proj'):
        layer = getattr(block.attn, name)
        assert isinstance(layer, torch.nn.Linear) and layer.bias is None
    assert (block.attn.num_heads, block.attn.num_kv_heads, block.attn.head_dim) == (4, 2, 8)
    assert {'w1', 'w2', 'w3'} <= dict(block.ffn.named_children()).keys()
    assert isinstance(block.norm1, torch.nn.RMSNorm) and not hasattr(block, 'post_norm1')
    prefix_logits, logits = model(torch.tensor([0, 2]), torch.randint(0, 20, (2, 12)), torch.tensor([[1, 2], [3, 4]]))
    assert prefix_logits.shape == (2, 2, 7) and logits.shape == (2, 12, 20)
    # causality: changing the last image token leaves every prediction unchanged (it predicts nothing)
    tokens = torch.randint(0, 20, (1, 12))
    changed = tokens.clone()
    changed[0, -1] = (changed[0, -1] + 1) % 20
    cond, prefix = torch.tensor([1]), torch.tensor([[1, 2]])
    assert torch.allclose(model(cond, tokens, prefix)[1], model(cond, changed, prefix)[1])
    changed[0, 5] = (changed[0, 5] + 1) % 20
    out_a, out_b = model(cond, tokens, prefix)[1], model(cond, changed, prefix)[1]
    assert torch.allclose(out_a[:, :6], out_b[:, :6], atol=1e-5) and not torch.allclose(out_a[:, 6:], out_b[:, 6:])


def test_prefix_switch_changes_sequence_not_image_positions():
    with_prefix = tiny(num_prefix_slots=5, prefix_vocab_size=11)
    without = tiny()
    assert with_prefix.seq_len == without.seq_len + 5
    assert torch.equal(with_prefix.image_token_positions(), without.image_token_positions())
    assert with_prefix.image_token_positions()[5].tolist() == [1.0, 1.0]  # raster order on the (3, 4) grid
    assert with_prefix.positions()[5].tolist() == [-1.0, -1.0]  # the last prefix word sits just before the grid
    with pytest.raises(ValueError, match='prefix slots'):
        with_prefix(torch.tensor([0]), torch.zeros(1, 12, dtype=torch.long))


@pytest.mark.parametrize('prefix_slots,cfg_scale', [(0, 1.0), (3, 1.0), (3, 2.5)])
def test_kv_cache_sampling_equals_recomputation(prefix_slots, cfg_scale):
    model = tiny(num_prefix_slots=prefix_slots, prefix_vocab_size=9 if prefix_slots else 0)
    cond = torch.tensor([0, 1, 2])
    prefix = torch.tensor([[1, -1, 4], [-1, -1, -1], [2, 3, 5]]) if prefix_slots else None
    kwargs = dict(cond=cond, prefix=prefix, cfg_scale=cfg_scale, temperature=0.0, return_logits=True)
    cached = generate_tokens(model, use_kv_cache=True, **kwargs)
    full = generate_tokens(model, use_kv_cache=False, **kwargs)
    assert torch.equal(cached['tokens'], full['tokens'])
    assert torch.equal(cached['prefix'], full['prefix'])
    assert torch.allclose(cached['logits'], full['logits'], atol=1e-4)
    if prefix_slots:
        assert cached['prefix'][0, 0] == 1 and cached['prefix'][2].tolist() == [2, 3, 5]  # forced words kept
    # greedy tokens are the argmax of their logits, and teacher forcing them reproduces the same logits
    assert torch.equal(cached['tokens'], cached['logits'].argmax(-1))
    if cfg_scale == 1.0:
        tf = model(cond, cached['tokens'], cached['prefix'] if prefix_slots else None)[1]
        assert torch.allclose(tf, cached['logits'], atol=1e-4)


def test_cfg_scale_one_equals_conditional_logits():
    model = tiny(num_prefix_slots=2, prefix_vocab_size=6)
    cond = torch.tensor([2, 0])
    plain = generate_tokens(model, cond, torch.tensor([[1, 3], [2, 4]]), cfg_scale=1.0, cfg_batch=False,
                            temperature=0.0, return_logits=True)
    doubled = generate_tokens(model, cond, torch.tensor([[1, 3], [2, 4]]), cfg_scale=1.0, cfg_batch=True,
                              temperature=0.0, return_logits=True)
    assert torch.equal(plain['tokens'], doubled['tokens'])
    assert torch.allclose(plain['logits'], doubled['logits'], atol=1e-4)
    guided = generate_tokens(model, cond, torch.tensor([[1, 3], [2, 4]]), cfg_scale=3.0, temperature=0.0,
                             return_logits=True)
    assert not torch.allclose(guided['logits'], plain['logits'])
    c, u = torch.randn(2, 5), torch.randn(2, 5)
    assert torch.allclose(cfg_combine(c, u, 1.0), c) and torch.allclose(cfg_combine(c, u, 0.0), u)
    assert torch.allclose(cfg_combine(c, u, 2.0), 2 * c - u)


def test_top_k_and_top_p_filters():
    logits = torch.tensor([[1.0, 4.0, 3.0, 2.0, 0.0]])
    kept = torch.isfinite(top_k_filter(logits, 2))
    assert kept.tolist() == [[False, True, True, False, False]]
    assert torch.equal(top_k_filter(logits, 0), logits)
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    lp = probs.log()
    assert torch.isfinite(top_p_filter(lp, 0.5)).tolist() == [[True, False, False, False]]
    assert torch.isfinite(top_p_filter(lp, 0.8)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(top_p_filter(lp, 0.81)).tolist() == [[True, True, True, False]]
    assert torch.isfinite(top_p_filter(lp, 0.01)).sum() == 1  # the most likely token always stays
    shuffled = lp[:, [2, 0, 3, 1]]
    assert torch.isfinite(top_p_filter(shuffled, 0.8)).tolist() == [[False, True, False, True]]
    # sampling with top-k 1 is greedy
    model = tiny()
    a = generate_tokens(model, torch.tensor([1]), temperature=1.0, top_k=1, generator=torch.Generator().manual_seed(0))
    b = generate_tokens(model, torch.tensor([1]), temperature=0.0)
    assert torch.equal(a['tokens'], b['tokens'])


def test_sandwich_norm_tiny_init_moge_and_esa_switches():
    model = IGTRTransformer(vocab_size=16, grid_size=2, dim=32, depth=4, num_heads=4, num_classes=2,
                            sandwich_norm=True, tiny_init=True,
                            ffn=dict(type='MoGEFeedForward', num_experts=4, num_groups=2, top_k=2),
                            attn_core=dict(type='ESAttentionCore', top_k=4, num_local=2))
    block = model.blocks[0]
    assert torch.allclose(block.post_norm1.weight, torch.full((32,), 1 / math.sqrt(4)))
    std = block.attn.q_proj.weight.std().item()
    assert abs(std - math.sqrt(1 / (2 * 32 * 4))) < 0.3 * math.sqrt(1 / (2 * 32 * 4))
    _, logits = model(torch.tensor([0, 1]), torch.randint(0, 16, (2, 4)))
    assert logits.shape == (2, 4, 16)
    aux = model.aux_loss()
    assert aux is not None and aux.dim() == 0 and aux > 0
    assert tiny().aux_loss() is None


def test_llamagen_gpt_sizes_from_configs():
    """The transformer of the GPT-B / GPT-L configs has LlamaGen's size (111M / 343M parameters)."""
    init_default_scope('panguvision')
    for name, expected in (('igtr_gpt_b_imagenet256', 111e6), ('igtr_gpt_l_imagenet256', 343e6)):
        cfg = Config.fromfile(str(REPO / 'configs' / 'igtr' / f'{name}.py'))
        cfg.model.use_reasoning_prefix = False  # LlamaGen's model has no prefix words
        with torch.device('meta'):
            model = MODELS.build(cfg.model)
        count = sum(p.numel() for p in model.transformer.parameters())
        assert abs(count - expected) / expected < 0.005, (name, count)
