"""Synthetic LiDAR + camera scenes with exact labels, written in the SemanticKITTI layout.

Each scan is a new random street-like scene of labelled primitives: a ground plane, buildings (large boxes), vehicles
(yawed boxes), poles (vertical cylinders) and vegetation (spheres). The scene is ray cast twice with the same
analytic ray caster:

* a spinning LiDAR at the origin (``num_beams`` elevation angles x ``num_azimuths`` azimuths, max range, small range
  noise) -> ``sequences/XX/velodyne/NNNNNN.bin`` (float32 x, y, z, intensity) and ``labels/NNNNNN.label`` (uint32,
  SemanticKITTI raw ids in the low 16 bits: 40 road, 10 car, 80 pole, 70 vegetation, 50 building);
* a forward-looking pinhole camera (KITTI axes: x right, y down, z forward) -> ``image_2/NNNNNN.png``, each pixel the
  colour of its class with a per-object tint and per-pixel texture noise (sky: a gradient), and ``calib.txt`` with
  ``P2`` and ``Tr`` (LiDAR -> camera) as in SemanticKITTI. The exact per-pixel class map is returned by
  :func:`render_scene` and written to ``image_2_cls/NNNNNN.png`` (class index in every channel, 255 = sky) for the
  generator's own checks (it is never given to a model).

``write_synthetic_lidar`` also writes mmdet3d info files (``synthetic_infos_{train,val}.pkl``) with
``lidar_points``, ``pts_semantic_mask_path`` and ``images['CAM2']`` (``img_path``, ``cam2img``, ``lidar2cam``), so
that :class:`SyntheticLidarDataset` (mmdet3d's ``SemanticKittiDataset`` with this label map) loads them with mmdet3d's
own transforms. LiDAR frame: x forward, y left, z up, metres, sensor at the origin, ground at ``z = -1.73``.
"""
import os
import os.path as osp
import pickle
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet3d.datasets import SemanticKittiDataset

from panguvision.registry import DATASETS

__all__ = ['SYNTHETIC_CLASSES', 'SYNTHETIC_RAW_IDS', 'SCENE_PRESETS', 'scene_preset', 'sample_scene', 'cast_rays',
           'lidar_rays', 'camera_model', 'render_scene', 'write_synthetic_lidar', 'LabelledSplitSemanticKittiDataset',
           'SyntheticLidarDataset']

SYNTHETIC_CLASSES = ('road', 'car', 'pole', 'vegetation', 'building')
SYNTHETIC_RAW_IDS = (40, 10, 80, 70, 50)  # SemanticKITTI raw ids of the classes above; 0 = unlabelled (sky / miss)
SYNTHETIC_PALETTE = ((128, 64, 128), (100, 150, 245), (255, 240, 150), (0, 175, 0), (255, 200, 0))
_IMAGE_COLOURS = np.array([[90, 90, 95], [200, 40, 40], [230, 230, 60], [40, 150, 50], [170, 120, 90]], np.float32)
GROUND_Z = -1.73

# Scene presets: classes, their SemanticKITTI raw ids, display palette (SemanticKITTI's colours, RGB) and camera-image
# colours. ``street5`` is the original 5-class scene; ``street10`` a street with sidewalks, trucks, people, trees
# (trunk + crown), fences and bushes, where shapes of different classes are close (person / trunk / pole, car /
# truck, road / sidewalk, fence / building) and some classes are rare, so that more labels keep helping.
SCENE_PRESETS = dict(
    street5=dict(classes=SYNTHETIC_CLASSES, raw_ids=SYNTHETIC_RAW_IDS, palette=SYNTHETIC_PALETTE,
                 image_colours=_IMAGE_COLOURS),
    street10=dict(
        classes=('road', 'sidewalk', 'car', 'truck', 'person', 'pole', 'trunk', 'vegetation', 'fence', 'building'),
        raw_ids=(40, 48, 10, 18, 30, 80, 71, 70, 51, 50),
        palette=((255, 0, 255), (75, 0, 75), (100, 150, 245), (80, 30, 180), (255, 30, 30), (255, 240, 150),
                 (135, 60, 0), (0, 175, 0), (255, 120, 50), (255, 200, 0)),
        image_colours=np.array([[90, 90, 95], [150, 145, 140], [200, 40, 40], [60, 80, 190], [220, 80, 180],
                                [230, 230, 60], [110, 70, 40], [40, 150, 50], [215, 150, 60], [170, 120, 90]],
                               np.float32)))


