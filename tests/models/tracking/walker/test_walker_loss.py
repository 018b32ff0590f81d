"""Walker's walk loss: row-stochastic transitions, cycle consistency, multi-positive targets, mutual exclusion."""
import torch
import torch.nn.functional as F

from panguvision.models.tracking.walker.walk_loss import (WalkCycleLoss, cycle_matrices, exclusion_penalty,
                                                          group_transition, multi_positive_nll, transition_matrix)


def _clip(num_frames=4, n=5, dim=16, consistent=True, seed=0):
    """Per-frame embeddings of n objects: the same object vectors in a new order every frame (consistent), or new
    random vectors every frame (shuffled identities)."""
    g = torch.Generator().manual_seed(seed)
    base = F.normalize(torch.randn(n, dim, generator=g), dim=1)
    embeds, groups = [], []
    for _ in range(num_frames):
        perm = torch.randperm(n, generator=g)
        vecs = base[perm] if consistent else F.normalize(torch.randn(n, dim, generator=g), dim=1)
        embeds.append(vecs)
        groups.append(torch.arange(n))
    return embeds, groups


def test_transitions_and_cycles_are_row_stochastic():
    embeds, _ = _clip(num_frames=4, n=5)
    embeds[2] = embeds[2][:3]  # frames may differ in size
    trans = transition_matrix(embeds[0], embeds[2], 0.1)
    assert trans.shape == (5, 3) and (trans >= 0).all()
    torch.testing.assert_close(trans.sum(1), torch.ones(5))
    for start in (0, 3):
        cycles = cycle_matrices(embeds, 0.1, start)
        assert len(cycles) == 3
        for c in cycles:
            assert c.shape == (5, 5)
            torch.testing.assert_close(c.sum(1), torch.ones(5))


def test_cycle_loss_is_minimal_for_consistent_embeddings():
    loss = WalkCycleLoss(temperature=0.05)
    good = loss(*_clip(consistent=True))
    bad = loss(*_clip(consistent=False))
    assert good['loss_walk'] < 0.05, good
    assert bad['loss_walk'] > 0.5, bad
    assert good['loss_walk'] < bad['loss_walk'] / 10
    # a walk with a wrong link in the middle frame does not return home: the loss rises
    embeds, groups = _clip(consistent=True)
    embeds[2] = embeds[2][torch.tensor([1, 0, 2, 3, 4])] * 0 + embeds[1].mean(0, keepdim=True)  # blurred frame
    assert loss(embeds, groups)['loss_walk'] > good['loss_walk'] + 0.5


def test_multi_positive_targets_count_every_copy():
    cycle = torch.tensor([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    single = multi_positive_nll(cycle, torch.tensor([0, 1, 2]))
    multi = multi_positive_nll(cycle, torch.tensor([0, 0, 1]))  # nodes 0 and 1 are copies of one box
    assert torch.isclose(multi, torch.tensor(0.0), atol=1e-6)
    assert single > 0.4


def test_mutual_exclusion_penalty():
    assert exclusion_penalty(torch.eye(4)) == 0
    assert exclusion_penalty(torch.eye(4)[:, :3].roll(1, 0)[:3]) == 0  # a partial permutation
    collapse = torch.zeros(4, 4)
    collapse[:, 0] = 1  # every instance claims the same instance of the next frame
    assert exclusion_penalty(collapse) == torch.tensor(9.0 / 4)
    # group level: two copies per box average back to a permutation
    node = torch.tensor([[0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5], [0, 0, 0.5, 0.5]])
    grouped = group_transition(node, torch.tensor([0, 0, 1, 1]), torch.tensor([0, 0, 1, 1]))
    torch.testing.assert_close(grouped, torch.eye(2))
    # the full loss reports it: collapsed embeddings are penalised, distinct ones are not
    loss = WalkCycleLoss(temperature=0.05)
    eye = torch.eye(8)[:4]
    collapsed = [eye[[0, 0, 0, 0]], eye, eye[[0, 0, 0, 0]]]  # every instance looks like instance 0 of the next frame
    assert loss(collapsed, [torch.arange(4)] * 3)['loss_exclusion'] > 0.5
    assert loss(*_clip(num_frames=3, n=4))['loss_exclusion'] < 1e-3
    # an instance leaving the scene: 4 -> 3 instances cannot be exclusive from the larger side, only that direction
    # that can hold is penalised, so correct embeddings stay unpenalised
    embeds, groups = _clip(num_frames=2, n=4, consistent=True)
    keep = torch.tensor([0, 1, 2])
    assert loss([embeds[0], embeds[1][keep]], [groups[0], groups[1][keep]])['loss_exclusion'] < 1e-3


def test_loss_backpropagates():
    embeds, groups = _clip(consistent=False)
    leaves = [e.clone().requires_grad_(True) for e in embeds]
    out = WalkCycleLoss()([F.normalize(x, dim=1) for x in leaves], groups)
    (out['loss_walk'] + out['loss_exclusion']).backward()
    assert all(x.grad is not None and x.grad.abs().sum() > 0 for x in leaves)
