"""Building segment-anything models: the released ViT-B/L/H shapes with weights from a local file, or a tiny random
SAM (``model_type='tiny'``) for tests and CPU smoke runs. ``segment_anything`` is imported inside the functions."""
import os.path as osp
from functools import partial
from typing import Optional

import torch

from panguvision.utils.checkpoint import load_weights_file

#: Image-encoder shapes of the released SAM models (segment-anything's ``build_sam.py``) and of the tiny test model.
SAM_ENCODER_ARCHS = {
    'vit_b': dict(embed_dim=768, depth=12, num_heads=12, global_attn_indexes=(2, 5, 8, 11), img_size=1024,
                  window_size=14, out_chans=256),
    'vit_l': dict(embed_dim=1024, depth=24, num_heads=16, global_attn_indexes=(5, 11, 17, 23), img_size=1024,
                  window_size=14, out_chans=256),
    'vit_h': dict(embed_dim=1280, depth=32, num_heads=16, global_attn_indexes=(7, 15, 23, 31), img_size=1024,
                  window_size=14, out_chans=256),
    'tiny': dict(embed_dim=32, depth=2, num_heads=2, global_attn_indexes=(1, ), img_size=64, window_size=4,
                 out_chans=32),
}


def build_sam_image_encoder(model_type: str = 'vit_b', **overrides) -> torch.nn.Module:
    """segment-anything's ``ImageEncoderViT`` with the shape of ``model_type`` (keys of ``SAM_ENCODER_ARCHS``).

    The encoder maps ``(B, 3, img_size, img_size)`` normalised RGB to ``(B, out_chans, img_size/16, img_size/16)``.
    """
    from segment_anything.modeling import ImageEncoderViT
    if model_type not in SAM_ENCODER_ARCHS:
        raise KeyError(f'unknown SAM model_type {model_type!r}; expected one of {sorted(SAM_ENCODER_ARCHS)}')
    arch = dict(SAM_ENCODER_ARCHS[model_type], **overrides)
    return ImageEncoderViT(
        depth=arch['depth'], embed_dim=arch['embed_dim'], img_size=arch['img_size'], mlp_ratio=4,
        norm_layer=partial(torch.nn.LayerNorm, eps=1e-6), num_heads=arch['num_heads'], patch_size=16, qkv_bias=True,
        use_rel_pos=True, global_attn_indexes=tuple(arch['global_attn_indexes']), window_size=arch['window_size'],
        out_chans=arch['out_chans'])


def build_sam_model(model_type: str = 'vit_b', checkpoint: Optional[str] = None, seed: int = 0) -> torch.nn.Module:
    """A full ``segment_anything.modeling.Sam`` (encoder, prompt encoder, mask decoder) in eval mode.

    Args:
        model_type: ``vit_b`` | ``vit_l`` | ``vit_h`` (the released shapes) or ``tiny`` (64x64 input, 32 channels,
            random weights drawn from ``seed``: for tests; its masks are meaningless).
        checkpoint: a released SAM weights file (``sam_vit_b_01ec64.pth`` ...) or safetensors, loaded strictly with
            the project's weights-only policy. Required for the released shapes.
    """
    from segment_anything.modeling import MaskDecoder, PromptEncoder, Sam, TwoWayTransformer
    if model_type != 'tiny' and checkpoint is None:
        raise ValueError(f'SAM {model_type}: give --sam-checkpoint / checkpoint= (a local weights file); weights '
                         'are never downloaded. model_type="tiny" builds a random test model without one.')
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'SAM checkpoint not found: {checkpoint}')
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        encoder = build_sam_image_encoder(model_type)
        arch = SAM_ENCODER_ARCHS[model_type]
        dim, size = arch['out_chans'], arch['img_size']
        tiny = model_type == 'tiny'
        sam = Sam(
            image_encoder=encoder,
            prompt_encoder=PromptEncoder(embed_dim=dim, image_embedding_size=(size // 16, size // 16),
                                         input_image_size=(size, size), mask_in_chans=4 if tiny else 16),
            mask_decoder=MaskDecoder(
                num_multimask_outputs=3,
                transformer=TwoWayTransformer(depth=1 if tiny else 2, embedding_dim=dim, mlp_dim=64 if tiny else 2048,
                                              num_heads=2 if tiny else 8),
                transformer_dim=dim, iou_head_depth=3, iou_head_hidden_dim=32 if tiny else 256),
            pixel_mean=[123.675, 116.28, 103.53],
            pixel_std=[58.395, 57.12, 57.375])
    if checkpoint is not None:
        state = load_weights_file(checkpoint)
        missing, unexpected = sam.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise RuntimeError(f'{checkpoint}: does not fit SAM {model_type}: missing {missing[:5]}, '
                               f'unexpected {unexpected[:5]}')
    return sam.eval()


def load_sam_encoder_weights(encoder: torch.nn.Module, checkpoint: str) -> None:
    """Load the ``image_encoder.*`` entries of a released SAM weights file (or a bare encoder state dict) strictly."""
    state = load_weights_file(checkpoint)
    if any(k.startswith('image_encoder.') for k in state):
        state = {k[len('image_encoder.'):]: v for k, v in state.items() if k.startswith('image_encoder.')}
    missing, unexpected = encoder.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise RuntimeError(f'{checkpoint}: does not fit the SAM image encoder: missing {missing[:5]}, '
                           f'unexpected {unexpected[:5]}')
