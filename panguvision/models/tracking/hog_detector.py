"""OpenCV's HOG + linear SVM people detector as an mmdet-style detector: detections without downloaded weights."""
from typing import Optional

import numpy as np
import torch
from mmdet.models.detectors import BaseDetector
from mmengine.structures import InstanceData

from panguvision.registry import MODELS

__all__ = ['HOGPeopleDetector']


@MODELS.register_module()
class HOGPeopleDetector(BaseDetector):
    """Dalal-Triggs pedestrian detector of OpenCV (``cv2.HOGDescriptor_getDefaultPeopleDetector``, shipped inside
    opencv-python), wrapped so that MOT models call it like any mmdet detector: ``predict(batch_inputs,
    batch_data_samples, rescale)`` fills ``pred_instances`` (``bboxes`` (N, 4) xyxy, ``scores`` (N,) in (0, 1),
    ``labels`` 0). No mmdet detector runs without trained weights, hence this wrapper.

    The input is the normalised network tensor; it is mapped back to 0..255 by its own min / max per image (HOG
    normalises every block's gradient histogram, so this affine change does not matter) and downscaled to at most
    ``max_side`` pixels for speed. Scores are ``w / (1 + w)`` of the SVM margin ``w`` after OpenCV's grouping.

    Args:
        max_side: the longer image side the detector runs at (boxes are scaled back).
        win_stride: sliding-window stride in pixels.
        scale: pyramid scale step.
        hit_threshold: SVM margin threshold.
    """

    def __init__(self, max_side: int = 800, win_stride: int = 8, scale: float = 1.05, hit_threshold: float = 0.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=None, init_cfg=init_cfg)
        self.max_side, self.win_stride = int(max_side), int(win_stride)
        self.scale, self.hit_threshold = float(scale), float(hit_threshold)
        self._hog = None

    def _detector(self):
        if self._hog is None:
            import cv2
            self._hog = cv2.HOGDescriptor()
            self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        return self._hog

    def detect_image(self, img: np.ndarray) -> InstanceData:
        """Detect people in one (H, W, 3) uint8 image; boxes in its pixels."""
        import cv2
        h, w = img.shape[:2]
        factor = min(1.0, self.max_side / max(h, w))
        small = cv2.resize(img, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA) if factor < 1 \
            else img
        rects, weights = self._detector().detectMultiScale(
            small, hitThreshold=self.hit_threshold, winStride=(self.win_stride, self.win_stride), scale=self.scale)
        rects = np.asarray(rects, np.float32).reshape(-1, 4) / factor
        weights = np.asarray(weights, np.float32).reshape(-1)
        boxes = np.concatenate([rects[:, :2], rects[:, :2] + rects[:, 2:]], axis=1)
        return InstanceData(bboxes=torch.from_numpy(boxes), scores=torch.from_numpy(weights / (1 + weights)),
                            labels=torch.zeros(len(boxes), dtype=torch.long))

    def predict(self, batch_inputs: torch.Tensor, batch_data_samples, rescale: bool = True):
        """``batch_inputs`` (B, 3, H, W) normalised; fills and returns ``batch_data_samples[i].pred_instances``."""
        for img, sample in zip(batch_inputs, batch_data_samples):
            h, w = sample.metainfo.get('img_shape', img.shape[-2:])[:2]
            x = img[:, :h, :w].float()
            x = ((x - x.min()) / (x.max() - x.min()).clamp_min(1e-6) * 255).byte().permute(1, 2, 0).cpu().numpy()
            dets = self.detect_image(np.ascontiguousarray(x))
            if rescale and 'scale_factor' in sample.metainfo:
                dets.bboxes = dets.bboxes / dets.bboxes.new_tensor(sample.metainfo['scale_factor']).repeat(2)
            sample.pred_instances = dets.to(img.device)
        return batch_data_samples

    def loss(self, batch_inputs, batch_data_samples):
        raise NotImplementedError('HOGPeopleDetector uses OpenCV\'s fixed SVM: it has nothing to train')

    def _forward(self, batch_inputs, batch_data_samples=None):
        raise NotImplementedError('HOGPeopleDetector has no tensor mode')

    def extract_feat(self, batch_inputs):
        raise NotImplementedError('HOGPeopleDetector has no feature maps')
