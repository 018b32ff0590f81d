"""Fusion of class-agnostic masks with rendered semantics, and the mask generators' common interface."""
import numpy as np
import pytest
import torch

from panguvision.models.lidar_seg import SamMaskGenerator, SuperpixelMaskGenerator, fuse_masks_with_semantics


def _probs(h, w, labels, conf=0.9, num_classes=3):
    p = torch.full((num_classes, h, w), (1 - conf) / (num_classes - 1))
    p.scatter_(0, torch.as_tensor(labels)[None], conf)
    return p


def test_majority_vote_fills_the_mask_and_ignores_the_rest():
    h, w = 4, 6
    labels = torch.zeros(h, w, dtype=torch.long)
    labels[:, 3:] = 2
    labels[0, 0] = 1  # one wrong pixel inside the left mask
    left = np.zeros((h, w), bool)
    left[:, :3] = True
    right = np.zeros((h, w), bool)
    right[1:3, 3:5] = True
    out = fuse_masks_with_semantics([left, right], _probs(h, w, labels), mode='majority', threshold=0.5)
    assert (out['labels'][:, :3] == 0).all()  # the outlier is out-voted
    assert (out['labels'][1:3, 3:5] == 2).all()
    uncovered = ~torch.as_tensor(left | right)
    assert (out['labels'][uncovered] == 255).all() and (out['confidence'][uncovered] == 0).all()
    assert abs(float(out['confidence'][0, 0]) - 11 / 12) < 1e-6


def test_confidence_vote_threshold_and_valid_pixels():
    h, w = 2, 4
    mask = np.ones((h, w), bool)
    # half the pixels say class 0 with 0.9, half class 1 with 0.6: confidence-weighted -> class 0 (mean prob 0.55)
    labels = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1]])
    probs = _probs(h, w, labels, conf=0.9)
    probs[:, :, 2:] = _probs(h, 2, labels[:, 2:], conf=0.6)
    out = fuse_masks_with_semantics([mask], probs, mode='confidence', threshold=0.5)
    assert (out['labels'] == 0).all() and abs(float(out['confidence'][0, 0]) - (0.9 + 0.2) / 2) < 1e-6
    assert (fuse_masks_with_semantics([mask], probs, mode='confidence', threshold=0.6)['labels'] == 255).all()
    # only valid (rendered) pixels vote: with the class-0 half invalid, class 1 wins
    valid = torch.zeros(h, w, dtype=torch.bool)
    valid[:, 2:] = True
    assert (fuse_masks_with_semantics([mask], probs, valid, threshold=0.5)['labels'] == 1).all()
    # a mask without a valid pixel stays ignored
    none = torch.zeros(h, w, dtype=torch.bool)
    assert (fuse_masks_with_semantics([mask], probs, none)['labels'] == 255).all()


def test_smaller_mask_wins_where_masks_overlap_and_bad_input_is_refused():
    h, w = 3, 3
    big = np.ones((h, w), bool)
    small = np.zeros((h, w), bool)
    small[1, 1] = True
    labels = torch.zeros(h, w, dtype=torch.long)
    labels[1, 1] = 2
    out = fuse_masks_with_semantics([small, big], _probs(h, w, labels), mode='majority', threshold=0.5)
    assert int(out['labels'][1, 1]) == 2 and int(out['labels'][0, 0]) == 0
    with pytest.raises(ValueError, match='mask 0 has shape'):
        fuse_masks_with_semantics([np.ones((2, 2), bool)], _probs(h, w, labels))
    with pytest.raises(ValueError, match='mode'):
        fuse_masks_with_semantics([big], _probs(h, w, labels), mode='mean')


def test_mask_generators_share_sams_output_format():
    rng = np.random.default_rng(0)
    image = np.zeros((32, 48, 3), np.uint8)
    image[:, 24:] = (200, 30, 30)
    image = np.clip(image + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8)
    masks = SuperpixelMaskGenerator(scale=200, min_size=20)(image)
    assert len(masks) >= 2 and all(m['segmentation'].shape == (32, 48) for m in masks)
    total = np.sum([m['segmentation'] for m in masks], 0)
    assert (total == 1).all()  # a partition of the image
    assert not any(m['segmentation'][:, 23:25].all() for m in masks)  # no segment crosses the colour edge
    # the real SamAutomaticMaskGenerator, on a tiny randomly initialised SAM (wiring only: its masks are noise)
    sam = SamMaskGenerator(tiny_random=True, points_per_side=4, pred_iou_thresh=0.0, stability_score_thresh=0.0)
    for m in sam(image):
        assert m['segmentation'].shape == (32, 48) and m['segmentation'].dtype == bool
        assert m['area'] == int(m['segmentation'].sum())
    with pytest.raises(FileNotFoundError, match='SAM checkpoint not found'):
        SamMaskGenerator(checkpoint='/nonexistent/sam_vit_b.pth')
