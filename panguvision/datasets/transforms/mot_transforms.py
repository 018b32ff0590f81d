"""Transforms of the multi-object tracking pipelines (on top of mmdet's video transforms).

* ``LoadPublicDetections``: the public detections of a frame (mot2coco's ``<subset>_detections.json``) as
  ``results['proposals']`` (N, 4) float32 xyxy pixels in the current (resized) image frame and
  ``results['proposals_scores']`` (N,) float32.
* ``SparseClipSample``: a clip of ``T`` frames in temporal order drawn from the *annotated* frames of a video, where
  only a fraction (``ann_ratio``) of the frames carries boxes: Walker's sparse-annotation training.
* ``PackMOTInputs``: mmdet's ``PackTrackInputs`` that also packs the proposals of every frame into
  ``det_data_sample.proposals`` (an ``InstanceData`` with ``bboxes`` and ``scores``).
"""
import json
import os.path as osp
import random
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData

from panguvision.registry import TRANSFORMS

__all__ = ['LoadPublicDetections', 'PackMOTInputs', 'SparseClipSample', 'annotated_frames']

_DET_CACHE: Dict[str, dict] = {}


def _load_detection_json(path: str) -> dict:
    """``{file_name: (N, 5) float32 [x1, y1, x2, y2, score]}`` of a mot2coco detections json (cached per path)."""
    if path not in _DET_CACHE:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: public detections json not found (write it with '
                                    'tools/dataset_converters/mot2coco.py --convert-det)')
        with open(path, encoding='utf-8') as f:
            raw = json.load(f)
        if not isinstance(raw, dict):
            raise ValueError(f'{path}: expected {{file_name: [[x1, y1, x2, y2, score], ...]}}, got {type(raw)}')
        table = {}
        for name, rows in raw.items():
            arr = np.asarray(rows, dtype=np.float32).reshape(-1, 5) if len(rows) else np.zeros((0, 5), np.float32)
            if arr.shape[1] != 5:
                raise ValueError(f'{path}: key {name!r}: expected rows of 5 numbers [x1, y1, x2, y2, score]')
            table[name.replace('\\', '/')] = arr
        _DET_CACHE[path] = table
    return _DET_CACHE[path]


@TRANSFORMS.register_module()
class LoadPublicDetections(BaseTransform):
    """Load the public detections of one frame into ``proposals`` / ``proposals_scores``.

    Place it after ``Resize`` (inside the same ``TransformBroadcaster``): the boxes of the json are in original-image
    pixels and are multiplied by ``results['scale_factor']`` (and mirrored when ``results['flip']``), so the proposals
    live in the network-input frame like mmdet's ``gt_bboxes``.

    Args:
        det_file: mot2coco's ``<subset>_detections.json`` (keys ``'<seq>/img1/000001.jpg'``).
        score_thr: detections scoring below it are dropped.
        num_key_parts: trailing components of ``img_path`` that form the json key (3: ``seq/img1/name``).
    """

    def __init__(self, det_file: str, score_thr: float = 0.0, num_key_parts: int = 3) -> None:
        self.det_file, self.score_thr, self.num_key_parts = det_file, float(score_thr), int(num_key_parts)

    def transform(self, results: dict) -> dict:
        table = _load_detection_json(self.det_file)
        key = '/'.join(str(results['img_path']).replace('\\', '/').split('/')[-self.num_key_parts:])
        if key not in table:
            raise KeyError(f'{self.det_file}: no detections entry {key!r} for image {results["img_path"]}')
        dets = table[key]
        dets = dets[dets[:, 4] >= self.score_thr]
        boxes = dets[:, :4].copy()
        if 'scale_factor' in results:
            sx, sy = results['scale_factor']
            boxes *= np.array([sx, sy, sx, sy], dtype=np.float32)
        if results.get('flip', False):
            h, w = results['img_shape'][:2]
            if results.get('flip_direction', 'horizontal') != 'horizontal':
                raise NotImplementedError(f'LoadPublicDetections: flip direction {results["flip_direction"]}')
            boxes[:, [0, 2]] = w - boxes[:, [2, 0]]
        results['proposals'] = boxes.astype(np.float32)
        results['proposals_scores'] = dets[:, 4].astype(np.float32)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(det_file={self.det_file!r}, score_thr={self.score_thr})'


