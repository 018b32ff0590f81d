"""The suite's one image writer/reader pair (RGB in memory, atomic writes), plus 16-bit depth PNGs."""

import os.path as osp
from typing import Optional

import numpy as np


def _encode_and_write(path: str, img: np.ndarray) -> None:
    """Encode ``img`` (OpenCV channel order) in the format of the extension and write it atomically."""
    import cv2

    from panguvision.utils.checkpoint import atomic_write_bytes
    ext = osp.splitext(path)[1] or '.png'
    ok, buf = cv2.imencode(ext, np.ascontiguousarray(img))
    if not ok:
        raise ValueError(f'{path}: cannot encode an image of shape {img.shape} and dtype {img.dtype} as {ext}')
    atomic_write_bytes(buf.tobytes(), path)


def _read_and_decode(path: str, flags: int, backend_args: Optional[dict] = None) -> np.ndarray:
    """Decode an image file with OpenCV ``flags``; a clear error names the file when it is missing or unreadable.

    Bytes come through mmengine's file backends, so ``backend_args`` (or a URI prefix) reads from remote storage.
    """
    import cv2
    from mmengine import fileio
    path = str(path)
    backend = fileio.get_file_backend(path, backend_args=backend_args)
    if not backend.exists(path):
        raise FileNotFoundError(f'image not found: {path}')
    img = cv2.imdecode(np.frombuffer(backend.get(path), dtype=np.uint8), flags)
    if img is None:
        raise ValueError(f'{path}: not a readable image (expected PNG/JPEG/BMP/TIFF)')
    return img


def write_image(path: str, img_rgb: np.ndarray) -> None:
    """Write an HWC uint8 RGB image (format from the extension) atomically; creates the folder."""
    _encode_and_write(path, img_rgb[..., ::-1])


def read_image(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read an image file as HWC uint8 RGB (grey files replicated to 3 channels); a clear error names the file when
    it is missing or unreadable. ``backend_args``: mmengine file backend arguments (local disk by default)."""
    import cv2
    return np.ascontiguousarray(_read_and_decode(path, cv2.IMREAD_COLOR, backend_args)[..., ::-1])


def write_depth_png(path: str, depth: np.ndarray, scale: float = 256.0) -> None:
    """Write a depth map as a single-channel uint16 PNG, atomically (KITTI: ``scale=256``; NYU-style mm: 1000).

    Args:
        path: output ``.png`` file (its folder is created).
        depth: ``(H, W)`` depth in metres; ``0``, negative and non-finite values mean "no value" and are stored as 0.
        scale: stored value per metre (``png = round(depth * scale)``).

    Raises:
        ValueError: a depth does not fit in uint16 after scaling (``depth * scale > 65535``), or the map is not 2-D.
    """
    if osp.splitext(path)[1].lower() != '.png':
        raise ValueError(f'{path}: depth maps are written as 16-bit .png files')
    depth = np.asarray(depth, dtype=np.float64)
    if depth.ndim != 2:
        raise ValueError(f'{path}: expected an (H, W) depth map, got shape {depth.shape}')
    valid = np.isfinite(depth) & (depth > 0)
    scaled = np.where(valid, np.round(np.where(valid, depth, 0.0) * scale), 0.0)
    if scaled.max(initial=0.0) > np.iinfo(np.uint16).max:
        raise ValueError(f'{path}: depth {depth[valid].max():.3f} m * {scale} exceeds the uint16 range of the PNG')
    # A positive depth never rounds down to the "no value" code 0.
    scaled[valid & (scaled < 1)] = 1
    _encode_and_write(path, scaled.astype(np.uint16))


def read_depth_png(path: str, scale: float = 256.0) -> np.ndarray:
    """Read a single-channel 16-bit depth PNG as ``(H, W)`` float32 metres (``png / scale``; 0 = no value).

    Raises:
        ValueError: the file is not a single-channel uint16 image.
    """
    import cv2
    raw = _read_and_decode(path, cv2.IMREAD_UNCHANGED)
    if raw.dtype != np.uint16 or raw.ndim != 2:
        raise ValueError(f'{path}: expected a single-channel uint16 depth PNG, got dtype {raw.dtype} shape {raw.shape}')
    return raw.astype(np.float32) / np.float32(scale)


__all__ = ['write_image', 'read_image', 'write_depth_png', 'read_depth_png', 'tensor_to_image']


def tensor_to_image(tensor, pixel_range: float = 1.0, dtype=np.uint8) -> np.ndarray:
    """Quantise a model image for saving, showing or measuring (the suite's one such conversion, as BasicSR does).

    Args:
        tensor: ``(3, H, W)`` RGB float tensor in ``[0, pixel_range]`` (any device).
        pixel_range: the value of white in ``tensor`` (1 for model outputs, 255 for packed inputs).
        dtype: ``np.uint8`` for images, ``np.float64`` for metrics (same integer values).

    Returns:
        ``(H, W, 3)`` array of integer values in ``[0, 255]``: ``round(x * 255 / pixel_range)`` clipped.
    """
    if tensor.dim() != 3:
        raise ValueError(f'Expected a (C, H, W) image tensor, got shape {tuple(tensor.shape)}')
    img = tensor.detach().to('cpu').double().permute(1, 2, 0).numpy()
    return np.clip(np.round(img * (255.0 / pixel_range)), 0, 255).astype(dtype)
