"""Device-agnostic ``minkunet`` voxelisation for mmdet3d's ``Det3DDataPreprocessor``.

mmdet3d 1.4's ``voxel_type='minkunet'`` branch moves its index tensors with ``.cuda()`` and so fails on CPU / NPU.
This subclass re-implements that branch with the same arithmetic (``round(p / v)``, minus the per-scan minimum, one
voxel per occupied cell keeping the first point in ``np.unique`` order, optional random ``max_voxels`` cap in
training) on the points' own device, and records each scan's ``voxel_origin`` (metres, the centre of voxel index 0)
so that voxel indices can be mapped back to LiDAR coordinates (the NeRF head needs it). Other voxel types are
mmdet3d's.
"""
from typing import Dict, List

import numpy as np
import torch
import torch.nn.functional as F
from mmdet3d.models.data_preprocessors import Det3DDataPreprocessor
from torch import Tensor

from panguvision.registry import MODELS

__all__ = ['LidarSegDataPreprocessor']


@MODELS.register_module()
class LidarSegDataPreprocessor(Det3DDataPreprocessor):
    """``Det3DDataPreprocessor`` whose ``minkunet`` voxelisation runs on any device; arguments are mmdet3d's."""

    @torch.no_grad()
    def voxelize(self, points: List[Tensor], data_samples) -> Dict[str, Tensor]:
        if self.voxel_type != 'minkunet':
            return super().voxelize(points, data_samples)
        voxels, coors = [], []
        voxel_size = points[0].new_tensor(self.voxel_layer.voxel_size)
        for i, (res, data_sample) in enumerate(zip(points, data_samples)):
            res_coors = torch.round(res[:, :3] / voxel_size).int()
            min_coor = res_coors.min(0)[0]
            res_coors -= min_coor
            inds, point2voxel_map = self.sparse_quantize(res_coors.cpu().numpy(), return_index=True,
                                                         return_inverse=True)
            point2voxel_map = torch.from_numpy(point2voxel_map.reshape(-1)).to(res.device)
            if self.training and self.max_voxels is not None and len(inds) > self.max_voxels:
                inds = np.random.choice(inds, self.max_voxels, replace=False)
            inds = torch.from_numpy(inds).to(res.device)
            if hasattr(data_sample, 'gt_pts_seg') and hasattr(data_sample.gt_pts_seg, 'pts_semantic_mask'):
                data_sample.gt_pts_seg.voxel_semantic_mask = data_sample.gt_pts_seg.pts_semantic_mask[inds]
            res_voxel_coors = res_coors[inds]
            if self.batch_first:
                res_voxel_coors = F.pad(res_voxel_coors, (1, 0), mode='constant', value=i)
                data_sample.batch_idx = res_voxel_coors[:, 0]
            else:
                res_voxel_coors = F.pad(res_voxel_coors, (0, 1), mode='constant', value=i)
                data_sample.batch_idx = res_voxel_coors[:, -1]
            data_sample.point2voxel_map = point2voxel_map.long()
            data_sample.set_metainfo(dict(voxel_origin=(min_coor.float() * voxel_size).cpu().numpy()))
            voxels.append(res[inds])
            coors.append(res_voxel_coors)
        return dict(voxels=torch.cat(voxels, 0), coors=torch.cat(coors, 0))
