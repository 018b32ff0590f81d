"""Transforms for MASA's two-view pseudo-videos: a random affine that keeps instance ids in step with the boxes, and
a mix-up that blends both views with the same second image."""
import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import RandomAffine
from mmdet.structures.bbox import autocast_box_type

from panguvision.registry import TRANSFORMS


@TRANSFORMS.register_module()
class MASARandomAffine(RandomAffine):
    """mmdet's ``RandomAffine`` (rotation, scale, shear, translation) for tracking data.

    mmdet's version drops boxes that leave the image but not their ``gt_instances_ids``; this one filters the ids
    too, drops boxes smaller than ``min_bbox_size`` pixels after the warp, and records the 3x3 ``warp_matrix`` it
    applied (``[x', y', 1]^T ~ M [x, y, 1]^T`` in pixels) in ``results['warp_matrix']``.
    Inside ``TransformBroadcaster(share_random_params=False)`` every view gets its own random warp.
    """

    def __init__(self, *args, min_bbox_size: float = 2.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.min_bbox_size = min_bbox_size

    @autocast_box_type()
    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[0] + self.border[1] * 2, img.shape[1] + self.border[0] * 2
        warp = self._get_random_homography_matrix(height, width)
        results['img'] = cv2.warpPerspective(img, warp, dsize=(width, height), borderValue=self.border_val)
        results['img_shape'] = results['img'].shape[:2]
        results['warp_matrix'] = warp
        bboxes = results.get('gt_bboxes')
        if bboxes is not None and len(bboxes):
            bboxes.project_(warp)
            if self.bbox_clip_border:
                bboxes.clip_([height, width])
            valid = bboxes.is_inside([height, width]).numpy()
            valid &= ((bboxes.widths >= self.min_bbox_size) & (bboxes.heights >= self.min_bbox_size)).numpy()
            results['gt_bboxes'] = bboxes[valid]
            for key in ('gt_bboxes_labels', 'gt_ignore_flags', 'gt_instances_ids'):
                if key in results:
                    results[key] = results[key][valid]
        return results


@TRANSFORMS.register_module()
class PseudoVideoMixUp(BaseTransform):
    """Blend a view with the second image the dataset attached (``mix_img_path``, ``mix_instances``; see
    ``MASAPseudoVideoDataset(mixup_prob=...)``) and add that image's boxes, labels and ids.

    Both views of a pseudo-video carry the same second image, so its objects are positives across the views as well.
    The second image is resized to the first one's size; pixels become ``(1 - ratio) * img + ratio * mix``.
    Use after ``LoadImageFromFile`` and ``LoadTrackAnnotations`` and before the geometric augmentations.
    """

    def __init__(self, ratio: float = 0.5):
        if not 0 <= ratio <= 1:
            raise ValueError(f'PseudoVideoMixUp ratio must be in [0, 1], got {ratio}')
        self.ratio = ratio

    @autocast_box_type()
    def transform(self, results: dict) -> dict:
        path = results.get('mix_img_path')
        if not path:
            return results
        img = results['img']
        h, w = img.shape[:2]
        mix = mmcv.imread(path, channel_order='bgr')
        if mix is None:
            raise FileNotFoundError(f'PseudoVideoMixUp: cannot read {path}')
        mh, mw = mix.shape[:2]
        mix = mmcv.imresize(mix, (w, h))
        results['img'] = ((1 - self.ratio) * img.astype(np.float32) + self.ratio * mix.astype(np.float32)).astype(
            img.dtype)
        instances = results.get('mix_instances') or []
        if instances:
            boxes = np.array([i['bbox'] for i in instances], dtype=np.float32).reshape(-1, 4)
            boxes *= np.array([w / mw, h / mh, w / mw, h / mh], dtype=np.float32)
            bboxes = results['gt_bboxes']
            results['gt_bboxes'] = bboxes.cat([bboxes, type(bboxes)(boxes)])
            results['gt_bboxes_labels'] = np.concatenate(
                [results['gt_bboxes_labels'], np.zeros(len(boxes), dtype=results['gt_bboxes_labels'].dtype)])
            results['gt_ignore_flags'] = np.concatenate(
                [results['gt_ignore_flags'], np.array([bool(i['ignore_flag']) for i in instances])])
            results['gt_instances_ids'] = np.concatenate(
                [results['gt_instances_ids'],
                 np.array([i['instance_id'] for i in instances], dtype=results['gt_instances_ids'].dtype)])
        return results
