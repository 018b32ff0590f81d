"""Walker's training objective: random walks on a temporal appearance graph (no identity labels).

Nodes are the instance embeddings of the frames of a clip; edges connect consecutive frames. The transition
``A_t = softmax(E_t E_{t+1}^T / tau)`` (rows: frame t, columns: frame t+1) is row-stochastic: the probability that a
walker on an instance of frame t steps to each instance of frame t+1. A walk from frame ``s`` out to frame ``s +- k``
and back along the backward transitions must return to where it started (cycle consistency); the start node's
*positives* are all nodes of the start frame made from the same annotated box (quasi-dense jittered copies), hence a
multi-positive contrastive loss ``-log sum_{j in pos(i)} C[i, j]`` on the cycle matrix ``C``. Walks start from the
first and from the last frame, for every length ``k = 1 .. T-1``.

Mutually exclusive connectivity: an instance can be linked to at most one instance of a neighbouring frame, so the
probability mass arriving at any instance of frame t+1 (a column sum of the group-level transition) should not exceed
one: ``mean(relu(colsum - 1)^2)``, in each temporal direction where it can hold (from the frame with fewer
instances to the one with more; both when equal).
"""
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from panguvision.registry import MODELS

__all__ = ['WalkCycleLoss', 'transition_matrix', 'cycle_matrices', 'multi_positive_nll', 'exclusion_penalty']


def transition_matrix(src: torch.Tensor, dst: torch.Tensor, temperature: float) -> torch.Tensor:
    """Row-stochastic transition (n_src, n_dst) from embeddings ``src`` (n_src, D) to ``dst`` (n_dst, D)."""
    return F.softmax(src @ dst.t() / temperature, dim=1)


def cycle_matrices(embeds: Sequence[torch.Tensor], temperature: float, start: int = 0) -> List[torch.Tensor]:
    """Return-walk matrices ``C_k`` (n_start, n_start), ``k = 1 .. T-1``: out from frame ``start`` (0: forward in time,
    T-1: backward) over ``k`` steps and back again. Each is row-stochastic."""
    order = list(range(len(embeds))) if start == 0 else list(range(len(embeds) - 1, -1, -1))
    out_walk, back_walk, cycles = None, None, []
    for a, b in zip(order[:-1], order[1:]):
        step_out = transition_matrix(embeds[a], embeds[b], temperature)
        step_back = transition_matrix(embeds[b], embeds[a], temperature)
        out_walk = step_out if out_walk is None else out_walk @ step_out
        back_walk = step_back if back_walk is None else step_back @ back_walk
        cycles.append(out_walk @ back_walk)
    return cycles


def multi_positive_nll(cycle: torch.Tensor, groups: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``-log`` of the return probability onto any positive (same ``groups`` id) averaged over start nodes."""
    positives = (groups[:, None] == groups[None, :]).to(cycle.dtype)
    return -torch.log((cycle * positives).sum(1).clamp_min(eps)).mean()


def group_transition(trans: torch.Tensor, src_groups: torch.Tensor, dst_groups: torch.Tensor) -> torch.Tensor:
    """Instance-level transition (g_src, g_dst): node transitions summed over destination groups, averaged over the
    source group's nodes (still row-stochastic)."""
    src = F.one_hot(torch.unique(src_groups, return_inverse=True)[1]).to(trans.dtype)
    dst = F.one_hot(torch.unique(dst_groups, return_inverse=True)[1]).to(trans.dtype)
    return (src.t() @ trans @ dst) / src.sum(0)[:, None]


def exclusion_penalty(trans: torch.Tensor) -> torch.Tensor:
    """Mutual-exclusion penalty of a row-stochastic (n_src, n_dst) transition: ``mean(relu(colsum - 1)^2)``; zero
    when no destination receives more than one unit of mass (e.g. a partial permutation)."""
    return F.relu(trans.sum(0) - 1).pow(2).mean()


@MODELS.register_module()
class WalkCycleLoss(nn.Module):
    """Multi-positive cycle-walk loss plus the mutual-exclusion penalty over a clip.

    Args:
        temperature: softmax temperature of the transitions (embeddings are L2-normalised, so logits are cosines).
        loss_weight: weight of the cycle loss.
        exclusion_weight: weight of the mutual-exclusion penalty.
        both_ends: also start walks from the last frame.
    """

    def __init__(self, temperature: float = 0.1, loss_weight: float = 1.0, exclusion_weight: float = 1.0,
                 both_ends: bool = True) -> None:
        super().__init__()
        self.temperature, self.loss_weight = float(temperature), float(loss_weight)
        self.exclusion_weight, self.both_ends = float(exclusion_weight), bool(both_ends)

    def forward(self, embeds: Sequence[torch.Tensor], groups: Sequence[torch.Tensor]) -> dict:
        """Losses of one clip.

        Args:
            embeds: per frame (n_t, D) L2-normalised embeddings, in temporal order, T >= 2, every n_t >= 1.
            groups: per frame (n_t,) int64 box index of each node (nodes from one annotated box share it).

        Returns:
            ``dict(loss_walk=..., loss_exclusion=...)`` scalars.
        """
        if len(embeds) < 2 or len(embeds) != len(groups):
            raise ValueError(f'WalkCycleLoss: expected T >= 2 frames of embeddings and groups, got {len(embeds)} and '
                             f'{len(groups)}')
        starts = [0, len(embeds) - 1] if self.both_ends else [0]
        walk = []
        for start in starts:
            walk += [multi_positive_nll(c, groups[start]) for c in cycle_matrices(embeds, self.temperature, start)]
        excl = []
        for t in range(len(embeds) - 1):
            n_now, n_next = len(torch.unique(groups[t])), len(torch.unique(groups[t + 1]))
            # Only where it can hold: n instances cannot all step onto distinct instances of a frame with fewer, and
            # penalising that impossible case pushes every transition towards uniform (collapsed embeddings).
            if n_now <= n_next:
                fwd = transition_matrix(embeds[t], embeds[t + 1], self.temperature)
                excl.append(exclusion_penalty(group_transition(fwd, groups[t], groups[t + 1])))
            if n_next <= n_now:
                bwd = transition_matrix(embeds[t + 1], embeds[t], self.temperature)
                excl.append(exclusion_penalty(group_transition(bwd, groups[t + 1], groups[t])))
        return dict(loss_walk=self.loss_weight * torch.stack(walk).mean(),
                    loss_exclusion=self.exclusion_weight * torch.stack(excl).mean())
