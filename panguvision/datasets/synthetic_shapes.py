"""Datasets for image generation: synthetic coloured shapes (made in memory, any size) and class-labelled image
folders (ImageNet layout).

Synthetic shapes: one filled circle, square or triangle (the class) of a named colour on a plain background of
another named colour, centred in one of the 3 x 3 thirds of the image with a +-1 pixel jitter, small or large. The
scene is fully described by words a reasoning prefix can state (``prompt``), so the benefit of reasoning prompts can
be measured on data made on the spot.
"""
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset

from panguvision.registry import DATASETS
from .sr_dataset import IMG_EXTENSIONS, build_pipeline

__all__ = ['SHAPE_COLORS', 'SyntheticShapesDataset', 'ClassImageFolderDataset', 'draw_shape']

#: RGB of the named colours (the reasoning vocabulary's palette, ``panguvision.models.generation.DEFAULT_COLORS``).
SHAPE_COLORS = dict(
    black=(0, 0, 0), white=(255, 255, 255), gray=(128, 128, 128), red=(220, 30, 30), green=(30, 170, 40),
    blue=(30, 70, 220), yellow=(240, 220, 40), cyan=(40, 210, 220), magenta=(210, 50, 200), orange=(245, 140, 20))
VERTICAL = ('top', 'middle', 'bottom')
HORIZONTAL = ('left', 'center', 'right')


def draw_shape(size: int, shape: str, fg: Sequence[int], bg: Sequence[int], cy: int, cx: int, half: int) -> np.ndarray:
    """``(size, size, 3)`` uint8 RGB image of one filled ``shape`` (circle / square / triangle, apex up) of colour
    ``fg`` with bounding box ``[cy - half, cy + half] x [cx - half, cx + half]`` on background ``bg``; no
    anti-aliasing, so every pixel is exactly ``fg`` or ``bg``."""
    import cv2
    img = np.empty((size, size, 3), dtype=np.uint8)
    img[:] = bg
    color = tuple(int(c) for c in fg)
    if shape == 'circle':
        cv2.circle(img, (cx, cy), half, color, thickness=-1, lineType=cv2.LINE_8)
    elif shape == 'square':
        cv2.rectangle(img, (cx - half, cy - half), (cx + half, cy + half), color, thickness=-1)
    elif shape == 'triangle':
        pts = np.array([[cx, cy - half], [cx - half, cy + half], [cx + half, cy + half]], dtype=np.int32)
        cv2.fillPoly(img, [pts], color, lineType=cv2.LINE_8)
    else:
        raise ValueError(f"unknown shape {shape!r}; expected 'circle', 'square' or 'triangle'")
    return img