def scene_preset(name: str) -> Dict:
    """The preset ``name`` of :data:`SCENE_PRESETS`; a clear error for an unknown name."""
    if name not in SCENE_PRESETS:
        raise KeyError(f'unknown synthetic scene preset {name!r}; expected one of {sorted(SCENE_PRESETS)}')
    return SCENE_PRESETS[name]


def sample_scene(rng: np.random.Generator, preset: str = 'street5') -> List[Dict]:
    """A random scene: a list of primitives ``dict(kind, cls, obj, ...)`` (``cls`` indexes the preset's classes,
    ``SYNTHETIC_CLASSES`` for ``street5``)."""
    scene_preset(preset)
    if preset == 'street10':
        return _sample_street10(rng)
    objs = [dict(kind='plane', cls=0, z=GROUND_Z)]

    def place(r_min, r_max, forward):
        ang = rng.uniform(-0.7, 0.7) if forward else rng.uniform(-np.pi, np.pi)
        r = rng.uniform(r_min, r_max)
        return r * np.cos(ang), r * np.sin(ang)

    for i in range(rng.integers(2, 5)):
        x, y = place(14, 30, i % 2 == 0)
        size = np.array([rng.uniform(4, 10), rng.uniform(4, 10), rng.uniform(4, 10)])
        objs.append(dict(kind='box', cls=4, center=np.array([x, y, GROUND_Z + size[2] / 2]), size=size,
                         yaw=rng.uniform(0, np.pi)))
    for i in range(rng.integers(3, 7)):
        x, y = place(4, 22, i % 2 == 0)
        size = np.array([rng.uniform(3.6, 4.8), rng.uniform(1.6, 2.0), rng.uniform(1.3, 1.7)])
        objs.append(dict(kind='box', cls=1, center=np.array([x, y, GROUND_Z + size[2] / 2]), size=size,
                         yaw=rng.uniform(0, np.pi)))
    for i in range(rng.integers(3, 8)):
        x, y = place(3, 20, i % 2 == 0)
        objs.append(dict(kind='cylinder', cls=2, center=np.array([x, y]), radius=rng.uniform(0.12, 0.25),
                         z_range=(GROUND_Z, GROUND_Z + rng.uniform(4, 7))))
    for i in range(rng.integers(3, 7)):
        x, y = place(4, 25, i % 2 == 0)
        r = rng.uniform(0.8, 2.0)
        objs.append(dict(kind='sphere', cls=3, center=np.array([x, y, GROUND_Z + r * rng.uniform(0.6, 1.4)]),
                         radius=r))
    for i, o in enumerate(objs):
        o['obj'] = i
    return objs


