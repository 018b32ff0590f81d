"""Vector quantiser of the VQ tokenizer: nearest code, straight-through gradients, codebook/commitment losses, EMA or
l2-normalised codebook (VQ-VAE, VQGAN, ViT-VQGAN / LlamaGen conventions).

torch has no vector-quantisation layer (and no installed library offers one), hence this small module.
"""
from typing import Dict, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['VectorQuantizer']


class VectorQuantizer(nn.Module):
    """Replace every feature vector by its nearest codebook entry.

    Args:
        num_codes: K, codebook size.
        code_dim: C, code (and latent) width.
        beta: commitment-loss weight (``beta * ||z - sg(e)||^2``).
        l2_norm: l2-normalise latents and codes before the lookup (cosine matching, ViT-VQGAN / LlamaGen); the
            decoder then receives unit vectors.
        ema: update the codebook by exponential moving averages of the assigned latents (VQ-VAE-2) instead of the
            codebook loss ``||sg(z) - e||^2``; the codebook then gets no gradient.
        decay: EMA decay.
        eps: Laplace smoothing of the EMA cluster sizes.
        restart_dead_codes: in training, re-initialise codes whose moving-average usage (decay ``dead_decay``) fell
            below ``dead_threshold`` times the uniform share to the latents of the current batch that their codes
            represent worst (codebook reset against collapse; rare image content gets codes of its own).
        dead_threshold, dead_decay: see ``restart_dead_codes``.
    """

    def __init__(self, num_codes: int, code_dim: int, beta: float = 0.25, l2_norm: bool = True, ema: bool = False,
                 decay: float = 0.99, eps: float = 1e-5, restart_dead_codes: bool = False,
                 dead_threshold: float = 0.03, dead_decay: float = 0.9):
        super().__init__()
        self.num_codes, self.code_dim = num_codes, code_dim
        self.beta, self.l2_norm, self.ema, self.decay, self.eps = beta, l2_norm, ema, decay, eps
        self.restart_dead_codes, self.dead_threshold, self.dead_decay = restart_dead_codes, dead_threshold, dead_decay
        self.embedding = nn.Embedding(num_codes, code_dim)
        nn.init.uniform_(self.embedding.weight, -1.0 / num_codes, 1.0 / num_codes)
        if ema:
            self.embedding.weight.requires_grad_(False)
            self.register_buffer('ema_cluster_size', torch.zeros(num_codes))
            self.register_buffer('ema_embed_sum', self.embedding.weight.detach().clone())
        if restart_dead_codes:
            self.register_buffer('usage', torch.full((num_codes, ), 1.0 / num_codes))

    def codebook(self) -> torch.Tensor:
        """``(K, C)`` codes as used in the lookup (normalised when ``l2_norm``)."""
        weight = self.embedding.weight
        return F.normalize(weight, dim=-1) if self.l2_norm else weight

    @torch.no_grad()
    def nearest(self, z: torch.Tensor, return_distance: bool = False):
        """Index ``(M,)`` of the nearest code (squared Euclidean distance) of each row of ``z`` (M, C) (and that
        distance with ``return_distance``)."""
        codes = self.codebook()
        dist = z.pow(2).sum(1, keepdim=True) - 2 * z @ codes.t() + codes.pow(2).sum(1)[None]
        best, idx = dist.min(dim=1)
        return (idx, best) if return_distance else idx

    @torch.no_grad()
    def _ema_update(self, z: torch.Tensor, idx: torch.Tensor) -> None:
        onehot = F.one_hot(idx, self.num_codes).type_as(z)  # (M, K)
        self.ema_cluster_size.mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
        self.ema_embed_sum.mul_(self.decay).add_(onehot.t() @ z, alpha=1 - self.decay)
        n = self.ema_cluster_size.sum()
        size = (self.ema_cluster_size + self.eps) / (n + self.num_codes * self.eps) * n
        self.embedding.weight.copy_(self.ema_embed_sum / size[:, None])

    @torch.no_grad()
    def _restart_dead(self, z: torch.Tensor, idx: torch.Tensor, err: torch.Tensor) -> None:
        """Move dead codes onto the worst-represented latents of the batch (largest quantisation error ``err``)."""
        counts = torch.bincount(idx, minlength=self.num_codes).float() / idx.numel()
        self.usage.mul_(self.dead_decay).add_(counts, alpha=1 - self.dead_decay)
        dead = torch.nonzero(self.usage < self.dead_threshold / self.num_codes).flatten()
        if dead.numel():
            dead = dead[:z.shape[0]]
            pick = err.topk(dead.numel()).indices
            self.embedding.weight.data[dead] = z[pick]
            self.usage[dead] = 1.0 / self.num_codes
            if self.ema:
                self.ema_embed_sum[dead] = z[pick] * self.ema_cluster_size[dead, None].clamp_min(self.eps)

    def forward(self, z: torch.Tensor) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
        """Quantise ``z`` (B, C, H, W).

        Returns:
            ``z_q`` (B, C, H, W) with straight-through gradients (forward: the codes; backward: identity to ``z``),
            ``losses`` (``loss_codebook`` (0 with EMA), ``loss_commit``, scalar) and ``indices`` (B, H, W) long.
        """
        b, c, h, w = z.shape
        if c != self.code_dim:
            raise ValueError(f'VectorQuantizer expects {self.code_dim} channels, got {c}')
        flat = z.permute(0, 2, 3, 1).reshape(-1, c)
        if self.l2_norm:
            flat = F.normalize(flat, dim=-1)
        idx, dist = self.nearest(flat.detach(), return_distance=True)
        if self.ema and self.training:
            self._ema_update(flat.detach(), idx)
        if self.restart_dead_codes and self.training:
            self._restart_dead(flat.detach(), idx, dist)
        zq = self.codebook()[idx]
        losses = dict(
            loss_codebook=F.mse_loss(zq, flat.detach()) if not self.ema else flat.new_zeros(()),
            loss_commit=self.beta * F.mse_loss(flat, zq.detach()))
        zq = flat + (zq - flat).detach()  # straight-through estimator
        return zq.view(b, h, w, c).permute(0, 3, 1, 2).contiguous(), losses, idx.view(b, h, w)

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """Codes of ``indices`` (B, H, W) as a (B, C, H, W) latent."""
        return self.codebook()[indices].permute(0, 3, 1, 2).contiguous()

    @staticmethod
    def perplexity(indices: torch.Tensor, num_codes: int) -> torch.Tensor:
        """``exp(entropy)`` of the code usage in ``indices`` (1 = one code used, K = uniform use)."""
        probs = torch.bincount(indices.flatten(), minlength=num_codes).float() / indices.numel()
        return torch.exp(-(probs * torch.log(probs.clamp_min(1e-10))).sum())
