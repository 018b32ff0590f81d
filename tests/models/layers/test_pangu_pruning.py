"""Pangu Light structured pruning: SLNP, CLAP, shapes / parameter counts, importance beats random."""
import copy

import pytest
import torch
import torch.nn as nn

from panguvision.models.layers.pangu import (PanguReferenceLM, collect_importance, count_parameters, prune_ffn_neurons_,
                                             prune_heads_, prune_layers_, prune_model_, prune_width_)

V = 64


def _lm(**kw):
    torch.manual_seed(0)
    cfg = dict(vocab_size=V, dim=48, num_layers=4, num_heads=6, num_kv_heads=3, ffn_hidden_dim=96)
    cfg.update(kw)
    return PanguReferenceLM(**cfg)


def _ids(seed=5):
    return torch.randint(0, V, (4, 32), generator=torch.Generator().manual_seed(seed))


def _expected_params(vocab, dim, layers, heads, kv_heads, head_dim, hidden, sandwich=True, tied=False):
    norms = (4 if sandwich else 2) * dim
    attn = dim * heads * head_dim * 2 + dim * kv_heads * head_dim * 2
    per_layer = norms + attn + 3 * dim * hidden
    return vocab * dim * (1 if tied else 2) + layers * per_layer + dim


def test_importance_shapes_and_parameter_count_formula():
    lm = _lm()
    assert count_parameters(lm) == _expected_params(V, 48, 4, 6, 3, 8, 96)
    imp = collect_importance(lm, [_ids(1), _ids(2)])
    assert [t.shape for t in imp['heads']] == [(6, )] * 4 and [t.shape for t in imp['kv_groups']] == [(3, )] * 4
    assert imp['neurons'][0][''].shape == (96, ) and imp['channels'].shape == (48, ) and imp['layers'].shape == (4, )
    assert all(bool((t > 0).all()) for t in imp['heads'])


def test_prune_all_dimensions_runs_with_expected_shapes_and_parameter_count():
    lm = _lm()
    prune_model_(lm, _ids(), num_layers=3, num_heads=3, ffn_keep_ratio=0.5, dim=32)
    assert len(lm.blocks) == 3 and lm.num_layers == 3 and lm.dim == 32
    attn = lm.blocks[0].attn
    assert (attn.num_heads, attn.num_kv_heads) == (3, 3)
    assert attn.q_proj.weight.shape == (24, 32) and attn.o_proj.weight.shape == (32, 24)
    assert lm.blocks[1].ffn.w1.weight.shape == (48, 32) and lm.blocks[1].ffn.w2.weight.shape == (32, 48)
    assert count_parameters(lm) == _expected_params(V, 32, 3, 3, 3, 8, 48)
    logits, cache = lm(_ids(), return_cache=True)
    assert logits.shape == (4, 32, V) and torch.isfinite(logits).all()
    assert cache[0][0].shape == (4, 3, 32, 8)
    assert lm.generate(_ids()[:1, :4], 3).shape == (1, 7)


def test_grouped_heads_keep_per_group_or_whole_groups():
    lm = _lm(num_layers=1)
    imp = collect_importance(lm, _ids())
    per_group = copy.deepcopy(lm)
    prune_heads_(per_group, imp, 3)  # 3 KV groups, one query head each
    assert (per_group.blocks[0].attn.num_heads, per_group.blocks[0].attn.num_kv_heads) == (3, 3)
    whole = copy.deepcopy(lm)
    prune_heads_(whole, imp, 4)  # two whole groups of 2 query heads
    assert (whole.blocks[0].attn.num_heads, whole.blocks[0].attn.num_kv_heads) == (4, 2)
    best = imp['kv_groups'][0].topk(2).indices.sort().values
    rows = (best[:, None] * 8 + torch.arange(8)).flatten()
    assert torch.equal(whole.blocks[0].attn.k_proj.weight, lm.blocks[0].attn.k_proj.weight[rows])
    with pytest.raises(ValueError, match='cannot keep 5'):
        prune_heads_(copy.deepcopy(lm), imp, 5)
    whole(_ids())


@pytest.mark.parametrize('slnp', [True, False])
def test_slnp_keeps_every_norm_gain_l2_norm(slnp):
    lm = _lm()
    with torch.no_grad():  # give the gains some structure, as a trained model has
        for m in lm.modules():
            if isinstance(m, nn.RMSNorm):
                m.weight.mul_(torch.rand(m.weight.shape) * 2)
    before = {name: float(m.weight.detach().norm()) for name, m in lm.named_modules() if isinstance(m, nn.RMSNorm)}
    prune_width_(lm, collect_importance(lm, _ids()), 24, slnp=slnp)
    after = {name: float(m.weight.detach().norm()) for name, m in lm.named_modules() if isinstance(m, nn.RMSNorm)}
    assert set(after) == set(before) and len(after) == 4 * 4 + 1
    for name in before:
        assert lm.get_submodule(name).weight.shape == (24, )
        if slnp:
            assert after[name] == pytest.approx(before[name], rel=1e-5), name
        else:
            assert after[name] < before[name], name
    assert lm(_ids()).shape == (4, 32, V)