def _sample_street10(rng: np.random.Generator) -> List[Dict]:
    """A street along LiDAR x: road plane, two sidewalk slabs (0.15 m high), buildings and fences behind them, cars
    and trucks on the road, people, poles and trees (trunk cylinder + vegetation crown) on the sidewalks, bushes.
    Class indices follow ``SCENE_PRESETS['street10']['classes']``. Metres, LiDAR frame, ground at ``GROUND_Z``."""
    road, car, truck, person, pole, trunk, veg, fence, building = 0, 2, 3, 4, 5, 6, 7, 8, 9
    half_road = rng.uniform(3.5, 5.5)
    walk = rng.uniform(2.0, 3.5)
    objs = [dict(kind='plane', cls=road, z=GROUND_Z)]

    def along(forward):  # x position along the street; half of the objects in front of the camera
        return rng.uniform(4, 35) if forward else rng.uniform(-35, 35)

    def on_road(forward):  # vehicles keep 8 m from the sensor (the ego vehicle's own space)
        return rng.uniform(8, 35) * (1 if forward else rng.choice([1, -1]))

    def box(cls, x, y, size, yaw, z0=GROUND_Z):
        objs.append(dict(kind='box', cls=cls, center=np.array([x, y, z0 + size[2] / 2]), size=np.asarray(size),
                         yaw=yaw))

    def on_walk(side):  # a y on the sidewalk of ``side`` (+1 left, -1 right)
        return side * (half_road + rng.uniform(0.3, walk - 0.3))

    for side in (1, -1):
        box(1, 0.0, side * (half_road + walk / 2), (120.0, walk, 0.15), 0.0)
    for i in range(rng.integers(2, 6)):
        side = rng.choice([1, -1])
        size = np.array([rng.uniform(6, 15), rng.uniform(5, 10), rng.uniform(4, 12)])
        box(building, along(i % 2 == 0), side * (half_road + walk + rng.uniform(1.0, 4.0) + size[1] / 2), size,
            rng.uniform(-0.1, 0.1))
    for i in range(rng.integers(0, 4)):
        side = rng.choice([1, -1])
        box(fence, along(i % 2 == 0), side * (half_road + walk + rng.uniform(0.2, 0.8)),
            (rng.uniform(3, 10), 0.08, rng.uniform(0.9, 1.6)), rng.uniform(-0.05, 0.05))
    for i in range(rng.integers(2, 7)):
        size = np.array([rng.uniform(3.6, 4.8), rng.uniform(1.6, 2.0), rng.uniform(1.3, 1.7)])
        box(car, on_road(i % 2 == 0), rng.uniform(-half_road + 1.2, half_road - 1.2), size,
            rng.choice([0.0, np.pi]) + rng.uniform(-0.25, 0.25))
    for i in range(rng.integers(0, 3)):
        size = np.array([rng.uniform(6, 9), rng.uniform(2.3, 2.6), rng.uniform(2.6, 3.6)])
        box(truck, on_road(i % 2 == 0), rng.uniform(-half_road + 1.5, half_road - 1.5), size,
            rng.choice([0.0, np.pi]) + rng.uniform(-0.15, 0.15))
    for i in range(rng.integers(0, 6)):
        x = along(i % 2 == 0)
        y = on_walk(rng.choice([1, -1]))
        objs.append(dict(kind='cylinder', cls=person, center=np.array([x, y]),
                         radius=rng.uniform(0.2, 0.3), z_range=(GROUND_Z, GROUND_Z + rng.uniform(1.5, 1.9))))
    for i in range(rng.integers(2, 7)):
        x = along(i % 2 == 0)
        y = rng.choice([1, -1]) * (half_road + 0.3)
        objs.append(dict(kind='cylinder', cls=pole, center=np.array([x, y]),
                         radius=rng.uniform(0.08, 0.2), z_range=(GROUND_Z, GROUND_Z + rng.uniform(4, 7))))
    for i in range(rng.integers(1, 6)):
        x, y = along(i % 2 == 0), on_walk(rng.choice([1, -1]))
        top = GROUND_Z + rng.uniform(1.8, 3.0)
        crown = rng.uniform(1.0, 2.0)
        objs.append(dict(kind='cylinder', cls=trunk, center=np.array([x, y]), radius=rng.uniform(0.15, 0.3),
                         z_range=(GROUND_Z, top + 0.3)))
        objs.append(dict(kind='sphere', cls=veg, center=np.array([x, y, top + 0.6 * crown]), radius=crown))
    for i in range(rng.integers(0, 5)):
        r = rng.uniform(0.5, 1.4)
        side = rng.choice([1, -1])
        objs.append(dict(kind='sphere', cls=veg, center=np.array([along(i % 2 == 0), side * (half_road + walk + r),
                                                                  GROUND_Z + 0.5 * r]), radius=r))
    for i, o in enumerate(objs):
        o['obj'] = i
    return objs


def _hit_plane(o, d, prim):
    with np.errstate(divide='ignore', invalid='ignore'):
        t = (prim['z'] - o[:, 2]) / d[:, 2]
    return np.where((d[:, 2] < -1e-9) & (t > 0), t, np.inf)


