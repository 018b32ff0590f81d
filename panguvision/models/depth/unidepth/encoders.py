"""Image encoders of UniDepth, built from timm model classes (random initialisation, optional local weights file).

Both return multi-level features ``[(B, C_i, h_i, w_i)]`` and one global token per level ``[(B, C_i)]``:

- :class:`TimmViTEncoder`: a ``timm`` ``VisionTransformer`` (ViT-L/14 = DINOv2 geometry in the full model); the
  outputs of ``out_indices`` blocks at stride ``patch_size``; the class token of each of those blocks;
- :class:`TimmConvNeXtEncoder`: a ``timm`` ConvNeXt; its stage outputs (strides 4, 8, 16, 32) and their global
  average pools.

Pretrained weights are never downloaded: ``weights`` names a local file (``.pth`` / ``.safetensors``, read weights-only
by :func:`panguvision.utils.checkpoint.load_weights_file`) loaded strictly into the timm model.
"""
from typing import List, Optional, Sequence, Tuple

import torch
from torch import nn

from panguvision.registry import MODELS

__all__ = ['TimmViTEncoder', 'TimmConvNeXtEncoder']


def _load_local_weights(model: nn.Module, path: str, ignore: Sequence[str] = ()) -> None:
    """Load a local weights file strictly into ``model`` (keys in ``ignore`` are dropped first)."""
    from panguvision.utils.checkpoint import load_weights_file
    state = {k: v for k, v in load_weights_file(path).items() if k not in ignore}
    expected = model.state_dict()
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    bad = sorted(k for k in set(expected) & set(state) if expected[k].shape != state[k].shape)
    if missing or unexpected or bad:
        raise KeyError(f'{path}: does not match {type(model).__name__}: missing {missing[:5]} ({len(missing)}), '
                       f'unexpected {unexpected[:5]} ({len(unexpected)}), shape mismatch {bad[:5]} ({len(bad)})')
    model.load_state_dict(state, strict=True)


@MODELS.register_module()
class TimmViTEncoder(nn.Module):
    """timm ``VisionTransformer`` with dynamic image size (position embeddings interpolated to any ``h x w`` grid).

    Args:
        embed_dim, depth, num_heads, patch_size, mlp_ratio, init_values: the ViT geometry (ViT-L/14: 1024, 24, 16,
            14, 4, LayerScale 1e-5 as DINOv2).
        img_size: the size the position embedding is defined at (DINOv2: 518).
        out_indices: blocks whose outputs are returned (ViT-L: 5, 11, 17, 23).
        weights: optional local weights file of the timm model (e.g. converted DINOv2 weights).
        **kwargs: other ``VisionTransformer`` arguments.

    Input ``(B, 3, H, W)`` with ``H, W`` multiples of ``patch_size``; output feature maps ``(B, embed_dim, H / p,
    W / p)`` and tokens ``(B, embed_dim)``.
    """

    def __init__(self, embed_dim: int = 1024, depth: int = 24, num_heads: int = 16, patch_size: int = 14,
                 img_size: int = 518, mlp_ratio: float = 4.0, init_values: Optional[float] = 1e-5,
                 out_indices: Sequence[int] = (5, 11, 17, 23), weights: Optional[str] = None, **kwargs) -> None:
        super().__init__()
        from timm.models.vision_transformer import VisionTransformer
        self.vit = VisionTransformer(img_size=img_size, patch_size=patch_size, embed_dim=embed_dim, depth=depth,
                                     num_heads=num_heads, mlp_ratio=mlp_ratio, init_values=init_values,
                                     num_classes=0, dynamic_img_size=True, **kwargs)
        if any(not 0 <= i < depth for i in out_indices):
            raise ValueError(f'TimmViTEncoder: out_indices {list(out_indices)} outside 0..{depth - 1}')
        self.out_indices = list(out_indices)
        self.embed_dims = [embed_dim] * len(self.out_indices)
        self.size_divisor = patch_size
        if weights:
            _load_local_weights(self.vit, weights, ignore=('mask_token', ))

    def forward(self, x: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        outs = self.vit.forward_intermediates(x, indices=self.out_indices, return_prefix_tokens=True,
                                              intermediates_only=True)
        return [feat for feat, _ in outs], [prefix[:, 0] for _, prefix in outs]


@MODELS.register_module()
class TimmConvNeXtEncoder(nn.Module):
    """timm ConvNeXt (``timm.create_model(model_name, pretrained=False, **kwargs)``; ConvNeXt-L: ``convnext_large``).

    Output: the four stage outputs ``(B, dims[i], H / 2^(i+2), W / 2^(i+2))`` and their spatial means ``(B, dims[i])``.
    Input sides must be multiples of 32.
    """

    def __init__(self, model_name: str = 'convnext_large', weights: Optional[str] = None, **kwargs) -> None:
        super().__init__()
        import timm
        self.convnext = timm.create_model(model_name, pretrained=False, num_classes=0, **kwargs)
        self.embed_dims = [int(info['num_chs']) for info in self.convnext.feature_info]
        self.size_divisor = 32
        if weights:
            _load_local_weights(self.convnext, weights)

    def forward(self, x: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        feats = self.convnext.forward_intermediates(x, intermediates_only=True)
        return list(feats), [f.mean(dim=(2, 3)) for f in feats]
