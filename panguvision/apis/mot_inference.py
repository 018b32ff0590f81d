"""Multi-object tracking inference on a stream of frames (video file, frame folder, camera) for demos."""
import os.path as osp
from typing import Iterable, Iterator, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config

from .inference import init_model, resolve_device

__all__ = ['config_resize_scale', 'init_mot_model', 'mot_rows', 'track_frames']


def config_resize_scale(cfg: Config) -> Optional[Tuple[int, int]]:
    """The ``(w, h)`` scale of the first ``Resize`` in ``cfg.test_dataloader``'s pipeline (inside broadcasters too),
    or None when the pipeline does not resize."""
    stack = list(cfg.get('test_dataloader', {}).get('dataset', {}).get('pipeline', []))
    while stack:
        t = stack.pop(0)
        if str(t.get('type', '')).split('.')[-1] == 'Resize':
            return tuple(t['scale'])
        stack[:0] = list(t.get('transforms', []))
    return None


def init_mot_model(config: Union[str, Config], checkpoint: Optional[str] = None, device: Optional[str] = None,
                   detector: Optional[str] = None, det_checkpoint: Optional[str] = None) -> torch.nn.Module:
    """Build a tracking model (``PublicDetMOT``, ``Walker``, ...) for inference on raw frames.

    Args:
        config: the tracker config; checkpoint: its weights (None: parameter-free trackers, random init otherwise).
        detector: ``'hog'`` (OpenCV's people detector, no weights to download), an mmdet detector config file
            (with ``det_checkpoint``), or None to keep the config's detector.
    Raises:
        ValueError: when the model ends up without a detector (raw frames have no public detections).
    """
    device = resolve_device(device)
    cfg = Config.fromfile(config) if isinstance(config, str) else config.copy()
    if detector == 'hog':
        cfg.model.detector = dict(type='HOGPeopleDetector')
    model = init_model(cfg, checkpoint, device=device)
    if detector not in (None, 'hog'):
        if not osp.isfile(detector):
            raise FileNotFoundError(f'--detector {detector}: expected "hog" or an mmdet detector config file')
        from mmdet.apis import init_detector
        model.detector = init_detector(detector, det_checkpoint, device=device)
    finds_own_boxes = getattr(model, 'sam_proposer', None) is not None or \
        (getattr(model, 'test_cfg', None) or {}).get('box_source') in ('sam', 'adapter')  # MASA track-anything
    if getattr(model, 'detector', None) is None and not finds_own_boxes:
        raise ValueError(f'{getattr(config, "filename", config)}: the model has no detector and raw frames carry no '
                         'public detections; pass a detector ("hog" or an mmdet config + checkpoint)')
    return model.eval()


@torch.no_grad()
def track_frames(model: torch.nn.Module, frames: Iterable[np.ndarray],
                 scale: Optional[Tuple[int, int]] = None) -> Iterator[Tuple[np.ndarray, 'InstanceData']]:  # noqa: F821
    """Track a sequence of frames.

    Args:
        model: from :func:`init_mot_model`.
        frames: (H, W, 3) uint8 RGB frames in temporal order (one video).
        scale: ``(w, h)`` the frames are resized to, keeping their aspect ratio (None: as they are).

    Yields:
        ``(frame, tracks)``: the input frame and an ``InstanceData`` on the CPU with ``bboxes`` (N, 4) xyxy in its
        pixels, ``scores``, ``labels`` and ``instances_id``.
    """
    import mmcv
    from mmdet.structures import DetDataSample, TrackDataSample
    for frame_id, rgb in enumerate(frames):
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f'frame {frame_id}: expected (H, W, 3) uint8 RGB, got {rgb.shape} {rgb.dtype}')
        bgr = np.ascontiguousarray(rgb[..., ::-1])  # mmdet pipelines load BGR; the data preprocessor converts
        h, w = bgr.shape[:2]
        img = mmcv.imrescale(bgr, scale, backend='cv2') if scale is not None else bgr
        sample = DetDataSample(metainfo=dict(
            frame_id=frame_id, img_id=frame_id, img_path=f'stream/img1/{frame_id + 1:06d}.jpg', ori_shape=(h, w),
            img_shape=img.shape[:2], scale_factor=(img.shape[1] / w, img.shape[0] / h)))
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]
        out = model.test_step(dict(inputs=[inputs], data_samples=[TrackDataSample(video_data_samples=[sample])]))
        yield rgb, out[0][0].pred_track_instances.cpu()


def mot_rows(frame_id: int, tracks) -> List[List[float]]:
    """MOTChallenge result rows ``frame (1-based), id, x, y, w, h, score, -1, -1, -1`` of one frame's tracks."""
    rows = []
    for box, tid, score in zip(tracks.bboxes.tolist(), tracks.instances_id.tolist(), tracks.scores.tolist()):
        rows.append([frame_id + 1, int(tid), round(box[0], 2), round(box[1], 2), round(box[2] - box[0], 2),
                     round(box[3] - box[1], 2), round(float(score), 4), -1, -1, -1])
    return rows
