"""Synthetic multi-object tracking sequences in the MOTChallenge layout, for tests and CPU learning checks.

``make_synthetic_mot(out_dir)`` renders short videos of textured rectangular sprites ("walkers") moving over a
textured background and writes, per sequence ``out_dir/<split>/<seq>/``:

* ``img1/000001.jpg ...``: the frames (RGB, JPEG quality 95);
* ``gt/gt.txt``: exact ground truth ``frame, id, x, y, w, h, 1, 1, visibility`` (0-based pixel coordinates of the
  sprite's top-left pixel, integer sizes: a sprite covers exactly the pixels ``[y, y + h) x [x, x + w)``;
  ``visibility`` is the fraction of those pixels not hidden by nearer sprites);
* ``det/det.txt``: public detections ``frame, -1, x, y, w, h, score`` made from the gt: boxes jittered in position and
  size, misses (always when the visibility is below 0.25, else at random), and false positives (random boxes and
  duplicates), with a confidence column (true boxes score higher on average, but the ranges overlap);
* ``seqinfo.ini``: name, imDir, frameRate, seqLength, imWidth, imHeight, imExt.

What makes association non-trivial: sprites share colours (a small palette, several sprites per colour) and patterns,
each sprite is a pair (body colour, pattern colour + pattern type) so identities are distinguishable only by the
combination; sprites move with different speeds, change direction and cross one another with a depth order, so they
occlude each other; some enter late or leave early; every frame gets a global brightness change and pixel noise.

Everything is drawn with one ``numpy.random.Generator`` per sequence seeded by ``(seed, split, index)``, so the same
arguments give the same files.
"""
import os
import os.path as osp
import zlib
from typing import List, Sequence, Tuple

import numpy as np

from panguvision.utils.checkpoint import atomic_write_bytes
from panguvision.utils.image_io import write_image

__all__ = ['make_synthetic_mot', 'render_sequence', 'PALETTE']

