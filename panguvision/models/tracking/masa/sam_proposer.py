"""SAM "segment everything" masks as box proposals: the region source of MASA's training data and of its SAM-only
"track anything" mode."""
from typing import Optional

import numpy as np
import torch
from mmengine.structures import InstanceData

from panguvision.models.sam_utils import build_sam_model
from panguvision.registry import TASK_UTILS


def masks_to_instances(records: list, min_area: int = 1) -> InstanceData:
    """``SamAutomaticMaskGenerator.generate`` records -> ``InstanceData`` (sorted by predicted IoU, best first).

    Returns bboxes ``(N, 4)`` float32 xyxy pixels (a mask covering columns ``x0..x1`` gives ``x1 + 1`` on the right),
    scores ``(N,)`` = SAM's predicted IoU, ``stability_scores (N,)``, labels ``(N,)`` zeros, masks ``(N, H, W)`` bool.
    Masks smaller than ``min_area`` pixels are dropped.
    """
    records = sorted((r for r in records if int(r['area']) >= min_area), key=lambda r: -float(r['predicted_iou']))
    boxes = [[r['bbox'][0], r['bbox'][1], r['bbox'][0] + r['bbox'][2], r['bbox'][1] + r['bbox'][3]] for r in records]
    out = InstanceData()
    out.bboxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    out.scores = torch.tensor([float(r['predicted_iou']) for r in records], dtype=torch.float32)
    out.stability_scores = torch.tensor([float(r['stability_score']) for r in records], dtype=torch.float32)
    out.labels = torch.zeros(len(records), dtype=torch.long)
    if records and isinstance(records[0]['segmentation'], np.ndarray):
        out.masks = torch.from_numpy(np.stack([r['segmentation'] for r in records]))
    return out


@TASK_UTILS.register_module()
class SAMAutoMaskProposer:
    """Runs segment-anything's ``SamAutomaticMaskGenerator`` on an image and returns its masks as boxes.

    Args:
        model_type: ``vit_b`` | ``vit_l`` | ``vit_h`` (needs ``checkpoint``, a local file) or ``tiny`` (random).
        checkpoint: SAM weights file.
        max_proposals: keep at most this many masks (best predicted IoU first).
        min_area: drop masks smaller than this (pixels).
        generator_cfg: keyword arguments of ``SamAutomaticMaskGenerator`` (points_per_side, pred_iou_thresh,
            stability_score_thresh, box_nms_thresh, min_mask_region_area, ...).

    Call: ``proposer(img)`` with ``img`` an ``(H, W, 3)`` uint8 RGB image -> ``InstanceData`` (see
    :func:`masks_to_instances`), boxes in the pixels of ``img``. SAM runs on the device of the last ``to(device)``.
    """

    def __init__(self, model_type: str = 'vit_b', checkpoint: Optional[str] = None, max_proposals: int = 100,
                 min_area: int = 16, generator_cfg: Optional[dict] = None, device: str = 'cpu'):
        from segment_anything import SamAutomaticMaskGenerator
        self.sam = build_sam_model(model_type, checkpoint).to(device)
        self.generator = SamAutomaticMaskGenerator(self.sam, **(generator_cfg or {}))
        self.max_proposals = max_proposals
        self.min_area = min_area

    def to(self, device) -> 'SAMAutoMaskProposer':
        self.sam.to(device)
        return self

    @torch.no_grad()
    def __call__(self, img: np.ndarray) -> InstanceData:
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f'SAMAutoMaskProposer expects an (H, W, 3) uint8 RGB image, got {img.shape} {img.dtype}')
        return masks_to_instances(self.generator.generate(img), self.min_area)[:self.max_proposals]
