"""Drawing of tracking results: boxes, identity labels and motion trails on RGB frames (OpenCV, no window)."""
from collections import defaultdict, deque
from typing import Deque, Dict, Sequence, Tuple

import numpy as np

__all__ = ['TrackTrails', 'draw_tracks', 'id_color']


def id_color(track_id: int) -> Tuple[int, int, int]:
    """A stable, saturated RGB colour per identity (golden-ratio hue steps, so neighbouring ids differ)."""
    import colorsys
    r, g, b = colorsys.hsv_to_rgb((int(track_id) * 0.618033988749895) % 1.0, 0.85, 1.0)
    return int(r * 255), int(g * 255), int(b * 255)


class TrackTrails:
    """The last ``length`` box bottom-centres of every identity (the trails drawn behind the boxes)."""

    def __init__(self, length: int = 30) -> None:
        self.points: Dict[int, Deque[Tuple[int, int]]] = defaultdict(lambda: deque(maxlen=length))

    def update(self, bboxes: np.ndarray, ids: Sequence[int]) -> None:
        for box, tid in zip(np.asarray(bboxes).reshape(-1, 4), ids):
            self.points[int(tid)].append((int(round((box[0] + box[2]) / 2)), int(round(box[3]))))


def draw_tracks(img: np.ndarray, bboxes: np.ndarray, ids: Sequence[int], scores: Sequence[float] = None,
                trails: TrackTrails = None, thickness: int = 2) -> np.ndarray:
    """Draw tracked boxes on a copy of ``img``.

    Args:
        img: (H, W, 3) uint8 RGB frame.
        bboxes: (N, 4) xyxy pixels.
        ids: N identities (box colour and label).
        scores: optional N scores appended to the labels.
        trails: optional ``TrackTrails``; it is updated with these boxes and every trail of a present id is drawn.
        thickness: line width in pixels (the label font scales with it).

    Returns:
        the drawn (H, W, 3) uint8 RGB frame.
    """
    import cv2
    out = np.ascontiguousarray(img.copy())
    bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
    if trails is not None:
        trails.update(bboxes, ids)
    for k, (box, tid) in enumerate(zip(bboxes, ids)):
        color = id_color(int(tid))
        if trails is not None and len(trails.points[int(tid)]) > 1:
            pts = np.asarray(trails.points[int(tid)], np.int32).reshape(-1, 1, 2)
            cv2.polylines(out, [pts], False, color, max(1, thickness - 1), cv2.LINE_AA)
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(out, (x1, y1), (x2, y2), color, thickness)
        label = f'{int(tid)}' + (f' {float(scores[k]):.2f}' if scores is not None else '')
        scale = 0.4 * thickness
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        top = max(y1 - th - base - 2, 0)
        cv2.rectangle(out, (x1, top), (x1 + tw + 4, top + th + base + 2), color, -1)
        cv2.putText(out, label, (x1 + 2, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return out
