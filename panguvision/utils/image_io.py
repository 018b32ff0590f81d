"""The suite's one image writer/reader pair (RGB in memory, atomic writes)."""

import os.path as osp

import numpy as np


def write_image(path: str, img_rgb: np.ndarray) -> None:
    """Write an HWC uint8 RGB image (format from the extension) atomically; creates the folder."""
    import cv2

    from panguvision.utils.checkpoint import atomic_write_bytes
    ext = osp.splitext(path)[1] or '.png'
    ok, buf = cv2.imencode(ext, np.ascontiguousarray(img_rgb[..., ::-1]))
    if not ok:
        raise ValueError(f'{path}: cannot encode an image of shape {img_rgb.shape} as {ext}')
    atomic_write_bytes(buf.tobytes(), path)


def read_image(path: str) -> np.ndarray:
    """Read an image file as HWC uint8 RGB; a clear error names the file when it is missing or unreadable."""
    import cv2
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'{path}: not a readable image (expected PNG/JPEG/BMP/TIFF)')
    return np.ascontiguousarray(img[..., ::-1])


__all__ = ['write_image', 'read_image']