def annotated_frames(video_length: int, ann_ratio: float, offset: int = 0) -> List[int]:
    """Indices of the annotated frames when a fraction ``ann_ratio`` of a video's frames carries boxes: every
    ``round(1 / ann_ratio)``-th frame starting at ``offset`` (at least one frame)."""
    if not 0 < ann_ratio <= 1:
        raise ValueError(f'ann_ratio must be in (0, 1], got {ann_ratio}')
    period = max(1, int(round(1.0 / ann_ratio)))
    frames = list(range(offset % period, video_length, period))
    return frames or [0]


@TRANSFORMS.register_module()
class SparseClipSample(BaseTransform):
    """Sample a clip of ``num_frames`` annotated frames, in temporal order, for walk-based training.

    Only ``annotated_frames(video_length, ann_ratio)`` carry boxes (the sparse annotation); the clip takes
    ``num_frames`` of them that are consecutive in that list, spaced by a random stride of ``1 .. max_stride``
    annotated frames, starting from the annotated frame nearest to the dataset's key frame (or a random one). All
    frames of the clip are flagged as key frames for ``PackTrackInputs``. Identity labels are left in the results
    for evaluation tools; Walker's loss never reads them.

    Args:
        num_frames: clip length ``T`` (> 2 for walks that can cycle through intermediate frames; 2 is allowed).
        ann_ratio: fraction of annotated frames per video (1.0: all frames).
        max_stride: largest step between consecutive clip frames, in annotated frames.
        collect_video_keys: video-level keys copied to every frame (as mmdet's ``BaseFrameSample``).
    """

    def __init__(self, num_frames: int = 4, ann_ratio: float = 1.0, max_stride: int = 1,
                 collect_video_keys: Sequence[str] = ('video_id', 'video_length')) -> None:
        if num_frames < 2 or max_stride < 1:
            raise ValueError(f'SparseClipSample: num_frames >= 2 and max_stride >= 1 expected, got {num_frames}, '
                             f'{max_stride}')
        annotated_frames(1, ann_ratio)  # validates the ratio
        self.num_frames, self.ann_ratio, self.max_stride = int(num_frames), float(ann_ratio), int(max_stride)
        self.collect_video_keys = list(collect_video_keys)

    def sample_indices(self, video_length: int, key_frame_id: Optional[int] = None) -> List[int]:
        """Frame indices of one clip (sorted, length ``num_frames``; repeats only when the video is too short)."""
        ann = annotated_frames(video_length, self.ann_ratio)
        if key_frame_id is None:
            start = random.randrange(len(ann))
        else:
            start = int(np.argmin([abs(a - key_frame_id) for a in ann]))
        stride = random.randint(1, self.max_stride)
        while stride > 1 and (self.num_frames - 1) * stride >= len(ann):
            stride -= 1
        start = max(0, min(start, len(ann) - 1 - (self.num_frames - 1) * stride))
        picks = [ann[min(start + i * stride, len(ann) - 1)] for i in range(self.num_frames)]
        return picks

    def transform(self, video_infos: dict) -> Dict[str, list]:
        inds = self.sample_indices(video_infos['video_length'], video_infos.get('key_frame_id'))
        out: Dict[str, list] = {}
        for index in inds:
            data = dict(video_infos['images'][index])
            for key in self.collect_video_keys:
                if key == 'video_length':
                    data['ori_video_length'] = video_infos[key]
                    data['video_length'] = len(inds)
                else:
                    data[key] = video_infos[key]
            for key, value in data.items():
                out.setdefault(key, []).append(value)
        out['key_frame_flags'] = [True] * len(inds)
        return out

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, ann_ratio={self.ann_ratio}, '
                f'max_stride={self.max_stride})')


@TRANSFORMS.register_module()
class PackMOTInputs(BaseTransform):
    """mmdet's ``PackTrackInputs`` plus ``det_data_sample.proposals`` (``bboxes`` (N, 4), ``scores`` (N,)) for every
    frame whose results carry ``proposals`` (see ``LoadPublicDetections``). Arguments go to ``PackTrackInputs``."""

    def __init__(self, **kwargs) -> None:
        from mmdet.datasets.transforms import PackTrackInputs
        self.packer = PackTrackInputs(**kwargs)

    def transform(self, results: dict) -> dict:
        packed = self.packer.transform(results)
        if 'proposals' in results:
            scores = results.get('proposals_scores')
            for i, sample in enumerate(packed['data_samples'].video_data_samples):
                boxes = torch.as_tensor(np.asarray(results['proposals'][i], dtype=np.float32).reshape(-1, 4))
                score = (torch.as_tensor(np.asarray(scores[i], dtype=np.float32)) if scores is not None else
                         torch.ones(len(boxes)))
                sample.proposals = InstanceData(bboxes=boxes, scores=score)
        return packed

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.packer!r})'
