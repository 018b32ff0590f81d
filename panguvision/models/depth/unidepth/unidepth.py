"""UniDepth (V1): universal monocular metric depth estimation (Piccinelli et al., CVPR 2024)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from panguvision.registry import MODELS
from .depth_head import merge_log_depths
from .geometry import generate_rays, rays_to_angles, scale_intrinsics, spherical_to_points

__all__ = ['UniDepthV1']


def _resize(x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    down = size[0] < x.shape[-2] or size[1] < x.shape[-1]
    return F.interpolate(x, size=size, mode='bilinear', align_corners=False, antialias=down)


@MODELS.register_module()
class UniDepthV1(BaseModel):
    """Monocular metric depth and camera from one image.

    The encoder (``backbone``) gives multi-level features; the decoder's camera module predicts ``K``; the rays of
    ``K`` (or of a known camera) condition the depth module, whose log-depth output is combined with the rays'
    angles into the pseudo-spherical representation ``(azimuth, elevation, log Z)`` and from there into 3-D points.

    Training (``loss``): inputs ``(N, 3, H, W)`` or two views ``(N, V, 3, H, W)`` (``PackDepthViews``), sides
    multiples of the encoder's ``size_divisor``; ground truth ``gt_depth`` and metainfo ``intrinsics`` (and
    ``view_affine`` for views). Losses: ``loss_silog`` (SILog on the log-depth), ``loss_camera`` (ray angles of the
    predicted vs. true K) and, with two views, ``loss_invariance`` (geometric invariance between the views). With
    ``train_cfg.use_gt_camera`` (default) the depth module is conditioned on the true rays while the camera module
    learns from its own loss, as in the paper.

    Inference (``predict`` / :meth:`infer`): any input size; it is resized to ``test_cfg.image_shape`` (fit inside,
    aspect kept) or to the nearest multiples of ``size_divisor``, and depth / intrinsics are mapped back.
    ``test_cfg.use_gt_intrinsics`` conditions on the dataset's K instead of predicting it (default: predict).

    Args:
        backbone: encoder config (``TimmViTEncoder`` / ``TimmConvNeXtEncoder``).
        decoder: ``UniDepthV1Decoder`` config; ``in_dims`` is filled in from the encoder.
        depth_loss, invariance_loss, camera_loss: loss configs (``None`` disables one).
        data_preprocessor: defaults to ``DepthDataPreprocessor`` (ImageNet mean / std).
        train_cfg: ``dict(use_gt_camera=True)``.
        test_cfg: ``dict(image_shape=None, use_gt_intrinsics=False)``.
    """
    task = 'depth'

    def __init__(self,
                 backbone: dict,
                 decoder: dict,
                 depth_loss: Optional[dict] = dict(type='SILogLoss', loss_weight=1.0),
                 invariance_loss: Optional[dict] = dict(type='GeometricInvarianceLoss', loss_weight=0.1),
                 camera_loss: Optional[dict] = dict(type='CameraRayLoss', loss_weight=0.25),
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='panguvision.DepthDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        decoder = dict(decoder)
        decoder.setdefault('type', 'panguvision.UniDepthV1Decoder')
        decoder.setdefault('in_dims', list(self.backbone.embed_dims))
        self.decoder = MODELS.build(decoder)
        self.depth_loss = MODELS.build(depth_loss) if depth_loss else None
        self.invariance_loss = MODELS.build(invariance_loss) if invariance_loss else None
        self.camera_loss = MODELS.build(camera_loss) if camera_loss else None
        self.train_cfg = {'use_gt_camera': True, **(train_cfg or {})}
        self.test_cfg = {'image_shape': None, 'use_gt_intrinsics': False, **(test_cfg or {})}
        self.size_divisor = int(self.backbone.size_divisor)

    # ------------------------------------------------------------------ core
    def encode_decode(self, img: torch.Tensor, intrinsics: Optional[torch.Tensor] = None) -> Dict[str, object]:
        """Network on a normalised ``(B, 3, H, W)`` batch whose sides are multiples of ``size_divisor``.

        Returns ``decoder`` outputs plus ``log_depth`` ``(B, 1, H, W)`` (mean of the three scales, log metres).
        """
        H, W = img.shape[-2:]
        if H % self.size_divisor or W % self.size_divisor:
            raise ValueError(f'UniDepthV1: input {H}x{W} is not a multiple of {self.size_divisor} (encoder stride); '
                             'crop training images to such a size')
        feats, tokens = self.backbone(img)
        out = self.decoder(feats, tokens, (H, W), intrinsics)
        out['log_depth'] = merge_log_depths(out['log_depths'], (H, W))
        return out

    def network_shape(self, shape: Tuple[int, int]) -> Tuple[int, int]:
        """The ``(h, w)`` an ``(H, W)`` input is resized to: inside ``test_cfg.image_shape`` when set (aspect kept),
        then rounded to multiples of ``size_divisor``."""
        H, W = shape
        target = self.test_cfg.get('image_shape')
        ratio = 1.0 if not target else min(target[0] / H, target[1] / W)
        d = self.size_divisor
        return max(d, int(round(H * ratio / d)) * d), max(d, int(round(W * ratio / d)) * d)

    @torch.no_grad()
    def infer(self, img: torch.Tensor, intrinsics: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Depth, points and camera of a normalised ``(B, 3, H, W)`` batch of any size.

        Args:
            img: output of the data preprocessor.
            intrinsics: optional known ``(B, 3, 3)`` K of the input (pixels).

        Returns:
            ``depth`` ``(B, 1, H, W)`` metres; ``points`` ``(B, 3, H, W)`` metres, camera frame; ``intrinsics``
            ``(B, 3, 3)`` used for the points (given or predicted); ``pred_intrinsics`` ``(B, 3, 3)`` predicted.
        """
        H, W = img.shape[-2:]
        h, w = self.network_shape((H, W))
        net_K = None if intrinsics is None else scale_intrinsics(intrinsics.float(), w / W, h / H)
        out = self.encode_decode(_resize(img, (h, w)), net_K)
        log_depth = _resize(out['log_depth'], (H, W))
        pred_K = scale_intrinsics(out['intrinsics'], W / w, H / h)
        K = pred_K if intrinsics is None else intrinsics.to(pred_K)
        angles = rays_to_angles(generate_rays(K, (H, W))).permute(0, 3, 1, 2)
        points = spherical_to_points(torch.cat([angles, log_depth], dim=1))
        return dict(depth=log_depth.exp(), points=points, intrinsics=K, pred_intrinsics=pred_K)

    # ------------------------------------------------------------------ mmengine modes
    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.infer(inputs)['depth']
        raise RuntimeError(f'Invalid mode "{mode}"; expected "loss", "predict" or "tensor"')

    @staticmethod
    def _sample_intrinsics(sample: BaseDataElement, views: int) -> torch.Tensor:
        K = torch.as_tensor(sample.metainfo['intrinsics'], dtype=torch.float32)
        return K.reshape(views, 3, 3)

    def loss(self, inputs: torch.Tensor, data_samples: Sequence[BaseDataElement]) -> Dict[str, torch.Tensor]:
        views = inputs.shape[1] if inputs.ndim == 5 else 1
        B = inputs.shape[0]
        img = inputs.reshape(B * views, *inputs.shape[-3:])
        H, W = img.shape[-2:]
        gt = torch.stack([s.gt_depth.reshape(views, 1, H, W) for s in data_samples]).reshape(B * views, 1, H, W)
        gt_K = torch.cat([self._sample_intrinsics(s, views) for s in data_samples]).to(img.device)
        out = self.encode_decode(img, gt_K if self.train_cfg['use_gt_camera'] else None)
        losses = {}
        if self.depth_loss is not None:
            losses['loss_silog'] = self.depth_loss(out['log_depth'], gt.to(img.dtype))
        if self.camera_loss is not None:
            losses['loss_camera'] = self.camera_loss(out['intrinsics'], gt_K, (H, W))
        if self.invariance_loss is not None and views >= 2:
            affine = torch.stack([torch.as_tensor(s.metainfo['view_affine'], dtype=torch.float32)
                                  for s in data_samples]).to(img.device)  # (B, V, 4)
            log_depth = out['log_depth'].reshape(B, views, 1, H, W)
            losses['loss_invariance'] = self.invariance_loss(log_depth[:, 0], log_depth[:, 1], affine[:, 0],
                                                             affine[:, 1])
        return losses

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[Sequence[BaseDataElement]] = None) -> List[BaseDataElement]:
        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(inputs.shape[0])]
        K = None
        if self.test_cfg['use_gt_intrinsics']:
            missing = [i for i, s in enumerate(data_samples) if 'intrinsics' not in s.metainfo]
            if missing:
                raise KeyError(f'test_cfg.use_gt_intrinsics is set but samples {missing} carry no "intrinsics"')
            K = torch.stack([self._sample_intrinsics(s, 1)[0] for s in data_samples]).to(inputs.device)
        out = self.infer(inputs, K)
        for i, sample in enumerate(data_samples):
            sample.pred_depth = out['depth'][i]
            sample.pred_intrinsics = out['pred_intrinsics'][i]
        return list(data_samples)

    def benchmark_batch(self, batch_size: int, size: Tuple[int, int],
                        generator: torch.Generator) -> Dict[str, Union[list, torch.Tensor]]:
        """Random batch for ``tools/analysis_tools/benchmark.py``: ``(3, h, w)`` RGB in ``[0, 255]``, depth in
        ``[1, 10]`` m and a 60-degree-FOV K per sample (as ``PackDepthInputs`` packs them)."""
        h, w = size
        f = 0.5 * w / 0.5773502691896257  # tan(30 deg)
        K = [[f, 0.0, (w - 1) / 2], [0.0, f, (h - 1) / 2], [0.0, 0.0, 1.0]]
        inputs, samples = [], []
        for _ in range(batch_size):
            inputs.append(torch.rand(3, h, w, generator=generator) * 255)
            gt = 1 + 9 * torch.rand(1, h, w, generator=generator)
            samples.append(BaseDataElement(gt_depth=gt, metainfo=dict(intrinsics=K, img_shape=(h, w))))
        return dict(inputs=inputs, data_samples=samples)
