"""Demo inputs and outputs: what an INPUT argument is (image, folder of images, video), frames of a video, mp4 writing.

One implementation for every demo (``demo/*_demo.py``): frames are ``(H, W, 3)`` uint8 **RGB**; OpenCV's BGR stays
inside this module. Nothing here opens a window, so it is safe on headless machines.
"""
import os
import os.path as osp
from typing import Iterator, List, Optional, Tuple

import numpy as np

#: Image files the demos accept (lower-case suffixes).
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')
#: Video files the demos accept (anything OpenCV's FFmpeg backend decodes; these are the ones we test).
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv')


def list_images(folder: str) -> List[str]:
    """Sorted image files directly inside ``folder`` (not recursive); raises when there is none."""
    files = sorted(
        osp.join(folder, f) for f in os.listdir(folder) if osp.splitext(f)[1].lower() in IMAGE_EXTENSIONS)
    if not files:
        raise FileNotFoundError(f'{folder}: the folder holds no image ({"/".join(IMAGE_EXTENSIONS)})')
    return files


def media_kind(path: str) -> str:
    """``'folder'``, ``'video'`` or ``'image'`` for a demo INPUT; raises naming the path when it is none of them."""
    if osp.isdir(path):
        return 'folder'
    if not osp.isfile(path):
        raise FileNotFoundError(f'input not found: {path}')
    ext = osp.splitext(path)[1].lower()
    if ext in VIDEO_EXTENSIONS:
        return 'video'
    if ext in IMAGE_EXTENSIONS:
        return 'image'
    raise ValueError(f'{path}: unsupported input type {ext!r} (images: {IMAGE_EXTENSIONS}, videos: '
                     f'{VIDEO_EXTENSIONS}, or a folder of images)')


def video_info(path: str) -> Tuple[float, Optional[int]]:
    """``(fps, frame_count)`` of a video (fps 25 when the container does not say; count None when unknown)."""
    import cv2
    cap = cv2.VideoCapture(path)
    try:
        if not cap.isOpened():
            raise ValueError(f'{path}: cannot open the video (unreadable or unsupported codec)')
        return cap.get(cv2.CAP_PROP_FPS) or 25.0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    finally:
        cap.release()


def iter_video_frames(path: str, max_frames: Optional[int] = None) -> Iterator[np.ndarray]:
    """Yield the frames of a video as ``(H, W, 3)`` uint8 RGB, at most ``max_frames``; raises when none is
    readable."""
    import cv2
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise ValueError(f'{path}: cannot open the video (unreadable or unsupported codec)')
    count = 0
    try:
        while max_frames is None or count < max_frames:
            ok, frame = cap.read()
            if not ok:
                break
            count += 1
            yield np.ascontiguousarray(frame[..., ::-1])
    finally:
        cap.release()
    if count == 0:
        raise ValueError(f'{path}: the video has no readable frame')


class Mp4Writer:
    """Write RGB frames to an mp4 (``mp4v`` codec); the frame size is taken from the first frame.

    Use as a context manager: ``with Mp4Writer(path, fps) as w: w.write(rgb)``. Later frames of another size are
    resized to the first one's (nearest) so a video never silently drops frames.
    """

    def __init__(self, path: str, fps: float = 25.0) -> None:
        self.path, self.fps = path, float(fps)
        self.size = None  # (width, height)
        self.frames = 0
        self._writer = None

    def write(self, rgb: np.ndarray) -> None:
        import cv2
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f'{self.path}: frames must be (H, W, 3) uint8 RGB, got {rgb.dtype} {rgb.shape}')
        if self._writer is None:
            os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
            self.size = (rgb.shape[1], rgb.shape[0])
            self._writer = cv2.VideoWriter(self.path, cv2.VideoWriter_fourcc(*'mp4v'), self.fps, self.size)
            if not self._writer.isOpened():
                raise RuntimeError(f'{self.path}: cannot open an mp4v video writer')
        if (rgb.shape[1], rgb.shape[0]) != self.size:
            rgb = cv2.resize(rgb, self.size, interpolation=cv2.INTER_NEAREST)
        self._writer.write(np.ascontiguousarray(rgb[..., ::-1]))
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> 'Mp4Writer':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