def _hit_box(o, d, prim):
    c, s = np.cos(-prim['yaw']), np.sin(-prim['yaw'])
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    lo = (o - prim['center']) @ rot.T
    ld = d @ rot.T
    half = prim['size'] / 2
    with np.errstate(divide='ignore', invalid='ignore'):
        t1 = (-half - lo) / ld
        t2 = (half - lo) / ld
    t1 = np.where(np.isnan(t1), -np.inf, t1)
    t2 = np.where(np.isnan(t2), np.inf, t2)
    tmin = np.minimum(t1, t2).max(1)
    tmax = np.maximum(t1, t2).min(1)
    t = np.where(tmin > 0, tmin, tmax)
    return np.where((tmax >= tmin) & (t > 0), t, np.inf)


def _hit_cylinder(o, d, prim):
    p = o[:, :2] - prim['center']
    a = (d[:, :2] ** 2).sum(1)
    b = 2 * (p * d[:, :2]).sum(1)
    c = (p ** 2).sum(1) - prim['radius'] ** 2
    disc = b * b - 4 * a * c
    sq = np.sqrt(np.maximum(disc, 0))
    with np.errstate(divide='ignore', invalid='ignore'):
        t0, t1 = (-b - sq) / (2 * a), (-b + sq) / (2 * a)
    t = np.where(t0 > 0, t0, t1)
    z = o[:, 2] + t * d[:, 2]
    ok = (disc >= 0) & (a > 1e-12) & (t > 0) & (z >= prim['z_range'][0]) & (z <= prim['z_range'][1])
    return np.where(ok, t, np.inf)


def _hit_sphere(o, d, prim):
    p = o - prim['center']
    b = (p * d).sum(1)
    c = (p ** 2).sum(1) - prim['radius'] ** 2
    disc = b * b - c  # unit directions
    sq = np.sqrt(np.maximum(disc, 0))
    t = np.where(-b - sq > 0, -b - sq, -b + sq)
    return np.where((disc >= 0) & (t > 0), t, np.inf)


_HIT = dict(plane=_hit_plane, box=_hit_box, cylinder=_hit_cylinder, sphere=_hit_sphere)


def cast_rays(origins: np.ndarray, dirs: np.ndarray, scene: Sequence[Dict]) -> Dict[str, np.ndarray]:
    """Nearest hit of unit rays ``(R, 3)`` -> ``t`` (metres, inf = miss), ``cls`` and ``obj`` (-1 = miss)."""
    ts = np.stack([_HIT[p['kind']](origins, dirs, p) for p in scene], 1)  # (R, num_objects)
    idx = ts.argmin(1)
    t = ts[np.arange(len(ts)), idx]
    hit = np.isfinite(t)
    cls = np.array([p['cls'] for p in scene])[idx]
    return dict(t=t, cls=np.where(hit, cls, -1), obj=np.where(hit, idx, -1))


def lidar_rays(num_beams: int = 32, num_azimuths: int = 512, fov_up: float = 3.0,
               fov_down: float = -25.0) -> np.ndarray:
    """Unit directions ``(num_beams * num_azimuths, 3)`` of a spinning LiDAR (degrees of elevation)."""
    elev = np.deg2rad(np.linspace(fov_down, fov_up, num_beams))
    azim = np.linspace(-np.pi, np.pi, num_azimuths, endpoint=False)
    e, a = np.meshgrid(elev, azim, indexing='ij')
    return np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], -1).reshape(-1, 3)


def camera_model(height: int = 96, width: int = 320, focal: float = 160.0,
                 position=(0.27, 0.0, -0.08)) -> Dict[str, np.ndarray]:
    """Pinhole camera looking along LiDAR +x: ``K`` (3x3), ``lidar2cam`` (4x4), image ``height`` / ``width``."""
    k = np.array([[focal, 0, (width - 1) / 2], [0, focal, (height - 1) / 2], [0, 0, 1]])
    rot = np.array([[0., -1, 0], [0, 0, -1], [1, 0, 0]])  # LiDAR (fwd, left, up) -> camera (right, down, fwd)
    t = np.eye(4)
    t[:3, :3] = rot
    t[:3, 3] = -rot @ np.asarray(position, dtype=np.float64)
    return dict(K=k, lidar2cam=t, height=height, width=width)


