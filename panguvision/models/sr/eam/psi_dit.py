"""EAM's Psi-DiT: an MM-DiT (SD3 family) with a third stream for the low-resolution latent.

The text and noisy-latent streams are those of a pre-trained ``diffusers.SD3Transformer2DModel`` and stay frozen. In
every joint-attention block a new LR stream (its own AdaLN-Zero modulation, q/k/v/out projections, optional q/k norms
and feed-forward, all initialised as copies of the noisy stream's) reads the LR latent: its queries attend to the keys
and values of all three streams. Its attention output is added to the noisy stream after the block through a
zero-initialised linear layer, so at initialisation the model computes exactly the base model's output and the LR
control is learned from there (the ControlNet principle). The noisy and text streams do not attend to the LR tokens:
the control flows into them only through the merge layers, which is what keeps the initial output exact.

The LR latent has the noisy latent's shape (the VAE latent of the LR image upsampled to the output size), so LR and
noisy tokens are aligned one to one. EAM's progressive masked image modelling and its MLLM prompts are training-side
and not part of this module.

Written here because diffusers has no three-stream joint attention; the base blocks are diffusers' own
``JointTransformerBlock`` s, called unchanged.
"""
import copy
from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from torch import nn

from panguvision.registry import MODELS

__all__ = ['PsiDiT', 'LRStream', 'tiny_sd3_config']


def tiny_sd3_config() -> dict:
    """A small random ``SD3Transformer2DModel`` configuration for tests and smoke runs (4-channel 16x16 latents)."""
    return dict(sample_size=16, patch_size=2, in_channels=4, num_layers=2, attention_head_dim=8, num_attention_heads=2,
                joint_attention_dim=32, caption_projection_dim=16, pooled_projection_dim=24, out_channels=4,
                pos_embed_max_size=16)


