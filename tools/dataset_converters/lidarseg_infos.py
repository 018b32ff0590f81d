"""Info files (mmdet3d's v2 layout) for LiDAR semantic segmentation: SemanticKITTI / ScribbleKITTI and
nuScenes-lidarseg, each with the synchronised front camera the NeRF branch renders into. Used by
``tools/create_data.py``; see its docstring for the commands.

Every sample is ``{'sample_idx', 'lidar_points': {'lidar_path', 'num_pts_feats'}, 'pts_semantic_mask_path' (absent
for unlabelled/test scans), 'images': {CAM: {'img_path', 'cam2img' (3x3 pixels), 'lidar2cam' (4x4 metres),
'lidar2img' (4x4)}}}``; paths are relative to the dataset root, so configs set ``data_root`` and empty prefixes.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

from panguvision.utils.kitti_calib import parse_kitti_calib

#: SemanticKITTI's official sequence split (semantic-kitti.yaml).
SEMANTICKITTI_SPLITS = {
    'train': ['00', '01', '02', '03', '04', '05', '06', '07', '09', '10'],
    'val': ['08'],
    'test': [f'{i:02d}' for i in range(11, 22)],
}


def _camera_entry(img_path: str, K: np.ndarray, lidar2cam: np.ndarray) -> dict:
    K4 = np.eye(4)
    K4[:3, :3] = K
    return dict(img_path=img_path, cam2img=K.tolist(), lidar2cam=lidar2cam.tolist(),
                lidar2img=(K4 @ lidar2cam).tolist())


def semantickitti_infos(root: str, sequences: Sequence[str], label_folder: str = 'labels',
                        camera: Optional[str] = 'image_2') -> List[dict]:
    """Scan ``<root>/sequences/<seq>/velodyne/*.bin`` of the given sequences (sorted, nothing assumed about counts).

    ``label_folder``: ``labels`` (SemanticKITTI) or ``scribbles`` (ScribbleKITTI); a scan without a label file gets no
    ``pts_semantic_mask_path``. ``camera``: the odometry colour image folder (``image_2`` = camera 2) whose image and
    ``calib.txt`` (P2, Tr) are attached as ``images['CAM2']`` when both exist; ``None`` for LiDAR only.
    """
    infos = []
    for seq in sequences:
        seq_dir = osp.join(root, 'sequences', seq)
        velodyne = osp.join(seq_dir, 'velodyne')
        if not osp.isdir(velodyne):
            raise FileNotFoundError(f'{velodyne}: no such folder (expected <root>/sequences/{seq}/velodyne/*.bin)')
        calib_path = osp.join(seq_dir, 'calib.txt')
        calib = parse_kitti_calib(calib_path) if camera and osp.isfile(calib_path) else None
        for name in sorted(f for f in os.listdir(velodyne) if f.endswith('.bin')):
            frame = name[:-4]
            rel = osp.join('sequences', seq)
            info = dict(sample_idx=f'{seq}_{frame}',
                        lidar_points=dict(lidar_path=osp.join(rel, 'velodyne', name), num_pts_feats=4))
            label = osp.join(rel, label_folder, frame + '.label')
            if osp.isfile(osp.join(root, label)):
                info['pts_semantic_mask_path'] = label
            image = osp.join(rel, camera, frame + '.png') if camera else None
            if calib is not None and osp.isfile(osp.join(root, image)):
                info['images'] = {'CAM2': _camera_entry(image, calib.camera_intrinsics(2), calib.velo_to_camera(2))}
            infos.append(info)
    return infos


def _pose(record: dict) -> np.ndarray:
    """4x4 transform of a nuScenes ``calibrated_sensor`` / ``ego_pose`` record (sensor/ego -> parent frame)."""
    from pyquaternion import Quaternion
    pose = np.eye(4)
    pose[:3, :3] = Quaternion(record['rotation']).rotation_matrix
    pose[:3, 3] = record['translation']
    return pose


def nuscenes_lidarseg_infos(nusc, scene_names: Sequence[str],
                            cameras: Sequence[str] = ('CAM_FRONT', )) -> List[dict]:
    """Infos of every keyframe of the named scenes from a loaded ``nuscenes.NuScenes`` with lidarseg.

    ``lidar2cam`` goes through the global frame with each sensor's own ego pose (LiDAR and camera fire at different
    times): ``inv(cam2ego) @ inv(ego2global at camera time) @ ego2global at LiDAR time @ lidar2ego``.
    """
    from panguvision.datasets.nuscenes_lidarseg_dataset import NUSCENES_LIDARSEG_FINE_CLASSES
    table = nusc.lidarseg_name2idx_mapping
    expected = {name: idx for idx, name in enumerate(NUSCENES_LIDARSEG_FINE_CLASSES)}
    if table != expected:
        diff = sorted(set(table.items()) ^ set(expected.items()))
        raise ValueError(f'{nusc.dataroot}/{nusc.version}/category.json: lidarseg class indices differ from the '
                         f'nuScenes-lidarseg v1.0 table NuScenesLidarSegDataset maps: {diff[:6]}')
    wanted = set(scene_names)
    label_files = {record['sample_data_token']: record['filename'] for record in getattr(nusc, 'lidarseg', [])}
    infos = []
    for scene in nusc.scene:
        if scene['name'] not in wanted:
            continue
        token = scene['first_sample_token']
        while token:
            sample = nusc.get('sample', token)
            lidar = nusc.get('sample_data', sample['data']['LIDAR_TOP'])
            lidar2global = _pose(nusc.get('ego_pose', lidar['ego_pose_token'])) @ _pose(
                nusc.get('calibrated_sensor', lidar['calibrated_sensor_token']))
            info = dict(sample_idx=sample['token'], token=sample['token'],
                        lidar_points=dict(lidar_path=lidar['filename'], num_pts_feats=5))
            if lidar['token'] in label_files:
                info['pts_semantic_mask_path'] = label_files[lidar['token']]
            info['images'] = {}
            for cam in cameras:
                cam_data = nusc.get('sample_data', sample['data'][cam])
                sensor = nusc.get('calibrated_sensor', cam_data['calibrated_sensor_token'])
                cam2global = _pose(nusc.get('ego_pose', cam_data['ego_pose_token'])) @ _pose(sensor)
                info['images'][cam] = _camera_entry(cam_data['filename'], np.array(sensor['camera_intrinsic']),
                                                    np.linalg.inv(cam2global) @ lidar2global)
            infos.append(info)
            token = sample['next']
    return infos


def labelled_subset(num_samples: int, ratio: float, mode: str = 'uniform', seed: int = 0) -> np.ndarray:
    """Sorted indices of the labelled scans of a semi-supervised split (LaserMix protocol: 1/10/20/50 %).

    ``uniform``: evenly spaced over the (time-ordered) scans, ``round(ratio * n)`` of them (at least one);
    ``random``: the same count drawn without replacement with ``seed``.
    """
    if not 0 < ratio <= 1:
        raise ValueError(f'labelled ratio must be in (0, 1], got {ratio}')
    count = max(1, int(round(ratio * num_samples)))
    if mode == 'uniform':
        return np.unique(np.floor(np.arange(count) * num_samples / count).astype(np.int64))
    if mode == 'random':
        return np.sort(np.random.default_rng(seed).choice(num_samples, count, replace=False))
    raise ValueError(f"split mode must be 'uniform' or 'random', got {mode!r}")


def split_infos(data: Dict, ratio: float, mode: str = 'uniform', seed: int = 0) -> Dict[str, Dict]:
    """Split an info file's content into ``labelled`` and ``unlabelled`` info dicts; unlabelled scans lose
    ``pts_semantic_mask_path`` (kept as ``hidden_pts_semantic_mask_path`` so the split can be audited)."""
    samples = data['data_list']
    labelled_ids = set(labelled_subset(len(samples), ratio, mode, seed).tolist())
    labelled, unlabelled = [], []
    for i, info in enumerate(samples):
        if i in labelled_ids:
            labelled.append(info)
            continue
        info = dict(info)
        if 'pts_semantic_mask_path' in info:
            info['hidden_pts_semantic_mask_path'] = info.pop('pts_semantic_mask_path')
        unlabelled.append(info)
    meta = dict(data.get('metainfo', {}), labelled_ratio=ratio, split_mode=mode, split_seed=seed)
    return dict(labelled=dict(metainfo=meta, data_list=labelled), unlabelled=dict(metainfo=meta, data_list=unlabelled))
