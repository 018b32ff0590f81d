"""Transforms for LiDAR segmentation with a camera: load one camera of an mmdet3d info and mark labelled scans."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from panguvision.registry import TRANSFORMS
from panguvision.utils.image_io import read_image

__all__ = ['LoadLidarCameraImage']


@TRANSFORMS.register_module()
class LoadLidarCameraImage(BaseTransform):
    """Read ``results['images'][camera]`` (an mmdet3d info entry) into ``img`` with its calibration.

    Sets ``img`` ``(H, W, 3)`` uint8 RGB, ``img_path``, ``img_shape`` / ``ori_shape`` ``(H, W)``, ``cam2img`` (3x3
    float64 pixels) and ``lidar2cam`` (4x4 float64 metres), and copies ``is_labelled`` (default True). Points must not
    be augmented geometrically before this calibration is used (the NeRF branch casts rays in the LiDAR frame).

    Args:
        camera (str): key in ``images`` (``'CAM2'`` for KITTI's left colour camera).
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self, camera: str = 'CAM2', backend_args: Optional[dict] = None) -> None:
        self.camera, self.backend_args = camera, backend_args

    def transform(self, results: dict) -> dict:
        images = results.get('images') or {}
        if self.camera not in images:
            raise KeyError(f'LoadLidarCameraImage: sample {results.get("lidar_path", "?")} has no '
                           f'images[{self.camera!r}] (available: {sorted(images)})')
        info = images[self.camera]
        for key in ('img_path', 'cam2img', 'lidar2cam'):
            if key not in info:
                raise KeyError(f'LoadLidarCameraImage: images[{self.camera!r}] of {results.get("lidar_path", "?")} '
                               f'lacks {key!r}')
        img = read_image(info['img_path'], backend_args=self.backend_args)
        results['img'] = img
        results['img_path'] = info['img_path']
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        results['cam2img'] = np.asarray(info['cam2img'], dtype=np.float64)[:3, :3]
        results['lidar2cam'] = np.asarray(info['lidar2cam'], dtype=np.float64)
        results['is_labelled'] = bool(results.get('is_labelled', True))
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(camera={self.camera!r})'