def _heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """``(B, N, heads * d)`` -> ``(B, heads, N, d)``."""
    b, n, c = x.shape
    return x.view(b, n, heads, c // heads).transpose(1, 2)


def _copy(module: Optional[nn.Module]) -> Optional[nn.Module]:
    return copy.deepcopy(module) if module is not None else None


class LRStream(nn.Module):
    """The LR stream of one joint-attention block, its weights copied from the block's noisy stream, plus the
    zero-initialised merge projection ``dim -> dim``."""

    def __init__(self, block: nn.Module) -> None:
        super().__init__()
        if getattr(block, 'use_dual_attention', False):
            raise NotImplementedError('PsiDiT: blocks with dual attention (SD3.5 "attn2") are not supported yet')
        attn = block.attn
        self.heads = attn.heads
        self.norm1 = copy.deepcopy(block.norm1)
        self.to_q, self.to_k, self.to_v = (copy.deepcopy(attn.to_q), copy.deepcopy(attn.to_k),
                                           copy.deepcopy(attn.to_v))
        self.norm_q, self.norm_k = _copy(attn.norm_q), _copy(attn.norm_k)
        self.to_out = copy.deepcopy(attn.to_out[0])
        self.norm2 = copy.deepcopy(block.norm2)
        self.ff = copy.deepcopy(block.ff)
        dim = self.to_out.out_features
        self.merge = nn.Linear(dim, dim)
        nn.init.zeros_(self.merge.weight)
        nn.init.zeros_(self.merge.bias)

    def _qkv(self, x: torch.Tensor):
        q, k, v = (_heads(proj(x), self.heads) for proj in (self.to_q, self.to_k, self.to_v))
        if self.norm_q is not None:
            q = self.norm_q(q)
        if self.norm_k is not None:
            k = self.norm_k(k)
        return q, k, v

    @staticmethod
    def _base_keys_values(block: nn.Module, hidden: torch.Tensor, context: torch.Tensor, temb: torch.Tensor):
        """Keys and values of the noisy and text streams, as ``block.attn`` computes them."""
        attn = block.attn
        norm_hidden = block.norm1(hidden, emb=temb)[0]
        if block.context_pre_only:
            norm_context = block.norm1_context(context, temb)
        else:
            norm_context = block.norm1_context(context, emb=temb)[0]
        k_x, v_x = _heads(attn.to_k(norm_hidden), attn.heads), _heads(attn.to_v(norm_hidden), attn.heads)
        k_c, v_c = _heads(attn.add_k_proj(norm_context), attn.heads), _heads(attn.add_v_proj(norm_context), attn.heads)
        if attn.norm_k is not None:
            k_x = attn.norm_k(k_x)
        if attn.norm_added_k is not None:
            k_c = attn.norm_added_k(k_c)
        return (k_x, v_x), (k_c, v_c)

    def forward(self, block: nn.Module, hidden: torch.Tensor, context: torch.Tensor, lr: torch.Tensor,
                temb: torch.Tensor):
        """One Psi-DiT block: the base ``block`` on (noisy ``hidden`` ``(B, N, D)``, text ``context`` ``(B, T, D)``)
        plus this LR stream on ``lr`` ``(B, N, D)``; returns ``(context, hidden, lr)`` (``context`` is ``None`` after
        the last block, as in diffusers)."""
        (k_x, v_x), (k_c, v_c) = self._base_keys_values(block, hidden, context, temb)
        norm_lr, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.norm1(lr, emb=temb)
        q_l, k_l, v_l = self._qkv(norm_lr)
        out = F.scaled_dot_product_attention(q_l, torch.cat([k_x, k_l, k_c], dim=2), torch.cat([v_x, v_l, v_c], dim=2))
        out = self.to_out(out.transpose(1, 2).reshape(lr.shape[0], -1, out.shape[1] * out.shape[3]))
        lr = lr + gate_msa.unsqueeze(1) * out
        lr = lr + gate_mlp.unsqueeze(1) * self.ff(self.norm2(lr) * (1 + scale_mlp[:, None]) + shift_mlp[:, None])
        context, hidden = block(hidden_states=hidden, encoder_hidden_states=context, temb=temb)
        return context, hidden + self.merge(out), lr


@MODELS.register_module()
class PsiDiT(nn.Module):
    """Psi-DiT over a ``diffusers.SD3Transformer2DModel`` (frozen) with one trainable :class:`LRStream` per block.

    Args:
        base: the pre-trained transformer, or its config dict (``SD3Transformer2DModel(**base)``, random weights;
            :func:`tiny_sd3_config` gives a small one).
        freeze_base: stop gradients into the base model (the published recipe trains only the LR streams).
    """

    def __init__(self, base: Union[dict, nn.Module], freeze_base: bool = True) -> None:
        super().__init__()
        if isinstance(base, dict):
            from diffusers import SD3Transformer2DModel  # heavy optional dependency: imported on use
            base = SD3Transformer2DModel(**base)
        self.base = base
        if freeze_base:
            self.base.requires_grad_(False)
        self.lr_pos_embed = copy.deepcopy(base.pos_embed)  # patch embedding of the LR latent, copied
        self.lr_streams = nn.ModuleList(LRStream(block) for block in base.transformer_blocks)
        # The copies inherit the base's requires_grad; the new streams always train.
        self.lr_pos_embed.requires_grad_(True)
        self.lr_streams.requires_grad_(True)

    def trainable_parameters(self) -> List[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def forward(self, hidden_states: torch.Tensor, lr_latent: torch.Tensor, encoder_hidden_states: torch.Tensor,
                pooled_projections: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        """Predict the base model's target (velocity for SD3) for the noisy latent.

        Args:
            hidden_states: noisy latent ``(B, C, H, W)``.
            lr_latent: LR latent, same shape as ``hidden_states``.
            encoder_hidden_states: text tokens ``(B, T, joint_attention_dim)``.
            pooled_projections: pooled text embedding ``(B, pooled_projection_dim)``.
            timestep: ``(B,)`` diffusion timesteps.

        Returns:
            ``(B, out_channels, H, W)``.
        """
        if lr_latent.shape != hidden_states.shape:
            raise ValueError(f'PsiDiT: lr_latent {tuple(lr_latent.shape)} must have the noisy latent\'s shape '
                             f'{tuple(hidden_states.shape)} (upsample the LR image before encoding it)')
        base = self.base
        height, width = hidden_states.shape[-2:]
        hidden = base.pos_embed(hidden_states).contiguous()
        lr = self.lr_pos_embed(lr_latent).contiguous()
        temb = base.time_text_embed(timestep, pooled_projections)
        context = base.context_embedder(encoder_hidden_states)
        for block, stream in zip(base.transformer_blocks, self.lr_streams):
            context, hidden, lr = stream(block, hidden, context, lr, temb)
        hidden = base.proj_out(base.norm_out(hidden, temb))
        # Unpatchify (B, h * w, p * p * C) -> (B, C, h * p, w * p), as the base model does.
        p, c = base.config.patch_size, base.out_channels
        h, w = height // p, width // p
        hidden = hidden.reshape(hidden.shape[0], h, w, p, p, c)
        return torch.einsum('nhwpqc->nchpwq', hidden).reshape(hidden.shape[0], c, h * p, w * p)
