"""Feed-forward layers of the GPT protocol: SwiGLU and MoGE (Mixture of Grouped Experts, Pangu Pro MoE).

Both map (B, L, D) -> (B, L, D). A SwiGLU has ``w1, w3`` (D -> F) and ``w2`` (F -> D), nn.Linear without bias:
``w2(silu(w1 x) * w3 x)``.

MoGE: N routed experts (SwiGLU, hidden F each) in M equal groups of N / M consecutive experts, plus shared experts
that see every token. The router is one global softmax over all N experts; inside each group the top K / M experts
by that probability are selected, and their outputs are weighted by the (not renormalised) probabilities. Every group
therefore runs exactly K / M experts per token: with one group per device the load across devices is balanced by
construction. The auxiliary balance loss is ``a * sum_i f_i p_i`` with ``f_i = N / (K T) * #tokens routed to i`` and
``p_i`` the mean router probability of expert i over the T tokens; it equals ``a`` for a uniform router.

Dispatch sorts the (token, expert) pairs by expert and runs each expert once on its gathered tokens, adding the
weighted outputs back with ``index_add_`` (no Python loop over tokens). torch has no grouped-MoE layer, hence this
hand-written routing.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from panguvision.registry import MODELS


@MODELS.register_module()
class PanguSwiGLU(nn.Module):
    """SwiGLU feed-forward ``w2(silu(w1 x) * w3 x)``: (..., D) -> (..., D), hidden width F = ``hidden_dim``."""

    def __init__(self, dim: int, hidden_dim: int):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden_dim, bias=False)
        self.w3 = nn.Linear(dim, hidden_dim, bias=False)
        self.w2 = nn.Linear(hidden_dim, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


@MODELS.register_module()
class MoGEFeedForward(nn.Module):
    """Mixture of Grouped Experts: (B, L, D) -> (B, L, D).

    Args:
        dim: D.
        hidden_dim: F, hidden width of every expert (routed and shared).
        num_experts: N routed experts.
        num_groups: M groups (N % M == 0).
        top_k: K experts per token in all (K % M == 0, K / M <= N / M).
        num_shared_experts: shared experts (one SwiGLU of width ``num_shared_experts * F``; 0 for none).
        balance_loss_weight: a, the auxiliary balance-loss weight.

    After each forward: ``aux_loss`` (scalar tensor), ``last_expert_counts`` (N,) tokens routed to each expert and
    ``last_group_counts`` (T, M) experts chosen in each group for each token (always K / M).
    """

    def __init__(self, dim: int, hidden_dim: int, num_experts: int = 8, num_groups: int = 4, top_k: int = 4,
                 num_shared_experts: int = 1, balance_loss_weight: float = 0.01):
        super().__init__()
        if num_experts % num_groups:
            raise ValueError(f'MoGEFeedForward: num_experts={num_experts} is not divisible by num_groups={num_groups}')
        if top_k % num_groups or not 0 < top_k // num_groups <= num_experts // num_groups:
            raise ValueError(f'MoGEFeedForward: top_k={top_k} must be a positive multiple of num_groups={num_groups} '
                             f'with top_k / num_groups <= experts per group ({num_experts // num_groups})')
        self.dim, self.hidden_dim = dim, hidden_dim
        self.num_experts, self.num_groups, self.top_k = num_experts, num_groups, top_k
        self.balance_loss_weight = balance_loss_weight
        self.gate = nn.Linear(dim, num_experts, bias=False)
        self.experts = nn.ModuleList(PanguSwiGLU(dim, hidden_dim) for _ in range(num_experts))
        self.shared_experts = PanguSwiGLU(dim, hidden_dim * num_shared_experts) if num_shared_experts else None
        self.aux_loss = torch.zeros(())
        self.last_expert_counts = None
        self.last_group_counts = None

    def route(self, x: torch.Tensor):
        """Router for tokens x (T, D): probs (T, N) (global softmax), expert ids (T, K) and weights (T, K) (the
        selected probabilities, not renormalised), K / M per group."""
        probs = torch.softmax(self.gate(x).float(), dim=-1)
        per_group = self.num_experts // self.num_groups
        k_group = self.top_k // self.num_groups
        weights, local = probs.view(-1, self.num_groups, per_group).topk(k_group, dim=-1)  # (T, M, K/M)
        offsets = torch.arange(self.num_groups, device=x.device)[None, :, None] * per_group
        ids = (local + offsets).flatten(1)
        return probs, ids, weights.flatten(1)

    def balance_loss(self, probs: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """``a * sum_i f_i p_i`` for router probs (T, N) and chosen ids (T, K)."""
        tokens = probs.shape[0]
        counts = torch.bincount(ids.flatten(), minlength=self.num_experts).to(probs.dtype)
        frac = counts * self.num_experts / (self.top_k * max(tokens, 1))
        return self.balance_loss_weight * (frac * probs.mean(dim=0)).sum()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        tokens = x.reshape(-1, shape[-1])
        probs, ids, weights = self.route(tokens)
        self.aux_loss = self.balance_loss(probs, ids)
        flat_ids = ids.flatten()
        order = flat_ids.argsort(stable=True)
        token_idx = order // self.top_k  # token of each (token, expert) pair, grouped by expert
        pair_w = weights.flatten()[order].to(x.dtype)
        counts = torch.bincount(flat_ids, minlength=self.num_experts)
        self.last_expert_counts = counts.detach()
        groups = ids // (self.num_experts // self.num_groups)
        self.last_group_counts = F.one_hot(groups, self.num_groups).sum(dim=1).detach()
        out = torch.zeros_like(tokens)
        start = 0
        for expert, n in zip(self.experts, counts.tolist()):
            if n:
                sel = token_idx[start:start + n]
                out.index_add_(0, sel, expert(tokens[sel]) * pair_w[start:start + n, None])
            start += n
        if self.shared_experts is not None:
            out = out + self.shared_experts(tokens)
        return out.view(shape)
