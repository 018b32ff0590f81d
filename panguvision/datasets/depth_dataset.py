"""Monocular metric-depth datasets: an "RGB + depth + intrinsics" folder format (NYU-style, the UniDepth demo) and the
KITTI Eigen split file.

Every dataset yields data infos ``{'img_id', 'img_path', 'depth_path', 'intrinsics', 'depth_scale'}``:

- ``img_path``: the RGB image; ``depth_path``: a single-channel uint16 PNG holding ``depth_metres * depth_scale``
  (0 = no value), read by :func:`panguvision.utils.image_io.read_depth_png`;
- ``intrinsics``: the 3x3 pinhole matrix ``K`` of that image (pixels; a nested list of float64), with the pixel
  convention of :mod:`panguvision.utils.kitti_calib` (integer coordinates are pixel centres, 0-based);
- ``depth_scale``: stored PNG value per metre (NYU / UniDepth demo: 1000, i.e. millimetres; KITTI: 256).

They are read by the ``LoadDepthInputs`` transform (``panguvision/datasets/transforms/depth_transforms.py``).

Evaluation ranges are metric settings, not dataset ones: NYUv2 is evaluated up to 10 m (Eigen crop), KITTI up to 80 m
(Garg crop) - see ``DepthMetric``. NYUv2 therefore needs no class of its own: it is ``DepthFolderDataset`` with
``depth_scale=1000`` (the official NYUv2 colour camera: ``fx=518.8579, fy=519.4696, cx=325.58246, cy=253.73616``,
which can be given as a fixed ``intrinsics``).
"""
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset

from panguvision.datasets.sr_dataset import _list_images, build_pipeline
from panguvision.registry import DATASETS
from panguvision.utils.kitti_calib import parse_kitti_calib
from panguvision.utils.text_io import iter_nonblank_lines

__all__ = ['DepthFolderDataset', 'KittiDepthDataset', 'load_intrinsics', 'read_kitti_intrinsics']

IntrinsicsLike = Union[Sequence[Sequence[float]], np.ndarray]


def _as_intrinsics(values, source: str) -> List[List[float]]:
    """Validate a 3x3 pinhole matrix (9 finite values, last row ``0 0 1``) and return it as a nested float list."""
    K = np.asarray(values, dtype=np.float64)
    if K.size != 9:
        raise ValueError(f'{source}: expected a 3x3 intrinsics matrix, got shape {K.shape}')
    K = K.reshape(3, 3)
    if not np.all(np.isfinite(K)) or not np.allclose(K[2], [0, 0, 1]) or K[0, 0] <= 0 or K[1, 1] <= 0:
        raise ValueError(f'{source}: not a pinhole intrinsics matrix [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] with '
                         f'fx, fy > 0: {K.tolist()}')
    return K.tolist()


