"""MoGE (Mixture of Grouped Experts): group-balanced routing, dense-reference equality, balance loss."""
import pytest
import torch
import torch.nn.functional as F

from panguvision.models.layers.pangu import MoGEFeedForward, PanguReferenceLM
from panguvision.registry import MODELS


def _moge(**kw):
    torch.manual_seed(0)
    cfg = dict(type='MoGEFeedForward', dim=16, hidden_dim=12, num_experts=8, num_groups=4, top_k=4)
    cfg.update(kw)
    return MODELS.build(cfg)


def _dense_reference(moge: MoGEFeedForward, x: torch.Tensor) -> torch.Tensor:
    """Every expert on every token, weighted by a dense (T, N) matrix built independently of the layer's dispatch."""
    tokens = x.reshape(-1, x.shape[-1])
    probs = torch.softmax(tokens @ moge.gate.weight.T, dim=-1)
    per_group = moge.num_experts // moge.num_groups
    weights = torch.zeros_like(probs)
    for g in range(moge.num_groups):
        block = probs[:, g * per_group:(g + 1) * per_group]
        # Rank within the group: an expert is chosen when fewer than K/M experts of its group beat it.
        beaten_by = (block[:, None, :] > block[:, :, None]).sum(-1)
        chosen = beaten_by < moge.top_k // moge.num_groups
        weights[:, g * per_group:(g + 1) * per_group] = block * chosen
    out = sum(weights[:, e:e + 1] * expert(tokens) for e, expert in enumerate(moge.experts))
    if moge.shared_experts is not None:
        out = out + moge.shared_experts(tokens)
    return out.view(x.shape)


def test_every_group_gets_exactly_k_over_m_experts_per_token():
    moge = _moge(num_experts=12, num_groups=3, top_k=6)
    x = torch.randn(3, 41, 16)
    moge(x)
    counts = moge.last_group_counts
    assert counts.shape == (3 * 41, 3)
    assert torch.equal(counts, torch.full_like(counts, 2))
    assert int((counts.max(1).values - counts.min(1).values).max()) == 0  # imbalance across groups
    assert int(moge.last_expert_counts.sum()) == 3 * 41 * 6


@pytest.mark.parametrize('shared', [0, 1, 2])
def test_equals_dense_reference(shared):
    moge = _moge(num_shared_experts=shared)
    x = torch.randn(2, 9, 16)
    torch.testing.assert_close(moge(x), _dense_reference(moge, x), rtol=1e-5, atol=1e-6)


def test_selected_probabilities_are_not_renormalised():
    moge = _moge()
    probs, ids, weights = moge.route(torch.randn(5, 16))
    assert torch.allclose(weights, probs.gather(1, ids))
    assert bool((weights.sum(1) < 1).all())


def test_balance_loss_is_minimal_for_uniform_routing():
    moge = _moge(balance_loss_weight=0.1)
    x = torch.randn(4, 32, 16)
    torch.nn.init.zeros_(moge.gate.weight)  # uniform router: p_i = 1/N
    moge(x)
    uniform = float(moge.aux_loss.detach())
    assert uniform == pytest.approx(0.1, rel=1e-5)
    # A router that prefers the first expert of every group raises the loss above the uniform value.
    with torch.no_grad():
        moge.gate.weight.normal_(std=0.05)
        moge.gate.weight[::2] += 2.0 * F.normalize(torch.ones(16), dim=0)
    x = torch.randn(4, 32, 16).abs()
    moge(x)
    assert float(moge.aux_loss.detach()) > 1.2 * uniform
    # Random routers stay close to (and on average at or above) the uniform value.
    randoms = []
    for seed in range(5):
        torch.manual_seed(seed)
        moge.gate.weight.data.normal_(std=0.3)
        moge(torch.randn(4, 32, 16))
        randoms.append(float(moge.aux_loss.detach()))
    assert sum(randoms) / len(randoms) >= uniform * 0.98


def test_balance_loss_gradient_and_lm_loss_key():
    lm = PanguReferenceLM(vocab_size=40, dim=16, num_layers=2, num_heads=2, ffn_hidden_dim=8,
                          ffn=dict(type='MoGEFeedForward', num_experts=4, num_groups=2, top_k=2))
    losses = lm.loss(torch.randint(0, 40, (2, 12)))
    assert set(losses) == {'loss_lm', 'loss_moge_balance'}
    sum(losses.values()).backward()
    assert lm.blocks[0].ffn.gate.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('kw', [dict(num_experts=6, num_groups=4), dict(top_k=3), dict(top_k=12)])
def test_bad_configuration_is_rejected(kw):
    with pytest.raises(ValueError, match='MoGEFeedForward'):
        _moge(**kw)