@DATASETS.register_module()
class SyntheticShapesDataset(BaseDataset):
    """Coloured shapes on plain backgrounds, drawn deterministically from ``seed`` (no files).

    Data infos: ``img`` (H, W, 3) uint8 RGB, ``img_id``, ``gt_label`` (index in ``classes``), ``class_name``,
    ``fg_color``, ``bg_color``, ``vertical``, ``horizontal``, ``size`` (words) and ``prompt``, the canonical sentence
    ("a small red circle at top left on a black background").

    Args:
        num_samples: images in the dataset.
        image_size: side in pixels (>= 24).
        seed: seed of the scene parameters; use different seeds for train and validation.
        classes: shapes (the class labels), from circle / square / triangle.
        fg_colors / bg_colors: names in :data:`SHAPE_COLORS` of subject and background colours.
        half_sizes: ``(small, large)`` half-extent of the shape as a fraction of ``image_size``.
        **kwargs: the other :class:`mmengine.dataset.BaseDataset` arguments (``pipeline``, ``test_mode``...).
    """
    METAINFO = dict(task='generation', classes=('circle', 'square', 'triangle'))

    def __init__(self,
                 num_samples: int = 1000,
                 image_size: int = 32,
                 seed: int = 0,
                 classes: Sequence[str] = ('circle', 'square', 'triangle'),
                 fg_colors: Sequence[str] = ('red', 'green', 'blue', 'yellow', 'cyan', 'magenta', 'orange'),
                 bg_colors: Sequence[str] = ('black', 'white', 'gray'),
                 half_sizes: Sequence[float] = (0.17, 0.26),
                 **kwargs) -> None:
        if image_size < 24:
            raise ValueError(f'SyntheticShapesDataset: image_size must be >= 24, got {image_size}')
        for name in (*fg_colors, *bg_colors):
            if name not in SHAPE_COLORS:
                raise KeyError(f'SyntheticShapesDataset: unknown colour {name!r}; expected one of {list(SHAPE_COLORS)}')
        self.num_samples, self.image_size, self.seed = int(num_samples), int(image_size), int(seed)
        self.classes, self.fg_colors, self.bg_colors = tuple(classes), tuple(fg_colors), tuple(bg_colors)
        self.half_sizes = tuple(half_sizes)
        kwargs['pipeline'] = build_pipeline(kwargs.get('pipeline', []))
        kwargs.setdefault('data_prefix', dict())
        super().__init__(metainfo=dict(kwargs.pop('metainfo', None) or {}, classes=self.classes), **kwargs)

    def load_data_list(self) -> List[dict]:
        rng = np.random.default_rng(self.seed)
        s = self.image_size
        data_list = []
        for i in range(self.num_samples):
            label = int(rng.integers(len(self.classes)))
            fg = self.fg_colors[rng.integers(len(self.fg_colors))]
            bg = self.bg_colors[rng.integers(len(self.bg_colors))]
            row, col, big = (int(v) for v in rng.integers((3, 3, 2)))
            half = max(2, int(round(self.half_sizes[big] * s)))
            cy, cx = (int(np.clip(int((c + 0.5) * s / 3) + rng.integers(-1, 2), half, s - 1 - half))
                      for c in (row, col))
            words = dict(fg_color=fg, bg_color=bg, vertical=VERTICAL[row], horizontal=HORIZONTAL[col],
                         size=('small', 'large')[big])
            prompt = (f'a {words["size"]} {fg} {self.classes[label]} at {words["vertical"]} {words["horizontal"]} '
                      f'on a {bg} background')
            img = draw_shape(s, self.classes[label], SHAPE_COLORS[fg], SHAPE_COLORS[bg], cy, cx, half)
            data_list.append(dict(img=img, img_id=f'shape_{self.seed}_{i:05d}', gt_label=label,
                                  class_name=self.classes[label], prompt=prompt, **words))
        return data_list


@DATASETS.register_module()
class ClassImageFolderDataset(BaseDataset):
    """Class-labelled images in one sub-folder per class (ImageNet ``train/n01440764/*.JPEG`` layout).

    Data infos: ``img_path``, ``img_id``, ``gt_label`` (index of the folder in sorted order, or in ``classes``) and
    ``class_name``. ``data_root/data_prefix['img']`` is the folder of class folders.

    Args:
        classes: optional class folder names in label order (default: every sub-folder, sorted).
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments (``data_root``, ``data_prefix=dict(img=...)``...).
    """
    METAINFO = dict(task='generation')

    def __init__(self, classes: Optional[Sequence[str]] = None, **kwargs) -> None:
        self._classes = tuple(classes) if classes else None
        kwargs['pipeline'] = build_pipeline(kwargs.get('pipeline', []))
        kwargs.setdefault('data_prefix', dict(img=''))
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        root = self.data_prefix.get('img', self.data_root)
        if not osp.isdir(root):
            raise FileNotFoundError(f'ClassImageFolderDataset: {root!r} is not a directory (expected one sub-folder '
                                    'of images per class)')
        classes = self._classes or tuple(sorted(d for d in os.listdir(root) if osp.isdir(osp.join(root, d))))
        if not classes:
            raise FileNotFoundError(f'ClassImageFolderDataset: no class sub-folder in {root!r}')
        self._metainfo['classes'] = classes
        data_list = []
        for label, name in enumerate(classes):
            folder = osp.join(root, name)
            if not osp.isdir(folder):
                raise FileNotFoundError(f'ClassImageFolderDataset: class folder {folder!r} does not exist')
            for fname in sorted(os.listdir(folder)):
                if osp.splitext(fname)[1].lower() in IMG_EXTENSIONS:
                    data_list.append(dict(img_path=osp.join(folder, fname), img_id=f'{name}/{osp.splitext(fname)[0]}',
                                          gt_label=label, class_name=name))
        return data_list