# A small palette: several sprites share each colour, so colour alone does not identify a sprite.
PALETTE = np.array([
    (220, 40, 40), (40, 90, 220), (240, 200, 40), (40, 170, 70), (235, 235, 235), (40, 40, 40),
], dtype=np.float32)
PATTERNS = ('hstripes', 'vstripes', 'checker', 'halves')


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """(h, w, 3) float32 in [0, 255]: smooth colour noise plus a faint grid (a static scene)."""
    coarse = rng.uniform(60, 160, size=(h // 16 + 2, w // 16 + 2, 3)).astype(np.float32)
    ys = np.linspace(0, coarse.shape[0] - 1.001, h)
    xs = np.linspace(0, coarse.shape[1] - 1.001, w)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    c = coarse
    img = ((1 - fy) * (1 - fx) * c[y0][:, x0] + (1 - fy) * fx * c[y0][:, x0 + 1] + fy * (1 - fx) * c[y0 + 1][:, x0] +
           fy * fx * c[y0 + 1][:, x0 + 1])
    img[::24] *= 0.85
    img[:, ::24] *= 0.85
    return img


def _sprite(kind: str, body: np.ndarray, accent: np.ndarray, h: int, w: int, period: int) -> np.ndarray:
    """(h, w, 3) float32 texture of one sprite: ``body`` colour with an ``accent`` pattern of the given kind."""
    yy, xx = np.mgrid[0:h, 0:w]
    if kind == 'hstripes':
        mask = (yy // period) % 2 == 1
    elif kind == 'vstripes':
        mask = (xx // period) % 2 == 1
    elif kind == 'checker':
        mask = ((yy // period) + (xx // period)) % 2 == 1
    else:  # 'halves': accent-coloured lower half ("trousers")
        mask = yy >= h // 2
    tex = np.where(mask[..., None], accent[None, None], body[None, None]).astype(np.float32)
    tex[0, :] = tex[-1, :] = tex[:, 0] = tex[:, -1] = 20.0  # dark outline
    return tex


def _trajectory(rng, num_frames, h, w, bh, bw):
    """(num_frames, 2) float top-left corners: piecewise constant velocity, bouncing at the borders."""
    pos = np.array([rng.uniform(0, h - bh), rng.uniform(0, w - bw)])
    speed = rng.uniform(1.5, 7.0)
    angle = rng.uniform(0, 2 * np.pi)
    vel = speed * np.array([0.35 * np.sin(angle), np.cos(angle)])  # mostly horizontal, like pedestrians
    out = np.zeros((num_frames, 2))
    for t in range(num_frames):
        out[t] = pos
        if rng.random() < 0.05:  # occasional turn
            angle = rng.uniform(0, 2 * np.pi)
            vel = speed * np.array([0.35 * np.sin(angle), np.cos(angle)])
        pos = pos + vel + rng.normal(0, 0.3, size=2)
        for k, limit in ((0, h - bh), (1, w - bw)):
            if pos[k] < 0 or pos[k] > limit:
                vel[k] = -vel[k]
                pos[k] = np.clip(pos[k], 0, limit)
    return out


def render_sequence(rng: np.random.Generator, num_frames: int, image_size: Tuple[int, int],
                    num_objects: int) -> Tuple[List[np.ndarray], np.ndarray, np.ndarray]:
    """Render one sequence.

    Returns:
        frames: ``num_frames`` (H, W, 3) uint8 RGB images;
        gt: float64 (N, 9) ``frame (1-based), id (1-based), x, y, w, h, 1, 1, visibility`` (0-based pixels);
        dets: float64 (M, 7) ``frame, -1, x, y, w, h, score``.
    """
    h, w = image_size
    bg = _background(rng, h, w)
    objects = []
    for oid in range(1, num_objects + 1):
        bh = int(rng.integers(max(12, h // 6), max(14, h // 3)))
        bw = max(6, int(round(bh * rng.uniform(0.35, 0.55))))
        ci, cj = rng.choice(len(PALETTE), size=2, replace=False)
        tex = _sprite(PATTERNS[rng.integers(len(PATTERNS))], PALETTE[ci], PALETTE[cj], bh, bw,
                      int(rng.integers(3, 7)))
        start, end = 0, num_frames
        if rng.random() < 0.3:
            start = int(rng.integers(0, num_frames // 3 + 1))
        if rng.random() < 0.3:
            end = int(rng.integers(2 * num_frames // 3, num_frames + 1))
        objects.append(dict(id=oid, tex=tex, h=bh, w=bw, depth=rng.random(), start=start, end=max(end, start + 2),
                            traj=_trajectory(rng, num_frames, h, w, bh, bw)))
    objects.sort(key=lambda o: o['depth'])  # far first; later sprites occlude earlier ones

    frames, gt_rows, det_rows = [], [], []
    for t in range(num_frames):
        img = bg.copy()
        owner = np.zeros((h, w), dtype=np.int32)
        boxes = {}
        for obj in objects:
            if not obj['start'] <= t < obj['end']:
                continue
            y, x = (int(round(v)) for v in obj['traj'][t])
            img[y:y + obj['h'], x:x + obj['w']] = obj['tex']
            owner[y:y + obj['h'], x:x + obj['w']] = obj['id']
            boxes[obj['id']] = (x, y, obj['w'], obj['h'])
        img = img * rng.uniform(0.85, 1.15) + rng.normal(0, 6, size=img.shape)
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
        for oid, (x, y, bw, bh) in sorted(boxes.items()):
            vis = float((owner[y:y + bh, x:x + bw] == oid).mean())
            gt_rows.append([t + 1, oid, x, y, bw, bh, 1, 1, round(vis, 4)])
            if vis < 0.25 or rng.random() < 0.08:
                continue  # missed detection
            jx, jy = rng.normal(0, 0.06 * bw), rng.normal(0, 0.06 * bh)
            sw, sh = bw * np.exp(rng.normal(0, 0.06)), bh * np.exp(rng.normal(0, 0.06))
            score = float(np.clip(rng.normal(0.55 + 0.4 * vis, 0.1), 0.05, 1.0))
            det_rows.append([t + 1, -1, x + jx, y + jy, sw, sh, score])
        for _ in range(rng.poisson(0.4)):  # false positives: random boxes in the background
            fh = rng.uniform(h / 8, h / 3)
            fw = fh * rng.uniform(0.35, 0.6)
            det_rows.append([t + 1, -1, rng.uniform(0, w - fw), rng.uniform(0, h - fh), fw, fh,
                             float(rng.uniform(0.05, 0.6))])
    dets = np.asarray(det_rows, dtype=np.float64).reshape(-1, 7)
    dets[:, 2:6] = np.round(dets[:, 2:6], 2)
    dets[:, 6] = np.round(dets[:, 6], 3)
    return frames, np.asarray(gt_rows, dtype=np.float64).reshape(-1, 9), dets


def _write_rows(path: str, rows: np.ndarray) -> None:
    """Comma-separated MOTChallenge rows (integers without a decimal point). Datasets may not import the evaluation
    package's ``write_mot_txt``, hence this three-line writer."""
    fmt = [str(int(v)) if float(v).is_integer() else repr(float(v)) for row in rows for v in row]
    ncol = rows.shape[1]
    lines = [','.join(fmt[i:i + ncol]) for i in range(0, len(fmt), ncol)]
    atomic_write_bytes(('\n'.join(lines) + ('\n' if lines else '')).encode('utf-8'), path)


def _seqinfo(name: str, num_frames: int, h: int, w: int) -> str:
    return (f'[Sequence]\nname={name}\nimDir=img1\nframeRate=10\nseqLength={num_frames}\nimWidth={w}\n'
            f'imHeight={h}\nimExt=.jpg\n')


def make_synthetic_mot(out_dir: str, num_sequences: int = 4, num_frames: int = 60,
                       image_size: Tuple[int, int] = (240, 320), num_objects: Sequence[int] = (4, 8), seed: int = 0,
                       split: str = 'train') -> List[str]:
    """Write ``num_sequences`` synthetic sequences under ``out_dir/split`` in the MOTChallenge layout.

    Args:
        out_dir: dataset root (``<out_dir>/<split>/SYN-XX/...`` is written).
        num_sequences: number of sequences.
        num_frames: frames per sequence.
        image_size: ``(H, W)`` in pixels.
        num_objects: inclusive ``(min, max)`` number of sprites per sequence.
        seed: base seed; sequence ``i`` uses ``numpy.random.default_rng([seed, crc32(split), i])``.
        split: split folder name (``train`` for what mot2coco converts with gt).

    Returns:
        the sequence folders written, sorted.
    """
    h, w = (int(v) for v in image_size)
    lo, hi = (int(v) for v in num_objects)
    if num_frames < 2 or h < 48 or w < 48 or not 1 <= lo <= hi:
        raise ValueError(f'make_synthetic_mot: expected num_frames >= 2, image_size >= (48, 48) and '
                         f'1 <= num_objects[0] <= num_objects[1], got {num_frames}, {image_size}, {num_objects}')
    seq_dirs = []
    for i in range(num_sequences):
        rng = np.random.default_rng([seed, zlib.crc32(split.encode()), i])
        name = f'SYN-{i + 1:02d}'
        seq_dir = osp.join(out_dir, split, name)
        frames, gt, dets = render_sequence(rng, num_frames, (h, w), int(rng.integers(lo, hi + 1)))
        for t, frame in enumerate(frames):
            write_image(osp.join(seq_dir, 'img1', f'{t + 1:06d}.jpg'), frame)
        _write_rows(osp.join(seq_dir, 'gt', 'gt.txt'), gt)
        _write_rows(osp.join(seq_dir, 'det', 'det.txt'), dets)
        os.makedirs(seq_dir, exist_ok=True)
        atomic_write_bytes(_seqinfo(name, num_frames, h, w).encode('utf-8'), osp.join(seq_dir, 'seqinfo.ini'))
        seq_dirs.append(seq_dir)
    return sorted(seq_dirs)
