"""nuScenes-lidarseg: per-point semantic labels of the nuScenes LIDAR_TOP keyframes, 16 challenge classes.

mmdet3d 1.4 reads nuScenes for detection only; this dataset reuses its :class:`mmdet3d.datasets.Seg3DDataset` with the
info files that ``tools/create_data.py nuscenes-lidarseg`` writes (mmdet3d's v2 info layout plus
``pts_semantic_mask_path``). Points are the ``.pcd.bin`` sweeps (float32 ``x, y, z, intensity, ring``), labels the
``lidarseg/<version>/<token>_lidarseg.bin`` files (uint8, one fine-class index 0..31 per point).

Classes follow the nuScenes-lidarseg challenge (nuscenes-devkit ``LidarsegClassMapper``): the 32 fine classes map to
16 coarse classes plus ``ignore`` (noise, animal, strollers, emergency vehicles, ``static.other``, ego, ...). Training
indices are the challenge's coarse indices minus one (0..15); ``ignore`` becomes 16, mmdet3d's convention of "the
last index is ignored". ``NuScenesLidarSegMetric`` maps them back and scores with the devkit's confusion matrix.
"""
from typing import Dict, Optional

import numpy as np
from mmdet3d.datasets import Seg3DDataset

from panguvision.registry import DATASETS

#: Fine lidarseg class name -> index, as in nuScenes-lidarseg v1.0 ``category.json`` (``index`` field).
#: ``tools/create_data.py`` checks a dataset's own category table against this before writing infos.
NUSCENES_LIDARSEG_FINE_CLASSES = (
    'noise', 'animal', 'human.pedestrian.adult', 'human.pedestrian.child', 'human.pedestrian.construction_worker',
    'human.pedestrian.personal_mobility', 'human.pedestrian.police_officer', 'human.pedestrian.stroller',
    'human.pedestrian.wheelchair', 'movable_object.barrier', 'movable_object.debris',
    'movable_object.pushable_pullable', 'movable_object.trafficcone', 'static_object.bicycle_rack', 'vehicle.bicycle',
    'vehicle.bus.bendy', 'vehicle.bus.rigid', 'vehicle.car', 'vehicle.construction', 'vehicle.emergency.ambulance',
    'vehicle.emergency.police', 'vehicle.motorcycle', 'vehicle.trailer', 'vehicle.truck', 'flat.driveable_surface',
    'flat.other', 'flat.sidewalk', 'flat.terrain', 'static.manmade', 'static.other', 'static.vegetation',
    'vehicle.ego')

#: The 16 challenge classes in coarse-index order 1..16 (coarse index 0 is ``ignore``).
NUSCENES_LIDARSEG_CLASSES = ('barrier', 'bicycle', 'bus', 'car', 'construction_vehicle', 'motorcycle', 'pedestrian',
                             'traffic_cone', 'trailer', 'truck', 'driveable_surface', 'other_flat', 'sidewalk',
                             'terrain', 'manmade', 'vegetation')


def nuscenes_fine_to_coarse() -> Dict[int, int]:
    """Fine index (0..31) -> challenge coarse index (0 = ignore, 1..16), from nuscenes-devkit's class mapper.

    The devkit's mapper needs a loaded ``NuScenes`` only for the fine name -> index table, which is fixed by the
    dataset release (:data:`NUSCENES_LIDARSEG_FINE_CLASSES`); the name -> coarse mapping is taken from the devkit
    itself so that it cannot drift from the official evaluation.
    """
    from nuscenes.eval.lidarseg.utils import LidarsegClassMapper

    class _FineTable:  # the one attribute of ``NuScenes`` the mapper reads
        lidarseg_name2idx_mapping = {name: idx for idx, name in enumerate(NUSCENES_LIDARSEG_FINE_CLASSES)}

    return LidarsegClassMapper(_FineTable()).fine_idx_2_coarse_idx_mapping


def _seg_label_mapping() -> Dict[int, int]:
    """Fine index -> training index (coarse - 1; ignore -> 16)."""
    ignore = len(NUSCENES_LIDARSEG_CLASSES)
    return {fine: (coarse - 1 if coarse > 0 else ignore) for fine, coarse in nuscenes_fine_to_coarse().items()}


@DATASETS.register_module()
class NuScenesLidarSegDataset(Seg3DDataset):
    """nuScenes-lidarseg through mmdet3d's point-segmentation dataset (see the module docstring).

    Use with ``LoadPointsFromFile(load_dim=5, use_dim=4)`` and ``LoadAnnotations3D(with_seg_3d=True,
    seg_3d_dtype='np.uint8')`` followed by ``PointSegClassMapping``; with ``modality=dict(use_camera=True)`` each
    sample also carries the six cameras (``images[cam] = {img_path, cam2img (3x3), lidar2cam (4x4)}``).
    """
    METAINFO = {
        'classes': NUSCENES_LIDARSEG_CLASSES,
        'palette': [[112, 128, 144], [220, 20, 60], [255, 127, 80], [255, 158, 0], [233, 150, 70],
                    [255, 61, 99], [0, 0, 230], [47, 79, 79], [255, 140, 0], [255, 99, 71], [0, 207, 191],
                    [175, 0, 75], [75, 0, 75], [112, 180, 60], [222, 184, 135], [0, 175, 0]],
        'seg_valid_class_ids': tuple(range(len(NUSCENES_LIDARSEG_CLASSES))),
        'seg_all_class_ids': tuple(range(len(NUSCENES_LIDARSEG_CLASSES))),
        'seg_label_mapping': _seg_label_mapping(),
        'max_label': len(NUSCENES_LIDARSEG_FINE_CLASSES) - 1,
    }

    def __init__(self, *args, metainfo: Optional[dict] = None, **kwargs) -> None:
        # mmdet3d's Seg3DDataset reads ``metainfo`` before merging the class defaults, so start from them here
        merged = dict(classes=self.METAINFO['classes'], palette=self.METAINFO['palette'])
        merged.update(metainfo or {})
        super().__init__(*args, metainfo=merged, **kwargs)

    def get_seg_label_mapping(self, metainfo: dict) -> np.ndarray:
        """``(max_label + 1,)`` lookup table fine index -> training index (as SemanticKITTI's in mmdet3d); the
        config's ``metainfo`` may override the class defaults."""
        mapping = metainfo.get('seg_label_mapping', self.METAINFO['seg_label_mapping'])
        max_label = metainfo.get('max_label', self.METAINFO['max_label'])
        table = np.full(max_label + 1, metainfo.get('ignore_index', len(self.METAINFO['classes'])), dtype=np.int64)
        for fine, train in mapping.items():
            table[fine] = train
        return table
