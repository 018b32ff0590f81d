"""KITTI object-benchmark calibration files, LiDAR scans and the LiDAR -> image projection.

A KITTI object calibration file (``training/calib/000000.txt``) holds one matrix per line, row-major::

    P0: 12 values        3x4 projection of rectified camera 0 .. 3 (P2 = left colour camera, ``image_2``)
    P1: ... P2: ... P3: ...
    R0_rect: 9 values    3x3 rectifying rotation of camera 0
    Tr_velo_to_cam: 12   3x4 rigid transform Velodyne -> camera 0 (unrectified), metres
    Tr_imu_to_velo: 12   3x4 rigid transform IMU -> Velodyne (optional here)

The KITTI odometry benchmark (and SemanticKITTI, which reuses its sequences) writes ``sequences/XX/calib.txt`` with
``P0`` .. ``P3`` and ``Tr`` (12 values: Velodyne -> *rectified* camera 0); it has no ``R0_rect`` because ``Tr``
already includes the rectification, so :func:`parse_kitti_calib` reads it with ``R0_rect`` = identity.

A Velodyne point ``x`` (homogeneous) lands in image ``i`` at ``P_i @ R0_rect @ Tr_velo_to_cam @ x`` (``R0_rect`` and
``Tr_velo_to_cam`` padded to 4x4), as in the KITTI object devkit. The third homogeneous coordinate is the point's depth
along the optical axis of camera ``i`` in metres (``P2`` carries camera 2's offset from camera 0 in its last column,
about 5 mm along the axis), the convention of KITTI's depth maps and of Monodepth2's ``generate_depth_map``.

Pixel convention: integer coordinates are pixel centres, 0-based; a projected point ``(u, v)`` falls in pixel
``(row, col) = (floor(v + 0.5), floor(u + 0.5))``. (Monodepth2 additionally subtracts 1, a MATLAB 1-based leftover
that shifts its maps by one pixel; it is not reproduced here.)
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Optional, Tuple, Union

import numpy as np

from panguvision.utils.text_io import iter_nonblank_lines

__all__ = ['KittiCalib', 'parse_kitti_calib', 'read_velodyne_bin', 'project_velodyne_to_image', 'pixel_indices',
           'sparse_depth_map']

_SHAPES = {
    'P0': (3, 4),
    'P1': (3, 4),
    'P2': (3, 4),
    'P3': (3, 4),
    'R0_rect': (3, 3),
    'Tr_velo_to_cam': (3, 4),
    'Tr_imu_to_velo': (3, 4),
}
_REQUIRED = ('P0', 'P1', 'P2', 'P3', 'R0_rect', 'Tr_velo_to_cam')
# Names used by the KITTI tracking benchmark's calibration files for the same matrices.
_ALIASES = {'R_rect': 'R0_rect', 'Tr_velo_cam': 'Tr_velo_to_cam', 'Tr_imu_velo': 'Tr_imu_to_velo'}
#: The odometry benchmark's name for Velodyne -> rectified camera 0.
_ODOMETRY_TR = 'Tr'


def _to_homogeneous_4x4(matrix: np.ndarray) -> np.ndarray:
    out = np.eye(4)
    out[:matrix.shape[0], :matrix.shape[1]] = matrix
    return out


@dataclass(frozen=True)
class KittiCalib:
    """Calibration of one KITTI frame (float64 matrices; translations in metres, projections in pixels)."""
    P0: np.ndarray
    P1: np.ndarray
    P2: np.ndarray
    P3: np.ndarray
    R0_rect: np.ndarray
    Tr_velo_to_cam: np.ndarray
    Tr_imu_to_velo: Optional[np.ndarray] = None
    path: str = ''

    def projection(self, cam: int = 2) -> np.ndarray:
        """The 3x4 projection matrix ``P{cam}`` of rectified camera ``cam`` (0..3)."""
        if cam not in (0, 1, 2, 3):
            raise ValueError(f'KITTI has cameras 0..3, got cam={cam}')
        return getattr(self, f'P{cam}')

    def velo_to_rect(self) -> np.ndarray:
        """4x4 transform Velodyne -> rectified camera-0 coordinates (metres): ``R0_rect @ Tr_velo_to_cam``."""
        return _to_homogeneous_4x4(self.R0_rect) @ _to_homogeneous_4x4(self.Tr_velo_to_cam)

    def camera_intrinsics(self, cam: int = 2) -> np.ndarray:
        """3x3 pinhole matrix ``K`` of rectified camera ``cam`` (``P{cam} = K @ [I | t]``)."""
        return self.projection(cam)[:, :3].copy()

    def velo_to_camera(self, cam: int = 2) -> np.ndarray:
        """4x4 rigid transform Velodyne -> rectified camera ``cam`` (metres): camera-0 rectified coordinates shifted
        by camera ``cam``'s baseline ``t = K^-1 P[:, 3]``. ``K @ (velo_to_camera(cam) @ x)[:3]`` equals
        ``velo_to_image(cam) @ x``."""
        P = self.projection(cam)
        shift = np.eye(4)
        shift[:3, 3] = np.linalg.solve(P[:, :3], P[:, 3])
        return shift @ self.velo_to_rect()

    def velo_to_image(self, cam: int = 2) -> np.ndarray:
        """3x4 matrix Velodyne (homogeneous metres) -> homogeneous pixels ``(u*z, v*z, z)`` of camera ``cam``."""
        return self.projection(cam) @ self.velo_to_rect()


def parse_kitti_calib(path: Union[str, os.PathLike]) -> KittiCalib:
    """Read a KITTI calibration file (object / tracking benchmark, or odometry ``calib.txt`` with ``Tr``).

    Every non-blank line must read ``KEY: v1 v2 ...`` (the colon may be missing, as in the tracking benchmark). Keys
    other than those of :class:`KittiCalib` (and the tracking names ``R_rect``, ``Tr_velo_cam``, ``Tr_imu_velo``) are
    ignored.

    Raises:
        FileNotFoundError: no such file.
        ValueError: ``'{path}:{line}: ...'`` for a line that is malformed, has non-numeric or non-finite values, the
            wrong number of values, or repeats a key; ``'{path}: ...'`` for a missing required matrix.
    """
    path = os.fspath(path)
    matrices, odometry = {}, False
    for lineno, line in iter_nonblank_lines(path, 'KITTI calibration file'):
        head, sep, tail = line.partition(':')
        if not sep:
            head, _, tail = line.partition(' ')
        key = _ALIASES.get(head.strip(), head.strip())
        if key == _ODOMETRY_TR:
            key, odometry = 'Tr_velo_to_cam', True
        if not sep and key not in _SHAPES:
            raise ValueError(f'{path}:{lineno}: expected "KEY: v1 v2 ...", got {line[:60]!r}')
        if key not in _SHAPES:
            continue
        try:
            values = np.array([float(token) for token in tail.split()], dtype=np.float64)
        except ValueError as err:
            raise ValueError(f'{path}:{lineno}: {key}: non-numeric value ({err})') from None
        shape = _SHAPES[key]
        if values.size != shape[0] * shape[1]:
            raise ValueError(f'{path}:{lineno}: {key} needs {shape[0] * shape[1]} values ({shape[0]}x{shape[1]}), '
                             f'got {values.size}')
        if not np.all(np.isfinite(values)):
            raise ValueError(f'{path}:{lineno}: {key} has non-finite values')
        if key in matrices:
            raise ValueError(f'{path}:{lineno}: {key} is given twice')
        matrices[key] = values.reshape(shape)
    if odometry and 'R0_rect' not in matrices:
        matrices['R0_rect'] = np.eye(3)  # odometry ``Tr`` maps straight to rectified camera 0
    missing = [key for key in _REQUIRED if key not in matrices]
    if missing:
        raise ValueError(f'{path}: missing calibration matrices {missing} (found {sorted(matrices)})')
    return KittiCalib(path=path, **matrices)


def read_velodyne_bin(path: Union[str, os.PathLike]) -> np.ndarray:
    """Read a KITTI Velodyne scan: ``(N, 4)`` float32 ``x, y, z`` (metres, LiDAR frame: x forward, y left, z up) and
    reflectance ``r``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the size is not a whole number of 16-byte points.
    """
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'Velodyne scan not found: {path}')
    data = np.fromfile(path, dtype=np.float32)
    if data.size % 4:
        raise ValueError(f'{path}: {data.size * 4} bytes is not a whole number of float32 (x, y, z, r) points')
    return data.reshape(-1, 4)


def pixel_indices(uv: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``(rows, cols)`` int64 of the pixels holding the ``(M, 2)`` points ``(u, v)`` (pixel centres at integers)."""
    cols = np.floor(uv[:, 0] + 0.5).astype(np.int64)
    rows = np.floor(uv[:, 1] + 0.5).astype(np.int64)
    return rows, cols