def load_intrinsics(path: str) -> List[List[float]]:
    """Read a 3x3 intrinsics matrix from a ``.npy`` file or a text file (9 numbers, e.g. ``K.txt``).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not 9 finite values forming ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'intrinsics file not found: {path}')
    values = np.load(path) if path.endswith('.npy') else np.loadtxt(path, ndmin=1)
    return _as_intrinsics(values, path)


def read_kitti_intrinsics(path: str, cam: int = 2) -> List[List[float]]:
    """The 3x3 intrinsics of rectified camera ``cam`` from a KITTI calibration file, either format:

    - raw-data ``calib_cam_to_cam.txt``: the left 3x3 block of ``P_rect_0{cam}``;
    - object / tracking benchmark (``training/calib/000000.txt``): the left 3x3 block of ``P{cam}``
      (:func:`panguvision.utils.kitti_calib.parse_kitti_calib`).

    The 4th column of a KITTI projection matrix (``fx * baseline`` offset) is not part of the intrinsics.
    """
    key = f'P_rect_{cam:02d}'
    for lineno, line in iter_nonblank_lines(path, 'KITTI calibration file'):
        head, _, tail = line.partition(':')
        if head.strip() == key:
            try:
                P = np.array([float(v) for v in tail.split()], dtype=np.float64)
            except ValueError:
                raise ValueError(f'{path}:{lineno}: {key}: non-numeric value') from None
            if P.size != 12:
                raise ValueError(f'{path}:{lineno}: {key} needs 12 values (3x4), got {P.size}')
            return _as_intrinsics(P.reshape(3, 4)[:, :3], f'{path}:{lineno}')
    return _as_intrinsics(parse_kitti_calib(path).projection(cam)[:, :3], path)


def _require_file(path: str, expected: str) -> str:
    if not osp.isfile(path):
        raise FileNotFoundError(f'missing file {path!r}: expected {expected}')
    return path


@DATASETS.register_module()
class DepthFolderDataset(BaseDataset):
    """RGB images with metric depth PNGs and pinhole intrinsics, in a plain folder layout.

    ``layout='folder'`` (default)::

        data_root/rgb/<stem>.{png,jpg,...}      RGB image
        data_root/depth/<stem>.png              uint16 depth, value = metres * depth_scale, 0 = no value
        data_root/intrinsics/<stem>.npy         3x3 K of that image            (per image, if the folder exists)
        data_root/intrinsics.npy  or  K.txt     one 3x3 K shared by all images (otherwise)

    Folder names come from ``data_prefix`` (``img``, ``depth``, ``intrinsics``). A fixed ``intrinsics`` argument
    overrides the files (e.g. NYUv2's official K).

    ``layout='single'``: the UniDepth demo layout, one sample in one folder: ``data_root/rgb.png``,
    ``data_root/depth.png``, ``data_root/intrinsics.npy``; ``img_id`` is the folder name.

    Examples::

        # NYUv2 exported as folders (depth in mm); evaluate with DepthMetric(max_depth=10)
        DepthFolderDataset(data_root='data/nyu/test', depth_scale=1000)
        # the UniDepth demo sample
        DepthFolderDataset(data_root='../shared/data/depth/unidepth_demo', layout='single', depth_scale=1000)

    Args:
        data_root: dataset root.
        data_prefix: ``dict(img='rgb', depth='depth', intrinsics='intrinsics')`` sub-folders (``layout='folder'``).
        depth_scale: stored PNG value per metre (1000 for millimetres, 256 for KITTI).
        layout: ``'folder'`` or ``'single'``.
        intrinsics: optional fixed 3x3 K used for every image instead of intrinsics files.
        **kwargs: the other :class:`mmengine.dataset.BaseDataset` arguments (``pipeline``, ``test_mode``, ...).

    Raises:
        FileNotFoundError: a missing folder or partner file (depth PNG, intrinsics), naming the file and what was
            expected.
    """
    METAINFO = dict(task='depth')
    SHARED_INTRINSICS = ('intrinsics.npy', 'K.txt')

    def __init__(self,
                 data_root: str = '',
                 data_prefix: dict = dict(img='rgb', depth='depth', intrinsics='intrinsics'),
                 depth_scale: float = 1000.0,
                 layout: str = 'folder',
                 intrinsics: Optional[IntrinsicsLike] = None,
                 **kwargs) -> None:
        if layout not in ('folder', 'single'):
            raise ValueError(f'DepthFolderDataset layout must be "folder" or "single", got {layout!r}')
        self.depth_scale = float(depth_scale)
        self.layout = layout
        self.fixed_intrinsics = None if intrinsics is None else _as_intrinsics(intrinsics, 'intrinsics argument')
        prefix = dict(img='rgb', depth='depth', intrinsics='intrinsics')
        prefix.update(data_prefix)
        kwargs['pipeline'] = build_pipeline(kwargs.get('pipeline', []))
        super().__init__(data_root=data_root, data_prefix=prefix, **kwargs)

    def _info(self, img_id: str, img_path: str, depth_path: str, intrinsics: List[List[float]]) -> dict:
        return dict(img_id=img_id, img_path=img_path, depth_path=depth_path, intrinsics=intrinsics,
                    depth_scale=self.depth_scale)

    def _load_single(self) -> List[dict]:
        root = self.data_root
        img_path = _require_file(osp.join(root, 'rgb.png'), 'the RGB image of the single-sample layout')
        depth_path = _require_file(osp.join(root, 'depth.png'), 'the uint16 depth PNG partner of rgb.png')
        K = self.fixed_intrinsics or load_intrinsics(
            _require_file(osp.join(root, 'intrinsics.npy'), 'the 3x3 intrinsics of rgb.png'))
        return [self._info(osp.basename(osp.normpath(root)), img_path, depth_path, K)]

    def _shared_intrinsics(self) -> Optional[List[List[float]]]:
        for name in self.SHARED_INTRINSICS:
            path = osp.join(self.data_root, name)
            if osp.isfile(path):
                return load_intrinsics(path)
        return None

    def load_data_list(self) -> List[dict]:
        if self.layout == 'single':
            return self._load_single()
        images = _list_images(self.data_prefix['img'], 'RGB')
        if not images:
            raise FileNotFoundError(f'RGB folder {self.data_prefix["img"]!r} holds no image')
        per_image_dir = self.data_prefix['intrinsics']
        shared = self.fixed_intrinsics
        if shared is None and not osp.isdir(per_image_dir):
            shared = self._shared_intrinsics()
            if shared is None:
                raise FileNotFoundError(
                    f'no intrinsics for {self.data_root!r}: expected a folder {per_image_dir!r} of <stem>.npy files '
                    f'or one of {[osp.join(self.data_root, n) for n in self.SHARED_INTRINSICS]}')
        data_list = []
        for stem, name in images.items():
            img_path = osp.join(self.data_prefix['img'], name)
            depth_path = _require_file(
                osp.join(self.data_prefix['depth'], f'{stem}.png'), f'the uint16 depth PNG partner of {img_path!r}')
            K = shared or load_intrinsics(_require_file(
                osp.join(per_image_dir, f'{stem}.npy'), f'the 3x3 intrinsics (.npy) of {img_path!r}'))
            data_list.append(self._info(stem, img_path, depth_path, K))
        return data_list


@DATASETS.register_module()
class KittiDepthDataset(BaseDataset):
    """KITTI depth from a split file in the BTS / Eigen format (e.g. BTS's ``eigen_test_files_with_gt.txt``)::

        <rgb path> <depth path> <focal>
        2011_09_26/2011_09_26_drive_0002_sync/image_02/data/0000000069.png \
2011_09_26_drive_0002_sync/proj_depth/groundtruth/image_02/0000000069.png 721.5377

    RGB paths are relative to ``data_root/data_prefix['img']`` (the KITTI raw data), depth paths to
    ``data_root/data_prefix['depth']`` (the annotated depth maps, PNG = metres * 256). Lines whose depth is ``None``
    (frames without ground truth) are skipped. The ``focal`` column is kept in the data info as ``focal``.

    Intrinsics, ``intrinsics=``:

    - a 3x3 matrix: one fixed K for every line;
    - ``'calib'`` (default): per line, the calibration file ``calib_tmpl.format(date=..., drive=..., stem=...)``
      relative to the RGB root, read by :func:`read_kitti_intrinsics` (raw ``calib_cam_to_cam.txt`` ``P_rect_02`` or
      an object-style ``P2``). ``date`` is the first component of the RGB path, ``drive`` its second, ``stem`` the
      RGB file stem; the default ``'{date}/calib_cam_to_cam.txt'`` is the KITTI raw layout. The camera is 3 when the
      RGB path contains ``image_03``, else 2. Files are parsed once each.

    Args:
        ann_file: the split file (relative to ``data_root``).
        data_root: dataset root.
        data_prefix: ``dict(img=..., depth=...)`` roots of the two path columns.
        depth_scale: stored PNG value per metre (KITTI: 256).
        intrinsics: ``'calib'`` or a fixed 3x3 K.
        calib_tmpl: calibration file template for ``intrinsics='calib'``.
        **kwargs: the other :class:`mmengine.dataset.BaseDataset` arguments.
    """
    METAINFO = dict(task='depth')

    def __init__(self,
                 ann_file: str = '',
                 data_root: str = '',
                 data_prefix: dict = dict(img='', depth=''),
                 depth_scale: float = 256.0,
                 intrinsics: Union[str, IntrinsicsLike] = 'calib',
                 calib_tmpl: str = '{date}/calib_cam_to_cam.txt',
                 **kwargs) -> None:
        self.depth_scale = float(depth_scale)
        if isinstance(intrinsics, str):
            if intrinsics != 'calib':
                raise ValueError(f'KittiDepthDataset intrinsics must be "calib" or a 3x3 matrix, got {intrinsics!r}')
            self.fixed_intrinsics = None
        else:
            self.fixed_intrinsics = _as_intrinsics(intrinsics, 'intrinsics argument')
        self.calib_tmpl = calib_tmpl
        prefix = dict(img='', depth='')
        prefix.update(data_prefix)
        kwargs['pipeline'] = build_pipeline(kwargs.get('pipeline', []))
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=prefix, **kwargs)

    def _calib_intrinsics(self, rgb_rel: str, cache: dict, where: str) -> List[List[float]]:
        parts = rgb_rel.replace('\\', '/').split('/')
        fields = dict(date=parts[0], drive=parts[1] if len(parts) > 2 else '', stem=osp.splitext(parts[-1])[0])
        cam = 3 if 'image_03' in parts else 2
        path = osp.join(self.data_prefix['img'], self.calib_tmpl.format(**fields))
        if (path, cam) not in cache:
            _require_file(path, f'the KITTI calibration of {rgb_rel!r} ({where}; calib_tmpl={self.calib_tmpl!r})')
            cache[(path, cam)] = read_kitti_intrinsics(path, cam)
        return cache[(path, cam)]

    def load_data_list(self) -> List[dict]:
        data_list, cache = [], {}
        for lineno, line in iter_nonblank_lines(self.ann_file, 'KITTI split file'):
            where = f'{self.ann_file}:{lineno}'
            tokens = line.split()
            if len(tokens) != 3:
                raise ValueError(f'{where}: expected "<rgb path> <depth path> <focal>", got {line[:80]!r}')
            rgb_rel, depth_rel, focal = tokens
            if depth_rel == 'None':
                continue
            try:
                focal = float(focal)
            except ValueError:
                raise ValueError(f'{where}: focal {focal!r} is not a number') from None
            img_path = _require_file(osp.join(self.data_prefix['img'], rgb_rel), f'the RGB image of {where}')
            depth_path = _require_file(
                osp.join(self.data_prefix['depth'], depth_rel), f'the depth PNG (metres * 256) of {where}')
            K = self.fixed_intrinsics or self._calib_intrinsics(rgb_rel, cache, where)
            img_id = osp.splitext(rgb_rel.replace('\\', '/'))[0].replace('/', '_')
            data_list.append(dict(img_id=img_id, img_path=img_path, depth_path=depth_path, intrinsics=K,
                                  depth_scale=self.depth_scale, focal=focal))
        return data_list