def test_width_pruning_keeps_tied_embeddings_tied():
    lm = _lm(tie_embeddings=True)
    prune_width_(lm, collect_importance(lm, _ids()), 40)
    assert lm.lm_head.weight is lm.embed.weight and lm.embed.weight.shape == (V, 40)
    assert count_parameters(lm) == _expected_params(V, 40, 4, 6, 3, 8, 96, tied=True)


def test_clap_merges_the_best_kv_groups_of_a_removed_layer_into_its_neighbour():
    lm = _lm(num_layers=3)
    old = copy.deepcopy(lm)
    imp = collect_importance(lm, _ids())
    imp['layers'] = torch.tensor([1.0, 0.1, 1.0])  # block 1 goes
    imp['kv_groups'] = [torch.ones(3), torch.tensor([5.0, 0.0, 0.0]), torch.tensor([1.0, 3.0, 0.5])]
    assert prune_layers_(lm, imp, 2, clap=True, neighbour='next') == [1]
    a, a2, a1 = lm.blocks[1].attn, old.blocks[2].attn, old.blocks[1].attn
    # Union scores [1, 3, 0.5 | 5, 0, 0] -> block 2's groups 0 and 1, then block 1's group 0.
    kv = lambda attn, g: attn.k_proj.weight[g * 8:(g + 1) * 8]  # noqa: E731
    torch.testing.assert_close(a.k_proj.weight, torch.cat([kv(a2, 0), kv(a2, 1), kv(a1, 0)]))
    q = lambda attn, g: attn.q_proj.weight[g * 16:(g + 1) * 16]  # noqa: E731  (2 query heads per group)
    torch.testing.assert_close(a.q_proj.weight, torch.cat([q(a2, 0), q(a2, 1), q(a1, 0)]))
    torch.testing.assert_close(a.o_proj.weight[:, 32:], a1.o_proj.weight[:, :16])
    torch.testing.assert_close(lm.blocks[0].attn.k_proj.weight, old.blocks[0].attn.k_proj.weight)
    plain = copy.deepcopy(old)
    prune_layers_(plain, imp, 2, clap=False)
    torch.testing.assert_close(plain.blocks[1].attn.k_proj.weight, a2.k_proj.weight)
    assert lm(_ids()).shape == (4, 32, V)


def test_pruning_least_important_heads_beats_random_heads():
    torch.manual_seed(0)
    lm = _lm(num_layers=3, num_heads=8, num_kv_heads=8)
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():  # heads of unequal strength, as in a trained model
        for block in lm.blocks:
            scale = torch.exp(torch.empty(8).uniform_(-3, 1, generator=gen))
            block.attn.v_proj.weight.mul_(scale.repeat_interleave(6)[:, None])
    ids = _ids()
    with torch.no_grad():
        ref = lm(ids)
        imp = collect_importance(lm, ids)

        def change(scores):
            pruned = copy.deepcopy(lm)
            prune_heads_(pruned, dict(imp, heads=scores), 4)
            return float((pruned(ids) - ref).norm() / ref.norm())

        by_importance = change(imp['heads'])
        by_random = [change([torch.rand(8, generator=gen) for _ in range(3)]) for _ in range(6)]
    assert by_importance < min(by_random), (by_importance, by_random)


def test_moge_model_prunes_neurons_width_and_depth():
    lm = _lm(ffn=dict(type='MoGEFeedForward', num_experts=4, num_groups=2, top_k=2), ffn_hidden_dim=16)
    before = count_parameters(lm)
    imp = collect_importance(lm, _ids())
    assert set(imp['neurons'][0]) == {'experts.0', 'experts.1', 'experts.2', 'experts.3', 'shared_experts'}
    prune_ffn_neurons_(lm, imp, 0.5)
    prune_width_(lm, collect_importance(lm, _ids()), 32)
    prune_layers_(lm, collect_importance(lm, _ids()), 3)
    ffn = lm.blocks[0].ffn
    assert ffn.gate.weight.shape == (4, 32) and ffn.experts[0].w1.weight.shape == (8, 32) and ffn.hidden_dim == 8
    assert count_parameters(lm) < before / 2
    losses = lm.loss(_ids())
    assert set(losses) == {'loss_lm', 'loss_moge_balance'} and torch.isfinite(losses['loss_lm'])


def test_prunes_the_igtr_transformer_through_the_protocol():
    igtr = pytest.importorskip('panguvision.models.generation.igtr.transformer')
    torch.manual_seed(0)
    model = igtr.IGTRTransformer(vocab_size=V, grid_size=4, dim=48, depth=3, num_heads=6, num_kv_heads=3,
                                 num_classes=10, ffn_hidden=96, sandwich_norm=True, tiny_init=True)
    cond, tokens = torch.randint(0, 10, (4, )), torch.randint(0, V, (4, 16))
    before = count_parameters(model)
    prune_model_(model, (cond, tokens), num_layers=2, num_heads=3, ffn_keep_ratio=0.5, dim=32,
                 forward=lambda m, x: m(*x))
    assert len(model.blocks) == 2 and model.blocks[0].attn.num_heads == 3
    assert count_parameters(model) < before / 2
    assert model(cond, tokens)[1].shape == (4, 16, V)
