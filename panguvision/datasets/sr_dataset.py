"""Super-resolution datasets: paired HR/LR folders, and real photographs bundled with scikit-image.

Every dataset yields data infos ``{'img_id', 'gt_path', 'lq_path', 'scale'}`` (paths are ``str`` or ``None``), read by
the ``LoadSRImages`` transform. A ``None`` ``lq_path`` means the pipeline makes the LQ image from the GT one
(``ModCrop`` + ``BicubicDegrade``).
"""
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset

from panguvision.registry import DATASETS, TRANSFORMS
from panguvision.utils.image_io import write_image

__all__ = ['IMG_EXTENSIONS', 'BUILTIN_PHOTO_SPLITS', 'BuiltinPhotoDataset', 'PairedImageDataset', 'build_pipeline']

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')


def build_pipeline(pipeline: Sequence[Union[dict, Callable]]) -> List[Callable]:
    """Build transform configs with PanguVision's ``TRANSFORMS``, so the datasets work without a default scope
    (outside a Runner); built transforms and callables pass through."""
    return [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]


def _list_images(folder: str, role: str) -> Dict[str, str]:
    """``{stem: filename}`` of the images (by extension, case-insensitive) directly in ``folder``."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{role} folder {folder!r} does not exist (expected a directory of '
                                f'{"/".join(ext[1:] for ext in IMG_EXTENSIONS)} images)')
    images = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        if ext.lower() in IMG_EXTENSIONS:
            images.setdefault(stem, name)
    return images


@DATASETS.register_module()
class PairedImageDataset(BaseDataset):
    """HR images with their (optional) bicubic LR partners, in the DIV2K / Set5 / Set14 / B100 / Urban100 / Manga109
    folder layouts.

    The GT folder is ``data_root/data_prefix['gt']``; for a GT image ``{stem}.{ext}`` the LQ image is
    ``data_root/data_prefix['lq']/{filename_tmpl['lq'].format(stem)}.{ext'}`` (any image extension).
    Without ``'lq'`` in ``data_prefix`` the LQ images are made on the fly by the pipeline.

    Examples::

        # DIV2K train: DIV2K_train_HR/0001.png + DIV2K_train_LR_bicubic/X4/0001x4.png
        PairedImageDataset(data_root='data/DIV2K', scale=4, filename_tmpl=dict(lq='{}x4'),
                           data_prefix=dict(gt='DIV2K_train_HR', lq='DIV2K_train_LR_bicubic/X4'))
        # Set5: HR/baby.png + LR_bicubic/X2/babyx2.png
        PairedImageDataset(data_root='data/Set5', scale=2, filename_tmpl=dict(lq='{}x2'),
                           data_prefix=dict(gt='HR', lq='LR_bicubic/X2'))

    Args:
        data_root: dataset root, joined with relative ``data_prefix`` folders.
        data_prefix: ``dict(gt=..., lq=...)`` folders; ``lq`` optional.
        scale: integer upscaling factor (HR size / LR size).
        filename_tmpl: ``dict(lq='{}')``, LQ file stem from the GT stem.
        metainfo: extra dataset meta; ``scale`` is added.
        **kwargs: the other :class:`mmengine.dataset.BaseDataset` arguments (``pipeline``, ``test_mode``, ...).
    """
    METAINFO = dict(task='super-resolution')

    def __init__(self,
                 data_root: str = '',
                 data_prefix: dict = dict(gt='HR', lq='LR_bicubic/X4'),
                 scale: int = 4,
                 filename_tmpl: dict = dict(lq='{}'),
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if 'gt' not in data_prefix:
            raise KeyError(f'PairedImageDataset needs data_prefix["gt"], got data_prefix={data_prefix!r}')
        self.scale = int(scale)
        self.filename_tmpl = {'lq': '{}', **filename_tmpl}
        kwargs['pipeline'] = build_pipeline(kwargs.get('pipeline', []))
        super().__init__(
            data_root=data_root, data_prefix=data_prefix, metainfo=dict(metainfo or {}, scale=self.scale), **kwargs)

    def _find_lq(self, lq_images: Dict[str, str], gt_name: str) -> str:
        gt_stem = osp.splitext(gt_name)[0]
        lq_stem = self.filename_tmpl['lq'].format(gt_stem)
        if lq_stem not in lq_images:
            benchmark_tmpl = '{}x%d' % self.scale  # DIV2K / Set5 / ... name their LR files '{stem}x{scale}'
            hint = (f'; the folder has {lq_images[benchmark_tmpl.format(gt_stem)]!r}: use '
                    f'filename_tmpl=dict(lq={benchmark_tmpl!r})' if benchmark_tmpl.format(gt_stem) in lq_images else '')
            raise FileNotFoundError(
                f'No LQ image for GT {osp.join(self.data_prefix["gt"], gt_name)!r}: expected '
                f'{osp.join(self.data_prefix["lq"], lq_stem)!r} with one of the extensions {IMG_EXTENSIONS} '
                f'(filename_tmpl["lq"]={self.filename_tmpl["lq"]!r}, scale={self.scale}){hint}')
        return osp.join(self.data_prefix['lq'], lq_images[lq_stem])

    def load_data_list(self) -> List[dict]:
        gt_images = _list_images(self.data_prefix['gt'], 'GT')
        if not gt_images:
            raise FileNotFoundError(f'GT folder {self.data_prefix["gt"]!r} holds no image ({IMG_EXTENSIONS})')
        lq_images = _list_images(self.data_prefix['lq'], 'LQ') if 'lq' in self.data_prefix else None
        data_list = []
        for stem, gt_name in gt_images.items():
            lq_path = self._find_lq(lq_images, gt_name) if lq_images is not None else None
            data_list.append(
                dict(img_id=stem, gt_path=osp.join(self.data_prefix['gt'], gt_name), lq_path=lq_path,
                     scale=self.scale))
        return data_list


def _skimage_photo(name: str) -> np.ndarray:
    """Load one bundled scikit-image photograph as ``(H, W, 3)`` uint8 RGB (grey photos are replicated to RGB)."""
    from skimage import data as skdata  # imported lazily: only this dataset needs scikit-image
    img = skdata.stereo_motorcycle()[0] if name == 'motorcycle' else getattr(skdata, name)()
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img, dtype=np.uint8)


# Real photographs shipped inside the scikit-image wheel (no download needed), a fixed disjoint split.
# Grey photos (camera, moon) are replicated to RGB. Excluded: synthetic images (colorwheel, logo, checkerboard, ...),
# textures/micrographs of a single pattern, skimage's `cat` (an alias of `chelsea`) and the right view of
# `stereo_motorcycle` (a near-duplicate of the left one, which is `motorcycle` here).
BUILTIN_PHOTO_SPLITS: Dict[str, Tuple[str, ...]] = dict(
    train=('astronaut', 'coffee', 'hubble_deep_field', 'immunohistochemistry', 'retina', 'camera', 'moon'),
    val=('chelsea', 'rocket', 'motorcycle'),
)


@DATASETS.register_module()
class BuiltinPhotoDataset(BaseDataset):
    """Real photographs bundled with scikit-image, for smoke training / validation without any download.

    Splits (:data:`BUILTIN_PHOTO_SPLITS`): ``train`` = astronaut, coffee, hubble_deep_field, immunohistochemistry,
    retina, camera, moon (7 images); ``val`` = chelsea, rocket, motorcycle (3 images). No LQ images: the pipeline makes
    them (``ModCrop`` + ``BicubicDegrade``).

    With ``cache_dir`` the photos are written once as ``{cache_dir}/{name}.png`` (atomically with
    :func:`panguvision.utils.image_io.write_image`, so concurrent workers are safe) and data infos carry ``gt_path``;
    without it the data infos carry the image itself as ``gt`` (``(H, W, 3)`` uint8 RGB, ``gt_path=None``), which
    ``LoadSRImages`` keeps.

    Args:
        split: ``'train'`` or ``'val'``.
        scale: integer upscaling factor stored in each data info.
        cache_dir: optional folder for the PNG copies.
        metainfo: extra dataset meta; ``scale`` and ``split`` are added.
        **kwargs: the other :class:`mmengine.dataset.BaseDataset` arguments (``pipeline``, ``test_mode``, ...).
    """
    METAINFO = dict(task='super-resolution')

    def __init__(self,
                 split: str = 'train',
                 scale: int = 4,
                 cache_dir: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if split not in BUILTIN_PHOTO_SPLITS:
            raise ValueError(f'BuiltinPhotoDataset split must be one of {sorted(BUILTIN_PHOTO_SPLITS)}, got {split!r}')
        self.split = split
        self.scale = int(scale)
        self.cache_dir = cache_dir
        kwargs.setdefault('data_prefix', dict())
        kwargs['pipeline'] = build_pipeline(kwargs.get('pipeline', []))
        super().__init__(metainfo=dict(metainfo or {}, scale=self.scale), **kwargs)
        # Set after construction: mmengine parses string values of ``metainfo`` as paths of meta files.
        self._metainfo['split'] = split

    def _cached_path(self, name: str) -> str:
        path = osp.join(self.cache_dir, f'{name}.png')
        if not osp.isfile(path):
            write_image(path, _skimage_photo(name))
        return path

    def load_data_list(self) -> List[dict]:
        if self.cache_dir is not None:
            os.makedirs(self.cache_dir, exist_ok=True)
        data_list = []
        for name in BUILTIN_PHOTO_SPLITS[self.split]:
            info = dict(img_id=name, gt_path=None, lq_path=None, scale=self.scale)
            if self.cache_dir is not None:
                info['gt_path'] = self._cached_path(name)
            else:
                info['gt'] = _skimage_photo(name)
            data_list.append(info)
        return data_list