def project_velodyne_to_image(points_xyz: np.ndarray, calib: KittiCalib, image_shape: Tuple[int, ...],
                              cam: int = 2, min_depth: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """Project Velodyne points into camera ``cam`` and keep those in front of it and inside the image.

    Args:
        points_xyz: ``(N, 3)`` or ``(N, >=3)`` points in the Velodyne frame, metres (extra columns such as the
            reflectance are ignored).
        calib: the frame's calibration.
        image_shape: ``(H, W)`` or ``(H, W, C)`` of the camera image.
        cam: camera index, 2 for ``image_2``.
        min_depth: points with depth ``<= min_depth`` metres are dropped (``0``: everything in front of the camera).

    Returns:
        ``uv``: ``(M, 2)`` float64 pixel coordinates ``(u = column, v = row)``, every point inside the image under
        :func:`pixel_indices`; ``depth``: ``(M,)`` float64 depth along the camera's optical axis, metres.
    """
    points = np.asarray(points_xyz, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] < 3:
        raise ValueError(f'expected (N, 3) points, got shape {points.shape}')
    height, width = int(image_shape[0]), int(image_shape[1])
    homogeneous = np.concatenate([points[:, :3], np.ones((len(points), 1))], axis=1)
    projected = homogeneous @ calib.velo_to_image(cam).T  # (N, 3): u*z, v*z, z
    depth = projected[:, 2]
    front = depth > max(min_depth, 0.0)
    uv = projected[front, :2] / depth[front, None]
    depth = depth[front]
    rows, cols = pixel_indices(uv)
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    return uv[inside], depth[inside]


def sparse_depth_map(uv: np.ndarray, depth: np.ndarray, image_shape: Tuple[int, ...]) -> np.ndarray:
    """Rasterise projected points into an ``(H, W)`` float64 depth map (metres, 0 = no point) with a z-buffer:
    where several points fall in one pixel, the nearest wins.

    Args:
        uv: ``(M, 2)`` pixel coordinates ``(u, v)``; points outside the image are ignored.
        depth: ``(M,)`` positive depths in metres.
        image_shape: ``(H, W)`` or ``(H, W, C)``.
    """
    height, width = int(image_shape[0]), int(image_shape[1])
    uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
    depth = np.asarray(depth, dtype=np.float64).reshape(-1)
    if len(uv) != len(depth):
        raise ValueError(f'{len(uv)} pixel coordinates but {len(depth)} depths')
    rows, cols = pixel_indices(uv)
    keep = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width) & (depth > 0)
    zbuffer = np.full(height * width, np.inf)
    np.minimum.at(zbuffer, rows[keep] * width + cols[keep], depth[keep])
    zbuffer[np.isinf(zbuffer)] = 0.0
    return zbuffer.reshape(height, width)