def render_scene(scene: Sequence[Dict], rng: np.random.Generator, camera: Optional[Dict] = None,
                 num_beams: int = 32, num_azimuths: int = 512, max_range: float = 50.0,
                 range_noise: float = 0.02, image_colours: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """Ray cast ``scene`` with the LiDAR and the camera.

    ``image_colours`` ``(num_classes, 3)``: the RGB colour of each class in the camera image (default: ``street5``'s).

    Returns:
        dict: ``points`` ``(N, 4)`` float32 (x, y, z, intensity in [0, 1]), ``point_cls`` ``(N,)`` class index,
        ``image`` ``(H, W, 3)`` uint8 RGB, ``pixel_cls`` ``(H, W)`` class index (-1 = sky), ``pixel_depth`` ``(H, W)``
        depth along the optical axis (inf = sky), ``camera`` (see :func:`camera_model`).
    """
    camera = camera or camera_model()
    dirs = lidar_rays(num_beams, num_azimuths)
    hit = cast_rays(np.zeros_like(dirs), dirs, scene)
    keep = np.isfinite(hit['t']) & (hit['t'] < max_range)
    rng_t = hit['t'][keep] + rng.normal(0, range_noise, int(keep.sum()))
    xyz = dirs[keep] * rng_t[:, None]
    points = np.concatenate([xyz, rng.uniform(0, 1, (len(xyz), 1))], 1).astype(np.float32)

    h, w = camera['height'], camera['width']
    vv, uu = np.meshgrid(np.arange(h), np.arange(w), indexing='ij')
    pix = np.stack([uu.ravel(), vv.ravel(), np.ones(h * w)], 1)
    d_cam = pix @ np.linalg.inv(camera['K']).T  # z = 1
    rot, trans = camera['lidar2cam'][:3, :3], camera['lidar2cam'][:3, 3]
    d_lidar = d_cam @ rot  # R^T d
    norm = np.linalg.norm(d_lidar, axis=1, keepdims=True)
    origin = np.broadcast_to(-rot.T @ trans, d_lidar.shape)
    cam_hit = cast_rays(origin, d_lidar / norm, scene)
    depth = (cam_hit['t'] / norm[:, 0]).reshape(h, w)
    pixel_cls = cam_hit['cls'].reshape(h, w)
    obj = cam_hit['obj'].reshape(h, w)
    tint = rng.normal(0, 18, (len(scene), 3))
    colours = _IMAGE_COLOURS if image_colours is None else np.asarray(image_colours, np.float32)
    image = np.where(pixel_cls[..., None] >= 0, colours[np.maximum(pixel_cls, 0)] + tint[np.maximum(obj, 0)], 0.0)
    sky = np.stack([np.linspace(150, 200, h)] * w, 1)[..., None] * np.array([0.75, 0.9, 1.1])
    image = np.where(pixel_cls[..., None] >= 0, image * (1.0 - 0.35 * np.clip(depth / max_range, 0, 1))[..., None],
                     sky)
    image = np.clip(image + rng.normal(0, 10, image.shape), 0, 255).astype(np.uint8)
    return dict(points=points, point_cls=hit['cls'][keep], image=image, pixel_cls=pixel_cls, pixel_depth=depth,
                camera=camera)


def _calib_text(camera: Dict) -> str:
    p2 = np.zeros((3, 4))
    p2[:, :3] = camera['K']
    rows = [f'P{i}: ' + ' '.join(f'{v:.12e}' for v in p2.ravel()) for i in range(4)]
    rows.append('Tr: ' + ' '.join(f'{v:.12e}' for v in camera['lidar2cam'][:3].ravel()))
    return '\n'.join(rows) + '\n'


def write_synthetic_lidar(root: str, splits: Dict[str, Dict] = None, seed: int = 0, preset: str = 'street5',
                          **render_kwargs) -> Dict:
    """Write scenes in the SemanticKITTI layout plus mmdet3d info files.

    Args:
        root (str): output folder.
        splits (dict): ``{split: dict(sequence=int, num_scans=int)}``; default train = sequence 00 with 40 scans,
            val = sequence 08 with 10 scans.
        seed (int): the scenes are a function of ``seed`` (and the split's sequence number).
        preset (str): scene preset (:data:`SCENE_PRESETS`); stored in the info files' ``metainfo``.
        render_kwargs: passed to :func:`render_scene`.
    Returns:
        dict ``{split: info_file_path}``.
    """
    splits = splits or dict(train=dict(sequence=0, num_scans=40), val=dict(sequence=8, num_scans=10))
    spec_preset = scene_preset(preset)
    raw_ids = np.array(spec_preset['raw_ids'], dtype=np.uint32)
    from panguvision.utils.image_io import write_image
    camera = render_kwargs.pop('camera', None) or camera_model()
    out = {}
    for split, spec in splits.items():
        seq = f"{int(spec['sequence']):02d}"
        rng = np.random.default_rng([seed, int(spec['sequence'])])
        seq_dir = osp.join(root, 'sequences', seq)
        for sub in ('velodyne', 'labels', 'image_2', 'image_2_cls'):
            os.makedirs(osp.join(seq_dir, sub), exist_ok=True)
        with open(osp.join(seq_dir, 'calib.txt'), 'w') as f:
            f.write(_calib_text(camera))
        data_list = []
        for i in range(int(spec['num_scans'])):
            scene = render_scene(sample_scene(rng, preset), rng, camera=camera,
                                 image_colours=spec_preset['image_colours'], **render_kwargs)
            name = f'{i:06d}'
            scene['points'].tofile(osp.join(seq_dir, 'velodyne', name + '.bin'))
            labels = np.where(scene['point_cls'] >= 0, raw_ids[np.maximum(scene['point_cls'], 0)], 0)
            labels.astype(np.uint32).tofile(osp.join(seq_dir, 'labels', name + '.label'))
            write_image(osp.join(seq_dir, 'image_2', name + '.png'), scene['image'])
            pixel_cls = np.where(scene['pixel_cls'] >= 0, scene['pixel_cls'], 255).astype(np.uint8)
            write_image(osp.join(seq_dir, 'image_2_cls', name + '.png'), np.repeat(pixel_cls[..., None], 3, 2))
            cam2img = np.eye(4)
            cam2img[:3, :3] = camera['K']
            data_list.append(dict(
                sample_idx=f'{seq}{name}',
                lidar_points=dict(lidar_path=f'sequences/{seq}/velodyne/{name}.bin', num_pts_feats=4),
                pts_semantic_mask_path=f'sequences/{seq}/labels/{name}.label',
                images=dict(CAM2=dict(img_path=f'sequences/{seq}/image_2/{name}.png', cam2img=cam2img.tolist(),
                                      lidar2cam=camera['lidar2cam'].tolist(), height=camera['height'],
                                      width=camera['width']))))
        info_path = osp.join(root, f'synthetic_infos_{split}.pkl')
        with open(info_path, 'wb') as f:
            pickle.dump(dict(metainfo=dict(dataset='SyntheticLidar', info_version='1.0', scene_preset=preset),
                             data_list=data_list), f)
        out[split] = info_path
    return out


@DATASETS.register_module()
class LabelledSplitSemanticKittiDataset(SemanticKittiDataset):
    """mmdet3d's ``SemanticKittiDataset`` with a labelled subset for semi-supervised training.

    Args:
        labelled_ratio (float, optional): fraction of scans whose labels the model may use (LaserMix protocol: a
            uniform random subset, at least one scan); the others get ``is_labelled=False`` (their labels are still
            loaded, e.g. for evaluation; the semi-supervised segmentor ignores them in training). None = all labelled.
        split_seed (int): seed of the labelled subset.
        labelled_only (bool): keep only the labelled scans (supervised-only baselines).
        balance_labelled (bool): repeat every labelled scan ``round(unlabelled / labelled)`` times so that a shuffled
            epoch draws labelled and unlabelled scans about equally often (semi-supervised training).
        kwargs: ``SemanticKittiDataset`` arguments (``data_root``, ``ann_file``, ``pipeline``, ``modality``, ...).
    """

    def __init__(self, labelled_ratio: Optional[float] = None, split_seed: int = 0, labelled_only: bool = False,
                 balance_labelled: bool = False, **kwargs) -> None:
        if labelled_ratio is not None and not 0 < labelled_ratio <= 1:
            raise ValueError(f'labelled_ratio must be in (0, 1], got {labelled_ratio}')
        if labelled_only and balance_labelled:
            raise ValueError('labelled_only and balance_labelled exclude each other')
        self.labelled_ratio, self.split_seed = labelled_ratio, split_seed
        self.labelled_only, self.balance_labelled = labelled_only, balance_labelled
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        n = len(data_list)
        labelled = np.ones(n, dtype=bool)
        if self.labelled_ratio is not None:
            rng = np.random.default_rng(self.split_seed)
            labelled[:] = False
            labelled[rng.permutation(n)[:max(1, int(round(self.labelled_ratio * n)))]] = True
        for info, flag in zip(data_list, labelled):
            info['is_labelled'] = bool(flag)
        if self.labelled_only:
            return [info for info in data_list if info['is_labelled']]
        if self.balance_labelled and labelled.sum() < n:
            repeat = max(1, int(round((n - labelled.sum()) / labelled.sum())))
            data_list = data_list + [info for info in data_list if info['is_labelled']] * (repeat - 1)
        return data_list

    @property
    def labelled_indices(self) -> List[int]:
        """Indices of the labelled entries (with ``balance_labelled`` a scan can appear several times)."""
        return [i for i in range(len(self)) if self.get_data_info(i)['is_labelled']]


@DATASETS.register_module()
class SyntheticLidarDataset(LabelledSplitSemanticKittiDataset):
    """:class:`LabelledSplitSemanticKittiDataset` over :func:`write_synthetic_lidar` output.

    Args:
        preset (str): the scenes' preset (:data:`SCENE_PRESETS`): ``street5`` (5 classes, raw ids
            ``SYNTHETIC_RAW_IDS``) or ``street10`` (10 classes); raw 0 -> ignore index ``num_classes``. It must match
            the ``scene_preset`` the info file was written with (checked when the file records one).
        kwargs: :class:`LabelledSplitSemanticKittiDataset` arguments.
    """
    METAINFO = dict(classes=SYNTHETIC_CLASSES, palette=[list(c) for c in SYNTHETIC_PALETTE],
                    seg_valid_class_ids=tuple(range(len(SYNTHETIC_CLASSES))),
                    seg_all_class_ids=tuple(range(len(SYNTHETIC_CLASSES))))

    def __init__(self, metainfo: Optional[dict] = None, preset: str = 'street5', **kwargs) -> None:
        spec = scene_preset(preset)
        self.preset = preset
        classes, raw_ids = spec['classes'], spec['raw_ids']
        mapping = {0: len(classes)}
        mapping.update({raw: i for i, raw in enumerate(raw_ids)})
        # mmdet3d's Seg3DDataset reads self.METAINFO for the preset's full class list (subsets are chosen through
        # metainfo['classes'] as usual), so the instance carries its preset's.
        self.METAINFO = dict(classes=classes, palette=[list(c) for c in spec['palette']],
                             seg_valid_class_ids=tuple(range(len(classes))),
                             seg_all_class_ids=tuple(range(len(classes))))
        metainfo = dict(metainfo or {})
        for key, value in self.METAINFO.items():
            metainfo.setdefault(key, value)
        metainfo.setdefault('seg_label_mapping', mapping)
        metainfo.setdefault('max_label', max(mapping))
        super().__init__(metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        # mmengine merges the info file's metainfo (scene_preset included) into self._metainfo while loading it
        written = self._metainfo.get('scene_preset')
        if written is not None and written != self.preset:
            raise ValueError(f'{self.ann_file}: written with scene preset {written!r}, but the dataset was built with '
                             f'preset={self.preset!r}; set the dataset\'s preset to {written!r}')
        return data_list
